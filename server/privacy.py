"""Personal data as the law lets us keep it (UU 27/2022, Pelindungan Data Pribadi): numbers
and e-mail addresses shown masked, and a contact kept for the venue only sealed.

- `mask_number`: the first and last four digits of a NIK or phone number
  ("3573********0001", "0812****7890").
- `mask_email`: the first letter of the name and the whole domain ("b***@contoh.id").
- `seal`/`unseal`: AES-256-GCM under a key derived from the app secret (HKDF-SHA256, its own
  `purpose` per use), so a sealed contact in the log or a backup reads as noise to anyone
  without the secret, and one sealed for one use cannot be passed off as another's.
"""

from __future__ import annotations

import base64
import re
import secrets
import unicodedata
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PHONE = re.compile(r"08[0-9]{8,11}")
# Deliberately plain: one @, a dot in the domain, no spaces. Whether it exists is the
# mail server's business.
EMAIL = re.compile(r"[^@\s<>\"]{1,64}@[^@\s<>\"]+\.[^@\s<>\"]{2,}")
EMAIL_MAX = 254
# What a complaint's contact is sealed for (`seal`'s purpose).
COMPLAINT_CONTACT = "complaint-contact"


def mask_number(number: str) -> str:
    """First four and last four digits, the rest as stars."""
    return number[:4] + "*" * max(0, len(number) - 8) + number[-4:]


def mask_email(address: str) -> str:
    """The name's first letter (none for a name of one or two) and the domain."""
    name, _, domain = address.partition("@")
    return f"{name[:1] if len(name) > 2 else ''}***@{domain}"


def ascii_digits(text: str) -> str:
    """`text` with full-width digits and letters as ASCII (NFKC); other scripts' digits stay
    as they are, and the patterns here, of ASCII digits only, refuse them."""
    return unicodedata.normalize("NFKC", text)


def may_echo(typed: str) -> bool:
    """Whether a refused NIK, phone number or contact may be put back in its form field as
    typed: a fragment, yes; ten digits or more may be someone's real number, whatever
    its shape, so no."""
    return sum(c.isdigit() for c in typed) < 10


def normal_phone(text: str) -> str | None:
    """An Indonesian mobile number as typed (spaces, dots, dashes, +62 or 62), as 08...; or
    None when it is not one."""
    number = re.sub(r"[\s.\-()]", "", ascii_digits(text))
    if number.startswith("+62"):
        number = "0" + number[3:]
    elif number.startswith("628"):
        number = "0" + number[2:]
    return number if PHONE.fullmatch(number) else None


class Contact(NamedTuple):
    """A phone number (normalized) or an e-mail address (domain lower-cased)."""

    kind: str  # "phone" | "email"
    value: str

    @property
    def masked(self) -> str:
        return mask_number(self.value) if self.kind == "phone" else mask_email(self.value)


def parse_contact(text: str) -> Contact | None:
    """The contact someone typed, or None when it is neither a mobile number nor an
    e-mail address."""
    text = ascii_digits(text).strip()
    if "@" in text:
        if len(text) > EMAIL_MAX or not EMAIL.fullmatch(text):
            return None
        name, _, domain = text.partition("@")
        return Contact("email", f"{name}@{domain.lower()}")
    phone = normal_phone(text)
    return Contact("phone", phone) if phone else None


def _key(secret: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return hkdf.derive(secret.encode())


def seal(secret: str, purpose: str, text: str) -> str:
    """`text` encrypted for `purpose`: URL-safe base64 of a 12-byte nonce and the
    ciphertext with its tag."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(secret, purpose)).encrypt(nonce, text.encode(), purpose.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(secret: str, purpose: str, sealed: str) -> str | None:
    """The text `seal` sealed, or None when it was sealed under another secret or purpose,
    or tampered with."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        key = AESGCM(_key(secret, purpose))
        return key.decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except (InvalidTag, ValueError):
        return None
