"""What the store's parts share: the refusals (`Refused` and its kinds, each with an HTTP status),
the audit row, role checks and the constants."""
from __future__ import annotations

import datetime as dt
import difflib

from sqlalchemy.orm import Session

from engine.models import looks_like_personnummer

from ..models import AuditEvent, User, utcnow


ROLE_TITLES = {"redaktor": "redaktör", "granskare": "granskare", "samordnare": "samordnare", "admin": "administratör"}
EDITORS = ("redaktor", "granskare")
OPEN = ("utkast", "aterskickad")
AVAILABILITY_FILE = "tillganglighet-kommuner.yaml"


# what a draft of each kind may change (None: any file). A kommun's report changes the kommuner's
# own availability file and nothing else, whoever edits it (issue 18: a redaktör could slip a
# county-wide rule change into a samordnare's report).
KIND_PATHS: dict[str, tuple[str, ...] | None] = {"regler": None, "tillganglighet": (AVAILABILITY_FILE,)}
UNKNOWN_ACCOUNT = "okänt konto"  # a failed login for a name no account has: never the typed text
THROTTLE_WINDOW = dt.timedelta(minutes=15)
THROTTLE_PER_NAME = 5
THROTTLE_PER_CLIENT = 20


# --------------------------------------------------------------------------- errors
class Refused(Exception):
    """An action the user may not take, or that fails a check. `message` is Swedish.

    `status` is the HTTP status the web workspace answers with."""

    status = 403

    def __init__(self, message: str, details: list[str] | None = None):
        self.message = message
        self.details = list(details or [])
        super().__init__(message)

    def __str__(self) -> str:
        return "\n".join([self.message, *self.details])


class NotFound(Refused):
    status = 404


class Invalid(Refused):
    """Bad input (name, path, text, entry)."""

    status = 422


class Conflict(Refused):
    """Someone else saved the draft first, or the draft is not in a state that allows this."""

    status = 409


class CheckFailed(Refused):
    """Validation, lint or a Gherkin feature failed on the draft."""

    status = 422


class Throttled(Refused):
    """Too many failed logins for this account or client; `retry_after` seconds until the next try."""

    status = 429

    def __init__(self, message: str, retry_after: int = 60):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


# --------------------------------------------------------------------------- helpers
def _aware(t: dt.datetime | None) -> dt.datetime | None:
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _text(field_name: str, text: str | None, required: bool = True, max_len: int = 2000) -> str:
    """A reason or comment: required, bounded, and never a personnummer."""
    text = (text or "").strip()
    if required and not text:
        raise Invalid(f"Ange {field_name}.")
    if len(text) > max_len:
        raise Invalid(f"{field_name.capitalize()} får vara högst {max_len} tecken.")
    if looks_like_personnummer(text):
        raise Invalid(f"{field_name.capitalize()} ser ut att innehålla ett personnummer. "
                      "Skriv aldrig uppgifter om en familj eller person här.")
    return text


def _audit(s: Session, actor: str, action: str, target: str, summary: str, reason: str | None = None) -> AuditEvent:
    event = AuditEvent(at=utcnow(), actor=actor[:80], action=action, target=target[:200],
                       summary=summary, reason=reason)
    s.add(event)
    s.flush()
    return event


def diff_summary(old: dict[str, str], new: dict[str, str]) -> str:
    """'regler/04-selektiv.yaml: +3 −1 rader; ny fil x.yaml' (Swedish, one line)."""
    parts: list[str] = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if a == b:
            continue
        if a is None:
            n = len(b.splitlines())
            parts.append(f"ny fil {path} ({n} {'rad' if n == 1 else 'rader'})")
        elif b is None:
            parts.append(f"borttagen fil {path}")
        else:
            added = removed = 0
            for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0):
                if line.startswith("+") and not line.startswith("+++"):
                    added += 1
                elif line.startswith("-") and not line.startswith("---"):
                    removed += 1
            parts.append(f"{path}: +{added} −{removed} {'rad' if added + removed == 1 else 'rader'}")
    return "; ".join(parts) or "inga ändringar i filerna"


def changed_paths(old: dict[str, str], new: dict[str, str]) -> list[str]:
    return sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))


def require_role(user: User | None, *roles: str) -> None:
    """Raise Refused (Swedish) unless `user` is active and has one of `roles`."""
    if user is None or not user.active:
        raise Refused("Du är inte inloggad med ett aktivt konto.")
    if user.role not in roles:
        wanted = " eller ".join(ROLE_TITLES[r] for r in roles)
        raise Refused(f"Det här kräver rollen {wanted}; {user.name} är {ROLE_TITLES.get(user.role, user.role)}.")
