"""Single sign-on in a real Chromium against a real OpenID Connect provider (panva's oidc-provider
in node, on loopback) and the real `foraldrastod serve`, with the password login switched off:
a redaktör writes and submits a draft; promoted to granskare at the provider, the same person
cannot approve it (four eyes on issuer and subject); another granskare approves it; logout ends
the session at the provider too; a role removed at the provider is refused at the next login."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bench.httpbench import free_port
from oidc_support import CLIENT_ID, CLIENT_SECRET, RealProvider

ROOT = Path(__file__).resolve().parents[2]
ABC_FILE = "regler/03-universella-program.yaml"
AXE = ROOT / "tests" / "browser" / "vendor" / "axe.min.js"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _cli() -> list[str]:
    exe = Path(sys.executable).parent / "foraldrastod"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "service.cli"]


@pytest.fixture(scope="module")
def sso(tmp_path_factory):
    """The provider and the server, each knowing the other's address."""
    tmp = tmp_path_factory.mktemp("oidc-browser")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    provider = RealProvider(base, {"rut": {"roles": ["redaktor"]}, "greta": {"roles": ["granskare"]}}, tmp)
    provider.start()
    db_url = f"sqlite:///{tmp / 'ws.db'}"
    env = {**os.environ, "DATABASE_URL": db_url, "FORALDRASTOD_JOBS_DIR": str(tmp / "jobb"),
           "FORALDRASTOD_PACK_CACHE": str(tmp / "versioner"), "FORALDRASTOD_PUBLIC_URL": base,
           "FORALDRASTOD_OIDC_ISSUER": provider.issuer, "FORALDRASTOD_OIDC_CLIENT_ID": CLIENT_ID,
           "FORALDRASTOD_OIDC_CLIENT_SECRET": CLIENT_SECRET, "FORALDRASTOD_LOCAL_LOGIN": "off"}
    for name in ("FORALDRASTOD_RULES", "FORALDRASTOD_OIDC_ROLE_MAP", "FORALDRASTOD_OIDC_ROLES_CLAIM"):
        env.pop(name, None)
    proc = subprocess.Popen([*_cli(), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "foraldrastod serve avslutades"
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "foraldrastod serve startade inte inom 60 s"
                time.sleep(0.2)
        yield base, provider, db_url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        provider.stop()


@pytest.fixture
def person(browser, sso):
    """A new browser (context) per person; page errors on our own pages fail the test."""
    base = sso[0]
    contexts, errors = [], []

    def new(bypass_csp: bool = False):  # axe-core needs an inline script; the flow runs under the CSP
        c = browser.new_context(base_url=base, locale="sv-SE", viewport={"width": 1280, "height": 900},
                                bypass_csp=bypass_csp)
        pg = c.new_page()
        pg.set_default_timeout(20000)
        pg.on("pageerror", lambda exc: errors.append(str(exc)) if pg.url.startswith(base) else None)
        contexts.append(c)
        return pg

    yield new
    for c in contexts:
        c.close()
    assert not errors, errors


def axe_violations(pg) -> list[dict]:
    pg.add_script_tag(path=str(AXE))
    return pg.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }""")


def sso_login(pg, account: str) -> None:
    """From /redaktion through the provider's login form and back."""
    pg.goto("/redaktion")
    assert "/redaktion/logga-in" in pg.url
    assert pg.locator("#losenord").count() == 0  # FORALDRASTOD_LOCAL_LOGIN=off
    pg.click("#logga-in-sso")
    pg.wait_for_selector("input[name=login]")  # the provider's own page
    pg.fill("input[name=login]", account)
    pg.fill("input[name=password]", "valfritt")
    pg.click("button[type=submit]")
    pg.wait_for_url(re.compile(r".*/redaktion(/oidc/callback.*)?$"))


def logged_in_as(pg, name: str, role: str) -> None:
    pg.wait_for_url("**/redaktion")
    header = pg.inner_text("header")
    assert f"Inloggad som {name}" in header and role in header, header


def post_status(pg, url: str) -> int:
    return pg.evaluate("""async (url) => {
        const csrf = document.querySelector('input[name=csrf]').value;
        const r = await fetch(url, {method: 'POST', body: new URLSearchParams({csrf}),
                                    headers: {'Content-Type': 'application/x-www-form-urlencoded'}});
        return r.status; }""", url)


def test_sso_four_eyes_logout_and_role_removal(person, sso):
    from service.workspace import db, store

    base, provider, db_url = sso
    t0 = time.monotonic()

    rut = person()
    sso_login(rut, "rut")
    logged_in_as(rut, "sso:rut", "redaktör")
    rut.fill("#anledning", "ABC 0–2 år ett halvår längre")
    rut.click("#nytt-utkast")
    rut.wait_for_url("**/redaktion/utkast/*")
    draft = rut.url
    rut.click(f"a[href*='fil?sokvag={ABC_FILE}']")
    rut.click("#andra-universell-abc-0-2-ar")
    months = 12 * int(rut.input_value("#alder_till_ar")) + int(rut.input_value("#alder_till_man")) + 6
    rut.fill("#alder_till_ar", str(months // 12))
    rut.fill("#alder_till_man", str(months % 12))
    rut.click("#spara-regel")
    rut.wait_for_url(lambda url: "/fil?sokvag=" in url)
    rut.goto(draft)
    rut.fill("#skal", "ABC 0–2 år räcker ett halvår till")
    rut.click("#skicka-in")
    rut.wait_for_url("**/granska")

    # the organisation makes rut a granskare: the next login takes the role afresh, and four eyes
    # still know it is the same person (same issuer and subject)
    provider.set_claims("rut", {"roles": ["granskare"]})
    rut2 = person()
    sso_login(rut2, "rut")
    logged_in_as(rut2, "sso:rut", "granskare")
    rut2.goto(draft + "/granska")
    assert "kan därför inte godkänna" in rut2.inner_text("main")
    assert rut2.locator("#godkann").count() == 0
    assert post_status(rut2, draft + "/godkann") == 403

    greta = person()
    sso_login(greta, "greta")
    logged_in_as(greta, "sso:greta", "granskare")
    greta.goto(draft + "/granska")
    greta.click("#godkann", no_wait_after=True)  # the checks run again: takes seconds
    greta.wait_for_selector(".meddelande-ok", timeout=120000)
    assert "publicerat som version 2" in greta.inner_text(".meddelande-ok")
    greta.goto("/redaktion/versioner")
    assert "sso:greta" in greta.inner_text("table")

    # logout: here, then at the provider (it asks to confirm), and back to the login page
    greta.click("header button:has-text('Logga ut')")
    greta.wait_for_url(lambda url: url.startswith(provider.issuer))
    greta.click("button[value=yes], button:has-text('Yes')")
    greta.wait_for_url(lambda url: url.startswith(base + "/redaktion/logga-in?utloggad=1"))
    greta.goto("/redaktion")
    assert "/redaktion/logga-in" in greta.url

    # the role removed at the provider: refused at the next login, and the open session ends too
    provider.set_claims("rut", {"roles": []})
    rut3 = person()
    sso_login(rut3, "rut")
    rut3.wait_for_selector("h1")
    assert "ingen behörighet till redaktionen" in rut3.inner_text("h1")
    assert "administratör för systemet" in rut3.inner_text("main")
    rut2.goto("/redaktion")
    assert "/redaktion/logga-in" in rut2.url

    # the login page (organisation account, no password form) and the no-role page pass axe-core
    checker = person(bypass_csp=True)
    checker.goto("/redaktion/logga-in")
    assert "Logga in med organisationskonto" in checker.inner_text("main")
    assert axe_violations(checker) == []
    sso_login(checker, "rut")
    checker.wait_for_selector("h1")
    assert axe_violations(checker) == []

    with db.session_scope(db_url) as s:
        events = [store.audit_info(e) for e in store.audit(s)]
    actions = [(e["actor"], e["action"]) for e in events]
    assert actions.count(("sso:rut", "inloggning")) == 2 and ("sso:greta", "inloggning") in actions
    assert ("sso:greta", "utloggning") in actions and ("sso:greta", "version.godkand") in actions
    refused = [e for e in events if e["action"] == "inloggning.nekad"]
    assert refused and refused[0]["target"] == f"{provider.issuer} rut"
    assert refused[0]["reason"] == "ingen roll i anspråket roles"
    db.dispose_all()
    print(f"\nSSO i Chromium, hela flödet: {time.monotonic() - t0:.1f} s")
