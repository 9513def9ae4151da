"""Who may do what: officers, supervisors, managers, admins, and paired screens.

Accounts are events in a log of their own (`<venue>.accounts`) on the same backend as the
queue, so every process sees a new user or a revoked screen at once, and every change is
on record. Passwords are argon2 hashes; device tokens are kept only as SHA-256 digests.
Ending sessions is on the log too (signing out, or every session of a user at once), and so
is each lockout of an account after too many wrong passwords.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable
from functools import singledispatch
from typing import Literal

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.clock import utc_now
from server.domain.events import snake_tag
from server.store import Conflict, EventLog, StoreUnavailable

Role = Literal["officer", "supervisor", "manager", "admin"]
# A hall display watches its zone; a kiosk issues tickets; a survey tablet takes survey
# responses (the zone says where it stands).
DeviceKind = Literal["display", "kiosk", "survey"]
DEVICE_KINDS: tuple[DeviceKind, ...] = ("display", "kiosk", "survey")
ROLES: tuple[Role, ...] = ("officer", "supervisor", "manager", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
_hasher = PasswordHasher()
# A PIN is six digits typed on a kiosk to confirm a priority ticket. Its hash must be cheap
# to check: the kiosk finds the staff member by trying the PIN against every PIN on file.
# Guessing is stopped by the kiosk's lockout (5 wrong PINs, then 5 minutes), not by cost.
_pin_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PIN = re.compile(r"^[0-9]{6}$")
PRINTER = re.compile(r"^[A-Za-z0-9.-]+:[0-9]{1,5}$")
# A session lives this long at most; an ended one is forgotten after it, as it expired anyway.
SESSION_HOURS = 12


class _AccountEvent(msgspec.Struct, frozen=True, tag_field="type", tag=snake_tag):
    at: dt.datetime


class UserAdded(_AccountEvent, frozen=True):
    username: str
    name: str
    role: Role
    tenant: str | None
    counters: tuple[str, ...]
    password_hash: str


class PasswordSet(_AccountEvent, frozen=True):
    username: str
    password_hash: str


class UserDisabled(_AccountEvent, frozen=True):
    username: str


class PinSet(_AccountEvent, frozen=True):
    """A staff member's kiosk PIN (for confirming priority tickets), as an argon2 hash."""

    username: str
    pin_hash: str


class DeviceAdded(_AccountEvent, frozen=True):
    device: str
    kind: DeviceKind
    zone: str
    name: str
    token_digest: str
    # A kiosk's network ESC/POS printer as "host:port"; empty when it prints by the browser.
    printer: str = ""


class DevicePrinterSet(_AccountEvent, frozen=True):
    device: str
    printer: str


class DeviceRevoked(_AccountEvent, frozen=True):
    device: str


class SessionEnded(_AccountEvent, frozen=True):
    """One session ended (its user signed out): its cookie opens nothing any more."""

    username: str
    session: str


class SessionsEnded(_AccountEvent, frozen=True):
    """Every session of the user issued before `at` ended (`antrean users sign-out`)."""

    username: str


class SignInLocked(_AccountEvent, frozen=True):
    """Too many wrong passwords for this account: sign-ins refused for `seconds` (on record)."""

    username: str
    address: str
    seconds: int


AccountEvent = (
    UserAdded
    | PasswordSet
    | UserDisabled
    | PinSet
    | DeviceAdded
    | DevicePrinterSet
    | DeviceRevoked
    | SessionEnded
    | SessionsEnded
    | SignInLocked
)
_decoder = msgspec.json.Decoder(AccountEvent)


class User(msgspec.Struct, frozen=True):
    username: str
    name: str
    role: Role
    tenant: str | None
    counters: tuple[str, ...]
    password_hash: str
    active: bool = True
    pin_hash: str = ""

    def may_use_counter(self, counter: str, tenant: str) -> bool:
        """Officers and supervisors act only for their tenant; officers only at their counters."""
        if self.role in ("manager", "admin"):
            return True
        if self.tenant != tenant:
            return False
        return self.role == "supervisor" or not self.counters or counter in self.counters


class Device(msgspec.Struct, frozen=True):
    id: str
    kind: DeviceKind
    zone: str
    name: str
    token_digest: str
    active: bool = True
    printer: str = ""


class AccountError(Exception):
    """A change to the accounts that cannot be made, with a sentence saying why."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise AccountError("a password needs at least 8 characters")
    return _hasher.hash(password)


class Accounts:
    """The accounts as a fold over their events."""

    def __init__(self) -> None:
        self.seq = 0
        self.users: dict[str, User] = {}
        self.devices: dict[str, Device] = {}
        self._by_digest: dict[str, str] = {}
        # Sessions issued before a user's time here are over (password set, disabled).
        self.not_before: dict[str, dt.datetime] = {}
        # Ended session ids, and when to forget each, oldest first (the log's order).
        self._ended: dict[str, dt.datetime] = {}
        # Until when each account's latest sign-in lockout lasts (wall clock), for every
        # process: one process's wrong passwords lock the name on all of them.
        self.locked_until: dict[str, dt.datetime] = {}

    def session_ended(self, session: str, issued: float, user: User) -> bool:
        """Whether the session `session` of `user`, issued at `issued` (epoch s), has ended."""
        if session in self._ended:
            return True
        not_before = self.not_before.get(user.username)
        return not_before is not None and issued < not_before.timestamp()

    def locked_for(self, username: str, now: dt.datetime) -> float:
        """Seconds the account's recorded sign-in lockout still lasts at `now` (0: none)."""
        until = self.locked_until.get(username)
        return max(0.0, (until - now).total_seconds()) if until is not None else 0.0

    def _end_session(self, session: str, at: dt.datetime) -> None:
        # Keep memory bounded: a session ended more than its lifetime ago expired anyway.
        while self._ended:
            oldest, forget_at = next(iter(self._ended.items()))
            if forget_at > at:
                break
            del self._ended[oldest]
        self._ended[session] = at + dt.timedelta(hours=SESSION_HOURS)

    def authenticate(self, username: str, password: str) -> User | None:
        user = self.users.get(username.strip().lower())
        if user is None or not user.active:
            # Hash anyway so a wrong username takes as long as a wrong password.
            _verify(_DUMMY_HASH, password)
            return None
        return user if _verify(user.password_hash, password) else None

    def find_by_pin(self, pin: str) -> User | None:
        """The active staff member whose kiosk PIN this is, or None.

        PINs are unique among active users (`AccountBook.set_pin` sees to it), so the PIN
        alone names the person. Each check costs a cheap argon2 hash: run it off the loop.
        """
        if not PIN.match(pin):
            return None
        return next((u for u in self._pin_holders() if _verify(u.pin_hash, pin, _pin_hasher)), None)

    def _pin_holders(self) -> list[User]:
        return [u for u in self.users.values() if u.active and u.pin_hash and u.role in ROLES]

    def device(self, token: str) -> Device | None:
        found = self.devices.get(self._by_digest.get(digest(token), ""))
        return found if found is not None and found.active else None

    def apply(self, event: AccountEvent) -> None:
        _apply(event, self)


def _verify(password_hash: str, password: str, hasher: PasswordHasher = _hasher) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


@singledispatch
def _apply(event: AccountEvent, accounts: Accounts) -> None:
    raise TypeError(f"no rule for account event {type(event).__name__}")


@_apply.register
def _(event: UserAdded, accounts: Accounts) -> None:
    accounts.users[event.username] = User(
        event.username, event.name, event.role, event.tenant, event.counters, event.password_hash
    )


@_apply.register
def _(event: PasswordSet, accounts: Accounts) -> None:
    user = accounts.users[event.username]
    accounts.users[event.username] = msgspec.structs.replace(
        user, password_hash=event.password_hash, active=True
    )
    # Whoever knew the old password may have a session: the new password ends them all.
    accounts.not_before[event.username] = event.at


@_apply.register
def _(event: UserDisabled, accounts: Accounts) -> None:
    accounts.users[event.username] = msgspec.structs.replace(
        accounts.users[event.username], active=False
    )
    # Enabling the user again (a new password) must not bring the old sessions back.
    accounts.not_before[event.username] = event.at


@_apply.register
def _(event: PinSet, accounts: Accounts) -> None:
    accounts.users[event.username] = msgspec.structs.replace(
        accounts.users[event.username], pin_hash=event.pin_hash
    )


@_apply.register
def _(event: DeviceAdded, accounts: Accounts) -> None:
    accounts.devices[event.device] = Device(
        event.device, event.kind, event.zone, event.name, event.token_digest, printer=event.printer
    )
    accounts._by_digest[event.token_digest] = event.device


@_apply.register
def _(event: DevicePrinterSet, accounts: Accounts) -> None:
    accounts.devices[event.device] = msgspec.structs.replace(
        accounts.devices[event.device], printer=event.printer
    )


@_apply.register
def _(event: DeviceRevoked, accounts: Accounts) -> None:
    accounts.devices[event.device] = msgspec.structs.replace(
        accounts.devices[event.device], active=False
    )


@_apply.register
def _(event: SessionEnded, accounts: Accounts) -> None:
    accounts._end_session(event.session, event.at)


@_apply.register
def _(event: SessionsEnded, accounts: Accounts) -> None:
    accounts.not_before[event.username] = event.at


@_apply.register
def _(event: SignInLocked, accounts: Accounts) -> None:
    # Each process counts wrong passwords itself (server/web/login.py); the lockout one of them
    # starts holds on all of them.
    accounts.locked_until[event.username] = event.at + dt.timedelta(seconds=event.seconds)


def _now() -> dt.datetime:
    # When a change happened (and so which sessions it ends): wall time, whatever the venue
    # clock of a demo says, as the sessions' issue times and cookies' expiry.
    return utc_now()


class AccountBook:
    """The accounts of one venue, kept in step with their log, and the ways to change them."""

    def __init__(self, venue: str, log: EventLog) -> None:
        self.stream = f"{venue}.accounts"
        self.log = log
        self.accounts = Accounts()
        self._lock = asyncio.Lock()
        # How many reads found the store unreachable, and the latest such answer.
        self._failures = 0
        self._failure: StoreUnavailable | None = None

    async def refresh(self) -> Accounts:
        """Apply whatever the log holds beyond what we have; cheap when nothing is new.

        Reads take turns (one lock). When a read finds the store unreachable, every caller
        that was waiting its turn meanwhile gets the same answer at once instead of asking
        again: on a hung store each ask costs the command timeout, and k callers would
        wait k of them.
        """
        failures = self._failures
        async with self._lock:
            if self._failures != failures and self._failure is not None:
                raise StoreUnavailable(self._failure.backend, self._failure.reason)
            try:
                while records := await self.log.read(self.stream, after=self.accounts.seq):
                    for record in records:
                        self.accounts.apply(_decoder.decode(record.data))
                        self.accounts.seq = record.seq
            except StoreUnavailable as error:
                self._failures, self._failure = self._failures + 1, error
                raise
        return self.accounts

    async def add_user(
        self,
        username: str,
        name: str,
        role: Role,
        password: str,
        tenant: str | None = None,
        counters: tuple[str, ...] = (),
        *,
        password_hash: str = "",
        floor_staff: bool = False,
    ) -> User:
        """Add a user; `password_hash` (from `hash_password`) skips hashing `password` again.

        `floor_staff` is an officer of no tenant (a guard, the information desk): no counter
        is theirs, but their kiosk PIN can confirm priority tickets.
        """
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise AccountError(f"username {username!r}: use 2-32 of a-z, 0-9, '.', '_', '-'")
        if role not in ROLES:
            raise AccountError(f"role {role!r}: use one of {', '.join(ROLES)}")
        if floor_staff and (role != "officer" or tenant or counters):
            raise AccountError("floor staff are officers of no tenant and no counter")
        if role in ("officer", "supervisor") and not tenant and not floor_staff:
            raise AccountError(f"a {role} belongs to a tenant: give one")
        password_hash = password_hash or hash_password(password)
        await self._append(
            lambda a: _new_user(a, username),
            UserAdded(
                at=_now(),
                username=username,
                name=name or username,
                role=role,
                tenant=tenant,
                counters=counters,
                password_hash=password_hash,
            ),
        )
        return self.accounts.users[username]

    async def set_password(self, username: str, password: str) -> None:
        event = PasswordSet(at=_now(), username=username, password_hash=hash_password(password))
        await self._append(lambda a: _known_user(a, username), event)

    async def set_pin(self, username: str, pin: str) -> None:
        """Give a staff member a 6-digit kiosk PIN, unique among active users."""
        if not PIN.match(pin):
            raise AccountError("a PIN is exactly 6 digits")
        event = PinSet(at=_now(), username=username, pin_hash=_pin_hasher.hash(pin))

        def check(accounts: Accounts) -> None:
            _known_user(accounts, username)
            holder = accounts.find_by_pin(pin)
            if holder is not None and holder.username != username:
                # The kiosk knows a person by the PIN alone: two people cannot share one.
                raise AccountError("this PIN is taken by another user: choose another")

        await self._append(check, event)

    async def disable_user(self, username: str) -> None:
        await self._append(
            lambda a: _known_user(a, username), UserDisabled(at=_now(), username=username)
        )

    async def end_session(self, username: str, session: str) -> None:
        """End one session (signing out), on every process."""
        await self._append(
            lambda a: None, SessionEnded(at=_now(), username=username, session=session)
        )

    async def end_sessions(self, username: str) -> None:
        """End every session the user has now, on every process (they must sign in again)."""
        await self._append(
            lambda a: _known_user(a, username), SessionsEnded(at=_now(), username=username)
        )

    async def record_lockout(
        self, username: str, address: str, seconds: int, at: dt.datetime | None = None
    ) -> None:
        """Put an account's sign-in lockout (from `at`, by default now) on record, for every
        process and the audit."""
        event = SignInLocked(at=at or _now(), username=username, address=address, seconds=seconds)
        await self._append(lambda a: _known_user(a, username), event)

    async def add_device(
        self, kind: DeviceKind, zone: str, name: str, token: str = "", printer: str = ""
    ) -> tuple[Device, str]:
        """Pair a new screen; returns it and its token (shown once, kept only as a digest)."""
        _check_printer(kind, printer)
        token = token or secrets.token_urlsafe(24)
        device = f"{kind}-{secrets.token_hex(3)}"
        event = DeviceAdded(
            at=_now(),
            device=device,
            kind=kind,
            zone=zone,
            name=name,
            token_digest=digest(token),
            printer=printer,
        )
        await self._append(lambda a: None, event)
        return self.accounts.devices[device], token

    async def set_printer(self, device: str, printer: str) -> None:
        """Point a kiosk at its network printer ("host:port"), or at none with ""."""

        def check(accounts: Accounts) -> None:
            if device not in accounts.devices:
                raise AccountError(f"no device {device!r}")
            _check_printer(accounts.devices[device].kind, printer)

        await self._append(check, DevicePrinterSet(at=_now(), device=device, printer=printer))

    async def revoke_device(self, device: str) -> None:
        def known(accounts: Accounts) -> None:
            if device not in accounts.devices:
                raise AccountError(f"no device {device!r}")

        await self._append(known, DeviceRevoked(at=_now(), device=device))

    async def _append(self, check: Callable[[Accounts], None], event: AccountEvent) -> None:
        encoded = msgspec.json.encode(event)
        while True:
            accounts = await self.refresh()
            check(accounts)
            try:
                await self.log.append(self.stream, accounts.seq, [encoded], secrets.token_hex(8))
            except Conflict:
                continue
            await self.refresh()
            return


def _new_user(accounts: Accounts, username: str) -> None:
    if username in accounts.users:
        raise AccountError(f"user {username!r} exists already")


def _known_user(accounts: Accounts, username: str) -> None:
    if username not in accounts.users:
        raise AccountError(f"no user {username!r}")


def _check_printer(kind: DeviceKind, printer: str) -> None:
    if not printer:
        return
    if kind != "kiosk":
        raise AccountError("only a kiosk has a printer")
    if not PRINTER.match(printer) or not 0 < int(printer.rsplit(":", 1)[1]) < 65536:
        raise AccountError(f"printer {printer!r}: write it as host:port, e.g. 192.168.1.50:9100")
