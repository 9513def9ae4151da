"""The page `/manager/layanan-dicari` and its CSV: the recap of what visitors asked for, by
month or the last months, for managers (everything) and supervisors (their tenant only)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from managers import missing_routes
from server.domain import commands as cmd
from server.domain import events as ev
from server.domain.events import encode_event
from server.settings import Settings
from server.store import open_log
from tests.helpers import Mall, serving

SECRET = "Calo paspor di parkiran minta bayaran"
SPAM = "Jual pulsa murah hubungi saya"
WIB = ZoneInfo("Asia/Jakarta")


async def _earlier(settings: Settings) -> None:
    """An October request, written before the app starts (the log of a venue in use)."""
    log = open_log(settings.log_url)
    try:
        at = dt.datetime(2026, 10, 5, 10, 0, tzinfo=WIB)
        old = ev.ServiceRequested(at=at, tenant="imigrasi", text="Paspor", channel="kiosk")
        await log.append("merdeka-malang", 0, [encode_event(old)], "october")
    finally:
        await log.close()


async def _file(mall: Mall, code: str, text: str, tenant: str, confidential: bool = False) -> None:
    command = cmd.FileComplaint(
        kind="layanan_belum_tersedia",
        text=text,
        tenant=tenant,
        complaint=code,
        confidential=confidential,
    )
    await mall.queue.execute(command, uuid.uuid4().hex)


@pytest.fixture
async def mall(tmp_path: Path) -> AsyncIterator[Mall]:
    settings = Settings(data_dir=str(tmp_path), clock_start="2026-11-24T09:10:00+07:00")
    await _earlier(settings)
    async with serving(settings) as (app, client):
        mall = Mall(app, client)
        for text, tenant in [
            ("Pembuatan Paspor", "imigrasi"),
            ("paspor baru", "imigrasi"),
            ("Apostille dokumen", "imigrasi"),
            ("SIM internasional", "polresta"),
            ("Ruang laktasi", ""),
        ]:
            answer = await mall.kiosk("request", text=text, tenant=tenant)
            assert answer.json()["ok"], answer.text
        await _file(mall, "ABCD-EFGH-JKMN", "Layanan paspor", "imigrasi")
        await _file(mall, "ABCD-EFGH-JKM1", SECRET, "imigrasi", confidential=True)
        await _file(mall, "ABCD-EFGH-JKM2", SPAM, "")
        rejected = cmd.AdvanceComplaint(
            complaint="ABCD-EFGH-JKM2", status="ditolak", note="Bukan laporan.", by="admin"
        )
        await mall.queue.execute(rejected, uuid.uuid4().hex)
        await mall.sign_in("manajer")
        yield mall


def rows_of(html: str, tenant: str) -> list[str]:
    """The row headings (the wordings) of one tenant's table, in order."""
    section = html.split(f">{tenant} <", 1)[1].split("</section>", 1)[0]
    return [
        re.sub(r"<[^>]+>|\s+", " ", cell).strip()
        for cell in re.findall(r'<th scope="row" class="text">(.*?)</th>', section, re.S)
    ]


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


class TestPage:
    """Managers see every tenant's groups, the most asked first, the venue's own last."""

    async def test_the_current_month_grouped(self, mall: Mall) -> None:
        answer = await mall.client.get("/manager/layanan-dicari")
        assert answer.status_code == 200
        html = answer.text
        assert "<h1>Layanan yang dicari pengunjung</h1>" in html
        assert "November 2026" in html and "Permintaan: 7 · kelompok: 5" in html
        # Two kiosk requests and a report, one group; the confidential one apart, unquoted.
        assert rows_of(html, "Imigrasi")[0].startswith("Pembuatan Paspor")
        assert "dikelompokkan: paspor" in html and "(rahasia)" in html
        assert SECRET not in html and "Calo" not in html
        assert SPAM not in html  # rejected: not a report
        assert "SIM internasional" in html and "Ruang laktasi" in html
        assert html.index("Polresta") < html.index("Umum (tanpa instansi)")
        imigrasi = html.split(">Imigrasi <", 1)[1].split("</tr>", 3)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", imigrasi[1])
        assert cells == ["2", "1", "3", "24 Nov 2026", "24 Nov 2026"]

    async def test_a_range_of_months_has_a_column_each(self, mall: Mall) -> None:
        html = (await mall.client.get("/manager/layanan-dicari?month=2026-11&months=3")).text
        assert "September – November 2026" in html
        for heading in ("Sep 2026", "Okt 2026", "Nov 2026"):
            assert f'<th scope="col">{heading}</th>' in html
        first_row = html.split(">Imigrasi <", 1)[1].split("</tr>", 2)[1]
        assert re.findall(r"<td[^>]*>(.*?)</td>", first_row)[:5] == ["0", "1", "3", "3", "1"]
        assert "5 Okt 2026" in first_row

    async def test_an_empty_month_says_so(self, mall: Mall) -> None:
        html = (await mall.client.get("/manager/layanan-dicari?month=2026-08")).text
        assert "Belum ada permintaan layanan pada periode ini." in html
        assert "Agustus 2026" in html and "<table" not in html

    async def test_sorted_by_request(self, mall: Mall) -> None:
        html = (await mall.client.get("/manager/layanan-dicari?sort=text")).text
        wordings = rows_of(html, "Imigrasi")
        assert wordings[0] == "Apostille dokumen" and wordings[1].startswith("Pembuatan Paspor")
        assert wordings[2] == "(rahasia)"  # what has no words to sort by comes last
        by_count = rows_of((await mall.client.get("/manager/layanan-dicari")).text, "Imigrasi")
        assert by_count[0].startswith("Pembuatan Paspor") and by_count[1] == "Apostille dokumen"
        assert 'aria-sort="ascending"' in html

    async def test_a_long_list_is_cut_and_says_where_the_rest_is(
        self, mall: Mall, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(missing_routes, "PAGE_ROWS", 1)
        html = (await mall.client.get("/manager/layanan-dicari")).text
        assert len(rows_of(html, "Imigrasi")) == 1
        assert "Kelompok lainnya ada di file CSV: 2." in html
        answer = await mall.client.get("/manager/layanan-dicari/csv")
        assert len([r for r in csv_rows(answer.content) if r and r[0] == "Imigrasi"]) == 3

    async def test_in_english(self, mall: Mall) -> None:
        html = (await mall.client.get("/manager/layanan-dicari?lang=en")).text
        assert "<h1>Services visitors asked for</h1>" in html
        assert "General (no tenant)" in html and "(confidential)" in html

    async def test_linked_from_the_dashboard_and_the_reports(self, mall: Mall) -> None:
        for path in ("/manager", "/manager/reports", "/"):
            html = (await mall.client.get(path)).text
            assert 'href="/manager/layanan-dicari"' in html, path


class TestWho:
    """A supervisor sees their tenant's groups only; officers and strangers none."""

    async def test_supervisor_sees_only_their_tenant(self, mall: Mall) -> None:
        await mall.sign_in("spv-imigrasi")
        html = (await mall.client.get("/manager/layanan-dicari?months=3")).text
        assert "Imigrasi" in html and "Permintaan: 6 · kelompok: 3" in html
        for other in ("SIM internasional", "Ruang laktasi", "Polresta", "Umum (tanpa"):
            assert other not in html
        answer = await mall.client.get("/manager/layanan-dicari/csv")
        assert "-imigrasi-" in answer.headers["content-disposition"]
        assert "SIM internasional" not in answer.text and "Ruang laktasi" not in answer.text

    async def test_officers_are_refused(self, mall: Mall) -> None:
        await mall.sign_in("loket1")
        for path in ("/manager/layanan-dicari", "/manager/layanan-dicari/csv"):
            assert (await mall.client.get(path)).status_code == 403

    async def test_signed_out_goes_to_sign_in(self, mall: Mall) -> None:
        mall.client.cookies.clear()
        answer = await mall.client.get("/manager/layanan-dicari")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


class TestCsv:
    """The CSV has one row per group, with its counts, and never a confidential text."""

    async def test_the_months_rows(self, mall: Mall) -> None:
        answer = await mall.client.get("/manager/layanan-dicari/csv?month=2026-11&months=3")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        name = "layanan-dicari-merdeka-malang-2026-09_2026-11.csv"
        assert name in answer.headers["content-disposition"]
        rows = csv_rows(answer.content)
        assert rows[0][0] == "Layanan yang dicari pengunjung"
        assert rows[1] == ["Periode", "September – November 2026"]
        header = rows[5]
        assert header == [
            "Instansi",
            "Permintaan",
            "Dikelompokkan sebagai",
            "2026-09",
            "2026-10",
            "2026-11",
            "Dari anjungan",
            "Dari pengaduan",
            "Jumlah",
            "Pertama",
            "Terakhir",
        ]
        body = rows[6:]
        assert body[0] == [
            "Imigrasi",
            "Paspor",
            "paspor",
            "0",
            "1",
            "3",
            "3",
            "1",
            "4",
            "2026-10-05 10:00",
            body[0][-1],
        ]
        assert body[1][:3] == ["Imigrasi", "Apostille dokumen", "apostille dokumen"]
        assert body[2][:3] == ["Imigrasi", "(rahasia)", ""]
        assert sum(int(row[8]) for row in body) == 8
        assert SECRET not in answer.text and SPAM not in answer.text

    async def test_the_monthly_report_has_the_recap(self, mall: Mall) -> None:
        answer = await mall.client.get("/manager/reports/file?month=2026-11&format=csv")
        text = answer.content.decode("utf-8-sig")
        section = text.split("Permintaan layanan yang belum tersedia", 1)[1].split("\r\n\r\n")[0]
        rows = list(csv.reader(io.StringIO(section.strip())))
        assert rows[0][:3] == ["Instansi", "Permintaan", "Dikelompokkan sebagai"]
        assert rows[1][:3] == ["Imigrasi", "Pembuatan Paspor", "paspor"] and rows[1][5] == "3"
        assert SECRET not in text and SPAM not in text
        pdf = await mall.client.get("/manager/reports/file?month=2026-11&format=pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


class TestBadQueries:
    """A wrong month, range or order is named in Indonesian, never a 500."""

    @pytest.mark.parametrize(
        ("query", "sentence"),
        [
            ("month=2026-13", "Bulan tidak valid"),
            ("month=24-11-2026", "Bulan tidak valid"),
            ("month=0001-02&months=3", "Bulan tidak valid"),
            ("months=2", "Rentang harus 1, 3, 6 atau 12 bulan."),
            ("months=-1", "Rentang harus"),
            ("sort=jumlah", "Urutan harus menurut jumlah atau permintaan."),
        ],
    )
    async def test_named(self, mall: Mall, query: str, sentence: str) -> None:
        answer = await mall.client.get(f"/manager/layanan-dicari?{query}")
        assert answer.status_code == 400 and sentence in answer.text
        assert 'role="alert"' in answer.text
        if not query.startswith("sort"):
            as_file = await mall.client.get(f"/manager/layanan-dicari/csv?{query}")
            assert as_file.status_code == 400 and sentence in as_file.text

    async def test_spaces_around_the_month_are_forgiven(self, mall: Mall) -> None:
        answer = await mall.client.get("/manager/layanan-dicari/csv?month=%202026-11%0A")
        assert answer.status_code == 200
        disposition = answer.headers["content-disposition"]
        assert disposition == 'attachment; filename="layanan-dicari-merdeka-malang-2026-11.csv"'

    async def test_a_year_one_month_works(self, mall: Mall) -> None:
        answer = await mall.client.get("/manager/layanan-dicari?month=0001-12&months=12")
        assert answer.status_code == 200 and "Belum ada permintaan" in answer.text
