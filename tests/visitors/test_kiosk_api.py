"""The kiosk's API as a paired kiosk (and a stranger) meets it, on the demo venue."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from server.accounts import AccountBook
from server.app import create_app
from server.demo import GUARD, GUARD_PIN, KIOSK_TOKEN, SURVEY_TOKEN
from server.domain import commands as cmd
from server.domain import events as ev
from server.domain.estimate import new_ticket_waits
from server.domain.events import decode_event
from server.service import VenueQueue
from server.services import services
from server.settings import Settings
from tests.conftest import AUDIO_CACHE
from tests.helpers import FakeClock
from visitors import kiosk_tiles
from visitors import views as visitor_views

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY_NINE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=WIB)


class Kiosk:
    """The demo app in its lifespan, and an HTTP client speaking as the demo kiosk."""

    def __init__(self, app: Starlette, client: httpx.AsyncClient, clock: FakeClock) -> None:
        self.app, self.client, self.clock = app, client, clock

    @property
    def queue(self) -> VenueQueue:
        queue: VenueQueue = services(self.app).queue
        return queue

    async def issue(self, service: str = "ktp", **body: Any) -> httpx.Response:
        body.setdefault("command_id", uuid.uuid4().hex)
        return await self.client.post("/kiosk/api/issue", json={"service": service, **body})

    async def events(self) -> list[ev.Event]:
        records = await self.queue.log.read(self.queue.venue.id, after=0, limit=100_000)
        return [decode_event(r.data) for r in records]


@pytest.fixture
async def kiosk(tmp_path: Path) -> AsyncIterator[Kiosk]:
    clock = FakeClock(TUESDAY_NINE)
    # The session's clip cache: rendering the announcements anew is the slow part of a start.
    settings = Settings(data_dir=str(tmp_path), audio_cache=str(AUDIO_CACHE))
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"X-Device-Token": KIOSK_TOKEN}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://kiosk.test", headers=headers
        ) as client:
            yield Kiosk(app, client, clock)


class TestPairing:
    """Only an active kiosk may ask; anyone else is told, in Indonesian, what to do."""

    @pytest.mark.parametrize(
        ("token", "code", "words"),
        [
            ("", "unpaired", "Anjungan belum dipasangkan"),
            ("bukan-token", "unpaired", "Anjungan belum dipasangkan"),
            # Another kind of device is told what it is, and what to pair instead.
            ("demo-lantai1-timur", "wrong_device", "sebagai layar ruang tunggu, bukan anjungan"),
            (SURVEY_TOKEN, "wrong_device", "sebagai tablet survei, bukan anjungan"),
        ],
    )
    async def test_strangers_and_other_devices_are_refused(
        self, kiosk: Kiosk, token: str, code: str, words: str
    ) -> None:
        headers = {"X-Device-Token": token}
        for answer in (
            await kiosk.client.get("/kiosk/api/overview", headers=headers),
            await kiosk.client.post(
                "/kiosk/api/issue",
                json={"command_id": uuid.uuid4().hex, "service": "ktp"},
                headers=headers,
            ),
        ):
            assert answer.status_code == 403
            body = answer.json()
            assert body["code"] == code
            assert words in body["message"] and "--kind kiosk" in body["message"]
        assert kiosk.queue.state.numbers == {}

    async def test_a_revoked_kiosk_stops_issuing(self, kiosk: Kiosk) -> None:
        book: AccountBook = services(kiosk.app).accounts
        assert (await kiosk.issue()).status_code == 200
        device = next(d for d in book.accounts.devices.values() if d.kind == "kiosk")
        await book.revoke_device(device.id)
        answer = await kiosk.issue()
        assert answer.status_code == 403 and answer.json()["code"] == "unpaired"


class TestRequests:
    """Broken or oversized bodies are answered plainly; retries never issue twice."""

    async def test_garbage_json_is_a_400(self, kiosk: Kiosk) -> None:
        answer = await kiosk.client.post(
            "/kiosk/api/issue", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 400
        assert answer.json()["message"].startswith("Permintaan tidak valid")

    async def test_a_missing_command_id_is_a_400(self, kiosk: Kiosk) -> None:
        answer = await kiosk.client.post("/kiosk/api/issue", json={"service": "ktp"})
        assert answer.status_code == 400 and "command_id" in answer.json()["message"]

    @pytest.mark.parametrize(
        "path", ["/kiosk/api/issue", "/kiosk/api/check-in", "/kiosk/api/request"]
    )
    @pytest.mark.parametrize(
        "bracket",
        [b"[" * 7000, b'{"a":' * 3000, b"[[]," * 3000],
        ids=["arrays", "objects", "with-siblings"],
    )
    async def test_deep_nesting_is_a_400(self, kiosk: Kiosk, path: str, bracket: bytes) -> None:
        body = b'{"command_id":"abcdefgh1","x":' + bracket
        answer = await kiosk.client.post(
            path, content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 400
        assert answer.json()["message"] == "Permintaan tidak valid: isinya bersarang terlalu dalam."

    async def test_nesting_inside_strings_is_only_text(self, kiosk: Kiosk) -> None:
        answer = await kiosk.client.post(
            "/kiosk/api/request", json={"command_id": uuid.uuid4().hex, "text": "[" * 5000}
        )
        assert answer.status_code != 400, answer.text

    async def test_a_wrong_type_is_named_in_indonesian(self, kiosk: Kiosk) -> None:
        answer = await kiosk.issue(service=7)  # type: ignore[arg-type]  # the wrong type is the test
        assert answer.status_code == 400
        assert (
            answer.json()["message"] == "Permintaan tidak valid: kolom service harus berupa teks."
        )

    async def test_ten_megabytes_is_a_413(self, kiosk: Kiosk) -> None:
        answer = await kiosk.client.post(
            "/kiosk/api/request",
            content=b"x" * (10 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 413
        assert answer.json()["message"] == "Permintaan terlalu besar."

    async def test_a_retry_with_the_same_command_id_issues_once(self, kiosk: Kiosk) -> None:
        command_id = uuid.uuid4().hex
        first = (await kiosk.issue(command_id=command_id)).json()
        again = (await kiosk.issue(command_id=command_id)).json()
        assert first["ticket"]["label"] == again["ticket"]["label"] == "A-001"
        # The retry answers with the first visit token, not the one made for the retry.
        assert first["ticket"]["visit"] == again["ticket"]["visit"]
        assert kiosk.queue.state.numbers == {"ktp": 1}

    async def test_the_visit_token_is_long_and_url_safe(self, kiosk: Kiosk) -> None:
        ticket = (await kiosk.issue()).json()["ticket"]
        assert len(ticket["visit"]) >= 22
        assert ticket["path"] == f"/t/{ticket['visit']}"
        assert ticket["url"] == f"http://kiosk.test/t/{ticket['visit']}"
        assert ticket["qr"].startswith("<svg") and "<path" in ticket["qr"]


class TestOverview:
    """Each tile says before the tap whether a number can be taken, and when to come back."""

    async def test_open_services_show_waiting_and_an_honest_range(self, kiosk: Kiosk) -> None:
        await kiosk.issue("ktp")
        overview = (await kiosk.client.get("/kiosk/api/overview")).json()
        dukcapil = next(t for t in overview["tenants"] if t["id"] == "dispendukcapil")
        ktp = next(s for s in dukcapil["services"] if s["id"] == "ktp")
        assert (ktp["available"], ktp["waiting"], dukcapil["waiting"]) == (True, 1, 1)
        assert "menit" in ktp["wait"]
        assert overview["time"] == "09.00 WIB"

    async def test_online_only_services_say_so(self, kiosk: Kiosk) -> None:
        overview = (await kiosk.client.get("/kiosk/api/overview")).json()
        imigrasi = next(t for t in overview["tenants"] if t["id"] == "imigrasi")
        paspor = next(s for s in imigrasi["services"] if s["id"] == "paspor-baru")
        assert paspor["available"] is False
        assert paspor["status"] == "Khusus pesan online"
        assert "pemesanan online" in paspor["come_back"]

    async def test_friday_prayer_break_says_when_it_reopens(self, kiosk: Kiosk) -> None:
        kiosk.clock.now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=WIB)  # a Friday
        overview = (await kiosk.client.get("/kiosk/api/overview")).json()
        ktp = overview["tenants"][0]["services"][0]
        assert (ktp["status"], ktp["come_back"]) == ("Istirahat", "Buka kembali pukul 13.00.")
        assert "Buka kembali pukul 13.00" in overview["notice"]

    async def test_after_the_last_issue_time_come_back_tomorrow(self, kiosk: Kiosk) -> None:
        kiosk.clock.now = dt.datetime(2026, 11, 24, 15, 10, tzinfo=WIB)
        overview = (await kiosk.client.get("/kiosk/api/overview", params={"lang": "en"})).json()
        ktp = overview["tenants"][0]["services"][0]
        assert ktp["status"] == "No more tickets today"
        assert ktp["come_back"] == "Please come back tomorrow at 08.00."


class TestTurnAways:
    """A refused ticket is counted for the managers' reports, once per request."""

    async def test_quota_refusal_is_recorded(self, kiosk: Kiosk) -> None:
        command_id = uuid.uuid4().hex
        for _ in range(2):  # the kiosk retries the very same request
            answer = await kiosk.issue("paspor-baru", command_id=command_id)
            assert answer.status_code == 409
        body = answer.json()
        assert body["code"] == "channel_quota_full"
        assert "habis" in body["message"]
        turned = [e for e in await kiosk.events() if isinstance(e, ev.TurnedAway)]
        assert [(t.service, t.channel, t.reason) for t in turned] == [
            ("paspor-baru", "kiosk", "channel_quota_full")
        ]

    async def test_hours_refusal_is_recorded_with_when_to_return(self, kiosk: Kiosk) -> None:
        kiosk.clock.now = dt.datetime(2026, 11, 24, 15, 10, tzinfo=WIB)
        body = (await kiosk.issue("ktp")).json()
        assert body["code"] == "issue_closed"
        assert body["come_back"] == "Silakan kembali besok pukul 08.00."
        turned = [e for e in await kiosk.events() if isinstance(e, ev.TurnedAway)]
        assert [t.reason for t in turned] == ["issue_closed"]


class TestPriority:
    """A priority ticket needs a staff PIN; the event names who confirmed it."""

    async def test_without_a_right_pin_no_priority_ticket(self, kiosk: Kiosk) -> None:
        answer = await kiosk.issue(priority=True, pin="111111")
        assert answer.status_code == 403
        assert answer.json()["message"] == "PIN petugas salah. Sisa percobaan: 4."
        assert kiosk.queue.state.numbers == {}

    async def test_the_right_pin_confirms_and_is_audited(self, kiosk: Kiosk) -> None:
        ticket = (await kiosk.issue(priority=True, pin=GUARD_PIN)).json()["ticket"]
        assert ticket["priority"] is True
        issued = [e for e in await kiosk.events() if isinstance(e, ev.TicketIssued)]
        assert [(e.priority, e.confirmed_by) for e in issued] == [(True, GUARD)]

    async def test_five_wrong_pins_lock_the_kiosk_out(self, kiosk: Kiosk) -> None:
        for left in (4, 3, 2, 1):
            answer = (await kiosk.issue(priority=True, pin="000000")).json()
            assert answer["message"].endswith(f"Sisa percobaan: {left}.")
        locked = await kiosk.issue(priority=True, pin="000000")
        assert locked.status_code == 429 and locked.json()["code"] == "pin_locked"
        # Even the right PIN waits out the lockout; a regular ticket does not.
        again = await kiosk.issue(priority=True, pin=GUARD_PIN)
        assert again.status_code == 429
        assert "dikunci 5 menit" in again.json()["message"]
        assert (await kiosk.issue()).status_code == 200

    async def test_a_pin_is_unique_and_disabled_staff_cannot_confirm(self, kiosk: Kiosk) -> None:
        from server.accounts import AccountError

        book: AccountBook = services(kiosk.app).accounts
        with pytest.raises(AccountError, match="taken"):
            await book.set_pin("manajer", GUARD_PIN)
        await book.disable_user(GUARD)
        answer = await kiosk.issue(priority=True, pin=GUARD_PIN)
        assert answer.json()["code"] == "pin_wrong"


class TestItineraryCheckInAndRequests:
    """One ticket carries the rest of the visit; bookings check in; requests are noted."""

    async def test_an_itinerary_across_tenants(self, kiosk: Kiosk) -> None:
        ticket = (await kiosk.issue("ktp", itinerary=["jkn-daftar"])).json()["ticket"]
        assert ticket["next_services"] == ["Pendaftaran Peserta JKN"]
        issued = [e for e in await kiosk.events() if isinstance(e, ev.TicketIssued)]
        assert [(e.service, e.itinerary) for e in issued] == [("ktp", ("jkn-daftar",))]

    async def test_check_in_of_a_booking(self, kiosk: Kiosk) -> None:
        booking = cmd.BookVisit(
            service="kk",
            day=TUESDAY_NINE.date(),
            slot=dt.time(9, 0),
            booking="KIOSK1",
            visit="v" * 24,
            holder="digest",
            holder_masked="3573********0001",
        )
        await kiosk.queue.execute(booking, uuid.uuid4().hex)
        body = {"command_id": uuid.uuid4().hex, "booking": "kiosk1\n"}
        answer = (await kiosk.client.post("/kiosk/api/check-in", json=body)).json()
        assert answer["ok"] and answer["ticket"]["label"] == "B-001"
        assert answer["ticket"]["visit"] == "v" * 24
        body["command_id"] = uuid.uuid4().hex
        used = await kiosk.client.post("/kiosk/api/check-in", json=body)
        assert used.status_code == 409 and "sudah digunakan" in used.json()["message"]

    async def check_in(self, kiosk: Kiosk, code: str) -> httpx.Response:
        body = {"command_id": uuid.uuid4().hex, "booking": code}
        return await kiosk.client.post("/kiosk/api/check-in", json=body)

    async def book(self, kiosk: Kiosk, code: str) -> None:
        booking = cmd.BookVisit(
            service="kk",
            day=TUESDAY_NINE.date(),
            slot=dt.time(9, 0),
            booking=code,
            visit="w" * 24,
            holder="digest",
            holder_masked="3573********0001",
        )
        await kiosk.queue.execute(booking, uuid.uuid4().hex)

    async def test_a_new_code_is_read_as_typed(self, kiosk: Kiosk) -> None:
        await self.book(kiosk, "AB10-CD1E-FGH0")
        answer = await self.check_in(kiosk, " ab1o cdlE fghO ")
        assert answer.status_code == 200, answer.text

    async def test_five_mistyped_codes_do_not_shut_check_in(self, kiosk: Kiosk) -> None:
        # Five visitors in a row mistyping a 12-character code (or one prankster) must not
        # turn the next visitor with a right code away for minutes: guessing 60 bits needs
        # no such lock, a slow-down suffices.
        await self.book(kiosk, "AB10-CD1E-FGH0")
        for _ in range(5):
            assert (await self.check_in(kiosk, "ZZZZ-ZZZZ-ZZZZ")).status_code == 409
        assert (await self.check_in(kiosk, "AB10-CD1E-FGH0")).status_code == 200

    async def test_ten_unknown_codes_lock_check_in_for_a_minute(self, kiosk: Kiosk) -> None:
        await self.book(kiosk, "AB10-CD1E-FGH0")
        for _ in range(9):
            assert (await self.check_in(kiosk, "ZZZZ-ZZZZ-ZZZZ")).json()[
                "code"
            ] == "unknown_booking"
        locked = await self.check_in(kiosk, "ZZZZ-ZZZZ-ZZZZ")
        assert locked.status_code == 429
        assert locked.json()["code"] == "check_in_locked"
        assert "dikunci 1 menit" in locked.json()["message"]
        # Locked even for the right code; issuing a number goes on.
        assert (await self.check_in(kiosk, "AB10-CD1E-FGH0")).status_code == 429
        assert (await kiosk.issue()).status_code == 200

    async def guesses_until_locked(self, kiosk: Kiosk, between: dict[str, str]) -> list[str]:
        """Rounds of 9 unknown codes, each followed by `between` (a check-in that is no
        guess); the codes answered."""
        codes = []
        for _ in range(3):
            for _ in range(9):
                codes.append((await self.check_in(kiosk, "ZZZZ-ZZZZ-ZZZZ")).json()["code"])
            await kiosk.client.post("/kiosk/api/check-in", json=between)
        return codes

    async def test_a_used_code_in_between_does_not_lift_the_count(self, kiosk: Kiosk) -> None:
        # A kiosk (or whoever holds its token) that knows one real code, already used,
        # cannot sprinkle it between guesses to start the count afresh.
        await self.book(kiosk, "AB10-CD1E-FGH0")
        assert (await self.check_in(kiosk, "AB10-CD1E-FGH0")).status_code == 200
        used = {"command_id": uuid.uuid4().hex, "booking": "AB10-CD1E-FGH0"}
        codes = await self.guesses_until_locked(kiosk, used)
        assert codes[9:10] == ["check_in_locked"], codes

    async def test_a_reused_command_id_in_between_does_not_lift_the_count(
        self, kiosk: Kiosk
    ) -> None:
        known = uuid.uuid4().hex
        assert (await kiosk.issue(command_id=known)).status_code == 200
        reused = {"command_id": known, "booking": "ZZZZ-ZZZZ-ZZZZ"}
        codes = await self.guesses_until_locked(kiosk, reused)
        assert codes[9:10] == ["check_in_locked"], codes

    async def test_a_resent_check_in_in_between_does_not_lift_the_count(self, kiosk: Kiosk) -> None:
        await self.book(kiosk, "AB10-CD1E-FGH0")
        resent = {"command_id": uuid.uuid4().hex, "booking": "AB10-CD1E-FGH0"}
        first = await kiosk.client.post("/kiosk/api/check-in", json=resent)
        assert first.status_code == 200
        codes = await self.guesses_until_locked(kiosk, resent)
        assert codes[9:10] == ["check_in_locked"], codes

    async def test_a_right_code_resets_the_count(self, kiosk: Kiosk) -> None:
        await self.book(kiosk, "AB10-CD1E-FGH0")
        for _ in range(4):
            await self.check_in(kiosk, "ZZZZ-ZZZZ-ZZZZ")
        assert (await self.check_in(kiosk, "AB10-CD1E-FGH0")).status_code == 200
        for _ in range(4):
            assert (await self.check_in(kiosk, "ZZZZ-ZZZZ-ZZZZ")).status_code == 409

    async def test_a_missing_service_request_is_recorded(self, kiosk: Kiosk) -> None:
        body = {"command_id": uuid.uuid4().hex, "tenant": "samsat", "text": "Balik nama  motor"}
        answer = (await kiosk.client.post("/kiosk/api/request", json=body)).json()
        assert answer["ok"] and answer["message"].startswith("Terima kasih")
        asked = [e for e in await kiosk.events() if isinstance(e, ev.ServiceRequested)]
        assert [(e.tenant, e.text, e.channel) for e in asked] == [
            ("samsat", "Balik nama motor", "kiosk")
        ]


class _Listener:
    """A pretend network printer: a real TCP socket that keeps every byte it is sent."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.server.getsockname()[1]
        self.received = bytearray()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        with connection:
            while chunk := connection.recv(65536):
                self.received += chunk

    def close(self) -> None:
        self.thread.join(timeout=5)
        self.server.close()


@pytest.fixture
def printer() -> Iterator[_Listener]:
    listener = _Listener()
    yield listener
    listener.close()


class TestNetworkPrinter:
    """A kiosk with a printer gets its slip printed; a dead printer leaves a valid ticket."""

    async def _set_printer(self, kiosk: Kiosk, address: str) -> None:
        book: AccountBook = services(kiosk.app).accounts
        device = next(d for d in book.accounts.devices.values() if d.kind == "kiosk")
        await book.set_printer(device.id, address)

    async def test_printed_on_the_kiosk_printer(self, kiosk: Kiosk, printer: _Listener) -> None:
        await self._set_printer(kiosk, f"127.0.0.1:{printer.port}")
        answer = (await kiosk.issue("ktp")).json()
        assert answer["print"] == {"status": "printed"}
        await asyncio.to_thread(printer.thread.join, 5)
        assert b"A-001" in printer.received and b"\x1d(k" in printer.received

    async def test_a_dead_printer_still_gives_a_ticket(self, kiosk: Kiosk) -> None:
        with socket.create_server(("127.0.0.1", 0)) as probe:
            port = probe.getsockname()[1]  # closed again at once: nothing listens there
        await self._set_printer(kiosk, f"127.0.0.1:{port}")
        answer = await kiosk.issue("ktp")
        body = answer.json()
        assert answer.status_code == 200 and body["ticket"]["label"] == "A-001"
        assert body["print"]["status"] == "failed"
        assert body["print"]["message"].startswith("Printer tidak merespons")
        assert kiosk.queue.state.numbers == {"ktp": 1}


_TEXT = st.one_of(
    st.sampled_from(["ktp", "kk", "pkb", "paspor-baru", "dispendukcapil", "A-001", GUARD_PIN]),
    st.text(max_size=40),
)


class TestFuzz:
    """Whatever a kiosk sends, each endpoint answers with JSON, never a 500 (issue 11)."""

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        path=st.sampled_from(["/kiosk/api/issue", "/kiosk/api/check-in", "/kiosk/api/request"]),
        body=st.fixed_dictionaries(
            {"command_id": st.text(min_size=8, max_size=64)},
            optional={
                "service": _TEXT,
                "priority": st.booleans(),
                "itinerary": st.lists(_TEXT, max_size=8),
                "pin": _TEXT,
                "booking": _TEXT,
                "text": _TEXT,
                "tenant": _TEXT,
            },
        ),
    )
    async def test_never_a_500(self, kiosk: Kiosk, path: str, body: dict[str, Any]) -> None:
        answer = await kiosk.client.post(path, json=body)
        assert answer.status_code < 500, (path, body, answer.text)
        assert answer.headers["content-type"].startswith("application/json")


class TestBigDay:
    """Every kiosk asks for its tiles every 10 s: on a big day they are worked out in a
    worker thread, on a copy of the state, and still come back right."""

    async def test_tiles_come_from_a_worker_thread(
        self, kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        threads: list[str] = []

        def recorded(venue: Any, state: Any, now: Any = None) -> Any:
            threads.append(threading.current_thread().name)
            return new_ticket_waits(venue, state, now)

        monkeypatch.setattr(visitor_views, "OFFLOAD_FROM", 1)
        monkeypatch.setattr(kiosk_tiles, "new_ticket_waits", recorded)
        for _ in range(3):
            assert (await kiosk.issue("ktp")).status_code == 200
        answer = await kiosk.client.get("/kiosk/api/overview")
        assert answer.status_code == 200
        tiles = {s["id"]: s for t in answer.json()["tenants"] for s in t["services"]}
        assert tiles["ktp"]["waiting"] == 3
        assert threads and threading.main_thread().name not in threads
