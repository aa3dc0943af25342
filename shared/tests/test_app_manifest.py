"""The app manifest contract: what workers publish is what the gateway and auth read."""

from __future__ import annotations

import logging

import orjson
import pytest
import redis.asyncio as aioredis

from switchboard.app_manifest import ManifestUnreadable, publish_manifest, read_manifest
from switchboard.names import RedisNames
from switchboard.schema.manifest import AppManifest
from switchboard.sdk.callbacks import AppCallbacks


def _app() -> AppCallbacks:
    app = AppCallbacks()
    app.hooks["on_message"] = print
    app.hooks["password_auth_callback"] = print
    app.actions["b"] = print
    app.actions["a"] = print
    return app


async def test_a_published_manifest_reads_back_as_written(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    names = RedisNames(redis_prefix)
    await publish_manifest(redis_client, names, _app().manifest("Bot"), ttl=30)
    manifest = await read_manifest(redis_client, names)
    assert manifest is not None
    assert manifest.has("on_message") and manifest.has("password_auth_callback")
    assert not manifest.has("on_chat_resume") and not manifest.has("no_such_hook")
    assert manifest.actions == ["a", "b"] and manifest.has_action("a")
    assert manifest.ui_name == "Bot"
    assert 0 < await redis_client.ttl(names.app_manifest) <= 30


async def test_the_wire_shape_is_the_one_older_readers_expect(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    names = RedisNames(redis_prefix)
    await publish_manifest(redis_client, names, _app().manifest("Bot"), ttl=30)
    raw = orjson.loads(await redis_client.get(names.app_manifest))
    assert set(raw) == {"callbacks", "actions", "ui_name"}
    assert raw["callbacks"]["on_message"] is True and raw["callbacks"]["on_stop"] is False


async def test_a_newer_workers_keys_are_ignored(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    names = RedisNames(redis_prefix)
    body = {"callbacks": {"on_future_hook": True}, "actions": [], "ui_name": "x", "new": {"a": 1}}
    await redis_client.set(names.app_manifest, orjson.dumps(body))
    manifest = await read_manifest(redis_client, names)
    assert manifest is not None and manifest.has("on_future_hook")


async def test_missing_is_none_and_unreadable_raises_logged_once(
    redis_client: aioredis.Redis, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    names = RedisNames(redis_prefix)
    assert await read_manifest(redis_client, names) is None
    await redis_client.set(names.app_manifest, b"{not json")
    with caplog.at_level(logging.ERROR, logger="switchboard.app_manifest"):
        for _ in range(3):
            with pytest.raises(ManifestUnreadable):
                await read_manifest(redis_client, names)
        await redis_client.set(names.app_manifest, orjson.dumps({"callbacks": []}))
        with pytest.raises(ManifestUnreadable):
            await read_manifest(redis_client, names)
    assert len([r for r in caplog.records if r.name == "switchboard.app_manifest"]) == 2


def test_an_empty_manifest_registers_nothing() -> None:
    assert not AppManifest().has("on_message") and AppManifest().actions == []
