"""`make bench`: in-process latency, national scale, HTTP against a baseline, soak.

    python -m bench.run            full run (about 4 minutes on 2 cores)
    python -m bench.run --quick    tiny sizes, for the smoke test (seconds)
    python -m bench.run --skip-http --out /tmp/r.json

Prints a table and PASS/MISS per target and writes bench/results.json. Benchmarks are not tests:
numbers are medians, and everything is compared with a baseline measured in the same run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import httpbench, inproc
from bench import impact as impact_bench
from bench import reload as reload_bench
from bench import slowclients

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "results.json"

FULL = {"families": 20_000, "nat_kommuner": 290, "nat_rules": 3000, "nat_families": 20_000,
        "soak": 200_000, "soak_every": 10_000, "http_pairs": 3, "http_seconds": 10, "http_workers": [1, 2],
        "varied_pairs": 3, "varied_seconds": 8,
        "slow": {"idle": 300, "trickling": 300, "hold": 15.0}, "reload": {"reloads": 20, "n_kommuner": 290, "n_rules": 3000}}
QUICK = {"families": 400, "nat_kommuner": 20, "nat_rules": 200, "nat_families": 400,
         "soak": 3_000, "soak_every": 1_000, "http_pairs": 1, "http_seconds": 1, "http_workers": [1],
         "varied_pairs": 1, "varied_seconds": 1,
         "slow": {"idle": 10, "trickling": 10, "hold": 2.0}, "reload": {"reloads": 2, "n_kommuner": 20, "n_rules": 200}}

# name, unit, limit, comparison
TARGETS = {
    "inprocess_p50_us": ("in-process p50 (durable, Örebro)", "µs", 50.0, "<="),
    "national_ratio_p50": ("national p50 / Örebro p50", "×", 2.0, "<="),
    "national_load_s": ("national load (load_pack + Engine)", "s", 1.5, "<="),
    "soak_growth_mb": ("soak RSS max growth", "MB", 5.0, "<"),
    "slow_normal_max_ms": ("20 normal requests beside idle + trickling connections, worst", "ms", 1000.0, "<"),
    "reload_worst_ms": ("worst /healthz or decision during reloads", "ms", 250.0, "<"),
    "reload_rss_ratio": ("RSS after reloads / after first load", "×", 1.3, "<="),
    "reload_rss_first_mb": ("RSS after first load", "MB", 250.0, "<="),
}


def _in_fresh_process(fn, *args):
    """Run fn(*args) in a new interpreter, so RSS and allocator state start clean."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def _loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def evaluate_targets(results: dict) -> list[dict]:
    values: dict[str, float] = {}
    if "inprocess" in results:
        values["inprocess_p50_us"] = results["inprocess"]["durable_match"]["p50_us"]
    if "national" in results:
        values["national_ratio_p50"] = results["national"]["ratio_match_p50"]
        values["national_load_s"] = results["national"]["load_total_s"]
    if "soak" in results:
        values["soak_growth_mb"] = results["soak"]["max_growth_mb"]
    if "slowclients" in results:
        values["slow_normal_max_ms"] = results["slowclients"]["normal_max_ms"]
    if "reload" in results:
        values["reload_worst_ms"] = results["reload"]["worst_ms"]
        values["reload_rss_ratio"] = results["reload"]["rss_ratio"] or 0.0
        values["reload_rss_first_mb"] = results["reload"]["rss_first_mb"]
    out = []
    for key, value in values.items():
        label, unit, limit, op = TARGETS[key]
        ok = value <= limit if op == "<=" else value < limit
        out.append({"target": key, "label": label, "value": value, "limit": limit, "op": op, "unit": unit,
                    "pass": ok})
    for h in results.get("http", []):
        w = h["workers"]
        out.append({"target": f"http_ratio_w{w}", "label": f"HTTP req/s vs baseline, {w} worker(s)",
                    "value": h["ratio_rps"], "limit": 0.85, "op": ">=", "unit": "×",
                    "pass": h["ratio_rps"] >= 0.85})
        p99 = h["service"]["p99_ms"]
        out.append({"target": f"http_p99_w{w}", "label": f"HTTP p99 at {h['connections']} conn., {w} worker(s)",
                    "value": p99, "limit": 50.0, "op": "<=", "unit": "ms", "pass": p99 <= 50.0})
        errors = h["service"]["non_2xx"] + h["service"]["socket_errors"]
        out.append({"target": f"http_errors_w{w}", "label": f"HTTP non-2xx + socket errors, {w} worker(s)",
                    "value": errors, "limit": 0, "op": "<=", "unit": "", "pass": errors == 0})
    varied = results.get("http_varied")
    if varied:
        out.append({"target": "http_varied_ratio_w1", "label": "HTTP req/s vs baseline, varied families, 1 worker",
                    "value": varied["ratio_rps"], "limit": 1.0, "op": ">=", "unit": "×",
                    "pass": varied["ratio_rps"] >= 1.0})
        errors = varied["service"]["non_2xx"] + varied["service"]["socket_errors"]
        out.append({"target": "http_varied_errors_w1", "label": "HTTP non-2xx + socket errors, varied families",
                    "value": errors, "limit": 0, "op": "<=", "unit": "", "pass": errors == 0})
    out += impact_bench.targets(results.get("impact"))
    return out


# --------------------------------------------------------------------------- table
def _row(cells, widths):
    return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def _latency_rows(lines: list[str], r: dict, widths: list[int], rows: list[tuple[str, str]]) -> None:
    lines.append(_row(["", "p50 µs", "p99 µs", "mean µs", "decisions/s"], widths))
    for key, label in rows:
        s = r[key]
        lines.append(_row([label, s["p50_us"], s["p99_us"], s["mean_us"], f"{s['per_second']:.0f}"], widths))


def format_table(results: dict) -> str:
    lines = []
    if "inprocess" in results:
        r = results["inprocess"]
        lines.append(f"In-process, pack {r['pack']} ({r['rules']} rules, {r['kommuner']} kommuner, "
                     f"{r['shards_per_decision_mean']} shards/decision), {r['families']} random families")
        widths = [28, 10, 10, 10, 12]
        _latency_rows(lines, r, widths, [("durable_match", "durable matching_rule_ids"),
                                         ("reference_match", "reference matching_rule_ids"),
                                         ("durable_decide", "durable Engine.decide"),
                                         ("reference_decide", "reference Engine.decide")])
        lines.append(f"durable/reference p50: match {r['durable_match']['p50_us'] / r['reference_match']['p50_us']:.2f}×, "
                     f"decide {r['durable_decide']['p50_us'] / r['reference_decide']['p50_us']:.2f}×")
        lines.append("")
    if "national" in results:
        r = results["national"]
        lines.append(f"National scale: {r['kommuner']} kommuner, {r['rules']} rules, {r['shards']} shards "
                     f"({r['shards_per_decision_mean']} per decision vs {r['orebro_shards_per_decision_mean']} "
                     f"for Örebro)")
        lines.append(f"load_pack {r['load_pack_s']:.2f} s + Engine {r['engine_s']:.2f} s = {r['load_total_s']:.2f} s; "
                     f"RSS +{r['rss_delta_mb']} MB (pack {r['rss_pack_mb']}, engine {r['rss_engine_mb']})")
        widths = [28, 10, 10, 10, 12]
        _latency_rows(lines, r, widths, [("national_match", "national matching_rule_ids"),
                                         ("orebro_match", "Örebro matching_rule_ids"),
                                         ("national_decide", "national Engine.decide"),
                                         ("orebro_decide", "Örebro Engine.decide")])
        lines.append(f"national/Örebro p50: match {r['ratio_match_p50']}×, decide {r['ratio_decide_p50']}×")
        lines.append("")
    for h in results.get("http", []) + ([results["http_varied"]] if results.get("http_varied") else []):
        lines.append(f"HTTP {h.get('mix', 'post.lua')}, wrk -t2 -c{h['connections']} -d{h['duration_s']}s, "
                     f"{h['workers']} worker(s), median of {h['pairs']} alternating runs")
        widths = [28, 10, 10, 10, 8]
        lines.append(_row(["", "req/s", "p50 ms", "p99 ms", "errors"], widths))
        for kind in ("baseline", "service"):
            s = h[kind]
            lines.append(_row([kind, f"{s['rps']:.0f}", s["p50_ms"], s["p99_ms"], s["non_2xx"] + s["socket_errors"]],
                              widths))
        lines.append(f"service/baseline req/s: {h['ratio_rps']}×")
        if h["workers"] > 1 and h["baseline"]["p50_ms"] >= 40 and h["service"]["p50_ms"] >= 40:
            lines.append("note: p50 ≈ 44 ms on both servers is Nagle × delayed ACK: uvicorn --workers N binds the "
                         "listener with proto 0, so asyncio never sets TCP_NODELAY (Kludex/uvicorn#3149)")
        lines.append("")
    if "soak" in results:
        r = results["soak"]
        lines.append(f"Soak: {r['decisions']} Engine.decide (cache 0, {r['distinct_families']} distinct families) "
                     f"in {r['elapsed_s']} s; RSS start {r['start_mb']} MB, end {r['end_mb']} MB, "
                     f"max growth {r['max_growth_mb']} MB")
        lines.append("")
    lines += impact_bench.table(results.get("impact"))
    if "slowclients" in results:
        r = results["slowclients"]
        lines.append(f"Slow clients: {r['idle']} idle + {r['trickling']} trickling for {r['hold_s']} s; "
                     f"{r['normal_ok']}/{r['normal']} normal requests 200, worst {r['normal_max_ms']} ms; "
                     f"closed by the server: {r['idle_closed_by_server']} idle, {r['trickling_closed_by_server']} "
                     f"trickling (median {r['trickling_closed_median_s']} s)")
        lines.append("")
    if "reload" in results:
        r = results["reload"]
        d = r["during_reloads"]
        lines.append(f"Reloads: {r['reloads']} × national pack ({r['kommuner']} kommuner, {r['rules']} rules), "
                     f"reload median {r['reload_median_s']} s; during them /healthz p99 {d['healthz'].get('p99_ms')} "
                     f"max {d['healthz'].get('max_ms')} ms, decision p99 {d['decision'].get('p99_ms')} max "
                     f"{d['decision'].get('max_ms')} ms; RSS {r['rss_first_mb']} → {r['rss_after_mb']} MB "
                     f"({r['rss_ratio']}×)")
        lines.append("")
    lines.append("Targets")
    for t in results["targets"]:
        lines.append(f"  {'PASS' if t['pass'] else 'MISS'}  {t['label']}: {t['value']} {t['unit']} "
                     f"(target {t['op']} {t['limit']} {t['unit']})".rstrip())
    return "\n".join(lines)


# --------------------------------------------------------------------------- main
def run(quick: bool = False, skip_http: bool = False, out: Path = DEFAULT_OUT, log=print) -> dict:
    sizes = QUICK if quick else FULL
    started = time.time()
    results: dict = {"meta": {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "quick": quick,
        "sizes": sizes,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_start": _loadavg(),
        "commit": _git_commit(),
    }}

    log(f"1/4 in-process latency, {sizes['families']} families ...")
    results["inprocess"] = _in_fresh_process(inproc.latency, None, sizes["families"])

    log(f"2/4 national scale, {sizes['nat_kommuner']} kommuner × {sizes['nat_rules']} rules ...")
    with tempfile.TemporaryDirectory(prefix="bench-national-") as tmp:
        results["national"] = _in_fresh_process(inproc.national, sizes["nat_kommuner"], sizes["nat_rules"],
                                                sizes["nat_families"], tmp)

    if skip_http:
        results["http_skipped"] = "--skip-http"
    elif httpbench.wrk_path() is None:
        results["http_skipped"] = "wrk not installed (apt-get install wrk)"
        log("3/4 HTTP skipped: wrk not installed (apt-get install wrk)")
    else:
        results["http"] = []
        for workers in sizes["http_workers"]:
            log(f"3/4 HTTP, {workers} worker(s), {sizes['http_pairs']} × (baseline, service) × "
                f"{sizes['http_seconds']} s ...")
            results["http"].append(httpbench.compare(workers, sizes["http_pairs"], sizes["http_seconds"], log=log))
        # new families on almost every request (../shared/bench/post-varied.lua): every answer is
        # decided, nothing comes from the answer cache (issue 18, item 20)
        log(f"3/4 HTTP varied families, 1 worker, {sizes['varied_pairs']} × (baseline, service) × "
            f"{sizes['varied_seconds']} s ...")
        results["http_varied"] = httpbench.compare(1, sizes["varied_pairs"], sizes["varied_seconds"], log=log,
                                                   mix=httpbench.VARIED_MIX)

    log(f"4/4 soak, {sizes['soak']} decisions ...")
    results["soak"] = _in_fresh_process(inproc.soak, None, sizes["soak"], sizes["soak_every"])

    log("slow clients, then national-pack reloads under load ...")
    results["slowclients"] = slowclients.measure(**sizes["slow"])
    results["reload"] = reload_bench.measure(**sizes["reload"])

    log("impact: Effekt of a one-rule and a whole-pack change over the whole profile space ...")
    results["impact"] = _in_fresh_process(impact_bench.measure, quick)
    results["targets"] = evaluate_targets(results)
    results["publish"] = __import__("bench.publish").publish.run(quick=quick, log=log)  # issue 13
    results["targets"] += results["publish"].pop("targets")
    log("uppföljning: decisions with a registration after each vs without; the national län report ...")
    results["uppfoljning"] = _in_fresh_process(__import__("bench.uppfoljning").uppfoljning.measure, quick)  # issue 20
    results["targets"] += __import__("bench.uppfoljning").uppfoljning.targets(results["uppfoljning"])
    results["meta"]["loadavg_end"] = _loadavg()
    results["meta"]["duration_s"] = round(time.time() - started, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1",
                        help="tiny sizes (smoke test); also BENCH_QUICK=1")
    parser.add_argument("--skip-http", action="store_true", help="no wrk runs")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results file (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    results = run(quick=args.quick, skip_http=args.skip_http, out=args.out)
    meta = results["meta"]
    print()
    print(f"Machine: {meta['cpus']} CPUs, Python {meta['python']}, load average {meta['loadavg_start']} → "
          f"{meta['loadavg_end']}; {meta['duration_s']} s in all")
    print(format_table(results))
    print(f"\nWrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
