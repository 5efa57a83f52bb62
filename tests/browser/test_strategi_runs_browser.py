"""/strategi after `make run` (issue 18 item 16), in Chromium: no results file for the served
version, so the page says the tests run now (in the background) and, with JavaScript, shows the
served version's result by itself when the run is done; axe finds nothing in either state."""
from __future__ import annotations

import os
import re
import tempfile

from browser_support import run_axe, serving


def test_strategi_runs_the_served_version_and_then_shows_it(browser):
    work = tempfile.mkdtemp(prefix="foraldrastod-strategi-")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{work}/t.db",
           "FORALDRASTOD_FEATURE_RESULTS": f"{work}/finns-inte.json",
           "FORALDRASTOD_STRATEGI_CACHE": f"{work}/cache"}
    env.pop("FORALDRASTOD_RULES", None)
    env.pop("FORALDRASTOD_STRATEGI_KOR", None)
    with serving(env) as base:
        context = browser.new_context(base_url=base, locale="sv-SE", bypass_csp=True)  # axe is injected
        pg = context.new_page()
        pg.goto("/strategi")
        status = pg.locator("#korning")
        assert "körs nu mot den version som serveras (version 1" in status.inner_text()
        assert status.get_attribute("role") == "status"
        assert run_axe(pg) == []
        # strategi.js reloads until the run is done; then the counts are the served version's
        pg.wait_for_selector("#korning", state="detached", timeout=240_000)
        summary = pg.locator(".sammanfattning").inner_text()
        total = int(summary.split()[0])
        assert re.search(rf"godkända: {total}, underkända: 0, inte körda: 0", summary), summary
        assert "mot den version som serveras (version 1" in pg.locator(".ingress").inner_text()
        assert run_axe(pg) == []
        context.close()
