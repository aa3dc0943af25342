"""A UI event as gateways relay it: its name and payload, exactly as the producer wrote them.

Producers build every UI event from its model in ``events`` and write it once;
the relay does not validate and re-serialise each one (a token stream is most
of a reply's events), it checks the name against the known set and passes the
payload on untouched, typed as a ``UiFrame``.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict, get_args

import orjson

__all__ = ("UI_EVENT_NAMES", "UiEventName", "UiFrame", "UnknownUiEvent", "parse_ui_frame")

UiEventName = Literal[
    "task_start",
    "task_end",
    "clear_ask",
    "clear_call_fn",
    "new_message",
    "update_message",
    "delete_message",
    "stream_start",
    "stream_token",
    "first_interaction",
    "element",
    "action",
    "toast",
    "ask",
    "call_fn",
    "call_fn_timeout",
    "ask_timeout",
    "remove_action",
    "remove_element",
    "chat_settings",
    "set_commands",
    "set_modes",
    "token_usage",
    "window_message",
    "set_sidebar_title",
    "set_sidebar_elements",
    "resume_thread",
    "resume_thread_error",
    "audio_connection",
    "audio_chunk",
    "audio_interrupt",
    "error",
]
UI_EVENT_NAMES: frozenset[str] = frozenset(get_args(UiEventName))


class UiFrame(TypedDict):
    id: str  # the envelope's id: a copilot call is answered by it
    type: UiEventName
    payload: Any


class UnknownUiEvent(ValueError):
    """A stream entry that is not a UI event this version knows (a newer producer?)."""


def parse_ui_frame(raw: bytes | str) -> UiFrame:
    event = orjson.loads(raw)
    if not isinstance(event, dict) or event.get("type") not in UI_EVENT_NAMES:
        kind = event.get("type") if isinstance(event, dict) else type(event).__name__
        raise UnknownUiEvent(f"not a known UI event: {kind!r}")
    return UiFrame(id=str(event.get("id", "")), type=event["type"], payload=event.get("payload"))
