"""gTTS, driven for real against a local fake of Google's endpoint."""

from __future__ import annotations

import logging
import urllib.parse
from pathlib import Path

import pytest

from audio.engine_espeak import EspeakEngine
from audio.engine_gtts import GttsEngine
from audio.engine_tone import ToneEngine
from audio.library import ClipLibrary, EngineSummary
from audio.pcm import GAP_SECONDS, RATE
from audio.wording import Clip
from tests.audio.conftest import FakeGoogle, batchexecute_body
from tests.audio.wavs import wav_info

CLIP = Clip("angka_7", "tujuh")


def library(tmp_path: Path, gtts: GttsEngine) -> ClipLibrary:
    return ClipLibrary(tmp_path / "cache", [gtts, EspeakEngine(), ToneEngine()])


def no_sleep(seconds: float) -> None:
    pass


class TestGttsSuccess:
    """An MP3 from gTTS is decoded, resampled, trimmed and cached."""

    def test_mp3_becomes_a_clip(self, fake_google: FakeGoogle, tmp_path: Path) -> None:
        """The 24 kHz MP3 (0.5 s of tone in 0.6 s of silence) is stored as 22050 Hz, trimmed."""
        lib = library(tmp_path, GttsEngine())
        summary = lib.render_clips([CLIP])
        assert summary.engines["gtts"].rendered == 1
        identity = GttsEngine().identity(CLIP)
        assert identity is not None
        path = lib.cache.clip_path(identity)
        info = wav_info(path)
        assert (info.channels, info.sample_width, info.rate) == (1, 2, RATE)
        assert 0.5 + GAP_SECONDS <= info.seconds < 0.5 + GAP_SECONDS + 0.1

    def test_request_asks_for_indonesian(self, fake_google: FakeGoogle) -> None:
        """The request posted to the endpoint names the text and lang "id"."""
        GttsEngine().render(CLIP)
        body = urllib.parse.unquote(fake_google.bodies[0].decode())
        assert '\\"tujuh\\",\\"id\\"' in body

    def test_cached_clip_is_used_when_offline(
        self, fake_google: FakeGoogle, tmp_path: Path
    ) -> None:
        """Rendered while online, a gTTS clip is still used after a restart without internet."""
        library(tmp_path, GttsEngine()).render_clips([CLIP])
        fake_google.script = [(200, b"", 1.0)]  # now slower than the timeout
        summary = library(tmp_path, GttsEngine(timeout=0.2)).render_clips([CLIP])
        assert summary.engines["gtts"].cached == 1
        assert summary.engines["espeak"] == EngineSummary()
        assert fake_google.requests == 1


class TestGttsFailures:
    """When gTTS cannot deliver, the clip comes from espeak-ng and the reason is logged."""

    def test_429_is_retried_with_backoff(self, fake_google: FakeGoogle) -> None:
        """Two 429s, then audio: three requests, waits doubling from the base delay."""
        good = fake_google.script[0]
        fake_google.script = [(429, b"slow down", 0.0), (429, b"slow down", 0.0), good]
        waits: list[float] = []
        engine = GttsEngine(backoff=0.5, sleep=waits.append)
        assert engine.render(CLIP)
        assert fake_google.requests == 3
        assert waits == [0.5, 1.0]

    def test_timeout_falls_back(
        self, fake_google: FakeGoogle, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A server slower than the timeout: espeak-ng renders, and the timeout is logged."""
        fake_google.script = [(200, fake_google.script[0][1], 1.0)]
        lib = library(tmp_path, GttsEngine(timeout=0.2, sleep=no_sleep))
        with caplog.at_level(logging.WARNING, logger="audio"):
            summary = lib.render_clips([CLIP])
        assert (summary.engines["gtts"].failed, summary.engines["espeak"].rendered) == (1, 1)
        assert "gtts is unavailable" in caplog.text

    @pytest.mark.parametrize(
        "body",
        [
            b"<html>not the endpoint</html>",
            batchexecute_body(b"this is not an mp3 at all" * 20),
            b')]}\'\n[["wrb.fr","jQ1olc","[\\"!!!not base64!!!\\"]"]]',
        ],
        ids=["no-audio", "not-mp3", "bad-base64"],
    )
    def test_garbage_falls_back(
        self,
        fake_google: FakeGoogle,
        tmp_path: Path,
        caplog: pytest.LogCaptureFixture,
        body: bytes,
    ) -> None:
        """A 200 that carries no usable audio: espeak-ng renders, the failure is logged."""
        fake_google.script = [(200, body, 0.0)]
        lib = library(tmp_path, GttsEngine(sleep=no_sleep))
        with caplog.at_level(logging.WARNING, logger="audio"):
            summary = lib.render_clips([CLIP])
        assert summary.engines["espeak"].rendered == 1
        assert summary.engines["gtts"].failed == 1
        assert "gtts could not render 'angka_7'" in caplog.text
        assert summary.missing == ()

    def test_no_empty_file_is_left(self, fake_google: FakeGoogle, tmp_path: Path) -> None:
        """Failed renders leave no file behind, empty or partial."""
        fake_google.script = [(500, b"", 0.0)]
        lib = library(tmp_path, GttsEngine(sleep=no_sleep))
        lib.render_clips([CLIP])
        assert all(f.stat().st_size > 44 for f in (tmp_path / "cache").rglob("*") if f.is_file())
        assert not list((tmp_path / "cache").rglob(".tmp-*"))
