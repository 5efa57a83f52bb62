"""A broken pack file never gives a traceback or a 500 (issue 18 item 1).

Every file of rules/orebro-lan is mutated, deterministically (seeded): a line deleted or
duplicated, a value of another type, an impossible date, a control character, a YAML syntax
error, and a directory in the file's place. Each mutant goes through what a person uses:
`foraldrastod check` and `foraldrastod test` (their main functions, in process; a handful as real
subprocesses), the admin reload (`POST /v1/admin/reload`) and the workspace's text editor's save
(`POST /redaktion/utkast/{id}/text`). Each either accepts the pack or answers with Swedish
`file:line: message` errors.
"""
from __future__ import annotations

import contextlib
import io
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine import PackInvalid, load_pack
from engine.loader import DEFAULT_PACK

pytestmark = pytest.mark.slow  # about 55 s of CPU in all: 585 mutants through four surfaces

SEED = 18
PER_FILE = 44  # 13 files x 44 text mutants = 572, plus one directory per file
ERROR_LINE = re.compile(r"^(?P<file>[\w./-]+\.yaml|regler/):(?P<line>\d+): (?P<msg>\S.*)$")
# words of Python, pydantic or libyaml that must never reach a person
ENGLISH = re.compile(r"Traceback|Error\b|NoneType|object has no|Input should|Field required|"
                     r"\bexpected\b|\bfound\b|\bwhile\b|\bcould not\b|\bmapping values\b|\bvalue is not\b")

TYPE_CHANGES = ("[1, 2]", "{x: 1}", "17", "true", "null", "'text'", "2024-01-01")
BAD_DATES = ("2024-13-01", "2024-02-30", "2023-00-10", "2024-04-31")
CONTROLS = ("\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f")
SYNTAX = ("key: [unclosed", "- {a: 1", "\tindented: with a tab", ": no key", "a: b: c", "'quote")


def pack_files() -> list[str]:
    return sorted(p.relative_to(DEFAULT_PACK).as_posix() for p in DEFAULT_PACK.rglob("*.yaml"))


def _mutate(text: str, rng: random.Random) -> tuple[str, str]:
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    kind = rng.choice(("delete", "duplicate", "type", "date", "control", "syntax"))
    if kind == "delete":
        return "\n".join(lines[:i] + lines[i + 1:]), f"rad {i + 1} borttagen"
    if kind == "duplicate":
        return "\n".join(lines[:i + 1] + lines[i:]), f"rad {i + 1} dubblerad"
    if kind in ("type", "date"):
        valued = [j for j, ln in enumerate(lines) if re.match(r"^\s*(- )?[\w-]+: \S", ln)]
        if kind == "date":
            dated = [j for j, ln in enumerate(lines) if re.search(r"\d{4}-\d{2}-\d{2}", ln)]
            valued = dated or valued
        j = rng.choice(valued) if valued else i
        new = rng.choice(BAD_DATES if kind == "date" else TYPE_CHANGES)
        key, sep, _ = lines[j].partition(": ")
        lines[j] = f"{key}{sep}{new}" if sep else f"{lines[j]} {new}"
        return "\n".join(lines), f"rad {j + 1}: värdet {new}"
    if kind == "control":
        pos = rng.randrange(len(text) + 1)
        ch = rng.choice(CONTROLS)
        return text[:pos] + ch + text[pos:], f"tecken {ord(ch):#04x} vid {pos}"
    lines.insert(i, rng.choice(SYNTAX))
    return "\n".join(lines), f"syntaxfel på rad {i + 1}"


def mutants() -> list[tuple[str, str, str]]:
    """(file, description, mutated text) for every file, the same on every run."""
    rng = random.Random(SEED)
    out = []
    for rel in pack_files():
        text = (DEFAULT_PACK / rel).read_text(encoding="utf-8")
        seen = set()
        while len(seen) < PER_FILE:
            new, what = _mutate(text, rng)
            if new != text and new not in seen:
                seen.add(new)
                out.append((rel, what, new))
    return out


MUTANTS = mutants()


def assert_swedish_file_line(lines: list[str], where: str) -> None:
    assert lines, f"{where}: ogiltigt men inga fel"
    for line in lines:
        m = ERROR_LINE.match(line)
        assert m, f"{where}: inte fil:rad: {line!r}"
        assert not ENGLISH.search(m["msg"]), f"{where}: inte svenska: {line!r}"


def run_main(main, argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse
            rc = exc.code if isinstance(exc.code, int) else 1
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return shutil.copytree(DEFAULT_PACK, tmp_path_factory.mktemp("mutant") / "pack")


@contextlib.contextmanager
def mutated(pack: Path, rel: str, text: str | None):
    """The pack with `rel` replaced by `text` (None: a directory in the file's place)."""
    path = pack / rel
    original = path.read_bytes()
    path.unlink()
    if text is None:
        path.mkdir()
        (path / "inuti.yaml").write_text("x: 1\n", encoding="utf-8")
    else:
        path.write_bytes(text.encode("utf-8"))
    try:
        yield
    finally:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        path.write_bytes(original)


def test_there_are_at_least_500_mutants_over_every_file():
    assert len(MUTANTS) >= 500
    assert {rel for rel, _, _ in MUTANTS} == set(pack_files()) and len(pack_files()) >= 10


def test_the_loader_itself_raises_only_pack_invalid(work):
    for rel, what, text in MUTANTS[::7]:
        with mutated(work, rel, text):
            try:
                load_pack(work)
            except PackInvalid as exc:
                assert_swedish_file_line([str(e) for e in exc.errors], f"{rel} ({what})")


def test_check_and_test_give_file_line_errors_for_every_mutant(work):
    from service.cli import main as cli_main
    from service.cli.features import main as test_main

    invalid = 0
    cases = [(rel, what, text) for rel, what, text in MUTANTS] + [(rel, "mapp", None) for rel in pack_files()]
    for rel, what, text in cases:
        where = f"{rel} ({what})"
        with mutated(work, rel, text):
            rc, out, err = run_main(cli_main, ["check", str(work)])
            assert "Traceback" not in out + err, where
            assert rc in (0, 1), f"{where}: {rc} {out}{err}"
            if rc == 0:
                continue
            invalid += 1
            assert rc == 1, f"{where}: {out}{err}"
            assert_swedish_file_line(out.strip().splitlines(), f"check {where}")
            # `foraldrastod test` stops at the same errors before running any scenario
            rc, out, err = run_main(test_main, ["--rules", str(work)])
            assert rc == 1 and "Traceback" not in out + err, f"test {where}: {out}{err}"
            listed = [ln for ln in err.splitlines() if ERROR_LINE.match(ln)]
            assert_swedish_file_line(listed, f"test {where}")
    assert invalid >= 300, f"only {invalid} mutants were invalid: the mutations are too mild"


@pytest.mark.parametrize("rel,text", [("pack.yaml", "meta: [\n"), ("pack.yaml", None), ("pack.yaml", "x: 1\n")])
def test_real_commands_on_a_broken_pack_yaml(work, rel, text):
    """The console script itself, as a person runs it (a subprocess each)."""
    exe = Path(sys.executable).parent / "foraldrastod"
    with mutated(work, rel, text):
        for argv in (["check", str(work)], ["test", "--rules", str(work)]):
            proc = subprocess.run([str(exe), *argv], capture_output=True, text=True, timeout=120)
            assert proc.returncode == 1, proc.stdout + proc.stderr
            assert "Traceback" not in proc.stdout + proc.stderr
            listed = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ERROR_LINE.match(ln)]
            assert any(ln.startswith("pack.yaml:") for ln in listed), proc.stdout + proc.stderr
            assert_swedish_file_line(listed, " ".join(argv))


def test_admin_reload_answers_every_mutant_with_file_line_errors(work, monkeypatch):
    from service.app import create_app

    monkeypatch.setenv("FORALDRASTOD_ADMIN_TOKEN", "hemlig-token-123")
    headers = {"Authorization": "Bearer hemlig-token-123"}
    cases = [*MUTANTS, *((rel, "mapp", None) for rel in pack_files())]
    with TestClient(create_app(work), raise_server_exceptions=False) as client:
        for rel, what, text in cases:
            where = f"{rel} ({what})"
            with mutated(work, rel, text):
                r = client.post("/v1/admin/reload", headers=headers)
            assert r.status_code in (200, 422), f"{where}: {r.status_code} {r.text[:300]}"
            if r.status_code == 422:
                body = r.json()
                assert body["message"].startswith("Regelpaketet är ogiltigt"), where
                assert_swedish_file_line(body["pack_errors"], f"reload {where}")
        assert client.get("/healthz").status_code == 200


def test_workspace_text_save_answers_every_mutant_without_a_500(tmp_path, monkeypatch):
    from argon2 import PasswordHasher

    from service.app import create_app
    from service.workspace import auth, db, store
    from tests.workspace.web_support import PASSWORD, client_for, csrf_of

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    url = f"sqlite:///{tmp_path / 'ws.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FORALDRASTOD_JOBS_DIR", str(tmp_path / "jobb"))
    monkeypatch.setenv("FORALDRASTOD_PACK_CACHE", str(tmp_path / "pack-cache"))
    monkeypatch.delenv("FORALDRASTOD_RULES", raising=False)
    monkeypatch.delenv("FORALDRASTOD_PUBLIC_URL", raising=False)
    db.upgrade(url)
    with db.session_scope(url) as s:
        store.ensure_seeded(s)
        store.add_user(s, "rut", "redaktor", PASSWORD)
    app = create_app()
    rut = client_for(app, "rut")
    page = rut.get("/redaktion").text
    r = rut.post("/redaktion/utkast", data={"csrf": csrf_of(page), "anledning": "mutationer"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    draft = r.headers["location"]
    csrf = csrf_of(rut.get(draft).text)
    revision = int(re.search(r'name="revision" value="(\d+)"',
                             rut.get(f"{draft}/text?sokvag=pack.yaml").text).group(1))
    saved = 0
    for rel, what, text in MUTANTS:  # text only: the editor cannot put a directory in a file's place
        where = f"{rel} ({what})"
        r = rut.post(f"{draft}/text?sokvag={rel}", data={"csrf": csrf, "revision": str(revision), "text": text},
                     follow_redirects=False)
        assert r.status_code in (303, 422), f"{where}: {r.status_code} {r.text[:500]}"
        if r.status_code == 422:
            assert "Inte sparat: regelpaketet blir ogiltigt" in r.text, where
            listed = re.findall(r"<li>([\w./-]+\.yaml:\d+: [^<]*)</li>", r.text)
            assert listed, f"{where}: inga fil:rad-fel i sidan"
            assert not any(ENGLISH.search(x) for x in listed), f"{where}: {listed}"
        else:  # valid: saved; put the file back
            saved += 1
            revision += 1
            original = (DEFAULT_PACK / rel).read_text(encoding="utf-8")
            r = rut.post(f"{draft}/text?sokvag={rel}", data={"csrf": csrf, "revision": str(revision), "text": original},
                         follow_redirects=False)
            assert r.status_code == 303, r.text[:300]
            revision += 1
    assert saved < len(MUTANTS) // 2, "most mutants must be refused"
    db.dispose_all()
