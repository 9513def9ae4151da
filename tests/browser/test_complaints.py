"""Complaints in Chromium: a citizen files one from a phone (with a photo too big to send as
it is), tracks it, the venue verifies and forwards it, the tenant's supervisor answers, and
the citizen reads the answer; an overdue report becomes a dashboard alert when the clock
passes its deadline."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import numpy as np
from PIL import Image
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import artifact
from tests.browser.helpers import sign_in_page
from tests.browser.test_dashboard import FULL_HD, clock_file, jump, timed_server  # noqa: F401
from tests.conftest import LiveServer

TEXT = "Antrean KTP tidak bergerak selama satu jam dan loket 2 kosong sejak pukul 09.00."


def camera_photo(path: Path) -> Path:
    """A 12-megapixel phone photo of over 2 MB (smooth with a little sensor noise)."""
    height, width = 3000, 4000
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1)
    noise = np.random.default_rng(1).integers(-12, 12, base.shape)
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=92)
    assert path.stat().st_size > 2 * 1024 * 1024
    return path


class TestComplaint:
    async def test_filed_on_a_phone_answered_by_the_tenant_read_by_the_citizen(
        self, live_server: LiveServer, phone: Page, browser: Browser, tmp_path: Path
    ) -> None:
        await phone.goto(f"{live_server.url}/pengaduan")
        await phone.locator("input[name=jenis][value=pengaduan]").check()
        await phone.locator("#instansi").select_option("dispendukcapil")
        await phone.locator("#isi").fill(TEXT)
        await expect(phone.locator("[data-count]")).to_contain_text(f"{len(TEXT)} dari 3000")
        await phone.locator("#kontak").fill("0812 3456 7890")
        await phone.locator("#foto").set_input_files(camera_photo(tmp_path / "IMG_2041.jpg"))
        # Too big to send as it is: the page shrinks it first.
        await expect(phone.locator("[data-photo-check]")).to_contain_text(
            "Foto diperkecil menjadi", timeout=15_000
        )
        await phone.screenshot(path=artifact("complaint-form.png"), full_page=True)
        await phone.get_by_role("button", name="Kirim laporan").tap()

        await expect(phone.locator(".received h1")).to_have_text("Laporan Anda diterima")
        code = (await phone.locator("[data-code]").text_content() or "").strip()
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
        await expect(phone.locator("[data-status]")).to_have_text("Diterima")
        await expect(phone.locator(".facts")).to_contain_text("0812****7890")
        await expect(phone.locator("main")).not_to_contain_text("081234567890")
        await phone.screenshot(path=artifact("complaint-received.png"), full_page=True)

        # The venue's manager verifies it and forwards it to the tenant.
        desk = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
        manager = await sign_in_page(
            desk, f"{live_server.url}/login?next=/manager/pengaduan", "manajer"
        )
        await manager.get_by_role("link", name=code).click()
        await expect(manager.locator("img.photo")).to_be_visible()
        width = await manager.locator("img.photo").evaluate("img => img.naturalWidth")
        assert 0 < width <= 2048
        await manager.locator("[data-step=diverifikasi] button").click()
        await expect(manager.locator("[data-status]")).to_have_text("Diverifikasi")
        forward = manager.locator("[data-step=diteruskan]")
        await forward.locator("select").select_option("dispendukcapil")
        await forward.get_by_role("button").click()
        await expect(manager.locator("[data-status]")).to_have_text("Diteruskan ke instansi")
        await desk.close()

        # The tenant's supervisor answers and closes it.
        tenant_desk = await browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="id-ID"
        )
        supervisor = await sign_in_page(
            tenant_desk, f"{live_server.url}/login?next=/manager/pengaduan", "spv-dispendukcapil"
        )
        await supervisor.get_by_role("link", name=code).click()
        follow_up = supervisor.locator("[data-step=ditindaklanjuti]")
        await follow_up.locator("textarea").fill("Loket 2 kini dibuka sejak pukul 08.00.")
        await follow_up.get_by_role("button").click()
        closing = supervisor.locator("[data-step=selesai]")
        await expect(closing.locator("textarea")).to_have_value(
            "Loket 2 kini dibuka sejak pukul 08.00."
        )
        await closing.locator("textarea").fill(
            "Terima kasih. Loket 2 kini dibuka sejak pukul 08.00 dan petugas cadangan disiapkan."
        )
        await closing.get_by_role("button").click()
        await expect(supervisor.locator("[data-status]")).to_have_text("Selesai")
        await supervisor.screenshot(path=artifact("complaint-handled.png"), full_page=True)
        await tenant_desk.close()

        # The citizen, later, types the code on the form's tracking box.
        await phone.goto(f"{live_server.url}/pengaduan")
        await phone.locator("#kode").fill(code.lower().replace("-", ""))
        await phone.get_by_role("button", name="Lacak", exact=True).tap()
        await expect(phone.locator("[data-status]")).to_have_text("Selesai")
        await expect(phone.locator("[data-answer]")).to_contain_text("petugas cadangan disiapkan")
        await expect(phone.locator(".timeline li")).to_have_count(5)
        await phone.screenshot(path=artifact("complaint-answered.png"), full_page=True)


async def file_over_http(server: LiveServer) -> str:
    async with httpx.AsyncClient(base_url=server.url) as client:
        page = (await client.get("/pengaduan")).text
        fields = {
            name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for name in ("form", "nonce")
        }
        answer = await client.post(
            "/pengaduan", data=fields | {"jenis": "pengaduan", "instansi": "samsat", "isi": TEXT}
        )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].split("/")[-1].split("?")[0]


class TestOverdue:
    async def test_the_dashboard_alerts_when_the_clock_passes_the_deadline(
        self,
        timed_server: LiveServer,  # noqa: F811
        clock_file: Path,  # noqa: F811
        browser: Browser,
    ) -> None:
        code = await file_over_http(timed_server)  # Tuesday 09.00: due by Friday's end
        desk = await browser.new_context(viewport=FULL_HD, locale="id-ID")
        dashboard = await sign_in_page(desk, f"{timed_server.url}/login?next=/manager", "manajer")
        alerts = dashboard.locator("#alerts")
        await expect(dashboard.locator("#status")).to_have_attribute("data-status", "online")
        await expect(alerts.locator("[data-kind=complaint]")).to_have_count(0)
        jump(clock_file, minutes=3 * 24 * 60 + 14 * 60)  # Friday 23.00: not yet
        await dashboard.wait_for_timeout(6_000)  # a dashboard tick (5 s) at least
        await expect(alerts.locator("[data-kind=complaint]")).to_have_count(0)
        jump(clock_file, minutes=4 * 24 * 60)  # Saturday 09.00
        alert = alerts.locator("[data-kind=complaint]")
        await expect(alert).to_contain_text(f"Laporan {code} belum diverifikasi", timeout=10_000)
        await dashboard.screenshot(path=artifact("dashboard-complaint-alert.png"))
        await alert.get_by_role("link", name="Buka laporan").click()
        await expect(dashboard.locator("h1")).to_have_text(f"Laporan {code}")
        await expect(dashboard.locator(".overdue[role=alert]")).to_contain_text("Lewat tenggat")
        await desk.close()
