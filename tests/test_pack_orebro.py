"""The Örebro län pack: validity, example cases as data (tests/cases/*.yaml) and the strategy's
goal that every family, at every age and in every kommun, is offered universal support."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from engine import Engine, FamilyInvalid, load_pack
from engine.models import MAX_AGE_MONTHS, Family, Level, Status

PACK_DIR = Path(__file__).resolve().parent.parent / "rules" / "orebro-lan"
CASES_DIR = Path(__file__).resolve().parent / "cases"

CONTRACT_NEEDS = {
    "foraldrar_separerade_konflikt", "barn_som_anhorig", "overvikt_fetma",
    "relationsproblem_foraldrar", "konflikter_i_familjen", "nyanlanda_foraldrar",
    "foralder_kognitiva_svarigheter", "normbrytande_beteende", "psykisk_ohalsa_barn",
    "stort_stodbehov_foralder", "beviljat_bistand", "vald_eller_omsorgssvikt",
}
CONTRACT_INSATSER = {
    "mvc", "foraldragrupp-mvc-bvc", "bvc", "utokade-hembesok", "familjecentral", "abc",
    "abc-tonar", "familjebehandling-oppen", "familjeradgivning", "barn-som-anhoriga",
    "overvikt-fetma", "biff", "familjebehandling-beslut", "familjesamverkansteam",
    "foraldraskap-i-sverige", "stod-kognitiva-svarigheter",
}
SCB_CODES = {
    "1814": "Lekeberg", "1860": "Laxå", "1861": "Hallsberg", "1862": "Degerfors",
    "1863": "Hällefors", "1864": "Ljusnarsberg", "1880": "Örebro", "1881": "Kumla",
    "1882": "Askersund", "1883": "Karlskoga", "1884": "Nora", "1885": "Lindesberg",
}
NORRA = {"1863", "1864", "1884", "1885"}
# The presentation's slide "Insatser i norra länsdelen utifrån preventionsnivå".
SLIDE = {
    "universell": ["mvc", "bvc", "foraldragrupp-mvc-bvc", "utokade-hembesok", "familjecentral", "abc"],
    "selektiv": ["familjebehandling-oppen", "familjeradgivning", "barn-som-anhoriga", "overvikt-fetma", "biff"],
    "indikerad": ["familjebehandling-beslut", "familjesamverkansteam"],
}
IN_STRATEGY = dt.date(2025, 3, 1)


@pytest.fixture(scope="module")
def pack():
    return load_pack(PACK_DIR)


@pytest.fixture(scope="module", params=["durable", "reference"])
def engine(request, pack):
    eng = Engine(pack, evaluator=request.param, cache_size=0)
    yield eng
    eng.close()


# --------------------------------------------------------------------------- the pack itself
def test_pack_has_the_contract_vocabulary(pack):
    assert CONTRACT_NEEDS <= set(pack.needs)
    assert CONTRACT_INSATSER <= set(pack.insatser)


def test_all_twelve_kommuner_with_scb_codes(pack):
    assert {code: k.name for code, k in pack.kommuner.items()} == SCB_CODES
    assert {c for c, k in pack.kommuner.items() if k.lansdel == "norra"} == NORRA


def test_slide_levels_are_encoded(pack):
    for level, ids in SLIDE.items():
        for insats_id in ids:
            assert pack.insatser[insats_id].level.value == level, insats_id


@pytest.mark.parametrize(
    "insats_id, lo, hi",
    [("bvc", 0, 72), ("abc", 36, 144), ("utokade-hembesok", 0, 18), ("familjecentral", 0, 72),
     ("abc-tonar", 156, 216)],
)
def test_age_convention_a_to_b_years_is_a12_to_b12(pack, insats_id, lo, hi):
    ins = pack.insatser[insats_id]
    assert (ins.age_months.min, ins.age_months.max) == (lo, hi)


def test_every_rule_has_a_rationale_source_and_strategy_period(pack):
    doc_ids = {d.id for d in pack.meta.sources}
    assert {"strategi-2024", "presentation-2022"} <= doc_ids
    for rule in pack.rules:
        assert rule.source.document in doc_ids
        assert len(rule.rationale) > 30, rule.id
        if rule.source.document != "socialtjanstlagen":
            assert (rule.valid_from, rule.valid_to) == (dt.date(2024, 1, 1), dt.date(2030, 12, 31)), rule.id


def test_assumptions_are_explained(pack):
    for ins in pack.insatser.values():
        if ins.status is Status.antagande:
            assert ins.assumptions, f"{ins.id} är ett antagande utan förklaring"


def test_every_rules_file_quotes_its_passage(pack):
    files = set(pack.rule_files.values())
    assert len(files) >= 5
    assert files <= set(pack.passages)


def test_undescribed_programmes_have_no_age_rules(pack):
    names = " ".join(i.name.lower() for i in pack.insatser.values())
    for unnamed in ("på gång", "föräldralyftet", "viva språket", "viva tanden"):
        assert unnamed not in names


def test_availability_only_where_a_source_states_it(pack):
    finns = {(k, i) for (k, i), e in pack.availability.items() if e.status.value == "finns"}
    for code in NORRA:
        for ids in SLIDE.values():
            for insats_id in ids:
                assert (code, insats_id) in finns
    for code in SCB_CODES:
        assert (code, "foraldraskap-i-sverige") in finns
        assert (code, "familjeradgivning") in finns
    # outside norra länsdelen nothing but the two county-wide facts is known
    others = {i for (k, i) in finns if k not in NORRA}
    assert others == {"foraldraskap-i-sverige", "familjeradgivning"}


# --------------------------------------------------------------------------- cases as data
def _cases():
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield pytest.param(case, id=f"{path.stem}: {case['name']}")


@pytest.mark.parametrize("case", list(_cases()))
def test_case(engine, case):
    decision = engine.decide(Family.model_validate(case["input"]))
    out = case["output"]
    recs = {r.insats_id: r for r in decision.recommendations}
    if "level" in out:
        assert decision.level.value == out["level"]
    for insats_id, level in (out.get("recommends") or {}).items():
        assert insats_id in recs, f"{insats_id} saknas bland {sorted(recs)}"
        assert recs[insats_id].level.value == level, insats_id
    for insats_id in out.get("not_recommends") or []:
        assert insats_id not in recs, insats_id
    for insats_id, status in (out.get("availability") or {}).items():
        assert recs[insats_id].availability.value == status, insats_id
    if "first_notice" in out:
        assert decision.notices and decision.notices[0].severity.value == out["first_notice"]
    if out.get("no_notices"):
        assert decision.notices == []


# --------------------------------------------------------------------------- the goal
def test_universal_support_at_every_age_in_every_kommun(pack):
    """'Alla föräldrar ska erbjudas stöd under barnets hela uppväxt' – 0..216 and expecting."""
    engine = Engine(pack, evaluator="reference", cache_size=0)
    missing = []
    for code in SCB_CODES:
        families = [Family(kommun=code, expecting=True, date=IN_STRATEGY)] + [
            Family(kommun=code, age_months=m, date=IN_STRATEGY) for m in range(MAX_AGE_MONTHS + 1)
        ]
        for fam in families:
            decision = engine.decide(fam)
            if not any(r.level is Level.universell for r in decision.recommendations):
                missing.append((code, fam.age_months, fam.expecting))
    assert missing == []


def test_durable_agrees_with_reference_over_ages_and_needs(pack):
    durable = Engine(pack, evaluator="durable", cache_size=0)
    reference = Engine(pack, evaluator="reference", cache_size=0)
    try:
        needs = sorted(pack.needs)
        for i, months in enumerate([None, *range(0, MAX_AGE_MONTHS + 1, 7)]):
            fam = Family(
                kommun=["1884", "1880", "1883"][i % 3],
                age_months=months,
                expecting=months is None,
                needs=[needs[i % len(needs)], needs[(i * 5) % len(needs)]],
                date=IN_STRATEGY,
            )
            assert durable.decide(fam) == reference.decide(fam)
    finally:
        durable.close()


@pytest.mark.parametrize("kommun", ["Göteborg", "1480", "Stockholm"])
def test_kommun_outside_the_county_is_rejected(pack, kommun):
    engine = Engine(pack, evaluator="reference", cache_size=0)
    with pytest.raises(FamilyInvalid) as exc:
        engine.decide(Family(kommun=kommun, age_months=10))
    assert exc.value.field == "kommun"
    assert "Örebro län" in exc.value.sv
