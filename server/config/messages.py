"""msgspec's validation messages turned into venue-file problems in TOML words: which key,
what was expected and found, how to write it instead."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import get_args

import msgspec

from server import validation
from server.config.problems import Problem, closest, did_you_mean, toml
from server.domain.venue import PriorityScope, ReturnPolicy

# What each msgspec type name means in TOML words, with an example value.
_KINDS = {
    "int": ("a whole number", "100"),
    "float": ("a number", "7.5"),
    "str": ("text in quotes", '"..."'),
    "bool": ("true or false", "true"),
    "array": ("an array", '["a", "b"]'),
    "object": ("a table", "{ ... }"),
    "time": ("a time", '"08:00"'),
    "date": ("a date", "2026-08-17"),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "return_policy": get_args(ReturnPolicy),
    "priority_scope": get_args(PriorityScope),
}


def misspelt(error: str, key: str | None, set_aside: Iterable[str]) -> bool:
    """Whether `error` is a missing `key` that was written, misspelt, among `set_aside`."""
    missing = error.startswith("Object missing required")
    return missing and key is not None and closest(key, set_aside) is not None


def culprit(error: str) -> str | None:
    """The top-level key a msgspec error is about, if any."""
    what, at = validation.parse(error)
    if field := validation.field(what):
        return None if at else field[1]
    top = re.match(r"\.([^.\[]+)", at)
    return top[1] if top else None


def decode_problem(error: str, data: object, kind: type, path: str) -> Problem:
    what, at = validation.parse(error)
    if field := validation.field(what):
        return _field_problem(*field, kind, f"{path}{at}")
    key = _last_key(at) or path.rpartition(".")[2]
    found = toml(_dig(data, at))
    if expected := validation.expected(what):
        return _type_problem(expected, f"{path}{at}", key, found)
    if what.startswith("Invalid enum value"):
        fix = f"use one of: {', '.join(_CHOICES.get(key, ()))}"
        return Problem(f"{path}{at}", f"{key} cannot be {found}", fix, "invalid_choice")
    if what.startswith("Invalid RFC3339 encoded"):
        noun = what.rsplit(" ", 1)[1]
        return _type_problem(noun, f"{path}{at}", key, found, code=f"{noun}_format")
    return Problem(f"{path}{at}", f"{what}, found {found}", "correct the value", "type_error")


def _field_problem(kind: str, key: str, target: type, path: str) -> Problem:
    if kind == "missing required":
        fix = f"add {key} = ... to [{path}]"
        return Problem(f"{path}.{key}", f"required key '{key}' is missing", fix, "missing_key")
    is_struct = isinstance(target, type) and issubclass(target, msgspec.Struct)
    names = [f.name for f in msgspec.structs.fields(target) if f.name != "id"] if is_struct else []
    fix = did_you_mean(key, names) or f"remove it; known keys: {', '.join(names)}"
    return Problem(f"{path}.{key}", f"unknown key '{key}'", fix, "unknown_key")


def _type_problem(
    expected: str, path: str, key: str, found: str, code: str = "type_error"
) -> Problem:
    # TOML has no null: "int | null" only ever means the number may be left out.
    kinds = [_KINDS.get(name, (name, "...")) for name in expected.split(" | ") if name != "null"]
    message = f"{key} must be {' or '.join(k[0] for k in kinds)}, found {found}"
    return Problem(path, message, f"write it like {key} = {kinds[0][1]}", code)


def _last_key(at: str) -> str:
    keys = re.findall(r"\.([^.\[]+)", at)
    return str(keys[-1]) if keys else ""


def _dig(data: object, at: str) -> object:
    """The raw value at a msgspec path such as `.services[1]`."""
    for key, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", at):
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and index and int(index) < len(data):
            data = data[int(index)]
    return data
