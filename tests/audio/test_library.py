"""The clip library: render once, survive restarts, fall back on damage, join exactly."""

from __future__ import annotations

import logging
import wave
from pathlib import Path

import numpy as np
import pytest

from audio.engine_espeak import EspeakEngine
from audio.engine_recorded import RecordedEngine
from audio.engine_tone import ToneEngine
from audio.engines import Engine
from audio.guide import speakable
from audio.library import AnnouncementError, ClipLibrary
from audio.wording import Call, announcement_clips, call_for, vocabulary
from server.domain.venue import Venue
from tests.audio.conftest import espeak_engines
from tests.audio.wavs import wav_info, wav_samples

CALL = Call("A-007", "3")


def clip_file(library: ClipLibrary, key: str) -> Path:
    """The espeak-ng (or tone, for the chime) cached file of `key` in the demo call."""
    clip = next(c for c in announcement_clips(CALL) if c.key == key)
    identity = EspeakEngine().identity(clip) or ToneEngine().identity(clip)
    assert identity is not None
    return library.cache.clip_path(identity)


class TestRenderVocabulary:
    """Rendering puts every clip of the venue in the cache, once."""

    def test_renders_every_clip(self, espeak_library: ClipLibrary, venue: Venue) -> None:
        """espeak-ng says every clip but the chime, which the tone makes; progress is reported."""
        seen: list[tuple[int, int, str]] = []
        summary = espeak_library.render_vocabulary(venue, progress=lambda *a: seen.append(a))
        clips = list(speakable(venue).values())  # the calls' vocabulary, then the guidance's
        total = len(clips)
        assert clips[: len(vocabulary(venue))] == list(vocabulary(venue))
        assert summary.engines["espeak"].rendered == total - 1
        assert summary.engines["tone"].rendered == 1
        assert (summary.clips, summary.missing) == (total, ())
        assert seen[-1] == (total, total, clips[-1].key)
        assert len(seen) == total

    def test_a_stopped_render_ends_after_its_current_clip(
        self, espeak_library: ClipLibrary, venue: Venue
    ) -> None:
        """A stopping server does not wait for the rest of the vocabulary."""

        def progress(done: int, total: int, key: str) -> None:
            if done == 3:
                espeak_library.stop_rendering()

        summary = espeak_library.render_vocabulary(venue, progress=progress)
        rendered = sum(e.rendered for e in summary.engines.values())
        assert rendered == 3 < len(speakable(venue))

    def test_cache_survives_a_new_library(self, warm_library: ClipLibrary, venue: Venue) -> None:
        """A new library on a folder rendered before (a restart) finds every clip cached."""
        summary = ClipLibrary(warm_library.cache.root, espeak_engines()).render_vocabulary(venue)
        assert summary.engines["espeak"].rendered == 0
        assert summary.engines["espeak"].cached == len(speakable(venue)) - 1

    @pytest.mark.parametrize("damage", [b"", b"RIFF\x00\x00garbage", "truncate"])
    def test_corrupt_clip_is_rendered_again(
        self,
        warm_library: ClipLibrary,
        venue: Venue,
        caplog: pytest.LogCaptureFixture,
        damage: bytes | str,
    ) -> None:
        """An empty, garbled or cut-short clip is logged, removed and rendered anew."""
        path = clip_file(warm_library, "angka_7")
        good = path.read_bytes()
        path.write_bytes(good[: len(good) // 2] if isinstance(damage, str) else damage)
        with caplog.at_level(logging.WARNING, logger="audio"):
            summary = warm_library.render_vocabulary(venue)
        assert summary.engines["espeak"].rendered == 1
        assert "corrupt cached clip" in caplog.text
        assert path.read_bytes() == good


class TestRecordedEngine:
    """A venue's own recordings come first, in whatever WAV format they were made."""

    def test_recording_wins_and_is_converted(self, tmp_path: Path) -> None:
        """A 44.1 kHz stereo recording of the chime is used, as mono 22050 Hz."""
        recordings = tmp_path / "rec"
        recordings.mkdir()
        _write_stereo_tone(recordings / "chime.wav", rate=44100, seconds=0.4)
        engines: list[Engine] = [RecordedEngine(recordings), EspeakEngine(), ToneEngine()]
        library = ClipLibrary(tmp_path / "cache", engines)
        summary = library.render_clips(announcement_clips(CALL))
        assert summary.engines["recorded"].rendered == 1
        assert summary.engines["tone"].rendered == 0
        chime = RecordedEngine(recordings).identity(announcement_clips(CALL)[0])
        info = wav_info(library.cache.clip_path(chime or ""))
        assert (info.channels, info.rate) == (1, 22050)
        assert 0.5 < info.seconds < 0.56  # 0.4 s of tone + 0.12 s of gap (+ trim margin)

    def test_corrupt_recording_falls_back_at_call_time(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A damaged cached recording gives way to the next engine's cached clip, logged."""
        recordings = tmp_path / "rec"
        recordings.mkdir()
        _write_stereo_tone(recordings / "huruf_a.wav", rate=44100, seconds=0.3)
        letter = announcement_clips(CALL)[2]
        # espeak-ng's clips (the letter included) first, then the recording on top.
        ClipLibrary(tmp_path / "cache", espeak_engines()).render_clips(announcement_clips(CALL))
        engines: list[Engine] = [RecordedEngine(recordings), EspeakEngine(), ToneEngine()]
        library = ClipLibrary(tmp_path / "cache", engines)
        assert library.render_clips([letter]).engines["recorded"].rendered == 1
        library.cache.clip_path(RecordedEngine(recordings).identity(letter) or "").write_bytes(b"")
        with caplog.at_level(logging.WARNING, logger="audio"):
            announcement = library.announcement(CALL)
        assert "corrupt cached clip" in caplog.text
        assert "rendering it now" not in caplog.text
        espeak_letter = wav_samples(library.cache.clip_path(EspeakEngine().identity(letter) or ""))
        assert _contains(wav_samples(announcement.path), espeak_letter)


class TestAnnouncement:
    """An announcement is its clips' samples end to end, cached by content."""

    def test_join_is_exact_concatenation(self, warm_library: ClipLibrary, venue: Venue) -> None:
        """Frame count is the sum of the clips', and the samples are theirs, in order."""
        announcement = warm_library.announcement(CALL)
        parts = [wav_samples(clip_file(warm_library, c.key)) for c in announcement_clips(CALL)]
        joined = wav_samples(announcement.path)
        assert joined.size == sum(p.size for p in parts)
        assert np.array_equal(joined, np.concatenate(parts))
        assert wav_info(announcement.path).rate == 22050

    def test_same_call_same_file(self, warm_library: ClipLibrary, venue: Venue) -> None:
        """Calling the same words again returns the cached file untouched; others differ."""
        first = warm_library.announcement(call_for(venue, "9", "B-1100", recall=True))
        written = first.path.stat().st_mtime_ns
        again = warm_library.announcement(call_for(venue, "9", "B-1100", recall=True))
        assert again == first
        assert again.path.stat().st_mtime_ns == written
        assert warm_library.announcement(call_for(venue, "9", "B-1101")).id != first.id

    def test_truncated_join_is_made_again(self, warm_library: ClipLibrary, venue: Venue) -> None:
        """A joined file cut short is noticed by its size and rebuilt."""
        announcement = warm_library.announcement(CALL)
        good = announcement.path.read_bytes()
        announcement.path.write_bytes(good[:1000])
        assert warm_library.announcement(CALL) == announcement
        assert announcement.path.read_bytes() == good

    def test_unrendered_clip_is_rendered_at_call_time(
        self, espeak_library: ClipLibrary, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Without a render, espeak-ng makes the missing clips on the spot, and says so."""
        with caplog.at_level(logging.WARNING, logger="audio"):
            announcement = espeak_library.announcement(CALL)
        assert announcement.path.exists()
        assert "was not rendered; rendering it now with espeak" in caplog.text

    def test_no_engine_is_an_error(self, tmp_path: Path) -> None:
        """With no engine able to say a clip, the call gets an AnnouncementError, not bad audio."""
        library = ClipLibrary(tmp_path, [ToneEngine()])
        with pytest.raises(AnnouncementError, match="nomor_antrean"):
            library.announcement(CALL)

    def test_old_joins_are_pruned(self, warm_library: ClipLibrary) -> None:
        """Only the newest `max_joined` announcements are kept on disk."""
        library = ClipLibrary(warm_library.cache.root, espeak_engines(), max_joined=10)
        for n in range(70):
            library.announcement(Call(f"A-{n}", "1"))
        # Pruning runs every 64 joins: 64 pruned to 10, then 6 more.
        assert len(list(library.cache.joined.glob("*.wav"))) == 16


def _write_stereo_tone(path: Path, rate: int, seconds: float) -> None:
    t = np.arange(int(rate * seconds)) / rate
    mono = (np.sin(2 * np.pi * 330 * t) * 8000).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(mono, 2).tobytes())


def _contains(haystack: np.ndarray, needle: np.ndarray) -> bool:
    return needle.tobytes() in haystack.tobytes()
