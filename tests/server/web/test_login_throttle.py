"""Signing in under pressure: argon2 off the loop, bounded, and wrong passwords throttled."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import sys
import threading
from dataclasses import replace
from pathlib import Path
from types import CodeType, FrameType

import httpx
import msgspec
import pytest

from server.accounts import AccountBook, SignInLocked
from server.demo import PASSWORD
from server.services import services
from server.settings import Settings
from server.store.counts import MemoryCounts, Rule
from server.web.login import HashSlots, SignIns
from tests.helpers import serving


class Clock:
    """Monotonic seconds that move only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def utc(self) -> dt.datetime:
        """The same moment on the wall clock (lockouts on the accounts log are in it)."""
        return dt.datetime(2026, 12, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=self.now)


async def attempt(
    client: httpx.AsyncClient, username: str, password: str, **headers: str
) -> httpx.Response:
    """One sign-in through the form, as a browser does it (the form's CSRF token included)."""
    form = await client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token
    data = {"username": username, "password": password, "csrf": token.group(1)}
    return await client.post("/login", data=data, headers=headers)


def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=str(tmp_path))


class TestHashingOffTheLoop:
    """A password check runs in a worker thread: other requests are answered meanwhile."""

    async def test_passwords_are_checked_off_the_event_loop(self, tmp_path: Path) -> None:
        loop_thread = threading.get_ident()
        on_loop: list[CodeType] = []
        elsewhere: list[CodeType] = []

        def watch(frame: FrameType, event: str, arg: object) -> None:
            # Only watches: which thread runs argon2's verify (nothing is replaced).
            code = frame.f_code
            if event == "call" and code.co_name == "verify" and "argon2" in code.co_filename:
                (on_loop if threading.get_ident() == loop_thread else elsewhere).append(code)

        async with serving(settings(tmp_path)) as (_, client):
            threading.setprofile(watch)
            sys.setprofile(watch)
            try:
                answers = await asyncio.gather(
                    *(attempt(client, f"orang{i}", "salah-sekali") for i in range(3)),
                    attempt(client, "manajer", PASSWORD),
                )
            finally:
                sys.setprofile(None)
                threading.setprofile(None)
        assert [a.status_code for a in answers] == [401, 401, 401, 303]
        # On the loop, each check (~0.3 s) would hold up every screen of the venue.
        assert on_loop == [] and len(elsewhere) == 4

    async def test_too_many_waiting_get_busy_at_once(self, tmp_path: Path) -> None:
        async with serving(settings(tmp_path)) as (app, client):
            guards = services(app).sign_ins
            guards.slots = HashSlots(1, waiting=1)
            answers = await asyncio.gather(
                *(attempt(client, f"orang{i}", "salah-sekali") for i in range(6))
            )
            statuses = sorted(a.status_code for a in answers)
            assert statuses.count(401) == 2 and statuses.count(503) == 4, statuses
            busy = next(a for a in answers if a.status_code == 503)
            assert busy.headers["retry-after"] == "1"
            assert "Server sedang sibuk, coba lagi sebentar." in busy.text
            # The slots free again: the next one is checked as usual.
            assert (await attempt(client, "manajer", PASSWORD)).status_code == 303


class TestThrottle:
    """Wrong passwords lock the username, then the address, for a growing time."""

    async def test_five_wrong_lock_the_user_even_for_the_right_password(
        self, tmp_path: Path
    ) -> None:
        clock = Clock()
        async with serving(settings(tmp_path)) as (app, client):
            app.state.services = replace(
                services(app), sign_ins=SignIns(MemoryCounts(clock), wall=clock.utc)
            )
            for _ in range(4):
                assert (await attempt(client, "manajer", "salah-sekali")).status_code == 401
            fifth = await attempt(client, "manajer", "salah-sekali")
            assert fifth.status_code == 429 and fifth.headers["retry-after"] == "60"
            right = await attempt(client, "Manajer ", PASSWORD)
            wrong = await attempt(client, "manajer", "salah-lagi")
            # Locked: the right password is refused exactly like a wrong one.
            for locked in (right, wrong):
                assert locked.status_code == 429 and locked.headers["retry-after"] == "60"
                assert "Terlalu banyak percobaan masuk yang salah. Coba lagi dalam 1 menit." in (
                    locked.text
                )
                assert "antrean_session" not in locked.headers.get("set-cookie", "")
            # Another user is not held up by it.
            assert (await attempt(client, "admin", PASSWORD)).status_code == 303

            clock.now += 61
            for _ in range(5):
                again = await attempt(client, "manajer", "salah-sekali")
            assert again.status_code == 429 and again.headers["retry-after"] == "120"
            assert "dalam 2 menit" in again.text
            clock.now += 90
            almost = await attempt(client, "manajer", "salah-sekali")
            assert almost.headers["retry-after"] == "30" and "dalam 30 detik" in almost.text

            clock.now += 121
            assert (await attempt(client, "manajer", PASSWORD)).status_code == 303
            # A right password starts afresh: four wrong ones lock nothing.
            for _ in range(4):
                assert (await attempt(client, "manajer", "salah-sekali")).status_code == 401

    async def test_tries_at_once_cannot_slip_past_the_limit(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.WARNING, logger="antrean.audit")
        async with serving(settings(tmp_path)) as (_, client):
            answers = await asyncio.gather(
                *(attempt(client, "manajer", "salah-sekali") for _ in range(12))
            )
        checked = [r for r in caplog.records if "reason=wrong_password" in r.getMessage()]
        statuses = [a.status_code for a in answers]
        # Five passwords checked at most, whatever arrives at once; the rest wait it out.
        assert len(checked) == 5, statuses
        assert statuses.count(429) >= 7 and set(statuses) <= {401, 429, 503}, statuses

    async def test_english_message(self, tmp_path: Path) -> None:
        async with serving(settings(tmp_path)) as (_, client):
            client.cookies.set("lang", "en")
            for _ in range(5):
                answer = await attempt(client, "manajer", "salah-sekali")
            assert "Too many failed sign-in attempts. Try again in 1 minute." in answer.text

    async def test_one_address_trying_many_names_is_locked(self, tmp_path: Path) -> None:
        async with serving(settings(tmp_path)) as (_, client):
            for i in range(29):
                assert (await attempt(client, f"orang{i}", "salah")).status_code == 401
            assert (await attempt(client, "orang-terakhir", "salah")).status_code == 429
            refused = await attempt(client, "admin", PASSWORD)
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0

    async def test_tries_at_once_from_one_address_cannot_slip_past_its_limit(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.WARNING, logger="antrean.audit")
        async with serving(settings(tmp_path)) as (_, client):
            for burst in range(4):  # 8 at once, the last burst straddling the limit of 30
                await asyncio.gather(
                    *(attempt(client, f"orang{burst}-{i}", "salah") for i in range(8))
                )
        checked = [r for r in caplog.records if "reason=wrong_password" in r.getMessage()]
        assert len(checked) == 30

    async def test_failures_are_audited_and_a_lockout_is_on_the_accounts_log(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="antrean.audit")
        async with serving(settings(tmp_path)) as (app, client):
            for _ in range(7):
                await attempt(client, "manajer", "rahasia-sekali")
            await attempt(client, "x" * 500 + "\n<script>", "rahasia-sekali")
            book: AccountBook = services(app).accounts
            records = await book.log.read(book.stream, after=0)
        lines = [r.getMessage() for r in caplog.records if r.name == "antrean.audit"]
        assert not any("rahasia-sekali" in line for line in lines)
        wrong = "sign_in_failed username=manajer address=127.0.0.1 reason=wrong_password"
        assert lines.count(wrong) == 5
        assert lines.count("sign_in_failed username=manajer address=127.0.0.1 reason=locked") == 2
        assert lines.count("sign_in_locked username=manajer address=127.0.0.1 seconds=60") == 1
        long_name = next(line for line in lines if "xxxx" in line)
        assert "<script>" not in long_name and "\n" not in long_name and len(long_name) < 200
        events = [msgspec.json.decode(r.data) for r in records]
        locks = [e for e in events if e["type"] == "sign_in_locked"]
        assert len(locks) == 1
        assert msgspec.convert(locks[0], SignInLocked, strict=False).username == "manajer"
        assert (locks[0]["address"], locks[0]["seconds"]) == ("127.0.0.1", 60)


class TestAuditMasking:
    async def test_a_number_or_address_typed_as_the_name_is_logged_masked(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="antrean.audit")
        async with serving(settings(tmp_path)) as (_, client):
            for typed in ("081234567890", "3507123456789012", "Budi.S@contoh.go.id"):
                assert (await attempt(client, typed, "salah")).status_code == 401
        lines = " ".join(r.getMessage() for r in caplog.records if r.name == "antrean.audit")
        assert "username=0812****7890 " in lines and "username=3507********9012 " in lines
        assert "username=b***@contoh.go.id " in lines
        for full in ("081234567890", "3507123456789012", "budi.s@"):
            assert full not in lines


class TestCountsMemory:
    """The counts forget keys to stay bounded, but never a hold to make room."""

    async def test_a_flood_of_names_does_not_evict_a_held_one(self) -> None:
        clock = Clock()
        counts = MemoryCounts(clock, capacity=3)
        rule = Rule(limit=2, window=900, first=60, longest=3600)
        await counts.strike("manajer", rule)
        assert (await counts.strike("manajer", rule)).hold == 60
        for name in ("a", "b", "c", "d"):  # made-up names past the capacity
            await counts.strike(name, rule)
        assert await counts.held_for("manajer") == 60
        assert len(counts) <= 3

    async def test_keys_idle_for_a_day_are_forgotten(self) -> None:
        clock = Clock()
        counts = MemoryCounts(clock, capacity=100)
        rule = Rule(limit=5, window=900, first=60, longest=3600)
        for name in ("a", "b", "c"):
            await counts.strike(name, rule)
        clock.now += 86_401
        await counts.strike("d", rule)
        assert len(counts) == 1


class TestSecureCookie:
    """Cookies are Secure when the browser came over HTTPS, and only then."""

    async def test_https_marks_both_cookies_secure(self, tmp_path: Path) -> None:
        async with serving(settings(tmp_path)) as (app, plain):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://t") as secure:
                form = await secure.get("/login")
                assert "secure" in form.headers["set-cookie"].lower()
                answer = await attempt(secure, "manajer", PASSWORD)
                session = answer.headers["set-cookie"]
                assert "antrean_session=" in session and "secure" in session.lower()
            form = await plain.get("/login")
            assert "secure" not in form.headers["set-cookie"].lower()
            answer = await attempt(plain, "manajer", PASSWORD)
            assert "secure" not in answer.headers["set-cookie"].lower()
