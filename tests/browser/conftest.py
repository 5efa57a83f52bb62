"""Browser tests: the real `foraldrastod serve` in a subprocess, driven by Debian's Chromium.

Skipped only when Chromium is absent and FORALDRASTOD_REQUIRE_BROWSER is unset; CI sets it,
and there a missing browser fails the tests instead.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from browser_support import serving
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (the browser itself: tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
REQUIRE = bool(os.environ.get("FORALDRASTOD_REQUIRE_BROWSER"))

needs_browser = pytest.mark.skipif(not HAVE_CHROMIUM and not REQUIRE,
                                   reason="Chromium saknas (sätt FORALDRASTOD_REQUIRE_BROWSER för att kräva den)")


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)
            item.add_marker(needs_browser)


@pytest.fixture(scope="session")
def server() -> str:
    env = {**os.environ}
    env.pop("FORALDRASTOD_RULES", None)
    # as `make run` serves: from the database, which starts empty and gets the embedded Örebro län
    # pack as version 1 (a database of its own, so nothing outside the test can change it)
    env["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='foraldrastod-browser-')}/t.db"
    with serving(env) as base:
        yield base


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, locale="sv-SE", viewport={"width": 1280, "height": 900},
                                  bypass_csp=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, f"fel i webbläsarens konsol: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
