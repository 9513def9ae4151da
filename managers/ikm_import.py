"""`antrean ikm import FILE.csv`: satisfaction surveys (SKM) collected on paper or with an
online form, into the event log as `ImportSurveys`.

A file is a header row (`date,service,u1,...,u9` and optionally `age,sex,education,
occupation,comment`, any order, `,` or `;` between cells) and one row per response. Every
bad row is reported at once, each problem with its line as a spreadsheet numbers it (the
header is line 1), its column, what is wrong and how to fix it; then nothing is imported.

A row's `source` is a hash of its normalised content and of its occurrence among identical
rows of the file: importing a file again records nothing twice, while two paper forms with
the same answers stay two respondents. Rows go in chunks of at most `CHUNK` per command,
each command's id derived from its rows' sources, so an import interrupted half-way and run
again completes without doubling anything.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import difflib
import hashlib
import io
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from server.cli_venue import open_venue
from server.clock import Clock
from server.domain import commands as cmd
from server.domain import events as ev
from server.domain import ikm
from server.domain.errors import DomainError
from server.domain.venue import Venue
from server.i18n import N_, gettext, ngettext
from server.messages import explain
from server.service import VenueQueue
from server.settings import Settings
from server.store import StoreUnavailable, open_log

MAX_BYTES = 10 * 1024 * 1024
CHUNK = 500
EARLIEST = dt.date(2017, 1, 1)
MAX_AGE = 120
CALLER = "cli:ikm-import"
ANSWERS: dict[str, str] = {f"u{n}": key for n, key in enumerate(ikm.KEYS, start=1)}
REQUIRED: tuple[str, ...] = ("date", "service", *ANSWERS)
OPTIONAL: tuple[str, ...] = ("age", "sex", "education", "occupation", "comment")
COLUMNS: tuple[str, ...] = REQUIRED + OPTIONAL
# Headers people write instead: the form's Indonesian words, or an unsur's key.
_HEADER_ALIASES: dict[str, str] = {
    "tanggal": "date",
    "layanan": "service",
    "umur": "age",
    "usia": "age",
    "jenis kelamin": "sex",
    "pendidikan": "education",
    "pekerjaan": "occupation",
    "saran": "comment",
    "komentar": "comment",
    **{key: column for column, key in ANSWERS.items()},
}
# What paper forms and online forms write for the regulation's options (compared in
# upper case, spaces squeezed, "/" and dashes as "-").
_SEX_ALIASES = {"LAKI-LAKI": "L", "LAKI LAKI": "L", "LELAKI": "L", "PRIA": "L"}
_SEX_ALIASES |= {"PEREMPUAN": "P", "WANITA": "P"}
_EDUCATION_ALIASES = {
    "SLTP": "SMP",
    "MTS": "SMP",
    "SLTA": "SMA",
    "SMK": "SMA",
    "MA": "SMA",
    "D1": "D1-D3",
    "D2": "D1-D3",
    "D3": "D1-D3",
    "DIPLOMA": "D1-D3",
    "D4": "D4-S1",
    "S1": "D4-S1",
    "S1-D4": "D4-S1",
    "SARJANA": "D4-S1",
    "S2": "S2-S3",
    "S3": "S2-S3",
    "MAGISTER": "S2-S3",
    "DOKTOR": "S2-S3",
}
_OCCUPATION_ALIASES = {
    "ASN": "PNS",
    "PPPK": "PNS",
    "PEGAWAI NEGERI": "PNS",
    "PEGAWAI NEGERI SIPIL": "PNS",
    "POLISI": "POLRI",
    "PEGAWAI SWASTA": "SWASTA",
    "KARYAWAN SWASTA": "SWASTA",
    "KARYAWAN": "SWASTA",
    "WIRASWASTA": "WIRAUSAHA",
    "PENGUSAHA": "WIRAUSAHA",
    "MAHASISWA": "PELAJAR",
    "SISWA": "PELAJAR",
    "PELAJAR-MAHASISWA": "PELAJAR",
    "LAIN-LAIN": "LAINNYA",
    "LAIN": "LAINNYA",
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})")
_YEARS = re.compile(r"(\d{1,3})\s*(?:tahun|thn|th)?\.?", re.IGNORECASE)
_DASHES = str.maketrans({"–": "-", "—": "-", "/": "-"})


class Problem(msgspec.Struct, frozen=True):
    """One thing wrong with a file: where (line 1 is the header, 0 the file as a whole; the
    column as its header names it), what is wrong and how to fix it, as Indonesian msgids
    with their `params`."""

    line: int
    column: str
    what: str
    fix: str
    params: dict[str, str] = {}

    def say(self, lang: str) -> tuple[str, str]:
        """What is wrong and the fix, in `lang`."""
        return gettext(lang, self.what, **self.params), gettext(lang, self.fix, **self.params)


class Refused(Exception):
    """The file cannot be read at all (too big, not UTF-8, missing)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.what)
        self.problem = problem


class Imported(msgspec.Struct, frozen=True):
    """What an import did: rows in the file, rows newly recorded, and commands sent."""

    rows: int
    new: int
    commands: int

    @property
    def existing(self) -> int:
        return self.rows - self.new


# --- reading ------------------------------------------------------------------------------


def read(path: Path) -> str:
    """The text of a CSV file, refused before reading it all when it is too big."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise Refused(_too_big(size))
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except (FileNotFoundError, IsADirectoryError):
        raise Refused(
            Problem(0, "", N_("berkas tidak ditemukan"), N_("periksa nama dan foldernya"))
        ) from None
    if len(data) > MAX_BYTES:  # it grew while we looked
        raise Refused(_too_big(len(data)))
    return decode(data)


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is fine), or a refusal saying how to save the file from Excel."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Refused(
            Problem(
                0,
                "",
                N_("berkas bukan teks UTF-8 (baris {line} tidak terbaca)"),
                N_(
                    'simpan ulang sebagai "CSV UTF-8" (Excel: Simpan Sebagai, CSV UTF-8), lalu impor lagi'
                ),
                {"line": str(data[: error.start].count(b"\n") + 1)},
            )
        ) from None


def _too_big(size: int) -> Problem:
    return Problem(
        0,
        "",
        N_("berkas {size} MB, lebih dari batas {limit} MB"),
        N_("bagi menjadi beberapa berkas yang lebih kecil, lalu impor satu per satu"),
        {"size": f"{size / 1024 / 1024:.1f}".replace(".", ","), "limit": str(MAX_BYTES // 2**20)},
    )


# --- parsing ------------------------------------------------------------------------------


class _Bad(Exception):
    """A cell's problem, raised by its check."""

    def __init__(self, what: str, fix: str, **params: str) -> None:
        super().__init__(what)
        self.what, self.fix, self.params = what, fix, params


Check = Callable[[str, Venue, dt.date], Any]


def parse(text: str, venue: Venue, today: dt.date) -> tuple[list[cmd.SurveyRow], list[Problem]]:
    """The rows of a CSV text, or every problem in it (rows are only good when none is)."""
    records, broken = _records(text.removeprefix("\ufeff"))
    if not records:
        return [], broken or [_no_header(1, N_("berkas kosong"))]
    header_line, header = records[0]
    columns, problems = _columns(header, header_line)
    if not columns:
        return [], [_no_header(header_line, N_("baris pertama bukan baris judul"))]
    contents: list[dict[str, Any]] = []
    for line, cells in records[1:]:
        values, found = _row(cells, line, header, columns, venue, today)
        problems += found
        contents.append(values)
    problems += broken
    if problems:
        return [], problems
    return _rows(contents), []


def _records(text: str) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """The rows that have anything in them, by line as a spreadsheet numbers them (a
    quoted cell may hold line breaks), and where the CSV itself is broken."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    records: list[tuple[int, list[str]]] = []
    line = 0
    try:
        for line, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
    except csv.Error as error:
        fix = N_('periksa tanda kutip (") di baris itu: setiap kutip pembuka perlu penutup')
        return records, [
            Problem(line + 1, "", N_("CSV rusak: {error}"), fix, {"error": str(error)})
        ]
    return records, []


def _no_header(line: int, what: str) -> Problem:
    fix = N_("baris pertama: judul kolom ({columns}), lalu satu baris per formulir")
    return Problem(line, "", what, fix, {"columns": ",".join(COLUMNS)})


def _delimiter(text: str) -> str:
    """`;` when the header has more of them than commas (Excel in Indonesian locales)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first.count(";") > first.count(",") else ","


def _column(raw: str) -> str | None:
    name = " ".join(raw.split()).lower()
    if name in COLUMNS:
        return name
    return _HEADER_ALIASES.get(name)


def _columns(header: list[str], line: int) -> tuple[dict[str, int], list[Problem]]:
    """Where each known column is, and what is wrong with the header."""
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    for index, raw in enumerate(header):
        name = _column(raw)
        if not raw.strip():
            continue  # Excel leaves empty columns at the end; their cells are checked
        if name is None:
            problems.append(
                Problem(
                    line,
                    raw.strip(),
                    N_("judul kolom tidak dikenal"),
                    N_("hapus kolom ini, atau beri judul salah satu dari: {columns}"),
                    {"column": raw.strip(), "columns": ",".join(COLUMNS)},
                )
            )
        elif name in columns:
            problems.append(
                Problem(
                    line,
                    raw.strip(),
                    N_("kolom {column} ada dua kali"),
                    N_("hapus salah satunya"),
                    {"column": raw.strip()},
                )
            )
        else:
            columns[name] = index
    if columns:
        problems += [
            Problem(
                line,
                name,
                N_("kolom {column} tidak ada"),
                N_("tambahkan kolom {column} di baris judul"),
                {"column": name},
            )
            for name in REQUIRED
            if name not in columns
        ]
    return columns, problems


def _row(
    cells: list[str],
    line: int,
    header: list[str],
    columns: dict[str, int],
    venue: Venue,
    today: dt.date,
) -> tuple[dict[str, Any], list[Problem]]:
    """A row's checked values by column, and its problems."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, index in columns.items():
        cell = cells[index].strip() if index < len(cells) else ""
        if not cell and name in OPTIONAL:
            values[name] = ""
            continue
        try:
            values[name] = CHECKS[name](cell, venue, today)
        except _Bad as bad:
            problems.append(Problem(line, header[index].strip(), bad.what, bad.fix, bad.params))
    stray = [c.strip() for c in cells[len(header) :] if c.strip()]
    stray += [c.strip() for h, c in zip(header, cells, strict=False) if c.strip() and not h.strip()]
    if stray:
        problems.append(
            Problem(
                line,
                "",
                N_("ada isi di luar kolom berjudul: {value}"),
                N_("hapus isi itu, atau beri kolomnya judul"),
                {"value": _quoted(stray[0])},
            )
        )
    return values, problems


def _quoted(value: str) -> str:
    return f'"{value[:40]}…"' if len(value) > 40 else f'"{value}"'


def _date(cell: str, venue: Venue, today: dt.date) -> dt.date:
    hint = N_("tulis TTTT-BB-HH (2026-11-24) atau HH/BB/TTTT (24/11/2026)")
    if not cell:
        raise _Bad(N_("tanggal kosong"), hint)
    day = _as_date(cell)
    if day is None:
        raise _Bad(N_("bukan tanggal: {value}"), hint, value=_quoted(cell))
    if day > today:
        raise _Bad(
            N_("tanggal {value} belum terjadi"),
            N_("periksa tanggalnya: hari ini {today}"),
            value=cell,
            today=f"{today:%d/%m/%Y}",
        )
    if day < EARLIEST:
        raise _Bad(
            N_("tanggal {value} sebelum SKM PermenPANRB 14/2017 berlaku"),
            N_("periksa tahunnya: paling awal {earliest}"),
            value=cell,
            earliest=f"{EARLIEST:%d/%m/%Y}",
        )
    return day


def _as_date(cell: str) -> dt.date | None:
    iso, day_first = _ISO_DATE.fullmatch(cell), _DAY_FIRST.fullmatch(cell)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if day_first:
            return dt.date(int(day_first[3]), int(day_first[2]), int(day_first[1]))
    except ValueError:
        return None  # 31/02/2026
    return None


def _service(cell: str, venue: Venue, today: dt.date) -> str:
    examples = ", ".join(list(venue.services)[:3])
    if not cell:
        raise _Bad(
            N_("layanan kosong"),
            N_("tulis id layanan (mis. {examples}) atau namanya"),
            examples=examples,
        )
    if cell in venue.services:
        return cell
    by_name = {s.id.lower(): s.id for s in venue.services.values()}
    by_name |= {" ".join(s.name.split()).lower(): s.id for s in venue.services.values()}
    found = by_name.get(" ".join(cell.split()).lower())
    if found is not None:
        return found
    close = difflib.get_close_matches(cell.lower(), list(by_name), n=3, cutoff=0.6)
    if close:
        matches = "; ".join(dict.fromkeys(_named(venue, by_name[c]) for c in close))
        raise _Bad(
            N_("layanan tidak dikenal: {value}"),
            N_("maksud Anda: {matches}? Tulis id atau nama persisnya"),
            value=_quoted(cell),
            matches=matches,
        )
    raise _Bad(
        N_("layanan tidak dikenal: {value}"),
        N_(
            "tulis id layanan seperti di berkas venue (bagian [services.<id>], mis. {examples}), atau namanya persis"
        ),
        value=_quoted(cell),
        examples=examples,
    )


def _named(venue: Venue, service_id: str) -> str:
    return f"{service_id} ({venue.services[service_id].name})"


def _answer(key: str) -> Check:
    name = ikm.BY_KEY[key].name

    def check(cell: str, venue: Venue, today: dt.date) -> int:
        fix = N_("tulis jawaban formulir: 1, 2, 3 atau 4 ({labels})")
        labels = " / ".join(ikm.BY_KEY[key].labels)
        if not cell:
            raise _Bad(N_("jawaban {unsur} kosong"), fix, unsur=name, labels=labels)
        if cell not in ("1", "2", "3", "4"):
            raise _Bad(
                N_("jawaban {unsur} harus 1, 2, 3 atau 4, bukan {value}"),
                fix,
                unsur=name,
                labels=labels,
                value=_quoted(cell),
            )
        return int(cell)

    return check


def _age(cell: str, venue: Venue, today: dt.date) -> str:
    band = _option(cell)
    band = band.replace("< ", "<").replace(" +", "+").replace(" - ", "-")
    if band in ikm.AGE_BANDS:
        return band
    years = _YEARS.fullmatch(cell)
    if years and int(years[1]) <= MAX_AGE:
        return ikm.age_band(int(years[1]))
    raise _Bad(
        N_("umur tidak dikenal: {value}"),
        N_("tulis umur dalam tahun (35) atau kelompoknya: {bands}; atau kosongkan"),
        value=_quoted(cell),
        bands=", ".join(ikm.AGE_BANDS),
    )


def _profile(field: str, aliases: dict[str, str], what: str, fix: str) -> Check:
    options = ikm.PROFILE[field]

    def check(cell: str, venue: Venue, today: dt.date) -> str:
        key = _option(cell)
        found = key if key in options else aliases.get(key)
        if found is None:
            raise _Bad(what, fix, value=_quoted(cell), options=", ".join(options))
        return found

    return check


def _option(cell: str) -> str:
    return " ".join(cell.upper().translate(_DASHES).split()).replace(" - ", "-")


def _comment(cell: str, venue: Venue, today: dt.date) -> str:
    text = " ".join(cell.split())
    if len(text) > ikm.MAX_COMMENT:
        raise _Bad(
            N_("saran terlalu panjang ({length} karakter)"),
            N_("persingkat menjadi paling banyak {limit} karakter"),
            length=str(len(text)),
            limit=str(ikm.MAX_COMMENT),
        )
    return text


CHECKS: dict[str, Check] = {
    "date": _date,
    "service": _service,
    **{column: _answer(key) for column, key in ANSWERS.items()},
    "age": _age,
    "sex": _profile(
        "sex",
        _SEX_ALIASES,
        N_("jenis kelamin tidak dikenal: {value}"),
        N_("tulis L atau P (Laki-laki atau Perempuan), atau kosongkan"),
    ),
    "education": _profile(
        "education",
        _EDUCATION_ALIASES,
        N_("pendidikan tidak dikenal: {value}"),
        N_("tulis salah satu dari: {options}; atau kosongkan"),
    ),
    "occupation": _profile(
        "occupation",
        _OCCUPATION_ALIASES,
        N_("pekerjaan tidak dikenal: {value}"),
        N_("tulis salah satu dari: {options}; atau kosongkan"),
    ),
    "comment": _comment,
}


def _rows(contents: list[dict[str, Any]]) -> list[cmd.SurveyRow]:
    """The rows, each with its source: its content's hash and its occurrence among
    identical rows (two identical paper forms are two respondents)."""
    seen: Counter[bytes] = Counter()
    rows = []
    for values in contents:
        row = cmd.SurveyRow(
            source="",
            day=values["date"],
            service=values["service"],
            answers={key: values[column] for column, key in ANSWERS.items()},
            comment=values.get("comment", ""),
            respondent=cmd.Respondent(**{f: values.get(f, "") for f in ikm.PROFILE}),
        )
        content = msgspec.json.encode(row)
        seen[content] += 1
        digest = hashlib.blake2b(content + b"#%d" % seen[content], digest_size=16).hexdigest()
        rows.append(msgspec.structs.replace(row, source=f"import:{digest}"))
    return rows


# --- importing ----------------------------------------------------------------------------


def chunks(rows: Sequence[cmd.SurveyRow]) -> list[cmd.ImportSurveys]:
    """The commands that carry `rows`, at most `CHUNK` rows each."""
    return [cmd.ImportSurveys(rows=tuple(rows[i : i + CHUNK])) for i in range(0, len(rows), CHUNK)]


def command_id(command: cmd.ImportSurveys) -> str:
    """A chunk's id, from its rows' sources: the same chunk sent again is the same command."""
    sources = "\n".join(row.source for row in command.rows).encode()
    return "ikm-import-" + hashlib.blake2b(sources, digest_size=12).hexdigest()


async def import_rows(queue: VenueQueue, rows: Sequence[cmd.SurveyRow]) -> Imported:
    """Record `rows` through a started `queue`; rows already recorded are counted, not
    recorded again."""
    new = sent = 0
    for command in chunks(rows):
        if all(row.source in queue.state.surveyed for row in command.rows):
            continue
        outcome = await queue.execute(command, command_id(command), CALLER)
        sent += 1
        if not outcome.duplicate:
            new += sum(isinstance(event, ev.SurveyAnswered) for event in outcome.events)
    return Imported(len(rows), new, sent)


async def import_file(
    log_url: str, venue: Venue, clock: Clock, rows: Sequence[cmd.SurveyRow], dry_run: bool
) -> Imported:
    """Import `rows` into the log at `log_url`; with `dry_run`, only count what is there."""
    queue = VenueQueue(venue, open_log(log_url), clock)
    try:
        await queue.start()
        if dry_run:
            known = sum(row.source in queue.state.surveyed for row in rows)
            return Imported(len(rows), len(rows) - known, 0)
        return await import_rows(queue, rows)
    finally:
        await queue.stop()
        await queue.log.close()


# --- the command line ---------------------------------------------------------------------


def add_import_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`import FILE`: the action of `antrean ikm`."""
    parser = sub.add_parser(
        "import", help="import paper or online-form survey responses from a CSV file"
    )
    parser.add_argument(
        "file", help="CSV: date,service,u1..u9[,age,sex,education,occupation,comment]"
    )
    parser.add_argument("--dry-run", action="store_true", help="check the file, import nothing")
    parser.add_argument("--lang", choices=("id", "en"), default="id")
    Settings.add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """The handler: 0 imported (or checked), 1 problems in the file or the log, 2 a bad
    venue file."""
    opened = open_venue(args, log_must_exist=False)
    if isinstance(opened, int):
        return opened
    settings, venue, _ = opened
    clock, lang = settings.clock(), args.lang
    try:
        text = read(Path(args.file))
    except Refused as refused:
        return _failed(args.file, [refused.problem], lang)
    rows, problems = parse(text, venue, venue.local(clock()).date())
    if problems:
        return _failed(args.file, problems, lang)
    url = settings.log_url
    try:
        if args.dry_run and _no_log(url):
            done = Imported(len(rows), len(rows), 0)
        else:
            done = asyncio.run(import_file(url, venue, clock, rows, args.dry_run))
    except (DomainError, StoreUnavailable) as error:
        reason = explain(error, lang) if isinstance(error, DomainError) else str(error)
        print(f"antrean: {reason}", file=sys.stderr)
        return 1
    print(_summary(args.file, done, args.dry_run, lang))
    return 0


def _no_log(url: str) -> bool:
    """No SQLite log yet: nothing is recorded, and a dry run should not create one."""
    return url.startswith("sqlite://") and not Path(url.removeprefix("sqlite://")).exists()


def _failed(file: str, problems: list[Problem], lang: str) -> int:
    label = gettext(lang, "perbaikan")
    for problem in problems:
        what, fix = problem.say(lang)
        print(f"{_where(file, problem, lang)}: {what}\n    {label}: {fix}")
    count = len(problems)
    print(
        ngettext(
            lang,
            "{count} masalah di {file}; tidak ada yang diimpor.",
            "{count} masalah di {file}; tidak ada yang diimpor.",
            count,
            count=_number(count, lang),
            file=file,
        )
    )
    return 1


def _where(file: str, problem: Problem, lang: str) -> str:
    if not problem.line:
        return file
    if not problem.column:
        return f"{file}: " + gettext(lang, "baris {line}", line=problem.line)
    return f"{file}: " + gettext(
        lang, "baris {line}, kolom {column}", line=problem.line, column=problem.column
    )


def _summary(file: str, done: Imported, dry_run: bool, lang: str) -> str:
    count, existing = _number(done.new, lang), _number(done.existing, lang)
    if dry_run:
        return ngettext(
            lang,
            "{count} respons dari {file} siap diimpor ({existing} sudah ada sebelumnya); "
            "uji coba, tidak ada yang diimpor.",
            "{count} respons dari {file} siap diimpor ({existing} sudah ada sebelumnya); "
            "uji coba, tidak ada yang diimpor.",
            done.new,
            count=count,
            file=file,
            existing=existing,
        )
    return ngettext(
        lang,
        "{count} respons diimpor dari {file} ({existing} sudah ada sebelumnya).",
        "{count} respons diimpor dari {file} ({existing} sudah ada sebelumnya).",
        done.new,
        count=count,
        file=file,
        existing=existing,
    )


def _number(value: int, lang: str) -> str:
    written = f"{value:,}"
    return written if lang == "en" else written.replace(",", ".")
