"""The event log on Redis Streams, for several processes or hosts sharing one log.

Each venue has three keys sharing the `{venue}` hash tag, so a Redis Cluster keeps them on
one slot and one Lua script may touch them all:

    antrean:{<venue>}:log    stream; entry id `0-<seq>`, fields c=command_id, d=event bytes,
                             h=the command's digest
    antrean:{<venue>}:cmd    hash; command_id -> "first_seq:last_seq:digest"
    antrean:{<venue>}:epoch  string; random id, created once with SET NX

The stream id *is* the position, so reading after `seq` is `XRANGE (0-<seq>` and following is
`XREAD BLOCK` from `0-<seq>`, with no translation table. Needs Redis >= 7.0 (SET NX GET).

Operations: `venues` scans for the log keys; `load` writes records with their own stream
ids and command hash values in one MULTI/EXEC per batch; `drop` deletes the three keys;
`in_use` looks for a server's follower connection (named `antrean-follow`) on the same
database in `CLIENT LIST`.

The digest is written by the append script with the events, so the binding is as atomic as
the append. Entries and hash values written before digests existed ("first:last", no `h`)
read as "" (unbound).

A dropped connection is retried twice with a short jittered backoff; an outage raises
`StoreUnavailable` within about a second (a stuck server: the 1 s command timeout; refused:
about 0.1 s), so a request is answered 503 at once instead of after redis-py's ten tries. Commands and the follower use
separate connections: the follower's socket timeout must outlast its blocking XREAD, the
commands' one must not. A retried append whose first try did land answers
`duplicate=True`: that is the command_id doing its job, not an error. Only `follow` waits an
outage out (it runs for ever anyway): it retries with backoff and resumes from its seq.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncGenerator, Iterator, Sequence
from pathlib import Path
from typing import Literal

from redis import exceptions
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.typing import StreamEntry, StreamRangeResponse, XReadResponse

from server.store import (
    Appended,
    CommandIdReused,
    Conflict,
    Record,
    StoreUnavailable,
    commands_of,
)
from server.store.counts import FORGET_SECONDS, Rule, Strike, milliseconds
from server.store.roster import ROSTER_TTL, Roll, ZoneHere

# How long one XREAD waits for news before asking again; short enough that a dead
# connection is noticed soon, long enough to cost nothing while idle.
_BLOCK_MS = 1_000
_FOLLOW_BATCH = 1_000
# A LAN connect takes a millisecond; a host that does not answer in half a second is down.
_CONNECT_TIMEOUT = 0.5
# An append or a read takes milliseconds on a live Redis; one that hangs for a second is
# stuck (a frozen or swapping server), and the caller is better told so than kept waiting.
_COMMAND_TIMEOUT = 1.0
# The follower's reads block for _BLOCK_MS by design.
_FOLLOW_TIMEOUT = _BLOCK_MS / 1000 + _COMMAND_TIMEOUT
# What redis-py raises when Redis cannot be reached (BusyLoadingError, still loading its
# data after a restart, is a ConnectionError).
_UNREACHABLE = (exceptions.ConnectionError, exceptions.TimeoutError)

# How long a follower waits before asking a Redis it could not reach again: doubling, capped.
_RECONNECT_FIRST, _RECONNECT_MAX = 0.1, 2.0

# The follower's connection name: what tells `in_use` that a server follows a log here.
FOLLOWER_NAME = "antrean-follow"

log = logging.getLogger(__name__)

# Statuses returned by the append script, first element of its reply.
_APPENDED, _DUPLICATE, _CONFLICT, _REUSED = 0, 1, 2, 3

# KEYS: log stream, command hash. ARGV: expected_seq, command_id, digest, event 1, event 2,
# ... One script so duplicate check, head check and write happen atomically. Every check
# comes before the first write, because Redis does not roll a failed script back.
# An empty digest on either side binds nothing (see `server.store.same_command`).
_APPEND = """
local done = redis.call('HGET', KEYS[2], ARGV[2])
if done then
  local first, last, digest = string.match(done, '^(%d+):(%d+):?(.*)$')
  if digest ~= '' and ARGV[3] ~= '' and digest ~= ARGV[3] then
    return {3, tonumber(first), tonumber(last)}
  end
  return {1, tonumber(first), tonumber(last)}
end
local head = 0
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if newest[1] then
  head = tonumber(string.match(newest[1][1], '^0%-(%d+)$'))
end
if head ~= tonumber(ARGV[1]) then
  return {2, head, head}
end
for i = 4, #ARGV do
  local id = string.format('0-%d', head + i - 3)
  redis.call('XADD', KEYS[1], id, 'c', ARGV[2], 'd', ARGV[i], 'h', ARGV[3])
end
local last = head + #ARGV - 3
redis.call('HSET', KEYS[2], ARGV[2], string.format('%d:%d:%s', head + 1, last, ARGV[3]))
return {0, head + 1, last}
"""


class RedisLog:
    """Every venue's log in the Redis database at `url` (`redis://host:port/db`)."""

    backend = "redis"

    def __init__(self, url: str) -> None:
        self._redis = _client(url, _COMMAND_TIMEOUT)
        self._follower = _client(url, _FOLLOW_TIMEOUT, name=FOLLOWER_NAME)
        self._append = self._redis.register_script(_APPEND)

    async def epoch(self, venue: str) -> str:
        token = secrets.token_hex(8)
        # NX + GET: creates the epoch only if absent and returns the one that was already
        # there, in one atomic step, so two processes can never disagree.
        with _reachable():
            existing = await self._redis.set(_key(venue, "epoch"), token, nx=True, get=True)
        return _text(existing) if isinstance(existing, bytes | str) else token

    async def head(self, venue: str) -> int:
        with _reachable():
            newest = await self._redis.xrevrange(_key(venue, "log"), count=1)
        return _seq(newest[0][0]) if newest else 0

    async def append(
        self,
        venue: str,
        expected_seq: int,
        events: Sequence[bytes],
        command_id: str,
        digest: str = "",
    ) -> Appended:
        if not events:
            raise ValueError("append needs at least one event")
        keys = [_key(venue, "log"), _key(venue, "cmd")]
        with _reachable():
            reply = await self._append(keys=keys, args=[expected_seq, command_id, digest, *events])
        status, first, last = (int(value) for value in reply)
        if status == _CONFLICT:
            raise Conflict(venue, expected_seq, first)
        if status == _REUSED:
            raise CommandIdReused(venue, command_id)
        return Appended(first_seq=first, last_seq=last, duplicate=status == _DUPLICATE)

    async def read(self, venue: str, after: int, limit: int = 10_000) -> list[Record]:
        # "(" makes the start exclusive: records strictly after `after`.
        with _reachable():
            entries = await self._redis.xrange(
                _key(venue, "log"), min=f"({_id(after)}", count=limit
            )
        return [_record(entry) for entry in entries or ()]

    async def follow(self, venue: str, after: int) -> AsyncGenerator[Record, None]:
        """Yield every record after `after`, then each new one as it lands, forever."""
        key, pause = _key(venue, "log"), 0.0
        while True:
            try:
                reply = await self._follower.xread(
                    {key: _id(after)}, count=_FOLLOW_BATCH, block=_BLOCK_MS
                )
            except _UNREACHABLE as error:
                if not pause:
                    log.warning("following %s: Redis unreachable (%s); retrying", venue, error)
                pause = min(_RECONNECT_MAX, pause * 2 or _RECONNECT_FIRST)
                await asyncio.sleep(pause)
                continue
            if pause:
                log.info("following %s: Redis reachable again", venue)
                pause = 0.0
            for entry in _entries(reply):
                record = _record(entry)
                after = record.seq
                yield record

    async def close(self) -> None:
        await self._redis.aclose()
        await self._follower.aclose()

    async def venues(self) -> list[str]:
        found: set[str] = set()
        with _reachable():
            async for key in self._redis.scan_iter(match="antrean:{*}:log", count=1000):
                found.add(_text(key).removeprefix("antrean:{").removesuffix("}:log"))
        return sorted(found)

    async def load(self, venue: str, records: Sequence[Record]) -> None:
        if not records:
            return
        head = await self.head(venue)
        if records[0].seq != head + 1:
            raise Conflict(venue, records[0].seq - 1, head)
        log_key, cmd_key = _key(venue, "log"), _key(venue, "cmd")
        with _reachable():
            async with self._redis.pipeline(transaction=True) as batch:
                for r in records:
                    fields = {"c": r.command_id, "d": r.data, "h": r.digest}
                    batch.xadd(log_key, fields, id=_id(r.seq))  # type: ignore[arg-type]
                commands = commands_of(records)
                batch.hset(cmd_key, mapping={c: f"{f}:{la}:{d}" for c, f, la, d in commands})
                await batch.execute()

    async def drop(self, venue: str) -> None:
        with _reachable():
            await self._redis.delete(*(_key(venue, kind) for kind in ("log", "cmd", "epoch")))

    async def backup(self, path: Path) -> None:
        # Exported into the SQLite log's own format: a backup restores the same way from
        # either backend.
        from server.store.sqlite import SqliteLog, seal
        from server.store.transfer import export

        target = SqliteLog(str(path))
        try:
            await export(self, target)
        finally:
            await target.close()
            # The file is new and ours alone: its lock file need not stay beside it.
            await asyncio.to_thread(Path(f"{path}-lock").unlink, missing_ok=True)
        await asyncio.to_thread(seal, path)

    async def in_use(self) -> bool:
        db = self._redis.connection_pool.connection_kwargs.get("db", 0)
        with _reachable():
            clients = await self._redis.client_list(_type="normal")
        return any(c.get("name") == FOLLOWER_NAME and int(c["db"]) == db for c in clients)


def _client(url: str, timeout: float, name: str | None = None) -> Redis:
    # Bytes in, bytes out: event payloads are opaque and need not be UTF-8. The retry is
    # explicit because `from_url`, unlike `Redis()`, builds connections that never retry:
    # two more tries, 10 .. 100 ms apart, ride out a dropped connection, not an outage. A
    # timeout is not tried again: a server that did not answer in time will not answer the
    # next try sooner, and three waits would be three times as slow.
    backoff = ExponentialWithJitterBackoff(cap=0.1, base=0.01)
    retry = Retry(backoff, retries=2, supported_errors=(exceptions.ConnectionError,))
    return Redis.from_url(
        url,
        decode_responses=False,
        retry=retry,
        socket_connect_timeout=_CONNECT_TIMEOUT,
        socket_timeout=timeout,
        client_name=name,
    )


@contextlib.contextmanager
def _reachable() -> Iterator[None]:
    """Turn redis-py's "cannot reach Redis" errors into the store's own."""
    try:
        yield
    except _UNREACHABLE as error:
        raise StoreUnavailable("redis", str(error) or type(error).__name__) from error


def _key(venue: str, kind: Literal["log", "cmd", "epoch"]) -> str:
    return f"antrean:{{{venue}}}:{kind}"


def _id(seq: int) -> str:
    return f"0-{seq}"


def _seq(stream_id: bytes | str | None) -> int:
    return int(_text(stream_id).removeprefix("0-"))


def _text(value: bytes | str | None) -> str:
    if value is None:
        raise ValueError("Redis answered nothing where a value was expected")
    return value.decode() if isinstance(value, bytes) else value


def _record(entry: StreamEntry) -> Record:
    stream_id, fields = entry
    if fields is None:
        raise ValueError(f"stream entry {stream_id!r} has no fields")
    data, digest = fields[b"d"], fields.get(b"h", b"")
    return Record(_seq(stream_id), _text(fields[b"c"]), _bytes(data), _text(digest))


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _entries(reply: XReadResponse) -> StreamRangeResponse:
    # We read one stream. redis-py's default ("legacy") reply shape is [[key, entries]],
    # also on a RESP3 connection; an empty reply (the block timed out) is [].
    if not isinstance(reply, list):
        raise TypeError(f"unexpected XREAD reply shape {type(reply).__name__}")
    return [entry for _stream, entries in reply for entry in entries]


# KEYS: the tries (sorted set: time -> a unique member), the key's state (hash: `n` a
# counter for members, `holds` in a row, `until` in ms). ARGV: limit, window, first,
# longest, forget (all ms). Reply: held ms, count, hold ms (see `server.store.counts`).
# Timed by Redis's own clock, one for every process.
_STRIKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local first, longest, forget = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local expires = tonumber(redis.call('HGET', KEYS[2], 'until') or '0')
if expires > now then
  return {expires - now, 0, 0}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local token = redis.call('HINCRBY', KEYS[2], 'n', 1)
redis.call('ZADD', KEYS[1], now, token)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('PEXPIRE', KEYS[1], window)
  redis.call('PEXPIRE', KEYS[2], forget)
  return {0, count, 0, token}
end
local holds = redis.call('HINCRBY', KEYS[2], 'holds', 1)
local hold = math.floor(math.min(first * 2 ^ (holds - 1), longest))
redis.call('HSET', KEYS[2], 'until', now + hold)
redis.call('DEL', KEYS[1])
redis.call('PEXPIRE', KEYS[2], math.max(forget, hold))
return {0, 0, hold, token}
"""

# KEYS: the tries, the key's state. ARGV: the try's token, 1 when it started a hold, the
# rule's limit, its window (ms). Takes the try back; a hold it started is lifted and the
# tries before it are counted again (as of now: stricter, never looser).
_FORGIVE = """
if redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
if ARGV[2] ~= '1' then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[2], 'until', 0)
if tonumber(redis.call('HGET', KEYS[2], 'holds') or '0') > 0 then
  redis.call('HINCRBY', KEYS[2], 'holds', -1)
end
for i = 1, tonumber(ARGV[3]) - 1 do
  redis.call('ZADD', KEYS[1], now, redis.call('HINCRBY', KEYS[2], 'n', 1))
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
"""

_HELD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expires = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
return math.max(0, expires - now)
"""

# KEYS: the takes (sorted set). ARGV: limit, window (ms). 1 taken, 0 not. A member is the
# time and the count before it: two takes in one millisecond still differ.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local taken = redis.call('ZCARD', KEYS[1])
if taken >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, now .. ':' .. taken)
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""


class RedisCounts:
    """`server.store.counts.Counts` for every process on the Redis at `url`, one venue's
    keys under `antrean:{<venue>}:count:`."""

    backend = "redis"

    def __init__(self, url: str, venue: str) -> None:
        self._redis = _client(url, _COMMAND_TIMEOUT)
        self._prefix = f"antrean:{{{venue}}}:count:"
        self._strike = self._redis.register_script(_STRIKE)
        self._held = self._redis.register_script(_HELD)
        self._take = self._redis.register_script(_TAKE)
        self._forgive = self._redis.register_script(_FORGIVE)

    async def strike(self, key: str, rule: Rule) -> Strike:
        keys = [self._prefix + key + ":tries", self._prefix + key]
        args = [rule.limit, *map(milliseconds, (rule.window, rule.first, rule.longest))]
        with _reachable():
            reply = await self._strike(keys=keys, args=[*args, milliseconds(FORGET_SECONDS)])
        if len(reply) == 3:  # refused: no token
            held, count, hold = (int(value) for value in reply)
            return Strike(held=held / 1000, count=count, hold=hold / 1000)
        held, count, hold, token = (int(value) for value in reply)
        return Strike(held=held / 1000, count=count, hold=hold / 1000, token=str(token))

    async def held_for(self, key: str) -> float:
        with _reachable():
            reply = await self._held(keys=[self._prefix + key])
        return int(reply) / 1000

    async def clear(self, key: str) -> None:
        with _reachable():
            await self._redis.delete(self._prefix + key + ":tries", self._prefix + key)

    async def forgive(self, key: str, rule: Rule, strike: Strike) -> None:
        if not strike.token:
            return
        keys = [self._prefix + key + ":tries", self._prefix + key]
        args: list[str | int] = [strike.token, int(bool(strike.hold)), rule.limit]
        args.append(milliseconds(rule.window))
        with _reachable():
            await self._forgive(keys=keys, args=args)

    async def take(self, key: str, limit: int, window: float) -> bool:
        keys = [self._prefix + key + ":takes"]
        with _reachable():
            reply = await self._take(keys=keys, args=[limit, milliseconds(window)])
        return bool(int(reply))

    async def close(self) -> None:
        await self._redis.aclose()


# KEYS: entries (process -> JSON {zone: {c: displays, p: 1 when the configured speaker is
# one, s: since when (ms)}}), beats (process -> ms), leases (zone -> "process|expires
# ms|since when it has the configured speaker, 0 when it has not"), offline (zone ->
# venue-clock ISO), audio (zone -> report). ARGV: process, ttl ms, venue-clock now, this
# process's entry without `s`. See `server.store.roster`.
# The configured speaker takes the zone from a holder without it, and from a holder with
# it since longer: a speaker that reconnected to another process (its old socket not yet
# noticed dead) speaks at once, and the holder with the older one never takes it back.
_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local proc, ttl, venue_now = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local mine = cjson.decode(ARGV[4])
local before = redis.call('HGET', KEYS[1], proc)
local had = before and cjson.decode(before) or {}
for zone, here in pairs(mine) do
  local earlier = had[zone]
  if here.p == 1 then
    here.s = (earlier and earlier.p == 1 and earlier.s) or now
  else
    here.s = 0
  end
end
local entry = cjson.encode(mine)
redis.call('HSET', KEYS[1], proc, entry)
redis.call('HSET', KEYS[2], proc, now)
local beats = redis.call('HGETALL', KEYS[2])
local totals = {}
for i = 1, #beats, 2 do
  local other = beats[i]
  if tonumber(beats[i + 1]) < now - ttl then
    redis.call('HDEL', KEYS[1], other)
    redis.call('HDEL', KEYS[2], other)
  else
    local entry = redis.call('HGET', KEYS[1], other)
    if entry then
      for zone, here in pairs(cjson.decode(entry)) do
        totals[zone] = (totals[zone] or 0) + here.c
      end
    end
  end
end
local speaking, handed = {}, false
for zone, here in pairs(mine) do
  local lease = redis.call('HGET', KEYS[3], zone)
  local owner, expires, since = nil, 0, 0
  if lease then
    local o, e, n = string.match(lease, '^(.*)|(%d+)|(%d+)$')
    owner, expires, since = o, tonumber(e), tonumber(n)
  end
  local free = (not lease) or owner == proc or expires < now
  local newer = here.p == 1 and (since == 0 or here.s > since)
  if here.c > 0 and (free or newer) then
    redis.call('HSET', KEYS[3], zone, proc .. '|' .. (now + ttl) .. '|' .. here.s)
    table.insert(speaking, zone)
    handed = handed or (owner ~= nil and owner ~= proc)
  elseif here.c == 0 and owner == proc then
    redis.call('HDEL', KEYS[3], zone)
    handed = true
  end
  if (totals[zone] or 0) > 0 then
    redis.call('HDEL', KEYS[4], zone)
  else
    redis.call('HSETNX', KEYS[4], zone, venue_now)
  end
end
if handed then
  redis.call('PUBLISH', ARGV[5], proc)
end
return {cjson.encode(totals), speaking, redis.call('HGETALL', KEYS[4]),
        redis.call('HGETALL', KEYS[5])}
"""

# KEYS: entries, beats, leases. ARGV: process, channel. A process leaving hands its zones
# over now.
_LEAVE = """
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local leases = redis.call('HGETALL', KEYS[3])
for i = 1, #leases, 2 do
  if string.match(leases[i + 1], '^(.*)|%d+|%d+$') == ARGV[1] then
    redis.call('HDEL', KEYS[3], leases[i])
  end
end
redis.call('PUBLISH', ARGV[2], ARGV[1])
return 0
"""


class RedisRoster:
    """`server.store.roster.Roster` for every process on the Redis at `url`."""

    shared = True

    def __init__(self, url: str, venue: str, ttl: float = ROSTER_TTL) -> None:
        self._redis = _client(url, _COMMAND_TIMEOUT)
        self.ttl = ttl
        names = ("entries", "beats", "leases", "offline", "audio")
        self._keys = [f"antrean:{{{venue}}}:roster:{name}" for name in names]
        self.process = secrets.token_hex(6)
        self._channel = f"antrean:{{{venue}}}:roster:handed"
        # Its own connection: a subscribed one can send nothing else.
        self._listener = _client(url, _FOLLOW_TIMEOUT)
        self._beat = self._redis.register_script(_BEAT)
        self._leave = self._redis.register_script(_LEAVE)

    async def beat(self, here: dict[str, ZoneHere], now: str) -> Roll:
        entry = {zone: {"c": mine.count, "p": int(mine.preferred)} for zone, mine in here.items()}
        args: list[str | int] = [self.process, milliseconds(self.ttl), now, json.dumps(entry)]
        args.append(self._channel)
        with _reachable():
            totals, speaking, offline, audio = await self._beat(keys=self._keys, args=args)
        return Roll(
            connected={zone: int(count) for zone, count in json.loads(totals).items()},
            speaking=frozenset(_text(zone) for zone in speaking),
            offline_since={_text(k): _text(v) for k, v in _pairs(offline)},
            audio={_text(k): _bytes(v) for k, v in _pairs(audio)},
        )

    async def report(self, zone: str, status: bytes) -> None:
        with _reachable():
            await self._redis.hset(self._keys[4], zone, status)

    async def handed(self) -> AsyncGenerator[None, None]:
        """Once each time another process released or took a zone's lease: beat now."""
        pause = 0.0
        while True:
            try:
                async with self._listener.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    pause = 0.0
                    while True:
                        message = await pubsub.get_message(True, timeout=_BLOCK_MS / 1000)
                        if message is not None and _text(message["data"]) != self.process:
                            yield
            except _UNREACHABLE:
                pause = min(_RECONNECT_MAX, pause * 2 or _RECONNECT_FIRST)
                await asyncio.sleep(pause)

    async def close(self) -> None:
        # Leaving now, not after ROSTER_TTL: the others are told and take the zones.
        try:
            with contextlib.suppress(StoreUnavailable), _reachable():
                await self._leave(keys=self._keys[:3], args=[self.process, self._channel])
        finally:
            await self._redis.aclose()
            await self._listener.aclose()


def _pairs(flat: list[bytes]) -> Iterator[tuple[bytes, bytes]]:
    return zip(flat[::2], flat[1::2], strict=True)
