"""The clip cache: content-addressed WAV files that survive restarts.

A clip's file name is a hash of everything its audio depends on: the engine's identity
(engine, version, voice, text) and the clip format. So a changed text, voice or engine
version is simply a different file, and nothing is ever invalidated by hand. Joined
announcements are named by a hash of their clips' names, which are content hashes already.

Writes go to a temporary file in the same folder and are renamed into place, so a reader
(or a crash) never sees half a file. A file that is nevertheless unreadable is logged,
removed, and reported as missing, so the caller falls back instead of failing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from audio.pcm import FORMAT_ID, AudioError, read_frames, wav_bytes

__all__ = ["ClipCache"]

log = logging.getLogger(__name__)

# What `wave` writes before the samples; every file in the cache is written by `wave`.
_WAV_HEADER = 44


class ClipCache:
    """Clips in `<root>/clips/`, joined announcements in `<root>/joined/`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clips = root / "clips"
        self.joined = root / "joined"

    def clip_path(self, identity: str) -> Path:
        """Where the clip rendered as `identity` (see `Engine.identity`) is kept."""
        return self.clips / f"{_digest(FORMAT_ID, identity)}.wav"

    def joined_path(self, clips: Sequence[Path]) -> Path:
        """Where the announcement made of `clips`, in this order, is kept."""
        return self.joined / f"{_digest(*(p.name for p in clips))}.wav"

    def read(self, path: Path) -> bytes | None:
        """The samples of a cached file; None when it is missing or unreadable (then removed)."""
        if not path.exists():
            return None
        try:
            return read_frames(path)
        except AudioError as error:
            log.warning("removing a corrupt cached clip, falling back: %s", error)
            path.unlink(missing_ok=True)
            return None

    def write(self, path: Path, frames: bytes, *, durable: bool = True) -> None:
        """Store `frames` as a WAV at `path`, atomically.

        `durable=False` skips the fsync: for joined announcements on the call path, which
        are rebuilt from their clips if a power cut leaves them empty (their size is checked
        before use), and where an fsync would cost more than the whole join.
        """
        _write_atomic(path, wav_bytes(frames), durable)

    def is_joined(self, joined: Path, clips: Sequence[Path]) -> bool:
        """Whether `joined` exists and is as long as its clips together: stat calls only.

        The size check catches a truncated file without reading the samples.
        """
        try:
            sizes = [p.stat().st_size - _WAV_HEADER for p in clips]
            return joined.stat().st_size == _WAV_HEADER + sum(sizes)
        except OSError:
            return False

    def prune_joined(self, keep: int) -> int:
        """Remove all but the `keep` newest joined announcements; how many were removed."""
        try:
            files = sorted(os.scandir(self.joined), key=lambda e: e.stat().st_mtime_ns)
        except FileNotFoundError:
            return 0
        stale = files[: max(len(files) - keep, 0)]
        for entry in stale:
            Path(entry.path).unlink(missing_ok=True)
        return len(stale)


def _digest(*parts: str) -> str:
    # A separator no part contains, so ("ab", "c") and ("a", "bc") differ.
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _write_atomic(path: Path, data: bytes, durable: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".wav")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
