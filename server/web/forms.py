"""Reading a submitted form within limits, or the page that says why it could not be read."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from server.i18n import N_
from server.web.auth import say
from server.web.bodies import READ_SECONDS, BodyRefused, read_body
from server.web.pages import page
from server.web.problems import Answered

# Our forms are a few short fields: far below Starlette's defaults (1000 fields of 1 MB).
FORM_BYTES = 64 * 1024
FORM_FIELDS = 50
FORM_FIELD_BYTES = 16 * 1024

_FORM_PROBLEMS: dict[str, tuple[int, str]] = {
    "too_large": (
        413,
        N_("Isian formulir terlalu besar. Kembali, periksa isiannya, lalu kirim lagi."),
    ),
    "too_slow": (
        408,
        N_("Formulir tidak terkirim lengkap tepat waktu. Periksa koneksi Anda lalu kirim lagi."),
    ),
    "bad_form": (400, N_("Formulir tidak dapat dibaca. Muat ulang halaman lalu isi lagi.")),
}


async def read_form(
    request: Request,
    *,
    limit: int = FORM_BYTES,
    files: int = 0,
    seconds: float = READ_SECONDS,
    too_large: str = "",
) -> FormData:
    """The submitted form, read within the body limits (size, time, fields, `files` files);
    when it cannot be read, `Answered` with the page saying so in the visitor's language
    (`too_large`, when given, is what to say of a body over `limit`)."""
    try:
        body = await read_body(request, limit, seconds)
    except BodyRefused as refused:
        raise _form_problem(request, refused.code, too_large) from None
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    try:
        if content_type == b"multipart/form-data":
            return await MultiPartParser(
                request.headers,
                _once(body),
                max_files=files,
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


def _form_problem(request: Request, code: str, too_large: str = "") -> Answered:
    status, msgid = _FORM_PROBLEMS[code]
    if code == "too_large" and too_large:
        msgid = too_large
    message = say(request, msgid)
    return Answered(page(request, "form_problem.html", status_code=status, message=message))
