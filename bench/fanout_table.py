"""The figures `bench.fanout` measures per target and size, and the table it prints."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Figures:
    """One target (app or baseline) at one size."""

    target: str
    wanted: int
    screens: int = 0
    errors: list[str] = field(default_factory=list)
    memory: float = math.nan  # bytes of server RSS per idle connection
    latencies: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    round_trips: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    latency_missed: int = 0
    unstamped_reads: int = 0  # reads timed by the client's clock: the kernel gave no stamp
    cpu: float = math.nan  # server CPU seconds over the burst
    deliveries: int = 0
    drain: float = math.nan  # seconds
    missed_screens: int = 0
    connect_time: float = math.nan  # seconds to open the screens
    frame: bytes = b""  # the last zone frame (8 recent calls), as sent to each screen
    # The server's own times over the latency calls (ms, p50 and p99, read from /metrics):
    # a command to its first framed view, and the broadcast of one message (app only).
    prepare: tuple[float, float] = (math.nan, math.nan)
    broadcast: tuple[float, float] = (math.nan, math.nan)
    # Latency p99 of the other screens while one screen of the zone stopped reading (ms),
    # the close code that stalled screen read once it read again (0: none came, CUT_OFF:
    # the server had given up on it and reset the connection, its close frame unread),
    # and how many screens the server itself closed as too slow meanwhile (/metrics).
    stalled_p99: float = math.nan
    stalled_code: int = 0
    too_slow: float = math.nan

    def latency(self, q: float) -> float:
        return _ms(self.latencies, q)

    @property
    def round_trip(self) -> float:
        return _ms(self.round_trips, 50)

    @property
    def cpu_per_delivery(self) -> float:
        return self.cpu / self.deliveries * 1e6 if self.deliveries else math.nan


def _ms(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) / 1e6 if values.size else math.nan


Row = tuple[str, Callable[[Figures], float], str]
ROWS: list[Row] = [
    ("latency p50 (ms)", lambda f: f.latency(50), "{:.2f}"),
    ("latency p99 (ms)", lambda f: f.latency(99), "{:.2f}"),
    ("latency max (ms)", lambda f: f.latency(100), "{:.2f}"),
    ("p99 with one screen stalled (ms)", lambda f: f.stalled_p99, "{:.2f}"),
    ("command round trip p50 (ms)", lambda f: f.round_trip, "{:.2f}"),
    ("server: command to frame p50 (ms)", lambda f: f.prepare[0], "{:.3f}"),
    ("server: command to frame p99 (ms)", lambda f: f.prepare[1], "{:.3f}"),
    ("server: broadcast p50 (ms)", lambda f: f.broadcast[0], "{:.3f}"),
    ("server: broadcast p99 (ms)", lambda f: f.broadcast[1], "{:.3f}"),
    ("server CPU per delivery (us)", lambda f: f.cpu_per_delivery, "{:.1f}"),
    ("memory per idle connection (KiB)", lambda f: f.memory / 1024, "{:.1f}"),
    ("burst drain, 200 calls (s)", lambda f: f.drain, "{:.2f}"),
    ("time to connect the screens (s)", lambda f: f.connect_time, "{:.1f}"),
]
WIDTHS = (9, 36, 13)  # size, figure, then each value and ratio column


def _line(*cells: str) -> str:
    first, name, *rest = cells
    return (
        first.rjust(WIDTHS[0])
        + "  "
        + name.ljust(WIDTHS[1])
        + "".join(c.rjust(WIDTHS[2]) for c in rest)
    )


def _ratio(value: float, baseline: float) -> str:
    if math.isnan(value) or math.isnan(baseline) or baseline == 0:
        return "-"
    return f"{value / baseline:.2f}"


def _size_lines(targets: list[Figures]) -> list[str]:
    """One size: every target's figures, the baseline (the last) included, then each
    target's ratio to the baseline."""
    *designs, baseline = targets
    lines = []
    for number, (name, value, form) in enumerate(ROWS):
        values = [value(f) for f in targets]
        ratios = [_ratio(value(f), value(baseline)) for f in designs]
        size = str(baseline.wanted) if number == 0 else ""
        lines.append(_line(size, name, *(form.format(v) for v in values), *ratios))
    dashes = ["-"] * len(designs)
    facts: list[tuple[str, Callable[[Figures], str]]] = [
        ("screens connected", lambda f: str(f.screens)),
        ("frame size (bytes)", lambda f: str(len(f.frame))),
        ("screens missing a call (burst)", _missed),
        ("receipts missing (latency calls)", lambda f: str(f.latency_missed)),
        ("stalled screen closed with", _stalled_end),
        ("server: closed as too slow (4008)", _too_slow),
    ]
    for name, fact in facts:
        lines.append(_line("", name, *(fact(f) for f in targets), *dashes))
    notes = [n for f in targets for n in _notes(f)]
    return lines + [f"{'':>11}note: {n}" for n in notes]


def _missed(figures: Figures) -> str:
    return f"{figures.missed_screens}/{figures.screens}"


def _notes(figures: Figures) -> list[str]:
    notes = []
    if figures.unstamped_reads:
        notes.append(f"{figures.target}: {figures.unstamped_reads} reads had no kernel time stamp")
    if figures.screens < figures.wanted:
        reason = "; ".join(dict.fromkeys(figures.errors)) or "no error reported"
        notes.append(
            f"{figures.target}: only {figures.screens} of {figures.wanted} screens connected ({reason})"
        )
    return notes


def print_table(results: list[list[Figures] | tuple[int, str]]) -> None:
    """The figures per size: each target, the baseline last, and each one's ratio to it."""
    names = next((r for r in results if isinstance(r, list)), None)
    print()
    if names is None:
        print("no size was measured")
    else:
        ratios = [f"{f.target}/base" for f in names[:-1]]  # the baseline is last
        print(_line("screens", "figure", *(f.target for f in names), *ratios))
    for result in results:
        print("-" * (WIDTHS[0] + 2 + WIDTHS[1] + WIDTHS[2] * 5))
        if isinstance(result, list):
            print("\n".join(_size_lines(result)))
        else:
            print(_line(str(result[0]), str(result[1])))


CUT_OFF = -1


def _stalled_end(figures: Figures) -> str:
    if figures.stalled_code == CUT_OFF:
        return "cut off"
    return str(figures.stalled_code or "not closed")


def _too_slow(figures: Figures) -> str:
    return "-" if math.isnan(figures.too_slow) else f"{figures.too_slow:.0f}"
