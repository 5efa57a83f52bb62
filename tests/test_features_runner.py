"""`foraldrastod test`: the Swedish summary and the exit code of service.cli.features."""
from __future__ import annotations

import argparse
from pathlib import Path

from service.cli import features as features_runner

ROOT = Path(__file__).resolve().parent.parent


def test_summary_counts_per_feature_and_names_failures():
    body = {"scenarios": [
        {"feature": "B", "file": "features/b.feature", "scenario": "ett", "tags": [], "status": "passed"},
        {"feature": "A", "file": "features/a.feature", "scenario": "två", "tags": [], "status": "failed",
         "message": "insatsen 'bvc' rekommenderas inte"},
        {"feature": "A", "file": "features/a.feature", "scenario": "tre", "tags": [], "status": "passed"},
    ]}
    lines, passed, failed = features_runner.summarize(body)
    assert (passed, failed) == (2, 1)
    assert lines[0] == "✗ A (features/a.feature): 1 av 2 godkända"
    assert lines[1] == "    underkänt: två – insatsen 'bvc' rekommenderas inte"
    assert lines[2] == "✓ B (features/b.feature): 1 av 1 godkända"


def test_mini_pack_fails_with_a_swedish_summary(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("FORALDRASTOD_FEATURE_RESULTS", str(tmp_path / "r.json"))
    args = argparse.Namespace(rules=str(ROOT / "tests" / "packs" / "mini"), extra=["-k", "familjecentral"])
    assert features_runner.main(args) == 1
    out = capsys.readouterr().out
    assert "Regelpaket: mini" in out
    assert "underkänt: Blivande föräldrar hänvisas till familjecentralen" in out
    assert "Underkända: 0" not in out


def test_default_pack_passes(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("FORALDRASTOD_FEATURE_RESULTS", str(tmp_path / "r.json"))
    args = argparse.Namespace(rules=None, extra=["-k", "skydd or familjecentral"])
    assert features_runner.main(args) == 0
    out = capsys.readouterr().out
    assert "Alla scenarier är godkända." in out
    assert (tmp_path / "r.json").exists()
