"""Test helpers shared by every room: a small venue, a settable clock, the app in-process, and\nsigning in through the form as a browser does."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette

from server.app import create_app
from server.config import DEMO_VENUE, load_venue
from server.demo import KIOSK_TOKEN, PASSWORD
from server.domain import commands as cmd
from server.domain import events as ev
from server.domain.decide import decide
from server.domain.errors import DomainError
from server.domain.state import State, Ticket, evolve
from server.domain.venue import (
    Break,
    Counter,
    OpeningHours,
    Service,
    Tenant,
    Venue,
    Zone,
)
from server.service import VenueQueue
from server.services import services
from server.settings import Settings

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def small_venue(timezone: str = "Asia/Jakarta", **overrides: object) -> Venue:
    """Two tenants, three services, four counters; open every day 00:00-23:59:59 by default.

    Counter 1 serves KTP only, 2 serves KTP and KK, 3 serves SIM, 4 serves KK. Services
    take a typical 3 seconds, so the predicted end-of-day cutoff stays out of tests that
    issue a crowd or issue just before midnight; tests of the cutoff choose their own.
    """
    hours = OpeningHours(open=dt.time(0, 0), close=dt.time(23, 59, 59))
    fields: dict[str, object] = {
        "id": "test",
        "name": "MPP Uji",
        "timezone": timezone,
        "hours": dict.fromkeys(WEEK, hours),
        "tenants": {
            "dukcapil": Tenant(id="dukcapil", name="Dispendukcapil"),
            "polres": Tenant(id="polres", name="Satpas SIM"),
        },
        "services": {
            "ktp": Service(
                id="ktp",
                tenant="dukcapil",
                name="KTP-el",
                prefix="A",
                daily_quota=5000,
                typical_minutes=0.05,
            ),
            "kk": Service(
                id="kk",
                tenant="dukcapil",
                name="Kartu Keluarga",
                prefix="B",
                daily_quota=5000,
                kiosk_quota=4000,
                online_quota=1000,
                typical_minutes=0.05,
            ),
            "sim": Service(
                id="sim",
                tenant="polres",
                name="Perpanjangan SIM",
                prefix="C",
                daily_quota=5000,
                priority_lane=False,
                typical_minutes=0.05,
            ),
        },
        "counters": {
            "1": Counter(id="1", label="Loket 1", tenant="dukcapil", services=("ktp",), zone="z1"),
            "2": Counter(
                id="2", label="Loket 2", tenant="dukcapil", services=("ktp", "kk"), zone="z1"
            ),
            "3": Counter(id="3", label="Loket 3", tenant="polres", services=("sim",), zone="z2"),
            "4": Counter(id="4", label="Loket 4", tenant="dukcapil", services=("kk",), zone="z1"),
        },
        "zones": {
            "z1": Zone(id="z1", name="Lantai 1", displays=("d1",), speaker="d1"),
            "z2": Zone(id="z2", name="Lantai 2", displays=("d2",), speaker="d2"),
        },
    }
    fields.update(overrides)
    return Venue(**fields)  # type: ignore[arg-type]


def local_time(
    venue: Venue, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    """A timezone-aware time on the venue's wall clock: local_time(v, 2026, 11, 24, 9, 30)."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(venue.timezone))


def files_holding(folder: Path, *needles: bytes) -> list[tuple[Path, bytes]]:
    """Every file under `folder` with one of `needles` in it, and which."""
    return [
        (path, needle)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        for needle in needles
        if needle in path.read_bytes()
    ]


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


class Queue:
    """A venue and its state, driven one command at a time like the service does."""

    def __init__(self, venue: Venue | None = None) -> None:
        self.venue = venue or small_venue()
        self.state = State()
        self.now = local_time(self.venue, 2026, 11, 24, 9, 0)  # a Tuesday

    def __call__(self, command: cmd.Command) -> list[ev.Event]:
        events = decide(self.venue, self.state, command, self.now)
        for event in events:
            evolve(self.state, event)
        return events

    def refused(self, command: cmd.Command) -> DomainError:
        with pytest.raises(DomainError) as caught:
            self(command)
        return caught.value

    def issue(self, service: str = "ktp", **kw: object) -> Ticket:
        if kw.get("priority"):
            kw.setdefault("confirmed_by", "satpam")
        kw.setdefault("visit", f"v{len(self.state.tickets)}")
        events = self(cmd.IssueTicket(service=service, **kw))  # type: ignore[arg-type]
        issued = [e for e in events if isinstance(e, ev.TicketIssued)]
        return self.state.tickets[issued[-1].ticket]

    def open(self, *counters: str) -> None:
        for counter in counters:
            self(cmd.OpenCounter(counter=counter, officer=f"petugas{counter}"))

    def ticket(self, label: str) -> Ticket:
        return next(t for t in self.state.tickets.values() if t.label == label)

    def call_after_done(self, counter: str) -> str:
        """Finish what the counter has in hand, then call the next ticket."""
        self(cmd.Done(counter=counter))
        return self.call(counter)

    def call(self, counter: str) -> str:
        events = self(cmd.CallNext(counter=counter))
        called = [e for e in events if isinstance(e, ev.TicketCalled)]
        return self.state.tickets[called[0].ticket].label


@asynccontextmanager
async def serving(
    settings: Settings, clock: Callable[[], dt.datetime] | None = None, host: str = "t"
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """The app through its whole lifespan, and an HTTP client talking to it in-process."""
    app = create_app(settings, clock=clock) if clock is not None else create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
            yield app, client


# Where a signed-in page carries the session's CSRF token: the managers' pages and the
# console in a <meta>, the console's root element, and every sign-out form.
_CSRF = (
    re.compile(r'name="csrf" content="([^"]+)"'),
    re.compile(r'data-csrf="([^"]+)"'),
    re.compile(r'name="csrf" value="([^"]+)"'),
)


def csrf_of(html: str) -> str:
    """The CSRF token a page carries ("" if it carries none)."""
    return next((found.group(1) for p in _CSRF if (found := p.search(html))), "")


def _login_form(login_page: str, username: str, password: str) -> dict[str, str]:
    token = re.search(r'name="csrf" value="([^"]+)"', login_page)
    assert token, "the sign-in page carries its form token"
    return {"username": username, "password": password, "csrf": token.group(1)}


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, **headers: str
) -> str:
    """Sign in through the form as a browser does (`headers` go with the form); the CSRF token
    of the page it lands on, which commands carry, or "" when the sign-in is refused."""
    form = await client.get("/login")
    data = _login_form(form.text, username, password)
    answer = await client.post("/login", data=data, headers=headers, follow_redirects=False)
    if answer.status_code != 303:
        return ""
    landed = await client.get(answer.headers["location"], follow_redirects=True)
    return csrf_of(landed.text)


def sign_in_sync(
    client: httpx.Client, username: str, password: str = PASSWORD, **headers: str
) -> str:
    """`sign_in` for a blocking client (the tests of real server processes)."""
    form = client.get("/login")
    data = _login_form(form.text, username, password)
    answer = client.post("/login", data=data, headers=headers, follow_redirects=False)
    if answer.status_code != 303:
        return ""
    landed = client.get(answer.headers["location"], follow_redirects=True)
    return csrf_of(landed.text)


def post_command(client: httpx.Client, csrf: str, **command: Any) -> httpx.Response:
    """POST one command to `/api/commands` with a fresh command id (blocking); the raw answer."""
    command.setdefault("command_id", uuid.uuid4().hex)
    return client.post("/api/commands", json=command, headers={"X-CSRF-Token": csrf})


def counter_of(zone: str) -> tuple[str, str]:
    """The demo venue's first counter in `zone`, and the first service it serves."""
    venue = load_venue(DEMO_VENUE)
    counter = next(c for c in venue.counters.values() if c.zone == zone)
    return counter.id, counter.services[0]


async def booking_form(client: httpx.AsyncClient, **fields: str) -> dict[str, str]:
    """The phone's booking form for KTP-el at 14.00 on 24-11-2026, its token filled in;
    `fields` change or add fields."""
    page = (await client.get("/booking?service=ktp&day=2026-11-24")).text
    token = re.search(r'name="form" value="([^"]+)"', page)
    assert token
    base = {"form": token.group(1), "service": "ktp", "day": "2026-11-24", "slot": "14:00"}
    return base | {"holder": "3573014101900001", "action": "confirm"} | fields


class SignedIn:
    """A signed-in user's browser session against the app, through its whole lifespan."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def sign_in(self, username: str) -> None:
        self.client.cookies.clear()
        self.csrf = await sign_in(self.client, username)

    async def post(self, **command: Any) -> httpx.Response:
        """POST one command to `/api/commands` with a fresh command id; the raw answer."""
        command.setdefault("command_id", uuid.uuid4().hex)
        return await self.client.post(
            "/api/commands", json=command, headers={"X-CSRF-Token": self.csrf}
        )

    async def send(self, **command: Any) -> None:
        answer = await self.post(**command)
        assert answer.json()["ok"], answer.json()


class Mall(SignedIn):
    """The demo app in its lifespan: a signed-in browser, and the demo's paired kiosk."""

    def __init__(self, app: Starlette, client: httpx.AsyncClient) -> None:
        super().__init__(client)
        self.app = app

    @property
    def queue(self) -> VenueQueue:
        queue: VenueQueue = services(self.app).queue
        return queue

    async def kiosk(self, path: str, **body: Any) -> httpx.Response:
        """POST to the kiosk's `/kiosk/api/<path>` with a fresh command id; the raw answer."""
        body.setdefault("command_id", uuid.uuid4().hex)
        headers = {"X-Device-Token": KIOSK_TOKEN}
        return await self.client.post(f"/kiosk/api/{path}", json=body, headers=headers)


__all__ = [
    "Break",
    "FakeClock",
    "Mall",
    "Queue",
    "SignedIn",
    "booking_form",
    "counter_of",
    "csrf_of",
    "local_time",
    "post_command",
    "serving",
    "sign_in",
    "sign_in_sync",
    "small_venue",
]
