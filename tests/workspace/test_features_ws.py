"""Gherkin features as part of a pack version (issue 13): seeded and migrated into the versions,
exported and imported with the pack without changing its version string, checked for Swedish
Gherkin on save, and run from the draft itself by Kontrollera and approval. SQLite and a real
PostgreSQL server (tests/workspace/pg.py) wherever the database is involved."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from engine import DEFAULT_PACK, load_pack
from service import cli
from service.workspace import checks, db, featurefiles, packfiles, store
from service.workspace.models import AuditEvent, Draft, PackVersion, Serving

ROOT = Path(__file__).resolve().parents[2]
PW = "ett-långt-lösenord-2026"
FC = "features/familjecentral.feature"
GOOD = 'Så rekommenderas insatsen "familjecentral" på nivån "universell"\n    Och motiveringen'
BAD = 'Så rekommenderas insatsen "familjecentral" på nivån "selektiv"\n    Och motiveringen'
BROKEN_SCENARIO = "Blivande föräldrar hänvisas till familjecentralen"


@pytest.fixture
def people(session):
    made = {}
    for name, role, kommun in [("anna", "redaktor", None), ("greta", "granskare", None),
                               ("nora", "samordnare", "Nora"), ("adam", "admin", None)]:
        made[name] = store.add_user(session, name, role, PW, kommun=kommun)
    session.commit()
    return made


def repo_features() -> dict[str, str]:
    return {f"features/{p.name}": p.read_text(encoding="utf-8") for p in sorted((ROOT / "features").glob("*.feature"))}


def broken(text: str) -> str:
    assert GOOD in text
    return text.replace(GOOD, BAD)


# --------------------------------------------------------------------------- seeding and migration
def test_first_start_seeds_the_repository_features_without_changing_the_version(session):
    v1 = store.current_version(session)
    assert featurefiles.of(v1.files) == repo_features()
    assert v1.version == load_pack(DEFAULT_PACK).version  # features do not enter the version string
    event = store.audit(session)[-1]
    assert event.action == "version.forsta" and f"varav {len(repo_features())} beteendetester" in event.summary


def test_upgrade_gives_an_existing_database_the_features(db_url):
    """A region seeded before features were part of a version: 0001 data, then upgrade to head."""
    db.upgrade(db_url, "0001")
    files = packfiles.read_dir(DEFAULT_PACK)
    version = packfiles.version_of(files)
    now = dt.datetime.now(dt.timezone.utc)
    with db.session_scope(db_url) as s:
        pv = PackVersion(number=1, version=version, files=files, author="system", reason="första", created_at=now,
                         published_at=now)
        s.add(pv)
        s.flush()
        s.add(Serving(id=1, version_id=pv.id, changed_at=now))
        s.add(Draft(base_version_id=pv.id, files=files, author="anna", reason="öppet", kind="regler", status="utkast",
                    revision=3, created_at=now, updated_at=now))
    db.upgrade(db_url)
    assert db.schema_revision(db_url) == "0005"
    with db.session_scope(db_url) as s:
        v1 = store.current_version(s)
        assert v1.version == version and v1.files == {**files, **repo_features()}
        draft = s.query(Draft).one()
        assert draft.files == {**files, **repo_features()} and draft.revision == 3
        event = s.query(AuditEvent).one()
        assert event.action == "beteendetester.tillagda" and event.actor == "system"
        # a version that already has its features is left alone by a second upgrade
    db.upgrade(db_url)
    with db.session_scope(db_url) as s:
        assert s.query(AuditEvent).count() == 1
        assert store.ensure_seeded(s).number == 1


# --------------------------------------------------------------------------- export and import
def test_export_writes_the_features_and_check_gives_the_same_version(session, people, tmp_path, capsys):
    v1 = store.current_version(session)
    out = store.export(session, "1", tmp_path / "ut")
    assert {f"features/{p.name}": p.read_text(encoding="utf-8") for p in (out / "features").glob("*.feature")} \
        == repo_features()
    assert load_pack(out).version == v1.version
    assert cli.main(["check", str(out)]) == 0
    assert f"({v1.version})" in capsys.readouterr().out  # CONTRACT v2: `check` on an export, same string

    # import the export with one feature changed: the draft carries that feature, nothing else changes
    (out / FC).write_text(broken((out / FC).read_text(encoding="utf-8")), encoding="utf-8")
    d = store.import_draft(session, out, people["anna"], "Prova ett beteendetest")
    assert store.changed_paths(v1.files, d.files) == [FC]
    assert BAD in d.files[FC]
    assert packfiles.version_of(d.files) == v1.version

    # a pack without features/ keeps the features of the version it changes
    plain = tmp_path / "utan"
    shutil.copytree(DEFAULT_PACK, plain)
    assert not (plain / "features").exists()
    d2 = store.import_draft(session, plain, people["anna"], "Bara regler")
    assert featurefiles.of(d2.files) == featurefiles.of(v1.files)
    assert "beteendetesterna från version 1" in store.audit(session)[0].summary


# --------------------------------------------------------------------------- saving
def test_saving_a_feature_checks_gherkin_roles_and_revision(session, people):
    p = people
    d = store.create_draft(session, p["anna"], "Beteendetester")
    text = d.files[FC]
    bad = text.replace("    När stödet bedöms\n", "    När stödet bedöms\n  blabla utan nyckelord\n", 1)
    with pytest.raises(store.Invalid) as exc:
        store.save_file(session, d.id, FC, bad, p["anna"], d.revision)
    line = bad.splitlines().index("  blabla utan nyckelord") + 1
    assert f"rad {line}: här väntades" in "\n".join(exc.value.details)
    assert "inte giltig Gherkin" in exc.value.message
    assert session.get(Draft, d.id).files[FC] == text and d.revision == 1

    rev = store.save_file(session, d.id, FC, broken(text), p["anna"], d.revision)
    assert rev == 2
    with pytest.raises(store.Conflict, match="Någon annan har sparat"):
        store.save_file(session, d.id, FC, text, p["anna"], 1)  # a stale revision
    for who in ("nora", "adam"):
        with pytest.raises(store.Refused):
            store.save_file(session, d.id, FC, text, p[who], rev)
    # a samordnare may not edit features even in their own kommun's draft
    mine = store.create_draft(session, p["nora"], kind="tillganglighet")
    with pytest.raises(store.Refused, match="samordnare"):
        store.save_file(session, mine.id, FC, text, p["nora"], mine.revision)
    # removing a feature and adding one are ordinary saves, audited as every other file
    store.save_file(session, d.id, "features/ny.feature", featurefiles.NEW_FEATURE.format(title="Ny"), p["anna"], rev)
    store.save_file(session, d.id, "features/skydd.feature", None, p["anna"], rev + 1)
    d = session.get(Draft, d.id)
    assert "features/ny.feature" in d.files and "features/skydd.feature" not in d.files
    summaries = [e.summary for e in store.audit(session) if e.action == "utkast.sparat"]
    assert "borttagen fil features/skydd.feature" in summaries[0]
    assert summaries[1].startswith("ny fil features/ny.feature")


@pytest.mark.parametrize("text, line, words", [
    ("Egenskap: X\n  Scenario: a\n    Givet x\n", 1, "# language: sv"),
    ('# language: sv\nEgenskap: X\n  Scenario: a\n    Givet x\n      """\n      öppet\n', 7, "textblock"),
    ("# language: sv\nEgenskap: X\n  Scenariomall: a\n    Givet <x>\n    Exempel:\n      | x |\n      | 1 | 2 |\n",
     7, "olika många celler"),
    ("# language: sv\nEgenskap: X\n", 2, "inget scenario"),
    ("# language: sv\nEgenskap: X\n  Scenario: a\n    Givet x\n  Det här är inget steg\n", 5, "här väntades"),
    ("# language: sv\nEgenskap: X\n  Scenario: a\n    Givet x\n\n  Scenario: a\n    Givet y\n", 6,
     "scenariot 'a' finns redan på rad 3"),
])
def test_gherkin_problems_are_swedish_with_the_line(text, line, words):
    problems = featurefiles.syntax_problems(text)
    assert problems and problems[0].line == line and words in problems[0].message, problems
    assert all(featurefiles.syntax_problems(t) == [] for t in repo_features().values())


def test_the_step_list_shows_every_step_the_step_library_defines():
    """The list beside the editor (features/README.md) against the step definitions themselves."""
    import importlib.util
    import re
    import sys

    spec = importlib.util.spec_from_file_location("steg_bibliotek", ROOT / "features" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["steg_bibliotek"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop("steg_bibliotek", None)
    shown = [(s.group, s.text.split(" ", 1)[1]) for s in featurefiles.step_catalogue()]
    assert len(module.STEPS) >= 30
    for group, pattern in module.STEPS:
        regex = re.compile(re.escape(pattern).replace("…", ".+"))
        assert any(g == group and regex.fullmatch(text) for g, text in shown), (group, pattern)
    assert ("När", "stödet bedöms") in shown


# --------------------------------------------------------------------------- running them
def test_kontrollera_runs_the_drafts_features_and_names_what_changed(tmp_path):
    current = {**packfiles.read_dir(DEFAULT_PACK), **repo_features()}
    draft = dict(current)
    draft[FC] = broken(current[FC])
    draft["features/okant-steg.feature"] = ("# language: sv\nEgenskap: Ett okänt steg\n\n  @strategi-avsnitt-4\n"
                                            "  Scenario: Steget finns inte\n    Givet en familj i Nora\n"
                                            "    När stödet bedöms\n")
    with packfiles.TempPack(draft) as d, packfiles.TempPack(current) as c:
        report = checks.run_checks(d, c)
    assert not report.ok and not report.errors and not report.features_error
    failed = {sc.scenario: sc for sc in report.failed}
    assert set(failed) == {BROKEN_SCENARIO, "Steget finns inte"}
    assert failed[BROKEN_SCENARIO].file == FC and "selektiv" in failed[BROKEN_SCENARIO].message
    assert failed["Steget finns inte"].message.startswith("features/okant-steg.feature:6: okänt steg 'Givet en familj i Nora'")
    assert "närmaste steg" in failed["Steget finns inte"].message
    changes = {(c.file, c.scenario): c.text for c in report.changes}
    assert changes == {(FC, BROKEN_SCENARIO): "godkänt före, underkänt nu",
                       ("features/okant-steg.feature", "Steget finns inte"): "nytt scenario, underkänt"}
    assert report.version == report.current_version  # only the features differ

    # a syntax error: reported with file and line, nothing is run
    draft[FC] = current[FC] + "  inte gherkin\n"
    with packfiles.TempPack(draft) as d:
        report = checks.run_checks(d, None)
    n = len(draft[FC].splitlines())
    assert report.errors == [f"{FC}:{n}: här väntades " + report.errors[0].split("här väntades ", 1)[1]]
    assert not report.scenarios and not report.ok

    # an unknown tag stops the run: Kontrollera says where and what was meant
    draft[FC] = current[FC].replace("@strategi-malomrade-2", "@strategy-malomrade-2", 1)
    with packfiles.TempPack(draft) as d:
        report = checks.run_checks(d, None)
    line = draft[FC].splitlines().index("  @strategy-malomrade-2") + 1
    assert report.features_error.startswith(f"{FC}:{line}: okänd tagg '@strategy-malomrade-2' – menade du "
                                            "'@strategi-malomrade-2'?")
    assert not report.ok and report.summary().startswith("Beteendetesterna kunde inte köras")


def test_a_failing_feature_refuses_approval_and_the_fix_is_published(session, people):
    p = people
    d = store.create_draft(session, p["anna"], "Ändrat beteendetest")
    store.save_file(session, d.id, FC, broken(d.files[FC]), p["anna"], d.revision)
    store.submit(session, d.id, p["anna"], "Familjecentralen blir selektiv i testet")
    with pytest.raises(store.CheckFailed) as exc:
        store.approve(session, d.id, p["greta"])
    assert any(line.startswith("scenario underkänt:") and BROKEN_SCENARIO in line for line in exc.value.details)
    assert store.current_version(session).number == 1
    session.commit()
    store.send_back(session, d.id, p["greta"], "Scenariot underkänns")
    d = session.get(Draft, d.id)
    fixed = d.files[FC].replace(BAD, GOOD).replace("  Bakgrund:", "  # Granskat 2026.\n  Bakgrund:", 1)
    store.save_file(session, d.id, FC, fixed, p["anna"], d.revision)
    store.submit(session, d.id, p["anna"], "Rättat")
    v2 = store.approve(session, d.id, p["greta"])
    assert v2.number == 2 and v2.files[FC] == fixed
    assert v2.version == store.get_version(session, 1).version  # features never change the version string
    assert store.current_version(session).id == v2.id


def test_foraldrastod_test_runs_a_packs_own_features(tmp_path, capsys, monkeypatch):
    """`foraldrastod test --rules DIR` on an exported version runs DIR/features, not the repository's."""
    monkeypatch.delenv("FORALDRASTOD_FEATURES_DIR", raising=False)
    monkeypatch.delenv("FORALDRASTOD_FEATURE_RESULTS", raising=False)
    files = {**packfiles.read_dir(DEFAULT_PACK), **repo_features()}
    files[FC] = broken(files[FC])
    del files["features/skydd.feature"]
    out = packfiles.write_dir(files, tmp_path / "version")
    assert cli.main(["test", "--rules", str(out)]) == 1
    text = capsys.readouterr().out
    assert f"Paketets egna beteendetester: {len(repo_features()) - 1} filer" in text
    assert f"underkänt: {BROKEN_SCENARIO}" in text
    assert "skydd.feature" not in text and "Antal scenarier:" in text


def test_the_web_workspace_upgrades_a_database_left_at_0001(db_url, monkeypatch, tmp_path):
    """An app started on a database seeded before features existed (no `serve`, no `db upgrade`)."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.workspace.routes import common as web

    db.upgrade(db_url, "0001")
    files = packfiles.read_dir(DEFAULT_PACK)
    now = dt.datetime.now(dt.timezone.utc)
    with db.session_scope(db_url) as s:
        pv = PackVersion(number=1, version=packfiles.version_of(files), files=files, author="system", reason="x",
                         created_at=now, published_at=now)
        s.add(pv)
        s.flush()
        s.add(Serving(id=1, version_id=pv.id, changed_at=now))
    assert not db.at_head(db_url)
    monkeypatch.setattr(web, "_ready", set())
    with TestClient(create_app()) as c:
        assert c.get("/redaktion", follow_redirects=False).status_code == 303  # to the login page
    assert db.at_head(db_url)
    with db.session_scope(db_url) as s:
        assert featurefiles.of(store.current_version(s).files) == repo_features()


def test_pack_test_runs_a_versions_or_drafts_own_features(db_url, capsys, monkeypatch):
    monkeypatch.delenv("FORALDRASTOD_FEATURES_DIR", raising=False)
    monkeypatch.delenv("FORALDRASTOD_FEATURE_RESULTS", raising=False)
    db.upgrade(db_url)
    with db.session_scope(db_url) as s:
        store.ensure_seeded(s)
        anna = store.add_user(s, "anna", "redaktor", PW)
        d = store.create_draft(s, anna, "Prov")
        store.save_file(s, d.id, FC, broken(d.files[FC]), anna, d.revision)
        draft_id = d.id
    capsys.readouterr()
    assert cli.main(["pack", "test", "--utkast", str(draft_id)]) == 1
    out = capsys.readouterr().out
    assert f"Beteendetesterna i utkast {draft_id} (revision 2)" in out and f"underkänt: {BROKEN_SCENARIO}" in out
    assert cli.main(["pack", "test", "1"]) == 0
    out = capsys.readouterr().out
    assert "Beteendetesterna i version 1" in out and "Alla scenarier är godkända." in out
    assert cli.main(["pack", "test", "--utkast", "999"]) == 1
    assert "Utkastet 999 finns inte" in capsys.readouterr().err


def test_a_run_where_pytest_fails_outside_the_scenarios_is_not_a_pass(monkeypatch, tmp_path):
    """Every scenario passed, yet pytest ended with an error (a file it could not collect): reported."""
    import json
    import subprocess

    from service.core import scenarios as features_runner  # the runner's core (service.cli.features re-exports it)

    def fake_pytest(rules, features, results, *args, **kwargs):
        scenario = {"feature": "X", "file": "features/x.feature", "scenario": "a", "tags": [], "status": "passed"}
        Path(results).write_text(json.dumps({"scenarios": [scenario]}), encoding="utf-8")
        return subprocess.CompletedProcess([], 2, "ERROR features/y.feature - trasig\n", "")

    monkeypatch.setattr(features_runner, "run_pytest", fake_pytest)
    scenarios, error = features_runner.run_scenarios(DEFAULT_PACK, {"x.feature": "# language: sv\n"})
    assert len(scenarios) == 1
    assert error == "pytest avslutades med kod 2 (körningen avbröts); ERROR features/y.feature - trasig"
