"""The auth service's HTTP API in process: SQLite in ``tmp_path``, a real Redis.

The built-in user store holds one password user (added by ``switchboard users add``),
so login is required, as with Chainlit's ``password_auth_callback``. The client keeps
cookies like a browser; a token is re-presented by hand only to show it was revoked.
"""

from __future__ import annotations

import httpx
import redis.asyncio as aioredis
from auth_support import AUTH_SECRET, PASSWORD, USER, OpenAuth

from switchboard.names import RedisNames
from switchboard.schema.session import UserRef
from switchboard.tokens import decode_user_token, issue_user_token

COOKIE = "access_token"


async def login(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post("/login", data={"username": username, "password": password})


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


async def test_login_is_required_and_offered_by_password_once_the_store_has_a_user(
    auth_http: httpx.AsyncClient,
) -> None:
    config = await auth_http.get("/auth/config")
    assert config.status_code == 200
    body = config.json()
    assert body["requireLogin"] is True
    assert body["passwordAuth"] is True
    assert body["headerAuth"] is False
    assert body["oauthProviders"] == []


async def test_password_login_sets_the_auth_cookie_and_user_returns_the_user(
    auth_http: httpx.AsyncClient,
) -> None:
    response = await login(auth_http, USER, PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    (cookie,) = [c for c in set_cookies(response) if c.startswith(f"{COOKIE}=")]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "samesite", "max-age"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert "path=/" in cookie.lower()
    token = response.cookies[COOKIE]
    assert decode_user_token(AUTH_SECRET, token).user.identifier == USER

    me = await auth_http.get("/user")  # the cookie jar sends the cookie
    assert me.status_code == 200, me.text
    assert me.json()["identifier"] == USER
    assert me.json()["display_name"] == "Alice"

    # The same token as a bearer header (API clients) is accepted too.
    auth_http.cookies.clear()
    bearer = await auth_http.get("/user", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200
    assert bearer.json()["identifier"] == USER


async def test_a_wrong_password_or_unknown_user_is_refused_with_401_and_no_cookie(
    auth_http: httpx.AsyncClient,
) -> None:
    for username, password in [(USER, "not the password"), ("mallory", PASSWORD)]:
        response = await login(auth_http, username, password)
        # The same answer whether the account exists or not.
        assert response.status_code == 401, (username, response.text)
        assert response.json() == {"detail": "credentialssignin"}
        assert not [c for c in set_cookies(response) if c.startswith(f"{COOKIE}=")]
    assert COOKIE not in auth_http.cookies
    assert (await auth_http.get("/user")).status_code == 401


async def test_user_without_a_valid_token_is_401(auth_http: httpx.AsyncClient) -> None:
    assert (await auth_http.get("/user")).status_code == 401
    forged = await auth_http.get("/user", headers={"cookie": f"{COOKIE}=not.a.token"})
    assert forged.status_code == 401
    # A well-formed token for the user, signed with another secret, is no token.
    forged_token = issue_user_token("another-secret-" + "z" * 32, UserRef(identifier=USER), 3600)
    refused = await auth_http.get("/user", headers={"cookie": f"{COOKIE}={forged_token}"})
    assert refused.status_code == 401
    # Nor is a real one whose signature was altered.
    real = (await login(auth_http, USER, PASSWORD)).cookies[COOKIE]
    auth_http.cookies.clear()
    head, _, signature = real.rpartition(".")
    altered = f"{head}.{signature[::-1]}"
    assert altered != real
    tampered = await auth_http.get("/user", headers={"cookie": f"{COOKIE}={altered}"})
    assert tampered.status_code == 401


async def test_logout_clears_the_cookie_and_revokes_the_token_everywhere(
    auth_http: httpx.AsyncClient, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    token = (await login(auth_http, USER, PASSWORD)).cookies[COOKIE]
    assert (await auth_http.get("/user")).status_code == 200
    token_id = decode_user_token(AUTH_SECRET, token).token_id
    names = RedisNames(redis_prefix)

    async with redis_client.pubsub() as pubsub:
        await pubsub.subscribe(names.revocations)
        assert (await pubsub.get_message(timeout=5))["type"] == "subscribe"
        response = await auth_http.post("/logout")
        assert response.status_code == 200
        assert response.json() == {"success": True}
        # Gateways hear which token ended and drop its sockets.
        announced = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
    assert announced is not None
    assert announced["data"].decode() == token_id

    cleared = [c for c in set_cookies(response) if c.startswith(f"{COOKIE}=")]
    assert cleared
    assert all("max-age=0" in c.lower() for c in cleared)
    assert COOKIE not in auth_http.cookies
    assert (await auth_http.get("/user")).status_code == 401

    # The token itself no longer works, though it has not expired.
    replayed = await auth_http.get("/user", headers={"cookie": f"{COOKIE}={token}"})
    assert replayed.status_code == 401
    assert await redis_client.exists(names.revoked_token(token_id)) == 1

    # Signing in again gives a new token that works.
    again = (await login(auth_http, USER, PASSWORD)).cookies[COOKIE]
    assert again != token
    assert (await auth_http.get("/user")).status_code == 200


async def test_repeated_wrong_passwords_are_throttled_with_429(open_auth: OpenAuth) -> None:
    async with open_auth(max_failures=3) as http:
        for _ in range(3):
            assert (await login(http, USER, "wrong")).status_code == 401
        throttled = await login(http, USER, "wrong")
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) >= 1
        # Throttled before the password is looked at: the right one waits too.
        assert (await login(http, USER, PASSWORD)).status_code == 429
        assert COOKIE not in http.cookies


async def test_an_unreadable_app_manifest_refuses_rather_than_turning_login_off(
    auth_http: httpx.AsyncClient, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    """A manifest from a worker this service cannot parse must never read as "no login"."""
    await redis_client.set(RedisNames(redis_prefix).app_manifest, b'{"callbacks": []}')
    config = await auth_http.get("/auth/config")
    assert config.status_code == 503, config.text
    assert "requireLogin" not in config.text
    assert (await login(auth_http, USER, PASSWORD)).status_code == 503
    await redis_client.delete(RedisNames(redis_prefix).app_manifest)
    assert (await auth_http.get("/auth/config")).json()["requireLogin"] is True
