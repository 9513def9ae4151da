"""The recording studio, `/manager/voice`: the venue records its own voice, clip by clip.

Every clip the venue can say (`audio.guide.speakable`: the calls' words, then the kiosk
guidance's) is listed with its text, grouped in speaking order. The page records with the
browser's microphone and sends the take as a WAV; a file can be sent instead (a studio's
recording, or any page not on a secure context, where browsers give no microphone). The
server trims, matches and stores it (`audio.voice`), and the hall's next call uses it.
A preview joins a whole announcement from what is recorded, synthesized clips filling the
rest; a voice pack (zip) carries a venue's takes to another. Managers and admins only.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from audio.guide import PHRASES
from audio.pcm import wav_bytes
from audio.routes import fresh_voice, wav
from audio.voice import (
    MAX_PACK,
    MAX_RECORDING_SECONDS,
    MAX_TAKE_SECONDS,
    MAX_UPLOAD,
    BadPack,
    BadRecording,
    Source,
    Take,
    VoiceBook,
    export_pack,
    prepare,
    read_pack,
)
from audio.wording import Clip, announcement_clips, call_for
from managers.routes import MANAGERS
from server.accounts import User
from server.domain.venue import Venue
from server.i18n import N_
from server.services import services
from server.web.auth import Session, csrf_ok, language, say, signed_in
from server.web.bodies import BodyRefused, read_body, read_json
from server.web.guards import page_user
from server.web.pages import page
from server.web.problems import Problem, from_table, problem

PROBLEMS: dict[str, tuple[int, str]] = {
    "not_audio": (
        400,
        N_(
            "Berkas ini bukan rekaman suara yang bisa dibaca. Rekam lagi, atau unggah berkas"
            " WAV, MP3, FLAC atau OGG."
        ),
    ),
    "silent": (
        400,
        N_(
            "Rekaman ini tanpa suara. Periksa mikrofon (tidak dibisukan, dan dipilih di"
            " peramban), lalu rekam lagi."
        ),
    ),
    "too_long": (
        400,
        N_(
            "Rekaman terlalu panjang ({seconds} detik). Ucapkan teks potongan ini saja: paling"
            " lama {limit} detik."
        ),
    ),
    "too_short": (
        400,
        N_(
            "Rekaman terlalu pendek ({seconds} detik). Ucapkan teksnya dengan jelas, lalu rekam lagi."
        ),
    ),
    "upload_too_large": (413, N_("Berkas terlalu besar: paling besar {mb} MB.")),
    "unknown_clip": (404, N_("Potongan suara {key} tidak ada di kosakata venue ini.")),
    "unknown_take": (404, N_("Rekaman itu tidak ada untuk potongan ini. Muat ulang halaman.")),
    "bad_ticket": (400, N_("Tulis nomor antrean contoh seperti A-123.")),
    "bad_counter": (400, N_("Loket itu tidak ada di venue ini.")),
    "not_zip": (400, N_("Berkas ini bukan paket suara (zip).")),
    "duplicates": (
        400,
        N_("Paket ditolak dan tidak ada yang diubah: potongan {keys} tercantum lebih dari sekali."),
    ),
    "no_manifest": (400, N_("Paket ini tidak berisi manifest.json dari antrean.")),
    "bad_clips": (
        400,
        N_(
            "Paket ditolak dan tidak ada yang diubah: {count} potongan rusak atau bukan suara"
            " ({keys})."
        ),
    ),
}

_CALL_PHRASES = (
    "chime",
    "nomor_antrean",
    "panggilan_ulang",
    "silakan_menuju_loket",
    "silakan_menuju",
)
_NUMBER_WORDS = ("seratus", "ratus", "seribu", "ribu")
# The page's groups, in the order an announcement says them, then the kiosk's.
GROUPS: tuple[tuple[str, str], ...] = (
    ("call", N_("Kalimat panggilan")),
    ("letters", N_("Huruf")),
    ("numbers", N_("Angka")),
    ("counters", N_("Nama loket")),
    ("tenants", N_("Nama instansi")),
    ("services", N_("Nama layanan")),
    ("guide", N_("Panduan suara anjungan")),
)
_TICKET = re.compile(r"^([A-Z]{1,3})-?(\d{1,4})$")


def group_of(key: str) -> str:
    if key in _CALL_PHRASES:
        return "call"
    if key.startswith("huruf_"):
        return "letters"
    if key.startswith("angka_") or key in _NUMBER_WORDS:
        return "numbers"
    for prefix, group in (
        ("loket_", "counters"),
        ("instansi_", "tenants"),
        ("layanan_", "services"),
    ):
        if key.startswith(prefix):
            return group
    assert key in PHRASES, key
    return "guide"


def _refusal(request: Request, code: str, **params: object) -> Problem:
    return from_table(request, PROBLEMS, code, "", **params)


async def _manager(request: Request, *, changing: bool = False) -> tuple[User, Session]:
    """A manager or admin behind the request (with the session's CSRF token when it
    changes something); anyone else is refused in JSON."""
    who = await signed_in(request)
    if who is None:
        raise problem(request, "signed_out")
    if who[0].role not in MANAGERS:
        raise problem(request, "forbidden")
    if changing and not csrf_ok(request, who[1], request.headers.get("x-csrf-token")):
        raise problem(request, "csrf")
    return who


def _clips(request: Request) -> dict[str, Clip]:
    return services(request).audio.speakable(services(request).venue)


def _clip(request: Request) -> Clip:
    key = request.path_params["key"]
    found = _clips(request).get(key)
    if found is None:
        raise _refusal(request, "unknown_clip", key=key)
    return found


def _take_json(take: Take, venue: Venue, chosen: bool) -> dict[str, object]:
    return {
        "id": take.id,
        "at": take.at.astimezone(venue.tz).strftime("%d/%m/%Y %H.%M"),
        "by": take.by,
        "source": take.source,
        "seconds": round(take.seconds, 2),
        "chosen": chosen,
        "audio": f"/manager/voice/takes/{take.id}.wav",
    }


def _clip_json(clip: Clip, book: VoiceBook, venue: Venue) -> dict[str, object]:
    chosen = book.chosen.get(clip.key)
    takes = [_take_json(t, venue, t.id == chosen) for t in book.takes_of(clip.key)]
    return {
        "key": clip.key,
        "text": clip.text,
        "group": group_of(clip.key),
        "recorded": chosen is not None,
        "takes": takes,
        # Named by what it is now, so a browser never plays a replaced take from its cache.
        "audio": f"/manager/voice/clips/{clip.key}.wav?v={chosen or 'synthetic'}",
    }


def _progress(book: VoiceBook, keys: Iterable[str]) -> dict[str, int]:
    keys = list(keys)
    return {"recorded": sum(key in book.chosen for key in keys), "total": len(keys)}


async def studio(request: Request) -> Response:
    user, session = await page_user(request)
    if user.role not in MANAGERS:
        return page(request, "managers/forbidden.html", status_code=403, user=user)
    book: VoiceBook = services(request).voice
    await book.refresh()
    venue = services(request).venue
    clips = _clips(request)
    rows = [_clip_json(clip, book, venue) for clip in clips.values()]
    groups = [
        (group, say(request, name), [row for row in rows if row["group"] == group])
        for group, name in GROUPS
    ]
    return page(
        request,
        "managers/voice.html",
        user=user,
        csrf=session.csrf,
        groups=[g for g in groups if g[2]],
        progress=_progress(book, clips),
        counters=list(venue.counters.values()),
        max_take=MAX_TAKE_SECONDS,
        max_recording=MAX_RECORDING_SECONDS,
        max_upload_mb=MAX_UPLOAD // (1024 * 1024),
    )


async def clip_audio(request: Request) -> Response:
    """What the clip sounds like now: its chosen take, or the synthetic voice."""
    await _manager(request)
    return await wav(request, [_clip(request)])


async def take_audio(request: Request) -> Response:
    await _manager(request)
    take = request.path_params["take"]
    frames = (
        await services(request).voice.frames(take) if re.fullmatch(r"[0-9a-f]{16}", take) else None
    )
    if frames is None:
        raise _refusal(request, "unknown_take")
    headers = {"Cache-Control": "private, max-age=86400"}  # a take never changes
    return Response(wav_bytes(frames), media_type="audio/wav", headers=headers)


async def record(request: Request) -> Response:
    """A new take of a clip: the body is the audio itself (the page's WAV, or a file)."""
    user, _ = await _manager(request, changing=True)
    clip = _clip(request)
    source: Source = "file" if request.query_params.get("source") == "file" else "studio"
    data = await _upload(request, MAX_UPLOAD, 60.0)
    try:
        prepared = await asyncio.to_thread(prepare, data)
    except BadRecording as bad:
        raise _bad_recording(request, bad) from None
    book: VoiceBook = services(request).voice
    take = await book.record(clip.key, prepared, user.username, source)
    # Cached now, so the next call that needs it finds it ready in this process.
    await asyncio.to_thread(services(request).audio.render_clips, [clip])
    venue = services(request).venue
    return JSONResponse(
        {
            "ok": True,
            "clip": _clip_json(clip, book, venue),
            "take": _take_json(take, venue, True),
            "seconds": round(prepared.seconds, 2),
            "recorded_seconds": round(prepared.recorded_seconds, 2),
            "level_dbfs": round(prepared.level_dbfs, 1),
            **_progress(book, _clips(request)),
        }
    )


async def _upload(request: Request, limit: int, seconds: float) -> bytes:
    """The body: a recording or a pack, at most `limit` bytes, within `seconds`."""
    try:
        return await read_body(request, limit, seconds)
    except BodyRefused as refused:
        if refused.code == "too_large":
            raise _refusal(request, "upload_too_large", mb=limit // (1024 * 1024)) from None
        raise problem(request, refused.code) from None


def _bad_recording(request: Request, bad: BadRecording) -> Problem:
    seconds = f"{bad.seconds:.1f}"
    if language(request) == "id":
        seconds = seconds.replace(".", ",")
    limit = MAX_TAKE_SECONDS if bad.seconds <= MAX_RECORDING_SECONDS else MAX_RECORDING_SECONDS
    return _refusal(request, bad.problem, seconds=seconds, limit=f"{limit:g}")


class _Choice(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    take: str | None


async def choose(request: Request) -> Response:
    """Use an earlier take of the clip again (`{"take": id}`), or the synthetic voice
    (`{"take": null}`)."""
    user, _ = await _manager(request, changing=True)
    clip = _clip(request)
    choice = await read_json(request, msgspec.json.Decoder(_Choice).decode)
    book: VoiceBook = services(request).voice
    if choice.take is None:
        await book.clear(clip.key, user.username)
    elif not await book.choose(clip.key, choice.take, user.username):
        raise _refusal(request, "unknown_take")
    await asyncio.to_thread(services(request).audio.render_clips, [clip])
    venue = services(request).venue
    return JSONResponse(
        {"ok": True, "clip": _clip_json(clip, book, venue), **_progress(book, _clips(request))}
    )


def _preview_clips(request: Request) -> list[Clip]:
    venue = services(request).venue
    ticket = _TICKET.match(request.query_params.get("ticket", "").strip().upper())
    if ticket is None:
        raise _refusal(request, "bad_ticket")
    counter = request.query_params.get("counter", "")
    if counter not in venue.counters:
        raise _refusal(request, "bad_counter")
    label = f"{ticket[1]}-{int(ticket[2])}"
    call = call_for(venue, counter, label, recall=request.query_params.get("recall") == "1")
    return list(announcement_clips(call, services(request).audio.style))


async def preview(request: Request) -> Response:
    """Which clips an announcement is made of, and which of them are recorded."""
    await _manager(request)
    clips = _preview_clips(request)
    await fresh_voice(request)
    book: VoiceBook = services(request).voice
    parts = [{"key": c.key, "text": c.text, "recorded": c.key in book.chosen} for c in clips]
    audio = f"/manager/voice/preview.wav?{request.url.query}&v={book.seq}"
    return JSONResponse({"ok": True, "clips": parts, "audio": audio})


async def preview_audio(request: Request) -> Response:
    await _manager(request)
    return await wav(request, _preview_clips(request))


async def pack_export(request: Request) -> Response:
    await _manager(request)
    book: VoiceBook = services(request).voice
    await book.refresh()
    venue, clips = services(request).venue, _clips(request)
    chosen = {key: frames for key, frames in book.chosen_frames().items() if key in clips}
    data = await asyncio.to_thread(export_pack, venue.id, clips, chosen)
    name = f"suara-{venue.id}.zip"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="application/zip", headers=headers)


async def pack_import(request: Request) -> Response:
    """A voice pack's takes, all of them or (when any is bad) none."""
    user, _ = await _manager(request, changing=True)
    data = await _upload(request, MAX_PACK, 120.0)
    clips = _clips(request)
    try:
        pack = await asyncio.to_thread(read_pack, data, clips)
    except BadPack as bad:
        if bad.problem == "too_large":
            raise _refusal(request, "upload_too_large", mb=MAX_PACK // (1024 * 1024)) from None
        if bad.problem in ("bad_clips", "duplicates"):
            keys = ", ".join(bad.keys[:5]) + (" …" if len(bad.keys) > 5 else "")
            raise _refusal(request, bad.problem, count=len(bad.keys), keys=keys) from None
        raise _refusal(request, bad.problem) from None
    book: VoiceBook = services(request).voice
    imported = await book.import_takes(pack.takes, user.username)
    await asyncio.to_thread(services(request).audio.render_clips, [clips[k] for k in imported])
    unchanged = len(pack.takes) - len(imported)
    message = say(
        request,
        "{imported} potongan diimpor, {unchanged} sudah sama, {unknown} tidak dikenal venue ini"
        " (dilewati).",
        imported=len(imported),
        unchanged=unchanged,
        unknown=len(pack.unknown),
    )
    return JSONResponse(
        {
            "ok": True,
            "message": message,
            "imported": imported,
            "unchanged": unchanged,
            "unknown": pack.unknown,
            **_progress(book, clips),
        }
    )


routes = [
    Route("/manager/voice", studio),
    Route("/manager/voice/clips/{key}.wav", clip_audio),
    Route("/manager/voice/clips/{key}", record, methods=["POST"]),
    Route("/manager/voice/clips/{key}/choice", choose, methods=["POST"]),
    Route("/manager/voice/takes/{take}.wav", take_audio),
    Route("/manager/voice/preview", preview),
    Route("/manager/voice/preview.wav", preview_audio),
    Route("/manager/voice/pack.zip", pack_export),
    Route("/manager/voice/pack", pack_import, methods=["POST"]),
]
