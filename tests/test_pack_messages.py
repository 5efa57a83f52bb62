"""What a policy officer sees when a rule pack is wrong: `fil:rad: meddelande`, in Swedish,
every error of every file in one pass, never a traceback (issue 12, item 4)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import PackInvalid, load_pack

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).parent / "packs" / "mini"


@pytest.fixture
def pack(tmp_path) -> Path:
    dst = tmp_path / "pack"
    shutil.copytree(MINI, dst)
    return dst


def errors_of(directory: Path) -> list[str]:
    with pytest.raises(PackInvalid) as exc:
        load_pack(directory)
    return [str(e) for e in exc.value.errors]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_impossible_date_is_one_line_with_the_rule_not_a_traceback(pack):
    rules = pack / "regler" / "alla.yaml"
    edit(rules, "    rationale: ABC erbjuds", "    valid_from: 2024-13-01\n    rationale: ABC erbjuds")
    line = line_of(rules, "valid_from: 2024-13-01")
    assert errors_of(pack) == [
        f"regler/alla.yaml:{line}: regel 2 (id abc-3-12): valid_from: "
        "datumet '2024-13-01' finns inte (månaden ska vara 1–12)"]
    edit(rules, "2024-13-01", "2025-02-30")
    assert errors_of(pack) == [
        f"regler/alla.yaml:{line}: regel 2 (id abc-3-12): valid_from: "
        "datumet '2025-02-30' finns inte (dagen finns inte i den månaden)"]
    result = cli("check", str(pack))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"regler/alla.yaml:{line}: regel 2 (id abc-3-12): valid_from: "
        "datumet '2025-02-30' finns inte (dagen finns inte i den månaden)"]


def test_enum_value_in_the_wrong_case_gets_a_suggestion(pack):
    rules = pack / "regler" / "alla.yaml"
    edit(rules, "  - id: overvikt\n    level: selektiv", "  - id: overvikt\n    level: Selektiv")
    line = line_of(rules, "level: Selektiv")
    assert errors_of(pack) == [
        f"regler/alla.yaml:{line}: regel 4 (id overvikt): level: ogiltigt värde 'Selektiv': "
        "ska vara en av universell, selektiv, indikerad – menade du 'selektiv'?"]


def test_misspelt_enum_value_gets_the_nearest(pack):
    rules = pack / "regler" / "alla.yaml"
    edit(rules, "  - id: overvikt\n    level: selektiv", "  - id: overvikt\n    level: selektv")
    assert any(e.endswith("level: ogiltigt värde 'selektv': ska vara en av universell, selektiv, "
                          "indikerad – menade du 'selektiv'?") for e in errors_of(pack))


def test_position_is_the_rule_number_and_id_not_a_zero_based_path(pack):
    rules = pack / "regler" / "alla.yaml"
    edit(rules, "when: {age_months: {min: 36, max: 144}}", "when: {age_months: {min: 36, max: tolv}}")
    (err,) = errors_of(pack)
    assert err == (f"regler/alla.yaml:{line_of(rules, 'max: tolv')}: regel 2 (id abc-3-12): "
                   "when.age_months.max: ska vara ett heltal, inte 'tolv'")
    assert "rules.1" not in err


def test_list_value_position_is_counted_from_one(pack):
    rules = pack / "regler" / "alla.yaml"
    edit(rules, "recommend: [abc]", "recommend: [abc, Fel Id]")
    (err,) = errors_of(pack)
    assert err.endswith("regel 2 (id abc-3-12): recommend, värde 2: ogiltigt id 'Fel Id': använd små "
                        "bokstäver a–z, siffror, - och _ (inga mellanslag, versaler eller å ä ö)")


def test_yaml_syntax_errors_are_swedish_with_a_line(pack):
    needs = pack / "behov.yaml"
    with needs.open("a", encoding="utf-8") as f:  # lines 5 and 6; an unquoted ': ' in a value
        f.write("  - code: extra\n    label: Barn: övervikt\n")
    (err,) = errors_of(pack)
    assert err == ("behov.yaml:6: YAML-fel: ett kolon (:) står där det inte får stå – sätt texten inom "
                   "citattecken om den innehåller ': '")


def test_tab_indentation_is_named(pack):
    (pack / "kommuner.yaml").write_text("kommuner:\n\t- code: '1884'\n", encoding="utf-8")
    (err,) = errors_of(pack)
    assert err == "kommuner.yaml:2: YAML-fel: tabbtecken får inte användas för indrag – använd mellanslag"


def test_control_character_names_its_line(pack):
    needs = pack / "behov.yaml"
    lines = needs.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2] + "\x07"
    needs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert errors_of(pack) == ["behov.yaml:3: otillåtet tecken (kod 0x0007) i filen – ta bort det"]


def test_pack_yaml_as_a_directory_and_a_dangling_symlink(pack):
    (pack / "pack.yaml").unlink()
    (pack / "pack.yaml").mkdir()
    (pack / "regler" / "extra.yaml").symlink_to(pack / "finns-inte.yaml")
    assert errors_of(pack) == ["pack.yaml:1: ska vara en fil men är en mapp",
                               "regler/extra.yaml:1: filen är en länk till något som inte finns"]
    result = cli("check", str(pack))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "pack.yaml:1: ska vara en fil men är en mapp" in result.stdout


def test_every_error_of_every_file_in_one_pass(pack):
    """A broken file does not hide the others, nor the cross-file checks of the files that loaded."""
    (pack / "kommuner.yaml").write_text("kommuner: [\n", encoding="utf-8")  # YAML error
    insatser = pack / "insatser.yaml"
    edit(insatser, "level: universell", "level: Universell")  # a schema error in one insats
    rules = pack / "regler" / "alla.yaml"
    edit(rules, "recommend: [abc]", "recommend: [abcc]")  # a cross-reference error in another file
    edit(rules, "  - id: overvikt\n    level: selektiv", "  - id: overvikt\n    level: Selektiv")
    errs = errors_of(pack)
    files = [e.split(":", 1)[0] for e in errs]
    assert "kommuner.yaml" in files and "insatser.yaml" in files, errs
    assert f"regler/alla.yaml:{line_of(rules, 'abcc')}: okänd insats 'abcc' – menade du 'abc'?" in errs
    assert any("regel 4 (id overvikt): level: ogiltigt värde 'Selektiv'" in e for e in errs), errs
    # a broken kommuner.yaml does not turn every kommun reference into an error of its own
    assert not any("okänd kommun" in e for e in errs), errs


def test_test_command_refuses_an_invalid_pack_with_the_check_errors(pack):
    rules = pack / "regler" / "alla.yaml"
    edit(rules, "    rationale: ABC erbjuds", "    valid_from: 2024-13-01\n    rationale: ABC erbjuds")
    check = cli("check", str(pack))
    result = cli("test", "--rules", str(pack))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "day is out of range" not in result.stdout + result.stderr
    assert check.stdout.strip() and check.stdout.strip() in result.stderr
    assert "inga scenarier körs" in result.stderr
    assert "Antal scenarier" not in result.stdout
