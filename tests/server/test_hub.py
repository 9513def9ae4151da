"""The fan-out hub: encode-once delivery, slow-client policy, resync from history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest

from server.hub import (
    CLOSE_GOING_AWAY,
    CLOSE_SEND_FAILED,
    CLOSE_TOO_SLOW,
    PING,
    Envelope,
    Hub,
    Position,
    Subscriber,
)

EPOCH = "epoch-1"


class Sink:
    """A fake connection: records what was sent and how it was closed; can stall or fail."""

    def __init__(self, *, stall: bool = False, fail: bool = False) -> None:
        self.received: list[bytes] = []
        self.closes: list[tuple[int, str]] = []
        self._stall = stall
        self._fail = fail
        self._changed = asyncio.Event()

    async def send(self, data: bytes) -> None:
        if self._stall:
            await asyncio.Event().wait()
        if self._fail:
            raise ConnectionError("peer went away")
        self.received.append(data)
        self._changed.set()

    async def close(self, code: int, reason: str) -> None:
        self.closes.append((code, reason))
        self._changed.set()

    async def until(self, count: int) -> list[bytes]:
        """Wait until `count` messages arrived, then return them all."""
        async with asyncio.timeout(2):
            while len(self.received) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.received

    async def until_closed(self) -> tuple[int, str]:
        async with asyncio.timeout(2):
            while not self.closes:
                self._changed.clear()
                await self._changed.wait()
        return self.closes[0]

    def seqs(self) -> list[int]:
        return [msgspec.json.decode(d, type=Envelope).seq for d in self.received if d != PING]


class Opened:
    """Subscribers made by a test, all closed at its end."""

    def __init__(self) -> None:
        self.items: list[Subscriber] = []

    def subscriber(
        self,
        sink: Sink,
        *,
        buffer_size: int = 256,
        buffer_bytes: int = 256 * 1024,
        send_timeout: float | None = None,
    ) -> Subscriber:
        sub = Subscriber(
            sink.send,
            sink.close,
            buffer_size=buffer_size,
            buffer_bytes=buffer_bytes,
            send_timeout=send_timeout,
        )
        self.items.append(sub)
        return sub

    async def close(self) -> None:
        for sub in self.items:
            await sub.aclose()


class View(msgspec.Struct):
    called: str
    counter: str


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    hub = Hub(EPOCH)
    yield hub
    await hub.stop()


@pytest.fixture
async def opened() -> AsyncIterator[Opened]:
    opened = Opened()
    yield opened
    await opened.close()


def publish_range(hub: Hub, topic: str, first: int, last: int) -> list[bytes]:
    return [hub.publish(topic, seq, {"n": seq}) for seq in range(first, last + 1)]


class TestPublish:
    """A message is encoded once and the same bytes reach every subscriber, in order."""

    async def test_two_subscribers_get_the_very_same_bytes_object(
        self, hub: Hub, opened: Opened
    ) -> None:
        a, b = Sink(), Sink()
        hub.subscribe("zone:lantai1", opened.subscriber(a))
        hub.subscribe("zone:lantai1", opened.subscriber(b))
        data = hub.publish("zone:lantai1", 1, {"called": "A001"})
        assert (await a.until(1))[0] is data
        assert (await b.until(1))[0] is data

    async def test_envelope_carries_topic_epoch_seq_and_data(self, hub: Hub) -> None:
        data = hub.publish("counter:7", 3, View(called="A001", counter="7"))
        assert msgspec.json.decode(data) == {
            "topic": "counter:7",
            "epoch": EPOCH,
            "seq": 3,
            "data": {"called": "A001", "counter": "7"},
        }

    async def test_messages_arrive_in_publish_order(self, hub: Hub, opened: Opened) -> None:
        sink = Sink()
        hub.subscribe("zone:lantai1", opened.subscriber(sink))
        sent = publish_range(hub, "zone:lantai1", 1, 200)
        assert await sink.until(200) == sent

    async def test_only_the_topics_subscribers_receive_it(self, hub: Hub, opened: Opened) -> None:
        zone, counter = Sink(), Sink()
        hub.subscribe("zone:lantai1", opened.subscriber(zone))
        hub.subscribe("counter:7", opened.subscriber(counter))
        hub.publish("counter:7", 1, {})
        hub.publish("zone:lantai1", 2, {})
        await zone.until(1)
        await counter.until(1)
        assert (zone.seqs(), counter.seqs()) == ([2], [1])

    async def test_publishing_without_subscribers_still_records_history(self, hub: Hub) -> None:
        sent = publish_range(hub, "ticket:abc", 1, 3)
        assert hub.history("ticket:abc") == [(1, sent[0]), (2, sent[1]), (3, sent[2])]
        assert hub.position == Position(EPOCH, 3)


class TestSlowSubscriber:
    """A subscriber that cannot keep up is dropped with its own code; nobody else waits."""

    async def test_stalled_subscriber_is_dropped_while_a_fast_one_gets_everything(
        self, hub: Hub, opened: Opened
    ) -> None:
        stalled, fast = Sink(stall=True), Sink()
        hub.subscribe("zone:lantai1", opened.subscriber(stalled, buffer_size=8))
        hub.subscribe("zone:lantai1", opened.subscriber(fast))
        await asyncio.sleep(0)
        sent = publish_range(hub, "zone:lantai1", 1, 50)
        assert await stalled.until_closed() == (CLOSE_TOO_SLOW, "too slow")
        assert await fast.until(50) == sent
        assert stalled.received == []
        assert hub.stats().subscribers == {"zone:lantai1": 1}
        assert hub.stats().dropped == 1

    async def test_the_outbox_is_bounded_by_bytes_too(self, hub: Hub, opened: Opened) -> None:
        stalled, fast = Sink(stall=True), Sink()
        hub.subscribe("zone:lantai1", opened.subscriber(stalled, buffer_bytes=2000))
        hub.subscribe("zone:lantai1", opened.subscriber(fast))
        await asyncio.sleep(0)
        sent = [hub.publish("zone:lantai1", seq, {"text": "x" * 500}) for seq in range(1, 11)]
        assert await stalled.until_closed() == (CLOSE_TOO_SLOW, "too slow")
        assert await fast.until(10) == sent
        assert hub.stats().subscribers == {"zone:lantai1": 1}

    async def test_a_message_bigger_than_the_bytes_bound_goes_to_an_empty_outbox(
        self, hub: Hub, opened: Opened
    ) -> None:
        sink = Sink()
        hub.subscribe("zone:lantai1", opened.subscriber(sink, buffer_bytes=100))
        big = hub.publish("zone:lantai1", 1, {"text": "x" * 500})
        assert await sink.until(1) == [big]
        assert sink.closes == []

    async def test_a_send_that_hangs_past_its_timeout_is_too_slow(
        self, hub: Hub, opened: Opened
    ) -> None:
        stalled = Sink(stall=True)
        hub.subscribe("zone:lantai1", opened.subscriber(stalled, send_timeout=0.01))
        hub.publish("zone:lantai1", 1, {})
        assert await stalled.until_closed() == (CLOSE_TOO_SLOW, "too slow")

    async def test_a_failing_send_closes_and_is_removed_at_the_next_publish(
        self, hub: Hub, opened: Opened
    ) -> None:
        broken = Sink(fail=True)
        hub.subscribe("zone:lantai1", opened.subscriber(broken))
        hub.publish("zone:lantai1", 1, {})
        assert await broken.until_closed() == (CLOSE_SEND_FAILED, "")
        hub.publish("zone:lantai1", 2, {})
        assert hub.stats().subscribers == {"zone:lantai1": 0}
        assert hub.stats().dropped == 0

    async def test_a_closed_subscriber_cannot_subscribe(self, hub: Hub, opened: Opened) -> None:
        sub = opened.subscriber(Sink())
        await sub.aclose()
        with pytest.raises(RuntimeError, match="is closed"):
            hub.subscribe("zone:lantai1", sub)


class TestResync:
    """A reconnecting client gets exactly what it missed, or is told to take a snapshot."""

    async def test_recovers_exactly_the_missed_messages_then_live_ones(
        self, hub: Hub, opened: Opened
    ) -> None:
        sent = publish_range(hub, "zone:lantai1", 1, 10)
        hub.publish("counter:7", 11, {})
        sink = Sink()
        recovery = hub.subscribe("zone:lantai1", opened.subscriber(sink), Position(EPOCH, 6))
        assert recovery.recovered
        assert recovery.missed == tuple(sent[6:])
        assert recovery.position == Position(EPOCH, 11)
        hub.publish("zone:lantai1", 12, {})
        await sink.until(5)
        assert sink.seqs() == [7, 8, 9, 10, 12]

    async def test_up_to_date_client_recovers_nothing(self, hub: Hub, opened: Opened) -> None:
        publish_range(hub, "zone:lantai1", 1, 3)
        recovery = hub.subscribe("zone:lantai1", opened.subscriber(Sink()), Position(EPOCH, 3))
        assert (recovery.recovered, recovery.missed) == (True, ())

    async def test_topic_never_published_recovers_nothing(self, hub: Hub, opened: Opened) -> None:
        publish_range(hub, "zone:lantai1", 1, 3)
        recovery = hub.subscribe("ticket:abc", opened.subscriber(Sink()), Position(EPOCH, 1))
        assert (recovery.recovered, recovery.missed) == (True, ())

    async def test_another_epoch_requires_a_snapshot(self, hub: Hub, opened: Opened) -> None:
        publish_range(hub, "zone:lantai1", 1, 3)
        recovery = hub.subscribe("zone:lantai1", opened.subscriber(Sink()), Position("old", 1))
        assert (recovery.recovered, recovery.missed) == (False, ())

    async def test_a_gap_older_than_the_history_requires_a_snapshot(self, opened: Opened) -> None:
        hub = Hub(EPOCH, history_size=4)
        publish_range(hub, "zone:lantai1", 1, 10)
        assert [seq for seq, _ in hub.history("zone:lantai1")] == [7, 8, 9, 10]
        old = hub.subscribe("zone:lantai1", opened.subscriber(Sink()), Position(EPOCH, 5))
        kept = hub.subscribe("zone:lantai1", opened.subscriber(Sink()), Position(EPOCH, 6))
        assert (old.recovered, kept.recovered, len(kept.missed)) == (False, True, 4)
        await hub.stop()

    async def test_a_position_before_the_hub_started_requires_a_snapshot(
        self, opened: Opened
    ) -> None:
        hub = Hub(EPOCH, seq=100)
        recovery = hub.subscribe("zone:lantai1", opened.subscriber(Sink()), Position(EPOCH, 99))
        assert not recovery.recovered
        await hub.stop()

    async def test_more_missed_than_the_outbox_holds_requires_a_snapshot(
        self, hub: Hub, opened: Opened
    ) -> None:
        publish_range(hub, "zone:lantai1", 1, 20)
        sub = opened.subscriber(Sink(), buffer_size=8)
        recovery = hub.subscribe("zone:lantai1", sub, Position(EPOCH, 0))
        assert not recovery.recovered
        assert not sub.closed

    async def test_more_missed_bytes_than_the_outbox_holds_requires_a_snapshot(
        self, hub: Hub, opened: Opened
    ) -> None:
        for seq in range(1, 5):
            hub.publish("zone:lantai1", seq, {"text": "x" * 500})
        sub = opened.subscriber(Sink(), buffer_bytes=1500)
        recovery = hub.subscribe("zone:lantai1", sub, Position(EPOCH, 0))
        assert not recovery.recovered
        assert not sub.closed

    async def test_snapshot_is_queued_before_live_messages(self, hub: Hub, opened: Opened) -> None:
        publish_range(hub, "zone:lantai1", 1, 3)
        sink = Sink()
        recovery = hub.subscribe(
            "zone:lantai1",
            opened.subscriber(sink),
            Position("old", 1),
            snapshot=lambda: (3, {"snapshot": True}),
        )
        hub.publish("zone:lantai1", 4, {})
        first, _ = await sink.until(2)
        assert recovery.position == Position(EPOCH, 3)
        assert msgspec.json.decode(first)["data"] == {"snapshot": True}
        assert sink.seqs() == [3, 4]

    async def test_a_client_ahead_of_this_hub_gets_no_duplicates(
        self, hub: Hub, opened: Opened
    ) -> None:
        publish_range(hub, "zone:lantai1", 1, 2)
        sink = Sink()
        hub.subscribe("zone:lantai1", opened.subscriber(sink), Position(EPOCH, 4))
        publish_range(hub, "zone:lantai1", 3, 6)
        await sink.until(2)
        assert sink.seqs() == [5, 6]

    async def test_reset_to_a_new_epoch_forgets_history(self, hub: Hub, opened: Opened) -> None:
        publish_range(hub, "zone:lantai1", 1, 3)
        hub.reset("epoch-2")
        assert hub.history("zone:lantai1") == []
        recovery = hub.subscribe("zone:lantai1", opened.subscriber(Sink()), Position(EPOCH, 3))
        assert not recovery.recovered

    async def test_after_reset_subscribers_get_the_new_logs_messages(
        self, hub: Hub, opened: Opened
    ) -> None:
        sink = Sink()
        hub.subscribe("zone:lantai1", opened.subscriber(sink), Position(EPOCH, 5))
        hub.reset("epoch-2")
        hub.publish("zone:lantai1", 1, {})
        await sink.until(1)
        assert msgspec.json.decode(sink.received[0])["epoch"] == "epoch-2"


class TestUnsubscribe:
    """Leaving a topic, or disconnecting, stops delivery."""

    async def test_unsubscribe_stops_delivery(self, hub: Hub, opened: Opened) -> None:
        sink = Sink()
        sub = opened.subscriber(sink)
        hub.subscribe("zone:lantai1", sub)
        hub.publish("zone:lantai1", 1, {})
        await sink.until(1)
        hub.unsubscribe("zone:lantai1", sub)
        hub.publish("zone:lantai1", 2, {})
        await asyncio.sleep(0.01)
        assert sink.seqs() == [1]
        assert not sub.closed

    async def test_disconnect_leaves_every_topic(self, hub: Hub, opened: Opened) -> None:
        sub = opened.subscriber(Sink())
        hub.subscribe("zone:lantai1", sub)
        hub.subscribe("counter:7", sub)
        hub.disconnect(sub)
        assert hub.stats().subscribers == {"zone:lantai1": 0, "counter:7": 0}
        assert sub.topics == set()


class TestHeartbeat:
    """Idle subscribers get periodic pings; stopping the hub closes everyone."""

    async def test_pings_arrive_at_the_interval(self, opened: Opened) -> None:
        hub = Hub(EPOCH, heartbeat=0.01)
        sink = Sink()
        hub.subscribe("zone:lantai1", opened.subscriber(sink))
        hub.subscribe("counter:7", opened.subscriber(sink))
        await hub.start()
        assert (await sink.until(2))[:2] == [PING, PING]
        await hub.stop()

    async def test_a_subscriber_on_two_topics_gets_one_ping(self, hub: Hub, opened: Opened) -> None:
        sink = Sink()
        sub = opened.subscriber(sink)
        hub.subscribe("zone:lantai1", sub)
        hub.subscribe("counter:7", sub)
        hub.ping()
        assert await sink.until(1) == [PING]
        await asyncio.sleep(0.01)
        assert sink.received == [PING]

    async def test_stop_closes_subscribers_as_going_away(self, opened: Opened) -> None:
        hub = Hub(EPOCH)
        sink = Sink()
        sub = opened.subscriber(sink)
        hub.subscribe("zone:lantai1", sub)
        await hub.stop()
        assert sink.closes == [(CLOSE_GOING_AWAY, "server stopping")]
        assert hub.stats().subscribers == {"zone:lantai1": 0}


class TestStats:
    """Counters for metrics: messages published, subscribers per topic, drops."""

    async def test_counts_published_messages_and_subscribers(
        self, hub: Hub, opened: Opened
    ) -> None:
        hub.subscribe("zone:lantai1", opened.subscriber(Sink()))
        hub.subscribe("zone:lantai1", opened.subscriber(Sink()))
        publish_range(hub, "counter:7", 1, 3)
        stats = hub.stats()
        assert (stats.published, stats.dropped, stats.topics) == (3, 0, 2)
        assert stats.subscribers == {"zone:lantai1": 2, "counter:7": 0}


class FakeTime:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestEviction:
    """Short-lived topics (one per visitor's phone) are forgotten once nobody watches them."""

    async def test_has_subscribers_follows_subscribe_and_unsubscribe(
        self, hub: Hub, opened: Opened
    ) -> None:
        sub = opened.subscriber(Sink())
        assert not hub.has_subscribers("visit:abc")
        hub.subscribe("visit:abc", sub)
        assert hub.has_subscribers("visit:abc")
        hub.unsubscribe("visit:abc", sub)
        assert not hub.has_subscribers("visit:abc")

    async def test_an_idle_topic_without_subscribers_is_forgotten(self, opened: Opened) -> None:
        clock = FakeTime()
        hub = Hub(EPOCH, idle_after=60, clock=clock)
        watched = opened.subscriber(Sink())
        hub.subscribe("zone:lantai1", watched)
        publish_range(hub, "visit:gone", 1, 3)
        publish_range(hub, "zone:lantai1", 4, 4)
        clock.now += 59
        assert hub.evict_idle() == 0
        clock.now += 2
        assert hub.evict_idle() == 1
        assert hub.history("visit:gone") == []
        assert hub.stats().topics == 1  # the watched zone stays, however idle
        await hub.stop()

    async def test_leaving_restarts_the_idle_time(self, opened: Opened) -> None:
        clock = FakeTime()
        hub = Hub(EPOCH, idle_after=60, clock=clock)
        sub = opened.subscriber(Sink())
        hub.subscribe("visit:abc", sub)
        clock.now += 120
        hub.unsubscribe("visit:abc", sub)
        assert hub.evict_idle() == 0
        clock.now += 61
        assert hub.evict_idle() == 1
        await hub.stop()

    async def test_the_least_recently_used_idle_topics_go_beyond_the_cap(
        self, opened: Opened
    ) -> None:
        clock = FakeTime()
        hub = Hub(EPOCH, max_topics=10, clock=clock)
        for n in range(10):
            clock.now += 1
            hub.publish(f"visit:{n}", n + 1, {"n": n})
        hub.publish("visit:new", 11, {})
        names = set(hub.stats().subscribers)
        assert len(names) == 10
        assert "visit:0" not in names and {"visit:1", "visit:9", "visit:new"} <= names
        await hub.stop()

    async def test_a_client_back_on_a_forgotten_topic_gets_a_snapshot(self, opened: Opened) -> None:
        clock = FakeTime()
        hub = Hub(EPOCH, idle_after=60, clock=clock)
        publish_range(hub, "visit:abc", 1, 5)
        clock.now += 61
        hub.evict_idle()
        sink = Sink()
        recovery = hub.subscribe(
            "visit:abc", opened.subscriber(sink), Position(EPOCH, 2), lambda: (5, {"n": 5})
        )
        assert not recovery.recovered
        assert await sink.until(1) and sink.seqs() == [5]
        up_to_date = hub.subscribe("visit:abc", opened.subscriber(Sink()), Position(EPOCH, 5))
        assert up_to_date.recovered
        await hub.stop()

    async def test_the_heartbeat_sweeps_idle_topics(self, opened: Opened) -> None:
        clock = FakeTime()
        hub = Hub(EPOCH, heartbeat=0.01, idle_after=60, clock=clock)
        publish_range(hub, "visit:abc", 1, 1)
        clock.now += 61
        await hub.start()
        for _ in range(200):
            if not hub.stats().topics:
                break
            await asyncio.sleep(0.01)
        assert hub.stats().topics == 0
        await hub.stop()
