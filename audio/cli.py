"""`antrean render-audio`: render a venue's clip vocabulary ahead of time.

    antrean render-audio [--venue FILE] [--cache DIR] [--engines recorded,gtts,espeak]
                         [--recorded DIR] [--gtts-timeout SECONDS]

Shows a progress bar on stderr and ends with a table of what each engine did. Exits 0 when
every clip has audio (espeak-ng alone is enough), 1 when some clip has none, 2 on a bad
argument or venue file.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from audio.engines import ENGINE_NAMES, make_engines
from audio.library import ClipLibrary, RenderSummary
from server.config import DEMO_VENUE, ConfigError, load_venue

__all__ = ["DEFAULT_CACHE", "render_audio_main"]

DEFAULT_CACHE = Path("data") / "audio"
_BAR_WIDTH = 30


def render_audio_main(argv: Sequence[str]) -> int:
    """Run `antrean render-audio` with `argv` (the arguments after the command name)."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        engines = make_engines(
            _engine_names(args.engines), recorded=args.recorded, gtts_timeout=args.gtts_timeout
        )
        venue = load_venue(args.venue)
    except ValueError as error:
        parser.error(str(error))  # exits 2 with the usage line
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    library = ClipLibrary(args.cache, engines, venue.announcements)
    summary = library.render_vocabulary(venue, _ProgressBar(sys.stderr))
    print(_table(summary, args.cache))
    return 0 if not summary.missing else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antrean render-audio", description="Render the venue's announcement clips."
    )
    parser.add_argument("--venue", type=Path, default=DEMO_VENUE, help="venue TOML file")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="clip cache folder")
    parser.add_argument(
        "--engines",
        default=",".join(ENGINE_NAMES),
        help="engines, best first, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--recorded", type=Path, help="folder of recordings, <clip-key>.wav")
    parser.add_argument("--gtts-timeout", type=float, default=5.0, help="seconds per request")
    return parser


def _engine_names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


class _ProgressBar:
    """`[#####.....]  23/76  angka_7` redrawn in place on a terminal, one line otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, done: int, total: int, key: str) -> None:
        filled = _BAR_WIDTH * done // total
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        # Padding clears the rest of a longer key left by the previous redraw.
        self.stream.write(f"\r[{bar}] {done:>4}/{total} {key:<40}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def _table(summary: RenderSummary, cache: Path) -> str:
    rows = [f"{'engine':<10} {'rendered':>8} {'cached':>8} {'failed':>8}"]
    for name, counts in summary.engines.items():
        rows.append(f"{name:<10} {counts.rendered:>8} {counts.cached:>8} {counts.failed:>8}")
    rows.append(f"{summary.clips} clips in {summary.seconds:.1f} s, cached in {cache}")
    if summary.missing:
        rows.append(f"NO AUDIO for {len(summary.missing)} clips: {', '.join(summary.missing)}")
    return "\n".join(rows)
