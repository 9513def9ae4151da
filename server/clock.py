"""The venue clock: what the queue and everything it shows reads for "now".

`create_app` takes it from the settings (real UTC time, or for demos and tests a clock that
starts at a chosen instant and can be jumped forward) and hands the same function to the
queue, the views, the dashboard and the socket's audio reports; the pages pass its reading
to the browser, so a hall display's clock shows the venue's time, not the screen's. The
accounts log and the sessions keep wall time (`utc_now`): cookies expire by it, and the
command line writes to the same log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import time
from collections.abc import Callable
from pathlib import Path

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def shifted_clock(start: dt.datetime) -> Clock:
    """A clock that starts at `start` and runs at real speed: demos and tests at 09.00."""
    began = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - began)


def offset_clock(base: Clock, path: Path, every: float = 0.5) -> Clock:
    """`base` plus the seconds written in `path` (demos and tests: jump the venue clock).

    The file is re-read at most every `every` seconds; a missing or garbled file keeps the
    last offset read.
    """
    offset, read_at = 0.0, -math.inf

    def now() -> dt.datetime:
        nonlocal offset, read_at
        if time.monotonic() - read_at >= every:
            read_at = time.monotonic()
            with contextlib.suppress(OSError, ValueError):
                offset = float(path.read_text().strip() or 0)
        return base() + dt.timedelta(seconds=offset)

    return now
