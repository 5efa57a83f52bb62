"""The composition root: `create_app()` is the factory uvicorn runs (`foraldrastod serve`). It
builds the app of `service.core` and puts every surface into it: the v1 API, CDS Hooks and
HSDS, the staff pages and /redaktion. The only module that imports them all; nothing imports it
(uvicorn finds it by name, tests call it).
"""
from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from engine import Family

from service import api
from service.core import health
from service.core.app import add_middleware, build_app
from service.core.logs import log_event
from service.core.packsource import source_from_env
from service.cli import features
from service.core.state import EngineState
from service.integrations import cds, cds_auth, hsds
from service.pages import web
from service.uppfoljning import registrera as uppfoljning_registrera
from service.uppfoljning import pages as uppfoljning_pages
from service.uppfoljning import routes as uppfoljning_routes
from service.workspace import source as workspace_source
from service.workspace import web as redaktion
from service.workspace.errorpages import WorkspaceErrorPages


def _version_published(state: EngineState):
    """When the pack comes from the database: number -> the version's publication date."""
    source = state.source
    if not isinstance(source, workspace_source.DatabaseSource):
        return None
    from service.workspace import db, store

    def published(number: int):
        with db.session_scope(source.url) as s:
            pv = store.get_version(s, number)
            return pv.published_at or pv.created_at

    return published


def create_app(rules: str | Path | None = None, state: EngineState | None = None) -> FastAPI:
    """The app for the pack in `rules` (default: the database when `serve` chose it, else
    FORALDRASTOD_RULES, else rules/orebro-lan)."""
    if state is None:
        source = None if rules is not None else source_from_env(database=workspace_source.from_env)
        state = EngineState(rules, source=source)
    app = build_app(state, body_models=(Family, cds.CdsRequest, cds.Feedback))
    app.state.cds_verifier = cds_auth.verifier_at_start()  # CDS Hooks JWT (H-interop)
    app.state.version_published = _version_published(state)  # the pages' "version 2, publicerad …"
    app.state.feature_runner = features.run_scenarios  # /strategi runs the served version's tests
    health.register(app, "cds", lambda: cds.cds_health(app.state.cds_verifier))
    app.include_router(api.router)
    api.add_admin_route(app, enabled=api.admin_token() is not None)
    app.include_router(cds.router)
    app.include_router(hsds.router)
    app.include_router(web.router)
    app.include_router(uppfoljning_registrera.router)  # the staff page's "Registrera i uppföljningen" (issue 20)
    app.include_router(redaktion.router)  # /redaktion, the rule pack workspace (issue 13)
    app.include_router(uppfoljning_routes.router)  # /v1/uppfoljning (issue 20)
    app.include_router(uppfoljning_pages.router)  # /uppfoljning, /uppfoljning/{kommunkod}, /uppfoljning.csv
    add_middleware(app, inner=(WorkspaceErrorPages,))  # /redaktion errors as Swedish pages (413, 500 …); HSTS over https
    app.add_middleware(cds.CdsCors, origins=cds.cors_origins(os.environ.get("FORALDRASTOD_CORS_ORIGINS")))
    log_event("start", ruleset={"name": state.engine.pack.name, "version": state.engine.version},
              **health.parts(app))
    return app
