"""Commands: what officers, kiosks and visitors ask for. Tagged by `type` on the wire.

The `officer` of a counter command is filled in by the server from the signed-in session,
never trusted from the client.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from server.domain.complaints import Kind as ComplaintKind
from server.domain.complaints import Status as ComplaintStatus
from server.domain.events import Channel, SurveyChannel, snake_tag


class _Command(msgspec.Struct, frozen=True, tag_field="type", tag=snake_tag):
    pass


class IssueTicket(_Command, frozen=True):
    service: str
    visit: str
    channel: Channel = "kiosk"
    priority: bool = False
    itinerary: tuple[str, ...] = ()
    # Filled by the server: the staff member whose PIN confirmed a priority ticket.
    confirmed_by: str = ""


class _CounterCommand(_Command, frozen=True):
    counter: str
    officer: str = ""


class CallNext(_CounterCommand, frozen=True):
    pass


class CallSpecific(_CounterCommand, frozen=True):
    ticket: str = ""
    reason: str = ""


class Recall(_CounterCommand, frozen=True):
    pass


class NoShow(_CounterCommand, frozen=True):
    pass


class StartServing(_CounterCommand, frozen=True):
    pass


class Done(_CounterCommand, frozen=True):
    pass


class Transfer(_CounterCommand, frozen=True):
    service: str | None = None
    to_counter: str | None = None
    front: bool = False


class Hold(_CounterCommand, frozen=True):
    pass


class Resume(_CounterCommand, frozen=True):
    ticket: str = ""


class OpenCounter(_CounterCommand, frozen=True):
    pass


class PauseCounter(_CounterCommand, frozen=True):
    pass


class CloseCounter(_CounterCommand, frozen=True):
    pass


class ReturnTicket(_Command, frozen=True):
    ticket: str
    officer: str = ""


class CancelTicket(_Command, frozen=True):
    ticket: str
    by: Literal["visitor", "officer"] = "visitor"
    officer: str = ""
    reason: str = ""


class RollDay(_Command, frozen=True):
    """Start the new day now (a scheduler sends it after midnight; any command would too)."""


class SetRunningText(_Command, frozen=True):
    text: str
    by: str = ""


class RecordTurnAway(_Command, frozen=True):
    """Note a refused ticket request, so reports count the visitors turned away."""

    service: str
    channel: Channel
    reason: str


class RequestService(_Command, frozen=True):
    tenant: str
    text: str
    channel: Channel = "kiosk"


class Respondent(msgspec.Struct, frozen=True):
    """The optional profile of the regulation's form ("" = not given)."""

    age: str = ""
    sex: str = ""
    education: str = ""
    occupation: str = ""


class AnswerSurvey(_Command, frozen=True):
    """A survey response about a served ticket (`ticket`, by id or label), or an anonymous
    one at the survey tablet about a chosen `service`."""

    answers: dict[str, int]
    channel: SurveyChannel = "phone"
    ticket: str = ""
    service: str = ""
    comment: str = ""
    respondent: Respondent = Respondent()


class SurveyRow(msgspec.Struct, frozen=True):
    """One imported response (a paper form, a row of an online form's export)."""

    source: str
    day: dt.date
    service: str
    answers: dict[str, int]
    comment: str = ""
    respondent: Respondent = Respondent()


class ImportSurveys(_Command, frozen=True):
    """Record imported responses; rows whose `source` is already recorded are skipped."""

    rows: tuple[SurveyRow, ...]


class FileComplaint(_Command, frozen=True):
    """A citizen's report. The server fills the tracking code (`complaint`), the masked and
    sealed contact and the stored photo's id."""

    kind: ComplaintKind
    text: str
    tenant: str = ""
    complaint: str = ""
    contact_masked: str = ""
    contact_sealed: str = ""
    photo: str = ""
    anonymous: bool = False
    confidential: bool = False


class AdvanceComplaint(_Command, frozen=True):
    """Move a complaint to its next status; `tenant` names where it is forwarded."""

    complaint: str
    status: ComplaintStatus
    note: str = ""
    tenant: str = ""
    by: str = ""


class BookVisit(_Command, frozen=True):
    """Book `service` on `day` at `slot`. The server fills `booking`, `visit` and `holder`."""

    service: str
    day: dt.date
    slot: dt.time
    booking: str = ""
    visit: str = ""
    holder: str = ""
    holder_masked: str = ""


class CheckIn(_Command, frozen=True):
    """The booked visitor arrived: the ticket joins the lane now."""

    booking: str


class CancelBooking(_Command, frozen=True):
    booking: str
    by: str = "visitor"


class AcknowledgeAlert(_Command, frozen=True):
    alert: str
    by: str = ""


class SetTenantNotice(_Command, frozen=True):
    tenant: str
    text: str
    by: str = ""


CounterCommand = (
    CallNext
    | CallSpecific
    | Recall
    | NoShow
    | StartServing
    | Done
    | Transfer
    | Hold
    | Resume
    | OpenCounter
    | PauseCounter
    | CloseCounter
)
Command = (
    CounterCommand
    | IssueTicket
    | ReturnTicket
    | CancelTicket
    | RollDay
    | SetRunningText
    | RecordTurnAway
    | RequestService
    | AnswerSurvey
    | ImportSurveys
    | FileComplaint
    | AdvanceComplaint
    | BookVisit
    | CheckIn
    | CancelBooking
    | AcknowledgeAlert
    | SetTenantNotice
)
