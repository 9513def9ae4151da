"""`/ws`: the live connection of every screen to the hub.

A client names its topics and, after a reconnect, the last (epoch, seq) it saw:
`/ws?topics=zone:lantai1&since=EPOCH:SEQ&device=TOKEN`. Each topic must be allowed for the
caller: a zone for a display paired to it (or a manager), a counter for an officer of its
tenant. Views arrive as binary JSON frames, framed once for all subscribers.

The endpoint runs only the handshake: it checks the caller, accepts, and hands the
connection over to itself (`ScreenProtocol.take`). From then on the connection is the hub's
subscriber with no task of its own: the hub writes each message's frame, built once, straight
to its transport, and what the screen says is read as it arrives (`Screen.said`). One watch
(`Screens`) rechecks every open socket's session and device when the accounts change.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import socket
from collections import deque
from typing import Annotated, Protocol

import msgspec
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from uvicorn._types import ASGISendEvent
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.frames import Frame

from server.accounts import SESSION_HOURS, AccountBook, Accounts, Device, User
from server.clock import utc_now
from server.hub import (
    CLOSE_GOING_AWAY,
    CLOSE_INTERNAL_ERROR,
    CLOSE_TOO_SLOW,
    Message,
    Position,
)
from server.metrics import Metrics
from server.presence import AudioOutcome, AudioStatus
from server.services import Services, services
from server.store import StoreUnavailable
from server.topics import TopicSource, Viewer, source_of
from server.web.auth import Session, paired_device, same_origin, signed_in
from server.web.faults import CLOSE_TRY_AGAIN_LATER
from server.web.wire import decode

log = logging.getLogger(__name__)
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
# uvicorn's code for a connection lost without a close frame; ScreenProtocol's for a
# keepalive ping that went unanswered.
LOST, HEARTBEAT = 1005, 1011
# What uvicorn closes every socket with when the server stops (RFC 6455 "service restart"),
# and how long a screen has to read its way to that close before it is cut off.
CLOSE_SERVICE_RESTART = 1012
SHUTDOWN_GRACE = 2.0
# What the server's close codes mean on /metrics; the client's own are below (`_gone`).
CLOSE_REASONS = {
    CLOSE_TOO_SLOW: "too_slow",
    CLOSE_INTERNAL_ERROR: "server_error",
    CLOSE_FORBIDDEN: "forbidden",
    CLOSE_BAD_REQUEST: "bad_messages",
    CLOSE_GOING_AWAY: "server_stopping",
    CLOSE_SERVICE_RESTART: "server_stopping",
    CLOSE_TRY_AGAIN_LATER: "store_unavailable",
}
MAX_FRAME = 4096
MAX_BAD_FRAMES = 5
# How often the open sockets' sessions and device tokens are rechecked (when accounts changed).
RECHECK_SECONDS = 10.0
# At most this many bytes wait in one screen's connection (beyond the kernel's small send
# buffer): what a stalled screen may cost. A single message bigger than that still goes to
# a connection that has nothing waiting.
BUFFER_BYTES = 256 * 1024
# What may wait in a screen's kernel send buffer before its transport starts keeping bytes.
SEND_BUFFER = 16 * 1024
# The name under which ScreenProtocol offers `take` to the endpoint (ASGI scope extension).
TAKE = "antrean.screen"
# What makes `displays.views.call_id` (and so what displays/static/announce.js reports).
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


NOT_UNDERSTOOD = Message(
    msgspec.json.encode({"error": "pesan tidak dikenali", "error_en": "message not understood"})
)


class Screen:
    """One open socket, after its handshake: who opened it, for what, and what it says.

    Small on purpose (one per hall screen and phone): the connection itself is the
    `ScreenProtocol`, the hub's subscriber."""

    __slots__ = ("bad", "client", "device", "parts", "protocol", "session", "token", "topics")

    def __init__(
        self,
        parts: Services,
        topics: tuple[str, ...],
        token: str | None,
        device: Device | None,
        session: Session | None,
        client: str,
    ) -> None:
        self.parts, self.topics, self.token, self.device = parts, topics, token, device
        self.session, self.client = session, client
        self.protocol: ScreenProtocol | None = None
        self.bad = 0

    @property
    def zone(self) -> str | None:
        """The zone whose speaker this screen may be: a paired display on its zone's feed."""
        device = self.device
        return device.zone if device is not None and f"zone:{device.zone}" in self.topics else None

    def said(self, data: bytes) -> None:
        """A message from the screen: an audio report, a ping, or garbage (answered, and
        closed after `MAX_BAD_FRAMES`)."""
        protocol = self.protocol
        assert protocol is not None
        understood = _understood(data) if len(data) <= MAX_FRAME else None
        if isinstance(understood, AudioReport):
            zone, device = self.zone, self.device
            if zone is not None and device is not None:
                status = AudioStatus(
                    zone, device.id, understood.call, understood.status, self.parts.clock()
                )
                self.parts.presence.report(status)
        if understood is not None:
            return
        self.bad += 1
        protocol.offer(NOT_UNDERSTOOD)
        if self.bad >= MAX_BAD_FRAMES:
            protocol.drop(CLOSE_BAD_REQUEST, "too many malformed messages")

    def gone(self, client_code: int) -> None:
        """The connection ended: leave the hub, the zone and the watch; count why."""
        protocol, parts = self.protocol, self.parts
        assert protocol is not None
        zone = self.zone
        if zone is not None:
            parts.presence.leave(zone, protocol)
        parts.hub.disconnect(protocol)
        parts.screens.discard(self)
        metrics: Metrics = parts.metrics
        metrics.connections.dec()
        metrics.disconnects.labels(_gone(protocol.close_code, client_code)).inc()

    def refusal(self, accounts: Accounts, now: float) -> str:
        """Why this screen may no longer watch its topics ("" when it still may)."""
        device = accounts.device(self.token) if self.token else None
        user = _session_user(accounts, self.session, now)
        return _not_allowed(self.parts.topic_sources, self.topics, user, device)


def _session_user(accounts: Accounts, session: Session | None, now: float) -> User | None:
    """The user behind `session` now, as `signed_in` would find them (None: signed out)."""
    if session is None or now >= expiry(session):
        return None
    user = accounts.users.get(session.username)
    if user is None or not user.active:
        return None
    return None if accounts.session_ended(session.id, session.issued, user) else user


def expiry(session: Session) -> float:
    """When `session`'s cookie stops being honoured (wall-clock epoch seconds)."""
    return session.issued + SESSION_HOURS * 3600


class Screens:
    """Every open socket of this process opened by a session or a device token, rechecked
    when the accounts change (a sign-out, a disabled user, a revoked device) or a session
    expires: what opened a socket must still hold while it is open. One task for all of
    them; a screen costs nothing while nothing changes. A visitor's phone (no session, no
    device) is not rechecked: its ticket's token is all it ever had."""

    def __init__(self, book: AccountBook, interval: float = RECHECK_SECONDS) -> None:
        self._book = book
        self._interval = interval
        self._open: set[Screen] = set()
        # Opened since the last sweep: admitted on accounts that may have changed during
        # their handshake, so checked once on the next tick's.
        self._fresh: list[Screen] = []
        self._checked = -1  # the accounts log seq of the last sweep
        self._next_expiry = math.inf
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._open)

    def add(self, screen: Screen) -> None:
        if screen.session is None and not screen.token:
            return
        self._open.add(screen)
        self._fresh.append(screen)
        if screen.session is not None:
            self._next_expiry = min(self._next_expiry, expiry(screen.session))

    def discard(self, screen: Screen) -> None:
        self._open.discard(screen)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="recheck screens")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.recheck()
            except StoreUnavailable:
                continue  # cannot tell now: the store's outage is no reason to close
            except Exception:  # a bug must not end the rechecks of every socket for good
                log.exception("rechecking the open sockets failed")

    async def recheck(self) -> None:
        """One tick: every screen when the accounts moved or a session expired, else the
        screens opened since the last tick."""
        accounts = await self._book.refresh()
        now = utc_now().timestamp()
        if accounts.seq != self._checked or now >= self._next_expiry:
            await self.sweep(accounts, now)
        elif self._fresh:
            fresh, self._fresh = self._fresh, []
            await self._check(fresh, accounts, now)

    async def sweep(self, accounts: Accounts, now: float) -> None:
        """Close (4403) every screen whose session or device no longer allows its topics."""
        self._checked, self._next_expiry = accounts.seq, math.inf
        self._fresh = []
        await self._check(list(self._open), accounts, now)

    async def _check(self, screens: list[Screen], accounts: Accounts, now: float) -> None:
        for n, screen in enumerate(screens):
            if n and not n % 500:
                await asyncio.sleep(0)  # thousands of screens: let calls through meanwhile
            if screen not in self._open or screen.protocol is None:
                continue
            reason = screen.refusal(accounts, now)
            if reason:
                log.info("ws %s: closing, %s", screen.client, reason)
                screen.protocol.drop(CLOSE_FORBIDDEN, reason)
            elif screen.session is not None and now < expiry(screen.session):
                self._next_expiry = min(self._next_expiry, expiry(screen.session))


class Take(Protocol):
    def __call__(self, screen: Screen) -> ScreenProtocol | None: ...


async def endpoint(ws: WebSocket) -> None:
    topics = tuple(t for t in ws.query_params.get("topics", "").split(",") if t)
    since = _position(ws.query_params.get("since", ""))
    token = ws.query_params.get("device")
    device = await paired_device(ws, token)
    who = await signed_in(ws)
    reason = _refusal(ws, topics, who[0] if who else None, device)
    take: Take | None = ws.scope.get("extensions", {}).get(TAKE, {}).get("take")
    await ws.accept()
    if reason or take is None:
        # Refuse after accepting: a handshake refused with HTTP 403 reaches a browser only
        # as close code 1006 ("unreachable"), and a screen must tell "not paired" apart.
        await ws.close(code=CLOSE_FORBIDDEN, reason=reason or "served without ScreenProtocol")
        return
    parts = services(ws)
    client = f"{ws.client.host}:{ws.client.port}" if ws.client else "?"
    screen = Screen(parts, topics, token, device, who[1] if who else None, client)
    protocol = take(screen)
    if protocol is None:
        return  # the screen went away during the handshake
    parts.metrics.connections.inc()
    parts.screens.add(screen)
    # The connection is the screen's now: an error from here on closes it (nothing else
    # would: the endpoint's return leaves it open), and the handlers' close cannot reach it.
    try:
        _join(parts, screen, protocol, since)
    except StoreUnavailable as error:
        log.warning("ws %s: %s", client, error)
        protocol.drop(CLOSE_TRY_AGAIN_LATER, "store unavailable, try again later")
    except Exception:
        log.exception("ws %s: could not subscribe to %s", client, ",".join(topics))
        protocol.drop(CLOSE_INTERNAL_ERROR, "server error")


def _join(
    parts: Services, screen: Screen, protocol: ScreenProtocol, since: Position | None
) -> None:
    """Subscribe the screen to each of its topics (a replay or a snapshot first), then to
    its zone's speaker election when it is a paired display."""
    for topic in screen.topics:
        if not protocol.open:
            return  # a snapshot bigger than it could take: it is closing already
        source = source_of(parts.topic_sources, topic)
        assert source is not None  # _refusal checked every topic
        parts.hub.subscribe(topic, protocol, since, functools.partial(source.snapshot, topic))
    zone, device = screen.zone, screen.device
    if zone is not None and device is not None and protocol.open:
        parts.presence.join(zone, protocol, device.name)


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


def _understood(data: bytes) -> Ping | AudioReport | None:
    try:
        message: Ping | AudioReport = decode(_client.decode, data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return message


def _position(text: str) -> Position | None:
    epoch, _, seq = text.partition(":")
    return Position(epoch, int(seq)) if epoch and seq.isdigit() else None


def _refusal(
    ws: WebSocket, topics: tuple[str, ...], user: User | None, device: Device | None
) -> str:
    """Why this caller may not have these topics, or "" when it may."""
    if not same_origin(ws):
        return "origin not allowed"
    if device is not None and device.kind != "display":
        # A kiosk's token opens the kiosk's API only: as a display it would take the zone's
        # speaker role, and its audio reports would hide a silent hall from the managers.
        return f"device {device.id} is a {device.kind}, not a display"
    if not topics or len(topics) > 8:
        return "name 1 to 8 topics"
    return _not_allowed(services(ws).topic_sources, topics, user, device)


def _not_allowed(
    sources: tuple[TopicSource, ...],
    topics: tuple[str, ...],
    user: User | None,
    device: Device | None,
) -> str:
    viewer = Viewer(user=user, device=device)
    for topic in topics:
        source = source_of(sources, topic)
        if source is None:
            return f"unknown topic {topic}"
        if not source.may_watch(topic, viewer):
            return f"not allowed: {topic}"
    return ""


class _Handed:
    """uvicorn's receive queue and writable event, once `take` has handed the connection
    over: what is put in or signalled goes nowhere, and a late close (an error in the
    endpoint after `take`) does not wait for a drain (the close timer cuts a stalled peer)."""

    def put_nowait(self, item: object) -> None:
        pass

    def set(self) -> None:
        pass

    def clear(self) -> None:
        pass

    async def wait(self) -> None:
        pass


_HANDED = _Handed()


class ScreenProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets (sans-I/O) protocol, and, once `/ws` took it over, the hub's
    subscriber for one screen: no task, no queue, no per-screen encoding.

    `offer` writes a message's prebuilt frame straight to the transport while the screen
    keeps up. The kernel's send buffer and the transport's are kept small (`SEND_BUFFER`):
    left alone, Linux grows a loopback or LAN socket's buffer to megabytes and a stalled
    screen would hide there unnoticed until the keepalive ping (1011, after ~40 s). Once the
    transport holds that much, later messages wait in `_behind` (references to the hub's
    shared messages, no copies) and are written as it drains; when more than `BUFFER_BYTES`
    would wait there the screen is too slow: what waits is discarded (stale views are no use
    to it) and it is closed with 4008, to resync when it reconnects.
    """

    close_code: int | None = None
    _screen: Screen | None = None
    _heartbeat_lost = False
    _paused = False
    _behind: deque[Message] | None = None  # only while the screen is behind
    _behind_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        sock: socket.socket | None = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        self.transport.set_write_buffer_limits(high=SEND_BUFFER)

    def handle_connect(self, event: object) -> None:
        super().handle_connect(event)  # type: ignore[arg-type]
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][TAKE] = {"take": self.take}

    def take(self, screen: Screen) -> ScreenProtocol | None:
        """The endpoint hands the accepted connection over to `screen`: from now on what
        the client says goes to `screen.said`, its end to `screen.gone`, and the endpoint
        may return without closing it. None when the client is gone already."""
        if self.disconnected or self.close_sent or self.transport.is_closing():
            return None
        self._screen = screen
        screen.protocol = self
        # Nobody reads uvicorn's receive queue or waits on its writable event from now on
        # (`said` and `offer` replace them); the two cost ~4 KB per screen.
        self.queue = self.writable = _HANDED  # type: ignore[assignment]
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        return self

    # --- the hub's subscriber ----------------------------------------------------------

    @property
    def open(self) -> bool:
        """Whether a message may still be written: no close frame sent by any path (ours,
        uvicorn's keepalive, shutdown or reply to the client's close), nor the transport
        closing."""
        return self.close_code is None and not self.close_sent and not self.transport.is_closing()

    def offer(self, message: Message) -> bool:
        if not self.open:
            self._behind, self._behind_bytes = None, 0
            return False
        behind = self._behind
        if behind is None and not self._paused:
            self.transport.write(message.frame)
            return True
        if behind is None:
            behind = self._behind = deque()
        if self._behind_bytes and self._behind_bytes + len(message) > BUFFER_BYTES:
            log.warning("ws %s: too slow to read, closing with %d", self.client, CLOSE_TOO_SLOW)
            self.drop(CLOSE_TOO_SLOW, "too slow")
            return False
        behind.append(message)
        self._behind_bytes += len(message)
        return True

    def room(self) -> int:
        return BUFFER_BYTES - self._behind_bytes

    def pause_writing(self) -> None:
        self._paused = True
        super().pause_writing()

    def resume_writing(self) -> None:
        self._paused = False
        super().resume_writing()
        behind = self._behind
        if not self.open:
            behind = None  # a close frame went out: nothing may follow it
        while behind and not self._paused:
            message = behind.popleft()
            self._behind_bytes -= len(message)
            self.transport.write(message.frame)
        if not behind:
            self._behind, self._behind_bytes = None, 0

    def drop(self, code: int, reason: str) -> None:
        if self.close_code is not None:
            return
        self.close_code = code
        self._behind, self._behind_bytes = None, 0
        if self.close_sent or self.transport.is_closing():
            return
        try:
            self.conn.send_close(code, reason)
        except InvalidState:
            return  # the client's own close crossed ours; connection_lost follows
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self._cut_off_later()

    def _cut_off_later(self, seconds: float | None = None) -> None:
        """A close frame went out, behind what is buffered: nothing more waits to be sent,
        and a peer that has not read its way to the close after `seconds` (`close_timeout`)
        is cut off (a closing transport otherwise waits for a stalled or dead peer for many
        minutes, and its screen would keep its place in the hub and its zone's speaker)."""
        self._behind, self._behind_bytes = None, 0
        if self.close_timer is not None:
            self.close_timer.cancel()
        wait = self.close_timeout if seconds is None else seconds
        self.close_timer = self.loop.call_later(wait, self.transport.abort)

    # --- uvicorn's side ----------------------------------------------------------------

    def send_receive_event_to_app(self) -> None:
        screen = self._screen
        if screen is None:
            super().send_receive_event_to_app()
            return
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        self.frames = []
        if not self.close_sent:
            screen.said(data)

    def keepalive_timeout(self) -> None:
        # uvicorn reports this as any lost connection (1005); say it was the heartbeat,
        # so /metrics can tell a dead screen from a closed one.
        if not self.close_sent and not self.transport.is_closing():
            self._heartbeat_lost = True
        super().keepalive_timeout()
        if self._heartbeat_lost and self._screen is not None:
            # No pong for the whole ping timeout: dead or stalled. uvicorn's close would
            # wait for its buffer to drain; the screen must leave the hub now.
            self._behind, self._behind_bytes = None, 0
            self.transport.abort()

    def handle_close(self, event: Frame) -> None:
        super().handle_close(event)
        if self._screen is not None:
            self._cut_off_later()  # the client's close answered; it may not read on

    def handle_parser_exception(self) -> None:
        # The client broke the protocol (a frame too big, bad UTF-8): websockets closed it.
        if self._screen is not None and self.close_code is None and self.conn.close_sent:
            self.close_code = self.conn.close_sent.code
        super().handle_parser_exception()
        if self._screen is not None:
            self._cut_off_later()

    def shutdown(self) -> None:
        # The server is stopping: uvicorn sends 1012 and waits for every connection to
        # end, with no limit of its own; a stalled screen must not hold the stop up.
        super().shutdown()
        if self._screen is not None:
            if self.close_code is None:
                self.close_code = CLOSE_SERVICE_RESTART
            self._cut_off_later(SHUTDOWN_GRACE)

    def connection_lost(self, exc: Exception | None) -> None:
        screen, self._screen = self._screen, None
        super().connection_lost(exc)
        if screen is None:
            return
        if self._heartbeat_lost:
            code = HEARTBEAT
        elif self.conn.close_rcvd is not None:
            code = self.conn.close_rcvd.code
        else:
            code = LOST
        screen.gone(code)

    async def run_asgi(self) -> None:
        # uvicorn's, except that a connection taken over by `take` stays open when the
        # endpoint returns.
        try:
            result = await self.app(self.scope, self.receive, self.send)
        except ClientDisconnected:
            pass
        except BaseException:
            self.logger.exception("Exception in ASGI application\n")
            self.send_500_response()
        else:
            if not self.handshake_complete:
                self.logger.error("ASGI callable returned without completing handshake.")
                self.send_500_response()
            elif result is not None:
                self.logger.error("ASGI callable should return None, but returned '%s'.", result)
        if self._screen is not None or self.disconnected:
            # The handshake's scope, request and response: not kept per screen.
            del self.scope
            self.request = self.response = None  # type: ignore[assignment]
            return
        if self.close_timer is None:
            self.transport.close()

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


routes = [WebSocketRoute("/ws", endpoint)]
