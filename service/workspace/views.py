"""What the /redaktion templates are given besides a page's own values: the words for roles,
statuses and kinds, times as the pages show them, the layout's values (`page_context`), the
choices of the rule and item forms, a file's diff as data, and `respond` (a template as an
answer with the workspace's security headers: a CSP without inline scripts or styles). The HTML
is in service/workspace/templates/redaktion/; nothing here builds any."""
from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from fastapi.responses import HTMLResponse
from markupsafe import Markup

from service.core import templating

from . import forms

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
    if user.role in ("samordnare", "granskare", "redaktor"):
        items.append(("/redaktion/uppfoljning", "Uppföljning"))
    if user.role in ("granskare", "redaktor"):
        items.append(("/redaktion/antaganden", "Antaganden"))
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
    html = templating.environment.get_template(template_name).render(**context)  # `name` may be a value
    return HTMLResponse(html, status_code=status,
                        headers={**SECURITY_HEADERS, **(headers or {})})


def count(n: int, one: str, many: str) -> str:
    """'1 rad', '2 rader': the number with the right form of the word."""
    return f"{n} {one if n == 1 else many}"


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


def diff_html(path: str, old: str | None, new: str | None) -> Markup:
    """The diff of one file as the page shows it."""
    return templating.render("redaktion/diff.html", d=diff_of(path, old, new), count=count)


def changed_files(old: dict[str, str], new: dict[str, str]) -> list[str]:
    return sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))


# --------------------------------------------------------------------------- the forms
ASSUMPTIONS_HINT = ("Ett antagande per rad: vad som inte står i källan, och varför. "
                    "Krävs när grunden är antagande.")


def form_fields(catalog: dict[str, Any]) -> dict[str, Any]:
    """The choices of the rule and item forms (redaktion/form_fields.html). `catalog`: needs
    [(code,label,group)], insatser [(id,name,level)], kommuner [(code,name)], sources [(id,title)]."""
    return {
        "levels": [(lv, lv) for lv in forms.LEVELS],
        "needs": [(code, f"{label} ({code})") for code, label, _ in catalog["needs"]],
        "kommuner": [(c, n) for c, n in catalog["kommuner"]],
        "insatser": [(i, f"{name} ({level})") for i, name, level in catalog["insatser"]],
        "sources": [(i, f"{t} ({i})") for i, t in catalog["sources"]],
        "severities": [("", "inget meddelande")] + [(s, forms.SEVERITY_TEXT[s]) for s in forms.SEVERITIES],
        "statuses": [("källa", "källa: källan säger det"), ("antagande", "antagande: vår tolkning")],
        "assumptions_hint": ASSUMPTIONS_HINT,
    }
