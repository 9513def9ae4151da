"""The alert webhook: new alerts POSTed as signed JSON to a URL the venue configures.

Sending never blocks the hub: `send` only queues the body (a bounded queue; when it is full
the oldest waiting alert is dropped, with a warning), and one background task posts them
in order, each with a timeout, retrying with a growing pause when the receiver fails.
The receiver checks `X-Antrean-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body
with the shared secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import urllib.error
import urllib.request
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Antrean-Signature"
QUEUE_SIZE = 100


def signature(secret: str, body: bytes) -> str:
    """The value of `X-Antrean-Signature` for `body`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class Webhook:
    """Posts queued bodies to `url` in the background, in order, with retries."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float = 5.0,
        attempts: int = 5,
        backoff: float = 1.0,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"alert webhook {url!r}: use an http:// or https:// address")
        self.url, self._secret = url, secret
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff
        self.delivered = 0
        self.failed = 0
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(queue_size)
        self._worker: asyncio.Task[None] | None = None

    def send(self, body: bytes) -> None:
        """Queue `body` for posting; never waits."""
        if self._queue.full():
            self._queue.get_nowait()
            self.failed += 1
            log.warning("alert webhook: queue full, the oldest alert was dropped")
        self._queue.put_nowait(body)

    async def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="alert webhook")

    async def stop(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            await asyncio.wait([worker])

    async def drain(self) -> None:
        """Wait until every queued body was delivered or given up (for tests and shutdown)."""
        await self._queue.join()

    async def _work(self) -> None:
        while True:
            body = await self._queue.get()
            try:
                await self._deliver(body)
            finally:
                self._queue.task_done()

    async def _deliver(self, body: bytes) -> None:
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                status = await asyncio.to_thread(self._post, body)
            except (OSError, ValueError) as error:
                log.warning("alert webhook: attempt %d failed: %s", attempt + 1, error)
                continue
            if 200 <= status < 300:
                self.delivered += 1
                return
            log.warning("alert webhook: attempt %d answered HTTP %d", attempt + 1, status)
        self.failed += 1
        log.error("alert webhook: gave up after %d attempts", self.attempts)

    def _post(self, body: bytes) -> int:
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "antrean-alerts",
                SIGNATURE_HEADER: signature(self._secret, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status: int = response.status
                return status
        except urllib.error.HTTPError as error:
            with contextlib.suppress(Exception):
                error.close()
            return error.code
