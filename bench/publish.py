"""Publish-to-serving latency with 2 workers, on a database (SQLite in a temp dir).

A granskare publishes (store.publish, alternating between two versions); the clock stops when
every worker answers with the new version. Two ways, both reported:

* `server`: `foraldrastod serve --workers 2` with DATABASE_URL set and no --rules; "every worker"
  = 30 consecutive /healthz answers on fresh connections all naming the new version (a worker
  still on the old one would show up in 30 draws with probability 1 - 2^-30). Runs only when
  `serve` takes its pack from the database (service/core/packsource.py wired to DatabaseSource);
  otherwise `server_wired` is false and the reason is given.
* `sources`: two worker processes, each polling DatabaseSource.current() every second like the
  service's watcher, loading the new version with Engine.load when the token changes. This
  measures what the database side contributes (poll + materialize + load) on any branch.

Target: at most 5 s (issue 13). Medians of a few publishes.
"""
from __future__ import annotations

import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_S = 5.0
PW = "bench-lösenord-1234"


def _prepare(url: str) -> tuple[str, str]:
    """Version 1 (embedded) and a version 2 that differs by a comment; returns both version strings."""
    from service.workspace import db, store

    db.upgrade(url)
    with db.session_scope(url) as s:
        v1 = store.ensure_seeded(s)
        red = store.add_user(s, "bench-red", "redaktor", PW)
        gr = store.add_user(s, "bench-gr", "granskare", PW)
        d = store.create_draft(s, red, "bench")
        path = "regler/04-selektiv.yaml"
        store.save_file(s, d.id, path, d.files[path] + "# bench\n", red, d.revision)
        store.submit(s, d.id, red, "bench")
        v2 = store.approve(s, d.id, gr, features=False)
        return v1.version, v2.version


def _publish(url: str, number: int) -> float:
    from service.workspace import db, store

    with db.session_scope(url) as s:
        store.publish(s, str(number), store.get_user(s, "bench-gr"), "bench")
    return time.monotonic()


def _current_number(url: str) -> int:
    from service.workspace import db, store

    with db.session_scope(url) as s:
        return store.current_version(s).number


def _worker(url: str, interval: float, ready, out, stop) -> None:
    """One simulated worker: poll, and on a new token materialize and load an Engine."""
    from engine import Engine
    from service.workspace.source import DatabaseSource

    source = DatabaseSource(url, seed=False)
    token = source.current()
    engine = Engine.load(source.materialize(token), cache_size=0)
    ready.set()
    while not stop.is_set():
        time.sleep(interval)
        now = source.current()
        if now != token:
            new = Engine.load(source.materialize(now), cache_size=0)
            old, engine = engine, new
            old.close()
            token = now
            out.put((os.getpid(), now.split(":", 1)[1], time.monotonic()))
    engine.close()


def bench_sources(url: str, versions: tuple[str, str], rounds: int, interval: float = 1.0) -> dict:
    ctx = multiprocessing.get_context("fork")
    out, stop = ctx.Queue(), ctx.Event()
    readies = [ctx.Event() for _ in range(2)]
    procs = [ctx.Process(target=_worker, args=(url, interval, r, out, stop), daemon=True) for r in readies]
    for p in procs:
        p.start()
    try:
        for r in readies:
            r.wait(60)
        latencies = []
        for i in range(rounds):
            number = 1 if i % 2 == 0 else 2
            want = versions[number - 1]
            t0 = _publish(url, number)
            seen: dict[int, float] = {}
            deadline = time.monotonic() + 30
            while len(seen) < 2 and time.monotonic() < deadline:
                try:
                    pid, version, at = out.get(timeout=1)
                except Exception:  # noqa: BLE001 - queue.Empty
                    continue
                if version == want:
                    seen[pid] = at
            latencies.append(round(max(seen.values()) - t0, 3) if len(seen) == 2 else None)
    finally:
        stop.set()
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
    done = [x for x in latencies if x is not None]
    return {"latencies_s": latencies, "median_s": round(statistics.median(done), 3) if done else None,
            "poll_interval_s": interval}


def _healthz_version(port: int) -> str | None:
    import json

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as resp:
            return json.loads(resp.read())["ruleset"]["version"]
    except Exception:  # noqa: BLE001
        return None


def bench_server(url: str, versions: tuple[str, str], rounds: int, log=print) -> dict:
    from bench.httpbench import free_port

    port = free_port()
    start = _current_number(url)
    env = {k: v for k, v in os.environ.items() if k not in ("FORALDRASTOD_RULES",)}
    env["DATABASE_URL"] = url
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        log_path = Path(tmp) / "serve.log"
        with open(log_path, "wb") as logf:
            proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                                     "--workers", "2"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                    stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            first = None
            while time.monotonic() < deadline and first is None:
                if proc.poll() is not None:
                    return {"server_wired": False, "reason": f"serve exited: {log_path.read_text()[-500:]}"}
                first = _healthz_version(port)
                time.sleep(0.2)
            if first != versions[start - 1]:
                return {"server_wired": False,
                        "reason": f"serve answers {first}, not the database's current version {versions[start - 1]}: "
                                  "serve does not take its pack from the database on this branch"}
            latencies = []
            for i in range(rounds):
                number = 3 - start if i % 2 == 0 else start
                want = versions[number - 1]
                t0 = _publish(url, number)
                streak_start, streak = None, 0
                limit = time.monotonic() + 30
                while streak < 30 and time.monotonic() < limit:
                    v = _healthz_version(port)
                    now = time.monotonic()
                    if v == want:
                        streak_start = streak_start or now
                        streak += 1
                    else:
                        streak_start, streak = None, 0
                        time.sleep(0.05)
                latencies.append(round(streak_start - t0, 3) if streak >= 30 else None)
                log(f"  publish {i + 1}/{rounds}: {latencies[-1]} s")
            done = [x for x in latencies if x is not None]
            return {"server_wired": True, "latencies_s": latencies,
                    "median_s": round(statistics.median(done), 3) if done else None}
        finally:
            import signal

            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)


def run(quick: bool = False, log=print) -> dict:
    rounds = 2 if quick else 5
    log(f"publish → serving, 2 workers, {rounds} publishes ...")
    with tempfile.TemporaryDirectory(prefix="bench-publish-db-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        os.environ.setdefault("FORALDRASTOD_PACK_CACHE", str(Path(tmp) / "cache"))
        versions = _prepare(url)
        result = {"database": "sqlite", "rounds": rounds}
        result["sources"] = bench_sources(url, versions, rounds)
        log(f"  sources: median {result['sources']['median_s']} s {result['sources']['latencies_s']}")
        result["server"] = bench_server(url, versions, rounds, log=log)
        if not result["server"]["server_wired"]:
            log(f"  server: not run – {result['server']['reason']}")
    targets = []
    for kind in ("server", "sources"):
        value = result[kind].get("median_s")
        if value is not None:
            targets.append({"target": f"publish_{kind}_s", "label": f"publish → all 2 workers ({kind})",
                            "value": value, "limit": TARGET_S, "op": "<=", "unit": "s", "pass": value <= TARGET_S})
    result["targets"] = targets
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
