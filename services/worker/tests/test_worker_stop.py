"""A stop that reaches the worker while a session's inbox runs dry is still applied.

The worker hears stops on a pub/sub channel and applies them between inputs. A stop
heard during the drain's last pop (inbox empty, the lock given back in the same
script) used to wait for the session's next input and so was never answered: a
client that pressed stop right after its chat start saw no ``on_stop`` reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from worker_support import StartWorker, send_message, ui_events

from switchboard.schema.control import StopRequest
from switchboard_worker.tasks import SessionDrainer
from tests.support.waiting import eventually

STOP_APP = """
import switchboard as cl


@cl.on_message
async def echo(message: cl.Message):
    await cl.Message(content=f"echo: {message.content}").send()


@cl.on_stop
async def stopped():
    await cl.Message(content="on_stop ran").send()
"""


def outputs(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["payload"]["output"]
        for e in events
        if e["type"] == "new_message" and e["payload"].get("type") == "assistant_message"
    ]


async def stop_at_the_last_pop(
    running: Any,
    redis_client: aioredis.Redis,
    session: Any,
    after_pop: Callable[[], Awaitable[None]] | None = None,
) -> tuple[SessionDrainer, list[StopRequest]]:
    """Make the session's next pop that finds its inbox empty hear a stop first.

    The stop is published and heard by the worker while the pop is in flight (the
    real pop script runs right after); ``after_pop`` runs once it returned.
    """
    await eventually(_is(lambda: "drainer" in running.worker.ctx), "the worker started")
    drainer: SessionDrainer = running.worker.ctx["drainer"]
    pop = drainer._pop
    sent: list[StopRequest] = []

    async def pop_after_a_stop(*, keys: list[str], args: list[str]) -> Any:
        inbox_empty = await redis_client.llen(running.names.inbox(session.id)) == 0  # type: ignore[misc]
        if not inbox_empty or sent:
            return await pop(keys=keys, args=args)
        request = StopRequest(session_id=session.id, thread_id=session.thread_id)
        sent.append(request)
        await running.streams.publish_control(request)
        await eventually(_is(lambda: session.id in drainer.pending_stops), "the stop heard")
        popped = await pop(keys=keys, args=args)
        if after_pop is not None:
            await after_pop()
        return popped

    drainer._pop = pop_after_a_stop  # type: ignore[assignment]
    return drainer, sent


async def test_a_stop_heard_during_the_last_pop_runs_on_stop_at_once(
    running_worker: StartWorker, redis_client: aioredis.Redis
) -> None:
    async with running_worker(STOP_APP) as running:
        session = await running.new_session()
        drainer, stops_sent = await stop_at_the_last_pop(running, redis_client, session)
        await send_message(running.streams, session, "hello")

        async def answered() -> bool:
            return "on_stop ran" in outputs(
                await ui_events(redis_client, running.names, session.id)
            )

        await eventually(answered, "on_stop's reply")
        assert stops_sent
        assert outputs(await ui_events(redis_client, running.names, session.id)) == [
            "echo: hello",
            "Task manually stopped.",
            "on_stop ran",
        ]
        # Nothing is left to surprise the session's next input.
        assert session.id not in drainer.pending_stops
        await eventually(
            _is(lambda: session.id not in drainer.held), "the session given back after the stop"
        )
        await send_message(running.streams, session, "again")

        async def replied_again() -> bool:
            return "echo: again" in outputs(
                await ui_events(redis_client, running.names, session.id)
            )

        await eventually(replied_again, "the reply to the next message")
        shown = outputs(await ui_events(redis_client, running.names, session.id))
        assert shown.count("Task manually stopped.") == 1


def _is(condition: Any) -> Any:
    async def check() -> bool:
        await asyncio.sleep(0)
        return bool(condition())

    return check


async def test_a_stop_for_a_session_another_worker_took_is_passed_on_with_its_thread(
    running_worker: StartWorker, redis_client: aioredis.Redis
) -> None:
    async with running_worker(STOP_APP) as running:
        session = await running.new_session()

        async def another_worker_takes_it() -> None:
            # Another worker takes the session for a new input before this one retakes it.
            await redis_client.set(running.names.lock(session.id), "another-worker", px=5000)

        async with redis_client.pubsub() as pubsub:
            await pubsub.subscribe(running.names.control)
            drainer, sent = await stop_at_the_last_pop(
                running, redis_client, session, another_worker_takes_it
            )
            await send_message(running.streams, session, "hello")
            heard: list[StopRequest] = []

            async def passed_on() -> bool:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
                if message is not None and message["type"] == "message":
                    stop = StopRequest.model_validate_json(message["data"])
                    if sent and stop.id != sent[0].id:
                        heard.append(stop)
                return bool(heard)

            await eventually(passed_on, "the stop passed on to the session's new worker")
        [again] = heard
        # A stop of its own (the first is claimed here), for the same session and thread.
        assert (again.session_id, again.thread_id) == (session.id, session.thread_id)
        assert session.id not in drainer.pending_stops
