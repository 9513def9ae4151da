"""Signing in and out against real server processes: what one process ends, all refuse."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.demo import PASSWORD
from server.web.auth import COOKIE
from server.web.socket import CLOSE_FORBIDDEN, RECHECK_SECONDS
from tests.conftest import LiveServer, RedisServer
from tests.helpers import sign_in_sync as sign_in


def opens(server: LiveServer, cookie: str) -> bool:
    """Whether a browser holding only this session cookie gets a manager's page there."""
    with httpx.Client(base_url=server.url, cookies={COOKIE: cookie}) as browser:
        return browser.get("/manager/running-text").status_code == 200


class TestSessionsAcrossProcesses:
    """Two processes on one Redis: signing out on one ends the session on the other too."""

    def test_sign_out_on_one_process_is_refused_on_the_other(
        self, tmp_path: Path, redis_server: RedisServer
    ) -> None:
        # One data folder: both processes sign with the same secret, as one venue's hosts do.
        one = LiveServer(tmp_path, redis_server.url).start()
        two = LiveServer(tmp_path, redis_server.url).start()
        try:
            with httpx.Client(base_url=one.url) as browser:
                csrf = sign_in(browser, "manajer")
                cookie = browser.cookies[COOKIE]
                assert opens(two, cookie)
                assert browser.post("/logout", data={"csrf": csrf}).status_code == 303
            assert not opens(one, cookie)
            assert not opens(two, cookie)
        finally:
            one.stop()
            two.stop()


class TestBehindAProxy:
    """Behind a local reverse proxy, its X-Forwarded-* headers say who and how."""

    def test_https_at_the_proxy_makes_the_cookie_secure(self, live_server: LiveServer) -> None:
        with httpx.Client(base_url=live_server.url) as browser:
            form = browser.get("/login", headers={"X-Forwarded-Proto": "https"})
            assert "secure" in form.headers["set-cookie"].lower()
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
            # The browser speaks HTTPS to the proxy, so it sends the Secure cookie back.
            answer = browser.post(
                "/login",
                data={"username": "manajer", "password": PASSWORD, "csrf": csrf},
                headers={"X-Forwarded-Proto": "https", "Cookie": f"antrean_login={csrf}"},
            )
            assert answer.status_code == 303
            assert "secure" in answer.headers["set-cookie"].lower()
            plain = browser.get("/login")
            assert "secure" not in plain.headers["set-cookie"].lower()

    def test_each_forwarded_address_is_throttled_on_its_own(self, live_server: LiveServer) -> None:
        with httpx.Client(base_url=live_server.url) as browser:
            for i in range(30):
                sign_in(browser, f"orang{i}", "salah", **{"X-Forwarded-For": "203.0.113.7"})
            form = browser.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
            data = {"username": "manajer", "password": PASSWORD, "csrf": csrf}
            locked = browser.post("/login", data=data, headers={"X-Forwarded-For": "203.0.113.7"})
            assert locked.status_code == 429 and "Terlalu banyak percobaan" in locked.text
            assert sign_in(browser, "manajer", **{"X-Forwarded-For": "203.0.113.8"})


class TestLockoutAcrossProcesses:
    """An account locked after wrong passwords on one process is locked on every process."""

    def test_a_name_locked_on_one_process_is_locked_on_the_other(
        self, tmp_path: Path, redis_server: RedisServer
    ) -> None:
        one = LiveServer(tmp_path, redis_server.url).start()
        two = LiveServer(tmp_path, redis_server.url).start()
        try:
            with httpx.Client(base_url=one.url) as guesser:
                for _ in range(5):
                    assert not sign_in(guesser, "manajer", "salah-lagi")
            with httpx.Client(base_url=two.url) as browser:
                form = browser.get("/login")
                csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
                data = {"username": "manajer", "password": PASSWORD, "csrf": csrf}
                locked = browser.post("/login", data=data)
            # Else every process added would give a guesser five more tries per lockout.
            assert locked.status_code == 429 and "Terlalu banyak percobaan" in locked.text
            assert int(locked.headers["Retry-After"]) > 0
        finally:
            one.stop()
            two.stop()


class TestOpenSocketsEnd:
    """A console left open does not outlive its session: signing out closes its socket."""

    async def test_signing_out_closes_the_session_s_socket(self, live_server: LiveServer) -> None:
        with httpx.Client(base_url=live_server.url) as browser:
            csrf = sign_in(browser, "manajer")
            cookie = browser.cookies[COOKIE]
            url = live_server.url.replace("http", "ws") + "/ws?topics=counter:1"
            async with connect(url, additional_headers={"Cookie": f"{COOKIE}={cookie}"}) as ws:
                assert json.loads(await asyncio.wait_for(ws.recv(), 10))["topic"] == "counter:1"
                signed_out = await asyncio.to_thread(browser.post, "/logout", data={"csrf": csrf})
                assert signed_out.status_code == 303
                with pytest.raises(ConnectionClosed) as closed:
                    async with asyncio.timeout(3 * RECHECK_SECONDS):
                        while True:  # views and heartbeats until the server notices
                            await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_FORBIDDEN
