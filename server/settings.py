"""How an app is set up: `ANTREAN_*` environment variables or the command line's choices.

The venue file, where the log lives (SQLite in the data folder, or Redis), the secret, the
speech engines, the alert webhook; and for demos and tests the venue clock (`clock()`),
which every part of the app reads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

import msgspec

from server import config
from server.clock import Clock, offset_clock, shifted_clock, utc_now


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
    # `/metrics` is open to this host; anyone else sends `Authorization: Bearer <token>`.
    metrics_token: str = ""
    # `antrean run`'s log lines: "text" (uvicorn's) or "json" (one object per line).
    log_format: str = "text"
    # This process's name in `/healthz` (several behind a proxy); default: host:pid.
    process_name: str = ""
    # Seconds between keepalive pings of a quiet screen, and for its pong: a silent, dead
    # connection goes after twice this. Seconds as text (`antrean run` checks them).
    ws_ping: str = "20"

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
            metrics_token=env.get("ANTREAN_METRICS_TOKEN", default.metrics_token),
            log_format=env.get("ANTREAN_LOG_FORMAT", default.log_format),
            process_name=env.get("ANTREAN_PROCESS", default.process_name),
            ws_ping=env.get("ANTREAN_WS_PING", default.ws_ping),
        )

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """`--venue`, `--data` and `--redis`, as every command that opens a venue's log
        takes them (read back with `with_arguments`)."""
        parser.add_argument(
            "--venue", default=None, help="venue TOML file (default: the demo venue)"
        )
        parser.add_argument("--data", default=None, help="data folder of the SQLite log")
        parser.add_argument("--redis", default=None, help="Redis URL of the shared log")

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

    @property
    def demo(self) -> bool:
        return Path(self.venue_file).resolve() == config.DEMO_VENUE.resolve()

    @property
    def log_url(self) -> str:
        if self.redis_url:
            return self.redis_url
        return f"sqlite://{Path(self.data_dir).resolve() / 'antrean.db'}"
