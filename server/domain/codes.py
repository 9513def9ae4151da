"""Booking codes as people read, type and scan them.

A code is 12 characters of Crockford's base32 (60 bits), grouped `ABCD-EFGH-JKMN`:
case-insensitive, no U, and the look-alikes O, I and L read as 0, 1 and 1. Codes made
before these (8 characters of "ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 40 bits) still name their
bookings: they are only upper-cased and stripped of spaces and dashes.
"""

from __future__ import annotations

import re
import unicodedata

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 12
GROUP = 4
_LOOK_ALIKES = str.maketrans("OIL", "011")
_SEPARATORS = re.compile(r"[\s\-]")


def format_code(digits: str) -> str:
    """`CODE_CHARS` base32 digits grouped for reading: "ABCD-EFGH-JKMN"."""
    return "-".join(digits[i : i + GROUP] for i in range(0, len(digits), GROUP))


def canonical_code(typed: str) -> str:
    """The booking code someone typed or scanned, as bookings are keyed."""
    # Full-width letters and digits (some phones' keyboards) read as ASCII.
    bare = _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed)).upper()
    if len(bare) != CODE_CHARS:
        return bare  # an older code (or no code at all: the lookup says so)
    digits = bare.translate(_LOOK_ALIKES)
    return format_code(digits) if set(digits) <= set(CROCKFORD) else bare
