"""/redaktion, issue 18: errors at the field with nothing lost, workspace pages for 413/500,
kommun reports that never launder assumptions, a draft's kind bounding what may change in it,
the audit log, forwarded headers, Origin checks, Retry-After, HSTS, and words staff understand."""
from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
import yaml

from service.workspace import checks, db, store, views

from .test_web_redaktion import (ABC_FILE, abc_0_2_max, app, draft_files, new_draft, rule_url,  # noqa: F401
                                 seeded_db, till, wait_job)
from .web_support import PASSWORD, client_for, csrf_of, field_errors, form, login, post_form

PNR = "19121212-1212"


def _id(draft: str) -> int:
    return int(draft.split("?")[0].rsplit("/", 1)[1])


# --------------------------------------------------------------------------- item 2: errors at the field
def test_personnummer_in_a_rules_motivation_is_shown_at_the_field_with_the_form_kept(app):
    c = client_for(app, "rut")
    draft = new_draft(c)
    url = rule_url(draft, "universell-abc-3-12-ar")
    r = post_form(c, url, "/regel?", {"rationale": f"Gäller barnet {PNR} och alla andra."})
    assert r.status_code == 422
    assert "Kontrollen underkände" not in r.text
    assert "rationale" in field_errors(r.text), field_errors(r.text)
    assert "personnummer" in " ".join(field_errors(r.text)["rationale"])
    assert form(r.text, "/regel?")["values"]["rationale"] == [f"Gäller barnet {PNR} och alla andra."]
    with db.session_scope() as s:
        assert store.get_draft(s, _id(draft)).revision == 1


def test_personnummer_in_the_text_editor_keeps_the_text(app):
    c = client_for(app, "rut")
    draft = new_draft(c)
    page = c.get(f"{draft}/text?sokvag=behov.yaml").text
    text = form(page, "/text?")["values"]["text"][0] + f"# {PNR}\n"
    r = post_form(c, f"{draft}/text?sokvag=behov.yaml", "/text?", {"text": text}, page=page)
    assert r.status_code == 422 and "Kontrollen underkände" not in r.text
    assert form(r.text, "/text?")["values"]["text"][0].rstrip("\n") == text.rstrip("\n")
    assert "personnummer" in r.text


@pytest.mark.parametrize("where,action,field,extra", [
    ("/redaktion", "/redaktion/utkast", "anledning", {}),
    ("{d}", "/skicka-in", "skal", {}),
    ("/redaktion/versioner", "/versioner/1/publicera", "skal-1", {}),
])
def test_simple_forms_keep_what_was_typed_and_show_the_error_at_the_field(app, where, action, field, extra):
    rut, greta = client_for(app, "rut"), client_for(app, "greta")
    draft = new_draft(rut)
    if where == "/redaktion/versioner":  # version 1 is only offered when another is current
        post_form(rut, rule_url(draft, "universell-abc-0-2-ar"), "/regel?", till(abc_0_2_max(draft) + 6))
        post_form(rut, draft, "/skicka-in", {"skal": "ABC längre"})
        assert post_form(greta, f"{draft}/granska", "/godkann").status_code == 303
    client = greta if where == "/redaktion/versioner" else rut
    typed = f"Gäller {PNR} i Nora"
    name = "skal" if field == "skal-1" else field
    r = post_form(client, where.format(d=draft), action, {name: typed})
    assert r.status_code == 422, r.text[:300]
    assert "Kontrollen underkände" not in r.text
    assert field in field_errors(r.text), (field, field_errors(r.text))
    assert form(r.text, action)["values"][name] == [typed]


# --------------------------------------------------------------------------- item 3: workspace pages for 413/500
def test_a_too_large_paste_gets_a_swedish_workspace_page_and_the_editor_says_the_limit(app):
    c = client_for(app, "rut")
    draft = new_draft(c)
    page = c.get(f"{draft}/text?sokvag=behov.yaml").text
    assert "2 MiB" in page
    r = c.post(f"{draft}/text?sokvag=behov.yaml", data={"csrf": csrf_of(page), "revision": "1",
                                                          "text": "x" * (3 * 1024 * 1024)})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="sv">' in r.text and "2 MiB" in r.text and "{" not in r.text.split("<body", 1)[1][:50]
    assert 'data-max-bytes="2097152"' in page  # the editor refuses it before sending, keeping the text


def test_an_internal_error_is_a_swedish_workspace_page(app, monkeypatch):
    c = client_for(app, "rut")
    draft = new_draft(c)

    def broken(*a, **k):
        raise RuntimeError("hemligt internt fel")

    monkeypatch.setattr(views, "changed_files", broken)
    r = c.get(draft)
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="sv">' in r.text and "hemligt internt fel" not in r.text
    assert "Något gick fel" in r.text
    r = c.get("/redaktion/finns-inte")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html") and "Finns inte" in r.text


# --------------------------------------------------------------------------- items 5, 6, 17: kommun reports
def _report_page(nora) -> str:
    return nora.get("/redaktion/kartlaggning/1884").text


def test_an_untouched_row_keeps_its_basis_and_only_a_change_becomes_kommunens_uppgift(app):
    nora = client_for(app, "nora")
    page = _report_page(nora)
    assert "AvailabilityBasis" not in page and "bygger på ett antagande" in page  # item 6
    r = post_form(nora, "/redaktion/kartlaggning/1884", "/kartlaggning/1884", {"status-abc": "saknas"}, page=page)
    assert r.status_code == 303, r.text[:500]
    draft = r.headers["location"].split("?")[0]
    entries = yaml.safe_load(draft_files(draft)["tillganglighet-kommuner.yaml"])["entries"]
    assert [(e["insats"], e["status"]) for e in entries] == [("abc", "saknas")]
    # an explicit confirmation makes an assumed row the kommun's word
    page = _report_page(nora)
    assert "ditt utkast" in page
    r = post_form(nora, "/redaktion/kartlaggning/1884", "/kartlaggning/1884", {"bekrafta-bvc": "ja"}, page=page)
    assert r.status_code == 303, r.text[:500]
    entries = yaml.safe_load(draft_files(draft)["tillganglighet-kommuner.yaml"])["entries"]
    assert sorted((e["insats"], e["status"]) for e in entries) == [("abc", "saknas"), ("bvc", "finns")]
    # the confirmation (item 17) names the kommun
    page = nora.get(draft).text
    assert "Nora" in page and "kommun 1884" not in page


def test_a_true_report_passes_the_check_and_the_granskare_sees_it_before_approving(app):
    nora, greta = client_for(app, "nora"), client_for(app, "greta")
    r = post_form(nora, "/redaktion/kartlaggning/1884", "/kartlaggning/1884",
                  {"status-abc": "saknas", "bekrafta-bvc": "ja"}, page=_report_page(nora))
    draft = r.headers["location"].split("?")[0]
    assert post_form(nora, draft, "/skicka-in", {"skal": "Nora 2026"}).status_code == 303
    page = greta.get(f"{draft}/granska").text
    assert "Kontrollen är inte körd" not in page
    assert f"{draft}/kontrollera/status" in page  # started for the granskare, progress shown
    assert wait_job(greta, f"{draft}/kontrollera/status")["state"] == "done"
    page = greta.get(f"{draft}/granska").text
    assert "Kontrollen godkänd" in page, re.findall(r'<div class="meddelande.*?</div>', page, re.S)[:3]
    r = post_form(greta, f"{draft}/granska", "/godkann")
    assert r.status_code == 303, r.text[:800]
    page = greta.get(r.headers["location"]).text
    assert "publicerat som version 2" in page
    assert "Kontrollen är inte körd" not in page  # item 16: approval ran it
    with db.session_scope() as s:
        entries = store.reported_entries(store.current_version(s).files, "1884")
    assert sorted(e["insats"] for e in entries) == ["abc", "bvc"]


# --------------------------------------------------------------------------- item 9: a draft's kind bounds it
def test_a_redaktor_cannot_change_rule_files_in_a_kommun_report(app):
    nora, rut = client_for(app, "nora"), client_for(app, "rut")
    r = post_form(nora, "/redaktion/kartlaggning/1884", "/kartlaggning/1884", {"status-abc": "saknas"},
                  page=_report_page(nora))
    draft = r.headers["location"].split("?")[0]
    page = rut.get(draft).text
    assert f"text?sokvag={ABC_FILE}\">Text (YAML)" not in page
    csrf = csrf_of(page)
    for route, data in ((f"{draft}/text?sokvag={ABC_FILE}", {"text": "rules: []\n", "revision": "2"}),
                        (f"{draft}/regel?sokvag={ABC_FILE}&nr=0", {"revision": "2"}),
                        (f"{draft}/regel/ta-bort?sokvag={ABC_FILE}&nr=0", {"revision": "2"}),
                        (f"{draft}/post?sokvag=behov.yaml&nr=0", {"revision": "2"}),
                        (f"{draft}/beteendetest/ny", {"namn": "nytt", "revision": "2"}),
                        (f"{draft}/beteendetest/ta-bort?namn=skydd.feature", {"revision": "2"})):
        r = rut.post(route, data={"csrf": csrf, **data}, follow_redirects=False)
        assert r.status_code == 403, (route, r.status_code)
    with db.session_scope() as s:
        user = store.get_user(s, "rut")
        d = store.get_draft(s, _id(draft))
        with pytest.raises(store.Refused):
            store.save_file(s, d.id, ABC_FILE, "rules: []\n", user, d.revision)
        with pytest.raises(store.Refused):
            store.save_file(s, d.id, "features/skydd.feature", None, user, d.revision)
        # the kind's own file stays open to a redaktör
        store.save_file(s, d.id, "tillganglighet-kommuner.yaml", d.files["tillganglighet-kommuner.yaml"] + "# ok\n",
                        user, d.revision)


# --------------------------------------------------------------------------- item 10: audit of failed logins
def test_an_unknown_account_is_logged_as_unknown_never_by_the_typed_name(app):
    c = client_for(app, None)
    for _ in range(6):
        login(c, f"Anna {PNR}x", "fel")
        login(c, "hemligt-losenord-som-namn", "fel")
    login(c, "rut", "fel-losenord")
    with db.session_scope() as s:
        events = [(a.actor, a.target, a.summary) for a in store.audit(s)]
    text = repr(events)
    assert "hemligt-losenord-som-namn" not in text and "Anna" not in text and PNR not in text
    assert any(a == "okänt konto" for a, _, _ in events)
    assert any("rut" in t for _, t, _ in events)  # a real account is named


# --------------------------------------------------------------------------- items 11, 12: headers
def test_retry_after_on_throttled_login_and_hsts_over_https(app):
    c = client_for(app, None)
    for _ in range(5):
        login(c, "rut", "fel-losenord-fel")
    r = login(c, "rut")
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "strict-transport-security" not in client_for(app, None).get("/redaktion/logga-in").headers
    r = client_for(app, None, base_url="https://testserver").get("/redaktion/logga-in")
    assert "max-age=" in r.headers["strict-transport-security"]


def test_a_form_post_from_another_origin_is_refused_even_with_the_token(app, monkeypatch):
    c = client_for(app, "rut")
    page = c.get("/redaktion").text
    data = {"csrf": csrf_of(page), "anledning": "Från en annan sida"}
    r = c.post("/redaktion/utkast", data=data, headers={"Origin": "https://angripare.example"}, follow_redirects=False)
    assert r.status_code == 403 and "annan webbplats" in r.text
    r = c.post("/redaktion/utkast", data=data, headers={"Origin": "null", "Referer": "https://angripare.example/x"},
               follow_redirects=False)
    assert r.status_code == 403
    r = c.post("/redaktion/utkast", data=data, headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert r.status_code == 303
    monkeypatch.setenv("FORALDRASTOD_PUBLIC_URL", "https://stod.example.se")
    r = c.post("/redaktion/utkast", data=data, headers={"Origin": "https://stod.example.se"}, follow_redirects=False)
    assert r.status_code == 303
    # the login form too
    anon = client_for(app, None)
    token = csrf_of(anon.get("/redaktion/logga-in").text)
    r = anon.post("/redaktion/logga-in", data={"csrf": token, "namn": "rut", "losenord": PASSWORD},
                  headers={"Origin": "https://angripare.example"}, follow_redirects=False)
    assert r.status_code == 403


def test_the_pages_let_the_browser_send_its_origin_on_same_origin_posts(app):
    # Referrer-Policy no-referrer makes a browser send "Origin: null" on every POST
    assert views.SECURITY_HEADERS["Referrer-Policy"] in ("same-origin", "strict-origin")


def _serve(options: dict, port: int):
    import uvicorn

    async def echo(scope, receive, send):
        if scope["type"] != "http":
            return
        body = f"{scope['client'][0]} {scope['scheme']}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})

    server = uvicorn.Server(uvicorn.Config(echo, host="127.0.0.1", port=port, log_level="error", **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, thread


@pytest.mark.parametrize("trusted,expected", [("", "127.0.0.1 http"), ("127.0.0.1", "203.0.113.9 https"),
                                              ("10.0.0.5", "127.0.0.1 http")])
def test_forwarded_headers_are_trusted_only_from_configured_proxies(monkeypatch, trusted, expected):
    from bench.httpbench import free_port

    from service.core import forwarded

    monkeypatch.setenv("FORALDRASTOD_TRUSTED_PROXIES", trusted)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    port = free_port()
    server, thread = _serve(forwarded.uvicorn_options(), port)
    try:
        r = httpx.get(f"http://127.0.0.1:{port}/", headers={"X-Forwarded-For": "203.0.113.9",
                                                            "X-Forwarded-Proto": "https"})
        assert r.text == expected
    finally:
        server.should_exit = True
        thread.join(10)


# --------------------------------------------------------------------------- item 15: names staff understand
def test_check_names_scenarios_not_paths_and_insatser_by_name():
    from service.workspace.routes.checks import check_html

    report = checks.CheckReport(version="x", scenarios=[checks.Scenario(
        feature="Hela uppväxten", file="features/hela-uppvaxten.feature", scenario="Familjecentral för de minsta",
        status="failed", message="features/hela-uppvaxten.feature:49: insatsen 'familjecentral' rekommenderas inte")])
    cat = {"needs": [], "insatser": [("familjecentral", "Familjecentral", "universell")]}
    out = check_html(report, catalog_=cat)
    row = out.split('id="underkanda"', 1)[1]
    assert "Familjecentral för de minsta" in row and "insatsen Familjecentral rekommenderas inte" in row
    assert "insatsen 'familjecentral'" not in row
    assert '<span class="liten fil">features/hela-uppvaxten.feature:49</span>' in row  # secondary, for editors


def test_impact_lists_needs_and_insatser_by_their_swedish_names():
    from service.workspace.routes.checks import _readable_codes

    cat = {"needs": [("alkohol_narkotika_ungdom", "Oro för ungdomens alkohol eller droger", "")],
           "insatser": [("familjecentral", "Familjecentral", "universell")]}
    assert _readable_codes("behov: alkohol_narkotika_ungdom; familjecentral", cat) == \
        "behov: Oro för ungdomens alkohol eller droger; Familjecentral"


# --------------------------------------------------------------------------- item 16: messages that fit
def test_submit_keeps_the_drafts_reason_and_versioner_shows_the_rollback_reason(app):
    rut, greta = client_for(app, "rut"), client_for(app, "greta")
    draft = new_draft(rut, "ABC 0–2 år längre")
    post_form(rut, rule_url(draft, "universell-abc-0-2-ar"), "/regel?", till(abc_0_2_max(draft) + 6))
    post_form(rut, draft, "/skicka-in", {"skal": "Enligt beslut i styrgruppen"})
    with db.session_scope() as s:
        assert store.get_draft(s, _id(draft)).reason == "ABC 0–2 år längre"
    page = greta.get(f"{draft}/granska").text
    assert "ABC 0–2 år längre" in page and "Enligt beslut i styrgruppen" in page
    post_form(greta, f"{draft}/granska", "/godkann")
    post_form(greta, "/redaktion/versioner", "/versioner/1/publicera", {"skal": "Återställt i väntan på beslut"})
    page = greta.get("/redaktion/versioner").text
    assert "Återställt i väntan på beslut" in page


def test_plural_words():
    assert views.count(1, "rad", "rader") == "1 rad" and views.count(2, "rad", "rader") == "2 rader"
    assert views.count(1, "profil", "profiler") == "1 profil"


# --------------------------------------------------------------------------- item 19: tags at save
def test_an_unknown_tag_is_reported_when_the_feature_is_saved_and_the_text_kept(app):
    c = client_for(app, "rut")
    draft = new_draft(c)
    page = c.get(f"{draft}/beteendetest?namn=skydd.feature").text
    text = form(page, "/beteendetest?")["values"]["text"][0]
    bad = re.sub(r"@strategi-[\w\-]+", "@stratgi-avsnitt-4", text, count=1)
    assert bad != text
    r = post_form(c, f"{draft}/beteendetest?namn=skydd.feature", "/beteendetest?", {"text": bad}, page=page)
    assert r.status_code == 422
    assert "stratgi-avsnitt-4" in " ".join(field_errors(r.text).get("gherkin", []))
    assert form(r.text, "/beteendetest?")["values"]["text"][0] == bad


def test_the_editors_limit_is_the_body_limit():
    try:  # service/core/limits.py once the service modules are packages
        from service.core.limits import PATH_LIMITS
    except ImportError:
        from service.limits import PATH_LIMITS
    from service.workspace.routes.common import MAX_FORM_BYTES

    assert dict(PATH_LIMITS)["/redaktion/"] == MAX_FORM_BYTES


def test_a_text_only_change_is_named_in_effekt(app):
    c = client_for(app, "rut")
    draft = new_draft(c)
    r = post_form(c, rule_url(draft, "universell-abc-3-12-ar"), "/regel?",
                  {"rationale": "En ny motivering som personalen läser."})
    assert r.status_code == 303, r.text[:300]
    post_form(c, draft, "/effekt")
    assert wait_job(c, f"{draft}/effekt/status")["state"] == "done"
    page = c.get(f"{draft}/effekt").text
    assert "Inga profiler får ett annat svar" not in page
    assert "Motiveringen för regeln universell-abc-3-12-ar" in page
    assert "En ny motivering som personalen läser." in page


def test_the_tag_rule_at_save_is_the_one_of_the_feature_run():
    import features.conftest as steps
    from service.workspace import featurefiles

    assert featurefiles.TAG_PREFIXES == steps.TAG_PREFIXES
    assert featurefiles.TAG_RE.pattern == steps.TAG_RE.pattern


def test_send_back_keeps_the_comment_with_the_error_at_the_field(app):
    rut, greta = client_for(app, "rut"), client_for(app, "greta")
    draft = new_draft(rut)
    post_form(rut, rule_url(draft, "universell-abc-0-2-ar"), "/regel?", till(abc_0_2_max(draft) + 3))
    post_form(rut, draft, "/skicka-in", {"skal": "Prova"})
    typed = f"Barnet {PNR} passar inte"
    r = post_form(greta, f"{draft}/granska", "/skicka-tillbaka", {"kommentar": typed})
    assert r.status_code == 422 and "kommentar" in field_errors(r.text)
    assert form(r.text, "/skicka-tillbaka")["values"]["kommentar"] == [typed]
    with db.session_scope() as s:
        assert store.get_draft(s, _id(draft)).status == "inskickad"


def test_adding_a_user_keeps_the_form_with_the_error_at_the_field(app):
    ada = client_for(app, "ada")
    r = post_form(ada, "/redaktion/anvandare", "/redaktion/anvandare",
                  {"namn": "ny-samordnare", "roll": "samordnare", "kommun": "1884", "losenord": "kort"})
    assert r.status_code == 422 and "Kontrollen underkände" not in r.text
    assert form(r.text, "/redaktion/anvandare")["values"]["namn"] == ["ny-samordnare"]
    assert "12 tecken" in r.text


def test_the_overview_of_every_role_is_a_whole_page(app):
    for name, text in (("nora", "Rapportera vad kommunen erbjuder"), ("ada", "hanterar du"), ("rut", "Nytt utkast"),
                       ("greta", "Nytt utkast")):
        r = client_for(app, name).get("/redaktion")
        assert r.status_code == 200 and text in r.text and "</html>" in r.text, name


def test_one_is_singular_in_the_diff_and_the_check_summary():
    html_ = views.diff_html("behov.yaml", "a\nb\n", "a\nc\nb\n")
    assert "1 rad tillagd, 0 borttagna" in html_
    report = checks.CheckReport(version="x", scenarios=[checks.Scenario("f", "features/f.feature", "s", "passed")])
    assert report.summary().startswith("1 scenario: 1 godkänt, 0 underkända.")
    one = store.diff_summary({"a.yaml": "x\n"}, {"a.yaml": "x\ny\n"})
    assert "+1 −0 rad" in one and "rader" not in one, one
