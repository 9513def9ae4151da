"""Loading and validating a venue TOML file (server.config)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from server.config import (
    DEMO_VENUE,
    INDONESIAN_TIMEZONES,
    ConfigError,
    Problem,
    check_file,
    load_venue,
    load_venue_text,
)

# A small venue that is valid; each test breaks one thing in it with `venue_toml`.
BASE = """\
[venue]
id = "contoh"
name = "MPP Contoh"
timezone = "Asia/Jakarta"

[hours]
mon = ["08:00", "16:00"]
fri = ["08:00", "16:00"]

[[breaks]]
days = ["fri"]
start = "11:30"
end = "13:00"
name = "Salat Jumat"

[[holidays]]
date = 2026-08-17
name = "Hari Kemerdekaan"

[tenants.dukcapil]
name = "Dispendukcapil"

[tenants.imigrasi]
name = "Imigrasi"

[services.ktp]
tenant = "dukcapil"
name = "Perekaman KTP-el"
prefix = "A"
daily_quota = 400
last_issue = "15:00"

[services.paspor]
tenant = "imigrasi"
name = "Paspor Baru"
prefix = "PB"
daily_quota = 50

[counters.1]
label = "Loket 1"
tenant = "dukcapil"
services = ["ktp"]
zone = "hall"

[counters.2]
label = "Loket 2"
tenant = "imigrasi"
services = ["paspor"]
zone = "hall"

[zones.hall]
name = "Aula"
displays = ["tv-1", "tv-2"]
speaker = "tv-1"
"""


def _blocks(text: str) -> list[list[str]]:
    """`text` cut into tables: each block starts with its header line (the first has none)."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("["):
            blocks.append([])
        blocks[-1].append(line)
    return blocks


def _header(block: list[str]) -> str:
    return block[0].strip("[]") if block and block[0].startswith("[") else ""


def _set(blocks: list[list[str]], dotted: str, value: str | None) -> None:
    table, _, key = dotted.rpartition(".")
    block = next(b for b in blocks if _header(b) == table)
    index = next((i for i, line in enumerate(block) if line.startswith(f"{key} =")), None)
    if index is None:
        block.insert(1, f"{key} = {value}")
    elif value is None:
        del block[index]
    else:
        block[index] = f"{key} = {value}"


def venue_toml(
    changes: Mapping[str, str | None] | None = None,
    *,
    drop: Iterable[str] = (),
    extra: str = "",
) -> str:
    """BASE with keys set (`{"services.ktp.prefix": '"B"'}`, None removes the key), the tables
    named in `drop` (and their sub-tables) removed, and `extra` TOML appended.

    `breaks.start` addresses the first [[breaks]] table.
    """
    blocks = _blocks(BASE)
    for dotted, value in (changes or {}).items():
        _set(blocks, dotted, value)
    dropped = tuple(drop)
    kept = [b for b in blocks if not any(_header(b).split(".")[0] == d for d in dropped)]
    return "\n".join(line for b in kept for line in b) + "\n" + extra


def problems_in(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        load_venue_text(text)
    assert caught.value.problems, "ConfigError must carry at least one problem"
    return caught.value.problems


def only_problem(text: str, code: str, path: str) -> Problem:
    """The single problem in `text`, asserted to have this code and key path."""
    found = problems_in(text)
    assert [(p.code, p.path) for p in found] == [(code, path)], found
    assert found[0].message and found[0].fix
    return found[0]


def has_problem(text: str, code: str, path: str) -> Problem:
    """A problem with this code and path among others that follow from the same mistake."""
    found = problems_in(text)
    matching = [p for p in found if (p.code, p.path) == (code, path)]
    assert matching, found
    return matching[0]


class TestDemoVenue:
    """The shipped Malang venue loads without problems and is big enough to be realistic."""

    def test_has_no_problems(self) -> None:
        assert check_file(DEMO_VENUE) == []

    def test_counts(self) -> None:
        venue = load_venue(DEMO_VENUE)
        assert len(venue.tenants) >= 10
        assert len(venue.services) >= 32
        assert len(venue.counters) >= 24
        assert len(venue.zones) == 3

    def test_every_zone_has_a_speaker_among_its_displays(self) -> None:
        venue = load_venue(DEMO_VENUE)
        assert all(zone.speaker in zone.displays for zone in venue.zones.values())

    def test_friday_prayer_closes_the_counters(self) -> None:
        venue = load_venue(DEMO_VENUE)
        wib = dt.timezone(dt.timedelta(hours=7))
        assert venue.timezone == "Asia/Jakarta"
        assert venue.closed_reason(dt.datetime(2026, 7, 10, 12, 0, tzinfo=wib)) == "break"
        assert venue.closed_reason(dt.datetime(2026, 7, 9, 12, 0, tzinfo=wib)) is None
        assert venue.closed_reason(dt.datetime(2026, 8, 17, 9, 0, tzinfo=wib)) == "holiday"


class TestValidFile:
    """A valid file becomes a Venue whose ids come from the table keys."""

    def test_base_loads(self) -> None:
        venue = load_venue_text(BASE)
        assert venue.id == "contoh"
        assert venue.services["ktp"].id == "ktp"
        assert venue.counters["1"].services == ("ktp",)
        assert venue.zones["hall"].id == "hall"
        assert venue.hours["mon"].close == dt.time(16, 0)
        assert venue.holidays[0].date == dt.date(2026, 8, 17)

    def test_defaults_apply(self) -> None:
        venue = load_venue_text(BASE)
        assert (venue.priority_ratio, venue.max_recalls, venue.return_policy) == (2, 3, "front")
        assert venue.services["paspor"].sla_minutes == 30

    def test_dotted_times_and_toml_local_times_are_accepted(self) -> None:
        text = venue_toml(
            {"hours.mon": '["08.00", 16:00:00]', "services.ktp.last_issue": "15:30:00"}
        )
        venue = load_venue_text(text)
        assert venue.hours["mon"].open == dt.time(8, 0)
        assert venue.services["ktp"].last_issue == dt.time(15, 30)

    def test_load_venue_reads_a_file(self, tmp_path: Path) -> None:
        path = tmp_path / "venue.toml"
        path.write_text(BASE, encoding="utf-8")
        assert check_file(path) == []
        assert load_venue(path).name == "MPP Contoh"


class TestFileProblems:
    """A file that cannot be read or parsed is one problem, never a traceback."""

    def test_missing_file(self, tmp_path: Path) -> None:
        [problem] = check_file(tmp_path / "nope.toml")
        assert problem.code == "file_missing"
        assert "nope.toml" in problem.message

    def test_missing_file_raises_config_error_from_load(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError) as caught:
            load_venue(tmp_path / "nope.toml")
        assert caught.value.file.endswith("nope.toml")
        assert caught.value.problems[0].code == "file_missing"

    def test_directory(self, tmp_path: Path) -> None:
        [problem] = check_file(tmp_path)
        assert problem.code == "file_unreadable"

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.toml"
        path.write_bytes(BASE.replace("Aula", "Ruang Tunggu Utama \xe9").encode("latin-1"))
        [problem] = check_file(path)
        assert problem.code == "file_unreadable"

    def test_syntax_error_names_the_line(self, tmp_path: Path) -> None:
        path = tmp_path / "broken.toml"
        path.write_text(BASE.replace('name = "MPP Contoh"', "name = MPP Contoh"), "utf-8")
        [problem] = check_file(path)
        assert problem.code == "toml_syntax"
        assert "line 3" in problem.message


class TestShape:
    """Wrong types, missing or unknown keys are reported with their full key path."""

    def test_wrong_type(self) -> None:
        problem = only_problem(
            venue_toml({"services.ktp.daily_quota": '"400"'}),
            "type_error",
            "services.ktp.daily_quota",
        )
        assert '"400"' in problem.message
        assert "whole number" in problem.message

    def test_wrong_type_inside_an_array(self) -> None:
        only_problem(
            venue_toml({"counters.1.services": '["ktp", 7]'}),
            "type_error",
            "counters.1.services[1]",
        )

    def test_unknown_key_suggests_the_right_one(self) -> None:
        problem = only_problem(
            venue_toml({"services.ktp.daily_quota": None, "services.ktp.daily_qouta": "400"}),
            "unknown_key",
            "services.ktp.daily_qouta",
        )
        assert "daily_quota" in problem.fix

    def test_missing_key(self) -> None:
        only_problem(venue_toml({"services.ktp.name": None}), "missing_key", "services.ktp.name")

    def test_missing_venue_table(self) -> None:
        only_problem(venue_toml(drop=["venue"]), "missing_key", "venue")

    def test_unknown_section_suggests_the_right_one(self) -> None:
        problem = only_problem(
            venue_toml(extra='[service.kk]\nname = "Kartu Keluarga"\n'), "unknown_key", "service"
        )
        assert "services" in problem.fix

    def test_id_written_inside_a_keyed_table(self) -> None:
        only_problem(venue_toml({"services.ktp.id": '"ktp"'}), "unknown_key", "services.ktp.id")

    def test_badly_written_time(self) -> None:
        only_problem(
            venue_toml({"services.ktp.last_issue": '"25:00"'}),
            "time_format",
            "services.ktp.last_issue",
        )

    def test_badly_written_date(self) -> None:
        only_problem(
            venue_toml({"holidays.date": '"17-08-2026"'}), "date_format", "holidays[0].date"
        )

    def test_unknown_choice_lists_the_choices(self) -> None:
        problem = only_problem(
            venue_toml({"venue.return_policy": '"back"'}), "invalid_choice", "venue.return_policy"
        )
        assert "front" in problem.fix
        assert "original" in problem.fix

    def test_id_that_is_not_a_slug(self) -> None:
        only_problem(
            venue_toml(extra='[tenants."Dinas Sosial"]\nname = "Dinsos"\n'),
            "id_format",
            "tenants.Dinas Sosial",
        )

    def test_venue_id_that_is_not_a_slug(self) -> None:
        problem = only_problem(venue_toml({"venue.id": '"MPP Merdeka"'}), "id_format", "venue.id")
        assert '"mpp-merdeka"' in problem.fix

    def test_counter_id_that_is_not_a_number(self) -> None:
        extra = '[counters.info]\nlabel = "Info"\ntenant = "dukcapil"\nservices = ["ktp"]\n'
        only_problem(venue_toml(extra=extra + 'zone = "hall"\n'), "id_format", "counters.info")

    def test_blank_name(self) -> None:
        only_problem(venue_toml({"services.ktp.name": '" "'}), "name_blank", "services.ktp.name")

    @pytest.mark.parametrize("section", ["hours", "tenants", "services", "counters"])
    def test_empty_section(self, section: str) -> None:
        has_problem(venue_toml(drop=[section]), "empty_section", section)


class TestTimezone:
    """The venue's timezone must exist and be one of Indonesia's three."""

    def test_unknown_timezone_suggests_a_close_one(self) -> None:
        problem = only_problem(
            venue_toml({"venue.timezone": '"Asia/Jakata"'}), "unknown_timezone", "venue.timezone"
        )
        assert "Asia/Jakarta" in problem.fix

    def test_zone_label_written_as_timezone(self) -> None:
        problem = only_problem(
            venue_toml({"venue.timezone": '"WITA"'}), "unknown_timezone", "venue.timezone"
        )
        assert 'timezone = "Asia/Makassar"' in problem.fix

    def test_foreign_timezone_with_the_same_clock(self) -> None:
        problem = only_problem(
            venue_toml({"venue.timezone": '"Asia/Bangkok"'}),
            "timezone_not_indonesian",
            "venue.timezone",
        )
        assert "Asia/Jakarta" in problem.fix

    def test_foreign_timezone_with_another_clock(self) -> None:
        problem = only_problem(
            venue_toml({"venue.timezone": '"Europe/Amsterdam"'}),
            "timezone_not_indonesian",
            "venue.timezone",
        )
        assert "Asia/Makassar" in problem.fix

    @pytest.mark.parametrize("zone", sorted(INDONESIAN_TIMEZONES))
    def test_indonesian_zones_are_accepted(self, zone: str) -> None:
        assert load_venue_text(venue_toml({"venue.timezone": f'"{zone}"'})).timezone == zone


class TestVenueSettings:
    """Venue-wide numbers stay in their meaningful range."""

    def test_negative_priority_ratio(self) -> None:
        only_problem(
            venue_toml({"venue.priority_ratio": "-1"}),
            "priority_ratio_negative",
            "venue.priority_ratio",
        )

    def test_priority_ratio_zero_means_priority_first(self) -> None:
        assert load_venue_text(venue_toml({"venue.priority_ratio": "0"})).priority_ratio == 0

    @pytest.mark.parametrize("scope", ["counter", "lane"])
    def test_priority_scope(self, scope: str) -> None:
        venue = load_venue_text(venue_toml({"venue.priority_scope": f'"{scope}"'}))
        assert venue.priority_scope == scope

    def test_unknown_priority_scope_names_the_choices(self) -> None:
        problem = only_problem(
            venue_toml({"venue.priority_scope": '"loket"'}),
            "invalid_choice",
            "venue.priority_scope",
        )
        assert "counter, lane" in problem.fix

    def test_max_recalls_below_one(self) -> None:
        only_problem(
            venue_toml({"venue.max_recalls": "0"}), "max_recalls_too_low", "venue.max_recalls"
        )


class TestCalendar:
    """Opening hours, breaks, holidays and last-issue times form a coherent day."""

    def test_close_before_open(self) -> None:
        only_problem(venue_toml({"hours.mon": '["16:00", "08:00"]'}), "hours_inverted", "hours.mon")

    @pytest.mark.parametrize("day", ["senin", "Monday"])
    def test_unknown_weekday_in_hours_suggests_the_short_english_key(self, day: str) -> None:
        problem = only_problem(
            venue_toml({f"hours.{day}": '["08:00", "16:00"]'}), "unknown_weekday", f"hours.{day}"
        )
        assert "did you mean 'mon'?" in problem.fix

    def test_unknown_weekday_in_a_break(self) -> None:
        only_problem(
            venue_toml({"breaks.days": '["fri", "jum"]'}), "unknown_weekday", "breaks[0].days[1]"
        )

    def test_break_ending_before_it_starts(self) -> None:
        only_problem(
            venue_toml({"breaks.start": '"13:00"', "breaks.end": '"11:30"'}),
            "break_inverted",
            "breaks[0]",
        )

    def test_overlapping_breaks_on_the_same_day(self) -> None:
        extra = '[[breaks]]\ndays = ["mon", "fri"]\nstart = "12:00"\nend = "12:30"\n'
        problem = only_problem(venue_toml(extra=extra), "breaks_overlap", "breaks[1]")
        assert "fri" in problem.message
        assert "mon" not in problem.message

    def test_break_on_a_closed_day(self) -> None:
        problem = only_problem(
            venue_toml({"breaks.days": '["fri", "sun"]'}), "break_outside_hours", "breaks[0]"
        )
        assert "sun (closed)" in problem.message

    def test_break_past_closing_time(self) -> None:
        only_problem(venue_toml({"breaks.end": '"16:30"'}), "break_outside_hours", "breaks[0]")

    def test_last_issue_after_closing(self) -> None:
        only_problem(
            venue_toml({"services.ktp.last_issue": '"17:00"'}),
            "last_issue_outside_hours",
            "services.ktp.last_issue",
        )

    def test_duplicate_holiday(self) -> None:
        extra = '[[holidays]]\ndate = 2026-08-17\nname = "HUT RI"\n'
        only_problem(venue_toml(extra=extra), "duplicate_holiday", "holidays[1].date")


class TestServices:
    """Services have a well-formed unique prefix, a known tenant and sane numbers."""

    @pytest.mark.parametrize("prefix", ["A1", "ABCD", "", "Á"])
    def test_prefix_format(self, prefix: str) -> None:
        only_problem(
            venue_toml({"services.ktp.prefix": f'"{prefix}"'}),
            "prefix_format",
            "services.ktp.prefix",
        )

    def test_lowercase_prefix_suggests_uppercase(self) -> None:
        problem = only_problem(
            venue_toml({"services.ktp.prefix": '"kt"'}), "prefix_format", "services.ktp.prefix"
        )
        assert "'KT'" in problem.fix

    def test_duplicate_prefix_names_the_owner_and_a_free_letter(self) -> None:
        problem = only_problem(
            venue_toml({"services.paspor.prefix": '"A"'}),
            "duplicate_prefix",
            "services.paspor.prefix",
        )
        assert "services.ktp" in problem.message
        assert "'B'" in problem.fix

    def test_duplicate_prefix_ignores_case(self) -> None:
        found = problems_in(venue_toml({"services.paspor.prefix": '"a"'}))
        assert {p.code for p in found} == {"prefix_format", "duplicate_prefix"}

    def test_unknown_tenant_suggests_a_close_one(self) -> None:
        problem = only_problem(
            venue_toml({"services.ktp.tenant": '"dukcapl"'}),
            "unknown_tenant",
            "services.ktp.tenant",
        )
        assert "dukcapil" in problem.fix

    @pytest.mark.parametrize("key", ["daily_quota", "kiosk_quota", "online_quota"])
    def test_negative_quota(self, key: str) -> None:
        only_problem(
            venue_toml({f"services.ktp.{key}": "-1"}), "negative_quota", f"services.ktp.{key}"
        )

    def test_channel_quotas_above_the_daily_quota(self) -> None:
        problem = only_problem(
            venue_toml({"services.ktp.kiosk_quota": "300", "services.ktp.online_quota": "200"}),
            "channel_quota_exceeds_daily",
            "services.ktp.daily_quota",
        )
        assert "500" in problem.message

    @pytest.mark.parametrize("minutes", ["0", "-5"])
    def test_sla_not_positive(self, minutes: str) -> None:
        only_problem(
            venue_toml({"services.ktp.sla_minutes": minutes}),
            "sla_not_positive",
            "services.ktp.sla_minutes",
        )

    def test_typical_minutes_not_positive(self) -> None:
        only_problem(
            venue_toml({"services.ktp.typical_minutes": "0"}),
            "typical_minutes_not_positive",
            "services.ktp.typical_minutes",
        )

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("inf", "typical_minutes_too_high"),
            ("601", "typical_minutes_too_high"),
            ("nan", "typical_minutes_not_positive"),
        ],
    )
    def test_typical_minutes_must_be_a_real_duration(self, value: str, code: str) -> None:
        only_problem(
            venue_toml({"services.ktp.typical_minutes": value}),
            code,
            "services.ktp.typical_minutes",
        )

    def test_service_nobody_serves(self) -> None:
        extra = (
            '[services.kk]\ntenant = "dukcapil"\nname = "Kartu Keluarga"\nprefix = "B"\n'
            "daily_quota = 200\n"
        )
        problem = only_problem(venue_toml(extra=extra), "service_unserved", "services.kk")
        assert "dukcapil" in problem.fix


class TestCounters:
    """Counters belong to a known tenant, sit in a known zone and serve its own services."""

    def test_unknown_tenant(self) -> None:
        only_problem(
            venue_toml({"counters.1.tenant": '"dukcapl"'}), "unknown_tenant", "counters.1.tenant"
        )

    def test_unknown_service(self) -> None:
        only_problem(
            venue_toml({"counters.1.services": '["ktp", "kk"]'}),
            "unknown_service",
            "counters.1.services[1]",
        )

    def test_service_of_another_tenant(self) -> None:
        problem = only_problem(
            venue_toml({"counters.1.services": '["ktp", "paspor"]'}),
            "foreign_service",
            "counters.1.services[1]",
        )
        assert "imigrasi" in problem.message

    def test_unknown_zone(self) -> None:
        only_problem(
            venue_toml({"counters.2.zone": '"lantai9"'}), "unknown_zone", "counters.2.zone"
        )

    def test_counter_without_services(self) -> None:
        extra = '[counters.3]\nlabel = "Loket 3"\ntenant = "dukcapil"\nservices = []\n'
        problem = only_problem(
            venue_toml(extra=extra + 'zone = "hall"\n'),
            "counter_without_services",
            "counters.3.services",
        )
        assert '"ktp"' in problem.fix


class TestZones:
    """Each zone has counters, and its speaker is one of its own displays."""

    def test_speaker_not_among_displays(self) -> None:
        only_problem(
            venue_toml({"zones.hall.speaker": '"tv-9"'}),
            "speaker_not_display",
            "zones.hall.speaker",
        )

    def test_zone_without_counters(self) -> None:
        extra = '[zones.lantai2]\nname = "Lantai 2"\ndisplays = ["tv-3"]\nspeaker = "tv-3"\n'
        only_problem(venue_toml(extra=extra), "zone_without_counters", "zones.lantai2")

    def test_display_in_two_zones(self) -> None:
        extra = '[zones.lantai2]\nname = "Lantai 2"\ndisplays = ["tv-2"]\nspeaker = "tv-2"\n'
        only_problem(
            venue_toml({"counters.2.zone": '"lantai2"'}, extra=extra),
            "display_in_two_zones",
            "zones.lantai2.displays[0]",
        )


class TestEveryProblemAtOnce:
    """One load reports all the mistakes in a file, without echoes of the same mistake."""

    def test_three_mistakes_three_problems(self) -> None:
        text = venue_toml(
            {
                "venue.timezone": '"Asia/Jakata"',
                "hours.mon": '["16:00", "08:00"]',
                "services.paspor.prefix": '"A"',
            }
        )
        found = problems_in(text)
        assert [(p.code, p.path) for p in found] == [
            ("unknown_timezone", "venue.timezone"),
            ("hours_inverted", "hours.mon"),
            ("duplicate_prefix", "services.paspor.prefix"),
        ]

    def test_type_errors_in_several_entries_are_all_reported(self) -> None:
        text = venue_toml(
            {"services.ktp.daily_quota": '"400"', "counters.2.zone": "3", "venue.max_recalls": "0"}
        )
        paths = {p.path for p in problems_in(text)}
        assert paths == {"services.ktp.daily_quota", "counters.2.zone", "venue.max_recalls"}

    def test_two_bad_keys_in_one_entry_are_both_reported(self) -> None:
        text = venue_toml({"services.ktp.sla_minutes": '"30"', "services.ktp.prefx": '"A"'})
        paths = {p.path for p in problems_in(text)}
        assert paths == {"services.ktp.sla_minutes", "services.ktp.prefx"}

    def test_a_bad_setting_does_not_hide_the_timezone(self) -> None:
        text = venue_toml({"venue.return_policy": '"back"', "venue.timezone": '"UTC"'})
        codes = [p.code for p in problems_in(text)]
        assert codes == ["invalid_choice", "timezone_not_indonesian"]

    def test_a_misshapen_section_is_not_also_reported_empty(self) -> None:
        text = "hours = 5\n" + venue_toml(drop=["hours"])
        only_problem(text, "type_error", "hours")

    def test_bad_displays_do_not_make_the_speaker_wrong(self) -> None:
        only_problem(
            venue_toml({"zones.hall.displays": '"tv-1"'}), "type_error", "zones.hall.displays"
        )

    def test_a_broken_counter_does_not_make_its_services_unserved(self) -> None:
        only_problem(venue_toml({"counters.2.label": "2"}), "type_error", "counters.2.label")

    def test_a_broken_tenant_is_still_a_known_tenant(self) -> None:
        only_problem(
            venue_toml({"tenants.imigrasi.name": "1"}), "type_error", "tenants.imigrasi.name"
        )

    def test_error_text_lists_one_problem_per_line(self) -> None:
        text = venue_toml({"venue.max_recalls": "0", "zones.hall.speaker": '"tv-9"'})
        with pytest.raises(ConfigError) as caught:
            load_venue_text(text, "venue.toml")
        lines = str(caught.value).splitlines()
        assert len(lines) == 2
        assert lines[0].startswith("venue.toml: venue.max_recalls: max_recalls must be at least 1")
        assert lines[0].endswith(")")
        assert "(fix: " in lines[1]
        assert lines[1].startswith("venue.toml: zones.hall.speaker: ")

    def test_check_file_returns_problems_instead_of_raising(self, tmp_path: Path) -> None:
        path = tmp_path / "venue.toml"
        path.write_text(venue_toml({"venue.max_recalls": "0"}), encoding="utf-8")
        assert [p.code for p in check_file(path)] == ["max_recalls_too_low"]


class TestAnnouncements:
    """[announcements] words the calls of a venue; mistakes in it are named like any other."""

    def test_defaults_follow_audio_md(self) -> None:
        style = load_venue_text(venue_toml()).announcements
        assert (style.opening, style.digit_by_digit, style.include_tenant) == (
            "Nomor antrean",
            False,
            False,
        )

    def test_a_venue_chooses_its_wording(self) -> None:
        extra = '[announcements]\ndigit_by_digit = true\ninclude_tenant = true\nopening = "Antrean nomor"\n'
        style = load_venue_text(venue_toml(extra=extra)).announcements
        assert (style.digit_by_digit, style.include_tenant, style.opening) == (
            True,
            True,
            "Antrean nomor",
        )

    def test_unknown_key(self) -> None:
        only_problem(
            venue_toml(extra="[announcements]\nvolume = 11\n"),
            "unknown_key",
            "announcements.volume",
        )
