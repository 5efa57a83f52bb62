"""/redaktion through HTTP (TestClient on the real app and a real database): login, cookie flags,
CSRF, throttling, roles on every route, drafts in forms and as text, conflicts, Kontrollera,
four-eyes approval, versions and rollback, and the samordnare's kartläggning."""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import shutil
import time

import pytest
import yaml

from service.app import create_app
from service.workspace import db, store

from .web_support import (PASSWORD, USERS, client_for, csrf_of, field_errors, form, login, messages,
                          post_form)

ABC_FILE = "regler/03-universella-program.yaml"


def _setup(url: str) -> None:
    db.upgrade(url)
    with db.session_scope(url) as s:
        store.ensure_seeded(s)
        for name, role, kommun in USERS:
            store.add_user(s, name, role, PASSWORD, kommun=kommun)


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory):
    """One seeded SQLite file with the users; each test gets a copy (argon2 and seeding once)."""
    path = tmp_path_factory.mktemp("redaktion") / "mall.db"
    url = f"sqlite:///{path}"
    _setup(url)
    _dispose(url)
    return path


def _dispose(url: str) -> None:
    for key, engine in list(db._engines.items()):
        if key[1] == url:
            engine.dispose()
            db._engines.pop(key, None)


@pytest.fixture
def app(seeded_db, tmp_path, monkeypatch):
    """The whole service on an SQLite database of its own (PostgreSQL: test_flow_on_both_databases)."""
    target = tmp_path / "ws.db"
    shutil.copyfile(seeded_db, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FORALDRASTOD_JOBS_DIR", str(tmp_path / "jobb"))
    monkeypatch.delenv("FORALDRASTOD_PUBLIC_URL", raising=False)
    monkeypatch.delenv("FORALDRASTOD_RULES", raising=False)
    yield create_app()
    _dispose(url)


def new_draft(client, reason: str = "ABC 0–2 år till 2 år 6 månader") -> str:
    r = post_form(client, "/redaktion", "/redaktion/utkast", {"anledning": reason})
    assert r.status_code == 303, r.text
    return r.headers["location"]


def rule_url(draft: str, rule_id: str, path: str = ABC_FILE) -> str:
    with db.session_scope() as s:
        d = store.get_draft(s, int(draft.rsplit("/", 1)[1]))
        ids = [r["id"] for r in yaml.safe_load(d.files[path])["rules"]]
    return f"{draft}/regel?sokvag={path}&nr={ids.index(rule_id)}"


def abc_0_2_max(draft: str) -> int:
    """The upper age (months) of the ABC 0–2 år rule in the draft: the tests extend it by half a year,
    whatever age convention the pack uses."""
    rules = yaml.safe_load(draft_files(draft)[ABC_FILE])["rules"]
    return next(r for r in rules if r["id"] == "universell-abc-0-2-ar")["when"]["age_months"]["max"]


def till(months: int) -> dict[str, str]:
    return {"alder_till_ar": str(months // 12), "alder_till_man": str(months % 12)}


def draft_files(draft: str) -> dict[str, str]:
    with db.session_scope() as s:
        return dict(store.get_draft(s, int(draft.rsplit("/", 1)[1])).files)


def wait_job(client, url: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = client.get(url).json()
        if st["state"] in ("done", "failed"):
            return st
        time.sleep(0.3)
    raise AssertionError(f"{url} blev inte klar")


# --------------------------------------------------------------------------- login and session
def test_login_cookie_is_httponly_strict_and_scoped(app):
    c = client_for(app, None)
    r = login(c, "rut")
    assert r.status_code == 303 and r.headers["location"] == "/redaktion"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("redaktion_session="))
    flags = [p.strip().lower() for p in cookie.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/redaktion" in flags
    assert "secure" not in flags  # plain http in this test
    assert c.get("/redaktion").status_code == 200


def test_cookie_is_secure_behind_https(app, monkeypatch):
    r = login(client_for(app, None, base_url="https://testserver"), "rut")
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("redaktion_session="))
    assert "secure" in [p.strip().lower() for p in cookie.split(";")]
    monkeypatch.setenv("FORALDRASTOD_PUBLIC_URL", "https://stod.example.se")  # TLS ends in a proxy
    c = client_for(app, None)
    page = c.get("/redaktion/logga-in")
    token = csrf_of(page.text)
    r = c.post("/redaktion/logga-in", data={"csrf": token, "namn": "greta", "losenord": PASSWORD},
               headers={"Cookie": f"redaktion_inloggning={token}"}, follow_redirects=False)
    assert r.status_code == 303
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("redaktion_session="))
    assert "secure" in [p.strip().lower() for p in cookie.split(";")]


def test_login_without_or_with_wrong_csrf_is_403(app):
    c = client_for(app, None)
    c.get("/redaktion/logga-in")
    r = c.post("/redaktion/logga-in", data={"namn": "rut", "losenord": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/redaktion/logga-in", data={"csrf": "fel", "namn": "rut", "losenord": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    assert "redaktion_session" not in c.cookies


def test_wrong_password_is_refused_audited_and_throttled(app):
    c = client_for(app, None)
    for _ in range(5):
        r = login(c, "rut", "fel-losenord-fel")
        assert r.status_code == 401 and "Fel användarnamn eller lösenord" in r.text
    r = login(c, "rut")  # the right password, but too many failures: not even checked
    assert r.status_code == 429 and "För många misslyckade inloggningar" in r.text
    assert "redaktion_session" not in c.cookies
    with db.session_scope() as s:
        actions = [a.action for a in store.audit(s)]
    assert actions.count("inloggning.misslyckad") == 5 and "inloggning.sparrad" in actions


def test_logout_ends_the_session(app):
    c = client_for(app, "rut")
    r = post_form(c, "/redaktion", "/redaktion/logga-ut")
    assert r.status_code == 303
    c2 = client_for(app, None)
    c2.cookies.update(c.cookies)
    assert c.get("/redaktion", follow_redirects=False).status_code == 303


def test_pages_are_swedish_with_security_headers(app):
    c = client_for(app, "rut")
    r = c.get("/redaktion")
    assert '<html lang="sv">' in r.text
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "<script>" not in r.text and "style=" not in r.text


# --------------------------------------------------------------------------- roles on every route
GET_ROUTES = ["/redaktion", "/redaktion/versioner", "/redaktion/logg", "/redaktion/anvandare",
              "/redaktion/kartlaggning/1884", "/redaktion/utkast/{d}", "/redaktion/utkast/{d}/granska",
              "/redaktion/utkast/{d}/kontrollera", "/redaktion/utkast/{d}/effekt",
              f"/redaktion/utkast/{{d}}/text?sokvag={ABC_FILE}", f"/redaktion/utkast/{{d}}/fil?sokvag={ABC_FILE}",
              f"/redaktion/utkast/{{d}}/regel?sokvag={ABC_FILE}&nr=0", "/redaktion/utkast/{d}/fil?sokvag=behov.yaml",
              "/redaktion/utkast/{d}/post?sokvag=behov.yaml&nr=0", "/redaktion/utkast/{d}/effekt/status",
              "/redaktion/utkast/{d}/kontrollera/status", "/redaktion/utkast/{d}/beteendetest?namn=skydd.feature"]
POST_ROUTES = ["/redaktion/utkast", "/redaktion/logga-ut", "/redaktion/utkast/{d}/kontrollera",
               "/redaktion/utkast/{d}/effekt", "/redaktion/utkast/{d}/skicka-in", "/redaktion/utkast/{d}/godkann",
               "/redaktion/utkast/{d}/skicka-tillbaka", f"/redaktion/utkast/{{d}}/text?sokvag={ABC_FILE}",
               f"/redaktion/utkast/{{d}}/regel?sokvag={ABC_FILE}&nr=0",
               f"/redaktion/utkast/{{d}}/regel/ta-bort?sokvag={ABC_FILE}&nr=0",
               "/redaktion/versioner/1/publicera", "/redaktion/anvandare", "/redaktion/kartlaggning/1884",
               "/redaktion/utkast/{d}/post?sokvag=behov.yaml&nr=0", "/redaktion/utkast/{d}/beteendetest?namn=skydd.feature",
               "/redaktion/utkast/{d}/beteendetest/ny", "/redaktion/utkast/{d}/beteendetest/ta-bort?namn=skydd.feature"]

# who may open what (GET): everything else must be 403
ALLOWED_GET = {
    "/redaktion": {"rut", "greta", "nora", "ada"},
    "/redaktion/versioner": {"rut", "greta", "nora", "ada"},
    "/redaktion/logg": {"greta", "ada"},
    "/redaktion/anvandare": {"ada"},
    "/redaktion/kartlaggning/1884": {"nora"},
}
DRAFT_VIEWERS = {"rut", "greta"}  # a rule draft: not the samordnare, not the admin


def test_every_route_sends_strangers_to_login_or_refuses(app):
    c = client_for(app, None)
    for route in GET_ROUTES:
        r = c.get(route.format(d=1), follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/redaktion/logga-in"), route
    for route in POST_ROUTES:
        r = c.post(route.format(d=1), data={"csrf": "x"}, follow_redirects=False)
        assert r.status_code == 403, route


def test_every_get_route_refuses_the_wrong_role(app):
    clients = {name: client_for(app, name) for name in ("rut", "greta", "nora", "ada")}
    draft = new_draft(clients["rut"]).rsplit("/", 1)[1]
    for route in GET_ROUTES:
        allowed = ALLOWED_GET.get(route, DRAFT_VIEWERS)
        for name, c in clients.items():
            r = c.get(route.format(d=draft), follow_redirects=False)
            if name in allowed:
                assert r.status_code == 200, (route, name, r.status_code)
            else:
                assert r.status_code == 403, (route, name, r.status_code)
                assert "<h1>Inte tillåtet</h1>" in r.text


def test_every_post_route_refuses_the_wrong_role(app):
    clients = {name: client_for(app, name) for name in ("rut", "greta", "nora", "ada")}
    draft = new_draft(clients["rut"]).rsplit("/", 1)[1]
    refused = {  # route → users refused with 403 even with a valid CSRF token
        "/redaktion/utkast": {"nora", "ada"},
        "/redaktion/utkast/{d}/kontrollera": {"nora", "ada"},
        "/redaktion/utkast/{d}/effekt": {"nora", "ada"},
        "/redaktion/utkast/{d}/skicka-in": {"ada", "nora"},
        "/redaktion/utkast/{d}/godkann": {"rut", "nora", "ada"},
        "/redaktion/utkast/{d}/skicka-tillbaka": {"rut", "nora", "ada"},
        f"/redaktion/utkast/{{d}}/text?sokvag={ABC_FILE}": {"nora", "ada"},
        f"/redaktion/utkast/{{d}}/regel?sokvag={ABC_FILE}&nr=0": {"nora", "ada"},
        f"/redaktion/utkast/{{d}}/regel/ta-bort?sokvag={ABC_FILE}&nr=0": {"nora", "ada"},
        "/redaktion/versioner/1/publicera": {"rut", "nora"},
        "/redaktion/anvandare": {"rut", "greta", "nora"},
        "/redaktion/kartlaggning/1884": {"rut", "greta", "ada"},
        "/redaktion/utkast/{d}/post?sokvag=behov.yaml&nr=0": {"nora", "ada"},
        "/redaktion/utkast/{d}/beteendetest?namn=skydd.feature": {"nora", "ada"},
        "/redaktion/utkast/{d}/beteendetest/ny": {"nora", "ada"},
        "/redaktion/utkast/{d}/beteendetest/ta-bort?namn=skydd.feature": {"nora", "ada"},
    }
    for route, users in refused.items():
        for name in users:
            c = clients[name]
            token = csrf_of(c.get("/redaktion").text)
            r = c.post(route.format(d=draft), data={"csrf": token, "anledning": "x", "skal": "x", "kommentar": "x"},
                       follow_redirects=False)
            assert r.status_code == 403, (route, name, r.status_code, r.text[:300])
    # nothing happened: the draft is untouched and still open
    with db.session_scope() as s:
        d = store.get_draft(s, int(draft))
        assert d.revision == 1 and d.status == "utkast"
        assert store.current_version(s).number == 1


def test_every_post_route_without_csrf_is_403(app):
    c = client_for(app, "rut")
    draft = new_draft(c).rsplit("/", 1)[1]
    for route in POST_ROUTES:
        for data in ({}, {"csrf": "inte-rätt-kod"}):
            r = c.post(route.format(d=draft), data={**data, "anledning": "x", "text": "x"}, follow_redirects=False)
            assert r.status_code == 403, (route, data, r.status_code)
            assert "CSRF" in r.text
    with db.session_scope() as s:
        assert store.get_draft(s, int(draft)).revision == 1
    assert c.get("/redaktion").status_code == 200  # still logged in: logga-ut without CSRF did nothing


# --------------------------------------------------------------------------- editing
def test_rule_form_shows_passage_ages_in_years_and_catalogues(app):
    c = client_for(app, "rut")
    draft = new_draft(c)
    page = c.get(rule_url(draft, "universell-abc-3-12-ar")).text
    assert "Strategins text som regeln kodar" in page and "Insatser i norra länsdelen" in page
    values = form(page, "/regel?")["values"]
    assert values["alder_fran_ar"] == ["3"] and values["alder_fran_man"] == ["0"]
    assert values["alder_till_ar"] == ["12"] and values["alder_till_man"] in (["0"], ["11"])
    assert values["recommend"] == ["abc"] and values["level"] == ["universell"]
    # catalogues as choices: every insats, need and kommun of the pack
    assert 'id="recommend-biff"' in page and 'id="needs_any-overvikt_fetma"' in page
    assert re.search(r'id="kommuner-1884"[^>]*>\s*<label for="kommuner-1884">Nora</label>', page)


def test_saving_a_rule_changes_only_that_rule(app):
    c = client_for(app, "rut")
    draft = new_draft(c)
    before = draft_files(draft)[ABC_FILE]
    old = abc_0_2_max(draft)
    r = post_form(c, rule_url(draft, "universell-abc-0-2-ar"), "/regel?", till(old + 6))
    assert r.status_code == 303, r.text
    after = draft_files(draft)[ABC_FILE]
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(changed) == 1 and changed[0][1] == changed[0][0].replace(f"max: {old}", f"max: {old + 6}")
    assert len(before.splitlines()) == len(after.splitlines())


def test_rule_error_is_shown_at_the_field_in_the_words_of_check(app, tmp_path):
    c = client_for(app, "rut")
    draft = new_draft(c)
    url = rule_url(draft, "universell-abc-3-12-ar")
    r = post_form(c, url, "/regel?", {"id": "ABC Ogiltig", "rationale": "Min nya motivering."})
    assert r.status_code == 422
    errors = field_errors(r.text)
    assert list(errors) == ["id"], errors
    # the same message `foraldrastod check` gives for that file
    pack = tmp_path / "pack"
    for rel, text in draft_files(draft).items():
        (pack / rel).parent.mkdir(parents=True, exist_ok=True)
        (pack / rel).write_text(text.replace("id: universell-abc-3-12-ar", "id: ABC Ogiltig"), encoding="utf-8")
    from engine import PackInvalid, load_pack

    with pytest.raises(PackInvalid) as exc:
        load_pack(pack)
    assert errors["id"] == [exc.value.errors[0].message]
    assert 'aria-invalid="true"' in r.text
    assert form(r.text, "/regel?")["values"]["rationale"] == ["Min nya motivering."]  # nothing lost
    assert draft_files(draft) == draft_files(draft.replace("utkast/", "utkast/"))
    with db.session_scope() as s:
        assert store.get_draft(s, int(draft.rsplit("/", 1)[1])).revision == 1  # not saved


def test_age_months_out_of_range_is_refused_at_the_age_field(app):
    c = client_for(app, "rut")
    draft = new_draft(c)
    r = post_form(c, rule_url(draft, "universell-abc-3-12-ar"), "/regel?", {"alder_fran_man": "14"})
    assert r.status_code == 422 and "alder" in field_errors(r.text)


def test_second_save_of_the_same_draft_gets_a_conflict_and_loses_nothing(app):
    rut, rebecka = client_for(app, "rut"), client_for(app, "rebecka")
    draft = new_draft(rut)
    url = rule_url(draft, "universell-abc-3-12-ar")
    page_rut, page_rebecka = rut.get(url).text, rebecka.get(url).text
    r = post_form(rut, url, "/regel?", {"rationale": "Ruts motivering."}, page=page_rut)
    assert r.status_code == 303
    r = post_form(rebecka, url, "/regel?", {"rationale": "Rebeckas motivering."}, page=page_rebecka)
    assert r.status_code == 409
    assert any("Någon annan har sparat utkastet" in m for m in messages(r.text))
    assert form(r.text, "/regel?")["values"]["rationale"] == ["Rebeckas motivering."]
    assert "Ruts motivering." in draft_files(draft)[ABC_FILE]
    # saving again from the conflict page brings Rebecka's change into the latest revision
    r = post_form(rebecka, url, "/regel?", page=r.text)
    assert r.status_code == 303
    assert "Rebeckas motivering." in draft_files(draft)[ABC_FILE]


def test_text_view_conflict_and_invalid_yaml_keep_the_text(app):
    rut, rebecka = client_for(app, "rut"), client_for(app, "rebecka")
    draft = new_draft(rut)
    url = f"{draft}/text?sokvag=behov.yaml"
    p1, p2 = rut.get(url).text, rebecka.get(url).text
    text = form(p1, "/text?")["values"]["text"][0]
    assert text == draft_files(draft)["behov.yaml"]
    r = post_form(rut, url, "/text?", {"text": text.replace("Föräldrarna har svårigheter i sin parrelation",
                                                             "Föräldrarna har det svårt i parrelationen")}, page=p1)
    assert r.status_code == 303
    mine = text + "\n# Rebeckas rad\n"
    r = post_form(rebecka, url, "/text?", {"text": mine}, page=p2)
    assert r.status_code == 409 and "Någon annan har sparat utkastet" in r.text
    assert form(r.text, "/text?")["values"]["text"] == [mine]
    broken = "needs: [\n"
    r = post_form(rebecka, url, "/text?", {"text": broken})
    assert r.status_code == 422 and "behov.yaml:" in r.text
    assert form(r.text, "/text?")["values"]["text"] == [broken]
    assert "det svårt i parrelationen" in draft_files(draft)["behov.yaml"]


# --------------------------------------------------------------------------- check, review, publish
def test_check_submit_four_eyes_approve_and_rollback(app):
    rut, greta = client_for(app, "rut"), client_for(app, "greta")
    draft = new_draft(rut, "ABC 3–12 år slutar vid 11 år")
    r = post_form(rut, rule_url(draft, "universell-abc-3-12-ar"), "/regel?", {"alder_till_ar": "11"})
    assert r.status_code == 303
    # Kontrollera: a scenario of the strategy breaks, and it is named
    r = post_form(rut, draft, "/kontrollera")
    assert r.status_code == 303 and r.headers["location"] == f"{draft}/kontrollera"
    assert wait_job(rut, f"{draft}/kontrollera/status")["state"] == "done"
    page = rut.get(f"{draft}/kontrollera").text
    assert "Kontrollen hittade problem" in page and 'id="andrade-scenarier"' in page
    assert "godkänt före, underkänt nu" in page and "hela-uppvaxten.feature" in page
    # fix it: ABC back to 12 år, and the intended change (ABC 0–2 år up to 2 år 6 mån) instead
    post_form(rut, rule_url(draft, "universell-abc-3-12-ar"), "/regel?", {"alder_till_ar": "12"})
    new_max = abc_0_2_max(draft) + 6
    post_form(rut, rule_url(draft, "universell-abc-0-2-ar"), "/regel?", till(new_max))
    post_form(rut, draft, "/kontrollera")
    assert wait_job(rut, f"{draft}/kontrollera/status")["state"] == "done"
    page = rut.get(f"{draft}/kontrollera").text
    assert "Kontrollen godkänd" in page and "underkänt nu" not in page
    # submit; the author cannot approve
    r = post_form(rut, draft, "/skicka-in", {"skal": "ABC 0–2 år räcker till 2½ år"})
    assert r.status_code == 303
    page = rut.get(f"{draft}/granska").text
    assert "kan därför inte godkänna" in page and 'id="godkann"' not in page
    assert f"max: {new_max}" in page  # the diff
    r = rut.post(f"{draft}/godkann", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 403
    # a granskare approves: version 2 is current
    r = post_form(greta, f"{draft}/granska", "/godkann")
    assert r.status_code == 303, r.text
    assert "publicerat som version 2" in greta.get(r.headers["location"]).text
    with db.session_scope() as s:
        v2 = store.current_version(s)
        assert v2.number == 2 and v2.approver == "greta" and v2.author == "rut"
        assert f"max: {new_max}" in v2.files[ABC_FILE]
    page = greta.get("/redaktion/versioner").text
    assert "publicerad nu" in page and "ABC 0–2 år räcker till 2½ år" in page
    # rollback = one action, audited
    r = post_form(greta, "/redaktion/versioner", "/versioner/1/publicera", {"skal": "Tillbaka i väntan på beslut"})
    assert r.status_code == 303
    with db.session_scope() as s:
        assert store.current_version(s).number == 1
        events = store.audit(s)
    assert events[0].action == "version.publicerad" and events[0].reason == "Tillbaka i väntan på beslut"
    assert any(e.action == "version.godkand" and e.actor == "greta" for e in events)
    page = greta.get("/redaktion/logg").text
    assert "Tillbaka i väntan på beslut" in page and "version.godkand" in page


def test_send_back_with_a_comment_reopens_the_draft(app):
    rut, greta = client_for(app, "rut"), client_for(app, "greta")
    draft = new_draft(rut)
    post_form(rut, rule_url(draft, "universell-abc-0-2-ar"), "/regel?", till(abc_0_2_max(draft) + 3))
    post_form(rut, draft, "/skicka-in", {"skal": "Prova"})
    r = post_form(greta, f"{draft}/granska", "/skicka-tillbaka", {"kommentar": "Ange källan för 27 månader."})
    assert r.status_code == 303
    page = rut.get(draft).text
    assert "Granskarens kommentar: Ange källan för 27 månader." in page and "återskickad" in page
    assert 'id="skicka-in"' in page  # open for changes again


# --------------------------------------------------------------------------- kartläggning
def test_samordnare_reports_for_own_kommun_only(app):
    nora = client_for(app, "nora")
    assert nora.get("/redaktion/kartlaggning", follow_redirects=False).headers["location"] == "/redaktion/kartlaggning/1884"
    page = nora.get("/redaktion/kartlaggning/1884").text
    assert "Kartläggning: Nora" in page
    with db.session_scope() as s:
        pack_insatser = yaml.safe_load(store.current_version(s).files["insatser.yaml"])["insatser"]
    for ins in pack_insatser:  # every insats in the catalogue
        assert f'id="status-{ins["id"]}"' in page
    # Örebro: refused, reading and writing
    assert nora.get("/redaktion/kartlaggning/1880").status_code == 403
    r = nora.post("/redaktion/kartlaggning/1880", data={"csrf": csrf_of(page), "status-abc": "finns"},
                  follow_redirects=False)
    assert r.status_code == 403 and "kan bara rapportera" in r.text and "1884" not in r.text  # the name, not the code
    # a private person's e-mail is refused at that insats; nothing lost
    changes = {"status-abc": "saknas", "status-komet": "planeras", "fran-komet": "2027-01-01",
               "kontakt-biff": "anna.andersson@nora.se", "malgrupp-biff": ["Separerade föräldrar"]}
    r = post_form(nora, "/redaktion/kartlaggning/1884", "/kartlaggning/1884", changes, page=page)
    assert r.status_code == 422
    assert "biff" in field_errors(r.text)
    values = form(r.text, "/kartlaggning/1884")["values"]
    assert values["kontakt-biff"] == ["anna.andersson@nora.se"] and values["fran-komet"] == ["2027-01-01"]
    # a unit's phone is fine
    changes["kontakt-biff"] = "Familjecentralen Nora, 0587-810 00"
    r = post_form(nora, "/redaktion/kartlaggning/1884", "/kartlaggning/1884", changes, page=page)
    assert r.status_code == 303, r.text
    draft = r.headers["location"].split("?")[0]
    entries = yaml.safe_load(draft_files(draft)["tillganglighet-kommuner.yaml"])["entries"]
    by = {e["insats"]: e for e in entries}
    assert all(e["kommun"] == "1884" and e["verified"] == dt.date.today() for e in entries)
    assert by["abc"]["status"] == "saknas"
    assert by["komet"]["status"] == "planeras" and by["komet"]["planned_from"] == dt.date(2027, 1, 1)
    assert by["biff"]["contact"] == "Familjecentralen Nora, 0587-810 00"
    assert by["biff"]["target_groups"] == ["Separerade föräldrar"]
    # submitted like any draft
    r = post_form(nora, draft, "/skicka-in", {"skal": "Nora: kartläggningen 2026"})
    assert r.status_code == 303
    with db.session_scope() as s:
        assert store.get_draft(s, int(draft.rsplit("/", 1)[1])).status == "inskickad"


# --------------------------------------------------------------------------- PostgreSQL too
def test_flow_on_both_databases(db_url, monkeypatch, tmp_path):
    """Login, a draft, a rule saved in a form, a conflict, submit and approval without features."""
    monkeypatch.setenv("FORALDRASTOD_JOBS_DIR", str(tmp_path / "jobb"))
    _setup(db_url)
    app = create_app()
    rut, rebecka = client_for(app, "rut"), client_for(app, "rebecka")
    draft = new_draft(rut)
    url = rule_url(draft, "universell-abc-0-2-ar")
    p1, p2 = rut.get(url).text, rebecka.get(url).text
    old = abc_0_2_max(draft)
    assert post_form(rut, url, "/regel?", till(old + 6), page=p1).status_code == 303
    assert post_form(rebecka, url, "/regel?", till(old + 9), page=p2).status_code == 409
    assert abc_0_2_max(draft) == old + 6
    assert post_form(rut, draft, "/skicka-in", {"skal": "ABC 0–2 år"}).status_code == 303
    r = rut.post(f"{draft}/godkann", data={"csrf": csrf_of(rut.get(draft).text)}, follow_redirects=False)
    assert r.status_code == 403


def test_insatser_and_needs_in_forms(app):
    c = client_for(app, "rut")
    draft = new_draft(c)
    page = c.get(f"{draft}/fil?sokvag=insatser.yaml").text
    assert 'id="andra-abc-0-2"' in page and "Strategins text som filen kodar" in page
    with db.session_scope() as s:
        ids = [i["id"] for i in yaml.safe_load(store.get_draft(s, int(draft.rsplit("/", 1)[1])).files["insatser.yaml"])["insatser"]]
    url = f"{draft}/post?sokvag=insatser.yaml&nr={ids.index('bvc')}"
    values = form(c.get(url).text, "/post?")["values"]
    assert values["alder_fran_ar"] == ["0"] and values["alder_till_ar"] == ["6"] and values["level"] == ["universell"]
    before = draft_files(draft)["insatser.yaml"]
    r = post_form(c, url, "/post?", {"provider": "Region Örebro län, barnhälsovården (BVC)"})
    assert r.status_code == 303, r.text
    after = draft_files(draft)["insatser.yaml"]
    assert [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b] == [
        ("    provider: Region Örebro län, barnhälsovården", "    provider: Region Örebro län, barnhälsovården (BVC)")]
    # a new need, appended; a duplicate code is refused at the code field with the loader's words
    r = post_form(c, f"{draft}/post?sokvag=behov.yaml&nr=ny", "/post?",
                  {"code": "overvikt_fetma", "label": "Dubblett", "group": "Barnet"})
    assert r.status_code == 422 and field_errors(r.text) == {"code": ["behovskoden 'overvikt_fetma' finns redan"]}
    needs_before = draft_files(draft)["behov.yaml"]
    r = post_form(c, f"{draft}/post?sokvag=behov.yaml&nr=ny", "/post?",
                  {"code": "somnproblem_barn", "label": "Barnet sover dåligt", "group": "Barnet"})
    assert r.status_code == 303, r.text
    needs = yaml.safe_load(draft_files(draft)["behov.yaml"])["needs"]
    assert needs[-1] == {"code": "somnproblem_barn", "label": "Barnet sover dåligt", "group": "Barnet"}
    assert draft_files(draft)["behov.yaml"].startswith(needs_before)  # appended; the rest untouched


def test_admin_adds_a_samordnare_who_can_log_in(app):
    ada = client_for(app, "ada")
    r = post_form(ada, "/redaktion/anvandare", "/redaktion/anvandare",
                  {"namn": "kalle", "roll": "samordnare", "kommun": "1880", "losenord": "kort"})
    assert r.status_code == 422 and "Lösenordet ska ha minst 12 tecken" in r.text
    r = post_form(ada, "/redaktion/anvandare", "/redaktion/anvandare",
                  {"namn": "kalle", "roll": "samordnare", "kommun": "1880", "losenord": PASSWORD})
    assert r.status_code == 303
    assert "Användaren kalle är tillagd" in ada.get(r.headers["location"]).text
    kalle = client_for(app, "kalle")
    assert kalle.get("/redaktion/kartlaggning", follow_redirects=False).headers["location"] == "/redaktion/kartlaggning/1880"
    assert kalle.get("/redaktion/kartlaggning/1884").status_code == 403
    with db.session_scope() as s:
        assert any(a.action.startswith("anvandare") or "kalle" in a.target for a in store.audit(s))


def test_effekt_lists_changed_profiles_and_downloads_csv(app, monkeypatch):
    from service.workspace import checks

    rut = client_for(app, "rut")
    draft = new_draft(rut)
    # ABC 3–12 år is recommended (ABC 0–2 år is a programme in the län, which changes no answer)
    rules = yaml.safe_load(draft_files(draft)[ABC_FILE])["rules"]
    old = next(r for r in rules if r["id"] == "universell-abc-3-12-ar")["when"]["age_months"]["max"]
    post_form(rut, rule_url(draft, "universell-abc-3-12-ar"), "/regel?", till(old + 6))
    if not checks.impact_available():  # engine/impact.py comes from another branch: the page says so
        r = post_form(rut, draft, "/effekt")
        assert r.status_code == 303
        assert "Effektberäkningen (engine/impact.py) finns inte" in rut.get(f"{draft}/effekt").text
        return
    assert post_form(rut, draft, "/effekt").status_code == 303
    assert wait_job(rut, f"{draft}/effekt/status")["state"] == "done"
    page = rut.get(f"{draft}/effekt").text
    assert re.search(r"\d+ av \d+ profiler får ett annat svar", page)
    assert 'id="effekt-celler"' in page and 'id="effekt-tabell"' in page
    csv_text = rut.get(f"{draft}/effekt.csv?per=profiler")
    assert csv_text.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_text.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(csv_text.text)))
    assert rows[0][:2] == ["kommun", "kommunkod"] and len(rows) > 1
    # exactly the six months after the old limit gain ABC 3–12 år, in every kommun
    added = {(r[1], r[3], r[4]) for r in rows[1:] if "abc" in r and "tillagd" in r}
    assert added and all((int(a), int(b)) == (old + 1, old + 6) for _, a, b in added)
    assert len({k for k, _, _ in added}) == 12
    assert rut.get(f"{draft}/effekt.csv?per=celler").text.startswith("kommun,kommunkod,aldersband,niva")


def test_antagande_and_its_assumptions_are_in_the_rule_form(app):
    """A rule with status antagande shows its assumptions, one per line, and needs them to be saved."""
    c = client_for(app, "rut")
    draft = new_draft(c)
    rule = next(r for r in yaml.safe_load(draft_files(draft)[ABC_FILE])["rules"] if r["id"] == "universell-abc-3-12-ar")
    assert rule["status"] == "antagande" and rule["assumptions"]
    url = rule_url(draft, "universell-abc-3-12-ar")
    values = form(c.get(url).text, "/regel?")["values"]
    assert values["status"] == ["antagande"] and values["assumptions"] == ["\n".join(rule["assumptions"])]
    # emptied: refused at the field, in the loader's words, nothing saved
    r = post_form(c, url, "/regel?", {"assumptions": ""})
    assert r.status_code == 422
    errors = field_errors(r.text)
    assert list(errors) == ["assumptions"], errors
    assert "status antagande kräver en motivering under assumptions" in errors["assumptions"][0]
    assert 'id="assumptions"' in r.text and 'aria-invalid="true"' in r.text
    # edited: only that line changes; status källa without assumptions drops them
    before = draft_files(draft)[ABC_FILE]
    r = post_form(c, url, "/regel?", {"assumptions": "Ett nytt antagande.\r\n\r\nOch ett till."})
    assert r.status_code == 303, r.text
    after = draft_files(draft)[ABC_FILE]
    saved = next(r for r in yaml.safe_load(after)["rules"] if r["id"] == "universell-abc-3-12-ar")
    assert saved["assumptions"] == ["Ett nytt antagande.", "Och ett till."] and saved["status"] == "antagande"
    import difflib

    changed = [ln for ln in difflib.ndiff(before.splitlines(), after.splitlines()) if ln[:1] in "+-"]
    assert sorted(changed) == sorted(["-     assumptions:", *(f"-       - {a}" for a in rule["assumptions"]),
                                      "+     assumptions: [Ett nytt antagande., Och ett till.]"]), changed
    r = post_form(c, url, "/regel?", {"status": "källa", "assumptions": ""})
    assert r.status_code == 303, r.text
    saved = next(r for r in yaml.safe_load(draft_files(draft)[ABC_FILE])["rules"] if r["id"] == "universell-abc-3-12-ar")
    assert saved.get("status", "källa") == "källa" and "assumptions" not in saved


def test_need_expecting_and_age_in_the_form(app):
    """Needs default to expecting: true; unticking writes expecting: false, and the age is in years and months."""
    c = client_for(app, "rut")
    draft = new_draft(c)
    needs = yaml.safe_load(draft_files(draft)["behov.yaml"])["needs"]
    codes = [n["code"] for n in needs]
    skolk = form(c.get(f"{draft}/post?sokvag=behov.yaml&nr={codes.index('skolk')}").text, "/post?")["values"]
    assert "expecting" not in skolk and skolk["alder_fran_ar"] == ["6"] and skolk["alder_till_ar"] == ["18"]
    nr = next(i for i, n in enumerate(needs) if "expecting" not in n and "age_months" not in n)
    url = f"{draft}/post?sokvag=behov.yaml&nr={nr}"
    assert form(c.get(url).text, "/post?")["values"]["expecting"] == ["ja"]
    page = c.get(url).text
    f = form(page, "/post?")
    data = {k: v for k, v in f["values"].items() if k != "expecting"}
    data.update(alder_fran_ar=["1"], alder_fran_man=["0"], alder_till_ar=["5"], alder_till_man=["11"])
    import html as _html

    r = c.post(_html.unescape(f["action"]), data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    saved = yaml.safe_load(draft_files(draft)["behov.yaml"])["needs"][nr]
    assert saved["expecting"] is False and saved["age_months"] == {"min": 12, "max": 71}
    assert {k: v for k, v in saved.items() if k not in ("expecting", "age_months")} == needs[nr]


# --------------------------------------------------------------------------- behaviour tests (features)
FEATURE = "features/familjecentral.feature"


def test_features_are_listed_and_edited_as_text_beside_the_steps(app):
    rut, rebecka, greta = client_for(app, "rut"), client_for(app, "rebecka"), client_for(app, "greta")
    draft = new_draft(rut, "Beteendetest för familjecentralen")
    page = rut.get(draft).text
    assert 'id="beteende-rubrik">Beteendetester</h2>' in page
    assert 'href="/redaktion/utkast/' in page and "beteendetest?namn=familjecentral.feature" in page
    assert '<span class="fil">features/' not in page  # not in the YAML file list
    url = f"{draft}/beteendetest?namn=familjecentral.feature"
    p1, p2 = rut.get(url).text, rebecka.get(url).text
    text = form(p1, "/beteendetest?")["values"]["text"][0]
    assert text == draft_files(draft)[FEATURE]
    assert '<label for="gherkin" class="etikett">' in p1 and 'id="steg-rubrik">Steg du kan använda' in p1
    assert "<code>När stödet bedöms</code>" in p1
    assert rut.get(f"{draft}/text?sokvag={FEATURE}", follow_redirects=False).headers["location"] == url

    # a Gherkin syntax error: Swedish, at the field, with the line; the text the user typed is kept
    bad = text.replace("    När stödet bedöms\n", "    När stödet bedöms\n  Det här är inget steg\n", 1)
    r = post_form(rut, url, "/beteendetest?", {"text": bad}, page=p1)
    assert r.status_code == 422
    line = bad.splitlines().index("  Det här är inget steg") + 1
    assert any(m.startswith(f"rad {line}: här väntades") for m in field_errors(r.text)["gherkin"])
    assert 'aria-invalid="true"' in r.text and "fel-gherkin-0" in r.text
    assert form(r.text, "/beteendetest?")["values"]["text"] == [bad]
    assert draft_files(draft)[FEATURE] == text

    # a valid edit is saved; a second saver gets a conflict and keeps the text
    mine = text.replace('på nivån "universell"', 'på nivån "selektiv"', 1)
    r = post_form(rut, url, "/beteendetest?", {"text": mine}, page=p1)
    assert r.status_code == 303
    assert draft_files(draft)[FEATURE] == mine
    theirs = text + "\n  # Rebeckas kommentar\n"
    r = post_form(rebecka, url, "/beteendetest?", {"text": theirs}, page=p2)
    assert r.status_code == 409 and any("Någon annan har sparat utkastet" in m for m in messages(r.text))
    assert form(r.text, "/beteendetest?")["values"]["text"] == [theirs]
    assert draft_files(draft)[FEATURE] == mine

    # a new feature: a bad name is refused at the field, the name kept; a good one opens the editor
    r = post_form(rut, draft, "/beteendetest/ny", {"namn": "Nytt Test!"})
    assert r.status_code == 422 and "små bokstäver" in field_errors(r.text)["namn"][0]
    assert form(r.text, "/beteendetest/ny")["values"]["namn"] == ["Nytt Test!"]
    r = post_form(rut, draft, "/beteendetest/ny", {"namn": "familjecentral"})
    assert r.status_code == 409 and "finns redan" in field_errors(r.text)["namn"][0]
    r = post_form(rut, draft, "/beteendetest/ny", {"namn": "familjecentral-nora"})
    assert r.status_code == 303 and r.headers["location"].endswith("beteendetest?namn=familjecentral-nora.feature")
    assert "Egenskap: Familjecentral nora" in draft_files(draft)["features/familjecentral-nora.feature"]

    # remove one
    r = post_form(rut, f"{draft}/beteendetest?namn=skydd.feature", "/beteendetest/ta-bort")
    assert r.status_code == 303
    assert "features/skydd.feature" not in draft_files(draft)
    page = rut.get(draft).text
    assert "borttagen" in page and "familjecentral-nora.feature" in page

    # the granskare sees the feature changes in the diff, and may read a feature
    assert post_form(rut, draft, "/skicka-in", {"skal": "Beteendetester"}).status_code == 303
    page = greta.get(f"{draft}/granska").text
    # the line as written, escaped (Jinja2 writes " as &#34;, html.escape wrote &quot;)
    assert "features/familjecentral.feature" in page and 'nivån "selektiv"' in html.unescape(page)
    assert 'nivån "selektiv"' not in page
    assert "features/skydd.feature (borttagen fil)" in page and "features/familjecentral-nora.feature (ny fil)" in page
    page = greta.get(url).text
    assert "readonly" in page and 'id="spara-beteendetest"' not in page  # submitted: nobody edits now
    # the broken scenario refuses the approval, in Swedish, naming it
    r = post_form(greta, f"{draft}/granska", "/godkann")
    assert r.status_code == 422 and "godkändes inte" in r.text
    assert "Blivande föräldrar hänvisas till familjecentralen" in r.text
    with db.session_scope() as s:
        assert store.current_version(s).number == 1
    with db.session_scope() as s:
        saved = [e.summary for e in store.audit(s) if e.action == "utkast.sparat"]
    assert any("features/familjecentral.feature: +1 −1 rader" in x for x in saved)
    assert any("borttagen fil features/skydd.feature" in x for x in saved)


def test_a_samordnare_may_read_but_not_edit_features(app):
    nora = client_for(app, "nora")
    with db.session_scope() as s:
        d = store.create_draft(s, store.get_user(s, "nora"), kind="tillganglighet")
        draft_id, text = d.id, d.files[FEATURE]
    url = f"/redaktion/utkast/{draft_id}/beteendetest?namn=familjecentral.feature"
    page = nora.get(url).text
    assert "readonly" in page and 'id="spara-beteendetest"' not in page and "ta-bort" not in page
    token = csrf_of(page)
    r = nora.post(url, data={"csrf": token, "revision": "1", "text": text + "# x\n"}, follow_redirects=False)
    assert r.status_code == 403
    r = nora.post(f"/redaktion/utkast/{draft_id}/beteendetest/ny", data={"csrf": token, "revision": "1", "namn": "x"},
                  follow_redirects=False)
    assert r.status_code == 403
    with db.session_scope() as s:
        d = store.get_draft(s, draft_id)
        assert d.files[FEATURE] == text and d.revision == 1
