"""A draft's file as text (YAML): the editor, and saving it after the pack still validates (a conflict shows the diff)."""
from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Depends, Request

from .. import featurefiles, forms, views
from ..views import e
from .common import Ctx, LIMIT_TEXT, MAX_FORM_BYTES, _feature_url, _path_param, _save, _store, can_edit, database, editable_draft, form_body, guarded, login, one, redirect, render_html, validate_files, viewable_draft
from .features import _feature_save

router = APIRouter(prefix="/redaktion")


# ---- plain text
def _text_page(ctx: Ctx, draft, path: str, text: str, revision: int, notes: str = "", status: int = 200):
    editable = can_edit(ctx.user, draft, path)
    passage = forms.passage_of(text)
    side = (f'<aside class="passage" aria-labelledby="passage-rubrik"><h2 id="passage-rubrik">Strategins text som filen kodar</h2>'
            f'<p>{e(passage)}</p></aside>') if passage else ""
    ro = "" if editable else " readonly"
    button = '<div><button class="knapp" type="submit" id="spara-text">Spara</button></div>' if editable else ""
    main = f"""<h1>{e(path)} i utkast {draft.id}</h1>
<p><a href="/redaktion/utkast/{draft.id}">Tillbaka till utkastet</a></p>
{notes}
<div class="regel-layout">{side}
<form class="yaml-form" method="post" action="/redaktion/utkast/{draft.id}/text?sokvag={urllib.parse.quote(path)}" data-max-bytes="{MAX_FORM_BYTES}">
{views.csrf_field(ctx.csrf)}<input type="hidden" name="revision" value="{revision}">
<label for="yaml" class="etikett">Filens text (YAML)</label>
<p class="hjalp" id="yaml-hjalp">Samma format som i regelpaketets mapp. Fel visas med radnummer, som
<code>foraldrastod check</code> skriver dem. {e(LIMIT_TEXT)}</p>
<textarea id="yaml" name="text" spellcheck="false" aria-describedby="yaml-hjalp"{ro}>{e(text)}</textarea>
{button}</form></div>"""
    return render_html(ctx, f"{path} – utkast {draft.id}", main, status=status)


@router.get("/utkast/{draft_id}/text")
@guarded
def text_page(request: Request, draft_id: int, sokvag: str):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        path = _path_param(d, sokvag)
        if featurefiles.is_feature(path):
            return redirect(_feature_url(d.id, path))
        return _text_page(ctx, d, path, d.files[path], d.revision)


@router.post("/utkast/{draft_id}/text")
@guarded
def text_save(request: Request, draft_id: int, sokvag: str, form: dict = Depends(form_body)):
    store = _store()
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, sokvag)
        path = _path_param(d, sokvag)
        if featurefiles.is_feature(path):
            return _feature_save(s, ctx, d, path, form)
        text = one(form, "text")
        if not text.endswith("\n"):
            text += "\n"
        errors = validate_files({**d.files, path: text})
        if errors:
            notes = views.message("Inte sparat: regelpaketet blir ogiltigt. Rätta felen och spara igen; din text finns kvar nedan.",
                                  "fel", errors)
            return _text_page(ctx, d, path, text, int(one(form, "revision", "0") or 0), notes, status=422)
        try:
            _save(s, ctx, d, path, text, one(form, "revision"))
        except store.Invalid as exc:  # a personnummer, say: the text stays in the editor
            notes = views.message("Inte sparat. Rätta texten och spara igen; din text finns kvar nedan.", "fel",
                                  [exc.message, *exc.details])
            return _text_page(ctx, d, path, text, int(one(form, "revision", "0") or 0), notes, status=422)
        except store.Conflict:
            s.refresh(d)
            theirs = d.files.get(path, "")
            notes = views.message(
                f"Någon annan har sparat utkastet sedan du öppnade filen (nu revision {d.revision}). Din text är "
                "inte sparad men finns kvar nedan. Jämför med den sparade versionen och spara igen om din ska gälla.",
                "fel") + views.diff_html(f"{path}: sparad version → din text", theirs, text)
            return _text_page(ctx, d, path, text, d.revision, notes, status=409)
    return redirect(f"/redaktion/utkast/{draft_id}?sparat={urllib.parse.quote(path)}")
