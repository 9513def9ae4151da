"""The one place that turns "the event log cannot be reached" into an answer.

Any route may raise `StoreUnavailable` (from the store, through the service or the account
book); none catches it. Registered as a Starlette exception handler in `server.app`, this
answers it: 503 with Retry-After, as JSON `{"ok": false, "code": "store_unavailable", ...}`
for machines (the APIs, or whoever asks for JSON), as an Indonesian page that reloads itself
for people, and on `/ws` an accepted socket closed with 1013 ("try again later"), because a
handshake refused with HTTP reaches a browser only as an anonymous 1006.

A command that got the 503 may or may not have landed; the page scripts resend it with the
same command_id, which the log answers with the first outcome if it did.
"""

from __future__ import annotations

import logging
from typing import Any, cast
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ExceptionHandler
from starlette.websockets import WebSocket

from server.store import StoreUnavailable
from server.web.auth import say
from server.web.pages import page
from server.web.problems import Problem, close_socket

log = logging.getLogger(__name__)

CODE = "store_unavailable"
# Seconds a client should wait before asking again: a Redis restart takes about this long.
RETRY_AFTER = 5
CLOSE_TRY_AGAIN_LATER = 1013
_JSON_PATHS = ("/api/", "/kiosk/api/", "/survey/api/")


async def store_unavailable(conn: HTTPConnection, error: Exception) -> Response | None:
    """Starlette's handler for `StoreUnavailable`, on HTTP requests and websockets alike."""
    log.warning("%s %s: %s", conn.scope["type"], conn.url.path, error)
    if isinstance(conn, WebSocket):
        await close_socket(conn, CLOSE_TRY_AGAIN_LATER, "store unavailable, try again later")
        return None
    assert isinstance(conn, Request)
    headers = {"Retry-After": str(RETRY_AFTER)}
    if wants_json(conn):
        return Problem(503, CODE, message(conn), headers=headers).response()
    response = page(
        conn,
        "outage.html",
        status_code=503,
        message=message(conn),
        retry_after=RETRY_AFTER,
        reload=reload_target(conn),
    )
    response.headers.update(headers)
    return response


def message(conn: HTTPConnection) -> str:
    return say(
        conn, "Data antrean sedang tidak dapat dihubungi. Sistem mencoba lagi; tunggu sebentar."
    )


def reload_target(request: Request) -> str:
    """Where the outage page reloads: the page itself, or, after a form (a meta refresh is a
    GET, and a POST-only address answers it 405), the page the form was on when it is ours,
    else the front page."""
    if request.method in ("GET", "HEAD"):
        return ""
    try:
        referer = urlsplit(request.headers.get("referer", ""))
    except ValueError:
        return "/"
    path = referer.path
    # Our own pages only, and never "//host/..." (to a browser that is another site).
    ours = referer.netloc == request.headers.get("host") and path[:1] == "/" != path[1:2]
    if not ours or path == request.url.path:
        return "/"
    return path + (f"?{referer.query}" if referer.query else "")


def wants_json(request: Request) -> bool:
    path = request.url.path
    accept = request.headers.get("accept", "")
    return path.startswith(_JSON_PATHS) or "application/json" in accept


# What `server.app` registers. Starlette calls the same handler for requests and websockets,
# while its type names the two apart: hence the cast.
HANDLERS: dict[Any, ExceptionHandler] = {
    StoreUnavailable: cast(ExceptionHandler, store_unavailable)
}
