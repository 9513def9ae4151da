"""`POST /api/commands`: officers' and managers' commands, checked, then executed.

The body is one JSON command with a `command_id`; the officer is the signed-in user, never
taken from the body. The id is bound to that user and the command as the server fills it
in: the same id with another command is refused as `command_id_reused` (HTTP 409). Answers
are JSON: `{"ok": true, "seq": ...}` or `{"ok": false, "code": ..., "message": ...}` with
the message in the user's language.

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
from starlette.responses import JSONResponse
from starlette.routing import Route

from server import wire
from server.accounts import User
from server.auth import csrf_ok, language, say, signed_in
from server.domain import commands as cmd
from server.domain.codes import canonical_code
from server.domain.decide import find_ticket
from server.domain.errors import DomainError
from server.domain.state import State
from server.domain.venue import Venue
from server.service import VenueQueue

MAX_BODY = 16 * 1024
READ_SECONDS = 10.0


class _Envelope(msgspec.Struct):
    command_id: str


_envelope = msgspec.json.Decoder(_Envelope)
_command = msgspec.json.Decoder(cmd.Command)


def _command_with_id(body: bytes) -> tuple[cmd.Command, str]:
    command_id = _envelope.decode(body).command_id  # first: a missing id is named first
    return _command.decode(body), command_id


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


# --- reading a body -------------------------------------------------------------------


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


async def read_json(request: Request, decode: Callable[[bytes], Value]) -> Value | JSONResponse:
    """The body as `decode` (msgspec) makes it, or the JSON refusal to answer with."""
    try:
        body = await read_body(request)
    except BodyRefused as refused:
        return problem(request, refused.code)
    try:
        return wire.decode(decode, body)
    except wire.TooDeep:
        return problem(request, "too_deep")
    except msgspec.ValidationError as error:  # before DecodeError: it is one
        indonesian, english = explain(str(error))
        return invalid(request, indonesian, english, str(error))
    except msgspec.DecodeError as error:
        return invalid(request, "isinya bukan JSON yang sah", "it is not valid JSON", str(error))


_AT = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
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
    found = _AT.search(message)
    path = found.group("path") if found else ""
    what = message[: found.start()] if found else message
    field_id, field_en = (f"kolom {path}", f"field {path}") if path else ("isinya", "the body")
    if missing := re.match(r"Object missing required field `([^`]+)`", what):
        name = f"{path}.{missing.group(1)}" if path else missing.group(1)
        return f"kolom {name} wajib diisi", f"field {name} is required"
    if expected := re.match(r"Expected `(\w+)`", what):
        kind_id, kind_en = _TYPES.get(expected.group(1), (expected.group(1),) * 2)
        if " of length <= " in what:
            return f"{field_id} terlalu panjang", f"{field_en} is too long"
        if "got" in what:
            return f"{field_id} harus berupa {kind_id}", f"{field_en} must be {kind_en}"
    if what.startswith(("Invalid value", "Invalid enum value")):
        return f"nilai {field_id} tidak dikenal", f"{field_en} has an unknown value"
    return f"{field_id} tidak sesuai", f"{field_en} does not fit"


async def command(request: Request) -> JSONResponse:
    who = await signed_in(request)
    if who is None:
        return problem(request, "signed_out")
    user, session = who
    if not csrf_ok(request, session, request.headers.get("x-csrf-token")):
        return problem(request, "csrf")
    body = await read_json(request, _command_with_id)
    if isinstance(body, JSONResponse):
        return body
    parsed, command_id = body
    if not 8 <= len(command_id) <= 64:
        return bad_command_id(request)
    queue: VenueQueue = request.app.state.queue
    if not allowed(user, parsed, queue.venue, queue.state):
        return problem(request, "forbidden")
    return await _execute(request, queue, _as_user(parsed, user), command_id, user)


async def _execute(
    request: Request, queue: VenueQueue, parsed: cmd.Command, command_id: str, user: User
) -> JSONResponse:
    try:
        outcome = await queue.execute(parsed, command_id, caller=f"user:{user.username}")
    except DomainError as error:
        body = {"ok": False, "code": error.code, "message": error.message(language(request))}
        return JSONResponse(body, status_code=409)
    events = [type(e).__name__ for e in outcome.events]
    return JSONResponse(
        {"ok": True, "seq": outcome.last_seq, "duplicate": outcome.duplicate, "events": events}
    )


def allowed(user: User, command: cmd.Command, venue: Venue, state: State) -> bool:
    """Whether `user` may send `command`: tenants act only on their own counters and lanes."""
    managing = user.role in ("manager", "admin")
    if isinstance(command, cmd.SetRunningText | cmd.RollDay):
        return managing
    if isinstance(command, cmd.AcknowledgeAlert):
        return managing or user.role == "supervisor"
    if isinstance(command, cmd.SetTenantNotice):
        return managing or (user.role == "supervisor" and user.tenant == command.tenant)
    if isinstance(command, cmd.IssueTicket):
        service = venue.services.get(command.service)
        return command.channel == "staff" and _for_tenant(user, service.tenant if service else None)
    if isinstance(command, cmd.ReturnTicket | cmd.CancelTicket):
        ticket = find_ticket(state, command.ticket)
        # An unknown ticket is for the domain to name; a known one must be of the user's tenant.
        return ticket is None or _for_tenant(user, venue.service(ticket.service).tenant or None)
    if isinstance(command, cmd.CheckIn | cmd.CancelBooking):
        booking = state.bookings.get(canonical_code(command.booking))
        return booking is None or _for_tenant(user, venue.service(booking.service).tenant or None)
    if isinstance(command, cmd.RecordTurnAway | cmd.RequestService | cmd.BookVisit):
        return False  # visitors' own channels (kiosk, booking page) send these
    counter = venue.counters.get(command.counter)
    # An unknown counter is for the domain to name; only known ones need a tenant check.
    return counter is None or user.may_use_counter(counter.id, counter.tenant)


def _for_tenant(user: User, tenant: str | None) -> bool:
    return user.role in ("manager", "admin") or (tenant is not None and user.tenant == tenant)


def _as_user(command: cmd.Command, user: User) -> cmd.Command:
    if isinstance(command, cmd.SetRunningText | cmd.AcknowledgeAlert | cmd.SetTenantNotice):
        return msgspec.structs.replace(command, by=user.username)
    if isinstance(command, cmd.CancelBooking):
        return msgspec.structs.replace(command, by=user.username)
    if isinstance(command, cmd.IssueTicket) and command.priority:
        return msgspec.structs.replace(command, confirmed_by=user.username)
    if hasattr(command, "officer"):
        return msgspec.structs.replace(command, officer=user.username)
    return command


routes = [Route("/api/commands", command, methods=["POST"])]
