"""The kiosk's voice guidance: what it says of tiles and tickets, from clips a venue has,
and `/kiosk/api/say.wav` joining them."""

from __future__ import annotations

import io
import re
import wave
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audio.guide import (
    MAX_SAID,
    PHRASES,
    guide_vocabulary,
    service_words,
    speakable,
    tenant_words,
    ticket_words,
)
from server.config import DEMO_VENUE, load_venue
from server.demo import KIOSK_TOKEN, display_token
from server.domain.estimate import WaitRange
from tests.conftest import LiveServer

DEMO = load_venue(DEMO_VENUE)
KTP = DEMO.services["ktp"]
KIOSK = Path(__file__).parents[2] / "visitors"
AS_KIOSK = {"X-Device-Token": KIOSK_TOKEN}


class TestWords:
    """Tiles and tickets are said in clips the venue renders ahead."""

    def test_a_ticket(self) -> None:
        said = ticket_words("A-007", KTP, WaitRange(10, 20, 2))
        assert said == [
            "nomor_antrean_anda", "huruf_a", "angka_7", "layanan", "layanan_ktp",
            "di_depan_anda", "angka_2", "orang",
            "perkiraan_tunggu", "sekitar", "angka_10", "sampai", "angka_20", "menit",
            "ambil_tiket",
        ]  # fmt: skip

    def test_next_in_line_hears_no_wait(self) -> None:
        said = ticket_words("B-120", KTP, WaitRange(0, 5, 0))
        assert said[-2:] == ["anda_berikutnya", "ambil_tiket"]
        assert "perkiraan_tunggu" not in said
        assert said[1:5] == ["huruf_b", "seratus", "angka_20", "layanan"]

    def test_a_short_wait_is_less_than(self) -> None:
        said = service_words(KTP, 3, WaitRange(0, 10, 3), available=True)
        assert said == [
            "layanan_ktp", "angka_3", "orang_menunggu",
            "perkiraan_tunggu", "kurang_dari", "angka_10", "menit",
        ]  # fmt: skip

    def test_a_closed_tile_says_so(self) -> None:
        tenant = DEMO.tenants[KTP.tenant]
        assert tenant_words(tenant, 4, available=0) == ["instansi_dispendukcapil", "tidak_tersedia"]
        assert service_words(KTP, 0, None, available=False) == ["layanan_ktp", "tidak_tersedia"]
        assert tenant_words(tenant, 0, available=2)[1:] == ["belum_ada_antrean"]

    @given(
        waiting=st.integers(0, 20_000),
        low=st.integers(0, 20_000),
        spread=st.integers(1, 300),
        ahead=st.none() | st.integers(0, 20_000),
    )
    def test_every_word_is_a_clip_of_the_venue(
        self, waiting: int, low: int, spread: int, ahead: int | None
    ) -> None:
        known = speakable(DEMO)
        wait = WaitRange(low, low + spread, ahead) if ahead is not None else None
        for tenant in DEMO.tenants.values():
            assert set(tenant_words(tenant, waiting, 1)) <= known.keys()
        for service in DEMO.services.values():
            assert set(service_words(service, waiting, wait, True)) <= known.keys()
            said = ticket_words(f"{service.prefix}-{waiting}", service, wait)
            assert set(said) <= known.keys() and len(said) <= MAX_SAID

    def test_a_ticket_not_printed_says_so(self) -> None:
        said = ticket_words("A-7", KTP, None, printed=False)
        assert said == [
            "nomor_antrean_anda", "huruf_a", "angka_7", "layanan", "layanan_ktp",
            "tiket_tidak_tercetak",
        ]  # fmt: skip

    def test_a_number_past_the_words_is_said_digit_by_digit(self) -> None:
        """A venue with a daily quota over 9,999 still hears its ticket, not a 500."""
        said = ticket_words("A-10025", KTP, None)
        assert said[1:7] == ["huruf_a", "angka_1", "angka_0", "angka_0", "angka_2", "angka_5"]

    def test_no_phrase_can_take_a_made_key(self) -> None:
        """A service with id "dipilih" would otherwise be "layanan_dipilih", a phrase."""
        made = ("layanan_", "instansi_", "loket_", "huruf_", "angka_")
        assert not [key for key in PHRASES if key.startswith(made)]

    def test_the_vocabulary_has_every_phrase_and_service_once(self) -> None:
        keys = [clip.key for clip in guide_vocabulary(DEMO)]
        assert len(keys) == len(set(keys)) == len(PHRASES) + len(DEMO.services)

    def test_the_kiosk_page_names_only_phrases_that_exist(self) -> None:
        """Every `data-say` of the kiosk page, and every phrase its script names."""
        page = (KIOSK / "templates/visitors/kiosk.html").read_text()
        script = (
            (KIOSK / "static/kiosk.js").read_text()
            + (KIOSK / "static/kiosk-voice.js").read_text()
            + (KIOSK / "static/kiosk-render.js").read_text()
        )
        named = set(re.findall(r'data-say="([a-z0-9_.]+)"', page))
        named |= {k for k in re.findall(r'"([a-z]+_[a-z_]+)"', script) if k in PHRASES}
        named |= set(re.findall(r'\["([a-z]+_[a-z_]+)"', script))
        assert named and named <= set(PHRASES), named - set(PHRASES)


class TestSayEndpoint:
    """`/kiosk/api/say.wav?clips=...` joins known clips for a kiosk; anything else is a
    clear refusal."""

    def test_joins_the_clips_in_order(self, live_server: LiveServer) -> None:
        with httpx.Client(base_url=live_server.url, timeout=30, headers=AS_KIOSK) as client:
            one = client.get("/kiosk/api/say.wav?clips=pilih_instansi")
            both = client.get("/kiosk/api/say.wav?clips=pilih_instansi.instansi_dispendukcapil")
            assert one.status_code == both.status_code == 200
            assert both.headers["content-type"] == "audio/wav"
            assert _seconds(both.content) > _seconds(one.content) > 0.5
            again = client.get(
                "/kiosk/api/say.wav?clips=pilih_instansi",
                headers={"If-None-Match": one.headers["etag"]},
            )
            assert again.status_code == 304

    @pytest.mark.parametrize(
        "clips",
        [
            "",
            "no_such_clip",
            "pilih_instansi.no_such_clip",
            "pilih_instansi..angka_1",
            "../../etc/passwd",
            "PILIH_INSTANSI",
            ".".join(["angka_1"] * (MAX_SAID + 1)),
        ],
    )
    def test_unknown_or_too_many_is_refused(self, live_server: LiveServer, clips: str) -> None:
        answer = httpx.get(
            f"{live_server.url}/kiosk/api/say.wav", params={"clips": clips}, headers=AS_KIOSK
        )
        assert answer.status_code == 404 and answer.json() == {
            "ok": False,
            "code": "no_audio",
            "message": "Suara panduan tidak ditemukan.",
        }

    def test_too_long_is_refused_and_nothing_is_kept(self, live_server: LiveServer) -> None:
        """80 of the longest phrase would be a 30 MB WAV: refused before it is joined."""
        joined = live_server.data_dir / "audio" / "joined"
        before = set(joined.iterdir()) if joined.exists() else set()
        clips = ".".join(["panduan_aktif"] * MAX_SAID)
        answer = httpx.get(
            f"{live_server.url}/kiosk/api/say.wav", params={"clips": clips}, headers=AS_KIOSK
        )
        assert answer.status_code == 413 and answer.json()["code"] == "too_long"
        after = set(joined.iterdir()) if joined.exists() else set()
        assert after == before

    @pytest.mark.parametrize("token", [None, "not-a-token", display_token("lantai1-timur")])
    def test_only_a_kiosk_may_ask(self, live_server: LiveServer, token: str | None) -> None:
        headers = {"X-Device-Token": token} if token else {}
        answer = httpx.get(
            f"{live_server.url}/kiosk/api/say.wav?clips=pilih_instansi", headers=headers
        )
        assert answer.status_code == 403
        assert answer.json()["code"] in ("unpaired", "wrong_device")


def _seconds(wav_bytes: bytes) -> float:
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        seconds: float = wav.getnframes() / wav.getframerate()
        return seconds
