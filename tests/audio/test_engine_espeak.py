"""espeak-ng, for real: the offline voice every venue has."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from audio.engine_espeak import EspeakEngine
from audio.library import ClipLibrary
from audio.pcm import GAP_SECONDS, RATE
from audio.wording import Call, Clip, announcement_clips
from tests.audio.wavs import peak, wav_info, wav_samples


def rendered_clip(library: ClipLibrary, key: str) -> Path:
    """Render the clip `key` of "A-007 to counter 3" and return its cached file."""
    clip = next(c for c in announcement_clips(Call("A-007", "3")) if c.key == key)
    assert library.render_clips([clip]).engines["espeak"].rendered == 1
    identity = EspeakEngine().identity(clip)
    assert identity is not None
    return library.cache.clip_path(identity)


class TestEspeakClip:
    """A clip rendered by espeak-ng is in the one clip format, trimmed, with the gap."""

    def test_header_is_the_clip_format(self, espeak_library: ClipLibrary) -> None:
        """Mono, 16-bit, 22050 Hz, and as long as a short phrase."""
        info = wav_info(rendered_clip(espeak_library, "nomor_antrean"))
        assert (info.channels, info.sample_width, info.rate) == (1, 2, RATE)
        assert 0.4 < info.seconds < 2.5

    def test_no_silence_beyond_the_gap(self, espeak_library: ClipLibrary) -> None:
        """Sound starts within 20 ms, and the clip ends with exactly the gap of silence."""
        samples = wav_samples(rendered_clip(espeak_library, "silakan_menuju_loket"))
        gap, window = int(RATE * GAP_SECONDS), RATE // 50
        assert peak(samples[:window]) > 300
        assert peak(samples[-gap:]) == 0
        assert peak(samples[-gap - window : -gap]) > 300

    def test_loudness_is_matched(self, espeak_library: ClipLibrary) -> None:
        """Clips of different words end up at about the same RMS (-20 dBFS)."""
        levels = []
        for key in ("nomor_antrean", "huruf_a", "angka_7", "angka_3"):
            speech = wav_samples(rendered_clip(espeak_library, key))[: -int(RATE * GAP_SECONDS)]
            levels.append(20 * np.log10(np.sqrt(np.mean(speech.astype(np.float64) ** 2)) / 32767))
        assert max(levels) - min(levels) < 1.5
        assert all(-22 < level < -18 for level in levels)


class TestEspeakPhonemes:
    """espeak-ng's Indonesian voice reads our phrases as Indonesian."""

    def test_phonemes_of_the_opening(self) -> None:
        """`espeak-ng -x -v id` gives Indonesian phonemes for "nomor antrean, silakan menuju loket"."""
        result = subprocess.run(
            ["espeak-ng", "-q", "-x", "-v", "id", "nomor antrean, silakan menuju loket"],
            capture_output=True,
            text=True,
            check=True,
        )
        words = result.stdout.split()
        # Stress on the penultimate syllable, a trilled R, "j" as dZ: Indonesian, not English.
        assert words == ["n'omOR", "antR2'Ean", "sil'akan", "m@n'udZu", "l'ok@t"]

    def test_identity_names_version_voice_and_text(self) -> None:
        """The cache key changes with the text, so a new phrase is a new clip."""
        engine = EspeakEngine()
        first = engine.identity(Clip("x", "satu"))
        assert first is not None and first.startswith("espeak-ng|1.")
        assert first != engine.identity(Clip("x", "dua"))
        assert engine.identity(Clip("chime", "")) is None
