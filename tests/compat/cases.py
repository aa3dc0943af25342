"""The apps the compat suite runs on both servers, and what the client does with each.

Every app in ``examples/`` is here, plus one small app per documented Chainlit feature in
``tests/compat/apps/`` (written ``import chainlit as cl``, as Chainlit's docs write them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.compat.driver import (
    Answer,
    Click,
    GetSettings,
    Scenario,
    Send,
    SetSettings,
    Wait,
    WindowMessage,
)
from tests.support.fixtures import EXAMPLES

__all__ = ("CASES", "Case")

APPS = Path(__file__).parent / "apps"
TEXT_FILE = ("notes.txt", b"three short words", "text/plain")
PIXEL_FILE = (
    "pixel.png",
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4f40000000049454e44ae426082"
    ),
    "image/png",
)


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
    # session features
    *(
        Case(APPS / f"session_{name}.py", scenario)
        for name, scenario in (
            (
                "chat_settings",
                Scenario(
                    (
                        SetSettings({"Temperature": 1.5}, edit=True),
                        SetSettings({"Model": "gpt-3.5-turbo", "Temperature": 0.5}),
                        Send("hi"),
                        Send("refresh"),
                    )
                ),
            ),
            (
                "chat_profiles",
                Scenario(
                    (
                        GetSettings(("chatProfiles", "starters", "ui.name"), "GPT-4"),
                        Send("hello"),
                    ),
                    chat_profile="GPT-4",
                ),
            ),
            (
                "starters",
                Scenario(
                    (
                        GetSettings(("starters", "starterCategories")),
                        Send("What happened today?", command="search"),
                    )
                ),
            ),
            (
                "commands",
                Scenario(
                    (Send("draw", command="Picture"), Send("cats", command="Search"), Send("x"))
                ),
            ),
            (
                "modes",
                Scenario((Send("hi", modes={"model": "gpt-4o", "reasoning": "high"}), Send("n"))),
            ),
            ("chat_context", Scenario((Send("one"), Send("reset"), Send("two")))),
            (
                "window_messages",
                Scenario((WindowMessage("Client: hi"), WindowMessage("plain"), Send("x"))),
            ),
            ("user_session", Scenario((Send("a"), Send("b"), Send("c")))),
            ("author_rename", Scenario((Send("hi"),))),
        )
    ),
    # messages, steps, asks and actions
    *(
        Case(APPS / f"{name}.py", scenario)
        for name, scenario in (
            ("ask_user", Scenario(answer=Answer(text="Ada"))),
            ("ask_timeout", Scenario((Wait(2),), answer=Answer(silent=True))),
            ("ask_action", Scenario((Send("go"),), answer=Answer(action="continue"))),
            ("msg_update", Scenario((Send("the job"),))),
            ("msg_remove", Scenario((Send("x"),))),
            ("msg_author", Scenario((Send("x"),))),
            ("msg_error", Scenario((Send("x"),))),
            ("msg_exception", Scenario((Send("x"),))),
            ("msg_stop", Scenario((Send("go", stop_after="tick 3"),))),
            ("msg_emitter", Scenario((Send("x"),))),
            ("msg_async_utils", Scenario((Send("abc"),))),
            ("msg_chat_end", Scenario((Send("hi"),))),
            ("step_context", Scenario((Send("the input"),))),
            ("step_nested", Scenario((Send("v"),))),
            ("step_update_remove", Scenario((Send("x"),))),
            ("step_stream", Scenario((Send("x"),))),
            ("action_payload", Scenario((Click("action_button"),))),
        )
    ),
    # elements and files
    *(
        Case(APPS / f"elements_{name}.py", scenario)
        for name, scenario in (
            ("text", Scenario((Send("x"),))),
            ("image", Scenario((Send("x"),))),
            ("file", Scenario((Send("x"),))),
            ("pdf", Scenario((Send("x"),))),
            ("audio", Scenario((Send("x"),))),
            ("video", Scenario((Send("x"),))),
            ("tasklist", Scenario((Send("x"),))),
            ("custom", Scenario((Send("x"),))),
            ("remove_update", Scenario((Send("x"),))),
            ("sidebar", Scenario((Send("rain"), Send("close")))),
        )
    ),
    Case(
        APPS / "elements_attachments.py",
        Scenario((Send("two files", files=(TEXT_FILE, PIXEL_FILE)), Send("none"))),
        # Chainlit's generated config.toml allows attachments; Switchboard's default does not.
        config=(
            '[meta]\ngenerated_by = "2.12.0"\n'
            '[UI]\nname = "Assistant"\n'
            '[features.spontaneous_file_upload]\nenabled = true\naccept = ["*/*"]\n'
        ),
    ),
)
