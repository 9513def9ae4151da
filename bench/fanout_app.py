"""The app side of `bench.fanout`: the real server process and an officer driving it.

The venue is the demo venue with its opening hours widened to every day, all day (no
breaks, holidays or issue cut-off) and its quotas raised, so the bench issues tickets at
any hour; tenants, counters, zones and therefore the zone view are the demo's. Accounts
are the demo's (`loket<N>`, `demo-<zone>`), seeded once and copied into each run's folder.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
import uuid
from pathlib import Path

import httpx

from server import config, demo
from server.accounts import AccountBook
from server.settings import Settings
from server.store import open_log

ZONE = "lantai1-timur"
CLOCK_START = "2026-11-24T00:05:00+07:00"  # a Tuesday just after midnight, venue time
ALL_DAY = [
    f'{day} = ["00:00", "23:59"]' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
]
DROPPED_TABLES = ("[hours]", "[[breaks]]", "[[holidays]]")


def open_all_day(text: str) -> str:
    """The demo venue file, open all day every day with big quotas (see the module doc)."""
    lines: list[str] = []
    skipping = False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.strip() in DROPPED_TABLES
            if line.strip() == "[hours]":
                lines += ["[hours]", *ALL_DAY, ""]
        if skipping or line.startswith("last_issue"):
            continue
        lines.append("daily_quota = 100000" if line.startswith("daily_quota") else line)
    return "\n".join(lines) + "\n"


def write_venue(folder: Path) -> Path:
    """Write the bench venue into `folder`; a ConfigError names what the demo file broke."""
    path = folder / "venue.toml"
    path.write_text(open_all_day(config.DEMO_VENUE.read_text()))
    problems = config.check_file(path)
    if problems:
        raise config.ConfigError(str(path), problems)
    return path


async def seed(venue_file: Path, data_dir: Path) -> None:
    """The demo accounts and display tokens, in a fresh data folder's log."""
    venue = config.load_venue(venue_file)
    log = open_log(Settings(venue_file=str(venue_file), data_dir=str(data_dir)).log_url)
    try:
        await demo.seed(AccountBook(venue.id, log), venue)
    finally:
        await log.close()


def zone_counter(venue_file: Path, zone: str = ZONE) -> tuple[str, str]:
    """The first counter of `zone` and its first service."""
    venue = config.load_venue(venue_file)
    counter = next(c for c in venue.counters.values() if c.zone == zone)
    return counter.id, counter.services[0]


def server_command(python: str, port: int, venue_file: Path, data_dir: Path) -> list[str]:
    server = [python, "-m", "server", "run"]
    return [*server, "--port", str(port), "--venue", str(venue_file), "--data", str(data_dir)]


def fresh_data(template: Path, folder: Path) -> Path:
    """A copy of the seeded data folder: each size starts from an empty queue."""
    shutil.copytree(template, folder)
    return folder


async def sign_in(base: str, username: str) -> tuple[str, str]:
    """Sign in as the console does; returns the Cookie header and the CSRF token."""
    async with httpx.AsyncClient(base_url=base, follow_redirects=False) as client:
        form = await client.get("/login")
        field = re.search(r'name="csrf" value="([^"]+)"', form.text)
        if field is None:
            raise RuntimeError(f"{base}/login has no csrf field")
        body = {"username": username, "password": demo.PASSWORD, "csrf": field.group(1)}
        answer = await client.post("/login", data=body)
        if answer.status_code != 303:
            raise RuntimeError(f"sign-in as {username} failed: {answer.status_code}")
        page = await client.get(answer.headers["location"], follow_redirects=True)
        token = re.search(r'data-csrf="([^"]+)"', page.text) or re.search(
            r'name="csrf" content="([^"]+)"', page.text
        )
        if token is None:
            raise RuntimeError("the console page carries no CSRF token")
        cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        return cookies, token.group(1)


class Officer:
    """POSTs commands on one keep-alive HTTP/1.1 connection, written by hand so the send
    time is taken right before the request's bytes are written.

    uvicorn closes a connection idle for 5 s; `ready()` reopens it before that, outside
    the timed part, and a request met by a closed connection is sent once more (commands
    carry a `command_id`, so a repeat is harmless).
    """

    def __init__(self, port: int, cookies: str, csrf: str) -> None:
        self.port, self._cookies, self._csrf = port, cookies, csrf
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._used = 0.0

    async def open(self) -> None:
        await self.close()
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        self._used = time.monotonic()

    async def ready(self) -> None:
        """Reopen the connection if the server may have closed it for idleness."""
        if self._reader is None or self._reader.at_eof() or time.monotonic() - self._used > 2:
            await self.open()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def request(self, **command: str) -> bytes:
        """The HTTP request of one command (a fresh command_id each time)."""
        body = json.dumps({**command, "command_id": uuid.uuid4().hex}).encode()
        head = (
            f"POST /api/commands HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Cookie: {self._cookies}\r\nX-CSRF-Token: {self._csrf}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def send(self, request: bytes) -> dict[str, object]:
        """Write `request`, read the JSON answer; a refusal raises with the server's words."""
        assert self._reader is not None and self._writer is not None, "open() first"
        self._writer.write(request)
        status = await self._reader.readline()
        if not status:
            await self.open()
            return await self.send(request)
        self._used = time.monotonic()
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        answer: dict[str, object] = json.loads(await self._reader.readexactly(length))
        if not status.startswith(b"HTTP/1.1 200") or not answer.get("ok"):
            raise RuntimeError(f"command refused: {status.decode().strip()} {answer}")
        return answer

    async def command(self, **command: str) -> dict[str, object]:
        await self.ready()
        return await self.send(self.request(**command))
