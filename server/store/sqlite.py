"""The event log in one SQLite file: the embedded default, with no other service to start.

WAL mode lets readers run beside the one writer; `synchronous=FULL` makes an acknowledged
append survive a power cut; `BEGIN IMMEDIATE` takes the write lock *before* the head is read,
so the check-then-insert of an append is atomic even between OS processes sharing the file.
sqlite3 blocks, so every call runs in a worker thread (`asyncio.to_thread`).

A file that stays locked beyond the busy timeout, that cannot be opened or written, or a disk
that fails or fills raises `StoreUnavailable` (the app answers 503); SQLite rolls the
transaction back, so nothing of that append was written.

Every `SqliteLog` holds a shared `flock` on `<file>-lock` while open (a file of its own:
closing a second descriptor of the database file would drop SQLite's own POSIX locks), so
`in_use` can tell whether anyone else has the log open: a restore refuses then. `backup`
copies the whole file with SQLite's online backup API: one consistent snapshot, taken
while servers keep appending.

A command's digest lives in its `commands` row; records read it by joining that table on
the command id. Files made before digests existed get the column on first open (`ALTER
TABLE`, under the write lock so two processes opening the file do not both add it); their
old commands keep "" and so stay unbound.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from server.store import (
    Appended,
    CommandIdReused,
    Conflict,
    Record,
    StoreUnavailable,
    commands_of,
    same_command,
)

T = TypeVar("T")

# Seconds a connection waits for another process's write lock before giving up.
_BUSY_TIMEOUT = 10.0
# How often `follow` looks for appends made by other processes, which cannot notify us.
_POLL_INTERVAL = 0.2
_FOLLOW_BATCH = 1_000
# SQLite's primary result codes that mean "cannot be reached now", not "wrong request":
# another process holds the lock, the file cannot be opened or written, the disk fails.
_UNREACHABLE = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_READONLY,
}

# WITHOUT ROWID: every lookup is by primary key, so the table *is* the index.
_SCHEMA = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS events (
    venue TEXT NOT NULL,
    seq INTEGER NOT NULL,
    command_id TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (venue, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commands (
    venue TEXT NOT NULL,
    command_id TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    digest TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (venue, command_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    venue TEXT NOT NULL PRIMARY KEY,
    epoch TEXT NOT NULL
) WITHOUT ROWID;
COMMIT;
"""


class SqliteLog:
    """Every venue's log in the SQLite file at `path` (parent folders are created)."""

    backend = "sqlite"

    def __init__(self, path: str, busy_timeout: float = _BUSY_TIMEOUT) -> None:
        # Two connections, so reads (and every follower's poll) never queue behind an
        # append that is waiting for another process to release the write lock.
        self._writer = _Connection(Path(path), busy_timeout)
        self._reader = _Connection(Path(path), busy_timeout)
        self._appended: dict[str, asyncio.Event] = {}
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._holder = os.open(f"{path}-lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._holder, fcntl.LOCK_SH)

    async def epoch(self, venue: str) -> str:
        return await asyncio.to_thread(self._writer.run, lambda db: _epoch(db, venue))

    async def head(self, venue: str) -> int:
        return await asyncio.to_thread(self._reader.run, lambda db: _head(db, venue))

    async def append(
        self,
        venue: str,
        expected_seq: int,
        events: Sequence[bytes],
        command_id: str,
        digest: str = "",
    ) -> Appended:
        if not events:
            raise ValueError("append needs at least one event")
        rows = [bytes(event) for event in events]
        command = (command_id, digest)
        appended = await asyncio.to_thread(
            self._writer.run, lambda db: _append(db, venue, expected_seq, rows, command)
        )
        if not appended.duplicate:
            self._wake(venue)
        return appended

    async def read(self, venue: str, after: int, limit: int = 10_000) -> list[Record]:
        return await asyncio.to_thread(self._reader.run, lambda db: _read(db, venue, after, limit))

    async def follow(self, venue: str, after: int) -> AsyncGenerator[Record, None]:
        """Yield every record after `after`, then each new one as it lands, forever."""
        while True:
            # Taken before reading, so an append that commits after the read still wakes us.
            appended = self._appended.setdefault(venue, asyncio.Event())
            records = await self.read(venue, after, _FOLLOW_BATCH)
            for record in records:
                after = record.seq
                yield record
            if len(records) < _FOLLOW_BATCH:
                await _appended_or_poll_due(appended)

    async def close(self) -> None:
        await asyncio.to_thread(self._writer.close)
        await asyncio.to_thread(self._reader.close)
        if self._holder >= 0:
            os.close(self._holder)  # releases the shared lock
            self._holder = -1

    async def venues(self) -> list[str]:
        rows = await asyncio.to_thread(self._reader.run, lambda db: db.execute(_VENUES).fetchall())
        return [venue for (venue,) in rows]

    async def load(self, venue: str, records: Sequence[Record]) -> None:
        if records:
            await asyncio.to_thread(self._writer.run, lambda db: _load(db, venue, records))
            self._wake(venue)

    async def drop(self, venue: str) -> None:
        await asyncio.to_thread(self._writer.run, lambda db: _drop(db, venue))

    async def in_use(self) -> bool:
        try:
            # Ours is shared: it becomes exclusive only when no one else holds one.
            fcntl.flock(self._holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._holder, fcntl.LOCK_SH)
        return False

    async def backup(self, path: Path) -> None:
        """Copy every venue's log into a new SQLite file at `path`, consistent as of one
        moment, while others go on appending (SQLite's online backup API)."""
        await asyncio.to_thread(self._reader.run, lambda db: _backup(db, path))

    def _wake(self, venue: str) -> None:
        # An Event per append round: set the current one for its waiters, and hand the
        # next waiters a fresh one, so no follower misses an append or spins on a stale set.
        appended = self._appended.pop(venue, None)
        if appended is not None:
            appended.set()


class _Connection:
    """One SQLite connection, opened on first use and used by one worker thread at a time."""

    def __init__(self, path: Path, busy_timeout: float) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._closed = False

    def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the event log at {self._path} is closed")
            try:
                if self._db is None:
                    self._db = _connect(self._path, self._busy_timeout)
                return work(self._db)
            except sqlite3.OperationalError as error:
                # Extended codes (SQLITE_IOERR_WRITE, ...) carry the primary in the low byte.
                if getattr(error, "sqlite_errorcode", 0) & 0xFF not in _UNREACHABLE:
                    raise
                raise StoreUnavailable("sqlite", str(error)) from error

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we open transactions ourselves (BEGIN IMMEDIATE); `timeout`
    # is SQLite's busy_timeout, how long to wait for another process's lock.
    db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    try:
        _use_wal(db, busy_timeout)
        db.execute("PRAGMA synchronous = FULL")
        db.executescript(_SCHEMA)
        _add_digests(db)
    except BaseException:
        db.close()
        raise
    return db


def _use_wal(db: sqlite3.Connection, busy_timeout: float) -> None:
    # Switching a fresh file to WAL needs an exclusive lock, and SQLite answers BUSY at once
    # (no busy_timeout wait) when another connection is opening the same file right now.
    # The mode is stored in the file, so only the first opens of a new file ever retry.
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            (mode,) = db.execute("PRAGMA journal_mode = WAL").fetchone()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
            continue
        if mode != "wal":
            raise RuntimeError(f"SQLite refused WAL mode (kept {mode!r}) for {db!r}")
        return


def _add_digests(db: sqlite3.Connection) -> None:
    # Checked again under the write lock: another process may have just added the column.
    with _transaction(db):
        columns = {row[1] for row in db.execute("PRAGMA table_info(commands)")}
        if "digest" not in columns:
            db.execute("ALTER TABLE commands ADD COLUMN digest TEXT NOT NULL DEFAULT ''")


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        # SQLite may already have rolled back by itself (disk full, I/O error).
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _epoch(db: sqlite3.Connection, venue: str) -> str:
    select = "SELECT epoch FROM meta WHERE venue = ?"
    row = db.execute(select, (venue,)).fetchone()
    if row is None:
        # OR IGNORE: another process may have created it since our SELECT; theirs wins.
        insert = "INSERT OR IGNORE INTO meta (venue, epoch) VALUES (?, ?)"
        db.execute(insert, (venue, secrets.token_hex(8)))
        row = db.execute(select, (venue,)).fetchone()
    return str(row[0])


def _head(db: sqlite3.Connection, venue: str) -> int:
    row = db.execute("SELECT MAX(seq) FROM events WHERE venue = ?", (venue,)).fetchone()
    return int(row[0] or 0)


def _append(
    db: sqlite3.Connection,
    venue: str,
    expected: int,
    events: list[bytes],
    command: tuple[str, str],
) -> Appended:
    command_id, digest = command
    with _transaction(db):
        done = db.execute(
            "SELECT first_seq, last_seq, digest FROM commands WHERE venue = ? AND command_id = ?",
            (venue, command_id),
        ).fetchone()
        # A retried command is answered before the head check: its first try may have
        # landed and moved the head, and the caller must learn it succeeded.
        if done is not None:
            if not same_command(done[2], digest):
                raise CommandIdReused(venue, command_id)
            return Appended(first_seq=done[0], last_seq=done[1], duplicate=True)
        head = _head(db, venue)
        if head != expected:
            raise Conflict(venue, expected, head)
        db.executemany(
            "INSERT INTO events (venue, seq, command_id, data) VALUES (?, ?, ?, ?)",
            [(venue, head + n, command_id, data) for n, data in enumerate(events, start=1)],
        )
        last = head + len(events)
        db.execute(
            "INSERT INTO commands (venue, command_id, first_seq, last_seq, digest)"
            " VALUES (?, ?, ?, ?, ?)",
            (venue, command_id, head + 1, last, digest),
        )
    return Appended(first_seq=head + 1, last_seq=last)


# Every event has its commands row (one transaction writes both), so the join drops nothing;
# LEFT JOIN all the same, so a damaged file still reads its events, unbound.
_READ = """
SELECT e.seq, e.command_id, e.data, COALESCE(c.digest, '')
FROM events AS e LEFT JOIN commands AS c ON c.venue = e.venue AND c.command_id = e.command_id
WHERE e.venue = ? AND e.seq > ? ORDER BY e.seq LIMIT ?
"""


def _read(db: sqlite3.Connection, venue: str, after: int, limit: int) -> list[Record]:
    rows = db.execute(_READ, (venue, after, limit))
    return [Record(seq, command_id, data, digest) for seq, command_id, data, digest in rows]


_VENUES = "SELECT DISTINCT venue FROM events ORDER BY venue"


def _load(db: sqlite3.Connection, venue: str, records: Sequence[Record]) -> None:
    with _transaction(db):
        head = _head(db, venue)
        if records[0].seq != head + 1:
            raise Conflict(venue, records[0].seq - 1, head)
        db.executemany(
            "INSERT INTO events (venue, seq, command_id, data) VALUES (?, ?, ?, ?)",
            [(venue, r.seq, r.command_id, r.data) for r in records],
        )
        db.executemany(
            "INSERT INTO commands (venue, command_id, first_seq, last_seq, digest)"
            " VALUES (?, ?, ?, ?, ?)",
            [(venue, *command) for command in commands_of(records)],
        )


def _drop(db: sqlite3.Connection, venue: str) -> None:
    with _transaction(db):
        for table in ("events", "commands", "meta"):
            db.execute(f"DELETE FROM {table} WHERE venue = ?", (venue,))


def _backup(db: sqlite3.Connection, path: Path) -> None:
    target = sqlite3.connect(path, isolation_level=None)
    try:
        # One step (pages=-1): the copy is the source as of one read transaction.
        db.backup(target)
    finally:
        target.close()
    seal(path)


def seal(path: Path) -> None:
    """Make the SQLite file at `path` one self-contained file (no -wal or -shm beside it,
    readable from a read-only place), as a backup file is kept."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = DELETE")
    finally:
        db.close()


async def _appended_or_poll_due(appended: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(_POLL_INTERVAL):
            await appended.wait()
