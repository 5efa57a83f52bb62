"""Refuse request bodies over a size limit before anything parses them (413, in Swedish)."""
from __future__ import annotations

from typing import Any

import orjson

MAX_BODY_BYTES = 16 * 1024
# CDS Hooks calls carry prefetched FHIR resources: a larger limit on those paths only (H-interop)
PATH_LIMITS: tuple[tuple[str, int], ...] = (("/cds-services", 1024 * 1024),)


def _too_large_body(limit: int) -> bytes:
    size = f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit // 1024} KiB"
    return orjson.dumps({
        "message": f"För stor begäran: kroppen får vara högst {size} / Request too large: at most {size}",
        "errors": [{"field": "indata", "sv": f"för stor begäran (högst {size})",
                    "en": f"request body too large (at most {size})"}],
    })


_BODY = _too_large_body(MAX_BODY_BYTES)


class TooLarge(Exception):
    pass


async def _send_413(send, body: bytes = _BODY) -> None:
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Pure ASGI middleware. A declared Content-Length over the limit is refused without reading;
    a body without one (chunked) is counted as it arrives and refused once it passes the limit."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES,
                 path_limits: tuple[tuple[str, int], ...] = PATH_LIMITS):
        self.app = app
        self.max_bytes = max_bytes
        self.too_large = _BODY if max_bytes == MAX_BODY_BYTES else _too_large_body(max_bytes)
        self.path_limits = tuple((prefix, limit, _too_large_body(limit)) for prefix, limit in path_limits)

    async def __call__(self, scope: dict[str, Any], receive, send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        max_bytes, too_large = self.max_bytes, self.too_large
        for prefix, limit, body in self.path_limits:
            if scope["path"].startswith(prefix):
                max_bytes, too_large = limit, body
                break
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = max_bytes + 1
                break
        if declared is not None:
            if declared > max_bytes:
                await _send_413(send, too_large)
                return
            await self.app(scope, receive, send)
            return

        # no Content-Length: read it all (bounded) before the app sees it
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                await _send_413(send, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
