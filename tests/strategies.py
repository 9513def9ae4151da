"""Hypothesis strategies shared by the tests: commands with any field values."""

from __future__ import annotations

from typing import Any, get_args

import msgspec
from hypothesis import strategies as st

from server.domain import commands as cmd

# Values that reach past the first check in the test venue (`tests.helpers.small_venue`):
# counters, services, a tenant, labels of the first tickets, a booking code.
KNOWN = ("1", "2", "3", "4", "ktp", "kk", "sim", "dukcapil", "A-001", "B-001", "BOOK1", "a1")


def any_command(known: tuple[str, ...] = KNOWN) -> st.SearchStrategy[cmd.Command]:
    """Any command of the domain, with any field values; strings are often `known` ids."""

    def field(kind: object) -> st.SearchStrategy[Any]:
        text = st.one_of(st.sampled_from(known), st.text(max_size=30))
        if kind is str:
            return text
        if kind == tuple[str, ...]:
            return st.lists(text, max_size=8).map(tuple)
        return st.from_type(kind)  # type: ignore[arg-type]

    return st.sampled_from(COMMANDS).flatmap(
        lambda kind: st.fixed_dictionaries(
            {f.name: field(f.type) for f in msgspec.structs.fields(kind)}
        ).map(lambda fields: kind(**fields))
    )


# Every command the domain knows: a new one is fuzzed from the day it is added.
COMMANDS: tuple[type[cmd.Command], ...] = get_args(cmd.Command)
