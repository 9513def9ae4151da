"""What an announcement says: number words, letter names, clip sequences and captions."""

from __future__ import annotations

import re

import pytest
from num2words import num2words  # type: ignore[import-untyped]

from audio.wording import (
    LETTER_NAMES,
    MAX_NUMBER,
    AnnouncementStyle,
    Call,
    announcement_keys,
    announcement_text,
    call_for,
    digit_words,
    number_words,
    vocabulary,
)
from server.config import DEMO_VENUE, load_venue
from server.domain.venue import Venue


def keys_for_number(n: int) -> tuple[str, ...]:
    """The keys of the ticket number alone, in the default template."""
    keys = announcement_keys(Call(f"A-{n:03d}", "1"))
    start = keys.index("huruf_a") + 1
    return keys[start : keys.index("silakan_menuju_loket")]


class TestNumberWords:
    """Numbers are said as Indonesian words, without padding."""

    @pytest.mark.parametrize(
        ("n", "words"),
        [
            (0, "nol"),
            (7, "tujuh"),
            (10, "sepuluh"),
            (11, "sebelas"),
            (12, "dua belas"),
            (19, "sembilan belas"),
            (20, "dua puluh"),
            (21, "dua puluh satu"),
            (100, "seratus"),
            (101, "seratus satu"),
            (110, "seratus sepuluh"),
            (200, "dua ratus"),
            (1000, "seribu"),
            (1100, "seribu seratus"),
            (2000, "dua ribu"),
            (2019, "dua ribu sembilan belas"),
            (9999, "sembilan ribu sembilan ratus sembilan puluh sembilan"),
        ],
    )
    def test_examples_from_the_spec(self, n: int, words: str) -> None:
        """Each example of AUDIO.md is worded as written there."""
        assert number_words(n) == words

    def test_agrees_with_num2words_from_0_to_9999(self) -> None:
        """An independent implementation words every number 0-9999 the same way."""
        # num2words("id") differs from ours only in spacing/case, which is normalised here.
        disagreements = [
            (n, number_words(n), num2words(n, lang="id"))
            for n in range(MAX_NUMBER + 1)
            if number_words(n) != " ".join(num2words(n, lang="id").lower().split())
        ]
        assert disagreements == []

    def test_digit_by_digit(self) -> None:
        """Digit-by-digit keeps the padding: "007" is "nol nol tujuh"."""
        assert digit_words("007") == "nol nol tujuh"
        assert digit_words("2019") == "dua nol satu sembilan"

    @pytest.mark.parametrize("n", [-1, MAX_NUMBER + 1])
    def test_out_of_range_is_refused(self, n: int) -> None:
        """A number beyond 0-9999 is an error, not a wrong announcement."""
        with pytest.raises(ValueError, match="0 to 9999"):
            number_words(n)


class TestLetterNames:
    """Letters are said by their Indonesian names."""

    def test_every_letter_is_pinned(self) -> None:
        """All 26 names, as AUDIO.md lists them."""
        assert dict(LETTER_NAMES) == {
            "A": "a", "B": "be", "C": "ce", "D": "de", "E": "e", "F": "ef", "G": "ge",
            "H": "ha", "I": "i", "J": "je", "K": "ka", "L": "el", "M": "em", "N": "en",
            "O": "o", "P": "pe", "Q": "ki", "R": "er", "S": "es", "T": "te", "U": "u",
            "V": "ve", "W": "we", "X": "eks", "Y": "ye", "Z": "zet",
        }  # fmt: skip


class TestClipSequences:
    """A call becomes a fixed sequence of vocabulary clips."""

    @pytest.mark.parametrize(
        ("n", "keys"),
        [
            (0, ("angka_0",)),
            (10, ("angka_10",)),
            (11, ("angka_11",)),
            (19, ("angka_19",)),
            (100, ("seratus",)),
            (101, ("seratus", "angka_1")),
            (110, ("seratus", "angka_10")),
            (1000, ("seribu",)),
            (1100, ("seribu", "seratus")),
            (2019, ("angka_2", "ribu", "angka_19")),
            (345, ("angka_3", "ratus", "angka_40", "angka_5")),
        ],
    )
    def test_ticket_numbers(self, n: int, keys: tuple[str, ...]) -> None:
        """Numbers use whole-word clips for 0-19 and the tens, plus ratus/ribu."""
        assert keys_for_number(n) == keys

    def test_default_template(self) -> None:
        """Chime, "nomor antrean", the letter, the number, "silakan menuju loket", the counter."""
        assert announcement_keys(Call("A-007", "3")) == (
            "chime", "nomor_antrean", "huruf_a", "angka_7", "silakan_menuju_loket", "angka_3",
        )  # fmt: skip

    def test_recall(self) -> None:
        """A recall starts with "panggilan ulang" after the chime."""
        assert announcement_keys(Call("AB-012", "Loket 3", recall=True)) == (
            "chime", "panggilan_ulang", "nomor_antrean", "huruf_a", "huruf_b", "angka_12",
            "silakan_menuju_loket", "angka_3",
        )  # fmt: skip

    def test_named_counter_and_tenant(self) -> None:
        """A named counter has its own clip; the tenant is said when the style asks."""
        call = Call("C-5", "Meja Informasi", "bpjs-kesehatan", "B P J S Kesehatan")
        keys = announcement_keys(call, AnnouncementStyle(include_tenant=True, chime=False))
        assert keys == (
            "nomor_antrean", "huruf_c", "angka_5", "silakan_menuju", "loket_meja_informasi",
            "instansi_bpjs_kesehatan",
        )  # fmt: skip

    def test_digit_by_digit_style(self) -> None:
        """Digit by digit, the ticket's padding is said too."""
        keys = announcement_keys(Call("A-007", "3"), AnnouncementStyle(digit_by_digit=True))
        assert keys[2:5] == ("huruf_a", "angka_0", "angka_0")

    @pytest.mark.parametrize("ticket", ["007", "A-", "A-12a", "-7", "A-1٢"])
    def test_malformed_ticket_is_refused(self, ticket: str) -> None:
        """A label that is not letters then digits raises, naming the label."""
        with pytest.raises(ValueError, match="ticket label"):
            announcement_keys(Call(ticket, "3"))


class TestCaption:
    """The caption is the announcement's text, for screens and engines."""

    def test_default(self) -> None:
        """The sentence of AUDIO.md, letter shown as a letter."""
        assert announcement_text(Call("A-007", "3")) == (
            "Nomor antrean, A, tujuh, silakan menuju loket, tiga."
        )

    def test_recall_with_tenant(self) -> None:
        """The recall is a sentence of its own; the tenant follows the counter."""
        call = Call("A-007", "3", "dukcapil", "Dinas Kependudukan", recall=True)
        assert announcement_text(call, AnnouncementStyle(include_tenant=True)) == (
            "Panggilan ulang. Nomor antrean, A, tujuh, silakan menuju loket, tiga, "
            "Dinas Kependudukan."
        )

    def test_template_override(self) -> None:
        """A venue may change the fixed phrases."""
        style = AnnouncementStyle(opening="Antrean nomor", to_counter="dipersilakan ke loket")
        assert announcement_text(Call("B-20", "4"), style) == (
            "Antrean nomor, B, dua puluh, dipersilakan ke loket, empat."
        )


class TestVocabulary:
    """A venue's vocabulary holds every clip its calls can use."""

    @pytest.fixture
    def demo(self) -> Venue:
        return load_venue(DEMO_VENUE)

    def test_demo_venue_size(self, demo: Venue) -> None:
        """63 shared clips plus one per tenant (the demo's counters are all numbered)."""
        assert len(vocabulary(demo)) == 63 + len(demo.tenants)

    def test_keys_are_file_names(self, demo: Venue) -> None:
        """Keys name recordings (`<clip-key>.wav`), so they are lower-case, digits and '_'."""
        assert all(re.fullmatch(r"[a-z0-9_]+", clip.key) for clip in vocabulary(demo))

    def test_every_call_is_covered(self, demo: Venue) -> None:
        """Every prefix, number 0-999 and counter of the venue is spoken from the vocabulary."""
        known = {clip.key for clip in vocabulary(demo)}
        style = AnnouncementStyle(include_tenant=True)
        used = {
            key
            for service in demo.services.values()
            for counter in demo.counters
            for n in (0, 7, 10, 11, 19, 20, 100, 101, 110, 345, 999)
            for key in announcement_keys(
                call_for(demo, counter, f"{service.prefix}-{n:03d}"), style
            )
        }
        assert used <= known

    def test_named_counter_is_in_the_vocabulary(self, venue: Venue) -> None:
        """A counter labelled with a name gets a `loket_<name>` clip saying the name."""
        texts = {clip.key: clip.text for clip in vocabulary(venue)}
        assert texts["loket_meja_informasi"] == "meja informasi"
