"""Decoding what clients send, safely: malformed or absurd input is a clear error, never a crash.

msgspec decodes nested arrays and objects recursively, also inside fields it skips, so a few
kilobytes of `[[[[…` exhaust the interpreter's recursion limit and escape as a
`RecursionError` that no handler expects. `decode` turns that into `TooDeep`, a
`msgspec.DecodeError`, so the usual `except (msgspec.DecodeError, msgspec.ValidationError)`
answers it like any other body that is not understood.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec

T = TypeVar("T")


class TooDeep(msgspec.DecodeError):
    """The input nests arrays or objects deeper than any message of ours."""


def decode(decoder: msgspec.json.Decoder[T], data: bytes | str) -> T:
    """`decoder.decode(data)`, raising `TooDeep` instead of exhausting the recursion limit."""
    try:
        return decoder.decode(data)
    except RecursionError:
        raise TooDeep("JSON nested too deeply") from None
