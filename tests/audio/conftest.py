"""Fixtures for the audio tests: a small venue, real espeak-ng, a local fake of gTTS."""

from __future__ import annotations

import base64
import http.server
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import lameenc  # type: ignore[import-not-found]
import numpy as np
import pytest

from audio.engine_espeak import EspeakEngine
from audio.engine_tone import ToneEngine
from audio.engines import Engine
from audio.library import ClipLibrary
from server.domain.venue import Counter, Venue
from tests.helpers import small_venue


@pytest.fixture
def venue() -> Venue:
    """The shared small venue, plus a named counter ("Meja Informasi")."""
    return _venue_with_named_counter()


def _venue_with_named_counter() -> Venue:
    base = small_venue()
    info = Counter(id="9", label="Meja Informasi", tenant="dukcapil", services=("ktp",), zone="z1")
    return small_venue(counters={**base.counters, "9": info})


@pytest.fixture(scope="session")
def _rendered_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Rendering the vocabulary takes about a second; tests that only need it done share it.
    folder = tmp_path_factory.mktemp("rendered")
    library = ClipLibrary(folder, espeak_engines())
    library.render_vocabulary(_venue_with_named_counter())
    return folder


@pytest.fixture
def warm_library(_rendered_once: Path, tmp_path: Path) -> ClipLibrary:
    """Like `espeak_library`, with the vocabulary of `venue` already rendered (a copy)."""
    shutil.copytree(_rendered_once, tmp_path / "cache")
    return ClipLibrary(tmp_path / "cache", espeak_engines())


@pytest.fixture
def espeak_library(tmp_path: Path) -> ClipLibrary:
    """A library rendering with espeak-ng (and the tone for the chime) into a fresh cache."""
    return ClipLibrary(tmp_path / "cache", espeak_engines())


def espeak_engines() -> list[Engine]:
    return [EspeakEngine(), ToneEngine()]


def tone_mp3(seconds: float = 0.5, silence: float = 0.3, rate: int = 24000) -> bytes:
    """An MP3 like gTTS sends (mono, 24 kHz): a 440 Hz tone between stretches of silence."""
    t = np.arange(int(rate * seconds)) / rate
    tone = (np.sin(2 * np.pi * 440 * t) * 12000).astype(np.int16)
    quiet = np.zeros(int(rate * silence), dtype=np.int16)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(64)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(2)
    data = encoder.encode(np.concatenate([quiet, tone, quiet]).tobytes()) + encoder.flush()
    return bytes(data)


def batchexecute_body(audio: bytes) -> bytes:
    """The body Google's batchexecute endpoint answers with, carrying `audio` in base64."""
    payload = json.dumps([base64.b64encode(audio).decode()])
    frame = json.dumps(
        [["wrb.fr", "jQ1olc", payload, None, None, None, "generic"]], separators=(",", ":")
    )
    return f")]}}'\n\n{len(frame)}\n{frame}\n".encode()


class FakeGoogle:
    """A local stand-in for translate.google.com's speech endpoint, answering from a script.

    Each request takes the next scripted answer: (status, body, delay in seconds); the
    last one repeats. `bodies` keeps what arrived.
    """

    def __init__(self) -> None:
        self.script: list[tuple[int, bytes, float]] = [(200, batchexecute_body(tone_mp3()), 0.0)]
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()

    @property
    def requests(self) -> int:
        return len(self.bodies)

    def next_answer(self, body: bytes) -> tuple[int, bytes, float]:
        with self._lock:
            self.bodies.append(body)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]


def _handler(google: FakeGoogle) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, body, delay = google.next_answer(request)
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest's output for the test's own logs

    return Handler


@pytest.fixture
def fake_google(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    """gTTS pointed at a FakeGoogle on 127.0.0.1 (gTTS builds its URL in `_translate_url`)."""
    google = FakeGoogle()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(google))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setattr("gtts.tts._translate_url", lambda tld="com", path="": f"{base}/{path}")
    # gTTS passes the environment's proxies explicitly, bypassing no_proxy: clear them.
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    try:
        yield google
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
