"""Standar pelayanan in the venue file: decoded per service, and `advice` names what is
missing (UU 25/2009 Pasal 21) without stopping the venue."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.cli import main
from server.config import DEMO_VENUE, advice, check_file, load_venue, load_venue_text
from tests.server.config.test_config import venue_toml

KTP_STANDARDS = """
[services.ktp.standards]
persyaratan = ["Fotokopi Kartu Keluarga", "Berusia 17 tahun"]
prosedur = ["Ambil nomor antrean", "Perekaman", "Pencetakan"]
waktu = "1 hari kerja"
biaya = "Gratis"
produk = "KTP-el"
pengaduan = "Loket informasi atau SP4N-LAPOR! (lapor.go.id)"
"""


def test_standards_are_read_with_their_service() -> None:
    venue = load_venue_text(venue_toml(extra=KTP_STANDARDS))
    standards = venue.services["ktp"].standards
    assert standards is not None
    assert standards.persyaratan == ("Fotokopi Kartu Keluarga", "Berusia 17 tahun")
    assert standards.prosedur[-1] == "Pencetakan" and standards.biaya == "Gratis"
    assert venue.services["paspor"].standards is None


def test_advice_names_services_without_standards_and_missing_parts() -> None:
    partial = KTP_STANDARDS.replace('biaya = "Gratis"\n', "").replace('produk = "KTP-el"\n', "")
    found = advice(load_venue_text(venue_toml(extra=partial)))
    by_path = {p.path: p for p in found}
    assert set(by_path) == {"services.ktp.standards", "services.paspor.standards"}
    assert by_path["services.ktp.standards"].code == "standards_incomplete"
    assert "biaya, produk" in by_path["services.ktp.standards"].message
    assert by_path["services.paspor.standards"].code == "no_standards"


@pytest.mark.parametrize(
    ("line", "fragment"),
    [('persyaratan = "KTP"', "persyaratan"), ("waktu = 3", "waktu"), ('lama = "x"', "lama")],
)
def test_a_wrong_standards_entry_is_a_problem_with_its_path(
    tmp_path: Path, line: str, fragment: str
) -> None:
    bad = tmp_path / "bad.toml"
    text = venue_toml(extra=KTP_STANDARDS)
    key = line.split(" = ")[0]
    kept = [row for row in text.splitlines() if not row.startswith(f"{key} =")]
    bad.write_text(
        "\n".join(kept).replace("[services.ktp.standards]", f"[services.ktp.standards]\n{line}")
    )
    problems = check_file(bad)
    assert problems and any(
        "services.ktp" in p.path and fragment in p.path + p.message for p in problems
    )


def test_the_demo_venue_has_full_standards_for_every_service() -> None:
    venue = load_venue(DEMO_VENUE)
    assert advice(venue) == []
    assert all(s.standards and len(s.standards.persyaratan) >= 1 for s in venue.services.values())


def test_check_config_warns_but_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "venue.toml"
    file.write_text(venue_toml(extra=KTP_STANDARDS))
    assert main(["check-config", str(file)]) == 0
    out = capsys.readouterr().out
    assert "OK" in out
    assert f"{file}: services.paspor.standards: warning: service has no standar pelayanan" in out
    assert "1 warning(s)" in out
