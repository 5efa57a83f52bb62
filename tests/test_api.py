"""The /v1 HTTP API against the default Örebro län pack: answers, catalogues and every kind of
bad input (422/413 in Swedish first, naming the field, never echoing the input)."""
from __future__ import annotations

import datetime as dt
import json

import orjson
import pytest
from fastapi.testclient import TestClient

from engine import Engine, Family, decision_body
from engine.loader import DEFAULT_PACK
from service.app import create_app
from tests.http_support import PERSONNUMMER_SHAPES

CONTRACT_NEEDS = {
    "foraldrar_separerade_konflikt", "barn_som_anhorig", "overvikt_fetma", "relationsproblem_foraldrar",
    "konflikter_i_familjen", "nyanlanda_foraldrar", "foralder_kognitiva_svarigheter",
    "normbrytande_beteende", "psykisk_ohalsa_barn", "stort_stodbehov_foralder", "beviljat_bistand",
    "vald_eller_omsorgssvikt",
}
CONTRACT_INSATSER = {
    "mvc", "foraldragrupp-mvc-bvc", "bvc", "utokade-hembesok", "familjecentral", "abc", "abc-tonar",
    "familjebehandling-oppen", "familjeradgivning", "barn-som-anhoriga", "overvikt-fetma", "biff",
    "familjebehandling-beslut", "familjesamverkansteam", "foraldraskap-i-sverige",
    "stod-kognitiva-svarigheter",
}

FAMILIES = [
    {"kommun": "Nora", "age_months": 8, "needs": []},
    {"kommun": "Örebro", "age_months": 60, "needs": ["overvikt_fetma"]},
    {"kommun": "1883", "age_months": 150, "needs": ["normbrytande_beteende", "foraldrar_separerade_konflikt"]},
    {"kommun": "Laxå", "expecting": True},
    {"kommun": "Hällefors", "age_months": 200, "needs": ["psykisk_ohalsa_barn"]},
    {"kommun": "Lindesberg", "age_months": 0, "needs": ["vald_eller_omsorgssvikt", "barn_som_anhorig"]},
    {"kommun": "Kumla", "age_months": 216, "needs": ["beviljat_bistand"], "date": "2025-06-01"},
]


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(DEFAULT_PACK)) as c:
        yield c


@pytest.fixture(scope="module")
def reference():
    engine = Engine.load(DEFAULT_PACK, evaluator="reference")
    yield engine
    engine.close()


def post(client, body):
    return client.post("/v1/recommendations", content=orjson.dumps(body),
                        headers={"content-type": "application/json"})


# --------------------------------------------------------------------------- answers
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f["kommun"])
def test_answer_is_exactly_the_engine_decision_body(client, reference, family):
    r = post(client, family)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    expected = decision_body(reference.decide(Family.model_validate(family), dt.date.today()))
    assert r.json() == expected
    assert r.json()["ruleset"]["version"] == reference.version


def test_kommun_by_name_any_case_without_diacritics_or_code_gives_the_same_answer(client):
    bodies = [post(client, {"kommun": k, "age_months": 30}).json() for k in ("Örebro", "orebro", "ÖREBRO", "1880")]
    assert all(b == bodies[0] for b in bodies)


def test_safeguarding_notice_comes_first_and_critical(client):
    body = post(client, {"kommun": "Nora", "age_months": 40, "needs": ["vald_eller_omsorgssvikt"]}).json()
    assert body["notices"], "signs of violence must give a notice"
    assert body["notices"][0]["severity"] == "critical"
    assert body["level"] == "indikerad"


def test_selective_need_adds_to_universal_support(client):
    plain = post(client, {"kommun": "Nora", "age_months": 96}).json()
    more = post(client, {"kommun": "Nora", "age_months": 96, "needs": ["overvikt_fetma"]}).json()
    plain_ids = {r["insats_id"] for r in plain["recommendations"]}
    more_ids = {r["insats_id"] for r in more["recommendations"]}
    assert plain_ids < more_ids
    assert "overvikt-fetma" in more_ids
    assert more["level"] == "selektiv"
    assert len(more_ids) == len(more["recommendations"]), "each insats is listed once"


# --------------------------------------------------------------------------- bad input
def assert_swedish_error(r, status: int, field: str, *, forbidden: tuple[str, ...] = ()):
    assert r.status_code == status, r.text
    body = r.json()
    message = body["message"]
    sv, _, en = message.partition(" / ")
    assert sv.startswith("Fel i ") or sv[:1].isupper(), message
    assert en, "English follows the Swedish"
    assert field in sv, f"the Swedish message names {field}: {message}"
    assert body["errors"][0]["field"] == field
    assert "input" not in r.text
    for text in forbidden:
        assert text not in r.text, f"{text!r} echoed back"
    return body


BAD_BODIES = [
    ({"kommun": "Nora", "age_months": 5, "hemligt": "xyzzy"}, "hemligt", ("xyzzy",)),
    ({"kommun": "Nora", "age_months": 5, "needs": ["Hemlig Text!"]}, "needs", ("Hemlig",)),
    ({"kommun": "Mordor", "age_months": 5}, "kommun", ("Mordor",)),
    ({"kommun": "Nora", "age_months": -1}, "age_months", ()),
    ({"kommun": "Nora", "age_months": 217}, "age_months", ("217",)),
    ({"kommun": "Nora", "age_months": "12"}, "age_months", ('"12"',)),
    ({"kommun": "Nora", "age_months": 12.5}, "age_months", ("12.5",)),
    ({"kommun": "Nora", "age_months": True}, "age_months", ("true",)),
    ({"kommun": "Nora"}, "age_months", ()),
    ({"kommun": "Nora", "needs": []}, "age_months", ()),
    ({"age_months": 5}, "kommun", ()),
    ({"kommun": 1884, "age_months": 5}, "kommun", ("1884",)),
    ({"kommun": "Nora", "age_months": 5, "expecting": "ja"}, "expecting", ('"ja"',)),
    ({"kommun": "Nora", "age_months": 5, "needs": "overvikt_fetma"}, "needs", ()),
    ({"kommun": "Nora", "age_months": 5, "needs": [17]}, "needs[0]", ()),
    ({"kommun": "Nora", "age_months": 5, "date": "2024-13-45"}, "date", ("2024-13-45",)),
]


@pytest.mark.parametrize("body,field,forbidden", BAD_BODIES, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD_BODIES)])
def test_bad_input_is_422_in_swedish_naming_the_field(client, body, field, forbidden):
    assert_swedish_error(post(client, body), 422, field, forbidden=forbidden)


def test_unknown_need_suggests_a_known_code(client):
    r = post(client, {"kommun": "Nora", "age_months": 5, "needs": ["overvikt_fetm"]})
    body = assert_swedish_error(r, 422, "needs")
    assert "overvikt_fetma" in body["message"]


def _places(value):
    """The same suspected personnummer in every place a body can hide it."""
    return [
        ({"kommun": value, "age_months": 5}, "kommun"),
        ({"kommun": "Nora", "age_months": 5, "needs": ["overvikt_fetma", value]}, "needs[1]"),
        ({"kommun": "Nora", "age_months": 5, "patient": value}, "patient"),
        ({"kommun": "Nora", "age_months": 5, "extra": {"deep": [{"x": value}]}}, "extra.deep[0].x"),
        ({"kommun": "Nora", "age_months": 5, "date": value}, "date"),
        ({"kommun": "Nora", "age_months": value}, "age_months"),
    ]


@pytest.mark.parametrize("value", PERSONNUMMER_SHAPES, ids=str)
def test_personnummer_anywhere_is_refused_and_never_echoed(client, value):
    digits = str(value).split()[1] if " " in str(value) else str(value)
    tail = digits[-4:]
    for body, field in _places(value):
        r = post(client, body)
        assert_swedish_error(r, 422, field, forbidden=(digits, tail, digits.replace("-", "")))
        assert "personnummer" in r.json()["message"]


def test_personnummer_as_a_key_is_refused_without_naming_it(client):
    r = post(client, {"kommun": "Nora", "age_months": 5, "extra": {"19811218-9876": 1}})
    assert r.status_code == 422
    assert "9876" not in r.text and "811218" not in r.text
    assert r.json()["errors"][0]["field"] == "extra.…"


@pytest.mark.parametrize("open_,close", [(b"[", b"]"), (b'{"a":', b"}")])
def test_deeply_nested_bodies_are_refused_without_a_crash(client, open_, close):
    hidden = b'"811218-9876"' if open_ == b"[" else b"8112189876"
    raw = b'{"kommun": "Nora", "age_months": 1, "x": ' + open_ * 900 + hidden + close * 900 + b"}"
    r = client.post("/v1/recommendations", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "personnummer" in r.json()["message"] and "9876" not in r.text
    assert len(r.json()["errors"][0]["field"]) <= 120


def test_numbers_that_are_not_personnummer_pass_the_scan(client):
    # a plausible age and a kommunkod are not personnummer
    assert post(client, {"kommun": "1884", "age_months": 120}).status_code == 200


@pytest.mark.parametrize("raw", [b"{", b"", b"\xff\xfe{}", b'{"kommun": "Nora",}', b"null", b"[]", b'"Nora"'])
def test_invalid_json_is_422_in_swedish(client, raw):
    r = client.post("/v1/recommendations", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "indata"
    assert r.json()["message"].startswith("Fel i indata: ")


def test_oversized_body_is_413_before_parsing(client):
    big = b'{"kommun": "Nora", "age_months": 5, "x": "' + b"a" * 17000 + b'"}'
    r = client.post("/v1/recommendations", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["message"].startswith("För stor begäran")


def test_oversized_chunked_body_is_413(client):
    def chunks():
        for _ in range(20):
            yield b"a" * 1024

    r = client.post("/v1/recommendations", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_small_chunked_body_is_answered(client):
    def chunks():
        yield b'{"kommun": "Nora", '
        yield b'"age_months": 5}'

    r = client.post("/v1/recommendations", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 200
    assert r.json()["recommendations"]


def test_access_log_is_json_lines_without_bodies(client, capfd):
    capfd.readouterr()
    post(client, {"kommun": "Nora", "age_months": 5, "needs": ["overvikt_fetma"]})
    post(client, {"kommun": "Nora", "age_months": 5, "note": "811218-9876"})
    err = capfd.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("route") == "/v1/recommendations"]
    assert [r["status"] for r in requests] == [200, 422]
    for line in requests:
        assert set(line) == {"ts", "method", "route", "status", "ms"}
        assert line["method"] == "POST" and line["ms"] >= 0
    assert "811218" not in err and "overvikt_fetma" not in err and "Nora" not in err


# --------------------------------------------------------------------------- catalogues
def test_needs_lists_the_contract_codes_with_swedish_labels(client):
    body = client.get("/v1/needs").json()
    codes = {n["code"] for n in body["needs"]}
    assert CONTRACT_NEEDS <= codes
    assert all(n["label"] for n in body["needs"])


def test_insatser_lists_the_contract_ids_with_availability_per_kommun(client):
    body = client.get("/v1/insatser").json()
    ids = {i["id"] for i in body["insatser"]}
    assert CONTRACT_INSATSER <= ids
    for ins in body["insatser"]:
        assert ins["level"] in ("universell", "selektiv", "indikerad")
        assert len(ins["availability"]) == 12
        assert set(ins["availability"].values()) <= {"finns", "saknas", "okänd"}


def test_kommuner_are_the_twelve_in_orebro_lan(client):
    body = client.get("/v1/kommuner").json()
    assert {k["code"] for k in body["kommuner"]} == {
        "1814", "1860", "1861", "1862", "1863", "1864", "1880", "1881", "1882", "1883", "1884", "1885"}


def test_rules_carry_source_validity_status_and_location(client, reference):
    body = client.get("/v1/rules").json()
    assert len(body["rules"]) == len(reference.pack.rules)
    for rule in body["rules"]:
        assert rule["source"]["document"] and rule["source"]["section"]
        assert rule["status"] in ("källa", "antagande")
        assert isinstance(rule["valid_today"], bool)
        assert "valid_from" in rule and "valid_to" in rule
        assert rule["file"].startswith("regler/") and rule["line"] >= 1


def test_healthz_names_the_ruleset(client, reference):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["ruleset"]["name"] == reference.pack.name
    assert body["ruleset"]["version"] == reference.version


def test_openapi_documents_every_endpoint_in_swedish(client):
    schema = client.get("/openapi.json").json()
    for path in ("/v1/recommendations", "/v1/needs", "/v1/insatser", "/v1/kommuner", "/v1/rules",
                 "/healthz", "/cds-services", "/cds-services/{service_id}", "/hsds/services",
                 "/hsds/services/{service_id}"):
        assert path in schema["paths"], path
    post_op = schema["paths"]["/v1/recommendations"]["post"]
    assert "personnummer" in post_op["description"]
    body = post_op["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/Family"}
    assert body["examples"]
    assert "Family" in schema["components"]["schemas"]
    assert {"200", "413", "422"} <= set(post_op["responses"])
    assert "/v1/admin/reload" not in schema["paths"], "hidden while no admin token is set"
    assert client.get("/docs").status_code == 200


def test_unknown_path_and_method_answer_in_swedish(client):
    r = client.get("/v1/finns-inte")
    assert r.status_code == 404 and r.json()["message"].startswith("Finns inte")
    r = client.get("/v1/recommendations")
    assert r.status_code == 405 and r.json()["message"].startswith("Metoden stöds inte")
