"""`POST /api/commands`: officers' and managers' commands, checked, then executed.

The body is one JSON command with a `command_id`; the officer is the signed-in user, never
taken from the body. The id is bound to that user and the command as the server fills it
in: the same id with another command is refused as `command_id_reused` (HTTP 409). Answers
are JSON: `{"ok": true, "seq": ...}` or `{"ok": false, "code": ..., "message": ...}` with
the message in the user's language.
"""

from __future__ import annotations

from typing import get_args

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.accounts import User
from server.domain import commands as cmd
from server.domain.codes import canonical_code
from server.domain.decide import find_ticket
from server.domain.errors import DomainError
from server.domain.state import State
from server.domain.venue import Venue
from server.service import VenueQueue
from server.services import services
from server.web.bodies import read_json
from server.web.guards import api_user
from server.web.problems import bad_command_id, problem, refused


class _Envelope(msgspec.Struct):
    command_id: str


_envelope = msgspec.json.Decoder(_Envelope)
_command = msgspec.json.Decoder(cmd.Command)


def _command_with_id(body: bytes) -> tuple[cmd.Command, str]:
    command_id = _envelope.decode(body).command_id  # first: a missing id is named first
    return _command.decode(body), command_id


async def command(request: Request) -> JSONResponse:
    user, _ = await api_user(request)
    parsed, command_id = await read_json(request, _command_with_id)
    if not 8 <= len(command_id) <= 64:
        raise bad_command_id(request)
    queue: VenueQueue = services(request).queue
    if not allowed(user, parsed, queue.venue, queue.state):
        raise problem(request, "forbidden")
    return await _execute(request, queue, _as_user(parsed, user), command_id, user)


async def _execute(
    request: Request, queue: VenueQueue, parsed: cmd.Command, command_id: str, user: User
) -> JSONResponse:
    try:
        outcome = await queue.execute(parsed, command_id, caller=f"user:{user.username}")
    except DomainError as error:
        raise refused(request, error) from None
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
    if isinstance(command, _COUNTER_COMMANDS):
        counter = venue.counters.get(command.counter)
        # An unknown counter is for the domain to name; only known ones need a tenant check.
        return counter is None or user.may_use_counter(counter.id, counter.tenant)
    # Turn-aways, service requests, bookings and surveys come from the visitors' own
    # channels (kiosk, booking page, phone page, survey tablet) and the import command;
    # staff never answer for a visitor, and a new command is refused until it is listed.
    return False


_COUNTER_COMMANDS = get_args(cmd.CounterCommand)


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
