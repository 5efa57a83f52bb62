"""Pack validation: every error as file:line: message in Swedish, with suggestions."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import DEFAULT_PACK, PackInvalid, load_pack

MINI = Path(__file__).parent / "packs" / "mini"


@pytest.fixture
def pack_copy(tmp_path):
    dst = tmp_path / "pack"
    shutil.copytree(MINI, dst)
    return dst


def _errors(directory) -> list[str]:
    with pytest.raises(PackInvalid) as exc:
        load_pack(directory)
    return [str(e) for e in exc.value.errors]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_default_pack_is_valid_and_versioned():
    pack = load_pack(DEFAULT_PACK)
    assert pack.name == "orebro-lan" and len(pack.kommuner) == 12
    assert pack.version.startswith(pack.meta.edition + "+")


def test_version_changes_when_any_rule_file_changes(pack_copy):
    before = load_pack(pack_copy).version
    _edit(pack_copy / "regler" / "alla.yaml", "Barn med övervikt eller fetma.", "Barn med övervikt.")
    assert load_pack(pack_copy).version != before


def test_misspelt_insats_with_suggestion(pack_copy):
    rules = pack_copy / "regler" / "alla.yaml"
    _edit(rules, "recommend: [abc]", "recommend: [abcc]")
    line = _line_of(rules, "recommend: [abcc]")
    assert f"regler/alla.yaml:{line}: okänd insats 'abcc' – menade du 'abc'?" in _errors(pack_copy)


def test_unknown_need_code_and_kommun(pack_copy):
    rules = pack_copy / "regler" / "alla.yaml"
    _edit(rules, "needs_any: [overvikt_fetma]", "needs_any: [overvikt_fetm]")
    _edit(rules, "kommuner: [nora]", "kommuner: [Noraa]")
    errs = "\n".join(_errors(pack_copy))
    assert "okänd behovskod 'overvikt_fetm' – menade du 'overvikt_fetma'?" in errs
    assert "okänd kommun 'Noraa' – menade du 'Nora'?" in errs


def test_duplicate_ids(pack_copy):
    _edit(pack_copy / "regler" / "alla.yaml", "id: abc-3-12", "id: bvc-0-6")
    _edit(pack_copy / "insatser.yaml", "id: abc\n", "id: bvc\n")
    errs = "\n".join(_errors(pack_copy))
    assert "regel-id 'bvc-0-6' finns redan (regler/alla.yaml:" in errs
    assert "insatser.yaml:" in errs and "insatsen 'bvc' finns redan" in errs


def test_inverted_and_empty_age_ranges(pack_copy):
    rules = pack_copy / "regler" / "alla.yaml"
    _edit(rules, "age_months: {min: 36, max: 144}", "age_months: {min: 144, max: 36}")
    _edit(rules, "age_months: {min: 0, max: 72}", "age_months: {}")
    errs = "\n".join(_errors(pack_copy))
    assert "åldersintervallet är omvänt: min 144 > max 36" in errs
    assert "age_months.min: fältet saknas" in errs


def test_unknown_key_suggests_the_right_one(pack_copy):
    rules = pack_copy / "regler" / "alla.yaml"
    _edit(rules, "    rationale: ABC erbjuds", "    rationals: ABC erbjuds")
    line = _line_of(rules, "rationals:")
    errs = _errors(pack_copy)
    assert any(e.startswith(f"regler/alla.yaml:{line}: regel 2 (id abc-3-12): rationals: okänt fält") and "menade du 'rationale'?" in e
               for e in errs), errs


def test_yaml_syntax_error_has_a_line(pack_copy):
    (pack_copy / "behov.yaml").write_text("needs:\n  - {code: a, label: [\n", encoding="utf-8")
    errs = _errors(pack_copy)
    assert errs and errs[0].startswith("behov.yaml:") and "YAML-fel" in errs[0]


def test_dangling_availability_and_source(pack_copy):
    _edit(pack_copy / "tillganglighet.yaml", "insats: abc", "insats: abx")
    _edit(pack_copy / "insatser.yaml", "document: strategi", "document: strategin")
    errs = "\n".join(_errors(pack_copy))
    assert "tillganglighet.yaml:" in errs and "okänd insats 'abx' – menade du 'abc'?" in errs
    assert "okänt källdokument 'strategin' – menade du 'strategi'?" in errs


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent, timeout=120)


def test_check_command_exit_codes(pack_copy):
    ok = _cli("check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "är giltigt" in ok.stdout
    _edit(pack_copy / "regler" / "alla.yaml", "recommend: [abc]", "recommend: [abcc]")
    bad = _cli("check", str(pack_copy))
    assert bad.returncode == 1
    assert "regler/alla.yaml:" in bad.stdout and "menade du 'abc'?" in bad.stdout
