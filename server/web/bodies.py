"""Reading a request body within limits: size, time, nesting; and saying what does not fit.

Every JSON body the app reads goes through `read_json`: at most `MAX_BODY` bytes, read
within `READ_SECONDS` (a client that declares a length and then stalls is answered 408),
nested at most `wire.MAX_DEPTH` deep (msgspec recurses on nesting; thousands of `[` would end
in a RecursionError), and a body that does not fit is told, in Indonesian, which field is
wrong and how (`detail` keeps msgspec's own words for developers).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TypeVar

import msgspec
from starlette.requests import Request

from server import validation
from server.i18n import N_, gettext
from server.web import wire
from server.web.auth import language
from server.web.problems import bad_command_id, invalid, problem

MAX_BODY = 16 * 1024
READ_SECONDS = 10.0


class BodyRefused(Exception):
    """The body cannot be read: `code` is "too_large" or "too_slow" (from PROBLEMS)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def read_body(
    request: Request, limit: int = MAX_BODY, seconds: float = READ_SECONDS
) -> bytes:
    """The request body, at most `limit` bytes (declared or streamed), read within
    `seconds`; else BodyRefused."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyRefused("too_large")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyRefused("too_large")
                chunks.append(chunk)
    except TimeoutError:
        raise BodyRefused("too_slow") from None
    return b"".join(chunks)


Value = TypeVar("Value")


async def read_json(request: Request, decode: Callable[[bytes], Value]) -> Value:
    """The body as `decode` (msgspec) makes it; else it raises the refusal to answer with."""
    try:
        body = await read_body(request)
    except BodyRefused as refused:
        raise problem(request, refused.code) from None
    try:
        return wire.decode(decode, body)
    except wire.TooDeep:
        raise problem(request, "too_deep") from None
    except msgspec.ValidationError as error:  # before DecodeError: it is one
        why = explain(str(error), language(request))
        raise problem(request, "bad_request", str(error), why=why) from None
    except msgspec.DecodeError as error:
        raise invalid(request, "isinya bukan JSON yang sah", str(error)) from None


class DeviceCommand(msgspec.Struct, frozen=True):
    """A paired device's request that sends a command: a `command_id` made by its page and
    re-sent unchanged on every retry (so a retry, or a double tap, is the same command)."""

    command_id: str


Command = TypeVar("Command", bound=DeviceCommand)


async def read_command(request: Request, kind: type[Command]) -> Command:
    """A device's command body as `kind`, its `command_id` 8-64 characters; else it raises."""
    parsed = await read_json(request, lambda body: msgspec.json.decode(body, type=kind))
    if not 8 <= len(parsed.command_id) <= 64:
        raise bad_command_id(request)
    return parsed


_TYPES = {
    "str": N_("teks"),
    "int": N_("bilangan bulat"),
    "float": N_("angka"),
    "bool": N_("true atau false"),
    "array": N_("daftar"),
    "object": N_("objek"),
    "null": N_("kosong (null)"),
}


def explain(message: str, lang: str = "id") -> str:
    """msgspec's validation message in words a person can act on, in `lang`:
    "Expected `str`, got `int` - at `$.counter`" -> "kolom counter harus berupa teks"."""
    what, at = validation.parse(message)
    path = at.removeprefix(".")
    field = gettext(lang, "kolom {path}", path=path) if path else gettext(lang, "isinya")
    if (missing := validation.field(what)) and missing[0] == "missing required":
        name = f"{path}.{missing[1]}" if path else missing[1]
        return gettext(lang, "kolom {name} wajib diisi", name=name)
    # Only a plain type is worded; "int | null" and the like fall through to "does not fit".
    if (expected := validation.expected(what)) and re.fullmatch(r"\w+", expected):
        kind = gettext(lang, _TYPES[expected]) if expected in _TYPES else expected
        if " of length <= " in what:
            return gettext(lang, "{field} terlalu panjang", field=field)
        if "got" in what:
            return gettext(lang, "{field} harus berupa {kind}", field=field, kind=kind)
    if what.startswith(("Invalid value", "Invalid enum value")):
        return gettext(lang, "nilai {field} tidak dikenal", field=field)
    return gettext(lang, "{field} tidak sesuai", field=field)
