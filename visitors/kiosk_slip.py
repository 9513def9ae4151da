"""The ticket a kiosk hands out: the slip (printed by the kiosk's printer or the browser),
the phone page's address and its QR code."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
import segno
from starlette.requests import Request

from server.accounts import Device
from server.domain.estimate import wait_range
from server.domain.state import Ticket
from server.service import VenueQueue
from server.services import services
from server.web.auth import language, say
from visitors.kiosk_tiles import (
    moment_text,
)
from visitors.printing import PrintFailed, Slip, job, send
from visitors.views import wait_text

log = logging.getLogger(__name__)


def phone_url(request: Request, visit: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/t/{visit}"


def complaints_url(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}/pengaduan"


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
            ahead, wait = found.ahead, wait_text(found, lang)
    return Slip(
        venue=venue.name,
        tenant=tenant.short_name or tenant.name,
        service=service.name,
        label=ticket.label,
        ahead=ahead,
        wait=wait,
        issued=moment_text(venue, ticket.issued_at, lang),
        url=phone_url(request, ticket.visit),
        complaints_url=complaints_url(request),
        priority=ticket.priority,
        next_services=tuple(venue.service(s).name for s in ticket.itinerary),
        lang=lang,
    )


def ticket_json(request: Request, slip: Slip, visit: str) -> dict[str, Any]:
    title = say(request, "Kode QR tiket {label}")
    fields: dict[str, Any] = msgspec.to_builtins(slip)
    return fields | {
        "visit": visit,
        "path": f"/t/{visit}",
        "qr": qr_svg(slip.url, title.format(label=slip.label)),
        "print_url": f"/kiosk/ticket/{visit}/print",
    }


async def print_slip(request: Request, device: Device, slip: Slip) -> dict[str, str]:
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
        )
        return {"status": "failed", "message": message}
    return {"status": "printed"}
