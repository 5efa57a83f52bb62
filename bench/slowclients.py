"""Slow and many clients against `foraldrastod serve` (issue 10, finding 4).

300 idle connections (they connect and send nothing) and 300 trickling ones (one byte of a
request head every 0.5 s, slowloris) are opened; then 20 normal requests are sent one after
another, each on a new connection. Measured: each normal request's latency and status, and how
many of the slow connections the server has closed after `hold_s` seconds.

    python -m bench.slowclients [--bin PATH_TO_foraldrastod] [--hold 15]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.httpbench import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "foraldrastod"
BODY = b'{"kommun":"Nora","age_months":40,"needs":["overvikt_fetma"]}'


def _start(binary: Path, port: int, log: Path, env: dict | None = None) -> subprocess.Popen:
    proc = subprocess.Popen([str(binary), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--rules", str(ROOT / "rules" / "orebro-lan")],
                            cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                            stderr=open(log, "wb"), start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


async def _idle(port: int, hold: float, closed: list[float], started: float) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        closed.append(0.0)
        return
    try:
        data = await asyncio.wait_for(reader.read(1), hold)
        if data == b"":
            closed.append(time.monotonic() - started)
    except (asyncio.TimeoutError, OSError):
        pass
    finally:
        writer.close()


async def _trickle(port: int, hold: float, closed: list[float], started: float) -> None:
    head = b"POST /v1/recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        closed.append(0.0)
        return
    try:
        end = started + hold
        i = 0
        while time.monotonic() < end:
            try:
                writer.write(head[i % len(head):i % len(head) + 1])
                await writer.drain()
            except (ConnectionError, OSError):
                closed.append(time.monotonic() - started)
                return
            i += 1
            try:
                data = await asyncio.wait_for(reader.read(1024), 0.5)
                if data == b"" or data.startswith(b"HTTP/1.1 4"):
                    closed.append(time.monotonic() - started)
                    return
            except asyncio.TimeoutError:
                pass
            except OSError:
                closed.append(time.monotonic() - started)
                return
    finally:
        writer.close()


async def _normal(port: int) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /v1/recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        await reader.read()
        writer.close()
        status = int(status_line.split()[1]) if status_line else 0
    except (OSError, asyncio.TimeoutError, ValueError, IndexError):
        status = 0
    return (time.perf_counter() - started) * 1000, status


async def _scenario(port: int, idle: int, trickling: int, normal: int, hold: float) -> dict:
    started = time.monotonic()
    idle_closed: list[float] = []
    trickle_closed: list[float] = []
    tasks = [asyncio.create_task(_idle(port, hold, idle_closed, started)) for _ in range(idle)]
    tasks += [asyncio.create_task(_trickle(port, hold, trickle_closed, started)) for _ in range(trickling)]
    await asyncio.sleep(1.0)  # all slow connections open
    results = []
    for _ in range(normal):
        results.append(await _normal(port))
        await asyncio.sleep(0.05)
    await asyncio.gather(*tasks, return_exceptions=True)
    ms = [r[0] for r in results]
    return {
        "idle": idle, "trickling": trickling, "hold_s": hold,
        "normal": normal,
        "normal_status": sorted({r[1] for r in results}),
        "normal_ok": sum(1 for r in results if r[1] == 200),
        "normal_max_ms": round(max(ms), 1), "normal_p50_ms": round(statistics.median(ms), 1),
        "idle_closed_by_server": len(idle_closed),
        "trickling_closed_by_server": len(trickle_closed),
        "trickling_closed_median_s": round(statistics.median(trickle_closed), 1) if trickle_closed else None,
    }


def _run_in_thread(coro) -> dict:
    """asyncio.run in a thread of its own: the caller may already be inside an event loop."""
    out: dict = {}

    def target() -> None:
        out["result"] = asyncio.run(coro)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    return out["result"]


def measure(binary: Path = BIN, idle: int = 300, trickling: int = 300, normal: int = 20, hold: float = 15.0,
            env: dict | None = None) -> dict:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-slow-") as tmp:
        proc = _start(binary, port, Path(tmp) / "server.log", env)
        try:
            result = _run_in_thread(_scenario(port, idle, trickling, normal, hold))
        finally:
            _stop(proc)
        log_bytes = (Path(tmp) / "server.log").stat().st_size
    result["server_log_bytes"] = log_bytes
    result["pass"] = result["normal_ok"] == normal and result["normal_max_ms"] < 1000
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slowclients", description=__doc__.split("\n")[0])
    parser.add_argument("--bin", type=Path, default=BIN, help="the foraldrastod to measure (default: this venv's)")
    parser.add_argument("--hold", type=float, default=15.0, help="seconds the slow clients keep trying")
    parser.add_argument("--idle", type=int, default=300)
    parser.add_argument("--trickling", type=int, default=300)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.bin, args.idle, args.trickling, 20, args.hold), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
