"""Prometheus metrics (`GET /metrics`). No label ever carries family data: requests are counted
by method, route template and status; decisions only by latency.

With several workers, set PROMETHEUS_MULTIPROC_DIR (`serve` does: a directory in its run dir)
before this module is imported, and /metrics sums over all workers (prometheus_client's
multiprocess mode). Without it the numbers are the answering worker's own.
"""
from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUESTS = Counter("foraldrastod_http_requests_total", "HTTP-begäranden per metod, vägmall och status",
                   ["method", "route", "status"])
REQUEST_SECONDS = Histogram("foraldrastod_http_request_seconds", "Svarstid per vägmall", ["route"],
                            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
DECISION_SECONDS = Histogram("foraldrastod_decision_seconds", "Tid för ett beslut (rekommendation)",
                             buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                      0.025, 0.05, 0.1, 0.25))
PACK_INFO = Gauge("foraldrastod_pack_info", "Regelpaketet som används (1 = används)",
                  ["name", "version"], multiprocess_mode="livemax")
PACK_LOAD_SECONDS = Histogram("foraldrastod_pack_load_seconds", "Tid att läsa in och kompilera ett regelpaket",
                              buckets=(0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10))
RELOADS = Counter("foraldrastod_reloads_total", "Omladdningar av regelpaketet per utfall", ["result"])
PERSONNUMMER_REFUSED = Counter("foraldrastod_personnummer_refused_total",
                               "Begäranden som avvisades för att de innehöll något som liknar ett personnummer")
ADMIN_REFUSED = Counter("foraldrastod_admin_token_refused_total", "Avvisade försök med admin-token")


_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}  # labelled series, looked up once


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    series = _children.get(key)
    if series is None:  # routes are templates, so the combinations are few; bounded all the same
        shown = method if method in _METHODS else "annan"
        series = (REQUESTS.labels(shown, route, str(status)), REQUEST_SECONDS.labels(route))
        if len(_children) < 1000:
            _children[key] = series
    series[0].inc()
    series[1].observe(seconds)


def observe_decision(seconds: float) -> None:
    DECISION_SECONDS.observe(seconds)


def observe_load(seconds: float) -> None:
    PACK_LOAD_SECONDS.observe(seconds)


def pack_switched(old: dict | None, new: dict) -> None:
    if old is not None and old != new:
        PACK_INFO.labels(old["name"], old["version"]).set(0)
    PACK_INFO.labels(new["name"], new["version"]).set(1)


def reload_done(ok: bool) -> None:
    RELOADS.labels("ok" if ok else "fel").inc()


def personnummer_refused() -> None:
    PERSONNUMMER_REFUSED.inc()


def admin_refused() -> None:
    ADMIN_REFUSED.inc()


def forget_dead_workers(directory: str | None = None) -> list[int]:
    """Remove the live gauges of workers that are gone (a restarted or killed worker would
    otherwise keep reporting the pack it served). Counters and histograms of dead workers stay:
    their totals still count. Returns the pids forgotten."""
    from prometheus_client import multiprocess

    from service.core.packsource import alive

    directory = directory or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory or not os.path.isdir(directory):
        return []
    dead = set()
    for name in os.listdir(directory):
        if name.startswith("gauge_live") and name.endswith(".db"):
            pid = name.rsplit("_", 1)[-1].removesuffix(".db")
            if pid.isdigit() and not alive(int(pid)):
                dead.add(int(pid))
    for pid in sorted(dead):
        multiprocess.mark_process_dead(pid, directory)
    return sorted(dead)


def exposition() -> tuple[bytes, str]:
    """The text format for GET /metrics, summed over workers in multiprocess mode."""
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        forget_dead_workers()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
