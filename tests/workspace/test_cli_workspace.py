"""CONTRACT v2 "Rule pack workspace": the commands, against SQLite and against a real PostgreSQL
server (tests/workspace/pg.py), never skipped."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import DEFAULT_PACK, load_pack
from service import cli

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "ett-långt-lösenord-2026"
FAMILJECENTRAL = "regler/02-familjecentral.yaml"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def users(db_url, capsys, monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_PASSWORD", PASSWORD)
    code, out, err = run(capsys, "db", "upgrade")
    assert code == 0, err
    assert "schemaversion 0005" in out
    for name, role, kommun in [("anna", "redaktor", None), ("bertil", "redaktor", None),
                               ("greta", "granskare", None), ("gunnar", "granskare", None),
                               ("adam", "admin", None), ("nora-samordnare", "samordnare", "Nora")]:
        args = ["user", "add", name, "--role", role] + (["--kommun", kommun] if kommun else [])
        code, out, err = run(capsys, *args)
        assert code == 0, err
        assert f"Användaren {name} är skapad" in out
    return db_url


def edited_pack(tmp_path: Path, old: str, new: str, name: str = "paket") -> Path:
    target = tmp_path / name
    shutil.copytree(DEFAULT_PACK, target)
    path = target / FAMILJECENTRAL
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return target


def test_import_approve_versions_export_publish_audit(users, capsys, tmp_path):
    pack = edited_pack(tmp_path, "Strategins mål är minst en familjecentral per kommun.",
                       "Strategins mål är minst en familjecentral i varje kommun.")
    code, out, err = run(capsys, "pack", "import", str(pack), "--user", "anna", "--reason", "Tydligare motivering")
    assert code == 0, err
    draft = out.strip().splitlines()[-1]
    assert draft.isdigit()
    assert f"{FAMILJECENTRAL}: +" in out

    # the author may not approve, a redaktör may not approve
    code, out, err = run(capsys, "pack", "approve", draft, "--user", "anna")
    assert code == 1 and "granskare" in err
    code, out, err = run(capsys, "pack", "approve", draft, "--user", "bertil")
    assert code == 1 and "kräver rollen granskare" in err
    code, out, err = run(capsys, "pack", "approve", draft, "--user", "nobody")
    assert code == 1 and "Användaren nobody finns inte" in err

    code, out, err = run(capsys, "pack", "approve", draft, "--user", "greta")
    assert code == 0, err
    assert "publicerat som version 2" in out

    code, out, err = run(capsys, "pack", "versions", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["number"] for r in rows] == [2, 1]
    assert rows[0]["current"] and not rows[1]["current"]
    assert rows[0]["author"] == "anna" and rows[0]["approver"] == "greta"
    assert rows[0]["reason"] == "Tydligare motivering"
    assert rows[0]["version"] == load_pack(pack).version
    assert rows[1]["version"] == load_pack(DEFAULT_PACK).version
    assert rows[0]["published_at"] and rows[0]["created_at"]

    code, out, err = run(capsys, "pack", "versions")
    assert code == 0 and out.splitlines()[0].startswith("*   2")

    # export, then check: the same version string (lossless)
    exported = tmp_path / "export"
    code, out, err = run(capsys, "pack", "export", "2", str(exported))
    assert code == 0, err
    code, out, err = run(capsys, "check", str(exported))
    assert code == 0, err
    assert f"({rows[0]['version']})" in out
    assert (exported / FAMILJECENTRAL).read_bytes() == (pack / FAMILJECENTRAL).read_bytes()
    code, out, err = run(capsys, "pack", "export", rows[1]["version"], str(tmp_path / "v1"))
    assert code == 0, err
    assert load_pack(tmp_path / "v1").version == rows[1]["version"]
    code, out, err = run(capsys, "pack", "export", "2", str(exported))
    assert code == 1 and "inte en tom mapp" in err

    # rollback: one audited action, refused for a redaktör, needs a reason
    code, out, err = run(capsys, "pack", "publish", "1", "--user", "anna", "--reason", "Tillbaka")
    assert code == 1 and "granskare" in err
    code, out, err = run(capsys, "pack", "publish", "1", "--user", "gunnar", "--reason", " ")
    assert code == 1 and "anledning" in err
    code, out, err = run(capsys, "pack", "publish", "1", "--user", "gunnar", "--reason", "Motiveringen ska ses över")
    assert code == 0, err
    rows = json.loads(run(capsys, "pack", "versions", "--json")[1])
    assert [r["current"] for r in rows] == [False, True]
    code, out, err = run(capsys, "pack", "publish", "1", "--user", "gunnar", "--reason", "igen")
    assert code == 1 and "används redan" in err

    code, out, err = run(capsys, "audit", "--json")
    assert code == 0, err
    events = json.loads(out)
    actions = [e["action"] for e in events]
    assert actions[0] == "version.publicerad" and events[0]["actor"] == "gunnar"
    assert events[0]["reason"] == "Motiveringen ska ses över"
    assert "version.godkand" in actions and "utkast.importerat" in actions and "anvandare.skapad" in actions
    times = [e["at"] for e in events]
    assert times == sorted(times, reverse=True)
    approved = next(e for e in events if e["action"] == "version.godkand")
    assert approved["actor"] == "greta" and FAMILJECENTRAL in approved["summary"]
    code, out, err = run(capsys, "audit")
    assert code == 0 and "gunnar  version.publicerad" in out.splitlines()[0]


def test_approve_refused_when_a_feature_fails_or_the_pack_is_invalid(users, capsys, tmp_path):
    # valid and lint-clean (0–5 år in whole years), but the Gherkin scenario "Familjecentralen vid
    # 72 månader" fails: the pack's 0–6 år is 0..83
    pack = edited_pack(tmp_path, "age_months: {min: 0, max: 83}", "age_months: {min: 0, max: 71}")
    code, out, err = run(capsys, "pack", "import", str(pack), "--user", "anna", "--reason", "Kortare")
    assert code == 0, err
    draft = out.strip().splitlines()[-1]
    code, out, err = run(capsys, "pack", "approve", draft, "--user", "greta")
    assert code == 1
    assert "godkändes inte" in err
    assert "scenario underkänt" in err and "72" in err

    broken = edited_pack(tmp_path, "level: universell", "level: universal", name="trasigt")
    code, out, err = run(capsys, "pack", "import", str(broken), "--user", "anna", "--reason", "Stavfel")
    assert code == 0, err
    assert "ogiltigt" in out
    draft2 = out.strip().splitlines()[-1]
    code, out, err = run(capsys, "pack", "approve", draft2, "--user", "greta")
    assert code == 1 and "valideringsfel" in err and FAMILJECENTRAL in err

    rows = json.loads(run(capsys, "pack", "versions", "--json")[1])
    assert len(rows) == 1 and rows[0]["current"]  # nothing was published


def test_user_add_refusals(db_url, capsys, monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_PASSWORD", PASSWORD)
    code, out, err = run(capsys, "user", "add", "sam", "--role", "samordnare")
    assert code == 1 and "--kommun" in err
    code, out, err = run(capsys, "user", "add", "sam", "--role", "samordnare", "--kommun", "Atlantis")
    assert code == 1 and "Okänd kommun" in err
    code, out, err = run(capsys, "user", "add", "red", "--role", "redaktor", "--kommun", "1884")
    assert code == 1 and "Bara en samordnare" in err
    code, out, err = run(capsys, "user", "add", "sam", "--role", "samordnare", "--kommun", "1884")
    assert code == 0, err
    code, out, err = run(capsys, "user", "add", "sam", "--role", "redaktor")
    assert code == 1 and "finns redan" in err
    monkeypatch.setenv("FORALDRASTOD_PASSWORD", "kort")
    code, out, err = run(capsys, "user", "add", "kort", "--role", "redaktor")
    assert code == 1 and "minst" in err
    with pytest.raises(SystemExit) as exc:
        cli.main(["user", "add", "x", "--role", "chef"])
    assert exc.value.code == 2


def test_commands_as_a_user_runs_them(db_url, tmp_path):
    """The real program in a child process: exit codes, last line, password asked when not set."""
    env = {**__import__("os").environ, "DATABASE_URL": db_url}
    env.pop("FORALDRASTOD_PASSWORD", None)

    def fdt(*args, **kw):
        return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True,
                              cwd=ROOT, env={**env, **kw}, timeout=120, stdin=subprocess.DEVNULL)

    out = fdt("db", "upgrade")
    assert out.returncode == 0, out.stderr
    out = fdt("user", "add", "anna", "--role", "redaktor")
    assert out.returncode == 1 and "FORALDRASTOD_PASSWORD" in out.stderr
    out = fdt("user", "add", "anna", "--role", "redaktor", FORALDRASTOD_PASSWORD=PASSWORD)
    assert out.returncode == 0, out.stderr
    out = fdt("pack", "import", str(DEFAULT_PACK), "--user", "anna", "--reason", "Samma som nu")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].isdigit()
    out = fdt("pack", "import", str(tmp_path / "saknas"), "--user", "anna", "--reason", "x")
    assert out.returncode == 1 and "mappen finns inte" in out.stderr
    out = fdt("pack", "versions", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)[0]["number"] == 1
