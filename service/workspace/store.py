"""The workspace store: every change to the rule pack goes through these functions.

Each function takes a SQLAlchemy Session first, enforces roles itself and writes the audit
trail. Messages are Swedish (shown by the command line and the /redaktion pages).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from .models import AuditEvent, Draft, PackVersion, User


class Refused(Exception):
    """An action the user may not take, or that fails a check. `message` is Swedish."""

    status = 403

    def __init__(self, message: str, details: list[str] | None = None):
        self.message = message
        self.details = details or []
        super().__init__(message)


class NotFound(Refused):
    status = 404


class Conflict(Refused):
    """Someone else saved the draft first."""

    status = 409


class CheckFailed(Refused):
    """Validation, lint or a Gherkin feature failed on the draft."""

    status = 422


def ensure_seeded(s: Session, pack_dir: Path | None = None) -> PackVersion:
    raise NotImplementedError


def add_user(s: Session, name: str, role: str, password: str, kommun: str | None = None, actor: str = "system") -> User:
    raise NotImplementedError


def authenticate(s: Session, name: str, password: str, client: str) -> User | None:
    raise NotImplementedError


def require_role(user: User, *roles: str) -> None:
    raise NotImplementedError


def current_version(s: Session) -> PackVersion:
    raise NotImplementedError


def versions(s: Session) -> list[PackVersion]:
    raise NotImplementedError


def get_version(s: Session, number_or_version: str) -> PackVersion:
    raise NotImplementedError


def create_draft(s: Session, user: User, reason: str, kind: str = "regler", kommun: str | None = None) -> Draft:
    raise NotImplementedError


def import_draft(s: Session, directory: Path, user: User, reason: str) -> Draft:
    raise NotImplementedError


def save_file(s: Session, draft_id: int, path: str, text: str, user: User, expected_revision: int) -> int:
    raise NotImplementedError


def draft_dir(s: Session, draft_id: int) -> Path:
    raise NotImplementedError


def submit(s: Session, draft_id: int, user: User, reason: str) -> Draft:
    raise NotImplementedError


def send_back(s: Session, draft_id: int, user: User, comment: str) -> Draft:
    raise NotImplementedError


def approve(s: Session, draft_id: int, user: User) -> PackVersion:
    raise NotImplementedError


def publish(s: Session, version: str, user: User, reason: str) -> PackVersion:
    raise NotImplementedError


def export(s: Session, version: str, directory: Path) -> Path:
    raise NotImplementedError


def audit(s: Session, limit: int | None = None) -> list[AuditEvent]:
    raise NotImplementedError


def report_availability(s: Session, user: User, kommun: str, entries: list[dict]) -> Draft:
    raise NotImplementedError
