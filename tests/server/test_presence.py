"""The hall's displays seen from every process: one speaker per zone, every display counted,
every audio report read, one name for an outage (`displays.health.Speakers` on a roster)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import secrets
from collections.abc import AsyncIterator, Callable

import msgspec
import pytest

from displays import health
from displays.health import Speakers
from server.presence import AudioStatus
from server.store.redis import RedisRoster
from tests.helpers import small_venue
from tests.inbox import Inbox

AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


class Screen:
    """A display's connection, in memory: what it was last told."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.subscriber = Inbox()

    @property
    def speaks(self) -> bool | None:
        roles = [msgspec.json.decode(f) for f in self.subscriber.data if b'"role"' in f]
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


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait, at most `seconds`, until `condition` holds."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 (frames other tasks deliver)
            await asyncio.sleep(0.02)


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

    async def test_a_handover_is_heard_at_once_not_at_the_next_periodic_beat(
        self, processes: Process, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Periodic beats a minute apart: only being told of the handover can be in time.
        monkeypatch.setattr(health, "BEAT_SECONDS", 60.0)
        one, two = processes(), processes()
        await one.start()
        await two.start()
        first, second = Screen("a"), Screen("b")
        one.join("z1", first.subscriber, "tv-x")
        await until(lambda: first.speaks is True)
        two.join("z1", second.subscriber, "tv-y")
        await until(lambda: two.connected("z1") == 2 and second.speaks is False)
        one.leave("z1", first.subscriber)  # its screen went: process one lets the zone go
        await until(lambda: second.speaks is True)

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

    async def test_the_configured_speaker_reconnecting_elsewhere_speaks_at_once(
        self, processes: Process
    ) -> None:
        # Its old socket (a dropped Wi-Fi, not yet noticed) is on one process, the new
        # one on the other: the new one speaks, as it would on one process alone.
        one, two = processes(), processes()
        old, new = Screen("d1-old"), Screen("d1-new")
        one.join("z1", old.subscriber, "d1")
        await settle(one)
        two.join("z1", new.subscriber, "d1")
        await settle(one, two)
        assert (old.speaks, new.speaks) == (False, True)
        await settle(one, two, one)  # and it stays so: the older one does not take it back
        assert (old.speaks, new.speaks) == (False, True)

    async def test_after_any_joins_and_leaves_each_zone_settles_on_one_speaker(
        self, processes: Process
    ) -> None:
        rng = random.Random(15)
        procs = [processes(), processes(), processes()]
        screens: list[tuple[Speakers, str, Screen]] = []
        for step in range(200):
            if screens and rng.random() < 0.4:
                where, zone, screen = screens.pop(rng.randrange(len(screens)))
                where.leave(zone, screen.subscriber)
            else:
                where, zone = rng.choice(procs), rng.choice(["z1", "z2"])
                screen = Screen(f"s{step}")
                where.join(zone, screen.subscriber, rng.choice(["d1", "d2", "tv"]))
                screens.append((where, zone, screen))
            if rng.random() < 0.3:
                await rng.choice(procs).beat()
            if rng.random() < 0.1:
                await settle(*procs)
                for zone in ("z1", "z2"):
                    present = [s for _, z, s in screens if z == zone]
                    speaking = [s for s in present if s.speaks]
                    assert len(speaking) == (1 if present else 0), (step, zone, len(present))

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

    async def test_the_last_report_wins_whatever_the_processes_clocks(
        self, processes: Process
    ) -> None:
        one, two = processes(), processes()
        ahead = AT + dt.timedelta(seconds=10)  # one's clock runs 10 s fast
        one.report(AudioStatus("z1", "d1", "A-001", "blocked", ahead))
        await settle(one)
        two.report(AudioStatus("z1", "d2", "A-002", "played", AT + dt.timedelta(seconds=5)))
        await settle(two, one)
        assert one.status["z1"].call == two.status["z1"].call == "A-002"

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
