"""What the managers' dashboard keeps of today, event by event, never by rescanning the day:
per service (`Tally`), per counter (`CounterWatch`), per ticket (`Tallies`), and the fold
that updates them from each event (`Tallies.note_ticket`, `Tallies.watch_counter`)."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable

from server.domain import events as ev
from server.domain.state import State
from server.domain.venue import Venue

_PENDING = frozenset({"waiting", "called", "serving"})


# --- accumulators --------------------------------------------------------------------------


class Tally:
    """One service's day so far, kept up to date event by event."""

    __slots__ = (
        "breached",
        "bucket",
        "calls",
        "more_servable",
        "no_show",
        "pending",
        "served",
        "waiting",
        "waits",
    )

    def __init__(self) -> None:
        # ticket -> (when it joined the lane, priority)
        self.waiting: dict[str, tuple[dt.datetime, bool]] = {}
        self.pending: set[str] = set()  # waiting, called or being served
        self.waits: list[float] = []  # issue -> first call, minutes
        self.breached: set[str] = set()  # called after waiting longer than the SLA
        self.served = 0
        self.no_show: set[str] = set()
        self.calls: deque[dt.datetime] = deque()  # first calls, oldest first
        self.bucket: list[float] = []  # waits of first calls since the last chart sample
        self.more_servable: int | None = None  # set by each refresh

    def oldest(self) -> dt.datetime:
        return min(since for since, _ in self.waiting.values())


class CounterWatch:
    """Since when a counter sits open with nothing in hand, or on break; what it served."""

    __slots__ = ("break_since", "idle_since", "served")

    def __init__(self) -> None:
        self.idle_since: dt.datetime | None = None
        self.break_since: dt.datetime | None = None
        self.served = 0


class Tallies(dict[str, Tally]):
    """Every service's `Tally`, plus what is kept per ticket and per counter."""

    def __init__(self, services: Iterable[str]) -> None:
        super().__init__((s, Tally()) for s in services)
        self.counters: dict[str, CounterWatch] = {}
        self.lane: dict[str, str] = {}  # ticket -> the service it is pending in
        self.no_show: dict[str, str] = {}  # ticket -> service, while a no-show
        self.called: dict[str, dt.datetime] = {}  # ticket -> issued at, once called

    def tally(self, service: str) -> Tally:
        found = self.get(service)
        if found is None:
            found = self[service] = Tally()
        return found

    def note_ticket(self, venue: Venue, event: ev.Event, ticket_id: str, state: State) -> None:
        """Update the lane and the counts of ticket `ticket_id` after `event`."""
        ticket = state.tickets[ticket_id]
        before = self.lane.pop(ticket_id, None)
        if before is not None:
            old = self.tally(before)
            old.pending.discard(ticket_id)
            old.waiting.pop(ticket_id, None)
        tally = self.tally(ticket.service)
        if ticket.status in _PENDING:
            self.lane[ticket_id] = ticket.service
            tally.pending.add(ticket_id)
            if ticket.status == "waiting":
                tally.waiting[ticket_id] = (ticket.joined_at or ticket.issued_at, ticket.priority)
        if isinstance(event, ev.TicketCalled) and ticket_id not in self.called:
            self._first_call(venue, state, ticket_id, ticket.issued_at, event.at)
        if isinstance(event, ev.TicketDone):
            tally.served += 1
            self.counters.setdefault(event.counter, CounterWatch()).served += 1
        was_no_show = self.no_show.pop(ticket_id, None)
        if was_no_show is not None:
            self.tally(was_no_show).no_show.discard(ticket_id)
        if ticket.status == "no_show":
            self.no_show[ticket_id] = ticket.service
            tally.no_show.add(ticket_id)

    def _first_call(
        self, venue: Venue, state: State, ticket_id: str, issued_at: dt.datetime, at: dt.datetime
    ) -> None:
        # Waits count under the service the ticket was issued for (as the reports do): a
        # ticket is transferred only from a counter, so at its first call it is still there.
        issued_for = state.tickets[ticket_id].service
        tally = self.tally(issued_for)
        wait = minutes(issued_at, at)
        self.called[ticket_id] = issued_at
        tally.waits.append(wait)
        tally.bucket.append(wait)
        tally.calls.append(at)
        service = venue.services.get(issued_for)
        if service is not None and wait > service.sla_minutes:
            tally.breached.add(ticket_id)

    def watch_counter(self, venue: Venue, counter_id: str, at: dt.datetime, state: State) -> None:
        """Since when counter `counter_id` sits idle or on break, as of `at`."""
        if counter_id not in venue.counters:
            return
        watch = self.counters.setdefault(counter_id, CounterWatch())
        current = state.counter(counter_id)
        idle = current.status == "open" and current.ticket is None
        watch.idle_since = (watch.idle_since or at) if idle else None
        watch.break_since = (watch.break_since or at) if current.status == "break" else None


def minutes(since: dt.datetime, now: dt.datetime) -> float:
    """Minutes from `since` to `now`, never negative."""
    return max(0.0, (now - since).total_seconds() / 60)
