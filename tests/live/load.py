"""A stream of calls and kiosk issues against real server processes, and what the log says of it.

Each `Actor` is one counter console or one kiosk in its own thread, sending its own commands
with its own `command_id`s as the pages do (`server/static/kit/api.js`): a 503 or a dropped
connection is resent with the same id until an answer comes. `audit` then reads the venue's
log through the store API and counts what was acknowledged, lost, doubled or landed unseen.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from server.demo import KIOSK_TOKEN
from server.domain import events as ev
from server.domain.events import decode_event
from server.store import open_log
from tests.helpers import sign_in_sync

VENUE = "merdeka-malang"  # the demo venue every LiveServer serves
# A bound on each request: a process that hangs instead of answering fails the test.
REQUEST_TIMEOUT = 5.0
RESEND_PAUSE = 0.2  # api.js waits a moment before resending; so do the actors
PACE = 0.05  # between two commands of one actor: a busy hall, not a benchmark


@dataclass
class Sent:
    """One command and everything its sender saw until it got an answer (or gave up)."""

    actor: str
    path: str
    body: dict[str, Any]
    statuses: list[int] = field(default_factory=list)  # every HTTP status, in order
    drops: int = 0  # tries that ended without an answer (refused, reset, cut off)
    hangs: int = 0  # tries that got no answer within REQUEST_TIMEOUT
    answer: dict[str, Any] | None = None  # the final answer's JSON (not a 503)

    @property
    def command_id(self) -> str:
        command_id: str = self.body["command_id"]
        return command_id

    @property
    def acknowledged(self) -> bool:
        return bool(self.statuses) and self.statuses[-1] == 200 and self.answer is not None

    @property
    def refused(self) -> bool:
        return self.answer is not None and not self.acknowledged


class Actor:
    """A console (`counter` set: calls the next ticket, then finishes it) or a kiosk (issues
    tickets of `service`) on one process, sending until told to stop."""

    def __init__(self, base_url: str, name: str, counter: str = "", service: str = "ktp") -> None:
        self.name, self.counter, self.service = name, counter, service
        self.client = httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT)
        self.headers: dict[str, str] = {}
        if counter:
            csrf = sign_in_sync(self.client, f"loket{counter}")
            assert csrf, f"loket{counter} signs in"
            self.headers["X-CSRF-Token"] = csrf
        else:
            self.headers["X-Device-Token"] = KIOSK_TOKEN
        self.sent: list[Sent] = []
        self.stopping = threading.Event()
        self._holding = False  # the console has a ticket in hand: finish it next

    def command(self, **fields: Any) -> Sent:
        """Send one command (a fresh id) until it is answered or the actor is stopped."""
        path = "/kiosk/api/issue" if not self.counter else "/api/commands"
        sent = Sent(self.name, path, {**fields, "command_id": uuid.uuid4().hex})
        self.sent.append(sent)
        self.resend(sent)
        return sent

    def resend(self, sent: Sent) -> None:
        """Send `sent` again with its id, until answered (not 503) or stopped."""
        while True:
            try:
                answer = self.client.post(sent.path, json=sent.body, headers=self.headers)
            except httpx.TimeoutException:
                sent.hangs += 1
            except httpx.TransportError:
                sent.drops += 1
            else:
                sent.statuses.append(answer.status_code)
                if answer.status_code != 503:
                    sent.answer = answer.json()
                    return
            if self.stopping.is_set():
                return
            time.sleep(RESEND_PAUSE)

    def step(self) -> None:
        if not self.counter:
            self.command(service=self.service)
        elif self._holding:
            self._holding = not self.command(type="done", counter=self.counter).acknowledged
        else:
            self._holding = self.command(type="call_next", counter=self.counter).acknowledged

    def run(self) -> None:
        while not self.stopping.is_set():
            self.step()
            time.sleep(PACE)

    def close(self) -> None:
        self.client.close()


def acknowledged(actors: list[Actor]) -> int:
    return sum(s.acknowledged for a in actors for s in a.sent)


@contextmanager
def streaming(actors: list[Actor]) -> Iterator[None]:
    """The actors sending in their threads for the block's length; then stopped and joined
    (each ends its command in flight, resending it while it is 503 or unanswered)."""
    threads = [threading.Thread(target=a.run, name=a.name, daemon=True) for a in actors]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        for actor in actors:
            actor.stopping.set()
        for thread in threads:
            thread.join(timeout=60)


def wait_for_acks(actors: list[Actor], more: int, seconds: float = 60) -> None:
    """Block until the actors have `more` acknowledged commands than now."""
    target = acknowledged(actors) + more
    deadline = time.monotonic() + seconds
    while acknowledged(actors) < target:
        assert time.monotonic() < deadline, f"fewer than {more} commands answered in {seconds} s"
        time.sleep(0.05)


@dataclass
class Audit:
    """What the log holds of the commands sent; every list should be empty."""

    acknowledged: int
    landed_unanswered: int  # sent, never answered, yet in the log (once)
    records: int
    lost: list[str]  # acknowledged, not in the log
    duplicated: list[str]  # a command, ticket number or call found twice
    mismatched: list[str]  # an answer that does not say what the log holds

    def line(self) -> str:
        return (
            f"{self.acknowledged} acknowledged, {len(self.lost)} lost, "
            f"{len(self.duplicated)} duplicated, {self.landed_unanswered} unanswered that "
            f"landed once, {self.records} events in the log"
        )


def audit(log_url: str, actors: list[Actor]) -> Audit:
    records = asyncio.run(_records(log_url))
    seqs: dict[str, list[int]] = defaultdict(list)
    events: dict[int, ev.Event] = {}
    for record in records:
        seqs[record.command_id].append(record.seq)
        events[record.seq] = decode_event(record.data)
    assert [r.seq for r in records] == list(range(1, len(records) + 1)), "a gap in the log"
    duplicated = [
        f"command {cid} appended more than once"
        for cid, at in seqs.items()
        if at != list(range(at[0], at[0] + len(at)))
    ]
    labels = Counter(e.label for e in events.values() if isinstance(e, ev.TicketIssued))
    duplicated += [f"ticket {label} issued {n} times" for label, n in labels.items() if n > 1]
    calls = Counter(e.ticket for e in events.values() if isinstance(e, ev.TicketCalled))
    duplicated += [f"ticket {ticket} called {n} times" for ticket, n in calls.items() if n > 1]
    sent = [s for a in actors for s in a.sent]
    lost = [s.command_id for s in sent if s.acknowledged and s.command_id not in seqs]
    mismatched = [
        f"{s.command_id}: answered {s.answer}, the log holds {[events[q] for q in seqs[s.command_id]]}"
        for s in sent
        if s.acknowledged and s.command_id in seqs and not _says(s, seqs[s.command_id], events)
    ]
    mismatched += [
        f"{s.command_id}: refused {s.answer}, yet in the log"
        for s in sent
        if s.refused and s.command_id in seqs
    ]
    return Audit(
        acknowledged=sum(s.acknowledged for s in sent),
        landed_unanswered=sum(s.answer is None and s.command_id in seqs for s in sent),
        records=len(records),
        lost=lost,
        duplicated=duplicated,
        mismatched=mismatched,
    )


def _says(sent: Sent, seqs: list[int], events: dict[int, ev.Event]) -> bool:
    """Whether the answer names what the log holds for its command."""
    assert sent.answer is not None
    if sent.path == "/api/commands":
        names = [type(events[q]).__name__ for q in seqs]
        return bool(sent.answer["seq"] == seqs[-1] and sent.answer["events"] == names)
    issued = [events[q] for q in seqs if isinstance(events[q], ev.TicketIssued)]
    return len(issued) == 1 and sent.answer["ticket"]["label"] == issued[0].label  # type: ignore[union-attr]


async def _records(log_url: str) -> list[Any]:
    log = open_log(log_url)
    try:
        return await log.read(VENUE, after=0, limit=1_000_000)
    finally:
        await log.close()


def first_outcomes_again(actors: list[Actor]) -> list[str]:
    """Retry every acknowledged command with its id: where the answer is not the first one."""
    differing = []
    for actor in actors:
        for sent in [s for s in actor.sent if s.acknowledged]:
            first = sent.answer
            assert first is not None
            again = actor.client.post(sent.path, json=sent.body, headers=actor.headers)
            if again.status_code != 200 or _outcome(again.json()) != _outcome(first):
                differing.append(f"{sent.command_id}: first {first}, then {again.text}")
    return differing


def _outcome(answer: dict[str, Any]) -> Any:
    """What a retry must repeat: the log positions and events, or the ticket handed out."""
    if "ticket" in answer:
        ticket = answer["ticket"]
        return ticket["label"], ticket["visit"]
    return answer["seq"], answer["events"]
