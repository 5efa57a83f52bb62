"""Versioner: every published version, and publishing an earlier one again (rollback), with a reason."""
from __future__ import annotations

import re
import urllib.parse
from typing import Any

from fastapi import APIRouter, Depends, Request

from .. import views
from ..views import e
from .common import Ctx, _store, database, field_error, form_body, guarded, login, one, personal_text, redirect, render_html

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
    rows = []
    for v in store.versions(s):
        is_current = v.id == current.id
        action = "<strong>publicerad nu</strong>" if is_current else ""
        if may_publish and not is_current:
            mine = number == v.number
            cls, aria, err = field_error(f"skal-{v.number}", error if mine else "")
            action = (f'<form class="rad" method="post" action="/redaktion/versioner/{v.number}/publicera">'
                      f'{views.csrf_field(ctx.csrf)}<div class="{cls.strip()}"><label for="skal-{v.number}">Skäl</label>{err}'
                      f'<input type="text" id="skal-{v.number}" name="skal" value="{e(text if mine else "")}" required{aria}></div>'
                      f'<button class="knapp knapp-sekundar" type="submit" id="publicera-{v.number}">Publicera igen</button></form>')
        reason = e(v.reason)
        if v.number in again:
            why, at = again[v.number]
            reason += (f'<br><span class="liten">Publicerad igen {e(views.when(at))}'
                       + (f": {e(why)}" if why else "") + "</span>")
        rows.append([str(v.number), f'<span class="fil">{e(v.version)}</span>', e(v.author), e(v.approver or "–"),
                     reason, e(views.when(v.published_at or v.created_at)), action])
    main = ("<h1>Versioner</h1><p class=\"ingress\">Varje publicerad version av regelpaketet, nyast först. "
            "Att publicera en tidigare version igen (återställning) är en åtgärd och syns i loggen.</p>"
            + (views.message(klart, "ok") if klart else "")
            + views.table(["Nr", "Version", "Skriven av", "Godkänd av", "Skäl", "Tid", "Åtgärd"], rows))
    return render_html(ctx, "Versioner", main, "/redaktion/versioner", status=status)


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
