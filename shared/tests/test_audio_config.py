"""``[features.audio]``: Chainlit 2.12's two keys, and the voice activity keys (Chainlit
1.x's) our web UI honours when set."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from switchboard.config import AppConfig, load_app_config


def test_voice_activity_keys_are_read_from_config_toml(tmp_path: Path) -> None:
    toml = tmp_path / "config.toml"
    toml.write_text(
        "[features.audio]\nenabled = true\nsample_rate = 16000\nmin_decibels = -50\n"
        "initial_silence_timeout = 3000\nsilence_timeout = 1500\nmax_duration = 15000\n"
    )
    audio = load_app_config(toml).features.audio
    assert audio.model_dump(exclude_none=True) == {
        "enabled": True,
        "sample_rate": 16000,
        "min_decibels": -50,
        "initial_silence_timeout": 3000,
        "silence_timeout": 1500,
        "max_duration": 15000,
    }


def test_unset_voice_activity_keys_leave_chainlit_212s_shape() -> None:
    audio = AppConfig().features.audio
    assert audio.model_dump(exclude_none=True) == {"enabled": False, "sample_rate": 24000}


@pytest.mark.parametrize("bad", [{"silence_timeout": 0}, {"max_duration": -1}, {"min_decibels": 3}])
def test_nonsense_values_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        AppConfig.model_validate({"features": {"audio": bad}})
