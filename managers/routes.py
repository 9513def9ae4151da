"""Managers' pages. For now: the running text of the hall displays, edited live."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.auth import signed_in, to_sign_in
from server.service import VenueQueue
from server.web import page

MANAGERS = ("manager", "admin")


async def running_text(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return to_sign_in(request)
    user, session = who
    if user.role not in MANAGERS:
        return page(request, "managers/forbidden.html", status_code=403, user=user)
    queue: VenueQueue = request.app.state.queue
    current = queue.state.running_text
    text = queue.venue.running_text if current is None else current
    return page(request, "managers/running_text.html", user=user, csrf=session.csrf, text=text)


routes = [Route("/manager/running-text", running_text)]
