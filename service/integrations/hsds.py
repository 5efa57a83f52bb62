"""Open Referral HSDS 3.0.1: the insats catalogue as `service` records, its providers as
`organization` records.

- `GET /hsds/` answers `version`, `profile` and `openapi_url` (the REQUIRED base endpoint).
- `GET /hsds/services` (paginated, filters `search`, `organization_id`, `modified_after`, `full`,
  `format`, `page`, `per_page`, cumulative; any other parameter is 400) and `/hsds/services/{id}`.
- `GET /hsds/organizations[/{id}]` from the pack's provider catalogue (organisationer.yaml).
- `GET /hsds/profile`: what the records mean here, in Swedish and English (the ages are the
  child's age; the service user is the parent).

Ids are UUIDv5 in a fixed namespace from the pack name and the insats, organisation or
kommun id: stable across restarts and reloads. Unknown values are left out, never `null`.
`last_modified` is when the pack's files last changed.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
import uuid
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import HTMLResponse, Response

from engine.loader import Pack
from engine.models import Availability, Insats

from service.core.deciding import json_response, state_of
from service.core.templating import html_response
from service.integrations.cds_auth import public_url
from service.core.errors import ApiError, ErrorBody, ErrorItem, error

router = APIRouter(tags=["Open Referral HSDS"])

HSDS_VERSION = "3.0.1"
# Fixed namespace for every HSDS id of this service: never change it (ids would change).
NAMESPACE = uuid.UUID("ec9b9f32-a271-4406-9879-fc791b6716b0")
SERVICE_FILTERS = {"search", "organization_id", "modified_after", "page", "per_page", "full", "format"}
ORGANIZATION_FILTERS = {"search", "page", "per_page", "full_service", "format"}
UNSUPPORTED = {
    "taxonomy_term_id": "tjänsten har inga taxonomier",
    "taxonomy_id": "tjänsten har inga taxonomier",
    "minimal": "minimal stöds inte; använd per_page",
    "postcode": "filtret gäller inte tjänster här",
    "proximity": "filtret gäller inte tjänster här",
}

LEVEL_SV = {
    "universell": "Universell nivå: främjande och förebyggande stöd som erbjuds alla föräldrar",
    "selektiv": "Selektiv nivå: för föräldrar som kan tillhöra en riskgrupp eller där barnet har svårigheter",
    "indikerad": "Indikerad nivå: ofta individuellt stöd när barnet visar tydliga problem eller föräldern har stort stödbehov",
}
AGE_NOTE = "Åldrarna (minimum_age, maximum_age) är barnets ålder i år; tjänsten riktar sig till föräldern."


# --------------------------------------------------------------------------- models (OpenAPI only)
class Organization(BaseModel):
    id: str = Field(description="UUID")
    name: str
    description: str
    website: str | None = None


class ServiceArea(BaseModel):
    id: str = Field(description="UUID, unik per tjänst och kommun")
    service_id: str
    name: str
    description: str | None = None


class HsdsService(BaseModel):
    id: str = Field(description="UUID (v5), stabil mellan omstarter")
    organization_id: str | None = None
    name: str
    status: str = Field(examples=["active"])
    description: str | None = None
    eligibility_description: str
    minimum_age: float | None = Field(default=None, description="Barnets lägsta ålder i år (utelämnas om okänd)")
    maximum_age: float | None = Field(default=None, description="Barnets högsta ålder i år (utelämnas om okänd)")
    last_modified: str
    service_areas: list[ServiceArea] | None = None
    organization: Organization | None = None


class Page(BaseModel):
    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool


class ServicePage(Page):
    contents: list[HsdsService]


class OrganizationPage(Page):
    contents: list[Organization]


class ApiInfo(BaseModel):
    version: str = Field(examples=[HSDS_VERSION])
    profile: str
    openapi_url: str


# --------------------------------------------------------------------------- ids and values
def hsds_id(pack: Pack, kind: str, *parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join((pack.name, kind, *parts))))


def years(months: int) -> float | int:
    value = months / 12
    return int(value) if value.is_integer() else round(value, 2)


def fold(text: str) -> str:
    """Case- and accent-insensitive form for search."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", plain)


def pack_modified(pack: Pack) -> dt.datetime:
    """When the pack's files last changed (UTC, whole seconds)."""
    stamps = [p.stat().st_mtime for p in pack.directory.rglob("*.yaml") if p.is_file()]
    when = dt.datetime.fromtimestamp(max(stamps) if stamps else 0, dt.timezone.utc)
    return when.replace(microsecond=0)


def iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


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
    if ins.age_months is not None:
        parts.append(AGE_NOTE)
    return " ".join(parts)


def organization_record(pack: Pack, org_id: str) -> dict[str, Any]:
    org = pack.organisations[org_id]
    out: dict[str, Any] = {"id": hsds_id(pack, "organization", org.id), "name": org.name,
                           "description": " ".join(org.description.split())}
    if org.website:
        out["website"] = org.website
    return out


def service_record(pack: Pack, ins: Insats, modified: str) -> dict[str, Any]:
    sid = hsds_id(pack, "service", ins.id)
    areas = [
        {"id": hsds_id(pack, "service_area", ins.id, code), "service_id": sid, "name": k.name,
         "description": f"{next((a for a in k.aliases if a.endswith(' kommun')), k.name + ' kommun')}, kommunkod {code}"}
        for code, k in sorted(pack.kommuner.items())
        if pack.availability_status(code, ins.id) == Availability.finns
    ]
    record: dict[str, Any] = {"id": sid}
    org_id = pack.organisation_of.get(ins.id)
    if org_id:
        record["organization_id"] = hsds_id(pack, "organization", org_id)
    record.update({
        "name": ins.name,
        "status": "active",
        "description": ins.description or f"{ins.name} ({ins.level.value} nivå).",
        "eligibility_description": eligibility(pack, ins),
    })
    if ins.age_months is not None:
        record["minimum_age"] = years(ins.age_months.min)
        record["maximum_age"] = years(ins.age_months.max)
    record["last_modified"] = modified
    record["service_areas"] = areas
    if org_id:
        record["organization"] = organization_record(pack, org_id)
    return record


class Catalogue:
    """Every HSDS record for one pack, built once per engine (Serving.document)."""

    def __init__(self, pack: Pack):
        self.modified = pack_modified(pack)
        stamp = iso(self.modified)
        self.services = [service_record(pack, ins, stamp) for ins in pack.insatser.values()]
        self.by_id = {s["id"]: s for s in self.services}
        self.by_insats = {ins_id: self.by_id[hsds_id(pack, "service", ins_id)] for ins_id in pack.insatser}
        self.organizations = [organization_record(pack, oid) for oid in pack.organisations]
        self.org_by_id = {o["id"]: o for o in self.organizations}
        self.services_of_org: dict[str, list[dict]] = {o["id"]: [] for o in self.organizations}
        for s in self.services:
            if "organization_id" in s:
                self.services_of_org[s["organization_id"]].append(s)
        self.text = {s["id"]: fold(" ".join([
            s["name"], s.get("description", ""), s["eligibility_description"],
            s.get("organization", {}).get("name", ""), *(a["name"] for a in s["service_areas"])]))
            for s in self.services}


def catalogue_of(request: Request) -> Catalogue:
    return state_of(request).serving.document("hsds", Catalogue)


# --------------------------------------------------------------------------- request helpers
def bad_request(field: str, sv: str, en: str) -> ApiError:
    return ApiError(400, [ErrorItem(field=field, sv=sv, en=en)])


def refuse_unknown(request: Request, allowed: set[str]) -> None:
    """400 for a filter this API does not support: never silently ignored."""
    for name in request.query_params.keys():
        if name in allowed:
            continue
        why = UNSUPPORTED.get(name)
        shown = name if re.fullmatch(r"[A-Za-z_]{1,40}", name) else "…"
        raise bad_request(shown, f"filtret stöds inte ({why})" if why else
                          f"okänd parameter (stöds: {', '.join(sorted(allowed))})",
                          "unsupported filter" if why else "unknown query parameter")


def parse_modified_after(value: str | None) -> dt.datetime | None:
    """A date or an RFC 3339 date-time (what the OpenAPI document promises), in UTC. RFC 3339 also
    allows lower-case `t`/`z`, a leap second (:60, read as :59) and the year 0000 (read as 0001);
    a moment beyond Python's range is clamped to its first or last day."""
    if value is None:
        return None
    text = value.strip().upper().replace("Z", "+00:00").replace(" ", "+")
    text = re.sub(r"^0000(?=-)", "0001", text)
    text = re.sub(r"(T\d\d:\d\d):60", r"\1:59", text)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            when = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        except ValueError:
            raise bad_request("modified_after", "ska vara ett datum eller en tidpunkt enligt ISO 8601",
                              "must be an ISO 8601 date or date-time") from None
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.timezone.utc)
    try:
        return when.astimezone(dt.timezone.utc)
    except OverflowError:
        edge = dt.datetime.max if when.year > 5000 else dt.datetime.min
        return edge.replace(tzinfo=dt.timezone.utc)


def paginate(items: list[dict], page: int, per_page: int) -> dict[str, Any]:
    total = len(items)
    pages = max(1, math.ceil(total / per_page))
    contents = items[(page - 1) * per_page: page * per_page]
    return {"total_items": total, "total_pages": pages, "page_number": page, "size": len(contents),
            "first_page": page == 1, "last_page": page >= pages, "empty": not contents, "contents": contents}


def listing(items: list[dict], fmt: str, page: int, per_page: int) -> Response:
    if fmt == "ndjson":  # every result, one JSON record per line, no pagination (API reference)
        body = b"".join(orjson.dumps(item) + b"\n" for item in items)
        return Response(body, media_type="application/x-ndjson")
    if fmt != "json":
        raise bad_request("format", "ska vara json eller ndjson", "must be json or ndjson")
    return json_response(orjson.dumps(paginate(items, page, per_page)))


def base_links() -> tuple[str, str]:
    base = public_url() or ""
    return base + "/hsds/profile", base + "/openapi.json"


# --------------------------------------------------------------------------- endpoints
# `format=ndjson`: every record, one JSON object per line, no pagination (the same records as `contents`)
NDJSON_200 = {"content": {"application/x-ndjson": {"schema": {
    "type": "string", "description": "En JSON-post per rad (format=ndjson), alla poster, ingen sidindelning"}}}}
PAGE = Query(1, ge=1, le=100000, description="Sidnummer, från 1")
PER_PAGE = Query(50, ge=1, le=500, description="Antal per sida")
SEARCH = Query(None, max_length=200, description="Fritextsökning (alla ord ska finnas; skiftläge och accenter spelar ingen roll)")
FORMAT = Query("json", description="`json` (sidindelat) eller `ndjson` (allt, en post per rad)",
               json_schema_extra={"enum": ["json", "ndjson"]})  # checked in listing(): 400 otherwise


@router.get("/hsds/", response_model=ApiInfo, summary="HSDS 3: om API:et",
            description="HSDS-version, profil och OpenAPI-beskrivning (krävs av HSDS API-referensen).")
def api_info(request: Request) -> Response:
    profile, openapi = base_links()
    return json_response(orjson.dumps({"version": HSDS_VERSION, "profile": profile, "openapi_url": openapi}))


@router.get("/hsds/services", response_model=ServicePage,
            summary="HSDS 3: tjänster (insatser)",
            description=("Insatskatalogen som Open Referral HSDS 3.0.1 `service`, sidindelad. Filtren verkar "
                         "tillsammans (OCH). Filter som inte stöds (t.ex. taxonomy_id) ger 400."),
            responses={200: NDJSON_200, 400: {"model": ErrorBody}, 422: {"model": ErrorBody}})
def list_services(request: Request,
                  search: str | None = SEARCH,
                  organization_id: str | None = Query(None, max_length=64, description="Organisationens UUID"),
                  modified_after: str = Query(  # type: ignore[assignment]  # None: no filter
                      None, max_length=64,
                      description=("Bara tjänster ändrade vid eller efter tidpunkten: ett datum (`2024-05-01`) "
                                   "eller en tidpunkt enligt RFC 3339 (`2024-05-01T08:00:00Z`); utan tidszon UTC"),
                      json_schema_extra={"anyOf": [{"format": "date-time"}, {"format": "date"}]}),
                  full: bool = Query(True, description="false: utan områden och organisation (bara organization_id)"),
                  format: str = FORMAT,
                  page: int = PAGE,
                  per_page: int = PER_PAGE) -> Response:
    refuse_unknown(request, SERVICE_FILTERS)
    cat = catalogue_of(request)
    items = cat.services
    after = parse_modified_after(modified_after)
    if after is not None:
        items = [s for s in items if cat.modified >= after]
    if organization_id is not None:
        items = [s for s in items if s.get("organization_id") == organization_id.strip().lower()]
    if search:
        words = fold(search).split()
        items = [s for s in items if all(w in cat.text[s["id"]] for w in words)]
    if not full:
        items = [{k: v for k, v in s.items() if k not in ("service_areas", "organization")} for s in items]
    return listing(items, format, page, per_page)


@router.get("/hsds/services/{service_id}", response_model=HsdsService,
            summary="HSDS 3: en tjänst", description="En insats som HSDS 3.0.1 `service` (id = UUID).",
            responses={404: {"model": ErrorBody}})
def get_service(service_id: str, request: Request) -> Response:
    cat = catalogue_of(request)
    record = cat.by_id.get(service_id.lower()) or cat.by_insats.get(service_id)
    if record is None:
        raise error(404, "id", "okänd tjänst (se GET /hsds/services)", "unknown service")
    return json_response(orjson.dumps(record))


@router.get("/hsds/organizations", response_model=OrganizationPage,
            summary="HSDS 3: organisationer (utförare)",
            description="Utförarna ur regelpaketets organisationskatalog som HSDS 3.0.1 `organization`.",
            responses={200: NDJSON_200, 400: {"model": ErrorBody}, 422: {"model": ErrorBody}})
def list_organizations(request: Request, search: str | None = SEARCH,
                       full_service: bool = Query(False, description="true: med organisationens tjänster"),
                       format: str = FORMAT, page: int = PAGE, per_page: int = PER_PAGE) -> Response:
    refuse_unknown(request, ORGANIZATION_FILTERS)
    cat = catalogue_of(request)
    items = cat.organizations
    if search:
        words = fold(search).split()
        items = [o for o in items if all(w in fold(o["name"] + " " + o["description"]) for w in words)]
    if full_service:
        items = [{**o, "services": cat.services_of_org[o["id"]]} for o in items]
    return listing(items, format, page, per_page)


@router.get("/hsds/organizations/{organization_id}", response_model=Organization,
            summary="HSDS 3: en organisation", description="En utförare med dess tjänster (`services`).",
            responses={404: {"model": ErrorBody}})
def get_organization(organization_id: str, request: Request) -> Response:
    cat = catalogue_of(request)
    org = cat.org_by_id.get(organization_id.lower())
    if org is None:
        raise error(404, "id", "okänd organisation (se GET /hsds/organizations)", "unknown organization")
    return json_response(orjson.dumps({**org, "services": cat.services_of_org[org["id"]]}))


@router.get("/hsds/profile", response_class=HTMLResponse, summary="HSDS 3: profilen",
            description="Vad posterna betyder här (svenska och engelska): åldrarna är barnets, användaren är föräldern.")
def profile(request: Request) -> HTMLResponse:
    pack = state_of(request).engine.pack
    return html_response("hsds_profile.html", region=pack.meta.region, version=HSDS_VERSION,
                         pack=pack.meta.title)
