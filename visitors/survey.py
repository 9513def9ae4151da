"""The satisfaction survey's words, for the phone page.

The questionnaire (questions and answer labels) is the regulation's Indonesian, kept in the
pure domain (`server.domain.ikm`); it is marked here so `make messages` puts it in the
catalogue and the page shows it in English on request. A test checks that every question
and label of `ikm.UNSUR` is marked. The respondent profile's options are codes in the
domain ("20-29", "D4-S1"): `PROFILE_WORDS` says them in words.
"""

from __future__ import annotations

from server.domain import ikm
from server.i18n import N_

QUESTIONNAIRE: tuple[str, ...] = (
    N_(
        "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan "
        "jenis pelayanannya?"
    ),
    N_("Tidak sesuai"),
    N_("Kurang sesuai"),
    N_("Sesuai"),
    N_("Sangat sesuai"),
    N_("Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?"),
    N_("Tidak mudah"),
    N_("Kurang mudah"),
    N_("Mudah"),
    N_("Sangat mudah"),
    N_("Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?"),
    N_("Tidak cepat"),
    N_("Kurang cepat"),
    N_("Cepat"),
    N_("Sangat cepat"),
    N_("Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?"),
    N_("Sangat mahal"),
    N_("Cukup mahal"),
    N_("Murah"),
    N_("Gratis"),
    N_(
        "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang "
        "tercantum dalam standar pelayanan dengan hasil yang diberikan?"
    ),
    N_("Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?"),
    N_("Tidak kompeten"),
    N_("Kurang kompeten"),
    N_("Kompeten"),
    N_("Sangat kompeten"),
    N_(
        "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait "
        "kesopanan dan keramahan?"
    ),
    N_("Tidak sopan dan ramah"),
    N_("Kurang sopan dan ramah"),
    N_("Sopan dan ramah"),
    N_("Sangat sopan dan ramah"),
    N_("Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?"),
    N_("Tidak ada"),
    N_("Ada tetapi tidak berfungsi"),
    N_("Berfungsi kurang maksimal"),
    N_("Dikelola dengan baik"),
    N_("Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?"),
    N_("Buruk"),
    N_("Cukup"),
    N_("Baik"),
    N_("Sangat baik"),
)

PROFILE_WORDS: dict[str, dict[str, str]] = {
    "age": {
        "<20": N_("Di bawah 20 tahun"),
        "20-29": N_("20–29 tahun"),
        "30-39": N_("30–39 tahun"),
        "40-49": N_("40–49 tahun"),
        "50-59": N_("50–59 tahun"),
        "60+": N_("60 tahun ke atas"),
    },
    "sex": {"L": N_("Laki-laki"), "P": N_("Perempuan")},
    "education": {
        "SD": N_("SD"),
        "SMP": N_("SMP"),
        "SMA": N_("SMA/SMK"),
        "D1-D3": N_("D1–D3"),
        "D4-S1": N_("D4/S1"),
        "S2-S3": N_("S2/S3"),
    },
    "occupation": {
        "PNS": N_("PNS"),
        "TNI": N_("TNI"),
        "POLRI": N_("POLRI"),
        "SWASTA": N_("Pegawai swasta"),
        "WIRAUSAHA": N_("Wirausaha"),
        "PELAJAR": N_("Pelajar/Mahasiswa"),
        "LAINNYA": N_("Lainnya"),
    },
}
PROFILE_TITLES: dict[str, str] = {
    "age": N_("Usia"),
    "sex": N_("Jenis kelamin"),
    "education": N_("Pendidikan terakhir"),
    "occupation": N_("Pekerjaan"),
}


def profile_options() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Each profile field: its name, its title, and its (code, words) options in order."""
    return [
        (field, PROFILE_TITLES[field], [(code, PROFILE_WORDS[field][code]) for code in codes])
        for field, codes in ikm.PROFILE.items()
    ]
