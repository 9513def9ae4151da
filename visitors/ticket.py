"""`/t/<visit token>`: the visitor's phone page, and the forms it posts (cancel, and the
satisfaction survey of a served ticket).

No login: the visit token in the address is the secret. The page is rendered complete on
the server (it shows the current state before any script runs) and then kept live over
`/ws?topics=visit:<token>`.

Forms without a session are protected twice: the Origin must be ours (`same_origin`), and
the form carries a token signed with the app's secret for this very action and visit
(`form_token`). A signed token needs no cookie and no server-side storage, so it works on
phones that block cookies and on every process of a multi-process deployment alike.

The command ids of these forms are made here, never sent by the phone: keyed with the app
secret (`visitor_command_id`), so a double tap is one command, yet nobody who can send
commands with ids of their own (a kiosk, a signed-in user) can take a visitor's id first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable

import segno
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server import dates
from server.domain import commands as cmd
from server.domain import ikm
from server.domain.errors import DomainError
from server.messages import explain
from server.service import VenueQueue
from server.services import services
from server.web.auth import language, same_origin, say
from server.web.forms import read_form
from server.web.pages import page
from visitors.survey import profile_options
from visitors.views import VisitProjection, VisitView

FORM_MAX_AGE = 12 * 3600


# --- what the visitors' forms share -------------------------------------------------------


def _signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services(request).secret, salt="antrean-visitor-form")


def form_token(request: Request, purpose: str) -> str:
    """A token for a form that does `purpose` (e.g. "cancel:<visit>"), valid for hours."""
    return _signer(request).dumps(purpose)


def form_ok(request: Request, purpose: str, sent: str) -> bool:
    """Whether a posted form comes from our own page, for this purpose."""
    if not same_origin(request) or not sent:
        return False
    try:
        return bool(_signer(request).loads(sent, max_age=FORM_MAX_AGE) == purpose)
    except BadSignature:
        return False


def keyed_digest(request: Request, text: str) -> str:
    """HMAC-SHA256 of `text` under the app secret, hex: equal inputs match, nothing leaks."""
    key = services(request).secret.encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def long_date(day: dt.date, lang: str) -> str:
    """ "Selasa, 24 November 2026" (or in English)."""
    return dates.format_date(day, lang, weekday=True)


def visitor_command_id(request: Request, action: str, subject: str) -> str:
    """The command id of a visitor's `action` on `subject` (a ticket or a booking id):
    the same for every retry, and unguessable without the app secret."""
    return f"visitor-{action}-{keyed_digest(request, f'{action}:{subject}')[:32]}"


async def execute(request: Request, command: cmd.Command, command_id: str, caller: str) -> str:
    """Run a visitor's command; "" when done, else the refusal in the visitor's language.

    `caller` names the visitor as `VenueQueue.execute` binds ids ("visit:<token>").
    """
    queue: VenueQueue = services(request).queue
    try:
        await queue.execute(command, command_id, caller)
    except DomainError as error:
        return explain(error, language(request))
    return ""


# --- the page -----------------------------------------------------------------------------


def page_state(view: VisitView) -> str:
    """Which face the page shows: booking, a ticket status, finished, the survey of a served
    ticket or the thanks for it, survey closed, or gone. (ticket-render.js says the same.)"""
    current, booking = view.current, view.booking
    if current is None and booking is not None:
        return "booking_cancelled" if booking.status == "cancelled" else "booking"
    if current is None or current.status == "done":
        # Nothing in hand any more: the served tickets' survey, one after the other.
        if view.survey is not None:
            return "survey"
        if view.rated:
            return "thanks"
    if current is None:
        return "survey_closed" if view.survey_closed else "gone"
    if view.finished:
        return "finished"
    return current.status


def qr_svg(text: str) -> str:
    """An inline SVG QR code of `text` (black on white, so any scanner reads it)."""
    qr = segno.make(text, error="m")
    svg: str = qr.svg_inline(scale=6, border=2, dark="#000", light="#fff", omitsize=True)
    return svg


class Given:
    """What a survey form sent, to show it again (checked) when it cannot go through yet."""

    def __init__(self, form: FormData | None = None) -> None:
        self.answers: dict[str, int] = {}
        self.comment = ""
        self.respondent: dict[str, str] = dict.fromkeys(ikm.PROFILE, "")
        if form is None:
            return
        for key in ikm.KEYS:
            value = str(form.get(key, ""))
            if value in ("1", "2", "3", "4"):
                self.answers[key] = int(value)
        self.comment = str(form.get("comment", ""))
        for field, options in ikm.PROFILE.items():
            value = str(form.get(field, ""))
            self.respondent[field] = value if value in options else ""

    def missing(self) -> list[int]:
        """The numbers (1–9) of the questions left unanswered."""
        return [n for n, key in enumerate(ikm.KEYS, 1) if key not in self.answers]

    def command(self, ticket: str) -> cmd.AnswerSurvey:
        return cmd.AnswerSurvey(
            answers=self.answers,
            ticket=ticket,
            channel="phone",
            comment=self.comment,
            respondent=cmd.Respondent(**self.respondent),
        )


async def ticket_page(
    request: Request, error: str = "", status: int = 200, given: Given | None = None
) -> Response:
    token = request.path_params["token"]
    visits: VisitProjection = services(request).visits
    view = visits.view(token)
    if view is None:
        return page(request, "visitors/ticket_unknown.html", status_code=404)
    lang = language(request)
    booking = view.booking
    response = page(
        request,
        "visitors/ticket.html",
        status_code=status,
        token=token,
        view=view,
        state=page_state(view),
        error=error,
        qr=qr_svg(booking.code) if booking and booking.status == "booked" else "",
        booking_day=long_date(booking.day, lang) if booking else "",
        cancel_token=form_token(request, f"cancel:{token}"),
        cancel_booking_token=form_token(request, f"cancel-booking:{token}"),
        survey_token=form_token(request, f"survey:{token}"),
        unsur=ikm.UNSUR,
        profile=profile_options(),
        max_comment=ikm.MAX_COMMENT,
        given=given or Given(),
    )
    # The page holds the visit's secret in its address: never cache it, never send it to
    # another site as a referrer ("no-referrer" would also blank our own forms' Origin).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


async def cancel_ticket(request: Request) -> Response:
    """The phone's "Batalkan antrean": cancel the visit's current ticket."""

    def command(visits: VisitProjection, token: str) -> tuple[cmd.Command, str] | None:
        ticket = visits.ticket(token)
        if ticket is None:
            return None
        command_id = visitor_command_id(request, "cancel", ticket.id)
        return cmd.CancelTicket(ticket=ticket.id, by="visitor"), command_id

    return await _cancel(request, "cancel", command)


async def cancel_booking(request: Request) -> Response:
    """The phone's "Batalkan pemesanan": cancel the visit's booking."""

    def command(visits: VisitProjection, token: str) -> tuple[cmd.Command, str] | None:
        booking = visits.booking(token)
        if booking is None:
            return None
        command_id = visitor_command_id(request, "unbook", booking.id)
        return cmd.CancelBooking(booking=booking.id, by="visitor"), command_id

    return await _cancel(request, "cancel-booking", command)


async def _cancel(
    request: Request,
    purpose: str,
    command: Callable[[VisitProjection, str], tuple[cmd.Command, str] | None],
) -> Response:
    """A visitor's cancel form: checked, then the command sent as the visit; the page again
    with the refusal (or "nothing to cancel") when it does not go through."""
    token = request.path_params["token"]
    form = await read_form(request)
    if not form_ok(request, f"{purpose}:{token}", str(form.get("form", ""))):
        return await ticket_page(request, _expired_form(request), 403)
    found = command(services(request).visits, token)
    if found is None:
        return await ticket_page(request, _nothing_to_cancel(request), 409)
    refusal = await execute(request, *found, f"visit:{token}")
    return _back(token) if not refusal else await ticket_page(request, refusal, 409)


async def answer_survey(request: Request) -> Response:
    """The phone's survey form: the response about the visit's served ticket.

    Which ticket is rated comes from the visit's own index: the form's `ticket` may only
    pick one of this visit's served tickets (so a double tap on the first survey of a
    two-service visit does not rate the second one with the same answers); anything else
    in it is ignored and the visit's next ticket to rate is taken.
    """
    token = request.path_params["token"]
    form = await read_form(request)
    if not form_ok(request, f"survey:{token}", str(form.get("form", ""))):
        return await ticket_page(request, _expired_form(request), 403)
    visits: VisitProjection = services(request).visits
    lang = language(request)
    given = Given(form)
    served = visits.surveyable(token, str(form.get("ticket", ""))) or visits.survey(token)
    if served is None:
        # Nothing of this visit to rate: not served yet, or its survey closed.
        current = visits.ticket(token)
        if current is not None and current.status != "done":
            refusal = explain(DomainError("survey_not_served", ticket=current.label), lang)
            return await ticket_page(request, refusal, 409)
        return await ticket_page(request, _nothing_to_rate(request), 409)
    missing = given.missing()
    if missing and not served.answered:
        numbers = ", ".join(str(n) for n in missing)
        return await ticket_page(request, _unanswered(request, numbers), 400, given)
    # A retry (double tap, back button) is the same command: answered again as the first
    # time. Other answers to a ticket already rated reuse its id: the first response stands.
    command_id = visitor_command_id(request, "survey", served.ticket)
    command = given.command(served.ticket)
    try:
        await services(request).queue.execute(command, command_id, f"visit:{token}")
    except DomainError as error:
        if error.code == "command_id_reused":
            error = DomainError("survey_answered", ticket=served.label)
        return await ticket_page(request, explain(error, lang), 409, given)
    return _back(token)


def _back(token: str) -> Response:
    return RedirectResponse(f"/t/{token}", status_code=303)


def _expired_form(request: Request) -> str:
    return say(request, "Formulir kedaluwarsa atau tidak sah. Silakan coba lagi dari halaman ini.")


def _nothing_to_cancel(request: Request) -> str:
    return say(request, "Tidak ada yang bisa dibatalkan.")


def _nothing_to_rate(request: Request) -> str:
    return say(request, "Tidak ada layanan yang bisa dinilai dari kunjungan ini.")


def _unanswered(request: Request, numbers: str) -> str:
    return say(
        request,
        "Mohon jawab semua pertanyaan. Yang belum dijawab: pertanyaan nomor {numbers}.",
        numbers=numbers,
    )


routes = [
    Route("/t/{token}", ticket_page, methods=["GET"]),
    Route("/t/{token}/cancel", cancel_ticket, methods=["POST"]),
    Route("/t/{token}/cancel-booking", cancel_booking, methods=["POST"]),
    Route("/t/{token}/survey", answer_survey, methods=["POST"]),
]
