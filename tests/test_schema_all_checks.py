"""Schemathesis with every check against /openapi.json (issue 18, item 21): the document tells what
the server checks, so a schema-valid request is accepted, a schema-invalid one refused, and an
undeclared method answered 405. Schemathesis' own engine runs its phases (examples, coverage,
fuzzing, stateful) as `st run --checks all` does, on a fixed seed and within a time bound.

Checks that cannot apply here, and why (they run, and pass vacuously):
- `ignored_auth`, `missing_required_header` for auth: the document declares no security scheme
  (CDS Hooks JWT verification is off unless FORALDRASTOD_CDS_ISSUERS is set, and the JWT is not an
  OpenAPI security scheme: its `aud` must be the called URL, so no static credential could be given).
- `use_after_free`, `ensure_resource_availability`, `object_level_authorization`: the API has no
  operation that creates or deletes a resource (everything is read-only or a pure decision, and
  POST /v1/uppfoljning only adds to counters: it names nothing one could fetch or delete).
412 is accepted for the CDS service's "no patient data"; schemathesis.toml says why.

POST /v1/uppfoljning may answer a schema-valid registration with 422 in two cases no JSON Schema
can carry (schemathesis.toml's `[[operations]]` says why): an insats in `erbjudna` that was not
recommended for that family (it follows from the rules, not the request's shape) and a `date` after
today (a bound that moves daily; the document is built per pack version). So positive_data_acceptance
takes 422 for that one operation, and the check `uppfoljning_refuses_only_what_no_schema_says`,
registered here, fails any other 422 to a schema-valid registration: the rest of what the server
checks (kommun, needs, age or expecting, insats ids, the key) stays covered.
"""
from __future__ import annotations

import time
from pathlib import Path

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from engine.loader import DEFAULT_PACK
from service.app import create_app

UNSAYABLE = {"the insats was not recommended for this family",  # erbjudna[i]
             "the date lies in no follow-up period"}  # date (after today)


@schemathesis.check
def uppfoljning_refuses_only_what_no_schema_says(ctx, response, case):
    """A schema-valid POST /v1/uppfoljning answered 422 names only the rules no schema can carry."""
    meta = case.meta
    if (case.operation.method.upper(), case.operation.path) != ("POST", "/v1/uppfoljning") \
            or response.status_code != 422 or meta is None or not meta.generation.mode.is_positive:
        return None
    items = response.json()["errors"]
    said = [f"{i['field']}: {i['en']}" for i in items
            if not any(i["en"].startswith(reason) for reason in UNSAYABLE)]
    if said:
        raise AssertionError(f"a schema-valid registration refused for what the schema could say: {said}")
    return None


SEED = 20261204
TIME_LIMIT = 45  # seconds for the whole run (engine max-time); the test stays under a minute
ROOT = Path(__file__).resolve().parent.parent
# the run's bounds first (top-level TOML keys), then the project's settings (schemathesis.toml)
CONFIG = f"""
seed = {SEED}
max-time = {TIME_LIMIT}
continue-on-failure = true

[generation]
max-examples = 20
deterministic = true

[checks]
enabled = true

""" + (ROOT / "schemathesis.toml").read_text(encoding="utf-8")


def test_every_schemathesis_check_holds_on_the_whole_document(tmp_path):
    from service.workspace import db

    url = f"sqlite:///{tmp_path / 'uppfoljning.db'}"  # /v1/uppfoljning counts into a database
    db.upgrade(url)
    app = create_app(DEFAULT_PACK)
    app.state.uppf_database_url = url
    config = SchemathesisConfig.from_str(CONFIG)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    failures: list[str] = []
    errors: list[str] = []
    finished = None
    started = time.monotonic()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.status == Status.FAILURE:
            for check in event.recorder.checks.values():
                for node in check:
                    if node.failure_info is not None:
                        failures.append(f"{event.recorder.label}: {node.name}: {node.failure_info.failure.title}")
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            finished = event
    assert finished is not None
    assert time.monotonic() - started < TIME_LIMIT + 30
    assert errors == []
    assert sorted(set(failures)) == [], "\n".join(sorted(set(failures)))


# ----------------------------------------------------------------- the findings, one by one
def _client():
    from fastapi.testclient import TestClient

    return TestClient(create_app(DEFAULT_PACK))


def test_the_kommun_pattern_admits_only_what_the_pack_resolves():
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from engine.loader import load_pack
    from service.core.openapi import kommun_pattern

    pack = load_pack(DEFAULT_PACK)
    pattern = re.compile(kommun_pattern(pack))
    for k in pack.kommuner.values():
        for text in (k.code, k.name, k.name.upper(), k.name.lower() + " kommun", *k.aliases):
            assert pattern.fullmatch(text), text
    assert not pattern.fullmatch("Stockholm") and not pattern.fullmatch("0180")

    @settings(max_examples=300, derandomize=True, deadline=None)
    @given(st.from_regex(pattern, fullmatch=True))
    def every_match_resolves(text):
        assert pack.resolve_kommun(text) is not None, text

    every_match_resolves()


def test_the_document_states_what_the_server_checks():
    doc = _client().get("/openapi.json").json()
    family = doc["components"]["schemas"]["Family"]
    assert {"required": ["expecting"], "properties": {"expecting": {"const": True}}} in family["anyOf"]
    assert "pattern" in family["properties"]["kommun"]
    assert "skolk" in family["properties"]["needs"]["items"]["enum"]
    params = {p["name"]: p["schema"] for p in doc["paths"]["/hsds/services"]["get"]["parameters"]}
    assert params["format"]["enum"] == ["json", "ndjson"]
    assert {"format": "date-time"} in params["modified_after"]["anyOf"]
    assert "application/x-ndjson" in doc["paths"]["/hsds/services"]["get"]["responses"]["200"]["content"]
    assert "412" in doc["paths"]["/cds-services/{service_id}"]["post"]["responses"]
    fhir_auth = doc["components"]["schemas"]["FhirAuthorization"]
    assert fhir_auth["required"] == ["access_token"]


def test_what_the_document_allows_the_server_takes():
    c = _client()
    r = c.post("/cds-services", content=b"{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 405 and r.headers["allow"] == "GET"  # not 415: no POST lives there
    assert c.post("/v1/recommendations", json={"kommun": "1880", "age_months": 5.0}).status_code == 200
    assert c.post("/v1/recommendations", json={"kommun": "1880", "age_months": 5.5}).status_code == 422
    assert c.get("/hsds/services", params={"modified_after": "2024-01-01t00:00:00z"}).status_code == 200
    assert c.get("/hsds/services", params={"modified_after": "2016-12-31T23:59:60Z"}).status_code == 200
    body = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "context": {"kommun": "Nora", "age_months": 30, "date": 0}}
    r = c.post("/cds-services/foraldraskapsstod", json=body)  # 0 is not a date (it was 1970-01-01)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "context.date"


def test_the_uppfoljning_document_states_what_its_server_checks(tmp_path):
    import re
    import shutil

    from engine.loader import load_pack
    from service.core.openapi import kommun_pattern

    doc = _client().get("/openapi.json").json()
    family = doc["components"]["schemas"]["Family"]
    post = doc["paths"]["/v1/uppfoljning"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["kommun"]["pattern"] == family["properties"]["kommun"]["pattern"]
    assert body["anyOf"] == family["anyOf"]
    assert body["properties"]["needs"]["items"]["enum"] == family["properties"]["needs"]["items"]["enum"]
    assert body["properties"]["erbjudna"]["items"]["enum"] == sorted(load_pack(DEFAULT_PACK).insatser)
    assert "x-pack" not in str(doc)  # the marks are filled and gone
    date = re.compile(body["properties"]["date"]["anyOf"][0]["pattern"])
    assert date.search("2024-01-01") and date.search("2100-05-05") and not date.search("2023-12-31")
    params = {p["name"]: p["schema"] for p in doc["paths"]["/v1/uppfoljning"]["get"]["parameters"]}
    assert params["kommun"]["pattern"] == family["properties"]["kommun"]["pattern"]
    assert params["period"]["pattern"] == "^[0-9]{4}$"
    assert "422" in post["responses"] and "erbjudna" in post["description"]

    # another pack, another document: a kommun added to the pack is in the uppföljning's pattern
    pack = shutil.copytree(DEFAULT_PACK, tmp_path / "pack")
    from fastapi.testclient import TestClient

    other = load_pack(pack)
    doc2 = TestClient(create_app(pack)).get("/openapi.json").json()
    params2 = {p["name"]: p["schema"] for p in doc2["paths"]["/v1/uppfoljning"]["get"]["parameters"]}
    assert params2["kommun"]["pattern"] == kommun_pattern(other)


def test_what_the_uppfoljning_document_allows_its_server_takes(tmp_path):
    from fastapi.testclient import TestClient

    from service.workspace import db

    url = f"sqlite:///{tmp_path / 'u.db'}"
    db.upgrade(url)
    app = create_app(DEFAULT_PACK)
    app.state.uppf_database_url = url
    c = TestClient(app)
    r = c.options("/v1/uppfoljning")  # two routes at one path: the 405 names both
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    assert c.put("/v1/uppfoljning").headers["allow"] == "GET, POST"
    assert c.get("/v1/uppfoljning", params={"period": "2025", "kommun": "nora kommun"}).status_code == 200
    assert c.get("/v1/uppfoljning", params={"period": "٢٠٢٥"}).status_code == 422  # not [0-9]
    assert c.get("/v1/uppfoljning", params={"period": ""}).status_code == 422
    nora = {"kommun": "Nora", "age_months": 96, "needs": ["overvikt_fetma"]}
    assert c.post("/v1/uppfoljning", json={**nora, "erbjudna": None}).status_code == 422  # a list, as the schema says
    assert c.post("/v1/uppfoljning", json={**nora, "registrering": "abcdefg"}).status_code == 422  # 8–80
    assert c.post("/v1/uppfoljning", json={**nora, "registrering": "abcdefgh"}).status_code == 201
    # the two refusals of a schema-valid body, with the words the check above lets through
    r = c.post("/v1/uppfoljning", json={**nora, "erbjudna": ["familjeradgivning"]})
    assert r.status_code == 422 and r.json()["errors"][0]["en"] == "the insats was not recommended for this family"
    r = c.post("/v1/uppfoljning", json={**nora, "date": "2999-01-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["en"].startswith("the date lies in no follow-up period")
