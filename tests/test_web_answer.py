"""The answer on the staff page without a browser: POST / (no JavaScript), the fragment app.js
fetches, the renderer (triggered_by, availability basis, print view) and /docs offline."""
from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from engine import load_pack
from service.pages import answer
from service.app import create_app

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def names_in_order(text: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'class="insats-namn">([^<]*)<', text)]


def levels_in_order(text: str) -> list[str]:
    return re.findall(r'<section class="niva niva-(\w+)"', text)


def api_names(client, body: dict) -> list[str]:
    recs = client.post("/v1/recommendations", json=body).json()["recommendations"]
    # per level: what the strategy states first, then what rests on the region's own judgement
    return [r["name"] for level in ("indikerad", "selektiv", "universell") for basis in ("källa", "antagande")
            for r in recs if r["level"] == level and r["rule_basis"] == basis]


def test_post_without_javascript_gives_the_same_answer_as_the_api(client):
    r = client.post("/", content="kommun=1884&alder_ar=0&alder_man=8&needs=overvikt_fetma", headers=FORM)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert levels_in_order(r.text) == ["selektiv", "universell"]
    part = r.text[r.text.index('id="resultat"'):]
    assert names_in_order(part)[: len(api_names(client, {"kommun": "1884", "age_months": 8,
                                                          "needs": ["overvikt_fetma"]}))] == \
        api_names(client, {"kommun": "1884", "age_months": 8, "needs": ["overvikt_fetma"]})
    # the form keeps what was entered
    assert '<option value="1884" selected>Nora</option>' in r.text
    assert 'value="overvikt_fetma" checked' in r.text
    assert 'id="alder-man" name="alder_man" type="number"' in r.text and 'value="8"' in r.text


def test_fragment_is_the_answer_only(client):
    r = client.post("/", content="kommun=Nora&vantar=on", headers={**FORM, "X-Svar": "fragment"})
    assert r.status_code == 200
    assert r.text.startswith('<h2 id="svar-rubrik"') and "<html" not in r.text
    assert names_in_order(r.text) == api_names(client, {"kommun": "Nora", "expecting": True})


def test_critical_notice_first_under_the_heading(client):
    r = client.post("/", content="kommun=1884&alder_ar=4&needs=vald_eller_omsorgssvikt",
                    headers={**FORM, "X-Svar": "fragment"})
    text = r.text
    alert = text.index('role="alert"')
    assert text.index('id="svar-rubrik"') < alert < text.index('class="niva ')
    assert levels_in_order(text)[0] == "indikerad"


@pytest.mark.parametrize("body, box, text", [
    ("kommun=&alder_ar=3", "fel-kommun", "Välj en kommun."),
    ("kommun=1884&alder_ar=", "fel-alder", "Ange barnets ålder i år och månader, eller kryssa i att familjen väntar barn."),
    ("kommun=1884&alder_ar=18&alder_man=5", "fel-alder", "Stödet gäller barn upp till 18 år."),
    ("kommun=1884&alder_ar=tre", "fel-alder", "Åldern ska vara 0–18 år och 0–11 månader, i hela tal."),
    ("kommun=Atlantis&alder_ar=3", "fel-kommun", "okänd kommun"),
    ("kommun=1884&alder_ar=3&needs=overvikt", "fel-behov", "okänd behovskod 'overvikt' – menade du 'overvikt_fetma'?"),
])
def test_errors_without_javascript_are_shown_at_the_field(client, body, box, text):
    r = client.post("/", content=body, headers=FORM)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    shown = re.search(rf'<p id="{box}" class="fel">([^<]*)</p>', r.text)
    assert shown and text in html.unescape(shown.group(1)), r.text[:200]
    assert re.search(r'<p id="fel-formular" class="fel">Rätta uppgifterna nedan', r.text)
    assert 'id="svar-rubrik"' not in r.text


def test_errors_for_javascript_are_the_api_shape(client):
    r = client.post("/", content="kommun=Atlantis&alder_ar=3", headers={**FORM, "X-Svar": "fragment"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "kommun"
    assert r.json()["errors"][0]["sv"].startswith("okänd kommun")


def test_personnummer_in_the_form_is_refused_and_never_echoed(client):
    r = client.post("/", content="kommun=19121212-1212&alder_ar=3", headers=FORM)
    assert r.status_code == 422
    assert "19121212" not in r.text and "1212-1212" not in r.text


def test_form_data_never_in_logs_or_url(client, capsys):
    client.post("/", content="kommun=1884&alder_ar=0&alder_man=8&needs=overvikt_fetma", headers=FORM)
    logged = capsys.readouterr()
    assert "overvikt_fetma" not in logged.out + logged.err
    assert "1884" not in (logged.out + logged.err).replace('"path":"/"', "")


FAKE = {
    "level": "selektiv",
    "recommendations": [
        {"insats_id": "bvc", "name": "BVC", "level": "universell", "rule_id": "r1", "rationale": "Alla barn.",
         "source": {"document": "d", "section": "4"}, "availability": "finns", "status": "källa",
         "availability_basis": "källa", "availability_verified": None, "triggered_by": [],
         "availability_source": {"document": "d", "title": "Presentationen 2022"}},
        {"insats_id": "overvikt-fetma", "name": "Stöd vid övervikt", "level": "selektiv", "rule_id": "r2",
         "rationale": "Barn med övervikt.", "source": {"document": "d", "section": "4"},
         "availability": "finns", "status": "antagande", "contact": "Ring BVC",
         "availability_basis": "antagande", "availability_reason": "presentationen 2022 nämner länsdelen",
         "availability_verified": "2026-11-24", "triggered_by": ["overvikt_fetma"]},
    ],
    "notices": [{"severity": "info", "text": "Info."}, {"severity": "critical", "text": "Anmäl."}],
    "ruleset": {"name": "orebro-lan", "version": "1"},
}


def test_renderer_names_the_triggering_need_and_the_availability_basis():
    pack = load_pack()
    out = answer.render_answer(FAKE, pack, "Nora")
    card = out[out.index('data-insats="overvikt-fetma"'):]
    card = card[: card.index("</li>")]
    assert f"<strong>Utifrån behovet:</strong> {pack.needs['overvikt_fetma'].label}" in card
    assert ("Antas finnas – inte bekräftat</span> <span class=\"grund\">(antagande: presentationen 2022 nämner länsdelen; "
            "kontrollerat 24 november 2026)</span>") in card
    universal = out[out.index('data-insats="bvc"'):]
    assert "Utifrån" not in universal[: universal.index("</li>")]
    assert "(enligt Presentationen 2022)" in universal
    # critical first, whatever order the body had
    assert out.index("Anmäl.") < out.index("Info.")
    assert levels_in_order(out) == ["selektiv", "universell"]


def test_print_view_has_no_need_codes_labels_or_rule_ids():
    pack = load_pack()
    view = answer.render_for_parent(FAKE, "Nora")
    assert "Stöd som ni kan få i Nora" in view and "Ring BVC" in view
    for need in pack.needs.values():
        assert need.code not in view and need.label not in view
    assert "r1" not in view and "r2" not in view and "selektiv" not in view


@pytest.mark.parametrize("value, text", [("2026-11-24", "24 november 2026"), ("2024-01-01T10:00:00+00:00", "1 januari 2024")])
def test_dates_as_people_write_them(value, text):
    assert answer.swedish_date(value) == text


def test_docs_assets_come_from_the_service(client):
    for path, needle in (("/docs", "/static/docs/swagger-ui-bundle.js"), ("/redoc", "/static/docs/redoc.standalone.js")):
        r = client.get(path)
        assert r.status_code == 200 and needle in r.text
        assert "cdn" not in r.text.lower() and "http://" not in r.text and "https://" not in r.text
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-security-policy"].startswith("default-src 'self'")
        assert "script-src" not in r.headers["content-security-policy"]  # scripts: 'self' only
        assert client.get(needle).status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "Beslutsstöd för föräldraskapsstöd"
    assert client.get("/static/docs/app.js").status_code == 404  # only the three bundle files
    bundle = client.get("/static/docs/redoc.standalone.js").text
    assert "Redoc" in bundle and "cdn.redoc.ly" not in bundle  # its footer logo is not fetched
