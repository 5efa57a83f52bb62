"""Database tables of the workspace (SQLAlchemy 2 typed models).

Nothing about a family is ever stored here: only pack files, accounts, drafts, versions,
sessions, login throttling, the audit trail, and the follow-up rounds (a kommun's answers about
its organisation).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("redaktor", "granskare", "samordnare", "admin")
DRAFT_KINDS = ("regler", "tillganglighet")
DRAFT_STATUSES = ("utkast", "inskickad", "aterskickad", "publicerad")
ROUND_STATUSES = ("ej_paborjad", "paborjad", "inskickad", "godkand")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "ws_user"
    __table_args__ = (Index("ix_ws_user_issuer_subject", "issuer", "subject", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    kommun: Mapped[str | None] = mapped_column(String(8), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # an account from OpenID Connect is the pair (issuer, subject); both NULL for a local account
    issuer: Mapped[str | None] = mapped_column(String(255), default=None)
    subject: Mapped[str | None] = mapped_column(String(255), default=None)


class PackVersion(Base):
    __tablename__ = "ws_pack_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    version: Mapped[str] = mapped_column(String(120))
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(80))
    approver: Mapped[str | None] = mapped_column(String(80), default=None)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class Serving(Base):
    """One row (id=1): the version every server serves now."""

    __tablename__ = "ws_serving"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("ws_pack_version.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Draft(Base):
    __tablename__ = "ws_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_version_id: Mapped[int] = mapped_column(ForeignKey("ws_pack_version.id"))
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), default="regler")
    kommun: Mapped[str | None] = mapped_column(String(8), default=None)
    status: Mapped[str] = mapped_column(String(20), default="utkast")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    review_comment: Mapped[str | None] = mapped_column(Text, default=None)
    published_version_id: Mapped[int | None] = mapped_column(ForeignKey("ws_pack_version.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEvent(Base):
    """Append-only: the store has no update or delete path; PostgreSQL and SQLite triggers refuse both."""

    __tablename__ = "ws_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text, default=None)


class LoginAttempt(Base):
    """Failed logins per account name and per client, for throttling."""

    __tablename__ = "ws_login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    client: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class WebSession(Base):
    __tablename__ = "ws_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ws_user.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OidcLogin(Base):
    """A login begun at the provider and not yet back: single use, short-lived, bound to the browser."""

    __tablename__ = "ws_oidc_login"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_url: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Round(Base):
    """A follow-up round (uppföljningsomgång), e.g. "Uppföljning 2026": one per period. The
    questions are the pack's (uppfoljning.yaml) as they were when the round was opened."""

    __tablename__ = "ws_omgang"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(4), unique=True)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    opened_by: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(80), default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    pack_version: Mapped[str] = mapped_column(String(120))
    questions: Mapped[list[dict]] = mapped_column(JSON)


class RoundKommun(Base):
    """One kommun in a round: its status and when each step happened, and the kommun's
    availability report (a draft of kind tillganglighet) made for the round."""

    __tablename__ = "ws_omgang_kommun"

    round_id: Mapped[int] = mapped_column(ForeignKey("ws_omgang.id"), primary_key=True)
    kommunkod: Mapped[str] = mapped_column(String(8), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="ej_paborjad")
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    submitted_by: Mapped[str | None] = mapped_column(String(80), default=None)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    approved_by: Mapped[str | None] = mapped_column(String(80), default=None)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("ws_draft.id"), default=None)


class RoundAnswer(Base):
    """A kommun's answer to one question of a round: about the organisation, never a family."""

    __tablename__ = "ws_omgang_svar"

    round_id: Mapped[int] = mapped_column(ForeignKey("ws_omgang.id"), primary_key=True)
    kommunkod: Mapped[str] = mapped_column(String(8), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(String(1000))
    answered_by: Mapped[str] = mapped_column(String(80))
    answered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def identity(user: User) -> tuple[str, str]:
    """Who a user is, for four eyes: (issuer, subject), or ('lokal', name) for a local account."""
    return (user.issuer, user.subject) if user.issuer else ("lokal", user.name)
