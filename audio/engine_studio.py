"""The venue's own voice, recorded in the studio (`/manager/voice`): the chosen take of each
clip, as `audio.voice.VoiceBook` last read it from the venue's voice log."""

from __future__ import annotations

from collections.abc import Mapping

from audio.engines import EngineError
from audio.pcm import wav_bytes
from audio.wording import Clip

__all__ = ["StudioEngine"]


class StudioEngine:
    """Says the clips the venue recorded; nothing for the others (the next engine does)."""

    name = "studio"
    local = True
    # A take is stored in the clip format already (trimmed, matched, gap included).
    finished = True

    def __init__(self) -> None:
        # Clip key -> (sha256 of the frames, frames). Replaced whole, never changed in
        # place: render threads read it while the event loop sets a new one.
        self._chosen: Mapping[str, tuple[str, bytes]] = {}

    def use(self, chosen: Mapping[str, tuple[str, bytes]]) -> None:
        self._chosen = dict(chosen)

    def identity(self, clip: Clip) -> str | None:
        found = self._chosen.get(clip.key)
        return None if found is None else f"studio|{clip.key}|{found[0]}"

    def render(self, clip: Clip) -> bytes:
        found = self._chosen.get(clip.key)
        if found is None:
            raise EngineError(f"the venue recorded no take of {clip.key!r}")
        return wav_bytes(found[1])
