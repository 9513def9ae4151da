"""How `antrean run` writes its log: uvicorn's text lines, or one JSON object per line.

Both formats route every logger of ours (the audit log `antrean.audit`, the queue, the
hub) and uvicorn's own, access lines included, to stderr at INFO. A JSON line holds
`time` (ISO 8601, UTC), `level`, `logger`, `message`, and the fields a call passed as
`extra=` (the audit log's `username`, `address`, `reason`); an access line adds `client`,
`method`, `path`, `http_version` and `status`. What may be logged is decided where it is
logged: a password or a full NIK or phone number never reaches a logger (see
`tests/live/test_masking.py`, which reads the log in both formats).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Literal

import msgspec

Format = Literal["text", "json"]
FORMATS: tuple[Format, ...] = ("text", "json")

# What every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured copy of the message
    "taskName",
}
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            line |= dict(zip(_ACCESS_FIELDS, record.args, strict=False))
        line |= {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(line, enc_hook=str).decode()


def log_config(fmt: Format) -> dict[str, Any]:
    """uvicorn's `log_config` for this format (a `logging.config.dictConfig` dict)."""
    if fmt == "json":
        formatters: dict[str, Any] = {
            name: {"()": "server.logs.JsonFormatter"} for name in ("default", "access")
        }
    else:
        formatters = {
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(levelprefix)s %(name)s: %(message)s",
            },
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
            },
        }
    handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "handlers": {
            "default": handler | {"formatter": "default"},
            "access": handler | {"formatter": "access"},
        },
        "root": {"handlers": ["default"], "level": "INFO"},
        "loggers": {
            # uvicorn's error logger reaches the root's handler by propagating.
            "uvicorn": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
