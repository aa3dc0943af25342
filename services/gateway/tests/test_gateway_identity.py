"""The gateway's identity check against the real auth service: the login policy is
asked once per cache period however many requests arrive together."""

from __future__ import annotations

import asyncio

import httpx
import redis.asyncio as aioredis
from gateway_support import SERVICE_SECRET, UNUSED_URL

from switchboard.names import RedisNames
from switchboard_gateway.identity import GatewayIdentity
from switchboard_gateway.upstream import Upstreams


async def test_a_burst_of_connects_asks_the_login_policy_once(
    redis_url: str, gateway_prefix: str, upstreams: tuple[str, str]
) -> None:
    _, auth_url = upstreams
    asked: list[str] = []

    async def count(request: httpx.Request) -> None:
        asked.append(request.url.path)

    clients = Upstreams(SERVICE_SECRET, auth_url=auth_url, persistence_url=UNUSED_URL, timeout=10)
    clients.auth.event_hooks["request"].append(count)
    redis = aioredis.Redis.from_url(redis_url)
    identity = GatewayIdentity(redis, RedisNames(gateway_prefix), clients, None, "access_token")
    try:
        first = await asyncio.gather(*(identity({}) for _ in range(50)))
        assert asked == ["/auth/config"]
        assert all(not who.login_required and who.user is None for who in first)

        # Once the cached answer lapses, the next burst asks again, once.
        await asyncio.sleep(2.1)
        await asyncio.gather(*(identity.login_required() for _ in range(50)))
        assert asked == ["/auth/config", "/auth/config"]
    finally:
        await clients.aclose()
        await redis.aclose()


async def test_a_caller_that_goes_away_does_not_fail_the_others(
    redis_url: str, gateway_prefix: str, upstreams: tuple[str, str]
) -> None:
    _, auth_url = upstreams
    clients = Upstreams(SERVICE_SECRET, auth_url=auth_url, persistence_url=UNUSED_URL, timeout=10)
    redis = aioredis.Redis.from_url(redis_url)
    identity = GatewayIdentity(redis, RedisNames(gateway_prefix), clients, None, "access_token")
    try:
        leaving = asyncio.create_task(identity.login_required())
        staying = asyncio.create_task(identity.login_required())
        await asyncio.sleep(0)
        leaving.cancel()
        assert await staying is False
    finally:
        await clients.aclose()
        await redis.aclose()
