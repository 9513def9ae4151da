"""The IKM report from the managers' pages: the form on /manager/reports, the download for a
manager (any tenant) and a supervisor (their own only), and the PDF's text."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pypdfium2  # type: ignore[import-untyped]  # pypdfium2 ships no type hints
import pytest

from server.domain import commands as cmd
from server.domain import ikm
from server.services import services
from server.settings import Settings
from tests.helpers import SignedIn, serving

DAY = "2026-11-24"
ALL4 = dict.fromkeys(ikm.KEYS, 4)
SLOW = {**ALL4, "waktu": 1}


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[SignedIn]:
    settings = Settings(data_dir=str(tmp_path), clock_start=f"{DAY}T09:00:00+07:00")
    async with serving(settings) as (app, client):
        desk = SignedIn(client)
        await desk.sign_in("manajer")
        # Two KTP tickets served and rated at Loket 1 (one with a comment), a Samsat one
        # served at Loket 12 and not rated.
        for service in ("ktp", "ktp", "pkb"):
            await desk.send(type="issue_ticket", service=service, visit="", channel="staff")
        for counter in ("1", "12"):
            await desk.send(type="open_counter", counter=counter)
        for counter in ("1", "1", "12"):
            await desk.send(type="call_next", counter=counter)
            await desk.send(type="done", counter=counter)
        queue = services(app).queue
        await queue.execute(cmd.AnswerSurvey(answers=ALL4, ticket="A-001"), "s1")
        answer = cmd.AnswerSurvey(answers=SLOW, ticket="A-002", comment="Antrenya lama sekali")
        await queue.execute(answer, "s2")
        yield desk


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


class TestReportsPage:
    async def test_a_manager_chooses_period_tenant_and_format(self, desk: SignedIn) -> None:
        page = await desk.client.get("/manager/reports")
        assert page.status_code == 200
        assert 'action="/manager/reports/ikm"' in page.text
        for period in ("2026-11", "2026-Q4", "2026-S2", "2026", "2025-Q1"):
            assert f'<option value="{period}">' in page.text
        assert "2026-Q4" in page.text and "2027" not in page.text
        assert '<select id="ikm-tenant" name="tenant">' in page.text

    async def test_a_supervisor_gets_no_tenant_choice(self, desk: SignedIn) -> None:
        await desk.sign_in("spv-samsat")
        page = await desk.client.get("/manager/reports")
        assert 'action="/manager/reports/ikm"' in page.text
        assert 'id="ikm-tenant"' not in page.text and "Samsat" in page.text


class TestDownloads:
    async def test_a_manager_gets_the_venue_as_csv(self, desk: SignedIn) -> None:
        answer = await desk.client.get("/manager/reports/ikm?period=2026-Q4&format=csv")
        assert answer.status_code == 200
        assert "ikm-merdeka-malang-2026-Q4.csv" in answer.headers["content-disposition"]
        table = rows(answer.content)
        assert table[1][:4] == ["venue", "", table[1][2], "2"]
        assert table[1][16:18] == ["3", "3"]  # three people served, all three needed
        dukcapil = next(r for r in table if r[:2] == ["tenant", "dispendukcapil"])
        # (8 × 4 + 2.5) / 9 × 25 = 95.83
        assert dukcapil[13:16] == ["95.83", "A", "Sangat Baik"] and dukcapil[-1] == "waktu"

    async def test_a_manager_may_pick_a_tenant(self, desk: SignedIn) -> None:
        answer = await desk.client.get(
            "/manager/reports/ikm?period=2026-11&format=csv&tenant=samsat"
        )
        assert answer.status_code == 200
        table = rows(answer.content)
        assert table[1][:2] == ["tenant", "samsat"] and table[1][3] == "0"

    async def test_a_supervisor_gets_their_tenant_only(self, desk: SignedIn) -> None:
        await desk.sign_in("spv-dispendukcapil")
        answer = await desk.client.get("/manager/reports/ikm?period=2026&format=csv")
        assert answer.status_code == 200
        assert "-dispendukcapil-2026.csv" in answer.headers["content-disposition"]
        assert {r[0] for r in rows(answer.content)[1:]} == {"tenant", "service"}
        assert "Samsat" not in answer.text
        other = await desk.client.get("/manager/reports/ikm?period=2026&tenant=samsat")
        assert other.status_code == 403
        assert "hanya dapat mengunduh laporan instansi Anda" in other.text

    async def test_officers_are_refused(self, desk: SignedIn) -> None:
        await desk.sign_in("loket1")
        answer = await desk.client.get("/manager/reports/ikm?period=2026-11")
        assert answer.status_code == 403

    @pytest.mark.parametrize(
        "query",
        [
            "period=2026-Q5",
            "period=2026-11-24",
            "period=",
            "period=2026&format=xls",
            "period=2026&tenant=x",
        ],
    )
    async def test_bad_choices_are_named(self, desk: SignedIn, query: str) -> None:
        answer = await desk.client.get(f"/manager/reports/ikm?{query}")
        assert answer.status_code == 400
        assert (
            "tidak valid" in answer.text
            or "harus CSV" in answer.text
            or "tidak dikenal" in answer.text
        )


class TestPdf:
    async def test_the_pdf_in_indonesian(self, desk: SignedIn) -> None:
        answer = await desk.client.get("/manager/reports/ikm?period=2026-11&format=pdf")
        assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
        text = pdf_text(answer.content)
        assert "Laporan Indeks Kepuasan Masyarakat (IKM)" in text
        assert "Periode: November 2026" in text and "Cakupan: Seluruh mal" in text
        assert "Waktu Penyelesaian (unsur terlemah)" in text
        assert "2,500" in text and "0,278" in text  # waktu's NRR and NRR × 1/9
        assert "95,83" in text and "Sangat Baik" in text
        assert (
            "Jumlah responden 2 kurang dari sampel minimum 3 untuk populasi 3; hasil belum "
            "mewakili." in text.replace("\r\n", " ").replace("\n", " ")
        )
        assert "Antrenya lama sekali" in text
        assert "Profil responden" in text

    async def test_the_pdf_in_english(self, desk: SignedIn) -> None:
        answer = await desk.client.get("/manager/reports/ikm?period=2026-Q4&format=pdf&lang=en")
        text = pdf_text(answer.content)
        assert "Community Satisfaction Index (IKM) Report" in text
        assert "Quarter 4 2026" in text and "95.83" in text and "Very good" in text
