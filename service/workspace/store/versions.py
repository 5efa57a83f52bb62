"""Published versions of the pack: seeding the first from the embedded pack, the one being served,
reading versions by number or version string."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import DEFAULT_PACK, PackInvalid, load_pack

from .. import featurefiles, packfiles
from ..models import PackVersion, Serving, utcnow
from .base import _audit, _aware, CheckFailed, NotFound


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
