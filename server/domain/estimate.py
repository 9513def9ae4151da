"""Wait estimates: an honest range, never a single fake-precise minute.

Learned from the recent service times of each service (`State.durations`, falling back to
the venue's `typical_minutes` until a few are known), how long a called visitor takes to
reach the counter, the counters open now (what each has in hand, which lanes each serves)
and the priority ratio. The expected wait comes from a quick dry run of *call next* over
the tickets waiting now, at every service's mean pace; the range around it from how much
the service times vary (the spread of a sum of n of them grows like sqrt(n)) plus a share
of the wait for what no one can see coming (breaks, priority visitors who arrive later).

Pure, like the rest of the domain: time is an argument. `bench/wait_estimate.py` replays
simulated days and measures how often the real wait falls inside the range.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import statistics
from collections import deque
from collections.abc import Iterable

import msgspec

from server.domain.state import State, Ticket
from server.domain.venue import Counter, Service, Venue

# Below this many recent service times the venue's typical time is blended in.
LEARNED_AFTER = 5
ROUND_TO = 5  # minutes: people read "15-25", not "17-23"
# Service times vary: until enough are known, assume a coefficient of variation like this.
TYPICAL_CV = 0.5
# A counter on break is assumed back after this many minutes (breaks run 15-45 minutes).
BREAK_BACK_MINUTES = 20.0
# What the dry run cannot see grows with the wait: priority visitors arriving later, a
# counter going on break, a slower officer. Share of the expected wait, as a spread.
UNSEEN_SHARE = 0.18
# How far the range reaches below / above the expected wait, in spreads. Later is likelier
# than sooner (breaks and late priority visitors only ever delay), so the top reaches further.
# Tuned with bench/wait_estimate.py for about 80% of visitors called inside their range.
REACH_BELOW = 1.15
REACH_ABOVE = 1.8
# Early in the day a counter not opened yet may be an officer running late: expected after
# this many minutes, as long as the venue opened less than LATE_WINDOW minutes ago.
LATE_OPEN_MINUTES = 30.0
LATE_WINDOW = 120.0


class WaitRange(msgspec.Struct, frozen=True):
    """Minutes until the visitor is likely called: between `low` and `high`."""

    low: int
    high: int
    ahead: int

    def text(self, lang: str = "id") -> str:
        if self.low == 0:
            # "sekitar 0–10 menit" reads oddly: say the upper bound.
            return (
                f"under {self.high} minutes" if lang == "en" else f"kurang dari {self.high} menit"
            )
        if lang == "en":
            return f"about {self.low}–{self.high} minutes"
        return f"sekitar {self.low}–{self.high} menit"


class Forecast(msgspec.Struct, frozen=True):
    """The expected wait in minutes and its spread (one standard deviation), unrounded."""

    minutes: float
    spread: float
    ahead: int
    # The wait and its spread if counters that have not opened yet today open soon.
    sooner: float
    sooner_spread: float


def service_minutes(venue: Venue, state: State, service_id: str) -> float:
    """The expected minutes one ticket of this service takes at a counter."""
    typical = venue.services[service_id].typical_minutes
    recent = state.durations.get(service_id, ())
    if not recent:
        return typical
    return _blend(state, service_id, statistics.fmean(recent), typical)


def service_spread(venue: Venue, state: State, service_id: str) -> float:
    """The standard deviation of one ticket's service time, in minutes."""
    typical = TYPICAL_CV * venue.services[service_id].typical_minutes
    recent = state.durations.get(service_id, ())
    if len(recent) < 2:
        return typical
    return _blend(state, service_id, statistics.stdev(recent), typical)


def _blend(state: State, service_id: str, learned: float, typical: float) -> float:
    weight = min(1.0, len(state.durations.get(service_id, ())) / LEARNED_AFTER)
    return weight * learned + (1 - weight) * typical


def call_minutes(state: State, service_id: str) -> float:
    """Minutes between a call and the start of service today (walking over, recalls).

    Counters are busy for it too, and service times leave it out.
    """
    gaps = [
        (t.started_at - t.called_at).total_seconds() / 60
        for t in state.tickets.values()
        if t.service == service_id and t.started_at is not None and t.called_at is not None
    ]
    return max(0.0, statistics.fmean(gaps)) if gaps else 0.0


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


def wait_range(
    venue: Venue, state: State, ticket: Ticket, now: dt.datetime | None = None
) -> WaitRange:
    """The range shown for a waiting ticket. `now` defaults to the state's latest event."""
    return to_range(forecast(venue, state, ticket, now))


def new_ticket_wait(
    venue: Venue, state: State, service_id: str, now: dt.datetime | None = None
) -> WaitRange:
    """The range a ticket issued now would get (for kiosk tiles)."""
    return wait_range(venue, state, _newcomer(state, service_id, now), now)


def forecast(
    venue: Venue, state: State, ticket: Ticket, now: dt.datetime | None = None
) -> Forecast:
    """When `ticket` is likely called: a dry run of *call next* from now.

    Early in the day a counter that has not opened yet may still open (a late officer) or
    stay closed all day: the forecast keeps both, `sooner` is the wait if it opens.
    """
    at = venue.local(now or _latest(state) or ticket.issued_at)
    minutes, spread = _scenario(venue, state, ticket, at, late_join=False)
    sooner, sooner_spread = minutes, spread
    if _late_counters(venue, state, at):
        sooner, sooner_spread = min(
            (minutes, spread), _scenario(venue, state, ticket, at, late_join=True)
        )
    return Forecast(
        minutes=minutes,
        spread=spread,
        ahead=ahead_of(venue, state, ticket),
        sooner=sooner,
        sooner_spread=sooner_spread,
    )


def wait_ranges(venue: Venue, state: State, now: dt.datetime | None = None) -> dict[str, WaitRange]:
    """Every waiting ticket's range, from one dry run per scenario instead of one per ticket.

    For views that show many tickets at once (each visitor's phone page after every call):
    per-ticket `wait_range` calls would cost the square of the lane's length.
    """
    waiting = list(state.waiting())
    if not waiting:
        return {}
    at = venue.local(now or _latest(state) or waiting[0].issued_at)
    late = bool(_late_counters(venue, state, at))
    plain = _all_scenario(venue, state, at, late_join=False)
    sooner = _all_scenario(venue, state, at, late_join=True) if late else plain
    aheads = _aheads(venue, state)
    ranges: dict[str, WaitRange] = {}
    for ticket in waiting:
        if ticket.id not in plain or ticket.id not in sooner:
            ranges[ticket.id] = wait_range(venue, state, ticket, now)
            continue
        minutes, spread = plain[ticket.id]
        early, early_spread = min(plain[ticket.id], sooner[ticket.id])
        found = Forecast(minutes, spread, aheads[ticket.id], early, early_spread)
        ranges[ticket.id] = to_range(found)
    return ranges


def _all_scenario(
    venue: Venue, state: State, at: dt.datetime, *, late_join: bool
) -> dict[str, tuple[float, float]]:
    called = _DryRun(venue, state, at, late_join=late_join).all_called()
    return {
        ticket: (minutes := _through_breaks(venue, at, work), _spread(variance, minutes))
        for ticket, (work, variance) in called.items()
    }


def _spread(variance: float, minutes: float) -> float:
    return math.hypot(math.sqrt(variance), UNSEEN_SHARE * minutes)


def _aheads(venue: Venue, state: State) -> dict[str, int]:
    """`ahead_of` for every waiting ticket at once (sorted lanes instead of rescans)."""
    lanes: dict[tuple[str, bool], list[Ticket]] = {}
    for ticket in state.waiting():
        lanes.setdefault((ticket.service, ticket.priority), []).append(ticket)
    for lane in lanes.values():
        lane.sort(key=lambda t: t.order)
    aheads: dict[str, int] = {}
    for (service, priority), lane in lanes.items():
        others = [t.order for t in lanes.get((service, not priority), [])]
        for index, ticket in enumerate(lane):
            if priority:
                aheads[ticket.id] = index + min(len(others), index * venue.priority_ratio)
            else:
                before = math.ceil((index + 1) / venue.priority_ratio)
                aheads[ticket.id] = index + min(len(others), before)
    return aheads


def _scenario(
    venue: Venue, state: State, ticket: Ticket, at: dt.datetime, *, late_join: bool
) -> tuple[float, float]:
    work, variance = _DryRun(venue, state, at, late_join=late_join).until_called(ticket)
    minutes = _through_breaks(venue, at, work)
    return minutes, _spread(variance, minutes)


def to_range(found: Forecast) -> WaitRange:
    """Round a forecast to a range people can read: multiples of 5 minutes, at least 5 wide."""
    low = _round_near(max(0.0, found.sooner - REACH_BELOW * found.sooner_spread))
    high = max(_round_near(found.minutes + REACH_ABOVE * found.spread), low + ROUND_TO)
    return WaitRange(low=low, high=high, ahead=found.ahead)


def _newcomer(state: State, service_id: str, now: dt.datetime | None) -> Ticket:
    """A regular ticket at the back of the lane, as if issued now."""
    last = max((t.order for t in state.tickets.values()), default=0)
    at = now or _latest(state) or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return Ticket(
        id="",
        label="",
        visit="",
        service=service_id,
        number=0,
        channel="kiosk",
        priority=False,
        issued_at=at,
        order=last + 1,
    )


def _latest(state: State) -> dt.datetime | None:
    """The latest moment the state knows of: "now" for callers that have no clock."""
    moments = [
        moment
        for t in state.tickets.values()
        for moment in (t.issued_at, t.joined_at, t.called_at, t.started_at)
        if moment is not None
    ]
    return max(moments, default=None)


class _DryRun:
    """Call next, counter by counter, at mean service times, until one ticket is called.

    Works in service minutes from now (venue breaks are added afterwards). Nobody arrives
    during the run; `UNSEEN_SHARE` stands for them.
    """

    def __init__(self, venue: Venue, state: State, at: dt.datetime, *, late_join: bool) -> None:
        self.venue, self.state = venue, state
        self.late = _late_counters(venue, state, at) if late_join else set()
        self.on_break = venue.closed_reason(at) == "break"
        self.cycle: dict[str, float] = {}
        self.variance: dict[str, float] = {}
        for sid in venue.services:
            self.cycle[sid] = service_minutes(venue, state, sid) + call_minutes(state, sid)
            self.variance[sid] = service_spread(venue, state, sid) ** 2
        self.since = {cid: state.counter(cid).since_priority for cid in venue.counters}
        self.regular: dict[str, deque[Ticket]] = {sid: deque() for sid in venue.services}
        self.priority: dict[str, deque[Ticket]] = {sid: deque() for sid in venue.services}
        self.direct: dict[str, deque[Ticket]] = {cid: deque() for cid in venue.counters}
        self.elapsed = {t.id: self._elapsed(t, at) for t in self._in_hand()}

    def until_called(self, target: Ticket) -> tuple[float, float]:
        """Service minutes until `target` is called, and the variance of that time."""
        self._line_up(target)
        pool = [c for c in self.venue.counters.values() if _may_call(c, target)]
        counters = self._counters(target, pool)
        # What the pool's counters have in hand may end sooner or later than its mean.
        in_hand = sum(self._in_hand_variance(c) for c in pool)
        # c counters working for t minutes through tickets of mean m and spread sigma: the
        # spread of t is about sqrt(t * sigma^2 / (m * c)) (renewal theory; sqrt(n) tickets).
        # Taken per minute of wait rather than per ticket so that it never shrinks further
        # back in the lane, and `low` never drops for a later ticket.
        per_minute = self.variance[target.service] / max(self.cycle[target.service], 1e-9)
        while counters:
            free, cid = heapq.heappop(counters)
            picked = self._pick(self.venue.counters[cid])
            if picked is None:
                continue  # this counter has nothing left to call: it drops out
            if picked.id == target.id:
                c = max(1, len(pool))
                return free, in_hand / c**2 + free * per_minute / c
            heapq.heappush(counters, (free + self.cycle[picked.service], cid))
        return 0.0, 0.0  # nobody can call it: nothing honest to add

    def all_called(self) -> dict[str, tuple[float, float]]:
        """Service minutes until each waiting ticket is called, with its variance.

        Tickets whose lanes no staffed counter serves are left out (the caller falls back
        to `until_called`, which assumes the lane's counters are about to open)."""
        self._line_up(None)
        staffed = [
            c
            for c in self.venue.counters.values()
            if self.state.counter(c.id).status != "closed" or c.id in self.late
        ]
        counters = [(self._free_in(c), c.id) for c in staffed]
        heapq.heapify(counters)
        pools: dict[tuple[str, str | None], tuple[int, float]] = {}
        called: dict[str, tuple[float, float]] = {}
        while counters:
            free, cid = heapq.heappop(counters)
            picked = self._pick(self.venue.counters[cid])
            if picked is None:
                continue
            key = (picked.service, picked.to_counter)
            if key not in pools:
                pools[key] = self._pool(picked)
            size, in_hand = pools[key]
            per_minute = self.variance[picked.service] / max(self.cycle[picked.service], 1e-9)
            called[picked.id] = (free, in_hand / size**2 + free * per_minute / size)
            heapq.heappush(counters, (free + self.cycle[picked.service], cid))
        return called

    def _pool(self, ticket: Ticket) -> tuple[int, float]:
        pool = [c for c in self.venue.counters.values() if _may_call(c, ticket)]
        return max(1, len(pool)), sum(self._in_hand_variance(c) for c in pool)

    def _line_up(self, target: Ticket | None) -> None:
        waiting = [t for t in self.state.waiting() if target is None or t.id != target.id]
        everyone = [*waiting, target] if target is not None else waiting
        for ticket in sorted(everyone, key=lambda t: t.order):
            if ticket.to_counter is not None and ticket.to_counter in self.direct:
                self.direct[ticket.to_counter].append(ticket)
            elif ticket.service in self.regular:
                lanes = self.priority if ticket.priority else self.regular
                lanes[ticket.service].append(ticket)

    def _counters(self, target: Ticket, pool: list[Counter]) -> list[tuple[float, str]]:
        """When each counter is next free, in service minutes from now."""
        staffed = [
            c
            for c in self.venue.counters.values()
            if self.state.counter(c.id).status != "closed" or c.id in self.late
        ]
        if not any(c in staffed for c in pool):
            staffed = pool  # before the counters open: assume they are about to
        heap = [(self._free_in(c), c.id) for c in staffed]
        heapq.heapify(heap)
        return heap

    def _free_in(self, counter: Counter) -> float:
        current = self.state.counter(counter.id)
        if counter.id in self.late:
            return LATE_OPEN_MINUTES
        if current.status == "break":
            return 0.0 if self.on_break else BREAK_BACK_MINUTES
        if current.ticket is None or current.ticket not in self.state.tickets:
            return 0.0
        ticket = self.state.tickets[current.ticket]
        # A service already under way has less to go, but never counts as done.
        mean = self.cycle.get(ticket.service, 0.0)
        return max(mean - self.elapsed.get(ticket.id, 0.0), mean / 4)

    def _in_hand_variance(self, counter: Counter) -> float:
        ticket_id = self.state.counter(counter.id).ticket
        ticket = self.state.tickets.get(ticket_id) if ticket_id is not None else None
        return self.variance.get(ticket.service, 0.0) if ticket is not None else 0.0

    def _in_hand(self) -> Iterable[Ticket]:
        for cid in self.venue.counters:
            ticket_id = self.state.counter(cid).ticket
            if ticket_id is not None and ticket_id in self.state.tickets:
                yield self.state.tickets[ticket_id]

    @staticmethod
    def _elapsed(ticket: Ticket, at: dt.datetime) -> float:
        since = ticket.called_at or ticket.started_at
        return max(0.0, (at - since).total_seconds() / 60) if since else 0.0

    def _pick(self, counter: Counter) -> Ticket | None:
        """What *call next* takes at this counter: `decide.next_ticket`'s rule."""
        regular = self._head(counter, self.regular, priority=False)
        priority = self._head(counter, self.priority, priority=True)
        take_priority = priority is not None and (
            regular is None or self.since[counter.id] >= self.venue.priority_ratio
        )
        chosen = priority if take_priority else regular
        if chosen is None:
            return None
        self._remove(counter, chosen)
        self.since[counter.id] = 0 if chosen.priority else self.since[counter.id] + 1
        return chosen

    def _head(
        self, counter: Counter, lanes: dict[str, deque[Ticket]], *, priority: bool
    ) -> Ticket | None:
        heads = [lanes[s][0] for s in counter.services if lanes.get(s)]
        direct = self.direct[counter.id]
        heads += [t for t in direct if t.priority == priority][:1]
        return min(heads, key=lambda t: t.order, default=None)

    def _remove(self, counter: Counter, ticket: Ticket) -> None:
        if ticket.to_counter == counter.id:
            self.direct[counter.id].remove(ticket)
        else:
            lanes = self.priority if ticket.priority else self.regular
            lanes[ticket.service].popleft()


def _late_counters(venue: Venue, state: State, at: dt.datetime) -> set[str]:
    """Closed counters that may still open today: none has served yet, and it is early."""
    hours = venue.hours_on(at.date())
    if hours is None or _clock(at) - _minutes(hours.open) > LATE_WINDOW:
        return set()
    closed = {cid for cid in venue.counters if state.counter(cid).status == "closed"}
    return closed - {t.counter for t in state.tickets.values() if t.counter is not None}


def _may_call(counter: Counter, ticket: Ticket) -> bool:
    if ticket.to_counter is not None:
        return ticket.to_counter == counter.id
    return ticket.service in counter.services


def _through_breaks(venue: Venue, at: dt.datetime, work: float) -> float:
    """Wall-clock minutes from `at` until `work` service minutes are done: today's venue
    breaks (Friday prayer) stop the counters in between."""
    clock = _clock(at)
    end = clock + work
    for b in sorted(venue.breaks_on(at.date()), key=lambda b: b.start):
        start, stop = _minutes(b.start), _minutes(b.end)
        if stop <= clock or start >= end:
            continue
        end += stop - max(start, clock)
    return end - clock


def _clock(at: dt.datetime) -> float:
    return at.hour * 60 + at.minute + at.second / 60


def _minutes(clock: dt.time) -> float:
    return clock.hour * 60 + clock.minute + clock.second / 60


def day_full(
    venue: Venue, state: State, service: Service, now: dt.datetime, reserved: int = 0
) -> bool:
    """Whether the rest of today cannot serve one more ticket of `service` (predicted cutoff).

    Counts every ticket still to be served in the lane and the `reserved` places held for
    later (bookings, visits' later steps), at the service's own pace over the counters
    configured for it (all of them, so a late-opening counter does not stop issuing).
    """
    left = venue.open_minutes_left(now)
    counters = sum(1 for c in venue.counters.values() if service.id in c.services)
    pending = sum(
        1
        for t in state.tickets.values()
        if t.service == service.id and t.status in ("waiting", "called", "serving")
    )
    needed = (pending + reserved + 1) * service_minutes(venue, state, service.id) / max(counters, 1)
    return needed > left


def _round_near(minutes: float) -> int:
    return round(minutes / ROUND_TO) * ROUND_TO
