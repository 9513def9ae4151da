"""The satisfaction index (IKM, Indeks Kepuasan Masyarakat) exactly as PermenPANRB 14/2017
computes it. Pure: numbers in, numbers out.

Nine elements (*unsur*), each answered 1–4. The mean answer of an unsur is its NRR (*nilai
rata-rata*); each weighs exactly 1/9 (published reports often round the weight to 0,111 or
0,11 and get the index wrong in the second decimal); IKM = Σ NRR × 1/9, on a 1–4 scale, and
the converted value (*nilai IKM konversi*) is IKM × 25. The arithmetic is done in fractions
and rounded once, at the end, half up to 2 decimals; the grade (*mutu*) and the performance
(*kinerja*) are read off the regulation's interval table on that rounded value (the table
leaves gaps such as 88,30 / 88,31, so grading an unrounded value would be undefined).

Answers are kept by unsur key, never by position: published questionnaires disagree on
whether complaints or facilities is the eighth. `UNSUR` holds the regulation's order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal

import msgspec

Mutu = Literal["A", "B", "C", "D"]
SCALE = 25
WEIGHT = Fraction(1, 9)
TWO_PLACES = Decimal("0.01")


class Unsur(msgspec.Struct, frozen=True):
    """One element of the questionnaire: its key, its name, the question and the labels of
    answers 1 to 4, all in the regulation's Indonesian (translated where shown)."""

    key: str
    name: str
    question: str
    labels: tuple[str, str, str, str]


UNSUR: tuple[Unsur, ...] = (
    Unsur(
        "persyaratan",
        "Persyaratan",
        "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis "
        "pelayanannya?",
        ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    ),
    Unsur(
        "prosedur",
        "Sistem, Mekanisme, dan Prosedur",
        "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
        ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
    ),
    Unsur(
        "waktu",
        "Waktu Penyelesaian",
        "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
        ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
    ),
    Unsur(
        "biaya",
        "Biaya/Tarif",
        "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
        ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
    ),
    Unsur(
        "produk",
        "Produk Spesifikasi Jenis Pelayanan",
        "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum "
        "dalam standar pelayanan dengan hasil yang diberikan?",
        ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    ),
    Unsur(
        "kompetensi",
        "Kompetensi Pelaksana",
        "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
        ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
    ),
    Unsur(
        "perilaku",
        "Perilaku Pelaksana",
        "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait "
        "kesopanan dan keramahan?",
        (
            "Tidak sopan dan ramah",
            "Kurang sopan dan ramah",
            "Sopan dan ramah",
            "Sangat sopan dan ramah",
        ),
    ),
    Unsur(
        "pengaduan",
        "Penanganan Pengaduan, Saran dan Masukan",
        "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
        (
            "Tidak ada",
            "Ada tetapi tidak berfungsi",
            "Berfungsi kurang maksimal",
            "Dikelola dengan baik",
        ),
    ),
    Unsur(
        "sarana",
        "Sarana dan Prasarana",
        "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
        ("Buruk", "Cukup", "Baik", "Sangat baik"),
    ),
)
KEYS: tuple[str, ...] = tuple(u.key for u in UNSUR)
BY_KEY: dict[str, Unsur] = {u.key: u for u in UNSUR}

# The respondent profile of the regulation's form, all optional ("" = not given).
AGE_BANDS: tuple[str, ...] = ("<20", "20-29", "30-39", "40-49", "50-59", "60+")
SEXES: tuple[str, ...] = ("L", "P")
EDUCATION: tuple[str, ...] = ("SD", "SMP", "SMA", "D1-D3", "D4-S1", "S2-S3")
OCCUPATIONS: tuple[str, ...] = ("PNS", "TNI", "POLRI", "SWASTA", "WIRAUSAHA", "PELAJAR", "LAINNYA")
PROFILE: dict[str, tuple[str, ...]] = {
    "age": AGE_BANDS,
    "sex": SEXES,
    "education": EDUCATION,
    "occupation": OCCUPATIONS,
}
MAX_COMMENT = 1000


def age_band(years: int) -> str:
    """The band of an age in years ("35" on a paper form → "30-39")."""
    if years < 20:
        return "<20"
    if years >= 60:
        return "60+"
    low = years // 10 * 10
    return f"{low}-{low + 9}"


def answers_problem(answers: Mapping[str, int]) -> str | None:
    """What is wrong with a set of answers ("" keys, values outside 1–4), or None."""
    missing = [k for k in KEYS if k not in answers]
    if missing:
        return "missing:" + ",".join(missing)
    extra = sorted(set(answers) - set(KEYS))
    if extra:
        return "unknown:" + ",".join(extra)
    bad = [k for k in KEYS if answers[k] not in (1, 2, 3, 4)]
    if bad:
        return "range:" + ",".join(bad)
    return None


class Band(msgspec.Struct, frozen=True):
    """One row of the regulation's interval table, on the converted value."""

    low: Decimal
    high: Decimal
    mutu: Mutu
    kinerja: str


# PermenPANRB 14/2017, Lampiran: nilai interval konversi IKM → mutu pelayanan, kinerja unit.
BANDS: tuple[Band, ...] = (
    Band(Decimal("25.00"), Decimal("64.99"), "D", "Tidak Baik"),
    Band(Decimal("65.00"), Decimal("76.60"), "C", "Kurang Baik"),
    Band(Decimal("76.61"), Decimal("88.30"), "B", "Baik"),
    Band(Decimal("88.31"), Decimal("100.00"), "A", "Sangat Baik"),
)


def grade(value: Decimal) -> Band:
    """The band of a converted value rounded to 2 decimals (25,00–100,00)."""
    for band in BANDS:
        if band.low <= value <= band.high:
            return band
    raise ValueError(f"IKM {value} is outside 25.00–100.00 or not rounded to 2 decimals")


def round2(value: Fraction) -> Decimal:
    """Half up to 2 decimals, from the exact fraction (no float on the way)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    # 28 significant digits are ample for any mean of 1–4 answers; quantize rounds once.
    return exact.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


class Tally:
    """Answers summed per unsur, so any number of responses folds in constant memory."""

    __slots__ = ("respondents", "sums")

    def __init__(self) -> None:
        self.respondents = 0
        self.sums: dict[str, int] = dict.fromkeys(KEYS, 0)

    def add(self, answers: Mapping[str, int]) -> None:
        self.respondents += 1
        for key in KEYS:
            self.sums[key] += answers[key]

    def merge(self, other: Tally) -> None:
        self.respondents += other.respondents
        for key in KEYS:
            self.sums[key] += other.sums[key]

    def result(self) -> Result | None:
        """The index of what was added, or None with no response yet."""
        if not self.respondents:
            return None
        return compute(self.sums, self.respondents)


class Result(msgspec.Struct, frozen=True):
    """The index of a set of responses. `nrr` is exact; the rest is rounded once."""

    respondents: int
    nrr: dict[str, Fraction]
    ikm: Fraction
    value: Decimal
    mutu: Mutu
    kinerja: str
    weakest: str

    def nrr_rounded(self, key: str, places: int = 2) -> Decimal:
        exact = self.nrr[key]
        quantum = Decimal(1).scaleb(-places)
        return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            quantum, rounding=ROUND_HALF_UP
        )


def compute(sums: Mapping[str, int], respondents: int) -> Result:
    """The IKM of `respondents` responses whose answers per unsur add up to `sums`."""
    if respondents <= 0:
        raise ValueError("an index needs at least one respondent")
    nrr = {key: Fraction(sums[key], respondents) for key in KEYS}
    ikm = sum((value * WEIGHT for value in nrr.values()), Fraction(0))
    value = round2(ikm * SCALE)
    band = grade(value)
    # The lowest NRR is what to fix first; ties go to the earlier unsur.
    weakest = min(KEYS, key=lambda key: nrr[key])
    return Result(respondents, nrr, ikm, value, band.mutu, band.kinerja, weakest)


def of_responses(responses: Iterable[Mapping[str, int]]) -> Result | None:
    tally = Tally()
    for answers in responses:
        tally.add(answers)
    return tally.result()


def minimum_sample(population: int) -> int:
    """The least number of respondents for a period that served `population` people, by
    the Krejcie–Morgan formula the regulation's table was computed from: χ² = 3,841 (1 df,
    95 %), P = 0,5, d = 0,05, rounded to the nearest respondent (a test checks it gives
    every entry of the printed table)."""
    if population <= 0:
        return 0
    chi2, p, d = Fraction(3841, 1000), Fraction(1, 2), Fraction(1, 20)
    exact = chi2 * population * p * (1 - p) / (d * d * (population - 1) + chi2 * p * (1 - p))
    return math.floor(exact + Fraction(1, 2))
