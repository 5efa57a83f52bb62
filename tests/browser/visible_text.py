"""The visible text of the staff pages in Chromium, for the before/after test of issue 19 (the
pages moved from Python strings to Jinja2 templates; what a nurse reads must not change).

    .venv/bin/python -m tests.browser.visible_text --write   # rewrite tests/golden/visible_text.json

Rewrite the fixture only when a page's text is meant to change (and read the diff). The server
serves the embedded Örebro län pack from a fresh database, as `make run` does, with a fixed
results file for /strategi; today's date (as 2026-12-04 and as 4 december 2026) is replaced by {idag}.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "golden" / "visible_text.json"
RESULTS = ROOT / "tests" / "golden" / "visible_text_feature_results.json"

# (name, kommun label, years, months, expecting, needs, javascript)
FAMILIES = [
    ("nora-8-ar-behov-js", "Nora", "8", "0", False, ["overvikt_fetma", "foraldrar_separerade_konflikt"], True),
    ("orebro-vantar-behov-utan-js", "Örebro", "", "", True, ["nyanlanda_foraldrar", "foralder_kognitiva_svarigheter"], False),
    ("lekeberg-4-man-js", "Lekeberg", "0", "4", False, [], True),
    ("hallefors-15-ar-vald-utan-js", "Hällefors", "15", "0", False,
     ["normbrytande_beteende", "vald_eller_omsorgssvikt", "alkohol_narkotika_ungdom"], False),
]
GETS = ["/", "/kartlaggning", "/kartlaggning?vy=behov&kommun=1884&alder=&niva=selektiv", "/strategi",
        "/docs", "/redoc", "/hsds/profile"]
JS_OFF = {"/docs", "/redoc"}  # their text is Swagger UI's and ReDoc's, drawn from the same schema


def _text(pg) -> str:
    from service.pages.answer import swedish_date

    text = pg.inner_text("body")
    return text.replace(dt.date.today().isoformat(), "{idag}").replace(swedish_date(dt.date.today()), "{idag}")


def _fill(pg, kommun, years, months, expecting, needs) -> None:
    if kommun:
        pg.select_option("#kommun", label=kommun)
    if expecting:
        pg.check("#vantar")
    else:
        pg.fill("#alder-ar", years)
        pg.fill("#alder-man", months)
    for code in needs:
        pg.check(f"#behov-{code}")


def capture(browser, base: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for js in (True, False):
        context = browser.new_context(base_url=base, locale="sv-SE", viewport={"width": 1280, "height": 900},
                                      java_script_enabled=js)
        pg = context.new_page()
        for path in GETS:
            if (path in JS_OFF) == js:
                continue
            pg.goto(path)
            out[f"GET {path}"] = _text(pg)
        if js:
            # the form's errors, with JavaScript (nothing chosen)
            pg.goto("/")
            pg.click("#skicka")
            pg.wait_for_selector("#fel-kommun:not([hidden])")
            out["fel-js"] = _text(pg)
        else:
            pg.goto("/")
            pg.click("#skicka")
            pg.wait_for_load_state()
            out["fel-utan-js"] = _text(pg)
        for name, kommun, years, months, expecting, needs, with_js in FAMILIES:
            if with_js != js:
                continue
            pg.goto("/")
            _fill(pg, kommun, years, months, expecting, needs)
            pg.click("#skicka")
            pg.wait_for_selector("#svar-rubrik")
            out[name] = _text(pg)
            pg.emulate_media(media="print")
            out[name + " (utskrift)"] = _text(pg)
            pg.emulate_media(media="screen")
        context.close()
    return out


def server_env() -> dict[str, str]:
    env = {**os.environ}
    env.pop("FORALDRASTOD_RULES", None)
    env.pop("FORALDRASTOD_FEATURES_DIR", None)
    env["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='foraldrastod-text-')}/t.db"
    env["FORALDRASTOD_FEATURE_RESULTS"] = str(RESULTS)
    env["FORALDRASTOD_STRATEGI_KOR"] = "0"  # the fixed results file, not a run against the served version
    return env


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    from browser_support import write_fixture

    return write_fixture(argv, __doc__, server_env, capture, FIXTURE)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
