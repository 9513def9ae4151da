"""The console's greyed-out buttons are the domain's own refusals.

What the counter view refuses, `decide` refuses with the same code; what the view offers,
`decide` does not refuse for a reason about the counter (it may still find nobody waiting,
or a ticket served elsewhere: those change from outside at any moment).
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counters.views import counter_view
from server.domain import commands as cmd
from server.domain.decide import decide
from server.domain.errors import DomainError
from server.domain.refusals import ACTIONS, refusal, refusals
from server.domain.state import State
from tests.helpers import Queue, small_venue

COUNTERS = ["1", "2", "3", "4"]
# Every code a check about the counter itself can give.
COUNTER_CODES = frozenset(
    {
        "counter_closed",
        "counter_on_break",
        "counter_busy",
        "counter_idle",
        "ticket_not_called",
        "recall_limit",
        "counter_already_open",
        "counter_already_closed",
        "counter_has_held",
    }
)
# Weighted so that days reach every refusal: counters open, tickets arrive and are called.
# (and mostly at counter 1, so that one counter goes through several of them in a row).
WEIGHTED = [*ACTIONS, *["issue", "call_next", "open_counter", "start_serving", "hold"] * 3]
OPENED = st.sets(st.sampled_from(COUNTERS))
STEPS = st.lists(
    st.tuples(st.sampled_from(WEIGHTED), st.sampled_from(["1", "1", "1", *COUNTERS])),
    min_size=10,
    max_size=40,
)


def _ticket_for(action: str, state: State, counter: str) -> str:
    """A ticket the action could be about: held here, waiting, or a no-show; else none."""
    wanted = {"resume": "held", "call_specific": "waiting", "return_ticket": "no_show"}[action]
    for ticket in state.tickets.values():
        if ticket.status == wanted and (action != "resume" or ticket.counter == counter):
            return ticket.id
    return ""


def command_for(action: str, state: State, counter: str) -> cmd.Command:
    if action in ("resume", "call_specific", "return_ticket"):
        ticket = _ticket_for(action, state, counter)
        if action == "return_ticket":
            return cmd.ReturnTicket(ticket=ticket or "none")
        if action == "resume":
            return cmd.Resume(counter=counter, ticket=ticket)
        return cmd.CallSpecific(counter=counter, ticket=ticket, reason="uji")
    if action == "transfer":
        return cmd.Transfer(counter=counter, service="kk")
    kinds: dict[str, type[cmd.CounterCommand]] = {
        "call_next": cmd.CallNext,
        "recall": cmd.Recall,
        "no_show": cmd.NoShow,
        "start_serving": cmd.StartServing,
        "done": cmd.Done,
        "hold": cmd.Hold,
        "open_counter": cmd.OpenCounter,
        "pause_counter": cmd.PauseCounter,
        "close_counter": cmd.CloseCounter,
    }
    return kinds[action](counter=counter)


def refused_code(queue: Queue, command: cmd.Command) -> str:
    try:
        decide(queue.venue, queue.state, command, queue.now)
    except DomainError as error:
        return error.code
    return ""


def play(queue: Queue, opened: set[str], steps: list[tuple[str, str]]) -> None:
    """Open some counters, let a few visitors in, then go through `steps`."""
    queue.open(*sorted(opened))
    for counter in COUNTERS:
        queue.issue("kk" if counter in "24" else "ktp")
    for action, counter in steps:
        if action == "issue":
            queue.issue("kk" if counter in "24" else "ktp")
            continue
        with contextlib.suppress(DomainError):
            queue(command_for(action, queue.state, counter))


class TestViewAndDecideAgree:
    """For any day so far, each counter's refusals are what decide answers."""

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(opened=OPENED, steps=STEPS, max_recalls=st.integers(0, 2))
    def test_every_action_of_every_counter(
        self, opened: set[str], steps: list[tuple[str, str]], max_recalls: int
    ) -> None:
        queue = Queue(small_venue(max_recalls=max_recalls))
        play(queue, opened, steps)
        for counter in COUNTERS:
            view = counter_view(queue.venue, queue.state, counter)
            for action in ACTIONS:
                named = view.refusals[action]
                raised = refused_code(queue, command_for(action, queue.state, counter))
                if named:
                    assert raised == named, (action, counter)
                else:
                    assert raised not in COUNTER_CODES, (action, counter)


class TestRefusals:
    """The codes and their order, on a few plain days."""

    def test_a_closed_counter_may_only_open(self) -> None:
        queue = Queue()
        counter = queue.venue.counters["1"]
        codes = refusals(queue.venue, queue.state, counter, held=0)
        assert codes["open_counter"] == ""
        assert codes["call_next"] == "counter_closed"
        assert codes["close_counter"] == "counter_already_closed"
        assert codes["done"] == "counter_idle"
        assert codes["return_ticket"] == ""

    def test_a_ticket_in_hand_blocks_calling_and_closing(self) -> None:
        queue = Queue()
        queue.open("1")
        queue.issue()
        queue(cmd.CallNext(counter="1"))
        counter = queue.venue.counters["1"]
        codes = refusals(queue.venue, queue.state, counter, held=0)
        assert codes["call_next"] == codes["close_counter"] == "counter_busy"
        assert codes["recall"] == codes["done"] == ""
        queue(cmd.StartServing(counter="1"))
        codes = refusals(queue.venue, queue.state, counter, held=0)
        assert codes["recall"] == codes["no_show"] == "ticket_not_called"

    @pytest.mark.parametrize("held", [None, 1])
    def test_held_tickets_keep_the_counter_open(self, held: int | None) -> None:
        queue = Queue()
        queue.open("1")
        queue.issue()
        queue(cmd.CallNext(counter="1"))
        queue(cmd.Hold(counter="1"))
        counter = queue.venue.counters["1"]
        error = refusal(queue.venue, queue.state, counter, "close_counter", held)
        assert error is not None and error.code == "counter_has_held"
        assert error.params["count"] == 1
