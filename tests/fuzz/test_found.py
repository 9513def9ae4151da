"""What the API fuzz found, each pinned by the smallest request that showed it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from server.settings import Settings
from server.web.login import LOGIN_COOKIE
from tests.conftest import AUDIO_CACHE
from tests.helpers import SignedIn, serving


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    settings = Settings(data_dir=str(tmp_path), audio_cache=str(AUDIO_CACHE))
    async with serving(settings) as served:
        yield served


class TestNonAsciiTokens:
    """A security token with a byte beyond ASCII (headers are latin-1, forms are UTF-8) is
    a wrong token, refused as one: never a 500."""

    async def test_a_command_with_a_latin1_csrf_header_is_refused(
        self, app: tuple[Starlette, httpx.AsyncClient]
    ) -> None:
        manager = SignedIn(app[1])
        await manager.sign_in("manajer")
        manager.csrf = "\x80"
        headers = {b"X-CSRF-Token": b"\x80"}
        answer = await manager.client.post(
            "/api/commands", json={"type": "roll_day", "command_id": "a" * 8}, headers=headers
        )
        assert answer.status_code == 403
        assert answer.json()["code"] == "csrf"

    async def test_a_sign_in_with_a_unicode_csrf_field_is_refused(
        self, app: tuple[Starlette, httpx.AsyncClient]
    ) -> None:
        client = app[1]
        form = await client.get("/login")
        assert re.search(r'name="csrf" value="([^"]+)"', form.text)
        client.cookies.set(LOGIN_COOKIE, "abc")
        data = {"username": "manajer", "password": "antrean-demo", "csrf": "é"}
        answer = await client.post("/login", data=data)
        assert answer.status_code == 401
        assert "Formulir kedaluwarsa" in answer.text


class TestMalformedOrigin:
    """An `Origin` that is no URL at all (`http://[`) is another site's: refused, not a 500."""

    async def test_a_command_is_refused(self, app: tuple[Starlette, httpx.AsyncClient]) -> None:
        manager = SignedIn(app[1])
        await manager.sign_in("manajer")
        answer = await manager.client.post(
            "/api/commands",
            json={"type": "roll_day", "command_id": "a" * 8},
            headers={"X-CSRF-Token": manager.csrf, "Origin": "http://["},
        )
        assert answer.status_code == 403
        assert answer.json()["code"] == "csrf"

    async def test_a_visitors_form_is_refused(
        self, app: tuple[Starlette, httpx.AsyncClient]
    ) -> None:
        answer = await app[1].post(
            "/booking", data={"form": "x", "service": "ktp"}, headers={"Origin": "http://["}
        )
        assert answer.status_code == 403
