"""The relay's frame names cover exactly the UI events the schema defines."""

from __future__ import annotations

from typing import get_args

import pytest

from switchboard.schema.events import StreamToken, StreamTokenPayload, UiEvent
from switchboard.schema.frames import UI_EVENT_NAMES, UnknownUiEvent, parse_ui_frame


def test_frame_names_are_the_schemas_event_types() -> None:
    members = get_args(get_args(UiEvent)[0])
    assert {m.model_fields["type"].default for m in members} == UI_EVENT_NAMES


def test_a_written_event_parses_to_its_name_and_payload_unchanged() -> None:
    event = StreamToken(
        session_id="s", payload=StreamTokenPayload(id="step", token="hi ", isSequence=False)
    )
    frame = parse_ui_frame(event.model_dump_json())
    payload = event.model_dump(mode="json")["payload"]
    assert frame == {"id": event.id, "type": "stream_token", "payload": payload}


@pytest.mark.parametrize("raw", [b'{"type": "rm_rf", "payload": {}}', b"[1, 2]", b'{"payload": 1}'])
def test_anything_else_is_refused(raw: bytes) -> None:
    with pytest.raises(UnknownUiEvent):
        parse_ui_frame(raw)
