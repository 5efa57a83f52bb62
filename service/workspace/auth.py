"""Passwords (argon2) and web sessions (token in an HttpOnly cookie; only its SHA-256 is stored)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import User, WebSession, utcnow

SESSION_HOURS = 8
MIN_PASSWORD = 12

_hasher = PasswordHasher()  # argon2id, the library's current recommended parameters
# verified against when the account does not exist, so a wrong name takes as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)  # SQLite drops the zone


def create_session(s: Session, user: User, hours: int = SESSION_HOURS) -> tuple[str, str]:
    """A new session for `user`: (token for the cookie, CSRF token for the forms)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    s.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    s.add(WebSession(token_hash=_digest(token), user_id=user.id, csrf_token=csrf,
                     expires_at=utcnow() + dt.timedelta(hours=hours)))
    s.flush()
    return token, csrf


def session_user(s: Session, token: str | None) -> tuple[User, WebSession] | None:
    """The active user and session behind a cookie token, or None (unknown, expired, inactive)."""
    if not token or len(token) > 200:
        return None
    ws = s.get(WebSession, _digest(token))
    if ws is None or _aware(ws.expires_at) < utcnow():
        return None
    user = s.get(User, ws.user_id)
    if user is None or not user.active:
        return None
    return user, ws


def csrf_ok(ws: WebSession, submitted: str | None) -> bool:
    return bool(submitted) and secrets.compare_digest(ws.csrf_token, submitted)


def end_session(s: Session, token: str | None) -> None:
    if token:
        s.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def end_user_sessions(s: Session, user_id: int) -> None:
    s.execute(delete(WebSession).where(WebSession.user_id == user_id))


def active_sessions(s: Session) -> int:
    return len(s.scalars(select(WebSession.token_hash).where(WebSession.expires_at >= utcnow())).all())
