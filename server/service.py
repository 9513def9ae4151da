"""The application service of one venue: load, decide, append, apply, tell listeners.

Thin on purpose (the rules live in `server.domain`). Every process that serves a venue runs
one `VenueQueue`; each follows the venue's log, so the state here is the log's fold at
`state.seq`, whichever process appended. A command is answered only after its events are
durable in the log.

A command id is bound to its caller and command by `command_digest`; the log keeps the
digest with the id (see `server.store`). A retry (same id, same digest) is answered with
the first outcome; the same id with another digest is refused as `command_id_reused`,
whether this process remembers the id or only the log does.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Callable
from typing import NamedTuple

import msgspec

from server.clock import Clock, utc_now
from server.domain.commands import Command
from server.domain.decide import decide
from server.domain.errors import DomainError
from server.domain.events import DayStarted, Event, decode_event, encode_event
from server.domain.state import State, evolve
from server.domain.venue import Venue
from server.metrics import Metrics
from server.store import (
    CommandIdReused,
    Conflict,
    EventLog,
    Record,
    StoreUnavailable,
    same_command,
)

log = logging.getLogger(__name__)

Listener = Callable[[int, Event, State], None]
# How long a command keeps retrying when other processes keep appending first. Busy
# processes in tight loops can win the append many times in a row (the winner is always
# caught up); people send commands far slower, so this only bounds a pathological case.
RETRY_SECONDS = 30.0


def command_digest(caller: str, command: Command) -> str:
    """What binds a command id: a hash of who sends the command and of the command itself.

    `caller` names the sender ("user:<username>", "device:<id>", "visit:<token>") so one
    caller's id cannot pass for another's command; the command is hashed as the server will
    decide it (officer, by and confirmed_by filled in). msgspec encodes a Struct's fields
    in declaration order, so equal commands hash equal in every process.
    """
    canonical = msgspec.json.encode((caller, command))
    return hashlib.blake2b(canonical, digest_size=16).hexdigest()


class Outcome(msgspec.Struct, frozen=True):
    """What a command did: its events at log positions first_seq..last_seq."""

    events: list[Event]
    first_seq: int
    last_seq: int
    duplicate: bool = False


class _Done(NamedTuple):
    """A command already in the log: its positions and the digest it is bound to."""

    first: int
    last: int
    digest: str


def _reused(command_id: str) -> DomainError:
    return DomainError("command_id_reused", command_id=command_id)


def ensure_not_behind(backend: str, head: int, seq: int) -> None:
    """Raise `StoreUnavailable` when the log's `head` is below `seq`, what this process has
    applied: the store lost events (Redis back from an older snapshot, or a crash losing the
    last second of `appendfsync everysec`). An append there can only conflict, for good;
    only a restart, replaying what the log still holds, brings the process back in step."""
    if head < seq:
        reason = f"the log is at {head}, behind this process at {seq}: restart the process"
        raise StoreUnavailable(backend, reason)


class VenueQueue:
    """One venue's queues in this process, kept in step with the shared log."""

    def __init__(
        self,
        venue: Venue,
        events: EventLog,
        clock: Clock = utc_now,
        metrics: Metrics | None = None,
    ) -> None:
        self.venue = venue
        self.log = events
        self.clock = clock
        # Counted here, where every command passes: carried out, refused, appends timed.
        self.metrics = metrics or Metrics()
        self._appends = self.metrics.append_seconds.labels(events.backend)
        self.state = State()
        self.metrics.watch(venue, self.state)
        self.epoch = ""
        self._lock = asyncio.Lock()
        self._listeners: list[Listener] = []
        # command_id -> positions and digest, for every command of the current day: a retry
        # is answered with the first outcome instead of being decided again.
        self._commands: dict[str, _Done] = {}
        self._follower: asyncio.Task[None] | None = None

    def listen(self, listener: Listener) -> None:
        """Call `listener(seq, event, state)` after each event is applied, in log order."""
        self._listeners.append(listener)

    async def start(self) -> None:
        """Replay the log, then follow it for appends made by other processes."""
        self.epoch = await self.log.epoch(self.venue.id)
        async with self._lock:
            await self._catch_up()
        self._follower = asyncio.create_task(self._follow(), name=f"follow {self.venue.id}")

    async def stop(self) -> None:
        follower, self._follower = self._follower, None
        # redis-py can swallow a cancellation that lands while a blocking XREAD is being
        # sent (redis/redis-py#2028): cancel again until the follower has really ended.
        while follower is not None and not follower.done():
            follower.cancel()
            await asyncio.wait([follower], timeout=0.2)

    async def execute(self, command: Command, command_id: str, caller: str = "server") -> Outcome:
        """Decide `command` now and append its events; retried commands are answered again.

        `caller` names who sends it (see `command_digest`); the default is for the server's
        own commands and tests. Raises `DomainError` when refused, also when `command_id`
        is bound to another command or caller (`command_id_reused`); nothing is written then.
        """
        self.metrics.command_arrived()
        try:
            outcome = await self._execute(command, command_id, command_digest(caller, command))
        except DomainError as error:
            self.metrics.refusals.labels(error.code).inc()
            raise
        except StoreUnavailable:
            self.metrics.refusals.labels("store_unavailable").inc()
            raise
        kind = type(command).__struct_config__.tag
        self.metrics.commands.labels(kind, "true" if outcome.duplicate else "false").inc()
        return outcome

    async def _execute(self, command: Command, command_id: str, digest: str) -> Outcome:
        async with self._lock:
            deadline = time.monotonic() + RETRY_SECONDS
            attempt = 0
            while time.monotonic() < deadline:
                attempt += 1
                known = self._commands.get(command_id)
                if known is not None:
                    if not same_command(known.digest, digest):
                        raise _reused(command_id)
                    return await self._replayed(known.first, known.last)
                try:
                    events = decide(self.venue, self.state, command, self.clock())
                except DomainError:
                    # Refuse only on the newest state: another process may have changed it,
                    # or already carried out this very command.
                    if await self._catch_up():
                        continue
                    raise
                if not events:
                    # Nothing to do (the day was already started): nothing to write either.
                    return Outcome([], self.state.seq, self.state.seq)
                try:
                    return await self._append(events, command_id, digest)
                except CommandIdReused:
                    raise _reused(command_id) from None
                except Conflict as conflict:
                    ensure_not_behind(self.log.backend, conflict.actual, conflict.expected)
                    # Two busy processes can keep beating each other to the append; a
                    # growing random pause lets one of them through (as Ethernet does).
                    await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * 2 ** min(attempt, 6))))
                    await self._catch_up()
        # Beaten to every append for the whole time: as good as out of reach for this
        # caller, who is answered 503 and resends the same command id.
        raise StoreUnavailable(self.log.backend, f"the log kept moving for {RETRY_SECONDS:g} s")

    async def _append(self, events: list[Event], command_id: str, digest: str) -> Outcome:
        encoded = [encode_event(e) for e in events]
        with self._appends.time():
            appended = await self.log.append(
                self.venue.id, self.state.seq, encoded, command_id, digest
            )
        if appended.duplicate:
            await self._catch_up()
            return await self._replayed(appended.first_seq, appended.last_seq)
        self.metrics.applying()
        for offset, event in enumerate(events):
            self._apply(appended.first_seq + offset, command_id, digest, event)
        return Outcome(events, appended.first_seq, appended.last_seq)

    async def _replayed(self, first: int, last: int) -> Outcome:
        records = await self.log.read(self.venue.id, after=first - 1, limit=last - first + 1)
        events = [decode_event(r.data) for r in records]
        return Outcome(events, first, last, duplicate=True)

    async def _catch_up(self) -> bool:
        """Apply what the log has beyond our position; True when anything was new."""
        moved = False
        while records := await self.log.read(self.venue.id, after=self.state.seq):
            for record in records:
                self._apply_record(record)
            moved = True
        return moved

    def _apply_record(self, record: Record) -> None:
        # Gap-free or nothing: a hole in the log must stop us, never be stepped over.
        if record.seq != self.state.seq + 1:
            raise RuntimeError(
                f"log of venue {self.venue.id} jumps from {self.state.seq} to {record.seq}"
            )
        self._apply(record.seq, record.command_id, record.digest, decode_event(record.data))

    def _apply(self, seq: int, command_id: str, digest: str, event: Event) -> None:
        if isinstance(event, DayStarted):
            # Yesterday's command ids need not stay in memory (the log still knows them);
            # keep only the one being applied.
            current = self._commands.get(command_id)
            self._commands = {command_id: current} if current else {}
        evolve(self.state, event)
        self.state.seq = seq
        known = self._commands.get(command_id)
        first = known.first if known is not None else seq
        self._commands[command_id] = _Done(first, seq, digest)
        for listener in self._listeners:
            listener(seq, event, self.state)

    async def _follow(self) -> None:
        while True:
            try:
                async for record in self.log.follow(self.venue.id, after=self.state.seq):
                    if record.seq > self.state.seq:
                        async with self._lock:
                            await self._catch_up()
            except asyncio.CancelledError:
                raise
            except StoreUnavailable as error:
                # A Redis restart, a locked file: expected, so one line, no traceback. The
                # next try re-follows from our seq, so nothing is missed meanwhile.
                log.warning("venue %s: %s; following again in 1 s", self.venue.id, error)
                await asyncio.sleep(1.0)
            except Exception:
                log.exception("venue %s: following the log failed; retrying", self.venue.id)
                await asyncio.sleep(1.0)
