"""How long every waiting ticket's estimate takes, against just sorting the waiting tickets.

    uv run python -m bench.estimate

On the demo venue (`server/venues/merdeka-malang.toml`: 38 services, 28 counters) at 07.45
on a Tuesday, with 100, 1,000 and 5,000 tickets waiting over every service (one in ten a
priority ticket), in three mornings:
  closed       no counter open yet (every lane is timed as if its counters were about to)
  one open     counter 1 open, every other one closed
  transferred  counter 1 open, half the tickets transferred to counter 2 (`to_counter`)
times, best of 5:
  baseline     sorting the waiting tickets by lane order (what any estimate must do once)
  wait_ranges  every waiting ticket's range (what the phone pages are sent after a call)
  tiles        `new_ticket_waits`: every kiosk tile's range for a newcomer
  checks       `decide` of a kiosk ticket for every service at 09.00 (each kiosk tile asks
               the domain whether it may issue: quota, places held, predicted cutoff)
and prints each with its ratio to the baseline measured in the same run. Linear (or
n log n) means the ratio stays flat from 1,000 to 5,000; the last column says so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from pathlib import Path

from bench.replay import best_of
from server.config import load_venue
from server.domain import commands as cmd
from server.domain.decide import decide
from server.domain.errors import DomainError
from server.domain.estimate import new_ticket_waits, wait_ranges
from server.domain.state import CounterState, State, Tallies, Ticket
from server.domain.venue import Venue

VENUE_FILE = Path(__file__).parent.parent / "server" / "venues" / "merdeka-malang.toml"
SIZES = (100, 1_000, 5_000)
SCENARIOS = ("closed", "one open", "transferred")
# Before the venue opens at 08.00: late counters are still expected, so both scenarios run.
MORNING = (2026, 11, 24, 7, 45)
# Flat means the ratio at 5,000 is within this factor of the ratio at 1,000.
FLAT = 1.5


def morning(venue: Venue, waiting: int, scenario: str, seed: int = 7) -> tuple[State, dt.datetime]:
    """A state with `waiting` tickets in the venue's lanes (built directly, not through
    `decide`: only the waiting line matters here)."""
    rng = random.Random(seed)
    now = dt.datetime(*MORNING, tzinfo=venue.tz)
    state = State()
    services = list(venue.services.values())
    for n in range(waiting):
        service = services[n % len(services)]
        priority = service.priority_lane and rng.random() < 0.1
        sent = scenario == "transferred" and n % 2 == 0
        ticket_id = f"t{n}"
        state.tickets[ticket_id] = Ticket(
            id=ticket_id,
            label=f"{service.prefix}-{n:03d}",
            visit=f"v{n}",
            service=service.id,
            number=n,
            channel="kiosk",
            priority=priority,
            issued_at=now - dt.timedelta(seconds=waiting - n),
            order=state.next_back(),
            to_counter="2" if sent else None,
        )
        state.numbers[service.id] = state.numbers.get(service.id, 0) + 1
    if scenario != "closed":
        state.counters["1"] = CounterState(status="open", officer="o1")
    state.day, state.last_at = now.date(), now
    state.tallies = Tallies.of(state.tickets.values(), ())
    return state, now


def issue_checks(venue: Venue, state: State, now: dt.datetime) -> None:
    """What a kiosk's overview asks of the domain: may a ticket be issued for each one?"""
    for service in venue.services:
        probe = cmd.IssueTicket(service=service, visit="probe", channel="kiosk")
        with contextlib.suppress(DomainError):  # a refusal is an answer too
            decide(venue, state, probe, now)


def measure(venue: Venue, waiting: int, scenario: str) -> tuple[float, ...]:
    state, now = morning(venue, waiting, scenario)
    baseline = best_of(5, lambda: sorted(state.waiting(), key=lambda t: t.order))
    ranges = best_of(5, lambda: wait_ranges(venue, state, now))
    tiles = best_of(5, lambda: new_ticket_waits(venue, state, now))
    opened = now + dt.timedelta(minutes=75)
    checks = best_of(5, lambda: issue_checks(venue, state, opened))
    assert len(wait_ranges(venue, state, now)) == waiting
    return baseline, ranges, tiles, checks


def main() -> None:
    venue = load_venue(VENUE_FILE)
    print(
        f"every waiting ticket's estimate, {venue.name}: {len(venue.services)} services, "
        f"{len(venue.counters)} counters (best of 5; ratios against the baseline)\n"
    )
    print(
        "| scenario | waiting | baseline ms | wait_ranges ms | × base | tiles ms | × base "
        "| checks ms | × base |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios: dict[tuple[str, int], list[float]] = {}
    for scenario in SCENARIOS:
        for waiting in SIZES:
            baseline, *timed = measure(venue, waiting, scenario)
            ratios[scenario, waiting] = [t / baseline for t in timed]
            cells = " | ".join(f"{t * 1e3:.1f} | {t / baseline:.0f}" for t in timed)
            print(f"| {scenario} | {waiting:,} | {baseline * 1e3:.2f} | {cells} |")
    print()
    for scenario in SCENARIOS:
        small, large = ratios[scenario, SIZES[1]], ratios[scenario, SIZES[2]]
        growth = [b / a for a, b in zip(small, large, strict=True)]
        # The checks do not grow with the queue at all: their ratio falls as n grows.
        verdict = "flat (linear)" if max(growth) <= FLAT else "GROWS (not linear)"
        print(
            f"{scenario}: ratio at {SIZES[2]:,} / at {SIZES[1]:,} = wait_ranges "
            f"{growth[0]:.2f}, tiles {growth[1]:.2f}, checks {growth[2]:.2f}: {verdict}"
        )


if __name__ == "__main__":
    main()
