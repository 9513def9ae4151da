"""Route guards: each returns what the route needs or raises the answer for everyone else.

`page_user` for pages (anyone not signed in is sent to sign in first), `api_user` for JSON
endpoints that change something (signed in, and the CSRF token of that session),
`paired_api` for a device's JSON API (its token, of the right kind).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from server.accounts import Device, DeviceKind, User
from server.i18n import NP_
from server.web.auth import Session, csrf_ok, paired_device, psay, signed_in, to_sign_in
from server.web.problems import Answered, Problem, problem

DEVICE_HEADER = "x-device-token"
DEVICE_WORDS: dict[DeviceKind, tuple[str, str]] = {
    "display": NP_("device kind", "layar ruang tunggu"),
    "kiosk": NP_("device kind", "anjungan"),
    "survey": NP_("device kind", "tablet survei"),
}


async def page_user(request: Request) -> tuple[User, Session]:
    """The signed-in user of a page; anyone else is sent to sign in first."""
    who = await signed_in(request)
    if who is None:
        raise Answered(to_sign_in(request))
    return who


async def api_user(request: Request) -> tuple[User, Session]:
    """The signed-in user of a state-changing JSON request, its CSRF token checked."""
    who = await signed_in(request)
    if who is None:
        raise problem(request, "signed_out")
    if not csrf_ok(request, who[1], request.headers.get("x-csrf-token")):
        raise problem(request, "csrf")
    return who


async def paired_api(
    request: Request, kind: DeviceKind, unpaired: Callable[[Request], Problem]
) -> Device:
    """The active device of `kind` behind the request's `X-Device-Token`.

    No token, an unknown or a revoked one raises the room's `unpaired(request)`; a token of
    another kind (a display's or a survey tablet's at the kiosk) raises `wrong_device`,
    naming both kinds, so whoever set the device up sees what to fix.
    """
    device = await paired_device(request, request.headers.get(DEVICE_HEADER))
    if device is None:
        raise unpaired(request)
    if device.kind != kind:
        actual, wanted = (
            psay(request, *DEVICE_WORDS[device.kind]),
            psay(request, *DEVICE_WORDS[kind]),
        )
        raise problem(request, "wrong_device", actual=actual, wanted=wanted, kind=kind)
    return device
