"""``instrument_openai()``: every OpenAI-SDK chat completion becomes an ``llm`` step.

Streamed and non-streamed calls, async and sync clients. Outside a session
callback the SDK is called untouched.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from switchboard.sdk.context import ContextError, get_context
from switchboard.sdk.generation import ChatGeneration
from switchboard.sdk.step import Step

__all__ = ("instrument_mistralai", "instrument_openai")

_SETTING_KEYS = ("temperature", "max_tokens", "top_p", "frequency_penalty", "presence_penalty")


def _in_session() -> bool:
    try:
        get_context()
    except ContextError:
        return False
    return True


def _start(kwargs: dict[str, Any]) -> tuple[Step, ChatGeneration]:
    messages = [dict(m) for m in kwargs.get("messages", [])]
    generation = ChatGeneration(
        provider="openai",
        model=kwargs.get("model"),
        messages=messages,
        settings={k: kwargs[k] for k in _SETTING_KEYS if k in kwargs},
        tools=kwargs.get("tools"),
    )
    step = Step(name=str(kwargs.get("model") or "llm"), type="llm")
    step.input = json.dumps(messages, indent=4, ensure_ascii=False, default=str)
    return step, generation


def _finish(step: Step, generation: ChatGeneration, text: str, started: float, usage: Any) -> None:
    generation.duration = time.perf_counter() - started
    generation.message_completion = {"role": "assistant", "content": text}
    if usage is not None:
        generation.input_token_count = getattr(usage, "prompt_tokens", None)
        generation.output_token_count = getattr(usage, "completion_tokens", None)
        generation.token_count = getattr(usage, "total_tokens", None)
    step.output = text
    step.generation = generation.to_dict()


class _AsyncStreamProxy:
    """Iterates the SDK's stream for the app while recording it on the step."""

    def __init__(self, stream: Any, step: Step, generation: ChatGeneration, started: float) -> None:
        self._stream = stream
        self._step = step
        self._generation = generation
        self._started = started

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    async def __aiter__(self) -> AsyncIterator[Any]:
        parts: list[str] = []
        usage = None
        try:
            async for chunk in self._stream:
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    if not parts:
                        self._generation.tt_first_token = (
                            time.perf_counter() - self._started
                        ) * 1000
                    parts.append(chunk.choices[0].delta.content)
                usage = getattr(chunk, "usage", None) or usage
                yield chunk
        except Exception as exc:
            self._step.is_error = True
            self._generation.error = str(exc)
            raise
        finally:
            _finish(self._step, self._generation, "".join(parts), self._started, usage)
            await self._step.__aexit__(None, None, None)


def _wrap_async(original: Any) -> Any:
    @functools.wraps(original)
    async def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _in_session():
            return await original(self, *args, **kwargs)
        step, generation = _start(kwargs)
        await step.__aenter__()
        started = time.perf_counter()
        try:
            result = await original(self, *args, **kwargs)
        except Exception as exc:
            generation.error = str(exc)
            step.generation = generation.to_dict()
            await step.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        if kwargs.get("stream"):
            return _AsyncStreamProxy(result, step, generation, started)
        text = result.choices[0].message.content or "" if result.choices else ""
        _finish(step, generation, text, started, getattr(result, "usage", None))
        await step.__aexit__(None, None, None)
        return result

    create.__switchboard_instrumented__ = True  # type: ignore[attr-defined]
    return create


def _wrap_sync(original: Any) -> Any:
    @functools.wraps(original)
    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _in_session() or kwargs.get("stream"):
            return original(self, *args, **kwargs)
        step, generation = _start(kwargs)
        with step:
            started = time.perf_counter()
            result = original(self, *args, **kwargs)
            text = result.choices[0].message.content or "" if result.choices else ""
            _finish(step, generation, text, started, getattr(result, "usage", None))
        return result

    create.__switchboard_instrumented__ = True  # type: ignore[attr-defined]
    return create


def instrument_openai() -> None:
    """Patch the installed ``openai`` package (idempotent)."""
    try:
        from openai.resources.chat import completions
    except ImportError as exc:
        raise ImportError("instrument_openai() needs the 'openai' package installed") from exc
    for cls, wrap in (
        (completions.AsyncCompletions, _wrap_async),
        (completions.Completions, _wrap_sync),
    ):
        original = cls.create
        if not getattr(original, "__switchboard_instrumented__", False):
            cls.create = wrap(original)  # type: ignore[method-assign]


def instrument_mistralai() -> None:
    """Mistral's SDK is not supported yet; fail loudly rather than silently do nothing."""
    raise NotImplementedError("instrument_mistralai() is not supported by Switchboard yet")
