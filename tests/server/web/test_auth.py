"""Sessions: signed cookies, and what ends them before their 12 hours."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
from starlette.applications import Starlette

from server.accounts import (
    SESSION_HOURS,
    AccountBook,
    Accounts,
    SessionEnded,
    UserAdded,
)
from server.demo import PASSWORD
from server.services import services
from server.settings import Settings
from server.web.auth import COOKIE, Sessions, load_secret
from tests.helpers import SignedIn, serving, sign_in


class TestSessions:
    """A session cookie is signed: a changed or foreign cookie is no session."""

    def test_round_trip_and_tampering(self) -> None:
        sessions = Sessions("rahasia")
        cookie, session = sessions.issue("budi")
        assert sessions.read(cookie) == session
        assert sessions.read(cookie[:-2] + "xx") is None
        assert Sessions("lain").read(cookie) is None
        assert sessions.read("") is None and sessions.read(None) is None

    def test_secret_is_kept_in_the_data_folder(self, tmp_path: Path) -> None:
        first = load_secret(str(tmp_path))
        assert first == load_secret(str(tmp_path)) and len(first) >= 32
        assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
        assert load_secret(str(tmp_path), "configured") == "configured"


async def session_cookie(client: httpx.AsyncClient, username: str) -> str:
    """Sign in through the form; the session cookie it set."""
    client.cookies.clear()
    await sign_in(client, username)
    cookie = client.cookies.get(COOKIE)
    assert cookie
    return cookie


async def opens(app: Starlette, cookie: str, path: str = "/manager/running-text") -> bool:
    """Whether a browser holding only this session cookie gets the page (not the sign-in)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as browser:
        browser.cookies.set(COOKIE, cookie)
        return (await browser.get(path)).status_code == 200


class TestEndingSessions:
    """Signing out, a new password or disabling a user end sessions before their 12 hours."""

    async def test_sign_out_ends_the_session_not_only_the_cookie(self, tmp_path: Path) -> None:
        async with serving(Settings(data_dir=str(tmp_path))) as (app, client):
            user = SignedIn(client)
            await user.sign_in("manajer")
            cookie = client.cookies.get(COOKIE)
            assert cookie and await opens(app, cookie)
            async with httpx_client(app) as elsewhere:
                other = await session_cookie(elsewhere, "manajer")
            answer = await client.post("/logout", data={"csrf": user.csrf})
            assert answer.status_code == 303 and answer.headers["location"] == "/login"
            # A copy of the old cookie (another tab kept it, someone copied it) opens nothing.
            assert not await opens(app, cookie)
            # The same user's other session, in another browser, goes on.
            assert await opens(app, other)

    async def test_new_password_and_disabling_end_every_session(self, tmp_path: Path) -> None:
        async with serving(Settings(data_dir=str(tmp_path))) as (app, client):
            book: AccountBook = services(app).accounts
            cookie = await session_cookie(client, "manajer")
            await book.disable_user("manajer")
            assert not await opens(app, cookie)
            # Enabling the account again with a new password does not bring the session back.
            await book.set_password("manajer", "kata-sandi-baru")
            assert not await opens(app, cookie)
            admin = await session_cookie(client, "admin")
            await book.set_password("admin", PASSWORD)
            assert not await opens(app, admin)
            assert await opens(app, await session_cookie(client, "admin"))

    async def test_end_sessions_ends_those_issued_before(self, tmp_path: Path) -> None:
        async with serving(Settings(data_dir=str(tmp_path))) as (app, client):
            before = await session_cookie(client, "manajer")
            await services(app).accounts.end_sessions("manajer")
            assert not await opens(app, before)
            assert await opens(app, await session_cookie(client, "manajer"))

    async def test_the_command_line_sign_out_holds_with_a_demo_clock(self, tmp_path: Path) -> None:
        """`antrean users sign-out` writes to the accounts log with the wall clock. A server
        whose venue clock runs days behind (a demo, a test: ANTREAN_CLOCK_START) or ahead
        must still end exactly the sessions issued before it: sessions and the accounts
        log keep wall time, as cookies expire by it."""
        for days in (-8, 8):
            start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).isoformat()
            settings = Settings(data_dir=str(tmp_path / str(days)), clock_start=start)
            async with serving(settings) as (app, client):
                before = await session_cookie(client, "manajer")
                # What the CLI does: its own book on the same log, the wall clock's "now".
                cli = AccountBook(services(app).venue.id, services(app).accounts.log)
                await cli.refresh()
                await cli.end_sessions("manajer")
                assert not await opens(app, before), days
                assert await opens(app, await session_cookie(client, "manajer")), days

    def test_ended_sessions_are_forgotten_once_they_expired_anyway(self) -> None:
        accounts, start = Accounts(), dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
        accounts.apply(UserAdded(start, "ani", "Ani", "manager", None, (), "hash"))
        ani = accounts.users["ani"]
        for hour in range(30):
            at = start + dt.timedelta(hours=hour)
            accounts.apply(SessionEnded(at=at, username="ani", session=f"s{hour}"))
        issued = start.timestamp()
        assert accounts.session_ended("s29", issued, ani)
        assert accounts.session_ended("s18", issued, ani)
        # s0 ended 29 hours ago: a cookie of it is past its 12 hours, refused by its age.
        assert not accounts.session_ended("s0", issued, ani)
        assert len(accounts._ended) <= SESSION_HOURS + 1


def httpx_client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
