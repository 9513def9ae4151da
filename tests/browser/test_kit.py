"""The front-end kit's modules (server/static/kit/), run in Chromium from a live server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import Page, Route

from tests.conftest import LiveServer

KIT = "/static/server/kit"


@pytest.fixture
async def kit_page(live_server: LiveServer, page: Page) -> Page:
    """A page of ours (any will do: the kit is imported by the tests themselves)."""
    await page.goto(f"{live_server.url}/login")
    return page


async def run(page: Page, module: str, body: str, arg: Any = None) -> Any:
    """Evaluate `body` (an async function body) with `kit` bound to the imported module."""
    script = f"async (arg) => {{ const kit = await import('{KIT}/{module}'); {body} }}"
    return await page.evaluate(script, arg)


class TestNewId:
    """Command ids are 32 hex digits where crypto.randomUUID is missing (plain http)."""

    async def test_without_random_uuid(self, kit_page: Page) -> None:
        ids = await run(
            kit_page,
            "api.js",
            "delete Crypto.prototype.randomUUID;"
            "return Array.from({length: 500}, () => kit.newId());",
        )
        assert all(len(i) == 32 and set(i) <= set("0123456789abcdef") for i in ids)
        assert len(set(ids)) == len(ids)

    async def test_with_random_uuid(self, kit_page: Page) -> None:
        made = await run(kit_page, "api.js", "return kit.newId();")
        assert len(made) == 36 and made.count("-") == 4


class Commands:
    """Answers POST /api/commands with the given statuses in turn, recording each body."""

    def __init__(self, statuses: list[int | str]) -> None:
        self.statuses = statuses
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []

    async def __call__(self, route: Route) -> None:
        request = route.request
        self.bodies.append(json.loads(request.post_data or "{}"))
        self.headers.append(await request.all_headers())
        status = self.statuses[min(len(self.bodies), len(self.statuses)) - 1]
        if status == "drop":
            await route.abort()
        elif status == 200:
            await route.fulfill(status=200, json={"ok": True, "seq": 7})
        elif status == "html":
            await route.fulfill(status=500, body="<h1>oops</h1>", content_type="text/html")
        else:
            await route.fulfill(status=int(status), json={"ok": False, "message": "away"})


SEND = """
const seen = [];
const answer = await kit.command({type: "open_counter", counter: "1"}, {
  csrf: "token-1", giveUpAfter: arg,
  onOffline: (now) => seen.push(now),
  words: {network: "putus", server: (status) => `HTTP ${status} rusak`},
});
return {answer, seen};
"""


class TestCommand:
    """One command, one id: resent with that id on 502/503/504 or a dropped connection."""

    async def test_a_503_is_resent_with_the_same_id(self, kit_page: Page) -> None:
        server = Commands([503, 502, 200])
        await kit_page.route("**/api/commands", server)
        result = await run(kit_page, "api.js", SEND, 30000)
        assert result == {"answer": {"ok": True, "seq": 7}, "seen": [True, False]}
        assert len(server.bodies) == 3
        assert len({body["command_id"] for body in server.bodies}) == 1
        assert server.bodies[0] == {**server.bodies[0], "type": "open_counter", "counter": "1"}
        assert {h["x-csrf-token"] for h in server.headers} == {"token-1"}

    async def test_it_gives_up_after_the_given_time(self, kit_page: Page) -> None:
        server = Commands([503])
        await kit_page.route("**/api/commands", server)
        result = await run(kit_page, "api.js", SEND, 1200)
        assert result["answer"] == {"ok": False, "code": "http", "message": "HTTP 503 rusak"}
        assert result["seen"] == [True, False]
        # Pauses of about 0.5 s then 1 s: two or three tries fit in 1.2 s, not more.
        assert 2 <= len(server.bodies) <= 3

    async def test_a_dropped_connection_is_resent_then_named(self, kit_page: Page) -> None:
        server = Commands(["drop", 200])
        await kit_page.route("**/api/commands", server)
        assert (await run(kit_page, "api.js", SEND, 30000))["answer"]["ok"] is True
        assert server.bodies[0]["command_id"] == server.bodies[1]["command_id"]
        server = Commands(["drop"])
        await kit_page.unroute("**/api/commands")
        await kit_page.route("**/api/commands", server)
        answer = (await run(kit_page, "api.js", SEND, 600))["answer"]
        assert answer == {"ok": False, "code": "network", "message": "putus"}

    async def test_other_answers_are_final(self, kit_page: Page) -> None:
        server = Commands([409])
        await kit_page.route("**/api/commands", server)
        answer = (await run(kit_page, "api.js", SEND, 30000))["answer"]
        assert answer == {"ok": False, "message": "away"}
        assert len(server.bodies) == 1
        await kit_page.unroute("**/api/commands")
        await kit_page.route("**/api/commands", Commands(["html"]))
        answer = (await run(kit_page, "api.js", SEND, 30000))["answer"]
        assert answer == {"ok": False, "code": "http", "message": "HTTP 500 rusak"}

    async def test_two_commands_have_two_ids(self, kit_page: Page) -> None:
        server = Commands([200])
        await kit_page.route("**/api/commands", server)
        await run(kit_page, "api.js", SEND, 30000)
        await run(kit_page, "api.js", SEND, 30000)
        assert server.bodies[0]["command_id"] != server.bodies[1]["command_id"]


class TestI18n:
    """One language pick (the page's <html lang>), the catalogue's sentences, {placeholders}."""

    async def test_fill_pick_and_a_pages_table(self, kit_page: Page) -> None:
        said = await run(
            kit_page,
            "i18n.js",
            """
            const say = kit.phrases({call: "Panggil {label} ke {counter}", chosen: "Dipilih: {n}"});
            const out = [kit.lang(), say("call", {label: "A-001"}), say("chosen", {n: 3})];
            document.documentElement.lang = "en";
            out.push(kit.lang(), kit.pick("Buka", "Open"), kit.fill("{a}{a}{b}", {a: 1, b: 0}));
            document.documentElement.lang = "fr";
            out.push(kit.lang());
            try { say("missing"); } catch (error) { out.push(error.message); }
            return out;
            """,
        )
        assert said == [
            "id",
            "Panggil A-001 ke ",
            "Dipilih: 3",
            "en",
            "Open",
            "110",
            "id",
            'no sentence "missing" in this page\'s table',
        ]

    async def test_say_is_the_msgid_in_indonesian(self, kit_page: Page) -> None:
        said = await run(
            kit_page,
            "i18n.js",
            'return [kit.say("Menyimpan…"), kit.say("NIK: {n} dari 16 angka", {n: 3}),'
            ' kit.psay("console", "Istirahat")];',
        )
        assert said == ["Menyimpan…", "NIK: 3 dari 16 angka", "Istirahat"]

    async def test_say_reads_the_english_the_page_carries(
        self, live_server: LiveServer, page: Page
    ) -> None:
        await page.goto(f"{live_server.url}/login?lang=en")
        said = await run(
            page,
            "i18n.js",
            'return [kit.say("Menyimpan…"), kit.say("NIK: {n} dari 16 angka", {n: 3}),'
            ' kit.psay("console", "Istirahat"), kit.say("Istirahat"), kit.say("{n} menunggu"),'
            ' kit.say("Kalimat baru.")];',
        )
        assert said == [
            "Saving…",
            "NIK: 3 of 16 digits",
            "On break",
            "Istirahat",  # said by templates only: not among the scripts' sentences
            "{n} waiting",
            "Kalimat baru.",
        ]


class TestDom:
    """Elements are built with text, never markup; lists are updated in place."""

    async def test_text_and_attributes_stay_text(self, kit_page: Page) -> None:
        built = await run(
            kit_page,
            "dom.js",
            """
            const evil = '<img src=x onerror="window.hit=1">';
            const node = kit.el("li", {class: "row", title: evil, dataset: {id: "7"},
                                       hidden: true, disabled: false, text: evil},
                                kit.el("b", {}, evil));
            document.body.append(node);
            return {images: document.querySelectorAll("img").length, hit: window.hit ?? null,
                    title: node.getAttribute("title"), text: node.firstChild.data,
                    bold: node.lastChild.textContent, nodes: node.childNodes.length,
                    id: node.dataset.id, hidden: node.hidden,
                    disabled: node.hasAttribute("disabled"), cls: node.className};
            """,
        )
        evil = '<img src=x onerror="window.hit=1">'
        assert built == {
            "images": 0,
            "hit": None,
            "title": evil,
            "text": evil,
            "bold": evil,
            "nodes": 2,
            "id": "7",
            "hidden": True,
            "disabled": False,
            "cls": "row",
        }

    async def test_reconcile_keeps_the_nodes(self, kit_page: Page) -> None:
        kept = await run(
            kit_page,
            "dom.js",
            """
            const list = kit.el("ul");
            const make = (item) => kit.el("li");
            const update = (node, item) => { node.textContent = item.name; };
            kit.reconcile(list, [{id: "a", name: "A"}, {id: "b", name: "B"}], make, update);
            const b = list.children[1];
            kit.reconcile(list, [{id: "b", name: "B2"}, {id: "c", name: "C"}], make, update);
            return [list.textContent, list.children[0] === b];
            """,
        )
        assert kept == ["B2C", True]


class TestDevice:
    """A device token comes once in the address, is kept, and leaves the address bar."""

    async def test_the_token_is_taken_from_the_address(
        self, live_server: LiveServer, page: Page
    ) -> None:
        await page.goto(f"{live_server.url}/login?device=abc123&lang=id")
        found = await run(
            page,
            "device.js",
            """
            const token = kit.deviceToken("antrean.test.device");
            return [token, location.search, localStorage.getItem("antrean.test.device"),
                    kit.deviceToken("antrean.test.device"), kit.deviceToken("other")];
            """,
        )
        assert found == ["abc123", "?lang=id", "abc123", "abc123", ""]


class TestClock:
    """The server's time as the page counts it: learned from the server, then counted on
    whatever the device's own clock does."""

    async def test_a_device_clock_set_later_does_not_move_it(self, kit_page: Page) -> None:
        drift = await run(
            kit_page,
            "clock.js",
            "kit.syncTo('2026-11-24T02:00:00Z');"
            "const before = kit.now();"
            "const real = Date.now; Date.now = () => real() + 5 * 3600 * 1000;"
            "return kit.now() - before;",
        )
        assert 0 <= drift < 1000

    async def test_it_learns_the_time_again_from_healthz(
        self, kit_page: Page, live_server: LiveServer
    ) -> None:
        told = await run(
            kit_page,
            "clock.js",
            "kit.syncTo('2001-01-01T00:00:00Z');"
            "await kit.keepInSync({every: 3600000})();"
            "const answer = await (await fetch('/healthz')).json();"
            "return [kit.now(), Date.parse(answer.now)];",
        )
        assert abs(told[0] - told[1]) < 2000


class TestStaleCalls:
    """The hall display recites a live call, whatever its own clock says."""

    async def test_a_live_call_after_the_device_clock_was_set(self, kit_page: Page) -> None:
        stale = await kit_page.evaluate(
            """async () => {
                const { isStale } = await import('/static/displays/player.js');
                const clock = await import('/static/server/kit/clock.js');
                const iso = (ms) => new Date(ms).toISOString();
                clock.syncTo(iso(Date.now()));
                const first = isStale({ at: iso(clock.now()) });
                const real = Date.now; Date.now = () => real() + 5 * 3600 * 1000;
                const live = isStale({ at: iso(clock.now()) });
                const late = isStale({ at: iso(clock.now() - 3 * 60 * 1000) });
                return [first, live, late];
            }"""
        )
        assert stale == [False, False, True]
