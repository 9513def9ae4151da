"""The Starlette app factory: wires the venue, its event log and its queue in the lifespan.

`antrean run` uses it; any ASGI server can too: `uvicorn --factory server.app:create_app`.
Settings come from arguments or from `ANTREAN_*` environment variables.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import audio.routes as audio_routes
import counters.routes as counters
import displays.routes as displays
import managers.report_routes as reports
import managers.routes as managers
import visitors.routes as visitors
from audio.engines import make_engines
from audio.library import ClipLibrary
from counters.views import CounterProjection
from displays.health import Speakers
from displays.views import ZoneProjection
from managers.dashboard import Dashboard
from managers.webhook import Webhook
from server import config, demo
from server.accounts import AccountBook
from server.domain.venue import Venue
from server.hub import Hub
from server.service import Clock, VenueQueue, shifted_clock, utc_now
from server.store import StoreUnavailable, open_log
from server.web import commands, faults, login, openapi, socket
from server.web.auth import Sessions, load_secret
from server.web.headers import SecurityHeaders
from server.web.pages import static_mounts
from visitors.views import VisitProjection

HEARTBEAT_SECONDS = 25.0
# How long /healthz waits for the store to answer before calling it unreachable.
HEALTH_PROBE_SECONDS = 2.0


class Settings(msgspec.Struct, frozen=True):
    venue_file: str = str(config.DEMO_VENUE)
    data_dir: str = "data"
    redis_url: str = ""
    secret: str = ""
    # Speech engines, best first: "recorded" (needs audio_recorded), "gtts" (internet), "espeak".
    tts: str = "espeak"
    audio_recorded: str = ""
    audio_cache: str = ""
    # For demos and tests only: run the venue clock from this ISO instant instead of now.
    clock_start: str = ""
    # For demos and tests only: a file holding seconds (a float) to add to the venue clock,
    # re-read at most every 0.5 s, so a test can jump the clock forward by writing it.
    clock_file: str = ""
    # New dashboard alerts are POSTed here as JSON, signed with HMAC-SHA256 of the body in
    # `X-Antrean-Signature: sha256=<hex>` (key: alert_webhook_secret, else the app secret).
    alert_webhook: str = ""
    alert_webhook_secret: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        env, default = os.environ, cls()
        return cls(
            venue_file=env.get("ANTREAN_VENUE", default.venue_file),
            data_dir=env.get("ANTREAN_DATA", default.data_dir),
            redis_url=env.get("ANTREAN_REDIS_URL", default.redis_url),
            secret=env.get("ANTREAN_SECRET", default.secret),
            tts=env.get("ANTREAN_TTS", default.tts),
            audio_recorded=env.get("ANTREAN_AUDIO_RECORDED", default.audio_recorded),
            audio_cache=env.get("ANTREAN_AUDIO_CACHE", default.audio_cache),
            clock_start=env.get("ANTREAN_CLOCK_START", default.clock_start),
            clock_file=env.get("ANTREAN_CLOCK_FILE", default.clock_file),
            alert_webhook=env.get("ANTREAN_ALERT_WEBHOOK", default.alert_webhook),
            alert_webhook_secret=env.get(
                "ANTREAN_ALERT_WEBHOOK_SECRET", default.alert_webhook_secret
            ),
        )

    def with_arguments(self, venue: str | None, data: str | None, redis: str | None) -> Settings:
        """These settings with the command line's choices, where it made any."""
        return msgspec.structs.replace(
            self,
            venue_file=venue or self.venue_file,
            data_dir=data or self.data_dir,
            redis_url=redis or self.redis_url,
        )

    def clock(self) -> Clock:
        base = (
            shifted_clock(dt.datetime.fromisoformat(self.clock_start))
            if self.clock_start
            else utc_now
        )
        return offset_clock(base, Path(self.clock_file)) if self.clock_file else base

    def webhook(self, secret: str) -> Webhook | None:
        if not self.alert_webhook:
            return None
        return Webhook(self.alert_webhook, self.alert_webhook_secret or secret)

    def audio_library(self, venue: Venue) -> ClipLibrary:
        recorded = Path(self.audio_recorded) if self.audio_recorded else None
        names = ["recorded", *self.tts.split(",")] if recorded else self.tts.split(",")
        engines = make_engines([n for n in names if n], recorded=recorded)
        cache = Path(self.audio_cache or Path(self.data_dir) / "audio")
        return ClipLibrary(cache, engines, venue.announcements)

    @property
    def demo(self) -> bool:
        return Path(self.venue_file).resolve() == config.DEMO_VENUE.resolve()

    @property
    def log_url(self) -> str:
        if self.redis_url:
            return self.redis_url
        return f"sqlite://{Path(self.data_dir).resolve() / 'antrean.db'}"


def offset_clock(base: Clock, path: Path, every: float = 0.5) -> Clock:
    """`base` plus the seconds written in `path` (demos and tests: jump the venue clock).

    The file is re-read at most every `every` seconds; a missing or garbled file keeps the
    last offset read.
    """
    offset, read_at = 0.0, -math.inf

    def now() -> dt.datetime:
        nonlocal offset, read_at
        if time.monotonic() - read_at >= every:
            read_at = time.monotonic()
            with contextlib.suppress(OSError, ValueError):
                offset = float(path.read_text().strip() or 0)
        return base() + dt.timedelta(seconds=offset)

    return now


async def healthz(request: Request) -> JSONResponse:
    """The venue, the log's position, and whether the store answers now (503 when not)."""
    queue: VenueQueue = request.app.state.queue
    store = await _probe(queue)
    return JSONResponse(
        {
            "status": "ok" if store["ok"] else "store_unavailable",
            "venue": queue.venue.id,
            "venue_name": queue.venue.name,
            "store": store,
            "epoch": queue.epoch,
            "seq": queue.state.seq,
        },
        status_code=200 if store["ok"] else 503,
    )


async def _probe(queue: VenueQueue) -> dict[str, object]:
    # A real read of the venue's log: it answers only when the store does. This is the one
    # route that reports the outage instead of failing on it, so it catches it itself.
    report: dict[str, object] = {"backend": queue.log.backend, "ok": True}
    try:
        async with asyncio.timeout(HEALTH_PROBE_SECONDS):
            report["head"] = await queue.log.head(queue.venue.id)
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

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events = open_log(settings.log_url)
        queue = VenueQueue(venue, events, clock)
        hub = Hub(epoch=await events.epoch(venue.id), heartbeat=HEARTBEAT_SECONDS)
        zones = ZoneProjection(venue, queue.state, hub, audio_routes.call_url)
        counter_views = CounterProjection(venue, queue.state, hub)
        visits = VisitProjection(venue, queue.state, hub)
        speakers = Speakers(venue)
        webhook = settings.webhook(secret)
        dashboard = Dashboard(
            venue, queue.state, hub, clock=queue.clock, zones=speakers, webhook=webhook
        )
        # Listen before replaying: the views (recent calls above all) are a fold of the whole
        # log, so every process derives the same view at the same seq, restarts included.
        for source in (zones, counter_views, visits, dashboard):
            queue.listen(source.on_event)
        await queue.start()
        accounts = AccountBook(venue.id, events)
        if settings.demo:
            await demo.seed(accounts, venue)
        app.state.queue, app.state.hub, app.state.counter_views = queue, hub, counter_views
        app.state.visits, app.state.dashboard = visits, dashboard
        app.state.topic_sources = [zones, counter_views, visits, dashboard]
        app.state.accounts = accounts
        app.state.speakers = speakers
        app.state.audio = settings.audio_library(venue)
        # Render the clip vocabulary in the background: calls never wait for synthesis.
        rendering = asyncio.create_task(asyncio.to_thread(app.state.audio.render_vocabulary, venue))
        await hub.start()
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
            await hub.stop()
            await asyncio.wait([rendering])
            await queue.stop()
            await events.close()

    routes = [
        Route("/healthz", healthz),
        Route("/openapi.json", openapi.openapi),
        *login.routes,
        *commands.routes,
        *socket.routes,
        *counters.routes,
        *displays.routes,
        *audio_routes.routes,
        *managers.routes,
        *reports.routes,
        *visitors.routes,
        *static_mounts(),
    ]
    # Phones on a venue's crowded Wi-Fi load the ticket page in a third of the bytes.
    compress = Middleware(GZipMiddleware, minimum_size=1024)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders), compress],
        exception_handlers=faults.HANDLERS,
    )
    app.state.settings = settings
    app.state.venue = venue
    app.state.sessions = Sessions(secret)
    return app
