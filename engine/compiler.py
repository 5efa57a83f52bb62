"""Compile a validated pack into durable_rules ruleset definitions (plain data, not the DSL).

durable_rules' C core has hard limits and costs (../shared/durable-rules.md). The compiler shapes
the network so a pack of any size stays inside them and stays small, and `check_shape` verifies
the result before anything reaches the C core:

* A need is a boolean field of the fact (`{"n_overvikt_fetma": true}`), tested by equality, not an
  `$iany` over an array: rete.c never shares an `$iany` alpha node between rules (and each one
  carries a 2 KB hash set), so the array form cost ~7 KB of C memory per engine rule. Equality
  nodes on the same field and value are shared. Field names are checked for FNV-1a collisions:
  the C core finds a fact's properties by that 32-bit hash alone.
* Conditions go so that rules share as much as they can: the profile, the kommun, the validity
  window, the age, the needs all required, and last the one need of `needs_any` (so the engine
  rules a rule becomes, one per need, share everything before it).
* Engine rules with the very same conditions are one engine rule that names every pack rule
  behind it. Every node costs ~1.8 KB (rete.h: a node is a union as large as a beta node with 32
  expressions), so nodes not made are the memory saved.
* Rules are grouped by scope: rules for every kommun in the global group, rules limited to some
  kommuner in each of those kommuner's groups. A scope whose engine rules fit in one shard is one
  group for every family of the scope. A larger scope is split by age band (BANDS: whole years,
  plus one for expecting parents): a rule sits in every band its age condition can reach, and a
  family's fact goes only to its band. A fact's cost in the C core grows with every rule of the
  shard it enters (the session keeps state per beta node, ~0.4 µs per rule on top of ~9 µs), so
  narrow bands make cheap decisions; they cost memory only in the few large scopes. This is an exact index, not a decision: every condition is still
  evaluated by the engine. Within a group, rules are sorted by the need that triggers them; a
  shard whose every rule needs one of a few needs is skipped for a family that has none of them
  (an exact test: such a rule cannot match).
* Each group is cut into shards, one ruleset each, of at most SHARD_SIZE engine rules and with a
  worst-case alpha stack (events.c: every matching child of a node is pushed on one stack of 64)
  of at most STACK_LIMIT.
* The compiler never emits `$or`. A rule that applies both to expecting parents and to an age
  range becomes two engine rules (`id~e`, `id~a`); a rule with several `needs_any` codes
  becomes one engine rule per code (`id~a~0`, `id~a~1`, ...). Measured: an `$or` inside
  `$iany` makes createAlpha (rete.c) read the type of an uninitialised forward node, so
  registration fails at random with error 102.
* Every shard has a catch-all rule on the profile, so an action always runs in a session
  (deleting a session in which no action ran frees an uninitialised pointer).
* The fact always carries every scalar field with its real type (age -1 when there is no child
  yet), so the engine's loose coercion never decides anything.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .loader import Pack
from .models import MAX_AGE_MONTHS, NormalizedFamily, Rule

SHARD_SIZE = 48  # engine rules per ruleset at most
MAX_PENDING_SIBLINGS = 64  # events.c MAX_STACK_SIZE
STACK_LIMIT = 56  # worst-case alpha stack per shard we allow, below MAX_PENDING_SIBLINGS
MAX_CHILDREN = 512  # rules.h NEXT_BUCKET_LENGTH
# state.h MAX_OBJECT_PROPERTIES (255) is never reached: a fact has 6 scalar fields and at most
# 40 needs (Family.needs max_length).
MAX_RULESETS = 60_000  # well below rules.h MAX_HANDLES (131,072 per process)
CATCH_ALL = "_profil"
NO_AGE = -1
NEED_PREFIX = "n_"
# every property a fact can carry besides its needs ("id" is added by the C core)
FACT_FIELDS = ("kind", "age", "expecting", "kommun", "day", "sid", "id")


def need_field(code: str) -> str:
    return NEED_PREFIX + code


def fact_of(family: NormalizedFamily) -> dict[str, Any]:
    """The fact asserted for a family (without its session id)."""
    fact: dict[str, Any] = {
        "kind": "profile",
        "age": family.age_months if family.age_months is not None else NO_AGE,
        "expecting": bool(family.expecting),
        "kommun": family.kommun,
        "day": family.date.toordinal(),
    }
    for code in sorted(family.needs):
        fact[need_field(code)] = True
    return fact


def fnv1a_32(name: str) -> int:
    """The C core's property-name hash (json.c getStringAndHash, FNV-1a over the bytes)."""
    h = 0x811C9DC5
    for byte in name.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


class CompileError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Shard:
    name: str
    definition: dict[str, Any]
    engine_rules: dict[str, tuple[str, ...]]  # engine rule name -> pack rule ids
    # None: some rule matches without needs; else the family needs one of these to match anything
    trigger_needs: frozenset[str] | None = None


# Age bands (inclusive months) used only to index rules; "e" is expecting parents, "*" every family.
BANDS: list[tuple[str, int, int]] = [(str(year), 12 * year, min(12 * year + 11, MAX_AGE_MONTHS))
                                     for year in range(MAX_AGE_MONTHS // 12 + 1)]  # whole years
EXPECTING_BAND = "e"
ALL_BANDS = "*"
_BAND_OF_MONTH = [next(name for name, lo, hi in BANDS if lo <= m <= hi) for m in range(MAX_AGE_MONTHS + 1)]


@dataclass
class CompiledPack:
    shards: list[Shard] = field(default_factory=list)
    groups: dict[tuple[str | None, str], list[int]] = field(default_factory=dict)

    def shards_for(self, kommun: str, age_months: int | None, expecting: bool,
                   needs: frozenset[str] = frozenset()) -> list[int]:
        bands = [ALL_BANDS]
        if expecting:
            bands.append(EXPECTING_BAND)
        if age_months is not None:
            bands.append(_BAND_OF_MONTH[age_months])
        out: list[int] = []
        for scope in (None, kommun):
            for band in bands:
                for index in self.groups.get((scope, band), ()):
                    triggers = self.shards[index].trigger_needs
                    if triggers is None or not triggers.isdisjoint(needs):
                        out.append(index)
        return out


@dataclass
class _EngineRule:
    name: str
    conditions: tuple[Cond, ...]
    rule_ids: list[str]
    trigger: str | None  # a need the family must have for the rule to match, or None
    bands: tuple[str, ...]  # the age bands the rule can match in


def _day(value: dt.date) -> int:
    return value.toordinal()


# A condition is kept as a hashable key (op, field, value) and written in durable's JSON form only
# in the ruleset definition: {field: value} for "=", {op: {field: value}} otherwise.
Cond = tuple[str, str, Any]


def _cond_json(cond: Cond) -> dict[str, Any]:
    op, name, value = cond
    return {name: value} if op == "=" else {op: {name: value}}


def _cond_key(cond: dict[str, Any]) -> Cond:
    """The key of a condition in durable's JSON form ({"kind": "profile"}, {"$gte": {"age": 12}})."""
    (name, value), = cond.items()
    if isinstance(value, dict):
        (field_name, operand), = value.items()
        return (name, field_name, operand)
    return ("=", name, value)


def _conditions(rule: Rule, variant: str, any_need: str | None, kommun: str | None) -> tuple[Cond, ...]:
    # Shared prefixes share alpha nodes (see the module doc for the order).
    conds: list[Cond] = [("=", "kind", "profile")]
    when = rule.when
    if kommun is not None:
        conds.append(("=", "kommun", kommun))
    if rule.valid_from is not None:
        conds.append(("$gte", "day", _day(rule.valid_from)))
    if rule.valid_to is not None:
        conds.append(("$lte", "day", _day(rule.valid_to)))
    if variant == "e":
        conds.append(("=", "expecting", True))
    elif variant == "a":
        conds.append(("$gte", "age", when.age_months.min))
        if when.age_months.max < MAX_AGE_MONTHS:  # a fact's age is never above MAX_AGE_MONTHS
            conds.append(("$lte", "age", when.age_months.max))
    conds += [("=", need_field(code), True) for code in sorted(set(when.needs_all) - {any_need})]
    if any_need is not None:  # last: the engine rules of one rule's needs_any share the rest
        conds.append(("=", need_field(any_need), True))
    return tuple(conds)


def _variant_bands(rule: Rule, variant: str) -> tuple[str, ...]:
    if variant == "e":
        return (EXPECTING_BAND,)
    if variant == "a":
        ages = rule.when.age_months
        return tuple(name for name, lo, hi in BANDS if lo <= ages.max and ages.min <= hi)
    return (EXPECTING_BAND, *(name for name, _, _ in BANDS))


def _variants(rule: Rule) -> list[str]:
    when = rule.when
    out = []
    if when.expecting:
        out.append("e")
    if when.age_months is not None:
        out.append("a")
    return out or ["*"]


def _engine_rules(rule: Rule, kommun: str | None) -> list[_EngineRule]:
    out = []
    any_needs: list[str | None] = sorted(set(rule.when.needs_any)) or [None]
    for variant in _variants(rule):
        for i, need in enumerate(any_needs):
            name = f"{rule.id}~{variant}" + (f"~{i}" if need is not None else "")
            trigger = need if need is not None else min(rule.when.needs_all, default=None)
            out.append(_EngineRule(name, _conditions(rule, variant, need, kommun), [rule.id], trigger,
                                   _variant_bands(rule, variant)))
    return out


def _merged(rules: list[_EngineRule]) -> list[_EngineRule]:
    """One engine rule per distinct condition list, naming every pack rule behind it."""
    by_key: dict[tuple, _EngineRule] = {}
    for er in rules:
        key = er.conditions
        same = by_key.get(key)
        if same is None:
            by_key[key] = _EngineRule(er.name, er.conditions, list(er.rule_ids), er.trigger, er.bands)
        else:
            same.rule_ids += [r for r in er.rule_ids if r not in same.rule_ids]
    return list(by_key.values())


def stack_bound(paths: list[tuple]) -> int:
    """The largest alpha stack a fact can need in a network of these condition paths, whatever
    the order the C core visits them in: events.c pushes every matching child of a node on one
    stack of 64 and goes depth first, so if every node matched, f(node) = kids - 1 +
    max(1, max f(child)) and f(leaf) = 0 (measured: tests/test_engine_network.py)."""
    trie: dict = {}
    for path in paths:
        node = trie
        for part in path:
            node = node.setdefault(part, {})

    def f(node: dict) -> int:
        if not node:
            return 0
        return len(node) - 1 + max(1, max(f(child) for child in node.values()))

    return f(trie)


def _fitting(chunk: list[_EngineRule]) -> list[list[_EngineRule]]:
    """The chunk, halved until each part's worst-case stack is at most STACK_LIMIT."""
    if len(chunk) == 1 or stack_bound([er.conditions for er in chunk]) <= STACK_LIMIT:
        return [chunk]
    mid = len(chunk) // 2
    return _fitting(chunk[:mid]) + _fitting(chunk[mid:])


def _shards_of(items: list[_EngineRule], shard_size: int) -> list[list[_EngineRule]]:
    return [part for start in range(0, len(items), shard_size)
            for part in _fitting(items[start:start + shard_size])]


def compile_pack(pack: Pack, prefix: str, shard_size: int = SHARD_SIZE) -> CompiledPack:
    check_fields(pack)
    scopes: dict[str | None, list[_EngineRule]] = defaultdict(list)
    for rule in pack.rules:
        for kommun in rule.when.kommuner or [None]:
            scopes[kommun].extend(_engine_rules(rule, kommun))

    groups: dict[tuple[str | None, str], list[_EngineRule]] = {}
    for scope, engine_rules in scopes.items():
        merged = _merged(engine_rules)
        if len(merged) <= shard_size:
            groups[(scope, ALL_BANDS)] = merged
            continue
        for band in (EXPECTING_BAND, *(name for name, _, _ in BANDS)):
            in_band = [er for er in merged if band in er.bands]
            if in_band:
                groups[(scope, band)] = in_band

    compiled = CompiledPack()
    as_json: dict[Cond, dict[str, Any]] = {}  # one JSON form per distinct condition (read-only)
    for key in sorted(groups, key=lambda k: (k[0] or "", k[1])):
        # rules without needs first, then by trigger need, so shards split along needs
        items = sorted(groups[key], key=lambda er: (er.trigger is not None, er.trigger or ""))
        for chunk in _shards_of(items, shard_size):
            index = len(compiled.shards)
            definition: dict[str, Any] = {}
            for er in chunk:
                conds = [as_json.get(c) or as_json.setdefault(c, _cond_json(c)) for c in er.conditions]
                cond = conds[0] if len(conds) == 1 else {"$and": conds}
                definition[er.name] = {"all": [{"m": cond}], "run": "fire"}
            definition[CATCH_ALL] = {"all": [{"m": {"kind": "profile"}}], "run": "fire", "pri": 1000}
            triggers = [er.trigger for er in chunk]
            compiled.shards.append(Shard(
                f"{prefix}_{index}", definition, {er.name: tuple(er.rule_ids) for er in chunk},
                None if None in triggers else frozenset(triggers)))
            compiled.groups.setdefault(key, []).append(index)
    check_shape(compiled)
    return compiled


def check_fields(pack: Pack) -> None:
    """Refuse a pack whose fact field names share a hash in the C core (it would confuse them)."""
    seen: dict[int, str] = {}
    problems = []
    for name in (*FACT_FIELDS, *(need_field(code) for code in sorted(pack.needs))):
        h = fnv1a_32(name)
        other = seen.setdefault(h, name)
        if other != name:
            code = name.removeprefix(NEED_PREFIX)
            where = ":".join(map(str, pack.locations.get(f"need:{code}", ("behov.yaml", 1))))
            problems.append(f"{where}: behovskoden '{code}' kan inte användas tillsammans med "
                            f"'{other.removeprefix(NEED_PREFIX)}': beslutsmotorn kan inte hålla isär dem "
                            "(en känd begränsning i motorn). Byt namn på ett av behoven.")
    if problems:
        raise CompileError(problems)


def _condition_path(rule_def: dict[str, Any]) -> tuple:
    """The alpha-node path of a one-pattern rule: its conditions in order, as keys."""
    cond = rule_def["all"][0]["m"]
    return tuple(_cond_key(c) for c in (cond["$and"] if "$and" in cond else [cond]))


def check_shape(compiled: CompiledPack) -> None:
    """Refuse a network the C core cannot run, naming the rules involved."""
    problems: list[str] = []
    if len(compiled.shards) > MAX_RULESETS:
        problems.append(f"regelpaketet ger {len(compiled.shards)} regeluppsättningar, högst {MAX_RULESETS} går")
    for shard in compiled.shards:
        paths = {name: _condition_path(d) for name, d in shard.definition.items() if name != CATCH_ALL}
        children: dict[tuple, set[tuple]] = defaultdict(set)
        for path in paths.values():
            for depth in range(1, len(path)):
                children[path[:depth]].add(path[depth])
        rules = sorted({r for name in paths for r in shard.engine_rules.get(name, (name,))})
        shown = ", ".join(rules[:10]) + (f" och {len(rules) - 10} till" if len(rules) > 10 else "")
        widest = max((len(kids) for kids in children.values()), default=0)
        if widest >= MAX_CHILDREN:
            problems.append(f"nätverket i {shard.name} får {widest} barnnoder under samma villkor "
                            f"(gräns 512 i rules.h); högst {MAX_CHILDREN - 1} går. Regler: {shown}")
        deepest = stack_bound(list(paths.values()))
        if deepest > MAX_PENDING_SIBLINGS:
            problems.append(f"nätverket i {shard.name} kan behöva {deepest} villkor på motorns stack "
                            f"samtidigt (gräns 64 i events.c); högst {MAX_PENDING_SIBLINGS} går. Regler: {shown}")
    if problems:
        raise CompileError(problems)
