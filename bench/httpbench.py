"""HTTP benchmark: wrk against `foraldrastod serve` and against the FastAPI baseline, alternating.

The baseline (../shared/bench/baseline_app.py) is the same stack doing no decision work; the
service's throughput is reported as a ratio of it, measured in the same run.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_BENCH = Path(os.environ.get("FORALDRASTOD_SHARED_BENCH", "/work/shared/bench"))
BIN = Path(sys.executable).parent
_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules" / "orebro-lan"


def wrk_path() -> str | None:
    return shutil.which("wrk")


def free_port() -> int:
    """A free loopback port below 32768: ports above it are the kernel's ephemeral range, where a
    port picked by binding to 0 can be taken by an outgoing connection before the server binds it."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("ingen ledig port under 32768")


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"cannot parse wrk latency {text!r}")
    return float(m.group(1)) * _UNIT[m.group(2)]


def parse_wrk(output: str) -> dict:
    """requests/s, p50/p75/p90/p99 in ms, total requests, non-2xx and socket errors."""
    out: dict = {"non_2xx": 0, "socket_errors": 0}
    m = re.search(r"Requests/sec:\s*([\d.]+)", output)
    if not m:
        raise ValueError("wrk output has no Requests/sec:\n" + output)
    out["rps"] = float(m.group(1))
    for pct, value in re.findall(r"^\s*(50|75|90|99)%\s+(\S+)\s*$", output, re.M):
        out[f"p{pct}_ms"] = round(_ms(value), 3)
    m = re.search(r"(\d+) requests in", output)
    out["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    if m:
        out["non_2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if m:
        out["socket_errors"] = sum(int(g) for g in m.groups())
    return out


class Server:
    """A server in its own process group; `stop()` ends the whole group (uvicorn workers too)."""

    def __init__(self, kind: str, workers: int, log_dir: Path):
        self.kind = kind
        self.port = free_port()
        if kind == "service":
            cmd = [str(BIN / "foraldrastod"), "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", str(workers), "--rules", str(DEFAULT_RULES)]
        else:
            # served exactly like `foraldrastod serve`: same uvicorn settings, including the
            # TCP_NODELAY protocol class (service/core/server.py) that fixes uvicorn's 40 ms stall
            # with several workers
            launch = ("import uvicorn; uvicorn.run('baseline_app:app', app_dir=%r, host='127.0.0.1', "
                      "port=%d, workers=%d, log_level='warning', access_log=False, server_header=False, "
                      "http='service.core.server:NoDelayH11Protocol')" % (str(SHARED_BENCH), self.port, workers))
            cmd = [str(BIN / "python"), "-c", launch]
        self.log_path = log_dir / f"{kind}-{workers}-{self.port}.log"
        self._log = open(self.log_path, "wb")
        env = {k: v for k, v in os.environ.items() if k != "FORALDRASTOD_RULES"}  # the default pack
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """The service answers /healthz with 200; the baseline with anything at all."""
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/healthz"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except urllib.error.HTTPError:
                if self.kind == "baseline":
                    return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} not ready after {timeout} s: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> Server:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


CACHED_MIX = "post.lua"  # a few families, asked again and again: the answer cache serves most
VARIED_MIX = "post-varied.lua"  # a new family on almost every request: every answer is decided


def run_wrk(port: int, duration_s: int, threads: int = 2, connections: int = 32, mix: str = CACHED_MIX) -> dict:
    script = SHARED_BENCH / mix
    cmd = [wrk_path() or "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency",
           "-s", str(script), f"http://127.0.0.1:{port}/v1/recommendations"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr}{proc.stdout}")
    return parse_wrk(proc.stdout)


def _median_of(runs: list[dict]) -> dict:
    keys = ["rps", "p50_ms", "p99_ms"]
    out = {k: round(statistics.median(r[k] for r in runs if k in r), 3) for k in keys}
    out["non_2xx"] = sum(r["non_2xx"] for r in runs)
    out["socket_errors"] = sum(r["socket_errors"] for r in runs)
    out["runs"] = runs
    return out


def compare(workers: int, pairs: int, duration_s: int, connections: int = 32, log=print,
            mix: str = CACHED_MIX) -> dict:
    """Both servers up at once (the idle one costs no CPU); `pairs` rounds of wrk alternating
    baseline, service, baseline, service, ...; medians per side."""
    runs: dict[str, list[dict]] = {"baseline": [], "service": []}
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        servers = {}
        try:
            for kind in ("baseline", "service"):
                servers[kind] = Server(kind, workers, Path(tmp))
            for server in servers.values():
                server.wait_ready()
                run_wrk(server.port, 1, connections=connections, mix=mix)  # warm-up: first requests, caches
            for i in range(pairs):
                for kind, server in servers.items():
                    result = run_wrk(server.port, duration_s, connections=connections, mix=mix)
                    runs[kind].append(result)
                    log(f"  http {mix} workers={workers} round {i + 1}/{pairs} {kind:8s} "
                        f"{result['rps']:8.0f} req/s  p50 {result.get('p50_ms', 0):6.2f} ms  "
                        f"p99 {result.get('p99_ms', 0):6.2f} ms")
        finally:
            for server in servers.values():
                server.stop()
    base, serv = _median_of(runs["baseline"]), _median_of(runs["service"])
    return {
        "workers": workers,
        "mix": mix,
        "connections": connections,
        "duration_s": duration_s,
        "pairs": pairs,
        "baseline": base,
        "service": serv,
        "ratio_rps": round(serv["rps"] / base["rps"], 3) if base["rps"] else 0.0,
    }
