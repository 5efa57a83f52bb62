"""Steg för de svenska beteendetesterna (features/*.feature) och resultatfilen för /strategi.

Stegen använder regelpaketet i miljövariabeln FORALDRASTOD_RULES (standard rules/orebro-lan)
genom engine.Engine. Varje scenario bedöms en dag när strategin gäller (STRATEGY_DAY) om inte
scenariot själv anger ett datum. Alla steg finns listade i features/README.md.
"""
from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import ValidationError
from pytest_bdd import given as _given
from pytest_bdd import parsers
from pytest_bdd import then as _then
from pytest_bdd import when as _when
from pytest_bdd.scenario import scenario_wrapper_template_registry

from engine import Engine, FamilyInvalid, Level, load_pack
from engine.messages import swedish
from engine.models import MAX_AGE_MONTHS, Decision, Family

ROOT = Path(__file__).resolve().parent.parent
FEATURES_DIR = Path(__file__).resolve().parent
DEFAULT_RULES = ROOT / "rules" / "orebro-lan"
DEFAULT_RESULTS = ROOT / "artifacts" / "feature-results.json"
STRATEGY_DAY = dt.date(2025, 3, 1)  # en dag inom strategins giltighetstid 2024–2030

TAG_RE = re.compile(r"(?<![\w@])@([\w\-.åäöÅÄÖ]+)")
TAG_PREFIXES = {
    "strategi": "strategins text",
    "presentation": "Region Örebro läns presentation 2022",
    "socialtjanstlagen": "socialtjänstlagen",
    "kontrakt": "tjänstens publika kontrakt",
}


def tag_prefixes() -> dict[str, str]:
    """The tag prefixes a feature may use: the fixed ones above, and the id of every source
    document of the pack (pack.yaml `sources`), e.g. @rikshandboken or @allabarnicentrum-abc."""
    prefixes = dict(TAG_PREFIXES)
    try:
        pack = load_pack(rules_dir())
    except Exception:  # an invalid pack: `foraldrastod test` reports it before it gets here
        return prefixes
    for doc in pack.meta.sources:
        prefixes.setdefault(doc.id, doc.title)
    return prefixes


def _rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- step registry
STEPS: list[tuple[str, str]] = []  # (Givet|När|Så, the step as written, with "…" and N for values)
_KIND = {"given": "Givet", "when": "När", "then": "Så"}


def _readable(pattern: str) -> str:
    return re.sub(r"\{[^}:]*:d\}", "N", re.sub(r"\{[^}:]*(:[^}]*)?\}", "…", pattern))


def _recording(kind: str, decorator):
    """pytest-bdd's given/when/then, also keeping the step's text for 'närmaste steg' hints."""
    def wrapper(name, **kwargs):
        STEPS.append((_KIND[kind], _readable(getattr(name, "name", name))))
        return decorator(name, **kwargs)
    return wrapper


given, when, then = _recording("given", _given), _recording("when", _when), _recording("then", _then)


class StegSaknas(AssertionError):
    """A step in a feature file that no step definition matches."""


def nearest_steps(text: str, n: int = 3) -> list[str]:
    """The defined steps most like `text` (values in quotes and numbers compared as placeholders)."""
    shape = re.sub(r"\b\d+\b", "N", re.sub(r'"[^"]*"', '"…"', text))
    candidates = {s for _, s in STEPS}
    scored = sorted(candidates, key=lambda s: difflib.SequenceMatcher(None, shape, s).ratio(), reverse=True)
    return [s for s in scored[:n] if difflib.SequenceMatcher(None, shape, s).ratio() > 0.4]


def pytest_bdd_step_func_lookup_error(request, feature, scenario, step, exception):
    near = nearest_steps(step.name)
    hint = ("; närmaste steg: " + " | ".join(f"'{s}'" for s in near)) if near else ""
    raise StegSaknas(f"{_rel(Path(feature.filename))}:{step.line_number}: okänt steg "
                     f"'{step.keyword.strip()} {step.name}'{hint} (alla steg: features/README.md)")


_STEP_PLACE: dict[str, str] = {}


def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args, exception):
    """Remember where a failing step is, so the summary can say fil:rad."""
    _STEP_PLACE[request.node.nodeid] = f"{_rel(Path(feature.filename))}:{step.line_number}"


# --------------------------------------------------------------------------- markers
def pytest_configure(config: pytest.Config) -> None:
    """Registrera varje tagg i feature-filerna som markör (pytest körs med --strict-markers).

    En tagg måste börja med ett känt prefix (strategi-, presentation-, socialtjanstlagen,
    kontrakt); en felstavad tagg med okänt prefix registreras inte och stoppar körningen."""
    seen: set[str] = set()
    prefixes = tag_prefixes()
    problems: list[str] = []
    for path in sorted(FEATURES_DIR.rglob("*.feature")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.lstrip().startswith("@"):
                continue
            for tag in TAG_RE.findall(line):
                prefix = next((p for p in sorted(prefixes, key=len, reverse=True)
                               if tag == p or tag.startswith(p + "-")), None)
                if prefix is None:
                    head = tag.split("-")[0]
                    close = difflib.get_close_matches(head, list(prefixes), n=1, cutoff=0.6)
                    hint = f" – menade du '@{close[0]}{tag[len(head):]}'?" if close else ""
                    problems.append(f"{_rel(path)}:{number}: okänd tagg '@{tag}'{hint} En tagg börjar med "
                                    f"ett av prefixen {', '.join(sorted(prefixes))}.")
                elif tag not in seen:
                    seen.add(tag)
                    config.addinivalue_line("markers", f"{tag}: kodar {prefixes[prefix]} ({tag})")
    if problems:
        raise pytest.UsageError("\n".join(problems))


# --------------------------------------------------------------------------- engine
def rules_dir() -> Path:
    return Path(os.environ.get("FORALDRASTOD_RULES") or DEFAULT_RULES)


@pytest.fixture(scope="session")
def motor():
    eng = Engine(load_pack(rules_dir()), cache_size=0)
    yield eng
    eng.close()


@dataclass
class Bedomning:
    """Det ett scenario bygger upp: familjen, och efter 'När stödet bedöms' svaret eller felet."""

    kommun: str | None = None
    age_months: int | None = None
    expecting: bool = False
    needs: list[str] = field(default_factory=list)
    date: dt.date = STRATEGY_DAY
    decision: Decision | None = None
    error_field: str | None = None
    error_text: str | None = None

    def family_data(self) -> dict:
        data: dict = {"kommun": self.kommun, "expecting": self.expecting, "needs": list(self.needs),
                      "date": self.date}
        if self.age_months is not None:
            data["age_months"] = self.age_months
        return data

    def svar(self) -> Decision:
        if self.decision is None:
            raise AssertionError(f"inget svar: bedömningen gav felet '{self.error_field}: {self.error_text}'")
        return self.decision

    def insats(self, insats_id: str):
        for rec in self.svar().recommendations:
            if rec.insats_id == insats_id:
                return rec
        names = ", ".join(r.insats_id for r in self.svar().recommendations) or "inga"
        raise AssertionError(f"insatsen '{insats_id}' rekommenderas inte (rekommenderade: {names})")


@pytest.fixture
def bedomning() -> Bedomning:
    return Bedomning()


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def need_code(pack, text: str) -> str:
    if text in pack.needs:
        return text
    by_label = {_fold(n.label): code for code, n in pack.needs.items()}
    return by_label.get(_fold(text), text)


def insats_id(pack, text: str) -> str:
    """An insats by its id or its name; an unknown one fails the step with 'menade du'."""
    if text in pack.insatser:
        return text
    by_name = {_fold(i.name): iid for iid, i in pack.insatser.items()}
    if _fold(text) in by_name:
        return by_name[_fold(text)]
    words = list(pack.insatser) + [i.name for i in pack.insatser.values()]
    close = difflib.get_close_matches(text, words, n=1, cutoff=0.6)
    hint = f" – menade du '{close[0]}'?" if close else ""
    raise AssertionError(f"okänd insats '{text}'{hint} (ange insatsens id eller namn)")


LEVEL_NAMES = [level.value for level in Level]


def level_name(text: str) -> str:
    if text in LEVEL_NAMES:
        return text
    if text.casefold() in LEVEL_NAMES:
        return text.casefold()
    close = difflib.get_close_matches(text.casefold(), LEVEL_NAMES, n=1, cutoff=0.5)
    hint = f" – menade du '{close[0]}'?" if close else ""
    raise AssertionError(f"okänd nivå '{text}'{hint} (universell, selektiv eller indikerad)")


def decide(motor: Engine, data: dict) -> Decision:
    return motor.decide(Family.model_validate(data))


# --------------------------------------------------------------------------- steps
def _quoted(text: str) -> str:
    return text


_quoted.pattern = r'[^"]*'  # a value in quotes never contains a quote: no step shadows another


def steg(pattern: str):
    """A step pattern: {namn:Q} is text in quotes, {n:d} a whole number."""
    return parsers.parse(pattern, extra_types={"Q": _quoted})


# --------------------------------------------------------------------------- Givet
@given(steg('en familj i kommunen "{kommun:Q}" med ett barn som är {alder:d} månader'))
def familj_med_barn_manader(bedomning: Bedomning, kommun: str, alder: int):
    bedomning.kommun, bedomning.age_months = kommun, alder


@given(steg('en familj i kommunen "{kommun:Q}" med ett barn som är {ar:d} år'))
def familj_med_barn_ar(bedomning: Bedomning, kommun: str, ar: int):
    bedomning.kommun, bedomning.age_months = kommun, ar * 12


@given(steg('en familj i kommunen "{kommun:Q}" som väntar barn'))
def familj_som_vantar_barn(bedomning: Bedomning, kommun: str):
    bedomning.kommun, bedomning.expecting = kommun, True


@given(steg('en familj i kommunen "{kommun:Q}"'))
def familj_i_kommun(bedomning: Bedomning, kommun: str):
    bedomning.kommun = kommun


@given("att familjen väntar barn")
def familjen_vantar_barn(bedomning: Bedomning):
    bedomning.expecting = True


@given(steg("att barnet är {alder:d} månader"))
def barnet_ar_manader(bedomning: Bedomning, alder: int):
    bedomning.age_months = alder


@given(steg('behovet "{kod:Q}"'))
def behovet(bedomning: Bedomning, motor: Engine, kod: str):
    """A need by its code or its label ("Barnet har övervikt eller fetma"). An unknown one is
    passed on as it is: the engine's own error (with 'menade du') is what a scenario may test."""
    bedomning.needs.append(need_code(motor.pack, kod))


@given(steg("att stödet bedöms den {datum:ti}"))
def bedoms_den(bedomning: Bedomning, datum):
    bedomning.date = datum.date()


# --------------------------------------------------------------------------- När
@when("stödet bedöms")
def stodet_bedoms(bedomning: Bedomning, motor: Engine):
    try:
        bedomning.decision = decide(motor, bedomning.family_data())
    except ValidationError as exc:
        err = exc.errors()[0]
        bedomning.error_field = ".".join(str(p) for p in err["loc"]) or _field_in_message(err)
        bedomning.error_text = swedish(err)
    except FamilyInvalid as exc:
        bedomning.error_field, bedomning.error_text = exc.field, exc.sv


def _field_in_message(err) -> str:
    """A model-level error names its field first ('age_months: ange ...')."""
    msg = swedish(err)
    return msg.split(":", 1)[0] if ":" in msg else "indata"


# --------------------------------------------------------------------------- Så
@then(steg('rekommenderas insatsen "{insats:Q}" på nivån "{niva:Q}"'))
def rekommenderas_pa_niva(bedomning: Bedomning, motor: Engine, insats: str, niva: str):
    insats = insats_id(motor.pack, insats)
    niva = level_name(niva)
    rec = bedomning.insats(insats)
    assert rec.level.value == niva, f"insatsen '{insats}' har nivån '{rec.level.value}', inte '{niva}'"


@then(steg('rekommenderas insatsen "{insats:Q}"'))
def rekommenderas(bedomning: Bedomning, motor: Engine, insats: str):
    insats = insats_id(motor.pack, insats)
    bedomning.insats(insats)


@then(steg('rekommenderas inte insatsen "{insats:Q}"'))
def rekommenderas_inte(bedomning: Bedomning, motor: Engine, insats: str):
    insats = insats_id(motor.pack, insats)
    ids = [r.insats_id for r in bedomning.svar().recommendations]
    assert insats not in ids, f"insatsen '{insats}' rekommenderas, men borde inte"


@then(steg('är högsta nivån "{niva:Q}"'))
def hogsta_nivan(bedomning: Bedomning, motor: Engine, niva: str):
    niva = level_name(niva)
    assert bedomning.svar().level.value == niva, f"högsta nivån är '{bedomning.svar().level.value}'"


@then(steg('rekommenderas minst en insats på nivån "{niva:Q}"'))
def minst_en_pa_niva(bedomning: Bedomning, motor: Engine, niva: str):
    niva = level_name(niva)
    assert any(r.level.value == niva for r in bedomning.svar().recommendations), f"ingen insats på nivån '{niva}'"


@then(steg('rekommenderas ingen insats på nivån "{niva:Q}"'))
def ingen_pa_niva(bedomning: Bedomning, motor: Engine, niva: str):
    niva = level_name(niva)
    found = [r.insats_id for r in bedomning.svar().recommendations if r.level.value == niva]
    assert not found, f"insatser på nivån '{niva}': {found}"


def kommunens_egen_uppgift(rec) -> bool:
    """The kommun has reported this insats itself (kartläggningen, tillganglighet-kommuner.yaml).

    The availability steps state what the region's sources and assumptions say; a kommun's own
    report takes their place by design (strategins målområde 2), so a true report must not fail
    them. A step that names "kommunens uppgift" still checks it exactly."""
    basis = rec.availability_basis
    return basis is not None and basis.value == "kommunens uppgift"


@then(steg('insatsen "{insats:Q}" finns i kommunen'))
@then(steg('finns insatsen "{insats:Q}" i kommunen'))
def finns_i_kommunen(bedomning: Bedomning, motor: Engine, insats: str):
    insats = insats_id(motor.pack, insats)
    rec = bedomning.insats(insats)
    if kommunens_egen_uppgift(rec):
        return
    status = rec.availability.value
    assert status == "finns", f"insatsen '{insats}' är markerad som '{status}'"


@then(steg('insatsen "{insats:Q}" är markerad som "{status:Q}"'))
@then(steg('är insatsen "{insats:Q}" markerad som "{status:Q}"'))
def markerad_som(bedomning: Bedomning, motor: Engine, insats: str, status: str):
    insats = insats_id(motor.pack, insats)
    rec = bedomning.insats(insats)
    if kommunens_egen_uppgift(rec):
        return
    actual = rec.availability.value
    assert actual == status, f"insatsen '{insats}' är markerad som '{actual}', inte '{status}'"


@then(steg('insatsen "{insats:Q}" bygger på ett antagande'))
@then(steg('bygger insatsen "{insats:Q}" på ett antagande'))
def bygger_pa_antagande(bedomning: Bedomning, motor: Engine, insats: str):
    insats = insats_id(motor.pack, insats)
    assert bedomning.insats(insats).status.value == "antagande"


@then(steg('motiveringen för insatsen "{insats:Q}" hänvisar till källan "{dokument:Q}"'))
def hanvisar_till_kallan(bedomning: Bedomning, motor: Engine, insats: str, dokument: str):
    insats = insats_id(motor.pack, insats)
    rec = bedomning.insats(insats)
    assert rec.rationale.strip(), "motiveringen är tom"
    assert rec.source.document == dokument, f"källan är '{rec.source.document}'"


@then(steg('källan för insatsen "{insats:Q}" citerar "{text:Q}"'))
def kallan_citerar(bedomning: Bedomning, motor: Engine, insats: str, text: str):
    insats = insats_id(motor.pack, insats)
    quote = bedomning.insats(insats).source.quote or ""
    assert text in quote, f"citatet är '{quote}'"


@then("har varje rekommendation en svensk motivering och en källa")
def varje_har_motivering(bedomning: Bedomning):
    for rec in bedomning.svar().recommendations:
        assert len(rec.rationale) > 20 and rec.source.document and rec.source.section, rec.insats_id


@then("är rekommendationerna ordnade från universell till indikerad nivå")
def ordnade(bedomning: Bedomning):
    ranks = [r.level.rank for r in bedomning.svar().recommendations]
    assert ranks == sorted(ranks), [r.level.value for r in bedomning.svar().recommendations]


@then("rekommenderas varje insats bara en gång")
def bara_en_gang(bedomning: Bedomning):
    ids = [r.insats_id for r in bedomning.svar().recommendations]
    assert len(ids) == len(set(ids)), ids


@then("kommer ett kritiskt meddelande först")
def kritiskt_forst(bedomning: Bedomning):
    notices = bedomning.svar().notices
    assert notices, "inga meddelanden"
    assert notices[0].severity.value == "critical", f"första meddelandet är '{notices[0].severity.value}'"


@then(steg('nämner det kritiska meddelandet "{text:Q}"'))
def kritiskt_namner(bedomning: Bedomning, text: str):
    critical = [n.text for n in bedomning.svar().notices if n.severity.value == "critical"]
    assert any(text.lower() in t.lower() for t in critical), critical


@then(steg('tillgången för insatsen "{insats:Q}" bygger på "{grund:Q}"'))
def tillgang_bygger_pa(bedomning: Bedomning, insats: str, grund: str):
    rec = bedomning.insats(insats)
    if grund != "kommunens uppgift" and kommunens_egen_uppgift(rec):
        return
    basis = rec.availability_basis
    assert basis is not None and basis.value == grund, f"tillgången bygger på '{basis.value if basis else None}'"


@then(steg('insatsen "{insats:Q}" rekommenderas på grund av behovet "{kod:Q}"'))
def utlost_av(bedomning: Bedomning, insats: str, kod: str):
    rec = bedomning.insats(insats)
    assert kod in rec.triggered_by, f"insatsen '{insats}' rekommenderas på grund av {rec.triggered_by}"


@then(steg('kommer ett meddelande om behovet "{kod:Q}" som nämner "{text:Q}"'))
def meddelande_om_behovet(bedomning: Bedomning, motor: Engine, kod: str, text: str):
    """A notice that names the need: the need led to no insats, and the answer says so."""
    kod = need_code(motor.pack, kod)
    about = [n for n in bedomning.svar().notices if n.need == kod]
    assert about, f"inget meddelande om behovet '{kod}' (meddelanden: {[n.text[:60] for n in bedomning.svar().notices]})"
    assert any(text in n.text for n in about), f"meddelandet om behovet '{kod}' nämner inte '{text}': {about[0].text}"


@then(steg('visas programmet "{insats:Q}" bland programmen som används i länet'))
def program_i_lanet(bedomning: Bedomning, motor: Engine, insats: str):
    insats = insats_id(motor.pack, insats)
    ids = [p.insats_id for p in bedomning.svar().programs_in_lan]
    assert insats in ids, f"programmet '{insats}' visas inte bland programmen i länet ({', '.join(ids) or 'inga'})"


@then(steg('vilar rekommendationen av insatsen "{insats:Q}" på regionens egen bedömning'))
def vilar_pa_bedomning(bedomning: Bedomning, motor: Engine, insats: str):
    rec = bedomning.insats(insats_id(motor.pack, insats))
    assert rec.rule_basis.value == "antagande" and rec.rule_basis_reason, \
        f"rekommendationen av '{rec.insats_id}' vilar på '{rec.rule_basis.value}'"


@then(steg('kommer ett varningsmeddelande som nämner "{text:Q}"'))
def varning_namner(bedomning: Bedomning, text: str):
    warnings = [n.text for n in bedomning.svar().notices if n.severity.value == "warning"]
    assert any(text.lower() in t.lower() for t in warnings), f"varningar: {warnings}"


@then("kommer inget varningsmeddelande")
def ingen_varning(bedomning: Bedomning):
    warnings = [n.text for n in bedomning.svar().notices if n.severity.value == "warning"]
    assert not warnings, warnings


@then("kommer inget kritiskt meddelande")
def inget_kritiskt(bedomning: Bedomning):
    assert not [n for n in bedomning.svar().notices if n.severity.value == "critical"]


@then(steg('blir svaret ett fel som nämner fältet "{falt:Q}"'))
def fel_om_faltet(bedomning: Bedomning, falt: str):
    assert bedomning.decision is None and bedomning.error_field is not None, "bedömningen gav inget fel"
    assert bedomning.error_field == falt, f"felet gäller fältet '{bedomning.error_field}'"


@then(steg('innehåller felmeddelandet "{text:Q}"'))
def felmeddelandet_innehaller(bedomning: Bedomning, text: str):
    assert bedomning.error_text is not None, "bedömningen gav inget fel"
    assert text in bedomning.error_text, f"felmeddelandet är '{bedomning.error_text}'"


@then(steg("erbjuds universellt stöd vid varje ålder från {fran:d} till {till:d} månader"))
def universellt_vid_varje_alder(bedomning: Bedomning, motor: Engine, fran: int, till: int):
    assert 0 <= fran <= till <= MAX_AGE_MONTHS
    saknas = []
    for months in range(fran, till + 1):
        data = {**bedomning.family_data(), "age_months": months, "expecting": False}
        if not any(r.level is Level.universell for r in decide(motor, data).recommendations):
            saknas.append(months)
    assert not saknas, f"inget universellt stöd vid {len(saknas)} åldrar, t.ex. {saknas[:5]} månader"


@then("erbjuds universellt stöd när familjen väntar barn")
def universellt_nar_vantar(bedomning: Bedomning, motor: Engine):
    data = {**bedomning.family_data(), "expecting": True}
    data.pop("age_months", None)
    assert any(r.level is Level.universell for r in decide(motor, data).recommendations)


# --------------------------------------------------------------------------- uppföljningen
# The report of service/uppfoljning (report.from_counts: every figure through disclosure.protect)
# on the pack, with registrations counted in memory as cells.build counts them; the map as
# karta.build draws it. A kommun's report ("rapporterat att … saknas") is written as the pack's
# tillganglighet-kommuner.yaml in a copy of the pack.
@dataclass
class Uppfoljning:
    pack: object = None
    cells: dict = field(default_factory=dict)
    assessments: dict = field(default_factory=dict)

    def body(self) -> dict:
        from service.uppfoljning import report

        return report.from_counts(self.pack, str(STRATEGY_DAY.year), self.cells, self.assessments, 0,
                                  k=5, day=STRATEGY_DAY)

    def indicator(self, ind_id: str, kommun: str) -> dict:
        code = self.pack.resolve_kommun(kommun)
        assert code is not None, f"okänd kommun '{kommun}'"
        return next(i for i in self.body()["indikatorer"] if i["id"] == ind_id and i["kommunkod"] == code)


@pytest.fixture
def uppfoljning() -> Uppfoljning:
    return Uppfoljning()


@given("uppföljningen av länet")
def uppfoljningen_av_lanet(uppfoljning: Uppfoljning, motor: Engine):
    uppfoljning.pack = motor.pack


@given(steg('att kommunen "{kommun:Q}" har rapporterat att insatsen "{insats:Q}" saknas'))
def kommunen_rapporterar_saknas(uppfoljning: Uppfoljning, tmp_path, kommun: str, insats: str):
    _kommunen_rapporterar(uppfoljning, tmp_path, kommun, insats, "saknas")


@given(steg('att kommunen "{kommun:Q}" har rapporterat att insatsen "{insats:Q}" finns'))
def kommunen_rapporterar_finns(uppfoljning: Uppfoljning, tmp_path, kommun: str, insats: str):
    _kommunen_rapporterar(uppfoljning, tmp_path, kommun, insats, "finns")


def _kommunen_rapporterar(uppfoljning: Uppfoljning, tmp_path, kommun: str, insats: str, status: str) -> None:
    import shutil

    import yaml

    directory = tmp_path / "paket"
    if not directory.exists():
        shutil.copytree(rules_dir(), directory)
    path = directory / "tillganglighet-kommuner.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data or {"entries": []}
    data["entries"].append({"kommun": kommun, "insats": insats_id(uppfoljning.pack, insats), "status": status,
                            "verified": STRATEGY_DAY.isoformat()})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    uppfoljning.pack = load_pack(directory)


def _registrera(uppfoljning: Uppfoljning, antal: int, kommun: str, alder: int, needs: list[str]) -> None:
    from engine import decision_body
    from service.uppfoljning import cells as cellmod

    eng = Engine(uppfoljning.pack, cache_size=0)
    try:
        family = Family.model_validate({"kommun": kommun, "age_months": alder, "needs": needs,
                                        "date": STRATEGY_DAY})
        normalized = uppfoljning.pack.normalize(family)
        recs = decision_body(eng.decide(family))["recommendations"]
    finally:
        eng.close()
    for _ in range(antal):
        reg = cellmod.build(uppfoljning.pack, kommun=normalized.kommun, age_months=alder, expecting=False,
                            needs=needs, period=str(STRATEGY_DAY.year), recommendations=recs, erbjudna=[])
        for cell in reg.cells:
            uppfoljning.cells[cell[1:]] = uppfoljning.cells.get(cell[1:], 0) + 1
        key = reg.assessment[1:]
        uppfoljning.assessments[key] = uppfoljning.assessments.get(key, 0) + 1


@given(steg('att {antal:d} bedömningar har registrerats i kommunen "{kommun:Q}" för barn som är {alder:d} '
            'månader med behovet "{behov:Q}"'))
def registrerade_med_behov(uppfoljning: Uppfoljning, antal: int, kommun: str, alder: int, behov: str):
    _registrera(uppfoljning, antal, kommun, alder, [need_code(uppfoljning.pack, behov)])


@given(steg('att {antal:d} bedömningar har registrerats i kommunen "{kommun:Q}" för barn som är {alder:d} månader'))
def registrerade(uppfoljning: Uppfoljning, antal: int, kommun: str, alder: int):
    _registrera(uppfoljning, antal, kommun, alder, [])


@then(steg('visas kommunen "{kommun:Q}" som att den saknar strategins ”minst en per kommun”'))
def saknar_minst_en_per_kommun(uppfoljning: Uppfoljning, kommun: str):
    ind = uppfoljning.indicator("familjecentral", kommun)
    assert ind["varde"] == "saknas", f"familjecentral i {kommun}: {ind['varde']}"
    assert "minst en per kommun" in ind["kalla"]["quote"]


@then(steg('kartan säger om "{kommun:Q}" att familjecentral saknas'))
def kartan_saknas(uppfoljning: Uppfoljning, kommun: str):
    from service.uppfoljning import karta

    code = uppfoljning.pack.resolve_kommun(kommun)
    inds = {i["kommunkod"]: i for i in uppfoljning.body()["indikatorer"] if i["id"] == "familjecentral"}
    view = karta.build([(c, k.name) for c, k in uppfoljning.pack.kommuner.items()], inds, "familjecentral")
    shape = next(s for s in view["shapes"] if s.code == code)
    assert shape.figure == "familjecentral saknas", shape.figure
    legend = next(item["text"] for item in view["legend"] if item["cls"] == shape.cls)
    assert "uppfyller inte strategins ”minst en per kommun”" in legend, legend


@then(steg('visas kommunen "{kommun:Q}" med en familjecentral'))
def med_familjecentral(uppfoljning: Uppfoljning, kommun: str):
    assert uppfoljning.indicator("familjecentral", kommun)["varde"] == "finns"


@then(steg('visas det som okänt om kommunen "{kommun:Q}" har en familjecentral'))
def okand_familjecentral(uppfoljning: Uppfoljning, kommun: str):
    assert uppfoljning.indicator("familjecentral", kommun)["varde"] == "okänd"


@then(steg('är andelen okända celler i kartläggningen större för "{a:Q}" än för "{b:Q}"'))
def okand_andel_storre(uppfoljning: Uppfoljning, a: str, b: str):
    va = uppfoljning.indicator("kartlaggning_okand_andel", a)["varde"]
    vb = uppfoljning.indicator("kartlaggning_okand_andel", b)["varde"]
    assert va > vb, f"{a}: {va} %, {b}: {vb} %"


@then(steg('erbjuder kommunen "{kommun:Q}" minst ett föräldraskapsprogram enligt uppföljningen'))
def minst_ett_program(uppfoljning: Uppfoljning, kommun: str):
    assert uppfoljning.indicator("minst_ett_foraldraskapsprogram", kommun)["varde"] is True


@then(steg('är det ej tillgodosedda behovet i "{kommun:Q}" {varde:d} per 100 bedömningar'))
def ej_tillgodosett(uppfoljning: Uppfoljning, kommun: str, varde: int):
    ind = uppfoljning.indicator("ej_tillgodosett_behov_per_100", kommun)
    assert ind["varde"] == varde, f"{ind['varde']} per 100 (skyddad: {ind.get('skyddad')})"


@then(steg('visas det ej tillgodosedda behovet i "{kommun:Q}" som skyddat'))
def ej_tillgodosett_skyddat(uppfoljning: Uppfoljning, kommun: str):
    ind = uppfoljning.indicator("ej_tillgodosett_behov_per_100", kommun)
    assert ind["varde"] is None and ind["skyddad"] is True, ind


@then("har kartan en form med namn för varje kommun i länet")
def kartan_varje_kommun(uppfoljning: Uppfoljning):
    from service.uppfoljning import karta

    view = karta.build([(c, k.name) for c, k in uppfoljning.pack.kommuner.items()], {}, "tackt")
    assert not view["missing"], [m["name"] for m in view["missing"]]
    assert [s.name for s in view["shapes"]] == [k.name for k in uppfoljning.pack.kommuner.values()]


# --------------------------------------------------------------------------- results for /strategi
_RESULTS_KEY = pytest.StashKey[dict]()
_results: list[dict] = []


def _scenario_entry(item) -> dict | None:
    """feature, file, scenario (outline rows distinguished), tags of a pytest-bdd test item."""
    template = scenario_wrapper_template_registry.get(getattr(item, "obj", None))
    if template is None:
        return None
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example") if callspec else None
    name = template.render(example).name if example else template.name
    missing = {k: v for k, v in (example or {}).items() if str(v) not in name}
    if missing:  # outline rows: the values the rendered name does not already show
        name += " (" + ", ".join(f"{k}: {v}" for k, v in missing.items()) + ")"
    feature = template.feature
    return {
        "feature": feature.name,
        "file": feature.rel_filename.replace(os.sep, "/"),
        "scenario": name,
        "tags": sorted(template.tags | feature.tags),
        "status": "passed",
    }


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "setup":
        entry = _scenario_entry(item)
        if entry is not None:
            item.stash[_RESULTS_KEY] = entry
    entry = item.stash.get(_RESULTS_KEY, None)
    if entry is None:
        return report
    if report.failed and entry["status"] == "passed":
        entry["status"] = "failed"
        if call.excinfo is not None:
            text = str(call.excinfo.value).strip().splitlines()
            message = text[0] if text else call.excinfo.typename
            place = _STEP_PLACE.get(item.nodeid)
            if place and not message.startswith("features/"):
                message = f"{place}: {message}"
            entry["message"] = message[:300]
    if report.when == "teardown":  # runs also after a failed setup
        _results.append(entry)
    return report


def pytest_sessionfinish(session, exitstatus) -> None:
    if not _results or hasattr(session.config, "workerinput"):
        return
    out = Path(os.environ.get("FORALDRASTOD_FEATURE_RESULTS") or DEFAULT_RESULTS)
    try:
        pack = load_pack(rules_dir())
        ruleset = {"name": pack.name, "version": pack.version}
    except Exception:  # an invalid pack: the scenarios failed already; still write what ran
        ruleset = {"name": rules_dir().name, "version": "ogiltigt"}
    out.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "ruleset": ruleset,
        "scenarios": _results,
    }
    out.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
