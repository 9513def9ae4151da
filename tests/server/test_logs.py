"""The JSON log format: one object per record, with the record's `extra` fields."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

from server.logs import JsonFormatter


def formatted(record: logging.LogRecord) -> dict[str, object]:
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed: dict[str, object] = json.loads(line)
    return parsed


def record(name: str, msg: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.getLogger(name).makeRecord(
        name, logging.WARNING, __file__, 1, msg, args, None, extra=extra
    )
    return made


class TestJsonLines:
    """What an operator's log collector reads off each line."""

    def test_the_audit_logs_extra_fields_are_fields(self) -> None:
        line = formatted(
            record(
                "antrean.audit",
                "sign_in_failed username=%s",
                "loket1",
                username="loket1",
                address="10.0.0.5",
                reason="wrong_password",
            )
        )
        assert line["level"] == "WARNING" and line["logger"] == "antrean.audit"
        assert line["message"] == "sign_in_failed username=loket1"
        assert (line["username"], line["address"], line["reason"]) == (
            "loket1",
            "10.0.0.5",
            "wrong_password",
        )
        when = dt.datetime.fromisoformat(str(line["time"]))
        assert when.utcoffset() == dt.timedelta(0)

    def test_an_access_line_names_its_parts(self) -> None:
        args = ("10.0.0.5:51000", "GET", "/healthz", "1.1", 200)
        line = formatted(record("uvicorn.access", '%s - "%s %s HTTP/%s" %d', *args))
        assert line["message"] == '10.0.0.5:51000 - "GET /healthz HTTP/1.1" 200'
        assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)

    def test_a_value_json_cannot_hold_is_written_as_text(self) -> None:
        line = formatted(record("server.hub", "closing", at=dt.date(2026, 11, 24), peer=object))
        assert line["at"] == "2026-11-24"
        assert "object" in str(line["peer"])

    def test_an_exception_is_one_field_of_one_line(self) -> None:
        try:
            raise ValueError("broken")
        except ValueError:
            failed = logging.getLogger("x").makeRecord(
                "x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
            )
        line = formatted(failed)
        assert "ValueError: broken" in str(line["exception"])
