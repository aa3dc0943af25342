"""A page on another site cannot use the user's cookie against the gateway.

The cookie goes with every request the browser makes, whoever's page asks. Before
origins were checked, a form or fetch from ``http://evil.example`` renamed and
deleted the victim's threads and wrote feedback, CORS preflights echoed any origin
with credentials, and the Socket.IO handshake accepted any origin.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from switchboard.stack import LocalStack
from tests.support.client import ChainlitClient
from tests.support.fixtures import TEST_APPS, StackFactory
from tests.support.signin import header_sign_in
from tests.support.waiting import eventually

SECRET = "origins-test-secret-" + "z" * 40
EVIL = "http://evil.example"
PARTNER = "https://partner.example"
# Chainlit's default, left in place: it must not open the cookie to every site.
CONFIG = '[project]\nallow_origins = ["*"]\n'


@dataclass
class Victim:
    http: httpx.AsyncClient
    client: ChainlitClient
    cookie: str
    thread_id: str
    message_id: str


@pytest.fixture
def stack(make_stack: StackFactory, tmp_path: Path) -> LocalStack:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    return make_stack(
        TEST_APPS / "files_app.py",
        config_file=config,
        extra_env={"CHAINLIT_AUTH_SECRET": SECRET, "SWITCHBOARD_ALLOWED_ORIGINS": PARTNER},
    )


@pytest.fixture
async def victim(stack: LocalStack, client_factory: Any) -> AsyncIterator[Victim]:
    http = httpx.AsyncClient(base_url=stack.url, timeout=20)
    cookie = await header_sign_in(http, "victim")
    client: ChainlitClient = client_factory(stack.url, headers={"Cookie": f"access_token={cookie}"})
    await client.start()
    await client.send("hello")
    reply = await client.wait_for("new_message", lambda m: m["output"] == "echo hello", timeout=20)
    thread_id = str(reply.data["threadId"])

    async def stored() -> bool:
        return (await http.get(f"/project/thread/{thread_id}")).status_code == 200

    await eventually(stored, "the thread stored")
    yield Victim(http, client, cookie, thread_id, str(reply.data["id"]))
    await http.aclose()


async def _thread(victim: Victim) -> dict[str, Any]:
    response = await victim.http.get(f"/project/thread/{victim.thread_id}")
    assert response.status_code == 200, response.text
    thread: dict[str, Any] = response.json()
    return thread


def _refused(response: httpx.Response, origin: str) -> None:
    assert response.status_code == 403, response.text
    detail = response.json()["detail"]
    assert "Cross-origin request refused" in detail and origin in detail


async def test_cross_origin_writes_with_the_cookie_are_refused(victim: Victim) -> None:
    before = await _thread(victim)
    feedback = {"forId": victim.message_id, "value": 0, "comment": "pwned"}
    for headers in ({"Origin": EVIL}, {"Referer": f"{EVIL}/attack.html"}, {"Origin": "null"}):
        shown = headers.get("Origin", EVIL)
        rename = await victim.http.put(
            "/project/thread",
            json={"threadId": victim.thread_id, "name": "pwned"},
            headers=headers,
        )
        _refused(rename, shown)
        delete = await victim.http.request(
            "DELETE", "/project/thread", json={"threadId": victim.thread_id}, headers=headers
        )
        _refused(delete, shown)
        rate = await victim.http.put(
            "/feedback",
            json={"feedback": feedback, "sessionId": victim.client.session_id},
            headers=headers,
        )
        _refused(rate, shown)
    # A same-host origin on another port or scheme is another origin too.
    other_port = victim.http.base_url.copy_with(port=(victim.http.base_url.port or 80) + 1)
    sneaky = await victim.http.put(
        "/project/thread",
        json={"threadId": victim.thread_id, "name": "pwned"},
        headers={"Origin": str(other_port).rstrip("/")},
    )
    assert sneaky.status_code == 403

    await asyncio.sleep(1)  # anything that slipped through would be stored by now
    after = await _thread(victim)
    assert after["name"] == before["name"] != "pwned"
    assert not any(step.get("feedback") for step in after["steps"])
    assert not any(
        e.name == "new_message" and str(e.data.get("output", "")).startswith("feedback")
        for e in victim.client.events
    )


async def test_same_origin_and_listed_origins_may_write(victim: Victim, stack: LocalStack) -> None:
    own = stack.url
    renamed = await victim.http.put(
        "/project/thread",
        json={"threadId": victim.thread_id, "name": "renamed here"},
        headers={"Origin": own, "Referer": f"{own}/thread/{victim.thread_id}"},
    )
    assert renamed.status_code == 200 and renamed.json() == {"success": True}
    assert (await _thread(victim))["name"] == "renamed here"

    feedback = {"forId": victim.message_id, "value": 1, "comment": "good"}
    rated = await victim.http.put(
        "/feedback",
        json={"feedback": feedback, "sessionId": victim.client.session_id},
        headers={"Origin": own},
    )
    assert rated.status_code == 200 and rated.json()["success"] is True

    partner = await victim.http.put(
        "/project/thread",
        json={"threadId": victim.thread_id, "name": "renamed by partner"},
        headers={"Origin": PARTNER},
    )
    assert partner.status_code == 200
    assert partner.headers["access-control-allow-origin"] == PARTNER
    assert partner.headers["access-control-allow-credentials"] == "true"

    # No Origin and no Referer: not a browser acting for a page; passes as before.
    deleted = await victim.http.request(
        "DELETE", "/project/thread", json={"threadId": victim.thread_id}
    )
    assert deleted.status_code == 200
    assert (await victim.http.get(f"/project/thread/{victim.thread_id}")).status_code == 404


async def test_cors_answers_listed_origins_only(stack: LocalStack) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        preflight = {"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x"}
        evil = await http.options("/project/thread", headers={"Origin": EVIL, **preflight})
        assert evil.status_code >= 400
        assert not any(name.startswith("access-control-") for name in evil.headers)

        partner = await http.options("/project/thread", headers={"Origin": PARTNER, **preflight})
        assert partner.status_code == 200
        assert partner.headers["access-control-allow-origin"] == PARTNER
        assert partner.headers["access-control-allow-credentials"] == "true"
        assert "PUT" in partner.headers["access-control-allow-methods"]

        # A simple cross-origin read gets no CORS headers, so the page cannot read it.
        read = await http.get("/auth/config", headers={"Origin": EVIL})
        assert read.status_code == 200
        assert "access-control-allow-origin" not in read.headers
        assert "access-control-allow-credentials" not in read.headers


async def test_forwarding_headers_from_an_untrusted_peer_do_not_make_an_origin_own(
    victim: Victim,
) -> None:
    spoofed = await victim.http.put(
        "/project/thread",
        json={"threadId": victim.thread_id, "name": "pwned"},
        headers={
            "Origin": "https://evil.example",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "https",
        },
    )
    assert spoofed.status_code == 403
    assert (await _thread(victim))["name"] != "pwned"


async def test_socket_handshake_checks_the_origin(
    victim: Victim, stack: LocalStack, client_factory: Any
) -> None:
    cookie = {"Cookie": f"access_token={victim.cookie}"}
    evil: ChainlitClient = client_factory(stack.url, headers={**cookie, "Origin": EVIL})
    with pytest.raises(socketio.exceptions.ConnectionError):
        await evil.connect()
    assert not evil.sio.connected

    own: ChainlitClient = client_factory(stack.url, headers={**cookie, "Origin": stack.url})
    await own.start()
    assert own.sio.connected
    await own.send("still here")
    await own.wait_for("new_message", lambda m: m["output"] == "echo still here", timeout=20)

    partner: ChainlitClient = client_factory(stack.url, headers={**cookie, "Origin": PARTNER})
    await partner.connect()
    assert partner.sio.connected

    # Long-polling is checked the same way, and answers CORS for listed origins only.
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as http:
        query = {"EIO": "4", "transport": "polling"}
        refused = await http.get("/ws/socket.io/", params=query, headers={"Origin": EVIL})
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        allowed = await http.get("/ws/socket.io/", params=query, headers={"Origin": PARTNER})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == PARTNER
