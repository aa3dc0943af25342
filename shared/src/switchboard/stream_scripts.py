"""The Lua scripts behind the multi-key writes of :class:`switchboard.streams.Streams`.

Each runs atomically in Redis, so concurrent producers (a worker deferring a
step while a gateway marks the first interaction) can never interleave and
strand an event. Each script says which KEYS and ARGV it takes.
"""

from __future__ import annotations

from switchboard.session_state import SessionField

__all__ = (
    "ACCEPT_MESSAGE",
    "ENQUEUE_CALL",
    "ENQUEUE_INPUT",
    "FIRST_INTERACTION",
    "PERSIST_OR_DEFER",
)

# KEYS: session hash, deferred list, persist stream. ARGV: event json, ttl seconds.
PERSIST_OR_DEFER = f"""
if redis.call('HGET', KEYS[1], '{SessionField.INTERACTED}') == '1' then
  redis.call('XADD', KEYS[3], '*', 'e', ARGV[1])
  return 1
end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 0
"""

# KEYS: session hash, deferred list, persist stream. ARGV: thread upsert json.
# Returns 1 when this call made the first interaction.
FIRST_INTERACTION = f"""
if redis.call('HSETNX', KEYS[1], '{SessionField.INTERACTED}', '1') == 0 then
  return 0
end
redis.call('XADD', KEYS[3], '*', 'e', ARGV[1])
local pending = redis.call('LRANGE', KEYS[2], 0, -1)
for _, item in ipairs(pending) do
  redis.call('XADD', KEYS[3], '*', 'e', item)
end
redis.call('DEL', KEYS[2])
return 1
"""

# KEYS: inbox, job key, queue.
# ARGV: input json, job json, job id, score, ttl, wake channel, job expiry ms.
ENQUEUE_INPUT = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
redis.call('PUBLISH', ARGV[6], ARGV[3])
return 1
"""


# KEYS: job key, queue. ARGV: job json, job id, score, wake channel, job expiry ms.
ENQUEUE_CALL = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
"""


# One client message taken in one round trip: checks, first interaction, its step's
# persistence and its place in the session's inbox, all or nothing.
# KEYS: session hash, deferred list, persist stream, inbox, job key, queue, rate key.
# ARGV: thread id the sender holds, rate limit (0: none), max inputs waiting (0: none),
#       max queue depth (0: none), thread upsert json, step upsert json,
#       input json (first interaction), input json (later), job json, job id, score,
#       ttl, wake channel, job expiry ms.
ACCEPT_MESSAGE = f"""
local record = redis.call('HGET', KEYS[1], '{SessionField.RECORD}')
if not record then
  return 'gone'
end
if cjson.decode(record)['thread_id'] ~= ARGV[1] then
  return 'moved'
end
if redis.call('EXISTS', KEYS[5]) == 1 then
  return 'duplicate'
end
local limit = tonumber(ARGV[2])
if limit > 0 then
  local count = redis.call('INCR', KEYS[7])
  if count == 1 then
    redis.call('EXPIRE', KEYS[7], 120)
  end
  if count > limit then
    return 'rate_limited'
  end
end
local max_inputs = tonumber(ARGV[3])
if max_inputs > 0 and redis.call('LLEN', KEYS[4]) >= max_inputs then
  return 'session_full'
end
local max_depth = tonumber(ARGV[4])
if max_depth > 0 and redis.call('ZCARD', KEYS[6]) >= max_depth then
  return 'overloaded'
end
local first = redis.call('HSETNX', KEYS[1], '{SessionField.INTERACTED}', '1') == 1
if first then
  redis.call('XADD', KEYS[3], '*', 'e', ARGV[5])
  local pending = redis.call('LRANGE', KEYS[2], 0, -1)
  for _, item in ipairs(pending) do
    redis.call('XADD', KEYS[3], '*', 'e', item)
  end
  redis.call('DEL', KEYS[2])
end
redis.call('XADD', KEYS[3], '*', 'e', ARGV[6])
redis.call('RPUSH', KEYS[4], first and ARGV[7] or ARGV[8])
redis.call('EXPIRE', KEYS[4], ARGV[12])
redis.call('SET', KEYS[5], ARGV[9], 'PX', ARGV[14])
redis.call('ZADD', KEYS[6], ARGV[11], ARGV[10])
redis.call('PUBLISH', ARGV[13], ARGV[10])
if first then
  return 'first'
end
return 'accepted'
"""
