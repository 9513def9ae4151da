"""A service's line as every screen shows it: how many wait, how many of them priority."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from server.domain.state import State
from server.domain.venue import Venue


class LaneView(msgspec.Struct, frozen=True):
    id: str
    name: str
    prefix: str
    waiting: int
    priority_waiting: int


def lane_views(venue: Venue, state: State, services: Iterable[str]) -> list[LaneView]:
    waiting: dict[str, list[int]] = {s: [0, 0] for s in services}
    for ticket in state.waiting():
        if ticket.service in waiting:
            waiting[ticket.service][ticket.priority] += 1
    return [
        LaneView(
            id=s,
            name=venue.services[s].name,
            prefix=venue.services[s].prefix,
            waiting=regular + priority,
            priority_waiting=priority,
        )
        for s, (regular, priority) in waiting.items()
    ]
