"""The clip library: renders a venue's vocabulary ahead of time, and joins announcements.

`render_vocabulary` is the slow part (network, synthesis) and runs before opening or in the
background. `announcement` is on the call path: it looks clips up and concatenates their
samples, and synthesizes only as a logged last resort, with a local engine, for a clip that
was never rendered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

import msgspec

from audio.cache import ClipCache
from audio.engines import Engine, EngineError, EngineUnavailable
from audio.guide import speakable
from audio.pcm import CHANNELS, RATE, SAMPLE_WIDTH, AudioError, clip_frames, decode, normalize
from audio.wording import (
    DEFAULT_STYLE,
    AnnouncementStyle,
    Call,
    Clip,
    announcement_clips,
)
from server.domain.venue import Venue

__all__ = [
    "Announcement",
    "AnnouncementError",
    "ClipLibrary",
    "EngineSummary",
    "Progress",
    "RenderSummary",
    "TooLong",
]

log = logging.getLogger(__name__)

Outcome = Literal["rendered", "cached", "failed"]

# Called after each clip of a render: (clips done, clips in all, the clip's key).
Progress = Callable[[int, int, str], None]

# Joined announcements are kept for replay and recall; a busy day makes thousands.
_DEFAULT_MAX_JOINED = 2000
_PRUNE_EVERY = 64
# Clips whose samples are kept in memory, oldest read first out: a vocabulary and its retakes.
_MAX_KEPT_CLIPS = 2000
BYTES_PER_SECOND = RATE * SAMPLE_WIDTH * CHANNELS


class Announcement(NamedTuple):
    """A joined announcement: its id (a content hash) and the WAV to play."""

    id: str
    path: Path


class AnnouncementError(Exception):
    """No engine could provide a clip: the call goes on silently (screens still show it)."""


class TooLong(Exception):
    """The clips asked for would last longer than allowed: nothing was joined."""


class EngineSummary(msgspec.Struct):
    """What one engine did during a render: clips rendered now, found cached, or failed."""

    rendered: int = 0
    cached: int = 0
    failed: int = 0

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


class RenderSummary(msgspec.Struct):
    """The outcome of rendering a vocabulary, engine by engine (in order of preference)."""

    engines: dict[str, EngineSummary]
    clips: int
    missing: tuple[str, ...]
    seconds: float


class ClipLibrary:
    """Clips of one style, rendered by `engines` (best first), kept under `cache_dir`."""

    def __init__(
        self,
        cache_dir: Path,
        engines: Sequence[Engine],
        style: AnnouncementStyle = DEFAULT_STYLE,
        *,
        max_joined: int = _DEFAULT_MAX_JOINED,
    ) -> None:
        self.cache = ClipCache(cache_dir)
        self.engines = tuple(engines)
        self.style = style
        self.max_joined = max_joined
        self._joined_since_prune = 0
        self._frames: dict[Path, bytes] = {}
        self._speakable: tuple[Venue, dict[str, Clip]] | None = None
        self._stopping = threading.Event()

    # -- ahead of time ---------------------------------------------------------------------

    def render_vocabulary(self, venue: Venue, progress: Progress | None = None) -> RenderSummary:
        """Make sure every clip the venue can say (its calls', then the kiosk guidance's) is
        cached, by the best engine that can say it."""
        return self.render_clips(tuple(self.speakable(venue).values()), progress)

    def render_clips(
        self, clips: Sequence[Clip], progress: Progress | None = None
    ) -> RenderSummary:
        """Make sure each of `clips` is cached, by the best engine that can say it."""
        started = time.perf_counter()
        summary = {engine.name: EngineSummary() for engine in self.engines}
        down: set[str] = set()
        missing = []
        for done, clip in enumerate(clips, start=1):
            if self._stopping.is_set():
                log.info("rendering stopped after %d of %d clips", done - 1, len(clips))
                break
            if self._ensure(clip, summary, down) is None:
                log.error("no engine could render clip %r (%r)", clip.key, clip.text)
                missing.append(clip.key)
            if progress is not None:
                progress(done, len(clips), clip.key)
        seconds = time.perf_counter() - started
        return RenderSummary(summary, len(clips), tuple(missing), seconds)

    def _ensure(self, clip: Clip, summary: dict[str, EngineSummary], down: set[str]) -> Path | None:
        for engine in self.engines:
            path = self._path(engine, clip)
            if path is None:
                continue
            outcome = self._outcome(engine, clip, path, down)
            summary[engine.name].add(outcome)
            if outcome != "failed":
                return path
        return None

    def _outcome(self, engine: Engine, clip: Clip, path: Path, down: set[str]) -> Outcome:
        # The cache is looked at first: gTTS clips rendered while online still count offline.
        if self.cache.read(path) is not None:
            return "cached"
        if engine.name in down:
            return "failed"
        try:
            self._render(engine, clip, path)
        except EngineUnavailable as error:
            log.warning("%s is unavailable for the rest of this render: %s", engine.name, error)
            down.add(engine.name)
            return "failed"
        except (EngineError, AudioError) as error:
            log.warning("%s could not render %r, next engine: %s", engine.name, clip.key, error)
            return "failed"
        return "rendered"

    def _render(self, engine: Engine, clip: Clip, path: Path) -> None:
        audio = engine.render(clip)
        if self._path(engine, clip) != path:
            # The studio chose another take meanwhile: these samples are not `path`'s.
            raise EngineError(f"{clip.key!r} changed while {engine.name} rendered it")
        frames = clip_frames(audio) if engine.finished else normalize(decode(audio)).tobytes()
        self.cache.write(path, frames)

    def _path(self, engine: Engine, clip: Clip) -> Path | None:
        identity = engine.identity(clip)
        return None if identity is None else self.cache.clip_path(identity)

    def stop_rendering(self) -> None:
        """A render running in another thread ends after its current clip (the server is
        stopping: it need not wait for a venue's hundreds of clips; the next start goes on
        where the cache stops)."""
        self._stopping.set()

    def speakable(self, venue: Venue) -> dict[str, Clip]:
        """Every clip `venue` can say in this style, by key, in speaking order (made once)."""
        if self._speakable is None or self._speakable[0] is not venue:
            self._speakable = (venue, speakable(venue, self.style))
        return self._speakable[1]

    def clip(self, venue: Venue, key: str) -> Clip | None:
        """The clip `key` among those `venue` can say, or None."""
        return self.speakable(venue).get(key)

    # -- on the call path --------------------------------------------------------------------

    def announcement(self, call: Call) -> Announcement:
        """The joined WAV for `call`, from cached clips; AnnouncementError if a clip is lost."""
        return self.say(announcement_clips(call, self.style))

    def say(self, clips: Sequence[Clip], *, max_seconds: float | None = None) -> Announcement:
        """The joined WAV of `clips`, in order (a call, or the kiosk's guidance); TooLong,
        and nothing written, if it would last more than `max_seconds`."""
        cached = [self._first_cached(clip) for clip in clips]
        if all(cached):
            paths = [p for p in cached if p is not None]
            joined = self.cache.joined_path(paths)
            if self.cache.is_joined(joined, paths):
                return Announcement(joined.stem, joined)
        parts = [self._clip_frames(clip) for clip in clips]
        length = sum(len(frames) for _, frames in parts)
        if max_seconds is not None and length > max_seconds * BYTES_PER_SECOND:
            raise TooLong(f"{len(clips)} clips last more than {max_seconds} s")
        return self._join(parts)

    def _first_cached(self, clip: Clip) -> Path | None:
        # Existence only: the samples are read (and checked) when the join must be made. A
        # studio take not cached yet (recorded in another process) is copied in, not passed
        # over for an older voice: it is what the venue chose to hear.
        for engine in self.engines:
            path = self._path(engine, clip)
            if path is not None and path.exists():
                return path
            if path is not None and engine.finished:
                return None
        return None

    def _clip_frames(self, clip: Clip) -> tuple[Path, bytes]:
        for engine in self.engines:
            path = self._path(engine, clip)
            frames = None if path is None else self._read(path)
            if path is not None and frames is None and engine.finished:
                frames = self._render_now(engine, clip, path)
            if path is not None and frames is not None:
                return path, frames
        # Nothing cached: the first local engine that can render it now.
        for engine in (e for e in self.engines if e.local and not e.finished):
            path = self._path(engine, clip)
            frames = None if path is None else self._render_now(engine, clip, path)
            if path is not None and frames is not None:
                return path, frames
        raise AnnouncementError(f"no engine can provide the clip {clip.key!r} ({clip.text!r})")

    def _read(self, path: Path) -> bytes | None:
        # Clips are content-addressed, so samples read (and checked) once stay right; the
        # whole vocabulary is a few megabytes, and this halves the time of a new join.
        frames = self._frames.get(path)
        if frames is None:
            frames = self.cache.read(path)
            if frames is not None:
                if len(self._frames) >= _MAX_KEPT_CLIPS:  # retakes add paths all year
                    self._frames.pop(next(iter(self._frames)))
                self._frames[path] = frames
        return frames

    def _render_now(self, engine: Engine, clip: Clip, path: Path) -> bytes | None:
        log.warning("clip %r was not rendered; rendering it now with %s", clip.key, engine.name)
        try:
            self._render(engine, clip, path)
        except (EngineError, AudioError) as error:
            log.error("%s could not render %r at call time: %s", engine.name, clip.key, error)
            return None
        return self._read(path)

    def _join(self, clips: list[tuple[Path, bytes]]) -> Announcement:
        # Every clip has the same format, so joining is concatenating samples.
        joined = self.cache.joined_path([path for path, _ in clips])
        self.cache.write(joined, b"".join(frames for _, frames in clips), durable=False)
        self._joined_since_prune += 1
        if self._joined_since_prune >= _PRUNE_EVERY:
            self._joined_since_prune = 0
            self.cache.prune_joined(self.max_joined)
        return Announcement(joined.stem, joined)
