"""What one `/metrics` scrape costs as the line grows: 0, 1,000 and 5,000 tickets waiting.

    uv run python -m bench.metrics_scrape

Method. For each size, a state with that many tickets waiting (`bench.estimate.morning`,
the Merdeka venue's 16 services), an app's `Metrics` watching it, and the best of 50
renderings of the whole exposition (`Metrics.exposition`, what `/metrics` answers).
Baseline: the same registry without the queue's collector (process, platform and GC
metrics only), measured in the same run. The ratio is scrape / baseline; flat across the
sizes means the waiting gauge costs O(services), not O(tickets). The last column is what
counting the waiting tickets by scanning the state would cost per scrape instead.
"""

from __future__ import annotations

from bench.estimate import VENUE_FILE, morning
from bench.replay import best_of
from server.config import load_venue
from server.metrics import Metrics

SIZES = (0, 1_000, 5_000)
RUNS = 50


def main() -> None:
    venue = load_venue(VENUE_FILE)
    baseline = best_of(RUNS, Metrics().exposition)
    print(f"baseline (process metrics only): {baseline * 1e3:.3f} ms per scrape\n")
    print(f"{'waiting':>8}  {'scrape (ms)':>12}  {'ratio':>6}  {'scan instead (ms)':>18}")
    for size in SIZES:
        state, _ = morning(venue, size, "closed")
        metrics = Metrics()
        metrics.watch(venue, state)
        scrape = best_of(RUNS, metrics.exposition)
        scan = best_of(RUNS, lambda: sum(1 for _ in state.waiting()))  # noqa: B023
        ratio = scrape / baseline
        print(f"{size:>8,}  {scrape * 1e3:>12.3f}  {ratio:>6.2f}  {scan * 1e3:>18.3f}")


if __name__ == "__main__":
    main()
