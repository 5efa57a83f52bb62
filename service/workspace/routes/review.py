"""Submitting a draft for review, the review page (check, impact, diff), approving and publishing
(four eyes) and sending back."""
from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Depends, Request

from .. import checks, views
from .checks import _check_key, check_view, _published_number, _start_check
from .common import (_base_files, catalog, Ctx, database, form_body, guarded, login, one, personal_text, Problem,
                     redirect, render, _store, viewable_draft)
from .drafts import _draft_page

router = APIRouter(prefix="/redaktion")


# --------------------------------------------------------------------------- Granskning
@router.post("/utkast/{draft_id}/skicka-in")
@guarded
def submit(request: Request, draft_id: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("redaktor", "granskare", "samordnare"), form)
        d = viewable_draft(s, ctx, draft_id)
        reason = one(form, "skal").strip()
        error = "Skriv vad som ändras och varför." if not reason else personal_text(reason, "Skälet")
        if error:
            return _draft_page(s, ctx, d, status=422, submit_text=one(form, "skal"), submit_error=error)
        _store().submit(s, d.id, ctx.user, reason)
    return redirect(f"/redaktion/utkast/{draft_id}/granska")


@router.get("/utkast/{draft_id}/granska")
@guarded
def review_page(request: Request, draft_id: int, klart: str = ""):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        return _review(s, ctx, d, klart)


def _review(s, ctx: Ctx, d, klart: str = "", comment: str = "", comment_error: str = "", status: int = 200):
    base = _base_files(s, d)
    files = dict(d.files)
    current = _store().current_version(s)
    note = _store().submit_note(s, d)
    # the check's result before anyone presses approve: started here when missing
    report, state, published = None, None, None
    if d.status == "publicerad":
        published = _published_number(s, d)
    else:
        key, files, current_files = _check_key(s, d)
        state = checks.job_state("kontroll", key)
        if state.state == "missing" and d.status == "inskickad":
            state = _start_check(key, files, current_files)
        if state.state == "done":
            report = checks.job_result("kontroll", key)
    waiting = state is not None and (state.state in ("running", "queued") or state.state == "done")
    not_run = f" ({state.error})" if state is not None and state.state == "failed" and state.error else ""
    diffs = [views.diff_of(p, base.get(p), files.get(p)) for p in views.changed_files(base, files)]
    return render(ctx, "redaktion/review.html", status=status, title=f"Granskning av utkast {d.id}", d=d,
                  note=note if note and note.strip() != (d.reason or "").strip() else None, klart=klart,
                  rebased=d.base_version_id != current.id and d.status != "publicerad", current_number=current.number,
                  published=published, r=check_view(report, draft=d, catalog_=catalog(files)) if report else None,
                  state=state, waiting=waiting, not_run=not_run, diffs=diffs,
                  check_failed=bool(report) and not report.ok, comment=comment, comment_error=comment_error,
                  may_decide=ctx.user.role == "granskare" and ctx.user.name != d.author,
                  is_author=ctx.user.name == d.author)


@router.post("/utkast/{draft_id}/godkann")
@guarded
def approve(request: Request, draft_id: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = viewable_draft(s, ctx, draft_id)
        if ctx.user.name == d.author:
            raise Problem(403, "Du kan inte godkänna ett utkast som du själv har skrivit. En annan granskare måste göra det.")
        if ctx.user.role != "granskare":
            raise Problem(403, "Bara en granskare kan godkänna och publicera ett utkast.")
        version = _store().approve(s, d.id, ctx.user)
        text = f"Godkänt och publicerat som version {version.number} ({version.version})."
    return redirect(f"/redaktion/utkast/{draft_id}/granska?klart={urllib.parse.quote(text)}")


@router.post("/utkast/{draft_id}/skicka-tillbaka")
@guarded
def send_back(request: Request, draft_id: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("granskare",), form)
        d = viewable_draft(s, ctx, draft_id)
        comment = one(form, "kommentar").strip()
        error = ("Skriv en kommentar som säger vad som behöver ändras." if not comment
                 else personal_text(comment, "Kommentaren"))
        if error:
            return _review(s, ctx, d, comment=one(form, "kommentar"), comment_error=error, status=422)
        _store().send_back(s, d.id, ctx.user, comment)
    return redirect(f"/redaktion/utkast/{draft_id}/granska?klart={urllib.parse.quote('Utkastet är skickat tillbaka.')}")
