"""Kartläggning: engine/coverage.py and `foraldrastod coverage` (text, html, png)."""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import struct
from pathlib import Path

import pytest
import yaml

from engine import load_pack
from engine.coverage import AGE_BANDS, LEVELS, compute_coverage, rule_reaches_band
from engine.models import Availability, Level, Rule
from service import coverage as cov
from service.cli import main as cli_main

MINI = Path(__file__).parent / "packs" / "mini"
ORE_KOMMUNER = {
    "1814": "Lekeberg", "1860": "Laxå", "1861": "Hallsberg", "1862": "Degerfors", "1863": "Hällefors",
    "1864": "Ljusnarsberg", "1880": "Örebro", "1881": "Kumla", "1882": "Askersund", "1883": "Karlskoga",
    "1884": "Nora", "1885": "Lindesberg",
}
DAY = dt.date(2025, 6, 1)


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


def test_bands_cover_every_month_once():
    months = [m for b in AGE_BANDS if not b.expecting for m in range(b.min, b.max + 1)]
    assert months == list(range(0, 217))
    assert [b.expecting for b in AGE_BANDS].count(True) == 1


@pytest.mark.parametrize(("when", "band", "expected"), [
    ({"age_months": {"min": 0, "max": 72}}, "3-6", True),
    ({"age_months": {"min": 0, "max": 72}}, "6-13", False),   # ends on the 6th birthday only
    ({"age_months": {"min": 72, "max": 72}}, "6-13", True),   # a rule for exactly that month
    ({"age_months": {"min": 0, "max": 18}}, "1-3", True),
    ({"age_months": {"min": 0, "max": 216}}, "vantar", False),
    ({"expecting": True}, "vantar", True),
    ({"expecting": True}, "0-1", False),
    ({}, "vantar", True),
    ({}, "13-18", True),
])
def test_rule_reaches_band(when, band, expected):
    b = next(x for x in AGE_BANDS if x.key == band)
    assert rule_reaches_band(rule(**when), b) is expected


def test_mini_cells_follow_availability_and_levels():
    m = compute_coverage(load_pack(MINI), DAY)
    assert len(m.cells) == 3 * len(AGE_BANDS) * len(LEVELS)
    nora_small = m.cell("1884", "1-3", Level.universell)
    assert nora_small.status == Availability.finns and nora_small.available == ("bvc",)
    # 6–13 år universell in Hällefors: only ABC, marked saknas there
    assert m.cell("1863", "6-13", Level.universell).status == Availability.saknas
    assert m.cell("1863", "6-13", Level.universell).insatser == ("abc",)
    # 13–18 år: no universal rule at all
    assert m.cell("1880", "13-18", Level.universell).status == Availability.saknas
    assert m.cell("1880", "13-18", Level.universell).insatser == ()
    # no availability data for Örebro: okänd
    assert m.cell("1880", "0-1", Level.universell).status == Availability.okand
    # selective rules count whatever need they ask for
    assert "biff" in m.cell("1880", "6-13", Level.selektiv).insatser
    assert m.cell("1880", "vantar", Level.selektiv).insatser == ("overvikt-fetma",)  # biff is 0–216 mån
    assert m.cell("1880", "6-13", Level.indikerad).insatser == ("familjebehandling-beslut",)


def test_kommun_restricted_and_expired_rules(twelve):
    regler = twelve / "regler" / "alla.yaml"
    data = yaml.safe_load(regler.read_text(encoding="utf-8"))
    data["rules"].append({"id": "bara-nora", "level": "indikerad", "when": {"kommuner": ["Nora"]},
                          "recommend": ["abc"], "rationale": "t", "source": {"document": "strategi", "section": "4"},
                          "valid_to": "2025-12-31"})
    regler.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    pack = load_pack(twelve)
    m = compute_coverage(pack, DAY)
    assert "abc" in m.cell("1884", "0-1", Level.indikerad).insatser
    assert "abc" not in m.cell("1880", "0-1", Level.indikerad).insatser
    later = compute_coverage(pack, dt.date(2026, 1, 1))
    assert "abc" not in later.cell("1884", "0-1", Level.indikerad).insatser


def test_text_names_all_12_kommuner(twelve, capsys):
    rc = cli_main(["coverage", "--rules", str(twelve)])
    out = capsys.readouterr().out
    assert rc == 0
    for name in ORE_KOMMUNER.values():
        assert f"\n{name} " in out
    for band in AGE_BANDS:
        assert band.label in out
    assert "Summa: finns" in out


def test_text_rows_match_matrix():
    pack = load_pack(MINI)
    m = compute_coverage(pack)
    lines = cov.text_table(m).splitlines()
    nora = next(line for line in lines if line.startswith("Nora"))
    words = nora.replace("|", " ").split()[1:]
    expected = [cov.STATUS_TEXT[m.cell("1884", b.key, lv).status] for b, lv in m.columns()]
    assert words == expected


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
    assert len(data) > 50_000  # twelve labelled rows, 18 columns, a legend


def test_png_shows_the_statuses_in_their_colours(twelve):
    import io

    from matplotlib import image

    pack = load_pack(twelve)
    pixels = image.imread(io.BytesIO(cov.png_bytes(compute_coverage(pack))))
    colours = {tuple(int(round(c * 255)) for c in px[:3]) for row in pixels[::4] for px in row[::4]}

    def rgb(hexcode):
        return tuple(int(hexcode[i:i + 2], 16) for i in (1, 3, 5))

    for status in (Availability.finns, Availability.saknas, Availability.okand):
        assert rgb(cov.STATUS_COLOURS[status]) in colours, status


def test_html_is_standalone_and_accessible_table(twelve, tmp_path):
    out = tmp_path / "karta.html"
    assert cli_main(["coverage", "--format", "html", "--out", str(out), "--rules", str(twelve)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and '<html lang="sv">' in page
    assert "<caption>" in page and 'scope="row"' in page and 'scope="colgroup"' in page
    for name in ORE_KOMMUNER.values():
        assert f">{name}</th>" in page
    assert page.count("<td class=\"status-") == 12 * 18
    assert "Inget universellt stöd" in page  # the lint findings are there too


def test_invalid_pack_exits_1(tmp_path, capsys):
    (tmp_path / "pack.yaml").write_text("name: x\n", encoding="utf-8")
    assert cli_main(["coverage", "--rules", str(tmp_path)]) == 1
    assert "ogiltigt" in capsys.readouterr().err


def test_default_pack_has_all_kommuner_in_text(capsys):
    assert cli_main(["coverage"]) == 0
    out = capsys.readouterr().out
    pack = load_pack()
    assert len(pack.kommuner) == 12
    for k in pack.kommuner.values():
        assert f"\n{k.name} " in out
