"""Tokens end when their user's credentials change, on every gateway at once.

A password change, a removal, or new metadata (roles) at sign-in used to leave
the user's old tokens working on REST and on new and open sockets; a token
correctly signed for a user that never existed was accepted; and removing the
last user with a password silently turned login off.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
import redis.asyncio as aioredis
import socketio

from switchboard.names import RedisNames
from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory
from tests.support.signin import login_required
from tests.support.users_cli import run_users

SECRET = "test-auth-secret-" + "c" * 40
PASSWORD = "first-passphrase"
NEW_PASSWORD = "second-passphrase"
THREADS = {"pagination": {"first": 5}, "filter": {}}
pytestmark = pytest.mark.timeout(300)


def _users(stack: Any, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    """``switchboard users ...`` against the stack's auth database and Redis."""
    return run_users(stack, *args, password=password)


def _add(stack: Any, identifier: str) -> None:
    added = _users(stack, "add", identifier, password=PASSWORD)
    assert added.returncode == 0, added.stderr


@pytest.fixture
def store_stack(make_stack: StackFactory) -> Any:
    """The built-in user store, two gateways: a change must reach both."""
    stack = make_stack(
        TEST_APPS / "store_app.py", extra_env={"CHAINLIT_AUTH_SECRET": SECRET}, gateways=2
    )
    _add(stack, "erin")
    _add(stack, "frank")
    return stack


async def _login(url: str, username: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        await login_required(http)
        response = await http.post("/login", data={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return str(http.cookies["access_token"])


async def _accepted(url: str, token: str) -> tuple[int, int]:
    """Status codes of ``GET /user`` and ``POST /project/threads`` with the token."""
    cookies = {"access_token": token}
    async with httpx.AsyncClient(base_url=url, timeout=20, cookies=cookies) as http:
        user = await http.get("/user")
        threads = await http.post("/project/threads", json=THREADS)
        return user.status_code, threads.status_code


async def _socket(client_factory: Any, url: str, token: str) -> ChainlitClient:
    client: ChainlitClient = client_factory(url, headers={"Cookie": f"access_token={token}"})
    await client.start()
    assert client.sio.connected
    return client


async def _refused_socket(client_factory: Any, url: str, token: str | None) -> None:
    headers = {"Cookie": f"access_token={token}"} if token else {}
    client: ChainlitClient = client_factory(url, headers=headers)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect()
    assert client.connect_error == {"message": "authentication failed"}


async def _dropped(client: ChainlitClient) -> None:
    for _ in range(100):
        if not client.sio.connected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the open socket was not dropped")


async def _token_ended(stack: Any, client_factory: Any, token: str) -> None:
    for url in stack.gateway_urls():
        assert await _accepted(url, token) == (401, 401), url
        await _refused_socket(client_factory, url, token)


def _forged(identifier: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"identifier": identifier, "display_name": None, "metadata": {}, "iat": now}
    return jwt.encode({**body, "exp": now + 600, **claims}, SECRET, algorithm="HS256")


async def test_password_change_ends_old_tokens_and_sockets(
    store_stack: Any, client_factory: Any
) -> None:
    first, second = store_stack.gateway_urls()
    old = await _login(first, "erin", PASSWORD)
    assert await _accepted(second, old) == (200, 200)
    open_sockets = [await _socket(client_factory, url, old) for url in (first, second)]

    changed = _users(store_stack, "set-password", "erin", password=NEW_PASSWORD)
    assert changed.returncode == 0, changed.stderr

    for client in open_sockets:
        await _dropped(client)
    await _token_ended(store_stack, client_factory, old)
    async with httpx.AsyncClient(base_url=first, timeout=20) as http:
        # Nor can the old token be exchanged for a fresh one.
        exchanged = await http.post("/auth/jwt", headers={"Authorization": f"Bearer {old}"})
        assert exchanged.status_code == 401
        stale = await http.post("/login", data={"username": "erin", "password": PASSWORD})
        assert stale.status_code == 401

    # A fresh login with the new password works everywhere; frank was not touched.
    fresh = await _login(second, "erin", NEW_PASSWORD)
    frank = await _login(first, "frank", PASSWORD)
    for url in (first, second):
        assert await _accepted(url, fresh) == (200, 200)
        assert await _accepted(url, frank) == (200, 200)
    client = await _socket(client_factory, first, fresh)
    await client.send("who am i")
    reply = await client.wait_for("new_message", lambda m: m["output"].startswith("hi "))
    assert reply.data["output"] == "hi erin"


async def test_removal_ends_old_tokens_and_sockets(store_stack: Any, client_factory: Any) -> None:
    first, second = store_stack.gateway_urls()
    old = await _login(first, "erin", PASSWORD)
    frank = await _login(first, "frank", PASSWORD)
    live = await _socket(client_factory, second, old)
    bystander = await _socket(client_factory, second, frank)

    removed = _users(store_stack, "remove", "erin")
    assert removed.returncode == 0, removed.stderr

    await _dropped(live)
    await _token_ended(store_stack, client_factory, old)
    async with httpx.AsyncClient(base_url=first, timeout=20) as http:
        exchanged = await http.post("/auth/jwt", headers={"Authorization": f"Bearer {old}"})
        assert exchanged.status_code == 401
        gone = await http.post("/login", data={"username": "erin", "password": PASSWORD})
        assert gone.status_code == 401
    assert bystander.sio.connected
    assert await _accepted(first, frank) == (200, 200)

    # Added again, erin is a new user: the old token stays dead, a new login works.
    _add(store_stack, "erin")
    assert await _accepted(first, old) == (401, 401)
    assert await _accepted(second, await _login(second, "erin", PASSWORD)) == (200, 200)


async def test_token_for_a_user_that_does_not_exist_is_refused(
    store_stack: Any, client_factory: Any
) -> None:
    real = await _login(store_stack.url, "erin", PASSWORD)
    version = jwt.decode(real, SECRET, algorithms=["HS256"])["cv"]
    forged = {
        "never existed": _forged("mallory", uid=str(uuid.uuid4()), cv=uuid.uuid4().hex),
        "never existed, another user's version": _forged("mallory", cv=version),
        "no version": _forged("erin"),
        "wrong version": _forged("erin", cv=uuid.uuid4().hex),
    }
    for name, token in forged.items():
        for url in store_stack.gateway_urls():
            assert await _accepted(url, token) == (401, 401), name
        await _refused_socket(client_factory, store_stack.url, token)
    assert await _accepted(store_stack.url, real) == (200, 200)


async def test_removing_the_last_password_user_keeps_login_on(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(TEST_APPS / "store_app.py", extra_env={"CHAINLIT_AUTH_SECRET": SECRET})
    _add(stack, "erin")
    token = await _login(stack.url, "erin", PASSWORD)

    refused = _users(stack, "remove", "erin")
    assert refused.returncode == 1
    assert "last user with a password" in refused.stderr and "--turn-off-login" in refused.stderr
    assert _users(stack, "list").stdout.splitlines() == ["erin\t\tpassword"]
    await asyncio.sleep(2.5)  # longer than any cache of whether login is required
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        assert (await http.get("/auth/config")).json()["requireLogin"] is True
        assert (await http.get("/user")).status_code == 401
    await _refused_socket(client_factory, stack.url, None)
    assert await _accepted(stack.url, token) == (200, 200)

    # Asked for explicitly, it happens, says what it means, and ends erin's token.
    removed = _users(stack, "remove", "erin", "--turn-off-login")
    assert removed.returncode == 0, removed.stderr
    assert "no longer requires login" in removed.stderr
    assert _users(stack, "list").stdout == ""


async def test_tokens_outlive_the_credential_cache(
    store_stack: Any, client_factory: Any, redis_url: str
) -> None:
    """Redis keeps nothing on disk: its loss neither signs users out nor lets removed ones in."""
    names = RedisNames(store_stack.redis_prefix)
    erin = await _login(store_stack.url, "erin", PASSWORD)
    frank = await _login(store_stack.url, "frank", PASSWORD)
    redis = aioredis.Redis.from_url(redis_url)
    try:
        assert await redis.exists(names.user_credentials("erin"))
        await redis.delete(names.user_credentials("erin"), names.user_credentials("frank"))
        for url in store_stack.gateway_urls():
            assert await _accepted(url, erin) == (200, 200)
        await _socket(client_factory, store_stack.url, erin)
        assert await redis.exists(names.user_credentials("erin")), "the cache was not rebuilt"

        assert _users(store_stack, "remove", "frank").returncode == 0
        await redis.delete(names.user_credentials("frank"))
        for url in store_stack.gateway_urls():
            assert await _accepted(url, frank) == (401, 401)
        await _refused_socket(client_factory, store_stack.url, frank)
    finally:
        await redis.aclose()


async def test_new_roles_end_tokens_with_the_old_ones(
    make_stack: StackFactory, client_factory: Any
) -> None:
    stack = make_stack(TEST_APPS / "roles_app.py", extra_env={"CHAINLIT_AUTH_SECRET": SECRET})

    async def sign_in(role: str) -> str:
        async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
            await login_required(http)
            headers = {"X-Test-User": "bob", "X-Test-Role": role}
            response = await http.post("/auth/header", headers=headers)
            assert response.status_code == 200, response.text
            return str(http.cookies["access_token"])

    admin = await sign_in("admin")
    live = await _socket(client_factory, stack.url, admin)
    again = await sign_in("admin")  # same metadata: both tokens stay valid
    assert await _accepted(stack.url, admin) == (200, 200)
    assert live.sio.connected

    viewer = await sign_in("viewer")
    await _dropped(live)
    for token in (admin, again):
        assert await _accepted(stack.url, token) == (401, 401)
        await _refused_socket(client_factory, stack.url, token)
    client = await _socket(client_factory, stack.url, viewer)
    await client.send("who am i")
    reply = await client.wait_for("new_message", lambda m: m["output"].startswith("hi "))
    assert reply.data["output"] == "hi bob (viewer)"
