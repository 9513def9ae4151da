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
        "Kuota {channel} hari ini untuk {service} habis.",
        "Today's {channel} quota for {service} is used up.",
    ),
    "no_priority_lane": (
        "Layanan {service} tidak memiliki jalur prioritas.",
        "Service {service} has no priority lane.",
    ),
    "running_text_too_long": (
        "Teks berjalan terlalu panjang (maksimal {limit} karakter).",
        "The running text is too long (at most {limit} characters).",
    ),
    "clock_behind": (
        "Jam server mundur ke {day}, padahal hari antrean sudah {current}. Periksa jam server.",
        "The server clock went back to {day} while the queue day is {current}. Check the clock.",
    ),
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
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "id") -> str:
        """The refusal as a sentence for a person, in `lang` ("id" or "en")."""
        indonesian, english = MESSAGES[self.code]
        return (english if lang == "en" else indonesian).format(**self.params)
