"""The hall's displays seen from every process: one speaker per zone, every display counted,
every audio report read, one name for an outage (`displays.health.Speakers` on a roster)."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import AsyncIterator, Callable

import msgspec
import pytest

from displays.health import Speakers
from server.hub import Subscriber
from server.presence import AudioStatus
from server.store.redis import RedisRoster
from tests.helpers import small_venue

AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


class Screen:
    """A real hub subscriber whose frames are kept: what a display was last told."""

    def __init__(self, name: str) -> None:
        self.frames: list[bytes] = []
        self.subscriber = Subscriber(self._send, name=name)

    async def _send(self, frame: bytes) -> None:
        self.frames.append(frame)

    @property
    def speaks(self) -> bool | None:
        roles = [msgspec.json.decode(f) for f in self.frames if b'"role"' in f]
        return roles[-1]["speaker"] if roles else None


Process = Callable[..., Speakers]


@pytest.fixture
async def processes(redis_url: str) -> AsyncIterator[Process]:
    """Makes a process's `Speakers` on one shared roster (a fresh venue id per test)."""
    venue, made = small_venue(), []
    name = f"hall-{secrets.token_hex(4)}"

    def process(ttl: float = 6.0) -> Speakers:
        speakers = Speakers(venue, RedisRoster(redis_url, name, ttl=ttl), lambda: AT)
        made.append(speakers)
        return speakers

    yield process
    for speakers in made:
        await speakers.stop()


async def settle(*processes: Speakers) -> None:
    """Every process beats twice, in turn, and the screens get what they were offered."""
    for _ in range(2):
        for speakers in processes:
            await speakers.beat()
    await asyncio.sleep(0.05)


class TestOneSpeakerPerZone:
    async def test_screens_on_two_processes_one_speaks_both_are_counted(
        self, processes: Process
    ) -> None:
        one, two = processes(), processes()
        first, second = Screen("a"), Screen("b")
        one.join("z1", first.subscriber, "tv-x")
        two.join("z1", second.subscriber, "tv-y")
        await settle(one, two)
        assert {first.speaks, second.speaks} == {False, True}
        assert one.connected("z1") == two.connected("z1") == 2
        assert one.connected("z2") == 0

    async def test_the_zone_is_handed_over_when_its_process_stops(self, processes: Process) -> None:
        one, two = processes(), processes()
        first, second = Screen("a"), Screen("b")
        one.join("z1", first.subscriber, "tv-x")
        await settle(one)
        two.join("z1", second.subscriber, "tv-y")
        await settle(one, two)
        assert (first.speaks, second.speaks) == (True, False)
        await one.stop()  # a restart: it leaves the roster at once
        await settle(two)
        assert second.speaks is True and two.connected("z1") == 1

    async def test_a_killed_process_is_dropped_after_the_ttl(self, processes: Process) -> None:
        one, two = processes(ttl=0.5), processes(ttl=0.5)
        first, second = Screen("a"), Screen("b")
        one.join("z1", first.subscriber, "tv-x")
        await settle(one)
        two.join("z1", second.subscriber, "tv-y")
        await settle(two)
        assert second.speaks is False and two.connected("z1") == 2
        await asyncio.sleep(0.7)  # `one` beats no more, as if killed
        await settle(two)
        assert second.speaks is True and two.connected("z1") == 1

    async def test_the_configured_speaker_takes_the_zone(self, processes: Process) -> None:
        one, two = processes(), processes()
        first, named = Screen("a"), Screen("d1")
        one.join("z1", first.subscriber, "tv-x")
        await settle(one)
        two.join("z1", named.subscriber, "d1")  # z1's configured speaker
        await settle(one, two)
        assert (first.speaks, named.speaks) == (False, True)

    async def test_one_process_alone_speaks_at_once(self) -> None:
        alone = Speakers(small_venue())
        screen = Screen("a")
        alone.join("z1", screen.subscriber, "tv-x")
        await asyncio.sleep(0.05)
        assert screen.speaks is True


class TestWhatTheDashboardReads:
    async def test_an_audio_report_on_one_process_is_read_on_the_other(
        self, processes: Process
    ) -> None:
        one, two = processes(), processes()
        one.report(AudioStatus("z1", "d1", "A-001", "blocked", AT))
        await settle(one, two)
        assert two.status["z1"].status == "blocked" and two.status["z1"].call == "A-001"

    async def test_every_process_names_the_same_outage(self, processes: Process) -> None:
        one, two = processes(), processes()
        await settle(one)
        later = AT + dt.timedelta(minutes=3)
        await settle(two)
        assert one.offline_since("z1", AT) == two.offline_since("z1", later) == AT
        screen = Screen("a")
        two.join("z1", screen.subscriber, "tv-x")
        await settle(two, one)
        assert one.offline_since("z1", later) is None
