"""The visible text of every /redaktion page in Chromium, for the before/after test of issue 19
(the workspace's pages moved from Python strings to Jinja2 templates; what an editor reads must
not change).

    .venv/bin/python -m tests.browser.redaktion_text --write   # rewrite tests/golden/redaktion_text.json

For each role (redaktör, granskare, samordnare, admin): the overview, Versioner, Logg and
Användare (a 403 page where the role may not see it) and a draft's page; the redaktör's text
editor, rule file, rule form with a field error, item form, behaviour-test editor, Kontrollera,
Effekt (finished) and review; the granskare's review; the samordnare's kartläggning form; the login
page, a 404 and a 413 page. Times, dates, durations and version hashes are normalised.
Rewrite the fixture only when a page's text is meant to change (and read the diff).
"""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "golden" / "redaktion_text.json"
PASSWORD = "ett-langt-losenord"
USERS = (("rut", "redaktor", None), ("greta", "granskare", None), ("nora", "samordnare", "1884"),
         ("ada", "admin", None))
ABC_FILE = "regler/03-universella-program.yaml"


def normalise(text: str) -> str:
    text = re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?", "{tid}", text)
    text = text.replace(dt.date.today().isoformat(), "{idag}")
    text = re.sub(r"\b[0-9a-f]{7,64}\b", "{hash}", text)
    text = re.sub(r"\b\d+([,.]\d+)? (s|ms|sekunder|sekund)\b", "{tid} \\2", text)
    return text


def _text(pg) -> str:
    return normalise(pg.inner_text("body"))


def _log_in(pg, name: str) -> None:
    pg.goto("/redaktion/logga-in")
    pg.fill("#namn", name)
    pg.fill("#losenord", PASSWORD)
    pg.click("#logga-in")
    pg.wait_for_url("**/redaktion")


def _wait_done(pg, timeout: int = 240000) -> None:
    pg.wait_for_selector(".meddelande-ok, .meddelande-fel, #effekt-tabell", timeout=timeout)


def capture(browser, base: str) -> dict[str, str]:
    out: dict[str, str] = {}

    def new_page(js: bool = True):
        context = browser.new_context(base_url=base, locale="sv-SE", viewport={"width": 1280, "height": 900},
                                      java_script_enabled=js)
        pg = context.new_page()
        pg.set_default_timeout(30000)
        return context, pg

    anon_ctx, anon = new_page()
    anon.goto("/redaktion/logga-in")
    out["logga-in"] = _text(anon)
    anon.fill("#namn", "rut")
    anon.fill("#losenord", "fel-losenord")
    anon.click("#logga-in")
    anon.wait_for_load_state()
    out["logga-in (fel lösenord)"] = _text(anon)
    anon.goto("/redaktion/finns-inte")
    out["404 (utloggad)"] = _text(anon)
    anon_ctx.close()

    pages = {}
    for name, role, _ in USERS:
        c, pg = new_page()
        _log_in(pg, name)
        pages[role] = (c, pg)
        for path in ("/redaktion", "/redaktion/versioner", "/redaktion/logg", "/redaktion/anvandare"):
            pg.goto(path)
            out[f"{role} GET {path}"] = _text(pg)

    rut = pages["redaktor"][1]
    rut.goto("/redaktion")
    rut.fill("#anledning", "ABC 0–2 år till 2½ år")
    rut.click("#nytt-utkast")
    rut.wait_for_url("**/redaktion/utkast/*")
    draft = rut.url.split("?")[0]
    out["redaktor utkast"] = _text(rut)
    rut.goto(f"{draft}/text?sokvag={ABC_FILE}")
    out["redaktor texteditor"] = _text(rut)
    rut.fill("#yaml", "rules: [\n  - id: x\n")
    rut.click("#spara-text")
    rut.wait_for_load_state()
    out["redaktor texteditor med fel"] = _text(rut)
    # 413: a text larger than 2 MiB, posted by the text editor's form without JavaScript
    c413, nojs = new_page(js=False)
    _log_in(nojs, "rut")
    nojs.goto(f"{draft}/text?sokvag={ABC_FILE}")
    nojs.fill("#yaml", "x" * (2 * 1024 * 1024 + 100))
    nojs.click("#spara-text")
    nojs.wait_for_load_state()
    out["redaktor 413"] = _text(nojs)
    c413.close()
    rut.goto(f"{draft}/fil?sokvag={ABC_FILE}")
    out["redaktor regelfil"] = _text(rut)
    rut.click("#andra-universell-abc-3-12-ar")
    out["redaktor regelformulär"] = _text(rut)
    rut.fill("#alder_till_ar", "99")
    rut.fill("#id", "Fel Id")
    rut.click("#spara-regel")
    rut.wait_for_load_state()
    out["redaktor regelformulär med fel"] = _text(rut)
    rut.goto(draft)
    for rel in ("insatser.yaml", "behov.yaml"):
        rut.goto(f"{draft}/fil?sokvag={rel}")
        out[f"redaktor postlista {rel}"] = _text(rut)
        rut.click("a[id^='andra-']")
        out[f"redaktor postformulär {rel}"] = _text(rut)
    rut.goto(draft)
    feats = rut.eval_on_selector_all("a[href*='/beteendetest?']", "els => els.map(e => e.getAttribute('href'))")
    rut.goto(feats[0])
    out["redaktor beteendetest"] = _text(rut)
    # a mistake (ABC 3–12 år ends at 11), then Kontrollera
    rut.goto(f"{draft}/fil?sokvag={ABC_FILE}")
    rut.click("#andra-universell-abc-3-12-ar")
    rut.fill("#alder_till_ar", "11")
    rut.click("#spara-regel")
    rut.wait_for_url(lambda url: "/fil?sokvag=" in url)
    out["redaktor regelfil sparad"] = _text(rut)
    rut.goto(draft)
    out["redaktor utkast ändrat"] = _text(rut)
    rut.click("#kontrollera")
    _wait_done(rut)
    out["redaktor kontrollera (underkänd)"] = _text(rut)
    rut.goto(f"{draft}/fil?sokvag={ABC_FILE}")
    rut.click("#andra-universell-abc-3-12-ar")
    rut.fill("#alder_till_ar", "12")
    rut.click("#spara-regel")
    rut.wait_for_url(lambda url: "/fil?sokvag=" in url)
    rut.click("#andra-universell-abc-0-2-ar")
    rut.fill("#alder_till_ar", "3")
    rut.fill("#alder_till_man", "5")
    rut.click("#spara-regel")
    rut.wait_for_url(lambda url: "/fil?sokvag=" in url)
    rut.goto(draft)
    rut.click("#kontrollera")
    _wait_done(rut)
    out["redaktor kontrollera (godkänd)"] = _text(rut)
    rut.goto(draft)
    rut.click("#effekt")
    rut.wait_for_selector("#effekt-tabell, .meddelande-fel, .meddelande-ok", timeout=240000)
    rut.wait_for_load_state()
    out["redaktor effekt"] = _text(rut)
    for role in ("granskare", "samordnare", "admin"):
        pg = pages[role][1]
        pg.goto(draft)
        out[f"{role} utkast"] = _text(pg)
    rut.goto(draft)
    rut.fill("#skal", "ABC 0–2 år räcker till 2½ år enligt programägaren")
    rut.click("#skicka-in")
    rut.wait_for_url("**/granska")
    out["redaktor granska"] = _text(rut)
    greta = pages["granskare"][1]
    greta.goto(f"{draft}/granska")
    out["granskare granska"] = _text(greta)
    rut.goto("/redaktion/utkast/9999")
    out["redaktor 404"] = _text(rut)
    nora = pages["samordnare"][1]
    nora.goto("/redaktion/kartlaggning")
    nora.wait_for_load_state()
    out["samordnare kartläggning"] = _text(nora)
    nora.goto("/redaktion/kartlaggning/1880")
    out["samordnare kartläggning annan kommun"] = _text(nora)
    ada = pages["admin"][1]
    ada.goto("/redaktion/anvandare")
    ada.fill("#ny-namn", "ny")
    ada.fill("#ny-losenord", "kort")
    ada.click("form.enkel-form button[type=submit]")
    ada.wait_for_load_state()
    out["admin användare med fel"] = _text(ada)
    for role in ("redaktor", "granskare", "samordnare", "admin"):
        pg = pages[role][1]
        for path in ("/redaktion", "/redaktion/versioner", "/redaktion/logg"):
            pg.goto(path)
            out[f"{role} GET {path} (efter)"] = _text(pg)
    for c, _ in pages.values():
        c.close()
    return out


def _cli() -> list[str]:
    exe = Path(sys.executable).parent / "foraldrastod"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "service.cli"]


def server_env() -> dict[str, str]:
    tmp = Path(tempfile.mkdtemp(prefix="foraldrastod-redtext-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'ws.db'}", "FORALDRASTOD_JOBS_DIR": str(tmp / "jobb"),
           "FORALDRASTOD_PACK_CACHE": str(tmp / "versioner"), "FORALDRASTOD_PASSWORD": PASSWORD}
    for k in ("FORALDRASTOD_RULES", "FORALDRASTOD_PUBLIC_URL", "FORALDRASTOD_FEATURES_DIR"):
        env.pop(k, None)
    for args in (["db", "upgrade"], *(["user", "add", n, "--role", r, *(["--kommun", k] if k else [])]
                                      for n, r, k in USERS)):
        subprocess.run([*_cli(), *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    return env


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    from browser_support import write_fixture

    return write_fixture(argv, __doc__, server_env, capture, FIXTURE)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
