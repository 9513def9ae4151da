"""Roles and the accounts log (server.accounts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.accounts import AccountBook, AccountError, User
from server.store import open_log


class TestRoles:
    """Officers act for their tenant and counters; managers and admins everywhere."""

    def user(
        self, role: str, tenant: str | None = "dukcapil", counters: tuple[str, ...] = ()
    ) -> User:
        return User("u", "U", role, tenant, counters, "hash")  # type: ignore[arg-type]

    def test_officer_bound_to_counters(self) -> None:
        officer = self.user("officer", counters=("1",))
        assert officer.may_use_counter("1", "dukcapil")
        assert not officer.may_use_counter("2", "dukcapil")
        assert not officer.may_use_counter("1", "samsat")

    def test_supervisor_and_manager(self) -> None:
        assert self.user("supervisor").may_use_counter("9", "dukcapil")
        assert not self.user("supervisor").may_use_counter("9", "samsat")
        assert self.user("manager", None).may_use_counter("9", "samsat")


class TestAccountBook:
    """Accounts are events: two books on one log agree, and mistakes are refused."""

    async def test_two_books_share_one_log(self, tmp_path: Path) -> None:
        log = open_log(f"sqlite://{tmp_path / 'a.db'}")
        try:
            one, two = AccountBook("v", log), AccountBook("v", log)
            await one.add_user("ani", "Ani", "manager", "kata-sandi-1")
            await two.add_user("budi", "Budi", "officer", "kata-sandi-2", tenant="dukcapil")
            assert set((await one.refresh()).users) == {"ani", "budi"}
            with pytest.raises(AccountError, match="exists already"):
                await one.add_user("budi", "B", "admin", "kata-sandi-3")
            with pytest.raises(AccountError, match="belongs to a tenant"):
                await one.add_user("cici", "C", "officer", "kata-sandi-4")
            with pytest.raises(AccountError, match="username"):
                await one.add_user("Bad Name!", "C", "admin", "kata-sandi-4")
            await one.set_password("ani", "kata-sandi-baru")
            accounts = await two.refresh()
            assert accounts.authenticate("ani", "kata-sandi-baru") is not None
            assert accounts.authenticate("ani", "kata-sandi-1") is None
            assert accounts.authenticate("nobody", "kata-sandi-1") is None
        finally:
            await log.close()
