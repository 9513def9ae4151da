"""The counter console: pick a counter, then call, serve and finish tickets there."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from counters.views import CounterProjection
from server.accounts import User
from server.domain.venue import Counter, Service, Venue
from server.services import services
from server.web.guards import page_user
from server.web.pages import page


class TransferGroup(msgspec.Struct, frozen=True):
    """One tenant's services or counters in the transfer dialog."""

    tenant: str
    name: str
    services: list[Service]
    counters: list[Counter]


def transfer_groups(venue: Venue, here: Counter) -> list[TransferGroup]:
    """Every service and every other counter of the venue, grouped by tenant, own first."""
    groups = []
    for tenant in venue.tenants.values():
        services = [s for s in venue.services.values() if s.tenant == tenant.id]
        counters = [c for c in venue.counters.values() if c.tenant == tenant.id and c.id != here.id]
        if services or counters:
            name = tenant.short_name or tenant.name
            groups.append(TransferGroup(tenant.id, name, services, counters))
    return sorted(groups, key=lambda g: g.tenant != here.tenant)


def _usable(user: User, venue: Venue) -> list[Counter]:
    return [c for c in venue.counters.values() if user.may_use_counter(c.id, c.tenant)]


async def pick(request: Request) -> Response:
    user, session = await page_user(request)
    venue: Venue = services(request).venue
    counters = _usable(user, venue)
    if len(counters) == 1:
        return RedirectResponse(f"/counter/{counters[0].id}", status_code=303)
    return page(
        request,
        "counters/pick.html",
        user=user,
        counters=counters,
        tenants=venue.tenants,
        csrf=session.csrf,
    )


async def console(request: Request) -> Response:
    counter_id = request.path_params["counter"]
    user, session = await page_user(request)
    venue: Venue = services(request).venue
    counter = venue.counters.get(counter_id)
    if counter is None or not user.may_use_counter(counter.id, counter.tenant):
        return page(
            request,
            "counters/forbidden.html",
            status_code=404 if counter is None else 403,
            unknown=counter is None,
            user=user,
            counter_id=counter_id,
            csrf=session.csrf,
            may_pick=bool(_usable(user, venue)),
        )
    views: CounterProjection = services(request).counter_views
    tenant = venue.tenants[counter.tenant]
    return page(
        request,
        "counters/console.html",
        user=user,
        counter=counter,
        tenant_name=tenant.short_name or tenant.name,
        csrf=session.csrf,
        groups=transfer_groups(venue, counter),
        initial=views.view(f"counter:{counter.id}"),
        # The page's clock may be off; timers correct by the difference to the server's.
        server_now=services(request).queue.clock().isoformat(),
    )


routes = [Route("/counter", pick), Route("/counter/{counter}", console)]
