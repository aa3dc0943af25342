"""Requests every worker hears on the control channel (not queued behind work)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from switchboard.schema.envelope import Envelope

__all__ = ("ControlMessage", "McpRelease", "McpReleasePayload", "StopRequest", "control_adapter")


class StopRequest(Envelope):
    """Cancel the session's running callback wherever it runs, then call on_stop."""

    type: Literal["stop"] = "stop"


class McpReleasePayload(BaseModel):
    # The worker that now holds the session's MCP servers; None when the session ended.
    holder: str | None = None


class McpRelease(Envelope):
    """Close the session's MCP servers unless you are ``holder`` (the session moved or ended)."""

    type: Literal["mcp_release"] = "mcp_release"
    payload: McpReleasePayload = Field(default_factory=McpReleasePayload)


ControlMessage = Annotated[StopRequest | McpRelease, Field(discriminator="type")]

control_adapter: TypeAdapter[ControlMessage] = TypeAdapter(ControlMessage)
