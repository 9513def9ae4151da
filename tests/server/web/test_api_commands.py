"""`POST /api/commands` at its edges: whatever a signed-in manager sends is answered with a
clear JSON refusal or done, never a 500 (issue 11)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from server.domain import commands as cmd
from server.settings import Settings
from tests.helpers import SignedIn, serving
from tests.strategies import any_command

DAY = "2026-11-24"
# Ids of the demo venue (server/venues/merdeka-malang.toml) and of the first tickets.
DEMO = ("1", "2", "5", "ktp", "kk", "pkb", "dispendukcapil", "A-001", "G-001", "a1")


@pytest.fixture
async def manager(tmp_path: Path) -> AsyncIterator[SignedIn]:
    settings = Settings(data_dir=str(tmp_path), clock_start=f"{DAY}T09:00:00+07:00")
    async with serving(settings) as (_, client):
        desk = SignedIn(client)
        await desk.sign_in("manajer")
        await desk.send(type="issue_ticket", service="ktp", visit="v1", channel="staff")
        await desk.send(type="open_counter", counter="1")
        yield desk


class TestEdges:
    async def test_roll_day_on_a_started_day_is_a_harmless_no_op(self, manager: SignedIn) -> None:
        answer = await manager.post(type="roll_day")
        assert answer.status_code == 200
        assert answer.json()["ok"] and answer.json()["events"] == []

    @pytest.mark.parametrize("ref", ["A²", "A" + "9" * 5000, "٣"])
    async def test_odd_ticket_references_are_unknown_tickets(
        self, manager: SignedIn, ref: str
    ) -> None:
        for kind in ("cancel_ticket", "return_ticket"):
            answer = await manager.post(type=kind, ticket=ref)
            assert answer.status_code == 409
            assert answer.json()["code"] == "unknown_ticket"
        answer = await manager.post(type="call_specific", counter="1", ticket=ref)
        assert answer.json()["code"] == "unknown_ticket"


class TestFuzz:
    """Any command with any field values, through the whole HTTP path."""

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(command=any_command(DEMO))
    async def test_never_a_500(self, manager: SignedIn, command: cmd.Command) -> None:
        body = msgspec.json.decode(msgspec.json.encode(command))
        body["command_id"] = uuid.uuid4().hex
        answer = await manager.post(**body)
        assert answer.status_code in (200, 400, 403, 409), (body, answer.text)
        assert answer.headers["content-type"].startswith("application/json")


class TestBodies:
    """Whatever the body, the answer is a 4xx JSON refusal in Indonesian, never a 500."""

    @pytest.mark.parametrize("bracket", [b"[" * 7000, b'{"a":' * 3000], ids=["arrays", "objects"])
    async def test_deep_nesting_is_refused(self, manager: SignedIn, bracket: bytes) -> None:
        body = b'{"type":"call_next","counter":"1","command_id":"abcdefgh1","x":' + bracket
        answer = await manager.client.post(
            "/api/commands",
            content=body,
            headers={"X-CSRF-Token": manager.csrf, "Content-Type": "application/json"},
        )
        assert answer.status_code == 400
        assert answer.json()["code"] == "too_deep"
        assert answer.json()["message"] == "Permintaan tidak valid: isinya bersarang terlalu dalam."

    async def test_a_wrong_type_is_named_in_indonesian(self, manager: SignedIn) -> None:
        answer = await manager.post(type="call_next", counter=7)
        assert answer.status_code == 400
        body = answer.json()
        assert body["message"] == "Permintaan tidak valid: kolom counter harus berupa teks."
        assert "Expected" in body["detail"]

    async def test_a_missing_field_and_an_unknown_type(self, manager: SignedIn) -> None:
        missing = (await manager.post(type="call_next")).json()["message"]
        assert missing == "Permintaan tidak valid: kolom counter wajib diisi."
        unknown = (await manager.post(type="fly_away")).json()["message"]
        assert unknown == "Permintaan tidak valid: nilai kolom type tidak dikenal."

    async def test_english_when_asked(self, manager: SignedIn) -> None:
        manager.client.cookies.set("lang", "en")
        answer = await manager.post(type="call_next", counter=7)
        assert answer.json()["message"] == "Invalid request: field counter must be text."


class TestVisitorsOwnCommands:
    """Staff never answer a survey for a visitor, nor import one through the API."""

    async def test_a_manager_cannot_send_a_survey_or_an_import(self, manager: SignedIn) -> None:
        answers = dict.fromkeys(
            ("persyaratan", "prosedur", "waktu", "biaya", "produk"), 4
        ) | dict.fromkeys(("kompetensi", "perilaku", "pengaduan", "sarana"), 4)
        survey = await manager.post(type="answer_survey", answers=answers, service="ktp")
        assert survey.status_code == 403 and survey.json()["code"] == "forbidden"
        row = {"source": "x", "day": DAY, "service": "ktp", "answers": answers}
        imported = await manager.post(type="import_surveys", rows=[row])
        assert imported.status_code == 403 and imported.json()["code"] == "forbidden"
