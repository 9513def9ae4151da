"""`/manager/pengaduan`: who sees which report, who may take which step, and the overdue
alerts."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from managers.alerts import complaint_alerts
from server.domain import commands as cmd
from server.services import services
from server.settings import Settings
from tests.helpers import Queue, csrf_of, local_time, serving, sign_in
from tests.visitors.test_complaints import code_of, file, jpeg

MANAGER, SUPERVISOR, OTHER = "manajer", "spv-dispendukcapil", "spv-samsat"


@pytest.fixture
async def mall(tmp_path: Path) -> Any:
    settings = Settings(data_dir=str(tmp_path), clock_start="2026-11-24T09:00:00+07:00")
    async with serving(settings, host="mpp.test") as (app, client):
        yield app, client


async def as_user(client: httpx.AsyncClient, username: str) -> None:
    client.cookies.clear()
    assert await sign_in(client, username)


async def step(client: httpx.AsyncClient, code: str, status: str, **fields: str) -> httpx.Response:
    page = await client.get(f"/manager/pengaduan/{code}")
    data = {"csrf": csrf_of(page.text), "status": status} | fields
    return await client.post(f"/manager/pengaduan/{code}", data=data, follow_redirects=False)


def error_of(answer: httpx.Response) -> str:
    found = re.search(r'class="error"[^>]*>([^<]+)<', answer.text)
    return found.group(1) if found else ""


class TestWorkflow:
    async def test_verified_forwarded_answered_and_closed_as_the_citizen_sees_it(
        self, mall: Any
    ) -> None:
        app, client = mall
        code = code_of(await file(client, instansi="", kontak="081234567890"))
        await as_user(client, MANAGER)
        listed = await client.get("/manager/pengaduan")
        assert code in listed.text and "Terbuka: 1" in listed.text
        assert (await step(client, code, "diverifikasi")).status_code == 303
        forwarded = await step(client, code, "diteruskan", tenant="dispendukcapil")
        assert forwarded.status_code == 303

        await as_user(client, SUPERVISOR)
        detail = await client.get(f"/manager/pengaduan/{code}")
        assert "0812****7890" in detail.text and "081234567890" not in detail.text
        answered = await step(client, code, "ditindaklanjuti", note="Loket 2 dibuka sejak 08.00.")
        assert answered.status_code == 303
        closed = await step(client, code, "selesai", note="Loket tambahan sudah dibuka. Maaf.")
        assert closed.status_code == 303

        client.cookies.clear()
        public = (await client.get(f"/pengaduan/{code}")).text
        assert "Loket tambahan sudah dibuka. Maaf." in public
        assert "Dinas Kependudukan" in public  # forwarded to, on the timeline
        steps = services(app).queue.state.complaints[code].steps
        assert [s.by for s in steps] == ["", MANAGER, MANAGER, SUPERVISOR, SUPERVISOR]

    async def test_a_supervisor_sees_only_their_tenants_reports(self, mall: Any) -> None:
        _, client = mall
        mine = code_of(await file(client, instansi="dispendukcapil"))
        theirs = code_of(await file(client, instansi="samsat"))
        general = code_of(await file(client, instansi=""))
        await as_user(client, SUPERVISOR)
        listed = (await client.get("/manager/pengaduan?tampil=semua")).text
        assert mine in listed and theirs not in listed and general not in listed
        assert (await client.get(f"/manager/pengaduan/{theirs}")).status_code == 404
        refused = await client.post(
            f"/manager/pengaduan/{theirs}",
            data={"csrf": csrf_of(listed), "status": "diverifikasi"},
        )
        assert refused.status_code == 404

    async def test_a_supervisor_cannot_verify_what_the_venue_has_not(self, mall: Any) -> None:
        app, client = mall
        code = code_of(await file(client))
        await as_user(client, SUPERVISOR)
        detail = await client.get(f"/manager/pengaduan/{code}")
        assert "menunggu langkah pengelola" in detail.text and '<form method="post"' not in (
            detail.text
        )
        answer = await step(client, code, "diverifikasi")
        assert answer.status_code == 403
        assert "tidak dapat mengambil langkah itu" in error_of(answer)
        assert services(app).queue.state.complaints[code].status == "diterima"

    async def test_a_stale_page_is_told_another_handler_was_first(self, mall: Any) -> None:
        _, client = mall
        code = code_of(await file(client))
        await as_user(client, MANAGER)
        page = await client.get(f"/manager/pengaduan/{code}")
        data = {"csrf": csrf_of(page.text), "status": "diverifikasi"}
        first = await client.post(f"/manager/pengaduan/{code}", data=data)
        assert first.status_code == 303
        again = await client.post(f"/manager/pengaduan/{code}", data=data)
        assert again.status_code == 409
        assert "petugas lain sudah menanganinya" in error_of(again)
        rejected = await client.post(
            f"/manager/pengaduan/{code}", data=data | {"status": "ditolak", "note": "Iklan."}
        )
        assert rejected.status_code == 409

    async def test_rejecting_needs_a_reason(self, mall: Any) -> None:
        _, client = mall
        code = code_of(await file(client))
        await as_user(client, MANAGER)
        answer = await step(client, code, "ditolak", note="  ")
        assert answer.status_code == 409
        assert "Tuliskan tindak lanjut atau jawaban" in error_of(answer)

    async def test_without_the_sessions_token_nothing_moves(self, mall: Any) -> None:
        app, client = mall
        code = code_of(await file(client))
        await as_user(client, MANAGER)
        answer = await client.post(f"/manager/pengaduan/{code}", data={"status": "diverifikasi"})
        assert answer.status_code == 403
        assert services(app).queue.state.complaints[code].status == "diterima"

    async def test_a_confidential_reports_contact_is_hidden_from_the_tenant(
        self, mall: Any
    ) -> None:
        _, client = mall
        code = code_of(await file(client, kontak="081234567890", rahasia="1"))
        await as_user(client, SUPERVISOR)
        detail = (await client.get(f"/manager/pengaduan/{code}")).text
        assert "0812****7890" not in detail and "Dirahasiakan dari instansi" in detail
        await as_user(client, MANAGER)
        assert "0812****7890" in (await client.get(f"/manager/pengaduan/{code}")).text

    async def test_the_photo_is_for_its_handlers_only(self, mall: Any) -> None:
        _, client = mall
        code = code_of(await file(client, photo=("a.jpg", jpeg(), "image/jpeg")))
        anonymous = await client.get(f"/manager/pengaduan/{code}/foto", follow_redirects=False)
        assert anonymous.status_code == 303
        await as_user(client, OTHER)
        assert (await client.get(f"/manager/pengaduan/{code}/foto")).status_code == 404
        await as_user(client, SUPERVISOR)
        photo = await client.get(f"/manager/pengaduan/{code}/foto")
        assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
        assert photo.content.startswith(b"\xff\xd8\xff")
        assert "no-store" in photo.headers["cache-control"]

    async def test_the_tabs_list_open_closed_and_all(self, mall: Any) -> None:
        _, client = mall
        kept = code_of(await file(client))
        rejected = code_of(await file(client))
        await as_user(client, MANAGER)
        assert (await step(client, rejected, "ditolak", note="Iklan.")).status_code == 303

        async def listed(tab: str) -> set[str]:
            page = (await client.get(f"/manager/pengaduan?tampil={tab}")).text
            return set(re.findall(r'data-code="([^"]+)"', page)) & {kept, rejected}

        assert await listed("terbuka") == {kept}
        assert await listed("selesai") == {rejected}
        assert await listed("semua") == {kept, rejected}
        assert await listed("lewat") == set()  # filed today: nothing is late yet

    async def test_an_officer_gets_the_forbidden_page(self, mall: Any) -> None:
        _, client = mall
        await as_user(client, "loket1")
        assert (await client.get("/manager/pengaduan")).status_code == 403


class TestOverdueAlerts:
    def test_an_overdue_report_raises_one_alert_for_its_tenant(self) -> None:
        q = Queue()  # Tuesday 24 November 2026
        q(cmd.FileComplaint(kind="pengaduan", text="x" * 20, complaint="AAAA-BBBB-CCCC"))
        q(
            cmd.FileComplaint(
                kind="aspirasi", text="y" * 20, tenant="polres", complaint="DDDD-EEEE-FFFF"
            )
        )
        friday_night = local_time(q.venue, 2026, 11, 27, 23, 59)
        assert complaint_alerts(q.venue, q.state, friday_night) == []
        saturday = local_time(q.venue, 2026, 11, 28)
        alerts = complaint_alerts(q.venue, q.state, saturday)
        # Verifying is the venue's: not yet the tenant's alert.
        assert [(a.subject, a.tenant, a.kind) for a in alerts] == [
            ("AAAA-BBBB-CCCC", "", "complaint"),
            ("DDDD-EEEE-FFFF", "", "complaint"),
        ]
        assert alerts[0].text == "Laporan AAAA-BBBB-CCCC belum diverifikasi: lewat tenggat"
        assert alerts[0].link == "/manager/pengaduan/AAAA-BBBB-CCCC"
        assert alerts[0].since == saturday
        # Moving on ends the alert; the next step's deadline raises the next one.
        q.now = local_time(q.venue, 2026, 11, 30, 9)
        q(cmd.AdvanceComplaint(complaint="AAAA-BBBB-CCCC", status="diverifikasi", by="m"))
        q(cmd.AdvanceComplaint(complaint="DDDD-EEEE-FFFF", status="ditolak", note="Iklan."))
        assert complaint_alerts(q.venue, q.state, q.now) == []
        q(cmd.AdvanceComplaint(complaint="AAAA-BBBB-CCCC", status="diteruskan", tenant="polres"))
        later = q.now + dt.timedelta(days=8)
        [alert] = complaint_alerts(q.venue, q.state, later)
        assert alert.id == "complaint:AAAA-BBBB-CCCC:diteruskan"
        assert "belum ditindaklanjuti" in alert.text and alert.tenant == "polres"

    def test_an_acknowledged_complaint_alert_stays_acknowledged_the_next_day(self) -> None:
        # Found in review: DayStarted forgot every acknowledgement, so it beeped each morning.
        q = Queue()  # Tuesday 24 November 2026
        q(cmd.FileComplaint(kind="pengaduan", text="x" * 20, complaint="AAAA-BBBB-CCCC"))
        q.now = local_time(q.venue, 2026, 11, 30, 9)  # Monday, past Friday's deadline
        [alert] = complaint_alerts(q.venue, q.state, q.now)
        q(cmd.AcknowledgeAlert(alert=alert.id, by="manajer"))
        q(cmd.AcknowledgeAlert(alert="sla:2026-11-30:ktp:x", by="manajer"))
        q.now = local_time(q.venue, 2026, 12, 1, 9)  # Tuesday: a new day starts
        q(cmd.AcknowledgeAlert(alert="sla:2026-12-01:ktp:y", by="manajer"))
        [again] = complaint_alerts(q.venue, q.state, q.now)
        assert again.id == alert.id and again.id in q.state.acknowledged
        assert "sla:2026-11-30:ktp:x" not in q.state.acknowledged  # the day's alerts do end
        # Closed, its acknowledgement goes at the next day.
        q(cmd.AdvanceComplaint(complaint="AAAA-BBBB-CCCC", status="ditolak", note="Iklan."))
        q.now = local_time(q.venue, 2026, 12, 2, 9)
        q(cmd.AcknowledgeAlert(alert="sla:2026-12-02:ktp:z", by="manajer"))
        assert alert.id not in q.state.acknowledged

    async def test_the_dashboard_shows_it_when_the_clock_passes_the_deadline(
        self, tmp_path: Path
    ) -> None:
        from tests.helpers import FakeClock

        settings = Settings(data_dir=str(tmp_path))
        clock = FakeClock(dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC))
        async with serving(settings, clock=clock, host="mpp.test") as (app, client):
            code = code_of(await file(client, instansi="samsat"))
            dashboard = services(app).dashboard
            dashboard.refresh()
            assert not [a for a in dashboard._views["manager:all"].alerts if a.kind == "complaint"]
            clock.advance(days=4)  # Saturday 28 November, past Friday's end
            dashboard.refresh()
            every = [a for a in dashboard._views["manager:all"].alerts if a.kind == "complaint"]
            tenant = dashboard._views["manager:samsat"].alerts
            assert [a.subject for a in every] == [code]
            assert [a.subject for a in tenant if a.kind == "complaint"] == []  # not verified
            assert every[0].link == f"/manager/pengaduan/{code}"


class TestContactForTheOperator:
    """`antrean complaints contact CODE`: the full contact, on the server's terminal only."""

    def test_the_operator_reads_the_contact_and_the_read_is_audited(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        from server.cli import main

        async def two_reports() -> tuple[str, str]:
            settings = Settings(data_dir=str(tmp_path), clock_start="2026-11-24T09:00:00+07:00")
            async with serving(settings, host="mpp.test") as (_, client):
                with_contact = code_of(await file(client, kontak="+62 812-3456-7890"))
                return with_contact, code_of(await file(client, anonim="1"))

        code, anonymous = asyncio.run(two_reports())
        data = ["--data", str(tmp_path)]
        with caplog.at_level("INFO", logger="antrean.audit"):
            assert main(["complaints", "contact", code.lower(), *data]) == 0
        assert capsys.readouterr().out.strip() == "081234567890"
        assert f"complaint_contact_read code={code}" in caplog.text
        assert main(["complaints", "contact", anonymous, *data]) == 1
        assert "anonymous" in capsys.readouterr().err
        assert main(["complaints", "contact", "ZZZZ-ZZZZ-ZZZZ", *data]) == 1
        assert "no complaint ZZZZ-ZZZZ-ZZZZ" in capsys.readouterr().err
