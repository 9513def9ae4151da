"""A busy day at a mid-sized MPP, simulated through the real domain: the reports' test data.

    uv run python -m bench.busy_day [SEED]     # prints what one simulated day holds

`VENUE` has 8 tenants, 16 services and 20 counters, in WIB, open 08:00-16:00 every day.
`busy_day(day, seed)` plays that day in steps of 20 seconds and returns its events, every
one decided by `server.domain.decide` exactly as the server would:

- about 2,500 visitors arrive (peaks mid-morning and after lunch) at the kiosk, a few at
  the information desk (staff) and some with an online booking checked in at their slot;
  one in ten is a priority visitor confirmed by the guard ("satpam");
- quotas, the last-issue time and the predicted end of the day refuse some of them, and
  each refusal is recorded as a turn-away, as the kiosk does;
- counters call, recall, mark no-shows (a quarter of them come back), serve, hold and
  resume, transfer to another lane, cancel incomplete files; some visitors give up and
  cancel; itineraries send visitors on to another tenant;
- half the counters take a break around noon and come back with another officer;
- visitors ask for services the venue lacks ("layanan yang saya cari tidak ada").

Pass the same `State` to consecutive days to chain them into one log (the day rollover,
with its expiries, happens as it would on a server).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from server.domain import commands as cmd
from server.domain import events as ev
from server.domain.decide import TURN_AWAY_CODES, decide
from server.domain.errors import DomainError
from server.domain.state import State, evolve
from server.domain.venue import Counter, OpeningHours, Service, Tenant, Venue, Zone

DAY = dt.date(2026, 11, 24)
STEP = dt.timedelta(seconds=20)
ARRIVALS = 2_300
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# tenant id -> (name, counters, [(service id, name, prefix, quota, sla, minutes, weight)])
_TENANTS: dict[str, tuple[str, int, list[tuple[str, str, str, int, int, float, int]]]] = {
    "dukcapil": (
        "Dispendukcapil",
        4,
        [
            ("ktp", "KTP-el", "A", 400, 30, 3, 12),
            ("kk", "Kartu Keluarga", "B", 300, 30, 4, 6),
        ],
    ),
    "samsat": (
        "Samsat",
        3,
        [
            ("pkb", "Pajak Kendaraan", "C", 400, 20, 2.5, 11),
            ("bbn", "Balik Nama Kendaraan", "D", 40, 45, 6, 3),
        ],
    ),
    "imigrasi": (
        "Imigrasi",
        2,
        [
            ("paspor", "Paspor Baru", "E", 80, 60, 6, 4),
            ("paspor-ambil", "Pengambilan Paspor", "F", 200, 15, 1.5, 4),
        ],
    ),
    "bpjs": (
        "BPJS Kesehatan",
        2,
        [
            ("bpjs-daftar", "Pendaftaran Peserta", "G", 300, 30, 4, 4),
            ("bpjs-ubah", "Perubahan Data", "H", 300, 30, 2.5, 5),
        ],
    ),
    "satpas": (
        "Satpas SIM",
        2,
        [
            ("sim", "Perpanjangan SIM", "J", 60, 45, 5, 3),
            ("skck", "SKCK", "K", 200, 30, 3, 5),
        ],
    ),
    "bapenda": (
        "Bapenda",
        2,
        [
            ("pbb", "PBB", "L", 300, 20, 2.5, 6),
            ("bphtb", "BPHTB", "M", 100, 30, 4, 2),
        ],
    ),
    "bankjatim": (
        "Bank Jatim",
        3,
        [
            ("setor", "Setoran dan Pembayaran", "N", 400, 15, 1.5, 12),
            ("rekening", "Pembukaan Rekening", "P", 150, 30, 5, 4),
        ],
    ),
    "dpmptsp": (
        "DPMPTSP",
        2,
        [
            ("nib", "Perizinan Berusaha (NIB)", "Q", 150, 30, 4, 4),
            ("pbg", "Persetujuan Bangunan (PBG)", "R", 25, 60, 8, 2),
        ],
    ),
}
REQUESTS = (
    ("", "Pembuatan NPWP"),
    ("", "Legalisir ijazah"),
    ("", "Pengurusan sertifikat tanah (BPN)"),
    ("dukcapil", "Akta kematian bisa diurus di sini?"),
    ("imigrasi", "Paspor untuk bayi"),
    ("samsat", "Mutasi kendaraan dari luar provinsi"),
    ("bpjs", "BPJS Ketenagakerjaan"),
    ("", "Layanan Kantor Pos"),
    ("bankjatim", "Kredit usaha rakyat (KUR)"),
)
# Arrivals per hour from 08:00 to 15:00: a mid-morning peak, a lunch dip, an afternoon hump.
_HOURLY_WEIGHT = (10, 12, 12, 11, 8, 10, 9, 7)


def _venue() -> Venue:
    hours = OpeningHours(open=dt.time(8, 0), close=dt.time(16, 0))
    tenants, services, counters = {}, {}, {}
    number = 0
    for tenant_id, (name, desks, offered) in _TENANTS.items():
        tenants[tenant_id] = Tenant(id=tenant_id, name=name, short_name=name)
        for sid, sname, prefix, quota, sla, minutes, _ in offered:
            services[sid] = Service(
                id=sid,
                tenant=tenant_id,
                name=sname,
                prefix=prefix,
                daily_quota=quota,
                sla_minutes=sla,
                typical_minutes=minutes,
                priority_lane=sid != "sim",
                last_issue=dt.time(14, 30) if sid == "paspor" else None,
            )
        for _ in range(desks):
            number += 1
            counters[str(number)] = Counter(
                id=str(number),
                label=f"Loket {number}",
                tenant=tenant_id,
                services=tuple(s[0] for s in offered),
                zone="lantai1" if number <= 10 else "lantai2",
            )
    return Venue(
        id="mpp-bench",
        name="MPP Simulasi Kota Malang",
        timezone="Asia/Jakarta",
        hours=dict.fromkeys(WEEK, hours),
        tenants=tenants,
        services=services,
        counters=counters,
        zones={
            "lantai1": Zone(id="lantai1", name="Lantai 1", displays=("d1",), speaker="d1"),
            "lantai2": Zone(id="lantai2", name="Lantai 2", displays=("d2",), speaker="d2"),
        },
    )


VENUE = _venue()


def venue_toml() -> str:
    """`VENUE` as a venue file, for commands that load one (`antrean report --venue`)."""
    v = VENUE
    lines = [
        "[venue]",
        f'id = "{v.id}"',
        f'name = "{v.name}"',
        f'timezone = "{v.timezone}"',
        "",
        "[hours]",
        *(f'{day} = ["08:00", "16:00"]' for day in WEEK),
    ]
    for t in v.tenants.values():
        lines += ["", f"[tenants.{t.id}]", f'name = "{t.name}"', f'short_name = "{t.short_name}"']
    for s in v.services.values():
        lines += [
            "",
            f'[services."{s.id}"]',
            f'tenant = "{s.tenant}"',
            f'name = "{s.name}"',
            f'prefix = "{s.prefix}"',
            f"daily_quota = {s.daily_quota}",
            f"sla_minutes = {s.sla_minutes}",
            f"typical_minutes = {s.typical_minutes}",
            f"priority_lane = {str(s.priority_lane).lower()}",
        ]
        if s.last_issue is not None:
            lines.append(f'last_issue = "{s.last_issue:%H:%M}"')
    for c in v.counters.values():
        services = ", ".join(f'"{x}"' for x in c.services)
        lines += ["", f"[counters.{c.id}]", f'label = "{c.label}"', f'tenant = "{c.tenant}"']
        lines += [f"services = [{services}]", f'zone = "{c.zone}"']
    for z in v.zones.values():
        displays = ", ".join(f'"{d}"' for d in z.displays)
        lines += ["", f"[zones.{z.id}]", f'name = "{z.name}"', f"displays = [{displays}]"]
        lines.append(f'speaker = "{z.speaker}"')
    return "\n".join(lines) + "\n"


_WEIGHTS = {s[0]: s[6] for _, _, offered in _TENANTS.values() for s in offered}


class _Desk:
    """What one simulated counter is doing and when it acts next."""

    def __init__(self, counter: str) -> None:
        self.counter = counter
        self.officer = f"petugas-{int(counter):02d}"
        self.phase = "closed"  # closed, idle, called, serving, break
        self.due: dt.datetime | None = None
        self.recalled = False
        self.rested = False
        self.held: list[tuple[dt.datetime, str]] = []


class _Day:
    """One simulated day: sends commands through `decide` and keeps what it needs to know."""

    def __init__(self, state: State, day: dt.date, seed: int) -> None:
        self.state = state
        self.day = day
        self.rng = random.Random(f"{seed}-{day}")
        self.tz = ZoneInfo(VENUE.timezone)
        self.events: list[ev.Event] = []
        self.waiting: dict[str, set[str]] = {s: set() for s in VENUE.services}
        self.service_of: dict[str, str] = {}
        self.desks = [_Desk(c) for c in VENUE.counters]
        # (when, command) to send later: returns, visitor cancellations, check-ins.
        self.later: list[tuple[dt.datetime, cmd.Command]] = []

    def at(self, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(hour, minute), self.tz)

    def send(self, command: cmd.Command, now: dt.datetime) -> list[ev.Event]:
        """Decide and apply `command`; refusals come back as DomainError, like a console."""
        events = decide(VENUE, self.state, command, now)
        for event in events:
            evolve(self.state, event)
            self._observe(event)
        self.events.extend(events)
        return events

    def try_send(self, command: cmd.Command, now: dt.datetime) -> list[ev.Event]:
        try:
            return self.send(command, now)
        except DomainError:
            return []

    def _observe(self, event: ev.Event) -> None:
        if isinstance(event, ev.TicketIssued | ev.TicketTransferred):
            self.service_of[event.ticket] = event.service
            self.waiting[event.service].add(event.ticket)
        elif isinstance(event, ev.TicketReturned):
            self.waiting[self.service_of[event.ticket]].add(event.ticket)
        elif isinstance(event, ev.TicketCalled | ev.TicketCancelled):
            self.waiting[self.service_of[event.ticket]].discard(event.ticket)

    def anyone_for(self, counter: str) -> bool:
        return any(self.waiting[s] for s in VENUE.counters[counter].services)


def busy_day(day: dt.date = DAY, seed: int = 7, state: State | None = None) -> list[ev.Event]:
    """The events of one simulated busy day at `VENUE` (see the module docstring)."""
    sim = _Day(state if state is not None else State(), day, seed)
    _book_online(sim)
    arrivals = _arrivals(sim)
    now = sim.at(8, 0)
    for desk in sim.desks:
        sim.send(cmd.OpenCounter(counter=desk.counter, officer=desk.officer), now)
        desk.phase = "idle"
    end = sim.at(17, 30)
    while now <= end:
        while arrivals and arrivals[0] <= now:
            _arrive(sim, arrivals.pop(0))
        _run_later(sim, now)
        for desk in sim.desks:
            _work(sim, desk, now)
        if now >= sim.at(16, 0) and all(d.phase == "closed" for d in sim.desks):
            break
        now += STEP
    return sim.events


def _arrivals(sim: _Day) -> list[dt.datetime]:
    hours = sim.rng.choices(range(8), weights=_HOURLY_WEIGHT, k=ARRIVALS)
    seconds = [(8 + h) * 3600 + sim.rng.uniform(0, 3600) for h in hours]
    midnight = sim.at(0, 0)
    return sorted(midnight + dt.timedelta(seconds=s) for s in seconds)


def _pick_service(sim: _Day) -> str:
    return sim.rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()))[0]


def _arrive(sim: _Day, now: dt.datetime) -> None:
    rng = sim.rng
    if rng.random() < 0.008:
        tenant, text = rng.choice(REQUESTS)
        channel: ev.Channel = "kiosk" if rng.random() < 0.7 else "online"
        sim.send(cmd.RequestService(tenant=tenant, text=text, channel=channel), now)
        return
    service = _pick_service(sim)
    channel = "staff" if rng.random() < 0.04 else "kiosk"
    priority = rng.random() < 0.1 and VENUE.services[service].priority_lane
    itinerary = (_other_tenant_service(sim, service),) if rng.random() < 0.06 else ()
    command = cmd.IssueTicket(
        service=service,
        visit=f"v-{now:%H%M%S%f}",
        channel=channel,
        priority=priority,
        itinerary=itinerary,
        confirmed_by="satpam" if priority else "",
    )
    try:
        issued = sim.send(command, now)
    except DomainError as refused:
        if refused.code in TURN_AWAY_CODES:
            reason = refused.code
            sim.send(cmd.RecordTurnAway(service=service, channel=channel, reason=reason), now)
        return
    _maybe_give_up(sim, issued, now)


def _maybe_give_up(sim: _Day, issued: list[ev.Event], now: dt.datetime) -> None:
    for event in issued:
        if isinstance(event, ev.TicketIssued) and sim.rng.random() < 0.03:
            when = now + dt.timedelta(minutes=sim.rng.uniform(10, 60))
            sim.later.append((when, cmd.CancelTicket(ticket=event.ticket, reason="pulang")))


def _other_tenant_service(sim: _Day, service: str) -> str:
    tenant = VENUE.services[service].tenant
    others = [s.id for s in VENUE.services.values() if s.tenant != tenant]
    return sim.rng.choice(others)


def _book_online(sim: _Day) -> None:
    """Bookings made early in the morning for today's slots; most check in on time."""
    rng = sim.rng
    now = sim.at(7, 0) + dt.timedelta(minutes=rng.uniform(0, 30))
    for i in range(60):
        service = _pick_service(sim)
        slot = dt.time(rng.choice(range(8, 15)), rng.choice((0, 30)))
        code = f"BK{sim.day:%m%d}{i:03d}"
        book = cmd.BookVisit(
            service=service,
            day=sim.day,
            slot=slot,
            booking=code,
            visit=f"b-{sim.day:%m%d}-{i}",
            holder=f"holder-{sim.day}-{i}",
            holder_masked="3573********0001",
        )
        if not sim.try_send(book, now):
            continue
        roll = rng.random()
        start = dt.datetime.combine(sim.day, slot, sim.tz)
        if roll < 0.8:
            when = start + dt.timedelta(minutes=rng.uniform(-20, 20))
            sim.later.append((when, cmd.CheckIn(booking=code)))
        elif roll < 0.88:
            when = now + dt.timedelta(minutes=rng.uniform(5, 60))
            sim.later.append((when, cmd.CancelBooking(booking=code)))
        # The rest never come: a booking no-show.


def _run_later(sim: _Day, now: dt.datetime) -> None:
    due = [item for item in sim.later if item[0] <= now]
    if not due:
        return
    sim.later = [item for item in sim.later if item[0] > now]
    for _, command in sorted(due, key=lambda item: item[0]):
        if isinstance(command, cmd.CancelTicket) and not _still_waiting(sim, command.ticket):
            continue  # called meanwhile: the visitor stays
        # A late check-in or a used booking is refused, as the kiosk would refuse it.
        sim.try_send(command, now)


def _still_waiting(sim: _Day, ticket: str) -> bool:
    return ticket in sim.waiting[sim.service_of[ticket]]


def _work(sim: _Day, desk: _Desk, now: dt.datetime) -> None:
    if desk.due is not None and desk.due > now:
        return
    if desk.phase == "idle":
        _idle(sim, desk, now)
    elif desk.phase == "called":
        _arrived_or_not(sim, desk, now)
    elif desk.phase == "serving":
        _finish(sim, desk, now)
    elif desk.phase == "break":
        # Back from the break with the afternoon officer.
        desk.officer += "b"
        sim.send(cmd.OpenCounter(counter=desk.counter, officer=desk.officer), now)
        desk.phase, desk.due = "idle", None


def _idle(sim: _Day, desk: _Desk, now: dt.datetime) -> None:
    counter = desk.counter
    if desk.held and desk.held[0][0] <= now:
        _, ticket = desk.held.pop(0)
        sim.send(cmd.Resume(counter=counter, officer=desk.officer, ticket=ticket), now)
        _serve_for(sim, desk, ticket, now)
        return
    if sim.at(12, 0) <= now < sim.at(12, 30) and int(counter) % 2 == 0 and not desk.rested:
        sim.send(cmd.PauseCounter(counter=counter, officer=desk.officer), now)
        desk.phase, desk.due = "break", now + dt.timedelta(minutes=30)
        desk.rested = True
        return
    if sim.anyone_for(counter) and now < sim.at(17, 0):
        sim.send(cmd.CallNext(counter=counter, officer=desk.officer), now)
        desk.phase, desk.recalled = "called", False
        desk.due = now + dt.timedelta(minutes=sim.rng.uniform(0.2, 1.0))
    elif now >= sim.at(16, 0) and not desk.held:
        sim.send(cmd.CloseCounter(counter=counter, officer=desk.officer), now)
        desk.phase, desk.due = "closed", None


def _arrived_or_not(sim: _Day, desk: _Desk, now: dt.datetime) -> None:
    rng, counter, officer = sim.rng, desk.counter, desk.officer
    roll = rng.random()
    if roll < 0.1 and not desk.recalled:
        sim.send(cmd.Recall(counter=counter, officer=officer), now)
        desk.recalled, desk.due = True, now + dt.timedelta(minutes=1)
        return
    if roll < 0.04 or (desk.recalled and roll < 0.4):
        ticket = sim.send(cmd.NoShow(counter=counter, officer=officer), now)[0]
        assert isinstance(ticket, ev.TicketNoShow)
        if rng.random() < 0.25:
            when = now + dt.timedelta(minutes=rng.uniform(5, 20))
            sim.later.append((when, cmd.ReturnTicket(ticket=ticket.ticket, officer="informasi")))
        desk.phase, desk.due = "idle", None
        return
    started = sim.send(cmd.StartServing(counter=counter, officer=officer), now)[0]
    assert isinstance(started, ev.ServingStarted)
    _serve_for(sim, desk, started.ticket, now)


def _serve_for(sim: _Day, desk: _Desk, ticket: str, now: dt.datetime) -> None:
    typical = VENUE.services[sim.service_of[ticket]].typical_minutes
    desk.phase = "serving"
    desk.due = now + dt.timedelta(minutes=typical * sim.rng.uniform(0.3, 1.4))


def _finish(sim: _Day, desk: _Desk, now: dt.datetime) -> None:
    rng, counter, officer = sim.rng, desk.counter, desk.officer
    roll = rng.random()
    current = sim.state.counter(counter).ticket
    assert current is not None
    if roll < 0.03:
        target = _transfer_target(sim, sim.service_of[current])
        sim.send(cmd.Transfer(counter=counter, officer=officer, service=target, front=True), now)
    elif roll < 0.05 and now < sim.at(15, 30):
        sim.send(cmd.Hold(counter=counter, officer=officer), now)
        desk.held.append((now + dt.timedelta(minutes=rng.uniform(3, 10)), current))
    elif roll < 0.065:
        cancel = cmd.CancelTicket(
            ticket=current, by="officer", officer=officer, reason="Berkas tidak lengkap"
        )
        sim.send(cancel, now)
    else:
        sim.send(cmd.Done(counter=counter, officer=officer), now)
    desk.phase, desk.due = "idle", None


def _transfer_target(sim: _Day, service: str) -> str:
    tenant = VENUE.services[service].tenant
    siblings = [s.id for s in VENUE.services.values() if s.tenant == tenant and s.id != service]
    if siblings and sim.rng.random() < 0.6:
        return sim.rng.choice(siblings)
    return _other_tenant_service(sim, service)


def busy_days(first: dt.date, days: int, seed: int = 7) -> Iterator[list[ev.Event]]:
    """Consecutive simulated days sharing one state, as one venue's log would hold them."""
    state = State()
    for offset in range(days):
        yield busy_day(first + dt.timedelta(days=offset), seed + offset, state)


def _summary(events: list[ev.Event]) -> str:
    kinds: dict[str, int] = {}
    for event in events:
        kinds[type(event).__name__] = kinds.get(type(event).__name__, 0) + 1
    return "\n".join(f"  {name:<18} {count:>6}" for name, count in sorted(kinds.items()))


if __name__ == "__main__":
    chosen = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    simulated = busy_day(seed=chosen)
    print(f"{VENUE.name}, {DAY}: {len(simulated)} events")
    print(_summary(simulated))
