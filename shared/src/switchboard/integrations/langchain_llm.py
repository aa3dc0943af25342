"""LangChain LLM calls as ``llm`` steps with a generation, and the final answer streamed.

An ``llm`` step shows no input and carries a ``ChatGeneration`` or
``CompletionGeneration``; a chat call's output stays empty (the answer is in
the generation). With ``stream_final_answer``, tokens after
``answer_prefix_tokens`` are streamed into a message.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from switchboard.integrations import missing_extra
from switchboard.integrations._bridge import on_session_loop
from switchboard.integrations.langchain_steps import RunSteps
from switchboard.integrations.langchain_values import llm_settings, message_dict, run_name
from switchboard.schema.steps import utc_now_iso
from switchboard.sdk.generation import ChatGeneration, CompletionGeneration
from switchboard.sdk.message import Message

try:
    from langchain_core.messages import BaseMessage
    from langchain_core.outputs import ChatGeneration as LcChatGeneration
    from langchain_core.outputs import LLMResult
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise missing_extra("langchain_core", "langchain") from exc

__all__ = ("DEFAULT_ANSWER_PREFIX_TOKENS", "LlmRun", "LlmSteps")

DEFAULT_ANSWER_PREFIX_TOKENS = ["Final", "Answer", ":"]


class LlmRun:
    """An LLM call in flight: what it was given, when it started, its tokens so far."""

    def __init__(
        self,
        serialized: dict[str, Any] | None,
        params: dict[str, Any] | None,
        parent: str | None,
        messages: list[BaseMessage] | None = None,
        prompt: str | None = None,
    ) -> None:
        self.serialized = serialized
        self.params = params
        self.parent = parent
        self.messages = messages
        self.prompt = prompt
        self.started = time.time()
        self.first_token_ms: float | None = None
        self.tokens = 0


class LlmSteps(RunSteps):
    """:class:`RunSteps` with LLM calls: generations, and the final answer streamed."""

    def __init__(
        self,
        answer_prefix_tokens: list[str] | None,
        stream_final_answer: bool,
        force_stream_final_answer: bool,
        to_ignore: list[str] | None,
        to_keep: list[str] | None,
    ) -> None:
        super().__init__(to_ignore, to_keep)
        self.answer_prefix_tokens = [
            t.strip() for t in (answer_prefix_tokens or DEFAULT_ANSWER_PREFIX_TOKENS)
        ]
        self.stream_final_answer = stream_final_answer or force_stream_final_answer
        self.answer_reached = force_stream_final_answer
        self.last_tokens: list[str] = []
        self.final_stream: Message | None = None
        self.llm_runs: dict[str, LlmRun] = {}

    def _forget(self, run_id: str) -> None:
        self.llm_runs.pop(run_id, None)

    # --- LLMs --------------------------------------------------------------
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
        run = LlmRun(
            serialized,
            kwargs.get("invocation_params"),
            str(parent_run_id) if parent_run_id else None,
            messages=messages[0] if messages else [],
        )
        await self._start_llm(run, kwargs, run_id, parent_run_id, tags)

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
        run = LlmRun(
            serialized,
            kwargs.get("invocation_params"),
            str(parent_run_id) if parent_run_id else None,
            prompt=prompts[0] if prompts else "",
        )
        await self._start_llm(run, kwargs, run_id, parent_run_id, tags)

    async def _start_llm(
        self,
        run: LlmRun,
        kwargs: dict[str, Any],
        run_id: UUID,
        parent_run_id: UUID | None,
        tags: list[str] | None,
    ) -> None:
        """Chat models and completion LLMs start the same ``llm`` step."""
        self.llm_runs[str(run_id)] = run
        name = run_name(run.serialized, kwargs, "llm")
        await self._start(run_id, parent_run_id, name, "llm", None, tags)

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
            if run.first_token_ms is None:
                run.first_token_ms = (time.time() - run.started) * 1000
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
        step = self.steps.get(str(run_id))
        if run is None or step is None:
            return
        first = (
            response.generations[0][0] if response.generations and response.generations[0] else None
        )
        provider, model, tools, settings = llm_settings(run.serialized, run.params)
        inputs = self.chain_inputs.get(run.parent or "") or {}
        variables = (
            {k: str(v) for k, v in inputs.items() if v is not None}
            if isinstance(inputs, dict)
            else {}
        )
        duration = time.time() - run.started
        throughput = run.tokens / duration if duration and run.tokens else None
        if isinstance(first, LcChatGeneration):
            generation: ChatGeneration | CompletionGeneration = ChatGeneration(
                provider=provider,
                model=model,
                tools=tools,
                variables=variables,
                settings=settings,
                duration=duration,
                token_throughput_in_s=throughput,
                tt_first_token=run.first_token_ms,
                messages=[message_dict(m) for m in run.messages or []],
                message_completion=message_dict(first.message),
            )
            for m in run.messages or []:
                if m.additional_kwargs.get("prompt_id"):
                    generation.prompt_id = m.additional_kwargs["prompt_id"]
                    custom = m.additional_kwargs.get("variables")
                    if isinstance(custom, dict):
                        generation.variables = {
                            k: str(v) for k, v in custom.items() if v is not None
                        }
                break
            step.language = "json"
        else:
            completion = first.text if first is not None else ""
            generation = CompletionGeneration(
                provider=provider,
                model=model,
                settings=settings,
                variables=variables,
                duration=duration,
                token_throughput_in_s=throughput,
                tt_first_token=run.first_token_ms,
                prompt=run.prompt,
                completion=completion,
            )
            step.output = completion
        step.generation = generation.to_dict()
        step.end = utc_now_iso()
        await on_session_loop(step.update())
        if self.final_stream is not None:
            await on_session_loop(self.final_stream.update())
