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
import datetime as dt
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
import segno
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server import dates
from server.accounts import AccountBook, Device, User
from server.domain import commands as cmd
from server.domain import events as ev
from server.domain.decide import MAX_ITINERARY, TURN_AWAY_CODES, decide
from server.domain.errors import CLOSED_REASONS, DomainError
from server.domain.estimate import WaitRange, new_ticket_waits, wait_range
from server.domain.state import State, Ticket
from server.domain.venue import Service, Venue
from server.service import VenueQueue
from server.services import services
from server.web.auth import Lang, language, paired_device, say
from server.web.bodies import read_json
from server.web.pages import page
from server.web.problems import Problem, bad_command_id, from_table, invalid, refused
from visitors.printing import PrintFailed, Slip, job, send
from visitors.views import crowded

log = logging.getLogger(__name__)

TOKEN_HEADER = "x-device-token"
VISIT_BYTES = 18  # 144 bits: the phone page's token cannot be guessed
# Wrong guesses in a row from one kiosk, then how long it may not guess again. A lockout
# turns away everyone at that kiosk, the right code too: for booking codes (60 bits, 40 for
# old ones) a slow-down to 10 a minute is all guessing needs, and mistyping visitors (or a
# prankster) shut check-in for one minute, not five.
LOCKOUTS = {"pin": (5, 300.0), "booking": (10, 60.0)}

PROBLEMS: dict[str, tuple[int, str, str]] = {
    "unpaired": (
        403,
        "Anjungan belum dipasangkan. Minta admin memasangkan anjungan ini "
        "(antrean devices add --kind kiosk) lalu buka /kiosk?device=TOKEN.",
        "This kiosk is not paired. Ask an admin to pair it "
        "(antrean devices add --kind kiosk), then open /kiosk?device=TOKEN.",
    ),
    "pin_wrong": (
        403,
        "PIN petugas salah. Sisa percobaan: {left}.",
        "Wrong staff PIN. Tries left: {left}.",
    ),
    "pin_locked": (
        429,
        "Terlalu banyak PIN salah. Konfirmasi prioritas dikunci {minutes} menit. "
        "Silakan minta bantuan petugas.",
        "Too many wrong PINs. Priority confirmation is locked for {minutes} minutes. "
        "Please ask a staff member.",
    ),
    "check_in_locked": (
        429,
        "Terlalu banyak kode pemesanan yang salah. Check-in di anjungan ini dikunci "
        "{minutes} menit. Silakan minta bantuan petugas.",
        "Too many wrong booking codes. Check-in at this kiosk is locked for {minutes} "
        "minutes. Please ask a staff member.",
    ),
    "unknown_visit": (404, "Tiket tidak ditemukan.", "Ticket not found."),
}


def problem(request: Request, code: str, **params: object) -> Problem:
    return from_table(request, PROBLEMS, code, "", **params)


# --- wire -----------------------------------------------------------------------------


class _Request(msgspec.Struct, frozen=True):
    command_id: str


class IssueBody(_Request, frozen=True):
    service: str
    priority: bool = False
    itinerary: tuple[str, ...] = ()
    pin: str = ""


class CheckInBody(_Request, frozen=True):
    booking: str


class RequestBody(_Request, frozen=True):
    text: str
    tenant: str = ""


Body = TypeVar("Body", bound=_Request)


async def _body(request: Request, kind: type[Body]) -> Body:
    parsed = await read_json(request, lambda body: msgspec.json.decode(body, type=kind))
    if not 8 <= len(parsed.command_id) <= 64:
        raise bad_command_id(request)
    return parsed


async def _kiosk(request: Request) -> Device | None:
    """The active kiosk behind this request's device token (a hall display may not issue)."""
    device = await paired_device(request, request.headers.get(TOKEN_HEADER))
    return device if device is not None and device.kind == "kiosk" else None


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


class Lockout:
    """Wrong guesses per kiosk: after `tries` wrong ones in a row, no guess is tried there
    for `seconds`. Kept in this process's memory: a restart forgets, and with several
    processes each counts its own tries (so a kiosk gets at most that many times more
    guesses) — still nowhere near the million PINs or 2^60 booking codes there are."""

    def __init__(
        self, tries: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.tries, self.seconds, self._clock = tries, seconds, clock
        self._wrong: dict[str, int] = {}
        self._until: dict[str, float] = {}

    def locked_for(self, device: str) -> float:
        """Seconds the kiosk stays locked out (0 when it may try)."""
        return max(0.0, self._until.get(device, 0.0) - self._clock())

    def minutes(self, device: str) -> int:
        """The lockout left, in whole minutes for a sentence (at least 1)."""
        return max(1, round(self.locked_for(device) / 60))

    def wrong(self, device: str) -> int:
        """Count a wrong guess; the tries left before the lockout (0: locked now)."""
        count = self._wrong.get(device, 0) + 1
        if count >= self.tries:
            self._until[device] = self._clock() + self.seconds
            count = 0
        self._wrong[device] = count
        return self.tries - count if count else 0

    def right(self, device: str) -> None:
        self._wrong.pop(device, None)


class Lockouts:
    """The kiosks' lockouts: wrong staff PINs, unknown booking codes."""

    def __init__(self) -> None:
        self.pin = Lockout(*LOCKOUTS["pin"])
        self.booking = Lockout(*LOCKOUTS["booking"])


async def _confirming_staff(request: Request, device: Device, pin: str) -> User:
    guard = services(request).kiosk_lockouts.pin
    if guard.locked_for(device.id):
        raise problem(request, "pin_locked", minutes=guard.minutes(device.id))
    book: AccountBook = services(request).accounts
    accounts = await book.refresh()
    user = await asyncio.to_thread(accounts.find_by_pin, pin.strip())
    if user is None:
        left = guard.wrong(device.id)
        if left == 0:
            raise problem(request, "pin_locked", minutes=guard.minutes(device.id))
        raise problem(request, "pin_wrong", left=left)
    guard.right(device.id)
    return user


# --- what the kiosk shows -------------------------------------------------------------


def _waiting(state: State) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ticket in state.waiting():
        counts[ticket.service] = counts.get(ticket.service, 0) + 1
    return counts


def refusal(venue: Venue, state: State, service: Service, now: dt.datetime) -> DomainError | None:
    """Why a kiosk ticket for `service` would be refused now (the domain's own answer)."""
    probe = cmd.IssueTicket(service=service.id, visit="probe", channel="kiosk")
    try:
        decide(venue, state, probe, now)
    except DomainError as error:
        return error
    return None


def status_label(error: DomainError, service: Service, lang: Lang) -> str:
    """The short word on a tile that cannot issue now."""
    code = error.code
    if code == "venue_closed" and error.params.get("reason") == "break":
        return _pick(lang, "Istirahat", "On a break")
    if code == "venue_closed":
        return _pick(lang, "Tutup", "Closed")
    if code == "issue_closed":
        return _pick(lang, "Pengambilan nomor ditutup", "No more tickets today")
    if code == "channel_quota_full" and service.kiosk_quota == 0:
        return _pick(lang, "Khusus pesan online", "Online booking only")
    if code in ("quota_full", "day_full", "channel_quota_full"):
        return _pick(lang, "Kuota hari ini habis", "Today's quota is used up")
    return _pick(lang, "Tidak tersedia", "Not available")


def come_back(
    venue: Venue, error: DomainError, now: dt.datetime, lang: Lang, service: Service | None = None
) -> str:
    """When a refused visitor can try again: "Buka kembali pukul 13.00", "... besok ..."."""
    if error.code == "channel_quota_full" and service is not None and service.kiosk_quota == 0:
        return _pick(
            lang,
            "Layanan ini hanya melalui pemesanan online.",
            "This service is by online booking only.",
        )
    closed = str(error.params.get("reason", "")) if error.code == "venue_closed" else None
    return reopening(venue, now, lang, closed)


def reopening(venue: Venue, now: dt.datetime, lang: Lang, closed: str | None) -> str:
    """When to come back: later today when the venue is `closed` now for that reason
    (a break, not open yet), else the next day it opens."""
    local = venue.local(now)
    if closed is not None:
        reopens = venue.next_open(local)
    else:
        tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), venue.tz)
        reopens = venue.next_open(tomorrow)
    if reopens is None:
        return _pick(lang, "Silakan kembali pada hari kerja.", "Please come back on a working day.")
    clock = f"{reopens:%H.%M}"
    if reopens.date() == local.date():
        if closed == "before_open":
            return _pick(lang, f"Buka pukul {clock}.", f"Opens at {clock}.")
        return _pick(lang, f"Buka kembali pukul {clock}.", f"Opens again at {clock}.")
    if reopens.date() == local.date() + dt.timedelta(days=1):
        return _pick(
            lang, f"Silakan kembali besok pukul {clock}.", f"Please come back tomorrow at {clock}."
        )
    day = _day_text(reopens.date(), lang)
    return _pick(
        lang, f"Silakan kembali {day} pukul {clock}.", f"Please come back on {day} at {clock}."
    )


def _pick(lang: Lang, indonesian: str, english: str) -> str:
    return english if lang == "en" else indonesian


def _day_text(day: dt.date, lang: Lang) -> str:
    return dates.format_date(day, lang, weekday=True)


def moment_text(venue: Venue, at: dt.datetime, lang: Lang) -> str:
    """ "Selasa, 24 November 2026 09.00 WIB": a moment on the venue's clock."""
    local = venue.local(at)
    zone = dates.zone_label(venue.timezone)
    return f"{_day_text(local.date(), lang)} {local:%H.%M} {zone}"


def _service_view(
    venue: Venue,
    state: State,
    service: Service,
    waiting: int,
    wait: WaitRange | None,
    now: dt.datetime,
    lang: Lang,
) -> dict[str, Any]:
    refused = refusal(venue, state, service, now)
    view: dict[str, Any] = {
        "id": service.id,
        "name": service.name,
        "prefix": service.prefix,
        "waiting": waiting,
        "priority_lane": service.priority_lane,
        "available": refused is None,
    }
    if refused is None:
        # No range when no counter serves the service: the tile says nothing rather than guess.
        view["wait"] = wait.text(lang) if wait is not None else ""
    else:
        view["code"] = refused.code
        view["status"] = status_label(refused, service, lang)
        view["come_back"] = come_back(venue, refused, now, lang, service)
    return view


def overview_view(venue: Venue, state: State, now: dt.datetime, lang: Lang) -> dict[str, Any]:
    """Every tenant with its services, as the kiosk's tiles show them."""
    waiting = _waiting(state)
    # Every tile's range from one dry run, not one run per service (a venue has hundreds).
    waits = new_ticket_waits(venue, state, now)
    tenants = []
    for tenant in venue.tenants.values():
        services = [
            _service_view(venue, state, s, waiting.get(s.id, 0), waits.get(s.id), now, lang)
            for s in venue.services.values()
            if s.tenant == tenant.id
        ]
        if services:
            tenants.append(
                {
                    "id": tenant.id,
                    "name": tenant.short_name or tenant.name,
                    "full_name": tenant.name,
                    "waiting": sum(s["waiting"] for s in services),
                    "available": sum(1 for s in services if s["available"]),
                    "services": services,
                }
            )
    notice = _venue_notice(venue, now, lang)
    time_text = f"{venue.local(now):%H.%M} {dates.zone_label(venue.timezone)}".strip()
    return {
        "ok": True,
        "venue": venue.name,
        "time": time_text,
        "notice": notice,
        "tenants": tenants,
    }


def _venue_notice(venue: Venue, now: dt.datetime, lang: Lang) -> str:
    reason = venue.closed_reason(now)
    if reason is None:
        return ""
    reason_id, reason_en = CLOSED_REASONS[reason]
    why = _pick(lang, f"Layanan {reason_id}.", f"Services are {reason_en}.")
    if reason == "break":
        why = _pick(lang, "Layanan sedang jam istirahat.", "Services are on a break.")
    return f"{why} {reopening(venue, now, lang, reason)}"


# --- the ticket -----------------------------------------------------------------------


def phone_url(request: Request, visit: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/t/{visit}"


def qr_svg(url: str, title: str) -> str:
    """The QR code of `url` as inline SVG, sized by CSS."""
    svg: str = segno.make(url, error="m").svg_inline(
        scale=1, omitsize=True, svgclass="qr", title=title, border=4
    )
    return svg


def slip_for(request: Request, ticket: Ticket) -> Slip:
    queue: VenueQueue = services(request).queue
    venue, state, lang = queue.venue, queue.state, language(request)
    service = venue.service(ticket.service)
    tenant = venue.tenants[service.tenant]
    ahead, wait = 0, ""
    if ticket.status == "waiting":
        found = wait_range(venue, state, ticket, queue.clock())
        if found is not None:  # None: its service has left the venue file
            ahead, wait = found.ahead, found.text(lang)
    return Slip(
        venue=venue.name,
        tenant=tenant.short_name or tenant.name,
        service=service.name,
        label=ticket.label,
        ahead=ahead,
        wait=wait,
        issued=moment_text(venue, ticket.issued_at, lang),
        url=phone_url(request, ticket.visit),
        priority=ticket.priority,
        next_services=tuple(venue.service(s).name for s in ticket.itinerary),
        lang=lang,
    )


def _ticket_json(request: Request, slip: Slip, visit: str) -> dict[str, Any]:
    title = say(request, "Kode QR tiket {label}", "QR code of ticket {label}")
    fields: dict[str, Any] = msgspec.to_builtins(slip)
    return fields | {
        "visit": visit,
        "path": f"/t/{visit}",
        "qr": qr_svg(slip.url, title.format(label=slip.label)),
        "print_url": f"/kiosk/ticket/{visit}/print",
    }


async def _print(request: Request, device: Device, slip: Slip) -> dict[str, str]:
    """Print on the kiosk's network printer; a failure is reported, never raised."""
    if not device.printer:
        return {"status": "browser"}
    try:
        await asyncio.to_thread(send, device.printer, job(slip))
    except PrintFailed:
        log.warning("kiosk %s: printing failed", device.id, exc_info=True)
        message = say(
            request,
            "Printer tidak merespons — tiket Anda tetap berlaku. "
            "Foto atau pindai kode QR di layar.",
            "The printer is not responding — your ticket is still valid. "
            "Take a photo of the QR code on the screen or scan it.",
        )
        return {"status": "failed", "message": message}
    return {"status": "printed"}


async def _issued_answer(
    request: Request, device: Device, outcome_events: list[ev.Event]
) -> JSONResponse:
    issued = next(e for e in outcome_events if isinstance(e, ev.TicketIssued))
    queue: VenueQueue = services(request).queue
    ticket = queue.state.tickets.get(issued.ticket)
    if ticket is None:  # a retry answered after the day rolled over: nothing to show
        raise problem(request, "unknown_visit")
    slip = slip_for(request, ticket)
    printing = await _print(request, device, slip)
    return JSONResponse(
        {"ok": True, "ticket": _ticket_json(request, slip, ticket.visit), "print": printing}
    )


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
    return page(request, "visitors/kiosk.html")


async def overview(request: Request) -> JSONResponse:
    device = await _kiosk(request)
    if device is None:
        raise problem(request, "unpaired")
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
    if device is None:
        raise problem(request, "unpaired")
    body = await _body(request, IssueBody)
    if len(body.itinerary) > MAX_ITINERARY:
        raise invalid(
            request,
            f"paling banyak {MAX_ITINERARY} layanan lanjutan",
            f"at most {MAX_ITINERARY} more services",
        )
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
    if device is None:
        raise problem(request, "unpaired")
    body = await _body(request, CheckInBody)
    code = body.booking.strip()
    if not 1 <= len(code) <= 64:
        raise invalid(
            request,
            "kode pemesanan kosong atau terlalu panjang",
            "the booking code is empty or too long",
        )
    guard = services(request).kiosk_lockouts.booking
    if guard.locked_for(device.id):
        raise problem(request, "check_in_locked", minutes=guard.minutes(device.id))
    queue: VenueQueue = services(request).queue
    try:
        outcome = await queue.execute(cmd.CheckIn(booking=code), body.command_id, _caller(device))
    except DomainError as error:
        if error.code == "unknown_booking" and guard.wrong(device.id) == 0:
            raise problem(request, "check_in_locked", minutes=guard.minutes(device.id)) from None
        raise _refused(request, error) from None
    guard.right(device.id)
    return await _issued_answer(request, device, outcome.events)


async def request_service(request: Request) -> JSONResponse:
    device = await _kiosk(request)
    if device is None:
        raise problem(request, "unpaired")
    body = await _body(request, RequestBody)
    queue: VenueQueue = services(request).queue
    command = cmd.RequestService(tenant=body.tenant, text=body.text, channel="kiosk")
    try:
        await queue.execute(command, body.command_id, _caller(device))
    except DomainError as error:
        raise _refused(request, error) from None
    thanks = say(
        request,
        "Terima kasih. Permintaan Anda kami catat dan sampaikan kepada pengelola MPP.",
        "Thank you. We noted your request and pass it on to the venue's managers.",
    )
    return JSONResponse({"ok": True, "message": thanks})


async def print_page(request: Request) -> Response:
    """The slip as an 80 mm page, for kiosks that print through the browser.

    The visit token is the key, as on the phone page: whoever holds it may see the ticket.
    """
    visit = request.path_params["visit"]
    queue: VenueQueue = services(request).queue
    ticket = _latest_of_visit(queue.state, visit)
    if ticket is None:
        return page(request, "visitors/kiosk-print-missing.html", status_code=404)
    slip = slip_for(request, ticket)
    title = say(request, "Kode QR tiket {label}", "QR code of ticket {label}")
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
    Route("/kiosk/ticket/{visit}/print", print_page),
]
