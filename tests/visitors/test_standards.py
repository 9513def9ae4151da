"""`/layanan`: the services' standar pelayanan, public, before anyone leaves home."""

from __future__ import annotations

import httpx


class TestStandardsPages:
    async def test_every_tenant_with_services_is_listed(self, site: httpx.AsyncClient) -> None:
        answer = await site.get("/layanan")
        assert answer.status_code == 200
        assert "Standar pelayanan" in answer.text
        assert 'href="/layanan/dispendukcapil"' in answer.text
        assert "Layanan: 7" in answer.text

    async def test_a_tenants_page_shows_each_services_standards(
        self, site: httpx.AsyncClient
    ) -> None:
        answer = await site.get("/layanan/dispendukcapil?layanan=ktp")
        assert answer.status_code == 200
        text = answer.text
        assert "Perekaman KTP-el" in text and "Fotokopi Kartu Keluarga" in text
        assert "Waktu penyelesaian" in text and "Biaya/tarif" in text
        # The one asked for is open; the others stay folded.
        assert 'id="standar-ktp" open' in text and 'id="standar-kk">' in text

    async def test_in_english_the_headings_change_and_the_units_words_stay(
        self, site: httpx.AsyncClient
    ) -> None:
        answer = await site.get("/layanan/dispendukcapil?lang=en")
        assert "Requirements" in answer.text and "Fotokopi Kartu Keluarga" in answer.text

    async def test_an_unknown_tenant_is_a_friendly_404(self, site: httpx.AsyncClient) -> None:
        answer = await site.get("/layanan/tidak-ada")
        assert answer.status_code == 404
        assert "Instansi tidak ditemukan" in answer.text and 'href="/layanan"' in answer.text
