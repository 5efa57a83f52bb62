"""The follow-up round in /redaktion in a real Chromium at 1280 px, against the real
`foraldrastod serve` on a database of its own: a granskare opens "Uppföljning <år>", the
samordnare for Nora answers each question beside its passage and submits, a granskare approves,
and the round page shows Nora godkänd with a time. axe-core on every page."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from browser_support import cli, run_axe, serving

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "ett-langt-losenord"
USERS = (("greta", "granskare", None), ("nora", "samordnare", "1884"))
YEAR = dt.date.today().year


@pytest.fixture(scope="module")
def ws_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("omgang-server")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'ws.db'}", "FORALDRASTOD_JOBS_DIR": str(tmp / "jobb"),
           "FORALDRASTOD_PACK_CACHE": str(tmp / "versioner"), "FORALDRASTOD_PASSWORD": PASSWORD}
    env.pop("FORALDRASTOD_RULES", None)
    env.pop("FORALDRASTOD_PUBLIC_URL", None)
    for args in (["db", "upgrade"], *(["user", "add", n, "--role", r, *(["--kommun", k] if k else [])]
                                      for n, r, k in USERS)):
        proc = subprocess.run([*cli(), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    with serving(env) as base:
        yield base


@pytest.fixture
def person(browser, ws_server):
    contexts, errors = [], []

    def new(name: str):
        c = browser.new_context(base_url=ws_server, locale="sv-SE", viewport={"width": 1280, "height": 900},
                               bypass_csp=True)  # axe-core is injected as an inline script
        pg = c.new_page()
        pg.set_default_timeout(20000)
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        contexts.append(c)
        pg.goto("/redaktion")
        pg.fill("#namn", name)
        pg.fill("#losenord", PASSWORD)
        pg.click("#logga-in")
        pg.wait_for_url("**/redaktion")
        return pg

    yield new
    for c in contexts:
        c.close()
    assert not errors, f"fel i webbläsarens konsol: {errors}"


def axe_clean(pg, artifacts, name: str) -> None:
    violations = run_axe(pg)
    (artifacts / f"axe-omgang-{name}.json").write_text(json.dumps(violations, ensure_ascii=False, indent=2),
                                                       encoding="utf-8")
    assert violations == [], f"{name}: {violations}"


def test_open_answer_submit_approve(person, artifacts):
    greta = person("greta")
    greta.click("nav >> text=Uppföljning")
    greta.wait_for_url("**/redaktion/uppfoljning")
    axe_clean(greta, artifacts, "omgangar")
    greta.fill("#period", str(YEAR))
    greta.fill("#closes_on", f"{YEAR}-12-31")
    greta.click("#oppna-omgang")
    greta.wait_for_url(f"**/redaktion/uppfoljning/{YEAR}?klart=*")
    assert greta.inner_text("h1") == f"Uppföljning {YEAR}"
    assert "ej påbörjad" in greta.inner_text("#kommun-1884")
    axe_clean(greta, artifacts, "omgang")

    nora = person("nora")
    nora.click("nav >> text=Uppföljning")
    nora.wait_for_url(f"**/redaktion/uppfoljning/{YEAR}/1884")
    # a question reads next to its passage
    aside = nora.locator("#fraga-samverkansgrupp aside.passage")
    field = nora.locator("#fraga-samverkansgrupp fieldset")
    assert "i alla länets kommuner" in aside.inner_text() and "samverkansgrupp" in field.inner_text()
    a, f = aside.bounding_box(), field.bounding_box()
    assert a["x"] + a["width"] <= f["x"] + 1 and abs(a["y"] - f["y"]) < 60  # beside, not below
    axe_clean(nora, artifacts, "kommun")
    nora.check("#svar-samverkansgrupp-ja")
    nora.fill("#svar-samverkansgrupp_parter", "förskola, skola, socialtjänst och BVC")
    nora.check("#svar-strategisk_funktion-delvis")
    nora.fill("#svar-familjecentraler", "1")
    nora.fill("#svar-malgrupper_som_nas", "föräldrar med barn 0–6 år")
    nora.check("#svar-na_foraldrar_som_inte_nas-nej")
    nora.check("#svar-validerade_indikatorer-nej")
    nora.fill("#svar-kommunens_arbete", "Samverkansgruppen träffas varje månad.")
    nora.click("#skicka-in-svar")
    nora.wait_for_url(f"**/redaktion/uppfoljning/{YEAR}/1884?klart=*")
    assert "Svaren är inskickade" in nora.inner_text("main")
    assert nora.locator("#skicka-in-svar").count() == 0

    greta.goto(f"/redaktion/uppfoljning/{YEAR}")
    assert "inskickad" in greta.inner_text("#kommun-1884")
    greta.click("#kommun-1884 a")
    greta.click("#godkann-svar")
    greta.wait_for_url(f"**/redaktion/uppfoljning/{YEAR}?klart=*")
    row = greta.inner_text("#kommun-1884")
    assert re.search(r"godkänd.*\d{4}-\d\d-\d\d \d\d:\d\d av greta", row, re.S), row
    greta.screenshot(path=str(artifacts / "omgang-godkand.png"), full_page=True)
