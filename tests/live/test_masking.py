"""No full NIK, phone number or e-mail address anywhere it could leak (UU 27/2022): not in
any page or file served, not in a log line, not in any file of the data folder.

A real server process takes a visitor's day through every path that is given one: booking
by NIK and by phone (a review, a refusal, the confirmation, the ticket page, the check-in at
the kiosk), complaints with a phone number and an e-mail address and a photo, and the
managers' pages and reports that show them. Every answer's bytes are kept; then the server
stops and its log and every file of its data folder are read too.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from server.demo import KIOSK_TOKEN
from tests.conftest import LiveServer
from tests.helpers import files_holding, sign_in_sync

NIK = "3573014101900001"
PHONE = "081234567890"
SECOND_PHONE = "085711112222"
EMAIL = "budi.santoso@contoh.go.id"
# What would give each away, in every form it is written: +62 and 62 numbers hold the
# number without its 0; an e-mail's name alone is enough to know whose.
NEEDLES = (
    NIK.encode(),
    PHONE[1:].encode(),
    SECOND_PHONE[1:].encode(),
    b"budi.santoso",
    b"Budi.Santoso",
    b"BUDI.SANTOSO",
)


class Visitor:
    """A client that keeps the bytes of every answer it got."""

    def __init__(self, server: LiveServer) -> None:
        self.client = httpx.Client(base_url=server.url, timeout=20)
        self.seen: list[tuple[str, bytes]] = []

    def get(self, path: str, **kw: object) -> httpx.Response:
        answer = self.client.get(path, **kw)  # type: ignore[arg-type]
        self.seen.append((f"GET {path}", answer.content + str(answer.headers).encode()))
        return answer

    def post(self, path: str, **kw: object) -> httpx.Response:
        answer = self.client.post(path, **kw)  # type: ignore[arg-type]
        self.seen.append((f"POST {path}", answer.content + str(answer.headers).encode()))
        return answer

    def leaks(self) -> list[tuple[str, bytes]]:
        return [(where, n) for where, body in self.seen for n in NEEDLES if n in body]


def field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def book(visitor: Visitor, holder: str, slot: str) -> httpx.Response:
    """Review, then confirm, the way the booking pages do (the review carries the number
    on, sealed)."""
    slots = visitor.get("/booking?service=ktp&day=2026-11-24").text
    base = {"form": field(slots, "form"), "service": "ktp", "day": "2026-11-24", "slot": slot}
    review = visitor.post("/booking", data=base | {"holder": holder, "action": "review"})
    assert review.status_code == 200 and "****" in review.text, review.text
    sealed = field(review.text, "holder_sealed")
    confirm = {"form": field(review.text, "form"), "holder_sealed": sealed, "action": "confirm"}
    return visitor.post("/booking", data=base | confirm)


def complain(visitor: Visitor, contact: str, photo: bytes | None = None) -> str:
    page = visitor.get("/pengaduan").text
    data = {
        "form": field(page, "form"),
        "nonce": field(page, "nonce"),
        "jenis": "pengaduan",
        "instansi": "dispendukcapil",
        "isi": "Petugas loket 3 meminta fotokopi KTP padahal tidak ada di persyaratan.",
        "kontak": contact,
    }
    files = {"foto": ("bukti.jpg", photo, "image/jpeg")} if photo else None
    answer = visitor.post("/pengaduan", data=data, files=files)
    assert answer.status_code == 303, answer.text
    code = answer.headers["location"].split("/")[-1].split("?")[0]
    visitor.get(answer.headers["location"])
    return code


@pytest.fixture(params=["text", "json"])
def live_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """The demo on SQLite, logging in each format `antrean run` has."""
    data = tmp_path / "data"
    data.mkdir()
    server = LiveServer(data, env={"ANTREAN_LOG_FORMAT": request.param}).start()
    yield server
    server.stop()


def test_no_full_nik_phone_or_email_in_pages_logs_or_data(live_server: LiveServer) -> None:
    visitor, manager = Visitor(live_server), Visitor(live_server)
    try:
        a_visitors_day(live_server, visitor, manager)
    finally:
        visitor.client.close()
        manager.client.close()
    live_server.stop()  # the log flushed, the database closed
    data = Path(live_server.data_dir)
    assert "/pengaduan" in live_server.log.read_text()  # access lines are in the log
    assert any((data / "photos").iterdir())
    assert files_holding(data, *NEEDLES) == []


def a_visitors_day(live_server: LiveServer, visitor: Visitor, manager: Visitor) -> None:
    confirmed = book(visitor, NIK, "14:00")
    assert confirmed.status_code == 303, confirmed.text
    ticket_page = visitor.get(confirmed.headers["location"])
    assert "3573********0001" in ticket_page.text
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", ticket_page.text)
    assert code
    # The same NIK again: refused, and the page it comes back on keeps the number sealed.
    again = book(visitor, NIK, "14:30")
    assert again.status_code == 409 and "3573********0001" in again.text
    by_phone = book(visitor, "+62 812-3456-7890", "14:00")
    assert by_phone.status_code == 303, re.findall(r"class=\"error\"[^>]*>([^<]*)", by_phone.text)
    # At the kiosk, a day later in the test's terms: check-in by the booking code.
    checked_in = visitor.post(
        "/kiosk/api/check-in",
        json={"command_id": uuid.uuid4().hex, "booking": code.group(0)},
        headers={"X-Device-Token": KIOSK_TOKEN},
    )
    assert checked_in.status_code in (200, 409), checked_in.text

    # A refused report (too short) comes back with its contact sealed, shown masked.
    page = visitor.get("/pengaduan").text
    refused = visitor.post(
        "/pengaduan",
        data={
            "form": field(page, "form"),
            "nonce": field(page, "nonce"),
            "jenis": "aspirasi",
            "isi": "pendek",
            "kontak": EMAIL,
        },
    )
    assert refused.status_code == 400 and "b***@contoh.go.id" in refused.text

    photo = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(photo, "JPEG")
    codes = [
        complain(visitor, "+62 857-1111-2222", photo.getvalue()),
        complain(visitor, EMAIL.title()),
    ]

    # A NIK typed into the password field: refused, and logged without it.
    assert not sign_in_sync(manager.client, "manajer", NIK)
    assert sign_in_sync(manager.client, "manajer")
    for path in (
        "/manager",
        "/manager/pengaduan?tampil=semua",
        *(f"/manager/pengaduan/{c}" for c in codes),
        "/manager/reports/file?kind=date&date=2026-11-24&format=csv",
        "/manager/reports/file?kind=date&date=2026-11-24&format=pdf",
        "/manager/reports/file?kind=month&month=2026-11&format=csv",
    ):
        answer = manager.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
    assert "0857****2222" in manager.get(f"/manager/pengaduan/{codes[0]}").text
    assert "B***@contoh.go.id" in manager.get(f"/manager/pengaduan/{codes[1]}").text

    assert visitor.leaks() == [] and manager.leaks() == []
