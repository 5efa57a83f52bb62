"""Refuse request bodies over a size limit before anything parses them (413, in Swedish)."""
from __future__ import annotations

import asyncio
import os
from typing import Any

import orjson

MAX_BODY_BYTES = 16 * 1024
# CDS Hooks calls carry prefetched FHIR resources, and the /redaktion forms post whole rule pack
# files (URL-encoded; nothing there is a family's data): larger limits on those paths only
PATH_LIMITS: tuple[tuple[str, int], ...] = (("/cds-services", 1024 * 1024), ("/redaktion/", 2 * 1024 * 1024))


def _too_large_body(limit: int) -> bytes:
    size = f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit // 1024} KiB"
    return orjson.dumps({
        "message": f"För stor begäran: kroppen får vara högst {size} / Request too large: at most {size}",
        "errors": [{"field": "indata", "sv": f"för stor begäran (högst {size})",
                    "en": f"request body too large (at most {size})"}],
    })


_BODY = _too_large_body(MAX_BODY_BYTES)


BODY_TIMEOUT = float(os.environ.get("FORALDRASTOD_BODY_TIMEOUT", "10"))

_408 = orjson.dumps({
    "message": "Kroppen kom inte fram i tid / Request body not received in time",
    "errors": [{"field": "indata", "sv": f"kroppen kom inte fram inom {BODY_TIMEOUT:g} s",
                "en": f"request body not received within {BODY_TIMEOUT:g} s"}],
})


class TooLarge(Exception):
    pass


class BodyTimeout(Exception):
    """The client did not send its whole body within BODY_TIMEOUT seconds."""


async def _send_408(send) -> None:
    await send({"type": "http.response.start", "status": 408,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(_408)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": _408})


def _deadline_receive(receive, timeout: float):
    """`receive` with one deadline for the whole body, counted from the first call."""
    deadline: float | None = None

    async def timed():
        nonlocal deadline
        loop = asyncio.get_running_loop()
        if deadline is None:
            deadline = loop.time() + timeout
        if deadline - loop.time() <= 0:
            raise BodyTimeout
        try:
            # a timer on this task, not wait_for's extra Task and loop turn per receive()
            async with asyncio.timeout_at(deadline):
                return await receive()
        except TimeoutError:
            raise BodyTimeout from None

    return timed


async def _send_413(send, body: bytes = _BODY) -> None:
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Pure ASGI middleware. A declared Content-Length over the limit is refused without reading;
    a body without one (chunked) is counted as it arrives and refused once it passes the limit."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES, body_timeout: float | None = None,
                 path_limits: tuple[tuple[str, int], ...] = PATH_LIMITS):
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout = BODY_TIMEOUT if body_timeout is None else body_timeout
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
        receive = _deadline_receive(receive, self.body_timeout)
        if declared is not None:
            if declared > max_bytes:
                await _send_413(send, too_large)
                return
            started = False

            async def send_started(message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                await send(message)

            try:
                await self.app(scope, receive, send_started)
            except BodyTimeout:
                if not started:
                    await _send_408(send)
            return

        # no Content-Length: read it all (bounded) before the app sees it
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await receive()
            except BodyTimeout:
                await _send_408(send)
                return
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


# --------------------------------------------------------------------------- strict input, headers
JSON_POST_PREFIXES = ("/v1/recommendations", "/cds-services")

_415 = orjson.dumps({
    "message": "Innehållstypen stöds inte: skicka 'Content-Type: application/json' "
               "/ Unsupported media type: send 'Content-Type: application/json'",
    "errors": [{"field": "Content-Type", "sv": "innehållstypen stöds inte: skicka 'Content-Type: application/json'",
                "en": "unsupported media type: send 'Content-Type: application/json'"}],
})


def is_json_type(value: bytes) -> bool:
    media = value.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


class StrictHeaders:
    """Pure ASGI middleware.

    * A POST to a JSON endpoint whose Content-Type is not JSON is refused with 415 before the
      body is read: a browser may send `text/plain` across origins without a CORS preflight.
      A POST to a path that takes no POST (`/cds-services` is discovery, GET only) is not an
      endpoint: the router answers it (405 with `Allow`, or 404).
    * Every JSON answer carries `X-Content-Type-Options: nosniff` and `Cache-Control: no-store`
      (an answer about a family must not stay in a shared cache); every answer gets nosniff."""

    def __init__(self, app, prefixes: tuple[str, ...] = JSON_POST_PREFIXES, router=None):
        self.app = app
        self.prefixes = prefixes
        self.router = router  # with it, a POST no route takes (405, 404) is left to the router

    def _routed_post(self, scope: dict[str, Any]) -> bool:
        if self.router is None:
            return True
        from starlette.routing import Match

        return any(route.matches(scope)[0] is Match.FULL for route in self.router.routes)

    async def __call__(self, scope: dict[str, Any], receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and scope["path"].startswith(self.prefixes):
            ctype = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
            if not is_json_type(ctype) and self._routed_post(scope):
                await send({"type": "http.response.start", "status": 415,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(_415)).encode()),
                                        (b"x-content-type-options", b"nosniff"),
                                        (b"cache-control", b"no-store")]})
                await send({"type": "http.response.body", "body": _415})
                return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if is_json_type(ctype) and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
