"""What a policy officer sees when a Gherkin feature is wrong (issue 12, item 4): an unknown tag
or step gets `fil:rad`, the allowed prefixes or the nearest steps, in Swedish; steps accept a
need's label or code and an insats' name or id, with 'menade du' on a miss."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import load_pack

ROOT = Path(__file__).resolve().parent.parent
HEAD = """# language: sv
Egenskap: Prov
  En egenskap för att pröva felmeddelandena.
"""


@pytest.fixture
def features(tmp_path) -> Path:
    """A features directory with the real step definitions and one feature file of our own."""
    d = tmp_path / "features"
    d.mkdir()
    shutil.copy(ROOT / "features" / "conftest.py", d / "conftest.py")
    shutil.copy(ROOT / "features" / "test_strategi.py", d / "test_strategi.py")
    return d


def run_test(features: Path, text: str) -> subprocess.CompletedProcess:
    (features / "prov.feature").write_text(HEAD + text, encoding="utf-8")
    env = {**os.environ, "FORALDRASTOD_FEATURES_DIR": str(features),
           "FORALDRASTOD_FEATURE_RESULTS": str(features / "resultat.json"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "service.cli", "test"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def line_of(features: Path, needle: str) -> int:
    lines = (features / "prov.feature").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_unknown_tag_names_file_line_prefixes_and_a_suggestion(features):
    r = run_test(features, """
  @strategy-avsnitt-4
  Scenario: Felstavad tagg
    Givet en familj i kommunen "Nora" med ett barn som är 8 månader
    När stödet bedöms
    Så rekommenderas insatsen "bvc"
""")
    assert r.returncode == 1
    line = line_of(features, "@strategy")
    first = next(ln for ln in r.stderr.splitlines() if ln.startswith("features/"))
    assert first.startswith(f"features/prov.feature:{line}: okänd tagg '@strategy-avsnitt-4' – menade du "
                            "'@strategi-avsnitt-4'? En tagg börjar med ett av prefixen ")
    for prefix in ("strategi", "presentation", "kontrakt", "socialtjanstlagen"):
        assert prefix in first
    assert "Traceback" not in r.stdout + r.stderr and "not found in `markers`" not in r.stdout + r.stderr


def test_every_source_document_of_the_pack_is_a_tag_prefix(features):
    docs = [d.id for d in load_pack().meta.sources]
    tags = " ".join(f"@{d}-prov" for d in docs)
    r = run_test(features, f"""
  {tags}
  Scenario: Taggar för varje källdokument
    Givet en familj i kommunen "Nora" med ett barn som är 8 månader
    När stödet bedöms
    Så rekommenderas insatsen "bvc"
""")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Antal scenarier: 1. Godkända: 1." in r.stdout


def test_unknown_step_names_file_line_and_nearest_steps(features):
    r = run_test(features, """
  Scenario: Felstavat steg
    Givet en familj i kommunen "Nora" med ett barn som är 8 månader
    När stödet bedöms
    Så rekomenderas insatsen "bvc"
""")
    assert r.returncode == 1
    line = line_of(features, "rekomenderas")
    assert (f"underkänt: Felstavat steg – features/prov.feature:{line}: okänt steg 'Så rekomenderas insatsen "
            f"\"bvc\"'; närmaste steg: 'rekommenderas insatsen \"…\"'") in r.stdout
    assert "Step definition is not found" not in r.stdout


def test_misspelt_insats_fails_with_a_suggestion(features):
    r = run_test(features, """
  Scenario: Felstavad insats
    Givet en familj i kommunen "Nora" med ett barn som är 8 månader
    När stödet bedöms
    Så rekommenderas inte insatsen "bvcc"
""")
    assert r.returncode == 1  # a misspelt id must not make a 'rekommenderas inte' pass
    line = line_of(features, '"bvcc"')
    assert (f"underkänt: Felstavad insats – features/prov.feature:{line}: okänd insats 'bvcc' – "
            "menade du 'bvc'? (ange insatsens id eller namn)") in r.stdout


def test_misspelt_level_fails_with_a_suggestion(features):
    r = run_test(features, """
  Scenario: Felstavad nivå
    Givet en familj i kommunen "Nora" med ett barn som är 8 månader
    När stödet bedöms
    Så rekommenderas insatsen "bvc" på nivån "universel"
""")
    assert r.returncode == 1
    assert "okänd nivå 'universel' – menade du 'universell'?" in r.stdout


def test_steps_accept_labels_and_names(features):
    pack = load_pack()
    label = pack.needs["overvikt_fetma"].label
    name = pack.insatser["bvc"].name
    selective = pack.insatser["overvikt-fetma"].name
    r = run_test(features, f"""
  Scenario: Etikett och namn i stället för koder
    Givet en familj i kommunen "Nora" med ett barn som är 8 månader
    Och behovet "{label}"
    När stödet bedöms
    Så rekommenderas insatsen "{name}" på nivån "universell"
    Och rekommenderas insatsen "{selective}" på nivån "selektiv"
    Och rekommenderas insatsen "overvikt-fetma"
""")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Godkända: 1." in r.stdout
