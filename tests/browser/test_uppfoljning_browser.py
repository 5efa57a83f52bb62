"""The uppföljning's pages in Chromium: the län and one kommun, the map as inline SVG with a
<title> per kommun, the print view, the map's indicator chosen without JavaScript, and axe-core
clean on each."""
from __future__ import annotations

import json
import time

import httpx

from browser_support import run_axe

NORA = {"kommun": "Nora", "age_months": 8}
LAN = ["Askersund", "Degerfors", "Hallsberg", "Hällefors", "Karlskoga", "Kumla", "Laxå", "Lekeberg",
       "Lindesberg", "Ljusnarsberg", "Nora", "Örebro"]


def _register(server: str) -> None:
    """13 assessments in Nora: BVC offered in 10, familjecentral in all (so BVC's 3 is protected)."""
    with httpx.Client(base_url=server, timeout=30) as c:
        for i in range(13):
            offered = ["bvc", "familjecentral"] if i < 10 else ["familjecentral"]
            assert c.post("/v1/uppfoljning", json={**NORA, "erbjudna": offered}).status_code == 201
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # the worker flushes within a few seconds
            body = c.get("/v1/uppfoljning", params={"kommun": "1884"}).json()
            if body["celler"]:
                return
            time.sleep(0.3)
    raise AssertionError("registreringarna syntes inte i rapporten")


def _no_axe(pg, artifacts, name: str) -> None:
    violations = run_axe(pg)
    (artifacts / f"axe-{name}.json").write_text(json.dumps(violations, indent=2, ensure_ascii=False))
    assert violations == [], violations


def test_lan_page_map_has_a_title_per_kommun_and_axe(page, artifacts):
    pg = page
    pg.goto("/uppfoljning")
    assert pg.locator("h1").inner_text().startswith("Uppföljning ")
    titles = pg.locator("svg.karta path.kommun > title").all_text_contents()
    assert sorted(t.split(":")[0] for t in titles) == sorted(LAN)
    assert all("celler" in t for t in titles)  # the figure beside the name
    # the same figures in the table beside the map
    rows = pg.locator("table.karta-tabell tbody tr").all_inner_texts()
    assert len(rows) == 12
    nora = pg.locator("svg.karta path[data-kommunkod='1884'] > title").text_content()
    assert nora.split(": ", 1)[1] in pg.locator("table.karta-tabell tbody tr", has_text="Nora").inner_text()
    box = pg.locator("svg.karta").bounding_box()
    assert box["width"] > 200 and box["height"] > 200
    pg.screenshot(path=str(artifacts / "uppfoljning-lan.png"), full_page=True)
    _no_axe(pg, artifacts, "uppfoljning-lan")


def test_map_indicator_chosen_without_javascript(browser, server, artifacts):
    context = browser.new_context(base_url=server, locale="sv-SE", java_script_enabled=False,
                                  viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    try:
        pg.goto("/uppfoljning")
        pg.select_option("#u-karta", "familjecentral")
        pg.click("form.uppf-val button")
        pg.wait_for_url("**karta=familjecentral**")
        titles = pg.locator("svg.karta path.kommun > title").all_text_contents()
        assert len(titles) == 12 and all("familjecentral" in t for t in titles)
        legend = pg.locator(".karta-legend").inner_text()
        assert "minst en per kommun" in legend  # the legend says it in words, not by colour alone
    finally:
        context.close()


def test_kommun_page_registrations_protected_and_axe(page, server, artifacts):
    _register(server)
    pg = page
    pg.goto("/uppfoljning/1884")
    assert "Nora" in pg.locator("h1").inner_text()
    assert pg.locator("svg.karta path.vald[data-kommunkod='1884']").count() == 1
    table = pg.locator("table.registreringar", has_text="0 år")
    bvc = table.locator("tbody tr", has_text="BVC").first
    cells = bvc.locator("td").all_inner_texts()
    assert "skyddad" in cells and "3" not in cells and "10" not in cells
    assert pg.get_by_text("Ingen uppföljningsomgång är avslutad ännu").count() == 1
    pg.screenshot(path=str(artifacts / "uppfoljning-nora.png"), full_page=True)
    _no_axe(pg, artifacts, "uppfoljning-nora")


def test_print_view(page, artifacts):
    pg = page
    pg.goto("/uppfoljning/1884?utskrift=1")
    assert pg.locator("form.uppf-val").count() == 0 and pg.locator(".utskrift-info").count() == 1
    pg.emulate_media(media="print")
    assert not pg.locator(".site-header nav").is_visible()
    assert pg.locator("svg.karta path.kommun > title").count() == 12
    _no_axe(pg, artifacts, "uppfoljning-utskrift")

