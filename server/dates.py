"""Dates as people in the venue write them: "Selasa, 24 November 2026", "09.00 WIB"."""

from __future__ import annotations

import datetime as dt

from server.config import INDONESIAN_TIMEZONES

MONTHS = (
    ("Januari", "January"),
    ("Februari", "February"),
    ("Maret", "March"),
    ("April", "April"),
    ("Mei", "May"),
    ("Juni", "June"),
    ("Juli", "July"),
    ("Agustus", "August"),
    ("September", "September"),
    ("Oktober", "October"),
    ("November", "November"),
    ("Desember", "December"),
)
WEEKDAYS = (
    ("Senin", "Monday"),
    ("Selasa", "Tuesday"),
    ("Rabu", "Wednesday"),
    ("Kamis", "Thursday"),
    ("Jumat", "Friday"),
    ("Sabtu", "Saturday"),
    ("Minggu", "Sunday"),
)


def month_name(month: int, lang: str = "id") -> str:
    return MONTHS[month - 1][1 if lang == "en" else 0]


def format_date(day: dt.date, lang: str = "id", weekday: bool = False) -> str:
    """ "24 November 2026", or "Selasa, 24 November 2026" with the weekday."""
    written = f"{day.day} {month_name(day.month, lang)} {day.year}"
    if not weekday:
        return written
    return f"{WEEKDAYS[day.weekday()][1 if lang == 'en' else 0]}, {written}"


def zone_label(timezone: str) -> str:
    """WIB, WITA or WIT for a venue's timezone."""
    return INDONESIAN_TIMEZONES.get(timezone, timezone)
