"""OpenID Connect login at /redaktion against a provider on loopback that the test runs (a real HTTP
server): the whole app in-process (TestClient), the workspace on SQLite. What a real provider
never sends (wrong issuer or audience, another nonce, `alg: none`, an unknown key, an expired
token) is forged here; each is refused with a Swedish message and audited, with no session."""
from __future__ import annotations

import html
import json
import shutil
import urllib.parse

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from oidc_support import CLIENT_ID, CLIENT_SECRET, FakeProvider, running
from service.app import create_app
from service.workspace import db, store
from service.workspace.models import OidcLogin, User, utcnow

BASE = "http://testserver"


@pytest.fixture(scope="module")
def fake():
    with running(FakeProvider(f"{BASE}/redaktion/oidc/callback")) as provider:
        yield provider


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("oidc") / "mall.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    with db.session_scope(url) as s:
        store.ensure_seeded(s)
    _dispose(url)
    return path


def _dispose(url: str) -> None:
    for key, engine in list(db._engines.items()):
        if key[1] == url:
            engine.dispose()
            db._engines.pop(key, None)


@pytest.fixture
def app(seeded_db, fake, tmp_path, monkeypatch):
    target = tmp_path / "ws.db"
    shutil.copyfile(seeded_db, target)
    url = f"sqlite:///{target}"
    for name, value in {"DATABASE_URL": url, "FORALDRASTOD_JOBS_DIR": str(tmp_path / "jobb"),
                        "FORALDRASTOD_PUBLIC_URL": BASE, "FORALDRASTOD_OIDC_ISSUER": fake.issuer,
                        "FORALDRASTOD_OIDC_CLIENT_ID": CLIENT_ID,
                        "FORALDRASTOD_OIDC_CLIENT_SECRET": CLIENT_SECRET}.items():
        monkeypatch.setenv(name, value)
    for name in ("FORALDRASTOD_RULES", "FORALDRASTOD_OIDC_ROLE_MAP", "FORALDRASTOD_OIDC_ROLES_CLAIM",
                 "FORALDRASTOD_OIDC_KOMMUN_CLAIM", "FORALDRASTOD_LOCAL_LOGIN"):
        monkeypatch.delenv(name, raising=False)
    fake.account, fake.claims, fake.forge = "rut", {"roles": ["redaktor"]}, None
    yield create_app()
    _dispose(url)


def begin(client: TestClient) -> str:
    """Start a login; the provider logs the person in at once: the callback URL it sends back to."""
    r = client.get("/redaktion/oidc/login", follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    at_provider = r.headers["location"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(at_provider).query))
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    assert query["redirect_uri"] == f"{BASE}/redaktion/oidc/callback"
    back = httpx.get(at_provider, follow_redirects=False)
    assert back.status_code == 302
    return back.headers["location"].removeprefix(BASE)


def sso_login(client: TestClient):
    return client.get(begin(client), follow_redirects=False)


def last_events(n: int = 3) -> list[dict]:
    with db.session_scope() as s:
        return [store.audit_info(e) for e in store.audit(s, limit=n)]


def text_of(page: str) -> str:
    return html.unescape(page)


def test_login_through_the_provider_makes_an_account_of_issuer_and_subject(app, fake):
    c = TestClient(app, base_url=BASE)
    r = c.get("/redaktion/oidc/login", follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert "redaktion_oidc=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/redaktion/oidc" in cookie
    back = httpx.get(r.headers["location"], follow_redirects=False).headers["location"].removeprefix(BASE)
    done = c.get(back, follow_redirects=False)
    assert done.status_code == 200 and done.headers["refresh"] == "0; url=/redaktion"
    assert fake.token_requests[-1]["code_verifier"]  # PKCE: the token endpoint checked S256 itself
    page = c.get("/redaktion")
    assert page.status_code == 200 and "Inloggad som <strong>sso:rut</strong>" in page.text
    with db.session_scope() as s:
        user = s.query(User).filter_by(issuer=fake.issuer, subject="rut").one()
        assert (user.name, user.role) == ("sso:rut", "redaktor")
    events = last_events(5)
    login = next(e for e in events if e["action"] == "inloggning")
    assert login["target"] == f"{fake.issuer} rut" and "redaktör" in login["summary"]
    dumped = json.dumps(last_events(50))
    assert done.cookies.get("redaktion_session") not in dumped




FORGERIES = {
    "fel utfärdare": (lambda f: lambda c, h: f.id_token({**c, "iss": "http://127.0.0.1:9/annan"}, h),
                      "fel utfärdare", "fel utfärdare (iss)"),
    "fel mottagare": (lambda f: lambda c, h: f.id_token({**c, "aud": "en-annan-tjanst"}, h),
                      "avsedd för en annan tjänst", "fel mottagare (aud)"),
    "annan nonce": (lambda f: lambda c, h: f.id_token({**c, "nonce": "en-annan-nonce"}, h),
                    "nonce", "nonce stämmer inte"),
    "alg none": (lambda f: lambda c, h: f.id_token(c, {"alg": "none"}),
                 "inte signerat på ett godtagbart sätt", "otillåten algoritm none"),
    "okänd nyckel": (lambda f: lambda c, h: f.id_token(c, {"kid": "okand-nyckel"}, key=f.other_key),
                     "signatur som inte gick att kontrollera", "okänd nyckel"),
    "fel nyckel, känt kid": (lambda f: lambda c, h: f.id_token(c, h, key=f.other_key),
                             "signatur som inte gick att kontrollera", "ogiltig signatur"),
    "utgången": (lambda f: lambda c, h: f.id_token({**c, "exp": c["iat"] - 3600, "iat": c["iat"] - 7200}, h),
                 "har gått ut", "har gått ut (exp)"),
}


@pytest.mark.parametrize("case", FORGERIES)
def test_forged_id_tokens_are_refused_in_swedish_and_audited(app, fake, case):
    forge, message, reason = FORGERIES[case]
    fake.forge = forge(fake)
    c = TestClient(app, base_url=BASE)
    r = sso_login(c)
    assert r.status_code == 403, r.text[:500]
    assert message in text_of(r.text) and "redaktion_session" not in r.headers.get("set-cookie", "")
    refusal = last_events(1)[0]
    assert refusal["action"] == "inloggning.nekad" and reason in refusal["reason"], refusal
    assert c.get("/redaktion", follow_redirects=False).status_code == 303  # still a stranger


def test_a_replayed_state_is_refused(app, fake):
    c = TestClient(app, base_url=BASE)
    back = begin(c)
    cookie = c.cookies.get("redaktion_oidc")
    assert c.get(back, follow_redirects=False).status_code == 200
    c.cookies.set("redaktion_oidc", cookie, path="/redaktion/oidc")  # an attacker who kept everything
    r = c.get(back, follow_redirects=False)
    assert r.status_code == 403 and "redan använd" in text_of(r.text)
    assert last_events(1)[0]["reason"] == "okänt eller redan använt state"


def test_an_expired_state_is_refused(app, fake):
    c = TestClient(app, base_url=BASE)
    back = begin(c)
    with db.session_scope() as s:
        s.execute(update(OidcLogin).values(expires_at=utcnow().replace(year=2020)))
    r = c.get(back, follow_redirects=False)
    assert r.status_code == 403 and "gått ut" in text_of(r.text)
    assert last_events(1)[0]["reason"] == "state har gått ut"


def test_a_state_from_another_browser_is_refused(app, fake):
    back = begin(TestClient(app, base_url=BASE))
    r = TestClient(app, base_url=BASE).get(back, follow_redirects=False)  # the victim's browser
    assert r.status_code == 403 and "annan webbläsare" in text_of(r.text)
    assert last_events(1)[0]["reason"] == "state hör inte till den här webbläsaren"


def test_no_role_gets_a_page_saying_who_to_ask_and_nothing_else(app, fake):
    fake.claims = {"roles": ["nagot-annat"]}
    c = TestClient(app, base_url=BASE)
    r = sso_login(c)
    assert r.status_code == 403
    text = text_of(r.text)
    assert "ingen roll i redaktionen" in text and "organisations administratör för systemet" in text
    assert "redaktion_session" not in r.headers.get("set-cookie", "") and "Logga ut" not in text
    assert c.get("/redaktion", follow_redirects=False).status_code == 303
    refusal = last_events(1)[0]
    assert refusal["action"] == "inloggning.nekad" and refusal["target"] == f"{fake.issuer} rut"
    assert refusal["reason"] == "ingen roll i anspråket roles"


def test_a_role_removed_at_the_provider_is_refused_at_the_next_login(app, fake):
    c = TestClient(app, base_url=BASE)
    assert sso_login(c).status_code == 200
    assert c.get("/redaktion").status_code == 200
    fake.claims = {"roles": []}
    again = TestClient(app, base_url=BASE)
    assert sso_login(again).status_code == 403
    assert last_events(1)[0]["reason"] == "ingen roll i anspråket roles"
    # and the session the person still had is gone
    assert c.get("/redaktion", follow_redirects=False).status_code == 303


def test_role_map_string_claim_and_samordnare_kommun(app, fake, monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_OIDC_ROLES_CLAIM", "grupper")
    monkeypatch.setenv("FORALDRASTOD_OIDC_ROLE_MAP", json.dumps({"Nora-Samordnare": "samordnare",
                                                                 "RO-Granskare": "granskare"}))
    monkeypatch.setenv("FORALDRASTOD_OIDC_KOMMUN_CLAIM", "kommunkod")
    fake.account, fake.claims = "nora-1", {"grupper": "Nora-Samordnare", "kommunkod": "1884"}
    c = TestClient(app, base_url=BASE)
    assert sso_login(c).status_code == 200
    with db.session_scope() as s:
        u = s.query(User).filter_by(subject="nora-1").one()
        assert (u.role, u.kommun) == ("samordnare", "1884")
    fake.claims = {"grupper": ["RO-Granskare", "okänd-grupp"]}  # a list now, and another role
    assert sso_login(TestClient(app, base_url=BASE)).status_code == 200
    with db.session_scope() as s:
        u = s.query(User).filter_by(subject="nora-1").one()
        assert (u.role, u.kommun) == ("granskare", None)
    fake.claims = {"grupper": "okänd-grupp,RO-Granskare"}  # several in one string
    assert sso_login(TestClient(app, base_url=BASE)).status_code == 200
    fake.claims = {"grupper": "Nora-Samordnare"}  # samordnare without a kommun: refused
    r = sso_login(TestClient(app, base_url=BASE))
    assert r.status_code == 403 and "inte angett någon känd kommun" in text_of(r.text)
    assert last_events(1)[0]["reason"] == "samordnare utan känd kommun i anspråket kommunkod"


def test_local_login_can_be_switched_off(app, fake, monkeypatch):
    c = TestClient(app, base_url=BASE)
    page = c.get("/redaktion/logga-in").text
    assert "Logga in med organisationskonto" in page and 'id="losenord"' in page
    monkeypatch.setenv("FORALDRASTOD_LOCAL_LOGIN", "off")
    page = c.get("/redaktion/logga-in").text
    assert "Logga in med organisationskonto" in page and 'id="losenord"' not in page
    r = c.post("/redaktion/logga-in", data={"csrf": "x", "namn": "ada", "losenord": "ett-langt-losenord"},
               follow_redirects=False)
    assert r.status_code == 403 and "Inloggning med lösenord är avstängd" in text_of(r.text)
    event = last_events(1)[0]
    assert event["action"] == "inloggning.nekad" and "FORALDRASTOD_LOCAL_LOGIN=off" in event["reason"]
    assert "ada" not in json.dumps(event)  # the typed name is never logged


def test_logout_ends_the_session_here_and_at_the_provider(app, fake):
    c = TestClient(app, base_url=BASE)
    done = sso_login(c)
    id_token = done.cookies.get("redaktion_oidc_id")
    page = c.get("/redaktion").text
    r = c.post("/redaktion/logga-ut", data={"csrf": store_csrf(page)}, follow_redirects=False)
    assert r.status_code == 200
    target = urllib.parse.urlsplit(r.headers["refresh"].removeprefix("0; url="))
    query = dict(urllib.parse.parse_qsl(target.query))
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{fake.issuer}/logout"
    assert query["id_token_hint"] == id_token
    assert query["post_logout_redirect_uri"] == f"{BASE}/redaktion/logga-in?utloggad=1"
    assert c.get("/redaktion", follow_redirects=False).status_code == 303
    event = last_events(1)[0]
    assert event["action"] == "utloggning" and event["target"] == f"{fake.issuer} rut"
    assert id_token not in json.dumps(last_events(50))


def store_csrf(page: str) -> str:
    import re

    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_discovery_naming_another_issuer_is_refused(app, fake, monkeypatch):
    monkeypatch.setenv("FORALDRASTOD_OIDC_ISSUER", fake.issuer + "/")  # not what the provider says it is
    r = TestClient(app, base_url=BASE).get("/redaktion/oidc/login", follow_redirects=False)
    assert r.status_code == 502 and "annan utfärdare än den inställda" in text_of(r.text)
    assert last_events(1)[0]["reason"] == "utfärdaren i discovery-dokumentet är inte den inställda"


def test_an_sso_account_never_logs_in_with_a_password(app, fake):
    assert sso_login(TestClient(app, base_url=BASE)).status_code == 200
    with db.session_scope() as s:
        user = s.query(User).filter_by(subject="rut").one()
        user.password_hash = store.auth.hash_password("ett-langt-losenord")  # e.g. set by mistake on the CLI
    c = TestClient(app, base_url=BASE)
    page = c.get("/redaktion/logga-in").text
    r = c.post("/redaktion/logga-in", data={"csrf": store_csrf(page), "namn": "sso:rut",
                                            "losenord": "ett-langt-losenord"}, follow_redirects=False)
    assert r.status_code == 401
