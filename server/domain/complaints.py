"""Complaints and aspirations (*pengaduan dan aspirasi*), tracked to their deadlines the way
SP4N-LAPOR! runs them. Pure: the venue's calendar and times in, statuses and deadlines out.

A citizen files a report and gets a tracking code. Each step after that is an event with who
and when: *diterima* (received) → *diverifikasi* (checked to be a real report, within 3
working days) → *diteruskan* (forwarded to the tenant whose service it is about) →
*ditindaklanjuti* (the tenant acted on it and says how, within 5 working days of being
forwarded, or of the verification when the venue handles it itself) → *selesai* (closed, with the answer the citizen sees). A report that is not
one (spam, abuse, someone else's business) is *ditolak* at verification, with the reason.

Working days are Monday to Friday in the venue's timezone, less the venue's holidays: a
venue that serves on Saturday mornings does not thereby shorten anyone's deadline. A
deadline is the end of its last working day.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

import msgspec

from server.domain.venue import Venue

Kind = Literal["pengaduan", "aspirasi", "layanan_belum_tersedia", "apresiasi"]
KINDS: tuple[Kind, ...] = ("pengaduan", "aspirasi", "layanan_belum_tersedia", "apresiasi")
Status = Literal["diterima", "diverifikasi", "diteruskan", "ditindaklanjuti", "selesai", "ditolak"]
# Which status each step may follow.
STEPS: dict[Status, frozenset[Status]] = {
    "diverifikasi": frozenset({"diterima"}),
    "ditolak": frozenset({"diterima"}),
    "diteruskan": frozenset({"diverifikasi"}),
    "ditindaklanjuti": frozenset({"diverifikasi", "diteruskan"}),
    "selesai": frozenset({"ditindaklanjuti"}),
}
CLOSED: frozenset[Status] = frozenset({"selesai", "ditolak"})
VERIFY_DAYS = 3
FOLLOW_UP_DAYS = 5
MIN_TEXT = 10
MAX_TEXT = 3000
MAX_NOTE = 2000


def tidy(text: str) -> str:
    """Text as people wrote it, less runs of spaces, trailing spaces and runs of blank
    lines (what is kept, and what its length is checked on)."""
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def text_fits(text: str) -> bool:
    return MIN_TEXT <= len(tidy(text)) <= MAX_TEXT


class Step(msgspec.Struct, frozen=True):
    status: Status
    at: dt.datetime
    by: str
    note: str = ""


class Complaint(msgspec.Struct, frozen=True):
    """A report as its handlers see it. The contact is only ever held masked here."""

    code: str
    kind: Kind
    tenant: str
    text: str
    filed_at: dt.datetime
    contact_masked: str = ""
    photo: str = ""
    anonymous: bool = False
    confidential: bool = False
    status: Status = "diterima"
    steps: tuple[Step, ...] = ()

    def step_at(self, status: Status) -> Step | None:
        return next((s for s in reversed(self.steps) if s.status == status), None)

    @property
    def answer(self) -> str:
        """What the citizen is told: the closing answer, else the follow-up, else ""."""
        closing: tuple[Status, ...] = ("selesai", "ditindaklanjuti", "ditolak")
        for status in closing:
            step = self.step_at(status)
            if step is not None and step.note:
                return step.note
        return ""


def is_working_day(venue: Venue, day: dt.date) -> bool:
    return day.weekday() < 5 and all(h.date != day for h in venue.holidays)


def working_deadline(venue: Venue, start: dt.datetime, days: int) -> dt.datetime:
    """The end of the `days`-th working day after the venue-local day of `start` (a report
    filed on Friday afternoon with 3 days: the end of Wednesday)."""
    day = venue.local(start).date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(venue, day):
            counted += 1
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), venue.tz)


def last_day(deadline: dt.datetime) -> dt.date:
    """The working day a deadline closes (it ends at 24.00, the next day's first instant)."""
    return (deadline - dt.timedelta(seconds=1)).date()


def due(venue: Venue, complaint: Complaint) -> dt.datetime | None:
    """When the complaint's next step is due, or None when no deadline runs."""
    if complaint.status == "diterima":
        return working_deadline(venue, complaint.filed_at, VERIFY_DAYS)
    if complaint.status in ("diverifikasi", "diteruskan"):
        # The clock restarts at the step that handed the report on (the tenant gets its
        # full five days from when it was forwarded).
        return working_deadline(venue, complaint.steps[-1].at, FOLLOW_UP_DAYS)
    return None


def overdue(venue: Venue, complaint: Complaint, now: dt.datetime) -> bool:
    deadline = due(venue, complaint)
    return deadline is not None and now >= deadline


def working_days_left(venue: Venue, complaint: Complaint, now: dt.datetime) -> int | None:
    """Whole working days left before the deadline (0 on its last day, negative when
    overdue by that many), or None when no deadline runs."""
    deadline = due(venue, complaint)
    if deadline is None:
        return None
    today, last = venue.local(now).date(), last_day(deadline)
    sign = 1 if today <= last else -1
    low, high = sorted((today, last))
    between = sum(
        1
        for n in range(1, (high - low).days + 1)
        if is_working_day(venue, low + dt.timedelta(days=n))
    )
    return sign * between
