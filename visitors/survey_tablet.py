"""The survey tablet (tablet survei): a paired device of kind `survey` where visitors rate
the service they just had (SKM), with or without their ticket.

`/survey` is a shell like the kiosk's: it takes its device token once from `?device=TOKEN`,
keeps it, and sends it in `X-Device-Token` with every call to `/survey/api/*`; a token of
another kind (a kiosk's, a display's) is refused with `wrong_device`, and the tablet's token
opens nothing else (no staff command, no zone, no kiosk). Two ways in:

- the ticket: its label as on the slip ("A-007", case and dash tolerant), typed on the
  page's keypad or a keyboard, or scanned: a hardware scanner types what it reads and
  Enter, and the slip's QR code holds the phone page's address (`/t/<visit token>`), which
  is taken as that visit's ticket. `POST /survey/api/find` says at once whether it can be
  rated (and why not: unknown, not served yet, already rated, closed), before any question;
- anonymously, for a tenant's service the visitor chooses.

Then the nine questions (the phone page's questionnaire), posted once to
`POST /survey/api/answer` with a `command_id` the page makes per response and re-sends
unchanged, so a double tap or a retry is one response (bound to this tablet, as the kiosk's
are). The domain's rules decide: one response per served ticket, open until the end of
the next service day, an anonymous one rating today's service of the chosen service.
"""

from __future__ import annotations

import re

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.accounts import Device
from server.domain import commands as cmd
from server.domain import ikm
from server.domain.decide import open_survey
from server.domain.errors import DomainError
from server.i18n import N_
from server.service import VenueQueue
from server.services import services
from server.web.bodies import DeviceCommand, read_command, read_json
from server.web.guards import paired_api
from server.web.pages import page
from server.web.problems import Problem, from_table, invalid, refused
from visitors.survey import profile_options
from visitors.ticket import Given
from visitors.views import VisitProjection

PROBLEMS: dict[str, tuple[int, str]] = {
    "unpaired": (
        403,
        N_(
            "Tablet survei belum dipasangkan. Minta admin memasangkan tablet ini (antrean devices"
            " add --kind survey) lalu buka /survey?device=TOKEN."
        ),
    ),
}
MAX_CODE = 300  # characters: a label, or the phone page's address a scanner types
# The phone page's address on the slip's QR code: its last path segment is the visit token.
_PHONE_URL = re.compile(r"/t/([A-Za-z0-9_-]{16,})/?(?:[?#].*)?$")


def _unpaired(request: Request) -> Problem:
    return from_table(request, PROBLEMS, "unpaired")


async def _tablet(request: Request) -> Device:
    return await paired_api(request, "survey", _unpaired)


def _caller(device: Device) -> str:
    """Who sends a tablet's responses, as `VenueQueue.execute` binds their ids."""
    return f"device:{device.id}"


# --- wire -----------------------------------------------------------------------------


class FindBody(msgspec.Struct, frozen=True):
    code: str


class AnswerBody(DeviceCommand, frozen=True):
    """One response: about `ticket` (an id `find` gave) or, with none, about `service`."""

    answers: dict[str, int]
    ticket: str = ""
    service: str = ""
    comment: str = ""
    respondent: cmd.Respondent = cmd.Respondent()


# --- handlers -------------------------------------------------------------------------


async def tablet_page(request: Request) -> Response:
    # A shell: whether this tablet may take responses, /survey/api/hello says (it checks
    # the device token the page keeps).
    venue = services(request).queue.venue
    tenants = [
        (tenant, [s for s in venue.services.values() if s.tenant == tenant.id])
        for tenant in venue.tenants.values()
    ]
    return page(
        request,
        "visitors/survey_tablet.html",
        tenants=[(tenant, listed) for tenant, listed in tenants if listed],
        # The keypad's letters: those the venue's prefixes are made of ("AM" is A then M).
        letters=sorted({letter for s in venue.services.values() for letter in s.prefix}),
        unsur=ikm.UNSUR,
        profile=profile_options(),
        max_comment=ikm.MAX_COMMENT,
        given=Given(),
    )


async def hello(request: Request) -> JSONResponse:
    """Whether the page's token is a survey tablet's: its name, or the refusal."""
    device = await _tablet(request)
    return JSONResponse({"ok": True, "device": {"name": device.name}})


async def find(request: Request) -> JSONResponse:
    """The ticket a typed or scanned code names, if it can be rated now; else why not."""
    await _tablet(request)
    body = await read_json(request, lambda raw: msgspec.json.decode(raw, type=FindBody))
    code = body.code.strip()
    if not 1 <= len(code) <= MAX_CODE:
        raise invalid(request, "nomor antrean kosong atau terlalu panjang")
    queue: VenueQueue = services(request).queue
    try:
        served = open_survey(queue.venue, queue.state, _ticket_ref(request, code))
    except DomainError as error:
        raise refused(request, error) from None
    service = queue.venue.service(served.service)
    tenant = queue.venue.tenants.get(service.tenant)
    return JSONResponse(
        {
            "ok": True,
            "ticket": {
                "ticket": served.ticket,
                "label": served.label,
                "service_name": service.name,
                "tenant_name": tenant.name if tenant else "",
            },
        }
    )


def _ticket_ref(request: Request, code: str) -> str:
    """What `open_survey` looks up for a code: a label or an id as typed, or, for the phone
    page's address, the visit's ticket to rate (else its latest, to say why not)."""
    match = _PHONE_URL.search(code)
    if match is None:
        return code
    visits: VisitProjection = services(request).visits
    token = match.group(1)
    pending = visits.survey(token)
    if pending is not None:
        return pending.ticket
    latest = visits.ticket(token)
    return latest.id if latest is not None else code


async def answer(request: Request) -> JSONResponse:
    """One response; a retry with the same `command_id` gets the first answer again."""
    device = await _tablet(request)
    body = await read_command(request, AnswerBody)
    if not body.ticket and not body.service:
        raise invalid(request, "pilih layanan atau ketik nomor antrean")
    command = cmd.AnswerSurvey(
        answers=body.answers,
        channel="tablet",
        ticket=body.ticket,
        service="" if body.ticket else body.service,
        comment=body.comment,
        respondent=body.respondent,
    )
    queue: VenueQueue = services(request).queue
    try:
        outcome = await queue.execute(command, body.command_id, _caller(device))
    except DomainError as error:
        raise refused(request, error) from None
    return JSONResponse({"ok": True, "duplicate": outcome.duplicate})


routes = [
    Route("/survey", tablet_page),
    Route("/survey/api/hello", hello),
    Route("/survey/api/find", find, methods=["POST"]),
    Route("/survey/api/answer", answer, methods=["POST"]),
]
