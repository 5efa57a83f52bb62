"""Truthful answers (issue 9): quotes verified against the seeds, availability with its basis,
the law in force, whole-year ages, every reason named, a warning outside the rules' validity."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import DEFAULT_PACK, Engine, Family, PackInvalid, load_pack
from engine.sources import check_quotes, normalize, quote_found

ROOT = Path(__file__).parent.parent
SEEDS = (ROOT.parent / "shared" / "seeds").resolve()
TODAY = dt.date(2026, 11, 24)
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
# The source texts live beside the repository only where this project's CI puts them. In a fresh
# clone without them the source check is not run, and says so; in CI (CI=true) it always runs,
# and a missing folder fails it.
needs_seeds = pytest.mark.skipif(
    not IN_CI and not SEEDS.is_dir(),
    reason=f"Källkontrollen kördes inte: källtexterna finns inte i {SEEDS} (de finns bara i projektets CI). "
           "I CI (CI=true) underkänns testet om mappen saknas.",
)


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


@pytest.fixture(scope="module")
def engine():
    eng = Engine.load(DEFAULT_PACK, evaluator="reference", cache_size=0)
    yield eng
    eng.close()


def _decide(engine, **kw):
    kw.setdefault("date", TODAY)
    return engine.decide(Family(**kw))


def _recs(decision):
    return {r.insats_id: r for r in decision.recommendations}


# --------------------------------------------------------------------------- check --sources
@needs_seeds
def test_seeds_are_where_ci_keeps_them():
    assert (SEEDS / "000_79dce8e83c3f4b07.txt").is_file(), SEEDS
    assert (SEEDS / "003_aace6f42f7eab6db.txt").is_file(), SEEDS


@needs_seeds
def test_check_sources_with_the_seeds_exits_0():
    out = _cli("check", "--sources", str(SEEDS))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "står ordagrant" in out.stdout
    result = check_quotes(DEFAULT_PACK, SEEDS)
    assert result.documents == ["presentation-2022", "strategi-2024"]
    assert result.checked >= 60 and result.problems == []


@needs_seeds
def test_a_quote_changed_by_one_word_fails_with_file_and_line(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK, pack)
    path = pack / "regler" / "06-indikerad.yaml"
    text = path.read_text(encoding="utf-8")
    quoted = 'quote: "Detta stöd ges också till föräldrar som uppvisar ett stort behov av stöd."'
    assert quoted in text
    changed = text.replace(quoted, quoted.replace("behov av stöd", "behov av hjälp"), 1)
    path.write_text(changed, encoding="utf-8")
    line = next(i for i, ln in enumerate(changed.splitlines(), 1) if "behov av hjälp" in ln)
    out = _cli("check", str(pack), "--sources", str(SEEDS))
    assert out.returncode == 1
    assert f"regler/06-indikerad.yaml:{line}: citatet står inte ordagrant i källdokumentet 'strategi-2024'" in out.stdout


def test_file_names_in_pack_yaml_name_the_seed_files():
    meta = load_pack(DEFAULT_PACK).meta
    files = {s.id: s.file for s in meta.sources if s.file}
    assert files == {"strategi-2024": "000_79dce8e83c3f4b07.txt", "presentation-2022": "003_aace6f42f7eab6db.txt"}


def test_normalisation_ignores_markdown_and_whitespace_only():
    text = normalize("Instruktörer **ABC Tonår**\n- Stöd till föräldrar med\n  **kognitiva svårigheter**")
    assert quote_found("Instruktörer ABC Tonår", text)
    assert quote_found("Stöd till föräldrar med kognitiva svårigheter", text)
    assert not quote_found("Instruktörer ABC Tonar", text)  # letters are compared as written
    assert quote_found("Instruktörer … kognitiva svårigheter", text)  # … = left-out text, in order
    assert not quote_found("kognitiva svårigheter … Instruktörer", text)


def test_missing_sources_dir_is_an_error(tmp_path):
    out = _cli("check", "--sources", str(tmp_path / "finns-inte"))
    assert out.returncode == 1
    assert "finns inte" in out.stdout


# --------------------------------------------------------------------------- availability
def test_norra_availability_is_an_antagande_with_its_reason(engine):
    rec = _recs(_decide(engine, kommun="Nora", age_months=40))["abc"]
    assert rec.availability.value == "finns"
    assert rec.availability_basis.value == "antagande"
    assert rec.availability_reason == "presentationen 2022 listar insatsen för norra länsdelen"
    assert rec.availability_verified is None


def test_unknown_availability_has_no_basis(engine):
    rec = _recs(_decide(engine, kommun="Örebro", age_months=40))["abc"]
    assert rec.availability.value == "okänd" and rec.availability_basis is None


def test_recommend_says_the_basis_in_words():
    out = _cli("recommend", "--kommun", "Nora", "--age-months", "40", "--date", "2026-11-24")
    assert out.returncode == 0, out.stderr
    assert "finns (antagande: presentationen 2022 listar insatsen för norra länsdelen)" in out.stdout
    # the headline of an inferred availability never reads as a fact
    assert "• ABC – Alla barn i centrum (3–12 år) (antas finnas i kommunen – inte bekräftat)" in out.stdout
    assert "(finns i kommunen)" not in out.stdout


def _with_kommun_file(tmp_path, body: str) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK, pack)
    (pack / "tillganglighet-kommuner.yaml").write_text(body, encoding="utf-8")
    return pack


def test_kommun_reports_override_and_planeras_switches_on_its_date(tmp_path):
    pack = _with_kommun_file(tmp_path, """entries:
  - {kommun: "1884", insats: abc, status: saknas, verified: 2026-11-20, contact: "Föräldraskapsstöd, Nora kommun"}
  - {kommun: Örebro, insats: abc, status: planeras, planned_from: 2027-01-01, verified: 2026-10-01}
""")
    eng = Engine.load(pack, evaluator="reference", cache_size=0)
    try:
        nora = _recs(_decide(eng, kommun="Nora", age_months=40))["abc"]
        assert (nora.availability.value, nora.availability_basis.value) == ("saknas", "kommunens uppgift")
        assert nora.availability_verified == dt.date(2026, 11, 20)
        assert nora.contact == "Föräldraskapsstöd, Nora kommun"
        before = _recs(_decide(eng, kommun="Örebro", age_months=40))["abc"]
        after = _recs(_decide(eng, kommun="Örebro", age_months=40, date=dt.date(2027, 1, 1)))["abc"]
        assert before.availability.value == "saknas" and after.availability.value == "finns"
        assert after.availability_basis.value == "kommunens uppgift"
    finally:
        eng.close()


def test_kommun_report_errors_name_file_and_line(tmp_path):
    pack = _with_kommun_file(tmp_path, """entries:
  - {kommun: "1884", insats: abc, status: finns}
  - {kommun: Nora, insats: bvc, status: planeras}
""")
    with pytest.raises(PackInvalid) as exc:
        load_pack(pack)
    text = "\n".join(map(str, exc.value.errors))
    assert "tillganglighet-kommuner.yaml:3" in text and "planned_from" in text
    (pack / "tillganglighet-kommuner.yaml").write_text("""entries:
  - {kommun: "1884", insats: abc, status: finns}
  - {kommun: Nora, insats: abcd, status: finns}
  - {kommun: Nora, insats: abc, status: saknas}
""", encoding="utf-8")
    with pytest.raises(PackInvalid) as exc:
        load_pack(pack)
    text = "\n".join(map(str, exc.value.errors))
    assert "tillganglighet-kommuner.yaml:3: okänd insats 'abcd'" in text
    assert "tillganglighet-kommuner.yaml:4: tillgång för 'abc' i kommun 1884 anges två gånger" in text


def test_antagande_without_reason_is_refused(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK, pack)
    path = pack / "tillganglighet.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    reason: presentationen 2022 listar insatsen för norra länsdelen\n", ""), encoding="utf-8")
    with pytest.raises(PackInvalid) as exc:
        load_pack(pack)
    assert any("antagande kräver en motivering" in e.message for e in exc.value.errors)


# --------------------------------------------------------------------------- reasons
def test_every_rule_that_recommended_is_named(engine):
    d = _decide(engine, kommun="Örebro", age_months=168, needs=["normbrytande_beteende", "psykisk_ohalsa_barn"])
    rec = _recs(d)["familjebehandling-beslut"]
    assert rec.triggered_by == ["normbrytande_beteende", "psykisk_ohalsa_barn"]
    assert set(rec.rule_ids) == {"indikerad-normbrytande-beteende", "indikerad-psykisk-ohalsa-barn"}
    assert rec.rule_id in rec.rule_ids
    assert "psykisk ohälsa" in rec.rationale and "normbrytande" in rec.rationale
    assert [r.rule_id for r in rec.reasons] == rec.rule_ids
    assert _recs(d)["abc-tonar"].triggered_by == []


def test_json_answer_carries_the_v2_fields():
    out = _cli("recommend", "--kommun", "Nora", "--age-months", "40", "--need", "overvikt_fetma", "--json",
               "--date", "2026-11-24")
    body = json.loads(out.stdout)
    for rec in body["recommendations"]:
        assert {"availability_basis", "availability_verified", "triggered_by"} <= set(rec)
    fetma = next(r for r in body["recommendations"] if r["insats_id"] == "overvikt-fetma")
    assert fetma["triggered_by"] == ["overvikt_fetma"] and fetma["availability_basis"] == "antagande"


# --------------------------------------------------------------------------- law and dates
def test_notice_cites_the_law_in_force_on_the_day(engine):
    now = _decide(engine, kommun="Örebro", age_months=40, needs=["vald_eller_omsorgssvikt"])
    before = _decide(engine, kommun="Örebro", age_months=40, needs=["vald_eller_omsorgssvikt"],
                     date=dt.date(2025, 3, 1))
    assert now.notices[0].severity.value == "critical" and "2025:400" in now.notices[0].text
    assert "2001:453" not in " ".join(n.text for n in now.notices)
    assert "2001:453" in before.notices[0].text and "2025:400" not in before.notices[0].text
    assert [n.severity.value for n in now.notices] == ["critical"]  # the law's change is no warning


def test_2031_gives_a_warning_and_what_is_still_valid(engine):
    d = _decide(engine, kommun="Nora", age_months=10, needs=["vald_eller_omsorgssvikt"], date=dt.date(2031, 3, 1))
    kinds = [n.severity.value for n in d.notices]
    assert kinds[0] == "critical" and "warning" in kinds
    warning = next(n for n in d.notices if n.severity.value == "warning")
    assert "2030-12-31" in warning.text
    recs = _recs(d)
    assert "bvc" in recs and "familjebehandling-beslut" in recs
    assert "utokade-hembesok" not in recs


def test_no_valid_rule_at_all_is_never_a_silent_empty_answer():
    from engine.models import Rule
    from tests.engine_support import SRC, family, make_pack

    rule = Rule(id="r", level="universell", recommend=["x"], rationale="för alla", source=SRC,
                valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2030, 12, 31))
    pack = make_pack([rule], ["1884"], [], ["x"])
    eng = Engine(pack, evaluator="reference", cache_size=0)
    try:
        answer = eng.decide_normalized(family("1884", 100, date=dt.date(2031, 1, 1)))
        inside = eng.decide_normalized(family("1884", 100, date=dt.date(2030, 12, 31)))
    finally:
        eng.close()
    assert inside.notices == [] and [r.insats_id for r in inside.recommendations] == ["x"]
    assert answer.recommendations == []
    assert [n.severity.value for n in answer.notices] == ["warning"]
    assert "Ingen regel" in answer.notices[0].text


# --------------------------------------------------------------------------- ages
@pytest.mark.parametrize("months, gets, not_gets", [
    (150, "abc", "abc-tonar"), (155, "abc", "abc-tonar"), (156, "abc-tonar", "abc"),
    (83, "bvc", None), (84, None, "bvc"), (216, "abc-tonar", None),
])
def test_whole_year_ages(engine, months, gets, not_gets):
    recs = _recs(_decide(engine, kommun="Kumla", age_months=months))
    if gets:
        assert gets in recs
    if not_gets:
        assert not_gets not in recs


def test_lint_reports_months_whose_universal_support_rests_only_on_assumptions():
    from engine.lint import universal_assumptions

    findings = universal_assumptions(load_pack(DEFAULT_PACK), TODAY)
    assert [f.kind for f in findings] == ["universellt-stod-bara-antaganden"]
    assert "(84–216 mån)" in findings[0].message and "ABC Tonår" in findings[0].message
    assert "alla kommuner" in findings[0].message  # BVC (källa) covers 0–83 months


def test_kommun_file_accepts_the_implied_basis_written_out_and_target_groups(tmp_path):
    pack = _with_kommun_file(tmp_path, """entries:
  - {kommun: Kumla, insats: abc, status: finns, basis: kommunens uppgift, target_groups: [föräldrar till barn 3–12 år]}
""")
    entry = load_pack(pack).availability[("1881", "abc")]
    assert entry.basis.value == "kommunens uppgift" and entry.target_groups == ["föräldrar till barn 3–12 år"]
    path = pack / "tillganglighet-kommuner.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("basis: kommunens uppgift", "basis: källa"),
                    encoding="utf-8")
    with pytest.raises(PackInvalid):
        load_pack(pack)


def test_a_replaced_law_is_no_lint_warning_but_a_note():
    from engine.lint import lint_pack

    findings = lint_pack(load_pack(DEFAULT_PACK), TODAY)
    kinds = {f.kind: f for f in findings}
    assert "regel-upphord" not in kinds
    assert kinds["regel-ersatt"].rule_ids == ("skydd-anmalningsskyldighet-sol-2001", "skydd-anmalningsskyldighet")
    assert kinds["regel-ersatt"].severity == "info"


def test_lint_warns_when_a_rule_cites_a_law_outside_its_validity(tmp_path):
    from engine.lint import lint_pack

    assert not [f for f in lint_pack(load_pack(DEFAULT_PACK), TODAY) if f.kind == "kalla-ur-kraft"]
    pack = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK, pack)
    path = pack / "regler" / "07-skydd.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    valid_to: 2025-06-30\n", ""), encoding="utf-8")
    found = [f for f in lint_pack(load_pack(pack), TODAY) if f.kind == "kalla-ur-kraft"]
    assert [f.rule_ids for f in found] == [("skydd-anmalningsskyldighet-sol-2001",)]
    assert "gällde till 2025-06-30" in found[0].message and found[0].file == "regler/07-skydd.yaml"
