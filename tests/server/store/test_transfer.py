"""Backup, restore and export between SQLite and a real redis-server: every record kept
byte for byte, a new epoch, and refusals that change nothing."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from server.store import EventLog, Record, open_log
from server.store.transfer import BATCH, Refused, backup, check_backup, export, restore

VENUES = ("mpp-malang", "mpp-malang.accounts")


@pytest.fixture
async def redis_log(redis_url: str) -> AsyncIterator[EventLog]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    await client.aclose()
    log = open_log(redis_url)
    yield log
    await log.close()


@pytest.fixture
async def sqlite_log(tmp_path: Path) -> AsyncIterator[EventLog]:
    log = open_log(f"sqlite://{tmp_path / 'a' / 'antrean.db'}")
    yield log
    await log.close()


async def fill(log: EventLog, commands: int, seed: int = 1) -> dict[str, list[Record]]:
    """Commands of 1 to 3 events of arbitrary bytes, bound and unbound, in two venue logs;
    long enough to cross the export's batches."""
    rng = random.Random(seed)
    for venue in VENUES:
        for n in range(commands):
            events = [rng.randbytes(rng.randint(0, 40)) for _ in range(rng.randint(1, 3))]
            digest = f"{rng.getrandbits(64):016x}" if n % 3 else ""
            await log.append(venue, await log.head(venue), events, f"cmd-{n}", digest)
    return {venue: await log.read(venue, 0, 10**6) for venue in VENUES}


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


async def everything(log: EventLog) -> dict[str, list[Record]]:
    return {venue: await log.read(venue, 0, 10**6) for venue in await log.venues()}


class TestRoundTrips:
    """SQLite -> Redis -> SQLite gives the same records, byte for byte."""

    async def test_sqlite_redis_sqlite(
        self, sqlite_log: EventLog, redis_log: EventLog, tmp_path: Path
    ) -> None:
        written = await fill(sqlite_log, BATCH // 2 + 7)
        assert sum(len(r) for r in written.values()) > BATCH
        epoch = await sqlite_log.epoch(VENUES[0])
        counts = await export(sqlite_log, redis_log)
        assert counts == {venue: len(records) for venue, records in written.items()}
        assert await everything(redis_log) == written
        back = open_log(f"sqlite://{tmp_path / 'b' / 'antrean.db'}")
        try:
            await export(redis_log, back)
            assert await everything(back) == written
            assert await back.epoch(VENUES[0]) != epoch  # a moved log is a new one
        finally:
            await back.close()

    async def test_a_backup_restores_the_same_records(
        self, any_log: EventLog, tmp_path: Path
    ) -> None:
        log = any_log
        written = await fill(log, 50)
        file = tmp_path / "backup.db"
        assert await backup(log, file) == {v: len(r) for v, r in written.items()}
        assert check_backup(file) == {v: len(r) for v, r in written.items()}
        assert files_in(tmp_path) == ["backup.db"]
        kept = file.read_bytes()
        file.chmod(0o444)  # a backup on read-only media
        url = f"sqlite://{tmp_path / 'restored' / 'antrean.db'}"
        assert await restore(file, url) == {v: len(r) for v, r in written.items()}
        restored = open_log(url)
        try:
            assert await everything(restored) == written
        finally:
            await restored.close()
        assert file.read_bytes() == kept
        assert files_in(tmp_path) == ["backup.db"]

    async def test_a_command_longer_than_a_batch_stays_whole(
        self, sqlite_log: EventLog, redis_log: EventLog
    ) -> None:
        await sqlite_log.append("v", 0, [b"e"] * (BATCH + 10), "big", "d")
        await sqlite_log.append("v", BATCH + 10, [b"f"], "small")
        await export(sqlite_log, redis_log)
        assert await everything(redis_log) == await everything(sqlite_log)


class TestRefusals:
    """A refused export writes nothing, and says why."""

    async def test_a_target_holding_the_venue_is_refused(
        self, sqlite_log: EventLog, redis_log: EventLog
    ) -> None:
        await fill(sqlite_log, 5)
        await redis_log.append(VENUES[1], 0, [b"theirs"], "c")
        before = await everything(redis_log)
        with pytest.raises(Refused, match=r"already holds the log of mpp-malang.accounts.*--force"):
            await export(sqlite_log, redis_log)
        assert await everything(redis_log) == before

    async def test_force_replaces_it(self, sqlite_log: EventLog, redis_log: EventLog) -> None:
        written = await fill(sqlite_log, 5)
        await redis_log.append(VENUES[1], 0, [b"theirs"] * 9, "c")
        await export(sqlite_log, redis_log, force=True)
        assert await everything(redis_log) == written

    async def test_a_target_a_server_follows_is_refused_even_with_force(
        self, sqlite_log: EventLog, redis_log: EventLog, redis_url: str
    ) -> None:
        await fill(sqlite_log, 3)
        server = open_log(redis_url)
        followed = server.follow(VENUES[0], 0)
        try:
            follow = followed.__anext__()
            await redis_log.append(VENUES[0], 0, [b"x"], "c")
            await follow
            with pytest.raises(Refused, match="a server is using the target log"):
                await export(sqlite_log, redis_log, force=True)
        finally:
            await followed.aclose()  # type: ignore[attr-defined]
            await server.close()
        assert [r.data for r in await redis_log.read(VENUES[0], 0)] == [b"x"]

    async def test_backup_never_overwrites(self, sqlite_log: EventLog, tmp_path: Path) -> None:
        file = tmp_path / "taken.db"
        file.write_bytes(b"something else")
        with pytest.raises(Refused, match="already exists"):
            await backup(sqlite_log, file)
        assert file.read_bytes() == b"something else"


class TestBadBackups:
    """A file that is not a whole backup is refused before anything is written."""

    async def test_garbage_truncated_and_foreign_files(
        self, sqlite_log: EventLog, tmp_path: Path
    ) -> None:
        await fill(sqlite_log, 400)
        good = tmp_path / "good.db"
        await backup(sqlite_log, good)
        whole = good.read_bytes()
        (tmp_path / "garbage.db").write_bytes(b"\x00garbage" * 1000)
        (tmp_path / "truncated.db").write_bytes(whole[: len(whole) // 2])
        (tmp_path / "empty.db").write_bytes(b"")
        foreign = sqlite3.connect(tmp_path / "foreign.db")
        foreign.execute("CREATE TABLE notes (text TEXT)")
        foreign.close()
        expected = {
            "garbage.db": "not an antrean backup, or it is damaged",
            "truncated.db": "damaged",
            "empty.db": "not an antrean backup: it has no events table",
            "foreign.db": "not an antrean backup: it has no events table",
            "missing.db": "does not exist",
        }
        for name, reason in expected.items():
            with pytest.raises(Refused, match=reason):
                check_backup(tmp_path / name)

    async def test_a_log_with_a_hole_is_refused(self, sqlite_log: EventLog, tmp_path: Path) -> None:
        await fill(sqlite_log, 5)
        file = tmp_path / "holed.db"
        await backup(sqlite_log, file)
        db = sqlite3.connect(file)
        db.execute("DELETE FROM events WHERE seq = 3")
        db.commit()
        db.close()
        with pytest.raises(Refused, match="has holes"):
            check_backup(file)
