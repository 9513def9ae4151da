"""Live calling through a real server process: sign in, command, the views arrive on /ws."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from server.demo import display_token
from tests.conftest import LiveServer
from tests.helpers import counter_of, sign_in_sync
from tests.helpers import post_command as send

ZONE = "lantai1-timur"


SignIn = Callable[[LiveServer, str], tuple[httpx.Client, str]]


@pytest.fixture
def sign_in() -> Iterator[SignIn]:
    """Signs in as a user: an HTTP client and its CSRF token, as the console page has them."""
    clients: list[httpx.Client] = []

    def signed_in(server: LiveServer, username: str) -> tuple[httpx.Client, str]:
        client = httpx.Client(base_url=server.url, follow_redirects=False)
        clients.append(client)
        csrf = sign_in_sync(client, username)
        assert csrf, "the console page carries its CSRF token"
        return client, csrf

    yield signed_in
    for client in clients:
        client.close()


async def next_view(ws: ClientConnection, topic: str, wait: float = 10) -> dict[str, Any]:
    while True:
        frame = await asyncio.wait_for(ws.recv(), wait)
        message: dict[str, Any] = json.loads(frame)
        if message.get("topic") == topic:
            return message


class TestCalling:
    """An officer's call reaches the display of the counter's zone."""

    async def test_call_appears_on_the_zone_display(
        self, live_server: LiveServer, sign_in: SignIn
    ) -> None:
        counter, service = counter_of(ZONE)
        client, csrf = sign_in(live_server, f"loket{counter.lower()}")
        ws_url = (
            live_server.url.replace("http", "ws")
            + f"/ws?topics=zone:{ZONE}&device={display_token(ZONE)}"
        )
        async with connect(ws_url) as ws:
            first = await next_view(ws, f"zone:{ZONE}")
            assert first["data"]["calls"] == []
            assert send(
                client, csrf, type="issue_ticket", service=service, visit="v1", channel="staff"
            ).json()["ok"]
            assert send(client, csrf, type="open_counter", counter=counter).json()["ok"]
            answer = send(client, csrf, type="call_next", counter=counter).json()
            assert answer["ok"] and "TicketCalled" in answer["events"]
            while True:
                view = await next_view(ws, f"zone:{ZONE}")
                if view["data"]["calls"]:
                    break
            call = view["data"]["calls"][0]
            assert call["counter"] == counter and call["label"].endswith("-001")
            assert view["seq"] == answer["seq"]

    async def test_a_double_press_calls_once(
        self, live_server: LiveServer, sign_in: SignIn
    ) -> None:
        counter, service = counter_of(ZONE)
        client, csrf = sign_in(live_server, f"loket{counter.lower()}")
        for i in range(2):
            send(client, csrf, type="issue_ticket", service=service, visit=f"v{i}", channel="staff")
        send(client, csrf, type="open_counter", counter=counter)
        press = uuid.uuid4().hex
        first = send(client, csrf, type="call_next", counter=counter, command_id=press).json()
        again = send(client, csrf, type="call_next", counter=counter, command_id=press).json()
        assert again["duplicate"] and again["seq"] == first["seq"]


class TestRefusals:
    """Bad or unauthorised requests get a clear answer and change nothing."""

    def test_signed_out(self, live_server: LiveServer) -> None:
        answer = httpx.post(f"{live_server.url}/api/commands", json={"type": "call_next"})
        assert answer.status_code == 401 and "masuk lagi" in answer.json()["message"]

    def test_missing_csrf_token(self, live_server: LiveServer, sign_in: SignIn) -> None:
        client, _ = sign_in(live_server, "loket1")
        answer = send(client, "wrong", type="open_counter", counter="1")
        assert answer.status_code == 403 and answer.json()["code"] == "csrf"

    def test_other_tenants_counter(self, live_server: LiveServer, sign_in: SignIn) -> None:
        from server.config import DEMO_VENUE, load_venue

        venue = load_venue(DEMO_VENUE)
        mine = venue.counters["1"]
        other = next(c for c in venue.counters.values() if c.tenant != mine.tenant)
        client, csrf = sign_in(live_server, "loket1")
        answer = send(client, csrf, type="open_counter", counter=other.id)
        assert answer.status_code == 403 and answer.json()["code"] == "forbidden"

    def test_domain_refusal_in_indonesian(self, live_server: LiveServer, sign_in: SignIn) -> None:
        client, csrf = sign_in(live_server, "loket1")
        answer = send(client, csrf, type="call_next", counter="1")
        assert answer.status_code == 409
        assert answer.json() == {
            "ok": False,
            "code": "counter_closed",
            "message": "Loket 1 sedang tutup. Buka loket terlebih dahulu.",
        }

    def test_garbage_and_huge_bodies(self, live_server: LiveServer, sign_in: SignIn) -> None:
        client, csrf = sign_in(live_server, "loket1")
        headers = {"X-CSRF-Token": csrf, "content-type": "application/json"}
        garbage = client.post("/api/commands", content=b"{not json", headers=headers)
        assert garbage.status_code == 400 and garbage.json()["code"] == "bad_request"
        huge = client.post("/api/commands", content=b"x" * 10_000_000, headers=headers)
        assert huge.status_code == 413
        unknown = send(client, csrf, type="launch_rocket", counter="1")
        assert unknown.status_code == 400
        assert httpx.get(f"{live_server.url}/healthz").json()["seq"] == 0

    async def test_display_needs_its_device_token(self, live_server: LiveServer) -> None:
        base = live_server.url.replace("http", "ws")
        for query in (
            f"topics=zone:{ZONE}",
            f"topics=zone:{ZONE}&device=demo-lantai2",
            f"topics=zone:{ZONE}&device=nope",
        ):
            with pytest.raises(Exception) as caught:
                async with connect(f"{base}/ws?{query}") as ws:
                    await ws.recv()
            assert "403" in str(caught.value) or "4403" in str(caught.value)

    async def test_garbage_frames_get_an_answer_then_a_close(self, live_server: LiveServer) -> None:
        url = (
            live_server.url.replace("http", "ws")
            + f"/ws?topics=zone:{ZONE}&device={display_token(ZONE)}"
        )
        async with connect(url) as ws:
            await next_view(ws, f"zone:{ZONE}")
            await ws.send("this is not json")
            assert (await _error(ws))["error"] == "pesan tidak dikenali"
            await ws.send('{"type": "ping"}')
            for _ in range(5):
                await ws.send(b"\x00\xff")
            with pytest.raises(Exception):  # noqa: B017
                for _ in range(10):
                    await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 4400


class TestTenantBoundaries:
    """An officer cannot cancel or return another tenant's ticket."""

    def test_cancel_of_another_tenants_ticket(
        self, live_server: LiveServer, sign_in: SignIn
    ) -> None:
        from server.config import DEMO_VENUE, load_venue

        venue = load_venue(DEMO_VENUE)
        mine = venue.counters["1"]
        other = next(c for c in venue.counters.values() if c.tenant != mine.tenant)
        theirs, their_csrf = sign_in(live_server, f"loket{other.id.lower()}")
        issued = send(
            theirs,
            their_csrf,
            type="issue_ticket",
            service=other.services[0],
            visit="v",
            channel="staff",
        )
        assert issued.json()["ok"]
        label = venue.services[other.services[0]].prefix + "-001"
        client, csrf = sign_in(live_server, "loket1")
        answer = send(client, csrf, type="cancel_ticket", ticket=label, by="officer", reason="x")
        assert answer.status_code == 403
        assert send(
            theirs, their_csrf, type="cancel_ticket", ticket=label, by="officer", reason="x"
        ).json()["ok"]


class TestSocketProtocol:
    """The socket sends views as they are: no per-connection compression."""

    async def test_no_permessage_deflate(self, live_server: LiveServer) -> None:
        url = (
            live_server.url.replace("http", "ws")
            + f"/ws?topics=zone:{ZONE}&device={display_token(ZONE)}"
        )
        async with connect(url) as ws:  # the client offers permessage-deflate by default
            assert ws.response is not None
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
            assert (await next_view(ws, f"zone:{ZONE}"))["data"]["zone"] == ZONE


class TestZoneSpeaker:
    """One display per zone speaks: the configured speaker when present, else the first."""

    async def test_roles_follow_who_is_connected(
        self, live_server: LiveServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from server.cli import main

        pair = [
            "devices",
            "add",
            "--zone",
            ZONE,
            "--name",
            "layar-samping",
            "--data",
            str(live_server.data_dir),
        ]
        assert await asyncio.to_thread(main, pair) == 0
        second = re.search(r"device=(\S+)", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
        base = live_server.url.replace("http", "ws") + f"/ws?topics=zone:{ZONE}&device="
        async with connect(base + second) as side:
            assert await _role(side) is True  # alone in the zone: it speaks
            async with connect(base + display_token(ZONE)) as configured:
                assert await _role(configured) is True
                assert await _role(side) is False
            assert await _role(side) is True  # the configured speaker left

    async def test_audio_reports_are_recorded(self, live_server: LiveServer) -> None:
        url = (
            live_server.url.replace("http", "ws")
            + f"/ws?topics=zone:{ZONE}&device={display_token(ZONE)}"
        )
        async with connect(url) as speaker:
            assert await _role(speaker) is True
            await speaker.send(
                json.dumps({"type": "audio", "call": "0123456789abcdef", "status": "blocked"})
            )
            await speaker.send(
                json.dumps({"type": "audio", "call": "0123456789abcdef", "status": "exploded"})
            )
            assert (await _error(speaker))["error"] == "pesan tidak dikenali"
        log = (live_server.data_dir / f"server-{live_server.port}.log").read_text()
        assert "announcement 0123456789abcdef blocked" in log


async def _notice(ws: ClientConnection) -> str:
    while True:
        frame = await asyncio.wait_for(ws.recv(), 10)
        text = frame if isinstance(frame, str) else frame.decode()
        if '"topic"' not in text and text != "{}":
            return text


async def _role(ws: ClientConnection) -> bool:
    while True:
        message = json.loads(await _notice(ws))
        if message.get("type") == "role":
            return bool(message["speaker"])


async def _error(ws: ClientConnection) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await _notice(ws))
        if "error" in message:
            return message
