"""The missing-service recap: requests grouped per tenant and normalised text, counted per
month, from the kiosk and from reports of a missing service; confidential ones counted,
never quoted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from managers.missing import (
    STOP_WORDS,
    VARIANTS,
    Ask,
    MissingBuilder,
    build_missing,
    group_requests,
    months_between,
    normalise,
)
from server.domain import events as ev
from server.domain.events import encode_event
from server.store import open_log
from tests.helpers import local_time, small_venue

VENUE = small_venue()
WIB = ZoneInfo("Asia/Jakarta")


class TestNormalise:
    """Case, accents, punctuation, spacing, a few variants and filler words do not matter;
    word order and the words that name the service do."""

    def test_the_same_service_in_other_words(self) -> None:
        same = ["Pembuatan Paspor", "paspor baru!", "bikin passport", "  PASPOR  ", "Paspor."]
        assert {normalise(text) for text in same} == {"paspor"}

    def test_what_tells_services_apart_stays(self) -> None:
        assert normalise("Perpanjangan paspor") == "perpanjangan paspor"
        assert normalise("KK KTP") != normalise("KTP KK")
        assert normalise("SIM A") != normalise("SIM C")

    def test_joining_marks_and_variants(self) -> None:
        assert normalise("e-KTP") == normalise("KTP-el") == normalise("ktp") == "ktp"
        assert normalise("S.K.C.K") == "skck"
        assert normalise("Akte kelahiran/KK") == "akta kelahiran kk"
        assert normalise("Izin  usaha,\tmikro") == "izin usaha mikro"
        assert normalise("Café") == "cafe"

    def test_only_filler_words_stay_themselves(self) -> None:
        assert normalise("Layanan baru") == "layanan baru"
        assert normalise("!!!") == ""

    def test_variants_lead_to_words_that_stay(self) -> None:
        for canonical in VARIANTS.values():
            assert canonical not in VARIANTS and canonical not in STOP_WORDS

    @given(st.text())
    def test_idempotent(self, text: str) -> None:
        once = normalise(text)
        assert normalise(once) == once

    @given(st.text())
    def test_no_case_and_no_extra_space(self, text: str) -> None:
        key = normalise(text)
        assert key == key.casefold()
        assert key == " ".join(key.split())


WORDS = ["Paspor", "paspor baru", "Pembuatan SIM", "sim", "KTP-el", "akte", "NPWP!", "rahasia x"]
TIMES = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31, 23, 59)
).map(lambda at: at.replace(tzinfo=WIB))
ASKS = st.builds(
    Ask,
    at=TIMES,
    tenant=st.sampled_from(["", "dukcapil", "polres", "gone"]),
    text=st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=20)),
    source=st.sampled_from(["kiosk", "complaint"]),
    confidential=st.booleans(),
)


class TestGrouping:
    """Every request lands in exactly one group, and the group's counts add up."""

    @given(st.lists(ASKS, max_size=60))
    def test_no_request_is_lost(self, asks: list[Ask]) -> None:
        tenants = group_requests(asks)
        assert sum(t.total for t in tenants) == len(asks)
        assert sum(g.total for t in tenants for g in t.groups) == len(asks)
        for ask in asks:
            tenant = next(t for t in tenants if t.tenant == ask.tenant)
            key = "" if ask.confidential else normalise(ask.text)
            assert any(g.key == key and g.confidential == ask.confidential for g in tenant.groups)

    @given(st.lists(ASKS, max_size=60))
    def test_counts_add_up(self, asks: list[Ask]) -> None:
        for tenant in group_requests(asks):
            assert tenant.total == sum(g.total for g in tenant.groups)
            keys = [(g.key, g.confidential) for g in tenant.groups]
            assert len(keys) == len(set(keys))
            for group in tenant.groups:
                assert sum(group.months.values()) == group.total
                assert group.kiosk + group.complaint == group.total
                assert group.first <= group.last
                mine = [
                    a
                    for a in asks
                    if a.tenant == tenant.tenant
                    and a.confidential == group.confidential
                    and (a.confidential or normalise(a.text) == group.key)
                ]
                assert group.total == len(mine)
                assert group.first == min(a.at for a in mine)
                assert group.last == max(a.at for a in mine)
                assert group.kiosk == sum(a.source == "kiosk" for a in mine)
            totals = [g.total for g in tenant.groups]
            assert totals == sorted(totals, reverse=True)

    @given(st.lists(ASKS, max_size=60))
    def test_confidential_words_are_never_shown(self, asks: list[Ask]) -> None:
        for tenant in group_requests(asks):
            for group in tenant.groups:
                if group.confidential:
                    assert (group.key, group.text) == ("", "")
                else:
                    # The wording shown is one a non-confidential request used.
                    assert any(
                        a.text == group.text and not a.confidential and a.tenant == tenant.tenant
                        for a in asks
                    )

    def test_the_most_common_wording_names_the_group(self) -> None:
        at = local_time(VENUE, 2026, 11, 3, 10)
        asks = [
            Ask(at, "", "Pembuatan paspor", "kiosk"),
            Ask(at, "", "paspor", "kiosk"),
            Ask(at, "", "paspor", "complaint"),
            Ask(at, "", "PASPOR BARU", "kiosk"),
        ]
        (general,) = group_requests(asks)
        (group,) = general.groups
        assert (group.key, group.text, group.total) == ("paspor", "paspor", 4)
        assert (group.kiosk, group.complaint) == (3, 1)

    def test_a_tie_goes_to_the_earliest_wording(self) -> None:
        at = local_time(VENUE, 2026, 11, 3, 10)
        asks = [Ask(at, "", "Paspor baru", "kiosk"), Ask(at, "", "paspor", "kiosk")]
        assert group_requests(asks)[0].groups[0].text == "Paspor baru"

    def test_tenants_in_the_order_given_the_venue_last(self) -> None:
        at = local_time(VENUE, 2026, 11, 3, 10)
        asks = [Ask(at, t, "Paspor", "kiosk") for t in ("", "zeta", "polres", "dukcapil")]
        names = {"dukcapil": "Dispendukcapil", "polres": "Satpas SIM"}
        tenants = group_requests(asks, names, ["dukcapil", "polres"])
        assert [(t.tenant, t.name) for t in tenants] == [
            ("dukcapil", "Dispendukcapil"),
            ("polres", "Satpas SIM"),
            ("zeta", "zeta"),
            ("", ""),
        ]

    def test_months_of_a_period(self) -> None:
        assert months_between(dt.date(2026, 11, 1), dt.date(2027, 2, 28)) == (
            "2026-11",
            "2026-12",
            "2027-01",
            "2027-02",
        )
        assert months_between(dt.date(2026, 11, 24), dt.date(2026, 11, 24)) == ("2026-11",)


def requested(day: int, text: str, tenant: str = "", hour: int = 10) -> ev.ServiceRequested:
    at = local_time(VENUE, 2026, 11, day, hour)
    return ev.ServiceRequested(at=at, tenant=tenant, text=text, channel="kiosk")


def filed(
    day: int,
    code: str,
    text: str,
    tenant: str = "",
    kind: str = "layanan_belum_tersedia",
    **kw: bool,
) -> ev.ComplaintFiled:
    at = local_time(VENUE, 2026, 11, day, 11)
    return ev.ComplaintFiled(at=at, complaint=code, kind=kind, tenant=tenant, text=text, **kw)  # type: ignore[arg-type]


def rejected(day: int, code: str, month: int = 11) -> ev.ComplaintStepped:
    at = local_time(VENUE, 2026, month, day, 14)
    return ev.ComplaintStepped(at=at, complaint=code, status="ditolak", by="admin", note="spam")


NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


class TestFromTheLog:
    """The recap reads kiosk requests and missing-service reports of the period; other
    kinds, other periods and rejected reports stay out."""

    def fold(self, events: list[ev.Event], tenant: str | None = None) -> MissingBuilder:
        builder = MissingBuilder(VENUE, *NOVEMBER, tenant=tenant)
        for event in events:
            builder.add(event)
        return builder

    def test_both_sources_in_one_group(self) -> None:
        recap = self.fold(
            [
                requested(3, "Pembuatan Paspor"),
                filed(4, "AAAA-BBBB-CCCC", "Mohon layanan paspor"),
                filed(5, "AAAA-BBBB-CCC1", "Paspor, tolong", kind="pengaduan"),
            ]
        ).finish()
        assert recap.total == 2 and recap.months == ("2026-11",)
        (group,) = recap.tenants[0].groups
        assert (group.key, group.kiosk, group.complaint) == ("paspor", 1, 1)
        assert group.months == {"2026-11": 2}

    def test_outside_the_period_is_left_out(self) -> None:
        october = ev.ServiceRequested(
            at=local_time(VENUE, 2026, 10, 31, 23, 59),
            tenant="",
            text="Paspor",
            channel="kiosk",
        )
        # 1 December 00.30 in Jakarta is still 30 November in UTC: venue days count.
        december = ev.ServiceRequested(
            at=dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.UTC),
            tenant="",
            text="Paspor",
            channel="kiosk",
        )
        assert self.fold([october, requested(30, "Paspor", hour=23), december]).finish().total == 1

    def test_a_rejected_report_is_not_counted_even_when_rejected_later(self) -> None:
        builder = self.fold(
            [
                filed(3, "AAAA-BBBB-CCCC", "Layanan paspor di sini"),
                filed(3, "AAAA-BBBB-CCC1", "Jual obat murah!!!"),
            ]
        )
        builder.add_late(encode_event(rejected(2, "AAAA-BBBB-CCC1", month=12)))
        recap = builder.finish()
        assert recap.total == 1 and recap.tenants[0].groups[0].key == "paspor di sini"

    def test_a_forwarded_report_counts_for_the_tenant_it_was_forwarded_to(self) -> None:
        forwarded = ev.ComplaintStepped(
            at=local_time(VENUE, 2026, 12, 2, 10),
            complaint="AAAA-BBBB-CCCC",
            status="diteruskan",
            by="admin",
            tenant="polres",
        )
        events: list[ev.Event] = [filed(3, "AAAA-BBBB-CCCC", "SIM internasional")]
        builder = self.fold(events, tenant="polres")
        builder.add_late(encode_event(forwarded))
        (polres,) = builder.finish().tenants
        assert polres.tenant == "polres" and polres.groups[0].key == "sim internasional"
        venue_wide = self.fold(events)
        venue_wide.add_late(encode_event(forwarded))
        assert [t.tenant for t in venue_wide.finish().tenants] == ["polres"]
        assert self.fold(events, tenant="polres").finish().total == 0  # not forwarded yet

    def test_a_confidential_report_is_counted_under_its_tenant_unquoted(self) -> None:
        secret = "Petugas X minta uang untuk paspor"
        recap = self.fold(
            [
                filed(3, "AAAA-BBBB-CCCC", secret, tenant="polres", confidential=True),
                requested(4, "SIM internasional", tenant="polres"),
            ]
        ).finish()
        (polres,) = recap.tenants
        assert (polres.tenant, polres.total) == ("polres", 2)
        hidden = next(g for g in polres.groups if g.confidential)
        assert (hidden.key, hidden.text, hidden.complaint) == ("", "", 1)
        assert "uang" not in repr(recap) and "Petugas" not in repr(recap)

    def test_a_supervisor_sees_only_their_tenant(self) -> None:
        events: list[ev.Event] = [
            requested(3, "Paspor"),
            requested(3, "SIM C", tenant="polres"),
            filed(4, "AAAA-BBBB-CCCC", "KTP untuk WNA", tenant="dukcapil"),
        ]
        recap = self.fold(events, tenant="polres").finish()
        assert [t.tenant for t in recap.tenants] == ["polres"] and recap.total == 1
        assert recap.tenant == "polres"

    def test_tenant_names_from_the_venue(self) -> None:
        recap = self.fold([requested(3, "SIM C", tenant="polres")]).finish()
        assert recap.tenants[0].name == "Satpas SIM"

    async def test_read_from_a_real_log(self, tmp_path: Path) -> None:
        events: list[ev.Event] = [
            requested(3, "Paspor"),
            filed(4, "AAAA-BBBB-CCCC", "Layanan paspor"),
            filed(4, "AAAA-BBBB-CCC1", "Beli pulsa di sini bisa?"),
            rejected(20, "AAAA-BBBB-CCC1"),
            requested(5, "paspor baru"),
        ]
        # The rejection comes after the period asked for.
        log = open_log(f"sqlite://{tmp_path / 'antrean.db'}")
        try:
            await log.append(VENUE.id, 0, [encode_event(e) for e in events], "c1")
            recap = await build_missing(log, VENUE, dt.date(2026, 11, 1), dt.date(2026, 11, 10))
        finally:
            await log.close()
        assert recap.total == 3
        (group,) = recap.tenants[0].groups
        assert (group.key, group.kiosk, group.complaint, group.text) == ("paspor", 2, 1, "Paspor")
