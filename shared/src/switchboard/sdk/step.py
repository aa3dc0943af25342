"""``Step``: a unit of work shown in the chain of thought, with Chainlit's semantics."""

from __future__ import annotations

import copy
import functools
import inspect
import json
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, cast

from switchboard.schema.steps import utc_now_iso
from switchboard.sdk._emit import emit_step, emit_stub, emit_token, hidden_in_cot
from switchboard.sdk.context import current_steps, get_context

__all__ = ("Step", "step")

F = TypeVar("F", bound=Callable[..., Any])


def _stringify(value: Any) -> tuple[str, str | None]:
    """Chainlit's input/output coercion: JSON for containers, str() otherwise."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, bytes):
        return "STRIPPED_BINARY_DATA", "text"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, indent=4, ensure_ascii=False, default=str), "json"
    return str(value), "text"


class Step:
    def __init__(
        self,
        name: str | None = None,
        type: str = "undefined",
        id: str | None = None,
        parent_id: str | None = None,
        elements: list[Any] | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        language: str | None = None,
        icon: str | None = None,
        default_open: bool = False,
        auto_collapse: bool = False,
        show_input: bool | str = "json",
        thread_id: str | None = None,
    ) -> None:
        ctx = get_context()
        self.name = name or ctx.config.ui.name
        self.type = type
        self.id = id or str(uuid.uuid4())
        self.parent_id = parent_id
        self.elements = elements or []
        self.metadata = dict(metadata or {})
        self.tags = tags
        self.language = language
        self.icon = icon
        self.default_open = default_open
        self.auto_collapse = auto_collapse
        self.show_input = show_input
        self.thread_id = thread_id or ctx.thread_id
        self.is_error = False
        self.streaming = False
        self.generation: dict[str, Any] | None = None
        # As Chainlit: created now; ``start`` is set when the step is entered.
        self.created_at: str | None = utc_now_iso()
        self.start: str | None = None
        self.end: str | None = None
        self._input = ""
        self._output = ""
        self._persisted = False
        self._token_stack: tuple[Step, ...] = ()

    @property
    def input(self) -> str:
        return self._input

    @input.setter
    def input(self, value: Any) -> None:
        self._input, _ = _stringify(value)

    @property
    def output(self) -> str:
        return self._output

    @output.setter
    def output(self, value: Any) -> None:
        self._output, language = _stringify(value)
        if language is not None:
            self.language = language

    def to_dict(self) -> dict[str, Any]:
        metadata = dict(self.metadata)
        if self.icon:
            metadata["icon"] = self.icon
        return {
            "name": self.name,
            "type": self.type,
            "id": self.id,
            "threadId": self.thread_id,
            "parentId": self.parent_id,
            "streaming": self.streaming,
            "metadata": metadata,
            "tags": self.tags,
            "input": self._input,
            "isError": self.is_error,
            "output": self._output,
            "createdAt": self.created_at,
            "start": self.start,
            "end": self.end,
            "language": self.language,
            "defaultOpen": self.default_open,
            "autoCollapse": self.auto_collapse,
            "showInput": self.show_input,
            "generation": self.generation,
        }

    async def send(self) -> Step:
        ctx = get_context()
        if self.created_at is None:
            self.created_at = utc_now_iso()
        if ctx.author_rename is not None:
            from switchboard.sdk.callbacks import call_user_function

            self.name = str(await call_user_function(ctx.author_rename, self.name))
        await emit_step(ctx, "new_message", self.to_dict())
        return self

    async def update(self) -> bool:
        await emit_step(get_context(), "update_message", self.to_dict())
        return True

    async def remove(self) -> bool:
        await emit_step(get_context(), "delete_message", self.to_dict())
        return True

    async def stream_token(
        self, token: str, is_sequence: bool = False, is_input: bool = False
    ) -> None:
        if not token:
            return
        if is_sequence:
            if is_input:
                self._input = token
            else:
                self._output = token
        elif is_input:
            self._input += token
        else:
            self._output += token
        ctx = get_context()
        if hidden_in_cot(ctx, self.to_dict()):
            # Chainlit sends a hidden step's stub for every token, never a stream.
            await emit_stub(ctx, self.to_dict())
            return
        if not self.streaming:
            self.streaming = True
            await emit_step(get_context(), "stream_start", self.to_dict())
            return
        await emit_token(get_context(), self.id, token, is_sequence=is_sequence, is_input=is_input)

    # --- context manager ---------------------------------------------------
    async def __aenter__(self) -> Step:
        self.start = utc_now_iso()
        stack = current_steps.get()
        if self.parent_id is None and stack:
            self.parent_id = stack[-1].id
        self._token_stack = stack
        current_steps.set((*stack, self))
        await self.send()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.end = utc_now_iso()
        if exc is not None:
            # A cancelled step (the user pressed stop) is an error too, as in Chainlit.
            self.output = str(exc)
            self.is_error = True
        current_steps.set(self._token_stack)
        self.streaming = False
        await self.update()

    def __enter__(self) -> Step:
        stack = current_steps.get()
        if self.parent_id is None and stack:
            self.parent_id = stack[-1].id
        self.start = utc_now_iso()
        self._token_stack = stack
        current_steps.set((*stack, self))
        _run_from_sync(self.send())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.end = utc_now_iso()
        if exc is not None:
            self.output = str(exc)
            self.is_error = True
        current_steps.set(self._token_stack)
        _run_from_sync(self.update())


def _run_from_sync(coro: Any) -> None:
    """Run SDK I/O from sync app code: on the loop if we are in a worker thread."""
    from switchboard.sdk.utils import run_sync

    run_sync(coro)


def step(
    original_function: Callable[..., Any] | None = None,
    *,
    name: str | None = "",
    type: str = "undefined",
    id: str | None = None,
    parent_id: str | None = None,
    tags: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    language: str | None = None,
    icon: str | None = None,
    show_input: bool | str = "json",
    default_open: bool = False,
    auto_collapse: bool = False,
) -> Any:
    """Decorate a sync or async function so each call is shown as a step."""

    def wrapper(func: F) -> F:
        step_name = name or func.__name__
        signature = inspect.signature(func)

        def arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            try:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                return copy.deepcopy(dict(bound.arguments))
            except (TypeError, copy.Error):
                return {"args": [str(a) for a in args], "kwargs": str(kwargs)}

        def make_step() -> Step:
            return Step(
                name=step_name,
                type=type,
                id=id,
                parent_id=parent_id,
                tags=tags,
                metadata=metadata,
                language=language,
                icon=icon,
                show_input=show_input,
                default_open=default_open,
                auto_collapse=auto_collapse,
            )

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                async with make_step() as s:
                    # Shown first, then given its input, as in Chainlit.
                    s.input = arguments(args, kwargs)
                    result = await func(*args, **kwargs)
                    if result and not s.output:
                        s.output = result
                    return result

            return cast(F, async_wrapper)

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            with make_step() as s:
                s.input = arguments(args, kwargs)
                result = func(*args, **kwargs)
                if result and not s.output:
                    s.output = result
                return result

        return cast(F, sync_wrapper)

    if original_function is not None:
        return wrapper(original_function)
    return wrapper
