"""Google Translate's speech (gTTS, `lang="id"`): the best voice, but it needs the internet.

Rendered ahead of time only. HTTP 429 is retried with exponential backoff; a timeout or a
refused connection marks the engine unavailable, so a venue without internet waits for one
timeout per render pass, not one per clip. Audio is returned in memory, so no file (0-byte
or otherwise) is ever written by this engine.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import gtts  # type: ignore[import-untyped]

from audio.engines import EngineError, EngineUnavailable
from audio.wording import Clip

__all__ = ["GttsEngine"]


class GttsEngine:
    """gTTS with a timeout and retries; returns MP3 bytes."""

    name = "gtts"
    local = False
    finished = False

    def __init__(
        self,
        *,
        lang: str = "id",
        tld: str = "com",
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.lang = lang
        self.tld = tld
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep

    def identity(self, clip: Clip) -> str | None:
        if not clip.text:
            return None
        return f"gtts|{gtts.__version__}|{self.lang}|{self.tld}|{clip.text}"

    def render(self, clip: Clip) -> bytes:
        for attempt in range(self.retries + 1):
            try:
                return self._fetch(clip)
            except gtts.tts.gTTSError as error:
                status = _status(error)
                if status == 429 and attempt < self.retries:
                    self._sleep(self.backoff * 2**attempt)
                    continue
                raise _failure(clip, status, error) from error
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _fetch(self, clip: Clip) -> bytes:
        buffer = io.BytesIO()
        speech = gtts.gTTS(clip.text, lang=self.lang, tld=self.tld, timeout=self.timeout)
        try:
            speech.write_to_fp(buffer)
        except ValueError as error:  # a garbled base64 payload
            raise EngineError(f"gTTS sent unreadable audio for {clip.key!r}") from error
        if not buffer.getvalue():
            raise EngineError(f"gTTS answered without audio for {clip.key!r}")
        return buffer.getvalue()


def _status(error: Exception) -> int | None:
    response = getattr(error, "rsp", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _failure(clip: Clip, status: int | None, error: Exception) -> EngineError:
    message = f"gTTS failed on {clip.key!r}: {error}"
    # No response at all (timeout, no route, DNS) or still rate-limited: the next clip would
    # fail the same way, so stop asking for this pass.
    if status is None or status == 429:
        return EngineUnavailable(message)
    return EngineError(message)
