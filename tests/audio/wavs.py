"""Reading WAV files back in tests: header, samples, and where the sound is."""

from __future__ import annotations

import wave
from pathlib import Path

import msgspec
import numpy as np

from audio.pcm import Samples


class WavInfo(msgspec.Struct, frozen=True):
    channels: int
    sample_width: int
    rate: int
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.rate


def wav_info(path: Path) -> WavInfo:
    with wave.open(str(path), "rb") as wav:
        return WavInfo(wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes())


def wav_samples(path: Path) -> Samples:
    with wave.open(str(path), "rb") as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)


def peak(samples: Samples) -> int:
    return int(np.abs(samples.astype(np.int32)).max()) if samples.size else 0
