"""Effekt: exactly which families' answers a pack change alters, before it is published.

Pure: reads two Packs, knows nothing of HTTP, databases or rendering.

**The profile space** (`profile_space`): every kommun of the new pack × (every age month 0–216,
and expecting) × (no need, every single need, every pair of needs), the new pack's catalogues.
For Örebro län: 12 × 218 × 137 = 358,296 profiles.

**What counts as a changed answer.** A profile's answer is compared on the public fields of the
decision that a change of content can alter:

* per recommended insats: its level and its availability (status and basis) in the kommun;
* the notices that rules give (severity, text, and the level of the rule giving it).

A change is one of (`ChangeKind`): `tillagd` (an insats is recommended that was not),
`borttagen`, `nivå` (the insats' level changed), `tillgänglighet` (its availability status or
basis changed), `meddelande` (a rule's notice appears or disappears). Rationale, sources,
verified dates and other texts are not compared. Notices that a pack gives every family alike
(rule_id null, such as the warning that rules have ended on the day) are reported once for the
whole pack in `Impact.general_notices`, not on each of the 358,296 profiles.

Profiles outside the new pack's catalogue (a kommun or need that the new pack removes) are not in
the space; `Impact.removed_kommuner` / `removed_needs` name them. A kommun or need that the old
pack lacks is evaluated with the old pack anyway (its rules simply do not mention it).

**How it stays exact and fast.** The answer is defined by engine/reference.py and
engine/decision.py; this module calls `rule_matches` and (to read availability as answers show
it) `build_decision`, and evaluates each class of equivalent profiles once:

1. Diff the packs: rules added, removed or changed in anything but texts and provenance
   (rationale, source, status, assumptions), and (kommun, insats) pairs whose availability
   entry changed. Only rules valid on the day count.
2. The touched insatser T: those a changed rule recommends (before or after) and those whose
   availability changed. For insatser outside T every profile's answer part is identical in
   both packs, so only the rules recommending an insats in T (plus changed rules with a notice)
   are evaluated: the relevant rules.
3. Ages: the relevant rules' age conditions (found by probing `AgeRange.contains` on every
   month, so no reading of the age convention is assumed) and the åldersband edges split
   0–216 into intervals on which every relevant rule matches alike; one month represents each.
4. Needs: a need set matters only through the needs the relevant rules mention; need sets with
   the same mentioned part are evaluated once.
5. Kommuner: kommuner that every relevant rule's `kommuner` list treats alike are evaluated
   once; availability is then applied per kommun.

`brute_force_changes` evaluates every profile with the full decision; tests compare the two
over whole spaces (tests/test_impact.py).

The result model is engine/impact_model.py, the profile space engine/profiles.py, the summary
and its CSV and JSON forms engine/impact_report.py.
"""
from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable

from .coverage import AGE_BANDS, AgeBand
from .decision import build_decision
from .impact_model import (  # noqa: F401 - re-exported: callers import the result model from here
    _KIND_LABELS,
    _KIND_ORDER,
    Change,
    ChangeKind,
    Impact,
    ImpactCell,
    ProfileGroup,
    RuleDiff,
    _avail_text,
    _diff,
    _value,
)
from .impact_report import (  # noqa: F401 - re-exported
    CELL_HEADER,
    PROFILE_HEADER,
    _population,
    _summarise,
    describe_group,
    impact_csv,
    impact_summary,
)
from .loader import Pack
from .models import MAX_AGE_MONTHS, Level, NormalizedFamily, PresentAs, Rule
from .profiles import AGES, Profile, ProfileSpace, family_of, need_sets, profile_space  # noqa: F401 - re-exported
from .reference import ReferenceEvaluator, rule_matches

# fields of a rule that no answer field compared here depends on
_TEXT_FIELDS = {"id", "rationale", "source", "status", "assumptions"}
DEFAULT_EXAMPLES = 5


def _recommended(rule: Rule) -> list[str]:
    """The insatser a rule recommends to the family: none for a rule that shows programmes used in
    the län (they are not recommendations, and the compared answer leaves them out)."""
    return rule.recommend if rule.present_as is PresentAs.rekommendation else []


def _rule_levels(pack: Pack) -> dict[str, Level]:
    return {r.id: r.level for r in pack.rules}


def answer_parts(pack: Pack, decision, levels: dict[str, Level] | None = None) -> tuple[dict, Counter]:
    """The compared part of a decision: ({insats: (level, availability, basis)}, notices)."""
    levels = levels if levels is not None else _rule_levels(pack)
    items = {rec.insats_id: (rec.level, _value(rec.availability), _value(getattr(rec, "availability_basis", None)))
             for rec in decision.recommendations}
    notices = Counter((_value(n.severity), n.text, levels[n.rule_id])
                      for n in decision.notices if n.rule_id is not None)
    return items, notices


def _general_notices(pack: Pack, day: dt.date, kommun: str) -> tuple[str, ...]:
    """Notices the pack gives every family on the day (no rule matched, rule_id null)."""
    decision = build_decision(pack, family_of((kommun, 0, ()), day), [])
    return tuple(f"{_value(n.severity)}: {n.text}" for n in decision.notices if n.rule_id is None)


def brute_force_changes(old: Pack, new: Pack, day: dt.date,
                        profiles: Iterable[Profile] | None = None) -> dict[Profile, tuple[Change, ...]]:
    """The definition: every profile decided by both packs in full, its answers compared.
    Slow (two whole decisions per profile); the oracle for tests and the bench baseline."""
    profiles = profile_space(new) if profiles is None else profiles
    evaluators = [(p, ReferenceEvaluator(p), _rule_levels(p)) for p in (old, new)]
    out: dict[Profile, tuple[Change, ...]] = {}
    for profile in profiles:
        fam = family_of(profile, day)
        parts = [answer_parts(p, build_decision(p, fam, ev.matching_rule_ids(fam)), lv) for p, ev, lv in evaluators]
        changes = _diff(parts[0][0], parts[1][0], parts[0][1], parts[1][1])
        if changes:
            out[profile] = changes
    return out


# --------------------------------------------------------------------------- the pack diff
def _signature(rule: Rule) -> dict:
    return rule.model_dump(exclude=_TEXT_FIELDS)


def diff_packs(old: Pack, new: Pack, kommuner: Iterable[str]) -> RuleDiff:
    old_rules = {r.id: r for r in old.rules}
    new_rules = {r.id: r for r in new.rules}
    added = [rid for rid in new_rules if rid not in old_rules]
    removed = [rid for rid in old_rules if rid not in new_rules]
    changed, text_only = [], []
    for rid, rule in new_rules.items():
        before = old_rules.get(rid)
        if before is None or before == rule:
            continue
        (changed if _signature(before) != _signature(rule) else text_only).append(rid)
    insatser = set(old.insatser) | set(new.insatser)
    availability = [(k, i) for k in kommuner for i in sorted(insatser)
                    if old.availability_of(k, i) != new.availability_of(k, i)]
    return RuleDiff(added, removed, changed, text_only, availability)


def _availability_table(pack: Pack, kommuner: Iterable[str], insatser: set[str],
                        day: dt.date) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(kommun, insats) -> (availability, basis) exactly as the pack's answers show them, read
    from build_decision with rules that recommend each insats."""
    chosen: list[str] = []
    covered: set[str] = set()
    for rule in pack.rules:
        wanted = (set(_recommended(rule)) & insatser) - covered
        if wanted:
            chosen.append(rule.id)
            covered |= wanted
    table: dict[tuple[str, str], tuple[str, str | None]] = {}
    if not chosen:
        return table
    for k in kommuner:
        decision = build_decision(pack, family_of((k, 0, ()), day), chosen)
        for rec in decision.recommendations:
            table[(k, rec.insats_id)] = (_value(rec.availability), _value(getattr(rec, "availability_basis", None)))
    return table


def _needs_mentioned(rule: Rule, codes: set[str]) -> set[str]:
    found: set[str] = set()

    def walk(x):
        if isinstance(x, str):
            if x in codes:
                found.add(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, (list, tuple, set, frozenset)):
            for v in x:
                walk(v)

    walk(rule.when.model_dump())
    return found


def _age_edges(rule: Rule) -> set[int]:
    """Months m where the rule's age condition differs between m-1 and m."""
    age = getattr(rule.when, "age_months", None)
    if age is None:
        return set()
    inside = [age.contains(m) for m in AGES]
    return {m for m in AGES[1:] if inside[m] != inside[m - 1]}


def _band_of(months: int) -> AgeBand:
    for band in AGE_BANDS:
        if not band.expecting and band.min <= months <= band.max:
            return band
    raise ValueError(f"ingen åldersgrupp för {months} månader")


_EXPECTING_BAND = next(b for b in AGE_BANDS if b.expecting)


# --------------------------------------------------------------------------- compute
def compute_impact(old: Pack, new: Pack, day: dt.date, progress: Callable[[float], None] | None = None,
                   examples: int = DEFAULT_EXAMPLES) -> Impact:
    """Which profiles of the new pack's space get a different answer from `new` than from `old`
    on `day`, exactly. `progress` is called with fractions rising from 0.0 to 1.0."""
    report = progress or (lambda _f: None)
    report(0.0)
    space = profile_space(new)
    kommun_order = list(space.kommuner)
    diff = diff_packs(old, new, kommun_order)

    old_rules = {r.id: r for r in old.rules}
    new_rules = {r.id: r for r in new.rules}
    changed_ids = set(diff.added) | set(diff.removed) | set(diff.changed)
    changed_versions = [r for rid in changed_ids for r in (old_rules.get(rid), new_rules.get(rid))
                        if r is not None and r.valid_on(day)]
    touched = {i for r in changed_versions for i in _recommended(r)}
    avail_candidates = {i for _k, i in diff.availability}

    probe = touched | avail_candidates
    table_old = _availability_table(old, kommun_order, probe, day)
    table_new = _availability_table(new, kommun_order, probe, day)
    avail_changed: dict[str, set[str]] = {}  # kommun -> insatser whose answered availability differs
    for k, i in diff.availability:
        if table_old.get((k, i)) != table_new.get((k, i)) or ((k, i) in table_old) != ((k, i) in table_new):
            avail_changed.setdefault(k, set()).add(i)
    touched |= {i for s in avail_changed.values() for i in s}
    notice_ids = {r.id for r in changed_versions if r.notice is not None}

    def relevant(pack: Pack) -> list[Rule]:
        return [r for r in pack.rules if r.valid_on(day) and (touched.intersection(_recommended(r)) or r.id in notice_ids)]

    rel_old, rel_new = relevant(old), relevant(new)
    rel_all = rel_old + rel_new
    levels_old, levels_new = _rule_levels(old), _rule_levels(new)

    # ages: intervals on which every relevant rule's age condition is constant, split at bands
    edges = {0, MAX_AGE_MONTHS + 1} | {b.min for b in AGE_BANDS if not b.expecting}
    for r in rel_all:
        edges |= _age_edges(r)
    cuts = sorted(e for e in edges if 0 <= e <= MAX_AGE_MONTHS + 1)
    intervals: list[tuple[int | None, int | None, str]] = [
        (lo, hi - 1, _band_of(lo).key) for lo, hi in zip(cuts, cuts[1:])]
    intervals.append((None, None, _EXPECTING_BAND.key))

    # needs: need sets grouped by the part the relevant rules mention
    codes = set(old.needs) | set(new.needs)
    mentioned: set[str] = set()
    for r in rel_all:
        mentioned |= _needs_mentioned(r, codes)
    projections: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for s in space.need_sets:
        projections.setdefault(tuple(n for n in s if n in mentioned), []).append(s)

    # kommuner: classes that every relevant rule's kommun list treats alike
    listing = [frozenset(r.when.kommuner) for r in rel_all if getattr(r.when, "kommuner", None)]
    classes: dict[tuple[bool, ...], list[str]] = {}
    for k in kommun_order:
        classes.setdefault(tuple(k in ks for ks in listing), []).append(k)

    if not rel_all:  # no rule that a change touches: nothing to evaluate
        classes = {}
    total_units = max(1, len(classes) * len(intervals))
    step = max(1, total_units // 100)
    done = 0
    evaluated = 0
    proj_list = list(projections)
    n_proj = len(proj_list)
    levels_by_rank = sorted(Level, key=lambda lv: lv.rank)

    # Per rule, which need sets (projections, as bits of an int) it matches at a kommun and age.
    # A rule matches alike for need sets with the same part among the needs it mentions, for
    # kommuner alike as to its own kommun list, and for ages in one segment between its own age
    # edges: each of those combinations is evaluated once with rule_matches, then cached.
    class Prepared:
        __slots__ = ("rule", "key_masks", "kommuner", "edges", "recs", "rank", "notice", "cache")

        def __init__(self, rule: Rule, levels):
            own = _needs_mentioned(rule, codes)
            self.rule = rule
            self.key_masks: dict[tuple[str, ...], int] = {}
            for j, p in enumerate(proj_list):
                key = tuple(n for n in p if n in own)
                self.key_masks[key] = self.key_masks.get(key, 0) | (1 << j)
            self.kommuner = frozenset(getattr(rule.when, "kommuner", None) or ())
            self.edges = sorted(_age_edges(rule))
            self.recs = tuple(i for i in _recommended(rule) if i in touched)
            self.rank = rule.level.rank
            self.notice = ((_value(rule.notice.severity), rule.notice.text, levels[rule.id])
                           if rule.notice is not None else None)
            self.cache: dict[tuple, int] = {}

        def mask(self, kommun: str, lo: int | None) -> int:
            seg = -1 if lo is None else bisect.bisect_right(self.edges, lo)
            ck = (kommun in self.kommuner, seg)
            m = self.cache.get(ck)
            if m is None:
                m = 0
                for key, bits in self.key_masks.items():
                    fam = NormalizedFamily.model_construct(kommun=kommun, age_months=lo, expecting=lo is None,
                                                           needs=frozenset(key), date=day)
                    if rule_matches(self.rule, fam):
                        m |= bits
                self.cache[ck] = m
            return m

    prep_old = [Prepared(r, levels_old) for r in rel_old]
    prep_new = [Prepared(r, levels_new) for r in rel_new]

    def masks(prep: list[Prepared], kommun: str, lo: int | None) -> tuple[dict, dict]:
        """insats -> [bits at universell, selektiv, indikerad]; notice -> list of bits."""
        lv: dict[str, list[int]] = {}
        nt: dict[tuple, list[int]] = {}
        for pr in prep:
            m = pr.mask(kommun, lo)
            if not m:
                continue
            for i in pr.recs:
                slot = lv.get(i)
                if slot is None:
                    slot = lv[i] = [0, 0, 0]
                slot[pr.rank] |= m
            if pr.notice is not None:
                nt.setdefault(pr.notice, []).append(m)
        return lv, nt

    def effective(lv: dict[str, list[int]]) -> dict[str, tuple[int, int, int]]:
        """insats -> bits where its answered level is universell, selektiv, indikerad."""
        out = {}
        for i, (u, s_, x) in lv.items():
            out[i] = (u & ~s_ & ~x, s_ & ~x, x)
        return out

    def level_at(eff: tuple[int, int, int], bit: int) -> Level | None:
        for rank in (2, 1, 0):
            if eff[rank] & bit:
                return levels_by_rank[rank]
        return None

    # kommuner of a class with the same answered availability of every touched insats
    touched_sorted = sorted(touched)

    def avail_sig(k: str) -> tuple:
        return tuple((table_old.get((k, i)), table_new.get((k, i))) for i in touched_sorted)

    # (kommun, projection) -> list of (interval index, changes)
    found: dict[tuple[str, tuple[str, ...]], list[tuple[int, tuple[Change, ...]]]] = {}
    diff_memo: dict = {}
    for members in classes.values():
        rep_k = members[0]
        subgroups: dict[tuple, list[str]] = {}
        for k in members:
            subgroups.setdefault(avail_sig(k), []).append(k)
        for idx, (lo, _hi, _band) in enumerate(intervals):
            evaluated += n_proj
            lv_old, nt_old = masks(prep_old, rep_k, lo)
            lv_new, nt_new = masks(prep_new, rep_k, lo)
            eff_old, eff_new = effective(lv_old), effective(lv_new)
            zero = (0, 0, 0)
            changed = 0
            present_old: dict[str, int] = {}
            present_new: dict[str, int] = {}
            for i in eff_old.keys() | eff_new.keys():
                a = eff_old.get(i, zero)
                b = eff_new.get(i, zero)
                present_old[i] = a[0] | a[1] | a[2]
                present_new[i] = b[0] | b[1] | b[2]
                if a != b:
                    changed |= (a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2])
            for t in nt_old.keys() | nt_new.keys():
                ms_old, ms_new = sorted(nt_old.get(t, ())), sorted(nt_new.get(t, ()))
                if ms_old != ms_new:
                    for m in (*ms_old, *ms_new):
                        changed |= m
            for sub in subgroups.values():
                k = sub[0]
                bits = changed
                for i in avail_changed.get(k, ()):
                    bits |= present_old.get(i, 0) | present_new.get(i, 0)
                while bits:
                    low = bits & -bits
                    bits ^= low
                    j = low.bit_length() - 1
                    o_items = {i: (level_at(e, low), *table_old[(k, i)]) for i, e in eff_old.items()
                               if present_old[i] & low}
                    n_items = {i: (level_at(e, low), *table_new[(k, i)]) for i, e in eff_new.items()
                               if present_new[i] & low}
                    o_nt = Counter({t: c for t, ms in nt_old.items() if (c := sum(1 for m in ms if m & low))})
                    n_nt = Counter({t: c for t, ms in nt_new.items() if (c := sum(1 for m in ms if m & low))})
                    key = (tuple(sorted(o_items.items())), tuple(sorted(n_items.items())),
                           tuple(sorted(o_nt.items())), tuple(sorted(n_nt.items())))
                    changes = diff_memo.get(key)
                    if changes is None:
                        changes = diff_memo[key] = _diff(o_items, n_items, o_nt, n_nt)
                    if changes:
                        proj = proj_list[j]
                        for kk in sub:
                            found.setdefault((kk, proj), []).append((idx, changes))
            done += 1
            if done % step == 0:
                report(min(0.95, 0.95 * done / total_units))
    report(0.95)

    # groups: merge consecutive intervals of one band with the same changes
    groups: list[ProfileGroup] = []
    band_rank = {b.key: i for i, b in enumerate(AGE_BANDS)}
    k_rank = {k: i for i, k in enumerate(kommun_order)}
    set_rank = {s: i for i, s in enumerate(space.need_sets)}
    for (k, proj), runs in found.items():
        merged: list[list] = []  # [lo, hi, band, changes]
        for idx, changes in sorted(runs):
            lo, hi, band = intervals[idx]
            last = merged[-1] if merged else None
            if (last is not None and lo is not None and last[0] is not None and last[2] == band
                    and last[3] == changes and last[1] + 1 == lo):
                last[1] = hi
            else:
                merged.append([lo, hi, band, changes])
        for lo, hi, band, changes in merged:
            for s in projections[proj]:
                groups.append(ProfileGroup(k, band, lo, hi, s, changes))
    groups.sort(key=lambda g: (k_rank[g.kommun], band_rank[g.band], -1 if g.age_min is None else g.age_min,
                               set_rank[g.needs]))

    population = _population(new) or _population(old)
    impact = Impact(
        old_version=old.version, new_version=new.version, day=day,
        kommuner={k: new.kommuner[k].name for k in kommun_order},
        total_profiles=len(space), changed_profiles=0, groups=groups, cells={}, kinds={}, by_insats={},
        diff=diff, general_notices=((), ()),
        added_kommuner=[k for k in new.kommuner if k not in old.kommuner],
        removed_kommuner=[k for k in old.kommuner if k not in new.kommuner],
        added_needs=[n for n in new.needs if n not in old.needs],
        removed_needs=[n for n in old.needs if n not in new.needs],
        population=population, children=None, children_without_need=None, evaluated=evaluated,
    )
    if kommun_order:
        before = _general_notices(old, day, kommun_order[0])
        after = _general_notices(new, day, kommun_order[0])
        if before != after:
            impact.general_notices = (before, after)
    _summarise(impact, space, examples)
    report(1.0)
    return impact
