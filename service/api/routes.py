"""/v1: recommendations and the pack's catalogues (needs, insatser, kommuner, rules)."""
from __future__ import annotations

import datetime as dt

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from engine import Decision
from engine.loader import Pack

from service.api.schemas import InsatserOut, KommunerOut, NeedsOut, RulesOut
from service.core.deciding import JSON, decide_async, family_from, json_response, state_of
from service.core.errors import ERROR_RESPONSES, parse_json

router = APIRouter()


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
