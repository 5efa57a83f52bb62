"""Compile a validated pack into durable_rules ruleset definitions (plain data, not the DSL).

durable_rules' C core has hard limits (../shared/durable-rules.md). The compiler shapes the
network so a pack of any size stays inside them, and `check_shape` verifies the result before
anything reaches the C core:

* Rules are grouped by scope and age band: rules for every kommun go to the global groups,
  rules limited to some kommuner to that kommun's groups; within a scope, one group per age
  band (BANDS, plus one for expecting parents) that the rule's age condition can match. A
  family's fact is asserted only into the groups of its kommun and its band. This is an exact
  index, not a decision: every condition is still evaluated by the engine, and a rule sits in
  every group where it could match. Within a group, rules are sorted by the need that triggers
  them; a shard whose every rule needs one of a few needs is skipped for a family that has none
  of them (an exact test: such a rule cannot match).
* Each group is cut into shards of at most SHARD_SIZE engine rules, one ruleset each, so no
  alpha node ever has more than SHARD_SIZE children (C limits: 64 pending siblings, 512
  children per node).
* The compiler never emits `$or`. A rule that applies both to expecting parents and to an age
  range becomes two engine rules (`id~e`, `id~a`); a rule with several `needs_any` codes
  becomes one engine rule per code (`id~a~0`, `id~a~1`, ...). Measured: an `$or` inside
  `$iany` makes createAlpha (rete.c) read the type of an uninitialised forward node, so
  registration fails at random with error 102 (valgrind: "conditional jump depends on
  uninitialised value" in createAlpha); about 1 run in 10 for a 3,000-rule pack.
* Every shard has a catch-all rule on the profile, so an action always runs in a session
  (deleting a session in which no action ran frees an uninitialised pointer).
* The fact always carries every field with its real type (age -1 when there is no child yet),
  so the engine's loose coercion never decides anything.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .loader import Pack
from .models import Rule

SHARD_SIZE = 48  # engine rules per ruleset; must stay below MAX_PENDING_SIBLINGS
MAX_PENDING_SIBLINGS = 64  # events.c MAX_STACK_SIZE
MAX_CHILDREN = 512  # rules.h NEXT_BUCKET_LENGTH
# state.h MAX_OBJECT_PROPERTIES (255) is never reached: a fact has 7 scalar fields and at most
# 40 needs (Family.needs max_length).
MAX_RULESETS = 60_000  # well below rules.h MAX_HANDLES (131,072 per process)
CATCH_ALL = "_profil"
NO_AGE = -1


class CompileError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Shard:
    name: str
    definition: dict[str, Any]
    engine_rules: dict[str, str]  # engine rule name -> pack rule id
    # None: some rule matches without needs; else the family needs one of these to match anything
    trigger_needs: frozenset[str] | None = None


# Age bands (inclusive months) used only to index rules; "e" is expecting parents.
BANDS: list[tuple[str, int, int]] = [
    ("0", 0, 11), ("1", 12, 35), ("3", 36, 71), ("6", 72, 155), ("13", 156, 216),
]
EXPECTING_BAND = "e"
_BAND_OF_MONTH = [next(name for name, lo, hi in BANDS if lo <= m <= hi) for m in range(217)]


def _bands_of(rule: Rule) -> list[str]:
    when = rule.when
    if when.age_months is None and not when.expecting:
        return [EXPECTING_BAND] + [name for name, _, _ in BANDS]
    out = [EXPECTING_BAND] if when.expecting else []
    if when.age_months is not None:
        out += [name for name, lo, hi in BANDS if lo <= when.age_months.max and when.age_months.min <= hi]
    return out


@dataclass
class CompiledPack:
    shards: list[Shard] = field(default_factory=list)
    groups: dict[tuple[str | None, str], list[int]] = field(default_factory=dict)

    def shards_for(self, kommun: str, age_months: int | None, expecting: bool,
                   needs: frozenset[str] = frozenset()) -> list[int]:
        bands = [EXPECTING_BAND] if expecting else []
        if age_months is not None:
            bands.append(_BAND_OF_MONTH[age_months])
        out: list[int] = []
        for band in bands:
            for index in self.groups.get((None, band), []) + self.groups.get((kommun, band), []):
                triggers = self.shards[index].trigger_needs
                if triggers is None or not triggers.isdisjoint(needs):
                    out.append(index)
        return out


def _conditions(rule: Rule, variant: str, any_need: str | None, kommun: str | None) -> list[dict[str, Any]]:
    # Most selective first, so sibling rules share alpha nodes and a family walks few branches:
    # kommun, then needs, then age, then validity.
    conds: list[dict[str, Any]] = [{"kind": "profile"}]
    when = rule.when
    if kommun is not None:
        conds.append({"kommun": kommun})
    if any_need is not None:
        conds.append({"$iany": {"needs": {"$i": any_need}}})
    for code in sorted(set(when.needs_all)):
        conds.append({"$iany": {"needs": {"$i": code}}})
    if variant == "e":
        conds.append({"expecting": True})
    elif variant == "a":
        conds.append({"$gte": {"age": when.age_months.min}})
        conds.append({"$lte": {"age": when.age_months.max}})
    if rule.valid_from is not None:
        conds.append({"$gte": {"day": rule.valid_from.toordinal()}})
    if rule.valid_to is not None:
        conds.append({"$lte": {"day": rule.valid_to.toordinal()}})
    return conds


def _variants(rule: Rule) -> list[str]:
    when = rule.when
    out = []
    if when.expecting:
        out.append("e")
    if when.age_months is not None:
        out.append("a")
    return out or ["*"]


def _engine_rules(rule: Rule, kommun: str | None, band: str) -> list[tuple[str, dict[str, Any], str | None]]:
    """(name, definition, trigger need) per engine rule; the trigger is a need the family must
    have for the rule to match, or None."""
    out = []
    any_needs: list[str | None] = sorted(set(rule.when.needs_any)) or [None]
    variants = _variants(rule)
    if "e" in variants and "a" in variants:  # keep only the variant that can match in this band
        variants = ["e"] if band == EXPECTING_BAND else ["a"]
    for variant in variants:
        for i, need in enumerate(any_needs):
            conds = _conditions(rule, variant, need, kommun)
            cond = conds[0] if len(conds) == 1 else {"$and": conds}
            name = f"{rule.id}~{variant}" + (f"~{i}" if need is not None else "")
            trigger = need if need is not None else min(rule.when.needs_all, default=None)
            out.append((name, {"all": [{"m": cond}], "run": "fire"}, trigger))
    return out


def compile_pack(pack: Pack, prefix: str, shard_size: int = SHARD_SIZE) -> CompiledPack:
    groups: dict[tuple[str | None, str], list[tuple[str, dict, str, str | None]]] = defaultdict(list)
    for rule in pack.rules:
        for kommun in rule.when.kommuner or [None]:
            for band in _bands_of(rule):
                for name, definition, trigger in _engine_rules(rule, kommun, band):
                    groups[(kommun, band)].append((name, definition, rule.id, trigger))

    compiled = CompiledPack()
    for key in sorted(groups, key=lambda k: (k[0] or "", k[1])):
        # rules without needs first, then by trigger need, so shards split along needs
        items = sorted(groups[key], key=lambda item: (item[3] is not None, item[3] or ""))
        for start in range(0, len(items), shard_size):
            chunk = items[start : start + shard_size]
            index = len(compiled.shards)
            name = f"{prefix}_{index}"
            definition = {n: d for n, d, _, _ in chunk}
            definition[CATCH_ALL] = {"all": [{"m": {"kind": "profile"}}], "run": "fire", "pri": 1000}
            triggers = [t for *_, t in chunk]
            trigger_needs = None if None in triggers else frozenset(triggers)
            compiled.shards.append(Shard(name, definition, {n: rid for n, _, rid, _ in chunk}, trigger_needs))
            compiled.groups.setdefault(key, []).append(index)
    check_shape(compiled)
    return compiled


def _condition_path(rule_def: dict[str, Any]) -> list[str]:
    """The alpha-node path of a one-pattern rule: its conditions in order, as keys."""
    cond = rule_def["all"][0]["m"]
    parts = cond["$and"] if "$and" in cond else [cond]
    return [json.dumps(p, sort_keys=True) for p in parts]


def check_shape(compiled: CompiledPack) -> None:
    """Refuse a network the C core cannot run, naming the rules involved."""
    problems: list[str] = []
    if len(compiled.shards) > MAX_RULESETS:
        problems.append(f"regelpaketet ger {len(compiled.shards)} regeluppsättningar, högst {MAX_RULESETS} går")
    for shard in compiled.shards:
        children: dict[tuple[str, ...], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for name, rule_def in shard.definition.items():
            if name == CATCH_ALL:
                continue
            path = _condition_path(rule_def)
            for depth in range(1, len(path)):
                children[tuple(path[:depth])][path[depth]].append(shard.engine_rules.get(name, name))
        for parent, kids in children.items():
            if len(kids) >= MAX_CHILDREN:
                limit, what = MAX_CHILDREN, "barnnoder under samma villkor (gräns 512 i rules.h)"
            elif len(kids) > MAX_PENDING_SIBLINGS:
                limit, what = MAX_PENDING_SIBLINGS, "syskonvillkor som kan matcha samtidigt (gräns 64 i events.c)"
            else:
                continue
            rules = sorted({r for rs in kids.values() for r in rs})
            shown = ", ".join(rules[:10]) + (f" och {len(rules) - 10} till" if len(rules) > 10 else "")
            problems.append(
                f"nätverket i {shard.name} får {len(kids)} {what}; högst {limit} går. Regler: {shown}"
            )
    if problems:
        raise CompileError(problems)
