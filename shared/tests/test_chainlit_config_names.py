"""Chainlit's config model names: a chat profile's ``ChainlitConfigOverrides`` applies
only the fields the app set, as Chainlit's does."""

from __future__ import annotations

from switchboard.config import (
    AppConfig,
    ChainlitConfigOverrides,
    FeaturesSettings,
    UISettings,
    apply_overrides,
)
from switchboard.types import ChatProfile


def test_profile_overrides_apply_only_what_the_app_set() -> None:
    base = AppConfig.model_validate({"UI": {"name": "Base", "cot": "hidden"}})
    profile = ChatProfile(
        name="Wide",
        markdown_description="",
        config_overrides=ChainlitConfigOverrides(
            ui=UISettings(name="Wide assistant", layout="wide"),
            features=FeaturesSettings(latex=True),
        ),
    )
    overrides = profile.to_dict()["config_overrides"]
    assert overrides == {
        "ui": {"name": "Wide assistant", "layout": "wide"},
        "features": {"latex": True},
    }
    merged = apply_overrides(base, overrides)
    assert (merged.ui.name, merged.ui.layout, merged.ui.cot) == ("Wide assistant", "wide", "hidden")
    assert merged.features.latex is True and merged.features.edit_message is True


def test_profile_overrides_as_a_dict_pass_through() -> None:
    profile = ChatProfile(name="P", markdown_description="", config_overrides={"ui": {"name": "X"}})
    assert profile.to_dict()["config_overrides"] == {"ui": {"name": "X"}}
