"""Living documentation: the Gherkin features, the strategy sections they encode, their latest result.

Reads features/*.feature (any language Gherkin knows, Swedish here) and the results file the
features' conftest writes (env FORALDRASTOD_FEATURE_RESULTS, default
artifacts/feature-results.json). Pure data: service/pages/web.py and templates/strategi.html show it.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from gherkin.errors import ParserError
from gherkin.parser import Parser

ROOT = Path(__file__).resolve().parents[2]
STRATEGY_TAG = re.compile(r"^@?strategi-(.+)$")
SOURCE_TAGS = {  # other tags that name where a scenario comes from
    "presentation": "Presentationen 2022",
    "socialtjanstlagen": "Socialtjänstlagen",
    "kontrakt": "Tjänstens kontrakt",
}

STATUS_TEXT = {"passed": "godkänd", "failed": "underkänd", None: "inte körd"}


def features_dir() -> Path:
    return Path(os.environ.get("FORALDRASTOD_FEATURES_DIR") or ROOT / "features")


def results_path() -> Path:
    return Path(os.environ.get("FORALDRASTOD_FEATURE_RESULTS") or ROOT / "artifacts" / "feature-results.json")


@dataclass
class Step:
    keyword: str
    text: str


class _Tagged:
    """Strategy sections and other sources, read from the Gherkin tags."""

    tags: list[str]

    @property
    def sections(self) -> list[str]:
        return strategy_sections(self.tags)

    @property
    def sources(self) -> list[str]:
        return other_sources(self.tags)


@dataclass
class ScenarioDoc(_Tagged):
    name: str
    keyword: str
    tags: list[str]
    steps: list[Step]
    examples: list[list[list[str]]] = field(default_factory=list)  # tables: header row first
    status: str | None = None  # passed | failed | None (inte körd)
    runs: int = 0
    failed_runs: int = 0


@dataclass
class FeatureDoc(_Tagged):
    file: str
    name: str
    description: str
    tags: list[str]
    background: list[Step]
    scenarios: list[ScenarioDoc]
    error: str | None = None


@dataclass
class Results:
    generated: str | None
    ruleset: dict | None
    scenarios: list[dict]
    error: str | None = None


def strategy_sections(tags: list[str]) -> list[str]:
    """What part of the strategy a tag names, in Swedish: '@strategi-avsnitt-4' -> 'avsnitt 4',
    '@strategi-avsnitt-4-2' -> 'avsnitt 4.2', '@strategi-malomrade-2' -> 'målområde 2'."""
    out = []
    for t in tags:
        m = STRATEGY_TAG.match(t)
        if not m:
            continue
        rest = m.group(1)
        for prefix, word in (("avsnitt-", "avsnitt"), ("malomrade-", "målområde")):
            if rest.startswith(prefix):
                out.append(f"{word} {rest[len(prefix):].replace('-', '.')}")
                break
        else:
            out.append(rest.replace("-", " ").replace("titel", "titeln"))
    return out


def other_sources(tags: list[str]) -> list[str]:
    """Non-strategy tags as readable source names: '@presentation-norra-lansdelen' ->
    'Presentationen 2022: norra lansdelen'."""
    out = []
    for t in tags:
        name = t.lstrip("@")
        if STRATEGY_TAG.match(name):
            continue
        head, _, rest = name.partition("-")
        label = SOURCE_TAGS.get(head, head.replace("_", " ").capitalize())
        out.append(f"{label}: {rest.replace('-', ' ')}" if rest else label)
    return out


def load_results(path: Path | None = None) -> Results:
    path = path or results_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Results(None, None, [])
    except (OSError, ValueError) as exc:
        return Results(None, None, [], error=f"resultatfilen kunde inte läsas ({type(exc).__name__})")
    if not isinstance(data, dict) or not isinstance(data.get("scenarios", []), list):
        return Results(None, None, [], error="resultatfilen har fel format")
    return Results(data.get("generated"), data.get("ruleset"),
                   [s for s in data.get("scenarios", []) if isinstance(s, dict)])


def _steps(raw: list[dict]) -> list[Step]:
    return [Step(s["keyword"].strip(), s["text"]) for s in raw]


def _template_regex(name: str) -> re.Pattern:
    parts = re.split(r"<[^<>]+>", name)
    # pytest-bdd may append the example values it did not use, e.g. " (kommun: Nora)"
    return re.compile("^" + ".+?".join(re.escape(p) for p in parts) + r"(?: \(.*\))?$")


def _scenario(raw: dict, inherited_tags: list[str]) -> ScenarioDoc:
    tables = []
    for ex in raw.get("examples", []):
        header = ex.get("tableHeader")
        if header:
            rows = [[c["value"] for c in header["cells"]]]
            rows += [[c["value"] for c in row["cells"]] for row in ex.get("tableBody", [])]
            tables.append(rows)
    tags = inherited_tags + [t["name"] for t in raw.get("tags", [])]
    return ScenarioDoc(raw["name"], raw["keyword"], tags, _steps(raw.get("steps", [])), tables)


def parse_feature(path: Path, rel: str) -> FeatureDoc:
    try:
        doc = Parser().parse(path.read_text(encoding="utf-8"))
    except (ParserError, UnicodeDecodeError) as exc:
        lines = [ln for ln in str(exc).splitlines() if ln.strip() and ln.strip() != "Parser errors:"]
        return FeatureDoc(rel, rel, "", [], [], [], error=lines[0] if lines else "tolkningsfel")
    feat = doc.get("feature") or {}
    tags = [t["name"] for t in feat.get("tags", [])]
    background: list[Step] = []
    scenarios: list[ScenarioDoc] = []

    def walk(children: list[dict], rule_tags: list[str]) -> None:
        nonlocal background
        for child in children:
            if "background" in child:
                background = background + _steps(child["background"].get("steps", []))
            elif "scenario" in child:
                scenarios.append(_scenario(child["scenario"], tags + rule_tags))
            elif "rule" in child:
                r = child["rule"]
                walk(r.get("children", []), rule_tags + [t["name"] for t in r.get("tags", [])])

    walk(feat.get("children", []), [])
    return FeatureDoc(rel, feat.get("name", rel), (feat.get("description") or "").strip(), tags,
                      background, scenarios)


def _attach(features: list[FeatureDoc], results: Results) -> None:
    for feat in features:
        base = Path(feat.file).name
        mine = [r for r in results.scenarios
                if r.get("feature") == feat.name or Path(str(r.get("file", ""))).name == base]
        for sc in feat.scenarios:
            pattern = _template_regex(sc.name)
            hits = [r for r in mine if r.get("scenario") == sc.name or pattern.match(str(r.get("scenario", "")))]
            statuses = [r.get("status") for r in hits]
            sc.runs = len(hits)
            sc.failed_runs = sum(1 for st in statuses if st != "passed")
            if not hits:
                sc.status = None
            elif any(s != "passed" for s in statuses):
                sc.status = "failed"
            else:
                sc.status = "passed"


def living_documentation(directory: Path | None = None, results: Results | None = None) -> tuple[list[FeatureDoc], Results]:
    directory = directory or features_dir()
    results = results or load_results()
    features = []
    if directory.is_dir():
        for path in sorted(directory.rglob("*.feature")):
            features.append(parse_feature(path, path.relative_to(directory).as_posix()))
    _attach(features, results)
    return features, results


# --------------------------------------------------------------------------- the page
STATUS_CLASS = {"passed": "godkand", "failed": "underkand", None: "ej-kord"}


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def expected_runs(sc: ScenarioDoc) -> int:
    """How many scenarios `foraldrastod test` runs for this one: one per example row of an outline."""
    rows = sum(max(len(table) - 1, 0) for table in sc.examples)
    return rows or 1


def run_counts(features: list[FeatureDoc]) -> dict:
    """Scenario counts the way `foraldrastod test` counts them (outline rows one by one)."""
    counts = {"total": 0, "passed": 0, "failed": 0, "not_run": 0}
    for f in features:
        for sc in f.scenarios:
            expected = expected_runs(sc)
            counts["total"] += expected
            if sc.status is None:
                counts["not_run"] += expected
            elif sc.status == "passed":
                counts["passed"] += expected
            else:  # some rows failed: count the rows that ran and did not pass
                failed = max(1, min(expected, sc.failed_runs or 1))
                counts["failed"] += failed
                counts["passed"] += max(expected - failed, 0)
    return counts


def swedish_timestamp(value: str) -> str:
    """'2026-11-24T01:50:00+00:00' -> '24 november 2026 kl. 01.50 (UTC)'."""
    from service.pages.answer import swedish_date

    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    zone = " (UTC)" if moment.utcoffset() == dt.timedelta(0) else ""
    return f"{swedish_date(moment)} kl. {moment:%H.%M}{zone}"


def page_view(features: list[FeatureDoc], results: Results, run: dict | None = None, served: str = "",
              served_version: str | None = None) -> dict:
    """What /strategi shows (templates/strategi.html), in words. `run` is the state of the run
    for the served version (service.pages.strategi_runs), `served` that version in words."""
    state = (run or {}).get("state", "klar")
    rs = results.ruleset or {}
    other = served_version is not None and results.generated and rs.get("version") != served_version
    if results.generated:
        against = (f"den version som serveras ({served})" if served and not other
                   else f"regelpaket {rs.get('name', '?')} {rs.get('version', '?')}")
        text = f"Senaste körning {swedish_timestamp(str(results.generated))} mot {against}."
    else:
        text = "Beteendetesterna har inte körts här ännu (ingen resultatfil)."
    if results.error:
        text += f" Obs: {results.error}."
    if other:
        text += " Obs: resultatet gäller en annan version än den som serveras."
    if (run or {}).get("problem"):
        text += f" Körningen mot den serverade versionen gav inget fullständigt resultat: {run['problem']}."
    progress = ""
    if state == "pagar":
        progress = (f"Beteendetesterna körs nu mot den version som serveras{f' ({served})' if served else ''}; "
                    f"körningen har pågått i {run.get('seconds', 0)} s och brukar ta under en minut. "
                    "Ladda om sidan för att se resultatet.")
    run = text
    shown = []
    for feat in features:
        # a feature without tags of its own is shown with the parts its scenarios name
        scenarios = [{"name": sc.name, "status_class": STATUS_CLASS[sc.status], "status_text": STATUS_TEXT[sc.status],
                      "sections": [s for s in sc.sections if s not in feat.sections],
                      "sources": [s for s in sc.sources if s not in feat.sources],
                      "steps": sc.steps, "examples": sc.examples} for sc in feat.scenarios]
        shown.append({"name": feat.name, "file": feat.file, "error": feat.error, "description": feat.description,
                      "background": feat.background, "scenarios": scenarios,
                      "runs": sum(expected_runs(sc) for sc in feat.scenarios),
                      "sections": feat.sections or _unique(s for sc in feat.scenarios for s in sc.sections),
                      "sources": feat.sources or _unique(s for sc in feat.scenarios for s in sc.sources)})
    return {"run": run, "counts": run_counts(features), "features": shown, "progress": progress,
            "running": state == "pagar"}
