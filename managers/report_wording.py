"""The words and numbers of a report's files, in Indonesian or English: labels, the
definitions printed with the PDF, channel names, the per-service columns, and dates,
periods and numbers written as each language writes them (2.263 / 42,9 or 2,263 / 42.9)."""

from __future__ import annotations

import datetime as dt

from managers.reports import Report
from server import dates
from server.i18n import N_, NP_, Marked, translate
from server.i18n import Lang as Lang  # the report modules and the CLI name it here

# key -> the Indonesian sentence (a catalogue msgid; `NP_` when it reads differently here).
TEXTS: dict[str, Marked] = {
    "title_day": N_("Laporan Harian Antrean"),
    "title_month": N_("Laporan Bulanan Antrean"),
    "title_range": N_("Laporan Antrean"),
    "venue": N_("Mal"),
    "period": N_("Periode"),
    "from": N_("Dari"),
    "to": N_("Sampai"),
    "events": N_("Peristiwa dihitung"),
    "level": N_("Tingkat"),
    "level_service": NP_("report", "layanan"),
    "level_tenant": N_("instansi"),
    "level_total": N_("total"),
    "tenant": NP_("report", "Instansi"),
    "service": N_("Layanan"),
    "tenant_service": N_("Instansi / layanan"),
    "issued": NP_("report", "Tiket"),
    "issued_kiosk": N_("Anjungan"),
    "issued_online": N_("Online"),
    "issued_staff": NP_("report", "Petugas"),
    "issued_itinerary": N_("Lanjutan"),
    "served": N_("Dilayani"),
    "no_show": N_("Tidak hadir"),
    "cancelled": NP_("report", "Batal"),
    "expired": N_("Tidak terlayani"),
    "turned_away": N_("Ditolak"),
    "booking_no_show": N_("Booking tidak datang"),
    "avg_wait": NP_("report", "Rata-rata tunggu (menit)"),
    "p90_wait": N_("P90 tunggu (menit)"),
    "avg_service": N_("Rata-rata layanan (menit)"),
    "sla_minutes": N_("Target SLA (menit)"),
    "sla_percent": N_("SLA %"),
    "total": N_("Total"),
    "officer": N_("Petugas"),
    "counters": NP_("report", "Loket"),
    "requests": N_("Permintaan layanan yang belum tersedia"),
    "requests_none": N_("Tidak ada permintaan pada periode ini."),
    "general": N_("Umum (tanpa instansi)"),
    "time": N_("Waktu"),
    "channel": N_("Saluran"),
    "request": N_("Permintaan"),
    "recap_title": N_("Layanan yang dicari pengunjung"),
    "grouped_as": N_("Dikelompokkan sebagai"),
    "from_kiosk": N_("Dari anjungan"),
    "from_complaint": N_("Dari pengaduan"),
    "first_seen": N_("Pertama"),
    "last_seen": N_("Terakhir"),
    "confidential": N_("(rahasia)"),
    "count": N_("Jumlah"),
    "per_service": N_("Per instansi dan layanan"),
    "per_officer": N_("Per petugas"),
    "per_day": N_("Per hari"),
    "per_hour": N_("Per jam"),
    "date": N_("Tanggal"),
    "hour": NP_("report", "Jam"),
    "summary": N_("Ringkasan"),
    "chart_hourly": N_("Tiket diterbitkan dan dilayani per jam"),
    "chart_daily": N_("Tiket diterbitkan dan dilayani per hari"),
    "chart_wait": N_("Rata-rata tunggu per instansi dibanding target SLA (menit)"),
    "legend_issued": N_("Diterbitkan"),
    "legend_served": N_("Dilayani"),
    "legend_wait": N_("Rata-rata tunggu"),
    "legend_sla": N_("Target SLA"),
    "no_data": N_("Tidak ada data pada periode ini."),
    "no_officers": N_("Belum ada tiket yang selesai dilayani."),
    "page": N_("Halaman {page} dari {pages}"),
    "minutes": N_("menit"),
    "by_channel": N_("anjungan {kiosk} · online {online} · petugas {staff} · lanjutan {itinerary}"),
    "sla_of": N_("{percent} dari {called} tiket dipanggil"),
    "sum_issued": N_("Tiket diterbitkan"),
    "sum_served": N_("Dilayani"),
    "sum_no_show": N_("Tidak hadir"),
    "sum_cancelled": N_("Dibatalkan"),
    "sum_expired": N_("Tidak terlayani sampai tutup"),
    "sum_turned_away": N_("Ditolak (kuota, jam, perkiraan akhir hari)"),
    "sum_booking_no_show": N_("Booking online tidak datang"),
    "sum_avg_wait": N_("Rata-rata waktu tunggu"),
    "sum_p90_wait": N_("P90 waktu tunggu"),
    "sum_avg_service": N_("Rata-rata waktu layanan"),
    "sum_sla": N_("Dipanggil dalam target SLA"),
    "sum_requests": N_("Permintaan layanan baru"),
    "sum_events": N_("Dihitung dari {events} peristiwa log."),
    "definitions": N_("Keterangan"),
}
# The definitions printed at the end of the PDF (managers.reports explains them fully).
DEFINITIONS: tuple[str, ...] = (
    N_(
        "<b>Waktu tunggu</b>: dari tiket diterbitkan sampai pertama kali dipanggil, dihitung pada "
        "layanan tiket itu diterbitkan. Panggilan ulang, kembali setelah tidak hadir, dan "
        "pengalihan tidak memulai tunggu baru; tiket lanjutan (rangkaian layanan) dihitung sebagai"
        " tiket sendiri."
    ),
    N_(
        "<b>P90</b>: 90% tiket dipanggil dalam waktu ini atau lebih cepat (metode peringkat "
        "terdekat). <b>SLA %</b>: bagian tiket dipanggil yang menunggu paling lama sesuai target "
        "SLA layanannya."
    ),
    N_(
        "<b>Waktu layanan</b>: dari mulai dilayani sampai selesai, termasuk waktu ditahan; "
        "dihitung pada layanan dan petugas saat selesai. <b>Tidak hadir</b>: tiket yang berakhir "
        "tidak hadir pada hari itu (yang kembali dan dilayani tidak dihitung). <b>Tidak "
        "terlayani</b>: tiket yang masih menunggu saat hari berakhir."
    ),
    N_(
        "<b>Ditolak</b>: permintaan tiket yang ditolak karena kuota habis, jam pengambilan "
        "berakhir, atau perkiraan akhir hari. Hari = tanggal waktu setempat mal."
    ),
    N_(
        "<b>Permintaan layanan yang belum tersedia</b>: dari anjungan dan dari pengaduan jenis "
        "layanan belum tersedia (kecuali yang ditolak), dikelompokkan per instansi dan menurut "
        "isinya tanpa membedakan huruf besar, tanda baca, spasi, dan kata seperti “layanan”, "
        "“pembuatan”, “pengurusan”. Laporan rahasia dihitung tanpa dikutip."
    ),
)
# The per-service columns, in order, as Figures fields (`issued` is a property).
COLUMNS = (
    "issued",
    "issued_kiosk",
    "issued_online",
    "issued_staff",
    "issued_itinerary",
    "served",
    "no_show",
    "cancelled",
    "expired",
    "turned_away",
    "booking_no_show",
    "avg_wait",
    "p90_wait",
    "avg_service",
)


def text(key: str, lang: Lang = "id", **params: object) -> str:
    """The label `key` in `lang`, from the catalogue."""
    return translate(lang, TEXTS[key], **params)


def format_date(day: dt.date, lang: Lang = "id", weekday: bool = False) -> str:
    """ "24 November 2026", or "Selasa, 24 November 2026" with the weekday."""
    return dates.format_date(day, lang, weekday)


def format_period(report: Report, lang: Lang = "id") -> str:
    """The report's days as people write them: a date, a month, or a span."""
    start, end = report.start, report.end
    if report.kind == "day":
        return format_date(start, lang, weekday=True)
    if report.kind == "month":
        return f"{dates.month_name(start.month, lang)} {start.year}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{format_date(end, lang)}"
    return f"{format_date(start, lang)} – {format_date(end, lang)}"


def format_number(value: float | None, lang: Lang = "id", decimals: int = 0) -> str:
    """2.263 / 42,9 in Indonesian, 2,263 / 42.9 in English; "–" for no value."""
    if value is None:
        return "–"
    written = f"{value:,.{decimals}f}"
    if lang == "en":
        return written
    return written.replace(",", "_").replace(".", ",").replace("_", ".")


def title(report: Report, lang: Lang = "id") -> str:
    return text(f"title_{report.kind}", lang)
