"""The kiosks' lockouts: wrong staff PINs and unknown booking codes, per kiosk.

Counted in the venue's shared counts (`server.store.counts`), so with several processes on
one Redis a kiosk gets the same number of guesses whichever process answers it.
"""

from __future__ import annotations

from server.store.counts import FORGET_SECONDS, Counts, Rule
from server.web.limits import Guard

# Wrong guesses in a row from one kiosk, then how long it may not guess again. A lockout
# turns away everyone at that kiosk, the right code too: for booking codes (60 bits, 40 for
# old ones) a slow-down to 10 a minute is all guessing needs, and mistyping visitors (or a
# prankster) shut check-in for one minute, not five.
PIN_RULE = Rule(limit=5, window=FORGET_SECONDS, first=300.0, longest=300.0)
BOOKING_RULE = Rule(limit=10, window=FORGET_SECONDS, first=60.0, longest=60.0)


class Lockouts:
    """The kiosks' lockouts: wrong staff PINs, unknown booking codes."""

    def __init__(self, counts: Counts) -> None:
        self.pin = Guard(counts, "kiosk-pin", PIN_RULE)
        self.booking = Guard(counts, "kiosk-booking", BOOKING_RULE)
