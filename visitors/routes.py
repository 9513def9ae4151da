"""Visitors' pages: the kiosk, the phone ticket page, online booking and check-in."""

from __future__ import annotations

from starlette.routing import BaseRoute

from visitors import kiosk

routes: list[BaseRoute] = [*kiosk.routes]
