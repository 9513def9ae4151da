"""Booking codes are long enough not to be guessed and still easy to type; the duplicate
booking refusal states the rule without confirming who booked what."""

from __future__ import annotations

import re

import httpx

from server.domain.codes import CROCKFORD, canonical_code
from tests.helpers import booking_form
from visitors.booking import booking_code


class TestCodes:
    def test_sixty_random_bits_in_three_groups(self) -> None:
        codes = {booking_code() for _ in range(200)}
        assert len(codes) == 200
        for code in codes:
            assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code), code
            assert set(code.replace("-", "")) <= set(CROCKFORD)
        # 12 characters of a 32-letter alphabet: 60 bits.
        assert len(CROCKFORD) == 32 and len(next(iter(codes)).replace("-", "")) == 12

    def test_typed_any_way_it_is_the_same_code(self) -> None:
        for typed in ("ab10-cd1e-fgh0", "AB1O CDLE FGHo", "ab1ocdiefgh0", " AB10-CD1E-FGH0\n"):
            assert canonical_code(typed) == "AB10-CD1E-FGH0", typed

    def test_older_codes_still_name_their_bookings(self) -> None:
        assert canonical_code("kxlm7p2q") == "KXLM7P2Q"  # the 8-letter codes, L included
        assert canonical_code("kiosk1\n") == "KIOSK1"


class TestDuplicate:
    async def test_the_refusal_does_not_confirm_the_booking(self, site: httpx.AsyncClient) -> None:
        first = await site.post("/booking", data=await booking_form(site))
        assert first.status_code == 303
        again = await site.post("/booking", data=await booking_form(site, slot="10:00"))
        assert again.status_code == 409
        assert "Pemesanan tidak dapat dibuat untuk data ini." in again.text
        assert "sudah memesan" not in again.text
        assert "24-11-2026" not in again.text
