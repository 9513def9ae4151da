"""The managers' dashboard: figures, alerts and the alert webhook, on a small scripted day."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from displays.health import Speakers
from managers.dashboard import Dashboard
from managers.dashboard_views import DashboardView, Figures
from managers.webhook import SIGNATURE_HEADER, SentAlerts, Webhook, signature
from server.domain import commands as cmd
from server.domain.venue import Venue
from server.hub import Hub
from server.presence import AudioStatus
from server.service import VenueQueue
from server.settings import Settings
from server.store import open_log
from tests.helpers import FakeClock, local_time, small_venue
from tests.inbox import Inbox

DAY = "2026-11-24"


class Day:
    """A venue queue on SQLite with a fake clock, and the dashboard listening to it."""

    def __init__(self, venue: Venue, queue: VenueQueue, clock: FakeClock, board: Dashboard):
        self.venue, self.queue, self.clock, self.board = venue, queue, clock, board
        self._ids = 0

    async def at(self, hour: int, minute: int, command: cmd.Command) -> None:
        self.clock.now = local_time(self.venue, 2026, 11, 24, hour, minute)
        self._ids += 1
        await self.queue.execute(command, f"command-{self._ids:04d}")

    async def issue(self, hour: int, minute: int, service: str, priority: bool = False) -> None:
        command = cmd.IssueTicket(
            service=service, visit=f"v{self._ids}", channel="staff", priority=priority
        )
        await self.at(hour, minute, command)

    def view(self, topic: str = "manager:all", hour: int = 9, minute: int = 50) -> DashboardView:
        self.clock.now = local_time(self.venue, 2026, 11, 24, hour, minute)
        self.board.refresh()
        return self.board.view(topic)


@pytest.fixture
async def day(tmp_path: Path) -> AsyncIterator[Day]:
    venue = small_venue()
    clock = FakeClock(local_time(venue, 2026, 11, 24, 9, 0))
    log = open_log(f"sqlite://{tmp_path / 'antrean.db'}")
    queue = VenueQueue(venue, log, clock)
    hub = Hub(epoch="e")
    board = Dashboard(venue, queue.state, hub, clock=clock, zones=Speakers(venue))
    queue.listen(board.on_event)
    await queue.start()
    await board.start()
    yield Day(venue, queue, clock, board)
    await board.stop()
    await queue.stop()
    await log.close()


async def script(day: Day) -> None:
    """Counters 1 (KTP) and 3 (SIM) open at 09.00; A-001 waits 10 min and is served, A-002
    waits 18 min and does not show, A-003 (priority) is still waiting, C-001 waits 35 min."""
    await day.at(9, 0, cmd.OpenCounter(counter="1", officer="o1"))
    await day.at(9, 0, cmd.OpenCounter(counter="3", officer="o3"))
    await day.issue(9, 0, "ktp")
    await day.issue(9, 2, "ktp")
    await day.issue(9, 4, "ktp", priority=True)
    await day.issue(9, 5, "sim")
    await day.at(9, 10, cmd.CallNext(counter="1", officer="o1"))
    await day.at(9, 11, cmd.StartServing(counter="1", officer="o1"))
    await day.at(9, 15, cmd.Done(counter="1", officer="o1"))
    await day.at(9, 20, cmd.CallNext(counter="1", officer="o1"))
    await day.at(9, 21, cmd.NoShow(counter="1", officer="o1"))
    await day.at(9, 40, cmd.CallNext(counter="3", officer="o3"))


def tenant(view: DashboardView, tenant_id: str) -> Figures:
    return next(t.figures for t in view.tenants if t.id == tenant_id)


def service(view: DashboardView, service_id: str) -> Figures:
    rows = [s for t in view.tenants for s in t.services]
    return next(s.figures for s in rows if s.id == service_id)


class TestFigures:
    """The figures equal what a manager would count by hand on the scripted morning."""

    async def test_per_service(self, day: Day) -> None:
        await script(day)
        view = day.view()
        assert service(view, "ktp") == Figures(
            waiting=1,
            priority_waiting=1,
            longest_wait=46,  # A-003 since 09.04
            avg_wait=14.0,  # (10 + 18) / 2
            p90_wait=18.0,  # the 2nd of 2 (nearest rank)
            called=2,
            served=1,
            no_show=1,
            no_show_rate=50.0,
            calls_per_hour=2,
            counters_open=1,  # counter 1 open; counter 2 (KTP and KK) closed
            counters_break=0,
            counters_closed=1,
            quota=5000,
            quota_left=4997,
            sla_over=1,  # 46 > 30
            sla_breaches=1,
        )
        sim = service(view, "sim")
        assert (sim.waiting, sim.avg_wait, sim.sla_over, sim.sla_breaches) == (0, 35.0, 0, 1)

    async def test_per_tenant_and_venue(self, day: Day) -> None:
        await script(day)
        view = day.view()
        dukcapil = tenant(view, "dukcapil")
        assert (dukcapil.waiting, dukcapil.avg_wait, dukcapil.served) == (1, 14.0, 1)
        assert (dukcapil.counters_open, dukcapil.counters_closed) == (1, 2)
        venue = view.figures
        assert (venue.called, venue.avg_wait, venue.p90_wait) == (3, 21.0, 35.0)
        assert (venue.no_show_rate, venue.calls_per_hour) == (33.3, 3)
        assert (venue.counters_open, venue.counters_closed, venue.sla_breaches) == (2, 2, 2)
        assert venue.quota_left == 3 * 5000 - 4

    async def test_per_counter_and_calls_leave_the_hour(self, day: Day) -> None:
        await script(day)
        counters = {c.id: c for t in day.view().tenants for c in t.counters}
        assert (counters["1"].status, counters["1"].idle_minutes, counters["1"].served) == (
            "open",
            29,  # free since the no-show at 09.21
            1,
        )
        assert (counters["3"].ticket, counters["3"].idle_minutes) == ("C-001", None)
        later = day.view(hour=10, minute=25)
        assert service(later, "ktp").calls_per_hour == 0  # 09.10 and 09.20 are over an hour ago
        assert later.figures.calls_per_hour == 1  # 09.40

    async def test_a_supervisor_topic_holds_one_tenant(self, day: Day) -> None:
        await script(day)
        view = day.view("manager:polres")
        assert [t.id for t in view.tenants] == ["polres"]
        assert view.figures == tenant(view, "polres")
        assert view.zones == []
        assert {a.tenant for a in view.alerts} <= {"polres"}

    async def test_last_servable_ticket_follows_the_day_left(self, day: Day) -> None:
        await day.issue(9, 0, "ktp")
        # 23.59.59 closing: the whole quota of 5000 fits at 3 seconds a ticket.
        rows = {s.id: s for t in day.view(hour=9, minute=1).tenants for s in t.services}
        assert (rows["ktp"].quota_enough, rows["ktp"].last_servable) == (True, None)
        # Two minutes before closing, two KTP counters at 0.05 min: 2 * 2.98 / 0.05 = 119
        # more, less the one waiting: the last is A-119.
        rows = {s.id: s for t in day.view(hour=23, minute=57).tenants for s in t.services}
        assert (rows["ktp"].quota_enough, rows["ktp"].last_servable) == (False, "A-119")

    async def test_charts_sample_every_five_minutes_and_replay_alike(
        self, day: Day, tmp_path: Path
    ) -> None:
        await script(day)
        day.view()
        samples = {t.id: t.series for t in day.board.view("manager:all").tenants}
        times = samples["dukcapil"].times
        start = int(local_time(day.venue, 2026, 11, 24, 9, 5).timestamp())
        assert times[:3] == [start, start + 300, start + 600]
        # 09.05: A-001..A-003 wait; 09.10: the call at 09.10 comes after the mark; 09.15: two.
        assert samples["dukcapil"].waiting[:3] == [3, 3, 2]
        assert samples["dukcapil"].avg_wait[:3] == [None, None, 10.0]
        # A second process replaying the log draws the same charts.
        again = VenueQueue(day.venue, day.queue.log, day.clock)
        board = Dashboard(day.venue, again.state, Hub(epoch="e"), clock=day.clock)
        again.listen(board.on_event)
        await again.start()
        await board.start()
        try:
            board.refresh()
            replayed = {t.id: t.series for t in board.view("manager:all").tenants}
            assert replayed == samples
        finally:
            await board.stop()
            await again.stop()


class TestAlerts:
    """Alerts come and go with the clock and the queue; acknowledgements carry who and when."""

    async def test_a_wait_past_its_sla_raises_one_alert_per_service(self, day: Day) -> None:
        await day.issue(9, 0, "ktp")
        await day.issue(9, 1, "ktp")
        assert [a for a in day.view(hour=9, minute=30).alerts if a.kind == "sla"] == []
        (alert,) = [a for a in day.view(hour=9, minute=32).alerts if a.kind == "sla"]
        assert alert.id == f"sla:{DAY}:ktp:20261124-A-001"
        assert alert.text.startswith("KTP-el: 2 antrean menunggu lebih dari 30 menit")
        assert "(terlama 32 menit)" in alert.text
        # A-001 called: A-002 is still over, and the alert keeps its id (no second beep).
        await day.at(9, 33, cmd.OpenCounter(counter="1", officer="o1"))
        await day.at(9, 33, cmd.CallNext(counter="1", officer="o1"))
        (still,) = [a for a in day.view(hour=9, minute=34).alerts if a.kind == "sla"]
        assert still.id == alert.id and "1 antrean" in still.text
        await day.at(9, 35, cmd.Done(counter="1", officer="o1"))
        await day.at(9, 35, cmd.CallNext(counter="1", officer="o1"))
        assert [a for a in day.view(hour=9, minute=36).alerts if a.kind == "sla"] == []

    async def test_an_idle_counter_with_people_waiting(self, day: Day) -> None:
        await day.at(9, 0, cmd.OpenCounter(counter="3", officer="o3"))
        assert [a for a in day.view(hour=9, minute=20).alerts if a.kind == "idle"] == []
        await day.issue(9, 20, "sim")
        # Idle since 09.00, but people wait only since 09.20: five minutes from then.
        assert [a for a in day.view(hour=9, minute=25).alerts if a.kind == "idle"] == []
        (idle,) = [a for a in day.view(hour=9, minute=26).alerts if a.kind == "idle"]
        assert (idle.id, idle.tenant) == (f"idle:{DAY}:3:092000", "polres")
        await day.at(9, 27, cmd.PauseCounter(counter="3", officer="o3"))
        assert [a.kind for a in day.view(hour=9, minute=30).alerts if a.tenant] == []
        (pause,) = [a for a in day.view(hour=9, minute=33).alerts if a.tenant]
        assert pause.kind == "break"

    async def test_quota_about_to_run_out(self, tmp_path: Path) -> None:
        venue = small_venue()
        ktp = msgspec.structs.replace(venue.services["ktp"], daily_quota=10)
        venue = msgspec.structs.replace(venue, services={**venue.services, "ktp": ktp})
        clock = FakeClock(local_time(venue, 2026, 11, 24, 9, 0))
        log = open_log(f"sqlite://{tmp_path / 'q.db'}")
        queue = VenueQueue(venue, log, clock)
        board = Dashboard(venue, queue.state, Hub(epoch="e"), clock=clock)
        queue.listen(board.on_event)
        await queue.start()
        await board.start()
        try:
            for n in range(9):
                await queue.execute(cmd.IssueTicket(service="ktp", visit=f"v{n}"), f"issue-{n}")
                quota = [a for a in board.view("manager:dukcapil").alerts if a.kind == "quota"]
                assert len(quota) == (n == 8)  # 1 of 10 left: 10 %
            assert quota[0].text == "KTP-el: kuota tinggal 1 dari 10"
        finally:
            await board.stop()
            await queue.stop()
            await log.close()

    async def test_displays_offline_and_audio_blocked(self, day: Day) -> None:
        assert [a for a in day.view(hour=9, minute=0).alerts if a.kind == "offline"] == []
        offline = [a for a in day.view(hour=9, minute=2).alerts if a.kind == "offline"]
        assert {a.subject for a in offline} == {"z1", "z2"}
        speakers = day.board.zones
        assert isinstance(speakers, Speakers)
        subscriber = Inbox()
        speakers.join("z1", subscriber, "d1")
        try:
            offline = [a for a in day.view(hour=9, minute=3).alerts if a.kind == "offline"]
            assert [a.subject for a in offline] == ["z2"]
            at = local_time(day.venue, 2026, 11, 24, 9, 3)
            speakers.status["z1"] = AudioStatus("z1", "d1", "call-1", "blocked", at)
            (audio,) = [a for a in day.view(hour=9, minute=4).alerts if a.kind == "audio"]
            assert (audio.id, audio.tenant) == (f"audio:{DAY}:z1:call-1", "")
            assert audio.text == "Suara pengumuman Lantai 1 ditahan browser"
            speakers.status["z1"] = AudioStatus("z1", "d1", "call-2", "played", at)
            assert [a for a in day.view(hour=9, minute=5).alerts if a.kind == "audio"] == []
        finally:
            speakers.leave("z1", subscriber)

    async def test_an_acknowledged_alert_says_who_and_when(self, day: Day) -> None:
        await day.issue(9, 0, "sim")
        (alert,) = [a for a in day.view(hour=9, minute=31).alerts if a.kind == "sla"]
        assert alert.acknowledged_by is None
        await day.at(9, 32, cmd.AcknowledgeAlert(alert=alert.id, by="manajer"))
        (seen,) = [a for a in day.view(hour=9, minute=33).alerts if a.kind == "sla"]
        assert (seen.id, seen.acknowledged_by) == (alert.id, "manajer")
        assert seen.acknowledged_at == local_time(day.venue, 2026, 11, 24, 9, 32)

    async def test_the_ticker_publishes_a_new_alert_without_any_event(self, day: Day) -> None:
        day.board.tick_seconds = 0.05
        await day.board.stop()
        await day.board.start()
        await day.issue(9, 0, "sim")
        subscriber = Inbox()
        board = day.board
        day.board.hub.subscribe(
            "manager:polres", subscriber, snapshot=lambda: board.snapshot("manager:polres")
        )
        day.clock.now = local_time(day.venue, 2026, 11, 24, 9, 31)
        for _ in range(100):
            await asyncio.sleep(0.02)
            if any(b'"kind":"sla"' in data for data in subscriber.data):
                break
        assert any(b'"kind":"sla"' in data for data in subscriber.data)


class _Receiver:
    """A real HTTP listener on a local port: answers 500 first (when told), then 204."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {
            k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append((headers, body))
        failing = len(self.requests) <= self.failures
        status = b"500 Internal Server Error" if failing else b"204 No Content"
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()


@pytest.fixture(params=["sqlite", "redis"])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh log on each backend: an SQLite file, or a redis-server of the test's own."""
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_server").url
        return url
    return f"sqlite://{tmp_path / 'w.db'}"


@contextlib.asynccontextmanager
async def alerting(
    log_url: str, hook_url: str, post_timeout: float = 5.0, backoff: float = 1.0
) -> AsyncIterator[Webhook]:
    """One process's queue, dashboard and webhook on the log at `log_url`, at 09.31 with a
    ticket waiting since 09.00: its first refresh finds the waiting-time alert."""
    venue = small_venue()
    clock = FakeClock(local_time(venue, 2026, 11, 24, 9, 0))
    log = open_log(log_url)
    queue = VenueQueue(venue, log, clock)
    hook = Webhook(
        hook_url, "rahasia", SentAlerts(log, venue.id), timeout=post_timeout, backoff=backoff
    )
    board = Dashboard(venue, queue.state, Hub(epoch="e"), clock=clock, webhook=hook)
    queue.listen(board.on_event)
    await queue.start()
    await hook.start()
    try:
        await queue.execute(cmd.IssueTicket(service="sim", visit="v1"), "issue-0001")
        clock.now = local_time(venue, 2026, 11, 24, 9, 31)
        await board.start()
        board.refresh()  # the same alert again: not queued twice
        await asyncio.wait_for(hook.drain(), 10)
        yield hook
    finally:
        await board.stop()
        await hook.stop()
        await queue.stop()
        await log.close()


class TestWebhook:
    """New alerts are posted once, signed, and retried when the receiver fails."""

    async def test_signed_body_retried_after_a_failure(self, tmp_path: Path) -> None:
        receiver = _Receiver(failures=1)
        url = await receiver.start()
        try:
            async with alerting(
                f"sqlite://{tmp_path / 'w.db'}", url, post_timeout=2, backoff=0.05
            ) as hook:
                assert hook.delivered == 1
        finally:
            await receiver.stop()
        assert len(receiver.requests) == 2
        (_, first), (headers, body) = receiver.requests
        assert first == body
        expected = hmac.new(b"rahasia", body, hashlib.sha256).hexdigest()
        assert (
            headers[SIGNATURE_HEADER.lower()] == f"sha256={expected}" == signature("rahasia", body)
        )
        posted = json.loads(body)
        assert posted["venue"] == "test"
        assert posted["alert"]["id"] == f"sla:{DAY}:sim:20261124-C-001"
        assert posted["alert"]["kind"] == "sla"

    async def test_sent_once_by_two_processes_and_not_again_after_a_restart(
        self, log_url: str
    ) -> None:
        receiver = _Receiver()
        hook_url = await receiver.start()

        async def delivered() -> int:
            async with alerting(log_url, hook_url) as hook:
                return hook.delivered

        try:
            # Two processes on one log find the same alert at once ...
            sent = await asyncio.gather(delivered(), delivered())
            # ... and a third, started later (a restart), finds it again.
            sent_again = await delivered()
        finally:
            await receiver.stop()
        assert (sorted(sent), sent_again, len(receiver.requests)) == ([0, 1], 0, 1)

    async def test_a_claim_asked_again_is_still_this_process_s(self, log_url: str) -> None:
        # The answer to a claim can be lost after it landed (a dropped connection): asked
        # again, the claim must still be this process's, or nobody posts the alert.
        log = open_log(log_url)
        try:
            ours, theirs = SentAlerts(log, "test"), SentAlerts(log, "test")
            assert await ours.claim("sla:x") and await ours.claim("sla:x")
            assert not await theirs.claim("sla:x")
        finally:
            await log.close()

    async def test_it_gives_up_after_its_attempts(self, tmp_path: Path) -> None:
        receiver = _Receiver(failures=10)
        url = await receiver.start()
        log = open_log(f"sqlite://{tmp_path / 'w.db'}")
        hook = Webhook(url, "rahasia", SentAlerts(log, "test"), attempts=3, backoff=0.01)
        await hook.start()
        try:
            hook.send("a1", b'{"x": 1}')
            await asyncio.wait_for(hook.drain(), 10)
        finally:
            await hook.stop()
            await receiver.stop()
            await log.close()
        assert (len(receiver.requests), hook.delivered, hook.failed) == (3, 0, 1)

    async def test_a_full_queue_drops_the_oldest_and_still_drains(self, tmp_path: Path) -> None:
        receiver = _Receiver()
        url = await receiver.start()
        log = open_log(f"sqlite://{tmp_path / 'w.db'}")
        hook = Webhook(url, "rahasia", SentAlerts(log, "test"), queue_size=2)
        try:
            for n in range(4):  # before the worker runs: two are dropped
                hook.send(f"a{n}", b'{"n": %d}' % n)
            await hook.start()
            await asyncio.wait_for(hook.drain(), 10)
        finally:
            await hook.stop()
            await receiver.stop()
            await log.close()
        assert [body for _, body in receiver.requests] == [b'{"n": 2}', b'{"n": 3}']
        assert (hook.delivered, hook.failed) == (2, 2)

    async def test_only_http_addresses(self, tmp_path: Path) -> None:
        log = open_log(f"sqlite://{tmp_path / 'w.db'}")
        with pytest.raises(ValueError, match="http"):
            Webhook("ftp://example.invalid/hook", "s", SentAlerts(log, "test"))
        await log.close()


class TestClockFile:
    """Demos and tests move the venue clock forward by writing seconds to a file."""

    def test_the_clock_jumps_by_the_file_offset(self, tmp_path: Path) -> None:
        offset = tmp_path / "offset"
        clock = Settings(clock_start="2026-11-24T09:00:00+07:00", clock_file=str(offset)).clock()
        assert clock().isoformat().startswith("2026-11-24T09:00")
        offset.write_text("2760")
        base = clock()  # read at most every 0.5 s: this one may still be the old offset
        time.sleep(0.55)
        assert clock() - base >= dt.timedelta(minutes=46)
        offset.write_text("not a number")  # a garbled file keeps the last offset
        time.sleep(0.55)
        assert clock().isoformat().startswith("2026-11-24T09:46")
