"""The satisfaction index exactly as PermenPANRB 14/2017 computes it."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import ikm

# The Krejcie–Morgan table as the regulation's Lampiran prints it: population → sample.
KREJCIE_MORGAN = (
    (10, 10), (15, 14), (20, 19), (25, 24), (30, 28), (35, 32), (40, 36), (45, 40),
    (50, 44), (55, 48), (60, 52), (65, 56), (70, 59), (75, 63), (80, 66), (85, 70),
    (90, 73), (95, 76), (100, 80), (110, 86), (120, 92), (130, 97), (140, 103),
    (150, 108), (160, 113), (170, 118), (180, 123), (190, 127), (200, 132), (210, 136),
    (220, 140), (230, 144), (240, 148), (250, 152), (260, 155), (270, 159), (280, 162),
    (290, 165), (300, 169), (320, 175), (340, 181), (360, 186), (380, 191), (400, 196),
    (420, 201), (440, 205), (460, 210), (480, 214), (500, 217), (550, 226), (600, 234),
    (650, 242), (700, 248), (750, 254), (800, 260), (850, 265), (900, 269), (950, 274),
    (1000, 278), (1100, 285), (1200, 291), (1300, 297), (1400, 302), (1500, 306),
    (1600, 310), (1700, 313), (1800, 317), (1900, 320), (2000, 322), (2200, 327),
    (2400, 331), (2600, 335), (2800, 338), (3000, 341), (3500, 346), (4000, 351),
    (4500, 354), (5000, 357), (6000, 361), (7000, 364), (8000, 367), (9000, 368),
    (10000, 370), (15000, 375), (20000, 377), (30000, 379), (40000, 380), (50000, 381),
    (75000, 382), (1000000, 384),
)  # fmt: skip


def sums_of(total: int, respondents: int) -> dict[str, int]:
    """Per-unsur sums adding up to `total`, as even as possible (each within n..4n)."""
    base, extra = divmod(total, 9)
    sums = {key: base + (1 if i < extra else 0) for i, key in enumerate(ikm.KEYS)}
    assert all(respondents <= s <= 4 * respondents for s in sums.values())
    return sums


class TestTheRegulationsArithmetic:
    def test_all_fours_is_100_and_a(self) -> None:
        result = ikm.of_responses([dict.fromkeys(ikm.KEYS, 4)] * 7)
        assert result is not None
        assert (result.value, result.mutu, result.kinerja) == (
            Decimal("100.00"),
            "A",
            "Sangat Baik",
        )

    def test_all_ones_is_25_and_d(self) -> None:
        result = ikm.of_responses([dict.fromkeys(ikm.KEYS, 1)] * 3)
        assert result is not None
        assert (result.value, result.mutu, result.kinerja) == (Decimal("25.00"), "D", "Tidak Baik")

    def test_no_response_has_no_index(self) -> None:
        assert ikm.of_responses([]) is None
        with pytest.raises(ValueError):
            ikm.compute(dict.fromkeys(ikm.KEYS, 0), 0)

    @pytest.mark.parametrize(
        ("value", "mutu", "kinerja"),
        [
            ("25.00", "D", "Tidak Baik"),
            ("64.99", "D", "Tidak Baik"),
            ("65.00", "C", "Kurang Baik"),
            ("76.60", "C", "Kurang Baik"),
            ("76.61", "B", "Baik"),
            ("88.30", "B", "Baik"),
            ("88.31", "A", "Sangat Baik"),
            ("100.00", "A", "Sangat Baik"),
        ],
    )
    def test_each_band_edge(self, value: str, mutu: str, kinerja: str) -> None:
        band = ikm.grade(Decimal(value))
        assert (band.mutu, band.kinerja) == (mutu, kinerja)

    def test_a_value_between_the_tables_rows_is_never_graded_unrounded(self) -> None:
        with pytest.raises(ValueError):
            ikm.grade(Decimal("88.305"))

    @pytest.mark.parametrize(
        ("respondents", "total", "value", "mutu"),
        [
            # 25 × 1367 / (9 × 43) = 88,3074…: rounds to 88,31, so A (88,30 would be B).
            (43, 1367, "88.31", "A"),
            # 76,6081… → 76,61, B.
            (19, 524, "76.61", "B"),
            # 64,9950… → 65,00, C: rounded once, half up, then graded.
            (113, 2644, "65.00", "C"),
        ],
    )
    def test_rounding_once_at_the_end_decides_the_band(
        self, respondents: int, total: int, value: str, mutu: str
    ) -> None:
        result = ikm.compute(sums_of(total, respondents), respondents)
        assert result.ikm * 25 == Fraction(25 * total, 9 * respondents)
        assert (result.value, result.mutu) == (Decimal(value), mutu)

    def test_the_weight_is_exactly_one_ninth_not_0_111(self) -> None:
        respondents, total = 43, 1367
        result = ikm.compute(sums_of(total, respondents), respondents)
        # What a report rounding the weight to 0,111 prints: 88,22, a whole band lower.
        rounded_weight = sum(Fraction(s, respondents) for s in sums_of(total, respondents).values())
        published_wrongly = ikm.round2(rounded_weight * Fraction(111, 1000) * 25)
        assert published_wrongly == Decimal("88.22") and ikm.grade(published_wrongly).mutu == "B"
        assert result.value == Decimal("88.31") and result.mutu == "A"

    def test_the_weakest_unsur_is_the_lowest_nrr(self) -> None:
        answers = [{**dict.fromkeys(ikm.KEYS, 4), "waktu": 2, "biaya": 3}] * 4
        result = ikm.of_responses(answers)
        assert result is not None and result.weakest == "waktu"
        assert result.nrr["waktu"] == 2 and result.nrr_rounded("biaya") == Decimal("3.00")

    def test_answers_are_checked_by_unsur_name(self) -> None:
        good = dict.fromkeys(ikm.KEYS, 3)
        assert ikm.answers_problem(good) is None
        assert ikm.answers_problem({k: v for k, v in good.items() if k != "sarana"}) == (
            "missing:sarana"
        )
        assert ikm.answers_problem({**good, "u10": 3}) == "unknown:u10"
        assert ikm.answers_problem({**good, "biaya": 5}) == "range:biaya"

    def test_age_bands(self) -> None:
        assert [ikm.age_band(y) for y in (17, 20, 29, 35, 59, 60, 81)] == [
            "<20",
            "20-29",
            "20-29",
            "30-39",
            "50-59",
            "60+",
            "60+",
        ]


class TestPublishedReports:
    """Figures that units published, recomputed from what they printed."""

    def test_bantul_dinas_pertanahan_dan_tata_ruang_2023(self) -> None:
        # skm.bantulkab.go.id/skpd-45c48cce2e2d7fbdea1afc51c7c6ad26: IKM 2023 printed as
        # 87,28 from these NRRs (2 decimals; the respondent count is not printed, so 100
        # respondents whose sums give exactly these NRRs). With the weight rounded to
        # 0,111 the same NRRs give 87,19, which is not what they published.
        printed = {
            "persyaratan": 331,
            "prosedur": 335,
            "waktu": 349,
            "biaya": 393,
            "produk": 345,
            "kompetensi": 339,
            "perilaku": 339,
            "pengaduan": 376,
            "sarana": 335,
        }
        result = ikm.compute(printed, 100)
        assert (result.value, result.mutu, result.kinerja) == (Decimal("87.28"), "B", "Baik")
        assert result.weakest == "persyaratan"
        rounded_weight = sum(Fraction(v, 100) for v in printed.values()) * Fraction(111, 1000) * 25
        assert ikm.round2(rounded_weight) == Decimal("87.19")

    def test_a_quarters_totals_from_an_skm_application(self) -> None:
        # github.com/rennn9/GASPUL_BACKEND rumus_perhitungan_ikm_lengkap.md (Triwulan III,
        # 29 respondents; its U8 is Sarana and U9 Pengaduan): 955 points in all, IKM 91,48.
        # The same file also prints 90,56, from weights of 0,11: a whole point too low.
        totals = {
            "persyaratan": 105,
            "prosedur": 101,
            "waktu": 100,
            "biaya": 116,
            "produk": 102,
            "kompetensi": 105,
            "perilaku": 106,
            "sarana": 105,
            "pengaduan": 115,
        }
        result = ikm.compute(totals, 29)
        assert (result.value, result.mutu) == (Decimal("91.48"), "A")
        assert result.weakest == "waktu"
        eleven = sum(Fraction(v, 29) for v in totals.values()) * Fraction(11, 100) * 25
        assert ikm.round2(eleven) == Decimal("90.56")

    def test_tulang_bawang_barat_dukcapil_2023_s1(self) -> None:
        # e-smile.tubaba.go.id/main/skm/laporan/online (Disdukcapil Tulang Bawang Barat,
        # semester 1 2023): one respondent, all 4s, "IKM UNIT PELAYANAN 100 (Sangat Baik)";
        # their stated 0,111 weight would have printed 99,90.
        result = ikm.compute(dict.fromkeys(ikm.KEYS, 4), 1)
        assert (result.value, result.kinerja) == (Decimal("100.00"), "Sangat Baik")
        assert ikm.round2(Fraction(4) * 9 * Fraction(111, 1000) * 25) == Decimal("99.90")


responses = st.lists(
    st.fixed_dictionaries({key: st.integers(1, 4) for key in ikm.KEYS}), min_size=1, max_size=60
)


class TestProperties:
    @given(responses)
    def test_the_index_is_the_mean_answer_times_25(self, answers: list[dict[str, int]]) -> None:
        result = ikm.of_responses(answers)
        assert result is not None
        total = sum(sum(a.values()) for a in answers)
        exact = Fraction(total * 25, 9 * len(answers))
        assert result.ikm * 25 == exact
        assert abs(result.value - Decimal(exact.numerator) / Decimal(exact.denominator)) <= Decimal(
            "0.005"
        )
        assert Decimal(25) <= result.value <= Decimal(100)

    @given(responses, responses)
    def test_tallies_merge_like_one_tally(
        self, first: list[dict[str, int]], second: list[dict[str, int]]
    ) -> None:
        a, b, both = ikm.Tally(), ikm.Tally(), ikm.Tally()
        for answers in first:
            a.add(answers)
            both.add(answers)
        for answers in second:
            b.add(answers)
            both.add(answers)
        a.merge(b)
        assert a.result() == both.result() == ikm.of_responses(list(reversed(first + second)))

    @given(responses)
    def test_a_better_answer_never_lowers_the_grade(self, answers: list[dict[str, int]]) -> None:
        result = ikm.of_responses(answers)
        target = next(((i, k) for i, a in enumerate(answers) for k in ikm.KEYS if a[k] < 4), None)
        if target is None or result is None:
            return
        i, key = target
        better = [dict(a) for a in answers]
        better[i][key] += 1
        improved = ikm.of_responses(better)
        assert improved is not None and improved.value >= result.value
        assert "DCBA".index(improved.mutu) >= "DCBA".index(result.mutu)


class TestMinimumSample:
    @pytest.mark.parametrize(("population", "sample"), KREJCIE_MORGAN)
    def test_every_entry_of_the_printed_table(self, population: int, sample: int) -> None:
        assert ikm.minimum_sample(population) == sample

    def test_between_the_rows_and_at_the_ends(self) -> None:
        assert ikm.minimum_sample(0) == 0
        assert ikm.minimum_sample(1) == 1
        assert ikm.minimum_sample(5) == 5
        assert ikm.minimum_sample(105) in range(80, 87)
        assert ikm.minimum_sample(2_000_000) == 384
