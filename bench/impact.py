"""Effekt benchmark: the exact impact of a pack change over the whole profile space (issue 13).

Measures, on the embedded Örebro län pack, the median of a few `compute_impact` runs for
(1) a one-rule change: ABC's age range widened by six months at each end, and
(2) a whole-pack change: every rule's rationale rewritten and one age boundary moved (a rule
    without an age range gets a new valid_to instead, so that every rule counts as changed),
    and the same change to a generated pack with Örebro's profile space and 120 rules (for
    information; no target),
and one brute-force pass in the same process: every profile of the space decided once by the
reference evaluator and build_decision (a naive impact needs two such passes). Reports seconds
and the ratio to that pass. Quick mode times the pass on a sample and extrapolates (marked).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
import statistics
import tempfile
import time

from bench.synthetic import write_synthetic_pack
from engine.decision import build_decision
from engine.impact import compute_impact, family_of, profile_space
from engine.loader import Pack, load_pack
from engine.models import AgeRange
from engine.reference import ReferenceEvaluator

ONE_RULE_LIMIT_S = 2.0
WHOLE_PACK_LIMIT_S = 10.0


def _edited(pack: Pack, rules) -> Pack:
    return dataclasses.replace(pack, rules=rules, version=pack.version + "+bench", _rule_index={})


def one_rule_change(pack: Pack) -> tuple[Pack, str]:
    abc = next(r for r in pack.rules if r.recommend == ["abc"] and r.when.age_months is not None)
    age = abc.when.age_months
    wider = AgeRange(min=max(0, age.min - 6), max=min(216, age.max + 6))
    rules = [r.model_copy(update={"when": r.when.model_copy(update={"age_months": wider})}) if r is abc else r
             for r in pack.rules]
    return _edited(pack, rules), abc.id


def whole_pack_change(pack: Pack) -> Pack:
    """Every rule's rationale rewritten and one age boundary moved (or valid_to, without ages)."""
    rules = []
    for r in pack.rules:
        update: dict = {"rationale": "Omskriven motivering. " + r.rationale}
        age = r.when.age_months
        if age is not None and age.max > age.min:
            update["when"] = r.when.model_copy(update={"age_months": AgeRange(min=age.min, max=age.max - 1)})
        else:
            update["valid_to"] = dt.date(2030, 12, 30)
        rules.append(r.model_copy(update=update))
    return _edited(pack, rules)


def brute_force_pass(pack: Pack, day: dt.date, sample: int | None = None) -> tuple[float, int]:
    """Seconds to decide every profile of the space once (or `sample` of them), and how many."""
    profiles = list(profile_space(pack))
    if sample is not None and sample < len(profiles):
        profiles = random.Random(0).sample(profiles, sample)
    evaluator = ReferenceEvaluator(pack)
    started = time.perf_counter()
    for p in profiles:
        fam = family_of(p, day)
        build_decision(pack, fam, evaluator.matching_rule_ids(fam))
    return time.perf_counter() - started, len(profiles)


def _timed(old: Pack, new: Pack, day: dt.date, runs: int) -> tuple[float, list[float], object, list[float]]:
    times, progress = [], []
    impact = None
    for i in range(runs):
        seen: list[float] = []
        started = time.perf_counter()
        impact = compute_impact(old, new, day, progress=seen.append)
        times.append(time.perf_counter() - started)
        if i == 0:
            progress = seen
    return statistics.median(times), times, impact, progress


def synthetic_pair(directory: str) -> tuple[Pack, Pack]:
    """A generated pack with Örebro's profile space (12 kommuner, 16 needs) but 120 rules, 80 of
    them kommun-specific, against its whole-pack change."""
    pack = load_pack(write_synthetic_pack(directory, n_kommuner=12, n_rules=120, n_needs=16, n_insatser=40,
                                          n_global=40, seed=1))
    return pack, whole_pack_change(pack)


def measure(quick: bool = False) -> dict:
    day = dt.date.today()
    pack = load_pack()
    runs = 1 if quick else 5
    space = len(profile_space(pack))
    one, rule_id = one_rule_change(pack)
    whole = whole_pack_change(pack)
    compute_impact(pack, one, day)  # warm imports and pydantic caches once
    one_s, one_times, one_impact, _ = _timed(pack, one, day, runs)
    whole_s, whole_times, whole_impact, progress = _timed(pack, whole, day, runs)
    with tempfile.TemporaryDirectory(prefix="bench-impact-") as tmp:
        syn_old, syn_new = synthetic_pair(tmp)
        syn_s, syn_times, syn_impact, _ = _timed(syn_old, syn_new, day, runs)
    sample = 3000 if quick else None
    brute_s, brute_n = brute_force_pass(pack, day, sample)
    brute_full_s = brute_s * space / brute_n
    return {
        "pack": pack.name,
        "day": day.isoformat(),
        "profiles": space,
        "runs": runs,
        "one_rule": {"rule": rule_id, "median_s": round(one_s, 4), "times_s": [round(t, 4) for t in one_times],
                     "changed_profiles": one_impact.changed_profiles, "evaluated": one_impact.evaluated,
                     "ratio_to_brute_force": round(one_s / brute_full_s, 5)},
        "whole_pack": {"rules_changed": len(whole_impact.diff.changed), "median_s": round(whole_s, 4),
                       "times_s": [round(t, 4) for t in whole_times],
                       "changed_profiles": whole_impact.changed_profiles, "evaluated": whole_impact.evaluated,
                       "progress_reports": len(progress), "progress_last": progress[-1] if progress else None,
                       "ratio_to_brute_force": round(whole_s / brute_full_s, 5)},
        "synthetic_whole_pack": {"rules": len(syn_old.rules), "profiles": syn_impact.total_profiles,
                                 "median_s": round(syn_s, 4), "times_s": [round(t, 4) for t in syn_times],
                                 "changed_profiles": syn_impact.changed_profiles,
                                 "evaluated": syn_impact.evaluated},
        "brute_force_pass": {"seconds": round(brute_full_s, 2), "profiles_timed": brute_n,
                             "estimated": brute_n < space,
                             "us_per_profile": round(brute_s / brute_n * 1e6, 1)},
    }


def targets(result: dict | None) -> list[dict]:
    if not result:
        return []
    out = []
    for key, label, limit in (("one_rule", "impact of a one-rule change, whole space", ONE_RULE_LIMIT_S),
                              ("whole_pack", "impact of a whole-pack change, whole space", WHOLE_PACK_LIMIT_S)):
        value = result[key]["median_s"]
        out.append({"target": f"impact_{key}_s", "label": label, "value": value, "limit": limit, "op": "<=",
                    "unit": "s", "pass": value <= limit})
    return out


def table(result: dict | None) -> list[str]:
    if not result:
        return []
    b = result["brute_force_pass"]
    est = " (estimated from a sample)" if b["estimated"] else ""
    lines = [f"Effekt (impact), pack {result['pack']}, {result['profiles']} profiles, median of {result['runs']} run(s); "
             f"one brute-force pass {b['seconds']} s{est} ({b['us_per_profile']} µs/profile)"]
    for key, label in (("one_rule", "one-rule change"), ("whole_pack", "whole-pack change")):
        r = result[key]
        lines.append(f"  {label}: {r['median_s']} s = {r['ratio_to_brute_force']}× one pass; "
                     f"{r['changed_profiles']} profiles changed, {r['evaluated']} profile classes examined")
    r = result["synthetic_whole_pack"]
    lines.append(f"  synthetic pack ({r['rules']} rules, {r['profiles']} profiles), whole-pack change: {r['median_s']} s; "
                 f"{r['changed_profiles']} profiles changed, {r['evaluated']} profile classes examined")
    lines.append("")
    return lines
