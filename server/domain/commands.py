"""Commands: what officers, kiosks and visitors ask for. Tagged by `type` on the wire.

The `officer` of a counter command is filled in by the server from the signed-in session,
never trusted from the client.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from server.domain.events import Channel, snake_tag


class _Command(msgspec.Struct, frozen=True, tag_field="type", tag=snake_tag):
    pass


class IssueTicket(_Command, frozen=True):
    service: str
    visit: str
    channel: Channel = "kiosk"
    priority: bool = False
    itinerary: tuple[str, ...] = ()


class _CounterCommand(_Command, frozen=True):
    counter: str
    officer: str = ""


class CallNext(_CounterCommand, frozen=True):
    pass


class CallSpecific(_CounterCommand, frozen=True):
    ticket: str = ""
    reason: str = ""


class Recall(_CounterCommand, frozen=True):
    pass


class NoShow(_CounterCommand, frozen=True):
    pass


class StartServing(_CounterCommand, frozen=True):
    pass


class Done(_CounterCommand, frozen=True):
    pass


class Transfer(_CounterCommand, frozen=True):
    service: str | None = None
    to_counter: str | None = None
    front: bool = False


class Hold(_CounterCommand, frozen=True):
    pass


class Resume(_CounterCommand, frozen=True):
    ticket: str = ""


class OpenCounter(_CounterCommand, frozen=True):
    pass


class PauseCounter(_CounterCommand, frozen=True):
    pass


class CloseCounter(_CounterCommand, frozen=True):
    pass


class ReturnTicket(_Command, frozen=True):
    ticket: str
    officer: str = ""


class CancelTicket(_Command, frozen=True):
    ticket: str
    by: Literal["visitor", "officer"] = "visitor"
    officer: str = ""
    reason: str = ""


class RollDay(_Command, frozen=True):
    """Start the new day now (a scheduler sends it after midnight; any command would too)."""


class SetRunningText(_Command, frozen=True):
    text: str
    by: str = ""


CounterCommand = (
    CallNext
    | CallSpecific
    | Recall
    | NoShow
    | StartServing
    | Done
    | Transfer
    | Hold
    | Resume
    | OpenCounter
    | PauseCounter
    | CloseCounter
)
Command = CounterCommand | IssueTicket | ReturnTicket | CancelTicket | RollDay | SetRunningText
