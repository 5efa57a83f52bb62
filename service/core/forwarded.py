"""Who is asking, and over what: forwarded headers count only from the proxies an operator names.

`FORALDRASTOD_TRUSTED_PROXIES` is a comma-separated list of addresses (or networks, as uvicorn
takes them) of the reverse proxies in front of the service; empty (the default) trusts none, so
`X-Forwarded-For` and `X-Forwarded-Proto` from anyone else never change the client address the
login throttle counts, nor the scheme. uvicorn applies the list (`uvicorn_options`); the
workspace then reads `request.client` and `request.url.scheme` as they are.

Also here: the Origin/Referer check of form posts (a second wall beside the CSRF token) and
whether an answer gets HSTS.
"""
from __future__ import annotations

import os
import urllib.parse

ENV = "FORALDRASTOD_TRUSTED_PROXIES"
HSTS = "max-age=31536000"


def trusted_proxies() -> list[str]:
    return [p.strip() for p in os.environ.get(ENV, "").split(",") if p.strip()]


def uvicorn_options() -> dict:
    """uvicorn.Config arguments: proxy headers only from the configured proxies, else not at all
    (uvicorn's own default trusts 127.0.0.1, so any local process could rotate the address)."""
    proxies = trusted_proxies()
    if not proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(proxies)}


def _origin_of(url: str) -> str | None:
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port or default
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.hostname.lower()}" + ("" if port == default else f":{port}")


def allowed_origins(request) -> set[str]:
    """The service's own origin as this request reached it, and FORALDRASTOD_PUBLIC_URL's."""
    own = {_origin_of(str(request.base_url))}
    public = os.environ.get("FORALDRASTOD_PUBLIC_URL", "")
    if public:
        own.add(_origin_of(public))
    return {o for o in own if o}


def same_origin_post(request) -> bool:
    """False when a form post says it comes from another site: its Origin, or when the browser
    sends none (or "null"), its Referer. A request with neither (not a browser's form) passes:
    the CSRF token still has to match."""
    allowed = allowed_origins(request)
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return _origin_of(origin) in allowed
    referer = request.headers.get("referer")
    if referer:
        return _origin_of(referer) in allowed
    return origin is None  # "Origin: null" without a Referer: a sandboxed or redirected post


def is_https(request) -> bool:
    return request.url.scheme == "https"
