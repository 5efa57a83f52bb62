"""The FastAPI app every surface is served in: title, description and tags of /openapi.json, the
error handlers, the middleware (body limit, strict headers, access log), SIGHUP reloads and the
lifespan that follows the pack source. `build_app` makes it; `service.app.create_app` puts the
surfaces' routers into it.

Imports `engine` and the rest of `service.core`; never the surfaces.
"""
from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from service.core import errors, metrics
from service.core.limits import MAX_BODY_BYTES, BodyLimit, StrictHeaders
from service.core.logs import AccessLog, install_repeat_filter
from service.core.openapi import pack_truths
from service.core.state import EngineState

DESCRIPTION = """\
Beslutsstöd för föräldraskapsstöd i kommunerna, byggt på *Regional strategi för
föräldraskapsstöd 2024–2030* (Region Örebro län). Ange kommun, barnets ålder i månader eller att
familjen väntar barn, och identifierade behov; svaret rekommenderar insatser på **universell**,
**selektiv** och **indikerad** nivå med motivering och källa, och säger om insatsen finns i kommunen.

Skicka aldrig personnummer eller andra personuppgifter: sådant avvisas (422) och tjänsten sparar
eller loggar aldrig begärans innehåll. Fel besvaras på svenska först, engelska efter, och nämner
fältet. Kroppar större än 16 KiB avvisas med 413.

Även som HL7 CDS Hooks 2.0 (`/cds-services`) och Open Referral HSDS 3 (`/hsds/services`).
"""

TAGS = [
    {"name": "Beslutsstöd", "description": "Rekommendationer för en familj"},
    {"name": "Katalog", "description": "Regelpaketets behov, insatser, kommuner och regler"},
    {"name": "CDS Hooks", "description": "HL7 CDS Hooks 2.0 för journalsystem"},
    {"name": "Open Referral HSDS", "description": "Insatskatalogen som HSDS 3"},
    {"name": "Drift", "description": "Hälsokontroll och omladdning av regelpaketet"},
]

def _openapi(app: FastAPI, body_models: tuple[type, ...]):
    """/openapi.json with the schemas of `body_models`: the request models the hand-parsed
    endpoints refer to (they read the body themselves, so FastAPI does not see them)."""
    built: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        engine = app.state.engine_state.engine
        if app.openapi_schema and built.get("version") == engine.version:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes, tags=TAGS)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in body_models:
            s = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in s.pop("$defs", {}).items():
                components.setdefault(name, sub)
            components[model.__name__] = s
        pack_truths(schema, engine.pack)  # rebuilt when a reload brings another pack
        app.openapi_schema = schema
        built["version"] = engine.version
        return schema

    return build


def _install_sighup(state: EngineState) -> bool:
    """SIGHUP reloads the pack (in a worker thread, so the event loop keeps serving)."""
    try:
        loop = asyncio.get_running_loop()

        def on_hup() -> None:
            loop.run_in_executor(None, state.reload_logged, "SIGHUP")

        loop.add_signal_handler(signal.SIGHUP, on_hup)
        return True
    except (ValueError, RuntimeError, NotImplementedError, AttributeError):
        return False  # not the main thread (e.g. TestClient): no signal handling


def build_app(state: EngineState, body_models: Iterable[type] = ()) -> FastAPI:
    """The app serving `state`, with the error handlers; routers and middleware come next
    (`add_middleware` last, after every router)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        installed = _install_sighup(state)
        install_repeat_filter()
        watcher = asyncio.get_running_loop().create_task(state.watch())  # follow the pack source
        try:
            yield
        finally:
            watcher.cancel()
            if installed:
                try:
                    asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
                except (ValueError, RuntimeError):
                    pass

    app = FastAPI(
        title="Beslutsstöd för föräldraskapsstöd",
        docs_url=None, redoc_url=None,  # served offline by service/pages/web.py
        version="1",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.engine_state = state
    errors.install(app)
    app.openapi = _openapi(app, tuple(body_models))
    return app


def add_middleware(app: FastAPI, inner: tuple = ()) -> None:
    """Outermost first at call time: access log, then the body limit, then FastAPI. `inner`: the
    surfaces' own middleware classes, run just outside the body limit (e.g. /redaktion's error pages)."""
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    for middleware in inner:
        app.add_middleware(middleware)
    app.add_middleware(StrictHeaders, router=app.router)  # 415 for non-JSON POSTs; nosniff, no-store
    app.add_middleware(AccessLog, observe=metrics.observe_request)
