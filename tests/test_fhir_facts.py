"""service.fhir reads only birthDate and the kommun from whatever a journal system sends, and
never fails on odd input (property tests), and the CDS endpoint never answers 5xx to it."""
from __future__ import annotations

import datetime as dt
import uuid

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.loader import DEFAULT_PACK
from service.integrations import fhir
from service.app import create_app

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                             st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                          max_leaves=20)
address = st.fixed_dictionaries({}, optional={
    "use": st.one_of(st.sampled_from(["home", "old", "temp", "work"]), json_value),
    "city": st.one_of(st.sampled_from(["Nora", "NORA", "örebro", "Göteborg", ""]), json_value),
    "district": json_value,
    "period": st.one_of(st.fixed_dictionaries({"end": st.sampled_from(["2020-01-01", "x", "2999-12-31"])}), json_value),
    "extension": st.one_of(st.lists(st.fixed_dictionaries({
        "url": st.sampled_from(["https://x/municipality-code", "https://x/other", "kommun"]),
    }, optional={"valueCoding": st.one_of(st.fixed_dictionaries({"code": st.sampled_from(["1884", "9999", "18"])}),
                                          json_value),
                 "valueString": json_value, "valueCodeableConcept": json_value}), max_size=3), json_value),
    "_district": json_value,
})
patient = st.fixed_dictionaries({"resourceType": st.just("Patient")}, optional={
    "birthDate": st.one_of(st.sampled_from(["2018-03-15", "2018-03", "2018", "2018-02-30", "", "igår"]), json_value),
    "address": st.one_of(st.lists(st.one_of(address, json_value), max_size=3), json_value),
    "identifier": json_value, "name": json_value, "id": json_value,
})


@given(patient)
@settings(max_examples=200, deadline=None)
def test_facts_of_never_fails_and_keeps_only_the_facts(resource):
    facts = fhir.facts_of(resource, dt.date(2026, 11, 24))
    assert facts is not None
    assert facts.birth is None or isinstance(facts.birth, dt.date)
    assert all(len(c) == 4 and c.isdigit() for c in facts.kommun_codes)
    assert all(isinstance(n, str) and len(n) <= 100 for n in facts.kommun_names)


@given(json_value)
def test_anything_else_is_not_a_patient(value):
    if not (isinstance(value, dict) and value.get("resourceType") == "Patient"):
        assert fhir.facts_of(value, dt.date(2026, 1, 1)) is None


client = TestClient(create_app(DEFAULT_PACK))


@given(st.one_of(patient, json_value), st.one_of(st.none(), json_value))
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_cds_endpoint_never_answers_5xx(resource, other):
    body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/1", "patientId": "p1"},
            "prefetch": {"patient": resource, "annat": other}}
    r = client.post("/cds-services/foraldraskapsstod", json=body)
    assert r.status_code in (200, 412, 422), r.text
    if r.status_code == 200:
        assert isinstance(r.json()["cards"], list)
