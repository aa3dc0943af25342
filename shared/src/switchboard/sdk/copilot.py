"""``CopilotFunction``: ask the copilot widget's host page to run a function."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from switchboard.schema.events import CallFn, CallFnPayload
from switchboard.sdk.context import get_context

__all__ = ("CallFnTimeoutError", "CopilotFunction")

DEFAULT_TIMEOUT_S = 300


class CallFnTimeoutError(TimeoutError):
    """The copilot did not answer a ``call_fn`` in time (with ``raise_on_timeout``)."""


@dataclass
class CopilotFunction:
    name: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "args": self.args}

    async def acall(
        self, timeout: float = DEFAULT_TIMEOUT_S, raise_on_timeout: bool = False
    ) -> Any:
        """Emit ``call_fn`` and return what the copilot acked (None on timeout)."""
        ctx = get_context()
        event = CallFn(
            session_id=ctx.session_id,
            thread_id=ctx.thread_id,
            payload=CallFnPayload(name=self.name, args=self.args),
        )
        result = await ctx.emitter.call_fn(event, timeout)
        if result is None and raise_on_timeout:
            raise CallFnTimeoutError(f"copilot function {self.name!r} timed out")
        return result
