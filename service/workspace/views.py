"""HTML pieces of /redaktion: the layout, tables, the rule form, the diff. Plain strings,
everything user-supplied escaped; no inline scripts or styles (the CSP forbids them)."""
from __future__ import annotations

import datetime as dt
import difflib
import html
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from markupsafe import Markup

from service.core import templating

from . import forms

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
e = html.escape

ROLE_TEXT = {"redaktor": "redaktör", "granskare": "granskare", "samordnare": "samordnare", "admin": "administratör"}
STATUS_TEXT = {"utkast": "utkast", "inskickad": "inskickad för granskning", "aterskickad": "återskickad",
               "publicerad": "publicerad"}
KIND_TEXT = {"regler": "regelpaketet", "tillganglighet": "kartläggningen"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on every form
    # post, and the Origin check (forwarded.same_origin_post) could not tell our pages from others
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def when(value: dt.datetime | None) -> str:
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def nav_items(user: Any | None) -> list[tuple[str, str]]:
    if user is None:
        return [("/redaktion/logga-in", "Logga in"), ("/", "Till beslutsstödet")]
    items = [("/redaktion", "Översikt")]
    if user.role == "samordnare":
        items.append(("/redaktion/kartlaggning", "Kartläggning för kommunen"))
    items.append(("/redaktion/versioner", "Versioner"))
    if user.role in ("granskare", "admin"):
        items.append(("/redaktion/logg", "Logg"))
    if user.role == "admin":
        items.append(("/redaktion/anvandare", "Användare"))
    return items


def page_context(who: Any | None, csrf: str = "", serving: str = "–", path: str = "") -> dict[str, Any]:
    """What redaktion/layout.html needs besides the page's own values."""
    return {"who": who, "csrf": csrf, "serving": serving, "path": path, "nav": nav_items(who),
            "role_text": lambda r: ROLE_TEXT.get(r, r), "status_text": lambda st: STATUS_TEXT.get(st, st),
            "kind_text": lambda k: KIND_TEXT.get(k, k), "when": when, "count": count}


def respond(template_name: str, context: dict[str, Any], status: int = 200,
            headers: dict[str, str] | None = None) -> HTMLResponse:
    """A /redaktion page from its template, with the workspace's security headers."""
    return HTMLResponse(templating.render(template_name, **context), status_code=status,
                        headers={**SECURITY_HEADERS, **(headers or {})})


def page(title: str, main: str, *, user: Any | None = None, csrf: str = "", path: str = "",
         serving: str = "–", status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return respond("redaktion/main.html", {**page_context(user, csrf, serving, path), "title": title,
                                            "main": Markup(main)}, status, headers)


def count(n: int, one: str, many: str) -> str:
    """'1 rad', '2 rader': the number with the right form of the word."""
    return f"{n} {one if n == 1 else many}"


def csrf_field(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{e(token)}">' if token else ""


def message(text: str, kind: str = "", details: list[str] | None = None) -> str:
    role = ' role="alert"' if kind == "fel" else ' role="status"'
    extra = ""
    if details:
        extra = "<ul>" + "".join(f"<li>{e(d)}</li>" for d in details) + "</ul>"
    return f'<div class="meddelande{" meddelande-" + kind if kind else ""}"{role}><p>{e(text)}</p>{extra}</div>'


def table(headers: list[str], rows: list[list[str]], caption: str = "", cls: str = "tabell") -> str:
    """`rows` hold HTML (already escaped) cells."""
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# --------------------------------------------------------------------------- diff
def diff_of(path: str, old: str | None, new: str | None) -> dict[str, Any]:
    """The changes of one file for the macro `diff` of redaktion/macros.html: its title, the
    numbers of added and removed lines, and rows of (kind, line)."""
    a = (old or "").splitlines()
    b = (new or "").splitlines()
    title = path
    if old is None:
        title += " (ny fil)"
    elif new is None:
        title += " (borttagen fil)"
    rows: list[tuple[str, str]] = []
    added = removed = 0
    for line in list(difflib.unified_diff(a, b, lineterm="", n=2))[2:]:
        if line.startswith("@@"):
            rows.append(("huvud", line))
        elif line.startswith("+"):
            added += 1
            rows.append(("tillagd", line[1:]))
        elif line.startswith("-"):
            removed += 1
            rows.append(("borttagen", line[1:]))
        else:
            rows.append(("", line[1:] if line.startswith(" ") else line))
    return {"path": path, "title": title, "added": added, "removed": removed, "rows": rows}


def changed_files(old: dict[str, str], new: dict[str, str]) -> list[str]:
    return sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))


# --------------------------------------------------------------------------- the rule form
def _errors_at(errors: forms.FieldErrors | None, name: str) -> tuple[str, str, str]:
    """(class, aria attributes, error html) for a field."""
    msgs = errors.by_field.get(name, []) if errors else []
    if not msgs:
        return "", "", ""
    html_ = "".join(f'<p class="fel" id="fel-{name}-{i}">{e(m)}</p>' for i, m in enumerate(msgs))
    ids = " ".join(f"fel-{name}-{i}" for i in range(len(msgs)))
    return " falt-fel", f' aria-invalid="true" aria-describedby="{ids}"', html_


def _checkboxes(name: str, options: list[tuple[str, str]], chosen: list[str], legend: str, hint: str,
                errors: forms.FieldErrors | None, collapsed: bool = False) -> str:
    cls, aria, err = _errors_at(errors, name)
    boxes = "".join(
        f'<div class="kryss"><input type="checkbox" id="{name}-{e(v)}" name="{name}" value="{e(v)}"'
        f'{" checked" if v in chosen else ""}><label for="{name}-{e(v)}">{e(label)}</label></div>'
        for v, label in options)
    unknown = [c for c in chosen if c not in {v for v, _ in options}]
    for c in unknown:  # kept so nothing is lost; the loader reports it
        boxes += (f'<div class="kryss"><input type="checkbox" id="{name}-{e(c)}" name="{name}" value="{e(c)}" checked>'
                  f'<label for="{name}-{e(c)}">{e(c)} (finns inte i katalogen)</label></div>')
    inner = f'<div class="kolumner">{boxes}</div>'
    if collapsed:  # rarely used: folded away unless something is chosen or wrong
        inner = (f'<details{" open" if chosen or err else ""}><summary>Visa alternativen ({len(chosen)} valda)</summary>'
                 f'{inner}</details>')
    return (f'<fieldset class="{cls.strip()}"{aria}><legend>{e(legend)}</legend><p class="hjalp">{e(hint)}</p>{err}'
            f'{inner}</fieldset>')


def _text(name: str, label: str, value: str, errors, hint: str = "", kind: str = "text", extra: str = "") -> str:
    cls, aria, err = _errors_at(errors, name)
    h = f'<p class="hjalp" id="hjalp-{name}">{e(hint)}</p>' if hint else ""
    return (f'<div class="falt{cls}"><label for="{name}">{e(label)}</label>{h}{err}'
            f'<input type="{kind}" id="{name}" name="{name}" value="{e(value)}"{aria}{extra}></div>')


def _select(name: str, label: str, value: str, options: list[tuple[str, str]], errors) -> str:
    cls, aria, err = _errors_at(errors, name)
    opts = "".join(f'<option value="{e(v)}"{" selected" if v == value else ""}>{e(t)}</option>' for v, t in options)
    return f'<div class="falt{cls}"><label for="{name}">{e(label)}</label>{err}<select id="{name}" name="{name}"{aria}>{opts}</select></div>'


def rule_form(values: dict[str, Any], catalog: dict[str, Any], errors: forms.FieldErrors | None) -> str:
    """The fields of one rule. `catalog`: needs [(code,label,group)], insatser [(id,name,level)],
    kommuner [(code,name)], sources [(id,title)]."""
    v = values
    level_opts = [(lv, lv) for lv in forms.LEVELS]
    parts = [
        _text("id", "Regelns id", v["id"], errors, "Små bokstäver, siffror och bindestreck, unikt i paketet."),
        _select("level", "Nivå", v["level"], level_opts, errors),
    ]
    cls, aria, err = _errors_at(errors, "alder")
    parts.append(
        f'<fieldset class="{cls.strip()}"{aria}><legend>Barnets ålder</legend>'
        f'<p class="hjalp">Båda gränserna räknas med. Lämna alla tomma för alla åldrar. '
        f'"3–12 år" skrivs från 3 år 0 mån till 12 år 11 mån (barnet är 12 år fram till 13-årsdagen).</p>{err}<div class="rad">'
        + "".join(
            f'<div><label for="{n}">{e(t)}</label><input type="number" min="0" max="{mx}" inputmode="numeric" '
            f'id="{n}" name="{n}" value="{e(v[n])}"></div>'
            for n, t, mx in (("alder_fran_ar", "Från år", 18), ("alder_fran_man", "och månader", 11),
                             ("alder_till_ar", "Till år", 18), ("alder_till_man", "och månader", 11)))
        + '</div>'
        f'<div class="kryss"><input type="checkbox" id="expecting" name="expecting" value="ja"'
        f'{" checked" if v["expecting"] else ""}><label for="expecting">Gäller också blivande föräldrar '
        f'(barnet är inte fött)</label></div></fieldset>')
    need_opts = [(code, f"{label} ({code})") for code, label, _ in catalog["needs"]]
    parts.append(_checkboxes("needs_any", need_opts, v["needs_any"], "Behov: något av dessa",
                             "Regeln gäller när familjen har minst ett av de markerade behoven. Inga markerade: "
                             "inget behovsvillkor.", errors))
    parts.append(_checkboxes("needs_all", need_opts, v["needs_all"], "Behov: alla dessa",
                             "Regeln gäller bara när familjen har alla markerade behov.", errors, collapsed=True))
    parts.append(_checkboxes("kommuner", [(c, n) for c, n in catalog["kommuner"]], v["kommuner"], "Kommuner",
                             "Inga markerade: regeln gäller i alla kommuner.", errors, collapsed=True))
    ins_opts = [(i, f"{name} ({level})") for i, name, level in catalog["insatser"]]
    parts.append(_checkboxes("recommend", ins_opts, v["recommend"], "Rekommenderade insatser",
                             "Insatserna ur katalogen som regeln rekommenderar.", errors))
    cls, aria, err = _errors_at(errors, "notice")
    sev_opts = [("", "inget meddelande")] + [(s, forms.SEVERITY_TEXT[s]) for s in forms.SEVERITIES]
    parts.append(
        f'<fieldset class="{cls.strip()}"{aria}><legend>Meddelande till personalen (valfritt)</legend>{err}'
        + _select("notice_severity", "Allvarlighetsgrad", v["notice_severity"], sev_opts, None)
        + f'<div class="falt"><label for="notice_text">Text</label>'
          f'<textarea id="notice_text" name="notice_text">{e(v["notice_text"])}</textarea></div></fieldset>')
    cls, aria, err = _errors_at(errors, "rationale")
    parts.append(f'<div class="falt{cls}"><label for="rationale">Motivering</label>'
                 f'<p class="hjalp">Visas för personalen: varför insatsen passar familjen.</p>{err}'
                 f'<textarea id="rationale" name="rationale"{aria}>{e(v["rationale"])}</textarea></div>')
    cls, aria, err = _errors_at(errors, "source")
    src_opts = [(i, f"{t} ({i})") for i, t in catalog["sources"]]
    parts.append(
        f'<fieldset class="{cls.strip()}"{aria}><legend>Källa</legend>{err}'
        + _select("source_document", "Dokument", v["source_document"], src_opts, None)
        + _text("source_section", "Avsnitt", v["source_section"], None)
        + _text("source_quote", "Citat (ordagrant ur källan, valfritt)", v["source_quote"], None)
        + _text("source_note", "Anteckning (valfri)", v["source_note"], None)
        + "</fieldset>")
    parts.append('<div class="rad">'
                 + _text("valid_from", "Gäller från", v["valid_from"], errors, kind="date")
                 + _text("valid_to", "Gäller till", v["valid_to"], errors, kind="date") + "</div>")
    parts.append(_select("status", "Grund", v["status"],
                         [("källa", "källa: källan säger det"), ("antagande", "antagande: vår tolkning")], errors))
    parts.append(_lines("assumptions", "Antaganden", v.get("assumptions", ""), errors, ASSUMPTIONS_HINT))
    return "\n".join(parts)


ASSUMPTIONS_HINT = ("Ett antagande per rad: vad som inte står i källan, och varför. "
                    "Krävs när grunden är antagande.")


def _lines(name: str, label: str, value: str, errors, hint: str = "") -> str:
    cls, aria, err = _errors_at(errors, name)
    h = f'<p class="hjalp" id="hjalp-{name}">{e(hint)}</p>' if hint else ""
    return (f'<div class="falt{cls}"><label for="{name}">{e(label)}</label>{h}{err}'
            f'<textarea id="{name}" name="{name}"{aria}>{e(value)}</textarea></div>')


def _age_fieldset(v: dict[str, Any], errors, expecting_label: str | None, hint: str = "") -> str:
    cls, aria, err = _errors_at(errors, "alder")
    boxes = ""
    if expecting_label:
        boxes = (f'<div class="kryss"><input type="checkbox" id="expecting" name="expecting" value="ja"'
                 f'{" checked" if v.get("expecting") else ""}><label for="expecting">{e(expecting_label)}</label></div>')
    hint = (hint + " " if hint else "") + "Båda gränserna räknas med. Lämna alla tomma för alla åldrar."
    return (f'<fieldset class="{cls.strip()}"{aria}><legend>Barnets ålder</legend>'
            f'<p class="hjalp">{e(hint)}</p>{err}<div class="rad">'
            + "".join(
                f'<div><label for="{n}">{e(t)}</label><input type="number" min="0" max="{mx}" inputmode="numeric" '
                f'id="{n}" name="{n}" value="{e(v.get(n, ""))}"></div>'
                for n, t, mx in (("alder_fran_ar", "Från år", 18), ("alder_fran_man", "och månader", 11),
                                 ("alder_till_ar", "Till år", 18), ("alder_till_man", "och månader", 11)))
            + f"</div>{boxes}</fieldset>")


def item_form(specs, values: dict[str, Any], catalog: dict[str, Any], errors: forms.FieldErrors | None) -> str:
    """Fields of an insats or a need, from its spec (forms.INSATS_FIELDS / NEED_FIELDS)."""
    parts = []
    expecting_label = next((sp.label for sp in specs if sp.kind == "expecting"), None)
    for sp in specs:
        if sp.kind == "text":
            parts.append(_text(sp.key, sp.label, values.get(sp.key, ""), errors, sp.hint))
        elif sp.kind in ("textarea", "lines"):
            cls, aria, err = _errors_at(errors, sp.key)
            hint = f'<p class="hjalp">{e(sp.hint)}</p>' if sp.hint else ""
            parts.append(f'<div class="falt{cls}"><label for="{sp.key}">{e(sp.label)}</label>{hint}{err}'
                         f'<textarea id="{sp.key}" name="{sp.key}"{aria}>{e(values.get(sp.key, ""))}</textarea></div>')
        elif sp.kind == "level":
            parts.append(_select(sp.key, sp.label, values.get(sp.key, ""), [(lv, lv) for lv in forms.LEVELS], errors))
        elif sp.kind == "status":
            parts.append(_select(sp.key, sp.label, values.get(sp.key, "källa"),
                                 [("källa", "källa: källan säger det"), ("antagande", "antagande: vår tolkning")], errors))
        elif sp.kind == "age":
            parts.append(_age_fieldset(values, errors, expecting_label, sp.hint))
        elif sp.kind == "source":
            cls, aria, err = _errors_at(errors, "source")
            src_opts = [("", "ingen källa")] + [(i, f"{t} ({i})") for i, t in catalog["sources"]]
            parts.append(
                f'<fieldset class="{cls.strip()}"{aria}><legend>Källa</legend>{err}'
                + _select("source_document", "Dokument", values.get("source_document", ""), src_opts, None)
                + _text("source_section", "Avsnitt", values.get("source_section", ""), None)
                + _text("source_quote", "Citat (ordagrant ur källan, valfritt)", values.get("source_quote", ""), None)
                + _text("source_note", "Anteckning (valfri)", values.get("source_note", ""), None)
                + "</fieldset>")
    return "\n".join(parts)
