"""The workspace store: every change to the rule pack goes through these functions.

Each function takes a SQLAlchemy Session first, enforces roles itself and writes the audit
trail; the caller commits (db.session_scope). Messages are Swedish (shown by the command line
and the /redaktion pages). Nothing about a family is ever stored: only pack files, accounts,
drafts, versions and who did what to them.

Roles: redaktor (drafts of anything), granskare (drafts, approves and publishes, never a draft
they wrote or edited), samordnare (their own kommun's availability only), admin (accounts).
"""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import DEFAULT_PACK, CompileError, PackInvalid, compile_pack, load_pack
from engine.models import looks_like_personnummer

from . import auth, featurefiles, packfiles
from .models import DRAFT_KINDS, ROLES, AuditEvent, Draft, LoginAttempt, PackVersion, Serving, User, utcnow

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


# --------------------------------------------------------------------------- versions
def _next_number(s: Session) -> int:
    return (s.scalar(select(func.max(PackVersion.number))) or 0) + 1


def _serving(s: Session, lock: bool = False) -> Serving | None:
    q = select(Serving).where(Serving.id == 1)
    if lock:
        q = q.with_for_update()
    return s.scalar(q)


def ensure_seeded(s: Session, pack_dir: Path | None = None) -> PackVersion:
    """An empty database gets the embedded pack (rules/orebro-lan) as version 1, current, with
    the repository's Gherkin features (features/*.feature) unless the pack directory has its own."""
    serving = _serving(s)
    if serving is not None:
        return s.get(PackVersion, serving.version_id)
    pack_dir = Path(pack_dir) if pack_dir else DEFAULT_PACK
    files = packfiles.read_dir(pack_dir)
    if not featurefiles.of(files):
        files.update(featurefiles.repository())
    try:
        version = packfiles.version_of(files)
    except PackInvalid as exc:
        raise CheckFailed(f"Regelpaketet i {pack_dir} är ogiltigt och kan inte bli version 1.",
                          [str(e) for e in exc.errors]) from None
    now = utcnow()
    try:
        with s.begin_nested():
            pv = PackVersion(number=1, version=version, files=files, author="system", approver=None,
                             reason=f"Det inbäddade regelpaketet ({pack_dir.name}) vid första start",
                             created_at=now, published_at=now)
            s.add(pv)
            s.flush()
            s.add(Serving(id=1, version_id=pv.id, changed_at=now))
            s.flush()
            _audit(s, "system", "version.forsta", f"version 1 ({version})",
                   f"{len(files)} filer från {pack_dir.name}, varav {len(featurefiles.of(files))} beteendetester")
    except IntegrityError:  # another worker seeded at the same moment
        serving = _serving(s)
        if serving is None:
            raise
        return s.get(PackVersion, serving.version_id)
    return pv


def current_version(s: Session) -> PackVersion:
    serving = _serving(s)
    if serving is None:
        raise NotFound("Databasen har ingen publicerad version ännu (starta tjänsten eller kör "
                       "`foraldrastod db upgrade` och ett `pack`-kommando).")
    return s.get(PackVersion, serving.version_id)


def current_token(s: Session) -> str | None:
    """'<number>:<version>' of the current version in one small query (for DatabaseSource)."""
    row = s.execute(
        select(PackVersion.number, PackVersion.version)
        .join(Serving, Serving.version_id == PackVersion.id)
        .where(Serving.id == 1)
    ).first()
    return f"{row[0]}:{row[1]}" if row else None


def versions(s: Session) -> list[PackVersion]:
    """Every published version, newest first."""
    return list(s.scalars(select(PackVersion).order_by(PackVersion.number.desc())))


def get_version(s: Session, number_or_version: str | int) -> PackVersion:
    """By number ('3', 3, 'v3') or by the engine's version string ('2024.1+abcdef123456')."""
    key = str(number_or_version).strip()
    m = re.fullmatch(r"[vV]?(\d+)", key)
    pv = None
    if m:
        pv = s.scalar(select(PackVersion).where(PackVersion.number == int(m.group(1))))
    if pv is None:
        pv = s.scalar(select(PackVersion).where(PackVersion.version == key).order_by(PackVersion.number.desc()))
    if pv is None:
        raise NotFound(f"Versionen {key} finns inte. Se `foraldrastod pack versions`.")
    return pv


def version_info(pv: PackVersion, current_id: int | None) -> dict[str, Any]:
    return {
        "number": pv.number,
        "version": pv.version,
        "author": pv.author,
        "approver": pv.approver,
        "reason": pv.reason,
        "created_at": _aware(pv.created_at).isoformat(),
        "published_at": _aware(pv.published_at).isoformat() if pv.published_at else None,
        "current": pv.id == current_id,
    }


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


def may_change_path(draft: Draft, path: str) -> bool:
    """Whether a draft of this kind may change `path` at all (roles aside)."""
    allowed = KIND_PATHS.get(draft.kind, ())
    return allowed is None or path in allowed


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


# --------------------------------------------------------------------------- drafts
def get_draft(s: Session, draft_id: int | str) -> Draft:
    try:
        key = int(draft_id)
    except (TypeError, ValueError):
        raise NotFound(f"Utkastet {draft_id} finns inte.") from None
    draft = s.get(Draft, key)
    if draft is None:
        raise NotFound(f"Utkastet {draft_id} finns inte.")
    return draft


def drafts(s: Session, user: User | None = None, statuses: tuple[str, ...] | None = None) -> list[Draft]:
    """Drafts newest first; a samordnare sees only their own kommun's."""
    q = select(Draft).order_by(Draft.id.desc())
    if statuses:
        q = q.where(Draft.status.in_(statuses))
    if user is not None and user.role == "samordnare":
        q = q.where(Draft.kind == "tillganglighet", Draft.kommun == user.kommun)
    return list(s.scalars(q))


def _may_edit(user: User, draft: Draft) -> None:
    """Refused unless `user` may change `draft` now."""
    if draft.kind == "tillganglighet" and user.role == "samordnare":
        if user.kommun != draft.kommun:
            raise Refused(f"Du är samordnare för kommun {user.kommun} och kan inte ändra kommun {draft.kommun}.")
    else:
        require_role(user, *EDITORS)
    if draft.status not in OPEN:
        raise Conflict(f"Utkast {draft.id} är {draft.status} och kan inte ändras.")


def may_view(user: User, draft: Draft) -> bool:
    if user.role == "samordnare":
        return draft.kind == "tillganglighet" and draft.kommun == user.kommun
    return user.role in ("redaktor", "granskare")


def create_draft(s: Session, user: User, reason: str = "", kind: str = "regler", kommun: str | None = None) -> Draft:
    """A new draft: a copy of the current version's files."""
    if kind not in DRAFT_KINDS:
        raise Invalid(f"Okänd sorts utkast {kind}.")
    if kind == "tillganglighet":
        if user.role == "samordnare":
            code = _kommun_code(s, kommun) if kommun else user.kommun
            if code != user.kommun:
                raise Refused(f"Du är samordnare för kommun {user.kommun} och kan inte rapportera för kommun {code}.")
        else:
            require_role(user, *EDITORS)
            if not kommun:
                raise Invalid("Ange kommunen som tillgängligheten gäller.")
            code = _kommun_code(s, kommun)
    else:
        require_role(user, *EDITORS)
        code = None
    reason = _text("en anledning", reason, required=False)
    base = ensure_seeded(s)
    now = utcnow()
    draft = Draft(base_version_id=base.id, files=dict(base.files), author=user.name, reason=reason,
                  kind=kind, kommun=code, status="utkast", revision=1, created_at=now, updated_at=now)
    s.add(draft)
    s.flush()
    _audit(s, user.name, "utkast.skapat", f"utkast {draft.id}",
           f"från version {base.number}" + (f", tillgänglighet för kommun {code}" if code else ""), reason or None)
    return draft


def import_draft(s: Session, directory: Path, user: User, reason: str) -> Draft:
    """A draft from a pack directory, submitted for review with `reason`."""
    require_role(user, *EDITORS)
    reason = _text("en anledning", reason)
    try:
        files = packfiles.read_dir(Path(directory))
    except packfiles.FilesInvalid as exc:
        raise Invalid(str(exc)) from None
    base = ensure_seeded(s)
    carried = not featurefiles.of(files)
    if carried:  # a pack without features/ keeps the behaviour tests of the version it changes
        files.update(featurefiles.of(base.files))
    now = utcnow()
    draft = Draft(base_version_id=base.id, files=files, author=user.name, reason=reason, kind="regler",
                  kommun=None, status="inskickad", revision=1, created_at=now, updated_at=now)
    s.add(draft)
    s.flush()
    _audit(s, user.name, "utkast.importerat", f"utkast {draft.id}",
           f"från {Path(directory).name}, jämfört med version {base.number}: {diff_summary(base.files, files)}"
           + (f"; beteendetesterna från version {base.number}" if carried else ""), reason)
    return draft


def _write_files(s: Session, draft: Draft, files: dict[str, str], expected_revision: int | None) -> int:
    """Store new files for the draft if nobody saved since `expected_revision`; the new revision."""
    expected = draft.revision if expected_revision is None else int(expected_revision)
    new_revision = expected + 1
    result = s.execute(
        update(Draft)
        .where(Draft.id == draft.id, Draft.revision == expected)
        .values(files=files, revision=new_revision, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        s.refresh(draft)
        raise Conflict(
            f"Någon annan har sparat utkast {draft.id} sedan du öppnade det (nu revision {draft.revision}, "
            f"du utgick från {expected}). Din text är inte sparad: kopiera den, öppna utkastet igen och för in "
            "dina ändringar."
        )
    s.refresh(draft)
    return new_revision


def save_file(s: Session, draft_id: int, path: str, text: str | None, user: User, expected_revision: int) -> int:
    """Save one file of a draft (text None removes it); the draft's new revision, or Conflict."""
    draft = get_draft(s, draft_id)
    _may_edit(user, draft)
    if user.role == "samordnare":
        raise Refused("En samordnare ändrar tillgängligheten i formuläret för kartläggning, inte filerna.")
    if not may_change_path(draft, path):
        raise Refused(f"Utkast {draft.id} är en kommuns kartläggning: i det får bara {AVAILABILITY_FILE} ändras, "
                      f"inte {path}. Skapa ett eget utkast för regelpaketet.")
    try:
        path = packfiles.check_path(path)
        if text is not None:
            packfiles.check_text(path, text)
    except packfiles.FilesInvalid as exc:
        raise Invalid(str(exc)) from None
    if text is not None and looks_like_personnummer(text):
        raise Invalid(f"{path}: texten ser ut att innehålla ett personnummer. Uppgifter om en familj eller "
                      "person hör aldrig hemma i regelpaketet.")
    if text is not None and featurefiles.is_feature(path):
        problems = featurefiles.syntax_problems(text) or featurefiles.tag_problems(text, draft.files)
        if problems:
            raise Invalid(f"{path} sparades inte: texten är inte giltig Gherkin.", [str(p) for p in problems])
    old = dict(draft.files)
    files = dict(old)
    if text is None:
        if path not in files:
            raise NotFound(f"{path} finns inte i utkast {draft.id}.")
        del files[path]
    else:
        files[path] = text
    revision = _write_files(s, draft, files, expected_revision)
    _audit(s, user.name, "utkast.sparat", f"utkast {draft.id}", diff_summary(old, files))
    return revision


def draft_dir(s: Session, draft_id: int) -> Path:
    """The draft's files in a directory (cached per revision under the system temp dir)."""
    draft = get_draft(s, draft_id)
    digest = hashlib.sha256(json.dumps(draft.files, sort_keys=True).encode()).hexdigest()[:16]
    root = Path(tempfile.gettempdir()) / f"foraldrastod-drafts-{os.getuid()}"  # per user, mode 700
    root.mkdir(mode=0o700, exist_ok=True)
    target = root / f"{draft.id}-{draft.revision}-{digest}"
    if not target.is_dir():
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
        packfiles.write_dir(draft.files, tmp)
        try:
            tmp.rename(target)
        except OSError:  # another process wrote the same revision first
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def submit(s: Session, draft_id: int, user: User, reason: str) -> Draft:
    draft = get_draft(s, draft_id)
    _may_edit(user, draft)
    note = _text("en anledning", reason)
    if not draft.reason:
        draft.reason = note  # a draft without a reason of its own takes the submit text
    draft.status = "inskickad"
    draft.updated_at = utcnow()
    base = s.get(PackVersion, draft.base_version_id)
    _audit(s, user.name, "utkast.inskickat", f"utkast {draft.id}",
           f"mot version {base.number}: {diff_summary(base.files, draft.files)}", note)
    return draft


def submit_note(s: Session, draft: Draft) -> str | None:
    """What the author wrote when submitting the draft the last time (the audit's reason)."""
    return s.scalar(select(AuditEvent.reason).where(AuditEvent.target == f"utkast {draft.id}",
                                                    AuditEvent.action == "utkast.inskickat")
                    .order_by(AuditEvent.id.desc()).limit(1))


def send_back(s: Session, draft_id: int, user: User, comment: str) -> Draft:
    require_role(user, "granskare")
    draft = get_draft(s, draft_id)
    if draft.status != "inskickad":
        raise Conflict(f"Utkast {draft.id} är {draft.status}, inte inskickat för granskning.")
    draft.review_comment = _text("en kommentar", comment)
    draft.status = "aterskickad"
    draft.updated_at = utcnow()
    _audit(s, user.name, "utkast.aterskickat", f"utkast {draft.id}", "skickat tillbaka till författaren",
           draft.review_comment)
    return draft


# --------------------------------------------------------------------------- checks
@dataclass
class CheckReport:
    version: str | None = None
    problems: list[str] = field(default_factory=list)
    scenarios_passed: int = 0
    scenarios_failed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_files(files: dict[str, str], features: bool = True) -> CheckReport:
    """What approval requires: the pack loads (validation), compiles, has no lint warning, and
    every one of its own Gherkin features parses and passes against it."""
    from engine.lint import lint_pack

    from .checks import run_features

    report = CheckReport()
    with packfiles.TempPack(files) as d:
        try:
            pack = load_pack(d)
        except PackInvalid as exc:
            report.problems += [f"valideringsfel: {e}" for e in exc.errors]
            return report
        report.problems += [f"beteendetest: {p}" for p in featurefiles.file_problems(files)]
        if report.problems:
            return report
        report.version = pack.version
        try:
            compile_pack(pack, "ws-check")
        except CompileError as exc:
            report.problems += [f"regelmotorn: {p}" for p in exc.problems]
            return report
        report.problems += [f"lint: {f}" for f in lint_pack(pack) if f.severity == "varning"]
        if features:
            scenarios, error = run_features(d)
            failed = [sc for sc in scenarios if sc.status != "passed"]
            report.scenarios_passed = len(scenarios) - len(failed)
            report.scenarios_failed = len(failed)
            report.problems += [f"scenario underkänt: {sc.feature} – {sc.scenario}"
                                + (f" ({sc.message})" if sc.message else "") for sc in failed]
            if error:
                report.problems.append(f"beteendetesterna kunde inte köras: {error}")
    return report


def _rebased(base: PackVersion, current: PackVersion, draft: Draft) -> dict[str, str]:
    """The draft's changes applied to the current version; Conflict where both changed a file."""
    if base.id == current.id:
        if KIND_PATHS.get(draft.kind, ()) is None:
            return dict(draft.files)
        return {**current.files, **{p: draft.files[p] for p in draft.files if may_change_path(draft, p)}}
    mine = [p for p in changed_paths(base.files, draft.files) if may_change_path(draft, p)]
    theirs = set(changed_paths(base.files, current.files))
    merged_reports: str | None = None
    if draft.kind == "tillganglighet" and draft.kommun and AVAILABILITY_FILE in mine:
        # several kommuner report at once: merge by kommun, not by file
        others = [e for e in _entries_of(current.files.get(AVAILABILITY_FILE)) if str(e.get("kommun")) != draft.kommun]
        ours = reported_entries(draft, draft.kommun)
        merged_reports = availability_text(sorted(others, key=lambda e: str(e["kommun"])) + ours)
        mine = [p for p in mine if p != AVAILABILITY_FILE]
    both = [p for p in mine if p in theirs and draft.files.get(p) != current.files.get(p)]
    if both:
        raise Conflict(
            f"Version {current.number} har publicerats sedan utkast {draft.id} skapades och ändrar samma "
            f"filer: {', '.join(both)}. Skicka tillbaka utkastet så att författaren utgår från den nya versionen."
        )
    files = dict(current.files)
    for p in mine:
        if p in draft.files:
            files[p] = draft.files[p]
        else:
            files.pop(p, None)
    if merged_reports is not None:
        files[AVAILABILITY_FILE] = merged_reports
    return files


def _contributors(s: Session, draft: Draft) -> set[str]:
    savers = s.scalars(select(AuditEvent.actor).where(
        AuditEvent.target == f"utkast {draft.id}",
        AuditEvent.action.in_(("utkast.sparat", "utkast.skapat", "utkast.importerat", "tillganglighet.rapporterad")),
    ))
    return {draft.author, *savers}


def approve(s: Session, draft_id: int, user: User, features: bool = True) -> PackVersion:
    """Granskare, not an author of the draft: check it and publish it as a new version."""
    require_role(user, "granskare")
    draft = get_draft(s, draft_id)
    from .models import identity  # four eyes compare who people are: (issuer, subject) or the local account

    authors = {identity(u) for u in s.scalars(select(User).where(User.name.in_(_contributors(s, draft))))}
    if identity(user) in authors or user.name in _contributors(s, draft):
        raise Refused(f"Du kan inte godkänna utkast {draft.id}: du har själv skrivit det. "
                      "En annan granskare måste godkänna (fyra ögon).")
    if draft.status != "inskickad":
        raise Conflict(f"Utkast {draft.id} är {draft.status}, inte inskickat för granskning.")
    serving = _serving(s, lock=True)
    current = s.get(PackVersion, serving.version_id)
    base = s.get(PackVersion, draft.base_version_id)
    files = _rebased(base, current, draft)
    if files == current.files:
        raise Conflict(f"Utkast {draft.id} ändrar ingenting i den aktuella versionen {current.number}.")
    report = check_files(files, features=features)
    if not report.ok:
        _audit(s, user.name, "utkast.kontroll-underkand", f"utkast {draft.id}",
               f"{len(report.problems)} fel; godkändes inte")
        raise CheckFailed(f"Utkast {draft.id} godkändes inte: kontrollen hittade {len(report.problems)} fel.",
                          report.problems)
    now = utcnow()
    # the version's reason: what the author wrote when submitting ("vad ändras och varför"); the
    # draft keeps its own reason
    reason = submit_note(s, draft) or draft.reason or "(ingen anledning angiven)"
    pv = PackVersion(number=_next_number(s), version=report.version, files=files, author=draft.author,
                     approver=user.name, reason=reason[:2000],
                     created_at=now, published_at=now)
    try:
        with s.begin_nested():
            s.add(pv)
            s.flush()
    except IntegrityError:  # another approval took the number at the same moment
        raise Conflict("En annan version publicerades samtidigt. Försök godkänna igen.") from None
    serving.version_id = pv.id
    serving.changed_at = now
    draft.status = "publicerad"
    draft.published_version_id = pv.id
    draft.updated_at = now
    _audit(s, user.name, "version.godkand", f"version {pv.number} ({pv.version})",
           f"utkast {draft.id} av {draft.author}; mot version {current.number}: {diff_summary(current.files, files)}",
           pv.reason)
    return pv


def publish(s: Session, version: str | int, user: User, reason: str) -> PackVersion:
    """Make an earlier (or any) published version current again: rollback, one audited action."""
    require_role(user, "granskare")
    reason = _text("en anledning", reason)
    pv = get_version(s, version)
    serving = _serving(s, lock=True)
    if serving is None:
        s.add(Serving(id=1, version_id=pv.id, changed_at=utcnow()))
        previous = None
    else:
        if serving.version_id == pv.id:
            raise Conflict(f"Version {pv.number} används redan.")
        previous = s.get(PackVersion, serving.version_id)
        serving.version_id = pv.id
        serving.changed_at = utcnow()
    if pv.published_at is None:
        pv.published_at = utcnow()
    _audit(s, user.name, "version.publicerad", f"version {pv.number} ({pv.version})",
           f"ersätter version {previous.number}" if previous else "första publicerade version", reason)
    return pv


def export(s: Session, version: str | int, directory: Path) -> Path:
    """Write a version's files into `directory` (absent or empty)."""
    pv = get_version(s, version)
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise Invalid(f"{directory} finns redan och är inte en tom mapp.")
    return packfiles.write_dir(pv.files, directory)


def audit(s: Session, limit: int | None = None) -> list[AuditEvent]:
    q = select(AuditEvent).order_by(AuditEvent.id.desc())
    if limit:
        q = q.limit(limit)
    return list(s.scalars(q))


def audit_info(e: AuditEvent) -> dict[str, Any]:
    return {"at": _aware(e.at).isoformat(), "actor": e.actor, "action": e.action, "target": e.target,
            "summary": e.summary, "reason": e.reason}


# --------------------------------------------------------------------------- availability reports
_pack_cache: dict[str, Any] = {}


def _current_pack(s: Session):
    """The current version's Pack (loaded once per version and process); the embedded pack before seeding."""
    serving = _serving(s)
    if serving is None:
        key = "embedded"
        if key not in _pack_cache:
            _pack_cache[key] = load_pack(DEFAULT_PACK)
        return _pack_cache[key]
    pv = s.get(PackVersion, serving.version_id)
    if pv.version not in _pack_cache:
        with packfiles.TempPack(pv.files) as d:
            _pack_cache[pv.version] = load_pack(d)
    return _pack_cache[pv.version]


_PERSONAL_MAIL = re.compile(r"^[^@\s]+\.[^@\s]+@", re.IGNORECASE)


class ReportEntry(BaseModel):
    """One insats in a samordnare's report for their kommun."""

    model_config = ConfigDict(extra="forbid")

    insats: str = Field(min_length=1, max_length=80)
    status: Literal["finns", "saknas", "planeras", "okänd"]
    planned_from: dt.date | None = None
    contact: str | None = Field(default=None, max_length=200)
    target_groups: list[str] = Field(default_factory=list, max_length=12)

    @field_validator("contact")
    @classmethod
    def _contact(cls, v: str | None) -> str | None:
        v = (v or "").strip() or None
        if v is None:
            return None
        if looks_like_personnummer(v):
            raise ValueError("kontaktvägen ser ut att innehålla ett personnummer eller privat nummer")
        if _PERSONAL_MAIL.match(v):
            raise ValueError("ange en funktionsadress (t.ex. familjecentral@kommun.se), inte en persons e-post")
        return v

    @field_validator("target_groups")
    @classmethod
    def _groups(cls, v: list[str]) -> list[str]:
        out = []
        for g in v:
            g = g.strip()
            if not g:
                continue
            if len(g) > 80 or looks_like_personnummer(g):
                raise ValueError("en målgrupp är en kort beskrivning (högst 80 tecken) av en grupp, aldrig en person")
            out.append(g)
        return out


def _entries_of(text: str | None) -> list[dict]:
    if not text:
        return []
    data = yaml.safe_load(text) or {}
    return list(data.get("entries") or []) if isinstance(data, dict) else []


AVAILABILITY_HEADER = (
    "# Kommunernas egna uppgifter om tillgång (kartläggningen, strategins målområde 2).\n"
    "# Skrivs av samordnarna i /redaktion; grunden är \"kommunens uppgift\" och verified är dagen\n"
    "# uppgiften lämnades. Gäller före tillganglighet.yaml för samma kommun och insats.\n"
)


def availability_text(entries: list[dict]) -> str:
    """The file a policy officer can read: one entry per line, in flow style."""
    lines = [AVAILABILITY_HEADER.rstrip("\n"), "entries:" if entries else "entries: []"]
    for e in entries:
        lines.append("  - " + yaml.safe_dump(e, allow_unicode=True, sort_keys=False, default_flow_style=True,
                                             width=10**6).strip())
    return "\n".join(lines) + "\n"


def report_availability(s: Session, user: User, kommun: str, entries: list[dict],
                        expected_revision: int | None = None, today: dt.date | None = None,
                        keep: tuple[str, ...] | list[str] = ()) -> Draft:
    """A samordnare's report for their kommun (a redaktör may report for any): written into
    the open availability draft for that kommun (created when there is none) as
    `tillganglighet-kommuner.yaml` entries, verified today, basis "kommunens uppgift".

    Only `entries` (what the samordnare changed or explicitly confirmed) are written as the
    kommun's word; the draft's earlier entries for the insatser in `keep` stay as they were
    (with their date), and every other insats keeps what the pack says (its basis and date)."""
    code = _kommun_code(s, kommun)
    if user.role == "samordnare":
        if not user.active:
            raise Refused("Du är inte inloggad med ett aktivt konto.")
        if user.kommun != code:
            pack = _current_pack(s)
            raise Refused(f"Du är samordnare för {pack.kommuner[user.kommun].name if user.kommun in pack.kommuner else user.kommun} "
                          f"och kan inte rapportera för {pack.kommuner[code].name if code in pack.kommuner else code}.")
    else:
        require_role(user, *EDITORS)
    pack = _current_pack(s)
    today = today or dt.date.today()
    parsed: list[ReportEntry] = []
    problems: list[str] = []
    for i, raw in enumerate(entries):
        try:
            e = ReportEntry.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "post"
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(f"post {i + 1} ({raw.get('insats', '?') if isinstance(raw, dict) else '?'}), {where}: {msg}")
            continue
        if e.insats not in pack.insatser:
            problems.append(f"post {i + 1}: okänd insats {e.insats}")
        if e.status == "planeras" and e.planned_from is None:
            problems.append(f"post {i + 1} ({e.insats}): ange från vilket datum insatsen planeras")
        if e.status != "planeras" and e.planned_from is not None:
            problems.append(f"post {i + 1} ({e.insats}): ett startdatum hör bara till status planeras")
        parsed.append(e)
    seen = [e.insats for e in parsed]
    dupes = sorted({x for x in seen if seen.count(x) > 1})
    if dupes:
        problems.append(f"samma insats flera gånger: {', '.join(dupes)}")
    if problems:
        raise Invalid("Rapporten sparades inte.", problems)

    draft = s.scalar(select(Draft).where(Draft.kind == "tillganglighet", Draft.kommun == code,
                                         Draft.author == user.name, Draft.status.in_(OPEN))
                     .order_by(Draft.id.desc()))
    if draft is None:
        name = pack.kommuner[code].name if code in pack.kommuner else code
        draft = create_draft(s, user, f"Kartläggning för {name}", kind="tillganglighet", kommun=code)
    _may_edit(user, draft)
    order = {insats_id: i for i, insats_id in enumerate(pack.insatser)}
    reported = {e.insats for e in parsed}
    kept = [e for e in _entries_of(draft.files.get(AVAILABILITY_FILE))
            if str(e.get("kommun")) != code or (str(e.get("insats")) in keep and str(e.get("insats")) not in reported)]
    mine = []
    for e in sorted(parsed, key=lambda e: order.get(e.insats, 10**6)):
        entry: dict[str, Any] = {"kommun": code, "insats": e.insats, "status": e.status, "verified": today}
        if e.planned_from:
            entry["planned_from"] = e.planned_from
        if e.contact:
            entry["contact"] = e.contact
        if e.target_groups:
            entry["target_groups"] = e.target_groups
        mine.append(entry)
    all_entries = sorted(kept + mine, key=lambda e: (str(e["kommun"]), order.get(e["insats"], 10**6)))
    old = dict(draft.files)
    files = dict(old)
    files[AVAILABILITY_FILE] = availability_text(all_entries)
    _write_files(s, draft, files, expected_revision)
    _audit(s, user.name, "tillganglighet.rapporterad", f"utkast {draft.id}",
           f"kommun {code}: {len(mine)} {'insats' if len(mine) == 1 else 'insatser'} ({', '.join(f'{e.insats} {e.status}' for e in parsed[:8])}"
           f"{' …' if len(parsed) > 8 else ''})")
    return draft


def reported_entries(draft_or_files: Draft | dict[str, str], kommun: str) -> list[dict]:
    """The entries for `kommun` in a draft's or version's `tillganglighet-kommuner.yaml`."""
    files = draft_or_files.files if isinstance(draft_or_files, Draft) else draft_or_files
    return [e for e in _entries_of(files.get(AVAILABILITY_FILE)) if str(e.get("kommun")) == kommun]
