"""What several test folders share: one Chromium for the whole run (tests/browser, tests/oidc).

Playwright's sync API runs an event loop of its own while it is open, so a second
`sync_playwright()` in the same run fails ("Playwright Sync API inside the asyncio loop"): every
browser test takes this one session-wide browser and opens its own contexts in it.
"""
from __future__ import annotations

import pytest

from tests.chromium import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
