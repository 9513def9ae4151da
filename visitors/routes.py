"""Visitors' pages: the kiosk, the phone ticket page, the survey tablet, online booking and
check-in, and the services' standards."""

from __future__ import annotations

from starlette.routing import BaseRoute

from visitors import booking, kiosk, standards, survey_tablet, ticket

routes: list[BaseRoute] = [
    *kiosk.routes,
    *ticket.routes,
    *survey_tablet.routes,
    *booking.routes,
    *standards.routes,
]
