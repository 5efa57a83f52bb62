"""Kontrollera (validation, lint and every behaviour test, as a background job with its progress) and Effekt (the exact impact of a draft on every family profile, with CSV downloads)."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from .. import checks, featurefiles, views
from ..views import e
from .common import Problem, _feature_url, _store, catalog, database, form_body, guarded, login, redirect, render_html, temp_pack, validate_files, viewable_draft

router = APIRouter(prefix="/redaktion")


# --------------------------------------------------------------------------- Kontrollera
def _check_key(s, d) -> tuple[str, dict, dict]:
    current = _store().current_version(s)
    files = dict(d.files)
    # the current version's number too: versions differing only in their features share a version string
    key = checks.job_key("kontroll", f"{current.number}:{current.version}", *[f"{k}\0{files[k]}" for k in sorted(files)])
    return key, files, dict(current.files)


def _start_pack_job(kind: str, key: str, files: dict, current: dict, run) -> checks.JobState:
    """A background job `run(draft_dir, current_dir, progress)` on the draft's and the current
    version's files, written to temporary pack directories that are removed afterwards."""
    dirs: list[Path] = []

    def work(progress):
        draft_dir, cur_dir = temp_pack(files), temp_pack(current)
        dirs.extend([draft_dir, cur_dir])
        return run(draft_dir, cur_dir, progress)

    def cleanup():
        for directory in dirs:
            shutil.rmtree(directory, ignore_errors=True)

    return checks.start_job(kind, key, work, cleanup)


def _start_check(key: str, files: dict, current: dict) -> checks.JobState:
    return _start_pack_job("kontroll", key, files, current, checks.run_checks)


@router.post("/utkast/{draft_id}/kontrollera")
@guarded
def check_start(request: Request, draft_id: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = viewable_draft(s, ctx, draft_id)
        key, files, current = _check_key(s, d)
    _start_check(key, files, current)
    return redirect(f"/redaktion/utkast/{draft_id}/kontrollera")


def _status_box(url: str, state: checks.JobState, what: str) -> str:
    return (f'<div class="kort" data-status-url="{e(url)}" aria-live="polite">'
            f'<p><label for="framsteg">{e(what)} pågår</label></p>'
            f'<progress id="framsteg" class="framsteg" max="100" value="{int(state.progress * 100)}">'
            f'{int(state.progress * 100)} %</progress>'
            f'<p class="status-text">{e(state.step or "Startar")}</p>'
            f'<noscript><p><a href="">Uppdatera sidan</a> för att se hur det går.</p></noscript></div>')


def _published_number(s, d) -> int | None:
    from ..models import PackVersion

    pv = s.get(PackVersion, d.published_version_id) if d.published_version_id else None
    return pv.number if pv else None


_PLACE = re.compile(r"^\s*(features/[^\s:]+\.feature(?::\d+)?):\s*")
_QUOTED_CODE = re.compile(r"(insatsen|insatser|behovet|behov)\s+'([a-z0-9_\-]+)'")


def _names(cat: dict | None) -> dict[str, str]:
    cat = cat or {}
    names = {code: label for code, label, _ in cat.get("needs", []) if label}
    names.update({iid: name for iid, name, _ in cat.get("insatser", []) if name})
    return names


def _scenario_message(message: str | None, cat: dict | None) -> tuple[str, str]:
    """(the message in words staff read, the file:line it came from for editors): codes in quotes
    become the pack's Swedish names, and the leading path moves to the second part."""
    text = message or ""
    place = ""
    m = _PLACE.match(text)
    if m:
        place, text = m.group(1), text[m.end():]
    names = _names(cat)
    text = _QUOTED_CODE.sub(lambda mm: f"{mm.group(1)} {names.get(mm.group(2), mm.group(2))}", text)
    return text, place


def _readable_codes(text: str, cat: dict | None) -> str:
    """'behov: alkohol_narkotika_ungdom; familjecentral' with the pack's names for the codes."""
    names = _names(cat)
    return re.sub(r"[a-z0-9][a-z0-9_\-]*[a-z0-9]", lambda m: names.get(m.group(0), m.group(0)), text)


def check_html(report: checks.CheckReport, heading: int = 2, draft=None, catalog_: dict | None = None) -> str:
    h = f"h{heading}"
    if catalog_ is None and draft is not None:
        catalog_ = catalog(dict(draft.files))

    def where(file: str, place: str = "") -> str:  # a behaviour test of the draft opens in its editor
        cell = f'<span class="liten fil">{e(place or file)}</span>'
        if draft is not None and featurefiles.is_feature(file) and file in draft.files:
            return f'<a href="{e(_feature_url(draft.id, file))}">{cell}</a>'
        return cell

    def said(message: str | None, file: str) -> str:
        text, place = _scenario_message(message, catalog_)
        return f'{e(text)}<br>{where(file, place)}' if text else where(file, place)

    parts = []
    kind = "ok" if report.ok else "fel"
    parts.append(views.message(("Kontrollen godkänd. " if report.ok else "Kontrollen hittade problem. ") + report.summary(), kind))
    if report.errors:
        parts.append(f"<{h}>Fel i regelpaketet</{h}><ul>" + "".join(f"<li><code>{e(x)}</code></li>" for x in report.errors) + "</ul>")
    if report.changes:
        rows = [[e(c.scenario), e(c.text), said(c.message, c.file)] for c in report.changes]
        parts.append(f'<{h} id="andrade-scenarier">Scenarier som ändrat resultat</{h}>'
                     + views.table(["Scenario", "Förändring", "Varför (och var i beteendetesterna)"], rows))
    if report.failed:
        rows = [[e(sc.scenario), said(sc.message, sc.file)] for sc in report.failed]
        parts.append(f'<{h} id="underkanda">Underkända scenarier</{h}>'
                     + views.table(["Scenario", "Varför (och var i beteendetesterna)"], rows))
    if report.lint:
        parts.append(f"<{h}>Anmärkningar (lint)</{h}><ul>" + "".join(f"<li>{e(x)}</li>" for x in report.lint) + "</ul>")
    if report.scenarios:
        parts.append(f'<p class="liten">{views.count(len(report.scenarios), "scenario", "scenarier")} körda på {report.seconds:.1f} s. '
                     f'Utkastets version: {e(report.version or "–")}.</p>')
    return "\n".join(parts)


@router.get("/utkast/{draft_id}/kontrollera")
@guarded
def check_page(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, _, _ = _check_key(s, d)
        state = checks.job_state("kontroll", key)
        head = (f"<h1>Kontrollera utkast {d.id}</h1><p><a href=\"/redaktion/utkast/{d.id}\">Tillbaka till utkastet</a></p>"
                "<p class=\"ingress\">Validering, lint och utkastets alla beteendetester (Gherkin) körs mot utkastet, "
                "och den publicerade versionens beteendetester mot den publicerade versionen, så att du ser vilka "
                "scenarier som ändrar resultat.</p>")
        if state.state == "missing" or (state.state == "failed"):
            extra = views.message(f"Kontrollen misslyckades: {state.error}", "fel") if state.state == "failed" else ""
            body = (extra + f'<form method="post" action="/redaktion/utkast/{d.id}/kontrollera">{views.csrf_field(ctx.csrf)}'
                    '<button class="knapp" type="submit" id="kontrollera">Kontrollera nu</button></form>')
        elif state.state == "running":
            body = _status_box(f"/redaktion/utkast/{d.id}/kontrollera/status", state, "Kontrollen")
        else:
            report = checks.job_result("kontroll", key)
            body = check_html(report, draft=d) if report else views.message("Resultatet saknas; kör kontrollen igen.", "fel")
        return render_html(ctx, f"Kontrollera utkast {d.id}", head + body)


@router.get("/utkast/{draft_id}/kontrollera/status")
@guarded
def check_status(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, _, _ = _check_key(s, d)
    st = checks.job_state("kontroll", key)
    return JSONResponse({"state": st.state, "progress": st.progress, "step": st.step, "error": st.error},
                        headers={"Cache-Control": "no-store"})


# --------------------------------------------------------------------------- Effekt
def _impact_key(s, d) -> tuple[str, dict, dict]:
    current = _store().current_version(s)
    files = dict(d.files)
    key = checks.job_key("effekt", dt.date.today().isoformat(), *[f"{k}\0{current.files[k]}" for k in sorted(current.files)],
                         "\0\0", *[f"{k}\0{files[k]}" for k in sorted(files)])
    return key, files, dict(current.files)


def _start_impact(key: str, files: dict, current: dict) -> checks.JobState:
    def run(draft_dir, cur_dir, progress):
        started = time.monotonic()
        summary = checks.impact_summary(checks.run_impact(cur_dir, draft_dir, dt.date.today(), progress))
        from engine import load_pack

        summary["texts"] = checks.text_changes(load_pack(cur_dir), load_pack(draft_dir))
        summary["seconds"] = time.monotonic() - started
        return summary

    return _start_pack_job("effekt", key, files, current, run)


@router.post("/utkast/{draft_id}/effekt")
@guarded
def impact_start(request: Request, draft_id: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = viewable_draft(s, ctx, draft_id)
        key, files, current = _impact_key(s, d)
    if checks.impact_available():
        errors = validate_files(files)
        if not errors:
            _start_impact(key, files, current)
    return redirect(f"/redaktion/utkast/{draft_id}/effekt")


CSV_LABELS = {
    "kommun": "Kommun", "kommunkod": "Kommunkod", "aldersband": "Åldersband", "niva": "Nivå",
    "profiler": "Profiler", "profiler_i_aldersbandet": "Profiler i åldersbandet", "tillagd": "Tillagd",
    "borttagen": "Borttagen", "niva_andrad": "Nivå ändrad", "tillganglighet": "Tillgång ändrad",
    "meddelande": "Meddelande", "insatser": "Insatser", "barn": "Barn", "barn_utan_behov": "Barn utan behov",
    "exempel": "Exempel", "alder_fran_manader": "Ålder från (mån)", "alder_till_manader": "Ålder till (mån)",
    "behov": "Behov", "andring": "Ändring", "insats": "Insats", "fore": "Före", "efter": "Efter",
}


def _csv_table(text: str, table_id: str, label: str, limit: int, cat: dict | None = None) -> tuple[str, int]:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text or "")))
    if len(rows) < 2:
        return "", 0
    header, body = rows[0], rows[1:]

    def cell(name: str, value: str) -> str:
        if name == "exempel" and value:  # "a | b | c": a short list, the rest in the CSV
            examples = value.split(" | ")
            more = f'<li class="liten">och {len(examples) - 3} till i CSV-filen</li>' if len(examples) > 3 else ""
            return "<ul>" + "".join(f"<li>{e(_readable_codes(x, cat))}</li>" for x in examples[:3]) + more + "</ul>"
        if name in ("behov", "insatser", "insats"):
            return e(_readable_codes(value.replace(";", "; "), cat))
        return e(value)

    table = views.table([CSV_LABELS.get(h, h) for h in header],
                        [[cell(h, c) for h, c in zip(header, r)] for r in body[:limit]])
    table = table.replace("<table", f'<table id="{table_id}" aria-label="{e(label)}"', 1)
    return (f'<div class="tabell-rulla" role="region" aria-label="{e(label)}" tabindex="0">{table}</div>', len(body))


KIND_COLUMNS = (("tillagd", "tillagd"), ("borttagen", "borttagen"), ("niva_andrad", "ny nivå"),
                ("tillganglighet", "ändrad tillgång"), ("meddelande", "ändrat meddelande"))


def _cells_table(text: str, limit: int, cat: dict | None = None) -> tuple[str, int]:
    """The kommun × åldersband × nivå summary, readable: counts per kind in one column, three examples."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(text or "")))
    out = []
    for r in rows[:limit]:
        kinds = ", ".join(f"{label} {r[k]}" for k, label in KIND_COLUMNS if r.get(k) not in (None, "", "0"))
        examples = [x for x in (r.get("exempel") or "").split(" | ") if x]
        more = f'<li class="liten">och {len(examples) - 3} till i CSV-filen</li>' if len(examples) > 3 else ""
        children = f"<br><span class=\"liten\">barn: {e(r['barn'])}</span>" if r.get("barn") else ""
        out.append([e(r.get("kommun", "")), e(r.get("aldersband", "")), e(r.get("niva", "")),
                    f"{e(r.get('profiler', ''))} av {e(r.get('profiler_i_aldersbandet', ''))}{children}",
                    e(kinds), e(_readable_codes((r.get("insatser") or "").replace(";", ", "), cat)),
                    "<ul>" + "".join(f"<li>{e(_readable_codes(x, cat))}</li>" for x in examples[:3]) + more + "</ul>"])
    label = "Sammanfattning per kommun, åldersband och nivå"
    table = views.table(["Kommun", "Åldersband", "Nivå", "Profiler", "Ändringar", "Insatser", "Exempel"], out)
    table = table.replace("<table", f'<table id="effekt-celler" aria-label="{label}"', 1)
    return f'<div class="tabell-rulla" role="region" aria-label="{label}" tabindex="0">{table}</div>', len(rows)


def _texts_html(texts: list[dict]) -> str:
    """The texts staff read that the draft changes (a rule's motivation, an insats's name …)."""
    if not texts:
        return ""
    items = "".join(f"<li>{e(t['what'])}: <del>{e(t['before'])}</del> → <ins>{e(t['after'])}</ins></li>"
                    for t in texts[:50])
    more = f'<p class="liten">och {len(texts) - 50} till.</p>' if len(texts) > 50 else ""
    return (f'<h2 id="texter">Texter som personalen läser och som ändras ({views.count(len(texts), "text", "texter")})</h2>'
            f'<ul class="texter">{items}</ul>{more}')


def impact_html(result: dict, draft_id: int, limit: int = 150, cat: dict | None = None) -> str:
    changed, total = result.get("changed_profiles"), result.get("total_profiles")
    texts = result.get("texts") or []
    if not changed:
        if texts:
            return views.message(f"Ingen profil får en annan rekommendation{f' (av {total} undersökta)' if total else ''}, "
                                 f"men {views.count(len(texts), 'text', 'texter')} som personalen läser ändras.") \
                + _texts_html(texts)
        return views.message(f"Inga profiler får ett annat svar med utkastet"
                             f"{f' (av {total} undersökta)' if total else ''}, och inga texter ändras.", "ok")
    parts = [views.message(f"{changed} av {views.count(total or 0, 'profil', 'profiler')} får ett annat svar om "
                           f"utkastet publiceras (beräknat på {result.get('seconds', 0):.1f} s).")]
    if result.get("kinds"):
        parts.append("<ul>" + "".join(f"<li>{e(k)}: {views.count(n, 'profil', 'profiler')}</li>"
                                      for k, n in result["kinds"].items()) + "</ul>")
    if result.get("children") is not None:
        parts.append(f"<p>Viktat med regelpaketets befolkningsuppgifter: upp till {result['children']:.0f} barn "
                     f"(varav {result.get('children_without_need') or 0:.0f} utan särskilt behov).</p>")
    links = [f'<a class="knapp knapp-sekundar" href="/redaktion/utkast/{draft_id}/effekt.csv?per=profiler" download>'
             'Ladda ner ändrade profiler (CSV)</a>']
    if result.get("cells_csv"):
        links.append(f'<a class="knapp knapp-sekundar" href="/redaktion/utkast/{draft_id}/effekt.csv?per=celler" download>'
                     'Ladda ner sammanfattningen (CSV)</a>')
    parts.append('<div class="knappar">' + "".join(links) + "</div>")
    if result.get("cells_csv"):
        table, n = _cells_table(result["cells_csv"], limit, cat)
        parts.append(f'<h2 id="sammanfattning">Per kommun, åldersband och nivå ({views.count(n, "cell", "celler")})</h2>{table}')
        if n > limit:
            parts.append(f'<p class="liten">Visar de första {limit}; alla finns i CSV-filen.</p>')
    table, n = _csv_table(result["profiles_csv"], "effekt-tabell", "Ändrade profiler", limit, cat)
    parts.append(f'<h2 id="profiler">Ändrade profiler ({views.count(n, "rad", "rader")})</h2>{table}')
    if n > limit:
        parts.append(f'<p class="liten">Visar de första {limit}; alla finns i CSV-filen.</p>')
    parts.append(_texts_html(texts))
    return "\n".join(parts)


@router.get("/utkast/{draft_id}/effekt")
@guarded
def impact_page(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, files, _ = _impact_key(s, d)
        head = (f"<h1>Effekt av utkast {d.id}</h1><p><a href=\"/redaktion/utkast/{d.id}\">Tillbaka till utkastet</a></p>"
                "<p class=\"ingress\">Vilka familjer får ett annat svar om utkastet publiceras? Beräknat exakt över alla "
                "kommuner, varje ålder 0–216 månader och blivande föräldrar, utan behov, med varje behov och varje par "
                "av behov: insatser som läggs till eller tas bort, ändrad nivå och ändrad tillgång.</p>")
        if not checks.impact_available():
            return render_html(ctx, f"Effekt av utkast {d.id}", head + views.message(checks.IMPACT_MISSING, "fel"))
        errors = validate_files(files)
        if errors:
            return render_html(ctx, f"Effekt av utkast {d.id}",
                          head + views.message("Utkastet är inte ett giltigt regelpaket; rätta felen först.", "fel", errors))
        state = checks.job_state("effekt", key)
        if state.state in ("missing", "failed"):
            extra = views.message(f"Beräkningen misslyckades: {state.error}", "fel") if state.state == "failed" else ""
            body = (extra + f'<form method="post" action="/redaktion/utkast/{d.id}/effekt">{views.csrf_field(ctx.csrf)}'
                    '<button class="knapp" type="submit" id="effekt">Beräkna effekten</button></form>')
        elif state.state == "running":
            body = _status_box(f"/redaktion/utkast/{d.id}/effekt/status", state, "Effektberäkningen")
        else:
            result = checks.job_result("effekt", key)
            body = impact_html(result, d.id, cat=catalog(files)) if result else views.message("Resultatet saknas; beräkna igen.", "fel")
        return render_html(ctx, f"Effekt av utkast {d.id}", head + body)


@router.get("/utkast/{draft_id}/effekt/status")
@guarded
def impact_status(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, _, _ = _impact_key(s, d)
    st = checks.job_state("effekt", key)
    return JSONResponse({"state": st.state, "progress": st.progress, "step": st.step, "error": st.error},
                        headers={"Cache-Control": "no-store"})


@router.get("/utkast/{draft_id}/effekt.csv")
@guarded
def impact_csv_download(request: Request, draft_id: int, per: str = "profiler"):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, _, _ = _impact_key(s, d)
    result = checks.job_result("effekt", key) if checks.job_state("effekt", key).state == "done" else None
    if not result:
        raise Problem(404, "Effekten är inte beräknad för utkastets nuvarande innehåll. Beräkna den först.")
    text = result.get("cells_csv") if per == "celler" else result.get("profiles_csv")
    if not text:
        raise Problem(404, "Den tabellen finns inte i beräkningen.")
    name = "sammanfattning" if per == "celler" else "profiler"
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="effekt-utkast-{draft_id}-{name}.csv"',
                             "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
