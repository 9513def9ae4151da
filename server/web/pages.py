"""What every room's pages share: the template environment, static files, language."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from server import i18n
from server.services import services
from server.web.auth import language, psay, say

ROOT = Path(__file__).resolve().parent.parent.parent
ROOMS = ("server", "displays", "counters", "visitors", "managers")


# JSON inside <script type="application/json"> ends at the first "</script", and "<!--"
# changes how the HTML parser reads the rest: escape every "<", ">" and "&" as \uXXXX,
# which JSON.parse reads back unchanged.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def script_json(value: Any) -> Markup:
    """`value` (msgspec Structs too) as JSON that is safe inside a `<script>` element: the one
    way page data goes into a page (`{{ view | script_json }}` in a template)."""
    return Markup(msgspec.json.encode(value).decode().translate(_SCRIPT_SAFE))


def _environment() -> Environment:
    loaders = [FileSystemLoader(ROOT / room / "templates") for room in ROOMS]
    environment = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape())
    environment.filters["script_json"] = script_json
    return environment


templates = Jinja2Templates(env=_environment())


def static_mounts() -> list[BaseRoute]:
    """`/static/<room>/...` for each room that has a `static` folder."""
    return [
        Mount(
            f"/static/{room}", StaticFiles(directory=ROOT / room / "static"), name=f"{room}-static"
        )
        for room in ROOMS
        if (ROOT / room / "static").is_dir()
    ]


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a room's template with the language and the helpers every page uses.

    `t("Indonesian {name}", name=...)` is the catalogue's sentence in the visitor's language
    (`server.i18n`); `pt("context", "Indonesian")` the same for a sentence said in a context.
    """
    lang = language(request)
    context |= {
        "lang": lang,
        "t": functools.partial(say, request),
        "pt": functools.partial(psay, request),
        # The sentences the page's scripts say, for the kit's say() (none in Indonesian).
        "script_catalogue": i18n.script_catalogue(lang),
        "venue": services(request).venue,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    if "lang" in request.query_params:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response
