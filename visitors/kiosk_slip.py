"""The ticket a kiosk hands out: the slip (printed by the kiosk's printer or the browser),
the phone page's address and its QR code."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
import segno
from starlette.requests import Request

from audio.guide import ticket_words
from server.accounts import Device
from server.domain.estimate import WaitRange, wait_range
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


def wait_of(request: Request, ticket: Ticket) -> WaitRange | None:
    """The wait of a ticket in the queue; None once called, or if its service has left."""
    if ticket.status != "waiting":
        return None
    queue: VenueQueue = services(request).queue
    return wait_range(queue.venue, queue.state, ticket, queue.clock())


def slip_for(request: Request, ticket: Ticket, found: WaitRange | None) -> Slip:
    """The slip of `ticket`, with its wait `found` (`wait_of`)."""
    queue: VenueQueue = services(request).queue
    venue, lang = queue.venue, language(request)
    service = venue.service(ticket.service)
    tenant = venue.tenants[service.tenant]
    ahead, wait = (found.ahead, wait_text(found, lang)) if found is not None else (0, "")
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


def ticket_json(
    request: Request, ticket: Ticket, slip: Slip, found: WaitRange | None, *, printed: bool
) -> dict[str, Any]:
    """The ticket as the kiosk shows it: its `slip`'s fields, the phone page and its QR, and
    what voice guidance says of it (`found`: its wait, from `wait_of`)."""
    venue = services(request).venue
    title = say(request, "Kode QR tiket {label}")
    fields: dict[str, Any] = msgspec.to_builtins(slip)
    service = venue.service(ticket.service)
    spoken = ticket_words(ticket.label, service, found, printed=printed, style=venue.announcements)
    return fields | {
        "say": spoken,
        "visit": ticket.visit,
        "path": f"/t/{ticket.visit}",
        "qr": qr_svg(slip.url, title.format(label=slip.label)),
        "print_url": f"/kiosk/ticket/{ticket.visit}/print",
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
