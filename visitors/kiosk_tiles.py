"""What the kiosk shows: every tenant's services, each saying whether a number can be taken
now and if not when to come back, with the wait a new ticket would have."""

from __future__ import annotations

import datetime as dt
from typing import Any

from audio.guide import service_words, tenant_words
from server import dates
from server.domain import commands as cmd
from server.domain.decide import decide
from server.domain.errors import DomainError
from server.domain.estimate import WaitRange, new_ticket_waits
from server.domain.state import State
from server.domain.venue import Service, Venue
from server.i18n import Lang, gettext, pgettext
from server.messages import closed_reason
from visitors.views import wait_text


def _waiting(state: State) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ticket in state.waiting():
        counts[ticket.service] = counts.get(ticket.service, 0) + 1
    return counts


def refusal(venue: Venue, state: State, service: Service, now: dt.datetime) -> DomainError | None:
    """Why a kiosk ticket for `service` would be refused now (the domain's own answer)."""
    probe = cmd.IssueTicket(service=service.id, visit="probe", channel="kiosk")
    try:
        decide(venue, state, probe, now)
    except DomainError as error:
        return error
    return None


def status_label(error: DomainError, service: Service, lang: Lang) -> str:
    """The short word on a tile that cannot issue now."""
    code = error.code
    if code == "venue_closed" and error.params.get("reason") == "break":
        return pgettext(lang, "kiosk", "Istirahat")
    if code == "venue_closed":
        return gettext(lang, "Tutup")
    if code == "issue_closed":
        return gettext(lang, "Pengambilan nomor ditutup")
    if code == "channel_quota_full" and service.kiosk_quota == 0:
        return gettext(lang, "Khusus pesan online")
    if code in ("quota_full", "day_full", "channel_quota_full"):
        return gettext(lang, "Kuota hari ini habis")
    return gettext(lang, "Tidak tersedia")


def come_back(
    venue: Venue, error: DomainError, now: dt.datetime, lang: Lang, service: Service | None = None
) -> str:
    """When a refused visitor can try again: "Buka kembali pukul 13.00", "... besok ..."."""
    if error.code == "channel_quota_full" and service is not None and service.kiosk_quota == 0:
        return gettext(lang, "Layanan ini hanya melalui pemesanan online.")
    closed = str(error.params.get("reason", "")) if error.code == "venue_closed" else None
    return reopening(venue, now, lang, closed)


def reopening(venue: Venue, now: dt.datetime, lang: Lang, closed: str | None) -> str:
    """When to come back: later today when the venue is `closed` now for that reason
    (a break, not open yet), else the next day it opens."""
    local = venue.local(now)
    if closed is not None:
        reopens = venue.next_open(local)
    else:
        tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), venue.tz)
        reopens = venue.next_open(tomorrow)
    if reopens is None:
        return gettext(lang, "Silakan kembali pada hari kerja.")
    clock = f"{reopens:%H.%M}"
    if reopens.date() == local.date():
        if closed == "before_open":
            return gettext(lang, "Buka pukul {clock}.", clock=clock)
        return gettext(lang, "Buka kembali pukul {clock}.", clock=clock)
    if reopens.date() == local.date() + dt.timedelta(days=1):
        return gettext(lang, "Silakan kembali besok pukul {clock}.", clock=clock)
    day = _day_text(reopens.date(), lang)
    return gettext(lang, "Silakan kembali {day} pukul {clock}.", day=day, clock=clock)


def _day_text(day: dt.date, lang: Lang) -> str:
    return dates.format_date(day, lang, weekday=True)


def moment_text(venue: Venue, at: dt.datetime, lang: Lang) -> str:
    """ "Selasa, 24 November 2026 09.00 WIB": a moment on the venue's clock."""
    local = venue.local(at)
    zone = dates.zone_label(venue.timezone)
    return f"{_day_text(local.date(), lang)} {local:%H.%M} {zone}"


def _service_view(
    venue: Venue,
    state: State,
    service: Service,
    waiting: int,
    wait: WaitRange | None,
    now: dt.datetime,
    lang: Lang,
) -> dict[str, Any]:
    refused = refusal(venue, state, service, now)
    view: dict[str, Any] = {
        "id": service.id,
        "name": service.name,
        "prefix": service.prefix,
        "waiting": waiting,
        "priority_lane": service.priority_lane,
        "available": refused is None,
    }
    view["say"] = service_words(service, waiting, wait, refused is None)
    if refused is None:
        # No range when no counter serves the service: the tile says nothing rather than guess.
        view["wait"] = wait_text(wait, lang) if wait is not None else ""
    else:
        view["code"] = refused.code
        view["status"] = status_label(refused, service, lang)
        view["come_back"] = come_back(venue, refused, now, lang, service)
    return view


def overview_view(venue: Venue, state: State, now: dt.datetime, lang: Lang) -> dict[str, Any]:
    """Every tenant with its services, as the kiosk's tiles show them."""
    waiting = _waiting(state)
    # Every tile's range from one dry run, not one run per service (a venue has hundreds).
    waits = new_ticket_waits(venue, state, now)
    tenants = []
    for tenant in venue.tenants.values():
        services = [
            _service_view(venue, state, s, waiting.get(s.id, 0), waits.get(s.id), now, lang)
            for s in venue.services.values()
            if s.tenant == tenant.id
        ]
        if services:
            count = sum(s["waiting"] for s in services)
            available = sum(1 for s in services if s["available"])
            tenants.append(
                {
                    "id": tenant.id,
                    "name": tenant.short_name or tenant.name,
                    "full_name": tenant.name,
                    "waiting": count,
                    "available": available,
                    "services": services,
                    "say": tenant_words(tenant, count, available),
                }
            )
    notice = _venue_notice(venue, now, lang)
    time_text = f"{venue.local(now):%H.%M} {dates.zone_label(venue.timezone)}".strip()
    return {
        "ok": True,
        "venue": venue.name,
        "time": time_text,
        "notice": notice,
        "tenants": tenants,
    }


def _venue_notice(venue: Venue, now: dt.datetime, lang: Lang) -> str:
    reason = venue.closed_reason(now)
    if reason is None:
        return ""
    why = gettext(lang, "Layanan {reason}.", reason=closed_reason(reason, lang))
    if reason == "break":
        why = gettext(lang, "Layanan sedang jam istirahat.")
    return f"{why} {reopening(venue, now, lang, reason)}"
