"""How long a month report takes, against just reading the month's log.

    uv run python -m bench.report_month [DAYS] [DB]

Simulates DAYS (default 30) consecutive busy days (`bench.busy_day`, a new seed each day)
into a SQLite log, or reuses DB when it already holds them, then times, best of 3:
  baseline   reading every event of the log in pages of 5,000 and decoding it (msgspec)
  report     `build_report` for the whole period: the same reading, plus the fold
  csv, pdf   rendering that report as files
and prints each with its ratio to the baseline measured in the same run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.busy_day import VENUE, busy_days
from managers.ikm import PAGE
from managers.report_csv import render_csv
from managers.report_pdf import render_pdf
from managers.report_wording import Lang
from managers.reports import Report, build_report
from server.domain.events import decode_event, encode_event
from server.store.sqlite import SqliteLog

FIRST = dt.date(2026, 11, 1)


async def _fill(log: SqliteLog, days: int) -> int:
    head = await log.head(VENUE.id)
    if head:
        return head
    for number, events in enumerate(busy_days(FIRST, days), start=1):
        batch = [encode_event(e) for e in events]
        for first in range(0, len(batch), 1000):
            part = batch[first : first + 1000]
            await log.append(VENUE.id, head, part, f"day{number}-{first}")
            head += len(part)
        print(f"\r  simulated {number}/{days} days, {head:,} events", end="", file=sys.stderr)
    print(file=sys.stderr)
    return head


async def _read_all(log: SqliteLog) -> int:
    after = count = 0
    while True:
        records = await log.read(VENUE.id, after, PAGE)
        for record in records:
            decode_event(record.data)
            after = record.seq
        count += len(records)
        if len(records) < PAGE:
            return count


async def _best_of(runs: int, work: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await work()
        times.append(time.perf_counter() - began)
    return min(times)


async def _run(path: Path, days: int) -> None:
    log = SqliteLog(str(path))
    try:
        events = await _fill(log, days)
        end = FIRST + dt.timedelta(days=days - 1)
        report: list[Report] = []

        async def build() -> None:
            report[:] = [await build_report(log, VENUE, FIRST, end)]

        async def render(fn: Callable[[Report, Lang], bytes]) -> None:
            await asyncio.to_thread(fn, report[0], "id")

        baseline = await _best_of(3, lambda: _read_all(log))
        built = await _best_of(3, build)
        csv_time = await _best_of(3, lambda: render(render_csv))
        pdf_time = await _best_of(3, lambda: render(render_pdf))
    finally:
        await log.close()
    total = report[0].total
    print(
        f"month report, {FIRST} to {end}: {events:,} events, {total.issued:,} tickets, "
        f"{len(VENUE.tenants)} tenants (best of 3)"
    )
    print(f"{'what':<10} {'seconds':>8} {'µs/event':>9} {'× baseline':>11}")
    for name, seconds in (
        ("baseline", baseline),
        ("report", built),
        ("csv", csv_time),
        ("pdf", pdf_time),
    ):
        per_event = seconds / events * 1e6
        print(f"{name:<10} {seconds:>8.3f} {per_event:>9.2f} {seconds / baseline:>11.2f}")


def main(days: int, db: str | None) -> None:
    if db:
        asyncio.run(_run(Path(db), days))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_run(Path(tmp) / "month.db", days))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30, sys.argv[2] if len(sys.argv) > 2 else None)
