"""The Starlette app factory: wires the venue, its event log and its queue in the lifespan.

`antrean run` uses it; any ASGI server can too: `uvicorn --factory server.app:create_app`.
Settings come from arguments or from `ANTREAN_*` environment variables.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket as socket_module
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import audio.routes as audio_routes
import counters.routes as counters
import displays.routes as displays
import managers.complaints as complaints
import managers.missing_routes as missing
import managers.report_routes as reports
import managers.routes as managers
import managers.voice as voice
import visitors.routes as visitors
from audio.engine_studio import StudioEngine
from audio.engines import make_engines
from audio.library import ClipLibrary
from audio.voice import VoiceBook
from counters.views import CounterProjection
from displays.health import Speakers
from displays.views import ZoneProjection
from managers.dashboard import Dashboard
from managers.webhook import SentAlerts, Webhook
from server import config, demo
from server.accounts import AccountBook
from server.clock import Clock
from server.domain.venue import Venue
from server.hub import Hub
from server.metrics import Metrics
from server.photos import PhotoStore
from server.service import VenueQueue, ensure_not_behind
from server.services import Services, services
from server.settings import Settings
from server.store import StoreUnavailable, open_log
from server.store.counts import open_counts
from server.store.roster import open_roster
from server.web import commands, faults, login, metrics, openapi, problems, socket
from server.web.auth import Sessions, load_secret
from server.web.headers import SecurityHeaders
from server.web.limits import RateLimit
from server.web.login import SignIns
from server.web.pages import static_mounts
from visitors.kiosk_lockouts import Lockouts
from visitors.views import VisitProjection

HEARTBEAT_SECONDS = 25.0
# How long /healthz waits for the store to answer before calling it unreachable.
HEALTH_PROBE_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    """The venue, the log's position, and whether the store answers now (503 when not)."""
    queue = services(request).queue
    store = await _probe(queue)
    name = services(request).settings.process_name
    return JSONResponse(
        {
            "status": "ok" if store["ok"] else "store_unavailable",
            # Which process answered: several may stand behind one proxy.
            "process": name or f"{socket_module.gethostname()}:{os.getpid()}",
            "venue": queue.venue.id,
            "venue_name": queue.venue.name,
            "store": store,
            "epoch": queue.epoch,
            "seq": queue.state.seq,
            # The venue clock: what consoles and hall displays show (they resync from it).
            "now": queue.clock().isoformat(),
        },
        status_code=200 if store["ok"] else 503,
    )


async def _probe(queue: VenueQueue) -> dict[str, object]:
    # A real read of the venue's log: it answers only when the store does. This is the one
    # route that reports the outage instead of failing on it, so it catches it itself.
    report: dict[str, object] = {"backend": queue.log.backend, "ok": True}
    applied = queue.state.seq  # before the read: the head can only have grown past it since
    try:
        async with asyncio.timeout(HEALTH_PROBE_SECONDS):
            report["head"] = head = await queue.log.head(queue.venue.id)
        ensure_not_behind(queue.log.backend, head, applied)
    except StoreUnavailable as error:
        report |= {"ok": False, "error": error.reason}
    except TimeoutError:
        report |= {"ok": False, "error": f"no answer within {HEALTH_PROBE_SECONDS:g} s"}
    return report


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Starlette:
    """Build the app. The venue file is validated now, so a bad config fails before serving."""
    settings = settings or Settings.from_env()
    clock = clock or settings.clock()
    venue = config.load_venue(settings.venue_file)
    secret = load_secret(settings.data_dir, settings.secret)
    sessions = Sessions(secret)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events = open_log(settings.log_url)
        counts = open_counts(settings.redis_url, venue.id)
        queue = VenueQueue(venue, events, clock, Metrics())
        hub = Hub(
            epoch=await events.epoch(venue.id),
            heartbeat=HEARTBEAT_SECONDS,
            timed=queue.metrics.published,
        )
        zones = ZoneProjection(venue, queue.state, hub, audio_routes.call_url)
        counter_views = CounterProjection(venue, queue.state, hub)
        visits = VisitProjection(venue, queue.state, hub)
        # Which displays are in the hall, on every process of the venue (its roster).
        speakers = Speakers(venue, open_roster(settings.redis_url, venue.id), clock)
        webhook = _webhook(settings, secret, SentAlerts(events, venue.id))
        dashboard = Dashboard(venue, queue.state, hub, clock=clock, zones=speakers, webhook=webhook)
        # Listen before replaying: the views (recent calls above all) are a fold of the whole
        # log, so every process derives the same view at the same seq, restarts included.
        for source in (zones, counter_views, visits, dashboard):
            queue.listen(source.on_event)
        await queue.start()
        # The accounts log keeps wall time, not the venue clock: cookies expire by it, and
        # the command line (`antrean users sign-out`) writes to the same log.
        accounts = AccountBook(venue.id, events)
        # The venue's own recordings (the studio's takes), read before the render below so
        # the clips it holds are cached from them, not synthesized first.
        studio = StudioEngine()
        voice = VoiceBook(venue.id, events, studio)
        await voice.refresh()
        if settings.demo:
            await demo.seed(accounts, venue)
        parts = Services(
            settings=settings,
            venue=venue,
            clock=clock,
            secret=secret,
            sessions=sessions,
            queue=queue,
            hub=hub,
            accounts=accounts,
            topic_sources=(zones, counter_views, visits, dashboard),
            presence=speakers,
            counts=counts,
            sign_ins=SignIns(counts),
            counter_views=counter_views,
            visits=visits,
            dashboard=dashboard,
            audio=_audio_library(settings, venue, studio),
            voice=voice,
            kiosk_lockouts=Lockouts(counts),
            # Booking attempts (slow a script guessing NIKs), complaints filed (slow a flood)
            # and tracking codes looked up (slow a scan for other people's reports).
            booking_limiter=RateLimit(counts, "booking", 12, 600.0),
            complaint_limiter=RateLimit(counts, "complaint", 20, 3600.0),
            tracking_limiter=RateLimit(counts, "tracking", 30, 600.0),
            photos=PhotoStore(Path(settings.data_dir) / "photos"),
            metrics=queue.metrics,
            screens=socket.Screens(accounts),
        )
        app.state.services = parts
        # Render the clip vocabulary in the background: calls never wait for synthesis.
        rendering = asyncio.create_task(asyncio.to_thread(parts.audio.render_vocabulary, venue))
        await hub.start()
        await parts.screens.start()
        await speakers.start()
        if webhook is not None:
            await webhook.start()
        # After the replay: alerts and the ticker start from today's whole picture.
        await dashboard.start()
        try:
            yield
        finally:
            await dashboard.stop()
            if webhook is not None:
                await webhook.stop()
            await speakers.stop()
            await parts.screens.stop()
            await hub.stop()
            parts.audio.stop_rendering()
            await asyncio.wait([rendering])
            await queue.stop()
            await events.close()
            await counts.close()

    routes = [
        Route("/healthz", healthz),
        Route("/openapi.json", openapi.openapi),
        *metrics.routes,
        *login.routes,
        *commands.routes,
        *socket.routes,
        *counters.routes,
        *displays.routes,
        *audio_routes.routes,
        *managers.routes,
        *voice.routes,
        *reports.routes,
        *complaints.routes,
        *missing.routes,
        *visitors.routes,
        *static_mounts(),
    ]
    # Phones on a venue's crowded Wi-Fi load the ticket page in a third of the bytes.
    compress = Middleware(GZipMiddleware, minimum_size=1024)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders), compress],
        exception_handlers={**faults.HANDLERS, **problems.HANDLERS},
    )
    return app


def _webhook(settings: Settings, secret: str, sent: SentAlerts) -> Webhook | None:
    if not settings.alert_webhook:
        return None
    return Webhook(settings.alert_webhook, settings.alert_webhook_secret or secret, sent)


def _audio_library(settings: Settings, venue: Venue, studio: StudioEngine) -> ClipLibrary:
    recorded = Path(settings.audio_recorded) if settings.audio_recorded else None
    names = ["recorded", *settings.tts.split(",")] if recorded else settings.tts.split(",")
    # The studio's takes first: what the venue recorded itself is what it chose to hear.
    engines = [studio, *make_engines([n for n in names if n], recorded=recorded)]
    cache = Path(settings.audio_cache or Path(settings.data_dir) / "audio")
    return ClipLibrary(cache, engines, venue.announcements)
