"""Visitors' live views: one `visit:<token>` topic per visit (the phone ticket page)."""

from __future__ import annotations

import msgspec

from server.domain import events as ev
from server.domain.state import State
from server.domain.venue import Venue
from server.hub import Hub
from server.topics import Viewer


class VisitProjection:
    """Publishes each visit's view to `visit:<token>`. (Being built.)"""

    def __init__(self, venue: Venue, state: State, hub: Hub) -> None:
        self.venue, self.state, self.hub = venue, state, hub

    def knows(self, topic: str) -> bool:
        return False

    def may_watch(self, topic: str, viewer: Viewer) -> bool:
        return False

    def snapshot(self, topic: str) -> tuple[int, msgspec.Struct]:
        raise KeyError(topic)

    def on_event(self, seq: int, event: ev.Event, state: State) -> None:
        pass
