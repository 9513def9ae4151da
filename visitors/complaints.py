"""`/pengaduan`: the public's complaints, suggestions, missing services and praise, each with
a tracking code and its status page `/pengaduan/<code>`.

No login, like the phone page: the tracking code is the secret (60 random-looking bits,
made from the form's own nonce under the app secret, so sending the same form twice, by a
double tap or a retry on bad Wi-Fi, files one report and lands on its page).

The contact is checked and then only kept masked (for people) and sealed (for the venue
operator, `server.privacy`); an anonymous report keeps none. A photo is checked by its
bytes, cleaned of its metadata and stored in the data folder (`server.photos`). Filing is
rate-limited per address (many visitors share the venue's Wi-Fi, so the limit is loose:
it stops a flood, not a busy day), as are lookups of codes that do not exist.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Awaitable
from typing import NamedTuple

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server import dates
from server.domain import commands as cmd
from server.domain import complaints
from server.domain.codes import CODE_CHARS, CROCKFORD, canonical_code, format_code
from server.domain.complaints import Complaint
from server.domain.errors import DomainError
from server.i18n import N_
from server.messages import COMPLAINT_KINDS, complaint_kind, complaint_status, explain
from server.photos import MAX_BYTES, PhotoRefused
from server.privacy import COMPLAINT_CONTACT, may_echo, parse_contact, seal, unseal
from server.services import services
from server.web.auth import client_address, language, say
from server.web.forms import FORM_BYTES, read_form
from server.web.pages import page
from visitors.ticket import form_ok, form_token, keyed_digest, long_date, qr_svg

# A photo of 2 MB and the form's fields; a phone on poor Wi-Fi gets a minute to send it.
UPLOAD_BYTES = MAX_BYTES + FORM_BYTES
UPLOAD_SECONDS = 60.0
# What a contact sent back in a refused form is sealed for (never the log's own seal).
COMPLAINT_FORM_CONTACT = "complaint-form-contact"
MAX_CONTACT = 254

ERRORS: dict[str, str] = {
    "kind_missing": N_("Pilih jenis laporan."),
    "tenant_unknown": N_("Instansi yang dipilih tidak dikenal. Pilih lagi dari daftar."),
    "contact_invalid": N_(
        "Kontak tidak valid. Tulis nomor HP (08… atau +62…) atau alamat e-mail, atau kosongkan."
    ),
    "contact_anonymous": N_(
        "Laporan anonim tidak menyimpan kontak. Kosongkan kontak, atau hapus centang anonim."
    ),
    "photo_too_large": N_("Foto terlalu besar. Pilih foto JPEG atau PNG paling besar 2 MB."),
    "photo_not_image": N_(
        "Berkas itu bukan foto JPEG atau PNG. Pilih foto dari galeri atau kamera Anda."
    ),
    "photo_damaged": N_("Foto tidak dapat dibaca (mungkin rusak). Pilih foto lain."),
    "form_expired": N_("Formulir kedaluwarsa atau tidak sah. Silakan isi lagi."),
    "too_many": N_(
        "Terlalu banyak laporan dari jaringan ini dalam satu jam. Tunggu sebentar lalu kirim "
        "lagi, atau sampaikan langsung di meja informasi."
    ),
    "code_unknown": N_(
        "Kode pelacakan itu tidak ditemukan. Periksa lagi 12 huruf dan angkanya (contoh: "
        "ABCD-EFGH-JKMN)."
    ),
    "lookups_too_many": N_(
        "Terlalu banyak kode yang tidak ditemukan dari jaringan ini. Tunggu 10 menit lalu coba "
        "lagi."
    ),
}
TOO_LARGE = N_(
    "Laporan terlalu besar: foto paling besar 2 MB. Kembali, pilih foto yang lebih kecil, "
    "lalu kirim lagi."
)


class Given(NamedTuple):
    """What the form sent, to show it again when it cannot go through yet."""

    kind: str = ""
    tenant: str = ""
    text: str = ""
    contact: str = ""
    anonymous: bool = False
    confidential: bool = False

    @classmethod
    def of(cls, form: FormData, secret: str) -> Given:
        def text(name: str, limit: int) -> str:
            value = form.get(name, "")
            return value[:limit] if isinstance(value, str) else ""

        # What was typed now, else what the form carried back sealed after a refusal.
        contact = text("kontak", MAX_CONTACT + 20).strip()
        sealed = text("kontak_sealed", 1000)
        if not contact and sealed and form.get("anonim") != "1":
            contact = unseal(secret, COMPLAINT_FORM_CONTACT, sealed) or ""
        return cls(
            kind=text("jenis", 40),
            tenant=text("instansi", 100),
            text=text("isi", complaints.MAX_TEXT + 500),
            contact=contact,
            anonymous=form.get("anonim") == "1",
            confidential=form.get("rahasia") == "1",
        )


def tracking_code(request: Request, nonce: str) -> str:
    """The code of the report the form `nonce` files: 60 bits of a keyed digest, in the
    booking codes' alphabet."""
    bits = int(keyed_digest(request, f"complaint-code:{nonce}")[:15], 16)
    digits = "".join(CROCKFORD[(bits >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS)))
    return format_code(digits)


def status_url(request: Request, code: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/pengaduan/{code}"


# --- the form -----------------------------------------------------------------------------


async def form_page(
    request: Request,
    error: str = "",
    status: int = 200,
    given: Given | None = None,
    nonce: str = "",
    photo_lost: bool = False,
) -> Response:
    """The form; shown again after a refusal with what was sent and the same `nonce`, so
    the report it files keeps one code however often it is sent. A contact comes back
    sealed and shown masked, never in the page itself; a photo cannot come back at all
    (`photo_lost` says to choose it again)."""
    venue = services(request).venue
    if given is None:
        asked = request.query_params
        kind = asked.get("jenis", "")
        tenant = asked.get("instansi", "")
        given = Given(
            kind=kind if kind in COMPLAINT_KINDS else "",
            tenant=tenant if tenant in venue.tenants else "",
        )
    nonce = nonce or secrets.token_hex(16)
    kept = parse_contact(given.contact) if given.contact and not given.anonymous else None
    if kept is not None or given.anonymous or not may_echo(given.contact):
        # Never the typed contact in the page: sealed and masked when it is one, else gone
        # (an anonymous report keeps none).
        given = given._replace(contact="")
    response = page(
        request,
        "visitors/complaint_form.html",
        status_code=status,
        error=error,
        given=given,
        kinds=[
            (kind, complaint_kind(kind, language(request)), say(request, hint))
            for kind, (_, hint) in COMPLAINT_KINDS.items()
        ],
        tenants=sorted(venue.tenants.values(), key=lambda t: t.name),
        nonce=nonce,
        form=form_token(request, f"complaint:{nonce}"),
        min_text=complaints.MIN_TEXT,
        max_text=complaints.MAX_TEXT,
        max_photo=MAX_BYTES,
        contact_sealed=seal(services(request).secret, COMPLAINT_FORM_CONTACT, kept.value)
        if kept
        else "",
        contact_masked=kept.masked if kept else "",
        photo_lost=photo_lost,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def file_complaint(request: Request) -> Response:
    form = await read_form(
        request, limit=UPLOAD_BYTES, files=1, seconds=UPLOAD_SECONDS, too_large=TOO_LARGE
    )
    try:
        return await _file(request, form)
    finally:
        await form.close()  # the photo's spooled file


async def _file(request: Request, form: FormData) -> Response:
    parts = services(request)
    given = Given.of(form, parts.secret)
    nonce = str(form.get("nonce", ""))[:64]
    if not nonce or not form_ok(request, f"complaint:{nonce}", str(form.get("form", ""))):
        return await form_page(request, _error(request, "form_expired"), 403, given)
    code = tracking_code(request, nonce)
    if code in parts.queue.state.complaints:
        return _to_status(code, new=True)  # sent twice: the first one stands
    photo = form.get("foto")
    data = await photo.read(MAX_BYTES + 1) if isinstance(photo, UploadFile) else b""

    def again(message: str, status: int) -> Awaitable[Response]:
        # Shown again after a refusal, the form keeps its nonce: it still files one report.
        return form_page(request, message, status, given, nonce, photo_lost=bool(data))

    problem = _check(request, given)
    if problem:
        return await again(problem, 400)
    if not await parts.complaint_limiter.allow(client_address(request)):
        return await again(_error(request, "too_many"), 429)
    photo_name = ""
    if data:
        try:
            photo_name = await parts.photos.save(data)
        except PhotoRefused as refused:
            return await again(_error(request, f"photo_{refused.code}"), 400)
    contact = parse_contact(given.contact) if given.contact else None
    command = cmd.FileComplaint(
        kind=given.kind,  # type: ignore[arg-type]  # one of the kinds: _check saw to it
        text=given.text,
        tenant=given.tenant,
        complaint=code,
        contact_masked=contact.masked if contact else "",
        contact_sealed=seal(parts.secret, COMPLAINT_CONTACT, contact.value) if contact else "",
        photo=photo_name,
        anonymous=given.anonymous,
        confidential=given.confidential,
    )
    try:
        await parts.queue.execute(command, f"complaint-{code}", f"complaint:{code}")
    except DomainError as error:
        if photo_name:
            await parts.photos.delete(photo_name)  # no report holds it
        if code in parts.queue.state.complaints:
            return _to_status(code, new=True)  # the same form, sent twice at once
        return await again(explain(error, language(request)), 400)
    return _to_status(code, new=True)


def _check(request: Request, given: Given) -> str:
    """What is wrong with the form, in the visitor's words; "" when it may go on (the
    domain checks again; checking here keeps a refused report from storing its photo)."""
    if given.kind not in COMPLAINT_KINDS:
        return _error(request, "kind_missing")
    if given.tenant and given.tenant not in services(request).venue.tenants:
        return _error(request, "tenant_unknown")
    if not complaints.text_fits(given.text):
        error = DomainError(
            "complaint_text_length", low=complaints.MIN_TEXT, high=complaints.MAX_TEXT
        )
        return explain(error, language(request))
    if given.contact:
        if given.anonymous:
            return _error(request, "contact_anonymous")
        if len(given.contact) > MAX_CONTACT or parse_contact(given.contact) is None:
            return _error(request, "contact_invalid")
    return ""


def _error(request: Request, code: str) -> str:
    return say(request, ERRORS[code])


def _to_status(code: str, new: bool = False) -> Response:
    return RedirectResponse(f"/pengaduan/{code}{'?baru=1' if new else ''}", status_code=303)


# --- tracking -----------------------------------------------------------------------------


class StepView(NamedTuple):
    status: str
    name: str
    day: str
    time: str
    tenant: str
    note: str


async def status_page(request: Request) -> Response:
    typed = request.path_params["code"]
    code = canonical_code(typed)
    if code != typed:
        return _to_status(code)
    parts = services(request)
    complaint = parts.queue.state.complaints.get(code)
    if complaint is None:
        return await _unknown(request)
    lang = language(request)
    venue = parts.venue
    deadline = complaints.due(venue, complaint)
    response = page(
        request,
        "visitors/complaint_status.html",
        complaint=complaint,
        kind_name=complaint_kind(complaint.kind, lang),
        status_name=complaint_status(complaint.status, lang),
        tenant_name=_tenant_name(request, complaint.tenant),
        steps=[_step_view(request, complaint, s) for s in complaint.steps],
        deadline=_deadline_words(request, complaint, deadline),
        filed_on=long_date(venue.local(complaint.filed_at).date(), lang),
        new=request.query_params.get("baru") == "1",
        url=status_url(request, code),
        qr=qr_svg(status_url(request, code)),
    )
    # The address is the report's key: never cached, never sent elsewhere as a referrer.
    response.headers["Cache-Control"] = "no-store"
    return response


async def lookup(request: Request) -> Response:
    """The "Lacak laporan" form: a typed code, to its page."""
    typed = request.query_params.get("kode", "")[:40]
    code = canonical_code(typed)
    if not code:
        return RedirectResponse("/pengaduan#lacak", status_code=303)
    if code in services(request).queue.state.complaints:
        return _to_status(code)
    return await _unknown(request, typed)


async def _unknown(request: Request, typed: str = "") -> Response:
    scanning = not await services(request).tracking_limiter.allow(client_address(request))
    return page(
        request,
        "visitors/complaint_unknown.html",
        status_code=429 if scanning else 404,
        error=_error(request, "lookups_too_many" if scanning else "code_unknown"),
        typed=typed,
    )


def _tenant_name(request: Request, tenant: str) -> str:
    found = services(request).venue.tenants.get(tenant)
    return found.name if found else ""


def _step_view(request: Request, complaint: Complaint, step: complaints.Step) -> StepView:
    venue = services(request).venue
    local = venue.local(step.at)
    return StepView(
        status=step.status,
        name=complaint_status(step.status, language(request)),
        day=dates.format_date(local.date(), language(request), weekday=False),
        time=f"{local:%H.%M}",
        tenant=_tenant_name(request, complaint.tenant) if step.status == "diteruskan" else "",
        note=step.note if step.status in ("ditindaklanjuti", "selesai", "ditolak") else "",
    )


def _deadline_words(request: Request, complaint: Complaint, deadline: dt.datetime | None) -> str:
    if deadline is None:
        return ""
    last = long_date(complaints.last_day(deadline), language(request))
    if complaint.status == "diterima":
        return say(request, "Diverifikasi paling lambat {day}.", day=last)
    return say(request, "Ditindaklanjuti paling lambat {day}.", day=last)


routes = [
    Route("/pengaduan", form_page, methods=["GET"]),
    Route("/pengaduan", file_complaint, methods=["POST"]),
    Route("/pengaduan/lacak", lookup, methods=["GET"]),
    Route("/pengaduan/{code}", status_page, methods=["GET"]),
]
