"""Open Referral HSDS 3.0.1 view of the insats catalogue, validated against the official schemas
(tests/vendor/hsds, jsonschema_rs with format checking: uuid, date-time, uri, email)."""
from __future__ import annotations

import datetime as dt
import shutil
import uuid

import pytest
from fastapi.testclient import TestClient

from engine.loader import DEFAULT_PACK, PackInvalid, load_pack
from service.app import create_app

from tests.hsds_schemas import errors

PUBLIC = "https://stod.example.se"


@pytest.fixture(scope="module")
def client():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORALDRASTOD_PUBLIC_URL", PUBLIC)
        with TestClient(create_app(DEFAULT_PACK)) as c:
            yield c


@pytest.fixture(scope="module")
def insatser(client):
    return {i["id"]: i for i in client.get("/v1/insatser").json()["insatser"]}


@pytest.fixture(scope="module")
def all_services(client):
    out, number = [], 1
    while True:
        page = client.get("/hsds/services", params={"page": number, "per_page": 7}).json()
        out += page["contents"]
        if page["last_page"]:
            return out
        number += 1


PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


def assert_no_null(value, where="") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            assert v is not None, f"{where}/{k} is null"
            assert_no_null(v, f"{where}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            assert_no_null(v, f"{where}/{i}")


# ------------------------------------------------------------------ the official schemas
def test_every_page_and_service_validates_against_the_official_schemas(client, all_services, insatser):
    number = 1
    while True:
        page = client.get("/hsds/services", params={"page": number, "per_page": 5}).json()
        assert errors("page", page) == []
        for item in page["contents"]:
            assert errors("service_list", item) == [], item["name"]
            assert errors("service", item) == [], item["name"]
        if page["last_page"]:
            break
        number += 1
    assert len(all_services) == len(insatser)
    for summary in all_services:
        full = client.get(f"/hsds/services/{summary['id']}").json()
        assert errors("service", full) == [], full["name"]
        assert_no_null(full)


def test_the_validator_really_checks_formats():
    """The check above can fail: the old records (slug ids, null ages) do not validate."""
    old = {"id": "bvc", "name": "BVC", "status": "active", "minimum_age": None,
           "organization": {"id": "org-region", "name": "Region", "description": "x"},
           "service_areas": [{"id": "kommun-1884", "name": "Nora"}], "last_modified": "igår"}
    found = "\n".join(errors("service", old))
    for text in ('"bvc" is not a "uuid"', "null is not of type", '"org-region" is not a "uuid"',
                 '"kommun-1884" is not a "uuid"', 'is not a "date-time"'):
        assert text in found


def test_organizations_validate_against_the_official_schemas(client):
    page = client.get("/hsds/organizations").json()
    assert errors("page", page) == [] and page["total_items"] == 4
    for org in page["contents"]:
        assert errors("organization_list", org) == []
        full = client.get(f"/hsds/organizations/{org['id']}").json()
        assert errors("organization", full) == [], full["name"]
        assert full["services"] and all(s["organization_id"] == org["id"] for s in full["services"])
    with_services = client.get("/hsds/organizations", params={"full_service": "true"}).json()
    for org in with_services["contents"]:
        assert errors("organization", org) == []


def test_base_endpoint_answers_version_profile_and_openapi(client):
    r = client.get("/hsds/")
    assert r.status_code == 200
    body = r.json()
    assert body == {"version": "3.0.1", "profile": f"{PUBLIC}/hsds/profile", "openapi_url": f"{PUBLIC}/openapi.json"}
    assert errors("api_info", body) == []
    profile = client.get("/hsds/profile")
    assert profile.status_code == 200 and "text/html" in profile.headers["content-type"]
    assert "barnets" in profile.text and "the <em>child's</em> age" in profile.text
    assert client.get("/openapi.json").status_code == 200


# ------------------------------------------------------------------ ids and values
def test_ids_are_uuids_stable_across_restarts_and_unique(client, all_services):
    with TestClient(create_app(DEFAULT_PACK)) as other:
        again = other.get("/hsds/services", params={"per_page": 500}).json()["contents"]
    assert [s["id"] for s in again] == [s["id"] for s in all_services]
    assert [[a["id"] for a in s["service_areas"]] for s in again] == \
        [[a["id"] for a in s["service_areas"]] for s in all_services]
    ids = [s["id"] for s in all_services]
    area_ids = [a["id"] for s in all_services for a in s["service_areas"]]
    assert len(set(ids)) == len(ids) and len(set(area_ids)) == len(area_ids)
    for value in ids + area_ids:
        assert uuid.UUID(value).version == 5
    for s in all_services:
        assert all(a["service_id"] == s["id"] for a in s["service_areas"])


def test_records_match_the_catalogue(client, insatser, all_services):
    kommuner = {k["code"]: k["name"] for k in client.get("/v1/kommuner").json()["kommuner"]}
    by_name = {s["name"]: s for s in all_services}
    for ins_id, ins in insatser.items():
        s = by_name[ins["name"]]
        assert client.get(f"/hsds/services/{ins_id}").json() == s  # the insats id still finds it
        if ins["age_months"]:
            assert s["minimum_age"] == pytest.approx(ins["age_months"]["min"] / 12, abs=0.01)
            assert s["maximum_age"] == pytest.approx(ins["age_months"]["max"] / 12, abs=0.01)
            assert "barnets ålder" in s["eligibility_description"]
        else:
            assert "minimum_age" not in s and "maximum_age" not in s
        expected = sorted(kommuner[c] for c, st in ins["availability"].items() if st == "finns")
        assert sorted(a["name"] for a in s["service_areas"]) == expected
        assert s["organization_id"] == s["organization"]["id"]
        dt.datetime.fromisoformat(s["last_modified"].replace("Z", "+00:00"))


def test_expecting_only_service_has_no_ages(client):
    s = client.get("/hsds/services/mvc").json()
    assert "blivande föräldrar" in s["eligibility_description"]
    assert "minimum_age" not in s and "maximum_age" not in s


def test_organisations_come_from_the_pack_catalogue(client, all_services):
    pack = load_pack(DEFAULT_PACK)
    names = {o["name"] for o in client.get("/hsds/organizations").json()["contents"]}
    assert names == {o.name for o in pack.organisations.values()}
    by_name = {s["name"]: s for s in all_services}
    assert by_name[pack.insatser["bvc"].name]["organization"]["name"] == "Region Örebro län"
    assert by_name[pack.insatser["komet"].name]["organization"]["name"] == "Kommunerna i Örebro län"


def test_a_typo_in_the_organisation_catalogue_is_a_pack_error(tmp_path):
    pack = shutil.copytree(DEFAULT_PACK, tmp_path / "p")
    path = pack / "organisationer.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("[mvc, bvc,", "[mvc, bvcc,"), encoding="utf-8")
    with pytest.raises(PackInvalid) as exc:
        load_pack(pack)
    text = str(exc.value)
    assert "organisationer.yaml:" in text and "okänd insats 'bvcc'" in text


# ------------------------------------------------------------------ filters
def _ids(client, **params) -> set[str]:
    page = client.get("/hsds/services", params={"per_page": 500, **params})
    assert page.status_code == 200, page.text
    assert errors("page", page.json()) == []
    return {s["id"] for s in page.json()["contents"]}


def test_search_is_case_and_accent_insensitive(client, all_services):
    found = _ids(client, search="FAMILJERADGIVNING")
    assert found == {s["id"] for s in all_services if "Familjerådgivning" in s["name"]} and found
    assert _ids(client, search="abc nora") <= _ids(client, search="abc")
    assert _ids(client, search="inget sådant ord finns") == set()


def test_organization_filter(client, all_services):
    region = next(o for o in client.get("/hsds/organizations").json()["contents"] if o["name"] == "Region Örebro län")
    found = _ids(client, organization_id=region["id"])
    assert found == {s["id"] for s in all_services if s.get("organization_id") == region["id"]}
    assert 0 < len(found) < len(all_services)


def test_modified_after(client, all_services):
    stamp = all_services[0]["last_modified"]
    assert len(_ids(client, modified_after=stamp)) == len(all_services)
    assert _ids(client, modified_after="2000-01-01") == {s["id"] for s in all_services}
    assert _ids(client, modified_after="2999-01-01T00:00:00Z") == set()
    r = client.get("/hsds/services", params={"modified_after": "igår"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "modified_after"


def test_filters_are_cumulative(client):
    region = next(o for o in client.get("/hsds/organizations").json()["contents"] if o["name"] == "Region Örebro län")
    word = "barn"
    both = _ids(client, organization_id=region["id"], search=word)
    assert both == _ids(client, organization_id=region["id"]) & _ids(client, search=word)
    assert both and both != _ids(client, search=word)


def test_full_false_and_ndjson(client, all_services):
    slim = client.get("/hsds/services", params={"full": "false", "per_page": 3}).json()["contents"]
    assert all("service_areas" not in s and "organization" not in s and "organization_id" in s for s in slim)
    assert all(errors("service_list", s) == [] for s in slim)
    r = client.get("/hsds/services", params={"format": "ndjson"})
    lines = r.text.splitlines()
    assert r.headers["content-type"].startswith("application/x-ndjson") and len(lines) == len(all_services)
    assert client.get("/hsds/services", params={"format": "xml"}).status_code == 400


@pytest.mark.parametrize("param", ["taxonomy_id", "taxonomy_term_id", "minimal", "postcode", "sortera"])
def test_unsupported_filters_are_400_never_ignored(client, param):
    r = client.get("/hsds/services", params={param: "1"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == param
    assert r.json()["message"].startswith(f"Fel i {param}: ")


def test_paging_through_gives_every_insats_once(client, insatser):
    seen, number = [], 1
    while True:
        page = client.get("/hsds/services", params={"page": number, "per_page": 5}).json()
        assert set(page) == PAGE_KEYS
        assert page["page_number"] == number
        assert page["size"] == len(page["contents"]) <= 5
        assert page["first_page"] == (number == 1)
        seen += [s["id"] for s in page["contents"]]
        if page["last_page"]:
            break
        number += 1
    assert number == page["total_pages"] == -(-len(insatser) // 5)
    assert len(set(seen)) == len(insatser)
    beyond = client.get("/hsds/services", params={"page": number + 1, "per_page": 5}).json()
    assert beyond["empty"] and beyond["contents"] == [] and beyond["last_page"]


def test_unknown_service_is_404_in_swedish(client):
    r = client.get("/hsds/services/finns-inte")
    assert r.status_code == 404
    assert r.json()["message"].startswith("Fel i id: okänd tjänst")
    assert client.get(f"/hsds/organizations/{uuid.uuid4()}").status_code == 404


@pytest.mark.parametrize("params,field", [({"page": 0}, "page"), ({"per_page": "många"}, "per_page"),
                                          ({"per_page": 10_000}, "per_page")])
def test_bad_paging_is_422_in_swedish(client, params, field):
    r = client.get("/hsds/services", params=params)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field
    assert "många" not in r.text


def test_without_public_url_links_are_relative(monkeypatch):
    monkeypatch.delenv("FORALDRASTOD_PUBLIC_URL", raising=False)
    with TestClient(create_app(DEFAULT_PACK)) as c:
        body = c.get("/hsds/", headers={"host": "evil.example"}).json()
    assert body["profile"] == "/hsds/profile" and "evil" not in str(body)
