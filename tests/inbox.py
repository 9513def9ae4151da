"""An in-memory hub subscriber that behaves as a screen's connection does (for hub tests)."""

from __future__ import annotations

import msgspec

from server.hub import CLOSE_TOO_SLOW, PING, Envelope, Message


class Inbox:
    """Takes what it is offered, like `ScreenProtocol`: while it reads, at once; once it
    `stall`s, offers pile up unread until more than `limit` bytes would wait, and then it
    closes itself as too slow (a single message bigger than `limit` still goes to an inbox
    with nothing waiting)."""

    def __init__(self, limit: int = 256 * 1024, *, reading: bool = True) -> None:
        self.received: list[Message] = []
        self.closes: list[tuple[int, str]] = []
        self.close_code: int | None = None
        self._limit = limit
        self._reading = reading
        self._waiting = 0

    def stall(self) -> None:
        self._reading = False

    def offer(self, message: Message) -> bool:
        if self.close_code is not None:
            return False
        if self._reading:
            self.received.append(message)
            return True
        if self._waiting and self._waiting + len(message) > self._limit:
            self.drop(CLOSE_TOO_SLOW, "too slow")
            return False
        self._waiting += len(message)
        return True

    def room(self) -> int:
        return max(0, self._limit - self._waiting)

    def drop(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code = code
            self.closes.append((code, reason))

    @property
    def data(self) -> list[bytes]:
        """What arrived, as JSON (pings included)."""
        return [m.data for m in self.received]

    def envelopes(self) -> list[Envelope]:
        return [msgspec.json.decode(m.data, type=Envelope) for m in self.received if m is not PING]

    def seqs(self) -> list[int]:
        return [e.seq for e in self.envelopes()]
