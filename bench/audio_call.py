"""Call -> WAV ready: how long the call path takes to hand a display its announcement.

    uv run python -m bench.audio_call [CALLS]

Renders the demo venue's vocabulary with espeak-ng into a temporary cache (not timed), then
times, for CALLS random calls (default 1,000; random counter, prefix, number 1-400, one in
ten a recall):
  baseline  reading one already-joined announcement WAV from disk: the floor for any
            "look it up" design
  join      `ClipLibrary.announcement` for a call never made before: clips read, checked,
            concatenated and written
  repeat    the same calls again: the joined WAV is found by its content hash
and prints p50 and p99 of each, with the ratio to the baseline measured in the same run.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from audio.engines import make_engines
from audio.library import ClipLibrary
from audio.wording import Call, call_for
from server.config import DEMO_VENUE, load_venue
from server.domain.venue import Venue


def random_calls(venue: Venue, count: int, seed: int = 7) -> list[Call]:
    """`count` calls a busy day could make at `venue`, the same for a given seed."""
    rng = random.Random(seed)
    prefixes = sorted({s.prefix for s in venue.services.values()})
    counters = sorted(venue.counters)
    return [
        call_for(
            venue,
            rng.choice(counters),
            f"{rng.choice(prefixes)}-{rng.randint(1, 400):03d}",
            recall=rng.random() < 0.1,
        )
        for _ in range(count)
    ]


def timings(action: Callable[[int], object], count: int) -> list[float]:
    """Seconds taken by `action(i)` for i in 0..count-1, one measurement each."""
    seconds = []
    for i in range(count):
        started = time.perf_counter()
        action(i)
        seconds.append(time.perf_counter() - started)
    return seconds


def percentile(samples: Sequence[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def report(name: str, samples: Sequence[float], baseline: Sequence[float]) -> None:
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    ratio50, ratio99 = p50 / percentile(baseline, 50), p99 / percentile(baseline, 99)
    print(
        f"{name:<9} p50 {p50 * 1000:7.3f} ms  p99 {p99 * 1000:7.3f} ms"
        f"   x{ratio50:6.1f} / x{ratio99:6.1f} baseline"
    )


def main(argv: Sequence[str]) -> int:
    count = int(argv[0]) if argv else 1000
    venue = load_venue(DEMO_VENUE)
    calls = random_calls(venue, count)
    with tempfile.TemporaryDirectory(prefix="antrean-bench-audio-") as folder:
        library = ClipLibrary(Path(folder), make_engines(["espeak"]))
        summary = library.render_vocabulary(venue)
        print(f"rendered {summary.clips} clips with espeak-ng in {summary.seconds:.2f} s")
        sample = library.announcement(calls[0]).path
        baseline = timings(lambda i: sample.read_bytes(), count)
        join = timings(lambda i: library.announcement(calls[i]), count)
        repeat = timings(lambda i: library.announcement(calls[i]), count)
        distinct = len({library.announcement(c).id for c in calls})
    print(f"{count} calls ({distinct} distinct announcements), p50/p99 ratio to baseline:")
    report("baseline", baseline, baseline)
    report("join", join, baseline)
    report("repeat", repeat, baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
