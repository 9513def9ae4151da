"""`/audio/call/<counter>/<ticket>.wav`: the spoken announcement of one call, ready to play;
`guidance`: the kiosk's voice guidance, from the same clips.

Built from clips rendered ahead (never synthesized here unless a clip was lost), joined in a
worker thread so the event loop never waits on disk, and cached by the browser: the same
words always make the same file, so its ETag is the announcement id.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from audio.guide import MAX_SAID, MAX_SAID_SECONDS
from audio.library import AnnouncementError, ClipLibrary, TooLong
from audio.wording import Clip, announcement_clips, call_for
from server.services import services
from server.store import StoreUnavailable
from server.web.auth import say
from server.web.problems import Problem

log = logging.getLogger(__name__)
TICKET = re.compile(r"^[A-Z]{1,3}-\d{1,4}$")
SAID = re.compile(r"^[a-z0-9_]{1,200}(?:\.[a-z0-9_]{1,200})*$")


async def fresh_voice(request: Request) -> None:
    """The studio's latest takes, from any process of the venue (read at most once a
    second); the takes last read when the store cannot be reached, or the voice log cannot
    be read at all: a call is said in the voice of a minute ago, never lost to it."""
    try:
        await services(request).voice.refresh_if_stale()
    except StoreUnavailable as error:
        log.warning("the voice log is out of reach, using the takes last read: %s", error)
    except Exception:
        log.exception("the voice log cannot be read, using the takes last read")


def call_url(counter: str, label: str, recall: bool) -> str:
    """Where a display fetches the announcement of a call."""
    return f"/audio/call/{counter}/{label}.wav" + ("?recall=1" if recall else "")


async def announcement(request: Request) -> Response:
    venue = services(request).venue
    counter, label = request.path_params["counter"], request.path_params["ticket"]
    if counter not in venue.counters or not TICKET.match(label):
        raise Problem(
            404,
            "no_announcement",
            say(request, "Pengumuman tidak ditemukan."),
        )
    library: ClipLibrary = services(request).audio
    call = call_for(venue, counter, label, recall=request.query_params.get("recall") == "1")
    return await wav(request, announcement_clips(call, library.style))


async def guidance(request: Request, keys: str) -> Response:
    """The kiosk's voice guidance: `keys` ("key.key...", at most `MAX_SAID` clips the
    venue knows, `MAX_SAID_SECONDS` long) as one WAV. The kiosk's route checks its device
    token first (`/kiosk/api/say.wav`)."""
    library: ClipLibrary = services(request).audio
    said = keys.split(".") if SAID.match(keys) else []
    clips = [library.clip(services(request).venue, key) for key in said[: MAX_SAID + 1]]
    if not clips or len(clips) > MAX_SAID or None in clips:
        raise Problem(404, "no_audio", say(request, "Suara panduan tidak ditemukan."))
    return await wav(request, [clip for clip in clips if clip is not None], MAX_SAID_SECONDS)


async def wav(
    request: Request, clips: Sequence[Clip], max_seconds: float | None = None
) -> Response:
    """`clips` joined into one WAV, served with its id as ETag."""
    library: ClipLibrary = services(request).audio
    await fresh_voice(request)
    try:
        found = await asyncio.to_thread(library.say, clips, max_seconds=max_seconds)
    except TooLong:
        raise Problem(413, "too_long", say(request, "Panduan suara ini terlalu panjang.")) from None
    except AnnouncementError:
        log.exception("no audio for %s", " ".join(clip.key for clip in clips))
        raise Problem(
            503,
            "no_audio",
            say(request, "Suara pengumuman tidak tersedia."),
        ) from None
    etag = f'"{found.id}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    # Kept, but asked again each time (a 304 when nothing changed): the same address says
    # other words once the studio records one of its clips.
    headers = {"Cache-Control": "no-cache", "ETag": etag}
    return FileResponse(found.path, media_type="audio/wav", headers=headers)


routes = [Route("/audio/call/{counter}/{ticket}.wav", announcement)]
