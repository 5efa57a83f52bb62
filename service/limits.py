"""Refuse request bodies over a size limit before anything parses them (413, in Swedish)."""
from __future__ import annotations

from typing import Any

import orjson

MAX_BODY_BYTES = 16 * 1024
# the /redaktion forms post whole rule pack files (URL-encoded); nothing there is a family's data
WORKSPACE_PREFIX, WORKSPACE_MAX_BODY_BYTES = "/redaktion/", 2 * 1024 * 1024

_BODY = orjson.dumps({
    "message": "För stor begäran: kroppen får vara högst 16 KiB / Request too large: at most 16 KiB",
    "errors": [{"field": "indata", "sv": "för stor begäran (högst 16 KiB)", "en": "request body too large (at most 16 KiB)"}],
})


class TooLarge(Exception):
    pass


async def _send_413(send) -> None:
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(_BODY)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": _BODY})


class BodyLimit:
    """Pure ASGI middleware. A declared Content-Length over the limit is refused without reading;
    a body without one (chunked) is counted as it arrives and refused once it passes the limit."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive, send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        max_bytes = WORKSPACE_MAX_BODY_BYTES if scope.get("path", "").startswith(WORKSPACE_PREFIX) else self.max_bytes
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
                await _send_413(send)
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
                await _send_413(send)
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
