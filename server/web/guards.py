"""Route guards: each returns what the route needs or raises the answer for everyone else.

`page_user` for pages (anyone not signed in is sent to sign in first), `api_user` for JSON
endpoints that change something (signed in, and the CSRF token of that session).
"""

from __future__ import annotations

from starlette.requests import Request

from server.accounts import User
from server.web.auth import Session, csrf_ok, signed_in, to_sign_in
from server.web.problems import Answered, problem


async def page_user(request: Request) -> tuple[User, Session]:
    """The signed-in user of a page; anyone else is sent to sign in first."""
    who = await signed_in(request)
    if who is None:
        raise Answered(to_sign_in(request))
    return who


async def api_user(request: Request) -> tuple[User, Session]:
    """The signed-in user of a state-changing JSON request, its CSRF token checked."""
    who = await signed_in(request)
    if who is None:
        raise problem(request, "signed_out")
    if not csrf_ok(request, who[1], request.headers.get("x-csrf-token")):
        raise problem(request, "csrf")
    return who
