"""Reloads of the national pack while the server answers (issue 10, finding 5).

Serves the national pack (bench/synthetic.py: 290 kommuner, 3,000 rules) with
`foraldrastod serve`, then runs `reloads` admin reloads one after another while two probes ask
without pause: GET /healthz, and POST /v1/recommendations for always new families (no cache).
Measured: the worst and p99 latency of each probe during the reloads, the reload time, the
worker's RSS after the first load and after all reloads.

    python -m bench.reload [--bin PATH_TO_foraldrastod] [--reloads 20] [--rules 3000]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.httpbench import free_port
from bench.synthetic import write_synthetic_pack

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "foraldrastod"
TOKEN = "bench-reload-token"


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None) -> int:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if path == "/v1/admin/reload":
        headers["Authorization"] = f"Bearer {TOKEN}"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    return resp.status


class Probe(threading.Thread):
    def __init__(self, port: int, kind: str, n_kommuner: int):
        super().__init__(daemon=True)
        self.port, self.kind = port, kind
        self.rng = random.Random(kind)
        self.n_kommuner = n_kommuner
        self.samples: list[float] = []
        self.errors = 0
        self.stop_flag = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop_flag.is_set():
            if self.kind == "healthz":
                method, path, body = "GET", "/healthz", None
            else:
                fam = {"kommun": str(1000 + self.rng.randrange(self.n_kommuner)),
                       "age_months": self.rng.randrange(217),
                       "needs": [f"behov_{self.rng.randrange(30):02d}" for _ in range(self.rng.randrange(3))],
                       "date": f"2026-{self.rng.randrange(1, 13):02d}-{self.rng.randrange(1, 29):02d}"}
                method, path, body = "POST", "/v1/recommendations", json.dumps(fam).encode()
            started = time.perf_counter()
            try:
                status = _request(conn, method, path, body)
            except (OSError, http.client.HTTPException):
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            self.samples.append((time.perf_counter() - started) * 1000)
            if status not in (200, 422):
                self.errors += 1
            time.sleep(0.005)


def _stats(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0}
    s = sorted(samples)
    return {"n": len(s), "p50_ms": round(statistics.median(s), 2),
            "p99_ms": round(s[min(len(s) - 1, int(len(s) * 0.99))], 2), "max_ms": round(s[-1], 2)}


def measure(binary: Path = BIN, reloads: int = 20, n_kommuner: int = 290, n_rules: int = 3000) -> dict:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-reload-") as tmp:
        pack = write_synthetic_pack(Path(tmp) / "pack", n_kommuner=n_kommuner, n_rules=n_rules)
        env = {**os.environ, "FORALDRASTOD_ADMIN_TOKEN": TOKEN, "FORALDRASTOD_RULES": str(pack)}
        started = time.monotonic()
        proc = subprocess.Popen([str(binary), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=open(Path(tmp) / "server.log", "wb"), start_new_session=True)
        try:
            conn = None
            while time.monotonic() - started < 180:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    if _request(conn, "GET", "/readyz") == 200:  # the pack is loaded
                        break
                except OSError:
                    time.sleep(0.2)
            start_s = round(time.monotonic() - started, 2)
            rss_first = _rss_mb(proc.pid)
            probes = [Probe(port, "healthz", n_kommuner), Probe(port, "decision", n_kommuner)]
            for p in probes:
                p.start()
            time.sleep(1.0)
            quiet = {p.kind: _stats(p.samples) for p in probes}
            for p in probes:
                p.samples.clear()
            reload_s = []
            statuses = []
            for _ in range(reloads):
                t = time.perf_counter()
                statuses.append(_request(conn, "POST", "/v1/admin/reload"))
                reload_s.append(time.perf_counter() - t)
            for p in probes:
                p.stop_flag.set()
                p.join(30)
            rss_after = _rss_mb(proc.pid)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
    during = {p.kind: {**_stats(p.samples), "errors": p.errors} for p in probes}
    worst = max(during["healthz"].get("max_ms", 0), during["decision"].get("max_ms", 0))
    return {
        "kommuner": n_kommuner, "rules": n_rules, "reloads": reloads,
        "reload_statuses": sorted(set(statuses)),
        "start_to_ready_s": start_s,
        "reload_median_s": round(statistics.median(reload_s), 2), "reload_max_s": round(max(reload_s), 2),
        "quiet": quiet, "during_reloads": during,
        "worst_ms": worst,
        "rss_first_mb": rss_first, "rss_after_mb": rss_after,
        "rss_ratio": round(rss_after / rss_first, 2) if rss_first else None,
        "pass_latency": worst < 250, "pass_rss_ratio": bool(rss_first and rss_after / rss_first <= 1.3),
        "pass_rss_first": rss_first <= 250,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reload", description=__doc__.split("\n")[0])
    parser.add_argument("--bin", type=Path, default=BIN)
    parser.add_argument("--reloads", type=int, default=20)
    parser.add_argument("--rules", type=int, default=3000)
    parser.add_argument("--kommuner", type=int, default=290)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.bin, args.reloads, args.kommuner, args.rules), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
