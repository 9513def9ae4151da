"""The roster of the hall's displays, kept for every process of a venue.

A display's socket lands on one process; the dashboard and the choice of the zone's one
speaking display need all of them. Every couple of seconds (and at once when its displays
change) each process `beat`s: it puts what it has per zone (how many displays, whether the
zone's configured speaker is among them) and gets back the roll of every live process:

- `connected`: displays per zone on every process (a process that stopped beating drops
  out after `ROSTER_TTL` seconds, a killed one included);
- `speaking`: the zones whose speaker this process chooses. One process per zone holds that
  lease, so one display speaks in the hall whichever processes the screens reached; it is
  renewed by each beat, handed over when its holder has no display of the zone left, taken
  by a process with the configured speaker, and free again `ROSTER_TTL` after a holder died;
- `offline_since`: per zone with no display on any process, when the first process noticed
  (in the venue clock), so every process names the same outage (one process alone keeps
  its own: `displays.health.Speakers`);
- `audio`: per zone, the last announcement report (`report` puts it).

`MemoryRoster` is one process alone (every zone speaks here); the Redis one
(`server.store.redis.RedisRoster`) does it in one Lua script per beat, timed by Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol

import msgspec

# A process that has not beaten for this long is taken as gone.
ROSTER_TTL = 6.0


class ZoneHere(msgspec.Struct, frozen=True):
    """What this process has of a zone: its displays, and whether the configured speaker
    is one of them."""

    count: int
    preferred: bool = False


class Roll(msgspec.Struct, frozen=True):
    connected: dict[str, int]
    speaking: frozenset[str] | None  # None: every zone (one process alone)
    offline_since: dict[str, str]
    audio: dict[str, bytes]


class Roster(Protocol):
    shared: bool

    async def beat(self, here: dict[str, ZoneHere], now: str) -> Roll:
        """Put what this process has of every zone of the venue (`now` in the venue
        clock, ISO); the roll of every live process."""
        ...

    async def report(self, zone: str, status: bytes) -> None: ...

    def handed(self) -> AsyncIterator[None]:
        """Once each time another process released or took a zone's lease (beat now, so a
        zone is not left without a speaker until the next periodic beat)."""
        ...

    async def close(self) -> None: ...


class MemoryRoster:
    """One process alone: its own displays are all there are."""

    shared = False

    def __init__(self) -> None:
        self._audio: dict[str, bytes] = {}

    async def beat(self, here: dict[str, ZoneHere], now: str) -> Roll:
        connected = {zone: mine.count for zone, mine in here.items()}
        return Roll(connected, None, {}, dict(self._audio))

    async def report(self, zone: str, status: bytes) -> None:
        self._audio[zone] = status

    async def handed(self) -> AsyncIterator[None]:
        await asyncio.Event().wait()  # alone, nobody else hands a zone over
        yield

    async def close(self) -> None:
        pass


def open_roster(redis_url: str, venue: str) -> Roster:
    if not redis_url:
        return MemoryRoster()
    from server.store.redis import RedisRoster  # Redis stays an optional dependency

    return RedisRoster(redis_url, venue)
