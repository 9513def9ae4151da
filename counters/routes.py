"""The counter console: pick a counter, then call, serve and finish tickets there."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.auth import signed_in
from server.views import Projection
from server.web import page


async def pick(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return RedirectResponse("/login?next=/counter", status_code=303)
    user, session = who
    venue = request.app.state.venue
    counters = [c for c in venue.counters.values() if user.may_use_counter(c.id, c.tenant)]
    if len(counters) == 1:
        return RedirectResponse(f"/counter/{counters[0].id}", status_code=303)
    return page(request, "counters/pick.html", user=user, counters=counters, csrf=session.csrf)


async def console(request: Request) -> Response:
    counter_id = request.path_params["counter"]
    who = await signed_in(request)
    if who is None:
        return RedirectResponse(f"/login?next=/counter/{counter_id}", status_code=303)
    user, session = who
    venue = request.app.state.venue
    counter = venue.counters.get(counter_id)
    if counter is None or not user.may_use_counter(counter.id, counter.tenant):
        return page(
            request, "counters/forbidden.html", status_code=403, user=user, counter_id=counter_id
        )
    projection: Projection = request.app.state.projection
    return page(
        request,
        "counters/console.html",
        user=user,
        counter=counter,
        csrf=session.csrf,
        services=[venue.services[s] for s in venue.services],
        counters=list(venue.counters.values()),
        initial=projection.view(f"counter:{counter.id}"),
    )


routes = [Route("/counter", pick), Route("/counter/{counter}", console)]
