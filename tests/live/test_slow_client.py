"""A hall screen that stops reading, against a real server process: the hub's rule closes it."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import httpx
from websockets.client import ClientProtocol
from websockets.frames import Frame
from websockets.uri import parse_uri

from server.demo import display_token
from server.hub import BUFFER_BYTES, CLOSE_TOO_SLOW
from server.web.socket import SEND_BUFFER
from tests.conftest import LiveServer
from tests.helpers import counter_of, sign_in_sync
from tests.helpers import post_command as send
from tests.server.web.test_metrics import sample

ZONE = "lantai1-timur"
MAX_CALLS = 200  # about 8 KB of zone views per call: far more than a stalled screen may cost
# What may reach a screen that stopped reading: the hub's outbox, the transport's and the
# kernel's buffers (Linux doubles SO_SNDBUF), our own receive buffer, and one frame in flight.
BOUND = BUFFER_BYTES + 2 * SEND_BUFFER + SEND_BUFFER + 64 * 1024


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

    def drain(self) -> list[Frame]:
        """Read everything the server still sends, until it closes the connection."""
        self.sock.settimeout(5)
        frames: list[Frame] = []
        while self.protocol.close_rcvd is None and self._read(65536):
            frames += [e for e in self.protocol.events_received() if isinstance(e, Frame)]
        self.sock.close()
        return frames

    def _read(self, size: int) -> bool:
        try:
            data = self.sock.recv(size)
        except TimeoutError:
            return False
        self.received += len(data)
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
