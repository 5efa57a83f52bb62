"""The staff pages in a real Chromium: the form, keyboard use, errors, accessibility (axe-core)."""
from __future__ import annotations

import json
import urllib.request

from browser_support import page_order, run_axe


def api(server: str, body: dict) -> dict:
    req = urllib.request.Request(server + "/v1/recommendations", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def shown_by_level(pg) -> dict[str, list[str]]:
    return pg.evaluate("""() => Object.fromEntries(['universell', 'selektiv', 'indikerad'].map(l =>
        [l, [...document.querySelectorAll('.niva-' + l + ' .insats-namn')].map(h => h.textContent)]))""")


NORA_NEEDS = ["overvikt_fetma", "foraldrar_separerade_konflikt"]


def fill_nora(pg) -> None:
    pg.select_option("#kommun", label="Nora")
    pg.fill("#alder-ar", "8")
    pg.fill("#alder-man", "0")
    for code in NORA_NEEDS:
        pg.check(f"#behov-{code}")


def test_nora_8_years_sees_abc_green_and_biff_yellow(page, server, artifacts):
    page.goto("/")
    assert page.title().startswith("Rekommendation")
    fill_nora(page)
    page.click("#skicka")
    page.wait_for_selector(".niva-selektiv .insats-namn")

    shown = shown_by_level(page)
    assert any(n.startswith("ABC") for n in shown["universell"]), shown
    assert any(n.startswith("BIFF") for n in shown["selektiv"]), shown
    # exactly what the API answers for the same family, level by level
    body = api(server, {"kommun": "1884", "age_months": 96, "needs": NORA_NEEDS})
    for level in ("universell", "selektiv", "indikerad"):
        # what the strategy states first, then the region's own judgement (shown apart)
        assert shown[level] == page_order(body, level)

    biff = page.locator(".niva-selektiv .insats", has_text="BIFF")
    rec = next(r for r in body["recommendations"] if r["insats_id"] == "biff")
    assert biff.locator(".motivering").inner_text() == rec["rationale"]
    # an inferred availability is never shown as a fact
    assert (rec["availability"], rec["availability_basis"]) == ("finns", "antagande")
    assert biff.locator(".tillgang").inner_text() == "≈ Antas finnas – inte bekräftat"
    assert biff.locator(".tillgang").evaluate("e => getComputedStyle(e).borderStyle") == "dashed"
    assert rec["availability_reason"] in biff.locator(".grund").inner_text()
    assert rec["source"]["section"] in biff.locator(".fakta").inner_text()
    # the colour groups carry text labels, not colour alone
    assert "Grön – universell nivå" in page.locator("#niva-universell").inner_text()
    assert "Gul – selektiv nivå" in page.locator("#niva-selektiv").inner_text()
    assert page.evaluate("document.activeElement.id") == "svar-rubrik"
    page.screenshot(path=str(artifacts / "web-nora.png"), full_page=True)


def test_form_by_keyboard_alone(page):
    page.goto("/")

    def tab_to(selector: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"nådde inte {selector} med Tab")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")  # skip link moves focus into main
    assert page.evaluate("location.hash") == "#innehall"
    tab_to("#kommun")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "synlig fokusmarkering saknas"
    page.keyboard.type("Nora")
    assert page.evaluate("document.querySelector('#kommun').selectedOptions[0].text") == "Nora"
    tab_to("#alder-ar")
    page.keyboard.type("8")
    tab_to("#behov-overvikt_fetma")
    page.keyboard.press("Space")
    tab_to("#behov-foraldrar_separerade_konflikt")
    page.keyboard.press("Space")
    tab_to("#skicka")
    page.keyboard.press("Enter")
    page.wait_for_selector(".niva-selektiv .insats-namn")
    shown = shown_by_level(page)
    assert any(n.startswith("ABC") for n in shown["universell"])
    assert any(n.startswith("BIFF") for n in shown["selektiv"])


def test_expecting_disables_age_and_shows_universal_support(page, server):
    page.goto("/")
    page.select_option("#kommun", label="Örebro")
    page.check("#vantar")
    assert page.is_disabled("#alder-ar")
    page.click("#skicka")
    page.wait_for_selector(".niva-universell .insats-namn")
    body = api(server, {"kommun": "1880", "expecting": True})
    assert shown_by_level(page)["universell"] == page_order(body, "universell")


def test_critical_notice_comes_first_as_alert(page, server):
    page.goto("/")
    page.select_option("#kommun", label="Nora")
    page.fill("#alder-ar", "4")
    page.check("#behov-vald_eller_omsorgssvikt")
    page.click("#skicka")
    page.wait_for_selector("#resultat [role=alert]")
    # right under the answer's heading, before any level
    first = page.locator("#resultat > :not(h2)").first
    assert first.get_attribute("role") == "alert"
    assert page.evaluate("""() => { const a = document.querySelector('#resultat [role=alert]');
        return [...document.querySelectorAll('#resultat .niva')].every(
            n => a.compareDocumentPosition(n) & Node.DOCUMENT_POSITION_FOLLOWING); }""")
    body = api(server, {"kommun": "Nora", "age_months": 48, "needs": ["vald_eller_omsorgssvikt"]})
    critical = [n["text"] for n in body["notices"] if n["severity"] == "critical"]
    assert critical and critical[0] in first.inner_text()
    assert first.inner_text().startswith("Viktigt:")


def test_missing_fields_are_explained_in_swedish_next_to_them(page):
    page.goto("/")
    page.click("#skicka")
    assert page.is_visible("#fel-kommun")
    assert page.inner_text("#fel-kommun") == "Välj en kommun."
    assert page.get_attribute("#kommun", "aria-invalid") == "true"
    assert "ålder" in page.inner_text("#fel-alder")
    assert page.evaluate("document.activeElement.id") == "kommun"
    page.fill("#alder-ar", "18")
    page.fill("#alder-man", "5")
    page.select_option("#kommun", label="Nora")
    page.click("#skicka")
    assert "18 år" in page.inner_text("#fel-alder")
    assert page.is_hidden("#fel-kommun")


def test_service_422_is_shown_at_the_field(page):
    """The service's own check (a kommun it does not know) reaches the user in Swedish."""
    page.goto("/")
    page.evaluate("""() => { const o = document.querySelector('#kommun option[value="1884"]');
                             o.value = 'Atlantis'; o.selected = true; }""")
    page.fill("#alder-ar", "3")
    with page.expect_response(lambda r: r.request.method == "POST") as resp:
        page.click("#skicka")
    assert resp.value.status == 422
    page.wait_for_selector("#fel-kommun:not([hidden])")
    text = page.inner_text("#fel-kommun")
    assert "okänd kommun" in text and "unknown" not in text
    # the browser logs the expected 422 as a failed resource; nothing else may be logged
    assert all("422" in m for m in page.js_errors), page.js_errors
    page.js_errors.clear()


def test_page_has_no_personal_data_fields(page):
    page.goto("/")
    names = page.evaluate("[...document.querySelectorAll('input, select, textarea')].map(e => e.name)")
    assert set(names) <= {"kommun", "alder_ar", "alder_man", "vantar", "needs"}
    assert page.locator("input[type=text], textarea").count() == 0


def test_index_has_no_axe_violations_before_and_after_answer(page, artifacts):
    page.goto("/")
    before = run_axe(page)
    fill_nora(page)
    page.check("#behov-vald_eller_omsorgssvikt")
    page.click("#skicka")
    page.wait_for_selector(".niva-indikerad .insats-namn")
    after = run_axe(page)
    (artifacts / "axe-index.json").write_text(json.dumps({"before": before, "after": after}, indent=2,
                                                         ensure_ascii=False))
    assert before == [], before
    assert after == [], after


def test_strategi_page_is_accessible(page, artifacts):
    page.goto("/strategi")
    assert page.locator("h1").inner_text() == "Strategin i tester"
    page.screenshot(path=str(artifacts / "web-strategi.png"), full_page=False)
    violations = run_axe(page)
    assert violations == [], violations


def test_usable_on_a_tablet(browser, server, artifacts):
    context = browser.new_context(base_url=server, viewport={"width": 768, "height": 1024}, has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    try:
        pg = context.new_page()
        pg.goto("/")
        fill_nora(pg)
        pg.click("#skicka")
        pg.wait_for_selector(".niva-selektiv .insats-namn")
        overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"sidan är {overflow} px för bred"
        pg.screenshot(path=str(artifacts / "web-tablet.png"), full_page=False)
    finally:
        context.close()


def test_axe_finds_violations_on_a_bad_page(page):
    """The accessibility check can fail: a page with an unlabelled field and low contrast."""
    page.set_content('<html><body><input type="text"><p style="color:#bbb;background:#fff">grå text</p>'
                     '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></body></html>')
    ids = {v["id"] for v in run_axe(page)}
    assert {"label", "color-contrast", "image-alt", "html-has-lang"} <= ids


def test_register_in_the_follow_up_without_and_with_javascript(browser, server):
    """Issue 20 item 1: tick what was offered, register once (a reload of the confirmation does
    not count again), a Swedish confirmation; the same with JavaScript off."""
    for js in (True, False):
        context = browser.new_context(base_url=server, locale="sv-SE", java_script_enabled=js)
        pg = context.new_page()
        pg.goto("/")
        fill_nora(pg)
        pg.click("#skicka")
        pg.wait_for_selector("#registrera")
        boxes = pg.locator(".registrera input[type=checkbox]")
        assert boxes.count() >= 2
        assert not boxes.first.is_checked()  # ticked by the user, never in advance
        boxes.first.check()
        pg.click("#registrera")
        pg.wait_for_selector("#registrering-svar")
        text = pg.locator("#registrering-svar").inner_text()
        assert text.startswith("Registrerat i uppföljningen för ") and text.endswith("Inget om familjen sparas."), text
        assert "kommun" not in pg.url and "overvikt" not in pg.url
        pg.reload()  # the browser posts the same form again: the token makes it count once
        assert "Registrerat i uppföljningen" in pg.locator("#registrering-svar").inner_text()
        context.close()
