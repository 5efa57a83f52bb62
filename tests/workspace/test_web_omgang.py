"""/redaktion's follow-up round and Antaganden pages through HTTP (TestClient on the real app and
a real SQLite database): a granskare opens the round, the samordnare answers beside each passage
and submits, another granskare approves; roles, CSRF and Origin on every form; bad answers 422."""
from __future__ import annotations

import datetime as dt
import html
import re
import shutil

import pytest

from service.app import create_app
from service.workspace import db, store

from .web_support import PASSWORD, USERS, client_for, csrf_of, form, messages, post_form

YEAR = dt.date.today().year
CLOSES = dt.date(YEAR, 12, 31).isoformat()
ANSWERS = {"svar-samverkansgrupp": "ja", "svar-samverkansgrupp_parter": "förskola, skola och socialtjänst",
           "svar-strategisk_funktion": "delvis", "svar-familjecentraler": "1",
           "svar-malgrupper_som_nas": "föräldrar med barn 0–6 år", "svar-na_foraldrar_som_inte_nas": "nej",
           "svar-validerade_indikatorer": "nej", "svar-kommunens_arbete": "Samverkansgruppen träffas varje månad."}


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("omgang") / "mall.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    with db.session_scope(url) as s:
        store.ensure_seeded(s)
        for name, role, kommun in USERS:
            store.add_user(s, name, role, PASSWORD, kommun=kommun)
    for key, engine in list(db._engines.items()):
        if key[1] == url:
            engine.dispose()
            db._engines.pop(key, None)
    return path


@pytest.fixture
def app(seeded_db, tmp_path, monkeypatch):
    target = tmp_path / "ws.db"
    shutil.copyfile(seeded_db, target)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    monkeypatch.setenv("FORALDRASTOD_JOBS_DIR", str(tmp_path / "jobb"))
    monkeypatch.delenv("FORALDRASTOD_PUBLIC_URL", raising=False)
    monkeypatch.delenv("FORALDRASTOD_RULES", raising=False)
    yield create_app()


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def open_round(greta) -> None:
    r = post_form(greta, "/redaktion/uppfoljning", "/redaktion/uppfoljning",
                  {"period": str(YEAR), "closes_on": CLOSES})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/redaktion/uppfoljning/{YEAR}?klart=")


def test_a_round_from_opening_to_approval(app):
    greta, gustav, nora = (client_for(app, n) for n in ("greta", "gustav", "nora"))
    assert "Uppföljning" in greta.get("/redaktion").text and "Antaganden" in greta.get("/redaktion").text
    page = greta.get("/redaktion/uppfoljning")
    assert "Ingen uppföljningsomgång är öppnad ännu" in text_of(page.text)
    open_round(greta)
    page = text_of(greta.get(f"/redaktion/uppfoljning/{YEAR}").text)
    assert f"Uppföljning {YEAR}" in page and f"Sista dag för kommunernas svar: {CLOSES}" in page
    assert "0 godkända, 0 inskickade, 0 påbörjade, 12 ej påbörjade av 12 kommuner" in page

    # the samordnare lands on their kommun's page: each question beside its passage
    r = nora.get("/redaktion/uppfoljning", follow_redirects=False)
    assert r.headers["location"] == f"/redaktion/uppfoljning/{YEAR}/1884"
    page = nora.get(f"/redaktion/uppfoljning/{YEAR}/1884").text
    block = page[page.index('id="fraga-samverkansgrupp"'):page.index('id="fraga-samverkansgrupp_parter"')]
    assert "finnas lednings- eller samverkansgrupper där arbetet med föräldraskapsstöd hanteras i alla länets kommuner" in block
    assert "Målområde 3 – En stödjande organisation" in block
    assert "Bekräfta utbudet i kartläggningen" in page and 'href="/redaktion/kartlaggning/1884"' in page
    # another kommun's page is not theirs
    assert nora.get(f"/redaktion/uppfoljning/{YEAR}/1880").status_code == 403

    # a personnummer is refused (422) and nothing is saved
    r = post_form(nora, f"/redaktion/uppfoljning/{YEAR}/1884", f"/uppfoljning/{YEAR}/1884",
                  {**ANSWERS, "svar-kommunens_arbete": "Familjen 19811218-9876"})
    assert r.status_code == 422 and "personnummer" in text_of(r.text) and "19811218" not in r.text
    # submitting with questions left: the answers given are saved, the submission waits
    r = post_form(nora, f"/redaktion/uppfoljning/{YEAR}/1884", f"/uppfoljning/{YEAR}/1884",
                  {"svar-samverkansgrupp": "ja", "atgard": "skicka-in"})
    assert r.status_code == 422 and "7 kvar" in text_of(r.text)
    assert "påbörjad" in text_of(greta.get(f"/redaktion/uppfoljning/{YEAR}").text)
    r = post_form(nora, f"/redaktion/uppfoljning/{YEAR}/1884", f"/uppfoljning/{YEAR}/1884",
                  {**ANSWERS, "atgard": "skicka-in"})
    assert r.status_code == 303, text_of(r.text)[:500]
    page = nora.get(r.headers["location"]).text
    assert "Svaren är inskickade" in " ".join(messages(page)) and "skicka-in-svar" not in page

    # the granskare approves; the status shows godkänd with a time
    page = greta.get(f"/redaktion/uppfoljning/{YEAR}/1884").text
    assert "Godkänn Noras svar" in page
    r = post_form(greta, f"/redaktion/uppfoljning/{YEAR}/1884", "/godkann", page=page)
    assert r.status_code == 303
    row = greta.get(f"/redaktion/uppfoljning/{YEAR}").text
    row = text_of(row[row.index('id="kommun-1884"'):].split("</tr>")[0])
    assert re.search(r"Nora godkänd .* \d{4}-\d\d-\d\d \d\d:\d\d av greta", row), row
    assert "8 av 8" in row


def test_roles_csrf_and_origin_on_the_round_forms(app):
    greta, nora, rut = (client_for(app, n) for n in ("greta", "nora", "rut"))
    # a redaktör and a samordnare may not open a round
    for c in (rut, nora):
        r = c.post("/redaktion/uppfoljning", data={"csrf": csrf_of(c.get("/redaktion").text), "period": str(YEAR),
                                                    "closes_on": CLOSES}, follow_redirects=False)
        assert r.status_code == 403
    page = greta.get("/redaktion/uppfoljning").text
    values = {k: v for k, v in form(page, "/redaktion/uppfoljning")["values"].items()}
    r = greta.post("/redaktion/uppfoljning", data={**values, "csrf": "fel"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = greta.post("/redaktion/uppfoljning", data=values, headers={"Origin": "https://annan.example"},
                   follow_redirects=False)
    assert r.status_code == 403 and "annan webbplats" in r.text
    r = post_form(greta, "/redaktion/uppfoljning", "/redaktion/uppfoljning", {"closes_on": "31 maj"})
    assert r.status_code == 422 and "ÅÅÅÅ-MM-DD" in text_of(r.text)
    open_round(greta)
    # a samordnare cannot approve, a granskare cannot answer
    r = nora.post(f"/redaktion/uppfoljning/{YEAR}/1884/godkann",
                  data={"csrf": csrf_of(nora.get("/redaktion").text)}, follow_redirects=False)
    assert r.status_code == 403
    r = greta.post(f"/redaktion/uppfoljning/{YEAR}/1884", data={"csrf": csrf_of(greta.get("/redaktion").text),
                                                                 **ANSWERS}, follow_redirects=False)
    assert r.status_code == 403


def test_the_antaganden_page_lists_every_assumption_and_opens_one_in_a_draft(app):
    from engine import DEFAULT_PACK, load_pack
    from engine.assumptions import assumption_rules

    rut = client_for(app, "rut")
    expected = assumption_rules(load_pack(DEFAULT_PACK))
    page = rut.get("/redaktion/antaganden").text
    assert page.count('<tr id="regel-') == len(expected) >= 3
    first = expected[0]
    assert first.rule_id in page and html.escape(first.reason, quote=False)[:40] in page
    r = post_form(rut, "/redaktion/antaganden", "/redaktion/antaganden/oppna", page=page)  # the first form
    assert r.status_code == 303
    assert re.fullmatch(rf"/redaktion/utkast/\d+/regel\?sokvag={re.escape(first.file)}&nr={first.index}",
                        r.headers["location"]), r.headers["location"]
    rule_form = rut.get(r.headers["location"])
    assert rule_form.status_code == 200 and first.rule_id in rule_form.text
    assert client_for(app, "nora").get("/redaktion/antaganden").status_code == 403


def test_the_questions_are_edited_in_the_text_editor_like_every_pack_file(app):
    rut = client_for(app, "rut")
    r = post_form(rut, "/redaktion", "/redaktion/utkast", {"anledning": "Frågorna ses över"})
    assert r.status_code == 303, text_of(r.text)[:400]
    draft_url = r.headers["location"].split("?")[0]
    page = rut.get(draft_url).text
    assert "uppfoljning.yaml" in page
    editor = rut.get(f"{draft_url}/text?sokvag=uppfoljning.yaml").text
    f = form(editor, "/text?sokvag=uppfoljning.yaml")
    text = f["values"]["text"][0]
    assert "id: samverkansgrupp" in text
    broken = text.replace("malomrade: 2", "malomrade: 7", 1)
    r = rut.post(html.unescape(f["action"]), data={**f["values"], "text": broken}, follow_redirects=False)
    assert r.status_code == 422 and re.search(r"uppfoljning\.yaml:\d+: questions, värde \d+\.malomrade: får vara högst 3",
                                              text_of(r.text)), text_of(r.text)[:600]
    r = rut.post(html.unescape(f["action"]), data={**f["values"], "text": text.replace(
        "Hur många familjecentraler finns i kommunen?", "Hur många familjecentraler har kommunen?")}, follow_redirects=False)
    assert r.status_code == 303
    assert "Hur många familjecentraler har kommunen?" in rut.get(f"{draft_url}/text?sokvag=uppfoljning.yaml").text
