"""`antrean users` and `antrean devices`, as an admin uses them on the command line."""

from __future__ import annotations

import asyncio
import io
import re
import time
from pathlib import Path

import pytest

from server.accounts import AccountBook, Accounts
from server.cli import main
from server.store import open_log


def accounts(data: Path) -> Accounts:
    async def load() -> Accounts:
        log = open_log(f"sqlite://{data / 'antrean.db'}")
        try:
            return await AccountBook("merdeka-malang", log).refresh()
        finally:
            await log.close()

    return asyncio.run(load())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestUsers:
    """Admins add officers bound to a tenant, list them and disable them."""

    def test_add_list_disable(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO("kata-sandi-kuat\n"))
        code, out, _ = run(
            capsys,
            "users",
            "add",
            "budi",
            "--role",
            "officer",
            "--tenant",
            "dispendukcapil",
            "--counters",
            "1",
            "--name",
            "Budi Santoso",
            "--password-stdin",
            "--data",
            str(tmp_path),
        )
        assert code == 0 and "added budi" in out
        assert accounts(tmp_path).authenticate("budi", "kata-sandi-kuat") is not None
        assert "Budi Santoso" in run(capsys, "users", "list", "--data", str(tmp_path))[1]
        assert run(capsys, "users", "disable", "budi", "--data", str(tmp_path))[0] == 0
        assert accounts(tmp_path).authenticate("budi", "kata-sandi-kuat") is None

    def test_sign_out_ends_the_sessions_issued_before(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO("kata-sandi-kuat\n"))
        data = ("--data", str(tmp_path))
        run(capsys, "users", "add", "siti", "--role", "manager", "--password-stdin", *data)
        issued = time.time()
        code, out, _ = run(capsys, "users", "sign-out", "Siti", *data)
        assert code == 0 and "signed out siti" in out
        book = accounts(tmp_path)
        siti = book.users["siti"]
        assert book.session_ended("s1", issued, siti)
        assert not book.session_ended("s2", time.time(), siti)
        code, _, err = run(capsys, "users", "sign-out", "nobody", *data)
        assert code == 1 and "no user 'nobody'" in err

    def test_empty_list_says_what_to_do(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert "antrean users add" in run(capsys, "users", "list", "--data", str(tmp_path))[1]

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            (["--tenant", "nope"], "unknown tenant 'nope'"),
            (
                ["--tenant", "samsat", "--counters", "1"],
                "counter '1' is not a counter of tenant 'samsat'",
            ),
            (["--tenant", "samsat"], "at least 8 characters"),
        ],
    )
    def test_mistakes_are_named(
        self,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
        extra: list[str],
        message: str,
    ) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO("pendek\n"))
        code, _, err = run(
            capsys,
            "users",
            "add",
            "siti",
            "--role",
            "officer",
            *extra,
            "--password-stdin",
            "--data",
            str(tmp_path),
        )
        assert code == 1 and message in err
        assert not accounts(tmp_path).users


class TestDevices:
    """A paired screen gets a one-time address; its token works until revoked."""

    def test_pair_and_revoke(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "devices", "add", "--zone", "lantai2", "--data", str(tmp_path))
        token = re.search(r"/display/lantai2\?device=(\S+)", out).group(1)  # type: ignore[union-attr]
        device = accounts(tmp_path).device(token)
        assert code == 0 and device is not None and device.zone == "lantai2"
        assert run(capsys, "devices", "revoke", device.id, "--data", str(tmp_path))[0] == 0
        assert accounts(tmp_path).device(token) is None

    def test_a_survey_tablet_is_paired_at_the_survey_page(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        data = ("--data", str(tmp_path))
        code, out, _ = run(capsys, "devices", "add", "--kind", "survey", "--zone", "lantai2", *data)
        token = re.search(r"/survey\?device=(\S+)", out).group(1)  # type: ignore[union-attr]
        device = accounts(tmp_path).device(token)
        assert code == 0 and device is not None and device.kind == "survey"
        listed = run(capsys, "devices", "list", *data)[1]
        assert f"{device.id:<20} survey" in listed

    def test_a_survey_tablet_has_no_printer(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        data = ("--data", str(tmp_path))
        code, _, err = run(
            capsys, "devices", "add", "--kind", "survey", "--zone", "lantai2", "--printer",
            "10.0.0.50:9100", *data,
        )  # fmt: skip
        assert code == 1 and "only a kiosk has a printer" in err

    def test_unknown_zone(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "devices", "add", "--zone", "atap", "--data", str(tmp_path))
        assert code == 1 and "unknown zone 'atap'" in err


class TestKioskSetup:
    """Admins give staff a kiosk PIN and a kiosk its network printer."""

    def test_pin_is_set_and_found(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO("kata-sandi-kuat\n"))
        data = ("--data", str(tmp_path))
        run(capsys, "users", "add", "siti", "--role", "manager", "--password-stdin", *data)
        code, out, _ = run(capsys, "users", "pin", "siti", "--pin", "135790", *data)
        assert code == 0 and "PIN set for siti" in out
        found = accounts(tmp_path).find_by_pin("135790")
        assert found is not None and found.username == "siti"
        assert accounts(tmp_path).find_by_pin("135791") is None
        code, _, err = run(capsys, "users", "pin", "siti", "--pin", "12ab", *data)
        assert code == 1 and err

    def test_kiosk_printer(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        data = ("--data", str(tmp_path))
        code, out, _ = run(
            capsys, "devices", "add", "--kind", "kiosk", "--zone", "lantai2", "--printer",
            "10.0.0.50:9100", *data,
        )  # fmt: skip
        token = re.search(r"/kiosk\?device=(\S+)", out).group(1)  # type: ignore[union-attr]
        device = accounts(tmp_path).device(token)
        assert code == 0 and device is not None and device.printer == "10.0.0.50:9100"
        assert "10.0.0.50:9100" in run(capsys, "devices", "list", *data)[1]
        assert run(capsys, "devices", "printer", device.id, "", *data)[0] == 0
        assert accounts(tmp_path).device(token).printer == ""  # type: ignore[union-attr]
