"""Pages come from Jinja2 templates with autoescape (issue 19): no HTML assembled in Python
anywhere in service/ (/redaktion included), escaping everywhere, the one base layout, and the
one redaktion layout over it for every /redaktion page, without inline scripts or styles."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from service.core import templating
from service.pages import coverage

ROOT = Path(__file__).resolve().parents[1]
HTML_TAGS = ("a|article|body|br|button|caption|cite|code|dd|details|div|dl|dt|em|fieldset|footer|form|h[1-6]|head|"
             "header|html|img|input|label|legend|li|link|main|meta|nav|ol|option|p|script|section|select|span|"
             "strong|style|summary|table|tbody|td|th|thead|title|tr|ul")
TAG = re.compile(rf"</?(?:{HTML_TAGS})(?:\s[^<>]*)?/?>")


def python_files():
    yield from sorted((ROOT / "service").rglob("*.py"))


def test_no_html_assembled_in_python():
    found = []
    for path in python_files():
        source = path.read_text(encoding="utf-8")
        if re.search(r"^from string import Template|html\.escape\(|^import html$", source, flags=re.M):
            found.append(f"{path.relative_to(ROOT)}: string.Template/html.escape")
        tree = ast.parse(source)
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if TAG.search(node.value):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
    assert found == []


def test_every_template_is_autoescaped():
    env = templating.environment
    assert env.autoescape is True
    for name in ("base.html", "index.html", "answer.html", "kartlaggning.html", "strategi.html", "docs.html"):
        assert env.get_template(name) is not None
    html = templating.render("docs.html", title="<script>alert(1)</script>", swagger=False)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_one_base_layout_for_every_staff_page():
    sources = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "service" / "pages" / "templates").glob("*.html")}
    for name in ("index.html", "kartlaggning.html", "strategi.html"):
        assert '{% extends "base.html" %}' in sources[name], name
    base = (ROOT / "service" / "templates" / "base.html").read_text(encoding="utf-8")
    for block in ("title", "site_title", "head", "header", "header_class", "site_name", "nav_label",
                  "header_extra", "content", "footer", "scripts"):
        assert f"{{% block {block} %}}" in base, block


def test_the_standalone_kartlaggning_keeps_its_stylesheet_as_written(tmp_path):
    from engine import load_pack
    from engine.coverage import compute_coverage
    from engine.lint import lint_pack

    pack = load_pack(ROOT / "tests" / "packs" / "mini")
    page = coverage.standalone_html(compute_coverage(pack), lint_pack(pack))
    css = (ROOT / "service" / "pages" / "static" / "kartlaggning.css").read_text(encoding="utf-8")
    assert css in page  # not escaped: its quotes and selectors stay CSS


WORKSPACE_TEMPLATES = ROOT / "service" / "workspace" / "templates"
FRAGMENTS = {"redaktion/layout.html", "redaktion/macros.html", "redaktion/form_fields.html", "redaktion/notes.html",
             "redaktion/check_result.html", "redaktion/diff.html", "oidc/login_section.html"}


def test_every_redaktion_page_extends_the_redaktion_layout_over_base():
    layout = (WORKSPACE_TEMPLATES / "redaktion" / "layout.html").read_text(encoding="utf-8")
    assert '{% extends "base.html" %}' in layout
    pages = sorted(str(p.relative_to(WORKSPACE_TEMPLATES)) for p in WORKSPACE_TEMPLATES.rglob("*.html"))
    assert len(pages) > 15
    for name in pages:
        text = (WORKSPACE_TEMPLATES / name).read_text(encoding="utf-8")
        if name not in FRAGMENTS:
            assert re.sub(r"^{#.*?#}\s*", "", text, flags=re.S).startswith('{% extends "redaktion/layout.html" %}'), name
        # the CSP forbids inline scripts and styles: none in a template
        assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|<style", text), name


def test_redaktion_pages_escape_what_users_wrote():
    from service.workspace import views

    html = views.respond("redaktion/problem.html", {**views.page_context(None), "title": "<b>x</b>",
                                                    "text": "<script>alert(1)</script>", "details": ["<i>"]}).body.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "&lt;i&gt;" in html
    assert views.SECURITY_HEADERS["Content-Security-Policy"].startswith("default-src 'self'")
