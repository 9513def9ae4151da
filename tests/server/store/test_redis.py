"""What only the Redis log must do: read logs written by older versions, and say plainly
when Redis cannot be reached."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from server.store import Appended, Record, StoreUnavailable
from server.store.redis import RedisLog
from tests.conftest import RedisServer

VENUE = "mpp-surabaya"


@pytest.fixture
async def upgraded(redis_url: str) -> AsyncIterator[RedisLog]:
    """A log holding one command as versions before digests wrote it."""
    client = Redis.from_url(redis_url)
    try:
        await client.flushdb()
        await client.xadd(f"antrean:{{{VENUE}}}:log", {"c": "old", "d": b"a"}, id="0-1")
        await client.hset(f"antrean:{{{VENUE}}}:cmd", "old", "1:1")
    finally:
        await client.aclose()
    log = RedisLog(redis_url)
    yield log
    await log.close()


class TestOlderLogs:
    """Commands stored before digests read as unbound and are answered as retries."""

    async def test_the_old_log_reads_with_unknown_digests(self, upgraded: RedisLog) -> None:
        assert await upgraded.read(VENUE, 0) == [Record(1, "old", b"a", "")]

    async def test_an_old_command_is_answered_as_a_retry(self, upgraded: RedisLog) -> None:
        again = await upgraded.append(VENUE, 1, [b"a"], "old", digest="d1")
        assert again == Appended(1, 1, duplicate=True)


class TestOutage:
    """A stopped Redis raises the store's own `StoreUnavailable` (a follower waits it out, see
    the contract's TestRedisRestart); a restarted one serves the same log object again."""

    async def test_every_call_raises_store_unavailable(self, redis_server: RedisServer) -> None:
        log = RedisLog(redis_server.url)
        try:
            redis_server.stop()
            calls = [
                log.epoch(VENUE),
                log.head(VENUE),
                log.read(VENUE, 0),
                log.append(VENUE, 0, [b"a"], "c1"),
            ]
            for call in calls:
                with pytest.raises(StoreUnavailable) as caught:
                    await call
                assert caught.value.backend == "redis"
        finally:
            await log.close()

    async def test_the_same_log_serves_again_after_a_restart(
        self, redis_server: RedisServer
    ) -> None:
        log = RedisLog(redis_server.url)
        try:
            assert await log.head(VENUE) == 0
            redis_server.stop()
            with pytest.raises(StoreUnavailable):
                await log.append(VENUE, 0, [b"a"], "c1")
            redis_server.start()
            assert await log.append(VENUE, 0, [b"a"], "c1") == Appended(1, 1)
            assert await log.append(VENUE, 0, [b"a"], "c1") == Appended(1, 1, duplicate=True)
        finally:
            await log.close()
