"""Every JSON and form endpoint of /openapi.json under fuzz: thousands of requests, no 5xx.

schemathesis turns the document into Hypothesis strategies of requests, valid ones
(positive) and ones the document forbids (negative: wrong types, missing fields, ...).
Each request goes to the demo venue served in-process on a real SQLite log, as a
signed-in manager or officer, a paired kiosk, or nobody, and often with the real ids of
the venue (counters, services, a visit's token, a form's token) swapped in, so that it
gets past the first check and reaches the queue. Garbage headers, huge numbers and
unicode come on top. Every answer must be below 500, documented (status and content
type) and, when JSON, of the documented shape.

Reproducible: a fixed seed, and Hypothesis' example database so that a failure found
once is tried first (and shrunk) on the next run. Run it alone with
`uv run pytest -p no:cacheprovider tests/fuzz -s` (it prints the cases it ran).
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, assume, given, seed, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.applications import Starlette

from server.demo import GUARD_PIN, KIOSK_TOKEN, display_token, officer_name
from server.services import services
from server.settings import Settings
from server.web.auth import COOKIE
from server.web.login import LOGIN_COOKIE
from server.web.openapi import document
from tests.conftest import AUDIO_CACHE, ROOT
from tests.helpers import FakeClock, SignedIn, serving

pytestmark = pytest.mark.slow
# Every case of the module on the loop of its one venue.
ON_THE_VENUE_LOOP = pytest.mark.asyncio(loop_scope="module")

TUESDAY_NINE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
HOST = "fuzz.test"
DATABASE = DirectoryBasedExampleDatabase(ROOT / ".hypothesis" / "fuzz")

# Cases per operation: 2,000+ in all, under ~3 minutes on two cores. Reports and
# announcements do real work (a fold of the log and a PDF; joining WAV clips): fewer.
HEAVY = [("get", "/audio/call/{counter}/{ticket}.wav"), ("get", "/manager/reports/file")]
HEAVY_EXAMPLES = 70
LIGHT_EXAMPLES = 175
OPERATIONS = sorted((method, path) for path, item in document()["paths"].items() for method in item)
# Answers by operation and status, printed at the end: how deep the fuzz got.
RAN: collections.defaultdict[str, collections.Counter[int]] = collections.defaultdict(
    collections.Counter
)


@functools.cache
def schema() -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_dict(document())


@dataclass
class Venue:
    """The demo app in its lifespan, with the keys a real client would hold."""

    app: Starlette
    client: httpx.AsyncClient
    manager: SignedIn
    officer: SignedIn
    visits: list[str]
    forms: dict[str, str] = field(default_factory=dict)

    def known(self) -> dict[str, list[Any]]:
        """Field -> real values of the venue: where they replace generated ones, a request
        gets past "unknown id" and reaches the queue's rules."""
        venue = services(self.app).venue
        counters, lanes = list(venue.counters), list(venue.services)
        return {
            "counter": counters,
            "to_counter": counters,
            "service": lanes,
            "itinerary": [lanes[:2], lanes[3:4]],
            "tenant": list(venue.tenants),
            "ticket": ["A-001", "A-002", "B-001"],
            "pin": [GUARD_PIN],
            "booking": ["ABCD2345"],
            "token": self.visits,
            # Fixed: the same id again is a retry, or `command_id_reused` with another body.
            "command_id": ["fuzz-known-0001", "fuzz-known-0002"],
            "day": [TUESDAY_NINE.date().isoformat(), "2026-11-25"],
            "date": [TUESDAY_NINE.date().isoformat()],
            "month": ["2026-11"],
            "slot": ["09:00", "10:30"],
            "holder": ["3573010101010001", "081234567890"],
            "action": ["confirm", "review"],
            "username": ["manajer", officer_name("1")],
            "password": ["antrean-demo"],
            "form": list(self.forms.values()),
            "csrf": [self.manager.csrf],
        }


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def venue(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Venue]:
    """One venue for the whole fuzz: what one operation did (tickets issued, counters
    opened, bookings made) is there for the next, as in a real day."""
    data = tmp_path_factory.mktemp("fuzz")
    settings = Settings(data_dir=str(data), audio_cache=str(AUDIO_CACHE))
    async with serving(settings, clock=FakeClock(TUESDAY_NINE), host=HOST) as (app, client):
        manager, officer = await _signed_in(app, "manajer"), await _signed_in(app, "loket1")
        visits = [await _visit(client) for _ in range(2)]
        page = await client.get("/booking?service=ktp&day=2026-11-25")
        forms = {"booking": _token(page.text, "form")}
        ticket = await client.get(f"/t/{visits[0]}")
        forms["cancel"] = _token(ticket.text, "form")
        client.cookies.clear()
        yield Venue(app, client, manager, officer, visits, forms)
        for signed_in in (manager, officer):
            await signed_in.client.aclose()


async def _signed_in(app: Starlette, username: str) -> SignedIn:
    transport = httpx.ASGITransport(app=app)
    user = SignedIn(httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}"))
    await user.sign_in(username)
    return user


async def _visit(client: httpx.AsyncClient) -> str:
    body = {"service": "ktp", "command_id": uuid.uuid4().hex}
    answer = await client.post(
        "/kiosk/api/issue", json=body, headers={"X-Device-Token": KIOSK_TOKEN}
    )
    visit: str = answer.json()["ticket"]["visit"]
    return visit


def _token(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, f"no {name} token in the page"
    return found.group(1)


Draw = Callable[[st.SearchStrategy[Any]], Any]

# --- what comes on top of schemathesis' cases -----------------------------------------

# Header values travel as latin-1; the HTTP server lets printable ones through (obs-text
# included) and strips the whitespace around them.
_LATIN1 = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80
).map(str.strip)
_UNICODE = st.text(max_size=40)
_HUGE = st.one_of(
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.integers(max_value=-(2**63) + 1, min_value=-(2**70)),
    st.sampled_from([1e308, -1e308, 10**400, 0.1]),
)
# Values that broke (or nearly broke) a parser once: a bracket that is no IPv6 address,
# bytes beyond ASCII in a token, another site, a cookie header that is not one.
_TRICKY = st.sampled_from(
    [
        *("http://[", "http://]", "null", f"http://{HOST}", "https://evil.example"),
        *("\xe9", "=;;=", "multipart/form-data", "multipart/form-data; boundary="),
        "text/plain; charset=x-nope",
    ]
)
_GARBAGE_HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "x-csrf-token",
            "x-device-token",
            "origin",
            "cookie",
            "accept-language",
            "referer",
            "content-type",
        ]
    ),
    st.one_of(_LATIN1, _TRICKY),
    max_size=3,
)


# Bodies no generator writes from a schema: not UTF-8, a BOM, duplicate keys, numbers past
# 64 bits or past a float, NUL and lone surrogates, nesting far past the recursion limit in
# three shapes (a run of `[`, of `{"a":`, and `[[],[[],...` that no run-length check sees).
_ID = b'"command_id":"fuzz-raw-0001"'
_RAW_BODIES = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b"\xff\xfe{}",
            b"\xef\xbb\xbf{" + _ID + b',"service":"ktp"}',
            b"{" + _ID + b"," + _ID + b',"type":"roll_day"}',
            b'{"command_id":' + b"9" * 5000 + b"}",
            b"{" + _ID + b',"service":"ktp","priority":1e999}',
            b"{" + _ID + b',"type":"call_next","counter":' + b"1" * 400 + b"}",
            b'{"command_id":"fuzz\\u0000raw","service":"ktp","booking":"A","text":"x"}',
            b'{"command_id":"\\ud800\\ud800fuzzraw","booking":"\\udfff","text":"x"}',
            b"{" + _ID + b',"extra":' + b"[" * 7000 + b"]" * 7000 + b"}",
            b'{"a":' * 3000 + b"1" + b"}" * 3000,
            b"{" + _ID + b',"extra":' + b"[[]," * 3000 + b"]" * 3000 + b"}",
        ]
    ),
)


def _who(venue: Venue, who: str) -> tuple[dict[str, str], dict[str, str]]:
    """The headers and cookies of a caller: a manager, an officer, a kiosk, a display or
    nobody."""
    if who in ("manager", "officer"):
        user = venue.manager if who == "manager" else venue.officer
        cookie = user.client.cookies.get(COOKIE) or ""
        return {"x-csrf-token": user.csrf}, {COOKIE: cookie}
    if who == "kiosk":
        return {"x-device-token": KIOSK_TOKEN}, {}
    if who == "display":
        return {"x-device-token": display_token(next(iter(services(venue.app).venue.zones)))}, {}
    return {}, {}


def _swap_known(draw: Draw, container: Any, known: dict[str, list[Any]]) -> set[str]:
    """Replace some generated values with real ones of the venue, and some with extremes;
    the names of those replaced."""
    if not isinstance(container, dict):
        return set()
    swapped = set()
    for name in sorted(container):
        choice = draw(st.sampled_from(["keep", "known", "known", "huge", "unicode"]))
        if choice == "known" and known.get(name):
            container[name] = draw(st.sampled_from(known[name]))
        elif choice == "huge":
            container[name] = draw(_HUGE)
        elif choice == "unicode":
            container[name] = draw(_UNICODE)
        else:
            continue
        swapped.add(name)
    return swapped


def _request(case: Any, draw: Draw, venue: Venue) -> Any:
    known = venue.known()
    form = case.media_type == "application/x-www-form-urlencoded"
    if case.body is not None and not isinstance(case.body, dict | list | str | bytes):
        case.body = None
    for container in (case.body, case.query):
        _swap_known(draw, container, known)
    if form and isinstance(case.body, dict):
        # A form carries strings; huge numbers and nested values go in their text form.
        case.body = {k: v if isinstance(v, str) else str(v) for k, v in case.body.items()}
    if case.path_parameters:
        _path(draw, case, known)
    return case


def _path(draw: Draw, case: Any, known: dict[str, list[Any]]) -> None:
    params = case.path_parameters
    swapped = _swap_known(draw, params, known)
    # schemathesis sends its own values percent-encoded; ours are encoded here.
    case.path_parameters = {
        k: quote(str(v), safe="") if k in swapped else str(v) for k, v in params.items()
    }
    # An empty segment or one with a slash addresses another route, not this one.
    segments = [unquote(v) for v in case.path_parameters.values()]
    assume(all(v and "/" not in v for v in segments))


def _httpx_kwargs(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    sent = case.as_transport_kwargs(base_url=f"http://{HOST}", headers=headers)
    kwargs: dict[str, Any] = {
        "method": sent["method"],
        "url": sent["url"],
        # As on the wire: latin-1 (httpx would take ASCII only).
        "headers": {k: str(v).encode("latin-1") for k, v in (sent.get("headers") or {}).items()},
        "params": sent.get("params"),
    }
    if "json" in sent:
        kwargs["json"] = sent["json"]
    elif isinstance(sent.get("data"), dict):
        kwargs["data"] = sent["data"]
    elif sent.get("data") is not None:
        kwargs["content"] = sent["data"]
    return kwargs


CHECKS = [content_type_conformance, status_code_conformance, response_schema_conformance]
WHO = st.sampled_from(["manager", "officer", "kiosk", "display", "nobody"])


def _callers(method: str, path: str) -> st.SearchStrategy[str]:
    """Anyone, but mostly whom the operation is for, so that most requests get past the
    door."""
    security = document()["paths"][path][method].get("security", [{}])
    schemes = {name for alternative in security for name in alternative}
    if "device" in schemes:
        return st.one_of(st.just("kiosk"), WHO)
    if "session" in schemes:
        return st.one_of(st.sampled_from(["manager", "officer"]), WHO)
    return WHO


@functools.cache
def _strategies(method: str, path: str) -> list[st.SearchStrategy[Any]]:
    operation = schema()[path][method.upper()]
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    return [operation.as_strategy(generation_mode=mode) for mode in modes]


async def _one(venue: Venue, method: str, path: str, data: st.DataObject) -> None:
    """One generated request, answered below 500 and as the document says."""
    case = data.draw(st.one_of(_strategies(method, path)), label="case")
    case = _request(case, data.draw, venue)
    raw = None
    if case.media_type == "application/json" and data.draw(st.integers(0, 5), label="raw") == 0:
        raw = data.draw(_RAW_BODIES, label="raw body")
    headers, cookies = _who(venue, data.draw(_callers(method, path), label="who"))
    headers |= data.draw(_GARBAGE_HEADERS, label="garbage headers")
    if data.draw(st.booleans(), label="login cookie"):
        # The sign-in form's double-submit cookie, matching the `csrf` field swapped in.
        cookies[LOGIN_COOKIE] = venue.manager.csrf
    sent = _httpx_kwargs(case, headers)
    if raw is not None:
        sent.pop("json", None)
        sent["content"] = raw
        sent["headers"].setdefault("content-type", b"application/json")
    # Only this request's cookies: none kept from the answers before.
    venue.client.cookies.clear()
    venue.client.cookies.update({**(case.cookies or {}), **cookies})
    answer = await venue.client.request(**sent)
    RAN[f"{method.upper()} {path}"][answer.status_code] += 1
    assert answer.status_code < 500, _explain(case, answer)
    case.validate_response(answer, checks=CHECKS)


def _fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=DATABASE,
        suppress_health_check=list(HealthCheck),
    )


LIGHT = [op for op in OPERATIONS if op not in HEAVY]


@ON_THE_VENUE_LOOP
@pytest.mark.parametrize(("method", "path"), LIGHT, ids=[f"{m} {p}" for m, p in LIGHT])
@seed(20261124)
@_fuzz_settings(LIGHT_EXAMPLES)
@given(data=st.data())
async def test_no_5xx_and_as_documented(
    venue: Venue, method: str, path: str, data: st.DataObject
) -> None:
    await _one(venue, method, path, data)


@ON_THE_VENUE_LOOP
@pytest.mark.parametrize(("method", "path"), HEAVY, ids=[f"{m} {p}" for m, p in HEAVY])
@seed(20261124)
@_fuzz_settings(HEAVY_EXAMPLES)
@given(data=st.data())
async def test_heavy_endpoints_no_5xx_and_as_documented(
    venue: Venue, method: str, path: str, data: st.DataObject
) -> None:
    await _one(venue, method, path, data)


def _explain(case: Any, answer: httpx.Response) -> str:
    return (
        f"{answer.status_code} for {case.method} {case.formatted_path}\n"
        f"request: {answer.request.headers!r}\n{answer.request.content[:2000]!r}\n"
        f"answer: {answer.text[:2000]}"
    )


def test_ran_enough_cases() -> None:
    """Runs last in this file: the fuzz above sent at least 2,000 requests in all."""
    for name, statuses in sorted(RAN.items()):
        seen = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
        print(f"{statuses.total():6d}  {name}  ({seen})")
    total = sum(statuses.total() for statuses in RAN.values())
    print(f"{total:6d}  requests in all")
    if len(RAN) < len(OPERATIONS):
        pytest.skip("run the whole file to count its cases")
    assert total >= 2000
