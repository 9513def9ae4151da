"""`antrean ikm ...`: the satisfaction index's commands (import of paper and form surveys)."""

from __future__ import annotations

import argparse

from managers import ikm_import


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ikm = commands.add_parser("ikm", help="satisfaction survey (IKM): import responses")
    actions = ikm.add_subparsers(required=True, metavar="ACTION")
    ikm_import.add_import_parser(actions)
