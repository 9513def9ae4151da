"""The sign-in and sign-out pages, and the front page that lists the screens.

A password check is an argon2 hash (~0.3 s of CPU): it runs in a worker thread, a few at
once (`HashSlots`), and when too many wait the answer is "busy" at once instead of a pile-up.
Wrong passwords are throttled per username and per client address (`SignIns`, counted for
every process alike); a locked attempt never reaches argon2, so it cannot tell whether the
password was right.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import os
import re
import secrets
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.accounts import SESSION_HOURS, AccountBook, AccountError, User
from server.demo import display_token
from server.i18n import ngettext
from server.privacy import mask_email, mask_number
from server.services import services
from server.store.counts import Counts, Rule
from server.web.auth import (
    COOKIE,
    client_address,
    csrf_ok,
    language,
    over_https,
    same_origin,
    say,
    signed_in,
)
from server.web.forms import read_form
from server.web.limits import Guard
from server.web.pages import page

LOGIN_COOKIE = "antrean_login"
audit = logging.getLogger("antrean.audit")
T = TypeVar("T")

# Per username: 5 wrong passwords within 15 minutes lock it for 1 minute, doubling with
# every lockout after (2, 4, 8 ... at most 60 minutes) until a right password. Per address
# the same, after 30.
USER_RULE = Rule(limit=5, window=15 * 60, first=60.0, longest=3600.0)
ADDRESS_RULE = msgspec.structs.replace(USER_RULE, limit=30)
HASH_NICENESS = 10


class HashSlots:
    """Password hashing in worker threads, `size` at once, at most `waiting` more queued.

    The threads are their own pool at a lower CPU priority (Linux: per thread, and argon2's
    lane threads inherit it), so under a flood of sign-ins the event loop, and with it every
    screen, still gets the CPU first; an idle loop leaves the hashes all of it.
    """

    def __init__(self, size: int, waiting: int) -> None:
        self._pool = ThreadPoolExecutor(size, "antrean-hash", initializer=_lower_priority)
        self._limit, self._inside = size + waiting, 0

    @property
    def full(self) -> bool:
        """Every slot taken and enough waiting: answer "busy" rather than queue more."""
        return self._inside >= self._limit

    async def run(self, work: Callable[[], T]) -> T:
        self._inside += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work)
        finally:
            self._inside -= 1


def _lower_priority() -> None:
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)


class SignIns:
    """The sign-in guards: the two throttles (in the venue's shared counts, so several
    processes on one Redis throttle as one) and this process's hashing slots.

    `wall` is the clock of the lockouts on the accounts log (other processes' too).
    """

    def __init__(
        self, counts: Counts, wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    ) -> None:
        self.wall = wall
        self.users = Guard(counts, "sign-in:user", USER_RULE)
        self.addresses = Guard(counts, "sign-in:address", ADDRESS_RULE)
        # argon2 releases the GIL; more hashes at once than cores only make each one slower.
        size = max(2, min(4, os.cpu_count() or 1))
        self.slots = HashSlots(size, waiting=4 * size)

    async def locked_for(self, username: str, address: str) -> float:
        return max(await self.users.held_for(username), await self.addresses.held_for(address))


async def index(request: Request) -> Response:
    settings = services(request).settings
    zones = list(services(request).venue.zones.values())
    tokens = {z.id: display_token(z.id) for z in zones} if settings.demo else {}
    return page(request, "index.html", zones=zones, tokens=tokens, demo=settings.demo)


async def login_form(request: Request) -> Response:
    return _form(request)


def _form(request: Request, error: str = "", username: str = "", status: int = 200) -> Response:
    # Login CSRF: a double-submit token, since there is no session yet.
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    nxt = _safe_next(request.query_params.get("next", ""))
    response = page(
        request,
        "login.html",
        status_code=status,
        csrf=token,
        next=nxt,
        error=error,
        username=username,
    )
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=over_https(request)
    )
    return response


async def login(request: Request) -> Response:
    form = await read_form(request)
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    expected = request.cookies.get(LOGIN_COOKIE)
    sent = str(form.get("csrf", ""))
    if not (
        same_origin(request)
        and expected
        and secrets.compare_digest(sent.encode(), expected.encode())
    ):
        message = say(request, "Formulir kedaluwarsa, silakan coba lagi.")
        return _form(request, message, username, 401)
    name, address = _typed_name(username), client_address(request)
    guards = services(request).sign_ins
    accounts = await services(request).accounts.refresh()
    locked = max(await guards.locked_for(name, address), accounts.locked_for(name, guards.wall()))
    if locked:
        _audit(name, address, "locked")
        return _locked(request, username, locked)
    if guards.slots.full:
        _audit(name, address, "busy")
        return _busy(request, username)
    # Counted as a failure of the name and of the address before the check, each in one
    # step of the shared counts, so tries running at once (here or on another process)
    # cannot slip past either limit; a right password takes them back.
    strike = await guards.users.strike(name)
    if strike.held:
        _audit(name, address, "locked")
        return _locked(request, username, strike.held)
    from_address = await guards.addresses.strike(address)
    if from_address.held:
        await guards.users.forgive(name, strike)  # not checked: no try of this name
        _audit(name, address, "locked")
        return _locked(request, username, from_address.held)
    user = await guards.slots.run(lambda: accounts.authenticate(username, password))
    if user is None:
        return await _wrong_password(request, guards, username, address, strike.hold)
    await guards.users.clear(name)
    # A right password is no failure of the address (an office behind one NAT signs in
    # many times a day); its earlier wrong ones stay counted.
    await guards.addresses.forgive(address, from_address)
    audit.info("sign_in username=%s address=%s", user.username, address)
    return _signed_in(request, user, str(form.get("next", "")))


async def _wrong_password(
    request: Request, guards: SignIns, username: str, address: str, starts_lockout: float
) -> Response:
    name = _typed_name(username)
    _audit(name, address, "wrong_password")
    if starts_lockout:
        await _record_lockout(
            services(request).accounts, name, address, starts_lockout, guards.wall()
        )
    locked = await guards.locked_for(name, address)
    if locked:
        return _locked(request, username, locked)
    message = say(request, "Nama pengguna atau kata sandi salah.")
    return _form(request, message, username, 401)


async def _record_lockout(
    book: AccountBook, name: str, address: str, seconds: float, at: dt.datetime
) -> None:
    audit.warning(
        "sign_in_locked username=%s address=%s seconds=%d",
        name,
        address,
        seconds,
        extra={"username": name, "address": address, "seconds": seconds},
    )
    if name not in book.accounts.users:
        # Only real accounts go on the log: made-up names would only fill it.
        return
    try:
        await book.record_lockout(name, address, int(seconds), at)
    except AccountError as error:  # the account went away meanwhile
        audit.error("sign_in_locked not recorded on the accounts log: %s", error)


def _signed_in(request: Request, user: User, target: str) -> Response:
    cookie, _ = services(request).sessions.issue(user.username)
    response = RedirectResponse(_safe_next(target) or "/counter", status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=over_https(request),
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


def _locked(request: Request, username: str, seconds: float) -> Response:
    message = say(
        request,
        "Terlalu banyak percobaan masuk yang salah. Coba lagi dalam {wait}.",
        wait=_wait(seconds, language(request)),
    )
    response = _form(request, message, username, 429)
    response.headers["Retry-After"] = str(math.ceil(seconds))
    return response


def _wait(seconds: float, lang: str) -> str:
    """ "3 menit" / "3 minutes"; under a minute in seconds, so nobody retries too early."""
    count, unit = (
        (math.ceil(seconds / 60), "minute") if seconds > 59 else (math.ceil(seconds), "second")
    )
    if unit == "minute":
        return ngettext(lang, "{n} menit", "{n} menit", count, n=count)
    return ngettext(lang, "{n} detik", "{n} detik", count, n=count)


def _busy(request: Request, username: str) -> Response:
    message = say(request, "Server sedang sibuk, coba lagi sebentar.")
    response = _form(request, message, username, 503)
    response.headers["Retry-After"] = "1"
    return response


def _typed_name(username: str) -> str:
    """The username as the throttle and the audit know it: normalised, printable, bounded,
    and masked where it may be someone's phone number, NIK or e-mail address typed in the
    wrong field (no username holds ten digits in a row or an "@")."""
    name = re.sub(r"[^a-z0-9._@-]", "?", username.strip().lower()[:64])
    name = re.sub(r"[0-9]{10,}", lambda digits: mask_number(digits.group()), name)
    return mask_email(name) if "@" in name else name


def _audit(name: str, address: str, reason: str) -> None:
    # Never the password: only who was named, from where, and why it was refused.
    audit.warning(
        "sign_in_failed username=%s address=%s reason=%s",
        name,
        address,
        reason,
        extra={"username": name, "address": address, "reason": reason},
    )


async def logout(request: Request) -> Response:
    who = await signed_in(request)
    form = await read_form(request)
    if who is not None and csrf_ok(request, who[1], str(form.get("csrf", ""))):
        user, session = who
        # On the accounts log: the cookie stops working on every process, not only here.
        await services(request).accounts.end_session(user.username, session.id)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response
    return RedirectResponse("/", status_code=303)


def _safe_next(target: str) -> str:
    # Only paths on this site: never an open redirect to another host.
    return target if target.startswith("/") and not target.startswith("//") else ""


routes = [
    Route("/", index),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
