"""Speech engines: the interface every engine meets, and the factory that picks them by name.

An engine turns a `Clip` into encoded audio (any format `pcm.decode` reads); the clip
library normalizes and caches it. Engines are tried best first, per clip: a venue's
recordings, then gTTS, then espeak-ng, and a generated tone for the chime. Each
implementation lives in `engine_<name>.py` and is imported only when chosen, so gTTS (and
its network stack) stays out of a process that does not use it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from audio.wording import Clip

__all__ = ["ENGINE_NAMES", "Engine", "EngineError", "EngineUnavailable", "make_engines"]

# Best first. "tone" makes only the chime and is always added last.
ENGINE_NAMES = ("recorded", "gtts", "espeak")


class EngineError(Exception):
    """This engine could not render this clip; the next engine should try."""


class EngineUnavailable(EngineError):
    """This engine cannot render anything now (no network, no binary); skip it for a while."""


class Engine(Protocol):
    """What the clip library needs from an engine."""

    @property
    def name(self) -> str: ...

    @property
    def local(self) -> bool:
        """True when rendering needs no network: allowed as a last resort at call time."""
        ...

    @property
    def finished(self) -> bool:
        """True when it renders clips already in the clip format (the studio's takes:
        trimmed, matched, gap included), kept as they come so their samples and hashes
        stay the same; any other engine's audio is normalized first."""
        ...

    def identity(self, clip: Clip) -> str | None:
        """Everything the rendered audio depends on (engine, version, voice, text).

        None when this engine cannot say the clip at all (no recording for it, no text).
        """
        ...

    def render(self, clip: Clip) -> bytes:
        """The clip as encoded audio; EngineError when it cannot be made."""
        ...


def make_engines(
    names: Iterable[str], *, recorded: Path | None = None, gtts_timeout: float = 5.0
) -> list[Engine]:
    """The named engines in the given order, then the chime tone.

    "recorded" without a folder is left out: there is nothing to read.
    """
    engines: list[Engine] = []
    for name in names:
        if name not in ENGINE_NAMES:
            raise ValueError(f"unknown engine {name!r}; choose from {', '.join(ENGINE_NAMES)}")
        if name == "recorded" and recorded is None:
            continue
        engines.append(_make(name, recorded, gtts_timeout))
    engines.append(_make("tone", recorded, gtts_timeout))
    return engines


def _make(name: str, recorded: Path | None, gtts_timeout: float) -> Engine:
    module = importlib.import_module(f"audio.engine_{name}")
    if name == "recorded":
        engine: Engine = module.RecordedEngine(recorded)
    elif name == "gtts":
        engine = module.GttsEngine(timeout=gtts_timeout)
    elif name == "espeak":
        engine = module.EspeakEngine()
    else:
        engine = module.ToneEngine()
    return engine
