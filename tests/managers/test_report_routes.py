"""Report downloads from the managers' pages: who may have which report, in which form."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.settings import Settings
from tests.helpers import SignedIn, serving

DAY = "2026-11-24"


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[SignedIn]:
    settings = Settings(data_dir=str(tmp_path), clock_start=f"{DAY}T09:00:00+07:00")
    async with serving(settings) as (_, client):
        desk = SignedIn(client)
        await desk.sign_in("manajer")
        # A KTP ticket served at Loket 1, and a Samsat ticket left waiting.
        await desk.send(type="issue_ticket", service="ktp", visit="v1", channel="staff")
        await desk.send(type="issue_ticket", service="pkb", visit="v2", channel="staff")
        await desk.send(type="open_counter", counter="1")
        await desk.send(type="call_next", counter="1")
        await desk.send(type="done", counter="1")
        yield desk


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


class TestDownloads:
    """Managers download any report; supervisors only their tenant's; officers none."""

    async def test_manager_gets_the_venue_day_as_csv(self, desk: SignedIn) -> None:
        answer = await desk.client.get(f"/manager/reports/file?date={DAY}&format=csv")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert f"laporan-merdeka-malang-{DAY}.csv" in answer.headers["content-disposition"]
        text = answer.content.decode("utf-8-sig")
        assert "Perekaman KTP-el" in text and "Samsat" in text

    async def test_manager_gets_a_month_as_pdf(self, desk: SignedIn) -> None:
        answer = await desk.client.get("/manager/reports/file?month=2026-11&format=pdf")
        assert answer.status_code == 200
        assert answer.content.startswith(b"%PDF")

    async def test_supervisor_sees_only_their_tenant(self, desk: SignedIn) -> None:
        await desk.sign_in("spv-samsat")
        answer = await desk.client.get(f"/manager/reports/file?date={DAY}&format=csv&tenant=")
        text = answer.content.decode("utf-8-sig")
        assert answer.status_code == 200 and "-samsat-" in answer.headers["content-disposition"]
        assert "Samsat" in text and "KTP" not in text
        page = await desk.client.get("/manager/reports")
        assert "Samsat" in page.text and "Dispendukcapil" not in page.text

    async def test_officers_are_refused(self, desk: SignedIn) -> None:
        await desk.sign_in("loket1")
        answer = await desk.client.get(f"/manager/reports/file?date={DAY}&format=csv")
        assert answer.status_code == 403

    async def test_signed_out_goes_to_sign_in(self, desk: SignedIn) -> None:
        desk.client.cookies.clear()
        answer = await desk.client.get("/manager/reports")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")

    @pytest.mark.parametrize(
        "query", ["date=24-11-2026", "month=2026-13", "date=&month=", f"date={DAY}&format=xls"]
    )
    async def test_bad_choices_are_named_in_indonesian(self, desk: SignedIn, query: str) -> None:
        answer = await desk.client.get(f"/manager/reports/file?{query}")
        assert answer.status_code == 400
        assert re.search(r"tidak valid|harus CSV", answer.text)
