"""Kontrollera and Effekt for a draft: validation, lint, the draft's own Gherkin features (syntax,
then every scenario), which scenarios changed result against the current version (run with its
own features), and the impact (engine/impact.py when present).

The slow parts run as background jobs whose state lives in small files under a jobs directory,
keyed by what they compute (the pack versions), so any worker of any server can show the progress
and the result, and a second request for the same thing reuses the first. Nothing about a family
is involved: inputs are pack files only.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine import Pack, PackInvalid, load_pack
from engine.lint import lint_pack

ROOT = Path(__file__).resolve().parents[2]
STALE_AFTER_S = 15 * 60  # a "running" job file older than this was left by a dead process


# --------------------------------------------------------------------------- results
@dataclass
class Scenario:
    feature: str
    file: str
    scenario: str
    status: str  # passed | failed
    message: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.file, self.scenario)


@dataclass
class ScenarioChange:
    file: str
    scenario: str
    before: str | None  # passed | failed | None (did not exist)
    after: str | None
    message: str | None = None

    @property
    def text(self) -> str:
        return {
            ("passed", "failed"): "godkänt före, underkänt nu",
            ("failed", "passed"): "underkänt före, godkänt nu",
            (None, "passed"): "nytt scenario, godkänt",
            (None, "failed"): "nytt scenario, underkänt",
            ("passed", None): "scenariot finns inte längre",
            ("failed", None): "scenariot finns inte längre",
        }.get((self.before, self.after), f"{self.before} → {self.after}")


@dataclass
class CheckReport:
    version: str | None  # the draft's version string; None when the pack is invalid
    errors: list[str] = field(default_factory=list)  # `file:line: meddelande`, as `check` prints
    lint: list[str] = field(default_factory=list)  # lint findings, as `check` prints them
    scenarios: list[Scenario] = field(default_factory=list)
    features_error: str | None = None  # the features could not be run at all
    changes: list[ScenarioChange] = field(default_factory=list)  # against the current version
    current_version: str | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[Scenario]:
        return [s for s in self.scenarios if s.status != "passed"]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.features_error and bool(self.scenarios) and not self.failed

    def summary(self) -> str:
        if self.errors:
            return f"Regelpaketet har {len(self.errors)} fel."
        if self.features_error:
            return f"Beteendetesterna kunde inte köras: {self.features_error}"
        passed = len(self.scenarios) - len(self.failed)
        n = len(self.scenarios)
        text = f"{n} {'scenario' if n == 1 else 'scenarier'}: {passed} {'godkänt' if passed == 1 else 'godkända'}, " \
               f"{len(self.failed)} {'underkänt' if len(self.failed) == 1 else 'underkända'}."
        if self.changes:
            text += f" {len(self.changes)} har ändrat resultat jämfört med publicerad version."
        return text

    def to_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["ok"] = self.ok
        body["summary"] = self.summary()
        return body


# --------------------------------------------------------------------------- the parts
def validate(pack_dir: Path) -> tuple[Pack | None, list[str]]:
    """The pack, or the errors exactly as `foraldrastod check` prints them."""
    try:
        return load_pack(pack_dir), []
    except PackInvalid as exc:
        return None, [str(e) for e in exc.errors]


def lint(pack: Pack, day: dt.date | None = None) -> list[str]:
    return [str(f) for f in lint_pack(pack, day)]


def run_features(pack_dir: Path, timeout: float = 300) -> tuple[list[Scenario], str | None]:
    """The pack's own Gherkin features (`pack_dir`/features/*.feature, the version's or draft's)
    against the pack in `pack_dir`, in a child process like `foraldrastod test`; the
    per-scenario results, or [] and a Swedish reason."""
    from service.core.scenarios import pack_features, run_scenarios

    features = pack_features(pack_dir)
    if not features:
        return [], "regelpaketet har inga beteendetester (features/*.feature); lägg till minst ett"
    found, error = run_scenarios(pack_dir, features, timeout=timeout)
    scenarios = [Scenario(feature=s["feature"], file=s["file"], scenario=s["scenario"], status=s["status"],
                          message=s.get("message")) for s in found]
    return scenarios, error


def feature_problems(pack_dir: Path) -> list[str]:
    """`features/x.feature:rad: meddelande` for each feature file that is not valid Swedish Gherkin."""
    from service.core.scenarios import pack_features

    from .featurefiles import PREFIX, file_problems

    return file_problems({PREFIX + name: text for name, text in pack_features(pack_dir).items()})


def _digest(directory: Path) -> str:
    """What a features run on `directory` depends on: its YAML and feature files."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(directory).rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".feature")):
        h.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def scenario_changes(before: list[Scenario], after: list[Scenario]) -> list[ScenarioChange]:
    """Scenarios whose result differs between two runs (added and removed ones included)."""
    old = {s.key: s for s in before}
    new = {s.key: s for s in after}
    changes = []
    for key in list(old) + [k for k in new if k not in old]:
        a, b = old.get(key), new.get(key)
        sa, sb = (a.status if a else None), (b.status if b else None)
        if sa != sb:
            changes.append(ScenarioChange(file=key[0], scenario=key[1], before=sa, after=sb,
                                          message=b.message if b else None))
    return changes


_baseline_lock = threading.Lock()
_baseline: dict[str, tuple[list[Scenario], str | None]] = {}


def baseline_scenarios(current_dir: Path, version: str) -> tuple[list[Scenario], str | None]:
    """The current version's features against the current version, once per content and process
    (two versions may share a version string and differ in their features)."""
    key = f"{version}:{_digest(current_dir)}"
    with _baseline_lock:
        if key not in _baseline:
            _baseline.clear()
            _baseline[key] = run_features(current_dir)
        return _baseline[key]


def run_checks(pack_dir: Path, current_dir: Path | None = None,
               progress: Callable[[float, str], None] | None = None) -> CheckReport:
    """Validation, lint and every feature on the draft in `pack_dir`; with `current_dir` (the
    published version's files) also which scenarios changed result."""
    step = progress or (lambda fraction, text: None)
    started = time.monotonic()
    step(0.02, "Validerar regelpaketet")
    pack, errors = validate(pack_dir)
    errors += feature_problems(pack_dir)
    report = CheckReport(version=pack.version if pack else None, errors=errors)
    if pack is None or errors:
        report.seconds = time.monotonic() - started
        return report
    step(0.1, "Granskar reglerna (lint)")
    report.lint = lint(pack)
    step(0.2, "Kör beteendetesterna mot utkastet")
    report.scenarios, report.features_error = run_features(pack_dir)
    if current_dir is not None and not report.features_error:
        current, cur_errors = validate(current_dir)
        if current is not None:
            report.current_version = current.version
            step(0.6, "Kör beteendetesterna mot publicerad version")
            before, before_error = baseline_scenarios(current_dir, current.version)
            if not before_error:
                report.changes = scenario_changes(before, report.scenarios)
    step(1.0, "Klart")
    report.seconds = time.monotonic() - started
    return report


# --------------------------------------------------------------------------- impact (guarded)
def impact_available() -> bool:
    try:
        from engine import impact  # noqa: F401  (built on another branch; the lead merges it)
    except ImportError:
        return False
    return hasattr(impact, "compute_impact")


IMPACT_MISSING = ("Effektberäkningen (engine/impact.py) finns inte i den här installationen ännu. "
                  "Kontrollera och granskningen fungerar ändå.")


def run_impact(old_dir: Path, new_dir: Path, day: dt.date,
               progress: Callable[[float, str], None] | None = None):
    """engine.impact.compute_impact over the whole profile space; the Impact object."""
    from engine.impact import compute_impact

    step = progress or (lambda fraction, text: None)
    step(0.01, "Läser versionerna")
    old, new = load_pack(old_dir), load_pack(new_dir)
    result = compute_impact(old, new, day, lambda f: step(max(0.02, min(0.99, float(f))), "Beräknar effekten"))
    step(1.0, "Klart")
    return result


def text_changes(old: Pack, new: Pack) -> list[dict[str, str]]:
    """The texts staff read that differ between two versions, which the profile comparison cannot
    see: a rule's motivation or notice, an insats's name or description, a need's label or
    description. [{"what": "Motiveringen för regeln x", "before": ..., "after": ...}]"""
    out: list[dict[str, str]] = []

    def diff(what: str, before: str | None, after: str | None) -> None:
        if (before or "") != (after or ""):
            out.append({"what": what, "before": before or "(ingen)", "after": after or "(ingen)"})

    old_rules = {r.id: r for r in old.rules}
    for rule in new.rules:
        was = old_rules.get(rule.id)
        if was is not None:
            diff(f"Motiveringen för regeln {rule.id}", was.rationale, rule.rationale)
            diff(f"Meddelandet från regeln {rule.id}", was.notice.text if was.notice else None,
                 rule.notice.text if rule.notice else None)
    for iid, ins in new.insatser.items():
        was = old.insatser.get(iid)
        if was is not None:
            diff(f"Namnet på insatsen {was.name}", was.name, ins.name)
            diff(f"Beskrivningen av insatsen {ins.name}", was.description, ins.description)
    for code, need in new.needs.items():
        was = old.needs.get(code)
        if was is not None:
            diff(f"Namnet på behovet {was.label}", was.label, need.label)
            diff(f"Beskrivningen av behovet {need.label}", was.description, need.description)
    return out


def impact_summary(result) -> dict[str, Any]:
    """What the Effekt page and its CSV downloads need, as plain values (stored with the job)."""
    from engine.impact import impact_csv as to_csv

    out: dict[str, Any] = {"profiles_csv": to_csv(result)}
    try:
        out["cells_csv"] = to_csv(result, per="celler")
    except TypeError:  # an impact_csv without the per-cell table
        out["cells_csv"] = None
    for name in ("changed_profiles", "total_profiles", "children", "children_without_need", "old_version",
                 "new_version", "evaluated"):
        value = getattr(result, name, None)
        out[name] = value if isinstance(value, (int, float, str)) or value is None else str(value)
    kinds = getattr(result, "kinds", None) or {}
    out["kinds"] = {getattr(k, "label", str(k)): int(v) for k, v in kinds.items()}
    out["by_insats"] = {str(k): int(v) for k, v in (getattr(result, "by_insats", None) or {}).items()}
    return out


# --------------------------------------------------------------------------- jobs
def jobs_dir() -> Path:
    base = os.environ.get("FORALDRASTOD_JOBS_DIR")
    path = Path(base) if base else Path(tempfile.gettempdir()) / f"foraldrastod-redaktion-{os.getuid()}"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def job_key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


@dataclass
class JobState:
    state: str  # running | done | failed | missing
    progress: float = 0.0
    step: str = ""
    error: str | None = None
    started: float = 0.0

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


def _status_path(kind: str, key: str) -> Path:
    return jobs_dir() / f"{kind}-{key}.json"


def _result_path(kind: str, key: str) -> Path:
    return jobs_dir() / f"{kind}-{key}.pickle"


def _write_status(kind: str, key: str, state: JobState) -> None:
    path = _status_path(kind, key)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
    os.replace(tmp, path)


def job_state(kind: str, key: str) -> JobState:
    try:
        data = json.loads(_status_path(kind, key).read_text(encoding="utf-8"))
        return JobState(**data)
    except (OSError, ValueError, TypeError):
        return JobState(state="missing")


def job_result(kind: str, key: str):
    try:
        with _result_path(kind, key).open("rb") as fh:
            return pickle.load(fh)  # written by this program only, in a private directory
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def start_job(kind: str, key: str, work: Callable[[Callable[[float, str], None]], Any],
              cleanup: Callable[[], None] | None = None) -> JobState:
    """Run `work(progress)` in a background thread unless that job runs or ran already."""
    state = job_state(kind, key)
    if state.state == "done" or (state.state == "running" and time.time() - state.started < STALE_AFTER_S):
        if cleanup:
            cleanup()
        return state
    try:  # claim it: only one worker starts a given job
        fd = os.open(jobs_dir() / f"{kind}-{key}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        claim = jobs_dir() / f"{kind}-{key}.claim"
        try:
            if time.time() - claim.stat().st_mtime < STALE_AFTER_S and state.state != "failed":
                if cleanup:
                    cleanup()
                return job_state(kind, key) if job_state(kind, key).state != "missing" else \
                    JobState(state="running", step="Startar", started=time.time())
            claim.unlink(missing_ok=True)
            return start_job(kind, key, work, cleanup)
        except FileNotFoundError:
            return start_job(kind, key, work, cleanup)
    current = JobState(state="running", progress=0.0, step="Startar", started=time.time())
    _write_status(kind, key, current)

    def progress(fraction: float, text: str) -> None:
        current.progress = round(max(current.progress, min(1.0, fraction)), 3)
        current.step = text
        _write_status(kind, key, current)

    def run() -> None:
        try:
            result = work(progress)
            tmp = _result_path(kind, key).with_suffix(".tmp")
            with tmp.open("wb") as fh:
                pickle.dump(result, fh)
            os.replace(tmp, _result_path(kind, key))
            current.state, current.progress, current.step = "done", 1.0, "Klart"
        except Exception as exc:  # shown on the status page, in Swedish
            current.state, current.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        finally:
            _write_status(kind, key, current)
            (jobs_dir() / f"{kind}-{key}.claim").unlink(missing_ok=True)
            if cleanup:
                cleanup()

    threading.Thread(target=run, name=f"redaktion-{kind}", daemon=True).start()
    return current
