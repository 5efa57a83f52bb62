"""Issue 10: the rules engine failing. A failing `delete_state` fails that decision with a
Swedish 500 and leaves no session behind; after injected faults of every kind, the next 1,000
decisions are all correct (compared with the reference evaluator). And a reload registers one
shard per hold of the engine lock, so decisions never wait for a whole pack."""
from __future__ import annotations

import datetime as dt
import random
import threading

import durable_rules_engine as core
import pytest
from fastapi.testclient import TestClient

from bench.synthetic import write_synthetic_pack
from engine import Engine, load_pack
from engine import executor as executor_mod
from engine.executor import DurableExecutor, EngineError
from engine.models import NormalizedFamily
from engine.reference import ReferenceEvaluator
from service.app import create_app

PACK = load_pack()
KOMMUNER = sorted(PACK.kommuner)
NEEDS = sorted(PACK.needs)


def families(n: int, seed: int) -> list[NormalizedFamily]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        expecting = rng.random() < 0.15
        age = None if expecting and rng.random() < 0.5 else rng.randrange(0, 217)
        out.append(NormalizedFamily(kommun=rng.choice(KOMMUNER), age_months=age, expecting=expecting,
                                    needs=frozenset(rng.sample(NEEDS, rng.randrange(0, 4))),
                                    date=dt.date(2026, 11, 24)))
    return out


class Faults:
    """Wraps C-core calls: with probability `rate`, a call fails, either before it reaches the
    core or after (the core did its work, then the caller sees an error)."""

    def __init__(self, monkeypatch, rate: float, seed: int, names=("assert_fact", "start_action_for_state",
                                                                   "complete_and_start_action", "delete_state")):
        self.rng = random.Random(seed)
        self.rate = rate
        self.injected = 0
        for name in names:
            real = getattr(core, name)
            monkeypatch.setattr(executor_mod._core, name, self._wrap(real))

    def _wrap(self, real):
        def call(*args):
            if self.rate and self.rng.random() < self.rate:
                self.injected += 1
                if self.rng.random() < 0.5:
                    raise core.error("injected fault before the call")
                real(*args)
                raise core.error("injected fault after the call")
            return real(*args)

        return call


def _live_sessions(executor: DurableExecutor, sids: list[str]) -> int:
    live = 0
    for handle in executor._handles:
        for sid in sids:
            try:
                core.get_state(handle, sid)
                live += 1
            except Exception:  # noqa: BLE001 - "sid not found" is what we want
                pass
    return live


def test_a_failing_delete_state_fails_the_decision_and_leaves_no_session(monkeypatch):
    executor = DurableExecutor(PACK)
    sids: list[str] = []
    real_ids = executor_mod._session_ids

    class Recorder:  # the session ids the executor hands out
        def __next__(self):
            n = next(real_ids)
            sids.append(f"s{n}")
            return n

    monkeypatch.setattr(executor_mod, "_session_ids", Recorder())
    real_delete = core.delete_state
    calls = {"n": 0}

    def flaky_delete(handle, sid):
        calls["n"] += 1
        if calls["n"] == 1:
            raise core.error("injected: delete_state failed")
        return real_delete(handle, sid)

    monkeypatch.setattr(executor_mod._core, "delete_state", flaky_delete)
    fam = families(1, 1)[0]
    with pytest.raises(EngineError):
        executor.matching_rule_ids(fam)
    monkeypatch.setattr(executor_mod._core, "delete_state", real_delete)
    assert _live_sessions(executor, sids) == 0
    assert executor.leaked_sessions == 0
    # and the next decision is right
    assert executor.matching_rule_ids(fam) == set(ReferenceEvaluator(PACK).matching_rule_ids(fam))
    executor.close()


def test_a_failing_engine_gives_a_swedish_500_over_http(monkeypatch):
    def broken(handle, sid):
        raise core.error("injected")

    with TestClient(create_app(), raise_server_exceptions=False) as c:
        monkeypatch.setattr(executor_mod._core, "delete_state", broken)
        r = c.post("/v1/recommendations", json={"kommun": "Nora", "age_months": 30})
        monkeypatch.undo()
        assert r.status_code == 500
        assert r.json()["message"].startswith("Fel i indata: regelmotorn kunde inte fatta beslutet")
        assert "injected" not in r.text
        ok = c.post("/v1/recommendations", json={"kommun": "Nora", "age_months": 30})
        assert ok.status_code == 200


def test_after_injected_faults_the_next_1000_decisions_are_correct(monkeypatch):
    executor = DurableExecutor(PACK)
    reference = ReferenceEvaluator(PACK)
    faults = Faults(monkeypatch, rate=0.05, seed=7)
    failed = 0
    for fam in families(600, 3):
        try:
            got = executor.matching_rule_ids(fam)
        except EngineError:
            failed += 1
            continue
        assert got == set(reference.matching_rule_ids(fam))  # a decision that succeeds is right
    assert faults.injected > 50 and failed > 20
    faults.rate = 0
    wrong = [f for f in families(1000, 4) if executor.matching_rule_ids(f) != set(reference.matching_rule_ids(f))]
    assert wrong == []
    executor.close()


def test_registration_holds_the_engine_lock_for_one_shard_at_a_time(monkeypatch, tmp_path):
    """A decision waits at most for one shard's registration, never for a whole pack."""
    big = load_pack(write_synthetic_pack(tmp_path, n_kommuner=12, n_rules=300, n_global=60))
    holds: list[int] = []
    real_lock = executor_mod.ENGINE_LOCK

    class CountingLock:
        def __init__(self):
            self.inner = threading.Lock()
            self.count = 0

        def __enter__(self):
            self.inner.acquire()
            self.count = 0
            return self

        def __exit__(self, *exc):
            holds.append(self.count)
            self.inner.release()

    lock = CountingLock()
    real_register = executor_mod.PrivateHost.register_rulesets

    def register(self, definitions):
        lock.count += len(definitions)
        return real_register(self, definitions)

    monkeypatch.setattr(executor_mod, "ENGINE_LOCK", lock)
    monkeypatch.setattr(executor_mod.PrivateHost, "register_rulesets", register)
    engine = Engine(big, cache_size=0)
    shards = engine.evaluator.shard_count
    engine.close()
    monkeypatch.setattr(executor_mod, "ENGINE_LOCK", real_lock)
    assert shards > 1
    assert sum(holds) == shards
    assert max(holds) == 1


SETTLE_SCRIPT = """
import random, sys
import durable_rules_engine as core
from engine import executor as ex
from engine.executor import DurableExecutor, EngineError
from engine import load_pack
import datetime as dt
from engine.models import NormalizedFamily
pack = load_pack()
real = core.assert_fact
def after(*args):
    real(*args)  # the core created the session and queued its action
    raise core.error("injected fault after the call")
ex._core.assert_fact = after
e = DurableExecutor(pack)
rng = random.Random(5)
kommuner = sorted(pack.kommuner)
failed = 0
for _ in range(400):
    fam = NormalizedFamily(kommun=rng.choice(kommuner), age_months=rng.randrange(0, 217), expecting=False,
                           needs=frozenset(), date=dt.date(2026, 11, 24))
    try:
        e.matching_rule_ids(fam)
    except EngineError:
        failed += 1
print(failed, e.leaked_sessions)
"""


@pytest.mark.parametrize("seed", range(6))
def test_a_fault_right_after_assert_fact_never_aborts_the_process(seed):
    """The session exists and its action is queued but never ran: deleting it as it is frees an
    uninitialised pointer (about 1 process in 12 aborted). The executor runs the queued action first.
    In a child process, so an abort fails this test instead of ending the test run."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", SETTLE_SCRIPT], cwd=root, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    failed, leaked = map(int, proc.stdout.split())
    assert failed == 400 and leaked == 0
