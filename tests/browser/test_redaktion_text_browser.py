"""/redaktion reads the same after issue 19 moved its pages into Jinja2 templates: the visible text
of every workspace page, for each role, in Chromium, against the text captured before the move
(tests/golden/redaktion_text.json; see tests/browser/redaktion_text.py to rewrite it)."""
from __future__ import annotations

import difflib
import json

import pytest
from browser_support import serving
from redaktion_text import FIXTURE, capture, server_env

EXPECTED = json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def texts(browser) -> dict[str, str]:
    with serving(server_env()) as base:
        return capture(browser, base)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_redaktion_text_is_unchanged(texts, name):
    got, want = texts.get(name), EXPECTED[name]
    assert got is not None, f"{name}: sidan fångades inte"
    if got != want:
        diff = "\n".join(list(difflib.unified_diff(want.splitlines(), got.splitlines(), "före", "efter",
                                                   lineterm=""))[:60])
        pytest.fail(f"{name}: texten har ändrats\n{diff}")


def test_every_redaktion_page_was_captured(texts):
    assert sorted(texts) == sorted(EXPECTED)
