"""`foraldrastod test`: run the Gherkin features (features/*.feature) against a rule pack and
summarise the result in Swedish, per feature.

Runs pytest in a child process on a features directory with FORALDRASTOD_RULES set, reads the
per-scenario results that features/conftest.py writes, and returns 0 only if every scenario
passed. Needs only the runtime dependencies (pytest, pytest-bdd).

Which features: FORALDRASTOD_FEATURES_DIR when set; else the pack's own `features/*.feature`
(a version exported from the workspace carries its features); else the repository's features/.
The runner itself (`run_scenarios`, `materialise`, the one way every caller runs the features)
is service/core/scenarios.py, which the workspace's Kontrollera uses too.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections import OrderedDict
from pathlib import Path

# the runner's core lives in service.core.scenarios (the workspace runs it too); its names are
# used as features_runner.X by the commands and the tests
from service.core.scenarios import (DEFAULT_RESULTS, DEFAULT_RULES, FEATURES, PYTEST_EXIT, ROOT,  # noqa: F401
                                    STEP_LIBRARY, features_dir, materialise, pack_features, run_pytest,
                                    run_scenarios, usage_errors)


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
