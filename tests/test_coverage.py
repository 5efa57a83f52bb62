"""Kartläggning: engine/coverage.py and `foraldrastod coverage` (text, csv, html, png).

The unit is kommun × åldersband × behov (and "inget behov"); täckt / gap / okänd."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import shutil
import struct
from pathlib import Path

import pytest
import yaml

from engine import load_pack
from engine.coverage import AGE_BANDS, NO_NEED, CellStatus, compute_coverage, rule_reaches_band, rule_serves
from engine.models import Rule
from service.pages import coverage as cov
from service.cli import main as cli_main

MINI = Path(__file__).parent / "packs" / "mini"
ORE_KOMMUNER = {
    "1814": "Lekeberg", "1860": "Laxå", "1861": "Hallsberg", "1862": "Degerfors", "1863": "Hällefors",
    "1864": "Ljusnarsberg", "1880": "Örebro", "1881": "Kumla", "1882": "Askersund", "1883": "Karlskoga",
    "1884": "Nora", "1885": "Lindesberg",
}
DAY = dt.date(2025, 6, 1)
TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def twelve(tmp_path) -> Path:
    """The mini pack with all 12 kommuner of Örebro län."""
    pack = tmp_path / "tolv"
    shutil.copytree(MINI, pack)
    (pack / "kommuner.yaml").write_text(yaml.safe_dump(
        {"kommuner": [{"code": c, "name": n} for c, n in ORE_KOMMUNER.items()]}, allow_unicode=True),
        encoding="utf-8")
    return pack


def rule(**when) -> Rule:
    return Rule.model_validate({"id": "r", "level": "universell", "when": when, "recommend": ["x"],
                                "rationale": "t", "source": {"document": "d", "section": "1"}})


def test_bands_are_whole_years_and_cover_every_month_once():
    months = [m for b in AGE_BANDS if not b.expecting for m in range(b.min, b.max + 1)]
    assert months == list(range(0, 217))
    assert [b.expecting for b in AGE_BANDS].count(True) == 1
    assert next(b for b in AGE_BANDS if b.key == "6-12").max == 155  # twelve-year-olds until 13


@pytest.mark.parametrize(("when", "band", "expected"), [
    ({"age_months": {"min": 0, "max": 83}}, "6-12", True),    # BVC 0–6 år reaches six-year-olds
    ({"age_months": {"min": 0, "max": 71}}, "6-12", False),
    ({"age_months": {"min": 0, "max": 18}}, "1-2", True),
    ({"age_months": {"min": 0, "max": 216}}, "vantar", False),
    ({"expecting": True}, "vantar", True),
    ({"expecting": True}, "0", False),
    ({}, "vantar", True),
    ({}, "13-18", True),
])
def test_rule_reaches_band(when, band, expected):
    b = next(x for x in AGE_BANDS if x.key == band)
    assert rule_reaches_band(rule(**when), b) is expected


@pytest.mark.parametrize(("when", "need", "expected"), [
    ({}, NO_NEED, True),
    ({"needs_any": ["a"]}, NO_NEED, False),
    ({"needs_any": ["a", "b"]}, "a", True),
    ({"needs_all": ["a"]}, "a", True),
    ({"needs_all": ["a", "b"]}, "a", False),  # needs another need too
    ({"needs_any": ["b"]}, "a", False),
])
def test_rule_serves_a_need_alone(when, need, expected):
    assert rule_serves(rule(**when), need) is expected


def test_mini_cells_follow_availability():
    m = compute_coverage(load_pack(MINI), DAY)
    # 3 kommuner × 6 bands × (inget behov + 3 needs)
    assert len(m.cells) == 3 * 6 * 4
    nora = m.cell("1884", "1-2", NO_NEED)
    assert nora.status is CellStatus.tackt and nora.insats_ids == ("bvc",)
    assert nora.insatser[0].basis.value == "källa"  # v1 entries with a source
    # Hällefors 6–12 år: ABC saknas there, but BVC (0..72 in the mini pack) is not known: okänd
    hf = m.cell("1863", "6-12", NO_NEED)
    assert hf.status is CellStatus.okand and hf.insats_ids == ("bvc", "abc")
    assert [i.availability.value for i in hf.insatser] == ["okänd", "saknas"]
    # the mini pack reads ABC 3–12 as 36..144: nothing universal at 13–18 år is a gap too
    empty = m.cell("1880", "13-18", NO_NEED)
    assert empty.status is CellStatus.gap and empty.insatser == ()
    # no availability data for Örebro: okänd
    assert m.cell("1880", "0", NO_NEED).status is CellStatus.okand
    # needs: the rule for that need alone, with its level
    biff = m.cell("1880", "6-12", "foraldrar_separerade_konflikt")
    assert biff.insats_ids == ("biff",) and biff.level.value == "selektiv"
    assert m.cell("1880", "vantar", "foraldrar_separerade_konflikt").status is CellStatus.gap  # 0–216 mån
    assert m.cell("1880", "vantar", "overvikt_fetma").insats_ids == ("overvikt-fetma",)  # no age condition
    assert m.cell("1880", "6-12", "vald_eller_omsorgssvikt").level.value == "indikerad"


def test_kommun_restricted_and_expired_rules(twelve):
    regler = twelve / "regler" / "alla.yaml"
    data = yaml.safe_load(regler.read_text(encoding="utf-8"))
    data["rules"].append({"id": "bara-nora", "level": "indikerad",
                          "when": {"kommuner": ["Nora"], "needs_any": ["vald_eller_omsorgssvikt"]},
                          "recommend": ["abc"], "rationale": "t", "source": {"document": "strategi", "section": "4"},
                          "valid_to": "2025-12-31"})
    regler.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    pack = load_pack(twelve)
    m = compute_coverage(pack, DAY)
    assert "abc" in m.cell("1884", "0", "vald_eller_omsorgssvikt").insats_ids
    assert "abc" not in m.cell("1880", "0", "vald_eller_omsorgssvikt").insats_ids
    later = compute_coverage(pack, dt.date(2026, 1, 1))
    assert "abc" not in later.cell("1884", "0", "vald_eller_omsorgssvikt").insats_ids


# --------------------------------------------------------------------------- the Örebro pack
@pytest.fixture(scope="module")
def orebro():
    return compute_coverage(load_pack(), TODAY)


def test_orebro_shows_gaps_and_unknowns_where_the_data_says_so(orebro):
    counts = orebro.counts()
    assert counts[CellStatus.gap] > 0 and counts[CellStatus.okand] > 0 and counts[CellStatus.tackt] > 0
    # nothing is known outside norra länsdelen about universal support: okänd, not täckt
    assert orebro.cell("1880", "0", NO_NEED).status is CellStatus.okand
    # norra länsdelen: täckt, on the 2022 slide (an antagande)
    nora = orebro.cell("1884", "0", NO_NEED)
    assert nora.status is CellStatus.tackt
    bvc = next(i for i in nora.insatser if i.insats == "bvc")
    assert bvc.basis.value == "antagande" and "norra länsdelen" in bvc.reason
    # an expecting parent separated in conflict: no rule recommends anything – a gap everywhere
    for code in ORE_KOMMUNER:
        assert orebro.cell(code, "vantar", "foraldrar_separerade_konflikt").status is CellStatus.gap
    # the child's needs do not exist before birth; skolk not before school age
    assert orebro.cell("1884", "vantar", "overvikt_fetma") is None
    assert orebro.cell("1884", "3-5", "skolk") is None and orebro.cell("1884", "6-12", "skolk") is not None


def test_a_kommun_report_of_saknas_makes_a_gap(tmp_path):
    pack = tmp_path / "p"
    shutil.copytree(load_pack().directory, pack)
    (pack / "tillganglighet-kommuner.yaml").write_text(
        "entries:\n  - {kommun: Nora, insats: biff, status: saknas, verified: 2026-11-01}\n", encoding="utf-8")
    m = compute_coverage(load_pack(pack), TODAY)
    cell = m.cell("1884", "6-12", "foraldrar_separerade_konflikt")
    assert cell.status is CellStatus.gap and cell.insats_ids == ("biff",)
    assert cell.insatser[0].basis.value == "kommunens uppgift"
    assert cell.insatser[0].verified == dt.date(2026, 11, 1)


def test_after_the_strategy_period_most_cells_are_gaps():
    later = compute_coverage(load_pack(), dt.date(2031, 6, 1))
    assert later.cell("1884", "13-18", NO_NEED).status is CellStatus.gap  # ABC Tonår was strategy-bound
    assert later.cell("1884", "0", NO_NEED).insats_ids == ("foraldragrupp-mvc-bvc", "bvc")  # national programmes


# --------------------------------------------------------------------------- csv
def test_csv_as_contract_v2(capsys):
    assert cli_main(["coverage", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:7] == ["kommun", "kommunkod", "aldersband", "behov", "niva", "status", "insatser"]
    body = rows[1:]
    pack = load_pack()
    m = compute_coverage(pack)
    assert len(body) == len(m.cells)
    assert {r[1] for r in body} == set(ORE_KOMMUNER)
    assert {r[5] for r in body} == {"täckt", "gap", "okänd"}
    assert {r[3] for r in body} == {"", *pack.needs}
    assert {r[4] for r in body} <= {"universell", "selektiv", "indikerad"}
    nora_bvc = next(r for r in body if r[1] == "1884" and r[2] == "0 år" and r[3] == "")
    assert nora_bvc[0] == "Nora" and nora_bvc[4] == "universell" and nora_bvc[5] == "täckt"
    assert "bvc" in nora_bvc[6].split(";")
    assert all(r[6] == "" or all(i in pack.insatser for i in r[6].split(";")) for r in body)
    # one row per kommun × åldersband × behov
    assert len({(r[1], r[2], r[3]) for r in body}) == len(body)


# --------------------------------------------------------------------------- text, png, html
def test_text_counts_per_kommun_and_lists_gaps(twelve, capsys):
    rc = cli_main(["coverage", "--rules", str(twelve)])
    out = capsys.readouterr().out
    assert rc == 0
    m = compute_coverage(load_pack(twelve))
    for code, name in ORE_KOMMUNER.items():
        c = m.counts(code)
        line = next(ln for ln in out.splitlines() if ln.startswith(name + " "))
        assert line.split()[1:] == [str(c[CellStatus.tackt]), str(c[CellStatus.gap]), str(c[CellStatus.okand])]
    assert "Gap (" in out and "Hällefors, 13–18 år, Inget särskilt behov (universellt stöd): inget rekommenderas" in out


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_png_heatmap_written(twelve, tmp_path):
    out = tmp_path / "karta.png"
    args = argparse.Namespace(format="png", out=str(out), rules=str(twelve))
    assert cov.main(args) == 0
    data = out.read_bytes()
    width, height = png_size(data)
    assert width >= 1200 and height >= 600
    assert len(data) > 50_000


def test_png_shows_the_statuses_in_their_colours(twelve):
    from matplotlib import image

    pack = load_pack(twelve)
    pixels = image.imread(io.BytesIO(cov.png_bytes(compute_coverage(pack))))
    colours = {tuple(int(round(c * 255)) for c in px[:3]) for row in pixels[::4] for px in row[::4]}

    def rgb(hexcode):
        return tuple(int(hexcode[i:i + 2], 16) for i in (1, 3, 5))

    for status in CellStatus:
        assert rgb(cov.STATUS_COLOURS[status]) in colours, status


def test_html_is_standalone_with_details_per_cell(twelve, tmp_path):
    out = tmp_path / "karta.html"
    assert cli_main(["coverage", "--format", "html", "--out", str(out), "--rules", str(twelve)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and '<html lang="sv">' in page
    assert "<caption" in page and 'scope="row"' in page and "position: sticky" in page
    for name in ORE_KOMMUNER.values():
        assert f">{name}</h3>" in page
    m = compute_coverage(load_pack(twelve))
    assert page.count("<details><summary>") == len(m.cells)
    assert "Inget universellt stöd" in page  # the lint findings are there too


def test_invalid_pack_exits_1(tmp_path, capsys):
    (tmp_path / "pack.yaml").write_text("name: x\n", encoding="utf-8")
    assert cli_main(["coverage", "--rules", str(tmp_path)]) == 1
    assert "ogiltigt" in capsys.readouterr().err
