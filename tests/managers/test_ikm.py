"""The IKM of a period folded from the log: by the day rated, per venue, tenant and
service, against the people served; as CSV and on the command line."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from fractions import Fraction
from pathlib import Path

import pytest

from bench.busy_day import VENUE, venue_toml
from managers.ikm import IkmBuilder, IkmReport, Scope, _period_of, build_ikm, parse_period
from managers.ikm_csv import HEADER, render_ikm_csv
from managers.reports import ReportBuilder
from server.cli import main
from server.domain import commands as cmd
from server.domain import events as ev
from server.domain import ikm
from server.domain.events import encode_event
from server.domain.venue import Venue
from server.store import open_log
from tests.helpers import Queue, local_time

ALL3 = dict.fromkeys(ikm.KEYS, 3)
ALL4 = dict.fromkeys(ikm.KEYS, 4)
LOW_COST = {**ALL4, "biaya": 2}


class Log:
    """A queue driven by commands, keeping every event it decided."""

    def __init__(self, venue: Venue | None = None) -> None:
        self.q = Queue(venue)
        self.events: list[ev.Event] = []

    def __call__(self, command: cmd.Command) -> list[ev.Event]:
        events = self.q(command)
        self.events += events
        return events

    def day(self, month: int, day: int, hour: int = 9) -> None:
        self.q.now = local_time(self.q.venue, 2026, month, day, hour)
        self(cmd.RollDay())

    def serve(self, service: str, counter: str) -> str:
        if self.q.state.counter(counter).status != "open":
            self(cmd.OpenCounter(counter=counter, officer=f"petugas{counter}"))
        issued = self(cmd.IssueTicket(service=service, visit=f"v{len(self.events)}"))
        ticket = next(e.ticket for e in issued if isinstance(e, ev.TicketIssued))
        self(cmd.CallNext(counter=counter))
        self(cmd.Done(counter=counter))
        return ticket

    def answer(self, ticket: str, answers: dict[str, int], **kw: object) -> None:
        self(cmd.AnswerSurvey(answers=answers, ticket=ticket, **kw))  # type: ignore[arg-type]


def fold(events: list[ev.Event], venue: Venue, period: str, tenant: str | None = None) -> IkmReport:
    chosen = parse_period(period)
    builder = IkmBuilder(venue, chosen.start, chosen.end, tenant)
    for event in events:
        builder.add(event)
    return builder.finish()


def scope(report: IkmReport, kind: str, key: str) -> Scope:
    return next(s for s in report.scopes() if (s.scope, s.id) == (kind, key))


@pytest.fixture
def november() -> Log:
    """Nov 24: 3 KTP and 1 SIM served, 2 KTP and the SIM rated; Nov 30: a KK served and
    rated the next morning (1 December); Dec 1: a KTP served and rated."""
    log = Log()
    log.day(11, 24)
    ktp = [log.serve("ktp", "1") for _ in range(3)]
    sim = log.serve("sim", "3")
    profile = cmd.Respondent(age="30-39", sex="P", education="D4-S1", occupation="PNS")
    log.answer(ktp[0], ALL4, comment="Cepat dan ramah", respondent=profile)
    log.answer(ktp[1], LOW_COST)
    log.answer(sim, ALL3, respondent=cmd.Respondent(sex="L"))
    log.day(11, 30)
    kk = log.serve("kk", "4")
    log.day(12, 1)
    log.answer(kk, ALL3, comment="Antre lama")
    december = log.serve("ktp", "1")
    log.answer(december, ALL4)
    return log


class TestFold:
    def test_responses_count_on_the_day_they_rate(self, november: Log) -> None:
        report = fold(november.events, november.q.venue, "2026-11")
        assert report.main.respondents == 4  # the KK rated on 1 December is November's
        assert scope(report, "service", "kk").respondents == 1
        december = fold(november.events, november.q.venue, "2026-12")
        assert december.main.respondents == 1
        assert scope(december, "service", "kk").respondents == 0

    def test_tenant_and_service_scopes(self, november: Log) -> None:
        report = fold(november.events, november.q.venue, "2026-11")
        dukcapil, polres = scope(report, "tenant", "dukcapil"), scope(report, "tenant", "polres")
        assert (dukcapil.respondents, polres.respondents) == (3, 1)
        ktp = scope(report, "service", "ktp").result
        assert ktp is not None and ktp.nrr["biaya"] == 3 and ktp.nrr["waktu"] == 4
        assert ktp.weakest == "biaya"
        assert polres.result is not None and polres.result.value == 75 and polres.result.mutu == "C"
        # The venue's index is over every response, not an average of the tenants'.
        venue = report.main.result
        assert venue is not None
        assert venue.nrr["biaya"] == Fraction(4 + 2 + 3 + 3, 4)

    def test_population_is_the_people_served(self, november: Log) -> None:
        report = fold(november.events, november.q.venue, "2026-11")
        assert report.main.population == 5
        assert scope(report, "tenant", "dukcapil").population == 4
        assert scope(report, "service", "ktp").population == 3
        assert scope(report, "service", "sim").population == 1
        assert report.main.minimum_sample == ikm.minimum_sample(5) == 5
        assert not report.main.sample_enough
        assert fold(november.events, november.q.venue, "2026-12").main.population == 1

    def test_profile_and_comments(self, november: Log) -> None:
        report = fold(november.events, november.q.venue, "2026-11")
        assert report.profile["sex"] == {"L": 1, "P": 1, "": 2}
        assert report.profile["age"]["30-39"] == 1 and report.profile["age"][""] == 3
        assert report.profile["occupation"]["PNS"] == 1
        assert [(c.day, c.service, c.text) for c in report.comments] == [
            (dt.date(2026, 11, 24), "ktp", "Cepat dan ramah"),
            (dt.date(2026, 11, 30), "kk", "Antre lama"),
        ]
        fields = set(type(report.comments[0]).__struct_fields__)
        assert not fields & {"ticket", "counter", "officer"}

    def test_a_tenants_report_has_only_that_tenant(self, november: Log) -> None:
        report = fold(november.events, november.q.venue, "2026-11", tenant="polres")
        assert [(s.scope, s.id) for s in report.scopes()] == [
            ("tenant", "polres"),
            ("service", "sim"),
        ]
        assert report.main.respondents == 1 and report.main.population == 1
        assert report.profile["sex"] == {"L": 1, "P": 0, "": 0}
        assert report.comments == ()

    def test_the_daily_report_carries_the_ikm(self, november: Log) -> None:
        builder = ReportBuilder(november.q.venue, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        for event in november.events:
            builder.add(event)
        report = builder.finish()
        assert report.ikm is not None and report.ikm.main.respondents == 4


class TestPeriods:
    @pytest.mark.parametrize(
        ("text", "kind", "start", "end"),
        [
            ("2026-11-24", "day", (2026, 11, 24), (2026, 11, 24)),
            ("2026-02", "month", (2026, 2, 1), (2026, 2, 28)),
            ("2028-02", "month", (2028, 2, 1), (2028, 2, 29)),
            ("2026-Q1", "quarter", (2026, 1, 1), (2026, 3, 31)),
            ("2026-q4", "quarter", (2026, 10, 1), (2026, 12, 31)),
            ("2026-S1", "semester", (2026, 1, 1), (2026, 6, 30)),
            ("2026-S2", "semester", (2026, 7, 1), (2026, 12, 31)),
            ("2026", "year", (2026, 1, 1), (2026, 12, 31)),
        ],
    )
    def test_named_periods(
        self, text: str, kind: str, start: tuple[int, int, int], end: tuple[int, int, int]
    ) -> None:
        period = parse_period(text)
        assert (period.kind, period.start, period.end) == (kind, dt.date(*start), dt.date(*end))

    @pytest.mark.parametrize(
        "text", ["2026-13", "2026-Q5", "2026-Q0", "2026-S3", "26", "", "2026-11-31", "Q4-2026"]
    )
    def test_bad_periods(self, text: str) -> None:
        with pytest.raises(ValueError, match="not a period"):
            parse_period(text)

    @pytest.mark.parametrize("text", ["0001-01", "0042-Q1", "0999", "2026-11"])
    def test_a_label_reads_back_as_the_same_period(self, text: str) -> None:
        # Found by fuzzing /manager/reports/ikm: year 1's label was "1-01", not a period.
        period = parse_period(text)
        assert parse_period(period.label, period.kind) == period
        # And a report's own period, named from its first and last day, is that period.
        assert _period_of(period.start, period.end) == period

    def test_a_period_of_another_kind_is_refused(self) -> None:
        with pytest.raises(ValueError, match="2026-Q4"):
            parse_period("2026-11", "quarter")


class TestCsv:
    def test_header_and_numbers(self, november: Log) -> None:
        data = render_ikm_csv(fold(november.events, november.q.venue, "2026-11"))
        assert data.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        first_line = data.decode("utf-8-sig").splitlines()[0]
        assert first_line.startswith(
            "scope,id,name,respondents,u1,u2,u3,u4,u5,u6,u7,u8,u9,ikm,mutu,kinerja,"
        )
        assert rows[0][16:] == ["population", "minimum_sample", "sample_enough", "weakest"]
        assert tuple(rows[0]) == HEADER
        assert [(r[0], r[1]) for r in rows[1:]] == [
            ("venue", ""),
            ("tenant", "dukcapil"),
            ("tenant", "polres"),
            ("service", "ktp"),
            ("service", "kk"),
            ("service", "sim"),
        ]
        ktp = rows[4]
        # KTP: one 4-everywhere and one 4-but-cost-2: NRR 4 on eight unsur, 3 on cost.
        assert ktp[4:13] == [
            "4.000",
            "4.000",
            "4.000",
            "3.000",
            "4.000",
            "4.000",
            "4.000",
            "4.000",
            "4.000",
        ]
        # IKM = (8 × 4 + 3) / 9 × 25 = 97.2222… → 97.22, mutu A.
        assert ktp[13:16] == ["97.22", "A", "Sangat Baik"]
        assert ktp[16:] == ["3", "3", "no", "biaya"]
        venue = rows[1]
        assert venue[3] == "4" and venue[7] == "3.000"  # biaya: (4 + 2 + 3 + 3) / 4
        assert venue[4] == "3.500"

    def test_no_respondents_leaves_the_cells_empty(self) -> None:
        log = Log()
        log.day(11, 24)
        log.serve("sim", "3")
        rows = list(
            csv.reader(
                io.StringIO(
                    render_ikm_csv(fold(log.events, log.q.venue, "2026-11")).decode("utf-8-sig")
                )
            )
        )
        sim = rows[-1]
        assert sim[:4] == ["service", "sim", "Perpanjangan SIM", "0"]
        assert sim[4:16] == [""] * 12
        assert sim[16:] == ["1", "1", "no", ""]


async def write_log(path: Path, events: list[ev.Event]) -> None:
    log = open_log(f"sqlite://{path}")
    try:
        data = [encode_event(e) for e in events]
        await log.append(VENUE.id, 0, data, "c0")
    finally:
        await log.close()


class TestCommandLine:
    @pytest.fixture
    def setup(self, tmp_path: Path) -> list[str]:
        log = Log(VENUE)
        log.day(11, 24)
        ktp = [log.serve("ktp", "1") for _ in range(2)]
        pkb = log.serve("pkb", "5")
        log.answer(ktp[0], ALL4)
        log.answer(ktp[1], LOW_COST)
        log.answer(pkb, ALL3)
        data = tmp_path / "data"
        data.mkdir()
        asyncio.run(write_log(data / "antrean.db", log.events))
        venue = tmp_path / "venue.toml"
        venue.write_text(venue_toml())
        return ["--venue", str(venue), "--data", str(data)]

    def test_a_quarter_as_csv(
        self, setup: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        out = tmp_path / "ikm.csv"
        assert main(["ikm", "report", "--quarter", "2026-Q4", "--out", str(out), *setup]) == 0
        assert "Membaca log: [####################] 100%" in capsys.readouterr().err
        rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
        assert rows[1][:4] == ["venue", "", VENUE.name, "3"]
        samsat = next(r for r in rows if r[:2] == ["tenant", "samsat"])
        assert samsat[13:16] == ["75.00", "C", "Kurang Baik"]

    def test_a_tenant_in_english_with_default_name(
        self, setup: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        args = ["ikm", "report", "--semester", "2026-S2", "--tenant", "samsat", "--lang", "en"]
        assert main([*args, *setup]) == 0
        rows = list(
            csv.reader(
                io.StringIO(
                    (tmp_path / f"ikm-{VENUE.id}-samsat-2026-S2.csv").read_text("utf-8-sig")
                )
            )
        )
        assert [r[0] for r in rows[1:]] == ["tenant", "service", "service"]
        assert rows[1][15] == "Fair"

    def test_nothing_before_the_period(self, setup: list[str], tmp_path: Path) -> None:
        out = tmp_path / "y.csv"
        assert main(["ikm", "report", "--year", "2025", "--out", str(out), *setup]) == 0
        rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
        assert rows[1][3] == "0" and rows[1][13] == ""

    @pytest.mark.parametrize(
        "args",
        [
            ["--quarter", "2026-Q5"],
            ["--semester", "2026-S3"],
            ["--month", "2026-13"],
            ["--year", "20x6"],
            ["--month", "2026-Q4"],
            [],
            ["--month", "2026-11", "--year", "2026"],
        ],
    )
    def test_bad_periods_exit_2(self, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as caught:
            main(["ikm", "report", *args])
        assert caught.value.code == 2
        assert "error" in capsys.readouterr().err

    def test_unknown_tenant(self, setup: list[str], capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["ikm", "report", "--month", "2026-11", "--tenant", "nope", *setup]) == 2
        assert "unknown tenant 'nope'" in capsys.readouterr().err

    def test_an_action_is_required(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as caught:
            main(["ikm"])
        assert caught.value.code == 2

    def test_whole_log_is_read_for_late_responses(self, tmp_path: Path) -> None:
        """A response about 30 November given on 1 December, read with build_ikm."""
        log = Log(VENUE)
        log.day(11, 30)
        ticket = log.serve("ktp", "1")
        log.day(12, 1)
        for _ in range(3):
            log.serve("pkb", "5")
        log.answer(ticket, ALL4)
        path = tmp_path / "late.db"
        asyncio.run(write_log(path, log.events))

        async def read() -> IkmReport:
            store = open_log(f"sqlite://{path}")
            try:
                return await build_ikm(store, VENUE, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
            finally:
                await store.close()

        report = asyncio.run(read())
        assert (report.main.respondents, report.main.population) == (1, 1)


def test_the_daily_report_csv_has_an_ikm_section(november: Log) -> None:
    from managers.report_csv import render_csv

    builder = ReportBuilder(november.q.venue, dt.date(2026, 11, 24), dt.date(2026, 11, 24))
    for event in november.events:
        builder.add(event)
    text = render_csv(builder.finish()).decode("utf-8-sig")
    section = text.split("Indeks Kepuasan Masyarakat (IKM)")[1]
    rows = list(csv.reader(io.StringIO(section.strip())))
    # Nov 24: KTP all 4, all 4 but cost 2, SIM all 3: (8 × 11/3 + 9/3) / 9 × 25 = 89.81.
    assert rows[1][:5] == ["total", "", "3", "89.81", "A"]
    assert rows[2][:4] == ["instansi", "Dispendukcapil", "2", "97.22"]
    assert rows[3][:6] == ["instansi", "Satpas SIM", "1", "75.00", "C", "Kurang Baik"]


def test_the_monthly_report_pdf_has_an_ikm_section(november: Log) -> None:
    import pypdfium2  # type: ignore[import-untyped]  # pypdfium2 ships no type hints

    from managers.report_pdf import render_pdf

    builder = ReportBuilder(november.q.venue, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    for event in november.events:
        builder.add(event)
    pdf = pypdfium2.PdfDocument(render_pdf(builder.finish()))
    try:
        text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()
    section = text.split("Indeks Kepuasan Masyarakat (IKM)")[1]
    # Dispendukcapil: KTP 4s, KTP 4s but cost 2, KK 3s: (8 × 11/3 + 9/3) / 9 × 25 = 89,81.
    assert "Dispendukcapil" in section and "89,81" in section and "Biaya/Tarif" in section
    assert "Satpas SIM" in section and "75,00" in section and "Kurang Baik" in section


def test_the_cli_writes_a_pdf(tmp_path: Path) -> None:
    log = Log(VENUE)
    log.day(11, 24)
    ticket = log.serve("ktp", "1")
    log.answer(ticket, ALL4, comment="Mantap")
    data = tmp_path / "data"
    data.mkdir()
    asyncio.run(write_log(data / "antrean.db", log.events))
    venue = tmp_path / "venue.toml"
    venue.write_text(venue_toml())
    out = tmp_path / "ikm.pdf"
    args = ["ikm", "report", "--month", "2026-11", "--out", str(out)]
    assert main([*args, "--venue", str(venue), "--data", str(data)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
