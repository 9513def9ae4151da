"""`Services`: every long-lived part of one running app, built once by `create_app`.

Routes reach them as `services(request).queue`, typed, instead of untyped `app.state`
attributes made here and there (some on first request). The composition root
(`server/app.py`) is the one place that builds them; rooms get the parts they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from server.accounts import AccountBook
from server.clock import Clock
from server.domain.venue import Venue
from server.hub import Hub
from server.metrics import Metrics
from server.photos import PhotoStore
from server.presence import Presence
from server.service import VenueQueue
from server.settings import Settings
from server.store.counts import Counts
from server.topics import TopicSource
from server.web.limits import RateLimit

if TYPE_CHECKING:  # the rooms' parts: typed here, built in server/app.py
    from audio.library import ClipLibrary
    from audio.voice import VoiceBook
    from counters.views import CounterProjection
    from managers.dashboard import Dashboard
    from server.web.auth import Sessions
    from server.web.login import SignIns
    from server.web.socket import Screens
    from visitors.kiosk_lockouts import Lockouts
    from visitors.views import VisitProjection


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    venue: Venue
    # The venue clock: the queue's "now" (demos and tests set it); accounts keep wall time.
    clock: Clock
    # The app's signing secret (sessions, visitors' forms and links).
    secret: str
    sessions: Sessions
    queue: VenueQueue
    hub: Hub
    accounts: AccountBook
    topic_sources: tuple[TopicSource, ...]
    presence: Presence
    # What every limit has counted: shared by the processes on one Redis.
    counts: Counts
    sign_ins: SignIns
    counter_views: CounterProjection
    visits: VisitProjection
    dashboard: Dashboard
    audio: ClipLibrary
    # The venue's own recordings (the studio's takes), in step with their log.
    voice: VoiceBook
    kiosk_lockouts: Lockouts
    booking_limiter: RateLimit
    complaint_limiter: RateLimit
    tracking_limiter: RateLimit
    photos: PhotoStore
    metrics: Metrics
    # Every open /ws socket of this process, rechecked when the accounts change.
    screens: Screens


def services(conn: HTTPConnection | Starlette) -> Services:
    """The running app's services (set by `create_app`'s lifespan before any request)."""
    app = conn if isinstance(conn, Starlette) else conn.app
    found = getattr(app.state, "services", None)
    if found is None:
        # Only before the lifespan ran (a server started without it): say so, not a 500.
        from server.web.problems import Problem  # the web layer depends on this module

        raise Problem(503, "starting", "Server belum siap: jalankan dengan lifespan (antrean run).")
    return cast(Services, found)
