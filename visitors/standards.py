"""`/layanan`: every tenant's services with their standar pelayanan (UU 25/2009 Pasal 21),
public and without a login, so a visitor can read what to bring before leaving home.

The same partial (`visitors/_standards.html`) shows one service's standards on the kiosk
before a ticket is taken and on the phone page while waiting.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.domain.venue import Service, Tenant
from server.services import services
from server.web.pages import page


def _by_tenant(tenant: Tenant, all_services: dict[str, Service]) -> list[Service]:
    return [s for s in all_services.values() if s.tenant == tenant.id]


async def tenants_page(request: Request) -> Response:
    venue = services(request).venue
    listed = [(t, _by_tenant(t, venue.services)) for t in venue.tenants.values()]
    return page(
        request, "visitors/standards.html", tenants=[(t, s) for t, s in listed if s], tenant=None
    )


async def tenant_page(request: Request) -> Response:
    venue = services(request).venue
    tenant = venue.tenants.get(request.path_params["tenant"])
    if tenant is None:
        return page(request, "visitors/standards.html", tenants=[], tenant=None, status_code=404)
    return page(
        request,
        "visitors/standards.html",
        tenants=[],
        tenant=tenant,
        tenant_services=_by_tenant(tenant, venue.services),
        # "?layanan=ktp": the kiosk's and phone page's links open that service's standards.
        opened=request.query_params.get("layanan", ""),
    )


routes = [
    Route("/layanan", tenants_page, methods=["GET"]),
    Route("/layanan/{tenant}", tenant_page, methods=["GET"]),
]
