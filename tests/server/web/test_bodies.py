"""Every body the app reads is bounded: forms and JSON alike are answered in Indonesian when
they are too big, too many or too slow, never with Starlette's English or a hung request."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from server.demo import KIOSK_TOKEN
from server.settings import Settings
from tests.conftest import LiveServer
from tests.helpers import serving


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=str(tmp_path), clock_start="2026-11-24T09:00:00+07:00")
    async with serving(settings) as (_, http):
        yield http


FORMS = ["/booking", "/login", "/t/bukan-token-yang-ada/cancel"]


class TestForms:
    """One form reader, with limits far below Starlette's defaults, answering a page."""

    @pytest.mark.parametrize("path", FORMS)
    async def test_an_oversized_field_is_a_413_page(
        self, client: httpx.AsyncClient, path: str
    ) -> None:
        answer = await client.post(path, data={"holder": "x" * (1100 * 1024)})
        assert answer.status_code == 413
        assert answer.headers["content-type"].startswith("text/html")
        assert "Isian formulir terlalu besar" in answer.text
        assert "exceeded" not in answer.text

    @pytest.mark.parametrize("path", FORMS)
    async def test_too_many_fields_is_a_400_page(
        self, client: httpx.AsyncClient, path: str
    ) -> None:
        answer = await client.post(
            path,
            content="&".join(f"f{n}=1" for n in range(1100)),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 400
        assert "Formulir tidak dapat dibaca" in answer.text
        assert "Too many fields" not in answer.text

    async def test_english_when_asked(self, client: httpx.AsyncClient) -> None:
        client.cookies.set("lang", "en")
        answer = await client.post("/booking", data={"holder": "x" * (1100 * 1024)})
        assert "The form is too large" in answer.text


def _stall(server: LiveServer, head: str) -> bytes:
    """Send `head` and 10 of the 1000 body bytes it declares, then wait: what comes back
    before the server closes the connection (a generous timeout: the test cannot hang)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as connection:
        connection.sendall(head.encode() + b"Content-Length: 1000\r\n\r\n" + b"0123456789")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


class TestLyingContentLength:
    """A client that declares a body and stalls is answered 408 and let go."""

    def test_a_json_endpoint(self, live_server: LiveServer) -> None:
        head = (
            "POST /kiosk/api/issue HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"X-Device-Token: {KIOSK_TOKEN}\r\nContent-Type: application/json\r\n"
        )
        answer = _stall(live_server, head)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b'"code":"too_slow"' in answer

    def test_a_form(self, live_server: LiveServer) -> None:
        head = (
            "POST /booking HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
        )
        answer = _stall(live_server, head)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"Formulir tidak terkirim lengkap" in answer
