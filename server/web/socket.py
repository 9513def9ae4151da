"""`/ws`: the live connection of every screen to the hub.

A client names its topics and, after a reconnect, the last (epoch, seq) it saw:
`/ws?topics=zone:lantai1&since=EPOCH:SEQ&device=TOKEN`. Each topic must be allowed for the
caller: a zone for a display paired to it (or a manager), a counter for an officer of its
tenant. Views arrive as binary JSON frames, encoded once for all subscribers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from collections.abc import Callable
from typing import Annotated

import msgspec
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from server.accounts import Device, User
from server.hub import CLOSE_GOING_AWAY, CLOSE_SEND_FAILED, CLOSE_TOO_SLOW, Position, Subscriber
from server.presence import AudioOutcome, AudioStatus
from server.services import Services, services
from server.store import StoreUnavailable
from server.topics import Viewer, source_of
from server.web.auth import paired_device, same_origin, signed_in
from server.web.wire import decode

log = logging.getLogger(__name__)
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
# What the server's close codes mean on /metrics; the client's own are below (`_gone`).
CLOSE_REASONS = {
    CLOSE_TOO_SLOW: "too_slow",
    CLOSE_SEND_FAILED: "send_failed",
    CLOSE_FORBIDDEN: "forbidden",
    CLOSE_BAD_REQUEST: "bad_messages",
    CLOSE_GOING_AWAY: "server_stopping",
}
# uvicorn's code for a connection lost without a close frame; ScreenProtocol's for a
# keepalive ping that went unanswered.
LOST, HEARTBEAT = 1005, 1011
MAX_FRAME = 4096
MAX_BAD_FRAMES = 5
# How often an open socket checks that its session or device token still holds.
RECHECK_SECONDS = 10.0
# What `displays.views.call_id` makes (and so what displays/static/announce.js reports).
CallId = Annotated[str, msgspec.Meta(pattern=r"\A[0-9a-f]{16}\Z")]


class ClientMessage(msgspec.Struct, tag_field="type"):
    pass


class Ping(ClientMessage, tag="ping"):
    pass


class AudioReport(ClientMessage, tag="audio"):
    """A display says what became of an announcement it was to play."""

    call: CallId
    status: AudioOutcome


_client = msgspec.json.Decoder(Ping | AudioReport)


NOT_UNDERSTOOD = msgspec.json.encode(
    {"error": "pesan tidak dikenali", "error_en": "message not understood"}
)


async def endpoint(ws: WebSocket) -> None:
    topics = [t for t in ws.query_params.get("topics", "").split(",") if t]
    since = _position(ws.query_params.get("since", ""))
    device = await paired_device(ws, ws.query_params.get("device"))
    who = await signed_in(ws)
    reason = _refusal(ws, topics, who[0] if who else None, device)
    await ws.accept()
    if reason:
        # Refuse after accepting: a handshake refused with HTTP 403 reaches a browser only
        # as close code 1006 ("unreachable"), and a screen must tell "not paired" apart.
        await ws.close(code=CLOSE_FORBIDDEN, reason=reason)
        return
    hub = services(ws).hub
    sources = services(ws).topic_sources
    subscriber = Subscriber(
        send=lambda data: ws.send({"type": "websocket.send", "bytes": data}),
        close=lambda code, why: ws.close(code=code, reason=why),
        name=f"ws {ws.client}",
    )
    metrics = services(ws).metrics
    metrics.connections.inc()
    for topic in topics:
        source = source_of(sources, topic)
        assert source is not None  # _refusal checked every topic
        hub.subscribe(topic, subscriber, since, functools.partial(source.snapshot, topic))
    presence = services(ws).presence
    zone = device.zone if device is not None and f"zone:{device.zone}" in topics else None
    if zone is not None:
        presence.join(zone, subscriber, device.name)  # type: ignore[union-attr]
    watch = (
        asyncio.create_task(_recheck(ws, subscriber, topics), name=f"recheck {ws.client}")
        if who is not None or device is not None
        else None
    )
    client_code: int | None = None
    try:
        client_code = await _receive(
            ws, subscriber, lambda report: _record(services(ws), zone, device, report)
        )
    finally:
        if watch is not None:
            watch.cancel()
        if zone is not None:
            presence.leave(zone, subscriber)
        hub.disconnect(subscriber)
        metrics.connections.dec()
        metrics.disconnects.labels(_gone(subscriber.close_code, client_code)).inc()
        await subscriber.aclose()


def _gone(server_code: int | None, client_code: int | None) -> str:
    """Why a screen's connection ended: the server's close first (it closed, then the
    client went), else how the client went."""
    if server_code is not None:
        return CLOSE_REASONS.get(server_code, "closed_by_server")
    if client_code == HEARTBEAT:
        return "heartbeat"
    if client_code == LOST:
        return "connection_lost"
    return "client_closed"


async def _recheck(ws: WebSocket, subscriber: Subscriber, topics: list[str]) -> None:
    """Close the socket (4403) once its session has ended (signed out, user disabled, new
    password) or its device was revoked: what opened it must still hold while it is open."""
    while not subscriber.closed:
        await asyncio.sleep(RECHECK_SECONDS)
        try:
            device = await paired_device(ws, ws.query_params.get("device"))
            who = await signed_in(ws)
        except StoreUnavailable:
            continue  # cannot tell now: the store's outage is no reason to close
        reason = _refusal(ws, topics, who[0] if who else None, device)
        if reason:
            log.info("ws %s: closing, %s", ws.client, reason)
            subscriber.drop(CLOSE_FORBIDDEN, reason)


def _record(parts: Services, zone: str | None, device: Device | None, report: AudioReport) -> None:
    if zone is None or device is None:
        return
    parts.presence.report(AudioStatus(zone, device.id, report.call, report.status, parts.clock()))


async def _receive(
    ws: WebSocket, subscriber: Subscriber, on_audio: Callable[[AudioReport], None]
) -> int | None:
    """Read what the client says; garbage gets a clear answer, too much garbage a close.
    Returns the close code the client went with (None when the server closed first).

    Answers go through the subscriber's queue: one writer per connection, in order.
    """
    bad = 0
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return int(message.get("code", LOST))
            data = message.get("bytes") or (message.get("text") or "").encode()
            said = _understood(data) if len(data) <= MAX_FRAME else None
            if isinstance(said, AudioReport):
                on_audio(said)
            if said is not None:
                continue
            bad += 1
            subscriber.offer(NOT_UNDERSTOOD)
            if bad >= MAX_BAD_FRAMES:
                await subscriber.aclose(CLOSE_BAD_REQUEST, "too many malformed messages")
                return None
    except WebSocketDisconnect as gone:
        return gone.code


def _understood(data: bytes) -> Ping | AudioReport | None:
    try:
        message: Ping | AudioReport = decode(_client.decode, data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return message


def _position(text: str) -> Position | None:
    epoch, _, seq = text.partition(":")
    return Position(epoch, int(seq)) if epoch and seq.isdigit() else None


def _refusal(ws: WebSocket, topics: list[str], user: User | None, device: Device | None) -> str:
    """Why this caller may not have these topics, or "" when it may."""
    if not same_origin(ws):
        return "origin not allowed"
    if device is not None and device.kind != "display":
        # A kiosk's token opens the kiosk's API only: as a display it would take the zone's
        # speaker role, and its audio reports would hide a silent hall from the managers.
        return f"device {device.id} is a {device.kind}, not a display"
    if not topics or len(topics) > 8:
        return "name 1 to 8 topics"
    sources = services(ws).topic_sources
    viewer = Viewer(user=user, device=device)
    for topic in topics:
        source = source_of(sources, topic)
        if source is None:
            return f"unknown topic {topic}"
        if not source.may_watch(topic, viewer):
            return f"not allowed: {topic}"
    return ""


class ScreenProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets (sans-I/O) protocol with a small, fixed send buffer.

    Left alone, the kernel grows a loopback or LAN socket's send buffer to megabytes and the
    transport accepts everything below its 64 KiB mark, so a screen that stopped reading
    never made a send wait: the hub's bounded outbox never filled, and the stalled screen
    was only noticed by the keepalive ping (1011, after ~40 s) while megabytes piled up. Here
    a send waits once about `SEND_BUFFER` bytes are pending in the kernel and as much in the
    transport; the hub's outbox fills behind it and the hub closes the screen with 4008.
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        sock: socket.socket | None = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        self.transport.set_write_buffer_limits(high=SEND_BUFFER)

    def keepalive_timeout(self) -> None:
        # uvicorn reports this as any lost connection (1005); say it was the heartbeat,
        # ahead of that report, so /metrics can tell a dead screen from a closed one.
        if not self.close_sent and not self.transport.is_closing():
            self.queue.put_nowait({"type": "websocket.disconnect", "code": HEARTBEAT})
        super().keepalive_timeout()

    async def send(self, message: ASGISendEvent) -> None:
        closing = message["type"] == "websocket.close" and self.handshake_complete
        if closing:
            # A close must not wait for a reader that stopped: the frame goes behind what
            # is buffered, and a peer that has not read it after close_timeout is cut off.
            self.writable.set()
        await super().send(message)
        if closing and self.close_timer is not None:
            self.close_timer.cancel()
            self.close_timer = self.loop.call_later(self.close_timeout, self.transport.abort)


# What may wait in a screen's connection (kernel and transport each) before a send waits.
SEND_BUFFER = 16 * 1024

routes = [WebSocketRoute("/ws", endpoint)]
