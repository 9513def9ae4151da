"""How often one client may try something: attempts per key (usually the client's address,
`server.web.auth.client_address`) in a sliding window.

In this process's memory: a restart forgets the counts, and several processes each count
their own (issue 15 shares them through the store).
"""

from __future__ import annotations

import collections
import time


class RateLimit:
    """At most `attempts` per key in any `window` seconds, in memory."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts, self.window = attempts, window
        self._seen: dict[str, collections.deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        if len(self._seen) > 10_000:
            self._forget(now)
        recent = self._seen.setdefault(key, collections.deque())
        while recent and now - recent[0] > self.window:
            recent.popleft()
        if len(recent) >= self.attempts:
            return False
        recent.append(now)
        return True

    def _forget(self, now: float) -> None:
        self._seen = {k: q for k, q in self._seen.items() if q and now - q[-1] <= self.window}
