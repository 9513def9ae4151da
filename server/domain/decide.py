"""`decide(venue, state, command, now) -> events`: the rules of the queue, and nothing else.

Pure: no clock (time is `now`, timezone-aware), no I/O, and the state is only read. A
refusal raises `DomainError` and decides nothing. The first command of a new venue-local
day first closes yesterday's open tickets (`TicketExpired`) and starts the day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter as Occurrences
from collections.abc import Callable
from functools import singledispatch
from typing import Any, TypeVar

import msgspec

from server.domain import commands as cmd
from server.domain import complaints, ikm
from server.domain import events as ev
from server.domain.codes import canonical_code
from server.domain.errors import DomainError
from server.domain.estimate import day_full
from server.domain.refusals import refusal
from server.domain.state import FINISHED, Booking, State, Surveyable, Ticket, evolve
from server.domain.venue import Counter, Service, Venue

MAX_RUNNING_TEXT = 500
MAX_NOTICE = 200
MAX_REQUEST = 300
# Services a visit may go on to after the first (the kiosk offers as many).
MAX_ITINERARY = 5
# Refusals of a ticket request that reports count as visitors turned away.
TURN_AWAY_CODES = frozenset({"quota_full", "channel_quota_full", "day_full", "issue_closed"})
# A clock may step back a little (an NTP correction, hosts a little apart behind one log):
# the log's time then stands still until the clock catches up, so no duration is negative.
# Further back is a broken clock that someone must fix, not a moment to stamp events with.
CLOCK_STEP_BACK = dt.timedelta(minutes=10)
# What an officer types for a ticket: "A-007", "a7", "A 007". Prefixes are short.
# A ticket id is its day and its label ("20261124-A-007").
_ID_DAY = re.compile(r"^\s*[0-9]{8}-")
MAX_REF_SHOWN = 20  # characters of an unknown ticket reference said back to the visitor
_LABEL = re.compile(r"\s*([A-Za-z]{1,8})\s*-?\s*0*([0-9]{1,6})\s*")


def decide(venue: Venue, state: State, command: cmd.Command, now: dt.datetime) -> list[ev.Event]:
    """The events `command` causes at `now`, or a `DomainError`."""
    at = _log_time(venue, state, now)
    day = at.date()
    rollover = _rollover(state, day, at) if state.day != day else []
    if rollover:
        state = state.copy()
        for event in rollover:
            evolve(state, event)
    return rollover + _decide(command, _Ctx(venue, state, at))


def _log_time(venue: Venue, state: State, now: dt.datetime) -> dt.datetime:
    """`now` on the venue's clock, or the latest event's time when the clock stepped back
    a little behind it."""
    last = state.last_at
    if last is None or now >= last:
        return venue.local(now)
    if last - now > CLOCK_STEP_BACK:
        shown, current = venue.local(now), venue.local(last)
        raise DomainError(
            "clock_behind", time=f"{shown:%d-%m-%Y %H.%M}", current=f"{current:%d-%m-%Y %H.%M}"
        )
    return venue.local(last)


class _Ctx:
    """What every rule reads: the venue, the state and the venue-local time."""

    __slots__ = ("at", "state", "venue")

    def __init__(self, venue: Venue, state: State, at: dt.datetime) -> None:
        self.venue, self.state, self.at = venue, state, at

    def service(self, service_id: str) -> Service:
        found = self.venue.services.get(service_id)
        if found is None:
            raise DomainError("unknown_service", service=service_id)
        return found

    def counter(self, counter_id: str) -> Counter:
        found = self.venue.counters.get(counter_id)
        if found is None:
            raise DomainError("unknown_counter", counter=counter_id)
        return found

    def ticket(self, ticket_id: str) -> Ticket:
        found = find_ticket(self.state, ticket_id)
        if found is None:
            raise DomainError("unknown_ticket", ticket=ticket_id)
        return found

    def desk(self, counter_id: str, action: str) -> Counter:
        """The counter, once the checks of `action` on the counter itself pass (the same
        checks the counter view names beside each button)."""
        counter = self.counter(counter_id)
        error = refusal(self.venue, self.state, counter, action)
        if error is not None:
            raise error
        return counter

    def in_hand(self, counter: Counter) -> Ticket:
        """The ticket `counter` handles (after `desk` checked that it has one)."""
        ticket_id = self.state.counter(counter.id).ticket
        if ticket_id is None:
            raise DomainError("counter_idle", counter=counter.label)
        return self.state.tickets[ticket_id]


def find_ticket(state: State, ref: str) -> Ticket | None:
    """Today's ticket by id, or by the label an officer types ("A-007", "a7")."""
    found = state.tickets.get(ref)
    if found is None:
        # Officers type labels; tickets are keyed by day + label.
        wanted = _normal_label(ref)
        found = next((t for t in state.tickets.values() if t.label == wanted), None)
    return found


def _normal_label(text: str) -> str:
    match = _LABEL.fullmatch(text)
    if match is None:
        return text
    letters, digits = match.groups()
    return f"{letters.upper()}-{int(digits):03d}"


def _rollover(state: State, day: dt.date, at: dt.datetime) -> list[ev.Event]:
    expired: list[ev.Event] = [
        ev.TicketExpired(at=at, ticket=t.id)
        for t in state.tickets.values()
        if t.status not in FINISHED
    ]
    return [*expired, ev.DayStarted(at=at, day=day)]


E = TypeVar("E", bound=ev.AtCounter)


def _at_counter(kind: type[E], ctx: _Ctx, ticket: Ticket, command: cmd.CounterCommand) -> E:
    return kind(at=ctx.at, ticket=ticket.id, counter=command.counter, officer=command.officer)


@singledispatch
def _decide(command: Any, ctx: _Ctx) -> list[ev.Event]:
    raise TypeError(f"no rule for command {type(command).__name__}")


Rule = Callable[[Any, _Ctx], list[ev.Event]]


def _rule(fn: Rule) -> Rule:
    return _decide.register(fn)


@_rule
def _roll_day(command: cmd.RollDay, ctx: _Ctx) -> list[ev.Event]:
    return []


@_rule
def _running_text(command: cmd.SetRunningText, ctx: _Ctx) -> list[ev.Event]:
    text = " ".join(command.text.split())
    if len(text) > MAX_RUNNING_TEXT:
        raise DomainError("running_text_too_long", limit=MAX_RUNNING_TEXT)
    return [ev.RunningTextSet(at=ctx.at, text=text, by=command.by)]


# --- issuing ------------------------------------------------------------------------------


@_rule
def _issue(command: cmd.IssueTicket, ctx: _Ctx) -> list[ev.Event]:
    service = ctx.service(command.service)
    if len(command.itinerary) > MAX_ITINERARY:
        raise DomainError("itinerary_too_long", limit=MAX_ITINERARY)
    later = [ctx.service(s) for s in command.itinerary]
    if command.priority and not service.priority_lane:
        raise DomainError("no_priority_lane", service=service.name)
    if command.priority and command.channel == "kiosk" and not command.confirmed_by:
        raise DomainError("priority_unconfirmed")
    _check_hours(ctx, service, command.channel)
    _check_quota(ctx, service, command.channel)
    # Every later step holds its place in its service's quota from now on, so the visit
    # is never stopped halfway; one that cannot be held refuses the whole visit now.
    steps = Occurrences(s.id for s in later)
    for step in {s.id: s for s in later}.values():
        _check_issue_time(ctx, step)
        places = steps[step.id] + (step.id == service.id)
        _check_quota(ctx, step, "itinerary", places=places)
    issued = _issued(
        ctx, service, command.visit, command.channel, command.priority, command.itinerary
    )
    return [msgspec.structs.replace(issued, confirmed_by=command.confirmed_by)]


def _issued(
    ctx: _Ctx,
    service: Service,
    visit: str,
    channel: ev.Channel,
    priority: bool,
    itinerary: tuple[str, ...],
) -> ev.TicketIssued:
    number = ctx.state.numbers.get(service.id, 0) + 1
    label = f"{service.prefix}-{number:03d}"
    ticket_id = f"{ctx.at.date():%Y%m%d}-{label}"
    return ev.TicketIssued(
        at=ctx.at,
        ticket=ticket_id,
        visit=visit,
        service=service.id,
        number=number,
        label=label,
        channel=channel,
        priority=priority,
        itinerary=itinerary,
    )


def _check_hours(ctx: _Ctx, service: Service, channel: ev.Channel) -> None:
    reason = ctx.venue.closed_reason(ctx.at)
    if reason is not None:
        _refuse_closed(ctx, reason)
    _check_issue_time(ctx, service)


def _refuse_closed(ctx: _Ctx, reason: str) -> None:
    raise DomainError("venue_closed", venue=ctx.venue.name, reason=reason)


def _check_issue_time(ctx: _Ctx, service: Service) -> None:
    if service.last_issue is not None and ctx.at.time() >= service.last_issue:
        raise DomainError("issue_closed", service=service.name, time=f"{service.last_issue:%H.%M}")


def quota_used(venue: Venue, state: State, service_id: str, day: dt.date, at: dt.datetime) -> int:
    """Places of `service_id`'s daily quota on `day` that are taken or held at `at`:
    today's tickets, bookings not checked in yet, and later steps of today's open visits.

    A booking holds its place until its check-in window closes; under `late_policy =
    "join"` a late visitor may still come, so it holds it all day."""
    slots = state.tallies.held.get((service_id, day), {})
    if day == at.date() and venue.booking.late_policy == "refuse":
        held = sum(n for slot, n in slots.items() if venue.check_in_window(day, slot)[1] >= at)
    else:
        held = sum(slots.values())
    if day != state.day:
        return held
    steps = state.tallies.steps.get(service_id, 0)
    return state.numbers.get(service_id, 0) + held + steps


def _check_quota(
    ctx: _Ctx, service: Service, channel: ev.Channel, *, places: int = 1, held: int = 0
) -> None:
    """Refuse unless `places` more fit in the quotas; `held` of them were held already."""
    used = quota_used(ctx.venue, ctx.state, service.id, ctx.at.date(), ctx.at)
    if used - held + places > service.daily_quota:
        raise DomainError("quota_full", service=service.name)
    if held:
        return  # a booking's place, online share and time were all held when it was made
    channel_quota = {"kiosk": service.kiosk_quota, "online": service.online_quota}.get(channel)
    by_channel = ctx.state.issued.get((service.id, channel), 0)
    if channel == "online":
        by_channel = max(by_channel, _booked(ctx.state, service.id, ctx.at.date()))
    if channel_quota is not None and by_channel >= channel_quota:
        raise DomainError("channel_quota_full", service=service.name, channel=channel)
    # The cutoff counts the places held for later too, and all but one of those asked for.
    reserved = used - ctx.state.numbers.get(service.id, 0) + places - 1
    if day_full(ctx.venue, ctx.state, service, ctx.at, reserved=reserved):
        raise DomainError("day_full", service=service.name)


def _booked(state: State, service_id: str, day: dt.date) -> int:
    return state.tallies.booked.get((service_id, day), 0)


@_rule
def _turn_away(command: cmd.RecordTurnAway, ctx: _Ctx) -> list[ev.Event]:
    service = ctx.service(command.service)
    return [
        ev.TurnedAway(at=ctx.at, service=service.id, channel=command.channel, reason=command.reason)
    ]


# --- the satisfaction survey ----------------------------------------------------------------


def find_survey(state: State, ref: str) -> Surveyable | None:
    """A served ticket still open for a survey, by id or by the label on its slip (today's
    before the previous service day's, as labels restart every day)."""
    found = state.surveys.get(ref)
    if found is None:
        wanted = _normal_label(ref)
        matches = [s for s in state.surveys.values() if s.label == wanted]
        found = max(matches, key=lambda s: s.day, default=None)
    return found


def open_survey(venue: Venue, state: State, ref: str) -> Surveyable:
    """The served ticket `ref` (an id, or the label on a slip) still waiting for its one
    response; else why not: not served yet, answered, closed, or no ticket of this venue."""
    served = find_survey(state, ref)
    if served is None:
        ticket = find_ticket(state, ref)
        if ticket is not None and ticket.status != "done":
            raise DomainError("survey_not_served", ticket=ticket.label)
        label = _normal_label(_ID_DAY.sub("", ref, count=1))
        if ticket is None and not _is_label_of(venue, label):
            # Not even a number this venue hands out: a typo, not a survey that closed.
            raise DomainError("survey_unknown", ticket=ref.strip()[:MAX_REF_SHOWN])
        raise DomainError("survey_closed", ticket=label)
    if served.answered:
        raise DomainError("survey_answered", ticket=served.label)
    return served


def _is_label_of(venue: Venue, label: str) -> bool:
    prefix, dash, number = label.partition("-")
    return (
        bool(dash) and number.isdigit() and any(s.prefix == prefix for s in venue.services.values())
    )


def _survey_fields(
    answers: dict[str, int], comment: str, respondent: cmd.Respondent
) -> dict[str, Any]:
    """The checked answers, comment and profile of a response, as event fields."""
    if ikm.answers_problem(answers) is not None:
        raise DomainError("survey_invalid", field="answers")
    profile = msgspec.structs.asdict(respondent)
    for field, value in profile.items():
        if value and value not in ikm.PROFILE[field]:
            raise DomainError("survey_invalid", field=field)
    text = " ".join(comment.split())
    if len(text) > ikm.MAX_COMMENT:
        raise DomainError("survey_invalid", field="comment")
    return {"answers": dict(answers), "comment": text, **profile}


@_rule
def _answer_survey(command: cmd.AnswerSurvey, ctx: _Ctx) -> list[ev.Event]:
    fields = _survey_fields(command.answers, command.comment, command.respondent)
    if command.channel == "import":
        raise DomainError("survey_invalid", field="channel")
    if not command.ticket:
        # Anonymous, at the survey tablet: about a service the visitor names.
        if command.channel != "tablet":
            raise DomainError("survey_not_served", ticket="")
        service = ctx.service(command.service)
        return [
            ev.SurveyAnswered(
                at=ctx.at,
                service=service.id,
                tenant=service.tenant,
                day=ctx.at.date(),
                channel="tablet",
                **fields,
            )
        ]
    served = open_survey(ctx.venue, ctx.state, command.ticket)
    return [
        ev.SurveyAnswered(
            at=ctx.at,
            service=served.service,
            tenant=ctx.venue.service(served.service).tenant,
            day=served.day,
            channel=command.channel,
            ticket=served.ticket,
            counter=served.counter,
            **fields,
        )
    ]


@_rule
def _import_surveys(command: cmd.ImportSurveys, ctx: _Ctx) -> list[ev.Event]:
    events: list[ev.Event] = []
    seen: set[str] = set()
    for row in command.rows:
        if not row.source or row.source in ctx.state.surveyed or row.source in seen:
            continue
        seen.add(row.source)
        service = ctx.service(row.service)
        if row.day > ctx.at.date():
            raise DomainError("survey_invalid", field="date")
        events.append(
            ev.SurveyAnswered(
                at=ctx.at,
                service=service.id,
                tenant=service.tenant,
                day=row.day,
                channel="import",
                source=row.source,
                **_survey_fields(row.answers, row.comment, row.respondent),
            )
        )
    return events


# --- complaints and aspirations -----------------------------------------------------------


@_rule
def _file_complaint(command: cmd.FileComplaint, ctx: _Ctx) -> list[ev.Event]:
    if not command.complaint or canonical_code(command.complaint) != command.complaint:
        raise DomainError("complaint_invalid", field="complaint")
    if command.complaint in ctx.state.complaints:
        raise DomainError("complaint_exists", complaint=command.complaint)
    if command.kind not in complaints.KINDS:
        raise DomainError("complaint_invalid", field="kind")
    if command.tenant and command.tenant not in ctx.venue.tenants:
        raise DomainError("unknown_tenant", tenant=command.tenant)
    if command.anonymous and (command.contact_masked or command.contact_sealed):
        raise DomainError("complaint_invalid", field="contact")
    text = complaints.tidy(command.text)
    if not complaints.text_fits(text):
        raise DomainError(
            "complaint_text_length", low=complaints.MIN_TEXT, high=complaints.MAX_TEXT
        )
    return [
        ev.ComplaintFiled(
            at=ctx.at,
            complaint=command.complaint,
            kind=command.kind,
            tenant=command.tenant,
            text=text,
            contact_masked=command.contact_masked,
            contact_sealed=command.contact_sealed,
            photo=command.photo,
            anonymous=command.anonymous,
            confidential=command.confidential,
        )
    ]


@_rule
def _advance_complaint(command: cmd.AdvanceComplaint, ctx: _Ctx) -> list[ev.Event]:
    complaint = ctx.state.complaints.get(canonical_code(command.complaint))
    if complaint is None:
        raise DomainError("unknown_complaint", complaint=command.complaint)
    allowed_from = complaints.STEPS.get(command.status, frozenset())
    if complaint.status not in allowed_from:
        raise DomainError(
            "complaint_step_invalid",
            complaint=complaint.code,
            status=complaint.status,
            to=command.status,
        )
    tenant = command.tenant or ""
    if command.status == "diteruskan":
        tenant = tenant or complaint.tenant
        if not tenant:
            raise DomainError("complaint_invalid", field="tenant")
        if tenant not in ctx.venue.tenants:
            raise DomainError("unknown_tenant", tenant=tenant)
    elif tenant:
        raise DomainError("complaint_invalid", field="tenant")
    note = complaints.tidy(command.note)
    if command.status in ("ditolak", "ditindaklanjuti", "selesai") and not note:
        raise DomainError("complaint_note_missing", complaint=complaint.code)
    if len(note) > complaints.MAX_NOTE:
        raise DomainError("complaint_invalid", field="note")
    return [
        ev.ComplaintStepped(
            at=ctx.at,
            complaint=complaint.code,
            status=command.status,
            by=command.by,
            note=note,
            tenant=tenant,
        )
    ]


@_rule
def _request_service(command: cmd.RequestService, ctx: _Ctx) -> list[ev.Event]:
    if command.tenant and command.tenant not in ctx.venue.tenants:
        raise DomainError("unknown_tenant", tenant=command.tenant)
    text = " ".join(command.text.split())
    if not 3 <= len(text) <= MAX_REQUEST:
        raise DomainError("request_text_invalid", limit=MAX_REQUEST)
    return [
        ev.ServiceRequested(at=ctx.at, tenant=command.tenant, text=text, channel=command.channel)
    ]


# --- booking ------------------------------------------------------------------------------


def booking_slots(venue: Venue, service: Service, day: dt.date) -> list[dt.time]:
    """The slots a service can be booked in on `day`: the opening hours cut into
    `slot_minutes`, leaving out breaks and anything from the last-issue time on."""
    hours = venue.hours_on(day)
    if hours is None:
        return []
    step = dt.timedelta(minutes=venue.booking.slot_minutes)
    moment = dt.datetime.combine(day, hours.open)
    end = dt.datetime.combine(day, service.last_issue or hours.close)
    end = min(end, dt.datetime.combine(day, hours.close))
    slots: list[dt.time] = []
    while moment + step <= end or (moment < end and not slots):
        clock = moment.time()
        if not any(b.start <= clock < b.end for b in venue.breaks_on(day)):
            slots.append(clock)
        moment += step
    return slots


def slot_taken(state: State, service_id: str, day: dt.date, slot: dt.time) -> int:
    return sum(
        1
        for b in state.bookings.values()
        if (b.service, b.day, b.slot) == (service_id, day, slot) and b.status != "cancelled"
    )


@_rule
def _book(command: cmd.BookVisit, ctx: _Ctx) -> list[ev.Event]:
    policy = ctx.venue.booking
    service = ctx.service(command.service)
    today = ctx.at.date()
    if not policy.enabled:
        raise DomainError("booking_disabled")
    if not today <= command.day <= today + dt.timedelta(days=policy.days_ahead):
        raise DomainError("booking_day_invalid", days=policy.days_ahead)
    slots = booking_slots(ctx.venue, service, command.day)
    if command.slot not in slots:
        raise DomainError("booking_slot_invalid", service=service.name)
    start = dt.datetime.combine(command.day, command.slot, ctx.venue.tz)
    if start + dt.timedelta(minutes=policy.slot_minutes) <= ctx.at:
        raise DomainError("booking_slot_past")
    _check_holder(ctx.state, command, service)
    if slot_taken(ctx.state, service.id, command.day, command.slot) >= policy.per_slot:
        raise DomainError("booking_slot_full", time=f"{command.slot:%H.%M}")
    if service.online_quota is not None and (
        _booked(ctx.state, service.id, command.day) >= service.online_quota
    ):
        raise DomainError("channel_quota_full", service=service.name, channel="online")
    # The booking holds its place in the day's quota now, as a visitor expects of it.
    used = quota_used(ctx.venue, ctx.state, service.id, command.day, ctx.at)
    if used >= service.daily_quota:
        raise DomainError("quota_full", service=service.name)
    # And, for today, its time in what is left of the day, as a walk-in's would.
    held = used - ctx.state.numbers.get(service.id, 0)
    if command.day == today and day_full(ctx.venue, ctx.state, service, ctx.at, reserved=held):
        raise DomainError("day_full", service=service.name)
    return [
        ev.BookingMade(
            at=ctx.at,
            booking=command.booking,
            visit=command.visit,
            service=service.id,
            day=command.day,
            slot=command.slot,
            holder=command.holder,
            holder_masked=command.holder_masked,
        )
    ]


def _check_holder(state: State, command: cmd.BookVisit, service: Service) -> None:
    if not command.booking or not command.visit or not command.holder:
        raise DomainError("booking_incomplete")
    if command.booking in state.bookings:
        raise DomainError("booking_exists", booking=command.booking)
    for b in state.bookings.values():
        same = (b.holder, b.service, b.day) == (command.holder, service.id, command.day)
        if same and b.status != "cancelled":
            # Named in general terms: the refusal must not confirm who booked what.
            raise DomainError("booking_taken")


def _booking(ctx: _Ctx, code: str) -> Booking:
    found = ctx.state.bookings.get(canonical_code(code))
    if found is None:
        raise DomainError("unknown_booking", booking=code)
    if found.status == "cancelled":
        raise DomainError("booking_cancelled", booking=found.id)
    if found.status == "checked_in":
        raise DomainError("booking_used", booking=found.id)
    return found


@_rule
def _check_in(command: cmd.CheckIn, ctx: _Ctx) -> list[ev.Event]:
    booking = _booking(ctx, command.booking)
    policy = ctx.venue.booking
    if booking.day != ctx.at.date():
        raise DomainError("booking_other_day", day=f"{booking.day:%d-%m-%Y}")
    opens, closes = ctx.venue.check_in_window(booking.day, booking.slot)
    if ctx.at < opens:
        raise DomainError("check_in_early", time=f"{opens:%H.%M}")
    late = ctx.at > closes
    if late and policy.late_policy == "refuse":
        raise DomainError("check_in_late", time=f"{closes:%H.%M}")
    service = ctx.service(booking.service)
    if late:
        _check_hours(ctx, service, "online")  # past its window it joins as a walk-in would
    else:
        _check_window(ctx)
    _check_quota(ctx, service, "online", held=1)
    issued = _issued(ctx, service, booking.visit, "online", False, ())
    return [msgspec.structs.replace(issued, booking=booking.id)]


def _check_window(ctx: _Ctx) -> None:
    """Inside its own check-in window a booking may join early (before opening, during a
    break) and after the last-issue time: its place was held when it was booked. Only a
    venue that is not serving at all any more refuses it."""
    reason = ctx.venue.closed_reason(ctx.at)
    if reason in ("holiday", "closed_day", "after_close"):
        _refuse_closed(ctx, reason)


@_rule
def _cancel_booking(command: cmd.CancelBooking, ctx: _Ctx) -> list[ev.Event]:
    booking = _booking(ctx, command.booking)
    return [ev.BookingCancelled(at=ctx.at, booking=booking.id, by=command.by)]


# --- managers -----------------------------------------------------------------------------


@_rule
def _acknowledge(command: cmd.AcknowledgeAlert, ctx: _Ctx) -> list[ev.Event]:
    if not command.alert or len(command.alert) > 200:
        raise DomainError("alert_invalid")
    known = ctx.state.acknowledged.get(command.alert)
    if known is not None:
        raise DomainError("alert_acknowledged", by=known.by, time=f"{known.at:%H.%M}")
    return [ev.AlertAcknowledged(at=ctx.at, alert=command.alert, by=command.by)]


@_rule
def _tenant_notice(command: cmd.SetTenantNotice, ctx: _Ctx) -> list[ev.Event]:
    if command.tenant not in ctx.venue.tenants:
        raise DomainError("unknown_tenant", tenant=command.tenant)
    text = " ".join(command.text.split())
    if len(text) > MAX_NOTICE:
        raise DomainError("notice_too_long", limit=MAX_NOTICE)
    return [ev.TenantNoticeSet(at=ctx.at, tenant=command.tenant, text=text, by=command.by)]


# --- calling ------------------------------------------------------------------------------


@_rule
def _call_next(command: cmd.CallNext, ctx: _Ctx) -> list[ev.Event]:
    counter = ctx.desk(command.counter, "call_next")
    ticket = next_ticket(ctx.venue, ctx.state, counter.id)
    if ticket is None:
        raise DomainError("nobody_waiting", counter=counter.label)
    return [_at_counter(ev.TicketCalled, ctx, ticket, command)]


def callable_at(counter: Counter, ticket: Ticket) -> bool:
    """Whether `counter` may call `ticket` (its lane, or transferred to this very counter)."""
    if ticket.to_counter is not None:
        return ticket.to_counter == counter.id
    return ticket.service in counter.services


def next_ticket(venue: Venue, state: State, counter_id: str) -> Ticket | None:
    """The ticket *call next* would call at this counter, honouring the priority ratio."""
    counter = venue.counters[counter_id]
    regular: Ticket | None = None
    priority: Ticket | None = None
    for ticket in state.waiting():
        if not callable_at(counter, ticket):
            continue
        if ticket.priority:
            if priority is None or ticket.order < priority.order:
                priority = ticket
        elif regular is None or ticket.order < regular.order:
            regular = ticket
    if priority is None or regular is None:
        return priority or regular
    return priority if _due(venue, state, counter, priority) else regular


def _due(venue: Venue, state: State, counter: Counter, ticket: Ticket) -> bool:
    """Whether the oldest priority ticket's turn has come: `priority_ratio` regular calls
    since the last priority one, counted at this counter or in its lane (`priority_scope`).
    Always the oldest, under both scopes: a newcomer's wait then depends on its own lane
    only, so every kiosk tile comes from one dry run."""
    if venue.priority_scope == "lane":
        since = state.lane_since.get(ticket.service, 0)
    else:
        since = state.counter(counter.id).since_priority
    return since >= venue.priority_ratio


@_rule
def _call_specific(command: cmd.CallSpecific, ctx: _Ctx) -> list[ev.Event]:
    counter = ctx.desk(command.counter, "call_specific")
    ticket = ctx.ticket(command.ticket)
    if ticket.status != "waiting":
        raise DomainError("ticket_not_waiting", label=ticket.label, status=ticket.status)
    if not callable_at(counter, ticket):
        raise DomainError("not_served_here", counter=counter.label, label=ticket.label)
    return [
        ev.TicketCalled(
            at=ctx.at,
            ticket=ticket.id,
            counter=counter.id,
            officer=command.officer,
            specific=True,
            reason=command.reason,
        )
    ]


@_rule
def _recall(command: cmd.Recall, ctx: _Ctx) -> list[ev.Event]:
    ticket = ctx.in_hand(ctx.desk(command.counter, "recall"))
    return [_at_counter(ev.TicketRecalled, ctx, ticket, command)]


@_rule
def _no_show(command: cmd.NoShow, ctx: _Ctx) -> list[ev.Event]:
    ticket = ctx.in_hand(ctx.desk(command.counter, "no_show"))
    return [_at_counter(ev.TicketNoShow, ctx, ticket, command)]


@_rule
def _return(command: cmd.ReturnTicket, ctx: _Ctx) -> list[ev.Event]:
    ticket = ctx.ticket(command.ticket)
    if ticket.status != "no_show":
        raise DomainError("ticket_not_no_show", label=ticket.label, status=ticket.status)
    front = ctx.venue.return_policy == "front"
    return [ev.TicketReturned(at=ctx.at, ticket=ticket.id, officer=command.officer, front=front)]


# --- serving ------------------------------------------------------------------------------


@_rule
def _start(command: cmd.StartServing, ctx: _Ctx) -> list[ev.Event]:
    ticket = ctx.in_hand(ctx.desk(command.counter, "start_serving"))
    return [_at_counter(ev.ServingStarted, ctx, ticket, command)]


@_rule
def _done(command: cmd.Done, ctx: _Ctx) -> list[ev.Event]:
    ticket = ctx.in_hand(ctx.desk(command.counter, "done"))
    # Done without Start: no start is invented (it would be a zero-minute service).
    events: list[ev.Event] = [_at_counter(ev.TicketDone, ctx, ticket, command)]
    # A service removed from the venue file since the visit began is skipped, not joined.
    steps = [s for s in ticket.itinerary if s in ctx.venue.services]
    if steps:
        # The visit goes on: the next service's lane is joined with a number of its own,
        # as priority only where that service has a priority lane.
        following = ctx.venue.services[steps[0]]
        priority = following.priority_lane and ticket.entitled
        issued = _issued(ctx, following, ticket.visit, "itinerary", priority, tuple(steps[1:]))
        # The right to priority goes on with the visit, through lanes that have none.
        events.append(msgspec.structs.replace(issued, entitled=ticket.entitled))
    return events


@_rule
def _transfer(command: cmd.Transfer, ctx: _Ctx) -> list[ev.Event]:
    ticket = ctx.in_hand(ctx.desk(command.counter, "transfer"))
    if command.service is None and command.to_counter is None:
        raise DomainError("transfer_target_missing")
    service = ctx.service(command.service or ticket.service)
    if command.to_counter is not None:
        ctx.counter(command.to_counter)
        if command.to_counter == command.counter:
            raise DomainError("transfer_to_self")
    return [
        ev.TicketTransferred(
            at=ctx.at,
            ticket=ticket.id,
            counter=command.counter,
            officer=command.officer,
            service=service.id,
            to_counter=command.to_counter,
            front=command.front,
            priority=service.priority_lane and ticket.entitled,
        )
    ]


@_rule
def _hold(command: cmd.Hold, ctx: _Ctx) -> list[ev.Event]:
    ticket = ctx.in_hand(ctx.desk(command.counter, "hold"))
    return [_at_counter(ev.TicketHeld, ctx, ticket, command)]


@_rule
def _resume(command: cmd.Resume, ctx: _Ctx) -> list[ev.Event]:
    counter = ctx.desk(command.counter, "resume")
    ticket = ctx.ticket(command.ticket)
    if ticket.status != "held" or ticket.counter != counter.id:
        raise DomainError("ticket_not_held", label=ticket.label, counter=counter.label)
    return [_at_counter(ev.TicketResumed, ctx, ticket, command)]


@_rule
def _cancel(command: cmd.CancelTicket, ctx: _Ctx) -> list[ev.Event]:
    ticket = ctx.ticket(command.ticket)
    if ticket.status in FINISHED:
        raise DomainError("ticket_finished", label=ticket.label, status=ticket.status)
    return [
        ev.TicketCancelled(
            at=ctx.at,
            ticket=ticket.id,
            by=command.by,
            officer=command.officer,
            reason=command.reason,
        )
    ]


# --- counters -----------------------------------------------------------------------------


@_rule
def _open(command: cmd.OpenCounter, ctx: _Ctx) -> list[ev.Event]:
    counter = ctx.desk(command.counter, "open_counter")
    return [ev.CounterOpened(at=ctx.at, counter=counter.id, officer=command.officer)]


@_rule
def _pause(command: cmd.PauseCounter, ctx: _Ctx) -> list[ev.Event]:
    counter = ctx.desk(command.counter, "pause_counter")
    return [ev.CounterPaused(at=ctx.at, counter=counter.id, officer=command.officer)]


@_rule
def _close(command: cmd.CloseCounter, ctx: _Ctx) -> list[ev.Event]:
    counter = ctx.desk(command.counter, "close_counter")
    return [ev.CounterClosed(at=ctx.at, counter=counter.id, officer=command.officer)]
