"""LlamaIndex callback handler: LLM calls, retrievals, queries and function calls
as steps, LLM steps with their generation.

``Settings.callback_manager = CallbackManager([cl.LlamaIndexCallbackHandler()])``
or pass a ``CallbackManager`` to the objects used.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any

from switchboard.integrations import missing_extra
from switchboard.schema.steps import utc_now_iso
from switchboard.sdk.context import SessionContext, get_context
from switchboard.sdk.generation import ChatGeneration, CompletionGeneration
from switchboard.sdk.step import Step

try:
    from llama_index.core.callbacks import CBEventType, EventPayload
    from llama_index.core.callbacks.base_handler import BaseCallbackHandler
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise missing_extra("llama_index.core", "llama-index") from exc

__all__ = ("LlamaIndexCallbackHandler",)

DEFAULT_IGNORE = [
    CBEventType.CHUNKING,
    CBEventType.SYNTHESIZE,
    CBEventType.EMBEDDING,
    CBEventType.NODE_PARSING,
    CBEventType.TREE,
]
_STEP_TYPES = {
    CBEventType.FUNCTION_CALL: "tool",
    CBEventType.RETRIEVE: "tool",
    CBEventType.QUERY: "tool",
    CBEventType.LLM: "llm",
}


class LlamaIndexCallbackHandler(BaseCallbackHandler):
    """LlamaIndex calls handlers synchronously; the steps' I/O keeps their order."""

    def __init__(
        self,
        event_starts_to_ignore: list[CBEventType] = DEFAULT_IGNORE,
        event_ends_to_ignore: list[CBEventType] = DEFAULT_IGNORE,
    ) -> None:
        super().__init__(
            event_starts_to_ignore=event_starts_to_ignore,
            event_ends_to_ignore=event_ends_to_ignore,
        )
        self.ctx: SessionContext = get_context()
        self.steps: dict[str, Step] = {}
        self.started: dict[str, tuple[float, dict[str, Any]]] = {}
        self._last: asyncio.Future[Any] | Future[Any] | None = None

    # --- ordered I/O from sync callbacks ------------------------------------
    def _submit(self, coro: Coroutine[Any, Any, Any]) -> None:
        loop = self.ctx.loop
        if loop is None:
            coro.close()
            raise RuntimeError("no event loop bound to this session")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            # On the loop we cannot block: chain the I/O so it runs in order.
            previous = self._last

            async def after() -> None:
                if previous is not None:
                    await asyncio.wrap_future(previous) if isinstance(
                        previous, Future
                    ) else await previous
                await coro

            task = loop.create_task(after())
            self.ctx.background.add(task)
            task.add_done_callback(self.ctx.background.discard)
            self._last = task
            return
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        self._last = future
        future.result()

    async def flush(self) -> None:
        """Wait for the steps' I/O (useful after an async query)."""
        if isinstance(self._last, asyncio.Future):
            await self._last

    # --- BaseCallbackHandler -------------------------------------------------
    def start_trace(self, trace_id: str | None = None) -> None:
        return None

    def end_trace(
        self, trace_id: str | None = None, trace_map: dict[str, list[str]] | None = None
    ) -> None:
        return None

    def _parent_id(self, event_parent_id: str) -> str | None:
        if event_parent_id in self.steps:
            return self.steps[event_parent_id].id
        current = self.ctx.current_step
        return current.id if current else None

    def on_event_start(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        parent_id: str = "",
        **kwargs: Any,
    ) -> str:
        step_type = _STEP_TYPES.get(event_type)
        if step_type is None or event_type in self.event_starts_to_ignore:
            return event_id
        payload = payload or {}
        name = event_type.value
        if event_type == CBEventType.FUNCTION_CALL:
            tool = payload.get(EventPayload.TOOL)
            name = getattr(tool, "name", None) or name
        with _bound(self.ctx):
            step = Step(name=name, type=step_type, parent_id=self._parent_id(parent_id))
        if EventPayload.QUERY_STR in payload:
            step.input = payload[EventPayload.QUERY_STR]
        elif EventPayload.FUNCTION_CALL in payload:
            step.input = payload[EventPayload.FUNCTION_CALL]
        elif EventPayload.MESSAGES in payload:
            step.input = [_message(m) for m in payload[EventPayload.MESSAGES]]
        elif EventPayload.PROMPT in payload:
            step.input = payload[EventPayload.PROMPT]
        step.created_at = step.start = utc_now_iso()
        self.steps[event_id] = step
        self.started[event_id] = (time.perf_counter(), payload)
        self._submit(_with(self.ctx, step.send()))
        return event_id

    def on_event_end(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        **kwargs: Any,
    ) -> None:
        step = self.steps.pop(event_id, None)
        began, start_payload = self.started.pop(event_id, (time.perf_counter(), {}))
        if step is None or event_type in self.event_ends_to_ignore:
            return
        payload = payload or {}
        step.end = utc_now_iso()
        if EventPayload.EXCEPTION in payload:
            step.is_error = True
            step.output = str(payload[EventPayload.EXCEPTION])
        elif event_type == CBEventType.LLM:
            _llm_end(step, start_payload, payload, time.perf_counter() - began)
        elif event_type == CBEventType.FUNCTION_CALL:
            step.output = str(payload.get(EventPayload.FUNCTION_OUTPUT, ""))
        elif event_type == CBEventType.RETRIEVE:
            nodes = payload.get(EventPayload.NODES) or []
            step.output = [
                {"text": n.node.get_content(), "score": n.score, "id": n.node.node_id}
                for n in nodes
            ]
        elif event_type == CBEventType.QUERY:
            step.output = str(payload.get(EventPayload.RESPONSE, ""))
        self._submit(_with(self.ctx, step.update()))


def _message(message: Any) -> dict[str, Any]:
    role = getattr(message, "role", "user")
    return {"role": getattr(role, "value", str(role)), "content": message.content or ""}


def _llm_end(step: Step, start: dict[str, Any], end: dict[str, Any], duration: float) -> None:
    serialized = start.get(EventPayload.SERIALIZED) or {}
    model = serialized.get("model") or serialized.get("model_name")
    provider = serialized.get("class_name")
    settings = {
        k: v
        for k, v in serialized.items()
        if k in ("temperature", "max_tokens", "top_p", "context_window") and v is not None
    }
    response = end.get(EventPayload.RESPONSE)
    generation: ChatGeneration | CompletionGeneration
    if response is not None:
        text = response.message.content or ""
        generation = ChatGeneration(
            provider=provider,
            model=model,
            settings=settings,
            messages=[_message(m) for m in end.get(EventPayload.MESSAGES) or []],
            message_completion={"role": "assistant", "content": text},
        )
    else:
        completion = end.get(EventPayload.COMPLETION)
        text = getattr(completion, "text", "") or ""
        generation = CompletionGeneration(
            provider=provider,
            model=model,
            settings=settings,
            prompt=str(end.get(EventPayload.PROMPT, "")),
            completion=text,
        )
    raw = getattr(
        response if response is not None else end.get(EventPayload.COMPLETION), "raw", None
    )
    usage = raw.get("usage") if isinstance(raw, dict) else getattr(raw, "usage", None)
    if usage is not None:
        generation.input_token_count = _field(usage, "prompt_tokens")
        generation.output_token_count = _field(usage, "completion_tokens")
        generation.token_count = _field(usage, "total_tokens")
    generation.duration = duration
    step.output = text
    step.language = None
    step.generation = json.loads(json.dumps(generation.to_dict(), default=str))


def _field(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else getattr(value, key, None)


class _bound:
    """Make the session context current where LlamaIndex calls us (any thread)."""

    def __init__(self, ctx: SessionContext) -> None:
        self.ctx = ctx
        self.token: Any = None

    def __enter__(self) -> None:
        from switchboard.sdk.context import _context

        self.token = _context.set(self.ctx)

    def __exit__(self, *exc: object) -> None:
        from switchboard.sdk.context import _context

        _context.reset(self.token)


async def _with(ctx: SessionContext, coro: Coroutine[Any, Any, Any]) -> None:
    from switchboard.sdk.context import _context

    _context.set(ctx)
    await coro
