"""The ESC/POS slip, sent to a real TCP socket standing in for a network thermal printer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from visitors.printing import PrintFailed, Slip, job, send

SLIP = Slip(
    venue="Mal Pelayanan Publik Merdeka Kota Malang",
    tenant="Dispendukcapil",
    service="Perekaman KTP-el",
    label="A-007",
    ahead=3,
    wait="sekitar 15–25 menit",
    issued="Selasa, 24 November 2026 09.00 WIB",
    url="http://10.0.0.2:8000/t/abcdefghijklmnopqrstuv",
    priority=True,
    next_services=("Pendaftaran Peserta JKN",),
    complaints_url="http://10.0.0.2:8000/pengaduan",
)


class Printer:
    """Accepts one connection and keeps every byte sent until the sender closes."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.received = bytearray()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        with connection:
            while chunk := connection.recv(65536):
                self.received += chunk

    def captured(self) -> bytes:
        self._thread.join(timeout=5)
        return bytes(self.received)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def printer() -> Iterator[Printer]:
    listening = Printer()
    yield listening
    listening.close()


class TestSlip:
    """The job carries what the visitor needs, in commands every ESC/POS printer knows."""

    def test_the_printer_receives_label_service_qr_and_cut(self, printer: Printer) -> None:
        send(printer.address, job(SLIP), timeout=3)
        data = printer.captured()
        assert b"A-007" in data and b"Perekaman KTP-el" in data
        assert b"Pindai untuk memantau antrean dan menilai layanan kami" in data
        assert b"\x1d(k" in data  # GS ( k: a native QR code ...
        assert SLIP.url.encode() in data  # ... of the phone page
        assert b"\x1dV" in data  # GS V: cut
        assert data.index(b"\x1dV") > data.index(b"\x1d(k")
        assert b"PRIORITAS" in data and b"Pendaftaran Peserta JKN" in data
        assert b"Saran dan pengaduan: http://10.0.0.2:8000/pengaduan" in data
        assert b"SP4N-LAPOR!: lapor.go.id" in data

    def test_text_is_plain_ascii_for_any_code_page(self) -> None:
        data = job(SLIP)
        assert b"sekitar 15-25 menit" in data
        assert "–".encode() not in data

    def test_english_slip(self) -> None:
        import msgspec

        data = job(msgspec.structs.replace(SLIP, lang="en"))
        assert b"Scan to follow the queue and rate our service" in data


class TestFailure:
    """A printer that is off or unreachable is a PrintFailed, quickly."""

    def test_nothing_listening(self) -> None:
        with socket.create_server(("127.0.0.1", 0)) as probe:
            address = f"127.0.0.1:{probe.getsockname()[1]}"
        with pytest.raises(PrintFailed, match="did not take the ticket"):
            send(address, job(SLIP), timeout=1)

    def test_a_bad_address(self) -> None:
        with pytest.raises(PrintFailed, match="host:port"):
            send("printer-without-port", b"", timeout=1)
