"""A draft's behaviour tests (Gherkin in Swedish): the editor with the steps one may use, saving,
adding and removing a test."""
from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Depends, Request

from .. import featurefiles, views
from .common import (ANY_FEATURE, LIMIT_TEXT, MAX_FORM_BYTES, can_edit, Ctx, database, editable_draft, _feature_url,
                     form_body, guarded, login, one, Problem, redirect, render, revision_of, _store, viewable_draft)
from .drafts import _draft_page

router = APIRouter(prefix="/redaktion")


def _feature_path(draft, namn: str, must_exist: bool = True) -> str:
    try:
        path = featurefiles.path_of(namn)
    except ValueError as exc:
        raise Problem(404 if must_exist else 422, str(exc)) from None
    if must_exist and path not in draft.files:
        raise Problem(404, f"Beteendetestet {featurefiles.name_of(path)} finns inte i utkastet.")
    return path


def _step_groups() -> list[tuple[str, list[featurefiles.Step]]]:
    groups: dict[str, list[featurefiles.Step]] = {}
    for step in featurefiles.step_catalogue():
        groups.setdefault(step.group, []).append(step)
    return list(groups.items())


def _feature_page(ctx: Ctx, draft, path: str, text: str, revision: int, notes: dict | None = None,
                  errors: list[str] | None = None, status: int = 200):
    name = featurefiles.name_of(path)
    return render(ctx, "redaktion/feature.html", status=status, title=f"Beteendetest {name} – utkast {draft.id}",
                  d=draft, name=name, url=_feature_url(draft.id, path), text=text, revision=revision, notes=notes,
                  errors=errors or [], editable=can_edit(ctx.user, draft, path), step_groups=_step_groups(),
                  max_bytes=MAX_FORM_BYTES, limit_text=LIMIT_TEXT)


def _feature_save(s, ctx: Ctx, d, path: str, form: dict):
    store = _store()
    text = one(form, "text")
    if not text.endswith("\n"):
        text += "\n"
    expected = revision_of(form)
    problems = featurefiles.syntax_problems(text) or featurefiles.tag_problems(text, d.files)
    if problems:
        notes = {"text": "Inte sparat: texten är inte giltig Gherkin. Rätta raderna som anges vid fältet och spara "
                         "igen; din text finns kvar nedan."}
        return _feature_page(ctx, d, path, text, expected, notes, [str(p) for p in problems], status=422)
    try:
        store.save_file(s, d.id, path, text, ctx.user, expected)
    except store.Conflict:
        s.refresh(d)
        theirs = d.files.get(path, "")
        notes = {"text": f"Någon annan har sparat utkastet sedan du öppnade beteendetestet (nu revision {d.revision}). "
                         "Din text är inte sparad men finns kvar nedan. Jämför med den sparade versionen och spara "
                         "igen om din ska gälla.",
                 "diff": views.diff_of(f"{path}: sparad version → din text", theirs, text)}
        return _feature_page(ctx, d, path, text, d.revision, notes, status=409)
    except store.Invalid as exc:  # a personnummer, say: shown at the field, the text kept
        notes = {"text": "Inte sparat. Rätta och spara igen; din text finns kvar nedan."}
        return _feature_page(ctx, d, path, text, expected, notes, [exc.message, *exc.details], status=422)
    return redirect(f"/redaktion/utkast/{d.id}?sparat={urllib.parse.quote(path)}")


@router.get("/utkast/{draft_id}/beteendetest")
@guarded
def feature_page(request: Request, draft_id: int, namn: str):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        path = _feature_path(d, namn)
        return _feature_page(ctx, d, path, d.files[path], d.revision)


@router.post("/utkast/{draft_id}/beteendetest")
@guarded
def feature_save(request: Request, draft_id: int, namn: str, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, ANY_FEATURE)
        path = _feature_path(d, namn)
        return _feature_save(s, ctx, d, path, form)


@router.post("/utkast/{draft_id}/beteendetest/ny")
@guarded
def feature_new(request: Request, draft_id: int, form: dict = Depends(form_body)):
    store = _store()
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, ANY_FEATURE)
        name = one(form, "namn").strip()
        try:
            path = featurefiles.path_of(name)
        except ValueError as exc:
            return _draft_page(s, ctx, d, new_name=name, new_error=str(exc), status=422)
        if path in d.files:
            return _draft_page(s, ctx, d, new_name=name, status=409,
                               new_error=f"Det finns redan ett beteendetest som heter {featurefiles.name_of(path)}.")
        title = name.replace("-", " ").replace("_", " ").strip().capitalize()
        try:
            store.save_file(s, d.id, path, featurefiles.NEW_FEATURE.format(title=title), ctx.user,
                            int(one(form, "revision") or d.revision))
        except store.Conflict:
            s.refresh(d)
            return _draft_page(s, ctx, d, new_name=name, status=409,
                               new_error="Någon annan har sparat utkastet under tiden. Lägg till testet igen.")
        draft_id = d.id
    return redirect(_feature_url(draft_id, path))


@router.post("/utkast/{draft_id}/beteendetest/ta-bort")
@guarded
def feature_remove(request: Request, draft_id: int, namn: str, form: dict = Depends(form_body)):
    store = _store()
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, ANY_FEATURE)
        path = _feature_path(d, namn)
        expected = revision_of(form)
        try:
            store.save_file(s, d.id, path, None, ctx.user, expected)
        except store.Conflict:
            s.refresh(d)
            notes = {"text": f"Någon annan har sparat utkastet sedan du öppnade beteendetestet (nu revision "
                             f"{d.revision}). Inget är borttaget. Läs den sparade texten nedan och ta bort igen om "
                             "testet ändå ska bort."}
            return _feature_page(ctx, d, path, d.files.get(path, ""), d.revision, notes, status=409)
    return redirect(f"/redaktion/utkast/{draft_id}?sparat={urllib.parse.quote(path + ' (borttagen)')}")
