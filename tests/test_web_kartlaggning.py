"""/kartlaggning small and fast (issue 18 item 17): the whole län as an overview (counts per
kommun or behov and åldersband, each linking to its detail), every cell with its insatser only
for one kommun or one behov; no JavaScript needed. A covered cell says whether a source, the
kommun or an assumption covers it, a gap says why; the page's date is the data's (item 8)."""
from __future__ import annotations

import datetime as dt
import html
import re
import time

import pytest
from fastapi.testclient import TestClient

from engine import load_pack
from engine.coverage import CellStatus, compute_coverage
from service.app import create_app


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def test_whole_lan_is_an_overview_that_links_to_each_kommun(client):
    client.get("/kartlaggning")
    started = time.perf_counter()
    r = client.get("/kartlaggning")
    took = time.perf_counter() - started
    assert r.status_code == 200
    assert len(r.content) < 120_000, len(r.content)  # was 600 KB
    assert took < 2.0
    assert 'class="cell-detalj"' not in r.text  # no cell details for the whole län
    pack = load_pack()
    for code in pack.kommuner:
        assert f'href="/kartlaggning?kommun={code}' in r.text
    per_need = client.get("/kartlaggning", params={"vy": "behov"})
    assert len(per_need.content) < 120_000 and 'class="cell-detalj"' not in per_need.text
    assert 'href="/kartlaggning?vy=behov&amp;behov=overvikt_fetma' in per_need.text


def test_overview_counts_match_the_matrix(client):
    m = compute_coverage(load_pack())
    text = client.get("/kartlaggning").text
    row = text[text.index('data-kommun="1884"'):]
    row = row[: row.index("</tr>")]
    for band in m.bands:
        cells = [c for c in m.cells.values() if c.kommun == "1884" and c.band == band.key]
        n = sum(c.status is CellStatus.tackt for c in cells)
        assert f'data-band="{band.key}" data-tackt="{n}"' in row


def test_one_need_shows_every_kommun_cell_by_cell(client):
    r = client.get("/kartlaggning", params={"vy": "behov", "behov": "overvikt_fetma"})
    assert r.status_code == 200
    assert r.text.count('<section class="vy-del"') == 1
    table = r.text[r.text.index('<table class="coverage"'):]
    table = table[: table.index("</table>")]
    assert table.count('<th scope="row"') == 12 and 'class="cell-detalj"' in table
    assert '<option value="overvikt_fetma" selected>' in r.text


def test_cells_say_on_what_they_rest_and_why_a_gap(client):
    r = client.get("/kartlaggning", params={"kommun": "1884"})
    m = compute_coverage(load_pack())
    cells = re.findall(r'<td class="cell [^"]*" data-status="([^"]+)" data-grund="([^"]*)"', r.text)
    nora = [c for c in m.rows() if c.kommun == "1884"]
    assert sorted(cells) == sorted((c.status.value, c.basis or c.gap_reason) for c in nora)
    assert "täckt genom antagande" in html.unescape(r.text).lower()
    if any(c.gap_reason == "inget_rekommenderas" for c in nora):
        assert "Gap: reglerna rekommenderar ingen insats här." in r.text


def test_the_date_is_the_datas_not_today(client):
    text = html.unescape(re.sub(r"<[^>]+>", "", client.get("/kartlaggning").text))
    intro = text[text.index("Kartläggning: var finns"):text.index("Så räknas en cell")]
    assert dt.date.today().isoformat() not in intro
    assert "version 1" in intro or "utgåva" in intro
