"""The words and numbers of the IKM report's files and the managers' pages, in Indonesian or
English: unsur names, mutu and kinerja, profile options, periods, and numbers written with
the Indonesian decimal comma (88,31) or the English point."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from managers.ikm import Period
from server import dates
from server.domain import ikm
from server.i18n import N_, NP_, Lang, Marked, translate

TEXTS: dict[str, Marked] = {
    "title": N_("Laporan Indeks Kepuasan Masyarakat (IKM)"),
    "period": N_("Periode"),
    "scope": N_("Cakupan"),
    "whole_venue": N_("Seluruh mal"),
    "tenant": NP_("report", "Instansi"),
    "service": N_("Layanan"),
    "unsur": N_("Unsur pelayanan"),
    "nrr": N_("NRR"),
    "nrr_weighted": N_("NRR tertimbang"),
    "bar": N_("Grafik NRR (skala 1–4)"),
    "sum": N_("Jumlah NRR tertimbang"),
    "ikm_unit": N_("IKM unit pelayanan (skala 1–4)"),
    "ikm_value": N_("Nilai IKM konversi (× 25)"),
    "mutu": N_("Mutu pelayanan"),
    "kinerja": N_("Kinerja unit pelayanan"),
    "mutu_short": N_("Mutu"),
    "kinerja_short": N_("Kinerja"),
    "respondents": N_("Responden"),
    "population": N_("Populasi (tiket selesai dilayani)"),
    "minimum_sample": N_("Sampel minimum"),
    "weakest": N_("Unsur terlemah"),
    "weakest_note": N_("Unsur dengan NRR terendah (diberi warna) adalah prioritas perbaikan."),
    "too_few": N_(
        "Jumlah responden {respondents} kurang dari sampel minimum {minimum} untuk populasi "
        "{population}; hasil belum mewakili."
    ),
    "enough": N_(
        "Jumlah responden {respondents} memenuhi sampel minimum {minimum} untuk populasi {population}."
    ),
    "no_respondents": N_("Belum ada responden pada periode ini."),
    "per_scope": N_("IKM per instansi dan layanan"),
    "profile": N_("Profil responden"),
    "comments": N_("Saran dan masukan"),
    "no_comments": N_("Tidak ada saran atau masukan pada periode ini."),
    "date": N_("Tanggal"),
    "comment": N_("Saran"),
    "count": N_("Jumlah"),
    "option": N_("Pilihan"),
    "not_given": N_("Tidak diisi"),
    "age": N_("Umur"),
    "sex": N_("Jenis kelamin"),
    "education": N_("Pendidikan"),
    "occupation": N_("Pekerjaan"),
    "page": N_("Halaman {page} dari {pages}"),
    "basis": N_(
        "Dihitung menurut PermenPANRB Nomor 14 Tahun 2017: NRR tiap unsur × bobot 1/9, "
        "dijumlahkan, dikali 25; responden dihitung pada hari layanan yang dinilai."
    ),
    "ikm_section": N_("Indeks Kepuasan Masyarakat (IKM)"),
    "ikm_of_venue": N_("IKM seluruh mal"),
}
UNSUR_NAMES: dict[str, Marked] = {
    "persyaratan": N_("Persyaratan"),
    "prosedur": N_("Sistem, Mekanisme, dan Prosedur"),
    "waktu": N_("Waktu Penyelesaian"),
    "biaya": N_("Biaya/Tarif"),
    "produk": N_("Produk Spesifikasi Jenis Pelayanan"),
    "kompetensi": N_("Kompetensi Pelaksana"),
    "perilaku": N_("Perilaku Pelaksana"),
    "pengaduan": N_("Penanganan Pengaduan, Saran dan Masukan"),
    "sarana": N_("Sarana dan Prasarana"),
}
KINERJA: dict[str, Marked] = {
    "Sangat Baik": N_("Sangat Baik"),
    "Baik": N_("Baik"),
    "Kurang Baik": N_("Kurang Baik"),
    "Tidak Baik": N_("Tidak Baik"),
}
OPTIONS: dict[str, Marked] = {
    "L": N_("Laki-laki"),
    "P": N_("Perempuan"),
    "PNS": N_("PNS"),
    "TNI": N_("TNI"),
    "POLRI": N_("POLRI"),
    "SWASTA": N_("Pegawai swasta"),
    "WIRAUSAHA": N_("Wirausaha"),
    "PELAJAR": N_("Pelajar/Mahasiswa"),
    "LAINNYA": N_("Lainnya"),
}
PERIOD_KINDS: dict[str, Marked] = {
    "quarter": N_("Triwulan {n} {year}"),
    "semester": N_("Semester {n} {year}"),
    "year": N_("Tahun {year}"),
}


def text(key: str, lang: Lang = "id", **params: object) -> str:
    return translate(lang, TEXTS[key], **params)


def unsur_name(key: str, lang: Lang = "id") -> str:
    marked = UNSUR_NAMES.get(key)
    return translate(lang, marked) if marked is not None else ikm.BY_KEY[key].name


def kinerja(value: str, lang: Lang = "id") -> str:
    marked = KINERJA.get(value)
    return translate(lang, marked) if marked is not None else value


def option(value: str, lang: Lang = "id") -> str:
    if not value:
        return text("not_given", lang)
    marked = OPTIONS.get(value)
    return translate(lang, marked) if marked is not None else value


def format_period(period: Period, lang: Lang = "id") -> str:
    """ "November 2026", "Triwulan 4 2026", "Semester 2 2026", "Tahun 2026", a date."""
    start, end = period.start, period.end
    if period.kind == "day":
        return dates.format_date(start, lang, True)
    if period.kind == "month":
        return f"{dates.month_name(start.month, lang)} {start.year}"
    if period.kind in PERIOD_KINDS:
        n = period.label.rpartition("-")[2][1:] if period.kind != "year" else ""
        return translate(lang, PERIOD_KINDS[period.kind], n=n, year=start.year)
    return f"{dates.format_date(start, lang)} – {dates.format_date(end, lang)}"


def decimal(value: Fraction | Decimal, places: int) -> Decimal:
    """An exact fraction or a decimal rounded half up to `places`."""
    exact = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else value
    )
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def number(value: Fraction | Decimal | None, places: int, lang: Lang = "id") -> str:
    """88,31 in Indonesian, 88.31 in English (no grouping: values stay under 100); "–"
    for no value."""
    if value is None:
        return "–"
    written = str(decimal(value, places))
    return written if lang == "en" else written.replace(".", ",")
