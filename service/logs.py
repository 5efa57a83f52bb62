"""Structured access log: one JSON line per request on stderr (method, path, status, latency).

A pure ASGI middleware (cheaper than BaseHTTPMiddleware). It never reads the request body or the
query string, so nothing a caller sends about a family reaches a log.
"""
from __future__ import annotations

import sys
import time
from typing import Any

import orjson

Scope = dict[str, Any]


def log_event(event: str, **fields: Any) -> None:
    """One JSON line on stderr for things other than requests (reloads, signals)."""
    line = {"ts": round(time.time(), 3), "event": event, **fields}
    sys.stderr.write(orjson.dumps(line).decode() + "\n")
    sys.stderr.flush()


class AccessLog:
    def __init__(self, app, stream=None):
        self.app = app
        self.stream = stream

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
            line = orjson.dumps({
                "ts": round(time.time(), 3),
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "ms": round((time.perf_counter() - start) * 1000, 2),
            })
            stream = self.stream or sys.stderr
            stream.write(line.decode() + "\n")
