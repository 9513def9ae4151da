"""`/ws`: the live connection of every screen to the hub.

A client names its topics and, after a reconnect, the last (epoch, seq) it saw:
`/ws?topics=zone:lantai1&since=EPOCH:SEQ&device=TOKEN`. Each topic must be allowed for the
caller: a zone for a display paired to it (or a manager), a counter for an officer of its
tenant. Views arrive as binary JSON frames, encoded once for all subscribers.
"""

from __future__ import annotations

import msgspec
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.accounts import User
from server.auth import paired_device, same_origin, signed_in
from server.hub import Hub, Position, Subscriber
from server.views import Projection

CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
MAX_FRAME = 4096
MAX_BAD_FRAMES = 5


class ClientMessage(msgspec.Struct, tag_field="type", forbid_unknown_fields=False):
    pass


class Ping(ClientMessage, tag="ping"):
    pass


_client = msgspec.json.Decoder(Ping)


async def endpoint(ws: WebSocket) -> None:
    topics = [t for t in ws.query_params.get("topics", "").split(",") if t]
    since = _position(ws.query_params.get("since", ""))
    reason = await _refusal(ws, topics)
    if reason:
        await ws.close(code=CLOSE_FORBIDDEN, reason=reason)
        return
    await ws.accept()
    hub: Hub = ws.app.state.hub
    projection: Projection = ws.app.state.projection
    subscriber = Subscriber(
        send=lambda data: ws.send({"type": "websocket.send", "bytes": data}),
        close=lambda code, why: ws.close(code=code, reason=why),
        name=f"ws {ws.client}",
    )
    for topic in topics:
        hub.subscribe(topic, subscriber, since, lambda topic=topic: projection.snapshot(topic))  # type: ignore[misc]
    try:
        await _receive(ws)
    finally:
        hub.disconnect(subscriber)
        await subscriber.aclose()


async def _receive(ws: WebSocket) -> None:
    """Read what the client says; garbage gets a clear answer, too much garbage a close."""
    bad = 0
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes") or (message.get("text") or "").encode()
            if len(data) <= MAX_FRAME and _understood(data):
                continue
            bad += 1
            await ws.send_json(
                {"error": "pesan tidak dikenali", "error_en": "message not understood"}
            )
            if bad >= MAX_BAD_FRAMES:
                await ws.close(code=CLOSE_BAD_REQUEST, reason="too many malformed messages")
                return
    except WebSocketDisconnect:
        return


def _understood(data: bytes) -> bool:
    try:
        _client.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False
    return True


def _position(text: str) -> Position | None:
    epoch, _, seq = text.partition(":")
    return Position(epoch, int(seq)) if epoch and seq.isdigit() else None


async def _refusal(ws: WebSocket, topics: list[str]) -> str:
    """Why this caller may not have these topics, or "" when it may."""
    if not same_origin(ws):
        return "origin not allowed"
    if not topics or len(topics) > 8:
        return "name 1 to 8 topics"
    projection: Projection = ws.app.state.projection
    known = set(projection.topics())
    if unknown := [t for t in topics if t not in known]:
        return f"unknown topic {unknown[0]}"
    who = await signed_in(ws)
    device = await paired_device(ws, ws.query_params.get("device"))
    for topic in topics:
        if not _may_watch(topic, who[0] if who else None, device.zone if device else None, ws):
            return f"not allowed: {topic}"
    return ""


def _may_watch(topic: str, user: User | None, device_zone: str | None, ws: WebSocket) -> bool:
    kind, _, key = topic.partition(":")
    if user is not None and user.role in ("manager", "admin"):
        return True
    if kind == "zone":
        return device_zone == key
    if kind == "counter" and user is not None:
        counter = ws.app.state.venue.counters[key]
        return user.may_use_counter(counter.id, counter.tenant)
    return False


routes = [WebSocketRoute("/ws", endpoint)]
