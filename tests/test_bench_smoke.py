"""Smoke test for `make bench`: the benchmark code paths at tiny sizes and the results.json shape.

No timing assertions: numbers on a shared machine mean nothing in a test.
"""
from __future__ import annotations

import json

import pytest

from bench import httpbench, run

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8799/v1/recommendations
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.54ms    3.10ms  61.20ms   88.00%
    Req/Sec     1.28k   110.21     1.50k    70.00%
  Latency Distribution
     50%   12.01ms
     75%   13.90ms
     90%  950.00us
     99%    1.20s
  25512 requests in 10.01s, 10.22MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   2548.71
Transfer/sec:      1.02MB
"""


def test_parse_wrk_units_and_errors():
    r = httpbench.parse_wrk(WRK_OUTPUT)
    assert r["rps"] == 2548.71
    assert r["p50_ms"] == 12.01
    assert r["p90_ms"] == 0.95
    assert r["p99_ms"] == 1200.0
    assert r["requests"] == 25512
    assert r["non_2xx"] == 7
    assert r["socket_errors"] == 3


def test_parse_wrk_without_result_fails_loudly():
    with pytest.raises(ValueError):
        httpbench.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path):
    out = tmp_path / "results.json"
    results = run.run(quick=True, skip_http=httpbench.wrk_path() is None, out=out, log=lambda *a: None)
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved == json.loads(json.dumps(results))

    stats_keys = {"n", "p50_us", "p99_us", "mean_us", "per_second"}
    inp = saved["inprocess"]
    assert inp["families"] == run.QUICK["families"]
    assert inp["mismatches_in_first_2000"] == 0  # durable and reference agree on every family
    for key in ("durable_match", "reference_match", "durable_decide", "reference_decide"):
        assert set(inp[key]) == stats_keys
        assert inp[key]["n"] == run.QUICK["families"]
        assert 0 < inp[key]["p50_us"] <= inp[key]["p99_us"]

    nat = saved["national"]
    assert nat["kommuner"] == run.QUICK["nat_kommuner"]
    assert nat["rules"] == run.QUICK["nat_rules"]
    for key in ("load_pack_s", "engine_s", "load_total_s", "rss_delta_mb", "ratio_match_p50", "ratio_decide_p50"):
        assert isinstance(nat[key], (int, float))
    for key in ("national_match", "orebro_match", "national_decide", "orebro_decide"):
        assert set(nat[key]) == stats_keys

    soak = saved["soak"]
    assert soak["decisions"] == run.QUICK["soak"]
    assert len(soak["samples"]) == run.QUICK["soak"] // run.QUICK["soak_every"] + 1
    for key in ("start_mb", "end_mb", "max_growth_mb"):
        assert isinstance(soak[key], (int, float))

    if "http" in saved:
        (h,) = saved["http"]
        assert h["workers"] == 1
        for kind in ("baseline", "service"):
            assert {"rps", "p50_ms", "p99_ms", "non_2xx", "socket_errors", "runs"} <= set(h[kind])
            assert h[kind]["rps"] > 0
        assert h["service"]["non_2xx"] == 0  # every benchmark request was answered 200
    else:
        assert saved["http_skipped"]

    names = {t["target"] for t in saved["targets"]}
    assert {"inprocess_p50_us", "national_ratio_p50", "national_load_s", "soak_growth_mb"} <= names
    for t in saved["targets"]:
        assert isinstance(t["pass"], bool)
    assert "Targets" in run.format_table(saved)
