"""`antrean run` with ANTREAN_LOG_FORMAT=json: every line it logs is one JSON object."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer
from tests.helpers import sign_in_sync


@pytest.fixture
def json_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path, env={"ANTREAN_LOG_FORMAT": "json"}).start()
    yield server
    server.stop()


def test_log_lines_are_json_with_access_and_audit_fields(json_server: LiveServer) -> None:
    with httpx.Client(base_url=json_server.url) as client:
        assert not sign_in_sync(client, "manajer", "not-the-password")
    json_server.stop()
    text = json_server.log.read_text()
    # The banner with the URLs is printed for people; everything logged after it is JSON.
    logged = text[text.index("\n{") + 1 :]
    lines = [json.loads(line) for line in logged.splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert any(a["method"] == "POST" and a["path"] == "/login" for a in access)
    audit = [line for line in lines if line["logger"] == "antrean.audit"]
    assert audit and audit[0]["username"] == "manajer"
    assert audit[0]["reason"] == "wrong_password"
    assert "not-the-password" not in text


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run(
        [sys.executable, "-m", "server", "run", "--data", str(tmp_path)],
        cwd=ROOT,
        env={"ANTREAN_LOG_FORMAT": "xml", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "must be text or json" in done.stderr
