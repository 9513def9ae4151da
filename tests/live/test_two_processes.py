"""Two real server processes on one Redis, behind nginx (`make run-cluster`'s cluster),
count, lock out and alert as one.

Requests go through the proxy, which spreads them over both processes: every limit must
hold in total, not once per process (then each process is asked itself), and each alert
reach the webhook once in all, a restart included.
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
import redis

from server.cluster import Cluster, ClusterError
from server.config import DEMO_VENUE, load_venue
from server.demo import GUARD_PIN, KIOSK_TOKEN, PASSWORD
from tests.conftest import AUDIO_CACHE, OPEN_HOURS, _free_port
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
def behind_proxy(tmp_path: Path, receiver: Receiver) -> Iterator[Cluster]:
    """`make run-cluster`'s cluster, alerting the receiver; the venue clock of both
    processes moves when the test writes seconds to `<folder>/clock-offset`."""
    folder = tmp_path / "cluster"
    env = {
        "ANTREAN_ALERT_WEBHOOK": receiver.url,
        "ANTREAN_CLOCK_FILE": str(folder / "clock-offset"),
        "ANTREAN_CLOCK_START": OPEN_HOURS,
        "ANTREAN_AUDIO_CACHE": str(AUDIO_CACHE),
    }
    cluster = Cluster(folder, _free_port(), _free_port(), extra_env=env)
    try:
        cluster.start()
    except ClusterError as error:
        pytest.fail(str(error))
    yield cluster
    cluster.stop()


def sign_in_attempt(base: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=base) as client:
        form = _login_form(client.get("/login").text, "manajer", password)
        return client.post("/login", data=form)


def kiosk_issue(base: str, pin: str) -> httpx.Response:
    body = {"service": "kk", "priority": True, "pin": pin, "command_id": uuid.uuid4().hex}
    headers = {"X-Device-Token": KIOSK_TOKEN}
    return httpx.post(f"{base}/kiosk/api/issue", json=body, headers=headers)


class TestLimitsHoldInTotal:
    def test_wrong_passwords_through_the_proxy_lock_the_name_on_both(
        self, behind_proxy: Cluster
    ) -> None:
        answers = [sign_in_attempt(behind_proxy.url, "salah-sekali") for _ in range(5)]
        assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
        # The right password, asked of each process itself, waits the lockout out.
        for url in behind_proxy.replica_urls:
            locked = sign_in_attempt(url, PASSWORD)
            assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 50

    def test_wrong_pins_through_the_proxy_lock_the_kiosk_on_both(
        self, behind_proxy: Cluster
    ) -> None:
        answers = [kiosk_issue(behind_proxy.url, "000000").json() for _ in range(5)]
        left = [a["message"].rsplit(" ", 1)[-1] for a in answers[:4]]
        assert left == ["4.", "3.", "2.", "1."]
        assert answers[4]["code"] == "pin_locked"
        for url in behind_proxy.replica_urls:
            assert kiosk_issue(url, GUARD_PIN).json()["code"] == "pin_locked"


class TestAlertsOnceInAll:
    def test_each_alert_is_posted_once_by_two_processes_and_after_a_restart(
        self, behind_proxy: Cluster, receiver: Receiver
    ) -> None:
        issued = httpx.post(
            f"{behind_proxy.url}/kiosk/api/issue",
            json={"service": "kk", "command_id": uuid.uuid4().hex},
            headers={"X-Device-Token": KIOSK_TOKEN},
        )
        assert issued.status_code == 200
        # The processes noticed that no display is connected (on a busy host their first
        # roster beat can come late): from then on, the zones count as offline.
        offline = f"antrean:{{{load_venue(DEMO_VENUE).id}}}:roster:offline"
        roster = redis.Redis.from_url(behind_proxy.redis_url)
        deadline = time.monotonic() + 30
        while not roster.hlen(offline):
            assert time.monotonic() < deadline, "no process noticed the zones without displays"
            time.sleep(0.2)
        roster.close()
        # An hour later: the ticket waits past its SLA, no display is connected.
        (behind_proxy.folder / "clock-offset").write_text("3600")
        deadline = time.monotonic() + 30
        while not any(a.startswith("sla:") for a in receiver.alerts):
            assert time.monotonic() < deadline, f"no SLA alert posted: {receiver.alerts}"
            time.sleep(0.2)
        time.sleep(11)  # two more dashboard ticks (5 s) on each process
        before_restart = list(receiver.alerts)
        first = behind_proxy.part("antrean-1")
        behind_proxy.restart("antrean-1")
        # The restarted process finds the same alerts again, and finds them claimed.
        deadline = time.monotonic() + 30
        while "was sent already" not in first.log.read_text().split("Application startup")[-1]:
            assert time.monotonic() < deadline, "the restarted process did not find the alerts"
            time.sleep(0.5)
        time.sleep(6)  # one more dashboard tick on each process
        posted = receiver.alerts
        assert len(posted) == len(set(posted)), posted
        assert posted == before_restart
        assert any(a.startswith("offline:") for a in posted), posted
