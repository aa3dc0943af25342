"""Login limits count the real client, and failures elsewhere do not lock the owner out.

The gateway used to believe ``X-Forwarded-For`` from any loopback peer: rotating the
header gave every guess a fresh per-address budget. Forwarding headers now count
only from ``SWITCHBOARD_TRUSTED_PROXIES``, walked right to left, so a client cannot
prepend its way out either. And the account-wide counter no longer applies to an
address that signed in to the account before.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from switchboard.stack import LocalStack
from tests.support.fixtures import TEST_APPS, StackFactory
from tests.support.signin import login_required

SECRET = "proxies-test-secret-" + "p" * 40
PASSWORD = "correct horse battery"
# Per window: 3 per account and address, 15 per address, 30 per account.
MAX_FAILURES = 3
PUBLIC = "https://chat.example.com"


def _stack(make_stack: StackFactory, **env: str) -> LocalStack:
    return make_stack(
        TEST_APPS / "auth_app.py",
        extra_env={
            "CHAINLIT_AUTH_SECRET": SECRET,
            "SWITCHBOARD_MAX_FAILURES": str(MAX_FAILURES),
            **env,
        },
    )


@pytest.fixture
def untrusting(make_stack: StackFactory) -> LocalStack:
    return _stack(make_stack)


@pytest.fixture
def behind_proxy(make_stack: StackFactory) -> LocalStack:
    return _stack(make_stack, SWITCHBOARD_TRUSTED_PROXIES="127.0.0.1, ::1")


async def _ready(http: httpx.AsyncClient) -> None:
    await login_required(http)


async def _login(
    http: httpx.AsyncClient, password: str, forwarded_for: str | None = None, **headers: str
) -> httpx.Response:
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return await http.post(
        "/login", data={"username": "alice", "password": password}, headers=headers
    )


async def test_rotating_forwarded_for_does_not_reset_the_limit(untrusting: LocalStack) -> None:
    async with httpx.AsyncClient(base_url=untrusting.url, timeout=20) as http:
        await _ready(http)
        for i in range(MAX_FAILURES):
            wrong = await _login(http, f"guess-{i}", f"198.51.100.{i + 1}")
            assert wrong.status_code == 401, wrong.text
        for i in range(5):
            again = await _login(http, PASSWORD, f"203.0.113.{i + 1}")
            assert again.status_code == 429, (i, again.text)
        assert (await _login(http, PASSWORD, "10.1.2.3, 203.0.113.99")).status_code == 429


async def test_forwarded_host_from_an_untrusted_peer_is_not_the_own_origin(
    untrusting: LocalStack,
) -> None:
    async with httpx.AsyncClient(base_url=untrusting.url, timeout=20) as http:
        await _ready(http)
        forwarded = {"X-Forwarded-Host": "chat.example.com", "X-Forwarded-Proto": "https"}
        response = await _login(http, PASSWORD, Origin=PUBLIC, **forwarded)
        assert response.status_code == 403, response.text


async def test_a_trusted_proxy_names_the_client(behind_proxy: LocalStack) -> None:
    async with httpx.AsyncClient(base_url=behind_proxy.url, timeout=20) as http:
        await _ready(http)
        for i in range(MAX_FAILURES):
            assert (await _login(http, f"guess-{i}", "203.0.113.7")).status_code == 401
        assert (await _login(http, PASSWORD, "203.0.113.7")).status_code == 429
        # Hops the client wrote itself sit left of what the proxy appended: no escape.
        spoofed = await _login(http, PASSWORD, "198.51.100.99, 203.0.113.7")
        assert spoofed.status_code == 429
        # Another client behind the same proxy, and the proxy itself, are not throttled.
        assert (await _login(http, PASSWORD, "203.0.113.8")).status_code == 200
        assert (await _login(http, PASSWORD)).status_code == 200

        # IPv6 clients are counted per /64.
        for i in range(MAX_FAILURES):
            assert (await _login(http, f"v6-{i}", f"2001:db8::{i + 1}")).status_code == 401
        assert (await _login(http, PASSWORD, "2001:db8::ffff")).status_code == 429
        assert (await _login(http, PASSWORD, "2001:db8:0:1::1")).status_code == 200


async def test_a_trusted_proxy_sets_the_own_origin(behind_proxy: LocalStack) -> None:
    async with httpx.AsyncClient(base_url=behind_proxy.url, timeout=20) as http:
        await _ready(http)
        forwarded = {"X-Forwarded-Host": "chat.example.com", "X-Forwarded-Proto": "https"}
        same = await _login(http, PASSWORD, "203.0.113.20", Origin=PUBLIC, **forwarded)
        assert same.status_code == 200, same.text
        other = await _login(http, PASSWORD, "203.0.113.20", Origin="https://evil.example")
        assert other.status_code == 403


async def test_failures_from_elsewhere_do_not_lock_the_owner_out(behind_proxy: LocalStack) -> None:
    owner = "192.0.2.10"
    async with httpx.AsyncClient(base_url=behind_proxy.url, timeout=20) as http:
        await _ready(http)
        assert (await _login(http, PASSWORD, owner)).status_code == 200

        # A distributed attack: one guess per address, until the account-wide limit.
        async def guess(i: int) -> int:
            return (await _login(http, f"guess-{i}", f"198.51.100.{i + 1}")).status_code

        statuses: list[int] = []
        for start in range(0, MAX_FAILURES * 10, 10):
            statuses += await asyncio.gather(*(guess(i) for i in range(start, start + 10)))
        assert statuses == [401] * (MAX_FAILURES * 10)

        # Places the owner never signed in from wait, as before...
        assert (await _login(http, PASSWORD, "192.0.2.77")).status_code == 429
        assert (await _login(http, "guess-x", "198.51.100.200")).status_code == 429
        # ...but the owner's known address still gets in.
        welcome = await _login(http, PASSWORD, owner)
        assert welcome.status_code == 200, welcome.text
