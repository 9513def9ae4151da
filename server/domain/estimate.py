"""Wait estimates: an honest range, never a single fake-precise minute.

Learned from the recent service times of the service (`State.durations`, falling back to
the venue's `typical_minutes` until a few are known), the counters that serve it and the
priority ratio. Pure, like the rest of the domain: `bench/wait_estimate.py` measures how
often the real wait falls inside the range.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics

import msgspec

from server.domain.state import State, Ticket
from server.domain.venue import Service, Venue

# Below this many recent service times the venue's typical time is blended in.
LEARNED_AFTER = 5
ROUND_TO = 5  # minutes: people read "15-25", not "17-23"


class WaitRange(msgspec.Struct, frozen=True):
    """Minutes until the visitor is likely called: between `low` and `high`."""

    low: int
    high: int
    ahead: int

    def text(self, lang: str = "id") -> str:
        if self.high <= ROUND_TO:
            return "kurang dari 5 menit" if lang != "en" else "under 5 minutes"
        if lang == "en":
            return f"about {self.low}–{self.high} minutes"
        return f"sekitar {self.low}–{self.high} menit"


def service_minutes(venue: Venue, state: State, service_id: str) -> float:
    """The expected minutes one ticket of this service takes at a counter."""
    typical = venue.services[service_id].typical_minutes
    recent = state.durations.get(service_id, ())
    if not recent:
        return typical
    learned = statistics.fmean(recent)
    weight = min(1.0, len(recent) / LEARNED_AFTER)
    return weight * learned + (1 - weight) * typical


def serving_counters(venue: Venue, state: State, service_id: str) -> float:
    """How many counters' worth of work goes to this service now.

    A counter serving several lanes splits its time by how many wait in each. Open counters
    count; when none is open yet (early morning) the configured ones stand in.
    """
    counters = [c for c in venue.counters.values() if service_id in c.services]
    open_ones = [c for c in counters if state.counter(c.id).status == "open"]
    waiting: dict[str, int] = {}
    for ticket in state.waiting():
        waiting[ticket.service] = waiting.get(ticket.service, 0) + 1
    share = 0.0
    for counter in open_ones or counters:
        total = sum(waiting.get(s, 0) for s in counter.services)
        share += waiting.get(service_id, 0) / total if total else 1 / len(counter.services)
    return max(share, 0.5)


def ahead_of(venue: Venue, state: State, ticket: Ticket) -> int:
    """Tickets likely called before `ticket`, with the priority ratio interleaving lanes."""
    same = [t for t in state.waiting() if t.service == ticket.service and t.id != ticket.id]
    regular = sum(1 for t in same if not t.priority and t.order < ticket.order)
    priority = sum(1 for t in same if t.priority and t.order < ticket.order)
    if ticket.priority:
        regular_waiting = sum(1 for t in same if not t.priority)
        return priority + min(regular_waiting, priority * venue.priority_ratio)
    priority_waiting = sum(1 for t in same if t.priority)
    return regular + min(priority_waiting, math.ceil((regular + 1) / venue.priority_ratio))


def wait_range(venue: Venue, state: State, ticket: Ticket) -> WaitRange:
    return _range(venue, state, ticket.service, ahead_of(venue, state, ticket))


def new_ticket_wait(venue: Venue, state: State, service_id: str) -> WaitRange:
    """The range a ticket issued now would get (for kiosk tiles)."""
    waiting = sum(1 for t in state.waiting() if t.service == service_id)
    return _range(venue, state, service_id, waiting)


def _range(venue: Venue, state: State, service_id: str, ahead: int) -> WaitRange:
    minutes = service_minutes(venue, state, service_id)
    expected = (ahead + 0.5) * minutes / serving_counters(venue, state, service_id)
    spread = max(0.35 * expected, minutes / 2)
    low = _round_down(max(0.0, expected - spread))
    high = max(_round_up(expected + spread), low + ROUND_TO)
    return WaitRange(low=low, high=high, ahead=ahead)


def day_full(venue: Venue, state: State, service: Service, now: dt.datetime) -> bool:
    """Whether the rest of today cannot serve one more ticket of `service` (predicted cutoff).

    Counts every ticket still to be served in the lane, at the service's own pace over the
    counters configured for it (all of them, so a late-opening counter does not stop issuing).
    """
    left = venue.open_minutes_left(now)
    counters = sum(1 for c in venue.counters.values() if service.id in c.services)
    pending = sum(
        1
        for t in state.tickets.values()
        if t.service == service.id and t.status in ("waiting", "called", "serving")
    )
    needed = (pending + 1) * service_minutes(venue, state, service.id) / max(counters, 1)
    return needed > left


def _round_down(minutes: float) -> int:
    return int(minutes // ROUND_TO) * ROUND_TO


def _round_up(minutes: float) -> int:
    return math.ceil(minutes / ROUND_TO) * ROUND_TO
