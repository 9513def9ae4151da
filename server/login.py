"""The sign-in and sign-out pages, and the front page that lists the screens."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.accounts import AccountBook
from server.auth import COOKIE, SESSION_HOURS, csrf_ok, same_origin, say, signed_in
from server.demo import display_token
from server.web import page, read_form

LOGIN_COOKIE = "antrean_login"


async def index(request: Request) -> Response:
    settings = request.app.state.settings
    zones = list(request.app.state.venue.zones.values())
    tokens = {z.id: display_token(z.id) for z in zones} if settings.demo else {}
    return page(request, "index.html", zones=zones, tokens=tokens, demo=settings.demo)


async def login_form(request: Request, error: str = "", username: str = "") -> Response:
    # Login CSRF: a double-submit token, since there is no session yet.
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    nxt = _safe_next(request.query_params.get("next", ""))
    response = page(
        request,
        "login.html",
        status_code=401 if error else 200,
        csrf=token,
        next=nxt,
        error=error,
        username=username,
    )
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict")
    return response


async def login(request: Request) -> Response:
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    expected = request.cookies.get(LOGIN_COOKIE)
    sent = str(form.get("csrf", ""))
    if not (
        same_origin(request)
        and expected
        and secrets.compare_digest(sent.encode(), expected.encode())
    ):
        return await login_form(
            request,
            say(
                request,
                "Formulir kedaluwarsa, silakan coba lagi.",
                "The form expired; please try again.",
            ),
            username,
        )
    book: AccountBook = request.app.state.accounts
    user = (await book.refresh()).authenticate(username, password)
    if user is None:
        return await login_form(
            request,
            say(request, "Nama pengguna atau kata sandi salah.", "Wrong username or password."),
            username,
        )
    cookie, _ = request.app.state.sessions.issue(user.username)
    target = _safe_next(str(form.get("next", ""))) or "/counter"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE, cookie, max_age=SESSION_HOURS * 3600, httponly=True, samesite="strict"
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


async def logout(request: Request) -> Response:
    who = await signed_in(request)
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    if who is not None and csrf_ok(request, who[1], str(form.get("csrf", ""))):
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response
    return RedirectResponse("/", status_code=303)


def _safe_next(target: str) -> str:
    # Only paths on this site: never an open redirect to another host.
    return target if target.startswith("/") and not target.startswith("//") else ""


routes = [
    Route("/", index),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
