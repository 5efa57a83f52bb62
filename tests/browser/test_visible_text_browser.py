"""The pages read the same after issue 19 moved them into Jinja2 templates: the visible text of
/, answers (with and without JavaScript, and their print views), the form's errors, /kartlaggning,
/strategi, /docs, /redoc and /hsds/profile in Chromium, against the text captured before the move
(tests/golden/visible_text.json; see tests/browser/visible_text.py to rewrite it)."""
from __future__ import annotations

import difflib
import json

import pytest
from browser_support import run_axe, serving
from visible_text import FIXTURE, capture, server_env


@pytest.fixture(scope="module")
def text_server():
    with serving(server_env()) as base:
        yield base


@pytest.fixture(scope="module")
def texts(browser, text_server) -> dict[str, str]:
    return capture(browser, text_server)


EXPECTED = json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", list(EXPECTED))
def test_visible_text_is_unchanged(texts, name):
    got, want = texts.get(name), EXPECTED[name]
    assert got is not None, f"{name}: sidan fångades inte"
    if got != want:
        diff = "\n".join(list(difflib.unified_diff(want.splitlines(), got.splitlines(), "före", "efter",
                                                   lineterm=""))[:60])
        pytest.fail(f"{name}: texten har ändrats\n{diff}")


def test_every_page_was_captured(texts):
    assert sorted(texts) == sorted(EXPECTED)


@pytest.mark.parametrize("path", ["/strategi", "/hsds/profile", "/kartlaggning?vy=behov&kommun=1884"])
def test_axe_finds_nothing_on_the_other_pages(browser, text_server, path):
    """/ and /kartlaggning are checked by the other browser tests; these are the rest."""
    context = browser.new_context(base_url=text_server, locale="sv-SE", bypass_csp=True)
    pg = context.new_page()
    try:
        pg.goto(path)
        assert run_axe(pg) == []
    finally:
        context.close()
