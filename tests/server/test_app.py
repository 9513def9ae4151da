"""The app factory and the command line, as an operator meets them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from server import config
from server.app import create_app
from server.cli import main
from server.services import services
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


async def get(app: Starlette, path: str) -> httpx.Response:
    """GET `path` from `app` while it runs its whole lifespan (log, queue, accounts, audio)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get(path)


class TestApp:
    """The app starts on the embedded default and says what it runs on."""

    async def test_healthz_names_the_venue_and_the_store(self, tmp_path: Path) -> None:
        app = create_app(Settings(data_dir=str(tmp_path)))
        response = await get(app, "/healthz")
        body = response.json()
        assert response.status_code == 200
        assert (body["venue"], body["status"], body["seq"]) == ("merdeka-malang", "ok", 0)
        assert body["store"] == {"backend": "sqlite", "ok": True, "head": 0}
        assert len(body["epoch"]) >= 8
        assert (tmp_path / "antrean.db").exists()

    async def test_without_its_lifespan_it_says_it_is_not_ready(self, tmp_path: Path) -> None:
        """An ASGI server started without the lifespan (uvicorn --lifespan off) never builds
        the app's services: every route says so (503), none fails with a 500."""
        app = create_app(Settings(data_dir=str(tmp_path)))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for path in ("/login", "/display/lantai1-timur", "/healthz", "/manager"):
                answer = await client.get(path)
                assert answer.status_code == 503, path
                assert answer.json()["code"] == "starting", path

    async def test_healthz_on_redis(self, tmp_path: Path, redis_url: str) -> None:
        app = create_app(Settings(data_dir=str(tmp_path), redis_url=redis_url))
        store = (await get(app, "/healthz")).json()["store"]
        assert (store["backend"], store["ok"]) == ("redis", True)

    def test_settings_come_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("ANTREAN_VENUE", raising=False)
        monkeypatch.setenv("ANTREAN_DATA", "/srv/antrean")
        settings = Settings.from_env()
        assert settings.venue_file == str(config.DEMO_VENUE)
        assert settings.log_url == "sqlite:///srv/antrean/antrean.db"

    def test_command_line_choices_keep_the_rest_of_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("ANTREAN_SECRET", "rahasia")
        monkeypatch.setenv("ANTREAN_TTS", "gtts,espeak")
        settings = Settings.from_env().with_arguments(None, "/srv/data", None)
        assert (settings.secret, settings.tts, settings.data_dir) == (
            "rahasia",
            "gtts,espeak",
            "/srv/data",
        )

    def test_a_start_time_clock_runs_from_that_instant(self) -> None:
        clock = Settings(clock_start="2026-11-24T09:00:00+07:00").clock()
        first, second = clock(), clock()
        assert first.isoformat().startswith("2026-11-24T09:00:00") and second >= first
        assert Settings().clock()().year >= 2026

    def test_a_broken_venue_file_stops_the_start(self, tmp_path: Path) -> None:
        broken = tmp_path / "venue.toml"
        broken.write_text("[venue\n")
        with pytest.raises(config.ConfigError) as caught:
            create_app(Settings(venue_file=str(broken), data_dir=str(tmp_path)))
        assert "line 1" in str(caught.value)


class TestCommandLine:
    """`antrean check-config` and `antrean run` answer with exit codes and plain sentences."""

    def test_check_config_accepts_the_demo_venue(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["check-config", str(config.DEMO_VENUE)]) == 0
        assert "OK" in capsys.readouterr().out

    def test_check_config_lists_every_problem(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        text = config.DEMO_VENUE.read_text().replace(
            'timezone = "Asia/Jakarta"', 'timezone = "WIB"'
        )
        bad = tmp_path / "bad.toml"
        bad.write_text(
            text
            + '\n[services.tambahan]\ntenant = "tidak-ada"\nname = "X"\nprefix = "A"\ndaily_quota = 5\n'
        )
        assert main(["check-config", str(bad)]) == 1
        out = capsys.readouterr().out
        for path in ("venue.timezone", "services.tambahan.tenant", "services.tambahan.prefix"):
            assert f"{bad}: {path}:" in out
        assert "fix:" in out

    def test_run_refuses_a_broken_venue_file_without_a_traceback(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.toml"
        bad.write_text("[venue]\nid = 'x'\n")
        result = subprocess.run(
            [sys.executable, "-m", "server", "run", "--venue", str(bad), "--data", str(tmp_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert "Traceback" not in result.stderr and "venue.name" in result.stderr


class TestFrontPage:
    """The front page lists the screens; the demo venue links its displays ready to pair."""

    async def test_demo_links_each_zone_display(self, tmp_path: Path) -> None:
        app = create_app(Settings(data_dir=str(tmp_path)))
        html = (await get(app, "/")).text
        for zone in services(app).venue.zones:
            assert f'href="/display/{zone}?device=demo-{zone}"' in html
        assert 'href="/counter"' in html
