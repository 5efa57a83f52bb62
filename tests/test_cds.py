"""CDS Hooks 2.0: discovery, patient-view as a journal system calls it (prefetch Patient or
fhirServer), v1 context fields, links, JWT, CORS, feedback, and refusals in Swedish."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from fastapi.testclient import TestClient

from engine.loader import DEFAULT_PACK
from service.integrations import fhir
from service.app import create_app
from tests.cds_support import (FhirServer, Signer, born_months_ago, hook_request, issuers_file, personnummer,
                               swedish_patient)

URL = "/cds-services/foraldraskapsstod"
PUBLIC = "https://stod.example.se"


@pytest.fixture(scope="module")
def client():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORALDRASTOD_PUBLIC_URL", PUBLIC)
        mp.delenv("FORALDRASTOD_CDS_ISSUERS", raising=False)
        with TestClient(create_app(DEFAULT_PACK)) as c:
            yield c


def hook(context: dict, **extra) -> dict:
    return hook_request(context, **extra)


def std_context(patient_id: str = "4711234567") -> dict:
    return {"userId": "Practitioner/example", "patientId": patient_id}


def with_patient(patient: dict, **extra) -> dict:
    return hook(std_context(patient.get("id", "4711234567")), prefetch={"patient": patient}, **extra)


TODAY = fhir.today_in_sweden()


# ------------------------------------------------------------------ discovery
def test_discovery_declares_the_patient_prefetch(client):
    (service,) = client.get("/cds-services").json()["services"]
    assert service["id"] == "foraldraskapsstod" and service["hook"] == "patient-view"
    assert service["prefetch"] == {"patient": "Patient/{{context.patientId}}"}
    assert service["title"] and "föräldraskapsstöd" in service["description"].lower()


# ------------------------------------------------------------------ the standard call
def test_swedish_patient_in_nora_gets_cards_and_no_personal_data_comes_back(client, capfd):
    born = born_months_ago(100, TODAY)
    patient = swedish_patient(born)
    pnr = patient["identifier"][0]["value"]
    r = client.post(URL, json=with_patient(patient))
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    assert [c["summary"].split(":")[0] for c in cards] == ["Universell nivå"]
    detail = cards[0]["detail"]
    assert "Kommun: Nora (från patientens adress)" in detail
    assert f"Barnets ålder: {fhir.age_in_months(born, TODAY) // 12} år" in detail
    for secret in (pnr, pnr[2:], f"{pnr[2:8]}-{pnr[8:]}", "Lindqvist", "Alva", "Prästgatan", "0587", "070-123", "4711234567"):
        assert secret not in r.text
    out, err = capfd.readouterr()
    assert pnr[2:] not in out + err and "Lindqvist" not in out + err


def test_the_universal_cards_match_the_v1_decision_for_the_same_family(client):
    born = born_months_ago(40, TODAY, day=1)
    months = fhir.age_in_months(born, TODAY)
    decision = client.post("/v1/recommendations", json={"kommun": "1884", "age_months": months}).json()
    cards = client.post(URL, json=with_patient(swedish_patient(born))).json()["cards"]
    details = "\n".join(c.get("detail", "") for c in cards)
    for rec in decision["recommendations"]:
        assert rec["name"] in details and rec["rationale"] in details


def test_links_open_the_staff_page_prefilled_through_the_fragment(client):
    born = born_months_ago(99, TODAY, day=1)
    months = fhir.age_in_months(born, TODAY)
    card = client.post(URL, json=with_patient(swedish_patient(born)), headers={"host": "evil.example"}).json()["cards"][0]
    links = {link["type"]: link for link in card["links"] if "beslutsstödet" in link["label"]}
    assert links["absolute"]["url"] == f"{PUBLIC}/#kommun=1884&ar={months // 12}&man={months % 12}"
    assert links["smart"]["url"] == f"{PUBLIC}/" and links["smart"]["appContext"] == f"kommun=1884&ar={months // 12}&man={months % 12}"
    assert "appContext" not in links["absolute"]
    assert all(link["url"].startswith(PUBLIC) for link in card["links"])
    assert "evil" not in json.dumps(card)


def test_without_public_url_there_are_no_links_and_host_is_never_used(monkeypatch):
    monkeypatch.delenv("FORALDRASTOD_PUBLIC_URL", raising=False)
    with TestClient(create_app(DEFAULT_PACK)) as c:
        r = c.post(URL, json=with_patient(swedish_patient(born_months_ago(30, TODAY))), headers={"host": "evil.example"})
    assert r.status_code == 200
    assert all("links" not in card for card in r.json()["cards"]) and "evil" not in r.text


@pytest.mark.parametrize("address,kommun", [
    ({"city": "Örebro"}, "Örebro"),
    ({"city": "LINDESBERG"}, "Lindesberg"),
    ({"district": "Hällefors kommun", "city": "Grythyttan"}, "Hällefors"),
    ({"city": "Fjugesta", "extension": [{"url": "http://hl7.se/fhir/ig/base/StructureDefinition/SEMunicipalityCode",
                                         "valueCoding": {"system": "urn:oid:1.2.752.129.2.2.1.17", "code": "1814"}}]},
     "Lekeberg"),
    ({"city": "Fjugesta", "extension": [{"url": "https://region.example/fhir/StructureDefinition/hemort",
                                         "valueCoding": {"system": "urn:oid:1.2.752.129.2.2.1.17", "code": "1814"}}]},
     "Lekeberg"),
    ({"city": "Fjugesta", "_district": {"extension": [{"url": "https://example.se/fhir/municipality-code",
                                                       "valueCodeableConcept": {"coding": [{"code": "1814"}]}}]}},
     "Lekeberg"),
])
def test_kommun_from_the_address(client, address, kommun):
    patient = swedish_patient(born_months_ago(50, TODAY))
    patient["address"] = [{"use": "home", **address}]
    cards = client.post(URL, json=with_patient(patient)).json()["cards"]
    assert f"Kommun: {kommun} (från patientens adress)" in cards[0]["detail"]


def test_the_folkbokforingsadress_wins_over_an_old_address(client):
    patient = swedish_patient(born_months_ago(50, TODAY), city="Nora")
    patient["address"].insert(0, {"use": "old", "city": "Askersund", "period": {"end": "2020-01-01"}})
    patient["address"].insert(0, {"use": "temp", "city": "Karlskoga"})
    cards = client.post(URL, json=with_patient(patient)).json()["cards"]
    assert "Kommun: Nora" in cards[0]["detail"]


def test_an_address_outside_the_region_gives_one_card_to_choose_kommun(client):
    patient = swedish_patient(born_months_ago(26, TODAY), city="GÖTEBORG")
    cards = client.post(URL, json=with_patient(patient)).json()["cards"]
    assert len(cards) == 1 and cards[0]["indicator"] == "info"
    assert "kommunen framgår inte" in cards[0]["summary"]
    assert "kommun=" not in cards[0]["links"][0]["url"] and "ar=2" in cards[0]["links"][0]["url"]
    assert "GÖTEBORG" not in json.dumps(cards)


@pytest.mark.parametrize("months", [217, 12 * 40])
def test_an_adult_patient_gets_no_cards(client, months):
    r = client.post(URL, json=with_patient(swedish_patient(born_months_ago(months, TODAY))))
    assert r.status_code == 200 and r.json() == {"cards": []}


def test_age_from_birth_date_on_the_swedish_date():
    assert fhir.age_in_months(dt.date(2020, 3, 31), dt.date(2020, 4, 30)) == 0
    assert fhir.age_in_months(dt.date(2020, 3, 31), dt.date(2020, 5, 1)) == 1
    assert fhir.age_in_months(dt.date(2018, 2, 28), dt.date(2026, 2, 28)) == 96
    assert fhir.age_in_months(dt.date(2024, 2, 29), dt.date(2025, 2, 28)) == 11


def test_context_date_sets_the_day_of_the_age(client):
    patient = swedish_patient(dt.date(2020, 6, 15))
    body = with_patient(patient)
    body["context"]["date"] = "2026-06-14"
    assert "5 år 11 mån" in client.post(URL, json=body).json()["cards"][0]["detail"]


def test_needs_from_the_v1_context_add_selective_support(client):
    body = with_patient(swedish_patient(born_months_ago(100, TODAY)))
    body["context"]["needs"] = ["overvikt_fetma"]
    cards = client.post(URL, json=body).json()["cards"]
    assert {c["summary"].split(":")[0] for c in cards} == {"Universell nivå", "Selektiv nivå"}
    assert "behov=overvikt_fetma" in cards[0]["links"][0]["url"]
    # staff read the need's name, never its code (issue 18, item 15)
    selective = next(c for c in cards if c["summary"].startswith("Selektiv nivå"))
    assert "Utlöst av behov: Barnet har övervikt eller fetma" in selective["detail"]
    assert "overvikt_fetma" not in selective["detail"]


def test_extension_is_accepted_where_the_spec_reserves_it(client):
    body = with_patient(swedish_patient(born_months_ago(20, TODAY)),
                        extension={"com.example.timestamp": "2017-11-27T22:13:25Z"})
    assert client.post(URL, json=body).status_code == 200


def test_a_real_sized_prefetch_passes_and_v1_keeps_16_kib(client):
    patient = swedish_patient(born_months_ago(20, TODAY))
    patient["text"] = {"status": "generated", "div": "<div>" + "x" * 200_000 + "</div>"}
    assert client.post(URL, json=with_patient(patient)).status_code == 200
    patient["text"]["div"] = "<div>" + "x" * (1024 * 1024) + "</div>"
    r = client.post(URL, json=with_patient(patient))
    assert r.status_code == 413 and "1 MiB" in r.json()["message"]
    r = client.post("/v1/recommendations", json={"kommun": "Nora", "age_months": 3, "needs": ["x" * 50] * 400})
    assert r.status_code == 413 and "16 KiB" in r.json()["message"]


# ------------------------------------------------------------------ ids and personnummer
@pytest.mark.parametrize("patient_id", ["4711234567", "198112189876", "19811218-9876"])
def test_opaque_fhir_ids_are_never_refused_or_echoed(client, patient_id):
    patient = swedish_patient(born_months_ago(30, TODAY), patient_id=patient_id)
    body = with_patient(patient)
    body["context"]["encounterId"] = patient_id
    body["context"]["userId"] = f"Practitioner/{patient_id}"
    r = client.post(URL, json=body)
    assert r.status_code == 200, r.text
    assert patient_id not in r.text


@pytest.mark.parametrize("pnr", ["19811218-9876", "8112789876"])
def test_personnummer_elsewhere_in_context_is_refused_without_echo(client, pnr):
    body = hook({**std_context(), "kommun": "Nora", "age_months": 8, "note": pnr})
    r = client.post(URL, json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "context.note"
    assert r.json()["message"].startswith("Fel i context.note: ser ut som ett personnummer")
    assert pnr[-4:] not in r.text


# ------------------------------------------------------------------ 412: the data cannot be had
@pytest.mark.parametrize("body", [
    hook(std_context()),
    hook(std_context(), prefetch={"patient": None}),
    hook(std_context(), prefetch={"patient": {"resourceType": "OperationOutcome", "issue": []}}),
    hook({"userId": "Practitioner/1"}, fhirServer="http://127.0.0.1:9/fhir"),
    hook({"kommun": "Nora"}),
])
def test_no_patient_data_is_412_in_swedish(client, body):
    r = client.post(URL, json=body)
    assert r.status_code == 412, r.text
    assert r.json()["message"].startswith("Fel i prefetch.patient: ")


def test_a_patient_without_birth_date_is_412(client):
    patient = swedish_patient(born_months_ago(30, TODAY))
    del patient["birthDate"]
    r = client.post(URL, json=with_patient(patient))
    assert r.status_code == 412 and "birthDate" in r.json()["message"]


def test_only_fhir_server_reads_the_patient_with_the_token(client, monkeypatch):
    born = born_months_ago(77, TODAY)
    server = FhirServer({"Patient/4711234567": swedish_patient(born)})
    try:
        auth = {"access_token": "opaque-token-123", "token_type": "Bearer", "expires_in": 300,
                "scope": "user/Patient.read", "subject": "foraldrastod"}
        r = client.post(URL, json=hook(std_context(), fhirServer=server.base, fhirAuthorization=auth))
        assert r.status_code == 200, r.text
        assert "Kommun: Nora" in r.json()["cards"][0]["detail"]
        assert server.requests == [("/fhir/Patient/4711234567", "Bearer opaque-token-123")]
        assert "opaque-token" not in r.text
        # with an allow-list, a fhirServer outside it is never read
        monkeypatch.setenv("FORALDRASTOD_FHIR_SERVERS", "https://annan.example/fhir")
        r = client.post(URL, json=hook(std_context(), fhirServer=server.base, fhirAuthorization=auth))
        assert r.status_code == 412 and "FORALDRASTOD_FHIR_SERVERS" in r.json()["message"]
        assert len(server.requests) == 1
        monkeypatch.setenv("FORALDRASTOD_FHIR_SERVERS", "https://annan.example/fhir," + server.base)
        server.status = 403
        r = client.post(URL, json=hook(std_context(), fhirServer=server.base, fhirAuthorization=auth))
        assert r.status_code == 412 and "403" in r.json()["message"]
        server.status, server.delay = None, fhir.FHIR_TIMEOUT + 1
        r = client.post(URL, json=hook(std_context(), fhirServer=server.base))
        assert r.status_code == 412 and "kunde inte nås" in r.json()["message"]
    finally:
        server.close()


def test_a_bad_patient_id_is_never_sent_to_the_fhir_server(client, monkeypatch):
    server = FhirServer({})
    monkeypatch.setenv("FORALDRASTOD_FHIR_SERVERS", server.base)
    try:
        r = client.post(URL, json=hook({"userId": "Practitioner/1", "patientId": "../../admin"}, fhirServer=server.base))
        assert r.status_code == 412 and server.requests == []
    finally:
        server.close()


# ------------------------------------------------------------------ v1 context fields
def test_v1_context_still_works_and_safeguarding_comes_first(client):
    ctx = {"patientId": "pat-1", "userId": "Practitioner/9", "kommun": "Nora", "age_months": 40,
           "needs": ["vald_eller_omsorgssvikt"]}
    r = client.post(URL, json=hook(ctx))
    assert r.status_code == 200
    cards = r.json()["cards"]
    assert cards[0]["indicator"] == "critical"
    assert any(c["indicator"] == "warning" and c["summary"].startswith("Indikerad") for c in cards)


def test_v1_expecting_parents_get_cards(client):
    cards = client.post(URL, json=hook({"kommun": "laxa", "expecting": True})).json()["cards"]
    assert cards and all(c["indicator"] == "info" for c in cards)
    assert "vantar=1" in cards[0]["links"][0]["url"]


@pytest.mark.parametrize("body,field", [
    ({"hook": "order-select", "hookInstance": str(uuid.uuid4()), "context": {"kommun": "Nora", "age_months": 1}}, "hook"),
    ({"hook": "patient-view", "hookInstance": "inte-en-uuid", "context": {"kommun": "Nora", "age_months": 1}}, "hookInstance"),
    ({"hook": "patient-view", "hookInstance": str(uuid.uuid4())}, "context"),
    (hook({"kommun": "Nora", "age_months": 1, "okand": 1}), "context.okand"),
    (hook({"kommun": "Nora", "age_months": 300}), "context.age_months"),
    (hook({"kommun": "Gondor", "age_months": 3}), "context.kommun"),
    (hook({"kommun": "Nora", "age_months": 3, "needs": ["inget_sadant"]}), "context.needs"),
    ({**hook({"kommun": "Nora", "age_months": 3}), "extra": 1}, "extra"),
    (hook({"patientId": 4711}), "context.patientId"),
    (hook(std_context(), fhirAuthorization={"token": "x"}), "fhirAuthorization"),
    (hook(std_context(), prefetch=["Patient"]), "prefetch"),
])
def test_bad_hook_requests_are_422_in_swedish(client, body, field):
    r = client.post(URL, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert r.json()["message"].startswith(f"Fel i {field}: ")


def test_unknown_kommun_with_a_patient_is_422_naming_context_kommun(client):
    body = with_patient(swedish_patient(born_months_ago(30, TODAY)))
    body["context"]["kommun"] = "Gondor"
    r = client.post(URL, json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "context.kommun"


def test_invalid_json_is_422(client):
    r = client.post(URL, content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "ogiltig JSON" in r.json()["message"]


def test_unknown_service_is_404_in_swedish(client):
    r = client.post("/cds-services/annan", json=hook({"kommun": "Nora", "age_months": 1}))
    assert r.status_code == 404
    assert r.json()["message"].startswith("Fel i id: okänd CDS-tjänst")


# ------------------------------------------------------------------ feedback
def test_feedback_accepts_the_spec_fields_and_drops_the_free_text(client, capfd):
    pnr = personnummer(dt.date(2019, 5, 2))
    fb = {"feedback": [
        {"card": str(uuid.uuid4()), "outcome": "accepted", "acceptedSuggestions": [{"id": str(uuid.uuid4())}],
         "outcomeTimestamp": "2026-01-01T10:00:00Z"},
        {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-01-01T10:00:00Z",
         "overrideReason": {"reason": {"code": "d7ecf885", "system": "https://example.com/override"},
                            "userComment": f"Mamman Sara Lindqvist {pnr} vill inte"}},
    ]}
    # a personnummer anywhere in the feedback, the free text included, is refused and never echoed
    r = client.post(URL + "/feedback", json=fb)
    assert r.status_code == 422 and "personnummer" in r.json()["message"]
    fb["feedback"][1]["overrideReason"]["userComment"] = "Mamman Sara Lindqvist vill inte"
    r = client.post(URL + "/feedback", json=fb)
    assert r.status_code == 200 and r.json()["received"] == 2
    out, err = capfd.readouterr()
    assert "Lindqvist" not in r.text + out + err and pnr[2:] not in r.text + out + err


@pytest.mark.parametrize("item,field", [
    ({"card": "x", "outcome": "kanske", "outcomeTimestamp": "2026"}, "feedback[0].outcome"),
    ({"card": "x", "outcome": "accepted", "outcomeTimestamp": "2026", "note": "fritext"}, "feedback[0].note"),
    ({"card": "x", "outcome": "overridden", "outcomeTimestamp": "2026", "overrideReason": {"other": 1}},
     "feedback[0].overrideReason.other"),
])
def test_feedback_outside_the_spec_is_422(client, item, field):
    r = client.post(URL + "/feedback", json={"feedback": [item]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == field


# ------------------------------------------------------------------ JWT and CORS (in-process; the
# real-server exchange is in test_cds_exchange.py)
@pytest.fixture()
def signed(tmp_path, monkeypatch):
    signer = Signer()
    monkeypatch.setenv("FORALDRASTOD_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("FORALDRASTOD_CDS_ISSUERS", issuers_file(tmp_path / "issuers.json",
                                                                {"iss": signer.iss, "jwks": signer.jwks}))
    with TestClient(create_app(DEFAULT_PACK)) as c:
        yield c, signer


def _call(c, token: str | None, path: str = URL):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = with_patient(swedish_patient(born_months_ago(30, TODAY)))
    return c.post(path, json=body, headers=headers)


def test_jwt_rules(signed):
    c, signer = signed
    assert c.get("/healthz").json()["cds"]["authenticated"] is True
    assert _call(c, signer.token(PUBLIC + URL)).status_code == 200
    rs = Signer(iss=signer.iss, alg="RS384")
    cases = {
        "unsigned": None,
        "wrong key": Signer(iss=signer.iss, kid=signer.kid).token(PUBLIC + URL),
        "wrong aud": signer.token(PUBLIC + "/cds-services/annan"),
        "Host-style aud": signer.token("http://testserver" + URL),
        "expired": signer.token(PUBLIC + URL, exp_in=-120),
        "untrusted iss": signer.token(PUBLIC + URL, iss="https://annan.example"),
        "no jti": signer.token(PUBLIC + URL, drop=("jti",)),
        "RS384 key not in jwks": rs.token(PUBLIC + URL),
    }
    for name, token in cases.items():
        r = _call(c, token)
        assert r.status_code == 401, name
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["errors"][0]["field"] == "Authorization"
    token = signer.token(PUBLIC + URL)
    assert _call(c, token).status_code == 200
    r = _call(c, token)
    assert r.status_code == 401 and "redan använts" in r.json()["message"]
    assert c.get("/cds-services").status_code == 401
    ok = c.get("/cds-services", headers={"Authorization": f"Bearer {signer.token(PUBLIC + '/cds-services')}"})
    assert ok.status_code == 200


def test_an_unconfigured_jku_is_never_fetched_and_the_configured_keys_decide(tmp_path, monkeypatch):
    """The sandbox always names its own jku (cds-hooks/sandbox jwt-generator.js). With the issuer's
    keys configured inline, a token they verify passes whatever jku it carries; the jku is never
    fetched, not even for a token the configured keys do not verify."""
    impostor = Signer(iss="https://sandbox.example")  # its key is what the jku serves
    jku_server = FhirServer({"jwks.json": impostor.jwks})
    try:
        jku = jku_server.base + "/jwks.json"
        signer = Signer(iss="https://sandbox.example", kid=impostor.kid, jku=jku)
        monkeypatch.setenv("FORALDRASTOD_PUBLIC_URL", PUBLIC)
        monkeypatch.setenv("FORALDRASTOD_CDS_ISSUERS", issuers_file(tmp_path / "issuers.json",
                                                                    {"iss": signer.iss, "jwks": signer.jwks}))
        with TestClient(create_app(DEFAULT_PACK)) as c:
            token = signer.token(PUBLIC + URL)
            assert pyjwt_header(token)["jku"] == jku and pyjwt_header(token)["alg"] == "ES384"
            assert _call(c, token).status_code == 200
            other = signer.token(PUBLIC + URL, headers={"jku": "https://evil.example/jwks.json"})
            assert _call(c, other).status_code == 200
            # the impostor's key sits at the jku the token names: following it would let this pass
            forged = Signer(iss=signer.iss, kid=signer.kid, jku=jku)
            forged.private = impostor.private
            r = _call(c, forged.token(PUBLIC + URL))
            assert r.status_code == 401 and "signatur" in r.json()["message"]
        assert jku_server.requests == []
    finally:
        jku_server.close()


def pyjwt_header(token: str) -> dict:
    import jwt as pyjwt

    return pyjwt.get_unverified_header(token)


def test_hs256_and_none_are_refused(signed):
    import jwt as pyjwt

    c, signer = signed
    now = 2_000_000_000
    claims = {"iss": signer.iss, "aud": PUBLIC + URL, "exp": now, "iat": now - 10, "jti": "a"}
    hs = pyjwt.encode(claims, "hemligt-delat-lösenord-som-är-långt-nog-för-hs256", algorithm="HS256",
                      headers={"kid": signer.kid})
    none = pyjwt.encode(claims, None, algorithm="none", headers={"kid": signer.kid})
    for token in (hs, none):
        r = _call(c, token)
        assert r.status_code == 401 and "ES384 eller RS384" in r.json()["message"]


def test_rs384_issuer_verifies(tmp_path, monkeypatch):
    rs = Signer(alg="RS384", iss="https://rs.example")
    monkeypatch.setenv("FORALDRASTOD_PUBLIC_URL", PUBLIC + "/")
    monkeypatch.setenv("FORALDRASTOD_CDS_ISSUERS", issuers_file(tmp_path / "i.json", {"iss": rs.iss, "jwks": rs.jwks}))
    with TestClient(create_app(DEFAULT_PACK)) as c:
        assert _call(c, rs.token(PUBLIC + URL)).status_code == 200


def test_a_bad_issuers_file_stops_start_up_in_swedish(tmp_path, monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("FORALDRASTOD_CDS_ISSUERS", issuers_file(tmp_path / "i.json", {"iss": "x"}))
    with pytest.raises(SystemExit) as exc:
        create_app(DEFAULT_PACK)
    assert "antingen 'jwks' eller 'jwks_url'" in str(exc.value)
    monkeypatch.delenv("FORALDRASTOD_PUBLIC_URL")
    monkeypatch.setenv("FORALDRASTOD_CDS_ISSUERS", issuers_file(tmp_path / "j.json", {"iss": "x", "jwks_url": "https://x/j"}))
    with pytest.raises(SystemExit) as exc:
        create_app(DEFAULT_PACK)
    assert "FORALDRASTOD_PUBLIC_URL" in str(exc.value)


def test_healthz_says_cds_is_not_authenticated(client):
    cds = client.get("/healthz").json()["cds"]
    assert cds["authenticated"] is False and "autentiseras inte" in cds["message"]


def test_cors_only_for_configured_origins_and_only_on_cds(monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_CORS_ORIGINS", "https://sandbox.cds-hooks.org, https://ehr.example.se")
    with TestClient(create_app(DEFAULT_PACK)) as c:
        pre = c.options(URL, headers={"Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "POST",
                                      "Access-Control-Request-Headers": "authorization, content-type"})
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
        assert "POST" in pre.headers["access-control-allow-methods"]
        assert "authorization" in pre.headers["access-control-allow-headers"].lower()
        bad = c.options(URL, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers
        get = c.get("/cds-services", headers={"Origin": "https://ehr.example.se"})
        assert get.headers["access-control-allow-origin"] == "https://ehr.example.se"
        other = c.get("/v1/needs", headers={"Origin": "https://ehr.example.se"})
        assert "access-control-allow-origin" not in other.headers
