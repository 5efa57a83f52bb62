"""In-process measurements: decision latency, national-scale load and memory, soak.

Every function returns plain JSON-able dicts. `national` and `soak` are meant to run in a fresh
interpreter (bench.run starts them through a spawn pool) so that their RSS numbers are not
muddied by what ran before in the same process.
"""
from __future__ import annotations

import datetime as dt
import gc
import os
import random
import statistics
import time
import unicodedata
from pathlib import Path

from engine.loader import Pack, load_pack
from engine.models import Family
from engine.runtime import Engine

TODAY = dt.date(2026, 3, 2)  # fixed: the same families decide the same way on every run
_PAGE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------- helpers
def rss_bytes() -> int:
    """Resident set size now (not the peak), from /proc."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def random_families(pack: Pack, n: int, seed: int = 1) -> list[Family]:
    """n families the way callers send them: kommun by name (any case, with or without å ä ö)
    or by code, age 0–216 or expecting (10 %), 0–4 need codes."""
    rng = random.Random(seed)
    kommuner = list(pack.kommuner.values())
    needs = sorted(pack.needs)
    out = []
    for _ in range(n):
        k = rng.choice(kommuner)
        how = rng.randrange(4)
        kommun = k.code if how == 0 else k.name if how == 1 else k.name.lower() if how == 2 else _strip_accents(k.name)
        expecting = rng.random() < 0.1
        age = None if expecting else rng.randrange(0, 217)
        chosen = rng.sample(needs, min(len(needs), rng.randrange(0, 5)))
        out.append(Family(kommun=kommun, age_months=age, expecting=expecting, needs=chosen))
    return out


def summarize(samples_ns: list[int]) -> dict[str, float]:
    """p50/p99/mean in microseconds and decisions per second (one thread, back to back)."""
    if not samples_ns:
        return {"n": 0, "p50_us": 0.0, "p99_us": 0.0, "mean_us": 0.0, "per_second": 0.0}
    ordered = sorted(samples_ns)
    n = len(ordered)
    total = sum(ordered)
    return {
        "n": n,
        "p50_us": round(statistics.median(ordered) / 1000, 2),
        "p99_us": round(ordered[min(n - 1, int(n * 0.99))] / 1000, 2),
        "mean_us": round(total / n / 1000, 2),
        "per_second": round(n / (total / 1e9), 1) if total else 0.0,
    }


def _time_each(fn, items) -> list[int]:
    clock = time.perf_counter_ns
    out = []
    append = out.append
    for item in items:
        t0 = clock()
        fn(item)
        append(clock() - t0)
    return out


def interleaved(workloads: dict[str, tuple], chunk: int = 1000, warmup: int = 300) -> dict[str, list[int]]:
    """Time each workload (name -> (fn, items)) over all of its items, alternating chunks of
    `chunk` items between the workloads so that background noise hits all of them alike."""
    for fn, items in workloads.values():
        for item in items[:warmup]:
            fn(item)
    samples: dict[str, list[int]] = {name: [] for name in workloads}
    longest = max(len(items) for _, items in workloads.values())
    for start in range(0, longest, chunk):
        for name, (fn, items) in workloads.items():
            samples[name] += _time_each(fn, items[start:start + chunk])
    return samples


# --------------------------------------------------------------------------- 1. latency
def latency(pack_dir: str | None, n_families: int, seed: int = 1) -> dict:
    """durable executor vs reference evaluator on the same families: pure match and full decide."""
    pack = load_pack(pack_dir)
    durable = Engine(pack, evaluator="durable", cache_size=0)
    reference = Engine(pack, evaluator="reference", cache_size=0)
    try:
        families = random_families(pack, n_families, seed)
        normalized = [pack.normalize(f, TODAY) for f in families]
        samples = interleaved({
            "durable_match": (durable.evaluator.matching_rule_ids, normalized),
            "reference_match": (reference.evaluator.matching_rule_ids, normalized),
            "durable_decide": (lambda f: durable.decide(f, TODAY), families),
            "reference_decide": (lambda f: reference.decide(f, TODAY), families),
        })
        # both evaluators must agree, or the comparison means nothing
        mismatches = sum(set(durable.evaluator.matching_rule_ids(f)) != set(reference.evaluator.matching_rule_ids(f))
                         for f in normalized[:2000])
        out = {name: summarize(s) for name, s in samples.items()}
        shards = [len(durable.evaluator.compiled.shards_for(f.kommun, f.age_months, f.expecting, f.needs)) for f in normalized]
        return {
            "pack": pack.name,
            "rules": len(pack.rules),
            "kommuner": len(pack.kommuner),
            "shards": durable.evaluator.shard_count,
            "shards_per_decision_mean": round(statistics.fmean(shards), 2),
            "families": n_families,
            "mismatches_in_first_2000": mismatches,
            **out,
        }
    finally:
        durable.close()
        reference.close()


# --------------------------------------------------------------------------- 2. national scale
def national(n_kommuner: int, n_rules: int, n_families: int, workdir: str, seed: int = 0) -> dict:
    """Generate a national pack, load it (timed, RSS delta) and decide on it, alternating
    chunks with the Örebro pack in the same process for a fair p50 ratio."""
    from bench.synthetic import write_synthetic_pack

    pack_dir = Path(workdir) / "nationell"
    t0 = time.perf_counter()
    write_synthetic_pack(pack_dir, n_kommuner=n_kommuner, n_rules=n_rules, seed=seed)
    generate_s = time.perf_counter() - t0

    gc.collect()
    rss0 = rss_bytes()
    t0 = time.perf_counter()
    pack = load_pack(pack_dir)
    t1 = time.perf_counter()
    rss1 = rss_bytes()
    engine = Engine(pack, evaluator="durable", cache_size=0)
    t2 = time.perf_counter()
    gc.collect()
    rss2 = rss_bytes()

    orebro = Engine.load(None, evaluator="durable", cache_size=0)
    try:
        fam_nat = random_families(pack, n_families, seed + 1)
        norm_nat = [pack.normalize(f, TODAY) for f in fam_nat]
        fam_ore = random_families(orebro.pack, n_families, seed + 1)
        norm_ore = [orebro.pack.normalize(f, TODAY) for f in fam_ore]
        samples = interleaved({
            "national_match": (engine.evaluator.matching_rule_ids, norm_nat),
            "orebro_match": (orebro.evaluator.matching_rule_ids, norm_ore),
            "national_decide": (lambda f: engine.decide(f, TODAY), fam_nat),
            "orebro_decide": (lambda f: orebro.decide(f, TODAY), fam_ore),
        })
        stats = {name: summarize(s) for name, s in samples.items()}
        shards = [len(engine.evaluator.compiled.shards_for(f.kommun, f.age_months, f.expecting, f.needs)) for f in norm_nat]
        shards_ore = [len(orebro.evaluator.compiled.shards_for(f.kommun, f.age_months, f.expecting, f.needs)) for f in norm_ore]
        mb = 1024 * 1024
        return {
            "kommuner": n_kommuner,
            "rules": len(pack.rules),
            "shards": engine.evaluator.shard_count,
            "shards_per_decision_mean": round(statistics.fmean(shards), 2),
            "orebro_shards_per_decision_mean": round(statistics.fmean(shards_ore), 2),
            "generate_s": round(generate_s, 3),
            "load_pack_s": round(t1 - t0, 3),
            "engine_s": round(t2 - t1, 3),
            "load_total_s": round(t2 - t0, 3),
            "rss_pack_mb": round((rss1 - rss0) / mb, 1),
            "rss_engine_mb": round((rss2 - rss1) / mb, 1),
            "rss_delta_mb": round((rss2 - rss0) / mb, 1),
            "families": n_families,
            **stats,
            "ratio_match_p50": round(stats["national_match"]["p50_us"] / stats["orebro_match"]["p50_us"], 2),
            "ratio_decide_p50": round(stats["national_decide"]["p50_us"] / stats["orebro_decide"]["p50_us"], 2),
        }
    finally:
        engine.close()
        orebro.close()


# --------------------------------------------------------------------------- 4. soak
def soak(pack_dir: str | None, n_decisions: int, sample_every: int, seed: int = 2) -> dict:
    """Many decisions in one process (no cache, varied families); RSS sampled as we go."""
    engine = Engine.load(pack_dir, evaluator="durable", cache_size=0)
    try:
        families = random_families(engine.pack, min(20_000, n_decisions), seed)
        for f in families[:2000]:  # warm-up: first-use allocations are not growth
            engine.decide(f, TODAY)
        gc.collect()
        mb = 1024 * 1024
        samples = [(0, round(rss_bytes() / mb, 2))]
        n = len(families)
        t0 = time.perf_counter()
        for i in range(1, n_decisions + 1):
            engine.decide(families[i % n], TODAY)
            if i % sample_every == 0:
                samples.append((i, round(rss_bytes() / mb, 2)))
        elapsed = time.perf_counter() - t0
        start = samples[0][1]
        return {
            "decisions": n_decisions,
            "distinct_families": n,
            "sample_every": sample_every,
            "elapsed_s": round(elapsed, 2),
            "per_second": round(n_decisions / elapsed, 1),
            "samples": samples,
            "start_mb": start,
            "end_mb": samples[-1][1],
            "max_mb": max(s[1] for s in samples),
            "max_growth_mb": round(max(s[1] for s in samples) - start, 2),
            "end_growth_mb": round(samples[-1][1] - start, 2),
        }
    finally:
        engine.close()
