"""The overview (every draft the user may see, a new draft) and a draft's own page: its files, its
behaviour tests, the buttons for Kontrollera and Effekt, and the submit form."""
from __future__ import annotations

import re
import urllib.parse

from fastapi import APIRouter, Depends, Request

from .. import featurefiles, forms, views
from .common import (ANY_FEATURE, AVAILABILITY_FILE, EDITABLE, _base_files, can_edit, can_view, catalog, Ctx, database,
                     _feature_url, form_body, guarded, _kommun_name, login, one, personal_text, redirect, render,
                     _store, viewable_draft)

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
    names = dict(catalog(dict(_store().current_version(s).files))["kommuner"]) if any(d.kommun for d in drafts) else {}
    waiting = [d for d in drafts if d.status == "inskickad" and d.author != user.name]
    return render(ctx, "redaktion/overview.html", status=status, title="Översikt", path="/redaktion",
                  role=user.role, reason=reason, error=error, drafts=drafts, names=names, waiting=waiting)


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
    changed = views.changed_files(base, files)
    rows = []
    for rel in sorted(files):
        if featurefiles.is_feature(rel):
            continue  # the section Beteendetester
        q = urllib.parse.quote(rel)
        links = []
        if forms.is_rule_file(rel):
            links.append((f"/redaktion/utkast/{d.id}/fil?sokvag={q}", "Regler i formulär"))
        elif rel in forms.ITEM_FILES:
            links.append((f"/redaktion/utkast/{d.id}/fil?sokvag={q}",
                          f'{"Insatser" if rel == "insatser.yaml" else "Behov"} i formulär'))
        if rel == AVAILABILITY_FILE and d.kind == "tillganglighet":
            links.append(("/redaktion/kartlaggning", "Kartläggningsformuläret"))
        # every file can be read; only the files the draft's kind allows can be edited
        links.append((f"/redaktion/utkast/{d.id}/text?sokvag={q}",
                      "Text (YAML)" if can_edit(ctx.user, d, rel) else "Visa text"))
        rows.append({"path": rel, "changed": rel in changed, "links": links})
    return render(ctx, "redaktion/draft.html", status=status, title=f"Utkast {d.id}", d=d, sparat=sparat,
                  kommun_name=_kommun_name(files, d.kommun) if d.kommun else "", files=rows,
                  features=_features(d, base, files), features_editable=can_edit(ctx.user, d, ANY_FEATURE),
                  new_name=new_name, new_error=new_error, submit_text=submit_text, submit_error=submit_error,
                  may_submit=d.status in EDITABLE and (editable or ctx.user.role == "samordnare"))


def _features(d, base: dict[str, str], files: dict[str, str]) -> list[dict]:
    """The draft's behaviour tests for its page: name, Egenskap, scenarios, what changed."""
    out = []
    for path, text in featurefiles.of(files).items():
        m = re.search(r"^\s*Egenskap:\s*(.+)$", text, re.M)
        out.append({"url": _feature_url(d.id, path), "name": featurefiles.name_of(path),
                    "title": m.group(1).strip() if m else "",
                    "scenarios": len(re.findall(r"^\s*Scenario(?:mall)?:", text, re.M)),
                    "state": "ny" if path not in base else ("ändrad" if base[path] != text else "")})
    out += [{"url": None, "name": featurefiles.name_of(p), "state": "borttagen"}
            for p in featurefiles.of(base) if p not in files]
    return out
