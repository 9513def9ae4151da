"""`/pengaduan`: filing a report, its photo and contact, and tracking it by its code."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from server.privacy import COMPLAINT_CONTACT
from server.services import services
from server.settings import Settings
from tests.helpers import files_holding, serving

TEXT = "Antrean KTP tidak bergerak selama satu jam dan loket 2 kosong sejak pukul 09.00."
PHONE = "081234567890"


async def form_fields(client: httpx.AsyncClient, path: str = "/pengaduan") -> dict[str, str]:
    page = (await client.get(path)).text
    token = re.search(r'name="form" value="([^"]+)"', page)
    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
    assert token and nonce
    return {"form": token.group(1), "nonce": nonce.group(1)}


async def file(
    client: httpx.AsyncClient,
    fields: dict[str, str] | None = None,
    photo: tuple[str, bytes, str] | None = None,
    **changes: str,
) -> httpx.Response:
    data = fields or await form_fields(client)
    # A field the test sets is sent as set (even "": a form left blank).
    data = {"jenis": "pengaduan", "instansi": "dispendukcapil", "isi": TEXT} | data | changes
    files: Any = {"foto": photo} if photo else None
    return await client.post("/pengaduan", data=data, files=files, follow_redirects=False)


def code_of(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/pengaduan/([0-9A-Z-]{14})\?baru=1", answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


def error_of(answer: httpx.Response) -> str:
    found = re.search(r'class="error"[^>]*>([^<]+)<', answer.text)
    return found.group(1) if found else ""


def jpeg(size: tuple[int, int] = (800, 600), **info: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, "JPEG", **info)
    return out.getvalue()


@pytest.fixture
async def mall(tmp_path: Path) -> Any:
    settings = Settings(data_dir=str(tmp_path), clock_start="2026-11-24T09:00:00+07:00")
    async with serving(settings, host="mpp.test") as (app, client):
        yield app, client


class TestFiling:
    async def test_a_report_gets_a_code_and_a_page_with_its_status(self, mall: Any) -> None:
        app, client = mall
        code = code_of(await file(client, kontak="0812-3456-7890"))
        page = await client.get(f"/pengaduan/{code}?baru=1")
        assert page.status_code == 200
        assert "Laporan Anda diterima" in page.text and code in page.text
        assert "0812****7890" in page.text and PHONE not in page.text
        assert "Diverifikasi paling lambat Jumat, 27 November 2026." in page.text
        assert "lapor.go.id" in page.text
        assert page.headers["cache-control"] == "no-store"
        complaint = services(app).queue.state.complaints[code]
        assert (complaint.kind, complaint.tenant, complaint.status) == (
            "pengaduan",
            "dispendukcapil",
            "diterima",
        )

    async def test_the_same_form_sent_twice_files_one_report(self, mall: Any) -> None:
        app, client = mall
        fields = await form_fields(client)
        first = code_of(await file(client, dict(fields)))
        second = code_of(await file(client, dict(fields), isi=TEXT + " Lagi."))
        assert first == second
        assert len(services(app).queue.state.complaints) == 1

    async def test_a_link_may_choose_the_kind_and_the_tenant(self, mall: Any) -> None:
        _, client = mall
        page = (await client.get("/pengaduan?jenis=apresiasi&instansi=samsat")).text
        assert re.search(r'value="apresiasi" checked', page)
        assert re.search(r'value="samsat" selected', page)
        page = (await client.get("/pengaduan?jenis=x&instansi=<b>")).text
        assert "checked" not in page and "<b>" not in page

    @pytest.mark.parametrize(
        ("changes", "said"),
        [
            ({"jenis": ""}, "Pilih jenis laporan."),
            ({"instansi": "pajak"}, "Instansi yang dipilih tidak dikenal"),
            ({"kontak": "0812"}, "Kontak tidak valid"),
            ({"kontak": "budi@"}, "Kontak tidak valid"),
            ({"kontak": PHONE, "anonim": "1"}, "Laporan anonim tidak menyimpan kontak"),
            ({"isi": "pendek"}, "10 sampai 3000 karakter"),
        ],
    )
    async def test_a_refusal_says_what_to_fix_and_keeps_what_was_written(
        self, mall: Any, changes: dict[str, str], said: str
    ) -> None:
        app, client = mall
        fields = await form_fields(client)
        answer = await file(client, dict(fields) | changes)
        assert answer.status_code == 400
        assert said in error_of(answer)
        assert (changes.get("isi") or TEXT) in answer.text
        assert f'value="{fields["nonce"]}"' in answer.text  # the same form, still one report
        assert services(app).queue.state.complaints == {}

    async def test_a_forged_or_foreign_form_is_refused(self, mall: Any) -> None:
        app, client = mall
        fields = await form_fields(client)
        forged = await file(client, fields | {"nonce": "0" * 32})
        assert forged.status_code == 403 and "kedaluwarsa" in error_of(forged)
        foreign = await client.post(
            "/pengaduan",
            data=fields | {"jenis": "pengaduan", "isi": TEXT},
            headers={"Origin": "http://evil.example"},
        )
        assert foreign.status_code == 403
        assert services(app).queue.state.complaints == {}

    async def test_an_anonymous_report_keeps_no_contact(self, mall: Any) -> None:
        app, client = mall
        code = code_of(await file(client, anonim="1", rahasia="1"))
        complaint = services(app).queue.state.complaints[code]
        assert complaint.anonymous and complaint.confidential and not complaint.contact_masked
        assert "Anonim" in (await client.get(f"/pengaduan/{code}")).text

    async def test_the_contact_is_sealed_for_the_venue_and_masked_for_people(
        self, mall: Any, tmp_path: Path
    ) -> None:
        from server.privacy import unseal

        app, client = mall
        code = code_of(await file(client, kontak=" Budi.Santoso@Contoh.GO.ID "))
        events = [e for e in await _events(app) if getattr(e, "complaint", "") == code]
        [filed] = events
        assert filed.contact_masked == "B***@contoh.go.id"
        secret = services(app).secret
        assert (
            unseal(secret, COMPLAINT_CONTACT, filed.contact_sealed) == "Budi.Santoso@contoh.go.id"
        )
        assert unseal(secret, "another-purpose", filed.contact_sealed) is None
        assert unseal("another secret", COMPLAINT_CONTACT, filed.contact_sealed) is None
        assert files_holding(tmp_path, b"Santoso", b"santoso") == []

    async def test_too_many_reports_from_one_address_are_refused_in_indonesian(
        self, mall: Any
    ) -> None:
        app, client = mall
        limiter = services(app).complaint_limiter
        for _ in range(limiter.attempts):
            code_of(await file(client))
        answer = await file(client)
        assert answer.status_code == 429
        assert "Terlalu banyak laporan dari jaringan ini" in error_of(answer)


async def _events(app: Any) -> list[Any]:
    from server.domain.events import decode_event

    queue = services(app).queue
    records = await queue.log.read(queue.venue.id, after=0, limit=10_000)
    return [decode_event(r.data) for r in records]


class TestReviewFindings:
    """What an adversarial review found (each failed before its fix)."""

    async def test_a_refused_form_carries_the_contact_sealed_not_in_full(self, mall: Any) -> None:
        app, client = mall
        fields = await form_fields(client)
        refused = await file(client, dict(fields), isi="pendek", kontak="0812 3456 7890")
        assert refused.status_code == 400
        assert not re.search(r"0812\D?3456\D?7890", refused.text)
        assert "Sudah diisi: 0812****7890" in refused.text
        sealed = re.search(r'name="kontak_sealed" value="([^"]+)"', refused.text)
        assert sealed
        # Sent again with the text fixed, the sealed contact is the report's.
        code = code_of(await file(client, dict(fields), kontak_sealed=sealed.group(1)))
        assert services(app).queue.state.complaints[code].contact_masked == "0812****7890"

    @pytest.mark.parametrize(
        "changes",
        [{"anonim": "1"}, {"kontak": "0812345678901234567"}, {"kontak": "+62 812 3456 7890 12"}],
    )
    async def test_no_refusal_puts_a_typed_number_back(
        self, mall: Any, changes: dict[str, str]
    ) -> None:
        _, client = mall
        typed = changes.get("kontak", "0812 3456 7890")
        fields = await form_fields(client)
        refused = await file(client, fields | {"kontak": typed} | changes)
        assert refused.status_code == 400
        assert typed not in refused.text
        assert re.sub(r"\D", "", typed)[-10:] not in refused.text

    async def test_a_sealed_contact_is_dropped_when_the_report_turns_anonymous(
        self, mall: Any
    ) -> None:
        app, client = mall
        fields = await form_fields(client)
        refused = await file(client, dict(fields), isi="pendek", kontak="081234567890")
        sealed = re.search(r'name="kontak_sealed" value="([^"]+)"', refused.text)
        assert sealed
        code = code_of(await file(client, dict(fields), kontak_sealed=sealed.group(1), anonim="1"))
        complaint = services(app).queue.state.complaints[code]
        assert complaint.anonymous and not complaint.contact_masked

    async def test_a_refused_report_keeps_no_photo_and_asks_for_it_again(
        self, mall: Any, tmp_path: Path
    ) -> None:
        _, client = mall
        for _ in range(3):
            refused = await file(client, isi="pendek", photo=("IMG_1.jpg", jpeg(), "image/jpeg"))
            assert refused.status_code == 400
        assert "Pilih foto lagi" in refused.text
        assert not (tmp_path / "photos").exists() or list((tmp_path / "photos").iterdir()) == []

    async def test_the_public_page_hides_a_confidential_reports_contact(self, mall: Any) -> None:
        # The tenant's supervisor knows the code from the list; the public page must not
        # give them the contact the form promised to keep from them.
        _, client = mall
        code = code_of(await file(client, kontak="081234567890", rahasia="1"))
        public = (await client.get(f"/pengaduan/{code}")).text
        assert "0812****7890" not in public and "Dirahasiakan" in public

    def test_a_number_in_other_digits_is_read_as_ascii_or_refused(self) -> None:
        from server.privacy import parse_contact
        from visitors.booking import parse_holder

        for typed in ("08١٢٣٤٥٦٧٨٩٠", "08１２３４５６７８９０"):
            contact = parse_contact(typed)
            assert contact is None or contact.value == "081234567890"
        assert parse_contact("08１２３４５６７８９０") == parse_contact("081234567890")
        nik = parse_holder("3573010101900001")
        assert parse_holder("٣٥٧٣٠١٠١٠١٩٠٠٠٠١") == "nik_invalid"
        assert parse_holder("３５７３０１０１０１９００００１") == nik

    def test_a_16_bit_grey_png_keeps_its_greys(self) -> None:
        from server.photos import clean

        out = io.BytesIO()
        Image.new("I;16", (300, 200), 32768).save(out, "PNG")  # mid-grey
        with Image.open(io.BytesIO(clean(out.getvalue()))) as image:
            pixel = image.getpixel((0, 0))
            assert isinstance(pixel, tuple) and 100 <= pixel[0] <= 160

    def test_a_decompression_bomb_is_too_large_not_damaged(self) -> None:
        from server.photos import PhotoRefused, clean

        out = io.BytesIO()
        Image.new("1", (20_000, 20_000)).save(out, "PNG")  # 400 MP of nothing, a few KB
        with pytest.raises(PhotoRefused) as refused:
            clean(out.getvalue())
        assert refused.value.code == "too_large"

    def test_a_short_email_name_is_not_shown_whole(self) -> None:
        from server.privacy import mask_email

        assert mask_email("b@contoh.id") == "***@contoh.id"
        assert mask_email("budi@contoh.id") == "b***@contoh.id"

    async def test_a_full_width_code_finds_its_report(self, mall: Any) -> None:
        _, client = mall
        code = code_of(await file(client))
        wide = "".join(chr(ord(c) + 0xFEE0) if c != "-" else c for c in code)
        answer = await client.get("/pengaduan/lacak", params={"kode": wide})
        assert answer.status_code == 303 and answer.headers["location"] == f"/pengaduan/{code}"


class TestPhoto:
    async def test_a_photo_is_kept_upright_without_its_metadata(
        self, mall: Any, tmp_path: Path
    ) -> None:
        app, client = mall
        exif = Image.Exif()
        exif[0x010F] = "KameraRahasia"  # Make
        exif[0x0112] = 6  # rotated: the phone held upright
        exif[0x8825] = {2: (7.0, 58.0, 0.0)}  # a GPS latitude
        code = code_of(await file(client, photo=("IMG_1.jpg", jpeg(exif=exif), "image/jpeg")))
        name = services(app).queue.state.complaints[code].photo
        stored = (tmp_path / "photos" / name).read_bytes()
        assert b"KameraRahasia" not in stored and b"Exif" not in stored
        with Image.open(io.BytesIO(stored)) as image:
            assert image.format == "JPEG" and image.size == (600, 800)
            assert not image.getexif()
        assert not list((tmp_path / "photos").glob(".*"))  # no half-written file left

    async def test_a_png_is_kept_as_a_jpeg(self, mall: Any, tmp_path: Path) -> None:
        app, client = mall
        out = io.BytesIO()
        Image.new("RGBA", (300, 200), (255, 0, 0, 128)).save(out, "PNG")
        code = code_of(await file(client, photo=("layar.png", out.getvalue(), "image/png")))
        name = services(app).queue.state.complaints[code].photo
        assert (tmp_path / "photos" / name).read_bytes().startswith(b"\xff\xd8\xff")

    @pytest.mark.parametrize(
        ("photo", "said"),
        [
            (("foto.jpg", b"<script>alert(1)</script>", "image/jpeg"), "bukan foto JPEG atau PNG"),
            (("foto.jpg", b"GIF89a" + b"\0" * 100, "image/jpeg"), "bukan foto JPEG atau PNG"),
            (("foto.jpg", jpeg()[:200], "image/jpeg"), "tidak dapat dibaca"),
            (("foto.jpg", b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "image/png"), "tidak dapat dibaca"),
        ],
    )
    async def test_a_disguised_or_damaged_file_is_refused(
        self, mall: Any, tmp_path: Path, photo: tuple[str, bytes, str], said: str
    ) -> None:
        app, client = mall
        answer = await file(client, photo=photo)
        assert answer.status_code == 400
        assert said in error_of(answer)
        assert TEXT in answer.text
        assert services(app).queue.state.complaints == {}
        assert not (tmp_path / "photos").exists() or not list((tmp_path / "photos").iterdir())

    async def test_an_oversized_photo_is_refused_with_the_limit(self, mall: Any) -> None:
        app, client = mall
        # Just over: the form comes back with what was written and the limit.
        big = b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024 + 10)
        answer = await file(client, photo=("besar.jpg", big, "image/jpeg"))
        assert answer.status_code == 400
        assert "paling besar 2 MB" in error_of(answer) and TEXT in answer.text
        # Far over: the body is not even read; the page says why and what to do.
        huge = b"\xff\xd8\xff" + b"\0" * (3 * 1024 * 1024)
        answer = await file(client, photo=("besar.jpg", huge, "image/jpeg"))
        assert answer.status_code == 413
        assert "foto paling besar 2 MB" in answer.text
        assert services(app).queue.state.complaints == {}

    async def test_a_photo_just_under_the_limit_passes_the_body_limit(self, mall: Any) -> None:
        _, client = mall
        # Noise does not compress: a big photo near 2 MB, as a phone sends it.
        import os

        image = Image.frombytes("RGB", (1000, 800), os.urandom(1000 * 800 * 3))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=98)
        data = out.getvalue()
        assert 1_000_000 < len(data) <= 2 * 1024 * 1024
        code_of(await file(client, photo=("besar.jpg", data, "image/jpeg")))


class TestTracking:
    async def test_a_typed_code_finds_its_page(self, mall: Any) -> None:
        _, client = mall
        code = code_of(await file(client))
        typed = code.lower().replace("-", " ")
        answer = await client.get("/pengaduan/lacak", params={"kode": typed})
        assert answer.status_code == 303 and answer.headers["location"] == f"/pengaduan/{code}"
        bare = await client.get(f"/pengaduan/{code.lower()}")
        assert bare.status_code == 303 and bare.headers["location"] == f"/pengaduan/{code}"

    async def test_an_unknown_code_says_so_and_a_scan_is_slowed(self, mall: Any) -> None:
        app, client = mall
        answer = await client.get("/pengaduan/lacak", params={"kode": "ZZZZ-ZZZZ-ZZZZ"})
        assert answer.status_code == 404
        assert "Kode pelacakan itu tidak ditemukan" in answer.text
        for _ in range(services(app).tracking_limiter.attempts):
            answer = await client.get("/pengaduan/AAAA-AAAA-AAAA")
        assert answer.status_code == 429
        assert "Tunggu 10 menit" in answer.text

    async def test_an_empty_lookup_goes_back_to_the_form(self, mall: Any) -> None:
        _, client = mall
        answer = await client.get("/pengaduan/lacak")
        assert answer.status_code == 303 and answer.headers["location"] == "/pengaduan#lacak"

    async def test_the_page_reads_in_english(self, mall: Any) -> None:
        _, client = mall
        code = code_of(await file(client))
        page = (await client.get(f"/pengaduan/{code}?lang=en")).text
        assert "To be verified by Friday, 27 November 2026." in page
        assert "Progress of the report" in page
        # In its own context: not the console's "Done", not a turned-away visitor.
        assert 'data-status="diterima">Received</p>' in page and "Complaint ·" in page


class TestLinks:
    """The form is one scan or tap away from everywhere a visitor looks."""

    async def test_the_kiosk_shows_the_forms_address_and_qr(self, mall: Any) -> None:
        _, client = mall
        page = (await client.get("/kiosk")).text
        assert 'data-screen="complaint"' in page and 'data-go="complaint"' in page
        assert "http://mpp.test/pengaduan" in page and "<svg" in page
        assert "lapor.go.id" in page

    async def test_the_phone_page_links_to_the_form(self, mall: Any) -> None:
        from server.demo import KIOSK_TOKEN

        _, client = mall
        issued = await client.post(
            "/kiosk/api/issue",
            json={"service": "ktp", "command_id": "k" * 16},
            headers={"X-Device-Token": KIOSK_TOKEN},
        )
        body = issued.json()
        page = (await client.get(body["ticket"]["path"])).text
        assert 'href="/pengaduan"' in page
        printed = (await client.get(body["ticket"]["print_url"])).text
        assert "Saran dan pengaduan: http://mpp.test/pengaduan" in printed
        assert "lapor.go.id" in printed
