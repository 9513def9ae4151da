"""Why a console action does not apply to a counter now, from the counter alone.

`decide` refuses a counter's command with these checks first, and the counter view names
their codes beside each button, so a console greys out exactly what the domain would refuse,
for the same reason. What depends on a chosen ticket or on the lane (nobody waiting, a ticket
served elsewhere) is left to `decide`: the lane changes from outside at any moment. Every
check reads the counter's own state and the ticket in its hand: O(1), whatever the queue.
"""

from __future__ import annotations

from collections.abc import Callable

from server.domain.errors import DomainError
from server.domain.state import State, Ticket
from server.domain.venue import Counter, Venue


class _Desk:
    """One counter as its checks see it: the venue, the state and the held-ticket count."""

    __slots__ = ("_held", "counter", "state", "venue")

    def __init__(self, venue: Venue, state: State, counter: Counter, held: int | None) -> None:
        self.venue, self.state, self.counter, self._held = venue, state, counter, held

    @property
    def held(self) -> int:
        if self._held is None:  # counted only when asked: a scan of the day's tickets
            self._held = len(self.state.held_at(self.counter.id))
        return self._held

    @property
    def in_hand(self) -> Ticket | None:
        ticket_id = self.state.counter(self.counter.id).ticket
        return None if ticket_id is None else self.state.tickets[ticket_id]

    def refuse(self, code: str, **params: object) -> DomainError:
        return DomainError(code, counter=self.counter.label, **params)


def _open(desk: _Desk) -> DomainError | None:
    status = desk.state.counter(desk.counter.id).status
    if status == "closed":
        return desk.refuse("counter_closed")
    if status == "break":
        return desk.refuse("counter_on_break")
    return None


def _empty_handed(desk: _Desk) -> DomainError | None:
    ticket = desk.in_hand
    return None if ticket is None else desk.refuse("counter_busy", label=ticket.label)


def _holding(desk: _Desk) -> DomainError | None:
    return desk.refuse("counter_idle") if desk.in_hand is None else None


def _called(desk: _Desk) -> DomainError | None:
    ticket = desk.in_hand
    if ticket is None:
        return desk.refuse("counter_idle")
    if ticket.status != "called":
        return DomainError("ticket_not_called", label=ticket.label)
    return None


def _recalls_left(desk: _Desk) -> DomainError | None:
    ticket = desk.in_hand
    if ticket is not None and ticket.recalls >= desk.venue.max_recalls:
        return DomainError("recall_limit", label=ticket.label, recalls=ticket.recalls)
    return None


def _not_open(desk: _Desk) -> DomainError | None:
    if desk.state.counter(desk.counter.id).status == "open":
        return desk.refuse("counter_already_open")
    return None


def _not_closed(desk: _Desk) -> DomainError | None:
    if desk.state.counter(desk.counter.id).status == "closed":
        return desk.refuse("counter_already_closed")
    return None


def _none_held(desk: _Desk) -> DomainError | None:
    return desk.refuse("counter_has_held", count=desk.held) if desk.held else None


Check = Callable[[_Desk], DomainError | None]
_FREE: tuple[Check, ...] = (_open, _empty_handed)

# Each console action's checks, in the order `decide` makes them: the first refusal counts.
CHECKS: dict[str, tuple[Check, ...]] = {
    "call_next": _FREE,
    "call_specific": _FREE,
    "resume": _FREE,
    "recall": (_open, _called, _recalls_left),
    "no_show": (_called,),
    "start_serving": (_called,),
    "done": (_holding,),
    "transfer": (_holding,),
    "hold": (_holding,),
    "return_ticket": (),
    "open_counter": (_not_open,),
    "pause_counter": _FREE,
    "close_counter": (_not_closed, _empty_handed, _none_held),
}
ACTIONS = tuple(CHECKS)


def refusal(
    venue: Venue, state: State, counter: Counter, action: str, held: int | None = None
) -> DomainError | None:
    """Why `action` does not apply to `counter` now (None when it does, as far as the counter
    goes). `held` is how many tickets the counter holds, counted here when not given; only
    closing it asks."""
    desk = _Desk(venue, state, counter, held)
    for check in CHECKS[action]:
        error = check(desk)
        if error is not None:
            return error
    return None


def refusals(venue: Venue, state: State, counter: Counter, held: int) -> dict[str, str]:
    """Every console action -> "" or the code of the domain's refusal."""
    codes: dict[str, str] = {}
    for action in ACTIONS:
        error = refusal(venue, state, counter, action, held)
        codes[action] = "" if error is None else error.code
    return codes
