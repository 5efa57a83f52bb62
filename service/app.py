"""The HTTP service: `create_app()` is the factory uvicorn runs (`foraldrastod serve`).

Thin over engine/: parsing and validation of requests, serialisation of answers, reloads.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from engine import Family
from engine.models import MAX_AGE_MONTHS

from . import api, cds, cds_auth, errors, hsds, metrics, web
from .limits import MAX_BODY_BYTES, BodyLimit, StrictHeaders
from .logs import AccessLog, install_repeat_filter, log_event
from .state import EngineState
from .workspace import web as redaktion

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

# request models whose schemas the hand-parsed endpoints refer to
_BODY_MODELS = (Family, cds.CdsRequest, cds.Feedback)


_LETTER_VARIANTS = {"a": "aAåÅäÄ", "o": "oOöÖ", "e": "eEéÉ"}  # what normalize_name folds to them


def kommun_pattern(pack) -> str:
    """An ECMA-262 pattern for `kommun` that accepts only what the pack resolves: a kommunkod, or a
    name or alias in any case, with or without å ä ö (é), words apart by spaces or hyphens, with or
    without "kommun" after it (engine.loader.normalize_name). The service accepts a little more
    (other accents, whitespace around the value); everything the pattern allows it accepts."""
    def chars(ch: str) -> str:
        if ch == " ":
            return "[ -]+"
        if ch.isalpha():
            upper = ch.upper() if len(ch.upper()) == 1 else ""
            return "[" + "".join(dict.fromkeys(_LETTER_VARIANTS.get(ch, ch + upper))) + "]"
        return re.escape(ch)

    names = sorted({"".join(chars(c) for c in key) for key in pack._kommun_index})
    kommun = "".join(chars(c) for c in " kommun")
    return f"^(?:{'|'.join(sorted(pack.kommuner))}|(?:{'|'.join(names)})(?:{kommun})?)$"


def _pack_truths(schema: dict[str, Any], pack) -> None:
    """What the server checks against the pack, told in the document (issue 18, item 21): kommun
    is one of the pack's kommuner, need codes are the pack's, and a family gives an age or
    `expecting: true`."""
    components = schema["components"]["schemas"]
    pattern, needs = kommun_pattern(pack), sorted(pack.needs)
    family = components["Family"]
    family["properties"]["kommun"]["pattern"] = pattern
    family["properties"]["needs"]["items"]["enum"] = needs
    family["anyOf"] = [
        {"required": ["age_months"], "properties": {"age_months": {"type": "integer", "minimum": 0,
                                                                   "maximum": MAX_AGE_MONTHS}}},
        {"required": ["expecting"], "properties": {"expecting": {"const": True}}},
    ]
    family["description"] += (" Ange `age_months` (0–216) eller `expecting: true`; `kommun` är en kommun i "
                              "regelpaketet (GET /v1/kommuner) och `needs` dess behovskoder (GET /v1/needs).")
    context = components["CdsContext"]["properties"]
    context["kommun"]["anyOf"][0]["pattern"] = pattern
    context["needs"]["items"]["enum"] = needs


def _openapi(app: FastAPI):
    built: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        engine = app.state.engine_state.engine
        if app.openapi_schema and built.get("version") == engine.version:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes, tags=TAGS)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in _BODY_MODELS:
            s = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in s.pop("$defs", {}).items():
                components.setdefault(name, sub)
            components[model.__name__] = s
        _pack_truths(schema, engine.pack)  # rebuilt when a reload brings another pack
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


def create_app(rules: str | Path | None = None, state: EngineState | None = None) -> FastAPI:
    """The app for the pack in `rules` (default: FORALDRASTOD_RULES, else rules/orebro-lan)."""
    state = state or EngineState(rules)

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
        docs_url=None, redoc_url=None,  # served offline by service/web.py
        version="1",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.engine_state = state
    app.state.cds_verifier = cds_auth.verifier_at_start()  # CDS Hooks JWT (H-interop)
    errors.install(app)
    app.include_router(api.router)
    api.add_admin_route(app, enabled=api.admin_token() is not None)
    app.include_router(cds.router)
    app.include_router(hsds.router)
    app.include_router(web.router)
    app.include_router(redaktion.router)  # /redaktion, the rule pack workspace (issue 13)
    app.openapi = _openapi(app)
    # outermost first at call time: access log, then the body limit, then FastAPI
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(StrictHeaders, router=app.router)  # 415 for non-JSON POSTs; nosniff, no-store
    app.add_middleware(AccessLog, observe=metrics.observe_request)
    app.add_middleware(cds.CdsCors, origins=cds.cors_origins(os.environ.get("FORALDRASTOD_CORS_ORIGINS")))
    log_event("start", ruleset={"name": state.engine.pack.name, "version": state.engine.version},
              cds=cds.cds_health(app.state.cds_verifier))
    return app
