"""The answer on the staff page as HTML, from the exact HTTP body of /v1/recommendations.

One renderer for both ways the form is sent: without JavaScript (POST / gives the whole page)
and with it (app.js posts the same form and puts this fragment in the page). The answer leads
with what the family's needs lead to: a critical notice first, then indikerad and selektiv
cards naming the need that triggered them, then the universal support for the child's age as a
compact list whose items open to full cards. A print view for the parent (klarspråk, no need
codes, nothing identifying) is part of the fragment and shown only when printing.
"""
from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from typing import Any

from engine import Pack

e = html.escape

LEVELS = {
    "indikerad": ("Röd – indikerad nivå", "Ofta individuellt stöd när barnet visar tydliga problem eller "
                                         "föräldern har stort behov av stöd."),
    "selektiv": ("Gul – selektiv nivå", "Stöd till föräldrar i en riskgrupp, för att vända en negativ utveckling."),
    "universell": ("Grön – universell nivå", "Främjande och förebyggande stöd som erbjuds alla föräldrar."),
}
AVAILABILITY = {"finns": "Finns i kommunen", "saknas": "Saknas i kommunen",
                "okänd": "Okänt om insatsen finns i kommunen"}
# an inference is never shown to a nurse as a fact: "antas finnas", not "finns"
AVAILABILITY_ASSUMED = {"finns": "Antas finnas i kommunen", "saknas": "Antas saknas i kommunen"}
AVAILABILITY_CLASS = {"finns": "finns", "saknas": "saknas", "okänd": "okand"}


def availability_label(rec: Mapping[str, Any]) -> str:
    avail = rec.get("availability") if rec.get("availability") in AVAILABILITY else "okänd"
    if rec.get("availability_basis") == "antagande" and avail in AVAILABILITY_ASSUMED:
        return AVAILABILITY_ASSUMED[avail]
    return AVAILABILITY[avail]
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


def _card_body(rec: Mapping[str, Any], pack: Pack | None) -> str:
    out = []
    triggered = rec.get("triggered_by") or []
    if triggered:
        labels = need_labels(triggered, pack)
        word = "behovet" if len(labels) == 1 else "behoven"
        out.append(f'<p class="utlost-av"><strong>Utifrån {word}:</strong> {e(", ".join(labels))}</p>')
    avail = rec.get("availability") if rec.get("availability") in AVAILABILITY else "okänd"
    basis = availability_basis(rec)
    basis_html = f' <span class="grund">({e(basis)})</span>' if basis else ""
    out.append(f'<p class="tillganglighet"><span class="tillgang tillgang-{AVAILABILITY_CLASS[avail]}">'
               f'{e(availability_label(rec))}</span>{basis_html}</p>')
    out.append(f'<p class="motivering">{e(rec.get("rationale") or "")}</p>')
    facts = [("Källa", _source_text(rec.get("source"))), ("Kontakt", rec.get("contact")),
             ("Form", rec.get("format")), ("Utförare", rec.get("provider"))]
    if rec.get("status") == "antagande":
        facts.append(("Obs", "Rekommendationen bygger på ett antagande, inte en uttrycklig källa."))
    dl = "".join(f"<dt>{e(t)}</dt><dd>{e(str(v))}</dd>" for t, v in facts if v)
    if dl:
        out.append(f'<dl class="fakta">{dl}</dl>')
    return "".join(out)


def _card(rec: Mapping[str, Any], pack: Pack | None) -> str:
    return (f'<li class="insats" data-insats="{e(rec.get("insats_id", ""))}">'
            f'<h4 class="insats-namn">{e(rec.get("name", ""))}</h4>{_card_body(rec, pack)}</li>')


def _compact(rec: Mapping[str, Any], pack: Pack | None) -> str:
    avail = rec.get("availability") if rec.get("availability") in AVAILABILITY else "okänd"
    return (f'<li class="insats kompakt" data-insats="{e(rec.get("insats_id", ""))}"><details>'
            f'<summary><span class="insats-namn">{e(rec.get("name", ""))}</span> '
            f'<span class="tillgang tillgang-{AVAILABILITY_CLASS[avail]}">{e(availability_label(rec))}</span></summary>'
            f'<div class="insats-detaljer">{_card_body(rec, pack)}</div></details></li>')


def _notices(notices: Sequence[Mapping[str, Any]]) -> str:
    order = {"critical": 0, "warning": 1, "info": 2}
    out = []
    for n in sorted(notices, key=lambda n: order.get(n.get("severity"), 3)):
        sev = n.get("severity") if n.get("severity") in SEVERITY else "info"
        role = ' role="alert"' if sev == "critical" else ""
        out.append(f'<div class="notis notis-{sev}"{role}><strong>{SEVERITY[sev]}:</strong> {e(n.get("text", ""))}</div>')
    return "".join(out)


def render_answer(body: Mapping[str, Any], pack: Pack | None, kommun_name: str) -> str:
    """The answer fragment that goes inside #resultat."""
    recs = list(body.get("recommendations") or [])
    by_level = {level: [r for r in recs if r.get("level") == level] for level in LEVELS}
    targeted = len(by_level["indikerad"]) + len(by_level["selektiv"])
    universal = len(by_level["universell"])
    level = body.get("level", "universell")
    out = [f'<h2 id="svar-rubrik" class="svar-rubrik" tabindex="-1">Rekommenderat stöd: {e(LEVELS.get(level, (level,))[0])}</h2>']
    out.append(_notices(body.get("notices") or []))
    summary = f"För en familj i {kommun_name}: " if kommun_name else ""
    if targeted:
        summary += (f"{targeted} {'insats' if targeted == 1 else 'insatser'} utifrån familjens behov, "
                    f"och {universal} för alla föräldrar med barn i den åldern.")
    else:
        summary += f"{universal} {'insats' if universal == 1 else 'insatser'} för alla föräldrar med barn i den åldern."
    out.append(f'<p class="sammanfattning">{e(summary)}</p>')
    if recs:
        out.append('<p class="utskrift-knapp" hidden><button type="button" id="skriv-ut" class="sekundar">'
                   'Skriv ut för föräldern</button></p>')
    for key in ("indikerad", "selektiv"):
        mine = by_level[key]
        if not mine:
            continue
        title, text = LEVELS[key]
        out.append(f'<section class="niva niva-{key}" aria-labelledby="niva-{key}">'
                   f'<h3 class="niva-rubrik" id="niva-{key}">{e(title)}</h3><p class="niva-text">{e(text)}</p>'
                   f'<ul class="insatser">{"".join(_card(r, pack) for r in mine)}</ul></section>')
    if by_level["universell"]:
        title, text = LEVELS["universell"]
        out.append(f'<section class="niva niva-universell" aria-labelledby="niva-universell">'
                   f'<h3 class="niva-rubrik" id="niva-universell">{e(title)} ({universal})</h3>'
                   f'<p class="niva-text">{e(text)} Öppna en insats för att se hela beskrivningen.</p>'
                   f'<ul class="insatser kompakt-lista">{"".join(_compact(r, pack) for r in by_level["universell"])}</ul>'
                   f'</section>')
    if not recs:
        out.append('<p class="tom">Regelpaketet har ingen insats för den här familjen.</p>')
    ruleset = body.get("ruleset") or {}
    if ruleset:
        out.append(f'<p class="regelpaket">Regelpaket: {e(str(ruleset.get("name", "")))} '
                   f'{e(str(ruleset.get("version", "")))}</p>')
    out.append(render_for_parent(body, kommun_name))
    return "".join(out)


def render_for_parent(body: Mapping[str, Any], kommun_name: str) -> str:
    """The print view for the parent: plain Swedish, the support and how to get in touch.
    No need codes or labels, no rule ids, no age, nothing that identifies anyone."""
    recs = [r for r in body.get("recommendations") or [] if r.get("availability") != "saknas"]
    first = [r for r in recs if r.get("level") in ("indikerad", "selektiv")]
    rest = [r for r in recs if r.get("level") == "universell"]
    where = f" i {kommun_name}" if kommun_name else ""

    def items(rs) -> str:
        out = []
        for r in rs:
            lines = [f"<h4>{e(r.get('name', ''))}</h4>"]
            if r.get("description"):
                lines.append(f"<p>{e(r['description'])}</p>")
            if r.get("format"):
                lines.append(f"<p>Så går det till: {e(r['format'])}</p>")
            if r.get("contact"):
                lines.append(f"<p>Så kommer ni i kontakt: {e(r['contact'])}</p>")
            elif r.get("provider"):
                lines.append(f"<p>Vem som erbjuder stödet: {e(r['provider'])}</p>")
            if r.get("availability") == "okänd":
                lines.append("<p>Fråga oss om stödet finns där ni bor.</p>")
            out.append(f"<li>{''.join(lines)}</li>")
        return "".join(out)

    parts = [f'<section class="for-foraldern" aria-labelledby="foraldern-rubrik">'
             f'<h2 id="foraldern-rubrik">Stöd som ni kan få{e(where)}</h2>'
             f'<p>Här är stöd som vi har pratat om. Hör av er om ni har frågor.</p>']
    if first:
        parts.append(f'<h3>Stöd som vi föreslår för er</h3><ul>{items(first)}</ul>')
    if rest:
        parts.append(f'<h3>Stöd som alla föräldrar kan få</h3><ul>{items(rest)}</ul>')
    parts.append("</section>")
    return "".join(parts)
