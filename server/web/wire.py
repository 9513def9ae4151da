"""Decoding what clients send, safely: malformed or absurd input is a clear error, never a crash.

msgspec decodes nested arrays and objects recursively, also inside fields it skips, so a few
kilobytes of `[[[[…` exhaust the interpreter's recursion limit and escape as a
`RecursionError` that no handler expects. `decode` refuses a body that opens more than
`MAX_DEPTH` arrays or objects in a row before msgspec sees it (no message of ours nests
past a handful), and turns any other RecursionError into `TooDeep` too. `TooDeep` is a
`msgspec.DecodeError`, so the usual `except (msgspec.DecodeError, msgspec.ValidationError)`
answers it like any other body that is not understood; an HTTP handler that wants to say
"too deep" catches it first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import msgspec

T = TypeVar("T")
MAX_DEPTH = 32

_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENED = re.compile(rb"[\[{]{%d}" % (MAX_DEPTH + 1))


class TooDeep(msgspec.DecodeError):
    """The input nests arrays or objects deeper than any message of ours."""


def too_deep(data: bytes) -> bool:
    """Whether JSON `data` opens more than `MAX_DEPTH` arrays/objects in a row (strings
    aside): `[[[[...` and `{"a":{"a":...` alike, found by C-speed byte operations.

    Deep nesting of another shape (`[[],[[],[[],...`) is left to the decoder, whose
    RecursionError `decode` catches.
    """
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return False  # the common case, without a scan
    brackets = _STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS)
    return _OPENED.search(brackets) is not None


def decode(decoder: Callable[[bytes], T], data: bytes) -> T:
    """`decoder(data)` (a msgspec decode), raising `TooDeep` for absurd nesting."""
    if too_deep(data):
        raise TooDeep("JSON nested too deeply")
    try:
        return decoder(data)
    except RecursionError:
        raise TooDeep("JSON nested too deeply") from None
