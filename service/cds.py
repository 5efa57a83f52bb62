"""HL7 CDS Hooks 2.0: discovery, the `patient-view` service `foraldraskapsstod`, and feedback.

The family travels in `context` (kommun, age_months or expecting, needs, date) beside the standard
`patientId`, `userId` and `encounterId`. Those ids are accepted as opaque FHIR ids but never stored,
logged or echoed; one shaped like a personnummer is refused with 422 like anywhere else.
The answer is cards: one per notice (safeguarding first, `critical`), then one per level that has
recommendations (indikerad = `warning`, otherwise `info`), each listing its insatser with the
rationale, availability in the kommun and the passage of the strategy behind it.
"""
from __future__ import annotations

import uuid
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import Response

from engine import Family

from . import errors
from .api import decide, json_response, state_of
from .errors import ERROR_RESPONSES, ErrorBody, error, parse_json, refuse_personnummer

router = APIRouter(tags=["CDS Hooks"])

SERVICE_ID = "foraldraskapsstod"
HOOK = "patient-view"
SUMMARY_MAX = 139
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


class CdsContext(Family):
    """`context` för patient-view: familjens uppgifter plus CDS Hooks standardnycklar."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"patientId": "example-1", "userId": "Practitioner/abc",
                                         "kommun": "Nora", "age_months": 40, "needs": []}]},
    )
    patientId: str | None = Field(default=None, max_length=256, description="Ogenomskinligt FHIR-id; sparas aldrig")
    userId: str | None = Field(default=None, max_length=256, description="FHIR-referens till användaren; sparas aldrig")
    encounterId: str | None = Field(default=None, max_length=256, description="FHIR-id för besöket; sparas aldrig")


class CdsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hook: Literal["patient-view"]
    hookInstance: uuid.UUID
    fhirServer: str | None = Field(default=None, max_length=2048)
    fhirAuthorization: dict[str, Any] | None = None
    context: CdsContext
    prefetch: dict[str, Any] | None = None
    extension: dict[str, Any] | None = None


class CardSource(BaseModel):
    label: str
    url: str | None = None


class CardLink(BaseModel):
    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"


class Card(BaseModel):
    uuid: str
    summary: str = Field(max_length=SUMMARY_MAX)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: CardSource
    links: list[CardLink] | None = None


class CdsResponse(BaseModel):
    cards: list[Card]


class FeedbackItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    card: str = Field(max_length=100)
    outcome: Literal["accepted", "overridden"]
    outcomeTimestamp: str = Field(max_length=64)


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


def cards_for(body: dict, source: CardSource, base_url: str | None) -> list[Card]:
    """The cards for one decision body (engine.decision_body)."""
    links = None
    if base_url:
        links = [CardLink(label="Öppna beslutsstödet för föräldraskapsstöd", url=base_url),
                 CardLink(label="Regionala strategin i korthet", url=base_url + "strategi")]
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
        lines = []
        for r in recs:
            src = r["source"]
            where = f"{src.get('title') or src['document']}, avsnitt {src['section']}"
            lines.append(f"**{r['name']}** – {AVAILABILITY_SV[r['availability']]}")
            lines.append(f"- Motivering: {r['rationale']}")
            lines.append(f"- Källa: {where} (regel `{r['rule_id']}`)")
            if r.get("contact"):
                lines.append(f"- Kontakt: {r['contact']}")
            lines.append("")
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
    return CardSource(label=doc.title,
                      url=doc.url)


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
        usageRequirements=(
            "context ska innehålla kommun, age_months (0–216) eller expecting=true, och needs "
            "(koder från GET /v1/needs). patientId och userId tas emot men sparas aldrig; "
            "skicka aldrig personnummer."
        ),
    )


def _check_id(service_id: str) -> None:
    if service_id != SERVICE_ID:
        raise error(404, "id", f"okänd CDS-tjänst (finns: {SERVICE_ID})", f"unknown CDS service (available: {SERVICE_ID})")


@router.get("/cds-services", response_model=Discovery, response_model_exclude_none=True,
            summary="CDS Hooks: tjänster", description="Discovery enligt CDS Hooks 2.0.")
def discovery(request: Request) -> Response:
    service = _service(state_of(request).engine.pack.meta.region)
    return json_response(orjson.dumps({"services": [service.model_dump(exclude_none=True)]}))


CDS_EXAMPLE = {
    "hook": HOOK,
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "context": {"patientId": "example-1", "userId": "Practitioner/example",
                "kommun": "Nora", "age_months": 40, "needs": ["vald_eller_omsorgssvikt"]},
}


async def _read(request: Request, model):
    """The body as `model`: JSON, no personnummer anywhere, validated; else 422 in Swedish."""
    data = parse_json(await request.body())
    refuse_personnummer(data)
    if not isinstance(data, dict):
        raise error(422, errors.BODY, "ska vara ett JSON-objekt", "must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.validation_error(exc) from None


@router.post(
    "/cds-services/{service_id}",
    response_model=CdsResponse, response_model_exclude_none=True,
    summary="CDS Hooks: kort för en familj (patient-view)",
    description=("Tar emot `hook`, `hookInstance` och `context` med familjens uppgifter och svarar alltid "
                 "med `cards`: kritiska meddelanden först, sedan ett kort per nivå. Fel ger 422 på svenska."),
    responses={**ERROR_RESPONSES, 404: {"model": ErrorBody}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/CdsRequest"},
        "example": CDS_EXAMPLE}}}},
)
async def cds_service(service_id: str, request: Request) -> Response:
    _check_id(service_id)
    req = await _read(request, CdsRequest)
    family = Family.model_validate(req.context.model_dump(exclude={"patientId", "userId", "encounterId"}))
    state = state_of(request)
    serving = state.serving
    body = orjson.loads(decide(state, family, ("context",)))
    base = str(request.base_url)
    cards = cards_for(body, strategy_source(serving.engine.pack), base)
    return json_response(orjson.dumps({"cards": [c.model_dump(exclude_none=True) for c in cards]}))


@router.post(
    "/cds-services/{service_id}/feedback",
    response_model=FeedbackOut,
    summary="CDS Hooks: återkoppling på kort",
    description="Tar emot återkoppling (accepted/overridden). Inget sparas.",
    responses={**ERROR_RESPONSES, 404: {"model": ErrorBody}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Feedback"}}}}},
)
async def cds_feedback(service_id: str, request: Request) -> Response:
    _check_id(service_id)
    fb = await _read(request, Feedback)
    return json_response(orjson.dumps({"status": "mottaget", "received": len(fb.feedback)}))
