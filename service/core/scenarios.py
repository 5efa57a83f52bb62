"""Running a pack's behaviour tests (Gherkin, features/*.feature): the one way every caller runs
them — `foraldrastod test` (service/cli/features.py), Kontrollera and approval in the workspace,
`pack approve`. Runs pytest in a child process on a features directory with FORALDRASTOD_RULES
set and reads the per-scenario results that features/conftest.py writes. Needs only the runtime
dependencies (pytest, pytest-bdd). Imports nothing of the service.

Which features: FORALDRASTOD_FEATURES_DIR when set; else the pack's own `features/*.feature`
(a version exported from the workspace carries its features); else the repository's features/.
`materialise` writes feature texts beside the step library into a directory pytest runs.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"  # the repository's features and the step library
STEP_LIBRARY = ("conftest.py", "test_strategi.py")  # copied beside materialised features
DEFAULT_RULES = ROOT / "rules" / "orebro-lan"
DEFAULT_RESULTS = ROOT / "artifacts" / "feature-results.json"

PYTEST_EXIT = {
    2: "körningen avbröts",
    3: "internt fel i pytest",
    4: "fel i pytest-argumenten",
    5: "inga scenarier hittades",
}


def features_dir(rules: Path | None = None) -> Path:
    """FORALDRASTOD_FEATURES_DIR (the same env as /strategi), else the repository's features/."""
    return Path(os.environ.get("FORALDRASTOD_FEATURES_DIR") or FEATURES)


def pack_features(rules: Path) -> dict[str, str]:
    """The `features/*.feature` files inside a pack directory, {name relative to features/: text}."""
    base = Path(rules) / "features"
    if not base.is_dir():
        return {}
    return {p.relative_to(base).as_posix(): p.read_bytes().decode("utf-8")
            for p in sorted(base.rglob("*.feature")) if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(base).parts)}


def materialise(features: dict[str, str], root: Path) -> Path:
    """Write `features` ({"name.feature": text}) and the step library into `root`/features; that
    directory. Only .feature files come from the caller: the Python code is always the repository's."""
    target = Path(root) / "features"
    target.mkdir(parents=True, exist_ok=True)
    for name in STEP_LIBRARY:
        shutil.copyfile(FEATURES / name, target / name)
    for rel, text in features.items():
        parts = Path(rel).parts
        if (not rel.endswith(".feature") or Path(rel).is_absolute()
                or any(part in ("", ".", "..") or part.startswith(".") for part in parts)):
            raise ValueError(f"{rel}: inte ett giltigt namn på en feature-fil")
        path = target.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return target


def run_pytest(rules: Path, features: Path, results: Path, extra: list[str] | None = None,
               verbose: bool = False, timeout: float | None = None) -> subprocess.CompletedProcess:
    """pytest on `features` against the pack in `rules`; conftest writes the results to `results`."""
    env = {**os.environ, "FORALDRASTOD_RULES": str(rules), "FORALDRASTOD_FEATURE_RESULTS": str(results)}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    cmd = [
        sys.executable, "-m", "pytest", str(features),
        "--rootdir", str(ROOT), "-p", "no:cacheprovider",
        "-o", "addopts=--strict-markers", "--tb=short" if verbose else "--tb=no", "-q",
        *(extra or []),
    ]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=not verbose, text=True, timeout=timeout)


def usage_errors(output: str) -> list[str]:
    """The `fil:rad: meddelande` lines conftest stops a run with (an unknown tag, say)."""
    usage = [ln[len("ERROR: "):] for ln in output.splitlines() if ln.startswith("ERROR: ")]
    usage = [ln for ln in usage if ln.startswith("features/")] or usage
    more = [ln for ln in output.splitlines() if ln.startswith("features/") and ln not in usage]
    return usage + more


def run_scenarios(rules: Path, features: dict[str, str] | Path | None = None,
                  timeout: float = 300) -> tuple[list[dict], str | None]:
    """Every scenario of `features` (feature texts, a features directory, or None: the pack's own
    features, else the repository's) against the pack in `rules`: the per-scenario results as
    conftest writes them, or [] and a Swedish reason why none ran."""
    rules = Path(rules)
    if features is None:
        features = pack_features(rules) or features_dir()
    work = Path(tempfile.mkdtemp(prefix="foraldrastod-features-"))
    try:
        if isinstance(features, dict):
            if not features:
                return [], "det finns inga beteendetester (features/*.feature)"
            directory = materialise(features, work)
        else:
            directory = Path(features)
        results = work / "resultat.json"
        try:
            proc = run_pytest(rules, directory, results, timeout=timeout)
        except subprocess.TimeoutExpired:
            return [], f"körningen tog mer än {int(timeout)} s och avbröts"
        try:
            body = json.loads(results.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            body = None
        output = (proc.stdout or "") + (proc.stderr or "")
        if body and body.get("scenarios"):
            scenarios = list(body["scenarios"])
            if proc.returncode == 0 or (proc.returncode == 1 and any(sc["status"] != "passed" for sc in scenarios)):
                return scenarios, None
            # scenarios ran, yet pytest failed outside them (an error while collecting a file, say)
            errors = [ln for ln in output.splitlines() if ln.startswith("ERROR")][:5]
            reason = PYTEST_EXIT.get(proc.returncode, f"pytest avslutades med kod {proc.returncode}")
            return scenarios, f"pytest avslutades med kod {proc.returncode} ({reason})" + \
                ("".join(f"; {ln}" for ln in errors))
        usage = usage_errors(output)
        if usage and proc.returncode == 4:
            return [], "; ".join(usage)
        reason = PYTEST_EXIT.get(proc.returncode, f"pytest avslutades med kod {proc.returncode}")
        return [], f"inga scenarier kördes ({reason})"
    finally:
        shutil.rmtree(work, ignore_errors=True)
