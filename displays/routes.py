"""Hall displays: one full-screen page per zone, paired with a device token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.services import services
from server.web.pages import page


async def display(request: Request) -> Response:
    zone_id = request.path_params["zone"]
    venue = services(request).venue
    zone = venue.zones.get(zone_id)
    if zone is None:
        return page(request, "displays/unknown.html", status_code=404, zone_id=zone_id)
    # The page is only a shell: its data comes over /ws, which checks the device token.
    # The hall clock shows the venue clock (demos and tests set it), not the screen's.
    now = services(request).clock().isoformat()
    return page(request, "displays/display.html", zone=zone, server_now=now)


routes = [Route("/display/{zone}", display)]
