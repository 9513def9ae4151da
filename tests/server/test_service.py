"""The venue service over a real log: idempotent commands, restarts, several processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from server import service
from server.domain import commands as cmd
from server.domain.errors import DomainError
from server.domain.events import TicketCalled, TicketIssued, decode_event
from server.messages import explain
from server.service import VenueQueue
from server.store import EventLog, StoreUnavailable, open_log
from tests.helpers import FakeClock, local_time, small_venue

ROOT = Path(__file__).resolve().parents[2]
CALLS_PER_PROCESS = 500


@pytest.fixture(params=["sqlite", "redis"])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'antrean.db'}"
    url: str = request.getfixturevalue("redis_url")
    import redis

    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return url


class Opened:
    """Logs and queues opened by a test, all closed at its end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.venue = small_venue()
        self.clock = FakeClock(local_time(self.venue, 2026, 11, 24, 9, 0))
        self.items: list[tuple[VenueQueue, EventLog]] = []

    async def queue(self) -> VenueQueue:
        log = open_log(self.url)
        queue = VenueQueue(self.venue, log, self.clock)
        await queue.start()
        self.items.append((queue, log))
        return queue

    async def close(self) -> None:
        for queue, log in self.items:
            await queue.stop()
            await log.close()


@pytest.fixture
async def opened(log_url: str) -> AsyncIterator[Opened]:
    opened = Opened(log_url)
    yield opened
    await opened.close()


class TestCommands:
    """A command is answered once its events are in the log; a retry is answered again."""

    async def test_a_double_press_never_calls_two_tickets(self, opened: Opened) -> None:
        queue = await opened.queue()
        for i in range(3):
            await queue.execute(cmd.IssueTicket(service="ktp", visit=f"v{i}"), f"issue-{i}")
        await queue.execute(cmd.OpenCounter(counter="1"), "open")
        first = await queue.execute(cmd.CallNext(counter="1"), "press-1")
        again = await queue.execute(cmd.CallNext(counter="1"), "press-1")
        assert again.duplicate and not first.duplicate
        assert again.events == first.events
        assert (again.first_seq, again.last_seq) == (first.first_seq, first.last_seq)
        called = [t.label for t in queue.state.tickets.values() if t.status == "called"]
        assert called == ["A-001"]

    async def test_a_retry_across_the_day_rollover_gets_the_whole_outcome(
        self, opened: Opened
    ) -> None:
        queue = await opened.queue()
        await queue.execute(cmd.IssueTicket(service="ktp", visit="yesterday"), "y")
        opened.clock.advance(days=1)
        first = await queue.execute(cmd.IssueTicket(service="ktp", visit="today"), "t")
        again = await queue.execute(cmd.IssueTicket(service="ktp", visit="today"), "t")
        kinds = [type(e).__name__ for e in again.events]
        assert kinds == ["TicketExpired", "DayStarted", "TicketIssued"]
        assert again.duplicate and again.events == first.events

    async def test_a_command_that_never_gets_its_turn_is_a_store_outage(
        self, opened: Opened, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Appends beaten by other processes for the whole retry time: answered like an
        # outage (503, resend the same command id), never an unexplained error (a 500).
        queue = await opened.queue()
        monkeypatch.setattr(service, "RETRY_SECONDS", 0.0)
        with pytest.raises(StoreUnavailable, match="kept moving"):
            await queue.execute(cmd.IssueTicket(service="ktp", visit="v"), "issue")
        assert await queue.log.head(queue.venue.id) == 0

    async def test_a_refusal_writes_nothing(self, opened: Opened) -> None:
        queue = await opened.queue()
        head = await queue.log.head(queue.venue.id)
        with pytest.raises(DomainError) as caught:
            await queue.execute(cmd.CallNext(counter="1"), "early")
        assert caught.value.code == "counter_closed"
        assert await queue.log.head(queue.venue.id) == head == queue.state.seq

    async def test_a_restart_replays_to_the_same_state(self, opened: Opened) -> None:
        queue = await opened.queue()
        await queue.execute(cmd.IssueTicket(service="ktp", visit="v", itinerary=("kk",)), "i")
        await queue.execute(cmd.OpenCounter(counter="1"), "o")
        await queue.execute(cmd.CallNext(counter="1"), "c")
        await queue.execute(cmd.Done(counter="1"), "d")
        restarted = await opened.queue()
        assert restarted.state.snapshot() == queue.state.snapshot()
        assert restarted.epoch == queue.epoch

    async def test_a_retry_reaching_another_process_is_still_one_command(
        self, opened: Opened
    ) -> None:
        one, two = await opened.queue(), await opened.queue()
        await one.execute(cmd.IssueTicket(service="ktp", visit="a"), "i1")
        await one.execute(cmd.IssueTicket(service="ktp", visit="b"), "i2")
        await one.execute(cmd.OpenCounter(counter="1"), "open")
        first = await one.execute(cmd.CallNext(counter="1"), "press")
        retried = await two.execute(cmd.CallNext(counter="1"), "press")
        assert retried.duplicate and retried.events == first.events

    async def test_two_queues_on_one_log_stay_in_step(self, opened: Opened) -> None:
        one, two = await opened.queue(), await opened.queue()
        await one.execute(cmd.IssueTicket(service="ktp", visit="a"), "a")
        # `two` has not caught up; its append conflicts, it catches up and numbers A-002.
        outcome = await two.execute(cmd.IssueTicket(service="ktp", visit="b"), "b")
        issued = outcome.events[-1]
        assert isinstance(issued, TicketIssued) and issued.label == "A-002"
        for _ in range(100):
            if one.state.seq == two.state.seq:
                break
            await asyncio.sleep(0.05)
        assert one.state.snapshot() == two.state.snapshot()


class TestBinding:
    """A command id names one command of one caller: reusing it for anything else is refused."""

    async def test_the_same_id_for_another_command_is_refused(self, opened: Opened) -> None:
        queue = await opened.queue()
        await queue.execute(cmd.IssueTicket(service="ktp", visit="a"), "id-1", caller="device:k1")
        head = queue.state.seq
        with pytest.raises(DomainError) as caught:
            await queue.execute(cmd.CancelTicket(ticket="x"), "id-1", caller="device:k1")
        assert caught.value.code == "command_id_reused"
        assert "sudah dipakai" in explain(caught.value, "id")
        assert await queue.log.head(queue.venue.id) == head == queue.state.seq

    async def test_the_same_command_from_another_caller_is_refused(self, opened: Opened) -> None:
        queue = await opened.queue()
        await queue.execute(cmd.IssueTicket(service="ktp", visit="a"), "id-1", caller="device:k1")
        with pytest.raises(DomainError) as caught:
            await queue.execute(cmd.IssueTicket(service="ktp", visit="a"), "id-1", caller="user:x")
        assert caught.value.code == "command_id_reused"

    async def test_a_true_retry_is_still_answered(self, opened: Opened) -> None:
        queue = await opened.queue()
        command = cmd.IssueTicket(service="ktp", visit="a")
        first = await queue.execute(command, "id-1", caller="device:k1")
        again = await queue.execute(command, "id-1", caller="device:k1")
        assert again.duplicate and again.events == first.events

    async def test_another_process_refuses_a_reuse(self, opened: Opened) -> None:
        one, two = await opened.queue(), await opened.queue()
        await one.execute(cmd.IssueTicket(service="ktp", visit="a"), "id-1", caller="device:k1")
        # `two` may not have followed yet: the log refuses it, or its catch-up does.
        with pytest.raises(DomainError) as caught:
            await two.execute(cmd.IssueTicket(service="ktp", visit="b"), "id-1", caller="device:k1")
        assert caught.value.code == "command_id_reused"
        assert await two.log.head(two.venue.id) == one.state.seq

    async def test_a_restarted_process_refuses_a_reuse(self, opened: Opened) -> None:
        queue = await opened.queue()
        await queue.execute(cmd.IssueTicket(service="ktp", visit="a"), "id-1", caller="device:k1")
        await queue.execute(cmd.OpenCounter(counter="1", officer="o"), "id-2", caller="user:o")
        restarted = await opened.queue()
        with pytest.raises(DomainError) as caught:
            # Would be decided, and succeed, if the binding were not known from the log.
            await restarted.execute(cmd.CallNext(counter="1", officer="o"), "id-2", caller="user:o")
        assert caught.value.code == "command_id_reused"
        again = await restarted.execute(
            cmd.OpenCounter(counter="1", officer="o"), "id-2", caller="user:o"
        )
        assert again.duplicate


def _worker(url: str, name: str, counter: str, mode: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.server.queue_worker", url, name, counter, mode, str(count)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
class TestProcesses:
    """Real OS processes on one log: nothing duplicated, nothing lost, even by kill -9."""

    async def test_two_processes_calling_interleaved(self, log_url: str) -> None:
        workers = [_worker(log_url, f"p{n}", n, "calls", CALLS_PER_PROCESS) for n in ("1", "2")]
        for worker in workers:
            assert await asyncio.to_thread(worker.stdout.readline) == "done\n"  # type: ignore[union-attr]
        reports = []
        for worker in workers:
            output, _ = await asyncio.to_thread(worker.communicate, "go\n", 120)
            assert worker.returncode == 0
            reports.append(msgspec.json.decode(output.strip().splitlines()[-1]))
        assert reports[0]["seq"] == reports[1]["seq"]
        assert reports[0]["state"] == reports[1]["state"]
        events = await _read_all(log_url)
        await _assert_nothing_lost_or_duplicated(log_url, events, reports)

    async def test_an_acknowledged_command_survives_kill_9(self, log_url: str) -> None:
        worker = _worker(log_url, "k", "1", "acks", 10_000)
        acked: dict[str, int] = {}
        while len(acked) < 25:
            line = await asyncio.to_thread(worker.stdout.readline)  # type: ignore[union-attr]
            _, command_id, seq = line.split()
            acked[command_id] = int(seq)
        os.kill(worker.pid, signal.SIGKILL)
        worker.communicate()  # reaps it and closes its pipes
        assert worker.returncode == -signal.SIGKILL
        log = open_log(log_url)
        try:
            records = await log.read("test", after=0, limit=100_000)
            stored = {r.command_id: r.seq for r in records}
            assert all(stored.get(cid) == seq for cid, seq in acked.items())
            assert [r.seq for r in records] == list(range(1, len(records) + 1))
            venue_queue = VenueQueue(small_venue(), log)
            await venue_queue.start()
            await venue_queue.stop()
            assert venue_queue.state.seq == len(records)
        finally:
            await log.close()


async def _read_all(url: str) -> list[tuple[str, object]]:
    log = open_log(url)
    try:
        return [(r.command_id, decode_event(r.data)) for r in await log.read("test", 0, 1_000_000)]
    finally:
        await log.close()


async def _assert_nothing_lost_or_duplicated(
    url: str, events: list[tuple[str, object]], reports: list[dict[str, Any]]
) -> None:
    issued = [e for _, e in events if isinstance(e, TicketIssued)]
    labels = Counter((e.at.date(), e.label) for e in issued)
    assert labels.most_common(1)[0][1] == 1, "a ticket number was issued twice"
    assert len(issued) == 2 * CALLS_PER_PROCESS
    called = Counter(e.ticket for _, e in events if isinstance(e, TicketCalled))
    assert called and called.most_common(1)[0][1] == 1, "a ticket was called twice"
    in_log = {command_id for command_id, _ in events}
    for report in reports:
        assert set(report["acked"]) <= in_log
