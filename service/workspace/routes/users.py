"""Logging in and out with a local account, the audit log (Logg) and the users page (Användare,
admin)."""
from __future__ import annotations

import hmac
import secrets
import urllib.parse

from fastapi import APIRouter, Depends, Request

from engine.models import looks_like_personnummer

from .. import oidc, views
from .common import (LOGIN_COOKIE, PERSONAL, SESSION_COOKIE, SESSION_HOURS, Ctx, database, form_body, guarded, login,
                     one, Problem, redirect, render, _same_origin, secure_cookies, _store)

router = APIRouter(prefix="/redaktion")


# --------------------------------------------------------------------------- login
@router.get("/logga-in")
@guarded
def login_page(request: Request, nasta: str = "/redaktion", fel: str = ""):
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    return _login_response(request, token, nasta, fel)


def _login_response(request: Request, token: str, nasta: str, error: str = "", status: int = 200, name: str = ""):
    nasta = nasta if nasta.startswith("/redaktion") and not nasta.startswith("//") else "/redaktion"
    resp = render(None, "redaktion/login.html", status=status, title="Logga in", path="/redaktion/logga-in",
                  error=error, oidc=oidc.enabled(), local=oidc.local_login_enabled(), token=token, nasta=nasta,
                  name=name)
    resp.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request),
                    path="/redaktion", max_age=3600)
    return resp


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
        rows = [[views.when(a.at), a.actor, a.action, a.target, a.summary, a.reason or ""]
                for a in _store().audit(s, limit=500)]
        return render(ctx, "redaktion/audit.html", title="Logg", path="/redaktion/logg", rows=rows)


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
    errors = {f: [error] if where == f else [] for f in ("namn", "roll", "kommun", "losenord")}
    rows = [[u.name, views.ROLE_TEXT.get(u.role, u.role), u.kommun or "", "ja" if u.active else "nej"]
            for u in s.scalars(select(User).order_by(User.name)).all()]
    return render(ctx, "redaktion/users.html", status=status, title="Användare", path="/redaktion/anvandare",
                  klart=klart, error=error, errors=errors, rows=rows, values=values, roles=list(views.ROLE_TEXT.items()))


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
