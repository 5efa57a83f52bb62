"""Checking a draft, approving it (four eyes, checks run again) and publishing it or an earlier
version; exporting a version; the audit trail."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import CompileError, PackInvalid, compile_pack, load_pack

from .. import featurefiles, packfiles
from ..models import AuditEvent, Draft, PackVersion, Serving, User, utcnow
from .base import (AVAILABILITY_FILE, KIND_PATHS, _audit, _aware, changed_paths, CheckFailed, Conflict, diff_summary,
                   Invalid, Refused, require_role, _text)
from .versions import get_version, _next_number, _serving
from .drafts import get_draft, may_change_path, submit_note
from .kommun import availability_text, _entries_of, reported_entries


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

    from ..checks import run_features

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
    from ..models import identity  # four eyes compare who people are: (issuer, subject) or the local account

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
