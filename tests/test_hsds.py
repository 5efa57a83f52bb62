"""Open Referral HSDS 3 view of the insats catalogue."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from engine.loader import DEFAULT_PACK
from service.app import create_app


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(DEFAULT_PACK)) as c:
        yield c


@pytest.fixture(scope="module")
def insatser(client):
    return {i["id"]: i for i in client.get("/v1/insatser").json()["insatser"]}


PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


def test_first_page_has_the_hsds_page_shape(client, insatser):
    page = client.get("/hsds/services").json()
    assert set(page) == PAGE_KEYS
    assert page["total_items"] == len(insatser)
    assert page["page_number"] == 1 and page["first_page"] and not page["empty"]


def test_paging_through_gives_every_insats_once(client, insatser):
    seen, number = [], 1
    while True:
        page = client.get("/hsds/services", params={"page": number, "per_page": 5}).json()
        assert page["page_number"] == number
        assert page["size"] == len(page["contents"]) <= 5
        assert page["first_page"] == (number == 1)
        seen += [s["id"] for s in page["contents"]]
        if page["last_page"]:
            break
        number += 1
    assert number == page["total_pages"] == -(-len(insatser) // 5)
    assert sorted(seen) == sorted(insatser)
    beyond = client.get("/hsds/services", params={"page": number + 1, "per_page": 5}).json()
    assert beyond["empty"] and beyond["contents"] == [] and beyond["last_page"]


def test_service_record_matches_the_catalogue(client, insatser):
    kommuner = {k["code"]: k["name"] for k in client.get("/v1/kommuner").json()["kommuner"]}
    for ins_id, ins in insatser.items():
        s = client.get(f"/hsds/services/{ins_id}").json()
        assert s["id"] == ins_id and s["name"] == ins["name"] and s["status"] == "active"
        if ins["age_months"]:
            assert s["minimum_age"] == pytest.approx(ins["age_months"]["min"] / 12, abs=0.01)
            assert s["maximum_age"] == pytest.approx(ins["age_months"]["max"] / 12, abs=0.01)
        assert s["eligibility_description"]
        expected = sorted(kommuner[c] for c, st in ins["availability"].items() if st == "finns")
        assert sorted(a["name"] for a in s["service_areas"]) == expected
        assert set(s["organization"]) == {"id", "name", "description"}


def test_expecting_only_service_says_so(client, insatser):
    s = client.get("/hsds/services/mvc").json()
    assert "blivande föräldrar" in s["eligibility_description"]


def test_unknown_service_is_404_in_swedish(client):
    r = client.get("/hsds/services/finns-inte")
    assert r.status_code == 404
    assert r.json()["message"].startswith("Fel i id: okänd tjänst")


@pytest.mark.parametrize("params,field", [({"page": 0}, "page"), ({"per_page": "många"}, "per_page"),
                                          ({"per_page": 10_000}, "per_page")])
def test_bad_paging_is_422_in_swedish(client, params, field):
    r = client.get("/hsds/services", params=params)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field
    assert "många" not in r.text
