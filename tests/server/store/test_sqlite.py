"""What only the SQLite log must do: open database files written by older versions, and say
plainly when the file stays locked or cannot be opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from server.store import Appended, CommandIdReused, StoreUnavailable
from server.store.sqlite import SqliteLog

VENUE = "mpp-surabaya"

# The schema before command ids were bound to a digest of their command.
_BEFORE_DIGESTS = """
CREATE TABLE events (
    venue TEXT NOT NULL, seq INTEGER NOT NULL, command_id TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (venue, seq)
) WITHOUT ROWID;
CREATE TABLE commands (
    venue TEXT NOT NULL, command_id TEXT NOT NULL,
    first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    PRIMARY KEY (venue, command_id)
) WITHOUT ROWID;
CREATE TABLE meta (venue TEXT NOT NULL PRIMARY KEY, epoch TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO events VALUES ('mpp-surabaya', 1, 'old', x'61');
INSERT INTO commands VALUES ('mpp-surabaya', 'old', 1, 1);
"""


@pytest.fixture
async def upgraded(tmp_path: Path) -> SqliteLog:
    path = tmp_path / "log.db"
    with sqlite3.connect(path) as db:
        db.executescript(_BEFORE_DIGESTS)
    db.close()
    return SqliteLog(str(path))


class TestOlderFiles:
    """A file from before digests opens, keeps its log, and binds the commands added since."""

    async def test_the_old_log_reads_with_unknown_digests(self, upgraded: SqliteLog) -> None:
        try:
            [record] = await upgraded.read(VENUE, 0)
            assert (record.seq, record.command_id, record.data, record.digest) == (
                1,
                "old",
                b"a",
                "",
            )
        finally:
            await upgraded.close()

    async def test_an_old_command_is_answered_as_a_retry(self, upgraded: SqliteLog) -> None:
        try:
            again = await upgraded.append(VENUE, 1, [b"a"], "old", digest="d1")
            assert again == Appended(1, 1, duplicate=True)
        finally:
            await upgraded.close()

    async def test_new_commands_are_bound(self, upgraded: SqliteLog) -> None:
        try:
            assert await upgraded.append(VENUE, 1, [b"b"], "new", digest="d1") == Appended(2, 2)
            with pytest.raises(CommandIdReused):
                await upgraded.append(VENUE, 2, [b"x"], "new", digest="d2")
        finally:
            await upgraded.close()


class TestUnavailable:
    """A file locked beyond the busy timeout, or one that cannot be opened, is unavailable."""

    async def test_a_lock_held_past_the_busy_timeout(self, tmp_path: Path) -> None:
        path = tmp_path / "log.db"
        log = SqliteLog(str(path), busy_timeout=0.1)
        try:
            assert await log.append(VENUE, 0, [b"a"], "c1") == Appended(1, 1)
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN EXCLUSIVE")
            try:
                with pytest.raises(StoreUnavailable) as caught:
                    await log.append(VENUE, 1, [b"b"], "c2")
                assert caught.value.backend == "sqlite"
                assert "locked" in caught.value.reason
            finally:
                other.execute("ROLLBACK")
                other.close()
            # Nothing of the refused append was written; the resend lands once.
            assert await log.append(VENUE, 1, [b"b"], "c2") == Appended(2, 2)
        finally:
            await log.close()

    async def test_a_file_that_cannot_be_opened(self, tmp_path: Path) -> None:
        # A folder where the database file should be: SQLite cannot open it.
        (tmp_path / "log.db").mkdir()
        log = SqliteLog(str(tmp_path / "log.db"))
        try:
            with pytest.raises(StoreUnavailable):
                await log.head(VENUE)
        finally:
            await log.close()
