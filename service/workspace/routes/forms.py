"""Rules, insatser and behov edited in forms: a rule file's list of rules, the rule form, the item
list and item form; errors of the pack check are shown at the form's fields."""
from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Callable

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from .. import forms, views
from .common import (can_edit, catalog, Ctx, database, editable_draft, form_body, guarded, login, one, _path_param,
                     personal_errors, Problem, redirect, render, _save, _store, validate_files, viewable_draft)

router = APIRouter(prefix="/redaktion")


# ---- rules in forms
@router.get("/utkast/{draft_id}/fil")
@guarded
def rule_file_page(request: Request, draft_id: int, sokvag: str):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        path = _path_param(d, sokvag)
        if path in forms.ITEM_FILES:
            return _item_list(ctx, d, path)
        if not forms.is_rule_file(path):
            return redirect(f"/redaktion/utkast/{d.id}/text?sokvag={urllib.parse.quote(path)}")
        text = d.files[path]
        try:
            items = forms.rules_of(text)
        except yaml.YAMLError as exc:
            raise Problem(422, f"Filen går inte att läsa som YAML: {exc}. Öppna den som text och rätta.") from None
        rows = []
        for it in items:
            r = it.data if isinstance(it.data, dict) else {}
            age = (r.get("when") or {}).get("age_months") if isinstance(r.get("when"), dict) else None
            rows.append({"index": it.index, "anchor": str(r.get("id", it.index)), "id": str(r.get("id", "")),
                         "level": str(r.get("level", "")),
                         "age": (f"{_age_text(age.get('min'))} – {_age_text(age.get('max'))}"
                                 if isinstance(age, dict) else "alla åldrar"),
                         "recommend": ", ".join(map(str, r.get("recommend") or []))})
        return render(ctx, "redaktion/rule_file.html", title=f"Regler i {path}", d=d, path=path, rows=rows,
                      editable=can_edit(ctx.user, d, path),
                      passage=forms.passage_of(text) or "Filen anger ingen passage ur strategin.")


def _age_text(months) -> str:
    if not isinstance(months, int):
        return "?"
    y, m = divmod(months, 12)
    return f"{y} år" + (f" {m} mån" if m else "")


def _rule_page(ctx: Ctx, d, path: str, index: int | None, values: dict, revision: int,
               errors: forms.FieldErrors | None = None, notes: dict | None = None, status: int = 200):
    summary = [(_anchor(name), forms.FIELD_LABELS.get(name, name), msg)
               for name, msgs in (errors.by_field.items() if errors else []) for msg in msgs]
    title = "Ny regel" if index is None else f"Regel {values.get('id', '')}"
    return render(ctx, "redaktion/rule.html", status=status, title=title, d=d, path=path, index=index,
                  nr="ny" if index is None else str(index), values=values, revision=revision, notes=notes,
                  summary=summary, other=errors.other if errors else [], errors=errors.by_field if errors else {},
                  fields=views.form_fields(catalog(d.files)), editable=can_edit(ctx.user, d, path),
                  passage=forms.passage_of(d.files[path]) or "Filen anger ingen passage ur strategin.")


def _anchor(name: str) -> str:
    return {"alder": "alder_fran_ar", "source": "source_document", "notice": "notice_severity",
            "expecting": "expecting"}.get(name, name if name in ("id", "level", "rationale", "valid_from", "valid_to",
                                                                 "status", "assumptions") else f"{name}-fält")


def _rule_index(items: list[forms.Item], nr: str) -> int | None:
    if nr == "ny":
        return None
    try:
        index = int(nr)
    except ValueError:
        raise Problem(404, "Regeln finns inte.") from None
    if not 0 <= index < len(items):
        raise Problem(404, "Regeln finns inte i filen (den kan ha tagits bort av någon annan).")
    return index


@router.get("/utkast/{draft_id}/regel")
@guarded
def rule_page(request: Request, draft_id: int, sokvag: str, nr: str = "ny"):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        path = _path_param(d, sokvag)
        items = forms.rules_of(d.files[path])
        index = _rule_index(items, nr)
        if index is None:
            values = forms.form_from_rule({"level": "universell", "status": "källa"})
        else:
            values = forms.form_from_rule(items[index].data)
            names = {n: c for c, n in catalog(d.files)["kommuner"]}
            values["kommuner"] = [names.get(k, k) for k in values["kommuner"]]
        return _rule_page(ctx, d, path, index, values, d.revision)


@router.post("/utkast/{draft_id}/regel")
@guarded
def rule_save(request: Request, draft_id: int, sokvag: str, nr: str = "ny", form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, sokvag)
        path = _path_param(d, sokvag)
        text = d.files[path]
        items = forms.rules_of(text)
        index = _rule_index(items, nr)
        values = {k: (v if k in ("needs_any", "needs_all", "kommuner", "recommend") else v[0])
                  for k, v in form.items() if k not in ("csrf", "revision")}
        values = {**forms.form_from_rule({}), **values}
        revision = int(one(form, "revision", "0") or 0)
        kommun_names = {c: n for c, n in catalog(d.files)["kommuner"]}
        personal = personal_errors(form)
        if personal:
            return _rule_page(ctx, d, path, index, values, revision, personal, status=422)
        try:
            rule = forms.rule_from_form(form, kommun_names, original=items[index].data if index is not None else None)
        except forms.FormError as fe:
            errs = forms.FieldErrors()
            errs.add(fe.field, fe.message)
            return _rule_page(ctx, d, path, index, values, revision, errs, status=422)
        item_text = _dumped(text, items, index, rule)
        new_text = forms.replace_item(text, items[index] if index is not None else None, item_text)
        start = items[index].start if index is not None else _appended_at(new_text, len(items))
        return _store_item(s, ctx, d, path, form, new_text, start, item_text,
                           functools.partial(_rule_page, ctx, d, path, index, values))


def _dumped(text: str, items: list, index: int | None, data: dict) -> str:
    """The item as YAML; an edited item keeps the comments and layout of its old text."""
    if index is None:
        return forms.dump_item(data)
    old_lines = text.splitlines(keepends=True)[items[index].start:items[index].end]
    return forms.dump_item(data, old=items[index].data, old_text="".join(old_lines))


def _store_item(s, ctx: Ctx, d, path: str, form: dict, new_text: str, start: int, item_text: str,
                page: Callable[..., Response]) -> Response:
    """Save the file with a form's item written in. Errors of the pack check are shown at the
    form's fields; on a conflict the form is shown again with the user's values kept; else back
    to the file. `page(revision, errors=None, notes="", status=200)` renders the form."""
    errors = validate_files({**d.files, path: new_text})
    if errors:
        return page(int(one(form, "revision", "0") or 0), forms.map_errors(errors, path, start, item_text),
                    status=422)
    try:
        _save(s, ctx, d, path, new_text, form)
    except _store().Invalid as exc:  # the store's own refusal: at the form, nothing lost
        errs = forms.FieldErrors()
        for m in [exc.message, *exc.details]:
            errs.add(None, m)
        return page(int(one(form, "revision", "0") or 0), errs, status=422)
    except _store().Conflict:
        s.refresh(d)
        notes = {"text": f"Någon annan har sparat utkastet sedan du öppnade formuläret (nu revision {d.revision}). "
                         "Din ändring är inte sparad men finns kvar i formuläret. Spara igen för att föra in den "
                         "i den senaste versionen av utkastet."}
        return page(d.revision, notes=notes, status=409)
    return redirect(f"/redaktion/utkast/{d.id}/fil?sokvag={urllib.parse.quote(path)}")


def _appended_at(text: str, index: int) -> int:
    items = forms.rules_of(text)
    return items[index].start if index < len(items) else 0


@router.post("/utkast/{draft_id}/regel/ta-bort")
@guarded
def rule_remove(request: Request, draft_id: int, sokvag: str, nr: str, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, sokvag)
        path = _path_param(d, sokvag)
        items = forms.rules_of(d.files[path])
        index = _rule_index(items, nr)
        if index is None:
            raise Problem(404, "Regeln finns inte.")
        new_text = forms.remove_item(d.files[path], items[index])
        errors = validate_files({**d.files, path: new_text})
        if errors:
            raise Problem(422, "Regeln togs inte bort: regelpaketet blir då ogiltigt.", errors)
        _save(s, ctx, d, path, new_text, form)
    return redirect(f"/redaktion/utkast/{draft_id}/fil?sokvag={urllib.parse.quote(path)}")


# ---- insatser and behov in forms
def _item_list(ctx: Ctx, d, path: str):
    text = d.files[path]
    try:
        items = forms.items_of(text, path)
    except yaml.YAMLError as exc:
        raise Problem(422, f"Filen går inte att läsa som YAML: {exc}. Öppna den som text och rätta.") from None
    _, _, noun = forms.ITEM_FILES[path]
    rows = []
    for it in items:
        data = it.data if isinstance(it.data, dict) else {}
        rows.append({"index": it.index, "key": str(data.get("id") or data.get("code") or it.index),
                     "name": str(data.get("name") or data.get("label") or ""),
                     "level": str(data.get("level") or data.get("group") or "")})
    return render(ctx, "redaktion/item_file.html", title=f"{path} – utkast {d.id}", d=d, path=path, rows=rows,
                  noun=noun, editable=can_edit(ctx.user, d, path),
                  passage=forms.passage_of(text) or "Filen anger ingen passage ur strategin.")


def _item_page(ctx: Ctx, d, path: str, index: int | None, values: dict, revision: int,
               errors: forms.FieldErrors | None = None, notes: dict | None = None, status: int = 200):
    _, specs, noun = forms.ITEM_FILES[path]
    summary = [f"{forms.FIELD_LABELS.get(k, k)}: {m}" for k, ms in (errors.by_field.items() if errors else [])
               for m in ms]
    title = f"Ny {noun}" if index is None else f"{noun.capitalize()} {values.get('id') or values.get('code') or ''}"
    return render(ctx, "redaktion/item.html", status=status, title=title, d=d, path=path,
                  nr="ny" if index is None else str(index), specs=specs, values=values, revision=revision,
                  notes=notes, summary=summary, other=errors.other if errors else [],
                  errors=errors.by_field if errors else {}, fields=views.form_fields(catalog(d.files)),
                  editable=can_edit(ctx.user, d, path),
                  passage=forms.passage_of(d.files[path]) or "Filen anger ingen passage ur strategin.")


def _item_path(d, sokvag: str) -> str:
    path = _path_param(d, sokvag)
    if path not in forms.ITEM_FILES:
        raise Problem(404, "Den filen har inget formulär; öppna den som text.")
    return path


@router.get("/utkast/{draft_id}/post")
@guarded
def item_page(request: Request, draft_id: int, sokvag: str, nr: str = "ny"):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        path = _item_path(d, sokvag)
        items = forms.items_of(d.files[path], path)
        index = _rule_index(items, nr)
        _, specs, _ = forms.ITEM_FILES[path]
        values = forms.form_from_item(specs, items[index].data if index is not None else {})
        return _item_page(ctx, d, path, index, values, d.revision)


@router.post("/utkast/{draft_id}/post")
@guarded
def item_save(request: Request, draft_id: int, sokvag: str, nr: str = "ny", form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, sokvag)
        path = _item_path(d, sokvag)
        key, specs, _ = forms.ITEM_FILES[path]
        text = d.files[path]
        items = forms.items_of(text, path)
        index = _rule_index(items, nr)
        values = {**forms.form_from_item(specs, {}),
                  **{k: v[0] for k, v in form.items() if k not in ("csrf", "revision")}}
        values["expecting"] = one(form, "expecting", "")  # an unticked box is not sent
        revision = int(one(form, "revision", "0") or 0)
        original = items[index].data if index is not None else None
        personal = personal_errors(form)
        if personal:
            return _item_page(ctx, d, path, index, values, revision, personal, status=422)
        try:
            item = forms.item_from_form(specs, form, original)
        except forms.FormError as fe:
            errs = forms.FieldErrors()
            errs.add(fe.field, fe.message)
            return _item_page(ctx, d, path, index, values, revision, errs, status=422)
        item_text = _dumped(text, items, index, item)
        new_text = forms.replace_item(text, items[index] if index is not None else None, item_text, key)
        new_items = forms.items_of(new_text, path)
        start = new_items[index if index is not None else len(new_items) - 1].start
        return _store_item(s, ctx, d, path, form, new_text, start, item_text,
                           functools.partial(_item_page, ctx, d, path, index, values))
