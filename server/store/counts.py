"""Counts of tries: the one place every limit keeps what it has seen (sign-in throttles,
kiosk lockouts, rate limits), so several processes on one Redis share one truth.

Two operations, each one atomic step of the backend:

- `strike(key, rule)`: a guarded try (a password, a PIN, a booking code) is about to be
  checked. Refused while the key is held; otherwise counted, and the try that reaches the
  rule's `limit` within its `window` starts a hold (each hold in a row twice the one before,
  up to `longest`). Counting *before* the check is what stops tries sent at once, to one
  process or to several, from slipping past the limit. `clear(key)` after a right one;
  `forgive(key, rule, strike)` takes back that one try (and the hold it started) when it
  turned out to be no guess at all (nothing could be checked, or it was refused for
  another reason), leaving the others counted.
- `take(key, limit, window)`: at most `limit` in any `window` seconds (a sliding window); a
  refused take is not counted.

Backends: `MemoryCounts` (one process: `make run` on SQLite; a restart forgets) and
`RedisCounts` (every process on the Redis, timed by Redis's own clock so no process's clock
can move a window; keys expire by themselves). `open_counts` picks the one the settings name.
A Redis that cannot be reached raises `StoreUnavailable`, answered 503 like any outage.
"""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import msgspec

# A key idle this long is forgotten, its holds in a row with it.
FORGET_SECONDS = 86_400.0


class Rule(msgspec.Struct, frozen=True):
    """`limit` tries within `window` seconds start a hold of `first` seconds, doubling with
    each hold in a row up to `longest` (equal to `first`: always the same)."""

    limit: int
    window: float
    first: float
    longest: float


class Strike(msgspec.Struct, frozen=True):
    """What became of one guarded try."""

    # Seconds the key is still held: the try was refused and not counted (0: it was counted).
    held: float = 0.0
    # Tries within the window, this one included (0 when it started a hold).
    count: int = 0
    # Seconds of the hold this try started (0: none). The try itself is still checked.
    hold: float = 0.0
    # Names this try among the key's, for `forgive`.
    token: str = ""


class Counts(Protocol):
    backend: str

    async def strike(self, key: str, rule: Rule) -> Strike: ...

    async def held_for(self, key: str) -> float:
        """Seconds `key` is still held (0: free)."""
        ...

    async def clear(self, key: str) -> None:
        """A right try: `key` starts afresh (its count, hold and holds in a row)."""
        ...

    async def forgive(self, key: str, rule: Rule, strike: Strike) -> None:
        """Take back the try `strike` counted: uncounted, and its hold (if it started one)
        lifted with the tries before it counted again."""
        ...

    async def take(self, key: str, limit: int, window: float) -> bool: ...

    async def close(self) -> None: ...


def hold_seconds(rule: Rule, holds: int) -> float:
    """The `holds`-th hold in a row (1, 2, ...): `first`, doubled each time, at most `longest`."""
    return min(rule.first * 2.0 ** (holds - 1), rule.longest)


@dataclass(slots=True)
class _Key:
    tries: collections.deque[tuple[float, int]] = field(default_factory=collections.deque)
    holds: int = 0
    until: float = 0.0
    seen: float = 0.0
    counted: int = 0  # tries ever counted: each try's token


class MemoryCounts:
    """In this process's memory. At most `capacity` keys are kept: the longest idle go
    first, but never a held one to make room for others, so a flood of made-up names can
    neither grow memory nor lift a lockout."""

    backend = "memory"

    def __init__(self, clock: Callable[[], float] = time.monotonic, capacity: int = 20_000) -> None:
        self._clock, self.capacity = clock, capacity
        self._keys: collections.OrderedDict[str, _Key] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    async def strike(self, key: str, rule: Rule) -> Strike:
        now = self._clock()
        entry = self._touch(key, now)
        if entry.until > now:
            return Strike(held=entry.until - now)
        _slide(entry.tries, now, rule.window)
        entry.counted += 1
        entry.tries.append((now, entry.counted))
        token = str(entry.counted)
        if len(entry.tries) < rule.limit:
            return Strike(count=len(entry.tries), token=token)
        entry.holds += 1
        seconds = hold_seconds(rule, entry.holds)
        entry.until, entry.tries = now + seconds, collections.deque()
        return Strike(hold=seconds, token=token)

    async def held_for(self, key: str) -> float:
        entry = self._keys.get(key)
        return max(0.0, entry.until - self._clock()) if entry else 0.0

    async def clear(self, key: str) -> None:
        self._keys.pop(key, None)

    async def forgive(self, key: str, rule: Rule, strike: Strike) -> None:
        entry = self._keys.get(key)
        if entry is None or not strike.token:
            return
        if strike.hold:
            now = self._clock()
            entry.until, entry.holds = 0.0, max(0, entry.holds - 1)
            for _ in range(rule.limit - 1):
                entry.counted += 1
                entry.tries.append((now, entry.counted))
        else:
            entry.tries = collections.deque(t for t in entry.tries if str(t[1]) != strike.token)

    async def take(self, key: str, limit: int, window: float) -> bool:
        now = self._clock()
        entry = self._touch(key, now)
        _slide(entry.tries, now, window)
        if len(entry.tries) >= limit:
            return False
        entry.counted += 1
        entry.tries.append((now, entry.counted))
        return True

    async def close(self) -> None:
        self._keys.clear()

    def _touch(self, key: str, now: float) -> _Key:
        entry = self._keys.pop(key, None) or _Key()
        entry.seen = now
        self._keys[key] = entry  # the most recent last: the longest idle first to go
        if len(self._keys) > self.capacity or self._idle(next(iter(self._keys.values())), now):
            self._make_room(key, now)
        return entry

    def _make_room(self, keep: str, now: float) -> None:
        # The idle-for-a-day go, then the longest idle that are not held; held ones only
        # when nothing else is left, and never `keep`, the key just counted.
        over, held, gone = len(self._keys) - self.capacity, [], []
        for name, entry in self._keys.items():
            if name == keep:
                continue
            if self._idle(entry, now):
                gone.append(name)
                over -= 1
            elif over <= 0:
                break
            elif entry.until > now:
                held.append(name)
            else:
                gone.append(name)
                over -= 1
        for name in gone + held[: max(0, over)]:
            del self._keys[name]

    @staticmethod
    def _idle(entry: _Key, now: float) -> bool:
        return entry.seen < now - FORGET_SECONDS and entry.until <= now


def _slide(tries: collections.deque[tuple[float, int]], now: float, window: float) -> None:
    while tries and tries[0][0] <= now - window:
        tries.popleft()


def milliseconds(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


def open_counts(redis_url: str, venue: str) -> Counts:
    """The counts every process of the venue shares: on its Redis, else in this process."""
    if not redis_url:
        return MemoryCounts()
    from server.store.redis import RedisCounts  # Redis stays an optional dependency

    return RedisCounts(redis_url, venue)
