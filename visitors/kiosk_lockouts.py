"""The kiosks' lockouts: wrong staff PINs and unknown booking codes, per kiosk, in memory."""

from __future__ import annotations

import time
from collections.abc import Callable

# Wrong guesses in a row from one kiosk, then how long it may not guess again. A lockout
# turns away everyone at that kiosk, the right code too: for booking codes (60 bits, 40 for
# old ones) a slow-down to 10 a minute is all guessing needs, and mistyping visitors (or a
# prankster) shut check-in for one minute, not five.
LOCKOUTS = {"pin": (5, 300.0), "booking": (10, 60.0)}


class Lockout:
    """Wrong guesses per kiosk: after `tries` wrong ones in a row, no guess is tried there
    for `seconds`. Kept in this process's memory: a restart forgets, and with several
    processes each counts its own tries (so a kiosk gets at most that many times more
    guesses) — still nowhere near the million PINs or 2^60 booking codes there are."""

    def __init__(
        self, tries: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.tries, self.seconds, self._clock = tries, seconds, clock
        self._wrong: dict[str, int] = {}
        self._until: dict[str, float] = {}

    def locked_for(self, device: str) -> float:
        """Seconds the kiosk stays locked out (0 when it may try)."""
        return max(0.0, self._until.get(device, 0.0) - self._clock())

    def minutes(self, device: str) -> int:
        """The lockout left, in whole minutes for a sentence (at least 1)."""
        return max(1, round(self.locked_for(device) / 60))

    def wrong(self, device: str) -> int:
        """Count a wrong guess; the tries left before the lockout (0: locked now)."""
        count = self._wrong.get(device, 0) + 1
        if count >= self.tries:
            self._until[device] = self._clock() + self.seconds
            count = 0
        self._wrong[device] = count
        return self.tries - count if count else 0

    def right(self, device: str) -> None:
        self._wrong.pop(device, None)


class Lockouts:
    """The kiosks' lockouts: wrong staff PINs, unknown booking codes."""

    def __init__(self) -> None:
        self.pin = Lockout(*LOCKOUTS["pin"])
        self.booking = Lockout(*LOCKOUTS["booking"])
