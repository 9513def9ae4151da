"""Replay of a busy day: how long a process takes to rebuild a venue's state from its log.

    uv run python -m bench.replay [TICKETS]

Builds a day of TICKETS tickets (issued, called, served, done; some no-shows, transfers,
recalls) through the real domain, stores it in a SQLite log, then times, best of 5:
  baseline   decoding every event (msgspec) and nothing else: the floor for any replay
  fold       decoding + evolving the state (the pure domain)
  start      a VenueQueue starting on the SQLite file: read + decode + evolve
and prints each with its ratio to the baseline measured in the same run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from server.domain import commands as cmd
from server.domain.decide import decide
from server.domain.errors import DomainError
from server.domain.events import Event, decode_event, encode_event
from server.domain.state import State, fold
from server.service import VenueQueue
from server.store.sqlite import SqliteLog
from tests.helpers import local_time, small_venue

VENUE = small_venue()
SERVICES = ("ktp", "kk", "sim")


def busy_day(tickets: int, seed: int = 7) -> list[Event]:
    """A day's events: arrivals over 8 hours, four counters working through them."""
    rng = random.Random(seed)
    state, log = State(), []
    start = local_time(VENUE, 2026, 11, 24, 8, 0)

    def send(command: cmd.Command, at: dt.datetime) -> bool:
        try:
            events = decide(VENUE, state, command, at)
        except DomainError:
            return False
        fold(events, state)
        log.extend(events)
        return True

    for counter in VENUE.counters:
        send(cmd.OpenCounter(counter=counter, officer=f"o{counter}"), start)
    for i in range(tickets):
        at = start + dt.timedelta(seconds=i * 8 * 3600 / tickets)
        service = SERVICES[i % 3]
        send(
            cmd.IssueTicket(
                service=service,
                visit=f"v{i}",
                priority=rng.random() < 0.1 and service != "sim",
                confirmed_by="satpam",
            ),
            at,
        )
        _work(send, rng, rng.choice(list(VENUE.counters)), at)
    return log


def _work(
    send: Callable[[cmd.Command, dt.datetime], bool],
    rng: random.Random,
    counter: str,
    at: dt.datetime,
) -> None:
    if not send(cmd.CallNext(counter=counter), at):
        return
    roll = rng.random()
    if roll < 0.05:
        send(cmd.NoShow(counter=counter), at)
    elif roll < 0.08:
        send(cmd.Transfer(counter=counter, service="kk"), at)
    else:
        if roll < 0.2:
            send(cmd.Recall(counter=counter), at)
        send(cmd.StartServing(counter=counter), at)
        send(cmd.Done(counter=counter), at)


def best_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


async def _store(path: Path, events: list[Event]) -> None:
    log = SqliteLog(str(path))
    batch = [encode_event(e) for e in events]
    for first in range(0, len(batch), 1000):
        await log.append(VENUE.id, first, batch[first : first + 1000], f"bench-{first}")
    await log.close()


async def _start(path: Path) -> int:
    log = SqliteLog(str(path))
    queue = VenueQueue(VENUE, log)
    await queue.start()
    await queue.stop()
    await log.close()
    return queue.state.seq


def main(tickets: int) -> None:
    events = busy_day(tickets)
    wire = [encode_event(e) for e in events]
    issued = sum(1 for e in events if type(e).__name__ == "TicketIssued")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        asyncio.run(_store(path, events))
        baseline = best_of(5, lambda: [decode_event(b) for b in wire])
        folded = best_of(5, lambda: fold(decode_event(b) for b in wire))
        started = best_of(5, lambda: asyncio.run(_start(path)))
    print(f"replay of one day: {issued} tickets, {len(events)} events (best of 5)")
    print(f"{'what':<10} {'seconds':>8} {'µs/event':>9} {'× baseline':>11}")
    for name, seconds in (("baseline", baseline), ("fold", folded), ("start", started)):
        per_event = seconds / len(events) * 1e6
        print(f"{name:<10} {seconds:>8.3f} {per_event:>9.2f} {seconds / baseline:>11.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
