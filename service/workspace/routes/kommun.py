"""The samordnare's kartläggning: what the kommun offers of each insats, saved as an availability
draft that a granskare approves."""
from __future__ import annotations

import datetime as dt
import shutil
import urllib.parse
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from .. import views
from .common import (EDITABLE, catalog, Ctx, database, form_body, guarded, _kommun_name, login, one, Problem, redirect,
                     render, _store, temp_pack)

router = APIRouter(prefix="/redaktion")
TARGET_GROUPS = (
    ("blivande-foraldrar", "Blivande föräldrar"),
    ("foraldrar-0-5", "Föräldrar till barn 0–5 år"),
    ("foraldrar-6-12", "Föräldrar till barn 6–12 år"),
    ("foraldrar-13-18", "Föräldrar till tonåringar 13–18 år"),
    ("nyanlanda", "Nyanlända föräldrar"),
    ("separerade", "Separerade föräldrar"),
    ("kognitiva-svarigheter", "Föräldrar med kognitiva svårigheter"),
    ("pappor", "Pappor"),
)


STATUS_CHOICES = (("finns", "finns"), ("saknas", "saknas"), ("planeras", "planeras (från datum)"),
                  ("okänd", "vet ej"))


# --------------------------------------------------------------------------- Kartläggning (samordnare)
def _availability_now(files: dict[str, str], code: str) -> dict[str, dict]:
    """What the pack in `files` says about each insats in kommun `code` (for the form's defaults)."""
    from engine import load_pack

    directory = temp_pack(files)
    try:
        pack = load_pack(directory)
    except Exception:  # noqa: BLE001 - defaults only
        return {}
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    out = {}
    for (kommun, insats), entry in pack.availability.items():
        if kommun == code:
            status = entry.status.value if hasattr(entry.status, "value") else str(entry.status)
            out[insats] = {
                "status": status, "contact": entry.contact or "",
                "basis": getattr(entry, "basis", None), "verified": getattr(entry, "verified", None),
                "planned_from": getattr(entry, "planned_from", None),
                "target_groups": list(getattr(entry, "target_groups", None) or []),
            }
    return out


def _samordnare(s, request: Request, kommun: str | None, form: dict | None = None) -> tuple[Ctx, str]:
    ctx = login(request, s, ("samordnare",), form)
    own = ctx.user.kommun
    if kommun is not None and kommun != own:
        raise Problem(403, f"Du är samordnare för {ctx.who.kommun_name or own} och kan bara rapportera för den kommunen.")
    return ctx, own


@router.get("/kartlaggning")
@guarded
def mapping_redirect(request: Request):
    with database() as s:
        ctx, own = _samordnare(s, request, None)
    return redirect(f"/redaktion/kartlaggning/{own}")


def _mapping_page(ctx: Ctx, code: str, files: dict[str, str], values: dict[str, dict], errors: dict[str, str],
                  status: int = 200, notes: dict | None = None):
    name = _kommun_name(files, code)
    today = dt.date.today()
    rows = []
    for ins_id, ins_name, level in catalog(files)["insatser"]:
        v = values.get(ins_id, {})
        verified = v.get("verified")
        old = ""
        if isinstance(verified, dt.date):
            old = (f" Senast verifierad {verified.isoformat()}"
                   + (" – äldre än 24 månader, räknas som inte verifierad." if (today - verified).days > 730 else "."))
        planned = v.get("planned_from")
        rows.append({"id": ins_id, "name": ins_name, "level": level, "error": errors.get(ins_id, ""),
                     "status": v.get("status", "okänd"), "basis": _current_text(v) if v else "", "old": old,
                     "planned": planned.isoformat() if isinstance(planned, dt.date) else str(planned or ""),
                     "contact": v.get("contact", ""), "confirm": v.get("confirm"),
                     "may_confirm": bool(v) and not v.get("in_draft") and v.get("status", "okänd") != "okänd",
                     "target_groups": v.get("target_groups", [])})
    return render(ctx, "redaktion/mapping.html", status=status, title=f"Kartläggning {name}",
                  path="/redaktion/kartlaggning", name=name, code=code, today=today.isoformat(), rows=rows,
                  notes=notes, status_choices=STATUS_CHOICES, target_groups=TARGET_GROUPS)


BASIS_TEXT = {"källa": "en källa säger det", "antagande": "bygger på ett antagande",
              "kommunens uppgift": "kommunens uppgift"}


STATUS_TEXT = {"finns": "finns", "saknas": "saknas", "planeras": "planeras", "okänd": "okänt om den finns"}


def _current_text(v: dict) -> str:
    """'Nuvarande uppgift: finns, bygger på ett antagande.' in words, never an enum's repr."""
    basis = v.get("basis")
    basis = getattr(basis, "value", basis)
    status = STATUS_TEXT.get(str(v.get("status", "okänd")), str(v.get("status", "okänd")))
    if v.get("in_draft"):
        return f" I ditt utkast: {status}, kommunens uppgift."
    return f" Nuvarande uppgift: {status}" + (f", {BASIS_TEXT.get(str(basis), str(basis))}" if basis else "") + "."


def _mapping_values(s, ctx: Ctx, code: str, files: dict[str, str]) -> tuple[dict[str, dict], str]:
    """What the form shows for each insats: the pack's entry, or the samordnare's open draft's."""
    store = _store()
    values = _availability_now(files, code)
    notes = ""
    for draft in store.drafts(s, ctx.user, statuses=EDITABLE):
        if draft.kind == "tillganglighet" and draft.kommun == code and draft.author == ctx.user.name:
            for entry in store.reported_entries(draft, code):
                values[str(entry.get("insats"))] = {
                    "status": str(entry.get("status", "okänd")), "contact": entry.get("contact") or "",
                    "basis": "kommunens uppgift", "in_draft": True, "verified": entry.get("verified"),
                    "planned_from": entry.get("planned_from"), "target_groups": entry.get("target_groups") or []}
            notes = {"text": f"Du har ett öppet utkast ({draft.id}); formuläret visar det du rapporterat där. "
                             "Sparar du igen uppdateras samma utkast.", "kind": ""}
            break
    return values, notes


def _as_shown(v: dict) -> tuple[str, str, str, list[str]]:
    """A row's values as the form shows them, to tell a change from a row left as it was."""
    planned = v.get("planned_from")
    planned = planned.isoformat() if isinstance(planned, dt.date) else str(planned or "")
    return (str(v.get("status", "okänd")), str(v.get("contact") or "").strip(), planned,
            sorted(v.get("target_groups") or []))


@router.get("/kartlaggning/{kommun}")
@guarded
def mapping_page(request: Request, kommun: str):
    with database() as s:
        ctx, code = _samordnare(s, request, kommun)
        files = dict(_store().current_version(s).files)
        values, notes = _mapping_values(s, ctx, code, files)
        return _mapping_page(ctx, code, files, values, {}, notes=notes)


@router.post("/kartlaggning/{kommun}")
@guarded
def mapping_save(request: Request, kommun: str, form: dict = Depends(form_body)):
    store = _store()
    with database() as s:
        ctx, code = _samordnare(s, request, kommun, form)
        files = dict(_store().current_version(s).files)
        shown, _ = _mapping_values(s, ctx, code, files)
        entries, values, errors, keep = [], {}, {}, []
        for ins_id, _, _ in catalog(files)["insatser"]:
            status = one(form, f"status-{ins_id}", "okänd")
            contact = one(form, f"kontakt-{ins_id}").strip()
            planned = one(form, f"fran-{ins_id}").strip()
            groups = [g for g in form.get(f"malgrupp-{ins_id}", []) if g in {label for _, label in TARGET_GROUPS}]
            confirmed = one(form, f"bekrafta-{ins_id}") == "ja"
            before = shown.get(ins_id, {})
            values[ins_id] = {**before, "status": status, "contact": contact, "planned_from": planned,
                              "target_groups": groups, "confirm": confirmed}
            if not confirmed and (status, contact, planned, sorted(groups)) == _as_shown(before or {}):
                if before.get("in_draft"):
                    keep.append(ins_id)  # reported earlier in this draft: stays as reported
                continue  # left as it was: keeps its basis and its date, nothing becomes the kommun's word
            if status == "okänd" and not contact and not groups:
                continue  # "vet ej" leaves what the pack says today
            if planned:
                try:
                    dt.date.fromisoformat(planned)
                except ValueError:
                    errors[ins_id] = "Skriv datumet som ÅÅÅÅ-MM-DD."
                    continue
            if len(contact) > 200:
                errors[ins_id] = "Kontaktvägen får vara högst 200 tecken."
                continue
            entry: dict[str, Any] = {"insats": ins_id, "status": status}
            if planned:
                entry["planned_from"] = planned
            if contact:
                entry["contact"] = contact
            if groups:
                entry["target_groups"] = groups
            try:  # the store's own rules for an entry, shown at the insats they concern
                store.ReportEntry.model_validate(entry)
            except ValidationError as exc:
                errors[ins_id] = "; ".join(err["msg"].removeprefix("Value error, ") for err in exc.errors())
                continue
            if status == "planeras" and not planned:
                errors[ins_id] = "Ange från vilket datum insatsen planeras."
                continue
            if status != "planeras" and planned:
                errors[ins_id] = "Ett startdatum hör bara till status planeras: töm datumet eller välj planeras."
                continue
            entries.append(entry)
        if errors:
            notes = {"text": f"Inte sparat: {views.count(len(errors), 'uppgift', 'uppgifter')} behöver rättas. "
                             "Allt du skrev finns kvar."}
            return _mapping_page(ctx, code, files, values, errors, status=422, notes=notes)
        if not entries and not any(v.get("in_draft") for v in shown.values()):
            return _mapping_page(ctx, code, files, values, {}, status=422, notes={"text": (
                "Inget att spara: du har inte ändrat eller bekräftat någon uppgift. Ändra det som inte stämmer, "
                "eller kryssa i Uppgiften stämmer för det som stämmer.")})
        draft = _store().report_availability(s, ctx.user, code, entries, keep=keep)
        draft_id = draft.id
        saved = (f"kartläggningen för {_kommun_name(files, code)} som utkast: "
                 f"{views.count(len(entries) + len(keep), 'insats', 'insatser')} som kommunens uppgift")
    return redirect(f"/redaktion/utkast/{draft_id}?sparat={urllib.parse.quote(saved)}")
