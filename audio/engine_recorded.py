"""Human recordings supplied by the venue: a folder of `<clip-key>.wav` (or any format
miniaudio reads, as long as it is named `.wav`)."""

from __future__ import annotations

from pathlib import Path

from audio.engines import EngineError
from audio.wording import Clip

__all__ = ["RecordedEngine"]


class RecordedEngine:
    """Reads `<folder>/<clip-key>.wav`; says nothing for clips without a recording."""

    name = "recorded"
    local = True
    finished = False

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def identity(self, clip: Clip) -> str | None:
        # Size and modification time instead of a content hash: this runs at call time, and
        # a replaced recording changes both.
        try:
            stat = self._path(clip).stat()
        except OSError:
            return None
        return f"recorded|{clip.key}|{stat.st_size}|{stat.st_mtime_ns}"

    def render(self, clip: Clip) -> bytes:
        try:
            return self._path(clip).read_bytes()
        except OSError as error:
            raise EngineError(f"cannot read the recording of {clip.key!r}: {error}") from error

    def _path(self, clip: Clip) -> Path:
        return self.folder / f"{clip.key}.wav"
