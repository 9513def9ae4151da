"""The OpenAPI document at /openapi.json: valid, and true to the app's routes both ways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate
from starlette.routing import BaseRoute, Mount, Route

from server.app import create_app
from server.settings import Settings
from server.web.openapi import document
from tests.helpers import serving

METHODS = ("get", "post", "put", "patch", "delete")

# Routes of the app that are no API on purpose: pages for people (HTML a browser navigates
# to), the websocket, static files, and the document itself.
NOT_API = {
    ("get", "/"),
    ("get", "/login"),
    ("get", "/counter"),
    ("get", "/counter/{counter}"),
    ("get", "/display/{zone}"),
    ("get", "/kiosk"),
    ("get", "/kiosk/ticket/{visit}/print"),
    ("get", "/survey"),
    ("get", "/t/{token}"),
    ("get", "/booking"),
    ("get", "/layanan"),
    ("get", "/layanan/{tenant}"),
    ("get", "/pengaduan"),
    ("get", "/pengaduan/lacak"),
    ("get", "/pengaduan/{code}"),
    ("get", "/manager/pengaduan"),
    ("get", "/manager/pengaduan/{code}"),
    ("get", "/manager"),
    ("get", "/manager/notices"),
    ("get", "/manager/running-text"),
    ("get", "/manager/voice"),
    ("get", "/manager/reports"),
    ("get", "/openapi.json"),
}
NOT_API_PREFIXES = ("/static/", "/ws")


def app_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every (method, path) the app answers, Mounts included, HEAD left out (GET's twin)."""
    for route in routes:
        if isinstance(route, Mount):
            yield from app_routes(route.routes, prefix + route.path)
            if not route.routes:
                yield "*", prefix + route.path + "/"
        elif isinstance(route, Route):
            path = re.sub(r"{(\w+):\w+}", r"{\1}", prefix + route.path)
            for method in route.methods or ("GET",):
                if method != "HEAD":
                    yield method.lower(), path
        else:
            yield "websocket", prefix + getattr(route, "path", "")


def documented() -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in document()["paths"].items()
        for method in item
        if method in METHODS
    }


def is_api(method: str, path: str) -> bool:
    return (method, path) not in NOT_API and not path.startswith(NOT_API_PREFIXES)


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    """The app's (method, path) pairs (building the app reads the venue file)."""
    app = create_app(Settings(data_dir=str(tmp_path_factory.mktemp("data"))))
    return set(app_routes(app.routes))


class TestDocument:
    """The document is valid OpenAPI 3.1 and served as JSON."""

    def test_it_is_valid_openapi(self) -> None:
        validate(document())

    async def test_it_is_served_at_openapi_json(self, tmp_path: Path) -> None:
        async with serving(Settings(data_dir=str(tmp_path))) as (_, client):
            answer: httpx.Response = await client.get("/openapi.json")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["paths"].keys() == document()["paths"].keys()

    def test_command_bodies_come_from_the_command_union(self) -> None:
        schemas = document()["components"]["schemas"]
        union = schemas["Command"]["anyOf"]
        tags = {
            schemas[ref["$ref"].rsplit("/", 1)[1]]["properties"]["type"]["enum"][0] for ref in union
        }
        assert {"call_next", "transfer", "set_running_text", "check_in"} <= tags
        assert schemas["IssueBody"]["properties"]["command_id"]["minLength"] == 8

    def test_every_operation_documents_its_refusals(self) -> None:
        for path, item in document()["paths"].items():
            for method, operation in item.items():
                statuses = set(operation["responses"])
                assert statuses & {"200", "303"}, (method, path)
                assert any(int(s) >= 400 for s in statuses), (method, path)


class TestRoutes:
    """What the document names, the app answers; what the app answers as an API, the
    document names."""

    def test_every_documented_operation_is_a_route(self, routes: set[tuple[str, str]]) -> None:
        assert documented() - routes == set()

    def test_every_api_route_is_documented(self, routes: set[tuple[str, str]]) -> None:
        api = {(m, p) for m, p in routes if is_api(m, p)}
        assert api - documented() == set()

    def test_the_pages_left_out_are_still_routes(self, routes: set[tuple[str, str]]) -> None:
        # A page removed from the app must leave this list too, or it hides nothing.
        assert NOT_API - routes == set()

    def test_mounts_are_walked(self, routes: set[tuple[str, str]]) -> None:
        assert any(p.startswith("/static/") for _, p in routes)
