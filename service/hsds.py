"""Open Referral HSDS 3: the insats catalogue as `service` records (GET /hsds/services[/{id}]).

Ages are given in years (HSDS), eligibility in Swedish, `service_areas` are the kommuner where
the pack says the insats finns, and `organization` is who delivers it.
"""
from __future__ import annotations

import math
import re
import unicodedata

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from engine.loader import Pack
from engine.models import Availability, Insats

from .api import json_response, state_of
from .errors import ErrorBody, error

router = APIRouter(tags=["Open Referral HSDS"])

LEVEL_SV = {
    "universell": "Universell nivå: främjande och förebyggande stöd som erbjuds alla föräldrar",
    "selektiv": "Selektiv nivå: för föräldrar som kan tillhöra en riskgrupp eller där barnet har svårigheter",
    "indikerad": "Indikerad nivå: ofta individuellt stöd när barnet visar tydliga problem eller föräldern har stort stödbehov",
}


class Organization(BaseModel):
    id: str
    name: str
    description: str


class ServiceArea(BaseModel):
    id: str
    name: str
    description: str | None = None


class HsdsService(BaseModel):
    id: str
    name: str
    status: str = Field(examples=["active"])
    description: str | None = None
    minimum_age: float | None = Field(default=None, description="Barnets lägsta ålder i år")
    maximum_age: float | None = Field(default=None, description="Barnets högsta ålder i år")
    eligibility_description: str
    service_areas: list[ServiceArea]
    organization: Organization


class ServicePage(BaseModel):
    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[HsdsService]


def slug(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "okand"


def years(months: int) -> float | int:
    value = months / 12
    return int(value) if value.is_integer() else round(value, 2)


def eligibility(pack: Pack, ins: Insats) -> str:
    parts = [LEVEL_SV[ins.level.value] + "."]
    if ins.expecting and ins.age_months is None:
        parts.append("För blivande föräldrar.")
    elif ins.age_months is not None:
        lo, hi = years(ins.age_months.min), years(ins.age_months.max)
        who = f"För föräldrar till barn {lo}–{hi} år ({ins.age_months.min}–{ins.age_months.max} månader)"
        parts.append(who + (" och för blivande föräldrar." if ins.expecting else "."))
    labels: list[str] = []
    for rule in pack.rules:
        if ins.id in rule.recommend:
            for code in (*rule.when.needs_any, *rule.when.needs_all):
                label = pack.needs[code].label if code in pack.needs else code
                if label not in labels:
                    labels.append(label)
    if labels:
        parts.append("Rekommenderas vid: " + "; ".join(labels) + ".")
    return " ".join(parts)


def service_record(pack: Pack, ins: Insats) -> dict:
    areas = [
        {"id": f"kommun-{code}", "name": k.name, "description": f"{k.name} kommun, kommunkod {code}"}
        for code, k in sorted(pack.kommuner.items())
        if pack.availability_status(code, ins.id) == Availability.finns
    ]
    provider = ins.provider or f"Kommunerna och regionen i {pack.meta.region}"
    return {
        "id": ins.id,
        "name": ins.name,
        "status": "active",
        "description": ins.description or f"{ins.name} ({ins.level.value} nivå).",
        "minimum_age": years(ins.age_months.min) if ins.age_months else (0 if ins.expecting else None),
        "maximum_age": years(ins.age_months.max) if ins.age_months else (0 if ins.expecting else None),
        "eligibility_description": eligibility(pack, ins),
        "service_areas": areas,
        "organization": {
            "id": f"org-{slug(provider)}",
            "name": provider,
            "description": f"Utför {ins.name} enligt regelpaketet {pack.meta.title}.",
        },
    }


def build_services(pack: Pack) -> dict[str, dict]:
    return {ins.id: service_record(pack, ins) for ins in pack.insatser.values()}


def services_of(request: Request) -> dict[str, dict]:
    return state_of(request).serving.document("hsds", build_services)


@router.get("/hsds/services", response_model=ServicePage,
            summary="HSDS 3: tjänster (insatser)",
            description="Insatskatalogen som Open Referral HSDS 3 `service`, sidindelad.",
            responses={422: {"model": ErrorBody}})
def list_services(request: Request,
                  page: int = Query(1, ge=1, le=100000, description="Sidnummer, från 1"),
                  per_page: int = Query(50, ge=1, le=500, description="Antal per sida")) -> Response:
    services = list(services_of(request).values())
    total = len(services)
    pages = max(1, math.ceil(total / per_page))
    contents = services[(page - 1) * per_page: page * per_page]
    return json_response(orjson.dumps({
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not contents,
        "contents": contents,
    }))


@router.get("/hsds/services/{service_id}", response_model=HsdsService,
            summary="HSDS 3: en tjänst", description="En insats som HSDS 3 `service`.",
            responses={404: {"model": ErrorBody}})
def get_service(service_id: str, request: Request) -> Response:
    record = services_of(request).get(service_id)
    if record is None:
        raise error(404, "id", "okänd tjänst (se GET /hsds/services)", "unknown service")
    return json_response(orjson.dumps(record))
