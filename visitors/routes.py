"""Visitors' pages: the kiosk, the phone ticket page, the survey tablet, online booking and
check-in, the services' standards, and complaints and aspirations."""

from __future__ import annotations

from starlette.routing import BaseRoute

from visitors import booking, complaints, kiosk, standards, survey_tablet, ticket

routes: list[BaseRoute] = [
    *kiosk.routes,
    *ticket.routes,
    *survey_tablet.routes,
    *booking.routes,
    *standards.routes,
    *complaints.routes,
]
