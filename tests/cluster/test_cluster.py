"""`make run-cluster`: the cluster starts, spreads requests over both processes behind
nginx, speaks https with Secure cookies, routes around a killed process, answers 503
through a store outage, and Ctrl-C leaves nothing running."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from server.cluster import Cluster, render_template
from server.demo import KIOSK_TOKEN, PASSWORD
from tests.conftest import AUDIO_CACHE, OPEN_HOURS, ROOT, _free_port
from tests.helpers import _login_form

pytestmark = pytest.mark.slow


def processes_answering(url: str, tries: int = 8) -> set[str]:
    return {httpx.get(f"{url}/healthz", timeout=5).json()["process"] for _ in range(tries)}


def sign_in(client: httpx.Client) -> httpx.Response:
    form = _login_form(client.get("/login").text, "manajer", PASSWORD)
    return client.post("/login", data=form)


class TestBehindTheProxy:
    def test_requests_reach_both_processes_which_name_themselves(self, cluster: Cluster) -> None:
        assert processes_answering(cluster.url) == {"antrean-1", "antrean-2"}
        seqs = {httpx.get(f"{url}/healthz").json()["seq"] for url in cluster.replica_urls}
        assert len(seqs) == 1

    def test_https_makes_the_cookies_secure_and_http_does_not(self, cluster: Cluster) -> None:
        assert cluster.cert is not None
        # The LAN certificate made on first start, trusted as a venue's devices would.
        trusted = ssl.create_default_context(cafile=str(cluster.cert))
        with httpx.Client(base_url=cluster.https_url, verify=trusted) as secure:
            answer = sign_in(secure)
            assert answer.status_code == 303, answer.text
            assert "antrean_session=" in answer.headers["set-cookie"]
            assert "secure" in answer.headers["set-cookie"].lower()
            # The session works on the next request, whichever process it reaches.
            for _ in range(4):
                assert secure.get("/manager").status_code == 200
        with httpx.Client(base_url=cluster.url) as plain:
            answer = sign_in(plain)
            assert answer.status_code == 303
            assert "secure" not in answer.headers["set-cookie"].lower()

    def test_a_lan_host_name_over_http_passes_the_same_origin_checks(
        self, cluster: Cluster
    ) -> None:
        # A phone on the venue Wi-Fi types the server's LAN name: Host and Origin agree.
        host = f"antrean.mpp.lan:{cluster.http_port}"
        headers = {"Host": host, "Origin": f"http://{host}"}
        with httpx.Client(base_url=cluster.url, headers=headers) as phone:
            assert sign_in(phone).status_code == 303

    def test_a_killed_process_is_routed_around_until_it_is_back(self, cluster: Cluster) -> None:
        first = cluster.parts[1]
        assert first.process is not None
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait()
        answers = [httpx.get(f"{cluster.url}/healthz", timeout=5) for _ in range(10)]
        assert [a.status_code for a in answers] == [200] * 10
        assert {a.json()["process"] for a in answers} == {"antrean-2"}
        cluster.restart(first)
        deadline = time.monotonic() + 30  # nginx tries it again after fail_timeout (5 s)
        while processes_answering(cluster.url) != {"antrean-1", "antrean-2"}:
            assert time.monotonic() < deadline, "antrean-1 is not served again"
            time.sleep(0.5)

    def test_a_store_outage_is_503_json_through_the_proxy_and_then_served_again(
        self, cluster: Cluster
    ) -> None:
        redis = cluster.parts[0]
        redis.stop()
        command_id = uuid.uuid4().hex
        body = {"service": "kk", "command_id": command_id}
        headers = {"X-Device-Token": KIOSK_TOKEN}
        for _ in range(4):  # each process, twice
            down = httpx.post(f"{cluster.url}/kiosk/api/issue", json=body, headers=headers)
            assert down.status_code == 503 and down.json()["code"] == "store_unavailable"
        cluster.restart(redis)
        began, deadline = time.monotonic(), time.monotonic() + 30
        while True:
            answer = httpx.post(f"{cluster.url}/kiosk/api/issue", json=body, headers=headers)
            if answer.status_code == 200:
                break
            assert answer.status_code == 503 and time.monotonic() < deadline, answer.text
            time.sleep(0.1)
        print(f"served again {time.monotonic() - began:.2f} s after Redis was back")
        # The kiosk's resend, on either process, is the same ticket.
        again = [
            httpx.post(f"{url}/kiosk/api/issue", json=body, headers=headers).json()
            for url in cluster.replica_urls
        ]
        numbers = {a["ticket"]["label"] for a in again} | {answer.json()["ticket"]["label"]}
        assert len(numbers) == 1


class TestTheCommand:
    def test_ctrl_c_stops_every_part(self, tmp_path: Path) -> None:
        port, secure = _free_port(), _free_port()
        env = {**os.environ, "ANTREAN_AUDIO_CACHE": str(AUDIO_CACHE)}
        env["ANTREAN_CLOCK_START"] = OPEN_HOURS
        command = [sys.executable, "-m", "server", "cluster", "--port", str(port)]
        command += ["--https-port", str(secure), "--folder", str(tmp_path / "c")]
        launcher = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 90
            while not _up(f"http://127.0.0.1:{port}/healthz"):
                assert launcher.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
            parts = _children(launcher.pid)
            assert len(parts) == 4, parts  # redis-server, two antrean, nginx
            launcher.send_signal(signal.SIGINT)
            output = launcher.communicate(timeout=30)[0].decode()
            assert launcher.returncode == 0, output
        finally:
            if launcher.poll() is None:
                launcher.kill()
                launcher.communicate()
        assert f"http://localhost:{port}/counter" in output and "Ctrl-C" in output
        left = [pid for pid in parts if _alive(pid)]
        assert left == [], f"still running: {left}"

    def test_a_port_already_taken_is_said_and_nothing_starts(self, tmp_path: Path) -> None:
        import socket

        with socket.socket() as taken:
            taken.bind(("0.0.0.0", 0))
            taken.listen()
            port = taken.getsockname()[1]
            command = [sys.executable, "-m", "server", "cluster", "--port", str(port)]
            command += ["--https-port", str(_free_port()), "--folder", str(tmp_path / "c")]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert f"port {port} is taken" in done.stderr


class TestTemplate:
    def test_every_name_must_be_given_and_nginx_s_own_are_kept(self) -> None:
        text = "listen ${ANTREAN_HTTP_PORT}; proxy_set_header Host $http_host;"
        assert render_template(text, ANTREAN_HTTP_PORT="80") == (
            "listen 80; proxy_set_header Host $http_host;"
        )
        with pytest.raises(ValueError, match="ANTREAN_HTTP_PORT"):
            render_template(text)


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
