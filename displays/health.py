"""Display health: which display of a zone speaks, and what became of its announcements.

Implements `server.presence.Presence` for the socket and `ZoneWatch` for the dashboard.
"""

from __future__ import annotations

import logging

import msgspec

from server.domain.venue import Venue
from server.hub import Subscriber
from server.presence import AudioStatus

log = logging.getLogger(__name__)
SPEAKER = msgspec.json.encode({"type": "role", "speaker": True})
LISTENER = msgspec.json.encode({"type": "role", "speaker": False})


class Speakers:
    """Exactly one connected display speaks per zone: the zone's configured speaker when it
    is connected, else the display connected longest. A join or a leave tells only the
    displays whose role it changes, so a hall of screens connecting costs O(N), not O(N²)."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self._zones: dict[str, list[Subscriber]] = {}
        self.status: dict[str, AudioStatus] = {}

    def join(self, zone: str, subscriber: Subscriber, device_name: str) -> None:
        present = self._zones.setdefault(zone, [])
        before = present[0] if present else None
        preferred = device_name == self.venue.zones[zone].speaker
        present.insert(0 if preferred else len(present), subscriber)
        subscriber.offer(SPEAKER if present[0] is subscriber else LISTENER)
        if before is not None and present[0] is not before:
            before.offer(LISTENER)

    def leave(self, zone: str, subscriber: Subscriber) -> None:
        present = self._zones.get(zone, [])
        was_speaking = bool(present) and present[0] is subscriber
        if subscriber in present:
            present.remove(subscriber)
        if was_speaking and present:
            present[0].offer(SPEAKER)

    def speaker(self, zone: str) -> Subscriber | None:
        present = self._zones.get(zone)
        return present[0] if present else None

    def connected(self, zone: str) -> int:
        """How many displays of `zone` are connected now."""
        return len(self._zones.get(zone, ()))

    def report(self, status: AudioStatus) -> None:
        self.status[status.zone] = status
        if status.status != "played":
            log.warning(
                "zone %s: announcement %s %s on %s",
                status.zone,
                status.call,
                status.status,
                status.device,
            )
