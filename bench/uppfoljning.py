"""Uppföljning benchmarks (issue 20).

1. The decision endpoint with a registration after every decision vs without: a real
   `foraldrastod serve` on an SQLite database, one keep-alive client, rounds alternating the two
   phases; the median latency of `POST /v1/recommendations` in each (ratio), and the
   registration's own median.
2. The län report for the national test pack (bench/synthetic.py) over a year of synthetic
   counts (≥ 1 million registrations' worth): `build_report` + JSON, median of a few runs after
   a first (cold) one, and the CSV.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import orjson

REPORT_LIMIT_S = 1.0
OVERHEAD_LIMIT = 1.10


def _families(n: int, seed: int = 0) -> list[dict]:
    from engine import load_pack

    pack = load_pack(None)
    rng = random.Random(seed)
    kommuner = list(pack.kommuner)
    return [{"kommun": rng.choice(kommuner), "age_months": rng.randrange(0, 217)} for _ in range(n)]


def _post(conn: http.client.HTTPConnection, path: str, body: dict) -> tuple[int, float]:
    data = orjson.dumps(body)
    started = time.perf_counter()
    conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    return resp.status, time.perf_counter() - started


def decision_overhead(rounds: int = 5, per_round: int = 400) -> dict:
    from tests.http_support import Server

    families = _families(200)
    with tempfile.TemporaryDirectory(prefix="bench-uppf-") as tmp:
        env = {"DATABASE_URL": f"sqlite:///{Path(tmp) / 'b.db'}", "FORALDRASTOD_RULES": "",
               "FORALDRASTOD_PACK_CACHE": str(Path(tmp) / "cache")}
        server = Server(rules=None, workers=1, env=env)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            for f in families:  # warm the answer cache: both phases meet the same cached answers
                _post(conn, "/v1/recommendations", f)
            plain, with_reg, reg = [], [], []
            for _ in range(rounds):
                for i in range(per_round):
                    status, s = _post(conn, "/v1/recommendations", families[i % len(families)])
                    assert status == 200
                    plain.append(s)
                for i in range(per_round):
                    f = families[i % len(families)]
                    status, s = _post(conn, "/v1/recommendations", f)
                    assert status == 200
                    with_reg.append(s)
                    status, r = _post(conn, "/v1/uppfoljning", f)
                    assert status == 201
                    reg.append(r)
            conn.close()
        finally:
            server.stop()
    p50 = statistics.median(plain) * 1e3
    q50 = statistics.median(with_reg) * 1e3
    return {"requests_per_phase": rounds * per_round, "decision_p50_ms": round(p50, 3),
            "decision_with_registration_p50_ms": round(q50, 3), "ratio_p50": round(q50 / p50, 3),
            "registration_p50_ms": round(statistics.median(reg) * 1e3, 3)}


def synthetic_counts(pack, period: str, registrations: int, seed: int = 0):
    """Cells and assessments as a year of `registrations` would leave them: per kommun and band,
    a few insatser per need, each with one or two utfall. Returned as row dicts for the tables."""
    from engine.coverage import AGE_BANDS

    rng = random.Random(seed)
    kommuner = list(pack.kommuner)
    insatser = list(pack.insatser.values())
    needs = ["", *pack.needs]
    per_cell = max(1, registrations // (len(kommuner) * len(AGE_BANDS)))
    cells, assessments = {}, []
    for kommun in kommuner:
        for band in AGE_BANDS:
            n = max(1, int(rng.gauss(per_cell, per_cell / 4)))
            assessments.append({"period": period, "kommunkod": kommun, "aldersband": band.key, "antal": n})
            for need in rng.sample(needs, 4):
                for ins in rng.sample(insatser, 5):
                    share = n // (3 if need == "" else 30) or 1
                    for utfall in rng.sample(["erbjuden", "saknas", "ej_erbjuden"], rng.choice([1, 2])):
                        key = (period, kommun, band.key, need, ins.level.value, ins.id, utfall)
                        cells[key] = max(1, int(share * rng.random()))
    cell_rows = [dict(zip(("period", "kommunkod", "aldersband", "behov", "niva", "insats_id", "utfall"), k),
                      antal=v) for k, v in cells.items()]
    return cell_rows, assessments


def report_render(n_kommuner: int = 290, n_rules: int = 3000, registrations: int = 1_050_000, runs: int = 5) -> dict:
    from bench.synthetic import write_synthetic_pack
    from engine import load_pack
    from service.uppfoljning import report
    from service.uppfoljning.models import UppfBedomning, UppfCell
    from service.workspace import db

    period = "2026"
    with tempfile.TemporaryDirectory(prefix="bench-uppf-report-") as tmp:
        pack = load_pack(write_synthetic_pack(Path(tmp) / "pack", n_kommuner=n_kommuner, n_rules=n_rules))
        url = f"sqlite:///{Path(tmp) / 'r.db'}"
        db.upgrade(url)
        cells, assessments = synthetic_counts(pack, period, registrations)
        with db.make_engine(url).begin() as conn:
            conn.execute(UppfCell.__table__.insert(), cells)
            conn.execute(UppfBedomning.__table__.insert(), assessments)
        times, csv_times = [], []
        started = time.perf_counter()
        body = report.build_report(pack, period, url=url)
        payload = orjson.dumps(body)
        cold = time.perf_counter() - started
        for _ in range(runs):
            started = time.perf_counter()
            body = report.build_report(pack, period, url=url)
            payload = orjson.dumps(body)
            times.append(time.perf_counter() - started)
            started = time.perf_counter()
            report.to_csv(body)
            csv_times.append(time.perf_counter() - started)
        protected = sum(1 for c in body["celler"] if c["skyddad"])
        db.dispose_all()
    return {"kommuner": n_kommuner, "rules": n_rules, "registrations": sum(a["antal"] for a in assessments),
            "cells": len(cells), "protected_cells": protected, "json_mb": round(len(payload) / 1e6, 1),
            "cold_s": round(cold, 3), "report_median_s": round(statistics.median(times), 3),
            "csv_median_s": round(statistics.median(csv_times), 3)}


def measure(quick: bool = False) -> dict:
    if quick:
        return {"overhead": decision_overhead(rounds=1, per_round=50),
                "report": report_render(n_kommuner=20, n_rules=200, registrations=20_000, runs=1)}
    return {"overhead": decision_overhead(), "report": report_render()}


def targets(result: dict | None) -> list[dict]:
    if not result:
        return []
    o, r = result["overhead"], result["report"]
    return [
        {"target": "uppf_overhead", "label": "decision p50 with a registration after each / without", "unit": "×",
         "value": o["ratio_p50"], "limit": OVERHEAD_LIMIT, "op": "<=", "pass": o["ratio_p50"] <= OVERHEAD_LIMIT},
        {"target": "uppf_report_s", "label": f"län report, national pack, {r['registrations']} registrations "
         f"({r['cells']} cells), build + JSON median", "unit": "s", "value": r["report_median_s"],
         "limit": REPORT_LIMIT_S, "op": "<=", "pass": r["report_median_s"] <= REPORT_LIMIT_S},
    ]


if __name__ == "__main__":
    import sys

    out = measure(quick="--quick" in sys.argv)
    print(json.dumps({**out, "targets": targets(out)}, indent=2, ensure_ascii=False))
