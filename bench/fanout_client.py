"""One client process of `bench.fanout`: many raw websocket screens on one asyncio loop.

    python -m bench.fanout_client      (driven by bench.fanout over stdin/stdout)

Each screen is a plain non-blocking socket with SO_TIMESTAMPNS set, read in an event-loop
reader callback with `recvmsg`, so every read carries the kernel's receive time
(CLOCK_REALTIME, as `time.time_ns()`): the time the bytes reached this host's socket, not
when this busy process got round to them. Server frames are unmasked; only data, ping and
close frames matter. A frame's call is `data.calls[0].id`; its first receipt per screen
is kept.

Control protocol, one JSON object per line. In: `{"op": "connect", "port", "path",
"count"}`, `{"op": "reset"}`, `{"op": "report", "file"}`, `{"op": "disconnect"}`,
`{"op": "quit"}`. Out: one answer per op, plus `{"op": "complete", "seq"}` as soon as every
open screen of this process has the call published at `seq`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import resource
import socket
import struct
import sys
import time
from typing import Any

import msgspec
import numpy as np

# Linux values (x86_64, arm64); Python's socket module does not name them.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
_TIMESPEC = struct.Struct("qq")
ANCILLARY_SIZE = socket.CMSG_SPACE(_TIMESPEC.size)
READ_SIZE = 256 * 1024
HANDSHAKE_TIMEOUT = 30.0
FIRST_FRAME_TIMEOUT = 60.0
PARALLEL_HANDSHAKES = 64
BUDGET_SPENT = "the connect time budget was spent"
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class _Call(msgspec.Struct):
    id: str


class _View(msgspec.Struct):
    calls: list[_Call] = []


class _Envelope(msgspec.Struct):
    seq: int = 0
    data: _View | None = None


_decode = msgspec.json.Decoder(_Envelope).decode


def raise_fd_limit() -> int:
    """Raise the open-files limit as far as allowed; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        return soft
    return hard


def kernel_ns(ancillary: list[tuple[int, int, bytes]]) -> int:
    """The SCM_TIMESTAMPNS receive time of a read, or 0 when the kernel gave none."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
            seconds, nanoseconds = _TIMESPEC.unpack_from(data)
            return int(seconds) * 1_000_000_000 + int(nanoseconds)
    return 0


def client_frame(opcode: int, payload: bytes = b"") -> bytes:
    """A masked client frame (control frames only: payload under 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked


def upgrade_request(host: str, port: int, path: str, headers: str = "") -> bytes:
    """The HTTP upgrade request; `headers` are extra CRLF-terminated header lines."""
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n{headers}"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


class Receipts:
    """What this process's screens received: the first receipt of each call, per screen."""

    def __init__(self, notify: Any) -> None:
        self.frames = 0
        self.stamped = self.unstamped = 0  # reads with / without a kernel receive time
        self.columns: dict[str, int] = {}  # call id -> column, in the order first seen
        self.seqs: list[int] = []
        self.counts: list[int] = []
        self._notify = notify
        self._known: dict[bytes, int] = {}  # frame bytes -> column (-1: not a call frame)
        self._complete: set[int] = set()

    def column(self, payload: bytes) -> int:
        """The call column of a frame; every screen gets the same bytes, so decode once."""
        column = self._known.get(payload)
        if column is None:
            column = self._known[payload] = self._learn(payload)
        return column

    def _learn(self, payload: bytes) -> int:
        message = _decode(payload)
        if message.data is None or not message.data.calls:
            return -1
        call = message.data.calls[0].id
        if call not in self.columns:
            self.columns[call] = len(self.seqs)
            self.seqs.append(message.seq)
            self.counts.append(0)
        return self.columns[call]

    def received(self, column: int, screens: int) -> None:
        self.counts[column] += 1
        # >= and once: screens that closed meanwhile no longer count.
        if self.counts[column] >= screens and column not in self._complete:
            self._complete.add(column)
            self._notify({"op": "complete", "seq": self.seqs[column]})


class Screen:
    """One raw websocket subscriber; a state machine: connecting, open, closed."""

    __slots__ = ("_buffer", "_fragments", "_owner", "got", "ready", "sock", "state")

    def __init__(self, owner: Fleet) -> None:
        self._owner = owner
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.state = "connecting"
        self.got: dict[int, int] = {}  # call column -> kernel receive time (ns)
        self.ready = asyncio.get_running_loop().create_future()
        self._buffer = bytearray()
        self._fragments: list[bytes] = []

    async def open(self, host: str, port: int, path: str, headers: str = "") -> None:
        loop = asyncio.get_running_loop()
        await loop.sock_connect(self.sock, (host, port))
        await loop.sock_sendall(self.sock, upgrade_request(host, port, path, headers))
        head = bytearray()
        while b"\r\n\r\n" not in head:
            chunk = await loop.sock_recv(self.sock, 4096)
            if not chunk:
                raise ConnectionError("closed during the upgrade")
            head += chunk
        status, _, rest = bytes(head).partition(b"\r\n\r\n")
        if not status.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(status.split(b"\r\n", 1)[0].decode(errors="replace"))
        self.state = "open"
        loop.add_reader(self.sock.fileno(), self._readable)
        self._feed(rest, time.time_ns())

    def close(self) -> None:
        if self.state == "open":
            asyncio.get_running_loop().remove_reader(self.sock.fileno())
        if self.state != "closed":
            self.state = "closed"
            self._owner.lost(self)
        self.sock.close()

    def _readable(self) -> None:
        try:
            data, ancillary, _, _ = self.sock.recvmsg(READ_SIZE, ANCILLARY_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        if not data:
            self.close()
            return
        ns = kernel_ns(ancillary)
        if ns:
            self._owner.receipts.stamped += 1
        else:
            self._owner.receipts.unstamped += 1
            ns = time.time_ns()
        self._feed(data, ns)

    def _feed(self, data: bytes, ns: int) -> None:
        buffer = self._buffer
        buffer += data
        at = 0
        while len(buffer) - at >= 2:
            length, head = buffer[at + 1] & 0x7F, 2
            if length == 126:
                length, head = int.from_bytes(buffer[at + 2 : at + 4]), 4
            elif length == 127:
                length, head = int.from_bytes(buffer[at + 2 : at + 10]), 10
            end = at + head + length
            if len(buffer) < end:
                break
            self._frame(buffer[at], bytes(buffer[at + head : end]), ns)
            at = end
        del buffer[:at]

    def _frame(self, first: int, payload: bytes, ns: int) -> None:
        opcode, final = first & 0x0F, first & 0x80
        if opcode in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
            self._fragments.append(payload)
            if final:
                message, self._fragments = b"".join(self._fragments), []
                self._message(message, ns)
        elif opcode == OP_PING:
            self._send_quietly(client_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self._send_quietly(client_frame(OP_CLOSE, payload[:2]))
            self.close()

    def _message(self, payload: bytes, ns: int) -> None:
        if not self.ready.done():
            self.ready.set_result(None)
        if payload == b"{}":  # the hub's heartbeat
            return
        self._owner.receipts.frames += 1
        column = self._owner.receipts.column(payload)
        if column >= 0 and column not in self.got:
            self.got[column] = ns
            self._owner.receipts.received(column, self._owner.open_screens)

    def _send_quietly(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            self.sock.send(data)


class Fleet:
    """This process's screens and their receipts."""

    def __init__(self, notify: Any) -> None:
        self.notify = notify
        self.screens: list[Screen] = []
        self.receipts = Receipts(notify)
        self.open_screens = 0
        self.closed_screens = 0

    async def connect(
        self, port: int, path: str, count: int, seconds: float, headers: str = ""
    ) -> dict[str, Any]:
        """Open `count` screens, starting no handshake after `seconds`."""
        gate = asyncio.Semaphore(PARALLEL_HANDSHAKES)
        errors: list[str] = []
        deadline = asyncio.get_running_loop().time() + seconds
        target = (port, path, headers)
        await asyncio.gather(
            *(self._connect_one(gate, target, deadline, errors) for _ in range(count))
        )
        waiting = [s.ready for s in self.screens if s.state == "open"]
        if waiting:
            await asyncio.wait(waiting, timeout=FIRST_FRAME_TIMEOUT)
        ready = sum(1 for s in self.screens if s.ready.done())
        return {
            "open": self.open_screens,
            "ready": ready,
            "failed": len(errors),
            "errors": errors[:3],
        }

    async def _connect_one(
        self,
        gate: asyncio.Semaphore,
        target: tuple[int, str, str],
        deadline: float,
        errors: list[str],
    ) -> None:
        async with gate:
            if asyncio.get_running_loop().time() > deadline:
                if BUDGET_SPENT not in errors:
                    errors.append(BUDGET_SPENT)
                return
            screen = Screen(self)
            try:
                async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                    await screen.open("127.0.0.1", *target)
            except (OSError, TimeoutError) as error:
                screen.sock.close()
                errors.append(f"{type(error).__name__}: {error or 'handshake timed out'}")
                return
            self.screens.append(screen)
            self.open_screens += 1

    def lost(self, screen: Screen) -> None:
        self.open_screens -= 1
        self.closed_screens += 1

    def reset(self) -> dict[str, Any]:
        self.receipts = Receipts(self.notify)
        self.closed_screens = 0
        for screen in self.screens:
            screen.got = {}
        return {}

    def report(self, file: str) -> dict[str, Any]:
        """Write receipts as a matrix (screen x call column, 0 = never) plus each column's seq."""
        columns = len(self.receipts.seqs)
        matrix = np.zeros((len(self.screens), columns), dtype=np.int64)
        for row, screen in enumerate(self.screens):
            for column, ns in screen.got.items():
                matrix[row, column] = ns
        np.savez(file, receipts=matrix, seqs=np.array(self.receipts.seqs, dtype=np.int64))
        receipts = self.receipts
        return {
            "frames": receipts.frames,
            "stamped": receipts.stamped,
            "unstamped": receipts.unstamped,
            "closed": self.closed_screens,
        }

    def disconnect(self) -> dict[str, Any]:
        for screen in self.screens:
            screen.close()
        self.screens, self.open_screens, self.closed_screens = [], 0, 0
        return {}


async def serve() -> None:
    """Answer the orchestrator's ops from stdin until `quit` or end of input."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def say(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    fleet = Fleet(say)
    say({"op": "hello", "fd_limit": raise_fd_limit()})
    while line := await reader.readline():
        request = json.loads(line)
        op = request["op"]
        if op == "quit":
            break
        say({"op": op, **await _dispatch(fleet, request)})
    fleet.disconnect()


async def _dispatch(fleet: Fleet, request: dict[str, Any]) -> dict[str, Any]:
    op = request["op"]
    if op == "connect":
        fields = ("port", "path", "count", "seconds", "headers")
        return await fleet.connect(*(request[f] for f in fields))
    if op == "reset":
        return fleet.reset()
    if op == "report":
        return fleet.report(request["file"])
    if op == "disconnect":
        return fleet.disconnect()
    raise ValueError(f"unknown op {op!r}; expected connect, reset, report, disconnect or quit")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
