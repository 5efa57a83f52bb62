"""Who may call the CDS Hooks service: JWT verification as CDS Hooks 2.0 requires.

With `FORALDRASTOD_CDS_ISSUERS` naming a JSON file
`{"issuers": [{"iss": "...", "jwks": {...}} | {"iss": "...", "jwks_url": "..."}]}`, every request
to `/cds-services*` must carry `Authorization: Bearer <JWT>` where the JWT is signed with ES384 or
RS384 by a key of a trusted issuer (`kid` picks the key), `aud` is the URL that was called
(`FORALDRASTOD_PUBLIC_URL` + path, never the Host header), `exp` lies ahead, `iat` and `jti` are
present and the `jti` has not been seen before (until its `exp`) by any worker of this server
(SharedReplayCache, a SQLite file in serve's run directory). Anything else is 401.
A `jku` header is never followed: the keys are the issuer's configured ones (inline `jwks`, or
fetched from its configured `jwks_url`, cached for `JWKS_TTL` seconds), and a token they verify
passes whatever `jku` it names; one they do not verify is 401. No URL from a token is ever fetched.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from jwt import PyJWK, PyJWKSet

from service.core.errors import ApiError, ErrorItem
from service.core.packsource import RUN_DIR_ENV

ALGORITHMS = ("ES384", "RS384")
JWKS_TTL = 300.0
JWKS_TIMEOUT = 3.0
JWKS_MAX_BYTES = 256 * 1024
LEEWAY = 30  # seconds of clock skew allowed on exp/iat
MAX_JTI = 100_000


class ConfigError(Exception):
    """The issuers file is missing or malformed (Swedish message)."""


def public_url() -> str | None:
    """FORALDRASTOD_PUBLIC_URL without a trailing slash, or None."""
    value = (os.environ.get("FORALDRASTOD_PUBLIC_URL") or "").strip().rstrip("/")
    return value or None


@dataclass
class Issuer:
    iss: str
    jwks: dict[str, Any] | None = None
    jwks_url: str | None = None
    _keys: dict[str, PyJWK] = field(default_factory=dict)
    _fetched: float = 0.0

    def keys(self, client: httpx.Client | None = None, refresh: bool = False) -> dict[str, PyJWK]:
        if self.jwks is not None:
            if not self._keys:
                self._keys = _parse_jwks(self.jwks)
            return self._keys
        if refresh or not self._keys or time.monotonic() - self._fetched > JWKS_TTL:
            self._keys = _parse_jwks(_fetch_jwks(self.jwks_url or "", client))
            self._fetched = time.monotonic()
        return self._keys


def _parse_jwks(data: Any) -> dict[str, PyJWK]:
    out: dict[str, PyJWK] = {}
    try:
        for key in PyJWKSet.from_dict(data).keys:
            if key.key_id:
                out[key.key_id] = key
    except (jwt.PyJWKSetError, jwt.PyJWKError, TypeError, AttributeError):
        return {}
    return out


def _fetch_jwks(url: str, client: httpx.Client | None) -> Any:
    try:
        own = client is None
        client = client or httpx.Client(timeout=JWKS_TIMEOUT, follow_redirects=False)
        try:
            with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    return {}
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > JWKS_MAX_BYTES:
                        return {}
        finally:
            if own:
                client.close()
        return json.loads(body)
    except (httpx.HTTPError, ValueError):
        return {}


def load_issuers(path: str | Path) -> dict[str, Issuer]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"FORALDRASTOD_CDS_ISSUERS: filen {path} kan inte läsas ({exc.strerror})") from None
    except ValueError:
        raise ConfigError(f"FORALDRASTOD_CDS_ISSUERS: filen {path} är inte giltig JSON") from None
    items = data.get("issuers") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ConfigError(f'FORALDRASTOD_CDS_ISSUERS: {path} ska ha formen {{"issuers": [{{"iss": ..., "jwks": ...}}]}}')
    issuers: dict[str, Issuer] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("iss"), str) or not item["iss"]:
            raise ConfigError(f"FORALDRASTOD_CDS_ISSUERS: issuers[{i}] saknar 'iss'")
        jwks, url = item.get("jwks"), item.get("jwks_url")
        if (jwks is None) == (url is None):
            raise ConfigError(f"FORALDRASTOD_CDS_ISSUERS: issuers[{i}] ska ha antingen 'jwks' eller 'jwks_url'")
        if jwks is not None and not _parse_jwks(jwks):
            raise ConfigError(f"FORALDRASTOD_CDS_ISSUERS: issuers[{i}].jwks innehåller ingen nyckel med 'kid'")
        if url is not None and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
            raise ConfigError(f"FORALDRASTOD_CDS_ISSUERS: issuers[{i}].jwks_url ska vara en http(s)-adress")
        issuers[item["iss"]] = Issuer(iss=item["iss"], jwks=jwks, jwks_url=url)
    return issuers


class ReplayCache:
    """jti values seen, each kept until its token expires (bounded; one process)."""

    def __init__(self, limit: int = MAX_JTI):
        self.limit = limit
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, key: str, expires: float) -> bool:
        """True if `key` is new (and remembers it); False if it was already seen."""
        now = time.time()
        with self._lock:
            if key in self._seen and self._seen[key] >= now - LEEWAY:
                return False
            if len(self._seen) >= self.limit:
                self._seen = {k: v for k, v in self._seen.items() if v >= now - LEEWAY}
                if len(self._seen) >= self.limit:  # still full of live tokens: drop the oldest
                    for k in sorted(self._seen, key=self._seen.get)[: self.limit // 10]:
                        del self._seen[k]
            self._seen[key] = expires
            return True


class SharedReplayCache:
    """jti values seen by every worker of one `foraldrastod serve`: a small SQLite file in the run
    directory the workers share (never the workspace database). The check and the insert are one
    statement, so two workers that see the same token at once accept it once. Rows are kept until
    the token's `exp` (+ leeway); expired rows are purged every `PURGE_EVERY` inserts."""

    PURGE_EVERY = 1000

    def __init__(self, path: Path, limit: int = MAX_JTI):
        self.path, self.limit = path, limit
        self._lock = threading.Lock()
        self._inserts = 0
        self._db = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")  # the run directory dies with the server
        self._db.execute("CREATE TABLE IF NOT EXISTS jti (key TEXT PRIMARY KEY, expires REAL NOT NULL)")

    def add(self, key: str, expires: float) -> bool:
        """True if `key` is new to every worker (and remembers it); False if one saw it already."""
        now = time.time()
        with self._lock:
            # an expired row for the key is replaced; a live one makes the insert do nothing
            cur = self._db.execute(
                "INSERT INTO jti (key, expires) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET expires = excluded.expires WHERE jti.expires < ?",
                (key, expires, now - LEEWAY))
            fresh = cur.rowcount == 1
            if fresh:
                self._inserts += 1
                if self._inserts % self.PURGE_EVERY == 0:
                    self._purge(now)
            return fresh

    def _purge(self, now: float) -> None:
        self._db.execute("DELETE FROM jti WHERE expires < ?", (now - LEEWAY,))
        (count,) = self._db.execute("SELECT count(*) FROM jti").fetchone()
        if count > self.limit:  # still full of live tokens: drop the oldest down to 90 % of the limit
            self._db.execute("DELETE FROM jti WHERE key IN (SELECT key FROM jti ORDER BY expires LIMIT ?)",
                             (count - self.limit + self.limit // 10,))


def replay_cache() -> ReplayCache | SharedReplayCache:
    """Shared across the workers when `foraldrastod serve` gave them a run directory; else in memory."""
    run_dir = (os.environ.get(RUN_DIR_ENV) or "").strip()
    if run_dir and Path(run_dir).is_dir():
        return SharedReplayCache(Path(run_dir) / "cds-jti.sqlite")
    return ReplayCache()


def unauthorized(sv: str, en: str) -> ApiError:
    return ApiError(401, [ErrorItem(field="Authorization", sv=sv, en=en)],
                    headers={"WWW-Authenticate": 'Bearer realm="cds-services"'})


class Verifier:
    def __init__(self, issuers: dict[str, Issuer], base_url: str | None):
        self.issuers = issuers
        self.base_url = base_url
        self.replay = replay_cache()

    def verify(self, authorization: str | None, path: str) -> dict[str, Any]:
        """The verified claims, or ApiError 401 in Swedish (never naming the token's content)."""
        if self.base_url is None:
            raise unauthorized("FORALDRASTOD_PUBLIC_URL saknas: tjänstens adress (aud) kan inte kontrolleras",
                               "FORALDRASTOD_PUBLIC_URL is not set: the audience cannot be checked")
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized("inloggning krävs: skicka en signerad JWT som 'Authorization: Bearer <JWT>'",
                               "authentication required: send a signed JWT as 'Authorization: Bearer <JWT>'")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise unauthorized("ogiltig JWT", "malformed JWT") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise unauthorized(f"JWT ska vara signerad med {' eller '.join(ALGORITHMS)}",
                               f"the JWT must be signed with {' or '.join(ALGORITHMS)}")
        issuer = self.issuers.get(unverified.get("iss")) if isinstance(unverified.get("iss"), str) else None
        if issuer is None:
            raise unauthorized("utfärdaren (iss) är inte betrodd", "issuer (iss) not trusted")
        # `jku` is never fetched: keys come only from the issuer's configuration (inline `jwks` or
        # its `jwks_url`), which is the allowlist CDS Hooks 2.0 asks for. A client that always
        # names its own jku (the CDS Hooks sandbox does) passes when the configured keys verify it.
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise unauthorized("JWT saknar kid", "the JWT has no kid")
        key = issuer.keys().get(kid)
        if key is None and issuer.jwks_url:  # a rotated key: fetch once more
            key = issuer.keys(refresh=True).get(kid)
        if key is None:
            raise unauthorized("okänd nyckel (kid) för utfärdaren", "unknown key (kid) for this issuer")
        audience = self.base_url + path
        try:
            claims = jwt.decode(
                token, key=key, algorithms=[alg], audience=audience, issuer=issuer.iss, leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("JWT har gått ut (exp)", "the JWT has expired (exp)") from None
        except jwt.InvalidAudienceError:
            raise unauthorized(f"JWT är inte utfärdad för {audience} (aud)",
                               "the JWT was not issued for this endpoint (aud)") from None
        except jwt.MissingRequiredClaimError as exc:
            raise unauthorized(f"JWT saknar {exc.claim}", f"the JWT lacks {exc.claim}") from None
        except jwt.InvalidSignatureError:
            raise unauthorized("JWT:s signatur stämmer inte", "invalid JWT signature") from None
        except jwt.PyJWTError:
            raise unauthorized("ogiltig JWT", "invalid JWT") from None
        if not isinstance(claims.get("jti"), str) or not claims["jti"]:
            raise unauthorized("JWT saknar jti", "the JWT lacks jti")
        if not self.replay.add(f"{issuer.iss}\0{claims['jti']}", float(claims["exp"])):
            raise unauthorized("JWT har redan använts (jti)", "the JWT was already used (jti replay)")
        return claims


def verifier_from_env() -> Verifier | None:
    """The verifier when FORALDRASTOD_CDS_ISSUERS is set; None when CDS calls are open.
    Raises ConfigError for a bad issuers file or a missing FORALDRASTOD_PUBLIC_URL."""
    path = (os.environ.get("FORALDRASTOD_CDS_ISSUERS") or "").strip()
    if not path:
        return None
    issuers = load_issuers(path)
    base = public_url()
    if base is None:
        raise ConfigError("FORALDRASTOD_CDS_ISSUERS kräver FORALDRASTOD_PUBLIC_URL (tjänstens adress, för aud)")
    return Verifier(issuers, base)


def verifier_at_start() -> Verifier | None:
    """verifier_from_env() for create_app: a bad configuration stops start-up with a Swedish message."""
    try:
        return verifier_from_env()
    except ConfigError as exc:
        from service.core.logs import log_event

        log_event("start_failed", message=str(exc))
        raise SystemExit(f"foraldrastod: {exc}") from None
