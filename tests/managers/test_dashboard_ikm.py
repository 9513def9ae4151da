"""The dashboard's "IKM bulan ini": the month so far, per venue and tenant, moved by each
survey response as it is appended (a tally per scope, not a fold of the log)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from displays.health import Speakers
from managers.dashboard import Dashboard
from server.domain import commands as cmd
from server.domain import events as ev
from server.domain import ikm
from server.hub import Hub
from server.service import VenueQueue
from server.store import open_log
from tests.helpers import FakeClock, local_time, small_venue
from tests.managers.test_dashboard import Day

ALL4 = dict.fromkeys(ikm.KEYS, 4)
LOW = {**dict.fromkeys(ikm.KEYS, 3), "waktu": 1}


@pytest.fixture
async def day(tmp_path: Path) -> AsyncIterator[Day]:
    venue = small_venue()
    clock = FakeClock(local_time(venue, 2026, 11, 24, 9, 0))
    log = open_log(f"sqlite://{tmp_path / 'antrean.db'}")
    queue = VenueQueue(venue, log, clock)
    board = Dashboard(venue, queue.state, Hub(epoch="e"), clock=clock, zones=Speakers(venue))
    queue.listen(board.on_event)
    await queue.start()
    await board.start()
    yield Day(venue, queue, clock, board)
    await board.stop()
    await queue.stop()
    await log.close()


async def served(day: Day, counter: str, minute: int) -> str:
    """A ticket issued, called and done at `counter`: its id."""
    service = {"1": "ktp", "3": "sim"}[counter]
    if day.queue.state.counter(counter).status != "open":
        await day.at(9, minute, cmd.OpenCounter(counter=counter, officer=f"o{counter}"))
    await day.issue(9, minute, service)
    ticket = list(day.queue.state.tickets)[-1]  # the one just issued
    await day.at(9, minute, cmd.CallNext(counter=counter))
    await day.at(9, minute, cmd.Done(counter=counter))
    return ticket


async def rate(day: Day, ticket: str, answers: dict[str, int], minute: int) -> None:
    await day.at(9, minute, cmd.AnswerSurvey(answers=answers, ticket=ticket))


class TestIkmThisMonth:
    async def test_empty_before_the_first_response(self, day: Day) -> None:
        view = day.view()
        assert view.ikm is not None
        assert (view.ikm.month, view.ikm.respondents, view.ikm.value) == ("2026-11", 0, None)
        assert all(t.ikm is not None and t.ikm.value is None for t in view.tenants)

    async def test_each_response_moves_the_venue_and_its_tenant(self, day: Day) -> None:
        first = await served(day, "1", 1)
        await rate(day, first, ALL4, 2)
        view = day.view()
        assert view.ikm is not None
        assert (view.ikm.respondents, view.ikm.value, view.ikm.mutu) == (1, 100.0, "A")
        assert view.ikm.kinerja == "Sangat Baik"
        sim = await served(day, "3", 3)
        await rate(day, sim, LOW, 4)
        view = day.view()
        assert view.ikm is not None
        # (8 × 3.5 + 2.5) / 9 × 25 = 84.72: B; the slow answer makes waktu the weakest.
        assert (view.ikm.respondents, view.ikm.value, view.ikm.mutu) == (2, 84.72, "B")
        assert view.ikm.weakest == "waktu"
        # Satpas SIM alone: (8 × 3 + 1) / 9 × 25 = 69.44: C.
        polres = day.view("manager:polres")
        assert polres.ikm is not None and (polres.ikm.respondents, polres.ikm.value) == (1, 69.44)
        assert polres.ikm.mutu == "C" and polres.ikm.kinerja == "Kurang Baik"
        dukcapil = next(t for t in view.tenants if t.id == "dukcapil")
        assert dukcapil.ikm is not None and dukcapil.ikm.value == 100.0

    async def test_a_response_for_last_month_is_not_this_months(self, day: Day) -> None:
        event = ev.SurveyAnswered(
            at=local_time(day.venue, 2026, 11, 1, 9),
            service="ktp",
            tenant="dukcapil",
            day=local_time(day.venue, 2026, 10, 31).date(),
            answers=ALL4,
            channel="import",
            source="paper-1",
        )
        day.board.on_event(day.queue.state.seq, event, day.queue.state)
        view = day.view()
        assert view.ikm is not None and view.ikm.respondents == 0
        assert day.board.ikm_months[(2026, 10)]["dukcapil"].respondents == 1

    async def test_the_view_encodes(self, day: Day) -> None:
        assert b'"ikm":{"month":"2026-11"' in msgspec.json.encode(day.view())
