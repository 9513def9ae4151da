"""Managers' pages: the live dashboard, tenant notices and the displays' running text.

Managers (and admins) see the whole venue; a tenant's supervisor sees only that tenant;
everyone else gets the forbidden page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from managers import ikm_wording
from server.accounts import User
from server.domain import ikm
from server.service import VenueQueue
from server.services import services
from server.web.auth import Session, language
from server.web.guards import page_user
from server.web.pages import page
from server.web.problems import Answered

MANAGERS = ("manager", "admin")


def watchable_tenants(user: User, queue: VenueQueue) -> list[str]:
    """The tenants `user` may watch: all for managers, their own for a supervisor."""
    if user.role in MANAGERS:
        return list(queue.venue.tenants)
    if user.role == "supervisor" and user.tenant in queue.venue.tenants:
        return [user.tenant]
    return []


async def manager_access(request: Request) -> tuple[User, Session, list[str]]:
    """The signed-in manager or supervisor with the tenants they may see; anyone else is
    `Answered` (sign in first, or the forbidden page)."""
    user, session = await page_user(request)
    tenants = watchable_tenants(user, services(request).queue)
    if not tenants:
        raise Answered(page(request, "managers/forbidden.html", status_code=403, user=user))
    return user, session, tenants


async def dashboard(request: Request) -> Response:
    user, session, tenants = await manager_access(request)
    topic = "manager:all" if user.role in MANAGERS else f"manager:{tenants[0]}"
    lang = language(request)
    words = {
        "unsur": {key: ikm_wording.unsur_name(key, lang) for key in ikm.KEYS},
        "kinerja": {value: ikm_wording.kinerja(value, lang) for value in ikm_wording.KINERJA},
    }
    return page(
        request,
        "managers/dashboard.html",
        user=user,
        csrf=session.csrf,
        topic=topic,
        ikm_words=words,
    )


async def notices(request: Request) -> Response:
    user, session, tenants = await manager_access(request)
    queue: VenueQueue = services(request).queue
    rows = [(queue.venue.tenants[t], queue.state.notices.get(t, "")) for t in tenants]
    return page(
        request,
        "managers/notices.html",
        user=user,
        csrf=session.csrf,
        rows=rows,
        managing=user.role in MANAGERS,
    )


async def running_text(request: Request) -> Response:
    user, session = await page_user(request)
    if user.role not in MANAGERS:
        return page(request, "managers/forbidden.html", status_code=403, user=user)
    queue: VenueQueue = services(request).queue
    current = queue.state.running_text
    text = queue.venue.running_text if current is None else current
    return page(request, "managers/running_text.html", user=user, csrf=session.csrf, text=text)


routes = [
    Route("/manager", dashboard),
    Route("/manager/notices", notices),
    Route("/manager/running-text", running_text),
]
