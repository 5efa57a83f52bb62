"""/strategi shows the result for the version being served (issue 18 item 16): the results
file when it was written for that version, else a run of the behaviour tests against it, made
once per version in the background (never in the request) and kept in a cache directory.

The runner (service.cli.features.run_scenarios: pytest-bdd in a subprocess) is given by the
composition root as `app.state.feature_runner`; pages never import the command line. Several
workers share one run through a lock file in the cache directory; a run that died leaves a lock
older than RUN_TIMEOUT, which the next request replaces. FORALDRASTOD_STRATEGI_KOR=0 turns the
runs off (the page then says the result is for another version).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from engine import Pack

from service.pages.strategi import Results, load_results

RUN_TIMEOUT = 300.0  # seconds; also the runner's own timeout
_lock = threading.Lock()
_threads: dict[str, threading.Thread] = {}


def cache_dir() -> Path:
    configured = os.environ.get("FORALDRASTOD_STRATEGI_CACHE")
    root = Path(configured) if configured else Path(tempfile.gettempdir()) / f"foraldrastod-strategi-{os.getuid()}"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _safe(version: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]", "_", version)[:120]


def _paths(pack: Pack) -> tuple[Path, Path]:
    base = cache_dir() / _safe(f"{pack.name}-{pack.version}")
    return base.with_suffix(".json"), base.with_suffix(".korning")


def enabled() -> bool:
    return os.environ.get("FORALDRASTOD_STRATEGI_KOR", "1") != "0"


def _run(pack: Pack, runner: Callable[..., tuple[list[dict], str | None]], result: Path, marker: Path) -> None:
    try:
        scenarios, problem = runner(pack.directory, timeout=RUN_TIMEOUT)
        body = {"generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "ruleset": {"name": pack.name, "version": pack.version}, "scenarios": scenarios,
                "problem": problem}
        tmp = result.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        tmp.replace(result)
    except Exception as exc:  # noqa: BLE001 - the page says the run failed, the server goes on
        tmp = result.with_suffix(".tmp")
        tmp.write_text(json.dumps({"generated": None, "ruleset": {"name": pack.name, "version": pack.version},
                                   "scenarios": [], "problem": f"körningen misslyckades ({type(exc).__name__})"}),
                       encoding="utf-8")
        tmp.replace(result)
    finally:
        try:
            marker.unlink()
        except OSError:
            pass


def _start(pack: Pack, runner, result: Path, marker: Path) -> float:
    """Start a run unless one is going (here or in another worker); the time it started."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        started = marker.stat().st_mtime
        if time.time() - started < RUN_TIMEOUT + 30:
            return started
        marker.unlink(missing_ok=True)  # a run that died: take over
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    thread = threading.Thread(target=_run, args=(pack, runner, result, marker), daemon=True,
                              name=f"strategi-{pack.version}")
    _threads[pack.version] = thread
    thread.start()
    return time.time()


def served_results(pack: Pack, runner) -> tuple[Results, dict[str, Any]]:
    """The results to show for `pack`, and the state of its run:
    {"state": "klar" | "pagar" | "annan" | "av", "seconds": how long a run has been going,
     "problem": why a run gave no result}."""
    file = load_results()
    if (file.ruleset or {}).get("version") == pack.version:
        return file, {"state": "klar", "seconds": 0, "problem": None}
    if not enabled() or runner is None or getattr(pack, "directory", None) is None:
        return file, {"state": "av", "seconds": 0, "problem": None}
    result, marker = _paths(pack)
    with _lock:
        if result.is_file():
            try:
                problem = json.loads(result.read_text(encoding="utf-8")).get("problem")
            except (OSError, ValueError):
                problem = None
            return load_results(result), {"state": "klar", "seconds": 0, "problem": problem}
        started = _start(pack, runner, result, marker)
    return file, {"state": "pagar", "seconds": max(0, int(time.time() - started)), "problem": None}


def wait_for(version: str, timeout: float) -> bool:
    """For tests and shutdown: wait for this process's run of `version`; True when it ended."""
    thread = _threads.get(version)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()
