"""Helpers for the /redaktion tests: a logged-in TestClient per user, and the forms of a page
as a browser would submit them (hidden fields, checked boxes, selected options, textareas)."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient

PASSWORD = "ett-langt-losenord"
USERS = (("rut", "redaktor", None), ("rebecka", "redaktor", None), ("greta", "granskare", None),
         ("gustav", "granskare", None), ("nora", "samordnare", "1884"), ("ada", "admin", None))


class _Forms(HTMLParser):
    """Every <form> on a page: action, and its values as {name: [values]}."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get"), "values": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        values = self._form["values"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    values.setdefault(a["name"], []).append(a.get("value", "on"))
            elif kind != "submit":
                values.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = a.get("name"), None, False
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a:
                values[self._select] = [a.get("value", "")]
                self._select_chosen = True
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), []

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form is not None:
            if not self._select_chosen:
                self._form["values"][self._select] = [self._select_first or ""]
            self._select = None
        elif tag == "textarea" and self._textarea and self._form is not None:
            text = "".join(self._text)
            self._form["values"][self._textarea] = [text[1:] if text.startswith("\n") else text]
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def forms_of(page: str) -> list[dict]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def form(page: str, action_contains: str) -> dict:
    for f in forms_of(page):
        if action_contains in html.unescape(f["action"]):
            return f
    raise AssertionError(f"inget formulär med action {action_contains!r}")


def csrf_of(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m, "sidan saknar CSRF-fält"
    return m.group(1)


def messages(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<div class="meddelande[^"]*"[^>]*><p>(.*?)</p>', page, re.S)]


def field_errors(page: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, text in re.findall(r'<p class="fel" id="fel-([a-z_\-0-9]+?)(?:-\d+)?">(.*?)</p>', page, re.S):
        out.setdefault(name, []).append(html.unescape(text))
    return out


def login(client: TestClient, name: str, password: str = PASSWORD):
    page = client.get("/redaktion/logga-in")
    return client.post("/redaktion/logga-in", data={"csrf": csrf_of(page.text), "namn": name, "losenord": password},
                       follow_redirects=False)


def client_for(app, name: str | None, base_url: str = "http://testserver") -> TestClient:
    c = TestClient(app, base_url=base_url)
    if name:
        r = login(c, name)
        assert r.status_code == 303, (name, r.status_code, r.text[:500])
    return c


def post_form(client: TestClient, url_or_page: str, action_contains: str, changes: dict | None = None,
              page: str | None = None, **kw):
    """Submit the form of `page` (fetched from `url_or_page` when not given) with `changes`."""
    if page is None:
        page = client.get(url_or_page).text
    f = form(page, action_contains)
    values = dict(f["values"])
    for k, v in (changes or {}).items():
        values[k] = v if isinstance(v, list) else [v]
    return client.post(html.unescape(f["action"]), data=values, follow_redirects=False, **kw)
