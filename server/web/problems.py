"""Refusals a machine reads: `{"ok": false, "code", "message"[, "detail"]}` with a status.

`message` is in the caller's language (Indonesian unless they chose English); `detail`, when
present, keeps the library's own words for developers.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from server.web.auth import say

PROBLEMS: dict[str, tuple[int, str, str]] = {
    "signed_out": (
        401,
        "Sesi Anda berakhir. Silakan masuk lagi.",
        "Your session ended. Please sign in again.",
    ),
    "csrf": (
        403,
        "Permintaan ditolak (token keamanan tidak cocok). Muat ulang halaman.",
        "Request refused (security token mismatch). Reload the page.",
    ),
    "forbidden": (403, "Anda tidak berwenang untuk tindakan ini.", "You may not do this."),
    "too_large": (413, "Permintaan terlalu besar.", "The request is too large."),
    "too_slow": (
        408,
        "Isi permintaan tidak terkirim lengkap tepat waktu. Silakan coba lagi.",
        "The request body did not arrive in time. Please try again.",
    ),
    "too_deep": (
        400,
        "Permintaan tidak valid: isinya bersarang terlalu dalam.",
        "Invalid request: it is nested too deeply.",
    ),
    "bad_request": (400, "Permintaan tidak valid: {why}.", "Invalid request: {why}."),
}


def problem(request: Request, code: str, detail: str = "", **params: object) -> JSONResponse:
    """A refusal from `PROBLEMS` in the user's language; `detail` is for developers."""
    status, indonesian, english = PROBLEMS[code]
    message = say(request, indonesian, english).format(**params)
    body = {"ok": False, "code": code, "message": message}
    if detail:
        body["detail"] = detail
    return JSONResponse(body, status_code=status)


def bad_command_id(request: Request) -> JSONResponse:
    return invalid(
        request,
        "kolom command_id harus 8-64 karakter",
        "field command_id must be 8-64 characters",
    )


def invalid(request: Request, indonesian: str, english: str, detail: str = "") -> JSONResponse:
    """A 400 `bad_request` saying why, in the user's language."""
    return problem(request, "bad_request", detail, why=say(request, indonesian, english))
