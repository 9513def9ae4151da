"""How honest is the wait estimate? Simulated MPP days through the real domain.

    uv run python -m bench.wait_estimate

Every ticket of a simulated day is issued, called, served and finished by `decide` and
`evolve`, exactly as the service would. At issue we record what the kiosk prints
(`estimate.wait_range` of the new ticket) and a naive single number; when the ticket is
first called we record the actual wait. Printed per day and overall:

  hit       share of tickets whose actual wait fell inside the printed range (goal >= 80%)
  below/above  share called earlier than `low` / later than `high`
  width     mean range width in minutes; rel.w = mean width / midpoint for midpoints > 15
  MAE mid   mean absolute error of the range's midpoint (minutes)
  MAE naive mean absolute error of the naive estimate in the same run: tickets ahead in
            the lane x mean recent service time / open counters serving the service
  ratio     MAE mid / MAE naive (below 1: ours is better)

The day: five services with lognormal service times (the venue's typical_minutes are a
manager's round guesses, not the truth), nine counters of which two serve two lanes, one
opens late and every one takes a break around lunch; ~10% priority tickets; arrivals peak
in the morning; a few no-shows after recalls. Tuesdays run 08.00-16.00, Fridays break for
prayer 11.30-13.00. Deterministic (fixed seeds); takes a few seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import math
import random
import statistics
from collections.abc import Callable, Iterable
from itertools import count

from server.domain import commands as cmd
from server.domain import estimate
from server.domain import events as ev
from server.domain.decide import decide
from server.domain.errors import DomainError
from server.domain.state import State, evolve
from server.domain.venue import Break, Counter, OpeningHours, Service, Venue
from tests.helpers import WEEK, local_time, small_venue

SEEDS = (1, 2, 3)
DAYS = (("Tue", dt.date(2026, 11, 24)), ("Fri", dt.date(2026, 11, 27)))
LAST_ISSUE = dt.time(15, 0)
PRIORITY_SHARE = 0.10
NO_SHOW = 0.04


@dataclasses.dataclass(frozen=True)
class Lane:
    """A service as the simulation sees it: the truth the estimator has to learn."""

    prefix: str
    typical: float  # what the venue file says
    median: float  # of the real lognormal service time
    sigma: float
    per_hour: float  # mean arrivals per hour at the base rate
    priority: bool = True


LANES = {
    "ktp": Lane("A", typical=8, median=7.0, sigma=0.45, per_hour=14),
    "kk": Lane("B", typical=10, median=10.5, sigma=0.55, per_hour=6),
    "sim": Lane("C", typical=6, median=5.0, sigma=0.35, per_hour=14, priority=False),
    "bpjs": Lane("D", typical=12, median=11.0, sigma=0.6, per_hour=5),
    "pajak": Lane("E", typical=8, median=8.5, sigma=0.7, per_hour=7),
}
COUNTERS = {
    "1": ("ktp",),
    "2": ("ktp",),
    "3": ("ktp", "kk"),
    "4": ("kk",),
    "5": ("sim",),
    "6": ("sim",),
    "7": ("bpjs",),
    "8": ("bpjs", "pajak"),
    "9": ("pajak",),
}
LATE = {"6": 90.0}  # counter 6 opens at 09.30 (minutes after opening)
# Arrival rate by hour after opening, times the lane's base rate: a morning peak.
RATE_BY_HOUR = (1.2, 1.5, 1.1, 0.8, 0.5, 0.7, 0.5)


def mpp_venue() -> Venue:
    """small_venue's shape with realistic services, counters and a Friday prayer break."""
    base = small_venue()
    hours = OpeningHours(open=dt.time(8, 0), close=dt.time(16, 0))
    services = {
        sid: Service(
            id=sid,
            tenant="dukcapil",
            name=sid.upper(),
            prefix=lane.prefix,
            daily_quota=400,
            priority_lane=lane.priority,
            typical_minutes=lane.typical,
            last_issue=LAST_ISSUE,
        )
        for sid, lane in LANES.items()
    }
    counters = {
        cid: Counter(id=cid, label=f"Loket {cid}", tenant="dukcapil", services=lanes, zone="z1")
        for cid, lanes in COUNTERS.items()
    }
    friday_prayer = Break(days=("fri",), start=dt.time(11, 30), end=dt.time(13, 0))
    return small_venue(
        hours=dict.fromkeys(WEEK, hours),
        services=services,
        counters=counters,
        breaks=(friday_prayer,),
        zones=base.zones,
    )


@dataclasses.dataclass
class Shown:
    """What a ticket was told at issue, and what happened."""

    service: str
    priority: bool
    issued: dt.datetime
    low: int
    high: int
    naive: float
    actual: float | None = None


class Day:
    """One simulated day: a heap of timed actions driving the real domain."""

    def __init__(self, venue: Venue, day: dt.date, seed: int, state: State) -> None:
        self.venue, self.state, self.rng = venue, state, random.Random(seed)
        self.opens = local_time(venue, day.year, day.month, day.day, 8, 0)
        self.friday = day.weekday() == 4
        self.heap: list[tuple[dt.datetime, int, Callable[[dt.datetime], None]]] = []
        self.seq = count()
        self.shown: dict[str, Shown] = {}
        self.idle: set[str] = set()
        # Counters that pause as soon as their visitor is done, and how.
        self.breaking: dict[str, Callable[[dt.datetime], None]] = {}
        self.turned_away = 0

    # --- the domain ------------------------------------------------------------------

    def send(self, command: cmd.Command, at: dt.datetime) -> list[ev.Event]:
        try:
            events = decide(self.venue, self.state, command, at)
        except DomainError:
            return []
        for event in events:
            evolve(self.state, event)
            if isinstance(event, ev.TicketCalled) and event.ticket in self.shown:
                shown = self.shown[event.ticket]
                if shown.actual is None:
                    shown.actual = (event.at - shown.issued).total_seconds() / 60
        return events

    def at(self, minutes: float, action: Callable[[dt.datetime], None]) -> None:
        when = self.opens + dt.timedelta(minutes=minutes)
        heapq.heappush(self.heap, (when, next(self.seq), action))

    def later(
        self, now: dt.datetime, minutes: float, action: Callable[[dt.datetime], None]
    ) -> None:
        heapq.heappush(self.heap, (now + dt.timedelta(minutes=minutes), next(self.seq), action))

    def run(self) -> list[Shown]:
        self._plan_arrivals()
        self._plan_counters()
        while self.heap:
            when, _, action = heapq.heappop(self.heap)
            action(when)
        return [s for s in self.shown.values() if s.actual is not None]

    # --- visitors --------------------------------------------------------------------

    def _plan_arrivals(self) -> None:
        closing = (LAST_ISSUE.hour - 8) * 60
        for service, lane in LANES.items():
            minute = 0.0
            peak = max(RATE_BY_HOUR) * lane.per_hour / 60
            while True:  # thinning of a Poisson process with an hourly rate
                minute += self.rng.expovariate(peak)
                if minute >= closing:
                    break
                rate = RATE_BY_HOUR[int(minute // 60)] * lane.per_hour / 60
                if self.rng.random() < rate / peak:
                    self.at(minute, self._arrival(service, lane))

    def _arrival(self, service: str, lane: Lane) -> Callable[[dt.datetime], None]:
        priority = lane.priority and self.rng.random() < PRIORITY_SHARE

        def arrive(now: dt.datetime) -> None:
            visit = f"v{len(self.shown)}-{self.turned_away}"
            command = cmd.IssueTicket(
                service=service, visit=visit, priority=priority, confirmed_by="satpam"
            )
            events = self.send(command, now)
            issued = [e for e in events if isinstance(e, ev.TicketIssued)]
            if not issued:
                self.turned_away += 1
                return
            self._record(issued[0], now)
            for counter in sorted(self.idle):
                if service in COUNTERS[counter]:
                    self._call(counter, now)

        return arrive

    def _record(self, issued: ev.TicketIssued, now: dt.datetime) -> None:
        ticket = self.state.tickets[issued.ticket]
        shown = estimate.wait_range(self.venue, self.state, ticket, now)
        assert shown is not None, "every simulated service has counters"
        self.shown[ticket.id] = Shown(
            service=ticket.service,
            priority=ticket.priority,
            issued=now,
            low=shown.low,
            high=shown.high,
            naive=naive_minutes(self.venue, self.state, ticket.id),
        )

    # --- officers --------------------------------------------------------------------

    def _plan_counters(self) -> None:
        for counter in COUNTERS:
            opens = LATE.get(counter, self.rng.uniform(0, 8))
            self.at(opens, self._open(counter))
            if self.friday:
                # Everyone stops for Friday prayer; the venue itself is closed then.
                self.at(210, self._pause(counter, 90 + self.rng.uniform(0, 5)))
            else:
                lunch = self.rng.uniform(200, 300)
                self.at(lunch, self._pause(counter, self.rng.uniform(20, 40)))
            if self.rng.random() < 0.3:
                self.at(self.rng.uniform(60, 150), self._pause(counter, self.rng.uniform(8, 15)))

    def _open(self, counter: str) -> Callable[[dt.datetime], None]:
        def open_(now: dt.datetime) -> None:
            self.send(cmd.OpenCounter(counter=counter, officer=f"o{counter}"), now)
            self._call(counter, now)

        return open_

    def _pause(self, counter: str, minutes: float) -> Callable[[dt.datetime], None]:
        def pause(now: dt.datetime) -> None:
            if self.state.counter(counter).ticket is not None:
                self.breaking[counter] = pause  # after this visitor, not before
                return
            self.breaking.pop(counter, None)
            self.idle.discard(counter)
            self.send(cmd.PauseCounter(counter=counter), now)
            self.later(now, minutes, self._open(counter))

        return pause

    def _call(self, counter: str, now: dt.datetime) -> None:
        if counter in self.breaking:
            self.breaking[counter](now)
            return
        if self.state.counter(counter).status != "open" or self.state.counter(counter).ticket:
            return
        events = self.send(cmd.CallNext(counter=counter), now)
        if not events:
            self.idle.add(counter)
            return
        self.idle.discard(counter)
        service = self.state.tickets[self.state.counter(counter).ticket or ""].service
        if self.rng.random() < NO_SHOW:
            self.later(now, 5.0, self._no_show(counter))
        else:
            self.later(now, self.rng.uniform(0.3, 1.5), self._start(counter, service))

    def _no_show(self, counter: str) -> Callable[[dt.datetime], None]:
        def no_show(now: dt.datetime) -> None:
            self.send(cmd.NoShow(counter=counter), now)
            self._call(counter, now)

        return no_show

    def _start(self, counter: str, service: str) -> Callable[[dt.datetime], None]:
        lane = LANES[service]

        def start(now: dt.datetime) -> None:
            self.send(cmd.StartServing(counter=counter), now)
            minutes = lane.median * math.exp(self.rng.gauss(0, lane.sigma))
            self.later(now, minutes, self._done(counter))

        return start

    def _done(self, counter: str) -> Callable[[dt.datetime], None]:
        def done(now: dt.datetime) -> None:
            self.send(cmd.Done(counter=counter), now)
            self._call(counter, now)

        return done


def naive_minutes(venue: Venue, state: State, ticket_id: str) -> float:
    """Tickets ahead in the lane x mean recent service time / open counters serving it."""
    ticket = state.tickets[ticket_id]
    ahead = sum(
        1 for t in state.waiting() if t.service == ticket.service and t.order < ticket.order
    )
    recent = state.durations.get(ticket.service, ())
    mean = statistics.fmean(recent) if recent else venue.services[ticket.service].typical_minutes
    serving = [c for c in venue.counters.values() if ticket.service in c.services]
    open_ = sum(1 for c in serving if state.counter(c.id).status == "open")
    return ahead * mean / max(open_, 1)


@dataclasses.dataclass(frozen=True)
class Score:
    tickets: int
    hit: float
    below: float
    above: float
    width: float
    rel_width: float
    mae: float
    mae_naive: float


def score(shown: list[Shown]) -> Score:
    actual = [s.actual or 0.0 for s in shown]
    mids = [(s.low + s.high) / 2 for s in shown]
    long = [(s.high - s.low) / m for s, m in zip(shown, mids, strict=True) if m > 15]
    return Score(
        tickets=len(shown),
        hit=_share(s.low <= a <= s.high for s, a in zip(shown, actual, strict=True)),
        below=_share(a < s.low for s, a in zip(shown, actual, strict=True)),
        above=_share(a > s.high for s, a in zip(shown, actual, strict=True)),
        width=statistics.fmean(s.high - s.low for s in shown),
        rel_width=statistics.fmean(long) if long else 0.0,
        mae=statistics.fmean(abs(m - a) for m, a in zip(mids, actual, strict=True)),
        mae_naive=statistics.fmean(abs(s.naive - a) for s, a in zip(shown, actual, strict=True)),
    )


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


HEADER = (
    f"{'day':<10} {'tickets':>7} {'hit':>6} {'below':>6} {'above':>6} {'width':>6} "
    f"{'rel.w':>6} {'MAE mid':>8} {'MAE naive':>10} {'ratio':>6}"
)


def row(name: str, s: Score) -> str:
    ratio = s.mae / s.mae_naive if s.mae_naive else math.inf
    return (
        f"{name:<10} {s.tickets:>7} {s.hit:>6.1%} {s.below:>6.1%} {s.above:>6.1%} "
        f"{s.width:>6.1f} {s.rel_width:>6.2f} {s.mae:>8.1f} {s.mae_naive:>10.1f} {ratio:>6.2f}"
    )


def main() -> None:
    venue = mpp_venue()
    everything: list[Shown] = []
    print("wait estimate vs actual wait (minutes), simulated MPP days through the real domain")
    print(HEADER)
    for seed in SEEDS:
        for name, day in DAYS:
            simulated = Day(venue, day, seed * 100 + day.day, State())
            shown = simulated.run()
            everything.extend(shown)
            label = f"s{seed} {name}"
            print(row(label, score(shown)) + f"   turned away {simulated.turned_away}")
    print(row("overall", score(everything)))
    print("by service, all days:")
    for service in LANES:
        print(row(f"  {service}", score([s for s in everything if s.service == service])))
    waits = [s.actual or 0.0 for s in everything]
    print(
        f"actual waits: mean {statistics.fmean(waits):.1f}, "
        f"median {statistics.median(waits):.1f}, max {max(waits):.1f} minutes"
    )


if __name__ == "__main__":
    main()
