"""/v1: recommendations, the pack's catalogues, health and the admin reload."""
from __future__ import annotations

import datetime as dt
import asyncio
import hmac
import os
import threading
import time
from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.responses import PlainTextResponse, Response

from engine import Decision, EngineError, Family, FamilyInvalid
from engine.loader import Pack

from service.core import errors, metrics
from service.core.logs import log_event
from service.core.errors import ERROR_RESPONSES, ErrorBody, error, parse_json, refuse_personnummer
from service.core.state import EngineState, ReloadFailed

router = APIRouter()
JSON = "application/json"


def state_of(request: Request) -> EngineState:
    return request.app.state.engine_state


def json_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


# --------------------------------------------------------------------------- request parsing
def family_from(data: Any, prefix: tuple = ()) -> Family:
    """A validated Family from parsed JSON; ApiError (422) otherwise. Looks for a personnummer
    first, so that no later message can even name its value."""
    refuse_personnummer(data, prefix)
    if not isinstance(data, dict):
        raise error(422, errors.field_path(prefix), "ska vara ett JSON-objekt", "must be a JSON object")
    try:
        return Family.model_validate(data)
    except ValidationError as exc:
        raise errors.validation_error(exc, prefix) from None


def decide(state: EngineState, family: Family, prefix: tuple = ()) -> bytes:
    started = time.perf_counter()
    try:
        return state.decide_body(family)
    except FamilyInvalid as exc:
        raise error(422, errors.field_path([*prefix, exc.field]), exc.sv, exc.en) from None
    except EngineError:
        raise engine_failed() from None
    finally:
        metrics.observe_decision(time.perf_counter() - started)


async def decide_async(state: EngineState, family: Family, prefix: tuple = ()) -> bytes:
    """As `decide`, with the engine's work in a thread: the event loop never waits for it."""
    started = time.perf_counter()
    try:
        return await state.decide_body_async(family)
    except FamilyInvalid as exc:
        raise error(422, errors.field_path([*prefix, exc.field]), exc.sv, exc.en) from None
    except EngineError:
        raise engine_failed() from None
    finally:
        metrics.observe_decision(time.perf_counter() - started)


def engine_failed() -> errors.ApiError:
    return error(500, errors.BODY, "regelmotorn kunde inte fatta beslutet; försök igen",
                 "the rules engine failed to make the decision; try again")


RECOMMEND_EXAMPLES = {
    "skolbarn": {"summary": "Skolbarn i Nora med övervikt",
                 "value": {"kommun": "Nora", "age_months": 96, "needs": ["overvikt_fetma"]}},
    "vantar": {"summary": "Blivande föräldrar i Örebro (kommunkod)",
               "value": {"kommun": "1880", "expecting": True}},
    "oro": {"summary": "Tecken på våld eller omsorgssvikt",
            "value": {"kommun": "Hällefors", "age_months": 40, "needs": ["vald_eller_omsorgssvikt"]}},
}


@router.post(
    "/v1/recommendations",
    tags=["Beslutsstöd"],
    summary="Rekommendera föräldraskapsstöd för en familj",
    description=(
        "Ange kommun, barnets ålder i månader (eller `expecting: true` för blivande föräldrar) och "
        "identifierade behov. Svaret listar insatser på universell, selektiv och indikerad nivå med "
        "motivering, källa i strategin och om insatsen finns i kommunen. Meddelanden om "
        "anmälningsskyldighet kommer först. Skicka aldrig personnummer eller andra personuppgifter: "
        "sådana avvisas med 422. Okända fält, okända koder och åldrar utanför 0–216 avvisas också "
        "med 422, med ett meddelande på svenska och engelska som nämner fältet."
    ),
    response_model=Decision,
    responses={**ERROR_RESPONSES, 200: {"description": "Rekommendationer, högsta nivå och meddelanden"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/Family"},
                                    "examples": RECOMMEND_EXAMPLES}},
        }
    },
)
async def recommendations(request: Request) -> Response:
    family = family_from(parse_json(await request.body()))
    return json_response(await decide_async(state_of(request), family))


# --------------------------------------------------------------------------- catalogues
class RulesetOut(BaseModel):
    name: str
    version: str
    title: str | None = None


class NeedOut(BaseModel):
    code: str
    label: str
    description: str | None = None
    group: str
    status: str


class NeedsOut(BaseModel):
    ruleset: RulesetOut
    needs: list[NeedOut]


class KommunOut(BaseModel):
    code: str
    name: str
    lansdel: str | None = None
    lansdel_status: str
    aliases: list[str]


class KommunerOut(BaseModel):
    ruleset: RulesetOut
    kommuner: list[KommunOut]


class InsatsOut(BaseModel):
    id: str
    name: str
    level: str
    age_months: dict[str, int] | None = None
    expecting: bool
    format: str | None = None
    provider: str | None = None
    description: str | None = None
    source: dict[str, Any]
    status: str
    assumptions: list[str]
    availability: dict[str, str] = Field(description="Kommunkod → finns | saknas | okänd")


class InsatserOut(BaseModel):
    ruleset: RulesetOut
    insatser: list[InsatsOut]


class RuleOut(BaseModel):
    id: str
    level: str
    when: dict[str, Any]
    recommend: list[str]
    notice: dict[str, Any] | None = None
    rationale: str
    source: dict[str, Any]
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    valid_today: bool
    status: str
    file: str | None = None
    line: int | None = None


class RulesOut(BaseModel):
    ruleset: RulesetOut
    rules: list[RuleOut]


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    ruleset: RulesetOut
    rules: int
    reloads: int
    cds: dict[str, Any] | None = Field(default=None, description="Om CDS Hooks-anrop autentiseras (JWT)")


def ruleset_of(pack: Pack) -> dict:
    return {"name": pack.name, "version": pack.version, "title": pack.meta.title}


def _source(pack: Pack, ref) -> dict:
    out = ref.model_dump(mode="json", exclude_none=True)
    title = pack.source_title(ref.document)
    if title:
        out["title"] = title
    return out


def build_needs(pack: Pack) -> bytes:
    needs = [{"code": n.code, "label": n.label, "description": n.description, "group": n.group,
              "status": n.status.value} for n in pack.needs.values()]
    return orjson.dumps({"ruleset": ruleset_of(pack), "needs": needs})


def build_kommuner(pack: Pack) -> bytes:
    kommuner = [k.model_dump(mode="json") for k in sorted(pack.kommuner.values(), key=lambda k: k.code)]
    return orjson.dumps({"ruleset": ruleset_of(pack), "kommuner": kommuner})


def build_insatser(pack: Pack) -> bytes:
    out = []
    for ins in pack.insatser.values():
        d = ins.model_dump(mode="json")
        d["source"] = _source(pack, ins.source)
        d["availability"] = {code: pack.availability_status(code, ins.id).value for code in sorted(pack.kommuner)}
        out.append(d)
    return orjson.dumps({"ruleset": ruleset_of(pack), "insatser": out})


def build_rules(pack: Pack, today: dt.date) -> bytes:
    out = []
    for rule in pack.rules:
        d = rule.model_dump(mode="json")
        d["source"] = _source(pack, rule.source)
        d["valid_today"] = rule.valid_on(today)
        file, line = pack.locations.get(f"rule:{rule.id}", (None, None))
        d["file"], d["line"] = file, line
        out.append(d)
    return orjson.dumps({"ruleset": ruleset_of(pack), "rules": out})


def _catalogue(request: Request, name: str, build) -> Response:
    return json_response(state_of(request).serving.document(name, build))


@router.get("/v1/needs", tags=["Katalog"], response_model=NeedsOut,
            summary="Behovskoder", description="De behov som kan anges i `needs`, med svensk etikett.")
def needs(request: Request) -> Response:
    return _catalogue(request, "needs", build_needs)


@router.get("/v1/insatser", tags=["Katalog"], response_model=InsatserOut, summary="Insatskatalogen",
            description="Alla insatser i regelpaketet med nivå, ålder, källa och tillgång per kommun.")
def insatser(request: Request) -> Response:
    return _catalogue(request, "insatser", build_insatser)


@router.get("/v1/kommuner", tags=["Katalog"], response_model=KommunerOut, summary="Kommuner",
            description="Kommunerna i länet med kommunkod och länsdel.")
def kommuner(request: Request) -> Response:
    return _catalogue(request, "kommuner", build_kommuner)


@router.get("/v1/rules", tags=["Katalog"], response_model=RulesOut, summary="Reglerna",
            description="Varje regel med villkor, källa i strategin, giltighetstid, status "
                        "(`källa` eller `antagande`) och var den står i regelpaketet.")
def rules(request: Request) -> Response:
    today = dt.date.today()
    return _catalogue(request, f"rules:{today.isoformat()}", lambda pack: build_rules(pack, today))


@router.get("/healthz", tags=["Drift"], response_model=Health, summary="Hälsokontroll",
            description="Svarar `ok` och vilket regelpaket (namn och version) som används.")
def healthz(request: Request) -> Response:
    state = state_of(request)
    pack = state.engine.pack
    return json_response(orjson.dumps({"status": "ok", "ruleset": ruleset_of(pack),
                                       "rules": len(pack.rules), "reloads": state.reloads,
                                       "cds": _cds_health(request)}))


def _cds_health(request: Request) -> dict[str, Any]:
    from service.integrations.cds import cds_health  # H-interop: whether CDS calls are authenticated

    return cds_health(getattr(request.app.state, "cds_verifier", None))


@router.get("/readyz", tags=["Drift"], summary="Redo att svara",
            description="200 när arbetsprocessen som svarar har ett inläst regelpaket, annars 503.",
            responses={503: {"model": ErrorBody}})
def readyz(request: Request) -> Response:
    state = state_of(request)
    if not state.ready:
        raise error(503, "regelpaket", "inget regelpaket är inläst ännu", "no rule pack loaded yet")
    return json_response(orjson.dumps({"status": "redo", "ruleset": ruleset_of(state.engine.pack)}))


@router.get("/metrics", tags=["Drift"], summary="Mätvärden (Prometheus)", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus textformat"}},
            description="Prometheus textformat: begäranden per vägmall och status, beslutstid, "
                        "regelpaketets version, omladdningar och avvisade personnummer. Inga "
                        "uppgifter om familjer.")
def metrics_endpoint() -> Response:
    body, ctype = metrics.exposition()
    return Response(body, media_type=ctype)


# --------------------------------------------------------------------------- admin
class ReloadOut(BaseModel):
    status: str = Field(examples=["omladdat"])
    message: str
    previous: RulesetOut
    ruleset: RulesetOut
    workers_switched: int = Field(description="Arbetsprocesser som bytt till det nya regelpaketet")
    workers: int = Field(description="Arbetsprocesser som körs")


class ReloadFailedOut(ErrorBody):
    pack_errors: list[str] = Field(description="Fel i regelpaketet som `fil:rad: meddelande`")


def admin_token() -> str | None:
    return os.environ.get("FORALDRASTOD_ADMIN_TOKEN") or None


class TokenThrottle:
    """Failed admin tokens per client: after FREE failures within WINDOW seconds, every further
    attempt from that client is refused with 429 until the window has passed, whatever token it
    carries. Bounded memory (oldest clients forgotten first)."""

    FREE = 5
    WINDOW = 60.0
    MAX_CLIENTS = 10_000

    def __init__(self) -> None:
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        now = time.monotonic()
        with self._lock:
            times = [t for t in self._failures.get(client, []) if now - t < self.WINDOW]
            if len(times) < self.FREE:
                return 0
            return max(1, int(self.WINDOW - (now - times[0])) + 1)

    def failed(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            times = [t for t in self._failures.pop(client, []) if now - t < self.WINDOW]
            times.append(now)
            self._failures[client] = times[-self.FREE * 2:]
            while len(self._failures) > self.MAX_CLIENTS:
                self._failures.pop(next(iter(self._failures)))


def throttle_of(request: Request) -> TokenThrottle:
    """One throttle per app (per worker)."""
    throttle = getattr(request.app.state, "token_throttle", None)
    if throttle is None:
        throttle = request.app.state.token_throttle = TokenThrottle()
    return throttle


def _client(request: Request) -> str:
    return request.client.host if request.client else "okänd"


def check_token(request: Request, token: str) -> None:
    client = _client(request)
    throttle = throttle_of(request)
    wait = throttle.retry_after(client)
    if wait:
        metrics.admin_refused()
        log_event("admin", limit_key=client, ok=False, reason="för många felaktiga försök", client=client)
        raise error(429, "Authorization", "för många felaktiga försök; vänta och försök igen",
                    "too many failed attempts; wait and try again", headers={"Retry-After": str(wait)})
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        throttle.failed(client)
        metrics.admin_refused()
        log_event("admin", limit_key=client, ok=False, reason="token saknas", client=client)
        raise error(401, "Authorization", "inloggning krävs: skicka 'Authorization: Bearer <token>'",
                    "authentication required: send 'Authorization: Bearer <token>'",
                    headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        throttle.failed(client)
        metrics.admin_refused()
        log_event("admin", limit_key=client, ok=False, reason="fel token", client=client)
        raise error(403, "Authorization", "fel token: åtkomst nekad", "wrong token: forbidden")


ACK_WAIT_SECONDS = 5.0


async def reload_endpoint(request: Request) -> Response:
    token = admin_token()
    if token is None:
        raise error(404, "sökväg", "finns inte", "not found")
    check_token(request, token)
    log_event("admin", ok=True, action="reload", client=_client(request))
    state = state_of(request)
    try:
        old, new = await asyncio.to_thread(state.reload)
    except ReloadFailed as exc:
        sv = "Regelpaketet är ogiltigt; det gamla regelpaketet används fortfarande"
        en = "The rule pack is invalid; the old one keeps serving"
        body = {"message": f"{sv}: {exc.errors[0] if exc.errors else ''} / {en}",
                "errors": [{"field": "regelpaket", "sv": e, "en": "invalid rule pack"} for e in exc.errors[:50]],
                "pack_errors": exc.errors}
        log_event("reload", trigger="http", ok=False, errors=exc.errors[:20])
        return json_response(orjson.dumps(body), 422)
    serving_token = state.serving.token
    deadline = time.monotonic() + ACK_WAIT_SECONDS
    switched, total = state.switched(serving_token)
    while switched < total and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        switched, total = state.switched(serving_token)
    log_event("reload", trigger="http", ok=True, previous=old, ruleset=new, workers_switched=switched, workers=total)
    pack = state.engine.pack
    return json_response(orjson.dumps({
        "status": "omladdat" if switched == total else "delvis omladdat",
        "message": f"Regelpaketet {new['name']} {new['version']} används nu av {switched} av {total} "
                   f"arbetsprocesser (tidigare {old['version']}) "
                   f"/ Rule pack {new['version']} now serving in {switched} of {total} workers",
        "previous": {**old, "title": None},
        "ruleset": ruleset_of(pack),
        "workers_switched": switched,
        "workers": total,
    }))


def add_admin_route(router_or_app, enabled: bool) -> None:
    router_or_app.add_api_route(
        "/v1/admin/reload", reload_endpoint, methods=["POST"], tags=["Drift"],
        include_in_schema=enabled, response_model=ReloadOut,
        summary="Läs in regelpaketet på nytt",
        description=("Läser in och kompilerar regelpaketet och byter till det först när det är helt "
                     "inläst, i alla arbetsprocesser; svaret väntar upp till 5 s och säger hur många "
                     "som har bytt. Ett ogiltigt paket ger 422 med felen som `fil:rad: meddelande` och "
                     "det gamla paketet fortsätter att användas. Kräver `Authorization: Bearer <token>` "
                     "(miljövariabeln FORALDRASTOD_ADMIN_TOKEN); utan den variabeln finns inte vägen. "
                     "Efter fem felaktiga försök på en minut svarar vägen 429 till den klienten."),
        responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody},
                   422: {"model": ReloadFailedOut}, 429: {"model": ErrorBody}},
    )
