"""Which displays are in the hall, and what became of their announcements.

The socket (`server/web/socket.py`) tells a `Presence` when a paired display joins or leaves a
zone's feed and what it reports of an announcement; the displays' room implements it
(`displays.health.Speakers`: one speaker per zone) and the managers' dashboard reads it as
`ZoneWatch` (is anybody there, did the last call sound). Both sides know only this module.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Protocol

import msgspec

from server.hub import Subscriber

AudioOutcome = Literal["played", "blocked", "failed"]


class AudioStatus(msgspec.Struct, frozen=True):
    """What a zone's display last said of an announcement it was to play."""

    zone: str
    device: str
    call: str
    status: str
    at: dt.datetime


class Presence(Protocol):
    def join(self, zone: str, subscriber: Subscriber, device_name: str) -> None:
        """A display of `zone` opened its feed."""
        ...

    def leave(self, zone: str, subscriber: Subscriber) -> None:
        """That display's feed closed."""
        ...

    def report(self, status: AudioStatus) -> None:
        """A display of the zone said what became of an announcement."""
        ...


class ZoneWatch(Protocol):
    """What the managers' room reads of the displays."""

    @property
    def status(self) -> dict[str, AudioStatus]:
        """Per zone, the last announcement report."""
        ...

    def connected(self, zone: str) -> int:
        """How many displays of `zone` are connected now."""
        ...

    def offline_since(self, zone: str, now: dt.datetime) -> dt.datetime | None:
        """Since when no display of `zone` is connected (None: one is); asked at `now`."""
        ...
