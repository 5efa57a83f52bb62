"""The overview (every draft the user may see, a new draft) and a draft's own page: its files, its behaviour tests, the buttons for Kontrollera and Effekt, and the submit form."""
from __future__ import annotations

import re
import urllib.parse

from fastapi import APIRouter, Depends, Request

from .. import featurefiles, forms, views
from ..views import e
from .common import ANY_FEATURE, AVAILABILITY_FILE, Ctx, EDITABLE, _base_files, _feature_url, _kommun_name, _store, can_edit, can_view, catalog, database, field_error, form_body, guarded, login, one, personal_text, redirect, render_html, viewable_draft

router = APIRouter(prefix="/redaktion")


# --------------------------------------------------------------------------- overview
@router.get("")
@guarded
def overview(request: Request):
    with database() as s:
        ctx = login(request, s)
        return _overview(s, ctx)


def _overview(s, ctx: Ctx, reason: str = "", error: str = "", status: int = 200):
    user = ctx.user
    drafts = [d for d in _store().drafts(s, user) if can_view(user, d)]
    rows = []
    names = dict(catalog(dict(_store().current_version(s).files))["kommuner"]) if any(d.kommun for d in drafts) else {}
    for d in drafts:
        what = views.KIND_TEXT.get(d.kind, d.kind) + (f", {names.get(d.kommun, d.kommun)}" if d.kommun else "")
        rows.append([f'<a href="/redaktion/utkast/{d.id}">Utkast {d.id}</a>', e(d.reason), e(what), e(d.author),
                     f'<span class="status-etikett">{e(views.STATUS_TEXT.get(d.status, d.status))}</span>',
                     e(views.when(d.updated_at))])
    parts = [f"<h1>Redaktionen</h1><p class=\"ingress\">Publicerad version: {e(ctx.serving)}.</p>"]
    if user.role in ("redaktor", "granskare"):
        cls, _, err = field_error("anledning", error)
        aria = (' aria-invalid="true" aria-describedby="anledning-hjalp fel-anledning-0"' if error
                else ' aria-describedby="anledning-hjalp"')
        parts.append(f"""<section class="kort" aria-labelledby="nytt-rubrik"><h2 id="nytt-rubrik">Nytt utkast</h2>
<p>Ett utkast börjar som en kopia av den publicerade versionen. Inget ändras för personalen förrän en
granskare har godkänt det.</p>
<form class="enkel-form" method="post" action="/redaktion/utkast">{views.csrf_field(ctx.csrf)}
<div class="falt{cls}"><label for="anledning">Varför ändras regelpaketet?</label>
<p class="hjalp" id="anledning-hjalp">Syns i loggen och för granskaren. Skriv aldrig något om en enskild familj.</p>{err}
<input type="text" id="anledning" name="anledning" value="{e(reason)}" required{aria}></div>
<div><button class="knapp" type="submit" id="nytt-utkast">Skapa utkast</button></div></form></section>""")
    if user.role == "samordnare":
        parts.append('<p><a class="knapp" href="/redaktion/kartlaggning">Rapportera vad kommunen erbjuder</a></p>')
    waiting = [d for d in drafts if d.status == "inskickad" and d.author != user.name]
    if user.role == "granskare" and waiting:
        parts.append('<section class="kort" aria-labelledby="granska-rubrik"><h2 id="granska-rubrik">'
                     f'Väntar på granskning ({len(waiting)})</h2><ul>'
                     + "".join(f'<li><a href="/redaktion/utkast/{d.id}/granska">Utkast {d.id}: {e(d.reason)}</a> '
                               f'– {e(d.author)}</li>' for d in waiting) + "</ul></section>")
    if user.role == "admin":
        parts.append('<p>Som administratör hanterar du <a href="/redaktion/anvandare">konton</a> och kan läsa '
                     '<a href="/redaktion/logg">loggen</a>; innehållet ändras av redaktörer, granskare och '
                     'samordnare.</p>')
    else:
        parts.append('<h2>Utkast</h2>')
        parts.append(views.table(["Utkast", "Anledning", "Gäller", "Skrivet av", "Status", "Ändrat"], rows)
                     if rows else '<p class="tom">Inga utkast ännu.</p>')
    return render_html(ctx, "Översikt", "\n".join(parts), "/redaktion", status=status)


@router.post("/utkast")
@guarded
def new_draft(request: Request, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("redaktor", "granskare"), form)
        reason = one(form, "anledning").strip()
        error = "Skriv varför regelpaketet ändras." if not reason else personal_text(reason, "Anledningen")
        if error:
            return _overview(s, ctx, reason, error, status=422)
        draft = _store().create_draft(s, ctx.user, reason)
        draft_id = draft.id
    return redirect(f"/redaktion/utkast/{draft_id}")


# --------------------------------------------------------------------------- one draft
@router.get("/utkast/{draft_id}")
@guarded
def draft_page(request: Request, draft_id: int, sparat: str = ""):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        return _draft_page(s, ctx, d, sparat)


def _draft_page(s, ctx: Ctx, d, sparat: str = "", new_name: str = "", new_error: str = "", status: int = 200,
                submit_text: str | None = None, submit_error: str = ""):
    base = _base_files(s, d)
    files = dict(d.files)
    editable = can_edit(ctx.user, d)
    parts = [f"<h1>Utkast {d.id}: {e(d.reason)}</h1>",
             f'<p class="ingress">Gäller {e(views.KIND_TEXT.get(d.kind, d.kind))}'
             f'{" för " + e(_kommun_name(files, d.kommun)) if d.kommun else ""}. '
             f'Skrivet av {e(d.author)}. Status: <strong>{e(views.STATUS_TEXT.get(d.status, d.status))}</strong>. '
             f'Revision {d.revision}, senast ändrat {e(views.when(d.updated_at))}.</p>']
    if sparat:
        parts.append(views.message(f"Sparat: {sparat}.", "ok"))
    if d.review_comment and d.status == "aterskickad":
        parts.append(views.message(f"Granskarens kommentar: {d.review_comment}"))
    changed = views.changed_files(base, files)
    rows = []
    for rel in sorted(files):
        if featurefiles.is_feature(rel):
            continue  # the section Beteendetester below
        links = []
        if forms.is_rule_file(rel):
            links.append(f'<a href="/redaktion/utkast/{d.id}/fil?sokvag={urllib.parse.quote(rel)}">Regler i formulär</a>')
        elif rel in forms.ITEM_FILES:
            links.append(f'<a href="/redaktion/utkast/{d.id}/fil?sokvag={urllib.parse.quote(rel)}">'
                         f'{"Insatser" if rel == "insatser.yaml" else "Behov"} i formulär</a>')
        if rel == AVAILABILITY_FILE and d.kind == "tillganglighet":
            links.append('<a href="/redaktion/kartlaggning">Kartläggningsformuläret</a>')
        # every file can be read; only the files the draft's kind allows can be edited
        links.append(f'<a href="/redaktion/utkast/{d.id}/text?sokvag={urllib.parse.quote(rel)}">'
                     f'{"Text (YAML)" if can_edit(ctx.user, d, rel) else "Visa text"}</a>')
        rows.append([f'<span class="fil">{e(rel)}</span>', "ändrad" if rel in changed else "",
                     " · ".join(links)])
    parts.append('<h2>Filer</h2>' + views.table(["Fil", "Ändrad i utkastet", "Öppna"], rows))
    parts.append(_features_section(ctx, d, base, files, can_edit(ctx.user, d, ANY_FEATURE), new_name, new_error))
    parts.append('<h2>Innan granskning</h2><div class="knappar">'
                 f'<form method="post" action="/redaktion/utkast/{d.id}/kontrollera">{views.csrf_field(ctx.csrf)}'
                 '<button class="knapp" type="submit" id="kontrollera">Kontrollera</button></form>'
                 f'<form method="post" action="/redaktion/utkast/{d.id}/effekt">{views.csrf_field(ctx.csrf)}'
                 '<button class="knapp" type="submit" id="effekt">Effekt</button></form>'
                 f'<a class="knapp knapp-sekundar" href="/redaktion/utkast/{d.id}/granska">Ändringar och granskning</a></div>')
    if d.status in EDITABLE and (editable or ctx.user.role == "samordnare"):
        cls, aria, err = field_error("skal", submit_error)
        parts.append(f"""<section class="kort" aria-labelledby="skicka-rubrik"><h2 id="skicka-rubrik">Skicka in för granskning</h2>
<form class="enkel-form" method="post" action="/redaktion/utkast/{d.id}/skicka-in">{views.csrf_field(ctx.csrf)}
<div class="falt{cls}"><label for="skal">Vad ändras och varför?</label>
<p class="hjalp">Granskaren ser det tillsammans med utkastets anledning ("{e(d.reason)}"), som står kvar.</p>{err}
<textarea id="skal" name="skal" required{aria}>{e(d.reason if submit_text is None else submit_text)}</textarea></div>
<div><button class="knapp" type="submit" id="skicka-in">Skicka in</button></div></form></section>""")
    return render_html(ctx, f"Utkast {d.id}", "\n".join(parts), status=status)


def _features_section(ctx: Ctx, d, base: dict[str, str], files: dict[str, str], editable: bool,
                      new_name: str = "", new_error: str = "") -> str:
    feats = featurefiles.of(files)
    removed = [p for p in featurefiles.of(base) if p not in files]
    rows = []
    for path, text in feats.items():
        m = re.search(r"^\s*Egenskap:\s*(.+)$", text, re.M)
        title = m.group(1).strip() if m else ""
        state = "ny" if path not in base else ("ändrad" if base[path] != text else "")
        scenarios = len(re.findall(r"^\s*Scenario(?:mall)?:", text, re.M))
        rows.append([f'<a href="{e(_feature_url(d.id, path))}">{e(featurefiles.name_of(path))}</a>', e(title),
                     str(scenarios), e(state)])
    rows += [[f'<span class="fil">{e(featurefiles.name_of(p))}</span>', "", "", "borttagen"] for p in removed]
    parts = ['<section aria-labelledby="beteende-rubrik"><h2 id="beteende-rubrik">Beteendetester</h2>',
             '<p>Strategin skriven som exempel (Gherkin, svenska). Kontrollera och godkännandet kör utkastets '
             'beteendetester mot utkastets regler. Öppna ett test för att '
             f'{"ändra det" if editable else "läsa det"}.</p>',
             views.table(["Beteendetest", "Egenskap", "Scenarier", "Ändrat i utkastet"], rows, "Utkastets beteendetester")
             if rows else '<p class="tom">Utkastet har inga beteendetester.</p>']
    if editable:
        cls, aria, err = "", ' aria-describedby="nytt-test-hjalp"', ""
        if new_error:
            cls, aria = " falt-fel", ' aria-invalid="true" aria-describedby="nytt-test-hjalp fel-namn-0"'
            err = f'<p class="fel" id="fel-namn-0">{e(new_error)}</p>'
        parts.append(f"""<form class="enkel-form" method="post" action="/redaktion/utkast/{d.id}/beteendetest/ny">
{views.csrf_field(ctx.csrf)}<input type="hidden" name="revision" value="{d.revision}">
<div class="falt{cls}"><label for="nytt-test">Namn på ett nytt beteendetest</label>
<p class="hjalp" id="nytt-test-hjalp">Små bokstäver, siffror och bindestreck, till exempel familjecentral-nora.
Testet börjar som ett exempel som du sedan skriver om.</p>{err}
<input type="text" id="nytt-test" name="namn" value="{e(new_name)}" required{aria}></div>
<div><button class="knapp knapp-sekundar" type="submit" id="nytt-beteendetest">Lägg till beteendetest</button></div></form>""")
    parts.append("</section>")
    return "\n".join(parts)
