"""THE one Jinja2 environment of the service: FastAPI's `Jinja2Templates` with autoescape on for
every template, over the packages' template folders. The shared layout (`base.html`, used by the
staff pages and later by /redaktion) and the macros (`macros/*.html`) live in service/templates/;
a package's own pages in its `templates/` folder. Nothing else of the service builds HTML.

A template name is looked up in this order; names must not repeat between the folders.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

SERVICE = Path(__file__).resolve().parents[1]
SEARCH_PATH = [SERVICE / "templates", SERVICE / "pages" / "templates",
               SERVICE / "integrations" / "templates", SERVICE / "workspace" / "templates", SERVICE / "uppfoljning" / "templates"]

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader([str(p) for p in SEARCH_PATH]),
    autoescape=True,  # every template, whatever its name ends with
    undefined=jinja2.StrictUndefined,  # a misspelt variable is an error, not an empty string
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
templates = Jinja2Templates(env=environment)


def render(name: str, **context: Any) -> Markup:
    """The template's HTML; Markup, so that a fragment put into another template is not escaped
    twice (everything in it was escaped when it was rendered)."""
    return Markup(environment.get_template(name).render(**context))


def html_response(name: str, *, status: int = 200, headers: dict[str, str] | None = None,
                  **context: Any) -> HTMLResponse:
    return HTMLResponse(render(name, **context), status_code=status, headers=headers)
