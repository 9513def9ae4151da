"""`/ws` as screens and strangers meet it, through a real server process on the demo venue."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.config import DEMO_VENUE, load_venue
from server.demo import KIOSK_TOKEN, SURVEY_TOKEN, display_token
from tests.conftest import LiveServer

# The demo pairs its kiosk with the venue's first zone: the one a kiosk token might try.
ZONE = next(iter(load_venue(DEMO_VENUE).zones))
CALL = "0123456789abcdef"  # the form of displays.views.call_id


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One demo server for the module: these tests only watch and talk, never queue."""
    live = LiveServer(tmp_path_factory.mktemp("data")).start()
    yield live
    live.stop()


def server_log(server: LiveServer) -> str:
    return (server.data_dir / f"server-{server.port}.log").read_text()


def ws_url(server: LiveServer, topics: str, device: str) -> str:
    return server.url.replace("http", "ws") + f"/ws?topics={topics}&device={device}"


async def frames_until_closed(ws: ClientConnection) -> list[Any]:
    """Everything the server says before it closes the connection."""
    said: list[Any] = []
    with pytest.raises(ConnectionClosed):
        while True:
            said.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
    return said


async def answer(ws: ClientConnection) -> dict[str, Any]:
    """The next message that is neither a view nor a heartbeat nor a role."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message and "topic" not in message and message.get("type") != "role":
            return message


class TestDeviceKinds:
    """A device token opens only what its kind is for: a kiosk is no hall display."""

    async def test_a_kiosk_token_cannot_watch_a_zone(self, server: LiveServer) -> None:
        async with connect(ws_url(server, f"zone:{ZONE}", KIOSK_TOKEN)) as ws:
            said = await frames_until_closed(ws)
        assert said == []  # no view, no speaker role
        assert ws.close_code == 4403
        assert ws.close_reason and ws.close_reason.endswith("is a kiosk, not a display")

    async def test_a_survey_tablet_token_cannot_watch_a_zone(self, server: LiveServer) -> None:
        async with connect(ws_url(server, f"zone:{ZONE}", SURVEY_TOKEN)) as ws:
            said = await frames_until_closed(ws)
        assert said == []
        assert ws.close_code == 4403
        assert ws.close_reason and ws.close_reason.endswith("is a survey, not a display")

    async def test_a_kiosk_token_cannot_report_audio(self, server: LiveServer) -> None:
        async with connect(ws_url(server, f"zone:{ZONE}", KIOSK_TOKEN)) as ws:
            report = {"type": "audio", "call": "fedcba9876543210", "status": "blocked"}
            with pytest.raises(ConnectionClosed):
                await ws.send(json.dumps(report))
                await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 4403
        assert "fedcba9876543210" not in server_log(server)

    async def test_a_display_token_still_watches_its_zone(self, server: LiveServer) -> None:
        async with connect(ws_url(server, f"zone:{ZONE}", display_token(ZONE))) as ws:
            first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["topic"] == f"zone:{ZONE}"

    async def test_a_display_token_cannot_issue_tickets(self, server: LiveServer) -> None:
        headers = {"X-Device-Token": display_token(ZONE)}
        async with httpx.AsyncClient(base_url=server.url, headers=headers) as client:
            overview = await client.get("/kiosk/api/overview")
            issued = await client.post("/kiosk/api/issue", json={"service": "x"})
        assert overview.status_code == issued.status_code == 403
        assert not overview.json()["ok"]


class TestWhatScreensSay:
    """Whatever a screen sends gets a clear answer, and the server log stays truthful."""

    @pytest.mark.parametrize(
        "frame",
        [
            "[" * 4000,
            '{"type": "ping", "x": ' + "[" * 4000,
            '{"type": "audio", "status": "played", "call": ' + "[" * 4000,
        ],
        ids=["bare", "in-a-skipped-field", "in-a-field"],
    )
    async def test_deep_nesting_is_not_understood(self, server: LiveServer, frame: str) -> None:
        async with connect(ws_url(server, f"zone:{ZONE}", display_token(ZONE))) as ws:
            await ws.send(frame)
            assert (await answer(ws))["error_en"] == "message not understood"
            await ws.send(frame)  # the connection lives on and answers again
            assert (await answer(ws))["error_en"] == "message not understood"
        log = server_log(server)
        assert "Traceback" not in log and "RecursionError" not in log

    @pytest.mark.parametrize(
        "call",
        ["abc\nERROR forged line", "0123456789abcdef\n", "x" * 3000, "0123456789ABCDEF", ""],
    )
    async def test_only_real_call_ids_are_reported(self, server: LiveServer, call: str) -> None:
        async with connect(ws_url(server, f"zone:{ZONE}", display_token(ZONE))) as ws:
            await ws.send(json.dumps({"type": "audio", "call": call, "status": "blocked"}))
            assert (await answer(ws))["error"] == "pesan tidak dikenali"
        log = server_log(server)
        assert "forged line" not in log and "x" * 100 not in log
        assert f"announcement {call} blocked" not in log

    async def test_a_real_report_is_logged(self, server: LiveServer) -> None:
        async with connect(ws_url(server, f"zone:{ZONE}", display_token(ZONE))) as ws:
            await ws.send(json.dumps({"type": "audio", "call": CALL, "status": "blocked"}))
            await ws.send("?")  # answered after the report was handled (and logged)
            assert (await answer(ws))["error"] == "pesan tidak dikenali"
        assert f"zone {ZONE}: announcement {CALL} blocked" in server_log(server)
