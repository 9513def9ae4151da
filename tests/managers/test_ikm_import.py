"""`antrean ikm import FILE.csv`: paper and online-form surveys into the event log, every
problem of a bad file listed at once and nothing imported then, nothing imported twice."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from managers import ikm_import
from managers.ikm_import import parse
from server import config
from server.cli import main
from server.domain import events as ev
from server.domain.events import decode_event
from server.service import VenueQueue
from server.settings import Settings
from server.store import open_log

VENUE = config.load_venue(config.DEMO_VENUE)
NOW = "2026-11-24T09:10:00+07:00"
TODAY = dt.date(2026, 11, 24)
HEADER = "date,service,u1,u2,u3,u4,u5,u6,u7,u8,u9"
SAMPLE = Path(ikm_import.__file__).parent / "samples" / "skm-contoh.csv"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`antrean ikm ...`, through the `antrean` command itself."""
    code = main(["ikm", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def records(data: Path) -> list[tuple[str, ev.Event]]:
    """(command id, event) of every event in the SQLite log of `data`, none if no log."""
    if not (data / "antrean.db").exists():
        return []

    async def read() -> list[tuple[str, ev.Event]]:
        log = open_log(f"sqlite://{data / 'antrean.db'}")
        found: list[tuple[str, ev.Event]] = []
        try:
            while batch := await log.read(VENUE.id, after=len(found)):
                found += [(r.command_id, decode_event(r.data)) for r in batch]
        finally:
            await log.close()
        return found

    return asyncio.run(read())


def answered(data: Path) -> list[ev.SurveyAnswered]:
    return [e for _, e in records(data) if isinstance(e, ev.SurveyAnswered)]


def write(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture(autouse=True)
def venue_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo venue, on 24 November 2026 (venue time)."""
    monkeypatch.setenv("ANTREAN_CLOCK_START", NOW)
    for name in ("ANTREAN_VENUE", "ANTREAN_DATA", "ANTREAN_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)


class TestProblems:
    """Every problem of a file is listed with its line and column, and nothing is imported."""

    BROKEN = (
        "date,service,u1,u2,u3,u4,u5,u6,u7,u8,sex,hobi",
        "2026-11-31,ktp,4,4,4,4,4,4,4,4,L,",
        "2026-11-25,ktp,4,4,4,4,4,4,4,4,P,",
        "",
        "2026-11-20,ktpp,4,4,4,4,4,4,4,4,L,",
        "2026-11-20,kk,5,4,4,4,4,4,4,4,X,",
        "2016-12-31,Kartu Keluarga,4,4,4,4,4,4,4,,L,ya",
    )

    def test_every_problem_listed_nothing_imported(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        file = write(tmp_path / "rusak.csv", *self.BROKEN)
        code, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path))
        assert code == 1
        where = [line.split(": ")[1] for line in out.splitlines() if line.startswith(str(file))]
        assert where == [
            "baris 1, kolom hobi",  # unknown column
            "baris 1, kolom u9",  # missing column
            "baris 2, kolom date",  # no such day
            "baris 3, kolom date",  # in the future
            "baris 5, kolom service",  # unknown service (the empty line 4 still counts)
            "baris 6, kolom u1",  # answer 5
            "baris 6, kolom sex",
            "baris 7, kolom date",  # before 2017
            "baris 7, kolom u8",  # empty answer
        ]
        assert "maksud Anda: ktp (Perekaman KTP-el)?" in out
        assert 'harus 1, 2, 3 atau 4, bukan "5"' in out
        assert "hari ini 24/11/2026" in out
        assert out.count("    perbaikan: ") == 9
        assert out.splitlines()[-1] == f"9 masalah di {file}; tidak ada yang diimpor."
        assert answered(tmp_path) == []

    def test_in_english(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        file = write(tmp_path / "rusak.csv", *self.BROKEN)
        code, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path), "--lang", "en")
        assert code == 1
        assert f"{file}: line 6, column u1: the answer for Persyaratan must be" in out
        assert "    fix: " in out
        assert out.splitlines()[-1] == f"9 problems in {file}; nothing was imported."

    def test_one_bad_row_keeps_the_good_ones_out(self) -> None:
        rows, problems = parse(
            f"{HEADER}\n2026-11-20,ktp,4,4,4,4,4,4,4,4,4\n2026-11-20,ktp,4,4,4,4,4,4,4,4,0\n",
            VENUE,
            TODAY,
        )
        assert rows == []
        assert [(p.line, p.column) for p in problems] == [(3, "u9")]

    def test_a_file_without_header(self) -> None:
        _, problems = parse("2026-11-20,ktp,4,4,4,4,4,4,4,4,4\n", VENUE, TODAY)
        assert [(p.line, p.what) for p in problems] == [(1, "baris pertama bukan baris judul")]

    def test_cells_outside_the_header(self) -> None:
        _, problems = parse(f"{HEADER}\n2026-11-20,ktp,4,4,4,4,4,4,4,4,4,lebih\n", VENUE, TODAY)
        assert [(p.line, p.params) for p in problems] == [(2, {"value": '"lebih"'})]

    def test_profile_that_is_not_an_option(self) -> None:
        _, problems = parse(
            f"{HEADER},age,education,occupation,comment\n"
            f"2026-11-20,ktp,4,4,4,4,4,4,4,4,4,tua,SLB,Astronot,{'x' * 1001}\n",
            VENUE,
            TODAY,
        )
        assert [p.column for p in problems] == ["age", "education", "occupation", "comment"]


class TestRefused:
    """A file that is not UTF-8 or is too big is refused with what to do about it."""

    def test_not_utf8(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        file = tmp_path / "excel.csv"
        file.write_bytes(
            f"{HEADER},comment\n2026-11-20,ktp,4,4,4,4,4,4,4,4,4,Caf\xe9\n".encode("latin-1")
        )
        code, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path))
        assert code == 1
        assert f"{file}: berkas bukan teks UTF-8 (baris 2 tidak terbaca)" in out
        assert '"CSV UTF-8"' in out
        assert answered(tmp_path) == []

    def test_too_big(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        file = tmp_path / "besar.csv"
        row = "2026-11-20,ktp,4,4,4,4,4,4,4,4,4\n"
        file.write_text(HEADER + "\n" + row * (ikm_import.MAX_BYTES // len(row) + 1))
        code, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path))
        assert code == 1
        assert "lebih dari batas 10 MB" in out
        assert answered(tmp_path) == []

    def test_missing(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = cli(capsys, "import", str(tmp_path / "tidak-ada.csv"))
        assert code == 1 and "berkas tidak ditemukan" in out


class TestReading:
    """What spreadsheets and online forms write is read as the form meant it."""

    def test_semicolons_and_bom(self) -> None:
        text = "\ufeffDate ; Service;" + ";".join(f"U{n}" for n in range(1, 10)) + "\n"
        rows, problems = parse(text + "2026-11-20;ktp;4;3;3;4;4;4;4;3;2\n", VENUE, TODAY)
        assert problems == []
        assert [r.answers["sarana"] for r in rows] == [2]

    def test_day_first_dates(self) -> None:
        rows, problems = parse(
            f"{HEADER}\n24/11/2026,ktp,4,4,4,4,4,4,4,4,4\n5-1-2026,ktp,4,4,4,4,4,4,4,4,4\n",
            VENUE,
            TODAY,
        )
        assert problems == []
        assert [r.day for r in rows] == [dt.date(2026, 11, 24), dt.date(2026, 1, 5)]

    def test_service_by_name(self) -> None:
        rows, problems = parse(
            f"{HEADER}\n2026-11-20,  paspor BARU ,4,4,4,4,4,4,4,4,4\n", VENUE, TODAY
        )
        assert problems == [] and rows[0].service == "paspor-baru"

    def test_columns_in_any_order(self) -> None:
        keys = ",".join(f"u{n}" for n in range(9, 0, -1))
        rows, _ = parse(f"service,{keys},date\nkk,1,2,3,4,4,4,4,4,4,2026-11-20\n", VENUE, TODAY)
        assert rows[0].answers["sarana"] == 1 and rows[0].answers["persyaratan"] == 4

    def test_profile_aliases(self) -> None:
        rows, problems = parse(
            f"{HEADER},age,sex,education,occupation,comment\n"
            f"2026-11-20,ktp,4,4,4,4,4,4,4,4,4,35,Perempuan,SLTA,Pegawai swasta,  Cepat   sekali \n"
            f"2026-11-20,ktp,4,4,4,4,4,4,4,4,4,60+,l,s1,Mahasiswa,\n"
            f"2026-11-20,ktp,4,4,4,4,4,4,4,4,4,19,L,D3,wiraswasta,\n",
            VENUE,
            TODAY,
        )
        assert problems == []
        profiles = [
            (r.respondent.age, r.respondent.sex, r.respondent.education, r.respondent.occupation)
            for r in rows
        ]
        assert profiles == [
            ("30-39", "P", "SMA", "SWASTA"),
            ("60+", "L", "D4-S1", "PELAJAR"),
            ("<20", "L", "D1-D3", "WIRAUSAHA"),
        ]
        assert [r.comment for r in rows] == ["Cepat sekali", "", ""]


class TestOnce:
    """A file imported again records nothing twice; identical forms are two respondents."""

    def test_good_file_twice(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        file = write(
            tmp_path / "skm.csv",
            HEADER,
            "2026-11-20,ktp,4,4,4,4,4,4,4,4,4",
            "2026-11-21,kk,3,3,3,3,3,3,3,3,3",
        )
        code, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path))
        assert (code, out) == (0, f"2 respons diimpor dari {file} (0 sudah ada sebelumnya).\n")
        code, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path))
        assert (code, out) == (0, f"0 respons diimpor dari {file} (2 sudah ada sebelumnya).\n")
        events = answered(tmp_path)
        assert [(e.service, e.day, e.channel) for e in events] == [
            ("ktp", dt.date(2026, 11, 20), "import"),
            ("kk", dt.date(2026, 11, 21), "import"),
        ]
        assert all(e.source.startswith("import:") for e in events)

    def test_identical_rows_are_two_respondents(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        row = "2026-11-20,ktp,4,4,4,4,4,4,4,4,4"
        file = write(tmp_path / "skm.csv", HEADER, row, row)
        assert cli(capsys, "import", str(file), "--data", str(tmp_path))[0] == 0
        # The same two forms again, with a third one like them: only the third is new.
        write(file, HEADER, row, row, row)
        _, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path))
        assert out == f"1 respons diimpor dari {file} (2 sudah ada sebelumnya).\n"
        assert len({e.source for e in answered(tmp_path)}) == 3

    def test_dry_run_imports_nothing(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        file = write(tmp_path / "skm.csv", HEADER, "2026-11-20,ktp,4,4,4,4,4,4,4,4,4")
        code, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path), "--dry-run")
        assert code == 0
        assert out.startswith(f"1 respons dari {file} siap diimpor (0 sudah ada sebelumnya)")
        assert not (tmp_path / "antrean.db").exists()
        cli(capsys, "import", str(file), "--data", str(tmp_path))
        _, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path), "--dry-run")
        assert out.startswith(f"0 respons dari {file} siap diimpor (1 sudah ada sebelumnya)")
        assert len(answered(tmp_path)) == 1


class TestChunks:
    """A large file goes as commands of at most 500 rows; an interrupted import completes."""

    @staticmethod
    def big_file(path: Path) -> Path:
        rows = [
            f"2026-11-{1 + n % 20:02d},{('ktp', 'kk', 'pkb')[n % 3]},"
            + ",".join(str(1 + (n + k) % 4) for k in range(9))
            for n in range(1200)
        ]
        return write(path, HEADER, *rows)

    def test_1200_rows_in_3_commands(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        file = self.big_file(tmp_path / "besar.csv")
        _, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path))
        assert out == f"1.200 respons diimpor dari {file} (0 sudah ada sebelumnya).\n"
        survey_commands = Counter(
            command for command, e in records(tmp_path) if isinstance(e, ev.SurveyAnswered)
        )
        assert sorted(survey_commands.values()) == [200, 500, 500]
        _, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path))
        assert out == f"0 respons diimpor dari {file} (1.200 sudah ada sebelumnya).\n"
        assert len(answered(tmp_path)) == 1200

    def test_interrupted_import_completes(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        file = self.big_file(tmp_path / "besar.csv")
        rows, _ = parse(file.read_text(), VENUE, TODAY)
        settings = Settings(data_dir=str(tmp_path), clock_start=NOW)

        async def first_chunk_only() -> None:
            queue = VenueQueue(VENUE, open_log(settings.log_url), settings.clock())
            await queue.start()
            try:
                command = ikm_import.chunks(rows)[0]
                await queue.execute(command, ikm_import.command_id(command), ikm_import.CALLER)
            finally:
                await queue.stop()
                await queue.log.close()

        asyncio.run(first_chunk_only())
        _, out, _ = cli(capsys, "import", str(file), "--data", str(tmp_path))
        assert out == f"700 respons diimpor dari {file} (500 sudah ada sebelumnya).\n"
        assert len({e.source for e in answered(tmp_path)}) == len(answered(tmp_path)) == 1200


class TestSample:
    """The sample for operators imports into the demo venue as it is."""

    def test_sample_imports(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = cli(capsys, "import", str(SAMPLE), "--data", str(tmp_path))
        assert (code, out) == (0, f"10 respons diimpor dari {SAMPLE} (0 sudah ada sebelumnya).\n")
        events = answered(tmp_path)
        assert len({e.service for e in events}) == 10
        assert {e.tenant for e in events} >= {"dispendukcapil", "samsat", "imigrasi"}
