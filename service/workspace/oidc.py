"""Single sign-on for /redaktion with OpenID Connect (Authlib's Starlette client).

Configured by environment (shared/CONTRACT.md v3, "Single sign-on"): discovery from the issuer,
authorization code with PKCE (S256), `state` and `nonce`, the ID token's signature, `iss`, `aud`
and `exp` checked, RP-initiated logout. A login begun here is a row in ws_oidc_login (single use,
STATE_SECONDS long) bound to the browser by an HttpOnly, SameSite=Lax cookie, so no global session
middleware is needed and a replayed or stolen `state` is refused. An account is the pair (issuer,
`sub`); its role (and a samordnare's kommun) is taken afresh from the claims at every login.
Every login, refusal and logout is in the audit log, with issuer and subject, never a token.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool

from engine.models import looks_like_personnummer

from . import views
from .models import ROLES, AuditEvent, OidcLogin, User, identity, utcnow  # noqa: F401 (identity: re-exported)

router = APIRouter(prefix="/oidc", include_in_schema=False)  # included by service.workspace.web.router (/redaktion)

STATE_COOKIE = "redaktion_oidc"  # binds a login begun here to this browser
ID_TOKEN_COOKIE = "redaktion_oidc_id"  # the ID token, only as id_token_hint at logout
STATE_SECONDS = 600
ROLE_ORDER = ("admin", "granskare", "redaktor", "samordnare")  # several roles: the first wins
SIGNING_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class ConfigError(ValueError):
    """FORALDRASTOD_OIDC_* is set but wrong (message in Swedish)."""


class Refusal(Exception):
    """A login refused: `message` for the person (Swedish), `reason` for the audit log."""

    def __init__(self, message: str, reason: str, status: int = 403):
        self.message, self.reason, self.status = message, reason, status
        self.audited = False
        super().__init__(reason)


# --------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class Settings:
    issuer: str
    client_id: str
    client_secret: str
    roles_claim: str
    role_map: tuple[tuple[str, str], ...]
    kommun_claim: str
    public_url: str

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/redaktion/oidc/callback"

    def role_of(self, value: str) -> str | None:
        mapping = dict(self.role_map)
        role = mapping.get(value) if mapping else value
        return role if role in ROLES else None


def settings() -> Settings | None:
    """The provider configured by environment, or None when FORALDRASTOD_OIDC_ISSUER is unset."""
    issuer = os.environ.get("FORALDRASTOD_OIDC_ISSUER", "").strip()
    if not issuer:
        return None
    return _settings(issuer, os.environ.get("FORALDRASTOD_OIDC_CLIENT_ID", "").strip(),
                     os.environ.get("FORALDRASTOD_OIDC_CLIENT_SECRET", ""),
                     os.environ.get("FORALDRASTOD_OIDC_ROLES_CLAIM", "").strip() or "roles",
                     os.environ.get("FORALDRASTOD_OIDC_ROLE_MAP", "").strip(),
                     os.environ.get("FORALDRASTOD_OIDC_KOMMUN_CLAIM", "").strip() or "kommun",
                     os.environ.get("FORALDRASTOD_PUBLIC_URL", "").strip().rstrip("/"))


@lru_cache(maxsize=8)
def _settings(issuer, client_id, secret, roles_claim, role_map, kommun_claim, public_url) -> Settings:
    if not client_id:
        raise ConfigError("FORALDRASTOD_OIDC_CLIENT_ID saknas (klient-id hos identitetsleverantören).")
    if not public_url:
        raise ConfigError("FORALDRASTOD_PUBLIC_URL saknas: den behövs för adressen som inloggningen kommer "
                          "tillbaka till (…/redaktion/oidc/callback).")
    pairs: tuple[tuple[str, str], ...] = ()
    if role_map:
        try:
            data = json.loads(role_map)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"FORALDRASTOD_OIDC_ROLE_MAP är inte giltig JSON: {exc.msg}.") from None
        if not isinstance(data, dict) or not all(isinstance(k, str) and v in ROLES for k, v in data.items()):
            raise ConfigError("FORALDRASTOD_OIDC_ROLE_MAP ska vara ett JSON-objekt från anspråkets värde till "
                              f"en av rollerna {', '.join(ROLES)}.")
        pairs = tuple(sorted(data.items()))
    return Settings(issuer, client_id, secret, roles_claim, pairs, kommun_claim, public_url)


def enabled() -> bool:
    return bool(os.environ.get("FORALDRASTOD_OIDC_ISSUER", "").strip())


def local_login_enabled() -> bool:
    """FORALDRASTOD_LOCAL_LOGIN=off switches the password login off (default on)."""
    return os.environ.get("FORALDRASTOD_LOCAL_LOGIN", "on").strip().lower() not in ("off", "0", "nej", "false")


_clients: dict[Settings, Any] = {}


def client(cfg: Settings):
    """Authlib's Starlette OAuth client for `cfg` (discovery is fetched once and cached)."""
    if cfg not in _clients:
        from authlib.integrations.starlette_client import OAuth

        oauth = OAuth()
        oauth.register(
            name="org", client_id=cfg.client_id, client_secret=cfg.client_secret or None,
            server_metadata_url=f"{cfg.issuer.rstrip('/')}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid", "code_challenge_method": "S256", "timeout": 10,
                           "token_endpoint_auth_method": "client_secret_basic" if cfg.client_secret else "none"})
        _clients[cfg] = oauth.create_client("org")
    return _clients[cfg]


# --------------------------------------------------------------------------- pages
def _page(request: Request, title: str, template: str, status: int = 200, **values: Any) -> Response:
    from .routes.common import render as render_page

    # never with the login line: these pages come before a session exists or after it ended
    values.setdefault("path", "/redaktion/logga-in")
    return render_page(None, template, status=status, title=title, **values)


def _refused_page(request: Request, refusal: Refusal) -> Response:
    resp = _page(request, "Inloggningen nekades", "oidc/refused.html", status=refusal.status, message=refusal.message,
                 local=local_login_enabled())
    resp.delete_cookie(STATE_COOKIE, path="/redaktion/oidc")
    return resp


# --------------------------------------------------------------------------- audit
def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _subject_text(subject: str) -> str:
    """The subject as the audit log and the account name show it: never a personnummer."""
    if looks_like_personnummer(subject) or not subject.isprintable() or len(subject) > 120:
        return "sha256:" + _digest(subject)[:24]
    return subject


def audit(s, actor: str, action: str, target: str, summary: str, reason: str | None = None) -> None:
    s.add(AuditEvent(at=utcnow(), actor=actor[:80], action=action, target=target[:200], summary=summary,
                     reason=reason))
    s.flush()


def audit_refusal(s, issuer: str, subject: str | None, reason: str) -> None:
    who = f"{issuer} {_subject_text(subject)}" if subject else issuer
    audit(s, "okänd" if not subject else account_name(issuer, subject), "inloggning.nekad", who,
          "inloggning via OpenID Connect nekades", reason)


def audit_logout(s, user: User, via_provider: bool) -> None:
    target = f"{user.issuer} {_subject_text(user.subject or '')}" if user.issuer else f"användare {user.name}"
    audit(s, user.name, "utloggning", target,
          "utloggad, även hos identitetsleverantören" if via_provider else "utloggad")


# --------------------------------------------------------------------------- accounts
def account_name(issuer: str, subject: str) -> str:
    """The name an account from (issuer, subject) has in the workspace: 'sso:' and the subject (a
    local name cannot contain ':'), or a hash when the subject is long or looks like a personnummer.
    Unique per (issuer, subject): the issuer's hash is added if the subject alone is taken."""
    text = _subject_text(subject)
    return f"sso:{text}" if len(text) <= 60 else "sso:" + _digest(f"{issuer}\n{subject}")[:32]


def _claim_values(value: Any) -> list[str]:
    if isinstance(value, str):  # one value, or several separated by spaces or commas
        return [value, *(v for v in value.replace(",", " ").split() if v != value)]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def role_from_claims(cfg: Settings, claims: dict) -> str | None:
    roles = {r for v in _claim_values(claims.get(cfg.roles_claim)) if (r := cfg.role_of(v))}
    return next((r for r in ROLE_ORDER if r in roles), None)


def _upsert_user(s, cfg: Settings, issuer: str, subject: str, role: str, kommun: str | None) -> User:
    user = s.scalar(select(User).where(User.issuer == issuer, User.subject == subject))
    if user is None:
        name = account_name(issuer, subject)
        if s.scalar(select(User).where(User.name == name)) is not None:
            name = "sso:" + _digest(f"{issuer}\n{subject}")[:32]
        user = User(name=name, password_hash="!oidc", role=role, kommun=kommun, active=True, created_at=utcnow(),
                    issuer=issuer, subject=subject)
        s.add(user)
        s.flush()
        audit(s, "system", "anvandare.skapad", f"användare {user.name}",
              f"från {issuer}: roll {views.ROLE_TEXT[role]}" + (f", kommun {kommun}" if kommun else ""))
    elif (user.role, user.kommun) != (role, kommun):
        audit(s, "system", "anvandare.roll", f"användare {user.name}",
              f"från {issuer}: roll {views.ROLE_TEXT.get(user.role, user.role)} → {views.ROLE_TEXT[role]}"
              + (f", kommun {kommun}" if kommun else ""))
        user.role, user.kommun = role, kommun
    return user


# --------------------------------------------------------------------------- login
def _safe_next(nasta: str) -> str:
    return nasta if nasta.startswith("/redaktion") and not nasta.startswith("//") and len(nasta) < 500 else "/redaktion"


def _begin(state: str, browser: str, nonce: str, verifier: str, nasta: str) -> None:
    from .routes.common import database

    with database() as s:
        s.execute(delete(OidcLogin).where(OidcLogin.expires_at < utcnow()))
        s.add(OidcLogin(state_hash=_digest(state), browser_hash=_digest(browser), nonce=nonce,
                        code_verifier=verifier, next_url=_safe_next(nasta),
                        expires_at=utcnow() + dt.timedelta(seconds=STATE_SECONDS)))


@router.get("/login")
async def oidc_login(request: Request, nasta: str = "/redaktion"):
    try:
        cfg = settings()
    except ConfigError as exc:
        return _page(request, "Inloggningen är felkonfigurerad", "oidc/refused.html", status=500, message=str(exc),
                     local=local_login_enabled())
    if cfg is None:
        return _page(request, "Finns inte", "oidc/refused.html", status=404, local=local_login_enabled(),
                     message="Inloggning med organisationskonto är inte inställd här.")
    try:
        oauth = client(cfg)
        metadata = await oauth.load_server_metadata()
        data = await oauth.create_authorization_url(cfg.redirect_uri)
    except Exception:  # noqa: BLE001 - discovery failed: the provider is away or answers nonsense
        return _page(request, "Inloggningen svarar inte", "oidc/refused.html", status=502, local=local_login_enabled(),
                     message="Organisationens inloggningstjänst svarar inte just nu. Försök igen om en stund.")
    if metadata.get("issuer") != cfg.issuer:  # OpenID Connect Discovery 1.0, section 4.3
        await run_in_threadpool(_record_refusal, cfg.issuer, None,
                                "utfärdaren i discovery-dokumentet är inte den inställda")
        return _page(request, "Inloggningen är felkonfigurerad", "oidc/refused.html", status=502,
                     local=local_login_enabled(),
                     message="Organisationens inloggningstjänst uppger en annan utfärdare än den inställda. "
                             "Be administratören kontrollera FORALDRASTOD_OIDC_ISSUER.")
    browser = secrets.token_urlsafe(32)
    await run_in_threadpool(_begin, data["state"], browser, data["nonce"], data["code_verifier"], nasta)
    resp = RedirectResponse(data["url"], status_code=303)
    resp.set_cookie(STATE_COOKIE, browser, httponly=True, samesite="lax", secure=_secure(request),
                    path="/redaktion/oidc", max_age=STATE_SECONDS)
    return resp


def _secure(request: Request) -> bool:
    from .routes.common import secure_cookies

    return secure_cookies(request)


def _take_login(state: str | None, browser: str | None) -> dict:
    """The login begun for `state`, used up now (a second use is refused); bound to this browser."""
    from .routes.common import database

    if not state:
        raise Refusal("Inloggningen saknar state. Börja om från inloggningssidan.", "state saknas")
    with database() as s:
        row = s.get(OidcLogin, _digest(state))
        if row is None:
            raise Refusal("Inloggningen är redan använd eller okänd. Börja om från inloggningssidan.",
                          "okänt eller redan använt state")
        taken = s.execute(delete(OidcLogin).where(OidcLogin.state_hash == row.state_hash)).rowcount
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.timezone.utc)
        data = {"nonce": row.nonce, "code_verifier": row.code_verifier, "next": row.next_url,
                "browser_hash": row.browser_hash, "expired": expires < utcnow(), "taken": taken == 1}
    if not data["taken"]:
        raise Refusal("Inloggningen är redan använd. Börja om från inloggningssidan.", "state användes två gånger")
    if data["expired"]:
        raise Refusal("Inloggningen tog för lång tid och har gått ut. Börja om från inloggningssidan.",
                      "state har gått ut")
    if not browser or not secrets.compare_digest(_digest(browser), data["browser_hash"]):
        raise Refusal("Inloggningen började i en annan webbläsare. Börja om från inloggningssidan.",
                      "state hör inte till den här webbläsaren")
    return data


def _header(id_token: str) -> dict:
    try:
        part = id_token.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except Exception:  # noqa: BLE001
        return {}


_CLAIM_REASONS = {
    "iss": ("Inloggningen kom från fel utfärdare och godtogs inte.", "fel utfärdare (iss)"),
    "aud": ("Inloggningen var avsedd för en annan tjänst och godtogs inte.", "fel mottagare (aud)"),
    "azp": ("Inloggningen var avsedd för en annan tjänst och godtogs inte.", "fel mottagare (azp)"),
    "nonce": ("Inloggningen hörde inte till den här inloggningen (nonce) och godtogs inte.", "nonce stämmer inte"),
    "exp": ("Inloggningsbeviset har gått ut. Börja om från inloggningssidan.", "ID-token har gått ut (exp)"),
    "iat": ("Inloggningsbeviset har ogiltig tid och godtogs inte.", "ID-token har ogiltig utfärdandetid (iat)"),
    "at_hash": ("Inloggningsbeviset hörde inte ihop med åtkomstbeviset och godtogs inte.", "at_hash stämmer inte"),
}


async def _id_claims(cfg: Settings, oauth, token: dict, nonce: str) -> dict:
    from joserfc.errors import ClaimError, ExpiredTokenError, JoseError

    id_token = token.get("id_token")
    if not id_token:
        raise Refusal("Identitetsleverantören skickade inget inloggningsbevis (ID-token).", "ID-token saknas")
    alg = str(_header(id_token).get("alg", ""))
    if alg not in SIGNING_ALGS:
        raise Refusal("Inloggningsbeviset var inte signerat på ett godtagbart sätt och godtogs inte.",
                      f"ID-token med otillåten algoritm {alg or '(ingen)'}"[:120])
    options = {"iss": {"essential": True, "values": [cfg.issuer]},
               "aud": {"essential": True, "values": [cfg.client_id]},
               "exp": {"essential": True}, "sub": {"essential": True}}
    try:
        claims = await oauth.parse_id_token(token, nonce=nonce, claims_options=options, leeway=60)
    except ClaimError as exc:
        name = "exp" if isinstance(exc, ExpiredTokenError) else str(getattr(exc, "claim", ""))
        message, reason = _CLAIM_REASONS.get(name, ("Inloggningsbeviset godtogs inte.", f"ogiltigt anspråk {name}"))
        raise Refusal(message, reason) from None
    except JoseError as exc:
        raise Refusal("Inloggningsbeviset hade en signatur som inte gick att kontrollera och godtogs inte.",
                      f"ogiltig signatur eller okänd nyckel ({exc.error})") from None
    except ValueError as exc:  # joserfc raises ValueError for some malformed tokens
        raise Refusal("Inloggningsbeviset gick inte att läsa och godtogs inte.", f"trasig ID-token ({exc})"[:200]) from None
    return dict(claims)


async def _with_userinfo(cfg: Settings, oauth, token: dict, claims: dict) -> dict:
    """The roles (and kommun) may be in the UserInfo answer instead of the ID token."""
    if cfg.roles_claim in claims:
        return claims
    metadata = await oauth.load_server_metadata()
    if not metadata.get("userinfo_endpoint") or not token.get("access_token"):
        return claims
    try:
        info = dict(await oauth.userinfo(token=token))
    except Exception:  # noqa: BLE001 - no roles then: refused as "no role"
        return claims
    if info.get("sub") != claims["sub"]:
        raise Refusal("Identitetsleverantören svarade om en annan person och inloggningen godtogs inte.",
                      "UserInfo gällde en annan sub")
    return {**info, **claims}


def _finish(cfg: Settings, claims: dict) -> tuple[str, str, str] | Refusal:
    """Account and session: (cookie token, role, account name), or the Refusal (already audited; a
    person whose role was removed loses their open sessions too)."""
    from . import auth
    from .routes.common import SESSION_HOURS, database

    issuer, subject = cfg.issuer, str(claims["sub"])
    role = role_from_claims(cfg, claims)
    with database() as s:
        existing = s.scalar(select(User).where(User.issuer == issuer, User.subject == subject))
        refusal = None
        kommun = None
        if role is None:
            refusal = Refusal("", f"ingen roll i anspråket {cfg.roles_claim}")
            if existing is not None:
                auth.end_user_sessions(s, existing.id)
        elif role == "samordnare":
            from . import store

            raw = claims.get(cfg.kommun_claim)
            raw = raw[0] if isinstance(raw, list) and raw else raw
            try:
                kommun = store._kommun_code(s, str(raw or ""))
            except store.Refused:
                refusal = Refusal("Du är samordnare men organisationen har inte angett någon känd kommun för dig. "
                                  "Be din organisations administratör för systemet att rätta det.",
                                  f"samordnare utan känd kommun i anspråket {cfg.kommun_claim}")
        if refusal is None and existing is not None and not existing.active:
            refusal = Refusal("Ditt konto i redaktionen är avstängt. Kontakta redaktionens administratör.",
                              "kontot är avstängt")
        if refusal is not None:
            audit_refusal(s, issuer, subject, refusal.reason)
            refusal.audited = True
            return refusal
        user = _upsert_user(s, cfg, issuer, subject, role, kommun)
        token, _csrf = auth.create_session(s, user, SESSION_HOURS)
        audit(s, user.name, "inloggning", f"{issuer} {_subject_text(subject)}",
              f"inloggad via OpenID Connect som {views.ROLE_TEXT[role]}" + (f", kommun {kommun}" if kommun else ""))
        return token, role, user.name


def _record_refusal(issuer: str, subject: str | None, reason: str) -> None:
    from .routes.common import database

    with database() as s:
        audit_refusal(s, issuer, subject, reason)


@router.get("/callback")
async def oidc_callback(request: Request):
    from .routes.common import SESSION_COOKIE, SESSION_HOURS

    cfg = settings()
    if cfg is None:
        return _page(request, "Finns inte", "oidc/refused.html", status=404, local=local_login_enabled(),
                     message="Inloggning med organisationskonto är inte inställd här.")
    q = request.query_params
    subject = None
    try:
        if q.get("error"):
            await run_in_threadpool(_take_login, q.get("state"), request.cookies.get(STATE_COOKIE))
            raise Refusal("Organisationens inloggning avbröts eller nekades. Försök igen eller kontakta din "
                          "organisations administratör.", f"leverantören svarade {q.get('error')}"[:120])
        begun = await run_in_threadpool(_take_login, q.get("state"), request.cookies.get(STATE_COOKIE))
        oauth = client(cfg)
        try:
            token = await oauth.fetch_access_token(redirect_uri=cfg.redirect_uri, code=q.get("code", ""),
                                                   code_verifier=begun["code_verifier"])
        except Exception as exc:  # noqa: BLE001 - the token endpoint refused the code (used, wrong verifier ...)
            raise Refusal("Organisationens inloggning godtog inte koden. Börja om från inloggningssidan.",
                          f"tokenanropet misslyckades ({type(exc).__name__})") from None
        claims = await _id_claims(cfg, oauth, token, begun["nonce"])
        subject = str(claims["sub"])
        claims = await _with_userinfo(cfg, oauth, token, claims)
        done = await run_in_threadpool(_finish, cfg, claims)
        if isinstance(done, Refusal):
            raise done
        session_token, _role, _name = done
    except Refusal as refusal:
        if not refusal.audited:
            await run_in_threadpool(_record_refusal, cfg.issuer, subject, refusal.reason)
        if not refusal.message:  # a person without a role: who to ask, and nothing else
            resp = _page(request, "Ingen behörighet", "oidc/no_role.html", status=403, path="")
            resp.delete_cookie(STATE_COOKIE, path="/redaktion/oidc")
            return resp
        return _refused_page(request, refusal)
    # a page of our own, not a redirect: the session cookie is SameSite=Strict, and a redirect chain
    # that began at the provider would not send it
    resp = _page(request, "Inloggad", "oidc/continue.html", nasta=begun["next"], path="",
                 headers={"Refresh": f"0; url={begun['next']}"})
    secure = _secure(request)
    resp.set_cookie(SESSION_COOKIE, session_token, httponly=True, samesite="strict", secure=secure,
                    path="/redaktion", max_age=SESSION_HOURS * 3600)
    resp.set_cookie(ID_TOKEN_COOKIE, token["id_token"], httponly=True, samesite="strict", secure=secure,
                    path="/redaktion", max_age=SESSION_HOURS * 3600)
    resp.delete_cookie(STATE_COOKIE, path="/redaktion/oidc")
    return resp


# --------------------------------------------------------------------------- logout
async def _logout_url(cfg: Settings, id_token: str | None) -> str | None:
    oauth = client(cfg)
    try:
        metadata = await oauth.load_server_metadata()
        if not metadata.get("end_session_endpoint"):
            return None
        result = await oauth.create_logout_url(
            post_logout_redirect_uri=f"{cfg.public_url}/redaktion/logga-in?utloggad=1",
            id_token_hint=id_token or None, client_id=cfg.client_id)
        return result["url"]
    except Exception:  # noqa: BLE001 - logged out here anyway
        return None


def logout_response(request: Request, s, user: User) -> Response:
    """Called by the workspace's POST /redaktion/logga-ut (a worker thread) after the session ended:
    audit, and for an account from the provider, log out there too (RP-initiated logout)."""
    import anyio.from_thread

    cfg = settings() if user.issuer else None
    url = None
    if cfg is not None and user.issuer == cfg.issuer:
        url = anyio.from_thread.run(_logout_url, cfg, request.cookies.get(ID_TOKEN_COOKIE))
    audit_logout(s, user, via_provider=url is not None)
    if url:  # a page, not a redirect: the CSP's form-action 'self' would stop a redirect off-site
        resp = _page(request, "Loggar ut", "oidc/logout.html", url=url, path="", headers={"Refresh": f"0; url={url}"})
    else:
        resp = RedirectResponse("/redaktion/logga-in?utloggad=1", status_code=303)
    resp.delete_cookie(ID_TOKEN_COOKIE, path="/redaktion")
    return resp


def local_login_refused(request: Request) -> Response:
    """POST /redaktion/logga-in while FORALDRASTOD_LOCAL_LOGIN=off (audited, no typed name logged)."""
    from .routes.common import database

    with database() as s:
        audit(s, "okänd", "inloggning.nekad", "lokal inloggning", "lösenordsinloggning försökt",
              "lokal inloggning är avstängd (FORALDRASTOD_LOCAL_LOGIN=off)")
    return _page(request, "Inloggningen nekades", "oidc/refused.html", status=403, local=False,
                 message="Inloggning med lösenord är avstängd här. Logga in med ditt organisationskonto.")
