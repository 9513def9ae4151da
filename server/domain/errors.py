"""Refusals: every command the domain rejects raises a `DomainError` with a stable code.

The code is for programs (consoles pick an icon or a hint by it); the messages are for
people, in Indonesian first and English second, with the command's details filled in.
"""

from __future__ import annotations

# code -> (Indonesian, English). Placeholders are filled from the error's params; {counter}
# is the counter's label as the venue writes it ("Loket 7", "Meja Informasi").
MESSAGES: dict[str, tuple[str, str]] = {
    "unknown_service": (
        "Layanan '{service}' tidak dikenal.",
        "Unknown service '{service}'.",
    ),
    "unknown_counter": (
        "Tidak ada loket bernomor '{counter}'.",
        "There is no counter numbered '{counter}'.",
    ),
    "unknown_ticket": (
        "Tiket '{ticket}' tidak ditemukan hari ini.",
        "Ticket '{ticket}' not found today.",
    ),
    "counter_closed": (
        "{counter} sedang tutup. Buka loket terlebih dahulu.",
        "{counter} is closed. Open it first.",
    ),
    "counter_on_break": (
        "{counter} sedang istirahat. Buka kembali loket terlebih dahulu.",
        "{counter} is on a break. Reopen it first.",
    ),
    "counter_already_open": (
        "{counter} sudah buka.",
        "{counter} is already open.",
    ),
    "counter_already_closed": (
        "{counter} sudah tutup.",
        "{counter} is already closed.",
    ),
    "counter_busy": (
        "{counter} masih menangani {label}. Selesaikan, tahan, atau tandai tidak hadir.",
        "{counter} is still handling {label}. Finish, hold or mark it a no-show.",
    ),
    "counter_idle": (
        "{counter} tidak sedang menangani tiket.",
        "{counter} is not handling a ticket.",
    ),
    "counter_has_held": (
        "{counter} masih menahan {count} tiket. Lanjutkan atau batalkan dulu.",
        "{counter} still holds {count} ticket(s). Resume or cancel them first.",
    ),
    "nobody_waiting": (
        "Tidak ada antrean untuk {counter}.",
        "Nobody is waiting for {counter}.",
    ),
    "not_served_here": (
        "{counter} tidak melayani {label}.",
        "{counter} does not serve {label}.",
    ),
    "ticket_not_waiting": (
        "Tiket {label} tidak sedang menunggu (status: {status}).",
        "Ticket {label} is not waiting (status: {status}).",
    ),
    "ticket_not_called": (
        "Tiket {label} belum dipanggil atau sudah dilayani.",
        "Ticket {label} has not been called or is already being served.",
    ),
    "ticket_not_no_show": (
        "Tiket {label} tidak berstatus tidak hadir (status: {status}).",
        "Ticket {label} is not a no-show (status: {status}).",
    ),
    "ticket_not_held": (
        "Tiket {label} tidak sedang ditahan di {counter}.",
        "Ticket {label} is not held at {counter}.",
    ),
    "ticket_finished": (
        "Tiket {label} sudah selesai (status: {status}).",
        "Ticket {label} is already finished (status: {status}).",
    ),
    "recall_limit": (
        "Tiket {label} sudah dipanggil ulang {recalls} kali. Tandai tidak hadir.",
        "Ticket {label} was recalled {recalls} times already. Mark it a no-show.",
    ),
    "transfer_target_missing": (
        "Pilih layanan atau loket tujuan pengalihan.",
        "Choose a service or a counter to transfer to.",
    ),
    "transfer_to_self": (
        "Tiket tidak bisa dialihkan ke loket yang sama.",
        "A ticket cannot be transferred to the same counter.",
    ),
    "venue_closed": (
        "{venue} sedang tutup ({reason_id}). Silakan kembali pada jam layanan.",
        "{venue} is closed ({reason_en}). Please come back during opening hours.",
    ),
    "issue_closed": (
        "Pengambilan nomor untuk {service} sudah ditutup pukul {time}. Silakan kembali besok.",
        "Tickets for {service} stopped at {time}. Please come back tomorrow.",
    ),
    "quota_full": (
        "Kuota hari ini untuk {service} habis. Silakan kembali besok atau pesan online.",
        "Today's quota for {service} is used up. Please come back tomorrow or book online.",
    ),
    "channel_quota_full": (
        "Kuota {channel_id} hari ini untuk {service} habis.",
        "Today's {channel_en} quota for {service} is used up.",
    ),
    "no_priority_lane": (
        "Layanan {service} tidak memiliki jalur prioritas.",
        "Service {service} has no priority lane.",
    ),
    "running_text_too_long": (
        "Teks berjalan terlalu panjang (maksimal {limit} karakter).",
        "The running text is too long (at most {limit} characters).",
    ),
    "day_full": (
        "Kuota hari ini untuk {service} habis: sisa jam layanan hari ini tidak cukup untuk "
        "melayani antrean baru. Silakan kembali besok atau pesan online.",
        "Today's quota for {service} is used up: the rest of today's hours cannot serve another "
        "ticket. Please come back tomorrow or book online.",
    ),
    "priority_unconfirmed": (
        "Tiket prioritas perlu konfirmasi petugas. Silakan minta bantuan petugas.",
        "A priority ticket needs a staff member's confirmation. Please ask a staff member.",
    ),
    "unknown_tenant": ("Instansi '{tenant}' tidak dikenal.", "Unknown office '{tenant}'."),
    "request_text_invalid": (
        "Tuliskan layanan yang Anda cari (3 sampai {limit} karakter).",
        "Describe the service you were looking for (3 to {limit} characters).",
    ),
    "notice_too_long": (
        "Pengumuman terlalu panjang (maksimal {limit} karakter).",
        "The notice is too long (at most {limit} characters).",
    ),
    "alert_invalid": ("Peringatan tidak dikenal.", "Unknown alert."),
    "alert_acknowledged": (
        "Peringatan ini sudah ditanggapi oleh {by} pukul {time}.",
        "This alert was already acknowledged by {by} at {time}.",
    ),
    "booking_disabled": (
        "Pemesanan online tidak tersedia di sini.",
        "Online booking is not available here.",
    ),
    "booking_day_invalid": (
        "Pilih tanggal mulai hari ini sampai {days} hari ke depan.",
        "Choose a date from today up to {days} days ahead.",
    ),
    "booking_slot_invalid": (
        "Jam yang dipilih tidak tersedia untuk {service} pada tanggal itu.",
        "That time is not available for {service} on that date.",
    ),
    "booking_slot_past": (
        "Jam yang dipilih sudah lewat. Pilih jam lain.",
        "That time has passed. Choose another.",
    ),
    "booking_slot_full": (
        "Jam {time} sudah penuh. Pilih jam lain.",
        "The {time} slot is full. Choose another.",
    ),
    "booking_incomplete": (
        "Data pemesanan belum lengkap.",
        "The booking is incomplete.",
    ),
    "booking_exists": ("Kode pemesanan {booking} sudah ada.", "Booking {booking} exists."),
    "booking_taken": (
        "Pemesanan tidak dapat dibuat untuk data ini. Satu NIK atau nomor HP hanya dapat "
        "memesan satu kali per layanan per hari. Untuk mengubah jam, buka pemesanan Anda "
        "dan batalkan dahulu, atau pilih hari lain.",
        "The booking cannot be made for these details. One NIK or phone number may book "
        "each service once a day. To change the time, open your booking and cancel it "
        "first, or choose another day.",
    ),
    "unknown_booking": (
        "Kode pemesanan '{booking}' tidak ditemukan. Periksa kembali kodenya.",
        "Booking code '{booking}' not found. Check the code.",
    ),
    "booking_cancelled": (
        "Pemesanan {booking} sudah dibatalkan.",
        "Booking {booking} was cancelled.",
    ),
    "booking_used": (
        "Pemesanan {booking} sudah digunakan untuk check-in.",
        "Booking {booking} was already checked in.",
    ),
    "booking_other_day": (
        "Pemesanan ini untuk tanggal {day}. Silakan datang pada tanggal tersebut.",
        "This booking is for {day}. Please come on that date.",
    ),
    "check_in_early": (
        "Check-in untuk pemesanan ini dibuka pukul {time}.",
        "Check-in for this booking opens at {time}.",
    ),
    "check_in_late": (
        "Batas check-in pemesanan ini pukul {time} sudah lewat. Silakan ambil nomor antrean biasa.",
        "Check-in for this booking closed at {time}. Please take a regular ticket.",
    ),
    "clock_behind": (
        "Jam server mundur ke {time}, padahal antrean sudah mencatat pukul {current}. "
        "Periksa jam server.",
        "The server clock went back to {time} while the queue already recorded {current}. "
        "Check the clock.",
    ),
    "itinerary_too_long": (
        "Paling banyak {limit} layanan lanjutan dalam satu kunjungan.",
        "At most {limit} follow-up services in one visit.",
    ),
    # Not the domain's own refusal but the service's (a command id bound to another
    # command); here so every channel answers it like any other refusal.
    "command_id_reused": (
        "Kode permintaan ini sudah dipakai untuk permintaan lain, jadi tidak dijalankan. "
        "Muat ulang halaman lalu coba lagi.",
        "This request's id was already used for another request, so it was not carried out. "
        "Reload the page and try again.",
    ),
}

# How people name the ways a ticket is taken, for messages.
CHANNEL_NAMES: dict[str, tuple[str, str]] = {
    "kiosk": ("anjungan", "kiosk"),
    "online": ("pemesanan online", "online booking"),
    "staff": ("petugas", "staff"),
    "itinerary": ("lanjutan layanan", "follow-up"),
}

CLOSED_REASONS: dict[str, tuple[str, str]] = {
    "holiday": ("hari libur", "public holiday"),
    "closed_day": ("tidak buka hari ini", "closed today"),
    "before_open": ("belum buka", "not open yet"),
    "after_close": ("sudah tutup", "already closed"),
    "break": ("jam istirahat", "break time"),
}


class DomainError(Exception):
    """A command the domain refuses. Nothing was decided; the state is unchanged."""

    def __init__(self, code: str, **params: object) -> None:
        if code not in MESSAGES:
            raise KeyError(f"no message for domain error code {code!r}")
        if "channel" in params:
            names = CHANNEL_NAMES.get(str(params["channel"]), (params["channel"],) * 2)
            params |= {"channel_id": names[0], "channel_en": names[1]}
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "id") -> str:
        """The refusal as a sentence for a person, in `lang` ("id" or "en")."""
        indonesian, english = MESSAGES[self.code]
        return (english if lang == "en" else indonesian).format(**self.params)
