"""Login through the gateway: password, header, JWT, OAuth, tokens, brute force, users CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
import socketio

from switchboard.stack import free_port
from tests.support.client import ChainlitClient
from tests.support.fixtures import REPO, TEST_APPS, StackFactory
from tests.support.oauth_provider import CLIENT_ID, CLIENT_SECRET
from tests.support.signin import login_required
from tests.support.users_cli import run_users

SECRET = "test-auth-secret-" + "x" * 40
PASSWORD = "correct horse battery"


@pytest.fixture
def oauth_provider() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.oauth_provider", "--port", str(port)], cwd=REPO
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.post(f"{url}/control", json={}, timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the test OAuth provider did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)


def _oauth_env(provider: str) -> dict[str, str]:
    return {
        "OAUTH_GENERIC_CLIENT_ID": CLIENT_ID,
        "OAUTH_GENERIC_CLIENT_SECRET": CLIENT_SECRET,
        "OAUTH_GENERIC_AUTH_URL": f"{provider}/oauth/authorize",
        "OAUTH_GENERIC_TOKEN_URL": f"{provider}/oauth/token",
        "OAUTH_GENERIC_USER_INFO_URL": f"{provider}/oauth/userinfo",
        "OAUTH_GENERIC_SCOPES": "openid email",
        "OAUTH_KEYCLOAK_CLIENT_ID": CLIENT_ID,
        "OAUTH_KEYCLOAK_CLIENT_SECRET": CLIENT_SECRET,
        "OAUTH_KEYCLOAK_REALM": "test",
        "OAUTH_KEYCLOAK_BASE_URL": provider,
        "OAUTH_GITHUB_CLIENT_ID": CLIENT_ID,
        "OAUTH_GITHUB_CLIENT_SECRET": CLIENT_SECRET,
        "OAUTH_GITHUB_AUTH_URL": f"{provider}/login/oauth/authorize",
        "OAUTH_GITHUB_TOKEN_URL": f"{provider}/login/oauth/access_token",
        "OAUTH_GITHUB_USER_INFO_URL": f"{provider}/api/v3/user",
    }


@pytest.fixture
def auth_stack(make_stack: StackFactory, oauth_provider: str) -> Any:
    env = {"CHAINLIT_AUTH_SECRET": SECRET, **_oauth_env(oauth_provider)}
    stack = make_stack(TEST_APPS / "auth_app.py", extra_env=env)
    stack.oauth_provider = oauth_provider
    return stack


async def _login(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post("/login", data={"username": username, "password": password})


async def _wait_manifest(http: httpx.AsyncClient) -> dict[str, Any]:
    return await login_required(http)


async def test_password_login_cookie_user_and_socket(auth_stack: Any, client_factory: Any) -> None:
    async with httpx.AsyncClient(base_url=auth_stack.url, timeout=20) as http:
        config = await _wait_manifest(http)
        assert config["passwordAuth"] is True and config["headerAuth"] is True
        assert sorted(config["oauthProviders"]) == ["generic", "github", "keycloak"]
        assert (await http.get("/user")).status_code == 401
        assert (await http.get("/project/settings")).status_code == 401

        refused: ChainlitClient = client_factory(auth_stack.url)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect()
        assert refused.connect_error == {"message": "authentication failed"}

        wrong = await _login(http, "alice", "nope")
        assert wrong.status_code == 401 and wrong.json() == {"detail": "credentialssignin"}
        right = await _login(http, "alice", PASSWORD)
        assert right.status_code == 200 and right.json() == {"success": True}
        cookie = right.headers["set-cookie"]
        assert cookie.startswith("access_token=")
        for attribute in ("HttpOnly", "Max-Age=1296000", "Path=/", "SameSite=lax"):
            assert attribute in cookie
        assert "Secure" not in cookie
        user = (await http.get("/user")).json()
        assert user["identifier"] == "alice" and user["metadata"] == {"role": "admin"}
        assert len(user["id"]) == 36 and user["createdAt"].endswith("Z")
        assert (await http.get("/project/settings")).status_code == 200
        token = http.cookies["access_token"]

    client: ChainlitClient = client_factory(
        auth_stack.url, headers={"Cookie": f"access_token={token}"}
    )
    await client.start()
    await client.send("who am i")
    reply = await client.wait_for(
        "new_message", lambda m: m["output"].startswith("hi "), timeout=15
    )
    assert reply.data["output"] == "hi alice"


def _forged(claims: dict[str, Any], secret: str = SECRET, algorithm: str = "HS256") -> str:
    now = int(time.time())
    body = {"identifier": "alice", "display_name": None, "metadata": {}, "iat": now, **claims}
    body.setdefault("exp", now + 600)
    if algorithm == "none":
        return jwt.encode(body, None, algorithm="none")  # type: ignore[arg-type]
    return jwt.encode(body, secret, algorithm=algorithm)


async def test_bad_tokens_are_refused_on_rest_and_socket(
    auth_stack: Any, client_factory: Any
) -> None:
    async with httpx.AsyncClient(base_url=auth_stack.url, timeout=20) as http:
        await _wait_manifest(http)
        await _login(http, "alice", PASSWORD)
        good = http.cookies["access_token"]
        http.cookies.clear()
        header, payload, signature = good.split(".")
        tampered_payload = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
        bad = {
            "expired": _forged({"exp": int(time.time()) - 5}),
            "tampered": f"{header}.{tampered_payload}.{signature}",
            "other secret": _forged({}, secret="another-secret-" + "y" * 40),
            "alg none": _forged({}, algorithm="none"),
        }
        assert (await http.get("/user", cookies={"access_token": good})).status_code == 200
        for name, token in bad.items():
            response = await http.get("/user", cookies={"access_token": token})
            assert response.status_code == 401, name
            bearer = await http.get("/user", headers={"Authorization": f"Bearer {token}"})
            assert bearer.status_code == 401, name
            client: ChainlitClient = client_factory(
                auth_stack.url, headers={"Cookie": f"access_token={token}"}
            )
            with pytest.raises(socketio.exceptions.ConnectionError):
                await client.connect()
            assert client.connect_error == {"message": "authentication failed"}, name

        # Revoked after logout: refused at once on REST, on sockets, and open sockets drop.
        await _login(http, "alice", PASSWORD)
        token = http.cookies["access_token"]
        live: ChainlitClient = client_factory(
            auth_stack.url, headers={"Cookie": f"access_token={token}"}
        )
        await live.start()
        assert live.sio.connected
        assert (await http.post("/logout")).json() == {"success": True}
        assert "access_token" not in http.cookies
        response = await http.get("/user", cookies={"access_token": token})
        assert response.status_code == 401
        again: ChainlitClient = client_factory(
            auth_stack.url, headers={"Cookie": f"access_token={token}"}
        )
        with pytest.raises(socketio.exceptions.ConnectionError):
            await again.connect()
        for _ in range(50):
            if not live.sio.connected:
                break
            await asyncio.sleep(0.1)
        assert not live.sio.connected


async def test_brute_force_is_throttled_per_account_and_address(auth_stack: Any) -> None:
    async with httpx.AsyncClient(base_url=auth_stack.url, timeout=20) as http:
        await _wait_manifest(http)
        statuses = [(await _login(http, "alice", f"guess-{i}")).status_code for i in range(10)]
        assert statuses == [401] * 10
        eleventh = await _login(http, "alice", "guess-10")
        assert eleventh.status_code == 429
        assert 1 <= int(eleventh.headers["retry-after"]) <= 60
        # Even the right password is refused from this address for now...
        assert (await _login(http, "alice", PASSWORD)).status_code == 429
    # ...while the owner, from another address, still gets in.
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(base_url=auth_stack.url, transport=transport, timeout=20) as other:
        response = await _login(other, "alice", PASSWORD)
        assert response.status_code == 200, response.text


async def test_header_and_jwt_exchange(auth_stack: Any) -> None:
    async with httpx.AsyncClient(base_url=auth_stack.url, timeout=20) as http:
        await _wait_manifest(http)
        assert (await http.post("/auth/header")).status_code == 401
        ok = await http.post("/auth/header", headers={"X-Test-User": "bob"})
        assert ok.status_code == 200 and ok.json() == {"success": True}
        assert (await http.get("/user")).json()["identifier"] == "bob"
    async with httpx.AsyncClient(base_url=auth_stack.url, timeout=20) as http:
        assert (await http.post("/auth/jwt")).json() == {"detail": "Authorization header missing"}
        basic = await http.post("/auth/jwt", headers={"Authorization": "Basic abc"})
        assert basic.json() == {"detail": "Invalid authentication scheme. Please use Bearer"}
        forged = await http.post(
            "/auth/jwt", headers={"Authorization": f"Bearer {_forged({}, secret='z' * 50)}"}
        )
        assert forged.status_code == 401 and forged.json() == {"detail": "Invalid token"}
        token = _forged({"identifier": "dave"})
        exchanged = await http.post("/auth/jwt", headers={"Authorization": f"Bearer {token}"})
        assert exchanged.status_code == 200
        assert (await http.get("/user")).json()["identifier"] == "dave"


async def _oauth(
    http: httpx.AsyncClient, provider_id: str, *, state: str | None = None
) -> httpx.Response:
    start = await http.get(f"/auth/oauth/{provider_id}")
    assert start.status_code == 302, start.text
    assert "oauth_state" in http.cookies
    async with httpx.AsyncClient(timeout=20) as browser:
        approve = await browser.get(start.headers["location"])
    if approve.status_code != 302:
        return approve
    callback = httpx.URL(approve.headers["location"])
    assert str(callback).startswith(
        f"{str(http.base_url).rstrip('/')}/auth/oauth/{provider_id}/callback"
    )
    if state is not None:
        callback = callback.copy_set_param("state", state)
    return await http.get(callback.raw_path.decode())


@pytest.mark.parametrize("provider_id", ["generic", "keycloak", "github"])
async def test_oauth_login(auth_stack: Any, provider_id: str) -> None:
    async with httpx.AsyncClient(base_url=auth_stack.url, timeout=20) as http:
        await _wait_manifest(http)
        done = await _oauth(http, provider_id)
        assert done.status_code == 302
        assert done.headers["location"] == "/login/callback?success=True"
        user = (await http.get("/user")).json()
        expected = "carol" if provider_id == "github" else "carol@example.com"
        assert user["identifier"] == expected
        assert user["metadata"]["provider"] == provider_id
        assert user["metadata"]["raw_name"] == "Carol"


async def test_oauth_failures_redirect_to_login(auth_stack: Any) -> None:
    provider = auth_stack.oauth_provider
    async with httpx.AsyncClient(base_url=auth_stack.url, timeout=20) as http:
        await _wait_manifest(http)
        assert (await http.get("/auth/oauth/nope")).status_code == 404
        wrong_state = await _oauth(http, "generic", state="forged-state")
        assert wrong_state.headers["location"] == "/login?error=oauthSignin"

        await http.post(f"{provider}/control", json={"mode": "deny"})
        denied = await _oauth(http, "generic")
        assert denied.headers["location"] == "/login?error=oauthSignin"

        await http.post(f"{provider}/control", json={"mode": "no_token"})
        no_token = await _oauth(http, "keycloak")
        assert no_token.headers["location"] == "/login?error=oauthSignin"

        await http.post(
            f"{provider}/control", json={"mode": "ok", "user": {"email": "eve@blocked.example"}}
        )
        refused = await _oauth(http, "generic")
        assert refused.headers["location"] == "/login?error=oauthSignin"
        assert (await http.get("/user")).status_code == 401


def _users(stack: Any, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_users(stack, *args, password=password)


@pytest.mark.timeout(300)
async def test_users_cli_end_to_end(make_stack: StackFactory) -> None:
    stack = make_stack(TEST_APPS / "store_app.py", extra_env={"CHAINLIT_AUTH_SECRET": SECRET})
    # The first run goes through ``switchboard users`` as a user types it.
    added = run_users(
        stack,
        "add",
        "erin",
        "--display-name",
        "Erin",
        password="s3cret-passphrase",
        through_entry_point=True,
    )
    assert added.returncode == 0, added.stderr
    assert "s3cret" not in added.stdout + added.stderr
    duplicate = _users(stack, "add", "erin", password="another-passphrase")
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    short = _users(stack, "add", "frank", password="short")
    assert short.returncode == 2 and "at least 8" in short.stderr
    listed = _users(stack, "list")
    assert listed.returncode == 0 and listed.stdout.splitlines() == ["erin\tErin\tpassword"]

    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        await _wait_manifest(http)
        assert (await _login(http, "erin", "wrong-passphrase")).status_code == 401
        assert (await _login(http, "nobody", "wrong-passphrase")).status_code == 401
        assert (await _login(http, "erin", "s3cret-passphrase")).status_code == 200

    changed = _users(stack, "set-password", "erin", password="new-passphrase-1")
    assert changed.returncode == 0, changed.stderr
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        assert (await _login(http, "erin", "s3cret-passphrase")).status_code == 401
        assert (await _login(http, "erin", "new-passphrase-1")).status_code == 200

    assert _users(stack, "remove", "erin", "--turn-off-login").returncode == 0
    assert _users(stack, "remove", "erin").returncode == 1
    assert _users(stack, "list").stdout == ""


def test_a_login_app_refuses_to_start_without_the_token_secret() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CHAINLIT_AUTH_SECRET", "SWITCHBOARD_AUTH_SECRET")
    }
    env["SWITCHBOARD_SERVICE_SECRET"] = "s" * 48
    result = subprocess.run(
        [sys.executable, "-m", "switchboard_worker", str(TEST_APPS / "auth_app.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode != 0
    assert "CHAINLIT_AUTH_SECRET must be set" in result.stderr
    assert "password_auth_callback and header_auth_callback" in result.stderr
