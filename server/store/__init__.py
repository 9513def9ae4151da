"""The event log: one protocol, one backend per file beside it, chosen by URL scheme.

Each venue has its own log. Every event gets a position `seq` (1, 2, 3, ...); a command's
events are appended together, atomically, only when the caller's `expected_seq` is still
the head of the log (optimistic concurrency). A `command_id` makes an append idempotent:
appending the same command again writes nothing and returns the first append's positions.

An id is bound to its command by a `digest` (the service's hash of the caller and the
command; the log treats it as an opaque string). The log keeps the digest with the id, in
the same atomic step as the events (SQLite: the `commands` row; Redis: the command hash
and each stream entry), and every `Record` carries it, so a process that learns of a
command by following the log knows its binding too. Appending an id again with the same
digest is a retry (`duplicate=True`); with another digest it raises `CommandIdReused` and
writes nothing, so a forged or careless id can never pass for a command it is not. A digest
of "" binds nothing and matches any retry: logs that never see one (the accounts log) and
commands stored before digests existed.
Each log also has an `epoch`, an id that changes when the log is recreated, so screens can
tell a restored log from the one they followed.

For operations (`antrean backup`, `restore`, `export`: `server.store.transfer`) each
backend also lists its venue logs, loads whole commands' records at their own seq into an
empty log (ids and digests kept, so a moved log answers retries as the old one did),
drops a venue's log, and tells whether a server is using the store now.

When the log cannot be reached (Redis down or still loading, SQLite locked by another
process beyond its busy timeout, a disk that fails), every backend raises the one
`StoreUnavailable`; the app answers it with 503 in one place (`server.web.faults`). An append
that raised it may or may not have landed: resending it with the same command id is safe.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Protocol

import msgspec


class Record(msgspec.Struct, frozen=True):
    """One stored event: its position, the command that wrote it (its id and digest, ""
    when unbound), and its encoded bytes."""

    seq: int
    command_id: str
    data: bytes
    digest: str = ""


class Appended(msgspec.Struct, frozen=True):
    """Where a command's events landed. `duplicate` means they were already there."""

    first_seq: int
    last_seq: int
    duplicate: bool = False


class Conflict(Exception):
    """The log moved on since the caller read it: catch up and decide again."""

    def __init__(self, venue: str, expected: int, actual: int) -> None:
        super().__init__(f"log of venue {venue!r} is at {actual}, expected {expected}")
        self.venue = venue
        self.expected = expected
        self.actual = actual


class CommandIdReused(Exception):
    """The command id is already bound to another command: refused, nothing written."""

    def __init__(self, venue: str, command_id: str) -> None:
        super().__init__(f"command id {command_id!r} of venue {venue!r} names another command")
        self.venue = venue
        self.command_id = command_id


class StoreUnavailable(Exception):
    """The log cannot be reached now (down, busy, failing disk): try again later.

    Raised from the backend's own error (kept as `__cause__`) by every backend alike, so
    nothing above the store needs to know which backend failed, or how.
    """

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(f"the {backend} event log cannot be reached: {reason}")
        self.backend = backend
        self.reason = reason


def same_command(stored: str, digest: str) -> bool:
    """Whether a stored binding admits this digest ("" on either side binds nothing)."""
    return not stored or not digest or stored == digest


def commands_of(records: Sequence[Record]) -> list[tuple[str, int, int, str]]:
    """(command id, first seq, last seq, digest) of each command in these records, in
    order: a command's records are consecutive, and carry one digest."""
    commands = []
    for command_id, run in itertools.groupby(records, key=lambda r: r.command_id):
        got = list(run)
        commands.append((command_id, got[0].seq, got[-1].seq, got[0].digest))
    return commands


class EventLog(Protocol):
    """What every backend provides. `backend` names it ("sqlite", "redis", ...)."""

    backend: str

    async def epoch(self, venue: str) -> str: ...

    async def head(self, venue: str) -> int: ...

    async def append(
        self,
        venue: str,
        expected_seq: int,
        events: Sequence[bytes],
        command_id: str,
        digest: str = "",
    ) -> Appended: ...

    async def read(self, venue: str, after: int, limit: int = 10_000) -> list[Record]: ...

    def follow(self, venue: str, after: int) -> AsyncIterator[Record]: ...

    async def close(self) -> None: ...

    # Operations: backup, restore and export (`server.store.transfer`).

    async def venues(self) -> list[str]:
        """Every venue log that holds at least one record, sorted."""
        ...

    async def load(self, venue: str, records: Sequence[Record]) -> None:
        """Write `records` (whole commands, in order, the first at head + 1) as they are:
        seq, command id, digest and bytes. Raises `Conflict` if they do not follow on."""
        ...

    async def drop(self, venue: str) -> None:
        """Forget the venue's log: records, command ids and epoch (the next is new)."""
        ...

    async def backup(self, path: Path) -> None:
        """Write every venue log into a new SQLite file at `path` with the SQLite log's
        schema (the one format of a backup), consistent as of one moment."""
        ...

    async def in_use(self) -> bool:
        """Whether a server is on this store now (SQLite: any other process or log has the
        file open; Redis: a server follows one of its logs)."""
        ...


def open_log(url: str) -> EventLog:
    """Open the log named by `url`: `sqlite:///path/to/file.db` or `redis://host:port/db`."""
    scheme = url.split(":", 1)[0]
    # Backends are imported lazily so an optional dependency stays optional.
    if scheme == "sqlite":
        from server.store.sqlite import SqliteLog

        return SqliteLog(url.removeprefix("sqlite://"))
    if scheme in ("redis", "rediss", "unix"):
        from server.store.redis import RedisLog

        return RedisLog(url)
    raise ValueError(f"unknown event log URL scheme {scheme!r} in {url!r}")
