"""Chainlit's behaviour around each app callback: run steps, tasks, errors, resume.

One method per kind of session input, each emitting the events Chainlit's
client expects around the app's callback (reference §1.6).
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from switchboard.replies import send_reply
from switchboard.schema.depth import MAX_JSON_DEPTH, json_depth
from switchboard.schema.events import (
    AudioConnection,
    FirstInteraction,
    FirstInteractionPayload,
    ResumeThread,
    ResumeThreadError,
    TaskEnd,
    TaskStart,
)
from switchboard.schema.jobs import (
    ActionInput,
    AudioChunkInput,
    AudioEndInput,
    AudioStartInput,
    EditMessageInput,
    MessageInput,
    Reply,
)
from switchboard.schema.persist import ThreadUpsert, ThreadUpsertPayload
from switchboard.schema.session import SessionRecord
from switchboard.schema.steps import ThreadDict
from switchboard.sdk.action import Action
from switchboard.sdk.ask import uploaded_files
from switchboard.sdk.audio import InputAudioChunk
from switchboard.sdk.callbacks import call_user_function
from switchboard.sdk.context import SessionContext
from switchboard.sdk.element import attachment
from switchboard.sdk.message import ErrorMessage, Message
from switchboard.sdk.step import Step
from switchboard_worker.base import RunnerBase

__all__ = ("CallbackFlows",)

logger = logging.getLogger(__name__)

METADATA_LIMIT = 1_048_576


class CallbackFlows(RunnerBase):
    async def _audio(
        self, ctx: SessionContext, item: AudioStartInput | AudioChunkInput | AudioEndInput
    ) -> None:
        """Chainlit's audio handlers: start answers ``audio_connection``, end is a run."""
        if isinstance(item, AudioStartInput):
            hook = self.app.get("on_audio_start")
            connected = False
            if hook is not None:
                try:
                    connected = bool(await call_user_function(hook))
                except Exception:
                    logger.exception("on_audio_start failed", extra={"session_id": ctx.session_id})
            await ctx.emitter.emit(
                AudioConnection(
                    session_id=ctx.session_id,
                    thread_id=ctx.thread_id,
                    payload="on" if connected else "off",
                )
            )
        elif isinstance(item, AudioChunkInput):
            chunk = InputAudioChunk(
                isStart=item.payload.isStart,
                mimeType=item.payload.mimeType,
                elapsedTime=item.payload.elapsedTime,
                data=base64.b64decode(item.payload.data),
            )
            await self._call("on_audio_chunk", ctx, chunk)
        else:
            await self._task_event(ctx, start=True)
            try:
                # Chainlit starts the thread in a background task.
                await ctx.emitter.first_interaction(ctx.session_id, "audio", deferred=True)
                hook = self.app.get("on_audio_end")
                if hook is not None:
                    async with Step(name="on_audio_end", type="run") as run:
                        await self.note_run_step(ctx, run)
                        await call_user_function(hook)
            except Exception:
                logger.exception("on_audio_end failed", extra={"session_id": ctx.session_id})
            finally:
                await ctx.emitter.flush()
                await self._task_event(ctx, start=False)

    async def _chat_start(self, ctx: SessionContext) -> None:
        if self.app.on_chat_start is None:
            return
        await self._task_event(ctx, start=True)
        try:
            async with Step(name="on_chat_start", type="run") as run:
                run.input = {}
                await self.note_run_step(ctx, run)
                await call_user_function(self.app.on_chat_start)
        except Exception as exc:
            logger.exception("on_chat_start failed", extra={"session_id": ctx.session_id})
            await ErrorMessage(content=str(exc), author="Error").send()
        finally:
            await self._task_event(ctx, start=False)

    async def _switch_to_thread(
        self, session: SessionRecord
    ) -> tuple[dict[str, Any] | None, SessionRecord]:
        """Load the thread to resume (owner-checked) and move the session onto it."""
        thread_id = session.thread_id_to_resume
        thread = await self.threads.get(thread_id, session.user) if thread_id else None
        if thread is None:
            return None, session
        metadata: dict[str, Any] = thread.get("metadata") or {}
        session = session.model_copy(
            update={
                "thread_id": thread["id"],
                "thread_id_to_resume": None,
                "chat_profile": metadata.get("chat_profile") or session.chat_profile,
            }
        )
        restored = {k: v for k, v in metadata.items() if k not in _SESSION_METADATA_KEYS}
        await self.state.move_to_thread(session, metadata.get("chat_settings") or {}, restored)
        return thread, session

    async def _resume(self, ctx: SessionContext) -> None:
        thread = ctx.resumed_thread
        ids = {"session_id": ctx.session_id, "thread_id": ctx.thread_id}
        if thread is None:
            await ctx.emitter.emit(ResumeThreadError(payload="Thread not found.", **ids))
            await self._chat_start(ctx)
            return
        await ctx.emitter.emit(
            FirstInteraction(
                payload=FirstInteractionPayload(interaction="resume", thread_id=thread["id"]),
                **ids,
            )
        )
        await self._task("on_chat_resume", ctx, thread)
        for step in thread.get("steps", []):
            if step.get("type") in ("user_message", "assistant_message", "system_message"):
                ctx.chat_messages.append(step)
                await ctx.emitter.chat_context_add(ctx.session_id, step)
        await ctx.emitter.emit(ResumeThread(payload=ThreadDict.model_validate(thread), **ids))

    async def _message(self, ctx: SessionContext, item: MessageInput | EditMessageInput) -> None:
        step = item.payload.message
        first = None
        if item.payload.first_interaction is not None:
            first = FirstInteraction(
                session_id=ctx.session_id,
                thread_id=ctx.thread_id,
                payload=FirstInteractionPayload(
                    interaction=item.payload.first_interaction, thread_id=ctx.thread_id
                ),
            )
        await self._task_event(ctx, start=True)
        try:
            # Chainlit starts the thread in a background task, which runs while
            # on_message is about to be called; without on_message, after task_end.
            if first is not None and self.app.on_message is not None:
                await ctx.emitter.emit(first)
                first = None
            message = Message(
                content=step.output or "",
                author=step.name or "User",
                type="user_message",
                id=step.id,
                parent_id=step.parentId,
                metadata=step.metadata,
                command=step.command,
                modes=step.modes,
                created_at=step.createdAt,
            )
            references = item.payload.file_references if isinstance(item, MessageInput) else []
            if references:
                attached = await uploaded_files(references, for_id=message.id)
                message.elements = [attachment(element) for _, element in attached]
                for element in message.elements:
                    await element.send(for_id=message.id)
            data = message.to_dict()
            ctx.chat_messages.append(data)
            await ctx.emitter.chat_context_add(ctx.session_id, data)
            if self.app.on_message is None:
                return
            try:
                async with Step(name="on_message", type="run", parent_id=message.id) as run:
                    await self.note_run_step(ctx, run)
                    try:
                        await call_user_function(self.app.on_message, message)
                    finally:
                        run.input = message.content
            except Exception:
                # Chainlit shows this as the run step's error, not as a message.
                logger.exception(
                    "on_message failed",
                    extra={"session_id": ctx.session_id, "thread_id": ctx.thread_id},
                )
        finally:
            await self._task_event(ctx, start=False)
            if first is not None:
                await ctx.emitter.emit(first)

    async def _edit_message(self, ctx: SessionContext, item: EditMessageInput) -> None:
        edited = item.payload.message
        ids = [m.get("id") for m in ctx.chat_messages]
        if edited.id not in ids:
            logger.info("edit of an unknown message ignored", extra={"session_id": ctx.session_id})
            return
        for later in ctx.chat_messages[ids.index(edited.id) + 1 :]:
            await Message(
                content=later.get("output") or "",
                id=later["id"],
                type=later.get("type") or "assistant_message",
                parent_id=later.get("parentId"),
            ).remove()
        original = next(m for m in ctx.chat_messages if m.get("id") == edited.id)
        ctx.chat_messages[:] = ctx.chat_messages[: ids.index(edited.id)]
        message = Message(
            content=edited.output or "",
            author=original.get("name"),
            type="user_message",
            id=edited.id,
            parent_id=original.get("parentId"),
            created_at=original.get("createdAt"),
        )
        await message.update()
        ctx.chat_messages.pop()  # _message adds it back in order
        await self._message(ctx, MessageInput(session_id=ctx.session_id, payload=item.payload))

    async def _action(self, ctx: SessionContext, item: ActionInput) -> None:
        action = item.payload.action
        callback = self.app.actions.get(action.name)
        if callback is None:
            reply = Reply(
                ok=False, status=404, detail=f"No callback found for action {action.name}"
            )
        else:
            # Chainlit starts the thread in a background task that the callback's
            # first event overtakes: first_interaction is shown right after it.
            await ctx.emitter.first_interaction(ctx.session_id, action.name, deferred=True)
            try:
                value = await call_user_function(callback, Action.from_dict(action))
                reply = Reply(ok=True, value=_jsonable(value))
            except Exception as exc:
                logger.exception("action callback failed", extra={"session_id": ctx.session_id})
                reply = Reply(ok=False, status=500, detail=str(exc))
            finally:
                await ctx.emitter.flush()
        await send_reply(
            self.streams.redis, self.streams.names, ctx.session_id, item.payload.reply_id, reply
        )

    async def _task(self, hook: str, ctx: SessionContext, *args: Any) -> None:
        """Chainlit's ``with_task``: task events around the hook, errors as a message."""
        callback = self.app.get(hook)
        if callback is None:
            return
        await self._task_event(ctx, start=True)
        try:
            await call_user_function(callback, *args)
        except Exception as exc:
            logger.exception("callback failed", extra={"session_id": ctx.session_id, "hook": hook})
            await ErrorMessage(content=str(exc), author="Error").send()
        finally:
            await self._task_event(ctx, start=False)

    async def _call(self, hook: str, ctx: SessionContext, *args: Any) -> None:
        callback = self.app.get(hook)
        if callback is None:
            return
        try:
            await call_user_function(callback, *args)
        except Exception:
            logger.exception("callback failed", extra={"session_id": ctx.session_id, "hook": hook})

    async def _chat_end(self, ctx: SessionContext) -> None:
        try:
            if self.app.on_chat_end is not None:
                await call_user_function(self.app.on_chat_end)
        except Exception:
            logger.exception("on_chat_end failed", extra={"session_id": ctx.session_id})
        try:
            await self._persist_session_metadata(ctx)
        except Exception:
            logger.exception("session metadata not saved", extra={"session_id": ctx.session_id})
        finally:
            self.user_sessions.forget(ctx.session_id)
            await self.streams.redis.delete(*self.streams.names.session_keys(ctx.session_id))

    async def _persist_session_metadata(self, ctx: SessionContext) -> None:
        """Keep what ``on_chat_resume`` needs in the thread (Chainlit's to_persistable)."""
        if not await self.state.interacted(ctx.session_id):
            return  # no thread was created for this session
        metadata: dict[str, Any] = {k: v for k, v in ctx.user_session.items() if _is_json(v)}
        metadata.update(
            {
                "chat_settings": ctx.chat_settings,
                "chat_profile": ctx.session.chat_profile,
                "client_type": ctx.session.client_type,
                "env": ctx.session.user_env if self.config.project.persist_user_env else {},
            }
        )
        if (
            len(json.dumps(metadata)) > METADATA_LIMIT
            or json_depth(metadata, stop_after=MAX_JSON_DEPTH) > MAX_JSON_DEPTH
        ):
            metadata = {
                "message": f"Metadata exceeds the limit of {METADATA_LIMIT} bytes or "
                f"{MAX_JSON_DEPTH} levels. Redacted."
            }
        await self.streams.persist(
            ThreadUpsert(
                session_id=ctx.session_id,
                thread_id=ctx.thread_id,
                payload=ThreadUpsertPayload(metadata=metadata),
            )
        )

    async def _task_event(self, ctx: SessionContext, *, start: bool) -> None:
        if not start and ctx.checkpoint is not None:
            # What the callback changed is stored before the client hears it ended.
            await ctx.checkpoint()
        event = TaskStart if start else TaskEnd
        await ctx.emitter.emit(event(session_id=ctx.session_id, thread_id=ctx.thread_id))


# Thread metadata keys that describe the session rather than user_session values.
_SESSION_METADATA_KEYS = frozenset(
    {"chat_settings", "chat_profile", "client_type", "env", "is_shared", "shared_at"}
)


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)
