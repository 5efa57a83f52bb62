"""Drafts: creating, importing, saving files with optimistic revisions, submitting and sending
back; who may view and change what."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.models import looks_like_personnummer

from .. import featurefiles, packfiles
from ..models import AuditEvent, DRAFT_KINDS, Draft, PackVersion, User, utcnow
from .base import (AVAILABILITY_FILE, EDITORS, KIND_PATHS, OPEN, _audit, Conflict, diff_summary, Invalid, NotFound,
                   Refused, require_role, _text)
from .versions import ensure_seeded
from .users import _kommun_code


def may_change_path(draft: Draft, path: str) -> bool:
    """Whether a draft of this kind may change `path` at all (roles aside)."""
    allowed = KIND_PATHS.get(draft.kind, ())
    return allowed is None or path in allowed


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
