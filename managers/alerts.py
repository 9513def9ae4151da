"""Alerts for the managers' dashboard: pure functions of the state, the dashboard's
accumulators and the time.

An alert is raised while its condition holds and disappears when it no longer does.
Its id is stable for as long as the condition lasts (`previous` carries the ids already
raised, keyed by what the alert is about), so a screen beeps once per alert and an
acknowledgement (`State.acknowledged`, by alert id) sticks to it. Ids start with the
kind and the venue-local day, so they never collide with yesterday's.

Conditions:

- *sla*: tickets of a service waiting longer than its `sla_minutes` now; one alert per
  service while any is over, naming how many and the longest wait.
- *idle*: an open counter with no ticket in hand for more than `IDLE_MINUTES` while
  people wait for a service it serves (counted from when both became true).
- *break*: a counter on break for more than `IDLE_MINUTES` while people wait for a
  service it serves (a short pause does not beep).
- *quota*: 10 % or less of a service's daily quota left, or the rest of the day is
  predicted unable to serve one more ticket while more than an hour of service remains.
- *offline*: during opening hours, a zone with configured displays and none connected
  for `OFFLINE_GRACE_SECONDS`.
- *audio*: the last announcement report of a zone was `blocked` or `failed`.
- *complaint*: an open complaint past the deadline of its next step (verification, or
  follow-up): a verification's for the venue's managers, a follow-up's for its tenant
  too. Unlike the others its id is not the day's: an overdue report stays one alert until
  it moves on (`complaint:<code>:<status>`), and its acknowledgement outlives the day
  (`DayStarted` keeps it), so acknowledging it once is enough. It is read from the whole
  log's state whatever the day, and it links to the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

import msgspec

from server.domain import complaints
from server.domain.state import State
from server.domain.venue import Venue
from server.i18n import N_, gettext

if TYPE_CHECKING:
    from managers.tallies import Tallies

AlertKind = Literal["sla", "idle", "break", "quota", "offline", "audio", "complaint"]
IDLE_MINUTES = 5.0
QUOTA_SHARE = 0.10
# A day predicted full only alerts while this much service time is left: near closing
# every lane is "full", which is no news.
DAY_FULL_MINUTES_LEFT = 60.0
OFFLINE_GRACE_SECONDS = 60.0


class Alert(msgspec.Struct, frozen=True):
    """One live alert. `tenant` is "" for venue-wide alerts (displays, audio)."""

    id: str
    key: str
    kind: AlertKind
    tenant: str
    subject: str
    since: dt.datetime
    text: str
    text_en: str
    link: str = ""


def _said(msgid: str, **params: object) -> tuple[str, str]:
    """An alert's `text` and `text_en` from the catalogue (both go out: the dashboard picks
    one, the webhook's receiver gets both)."""
    return gettext("id", msgid, **params), gettext("en", msgid, **params)


class ZoneHealth(msgspec.Struct, frozen=True):
    """What the dashboard knows of a zone's screens: how many are connected, since when
    none is, and the last announcement report."""

    zone: str
    displays: int
    connected: int
    offline_since: dt.datetime | None
    audio: str = ""
    audio_call: str = ""


def current_alerts(
    venue: Venue,
    state: State,
    tallies: Tallies,
    zones: Iterable[ZoneHealth],
    now: dt.datetime,
    previous: Mapping[str, Alert],
    standing: State | None = None,
) -> list[Alert]:
    """Every alert that holds at `now`, keeping the ids of those raised before.

    `state` is today's (an empty one before today's first event); `standing`, the whole
    log's, is what the complaints are read from (by default `state`)."""
    day = venue.local(now).date().isoformat()
    found = [
        *sla_alerts(venue, tallies, now, day),
        *counter_alerts(venue, state, tallies, now, day),
        *quota_alerts(venue, state, tallies, now, day),
        *zone_alerts(venue, zones, now, day),
        *complaint_alerts(venue, standing or state, now),
    ]
    return [_keep_id(alert, previous.get(alert.key)) for alert in found]


def _keep_id(alert: Alert, before: Alert | None) -> Alert:
    if before is None:
        return alert
    return msgspec.structs.replace(alert, id=before.id, since=before.since)


def _minutes(since: dt.datetime, now: dt.datetime) -> float:
    return max(0.0, (now - since).total_seconds() / 60)


def sla_alerts(venue: Venue, tallies: Tallies, now: dt.datetime, day: str) -> list[Alert]:
    alerts = []
    for service_id, tally in tallies.items():
        service = venue.services.get(service_id)
        if service is None:
            continue
        over = [
            (since, ticket)
            for ticket, (since, _) in tally.waiting.items()
            if _minutes(since, now) > service.sla_minutes
        ]
        if not over:
            continue
        since, first = min(over)
        longest = round(_minutes(since, now))
        said = _said(
            N_(
                "{service}: {count} antrean menunggu lebih dari {sla} menit (terlama {longest} "
                "menit)"
            ),
            service=service.name,
            count=len(over),
            sla=service.sla_minutes,
            longest=longest,
        )
        alerts.append(
            Alert(
                id=f"sla:{day}:{service_id}:{first}",
                key=f"sla:{service_id}",
                kind="sla",
                tenant=service.tenant,
                subject=service_id,
                since=since + dt.timedelta(minutes=service.sla_minutes),
                text=said[0],
                text_en=said[1],
            )
        )
    return alerts


def counter_alerts(
    venue: Venue, state: State, tallies: Tallies, now: dt.datetime, day: str
) -> list[Alert]:
    alerts = []
    for counter in venue.counters.values():
        watch = tallies.counters.get(counter.id)
        status = state.counter(counter.id).status
        started = None if watch is None else (watch.idle_since or watch.break_since)
        if started is None or status not in ("open", "break"):
            continue
        oldest = min(
            (tallies[s].oldest() for s in counter.services if s in tallies and tallies[s].waiting),
            default=None,
        )
        if oldest is None:
            continue
        since = max(started, oldest)
        if _minutes(since, now) <= IDLE_MINUTES:
            continue
        kind: AlertKind = "break" if status == "break" else "idle"
        minutes = round(_minutes(since, now))
        if kind == "idle":
            said = _said(
                N_("{counter} terbuka tanpa melayani selama {minutes} menit, ada yang menunggu"),
                counter=counter.label,
                minutes=minutes,
            )
        else:
            said = _said(
                N_("{counter} istirahat {minutes} menit, ada yang menunggu"),
                counter=counter.label,
                minutes=minutes,
            )
        alerts.append(
            Alert(
                id=f"{kind}:{day}:{counter.id}:{since:%H%M%S}",
                key=f"{kind}:{counter.id}",
                kind=kind,
                tenant=counter.tenant,
                subject=counter.id,
                since=since,
                text=said[0],
                text_en=said[1],
            )
        )
    return alerts


def quota_alerts(
    venue: Venue, state: State, tallies: Tallies, now: dt.datetime, day: str
) -> list[Alert]:
    alerts = []
    minutes_left = venue.open_minutes_left(now)
    for service in venue.services.values():
        issued = state.numbers.get(service.id, 0)
        left = max(0, service.daily_quota - issued)
        tally = tallies.get(service.id)
        more = None if tally is None else tally.more_servable
        low = left <= QUOTA_SHARE * service.daily_quota
        full = more is not None and more <= 0 and minutes_left > DAY_FULL_MINUTES_LEFT
        if not (low or full):
            continue
        if low:
            said = _said(
                N_("{service}: kuota tinggal {left} dari {quota}"),
                service=service.name,
                left=left,
                quota=service.daily_quota,
            )
        else:
            said = _said(
                N_("{service}: sisa hari ini diperkirakan tidak cukup untuk antrean baru"),
                service=service.name,
            )
        alerts.append(
            Alert(
                id=f"quota:{day}:{service.id}",
                key=f"quota:{service.id}",
                kind="quota",
                tenant=service.tenant,
                subject=service.id,
                since=now,
                text=said[0],
                text_en=said[1],
            )
        )
    return alerts


def zone_alerts(
    venue: Venue, zones: Iterable[ZoneHealth], now: dt.datetime, day: str
) -> list[Alert]:
    alerts = []
    open_now = venue.closed_reason(now) is None
    for health in zones:
        zone = venue.zones.get(health.zone)
        if zone is None:
            continue
        since = health.offline_since
        if (
            open_now
            and health.displays
            and not health.connected
            and since is not None
            and (now - since).total_seconds() >= OFFLINE_GRACE_SECONDS
        ):
            offline = _said(N_("Layar {zone}: tidak ada yang terhubung"), zone=zone.name)
            alerts.append(
                Alert(
                    id=f"offline:{day}:{zone.id}:{since:%H%M%S}",
                    key=f"offline:{zone.id}",
                    kind="offline",
                    tenant="",
                    subject=zone.id,
                    since=since,
                    text=offline[0],
                    text_en=offline[1],
                )
            )
        if health.audio in ("blocked", "failed"):
            if health.audio == "blocked":
                said = _said(N_("Suara pengumuman {zone} ditahan browser"), zone=zone.name)
            else:
                said = _said(N_("Suara pengumuman {zone} gagal diputar"), zone=zone.name)
            alerts.append(
                Alert(
                    id=f"audio:{day}:{zone.id}:{health.audio_call}",
                    key=f"audio:{zone.id}",
                    kind="audio",
                    tenant="",
                    subject=zone.id,
                    since=now,
                    text=said[0],
                    text_en=said[1],
                )
            )
    return alerts


def complaint_alerts(venue: Venue, state: State, now: dt.datetime) -> list[Alert]:
    alerts = []
    for code in sorted(state.open_complaints):
        complaint = state.complaints[code]
        deadline = complaints.due(venue, complaint)
        if deadline is None or now < deadline:
            continue
        # Verifying is the venue's: until then the alert is its managers', not the tenant's.
        tenant = "" if complaint.status == "diterima" else complaint.tenant
        if complaint.status == "diterima":
            said = _said(N_("Laporan {code} belum diverifikasi: lewat tenggat"), code=code)
        else:
            said = _said(N_("Laporan {code} belum ditindaklanjuti: lewat tenggat"), code=code)
        alerts.append(
            Alert(
                id=f"complaint:{code}:{complaint.status}",
                key=f"complaint:{code}",
                kind="complaint",
                tenant=tenant,
                subject=code,
                since=deadline,
                text=said[0],
                text_en=said[1],
                link=f"/manager/pengaduan/{code}",
            )
        )
    return alerts
