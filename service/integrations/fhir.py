"""What the service reads from a FHIR R4 Patient: the birth date and the kommun of the address.

Nothing else is read. Identifiers (personnummer), names, telecom, contacts and the address lines
are never looked at, stored, logged or echoed: `facts_of` copies `birthDate` and the kommun
candidates out of the resource and the resource itself is dropped.

Kommun: a municipality-code extension on the address (or on `address.district`) with a 4-digit
kommunkod wins; else `district`, else `city`, matched against the pack's kommun names and
aliases. HL7 Sweden's base profiles (basprofiler-r4 1.1.0) define no municipality-code
extension, so any extension whose URL names a municipality or kommun is accepted
(e.g. `.../municipality-code`, `.../SEMunicipalityCode`, `.../kommunkod`), as is a Coding with the
kommunkod OID 1.2.752.129.2.2.1.17 (KV Kommun, SCB's kommunkod; .18 is KV Län) — see
docs/journalsystem.md.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson

STOCKHOLM = ZoneInfo("Europe/Stockholm")
FHIR_TIMEOUT = 3.0
FHIR_MAX_BYTES = 1024 * 1024
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
KOMMUNKOD = re.compile(r"^\d{4}$")
KOMMUNKOD_OIDS = ("urn:oid:1.2.752.129.2.2.1.17",)
_MUNICIPALITY_URL = re.compile(r"municipal|kommun", re.IGNORECASE)
FOLKBOKFORINGSADRESS = "63381000052101"  # SNOMED CT SE, HL7 Sweden SEBaseAddressPersonExtension
_BIRTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


@dataclass(frozen=True)
class PatientFacts:
    """All the service keeps of a Patient: no identifier, no name, no address line."""

    birth: dt.date | None
    kommun_codes: tuple[str, ...]   # 4-digit codes from an extension, best first
    kommun_names: tuple[str, ...]   # district / city texts, best first


def today_in_sweden() -> dt.date:
    return dt.datetime.now(STOCKHOLM).date()


def age_in_months(birth: dt.date, on: dt.date) -> int:
    """Whole months completed between birth and `on` (negative when born after `on`)."""
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    if on.day < birth.day:
        months -= 1
    return months


def _birth_date(value: Any) -> dt.date | None:
    """FHIR `date`: YYYY-MM-DD, or YYYY-MM (taken as the 1st: the age may be up to a month high).
    A year alone gives no month: None."""
    if not isinstance(value, str):
        return None
    m = _BIRTH.match(value.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError:
        return None


def _codes_in(value: Any) -> list[str]:
    """4-digit codes in an extension value: valueCoding, valueCodeableConcept, valueCode, valueString."""
    out: list[str] = []
    if not isinstance(value, dict):
        return out
    codings = []
    if isinstance(value.get("valueCoding"), dict):
        codings.append(value["valueCoding"])
    concept = value.get("valueCodeableConcept")
    if isinstance(concept, dict) and isinstance(concept.get("coding"), list):
        codings.extend(c for c in concept["coding"] if isinstance(c, dict))
    for coding in codings:
        code = coding.get("code")
        if isinstance(code, str) and KOMMUNKOD.match(code.strip()):
            out.append(code.strip())
    for key in ("valueCode", "valueString"):
        code = value.get(key)
        if isinstance(code, str) and KOMMUNKOD.match(code.strip()):
            out.append(code.strip())
    return out


def _extension_codes(extensions: Any) -> list[str]:
    out: list[str] = []
    if not isinstance(extensions, list):
        return out
    for ext in extensions:
        if not isinstance(ext, dict):
            continue
        url = ext.get("url")
        oid_coding = isinstance(ext.get("valueCoding"), dict) and ext["valueCoding"].get("system") in KOMMUNKOD_OIDS
        if (isinstance(url, str) and _MUNICIPALITY_URL.search(url)) or oid_coding:
            out.extend(_codes_in(ext))
    return out


def _address_rank(address: dict, on: dt.date) -> tuple:
    """Sort key: current addresses first, the folkbokföringsadress first, then home, then others."""
    period = address.get("period") if isinstance(address.get("period"), dict) else {}
    end = _birth_date(str(period.get("end", ""))[:10]) if period.get("end") else None
    ended = end is not None and end < on
    extensions = address.get("extension") if isinstance(address.get("extension"), list) else []
    official = any(isinstance(ext, dict) and FOLKBOKFORINGSADRESS in repr(ext.get("valueCodeableConcept", ""))
                   for ext in extensions)
    use = address.get("use")
    return (ended, not official, use != "home", use in ("old", "temp", "billing"))


def facts_of(patient: Any, on: dt.date) -> PatientFacts | None:
    """The facts of a FHIR Patient resource; None if it is not one."""
    if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
        return None
    addresses = [a for a in patient.get("address", []) if isinstance(a, dict)] \
        if isinstance(patient.get("address"), list) else []
    addresses.sort(key=lambda a: _address_rank(a, on))
    codes: list[str] = []
    names: list[str] = []
    for address in addresses:
        codes += _extension_codes(address.get("extension"))
        district_ext = address.get("_district")
        if isinstance(district_ext, dict):
            codes += _extension_codes(district_ext.get("extension"))
        for key in ("district", "city"):
            value = address.get(key)
            if isinstance(value, str) and value.strip() and len(value) <= 100:
                names.append(value.strip())
    return PatientFacts(birth=_birth_date(patient.get("birthDate")),
                        kommun_codes=tuple(dict.fromkeys(codes)), kommun_names=tuple(dict.fromkeys(names)))


def patient_in(prefetch: Any) -> dict | None:
    """The Patient among the prefetched resources: key `patient`, else any value that is a Patient
    (or a searchset Bundle holding exactly one). None and OperationOutcome count as missing."""
    if not isinstance(prefetch, dict):
        return None
    candidates = [prefetch.get("patient"), *(v for k, v in prefetch.items() if k != "patient")]
    for value in candidates:
        if isinstance(value, dict) and value.get("resourceType") == "Patient":
            return value
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            found = [e.get("resource") for e in value.get("entry", []) or []
                     if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                     and e["resource"].get("resourceType") == "Patient"]
            if len(found) == 1:
                return found[0]
    return None


def fhir_server_allowed(url: str) -> bool:
    """May the service read from this fhirServer? CDS Hooks lets the service read the Patient from
    the fhirServer the caller names, so by default any http(s) server (the fetch itself is narrow:
    only `Patient/{id}` with a valid FHIR id, no redirects, a short timeout and a size cap, and only
    the birth date and kommun are read). With FORALDRASTOD_FHIR_SERVERS (comma-separated base URLs)
    only those: set it in production to the journal systems' FHIR servers."""
    allowed = [u.strip().rstrip("/") for u in (os.environ.get("FORALDRASTOD_FHIR_SERVERS") or "").split(",") if u.strip()]
    if not allowed:
        return True
    base = url.rstrip("/")
    return any(base == a or base.startswith(a + "/") for a in allowed)


class FhirUnavailable(Exception):
    """The Patient could not be read from the FHIR server (Swedish reason, no data in it)."""


async def fetch_patient(fhir_server: str, patient_id: str, authorization: dict | None,
                        client: httpx.AsyncClient | None = None) -> dict:
    """GET {fhirServer}/Patient/{id} with the bearer token from fhirAuthorization: short timeout,
    no redirects, at most FHIR_MAX_BYTES. Raises FhirUnavailable."""
    if not fhir_server.startswith(("https://", "http://")):
        raise FhirUnavailable("fhirServer ska vara en http(s)-adress")
    if not FHIR_ID.match(patient_id):
        raise FhirUnavailable("patientId är inget giltigt FHIR-id")
    headers = {"Accept": "application/fhir+json, application/json"}
    if isinstance(authorization, dict) and isinstance(authorization.get("access_token"), str):
        headers["Authorization"] = f"Bearer {authorization['access_token']}"
    url = fhir_server.rstrip("/") + "/Patient/" + patient_id
    own = client is None
    client = client or httpx.AsyncClient(timeout=FHIR_TIMEOUT, follow_redirects=False)
    try:
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code != 200:
                raise FhirUnavailable(f"FHIR-servern svarade {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > FHIR_MAX_BYTES:
                    raise FhirUnavailable("svaret från FHIR-servern är för stort")
    except httpx.HTTPError:
        raise FhirUnavailable("FHIR-servern kunde inte nås") from None
    finally:
        if own:
            await client.aclose()
    try:
        resource = orjson.loads(bytes(body))
    except ValueError:
        raise FhirUnavailable("FHIR-servern svarade inte med JSON") from None
    if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
        raise FhirUnavailable("FHIR-servern svarade inte med en Patient")
    return resource
