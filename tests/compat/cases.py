"""The apps the compat suite runs on both servers, and what the client does with each.

Every app in ``examples/`` is here, plus one small app per documented Chainlit feature in
``tests/compat/apps/`` (written ``import chainlit as cl``, as Chainlit's docs write them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.compat.driver import Answer, Click, Scenario, Send, SetSettings, WindowMessage
from tests.support.fixtures import EXAMPLES

__all__ = ("CASES", "Case")

APPS = Path(__file__).parent / "apps"
TEXT_FILE = ("notes.txt", b"three short words", "text/plain")


@dataclass(frozen=True)
class Case:
    app: Path
    scenario: Scenario = field(default_factory=Scenario)
    # .chainlit/config.toml for both servers ("" keeps each one's defaults).
    config: str = ""
    env: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.app.parent.name}/{self.app.stem}"


CASES: tuple[Case, ...] = (
    Case(EXAMPLES / "demo.py", Scenario((Send("hello there"), Send("again")))),
    Case(EXAMPLES / "actions.py", Scenario((Click("greet"),))),
    Case(EXAMPLES / "ask.py", Scenario(answer=Answer(text="Ada", action="coffee"))),
    Case(
        EXAMPLES / "ask_files.py",
        Scenario(
            answer=Answer(
                files=(TEXT_FILE,), element={"submitted": True, "rating": 4, "comment": "fine"}
            )
        ),
    ),
    Case(EXAMPLES / "chat_profiles.py", Scenario((Send("hi"),), chat_profile="Careful")),
    Case(
        EXAMPLES / "chat_settings.py",
        Scenario((SetSettings({"model": "large", "temperature": 0.5}), Send("x"))),
    ),
    Case(EXAMPLES / "commands.py", Scenario((Send("look", command="search"), Send("plain")))),
    Case(EXAMPLES / "elements.py", Scenario((Send("show"),))),
    Case(EXAMPLES / "steps.py", Scenario((Send("go"),))),
    Case(EXAMPLES / "langchain_chat.py", Scenario((Send("tell me"),))),
)

_ = WindowMessage
