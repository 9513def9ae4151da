"""The words and numbers of a report's files, in Indonesian or English: labels, the
definitions printed with the PDF, channel names, the per-service columns, and dates,
periods and numbers written as each language writes them (2.263 / 42,9 or 2,263 / 42.9)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from managers.reports import Report
from server import dates

Lang = Literal["id", "en"]

# key -> (Indonesian, English)
TEXTS: dict[str, tuple[str, str]] = {
    "title_day": ("Laporan Harian Antrean", "Daily Queue Report"),
    "title_month": ("Laporan Bulanan Antrean", "Monthly Queue Report"),
    "title_range": ("Laporan Antrean", "Queue Report"),
    "venue": ("Mal", "Venue"),
    "period": ("Periode", "Period"),
    "from": ("Dari", "From"),
    "to": ("Sampai", "To"),
    "events": ("Peristiwa dihitung", "Events counted"),
    "level": ("Tingkat", "Level"),
    "level_service": ("layanan", "service"),
    "level_tenant": ("instansi", "tenant"),
    "level_total": ("total", "total"),
    "tenant": ("Instansi", "Tenant"),
    "service": ("Layanan", "Service"),
    "tenant_service": ("Instansi / layanan", "Tenant / service"),
    "issued": ("Tiket", "Tickets"),
    "issued_kiosk": ("Anjungan", "Kiosk"),
    "issued_online": ("Online", "Online"),
    "issued_staff": ("Petugas", "Staff"),
    "issued_itinerary": ("Lanjutan", "Itinerary"),
    "served": ("Dilayani", "Served"),
    "no_show": ("Tidak hadir", "No-show"),
    "cancelled": ("Batal", "Cancelled"),
    "expired": ("Tidak terlayani", "Not served"),
    "turned_away": ("Ditolak", "Turned away"),
    "booking_no_show": ("Booking tidak datang", "Booking no-show"),
    "avg_wait": ("Rata-rata tunggu (menit)", "Average wait (min)"),
    "p90_wait": ("P90 tunggu (menit)", "P90 wait (min)"),
    "avg_service": ("Rata-rata layanan (menit)", "Average service (min)"),
    "sla_minutes": ("Target SLA (menit)", "SLA target (min)"),
    "sla_percent": ("SLA %", "SLA %"),
    "total": ("Total", "Total"),
    "officer": ("Petugas", "Officer"),
    "counters": ("Loket", "Counters"),
    "requests": (
        "Permintaan layanan yang belum tersedia",
        "Requests for services the venue lacks",
    ),
    "requests_none": ("Tidak ada permintaan pada periode ini.", "No requests in this period."),
    "general": ("Umum (tanpa instansi)", "General (no tenant)"),
    "time": ("Waktu", "Time"),
    "channel": ("Saluran", "Channel"),
    "request": ("Permintaan", "Request"),
    "count": ("Jumlah", "Count"),
    "per_service": ("Per instansi dan layanan", "By tenant and service"),
    "per_officer": ("Per petugas", "By officer"),
    "per_day": ("Per hari", "By day"),
    "per_hour": ("Per jam", "By hour"),
    "date": ("Tanggal", "Date"),
    "hour": ("Jam", "Hour"),
    "summary": ("Ringkasan", "Summary"),
    "chart_hourly": (
        "Tiket diterbitkan dan dilayani per jam",
        "Tickets issued and served per hour",
    ),
    "chart_daily": ("Tiket diterbitkan dan dilayani per hari", "Tickets issued and served per day"),
    "chart_wait": (
        "Rata-rata tunggu per instansi dibanding target SLA (menit)",
        "Average wait per tenant against the SLA target (minutes)",
    ),
    "legend_issued": ("Diterbitkan", "Issued"),
    "legend_served": ("Dilayani", "Served"),
    "legend_wait": ("Rata-rata tunggu", "Average wait"),
    "legend_sla": ("Target SLA", "SLA target"),
    "no_data": ("Tidak ada data pada periode ini.", "No data in this period."),
    "no_officers": ("Belum ada tiket yang selesai dilayani.", "No ticket was served."),
    "page": ("Halaman {page} dari {pages}", "Page {page} of {pages}"),
    "minutes": ("menit", "minutes"),
    "by_channel": (
        "anjungan {kiosk} · online {online} · petugas {staff} · lanjutan {itinerary}",
        "kiosk {kiosk} · online {online} · staff {staff} · itinerary {itinerary}",
    ),
    "sla_of": ("{percent} dari {called} tiket dipanggil", "{percent} of {called} called tickets"),
    "sum_issued": ("Tiket diterbitkan", "Tickets issued"),
    "sum_served": ("Dilayani", "Served"),
    "sum_no_show": ("Tidak hadir", "No-show"),
    "sum_cancelled": ("Dibatalkan", "Cancelled"),
    "sum_expired": ("Tidak terlayani sampai tutup", "Not served by closing"),
    "sum_turned_away": (
        "Ditolak (kuota, jam, perkiraan akhir hari)",
        "Turned away (quota, hours, predicted end of day)",
    ),
    "sum_booking_no_show": ("Booking online tidak datang", "Online bookings not checked in"),
    "sum_avg_wait": ("Rata-rata waktu tunggu", "Average wait"),
    "sum_p90_wait": ("P90 waktu tunggu", "P90 wait"),
    "sum_avg_service": ("Rata-rata waktu layanan", "Average service time"),
    "sum_sla": ("Dipanggil dalam target SLA", "Called within the SLA target"),
    "sum_requests": ("Permintaan layanan baru", "Requests for new services"),
    "sum_events": ("Dihitung dari {events} peristiwa log.", "Computed from {events} log events."),
    "definitions": ("Keterangan", "Definitions"),
}
# The definitions printed at the end of the PDF (managers.reports explains them fully).
DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "<b>Waktu tunggu</b>: dari tiket diterbitkan sampai pertama kali dipanggil, dihitung "
        "pada layanan tiket itu diterbitkan. Panggilan ulang, kembali setelah tidak hadir, "
        "dan pengalihan tidak memulai tunggu baru; tiket lanjutan (rangkaian layanan) "
        "dihitung sebagai tiket sendiri.",
        "<b>Wait</b>: from the ticket being issued to its first call, counted under the "
        "service it was issued for. Recalls, a return after a no-show and transfers do not "
        "start a new wait; an itinerary's follow-up ticket counts as a ticket of its own.",
    ),
    (
        "<b>P90</b>: 90% tiket dipanggil dalam waktu ini atau lebih cepat (metode peringkat "
        "terdekat). <b>SLA %</b>: bagian tiket dipanggil yang menunggu paling lama sesuai "
        "target SLA layanannya.",
        "<b>P90</b>: 90% of tickets were called within this time (nearest-rank method). "
        "<b>SLA %</b>: the share of called tickets that waited no longer than their "
        "service's SLA target.",
    ),
    (
        "<b>Waktu layanan</b>: dari mulai dilayani sampai selesai, termasuk waktu ditahan; "
        "dihitung pada layanan dan petugas saat selesai. <b>Tidak hadir</b>: tiket yang "
        "berakhir tidak hadir pada hari itu (yang kembali dan dilayani tidak dihitung). "
        "<b>Tidak terlayani</b>: tiket yang masih menunggu saat hari berakhir.",
        "<b>Service time</b>: from the start of service to done, time on hold included; "
        "counted under the service and officer at the end. <b>No-show</b>: tickets that "
        "ended their day as a no-show (a visitor who came back and was served is not). "
        "<b>Not served</b>: tickets still waiting when the day ended.",
    ),
    (
        "<b>Ditolak</b>: permintaan tiket yang ditolak karena kuota habis, jam pengambilan "
        "berakhir, atau perkiraan akhir hari. Hari = tanggal waktu setempat mal.",
        "<b>Turned away</b>: ticket requests refused because the quota was used up, the "
        "last-issue time had passed or the day was predicted full. Day = the venue's local "
        "date.",
    ),
)
CHANNEL_NAMES = {
    "kiosk": ("anjungan", "kiosk"),
    "online": ("online", "online"),
    "staff": ("petugas", "staff"),
    "itinerary": ("lanjutan", "itinerary"),
}
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


def text(key: str, lang: Lang = "id") -> str:
    indonesian, english = TEXTS[key]
    return english if lang == "en" else indonesian


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[1] if lang == "en" else pair[0]


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
