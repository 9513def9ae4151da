"""`/booking`: book a time slot online. Tenant -> service -> date -> slot + NIK/phone ->
confirm; the confirmation is the visit's own page `/t/<visit token>`.

Each step is a small server-rendered page (plain links and one form), so it works on a
cheap phone over a poor connection, without scripts. One booking per person per service
per day is the domain's rule, keyed by `holder`: HMAC-SHA256 under the app secret of the
normalized NIK or phone number. The NIK itself is never stored nor logged: only the digest
and a masked form ("3573********0001").

Attempts are rate-limited per client IP (`server.web.limits`): enough to slow down a script
guessing NIKs.
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import secrets
from typing import NamedTuple

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.domain import commands as cmd
from server.domain.codes import CODE_CHARS, CROCKFORD, format_code
from server.domain.decide import booking_slots, slot_taken
from server.domain.state import State
from server.domain.venue import Service, Venue
from server.i18n import N_
from server.privacy import PHONE, ascii_digits, mask_number, may_echo, seal, unseal
from server.service import VenueQueue
from server.services import services
from server.web.auth import client_address, language, say
from server.web.forms import read_form
from server.web.pages import page
from visitors.ticket import execute, form_ok, form_token, keyed_digest, long_date

NIK = re.compile(r"[0-9]{16}")

ERRORS: dict[str, str] = {
    "holder_missing": N_("Isi NIK (16 angka) atau nomor HP."),
    "nik_invalid": N_("NIK tidak valid. NIK terdiri dari 16 angka seperti tertulis di KTP/KK."),
    "phone_invalid": N_("Nomor HP tidak valid. Tulis seperti 081234567890 atau +6281234567890."),
    "slot_missing": N_("Pilih jam kedatangan."),
    "choice_invalid": N_("Pilihan tidak dikenal. Silakan mulai lagi."),
    "form_expired": N_("Formulir kedaluwarsa atau tidak sah. Silakan isi lagi."),
    "too_many": N_("Terlalu banyak percobaan dari perangkat ini. Tunggu 10 menit lalu coba lagi."),
}


class Holder(NamedTuple):
    """Who books: a NIK or a phone number, normalized, and how it may be shown."""

    kind: str  # "nik" | "phone"
    number: str

    @property
    def masked(self) -> str:
        """First four and last four digits: "3573********0001", "0812****7890"."""
        return mask_number(self.number)


def parse_holder(text: str) -> Holder | str:
    """The NIK or phone number typed, normalized; or an error code from `ERRORS`."""
    number = re.sub(r"[\s.\-()]", "", ascii_digits(text))
    if not number:
        return "holder_missing"
    if number.startswith("+62"):
        number = "0" + number[3:]
    elif number.startswith("628"):
        number = "0" + number[2:]
    if number.startswith("08"):
        return Holder("phone", number) if PHONE.fullmatch(number) else "phone_invalid"
    return Holder("nik", number) if valid_nik(number) else "nik_invalid"


def valid_nik(number: str) -> bool:
    """A NIK's shape (Permendagri 73/2022): 16 digits, a province code, a birth date (day
    plus 40 for women), a serial other than 0000. The check is of form, not existence."""
    if not NIK.fullmatch(number):
        return False
    province, day, month = int(number[:2]), int(number[6:8]), int(number[8:10])
    return (
        11 <= province <= 96
        and (1 <= day <= 31 or 41 <= day <= 71)
        and 1 <= month <= 12
        and number[12:] != "0000"
    )


def booking_code() -> str:
    """A fresh code: 60 random bits, typeable (see server.domain.codes)."""
    return format_code("".join(secrets.choice(CROCKFORD) for _ in range(CODE_CHARS)))


# --- choices ------------------------------------------------------------------------------


class DayChoice(NamedTuple):
    day: dt.date
    label: str
    note: str
    open: bool


class SlotChoice(NamedTuple):
    value: str
    label: str
    left: int
    open: bool
    note: str


def _today(request: Request) -> dt.datetime:
    queue: VenueQueue = services(request).queue
    return queue.venue.local(queue.clock())


def bookable(service: Service) -> bool:
    return service.online_quota is None or service.online_quota > 0


def day_choices(request: Request, venue: Venue, state: State, service: Service) -> list[DayChoice]:
    now = _today(request)
    lang = language(request)
    taken = collections.Counter(
        (b.day, b.slot)
        for b in state.bookings.values()
        if b.service == service.id and b.status != "cancelled"
    )
    days = [now.date() + dt.timedelta(days=n) for n in range(venue.booking.days_ahead + 1)]
    return [_day_choice(request, venue, service, day, now, taken, lang) for day in days]


def _day_choice(
    request: Request,
    venue: Venue,
    service: Service,
    day: dt.date,
    now: dt.datetime,
    taken: collections.Counter[tuple[dt.date, dt.time]],
    lang: str,
) -> DayChoice:
    label = long_date(day, lang)
    holiday = next((h for h in venue.holidays if h.date == day), None)
    if holiday is not None:
        return DayChoice(day, label, say(request, "Libur: ") + holiday.name, False)
    if venue.hours_on(day) is None:
        return DayChoice(day, label, say(request, "Tutup"), False)
    booked = sum(n for (d, _), n in taken.items() if d == day)
    if service.online_quota is not None and booked >= service.online_quota:
        return DayChoice(day, label, say(request, "Kuota online penuh"), False)
    per_slot = venue.booking.per_slot
    left = sum(
        max(0, per_slot - taken[(day, slot)])
        for slot in booking_slots(venue, service, day)
        if not _past(venue, day, slot, now)
    )
    if left == 0:
        return DayChoice(day, label, say(request, "Penuh"), False)
    return DayChoice(day, label, say(request, "{n} tempat", n=left), True)


def _past(venue: Venue, day: dt.date, slot: dt.time, now: dt.datetime) -> bool:
    start = dt.datetime.combine(day, slot, venue.tz)
    return start + dt.timedelta(minutes=venue.booking.slot_minutes) <= now


def slot_choices(
    request: Request, venue: Venue, state: State, service: Service, day: dt.date
) -> list[SlotChoice]:
    now = _today(request)
    choices: list[SlotChoice] = []
    for slot in booking_slots(venue, service, day):
        left = max(0, venue.booking.per_slot - slot_taken(state, service.id, day, slot))
        past = _past(venue, day, slot, now)
        if past:
            note = say(request, "sudah lewat")
        elif left == 0:
            note = say(request, "penuh")
        else:
            note = say(request, "sisa {n} tempat", n=left)
        choices.append(
            SlotChoice(f"{slot:%H:%M}", f"{slot:%H.%M}", left, left > 0 and not past, note)
        )
    return choices


# --- pages --------------------------------------------------------------------------------


class Picked(NamedTuple):
    """What the visitor chose so far (from the query or the form)."""

    tenant: str
    service: Service | None
    day: dt.date | None


def _picked(venue: Venue, tenant: str, service_id: str, day: str) -> Picked:
    service = venue.services.get(service_id)
    if service is not None:
        tenant = service.tenant
    try:
        chosen = dt.date.fromisoformat(day) if day and service else None
    except ValueError:
        chosen = None
    return Picked(tenant if tenant in venue.tenants else "", service, chosen)


async def booking_page(request: Request) -> Response:
    venue: Venue = services(request).venue
    query = request.query_params
    picked = _picked(venue, query.get("tenant", ""), query.get("service", ""), query.get("day", ""))
    return _render(request, picked)


def _render(
    request: Request,
    picked: Picked,
    error: str = "",
    holder: str = "",
    status: int = 200,
    chosen: str = "",
) -> Response:
    venue: Venue = services(request).venue
    state: State = services(request).queue.state
    service, day = picked.service, picked.day
    step = "tenant"
    context: dict[str, object] = {}
    if not venue.booking.enabled:
        step = "disabled"
    elif service is not None and day is not None:
        step = "slot"
        context["slots"] = slot_choices(request, venue, state, service, day)
        context["day_label"] = long_date(day, language(request))
    elif service is not None:
        step = "day"
        context["days"] = day_choices(request, venue, state, service)
    elif picked.tenant:
        step = "service"
    # A NIK or phone number already typed comes back sealed, shown masked: never in the
    # page itself (a shared phone's history, a screenshot, a proxy's cache).
    known = parse_holder(holder) if holder else None
    if isinstance(known, Holder):
        context["holder_sealed"] = seal_holder(request, known)
        context["holder_masked"] = known.masked
        holder = ""
    elif not may_echo(holder):
        # Refused for its shape (a NIK's serial 0000, a number too long): the error says
        # what to type.
        holder = ""
    response = page(
        request,
        "visitors/booking.html",
        status_code=status,
        step=step,
        picked=picked,
        tenants=_tenants(venue),
        error=error,
        holder=holder,
        chosen=chosen,
        form=form_token(request, "booking"),
        policy=venue.booking,
        bookable=bookable,
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _tenants(venue: Venue) -> list[tuple[str, str, list[Service]]]:
    grouped: dict[str, list[Service]] = {}
    for service in venue.services.values():
        grouped.setdefault(service.tenant, []).append(service)
    return [
        (t.id, t.short_name or t.name, grouped[t.id])
        for t in venue.tenants.values()
        if t.id in grouped
    ]


def _error(request: Request, code: str) -> str:
    return say(request, ERRORS[code])


async def book(request: Request) -> Response:
    venue: Venue = services(request).venue
    form = await read_form(request)
    field = {k: str(form.get(k, "")) for k in ("service", "day", "slot", "holder", "action")}
    picked = _picked(venue, "", field["service"], field["day"])
    # What was typed now, else what an earlier step of this form sealed.
    typed = field["holder"][:40].strip() or unseal_holder(
        request, str(form.get("holder_sealed", ""))
    )

    def again(code: str = "", message: str = "", status: int = 400) -> Response:
        message = message or _error(request, code)
        return _render(request, picked, message, typed, status, field["slot"])

    if not form_ok(request, "booking", str(form.get("form", ""))):
        return again("form_expired", status=403)
    if not await services(request).booking_limiter.allow(client_address(request)):
        return again("too_many", status=429)
    if picked.service is None or picked.day is None:
        return again("choice_invalid")
    slot = _slot(field["slot"])
    if slot is None:
        return again("slot_missing")
    holder = parse_holder(typed)
    if isinstance(holder, str):
        return again(holder)
    if field["action"] != "confirm":
        return _review(request, picked, slot, holder, typed)
    visit, code = secrets.token_urlsafe(16), booking_code()
    command = cmd.BookVisit(
        service=picked.service.id,
        day=picked.day,
        slot=slot,
        booking=code,
        visit=visit,
        holder=keyed_digest(request, f"{holder.kind}:{holder.number}"),
        holder_masked=holder.masked,
    )
    # Each confirmed form is a new booking, so its id is simply fresh: one made from the
    # booking code would be only as hard to guess (and take first) as the short code.
    refusal = await execute(request, command, f"book-{secrets.token_urlsafe(16)}", f"visit:{visit}")
    if refusal:
        return again(message=refusal, status=409)
    return RedirectResponse(f"/t/{visit}", status_code=303)


def _review(
    request: Request, picked: Picked, slot: dt.time, holder: Holder, typed: str
) -> Response:
    venue: Venue = services(request).venue
    assert picked.service is not None and picked.day is not None
    opens, closes = venue.check_in_window(picked.day, slot)
    response = page(
        request,
        "visitors/booking.html",
        step="review",
        picked=picked,
        tenants=_tenants(venue),
        error="",
        holder_sealed=seal_holder(request, holder),
        masked=holder.masked,
        holder_kind=holder.kind,
        slot=slot,
        check_in_from=f"{opens:%H.%M}",
        check_in_until=f"{closes:%H.%M}",
        day_label=long_date(picked.day, language(request)),
        form=form_token(request, "booking"),
        policy=venue.booking,
        bookable=bookable,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


HOLDER_PURPOSE = "booking-holder"


def seal_holder(request: Request, holder: Holder) -> str:
    """The NIK or phone number for the form's next step, sealed (`server.privacy`)."""
    return seal(services(request).secret, HOLDER_PURPOSE, holder.number)


def unseal_holder(request: Request, sealed: str) -> str:
    if not sealed or len(sealed) > 200:
        return ""
    return unseal(services(request).secret, HOLDER_PURPOSE, sealed) or ""


def _slot(text: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(text) if text else None
    except ValueError:
        return None


routes = [
    Route("/booking", booking_page, methods=["GET"]),
    Route("/booking", book, methods=["POST"]),
]
