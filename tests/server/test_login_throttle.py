"""Signing in under pressure: argon2 off the loop, bounded, and wrong passwords throttled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from pathlib import Path

import httpx
import msgspec
import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from server.accounts import AccountBook, SignInLocked
from server.app import Settings
from server.demo import PASSWORD
from server.login import HashSlots, SignIns
from tests.helpers import serving


class Clock:
    """Monotonic seconds that move only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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

    async def test_the_loop_never_waits_for_a_hash(self, tmp_path: Path) -> None:
        # The baseline, measured in this run: one argon2 check as sign-ins make it.
        hasher = PasswordHasher()
        stored = hasher.hash("kata-sandi-benar")
        started = time.perf_counter()
        with contextlib.suppress(VerificationError):
            hasher.verify(stored, "salah-sekali")
        one_hash = time.perf_counter() - started
        async with serving(settings(tmp_path)) as (_, client):
            longest, done = 0.0, asyncio.Event()

            async def tick() -> None:
                nonlocal longest
                last = time.perf_counter()
                while not done.is_set():
                    await asyncio.sleep(0.001)
                    now = time.perf_counter()
                    longest, last = max(longest, now - last), now

            ticker = asyncio.create_task(tick())
            answers = await asyncio.gather(
                *(attempt(client, f"orang{i}", "salah-sekali") for i in range(4))
            )
            done.set()
            await ticker
            assert [a.status_code for a in answers] == [401] * 4
            # On the loop, each check would stall everything (every screen) for a whole hash.
            assert longest < one_hash / 2, (longest, one_hash)

    async def test_too_many_waiting_get_busy_at_once(self, tmp_path: Path) -> None:
        async with serving(settings(tmp_path)) as (app, client):
            guards = app.state.sign_ins = SignIns()
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
            app.state.sign_ins = SignIns(clock=clock)
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

    async def test_failures_are_audited_and_a_lockout_is_on_the_accounts_log(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="antrean.audit")
        async with serving(settings(tmp_path)) as (app, client):
            for _ in range(7):
                await attempt(client, "manajer", "rahasia-sekali")
            await attempt(client, "x" * 500 + "\n<script>", "rahasia-sekali")
            book: AccountBook = app.state.accounts
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
