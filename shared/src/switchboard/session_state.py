"""A session's state in Redis, behind one typed API.

Sessions are created and restored through ``session_lifecycle`` and ended by
the sessions service; the gateway and the workers read and change a running
session's state only through this module, so the hash's field names are
spelled here and nowhere else (Lua scripts format them in from
``SessionField``).

Who writes what:

- ``record``: ``session_lifecycle`` on connect (run by the gateway); a worker when a resume moves
  the session onto the resumed thread.
- ``chat_started``: the gateway, once, when the client first says
  ``connection_successful``.
- ``interacted``: whoever records the first interaction (``Streams``'s script).
- ``chat_settings``: the gateway on ``chat_settings_change``; a worker when the
  app sends ``ChatSettings`` or a resume restores them. ``chat_settings_spec``:
  a worker when the app sends ``ChatSettings``.
- ``ending``: the sessions service while it ends the session.
- ``user_session``: workers (see ``UserSessionStore``).
- ``mcp``: the worker holding the session's lock, when an MCP server is connected or
  removed; any worker that runs the session later re-opens what it lists.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from redis.asyncio import Redis

from switchboard.aio import resolved
from switchboard.names import RedisNames
from switchboard.schema.mcp import McpSpec
from switchboard.schema.session import SessionRecord

__all__ = (
    "CallbackState",
    "SessionField",
    "SessionState",
    "UserSessionSnapshot",
    "UserSessionStore",
    "encode_value",
)


class SessionField:
    """Field names of the session hash (``RedisNames.session``)."""

    RECORD: Final = "record"
    CHAT_STARTED: Final = "chat_started"
    INTERACTED: Final = "interacted"
    CHAT_SETTINGS: Final = "chat_settings"
    CHAT_SETTINGS_SPEC: Final = "chat_settings_spec"
    ENDING: Final = "ending"
    MCP: Final = "mcp"
    MCP_TOOLS: Final = "mcp_tools"


# The user_session hash's own bookkeeping: bumped by every write, so a worker
# knows whether the live objects it kept from the session's last callback are
# still the latest. No app key can collide with it (it starts with a NUL).
VERSION_FIELD: Final = "\x00version"

# Apply changed user_session values only while the session lives, bump the
# version, and answer the new version (or -1 if the session has ended).
_SAVE_USER_SESSION = f"""
if redis.call('HEXISTS', KEYS[1], '{SessionField.RECORD}') == 0 then
  return -1
end
local removed = tonumber(ARGV[1])
for i = 2, removed + 1 do
  redis.call('HDEL', KEYS[2], ARGV[i])
end
for i = removed + 2, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
return redis.call('HINCRBY', KEYS[2], '{VERSION_FIELD}', 1)
"""


# Set (or with an empty value clear) the session's MCP specs and their tool names
# while it lives.
_SAVE_MCP = f"""
if redis.call('HEXISTS', KEYS[1], '{SessionField.RECORD}') == 0 then
  return 0
end
if ARGV[1] == '' then
  redis.call('HDEL', KEYS[1], '{SessionField.MCP}', '{SessionField.MCP_TOOLS}')
else
  redis.call('HSET', KEYS[1], '{SessionField.MCP}', ARGV[1], '{SessionField.MCP_TOOLS}', ARGV[2])
end
return 1
"""


def _mcp_specs(raw: bytes | str | None) -> dict[str, McpSpec]:
    if not raw:
        return {}
    stored: dict[str, Any] = json.loads(raw)
    return {name: McpSpec.model_validate(spec) for name, spec in stored.items()}


def encode_value(value: Any) -> str | None:
    """A user_session value as JSON, or None if it cannot travel as JSON."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        pass
    try:  # what orjson refuses but json takes (integers beyond 64 bits)
        return json.dumps(value)
    except (TypeError, ValueError):
        return None


class SessionState:
    """Reads and writes of one session's hash (record, flags, chat settings)."""

    def __init__(self, redis: Redis, names: RedisNames) -> None:
        self.redis = redis
        self.names = names

    def key(self, session_id: str) -> str:
        return self.names.session(session_id)

    async def record(self, session_id: str) -> SessionRecord | None:
        raw = await resolved(self.redis.hget(self.key(session_id), SessionField.RECORD))
        return SessionRecord.model_validate_json(raw) if raw else None

    async def alive(self, session_id: str) -> bool:
        return bool(await resolved(self.redis.hexists(self.key(session_id), SessionField.RECORD)))

    async def alive_many(self, session_ids: list[str]) -> list[bool]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for session_id in session_ids:
                pipe.hexists(self.key(session_id), SessionField.RECORD)
            return [bool(found) for found in await pipe.execute()]

    async def start_chat(self, session_id: str) -> bool:
        """Mark the chat started; True only for the first caller."""
        return bool(
            await resolved(self.redis.hsetnx(self.key(session_id), SessionField.CHAT_STARTED, "1"))
        )

    async def interacted(self, session_id: str) -> bool:
        return bool(await resolved(self.redis.hget(self.key(session_id), SessionField.INTERACTED)))

    async def chat_settings(self, session_id: str) -> dict[str, Any]:
        raw = await resolved(self.redis.hget(self.key(session_id), SessionField.CHAT_SETTINGS))
        return dict(json.loads(raw)) if raw else {}

    async def chat_settings_and_spec(
        self, session_id: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        stored, spec = await resolved(
            self.redis.hmget(
                self.key(session_id),
                [SessionField.CHAT_SETTINGS, SessionField.CHAT_SETTINGS_SPEC],
            )
        )
        return (json.loads(stored) if stored else {}), (json.loads(spec) if spec else [])

    async def save_chat_settings(
        self,
        session_id: str,
        values: dict[str, Any],
        spec: list[dict[str, Any]] | None = None,
    ) -> None:
        mapping = {SessionField.CHAT_SETTINGS: json.dumps(values)}
        if spec is not None:
            mapping[SessionField.CHAT_SETTINGS_SPEC] = json.dumps(spec)
        await resolved(self.redis.hset(self.key(session_id), mapping=mapping))

    async def mcp_specs(self, session_id: str) -> dict[str, McpSpec]:
        """The MCP servers the session has connected, by name (secret values sealed)."""
        return _mcp_specs(await resolved(self.redis.hget(self.key(session_id), SessionField.MCP)))

    async def mcp_servers(self, session_id: str) -> list[tuple[McpSpec, list[str]]]:
        """The session's MCP servers (secret values sealed) with their tools' names."""
        raw_specs, raw_tools = await resolved(
            self.redis.hmget(self.key(session_id), [SessionField.MCP, SessionField.MCP_TOOLS])
        )
        tools: dict[str, list[str]] = json.loads(raw_tools) if raw_tools else {}
        return [(spec, tools.get(name, [])) for name, spec in _mcp_specs(raw_specs).items()]

    async def save_mcp_specs(
        self,
        session_id: str,
        specs: dict[str, McpSpec],
        tools: dict[str, list[str]] | None = None,
    ) -> None:
        """Replace the session's MCP servers and their tool names (only the lock holder
        writes them)."""
        encoded = json.dumps({name: spec.model_dump(mode="json") for name, spec in specs.items()})
        listed = json.dumps({name: (tools or {}).get(name, []) for name in specs})
        # Never recreates the hash of a session that ended meanwhile.
        await self.redis.register_script(_SAVE_MCP)(
            keys=[self.key(session_id)], args=[encoded if specs else "", listed]
        )

    async def move_to_thread(
        self,
        session: SessionRecord,
        chat_settings: dict[str, Any],
        user_values: dict[str, Any],
    ) -> None:
        """A resume: the session now writes to the resumed thread, with its state."""
        encoded = {k: v for k, v in ((k, encode_value(v)) for k, v in user_values.items()) if v}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                self.key(session.id),
                mapping={
                    SessionField.RECORD: session.model_dump_json(),
                    SessionField.INTERACTED: "1",
                    SessionField.CHAT_SETTINGS: json.dumps(chat_settings),
                },
            )
            user_key = self.names.user_session(session.id)
            if encoded:
                pipe.hset(user_key, mapping=encoded)
            pipe.hincrby(user_key, VERSION_FIELD, 1)
            await pipe.execute()


@dataclass
class UserSessionSnapshot:
    """``user_session`` as a callback sees it, and what was stored when it was loaded."""

    session_id: str
    values: dict[str, Any]
    stored: dict[str, str]
    version: int

    def changes(self) -> tuple[dict[str, str], list[str], dict[str, Any]]:
        """(values to store, keys to drop from Redis, values that stay in process)."""
        changed: dict[str, str] = {}
        local: dict[str, Any] = {}
        for key, value in self.values.items():
            encoded = encode_value(value)
            if encoded is None:
                local[key] = value
            elif self.stored.get(key) != encoded:
                changed[key] = encoded
        # A key now holding a value that cannot travel: another worker must not
        # see its older JSON value as if it were current.
        dropped = [key for key in local if key in self.stored]
        return changed, dropped, local


@dataclass
class CallbackState:
    user_session: UserSessionSnapshot
    chat_settings: dict[str, Any]
    # The chat context's messages, oldest first.
    chat_messages: list[dict[str, Any]]
    # The session's MCP servers as stored (secret values sealed), by name.
    mcp_specs: dict[str, McpSpec] = field(default_factory=dict)


@dataclass
class _Live:
    version: int
    values: dict[str, Any]
    stored: dict[str, str]
    local: dict[str, Any] = field(default_factory=dict)


class UserSessionStore:
    """``user_session`` across workers, with Chainlit's in-place semantics.

    A value read with ``get`` and changed in place is saved: on save, every
    value is encoded and compared with what was stored, so nothing depends on
    ``set`` having been called. The worker keeps the live objects of the
    sessions it ran (bounded, least recently used first out): while no other
    worker has written the session since, its next callback here gets the very
    same objects, as in Chainlit's single process; values that cannot travel as
    JSON are kept only here.
    """

    def __init__(self, redis: Redis, names: RedisNames, max_sessions: int = 10_000) -> None:
        self.redis = redis
        self.names = names
        self.max_sessions = max_sessions
        self._live: OrderedDict[str, _Live] = OrderedDict()
        self._save = redis.register_script(_SAVE_USER_SESSION)

    async def load(self, session_id: str) -> UserSessionSnapshot:
        raw = await resolved(self.redis.hgetall(self.names.user_session(session_id)))
        return self.snapshot(session_id, raw)

    async def load_for_callback(self, session_id: str) -> CallbackState:
        """What a callback starts from, read in one round trip: user_session, chat
        settings and the chat context."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.names.user_session(session_id))
            pipe.hget(self.names.session(session_id), SessionField.CHAT_SETTINGS)
            pipe.hvals(self.names.chat_context(session_id))
            pipe.hget(self.names.session(session_id), SessionField.MCP)
            raw_values, raw_settings, chat, raw_mcp = await pipe.execute()
        messages = sorted((orjson.loads(m) for m in chat), key=lambda m: m.get("createdAt") or "")
        return CallbackState(
            user_session=self.snapshot(session_id, raw_values),
            chat_settings=dict(json.loads(raw_settings)) if raw_settings else {},
            chat_messages=messages,
            mcp_specs=_mcp_specs(raw_mcp),
        )

    def snapshot(self, session_id: str, raw: dict[bytes, bytes]) -> UserSessionSnapshot:
        """The snapshot of the stored hash ``raw``, with this worker's live objects."""
        stored = {k.decode(): v.decode() for k, v in raw.items()}
        version = int(stored.pop(VERSION_FIELD, 0))
        live = self._live.get(session_id)
        if live is not None and live.version == version:
            self._live.move_to_end(session_id)
            return UserSessionSnapshot(session_id, live.values, dict(live.stored), version)
        values: dict[str, Any] = {k: json.loads(v) for k, v in stored.items()}
        if live is not None:
            # Written elsewhere since: its JSON values win, in-process ones stay.
            values.update({k: v for k, v in live.local.items() if k not in stored})
        return UserSessionSnapshot(session_id, values, stored, version)

    async def save(self, snapshot: UserSessionSnapshot) -> bool:
        """Store what changed since the snapshot was taken; False if the session ended."""
        changed, dropped, local = snapshot.changes()
        version = snapshot.version
        if changed or dropped:
            args: list[str] = [str(len(dropped)), *dropped]
            for key, encoded in changed.items():
                args += [key, encoded]
            version = int(
                await self._save(
                    keys=[self.names.session(snapshot.session_id), self._key(snapshot)],
                    args=args,
                )
            )
            if version < 0:
                self.forget(snapshot.session_id)
                return False
            for key in dropped:
                snapshot.stored.pop(key, None)
            snapshot.stored.update(changed)
            snapshot.version = version
        self._remember(snapshot, local)
        return True

    def forget(self, session_id: str) -> None:
        self._live.pop(session_id, None)

    def _key(self, snapshot: UserSessionSnapshot) -> str:
        return self.names.user_session(snapshot.session_id)

    def _remember(self, snapshot: UserSessionSnapshot, local: dict[str, Any]) -> None:
        self._live[snapshot.session_id] = _Live(
            snapshot.version, snapshot.values, dict(snapshot.stored), local
        )
        self._live.move_to_end(snapshot.session_id)
        while len(self._live) > self.max_sessions:
            self._live.popitem(last=False)
