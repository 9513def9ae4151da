"""Ticket slips for 80 mm thermal printers: the ESC/POS job, and sending it over the LAN.

A kiosk with a network printer ("host:port", usually port 9100) gets its slip printed by
the server: `job(slip)` builds the bytes with python-escpos (sizes, centring, a native QR
code, a cut) and `send` writes them to the printer with a short timeout. A printer that
does not answer raises `PrintFailed`; the ticket it was for stays valid, since it was
issued before printing began. Kiosks without one print `/kiosk/ticket/<visit>/print`
from the browser instead.
"""

from __future__ import annotations

import socket
import unicodedata

import msgspec
from escpos.printer import Dummy, Network  # type: ignore[import-untyped]

from server.i18n import gettext

TIMEOUT_SECONDS = 3.0
# Characters a printer's code page may lack, and what to print instead.
_PLAIN = str.maketrans({"–": "-", "—": "-", "·": "-", "→": ">", "’": "'", "“": '"', "”": '"'})


class Slip(msgspec.Struct, frozen=True):
    """What a ticket slip says, already worded for the visitor (`lang` "id" or "en")."""

    venue: str
    tenant: str
    service: str
    label: str
    ahead: int
    wait: str
    issued: str  # date and time in the venue's timezone, e.g. "Selasa, 24 November 2026 09.00 WIB"
    url: str  # the phone ticket page
    complaints_url: str = ""  # the complaint form, /pengaduan
    priority: bool = False
    next_services: tuple[str, ...] = ()
    lang: str = "id"


class PrintFailed(Exception):
    """The printer could not be reached or did not take the job. The ticket stays valid."""


def job(slip: Slip) -> bytes:
    """The slip as one ESC/POS job: header, the number large, the details, a QR code, a cut."""
    printer = Dummy()
    compose(printer, slip)
    data: bytes = printer.output
    return data


def compose(printer: Dummy, slip: Slip) -> None:
    """Write `slip` onto an escpos printer object (any of python-escpos's printers)."""

    def line(text: str = "", **style: object) -> None:
        printer.set(**({"align": "center", "normal_textsize": True, "bold": False} | style))
        printer.text(_plain(text) + "\n")

    line(slip.venue, bold=True)
    line(slip.tenant)
    line("-" * 32)
    line(gettext(slip.lang, "NOMOR ANTREAN"))
    printer.set(align="center", bold=True, custom_size=True, width=4, height=4)
    printer.text(_plain(slip.label) + "\n")
    if slip.priority:
        line(gettext(slip.lang, "PRIORITAS"), bold=True, double_width=True, double_height=True)
    line(slip.service, bold=True)
    line(gettext(slip.lang, "Menunggu di depan Anda: {n} orang", n=slip.ahead))
    line(gettext(slip.lang, "Perkiraan tunggu: {wait}", wait=slip.wait))
    if slip.next_services:
        line(gettext(slip.lang, "Berikutnya: {services}", services=", ".join(slip.next_services)))
    line(slip.issued)
    line()
    line(gettext(slip.lang, "Pindai untuk memantau antrean dan menilai layanan kami"))
    printer.set(align="center")
    printer.qr(slip.url, size=6, native=True)
    line(gettext(slip.lang, "Simpan tiket ini sampai selesai dilayani."))
    if slip.complaints_url:
        line(gettext(slip.lang, "Saran dan pengaduan: {url}", url=slip.complaints_url))
        line(gettext(slip.lang, "Kanal nasional SP4N-LAPOR!: lapor.go.id"))
    printer.cut()


def send(address: str, data: bytes, timeout: float = TIMEOUT_SECONDS) -> None:
    """Write a job to the network printer at "host:port"; `PrintFailed` when it cannot."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise PrintFailed(f"printer address {address!r} is not host:port")
    printer = Network(host, int(port), timeout=timeout)
    try:
        # socket.create_connection closes the socket when connecting fails; escpos's own
        # open() would leave that to the garbage collector.
        printer.device = socket.create_connection((host, int(port)), timeout=timeout)
        printer._raw(data)
    except OSError as error:
        raise PrintFailed(f"printer {address} did not take the ticket: {error}") from error
    finally:
        printer.close()


def _plain(text: str) -> str:
    """The text in characters every ESC/POS code page has (accents dropped, dashes plain)."""
    folded = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    return folded.encode("ascii", "ignore").decode()
