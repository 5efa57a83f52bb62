"""POST /v1/uppfoljning (register one assessment) and GET /v1/uppfoljning (the protected report).

The app includes `router` with one line; its lifespan flushes this worker's counters at shutdown
(SIGTERM). `POST /v1/recommendations` is untouched: the registration is its own request, made
by the page or another system when a person chooses to register. CDS Hooks never registers.

Idempotency: an optional `Idempotency-Key` header, or a `registrering` field in the body (the
page puts a random token there), names the registration. This worker remembers the keys it has
registered for IDEMPOTENCY_SECONDS, in memory only (never in the database, never logged), and a
repeat answers 201 again without counting.
"""
from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import OrderedDict
from contextlib import asynccontextmanager

from typing import Annotated

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from pydantic import Field
from starlette.exceptions import HTTPException
from starlette.responses import Response

from engine import Family
from service.core import deciding as api, errors
from service.core.errors import ERROR_RESPONSES, ApiError, ErrorBody, ErrorItem, error, parse_json
from service.core.openapi import PACK_MARK
from service.workspace import db

from . import cells, kartlaggning, report
from .counters import Counters

IDEMPOTENCY_SECONDS = 600.0
IDEMPOTENCY_MAX = 50_000
TOKEN_PATTERN = r"^[A-Za-z0-9_-]+$"  # with 8–80 characters; the document and the server read it alike
PERIOD_PATTERN = r"^[0-9]{4}$"
# a date of a period: the year FIRST_PERIOD (2024) or later (format: date says the rest)
DATE_PATTERN = r"^(?:202[4-9]|20[3-9][0-9]|2[1-9][0-9]{2}|[3-9][0-9]{3})-"
assert cells.FIRST_PERIOD == 2024, "DATE_PATTERN names the first period"


@asynccontextmanager
async def lifespan(app: FastAPI):
    state = getattr(app.state, "engine_state", None)
    if state is not None:  # the report's kartläggning, computed before the first page asks for it
        kartlaggning.warm(state.engine.pack)
    yield
    counters = getattr(app.state, "uppf_counters", None)
    if counters is not None:
        await asyncio.to_thread(counters.stop)


class OnePath(APIRoute):
    """A route whose 405 names every method this router takes at its path: GET and POST of
    /v1/uppfoljning are two routes, and the router's own 405 (from the first route of the path)
    would say `Allow: POST` alone."""

    async def handle(self, scope, receive, send) -> None:
        if self.methods and scope["method"] not in self.methods:
            allow = sorted({m for r in router.routes if getattr(r, "path", None) == self.path
                            for m in (getattr(r, "methods", None) or ())})
            raise HTTPException(405, headers={"Allow": ", ".join(allow)})
        await super().handle(scope, receive, send)


router = APIRouter(lifespan=lifespan, route_class=OnePath)


class Seen:
    """Idempotency keys this worker registered recently: in memory, bounded, expiring."""

    def __init__(self) -> None:
        self._keys: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        """True the first time within IDEMPOTENCY_SECONDS (then the caller registers)."""
        now = time.monotonic()
        with self._lock:
            while self._keys and next(iter(self._keys.values())) < now:
                self._keys.popitem(last=False)
            if key in self._keys:
                return False
            self._keys[key] = now + IDEMPOTENCY_SECONDS
            while len(self._keys) > IDEMPOTENCY_MAX:
                self._keys.popitem(last=False)
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)


def database_of(app) -> str:
    """The database of the counters: `app.state.uppf_database_url` (tests), else DATABASE_URL, else
    the SQLite file in var/ when it exists; 503 without one."""
    url = getattr(app.state, "uppf_database_url", None)
    if url:
        return url
    if not db.configured():
        raise error(503, "uppfoljning", "uppföljningen har ingen databas (ange DATABASE_URL)",
                    "the follow-up has no database (set DATABASE_URL)")
    return db.database_url()


def counters_of(app) -> Counters:
    counters = getattr(app.state, "uppf_counters", None)
    if counters is None:
        counters = app.state.uppf_counters = Counters(database_of(app))
        app.state.uppf_seen = Seen()
    return counters


def unavailable() -> ApiError:
    return error(503, "uppfoljning", "bedömningen kunde inte registreras: uppföljningens databas svarar inte just "
                 "nu; försök igen senare (svaret till familjen påverkas inte)",
                 "the assessment could not be registered: the follow-up database is not available")


def valid_token(key) -> bool:
    """A registration key as the document states it: 8–80 characters of A–Z, a–z, 0–9, - and _."""
    return isinstance(key, str) and 8 <= len(key) <= 80 and re.search(TOKEN_PATTERN, key) is not None


def _token(request: Request, data: dict) -> str | None:
    raw = data.pop("registrering", None)
    header = request.headers.get("idempotency-key")
    key = raw if raw is not None else header
    if key is None:
        return None
    if header is not None and raw is None:
        errors.refuse_personnummer(header, ("Idempotency-Key",))
    if not valid_token(key):
        field = "registrering" if raw is not None else "Idempotency-Key"
        raise error(422, field, "ska vara en slumpad nyckel med 8–80 tecken (A–Z, a–z, 0–9, - och _)",
                    "must be a random key of 8–80 characters (A–Z, a–z, 0–9, - and _)")
    return key


class Registrering(Family):
    """En bedömning att registrera: familjens fält som i `POST /v1/recommendations` och de insatser som erbjöds."""

    erbjudna: list[Annotated[str, Field(json_schema_extra={PACK_MARK: "insats"})]] = Field(
        default_factory=list, max_length=100,
        description=("De rekommenderade insatser (insats_id) som erbjöds familjen. Var och en ska vara bland "
                     "rekommendationerna för just den här begäran, annars 422 (`erbjudna[i]`)"))
    registrering: str | None = Field(default=None, min_length=8, max_length=80, pattern=TOKEN_PATTERN,
                                     description="Valfri slumpad nyckel: samma nyckel igen räknas inte två gånger")


def body_schema() -> dict:
    """The request body's schema: Family's pack truths (PACK_MARK "family", filled per pack version
    by service.core.openapi), `erbjudna` the pack's insats ids, and `date` in a period: 2024 or later
    (a day after today is refused with 422 too: that bound moves every day, so the schema, built per
    pack version, cannot carry it)."""
    schema = Registrering.model_json_schema()
    schema[PACK_MARK] = "family"
    date = schema["properties"]["date"]
    date["anyOf"][0]["pattern"] = DATE_PATTERN
    date["description"] += (f"; dagen ska höra till en uppföljningsperiod: kalenderåret {cells.FIRST_PERIOD} "
                            "eller senare, till och med i dag (annars 422)")
    return schema


EXAMPLES = {
    "nora": {"summary": "Skolbarn i Nora med övervikt; insatsen erbjöds",
             "value": {"kommun": "Nora", "age_months": 96, "needs": ["overvikt_fetma"],
                       "erbjudna": ["overvikt-fetma"]}},
}


@router.post(
    "/v1/uppfoljning", tags=["Uppföljning"], status_code=201,
    summary="Registrera en bedömning i uppföljningen",
    description=("Samma fält som `POST /v1/recommendations` och `erbjudna`: de rekommenderade insatser som "
                 "erbjöds familjen. Bara räknare per cell sparas (period × kommun × åldersband × behov × nivå × "
                 "insats × utfall), aldrig begäran. Svar 201 `{\"period\": \"2026\"}`. Ett tecken på våld eller "
                 "omsorgssvikt räknas bara i en summa för hela länet. Huvudet `Idempotency-Key` (eller fältet "
                 "`registrering`) gör att en upprepad begäran bara räknas en gång. 503 när databasen inte svarar. "
                 "422 också för en begäran som schemat godtar: när en insats i `erbjudna` inte rekommenderades för "
                 "just den här familjen (det beror på reglerna, inte på begärans form) eller när `date` ligger "
                 "efter i dag."),
    responses={**ERROR_RESPONSES, 201: {"description": "Registrerad", "content": {"application/json": {
        "example": {"period": "2026"}}}}, 503: {"model": ErrorBody}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": body_schema(), "examples": EXAMPLES}}}},
)
async def register(request: Request) -> Response:
    data = parse_json(await request.body())
    errors.refuse_personnummer(data)  # anywhere in the body, before anything else reads it
    if not isinstance(data, dict):
        raise error(422, errors.BODY, "ska vara ett JSON-objekt", "must be a JSON object")
    data = dict(data)
    key = _token(request, data)
    period = await register_assessment(request, data, key)
    return Response(orjson.dumps({"period": period}), status_code=201, media_type="application/json")


async def register_assessment(request: Request, data: dict, key: str | None) -> str:
    """Count one assessment (the family's fields and `erbjudna`), once per `key`: the period.
    The one registration path, for POST /v1/uppfoljning and the staff page's form
    (service/uppfoljning/registrera.py). Raises ApiError (422, 503)."""
    erbjudna_raw = data.pop("erbjudna", [])
    if erbjudna_raw is None:  # the schema says a list, as for `needs`; leave it out for none
        raise error(422, "erbjudna", "ska vara en lista med insats-id (högst 100)",
                    "must be a list of insats ids (at most 100)")
    family = api.family_from(data)
    state = api.state_of(request)
    pack = state.engine.pack
    erbjudna = cells.parse_erbjudna(erbjudna_raw, pack)
    body = orjson.loads(await api.decide_async(state, family))
    normalized = pack.normalize(family)
    period = cells.period_of(normalized.date)
    reg = cells.build(pack, kommun=normalized.kommun, age_months=normalized.age_months,
                      expecting=normalized.expecting, needs=sorted(normalized.needs), period=period,
                      recommendations=body["recommendations"], erbjudna=erbjudna)
    counters = counters_of(request.app)
    if counters.healthy is None:
        await asyncio.to_thread(counters.ping)
    if counters.healthy is False:
        raise unavailable()
    seen: Seen = request.app.state.uppf_seen
    if key is None or seen.claim(key):
        counters.add(reg)
    return period


@router.get(
    "/v1/uppfoljning", tags=["Uppföljning"],
    summary="Uppföljningens rapport för en period (skyddade siffror)",
    description=("`period` (kalenderår, standard i år) och valfri `kommun` (namn eller kommunkod). Celler under k "
                 "(FORALDRASTOD_UPPFOLJNING_K, standard 5) har `antal: null, skyddad: true`, och ingen annan siffra "
                 "låter en skyddad cell räknas fram. Indikatorerna anger målområde och stället i strategin (`kalla`)."),
    responses={422: {"model": ErrorBody}, 503: {"model": ErrorBody}},
    openapi_extra={"parameters": [
        {"name": "period", "in": "query", "required": False, "description": "Kalenderåret, t.ex. 2026 (standard i år)",
         "schema": {"type": "string", "pattern": PERIOD_PATTERN}},
        {"name": "kommun", "in": "query", "required": False,
         "description": "Kommunens namn eller kommunkod (GET /v1/kommuner); utan den hela länet",
         "schema": {"type": "string", PACK_MARK: "kommun"}},
    ]},
)
async def get_report(request: Request) -> Response:
    # the parameters are read here, as the document states them (`pattern` per pack version)
    period, kommun = request.query_params.get("period"), request.query_params.get("kommun")
    pack = api.state_of(request).engine.pack
    period = str(time.localtime().tm_year) if period is None else period
    if not re.search(PERIOD_PATTERN, period):
        raise error(422, "period", "ange perioden som ett årtal, t.ex. 2026", "give the period as a year, e.g. 2026")
    period = period[:4]
    code = None
    if kommun is not None:
        errors.refuse_personnummer(kommun, ("kommun",))
        code = pack.resolve_kommun(kommun)
        if code is None:
            raise ApiError(422, [ErrorItem(field="kommun", sv="okänd kommun (ange namn eller 4-siffrig kommunkod)",
                                           en="unknown kommun")])
    url = database_of(request.app)
    try:
        body = await asyncio.to_thread(report.build_report, pack, period, code, None, url)
    except Exception:  # noqa: BLE001 - the database: Swedish 503, no details
        raise error(503, "uppfoljning", "uppföljningens databas svarar inte just nu; försök igen senare",
                    "the follow-up database is not available") from None
    return Response(orjson.dumps(body), media_type="application/json")
