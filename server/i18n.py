"""One message catalogue: every sentence a person reads, Indonesian first.

The msgid IS the Indonesian sentence, with `{name}` placeholders filled by `str.format`;
`locale/<lang>/LC_MESSAGES/messages.po` holds the other languages (English, complete), read
once per process with Babel. There is no Indonesian catalogue: asked for Indonesian, the
msgid is the answer. A sentence missing from a catalogue falls back to the Indonesian
(`tests/server/test_messages.py` fails before that can ship). `make messages` re-extracts the
sentences (keywords in `babel.cfg`) and updates the `.po` files.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

Lang = Literal["id", "en"]
LOCALE = Path(__file__).resolve().parent.parent / "locale"
# How gettext keys a sentence said in a context ("list", "button"): context EOT msgid.
_CONTEXT_SEPARATOR = "\x04"
# A sentence stored in a table before it is said: its msgid, or (context, msgid).
Marked = str | tuple[str, str]


def N_(msgid: str) -> str:
    """Mark a sentence for extraction where it is stored (tables), not yet said."""
    return msgid


def NP_(context: str, msgid: str) -> tuple[str, str]:
    """As `N_`, for a sentence that reads differently in `context`; say it with `translate`."""
    return context, msgid


def gettext(lang: str, msgid: str, /, **params: object) -> str:
    """The sentence `msgid` in `lang`, its `{placeholders}` filled from `params`."""
    return pgettext(lang, "", msgid, **params)


def pgettext(lang: str, context: str, msgid: str, /, **params: object) -> str:
    """As `gettext`, for a msgid that reads differently in `context` (a heading, a button)."""
    text = catalogue(lang).get(key(msgid, context), msgid)
    return text.format(**params) if params else text


def ngettext(lang: str, singular: str, plural: str, count: int, /, **params: object) -> str:
    """The sentence for `count` of something. Indonesian has one form (`plural` is usually
    the same text); the English catalogue holds two: for 1, and for the rest."""
    forms = plural_forms(lang).get(singular)
    if forms is None:
        forms = (singular, plural)
    text = forms[0] if count == 1 else forms[-1]
    return text.format(**params) if params else text


def translate(lang: str, marked: Marked, /, **params: object) -> str:
    """A table's sentence (`N_` or `NP_`) in `lang`."""
    if isinstance(marked, tuple):
        return pgettext(lang, marked[0], marked[1], **params)
    return gettext(lang, marked, **params)


def key(msgid: str, context: str | None = None) -> str:
    """A sentence's key in `catalogue()`: the msgid, after its context if it has one."""
    return f"{context}{_CONTEXT_SEPARATOR}{msgid}" if context else msgid


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """`lang`'s translated sentences by `key()`; empty for Indonesian (the msgids)."""
    return {
        key(message.id, message.context): message.string
        for message in _read(lang)
        if isinstance(message.id, str) and isinstance(message.string, str)
        if message.id and message.string and not message.fuzzy
    }


@functools.cache
def plural_forms(lang: str) -> dict[str, tuple[str, ...]]:
    """`lang`'s sentences said about a count, by singular msgid: (one, other)."""
    return {
        message.id[0]: tuple(message.string)
        for message in _read(lang)
        if isinstance(message.id, tuple) and not isinstance(message.string, str)
        if message.string and all(message.string) and not message.fuzzy
    }


@functools.cache
def script_catalogue(lang: str) -> dict[str, str]:
    """The part of `catalogue(lang)` that scripts say (the .po names a .js file among the
    sentence's locations): what a page hands the kit's `say` (server/static/kit/i18n.js)."""
    return {
        key(message.id, message.context): message.string
        for message in _read(lang)
        if isinstance(message.id, str) and isinstance(message.string, str)
        if message.string and not message.fuzzy
        if any(file.endswith(".js") for file, _ in message.locations)
    }


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "messages.po"


@functools.cache
@functools.cache
def _read(lang: str) -> Catalog:
    """`lang`'s catalogue, parsed once per process (the lookups built from it share it)."""
    path = po_path(lang)
    if lang == "id" or not path.is_file():
        return Catalog(locale=lang)
    with path.open("rb") as file:
        return read_po(file, locale=lang)
