"""Visitors' pages: the kiosk, the phone ticket page, online booking and check-in, and the
services' standards."""

from __future__ import annotations

from starlette.routing import BaseRoute

from visitors import booking, kiosk, standards, ticket

routes: list[BaseRoute] = [*kiosk.routes, *ticket.routes, *booking.routes, *standards.routes]
