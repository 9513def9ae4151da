"""The recording studio's routes (`/manager/voice`): who may use them, what an upload gets,
and that a take is what the hall then hears."""

from __future__ import annotations

import io
import wave
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from audio.guide import speakable
from audio.pcm import clip_frames
from server.services import services
from server.settings import Settings
from tests.audio.test_voice import spoken, tone
from tests.helpers import SignedIn, serving

WAV = {"Content-Type": "audio/wav"}


@pytest.fixture
async def studio(tmp_path: Path) -> AsyncIterator[SignedIn]:
    async with serving(Settings(data_dir=str(tmp_path))) as (app, client):
        desk = SignedIn(client)
        desk.app = app  # type: ignore[attr-defined]
        await desk.sign_in("manajer")
        yield desk


def headers(desk: SignedIn, **more: str) -> dict[str, str]:
    return {"X-CSRF-Token": desk.csrf, **more}


def frames_of(wav_data: bytes) -> bytes:
    with wave.open(io.BytesIO(wav_data)) as read:
        return bytes(read.readframes(read.getnframes()))


class TestStudioPage:
    async def test_every_clip_in_speaking_order_with_the_progress(self, studio: SignedIn) -> None:
        page = await studio.client.get("/manager/voice")
        assert page.status_code == 200
        venue = services(studio.app).venue  # type: ignore[attr-defined]
        total = len(speakable(venue))
        assert f"0 dari {total} terekam" in page.text
        order = [
            page.text.index(f'"key":"{key}"') for key in ("nomor_antrean", "huruf_a", "angka_7")
        ]
        assert order == sorted(order), "the call's words in the order a call says them"

    async def test_officers_and_supervisors_may_not_use_it(self, studio: SignedIn) -> None:
        for who in ("loket1", "spv-dispendukcapil"):
            await studio.sign_in(who)
            assert (await studio.client.get("/manager/voice")).status_code == 403
            answer = await studio.client.post(
                "/manager/voice/clips/huruf_a", content=tone(1.0), headers=headers(studio, **WAV)
            )
            assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
        studio.client.cookies.clear()
        answer = await studio.client.get("/manager/voice/clips/huruf_a.wav")
        assert answer.status_code == 401 and answer.json()["code"] == "signed_out"


class TestRecording:
    async def test_a_take_is_kept_used_by_the_next_call_and_listed(self, studio: SignedIn) -> None:
        client = studio.client
        before = (await client.get("/audio/call/1/A-123.wav")).content
        answer = await client.post(
            "/manager/voice/clips/nomor_antrean",
            content=spoken("nomor antrean", gain=0.2, before=1.0, after=1.0),
            headers=headers(studio, **WAV),
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["recorded"] == 1 and body["clip"]["recorded"] is True
        assert body["recorded_seconds"] - body["seconds"] > 1.8 and abs(body["level_dbfs"] + 20) < 1
        take = frames_of((await client.get(body["take"]["audio"])).content)
        # The hall's next call says the take, sample for sample; the rest stays synthetic.
        after = (await client.get("/audio/call/1/A-123.wav")).content
        assert after != before and take in frames_of(after)
        preview = (await client.get("/manager/voice/preview?ticket=a123&counter=1")).json()
        said = {part["key"]: part["recorded"] for part in preview["clips"]}
        assert said["nomor_antrean"] is True and said["huruf_a"] is False
        assert take in frames_of((await client.get(preview["audio"])).content)
        clip = (await client.get(body["clip"]["audio"])).content
        assert clip_frames(clip) == take

    async def test_back_to_the_synthetic_voice_and_to_the_take_again(
        self, studio: SignedIn
    ) -> None:
        client = studio.client
        recorded = await client.post(
            "/manager/voice/clips/huruf_a", content=spoken("a"), headers=headers(studio, **WAV)
        )
        take = recorded.json()["take"]["id"]
        cleared = await client.post(
            "/manager/voice/clips/huruf_a/choice", json={"take": None}, headers=headers(studio)
        )
        assert cleared.json()["clip"]["recorded"] is False and cleared.json()["recorded"] == 0
        chosen = await client.post(
            "/manager/voice/clips/huruf_a/choice", json={"take": take}, headers=headers(studio)
        )
        assert (
            chosen.json()["clip"]["takes"][0] | {"chosen": True}
            == chosen.json()["clip"]["takes"][0]
        )
        wrong = await client.post(
            "/manager/voice/clips/huruf_b/choice", json={"take": take}, headers=headers(studio)
        )
        assert wrong.status_code == 404 and wrong.json()["code"] == "unknown_take"

    @pytest.mark.parametrize(
        ("audio", "code", "words"),
        [
            (b"<html>not audio</html>", "not_audio", "bukan rekaman suara"),
            (tone(2.0, level=0.0), "silent", "tanpa suara"),
            (tone(14.0), "too_long", "terlalu panjang (14,0 detik)"),
            (tone(0.05), "too_short", "terlalu pendek"),
        ],
    )
    async def test_a_bad_upload_is_told_and_changes_nothing(
        self, studio: SignedIn, audio: bytes, code: str, words: str
    ) -> None:
        book = services(studio.app).voice  # type: ignore[attr-defined]
        head = await book.log.head(book.stream)
        answer = await studio.client.post(
            "/manager/voice/clips/huruf_a", content=audio, headers=headers(studio, **WAV)
        )
        assert answer.status_code == 400 and answer.json()["code"] == code
        assert words in answer.json()["message"]
        assert await book.log.head(book.stream) == head

    async def test_refusals_of_machines_are_json(self, studio: SignedIn) -> None:
        client = studio.client
        huge = await client.post(
            "/manager/voice/clips/huruf_a",
            content=bytes(5 * 1024 * 1024),
            headers=headers(studio, **WAV),
        )
        assert huge.status_code == 413 and "4 MB" in huge.json()["message"]
        unknown = await client.post(
            "/manager/voice/clips/bukan_kata", content=tone(1.0), headers=headers(studio, **WAV)
        )
        assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_clip"
        no_csrf = await client.post("/manager/voice/clips/huruf_a", content=tone(1.0), headers=WAV)
        assert no_csrf.status_code == 403 and no_csrf.json()["code"] == "csrf"
        for path in (
            "/manager/voice/takes/nothere.wav",
            "/manager/voice/takes/0123456789abcdef.wav",
        ):
            assert (await client.get(path)).json()["code"] == "unknown_take"
        bad_ticket = await client.get("/manager/voice/preview?ticket=123&counter=1")
        assert bad_ticket.status_code == 400 and bad_ticket.json()["code"] == "bad_ticket"
        bad_counter = await client.get("/manager/voice/preview?ticket=A-1&counter=x")
        assert bad_counter.json()["code"] == "bad_counter"


class TestPacks:
    async def test_export_import_and_a_bad_pack(self, studio: SignedIn, tmp_path: Path) -> None:
        client = studio.client
        for key, text in (("huruf_a", "a"), ("angka_7", "tujuh")):
            await client.post(
                f"/manager/voice/clips/{key}", content=spoken(text), headers=headers(studio, **WAV)
            )
        pack = await client.get("/manager/voice/pack.zip")
        assert pack.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(pack.content)) as read:
            assert sorted(read.namelist()) == [
                "clips/angka_7.wav",
                "clips/huruf_a.wav",
                "manifest.json",
            ]

        async with serving(Settings(data_dir=str(tmp_path / "fresh"))) as (_, fresh):
            other = SignedIn(fresh)
            await other.sign_in("admin")
            answer = await fresh.post(
                "/manager/voice/pack",
                content=pack.content,
                headers=headers(other, **{"Content-Type": "application/zip"}),
            )
            assert answer.json()["message"] == (
                "2 potongan diimpor, 0 sudah sama, 0 tidak dikenal venue ini (dilewati)."
            )
            again = await fresh.get("/manager/voice/pack.zip")
            with (
                zipfile.ZipFile(io.BytesIO(pack.content)) as a,
                zipfile.ZipFile(io.BytesIO(again.content)) as b,
            ):
                for name in ("clips/angka_7.wav", "clips/huruf_a.wav"):
                    assert a.read(name) == b.read(name)
            refused = await fresh.post(
                "/manager/voice/pack",
                content=b"not a zip",
                headers=headers(other, **{"Content-Type": "application/zip"}),
            )
            assert refused.status_code == 400 and refused.json()["code"] == "not_zip"
