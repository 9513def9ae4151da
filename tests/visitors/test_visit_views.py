"""The visit topics: what a visitor's phone is told, when, and who may listen."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server import config
from server.app import create_app
from server.domain import commands as cmd
from server.domain.estimate import WaitRange, wait_ranges
from server.domain.state import State
from server.hub import Envelope, Hub
from server.service import VenueQueue
from server.settings import Settings
from server.store import open_log
from server.topics import Viewer
from tests.conftest import LiveServer
from tests.helpers import FakeClock, booking_form, local_time, small_venue
from tests.inbox import Inbox
from visitors import views
from visitors.booking import Holder, parse_holder
from visitors.views import VisitProjection

VISIT = "visit-token-" + "x" * 16


class Phone:
    """A visitor's phone subscribed to one visit: keeps every view it was sent."""

    def __init__(self) -> None:
        self.subscriber = Inbox()

    @property
    def views(self) -> list[dict[str, Any]]:
        return [msgspec.json.decode(data, type=Envelope).data for data in self.subscriber.data]

    @property
    def latest(self) -> dict[str, Any]:
        return self.views[-1]


class Venue:
    """A small venue's queue on a real SQLite log, with the visit projection listening."""

    def __init__(self, tmp_path: Path, hub: Hub | None = None) -> None:
        self.venue = small_venue()
        self.clock = FakeClock(local_time(self.venue, 2026, 11, 24, 9, 0))
        self.log = open_log(f"sqlite://{tmp_path / 'antrean.db'}")
        self.queue = VenueQueue(self.venue, self.log, self.clock)
        self.hub = hub or Hub("e")
        self.visits = VisitProjection(self.venue, self.queue.state, self.hub)
        self.queue.listen(self.visits.on_event)
        self._n = 0

    async def run(self, command: cmd.Command) -> None:
        self._n += 1
        await self.queue.execute(command, f"command-{self._n:04d}")
        await settle()

    async def issue(self, visit: str, service: str = "ktp", **kw: Any) -> None:
        await self.run(cmd.IssueTicket(service=service, visit=visit, channel="staff", **kw))

    def watch(self, visit: str = VISIT) -> Phone:
        phone = Phone()
        topic = f"visit:{visit}"
        self.hub.subscribe(topic, phone.subscriber, None, lambda: self.visits.snapshot(topic))
        return phone


async def settle() -> None:
    """Let the projection flush and the subscribers write (both are scheduled tasks)."""
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.fixture
async def mpp(tmp_path: Path) -> AsyncIterator[Venue]:
    venue = Venue(tmp_path)
    await venue.queue.start()
    yield venue
    await venue.hub.stop()
    await venue.queue.stop()
    await venue.log.close()


class TestPositions:
    """A waiting visitor sees the lane move: position, estimate and the 'get ready' alert."""

    async def test_the_position_drops_as_the_lane_is_called(self, mpp: Venue) -> None:
        for n in range(4):
            await mpp.issue(f"ahead-{n}")
        await mpp.issue(VISIT)
        phone = mpp.watch()
        await settle()
        assert phone.latest["current"]["ahead"] == 4
        assert phone.latest["alert"] is False
        await mpp.run(cmd.OpenCounter(counter="1", officer="p1"))
        await mpp.run(cmd.CallNext(counter="1"))
        assert phone.latest["current"]["ahead"] == 3
        assert phone.latest["alert"] is True
        assert phone.latest["current"]["wait_id"]

    async def test_the_call_names_the_counter(self, mpp: Venue) -> None:
        await mpp.issue(VISIT)
        phone = mpp.watch()
        await mpp.run(cmd.OpenCounter(counter="2", officer="p2"))
        await mpp.run(cmd.CallNext(counter="2"))
        current = phone.latest["current"]
        assert (current["status"], current["counter_label"]) == ("called", "Loket 2")
        await mpp.run(cmd.Recall(counter="2"))
        assert phone.latest["current"]["recalls"] == 1

    async def test_other_lanes_moving_send_nothing(self, mpp: Venue) -> None:
        await mpp.issue("sim-1", service="sim")
        await mpp.issue(VISIT)
        phone = mpp.watch()
        await settle()
        seen = len(phone.views)
        await mpp.run(cmd.OpenCounter(counter="3", officer="p3"))
        await mpp.run(cmd.CallNext(counter="3"))
        assert len(phone.views) == seen

    async def test_only_watched_visits_are_published(self, mpp: Venue) -> None:
        await mpp.issue("nobody-watches")
        await mpp.issue(VISIT)
        mpp.watch()
        await mpp.run(cmd.OpenCounter(counter="1", officer="p1"))
        await mpp.run(cmd.CallNext(counter="1"))
        assert mpp.hub.history("visit:nobody-watches") == []
        assert len(mpp.hub.history(f"visit:{VISIT}")) == 1

    async def test_the_itinerary_goes_on_in_the_next_lane(self, mpp: Venue) -> None:
        await mpp.issue(VISIT, itinerary=("sim",))
        phone = mpp.watch()
        await settle()
        assert (phone.latest["step"], len(phone.latest["steps"])) == (1, 2)
        assert phone.latest["remaining"] == ["Perpanjangan SIM"]
        await mpp.run(cmd.OpenCounter(counter="1", officer="p1"))
        await mpp.run(cmd.CallNext(counter="1"))
        await mpp.run(cmd.Done(counter="1"))
        view = phone.latest
        assert (view["current"]["label"], view["current"]["status"]) == ("C-001", "waiting")
        assert [s["status"] for s in view["steps"]] == ["done", "waiting"]
        assert (view["step"], view["finished"]) == (2, False)
        await mpp.run(cmd.OpenCounter(counter="3", officer="p3"))
        await mpp.run(cmd.CallNext(counter="3"))
        await mpp.run(cmd.Done(counter="3"))
        assert phone.latest["finished"] is True


async def until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait for work done in a worker thread (settle() only lets loop tasks run)."""
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not published in time")


class TestBigDay:
    """On a big day the ranges are computed off the event loop, on a copy of the state."""

    async def test_ranges_come_from_a_worker_thread_and_still_arrive(
        self, mpp: Venue, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        threads: list[str] = []
        computed: list[int] = []

        def recorded(venue: Any, state: State, now: Any = None) -> dict[str, WaitRange]:
            threads.append(threading.current_thread().name)
            computed.append(state.seq)
            return wait_ranges(venue, state, now)

        monkeypatch.setattr(views, "OFFLOAD_FROM", 0)
        monkeypatch.setattr(views, "wait_ranges", recorded)
        for n in range(4):
            await mpp.issue(f"ahead-{n}")
        await mpp.issue(VISIT)
        await mpp.issue("another-visit")
        phone, other = mpp.watch(), mpp.watch("another-visit")
        await settle()
        await mpp.run(cmd.OpenCounter(counter="1", officer="p1"))
        await mpp.run(cmd.CallNext(counter="1"))
        await until(lambda: phone.latest["current"]["ahead"] == 3)
        assert other.latest["current"]["ahead"] == 4
        assert threads and threading.main_thread().name not in threads
        assert computed[-1] <= mpp.queue.state.seq

    async def test_events_during_the_computation_are_published_after_it(
        self, mpp: Venue, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(views, "OFFLOAD_FROM", 0)
        for n in range(6):
            await mpp.issue(f"ahead-{n}")
        await mpp.issue(VISIT)
        await mpp.issue("another-visit")
        phone, _ = mpp.watch(), mpp.watch("another-visit")
        await mpp.run(cmd.OpenCounter(counter="1", officer="p1"))
        await mpp.run(cmd.OpenCounter(counter="2", officer="p2"))
        # Two calls in a row: the second lands while the first batch is computing.
        await mpp.queue.execute(cmd.CallNext(counter="1"), "call-a")
        await mpp.queue.execute(cmd.CallNext(counter="2"), "call-b")
        await until(lambda: phone.latest["current"]["ahead"] == 4)


class TestKnownVisits:
    """A visit is known by its token while it has a ticket today or a current booking."""

    async def test_tickets_and_bookings_are_known_anyone_else_is_not(self, mpp: Venue) -> None:
        await mpp.issue(VISIT)
        await mpp.run(book("booked-visit", dt.date(2026, 11, 26)))
        assert mpp.visits.knows(f"visit:{VISIT}")
        assert mpp.visits.knows("visit:booked-visit")
        assert not mpp.visits.knows("visit:guess")
        assert not mpp.visits.knows(f"zone:{VISIT}")
        assert mpp.visits.may_watch(f"visit:{VISIT}", Viewer())

    async def test_a_new_day_forgets_tickets_and_keeps_future_bookings(self, mpp: Venue) -> None:
        await mpp.issue(VISIT)
        await mpp.run(book("booked-visit", dt.date(2026, 11, 26)))
        phone = mpp.watch()
        mpp.clock.advance(days=1)
        await mpp.run(cmd.RollDay())
        assert not mpp.visits.knows(f"visit:{VISIT}")
        assert mpp.visits.knows("visit:booked-visit")
        assert phone.latest["current"] is None and phone.latest["booking"] is None

    async def test_a_booking_turns_into_a_ticket_at_check_in(self, mpp: Venue) -> None:
        await mpp.run(book(VISIT, dt.date(2026, 11, 24), dt.time(9, 0)))
        phone = mpp.watch()
        await settle()
        booking = phone.latest["booking"]
        assert (booking["code"], booking["holder_masked"]) == ("KODE2345", "3573********0001")
        assert (booking["check_in_from"], booking["check_in_until"]) == ("08.30", "09.45")
        assert phone.latest["current"] is None
        await mpp.run(cmd.CheckIn(booking="kode2345"))
        checked_in = phone.latest
        assert checked_in["booking"] is None
        assert checked_in["current"]["label"] == "A-001"


class TestTopicEviction:
    """A phone that left leaves no topic behind once its visit topic has been idle."""

    async def test_the_visit_topic_is_forgotten_after_the_phone_leaves(
        self, tmp_path: Path
    ) -> None:
        now = [0.0]
        mpp = Venue(tmp_path, Hub("e", idle_after=60, clock=lambda: now[0]))
        await mpp.queue.start()
        await mpp.issue(VISIT)
        phone = mpp.watch()
        await mpp.run(cmd.OpenCounter(counter="1", officer="p1"))
        await mpp.run(cmd.CallNext(counter="1"))
        mpp.hub.disconnect(phone.subscriber)
        now[0] += 61
        assert mpp.hub.evict_idle() == 1
        assert mpp.hub.stats().topics == 0
        again = mpp.watch()
        await settle()
        assert again.latest["current"]["status"] == "called"
        await mpp.hub.stop()
        await mpp.queue.stop()
        await mpp.log.close()


def book(visit: str, day: dt.date, slot: dt.time = dt.time(14, 0)) -> cmd.BookVisit:
    return cmd.BookVisit(
        service="ktp",
        day=day,
        slot=slot,
        booking="KODE2345" if visit == VISIT else f"K{len(visit):07d}",
        visit=visit,
        holder=f"digest-{visit}",
        holder_masked="3573********0001",
    )


class TestSocket:
    """`/ws` lets anyone holding a visit's token watch it, and nobody guess one."""

    async def test_an_unknown_visit_token_is_refused(self, live_server: LiveServer) -> None:
        url = live_server.url.replace("http", "ws") + "/ws?topics=visit:not-a-real-token"
        async with connect(url) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403

    async def test_a_booked_visit_is_sent_its_booking(self, live_server: LiveServer) -> None:
        async with httpx.AsyncClient(base_url=live_server.url) as client:
            visit = await book_over_http(client, "081234567890")
        url = live_server.url.replace("http", "ws") + f"/ws?topics=visit:{visit}"
        async with connect(url) as ws:
            first = msgspec.json.decode(await asyncio.wait_for(ws.recv(), 5))
        assert first["topic"] == f"visit:{visit}"
        assert first["data"]["booking"]["holder_masked"] == "0812****7890"


async def book_over_http(client: httpx.AsyncClient, holder: str) -> str:
    """Book the 14.00 KTP slot on the demo venue's test day; the new visit's token."""
    form = (await client.get("/booking?service=ktp&day=2026-11-24")).text
    token = re.search(r'name="form" value="([^"]+)"', form)
    assert token
    answer = await client.post(
        "/booking",
        data={
            "form": token.group(1),
            "service": "ktp",
            "day": "2026-11-24",
            "slot": "14:00",
            "holder": holder,
            "action": "confirm",
        },
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].removeprefix("/t/")


class TestHolder:
    """NIK and phone numbers are read leniently, checked for shape and shown masked."""

    @pytest.mark.parametrize(
        ("typed", "kind", "masked"),
        [
            ("3573014101900001", "nik", "3573********0001"),
            ("3573 0141 0190 0001", "nik", "3573********0001"),
            ("081234567890", "phone", "0812****7890"),
            ("+62 812-3456-7890", "phone", "0812****7890"),
            ("6281234567890", "phone", "0812****7890"),
        ],
    )
    def test_accepted_forms(self, typed: str, kind: str, masked: str) -> None:
        holder = parse_holder(typed)
        assert isinstance(holder, Holder)
        assert (holder.kind, holder.masked) == (kind, masked)

    @pytest.mark.parametrize(
        ("typed", "error"),
        [
            ("", "holder_missing"),
            ("35730141019", "nik_invalid"),
            ("3573013201900001", "nik_invalid"),  # day 32
            ("3573014113900001", "nik_invalid"),  # month 13
            ("3573014101900000", "nik_invalid"),  # serial 0000
            ("0812", "phone_invalid"),
        ],
    )
    def test_refused_forms(self, typed: str, error: str) -> None:
        assert parse_holder(typed) == error


def stored_anywhere(data_dir: Path, needle: bytes) -> bool:
    """Whether `needle` is in any file of the data folder (the database, its WAL...)."""
    return any(needle in f.read_bytes() for f in data_dir.rglob("*") if f.is_file())


class TestBookingForm:
    """The booking form: safe without a session, modest with retries, discreet with NIKs."""

    async def test_a_booking_keeps_no_full_nik(
        self, site: httpx.AsyncClient, tmp_path: Path
    ) -> None:
        answer = await site.post("/booking", data=await booking_form(site))
        assert answer.status_code == 303
        page = (await site.get(answer.headers["location"])).text
        assert "3573********0001" in page
        assert "3573014101900001" not in page
        assert not stored_anywhere(tmp_path, b"3573014101900001")

    async def test_another_sites_form_is_refused(self, site: httpx.AsyncClient) -> None:
        form = await booking_form(site)
        answer = await site.post("/booking", data=form, headers={"Origin": "https://evil.test"})
        assert answer.status_code == 403
        forged = await site.post("/booking", data=form | {"form": "forged"})
        assert forged.status_code == 403
        assert "Formulir kedaluwarsa" in forged.text

    async def test_attempts_are_limited_per_client(self, site: httpx.AsyncClient) -> None:
        form = await booking_form(site, holder="123", action="review")
        statuses = [(await site.post("/booking", data=form)).status_code for _ in range(13)]
        assert statuses[:12] == [400] * 12
        assert statuses[12] == 429

    async def test_a_full_slot_is_explained_in_indonesian(self, site: httpx.AsyncClient) -> None:
        for n in range(4):
            phone = f"08123456789{n}"
            answer = await site.post("/booking", data=await booking_form(site, holder=phone))
            assert answer.status_code == 303
        refused = await site.post("/booking", data=await booking_form(site, holder="0812345678955"))
        assert refused.status_code == 409
        assert "Jam 14.00 sudah penuh" in refused.text


SCRIPT_END = 'MPP </script><script src="/x.js"></script> & <!-- "Merdeka"'


@pytest.fixture
def script_end_venue(tmp_path: Path) -> Path:
    """The demo venue file, named with a script end, a comment start and an ampersand."""
    demo = config.DEMO_VENUE.read_text()
    venue_file = tmp_path / "venue.toml"
    venue_file.write_text(
        demo.replace('"Mal Pelayanan Publik Merdeka Kota Malang"', repr(SCRIPT_END))
    )
    return venue_file


class TestTicketPageData:
    """The ticket page's data goes into the page as JSON that no venue-file text can end."""

    async def test_a_script_end_in_the_venue_name_stays_data(
        self, tmp_path: Path, script_end_venue: Path
    ) -> None:
        settings = Settings(
            data_dir=str(tmp_path),
            venue_file=str(script_end_venue),
            clock_start="2026-11-24T09:00:00+07:00",
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mpp.test") as client:
                visit = await book_over_http(client, "081234567890")
                page = (await client.get(f"/t/{visit}")).text
        found = re.search(r'<script type="application/json" id="ticket-view">(.*?)</script>', page)
        assert found
        assert msgspec.json.decode(found.group(1))["venue"] == SCRIPT_END
        assert '<script src="/x.js">' not in page

    async def test_a_number_refused_for_its_shape_is_not_put_back_in_the_page(
        self, site: httpx.AsyncClient
    ) -> None:
        # Found in review: serial 0000 is not a NIK's shape, but it may be a real number.
        refused = await site.post(
            "/booking", data=await booking_form(site, holder="3573014101900000", action="review")
        )
        assert refused.status_code == 400 and "NIK tidak valid" in refused.text
        assert "3573014101900000" not in refused.text
        short = await site.post(
            "/booking", data=await booking_form(site, holder="0812", action="review")
        )
        assert 'value="0812"' in short.text  # a fragment comes back to be finished
