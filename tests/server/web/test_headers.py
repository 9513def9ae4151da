"""Every answer carries the security headers: a strict CSP, no framing by other sites, no
sniffing, no referrer to other sites, no camera/microphone/location."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from server.settings import Settings
from tests.conftest import ROOT
from tests.helpers import serving

PAGES = [
    "/",
    "/login",
    "/booking",
    "/kiosk",
    "/survey",
    "/display/lantai1-timur",
    "/t/bukan-token",
    "/healthz",
]


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=str(tmp_path), clock_start="2026-11-24T09:00:00+07:00")
    async with serving(settings) as (_, http):
        yield http


class TestHeaders:
    @pytest.mark.parametrize("path", PAGES)
    async def test_every_answer_is_guarded(self, client: httpx.AsyncClient, path: str) -> None:
        headers = (await client.get(path)).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy and headers["x-frame-options"] == "DENY"
        assert "connect-src 'self' ws: wss:" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "camera=()" in headers["permissions-policy"]
        assert "microphone=()" in headers["permissions-policy"]
        assert "geolocation=()" in headers["permissions-policy"]

    async def test_static_files_and_refusals_too(self, client: httpx.AsyncClient) -> None:
        for path in ("/static/server/antrean.css", "/kiosk/api/overview", "/no-such-page"):
            headers = (await client.get(path)).headers
            assert headers["x-content-type-options"] == "nosniff", path
            assert "content-security-policy" in headers, path

    async def test_only_the_recording_studio_may_use_the_microphone(
        self, client: httpx.AsyncClient
    ) -> None:
        studio = (await client.get("/manager/voice")).headers["permissions-policy"]
        assert "microphone=(self)" in studio and "camera=()" in studio
        for path in ("/manager/voice/pack.zip", "/manager", "/kiosk"):
            assert "microphone=()" in (await client.get(path)).headers["permissions-policy"], path

    async def test_the_kiosk_frames_its_own_print_page(self, client: httpx.AsyncClient) -> None:
        headers = (await client.get("/kiosk/ticket/bukan-token-yang-ada/print")).headers
        assert "frame-ancestors 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "SAMEORIGIN"


# What the CSP (no 'unsafe-inline') would block in a page: an inline script (data blocks of
# type application/json are not run), a style attribute or element, an inline handler.
_INLINE = re.compile(
    r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>|<style\b|\sstyle=|\son[a-z]+=",
    re.I,
)


def test_no_template_holds_what_the_policy_blocks() -> None:
    """Templates the browser test does not open (the outage page, a form refusal) too."""
    templates = [
        path
        for room in ("server", "displays", "counters", "visitors", "managers", "audio")
        for path in sorted((ROOT / room).glob("templates/**/*.html"))
    ]
    assert templates, f"no templates under {ROOT}"
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in templates
        for match in _INLINE.finditer(path.read_text())
    ]
    assert found == []
