"""`GET /openapi.json`: the OpenAPI 3.1 document of the public and device APIs.

Every JSON or form endpoint that a visitor's phone, a kiosk, a display, a counter console
or the managers' dashboard calls. Request bodies come from the msgspec types the handlers
decode with, so the document cannot drift from what the server accepts; the route test
(tests/server/web/test_openapi.py) checks it against the app's routes both ways, and the fuzz
(tests/fuzz/) sends thousands of requests generated from it.

The readers are developers, so the document is in English; the answers people see are
Indonesian first (add `?lang=en` for English), as everywhere else.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse

from server.domain import commands as cmd
from server.web.auth import COOKIE
from visitors.kiosk import CheckInBody, IssueBody, RequestBody
from visitors.survey_tablet import AnswerBody, FindBody

Schema = dict[str, Any]

_REF = "#/components/schemas/{name}"
_JSON = "application/json"
_HTML = "text/html"
_FORM = "application/x-www-form-urlencoded"

# The `command_id` rule every JSON command carries (checked in the handlers, not by msgspec).
_COMMAND_ID: Schema = {"type": "string", "minLength": 8, "maxLength": 64}

_STATUS_TEXT = {
    200: "OK",
    303: "Done: the browser goes on to the page in `Location`",
    304: "Not modified (the `ETag` matched)",
    400: "The request is malformed or invalid",
    401: "Signed out, or the sign-in failed",
    403: "Not allowed: no valid session, CSRF token, device token or form token",
    404: "Not found",
    408: "The body did not arrive in time (a declared length that never came)",
    409: "Refused by the queue's rules (the message says why, for the person)",
    413: "The body is too large",
    429: "Too many attempts; try again later",
    503: "The event log (SQLite or Redis) is unavailable for now; retry",
}


def _ref(name: str) -> Schema:
    return {"$ref": _REF.format(name=name)}


def _problems(*statuses: int) -> dict[str, Schema]:
    return {str(s): _answer(s, _JSON, _ref("Problem")) for s in statuses}


def _pages(*statuses: int) -> dict[str, Schema]:
    """Answers that are pages for people (a form shown again with its error, or a redirect)."""
    answers: dict[str, Schema] = {}
    for status in statuses:
        if status == 303:
            answers["303"] = {"description": _STATUS_TEXT[303]}
        else:
            answers[str(status)] = _answer(status, _HTML, {"type": "string"})
    return answers


def _answer(status: int, media: str, schema: Schema) -> Schema:
    return {"description": _STATUS_TEXT[status], "content": {media: {"schema": schema}}}


def _json_body(name: str) -> Schema:
    return {"required": True, "content": {_JSON: {"schema": _ref(name)}}}


def _form_body(fields: dict[str, str], required: tuple[str, ...] = ()) -> Schema:
    properties = {name: {"type": "string", "description": text} for name, text in fields.items()}
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return {"required": True, "content": {_FORM: {"schema": schema}}}


_LANG: Schema = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": "`en` for English messages; Indonesian otherwise (also kept in a `lang` cookie).",
    "schema": {"type": "string", "enum": ["id", "en"]},
}


def _path_param(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": "^[^/]+$"},
    }


def _operation(
    summary: str,
    tag: str,
    responses: dict[str, Schema],
    *,
    security: Security | None = None,
    body: Schema | None = None,
    parameters: tuple[Schema, ...] = (),
) -> Schema:
    operation: Schema = {
        "summary": summary,
        "tags": [tag],
        "parameters": [*parameters, _LANG],
        "responses": responses,
    }
    if security is not None:
        operation["security"] = security
    if body is not None:
        operation["requestBody"] = body
    return operation


Security = list[dict[str, list[str]]]
_OFFICER: Security = [{"session": [], "csrf": []}]
_SIGNED_IN: Security = [{"session": []}]
_DEVICE: Security = [{"device": []}]

_TICKET_ANSWER = _answer(200, _JSON, _ref("TicketAnswer"))


def _paths() -> dict[str, Schema]:
    token = _path_param("token", "The visit's secret token (from the ticket's QR code)")
    code = _path_param("code", "A complaint's tracking code, ABCD-EFGH-JKMN")
    return {
        "/healthz": {
            "get": _operation(
                "Liveness and the log's position (monitoring, load balancers)",
                "service",
                {
                    "200": _answer(200, _JSON, _ref("Health")),
                    # The same report, saying which part is down: not a refusal.
                    "503": _answer(503, _JSON, _ref("Health")),
                },
            )
        },
        "/metrics": {
            "get": _operation(
                "Prometheus metrics: from this host, or with the metrics token",
                "service",
                {
                    "200": _answer(200, "text/plain", {"type": "string"}),
                    **_problems(403),
                },
                # No credential from this host itself; the token from anywhere else.
                security=[{}, {"metrics": []}],
            )
        },
        "/api/commands": {
            "post": _operation(
                "Perintah petugas/manajer: one command from a console or the dashboard",
                "console",
                {
                    "200": _answer(200, _JSON, _ref("CommandDone")),
                    **_problems(400, 401, 403, 408, 409, 413, 503),
                },
                security=_OFFICER,
                body=_json_body("CommandRequest"),
            )
        },
        "/kiosk/api/overview": {
            "get": _operation(
                "Ringkasan anjungan: tenants and services as the kiosk's tiles show them",
                "kiosk",
                {"200": _answer(200, _JSON, _ref("KioskOverview")), **_problems(403, 503)},
                security=_DEVICE,
            )
        },
        "/kiosk/api/issue": {
            "post": _operation(
                "Ambil nomor: issue a ticket (a priority one needs a staff PIN)",
                "kiosk",
                {"200": _TICKET_ANSWER, **_problems(400, 403, 404, 408, 409, 413, 429, 503)},
                security=_DEVICE,
                body=_json_body("IssueBody"),
            )
        },
        "/kiosk/api/check-in": {
            "post": _operation(
                "Check-in: an online booking's visitor arrived; their ticket joins the lane",
                "kiosk",
                {"200": _TICKET_ANSWER, **_problems(400, 403, 404, 408, 409, 413, 429, 503)},
                security=_DEVICE,
                body=_json_body("CheckInBody"),
            )
        },
        "/kiosk/api/request": {
            "post": _operation(
                "Layanan tidak ada: note a service a visitor asked for and did not find",
                "kiosk",
                {
                    "200": _answer(200, _JSON, _ref("Thanks")),
                    **_problems(400, 403, 408, 409, 413, 503),
                },
                security=_DEVICE,
                body=_json_body("RequestBody"),
            )
        },
        "/kiosk/api/say.wav": {
            "get": _operation(
                "Panduan suara: what the kiosk's voice guidance says, as one WAV",
                "kiosk",
                {
                    "200": _answer(200, "audio/wav", {"type": "string", "format": "binary"}),
                    "304": {"description": _STATUS_TEXT[304]},
                    **_problems(403, 404, 413, 503),
                },
                security=_DEVICE,
                parameters=(
                    {
                        "name": "clips",
                        "in": "query",
                        "required": True,
                        "description": (
                            "Clip keys joined by `.`, as the kiosk's tiles and ticket give "
                            "them (`say`), e.g. `pilih_instansi.instansi_dispendukcapil`"
                        ),
                        "schema": {"type": "string", "pattern": "^[a-z0-9_]+(\\.[a-z0-9_]+)*$"},
                    },
                ),
            )
        },
        "/survey/api/hello": {
            "get": _operation(
                "Tablet survei: whether this device token is a survey tablet's",
                "survey tablet",
                {"200": _answer(200, _JSON, _ref("TabletHello")), **_problems(403, 503)},
                security=_DEVICE,
            )
        },
        "/survey/api/find": {
            "post": _operation(
                "Cari tiket: the served ticket a typed or scanned code names, if it can be rated",
                "survey tablet",
                {
                    "200": _answer(200, _JSON, _ref("TabletTicket")),
                    **_problems(400, 403, 408, 409, 413, 503),
                },
                security=_DEVICE,
                body=_json_body("FindBody"),
            )
        },
        "/survey/api/answer": {
            "post": _operation(
                "Jawab survei: one response, about a served ticket or a chosen service",
                "survey tablet",
                {
                    "200": _answer(200, _JSON, _ref("TabletAnswered")),
                    **_problems(400, 403, 408, 409, 413, 503),
                },
                security=_DEVICE,
                body=_json_body("AnswerBody"),
            )
        },
        "/audio/call/{counter}/{ticket}.wav": {
            "get": _operation(
                "Suara panggilan: the spoken announcement of one call (hall displays)",
                "display",
                {
                    "200": _answer(200, "audio/wav", {"type": "string", "format": "binary"}),
                    "304": {"description": _STATUS_TEXT[304]},
                    "404": _answer(404, _JSON, _ref("Problem")),
                    "503": _answer(503, _JSON, _ref("Problem")),
                },
                parameters=(
                    _path_param("counter", "The counter's id, e.g. `1`"),
                    _path_param("ticket", "The ticket's label, e.g. `A-012`"),
                    {
                        "name": "recall",
                        "in": "query",
                        "required": False,
                        "description": "`1` for the words of a recall",
                        "schema": {"type": "string", "enum": ["0", "1"]},
                    },
                ),
            )
        },
        "/manager/reports/file": {
            "get": _operation(
                "Laporan: a day's or a month's report as CSV or PDF (managers, supervisors)",
                "dashboard",
                {
                    "200": {
                        "description": "The report file (an attachment)",
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    "303": {"description": "Signed out: to the sign-in page"},
                    "400": _answer(400, "text/plain", {"type": "string"}),
                    **_pages(403),
                    **_problems(503),
                },
                security=_SIGNED_IN,
                parameters=tuple(_REPORT_QUERY),
            )
        },
        "/manager/reports/ikm": {
            "get": _operation(
                "Laporan IKM: the satisfaction index of a month, quarter, semester or year as "
                "CSV or PDF (managers; supervisors their own tenant)",
                "dashboard",
                {
                    "200": {
                        "description": "The IKM report file (an attachment)",
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    "303": {"description": "Signed out: to the sign-in page"},
                    "400": _answer(400, "text/plain", {"type": "string"}),
                    # A page for an officer; a sentence for a supervisor asking for
                    # another tenant's report.
                    "403": {
                        "description": _STATUS_TEXT[403],
                        "content": {
                            _HTML: {"schema": {"type": "string"}},
                            "text/plain": {"schema": {"type": "string"}},
                        },
                    },
                    **_problems(503),
                },
                security=_SIGNED_IN,
                parameters=tuple(_IKM_QUERY),
            )
        },
        "/manager/layanan-dicari": {
            "get": _operation(
                "Layanan yang dicari pengunjung: the missing-service recap of a month or the "
                "last 3, 6 or 12 months (managers; supervisors their own tenant)",
                "dashboard",
                {
                    **_pages(200),
                    "303": {"description": "Signed out: to the sign-in page"},
                    **_pages(400, 403),
                    **_problems(503),
                },
                security=_SIGNED_IN,
                parameters=(*_MISSING_QUERY, _MISSING_SORT),
            )
        },
        "/manager/layanan-dicari/csv": {
            "get": _operation(
                "Layanan yang dicari pengunjung as CSV (managers; supervisors their own tenant)",
                "dashboard",
                {
                    "200": {
                        "description": "The recap file (an attachment)",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    "303": {"description": "Signed out: to the sign-in page"},
                    "400": _answer(400, "text/plain", {"type": "string"}),
                    **_pages(403),
                    **_problems(503),
                },
                security=_SIGNED_IN,
                parameters=tuple(_MISSING_QUERY),
            )
        },
        **_voice_paths(),
        "/login": {
            "post": _operation(
                "Masuk: sign in (the form's `csrf` must match the `antrean_login` cookie)",
                "sign-in",
                _pages(303, 400, 401, 408, 413, 429),
                body=_form_body(
                    {
                        "username": "The user name",
                        "password": "The password",
                        "csrf": "The login form's token (double-submit, with its cookie)",
                        "next": "Where to go after signing in (a path on this site)",
                    }
                ),
            )
        },
        "/logout": {
            "post": _operation(
                "Keluar: sign out",
                "sign-in",
                _pages(303, 400, 408, 413),
                body=_form_body({"csrf": "The session's CSRF token"}),
            )
        },
        "/booking": {
            "post": _operation(
                "Pesan online: review (`action` other than `confirm`) or confirm a booking",
                "phone",
                _pages(200, 303, 400, 403, 408, 409, 413, 429),
                body=_form_body(
                    {
                        "service": "The service's id",
                        "day": "The day, YYYY-MM-DD",
                        "slot": "The slot's start, HH:MM",
                        "holder": "NIK (16 digits) or a phone number",
                        "action": "`confirm` to book; anything else shows the review",
                        "form": "The booking form's token",
                    }
                ),
            )
        },
        "/t/{token}/cancel": {
            "post": _operation(
                "Batalkan tiket: the visitor cancels their own ticket",
                "phone",
                _pages(303, 400, 403, 404, 408, 409, 413),
                parameters=(token,),
                body=_form_body({"form": "The ticket page's cancel token"}),
            )
        },
        "/t/{token}/survey": {
            "post": _operation(
                "Survei kepuasan: the visitor rates the visit's served ticket (SKM, "
                "PermenPANRB 14/2017), once per ticket",
                "phone",
                _pages(303, 400, 403, 404, 408, 409, 413),
                parameters=(token,),
                body=_form_body(
                    {
                        "form": "The ticket page's survey token",
                        "ticket": "Which of the visit's own served tickets (else the next)",
                        "persyaratan": "Answer 1-4 (and so on for each unsur key)",
                        "comment": "Optional comment",
                        "age": "Optional age band",
                    }
                ),
            )
        },
        "/pengaduan": {
            "post": _operation(
                "Pengaduan: file a complaint, suggestion, missing service or praise (also "
                "multipart/form-data with a `foto`, JPEG or PNG of at most 2 MB); to its "
                "status page",
                "phone",
                _pages(303, 400, 403, 408, 413, 429),
                body=_form_body(
                    {
                        "form": "The form's token",
                        "nonce": "The form's nonce (the same form files one report)",
                        "jenis": "pengaduan, aspirasi, layanan_belum_tersedia or apresiasi",
                        "instansi": "Optional tenant id",
                        "isi": "The report, 10-3000 characters",
                        "kontak": "Optional mobile number or e-mail address",
                        "anonim": "1: keep no contact",
                        "rahasia": "1: confidential",
                    }
                ),
            )
        },
        "/manager/pengaduan/{code}": {
            "post": _operation(
                "Langkah pengaduan: verify, reject, forward, follow up or close a complaint",
                "dashboard",
                _pages(303, 400, 403, 404, 408, 409, 413),
                security=_SIGNED_IN,
                parameters=(code,),
                body=_form_body(
                    {
                        "csrf": "The session's CSRF token",
                        "status": "diverifikasi, ditolak, diteruskan, ditindaklanjuti or selesai",
                        "note": "What the citizen is told (required to reject, follow up, close)",
                        "tenant": "Where to forward (diteruskan)",
                    }
                ),
            )
        },
        "/manager/pengaduan/{code}/foto": {
            "get": _operation(
                "The photo attached to a complaint (cleaned JPEG), for its handlers",
                "dashboard",
                {
                    "200": {
                        "description": "The photo",
                        "content": {
                            "image/jpeg": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                    "303": {"description": "Not signed in: to the sign-in page"},
                    "403": _answer(403, _HTML, {"type": "string"}),
                    "404": {"description": "No such complaint, or no photo you may see"},
                },
                security=_SIGNED_IN,
                parameters=(code,),
            )
        },
        "/t/{token}/cancel-booking": {
            "post": _operation(
                "Batalkan pesanan: the visitor cancels their own booking",
                "phone",
                _pages(303, 400, 403, 404, 408, 409, 413),
                parameters=(token,),
                body=_form_body({"form": "The ticket page's cancel-booking token"}),
            )
        },
    }


_WAV = _answer(200, "audio/wav", {"type": "string", "format": "binary"})
_STUDIO_ANSWER: Schema = {
    "type": "object",
    "description": "`ok`, the clip as it is now (`clip`: key, text, group, recorded, takes), "
    "and the venue's progress (`recorded` of `total` clips)",
}


def _voice_paths() -> dict[str, Schema]:
    """The recording studio's API (`managers/voice.py`): managers and admins only."""
    key = _path_param("key", "A clip of the venue's vocabulary, e.g. `huruf_a`, `loket_4`")
    preview = (
        _query(
            "ticket", "A sample ticket number, e.g. `A-123`", pattern="^[A-Za-z]{1,3}-?[0-9]{1,4}$"
        ),
        {**_query("counter", "A counter's id"), "required": True},
        _query("recall", "`1` for a recall", enum=["1"]),
    )
    wav_refusals = {"304": {"description": _STATUS_TEXT[304]}, **_problems(401, 403, 404, 503)}
    return {
        "/manager/voice/clips/{key}": {
            "post": _operation(
                "Studio suara: a new take of a clip (the body is the audio: WAV, MP3, FLAC or "
                "Ogg Vorbis, at most 4 MB; `?source=file` for an uploaded file)",
                "studio",
                {
                    "200": _answer(200, _JSON, _STUDIO_ANSWER),
                    **_problems(400, 401, 403, 404, 408, 413, 503),
                },
                security=_OFFICER,
                parameters=(key, _query("source", "`file` for an uploaded file", enum=["file"])),
                body={
                    "required": True,
                    "content": {
                        # Any audio type: the server reads the bytes, not the header.
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
            )
        },
        "/manager/voice/clips/{key}/choice": {
            "post": _operation(
                'Studio suara: use an earlier take again (`{"take": id}`) or the synthetic '
                'voice (`{"take": null}`)',
                "studio",
                {
                    "200": _answer(200, _JSON, _STUDIO_ANSWER),
                    **_problems(400, 401, 403, 404, 408, 413, 503),
                },
                security=_OFFICER,
                parameters=(key,),
                body={
                    "required": True,
                    "content": {
                        _JSON: {
                            "schema": {
                                "type": "object",
                                "properties": {"take": {"type": ["string", "null"]}},
                                "required": ["take"],
                            }
                        }
                    },
                },
            )
        },
        "/manager/voice/clips/{key}.wav": {
            "get": _operation(
                "Studio suara: what a clip sounds like now (its take, or the synthetic voice)",
                "studio",
                {"200": _WAV, **wav_refusals},
                security=_SIGNED_IN,
                parameters=(key,),
            )
        },
        "/manager/voice/takes/{take}.wav": {
            "get": _operation(
                "Studio suara: one take, as stored (trimmed, matched, in the clip format)",
                "studio",
                {"200": _WAV, **_problems(401, 403, 404, 503)},
                security=_SIGNED_IN,
                parameters=(_path_param("take", "A take's id (16 hex digits)"),),
            )
        },
        "/manager/voice/preview": {
            "get": _operation(
                "Studio suara: which clips an announcement is made of, which are recorded, "
                "and where to hear it",
                "studio",
                {
                    "200": _answer(200, _JSON, {"type": "object"}),
                    **_problems(400, 401, 403, 503),
                },
                security=_SIGNED_IN,
                parameters=preview,
            )
        },
        "/manager/voice/preview.wav": {
            "get": _operation(
                "Studio suara: an announcement from the recorded clips, synthetic ones "
                "filling the rest",
                "studio",
                {"200": _WAV, **_problems(400, 401, 403, 503)},
                security=_SIGNED_IN,
                parameters=preview,
            )
        },
        "/manager/voice/pack.zip": {
            "get": _operation(
                "Paket suara: every take in use, with a manifest of keys, texts and SHA-256",
                "studio",
                {
                    "200": _answer(200, "application/zip", {"type": "string", "format": "binary"}),
                    **_problems(401, 403, 503),
                },
                security=_SIGNED_IN,
            )
        },
        "/manager/voice/pack": {
            "post": _operation(
                "Paket suara: import a pack (all of it, or nothing when a clip is bad)",
                "studio",
                {
                    "200": _answer(200, _JSON, {"type": "object"}),
                    **_problems(400, 401, 403, 408, 413, 503),
                },
                security=_OFFICER,
                body={
                    "required": True,
                    "content": {
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
            )
        },
    }


def _query(name: str, description: str, **schema: Any) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


_IKM_QUERY = (
    _query(
        "period",
        "2026-11, 2026-Q4, 2026-S2 or 2026",
        pattern="^[0-9]{4}(-([0-9]{2}|Q[1-4]|S[12]))?$",
    ),
    _query("format", "`pdf` (the default) or `csv`", enum=["pdf", "csv"]),
    _query("tenant", "One tenant's id (a supervisor always gets their own)"),
)
_MISSING_QUERY = (
    _query(
        "month",
        "The last month, YYYY-MM (the current one by default)",
        pattern="^[0-9]{4}-[0-9]{2}$",
    ),
    _query(
        "months",
        "How many months up to `month`: 1 (the default), 3, 6 or 12",
        enum=["1", "3", "6", "12"],
    ),
)
_MISSING_SORT = _query(
    "sort", "`count` (the most asked first, the default) or `text`", enum=["count", "text"]
)
_REPORT_QUERY = (
    _query("format", "`pdf` (the default) or `csv`", enum=["pdf", "csv"]),
    _query("date", "One day, YYYY-MM-DD (else `month`)", format="date"),
    _query("month", "One month, YYYY-MM", pattern="^[0-9]{4}-[0-9]{2}$"),
    _query("tenant", "One tenant's id (a supervisor always gets their own)"),
)


def _answers() -> dict[str, Schema]:
    """The JSON answers' shapes (what a client may rely on; more fields may come)."""
    text, integer = {"type": "string"}, {"type": "integer"}
    return {
        "Problem": {
            "type": "object",
            "description": "A refusal: `code` for machines, `message` for people.",
            "required": ["ok", "code", "message"],
            "properties": {"ok": {"const": False}, "code": text, "message": text},
        },
        "Health": {
            "type": "object",
            "required": ["status", "process", "venue", "store", "epoch", "seq", "now"],
            "properties": {
                "status": {"enum": ["ok", "store_unavailable"]},
                "process": {
                    "type": "string",
                    "description": "the process that answered: ANTREAN_PROCESS, else host:pid",
                },
                "now": {"type": "string", "format": "date-time", "description": "venue clock"},
                "venue": text,
                "venue_name": text,
                "store": {
                    "type": "object",
                    "description": "Whether the event log answered a read just now.",
                    "required": ["backend", "ok"],
                    "properties": {
                        "backend": {"enum": ["sqlite", "redis"]},
                        "ok": {"type": "boolean"},
                        "head": integer,
                        "error": text,
                    },
                },
                "epoch": text,
                "seq": integer,
            },
        },
        "CommandDone": {
            "type": "object",
            "required": ["ok", "seq", "duplicate", "events"],
            "properties": {
                "ok": {"const": True},
                "seq": integer,
                "duplicate": {"type": "boolean"},
                "events": {"type": "array", "items": text},
            },
        },
        "KioskOverview": {
            "type": "object",
            "required": ["ok", "venue", "tenants", "device"],
            "properties": {
                "ok": {"const": True},
                "venue": text,
                "time": text,
                "notice": text,
                "tenants": {"type": "array", "items": {"type": "object"}},
                "device": {"type": "object"},
            },
        },
        "TicketAnswer": {
            "type": "object",
            "required": ["ok", "ticket", "print"],
            "properties": {
                "ok": {"const": True},
                "ticket": {
                    "type": "object",
                    "required": ["label", "visit", "path", "qr", "say"],
                    "properties": {
                        "label": text,
                        "visit": text,
                        "path": text,
                        "qr": text,
                        "say": {"type": "array", "items": text},
                    },
                },
                "print": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"enum": ["browser", "printed", "failed"]}},
                },
            },
        },
        "Thanks": {
            "type": "object",
            "required": ["ok", "message"],
            "properties": {"ok": {"const": True}, "message": text},
        },
        "TabletHello": {
            "type": "object",
            "required": ["ok", "device"],
            "properties": {"ok": {"const": True}, "device": {"type": "object"}},
        },
        "TabletTicket": {
            "type": "object",
            "required": ["ok", "ticket"],
            "properties": {
                "ok": {"const": True},
                "ticket": {
                    "type": "object",
                    "required": ["ticket", "label", "service_name", "tenant_name"],
                    "properties": {
                        "ticket": text,
                        "label": text,
                        "service_name": text,
                        "tenant_name": text,
                    },
                },
            },
        },
        "TabletAnswered": {
            "type": "object",
            "required": ["ok", "duplicate"],
            "properties": {"ok": {"const": True}, "duplicate": {"type": "boolean"}},
        },
    }


def _bodies() -> dict[str, Schema]:
    """The request bodies, from the msgspec types the handlers decode them with."""
    (command, *_), components = msgspec.json.schema_components(
        (cmd.Command, IssueBody, CheckInBody, RequestBody, FindBody, AnswerBody),
        ref_template=_REF,
    )
    for name in ("IssueBody", "CheckInBody", "RequestBody", "AnswerBody"):
        components[name]["properties"]["command_id"] = _COMMAND_ID
    envelope = {
        "type": "object",
        "required": ["command_id"],
        "properties": {"command_id": _COMMAND_ID},
    }
    # msgspec decodes the envelope and the command from the same object.
    components["Command"] = command
    components["CommandRequest"] = {"allOf": [_ref("Command"), envelope]}
    return dict(components)


@functools.cache
def document() -> Schema:
    """The OpenAPI 3.1 document (built once: it depends only on the code)."""
    built = {
        "openapi": "3.1.0",
        "info": {
            "title": "antrean: public and device API",
            "version": "1",
            "description": __doc__,
        },
        "paths": _paths(),
        "components": {
            "schemas": _bodies() | _answers(),
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": COOKIE,
                    "description": "The signed session cookie that POST /login sets.",
                },
                "csrf": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRF-Token",
                    "description": "The session's CSRF token (in the console's and the "
                    'dashboard\'s `<meta name="csrf">`).',
                },
                "device": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Device-Token",
                    "description": "A paired device's token (`antrean devices add`).",
                },
                "metrics": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "ANTREAN_METRICS_TOKEN, for scrapes from another host.",
                },
            },
        },
    }
    # Plain JSON types throughout (msgspec gives tuples for tuple defaults).
    plain: Schema = msgspec.json.decode(msgspec.json.encode(built))
    return plain


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(document())
