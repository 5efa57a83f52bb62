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

import orjson
from fastapi import APIRouter, FastAPI, Request
from pydantic import Field
from starlette.responses import Response

from engine import Family
from service.core import deciding as api, errors
from service.core.errors import ERROR_RESPONSES, ApiError, ErrorBody, ErrorItem, error, parse_json
from service.workspace import db

from . import cells, kartlaggning, report
from .counters import Counters

IDEMPOTENCY_SECONDS = 600.0
IDEMPOTENCY_MAX = 50_000
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,80}$")


@asynccontextmanager
async def lifespan(app: FastAPI):
    state = getattr(app.state, "engine_state", None)
    if state is not None:  # the report's kartläggning, computed before the first page asks for it
        kartlaggning.warm(state.engine.pack)
    yield
    counters = getattr(app.state, "uppf_counters", None)
    if counters is not None:
        await asyncio.to_thread(counters.stop)


router = APIRouter(lifespan=lifespan)


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


def _token(request: Request, data: dict) -> str | None:
    raw = data.pop("registrering", None)
    header = request.headers.get("idempotency-key")
    key = raw if raw is not None else header
    if key is None:
        return None
    if header is not None and raw is None:
        errors.refuse_personnummer(header, ("Idempotency-Key",))
    if not isinstance(key, str) or not _TOKEN.match(key):
        field = "registrering" if raw is not None else "Idempotency-Key"
        raise error(422, field, "ska vara en slumpad nyckel med 8–80 tecken (A–Z, a–z, 0–9, - och _)",
                    "must be a random key of 8–80 characters (A–Z, a–z, 0–9, - and _)")
    return key


class Registrering(Family):
    """En bedömning att registrera: familjens fält som i `POST /v1/recommendations` och de insatser som erbjöds."""

    erbjudna: list[str] = Field(default_factory=list, max_length=100,
                                description="De rekommenderade insatser (insats_id) som erbjöds familjen")
    registrering: str | None = Field(default=None, min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_-]+$",
                                     description="Valfri slumpad nyckel: samma nyckel igen räknas inte två gånger")


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
                 "`registrering`) gör att en upprepad begäran bara räknas en gång. 503 när databasen inte svarar."),
    responses={**ERROR_RESPONSES, 201: {"description": "Registrerad", "content": {"application/json": {
        "example": {"period": "2026"}}}}, 503: {"model": ErrorBody}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": Registrering.model_json_schema(), "examples": EXAMPLES}}}},
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
    erbjudna_raw = data.pop("erbjudna", None)
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
)
async def get_report(request: Request, period: str | None = None, kommun: str | None = None) -> Response:
    pack = api.state_of(request).engine.pack
    period = period or str(time.localtime().tm_year)
    if not re.fullmatch(r"\d{4}", period):
        raise error(422, "period", "ange perioden som ett årtal, t.ex. 2026", "give the period as a year, e.g. 2026")
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
