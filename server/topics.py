"""Topic sources: each room keeps its own hub topics and says who may watch them.

The socket (`server/web/socket.py`) knows no room: it asks each source in turn whether it knows
a topic, whether this viewer may watch it, and for a snapshot when a client needs one.
The displays' room owns `zone:`, the counters' `counter:`, the visitors' `visit:` and the
managers' `manager:`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import msgspec

from server.accounts import Device, User


class Viewer(msgspec.Struct, frozen=True):
    """Who is asking: a signed-in user, a paired device, both or neither (a visitor)."""

    user: User | None = None
    device: Device | None = None

    @property
    def managing(self) -> bool:
        return self.user is not None and self.user.role in ("manager", "admin")


class TopicSource(Protocol):
    def knows(self, topic: str) -> bool:
        """Whether this source publishes `topic`."""
        ...

    def may_watch(self, topic: str, viewer: Viewer) -> bool:
        """Whether `viewer` may subscribe to `topic` (one this source knows)."""
        ...

    def snapshot(self, topic: str) -> tuple[int, msgspec.Struct]:
        """The topic's current view and the log seq it reflects."""
        ...


def source_of(sources: Iterable[TopicSource], topic: str) -> TopicSource | None:
    return next((s for s in sources if s.knows(topic)), None)
