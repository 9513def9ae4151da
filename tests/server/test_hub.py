"""The fan-out hub: frame-once delivery, slow-client policy, resync from history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from server.hub import (
    CLOSE_GOING_AWAY,
    CLOSE_TOO_SLOW,
    PING,
    Hub,
    Message,
    Position,
)
from tests.inbox import Inbox

EPOCH = "epoch-1"


class View(msgspec.Struct):
    called: str
    counter: str


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    hub = Hub(EPOCH)
    yield hub
    await hub.stop()


def publish_range(hub: Hub, topic: str, first: int, last: int) -> list[Message]:
    return [hub.publish(topic, seq, {"n": seq}) for seq in range(first, last + 1)]


def parse_frame(wire: bytes) -> Frame:
    """Read `wire` as a client does (websockets' own parser): one whole frame, nothing left."""
    reader = StreamReader()
    reader.feed_data(wire)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False, max_size=None)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
    else:
        raise AssertionError("the frame is incomplete")
    assert reader.at_eof()
    return frame


class TestMessage:
    """A message is one websocket binary frame, built once, that any client can read."""

    @pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 300_000])
    def test_every_length_encoding_is_a_valid_frame(self, size: int) -> None:
        data = b"x" * size
        frame = parse_frame(Message(data).frame)
        assert (frame.opcode, frame.fin, bytes(frame.data)) == (Opcode.BINARY, True, data)

    @given(st.binary(max_size=70_000))
    def test_data_is_what_the_frame_carries(self, data: bytes) -> None:
        message = Message(data)
        assert message.data == data
        assert bytes(parse_frame(message.frame).data) == data
        assert len(message) == len(message.frame)

    def test_ping_is_an_empty_object(self) -> None:
        assert msgspec.json.decode(PING.data) == {}


class TestPublish:
    """A message is encoded once and the same frame reaches every subscriber, in order."""

    async def test_two_subscribers_get_the_very_same_frame(self, hub: Hub) -> None:
        a, b = Inbox(), Inbox()
        hub.subscribe("zone:lantai1", a)
        hub.subscribe("zone:lantai1", b)
        message = hub.publish("zone:lantai1", 1, {"called": "A001"})
        assert a.received[0] is message and b.received[0] is message

    async def test_envelope_carries_topic_epoch_seq_and_data(self, hub: Hub) -> None:
        message = hub.publish("counter:7", 3, View(called="A001", counter="7"))
        assert msgspec.json.decode(message.data) == {
            "topic": "counter:7",
            "epoch": EPOCH,
            "seq": 3,
            "data": {"called": "A001", "counter": "7"},
        }

    async def test_messages_arrive_in_publish_order(self, hub: Hub) -> None:
        inbox = Inbox()
        hub.subscribe("zone:lantai1", inbox)
        sent = publish_range(hub, "zone:lantai1", 1, 200)
        assert inbox.received == sent

    async def test_only_the_topics_subscribers_receive_it(self, hub: Hub) -> None:
        zone, counter = Inbox(), Inbox()
        hub.subscribe("zone:lantai1", zone)
        hub.subscribe("counter:7", counter)
        hub.publish("counter:7", 1, {})
        hub.publish("zone:lantai1", 2, {})
        assert (zone.seqs(), counter.seqs()) == ([2], [1])

    async def test_publishing_without_subscribers_still_records_history(self, hub: Hub) -> None:
        sent = publish_range(hub, "ticket:abc", 1, 3)
        assert hub.history("ticket:abc") == [(1, sent[0]), (2, sent[1]), (3, sent[2])]
        assert hub.position == Position(EPOCH, 3)


class TestSlowSubscriber:
    """A subscriber that cannot keep up is dropped with its own code; nobody else waits."""

    async def test_stalled_subscriber_is_dropped_while_a_fast_one_gets_everything(
        self, hub: Hub
    ) -> None:
        stalled, fast = Inbox(limit=2000, reading=False), Inbox()
        hub.subscribe("zone:lantai1", stalled)
        hub.subscribe("zone:lantai1", fast)
        sent = [hub.publish("zone:lantai1", seq, {"text": "x" * 500}) for seq in range(1, 11)]
        assert stalled.closes == [(CLOSE_TOO_SLOW, "too slow")]
        assert fast.received == sent
        assert hub.stats().subscribers == {"zone:lantai1": 1}
        assert hub.stats().dropped == 1
        assert hub.topics_of(stalled) == frozenset()

    async def test_a_subscriber_closed_otherwise_is_removed_but_not_counted_as_dropped(
        self, hub: Hub
    ) -> None:
        closed = Inbox()
        hub.subscribe("zone:lantai1", closed)
        closed.drop(4403, "signed out")
        hub.publish("zone:lantai1", 1, {})
        assert hub.stats().subscribers == {"zone:lantai1": 0}
        assert hub.stats().dropped == 0

    async def test_a_closed_subscriber_cannot_subscribe(self, hub: Hub) -> None:
        inbox = Inbox()
        inbox.drop(1000, "")
        with pytest.raises(RuntimeError, match="is closed"):
            hub.subscribe("zone:lantai1", inbox)


class TestResync:
    """A reconnecting client gets exactly what it missed, or is told to take a snapshot."""

    async def test_recovers_exactly_the_missed_messages_then_live_ones(self, hub: Hub) -> None:
        sent = publish_range(hub, "zone:lantai1", 1, 10)
        hub.publish("counter:7", 11, {})
        inbox = Inbox()
        recovery = hub.subscribe("zone:lantai1", inbox, Position(EPOCH, 6))
        assert recovery.recovered
        assert recovery.missed == tuple(sent[6:])
        assert recovery.position == Position(EPOCH, 11)
        hub.publish("zone:lantai1", 12, {})
        assert inbox.seqs() == [7, 8, 9, 10, 12]

    async def test_up_to_date_client_recovers_nothing(self, hub: Hub) -> None:
        publish_range(hub, "zone:lantai1", 1, 3)
        recovery = hub.subscribe("zone:lantai1", Inbox(), Position(EPOCH, 3))
        assert (recovery.recovered, recovery.missed) == (True, ())

    async def test_topic_never_published_recovers_nothing(self, hub: Hub) -> None:
        publish_range(hub, "zone:lantai1", 1, 3)
        recovery = hub.subscribe("ticket:abc", Inbox(), Position(EPOCH, 1))
        assert (recovery.recovered, recovery.missed) == (True, ())

    async def test_another_epoch_requires_a_snapshot(self, hub: Hub) -> None:
        publish_range(hub, "zone:lantai1", 1, 3)
        recovery = hub.subscribe("zone:lantai1", Inbox(), Position("old", 1))
        assert (recovery.recovered, recovery.missed) == (False, ())

    async def test_a_gap_older_than_the_history_requires_a_snapshot(self) -> None:
        hub = Hub(EPOCH, history_size=4)
        publish_range(hub, "zone:lantai1", 1, 10)
        assert [seq for seq, _ in hub.history("zone:lantai1")] == [7, 8, 9, 10]
        old = hub.subscribe("zone:lantai1", Inbox(), Position(EPOCH, 5))
        kept = hub.subscribe("zone:lantai1", Inbox(), Position(EPOCH, 6))
        assert (old.recovered, kept.recovered, len(kept.missed)) == (False, True, 4)
        await hub.stop()

    async def test_a_position_before_the_hub_started_requires_a_snapshot(self) -> None:
        hub = Hub(EPOCH, seq=100)
        recovery = hub.subscribe("zone:lantai1", Inbox(), Position(EPOCH, 99))
        assert not recovery.recovered
        await hub.stop()

    async def test_more_missed_bytes_than_the_subscriber_has_room_for_requires_a_snapshot(
        self, hub: Hub
    ) -> None:
        for seq in range(1, 5):
            hub.publish("zone:lantai1", seq, {"text": "x" * 500})
        inbox = Inbox(limit=1500)
        recovery = hub.subscribe("zone:lantai1", inbox, Position(EPOCH, 0))
        assert not recovery.recovered
        assert inbox.close_code is None and inbox.received == []

    async def test_snapshot_is_offered_before_live_messages(self, hub: Hub) -> None:
        publish_range(hub, "zone:lantai1", 1, 3)
        inbox = Inbox()
        recovery = hub.subscribe(
            "zone:lantai1", inbox, Position("old", 1), snapshot=lambda: (3, {"snapshot": True})
        )
        hub.publish("zone:lantai1", 4, {})
        assert recovery.position == Position(EPOCH, 3)
        assert inbox.envelopes()[0].data == {"snapshot": True}
        assert inbox.seqs() == [3, 4]

    async def test_a_client_ahead_of_this_hub_gets_no_duplicates(self, hub: Hub) -> None:
        publish_range(hub, "zone:lantai1", 1, 2)
        inbox = Inbox()
        hub.subscribe("zone:lantai1", inbox, Position(EPOCH, 4))
        publish_range(hub, "zone:lantai1", 3, 6)
        assert inbox.seqs() == [5, 6]

    async def test_reset_to_a_new_epoch_forgets_history(self, hub: Hub) -> None:
        publish_range(hub, "zone:lantai1", 1, 3)
        hub.reset("epoch-2")
        assert hub.history("zone:lantai1") == []
        recovery = hub.subscribe("zone:lantai1", Inbox(), Position(EPOCH, 3))
        assert not recovery.recovered

    async def test_after_reset_subscribers_get_the_new_logs_messages(self, hub: Hub) -> None:
        inbox = Inbox()
        hub.subscribe("zone:lantai1", inbox, Position(EPOCH, 5))
        hub.reset("epoch-2")
        hub.publish("zone:lantai1", 1, {})
        assert [e.epoch for e in inbox.envelopes()] == ["epoch-2"]


class TestKept:
    """A room whose every message is a whole view keeps only the newest few."""

    async def test_a_kept_prefix_holds_only_its_newest_messages(self, hub: Hub) -> None:
        hub.keep("manager:", 1)
        publish_range(hub, "manager:all", 1, 5)
        publish_range(hub, "zone:lantai1", 6, 10)
        assert [seq for seq, _ in hub.history("manager:all")] == [5]
        assert len(hub.history("zone:lantai1")) == 5

    async def test_a_client_one_view_behind_gets_the_newest_and_older_a_snapshot(
        self, hub: Hub
    ) -> None:
        hub.keep("manager:", 1)
        publish_range(hub, "manager:all", 1, 5)
        behind = hub.subscribe("manager:all", Inbox(), Position(EPOCH, 4))
        older = hub.subscribe("manager:all", Inbox(), Position(EPOCH, 3), lambda: (5, {"n": 5}))
        assert (behind.recovered, [m.data for m in behind.missed]) == (
            True,
            [b'{"topic":"manager:all","epoch":"epoch-1","seq":5,"data":{"n":5}}'],
        )
        assert not older.recovered

    def test_a_topic_keeps_at_least_one_message(self, hub: Hub) -> None:
        with pytest.raises(ValueError, match="at least"):
            hub.keep("manager:", 0)


class TestUnsubscribe:
    """Leaving a topic, or disconnecting, stops delivery."""

    async def test_unsubscribe_stops_delivery(self, hub: Hub) -> None:
        inbox = Inbox()
        hub.subscribe("zone:lantai1", inbox)
        hub.publish("zone:lantai1", 1, {})
        hub.unsubscribe("zone:lantai1", inbox)
        hub.publish("zone:lantai1", 2, {})
        assert inbox.seqs() == [1]
        assert inbox.close_code is None

    async def test_disconnect_leaves_every_topic(self, hub: Hub) -> None:
        inbox = Inbox()
        hub.subscribe("zone:lantai1", inbox)
        hub.subscribe("counter:7", inbox)
        assert hub.topics_of(inbox) == {"zone:lantai1", "counter:7"}
        hub.disconnect(inbox)
        assert hub.stats().subscribers == {"zone:lantai1": 0, "counter:7": 0}
        assert hub.topics_of(inbox) == frozenset()


class TestHeartbeat:
    """Idle subscribers get periodic pings; stopping the hub closes everyone."""

    async def test_pings_arrive_at_the_interval(self) -> None:
        hub = Hub(EPOCH, heartbeat=0.01)
        inbox = Inbox()
        hub.subscribe("zone:lantai1", inbox)
        await hub.start()
        async with asyncio.timeout(2):
            while len(inbox.received) < 2:  # noqa: ASYNC110 (the heartbeat task offers them)
                await asyncio.sleep(0.01)
        assert inbox.received[:2] == [PING, PING]
        await hub.stop()

    async def test_a_subscriber_on_two_topics_gets_one_ping(self, hub: Hub) -> None:
        inbox = Inbox()
        hub.subscribe("zone:lantai1", inbox)
        hub.subscribe("counter:7", inbox)
        hub.ping()
        assert inbox.received == [PING]

    async def test_a_subscriber_that_cannot_take_a_ping_is_dropped(self, hub: Hub) -> None:
        stalled = Inbox(limit=1, reading=False)
        hub.subscribe("zone:lantai1", stalled)
        hub.ping()
        hub.ping()
        assert stalled.closes == [(CLOSE_TOO_SLOW, "too slow")]
        assert hub.stats().subscribers == {"zone:lantai1": 0}

    async def test_stop_closes_subscribers_as_going_away(self) -> None:
        hub = Hub(EPOCH)
        inbox = Inbox()
        hub.subscribe("zone:lantai1", inbox)
        await hub.stop()
        assert inbox.closes == [(CLOSE_GOING_AWAY, "server stopping")]
        assert hub.stats().subscribers == {"zone:lantai1": 0}


class TestStats:
    """Counters for metrics: messages published, subscribers per topic, drops."""

    async def test_counts_published_messages_and_subscribers(self, hub: Hub) -> None:
        hub.subscribe("zone:lantai1", Inbox())
        hub.subscribe("zone:lantai1", Inbox())
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

    async def test_has_subscribers_follows_subscribe_and_unsubscribe(self, hub: Hub) -> None:
        inbox = Inbox()
        assert not hub.has_subscribers("visit:abc")
        hub.subscribe("visit:abc", inbox)
        assert hub.has_subscribers("visit:abc")
        hub.unsubscribe("visit:abc", inbox)
        assert not hub.has_subscribers("visit:abc")

    async def test_an_idle_topic_without_subscribers_is_forgotten(self) -> None:
        clock = FakeTime()
        hub = Hub(EPOCH, idle_after=60, clock=clock)
        hub.subscribe("zone:lantai1", Inbox())
        publish_range(hub, "visit:gone", 1, 3)
        publish_range(hub, "zone:lantai1", 4, 4)
        clock.now += 59
        assert hub.evict_idle() == 0
        clock.now += 2
        assert hub.evict_idle() == 1
        assert hub.history("visit:gone") == []
        assert hub.stats().topics == 1  # the watched zone stays, however idle
        await hub.stop()

    async def test_leaving_restarts_the_idle_time(self) -> None:
        clock = FakeTime()
        hub = Hub(EPOCH, idle_after=60, clock=clock)
        inbox = Inbox()
        hub.subscribe("visit:abc", inbox)
        clock.now += 120
        hub.disconnect(inbox)
        assert hub.evict_idle() == 0
        clock.now += 61
        assert hub.evict_idle() == 1
        await hub.stop()

    async def test_the_least_recently_used_idle_topics_go_beyond_the_cap(self) -> None:
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

    async def test_a_client_back_on_a_forgotten_topic_gets_a_snapshot(self) -> None:
        clock = FakeTime()
        hub = Hub(EPOCH, idle_after=60, clock=clock)
        publish_range(hub, "visit:abc", 1, 5)
        clock.now += 61
        hub.evict_idle()
        inbox = Inbox()
        recovery = hub.subscribe("visit:abc", inbox, Position(EPOCH, 2), lambda: (5, {"n": 5}))
        assert not recovery.recovered
        assert inbox.seqs() == [5]
        up_to_date = hub.subscribe("visit:abc", Inbox(), Position(EPOCH, 5))
        assert up_to_date.recovered
        await hub.stop()

    async def test_the_heartbeat_sweeps_idle_topics(self) -> None:
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
