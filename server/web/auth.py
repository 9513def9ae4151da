"""Signing in: signed session cookies with a CSRF token, device tokens for paired screens.

Sessions hold only the username, a session id, a CSRF token and when they were issued,
signed with the venue's secret (itsdangerous); the user's role and tenant are looked up on
every request, so disabling an account takes effect at once. A session ends early through
the accounts log, so on every process: signing out ends its id, disabling a user or setting
their password ends every session of theirs issued before. Every state-changing request
must carry the session's CSRF token and come from our own origin.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse

from server.accounts import SESSION_HOURS, AccountBook, Device, User
from server.clock import utc_now
from server.i18n import Lang, gettext, pgettext
from server.services import services

COOKIE = "antrean_session"


class Session(msgspec.Struct, frozen=True):
    username: str
    csrf: str
    # Names the session on the accounts log when it ends (signing out).
    id: str
    # Wall-clock epoch seconds: sessions issued before a user's password change or disabling end.
    issued: float


def load_secret(data_dir: str, configured: str = "") -> str:
    """The signing secret: configured (for several hosts), else one kept in the data folder."""
    if configured:
        return configured
    path = Path(data_dir) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Sessions:
    def __init__(self, secret: str) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="antrean-session")

    def issue(self, username: str) -> tuple[str, Session]:
        session = Session(
            username=username,
            csrf=secrets.token_urlsafe(16),
            id=secrets.token_urlsafe(12),
            issued=utc_now().timestamp(),
        )
        return self._signer.dumps(msgspec.to_builtins(session)), session

    def read(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=SESSION_HOURS * 3600)
            return msgspec.convert(data, Session)
        except (BadSignature, msgspec.ValidationError):
            return None


async def signed_in(conn: HTTPConnection) -> tuple[User, Session] | None:
    """The active user behind this request's session cookie, with the session."""
    session = services(conn).sessions.read(conn.cookies.get(COOKIE))
    if session is None:
        return None
    book: AccountBook = services(conn).accounts
    accounts = await book.refresh()
    user = accounts.users.get(session.username)
    if user is None or not user.active or accounts.session_ended(session.id, session.issued, user):
        return None
    return user, session


async def paired_device(conn: HTTPConnection, token: str | None) -> Device | None:
    if not token:
        return None
    book: AccountBook = services(conn).accounts
    return (await book.refresh()).device(token)


def same_origin(conn: HTTPConnection) -> bool:
    """Whether the request comes from a page of ours (browsers always send Origin here)."""
    origin = conn.headers.get("origin")
    if origin is None:
        # Non-browser clients (curl, tests, kiosk scripts) send none; cookies are SameSite.
        return True
    try:
        return urlsplit(origin).netloc == conn.headers.get("host")
    except ValueError:  # no URL at all ("http://["): not one of our pages
        return False


def over_https(conn: HTTPConnection) -> bool:
    """Whether the browser reached us over HTTPS, so cookies may be marked Secure.

    Behind a reverse proxy the scheme is the proxy's `X-Forwarded-Proto`, applied by uvicorn
    only for the proxies it trusts (`FORWARDED_ALLOW_IPS`, by default 127.0.0.1 and ::1).
    """
    return conn.url.scheme in ("https", "wss")


def client_address(conn: HTTPConnection) -> str:
    """The client's address: uvicorn takes it from `X-Forwarded-For` of trusted proxies only."""
    return conn.client.host if conn.client is not None else "unknown"


def csrf_ok(request: Request, session: Session, sent: str | None) -> bool:
    # As bytes: compare_digest refuses str beyond ASCII (a latin-1 header) with a TypeError.
    return (
        same_origin(request)
        and sent is not None
        and secrets.compare_digest(sent.encode(), session.csrf.encode())
    )


def language(conn: HTTPConnection) -> Lang:
    chosen = conn.query_params.get("lang") or conn.cookies.get("lang") or "id"
    return "en" if chosen == "en" else "id"


def say(conn: HTTPConnection, msgid: str, **params: object) -> str:
    """The catalogue's sentence `msgid` (Indonesian) in the language of whoever asked."""
    return gettext(language(conn), msgid, **params)


def psay(conn: HTTPConnection, context: str, msgid: str, **params: object) -> str:
    """As `say`, for a sentence that reads differently in `context` (a heading, a button)."""
    return pgettext(language(conn), context, msgid, **params)


def to_sign_in(conn: HTTPConnection) -> RedirectResponse:
    """Send a signed-out visitor to the sign-in page, and back here afterwards."""
    return RedirectResponse(f"/login?next={conn.url.path}", status_code=303)
