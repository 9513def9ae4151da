"""The chime: a generated two-note "ding-dong", used when the venue recorded none."""

from __future__ import annotations

import numpy as np

from audio.engines import EngineError
from audio.pcm import RATE, Samples, wav_bytes
from audio.wording import Clip

__all__ = ["ToneEngine"]

# A falling major third (E5, C5): the common public-address chime, heard as "attention".
_NOTES = ((659.25, 0.45), (523.25, 0.75))


class ToneEngine:
    """Makes only the chime; speech is left to the other engines."""

    name = "tone"
    local = True
    finished = False

    def identity(self, clip: Clip) -> str | None:
        return "tone|v1|ding-dong" if clip.key == "chime" else None

    def render(self, clip: Clip) -> bytes:
        if clip.key != "chime":
            raise EngineError(f"the tone engine makes only the chime, not {clip.key!r}")
        chime = np.concatenate([_note(freq, seconds) for freq, seconds in _NOTES])
        return wav_bytes(chime.tobytes())


def _note(frequency: float, seconds: float) -> Samples:
    t = np.arange(int(RATE * seconds)) / RATE
    # A struck-bell envelope: a 5 ms attack (no click), then an exponential decay.
    envelope = np.minimum(t / 0.005, 1.0) * np.exp(-t * 4.0)
    wave = np.sin(2 * np.pi * frequency * t) + 0.3 * np.sin(4 * np.pi * frequency * t)
    note: Samples = (wave * envelope * 20000).astype(np.int16)
    return note
