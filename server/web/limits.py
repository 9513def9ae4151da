"""How often one client may try something, counted in the venue's shared `Counts`
(`server.store.counts`: this process's memory, or Redis for every process on it).

- `RateLimit`: attempts per key (usually the client's address,
  `server.web.auth.client_address`) in a sliding window: booking, complaints, lookups.
- `Guard`: guarded tries per key (a username, an address, a kiosk) with holds that grow:
  sign-in passwords, kiosk PINs and booking codes. Strike *before* checking the guess, so
  tries sent at once cannot slip past the limit, and `clear` after a right one.
"""

from __future__ import annotations

from server.store.counts import Counts, Rule, Strike


class RateLimit:
    """At most `attempts` per key in any `window` seconds, for every process alike."""

    def __init__(self, counts: Counts, name: str, attempts: int, window: float) -> None:
        self.counts, self.name = counts, name
        self.attempts, self.window = attempts, window

    async def allow(self, key: str) -> bool:
        return await self.counts.take(f"{self.name}:{key}", self.attempts, self.window)


class Guard:
    """Tries per key under `rule`, kept in `counts` under `name`."""

    def __init__(self, counts: Counts, name: str, rule: Rule) -> None:
        self.counts, self.name, self.rule = counts, name, rule

    async def strike(self, key: str) -> Strike:
        return await self.counts.strike(f"{self.name}:{key}", self.rule)

    async def held_for(self, key: str) -> float:
        return await self.counts.held_for(f"{self.name}:{key}")

    async def clear(self, key: str) -> None:
        await self.counts.clear(f"{self.name}:{key}")

    async def forgive(self, key: str, strike: Strike) -> None:
        """Take back `strike`: it turned out to be no guess (see `Counts.forgive`)."""
        await self.counts.forgive(f"{self.name}:{key}", self.rule, strike)

    def tries_left(self, strike: Strike) -> int:
        """How many more tries before a hold (0: this one started one)."""
        return self.rule.limit - strike.count if strike.count else 0


def whole_minutes(seconds: float) -> int:
    """A hold's length in whole minutes for a sentence: at least 1."""
    return max(1, round(seconds / 60))
