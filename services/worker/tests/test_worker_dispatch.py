"""The worker's dispatch, in process against a real Redis.

A real worker (``create_worker``: app module, arq poll loop, wake-ups, the
``run_session`` job) runs a small app written to ``tmp_path``. Sessions are created
through the sessions service and inputs are queued the way the gateway queues them;
what the worker did is read back from the session's UI stream (what the relay sends
to the browser), the persistence stream, and the session's inbox and lock.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from worker_support import RunningWorker, StartWorker, persisted, send_message, ui_events

from switchboard.schema.jobs import ChatStartInput
from switchboard.schema.session import SessionRecord
from tests.support.waiting import eventually

ECHO_APP = """
import asyncio

import switchboard as cl


@cl.on_chat_start
async def start():
    await cl.Message(content="welcome").send()


@cl.on_message
async def echo(message: cl.Message):
    # Long enough for later inputs to wait in the inbox while this one runs.
    await asyncio.sleep(0.02)
    await cl.Message(content=f"echo: {message.content}").send()
"""


def replies(events: list[dict[str, Any]]) -> list[str]:
    """The outputs of the assistant messages among UI or persisted step events."""
    return [
        e["payload"]["output"]
        for e in events
        if e["type"] in ("new_message", "step_upsert")
        and e["payload"].get("type") == "assistant_message"
    ]


async def tasks_ended(
    redis: aioredis.Redis, running: RunningWorker, session: SessionRecord, count: int
) -> None:
    async def check() -> bool:
        events = await ui_events(redis, running.names, session.id)
        return sum(1 for e in events if e["type"] == "task_end") >= count

    await eventually(check, f"{count} task_end events in session {session.id}")


async def test_a_queued_message_runs_on_message_and_its_reply_is_streamed_and_persisted(
    running_worker: StartWorker, redis_client: aioredis.Redis
) -> None:
    async with running_worker(ECHO_APP) as running:
        session = await running.new_session()
        user_step = await send_message(running.streams, session, "hello")
        await tasks_ended(redis_client, running, session, 1)

        events = await ui_events(redis_client, running.names, session.id)
        assert all(e["session_id"] == session.id for e in events)
        assert all(e["thread_id"] == session.thread_id for e in events)
        types = [e["type"] for e in events]
        assert types[0] == "task_start"
        assert types[-1] == "task_end"
        assert types.count("task_start") == types.count("task_end") == 1
        # The thread starts with this message.
        (first,) = [e for e in events if e["type"] == "first_interaction"]
        assert first["payload"] == {"interaction": "hello", "thread_id": session.thread_id}
        # on_message runs as a run step under the user's message; the reply sits under it.
        runs = [
            e["payload"]
            for e in events
            if e["type"] in ("new_message", "update_message") and e["payload"]["type"] == "run"
        ]
        assert {r["name"] for r in runs} == {"on_message"}
        assert {r["parentId"] for r in runs} == {user_step}
        assert runs[-1]["input"] == "hello"
        assert runs[-1]["end"] is not None
        (reply,) = [
            e["payload"]
            for e in events
            if e["type"] == "new_message" and e["payload"]["type"] == "assistant_message"
        ]
        assert reply["output"] == "echo: hello"
        assert reply["parentId"] == runs[0]["id"]
        assert reply["threadId"] == session.thread_id

        # The persistence stream has the thread, the user's step, the run and the reply.
        stored = await persisted(redis_client, running.names, session.id)
        assert stored[0]["type"] == "thread_upsert"
        assert stored[0]["payload"]["name"] == "hello"
        steps = [e["payload"] for e in stored if e["type"] == "step_upsert"]
        assert steps[0]["id"] == user_step
        assert [s["id"] for s in steps if s["type"] == "assistant_message"] == [reply["id"]]
        assert replies(stored) == ["echo: hello"]
        assert steps[-1]["id"] == runs[0]["id"]
        assert steps[-1]["end"] is not None

        # Done: the inbox is empty and the session is no longer held by a worker.
        assert await redis_client.llen(running.names.inbox(session.id)) == 0  # type: ignore[misc]
        await eventually(
            lambda: _released(redis_client, running, session), "the session lock released"
        )


async def _released(redis: aioredis.Redis, running: RunningWorker, session: SessionRecord) -> bool:
    held = await redis.exists(running.names.lock(session.id))
    listed = await redis.zscore(running.names.running, session.id)
    return held == 0 and listed is None


async def test_a_sessions_inputs_run_one_at_a_time_in_the_order_queued(
    running_worker: StartWorker, redis_client: aioredis.Redis
) -> None:
    async with running_worker(ECHO_APP) as running:
        session = await running.new_session()
        texts = [f"message {i}" for i in range(5)]
        for text in texts:
            await send_message(running.streams, session, text)
        await tasks_ended(redis_client, running, session, len(texts))

        events = await ui_events(redis_client, running.names, session.id)
        assert replies(events) == [f"echo: {text}" for text in texts]
        # Never two inputs at once: each task ends before the next starts.
        markers = [e["type"] for e in events if e["type"] in ("task_start", "task_end")]
        assert markers == ["task_start", "task_end"] * len(texts)
        stored = await persisted(redis_client, running.names, session.id)
        assert replies(stored) == [f"echo: {text}" for text in texts]


async def test_chat_start_output_is_shown_at_once_and_persisted_from_the_first_message(
    running_worker: StartWorker, redis_client: aioredis.Redis
) -> None:
    async with running_worker(ECHO_APP) as running:
        session = await running.new_session()
        # What the gateway queues on ``connection_successful``.
        await running.streams.enqueue(
            ChatStartInput(session_id=session.id, thread_id=session.thread_id)
        )
        await tasks_ended(redis_client, running, session, 1)
        assert replies(await ui_events(redis_client, running.names, session.id)) == ["welcome"]
        # No thread before the user interacts (Chainlit's rule): nothing persisted yet.
        assert await persisted(redis_client, running.names, session.id) == []

        user_step = await send_message(running.streams, session, "hi")
        await tasks_ended(redis_client, running, session, 2)
        stored = await persisted(redis_client, running.names, session.id)
        # The thread first, then what chat start had held back, then the message.
        assert stored[0]["type"] == "thread_upsert"
        steps = [e["payload"] for e in stored if e["type"] == "step_upsert"]
        user_at = [s["id"] for s in steps].index(user_step)
        assert replies(stored[: user_at + 1]) == ["welcome"]
        assert replies(stored) == ["welcome", "echo: hi"]


async def test_sessions_are_served_side_by_side_each_with_its_own_replies(
    running_worker: StartWorker, redis_client: aioredis.Redis
) -> None:
    async with running_worker(ECHO_APP) as running:
        sessions = [await running.new_session() for _ in range(4)]
        for round_ in range(2):
            for index, session in enumerate(sessions):
                await send_message(running.streams, session, f"s{index} r{round_}")
        for index, session in enumerate(sessions):
            await tasks_ended(redis_client, running, session, 2)
            events = await ui_events(redis_client, running.names, session.id)
            assert replies(events) == [f"echo: s{index} r0", f"echo: s{index} r1"]
