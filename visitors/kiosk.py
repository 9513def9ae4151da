"""The kiosk (anjungan): a touch screen where visitors take a number, and its printer.

Tenants, then a tenant's services (each saying plainly whether a number can be taken now,
and if not when to come back), then a regular or a staff-confirmed priority ticket,
optionally with more services to visit afterwards (an itinerary). Also: checking in an
online booking, and "the service I need is not here".

Only a paired kiosk may issue: every API call carries its device token in `X-Device-Token`
(the page takes it once from `?device=TOKEN` and keeps it). Each request carries a
`command_id` made by the page and re-sent unchanged on a retry, so a retry never issues a
second ticket. The id is bound to this kiosk and the command; the same id with another
request is refused as `command_id_reused`. So that a retry is the very same command, the
ticket's visit token is derived from the kiosk and the id (keyed with the app secret), not
drawn anew for each try. A priority ticket needs a staff member's 6-digit PIN; after 5
wrong PINs a kiosk is locked out of PINs for 5 minutes, and after 10 unknown booking codes
out of check-in for 1 minute (a booking code is 60 random bits; this keeps guessing slow).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from audio.routes import guidance
from server.accounts import AccountBook, Device, User
from server.domain import commands as cmd
from server.domain import events as ev
from server.domain.decide import MAX_ITINERARY, TURN_AWAY_CODES
from server.domain.errors import DomainError
from server.domain.state import State, Ticket
from server.i18n import N_
from server.service import VenueQueue
from server.services import services
from server.store import StoreUnavailable
from server.web.auth import language, say
from server.web.bodies import DeviceCommand, read_command
from server.web.guards import paired_api
from server.web.limits import whole_minutes
from server.web.pages import page
from server.web.problems import Problem, from_table, invalid, refused
from visitors.kiosk_slip import (
    complaints_url,
    print_slip,
    qr_svg,
    slip_for,
    ticket_json,
    wait_of,
)
from visitors.kiosk_tiles import (
    come_back,
    overview_view,
)
from visitors.views import crowded

log = logging.getLogger(__name__)

VISIT_BYTES = 18  # 144 bits: the phone page's token cannot be guessed
PROBLEMS: dict[str, tuple[int, str]] = {
    "unpaired": (
        403,
        N_(
            "Anjungan belum dipasangkan. Minta admin memasangkan anjungan ini (antrean devices add"
            " --kind kiosk) lalu buka /kiosk?device=TOKEN."
        ),
    ),
    "pin_wrong": (403, N_("PIN petugas salah. Sisa percobaan: {left}.")),
    "pin_locked": (
        429,
        N_(
            "Terlalu banyak PIN salah. Konfirmasi prioritas dikunci {minutes} menit. Silakan minta"
            " bantuan petugas."
        ),
    ),
    "check_in_locked": (
        429,
        N_(
            "Terlalu banyak kode pemesanan yang salah. Check-in di anjungan ini dikunci {minutes} "
            "menit. Silakan minta bantuan petugas."
        ),
    ),
    "unknown_visit": (404, N_("Tiket tidak ditemukan.")),
}


def problem(request: Request, code: str, **params: object) -> Problem:
    return from_table(request, PROBLEMS, code, "", **params)


# --- wire -----------------------------------------------------------------------------


class IssueBody(DeviceCommand, frozen=True):
    service: str
    priority: bool = False
    itinerary: tuple[str, ...] = ()
    pin: str = ""


class CheckInBody(DeviceCommand, frozen=True):
    booking: str


class RequestBody(DeviceCommand, frozen=True):
    text: str
    tenant: str = ""


def _unpaired(request: Request) -> Problem:
    return problem(request, "unpaired")


async def _kiosk(request: Request) -> Device:
    """The active kiosk behind this request's device token (a hall display may not issue)."""
    return await paired_api(request, "kiosk", _unpaired)


def _caller(device: Device) -> str:
    """Who sends a kiosk's commands, as `VenueQueue.execute` binds their ids."""
    return f"device:{device.id}"


def visit_token(request: Request, device: Device, command_id: str) -> str:
    """The phone page's token for the ticket that `command_id` of `device` issues.

    The same on every retry (a random one would make each retry another command), and as
    unguessable as a random one without the app secret: 144 bits of HMAC-SHA256.
    """
    key = services(request).secret.encode()
    message = f"kiosk-visit:{device.id}:{command_id}".encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()[:VISIT_BYTES]
    return base64.urlsafe_b64encode(mac).decode()


# --- lockouts -------------------------------------------------------------------------


async def _confirming_staff(request: Request, device: Device, pin: str) -> User:
    guard = services(request).kiosk_lockouts.pin
    # Counted before the check: guesses sent at once cannot slip past the limit.
    strike = await guard.strike(device.id)
    if strike.held:
        raise problem(request, "pin_locked", minutes=whole_minutes(strike.held))
    book: AccountBook = services(request).accounts
    try:
        accounts = await book.refresh()
    except StoreUnavailable:
        await guard.forgive(device.id, strike)  # nothing was checked: a resend is no guess
        raise
    user = await asyncio.to_thread(accounts.find_by_pin, pin.strip())
    if user is None:
        if strike.hold:
            raise problem(request, "pin_locked", minutes=whole_minutes(strike.hold))
        raise problem(request, "pin_wrong", left=guard.tries_left(strike))
    await guard.clear(device.id)
    return user


# --- the ticket -----------------------------------------------------------------------


async def _issued_answer(
    request: Request, device: Device, outcome_events: list[ev.Event]
) -> JSONResponse:
    issued = next(e for e in outcome_events if isinstance(e, ev.TicketIssued))
    queue: VenueQueue = services(request).queue
    ticket = queue.state.tickets.get(issued.ticket)
    if ticket is None:  # a retry answered after the day rolled over: nothing to show
        raise problem(request, "unknown_visit")
    found = wait_of(request, ticket)
    slip = slip_for(request, ticket, found)
    printing = await print_slip(request, device, slip)
    shown = ticket_json(request, ticket, slip, found, printed=printing["status"] != "failed")
    return JSONResponse({"ok": True, "ticket": shown, "print": printing})


def _refused(request: Request, error: DomainError, service: str = "") -> Problem:
    if error.code not in (*TURN_AWAY_CODES, "venue_closed"):
        return refused(request, error)
    queue: VenueQueue = services(request).queue
    found = queue.venue.services.get(service)
    lang = language(request)
    return refused(
        request, error, come_back=come_back(queue.venue, error, queue.clock(), lang, found)
    )


# --- handlers -------------------------------------------------------------------------


async def kiosk_page(request: Request) -> Response:
    # A shell: the tiles come from /kiosk/api/overview, which checks the device token.
    url = complaints_url(request)
    title = say(request, "Kode QR formulir pengaduan")
    return page(
        request, "visitors/kiosk.html", complaints_url=url, complaints_qr=qr_svg(url, title)
    )


async def overview(request: Request) -> JSONResponse:
    device = await _kiosk(request)
    queue: VenueQueue = services(request).queue
    state, now, lang = queue.state, queue.clock(), language(request)
    if not crowded(state):
        view = overview_view(queue.venue, state, now, lang)
    else:
        # Every kiosk asks every 10 s: on a big day the tiles are worked out in a thread, on
        # a copy (`evolve` changes the live state on the loop), as the phone pages are.
        view = await asyncio.to_thread(overview_view, queue.venue, state.copy(), now, lang)
    view["device"] = {"name": device.name, "printer": bool(device.printer)}
    return JSONResponse(view)


async def issue(request: Request) -> JSONResponse:
    device = await _kiosk(request)
    body = await read_command(request, IssueBody)
    if len(body.itinerary) > MAX_ITINERARY:
        raise invalid(request, "paling banyak {limit} layanan lanjutan", limit=MAX_ITINERARY)
    confirmed_by = ""
    if body.priority:
        confirmed_by = (await _confirming_staff(request, device, body.pin)).username
    queue: VenueQueue = services(request).queue
    command = cmd.IssueTicket(
        service=body.service,
        visit=visit_token(request, device, body.command_id),
        channel="kiosk",
        priority=body.priority,
        itinerary=body.itinerary,
        confirmed_by=confirmed_by,
    )
    try:
        outcome = await queue.execute(command, body.command_id, _caller(device))
    except DomainError as error:
        await _record_turn_away(queue, error, body, device)
        raise _refused(request, error, body.service) from None
    return await _issued_answer(request, device, outcome.events)


async def _record_turn_away(
    queue: VenueQueue, error: DomainError, body: IssueBody, device: Device
) -> None:
    if error.code not in TURN_AWAY_CODES:
        return
    note = cmd.RecordTurnAway(service=body.service, channel="kiosk", reason=error.code)
    try:
        # Derived from the request's id (random, known only to this kiosk, and bound to
        # it): a retried refusal is counted once.
        await queue.execute(note, f"{body.command_id}:away", _caller(device))
    except DomainError:
        log.warning("could not record a turn-away for %s", body.service, exc_info=True)


async def check_in(request: Request) -> JSONResponse:
    device = await _kiosk(request)
    body = await read_command(request, CheckInBody)
    code = body.booking.strip()
    if not 1 <= len(code) <= 64:
        raise invalid(request, "kode pemesanan kosong atau terlalu panjang")
    guard = services(request).kiosk_lockouts.booking
    strike = await guard.strike(device.id)
    if strike.held:
        raise problem(request, "check_in_locked", minutes=whole_minutes(strike.held))
    queue: VenueQueue = services(request).queue
    try:
        outcome = await queue.execute(cmd.CheckIn(booking=code), body.command_id, _caller(device))
    except StoreUnavailable:
        await guard.forgive(device.id, strike)  # nothing was checked: a resend is no guess
        raise
    except DomainError as error:
        if error.code != "unknown_booking":
            # No guess (a real code refused for another reason, a reused command id):
            # this try is taken back, the wrong ones before it stay counted.
            await guard.forgive(device.id, strike)
        elif strike.hold:
            raise problem(request, "check_in_locked", minutes=whole_minutes(strike.hold)) from None
        raise _refused(request, error) from None
    if outcome.duplicate:
        # A resend of a check-in already made: no guess, and no right one either (else
        # resending one old check-in would wipe any count of wrong codes).
        await guard.forgive(device.id, strike)
    else:
        await guard.clear(device.id)
    return await _issued_answer(request, device, outcome.events)


async def request_service(request: Request) -> JSONResponse:
    device = await _kiosk(request)
    body = await read_command(request, RequestBody)
    queue: VenueQueue = services(request).queue
    command = cmd.RequestService(tenant=body.tenant, text=body.text, channel="kiosk")
    try:
        await queue.execute(command, body.command_id, _caller(device))
    except DomainError as error:
        raise _refused(request, error) from None
    thanks = say(
        request, "Terima kasih. Permintaan Anda kami catat dan sampaikan kepada pengelola MPP."
    )
    return JSONResponse({"ok": True, "message": thanks})


async def say_wav(request: Request) -> Response:
    """`/kiosk/api/say.wav?clips=key.key...`: what the kiosk's voice guidance says now."""
    await _kiosk(request)
    return await guidance(request, request.query_params.get("clips", ""))


async def print_page(request: Request) -> Response:
    """The slip as an 80 mm page, for kiosks that print through the browser.

    The visit token is the key, as on the phone page: whoever holds it may see the ticket.
    """
    visit = request.path_params["visit"]
    queue: VenueQueue = services(request).queue
    ticket = _latest_of_visit(queue.state, visit)
    if ticket is None:
        return page(request, "visitors/kiosk-print-missing.html", status_code=404)
    slip = slip_for(request, ticket, wait_of(request, ticket))
    title = say(request, "Kode QR tiket {label}")
    return page(
        request,
        "visitors/kiosk-print.html",
        slip=slip,
        qr=qr_svg(slip.url, title.format(label=slip.label)),
    )


def _latest_of_visit(state: State, visit: str) -> Ticket | None:
    if len(visit) < 16:
        return None
    mine = [t for t in state.tickets.values() if t.visit == visit]
    return max(mine, key=lambda t: t.issued_at, default=None)


routes = [
    Route("/kiosk", kiosk_page),
    Route("/kiosk/api/overview", overview),
    Route("/kiosk/api/issue", issue, methods=["POST"]),
    Route("/kiosk/api/check-in", check_in, methods=["POST"]),
    Route("/kiosk/api/request", request_service, methods=["POST"]),
    Route("/kiosk/api/say.wav", say_wav),
    Route("/kiosk/ticket/{visit}/print", print_page),
]
