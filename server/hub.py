"""The in-process fan-out hub: topics, subscribers, frame-once publishing, resync.

Transport-free: a subscriber is anything with `offer(message) -> bool`, `room()`, `drop(code,
reason)` and a `close_code`, so a screen's connection (`server.web.socket.ScreenProtocol`)
and a test's in-memory inbox fit alike. Publishing is synchronous (no awaits): a `VenueQueue`
listener calls it in log order, and `subscribe` replays history and registers in one step,
so inside one event loop no message can fall between the replay and the live stream, nor
arrive twice.

A message is encoded and framed once (`Message`: the envelope's JSON inside one websocket
binary frame), and the same bytes go to every subscriber: a screen writes them straight to
its transport, with no task, queue or per-screen encoding between the log and the wire. A
subscriber that cannot take a message (its connection's buffer is full: a stalled screen)
refuses it and closes itself with `CLOSE_TOO_SLOW`; nobody else waits for it.

Each topic keeps its last messages with their log `seq`; a reconnecting client that sends
its `(epoch, seq)` gets exactly what it missed, or is told that it needs a fresh snapshot
(centrifuge's recovery rule: same epoch and a gap-free replay, else resync). A room whose
every message is a whole view keeps fewer (`Hub.keep`): the newest is all a client needs.

Topics come and go (one per visitor's phone): a topic nobody has watched for `idle_after`
seconds is forgotten, history and all, and at most `max_topics` are kept (the least
recently used idle ones go first). A client that comes back to a forgotten topic gets a
fresh snapshot, never a replay with a hole in it.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

import msgspec

log = logging.getLogger(__name__)

Payload = Mapping[str, Any] | msgspec.Struct | msgspec.Raw
# Builds the current view of a topic when recovery is impossible: (its log seq, the view).
Snapshot = Callable[[], tuple[int, Payload]]

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_INTERNAL_ERROR = 1011
CLOSE_TOO_SLOW = 4008
HISTORY_SIZE = 512
# A topic without subscribers is forgotten after this long without a message or a visitor.
IDLE_AFTER = 600.0
MAX_TOPICS = 20_000


class Message:
    """One message on the wire, built once for every subscriber: an unmasked, final
    websocket binary frame (RFC 6455 section 5.2) around the JSON `data`."""

    __slots__ = ("_start", "frame")

    def __init__(self, data: bytes) -> None:
        size = len(data)
        if size < 126:
            header = struct.pack("!BB", 0x82, size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", 0x82, 126, size)
        else:
            header = struct.pack("!BBQ", 0x82, 127, size)
        self.frame = header + data
        self._start = len(header)

    @property
    def data(self) -> bytes:
        """The JSON inside the frame (a copy: the wire needs only `frame`)."""
        return self.frame[self._start :]

    def __len__(self) -> int:
        return len(self.frame)


# An empty object, as centrifuge's JSON protocol pings: never mistaken for an envelope.
PING = Message(b"{}")


class Subscriber(Protocol):
    """What the hub needs of a connection. `offer` never waits: it takes the message now,
    or refuses it (closed, or too slow: then it closes itself with `CLOSE_TOO_SLOW`)."""

    @property
    def close_code(self) -> int | None:
        """None while open; the code it is closing with, once it is."""
        ...

    def offer(self, message: Message) -> bool: ...

    def room(self) -> int:
        """How many bytes it takes now without being too slow (a replay must fit)."""
        ...

    def drop(self, code: int, reason: str) -> None:
        """Close with `code`, in the background: nothing more is delivered."""
        ...


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

    `recovered` is True when `missed` (already offered to the subscriber) holds every
    message after the client's position; False when the client needs a fresh snapshot (which
    the hub offered first if it was given a `snapshot` callable). `position` is where the
    subscriber now stands.
    """

    recovered: bool
    missed: tuple[Message, ...]
    position: Position


class HubStats(msgspec.Struct, frozen=True):
    """Counters for metrics."""

    published: int
    dropped: int
    topics: int
    subscribers: dict[str, int]


_encoder = msgspec.json.Encoder()


def encode(topic: str, epoch: str, seq: int, payload: Payload) -> Message:
    """The wire form of one message (msgspec JSON in a websocket frame)."""
    return Message(_encoder.encode(Envelope(topic, epoch, seq, payload)))


class _Topic:
    """One topic's subscribers (each with the seq it already has) and its recent history."""

    __slots__ = ("floor", "history", "subscribers", "used")

    def __init__(self, floor: int, size: int, used: float) -> None:
        self.floor = floor  # the history holds every message of this topic with seq > floor
        self.history: deque[tuple[int, Message]] = deque(maxlen=size)
        self.subscribers: dict[Subscriber, int] = {}
        self.used = used  # when it last had a message or lost a subscriber (monotonic)

    @property
    def newest(self) -> int:
        """The seq up to which this topic's messages are known: history, else its floor."""
        return self.history[-1][0] if self.history else self.floor

    def record(self, seq: int, message: Message) -> None:
        history = self.history
        if len(history) == history.maxlen:
            self.floor = history[0][0]
        history.append((seq, message))

    def since(self, seq: int) -> tuple[Message, ...]:
        """Every kept message after `seq`, oldest first."""
        newer: list[Message] = []
        for kept_seq, message in reversed(self.history):
            if kept_seq <= seq:
                break
            newer.append(message)
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
        timed: Callable[[float, float], None] | None = None,
    ) -> None:
        self._epoch = epoch
        # Told (framed, sent), in perf_counter seconds, of every message someone watched.
        self._timed = timed
        self._seq = seq
        self._base = seq
        self._history_size = history_size
        self._kept: dict[str, int] = {}  # per topic prefix ("manager:"), messages kept
        self._heartbeat = heartbeat
        self._beating: asyncio.Task[None] | None = None
        self._topics: dict[str, _Topic] = {}
        self._watching: dict[Subscriber, set[str]] = {}
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

    def keep(self, prefix: str, messages: int) -> None:
        """Keep only the last `messages` of each topic named `prefix...`: for a room whose
        every message is a whole view (the dashboard), the newest is all a replay needs."""
        if messages < 1:
            raise ValueError("a topic keeps at least its newest message")
        self._kept[prefix] = messages

    def reset(self, epoch: str, seq: int = 0) -> None:
        """Start over on a (re)created log: histories are forgotten, subscribers are kept."""
        self._epoch, self._seq, self._base = epoch, seq, seq
        self._forgotten = seq
        for topic in self._topics.values():
            topic.history.clear()
            topic.floor = seq
            # Seqs restart with the new log: what a subscriber had says nothing about them.
            topic.subscribers = dict.fromkeys(topic.subscribers, seq)

    def publish(self, topic: str, seq: int, payload: Payload) -> Message:
        """Encode and frame once, keep in history, and offer it to every subscriber."""
        message = encode(topic, self._epoch, seq, payload)
        framed = time.perf_counter()
        entry = self._topic(topic)
        entry.record(seq, message)
        entry.used = self._clock()
        self._seq = max(self._seq, seq)
        self.published += 1
        if not entry.subscribers:
            return message
        gone = [s for s, has in entry.subscribers.items() if seq > has and not s.offer(message)]
        for sub in gone:
            self.disconnect(sub)
        if self._timed is not None:
            self._timed(framed, time.perf_counter())
        return message

    def subscribe(
        self,
        topic: str,
        subscriber: Subscriber,
        since: Position | None = None,
        snapshot: Snapshot | None = None,
    ) -> Recovery:
        """Register `subscriber`, first offering what it missed since `since` if possible.

        Replay and registration happen without an await, so the subscriber then receives
        every later message exactly once, in order. When the replay is impossible (no
        position, another epoch, a gap older than the history, or more than the subscriber
        has room for), the result says so and `snapshot()`, if given, is offered instead.
        """
        if subscriber.close_code is not None:
            raise RuntimeError(f"{subscriber!r} is closed; it cannot subscribe to {topic!r}")
        entry = self._topic(topic)
        missed = self._missed(entry, subscriber, since)
        if since is not None and missed is not None:
            for message in missed:
                subscriber.offer(message)
            position = Position(self._epoch, max(since.seq, self._seq))
            return self._register(topic, entry, subscriber, Recovery(True, missed, position))
        position = self._snapshot(topic, subscriber, snapshot)
        return self._register(topic, entry, subscriber, Recovery(False, (), position))

    def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        """Stop delivering `topic` to `subscriber` (it stays open)."""
        entry = self._topics.get(topic)
        if entry is not None and entry.subscribers.pop(subscriber, None) is not None:
            entry.used = self._clock()
        watching = self._watching.get(subscriber)
        if watching is not None:
            watching.discard(topic)
            if not watching:
                del self._watching[subscriber]

    def topics_of(self, subscriber: Subscriber) -> frozenset[str]:
        """The topics `subscriber` receives now."""
        return frozenset(self._watching.get(subscriber, ()))

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
        watching = self._watching.pop(subscriber, None)
        if watching is None:
            return
        if subscriber.close_code == CLOSE_TOO_SLOW:
            self.dropped += 1
        now = self._clock()
        for topic in watching:
            entry = self._topics.get(topic)
            if entry is not None and entry.subscribers.pop(subscriber, None) is not None:
                entry.used = now

    def history(self, topic: str) -> list[tuple[int, Message]]:
        """The kept messages of `topic` as (seq, message), oldest first."""
        entry = self._topics.get(topic)
        return [] if entry is None else list(entry.history)

    def stats(self) -> HubStats:
        subscribers = {name: len(t.subscribers) for name, t in self._topics.items()}
        return HubStats(self.published, self.dropped, len(self._topics), subscribers)

    def ping(self) -> None:
        """Offer `PING` once to every subscriber; one that cannot take it is dropped."""
        gone = [sub for sub in self._watching if not sub.offer(PING)]
        for sub in gone:
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
        for sub in list(self._watching):
            self.disconnect(sub)
            sub.drop(CLOSE_GOING_AWAY, "server stopping")

    async def _beat(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.ping()
            self.evict_idle()

    def _topic(self, topic: str) -> _Topic:
        entry = self._topics.get(topic)
        if entry is None:
            if len(self._topics) >= self._max_topics:
                self.evict_idle(keep=self._max_topics * 9 // 10)
            # A topic never seen has had no message since this hub's base position (or since
            # the newest message of a topic this hub forgot, which may have been this one).
            floor = max(self._base, self._forgotten)
            size = self._kept.get(topic.partition(":")[0] + ":", self._history_size)
            entry = self._topics[topic] = _Topic(floor, size, self._clock())
        return entry

    def _missed(
        self, entry: _Topic, subscriber: Subscriber, since: Position | None
    ) -> tuple[Message, ...] | None:
        """The messages after `since`, or None when they cannot all be replayed."""
        if since is None or since.epoch != self._epoch or since.seq < entry.floor:
            return None
        missed = entry.since(since.seq)
        return missed if sum(map(len, missed)) <= subscriber.room() else None

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
        self._watching.setdefault(subscriber, set()).add(topic)
        return recovery
