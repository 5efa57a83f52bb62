"""Where a decision's time goes, and the decision builder against a git revision's, in one run.

    .venv/bin/python -m bench.decide [--families 20000] [--against main] [--pack DIR]

Pieces (p50 per family, µs, the bench's family mix, cache off): normalize, match (durable), build
(build_decision), decide (Engine.decide, durable, as bench.inproc.latency), body
(decision_body + orjson, what HTTP serialises) and json (the body as the service makes it now).
With --against REV the decision builder of that revision (engine/decision.py from git) is timed
on the same families, chunks alternating with this checkout's, so that load on the machine hits
both alike; the report gives both and their ratio.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import orjson

from bench.inproc import TODAY, interleaved, random_families, summarize
from engine import decision as current
from engine.loader import load_pack
from engine.runtime import Engine, decision_body, decision_json

ROOT = Path(__file__).resolve().parent.parent


def builder_at(revision: str):
    """build_decision of engine/decision.py at a git revision, loaded beside the current one."""
    source = subprocess.run(["git", "show", f"{revision}:engine/decision.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("engine._decision_at_revision", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "engine"
    exec(compile(source, f"{revision}:engine/decision.py", "exec"), module.__dict__)
    return module.build_decision


def measure(pack_dir: str | None, n_families: int, against: str | None, seed: int = 1) -> dict:
    pack = load_pack(pack_dir)
    engine = Engine(pack, evaluator="durable", cache_size=0)
    try:
        families = random_families(pack, n_families, seed)
        normalized = [pack.normalize(f, TODAY) for f in families]
        matched = [(f, engine.evaluator.matching_rule_ids(f)) for f in normalized]
        decisions = [current.build_decision(pack, f, m) for f, m in matched]
        workloads = {
            "normalize": (lambda f: pack.normalize(f, TODAY), families),
            "match": (engine.evaluator.matching_rule_ids, normalized),
            "build": (lambda fm: current.build_decision(pack, *fm), matched),
            "decide": (lambda f: engine.decide(f, TODAY), families),
            "body": (lambda d: orjson.dumps(decision_body(d)), decisions),
            "json": (decision_json, decisions),
        }
        if against:
            old = builder_at(against)
            workloads[f"build@{against}"] = (lambda fm: old(pack, *fm), matched)
        out = {name: summarize(s)["p50_us"] for name, s in interleaved(workloads).items()}
        if against:
            out[f"build/build@{against}"] = round(out["build"] / out[f"build@{against}"], 3)
        return {"pack": pack.name, "families": n_families, "p50_us": out}
    finally:
        engine.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--against", help="a git revision whose engine/decision.py to time as well")
    parser.add_argument("--pack", help="pack directory (default: the Örebro pack)")
    args = parser.parse_args(argv)
    json.dump(measure(args.pack, args.families, args.against), sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
