"""The summary of an Impact: cells, examples, children, and its CSV and JSON forms.

**Summary.** Changed profiles are returned as `ProfileGroup`s (one kommun, one need set, a run of
consecutive age months inside one åldersband, the same changes), summarised in `ImpactCell`s by
kommun × åldersband (engine/coverage.AGE_BANDS) × nivå, where a change's nivå is the insats'
level after the change (before it, for `borttagen`) or, for a notice, its rule's level. A
profile with changes on two levels counts in both cells; totals count it once.

**CSV** (`impact_csv`): `per="profiler"` (default) has one row per changed profile group and
change: every changed profile is on exactly one group, and a group is a run of age months, so
`profiler` says how many profiles the row stands for. `per="celler"` has one row per summary
cell, with the weighted number of children where the pack holds population figures.

**Weighting** (engine/population.py, optional `befolkning.yaml`): for a cell, `barn` is the
number of children in the kommun at the ages where some profile of the cell changes (children
who get a new answer if they have the need in question: an upper bound, as the pack has no
figures on how many children have each need), and `barn_utan_behov` the children at ages where
the answer without any need changes (every child of that age in the kommun).
"""
from __future__ import annotations

import csv
import io
from collections import Counter

from .coverage import AGE_BANDS
from .impact_model import ChangeKind, Impact, ImpactCell, ProfileGroup
from .loader import Pack
from .population import Population, load_population
from .profiles import ProfileSpace


def _population(pack: Pack) -> Population | None:
    if pack.directory is None or not pack.directory.is_dir():
        return None
    return load_population(pack)


def _summarise(impact: Impact, space: ProfileSpace, examples: int) -> None:
    band_sizes = {b.key: (1 if b.expecting else b.max - b.min + 1) * len(space.need_sets) for b in AGE_BANDS}
    kinds: Counter = Counter()
    by_insats: Counter = Counter()
    changed_months: dict[str, set] = {}
    changed_no_need: dict[str, set] = {}
    for g in impact.groups:
        n = g.profiles
        impact.changed_profiles += n
        for kind in {c.kind for c in g.changes}:
            kinds[kind] += n
        for insats in {c.insats for c in g.changes if c.insats}:
            by_insats[insats] += n
        ages = set(g.ages())
        changed_months.setdefault(g.kommun, set()).update(ages)
        if not g.needs:
            changed_no_need.setdefault(g.kommun, set()).update(ages)
        for level in {c.level for c in g.changes}:
            key = (g.kommun, g.band, level)
            cell = impact.cells.get(key)
            if cell is None:
                cell = impact.cells[key] = ImpactCell(g.kommun, g.band, level, profiles_in_band=band_sizes[g.band])
            cell.profiles += n
            at_level = [c for c in g.changes if c.level == level]
            for kind in {c.kind for c in at_level}:
                cell.kinds[kind] = cell.kinds.get(kind, 0) + n
            for insats in (c.insats for c in at_level if c.insats):
                if insats not in cell.insatser:
                    cell.insatser.append(insats)
            cell._months.update(ages)
            if not g.needs:
                cell._months_no_need.update(ages)
            _offer_example(cell, g, examples)
    impact.kinds = {k: kinds[k] for k in ChangeKind if kinds[k]}
    impact.by_insats = dict(by_insats.most_common())
    pop = impact.population
    if pop is not None:
        impact.children = round(sum(_children(pop, k, m) for k, ms in changed_months.items() for m in ms), 1)
        impact.children_without_need = round(
            sum(_children(pop, k, m) for k, ms in changed_no_need.items() for m in ms), 1)
        for cell in impact.cells.values():
            cell.children = round(sum(_children(pop, cell.kommun, m) for m in cell._months), 1)
            cell.children_without_need = round(sum(_children(pop, cell.kommun, m) for m in cell._months_no_need), 1)


def _children(pop: Population, kommun: str, months: int | None) -> float:
    value = pop.expecting_count(kommun) if months is None else pop.per_month(kommun, months)
    return value or 0.0


def _example_rank(g: ProfileGroup) -> tuple:
    return (len(g.needs), -1 if g.age_min is None else g.age_min, g.needs)


def _offer_example(cell: ImpactCell, g: ProfileGroup, limit: int) -> None:
    """Keep the `limit` simplest examples: fewest needs first, then youngest."""
    if limit <= 0:
        return
    ex = cell.examples
    if len(ex) < limit:
        ex.append(g)
    elif _example_rank(g) < _example_rank(ex[-1]):
        ex[-1] = g
    else:
        return
    ex.sort(key=_example_rank)


# --------------------------------------------------------------------------- CSV
PROFILE_HEADER = ["kommun", "kommunkod", "aldersband", "alder_fran_manader", "alder_till_manader", "behov",
                  "niva", "andring", "insats", "fore", "efter", "profiler"]
CELL_HEADER = ["kommun", "kommunkod", "aldersband", "niva", "profiler", "profiler_i_aldersbandet",
               "tillagd", "borttagen", "niva_andrad", "tillganglighet", "meddelande", "insatser",
               "barn", "barn_utan_behov", "exempel"]


def _band_label(key: str) -> str:
    return next(b.label for b in AGE_BANDS if b.key == key)


def impact_csv(impact: Impact, per: str = "profiler") -> str:
    """CSV (comma, UTF-8, Swedish header). per="profiler": one row per changed profile group
    and change (`profiler` = profiles the row stands for: one kommun, one need set, the age
    months alder_fran..alder_till, both empty for expecting). per="celler": one row per kommun ×
    åldersband × nivå cell (`barn` empty without population figures)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if per == "profiler":
        writer.writerow(PROFILE_HEADER)
        for g in impact.groups:
            for c in g.changes:
                writer.writerow([
                    impact.kommuner.get(g.kommun, g.kommun), g.kommun, _band_label(g.band),
                    "" if g.age_min is None else g.age_min, "" if g.age_max is None else g.age_max,
                    ";".join(g.needs), c.level.value, c.kind.value, c.insats or "", c.before or "",
                    c.after or "", g.profiles,
                ])
    elif per == "celler":
        writer.writerow(CELL_HEADER)
        for cell in impact.cell_list():
            writer.writerow([
                impact.kommuner.get(cell.kommun, cell.kommun), cell.kommun, _band_label(cell.band),
                cell.level.value, cell.profiles, cell.profiles_in_band,
                *(cell.kinds.get(k, 0) for k in ChangeKind), ";".join(cell.insatser),
                "" if cell.children is None else cell.children,
                "" if cell.children_without_need is None else cell.children_without_need,
                " | ".join(describe_group(impact, g) for g in cell.examples),
            ])
    else:
        raise ValueError(f"okänt val per={per!r}: ange 'profiler' eller 'celler'")
    return buf.getvalue()


def describe_group(impact: Impact, g: ProfileGroup) -> str:
    """Swedish, one line: 'Nora, 36–47 mån, behov: overvikt_fetma: abc: tillagd (…)'."""
    if g.age_min is None:
        age = "väntar barn"
    elif g.age_min == g.age_max:
        age = f"{g.age_min} mån"
    else:
        age = f"{g.age_min}–{g.age_max} mån"
    needs = "behov: " + ", ".join(g.needs) if g.needs else "inget behov"
    changes = "; ".join(c.describe() for c in g.changes)
    return f"{impact.kommuner.get(g.kommun, g.kommun)}, {age}, {needs}: {changes}"


# --------------------------------------------------------------------------- JSON
def impact_summary(impact: Impact) -> dict:
    """A JSON-ready summary (no per-profile rows): totals, the pack diff and every cell with its
    examples, for pages and for keeping beside a draft."""
    return {
        "old_version": impact.old_version,
        "new_version": impact.new_version,
        "day": impact.day.isoformat(),
        "total_profiles": impact.total_profiles,
        "changed_profiles": impact.changed_profiles,
        "kinds": {k.value: n for k, n in impact.kinds.items()},
        "by_insats": impact.by_insats,
        "rules": {"added": impact.diff.added, "removed": impact.diff.removed, "changed": impact.diff.changed,
                  "text_only": impact.diff.text_only},
        "availability_changed": [list(pair) for pair in impact.diff.availability],
        "general_notices": {"before": list(impact.general_notices[0]), "after": list(impact.general_notices[1])},
        "kommuner": {"added": impact.added_kommuner, "removed": impact.removed_kommuner},
        "needs": {"added": impact.added_needs, "removed": impact.removed_needs},
        "population": impact.population.describe() if impact.population is not None else None,
        "children": impact.children,
        "children_without_need": impact.children_without_need,
        "cells": [{
            "kommun": c.kommun, "kommun_name": impact.kommuner.get(c.kommun, c.kommun), "band": c.band,
            "band_label": _band_label(c.band), "level": c.level.value, "profiles": c.profiles,
            "profiles_in_band": c.profiles_in_band, "kinds": {k.value: n for k, n in c.kinds.items()},
            "insatser": c.insatser, "children": c.children, "children_without_need": c.children_without_need,
            "examples": [describe_group(impact, g) for g in c.examples],
        } for c in impact.cell_list()],
    }
