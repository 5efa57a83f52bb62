"""Uppföljning benchmarks (issue 20).

1. The decision endpoint with a registration after every decision vs without: a real
   `foraldrastod serve` on an SQLite database, one keep-alive client, rounds alternating the two
   phases; the median latency of `POST /v1/recommendations` in each (ratio), and the
   registration's own median.
2. The län report for the national test pack (bench/synthetic.py) over a year of synthetic
   counts (≥ 1 million registrations' worth): `build_report` + JSON, median of a few runs after
   a first (cold) one, and the CSV.
3. The län page (GET /uppfoljning, HTML with the map of all 290 kommuner) for the same data, on
   the national test pack with Sweden's real kommunkoder (so the whole country is drawn): the
   first request with the kartläggning not yet computed, the first after a worker's warm-up
   (`kartlaggning.warm`), and the median after.
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
PAGE_LIMIT_S = 1.0
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


def national_pack_data(n_rules: int = 3000, **kwargs) -> dict:
    """bench/synthetic.py's national pack with Sweden's 290 real kommunkoder and names (from the
    map's data), so that the map draws the whole country."""
    from bench.synthetic import synthetic_pack_data
    from service.uppfoljning import mapdata

    real = sorted(mapdata.load()["kommuner"].items())
    data = synthetic_pack_data(n_kommuner=len(real), n_rules=n_rules, **kwargs)
    rename, folded = {}, set()
    for k, (code, geo) in zip(data["kommuner.yaml"]["kommuner"], real):
        rename[k["code"]] = code
        name = geo["namn"]
        key = name.casefold().translate(str.maketrans("åäö", "aao"))
        if key in folded:  # Håbo and Habo fold to one name in the pack ("orebro" = "Örebro")
            name = f"{name} ({code})"
        folded.add(key)
        k["code"], k["name"] = code, name
    for rule in data["regler/regler.yaml"]["rules"]:
        if rule["when"].get("kommuner"):
            rule["when"]["kommuner"] = [rename[c] for c in rule["when"]["kommuner"]]
    for entry in data["tillganglighet.yaml"]["availability"]:
        entry["kommun"] = rename[entry["kommun"]]
    return data


def write_national_pack(directory: Path, **kwargs) -> Path:
    import yaml

    for rel, content in national_pack_data(**kwargs).items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump(content, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return directory


def page_render(n_rules: int = 3000, registrations: int = 1_050_000, runs: int = 5) -> dict:
    """GET /uppfoljning for the national pack (real kommunkoder) over a year of synthetic counts."""
    from fastapi.testclient import TestClient

    from engine import load_pack
    from service.app import create_app
    from service.uppfoljning import kartlaggning, report
    from service.uppfoljning.models import UppfBedomning, UppfCell
    from service.workspace import db

    period = str(time.localtime().tm_year)
    with tempfile.TemporaryDirectory(prefix="bench-uppf-page-") as tmp:
        directory = write_national_pack(Path(tmp) / "pack", n_rules=n_rules)
        pack = load_pack(directory)
        url = f"sqlite:///{Path(tmp) / 'p.db'}"
        db.upgrade(url)
        cells, assessments = synthetic_counts(pack, period, registrations)
        with db.make_engine(url).begin() as conn:
            conn.execute(UppfCell.__table__.insert(), cells)
            conn.execute(UppfBedomning.__table__.insert(), assessments)
        app = create_app(directory)
        app.state.uppf_database_url = url
        client = TestClient(app)
        kartlaggning._CACHE.clear()
        started = time.perf_counter()
        r = client.get("/uppfoljning")
        cold = time.perf_counter() - started
        assert r.status_code == 200, r.text[:500]
        titles = r.text.count("<title>") - 1  # the page's own <title>
        kartlaggning._CACHE.clear()
        report._REPORTS.clear()
        started = time.perf_counter()
        kartlaggning.warm(pack).join()
        warm_up = time.perf_counter() - started
        started = time.perf_counter()
        assert client.get("/uppfoljning").status_code == 200
        first_warm = time.perf_counter() - started
        times, fresh = [], []
        for _ in range(runs):  # the same counters: the report is remembered (report.cached_report)
            started = time.perf_counter()
            r = client.get("/uppfoljning")
            times.append(time.perf_counter() - started)
        for i in range(runs):  # a registration written before each request: built afresh
            with db.make_engine(url).begin() as conn:
                conn.execute(UppfBedomning.__table__.update().where(
                    UppfBedomning.__table__.c.kommunkod == assessments[i]["kommunkod"]).values(
                    antal=UppfBedomning.__table__.c.antal + 1))
            started = time.perf_counter()
            r = client.get("/uppfoljning")
            fresh.append(time.perf_counter() - started)
        started = time.perf_counter()  # its own report, and the län's (already built) for the map
        kommun = client.get(f"/uppfoljning/{next(iter(pack.kommuner))}")
        kommun_s = time.perf_counter() - started
        assert kommun.status_code == 200
        db.dispose_all()
    return {"kommuner": len(pack.kommuner), "map_titles": titles, "html_kb": round(len(r.content) / 1024),
            "registrations": sum(a["antal"] for a in assessments), "cells": len(cells),
            "cold_without_warmup_s": round(cold, 3), "warmup_s": round(warm_up, 3),
            "first_after_warmup_s": round(first_warm, 3), "page_median_s": round(statistics.median(fresh), 3),
            "page_unchanged_median_s": round(statistics.median(times), 3),
            "kommun_page_s": round(kommun_s, 3)}


def measure(quick: bool = False) -> dict:
    if quick:
        return {"overhead": decision_overhead(rounds=1, per_round=50),
                "report": report_render(n_kommuner=20, n_rules=200, registrations=20_000, runs=1),
                "page": page_render(n_rules=300, registrations=50_000, runs=1)}
    return {"overhead": decision_overhead(), "report": report_render(), "page": page_render()}


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
    ] + ([{"target": "uppf_page_s", "label": f"län page /uppfoljning (HTML, map of {p['kommuner']} kommuner), "
           f"national pack, {p['registrations']} registrations, median, a registration before each", "unit": "s",
           "value": p["page_median_s"], "limit": PAGE_LIMIT_S, "op": "<=", "pass": p["page_median_s"] <= PAGE_LIMIT_S},
          {"target": "uppf_page_first_s", "label": "län page, first request after a worker's warm-up", "unit": "s",
           "value": p["first_after_warmup_s"], "limit": PAGE_LIMIT_S, "op": "<=",
           "pass": p["first_after_warmup_s"] <= PAGE_LIMIT_S}]
         if (p := result.get("page")) else [])


if __name__ == "__main__":
    import sys

    if "--page" in sys.argv:  # only the page (python -m bench.uppfoljning --page)
        out = {"page": page_render()}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        raise SystemExit(0)
    out = measure(quick="--quick" in sys.argv)
    print(json.dumps({**out, "targets": targets(out)}, indent=2, ensure_ascii=False))
