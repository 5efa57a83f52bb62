"""engine/lint.py: findings on rule packs that are valid but probably not meant."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from engine import load_pack
from engine.lint import lint_pack, months_text

MINI = Path(__file__).parent / "packs" / "mini"
DAY = dt.date(2025, 6, 1)
SRC = {"document": "strategi", "section": "4"}


@pytest.fixture
def pack_dir(tmp_path) -> Path:
    d = tmp_path / "p"
    shutil.copytree(MINI, d)
    return d


def add_rules(pack_dir: Path, *rules: dict) -> None:
    path = pack_dir / "regler" / "alla.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["rules"].extend(rules)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def kinds(findings) -> list[str]:
    return [f.kind for f in findings]


def test_mini_pack_findings():
    findings = lint_pack(load_pack(MINI), DAY)
    gaps = [f for f in findings if f.kind == "universellt-stod-saknas"]
    # ABC ends at 144 months; nothing universal after 12 år
    assert [f.message for f in gaps] == [
        "Inget universellt stöd för barn 12 år 1 mån – 18 år (145–216 mån) i alla kommuner."]
    # biff-konflikt and nora-extra reach BIFF through different needs: deliberate, not reported
    assert "overlappande-regler" not in kinds(findings)


def test_duplicate_rule_is_reported_with_its_line(pack_dir):
    add_rules(pack_dir, {"id": "abc-igen", "level": "universell", "when": {"age_months": {"min": 100, "max": 120}},
                         "recommend": ["abc"], "rationale": "t", "source": SRC})
    findings = [f for f in lint_pack(load_pack(pack_dir), DAY) if f.kind == "overlappande-regler"]
    assert len(findings) == 1
    assert findings[0].rule_ids == ("abc-3-12", "abc-igen")
    assert findings[0].file == "regler/alla.yaml" and findings[0].line > 1


def test_disjoint_ages_or_kommuner_do_not_overlap(pack_dir):
    add_rules(pack_dir,
              {"id": "abc-sen", "level": "universell", "when": {"age_months": {"min": 145, "max": 160}},
               "recommend": ["abc"], "rationale": "t", "source": SRC},
              {"id": "biff-nora", "level": "selektiv", "when": {"kommuner": ["Nora"]},
               "recommend": ["familjebehandling-beslut"], "rationale": "t", "source": SRC},
              {"id": "biff-orebro", "level": "selektiv", "when": {"kommuner": ["Örebro"]},
               "recommend": ["familjebehandling-beslut"], "rationale": "t", "source": SRC})
    findings = lint_pack(load_pack(pack_dir), DAY)
    pairs = [f.rule_ids for f in findings if f.kind == "overlappande-regler"]
    assert ("abc-3-12", "abc-sen") not in pairs
    assert ("biff-nora", "biff-orebro") not in pairs
    # skydd (needs) and biff-nora (no needs) overlap for Nora
    assert ("skydd", "biff-nora") in pairs


def test_expired_future_and_age_mismatch(pack_dir):
    add_rules(pack_dir,
              {"id": "gammal", "level": "universell", "when": {"age_months": {"min": 0, "max": 12}},
               "recommend": ["bvc"], "rationale": "t", "source": SRC, "valid_to": "2024-12-31"},
              {"id": "framtida", "level": "selektiv", "when": {"needs_any": ["overvikt_fetma"]},
               "recommend": ["biff"], "rationale": "t", "source": SRC, "valid_from": "2027-01-01"},
              {"id": "fel-alder", "level": "universell", "when": {"age_months": {"min": 180, "max": 216}},
               "recommend": ["bvc"], "rationale": "t", "source": SRC})
    by_kind = {}
    for f in lint_pack(load_pack(pack_dir), DAY):
        by_kind.setdefault(f.kind, []).append(f)
    assert [f.rule_ids for f in by_kind["regel-upphord"]] == [("gammal",)]
    assert [f.rule_ids for f in by_kind["regel-ej-borjat"]] == [("framtida",)]
    assert [f.rule_ids for f in by_kind["alder-utanfor-insats"]] == [("fel-alder",)]
    # fel-alder makes 180–216 look covered by a universal rule; the gap is now 145–179
    gaps = [f.message for f in by_kind["universellt-stod-saknas"]]
    assert any("(145–179 mån)" in g for g in gaps), gaps


def test_insats_never_recommended_and_unused_need(pack_dir):
    ins = pack_dir / "insatser.yaml"
    data = yaml.safe_load(ins.read_text(encoding="utf-8"))
    data["insatser"].append({"id": "glomd", "name": "Glömd insats", "level": "selektiv", "source": SRC})
    ins.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    needs = pack_dir / "behov.yaml"
    data = yaml.safe_load(needs.read_text(encoding="utf-8"))
    data["needs"].append({"code": "oanvand", "label": "Ett behov som ingen regel frågar efter"})
    needs.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    findings = lint_pack(load_pack(pack_dir), DAY)
    never = [f for f in findings if f.kind == "insats-aldrig-rekommenderad"]
    assert [f.message for f in never] == ["Insatsen Glömd insats (glomd) rekommenderas inte av någon gällande regel."]
    assert never[0].file == "insatser.yaml"
    assert [f.kind for f in findings if "oanvand" in f.message] == ["behov-oanvant"]


def test_universal_gaps_per_kommun_and_expecting(pack_dir):
    regler = pack_dir / "regler" / "alla.yaml"
    data = yaml.safe_load(regler.read_text(encoding="utf-8"))
    for r in data["rules"]:
        if r["id"] == "mvc-vantar":
            r["when"]["kommuner"] = ["Nora"]
    regler.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    gaps = [f.message for f in lint_pack(load_pack(pack_dir), DAY) if f.kind == "universellt-stod-saknas"]
    assert "Inget universellt stöd för blivande föräldrar i Örebro, Hällefors." in gaps


def test_default_pack_covers_every_month_universally():
    """The Örebro län pack has universal support from pregnancy to 18 år in every kommun."""
    findings = lint_pack(load_pack())
    assert [f for f in findings if f.kind == "universellt-stod-saknas"] == []


@pytest.mark.parametrize(("months", "text"), [(0, "0 mån"), (5, "5 mån"), (12, "1 år"), (18, "1 år 6 mån"),
                                              (216, "18 år")])
def test_months_text(months, text):
    assert months_text(months) == text
