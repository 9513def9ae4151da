"""What every room's pages share: the template environment, static files, language."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from server.api import BodyRefused, read_body
from server.auth import language, say

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("server", "displays", "counters", "visitors", "managers")
# Our forms are a few short fields: far below Starlette's defaults (1000 fields of 1 MB).
FORM_BYTES = 64 * 1024
FORM_FIELDS = 50
FORM_FIELD_BYTES = 16 * 1024


def _environment() -> Environment:
    loaders = [FileSystemLoader(ROOT / room / "templates") for room in ROOMS]
    return Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape())


templates = Jinja2Templates(env=_environment())


def static_mounts() -> list[BaseRoute]:
    """`/static/<room>/...` for each room that has a `static` folder."""
    return [
        Mount(
            f"/static/{room}", StaticFiles(directory=ROOT / room / "static"), name=f"{room}-static"
        )
        for room in ROOMS
        if (ROOT / room / "static").is_dir()
    ]


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a room's template with the language and the helpers every page uses.

    `t("Indonesian", "English")` picks the sentence for the visitor's language.
    """
    lang = language(request)
    context |= {
        "lang": lang,
        "t": functools.partial(say, request),
        "venue": request.app.state.venue,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    if "lang" in request.query_params:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


# --- forms ----------------------------------------------------------------------------

_FORM_PROBLEMS = {
    "too_large": (
        413,
        "Isian formulir terlalu besar. Kembali, periksa isiannya, lalu kirim lagi.",
        "The form is too large. Go back, check what you entered and send it again.",
    ),
    "too_slow": (
        408,
        "Formulir tidak terkirim lengkap tepat waktu. Periksa koneksi Anda lalu kirim lagi.",
        "The form did not arrive in time. Check your connection and send it again.",
    ),
    "bad_form": (
        400,
        "Formulir tidak dapat dibaca. Muat ulang halaman lalu isi lagi.",
        "The form could not be read. Reload the page and fill it in again.",
    ),
}


async def read_form(request: Request) -> FormData | HTMLResponse:
    """The submitted form, read within the body limits (size, time, fields); or the page,
    in the visitor's language, to answer with when it cannot be read."""
    try:
        body = await read_body(request, FORM_BYTES)
    except BodyRefused as refused:
        return _form_problem(request, refused.code)
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    try:
        if content_type == b"multipart/form-data":
            return await MultiPartParser(
                request.headers,
                _once(body),
                max_files=0,
                max_fields=FORM_FIELDS,
                max_part_size=FORM_FIELD_BYTES,
            ).parse()
        parser = FormParser(
            request.headers, _once(body), max_fields=FORM_FIELDS, max_part_size=FORM_FIELD_BYTES
        )
        return await parser.parse()
    except MultiPartException:
        return _form_problem(request, "bad_form")


async def _once(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body


def _form_problem(request: Request, code: str) -> HTMLResponse:
    status, indonesian, english = _FORM_PROBLEMS[code]
    return page(
        request, "form_problem.html", status_code=status, message=say(request, indonesian, english)
    )
