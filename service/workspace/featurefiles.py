"""Gherkin features as part of a pack version: `features/<name>.feature` in the same file map as
the pack's YAML files (the engine's version string hashes only *.yaml, so features never change
it). Names, the repository's features for seeding, a Swedish Gherkin syntax check with line
numbers (the parser pytest-bdd itself uses, gherkin-official), and the step phrases policy staff
may use (features/README.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gherkin.errors import CompositeParserException, ParserError, ParserException
from gherkin.parser import Parser

ROOT = Path(__file__).resolve().parents[2]
REPO_FEATURES = ROOT / "features"
PREFIX = "features/"
SUFFIX = ".feature"
_NAME = re.compile(r"^[a-z0-9åäö][a-z0-9åäö_-]{0,59}$")
NEW_FEATURE = """# language: sv
Egenskap: {title}
  Vad strategin säger, med egna ord.

  @strategi-avsnitt-4
  Scenario: Ett exempel
    Givet en familj i kommunen "Nora" med ett barn som är 8 månader
    När stödet bedöms
    Så rekommenderas insatsen "bvc" på nivån "universell"
"""


def is_feature(path: str) -> bool:
    return path.startswith(PREFIX) and path.endswith(SUFFIX)


def path_of(name: str) -> str:
    """'familjecentral' or 'familjecentral.feature' → 'features/familjecentral.feature', or ValueError (Swedish)."""
    name = (name or "").strip().removeprefix(PREFIX).removesuffix(SUFFIX).lower()
    if not _NAME.match(name):
        raise ValueError("Namnet får bara innehålla små bokstäver (a–ö), siffror, bindestreck och understreck, "
                         "högst 60 tecken, till exempel familjecentral-nora.")
    return f"{PREFIX}{name}{SUFFIX}"


def name_of(path: str) -> str:
    return path.removeprefix(PREFIX)


def of(files: dict[str, str]) -> dict[str, str]:
    """The feature files of a file map, {"features/x.feature": text}."""
    return {p: t for p, t in sorted(files.items()) if is_feature(p)}


def runnable(files: dict[str, str]) -> dict[str, str]:
    """The feature files keyed relative to features/ (what service.core.scenarios.materialise takes)."""
    return {name_of(p): t for p, t in of(files).items()}


def repository() -> dict[str, str]:
    """The repository's features/*.feature, as files of a pack version."""
    return {f"{PREFIX}{p.name}": p.read_bytes().decode("utf-8") for p in sorted(REPO_FEATURES.glob(f"*{SUFFIX}"))}


# --------------------------------------------------------------------------- syntax
_TOKENS = {
    "#EOF": "filens slut",
    "#Language": "# language: sv",
    "#FeatureLine": "Egenskap:",
    "#BackgroundLine": "Bakgrund:",
    "#ScenarioLine": "Scenario: eller Scenariomall:",
    "#ExamplesLine": "Exempel:",
    "#RuleLine": "Regel:",
    "#StepLine": "ett steg (Givet, När, Så, Och, Men)",
    "#TagLine": "en tagg (@…)",
    "#TableRow": "en tabellrad (| … |)",
    "#DocStringSeparator": 'en textblocksgräns (""")',
    "#Comment": "en kommentar (#)",
    "#Empty": "en tom rad",
    "#Other": "text",
}
_AST = {
    "inconsistent cell count within the table": "tabellens rader har olika många celler",
}


@dataclass(frozen=True)
class SyntaxProblem:
    line: int
    message: str  # Swedish, without the line

    def __str__(self) -> str:
        return f"rad {self.line}: {self.message}"


def _expected(text: str) -> str:
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    words = [_TOKENS.get(t, t.lstrip("#")) for t in tokens if t not in ("#Comment", "#Empty")]
    return ", ".join(words[:-1]) + (" eller " if len(words) > 1 else "") + words[-1] if words else "något annat"


def _swedish(exc: ParserException) -> SyntaxProblem:
    line = int(exc.location.get("line") or 1)
    raw = str(exc.args[0])
    raw = re.sub(r"^\(\d+:\d+\):\s*", "", raw)
    m = re.match(r"expected: (.*), got '(.*)'$", raw, re.S)
    if m:
        got = m.group(2)
        if "#FeatureLine" in m.group(1) and "#Language" in m.group(1) and got.startswith("Egenskap"):
            return SyntaxProblem(line, "filen måste börja med raden '# language: sv' så att Egenskap, Givet, När "
                                       "och Så förstås som svenska nyckelord")
        return SyntaxProblem(line, f"här väntades {_expected(m.group(1))}, men raden är '{got}'")
    m = re.match(r"unexpected end of file, expected: (.*)$", raw, re.S)
    if m:
        if "#DocStringSeparator" in m.group(1):
            return SyntaxProblem(line, 'filen tar slut inne i ett textblock: stäng det med en rad """')
        return SyntaxProblem(line, f"filen tar slut för tidigt; här väntades {_expected(m.group(1))}")
    m = re.match(r"Language not supported: (.*)$", raw)
    if m:
        return SyntaxProblem(line, f"okänt språk '{m.group(1)}'; skriv '# language: sv'")
    return SyntaxProblem(line, _AST.get(raw, f"Gherkin kan inte läsa raden ({raw})"))


def syntax_problems(text: str) -> list[SyntaxProblem]:
    """Swedish syntax problems of one feature file, with line numbers; [] when it parses as a
    Swedish feature with at least one scenario."""
    try:
        doc = Parser().parse(text)
    except CompositeParserException as exc:
        found = sorted({_swedish(e) for e in exc.errors}, key=lambda p: p.line)
        language = [p for p in found if "# language: sv" in p.message and p.line == 1]
        return language or found  # without the language line every later line is an error too
    except ParserException as exc:
        return [_swedish(exc)]
    except ParserError as exc:  # pragma: no cover - the parser raises the two above
        return [SyntaxProblem(1, f"Gherkin kan inte läsa filen ({exc})")]
    feature = doc.get("feature")
    if not feature:
        return [SyntaxProblem(1, "filen har ingen rad 'Egenskap:' (och ska börja med '# language: sv')")]
    if feature.get("language") != "sv":
        return [SyntaxProblem(1, "filen måste börja med raden '# language: sv': stegen är svenska")]

    def scenarios(children) -> list[dict]:
        found = []
        for child in children:
            if "scenario" in child:
                found.append(child["scenario"])
            elif "rule" in child:
                found += scenarios(child["rule"].get("children", []))
        return found

    found = scenarios(feature.get("children", []))
    if not found:
        line = int(feature.get("location", {}).get("line") or 1)
        return [SyntaxProblem(line, "egenskapen har inget scenario: lägg till minst ett 'Scenario:'")]
    problems, first = [], {}
    for sc in found:  # pytest-bdd runs only one of two scenarios with the same name
        name, line = sc.get("name", "").strip(), int(sc.get("location", {}).get("line") or 1)
        if name in first:
            problems.append(SyntaxProblem(line, f"scenariot '{name}' finns redan på rad {first[name]}; "
                                                "ge scenarierna olika namn (annars körs bara det ena)"))
        else:
            first[name] = line
    return problems


# the same as features/conftest.py's (tests/workspace/test_issue18_ws.py keeps them equal): the
# service does not import the test steps
TAG_RE = re.compile(r"(?<![\w@])@([\w\-.åäöÅÄÖ]+)")
TAG_PREFIXES = {
    "strategi": "strategins text",
    "presentation": "Region Örebro läns presentation 2022",
    "socialtjanstlagen": "socialtjänstlagen",
    "kontrakt": "tjänstens publika kontrakt",
}


def tag_prefixes(files: dict[str, str]) -> dict[str, str]:
    """The tag prefixes a feature of this file map may use: the fixed ones of features/conftest.py
    (which stops a run on any other) and the id of every source document in its pack.yaml."""
    import yaml

    prefixes = dict(TAG_PREFIXES)
    try:
        meta = yaml.safe_load(files.get("pack.yaml", "")) or {}
    except yaml.YAMLError:
        meta = {}
    sources = meta.get("sources") if isinstance(meta, dict) else None
    for doc in sources if isinstance(sources, list) else []:
        if isinstance(doc, dict) and doc.get("id"):
            prefixes.setdefault(str(doc["id"]), str(doc.get("title", "")))
    return prefixes


def tag_problems(text: str, files: dict[str, str]) -> list[SyntaxProblem]:
    """An unknown tag, found when the feature is saved rather than at Kontrollera: the same rule
    and words as features/conftest.py (pytest_configure)."""
    import difflib

    prefixes = tag_prefixes(files)
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.lstrip().startswith("@"):
            continue
        for tag in TAG_RE.findall(line):
            if any(tag == p or tag.startswith(p + "-") for p in prefixes):
                continue
            head = tag.split("-")[0]
            close = difflib.get_close_matches(head, list(prefixes), n=1, cutoff=0.6)
            hint = f" – menade du '@{close[0]}{tag[len(head):]}'?" if close else ""
            problems.append(SyntaxProblem(number, f"okänd tagg '@{tag}'{hint} En tagg börjar med ett av prefixen "
                                                  f"{', '.join(sorted(prefixes))}."))
    return problems


def file_problems(files: dict[str, str]) -> list[str]:
    """`features/x.feature:rad: meddelande` for every feature file of a file map that does not parse."""
    return [f"{path}:{p.line}: {p.message}" for path, text in of(files).items() for p in syntax_problems(text)]


# --------------------------------------------------------------------------- the step phrases
@dataclass(frozen=True)
class Step:
    group: str  # Givet | När | Så
    text: str  # as written in features/README.md, with example values
    meaning: str


@lru_cache(maxsize=1)
def step_catalogue() -> tuple[Step, ...]:
    """The steps in features/README.md ("## Alla steg"): the phrases a feature may use."""
    readme = (REPO_FEATURES / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Alla steg", 1)[-1].split("\n## ", 1)[0]
    steps: list[Step] = []
    group = ""
    for line in section.splitlines():
        head = re.match(r"^\*\*(Givet|När|Så)\*\*", line)
        if head:
            group = head.group(1)
            continue
        row = re.match(r"^\|\s*(`.+?)\s*\|\s*(.*?)\s*\|\s*$", line)
        if row and group:
            phrases = re.findall(r"`([^`]+)`", row.group(1))
            meaning = re.sub(r"`([^`]+)`", r"\1", row.group(2))
            for phrase in phrases:
                steps.append(Step(group, phrase, meaning))
    return tuple(steps)
