"""Reading a submitted form within limits, or the page that says why it could not be read."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from server.web.auth import say
from server.web.bodies import BodyRefused, read_body
from server.web.pages import page
from server.web.problems import Answered

# Our forms are a few short fields: far below Starlette's defaults (1000 fields of 1 MB).
FORM_BYTES = 64 * 1024
FORM_FIELDS = 50
FORM_FIELD_BYTES = 16 * 1024

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


async def read_form(request: Request) -> FormData:
    """The submitted form, read within the body limits (size, time, fields); when it cannot
    be read, `Answered` with the page saying so in the visitor's language."""
    try:
        body = await read_body(request, FORM_BYTES)
    except BodyRefused as refused:
        raise _form_problem(request, refused.code) from None
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
        raise _form_problem(request, "bad_form") from None


async def _once(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body


def _form_problem(request: Request, code: str) -> Answered:
    status, indonesian, english = _FORM_PROBLEMS[code]
    message = say(request, indonesian, english)
    return Answered(page(request, "form_problem.html", status_code=status, message=message))
