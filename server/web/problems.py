"""Refusals: one exception, one answer shape, one handler.

A route (or a guard it calls) raises `Problem`; the handler `server.app` registers answers
`{"ok": false, "code", "message"[, "detail"][, more]}` with the problem's status. `code` is
for machines, `message` for people, in the caller's language (Indonesian unless they chose
English); `detail`, when present, keeps a library's own words for developers. A guard whose
answer is a page (sign in first, the forbidden page) raises `Answered` with it instead.
"""

from __future__ import annotations

from typing import Any, cast

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ExceptionHandler
from starlette.websockets import WebSocket, WebSocketState

from server.domain.errors import DomainError
from server.i18n import N_
from server.messages import explain
from server.web.auth import language, say

PROBLEMS: dict[str, tuple[int, str]] = {
    "signed_out": (401, N_("Sesi Anda berakhir. Silakan masuk lagi.")),
    "csrf": (403, N_("Permintaan ditolak (token keamanan tidak cocok). Muat ulang halaman.")),
    "forbidden": (403, N_("Anda tidak berwenang untuk tindakan ini.")),
    "too_large": (413, N_("Permintaan terlalu besar.")),
    "too_slow": (408, N_("Isi permintaan tidak terkirim lengkap tepat waktu. Silakan coba lagi.")),
    "too_deep": (400, N_("Permintaan tidak valid: isinya bersarang terlalu dalam.")),
    "bad_request": (400, N_("Permintaan tidak valid: {why}.")),
    "wrong_device": (
        403,
        N_(
            "Perangkat ini dipasangkan sebagai {actual}, bukan {wanted}. Minta admin memasangkan"
            " {wanted} dengan antrean devices add --kind {kind}."
        ),
    ),
}


class Problem(Exception):
    """A refusal, answered as JSON: raise it from a route or anything a route calls."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        detail: str = "",
        headers: dict[str, str] | None = None,
        **more: Any,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.detail, self.headers, self.more = detail, headers, more

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"ok": False, "code": self.code, "message": self.message}
        if self.detail:
            body["detail"] = self.detail
        body |= self.more
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class Answered(Exception):
    """A guard's answer that is not JSON (a redirect to sign in, a page saying why not)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def problem(request: Request, code: str, detail: str = "", **params: object) -> Problem:
    """The refusal `code` from `PROBLEMS` in the user's language; `detail` is for developers."""
    return from_table(request, PROBLEMS, code, detail, **params)


def from_table(
    conn: HTTPConnection,
    table: dict[str, tuple[int, str]],
    code: str,
    detail: str = "",
    **params: object,
) -> Problem:
    """The refusal `code` of a room's table of (status, Indonesian msgid)."""
    status, msgid = table[code]
    return Problem(status, code, say(conn, msgid, **params), detail=detail)


def refused(conn: HTTPConnection, error: DomainError, **more: Any) -> Problem:
    """The domain's refusal of a command (HTTP 409), in the user's language."""
    return Problem(409, error.code, explain(error, language(conn)), **more)


def bad_command_id(request: Request) -> Problem:
    return invalid(request, "kolom command_id harus 8-64 karakter")


def invalid(request: Request, msgid: str, detail: str = "", **params: object) -> Problem:
    """A 400 `bad_request` saying why (the catalogue's `msgid`), in the user's language."""
    return problem(request, "bad_request", detail, why=say(request, msgid, **params))


async def _answer_problem(conn: HTTPConnection, error: Exception) -> Response | None:
    assert isinstance(error, Problem)
    if isinstance(conn, WebSocket):
        await close_socket(conn, CLOSE_REFUSED, error.code)
        return None
    return error.response()


async def _answer_answered(conn: HTTPConnection, error: Exception) -> Response | None:
    assert isinstance(error, Answered)
    if isinstance(conn, WebSocket):
        await close_socket(conn, CLOSE_REFUSED, "refused")
        return None
    return error.response


async def close_socket(ws: WebSocket, code: int, reason: str) -> None:
    """A handler's answer on a websocket, which has no body to carry one: accepted first
    if need be (a refused handshake reaches a browser only as 1006), then closed."""
    if ws.application_state == WebSocketState.DISCONNECTED:
        return
    if ws.application_state == WebSocketState.CONNECTING:
        await ws.accept()
    await ws.close(code=code, reason=reason)


# A refusal on a socket: 4403 with the refusal's code as the reason.
CLOSE_REFUSED = 4403
# What `server.app` registers (with `server.web.faults.HANDLERS`). Starlette calls the same
# handler for requests and websockets, while its type names the two apart: hence the cast.
HANDLERS: dict[Any, ExceptionHandler] = {
    Problem: cast(ExceptionHandler, _answer_problem),
    Answered: cast(ExceptionHandler, _answer_answered),
}
