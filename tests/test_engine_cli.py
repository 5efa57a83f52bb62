"""The command line: recommend (--json is exactly the HTTP body) and Swedish errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from engine import DEFAULT_PACK, Engine, Family, decision_body

ROOT = Path(__file__).parent.parent


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_recommend_json_is_the_decision_body_and_lists_each_insats_once():
    out = _cli("recommend", "--kommun", "Nora", "--age-months", "96", "--need", "overvikt_fetma",
               "--need", "foraldrar_separerade_konflikt", "--json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    engine = Engine.load(DEFAULT_PACK, cache_size=0)
    try:
        expected = decision_body(engine.decide(Family(kommun="Nora", age_months=96,
                                                      needs=["overvikt_fetma", "foraldrar_separerade_konflikt"])))
    finally:
        engine.close()
    assert body == expected
    ids = [r["insats_id"] for r in body["recommendations"]]
    assert len(ids) == len(set(ids))
    assert {"abc", "overvikt-fetma", "biff"} <= set(ids)
    assert body["level"] == "selektiv"
    assert all(r["availability"] in ("finns", "saknas", "okänd") for r in body["recommendations"])


def test_recommend_readable_swedish_grouped_by_level():
    out = _cli("recommend", "--kommun", "hallefors", "--age-months", "40", "--need", "vald_eller_omsorgssvikt")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.index("VIKTIGT") < text.index("Universell nivå") < text.index("Indikerad nivå")
    assert "Källa:" in text


def test_recommend_bad_input_is_a_swedish_error():
    out = _cli("recommend", "--kommun", "Nora", "--age-months", "300")
    assert out.returncode == 2 and "Fel i --age-months: får vara högst 216" in out.stderr
    out = _cli("recommend", "--kommun", "Noraa", "--age-months", "3")
    assert out.returncode == 2 and "okänd kommun" in out.stderr and "nora" in out.stderr
    out = _cli("recommend", "--kommun", "Nora", "--age-months", "3", "--need", "okand_kod")
    assert out.returncode == 2 and "okänd behovskod" in out.stderr
