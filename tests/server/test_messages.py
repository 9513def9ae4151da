"""The message catalogue says what the sources say: every sentence extracted from the Python,
the templates and the scripts (babel.cfg) has its English, not fuzzy, with the same
placeholders, and the English catalogue holds nothing the sources no longer say."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from server import i18n

ROOT = Path(__file__).resolve().parent.parent.parent
# (context, msgid): msgid is a str, or (singular, plural) for a sentence about a count.
Key = tuple[str | None, str | tuple[str, ...]]


def extracted(root: Path = ROOT) -> dict[Key, str]:
    """Every sentence the sources say, with the first file that says it."""
    with (root / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found: dict[Key, str] = {}
    for filename, _, message, _, context in extract_from_dir(
        str(root), method_map, options_map, keywords={"N_": None}
    ):
        msgid = message if isinstance(message, str) else tuple(message)
        found.setdefault((context, msgid), filename)
    return found


def english() -> Catalog:
    with i18n.po_path("en").open("rb") as file:
        return read_po(file, locale="en")


def _entries(catalog: Catalog) -> dict[Key, tuple[str, ...]]:
    entries: dict[Key, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        msgid = message.id if isinstance(message.id, str) else tuple(message.id)
        string = message.string or ""
        forms = (string,) if isinstance(string, str) else tuple(string)
        entries[(message.context, msgid)] = tuple("" if message.fuzzy else s for s in forms)
    return entries


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def untranslated(sources: dict[Key, str], catalog: Catalog) -> list[str]:
    entries = _entries(catalog)
    return [
        f"{file}: {key!r}"
        for key, file in sources.items()
        if not all(entries.get(key, ("",))) or not entries.get(key)
    ]


def unused(sources: dict[Key, str], catalog: Catalog) -> list[Key]:
    return [key for key in _entries(catalog) if key not in sources]


def mismatched(catalog: Catalog) -> list[str]:
    wrong = []
    for (context, msgid), forms in _entries(catalog).items():
        ids = (msgid,) if isinstance(msgid, str) else msgid
        wanted = set().union(*map(_fields, ids))
        said = f"{context}: {msgid!r}" if context else repr(msgid)
        wrong += [f"{said} -> {s!r}" for s in forms if s and _fields(s) != wanted]
    return wrong


@pytest.fixture(scope="module")
def sources() -> dict[Key, str]:
    return extracted()


class TestCatalogue:
    """The English catalogue and the sources agree, sentence by sentence."""

    def test_every_sentence_has_its_english(self, sources: dict[Key, str]) -> None:
        assert len(sources) > 500
        assert untranslated(sources, english()) == []

    def test_the_catalogue_holds_nothing_the_sources_no_longer_say(
        self, sources: dict[Key, str]
    ) -> None:
        assert unused(sources, english()) == []

    def test_placeholders_are_the_same_in_both_languages(self) -> None:
        assert mismatched(english()) == []

    def test_the_checks_catch_a_blank_a_fuzzy_an_unused_and_a_wrong_placeholder(
        self, sources: dict[Key, str]
    ) -> None:
        catalog = english()
        catalog["Tutup"].string = ""
        catalog["Tiket tidak ditemukan."].flags.add("fuzzy")
        catalog.add("Kalimat yang tidak diucapkan di mana pun.", "A sentence nobody says.")
        catalog["{n} menunggu"].string = "{count} waiting"
        assert len(untranslated(sources, catalog)) == 2
        assert unused(sources, catalog) == [(None, "Kalimat yang tidak diucapkan di mana pun.")]
        assert mismatched(catalog) == ["'{n} menunggu' -> '{count} waiting'"]


class TestGettext:
    """Indonesian is the msgid itself; other languages come from their catalogue."""

    def test_indonesian_is_the_msgid_with_its_placeholders_filled(self) -> None:
        assert i18n.gettext("id", "{n} menunggu", n=3) == "3 menunggu"

    def test_english_comes_from_the_catalogue(self) -> None:
        assert i18n.gettext("en", "{n} menunggu", n=3) == "3 waiting"
        assert i18n.pgettext("en", "list", "Tidak hadir") == "No-shows"
        assert i18n.gettext("en", "Tidak hadir") == "No-show"

    def test_a_count_picks_the_english_form(self) -> None:
        assert i18n.ngettext("en", "{n} menit", "{n} menit", 1, n=1) == "1 minute"
        assert i18n.ngettext("en", "{n} menit", "{n} menit", 3, n=3) == "3 minutes"
        assert i18n.ngettext("id", "{n} menit", "{n} menit", 1, n=1) == "1 menit"

    def test_a_sentence_missing_from_the_catalogue_stays_indonesian(self) -> None:
        assert i18n.gettext("en", "Kalimat baru.") == "Kalimat baru."
