"""Visitors' pages: the kiosk, the phone ticket page, online booking and check-in, the
services' standards, and complaints and aspirations."""

from __future__ import annotations

from starlette.routing import BaseRoute

from visitors import booking, complaints, kiosk, standards, ticket

routes: list[BaseRoute] = [
    *kiosk.routes,
    *ticket.routes,
    *booking.routes,
    *standards.routes,
    *complaints.routes,
]
