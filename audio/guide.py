"""What the kiosk says to a visitor who turned on voice guidance ("Panduan suara").

The kiosk speaks with the hall's clip engine: each phrase below and each service's name is
a clip rendered ahead with the call vocabulary (`guide_vocabulary`), so guidance works
offline and a venue's own recordings (`<clip-key>.wav`) replace the synthetic voice here
too. What is said is a list of clip keys, made here and sent to the kiosk with its tiles
and its ticket; the kiosk joins them at `/kiosk/api/say.wav` and never makes a key itself
(except the fixed phrases it names, `PHRASES`).

Guidance is Indonesian, as the announcements are: the voice's vocabulary is Indonesian.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from audio.wording import (
    DEFAULT_STYLE,
    MAX_NUMBER,
    AnnouncementStyle,
    Clip,
    number_clips,
    service_clip,
    tenant_clip,
    ticket_clips,
    vocabulary,
)
from server.domain.estimate import WaitRange
from server.domain.venue import Service, Tenant, Venue

__all__ = [
    "MAX_SAID",
    "MAX_SAID_SECONDS",
    "PHRASES",
    "guide_vocabulary",
    "service_words",
    "speakable",
    "tenant_words",
    "ticket_words",
]

# The kiosk says at most this many clips at once (a screen of 28 tenant names and its
# lead), lasting at most this long: what one kiosk may make the server join and keep.
MAX_SAID = 80
MAX_SAID_SECONDS = 90.0

PHRASES: Mapping[str, str] = {
    "panduan_aktif": (
        "Panduan suara aktif. Tekan tombol panah untuk berpindah pilihan, Enter untuk "
        "memilih, dan Escape untuk kembali."
    ),
    "panduan_mati": "Panduan suara dimatikan.",
    "pilih_instansi": "Pilih instansi yang Anda tuju.",
    "pilih_layanan_di": "Pilih layanan di",
    "orang_menunggu": "orang menunggu",
    "belum_ada_antrean": "belum ada antrean",
    "tidak_tersedia": "tidak tersedia saat ini",
    "yang_anda_pilih": "Layanan yang Anda pilih:",
    "tekan_ambil_nomor": "Tekan Enter untuk mengambil nomor antrean.",
    "antrean_prioritas": "Antrean prioritas, dengan konfirmasi petugas.",
    "nomor_antrean_anda": "Nomor antrean Anda",
    "layanan": "layanan",
    "di_depan_anda": "di depan Anda",
    "orang": "orang",
    "anda_berikutnya": "Anda berikutnya.",
    "perkiraan_tunggu": "perkiraan tunggu",
    "sekitar": "sekitar",
    "kurang_dari": "kurang dari",
    "sampai": "sampai",
    "menit": "menit",
    "ambil_tiket": "Silakan ambil tiket Anda, lalu tunggu nomor Anda dipanggil.",
    "tiket_tidak_tercetak": (
        "Tiket tidak tercetak, tetapi nomor Anda tetap berlaku. Silakan minta bantuan petugas."
    ),
    "layar_akan_kembali": (
        "Layar akan kembali ke awal. Tekan tombol apa saja bila Anda masih di sini."
    ),
    "tidak_bisa": (
        "Maaf, nomor antrean tidak dapat diambil saat ini. Silakan minta bantuan petugas."
    ),
    # The kiosk's buttons, said when the focus reaches them.
    "tombol_check_in": "Saya sudah pesan online.",
    "tombol_tidak_ada": "Layanan yang saya cari tidak ada.",
    "tombol_pengaduan": "Saran dan pengaduan.",
    "tombol_tambah": "Tambah layanan lain.",
    "tombol_ambil_nomor": "Ambil nomor antrean.",
    "tombol_hapus": "Hapus",
    "tombol_kembali": "Kembali.",
    "tombol_ke_awal": "Ke awal.",
    "tombol_selesai": "Selesai.",
    "tombol_panduan": "Panduan suara.",
}


def guide_vocabulary(venue: Venue) -> tuple[Clip, ...]:
    """The clips guidance adds to the venue's call vocabulary: phrases, service names.
    (No phrase key starts as a made key does, `layanan_`, `instansi_`, `loket_`, `huruf_`
    or `angka_`, so none can take a service's, tenant's or number's place.)"""
    phrases = [Clip(key, text) for key, text in PHRASES.items()]
    return (*phrases, *(service_clip(s.id, s.name) for s in venue.services.values()))


def speakable(venue: Venue, style: AnnouncementStyle = DEFAULT_STYLE) -> dict[str, Clip]:
    """Every clip the venue can say, by key: the calls' and guidance's."""
    return {clip.key: clip for clip in (*vocabulary(venue, style), *guide_vocabulary(venue))}


def _keys(clips: Iterable[Clip]) -> list[str]:
    return [clip.key for clip in clips]


def _number(n: int) -> list[str]:
    # Counts and minutes past what a call can say (9,999) never occur in a day's queue;
    # if one did, the kiosk would rather say too little than fail to speak.
    return _keys(number_clips(max(0, min(n, MAX_NUMBER))))


def _waiting(count: int) -> list[str]:
    if count == 0:
        return ["belum_ada_antrean"]
    return [*_number(count), "orang_menunggu"]


def tenant_words(tenant: Tenant, waiting: int, available: int) -> list[str]:
    """A tenant tile: its name, then how many wait, or that it is not open now."""
    name = tenant_clip(tenant.id, tenant.spoken_name or tenant.name).key
    return [name, *(_waiting(waiting) if available else ["tidak_tersedia"])]


def service_words(
    service: Service, waiting: int, wait: WaitRange | None, available: bool
) -> list[str]:
    """A service tile: its name, how many wait and the wait a new ticket would have."""
    name = service_clip(service.id, service.name).key
    if not available:
        return [name, "tidak_tersedia"]
    return [name, *_waiting(waiting), *(_wait(wait) if wait is not None else [])]


def _wait(wait: WaitRange) -> list[str]:
    high = [*_number(wait.high), "menit"]
    if wait.low == 0:
        return ["perkiraan_tunggu", "kurang_dari", *high]
    return ["perkiraan_tunggu", "sekitar", *_number(wait.low), "sampai", *high]


def ticket_words(
    label: str,
    service: Service,
    wait: WaitRange | None,
    *,
    printed: bool = True,
    style: AnnouncementStyle = DEFAULT_STYLE,
) -> list[str]:
    """The ticket just issued: "Nomor antrean Anda, A, tujuh, layanan, Perekaman KTP-el,
    di depan Anda, dua, orang, perkiraan tunggu, ..., silakan ambil tiket Anda." `wait`
    is None once it is called (or its service has left the venue file): no place is said.
    """
    said = ["nomor_antrean_anda", *_keys(ticket_clips(label, style))]
    said += ["layanan", service_clip(service.id, service.name).key]
    if wait is not None and wait.ahead == 0:
        said.append("anda_berikutnya")
    elif wait is not None:
        said += ["di_depan_anda", *_number(wait.ahead), "orang", *_wait(wait)]
    return [*said, "ambil_tiket" if printed else "tiket_tidak_tercetak"]
