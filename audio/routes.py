"""`/audio/call/<counter>/<ticket>.wav`: the spoken announcement of one call, ready to play.

Built from clips rendered ahead (never synthesized here unless a clip was lost), joined in a
worker thread so the event loop never waits on disk, and cached by the browser: the same
words always make the same file, so its ETag is the announcement id.
"""

from __future__ import annotations

import asyncio
import logging
import re

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from audio.library import AnnouncementError, ClipLibrary
from audio.wording import call_for
from server.services import services
from server.web.auth import say
from server.web.problems import Problem

log = logging.getLogger(__name__)
TICKET = re.compile(r"^[A-Z]{1,3}-\d{1,4}$")


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
    try:
        found = await asyncio.to_thread(library.announcement, call)
    except AnnouncementError:
        log.exception("no audio for %s at counter %s", label, counter)
        raise Problem(
            503,
            "no_audio",
            say(request, "Suara pengumuman tidak tersedia."),
        ) from None
    etag = f'"{found.id}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    headers = {"Cache-Control": "public, max-age=86400", "ETag": etag}
    return FileResponse(found.path, media_type="audio/wav", headers=headers)


routes = [Route("/audio/call/{counter}/{ticket}.wav", announcement)]
