"""The shape of the compiled network: what the C core needs (limits it does not check itself) and
what keeps a national pack small. Each test shows the C core's own behaviour next to ours."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import durable_rules_engine as core
import pytest

from engine.compiler import (
    CATCH_ALL,
    STACK_LIMIT,
    CompiledPack,
    CompileError,
    Shard,
    _condition_path,
    check_shape,
    compile_pack,
    fnv1a_32,
    need_field,
    stack_bound,
)
from engine.executor import _SHARED_ACTION, DurableExecutor, PrivateHost
from engine.models import AgeRange, Condition, Rule
from engine.reference import ReferenceEvaluator
from tests.engine_support import SRC, family, make_pack

ROOT = Path(__file__).resolve().parent.parent
# Two need codes whose fact field names share a 32-bit FNV-1a hash (found by exhaustive search).
COLLIDING = ("b162789", "b379192")


def _register(definition: dict) -> int:
    host = PrivateHost()
    host.register_rulesets({"net": {k: {**v, "run": _SHARED_ACTION} for k, v in definition.items()}})
    return host.get_ruleset("net")._handle, host


_CHILD = """
import json, os, sys
import durable_rules_engine as core
from engine.executor import PrivateHost, _SHARED_ACTION
definition, fact = json.loads(sys.stdin.read())
host = PrivateHost()
host.register_rulesets({"net": {k: {**v, "run": _SHARED_ACTION} for k, v in definition.items()}})
try:
    code = core.assert_fact(host.get_ruleset("net")._handle, json.dumps({**fact, "sid": "s1"}))[0]
except core.error as exc:
    code = int(str(exc).rsplit(":", 1)[1])
print(code, flush=True)
os._exit(0)  # after error 303 the session is corrupt: touching it again aborts the process
"""


def _assert_in_child(definition: dict, fact: dict) -> int:
    """assert_fact's result code, in a child process (a failed assert leaves a corrupt session)."""
    out = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps([definition, fact]), text=True,
                         capture_output=True, timeout=120, cwd=ROOT, check=True)
    return int(out.stdout.split()[-1])


def _rule(name: str, *conds) -> tuple[str, dict]:
    return name, {"all": [{"m": {"$and": [{"kind": "profile"}, *conds]}}], "run": "fire"}


def _deep_network(wide: int, deep: int) -> dict:
    """`wide` rules on distinct need fields, and `deep` rules under the first need on distinct
    ages. No node has more than max(wide, deep) children."""
    rules = dict(_rule(f"a{i}", {need_field(f"b{i}"): True}) for i in range(wide))
    rules.update(_rule(f"d{j}", {need_field("b0"): True}, {"$gte": {"age": j}}) for j in range(deep))
    rules[CATCH_ALL] = {"all": [{"m": {"kind": "profile"}}], "run": "fire", "pri": 1000}
    return rules


def test_the_c_core_stack_is_shared_by_every_depth():
    # events.c pushes every matching child on one stack of 64 and goes depth first: 40 siblings
    # and 26 children of the last one overflow it although no node has more than 40 children.
    last_first = {"kind": "profile", "age": 100, **{need_field(f"b{i}"): True for i in reversed(range(40))}}
    assert _assert_in_child(_deep_network(40, 26), last_first) == 303
    first_first = {"kind": "profile", "age": 100, **{need_field(f"b{i}"): True for i in range(40)}}
    assert _assert_in_child(_deep_network(40, 26), first_first) == 0  # another order: it fits
    assert _assert_in_child(_deep_network(40, 25), last_first) == 0  # 39 + 25 = 64: the limit
    definition = _deep_network(40, 26)
    paths = [_condition_path(d) for n, d in definition.items() if n != CATCH_ALL]
    assert stack_bound(paths) == 40 - 1 + 26  # our bound assumes the worst order
    names = {n: (n,) for n in definition if n != CATCH_ALL}
    with pytest.raises(CompileError) as err:
        check_shape(CompiledPack(shards=[Shard("net_0", definition, names)]))
    assert "65 villkor" in str(err.value) and "gräns 64" in str(err.value)


def test_the_compiler_cuts_deep_networks_and_still_agrees_with_the_reference():
    needs = [f"b{i}" for i in range(40)]
    rs = [Rule(id=f"a{i}", level="selektiv", when=Condition(needs_any=[needs[i]]), recommend=["i0"],
               rationale="x", source=SRC) for i in range(40)]
    rs += [Rule(id=f"d{j}", level="selektiv", when=Condition(needs_any=["b0"], age_months=AgeRange(min=j, max=216)),
                recommend=["i1"], rationale="x", source=SRC) for j in range(26)]
    pack = make_pack(rs, ["1884"], needs, ["i0", "i1"])
    compiled = compile_pack(pack, "deep", shard_size=1000)
    for shard in compiled.shards:
        paths = [_condition_path(d) for n, d in shard.definition.items() if n != CATCH_ALL]
        assert stack_bound(paths) <= STACK_LIMIT
    ex = DurableExecutor(pack, compiled)
    ref = ReferenceEvaluator(pack)
    try:
        for fam in (family("1884", 100, needs=needs), family("1884", 10, needs=needs[::-1]),
                    family("1884", None, True, needs=["b0"])):
            assert ex.matching_rule_ids(fam) == set(ref.matching_rule_ids(fam))
        assert len(ex.matching_rule_ids(family("1884", 100, needs=needs))) == 66
    finally:
        ex.close()


def test_needs_are_fact_fields_shared_between_rules():
    # rete.c never shares an $iany node (nor its 2 KB hash set) between rules; an equality on a
    # need field is shared by every rule that tests the same need.
    rs = [Rule(id=f"r{i}", level="selektiv", when=Condition(needs_any=["n1"], age_months=AgeRange(min=i, max=216)),
               recommend=["i0"], rationale="x", source=SRC) for i in range(10)]
    compiled = compile_pack(make_pack(rs, ["1884"], ["n1"], ["i0"]), "n")
    text = json.dumps([s.definition for s in compiled.shards])
    assert "$iany" not in text and '"needs"' not in text
    assert text.count('{"n_n1": true}') == 10


def test_rules_with_the_same_conditions_are_one_engine_rule():
    rs = [Rule(id=f"r{i}", level="universell", when=Condition(age_months=AgeRange(min=0, max=71)),
               recommend=[f"i{i}"], rationale="x", source=SRC) for i in range(3)]
    pack = make_pack(rs, ["1884"], [], ["i0", "i1", "i2"])
    compiled = compile_pack(pack, "m")
    (shard,) = compiled.shards
    assert list(shard.engine_rules.values()) == [("r0", "r1", "r2")]
    ex = DurableExecutor(pack, compiled)
    try:
        assert ex.matching_rule_ids(family("1884", 5)) == {"r0", "r1", "r2"}
        assert ex.matching_rule_ids(family("1884", 72)) == set()
    finally:
        ex.close()


def test_field_names_that_share_a_hash_are_refused():
    a, b = COLLIDING
    assert fnv1a_32(need_field(a)) == fnv1a_32(need_field(b))
    # what the C core does with them: a rule on one need fires for a family with the other
    handle, _host = _register(dict([_rule("r", {need_field(a): True}),
                                    (CATCH_ALL, {"all": [{"m": {"kind": "profile"}}], "run": "fire"})]))
    fired = []
    result = core.assert_fact(handle, json.dumps({"kind": "profile", "sid": "s2", need_field(b): True}))
    started = core.start_action_for_state(handle, result[1])
    message = started[1] if started else None
    while message:
        fired.append(message[2:message.index('"', 2)])
        message = core.complete_and_start_action(handle, result[1])
    core.delete_state(handle, "s2")
    assert "r" in fired  # the wrong need matched
    rs = [Rule(id="r", level="selektiv", when=Condition(needs_any=[a]), recommend=["i0"], rationale="x", source=SRC)]
    with pytest.raises(CompileError) as err:
        compile_pack(make_pack(rs, ["1884"], [a, b], ["i0"]), "h")
    assert a in str(err.value) and b in str(err.value)


def test_small_scopes_are_one_shard_and_large_ones_are_split_by_age_band():
    local = [Rule(id=f"l{i}", level="universell", when=Condition(age_months=AgeRange(min=i, max=i + 12),
                                                                  kommuner=["1884"]),
                  recommend=["i0"], rationale="x", source=SRC) for i in range(10)]
    wide = [Rule(id=f"g{i}", level="universell", when=Condition(age_months=AgeRange(min=i * 3, max=i * 3 + 30)),
                 recommend=["i0"], rationale="x", source=SRC) for i in range(60)]
    compiled = compile_pack(make_pack(local + wide, ["1884", "1880"], [], ["i0"]), "b")
    assert [k for k in compiled.groups if k[0] == "1884"] == [("1884", "*")]
    assert ("1884", "*") in compiled.groups and (None, "*") not in compiled.groups
    assert {band for scope, band in compiled.groups if scope is None} >= {"0", "1", "3"}
