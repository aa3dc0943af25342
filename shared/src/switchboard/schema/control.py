"""Requests every worker hears on the control channel (not queued behind work)."""

from __future__ import annotations

from typing import Literal

from pydantic import TypeAdapter

from switchboard.schema.envelope import Envelope

__all__ = ("StopRequest", "control_adapter")


class StopRequest(Envelope):
    """Cancel the session's running callback wherever it runs, then call on_stop."""

    type: Literal["stop"] = "stop"


control_adapter: TypeAdapter[StopRequest] = TypeAdapter(StopRequest)
