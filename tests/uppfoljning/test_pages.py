"""/uppfoljning and /uppfoljning/{kommunkod} through the app on a real database: the map has a
<title> per kommun with its name, a protected cell never appears as a number on the page, its
print view or the CSV, the period two years earlier stands beside this one, the round's section
says there is none yet, an unknown kommunkod is a Swedish 404, and without a database the page
still shows what the pack knows."""
from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from service.uppfoljning import report

from .support import client, flush

NORA_8 = {"kommun": "Nora", "age_months": 8}
LAN = {"1814": "Lekeberg", "1860": "Laxå", "1861": "Hallsberg", "1862": "Degerfors", "1863": "Hällefors",
       "1864": "Ljusnarsberg", "1880": "Örebro", "1881": "Kumla", "1882": "Askersund", "1883": "Karlskoga",
       "1884": "Nora", "1885": "Lindesberg"}
THIS_YEAR = dt.date.today().year


class Cells(HTMLParser):
    """The registrations' table cells (td in table.registreringar) and every <title> in the map."""

    def __init__(self) -> None:
        super().__init__()
        self.tables = 0
        self.in_reg = False
        self.cell: list[str] | None = None
        self.cells: list[tuple[str, str]] = []  # (class, text)
        self.titles: dict[str, str] = {}
        self._path: str | None = None
        self._title: list[str] | None = None
        self._cls = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "registreringar" in (a.get("class") or ""):
            self.in_reg = True
        elif tag == "td" and self.in_reg:
            self.cell, self._cls = [], a.get("class") or ""
        elif tag == "path" and "kommun" in (a.get("class") or "").split():
            self._path = a.get("data-kommunkod")
        elif tag == "title" and self._path:
            self._title = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_reg = False
        elif tag == "td" and self.cell is not None:
            self.cells.append((self._cls, "".join(self.cell).strip()))
            self.cell = None
        elif tag == "title" and self._title is not None:
            self.titles[self._path] = "".join(self._title)
            self._title = None
        elif tag == "path":
            self._path = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self._title is not None:
            self._title.append(data)


def parse(html: str) -> Cells:
    p = Cells()
    p.feed(html)
    return p


def _thirteen_in_nora(c, date: str | None = None) -> None:
    """BVC offered to 10 of 13 (the 3 not offered is a protected cell; the 10 is protected too,
    or 13 − 10 would give it), familjecentral to all 13."""
    extra = {"date": date} if date else {}
    for i in range(13):
        offered = ["bvc", "familjecentral"] if i < 10 else ["familjecentral"]
        assert c.post("/v1/uppfoljning", json={**NORA_8, **extra, "erbjudna": offered}).status_code == 201


def test_lan_page_map_has_a_title_per_kommun(migrated):
    c = client()
    r = c.get("/uppfoljning")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = parse(r.text)
    assert set(page.titles) == set(LAN)
    for code, name in LAN.items():
        assert page.titles[code].startswith(f"{name}: ")
    assert '<svg class="karta' in r.text and "<a href=\"/uppfoljning\" aria-current=\"page\">Uppföljning</a>" in r.text
    # every indicator with its målområde and passage; the round's section says there is none yet
    for words in ("Familjecentral (minst en per kommun)", "Målområde", "Regional strategi för föräldraskapsstöd",
                  "Ingen uppföljningsomgång är avslutad ännu", "Täckt, gap och okänd per nivå och åldersband"):
        assert words in r.text, words
    assert f'href="/uppfoljning.csv?period={THIS_YEAR}"' in r.text
    assert f'href="/v1/uppfoljning?period={THIS_YEAR}"' in r.text


@pytest.mark.parametrize("choice, word", [("tackt", "täckta celler"), ("okand", "okända celler"),
                                          ("familjecentral", "familjecentral"),
                                          ("ej_tillgodosett", "inga registrerade bedömningar")])
def test_map_indicator_by_get_form(migrated, choice, word):
    page = parse(client().get("/uppfoljning", params={"karta": choice}).text)
    assert len(page.titles) == 12 and all(word in t for t in page.titles.values()), page.titles


def test_familjecentral_on_the_map_and_table_agree_with_the_pack(migrated):
    c = client()
    pack = c.app.state.engine_state.engine.pack
    html = c.get("/uppfoljning", params={"karta": "familjecentral"}).text
    titles = parse(html).titles
    for code in LAN:
        status = pack.availability_status(code, "familjecentral", dt.date.today()).value
        expected = {"finns": "familjecentral finns", "saknas": "familjecentral saknas"}.get(
            status, "okänt om familjecentral finns")
        assert titles[code].endswith(expected), (code, titles[code])


def test_protected_cells_never_appear_as_numbers(migrated, monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_UPPFOLJNING_K", "5")
    c = client()
    _thirteen_in_nora(c)
    flush(c)
    body = c.get("/v1/uppfoljning", params={"kommun": "1884"}).json()
    published = {str(x["antal"]) for x in body["celler"] if x["antal"] is not None}
    bvc = [x for x in body["celler"] if x["insats_id"] == "bvc"]
    assert bvc and all(x["skyddad"] for x in bvc)  # the 10 and the 3
    for params in ({}, {"utskrift": "1"}):
        html = c.get("/uppfoljning/1884", params=params).text
        cells = parse(html).cells
        assert cells, "no registration table"
        figures = {text for _cls, text in cells if re.fullmatch(r"\d+", text)}
        assert figures <= published | {"0"}, figures - published
        assert "10" not in figures and "3" not in figures
        assert sum(1 for cls, text in cells if "skyddad" in cls and text == "skyddad") == len(bvc)
        assert "13" in figures  # familjecentral offered to all 13: visible
    csv_text = c.get("/uppfoljning.csv", params={"kommun": "Nora"}).text
    assert csv_text == report.to_csv(body)
    lines = csv_text.splitlines()
    assert lines[0] == "period,kommun,kommunkod,aldersband,behov,niva,insats_id,utfall,antal"
    assert all(line.endswith(",") for line in lines[1:] if ",bvc," in line)
    lan_csv = c.get("/uppfoljning.csv").text
    assert [ln for ln in lan_csv.splitlines() if ",bvc," in ln] == [ln for ln in lines if ",bvc," in ln]


def test_this_period_beside_the_one_two_years_earlier(migrated):
    c = client()
    previous = THIS_YEAR - 2
    _thirteen_in_nora(c, date=f"{previous}-06-01")
    for _ in range(6):
        assert c.post("/v1/uppfoljning", json={**NORA_8, "erbjudna": ["familjecentral"]}).status_code == 201
    flush(c)
    html = c.get("/uppfoljning/1884").text
    assert f'data-period="{previous}"' in html and f'data-period="{THIS_YEAR}"' in html
    # familjecentral offered: 6 this period, 13 two years earlier, in the same row
    row = re.search(r"<th scope=\"row\">Familjecentral</th>(.*?)</tr>", html, re.S).group(1)
    values = re.findall(r'class="erbjuden[^"]*" data-period="(\d+)">([^<]+)<', row)
    assert values == [(str(THIS_YEAR), "6"), (str(previous), "13")]


def test_unknown_kommunkod_is_a_swedish_404(migrated):
    c = client()
    r = c.get("/uppfoljning/0000")
    assert r.status_code == 404
    assert "Det finns ingen kommun med den kommunkoden" in r.text and '<html lang="sv">' in r.text
    r = c.get("/uppfoljning/198112189876")
    assert r.status_code == 404 and "19811218" not in r.text
    assert c.get("/uppfoljning", params={"period": "tjugo"}).status_code == 422
    assert c.get("/uppfoljning.csv", params={"kommun": "Atlantis"}).status_code == 422


def test_without_a_database_the_page_shows_the_pack(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no var/foraldrastod.db here
    c = client()
    r = c.get("/uppfoljning/1880")
    assert r.status_code == 200
    assert "databas går inte att läsa" in r.text and "Familjecentral i kommunen" in r.text
    assert len(parse(r.text).titles) == 12
    assert c.get("/uppfoljning.csv").status_code == 503


def test_national_pack_draws_the_whole_country(tmp_path, monkeypatch):
    """The national test pack (bench/synthetic.py) with Sweden's kommunkoder: 290 shapes, each
    with its kommun's name."""
    from fastapi.testclient import TestClient

    from bench.uppfoljning import write_national_pack
    from service.app import create_app
    from service.uppfoljning import mapdata

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    directory = write_national_pack(tmp_path / "pack", n_rules=150)
    c = TestClient(create_app(directory))
    r = c.get("/uppfoljning", params={"karta": "familjecentral"})
    assert r.status_code == 200
    titles = parse(r.text).titles
    names = {code: k["namn"] for code, k in mapdata.load()["kommuner"].items()}
    assert set(titles) == set(names)
    assert all(titles[code].startswith(names[code]) for code in names)
    assert "viewBox" in r.text and len(r.content) < 600_000
