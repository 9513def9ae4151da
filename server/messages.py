"""What the domain's refusals say: each code's sentence, in the caller's language.

The domain raises `DomainError(code, **params)` with codes and numbers only; here each code
has its Indonesian sentence (a catalogue msgid, `server.i18n`), with `{placeholders}` filled
from the error's params. {counter} is the counter's label as the venue writes it ("Loket 7",
"Meja Informasi"); {channel} and {reason} are codes, said in words here.
"""

from __future__ import annotations

from server.domain.errors import DomainError
from server.i18n import N_, NP_, Marked, gettext, translate

# code -> Indonesian sentence (the msgid).
REFUSALS: dict[str, str] = {
    "unknown_service": N_("Layanan '{service}' tidak dikenal."),
    "unknown_counter": N_("Tidak ada loket bernomor '{counter}'."),
    "unknown_ticket": N_("Tiket '{ticket}' tidak ditemukan hari ini."),
    "counter_closed": N_("{counter} sedang tutup. Buka loket terlebih dahulu."),
    "counter_on_break": N_("{counter} sedang istirahat. Buka kembali loket terlebih dahulu."),
    "counter_already_open": N_("{counter} sudah buka."),
    "counter_already_closed": N_("{counter} sudah tutup."),
    "counter_busy": N_(
        "{counter} masih menangani {label}. Selesaikan, tahan, atau tandai tidak hadir."
    ),
    "counter_idle": N_("{counter} tidak sedang menangani tiket."),
    "counter_has_held": N_("{counter} masih menahan {count} tiket. Lanjutkan atau batalkan dulu."),
    "nobody_waiting": N_("Tidak ada antrean untuk {counter}."),
    "not_served_here": N_("{counter} tidak melayani {label}."),
    "ticket_not_waiting": N_("Tiket {label} tidak sedang menunggu (status: {status})."),
    "ticket_not_called": N_("Tiket {label} belum dipanggil atau sudah dilayani."),
    "ticket_not_no_show": N_("Tiket {label} tidak berstatus tidak hadir (status: {status})."),
    "ticket_not_held": N_("Tiket {label} tidak sedang ditahan di {counter}."),
    "ticket_finished": N_("Tiket {label} sudah selesai (status: {status})."),
    "recall_limit": N_("Tiket {label} sudah dipanggil ulang {recalls} kali. Tandai tidak hadir."),
    "transfer_target_missing": N_("Pilih layanan atau loket tujuan pengalihan."),
    "transfer_to_self": N_("Tiket tidak bisa dialihkan ke loket yang sama."),
    "venue_closed": N_("{venue} sedang tutup ({reason}). Silakan kembali pada jam layanan."),
    "issue_closed": N_(
        "Pengambilan nomor untuk {service} sudah ditutup pukul {time}. Silakan kembali besok."
    ),
    "quota_full": N_(
        "Kuota hari ini untuk {service} habis. Silakan kembali besok atau pesan online."
    ),
    "channel_quota_full": N_("Kuota {channel} hari ini untuk {service} habis."),
    "no_priority_lane": N_("Layanan {service} tidak memiliki jalur prioritas."),
    "running_text_too_long": N_("Teks berjalan terlalu panjang (maksimal {limit} karakter)."),
    "day_full": N_(
        "Kuota hari ini untuk {service} habis: sisa jam layanan hari ini tidak cukup untuk "
        "melayani antrean baru. Silakan kembali besok atau pesan online."
    ),
    "priority_unconfirmed": N_(
        "Tiket prioritas perlu konfirmasi petugas. Silakan minta bantuan petugas."
    ),
    "unknown_tenant": N_("Instansi '{tenant}' tidak dikenal."),
    "survey_closed": N_(
        "Survei untuk tiket {ticket} sudah ditutup atau tiketnya tidak dikenal. Survei dibuka "
        "sampai akhir hari layanan berikutnya setelah Anda dilayani."
    ),
    "survey_unknown": N_(
        "Nomor antrean {ticket} tidak dikenal. Periksa lagi nomor pada tiket Anda, misalnya A-007."
    ),
    "survey_answered": N_(
        "Survei untuk tiket {ticket} sudah diisi. Terima kasih atas penilaian Anda."
    ),
    "survey_not_served": N_(
        "Tiket {ticket} belum selesai dilayani. Survei dapat diisi setelah layanan selesai."
    ),
    "survey_invalid": N_(
        "Jawaban survei tidak lengkap atau tidak sah. Jawab kesembilan pertanyaan dengan "
        "pilihan yang tersedia, lalu kirim lagi."
    ),
    "unknown_complaint": N_(
        "Laporan dengan kode '{complaint}' tidak ditemukan. Periksa kembali kode pelacakannya."
    ),
    "complaint_exists": N_("Laporan {complaint} sudah tercatat."),
    "complaint_invalid": N_("Isian laporan tidak sah. Periksa isian dan kirim lagi."),
    "complaint_text_length": N_("Tuliskan laporan Anda dengan {low} sampai {high} karakter."),
    "complaint_step_invalid": N_(
        "Langkah itu tidak bisa dilakukan pada laporan {complaint} sekarang (mungkin petugas "
        "lain sudah menanganinya). Muat ulang halaman untuk melihat statusnya."
    ),
    "complaint_note_missing": N_(
        "Tuliskan tindak lanjut atau jawaban untuk pelapor pada laporan {complaint}."
    ),
    "request_text_invalid": N_("Tuliskan layanan yang Anda cari (3 sampai {limit} karakter)."),
    "notice_too_long": N_("Pengumuman terlalu panjang (maksimal {limit} karakter)."),
    "alert_invalid": N_("Peringatan tidak dikenal."),
    "alert_acknowledged": N_("Peringatan ini sudah ditanggapi oleh {by} pukul {time}."),
    "booking_disabled": N_("Pemesanan online tidak tersedia di sini."),
    "booking_day_invalid": N_("Pilih tanggal mulai hari ini sampai {days} hari ke depan."),
    "booking_slot_invalid": N_("Jam yang dipilih tidak tersedia untuk {service} pada tanggal itu."),
    "booking_slot_past": N_("Jam yang dipilih sudah lewat. Pilih jam lain."),
    "booking_slot_full": N_("Jam {time} sudah penuh. Pilih jam lain."),
    "booking_incomplete": N_("Data pemesanan belum lengkap."),
    "booking_exists": N_("Kode pemesanan {booking} sudah ada."),
    "booking_taken": N_(
        "Pemesanan tidak dapat dibuat untuk data ini. Satu NIK atau nomor HP hanya dapat "
        "memesan satu kali per layanan per hari. Untuk mengubah jam, buka pemesanan Anda dan "
        "batalkan dahulu, atau pilih hari lain."
    ),
    "unknown_booking": N_("Kode pemesanan '{booking}' tidak ditemukan. Periksa kembali kodenya."),
    "booking_cancelled": N_("Pemesanan {booking} sudah dibatalkan."),
    "booking_used": N_("Pemesanan {booking} sudah digunakan untuk check-in."),
    "booking_other_day": N_(
        "Pemesanan ini untuk tanggal {day}. Silakan datang pada tanggal tersebut."
    ),
    "check_in_early": N_("Check-in untuk pemesanan ini dibuka pukul {time}."),
    "check_in_late": N_(
        "Batas check-in pemesanan ini pukul {time} sudah lewat. Silakan ambil nomor antrean biasa."
    ),
    "clock_behind": N_(
        "Jam server mundur ke {time}, padahal antrean sudah mencatat pukul {current}. Periksa "
        "jam server."
    ),
    "itinerary_too_long": N_("Paling banyak {limit} layanan lanjutan dalam satu kunjungan."),
    "command_id_reused": N_(
        "Kode permintaan ini sudah dipakai untuk permintaan lain, jadi tidak dijalankan. Muat "
        "ulang halaman lalu coba lagi."
    ),
}

# How people name the ways a ticket is taken, for messages.
CHANNELS: dict[str, str] = {
    "kiosk": N_("anjungan"),
    "online": N_("pemesanan online"),
    "staff": N_("petugas"),
    "itinerary": N_("lanjutan layanan"),
}

# Why the venue is closed now (`Venue.closed_reason`), for messages.
CLOSED_REASONS: dict[str, str] = {
    "holiday": N_("hari libur"),
    "closed_day": N_("tidak buka hari ini"),
    "before_open": N_("belum buka"),
    "after_close": N_("sudah tutup"),
    "break": N_("jam istirahat"),
}

# Complaints (`server.domain.complaints`): each kind's name and what it is for, and each
# status as the citizen and the handlers read it.
# The names are said in the "complaint" context: "Ditolak" is a rejected report here, a
# visitor turned away elsewhere.
COMPLAINT_KINDS: dict[str, tuple[Marked, str]] = {
    "pengaduan": (
        NP_("complaint", "Pengaduan"),
        N_("Layanan, petugas, waktu, biaya, atau fasilitas yang tidak sesuai standar."),
    ),
    "aspirasi": (
        NP_("complaint", "Aspirasi atau saran"),
        N_("Usulan agar pelayanan di sini lebih baik."),
    ),
    "layanan_belum_tersedia": (
        NP_("complaint", "Layanan belum tersedia"),
        N_("Layanan yang Anda cari belum ada di mal pelayanan ini."),
    ),
    "apresiasi": (
        NP_("complaint", "Apresiasi"),
        N_("Pujian untuk petugas atau layanan yang memuaskan."),
    ),
}
COMPLAINT_STATUSES: dict[str, Marked] = {
    "diterima": NP_("complaint", "Diterima"),
    "diverifikasi": NP_("complaint", "Diverifikasi"),
    "diteruskan": NP_("complaint", "Diteruskan ke instansi"),
    "ditindaklanjuti": NP_("complaint", "Ditindaklanjuti"),
    "selesai": NP_("complaint", "Selesai"),
    "ditolak": NP_("complaint", "Ditolak"),
}


def complaint_kind(kind: str, lang: str) -> str:
    return translate(lang, COMPLAINT_KINDS[kind][0])


def complaint_status(status: str, lang: str) -> str:
    return translate(lang, COMPLAINT_STATUSES[status])


def explain(error: DomainError, lang: str = "id") -> str:
    """The refusal as a sentence for a person, in `lang` ("id" or "en")."""
    params = dict(error.params)
    if "channel" in params:
        channel = str(params["channel"])
        params["channel"] = gettext(lang, CHANNELS[channel]) if channel in CHANNELS else channel
    if error.code == "venue_closed":
        params["reason"] = closed_reason(str(params["reason"]), lang)
    return gettext(lang, REFUSALS[error.code], **params)


def closed_reason(reason: str, lang: str = "id") -> str:
    """Why the venue is closed, in words ("jam istirahat")."""
    return gettext(lang, CLOSED_REASONS[reason])
