"""Upsert semantics of the repository, on SQLite and PostgreSQL."""

from __future__ import annotations

from persistence_support import new_id, step_delete, step_upsert, thread_upsert
from sqlalchemy import update

from switchboard.schema import PersistEvent
from switchboard_persistence.repository import STEPS, THREADS, Repository


async def test_thread_and_steps_in_creation_order(repository: Repository) -> None:
    tid, first, second, third = new_id(), new_id(), new_id(), new_id()
    stamp = "2025-03-01T10:00:00.000000Z"
    await repository.apply(
        [
            thread_upsert(tid, name="hello " * 100, user_id="u1", user_identifier="alice"),
            step_upsert(tid, id=first, type="user_message", output="hi", createdAt=stamp),
            # Same timestamp: arrival order breaks the tie.
            step_upsert(tid, id=second, type="run", parentId=first, createdAt=stamp),
            step_upsert(
                tid, id=third, type="assistant_message", output="yo", createdAt=stamp[:-2] + "1Z"
            ),
        ]
    )
    thread = await repository.get_thread(tid)
    assert thread is not None
    assert thread.name is not None and len(thread.name) == 255
    assert (thread.userId, thread.userIdentifier) == ("u1", "alice")
    assert thread.createdAt.endswith("Z")
    assert [s.id for s in thread.steps] == [first, second, third]
    assert thread.steps[1].parentId == first
    assert all(s.threadId == tid for s in thread.steps)


async def test_redelivered_events_change_nothing(repository: Repository) -> None:
    tid, sid = new_id(), new_id()
    events: list[PersistEvent] = [
        thread_upsert(tid, name="t", user_identifier="alice", metadata={"a": 1}),
        step_upsert(tid, id=sid, type="assistant_message", output="partial"),
        step_upsert(tid, id=sid, output="partial and more", streaming=False),
    ]
    await repository.apply(events)
    before = await repository.get_thread(tid)
    await repository.apply(events)
    await repository.apply(events[1:])
    after = await repository.get_thread(tid)
    assert after == before
    assert after is not None and len(after.steps) == 1
    assert after.steps[0].output == "partial and more"


async def test_one_batch_writing_a_step_several_times_keeps_every_field(
    repository: Repository,
) -> None:
    """The consumer's batch goes to the database as one executemany: later writes of a
    step in it carry other fields than the first, and none of them is dropped."""
    tid, user, run, answer = new_id(), new_id(), new_id(), new_id()
    await repository.apply(
        [
            step_upsert(tid, id=user, type="user_message", output="hello"),
            step_upsert(tid, id=run, type="run", parentId=user),
            step_upsert(tid, id=answer, type="assistant_message", parentId=run, output="he"),
            step_upsert(tid, id=answer, output="hello back", streaming=False),
            step_upsert(tid, id=run, input="hello", metadata={"k": 1}),
        ]
    )
    thread = await repository.get_thread(tid)
    assert thread is not None
    assert [s.id for s in thread.steps] == [user, run, answer]
    assert (thread.steps[1].input, thread.steps[1].metadata) == ("hello", {"k": 1})
    assert (thread.steps[2].output, thread.steps[2].streaming) == ("hello back", False)
    assert thread.steps[2].parentId == run


async def test_empty_text_never_erases_and_new_values_win(repository: Repository) -> None:
    tid, sid = new_id(), new_id()
    await repository.apply(
        [
            step_upsert(
                tid, id=sid, type="tool", input="question", output="answer", metadata={"k": 1}
            ),
            step_upsert(tid, id=sid, input="", output="", metadata={}, isError=True, name="n"),
        ]
    )
    thread = await repository.get_thread(tid)
    assert thread is not None
    step = thread.steps[0]
    assert (step.input, step.output) == ("question", "answer")
    assert step.metadata == {"k": 1}
    assert (step.isError, step.name) == (True, "n")


async def test_run_never_overwrites_a_specific_type(repository: Repository) -> None:
    tid, tool, generic = new_id(), new_id(), new_id()
    await repository.apply(
        [
            step_upsert(tid, id=tool, type="tool"),
            step_upsert(tid, id=tool, type="run"),
            step_upsert(tid, id=generic, type="run"),
            step_upsert(tid, id=generic, type="llm"),
        ]
    )
    thread = await repository.get_thread(tid)
    assert thread is not None
    assert {s.id: s.type for s in thread.steps} == {tool: "tool", generic: "llm"}


async def test_step_creates_a_bare_thread(repository: Repository) -> None:
    tid, sid = new_id(), new_id()
    await repository.apply([step_upsert(tid, id=sid, type="assistant_message", output="x")])
    thread = await repository.get_thread(tid)
    assert thread is not None
    assert (thread.userIdentifier, thread.name, thread.metadata) == (None, None, {})
    # The thread upsert that follows still names and owns it.
    await repository.apply([thread_upsert(tid, name="later", user_identifier="bob")])
    thread = await repository.get_thread(tid)
    assert thread is not None and (thread.name, thread.userIdentifier) == ("later", "bob")


async def test_thread_metadata_merges_and_none_deletes(repository: Repository) -> None:
    tid = new_id()
    await repository.apply(
        [
            thread_upsert(tid, user_identifier="alice", tags=["a"], metadata={"x": 1, "y": 2}),
            thread_upsert(tid, metadata={"x": None, "z": {"deep": True}}),
            thread_upsert(tid, tags=["b", "c"]),
        ]
    )
    thread = await repository.get_thread(tid)
    assert thread is not None
    assert thread.metadata == {"y": 2, "z": {"deep": True}}
    assert thread.tags == ["b", "c"]
    assert thread.userIdentifier == "alice"


async def test_a_thread_never_changes_owner(repository: Repository) -> None:
    tid = new_id()
    await repository.apply(
        [
            thread_upsert(tid, name="mine", user_identifier="alice"),
            thread_upsert(tid, name="stolen", user_identifier="mallory", metadata={"x": 1}),
        ]
    )
    thread = await repository.get_thread(tid)
    assert thread is not None
    assert (thread.name, thread.userIdentifier, thread.metadata) == ("mine", "alice", {})


async def test_a_step_id_used_in_another_thread_is_a_step_of_its_own(
    repository: Repository,
) -> None:
    """Clients choose step ids: reusing one elsewhere neither changes nor reveals the first."""
    victim, other, sid = new_id(), new_id(), new_id()
    newer = step_upsert(victim, id=sid, type="user_message", output="secret")
    older = step_upsert(other, id=sid, type="user_message", output="mine").model_copy(
        update={"ts": newer.ts - 60}
    )
    await repository.apply([newer])
    # Older than the victim's write: versions are per thread, so it is still applied.
    await repository.apply([older])

    async def steps(tid: str) -> list[tuple[str, str | None]]:
        thread = await repository.get_thread(tid)
        assert thread is not None
        return [(s.id, s.output) for s in thread.steps]

    assert await steps(victim) == [(sid, "secret")]
    assert await steps(other) == [(sid, "mine")]
    await repository.apply([step_upsert(other, id=sid, output="edited"), step_delete(other, sid)])
    assert await steps(victim) == [(sid, "secret")]
    assert await steps(other) == []


async def test_delete_removes_the_step_and_its_descendants(repository: Repository) -> None:
    tid, root, child, grandchild, other = (new_id() for _ in range(5))
    await repository.apply(
        [
            step_upsert(tid, id=root, type="run"),
            step_upsert(tid, id=child, type="tool", parentId=root),
            step_upsert(tid, id=grandchild, type="llm", parentId=child),
            step_upsert(tid, id=other, type="assistant_message"),
            step_delete(tid, root),
            step_delete(tid, new_id()),  # unknown: nothing to do
        ]
    )
    thread = await repository.get_thread(tid)
    assert thread is not None
    assert [s.id for s in thread.steps] == [other]


async def test_nul_characters_are_dropped(repository: Repository) -> None:
    tid, sid = new_id(), new_id()
    await repository.apply(
        [
            thread_upsert(tid, name="a\x00b", metadata={"k\x00": "v\x00"}),
            step_upsert(tid, id=sid, output="x\x00y", metadata={"m": ["\x00"]}),
        ]
    )
    thread = await repository.get_thread(tid)
    assert thread is not None
    assert (thread.name, thread.metadata) == ("ab", {"k": "v"})
    assert (thread.steps[0].output, thread.steps[0].metadata) == ("xy", {"m": [""]})


async def test_deleted_threads_are_not_returned(repository: Repository) -> None:
    tid = new_id()
    await repository.apply([thread_upsert(tid, name="gone")])
    async with repository.engine.begin() as conn:
        await conn.execute(
            update(THREADS).where(THREADS.c.id == tid).values(deleted_at=THREADS.c.updated_at)
        )
    assert await repository.get_thread(tid) is None
    assert await repository.get_thread(new_id()) is None


async def test_updated_at_follows_activity(repository: Repository) -> None:
    tid, sid = new_id(), new_id()
    first = thread_upsert(tid, name="t")
    await repository.apply([first])
    later = step_upsert(tid, id=sid, output="x").model_copy(update={"ts": first.ts + 60})
    await repository.apply([later])
    async with repository.engine.connect() as conn:
        row = (
            await conn.execute(
                THREADS.select()
                .where(THREADS.c.id == tid)
                .with_only_columns(THREADS.c.created_at, THREADS.c.updated_at)
            )
        ).one()
        seq = (await conn.execute(STEPS.select().where(STEPS.c.id == sid))).one().seq
    assert (row.updated_at - row.created_at).total_seconds() == 60
    assert seq == 1


async def test_a_late_older_write_never_overwrites_a_newer_one(repository: Repository) -> None:
    tid, sid = new_id(), new_id()
    older = step_upsert(tid, id=sid, type="tool", output="draft")
    newer = step_upsert(tid, id=sid, output="final")
    assert older.ts < newer.ts
    # A reclaimed batch delivers the older write after the newer one was applied.
    await repository.apply([thread_upsert(tid, name="t"), newer])
    await repository.apply([older])
    thread = await repository.get_thread(tid)
    assert thread is not None
    assert [s.output for s in thread.steps] == ["final"]
    # A newer write still wins.
    await repository.apply([step_upsert(tid, id=sid, output="edited")])
    thread = await repository.get_thread(tid)
    assert thread is not None and thread.steps[0].output == "edited"
