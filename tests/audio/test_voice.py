"""The venue's own voice (`audio.voice`): a take made from any upload, kept in the venue's
voice log on either store, shared by every process, carried in voice packs."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import wave
import zipfile
from pathlib import Path

import numpy as np
import pytest

from audio.engine_espeak import EspeakEngine
from audio.engine_studio import StudioEngine
from audio.engine_tone import ToneEngine
from audio.library import ClipLibrary
from audio.pcm import FORMAT_ID, GAP_SECONDS, RATE, clip_frames, dbfs, wav_bytes
from audio.voice import (
    MAX_RECORDING_SECONDS,
    MAX_TAKE_SECONDS,
    BadPack,
    BadRecording,
    VoiceBook,
    export_pack,
    prepare,
    read_pack,
)
from audio.wording import Clip
from server.store import EventLog

GAP = int(RATE * GAP_SECONDS)
CLIPS = {key: Clip(key, text) for key, text in (("huruf_a", "a"), ("angka_7", "tujuh"))}


def spoken(text: str, *, gain: float = 1.0, before: float = 0.0, after: float = 0.0) -> bytes:
    """espeak-ng saying `text` at `gain`, with `before`/`after` seconds of room hiss
    (-70 dBFS), as a 48 kHz stereo WAV: a microphone's recording, not the clip format."""
    wav = subprocess.run(
        ["espeak-ng", "-v", "id", "--stdout", text], capture_output=True, check=True
    )
    with wave.open(io.BytesIO(wav.stdout)) as read:
        voice = np.frombuffer(read.readframes(read.getnframes()), dtype=np.int16) * gain
        rate = read.getframerate()
    rng = np.random.default_rng(1)

    def hiss(seconds: float) -> np.ndarray:
        return rng.normal(0, 10, int(rate * seconds))

    mono = np.concatenate([hiss(before), voice + rng.normal(0, 10, voice.size), hiss(after)])
    up = np.interp(np.arange(0, mono.size, rate / 48000), np.arange(mono.size), mono)
    stereo = np.repeat(np.clip(up, -32768, 32767).astype(np.int16), 2)
    out = io.BytesIO()
    with wave.open(out, "wb") as write:
        write.setnchannels(2)
        write.setsampwidth(2)
        write.setframerate(48000)
        write.writeframes(stereo.tobytes())
    return out.getvalue()


def tone(seconds: float, level: float = 8000.0) -> bytes:
    t = np.arange(int(RATE * seconds)) / RATE
    return wav_bytes((np.sin(2 * np.pi * 220 * t) * level).astype(np.int16).tobytes())


def words_of(frames: bytes) -> np.ndarray:
    samples = np.frombuffer(frames, dtype=np.int16)
    assert not samples[-GAP:].any(), "a take ends in the clips' silent gap"
    return samples[:-GAP]


class TestPrepare:
    """Any recording becomes a clip: trimmed, at the clips' loudness, in their format."""

    def test_a_quiet_recording_with_pauses_is_trimmed_and_brought_up(self) -> None:
        recording = spoken("nomor antrean", gain=0.15, before=1.2, after=1.5)
        take = prepare(recording)
        words = words_of(take.frames)
        # The pauses are gone: the words and a few milliseconds of margin are left.
        assert take.recorded_seconds - take.seconds > 2.5
        assert abs(take.seconds - words.size / RATE) < 1e-9
        # At the clips' level (-20 dBFS RMS), from about -37 as recorded.
        assert abs(take.level_dbfs + 20) < 0.5 and abs(dbfs(words) + 20) < 0.5
        # Speech at once: the first 20 ms already carry sound well above the hiss.
        assert dbfs(words[: RATE // 50]) > -50
        assert take.sha256 == hashlib.sha256(take.frames).hexdigest()

    def test_a_loud_take_is_not_clipped(self) -> None:
        take = prepare(spoken("loket", gain=6.0))
        assert np.abs(words_of(take.frames).astype(np.int32)).max() <= 32767 * 10 ** (-1 / 20) + 1

    @pytest.mark.parametrize(
        "data",
        [
            b"",
            b"hello, this is text and not a sound" * 40,
            b"\x89PNG\r\n\x1a\n" + bytes(4000),
            tone(1.0)[:30],  # a header cut short
        ],
        ids=["empty", "text", "png", "truncated"],
    )
    def test_what_is_not_audio_is_refused(self, data: bytes) -> None:
        with pytest.raises(BadRecording) as refused:
            prepare(data)
        assert refused.value.problem == "not_audio"

    def test_silence_and_a_muted_microphone_are_refused(self) -> None:
        for data in (tone(2.0, level=0.0), tone(2.0, level=5.0)):  # -76 dBFS: hiss, no voice
            with pytest.raises(BadRecording) as refused:
                prepare(data)
            assert refused.value.problem == "silent"

    def test_too_long_as_recorded_or_as_words(self) -> None:
        with pytest.raises(BadRecording) as recorded:
            prepare(tone(MAX_RECORDING_SECONDS + 1, level=0.0))
        assert recorded.value.problem == "too_long"
        with pytest.raises(BadRecording) as words:
            prepare(tone(MAX_TAKE_SECONDS + 1))
        assert words.value.problem == "too_long" and words.value.seconds > MAX_TAKE_SECONDS
        assert prepare(tone(MAX_TAKE_SECONDS - 1)).seconds < MAX_TAKE_SECONDS

    def test_a_few_bytes_declaring_hours_are_not_decoded_whole(self) -> None:
        # 8 KB at 1 Hz, 8-bit: 8,000 seconds once resampled (1.4 GB of clip format with
        # its copies). Decoding stops a second past the limit.
        out = io.BytesIO()
        with wave.open(out, "wb") as write:
            write.setnchannels(1)
            write.setsampwidth(1)
            write.setframerate(1)
            write.writeframes(bytes(range(256)) * 32)
        with pytest.raises(BadRecording) as refused:
            prepare(out.getvalue())
        assert refused.value.problem == "too_long"
        assert MAX_RECORDING_SECONDS < refused.value.seconds <= MAX_RECORDING_SECONDS + 1

    def test_a_click_is_too_short(self) -> None:
        with pytest.raises(BadRecording) as refused:
            prepare(tone(0.05))
        assert refused.value.problem == "too_short"


class TestVoiceBook:
    """Takes are events of the venue's voice log: every process reads the same choice."""

    async def test_a_new_take_is_used_an_older_one_can_be_again_and_none_at_all(
        self, any_log: EventLog
    ) -> None:
        engine = StudioEngine()
        book = VoiceBook("v", any_log, engine)
        clip = Clip("huruf_a", "a")
        first = await book.record("huruf_a", prepare(spoken("a")), "manajer", "studio")
        second = await book.record("huruf_a", prepare(spoken("a", gain=0.5)), "admin", "file")
        assert engine.identity(clip) == f"studio|huruf_a|{second.sha256}"
        assert [t.id for t in book.takes_of("huruf_a")] == [second.id, first.id]

        assert await book.choose("huruf_a", first.id, "manajer")
        assert engine.identity(clip) == f"studio|huruf_a|{first.sha256}"
        # The older take's audio comes back from the log, not from memory.
        assert clip_frames(engine.render(clip)) == await book.frames(first.id)
        # A take of another clip, or none at all, is not a choice.
        assert not await book.choose("huruf_b", first.id, "manajer")
        assert not await book.choose("huruf_a", "0" * 16, "manajer")

        await book.clear("huruf_a", "manajer")
        assert engine.identity(clip) is None
        assert len(book.takes_of("huruf_a")) == 2, "every take stays on record"
        head = await any_log.head("v.voice")
        await book.clear("huruf_a", "manajer")
        assert await any_log.head("v.voice") == head, "clearing what is not used writes nothing"

    async def test_an_unreadable_record_is_passed_over_not_fatal(self, any_log: EventLog) -> None:
        book = VoiceBook("v", any_log, StudioEngine())
        await book.record("huruf_a", prepare(spoken("a")), "manajer", "studio")
        # A damaged record, or one of a newer version's kind, between two takes.
        head = await any_log.head("v.voice")
        await any_log.append("v.voice", head, [b'{"type": "take_trimmed_v9"}'], "x" * 16)
        take = await book.record("huruf_b", prepare(spoken("be")), "manajer", "studio")
        fresh = VoiceBook("v", any_log, StudioEngine())
        await fresh.refresh()
        assert fresh.chosen["huruf_b"] == take.id and fresh.seq == head + 2
        assert fresh.engine.identity(Clip("huruf_b", "")) == f"studio|huruf_b|{take.sha256}"

    async def test_clearing_a_take_recorded_by_another_process(self, any_log: EventLog) -> None:
        here, there = (
            VoiceBook("v", any_log, StudioEngine()),
            VoiceBook("v", any_log, StudioEngine()),
        )
        await there.refresh()
        await here.record("huruf_a", prepare(spoken("a")), "manajer", "studio")
        await there.clear("huruf_a", "admin")  # it had not read the take yet
        await here.refresh()
        assert "huruf_a" not in here.chosen and "huruf_a" not in there.chosen

    async def test_another_process_and_a_restart_see_the_same_voice(
        self, any_log: EventLog
    ) -> None:
        here, there = (
            VoiceBook("v", any_log, StudioEngine()),
            VoiceBook("v", any_log, StudioEngine()),
        )
        take = await here.record("loket_info", prepare(spoken("informasi")), "manajer", "studio")
        await there.refresh()
        assert there.chosen == {"loket_info": take.id}
        assert there.engine.identity(Clip("loket_info", "")) == here.engine.identity(
            Clip("loket_info", "")
        )
        # Both write at once: each append follows the other, nothing is lost.
        await there.record("huruf_b", prepare(spoken("be")), "admin", "studio")
        await here.record("huruf_c", prepare(spoken("ce")), "manajer", "studio")
        again = VoiceBook("v", any_log, StudioEngine())
        await again.refresh()
        assert set(again.chosen) == {"loket_info", "huruf_b", "huruf_c"}
        assert await again.frames(take.id) == await here.frames(take.id)

    async def test_the_library_says_the_take_sample_for_sample(
        self, any_log: EventLog, tmp_path: Path
    ) -> None:
        engine = StudioEngine()
        book = VoiceBook("v", any_log, engine)
        library = ClipLibrary(tmp_path / "cache", [engine, EspeakEngine(), ToneEngine()])
        said = [Clip("nomor_antrean", "Nomor antrean"), Clip("huruf_a", "a")]
        before = library.say(said).path.read_bytes()
        take = await book.record("huruf_a", prepare(spoken("a", gain=0.3)), "manajer", "studio")
        after = library.say(said).path.read_bytes()
        assert after != before
        frames = await book.frames(take.id)
        assert frames is not None and after.endswith(frames), "the take, exactly as stored"


class TestPacks:
    """A voice pack carries a venue's takes to another, sample for sample."""

    async def _recorded(self, log: EventLog, venue: str) -> VoiceBook:
        book = VoiceBook(venue, log, StudioEngine())
        await book.record("huruf_a", prepare(spoken("a")), "manajer", "studio")
        await book.record("angka_7", prepare(spoken("tujuh")), "manajer", "studio")
        return book

    async def _pack(self, book: VoiceBook) -> bytes:
        await book.refresh()
        return export_pack("v", CLIPS, book.chosen_frames())

    async def test_export_then_import_into_a_fresh_venue_gives_the_same_clips(
        self, any_log: EventLog
    ) -> None:
        source = await self._recorded(any_log, "v")
        pack = await self._pack(source)
        fresh = VoiceBook("fresh", any_log, StudioEngine())
        found = read_pack(pack, [*CLIPS, "huruf_z"])
        assert found.unknown == []
        assert sorted(await fresh.import_takes(found.takes, "admin")) == ["angka_7", "huruf_a"]
        hashes = {key: source.takes[t].sha256 for key, t in source.chosen.items()}
        assert {key: fresh.takes[t].sha256 for key, t in fresh.chosen.items()} == hashes
        assert {t.source for t in fresh.takes.values()} == {"pack"}
        # The same pack again changes nothing.
        head = await any_log.head("fresh.voice")
        assert await fresh.import_takes(read_pack(pack, CLIPS).takes, "admin") == []
        assert await any_log.head("fresh.voice") == head

    async def test_clips_this_venue_does_not_have_are_left_out(self, any_log: EventLog) -> None:
        pack = await self._pack(await self._recorded(any_log, "v"))
        found = read_pack(pack, ["huruf_a"])
        assert list(found.takes) == ["huruf_a"] and found.unknown == ["angka_7"]

    async def test_one_bad_clip_refuses_the_whole_pack(self, any_log: EventLog) -> None:
        pack = await self._pack(await self._recorded(any_log, "v"))
        rebuilt = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(pack)) as read, zipfile.ZipFile(rebuilt, "w") as write:
            for item in read.infolist():
                data = read.read(item)
                write.writestr(item, b"not a wav" if item.filename == "clips/angka_7.wav" else data)
        with pytest.raises(BadPack) as refused:
            read_pack(rebuilt.getvalue(), CLIPS)
        assert refused.value.problem == "bad_clips" and refused.value.keys == ("angka_7",)

    def test_a_pack_clip_unlike_a_take_is_made_into_one(self) -> None:
        # The manifest says it is antrean's format with the right hash, but 20 s at full
        # scale is no take: it goes through the checks of an upload (and is refused).
        loud = (np.sin(np.arange(RATE * 20) / 3) * 32767).astype(np.int16).tobytes()
        made = io.BytesIO()
        with zipfile.ZipFile(made, "w") as write:
            entry = {"key": "huruf_a", "file": "a.wav", "sha256": hashlib.sha256(loud).hexdigest()}
            manifest = {"format": FORMAT_ID, "clips": [entry]}
            write.writestr("manifest.json", json.dumps(manifest))
            write.writestr("a.wav", wav_bytes(loud))
        with pytest.raises(BadPack) as refused:
            read_pack(made.getvalue(), CLIPS)
        assert refused.value.problem == "bad_clips" and refused.value.keys == ("huruf_a",)

    def test_a_clip_listed_twice_refuses_the_pack(self) -> None:
        made = io.BytesIO()
        with zipfile.ZipFile(made, "w") as write:
            entries = [{"key": "huruf_a", "file": "a.wav"}] * 2
            write.writestr("manifest.json", json.dumps({"clips": entries}))
            write.writestr("a.wav", spoken("a"))
        with pytest.raises(BadPack) as refused:
            read_pack(made.getvalue(), CLIPS)
        assert refused.value.problem == "duplicates" and refused.value.keys == ("huruf_a",)

    @pytest.mark.parametrize("damage", ["bzip2", "encrypted", "corrupt-deflate"])
    def test_members_that_cannot_be_read_are_named(self, damage: str) -> None:
        made = io.BytesIO()
        clip = zipfile.ZipInfo("a.wav")
        clip.compress_type = zipfile.ZIP_BZIP2 if damage == "bzip2" else zipfile.ZIP_DEFLATED
        with zipfile.ZipFile(made, "w") as write:
            write.writestr("manifest.json", '{"clips": [{"key": "huruf_a", "file": "a.wav"}]}')
            write.writestr(clip, spoken("a"))
            offset = write.getinfo("a.wav").header_offset
        data = bytearray(made.getvalue())
        if damage == "encrypted":
            # Flagged encrypted in its local header and its central directory entry (the
            # last one): no password opens it.
            data[offset + 6] |= 0x1
            data[data.rindex(b"PK\x01\x02") + 8] |= 0x1
        elif damage == "corrupt-deflate":
            body = offset + 30 + len("a.wav")
            data[body : body + 64] = bytes(range(64))
        with pytest.raises(BadPack) as refused:
            read_pack(bytes(data), CLIPS)
        assert refused.value.problem == "bad_clips" and refused.value.keys == ("huruf_a",)

    def test_a_hand_made_pack_is_made_into_clips(self) -> None:
        made = io.BytesIO()
        with zipfile.ZipFile(made, "w") as write:
            write.writestr("manifest.json", '{"clips": [{"key": "huruf_a", "file": "a.wav"}]}')
            write.writestr("a.wav", spoken("a", gain=0.2, before=1.0))
        take = read_pack(made.getvalue(), CLIPS).takes["huruf_a"]
        assert abs(dbfs(words_of(take.frames)) + 20) < 0.5 and take.seconds < 1.0

    @pytest.mark.parametrize(
        ("data", "problem"),
        [
            (b"PK\x03\x04 not really", "not_zip"),
            (b"", "not_zip"),
            ("zip-without-manifest", "no_manifest"),
            ("zip-bomb", "too_large"),
        ],
    )
    def test_what_is_not_a_pack(self, data: bytes | str, problem: str) -> None:
        if data == "zip-without-manifest":
            made = io.BytesIO()
            with zipfile.ZipFile(made, "w") as write:
                write.writestr("readme.txt", "hello")
            data = made.getvalue()
        elif data == "zip-bomb":
            made = io.BytesIO()
            with zipfile.ZipFile(made, "w", zipfile.ZIP_DEFLATED) as write:
                write.writestr("manifest.json", '{"clips": []}')
                write.writestr("clips/big.wav", bytes(65 * 1024 * 1024))
            data = made.getvalue()
        assert isinstance(data, bytes)
        with pytest.raises(BadPack) as refused:
            read_pack(data, CLIPS)
        assert refused.value.problem == problem
