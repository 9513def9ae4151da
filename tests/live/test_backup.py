"""`antrean backup` of a live server's log while it appends, and `antrean restore` into a
fresh data folder: a server on the restored log serves the same position and state."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from pathlib import Path

import httpx

from server.demo import KIOSK_TOKEN
from server.store.transfer import check_backup
from tests.conftest import ROOT, LiveServer, RedisServer
from tests.server.web.test_metrics import sample


def antrean(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args], cwd=ROOT, capture_output=True, text=True
    )


class Kiosk(threading.Thread):
    """Issues tickets one after another until stopped; counts the acknowledged ones."""

    def __init__(self, server: LiveServer) -> None:
        super().__init__()
        self.server, self.stopping, self.acknowledged = server, threading.Event(), 0

    def run(self) -> None:
        headers = {"X-Device-Token": KIOSK_TOKEN}
        with httpx.Client(base_url=self.server.url, headers=headers, timeout=20) as client:
            while not self.stopping.is_set():
                body = {"service": "ktp", "command_id": str(uuid.uuid4())}
                if client.post("/kiosk/api/issue", json=body).status_code == 200:
                    self.acknowledged += 1


def waiting(server: LiveServer) -> float:
    return sample(httpx.get(f"{server.url}/metrics").text, "antrean_tickets_waiting", service="ktp")


def test_backup_while_appending_then_restore(live_server: LiveServer, tmp_path: Path) -> None:
    kiosk = Kiosk(live_server)
    kiosk.start()
    try:
        while kiosk.acknowledged < 20:
            threading.Event().wait(0.05)
        backed = antrean("backup", str(tmp_path / "backup.db"), "--data", str(live_server.data_dir))
        during = kiosk.acknowledged
        while kiosk.acknowledged < during + 20:  # the server went on appending
            threading.Event().wait(0.05)
    finally:
        kiosk.stopping.set()
        kiosk.join()
    assert backed.returncode == 0, backed.stderr
    venue = httpx.get(f"{live_server.url}/healthz").json()["venue"]
    held = check_backup(tmp_path / "backup.db")  # whole, gap-free, every command whole
    assert 20 <= held[venue] < httpx.get(f"{live_server.url}/healthz").json()["seq"]
    assert f"{venue}.accounts" in held
    live_server.stop()

    fresh = tmp_path / "fresh"
    restored = antrean("restore", str(tmp_path / "backup.db"), "--data", str(fresh))
    assert restored.returncode == 0, restored.stderr
    assert f"{venue}: {held[venue]:,} records" in restored.stdout
    server = LiveServer(fresh).start()
    try:
        health = httpx.get(f"{server.url}/healthz").json()
        # The demo seeds nothing new onto a log that already has its accounts.
        assert health["seq"] == held[venue]
        issued = waiting(server)
        assert 20 <= issued <= health["seq"]
        # A restore while a server runs on the target is refused, even with --force.
        again = antrean("restore", str(tmp_path / "backup.db"), "--data", str(fresh), "--force")
        assert again.returncode == 1
        assert "a server is using the target log" in again.stderr
        assert httpx.get(f"{server.url}/healthz").json()["seq"] == held[venue]
    finally:
        server.stop()
    refused = antrean("restore", str(tmp_path / "backup.db"), "--data", str(fresh))
    assert refused.returncode == 1 and "add --force to replace it" in refused.stderr
    forced = antrean("restore", str(tmp_path / "backup.db"), "--data", str(fresh), "--force")
    assert forced.returncode == 0, forced.stderr


def test_a_damaged_backup_is_refused_in_words(tmp_path: Path) -> None:
    (tmp_path / "broken.db").write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    done = antrean("restore", str(tmp_path / "broken.db"), "--data", str(tmp_path / "data"))
    assert done.returncode == 1
    assert "refused" in done.stderr and "broken.db" in done.stderr
    assert not (tmp_path / "data").exists()  # the target was not even opened


def test_export_to_redis_then_serve_from_it(
    live_server: LiveServer, redis_server: RedisServer
) -> None:
    issue = {"service": "ktp", "command_id": str(uuid.uuid4())}
    headers = {"X-Device-Token": KIOSK_TOKEN}
    assert httpx.post(f"{live_server.url}/kiosk/api/issue", json=issue, headers=headers).is_success
    seq = httpx.get(f"{live_server.url}/healthz").json()["seq"]
    live_server.stop()
    source = f"sqlite://{live_server.data_dir / 'antrean.db'}"
    moved = antrean("export", "--from", source, "--to", redis_server.url)
    assert moved.returncode == 0, moved.stderr
    again = antrean("export", "--from", source, "--to", redis_server.url)
    assert again.returncode == 1 and "already holds the log" in again.stderr
    # The same data folder, for its secret: visit tokens, and so command digests, derive
    # from it (a moved log needs the same ANTREAN_SECRET to answer retries as before).
    on_redis = LiveServer(live_server.data_dir, redis_url=redis_server.url).start()
    try:
        assert httpx.get(f"{on_redis.url}/healthz").json()["seq"] == seq
        # The retried kiosk command is answered as the first time: ids moved with the log.
        retried = httpx.post(f"{on_redis.url}/kiosk/api/issue", json=issue, headers=headers)
        assert retried.is_success, retried.text
        assert httpx.get(f"{on_redis.url}/healthz").json()["seq"] == seq
        assert waiting(on_redis) == 1
    finally:
        on_redis.stop()
