"""How every room publishes its views: once per batch of events, and only what changed.

A room's projection listens to the `VenueQueue`; one command's events arrive together, so
`OncePerBatch` runs the room's flush once, right after them (`call_soon`), however many
events the batch held. `ChangedViews` then hands the hub only the topics whose JSON differs
from what it last published, so screens see no update that changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import msgspec

from server.hub import Hub


class OncePerBatch:
    """Call `flush` once, soon after the first `note()` of a batch (on the running loop)."""

    def __init__(self, flush: Callable[[], None]) -> None:
        self._flush = flush
        self._scheduled = False

    def note(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._run)

    def _run(self) -> None:
        self._scheduled = False
        self._flush()


class ChangedViews:
    """Publishes a topic to the hub only when its encoded view changed."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._last: dict[str, bytes] = {}

    def publish(self, topic: str, seq: int, view: msgspec.Struct) -> None:
        self.publish_encoded(topic, seq, msgspec.json.encode(view))

    def publish_encoded(self, topic: str, seq: int, payload: bytes) -> None:
        if self._last.get(topic) != payload:
            self._last[topic] = payload
            self.hub.publish(topic, seq, msgspec.Raw(payload))

    def remember(self, topic: str, view: msgspec.Struct) -> None:
        """`view` was handed out another way (a snapshot): publish only what differs from it."""
        self._last[topic] = msgspec.json.encode(view)

    def forget(self, topic: str) -> None:
        self._last.pop(topic, None)

    def clear(self) -> None:
        self._last.clear()
