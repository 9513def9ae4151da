"""Security headers on every HTTP answer: what a browser may load, frame, send and use.

Pages load only this site's own scripts, styles, images and sounds (no CDN: venues sit on
closed LANs), so the policy can be strict: no inline scripts or styles (JSON data blocks
are not scripts and need no exception), `data:`/`blob:` images and sounds for QR codes and
announcements, and the websocket spelt out (`'self'` does not cover ws:/wss: everywhere).
No page may be framed by another site; the kiosk frames only its own ticket print page.
No page may use the camera or the microphone, except the recording studio its microphone.
An answer that set a header itself (the ticket page's Referrer-Policy) keeps it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)
# Same-origin, not no-referrer: a POST without a referrer policy's origin sends
# `Origin: null`, and our forms are checked against their Origin.
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": ", ".join(
        f"{feature}=()"
        for feature in (
            "camera",
            "microphone",
            "geolocation",
            "payment",
            "usb",
            "serial",
            "hid",
            "midi",
            "magnetometer",
            "gyroscope",
            "accelerometer",
        )
    ),
}
# Framed by the kiosk page itself (it prints the slip through a hidden frame).
FRAMED_BY_SELF = ("/kiosk/ticket/",)
# The one page that may use this site's microphone: the recording studio.
MICROPHONE = "/manager/voice"


def headers_for(path: str) -> dict[str, str]:
    """The security headers of an answer to `path`."""
    framed = path.startswith(FRAMED_BY_SELF)
    ancestors = "frame-ancestors 'self'" if framed else "frame-ancestors 'none'"
    found = COMMON | {
        "Content-Security-Policy": "; ".join((*POLICY, ancestors)),
        "X-Frame-Options": "SAMEORIGIN" if framed else "DENY",
    }
    if path == MICROPHONE:
        found["Permissions-Policy"] = found["Permissions-Policy"].replace(
            "microphone=()", "microphone=(self)"
        )
    return found


class SecurityHeaders:
    """ASGI middleware adding `headers_for(path)` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"])

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, sending)
