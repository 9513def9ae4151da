"""Display health: which display of a zone speaks, and what became of its announcements.

Implements `server.presence.Presence` for the socket and `ZoneWatch` for the dashboard.
With several processes it beats the venue's roster (`server.store.roster`): the dashboard
counts every process's displays and reads every process's audio reports, and one process
per zone chooses the speaker, so one display speaks in the hall whatever process each
screen reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

import msgspec

from server.clock import Clock, utc_now
from server.domain.venue import Venue
from server.hub import Message, Subscriber
from server.presence import AudioStatus
from server.store import StoreUnavailable
from server.store.roster import MemoryRoster, Roll, Roster, ZoneHere

log = logging.getLogger(__name__)
SPEAKER = Message(msgspec.json.encode({"type": "role", "speaker": True}))
LISTENER = Message(msgspec.json.encode({"type": "role", "speaker": False}))
# How often the roster is beaten when nothing changed (a change beats at once).
BEAT_SECONDS = 2.0


class Speakers:
    """Exactly one connected display speaks per zone: the zone's configured speaker when it
    is connected, else the display connected longest. A join or a leave tells only the
    displays whose role it changes, so a hall of screens connecting costs O(N), not O(N²).
    With a shared roster, only the zones whose lease this process holds speak here."""

    def __init__(self, venue: Venue, roster: Roster | None = None, clock: Clock = utc_now) -> None:
        self.venue, self.clock = venue, clock
        self.roster = roster or MemoryRoster()
        self._zones: dict[str, list[Subscriber]] = {}
        self._named: dict[str, Subscriber] = {}  # per zone, the configured speaker if here
        self._status: dict[str, AudioStatus] = {}
        self._unsent: dict[str, AudioStatus] = {}
        self._offline: dict[str, dt.datetime] = {}
        # The last roll, and what this process had of each zone when it was taken.
        self._roll: Roll | None = None
        self._had: dict[str, int] = {}
        self._speaking: frozenset[str] | None = None if not self.roster.shared else frozenset()
        self._changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # --- the socket's side (Presence) --------------------------------------------------

    def join(self, zone: str, subscriber: Subscriber, device_name: str) -> None:
        present = self._zones.setdefault(zone, [])
        before = present[0] if present else None
        preferred = device_name == self.venue.zones[zone].speaker
        present.insert(0 if preferred else len(present), subscriber)
        if preferred:
            self._named[zone] = subscriber
        speaks = self._speaks(zone)
        subscriber.offer(SPEAKER if speaks and present[0] is subscriber else LISTENER)
        if speaks and before is not None and present[0] is not before:
            before.offer(LISTENER)
        self._changed.set()

    def leave(self, zone: str, subscriber: Subscriber) -> None:
        present = self._zones.get(zone, [])
        was_speaking = bool(present) and present[0] is subscriber
        if subscriber in present:
            present.remove(subscriber)
        if self._named.get(zone) is subscriber:
            del self._named[zone]
        if was_speaking and present and self._speaks(zone):
            present[0].offer(SPEAKER)
        self._changed.set()

    def report(self, status: AudioStatus) -> None:
        self._status[status.zone] = self._unsent[status.zone] = status
        self._changed.set()
        if status.status != "played":
            log.warning(
                "zone %s: announcement %s %s on %s",
                status.zone,
                status.call,
                status.status,
                status.device,
            )

    def speaker(self, zone: str) -> Subscriber | None:
        present = self._zones.get(zone)
        return present[0] if present and self._speaks(zone) else None

    # --- the dashboard's side (ZoneWatch) ----------------------------------------------

    @property
    def status(self) -> dict[str, AudioStatus]:
        """Per zone, the last announcement report (from any process)."""
        return self._status

    def connected(self, zone: str) -> int:
        """How many displays of `zone` are connected now, on every process."""
        here = len(self._zones.get(zone, ()))
        if self._roll is None:
            return here
        return max(0, self._roll.connected.get(zone, 0) - self._had.get(zone, 0)) + here

    def offline_since(self, zone: str, now: dt.datetime) -> dt.datetime | None:
        """Since when no display of `zone` is connected anywhere (None: one is); with
        several processes, the first one's noticing, so all name the same outage."""
        if self.connected(zone):
            self._offline.pop(zone, None)
            return None
        shared = self._roll.offline_since.get(zone) if self._roll is not None else None
        if shared:
            self._offline[zone] = dt.datetime.fromisoformat(shared)
        return self._offline.setdefault(zone, now)

    # --- the roster ----------------------------------------------------------------------

    async def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._beat_forever(), name="display roster"),
                asyncio.create_task(self._hear_handovers(), name="display roster handovers"),
            ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        # redis-py can swallow a cancellation that lands mid-command (redis/redis-py#2028):
        # cancel again until each task has really ended, as the queue's follower does.
        while pending := [task for task in tasks if not task.done()]:
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=0.2)
        await self.roster.close()

    async def beat(self) -> None:
        """Tell the roster what this process has; take what every process has."""
        for zone, status in list(self._unsent.items()):
            await self.roster.report(zone, msgspec.json.encode(status))
            if self._unsent.get(zone) is status:
                del self._unsent[zone]
        had = {zone: len(self._zones.get(zone, ())) for zone in self.venue.zones}
        here = {zone: ZoneHere(count, zone in self._named) for zone, count in had.items()}
        roll = await self.roster.beat(here, self.clock().isoformat())
        self._roll, self._had = roll, had
        for zone, encoded in roll.audio.items():
            # The roster's is the last report put, whatever the processes' clocks say;
            # one made here since is put at the next beat.
            if zone not in self._unsent:
                self._status[zone] = msgspec.json.decode(encoded, type=AudioStatus)
        self._hand_over(roll.speaking)

    async def _beat_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), BEAT_SECONDS)
            self._changed.clear()
            try:
                await self.beat()
            except StoreUnavailable as error:
                # Keep speaking as decided: a hall that hears a call twice beats one that
                # hears nothing. The next beat tries again.
                log.warning("display roster: %s", error)
            except Exception:
                log.exception("display roster: beat failed")
                await asyncio.sleep(BEAT_SECONDS)

    async def _hear_handovers(self) -> None:
        while True:
            try:
                async for _ in self.roster.handed():
                    self._changed.set()
            except Exception:
                log.exception("display roster: listening for handovers failed")
                await asyncio.sleep(BEAT_SECONDS)

    def _hand_over(self, speaking: frozenset[str] | None) -> None:
        before, self._speaking = self._speaking, speaking
        if before is None or speaking is None:
            return
        for zone in before ^ speaking:
            present = self._zones.get(zone)
            if present:
                present[0].offer(SPEAKER if zone in speaking else LISTENER)

    def _speaks(self, zone: str) -> bool:
        return self._speaking is None or zone in self._speaking
