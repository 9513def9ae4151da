"""The event log contract: every backend (SQLite, Redis) must pass every test here.

Each test gets a fresh, empty storage. `storage.open()` opens another log object on the same
storage, which is how a second process sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from redis.asyncio import Redis

from server.store import Appended, CommandIdReused, Conflict, EventLog, Record, open_log
from server.store.redis import RedisLog
from server.store.sqlite import SqliteLog

if TYPE_CHECKING:
    from tests.conftest import RedisServer

VENUE = "mpp-surabaya"
OTHER_VENUE = "mpp-sidoarjo"
# Generous: a broken follow fails the test after this long instead of hanging it.
FOLLOW_TIMEOUT = 5.0


class Storage:
    """Where one backend keeps its logs: open it as many times as the test has processes."""

    def __init__(self, url: str, wipe: Callable[[], Awaitable[None]]) -> None:
        self.url = url
        self._wipe = wipe
        self._logs: list[EventLog] = []

    def open(self) -> EventLog:
        log = open_log(self.url)
        self._logs.append(log)
        return log

    async def recreate(self) -> None:
        """Lose everything, as a restore from nothing would: close every log, then wipe."""
        await self.close()
        await self._wipe()

    async def close(self) -> None:
        while self._logs:
            await self._logs.pop().close()


@pytest.fixture(params=["sqlite", "redis"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    if request.param == "sqlite":
        path = tmp_path / "data" / "log.db"
        opened = Storage(f"sqlite://{path}", lambda: _delete_sqlite_files(path))
    else:
        url: str = request.getfixturevalue("redis_url")
        opened = Storage(url, lambda: _flush_redis(url))
        await _flush_redis(url)
    yield opened
    await opened.close()


@pytest.fixture
def log(storage: Storage) -> EventLog:
    return storage.open()


async def _delete_sqlite_files(path: Path) -> None:
    for file in path.parent.glob(f"{path.name}*"):  # the database, its -wal and -shm
        file.unlink()


async def _flush_redis(url: str) -> None:
    client = Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def following(
    log: EventLog, venue: str, after: int
) -> contextlib.aclosing[AsyncGenerator[Record, None]]:
    """Follow `venue`, closing the generator when the block ends (no dangling reads).

    A task reading it should live in a TaskGroup entered *after* this, so that a failing
    test cancels the read before the generator is closed.
    """
    records = log.follow(venue, after)
    assert isinstance(records, AsyncGenerator)
    return contextlib.aclosing(records)


async def take(records: AsyncIterator[Record], count: int) -> list[Record]:
    """The next `count` records, or TimeoutError if they do not come."""
    taken: list[Record] = []
    async with asyncio.timeout(FOLLOW_TIMEOUT):
        async for record in records:
            taken.append(record)
            if len(taken) == count:
                break
    return taken


def records(first_seq: int, command_id: str, *events: bytes, digest: str = "") -> list[Record]:
    return [Record(first_seq + n, command_id, data, digest) for n, data in enumerate(events)]


class TestHead:
    """An empty log is at 0; after appends the head is the last position written."""

    async def test_empty_log_is_at_zero(self, log: EventLog) -> None:
        assert await log.head(VENUE) == 0

    async def test_head_is_the_last_position(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b"], "c1")
        await log.append(VENUE, 2, [b"c"], "c2")
        assert await log.head(VENUE) == 3


class TestAppend:
    """A command's events land together at the consecutive positions after the head."""

    async def test_returns_the_positions_written(self, log: EventLog) -> None:
        assert await log.append(VENUE, 0, [b"a", b"b", b"c"], "c1") == Appended(1, 3)
        assert await log.append(VENUE, 3, [b"d"], "c2") == Appended(4, 4)

    async def test_records_keep_their_command(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b"], "c1")
        await log.append(VENUE, 2, [b"c"], "c2")
        assert await log.read(VENUE, 0) == [*records(1, "c1", b"a", b"b"), Record(3, "c2", b"c")]

    async def test_payloads_round_trip_byte_exact(self, log: EventLog) -> None:
        payloads = [
            b"",
            b"\x00",
            bytes(range(256)),
            b"\xff\xfe\x80 not utf-8 \xc3\x28",
            "Loket 7, nomor A-012 ✓".encode(),
            b"\x00" * 100_000,
        ]
        await log.append(VENUE, 0, payloads, "c1")
        assert [record.data for record in await log.read(VENUE, 0)] == payloads

    async def test_empty_events_are_refused(self, log: EventLog) -> None:
        with pytest.raises(ValueError, match="at least one event"):
            await log.append(VENUE, 0, [], "c1")
        assert await log.head(VENUE) == 0


class TestConflict:
    """An append whose expected position is not the head is refused and writes nothing."""

    async def test_stale_expected_seq_names_the_actual_head(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b"], "c1")
        with pytest.raises(Conflict) as raised:
            await log.append(VENUE, 0, [b"x"], "c2")
        assert (raised.value.venue, raised.value.expected, raised.value.actual) == (VENUE, 0, 2)

    async def test_conflict_leaves_the_log_intact(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b"], "c1")
        with pytest.raises(Conflict):
            await log.append(VENUE, 1, [b"x", b"y"], "c2")
        assert await log.read(VENUE, 0) == records(1, "c1", b"a", b"b")

    async def test_expected_seq_ahead_of_the_head_conflicts(self, log: EventLog) -> None:
        with pytest.raises(Conflict) as raised:
            await log.append(VENUE, 5, [b"x"], "c1")
        assert raised.value.actual == 0

    async def test_conflicting_command_can_be_appended_later(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a"], "c1")
        with pytest.raises(Conflict):
            await log.append(VENUE, 0, [b"x"], "c2")
        # A refused command is not recorded, so catching up and retrying it works.
        assert await log.append(VENUE, 1, [b"x"], "c2") == Appended(2, 2)


class TestIdempotency:
    """Appending a command again returns its first positions and writes nothing."""

    async def test_duplicate_returns_the_original_positions(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b"], "c1")
        again = await log.append(VENUE, 2, [b"a", b"b"], "c1")
        assert again == Appended(1, 2, duplicate=True)
        assert await log.read(VENUE, 0) == records(1, "c1", b"a", b"b")

    async def test_duplicate_wins_over_a_stale_expected_seq(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b"], "c1")
        await log.append(VENUE, 2, [b"c"], "c2")
        # A retry after a lost answer still carries the position it first expected.
        assert await log.append(VENUE, 0, [b"a", b"b"], "c1") == Appended(1, 2, duplicate=True)
        assert await log.head(VENUE) == 3

    async def test_duplicate_seen_by_another_process(self, storage: Storage) -> None:
        first, second = storage.open(), storage.open()
        await first.append(VENUE, 0, [b"a"], "c1")
        assert await second.append(VENUE, 0, [b"a"], "c1") == Appended(1, 1, duplicate=True)
        assert await second.head(VENUE) == 1


class TestBinding:
    """A command id is bound to its command's digest: a retry must be the same command."""

    async def test_same_id_and_digest_is_a_duplicate(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b"], "c1", digest="d1")
        again = await log.append(VENUE, 2, [b"a", b"b"], "c1", digest="d1")
        assert again == Appended(1, 2, duplicate=True)

    async def test_same_id_with_another_digest_is_refused(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b"], "c1", digest="d1")
        with pytest.raises(CommandIdReused) as raised:
            await log.append(VENUE, 2, [b"x"], "c1", digest="d2")
        assert (raised.value.venue, raised.value.command_id) == (VENUE, "c1")
        assert await log.head(VENUE) == 2
        assert await log.read(VENUE, 0) == records(1, "c1", b"a", b"b", digest="d1")

    async def test_a_refused_reuse_leaves_the_first_binding(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a"], "c1", digest="d1")
        with pytest.raises(CommandIdReused):
            await log.append(VENUE, 1, [b"x"], "c1", digest="d2")
        assert await log.append(VENUE, 1, [b"a"], "c1", digest="d1") == Appended(1, 1, True)

    async def test_reuse_is_refused_across_processes(self, storage: Storage) -> None:
        first, second = storage.open(), storage.open()
        await first.append(VENUE, 0, [b"a"], "c1", digest="d1")
        with pytest.raises(CommandIdReused):
            await second.append(VENUE, 1, [b"x"], "c1", digest="d2")
        assert await second.append(VENUE, 0, [b"a"], "c1", digest="d1") == Appended(1, 1, True)
        assert await second.head(VENUE) == 1

    async def test_records_carry_their_commands_digest(self, storage: Storage) -> None:
        await storage.open().append(VENUE, 0, [b"a", b"b"], "c1", digest="d1")
        await storage.open().append(VENUE, 2, [b"c"], "c2", digest="d2")
        # Another process learns the binding from the log, so it can refuse a reuse itself.
        read = await storage.open().read(VENUE, 0)
        assert [(r.command_id, r.digest) for r in read] == [
            ("c1", "d1"),
            ("c1", "d1"),
            ("c2", "d2"),
        ]

    async def test_an_unbound_command_matches_any_retry(self, log: EventLog) -> None:
        # No digest (the accounts log, or a command stored before digests existed): a
        # retry cannot be told apart from a reuse, so it is answered as a retry, as before.
        await log.append(VENUE, 0, [b"a"], "c1")
        assert await log.append(VENUE, 1, [b"a"], "c1", digest="d1") == Appended(1, 1, True)


class TestRead:
    """Reading returns the records after a position, oldest first, at most `limit` of them."""

    async def test_reads_after_a_position(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b", b"c", b"d"], "c1")
        assert await log.read(VENUE, 2) == records(3, "c1", b"c", b"d")

    async def test_limit_caps_the_records(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b", b"c", b"d"], "c1")
        assert await log.read(VENUE, 1, limit=2) == records(2, "c1", b"b", b"c")

    async def test_reading_at_the_head_is_empty(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a"], "c1")
        assert await log.read(VENUE, 1) == []

    async def test_reading_an_unknown_venue_is_empty(self, log: EventLog) -> None:
        assert await log.read("nowhere", 0) == []


class TestEpoch:
    """A log's epoch stays while its storage lives and changes when the storage is recreated."""

    async def test_epoch_is_stable(self, log: EventLog) -> None:
        epoch = await log.epoch(VENUE)
        await log.append(VENUE, 0, [b"a"], "c1")
        assert epoch
        assert await log.epoch(VENUE) == epoch

    async def test_epoch_survives_reopening(self, storage: Storage) -> None:
        first = storage.open()
        epoch = await first.epoch(VENUE)
        await first.close()
        assert await storage.open().epoch(VENUE) == epoch

    async def test_processes_agree_on_a_new_epoch(self, storage: Storage) -> None:
        logs = [storage.open() for _ in range(5)]
        epochs = await asyncio.gather(*(log.epoch(VENUE) for log in logs))
        assert len(set(epochs)) == 1

    async def test_each_venue_has_its_own_epoch(self, log: EventLog) -> None:
        assert await log.epoch(VENUE) != await log.epoch(OTHER_VENUE)

    async def test_recreated_storage_has_a_new_epoch(self, storage: Storage) -> None:
        before = await storage.open().epoch(VENUE)
        await storage.recreate()
        assert await storage.open().epoch(VENUE) != before


class TestVenues:
    """Venues have separate logs: positions, commands and reads never mix."""

    async def test_positions_are_per_venue(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b"], "c1")
        assert await log.append(OTHER_VENUE, 0, [b"x"], "c2") == Appended(1, 1)
        assert await log.head(VENUE) == 2
        assert await log.read(OTHER_VENUE, 0) == [Record(1, "c2", b"x")]

    async def test_command_ids_are_per_venue(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b"], "c1")
        assert await log.append(OTHER_VENUE, 0, [b"x"], "c1") == Appended(1, 1)


class TestFollow:
    """Following yields the records after a position, then each new one as it lands."""

    async def test_yields_existing_then_new_records(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a", b"b", b"c"], "c1")
        async with following(log, VENUE, 1) as followed, asyncio.TaskGroup() as tasks:
            assert await take(followed, 2) == records(2, "c1", b"b", b"c")
            waiting = tasks.create_task(take(followed, 2))
            await asyncio.sleep(0.05)  # let the follower reach its wait
            await log.append(VENUE, 3, [b"d", b"e"], "c2")
            assert await waiting == records(4, "c2", b"d", b"e")

    async def test_sees_appends_from_another_process(self, storage: Storage) -> None:
        follower, writer = storage.open(), storage.open()
        async with following(follower, VENUE, 0) as followed, asyncio.TaskGroup() as tasks:
            waiting = tasks.create_task(take(followed, 1))
            await asyncio.sleep(0.05)
            await writer.append(VENUE, 0, [b"a"], "c1")
            assert await waiting == [Record(1, "c1", b"a")]

    async def test_follows_a_venue_that_has_no_log_yet(self, log: EventLog) -> None:
        async with following(log, VENUE, 0) as followed, asyncio.TaskGroup() as tasks:
            waiting = tasks.create_task(take(followed, 1))
            await log.append(OTHER_VENUE, 0, [b"elsewhere"], "c0")
            await log.append(VENUE, 0, [b"a"], "c1")
            assert await waiting == [Record(1, "c1", b"a")]

    async def test_follows_a_backlog_larger_than_one_read(self, log: EventLog) -> None:
        backlog = [f"event {n}".encode() for n in range(2_500)]
        await log.append(VENUE, 0, backlog, "c1")
        async with following(log, VENUE, 0) as followed:
            assert [record.data for record in await take(followed, 2_500)] == backlog

    async def test_duplicate_appends_yield_nothing(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a"], "c1")
        async with following(log, VENUE, 0) as followed:
            assert await take(followed, 1) == [Record(1, "c1", b"a")]
            await log.append(VENUE, 0, [b"a"], "c1")
            await log.append(VENUE, 1, [b"b"], "c2")
            assert await take(followed, 1) == [Record(2, "c2", b"b")]


class TestConcurrentAppends:
    """Appenders racing from the same head: exactly one wins, every other one gets Conflict."""

    async def test_one_winner_within_a_process(self, log: EventLog) -> None:
        results = await asyncio.gather(
            *(log.append(VENUE, 0, [b"x"], f"c{n}") for n in range(10)), return_exceptions=True
        )
        self.assert_one_winner(results)
        assert await log.head(VENUE) == 1

    async def test_one_winner_across_processes(self, storage: Storage) -> None:
        logs = [storage.open() for _ in range(5)]
        results = await asyncio.gather(
            *(log.append(VENUE, 0, [b"x", b"y"], f"c{n}") for n, log in enumerate(logs)),
            return_exceptions=True,
        )
        self.assert_one_winner(results)
        assert len(await logs[0].read(VENUE, 0)) == 2

    @staticmethod
    def assert_one_winner(results: list[Appended | BaseException]) -> None:
        winners = [result for result in results if isinstance(result, Appended)]
        losers = [result for result in results if isinstance(result, Conflict)]
        assert len(winners) == 1
        assert len(losers) == len(results) - 1
        assert {loser.actual for loser in losers} == {winners[0].last_seq}


class TestOpenLog:
    """`open_log` picks the backend from the URL's scheme."""

    async def test_sqlite_url(self, tmp_path: Path) -> None:
        log = open_log(f"sqlite://{tmp_path}/log.db")
        assert isinstance(log, SqliteLog)
        assert log.backend == "sqlite"
        await log.close()

    async def test_sqlite_creates_missing_folders(self, tmp_path: Path) -> None:
        log = open_log(f"sqlite://{tmp_path}/a/b/log.db")
        await log.append(VENUE, 0, [b"a"], "c1")
        await log.close()
        assert (tmp_path / "a" / "b" / "log.db").exists()

    async def test_redis_url(self, redis_url: str) -> None:
        log = open_log(redis_url)
        assert isinstance(log, RedisLog)
        assert log.backend == "redis"
        await log.close()

    def test_unknown_scheme_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown event log URL scheme"):
            open_log("postgres://localhost/antrean")


class TestRedisRestart:
    """A Redis log rides out a Redis restart: calls and followers reconnect on their own."""

    async def test_next_call_reconnects(self, redis_server: RedisServer) -> None:
        log = open_log(redis_server.url)
        try:
            await log.append(VENUE, 0, [b"a"], "c1")
            redis_server.stop()
            redis_server.start()
            # The pooled connection is dead; the call must retry on a new one. The test
            # server keeps nothing, so the log is empty again.
            assert await log.head(VENUE) == 0
        finally:
            await log.close()

    async def test_follower_reconnects(self, redis_server: RedisServer) -> None:
        log = open_log(redis_server.url)
        try:
            async with following(log, VENUE, 0) as followed, asyncio.TaskGroup() as tasks:
                waiting = tasks.create_task(take(followed, 1))
                await asyncio.sleep(0.1)  # let the follower block in XREAD
                await asyncio.to_thread(redis_server.stop)
                await asyncio.to_thread(redis_server.start)
                await log.append(VENUE, 0, [b"a"], "c1")
                assert await waiting == [Record(1, "c1", b"a")]
        finally:
            await log.close()


class TestOperations:
    """What backup, restore and export need of a backend: list, load, drop, in use."""

    async def test_venues_lists_every_log_with_records(self, log: EventLog) -> None:
        assert await log.venues() == []
        await log.append(VENUE, 0, [b"a"], "c1")
        await log.append(f"{OTHER_VENUE}.accounts", 0, [b"b"], "c1")
        await log.epoch("mpp-empty")  # an epoch alone is no log
        assert await log.venues() == sorted([VENUE, f"{OTHER_VENUE}.accounts"])

    async def test_load_keeps_seq_ids_and_digests(self, storage: Storage) -> None:
        log, other = storage.open(), storage.open()
        loaded = [
            *records(1, "c1", b"a", b"b", digest="d1"),
            *records(3, "c2", b"\x00\xff", digest=""),
        ]
        await log.load(VENUE, loaded)
        assert await other.read(VENUE, 0) == loaded
        assert await other.head(VENUE) == 3
        # The ids are bound as if appended: a retry is a duplicate, a reuse refused.
        again = await other.append(VENUE, 3, [b"x"], "c1", "d1")
        assert again == Appended(1, 2, duplicate=True)
        with pytest.raises(CommandIdReused):
            await other.append(VENUE, 3, [b"x"], "c1", "another")
        assert (await other.append(VENUE, 3, [b"c"], "c3")).first_seq == 4

    async def test_load_must_follow_on(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a"], "c1")
        with pytest.raises(Conflict):
            await log.load(VENUE, records(3, "c2", b"b"))
        with pytest.raises(Conflict):
            await log.load(VENUE, records(1, "c2", b"b"))
        assert [r.data for r in await log.read(VENUE, 0)] == [b"a"]

    async def test_drop_forgets_records_ids_and_epoch(self, log: EventLog) -> None:
        await log.append(VENUE, 0, [b"a"], "c1", "d1")
        await log.append(OTHER_VENUE, 0, [b"b"], "c1")
        epoch = await log.epoch(VENUE)
        await log.drop(VENUE)
        assert await log.head(VENUE) == 0 and await log.read(VENUE, 0) == []
        assert await log.epoch(VENUE) != epoch
        assert (await log.append(VENUE, 0, [b"z"], "c1", "other")).first_seq == 1
        assert await log.head(OTHER_VENUE) == 1

    async def test_in_use_while_another_follows(self, storage: Storage) -> None:
        tool = storage.open()
        assert not await tool.in_use()
        server = storage.open()
        await server.append(VENUE, 0, [b"a"], "c1")
        async with following(server, VENUE, 0) as followed:
            await take(followed, 1)
            assert await tool.in_use()
            await server.close()
        assert not await tool.in_use()
