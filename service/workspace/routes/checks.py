"""Kontrollera (validation, lint and every behaviour test, as a background job with its progress)
and Effekt (the exact impact of a draft on every family profile, with CSV downloads)."""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import shutil
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup

from service.core import templating

from .. import checks, featurefiles, views
from .common import (catalog, database, _feature_url, form_body, guarded, login, Problem, redirect, render, _store,
                     temp_pack, validate_files, viewable_draft)

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


def _job_status(kind: str, key: str) -> JSONResponse:
    """The progress of a background job as the status pages poll it (redaktion.js)."""
    st = checks.job_state(kind, key)
    return JSONResponse({"state": st.state, "progress": st.progress, "step": st.step, "error": st.error},
                        headers={"Cache-Control": "no-store"})


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


def check_view(report: checks.CheckReport, draft=None, catalog_: dict | None = None) -> dict[str, Any]:
    """Kontrollera's result for redaktion/check_result.html: scenarios in words staff read, each
    with the place in the behaviour tests (a link to the draft's own test in its editor)."""
    if catalog_ is None and draft is not None:
        catalog_ = catalog(dict(draft.files))

    def said(message: str | None, file: str) -> dict[str, Any]:
        text, place = _scenario_message(message, catalog_)
        link = (_feature_url(draft.id, file) if draft is not None and featurefiles.is_feature(file)
                and file in draft.files else None)
        return {"said": text, "place": place or file, "link": link}

    return {"ok": report.ok, "summary": report.summary(), "errors": report.errors, "lint": report.lint,
            "changes": [{"scenario": c.scenario, "text": c.text, **said(c.message, c.file)} for c in report.changes],
            "failed": [{"scenario": sc.scenario, **said(sc.message, sc.file)} for sc in report.failed],
            "scenarios": len(report.scenarios), "seconds": report.seconds, "version": report.version}


def check_html(report: checks.CheckReport, heading: int = 2, draft=None, catalog_: dict | None = None) -> Markup:
    """Kontrollera's result as HTML (the fragment the pages include)."""
    return templating.render("redaktion/check_result.html", r=check_view(report, draft, catalog_), h=heading,
                             count=views.count)


@router.get("/utkast/{draft_id}/kontrollera")
@guarded
def check_page(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, _, _ = _check_key(s, d)
        state = checks.job_state("kontroll", key)
        report = checks.job_result("kontroll", key) if state.state not in ("missing", "failed", "running") else None
        return render(ctx, "redaktion/check.html", title=f"Kontrollera utkast {d.id}", d=d, state=state,
                      r=check_view(report, draft=d) if report else None)


@router.get("/utkast/{draft_id}/kontrollera/status")
@guarded
def check_status(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, _, _ = _check_key(s, d)
    return _job_status("kontroll", key)


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


def _profiles(text: str, limit: int, cat: dict | None = None) -> tuple[list[str], list[list[tuple[str, Any]]], int]:
    """The changed profiles' CSV as (header labels, the first `limit` rows of (kind, value), rows in all)."""
    rows = list(csv.reader(io.StringIO(text or "")))
    if len(rows) < 2:
        return [], [], 0
    header, body = rows[0], rows[1:]

    def cell(name: str, value: str) -> tuple[str, Any]:
        if name == "exempel" and value:  # "a | b | c": a short list, the rest in the CSV
            return "exempel", [_readable_codes(x, cat) for x in value.split(" | ")]
        if name in ("behov", "insatser", "insats"):
            return "", _readable_codes(value.replace(";", "; "), cat)
        return "", value

    return ([CSV_LABELS.get(h, h) for h in header], [[cell(h, c) for h, c in zip(header, r)] for r in body[:limit]],
            len(body))


KIND_COLUMNS = (("tillagd", "tillagd"), ("borttagen", "borttagen"), ("niva_andrad", "ny nivå"),
                ("tillganglighet", "ändrad tillgång"), ("meddelande", "ändrat meddelande"))


def _cells(text: str, limit: int, cat: dict | None = None) -> tuple[list[dict], int]:
    """The kommun × åldersband × nivå summary, readable: counts per kind in one column, three examples."""
    rows = list(csv.DictReader(io.StringIO(text or "")))
    out = []
    for r in rows[:limit]:
        out.append({"kommun": r.get("kommun", ""), "band": r.get("aldersband", ""), "niva": r.get("niva", ""),
                    "profiles": r.get("profiler", ""), "of": r.get("profiler_i_aldersbandet", ""),
                    "children": r.get("barn") or "",
                    "kinds": ", ".join(f"{label} {r[k]}" for k, label in KIND_COLUMNS if r.get(k) not in (None, "", "0")),
                    "insatser": _readable_codes((r.get("insatser") or "").replace(";", ", "), cat),
                    "examples": [_readable_codes(x, cat) for x in (r.get("exempel") or "").split(" | ") if x]})
    return out, len(rows)


def impact_view(result: dict, limit: int = 150, cat: dict | None = None) -> dict[str, Any]:
    """Effekt's result for redaktion/impact.html."""
    view = {"changed": result.get("changed_profiles"), "total": result.get("total_profiles"),
            "texts": result.get("texts") or [], "seconds": result.get("seconds", 0),
            "kinds": list((result.get("kinds") or {}).items()), "children": result.get("children"),
            "children_without_need": result.get("children_without_need") or 0, "cells": [], "cells_n": 0}
    if view["changed"]:
        if result.get("cells_csv"):
            view["cells"], view["cells_n"] = _cells(result["cells_csv"], limit, cat)
        view["profile_header"], view["profiles"], view["profiles_n"] = _profiles(result["profiles_csv"], limit, cat)
    return view


@router.get("/utkast/{draft_id}/effekt")
@guarded
def impact_page(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, files, _ = _impact_key(s, d)
        page = functools.partial(render, ctx, "redaktion/impact.html", title=f"Effekt av utkast {d.id}", d=d,
                                 limit=150, missing="", errors=[], state=None, r=None)
        if not checks.impact_available():
            return page(missing=checks.IMPACT_MISSING)
        errors = validate_files(files)
        if errors:
            return page(errors=errors)
        state = checks.job_state("effekt", key)
        result = checks.job_result("effekt", key) if state.state not in ("missing", "failed", "running") else None
        return page(state=state, r=impact_view(result, cat=catalog(files)) if result else None)


@router.get("/utkast/{draft_id}/effekt/status")
@guarded
def impact_status(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, _, _ = _impact_key(s, d)
    return _job_status("effekt", key)


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
