"""The counts contract: this process's memory and Redis count tries alike.

With Redis, `counts.open()` opens another client on the same keys: how a second process
sees them. Windows and holds here are minutes long, so Redis's clock (which its scripts
read) does not move anything during a test, except where a test waits for it on purpose.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.store import StoreUnavailable
from server.store.counts import Counts, MemoryCounts, Rule, Strike, hold_seconds
from server.store.redis import RedisCounts

if TYPE_CHECKING:
    from tests.conftest import RedisServer

RULE = Rule(limit=5, window=900, first=60, longest=3600)


class Opened:
    """One backend's counts; `open()` gives another handle on the same ones."""

    def __init__(self, backend: str, url: str = "") -> None:
        self.backend, self.url = backend, url
        self.venue = f"test-{secrets.token_hex(4)}"  # fresh keys for each test
        self._memory = MemoryCounts()
        self._opened: list[Counts] = []

    def open(self) -> Counts:
        if self.backend == "memory":
            return self._memory  # one process: the same object
        counts = RedisCounts(self.url, self.venue)
        self._opened.append(counts)
        return counts

    async def close(self) -> None:
        for counts in self._opened:
            await counts.close()


@pytest.fixture(params=["memory", "redis"])
async def opened(request: pytest.FixtureRequest) -> AsyncIterator[Opened]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    counts = Opened(request.param, url)
    yield counts
    await counts.close()


class TestStrike:
    async def test_the_limit_th_try_starts_a_hold_and_later_ones_are_refused(
        self, opened: Opened
    ) -> None:
        counts = opened.open()
        strikes = [await counts.strike("manajer", RULE) for _ in range(7)]
        assert [s.count for s in strikes[:4]] == [1, 2, 3, 4]
        assert (strikes[4].hold, strikes[4].count, strikes[4].held) == (60, 0, 0)
        # Held: refused without being counted.
        assert all(55 < s.held <= 60 and s.count == 0 for s in strikes[5:])
        assert 55 < await counts.held_for("manajer") <= 60
        assert await counts.held_for("admin") == 0

    async def test_a_clear_starts_the_key_afresh(self, opened: Opened) -> None:
        counts = opened.open()
        for _ in range(5):
            await counts.strike("manajer", RULE)
        await counts.clear("manajer")
        assert await counts.held_for("manajer") == 0
        assert (await counts.strike("manajer", RULE)).count == 1

    async def test_keys_are_apart(self, opened: Opened) -> None:
        counts = opened.open()
        for _ in range(4):
            await counts.strike("a", RULE)
        assert (await counts.strike("b", RULE)).count == 1

    async def test_tries_at_once_on_two_processes_count_once_each(self, opened: Opened) -> None:
        first, second = opened.open(), opened.open()
        strikes = await asyncio.gather(
            *(counts.strike("manajer", RULE) for counts in [first, second] * 25)
        )
        counted = [s for s in strikes if not s.held]
        # Four counted, one started the hold; the other 45 were refused, whatever the order.
        assert sorted(s.count for s in counted) == [0, 1, 2, 3, 4]
        assert [s.hold for s in counted].count(60) == 1
        assert sum(1 for s in strikes if s.held) == 45

    async def test_a_hold_seen_from_the_other_process(self, opened: Opened) -> None:
        first, second = opened.open(), opened.open()
        for _ in range(5):
            await first.strike("loket1", RULE)
        assert (await second.strike("loket1", RULE)).held > 0
        await second.clear("loket1")
        assert await first.held_for("loket1") == 0


class TestForgive:
    async def test_a_forgiven_try_is_uncounted_and_the_others_stay(self, opened: Opened) -> None:
        counts = opened.open()
        await counts.strike("kiosk", RULE)
        second = await counts.strike("kiosk", RULE)
        await counts.strike("kiosk", RULE)
        await counts.forgive("kiosk", RULE, second)
        assert (await counts.strike("kiosk", RULE)).count == 3

    async def test_forgiving_the_try_that_started_a_hold_lifts_it_one_try_short(
        self, opened: Opened
    ) -> None:
        counts = opened.open()
        strikes = [await counts.strike("kiosk", RULE) for _ in range(5)]
        assert strikes[-1].hold == 60
        await counts.forgive("kiosk", RULE, strikes[-1])
        assert await counts.held_for("kiosk") == 0
        # The four before it still count: the next wrong one starts the hold again, and
        # it is the first hold again, not the second.
        assert (await counts.strike("kiosk", RULE)).hold == 60

    async def test_a_refused_try_has_nothing_to_forgive(self, opened: Opened) -> None:
        counts = opened.open()
        for _ in range(5):
            await counts.strike("kiosk", RULE)
        refused = await counts.strike("kiosk", RULE)
        await counts.forgive("kiosk", RULE, refused)
        assert await counts.held_for("kiosk") > 55


class TestTake:
    async def test_at_most_limit_in_the_window_refused_ones_not_counted(
        self, opened: Opened
    ) -> None:
        first, second = opened.open(), opened.open()
        taken = await asyncio.gather(*(c.take("10.0.0.7", 12, 600) for c in [first, second] * 10))
        assert taken.count(True) == 12
        assert not await first.take("10.0.0.7", 12, 600)
        assert await first.take("10.0.0.8", 12, 600)

    async def test_the_window_slides(self, opened: Opened) -> None:
        counts = opened.open()
        assert await counts.take("a", 1, 0.3)
        assert not await counts.take("a", 1, 0.3)
        await asyncio.sleep(0.4)  # the backend's own clock moves on (Redis's, for Redis)
        assert await counts.take("a", 1, 0.3)


class TestSameAnswers:
    """For any run of tries and clears, Redis answers as this process's memory does."""

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        steps=st.lists(
            st.tuples(
                st.sampled_from(["strike", "clear", "held", "forgive"]), st.sampled_from("ab")
            ),
            max_size=40,
        ),
        limit=st.integers(1, 4),
    )
    async def test_memory_and_redis_agree(
        self, redis_url: str, steps: list[tuple[str, str]], limit: int
    ) -> None:
        rule = Rule(limit=limit, window=900, first=60, longest=240)
        memory = MemoryCounts()
        redis = RedisCounts(redis_url, f"same-{secrets.token_hex(4)}")
        last: dict[str, tuple[Strike, Strike]] = {}
        try:
            for action, key in steps:
                if action == "strike":
                    here, there = await memory.strike(key, rule), await redis.strike(key, rule)
                    assert (here.count, here.hold, bool(here.held)) == (
                        there.count,
                        there.hold,
                        bool(there.held),
                    )
                    last[key] = (here, there)
                elif action == "forgive" and key in last:
                    here, there = last.pop(key)
                    await memory.forgive(key, rule, here)
                    await redis.forgive(key, rule, there)
                elif action == "clear":
                    await memory.clear(key)
                    await redis.clear(key)
                else:
                    assert bool(await memory.held_for(key)) == bool(await redis.held_for(key))
        finally:
            await redis.close()


class TestHolds:
    def test_each_hold_in_a_row_doubles_up_to_the_longest(self) -> None:
        assert [hold_seconds(RULE, n) for n in range(1, 9)] == [
            60,
            120,
            240,
            480,
            960,
            1920,
            3600,
            3600,
        ]


class TestRedisOutage:
    async def test_every_call_raises_store_unavailable(self, redis_server: RedisServer) -> None:
        counts = RedisCounts(redis_server.url, "outage")
        try:
            assert (await counts.strike("k", RULE)).count == 1
            redis_server.stop()
            for call in (
                counts.strike("k", RULE),
                counts.held_for("k"),
                counts.clear("k"),
                counts.take("k", 3, 60),
            ):
                with pytest.raises(StoreUnavailable):
                    await call
        finally:
            await counts.close()
