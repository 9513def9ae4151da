"""Two real server processes on one Redis count, lock out and alert as one.

Requests alternate between the two processes, as a proxy spreads them: every limit must
hold in total, not once per process, and each alert reach the webhook once in all, a
restart included.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.demo import GUARD_PIN, KIOSK_TOKEN, PASSWORD
from tests.conftest import LiveServer, RedisServer
from tests.helpers import _login_form


class Receiver(http.server.ThreadingHTTPServer):
    """A real webhook receiver on a free local port: keeps every alert id posted to it."""

    def __init__(self) -> None:
        self.alerts: list[str] = []
        super().__init__(("127.0.0.1", 0), _Hook)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Hook(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.alerts.append(json.loads(body)["alert"]["id"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def pair(
    tmp_path: Path, redis_server: RedisServer, receiver: Receiver
) -> Iterator[list[LiveServer]]:
    """Two processes on one Redis and one data folder (one secret), alerting the receiver;
    the venue clock of both moves when the test writes seconds to `<data>/clock-offset`."""
    data = tmp_path / "data"
    data.mkdir()
    env = {
        "ANTREAN_ALERT_WEBHOOK": receiver.url,
        "ANTREAN_CLOCK_FILE": str(data / "clock-offset"),
    }
    first = LiveServer(data, redis_url=redis_server.url, env=env).start()
    second = LiveServer(data, redis_url=redis_server.url, env=env).start()
    yield [first, second]
    first.stop()
    second.stop()


def alternate(pair: list[LiveServer], n: int) -> Iterator[str]:
    """The base URLs of `n` requests, spread over both processes in turn."""
    for i in range(n):
        yield pair[i % 2].url


def sign_in_attempt(base: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=base) as client:
        form = _login_form(client.get("/login").text, "manajer", password)
        return client.post("/login", data=form)


def kiosk_issue(base: str, pin: str) -> httpx.Response:
    body = {"service": "kk", "priority": True, "pin": pin, "command_id": uuid.uuid4().hex}
    headers = {"X-Device-Token": KIOSK_TOKEN}
    return httpx.post(f"{base}/kiosk/api/issue", json=body, headers=headers)


class TestLimitsHoldInTotal:
    def test_wrong_passwords_on_both_lock_the_name_on_both(self, pair: list[LiveServer]) -> None:
        answers = [sign_in_attempt(base, "salah-sekali") for base in alternate(pair, 5)]
        assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
        # The right password, on either process, waits the lockout out.
        for server in pair:
            locked = sign_in_attempt(server.url, PASSWORD)
            assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 50

    def test_wrong_pins_on_both_lock_the_kiosk_on_both(self, pair: list[LiveServer]) -> None:
        answers = [kiosk_issue(base, "000000").json() for base in alternate(pair, 5)]
        left = [a["message"].rsplit(" ", 1)[-1] for a in answers[:4]]
        assert left == ["4.", "3.", "2.", "1."]
        assert answers[4]["code"] == "pin_locked"
        for server in pair:
            assert kiosk_issue(server.url, GUARD_PIN).json()["code"] == "pin_locked"


class TestAlertsOnceInAll:
    def test_each_alert_is_posted_once_by_two_processes_and_after_a_restart(
        self, pair: list[LiveServer], receiver: Receiver
    ) -> None:
        issued = httpx.post(
            f"{pair[0].url}/kiosk/api/issue",
            json={"service": "kk", "command_id": uuid.uuid4().hex},
            headers={"X-Device-Token": KIOSK_TOKEN},
        )
        assert issued.status_code == 200
        # An hour later: the ticket waits past its SLA, no display is connected.
        (pair[0].data_dir / "clock-offset").write_text("3600")
        deadline = time.monotonic() + 30
        while not any(a.startswith("sla:") for a in receiver.alerts):
            assert time.monotonic() < deadline, f"no SLA alert posted: {receiver.alerts}"
            time.sleep(0.2)
        time.sleep(11)  # two more dashboard ticks (5 s) on each process
        before_restart = list(receiver.alerts)
        pair[0].stop()
        pair[0].start()
        # The restarted process finds the same alerts again, and finds them claimed.
        deadline = time.monotonic() + 30
        while "was sent already" not in pair[0].log.read_text().split("Application startup")[-1]:
            assert time.monotonic() < deadline, "the restarted process did not find the alerts"
            time.sleep(0.5)
        time.sleep(6)  # one more dashboard tick on each process
        posted = receiver.alerts
        assert len(posted) == len(set(posted)), posted
        assert posted == before_restart
        assert any(a.startswith("offline:") for a in posted), posted
