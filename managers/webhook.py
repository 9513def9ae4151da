"""The alert webhook: new alerts POSTed as signed JSON to a URL the venue configures.

Sending never blocks the hub: `send` only queues the body (a bounded queue; when it is full
the oldest waiting alert is dropped, with a warning), and one background task posts them
in order, each with a timeout, retrying with a growing pause when the receiver fails.
The receiver checks `X-Antrean-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body
with the shared secret.

Each alert is sent once in all: before posting it, the worker claims it on the venue's log
(`SentAlerts`, the stream `<venue>.webhook`, the alert's id as the command id), and only
the process whose claim landed posts it, so several processes computing the same alert, or
one restarted, never post it again. A claim is bound to its process (the command digest),
so a claim asked again after its answer was lost is still that process's. At most once:
a process killed between its claim and the post loses that alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import msgspec

from server.clock import utc_now
from server.store import CommandIdReused, Conflict, EventLog, StoreUnavailable

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Antrean-Signature"
QUEUE_SIZE = 100
# A claim that meets another process's append tries again this many times.
CLAIM_TRIES = 20
# While the log cannot be reached, a claim is asked again after a growing pause, capped.
CLAIM_PAUSE_MAX = 30.0


class SentAlerts:
    """Which alerts were handed to the webhook, on the venue's log: every process and every
    restart sees the same record."""

    def __init__(self, events: EventLog, venue: str) -> None:
        self.events, self.stream = events, f"{venue}.webhook"
        # This process's claims are bound to this (the command digest): asking again after
        # a lost answer finds its own claim (a retry), another process's is refused.
        self._ours = secrets.token_hex(8)

    async def claim(self, alert_id: str) -> bool:
        """Record that this process sends `alert_id`: False when another process, or this
        one before a restart, claimed it first."""
        body = msgspec.json.encode({"type": "alert_sent", "alert": alert_id, "at": utc_now()})
        for _ in range(CLAIM_TRIES):
            head = await self.events.head(self.stream)
            try:
                await self.events.append(self.stream, head, [body], alert_id, self._ours)
            except Conflict:  # another alert's claim landed first: ask again
                continue
            except CommandIdReused:
                return False
            return True  # ours: new, or our own landed before its answer was lost
        raise StoreUnavailable(self.events.backend, f"claim of {alert_id} kept conflicting")


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
        sent: SentAlerts,
        *,
        timeout: float = 5.0,
        attempts: int = 5,
        backoff: float = 1.0,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"alert webhook {url!r}: use an http:// or https:// address")
        self.url, self._secret, self.sent = url, secret, sent
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff
        self.delivered = 0
        self.failed = 0
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(queue_size)
        self._worker: asyncio.Task[None] | None = None

    def send(self, alert_id: str, body: bytes) -> None:
        """Queue `body`, alert `alert_id`, for posting unless some process has; never waits."""
        if self._queue.full():
            self._queue.get_nowait()
            self._queue.task_done()
            self.failed += 1
            log.warning("alert webhook: queue full, the oldest alert was dropped")
        self._queue.put_nowait((alert_id, body))

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
            alert_id, body = await self._queue.get()
            try:
                if await self._claim(alert_id):
                    log.info("alert webhook: sending %s", alert_id)
                    await self._deliver(body)
                else:
                    log.info("alert webhook: %s was sent already", alert_id)
            finally:
                self._queue.task_done()

    async def _claim(self, alert_id: str) -> bool:
        pause = 0.0
        while True:
            try:
                return await self.sent.claim(alert_id)
            except StoreUnavailable as error:
                pause = min(CLAIM_PAUSE_MAX, pause * 2 or self.backoff)
                log.warning(
                    "alert webhook: cannot claim %s (%s); again in %gs", alert_id, error, pause
                )
                await asyncio.sleep(pause)

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
