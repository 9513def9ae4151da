"""Fixtures for the visitors' tests: the whole app in-process, as a visitor's phone meets it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from server.settings import Settings
from tests.helpers import serving


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app in-process, on the demo venue at 09.00 on a Tuesday."""
    settings = Settings(data_dir=str(tmp_path), clock_start="2026-11-24T09:00:00+07:00")
    async with serving(settings, host="mpp.test") as (_, client):
        yield client
