"""The venue's own voice: takes recorded in the studio (`/manager/voice`), in a log of their own.

Every take is an event of `<venue>.voice` carrying its audio, already in the clip format
(trimmed, loudness-matched, the gap appended), so every process of a cluster, every backup
and every export holds it. A new take becomes its clip's chosen one; an earlier take can be
chosen again, and a clip can go back to the synthetic voice. Nothing is deleted: the log
is the audit of who recorded what, and when. `StudioEngine` says the chosen takes, ahead of
every other engine.

A voice pack is a zip of the chosen takes (`clips/<key>.wav`) and a `manifest.json` of
their keys, texts and SHA-256 hashes; imported into another venue it gives the same clips.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import lzma
import secrets
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal, NamedTuple

import msgspec
import numpy as np

from audio.engine_studio import StudioEngine
from audio.pcm import (
    FORMAT_ID,
    GAP_SECONDS,
    RATE,
    SAMPLE_WIDTH,
    AudioError,
    TooLongAudio,
    clip_frames,
    dbfs,
    decode,
    loudest_dbfs,
    normalize,
    wav_bytes,
)
from audio.wording import Clip
from server.clock import utc_now
from server.domain.events import snake_tag
from server.store import Conflict, EventLog, Record

__all__ = [
    "MAX_PACK",
    "MAX_UPLOAD",
    "BadPack",
    "BadRecording",
    "Prepared",
    "Take",
    "VoiceBook",
    "export_pack",
    "prepare",
    "read_pack",
]

# One upload: 15 s of 48 kHz stereo WAV fits; the studio's own uploads are a tenth of it.
MAX_UPLOAD = 4 * 1024 * 1024
# A voice pack: a venue's whole vocabulary (a few hundred clips of 50-300 KB each).
MAX_PACK = 64 * 1024 * 1024
MAX_PACK_FILES = 2000
# A recording as it came (pauses before and after the words included) ...
MAX_RECORDING_SECONDS = 30.0
# ... and the words in it, once trimmed: the longest kiosk phrase takes about 6 s.
MAX_TAKE_SECONDS = 12.0
MIN_TAKE_SECONDS = 0.15
# A recording whose loudest 10 ms stays below this holds no voice (a muted or unplugged
# microphone gives its hiss, about -60 to -70 dBFS).
QUIET_DBFS = -50.0
BYTES_PER_SECOND = RATE * SAMPLE_WIDTH
# The highest peak `pcm.normalize` leaves (-1 dBFS), and a sample of rounding.
_MAX_PEAK = int(32767 * 10 ** (-1 / 20)) + 1

Source = Literal["studio", "file", "pack"]
Problem = Literal["not_audio", "silent", "too_long", "too_short"]


class _VoiceEvent(msgspec.Struct, frozen=True, tag_field="type", tag=snake_tag):
    at: dt.datetime
    by: str
    key: str


class TakeRecorded(_VoiceEvent, frozen=True):
    """A take of clip `key`, in the clip format; it becomes the clip's chosen take."""

    take: str
    source: Source
    sha256: str
    frames: bytes


class TakeChosen(_VoiceEvent, frozen=True):
    """An earlier take of `key` is the one used again."""

    take: str


class RecordingCleared(_VoiceEvent, frozen=True):
    """Clip `key` goes back to the synthetic voice (its takes stay on record)."""


VoiceEvent = TakeRecorded | TakeChosen | RecordingCleared
_decoder = msgspec.json.Decoder(VoiceEvent)
log = logging.getLogger(__name__)


def _decode_all(records: Sequence[Record]) -> list[tuple[int, VoiceEvent | None]]:
    decoded: list[tuple[int, VoiceEvent | None]] = []
    for record in records:
        try:
            decoded.append((record.seq, _decoder.decode(record.data)))
        except msgspec.DecodeError as error:  # ValidationError is one
            log.error("voice log record %d cannot be read, passed over: %s", record.seq, error)
            decoded.append((record.seq, None))
    return decoded


class Take(msgspec.Struct, frozen=True):
    """A take, as the studio lists it (`seconds` of words, the gap left out); its audio
    stays in the log (`VoiceBook.frames`)."""

    id: str
    key: str
    at: dt.datetime
    by: str
    source: Source
    sha256: str
    seconds: float
    seq: int


class BadRecording(Exception):
    """An upload that cannot be a clip: `problem` says why, `seconds` how long it was."""

    def __init__(self, problem: Problem, seconds: float = 0.0) -> None:
        super().__init__(f"{problem} ({seconds:.1f} s)")
        self.problem = problem
        self.seconds = seconds


class BadPack(Exception):
    """A voice pack that cannot be imported: `problem` names why, `keys` the clips at fault."""

    def __init__(self, problem: str, keys: Iterable[str] = ()) -> None:
        self.keys = tuple(keys)
        super().__init__(f"{problem}: {', '.join(self.keys)}" if self.keys else problem)
        self.problem = problem


class Prepared(NamedTuple):
    """An upload made into a clip: its frames, their hash, how long the words and the
    whole recording last, and the level the words now have."""

    frames: bytes
    sha256: str
    seconds: float
    recorded_seconds: float
    level_dbfs: float


def prepare(data: bytes) -> Prepared:
    """Any audio miniaudio reads (WAV, MP3, FLAC, Ogg Vorbis), trimmed of its silence,
    brought to the clips' loudness and format; BadRecording when it cannot be a clip."""
    try:
        samples = decode(data, max_seconds=MAX_RECORDING_SECONDS)
    except TooLongAudio as long:
        raise BadRecording("too_long", long.seconds) from None
    except AudioError:
        raise BadRecording("not_audio") from None
    recorded = samples.size / RATE
    if samples.size == 0:
        raise BadRecording("silent")
    if loudest_dbfs(samples) < QUIET_DBFS:
        raise BadRecording("silent", recorded)
    clip = normalize(samples)
    words = clip[: clip.size - int(RATE * GAP_SECONDS)]
    seconds = words.size / RATE
    if seconds > MAX_TAKE_SECONDS:
        raise BadRecording("too_long", seconds)
    if seconds < MIN_TAKE_SECONDS:
        raise BadRecording("too_short", seconds)
    frames = clip.tobytes()
    return Prepared(frames, _sha(frames), seconds, recorded, dbfs(words))


def _sha(frames: bytes) -> str:
    return hashlib.sha256(frames).hexdigest()


def _seconds(frames: bytes) -> float:
    return len(frames) / BYTES_PER_SECOND


class VoiceBook:
    """One venue's takes, kept in step with its voice log, and the ways to add to it."""

    def __init__(self, venue: str, log: EventLog, engine: StudioEngine) -> None:
        self.stream = f"{venue}.voice"
        self.log = log
        self.engine = engine
        self.seq = 0
        self.takes: dict[str, Take] = {}
        # Each clip's takes, oldest first, and the one it uses.
        self.by_key: dict[str, list[str]] = {}
        self.chosen: dict[str, str] = {}
        # The audio of the chosen takes; any other is read from the log when asked for.
        self._frames: dict[str, bytes] = {}
        self._lock = asyncio.Lock()
        self._unpublished = False
        self._read_at = float("-inf")

    async def refresh(self) -> None:
        """Apply whatever the log holds beyond what we have; cheap when nothing is new.

        Records are decoded in a worker thread (a pack's takes are tens of megabytes); one
        that cannot be decoded (damaged, or written by a newer version) is logged and passed
        over, so it never silences the hall. The engine is handed the choice once every
        take it needs has been read; until then, again at the next refresh.
        """
        async with self._lock:
            while records := await self.log.read(self.stream, after=self.seq, limit=64):
                for seq, event in await asyncio.to_thread(_decode_all, records):
                    if event is not None:
                        self._apply(event, seq)
                    self.seq = seq
                self._unpublished = True
            if self._unpublished:
                for take in self.chosen.values():
                    if take not in self._frames:
                        self._frames[take] = await self._read(take)
                chosen = set(self.chosen.values())
                self._frames = {t: f for t, f in self._frames.items() if t in chosen}
                self.engine.use(
                    {key: (self.takes[t].sha256, self._frames[t]) for key, t in self.chosen.items()}
                )
                self._unpublished = False
            self._read_at = time.monotonic()

    async def refresh_if_stale(self, seconds: float = 1.0) -> None:
        """`refresh`, unless one ran in the last `seconds` or runs now: the call path asks
        on every announcement, and must not queue behind a slow store."""
        if self._lock.locked() or time.monotonic() - self._read_at < seconds:
            return
        self._read_at = time.monotonic()  # a failing store is asked once a second too
        await self.refresh()

    def _apply(self, event: VoiceEvent, seq: int) -> None:
        if isinstance(event, TakeRecorded):
            take = Take(
                event.take,
                event.key,
                event.at,
                event.by,
                event.source,
                event.sha256,
                _seconds(event.frames) - GAP_SECONDS,
                seq,
            )
            self.takes[take.id] = take
            self.by_key.setdefault(take.key, []).append(take.id)
            self._frames.pop(self.chosen.get(take.key, ""), None)
            self.chosen[take.key] = take.id
            self._frames[take.id] = event.frames
        elif isinstance(event, TakeChosen):
            found = self.takes.get(event.take)
            if found is not None and found.key == event.key:
                self.chosen[event.key] = event.take
        else:
            self._frames.pop(self.chosen.pop(event.key, ""), None)

    async def _read(self, take: str) -> bytes:
        seq = self.takes[take].seq
        records = await self.log.read(self.stream, after=seq - 1, limit=1)
        [(_, event)] = await asyncio.to_thread(_decode_all, records)
        if not isinstance(event, TakeRecorded) or event.take != take:
            raise LookupError(f"record {seq} of {self.stream} is not take {take}")
        return event.frames

    async def frames(self, take: str) -> bytes | None:
        """The audio of `take` (clip format), or None for a take this venue never had."""
        await self.refresh()
        if take not in self.takes:
            return None
        found = self._frames.get(take)
        return found if found is not None else await self._read(take)

    def chosen_frames(self) -> dict[str, bytes]:
        """Each recorded clip's chosen take, key -> frames, as the last refresh read them."""
        return {key: self._frames[take] for key, take in self.chosen.items()}

    def chosen_take(self, key: str) -> Take | None:
        found = self.chosen.get(key)
        return None if found is None else self.takes[found]

    def takes_of(self, key: str) -> list[Take]:
        """`key`'s takes, newest first."""
        return [self.takes[t] for t in reversed(self.by_key.get(key, []))]

    async def record(self, key: str, prepared: Prepared, by: str, source: Source) -> Take:
        """Keep `prepared` as a new take of `key`, and use it."""
        take = secrets.token_hex(8)
        event = self._recorded(key, prepared.frames, prepared.sha256, by, source, take)
        await self._append(lambda: None, [event])
        return self.takes[take]

    async def choose(self, key: str, take: str, by: str) -> bool:
        """Use `take` of `key` again; False (nothing written) if `key` has no such take."""

        def check() -> None:
            found = self.takes.get(take)
            if found is None or found.key != key:
                raise LookupError(take)

        try:
            await self._append(check, [TakeChosen(at=utc_now(), by=by, key=key, take=take)])
        except LookupError:
            return False
        return True

    async def clear(self, key: str, by: str) -> None:
        """Back to the synthetic voice for `key` (nothing written if it uses none now)."""

        def check() -> None:
            if key not in self.chosen:
                raise LookupError(key)

        with contextlib.suppress(LookupError):
            await self._append(check, [RecordingCleared(at=utc_now(), by=by, key=key)])

    async def import_takes(self, takes: Mapping[str, Prepared], by: str) -> list[str]:
        """Record every take of a pack at once (one append: all or nothing), leaving out
        those a clip already uses; the keys recorded."""
        await self.refresh()
        new = {
            key: prepared
            for key, prepared in takes.items()
            if (chosen := self.chosen_take(key)) is None or chosen.sha256 != prepared.sha256
        }
        events = [
            self._recorded(key, p.frames, p.sha256, by, "pack", secrets.token_hex(8))
            for key, p in new.items()
        ]
        if events:
            await self._append(lambda: None, events)
        return list(new)

    def _recorded(
        self, key: str, frames: bytes, sha256: str, by: str, source: Source, take: str
    ) -> TakeRecorded:
        return TakeRecorded(
            at=utc_now(), by=by, key=key, take=take, source=source, sha256=sha256, frames=frames
        )

    async def _append(self, check: Callable[[], None], events: Sequence[VoiceEvent]) -> None:
        encoded = await asyncio.to_thread(lambda: [msgspec.json.encode(e) for e in events])
        while True:
            await self.refresh()
            check()
            try:
                await self.log.append(self.stream, self.seq, encoded, secrets.token_hex(8))
            except Conflict:
                continue
            await self.refresh()
            return


# -- voice packs ---------------------------------------------------------------------------


def export_pack(venue: str, clips: Mapping[str, Clip], chosen: Mapping[str, bytes]) -> bytes:
    """A zip of the takes `chosen` (key -> frames), with a manifest naming each clip's text."""
    buffer = io.BytesIO()
    entries = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        for key, frames in chosen.items():
            name = f"clips/{key}.wav"
            pack.writestr(name, wav_bytes(frames))
            clip = clips.get(key)
            entries.append(
                {
                    "key": key,
                    "text": "" if clip is None else clip.text,
                    "file": name,
                    "sha256": _sha(frames),
                    "seconds": round(_seconds(frames), 3),
                }
            )
        manifest = {
            "antrean_voice_pack": 1,
            "format": FORMAT_ID,
            "venue": venue,
            "exported_at": utc_now().isoformat(),
            "clips": entries,
        }
        pack.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return buffer.getvalue()


class _Entry(msgspec.Struct, frozen=True):
    key: str
    file: str
    sha256: str = ""


class _Manifest(msgspec.Struct, frozen=True):
    clips: list[_Entry]
    format: str = ""


class Pack(NamedTuple):
    """What a pack holds for this venue: a take per known clip, and the keys it does not know."""

    takes: dict[str, Prepared]
    unknown: list[str]


# What reading a damaged or unusual zip raises besides BadZipFile: unsupported compression
# or version, encryption, corrupt deflate/bzip2/lzma data, a member cut short.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    NotImplementedError,
    RuntimeError,
    zlib.error,
    lzma.LZMAError,
    OSError,
    EOFError,
    UnicodeDecodeError,
    ValueError,
)


def read_pack(data: bytes, known: Iterable[str]) -> Pack:
    """The takes of a voice pack for the clips `known` here; BadPack, and nothing taken,
    if it is not a pack or any of its clips cannot be one."""
    try:
        pack = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        raise BadPack("not_zip") from None
    with pack:
        members = pack.infolist()
        if len(members) > MAX_PACK_FILES or sum(m.file_size for m in members) > MAX_PACK:
            raise BadPack("too_large")
        try:
            manifest = msgspec.json.decode(_member(pack, "manifest.json"), type=_Manifest)
        except (KeyError, msgspec.DecodeError, *_ZIP_ERRORS):
            raise BadPack("no_manifest") from None
        if len(manifest.clips) > MAX_PACK_FILES:
            raise BadPack("too_large")
        keys = [entry.key for entry in manifest.clips]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise BadPack("duplicates", twice)
        wanted = set(known)
        takes: dict[str, Prepared] = {}
        unknown, bad = [], []
        for entry in manifest.clips:
            if entry.key not in wanted:
                unknown.append(entry.key)
                continue
            try:
                takes[entry.key] = _pack_take(pack, entry, manifest.format == FORMAT_ID)
            except (KeyError, BadRecording, *_ZIP_ERRORS):
                bad.append(entry.key)
        if bad:
            raise BadPack("bad_clips", bad)
    return Pack(takes, unknown)


def _member(pack: zipfile.ZipFile, name: str) -> bytes:
    info = pack.getinfo(name)
    # Only what antrean and every zip tool write; never an encrypted member.
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 1:
        raise NotImplementedError(
            f"{name}: compression {info.compress_type}, flags {info.flag_bits}"
        )
    if info.file_size > MAX_UPLOAD:
        raise BadRecording("too_long")
    return pack.read(info)


def _pack_take(pack: zipfile.ZipFile, entry: _Entry, same_format: bool) -> Prepared:
    data = _member(pack, entry.file)
    if same_format:
        # A clip exported by antrean: kept sample for sample when its hash holds and it is
        # a clip as the studio makes them, so the same pack makes the same clips everywhere.
        try:
            frames = clip_frames(data, entry.file)
        except AudioError:
            frames = b""
        if frames and _sha(frames) == entry.sha256 and _is_take(frames):
            seconds = _seconds(frames) - GAP_SECONDS
            return Prepared(frames, entry.sha256, seconds, seconds, float("nan"))
    # Anything else (a pack made by hand, from a studio's own files) is made into a clip.
    return prepare(data)


def _is_take(frames: bytes) -> bool:
    """Whether `frames` could have come out of `prepare`: its length, its gap, its level."""
    gap = int(RATE * GAP_SECONDS)
    samples = np.frombuffer(frames, dtype=np.int16)
    words = samples[: samples.size - gap]
    return (
        len(frames) % SAMPLE_WIDTH == 0
        and MIN_TAKE_SECONDS <= words.size / RATE <= MAX_TAKE_SECONDS
        and not samples[words.size :].any()
        and loudest_dbfs(words) >= QUIET_DBFS
        and int(np.abs(words.astype(np.int32)).max()) <= _MAX_PEAK
    )
