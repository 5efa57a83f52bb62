"""HL7 CDS Hooks 2.0: discovery, the `patient-view` service `foraldraskapsstod`, and feedback.

A journal system calls with the standard context (`userId`, `patientId`, optional `encounterId`)
and the child's FHIR `Patient` in `prefetch.patient`, or only `fhirServer` (+ `fhirAuthorization`),
from which the service reads `Patient/{patientId}` itself. Age comes from `birthDate` on the
request's date (Europe/Stockholm), kommun from the address (service.fhir). Prefetched resources,
the access token and the opaque ids are set aside before anything scans the body: they are never
refused, stored, logged or echoed. The v1 custom context fields (kommun, age_months, expecting,
needs, date) stay accepted and take precedence.
The answer is cards: one per notice (safeguarding first, `critical`), then one per level that has
recommendations (indikerad = `warning`, otherwise `info`), each listing its insatser with the
rationale, availability in the kommun and the passage of the strategy behind it, and a link to
the staff page pre-filled through the URL fragment (`/#kommun=1884&ar=8&man=3`), which browsers
never send to a server. Links are built from FORALDRASTOD_PUBLIC_URL only, never from `Host`.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from engine import Family, FamilyInvalid
from engine.models import AgeMonths, IsoDate

from service.core import errors
from service.integrations import fhir
from service.core.deciding import decide_async, json_response, state_of
from service.integrations.cds_auth import Verifier, public_url
from service.core.errors import ERROR_RESPONSES, ApiError, ErrorBody, ErrorItem, error, parse_json, refuse_personnummer

router = APIRouter(tags=["CDS Hooks"])

SERVICE_ID = "foraldraskapsstod"
HOOK = "patient-view"
PREFETCH = {"patient": "Patient/{{context.patientId}}"}
OPAQUE_IDS = ("patientId", "userId", "encounterId")
SUMMARY_MAX = 139
MAX_AGE_MONTHS = 216
LEVEL_ORDER = ("indikerad", "selektiv", "universell")
LEVEL_TITLE = {"indikerad": "Indikerad nivå", "selektiv": "Selektiv nivå", "universell": "Universell nivå"}
LEVEL_INDICATOR = {"indikerad": "warning", "selektiv": "info", "universell": "info"}
AVAILABILITY_SV = {"finns": "finns i kommunen", "saknas": "saknas i kommunen",
                   "okänd": "okänt om den finns i kommunen"}


# --------------------------------------------------------------------------- models
class CdsService(BaseModel):
    hook: str
    id: str
    title: str | None = None
    description: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(BaseModel):
    services: list[CdsService]


class CdsContext(BaseModel):
    """`context` för patient-view: CDS Hooks standardnycklar (ogenomskinliga FHIR-id som aldrig
    sparas) och, frivilligt, familjens uppgifter direkt (v1)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"patientId": "1288992", "userId": "Practitioner/abc"}]},
    )
    patientId: str | None = Field(default=None, max_length=256, description="Ogenomskinligt FHIR-id; sparas aldrig")
    userId: str | None = Field(default=None, max_length=256, description="FHIR-referens till användaren; sparas aldrig")
    encounterId: str | None = Field(default=None, max_length=256, description="FHIR-id för besöket; sparas aldrig")
    kommun: str | None = Field(default=None, max_length=60, description="v1: kommunens namn eller kod")
    age_months: AgeMonths | None = Field(default=None, description="v1: barnets ålder i månader (0–216)")
    expecting: StrictBool | None = Field(default=None, description="v1: blivande föräldrar")
    needs: list[Annotated[str, Field(max_length=60)]] = Field(default_factory=list, max_length=50,
                                                             description="v1: behovskoder (GET /v1/needs)")
    date: IsoDate = Field(default=None, description="v1: dagen reglerna tillämpas för (YYYY-MM-DD)")


class FhirAuthorization(BaseModel):
    access_token: str = Field(max_length=8192)
    token_type: str | None = None
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None
    patient: str | None = None


class CdsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hook: Literal["patient-view"]
    hookInstance: uuid.UUID
    fhirServer: str | None = Field(default=None, max_length=2048)
    fhirAuthorization: FhirAuthorization | None = Field(  # checked apart (_split), never scanned
        default=None, description="OAuth 2.0-token för fhirServer; används bara för att läsa Patient, sparas aldrig")
    context: CdsContext
    prefetch: dict[str, Any] | None = Field(
        default=None, description="FHIR-resurser; bara Patient.birthDate och adressens kommun läses")
    extension: dict[str, Any] | None = None


class CardSource(BaseModel):
    label: str
    url: str | None = None


class CardLink(BaseModel):
    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"
    appContext: str | None = None


class Card(BaseModel):
    uuid: str
    summary: str = Field(max_length=SUMMARY_MAX)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: CardSource
    links: list[CardLink] | None = None


class CdsResponse(BaseModel):
    cards: list[Card]


class Coding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=200)
    system: str = Field(max_length=500)
    display: str | None = Field(default=None, max_length=500)


class AcceptedSuggestion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(max_length=100)


class OverrideReason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Coding | None = None


class FeedbackItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    card: str = Field(max_length=100)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = Field(default=None, max_length=100)
    overrideReason: OverrideReason | None = Field(
        default=None, description="`userComment` (fritext) tas bort oläst och sparas aldrig")
    outcomeTimestamp: str = Field(max_length=64)
    extension: dict[str, Any] | None = None


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feedback: list[FeedbackItem] = Field(max_length=100)


class FeedbackOut(BaseModel):
    status: str
    received: int


# --------------------------------------------------------------------------- cards
def shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def prefill(kommun: str | None, age_months: int | None, expecting: bool = False,
            needs: list[str] | tuple[str, ...] = ()) -> str:
    """The staff page's fragment parameters: `kommun=1884&ar=8&man=3[&vantar=1][&behov=a,b]`."""
    params: list[tuple[str, str]] = []
    if kommun:
        params.append(("kommun", kommun))
    if age_months is not None:
        params += [("ar", str(age_months // 12)), ("man", str(age_months % 12))]
    if expecting:
        params.append(("vantar", "1"))
    if needs:
        params.append(("behov", ",".join(needs)))
    return urlencode(params, safe=",")


def page_links(base_url: str | None, fragment: str) -> list[CardLink] | None:
    """Links to the staff page, pre-filled through the URL fragment (never sent to a server)."""
    if not base_url:
        return None
    page = f"{base_url}/#{fragment}" if fragment else f"{base_url}/"
    return [
        CardLink(label="Öppna beslutsstödet med kommun och ålder ifyllda", url=page, type="absolute"),
        CardLink(label="Öppna beslutsstödet (SMART-app)", url=f"{base_url}/", type="smart", appContext=fragment),
        CardLink(label="Regionala strategin i korthet", url=f"{base_url}/strategi", type="absolute"),
    ]


def cards_for(body: dict, source: CardSource, links: list[CardLink] | None, basis: str | None = None,
              need_labels: dict[str, str] | None = None) -> list[Card]:
    """The cards for one decision body (engine.decision_body). `basis` says where kommun and age
    came from (shown in each level card); `need_labels` gives the needs' Swedish names (code →
    label), so staff read "Barnet har övervikt eller fetma", not a code."""
    label = (need_labels or {}).get
    cards: list[Card] = []
    for notice in body["notices"]:
        rule = f" (regel `{notice['rule_id']}`)" if notice.get("rule_id") else ""
        cards.append(Card(
            uuid=str(uuid.uuid4()),
            summary=shorten(notice["text"]),
            detail=f"{notice['text']}\n\nDetta gäller före alla insatser nedan{rule}.",
            indicator=notice["severity"],
            source=source,
        ))
    for level in LEVEL_ORDER:
        recs = [r for r in body["recommendations"] if r["level"] == level]
        if not recs:
            continue
        names = ", ".join(r["name"] for r in recs)
        lines = [basis, ""] if basis else []
        for r in recs:
            src = r["source"]
            where = f"{src.get('title') or src['document']}, avsnitt {src['section']}"
            lines.append(f"**{r['name']}** – {AVAILABILITY_SV[r['availability']]}")
            lines.append(f"- Motivering: {r['rationale']}")
            lines.append(f"- Källa: {where} (regel `{r['rule_id']}`)")
            if r.get("triggered_by"):
                lines.append(f"- Utlöst av behov: {', '.join(label(c, c) for c in r['triggered_by'])}")
            if r.get("contact"):
                lines.append(f"- Kontakt: {r['contact']}")
            lines.append("")
        if level == "universell" and links:
            lines.append("Behov som kräver stöd på selektiv eller indikerad nivå kryssas i beslutsstödet (länken nedan).")
        lines.append(f"Regelpaket {body['ruleset']['name']} {body['ruleset']['version']}.")
        cards.append(Card(
            uuid=str(uuid.uuid4()),
            summary=shorten(f"{LEVEL_TITLE[level]}: {names}"),
            detail="\n".join(lines),
            indicator=LEVEL_INDICATOR[level],
            source=source,
            links=links,
        ))
    return cards


def strategy_source(pack) -> CardSource:
    """The card source: the regional strategy the pack encodes (the source document whose title
    names a strategy, else the first), with the pack's own title as a last resort."""
    docs = pack.meta.sources
    doc = next((d for d in docs if "strategi" in d.title.lower()), docs[0] if docs else None)
    if doc is None:
        return CardSource(label=pack.meta.title)
    return CardSource(label=doc.title, url=doc.url)


# --------------------------------------------------------------------------- trust and browsers
def verifier_of(request: Request) -> Verifier | None:
    return getattr(request.app.state, "cds_verifier", None)


async def authenticate(request: Request) -> None:
    """With FORALDRASTOD_CDS_ISSUERS set: a valid JWT for exactly this URL, else 401."""
    verifier = verifier_of(request)
    if verifier is not None:
        await run_in_threadpool(verifier.verify, request.headers.get("authorization"), request.url.path)


def cds_health(verifier: Verifier | None) -> dict[str, Any]:
    """The `cds` field of /healthz: whether CDS calls are authenticated."""
    if verifier is None:
        return {"authenticated": False,
                "message": "CDS-anrop autentiseras inte: FORALDRASTOD_CDS_ISSUERS är inte satt"}
    return {"authenticated": True,
            "message": f"CDS-anrop kräver JWT från {len(verifier.issuers)} betrodd(a) utfärdare"}


class CdsCors:
    """CORS for the origins in FORALDRASTOD_CORS_ORIGINS, on /cds-services* only (pure ASGI)."""

    PREFIX = "/cds-services"

    def __init__(self, app, origins: list[str]):
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=origins, allow_methods=["GET", "POST", "OPTIONS"],
                                   allow_headers=["Authorization", "Content-Type", "Accept"], max_age=600)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def cors_origins(value: str | None) -> list[str]:
    return [o.strip().rstrip("/") for o in (value or "").split(",") if o.strip()]


# --------------------------------------------------------------------------- endpoints
def _service(pack_region: str) -> CdsService:
    return CdsService(
        hook=HOOK,
        id=SERVICE_ID,
        title="Föräldraskapsstöd enligt regional strategi",
        description=(
            "Rekommenderar föräldraskapsstöd på universell, selektiv och indikerad nivå för barnets "
            f"ålder, familjens behov och kommun ({pack_region}), med motivering och källa i strategin. "
            "Tecken på våld eller omsorgssvikt ger först ett kritiskt kort om anmälningsskyldighet."
        ),
        prefetch=dict(PREFETCH),
        usageRequirements=(
            "Barnets ålder läses ur Patient.birthDate och kommunen ur adressen (kommunkod i en extension, "
            "annars district eller city). Patienten skickas i prefetch.patient eller hämtas från fhirServer "
            "med fhirAuthorization. Identifierare, namn och andra personuppgifter läses aldrig och sparas aldrig."
        ),
    )


def _check_id(service_id: str) -> None:
    if service_id != SERVICE_ID:
        raise error(404, "id", f"okänd CDS-tjänst (finns: {SERVICE_ID})", f"unknown CDS service (available: {SERVICE_ID})")


@router.get("/cds-services", response_model=Discovery, response_model_exclude_none=True,
            summary="CDS Hooks: tjänster", description="Discovery enligt CDS Hooks 2.0.",
            responses={401: {"model": ErrorBody}})
async def discovery(request: Request) -> Response:
    await authenticate(request)
    service = _service(state_of(request).engine.pack.meta.region)
    return json_response(orjson.dumps({"services": [service.model_dump(exclude_none=True)]}))


CDS_EXAMPLE = {
    "hook": HOOK,
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "fhirServer": "https://fhir.example.org/r4",
    "context": {"userId": "Practitioner/example", "patientId": "1288992"},
    "prefetch": {"patient": {"resourceType": "Patient", "id": "1288992", "birthDate": "2018-03-15",
                             "address": [{"use": "home", "city": "Nora"}]}},
}


def precondition_failed(sv: str, en: str) -> ApiError:
    return ApiError(412, [ErrorItem(field="prefetch.patient", sv=sv, en=en)])


def _split(data: dict) -> tuple[Any, Any, dict[str, Any]]:
    """Take out, unread, what must never be scanned: prefetched FHIR resources, the access token
    and the opaque FHIR ids. What is left is scanned for personnummer and validated."""
    prefetch = data.pop("prefetch", None)
    authorization = data.pop("fhirAuthorization", None)
    ids: dict[str, Any] = {}
    context = data.get("context")
    if isinstance(context, dict):
        for key in OPAQUE_IDS:
            if key in context:
                ids[key] = context.pop(key)
    return prefetch, authorization, ids


def _validate_request(data: Any) -> tuple[CdsRequest, Any, Any, dict[str, Any]]:
    if not isinstance(data, dict):
        raise error(422, errors.BODY, "ska vara ett JSON-objekt", "must be a JSON object")
    prefetch, authorization, ids = _split(data)
    refuse_personnummer(data)
    if prefetch is not None and not isinstance(prefetch, dict):
        raise error(422, "prefetch", "ska vara ett JSON-objekt", "must be a JSON object")
    if authorization is not None:
        try:
            FhirAuthorization.model_validate(authorization)
        except ValidationError:
            raise error(422, "fhirAuthorization", "ska vara ett objekt med access_token (CDS Hooks 2.0)",
                        "must be an object with access_token (CDS Hooks 2.0)") from None
    for key, value in ids.items():
        if value is not None and (not isinstance(value, str) or len(value) > 256):
            raise error(422, f"context.{key}", "ska vara en text (FHIR-id, högst 256 tecken)",
                        "must be a string (FHIR id, at most 256 characters)")
    try:
        req = CdsRequest.model_validate(data)
    except ValidationError as exc:
        raise errors.validation_error(exc) from None
    return req, prefetch, authorization, ids


def _age_text(months: int) -> str:
    years, rest = divmod(months, 12)
    return f"{years} år {rest} mån" if rest else f"{years} år"


async def _patient_facts(req: CdsRequest, prefetch: Any, authorization: Any, ids: dict[str, Any],
                         today: dt.date, authenticated: bool) -> fhir.PatientFacts:
    patient = fhir.patient_in(prefetch)
    if patient is None:
        patient_id = ids.get("patientId")
        if not req.fhirServer or not patient_id:
            raise precondition_failed(
                "patientens uppgifter saknas: skicka Patient i prefetch.patient eller fhirServer och context.patientId",
                "patient data missing: send the Patient in prefetch.patient, or fhirServer and context.patientId")
        if not fhir.fhir_server_allowed(req.fhirServer):
            raise precondition_failed(
                "tjänsten läser inte från den fhirServer (se FORALDRASTOD_FHIR_SERVERS); skicka Patient i prefetch",
                "this fhirServer is not allowed (see FORALDRASTOD_FHIR_SERVERS); send the Patient in prefetch")
        try:
            patient = await fhir.fetch_patient(req.fhirServer, patient_id, authorization)
        except fhir.FhirUnavailable as exc:
            raise precondition_failed(f"Patient kunde inte hämtas från fhirServer: {exc}",
                                      "the Patient could not be read from fhirServer") from None
    facts = fhir.facts_of(patient, today)
    del patient  # nothing else of the resource is kept
    if facts is None:
        raise precondition_failed("prefetch.patient är ingen FHIR Patient", "prefetch.patient is not a FHIR Patient")
    return facts


def _kommun_from(pack, facts: fhir.PatientFacts) -> str | None:
    for code in facts.kommun_codes:
        if code in pack.kommuner:
            return code
    for name in facts.kommun_names:
        code = pack.resolve_kommun(name)
        if code:
            return code
    return None


def _json_cards(cards: list[Card]) -> Response:
    return json_response(orjson.dumps({"cards": [c.model_dump(exclude_none=True) for c in cards]}))


@router.post(
    "/cds-services/{service_id}",
    response_model=CdsResponse, response_model_exclude_none=True,
    summary="CDS Hooks: kort för en familj (patient-view)",
    description=("Tar emot ett patient-view-anrop enligt CDS Hooks 2.0 och svarar med `cards`: kritiska "
                 "meddelanden först, sedan ett kort per nivå, med länk till beslutsstödet ifyllt med kommun "
                 "och ålder. Ålder ur Patient.birthDate, kommun ur adressen. 412 när patientens uppgifter "
                 "inte kan fås, 401 utan giltig JWT när utfärdare är konfigurerade, annars 422 på svenska."),
    responses={**ERROR_RESPONSES, 401: {"model": ErrorBody}, 404: {"model": ErrorBody}, 412: {"model": ErrorBody},
               413: {"model": ErrorBody, "description": "Begäran är för stor (högst 1 MiB)"}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/CdsRequest"},
        "example": CDS_EXAMPLE}}}},
)
async def cds_service(service_id: str, request: Request) -> Response:
    _check_id(service_id)
    await authenticate(request)
    req, prefetch, authorization, ids = _validate_request(parse_json(await request.body()))
    ctx = req.context
    state = state_of(request)
    serving = state.serving
    pack = serving.engine.pack
    today = ctx.date or fhir.today_in_sweden()
    source = strategy_source(pack)
    base = public_url()

    if ctx.kommun is not None and (ctx.age_months is not None or ctx.expecting):
        # v1: the family in the context itself
        family = Family.model_validate({"kommun": ctx.kommun, "age_months": ctx.age_months,
                                        "expecting": bool(ctx.expecting), "needs": ctx.needs, "date": ctx.date})
        body = orjson.loads(await decide_async(state, family, ("context",)))
        code = pack.resolve_kommun(ctx.kommun)
        links = page_links(base, prefill(code, ctx.age_months, bool(ctx.expecting), ctx.needs))
        return _json_cards(cards_for(body, source, links, need_labels=_need_labels(pack)))

    facts = await _patient_facts(req, prefetch, authorization, ids, today, verifier_of(request) is not None)
    del prefetch, authorization
    if ctx.age_months is not None:
        months, age_basis = ctx.age_months, "angiven i anropet"
    elif facts.birth is not None:
        months, age_basis = fhir.age_in_months(facts.birth, today), "från födelsedatum"
    else:
        raise precondition_failed("Patient.birthDate saknas (eller saknar månad): barnets ålder kan inte beräknas",
                                  "Patient.birthDate missing (or without month): the child's age cannot be computed")
    if months < 0 or months > MAX_AGE_MONTHS:
        return _json_cards([])  # not a child 0–18 years: no decision support for this patient

    if ctx.kommun is not None:
        code, kommun_basis = pack.resolve_kommun(ctx.kommun), "angiven i anropet"
        if code is None:
            try:
                pack.normalize(Family(kommun=ctx.kommun, age_months=months))
            except FamilyInvalid as exc:
                raise error(422, f"context.{exc.field}", exc.sv, exc.en) from None
    else:
        code, kommun_basis = _kommun_from(pack, facts), "från patientens adress"
    if code is None:
        card = Card(
            uuid=str(uuid.uuid4()),
            summary=shorten(f"Föräldraskapsstöd: kommunen framgår inte av patientens adress ({pack.meta.region})"),
            detail=(f"Barnets ålder: {_age_text(months)} ({age_basis}). Adressen ger ingen kommun i "
                    f"{pack.meta.region}. Öppna beslutsstödet, välj kommun och kryssa i de behov du sett."),
            indicator="info", source=source, links=page_links(base, prefill(None, months, needs=ctx.needs)))
        return _json_cards([card])

    family = Family(kommun=code, age_months=months, needs=ctx.needs, date=ctx.date)
    body = orjson.loads(await decide_async(state, family, ("context",)))
    basis = (f"Kommun: {pack.kommuner[code].name} ({kommun_basis}). "
             f"Barnets ålder: {_age_text(months)} ({age_basis}).")
    links = page_links(base, prefill(code, months, needs=ctx.needs))
    return _json_cards(cards_for(body, source, links, basis, need_labels=_need_labels(pack)))


def _need_labels(pack) -> dict[str, str]:
    return {code: need.label for code, need in pack.needs.items()}


@router.post(
    "/cds-services/{service_id}/feedback",
    response_model=FeedbackOut,
    summary="CDS Hooks: återkoppling på kort",
    description=("Tar emot återkoppling (accepted/overridden) med de fält CDS Hooks 2.0 definierar. "
                 "Fritext (`overrideReason.userComment`) tas bort oläst. Inget sparas."),
    responses={**ERROR_RESPONSES, 401: {"model": ErrorBody}, 404: {"model": ErrorBody}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Feedback"}}}}},
)
async def cds_feedback(service_id: str, request: Request) -> Response:
    _check_id(service_id)
    await authenticate(request)
    data = parse_json(await request.body())
    refuse_personnummer(data)  # everywhere, the free text included (issue: CDS feedback)
    if isinstance(data, dict) and isinstance(data.get("feedback"), list):
        for item in data["feedback"]:
            reason = item.get("overrideReason") if isinstance(item, dict) else None
            if isinstance(reason, dict):
                reason.pop("userComment", None)  # free text about a patient: never kept or logged
    if not isinstance(data, dict):
        raise error(422, errors.BODY, "ska vara ett JSON-objekt", "must be a JSON object")
    try:
        fb = Feedback.model_validate(data)
    except ValidationError as exc:
        raise errors.validation_error(exc) from None
    return json_response(orjson.dumps({"status": "mottaget", "received": len(fb.feedback)}))
