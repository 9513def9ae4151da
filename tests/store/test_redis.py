"""What only the Redis log must do: read logs written by older versions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from server.store import Appended, Record
from server.store.redis import RedisLog

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
