"""A replaced pack is freed by reference counting alone. The service freezes the garbage collector
after each load (gc.freeze), so anything of an old pack caught in a reference cycle stays for
the life of the worker: with the national pack that was +21 MB per reload."""
from __future__ import annotations

import gc
import weakref

from bench.synthetic import write_synthetic_pack
from engine import Engine, Family, load_pack
from engine.answer_json import decision_json


def _decide_and_drop(pack, families) -> weakref.ref:
    engine = Engine(pack, cache_size=16)
    for family in families:
        decision_json(engine.decide(family))
    ref = weakref.ref(pack)
    engine.close()
    return ref


def test_a_used_pack_is_freed_without_the_cycle_collector(tmp_path):
    national = load_pack(write_synthetic_pack(tmp_path, n_kommuner=8, n_rules=120))
    families = {
        "orebro": [Family(kommun="Nora", age_months=40, needs=["barn_som_anhorig"]),
                   Family(kommun="Örebro", expecting=True), Family(kommun="Nora", age_months=40)],
        "national": [Family(kommun=code, age_months=age, needs=[need])
                     for code in list(national.kommuner)[:3] for age in (5, 100) for need in list(national.needs)[:3]],
    }
    gc.collect()
    gc.disable()
    try:
        refs = [_decide_and_drop(load_pack(), families["orebro"])]
        refs.append(_decide_and_drop(national, families["national"]))
        del national
        assert [r() is None for r in refs] == [True, True]
    finally:
        gc.enable()
