"""The missing-service recap: what visitors asked for and the venue does not offer, grouped
per tenant asked for and by what they wrote, with counts per month.

Two sources feed it: the kiosk's "layanan yang saya cari tidak ada" (`ServiceRequested`,
source `kiosk`) and reports filed as *layanan belum tersedia* (`ComplaintFiled` of that
kind, source `complaint`). The ministry asks that such requests be "direkap, dilaporkan,
dan dievaluasi"; this is the recap the manager page `/manager/layanan-dicari`, its CSV and
the daily and monthly reports show.

How requests are grouped (`normalise`, kept simple so a manager can predict it):

1. Letters lose their accents and case (`Paspor` = `paspor`, `é` = `e`).
2. Hyphens, dots and apostrophes join what they stand between (`e-KTP` = `eKTP`,
   `S.K.C.K` = `SKCK`); every other punctuation mark or symbol separates words, and runs
   of spaces count as one.
3. A few spellings of the same thing are one word (`VARIANTS`: `ektp`/`ktpel` → `ktp`,
   `passport`/`pasport` → `paspor`, `akte` → `akta`).
4. The words that say "a service, please" and not which one are left out (`STOP_WORDS`:
   `layanan`, `pembuatan`, `pengurusan`, `mengurus`, `buat`, `bikin`, `baru`, `mau`,
   `saya`, `tolong`...), unless nothing else is left ("Layanan baru" stays itself).

So "Pembuatan Paspor", "paspor baru!" and "bikin passport" are one group (`paspor`);
"perpanjangan paspor" is another. Word order counts ("KK KTP" is not "KTP KK").

A group is one tenant asked for ("" = the venue in general) and one normalised text. It
shows the most common original wording (the earliest seen among equals), the count per
month, the total, the first and last request, and how many came from each source. A
*confidential* (`rahasia`) report is counted under its tenant in a group of its own,
whose text is never shown and never decides a group's name.

A report rejected as not one (*ditolak*: spam, abuse) is left out, even when the
rejection comes after the period, so the whole log is read (`MissingBuilder`); it decodes
only the records that are requests or complaints.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Literal

import msgspec

from managers.ikm import Progress, read_whole_log
from server.domain import events as ev
from server.domain.venue import Venue
from server.store import EventLog

Source = Literal["kiosk", "complaint"]
SOURCES: tuple[Source, ...] = ("kiosk", "complaint")
MISSING_KIND = "layanan_belum_tersedia"

STOP_WORDS = frozenset(
    {
        "layanan",
        "pelayanan",
        "pembuatan",
        "pengurusan",
        "mengurus",
        "urus",
        "membuat",
        "buat",
        "bikin",
        "baru",
        "mau",
        "ingin",
        "saya",
        "tolong",
        "mohon",
    }
)
VARIANTS: dict[str, str] = {
    "ektp": "ktp",
    "ktpel": "ktp",
    "passport": "paspor",
    "pasport": "paspor",
    "akte": "akta",
}
# Marks that join the letters around them (e-KTP, S.K.C.K, Jum'at).
_JOINERS = frozenset("-.'`\u2010\u2011\u2012\u2013\u2018\u2019")
# Records worth decoding: a request, a filed report, or a step that may reject one (a
# false hit, such as a text quoting one of these, is decoded and skipped).
_MARKS = (b'"service_requested"', b'"complaint_filed"', b'"complaint_stepped"')


def _letters(text: str) -> str:
    """One pass of steps 1–2: case-folded, accents off, punctuation joined or spaced."""
    out: list[str] = []
    for char in unicodedata.normalize("NFKD", text.casefold()):
        if char in _JOINERS or unicodedata.combining(char):
            continue
        category = unicodedata.category(char)
        if category == "Cf":  # zero-width and other invisible format characters
            continue
        out.append(" " if category[0] in "PSZC" else char)
    return "".join(out)


def normalise(text: str) -> str:
    """The key a request is grouped by (see the module docstring); idempotent."""
    # Case-folding may leave what decomposes further (ǅ, ℌ), decomposing what folds
    # further: a second pass settles both.
    words = _letters(_letters(text)).split()
    words = [VARIANTS.get(word, word) for word in words]
    kept = [word for word in words if word not in STOP_WORDS]
    return " ".join(kept or words)


def month_of(day: dt.date) -> str:
    """A month as the recap names it: "2026-11"."""
    return f"{day.year:04d}-{day.month:02d}"


def months_between(start: dt.date, end: dt.date) -> tuple[str, ...]:
    """Every month from `start`'s to `end`'s, in order."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return tuple(months)


class Ask(msgspec.Struct, frozen=True):
    """One request for a missing service: when (venue-local), for which tenant, in whose
    words, from which source; a confidential one's text is never shown."""

    at: dt.datetime
    tenant: str
    text: str
    source: Source
    confidential: bool = False


class Group(msgspec.Struct, frozen=True):
    """The requests of one tenant with one normalised text (or its confidential ones)."""

    key: str
    # The most common original wording; "" for the confidential group.
    text: str
    confidential: bool
    total: int
    # Month ("2026-11") -> requests; only months with any.
    months: dict[str, int]
    first: dt.datetime
    last: dt.datetime
    kiosk: int
    complaint: int


class TenantGroups(msgspec.Struct, frozen=True):
    """One tenant's groups, most asked first ("" = the venue in general)."""

    tenant: str
    name: str
    total: int
    groups: tuple[Group, ...]


class Recap(msgspec.Struct, frozen=True):
    """The recap of the days `start`..`end`; `months` are its columns."""

    start: dt.date
    end: dt.date
    months: tuple[str, ...]
    total: int
    tenants: tuple[TenantGroups, ...]
    tenant: str | None = None


class _Tally:
    __slots__ = ("complaint", "first", "kiosk", "last", "months", "total", "wordings")

    def __init__(self, at: dt.datetime) -> None:
        self.total = self.kiosk = self.complaint = 0
        self.first = self.last = at
        self.months: dict[str, int] = {}
        # Wording -> how often; insertion order breaks ties (the earliest seen wins).
        self.wordings: dict[str, int] = {}


class Grouper:
    """Groups asks one at a time (linear in their number); `tenants` gives the result."""

    def __init__(self) -> None:
        self._tallies: dict[tuple[str, bool, str], _Tally] = {}
        # Wording -> its key: the same words come again and again.
        self._keys: dict[str, str] = {}
        self.total = 0

    def add(self, ask: Ask) -> None:
        key = "" if ask.confidential else self._key(ask.text)
        index = (ask.tenant, ask.confidential, key)
        tally = self._tallies.get(index)
        if tally is None:
            tally = self._tallies[index] = _Tally(ask.at)
        tally.total += 1
        self.total += 1
        if ask.source == "kiosk":
            tally.kiosk += 1
        else:
            tally.complaint += 1
        tally.first, tally.last = min(tally.first, ask.at), max(tally.last, ask.at)
        month = month_of(ask.at.date())
        tally.months[month] = tally.months.get(month, 0) + 1
        if not ask.confidential:
            tally.wordings[ask.text] = tally.wordings.get(ask.text, 0) + 1

    def _key(self, text: str) -> str:
        key = self._keys.get(text)
        if key is None:
            key = self._keys[text] = normalise(text)
        return key

    def tenants(
        self, names: Mapping[str, str] | None = None, order: Iterable[str] = ()
    ) -> tuple[TenantGroups, ...]:
        """The groups per tenant: tenants in `order` first, then others by id, the venue
        in general ("") last; within a tenant the most asked first (then the earliest).
        `names` gives a tenant's name (else its id)."""
        names = names or {}
        by_tenant: dict[str, list[Group]] = {}
        for (tenant, confidential, key), tally in self._tallies.items():
            text = "" if confidential else max(tally.wordings.items(), key=_count)[0]
            group = Group(
                key=key,
                text=text,
                confidential=confidential,
                total=tally.total,
                months=dict(sorted(tally.months.items())),
                first=tally.first,
                last=tally.last,
                kiosk=tally.kiosk,
                complaint=tally.complaint,
            )
            by_tenant.setdefault(tenant, []).append(group)
        listed = [t for t in dict.fromkeys(order) if t in by_tenant and t]
        rest = sorted(t for t in by_tenant if t not in listed and t)
        tenants = [*listed, *rest, *([""] if "" in by_tenant else [])]
        return tuple(
            TenantGroups(
                tenant=tenant,
                name=names.get(tenant, tenant) if tenant else "",
                total=sum(g.total for g in by_tenant[tenant]),
                groups=tuple(sorted(by_tenant[tenant], key=lambda g: (-g.total, g.first))),
            )
            for tenant in tenants
        )


def _count(item: tuple[str, int]) -> int:
    return item[1]


def group_requests(
    asks: Iterable[Ask], names: Mapping[str, str] | None = None, order: Iterable[str] = ()
) -> tuple[TenantGroups, ...]:
    """Every ask grouped per tenant and normalised text (see `Grouper.tenants`)."""
    grouper = Grouper()
    for ask in asks:
        grouper.add(ask)
    return grouper.tenants(names, order)


class MissingBuilder:
    """Folds a venue's log, in order, into the recap of the days `start`..`end`.

    `add` takes decoded events, `add_late` encoded ones (decoding only requests and
    complaints). `past_end` is always true, so `read_whole_log` hands it every record
    encoded: a rejection may come long after the period."""

    past_end = True

    def __init__(
        self, venue: Venue, start: dt.date, end: dt.date, tenant: str | None = None
    ) -> None:
        if end < start:
            raise ValueError(f"recap period ends ({end}) before it starts ({start})")
        self.venue, self.start, self.end, self.tenant = venue, start, end, tenant
        self._grouper = Grouper()
        # Reports filed in the period, by code, until a rejection takes one out.
        self._filed: dict[str, Ask] = {}

    def add(self, event: ev.Event) -> None:
        if isinstance(event, ev.ServiceRequested):
            ask = self._ask(event.at, event.tenant, event.text, "kiosk")
            if ask is not None:
                self._grouper.add(ask)
        elif isinstance(event, ev.ComplaintFiled):
            if event.kind != MISSING_KIND:
                return
            # Whose it is may change (forwarded): the tenant is checked at the end.
            ask = self._ask(
                event.at, event.tenant, event.text, "complaint", event.confidential, any_tenant=True
            )
            if ask is not None:
                self._filed[event.complaint] = ask
        elif isinstance(event, ev.ComplaintStepped) and event.status == "ditolak":
            self._filed.pop(event.complaint, None)
        elif isinstance(event, ev.ComplaintStepped) and event.status == "diteruskan":
            filed = self._filed.get(event.complaint)
            if filed is not None and event.tenant:
                # Forwarded to the tenant whose service it is: it counts there.
                self._filed[event.complaint] = msgspec.structs.replace(filed, tenant=event.tenant)

    def add_late(self, data: bytes) -> None:
        if any(mark in data for mark in _MARKS):
            self.add(ev.decode_event(data))

    def _ask(
        self,
        at: dt.datetime,
        tenant: str,
        text: str,
        source: Source,
        confidential: bool = False,
        any_tenant: bool = False,
    ) -> Ask | None:
        local = at.astimezone(self.venue.tz)
        if not self.start <= local.date() <= self.end:
            return None
        if self.tenant is not None and tenant != self.tenant and not any_tenant:
            return None
        return Ask(local, tenant, "" if confidential else text, source, confidential)

    def finish(self) -> Recap:
        grouper = self._grouper
        for ask in self._filed.values():
            if self.tenant is None or ask.tenant == self.tenant:
                grouper.add(ask)
        self._filed.clear()
        names = {
            tenant.id: tenant.short_name or tenant.name for tenant in self.venue.tenants.values()
        }
        return Recap(
            start=self.start,
            end=self.end,
            months=months_between(self.start, self.end),
            total=grouper.total,
            tenants=grouper.tenants(names, self.venue.tenants),
            tenant=self.tenant,
        )


async def build_missing(
    log: EventLog,
    venue: Venue,
    start: dt.date,
    end: dt.date,
    tenant: str | None = None,
    progress: Progress | None = None,
) -> Recap:
    """The recap of the days `start`..`end` (a supervisor's: `tenant` only), read from the
    whole of the venue's log, page by page."""
    builder = MissingBuilder(venue, start, end, tenant)
    await read_whole_log(log, venue.id, builder, progress)
    return builder.finish()
