"""msgspec's validation messages taken apart, for the places that reword them for people:
venue-file problems (`server.config`) and refused request bodies (`server.web.bodies`).

    "Expected `int`, got `str` - at `$.services[1]`"  ->  Invalid("Expected `int`, got `str`",
                                                                  ".services[1]")
"""

from __future__ import annotations

import re
from typing import NamedTuple

_AT = re.compile(r" - at `\$(?P<at>[^`]*)`\Z")
_FIELD = re.compile(r"Object (?P<kind>missing required|contains unknown) field `(?P<key>[^`]+)`")
_EXPECTED = re.compile(r"Expected `(?P<expected>[^`]+)`")


class Invalid(NamedTuple):
    """One msgspec validation message: what is wrong, and where."""

    what: str  # msgspec's sentence without its location
    at: str  # the location after `$`, e.g. ".services[1]"; "" for the value itself


def parse(message: str) -> Invalid:
    """`message` split into what msgspec says is wrong and where it says it is."""
    found = _AT.search(message)
    return Invalid(message[: found.start()], found["at"]) if found else Invalid(message, "")


def field(what: str) -> tuple[str, str] | None:
    """("missing required" or "contains unknown", key) when `what` is about an object's key."""
    found = _FIELD.fullmatch(what)
    return (found["kind"], found["key"]) if found else None


def expected(what: str) -> str | None:
    """The type `what` says msgspec expected, as it writes it ("int", "int | null")."""
    found = _EXPECTED.match(what)
    return found["expected"] if found else None
