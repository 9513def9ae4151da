"""`GET /metrics`: the app's Prometheus metrics, for this host or a holder of the token.

Open to a client on this host (127.0.0.1, ::1), or to one sending
`Authorization: Bearer <ANTREAN_METRICS_TOKEN>`; anyone else gets 403 JSON. Behind nginx
the client address is the one the proxy forwards (uvicorn applies `X-Forwarded-For` from
the proxies it trusts), so a phone on the venue Wi-Fi reaching us through the proxy is not
"this host", though the proxy itself is. Answered from memory only, so a scrape during a
store outage still works.
"""

from __future__ import annotations

import secrets

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.services import services
from server.web.auth import client_address, say
from server.web.problems import Problem

LOCAL = frozenset({"127.0.0.1", "::1"})


async def metrics(request: Request) -> Response:
    parts = services(request)
    if not _allowed(request, parts.settings.metrics_token):
        raise Problem(
            403,
            "metrics_forbidden",
            say(request, "Metrik hanya untuk server ini sendiri atau pemegang token metrik."),
        )
    return Response(parts.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def _allowed(request: Request, token: str) -> bool:
    if client_address(request) in LOCAL:
        return True
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    # As bytes: compare_digest refuses str beyond ASCII; constant time for equal lengths.
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and secrets.compare_digest(sent.strip().encode(), token.encode())
    )


routes = [Route("/metrics", metrics)]
