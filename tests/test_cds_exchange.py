"""The exchange the CDS Hooks sandbox makes (cds-hooks/sandbox,
src/retrieve-data-helpers/service-exchange.js and discovery-services-retrieval.js), replayed
against a real `foraldrastod serve` with JWT verification and CORS switched on.

The sandbox signs every call (discovery included) with ES384, `aud` = the URL it calls, a fresh
`jti`, `exp` 5 minutes ahead and `jku` = its own JWKS address (src/retrieve-data-helpers/jwt-generator.js); sends `hookInstance`, `hook`, `fhirServer`, `context`
{patientId, userId}, `fhirAuthorization` when it holds a token, and `prefetch` only when it could
fetch the templates; `Accept: application/json`.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx
import pytest

from service.integrations import fhir
from tests.cds_support import FhirServer, Signer, born_months_ago, issuers_file, swedish_patient
from tests.http_support import DEFAULT_PACK, Server

PUBLIC = "https://stod.example.se"
SANDBOX = "https://sandbox.cds-hooks.org"
SERVICE = "/cds-services/foraldraskapsstod"
PATIENT_ID = "4711234567"  # an ordinary numeric EHR id (10 digits)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    today = fhir.today_in_sweden()
    born = born_months_ago(8 * 12 + 3, today, day=min(today.day, 28))
    patient = swedish_patient(born, city="NORA", patient_id=PATIENT_ID)
    # the sandbox always names its own jku; the service holds its key inline and never fetches it
    sandbox = Signer(iss=SANDBOX, kid="44823f3d-0b01-4a6c-a80e-b9d3e8a7226f",
                     jku=SANDBOX + "/.well-known/jwks.json")
    ehr = Signer(iss="https://journal.regionorebrolan.example")
    fhir_server = FhirServer({f"Patient/{PATIENT_ID}": patient, "jwks.json": ehr.jwks})
    issuers = issuers_file(tmp_path_factory.mktemp("cds") / "issuers.json",
                           {"iss": sandbox.iss, "jwks": sandbox.jwks},
                           {"iss": ehr.iss, "jwks_url": fhir_server.base + "/jwks.json"})
    server = Server(DEFAULT_PACK, env={"FORALDRASTOD_PUBLIC_URL": PUBLIC, "FORALDRASTOD_CDS_ISSUERS": issuers,
                                       "FORALDRASTOD_CORS_ORIGINS": SANDBOX})
    try:
        yield {"server": server, "fhir": fhir_server, "patient": patient, "sandbox": sandbox, "ehr": ehr,
               "born": born, "today": today}
    finally:
        server.stop()
        fhir_server.close()


def sandbox_call(world, *, prefetch: bool = True, fhir_server: bool = True, token: str | None = "sign",
                 signer: Signer | None = None) -> httpx.Response:
    """callServices() of the sandbox: the request object, then POST with Accept and a JWT."""
    request = {"hookInstance": str(uuid.uuid4()), "hook": "patient-view",
               "context": {"patientId": PATIENT_ID, "userId": "Practitioner/COREPRACTITIONER1"}}
    if fhir_server:
        request["fhirServer"] = world["fhir"].base
    if prefetch:
        request["prefetch"] = {"patient": world["patient"]}
    headers = {"Accept": "application/json"}
    if token == "sign":
        token = (signer or world["sandbox"]).token(PUBLIC + SERVICE)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(world["server"].base + SERVICE, json=request, headers=headers, timeout=10)


def test_discovery_signed_as_the_sandbox_signs_it(world):
    base = world["server"].base
    token = world["sandbox"].token(PUBLIC + "/cds-services")
    r = httpx.get(base + "/cds-services", headers={"Authorization": f"Bearer {token}", "Origin": SANDBOX})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == SANDBOX
    (service,) = r.json()["services"]
    assert service["id"] == "foraldraskapsstod" and service["prefetch"] == {"patient": "Patient/{{context.patientId}}"}
    assert httpx.get(base + "/cds-services").status_code == 401


def test_cors_preflight_from_the_sandbox(world):
    r = httpx.options(world["server"].base + SERVICE, headers={
        "Origin": SANDBOX, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == SANDBOX
    assert "authorization" in r.headers["access-control-allow-headers"].lower()


def test_call_with_prefetch_gives_cards_for_nora(world):
    r = sandbox_call(world)
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    assert cards and cards[0]["summary"].startswith("Universell nivå")
    detail = cards[0]["detail"]
    assert "Kommun: Nora (från patientens adress)" in detail and "Barnets ålder: 8 år 3 mån" in detail
    links = {link["type"]: link for link in cards[0]["links"] if "beslutsstödet" in link["label"]}
    assert links["absolute"]["url"] == f"{PUBLIC}/#kommun=1884&ar=8&man=3"
    assert links["smart"]["appContext"] == "kommun=1884&ar=8&man=3"


def test_call_with_only_fhir_server_reads_the_patient(world):
    before = len(world["fhir"].requests)
    r = sandbox_call(world, prefetch=False)
    assert r.status_code == 200, r.text
    assert "Kommun: Nora" in r.json()["cards"][0]["detail"]
    assert world["fhir"].requests[before:] == [(f"/fhir/Patient/{PATIENT_ID}", None)]


def test_call_with_nothing_is_412(world):
    r = sandbox_call(world, prefetch=False, fhir_server=False)
    assert r.status_code == 412
    assert r.json()["message"].startswith("Fel i prefetch.patient: patientens uppgifter saknas")


def test_jwt_valid_es384_passes_and_everything_else_is_401(world):
    sandbox = world["sandbox"]
    assert sandbox_call(world).status_code == 200
    impostor = Signer(iss=SANDBOX, kid=sandbox.kid, jku=sandbox.jku)  # same iss, kid and jku, another key
    replayed = sandbox.token(PUBLIC + SERVICE)
    assert sandbox_call(world, token=replayed).status_code == 200
    refused = {
        "unsigned": sandbox_call(world, token=None),
        "wrong key": sandbox_call(world, signer=impostor),
        "wrong aud": sandbox_call(world, token=sandbox.token(world["server"].base + SERVICE)),
        "expired": sandbox_call(world, token=sandbox.token(PUBLIC + SERVICE, exp_in=-300)),
        "replayed": sandbox_call(world, token=replayed),
    }
    for name, r in refused.items():
        assert r.status_code == 401, name
        assert r.json()["errors"][0]["field"] == "Authorization", name
    assert "redan använts" in refused["replayed"].json()["message"]
    assert "aud" in refused["wrong aud"].json()["message"]
    assert "gått ut" in refused["expired"].json()["message"]


def test_issuer_with_jwks_url_is_fetched_once_and_cached(world):
    ehr = world["ehr"]
    fetches = lambda: sum(1 for path, _ in world["fhir"].requests if path.endswith("/jwks.json"))  # noqa: E731
    before = fetches()
    for _ in range(3):
        assert sandbox_call(world, signer=ehr).status_code == 200
    assert fetches() - before == 1


def test_the_personnummer_is_in_no_answer_and_no_log_line(world):
    pnr = world["patient"]["identifier"][0]["value"]
    answers = [sandbox_call(world).text, sandbox_call(world, prefetch=False).text,
               sandbox_call(world, token=None).text, sandbox_call(world, prefetch=False, fhir_server=False).text]
    log = world["server"].stderr()
    assert '"route":"/cds-services/{service_id}"' in log  # the log is there, and says little
    for text in (*answers, log):
        for secret in (pnr, pnr[2:], f"{pnr[:8]}-{pnr[8:]}", f"{pnr[2:8]}-{pnr[8:]}", "Lindqvist", "Prästgatan", PATIENT_ID):
            assert secret not in text
    born: dt.date = world["born"]
    assert born.isoformat() not in log


def test_body_limit_is_1_mib_on_cds_also_when_chunked(world):
    """A real prefetch (hundreds of KiB) passes; over 1 MiB is 413 even without Content-Length."""
    patient = dict(world["patient"], text={"status": "generated", "div": "<div>" + "x" * 300_000 + "</div>"})
    request = {"hookInstance": str(uuid.uuid4()), "hook": "patient-view",
               "context": {"patientId": PATIENT_ID, "userId": "Practitioner/1"}, "prefetch": {"patient": patient}}
    def chunks(data: bytes):
        for i in range(0, len(data), 64 * 1024):
            yield data[i:i + 64 * 1024]

    headers = {"Content-Type": "application/json",
               "Authorization": f"Bearer {world['sandbox'].token(PUBLIC + SERVICE)}"}
    small = json.dumps(request).encode()
    r = httpx.post(world["server"].base + SERVICE, content=chunks(small), headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    patient["text"]["div"] = "<div>" + "x" * (1024 * 1024) + "</div>"
    big = json.dumps(request).encode()
    headers["Authorization"] = f"Bearer {world['sandbox'].token(PUBLIC + SERVICE)}"
    r = httpx.post(world["server"].base + SERVICE, content=chunks(big), headers=headers, timeout=10)
    assert r.status_code == 413 and "1 MiB" in r.json()["message"]
