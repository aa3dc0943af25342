"""Blocking prompts: the worker shows an ``ask`` and waits for the answer on Redis.

The answer may come through any gateway; a client that reconnects while an
ask is pending is shown it again (see docs/distributed-semantics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchboard.schema.events import Ask, AskPayload, ClearAsk, TaskEnd, TaskStart
from switchboard.schema.steps import AskSpec, StepDict, utc_now_iso
from switchboard.sdk._emit import emit_step
from switchboard.sdk.action import Action
from switchboard.sdk.context import get_context
from switchboard.sdk.element import File
from switchboard.sdk.message import Message

__all__ = (
    "AskActionMessage",
    "AskElementMessage",
    "AskFileMessage",
    "AskFileResponse",
    "AskTimeoutError",
    "AskUserMessage",
)


@dataclass(frozen=True, slots=True)
class AskFileResponse:
    """An uploaded file, downloaded to the worker's disk for the app to read."""

    id: str
    name: str
    path: str
    size: int
    type: str


async def uploaded_files(refs: list[Any], for_id: str | None) -> list[tuple[AskFileResponse, File]]:
    """Resolve ``[{id}]`` references the session's user may read; others are dropped."""
    ctx = get_context()
    found: list[tuple[AskFileResponse, File]] = []
    for ref in refs:
        file_id = ref if isinstance(ref, str) else ref.get("id") if isinstance(ref, dict) else None
        if not isinstance(file_id, str):
            continue
        loaded = await ctx.emitter.load_file(ctx.session_id, file_id)
        if loaded is None:
            continue
        stored, path = loaded
        response = AskFileResponse(
            id=stored.id, name=stored.name, path=str(path), size=stored.size, type=stored.mime
        )
        element = File(
            id=stored.id,
            name=stored.name,
            path=str(path),
            mime=stored.mime,
            for_id=for_id,
            chainlit_key=stored.id,
        )
        found.append((response, element))
    return found


class AskTimeoutError(TimeoutError):
    """Raised by ``send()`` on timeout when ``raise_on_timeout`` is set."""


class _AskMessage(Message):
    def __init__(
        self,
        content: str,
        author: str | None = None,
        type: str = "assistant_message",
        timeout: int = 60,
        raise_on_timeout: bool = False,
    ) -> None:
        super().__init__(content=content, author=author, type=type)
        self.timeout = timeout
        self.raise_on_timeout = raise_on_timeout

    def _spec(self) -> AskSpec:
        raise NotImplementedError

    async def _answered(self, answer: Any) -> None:
        """Record an answer before the ask is cleared (Chainlit's ``send_ask_user``)."""

    async def _ask(self) -> Any:
        ctx = get_context()
        ids = {"session_id": ctx.session_id, "thread_id": ctx.thread_id}
        if self.created_at is None:
            self.created_at = utc_now_iso()
        self.wait_for_answer = True
        # The ask event itself puts the message in the browser's tree; store it only.
        await emit_step(ctx, "persist_only", self.to_dict())
        event = Ask(
            payload=AskPayload(msg=StepDict.model_validate(self.to_dict()), spec=self._spec()),
            **ids,
        )
        if ctx.checkpoint is not None:
            await ctx.checkpoint()  # the answer may be handled while another worker runs
        try:
            answer = await ctx.emitter.ask(event)
        except TimeoutError as exc:
            # As Chainlit: ``ask_timeout`` (shown by the emitter), then the task resumes.
            self.wait_for_answer = False
            await ctx.emitter.emit(TaskStart(**ids))
            if self.raise_on_timeout:
                raise AskTimeoutError(f"no answer within {self.timeout} s") from exc
            return None
        self.wait_for_answer = False
        await ctx.emitter.emit(TaskEnd(**ids))
        if answer:
            await self._answered(answer)
        await ctx.emitter.emit(ClearAsk(**ids))
        await ctx.emitter.emit(TaskStart(**ids))
        return answer

    async def remove(self) -> bool:
        ctx = get_context()
        await super().remove()
        await ctx.emitter.emit(ClearAsk(session_id=ctx.session_id, thread_id=ctx.thread_id))
        return True


class AskUserMessage(_AskMessage):
    """Ask for a text answer; returns the user's step dict (``output`` holds the text)."""

    def _spec(self) -> AskSpec:
        return AskSpec(timeout=self.timeout, type="text", step_id=self.id)

    _reply: dict[str, Any] | None = None

    async def _answered(self, answer: Any) -> None:
        ctx = get_context()
        step = StepDict.model_validate(answer)
        step.threadId = ctx.thread_id
        step.type = "user_message"
        step.createdAt = utc_now_iso()
        data = step.wire()
        await emit_step(ctx, "persist_only", data)
        await ctx.emitter.chat_context_add(ctx.session_id, data)
        # Chainlit starts the thread in a background task: shown after clear_ask.
        await ctx.emitter.first_interaction(ctx.session_id, step.output or "", deferred=True)
        self._reply = data

    async def send(self) -> dict[str, Any] | None:  # type: ignore[override]
        self._reply = None
        if await self._ask() is None:
            return None
        return self._reply


class AskActionMessage(_AskMessage):
    """Ask the user to pick one of ``actions``; returns the chosen action's dict."""

    def __init__(
        self,
        content: str,
        actions: list[Action],
        author: str | None = None,
        timeout: int = 90,
        raise_on_timeout: bool = False,
    ) -> None:
        super().__init__(content, author=author, timeout=timeout, raise_on_timeout=raise_on_timeout)
        self.actions = actions

    def _spec(self) -> AskSpec:
        return AskSpec(
            timeout=self.timeout, type="action", step_id=self.id, keys=[a.id for a in self.actions]
        )

    async def send(self) -> dict[str, Any] | None:  # type: ignore[override]
        for action in self.actions:
            action.forId = self.id
        for action in self.actions:
            await action.send(for_id=self.id)
        answer = await self._ask()
        for action in self.actions:
            await action.remove()
        chosen = self._chosen(answer)
        if chosen is None:
            self.content = "Timed out: no action was taken"
        else:
            self.content = f"**Selected:** {chosen.label}"
        await self.update()
        return chosen.to_dict() if chosen is not None else None

    def _chosen(self, answer: Any) -> Action | None:
        if not isinstance(answer, dict):
            return None
        return next((a for a in self.actions if a.id == answer.get("id")), None)

    async def _answered(self, answer: Any) -> None:
        chosen = self._chosen(answer)
        if chosen is not None:
            ctx = get_context()
            await ctx.emitter.first_interaction(ctx.session_id, chosen.name)


class AskFileMessage(_AskMessage):
    """Ask for file uploads; returns ``[{id, name, path, size, type}]``."""

    def __init__(
        self,
        content: str,
        accept: list[str] | dict[str, list[str]],
        max_size_mb: int = 2,
        max_files: int = 1,
        author: str | None = None,
        timeout: int = 90,
        raise_on_timeout: bool = False,
    ) -> None:
        super().__init__(content, author=author, timeout=timeout, raise_on_timeout=raise_on_timeout)
        self.accept = accept
        self.max_size_mb = max_size_mb
        self.max_files = max_files

    def _spec(self) -> AskSpec:
        return AskSpec(
            timeout=self.timeout,
            type="file",
            step_id=self.id,
            accept=self.accept,
            max_files=self.max_files,
            max_size_mb=self.max_size_mb,
        )

    _files: list[tuple[AskFileResponse, File]] | None = None

    async def _answered(self, answer: Any) -> None:
        ctx = get_context()
        refs = list(answer)[: self.max_files] if isinstance(answer, list) else []
        self._files = await uploaded_files(refs, for_id=self.id)
        names = ",".join(response.name for response, _ in self._files)
        if names:
            await ctx.emitter.first_interaction(ctx.session_id, names)

    async def send(self) -> list[AskFileResponse] | None:  # type: ignore[override]
        self._files = None
        answer = await self._ask()
        files = self._files
        if not answer or files is None:
            return None
        for _, element in files:
            # As Chainlit: stored with the thread, not shown (the ask shows the upload).
            await element.persist_only(for_id=self.id)
        return [response for response, _ in files]


class AskElementMessage(_AskMessage):
    """Ask the user to fill a custom element; returns ``{submitted, ...props}``."""

    def __init__(
        self,
        content: str,
        element: Any,
        author: str | None = None,
        timeout: int = 90,
        raise_on_timeout: bool = False,
    ) -> None:
        super().__init__(content, author=author, timeout=timeout, raise_on_timeout=raise_on_timeout)
        self.element = element

    def _spec(self) -> AskSpec:
        return AskSpec(
            timeout=self.timeout, type="element", step_id=self.id, element_id=self.element.id
        )

    async def _answered(self, answer: Any) -> None:
        ctx = get_context()
        await ctx.emitter.first_interaction(ctx.session_id, "custom_element")

    async def send(self) -> dict[str, Any] | None:  # type: ignore[override]
        # The form is shown first (the browser builds it from the element's
        # props), then asked for, then taken away, as in Chainlit.
        await self.element.send(for_id=self.id)
        answer = await self._ask()
        await self.element.remove()
        if answer is None:
            self.content = "Timed out"
        elif answer.get("submitted"):
            self.content = "Thanks for submitting"
        else:
            self.content = "Cancelled"
        await self.update()
        return dict(answer) if answer is not None else None
