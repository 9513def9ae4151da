"""A hall screen that stops reading, against a real server process: the hub's rule closes it."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from server.demo import display_token
from server.hub import CLOSE_TOO_SLOW
from server.web.socket import BUFFER_BYTES, SEND_BUFFER
from tests.conftest import LiveServer
from tests.helpers import counter_of, sign_in_sync
from tests.helpers import post_command as send
from tests.server.web.test_metrics import sample

ZONE = "lantai1-timur"
MAX_CALLS = 200  # about 8 KB of zone views per call: far more than a stalled screen may cost
# What may reach a screen that stopped reading: its transport's buffer, the kernel's (Linux
# doubles SO_SNDBUF), our own receive buffer, and one frame in flight.
BOUND = BUFFER_BYTES + 2 * SEND_BUFFER + 64 * 1024


class StalledScreen:
    """A websocket client on a raw socket with a tiny receive buffer that stops reading."""

    def __init__(self, url: str) -> None:
        self.protocol = ClientProtocol(parse_uri(url), max_size=None)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        uri = parse_uri(url)
        self.sock.connect((uri.host, uri.port))
        self.protocol.send_request(self.protocol.connect())
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        self.received = 0
        while not self.protocol.events_received() and self._read(1):
            pass  # until the handshake's answer; then it reads nothing more
        self.raw = bytearray()  # every byte after the handshake's answer, as it came

    def drain(self) -> list[Frame]:
        """Read everything the server still sends, until it closes the connection."""
        self.sock.settimeout(5)
        frames: list[Frame] = []
        while self.protocol.close_rcvd is None and self._read(65536):
            frames += [e for e in self.protocol.events_received() if isinstance(e, Frame)]
        self.sock.close()
        return frames

    def read_to_the_end(self) -> list[Opcode]:
        """Read until the server ends the connection: the opcode of each frame it sent (read
        off the raw bytes: a client's parser discards whatever follows a close frame)."""
        self.sock.settimeout(5)
        while self._read(65536):
            pass
        self.sock.close()
        return _opcodes(bytes(self.raw))

    def _read(self, size: int) -> bool:
        try:
            data = self.sock.recv(size)
        except OSError:  # nothing more in time, or the server cut the connection off
            return False
        self.received += len(data)
        if hasattr(self, "raw"):
            self.raw += data
        self.protocol.receive_data(data)
        return bool(data)


def too_slow_logged(server: LiveServer) -> bool:
    return "too slow" in (server.data_dir / f"server-{server.port}.log").read_text()


class TestSlowScreen:
    """A screen that stops reading is closed by the hub (4008), not by the keepalive ping,
    after a bounded amount of data; a healthy screen of the same zone gets every view."""

    async def test_stalled_screen_is_closed_and_others_keep_receiving(
        self, live_server: LiveServer
    ) -> None:
        from websockets.asyncio.client import connect

        url = live_server.url.replace("http", "ws") + (
            f"/ws?topics=zone:{ZONE}&device={display_token(ZONE)}"
        )
        stalled = await asyncio.to_thread(StalledScreen, url)
        counter, _ = counter_of(ZONE)
        client, csrf = _officer(live_server, counter)
        views: list[dict[str, Any]] = []
        arrived = asyncio.Event()
        async with connect(url, max_size=None) as healthy:

            async def watch() -> None:
                async for frame in healthy:
                    message = json.loads(frame)
                    if message.get("topic") == f"zone:{ZONE}":
                        views.append(message)
                        arrived.set()

            watching = asyncio.create_task(watch())
            assert send(client, csrf, type="open_counter", counter=counter).json()["ok"]
            labels, last = await asyncio.to_thread(_call_until_dropped, live_server, client, csrf)
            frames = await asyncio.to_thread(stalled.drain)
            while not views or views[-1]["seq"] < last:
                arrived.clear()
                await asyncio.wait_for(arrived.wait(), 10)
            watching.cancel()
            assert healthy.close_code is None
        client.close()

        assert stalled.protocol.close_rcvd is not None, "the hub sent a close frame"
        assert stalled.protocol.close_rcvd.code == CLOSE_TOO_SLOW
        assert stalled.received < BOUND
        assert len(frames) < len(labels)  # it was closed long before the calls ended
        shown = {v["data"]["calls"][0]["label"][-4:] for v in views if v["data"]["calls"]}
        assert shown >= set(labels), "the healthy screen saw every call"
        scraped = (await asyncio.to_thread(httpx.get, f"{live_server.url}/metrics")).text
        assert sample(scraped, "antrean_websocket_disconnects_total", reason="too_slow") == 1


class TestClosing:
    """However a stalled screen's connection ends (the keepalive, its own close, the server
    stopping), it ends at once for the hub, and nothing is sent after the close frame."""

    async def test_a_stalled_speaker_past_the_keepalive_gives_way_at_once(
        self, tmp_path: Path
    ) -> None:
        from websockets.asyncio.client import connect

        server = LiveServer(tmp_path, env={"ANTREAN_WS_PING": "1"}).start()
        try:
            url = _zone_url(server)
            async with connect(url, max_size=None) as healthy:
                assert await _role(healthy) is True
                # The same device (the zone's named speaker) again: the newest speaks.
                stalled = await asyncio.to_thread(StalledScreen, url)
                assert await _role(healthy) is False
                await asyncio.to_thread(_calls, server, WAITING_CALLS)
                assert not too_slow_logged(server), "less than BUFFER_BYTES waits for it"
                # The stalled screen answers no ping: after 1 + 1 s it is gone, though
                # its views wait unsent, and the other display speaks again.
                assert await _role(healthy) is True
                scraped = (await asyncio.to_thread(httpx.get, f"{server.url}/metrics")).text
        finally:
            stalled.sock.close()
            server.stop()
        assert sample(scraped, "antrean_websocket_disconnects_total", reason="heartbeat") == 1
        assert sample(scraped, "antrean_websocket_connections") == 1  # the healthy one

    async def test_a_stalled_screen_that_closes_gets_nothing_after_the_close(
        self, live_server: LiveServer
    ) -> None:
        stalled = await asyncio.to_thread(StalledScreen, _zone_url(live_server))
        await asyncio.to_thread(_calls, live_server, WAITING_CALLS)
        # Its close goes out while views still wait for it; then it reads everything.
        stalled.protocol.send_close(1000)
        stalled.sock.sendall(b"".join(stalled.protocol.data_to_send()))
        opcodes = await asyncio.to_thread(stalled.read_to_the_end)
        assert Opcode.CLOSE in opcodes, "the server answered the close"
        assert _nothing_after_the_close(opcodes)

    async def test_the_server_stops_without_waiting_for_a_stalled_screen(
        self, live_server: LiveServer
    ) -> None:
        stalled = await asyncio.to_thread(StalledScreen, _zone_url(live_server))
        await asyncio.to_thread(_calls, live_server, WAITING_CALLS)
        process, live_server.process = live_server.process, None
        assert process is not None
        process.terminate()
        # uvicorn waits for every connection to end, with no limit of its own.
        await asyncio.to_thread(process.wait, 60)
        assert "Finished server process" in live_server.log.read_text()
        stalled.sock.close()


async def _role(display: ClientConnection) -> bool:
    """Whether the display is told it is its zone's speaker, by the next role message."""
    while True:
        message = json.loads(await asyncio.wait_for(display.recv(), 30))
        if message.get("type") == "role":
            return bool(message["speaker"])


# Calls whose zone views (about 8 KB each) fill a stalled screen's kernel buffers and
# leave some waiting in its transport, far below what closes it with 4008.
WAITING_CALLS = 12


def _zone_url(server: LiveServer) -> str:
    return server.url.replace("http", "ws") + f"/ws?topics=zone:{ZONE}&device={display_token(ZONE)}"


def _calls(server: LiveServer, calls: int) -> None:
    counter, service = counter_of(ZONE)
    client, csrf = _officer(server, counter)
    try:
        assert send(client, csrf, type="open_counter", counter=counter).json()["ok"]
        for i in range(calls):
            send(client, csrf, type="issue_ticket", service=service, visit=f"w{i}", channel="staff")
            assert send(client, csrf, type="call_next", counter=counter).json()["ok"]
            send(client, csrf, type="done", counter=counter)
    finally:
        client.close()


def _opcodes(raw: bytes) -> list[Opcode]:
    """The opcodes of the server's (unmasked) frames in `raw`, a last partial one included."""
    opcodes, at = [], 0
    while at + 2 <= len(raw):
        opcodes.append(Opcode(raw[at] & 0x0F))
        size, at = raw[at + 1] & 0x7F, at + 2
        if size == 126:
            size, at = int.from_bytes(raw[at : at + 2]), at + 2
        elif size == 127:
            size, at = int.from_bytes(raw[at : at + 8]), at + 8
        at += size
    return opcodes


def _nothing_after_the_close(opcodes: list[Opcode]) -> bool:
    return Opcode.CLOSE not in opcodes or opcodes.index(Opcode.CLOSE) == len(opcodes) - 1


def _officer(server: LiveServer, counter: str) -> tuple[httpx.Client, str]:
    """The counter's officer signed in: a client and its CSRF token."""
    client = httpx.Client(base_url=server.url)
    csrf = sign_in_sync(client, f"loket{counter.lower()}")
    assert csrf, "the console page carries its CSRF token"
    return client, csrf


def _call_until_dropped(
    server: LiveServer, client: httpx.Client, csrf: str
) -> tuple[list[str], int]:
    """Call tickets until the hub says it dropped a screen (at most MAX_CALLS); the labels
    called and the last call's seq."""
    counter, service = counter_of(ZONE)
    labels: list[str] = []
    last = 0
    for i in range(MAX_CALLS):
        send(client, csrf, type="issue_ticket", service=service, visit=f"v{i}", channel="staff")
        send(client, csrf, type="done", counter=counter)
        answer = send(client, csrf, type="call_next", counter=counter).json()
        assert answer["ok"], answer
        last = answer["seq"]
        labels.append(f"-{i + 1:03d}")
        if too_slow_logged(server):
            # Read at once: the server cuts off a peer that reads nothing for 10 s after
            # its close (a screen that stalled before this test could tell would never know).
            break
    return labels, last
