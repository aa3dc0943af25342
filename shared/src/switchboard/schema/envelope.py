"""The versioned envelope every cross-process event travels in.

Events only grow by optional fields; ``v`` changes when a consumer must
learn something new to read an event correctly.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ("SCHEMA_VERSION", "Envelope", "new_event_id")

SCHEMA_VERSION = 1


def new_event_id() -> str:
    return uuid.uuid4().hex


class Envelope(BaseModel):
    """Common fields; subclasses pin ``type`` to a literal and type ``payload``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: int = SCHEMA_VERSION
    id: str = Field(default_factory=new_event_id)
    ts: float = Field(default_factory=time.time)
    type: str
    session_id: str
    thread_id: str | None = None
    payload: Any = None
