"""One visitor's identity never reaches the next one through the gateway.

The gateway's internal HTTP clients once kept a cookie jar: the auth cookie set
for alice's login was replayed on the next request that carried none, so an
anonymous ``GET /user`` answered with alice and an anonymous ``POST /logout``
revoked her token.
"""

from __future__ import annotations

import asyncio
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

SECRET = "test-auth-secret-" + "y" * 40
PASSWORD = "correct horse battery"


@pytest.fixture
def password_stack(make_stack: StackFactory) -> Any:
    return make_stack(TEST_APPS / "auth_app.py", extra_env={"CHAINLIT_AUTH_SECRET": SECRET})


async def _login_required(http: httpx.AsyncClient) -> None:
    await login_required(http)


async def test_anonymous_request_after_login_is_anonymous(
    password_stack: Any, client_factory: Any
) -> None:
    async with httpx.AsyncClient(base_url=password_stack.url, timeout=20) as alice:
        await _login_required(alice)
        login = await alice.post("/login", data={"username": "alice", "password": PASSWORD})
        assert login.status_code == 200
        token = alice.cookies["access_token"]

    # A second visitor with no cookie at all, right after alice logged in.
    async with httpx.AsyncClient(base_url=password_stack.url, timeout=20) as anonymous:
        user = await anonymous.get("/user")
        assert user.status_code == 401, user.text
        assert user.json() == {"detail": "Invalid authentication token"}
        assert "alice" not in user.text
        threads = await anonymous.post(
            "/project/threads", json={"pagination": {"first": 5}, "filter": {}}
        )
        assert threads.status_code == 401
        # An anonymous logout must not end alice's session.
        logout = await anonymous.post("/logout")
        assert logout.status_code == 200
        assert "access_token" not in anonymous.cookies

    async with httpx.AsyncClient(
        base_url=password_stack.url, timeout=20, cookies={"access_token": token}
    ) as again:
        still = await again.get("/user")
        assert still.status_code == 200, still.text
        assert still.json()["identifier"] == "alice"

    refused: ChainlitClient = client_factory(password_stack.url)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect()
    assert refused.connect_error == {"message": "authentication failed"}


async def test_two_users_interleaved_keep_their_own_identity(password_stack: Any) -> None:
    async with (
        httpx.AsyncClient(base_url=password_stack.url, timeout=20) as alice,
        httpx.AsyncClient(base_url=password_stack.url, timeout=20) as bob,
    ):
        await _login_required(alice)
        assert (
            await alice.post("/login", data={"username": "alice", "password": PASSWORD})
        ).status_code == 200
        bob_login = await bob.post(
            "/auth/header", headers={"x-test-user": "bob"}
        )  # the header callback signs bob in
        assert bob_login.status_code == 200
        for _ in range(3):
            assert (await alice.get("/user")).json()["identifier"] == "alice"
            assert (await bob.get("/user")).json()["identifier"] == "bob"
        # Bob's logout ends bob, not alice.
        assert (await bob.post("/logout")).status_code == 200
        assert (await alice.get("/user")).json()["identifier"] == "alice"


async def test_auth_service_away_is_a_clear_503(password_stack: Any, client_factory: Any) -> None:
    async with httpx.AsyncClient(base_url=password_stack.url, timeout=20) as alice:
        await _login_required(alice)
        assert (
            await alice.post("/login", data={"username": "alice", "password": PASSWORD})
        ).status_code == 200
        token = alice.cookies["access_token"]
        password_stack.kill("auth")
        await asyncio.sleep(2.5)  # the gateway's cached login policy runs out
        settings = await alice.get("/project/settings")
        assert settings.status_code == 503, settings.text
        assert settings.json() == {"detail": "Sign-in is briefly unavailable; try again"}
        assert settings.headers["retry-after"] == "2"

    client: ChainlitClient = client_factory(
        password_stack.url, headers={"Cookie": f"access_token={token}"}
    )
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect()
    assert client.connect_error == {"message": "service unavailable"}
    log = "".join(p.read_text() for p in password_stack.log_dir.glob("gateway*.log"))
    assert "Traceback" not in log


@pytest.mark.parametrize("missed", ["logout", "credentials"])
async def test_sockets_are_dropped_even_when_a_revocation_message_is_missed(
    make_stack: StackFactory, client_factory: Any, missed: str
) -> None:
    stack = make_stack(
        TEST_APPS / "auth_app.py",
        extra_env={"CHAINLIT_AUTH_SECRET": SECRET, "SWITCHBOARD_TOKEN_RECHECK_S": "1"},
    )
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as alice:
        await _login_required(alice)
        assert (
            await alice.post("/login", data={"username": "alice", "password": PASSWORD})
        ).status_code == 200
        token = alice.cookies["access_token"]
    client: ChainlitClient = client_factory(stack.url, headers={"Cookie": f"access_token={token}"})
    await client.start()
    await asyncio.sleep(2.5)  # several sweeps: a valid token keeps its socket
    assert client.sio.connected

    # What the auth service writes, without the pub/sub message a gateway may miss.
    claims = jwt.decode(token, options={"verify_signature": False})
    names = RedisNames(stack.redis_prefix)
    redis = aioredis.Redis.from_url(stack.redis_url)
    try:
        if missed == "logout":
            await redis.set(names.revoked_token(claims["jti"]), "1", ex=600)
        else:
            await redis.set(names.user_credentials("alice"), "another-version", ex=600)
    finally:
        await redis.aclose()
    for _ in range(100):
        if not client.sio.connected:
            break
        await asyncio.sleep(0.1)
    assert not client.sio.connected
