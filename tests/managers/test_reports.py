"""Daily and monthly reports: figures from the log, as CSV and PDF, and on the command line.

The figures of a simulated busy day (`bench.busy_day`: 2,000+ tickets at 8 tenants, every
event decided by the real domain) are checked against a count written here another way:
per-ticket timelines in plain dicts, read after the fact.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy
import pypdfium2  # type: ignore[import-untyped]  # pypdfium2 ships no type hints
import pytest

from bench.busy_day import DAY, VENUE, busy_day, busy_days, venue_toml
from managers.missing import normalise
from managers.report_csv import render_csv, service_header
from managers.report_pdf import render_pdf
from managers.reports import Figures, Report, ReportBuilder, build_report, nearest_rank
from server.cli import main
from server.domain import commands as cmd
from server.domain import events as ev
from server.domain.events import encode_event
from server.domain.state import MIN_SERVICE_MINUTES
from server.store import open_log
from tests.helpers import Queue

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
MONTH_DAYS = (dt.date(2026, 11, 28), 3)  # the last three days of November


@pytest.fixture(scope="module")
def day_events() -> list[ev.Event]:
    return busy_day(DAY, seed=7)


@pytest.fixture(scope="module")
def three_days() -> list[list[ev.Event]]:
    first, count = MONTH_DAYS
    return list(busy_days(first, count, seed=11))


async def write_log(path: Path, events: list[ev.Event]) -> None:
    log = open_log(f"sqlite://{path}")
    try:
        data = [encode_event(e) for e in events]
        for first in range(0, len(data), 1000):
            await log.append(VENUE.id, first, data[first : first + 1000], f"c{first}")
    finally:
        await log.close()


async def report_from_log(path: Path, start: dt.date, end: dt.date) -> Report:
    log = open_log(f"sqlite://{path}")
    try:
        return await build_report(log, VENUE, start, end)
    finally:
        await log.close()


def fold(events: list[ev.Event], start: dt.date, end: dt.date) -> Report:
    builder = ReportBuilder(VENUE, start, end)
    for event in events:
        builder.add(event)
    return builder.finish()


# --- the independent count ----------------------------------------------------------------

STATUS = {
    "TicketCalled": "called",
    "TicketNoShow": "no_show",
    "TicketReturned": "waiting",
    "ServingStarted": "serving",
    "TicketDone": "done",
    "TicketTransferred": "waiting",
    "TicketHeld": "held",
    "TicketResumed": "serving",
    "TicketCancelled": "cancelled",
}


def timelines(events: list[ev.Event]) -> dict[str, list[Any]]:
    """Each ticket's own events, in order (expiries of the next morning left out)."""
    found: dict[str, list[Any]] = defaultdict(list)
    for event in events:
        ticket = getattr(event, "ticket", None)
        if ticket is not None and not isinstance(event, ev.TicketExpired):
            found[ticket].append(event)
    return found


def independent(events: list[ev.Event]) -> dict[str, Any]:
    """Per service: counts and the raw waits and service times; per officer; the rest."""
    per: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"counts": Counter(), "waits": [], "service_times": []}
    )
    officers: dict[str, list[float]] = defaultdict(list)
    hourly_issued: Counter[int] = Counter()
    hourly_served: Counter[int] = Counter()
    for ticket_events in timelines(events).values():
        issued = ticket_events[0]
        assert isinstance(issued, ev.TicketIssued)
        per[issued.service]["counts"][f"issued_{issued.channel}"] += 1
        hourly_issued[issued.at.hour] += 1
        calls = [e for e in ticket_events if isinstance(e, ev.TicketCalled)]
        if calls:
            per[issued.service]["waits"].append((calls[0].at - issued.at).total_seconds() / 60)
        service, started, called = issued.service, None, None
        held_since, on_hold = None, 0.0
        for e in ticket_events[1:]:
            if isinstance(e, ev.TicketTransferred):
                service, started, called, on_hold = e.service, None, None, 0.0
            elif isinstance(e, ev.TicketCalled | ev.TicketRecalled):
                called = e.at
            elif isinstance(e, ev.ServingStarted):
                started = e.at
            elif isinstance(e, ev.TicketHeld):
                held_since = e.at if started is not None else None
            elif isinstance(e, ev.TicketResumed):
                if held_since is not None:
                    on_hold += (e.at - held_since).total_seconds() / 60
                started, held_since = started or e.at, None
            elif isinstance(e, ev.TicketDone):
                per[service]["counts"]["served"] += 1
                hourly_served[e.at.hour] += 1
                start = started or called
                assert start is not None
                minutes = (e.at - start).total_seconds() / 60 - on_hold
                if minutes < MIN_SERVICE_MINUTES:
                    continue  # a double press, not a service
                per[service]["service_times"].append(minutes)
                officers[e.officer].append(minutes)
            elif isinstance(e, ev.TicketCancelled):
                per[service]["counts"]["cancelled"] += 1
        final = STATUS.get(type(ticket_events[-1]).__name__, "waiting")
        if final == "no_show":
            per[service]["counts"]["no_show"] += 1
        elif final in ("waiting", "called", "serving", "held"):
            per[service]["counts"]["expired"] += 1
    for e in events:
        if isinstance(e, ev.TurnedAway):
            per[e.service]["counts"]["turned_away"] += 1
    booked = {e.booking: e.service for e in events if isinstance(e, ev.BookingMade)}
    # Cancelled and checked-in bookings leave; the rest never came.
    gone = [e.booking for e in events if isinstance(e, ev.BookingCancelled | ev.TicketIssued)]
    for booking in gone:
        booked.pop(booking, None)
    for service in booked.values():
        per[service]["counts"]["booking_no_show"] += 1
    requests = [(e.tenant, e.text) for e in events if isinstance(e, ev.ServiceRequested)]
    return {
        "services": per,
        "officers": officers,
        "requests": requests,
        "hourly": (hourly_issued, hourly_served),
    }


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(len(ordered) * 9 / 10) - 1]


COUNTS = (
    "issued_kiosk",
    "issued_online",
    "issued_staff",
    "issued_itinerary",
    "served",
    "no_show",
    "cancelled",
    "expired",
    "turned_away",
    "booking_no_show",
)


def assert_figures(figures: Figures, expected: dict[str, Any]) -> None:
    """`expected`: counts, waits and service times, and the SLA of each wait's service."""
    for name in COUNTS:
        assert getattr(figures, name) == expected["counts"][name], name
    waits: list[float] = expected["waits"]
    assert figures.called == len(waits)
    assert figures.avg_wait == pytest.approx(sum(waits) / len(waits))
    assert figures.p90_wait == p90(waits)
    times = expected["service_times"]
    assert figures.avg_service == pytest.approx(sum(times) / len(times))
    within = sum(1 for w, limit in zip(waits, expected["limits"], strict=True) if w <= limit)
    assert figures.within_sla == within
    assert figures.sla_percent == pytest.approx(100 * within / len(waits))


def merged(per: dict[str, dict[str, Any]], services: list[str]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    waits: list[float] = []
    limits: list[int] = []
    times: list[float] = []
    for service in services:
        counts.update(per[service]["counts"])
        waits += per[service]["waits"]
        limits += [VENUE.services[service].sla_minutes] * len(per[service]["waits"])
        times += per[service]["service_times"]
    return {"counts": counts, "waits": waits, "limits": limits, "service_times": times}


# --- figures ------------------------------------------------------------------------------


class TestBusyDay:
    """A busy day's report equals a count made independently from the raw events."""

    @pytest.fixture
    async def report(self, day_events: list[ev.Event], tmp_path: Path) -> Report:
        await write_log(tmp_path / "antrean.db", day_events)
        return await report_from_log(tmp_path / "antrean.db", DAY, DAY)

    def test_the_day_is_busy(self, day_events: list[ev.Event], report: Report) -> None:
        issued = [e for e in day_events if isinstance(e, ev.TicketIssued)]
        assert len(issued) >= 2000
        assert len(report.tenants) == 8
        assert {e.channel for e in issued} == {"kiosk", "online", "staff", "itinerary"}
        kinds = {type(e).__name__ for e in day_events}
        for needed in ("TicketNoShow", "TicketReturned", "TicketTransferred", "TicketHeld"):
            assert needed in kinds
        for needed in ("TicketCancelled", "TurnedAway", "ServiceRequested", "BookingCancelled"):
            assert needed in kinds
        assert any(e.priority and e.confirmed_by == "satpam" for e in issued)
        assert report.events == len(day_events)

    def test_services_match(self, day_events: list[ev.Event], report: Report) -> None:
        per = independent(day_events)["services"]
        rows = {s.service: s for t in report.tenants for s in t.services}
        assert set(rows) == set(per)
        for service, row in rows.items():
            assert_figures(row.figures, merged(per, [service]))

    def test_tenants_and_total_match(self, day_events: list[ev.Event], report: Report) -> None:
        per = independent(day_events)["services"]
        for tenant in report.tenants:
            services = [s.id for s in VENUE.services.values() if s.tenant == tenant.tenant]
            assert_figures(tenant.figures, merged(per, [s for s in services if s in per]))
        assert_figures(report.total, merged(per, list(per)))
        assert report.days[0].figures == report.total

    def test_officers_match(self, day_events: list[ev.Event], report: Report) -> None:
        officers = independent(day_events)["officers"]
        assert {o.officer for o in report.officers} == set(officers)
        for row in report.officers:
            times = officers[row.officer]
            assert row.served == len(times)
            assert row.avg_service == pytest.approx(sum(times) / len(times))
            assert len(row.tenants) == 1

    def test_requests_and_hours_match(self, day_events: list[ev.Event], report: Report) -> None:
        expected = independent(day_events)
        # Each request in the group of its tenant and normalised text, each counted once.
        asked = Counter((tenant, normalise(text)) for tenant, text in expected["requests"])
        found = {(t.tenant, g.key): g.total for t in report.missing.tenants for g in t.groups}
        assert found == dict(asked) and report.missing.total == len(expected["requests"])
        issued, served = expected["hourly"]
        day = report.days[0]
        assert day.hourly_issued == tuple(issued[h] for h in range(24))
        assert day.hourly_served == tuple(served[h] for h in range(24))


class TestPeriods:
    """A report covers whole venue-local days, whatever else the log holds."""

    async def test_a_past_day_is_recomputed_from_the_whole_log(
        self, three_days: list[list[ev.Event]], tmp_path: Path
    ) -> None:
        await write_log(tmp_path / "antrean.db", [e for day in three_days for e in day])
        middle = MONTH_DAYS[0] + dt.timedelta(days=1)
        from_log = await report_from_log(tmp_path / "antrean.db", middle, middle)
        # The day's own events open with the expiries of the day before: ignored alike.
        assert from_log == fold(three_days[1], middle, middle)
        assert from_log.total.issued >= 2000

    async def test_the_month_is_the_sum_of_its_days(
        self, three_days: list[list[ev.Event]], tmp_path: Path
    ) -> None:
        path = tmp_path / "antrean.db"
        await write_log(path, [e for day in three_days for e in day])
        month = await report_from_log(path, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        first, count = MONTH_DAYS
        days = [
            await report_from_log(path, first + dt.timedelta(days=i), first + dt.timedelta(days=i))
            for i in range(count)
        ]
        assert month.kind == "month" and len(month.days) == 30
        assert all(row.figures == Figures() for row in month.days[:27])
        for day, row in zip(days, month.days[27:], strict=True):
            assert row.day == day.start and row.figures == day.total
            assert row.hourly_issued == day.days[0].hourly_issued
        for name in (*COUNTS, "called", "within_sla"):
            assert getattr(month.total, name) == sum(getattr(d.total, name) for d in days), name
        called = sum(d.total.called for d in days)
        weighted = sum((d.total.avg_wait or 0) * d.total.called for d in days) / called
        assert month.total.avg_wait == pytest.approx(weighted)
        all_events = [e for day in three_days for e in day]
        waits = merged(independent(all_events)["services"], list(VENUE.services))["waits"]
        assert month.total.p90_wait == p90(waits)
        served = {o.officer: o.served for o in month.officers}
        for officer in served:
            assert served[officer] == sum(
                o.served for d in days for o in d.officers if o.officer == officer
            )
        assert month.missing.total == sum(d.missing.total for d in days)

    def test_an_empty_day_has_no_figures(self) -> None:
        report = fold([], DAY, DAY)
        assert report.total == Figures() and report.tenants == () and report.officers == ()
        assert render_pdf(report).startswith(b"%PDF")
        assert render_csv(report, "en").startswith("\ufeff".encode())


class TestTenantReport:
    """A tenant supervisor's report holds only that tenant, with the same figures."""

    def test_only_the_tenant(self, day_events: list[ev.Event], day_report: Report) -> None:
        tenant = day_report.tenants[0]
        builder = ReportBuilder(VENUE, day_report.start, day_report.end, tenant.tenant)
        for event in day_events:
            builder.add(event)
        own = builder.finish()
        assert [row.tenant for row in own.tenants] == [tenant.tenant]
        assert own.tenants[0] == tenant
        assert own.total == tenant.figures
        assert {t.tenant for t in own.missing.tenants} <= {tenant.tenant}
        others = {c.id for c in VENUE.counters.values() if c.tenant != tenant.tenant}
        assert own.officers and all(not set(o.counters) & others for o in own.officers)


class TestNearestRank:
    """P90 is the ⌈0.9·n⌉-th smallest value."""

    def test_values(self) -> None:
        assert nearest_rank([]) is None
        assert nearest_rank([5.0]) == 5.0
        assert nearest_rank([2.0, 1.0]) == 2.0
        assert nearest_rank([float(v) for v in range(10, 0, -1)]) == 9.0
        assert nearest_rank([float(v) for v in range(1, 21)]) == 18.0
        assert nearest_rank([float(v) for v in range(1, 12)]) == 10.0


# --- files --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def day_report(day_events: list[ev.Event]) -> Report:
    return fold(day_events, DAY, DAY)


def sections(data: bytes) -> Iterator[list[list[str]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    section: list[list[str]] = []
    for row in rows:
        if row:
            section.append(row)
        elif section:
            yield section
            section = []
    if section:
        yield section


class TestCsv:
    """The CSV opens in Excel (BOM) and reads back, section by section, with its headers."""

    def test_round_trip(self, day_report: Report) -> None:
        data = render_csv(day_report)
        assert data.startswith(b"\xef\xbb\xbf")
        meta, services, officers, requests, days, hours, ikm = sections(data)
        assert meta[0] == ["Laporan Harian Antrean", VENUE.name]
        assert meta[1] == ["Periode", "Selasa, 24 November 2026"]
        assert services[0] == ["Per instansi dan layanan"]
        assert services[1] == service_header("id")
        assert services[1][:6] == ["Tingkat", "Instansi", "Layanan", "Tiket", "Anjungan", "Online"]
        assert services[1][-2:] == ["Target SLA (menit)", "SLA %"]
        body = services[2:]
        assert len(body) == sum(len(t.services) + 1 for t in day_report.tenants) + 1
        ktp = next(r for r in body if r[2] == "KTP-el")
        row = day_report.tenants[0].services[0]
        assert ktp[3] == str(row.figures.issued) and ktp[-2] == "30"
        assert float(ktp[-1]) == pytest.approx(row.figures.sla_percent, abs=0.05)
        assert body[-1][0] == "total" and body[-1][3] == str(day_report.total.issued)
        assert officers[1] == [
            "Petugas",
            "Instansi",
            "Loket",
            "Dilayani",
            "Rata-rata layanan (menit)",
        ]
        assert len(officers) == 2 + len(day_report.officers)
        assert requests[0] == ["Permintaan layanan yang belum tersedia"]
        assert requests[1] == [
            "Instansi",
            "Permintaan",
            "Dikelompokkan sebagai",
            "Dari anjungan",
            "Dari pengaduan",
            "Jumlah",
            "Pertama",
            "Terakhir",
        ]
        groups = [g for t in day_report.missing.tenants for g in t.groups]
        assert len(requests) == 2 + len(groups)
        assert sum(int(row[5]) for row in requests[2:]) == day_report.missing.total
        assert days[2][0] == "2026-11-24"
        assert hours[1] == ["Tanggal", "Jam", "Tiket", "Dilayani"]
        # The busy day has no survey: the venue and every tenant, no respondents.
        assert ikm[0] == ["Indeks Kepuasan Masyarakat (IKM)"]
        assert ikm[1][:4] == ["Tingkat", "Instansi", "Responden", "Nilai IKM konversi (× 25)"]
        assert [r[0] for r in ikm[2:]] == ["total"] + ["instansi"] * len(VENUE.tenants)
        assert all(r[2:7] == ["0", "", "", "", ""] for r in ikm[2:])

    def test_english(self, day_report: Report) -> None:
        meta, services, *_ = sections(render_csv(day_report, "en"))
        assert meta[0][0] == "Daily Queue Report"
        assert meta[1] == ["Period", "Tuesday, 24 November 2026"]
        assert services[1][:4] == ["Level", "Tenant", "Service", "Tickets"]


def colored_pixels(pdf: pypdfium2.PdfDocument, page: int, name: str, rgb: tuple[int, ...]) -> int:
    """Render `page` to tests/artifacts/report-NAME.png; count pixels close to `rgb`."""
    image = pdf[page].render(scale=1.5).to_pil().convert("RGB")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / f"report-{name}.png")
    pixels = numpy.asarray(image).astype(int)
    close = (abs(pixels - numpy.array(rgb)) < 24).all(axis=2)
    return int(close.sum())


BLUE, GREEN, ORANGE = (0x2B, 0x6C, 0xB0), (0x38, 0xA1, 0x69), (0xDD, 0x6B, 0x20)


class TestPdf:
    """The PDF has a summary and charts one can see, in Indonesian or English."""

    def test_day_pdf(self, day_report: Report) -> None:
        data = render_pdf(day_report)
        assert data.startswith(b"%PDF")
        pdf = pypdfium2.PdfDocument(data)
        try:
            assert len(pdf) >= 4
            first = pdf[0].get_textpage().get_text_range()
            assert "Laporan Harian Antrean" in first and "24 November 2026" in first
            assert "Halaman 1 dari" in first
            assert colored_pixels(pdf, 0, "day-p1", BLUE) > 2000
            assert colored_pixels(pdf, 0, "day-p1", GREEN) > 2000
            assert colored_pixels(pdf, 1, "day-p2", ORANGE) > 2000
            width, height = pdf[2].get_size()
            assert width > height  # the wide table is on a landscape page
            colored_pixels(pdf, 2, "day-p3", BLUE)
        finally:
            pdf.close()

    def test_month_pdf_in_english(self, three_days: list[list[ev.Event]]) -> None:
        events = [e for day in three_days for e in day]
        report = fold(events, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        pdf = pypdfium2.PdfDocument(render_pdf(report, "en"))
        try:
            first = pdf[0].get_textpage().get_text_range()
            assert "Monthly Queue Report" in first and "November 2026" in first
            assert colored_pixels(pdf, 0, "month-p1", BLUE) > 500
            text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
            assert "Sunday, 29 November 2026" in text  # the table by day
        finally:
            pdf.close()


# --- command line -------------------------------------------------------------------------


class TestCommandLine:
    """`antrean report` writes a day's CSV or PDF, and a month's, from a SQLite log."""

    def test_report_files(
        self, day_events: list[ev.Event], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        data = tmp_path / "data"
        data.mkdir()
        asyncio.run(write_log(data / "antrean.db", day_events))
        venue = tmp_path / "venue.toml"
        venue.write_text(venue_toml())
        common = ["--venue", str(venue), "--data", str(data)]
        out_csv, out_pdf = tmp_path / "hari.csv", tmp_path / "bulan.pdf"
        assert main(["report", "--date", "2026-11-24", "--out", str(out_csv), *common]) == 0
        _, err = capsys.readouterr()
        assert "Membaca log: [####################] 100%" in err
        assert f"({len(day_events):,}/{len(day_events):,} peristiwa)".replace(",", ".") in err
        rows = list(csv.reader(io.StringIO(out_csv.read_text("utf-8-sig"))))
        assert rows[0] == ["Laporan Harian Antrean", VENUE.name]
        month = ["report", "--month", "2026-11", "--format", "pdf", "--lang", "en"]
        assert main([*month, "--out", str(out_pdf), *common]) == 0
        assert out_pdf.read_bytes().startswith(b"%PDF")
        assert "Reading log" in capsys.readouterr().err

    def test_missing_log(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["report", "--date", "2026-11-24", "--data", str(tmp_path)]) == 1
        assert "no event log" in capsys.readouterr().err
        assert not (tmp_path / "antrean.db").exists()

    def test_bad_month(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit):
            main(["report", "--month", "2026-13"])
        assert "not a month" in capsys.readouterr().err


class TestServiceTimeAsTheQueueLearnsIt:
    """The report's service time is the one the wait estimates learn: from Start, else
    from the last call or recall, hold left out, a double press not counted."""

    def test_equal_to_what_the_queue_learned(self) -> None:
        q, log = Queue(), []

        def send(command: cmd.Command, after: float = 0) -> None:
            q.now += dt.timedelta(minutes=after)
            log.extend(q(command))

        send(cmd.OpenCounter(counter="1", officer="loket1"))
        for visit in ("v1", "v2", "v3"):
            send(cmd.IssueTicket(service="ktp", visit=visit))
        # A-001 came only at the recall, and was done without Start: 5 minutes.
        send(cmd.CallNext(counter="1"))
        send(cmd.Recall(counter="1"), after=3)
        send(cmd.Done(counter="1"), after=5)
        # started, 2 minutes, held for 30, resumed, 4 more: 6 minutes.
        send(cmd.CallNext(counter="1"))
        send(cmd.StartServing(counter="1"), after=1)
        send(cmd.Hold(counter="1"), after=2)
        send(cmd.Resume(counter="1", ticket="A-002"), after=30)
        send(cmd.Done(counter="1"), after=4)
        # a double press, no service.
        send(cmd.CallNext(counter="1"))
        send(cmd.Done(counter="1"))
        builder = ReportBuilder(q.venue, q.now.date(), q.now.date())
        for event in log:
            builder.add(event)
        assert q.state.durations["ktp"] == (5.0, 6.0)
        assert builder.finish().total.avg_service == pytest.approx(5.5)
