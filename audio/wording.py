"""What an announcement says: Indonesian number words, letter names, and the clip sequence.

A call becomes a tuple of `Clip`s, each a key in a small vocabulary (~70 per venue) and the
Indonesian text an engine speaks for it. The same clips give the caption shown on screens.

Numbers are built from whole-word clips, not "dua" + "puluh": 0-19 ("angka_12" is
"dua belas"), the tens 20-90 ("angka_40" is "empat puluh"), and "seratus", "ratus",
"seribu", "ribu". So 2019 is `angka_2 ribu angka_19` and 345 is `angka_3 ratus angka_40
angka_5`. Whole words keep the natural stress of "dua belas" and "empat puluh" that joining
two clips would break, and cost only eight more clips than a "puluh"/"belas" scheme.

Clip keys are file-name safe (`[a-z0-9_]`) because a venue's recordings are named after
them: `<clip-key>.wav`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

import msgspec

from server.domain.venue import AnnouncementStyle, Counter, Venue

__all__ = [
    "DEFAULT_STYLE",
    "LETTER_NAMES",
    "MAX_NUMBER",
    "AnnouncementStyle",
    "Call",
    "Clip",
    "announcement_clips",
    "announcement_keys",
    "announcement_text",
    "call_for",
    "counter_clip",
    "digit_words",
    "number_clips",
    "number_words",
    "service_clip",
    "tenant_clip",
    "ticket_clips",
    "vocabulary",
]

MAX_NUMBER = 9999

_UNITS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")

LETTER_NAMES: Mapping[str, str] = {
    "A": "a", "B": "be", "C": "ce", "D": "de", "E": "e", "F": "ef", "G": "ge",
    "H": "ha", "I": "i", "J": "je", "K": "ka", "L": "el", "M": "em", "N": "en",
    "O": "o", "P": "pe", "Q": "ki", "R": "er", "S": "es", "T": "te", "U": "u",
    "V": "ve", "W": "we", "X": "eks", "Y": "ye", "Z": "zet",
}  # fmt: skip

# "A-007", "AB-012", "NIB-1", "A007": letters, an optional dash, digits.
_TICKET = re.compile(r"^([A-Za-z]+)-?([0-9]+)$")
# A counter whose label is a number, with or without the word "loket": "3", "Loket 3".
_NUMERIC_COUNTER = re.compile(r"^(?:loket\s+)?([0-9]+)$", re.IGNORECASE)


class Clip(msgspec.Struct, frozen=True):
    """One piece of an announcement: its vocabulary key and the text spoken for it."""

    key: str
    text: str


class Call(msgspec.Struct, frozen=True):
    """A ticket called to a counter, as the announcement needs it.

    `counter` is the counter's spoken label: a number ("3", "Loket 3") or a name
    ("Meja Informasi"). `tenant_name` is the tenant's spoken name, said only when the style
    includes the tenant; `tenant_id` names its clip.
    """

    ticket: str
    counter: str
    tenant_id: str = ""
    tenant_name: str = ""
    recall: bool = False


DEFAULT_STYLE = AnnouncementStyle()


# -- numbers ---------------------------------------------------------------------------------


def number_clips(n: int) -> tuple[Clip, ...]:
    """The clips that say `n` (0-9999): 2019 -> angka_2, ribu, angka_19."""
    return tuple(_number_clip(key) for key in _number_keys(n))


def ticket_clips(label: str, style: AnnouncementStyle = DEFAULT_STYLE) -> tuple[Clip, ...]:
    """The clips that say a ticket label as a call does: "A-007" -> huruf_a, angka_7."""
    letters, digits = _split_ticket(label)
    return (*(_letter_clip(letter) for letter in letters), *_ticket_number_clips(digits, style))


def number_words(n: int) -> str:
    """`n` (0-9999) in Indonesian words, without padding: 2019 -> "dua ribu sembilan belas"."""
    return " ".join(_number_clip(key).text for key in _number_keys(n))


def digit_words(digits: str) -> str:
    """Each digit said on its own: "007" -> "nol nol tujuh"."""
    return " ".join(_UNITS[int(d)] for d in _checked_digits(digits))


def _number_keys(n: int) -> Iterator[str]:
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"cannot say {n}: announced numbers are 0 to {MAX_NUMBER}")
    if n == 0:
        yield "angka_0"
        return
    thousands, rest = divmod(n, 1000)
    hundreds, below = divmod(rest, 100)
    yield from _scale_keys(thousands, "seribu", "ribu")
    yield from _scale_keys(hundreds, "seratus", "ratus")
    yield from _below_hundred_keys(below)


def _scale_keys(count: int, one: str, many: str) -> Iterator[str]:
    # Indonesian fuses "one thousand" into "seribu" (and "seratus"); 2-9 take "ribu"/"ratus".
    if count == 1:
        yield one
    elif count > 1:
        yield f"angka_{count}"
        yield many


def _below_hundred_keys(n: int) -> Iterator[str]:
    if n == 0:
        return
    if n < 20:
        yield f"angka_{n}"
        return
    tens, units = divmod(n, 10)
    yield f"angka_{tens * 10}"
    if units:
        yield f"angka_{units}"


def _number_text(n: int) -> str:
    if n < 10:
        return _UNITS[n]
    if n == 10:
        return "sepuluh"
    if n == 11:
        return "sebelas"
    if n < 20:
        return f"{_UNITS[n - 10]} belas"
    return f"{_UNITS[n // 10]} puluh"


def _number_clip(key: str) -> Clip:
    return _NUMBER_CLIPS[key]


def _checked_digits(digits: str) -> str:
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"{digits!r} is not a string of digits 0-9")
    return digits


_NUMBER_CLIPS: Mapping[str, Clip] = {
    **{f"angka_{n}": Clip(f"angka_{n}", _number_text(n)) for n in range(20)},
    **{f"angka_{n}": Clip(f"angka_{n}", _number_text(n)) for n in range(20, 100, 10)},
    **{word: Clip(word, word) for word in ("seratus", "ratus", "seribu", "ribu")},
}


# -- the announcement ----------------------------------------------------------------------------


def announcement_clips(call: Call, style: AnnouncementStyle = DEFAULT_STYLE) -> tuple[Clip, ...]:
    """The clips said for `call`, in order, chime first."""
    return tuple(clip for part in _parts(call, style) for clip in part)


def announcement_keys(call: Call, style: AnnouncementStyle = DEFAULT_STYLE) -> tuple[str, ...]:
    """The vocabulary keys of `announcement_clips(call, style)`."""
    return tuple(clip.key for clip in announcement_clips(call, style))


def announcement_text(call: Call, style: AnnouncementStyle = DEFAULT_STYLE) -> str:
    """The caption: "Nomor antrean, A, tujuh, silakan menuju loket, tiga."

    The recall sentence comes first as a sentence of its own ("Panggilan ulang. Nomor ...").
    """
    phrases = [p for p in map(_caption, _parts(call, style)) if p]  # the chime has no words
    sentences = [phrases[:1], phrases[1:]] if call.recall else [phrases]
    return " ".join(_sentence(s) for s in sentences)


def _sentence(phrases: list[str]) -> str:
    text = ", ".join(phrases)
    return f"{text[:1].upper()}{text[1:]}."


def _parts(call: Call, style: AnnouncementStyle) -> list[list[Clip]]:
    """The announcement in caption groups: one group per comma-separated phrase."""
    letters, digits = _split_ticket(call.ticket)
    counter_number = _counter_number(call.counter)
    parts: list[list[Clip]] = [[_fixed("chime", style)]] if style.chime else []
    if call.recall:
        parts.append([_fixed("panggilan_ulang", style)])
    parts.append([_fixed("nomor_antrean", style)])
    parts.append([_letter_clip(letter) for letter in letters])
    parts.append(_ticket_number_clips(digits, style))
    if counter_number is None:
        parts.append([_fixed("silakan_menuju", style)])
        parts.append([counter_clip(call.counter)])
    else:
        parts.append([_fixed("silakan_menuju_loket", style)])
        parts.append([_number_clip(key) for key in _number_keys(counter_number)])
    if style.include_tenant and call.tenant_id:
        parts.append([tenant_clip(call.tenant_id, call.tenant_name)])
    return parts


def _caption(part: list[Clip]) -> str:
    # Letters are shown as the letters themselves ("A"), not their spoken names ("a").
    return " ".join(
        clip.key[len("huruf_") :].upper() if clip.key.startswith("huruf_") else clip.text
        for clip in part
    ).strip()


def _ticket_number_clips(digits: str, style: AnnouncementStyle) -> list[Clip]:
    # A number past what words are made for (a quota over 9,999) is said digit by digit.
    if style.digit_by_digit or int(digits) > MAX_NUMBER:
        return [_number_clip(f"angka_{d}") for d in digits]
    return [_number_clip(key) for key in _number_keys(int(digits))]


def _split_ticket(ticket: str) -> tuple[str, str]:
    match = _TICKET.match(ticket.strip())
    if match is None:
        raise ValueError(f"ticket label {ticket!r} is not letters and digits, like 'A-007'")
    return match.group(1).upper(), match.group(2)


def _counter_number(counter: str) -> int | None:
    match = _NUMERIC_COUNTER.match(counter.strip())
    return int(match.group(1)) if match else None


def _letter_clip(letter: str) -> Clip:
    return Clip(f"huruf_{letter.lower()}", LETTER_NAMES[letter])


def _fixed(key: str, style: AnnouncementStyle) -> Clip:
    texts = {
        "chime": "",  # not speech: a recording or a generated tone
        "nomor_antrean": style.opening,
        "panggilan_ulang": style.recall_opening,
        "silakan_menuju_loket": style.to_counter,
        "silakan_menuju": style.to_named_counter,
    }
    return Clip(key, texts[key])


def counter_clip(label: str) -> Clip:
    """The clip of a named counter: "Meja Informasi" -> key "loket_meja_informasi"."""
    return Clip(f"loket_{_slug(label)}", label.strip().lower())


def service_clip(service_id: str, spoken_name: str) -> Clip:
    """The clip of a service's name, keyed by its id: "layanan_ktp" (the kiosk's guidance)."""
    return Clip(f"layanan_{_slug(service_id)}", spoken_name.strip())


def tenant_clip(tenant_id: str, spoken_name: str) -> Clip:
    """The clip of a tenant's spoken name, keyed by its id: "instansi_bpjs_kesehatan"."""
    return Clip(f"instansi_{_slug(tenant_id)}", spoken_name.strip())


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    if not slug:
        raise ValueError(f"{text!r} has no letters or digits to name a clip after")
    return slug


# -- a venue's vocabulary --------------------------------------------------------------------------


def call_for(venue: Venue, counter_id: str, ticket: str, *, recall: bool = False) -> Call:
    """The `Call` for `ticket` called to the venue's counter `counter_id`."""
    counter = venue.counters[counter_id]
    tenant = venue.tenants.get(counter.tenant)
    tenant_name = (tenant.spoken_name or tenant.name) if tenant else ""
    return Call(ticket, _spoken_label(counter), counter.tenant, tenant_name, recall)


def vocabulary(venue: Venue, style: AnnouncementStyle = DEFAULT_STYLE) -> tuple[Clip, ...]:
    """Every clip any call at `venue` can use, each once, in a stable order.

    Tenant names are included even when the style leaves them out, so turning them on
    needs no new render.
    """
    fixed = ("chime", "nomor_antrean", "panggilan_ulang", "silakan_menuju_loket", "silakan_menuju")
    clips: list[Clip] = [_fixed(key, style) for key in fixed]
    clips += [_letter_clip(letter) for letter in LETTER_NAMES]
    clips += _NUMBER_CLIPS.values()
    clips += _named_counter_clips(venue.counters.values())
    clips += [tenant_clip(t.id, t.spoken_name or t.name) for t in venue.tenants.values()]
    return tuple(_unique(clips))


def _named_counter_clips(counters: Iterable[Counter]) -> Iterator[Clip]:
    for counter in counters:
        label = _spoken_label(counter)
        if _counter_number(label) is None:
            yield counter_clip(label)


def _spoken_label(counter: Counter) -> str:
    return counter.spoken_label or counter.label


def _unique(clips: Iterable[Clip]) -> Iterator[Clip]:
    seen: set[str] = set()
    for clip in clips:
        if clip.key not in seen:
            seen.add(clip.key)
            yield clip
