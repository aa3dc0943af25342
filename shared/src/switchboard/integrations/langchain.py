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
from switchboard.schema.steps import utc_now_iso
from switchboard.sdk.context import get_context
from switchboard.sdk.generation import ChatGeneration, CompletionGeneration
from switchboard.sdk.message import Message
from switchboard.sdk.step import Step

try:
    from langchain_core.callbacks import AsyncCallbackHandler
    from langchain_core.load import dumps
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
_MODEL_KEYS = ("azure_deployment", "deployment_name", "model", "model_name")
# Step type of each LangChain run type (a first chain is a "run"; others are undefined).
_STEP_TYPES = {
    "agent": "run",
    "llm": "llm",
    "retriever": "tool",
    "tool": "tool",
    "embedding": "embedding",
}


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


def _role(kind: str) -> str:
    """Chainlit's role of a LangChain message type (by substring, as it matches)."""
    kind = kind.lower()
    for part, role in (("human", "user"), ("system", "system"), ("function", "function")):
        if part in kind:
            return role
    return "tool" if "tool" in kind else "assistant"


def _message_dict(message: BaseMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": _role(message.type), "content": ""}
    if message.additional_kwargs.get("uuid"):
        out["uuid"] = message.additional_kwargs["uuid"]
        out["templated"] = True
    if getattr(message, "name", None):
        out["name"] = message.name
    function_call = message.additional_kwargs.get("function_call")
    if function_call:
        out["function_call"] = function_call
        return out
    if not isinstance(message.content, list):
        out["content"] = message.content
        return out
    tool_calls: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for item in message.content:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "tool_use":
            function = {"name": item.get("name"), "arguments": item.get("input")}
            tool_calls.append({"id": item.get("id"), "type": "function", "function": function})
        elif item.get("type") == "text":
            parts.append({"type": "text", "text": item.get("text")})
    if tool_calls:
        out["tool_calls"] = tool_calls
    if parts:
        out["content"] = parts
    return out


def _content(value: Any) -> tuple[Any, str | None]:
    """What a non-LLM step shows of a run's inputs or outputs, and its language."""
    if value is None:
        return {}, None
    if isinstance(value, str):
        return {"content": value}, "text"
    return dumps(value), "json"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    model_dump = getattr(value, "model_dump", None)
    return model_dump() if callable(model_dump) else str(value)


def _llm_settings(
    serialized: dict[str, Any] | None, params: dict[str, Any] | None
) -> tuple[str, str | None, list[dict[str, Any]] | None, dict[str, Any]]:
    """Provider, model, tools and settings of an LLM call, from its invocation params."""
    params = dict(params or {})
    provider = str(params.pop("_type", "") or "")
    model_kwargs = params.pop("model_kwargs", None) or {}
    merged = {**params, **model_kwargs, **((serialized or {}).get("kwargs") or {})}
    settings = {k: v for k, v in merged.items() if not str(k).endswith("_api_key")}
    model = next((settings[k] for k in _MODEL_KEYS if k in settings), None)
    if isinstance(model, str):
        model = model.replace("models/", "")
    tools: list[dict[str, Any]] | None = None
    if "functions" in settings:
        tools = [{"type": "function", "function": f} for f in settings["functions"]]
    if "tools" in settings:
        tools = [
            t if t.get("type") == "function" else {"type": "function", "function": t}
            for t in settings["tools"]
        ]
    return provider, (str(model) if model is not None else None), tools, _jsonable(settings)


class _LlmRun:
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


class LangchainTracer(AsyncCallbackHandler):
    """Turns LangChain runs into Switchboard steps of the current session.

    As Chainlit's tracer: a step's id is its run's id; runs named in ``to_ignore``
    (and runs under them, unless their type is in ``to_keep``) are not shown; an
    ``llm`` step shows no input, carries a generation, and a chat call's output
    stays empty (the answer is in the generation).
    """

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
        current = get_context().current_step  # a handler belongs to a session
        self.root_parent_id = current.id if current else None
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
        self.chain_inputs: dict[str, Any] = {}
        self.ignored: set[str] = set()
        self.parents: dict[str, str] = {}
        self.any_step = False

    # --- bookkeeping -------------------------------------------------------
    def _kept_parent(self, parent: str | None) -> str | None:
        """The nearest shown ancestor of a kept run whose parent is hidden."""
        if not parent:
            return self.root_parent_id
        if parent not in self.parents:
            return None
        while parent in self.parents:
            if parent not in self.ignored:
                return parent
            parent = self.parents[parent]
        return self.root_parent_id

    def _placed(self, run_id: UUID, parent_run_id: UUID | None, name: str, kind: str) -> Any:
        """``(ignored, parent step id)`` of a starting run."""
        parent = str(parent_run_id) if parent_run_id else self.root_parent_id
        if parent:
            self.parents[str(run_id)] = parent
        by_name = any(pattern in name for pattern in self.to_ignore)
        by_parent = parent in self.ignored
        if by_parent and not by_name and kind in self.to_keep:
            return False, self._kept_parent(parent)
        if by_name or by_parent:
            self.ignored.add(str(run_id))
            return True, parent
        return False, parent

    async def _start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        name: str,
        kind: str,
        inputs: Any,
        tags: list[str] | None,
    ) -> None:
        if kind in ("chain", "prompt"):
            self.chain_inputs[str(run_id)] = _jsonable(inputs)
        ignored, parent = self._placed(run_id, parent_run_id, name, kind)
        if ignored:
            return
        step_type = _STEP_TYPES.get(kind, "undefined")
        if kind == "chain" and not self.any_step:
            step_type = "run"
        self.any_step = True
        step = Step(id=str(run_id), name=name, type=step_type, parent_id=parent)
        step.start = utc_now_iso()
        if step_type != "llm":
            shown, language = _content(inputs)
            step.input = shown
            step.show_input = language or False
        step.tags = list(tags or [])
        self.steps[str(run_id)] = step
        await on_session_loop(step.send())

    async def _end(self, run_id: UUID, outputs: Any) -> None:
        step = self.steps.get(str(run_id))
        if step is None:
            return
        shown, language = _content(outputs)
        step.output = shown
        step.language = language
        step.end = utc_now_iso()
        await on_session_loop(step.update())

    async def _on_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        self.llm_runs.pop(str(run_id), None)
        step = self.steps.get(str(run_id))
        if step is None:
            return
        step.is_error = True
        step.output = str(error)
        step.end = utc_now_iso()
        await on_session_loop(step.update())

    # A failed run of any kind ends its step the same way.
    on_chain_error = on_tool_error = on_retriever_error = on_llm_error = _on_error

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
        kind = str(kwargs.get("run_type") or "chain")
        wrapped = inputs if isinstance(inputs, dict) else {"input": inputs}
        await self._start(run_id, parent_run_id, name, kind, wrapped, tags)

    async def on_chain_end(
        self,
        outputs: dict[str, Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        await self._end(run_id, outputs if isinstance(outputs, dict) else {"output": outputs})

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
        shown = inputs if isinstance(inputs, dict) else {"input": input_str}
        await self._start(run_id, parent_run_id, name, "tool", shown, tags)

    async def on_tool_end(
        self, output: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        await self._end(run_id, {"output": output})

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
        await self._start(run_id, parent_run_id, name, "retriever", {"query": query}, tags)

    async def on_retriever_end(
        self,
        documents: Sequence[Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        await self._end(run_id, {"documents": list(documents)})

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
        parent = str(parent_run_id) if parent_run_id else None
        self.llm_runs[str(run_id)] = _LlmRun(
            serialized,
            kwargs.get("invocation_params"),
            parent,
            messages=messages[0] if messages else [],
        )
        name = _run_name(serialized, kwargs, "llm")
        await self._start(run_id, parent_run_id, name, "llm", None, tags)

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
        parent = str(parent_run_id) if parent_run_id else None
        self.llm_runs[str(run_id)] = _LlmRun(
            serialized,
            kwargs.get("invocation_params"),
            parent,
            prompt=prompts[0] if prompts else "",
        )
        name = _run_name(serialized, kwargs, "llm")
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
        provider, model, tools, settings = _llm_settings(run.serialized, run.params)
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
                messages=[_message_dict(m) for m in run.messages or []],
                message_completion=_message_dict(first.message),
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


LangchainCallbackHandler = LangchainTracer
AsyncLangchainCallbackHandler = LangchainTracer
