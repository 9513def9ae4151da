"""`antrean run` prints every screen's address, and every address it prints answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server import config
from server.cli import _print_urls
from server.settings import Settings
from tests.helpers import serving


async def test_every_printed_address_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=str(tmp_path), clock_start="2026-11-24T09:00:00+07:00")
    _print_urls("http://localhost:8000", config.load_venue(settings.venue_file), settings)
    printed = re.findall(r"http://localhost:8000(/\S*)", capsys.readouterr().out)
    paths = [p for p in printed if p != "/"]
    for wanted in ("/kiosk", "/survey", "/pengaduan", "/layanan", "/manager/pengaduan"):
        assert any(p.startswith(wanted) for p in paths), wanted
    async with serving(settings) as (_, client):
        for path in paths:
            answer = await client.get(path, follow_redirects=False)
            # A page, or the sign-in it asks for first.
            assert answer.status_code in (200, 303), (path, answer.status_code)
