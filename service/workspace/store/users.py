"""Accounts: adding users, activating, passwords, and logging in with throttling of failed attempts
(audited, never the typed name of an unknown account)."""
from __future__ import annotations

import datetime as dt
import hashlib
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import looks_like_personnummer

from .. import auth
from ..models import LoginAttempt, ROLES, User, utcnow
from .base import (ROLE_TITLES, THROTTLE_PER_CLIENT, THROTTLE_PER_NAME, THROTTLE_WINDOW, UNKNOWN_ACCOUNT, _audit,
                   _aware, Conflict, Invalid, NotFound, Refused, require_role, Throttled)
from .versions import _current_pack


# --------------------------------------------------------------------------- users
_NAME_RE = re.compile(r"^[A-Za-z0-9åäöÅÄÖ][A-Za-z0-9åäöÅÄÖ._@-]{1,79}$")


def _kommun_code(s: Session, kommun: str) -> str:
    """A kommun name or code from the current pack as its code, or Invalid."""
    pack = _current_pack(s)
    code = pack.resolve_kommun(kommun) if kommun else None
    if code is None:
        names = ", ".join(k.name for k in pack.kommuner.values())
        raise Invalid(f"Okänd kommun: {kommun}. Kommuner i regelpaketet: {names}.")
    return code


def add_user(s: Session, name: str, role: str, password: str, kommun: str | None = None,
             actor: str | User = "system") -> User:
    """A new account. `actor` is a User (must be admin) from the web, or a name the CLI trusts."""
    if isinstance(actor, User):
        require_role(actor, "admin")
        actor_name = actor.name
    else:
        actor_name = actor
    name = (name or "").strip()
    if not _NAME_RE.match(name) or looks_like_personnummer(name):
        raise Invalid("Användarnamnet ska vara 2–80 tecken: bokstäver, siffror, punkt, bindestreck, @ eller understreck.")
    if role not in ROLES:
        raise Invalid(f"Okänd roll {role}. Roller: {', '.join(ROLES)}.")
    if role == "samordnare":
        if not kommun:
            raise Invalid("En samordnare hör till en kommun: ange --kommun med kommunkod eller namn.")
        kommun = _kommun_code(s, kommun)
    elif kommun:
        raise Invalid("Bara en samordnare hör till en kommun; ta bort --kommun.")
    if len(password or "") < auth.MIN_PASSWORD:
        raise Invalid(f"Lösenordet ska ha minst {auth.MIN_PASSWORD} tecken.")
    if s.scalar(select(User).where(User.name == name)) is not None:
        raise Conflict(f"Användaren {name} finns redan.")
    user = User(name=name, password_hash=auth.hash_password(password), role=role, kommun=kommun,
                active=True, created_at=utcnow())
    s.add(user)
    s.flush()
    _audit(s, actor_name, "anvandare.skapad", f"användare {name}",
           f"roll {ROLE_TITLES[role]}" + (f", kommun {kommun}" if kommun else ""))
    return user


def get_user(s: Session, name: str) -> User:
    user = s.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"Användaren {name} finns inte.")
    return user


def active_user(s: Session, name: str) -> User:
    """The CLI's operator NAME: must exist and be active (the CLI trusts the name, not the role)."""
    user = get_user(s, name)
    if not user.active:
        raise Refused(f"Kontot {name} är avstängt.")
    return user


def users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.name)))


def set_active(s: Session, name: str, active: bool, actor: User) -> User:
    require_role(actor, "admin")
    user = get_user(s, name)
    if user.id == actor.id and not active:
        raise Refused("Du kan inte stänga av ditt eget konto.")
    user.active = active
    if not active:
        auth.end_user_sessions(s, user.id)
    _audit(s, actor.name, "anvandare.aktiverad" if active else "anvandare.avstangd", f"användare {name}",
           "kontot kan logga in" if active else "kontot kan inte logga in")
    return user


def set_password(s: Session, name: str, password: str, actor: User) -> None:
    if actor.name != name:
        require_role(actor, "admin")
    if len(password or "") < auth.MIN_PASSWORD:
        raise Invalid(f"Lösenordet ska ha minst {auth.MIN_PASSWORD} tecken.")
    user = get_user(s, name)
    user.password_hash = auth.hash_password(password)
    auth.end_user_sessions(s, user.id)
    _audit(s, actor.name, "anvandare.losenord", f"användare {name}", "nytt lösenord")


def _safe_login_name(name: str) -> str:
    name = (name or "").strip()[:80]
    return name if name and not looks_like_personnummer(name) else "(ogiltigt namn)"


def _attempt_key(name: str, user: User | None) -> str:
    """What the throttle counts failures under: an account's name, or for a name no account has,
    a digest of it (the typed text, perhaps a password or a personnummer, is never stored)."""
    if user is not None:
        return user.name
    return "?" + hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:40]


def authenticate(s: Session, name: str, password: str, client: str) -> User | None:
    """The user when name and password match an active account, else None (audited).

    Raises Throttled after THROTTLE_PER_NAME failures for the account, or THROTTLE_PER_CLIENT
    for the client, within THROTTLE_WINDOW: no password is checked then."""
    login = _safe_login_name(name)
    client = (client or "okänd")[:80]
    user = s.scalar(select(User).where(User.name == login))
    key = _attempt_key(login, user)
    who = user.name if user is not None else UNKNOWN_ACCOUNT  # what the audit log may say
    since = utcnow() - THROTTLE_WINDOW
    by_name = s.scalar(select(func.count()).select_from(LoginAttempt)
                       .where(LoginAttempt.name == key, LoginAttempt.at >= since)) or 0
    by_client = s.scalar(select(func.count()).select_from(LoginAttempt)
                         .where(LoginAttempt.client == client, LoginAttempt.at >= since)) or 0
    if by_name >= THROTTLE_PER_NAME or by_client >= THROTTLE_PER_CLIENT:
        oldest = s.scalar(select(func.min(LoginAttempt.at)).where(
            (LoginAttempt.name == key) | (LoginAttempt.client == client), LoginAttempt.at >= since))
        wait = (_aware(oldest) + THROTTLE_WINDOW - utcnow()).total_seconds() if oldest else THROTTLE_WINDOW.seconds
        _audit(s, who, "inloggning.sparrad", f"användare {who}",
               f"för många misslyckade inloggningar de senaste {THROTTLE_WINDOW.seconds // 60} minuterna")
        minutes = max(1, -(-int(wait) // 60))
        raise Throttled(f"För många misslyckade inloggningar. Försök igen om {minutes} "
                        f"{'minut' if minutes == 1 else 'minuter'}.", retry_after=int(wait) + 1)
    if user is None:
        auth.burn_time(password or "")
        ok = False
    else:
        # an account from single sign-on never logs in with a password (its role comes from the provider)
        ok = auth.verify_password(user.password_hash, password or "") and user.active and not user.issuer
    if not ok:
        s.add(LoginAttempt(name=key, client=client, at=utcnow()))
        _audit(s, who, "inloggning.misslyckad", f"användare {who}",
               "fel användarnamn eller lösenord" if user is None or user.active else "kontot är avstängt")
        return None
    s.execute(LoginAttempt.__table__.delete().where(
        (LoginAttempt.name == key) | (LoginAttempt.at < utcnow() - dt.timedelta(days=1))))
    if auth.needs_rehash(user.password_hash):
        user.password_hash = auth.hash_password(password)
    _audit(s, user.name, "inloggning", f"användare {user.name}", "inloggad")
    return user
