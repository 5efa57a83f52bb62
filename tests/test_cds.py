"""CDS Hooks 2.0: discovery, patient-view cards, feedback, and refusals in Swedish."""
from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from engine.loader import DEFAULT_PACK
from service.app import create_app

URL = "/cds-services/foraldraskapsstod"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(DEFAULT_PACK)) as c:
        yield c


def hook(context: dict, **extra) -> dict:
    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "context": context, **extra}


def test_discovery_lists_the_service():
    with TestClient(create_app(DEFAULT_PACK)) as c:
        body = c.get("/cds-services").json()
    (service,) = body["services"]
    assert service["id"] == "foraldraskapsstod"
    assert service["hook"] == "patient-view"
    assert service["title"] and "föräldraskapsstöd" in service["description"].lower()
    assert not service.get("prefetch")


def test_safeguarding_gives_a_critical_card_first(client):
    ctx = {"patientId": "pat-1", "userId": "Practitioner/9", "kommun": "Nora", "age_months": 40,
           "needs": ["vald_eller_omsorgssvikt"]}
    r = client.post(URL, json=hook(ctx))
    assert r.status_code == 200
    cards = r.json()["cards"]
    assert cards[0]["indicator"] == "critical"
    assert any(c["indicator"] == "warning" and c["summary"].startswith("Indikerad") for c in cards)


def test_cards_cover_every_recommendation_with_rationale_and_source(client):
    family = {"kommun": "Örebro", "age_months": 60, "needs": ["overvikt_fetma"]}
    decision = client.post("/v1/recommendations", json=family).json()
    cards = client.post(URL, json=hook(family)).json()["cards"]
    details = "\n".join(c.get("detail", "") for c in cards)
    for rec in decision["recommendations"]:
        assert rec["name"] in details
        assert rec["rationale"] in details
    for card in cards:
        assert len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert "strategi" in card["source"]["label"].lower()
        uuid.UUID(card["uuid"])
        for link in card.get("links", []):
            assert link["type"] == "absolute" and link["url"].startswith("http")
    indicators = {c["summary"].split(":")[0]: c["indicator"] for c in cards}
    assert indicators == {"Selektiv nivå": "info", "Universell nivå": "info"}


def test_expecting_parents_get_cards(client):
    cards = client.post(URL, json=hook({"kommun": "laxa", "expecting": True})).json()["cards"]
    assert cards and all(c["indicator"] == "info" for c in cards)


def test_ids_in_context_are_accepted_but_never_echoed(client):
    ctx = {"patientId": "Patient-zq-unique-77", "userId": "Practitioner/zq-user-88",
           "encounterId": "enc-zq-99", "kommun": "Nora", "age_months": 8}
    r = client.post(URL, json=hook(ctx, fhirServer="https://fhir.example.org"))
    assert r.status_code == 200
    assert "zq-" not in r.text


@pytest.mark.parametrize("where", ["patientId", "userId", "note"])
@pytest.mark.parametrize("pnr", ["19811218-9876", "8112789876"])
def test_personnummer_in_context_is_refused_without_echo(client, where, pnr):
    ctx = {"kommun": "Nora", "age_months": 8, where: pnr}
    r = client.post(URL, json=hook(ctx))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == f"context.{where}"
    assert r.json()["message"].startswith(f"Fel i context.{where}: ser ut som ett personnummer")
    assert pnr[-4:] not in r.text


@pytest.mark.parametrize("body,field", [
    ({"hook": "order-select", "hookInstance": str(uuid.uuid4()), "context": {"kommun": "Nora", "age_months": 1}}, "hook"),
    ({"hook": "patient-view", "hookInstance": "inte-en-uuid", "context": {"kommun": "Nora", "age_months": 1}}, "hookInstance"),
    ({"hook": "patient-view", "hookInstance": str(uuid.uuid4())}, "context"),
    (hook({"kommun": "Nora", "age_months": 1, "okand": 1}), "context.okand"),
    (hook({"kommun": "Nora", "age_months": 300}), "context.age_months"),
    (hook({"kommun": "Nora"}), "context.age_months"),
    (hook({"kommun": "Gondor", "age_months": 3}), "context.kommun"),
    (hook({"kommun": "Nora", "age_months": 3, "needs": ["inget_sadant"]}), "context.needs"),
    ({**hook({"kommun": "Nora", "age_months": 3}), "extra": 1}, "extra"),
])
def test_bad_hook_requests_are_422_in_swedish(client, body, field):
    r = client.post(URL, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert r.json()["message"].startswith(f"Fel i {field}: ")


def test_invalid_json_is_422(client):
    r = client.post(URL, content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "ogiltig JSON" in r.json()["message"]


def test_unknown_service_is_404_in_swedish(client):
    r = client.post("/cds-services/annan", json=hook({"kommun": "Nora", "age_months": 1}))
    assert r.status_code == 404
    assert r.json()["message"].startswith("Fel i id: okänd CDS-tjänst")


def test_feedback_is_accepted_and_validated(client):
    fb = {"feedback": [{"card": str(uuid.uuid4()), "outcome": "accepted",
                        "outcomeTimestamp": "2026-01-01T10:00:00Z"}]}
    r = client.post(URL + "/feedback", json=fb)
    assert r.status_code == 200 and r.json()["received"] == 1
    r = client.post(URL + "/feedback", json={"feedback": [{"card": "x", "outcome": "kanske",
                                                           "outcomeTimestamp": "2026"}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "feedback[0].outcome"
