"""The app manifest in Redis: published by workers, read by the gateway and auth.

The one place that spells how the manifest is stored, so every producer and
consumer agrees on its shape (``switchboard.schema.manifest.AppManifest``).
"""

from __future__ import annotations

import hashlib
import logging

from pydantic import ValidationError
from redis.asyncio import Redis

from switchboard.aio import resolved
from switchboard.names import RedisNames
from switchboard.schema.manifest import AppManifest

__all__ = ("ManifestUnreadable", "publish_manifest", "read_manifest")

logger = logging.getLogger(__name__)

# Digest of the last value that failed to parse: it is read on every request, so
# one bad value is logged once, not once per request.
_last_bad: str | None = None


class ManifestUnreadable(RuntimeError):
    """A manifest is there but cannot be parsed (a worker of another version?).

    Raised, not read as "nothing registered": that would turn login off.
    """


async def read_manifest(redis: Redis, names: RedisNames) -> AppManifest | None:
    """The manifest workers published; None before any worker has published one.

    None reads as "nothing registered". A value that cannot be parsed raises
    ``ManifestUnreadable`` and Redis errors propagate: neither may look like an
    app without login.
    """
    global _last_bad
    raw = await resolved(redis.get(names.app_manifest))
    if raw is None:
        return None
    try:
        manifest = AppManifest.model_validate_json(raw)
    except ValidationError as exc:
        digest = hashlib.sha256(raw if isinstance(raw, bytes) else str(raw).encode()).hexdigest()
        if digest != _last_bad:
            _last_bad = digest
            logger.error(
                "app manifest unreadable",
                extra={"key": names.app_manifest, "error": str(exc)[:500]},
            )
        raise ManifestUnreadable(f"{names.app_manifest} cannot be parsed") from exc
    _last_bad = None
    return manifest


async def publish_manifest(
    redis: Redis, names: RedisNames, manifest: AppManifest, ttl: int
) -> None:
    """Write the manifest for ``ttl`` seconds; workers repeat this while they run."""
    await redis.set(names.app_manifest, manifest.model_dump_json(), ex=ttl)
