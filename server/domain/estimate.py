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
from collections.abc import Iterable, Iterator
from typing import NamedTuple

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
# A service gone from the venue file mid-day still has tickets sent to one counter: they
# keep that counter busy for the venue file's default typical time.
UNKNOWN_SERVICE_MINUTES = 10.0
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# (minutes, variance) of a dry run's call, or (minutes, spread) on the wall clock.
Timed = tuple[float, float]


class WaitRange(msgspec.Struct, frozen=True):
    """Minutes until the visitor is likely called: between `low` and `high`."""

    low: int
    high: int
    ahead: int


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
    typical = _typical(venue, service_id)
    recent = _recent(state, service_id)
    if not recent:
        return typical
    return _blend(recent, statistics.fmean(recent), typical)


def service_spread(venue: Venue, state: State, service_id: str) -> float:
    """The standard deviation of one ticket's service time, in minutes."""
    typical = TYPICAL_CV * _typical(venue, service_id)
    recent = _recent(state, service_id)
    if len(recent) < 2:
        return typical
    return _blend(recent, statistics.stdev(recent), typical)


def _typical(venue: Venue, service_id: str) -> float:
    service = venue.services.get(service_id)
    return service.typical_minutes if service is not None else UNKNOWN_SERVICE_MINUTES


def _recent(state: State, service_id: str) -> tuple[float, ...]:
    """The learned service times that can be true. An old log may hold zero, negative or
    endless ones (a clock set back mid-service): their mean is no pace, their spread no
    spread (a negative pace made the variance negative and `math.sqrt` raise)."""
    return tuple(m for m in state.durations.get(service_id, ()) if 0 < m < math.inf)


def _blend(recent: tuple[float, ...], learned: float, typical: float) -> float:
    weight = min(1.0, len(recent) / LEARNED_AFTER)
    return weight * learned + (1 - weight) * typical


def call_minutes(state: State, service_id: str) -> float:
    """Minutes between a call and the start of service today (walking over, recalls).

    Counters are busy for it too, and service times leave it out.
    """
    return _call_minutes(state).get(service_id, 0.0)


def _call_minutes(state: State) -> dict[str, float]:
    """`call_minutes` of every service from one pass over the day's tickets."""
    gaps: dict[str, list[float]] = {}
    for t in state.tickets.values():
        if t.started_at is not None and t.called_at is not None:
            gap = (t.started_at - t.called_at).total_seconds() / 60
            gaps.setdefault(t.service, []).append(gap)
    return {service: max(0.0, statistics.fmean(g)) for service, g in gaps.items()}


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
    """Tickets likely called before `ticket`, with the priority ratio interleaving lanes.

    A ticket transferred to one counter waits in that counter's own queue, not its lane.
    """
    lane = _lane(ticket)
    same = [t for t in state.waiting() if _lane(t) == lane and t.id != ticket.id]
    kind = ticket.priority
    before = sum(1 for t in same if t.priority == kind and t.order < ticket.order)
    others = sum(1 for t in same if t.priority != kind)
    return _ahead(venue.priority_ratio, kind, before, others)


def _lane(ticket: Ticket) -> tuple[str, str]:
    """The queue a ticket waits in: its service's lane, or one counter's after a transfer."""
    if ticket.to_counter is not None:
        return ("counter", ticket.to_counter)
    return ("service", ticket.service)


def _ahead(ratio: int, priority: bool, before: int, others: int) -> int:
    """Ahead of a ticket with `before` of its own kind ahead of it in its lane and `others`
    of the other kind (priority or regular) waiting there. A counter calls `ratio` regular
    tickets per priority one; 0 means priority always first, as `decide.next_ticket` does."""
    if priority:
        return before + min(others, before * ratio)
    if ratio <= 0:
        return before + others
    return before + min(others, math.ceil((before + 1) / ratio))


def wait_range(
    venue: Venue, state: State, ticket: Ticket, now: dt.datetime | None = None
) -> WaitRange | None:
    """The range shown for a waiting ticket. `now` defaults to the state's latest event.

    None when no counter may call the ticket: its service (or the counter it was sent to)
    is no longer in the venue file, and staff have to move it; any number would be a guess.
    """
    found = forecast(venue, state, ticket, now)
    return to_range(found) if found is not None else None


def new_ticket_wait(
    venue: Venue, state: State, service_id: str, now: dt.datetime | None = None
) -> WaitRange | None:
    """The range a ticket issued now would get (None for a service no counter serves)."""
    return wait_range(venue, state, _newcomer(state, service_id, now), now)


def new_ticket_waits(
    venue: Venue, state: State, now: dt.datetime | None = None
) -> dict[str, WaitRange]:
    """`new_ticket_wait` of every service at once, for the kiosk's tiles: one dry run per
    scenario notes when each lane's back is reached, instead of one run per service."""
    waiting = list(state.waiting())
    at = venue.local(now or _latest(state) or LONG_AGO)
    plain, sooner = _scenarios(venue, state, at, waiting, backs=venue.services)
    counts: dict[tuple[tuple[str, str], bool], int] = {}
    for ticket in waiting:
        key = (_lane(ticket), ticket.priority)
        counts[key] = counts.get(key, 0) + 1
    ranges: dict[str, WaitRange] = {}
    for service, called in plain.backs.items():
        lane = ("service", service)
        regular, priority = counts.get((lane, False), 0), counts.get((lane, True), 0)
        ahead = _ahead(venue.priority_ratio, False, regular, priority)
        ranges[service] = to_range(_forecast(called, sooner.backs[service], ahead))
    return ranges


def forecast(
    venue: Venue, state: State, ticket: Ticket, now: dt.datetime | None = None
) -> Forecast | None:
    """When `ticket` is likely called: a dry run of *call next* from now (None: never).

    Early in the day a counter that has not opened yet may still open (a late officer) or
    stay closed all day: the forecast keeps both, `sooner` is the wait if it opens.
    """
    at = venue.local(now or _latest(state) or ticket.issued_at)
    plain = _scenario(venue, state, ticket, at, late_join=False)
    if plain is None:
        return None
    sooner = plain
    if _late_counters(venue, state, at):
        sooner = _scenario(venue, state, ticket, at, late_join=True) or plain
    return _forecast(plain, sooner, ahead_of(venue, state, ticket))


def _forecast(plain: Timed, sooner: Timed, ahead: int) -> Forecast:
    """A forecast from the wall-clock (minutes, spread) of both scenarios."""
    early = min(plain, sooner)
    return Forecast(plain[0], plain[1], ahead, early[0], early[1])


def wait_ranges(venue: Venue, state: State, now: dt.datetime | None = None) -> dict[str, WaitRange]:
    """Every waiting ticket's range (`wait_range`'s), from at most a few dry runs per scenario.

    For views that show many tickets at once (each visitor's phone page after every call):
    per-ticket `wait_range` calls would cost the square of the lane's length. Tickets no
    counter may call get no range, as from `wait_range`.
    """
    waiting = list(state.waiting())
    if not waiting:
        return {}
    at = venue.local(now or _latest(state) or waiting[0].issued_at)
    plain, sooner = _scenarios(venue, state, at, waiting, backs=())
    aheads = _aheads(venue, waiting)
    return {
        ticket: to_range(_forecast(called, sooner.tickets[ticket], aheads[ticket]))
        for ticket, called in plain.tickets.items()
    }


def _scenarios(
    venue: Venue, state: State, at: dt.datetime, waiting: list[Ticket], backs: Iterable[str]
) -> tuple[_Called, _Called]:
    """The batch of the plain scenario and of late counters joining (the same when none)."""
    plain = _DryRun(venue, state, at, late_join=False).all_called(waiting, backs)
    if not _late_counters(venue, state, at):
        return _wall(venue, at, plain), _wall(venue, at, plain)
    sooner = _DryRun(venue, state, at, late_join=True).all_called(waiting, backs)
    return _wall(venue, at, plain), _wall(venue, at, sooner)


def _wall(venue: Venue, at: dt.datetime, called: _Called) -> _Called:
    """Service minutes and variances turned into wall-clock (minutes, spread)."""
    return _Called(
        {ticket: _timed(venue, at, found) for ticket, found in called.tickets.items()},
        {service: _timed(venue, at, found) for service, found in called.backs.items()},
    )


def _timed(venue: Venue, at: dt.datetime, found: Timed) -> Timed:
    work, variance = found
    minutes = _through_breaks(venue, at, work)
    return minutes, _spread(variance, minutes)


def _spread(variance: float, minutes: float) -> float:
    return math.hypot(math.sqrt(max(variance, 0.0)), UNSEEN_SHARE * minutes)


def _aheads(venue: Venue, waiting: list[Ticket]) -> dict[str, int]:
    """`ahead_of` for every waiting ticket at once (sorted lanes instead of rescans)."""
    kinds: dict[tuple[tuple[str, str], bool], list[Ticket]] = {}
    for ticket in waiting:
        kinds.setdefault((_lane(ticket), ticket.priority), []).append(ticket)
    aheads: dict[str, int] = {}
    for (lane, priority), tickets in kinds.items():
        others = len(kinds.get((lane, not priority), ()))
        for before, ticket in enumerate(sorted(tickets, key=_order)):
            aheads[ticket.id] = _ahead(venue.priority_ratio, priority, before, others)
    return aheads


def _scenario(
    venue: Venue, state: State, ticket: Ticket, at: dt.datetime, *, late_join: bool
) -> Timed | None:
    found = _DryRun(venue, state, at, late_join=late_join).until_called(ticket)
    return _timed(venue, at, found) if found is not None else None


def to_range(found: Forecast) -> WaitRange:
    """Round a forecast to a range people can read: multiples of 5 minutes, at least 5 wide."""
    low = _round_near(max(0.0, found.sooner - REACH_BELOW * found.sooner_spread))
    high = max(_round_near(found.minutes + REACH_ABOVE * found.spread), low + ROUND_TO)
    return WaitRange(low=low, high=high, ahead=found.ahead)


def _newcomer(state: State, service_id: str, now: dt.datetime | None) -> Ticket:
    """A regular ticket at the back of the lane, as if issued now."""
    last = max((t.order for t in state.tickets.values()), default=0)
    at = now or _latest(state) or LONG_AGO
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


def _order(ticket: Ticket) -> int:
    return ticket.order


class _Called(NamedTuple):
    """What a batch found: per waiting ticket id, and per service for a newcomer at the
    back of its lane, the (service minutes, variance) until called (or wall-clock
    (minutes, spread) once `_wall` has turned them)."""

    tickets: dict[str, Timed]
    backs: dict[str, Timed]


class _Waiting:
    """The waiting tickets in calling order, grouped the way counters call them: per
    service lane and per counter (tickets transferred to it), regular and priority apart."""

    def __init__(self, tickets: Iterable[Ticket]) -> None:
        self.lanes: dict[tuple[str, bool], list[Ticket]] = {}
        self.direct: dict[tuple[str, bool], list[Ticket]] = {}
        for ticket in sorted(tickets, key=_order):
            if ticket.to_counter is not None:
                self.direct.setdefault((ticket.to_counter, ticket.priority), []).append(ticket)
            else:
                self.lanes.setdefault((ticket.service, ticket.priority), []).append(ticket)


class _Lanes:
    """One dry run's queues: what the run's counters may call, consumed as they call it.

    Only the lanes those counters serve are copied, so a run of a few counters costs the
    tickets they can call, not the whole venue's; every head and removal is O(1).
    """

    def __init__(
        self, venue: Venue, state: State, waiting: _Waiting, counters: Iterable[Counter]
    ) -> None:
        self.ratio = venue.priority_ratio
        self.by_lane = venue.priority_scope == "lane"
        self.since: dict[str, int] = {}
        self.lane_since = dict(state.lane_since)
        self.lanes: dict[tuple[str, bool], deque[Ticket]] = {}
        self.direct: dict[tuple[str, bool], deque[Ticket]] = {}
        for counter in counters:
            self.since[counter.id] = state.counter(counter.id).since_priority
            for priority in (False, True):
                mine = waiting.direct.get((counter.id, priority), ())
                self.direct[counter.id, priority] = deque(mine)
                for service in counter.services:
                    if (service, priority) not in self.lanes:
                        lane = waiting.lanes.get((service, priority), ())
                        self.lanes[service, priority] = deque(lane)

    def pick(self, counter: Counter) -> Ticket | None:
        """What *call next* takes at this counter: `decide.next_ticket`'s rule."""
        regular = self._head(counter, priority=False)
        priority = self._head(counter, priority=True)
        take_priority = priority is not None and (regular is None or self._due(counter, priority))
        chosen = priority if take_priority else regular
        if chosen is None:
            return None
        if chosen.to_counter is not None:
            self.direct[counter.id, chosen.priority].popleft()
        else:
            self.lanes[chosen.service, chosen.priority].popleft()
        self.since[counter.id] = 0 if chosen.priority else self.since[counter.id] + 1
        lane = self.lane_since.get(chosen.service, 0)
        self.lane_since[chosen.service] = 0 if chosen.priority else lane + 1
        return chosen

    def back_due(self, counter: Counter) -> bool:
        """Whether a newcomer at the back of this counter's lanes would be called now: no
        regular ticket is left before it and no priority ticket is due first."""
        if self._head(counter, priority=False) is not None:
            return False
        priority = self._head(counter, priority=True)
        return priority is None or not self._due(counter, priority)

    def _due(self, counter: Counter, ticket: Ticket) -> bool:
        """`decide._due`: the ratio counted at the counter, or in the ticket's lane."""
        since = self.lane_since.get(ticket.service, 0) if self.by_lane else self.since[counter.id]
        return since >= self.ratio

    def _head(self, counter: Counter, *, priority: bool) -> Ticket | None:
        direct = self.direct[counter.id, priority]
        best = direct[0] if direct else None
        for service in counter.services:
            lane = self.lanes[service, priority]
            if lane and (best is None or lane[0].order < best.order):
                best = lane[0]
        return best


class _DryRun:
    """Call next, counter by counter, at mean service times, over the tickets waiting now.

    Works in service minutes from now (venue breaks are added afterwards). Nobody arrives
    during the run; `UNSEEN_SHARE` stands for them. Which counters run depends on the
    ticket: the staffed ones when one of them may call it, else the counters that may
    (before they open, assume they are about to). One instance holds what every run of a
    scenario shares: the paces, and when each counter is next free.
    """

    def __init__(self, venue: Venue, state: State, at: dt.datetime, *, late_join: bool) -> None:
        self.venue, self.state = venue, state
        self.late = _late_counters(venue, state, at) if late_join else set()
        self.on_break = venue.closed_reason(at) == "break"
        self.gaps = _call_minutes(state)
        self.cycle: dict[str, float] = {}
        self.variance: dict[str, float] = {}
        self.staffed = [
            c
            for c in venue.counters.values()
            if state.counter(c.id).status != "closed" or c.id in self.late
        ]
        self.staffed_ids = {c.id for c in self.staffed}
        self.pools = _pools(venue)
        self.in_hand: dict[tuple[Counter, ...], float] = {}
        self.elapsed = {t.id: self._elapsed(t, at) for t in self._in_hand()}

    def until_called(self, target: Ticket) -> Timed | None:
        """Service minutes until `target` is called, and the variance of that time; None
        when no counter may call it."""
        pool = self._pool(target)
        if not pool:
            return None
        counters = self.staffed if self._staffed(pool) else list(pool)
        others = (t for t in self.state.waiting() if t.id != target.id)
        lanes = _Lanes(self.venue, self.state, _Waiting([*others, target]), counters)
        for free, _, picked, _ in self._calls(lanes, counters):
            if picked is not None and picked.id == target.id:
                return self._timing(free, target.service, pool)
        return None

    def all_called(self, waiting: list[Ticket], backs: Iterable[str]) -> _Called:
        """`until_called` of every waiting ticket, and of a newcomer at the back of each
        lane in `backs`, from one run of the staffed counters plus one run per pool of
        counters that no staffed counter is part of (each over the lanes that pool serves).

        Exact because a run is the same until any one ticket is called: the staffed run is
        what `until_called` runs for every ticket a staffed counter may call; the others'
        runs only differ by their pool."""
        queue = _Waiting(waiting)
        found = _Called({}, {})
        pending: dict[tuple[Counter, ...], tuple[set[str], set[str]]] = {}
        staffed_backs: set[str] = set()
        for ticket in waiting:
            pool = self._pool(ticket)
            if pool and not self._staffed(pool):
                pending.setdefault(pool, (set(), set()))[0].add(ticket.id)
        for service in backs:
            pool = self.pools.get(service, ())
            if pool and self._staffed(pool):
                staffed_backs.add(service)
            elif pool:
                pending.setdefault(pool, (set(), set()))[1].add(service)
        self._run(queue, self.staffed, None, staffed_backs, found)
        for pool, (tickets, services) in pending.items():
            self._run(queue, list(pool), tickets, services, found)
        return found

    def _run(
        self,
        queue: _Waiting,
        counters: list[Counter],
        tickets: set[str] | None,
        backs: set[str],
        found: _Called,
    ) -> None:
        """Run `counters` and note the calls of `tickets` (every call when None) and when
        each lane of `backs` reaches its back; stop once all are noted."""
        lanes = _Lanes(self.venue, self.state, queue, counters)
        for free, counter, picked, back in self._calls(lanes, counters, backs=bool(backs)):
            if back:
                for service in backs.intersection(counter.services):
                    backs.discard(service)
                    found.backs[service] = self._timing(free, service, self.pools[service])
            if picked is not None and (tickets is None or picked.id in tickets):
                found.tickets[picked.id] = self._timing(free, picked.service, self._pool(picked))
                if tickets is not None:
                    tickets.discard(picked.id)
            if tickets is not None and not tickets and not backs:
                return

    def _calls(
        self, lanes: _Lanes, counters: list[Counter], *, backs: bool = False
    ) -> Iterator[tuple[float, Counter, Ticket | None, bool]]:
        """Each turn of a run: when a counter is free, what it calls (None: nothing left,
        it drops out) and, when asked, whether a newcomer at the back would be called."""
        heap = [(self._free_in(c), c.id) for c in counters]
        heapq.heapify(heap)
        while heap:
            free, cid = heapq.heappop(heap)
            counter = self.venue.counters[cid]
            back = backs and lanes.back_due(counter)
            picked = lanes.pick(counter)
            yield free, counter, picked, back
            if picked is not None:
                heapq.heappush(heap, (free + self._cycle(picked.service), cid))

    def _timing(self, free: float, service: str, pool: tuple[Counter, ...]) -> Timed:
        """A call `free` service minutes from now, and the variance of that time."""
        # What the pool's counters have in hand may end sooner or later than its mean.
        if pool not in self.in_hand:
            self.in_hand[pool] = sum(self._in_hand_variance(c) for c in pool)
        # c counters working for t minutes through tickets of mean m and spread sigma: the
        # spread of t is about sqrt(t * sigma^2 / (m * c)) (renewal theory; sqrt(n) tickets).
        # Taken per minute of wait rather than per ticket so that it never shrinks further
        # back in the lane, and `low` never drops for a later ticket.
        per_minute = self._variance(service) / max(self._cycle(service), 1e-9)
        c = max(1, len(pool))
        return free, self.in_hand[pool] / c**2 + free * per_minute / c

    def _pool(self, ticket: Ticket) -> tuple[Counter, ...]:
        """The counters that may call `ticket` (`decide.callable_at`)."""
        if ticket.to_counter is not None:
            counter = self.venue.counters.get(ticket.to_counter)
            return (counter,) if counter is not None else ()
        return self.pools.get(ticket.service, ())

    def _staffed(self, pool: tuple[Counter, ...]) -> bool:
        return any(c.id in self.staffed_ids for c in pool)

    def _cycle(self, service: str) -> float:
        """Minutes a counter spends on one ticket of `service`: the call, then the service."""
        if service not in self.cycle:
            pace = service_minutes(self.venue, self.state, service)
            self.cycle[service] = pace + self.gaps.get(service, 0.0)
        return self.cycle[service]

    def _variance(self, service: str) -> float:
        if service not in self.variance:
            self.variance[service] = service_spread(self.venue, self.state, service) ** 2
        return self.variance[service]

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
        mean = self._cycle(ticket.service)
        return max(mean - self.elapsed.get(ticket.id, 0.0), mean / 4)

    def _in_hand_variance(self, counter: Counter) -> float:
        ticket_id = self.state.counter(counter.id).ticket
        ticket = self.state.tickets.get(ticket_id) if ticket_id is not None else None
        return self._variance(ticket.service) if ticket is not None else 0.0

    def _in_hand(self) -> Iterable[Ticket]:
        for cid in self.venue.counters:
            ticket_id = self.state.counter(cid).ticket
            if ticket_id is not None and ticket_id in self.state.tickets:
                yield self.state.tickets[ticket_id]

    @staticmethod
    def _elapsed(ticket: Ticket, at: dt.datetime) -> float:
        since = ticket.called_at or ticket.started_at
        return max(0.0, (at - since).total_seconds() / 60) if since else 0.0


def _pools(venue: Venue) -> dict[str, tuple[Counter, ...]]:
    """Per service, the counters that serve its lane, in the venue file's order."""
    pools: dict[str, dict[str, Counter]] = {}
    for counter in venue.counters.values():
        for service in counter.services:
            pools.setdefault(service, {})[counter.id] = counter
    return {service: tuple(counters.values()) for service, counters in pools.items()}


def _late_counters(venue: Venue, state: State, at: dt.datetime) -> set[str]:
    """Closed counters that may still open today: none has served yet, and it is early."""
    hours = venue.hours_on(at.date())
    if hours is None or _clock(at) - _minutes(hours.open) > LATE_WINDOW:
        return set()
    closed = {cid for cid in venue.counters if state.counter(cid).status == "closed"}
    return closed - {t.counter for t in state.tickets.values() if t.counter is not None}


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
    pending = state.tallies.pending.get(service.id, 0)
    needed = (pending + reserved + 1) * service_minutes(venue, state, service.id) / max(counters, 1)
    return needed > left


def _round_near(minutes: float) -> int:
    return round(minutes / ROUND_TO) * ROUND_TO
