"""Effekt (engine/impact.py): exact against brute force, CSV shape, progress, population weighting.

The oracle is `brute_force_changes`: both packs decide every profile in full (reference matching
+ build_decision) and the answers are compared. Hypothesis edits small packs at random and the
fast path must agree on every profile of the whole space.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import random
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import models
from engine.coverage import AGE_BANDS
from engine.impact import (
    CELL_HEADER,
    PROFILE_HEADER,
    ChangeKind,
    brute_force_changes,
    compute_impact,
    impact_csv,
    profile_space,
)
from engine.loader import Pack, PackInvalid, load_pack, normalize_name
from engine.models import AgeRange, Condition, Insats, Kommun, Need, NoticeTemplate, PackMeta, Rule, SourceDocument, SourceRef
from engine.population import load_population

DAY = dt.date(2026, 11, 24)
SRC = SourceRef(document="doc", section="1")
KOMMUNER = ["1880", "1884"]
NEEDS = ["n0", "n1", "n2", "n3"]
INSATSER = ["i0", "i1", "i2", "i3", "i4"]
EDGES = [0, 1, 11, 12, 35, 36, 71, 72, 144, 155, 156, 215, 216]
STATUSES = [s.value for s in getattr(models, "AvailabilityStatus", models.Availability)]
HAS_BASIS = "basis" in models.AvailabilityEntry.model_fields


def availability_entry(kommun: str, insats: str, status: str, basis: str = "källa",
                       planned_from: dt.date | None = None) -> models.AvailabilityEntry:
    """An entry valid under this branch's model and under CONTRACT v2's (basis, planeras)."""
    fields: dict = {"kommun": kommun, "insats": insats, "status": status, "source": SRC}
    if HAS_BASIS and status != "okänd":
        fields["basis"] = basis
        if basis == "antagande":
            fields["reason"] = "Antagande i test."
        if status == "planeras":
            fields["planned_from"] = planned_from or DAY
    return models.AvailabilityEntry(**fields)


def make_pack(rules: list[Rule], availability: list[models.AvailabilityEntry] = (),
              kommuner=KOMMUNER, needs=NEEDS, insatser=INSATSER) -> Pack:
    meta = PackMeta(name="test", edition="1", title="t", region="r",
                    sources=[SourceDocument(id="doc", title="Dokument", publisher="p", year=2024)])
    pack = Pack(
        directory=Path("/nonexistent-impact-test"), meta=meta, version="1+test",
        kommuner={c: Kommun(code=c, name=f"K{c}") for c in kommuner},
        needs={n: Need(code=n, label=n) for n in needs},
        insatser={i: Insats(id=i, name=i.upper(), level="universell", source=SRC) for i in insatser},
        rules=list(rules),
        availability={(e.kommun, e.insats): e for e in availability},
    )
    pack._kommun_index = {normalize_name(k.name): c for c, k in pack.kommuner.items()}
    return pack


def edited(pack: Pack, **changes) -> Pack:
    """A copy of a pack with some fields replaced (its indexes rebuilt lazily)."""
    return dataclasses.replace(pack, version=pack.version + "+edit", _rule_index={}, **changes)


def assert_exact(old: Pack, new: Pack, day: dt.date = DAY, profiles=None) -> None:
    impact = compute_impact(old, new, day)
    fast = dict(impact.profile_changes())
    assert len(fast) == impact.changed_profiles  # every changed profile in exactly one group
    if profiles is None:
        assert fast == brute_force_changes(old, new, day)
    else:
        profiles = list(profiles)
        expected = brute_force_changes(old, new, day, profiles)
        assert {p: fast[p] for p in profiles if p in fast} == expected


# --------------------------------------------------------------------------- hypothesis
ages = st.one_of(st.sampled_from(EDGES), st.integers(0, 216))
VALIDITY = [(None, None), (dt.date(2024, 1, 1), dt.date(2030, 12, 31)), (dt.date(2027, 1, 1), None),
            (None, dt.date(2025, 12, 31))]


@st.composite
def rule_st(draw, rid: str) -> Rule:
    lo, hi = sorted((draw(ages), draw(ages)))
    age_kind = draw(st.sampled_from(["age", "expecting", "both", "none"]))
    when = Condition(
        age_months=AgeRange(min=lo, max=hi) if age_kind in ("age", "both") else None,
        expecting=age_kind in ("expecting", "both"),
        needs_any=draw(st.lists(st.sampled_from(NEEDS), max_size=2, unique=True)),
        needs_all=draw(st.lists(st.sampled_from(NEEDS), max_size=2, unique=True)),
        kommuner=draw(st.lists(st.sampled_from(KOMMUNER), max_size=1, unique=True)),
    )
    valid = draw(st.sampled_from(VALIDITY))
    notice = None
    if draw(st.integers(0, 4)) == 0:
        notice = NoticeTemplate(severity=draw(st.sampled_from(["info", "critical"])),
                                text=draw(st.sampled_from(["Meddelande A.", "Meddelande B."])))
    recommend = draw(st.lists(st.sampled_from(INSATSER), min_size=0 if notice else 1, max_size=2, unique=True))
    return Rule(id=rid, level=draw(st.sampled_from(["universell", "selektiv", "indikerad"])), when=when,
                recommend=recommend, notice=notice, rationale="x", source=SRC,
                valid_from=valid[0], valid_to=valid[1])


@st.composite
def availability_st(draw) -> models.AvailabilityEntry:
    status = draw(st.sampled_from(STATUSES))
    return availability_entry(draw(st.sampled_from(KOMMUNER)), draw(st.sampled_from(INSATSER)), status,
                              basis=draw(st.sampled_from(["källa", "antagande", "kommunens uppgift"])),
                              planned_from=draw(st.sampled_from([dt.date(2026, 1, 1), dt.date(2027, 1, 1)])))


EDITS = ("change", "change", "add", "remove", "availability", "text")


@st.composite
def pack_pairs(draw, edits: tuple[str, ...] = EDITS) -> tuple[Pack, Pack]:
    n = draw(st.integers(1, 7))
    rules = [draw(rule_st(f"r{i}")) for i in range(n)]
    avail = {(e.kommun, e.insats): e for e in draw(st.lists(availability_st(), max_size=6))}
    old = make_pack(rules, list(avail.values()))
    new_rules = list(rules)
    new_avail = dict(avail)
    for step in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(edits))
        if kind == "add" or not new_rules:
            new_rules.insert(draw(st.integers(0, len(new_rules))), draw(rule_st(f"ny{step}")))
        elif kind == "remove":
            new_rules.pop(draw(st.integers(0, len(new_rules) - 1)))
        elif kind == "change":
            i = draw(st.integers(0, len(new_rules) - 1))
            new_rules[i] = draw(rule_st(new_rules[i].id))
        elif kind == "text":
            i = draw(st.integers(0, len(new_rules) - 1))
            new_rules[i] = new_rules[i].model_copy(update={"rationale": "Ny motivering."})
        else:
            entry = draw(availability_st())
            if draw(st.booleans()):
                new_avail[(entry.kommun, entry.insats)] = entry
            else:
                new_avail.pop((entry.kommun, entry.insats), None)
    return old, edited(old, rules=new_rules, availability=new_avail)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pack_pairs())
def test_exact_against_brute_force_over_the_whole_space(pair):
    old, new = pair
    assert_exact(old, new)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pack_pairs(edits=("availability",)))
def test_exact_when_only_availability_changes(pair):
    old, new = pair
    assert_exact(old, new)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pack_pairs(), st.sampled_from([dt.date(2023, 6, 1), dt.date(2026, 1, 1), dt.date(2031, 1, 1)]))
def test_exact_on_other_days(pair, day):
    old, new = pair
    assert_exact(old, new, day)


# --------------------------------------------------------------------------- Örebro län
@pytest.fixture(scope="module")
def orebro() -> Pack:
    return load_pack()


def _replace_rule(pack: Pack, rule_id: str, **update) -> Pack:
    rules = [r.model_copy(update=update) if r.id == rule_id else r for r in pack.rules]
    return edited(pack, rules=rules)


def _abc_rule(pack: Pack) -> Rule:
    return next(r for r in pack.rules if r.recommend == ["abc"] and r.when.age_months is not None)


def test_profile_space_of_orebro(orebro):
    space = profile_space(orebro)
    n = len(orebro.needs)
    assert len(space) == len(orebro.kommuner) * 218 * (1 + n + n * (n - 1) // 2)
    profiles = list(space)
    assert len(profiles) == len(set(profiles)) == len(space)
    assert {age for _k, age, _n in profiles} == set(range(217)) | {None}
    assert {k for k, _a, _n in profiles} == set(orebro.kommuner)
    assert max(len(needs) for _k, _a, needs in profiles) == 2


def test_moving_an_age_boundary_of_abc(orebro):
    abc = _abc_rule(orebro)
    lo, hi = abc.when.age_months.min, abc.when.age_months.max
    moved = abc.when.model_copy(update={"age_months": AgeRange(min=lo - 6, max=hi + 6)})
    new = _replace_rule(orebro, abc.id, when=moved)
    impact = compute_impact(orebro, new, DAY)
    assert impact.diff.changed == [abc.id]
    # only the twelve months gained can change, for every kommun and need set
    space = profile_space(orebro)
    gained = set(range(lo - 6, lo)) | set(range(hi + 1, hi + 7))
    ages_changed = {age for (_k, age, _n), _c in impact.profile_changes()}
    assert ages_changed <= gained
    assert {c.insats for g in impact.groups for c in g.changes} == {"abc"}
    assert {c.kind for g in impact.groups for c in g.changes} == {ChangeKind.tillagd}
    # exact: every profile at and around the gained months, and a random sample of the rest
    two = set(list(orebro.kommuner)[:2])
    near = [p for p in space if p[0] in two and p[1] is not None
            and (lo - 8 <= p[1] <= lo + 1 or hi - 1 <= p[1] <= hi + 8)]
    sample = random.Random(1).sample(list(space), 1500)
    assert_exact(orebro, new, profiles=near + sample)
    # and only where the changed rule can matter: a handful of representatives, not 358k
    assert 0 < impact.evaluated <= 20


def test_whole_pack_change_is_exact_on_a_sample(orebro):
    rules = []
    for r in orebro.rules:
        update = {"rationale": "Ändrad motivering."}
        if r.when.age_months is not None and r.when.age_months.max > r.when.age_months.min:
            update["when"] = r.when.model_copy(update={"age_months": AgeRange(
                min=r.when.age_months.min, max=r.when.age_months.max - 1)})
        rules.append(r.model_copy(update=update))
    new = edited(orebro, rules=rules)
    seen = []
    impact = compute_impact(orebro, new, DAY, progress=seen.append)
    assert impact.changed_profiles > 0
    fast = dict(impact.profile_changes())
    space = list(profile_space(orebro))
    sample = random.Random(2).sample(space, 1500) + random.Random(3).sample(sorted(fast, key=repr), 1500)
    assert_exact(orebro, new, profiles=sample)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(a <= b for a, b in zip(seen, seen[1:]))


def test_availability_change_only_in_that_kommun(orebro):
    nora = orebro.resolve_kommun("Nora")
    abc = _abc_rule(orebro)
    before = orebro.availability_of(nora, "abc")
    status = "saknas" if before is None or getattr(before.status, "value", before.status) != "saknas" else "finns"
    avail = dict(orebro.availability)
    avail[(nora, "abc")] = availability_entry(nora, "abc", status, basis="kommunens uppgift")
    new = edited(orebro, availability=avail)
    impact = compute_impact(orebro, new, DAY)
    assert impact.diff.availability == [(nora, "abc")]
    assert {g.kommun for g in impact.groups} == {nora}
    assert {c.kind for g in impact.groups for c in g.changes} == {ChangeKind.tillganglighet}
    ages_abc = {m for m in range(217) if abc.when.age_months.contains(m)}
    assert {age for (_k, age, _n), _c in impact.profile_changes()} == ages_abc
    assert impact.changed_profiles == len(ages_abc) * len(profile_space(orebro).need_sets)
    sample = [p for p in profile_space(orebro) if p[0] == nora and p[2] in ((), ("barn_som_anhorig",))]
    assert_exact(orebro, new, profiles=sample)


def test_notice_change_reaches_only_families_with_the_need(orebro):
    rule = next(r for r in orebro.rules if r.notice is not None and r.when.needs_any)
    notice = rule.notice.model_copy(update={"text": rule.notice.text + " Ny mening."})
    new = _replace_rule(orebro, rule.id, notice=notice)
    impact = compute_impact(orebro, new, DAY)
    assert impact.changed_profiles > 0
    kinds = {c.kind for g in impact.groups for c in g.changes}
    assert ChangeKind.meddelande in kinds
    for (_k, _age, needs), _changes in impact.profile_changes():
        assert set(needs) & set(rule.when.needs_any)
    sample = random.Random(4).sample(list(profile_space(orebro)), 1000)
    sample += [p for p, _c in impact.profile_changes()][:500]
    assert_exact(orebro, new, profiles=sample)


def test_text_only_and_identical_packs_change_nothing(orebro):
    same = compute_impact(orebro, orebro, DAY)
    assert same.changed_profiles == 0 and same.groups == [] and same.cells == {}
    assert same.evaluated == 0
    rule = orebro.rules[0]
    new = _replace_rule(orebro, rule.id, rationale="Helt ny motivering.")
    impact = compute_impact(orebro, new, DAY)
    assert impact.changed_profiles == 0
    assert impact.diff.text_only == [rule.id] and impact.diff.changed == []
    assert impact.total_profiles == len(profile_space(orebro))


def test_removing_a_rule_removes_its_insats_with_its_level(orebro):
    rule = next(r for r in orebro.rules if r.level.value == "selektiv" and r.recommend)
    new = edited(orebro, rules=[r for r in orebro.rules if r.id != rule.id])
    impact = compute_impact(orebro, new, DAY)
    assert impact.diff.removed == [rule.id]
    kinds = {c.kind for g in impact.groups for c in g.changes}
    assert kinds <= {ChangeKind.borttagen, ChangeKind.niva, ChangeKind.meddelande}
    assert impact.changed_profiles > 0
    sample = random.Random(5).sample(list(profile_space(orebro)), 1000) + [p for p, _ in impact.profile_changes()][:800]
    assert_exact(orebro, new, profiles=sample)


# --------------------------------------------------------------------------- summary and CSV
def band(months: int | None) -> str:
    """The åldersband key of an age, whatever keys engine/coverage.py uses."""
    return next(b.key for b in AGE_BANDS if (b.expecting if months is None else
                                             not b.expecting and b.min <= months <= b.max))


def _small_change() -> tuple[Pack, Pack]:
    old = make_pack([Rule(id="a", level="universell", when=Condition(age_months=AgeRange(min=0, max=40)),
                          recommend=["i0"], rationale="x", source=SRC),
                     Rule(id="b", level="selektiv", when=Condition(age_months=AgeRange(min=10, max=20), needs_any=["n1"]),
                          recommend=["i1"], rationale="x", source=SRC)],
                    [availability_entry("1880", "i0", "finns")])
    new_rules = [old.rules[0].model_copy(update={"when": Condition(age_months=AgeRange(min=0, max=30))}),
                 old.rules[1].model_copy(update={"level": models.Level.indikerad})]
    return old, edited(old, rules=new_rules)


def test_summary_cells_count_profiles_by_kommun_band_and_level():
    old, new = _small_change()
    impact = compute_impact(old, new, DAY, examples=2)
    n_sets = len(profile_space(new).need_sets)
    # the åldersband (engine/coverage.py) start at 12 and 36 months, among others
    assert band(11) != band(12) == band(35) != band(36) == band(40)
    # a: months 31..40 lose i0 for every need set, in both kommuner: 31..35 and 36..40
    cell = impact.cells[("1880", band(12), models.Level.universell)]
    assert cell.profiles == 5 * n_sets
    assert cell.kinds == {ChangeKind.borttagen: 5 * n_sets}
    assert cell.insatser == ["i0"]
    b12 = next(b for b in AGE_BANDS if b.key == band(12))
    assert cell.profiles_in_band == (b12.max - b12.min + 1) * n_sets
    assert len(cell.examples) == 2 and cell.examples[0].needs == ()
    assert impact.cells[("1884", band(36), models.Level.universell)].profiles == 5 * n_sets
    # b: months 10..20 with need n1 (alone or in a pair): level selektiv -> indikerad
    with_n1 = sum(1 for s in profile_space(new).need_sets if "n1" in s)
    assert impact.cells[("1880", band(0), models.Level.indikerad)].profiles == 2 * with_n1
    assert impact.cells[("1880", band(12), models.Level.indikerad)].kinds == {ChangeKind.niva: 9 * with_n1}
    assert impact.changed_profiles == 2 * (10 * n_sets + 11 * with_n1)
    assert impact.kinds == {ChangeKind.borttagen: 2 * 10 * n_sets, ChangeKind.niva: 2 * 11 * with_n1}
    assert impact.population is None and impact.children is None


def test_csv_per_profile_group_covers_every_changed_profile_once():
    old, new = _small_change()
    impact = compute_impact(old, new, DAY)
    rows = list(csv.reader(io.StringIO(impact_csv(impact))))
    assert rows[0] == PROFILE_HEADER
    body = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert len(body) == sum(len(g.changes) for g in impact.groups)
    assert sum(int(r["profiler"]) for r in body) == impact.changed_profiles  # one change per profile here
    labels = {b.label for b in AGE_BANDS}
    for r in body:
        assert r["aldersband"] in labels
        assert r["andring"] in {k.value for k in ChangeKind}
        assert int(r["alder_till_manader"]) - int(r["alder_fran_manader"]) + 1 == int(r["profiler"])
        assert r["kommun"] == f"K{r['kommunkod']}"
    lost = [r for r in body if r["andring"] == "borttagen"]
    assert {(r["alder_fran_manader"], r["alder_till_manader"]) for r in lost} == {("31", "35"), ("36", "40")}
    assert all(r["insats"] == "i0" and r["fore"].startswith("universell") and r["efter"] == "" for r in lost)


def test_csv_per_cell_and_unknown_choice():
    old, new = _small_change()
    impact = compute_impact(old, new, DAY)
    rows = list(csv.reader(io.StringIO(impact_csv(impact, per="celler"))))
    assert rows[0] == CELL_HEADER
    assert len(rows) - 1 == len(impact.cells)
    first = dict(zip(rows[0], rows[1]))
    assert first["kommunkod"] == "1880" and first["barn"] == "" and first["exempel"].startswith("K1880, ")
    assert sum(int(dict(zip(rows[0], r))["profiler"]) for r in rows[1:]) >= impact.changed_profiles
    with pytest.raises(ValueError, match="profiler"):
        impact_csv(impact, per="rader")


def test_progress_is_monotone_and_ends_at_one():
    old, new = _small_change()
    seen: list[float] = []
    compute_impact(old, new, DAY, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) > 2
    assert all(0.0 <= a <= b <= 1.0 for a, b in zip(seen, seen[1:]))


# --------------------------------------------------------------------------- population
def _write_pack(directory: Path, rules: list[dict], population: dict | None = None) -> Path:
    src = {"document": "doc", "section": "1"}
    files = {
        "pack.yaml": {"name": "mini", "edition": "1", "title": "t", "region": "r",
                      "sources": [{"id": "doc", "title": "Dokument", "publisher": "p", "year": 2024}]},
        "kommuner.yaml": {"kommuner": [{"code": "1880", "name": "Örebro"}, {"code": "1884", "name": "Nora"}]},
        "behov.yaml": {"needs": [{"code": "n0", "label": "Behov"}]},
        "insatser.yaml": {"insatser": [{"id": "i0", "name": "Insats", "level": "universell", "source": src}]},
        "regler/r.yaml": {"rules": [{"level": "universell", "recommend": ["i0"], "rationale": "x", "source": src, **r}
                                    for r in rules]},
    }
    if population is not None:
        files["befolkning.yaml"] = population
    for rel, data in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return directory


POPULATION = {"population": [
    {"basis": "källa", "source": {"document": "doc", "section": "Tabell 1"}, "year": 2025,
     "kommuner": [{"kommun": "Nora", "by_age": [120, 240, 360], "expecting": 50}]},
    {"basis": "antagande", "reason": "Uppskattat i test.", "year": 2024,
     "kommuner": [{"kommun": "1880", "by_age": [1200] * 19}]},
]}


def test_population_weights_the_children_reached(tmp_path):
    old = load_pack(_write_pack(tmp_path / "old", [{"id": "a", "when": {"age_months": {"min": 0, "max": 35}}}]))
    new = load_pack(_write_pack(tmp_path / "new", [{"id": "a", "when": {"age_months": {"min": 0, "max": 17}}},
                                                   {"id": "b", "when": {"expecting": True}}], POPULATION))
    impact = compute_impact(old, new, DAY)
    assert impact.population is not None
    # Nora loses i0 at 18..35 months: half of year 1 (240/12*6) and all of year 2 (360)
    nora = impact.cells[("1884", band(12), models.Level.universell)]
    assert nora.children == pytest.approx(240 / 12 * 6 + 360)
    assert nora.children_without_need == nora.children
    # expecting families gain i0 (rule b): Nora has a figure, Örebro none -> no weight, not zero children
    assert impact.cells[("1884", band(None), models.Level.universell)].children == 50
    assert impact.cells[("1880", band(None), models.Level.universell)].children == 0
    orebro_cell = impact.cells[("1880", band(12), models.Level.universell)]
    assert orebro_cell.children == pytest.approx(1200 / 12 * 18)
    assert impact.children == pytest.approx(240 / 12 * 6 + 360 + 50 + 1200 / 12 * 18)
    rows = list(csv.DictReader(io.StringIO(impact_csv(impact, per="celler"))))
    assert {r["barn"] for r in rows} >= {"480.0", "1800.0"}
    assert "källa (2025): doc, Tabell 1" in impact.population.describe()


def test_population_file_errors_name_file_and_line(tmp_path):
    bad = {"population": [{"basis": "källa", "year": 2025, "kommuner": [{"kommun": "Nora", "by_age": [1]}]},
                          {"basis": "antagande", "reason": "r", "year": 2025,
                           "kommuner": [{"kommun": "Noraa", "by_age": [1]}]}]}
    pack = load_pack(_write_pack(tmp_path / "p", [{"id": "a"}], bad))
    with pytest.raises(PackInvalid) as exc:
        load_population(pack)
    text = str(exc.value)
    assert "befolkning.yaml:2: population, värde 1: " in text and "källa kräver en källa" in text
    pack2 = load_pack(_write_pack(tmp_path / "q", [{"id": "a"}], {"population": [bad["population"][1]]}))
    with pytest.raises(PackInvalid, match=r"befolkning.yaml:\d+: okänd kommun 'Noraa'"):
        load_population(pack2)
    assert load_population(load_pack(_write_pack(tmp_path / "r", [{"id": "a"}]))) is None


# --------------------------------------------------------------------------- bench module
def test_bench_quick_shape_and_targets():
    from bench import impact as impact_bench

    result = impact_bench.measure(quick=True)
    assert result["profiles"] == len(profile_space(load_pack()))
    assert result["one_rule"]["changed_profiles"] > 0 and result["whole_pack"]["changed_profiles"] > 0
    assert result["whole_pack"]["rules_changed"] == len(load_pack().rules)
    assert result["whole_pack"]["progress_last"] == 1.0
    assert result["brute_force_pass"]["estimated"] is True
    assert result["synthetic_whole_pack"]["rules"] == 120 and result["synthetic_whole_pack"]["changed_profiles"] > 0
    names = [t["target"] for t in impact_bench.targets(result)]
    assert names == ["impact_one_rule_s", "impact_whole_pack_s"]
    assert all(isinstance(t["pass"], bool) for t in impact_bench.targets(result))
    assert "Effekt" in "\n".join(impact_bench.table(result))


def test_summary_is_json_and_agrees_with_the_cells():
    import json

    from engine.impact import impact_summary

    old, new = _small_change()
    impact = compute_impact(old, new, DAY)
    summary = json.loads(json.dumps(impact_summary(impact), ensure_ascii=False))
    assert summary["changed_profiles"] == impact.changed_profiles
    assert summary["rules"]["changed"] == ["a", "b"]
    assert len(summary["cells"]) == len(impact.cells)
    first = summary["cells"][0]
    assert first["kommun"] == "1880" and first["band"] == band(0) and first["examples"]
    assert sum(summary["kinds"].values()) == impact.changed_profiles
