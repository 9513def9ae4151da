"""The one clip format, and the sample maths that brings any engine's audio into it.

Every clip is mono 16-bit PCM at 22050 Hz (espeak-ng's native rate, so its output is never
resampled), trimmed of leading and trailing silence, brought to one loudness, and followed
by a fixed gap. Because every clip shares the format, an announcement is the clips' frames
laid end to end: no resampling or mixing at call time.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import miniaudio  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

__all__ = [
    "CHANNELS",
    "FORMAT_ID",
    "GAP_SECONDS",
    "RATE",
    "SAMPLE_WIDTH",
    "Samples",
    "TooLongAudio",
    "clip_frames",
    "dbfs",
    "decode",
    "loudest_dbfs",
    "normalize",
    "read_frames",
    "wav_bytes",
]

Samples = npt.NDArray[np.int16]

RATE = 22050
CHANNELS = 1
SAMPLE_WIDTH = 2
GAP_SECONDS = 0.120
# Part of every cache key: change it whenever the processing below changes what is stored.
FORMAT_ID = f"pcm_s16le-{CHANNELS}ch-{RATE}hz-trim-rms-gap{int(GAP_SECONDS * 1000)}ms-v1"

_FULL_SCALE = 32767.0
# Speech level: RMS of -20 dBFS, but never a peak above -1 dBFS (no clipping).
_TARGET_RMS = _FULL_SCALE * 10 ** (-20 / 20)
_MAX_PEAK = _FULL_SCALE * 10 ** (-1 / 20)
# Silence is a 10 ms window whose RMS is 40 dB below the clip's loudest window: relative, so
# a quiet recording is trimmed like a loud one; windowed, so one click is not "speech".
_WINDOW = RATE // 100
_SILENCE_DB = -40.0
# Kept before and after the speech so a soft onset ("s" of "silakan") is not cut.
_MARGIN = RATE * 5 // 1000


class AudioError(Exception):
    """Audio bytes that cannot be decoded, or that hold no sound."""


class TooLongAudio(AudioError):
    """Audio that lasts longer than the caller allows (`seconds`: at least this long)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the audio lasts more than {seconds:.1f} s")
        self.seconds = seconds


def decode(data: bytes, max_seconds: float | None = None) -> Samples:
    """Any file miniaudio reads (WAV, MP3, FLAC, Vorbis) as samples in the clip format.

    miniaudio downmixes and resamples while decoding, so there is one conversion path for
    gTTS's MP3, espeak-ng's WAV and a venue's recordings alike. It decodes a second at a
    time, so with `max_seconds` (audio from people: a few kilobytes can declare hours at
    a low rate) it stops with `TooLongAudio` as soon as the sound lasts longer.
    """
    limit = None if max_seconds is None else int(max_seconds * RATE)
    chunks, got = [], 0
    try:
        stream = miniaudio.stream_memory(
            data,
            output_format=miniaudio.SampleFormat.SIGNED16,
            nchannels=CHANNELS,
            sample_rate=RATE,
            frames_to_read=RATE,
        )
        for chunk in stream:
            got += len(chunk)
            if limit is not None and got > limit:
                raise TooLongAudio(got / RATE)
            chunks.append(np.frombuffer(chunk, dtype=np.int16).copy())
    except miniaudio.MiniaudioError as error:
        raise AudioError(f"cannot decode audio ({len(data)} bytes): {error}") from error
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def normalize(samples: Samples) -> Samples:
    """Trimmed, loudness-matched, and followed by the fixed gap."""
    speech = _trim(samples)
    if speech.size == 0:
        raise AudioError("the audio is silent")
    gap = np.zeros(int(RATE * GAP_SECONDS), dtype=np.int16)
    return np.concatenate([_match_loudness(speech), gap])


def dbfs(samples: Samples) -> float:
    """The RMS level of `samples` in dBFS (-inf for digital silence)."""
    if samples.size == 0:
        return float("-inf")
    rms = float(np.sqrt((samples.astype(np.float64) ** 2).mean()))
    return 20 * float(np.log10(rms / _FULL_SCALE)) if rms > 0 else float("-inf")


def loudest_dbfs(samples: Samples) -> float:
    """The level of the loudest 10 ms of `samples`, in dBFS: a recording whose loudest
    moment is a whisper below the room's hiss holds no voice."""
    levels = _window_rms(samples)
    if levels.size == 0 or levels.max() == 0:
        return float("-inf")
    return 20 * float(np.log10(float(levels.max()) / _FULL_SCALE))


def _trim(samples: Samples) -> Samples:
    levels = _window_rms(samples)
    if levels.size == 0 or levels.max() == 0:
        return samples[:0]
    threshold = levels.max() * 10 ** (_SILENCE_DB / 20)
    loud = np.flatnonzero(levels > threshold)
    start = max(int(loud[0]) * _WINDOW - _MARGIN, 0)
    end = min((int(loud[-1]) + 1) * _WINDOW + _MARGIN, samples.size)
    return samples[start:end]


def _window_rms(samples: Samples) -> npt.NDArray[np.float64]:
    # The tail shorter than a window joins the windows as a zero-padded one.
    padded = np.zeros(-(-samples.size // _WINDOW) * _WINDOW, dtype=np.float64)
    padded[: samples.size] = samples
    windows = padded.reshape(-1, _WINDOW)
    rms: npt.NDArray[np.float64] = np.sqrt((windows**2).mean(axis=1))
    return rms


def _match_loudness(samples: Samples) -> Samples:
    as_float = samples.astype(np.float64)
    rms = float(np.sqrt((as_float**2).mean()))
    peak = float(np.abs(as_float).max())
    gain = min(_TARGET_RMS / rms, _MAX_PEAK / peak)
    return np.clip(np.round(as_float * gain), -32768, 32767).astype(np.int16)


def wav_bytes(frames: bytes) -> bytes:
    """A WAV file (header + data) holding `frames` of the clip format."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(CHANNELS)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(RATE)
        out.writeframes(frames)
    return buffer.getvalue()


def read_frames(path: Path) -> bytes:
    """The frames of a WAV file in the clip format; AudioError if it is anything else."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise AudioError(f"{path} is not a readable WAV: {error}") from error
    return clip_frames(data, str(path))


def clip_frames(data: bytes, name: str = "the audio") -> bytes:
    """The frames of WAV bytes in the clip format; AudioError if they are anything else.

    A file cut short (a crash mid-copy, a full disk) is caught by its size disagreeing with
    the header, which `wave` alone would accept.
    """
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            shape = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate())
            expected = wav.getnframes() * wav.getsampwidth() * wav.getnchannels()
            frames = wav.readframes(wav.getnframes())
    except (EOFError, RuntimeError, wave.Error) as error:  # RuntimeError: a bad chunk size
        raise AudioError(f"{name} is not a readable WAV: {error}") from error
    if shape != (CHANNELS, SAMPLE_WIDTH, RATE):
        raise AudioError(f"{name} is {shape} (channels, bytes, rate), not the clip format")
    if not frames or len(frames) != expected:
        raise AudioError(f"{name} holds {len(frames)} bytes of samples, its header says {expected}")
    return frames
