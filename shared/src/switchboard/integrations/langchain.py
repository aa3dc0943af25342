"""LangChain callback handler: chains, tools, retrievers and LLM calls as steps.

``cl.LangchainCallbackHandler()`` (or ``AsyncLangchainCallbackHandler``, the same
class) goes in a runnable's ``config={"callbacks": [...]}``. LLM steps carry a
``ChatGeneration`` or ``CompletionGeneration``; ``stream_final_answer`` streams
the answer after ``answer_prefix_tokens`` into a message.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from switchboard.integrations import missing_extra
from switchboard.integrations._bridge import on_session_loop
from switchboard.sdk.context import get_context
from switchboard.sdk.generation import ChatGeneration, CompletionGeneration
from switchboard.sdk.message import Message
from switchboard.sdk.step import Step

try:
    from langchain_core.callbacks import AsyncCallbackHandler
    from langchain_core.messages import BaseMessage
    from langchain_core.outputs import ChatGeneration as LcChatGeneration
    from langchain_core.outputs import LLMResult
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise missing_extra("langchain_core", "langchain") from exc

__all__ = ("AsyncLangchainCallbackHandler", "LangchainCallbackHandler", "LangchainTracer")

DEFAULT_ANSWER_PREFIX_TOKENS = ["Final", "Answer", ":"]
DEFAULT_TO_IGNORE = [
    "RunnableSequence",
    "RunnableParallel",
    "RunnableAssign",
    "RunnableLambda",
    "<lambda>",
]
DEFAULT_TO_KEEP = ["retriever", "llm", "agent", "chain", "tool"]
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
_NOT_SETTINGS = {"_type", "model", "model_name", "stream", "stop"}


def _run_name(serialized: dict[str, Any] | None, kwargs: dict[str, Any], default: str) -> str:
    name = kwargs.get("name")
    if name:
        return str(name)
    if serialized:
        if serialized.get("name"):
            return str(serialized["name"])
        ids = serialized.get("id")
        if isinstance(ids, list) and ids:
            return str(ids[-1])
    return default


def _message_dict(message: BaseMessage) -> dict[str, Any]:
    return {"role": _ROLES.get(message.type, message.type), "content": message.content}


class _LlmRun:
    def __init__(self, generation: ChatGeneration | CompletionGeneration) -> None:
        self.generation = generation
        self.started = time.perf_counter()
        self.first_token: float | None = None
        self.tokens = 0


class LangchainTracer(AsyncCallbackHandler):
    """Turns LangChain runs into Switchboard steps of the current session."""

    def __init__(
        self,
        answer_prefix_tokens: list[str] | None = None,
        stream_final_answer: bool = False,
        force_stream_final_answer: bool = False,
        to_ignore: list[str] | None = None,
        to_keep: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        get_context()  # a handler belongs to a session: fail early outside one
        self.answer_prefix_tokens = [
            t.strip() for t in (answer_prefix_tokens or DEFAULT_ANSWER_PREFIX_TOKENS)
        ]
        self.stream_final_answer = stream_final_answer or force_stream_final_answer
        self.answer_reached = force_stream_final_answer
        self.last_tokens: list[str] = []
        self.final_stream: Message | None = None
        self.to_ignore = DEFAULT_TO_IGNORE if to_ignore is None else to_ignore
        self.to_keep = DEFAULT_TO_KEEP if to_keep is None else to_keep
        self.steps: dict[str, Step] = {}
        self.llm_runs: dict[str, _LlmRun] = {}
        self.ignored: set[str] = set()
        self.parents: dict[str, str] = {}
        self.any_step = False

    # --- bookkeeping -------------------------------------------------------
    def _parent_step_id(self, parent_run_id: UUID | None) -> str | None:
        """The nearest step above: a kept ancestor run, else the open session step."""
        run_id = str(parent_run_id) if parent_run_id else None
        while run_id is not None:
            if run_id in self.steps:
                return self.steps[run_id].id
            run_id = self.parents.get(run_id)
        current = get_context().current_step
        return current.id if current else None

    def _ignored(self, run_id: UUID, parent_run_id: UUID | None, name: str, kind: str) -> bool:
        if parent_run_id is not None:
            self.parents[str(run_id)] = str(parent_run_id)
        by_name = any(pattern in name for pattern in self.to_ignore)
        by_parent = parent_run_id is not None and str(parent_run_id) in self.ignored
        if by_parent and not by_name and kind in self.to_keep:
            return False
        if by_name or by_parent:
            self.ignored.add(str(run_id))
            return True
        return False

    async def _start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        name: str,
        kind: str,
        step_type: str,
        inputs: Any,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        if self._ignored(run_id, parent_run_id, name, kind):
            return
        if kind in ("chain", "agent") and not self.any_step:
            step_type = "run"
        self.any_step = True
        step = Step(
            name=name,
            type=step_type,
            parent_id=self._parent_step_id(parent_run_id),
            tags=tags or None,
            metadata=metadata or None,
        )
        step.input = inputs
        self.steps[str(run_id)] = step
        await on_session_loop(step.send())

    async def _end(
        self, run_id: UUID, output: Any = None, error: BaseException | None = None
    ) -> None:
        step = self.steps.pop(str(run_id), None)
        if step is None:
            return
        from switchboard.schema.steps import utc_now_iso

        step.end = utc_now_iso()
        if error is not None:
            step.is_error = True
            step.output = str(error)
        elif output is not None:
            step.output = output
        await on_session_loop(step.update())

    # --- chains ------------------------------------------------------------
    async def on_chain_start(
        self,
        serialized: dict[str, Any],
        inputs: dict[str, Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = _run_name(serialized, kwargs, "chain")
        await self._start(run_id, parent_run_id, name, "chain", "undefined", inputs)

    async def on_chain_end(
        self,
        outputs: dict[str, Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        await self._end(run_id, outputs)
        if parent_run_id is None and self.final_stream is not None:
            await on_session_loop(self.final_stream.update())

    async def _on_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        await self._end(run_id, error=error)

    # A failed chain, tool or retriever ends its step the same way.
    on_chain_error = on_tool_error = on_retriever_error = _on_error

    # --- tools and retrievers ----------------------------------------------
    async def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = _run_name(serialized, kwargs, "tool")
        await self._start(run_id, parent_run_id, name, "tool", "tool", inputs or input_str)

    async def on_tool_end(
        self, output: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        await self._end(run_id, getattr(output, "content", output))

    async def on_retriever_start(
        self,
        serialized: dict[str, Any],
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = _run_name(serialized, kwargs, "retriever")
        await self._start(run_id, parent_run_id, name, "retriever", "tool", query)

    async def on_retriever_end(
        self,
        documents: Sequence[Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        docs = [{"page_content": d.page_content, "metadata": d.metadata} for d in documents]
        await self._end(run_id, docs)

    # --- LLMs --------------------------------------------------------------
    def _settings(self, kwargs: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        params: dict[str, Any] = kwargs.get("invocation_params") or {}
        model = params.get("model") or params.get("model_name")
        metadata = kwargs.get("metadata") or {}
        model = model or metadata.get("ls_model_name")
        settings = {k: v for k, v in params.items() if k not in _NOT_SETTINGS}
        return (str(model) if model else None), settings

    def _provider(self, serialized: dict[str, Any] | None, kwargs: dict[str, Any]) -> str | None:
        metadata = kwargs.get("metadata") or {}
        if metadata.get("ls_provider"):
            return str(metadata["ls_provider"])
        params = kwargs.get("invocation_params") or {}
        return str(params["_type"]) if params.get("_type") else None

    async def _start_llm(
        self,
        serialized: dict[str, Any],
        kwargs: dict[str, Any],
        run_id: UUID,
        parent_run_id: UUID | None,
        generation: ChatGeneration | CompletionGeneration,
        step_input: Any,
    ) -> None:
        self.llm_runs[str(run_id)] = _LlmRun(generation)
        name = _run_name(serialized, kwargs, "llm")
        await self._start(run_id, parent_run_id, name, "llm", "llm", step_input)

    async def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        chat = [_message_dict(m) for m in (messages[0] if messages else [])]
        kwargs["metadata"] = metadata
        model, settings = self._settings(kwargs)
        generation = ChatGeneration(
            provider=self._provider(serialized, kwargs),
            model=model,
            settings=settings,
            messages=chat,
            tags=list(tags or []),
        )
        await self._start_llm(serialized, kwargs, run_id, parent_run_id, generation, chat)

    async def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        prompt = prompts[0] if prompts else ""
        kwargs["metadata"] = metadata
        model, settings = self._settings(kwargs)
        generation = CompletionGeneration(
            provider=self._provider(serialized, kwargs),
            model=model,
            settings=settings,
            prompt=prompt,
            tags=list(tags or []),
        )
        await self._start_llm(serialized, kwargs, run_id, parent_run_id, generation, prompt)

    async def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: Any = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(token, str):
            token = "".join(
                part if isinstance(part, str) else str(part.get("text", "")) for part in token
            )
        run = self.llm_runs.get(str(run_id))
        if run is not None:
            run.tokens += 1
            if run.first_token is None:
                run.first_token = time.perf_counter() - run.started
        if not self.stream_final_answer or not token:
            return
        if not self.answer_reached:
            if not token.strip():
                return  # whitespace between the prefix's tokens
            self.last_tokens = [*self.last_tokens, token.strip()][-len(self.answer_prefix_tokens) :]
            self.answer_reached = self.last_tokens == self.answer_prefix_tokens
            return
        if self.final_stream is None:
            self.final_stream = Message(content="")
            await on_session_loop(self.final_stream.send())
        await on_session_loop(self.final_stream.stream_token(token))

    async def on_llm_end(
        self, response: LLMResult, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        run = self.llm_runs.pop(str(run_id), None)
        first = (
            response.generations[0][0] if response.generations and response.generations[0] else None
        )
        text = first.text if first is not None else ""
        usage: dict[str, Any] = {}
        if isinstance(first, LcChatGeneration):
            text = text or str(first.message.content)
            usage = dict(getattr(first.message, "usage_metadata", None) or {})
        llm_output = response.llm_output or {}
        token_usage = llm_output.get("token_usage") or llm_output.get("usage") or {}
        if run is not None:
            generation = run.generation
            generation.duration = time.perf_counter() - run.started
            generation.tt_first_token = run.first_token
            generation.input_token_count = usage.get("input_tokens") or token_usage.get(
                "prompt_tokens"
            )
            generation.output_token_count = usage.get("output_tokens") or token_usage.get(
                "completion_tokens"
            )
            generation.token_count = usage.get("total_tokens") or token_usage.get("total_tokens")
            if generation.output_token_count is None and run.tokens:
                generation.output_token_count = run.tokens
            if isinstance(generation, ChatGeneration):
                generation.message_completion = {"role": "assistant", "content": text}
            else:
                generation.completion = text
            step = self.steps.get(str(run_id))
            if step is not None:
                step.generation = generation.to_dict()
        await self._end(run_id, text)

    async def on_llm_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        run = self.llm_runs.pop(str(run_id), None)
        step = self.steps.get(str(run_id))
        if run is not None and step is not None:
            run.generation.error = str(error)
            step.generation = run.generation.to_dict()
        await self._end(run_id, error=error)


LangchainCallbackHandler = LangchainTracer
AsyncLangchainCallbackHandler = LangchainTracer
