"""The web workspace at /redaktion: policy staff edit the rule pack, check it, see its effect,
and publish it with four eyes; kommun coordinators report what their kommun offers.

Server-rendered Swedish pages (Jinja2 templates in service/workspace/templates/) over
service/workspace/store.py (which enforces roles again and writes the audit trail). Sessions are
rows in the database (only a hash of the cookie is stored); every form carries the session's
CSRF token; roles are checked on every route. The database is opened on the first request to
/redaktion, so an app without one still starts.

This module only puts the routers of service/workspace/routes/ together under /redaktion.
"""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from . import oidc
from .routes import checks, drafts, features, forms, kommun, omgang, review, texts, users, versions
from .routes.common import STATIC

router = APIRouter(include_in_schema=False)
router.include_router(oidc.router, prefix="/redaktion")  # /redaktion/oidc/login and /callback: single sign-on
for _area in (users, drafts, texts, features, forms, checks, review, versions, kommun, omgang):
    router.include_router(_area.router)  # each under /redaktion


@router.get("/redaktion/static/{name}")
def static(name: str) -> Response:
    from service.core.staticfiles import static_file

    return static_file(STATIC, name)
