"""A samordnare's kartläggning: validated report entries of what the kommun offers, written as an
availability draft."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import looks_like_personnummer

from ..models import Draft, User
from .base import AVAILABILITY_FILE, EDITORS, OPEN, _audit, Invalid, Refused, require_role
from .versions import _current_pack
from .users import _kommun_code
from .drafts import create_draft, _may_edit, _write_files


_PERSONAL_MAIL = re.compile(r"^[^@\s]+\.[^@\s]+@", re.IGNORECASE)


class ReportEntry(BaseModel):
    """One insats in a samordnare's report for their kommun."""

    model_config = ConfigDict(extra="forbid")

    insats: str = Field(min_length=1, max_length=80)
    status: Literal["finns", "saknas", "planeras", "okänd"]
    planned_from: dt.date | None = None
    contact: str | None = Field(default=None, max_length=200)
    target_groups: list[str] = Field(default_factory=list, max_length=12)

    @field_validator("contact")
    @classmethod
    def _contact(cls, v: str | None) -> str | None:
        v = (v or "").strip() or None
        if v is None:
            return None
        if looks_like_personnummer(v):
            raise ValueError("kontaktvägen ser ut att innehålla ett personnummer eller privat nummer")
        if _PERSONAL_MAIL.match(v):
            raise ValueError("ange en funktionsadress (t.ex. familjecentral@kommun.se), inte en persons e-post")
        return v

    @field_validator("target_groups")
    @classmethod
    def _groups(cls, v: list[str]) -> list[str]:
        out = []
        for g in v:
            g = g.strip()
            if not g:
                continue
            if len(g) > 80 or looks_like_personnummer(g):
                raise ValueError("en målgrupp är en kort beskrivning (högst 80 tecken) av en grupp, aldrig en person")
            out.append(g)
        return out


def _entries_of(text: str | None) -> list[dict]:
    if not text:
        return []
    data = yaml.safe_load(text) or {}
    return list(data.get("entries") or []) if isinstance(data, dict) else []


AVAILABILITY_HEADER = (
    "# Kommunernas egna uppgifter om tillgång (kartläggningen, strategins målområde 2).\n"
    "# Skrivs av samordnarna i /redaktion; grunden är \"kommunens uppgift\" och verified är dagen\n"
    "# uppgiften lämnades. Gäller före tillganglighet.yaml för samma kommun och insats.\n"
)


def availability_text(entries: list[dict]) -> str:
    """The file a policy officer can read: one entry per line, in flow style."""
    lines = [AVAILABILITY_HEADER.rstrip("\n"), "entries:" if entries else "entries: []"]
    for e in entries:
        lines.append("  - " + yaml.safe_dump(e, allow_unicode=True, sort_keys=False, default_flow_style=True,
                                             width=10**6).strip())
    return "\n".join(lines) + "\n"


def report_availability(s: Session, user: User, kommun: str, entries: list[dict],
                        expected_revision: int | None = None, today: dt.date | None = None,
                        keep: tuple[str, ...] | list[str] = ()) -> Draft:
    """A samordnare's report for their kommun (a redaktör may report for any): written into
    the open availability draft for that kommun (created when there is none) as
    `tillganglighet-kommuner.yaml` entries, verified today, basis "kommunens uppgift".

    Only `entries` (what the samordnare changed or explicitly confirmed) are written as the
    kommun's word; the draft's earlier entries for the insatser in `keep` stay as they were
    (with their date), and every other insats keeps what the pack says (its basis and date)."""
    code = _kommun_code(s, kommun)
    if user.role == "samordnare":
        if not user.active:
            raise Refused("Du är inte inloggad med ett aktivt konto.")
        if user.kommun != code:
            pack = _current_pack(s)
            raise Refused(f"Du är samordnare för {pack.kommuner[user.kommun].name if user.kommun in pack.kommuner else user.kommun} "
                          f"och kan inte rapportera för {pack.kommuner[code].name if code in pack.kommuner else code}.")
    else:
        require_role(user, *EDITORS)
    pack = _current_pack(s)
    today = today or dt.date.today()
    parsed: list[ReportEntry] = []
    problems: list[str] = []
    for i, raw in enumerate(entries):
        try:
            e = ReportEntry.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "post"
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(f"post {i + 1} ({raw.get('insats', '?') if isinstance(raw, dict) else '?'}), {where}: {msg}")
            continue
        if e.insats not in pack.insatser:
            problems.append(f"post {i + 1}: okänd insats {e.insats}")
        if e.status == "planeras" and e.planned_from is None:
            problems.append(f"post {i + 1} ({e.insats}): ange från vilket datum insatsen planeras")
        if e.status != "planeras" and e.planned_from is not None:
            problems.append(f"post {i + 1} ({e.insats}): ett startdatum hör bara till status planeras")
        parsed.append(e)
    seen = [e.insats for e in parsed]
    dupes = sorted({x for x in seen if seen.count(x) > 1})
    if dupes:
        problems.append(f"samma insats flera gånger: {', '.join(dupes)}")
    if problems:
        raise Invalid("Rapporten sparades inte.", problems)

    draft = s.scalar(select(Draft).where(Draft.kind == "tillganglighet", Draft.kommun == code,
                                         Draft.author == user.name, Draft.status.in_(OPEN))
                     .order_by(Draft.id.desc()))
    if draft is None:
        name = pack.kommuner[code].name if code in pack.kommuner else code
        draft = create_draft(s, user, f"Kartläggning för {name}", kind="tillganglighet", kommun=code)
    _may_edit(user, draft)
    order = {insats_id: i for i, insats_id in enumerate(pack.insatser)}
    reported = {e.insats for e in parsed}
    kept = [e for e in _entries_of(draft.files.get(AVAILABILITY_FILE))
            if str(e.get("kommun")) != code or (str(e.get("insats")) in keep and str(e.get("insats")) not in reported)]
    mine = []
    for e in sorted(parsed, key=lambda e: order.get(e.insats, 10**6)):
        entry: dict[str, Any] = {"kommun": code, "insats": e.insats, "status": e.status, "verified": today}
        if e.planned_from:
            entry["planned_from"] = e.planned_from
        if e.contact:
            entry["contact"] = e.contact
        if e.target_groups:
            entry["target_groups"] = e.target_groups
        mine.append(entry)
    all_entries = sorted(kept + mine, key=lambda e: (str(e["kommun"]), order.get(e["insats"], 10**6)))
    old = dict(draft.files)
    files = dict(old)
    files[AVAILABILITY_FILE] = availability_text(all_entries)
    _write_files(s, draft, files, expected_revision)
    _audit(s, user.name, "tillganglighet.rapporterad", f"utkast {draft.id}",
           f"kommun {code}: {len(mine)} {'insats' if len(mine) == 1 else 'insatser'} ({', '.join(f'{e.insats} {e.status}' for e in parsed[:8])}"
           f"{' …' if len(parsed) > 8 else ''})")
    return draft


def reported_entries(draft_or_files: Draft | dict[str, str], kommun: str) -> list[dict]:
    """The entries for `kommun` in a draft's or version's `tillganglighet-kommuner.yaml`."""
    files = draft_or_files.files if isinstance(draft_or_files, Draft) else draft_or_files
    return [e for e in _entries_of(files.get(AVAILABILITY_FILE)) if str(e.get("kommun")) == kommun]
