"""Wait estimates and the predicted end-of-day cutoff, one behaviour at a time."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain import commands as cmd
from server.domain import estimate
from server.domain import events as ev
from server.domain.decide import decide, next_ticket
from server.domain.errors import DomainError
from server.domain.estimate import (
    WaitRange,
    ahead_of,
    day_full,
    forecast,
    new_ticket_wait,
    new_ticket_waits,
    service_minutes,
    wait_range,
    wait_ranges,
)
from server.domain.state import State, Ticket, evolve
from server.domain.venue import Break, Holiday, OpeningHours, Venue
from tests.helpers import WEEK, local_time, small_venue
from visitors.views import wait_text

TUESDAY = (2026, 11, 24)
FRIDAY = (2026, 11, 27)


def venue_with(minutes: float = 10.0, **overrides: object) -> Venue:
    """small_venue with services that take `minutes` each, open 08.00-16.00."""
    venue = small_venue(hours=dict.fromkeys(WEEK, OpeningHours(dt.time(8), dt.time(16))))
    services = {
        sid: msgspec.structs.replace(s, typical_minutes=minutes)
        for sid, s in venue.services.items()
    }
    return msgspec.structs.replace(venue, services=services, **overrides)


class Queue:
    """A venue and its state at a settable time, driven through `decide` and `evolve`."""

    def __init__(self, venue: Venue, *when: int) -> None:
        self.venue, self.state = venue, State()
        self.now = local_time(venue, *(when or (*TUESDAY, 11, 0)))

    def __call__(self, command: cmd.Command) -> list[ev.Event]:
        events = decide(self.venue, self.state, command, self.now)
        for event in events:
            evolve(self.state, event)
        return events

    def issue(self, service: str = "ktp", *, priority: bool = False) -> Ticket:
        visit = f"v{len(self.state.tickets)}"
        events = self(
            cmd.IssueTicket(service=service, visit=visit, priority=priority, confirmed_by="s")
        )
        issued = [e for e in events if isinstance(e, ev.TicketIssued)]
        return self.state.tickets[issued[-1].ticket]

    def crowd(self, count: int, service: str = "ktp") -> list[Ticket]:
        return [self.issue(service) for _ in range(count)]

    def open(self, *counters: str) -> None:
        for counter in counters:
            self(cmd.OpenCounter(counter=counter, officer=f"o{counter}"))

    def minutes(self, ticket: Ticket) -> float:
        found = forecast(self.venue, self.state, ticket, self.now)
        assert found is not None
        return found.minutes

    def wait(self, ticket: Ticket) -> WaitRange:
        shown = wait_range(self.venue, self.state, ticket, self.now)
        assert shown is not None, f"{ticket.label} is shown no wait"
        return shown


class TestPosition:
    """The further back in the lane, the later the range."""

    def test_range_grows_with_position(self) -> None:
        q = Queue(venue_with(10))
        q.open("1")
        tickets = q.crowd(8)
        ranges = [q.wait(t) for t in tickets]
        assert all(a.low <= b.low and a.high <= b.high for a, b in itertools.pairwise(ranges))
        assert ranges[-1].low > ranges[0].high
        assert [r.ahead for r in ranges] == list(range(8))

    def test_new_ticket_waits_behind_everyone(self) -> None:
        q = Queue(venue_with(10))
        q.open("1")
        last = q.crowd(5)[-1]
        shown = new_ticket_wait(q.venue, q.state, "ktp", q.now)
        assert shown is not None
        assert shown.low >= q.wait(last).low
        assert shown.ahead == 5


class TestCounters:
    """Counters open and serving the lane set the pace."""

    def test_more_open_counters_shorten_the_wait(self) -> None:
        one, two = Queue(venue_with(10)), Queue(venue_with(10))
        one.open("1")
        two.open("1", "2")
        alone, helped = one.crowd(6)[-1], two.crowd(6)[-1]
        assert two.minutes(helped) < one.minutes(alone)
        assert two.wait(helped).high < one.wait(alone).high

    def test_a_counter_serving_two_lanes_counts_partly(self) -> None:
        """Counter 2 serves KTP and KK: older KK tickets take some of its time."""
        solo, shared, free = (Queue(venue_with(10)) for _ in range(3))
        solo.open("1")
        shared.open("1", "2")
        free.open("1", "2")
        shared.crowd(4, "kk")
        waits = {
            name: q.minutes(q.crowd(6)[-1])
            for name, q in (("solo", solo), ("shared", shared), ("free", free))
        }
        assert waits["free"] < waits["shared"] < waits["solo"]

    def test_the_ticket_being_served_has_less_to_go_later(self) -> None:
        q = Queue(venue_with(10))
        q.open("1")
        ticket = q.crowd(2)[-1]
        q(cmd.CallNext(counter="1"))
        q(cmd.StartServing(counter="1"))
        started = q.minutes(ticket)
        q.now += dt.timedelta(minutes=6)
        assert q.minutes(ticket) < started

    def test_before_any_counter_opens_the_configured_ones_stand_in(self) -> None:
        q = Queue(venue_with(10))
        ticket = q.crowd(4)[-1]
        assert 0 < q.minutes(ticket) < 4 * 10


class TestLearning:
    """Recent service times of the service replace the venue's typical minutes."""

    def test_learned_durations_override_typical_minutes(self) -> None:
        q = Queue(venue_with(10))
        q.open("1")
        ticket = q.crowd(5)[-1]
        guessed = q.wait(ticket)
        q.state.durations["ktp"] = (30.0,) * 10
        assert service_minutes(q.venue, q.state, "ktp") == pytest.approx(30.0)
        assert q.wait(ticket).low > guessed.high

    def test_a_few_durations_are_blended_with_typical(self) -> None:
        q = Queue(venue_with(10))
        q.state.durations["ktp"] = (30.0,)
        assert 10 < service_minutes(q.venue, q.state, "ktp") < 30

    def test_the_time_to_walk_to_the_counter_counts(self) -> None:
        slow, quick = Queue(venue_with(10)), Queue(venue_with(10))
        for q, walk in ((slow, 5), (quick, 0)):
            q.open("1")
            q.crowd(1)
            q(cmd.CallNext(counter="1"))
            q.now += dt.timedelta(minutes=walk)
            q(cmd.StartServing(counter="1"))
            q.now += dt.timedelta(minutes=10)
            q(cmd.Done(counter="1"))
        assert slow.minutes(slow.crowd(5)[-1]) > quick.minutes(quick.crowd(5)[-1])


class TestPriority:
    """A priority ticket goes ahead of regular ones, as the priority ratio allows."""

    def test_priority_ticket_jumps_ahead_per_the_ratio(self) -> None:
        q = Queue(venue_with(10))
        q.open("1")
        regular = q.crowd(6)
        priority = q.issue(priority=True)
        assert ahead_of(q.venue, q.state, priority) < ahead_of(q.venue, q.state, regular[-1])
        # With ratio 2 the counter calls two regular tickets, then the priority one.
        assert q.minutes(regular[1]) < q.minutes(priority) < q.minutes(regular[2])

    def test_regular_tickets_wait_one_turn_more_behind_a_priority_one(self) -> None:
        q = Queue(venue_with(10))
        q.open("1")
        regular = q.crowd(6)
        before = q.minutes(regular[-1])
        q.issue(priority=True)
        assert q.minutes(regular[-1]) > before


class TestBreaks:
    """A venue break (Friday prayer) stops the counters in the middle of a wait."""

    def test_friday_prayer_is_added_to_a_wait_across_it(self) -> None:
        prayer = Break(days=("fri",), start=dt.time(11, 30), end=dt.time(13, 0))
        venue = venue_with(10, breaks=(prayer,))
        friday, tuesday = Queue(venue, *FRIDAY, 11, 0), Queue(venue, *TUESDAY, 11, 0)
        for q in (friday, tuesday):
            q.open("1")
        across, plain = friday.crowd(6)[-1], tuesday.crowd(6)[-1]
        assert friday.minutes(across) == pytest.approx(tuesday.minutes(plain) + 90)


class TestText:
    """The range reads as people say it, in Indonesian and English."""

    def test_indonesian(self) -> None:
        assert wait_text(WaitRange(low=15, high=25, ahead=4), "id") == "sekitar 15–25 menit"
        assert wait_text(WaitRange(low=0, high=5, ahead=0), "id") == "kurang dari 5 menit"
        assert wait_text(WaitRange(low=0, high=10, ahead=1)) == "kurang dari 10 menit"

    def test_english(self) -> None:
        assert wait_text(WaitRange(low=15, high=25, ahead=4), "en") == "about 15–25 minutes"
        assert wait_text(WaitRange(low=0, high=5, ahead=0), "en") == "under 5 minutes"

    def test_a_short_queue_is_under_five_minutes(self) -> None:
        q = Queue(venue_with(1))
        q.open("1", "2")
        assert wait_text(q.wait(q.issue())) == "kurang dari 5 menit"


class TestDayFull:
    """Issuing stops when the rest of the day cannot serve one more ticket."""

    def one_hour(self) -> Venue:
        venue = venue_with(10, hours=dict.fromkeys(WEEK, OpeningHours(dt.time(8), dt.time(9))))
        counters = {cid: c for cid, c in venue.counters.items() if cid in ("3",)}
        return msgspec.structs.replace(venue, counters=counters)

    def test_refuses_when_the_rest_of_the_day_cannot_serve_one_more(self) -> None:
        q = Queue(self.one_hour(), *TUESDAY, 8, 0)
        q.crowd(6, "sim")
        assert day_full(q.venue, q.state, q.venue.services["sim"], q.now)

    def test_allows_otherwise(self) -> None:
        q = Queue(self.one_hour(), *TUESDAY, 8, 0)
        q.crowd(5, "sim")
        assert not day_full(q.venue, q.state, q.venue.services["sim"], q.now)

    def test_decide_stops_issuing_before_the_daily_quota(self) -> None:
        q = Queue(self.one_hour(), *TUESDAY, 8, 0)
        q.crowd(6, "sim")
        with pytest.raises(DomainError) as caught:
            q.issue("sim")
        assert caught.value.code == "day_full"
        assert q.state.numbers["sim"] == 6 < q.venue.services["sim"].daily_quota

    def test_later_in_the_day_fewer_fit(self) -> None:
        q = Queue(self.one_hour(), *TUESDAY, 8, 30)
        q.crowd(3, "sim")
        assert day_full(q.venue, q.state, q.venue.services["sim"], q.now)


class TestCalendar:
    """Minutes of service left today and the next opening, breaks and holidays included."""

    def venue(self) -> Venue:
        prayer = Break(days=("fri",), start=dt.time(11, 30), end=dt.time(13, 0))
        holiday = Holiday(date=dt.date(2026, 12, 25), name="Natal")
        return venue_with(10, breaks=(prayer,), holidays=(holiday,))

    def test_minutes_left_on_a_plain_day(self) -> None:
        venue = self.venue()
        assert venue.open_minutes_left(local_time(venue, *TUESDAY, 8, 0)) == 480
        assert venue.open_minutes_left(local_time(venue, *TUESDAY, 7, 0)) == 480
        assert venue.open_minutes_left(local_time(venue, *TUESDAY, 15, 30)) == 30
        assert venue.open_minutes_left(local_time(venue, *TUESDAY, 17, 0)) == 0

    def test_friday_prayer_is_left_out(self) -> None:
        venue = self.venue()
        assert venue.open_minutes_left(local_time(venue, *FRIDAY, 8, 0)) == 480 - 90
        assert venue.open_minutes_left(local_time(venue, *FRIDAY, 12, 0)) == 180

    def test_a_holiday_has_no_minutes(self) -> None:
        venue = self.venue()
        assert venue.open_minutes_left(local_time(venue, 2026, 12, 25, 9, 0)) == 0

    def test_next_open(self) -> None:
        venue = self.venue()
        open_now = local_time(venue, *TUESDAY, 9, 0)
        assert venue.next_open(open_now) == open_now
        assert venue.next_open(local_time(venue, *TUESDAY, 7, 0)) == local_time(
            venue, *TUESDAY, 8, 0
        )
        assert venue.next_open(local_time(venue, *FRIDAY, 12, 0)) == local_time(
            venue, *FRIDAY, 13, 0
        )
        assert venue.next_open(local_time(venue, 2026, 12, 24, 17, 0)) == local_time(
            venue, 2026, 12, 26, 8, 0
        )


@settings(max_examples=60, deadline=None)
@given(
    typical=st.floats(min_value=0.5, max_value=20),
    counters=st.sampled_from([("1",), ("1", "2")]),
    crowd=st.integers(min_value=1, max_value=25),
    learned=st.lists(st.floats(min_value=0.5, max_value=60), max_size=8),
)
def test_ranges_are_honest_shapes(
    typical: float, counters: tuple[str, ...], crowd: int, learned: list[float]
) -> None:
    """Low <= high, never negative, multiples of 5, and never sooner further back."""
    q = Queue(venue_with(typical))
    q.open(*counters)
    tickets = q.crowd(crowd)
    if learned:
        q.state.durations["ktp"] = tuple(learned)
    ranges = [q.wait(t) for t in tickets]
    for shown in ranges:
        assert 0 <= shown.low < shown.high
        assert shown.low % 5 == 0 and shown.high % 5 == 0
    for ahead, behind in itertools.pairwise(ranges):
        assert ahead.low <= behind.low and ahead.high <= behind.high


COUNTER_IDS = st.sampled_from(["1", "2", "3", "4"])


@st.composite
def queues(draw: st.DrawFn) -> Queue:
    """A morning in any shape: lanes with and without staffed counters, calls, tickets sent
    to one counter (some of them closed since), any priority ratio including 0."""
    ratio = draw(st.integers(min_value=0, max_value=3))
    scope = draw(st.sampled_from(["counter", "lane"]))
    q = Queue(venue_with(8.0, priority_ratio=ratio, priority_scope=scope))
    arrivals = st.tuples(st.sampled_from(["ktp", "kk", "sim"]), st.booleans())
    q.open(*sorted(draw(st.sets(COUNTER_IDS))))
    for service, priority in draw(st.lists(arrivals, min_size=1, max_size=30)):
        q.issue(service, priority=priority and service != "sim")
    for counter in draw(st.lists(COUNTER_IDS, max_size=6)):
        with contextlib.suppress(DomainError):  # closed, busy or nobody waiting for it
            q(cmd.CallNext(counter=counter))
    for via, to, front in draw(st.lists(st.tuples(COUNTER_IDS, COUNTER_IDS, st.booleans()))):
        with contextlib.suppress(DomainError):
            q(cmd.Transfer(counter=via, to_counter=to, front=front))
    for counter in draw(st.sets(COUNTER_IDS, max_size=2)):
        with contextlib.suppress(DomainError):
            q(cmd.CloseCounter(counter=counter))
    q.now += dt.timedelta(minutes=draw(st.integers(min_value=0, max_value=90)))
    return q


@settings(max_examples=200, deadline=None)
@given(q=queues())
def test_all_ranges_at_once_equal_each_range_alone(q: Queue) -> None:
    """One batch for every waiting ticket gives what a dry run per ticket gives."""
    together = wait_ranges(q.venue, q.state, q.now)
    alone = {t.id: wait_range(q.venue, q.state, t, q.now) for t in q.state.waiting()}
    assert together == alone


@settings(max_examples=100, deadline=None)
@given(q=queues())
def test_every_tile_at_once_equals_each_tile_alone(q: Queue) -> None:
    """The kiosk's batch of newcomers' ranges gives what one newcomer at a time gives."""
    together = new_ticket_waits(q.venue, q.state, q.now)
    alone = {s: new_ticket_wait(q.venue, q.state, s, q.now) for s in q.venue.services}
    assert together == alone


@settings(max_examples=200, deadline=None)
@given(q=queues(), calls=st.lists(COUNTER_IDS, min_size=1, max_size=40))
def test_the_dry_run_calls_as_call_next_does(q: Queue, calls: list[str]) -> None:
    """The dry run picks what `decide.next_ticket` would, call after call, whichever
    counters call and whatever the priority ratio and its scope."""
    for counter in q.venue.counters:
        with contextlib.suppress(DomainError):  # free every counter and open it
            q(cmd.Done(counter=counter))
        with contextlib.suppress(DomainError):
            q(cmd.OpenCounter(counter=counter, officer="o"))
    counters = list(q.venue.counters.values())
    lanes = estimate._Lanes(q.venue, q.state, estimate._Waiting(q.state.waiting()), counters)
    for counter in calls:
        expected = next_ticket(q.venue, q.state, counter)
        picked = lanes.pick(q.venue.counters[counter])
        assert (picked and picked.id) == (expected and expected.id)
        if expected is not None:
            q(cmd.CallNext(counter=counter))
            q(cmd.Done(counter=counter))


def test_under_a_lane_ratio_tickets_sent_to_a_counter_are_called_as_call_next_does() -> None:
    """Two priority tickets sent to counter 2, of two services, and only KTP's lane due:
    the dry run and call next agree on what counter 2 calls."""
    q = Queue(small_venue(priority_scope="lane", priority_ratio=2))
    q.open("1", "2")
    q.issue("ktp", priority=True)
    q(cmd.CallNext(counter="1"))
    q(cmd.Transfer(counter="1", service="kk", to_counter="2"))
    q.issue("ktp", priority=True)
    q(cmd.CallNext(counter="1"))
    q(cmd.Transfer(counter="1", to_counter="2"))
    for _ in range(2):
        q.issue("ktp")
        q(cmd.CallNext(counter="1"))
        q(cmd.Done(counter="1"))
    q.issue("ktp")
    expected = next_ticket(q.venue, q.state, "2")
    waiting = estimate._Waiting(q.state.waiting())
    lanes = estimate._Lanes(q.venue, q.state, waiting, [q.venue.counters["2"]])
    picked = lanes.pick(q.venue.counters["2"])
    assert expected is not None and picked is not None and picked.id == expected.id


def sent_to(q: Queue, counter: str, *, via: str = "1") -> Ticket:
    """Call the lane's next ticket at `via` and transfer it to one `counter`'s own queue."""
    q(cmd.CallNext(counter=via))
    ticket = q.state.counter(via).ticket
    assert ticket is not None
    q(cmd.Transfer(counter=via, to_counter=counter))
    return q.state.tickets[ticket]


class TestClosedCounters:
    """Before the counters open, every estimate comes from a bounded number of dry runs."""

    def test_wait_ranges_does_not_run_once_per_ticket(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        q = Queue(venue_with(10))
        q.crowd(30)
        q.crowd(20, "kk")
        q.crowd(10, "sim")
        runs = 0
        original = estimate._DryRun.__init__

        def counted(self: estimate._DryRun, *args: Any, **kwargs: Any) -> None:
            nonlocal runs
            runs += 1
            original(self, *args, **kwargs)

        monkeypatch.setattr(estimate._DryRun, "__init__", counted)
        together = wait_ranges(q.venue, q.state, q.now)
        assert len(together) == 60
        assert runs <= 2

    def test_a_closed_lane_is_estimated_as_if_its_counters_were_about_to_open(self) -> None:
        q = Queue(venue_with(10))
        tickets = q.crowd(6)
        together = wait_ranges(q.venue, q.state, q.now)
        assert [together[t.id] for t in tickets] == [q.wait(t) for t in tickets]
        assert together[tickets[-1].id].low > 0


class TestSentToOneCounter:
    """A ticket transferred to one counter waits in that counter's own queue."""

    def test_the_lane_does_not_count_tickets_sent_to_a_counter(self) -> None:
        q = Queue(venue_with(10))
        q.open("1")
        q.crowd(6)
        for _ in range(3):
            sent_to(q, "2")
        newcomer = new_ticket_wait(q.venue, q.state, "ktp", q.now)
        assert newcomer is not None and newcomer.ahead == 3
        together = wait_ranges(q.venue, q.state, q.now)
        lane = sorted((t for t in q.state.waiting() if t.to_counter is None), key=lambda t: t.order)
        assert [together[t.id].ahead for t in lane] == [0, 1, 2]

    def test_a_ticket_sent_to_a_counter_counts_only_that_counters_queue(self) -> None:
        q = Queue(venue_with(10))
        q.open("1")
        q.crowd(8)
        sent = [sent_to(q, "2") for _ in range(3)]
        assert [ahead_of(q.venue, q.state, t) for t in sent] == [0, 1, 2]
        together = wait_ranges(q.venue, q.state, q.now)
        assert [together[t.id].ahead for t in sent] == [0, 1, 2]

    def test_a_ticket_sent_to_a_closed_counter_waits_for_it(self) -> None:
        q = Queue(venue_with(10))
        q.open("1")
        q.crowd(4)
        sent = sent_to(q, "2")
        together = wait_ranges(q.venue, q.state, q.now)
        assert together[sent.id] == q.wait(sent)


class TestPriorityFirst:
    """`priority_ratio = 0`: every waiting priority ticket goes before any regular one."""

    def test_a_regular_ticket_has_every_priority_ticket_ahead(self) -> None:
        q = Queue(venue_with(10, priority_ratio=0))
        q.open("1")
        regular = q.crowd(3)
        priority = [q.issue(priority=True) for _ in range(2)]
        assert ahead_of(q.venue, q.state, regular[0]) == 2
        assert ahead_of(q.venue, q.state, regular[2]) == 4
        assert [ahead_of(q.venue, q.state, t) for t in priority] == [0, 1]
        newcomer = new_ticket_wait(q.venue, q.state, "ktp", q.now)
        assert newcomer is not None and newcomer.ahead == 5

    def test_priority_tickets_are_called_first_in_the_dry_run(self) -> None:
        q = Queue(venue_with(10, priority_ratio=0))
        q.open("1")
        regular = q.crowd(3)
        priority = [q.issue(priority=True) for _ in range(2)]
        assert q.minutes(priority[1]) < q.minutes(regular[0])
        together = wait_ranges(q.venue, q.state, q.now)
        assert together == {t.id: q.wait(t) for t in [*regular, *priority]}
        assert [together[t.id].ahead for t in regular] == [2, 3, 4]


class TestRemovedService:
    """A service taken out of the venue file mid-day: its tickets get no estimate."""

    def test_its_tickets_get_no_estimate_and_the_others_still_do(self) -> None:
        q = Queue(venue_with(10))
        q.open("1", "4")
        kept = q.crowd(3)
        removed = q.crowd(2, "kk")
        services = {s: v for s, v in q.venue.services.items() if s != "kk"}
        counters = {
            cid: msgspec.structs.replace(c, services=tuple(s for s in c.services if s != "kk"))
            for cid, c in q.venue.counters.items()
        }
        q.venue = msgspec.structs.replace(q.venue, services=services, counters=counters)
        together = wait_ranges(q.venue, q.state, q.now)
        assert set(together) == {t.id for t in kept}
        assert together == {t.id: q.wait(t) for t in kept}
        assert [wait_range(q.venue, q.state, t, q.now) for t in removed] == [None, None]
        assert new_ticket_wait(q.venue, q.state, "kk", q.now) is None
        assert "kk" not in new_ticket_waits(q.venue, q.state, q.now)

    def test_sent_to_a_counter_it_still_waits_there(self) -> None:
        q = Queue(venue_with(10))
        q.open("2")
        q.crowd(2, "kk")
        sent = sent_to(q, "1", via="2")
        services = {s: v for s, v in q.venue.services.items() if s != "kk"}
        q.venue = msgspec.structs.replace(q.venue, services=services)
        shown = q.wait(sent)
        assert shown is not None and shown.ahead == 0
        assert wait_ranges(q.venue, q.state, q.now)[sent.id] == shown


class TestOldLearnedTimes:
    """Zero or negative service times from an old log are ignored, never a crash."""

    @pytest.mark.parametrize("bad", [-5.0, 0.0, float("nan"), float("inf")])
    def test_impossible_durations_are_left_out(self, bad: float) -> None:
        q, clean = Queue(venue_with(10)), Queue(venue_with(10))
        for queue in (q, clean):
            queue.open("1")
            queue.crowd(6)
        q.state.durations["ktp"] = (bad, 12.0, bad, 14.0)
        clean.state.durations["ktp"] = (12.0, 14.0)
        tickets = list(q.state.waiting())
        assert [q.wait(t) for t in tickets] == [clean.wait(t) for t in clean.state.waiting()]
        assert wait_ranges(q.venue, q.state, q.now) == {t.id: q.wait(t) for t in tickets}

    def test_only_impossible_durations_fall_back_to_typical(self) -> None:
        q = Queue(venue_with(10))
        q.state.durations["ktp"] = (-3.0,) * 10
        assert service_minutes(q.venue, q.state, "ktp") == pytest.approx(10.0)
