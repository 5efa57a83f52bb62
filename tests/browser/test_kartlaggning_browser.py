"""/kartlaggning in a real Chromium at 1280 and 390 px: filters, views, the first column that
stays in place, cells that open to their insatser, counts per kommun, and axe-core."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from browser_support import run_axe

WIDTHS = {"dator": (1280, 900), "mobil": (390, 844)}


@pytest.fixture(params=list(WIDTHS))
def sized(request, browser, server):
    width, height = WIDTHS[request.param]
    context = browser.new_context(base_url=server, locale="sv-SE", viewport={"width": width, "height": height},
                                  is_mobile=width < 500, has_touch=width < 500, bypass_csp=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.size_name = request.param  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, errors


def _h3s(pg) -> list[str]:
    return pg.locator(".vy h3").all_inner_texts()


def test_filters_narrow_kommun_band_and_level(sized, artifacts):
    pg = sized
    pg.goto("/kartlaggning")
    # the whole län is an overview: a row per kommun, each linking to its cells
    assert pg.locator(".vy table.oversikt tbody tr").count() == 12 and _h3s(pg) == []
    pg.select_option("#f-kommun", label="Nora")
    pg.select_option("#f-alder", label="Väntar barn")
    pg.select_option("#f-niva", label="Selektiv")
    pg.click("button[type=submit]")
    pg.wait_for_load_state()
    query = parse_qs(urlparse(pg.url).query)
    assert query["kommun"] == ["1884"] and query["alder"] == ["vantar"] and query["niva"] == ["selektiv"]
    assert _h3s(pg) == ["Nora"]
    table = pg.locator(".vy table.coverage")
    assert table.locator("thead th").all_inner_texts() == ["Behov", "Väntar barn"]
    rows = table.locator("tbody th[scope=row]").all_inner_texts()
    assert rows and all(r.endswith("selektiv") for r in rows)
    # the choices stay selected, and the counts are for the selection
    assert pg.locator("#f-kommun").input_value() == "1884"
    counts = pg.locator(".antal-tabell tbody tr")
    assert counts.count() == 1 and counts.locator("th").inner_text() == "Nora"
    # an expecting parent separated in conflict: the rules recommend nothing – a gap
    row = table.locator("tbody tr", has_text="separerat")
    assert row.locator("td").get_attribute("data-status") == "gap"
    gaps = int(counts.locator("td").nth(1).inner_text())
    assert gaps == table.locator("td[data-status=gap]").count() >= 1
    pg.screenshot(path=str(artifacts / f"kartlaggning-filter-{pg.size_name}.png"), full_page=True)


def test_view_per_need_has_a_table_per_need_with_every_kommun(sized):
    pg = sized
    pg.goto("/kartlaggning")
    pg.select_option("#f-vy", label="Per behov")
    pg.select_option("#f-niva", label="Indikerad")
    pg.click("button[type=submit]")
    pg.wait_for_load_state()
    assert pg.locator("h2#vy-h").inner_text() == "Per behov"
    # an overview row per behov at that level; a behov's link opens its table with every kommun
    rows = pg.locator(".vy table.oversikt tbody tr")
    assert rows.count() >= 1
    rows.filter(has_text="psykisk ohälsa").first.locator("th a").click()
    pg.wait_for_load_state()
    assert parse_qs(urlparse(pg.url).query)["behov"]
    assert pg.locator("#f-behov").input_value() != ""
    titles = _h3s(pg)
    assert len(titles) == 1 and titles[0].endswith("indikerad nivå") and "psykisk ohälsa" in titles[0]
    first = pg.locator(".vy table.coverage").first
    assert first.locator("tbody tr").count() == 12
    assert first.locator("thead th").count() == 1 + 6


def test_first_column_stays_while_the_table_scrolls(sized, artifacts):
    pg = sized
    pg.goto("/kartlaggning?kommun=1880")
    region = pg.locator(".vy .tabell-rulla").first
    first_th = region.locator("tbody th[scope=row]").first
    last_td = region.locator("tbody tr").first.locator("td").last
    before_th, before_td = first_th.bounding_box(), last_td.bounding_box()
    scrollable = region.evaluate("el => el.scrollWidth - el.clientWidth")
    if pg.size_name == "mobil":
        assert scrollable > 0  # at 390 px the table is wider than the screen ...
        overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"sidan är {overflow} px för bred"  # ... but only the table scrolls
    region.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    pg.wait_for_timeout(100)
    after_th, after_td = first_th.bounding_box(), last_td.bounding_box()
    assert abs(after_th["x"] - before_th["x"]) < 1
    if scrollable > 0:
        assert after_td["x"] < before_td["x"] - min(scrollable, 20) + 1
        # the cells pass under the first column, which stays readable on top
        assert first_th.evaluate("el => getComputedStyle(el).position") == "sticky"
        assert first_th.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 255, 255)"
    pg.screenshot(path=str(artifacts / f"kartlaggning-rullad-{pg.size_name}.png"), full_page=False)


def test_a_cell_opens_to_its_insatser_with_basis_and_verified_date(sized, artifacts):
    pg = sized
    pg.goto("/kartlaggning?kommun=Nora&alder=0")
    row = pg.locator(".vy table.coverage tbody tr", has_text="Inget särskilt behov")
    cell = row.locator("td").first
    assert cell.get_attribute("data-status") == "täckt"
    detail = cell.locator(".cell-detalj")
    assert not detail.is_visible()
    cell.locator("summary").click()
    assert detail.is_visible()
    text = detail.inner_text()
    assert "Barnavårdscentral (BVC): finns (antagande: presentationen 2022 listar insatsen för norra länsdelen)" in text
    assert "inte kontrollerad" in text and "Nivå: universell" in text
    box = detail.bounding_box()
    assert box["width"] > 100 and box["height"] > 20
    # keyboard: the summary is focusable and toggles with Enter
    summary = cell.locator("summary")
    summary.focus()
    pg.keyboard.press("Enter")
    assert not detail.is_visible()
    pg.keyboard.press("Enter")
    assert detail.is_visible()
    # an okänd cell says what is not known
    other = pg.goto("/kartlaggning?kommun=Örebro&alder=0")
    assert other.status == 200
    okand = pg.locator(".vy table.coverage tbody tr", has_text="Inget särskilt behov").locator("td").first
    assert okand.get_attribute("data-status") == "okänd"
    okand.locator("summary").click()
    assert "Barnavårdscentral (BVC): okänd" in okand.locator(".cell-detalj").inner_text()
    violations = run_axe(pg)
    (artifacts / f"axe-kartlaggning-cell-{pg.size_name}.json").write_text(
        json.dumps(violations, indent=2, ensure_ascii=False))
    pg.screenshot(path=str(artifacts / f"kartlaggning-cell-{pg.size_name}.png"), full_page=False)
    assert violations == [], violations


def test_whole_page_heatmap_counts_and_axe(page, artifacts):
    """Every kommun, band and need at once (axe on ~1100 cells takes a while: once, at 1280 px;
    the other tests run axe at both widths on a selection)."""
    pg = page
    pg.size_name = "dator"  # type: ignore[attr-defined]
    pg.goto("/kartlaggning")
    pg.wait_for_function("document.querySelector('img.heatmap').complete")
    assert pg.evaluate("document.querySelector('img.heatmap').naturalWidth") > 500
    counts = pg.locator(".antal-tabell tbody tr")
    assert counts.count() == 12
    # the overview counts every status somewhere in the län, and a square links to its cells
    for cls in ("tackt", "gap", "okand"):
        numbers = pg.locator(f".oversikt .antal-{cls}").all_inner_texts()
        assert any(int(t.split()[-1]) > 0 for t in numbers), cls
    size = pg.evaluate("performance.getEntriesByType('navigation')[0].transferSize || document.documentElement.outerHTML.length")
    assert size < 120_000, size
    assert pg.locator(".anmarkningar h2").inner_text().startswith("Anmärkningar")
    violations = run_axe(pg)
    (artifacts / f"axe-kartlaggning-{pg.size_name}.json").write_text(json.dumps(violations, indent=2, ensure_ascii=False))
    pg.screenshot(path=str(artifacts / f"web-kartlaggning-{pg.size_name}.png"), full_page=False)
    assert violations == [], violations
