"""A draft's file as text (YAML): the editor, and saving it after the pack still validates (a
conflict shows the diff)."""
from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Depends, Request

from .. import featurefiles, forms, views
from .common import (LIMIT_TEXT, MAX_FORM_BYTES, can_edit, Ctx, database, editable_draft, _feature_url, form_body,
                     guarded, login, one, _path_param, redirect, render, _save, _store, validate_files, viewable_draft)
from .features import _feature_save

router = APIRouter(prefix="/redaktion")


# ---- plain text
def _text_page(ctx: Ctx, draft, path: str, text: str, revision: int, notes: dict | None = None, status: int = 200):
    return render(ctx, "redaktion/text.html", status=status, title=f"{path} – utkast {draft.id}", d=draft, path=path,
                  text=text, revision=revision, notes=notes, editable=can_edit(ctx.user, draft, path),
                  passage=forms.passage_of(text), max_bytes=MAX_FORM_BYTES, limit_text=LIMIT_TEXT)


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
            notes = {"text": "Inte sparat: regelpaketet blir ogiltigt. Rätta felen och spara igen; din text finns "
                             "kvar nedan.", "details": errors}
            return _text_page(ctx, d, path, text, int(one(form, "revision", "0") or 0), notes, status=422)
        try:
            _save(s, ctx, d, path, text, form)
        except store.Invalid as exc:  # a personnummer, say: the text stays in the editor
            notes = {"text": "Inte sparat. Rätta texten och spara igen; din text finns kvar nedan.",
                     "details": [exc.message, *exc.details]}
            return _text_page(ctx, d, path, text, int(one(form, "revision", "0") or 0), notes, status=422)
        except store.Conflict:
            s.refresh(d)
            theirs = d.files.get(path, "")
            notes = {"text": f"Någon annan har sparat utkastet sedan du öppnade filen (nu revision {d.revision}). "
                             "Din text är inte sparad men finns kvar nedan. Jämför med den sparade versionen och "
                             "spara igen om din ska gälla.",
                     "diff": views.diff_of(f"{path}: sparad version → din text", theirs, text)}
            return _text_page(ctx, d, path, text, d.revision, notes, status=409)
    return redirect(f"/redaktion/utkast/{draft_id}?sparat={urllib.parse.quote(path)}")
