"""Moving whole logs: `antrean backup`, `restore` and `export`, on any backend.

A backup is a SQLite file with the log's own schema: the SQLite log copied by SQLite's
online backup API, a Redis log exported into such a file. So restore is one path, an
export from the backup file into the target log, and every export keeps what makes the
log the log: each record's seq, command id, digest and bytes, so a restored log folds to
the same state and answers a retried command id as the old one did.

The epoch is not kept: a restored or exported log begins a new one. A screen that
followed the old log sends its last (epoch, seq); with the epoch changed the hub gives it
a fresh snapshot instead of replaying by seq positions that may now mean other events.

Refusals come before any write, for every venue at once, so a refused export changes
nothing: a target log that is not empty (unless `force`), and a target that a server is
using now (always; a server holds its state in memory and would not see the log change
under it; stop the servers, restore, start them).
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
from pathlib import Path

from server.store import EventLog, Record, open_log
from server.store.sqlite import SqliteLog

# Records read and written per round: whole commands, so a command's records land together.
BATCH = 5_000
_TABLES = {
    "events": {"venue", "seq", "command_id", "data"},
    "commands": {"venue", "command_id", "first_seq", "last_seq", "digest"},
    "meta": {"venue", "epoch"},
}


class Refused(Exception):
    """Nothing was written, and the message says why, in words."""


async def export(source: EventLog, target: EventLog, *, force: bool = False) -> dict[str, int]:
    """Copy every venue log of `source` into `target`; the records written per venue."""
    if await target.in_use():
        raise Refused(
            "a server is using the target log now: stop every antrean server on it first"
            " (a running server keeps its state in memory and would not see the change)"
        )
    venues = await source.venues()
    taken = [venue for venue in venues if await target.head(venue)]
    if taken and not force:
        raise Refused(
            f"the target already holds the log of {', '.join(taken)}:"
            " nothing was written; add --force to replace it"
        )
    return {venue: await _copy(source, target, venue) for venue in venues}


async def _copy(source: EventLog, target: EventLog, venue: str) -> int:
    await target.drop(venue)
    after, held, written = 0, list[Record](), 0
    while records := await source.read(venue, after, BATCH):
        after = records[-1].seq
        records = held + records
        # Hold back the last command: its other records may be in the next batch.
        last = records[-1].command_id
        ends = (i for i in range(len(records), 0, -1) if records[i - 1].command_id != last)
        cut = next(ends, 0)
        held, ready = records[cut:], records[:cut]
        await target.load(venue, ready)
        written += len(ready)
    await target.load(venue, held)
    return written + len(held)


async def backup(source: EventLog, path: Path) -> dict[str, int]:
    """Write every venue log of `source` into a new backup file; the records per venue."""
    if await asyncio.to_thread(path.exists):
        raise Refused(f"{path} already exists: name a new file (a backup never overwrites)")
    await source.backup(path)
    return await asyncio.to_thread(check_backup, path)


async def restore(path: Path, url: str, *, force: bool = False) -> dict[str, int]:
    """Load every venue log of the backup file at `path` into the log at `url`, which is
    not even opened when the file is refused. The file is read from a copy, so a backup
    on read-only media restores, and is never changed."""
    await asyncio.to_thread(check_backup, path)
    with tempfile.TemporaryDirectory(prefix="antrean-restore-") as folder:
        copy = Path(folder) / "backup.db"
        await asyncio.to_thread(shutil.copyfile, path, copy)
        source, target = SqliteLog(str(copy)), open_log(url)
        try:
            return await export(source, target, force=force)
        finally:
            await source.close()
            await target.close()


def check_backup(path: Path) -> dict[str, int]:
    """The records per venue of a backup file; refused when it is not a whole antrean
    backup: not there, not SQLite, damaged, without the log's tables, or with holes."""
    if not path.is_file():
        raise Refused(f"{path} does not exist")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise Refused(f"{path} cannot be opened: {error}") from None
    try:
        return _check(db, path)
    except sqlite3.DatabaseError as error:
        raise Refused(f"{path} is not an antrean backup, or it is damaged: {error}") from None
    finally:
        db.close()


def _check(db: sqlite3.Connection, path: Path) -> dict[str, int]:
    (verdict,) = db.execute("PRAGMA quick_check").fetchone()
    if verdict != "ok":
        raise Refused(f"{path} is damaged (SQLite's check says: {verdict})")
    for table, columns in _TABLES.items():
        found = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if not columns <= found:
            raise Refused(f"{path} is not an antrean backup: it has no {table} table")
    counts = "SELECT venue, COUNT(*), MIN(seq), MAX(seq) FROM events GROUP BY venue"
    held: dict[str, int] = {}
    for venue, count, first, last in db.execute(counts):
        if first != 1 or last != count:
            raise Refused(f"{path}: the log of {venue} has holes ({count} records, 1..{last})")
        held[venue] = count
    return held
