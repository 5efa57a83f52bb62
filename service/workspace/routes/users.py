"""Logging in and out with a local account, the audit log (Logg) and the users page (Användare, admin)."""
from __future__ import annotations

import hmac
import secrets
import urllib.parse

from fastapi import APIRouter, Depends, Request

from engine.models import looks_like_personnummer

from .. import oidc, views
from ..views import e
from .common import Ctx, LOGIN_COOKIE, PERSONAL, Problem, SESSION_COOKIE, SESSION_HOURS, _same_origin, _store, database, field_error, form_body, guarded, login, one, redirect, render, secure_cookies

router = APIRouter(prefix="/redaktion")


# --------------------------------------------------------------------------- login
@router.get("/logga-in")
@guarded
def login_page(request: Request, nasta: str = "/redaktion", fel: str = ""):
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    return _login_response(request, token, nasta, fel)


def _login_response(request: Request, token: str, nasta: str, error: str = "", status: int = 200, name: str = ""):
    nasta = nasta if nasta.startswith("/redaktion") and not nasta.startswith("//") else "/redaktion"
    err = views.message(error, "fel") if error else ""
    main = f"""<h1>Logga in i redaktionen</h1>
<p class="ingress">Här ändrar behöriga personer regelpaketet och kommunernas uppgifter om tillgång.
Personal som söker stöd för en familj använder <a href="/">beslutsstödet</a> och behöver inte logga in.</p>
{err}
{oidc.login_section(nasta)}{_password_form(token, nasta, name) if oidc.local_login_enabled() else ""}"""
    resp = views.page("Logga in", main, path="/redaktion/logga-in", status=status)
    resp.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request),
                    path="/redaktion", max_age=3600)
    return resp


def _password_form(token: str, nasta: str, name: str) -> str:
    return f"""<form class="enkel-form" method="post" action="/redaktion/logga-in">
  <input type="hidden" name="csrf" value="{e(token)}">
  <input type="hidden" name="nasta" value="{e(nasta)}">
  <div class="falt"><label for="namn">Användarnamn</label>
    <input type="text" id="namn" name="namn" autocomplete="username" required value="{e(name)}"></div>
  <div class="falt"><label for="losenord">Lösenord</label>
    <input type="password" id="losenord" name="losenord" autocomplete="current-password" required></div>
  <div><button class="knapp" type="submit" id="logga-in">Logga in</button></div>
</form>"""


@router.post("/logga-in")
@guarded
def login_post(request: Request, form: dict = Depends(form_body)):
    from .. import auth

    if not oidc.local_login_enabled():  # FORALDRASTOD_LOCAL_LOGIN=off
        return oidc.local_login_refused(request)
    _same_origin(request)
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    sent = one(form, "csrf")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise Problem(403, "Inloggningsformuläret saknar giltig säkerhetskod (CSRF-skydd). Ladda om sidan och försök igen.")
    name, password, nasta = one(form, "namn").strip(), one(form, "losenord"), one(form, "nasta", "/redaktion")
    client = request.client.host if request.client else "okänd"
    store = _store()
    with database() as s:
        try:
            user = store.authenticate(s, name, password, client)
        except store.Throttled as r:
            resp = _login_response(request, secrets.token_urlsafe(24), nasta, r.message, status=429, name=name)
            resp.headers["Retry-After"] = str(r.retry_after)
            return resp
        if user is None:
            return _login_response(request, secrets.token_urlsafe(24), nasta,
                                   "Fel användarnamn eller lösenord.", status=401, name=name)
        token, _csrf = auth.create_session(s, user, SESSION_HOURS)
    nasta = nasta if nasta.startswith("/redaktion") and not nasta.startswith("//") else "/redaktion"
    resp = redirect(nasta)
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request),
                    path="/redaktion", max_age=SESSION_HOURS * 3600)
    resp.delete_cookie(LOGIN_COOKIE, path="/redaktion")
    return resp


@router.post("/logga-ut")
@guarded
def logout(request: Request, form: dict = Depends(form_body)):
    from .. import auth

    with database() as s:
        ctx = login(request, s, form=form)
        auth.end_session(s, request.cookies.get(SESSION_COOKIE))
        resp = oidc.logout_response(request, s, ctx.user)  # audited; at the provider too for its accounts
    resp.delete_cookie(SESSION_COOKIE, path="/redaktion")
    return resp


# --------------------------------------------------------------------------- Logg
@router.get("/logg")
@guarded
def audit_page(request: Request):
    with database() as s:
        ctx = login(request, s, ("granskare", "admin"))
        rows = [[e(views.when(a.at)), e(a.actor), e(a.action), e(a.target), e(a.summary), e(a.reason or "")]
                for a in _store().audit(s, limit=500)]
        main = ("<h1>Logg</h1><p class=\"ingress\">Varje ändring: vem, när, vad och varför. Loggen kan inte ändras "
                "i efterhand. De senaste 500 händelserna; allt finns med <code>foraldrastod audit</code>.</p>"
                + views.table(["Tid", "Vem", "Åtgärd", "Vad", "Sammanfattning", "Varför"], rows))
        return render(ctx, "Logg", main, "/redaktion/logg")


# --------------------------------------------------------------------------- Användare (admin)
@router.get("/anvandare")
@guarded
def users_page(request: Request, klart: str = ""):
    with database() as s:
        ctx = login(request, s, ("admin",))
        return _users(s, ctx, klart)


def _user_field(message: str) -> str:
    """The field of the add-user form a store refusal is about."""
    low = message.lower()
    for word, name in (("lösenord", "losenord"), ("roll", "roll"), ("kommun", "kommun")):
        if word in low and not low.startswith("användar"):
            return name
    return "namn"


def _users(s, ctx: Ctx, klart: str = "", values: dict | None = None, error: str = "", status: int = 200):
    from sqlalchemy import select

    from ..models import User

    values = values or {}
    where = _user_field(error) if error else ""
    errs = {f: field_error(f"ny-{f}", error if where == f else "") for f in ("namn", "roll", "kommun", "losenord")}
    rows = [[e(u.name), e(views.ROLE_TEXT.get(u.role, u.role)), e(u.kommun or ""), "ja" if u.active else "nej"]
            for u in s.scalars(select(User).order_by(User.name)).all()]
    role_opts = "".join(f'<option value="{r}"{" selected" if values.get("roll") == r else ""}>{e(t)}</option>'
                        for r, t in views.ROLE_TEXT.items())
    main = ("<h1>Användare</h1>" + (views.message(klart, "ok") if klart else "")
            + (views.message("Användaren lades inte till. Rätta felet vid fältet.", "fel") if error else "")
            + views.table(["Namn", "Roll", "Kommun", "Aktiv"], rows)
            + f"""<h2>Lägg till användare</h2>
<form class="enkel-form" method="post" action="/redaktion/anvandare">{views.csrf_field(ctx.csrf)}
<div class="falt{errs['namn'][0]}"><label for="ny-namn">Användarnamn</label>{errs['namn'][2]}<input type="text" id="ny-namn" name="namn" value="{e(values.get('namn', ''))}" required autocomplete="off"{errs['namn'][1]}></div>
<div class="falt{errs['roll'][0]}"><label for="ny-roll">Roll</label>{errs['roll'][2]}<select id="ny-roll" name="roll"{errs['roll'][1]}>{role_opts}</select></div>
<div class="falt{errs['kommun'][0]}"><label for="ny-kommun">Kommunkod (bara för samordnare)</label>{errs['kommun'][2]}<input type="text" id="ny-kommun" name="kommun" value="{e(values.get('kommun', ''))}" inputmode="numeric"{errs['kommun'][1]}></div>
<div class="falt{errs['losenord'][0]}"><label for="ny-losenord">Lösenord (minst 12 tecken)</label>{errs['losenord'][2]}<input type="password" id="ny-losenord" name="losenord" required autocomplete="new-password"{errs['losenord'][1]}></div>
<div><button class="knapp" type="submit">Lägg till</button></div></form>""")
    return render(ctx, "Användare", main, "/redaktion/anvandare", status=status)


@router.post("/anvandare")
@guarded
def users_add(request: Request, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("admin",), form)
        name = one(form, "namn").strip()
        values = {"namn": one(form, "namn"), "roll": one(form, "roll"), "kommun": one(form, "kommun")}
        if looks_like_personnummer(name):
            return _users(s, ctx, values=values, error=f"Användarnamnet {PERSONAL}", status=422)
        try:
            with s.begin_nested():
                user = _store().add_user(s, name, one(form, "roll"), one(form, "losenord"),
                                         kommun=one(form, "kommun").strip() or None, actor=ctx.user.name)
        except _store().Refused as r:
            return _users(s, ctx, values=values, error=r.message, status=r.status)
        text = f"Användaren {user.name} är tillagd."
    return redirect(f"/redaktion/anvandare?klart={urllib.parse.quote(text)}")
