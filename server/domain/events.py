"""Events: the facts the log keeps. Frozen, tagged by a snake_case `type` on the wire.

Every event carries the venue-local time `at`; counter events carry the counter and the
officer. Events never change once written; the state is a fold over them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

import msgspec

from server.domain.complaints import Kind as ComplaintKind
from server.domain.complaints import Status as ComplaintStatus

Channel = Literal["kiosk", "online", "staff", "itinerary"]
# Where a survey response came from: the visitor's phone page, the venue's survey tablet, or
# a paper or online form imported later.
SurveyChannel = Literal["phone", "tablet", "import"]


def snake_tag(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _Event(msgspec.Struct, frozen=True, tag_field="type", tag=snake_tag):
    at: dt.datetime


class DayStarted(_Event, frozen=True):
    """A new venue-local day began: numbers restart at 1, counters start closed."""

    day: dt.date


class TicketExpired(_Event, frozen=True):
    """An open ticket of a past day was closed by the day rollover."""

    ticket: str


class TicketIssued(_Event, frozen=True):
    ticket: str
    visit: str
    service: str
    number: int
    label: str
    channel: Channel
    priority: bool = False
    itinerary: tuple[str, ...] = ()
    # Who confirmed a priority ticket at a kiosk (UU 25/2009 Pasal 29), for the audit.
    confirmed_by: str = ""
    # The online booking checked in with this ticket.
    booking: str = ""
    # The visitor's right to priority, carried along an itinerary through lanes without a
    # priority lane (where `priority` is false); None (older logs): the same as `priority`.
    entitled: bool | None = None


class TurnedAway(_Event, frozen=True):
    """A visitor asked for a ticket and was refused (quota, predicted end of day, hours)."""

    service: str
    channel: Channel
    reason: str


class ServiceRequested(_Event, frozen=True):
    """ "Layanan yang saya cari tidak ada": a visitor asked for a service the venue lacks."""

    tenant: str
    text: str
    channel: Channel


class SurveyAnswered(_Event, frozen=True):
    """One response to the satisfaction survey (SKM, PermenPANRB 14/2017): answers 1–4 by
    unsur key (`server.domain.ikm.KEYS`), about `day`'s service of `service`.

    A phone or tablet response names the ticket it rates (at most one response each) and
    the counter that served it; an imported one names `source`, the row's identity, so the
    same row imported again is recognised. Who answered is never recorded.
    """

    service: str
    tenant: str
    day: dt.date
    answers: dict[str, int]
    channel: SurveyChannel
    ticket: str = ""
    counter: str = ""
    source: str = ""
    comment: str = ""
    age: str = ""
    sex: str = ""
    education: str = ""
    occupation: str = ""


class ComplaintFiled(_Event, frozen=True):
    """A citizen's complaint, aspiration, missing-service request or appreciation, with its
    tracking code. The contact is kept masked for people and sealed (encrypted with the
    venue's secret) for a notification gateway, never in the clear."""

    complaint: str
    kind: ComplaintKind
    tenant: str
    text: str
    contact_masked: str = ""
    contact_sealed: str = ""
    photo: str = ""
    anonymous: bool = False
    confidential: bool = False


class ComplaintStepped(_Event, frozen=True):
    """A complaint moved on (verified, forwarded to `tenant`, followed up, closed or
    rejected), by whom, with what the citizen is told (`note`)."""

    complaint: str
    status: ComplaintStatus
    by: str
    note: str = ""
    tenant: str = ""


class BookingMade(_Event, frozen=True):
    """An online booking of a time slot. `holder` is a keyed digest of the NIK or phone."""

    booking: str
    visit: str
    service: str
    day: dt.date
    slot: dt.time
    holder: str
    holder_masked: str


class BookingCancelled(_Event, frozen=True):
    booking: str
    by: str


class AlertAcknowledged(_Event, frozen=True):
    """A manager saw an alert and answers for it."""

    alert: str
    by: str


class TenantNoticeSet(_Event, frozen=True):
    """A notice shown with a tenant's lanes ("layanan paspor tutup sementara"); "" clears."""

    tenant: str
    text: str
    by: str


class AtCounter(_Event, frozen=True):
    """An event about a ticket at a counter, by the officer signed in there."""

    ticket: str
    counter: str
    officer: str


class TicketCalled(AtCounter, frozen=True):
    specific: bool = False
    reason: str = ""


class TicketRecalled(AtCounter, frozen=True):
    pass


class TicketNoShow(AtCounter, frozen=True):
    pass


class TicketReturned(_Event, frozen=True):
    """A no-show visitor came back; the ticket waits again (front or original place)."""

    ticket: str
    officer: str
    front: bool


class ServingStarted(AtCounter, frozen=True):
    pass


class TicketDone(AtCounter, frozen=True):
    pass


class TicketTransferred(AtCounter, frozen=True):
    """The ticket leaves `counter` and waits again for `service` (or only for `to_counter`)."""

    service: str
    to_counter: str | None
    front: bool
    # Whether it waits as a priority ticket there; None (logs before this field): unchanged.
    # A lane without a priority lane takes it as a regular ticket.
    priority: bool | None = None


class TicketHeld(AtCounter, frozen=True):
    pass


class TicketResumed(AtCounter, frozen=True):
    pass


class TicketCancelled(_Event, frozen=True):
    ticket: str
    by: Literal["visitor", "officer"]
    officer: str
    reason: str


class CounterOpened(_Event, frozen=True):
    counter: str
    officer: str


class CounterPaused(_Event, frozen=True):
    """The counter went on a break."""

    counter: str
    officer: str


class CounterClosed(_Event, frozen=True):
    counter: str
    officer: str


class RunningTextSet(_Event, frozen=True):
    """A manager changed the line that scrolls along the bottom of the hall displays."""

    text: str
    by: str


Event = (
    DayStarted
    | TicketExpired
    | TicketIssued
    | TicketCalled
    | TicketRecalled
    | TicketNoShow
    | TicketReturned
    | ServingStarted
    | TicketDone
    | TicketTransferred
    | TicketHeld
    | TicketResumed
    | TicketCancelled
    | CounterOpened
    | CounterPaused
    | CounterClosed
    | RunningTextSet
    | TurnedAway
    | ServiceRequested
    | SurveyAnswered
    | ComplaintFiled
    | ComplaintStepped
    | BookingMade
    | BookingCancelled
    | AlertAcknowledged
    | TenantNoticeSet
)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes) -> Event:
    event: Event = _decoder.decode(data)
    return event
