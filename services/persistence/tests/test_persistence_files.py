"""Files over HTTP: streamed upload with a size cap, owner-checked streamed download, delete.

Run on both databases with local storage, and once more end to end on an S3 server.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from persistence_support import auth, new_id, s3_overrides, thread_upsert, with_overrides
from sqlalchemy import func, select

from switchboard.schema import UserRef
from switchboard_persistence.app import create_app
from switchboard_persistence.db.sql import FILES
from switchboard_persistence.repository import Repository
from switchboard_persistence.settings import PersistenceSettings
from switchboard_persistence.storage import ObjectStorage

ALICE = UserRef(identifier="alice-f", id="u-alice")
BOB = UserRef(identifier="bob-f", id="u-bob")


async def _upload(
    client: httpx.AsyncClient,
    user: UserRef | None,
    content: bytes | AsyncIterator[bytes],
    mime: str = "text/plain",
    **params: str,
) -> httpx.Response:
    params.setdefault("name", "notes.txt")
    params.setdefault("session_id", "sess-f")
    return await client.post(
        "/files", params=params, content=content, headers={**auth(user), "content-type": mime}
    )


async def _file_rows(app: FastAPI, session_id: str) -> int:
    repo: Repository = app.state.repository
    query = select(func.count()).select_from(FILES).where(FILES.c.session_id == session_id)
    async with repo.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


def _stored_objects(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.is_file()]


async def test_upload_download_delete(app: FastAPI, client: httpx.AsyncClient) -> None:
    storage: ObjectStorage = app.state.storage
    response = await _upload(
        client, ALICE, b"hello", mime="text/plain; charset=utf-8", name='r\u00e9sum\u00e9 "1".txt'
    )
    assert response.status_code == 200, response.text
    stored = response.json()
    assert stored["mime"] == "text/plain"
    assert (stored["size"], stored["userIdentifier"], stored["sessionId"]) == (
        5,
        "alice-f",
        "sess-f",
    )
    assert stored["threadId"] is None
    assert await storage.exists(stored["objectKey"])

    download = await client.get(f"/files/{stored['id']}", headers=auth(ALICE))
    assert download.status_code == 200
    assert download.content == b"hello"
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-length"] == "5"
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="r_sum_ _1_.txt"')
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.txt" in disposition

    assert (await client.delete(f"/files/{stored['id']}", headers=auth(ALICE))).json() == {
        "success": True
    }
    assert not await storage.exists(stored["objectKey"])
    gone = await client.get(f"/files/{stored['id']}", headers=auth(ALICE))
    assert (gone.status_code, gone.json()) == (404, {"detail": "File not found"})


async def test_large_uploads_stream_through(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Bigger than the in-memory spool, sent chunked with no declared length."""
    payload = os.urandom(3 * 1024 * 1024 + 11)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 256 * 1024):
            yield payload[start : start + 256 * 1024]

    response = await _upload(client, ALICE, chunks(), mime="application/x-bin")
    assert response.status_code == 200, response.text
    file_id = response.json()["id"]
    assert response.json()["size"] == len(payload)
    download = await client.get(f"/files/{file_id}", headers=auth(ALICE))
    assert download.content == payload


async def test_anonymous_files_belong_to_their_session(client: httpx.AsyncClient) -> None:
    stored = (await _upload(client, None, b"anon", session_id="sess-anon")).json()
    assert stored["userIdentifier"] is None
    path = f"/files/{stored['id']}"
    assert (await client.get(path, headers=auth(None))).status_code == 404
    wrong = await client.get(path, params={"session_id": "other"}, headers=auth(None))
    assert wrong.status_code == 404
    assert (
        await client.get(path, params={"session_id": "sess-anon"}, headers=auth(ALICE))
    ).status_code == 404
    ok = await client.get(path, params={"session_id": "sess-anon"}, headers=auth(None))
    assert ok.content == b"anon"
    assert (await client.delete(path, headers=auth(None))).status_code == 404
    deleted = await client.delete(path, params={"session_id": "sess-anon"}, headers=auth(None))
    assert deleted.json() == {"success": True}


async def test_chosen_ids_threads_and_reuploads(app: FastAPI, client: httpx.AsyncClient) -> None:
    repo: Repository = app.state.repository
    storage: ObjectStorage = app.state.storage
    tid, fid = new_id(), new_id()
    await repo.apply([thread_upsert(tid, user_identifier=ALICE.identifier)])
    first = (await _upload(client, ALICE, b"one", file_id=fid, thread_id="")).json()
    assert first["id"] == fid and first["objectKey"] == f"sessions/sess-f/files/{fid}"
    second = (await _upload(client, ALICE, b"two!", file_id=fid, thread_id=tid)).json()
    assert second["objectKey"] == f"threads/{tid}/files/{fid}"
    assert not await storage.exists(first["objectKey"])  # the old object went with it
    download = await client.get(f"/files/{fid}", headers=auth(ALICE))
    assert download.content == b"two!"

    for bad in ({"session_id": "../x"}, {"file_id": "a/b"}, {"thread_id": "."}, {"name": ""}):
        response = await _upload(client, ALICE, b"x", **bad)
        assert response.status_code == 422, bad


async def test_size_limit_is_enforced_while_streaming(settings: PersistenceSettings) -> None:
    limited = with_overrides(settings, max_file_bytes=1000)
    app = create_app(limited)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://p") as client:

            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(3):
                    yield b"x" * 400

            sid = new_id()
            streamed = await _upload(client, ALICE, chunks(), session_id=sid)
            declared = await _upload(client, ALICE, b"y" * 1001, session_id=sid)
            exact = await _upload(client, ALICE, b"z" * 1000, session_id=sid)
        assert streamed.status_code == 413, streamed.text
        assert declared.status_code == 413
        assert streamed.json()["detail"].startswith("File too large")
        assert exact.status_code == 200
        assert await _file_rows(app, sid) == 1
    assert _stored_objects(Path(limited.storage_dir)) == [exact.json()["id"]]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_files_and_thread_delete_on_s3(
    settings: PersistenceSettings, moto_endpoint: str
) -> None:
    """The same routes with the S3 backend: bytes land in the bucket and leave with the thread."""
    overrides: dict[str, Any] = s3_overrides(moto_endpoint, Path(settings.storage_dir) / "spool")
    app = create_app(with_overrides(settings, **overrides))
    async with app.router.lifespan_context(app):
        storage: ObjectStorage = app.state.storage
        repo: Repository = app.state.repository
        tid = new_id()
        await repo.apply([thread_upsert(tid, user_identifier=ALICE.identifier)])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://p") as client:
            payload = os.urandom(2 * 1024 * 1024)
            stored = (await _upload(client, ALICE, payload, thread_id=tid)).json()
            assert await storage.exists(stored["objectKey"])
            download = await client.get(f"/files/{stored['id']}", headers=auth(ALICE))
            assert download.content == payload
            assert (
                await client.get(f"/files/{stored['id']}", headers=auth(BOB))
            ).status_code == 404
            deleted = await client.delete(f"/threads/{tid}", headers=auth(ALICE))
            assert deleted.json() == {"success": True}
            assert not await storage.exists(stored["objectKey"])
