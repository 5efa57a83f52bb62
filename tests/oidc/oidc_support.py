"""The OpenID Connect providers of the login tests, both real HTTP servers on loopback:

- `RealProvider`: panva's oidc-provider (npm, pinned in package-lock.json; `npm ci` runs when
  node_modules is missing) in a node process; accounts and claims in a JSON file it re-reads.
- `FakeProvider`: a small provider in a thread of the test, for what a real one never sends: ID
  tokens with the wrong issuer or audience, another nonce, `alg: none`, an unknown key. It still
  does PKCE for real (the token endpoint checks the S256 challenge).
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.httpbench import free_port

HERE = Path(__file__).resolve().parent
CLIENT_ID = "foraldrastod-test"
CLIENT_SECRET = "hemligt-bara-for-tester"


def ensure_node_modules() -> None:
    """`npm ci` from the lock file when oidc-provider is not installed yet (a fresh clone)."""
    if (HERE / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=600,
                   capture_output=True)


class RealProvider:
    def __init__(self, app_base: str, accounts: dict[str, dict], directory: Path):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.accounts_file = directory / "konton.json"
        self.accounts = dict(accounts)
        self.write()
        self.env = {"PORT": str(self.port), "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET,
                    "REDIRECT_URI": f"{app_base}/redaktion/oidc/callback",
                    "POST_LOGOUT_URI": f"{app_base}/redaktion/logga-in?utloggad=1",
                    "ACCOUNTS_FILE": str(self.accounts_file)}
        self.proc: subprocess.Popen | None = None

    def write(self) -> None:
        tmp = self.accounts_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.accounts), encoding="utf-8")
        tmp.replace(self.accounts_file)

    def set_claims(self, account: str, claims: dict) -> None:
        """The organisation changes what it says about `account` (read at the next login)."""
        self.accounts[account] = claims
        self.write()

    def start(self) -> RealProvider:
        import os

        ensure_node_modules()
        self.proc = subprocess.Popen(["node", str(HERE / "provider.mjs")], cwd=HERE,
                                     env={**os.environ, **self.env}, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("ready "):
                break
            if time.monotonic() > deadline:
                break
        else:
            raise AssertionError(f"oidc-provider startade inte ({self.proc.wait()})")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # drain
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def rsa_key(kid: str) -> tuple[rsa.RSAPrivateKey, dict]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key().public_numbers()
    return key, {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": _b64(pub.n), "e": _b64(pub.e)}


class FakeProvider:
    """Discovery, JWKS, an authorization endpoint that logs `account` in at once, and a token
    endpoint whose ID token `forge(claims, header)` may change before it is signed."""

    def __init__(self, redirect_uri: str):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.redirect_uri = redirect_uri
        self.key, self.jwk = rsa_key("nyckel-1")
        self.other_key, _ = rsa_key("okand-nyckel")
        self.account = "rut"
        self.claims: dict = {"roles": ["redaktor"]}
        self.forge: Callable[[dict, dict], str | None] | None = None
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.server: ThreadingHTTPServer | None = None

    def id_token(self, claims: dict, header: dict, key=None) -> str:
        if header.get("alg") == "none":
            return jwt.encode(claims, None, algorithm="none", headers={k: v for k, v in header.items() if k != "alg"})
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": header.get("kid", "nyckel-1")})

    def metadata(self) -> dict:
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/auth",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/me", "end_session_endpoint": f"{self.issuer}/logout",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"]}

    def authorize(self, query: dict) -> str:
        """Where the authorization endpoint sends the browser for this request."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": query.get("nonce"), "challenge": query.get("code_challenge"),
                            "method": query.get("code_challenge_method"), "redirect_uri": query.get("redirect_uri")}
        return query["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": query["state"]})

    def token(self, form: dict, auth_header: str) -> tuple[int, dict]:
        self.token_requests.append(form)
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth_header != expected:
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant["method"] != "S256" or challenge != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": self.account, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], **self.claims}
        header = {"alg": "RS256", "kid": "nyckel-1"}
        token = self.forge(claims, header) if self.forge else None
        return 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                     "id_token": token or self.id_token(claims, header)}

    def start(self) -> FakeProvider:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    return self._json(200, fake.metadata())
                if url.path == "/jwks":
                    return self._json(200, {"keys": [fake.jwk]})
                if url.path == "/auth":
                    query = dict(urllib.parse.parse_qsl(url.query))
                    self.send_response(302)
                    self.send_header("Location", fake.authorize(query))
                    self.end_headers()
                    return None
                return self._json(404, {"error": "not_found"})

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                form = dict(urllib.parse.parse_qsl(body))
                if self.path == "/token":
                    return self._json(*fake.token(form, self.headers.get("Authorization", "")))
                return self._json(404, {"error": "not_found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


@contextlib.contextmanager
def running(provider):
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()
