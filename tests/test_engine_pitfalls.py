"""Regression tests for each durable_rules pitfall in ../shared/durable-rules.md."""
from __future__ import annotations

import json
import resource
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from durable.engine import Host
from pydantic import ValidationError

from engine import DEFAULT_PACK, Engine, EngineClosed, EngineError, Family, load_pack
from engine.compiler import (
    CATCH_ALL,
    SHARD_SIZE,
    STACK_LIMIT,
    CompiledPack,
    CompileError,
    Shard,
    _condition_path,
    check_shape,
    compile_pack,
    stack_bound,
)
from engine.executor import DurableExecutor, PrivateHost
from engine.models import AgeRange, Condition, Rule
from engine.reference import ReferenceEvaluator
from tests.engine_support import SRC, family, make_pack


class _StockHost(Host):
    """The library's Host, but without its timer threads, to show the library's semantics."""

    def _run(self):
        return None


def _three_rules() -> dict:
    cond = {"m": {"$and": [{"kind": "profile"}, {"$gte": {"age": 0}}]}}
    return {f"r{i}": {"all": [cond], "run": f"r{i}"} for i in range(3)}


def test_events_fire_one_rule_facts_fire_all():
    fired: list[str] = []

    class H(_StockHost):
        def get_action(self, name):
            return lambda c: fired.append(name)

    host = H()
    host.register_rulesets({"pit_events": _three_rules()})
    host.post("pit_events", {"sid": "a", "kind": "profile", "age": 5})
    assert len(fired) == 1  # the pitfall: an event is consumed by the first rule
    fired.clear()
    host.assert_fact("pit_events", {"sid": "b", "kind": "profile", "age": 5})
    assert sorted(fired) == ["r0", "r1", "r2"]


def test_our_executor_returns_every_matching_rule():
    rs = [Rule(id=f"r{i}", level="universell", when=Condition(age_months=AgeRange(min=0, max=216)),
               recommend=["i0"], rationale="x", source=SRC) for i in range(3)]
    ex = DurableExecutor(make_pack(rs, ["1884"], [], ["i0"]))
    try:
        assert ex.matching_rule_ids(family("1884", 5)) == {"r0", "r1", "r2"}
    finally:
        ex.close()


def test_stock_host_swallows_action_exceptions_ours_raises(monkeypatch):
    class H(_StockHost):
        def get_action(self, name):
            def boom(c):
                raise ValueError("inside action")
            return boom

    host = H()
    host.register_rulesets({"pit_exc": _three_rules()})
    state = host.assert_fact("pit_exc", {"sid": "x", "kind": "profile", "age": 1})
    assert "exception" in state  # the pitfall: no exception reaches the caller

    engine = Engine.load(DEFAULT_PACK, cache_size=0)
    try:
        import engine.executor as ex_mod

        def broken(message: str) -> str:
            raise EngineError("simulated failure while reading a fired rule")

        monkeypatch.setattr(ex_mod, "_fired_name", broken)
        with pytest.raises(EngineError):
            engine.decide(Family(kommun="Nora", age_months=8))
        monkeypatch.undo()
        # the session was deleted in finally: the next decision works
        assert engine.decide(Family(kommun="Nora", age_months=8)).recommendations
    finally:
        engine.close()


def test_no_background_threads():
    before = threading.active_count()
    engine = Engine.load(DEFAULT_PACK)
    try:
        assert threading.active_count() == before
        assert isinstance(engine.evaluator._host, PrivateHost)
    finally:
        engine.close()


def test_every_shard_has_a_catch_all_and_no_or():
    pack = load_pack(DEFAULT_PACK)
    compiled = compile_pack(pack, "t")
    for shard in compiled.shards:
        assert shard.definition[CATCH_ALL]["all"] == [{"m": {"kind": "profile"}}]
        assert len(shard.definition) <= SHARD_SIZE + 1
        # every rule is discriminated on the profile, so the re-asserted state fact never matches
        for name, rule_def in shard.definition.items():
            text = json.dumps(rule_def)
            assert '"$or"' not in text
            assert '{"kind": "profile"}' in text


def test_shape_check_refuses_networks_over_the_c_limits():
    # 70 rules whose first conditions all differ and can all match: one ruleset would hit
    # events.c MAX_STACK_SIZE (error 303, then a crash on delete). Refused, naming the rules.
    rs = [Rule(id=f"bred-{i}", level="universell", when=Condition(age_months=AgeRange(min=i, max=216)),
               recommend=["i0"], rationale="x", source=SRC) for i in range(70)]
    pack = make_pack(rs, ["1884"], [], ["i0"])
    one_shard = compile_pack(pack, "big")
    merged = {k: v for shard in one_shard.shards for k, v in shard.definition.items()}
    names = {k: v for shard in one_shard.shards for k, v in shard.engine_rules.items()}
    with pytest.raises(CompileError) as err:
        check_shape(CompiledPack(shards=[Shard("big_0", merged, names)]))
    assert "bred-0" in str(err.value) and "64" in str(err.value)
    # the compiler itself cuts such a group into shards that stay inside the limit
    assert len(one_shard.shards) > 1
    assert all(stack_bound([_condition_path(d) for n, d in s.definition.items() if n != CATCH_ALL]) <= STACK_LIMIT
               for s in one_shard.shards)


def test_wrong_types_are_refused_before_the_engine():
    for bad in ({"age_months": "12"}, {"age_months": 12.5}, {"age_months": True},
                {"age_months": 217}, {"age_months": -1}, {"expecting": "true"}, {"expecting": 1},
                {"needs": "overvikt_fetma"}, {"age_months": 5, "namn": "x"}):
        with pytest.raises(ValidationError):
            Family.model_validate({"kommun": "Nora", **bad})


def test_swedish_letters_in_kommun_names():
    engine = Engine.load(DEFAULT_PACK, cache_size=0)
    try:
        answers = {k: engine.decide(Family(kommun=k, age_months=40)).model_dump()
                   for k in ("Örebro", "orebro", "ÖREBRO", "Orebro kommun", "1880")}
        assert len({json.dumps(a, sort_keys=True) for a in answers.values()}) == 1
        hallefors = engine.pack.normalize(Family(kommun="hallefors", age_months=1))
        assert hallefors.kommun == engine.pack.resolve_kommun("Hällefors") == "1863"
    finally:
        engine.close()


def _families(pack, n):
    import random

    rng = random.Random(7)
    codes, needs = list(pack.kommuner), list(pack.needs)
    out = []
    for _ in range(n):
        expecting = rng.random() < 0.15
        out.append(family(rng.choice(codes), None if expecting else rng.randrange(217), expecting,
                          rng.sample(needs, rng.randrange(0, 4))))
    return out


def test_ten_thousand_decisions_with_flat_memory():
    engine = Engine.load(DEFAULT_PACK, cache_size=0)
    fams = _families(engine.pack, 500)
    try:
        for f in fams * 2:  # warm up allocator and interned strings
            engine.decide_normalized(f)
        start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for i in range(10_000):
            engine.decide_normalized(fams[i % len(fams)])
        grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start
        assert grown_kb < 2048, f"RSS grew {grown_kb} KB over 10,000 decisions"
    finally:
        engine.close()


def test_eight_threads_give_the_same_answers_as_one():
    engine = Engine.load(DEFAULT_PACK, cache_size=0)
    fams = _families(engine.pack, 400)
    try:
        sequential = [engine.evaluator.matching_rule_ids(f) for f in fams]
        with ThreadPoolExecutor(8) as pool:
            for _ in range(3):
                parallel = list(pool.map(engine.evaluator.matching_rule_ids, fams))
                assert parallel == sequential
    finally:
        engine.close()


def test_closed_engine_refuses_and_frees():
    engine = Engine.load(DEFAULT_PACK)
    engine.close()
    with pytest.raises(EngineClosed):
        engine.evaluator.matching_rule_ids(family("1884", 5))


def test_national_pack_of_2000_rules_loads_and_decides_correctly(tmp_path):
    from bench.synthetic import write_synthetic_pack

    pack = load_pack(write_synthetic_pack(tmp_path / "nat", n_kommuner=290, n_rules=2000))
    assert len(pack.rules) == 2000 and len(pack.kommuner) == 290
    ex, ref = DurableExecutor(pack), ReferenceEvaluator(pack)
    try:
        for f in _families(pack, 600):
            assert ex.matching_rule_ids(f) == set(ref.matching_rule_ids(f))
    finally:
        ex.close()


def test_the_allocator_is_set_once_and_an_operators_setting_wins():
    import os
    import subprocess
    import sys

    code = "from engine.executor import steady_allocator as s; print(s(), s())"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]
    env["MALLOC_TRIM_THRESHOLD_"] = "8388608"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
