"""The durable_rules path decides exactly like the reference evaluator (hypothesis)."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.decision import build_decision
from engine.executor import DurableExecutor
from engine.models import AgeRange, Condition, Rule
from engine.reference import ReferenceEvaluator
from tests.engine_support import SRC, family, make_pack

KOMMUNER = ["1814", "1860", "1880", "1884"]
NEEDS = [f"n{i}" for i in range(6)]
INSATSER = [f"i{i}" for i in range(8)]
# ages at and around the edges the rules use, plus the whole range
EDGES = [0, 1, 11, 12, 17, 18, 19, 35, 36, 71, 72, 73, 143, 144, 145, 155, 156, 215, 216]
ages = st.one_of(st.sampled_from(EDGES), st.integers(0, 216))
DAYS = [dt.date(2023, 12, 31), dt.date(2024, 1, 1), dt.date(2026, 11, 23), dt.date(2030, 12, 31), dt.date(2031, 1, 1)]


@st.composite
def rules(draw, index: int) -> Rule:
    lo, hi = sorted((draw(ages), draw(ages)))
    age_kind = draw(st.sampled_from(["age", "expecting", "both", "none"]))
    when = Condition(
        age_months=AgeRange(min=lo, max=hi) if age_kind in ("age", "both") else None,
        expecting=age_kind in ("expecting", "both"),
        needs_any=draw(st.lists(st.sampled_from(NEEDS), max_size=3, unique=True)),
        needs_all=draw(st.lists(st.sampled_from(NEEDS), max_size=2, unique=True)),
        kommuner=draw(st.lists(st.sampled_from(KOMMUNER), max_size=2, unique=True)),
    )
    valid = draw(st.sampled_from([(None, None), (dt.date(2024, 1, 1), dt.date(2030, 12, 31)), (dt.date(2027, 1, 1), None)]))
    return Rule(
        id=f"r{index}", level=draw(st.sampled_from(["universell", "selektiv", "indikerad"])), when=when,
        recommend=draw(st.lists(st.sampled_from(INSATSER), min_size=1, max_size=3, unique=True)),
        rationale="x", source=SRC, valid_from=valid[0], valid_to=valid[1],
    )


@st.composite
def packs(draw):
    n = draw(st.integers(1, 40))
    # sometimes many always-matching rules: more than 64 rules match one family
    wide = draw(st.integers(0, 1)) * draw(st.integers(0, 120))
    rs = [draw(rules(i)) for i in range(n)]
    rs += [Rule(id=f"w{i}", level="universell", when=Condition(age_months=AgeRange(min=0, max=216 - i % 7)),
                recommend=[INSATSER[i % len(INSATSER)]], rationale="x", source=SRC) for i in range(wide)]
    return make_pack(rs, KOMMUNER, NEEDS, INSATSER, {("1884", "i0"): "finns", ("1880", "i1"): "saknas"})


@st.composite
def families(draw):
    expecting = draw(st.booleans())
    age = draw(st.one_of(st.none(), ages)) if expecting else draw(ages)
    return family(draw(st.sampled_from(KOMMUNER)), age, expecting,
                  draw(st.lists(st.sampled_from(NEEDS), max_size=4, unique=True)), draw(st.sampled_from(DAYS)))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(pack=packs(), fams=st.lists(families(), min_size=1, max_size=25))
def test_durable_agrees_with_reference(pack, fams):
    ref = ReferenceEvaluator(pack)
    ex = DurableExecutor(pack)
    try:
        for fam in fams:
            expected = ref.matching_rule_ids(fam)
            got = ex.matching_rule_ids(fam)
            assert got == set(expected), fam
            assert build_decision(pack, fam, got) == build_decision(pack, fam, expected)
    finally:
        ex.close()


def test_more_than_64_rules_match_one_family():
    rs = [Rule(id=f"w{i}", level="universell", when=Condition(age_months=AgeRange(min=i % 100, max=216)),
               recommend=[INSATSER[0]], rationale="x", source=SRC) for i in range(300)]
    pack = make_pack(rs, KOMMUNER, NEEDS, INSATSER)
    ex = DurableExecutor(pack)
    try:
        assert ex.matching_rule_ids(family("1884", 150)) == {f"w{i}" for i in range(300)}
        assert ex.matching_rule_ids(family("1884", 5)) == {f"w{i}" for i in range(300) if i % 100 <= 5}
    finally:
        ex.close()
