"""LangChain runs as steps: where each goes, which are hidden, and their start, end and errors.

Chains, tools and retrievers are handled here; LLM calls in
:mod:`switchboard.integrations.langchain_llm`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from switchboard.integrations import missing_extra
from switchboard.integrations._bridge import on_session_loop
from switchboard.integrations.langchain_values import jsonable, run_name, step_content
from switchboard.schema.steps import utc_now_iso
from switchboard.sdk.context import get_context
from switchboard.sdk.step import Step

try:
    from langchain_core.callbacks import AsyncCallbackHandler
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise missing_extra("langchain_core", "langchain") from exc

__all__ = ("DEFAULT_TO_IGNORE", "DEFAULT_TO_KEEP", "STEP_TYPES", "RunSteps")

DEFAULT_TO_IGNORE = [
    "RunnableSequence",
    "RunnableParallel",
    "RunnableAssign",
    "RunnableLambda",
    "<lambda>",
]
DEFAULT_TO_KEEP = ["retriever", "llm", "agent", "chain", "tool"]
# Step type of each LangChain run type (a first chain is a "run"; others are undefined).
STEP_TYPES = {
    "agent": "run",
    "llm": "llm",
    "retriever": "tool",
    "tool": "tool",
    "embedding": "embedding",
}


class RunSteps(AsyncCallbackHandler):
    """Steps of the current session for LangChain's runs (see ``LangchainTracer``)."""

    def __init__(self, to_ignore: list[str] | None, to_keep: list[str] | None) -> None:
        super().__init__()
        current = get_context().current_step  # a handler belongs to a session
        self.root_parent_id = current.id if current else None
        self.to_ignore = DEFAULT_TO_IGNORE if to_ignore is None else to_ignore
        self.to_keep = DEFAULT_TO_KEEP if to_keep is None else to_keep
        self.steps: dict[str, Step] = {}
        self.chain_inputs: dict[str, Any] = {}
        self.ignored: set[str] = set()
        self.parents: dict[str, str] = {}
        self.any_step = False

    def _forget(self, run_id: str) -> None:
        """Drop what a subclass keeps about a run that failed."""

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
            self.chain_inputs[str(run_id)] = jsonable(inputs)
        ignored, parent = self._placed(run_id, parent_run_id, name, kind)
        if ignored:
            return
        step_type = STEP_TYPES.get(kind, "undefined")
        if kind == "chain" and not self.any_step:
            step_type = "run"
        self.any_step = True
        step = Step(id=str(run_id), name=name, type=step_type, parent_id=parent)
        step.start = utc_now_iso()
        if step_type != "llm":
            shown, language = step_content(inputs)
            step.input = shown
            step.show_input = language or False
        step.tags = list(tags or [])
        self.steps[str(run_id)] = step
        await on_session_loop(step.send())

    async def _end(self, run_id: UUID, outputs: Any) -> None:
        step = self.steps.get(str(run_id))
        if step is None:
            return
        shown, language = step_content(outputs)
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
        self._forget(str(run_id))
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
        name = run_name(serialized, kwargs, "chain")
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
        name = run_name(serialized, kwargs, "tool")
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
        name = run_name(serialized, kwargs, "retriever")
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
