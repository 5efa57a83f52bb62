"""The staff pages without a browser: what the server renders, and the living documentation."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine import load_pack
from service.pages import strategi
from service.app import create_app

MINI = Path(__file__).parent / "packs" / "mini"

FEATURE = """# language: sv
@strategi-avsnitt-4
Egenskap: Universellt stöd för alla
  Alla föräldrar erbjuds stöd.

  Bakgrund:
    Givet regelpaketet för Örebro län

  @strategi-avsnitt-4-2
  Scenario: Ett barn på 8 år i Nora
    Givet en familj i "Nora" med ett barn som är 8 år
    När rekommendationerna hämtas
    Så finns "abc" på nivån "universell"

  Scenariomall: Barn på <år> år
    Givet ett barn som är <år> år
    Så finns "bvc" på nivån "universell"

    Exempel:
      | år |
      | 1  |
      | 2  |

  Scenario: Aldrig körd
    Givet något
"""


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(MINI)) as c:
        yield c


def test_index_renders_form_from_the_pack(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="sv">' in html and 'href="#innehall"' in html and '<main id="innehall"' in html
    pack = load_pack(MINI)
    options = re.findall(r'<option value="(\d{4})">([^<]+)</option>', html)
    assert sorted(options, key=lambda o: o[1]) == options
    assert dict(options) == {k.code: k.name for k in pack.kommuner.values()}
    for need in pack.needs.values():
        assert f'<label for="behov-{need.code}">{need.label}</label>' in html
    assert 'id="inaktuell" class="inaktuell-notis" role="status" hidden' in html
    # the only HTML app.js puts in the page is the answer the server rendered (and escaped)
    script = client.get("/static/app.js").text
    assert script.count("innerHTML") == 1 and "result.innerHTML = html;" in script


def test_pages_send_no_inline_script_and_a_strict_csp(client):
    for path in ("/", "/kartlaggning", "/strategi"):
        r = client.get(path)
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert "<style" not in r.text and not re.search(r"<script(?![^>]*\bsrc=)", r.text)


def test_static_files_and_no_escape_from_static_dir(client):
    assert client.get("/static/style.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/..%2Fweb.py").status_code == 404
    assert client.get("/static/nope.css").status_code == 404


def test_kartlaggning_table_and_png(client):
    html = client.get("/kartlaggning").text
    counts = html.split('<table class="antal-tabell">')[1].split("</table>")[0]
    assert counts.count('<th scope="row"') == 3  # one row per kommun of the mini pack
    # the whole län is an overview, a row per kommun linking to its cells (issue 18 item 17)
    assert html.count('<section class="vy-del"') == 0 and html.count('<tr data-kommun="') == 3
    assert client.get("/kartlaggning", params={"kommun": "1884"}).text.count('<section class="vy-del"') == 1
    assert "Inget universellt stöd för barn 12 år 1 mån – 18 år" in html
    one = client.get("/kartlaggning", params={"kommun": "Nora", "alder": "0", "niva": "universell"}).text
    assert one.count('<section class="vy-del"') == 1 and '<option value="1884" selected>' in one
    csv_body = client.get("/kartlaggning.csv")
    assert csv_body.headers["content-type"].startswith("text/csv")
    assert csv_body.text.splitlines()[0] == "kommun,kommunkod,aldersband,behov,niva,status,insatser,grund,gap_orsak"
    png = client.get("/kartlaggning.png")
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"


def test_names_from_the_pack_are_escaped(tmp_path):
    import shutil

    d = tmp_path / "p"
    shutil.copytree(MINI, d)
    k = d / "kommuner.yaml"
    k.write_text(k.read_text(encoding="utf-8") + '  - {code: "1885", name: "Nora<script>x</script>"}\n',
                 encoding="utf-8")
    with TestClient(create_app(d)) as c:
        for path in ("/", "/kartlaggning"):
            text = c.get(path).text
            assert "<script>x</script>" not in text and "Nora&lt;script&gt;" in text


@pytest.fixture
def features(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "features"
    d.mkdir()
    (d / "universell.feature").write_text(FEATURE, encoding="utf-8")
    (d / "trasig.feature").write_text("# language: sv\nEgenskap: X\n  Scenario: a\n    Givet x\n      \"\"\"\n      ej stängd\n",
                                      encoding="utf-8")
    monkeypatch.setenv("FORALDRASTOD_FEATURES_DIR", str(d))
    monkeypatch.setenv("FORALDRASTOD_FEATURE_RESULTS", str(tmp_path / "saknas.json"))
    monkeypatch.setenv("FORALDRASTOD_STRATEGI_KOR", "0")  # these tests read results files (see test_web_strategi_runs)
    return d


def write_results(tmp_path: Path, monkeypatch, scenarios: list[dict]) -> None:
    path = tmp_path / "res.json"
    path.write_text(json.dumps({"generated": "2025-06-01T10:00:00", "ruleset": {"name": "orebro-lan", "version": "9"},
                                "scenarios": scenarios}), encoding="utf-8")
    monkeypatch.setenv("FORALDRASTOD_FEATURE_RESULTS", str(path))


def test_living_documentation_parses_swedish_gherkin(features):
    docs, results = strategi.living_documentation()
    feat = next(f for f in docs if f.file == "universell.feature")
    assert feat.name == "Universellt stöd för alla" and feat.sections == ["avsnitt 4"]
    assert [s.text for s in feat.background] == ["regelpaketet för Örebro län"]
    names = [s.name for s in feat.scenarios]
    assert names == ["Ett barn på 8 år i Nora", "Barn på <år> år", "Aldrig körd"]
    assert feat.scenarios[0].sections == ["avsnitt 4", "avsnitt 4.2"]
    assert feat.scenarios[0].steps[1].keyword == "När"
    assert feat.scenarios[1].examples == [[["år"], ["1"], ["2"]]]
    assert all(s.status is None for s in feat.scenarios)  # no results file: inte körd
    broken = next(f for f in docs if f.file == "trasig.feature")
    assert broken.error


def test_results_are_matched_to_scenarios(features, tmp_path, monkeypatch):
    write_results(tmp_path, monkeypatch, [
        {"feature": "Universellt stöd för alla", "file": "features/universell.feature",
         "scenario": "Ett barn på 8 år i Nora", "tags": ["strategi-avsnitt-4"], "status": "passed"},
        {"feature": "Universellt stöd för alla", "file": "features/universell.feature",
         "scenario": "Barn på 1 år", "tags": [], "status": "passed"},
        {"feature": "Universellt stöd för alla", "file": "features/universell.feature",
         "scenario": "Barn på 2 år", "tags": [], "status": "failed"},
    ])
    docs, results = strategi.living_documentation()
    feat = next(f for f in docs if f.file == "universell.feature")
    assert [(s.status, s.runs) for s in feat.scenarios] == [("passed", 1), ("failed", 2), (None, 0)]
    assert results.ruleset == {"name": "orebro-lan", "version": "9"}


def test_strategi_page(client, features, tmp_path, monkeypatch):
    html = client.get("/strategi").text
    assert "Universellt stöd för alla" in html and "Strategin, avsnitt 4" in html
    assert "inte körd" in html and "ingen resultatfil" in html
    write_results(tmp_path, monkeypatch, [
        {"feature": "Universellt stöd för alla", "file": "universell.feature",
         "scenario": "Ett barn på 8 år i Nora", "tags": [], "status": "passed"}])
    html = client.get("/strategi").text
    assert re.search(r"Ett barn på 8 år i Nora <span class=\"resultat resultat-godkand\">godkänd</span>", html)
    assert "Strategin, avsnitt 4.2" in html
    assert "Senaste körning 1 juni 2025 kl. 10.00 mot regelpaket orebro-lan 9" in html
    assert "Filen kunde inte tolkas" in html
    # counted as `foraldrastod test` counts: the outline's two example rows are two scenarios
    assert "4 scenarier – godkända: 1, underkända: 0, inte körda: 3." in html
    assert '<nav class="innehall" aria-labelledby="innehall-rubrik">' in html
    assert '<a href="#egenskap-' in html


def test_unreadable_results_file_is_reported(features, tmp_path, monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text("{inte json", encoding="utf-8")
    monkeypatch.setenv("FORALDRASTOD_FEATURE_RESULTS", str(bad))
    assert strategi.load_results().error


def test_tags_name_strategy_parts_and_other_sources():
    tags = ["@strategi-avsnitt-4", "@strategi-malomrade-2", "@socialtjanstlagen", "@presentation-nasta-steg"]
    assert strategi.strategy_sections(tags) == ["avsnitt 4", "målområde 2"]
    assert strategi.other_sources(tags) == ["Socialtjänstlagen", "Presentationen 2022: nasta steg"]


def test_outline_results_with_unused_example_values_are_matched(features, tmp_path, monkeypatch):
    write_results(tmp_path, monkeypatch, [
        {"feature": "Universellt stöd för alla", "file": "universell.feature",
         "scenario": "Barn på 1 år (kommun: Nora)", "tags": [], "status": "passed"}])
    docs, _ = strategi.living_documentation()
    feat = next(f for f in docs if f.file == "universell.feature")
    assert (feat.scenarios[1].status, feat.scenarios[1].runs) == ("passed", 1)
    assert feat.scenarios[2].status is None


def test_strategi_counts_scenarios_as_the_test_command_does(client, monkeypatch):
    """The page's total is the number of scenarios pytest-bdd runs for `foraldrastod test`."""
    monkeypatch.setenv("FORALDRASTOD_STRATEGI_KOR", "0")
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-m", "pytest", "features", "--collect-only", "-q", "-p",
                          "no:cacheprovider"], cwd=root, capture_output=True, text=True, timeout=300).stdout
    collected = sum(1 for line in out.splitlines() if "::" in line)
    assert collected > 40
    html = client.get("/strategi").text
    assert f"{collected} scenarier – godkända:" in html

def test_kartlaggning_leaves_out_needs_that_cannot_arise_in_the_chosen_ages():
    with TestClient(create_app()) as c:
        html = c.get("/kartlaggning", params={"kommun": "Nora", "alder": "vantar"}).text.split('id="vy-h"')[1]
        assert "Föräldrarna har separerat" in html and "Barnet skolkar" not in html
        assert "Barnet skolkar" in c.get("/kartlaggning", params={"kommun": "Nora", "alder": "6-12"}).text.split(
            'id="vy-h"')[1]
        per_need = c.get("/kartlaggning", params={"vy": "behov", "alder": "vantar"}).text
        assert "Barnet har övervikt eller fetma" not in per_need.split('id="vy-h"')[1]
