"""Structured logs: one JSON line per request on stderr (method, route, status, latency), and
events (reloads, signals, refused tokens).

The access log is a pure ASGI middleware (cheaper than BaseHTTPMiddleware). It never reads the
request body or the query string, and it names the route template (`/hsds/services/{service_id}`),
never the raw path, so nothing a caller puts in a URL reaches a log. A path that matched no route
is logged as `(okänd väg)`.

A line that repeats (the same event and error, e.g. "Too many open files" from the accept loop
during a connection flood) is written at most BURST times per WINDOW seconds; the next line
after a quiet window says how many were left out. A flood cannot fill the disk.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

import orjson

Scope = dict[str, Any]
UNKNOWN_ROUTE = "(okänd väg)"
BURST = 20
WINDOW = 10.0


class RateLimiter:
    """At most `burst` lines per key in each `window` seconds; counts what it drops."""

    def __init__(self, burst: int = BURST, window: float = WINDOW):
        self.burst = burst
        self.window = window
        self._seen: dict[str, list[float]] = {}  # key -> [window start, count, dropped]
        self._lock = threading.Lock()

    def admit(self, key: str) -> tuple[bool, int]:
        """(write it?, how many were dropped since the last line written for this key)."""
        now = time.monotonic()
        with self._lock:
            entry = self._seen.get(key)
            if entry is None or now - entry[0] >= self.window:
                dropped = int(entry[2]) if entry else 0
                if len(self._seen) > 1000:
                    self._seen.clear()
                self._seen[key] = [now, 1, 0]
                return True, dropped
            if entry[1] < self.burst:
                entry[1] += 1
                return True, 0
            entry[2] += 1
            return False, 0


_limiter = RateLimiter()


def log_event(event: str, limit_key: str | None = None, **fields: Any) -> None:
    """One JSON line on stderr for things other than requests (reloads, signals). With
    `limit_key`, repeats of that key are rate-limited."""
    if limit_key is not None:
        ok, dropped = _limiter.admit(f"{event}:{limit_key}")
        if not ok:
            return
        if dropped:
            fields["undertryckta"] = dropped
    line = {"ts": round(time.time(), 3), "event": event, **fields}
    try:
        sys.stderr.write(orjson.dumps(line).decode() + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # a full disk or closed stderr must not fail a request


class RepeatFilter(logging.Filter):
    """A logging filter that rate-limits repeated records (same logger, level and message
    template), for asyncio's and uvicorn's own error lines."""

    def __init__(self, limiter: RateLimiter | None = None):
        super().__init__()
        self.limiter = limiter or RateLimiter()

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        key = f"{record.name}:{record.levelno}:{record.msg}:{type(exc).__name__ if exc else ''}"
        ok, dropped = self.limiter.admit(key)
        if ok and dropped:
            record.msg = f"{record.msg} ({dropped} likadana rader undertryckta)"
        return ok


_installed = False


def install_repeat_filter() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    flt = RepeatFilter()
    for name in ("asyncio", "uvicorn.error", "uvicorn"):
        logging.getLogger(name).addFilter(flt)


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return UNKNOWN_ROUTE


class AccessLog:
    def __init__(self, app, stream=None, observe=None):
        self.app = app
        self.stream = stream
        self.observe = observe  # metrics: observe(method, route, status, seconds)

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - start
            route = route_of(scope)
            line = orjson.dumps({
                "ts": round(time.time(), 3),
                "method": scope["method"],
                "route": route,
                "status": status,
                "ms": round(elapsed * 1000, 2),
            })
            stream = self.stream or sys.stderr
            try:
                stream.write(line.decode() + "\n")
            except (OSError, ValueError):
                pass
            if self.observe is not None:
                self.observe(scope["method"], route, status, elapsed)
