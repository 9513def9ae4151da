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
    ("command round trip p50 (ms)", lambda f: f.round_trip, "{:.2f}"),
    ("server CPU per delivery (us)", lambda f: f.cpu_per_delivery, "{:.1f}"),
    ("memory per idle connection (KiB)", lambda f: f.memory / 1024, "{:.1f}"),
    ("burst drain, 200 calls (s)", lambda f: f.drain, "{:.2f}"),
    ("time to connect the screens (s)", lambda f: f.connect_time, "{:.1f}"),
]
WIDTHS = (9, 34, 14, 14, 13)


def _line(*cells: str) -> str:
    first, *rest = cells
    return (
        first.rjust(WIDTHS[0])
        + "  "
        + rest[0].ljust(WIDTHS[1])
        + "".join(cell.rjust(width) for cell, width in zip(rest[1:], WIDTHS[2:], strict=True))
    )


def _ratio(app: float, baseline: float) -> str:
    if math.isnan(app) or math.isnan(baseline) or baseline == 0:
        return "-"
    return f"{app / baseline:.2f}"


def _size_lines(app: Figures, baseline: Figures) -> list[str]:
    lines = []
    for number, (name, value, form) in enumerate(ROWS):
        a, b = value(app), value(baseline)
        size = str(app.wanted) if number == 0 else ""
        lines.append(_line(size, name, form.format(a), form.format(b), _ratio(a, b)))
    lines.append(_line("", "screens connected", str(app.screens), str(baseline.screens), "-"))
    lines.append(
        _line("", "frame size (bytes)", str(len(app.frame)), str(len(baseline.frame)), "-")
    )
    lines.append(_line("", "screens missing a call (burst)", _missed(app), _missed(baseline), "-"))
    lines.append(
        _line(
            "",
            "receipts missing (latency calls)",
            str(app.latency_missed),
            str(baseline.latency_missed),
            "-",
        )
    )
    return lines + [f"{'':>11}note: {n}" for n in _notes(app) + _notes(baseline)]


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


def print_table(results: list[tuple[Figures, Figures] | tuple[int, str]]) -> None:
    """The figures per size: app, baseline and app/baseline."""
    print()
    print(_line("screens", "figure", "app", "baseline", "app/baseline"))
    for result in results:
        print("-" * sum(WIDTHS, 2))
        if isinstance(result[0], Figures) and isinstance(result[1], Figures):
            print("\n".join(_size_lines(result[0], result[1])))
        else:
            print(_line(str(result[0]), str(result[1]), "", "", ""))
