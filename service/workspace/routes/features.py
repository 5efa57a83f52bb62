"""A draft's behaviour tests (Gherkin in Swedish): the editor with the steps one may use, saving, adding and removing a test."""
from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Depends, Request

from .. import featurefiles, views
from ..views import e
from .common import ANY_FEATURE, Ctx, LIMIT_TEXT, MAX_FORM_BYTES, Problem, _feature_url, _store, can_edit, database, editable_draft, form_body, guarded, login, one, redirect, render_html, viewable_draft
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


def _steps_aside() -> str:
    groups: dict[str, list[featurefiles.Step]] = {}
    for step in featurefiles.step_catalogue():
        groups.setdefault(step.group, []).append(step)
    parts = ['<aside class="passage steg-lista" aria-labelledby="steg-rubrik"><h2 id="steg-rubrik">Steg du kan använda</h2>',
             '<p>Skriv stegen precis så här och byt bara värdena inom citattecken och talen. Ett steg kan också '
             'börja med <strong>Och</strong> eller <strong>Men</strong>. Behov och insatser kan skrivas med namn '
             'eller kod. Ett steg som inte finns i listan blir ett underkänt scenario i Kontrollera.</p>']
    for group, steps in groups.items():
        parts.append(f"<h3>{e(group)}</h3><ul>")
        parts += [f'<li><code>{e(st.text)}</code>' + (f" – {e(st.meaning)}" if st.meaning else "") + "</li>"
                  for st in steps]
        parts.append("</ul>")
    parts.append("</aside>")
    return "".join(parts)


def _feature_page(ctx: Ctx, draft, path: str, text: str, revision: int, notes: str = "",
                  errors: list[str] | None = None, status: int = 200):
    editable = can_edit(ctx.user, draft, path)
    name = featurefiles.name_of(path)
    url = _feature_url(draft.id, path)
    described = "gherkin-hjalp"
    err_html, cls, invalid = "", "", ""
    if errors:
        err_html = "".join(f'<p class="fel" id="fel-gherkin-{i}">{e(m)}</p>' for i, m in enumerate(errors))
        described += " " + " ".join(f"fel-gherkin-{i}" for i in range(len(errors)))
        cls, invalid = " falt-fel", ' aria-invalid="true"'
    ro = "" if editable else " readonly"
    buttons = ('<div><button class="knapp" type="submit" id="spara-beteendetest">Spara</button></div>'
               if editable else "")
    remove = (f"""<form method="post" action="/redaktion/utkast/{draft.id}/beteendetest/ta-bort?namn={urllib.parse.quote(name)}">
{views.csrf_field(ctx.csrf)}<input type="hidden" name="revision" value="{revision}">
<button class="knapp knapp-fara" type="submit" id="ta-bort-beteendetest">Ta bort beteendetestet {e(name)}</button></form>"""
              if editable else "")
    main = f"""<h1>Beteendetest {e(name)} i utkast {draft.id}</h1>
<p><a href="/redaktion/utkast/{draft.id}">Tillbaka till utkastet</a> ·
<a href="/redaktion/utkast/{draft.id}/kontrollera">Kontrollera utkastet</a></p>
{notes}
<div class="regel-layout">{_steps_aside()}
<div><form class="yaml-form" method="post" action="{e(url)}" data-max-bytes="{MAX_FORM_BYTES}">
{views.csrf_field(ctx.csrf)}<input type="hidden" name="revision" value="{revision}">
<div class="falt{cls}"><label for="gherkin" class="etikett">Beteendetestets text (Gherkin på svenska)</label>
<p class="hjalp" id="gherkin-hjalp">Första raden är <code># language: sv</code>, sedan <code>Egenskap:</code> och ett
eller flera <code>Scenario:</code> med taggen för strategins avsnitt (till exempel <code>@strategi-avsnitt-4</code>).
Fel i texten visas med radnummer; det du skrivit finns kvar. {e(LIMIT_TEXT)}</p>{err_html}
<textarea id="gherkin" name="text" spellcheck="false" aria-describedby="{described}"{invalid}{ro}>{e(text)}</textarea></div>
{buttons}</form>
{remove}</div></div>"""
    return render_html(ctx, f"Beteendetest {name} – utkast {draft.id}", main, status=status)


def _feature_save(s, ctx: Ctx, d, path: str, form: dict):
    store = _store()
    text = one(form, "text")
    if not text.endswith("\n"):
        text += "\n"
    try:
        expected = int(one(form, "revision"))
    except ValueError:
        raise Problem(422, "Formuläret saknar utkastets revision. Ladda om sidan.") from None
    problems = featurefiles.syntax_problems(text) or featurefiles.tag_problems(text, d.files)
    if problems:
        notes = views.message("Inte sparat: texten är inte giltig Gherkin. Rätta raderna som anges vid fältet och spara "
                              "igen; din text finns kvar nedan.", "fel")
        return _feature_page(ctx, d, path, text, expected, notes, [str(p) for p in problems], status=422)
    try:
        store.save_file(s, d.id, path, text, ctx.user, expected)
    except store.Conflict:
        s.refresh(d)
        theirs = d.files.get(path, "")
        notes = views.message(
            f"Någon annan har sparat utkastet sedan du öppnade beteendetestet (nu revision {d.revision}). Din text är "
            "inte sparad men finns kvar nedan. Jämför med den sparade versionen och spara igen om din ska gälla.",
            "fel") + views.diff_html(f"{path}: sparad version → din text", theirs, text)
        return _feature_page(ctx, d, path, text, d.revision, notes, status=409)
    except store.Invalid as exc:  # a personnummer, say: shown at the field, the text kept
        notes = views.message("Inte sparat. Rätta och spara igen; din text finns kvar nedan.", "fel")
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
        try:
            expected = int(one(form, "revision"))
        except ValueError:
            raise Problem(422, "Formuläret saknar utkastets revision. Ladda om sidan.") from None
        try:
            store.save_file(s, d.id, path, None, ctx.user, expected)
        except store.Conflict:
            s.refresh(d)
            notes = views.message(f"Någon annan har sparat utkastet sedan du öppnade beteendetestet (nu revision "
                                  f"{d.revision}). Inget är borttaget. Läs den sparade texten nedan och ta bort igen "
                                  "om testet ändå ska bort.", "fel")
            return _feature_page(ctx, d, path, d.files.get(path, ""), d.revision, notes, status=409)
    return redirect(f"/redaktion/utkast/{draft_id}?sparat={urllib.parse.quote(path + ' (borttagen)')}")
