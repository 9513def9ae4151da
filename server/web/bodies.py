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
from server.web import wire
from server.web.problems import invalid, problem

MAX_BODY = 16 * 1024
READ_SECONDS = 10.0


class BodyRefused(Exception):
    """The body cannot be read: `code` is "too_large" or "too_slow" (from PROBLEMS)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, at most `limit` bytes (declared or streamed), read within
    `READ_SECONDS`; else BodyRefused."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyRefused("too_large")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(READ_SECONDS):
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
        indonesian, english = explain(str(error))
        raise invalid(request, indonesian, english, str(error)) from None
    except msgspec.DecodeError as error:
        raise invalid(
            request, "isinya bukan JSON yang sah", "it is not valid JSON", str(error)
        ) from None


_TYPES = {
    "str": ("teks", "text"),
    "int": ("bilangan bulat", "a whole number"),
    "float": ("angka", "a number"),
    "bool": ("true atau false", "true or false"),
    "array": ("daftar", "a list"),
    "object": ("objek", "an object"),
    "null": ("kosong (null)", "null"),
}


def explain(message: str) -> tuple[str, str]:
    """msgspec's validation message in (Indonesian, English) words a person can act on:
    "Expected `str`, got `int` - at `$.counter`" -> "kolom counter harus berupa teks"."""
    what, at = validation.parse(message)
    path = at.removeprefix(".")
    field_id, field_en = (f"kolom {path}", f"field {path}") if path else ("isinya", "the body")
    if (field := validation.field(what)) and field[0] == "missing required":
        name = f"{path}.{field[1]}" if path else field[1]
        return f"kolom {name} wajib diisi", f"field {name} is required"
    # Only a plain type is worded; "int | null" and the like fall through to "does not fit".
    if (expected := validation.expected(what)) and re.fullmatch(r"\w+", expected):
        kind_id, kind_en = _TYPES.get(expected, (expected,) * 2)
        if " of length <= " in what:
            return f"{field_id} terlalu panjang", f"{field_en} is too long"
        if "got" in what:
            return f"{field_id} harus berupa {kind_id}", f"{field_en} must be {kind_en}"
    if what.startswith(("Invalid value", "Invalid enum value")):
        return f"nilai {field_id} tidak dikenal", f"{field_en} has an unknown value"
    return f"{field_id} tidak sesuai", f"{field_en} does not fit"
