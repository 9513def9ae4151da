"""`/t/<visit token>`: the visitor's phone page, and the forms it posts (cancel).

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
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server import dates
from server.domain import commands as cmd
from server.domain.errors import DomainError
from server.messages import explain
from server.service import VenueQueue
from server.services import services
from server.web.auth import language, same_origin, say
from server.web.forms import read_form
from server.web.pages import page
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
    """Which face the page shows: booking, a ticket status, finished or gone."""
    if view.current is None:
        if view.booking is None:
            return "gone"
        return "booking_cancelled" if view.booking.status == "cancelled" else "booking"
    if view.finished:
        return "finished"
    return view.current.status


def qr_svg(text: str) -> str:
    """An inline SVG QR code of `text` (black on white, so any scanner reads it)."""
    qr = segno.make(text, error="m")
    svg: str = qr.svg_inline(scale=6, border=2, dark="#000", light="#fff", omitsize=True)
    return svg


async def ticket_page(request: Request, error: str = "", status: int = 200) -> Response:
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


def _back(token: str) -> Response:
    return RedirectResponse(f"/t/{token}", status_code=303)


def _expired_form(request: Request) -> str:
    return say(request, "Formulir kedaluwarsa atau tidak sah. Silakan coba lagi dari halaman ini.")


def _nothing_to_cancel(request: Request) -> str:
    return say(request, "Tidak ada yang bisa dibatalkan.")


routes = [
    Route("/t/{token}", ticket_page, methods=["GET"]),
    Route("/t/{token}/cancel", cancel_ticket, methods=["POST"]),
    Route("/t/{token}/cancel-booking", cancel_booking, methods=["POST"]),
]
