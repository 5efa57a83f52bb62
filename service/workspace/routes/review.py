"""Submitting a draft for review, the review page (check, impact, diff), approving and publishing (four eyes) and sending back."""
from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Depends, Request

from .. import checks, views
from ..views import e
from .checks import _check_key, _published_number, _start_check, _status_box, check_html
from .common import Ctx, Problem, _base_files, _store, catalog, database, field_error, form_body, guarded, login, one, personal_text, redirect, render_html, viewable_draft
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
    parts = [f"<h1>Granskning av utkast {d.id}</h1>",
             f'<p><a href="/redaktion/utkast/{d.id}">Till utkastet</a></p>',
             f'<p class="ingress">{e(d.reason)} – skrivet av {e(d.author)}. Status: '
             f'<strong id="utkast-status">{e(views.STATUS_TEXT.get(d.status, d.status))}</strong>.</p>']
    if note and note.strip() != (d.reason or "").strip():
        parts.append(f'<p>Skrivet vid inskickningen: <span id="inskickat-skal">{e(note)}</span></p>')
    if klart:
        parts.append(views.message(klart, "ok"))
    if d.base_version_id != current.id and d.status != "publicerad":
        parts.append(views.message(f"Den publicerade versionen har ändrats sedan utkastet skapades (nu version "
                                   f"{current.number}). Ändringarna nedan jämförs med utkastets utgångsläge; "
                                   "publiceras utkastet ersätter det hela den publicerade versionen."))
    # the check's result before anyone presses approve: started here when missing
    parts.append('<h2>Kontroll</h2>')
    check_failed = False
    if d.status == "publicerad":
        number = _published_number(s, d)
        parts.append(views.message("Kontrollen kördes vid godkännandet och gick igenom"
                                   + (f"; utkastet är publicerat som version {number}." if number else "."), "ok"))
    else:
        key, files, current_files = _check_key(s, d)
        state = checks.job_state("kontroll", key)
        if state.state == "missing" and d.status == "inskickad":
            state = _start_check(key, files, current_files)
        if state.state == "done" and checks.job_result("kontroll", key):
            report = checks.job_result("kontroll", key)
            check_failed = not report.ok
            parts.append(check_html(report, heading=3, draft=d, catalog_=catalog(files)))
        elif state.state in ("running", "queued") or (state.state == "done"):
            parts.append(_status_box(f"/redaktion/utkast/{d.id}/kontrollera/status", state, "Kontrollen"))
        else:
            extra = f" ({state.error})" if state.state == "failed" and state.error else ""
            parts.append(f'<p>Kontrollen är inte körd för utkastets nuvarande innehåll{e(extra)}. '
                         f'<a href="/redaktion/utkast/{d.id}/kontrollera">Kontrollera</a>.</p>')
    parts.append(f'<h2>Effekt</h2><p><a href="/redaktion/utkast/{d.id}/effekt">Vilka familjer får ett annat svar</a></p>')
    changed = views.changed_files(base, files)
    parts.append(f'<h2>Ändringar ({views.count(len(changed), "fil", "filer")})</h2>')
    parts.extend(views.diff_html(p, base.get(p), files.get(p)) for p in changed)
    if not changed:
        parts.append('<p class="tom">Utkastet ändrar ingenting.</p>')
    if d.status == "inskickad":
        if ctx.user.role == "granskare" and ctx.user.name != d.author:
            c_cls, c_aria, c_err = field_error("kommentar", comment_error)
            approve_form = (f"""<p>Godkännande kör valideringen och alla beteendetester igen (det tar en stund) och publicerar
sedan utkastet: inom några sekunder svarar beslutsstödet med den nya versionen.</p>
<form method="post" action="/redaktion/utkast/{d.id}/godkann">{views.csrf_field(ctx.csrf)}
<button class="knapp" type="submit" id="godkann">Godkänn och publicera</button></form>""" if not check_failed else
                            "<p>Utkastet kan inte godkännas: kontrollen ovan gick inte igenom. Skicka tillbaka "
                            "utkastet med en kommentar om vad som behöver rättas.</p>")
            parts.append(f"""<section class="kort" aria-labelledby="beslut-rubrik"><h2 id="beslut-rubrik">Beslut</h2>
{approve_form}
<form class="enkel-form" method="post" action="/redaktion/utkast/{d.id}/skicka-tillbaka">{views.csrf_field(ctx.csrf)}
<div class="falt{c_cls}"><label for="kommentar">Kommentar till den som skrev utkastet</label>{c_err}
<textarea id="kommentar" name="kommentar" required{c_aria}>{e(comment)}</textarea></div>
<div><button class="knapp knapp-sekundar" type="submit" id="skicka-tillbaka">Skicka tillbaka</button></div></form></section>""")
        elif ctx.user.name == d.author:
            parts.append(views.message("Du skrev utkastet och kan därför inte godkänna det: en annan person med "
                                       "rollen granskare måste göra det (fyra ögon)."))
        else:
            parts.append(views.message("Bara en granskare kan godkänna eller skicka tillbaka utkastet."))
    return render_html(ctx, f"Granskning av utkast {d.id}", "\n".join(parts), status=status)


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
