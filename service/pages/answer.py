"""The answer on the staff page as HTML, from the exact HTTP body of /v1/recommendations.

One renderer for both ways the form is sent: without JavaScript (POST / gives the whole page)
and with it (app.js posts the same form and puts this fragment in the page). The answer leads
with what the family's needs lead to: a critical notice first, then indikerad and selektiv
cards naming the need that triggered them, then the universal support for the child's age as a
compact list whose items open to full cards. A print view for the parent (klarspråk, no need
codes, nothing identifying) is part of the fragment and shown only when printing. The words are
chosen here; the HTML is in templates/answer.html and macros/cards.html.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from engine import Pack

from service.core.templating import render

LEVELS = {
    "indikerad": ("Röd – indikerad nivå", "Ofta individuellt stöd när barnet visar tydliga problem eller "
                                         "föräldern har stort behov av stöd."),
    "selektiv": ("Gul – selektiv nivå", "Stöd till föräldrar i en riskgrupp, för att vända en negativ utveckling."),
    "universell": ("Grön – universell nivå", "Främjande och förebyggande stöd som erbjuds alla föräldrar."),
}
AVAILABILITY = {"finns": "Finns i kommunen", "saknas": "Saknas i kommunen",
                "okänd": "Okänt om insatsen finns i kommunen"}
# On what the availability rests, each with its own mark and words (issue 18 item 7): a source
# and the kommun's own word are facts (✓), an assumption never reads as one (≈, "antas").
# The mark is text beside the words, so colour is never the only sign.
AVAILABILITY_BY_BASIS = {
    ("finns", "källa"): ("✓", "Finns i kommunen enligt en källa", "finns"),
    ("finns", "kommunens uppgift"): ("✓", "Finns enligt kommunens uppgift", "finns-kommun"),
    ("finns", "antagande"): ("≈", "Antas finnas – inte bekräftat", "antas"),
    ("saknas", "antagande"): ("≈", "Antas saknas – inte bekräftat", "antas-saknas"),
}
AVAILABILITY_MARK = {"finns": ("✓", "finns"), "saknas": ("✗", "saknas"), "okänd": ("?", "okand")}
RULE_BASIS_ASSUMED = "Regionens egen bedömning – står inte uttryckligen i strategin"


def availability_badge(rec: Mapping[str, Any]) -> tuple[str, str, str]:
    """(mark, words, css class) for a recommendation's availability and its basis."""
    avail = rec.get("availability") if rec.get("availability") in AVAILABILITY else "okänd"
    basis = rec.get("availability_basis")
    if (avail, basis) in AVAILABILITY_BY_BASIS:
        return AVAILABILITY_BY_BASIS[(avail, basis)]
    mark, css = AVAILABILITY_MARK[avail]
    return mark, AVAILABILITY[avail], css


def availability_label(rec: Mapping[str, Any]) -> str:
    return availability_badge(rec)[1]


SEVERITY = {"critical": "Viktigt", "warning": "Observera", "info": "Information"}
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
          "oktober", "november", "december")


def swedish_date(value: str | dt.date | dt.datetime | None) -> str:
    """'2026-11-24' -> '24 november 2026', as people write dates."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def need_labels(codes: Sequence[str], pack: Pack | None) -> list[str]:
    needs = pack.needs if pack is not None else {}
    return [needs[c].label if c in needs else c for c in codes]


def availability_basis(rec: Mapping[str, Any]) -> str:
    """The basis of the availability in words: 'antagande: …', 'enligt kommunens uppgift', with the date."""
    basis = rec.get("availability_basis")
    parts = []
    if basis == "antagande":
        reason = rec.get("availability_reason")
        parts.append(f"antagande: {reason}" if reason else "antagande")
    elif basis == "källa":
        src = rec.get("availability_source") or {}
        title = src.get("title") or src.get("document")
        parts.append(f"enligt {title}" if title else "enligt en källa")
    elif basis == "kommunens uppgift":
        parts.append("enligt kommunens uppgift")
    verified = rec.get("availability_verified")
    if verified:
        parts.append(f"kontrollerat {swedish_date(verified)}")
    return "; ".join(parts)


def _source_text(source: Mapping[str, Any] | None) -> str:
    if not source:
        return ""
    title = source.get("title") or source.get("document") or ""
    return title + (f", avsnitt {source['section']}" if source.get("section") else "")


def card_of(rec: Mapping[str, Any], pack: Pack | None) -> dict[str, Any]:
    """What a card shows (macros/cards.html), in words."""
    triggered = need_labels(rec.get("triggered_by") or [], pack)
    mark, label, css = availability_badge(rec)
    facts = [("Källa", _source_text(rec.get("source"))), ("Kontakt", rec.get("contact")),
             ("Form", rec.get("format")), ("Utförare", rec.get("provider"))]
    assumed = rec.get("rule_basis", rec.get("status")) == "antagande"
    return {
        "id": rec.get("insats_id", ""), "name": rec.get("name", ""),
        "triggered": ", ".join(triggered), "triggered_word": "behovet" if len(triggered) == 1 else "behoven",
        "avail_class": css, "avail_label": label, "avail_mark": mark,
        "rule_assumed": RULE_BASIS_ASSUMED if assumed else "",
        "rule_assumed_reason": (rec.get("rule_basis_reason") or "") if assumed else "",
        "basis": availability_basis(rec), "rationale": rec.get("rationale") or "",
        "facts": [(t, str(v)) for t, v in facts if v],
    }


def _notices(notices: Sequence[Mapping[str, Any]], pack: Pack | None) -> list[dict[str, str]]:
    order = {"critical": 0, "warning": 1, "info": 2}
    out = []
    for n in sorted(notices, key=lambda n: order.get(n.get("severity"), 3)):
        sev = n.get("severity") if n.get("severity") in SEVERITY else "info"
        need = need_labels([n["need"]], pack)[0] if n.get("need") else ""
        out.append({"severity": sev, "label": SEVERITY[sev], "text": n.get("text", ""), "need": need})
    return out


def kommun_names(codes: Sequence[str], pack: Pack | None) -> list[str]:
    kommuner = pack.kommuner if pack is not None else {}
    return [kommuner[c].name if c in kommuner else c for c in codes]


def programs_of(body: Mapping[str, Any], pack: Pack | None) -> list[dict[str, Any]]:
    """'Program som används i länet' (issue 18 items 23–24): surveyed programmes, not
    recommendations: no level, no availability mark, never in the parent's printout."""
    out = []
    for p in body.get("programs_in_lan") or []:
        where = kommun_names(p.get("kommuner") or [], pack)
        out.append({"name": p.get("name", ""), "description": p.get("description") or p.get("format") or "",
                    "where": f"Ges i: {', '.join(where)}" if where else "Var programmet ges är inte känt",
                    "source": _source_text(p.get("source"))})
    return out


def split_by_rule_basis(cards: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The strategy's own recommendations first, those resting on the region's judgement apart."""
    return [c for c in cards if not c["rule_assumed"]], [c for c in cards if c["rule_assumed"]]


def registration_form(body: Mapping[str, Any], family: Mapping[str, Any]) -> dict[str, Any]:
    """*Registrera i uppföljningen* under the answer (issue 20 item 1): the family's fields as
    hidden inputs (posted, never in a URL, never stored), the recommended insatser to tick as
    erbjuden, and a random token so that a double click or a reload registers once."""
    import secrets

    recs = body.get("recommendations") or []
    return {"token": secrets.token_urlsafe(18), "kommun": family.get("kommun", ""),
            "age_months": family.get("age_months"), "expecting": bool(family.get("expecting")),
            "needs": list(family.get("needs") or []),
            "insatser": [{"id": r.get("insats_id", ""), "name": r.get("name", "")} for r in recs]}


def render_answer(body: Mapping[str, Any], pack: Pack | None, kommun_name: str,
                  served: Mapping[str, str] | None = None, family: Mapping[str, Any] | None = None) -> str:
    """The answer fragment that goes inside #resultat (templates/answer.html); `served` names the
    served version in words (service.pages.version)."""
    recs = list(body.get("recommendations") or [])
    by_level = {level: [r for r in recs if r.get("level") == level] for level in LEVELS}
    targeted = len(by_level["indikerad"]) + len(by_level["selektiv"])
    universal = len(by_level["universell"])
    level = body.get("level", "universell")
    summary = f"För en familj i {kommun_name}: " if kommun_name else ""
    if targeted:
        summary += (f"{targeted} {'insats' if targeted == 1 else 'insatser'} utifrån familjens behov, "
                    f"och {universal} för alla föräldrar med barn i den åldern.")
    else:
        summary += f"{universal} {'insats' if universal == 1 else 'insatser'} för alla föräldrar med barn i den åldern."
    def level_of(key: str) -> dict[str, Any]:
        stated, assumed = split_by_rule_basis([card_of(r, pack) for r in by_level[key]])
        return {"key": key, "title": LEVELS[key][0], "text": LEVELS[key][1], "cards": stated,
                "assumed": assumed, "count": len(stated) + len(assumed)}

    levels = [level_of(key) for key in ("indikerad", "selektiv") if by_level[key]]
    universal_level = level_of("universell") if by_level["universell"] else None
    ruleset = body.get("ruleset") or {}
    return render("answer.html", level_title=LEVELS.get(level, (level,))[0],
                  notices=_notices(body.get("notices") or [], pack), summary=summary, any_recs=bool(recs),
                  targeted=levels, universal=universal_level, programs=programs_of(body, pack),
                  rule_assumed_title=RULE_BASIS_ASSUMED,
                  ruleset={"name": str(ruleset.get("name", "")), "version": str(ruleset.get("version", "")),
                           "served": (served or {}).get("text", "")} if ruleset else None,
                  parent=for_parent(body, kommun_name),
                  register=registration_form(body, family) if family is not None and recs else None)


def for_parent(body: Mapping[str, Any], kommun_name: str) -> dict[str, Any]:
    """The print view for the parent (templates/answer_for_parent.html): plain Swedish, the
    support and how to get in touch. No need codes or labels, no rule ids, no age, nothing that
    identifies anyone."""
    recs = [r for r in body.get("recommendations") or [] if r.get("availability") != "saknas"]

    def item(r: Mapping[str, Any]) -> dict[str, Any]:
        return {"name": r.get("name", ""), "description": r.get("description"), "format": r.get("format"),
                "contact": r.get("contact"), "provider": r.get("provider"),
                "unknown": r.get("availability") == "okänd"}

    return {"where": f" i {kommun_name}" if kommun_name else "",
            "first": [item(r) for r in recs if r.get("level") in ("indikerad", "selektiv")],
            "rest": [item(r) for r in recs if r.get("level") == "universell"]}


def render_for_parent(body: Mapping[str, Any], kommun_name: str) -> str:
    return render("answer_for_parent.html", parent=for_parent(body, kommun_name))
