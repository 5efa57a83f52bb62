"""`foraldrastod test`: run the Gherkin features (features/*.feature) against a rule pack and
summarise the result in Swedish, per feature.

Runs pytest in a child process on a features directory with FORALDRASTOD_RULES set, reads the
per-scenario results that features/conftest.py writes, and returns 0 only if every scenario
passed. Needs only the runtime dependencies (pytest, pytest-bdd).

Which features: FORALDRASTOD_FEATURES_DIR when set; else the pack's own `features/*.feature`
(a version exported from the workspace carries its features); else the repository's features/.
`run_scenarios` is the one way every caller (this command, Kontrollera, `pack approve`) runs
them; `materialise` writes feature texts beside the step library into a directory pytest runs.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import OrderedDict
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


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _results_path(rules: Path, extra: list[str]) -> tuple[Path, bool]:
    """Where conftest writes the results; True when it is a temporary file to remove.

    Only a full run of the default pack replaces the file the living documentation reads."""
    if os.environ.get("FORALDRASTOD_FEATURE_RESULTS"):
        return Path(os.environ["FORALDRASTOD_FEATURE_RESULTS"]), False
    if rules.resolve() == DEFAULT_RULES.resolve() and not extra:
        return DEFAULT_RESULTS, False  # the living documentation (/strategi) reads this file
    fd, name = tempfile.mkstemp(prefix="foraldrastod-features-", suffix=".json")
    os.close(fd)
    os.unlink(name)
    return Path(name), True


def summarize(body: dict) -> tuple[list[str], int, int]:
    """Swedish summary lines, number passed, number failed."""
    per_feature: OrderedDict[str, list[dict]] = OrderedDict()
    for sc in body.get("scenarios", []):
        per_feature.setdefault(sc["feature"], []).append(sc)
    passed = sum(1 for sc in body.get("scenarios", []) if sc["status"] == "passed")
    failed = sum(1 for sc in body.get("scenarios", []) if sc["status"] != "passed")
    lines: list[str] = []
    for feature in sorted(per_feature, key=lambda f: per_feature[f][0]["file"]):
        scs = per_feature[feature]
        ok = sum(1 for sc in scs if sc["status"] == "passed")
        mark = "✓" if ok == len(scs) else "✗"
        lines.append(f"{mark} {feature} ({scs[0]['file']}): {ok} av {len(scs)} godkända")
        for sc in scs:
            if sc["status"] != "passed":
                reason = f" – {sc['message']}" if sc.get("message") else ""
                lines.append(f"    underkänt: {sc['scenario']}{reason}")
    return lines, passed, failed


def pack_problems(rules: Path) -> list[str]:
    """The errors `foraldrastod check` reports for the pack, as `fil:rad: meddelande`; [] if valid."""
    from engine import CompileError, PackInvalid, compile_pack, load_pack

    try:
        compile_pack(load_pack(rules), "test")
    except PackInvalid as exc:
        return [str(e) for e in exc.errors]
    except CompileError as exc:
        return [f"regler: {p}" for p in exc.problems]
    return []


def main(args: argparse.Namespace | list[str] | None = None) -> int:
    if args is None or isinstance(args, list):
        from service.cli.sv import SvArgumentParser

        parser = SvArgumentParser(prog="foraldrastod test")
        parser.add_argument("--rules", metavar="DIR", help="regelpaket (standard: rules/orebro-lan)")
        parser.add_argument("extra", nargs="*", help="extra argument till pytest")
        args = parser.parse_args(args or [])
    rules = Path(args.rules).resolve() if getattr(args, "rules", None) else DEFAULT_RULES
    extra = list(getattr(args, "extra", None) or [])
    if not rules.is_dir():
        print(f"Regelpaketet finns inte: {rules}", file=sys.stderr)
        return 2

    problems = pack_problems(rules)
    if problems:
        print(f"Regelpaketet i {rules} är ogiltigt; inga scenarier körs. Rätta först:", file=sys.stderr)
        for line in problems:
            print(line, file=sys.stderr)
        print(f"{len(problems)} fel i regelpaketet (samma som 'foraldrastod check').", file=sys.stderr)
        return 1

    own = {} if os.environ.get("FORALDRASTOD_FEATURES_DIR") else pack_features(rules)
    work = Path(tempfile.mkdtemp(prefix="foraldrastod-features-")) if own else None
    features = materialise(own, work) if own else features_dir()
    results, temporary = _results_path(rules, extra)
    if own and results == DEFAULT_RESULTS:  # /strategi documents the repository's features only
        fd, name = tempfile.mkstemp(prefix="foraldrastod-features-", suffix=".json")
        os.close(fd)
        results, temporary = Path(name), True
    if results.exists():
        results.unlink()
    verbose = any(a in ("-v", "-vv", "--verbose") for a in extra)
    try:
        proc = run_pytest(rules, features, results, extra, verbose)
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)

    try:
        body = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        body = None
    finally:
        if temporary:
            results.unlink(missing_ok=True)

    print(f"Beteendetester (Gherkin) för regelpaketet i {rules}")
    if own:
        print(f"Paketets egna beteendetester: {len(own)} filer i {rules / 'features'}")
    if body is None or not body.get("scenarios"):
        output = (proc.stdout or "") + (proc.stderr or "")
        # features/conftest.py stops the run with `fil:rad: meddelande` (e.g. an unknown tag)
        usage = usage_errors(output)
        if usage and proc.returncode == 4:
            print("Inga scenarier kördes. Rätta först:", file=sys.stderr)
            for line in usage:
                print(line, file=sys.stderr)
            return 1
        reason = PYTEST_EXIT.get(proc.returncode, f"pytest avslutades med kod {proc.returncode}")
        print(f"Inga scenarier kördes: {reason}.")
        if not verbose and (proc.stdout or proc.stderr):
            print((proc.stdout or "") + (proc.stderr or ""), end="")
        return proc.returncode or 1

    ruleset = body.get("ruleset", {})
    print(f"Regelpaket: {ruleset.get('name')} {ruleset.get('version')}")
    print()
    lines, passed, failed = summarize(body)
    for line in lines:
        print(line)
    print()
    total = passed + failed
    print(f"Antal scenarier: {total}. Godkända: {passed}. Underkända: {failed}.")
    if not temporary:
        print(f"Resultaten per scenario finns i {results}")
    if failed == 0 and proc.returncode == 0:
        print("Alla scenarier är godkända.")
        return 0
    if failed == 0:  # pytest failed outside the scenarios (e.g. an error in a step file)
        print(f"pytest avslutades med kod {proc.returncode}.")
        if not verbose:
            print((proc.stdout or "") + (proc.stderr or ""), end="")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
