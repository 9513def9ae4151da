"""`make run-cluster`: the cluster starts, spreads requests over both processes behind
nginx, speaks https with Secure cookies, routes around a killed process, answers 503
through a store outage, and Ctrl-C leaves nothing running."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Origin

from server.app import HEARTBEAT_SECONDS
from server.cluster import TEMPLATE, Cluster, ClusterError, lan_addresses, render_template
from server.demo import KIOSK_TOKEN, PASSWORD, display_token
from server.web.socket import CLOSE_FORBIDDEN
from tests.conftest import AUDIO_CACHE, OPEN_HOURS, ROOT, _free_port
from tests.helpers import _login_form

pytestmark = pytest.mark.slow
ZONE = "lantai1-timur"
TOKEN = display_token(ZONE)


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

    def test_the_processes_see_a_lan_client_s_own_address_whatever_it_forwards(
        self, cluster: Cluster
    ) -> None:
        # The sign-in throttle and the rate limits key on it: not nginx's 127.0.0.1, and
        # not an X-Forwarded-For the client wrote itself.
        lan = sorted(a for a in lan_addresses() if "." in a and not a.startswith("127."))
        if not lan:
            pytest.skip("this machine has no LAN address")
        spoofed = {"X-Forwarded-For": "203.0.113.9"}
        for _ in range(2):  # each process
            url = f"http://{lan[0]}:{cluster.http_port}/healthz?from=lan"
            assert httpx.get(url, headers=spoofed).status_code == 200
        logs = "".join(p.read_text() for p in (cluster.folder / "logs").glob("antrean-*.log"))
        seen = re.findall(r"INFO: +(\S+):\d+ - \"GET /healthz\?from=lan ", logs)
        assert seen == [lan[0], lan[0]], seen

    def test_a_lan_host_name_over_http_passes_the_same_origin_checks(
        self, cluster: Cluster
    ) -> None:
        # A phone on the venue Wi-Fi types the server's LAN name: Host and Origin agree.
        host = f"antrean.mpp.lan:{cluster.http_port}"
        headers = {"Host": host, "Origin": f"http://{host}"}
        with httpx.Client(base_url=cluster.url, headers=headers) as phone:
            assert sign_in(phone).status_code == 303

    def test_a_lan_host_name_s_screen_socket_passes_the_proxy_and_a_foreign_page_s_does_not(
        self, cluster: Cluster
    ) -> None:
        host = f"antrean.mpp.lan:{cluster.http_port}"
        url = f"ws://{host}/ws?topics=zone:{ZONE}&device={TOKEN}"
        address = ("127.0.0.1", cluster.http_port)
        ours, foreign = Origin(f"http://{host}"), Origin("http://mpp.example")
        with connect(url, sock=socket.create_connection(address), origin=ours) as ws:
            assert json.loads(ws.recv(timeout=10))["topic"] == f"zone:{ZONE}"
        with (
            connect(url, sock=socket.create_connection(address), origin=foreign) as ws,
            pytest.raises(ConnectionClosed) as closed,
        ):
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_FORBIDDEN

    def test_a_killed_process_is_routed_around_until_it_is_back(self, cluster: Cluster) -> None:
        first = cluster.part("antrean-1")
        assert first.process is not None
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait()
        answers = [httpx.get(f"{cluster.url}/healthz", timeout=5) for _ in range(10)]
        assert [a.status_code for a in answers] == [200] * 10
        assert {a.json()["process"] for a in answers} == {"antrean-2"}
        cluster.restart("antrean-1")
        deadline = time.monotonic() + 30  # nginx tries it again after fail_timeout (5 s)
        while processes_answering(cluster.url) != {"antrean-1", "antrean-2"}:
            assert time.monotonic() < deadline, "antrean-1 is not served again"
            time.sleep(0.5)

    def test_a_store_outage_is_503_json_through_the_proxy_and_then_served_again(
        self, cluster: Cluster
    ) -> None:
        redis = cluster.part("redis-server")
        redis.stop()
        command_id = uuid.uuid4().hex
        body = {"service": "kk", "command_id": command_id}
        headers = {"X-Device-Token": KIOSK_TOKEN}
        for _ in range(4):  # each process, twice
            down = httpx.post(f"{cluster.url}/kiosk/api/issue", json=body, headers=headers)
            assert down.status_code == 503 and down.json()["code"] == "store_unavailable"
        cluster.restart("redis-server")
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
        port = _free_port()
        launcher = _launch(tmp_path, port)
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
            _kill(launcher)
        assert f"http://localhost:{port}/counter" in output and "Ctrl-C" in output
        left = [pid for pid in parts if _alive(pid)]
        assert left == [], f"still running: {left}"

    def test_ctrl_c_while_starting_stops_at_once_without_waiting_for_the_rest(
        self, tmp_path: Path
    ) -> None:
        launcher = _launch(tmp_path, _free_port())
        try:
            deadline = time.monotonic() + 90
            while len(parts := _children(launcher.pid)) < 2:  # redis-server and antrean-1
                assert launcher.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            launcher.send_signal(signal.SIGINT)
            launcher.send_signal(signal.SIGINT)  # twice, quickly
            output = launcher.communicate(timeout=30)[0].decode()
        finally:
            _kill(launcher)
        assert launcher.returncode == 0, output
        # It stopped where it was: the screens' addresses were never printed.
        assert "Ctrl-C stops everything" not in output, output
        assert "stopping" in output
        assert [pid for pid in parts if _alive(pid)] == []

    def test_a_port_already_taken_is_said_and_nothing_starts(self, tmp_path: Path) -> None:
        with socket.socket() as taken:
            taken.bind(("0.0.0.0", 0))
            taken.listen()
            port = taken.getsockname()[1]
            command = [sys.executable, "-m", "server", "cluster", "--port", str(port)]
            command += ["--https-port", str(_free_port()), "--folder", str(tmp_path / "c")]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert f"port {port} is taken" in done.stderr

    def test_without_nginx_it_says_what_to_install_and_starts_nothing(self, tmp_path: Path) -> None:
        bare = tmp_path / "bin"  # redis-server, and no nginx
        bare.mkdir()
        redis_server = shutil.which("redis-server")
        assert redis_server is not None
        (bare / "redis-server").symlink_to(redis_server)
        command = [sys.executable, "-m", "server", "cluster", "--folder", str(tmp_path / "c")]
        command += ["--port", str(_free_port()), "--https-port", str(_free_port())]
        env = {**os.environ, "PATH": str(bare)}
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 1
        assert "nginx is not installed: run `scripts/ensure-system cluster`" in done.stderr
        assert not (tmp_path / "c").exists()

    def test_a_process_failing_at_start_is_named_with_its_log_and_the_rest_stopped(
        self, tmp_path: Path
    ) -> None:
        # The session's clip cache: with none, a process that cannot bind its port still
        # renders the whole vocabulary before it exits.
        env = {"ANTREAN_AUDIO_CACHE": str(AUDIO_CACHE)}
        failing = Cluster(tmp_path / "c", _free_port(), _free_port(), extra_env=env)
        with socket.socket() as taken:  # its port, taken after it was chosen
            taken.bind(("127.0.0.1", failing.replica_ports[1]))
            taken.listen()
            with pytest.raises(ClusterError) as error:
                failing.start()
        log = tmp_path / "c" / "logs" / "antrean-2.log"
        assert str(error.value) == f"antrean-2 stopped at start; its log: {log}"
        assert "address already in use" in log.read_text()
        # Redis and the first process, both up by then, are stopped.
        for port in (failing.redis_port, failing.replica_ports[0]):
            with socket.socket() as probe:
                assert probe.connect_ex(("127.0.0.1", port)) != 0, port


class TestTemplate:
    def test_every_name_must_be_given_and_nginx_s_own_are_kept(self) -> None:
        text = "listen ${ANTREAN_HTTP_PORT}; proxy_set_header Host $http_host;"
        assert render_template(text, ANTREAN_HTTP_PORT="80") == (
            "listen 80; proxy_set_header Host $http_host;"
        )
        with pytest.raises(ValueError, match="ANTREAN_HTTP_PORT"):
            render_template(text)

    def test_a_quiet_screen_socket_outlasts_the_heartbeat(self) -> None:
        # A hall with no calls still hears the hub's heartbeat before nginx gives up on it
        # (checked by hand: a socket through the proxy, idle 100 s, then got the next call).
        timeouts = re.findall(r"proxy_(read|send)_timeout (\d+)s;", TEMPLATE.read_text())
        assert {kind for kind, _ in timeouts} == {"read", "send"}
        assert all(int(seconds) > 2 * HEARTBEAT_SECONDS for _, seconds in timeouts)


def _launch(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    """`antrean cluster` as `make run-cluster` runs it, on `port` and a free https port."""
    env = {**os.environ, "ANTREAN_AUDIO_CACHE": str(AUDIO_CACHE)}
    env["ANTREAN_CLOCK_START"] = OPEN_HOURS
    command = [sys.executable, "-m", "server", "cluster", "--port", str(port)]
    command += ["--https-port", str(_free_port()), "--folder", str(tmp_path / "c")]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _kill(launcher: subprocess.Popen[bytes]) -> None:
    if launcher.poll() is None:
        launcher.kill()
        launcher.communicate()


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:  # a thread may end between the listing and the read
            text = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        found += [int(child) for child in text]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
