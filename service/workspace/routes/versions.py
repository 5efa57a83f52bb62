"""Versioner: every published version, and publishing an earlier one again (rollback), with a
reason."""
from __future__ import annotations

import re
import urllib.parse
from typing import Any

from fastapi import APIRouter, Depends, Request

from .common import Ctx, database, form_body, guarded, login, one, personal_text, redirect, render, _store

router = APIRouter(prefix="/redaktion")


# --------------------------------------------------------------------------- Versioner
@router.get("/versioner")
@guarded
def versions_page(request: Request, klart: str = ""):
    with database() as s:
        ctx = login(request, s)
        return _versions(s, ctx, klart)


def _republished(s) -> dict[int, tuple[str | None, Any]]:
    """Per version number, the latest time it was published again: (reason, when)."""
    from sqlalchemy import select

    from ..models import AuditEvent

    out: dict[int, tuple[str | None, Any]] = {}
    for ev in s.scalars(select(AuditEvent).where(AuditEvent.action == "version.publicerad").order_by(AuditEvent.id)):
        m = re.match(r"version (\d+)", ev.target or "")
        if m:
            out[int(m.group(1))] = (ev.reason, ev.at)
    return out


def _versions(s, ctx: Ctx, klart: str = "", number: int | None = None, text: str = "", error: str = "",
              status: int = 200):
    store = _store()
    current = store.current_version(s)
    again = _republished(s)
    may_publish = ctx.user.role in ("granskare", "admin")
    rows = [{"number": v.number, "version": v.version, "author": v.author, "approver": v.approver,
             "reason": v.reason, "again": again.get(v.number), "at": v.published_at or v.created_at,
             "current": v.id == current.id} for v in store.versions(s)]
    return render(ctx, "redaktion/versions.html", status=status, title="Versioner", path="/redaktion/versioner",
                  klart=klart, rows=rows, may_publish=may_publish, number=number, text=text, error=error)


@router.post("/versioner/{number}/publicera")
@guarded
def publish_again(request: Request, number: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("granskare", "admin"), form)
        reason = one(form, "skal").strip()
        error = ("Skriv varför den tidigare versionen ska publiceras igen." if not reason
                 else personal_text(reason, "Skälet"))
        if error:
            return _versions(s, ctx, number=number, text=one(form, "skal"), error=error, status=422)
        version = _store().publish(s, str(number), ctx.user, reason)
        text = f"Version {version.number} är publicerad igen."
    return redirect(f"/redaktion/versioner?klart={urllib.parse.quote(text)}")
