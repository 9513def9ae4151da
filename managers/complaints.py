"""`/manager/pengaduan`: the reports the public filed, handled to their deadlines.

The venue's managers see every report and take every step: verify or reject what came in,
forward it to the tenant it concerns, follow it up themselves or close it. A tenant's
supervisor sees the reports about their tenant and answers those forwarded to it (follow
up, close); what is still waiting for the venue's verification they can read but not move.
A confidential (*rahasia*) report's contact is hidden from supervisors.

Each step is a plain form (works without scripts), guarded by the session's CSRF token.
Its command id names the report and the step, so a double press is one step, and a second
handler pressing the same step on a stale page is told it was already taken.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from managers.routes import MANAGERS, manager_access
from server import dates
from server.accounts import User
from server.domain import commands as cmd
from server.domain import complaints
from server.domain.codes import canonical_code
from server.domain.complaints import CLOSED, Complaint, Status
from server.domain.errors import DomainError
from server.i18n import N_
from server.messages import complaint_kind, complaint_status, explain
from server.services import services
from server.web.auth import csrf_ok, language, say
from server.web.forms import read_form
from server.web.pages import page

PAGE_SIZE = 200
SHOWN: dict[str, str] = {
    "terbuka": N_("Terbuka"),
    "lewat": N_("Lewat tenggat"),
    "selesai": N_("Ditutup"),
    "semua": N_("Semua"),
}

# What each step's button says (the status it leads to is named by complaint_status).
ACTIONS: dict[str, str] = {
    "diverifikasi": N_("Verifikasi"),
    "ditolak": N_("Tolak"),
    "diteruskan": N_("Teruskan ke instansi"),
    "ditindaklanjuti": N_("Tindak lanjuti"),
    "selesai": N_("Tutup dengan jawaban"),
}


class Row(NamedTuple):
    complaint: Complaint
    kind: str
    status: str
    tenant: str
    filed: str
    left: int | None
    overdue: bool


def may_see(user: User, complaint: Complaint) -> bool:
    return user.role in MANAGERS or (user.role == "supervisor" and complaint.tenant == user.tenant)


def steps_for(user: User, complaint: Complaint) -> list[Status]:
    """The steps `user` may take on `complaint` now."""
    nexts = [s for s, before in complaints.STEPS.items() if complaint.status in before]
    if user.role in MANAGERS:
        return nexts
    # A supervisor answers what was forwarded to their tenant.
    if complaint.status in ("diteruskan", "ditindaklanjuti") and complaint.tenant == user.tenant:
        return [s for s in nexts if s in ("ditindaklanjuti", "selesai")]
    return []


def show_contact(user: User, complaint: Complaint) -> bool:
    return user.role in MANAGERS or not complaint.confidential


async def list_page(request: Request) -> Response:
    user, _, _ = await manager_access(request)
    parts = services(request)
    venue, state, now = parts.venue, parts.queue.state, parts.clock()
    shown = request.query_params.get("tampil", "terbuka")
    if shown not in SHOWN:
        shown = "terbuka"
    lang = language(request)
    # The user's open reports and which are late: the tabs' counts, and each row's flag
    # (a closed report runs no deadline).
    mine = [state.complaints[c] for c in state.open_complaints]
    mine = [c for c in mine if may_see(user, c)]
    late = {c.code for c in mine if complaints.overdue(venue, c, now)}
    if shown in ("terbuka", "lewat"):
        listed = [c for c in mine if shown == "terbuka" or c.code in late]
    else:
        listed = [c for c in state.complaints.values() if may_see(user, c)]
        listed = [c for c in listed if shown == "semua" or c.status in CLOSED]
    rows = [_row(request, c, c.code in late, now, lang) for c in listed]
    # Overdue first, then the nearest deadline, then the newest.
    rows.sort(key=lambda r: (not r.overdue, r.left is None, r.left or 0, -_stamp(r)))
    counts = {"open": len(mine), "overdue": len(late)}
    return page(
        request,
        "managers/complaints.html",
        user=user,
        rows=rows[:PAGE_SIZE],
        more=max(0, len(rows) - PAGE_SIZE),
        shown=shown,
        choices=SHOWN,
        counts=counts,
    )


def _stamp(row: Row) -> float:
    return row.complaint.filed_at.timestamp()


def _row(request: Request, complaint: Complaint, overdue: bool, now: dt.datetime, lang: str) -> Row:
    venue = services(request).venue
    tenant = venue.tenants.get(complaint.tenant)
    return Row(
        complaint=complaint,
        kind=complaint_kind(complaint.kind, lang),
        status=complaint_status(complaint.status, lang),
        tenant=(tenant.short_name or tenant.name) if tenant else "",
        filed=dates.format_date(venue.local(complaint.filed_at).date(), lang, weekday=False),
        left=complaints.working_days_left(venue, complaint, now),
        overdue=overdue,
    )


async def detail_page(request: Request, error: str = "", status: int = 200) -> Response:
    user, session, _ = await manager_access(request)
    parts = services(request)
    code = canonical_code(request.path_params["code"])
    complaint = parts.queue.state.complaints.get(code)
    if complaint is None or not may_see(user, complaint):
        return page(request, "managers/complaint_missing.html", status_code=404, user=user)
    venue, now, lang = parts.venue, parts.clock(), language(request)
    deadline = complaints.due(venue, complaint)
    return page(
        request,
        "managers/complaint.html",
        status_code=status,
        user=user,
        csrf=session.csrf,
        row=_row(request, complaint, complaints.overdue(venue, complaint, now), now, lang),
        steps=[
            (
                complaint_status(s.status, lang),
                _when(request, s.at),
                s.by,
                s.note,
            )
            for s in complaint.steps
        ],
        deadline=long_day(request, deadline) if deadline else "",
        actions=steps_for(user, complaint),
        names=ACTIONS,
        tenants=sorted(venue.tenants.values(), key=lambda t: t.name),
        contact=complaint.contact_masked if show_contact(user, complaint) else "",
        contact_hidden=bool(complaint.contact_masked) and not show_contact(user, complaint),
        error=error,
    )


def long_day(request: Request, deadline: dt.datetime) -> str:
    """The last working day of a deadline (which ends at 24.00), in words."""
    return dates.format_date(complaints.last_day(deadline), language(request), weekday=True)


def _when(request: Request, at: dt.datetime) -> str:
    local = services(request).venue.local(at)
    return f"{dates.format_date(local.date(), language(request), weekday=False)}, {local:%H.%M}"


async def take_step(request: Request) -> Response:
    user, session, _ = await manager_access(request)
    form = await read_form(request)
    code = canonical_code(request.path_params["code"])
    if not csrf_ok(request, session, str(form.get("csrf", ""))):
        return await detail_page(
            request, say(request, "Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi."), 403
        )
    parts = services(request)
    complaint = parts.queue.state.complaints.get(code)
    if complaint is None or not may_see(user, complaint):
        return await detail_page(request)
    wanted = str(form.get("status", ""))
    if wanted not in steps_for(user, complaint):
        if wanted in complaints.STEPS and complaint.status not in complaints.STEPS[wanted]:
            error = DomainError(
                "complaint_step_invalid", complaint=code, status=complaint.status, to=wanted
            )
            return await detail_page(request, explain(error, language(request)), 409)
        return await detail_page(
            request, say(request, "Anda tidak dapat mengambil langkah itu pada laporan ini."), 403
        )
    command = cmd.AdvanceComplaint(
        complaint=code,
        status=wanted,
        note=str(form.get("note", ""))[: complaints.MAX_NOTE + 100],
        tenant=str(form.get("tenant", "")) if wanted == "diteruskan" else "",
        by=user.username,
    )
    try:
        await parts.queue.execute(command, f"complaint-{code}-{wanted}", f"user:{user.username}")
    except DomainError as error:
        if error.code == "command_id_reused":
            error = DomainError(
                "complaint_step_invalid", complaint=code, status=complaint.status, to=wanted
            )
        return await detail_page(request, explain(error, language(request)), 409)
    return RedirectResponse(f"/manager/pengaduan/{code}", status_code=303)


async def photo(request: Request) -> Response:
    user, _, _ = await manager_access(request)
    parts = services(request)
    complaint = parts.queue.state.complaints.get(canonical_code(request.path_params["code"]))
    if complaint is None or not complaint.photo or not may_see(user, complaint):
        return Response(status_code=404)
    data = await parts.photos.read(complaint.photo)
    if data is None:
        return Response(status_code=404)
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


routes = [
    Route("/manager/pengaduan", list_page, methods=["GET"]),
    Route("/manager/pengaduan/{code}", detail_page, methods=["GET"]),
    Route("/manager/pengaduan/{code}", take_step, methods=["POST"]),
    Route("/manager/pengaduan/{code}/foto", photo, methods=["GET"]),
]
