"""The in-process fan-out hub: topics, subscribers, encode-once publishing, resync.

Transport-agnostic: a subscriber is an async `send(bytes)` plus an optional async
`close(code, reason)`, so a Starlette websocket, a `websockets` connection or a test double
all fit. Publishing is synchronous (no awaits): a `VenueQueue` listener calls it in log order,
and `subscribe` replays history and registers in one step, so inside one event loop no
message can fall between the replay and the live stream, nor arrive twice.

Each topic keeps the last messages with their log `seq`; a reconnecting client that sends
its `(epoch, seq)` gets exactly what it missed, or is told that it needs a fresh snapshot
(centrifuge's recovery rule: same epoch and a gap-free replay, else resync).

Topics come and go (one per visitor's phone): a topic nobody has watched for `idle_after`
seconds is forgotten, history and all, and at most `max_topics` are kept (the least
recently used idle ones go first). A client that comes back to a forgotten topic gets a
fresh snapshot, never a replay with a hole in it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NamedTuple

import msgspec

log = logging.getLogger(__name__)

Send = Callable[[bytes], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]
Payload = Mapping[str, Any] | msgspec.Struct | msgspec.Raw
# Builds the current view of a topic when recovery is impossible: (its log seq, the view).
Snapshot = Callable[[], tuple[int, Payload]]

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_SEND_FAILED = 1011
CLOSE_TOO_SLOW = 4008
# An empty object, as centrifuge's JSON protocol pings: never mistaken for an envelope.
PING = b"{}"
BUFFER_SIZE = 256
# At most this many bytes wait in one subscriber's outbox: what a stalled screen may cost. A
# single message bigger than that still goes to an outbox that is otherwise empty.
BUFFER_BYTES = 256 * 1024
HISTORY_SIZE = 512
# A topic without subscribers is forgotten after this long without a message or a visitor.
IDLE_AFTER = 600.0
MAX_TOPICS = 20_000


class Envelope(msgspec.Struct, frozen=True):
    """What every subscriber receives: the topic's view change at log position (epoch, seq)."""

    topic: str
    epoch: str
    seq: int
    data: Any


class Position(NamedTuple):
    """A place in a venue's log: the log's identity and an event's seq within it."""

    epoch: str
    seq: int


class Recovery(NamedTuple):
    """The outcome of `Hub.subscribe`.

    `recovered` is True when `missed` (already queued to the subscriber) holds every message
    after the client's position; False when the client needs a fresh snapshot (which the hub
    queued first if it was given a `snapshot` callable). `position` is where the subscriber
    now stands.
    """

    recovered: bool
    missed: tuple[bytes, ...]
    position: Position


class HubStats(msgspec.Struct, frozen=True):
    """Counters for metrics."""

    published: int
    dropped: int
    topics: int
    subscribers: dict[str, int]


_encoder = msgspec.json.Encoder()


def encode(topic: str, epoch: str, seq: int, payload: Payload) -> bytes:
    """The wire form of one message (msgspec JSON)."""
    return _encoder.encode(Envelope(topic, epoch, seq, payload))


class Subscriber:
    """One connection's bounded outbox and the task that writes it, oldest first.

    Create it inside a running event loop. `offer` never waits: when the outbox is full (by
    count or by bytes) the subscriber closes itself with `CLOSE_TOO_SLOW`, so a stalled screen
    costs at most `buffer_size` messages and `buffer_bytes` of memory and never slows anyone
    else. The bound holds only if `send` waits while the connection's own buffers are full,
    as `server.web.socket.ScreenProtocol` makes uvicorn's do.
    """

    def __init__(
        self,
        send: Send,
        close: Close | None = None,
        *,
        buffer_size: int = BUFFER_SIZE,
        buffer_bytes: int = BUFFER_BYTES,
        send_timeout: float | None = None,
        name: str = "subscriber",
    ) -> None:
        self.name = name
        self.close_code: int | None = None
        self.topics: set[str] = set()  # kept by the hub
        self._send = send
        self._close = close
        self._send_timeout = send_timeout
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(buffer_size)
        self._max_bytes = buffer_bytes
        self._bytes = 0  # in the outbox now
        self._writer = asyncio.create_task(self._write(), name=f"write {name}")
        self._closing: asyncio.Task[None] | None = None

    @property
    def closed(self) -> bool:
        return self.close_code is not None

    def fits(self, messages: tuple[bytes, ...]) -> bool:
        """Whether all of `messages` fit in the outbox now."""
        size = sum(map(len, messages))
        room = self._outbox.maxsize - self._outbox.qsize()
        return len(messages) <= room and self._bytes + size <= self._max_bytes

    def offer(self, data: bytes) -> bool:
        """Queue `data` without waiting; False when closed or (then closing) too slow."""
        if self.close_code is not None:
            return False
        if self._bytes and self._bytes + len(data) > self._max_bytes:
            self._too_slow()
            return False
        try:
            self._outbox.put_nowait(data)
        except asyncio.QueueFull:
            self._too_slow()
            return False
        self._bytes += len(data)
        return True

    def _too_slow(self) -> None:
        log.warning("%s: too slow to read, closing with %d", self.name, CLOSE_TOO_SLOW)
        self.drop(CLOSE_TOO_SLOW, "too slow")

    def drop(self, code: int, reason: str) -> None:
        """Stop writing and close the connection with `code`, in the background."""
        if self.close_code is not None:
            return
        self.close_code = code
        self._closing = asyncio.create_task(self._shut(code, reason), name=f"close {self.name}")

    async def aclose(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Close with `code` (unless already closing) and wait until it is done."""
        self.drop(code, reason)
        await self.wait_closed()

    async def wait_closed(self) -> None:
        if self._closing is not None:
            await asyncio.wait([self._closing])

    async def _write(self) -> None:
        while True:
            data = await self._outbox.get()
            self._bytes -= len(data)
            try:
                await self._send_one(data)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # TimeoutError included: a send that hangs is a slow client, not a crash.
                too_slow = isinstance(error, TimeoutError)
                code, reason = (CLOSE_TOO_SLOW, "too slow") if too_slow else (CLOSE_SEND_FAILED, "")
                self.drop(code, reason)
                return

    async def _send_one(self, data: bytes) -> None:
        if self._send_timeout is None:
            await self._send(data)
            return
        async with asyncio.timeout(self._send_timeout):
            await self._send(data)

    async def _shut(self, code: int, reason: str) -> None:
        self._writer.cancel()
        await asyncio.wait([self._writer])
        if self._close is None:
            return
        try:
            await self._close(code, reason)
        except Exception:
            # The connection is usually already gone; nothing more to tell it.
            log.debug("closing %s failed", self.name, exc_info=True)


class _Topic:
    """One topic's subscribers (each with the seq it already has) and its recent history."""

    __slots__ = ("floor", "history", "subscribers", "used")

    def __init__(self, floor: int, size: int, used: float) -> None:
        self.floor = floor  # the history holds every message of this topic with seq > floor
        self.history: deque[tuple[int, bytes]] = deque(maxlen=size)
        self.subscribers: dict[Subscriber, int] = {}
        self.used = used  # when it last had a message or lost a subscriber (monotonic)

    @property
    def newest(self) -> int:
        """The seq up to which this topic's messages are known: history, else its floor."""
        return self.history[-1][0] if self.history else self.floor

    def record(self, seq: int, data: bytes) -> None:
        history = self.history
        if len(history) == history.maxlen:
            self.floor = history[0][0]
        history.append((seq, data))

    def since(self, seq: int) -> tuple[bytes, ...]:
        """Every kept message after `seq`, oldest first."""
        newer: list[bytes] = []
        for kept_seq, data in reversed(self.history):
            if kept_seq <= seq:
                break
            newer.append(data)
        return tuple(reversed(newer))


class Hub:
    """Topics and their subscribers for one log (one venue): fan-out, history, heartbeats."""

    def __init__(
        self,
        epoch: str = "",
        *,
        seq: int = 0,
        history_size: int = HISTORY_SIZE,
        heartbeat: float | None = None,
        idle_after: float = IDLE_AFTER,
        max_topics: int = MAX_TOPICS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._epoch = epoch
        self._seq = seq
        self._base = seq
        self._history_size = history_size
        self._heartbeat = heartbeat
        self._beating: asyncio.Task[None] | None = None
        self._topics: dict[str, _Topic] = {}
        self._idle_after = idle_after
        self._max_topics = max_topics
        self._clock = clock
        # Messages up to this seq may have been forgotten with an evicted topic: a topic
        # created anew cannot vouch for a gap-free replay from before it.
        self._forgotten = seq
        self.published = 0
        self.dropped = 0

    @property
    def position(self) -> Position:
        """The log position of the newest message published."""
        return Position(self._epoch, self._seq)

    def reset(self, epoch: str, seq: int = 0) -> None:
        """Start over on a (re)created log: histories are forgotten, subscribers are kept."""
        self._epoch, self._seq, self._base = epoch, seq, seq
        self._forgotten = seq
        for topic in self._topics.values():
            topic.history.clear()
            topic.floor = seq
            # Seqs restart with the new log: what a subscriber had says nothing about them.
            topic.subscribers = dict.fromkeys(topic.subscribers, seq)

    def publish(self, topic: str, seq: int, payload: Payload) -> bytes:
        """Encode once, keep in history, and queue the same bytes to every subscriber."""
        data = encode(topic, self._epoch, seq, payload)
        entry = self._topic(topic)
        entry.record(seq, data)
        entry.used = self._clock()
        self._seq = max(self._seq, seq)
        self.published += 1
        gone = [sub for sub, has in entry.subscribers.items() if seq > has and not sub.offer(data)]
        for sub in gone:
            self.disconnect(sub)
        return data

    def subscribe(
        self,
        topic: str,
        subscriber: Subscriber,
        since: Position | None = None,
        snapshot: Snapshot | None = None,
    ) -> Recovery:
        """Register `subscriber`, first queueing what it missed since `since` if possible.

        Replay and registration happen without an await, so the subscriber then receives
        every later message exactly once, in order. When the replay is impossible (no
        position, another epoch, a gap older than the history, or more than its outbox
        holds), the result says so and `snapshot()`, if given, is queued instead.
        """
        if subscriber.closed:
            raise RuntimeError(f"{subscriber.name} is closed; it cannot subscribe to {topic!r}")
        entry = self._topic(topic)
        missed = self._missed(entry, subscriber, since)
        if since is not None and missed is not None:
            self._deliver(subscriber, missed)
            position = Position(self._epoch, max(since.seq, self._seq))
            return self._register(topic, entry, subscriber, Recovery(True, missed, position))
        position = self._snapshot(topic, subscriber, snapshot)
        return self._register(topic, entry, subscriber, Recovery(False, (), position))

    def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        """Stop delivering `topic` to `subscriber` (it stays open)."""
        entry = self._topics.get(topic)
        if entry is not None and entry.subscribers.pop(subscriber, None) is not None:
            entry.used = self._clock()
        subscriber.topics.discard(topic)

    def has_subscribers(self, topic: str) -> bool:
        """Whether anyone watches `topic` now (publishers may skip building its view)."""
        entry = self._topics.get(topic)
        return entry is not None and bool(entry.subscribers)

    def evict_idle(self, keep: int | None = None) -> int:
        """Forget topics without subscribers, idle for `idle_after` seconds; when `keep` is
        given, also the least recently used idle ones beyond `keep` topics. Returns how many."""
        now = self._clock()
        idle = sorted(
            ((entry.used, name) for name, entry in self._topics.items() if not entry.subscribers),
        )
        excess = len(self._topics) - keep if keep is not None else 0
        evicted = 0
        for used, name in idle:
            if now - used < self._idle_after and evicted >= excess:
                break
            self._forgotten = max(self._forgotten, self._topics.pop(name).newest)
            evicted += 1
        return evicted

    def disconnect(self, subscriber: Subscriber) -> None:
        """Forget `subscriber` on every topic, e.g. when its connection ended."""
        if subscriber.close_code == CLOSE_TOO_SLOW and subscriber.topics:
            self.dropped += 1
        for topic in tuple(subscriber.topics):
            self.unsubscribe(topic, subscriber)

    def history(self, topic: str) -> list[tuple[int, bytes]]:
        """The kept messages of `topic` as (seq, bytes), oldest first."""
        entry = self._topics.get(topic)
        return [] if entry is None else list(entry.history)

    def stats(self) -> HubStats:
        subscribers = {name: len(t.subscribers) for name, t in self._topics.items()}
        return HubStats(self.published, self.dropped, len(self._topics), subscribers)

    def ping(self) -> None:
        """Queue `PING` once to every subscriber; one that cannot take it is dropped."""
        for sub in self._subscribers():
            if not sub.offer(PING):
                self.disconnect(sub)

    async def start(self) -> None:
        """Start the heartbeat task, when a `heartbeat` interval was given."""
        if self._heartbeat is not None and self._beating is None:
            self._beating = asyncio.create_task(self._beat(self._heartbeat), name="hub heartbeat")

    async def stop(self) -> None:
        """Stop heartbeats and close every subscriber with `CLOSE_GOING_AWAY`."""
        beating, self._beating = self._beating, None
        if beating is not None:
            beating.cancel()
            await asyncio.wait([beating])
        subscribers = self._subscribers()
        for sub in subscribers:
            self.disconnect(sub)
            sub.drop(CLOSE_GOING_AWAY, "server stopping")
        for sub in subscribers:
            await sub.wait_closed()

    async def _beat(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.ping()
            self.evict_idle()

    def _subscribers(self) -> list[Subscriber]:
        unique = {sub: None for t in self._topics.values() for sub in t.subscribers}
        return list(unique)

    def _topic(self, topic: str) -> _Topic:
        entry = self._topics.get(topic)
        if entry is None:
            if len(self._topics) >= self._max_topics:
                self.evict_idle(keep=self._max_topics * 9 // 10)
            # A topic never seen has had no message since this hub's base position (or since
            # the newest message of a topic this hub forgot, which may have been this one).
            floor = max(self._base, self._forgotten)
            entry = self._topics[topic] = _Topic(floor, self._history_size, self._clock())
        return entry

    def _missed(
        self, entry: _Topic, subscriber: Subscriber, since: Position | None
    ) -> tuple[bytes, ...] | None:
        """The messages after `since`, or None when they cannot all be replayed."""
        if since is None or since.epoch != self._epoch or since.seq < entry.floor:
            return None
        missed = entry.since(since.seq)
        return missed if subscriber.fits(missed) else None

    def _deliver(self, subscriber: Subscriber, messages: tuple[bytes, ...]) -> None:
        for data in messages:
            subscriber.offer(data)

    def _snapshot(self, topic: str, subscriber: Subscriber, snapshot: Snapshot | None) -> Position:
        if snapshot is None:
            return self.position
        seq, payload = snapshot()
        subscriber.offer(encode(topic, self._epoch, seq, payload))
        return Position(self._epoch, seq)

    def _register(
        self, topic: str, entry: _Topic, subscriber: Subscriber, recovery: Recovery
    ) -> Recovery:
        # Remember the seq it already has: a client ahead of this process (another process
        # served it) must not get those messages again when this one catches up.
        entry.subscribers[subscriber] = recovery.position.seq
        subscriber.topics.add(topic)
        return recovery
