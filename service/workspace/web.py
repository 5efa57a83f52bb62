"""The web workspace at /redaktion: policy staff edit the rule pack, check it, see its effect,
and publish it with four eyes; kommun coordinators report what their kommun offers.

Server-rendered Swedish pages over service/workspace/store.py (which enforces roles again and
writes the audit trail). Sessions are rows in the database (only a hash of the cookie is
stored); every form carries the session's CSRF token; roles are checked here on every route.
The database is opened on the first request to /redaktion, so an app without one still starts.
"""
from __future__ import annotations

import datetime as dt
import functools
import hmac
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from engine.models import looks_like_personnummer

from service.core import forwarded

from . import checks, featurefiles, forms, oidc, views
from .views import e

router = APIRouter(prefix="/redaktion", include_in_schema=False)
router.include_router(oidc.router)  # /redaktion/oidc/login and /callback: single sign-on

SESSION_COOKIE = "redaktion_session"
LOGIN_COOKIE = "redaktion_inloggning"  # double-submit CSRF token of the login form
SESSION_HOURS = 8
EDITABLE = ("utkast", "aterskickad")
MAX_FORM_BYTES = 2 * 1024 * 1024  # the body limit of /redaktion/ (service/limits.py PATH_LIMITS)
LIMIT_TEXT = ("Högst 2 MiB per fil (ungefär två miljoner tecken). Är texten större sparas den inte; "
              "redaktionen säger till innan den skickas, och texten finns kvar.")
STATIC = Path(__file__).resolve().parent / "static"
AVAILABILITY_FILE = "tillganglighet-kommuner.yaml"
TARGET_GROUPS = (
    ("blivande-foraldrar", "Blivande föräldrar"),
    ("foraldrar-0-5", "Föräldrar till barn 0–5 år"),
    ("foraldrar-6-12", "Föräldrar till barn 6–12 år"),
    ("foraldrar-13-18", "Föräldrar till tonåringar 13–18 år"),
    ("nyanlanda", "Nyanlända föräldrar"),
    ("separerade", "Separerade föräldrar"),
    ("kognitiva-svarigheter", "Föräldrar med kognitiva svårigheter"),
    ("pappor", "Pappor"),
)
STATUS_CHOICES = (("finns", "finns"), ("saknas", "saknas"), ("planeras", "planeras (från datum)"),
                  ("okänd", "vet ej"))


# --------------------------------------------------------------------------- problems
class Problem(Exception):
    def __init__(self, status: int, message: str, details: list[str] | None = None):
        self.status = status
        self.message = message
        self.details = details or []
        super().__init__(message)


class LoginRequired(Exception):
    pass


def _store():
    from . import store

    return store


def guarded(fn):
    """Turn refusals into Swedish pages with the right status; send strangers to the login."""
    @functools.wraps(fn)
    def wrapper(request: Request, *args, **kwargs):
        store = _store()
        try:
            return fn(request, *args, **kwargs)
        except LoginRequired:
            if request.method == "GET":
                nxt = urllib.parse.quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
                return RedirectResponse(f"/redaktion/logga-in?nasta={nxt}", status_code=303)
            return _problem_page(request, 403, "Du är inte inloggad, eller så har sessionen gått ut. Logga in igen.")
        except Problem as p:
            return _problem_page(request, p.status, p.message, p.details)
        except store.Refused as r:
            return _problem_page(request, getattr(r, "status", 403), r.message, getattr(r, "details", []))
        except DBAPIError:  # the database is away (restart, network): 503, never a 500 (issue 21)
            return _problem_page(request, 503, "Databasen för redaktionen svarar inte just nu. Beslutsstödet "
                                 "fungerar som vanligt; försök igen om en stund.")

    return wrapper


def _problem_page(request: Request, status: int, text: str, details: list[str] | None = None):
    title = {403: "Inte tillåtet", 404: "Finns inte", 409: "Krock", 422: "Kontrollen underkände", 429: "Vänta",
             503: "Databasen svarar inte"}.get(
        status, "Det gick inte")
    ctx = getattr(request.state, "redaktion", None)
    main = (f"<h1>{e(title)}</h1>" + views.message(text, "fel", details)
            + '<p><a href="/redaktion">Till översikten</a></p>')
    return views.page(title, main, user=ctx.who if ctx else None, csrf=ctx.csrf if ctx else "",
                      serving=ctx.serving if ctx else "–", status=status)


# --------------------------------------------------------------------------- database
_ready: set[str] = set()
_ready_lock = threading.Lock()


@contextmanager
def database() -> Iterator[Any]:
    """A session on the workspace database; migrates and seeds it on first use per process."""
    from . import db

    url = db.database_url()
    with _ready_lock:
        if url not in _ready:
            _prepare(url)
            _ready.add(url)
    with db.session_scope(url) as s:
        yield s


def _prepare(url: str) -> None:
    """Nothing to do when a version is current and the schema is at head (`serve` prepared the
    database before the workers started); else migrate (a data migration may add files, as 0002
    adds the features) and seed, once more if another worker raced us on an empty database."""
    from sqlalchemy.exc import DBAPIError

    from . import db

    store = _store()
    try:
        with db.session_scope(url) as s:
            if store.current_token(s) is not None and db.at_head(url):
                return
    except DBAPIError:
        pass  # no schema yet
    for attempt in range(2):
        try:
            db.upgrade(url)
            with db.session_scope(url) as s:
                store.ensure_seeded(s)
            return
        except DBAPIError:
            if attempt:
                raise
            time.sleep(0.5)


# --------------------------------------------------------------------------- forms and sessions
async def form_body(request: Request) -> dict[str, list[str]]:
    """An urlencoded form as {name: [values]} (no multipart: nothing here uploads files)."""
    if request.method != "POST":
        return {}
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("application/x-www-form-urlencoded"):
        return {}
    body = await request.body()
    return urllib.parse.parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def one(form: dict[str, list[str]], name: str, default: str = "") -> str:
    values = form.get(name) or [default]
    return values[0].replace("\r\n", "\n")


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or os.environ.get("FORALDRASTOD_PUBLIC_URL", "").startswith("https:")


@dataclass(frozen=True)
class Who:
    """The logged-in user as plain values (safe to render after the session closed)."""

    name: str
    role: str
    kommun: str | None
    kommun_name: str | None = None  # what the page says: "Nora", not 1884


@dataclass
class Ctx:
    user: Any  # the ORM User, for the store's calls inside the session
    who: Who
    csrf: str
    token_hash: str
    serving: str


def login(request: Request, s, roles: tuple[str, ...] = (), form: dict | None = None) -> Ctx:
    """The logged-in user (LoginRequired otherwise); 403 without one of `roles`; on a POST the
    form's CSRF token must be the session's (403 otherwise)."""
    from . import auth

    found = auth.session_user(s, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise LoginRequired()
    user, row = found
    kommun_name = None
    try:
        serving = _store().current_version(s)
        serving_text = f"version {serving.number} ({serving.version})"
        if user.kommun:
            kommun_name = _kommun_name(serving.files, user.kommun)
    except Exception:  # noqa: BLE001 - the footer only
        serving_text = "–"
    ctx = Ctx(user=user, who=Who(user.name, user.role, user.kommun, kommun_name), csrf=row.csrf_token,
              token_hash=row.token_hash, serving=serving_text)
    request.state.redaktion = ctx
    if request.method == "POST":
        _same_origin(request)
        sent = one(form or {}, "csrf").encode()
        if not sent or not hmac.compare_digest(sent, row.csrf_token.encode()):
            raise Problem(403, "Formuläret saknar giltig säkerhetskod (CSRF-skydd). Ladda om sidan och försök igen.")
    if roles and user.role not in roles:
        wanted = " eller ".join(views.ROLE_TEXT[r] for r in roles)
        raise Problem(403, f"Sidan kräver rollen {wanted}. Du är {views.ROLE_TEXT.get(user.role, user.role)}.")
    return ctx


def _same_origin(request: Request) -> None:
    """The second wall beside the CSRF token: a form post must come from the workspace's own pages."""
    if not forwarded.same_origin_post(request):
        raise Problem(403, "Formuläret skickades från en annan webbplats än redaktionen och togs inte emot. "
                           "Öppna sidan i redaktionen och skicka formuläret därifrån.")


def render(ctx: Ctx, title: str, main: str, path: str = "", status: int = 200):
    return views.page(title, main, user=ctx.who, csrf=ctx.csrf, path=path, serving=ctx.serving, status=status)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


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
    from . import auth

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
    from . import auth

    with database() as s:
        ctx = login(request, s, form=form)
        auth.end_session(s, request.cookies.get(SESSION_COOKIE))
        resp = oidc.logout_response(request, s, ctx.user)  # audited; at the provider too for its accounts
    resp.delete_cookie(SESSION_COOKIE, path="/redaktion")
    return resp


# --------------------------------------------------------------------------- helpers on drafts
def _draft(s, draft_id: int):
    from .models import Draft

    draft = s.get(Draft, draft_id)
    if draft is None:
        raise Problem(404, f"Utkast {draft_id} finns inte.")
    return draft


def can_view(user, draft) -> bool:
    return _store().may_view(user, draft)


def can_edit(user, draft, path: str | None = None) -> bool:
    """Files of a draft: redaktör and granskare (a samordnare uses the kartläggning form), and of
    those only the files the draft's kind may change (`path`; None: the draft as a whole)."""
    return (draft.status in EDITABLE and user.role in ("redaktor", "granskare")
            and (path is None or _store().may_change_path(draft, path)))


ANY_FEATURE = featurefiles.PREFIX + "*" + featurefiles.SUFFIX  # the kind check for the features of a draft


def viewable_draft(s, ctx: Ctx, draft_id: int):
    draft = _draft(s, draft_id)
    if not can_view(ctx.user, draft):
        raise Problem(403, "Du får inte se det här utkastet: en samordnare ser bara sin egen kommuns utkast, "
                           "och en administratör hanterar konton, inte innehåll.")
    return draft


def editable_draft(s, ctx: Ctx, draft_id: int, path: str | None = None):
    draft = viewable_draft(s, ctx, draft_id)
    if draft.status not in EDITABLE:
        raise Problem(409, f"Utkastet är {views.STATUS_TEXT.get(draft.status, draft.status)} och kan inte ändras nu.")
    if not can_edit(ctx.user, draft):
        raise Problem(403, "Din roll får inte ändra filerna i utkastet (en samordnare använder formuläret för kartläggning).")
    if path is not None and not can_edit(ctx.user, draft, path):
        raise Problem(403, f"Utkast {draft.id} är en kommuns kartläggning: i det får bara tillgången "
                           f"({AVAILABILITY_FILE}) ändras. Skapa ett eget utkast för att ändra regelpaketet.")
    return draft


def write_pack(files: dict[str, str], directory: Path) -> Path:
    for rel, text in files.items():
        target = directory / rel
        if directory.resolve() not in target.resolve().parents:
            continue  # never outside the directory
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return directory


def temp_pack(files: dict[str, str]) -> Path:
    return write_pack(files, Path(tempfile.mkdtemp(prefix="foraldrastod-utkast-")))


def validate_files(files: dict[str, str]) -> list[str]:
    directory = temp_pack(files)
    try:
        return checks.validate(directory)[1]
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def catalog(files: dict[str, str]) -> dict[str, Any]:
    """Needs, insatser, kommuner and sources as written in the draft (read leniently)."""
    def load(rel: str) -> dict:
        try:
            data = yaml.safe_load(files.get(rel, "")) or {}
        except yaml.YAMLError:
            return {}
        return data if isinstance(data, dict) else {}

    def rows(data: dict, key: str) -> list[dict]:
        return [x for x in data.get(key) or [] if isinstance(x, dict)]

    return {
        "needs": [(str(n.get("code")), str(n.get("label", "")), str(n.get("group", ""))) for n in rows(load("behov.yaml"), "needs")],
        "insatser": [(str(i.get("id")), str(i.get("name", "")), str(i.get("level", ""))) for i in rows(load("insatser.yaml"), "insatser")],
        "kommuner": sorted(((str(k.get("code")), str(k.get("name", ""))) for k in rows(load("kommuner.yaml"), "kommuner")),
                           key=lambda x: x[1]),
        "sources": [(str(d.get("id")), str(d.get("title", ""))) for d in rows(load("pack.yaml"), "sources")],
    }


def _kommun_name(files: dict[str, str], code: str | None) -> str:
    for c, name in catalog(files)["kommuner"]:
        if c == code:
            return name
    return code or ""


def _base_files(s, draft) -> dict[str, str]:
    from .models import PackVersion

    base = s.get(PackVersion, draft.base_version_id)
    return dict(base.files) if base else {}


# --------------------------------------------------------------------------- overview
@router.get("")
@guarded
def overview(request: Request):
    with database() as s:
        ctx = login(request, s)
        return _overview(s, ctx)


def _overview(s, ctx: Ctx, reason: str = "", error: str = "", status: int = 200):
    user = ctx.user
    drafts = [d for d in _store().drafts(s, user) if can_view(user, d)]
    rows = []
    names = dict(catalog(dict(_store().current_version(s).files))["kommuner"]) if any(d.kommun for d in drafts) else {}
    for d in drafts:
        what = views.KIND_TEXT.get(d.kind, d.kind) + (f", {names.get(d.kommun, d.kommun)}" if d.kommun else "")
        rows.append([f'<a href="/redaktion/utkast/{d.id}">Utkast {d.id}</a>', e(d.reason), e(what), e(d.author),
                     f'<span class="status-etikett">{e(views.STATUS_TEXT.get(d.status, d.status))}</span>',
                     e(views.when(d.updated_at))])
    parts = [f"<h1>Redaktionen</h1><p class=\"ingress\">Publicerad version: {e(ctx.serving)}.</p>"]
    if user.role in ("redaktor", "granskare"):
        cls, _, err = field_error("anledning", error)
        aria = (' aria-invalid="true" aria-describedby="anledning-hjalp fel-anledning-0"' if error
                else ' aria-describedby="anledning-hjalp"')
        parts.append(f"""<section class="kort" aria-labelledby="nytt-rubrik"><h2 id="nytt-rubrik">Nytt utkast</h2>
<p>Ett utkast börjar som en kopia av den publicerade versionen. Inget ändras för personalen förrän en
granskare har godkänt det.</p>
<form class="enkel-form" method="post" action="/redaktion/utkast">{views.csrf_field(ctx.csrf)}
<div class="falt{cls}"><label for="anledning">Varför ändras regelpaketet?</label>
<p class="hjalp" id="anledning-hjalp">Syns i loggen och för granskaren. Skriv aldrig något om en enskild familj.</p>{err}
<input type="text" id="anledning" name="anledning" value="{e(reason)}" required{aria}></div>
<div><button class="knapp" type="submit" id="nytt-utkast">Skapa utkast</button></div></form></section>""")
    if user.role == "samordnare":
        parts.append('<p><a class="knapp" href="/redaktion/kartlaggning">Rapportera vad kommunen erbjuder</a></p>')
    waiting = [d for d in drafts if d.status == "inskickad" and d.author != user.name]
    if user.role == "granskare" and waiting:
        parts.append('<section class="kort" aria-labelledby="granska-rubrik"><h2 id="granska-rubrik">'
                     f'Väntar på granskning ({len(waiting)})</h2><ul>'
                     + "".join(f'<li><a href="/redaktion/utkast/{d.id}/granska">Utkast {d.id}: {e(d.reason)}</a> '
                               f'– {e(d.author)}</li>' for d in waiting) + "</ul></section>")
    if user.role == "admin":
        parts.append('<p>Som administratör hanterar du <a href="/redaktion/anvandare">konton</a> och kan läsa '
                     '<a href="/redaktion/logg">loggen</a>; innehållet ändras av redaktörer, granskare och '
                     'samordnare.</p>')
    else:
        parts.append('<h2>Utkast</h2>')
        parts.append(views.table(["Utkast", "Anledning", "Gäller", "Skrivet av", "Status", "Ändrat"], rows)
                     if rows else '<p class="tom">Inga utkast ännu.</p>')
    return render(ctx, "Översikt", "\n".join(parts), "/redaktion", status=status)


@router.post("/utkast")
@guarded
def new_draft(request: Request, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("redaktor", "granskare"), form)
        reason = one(form, "anledning").strip()
        error = "Skriv varför regelpaketet ändras." if not reason else personal_text(reason, "Anledningen")
        if error:
            return _overview(s, ctx, reason, error, status=422)
        draft = _store().create_draft(s, ctx.user, reason)
        draft_id = draft.id
    return redirect(f"/redaktion/utkast/{draft_id}")


PERSONAL = "ser ut att innehålla ett personnummer. Skriv aldrig uppgifter om en enskild familj eller person här."


def personal_errors(form: dict[str, list[str]]) -> forms.FieldErrors | None:
    """A personnummer in any field of a form, as an error at that field (nothing is saved)."""
    errs = forms.FieldErrors()
    for name, values in form.items():
        if name not in ("csrf", "revision") and any(looks_like_personnummer(v) for v in values):
            errs.add(name, f"Fältet {PERSONAL}")
    return errs or None


def field_error(field: str, message: str) -> tuple[str, str, str]:
    """(class, aria attributes, error html) of a simple form's field with an error; empty without."""
    if not message:
        return "", "", ""
    return (" falt-fel", f' aria-invalid="true" aria-describedby="fel-{field}-0"',
            f'<p class="fel" id="fel-{field}-0">{e(message)}</p>')


def personal_text(text: str, label: str) -> str:
    """The error for a personnummer in a simple form's text, or ''."""
    return f"{label} {PERSONAL}" if looks_like_personnummer(text) else ""


def refuse_personal(text: str, label: str) -> None:
    if looks_like_personnummer(text):
        raise Problem(422, f"{label} ser ut att innehålla ett personnummer. Skriv aldrig personuppgifter här.")


# --------------------------------------------------------------------------- one draft
@router.get("/utkast/{draft_id}")
@guarded
def draft_page(request: Request, draft_id: int, sparat: str = ""):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        return _draft_page(s, ctx, d, sparat)


def _draft_page(s, ctx: Ctx, d, sparat: str = "", new_name: str = "", new_error: str = "", status: int = 200,
                submit_text: str | None = None, submit_error: str = ""):
    base = _base_files(s, d)
    files = dict(d.files)
    editable = can_edit(ctx.user, d)
    parts = [f"<h1>Utkast {d.id}: {e(d.reason)}</h1>",
             f'<p class="ingress">Gäller {e(views.KIND_TEXT.get(d.kind, d.kind))}'
             f'{" för " + e(_kommun_name(files, d.kommun)) if d.kommun else ""}. '
             f'Skrivet av {e(d.author)}. Status: <strong>{e(views.STATUS_TEXT.get(d.status, d.status))}</strong>. '
             f'Revision {d.revision}, senast ändrat {e(views.when(d.updated_at))}.</p>']
    if sparat:
        parts.append(views.message(f"Sparat: {sparat}.", "ok"))
    if d.review_comment and d.status == "aterskickad":
        parts.append(views.message(f"Granskarens kommentar: {d.review_comment}"))
    changed = views.changed_files(base, files)
    rows = []
    for rel in sorted(files):
        if featurefiles.is_feature(rel):
            continue  # the section Beteendetester below
        links = []
        if forms.is_rule_file(rel):
            links.append(f'<a href="/redaktion/utkast/{d.id}/fil?sokvag={urllib.parse.quote(rel)}">Regler i formulär</a>')
        elif rel in forms.ITEM_FILES:
            links.append(f'<a href="/redaktion/utkast/{d.id}/fil?sokvag={urllib.parse.quote(rel)}">'
                         f'{"Insatser" if rel == "insatser.yaml" else "Behov"} i formulär</a>')
        if rel == AVAILABILITY_FILE and d.kind == "tillganglighet":
            links.append('<a href="/redaktion/kartlaggning">Kartläggningsformuläret</a>')
        # every file can be read; only the files the draft's kind allows can be edited
        links.append(f'<a href="/redaktion/utkast/{d.id}/text?sokvag={urllib.parse.quote(rel)}">'
                     f'{"Text (YAML)" if can_edit(ctx.user, d, rel) else "Visa text"}</a>')
        rows.append([f'<span class="fil">{e(rel)}</span>', "ändrad" if rel in changed else "",
                     " · ".join(links)])
    parts.append('<h2>Filer</h2>' + views.table(["Fil", "Ändrad i utkastet", "Öppna"], rows))
    parts.append(_features_section(ctx, d, base, files, can_edit(ctx.user, d, ANY_FEATURE), new_name, new_error))
    parts.append('<h2>Innan granskning</h2><div class="knappar">'
                 f'<form method="post" action="/redaktion/utkast/{d.id}/kontrollera">{views.csrf_field(ctx.csrf)}'
                 '<button class="knapp" type="submit" id="kontrollera">Kontrollera</button></form>'
                 f'<form method="post" action="/redaktion/utkast/{d.id}/effekt">{views.csrf_field(ctx.csrf)}'
                 '<button class="knapp" type="submit" id="effekt">Effekt</button></form>'
                 f'<a class="knapp knapp-sekundar" href="/redaktion/utkast/{d.id}/granska">Ändringar och granskning</a></div>')
    if d.status in EDITABLE and (editable or ctx.user.role == "samordnare"):
        cls, aria, err = field_error("skal", submit_error)
        parts.append(f"""<section class="kort" aria-labelledby="skicka-rubrik"><h2 id="skicka-rubrik">Skicka in för granskning</h2>
<form class="enkel-form" method="post" action="/redaktion/utkast/{d.id}/skicka-in">{views.csrf_field(ctx.csrf)}
<div class="falt{cls}"><label for="skal">Vad ändras och varför?</label>
<p class="hjalp">Granskaren ser det tillsammans med utkastets anledning ("{e(d.reason)}"), som står kvar.</p>{err}
<textarea id="skal" name="skal" required{aria}>{e(d.reason if submit_text is None else submit_text)}</textarea></div>
<div><button class="knapp" type="submit" id="skicka-in">Skicka in</button></div></form></section>""")
    return render(ctx, f"Utkast {d.id}", "\n".join(parts), status=status)


def _save(s, ctx: Ctx, draft, path: str, text: str, revision: str) -> int:
    try:
        expected = int(revision)
    except ValueError:
        raise Problem(422, "Formuläret saknar utkastets revision. Ladda om sidan.") from None
    return _store().save_file(s, draft.id, path, text, ctx.user, expected)


def _path_param(draft, sokvag: str) -> str:
    if sokvag not in draft.files:
        raise Problem(404, f"Filen {sokvag} finns inte i utkastet.")
    return sokvag


# ---- plain text
def _text_page(ctx: Ctx, draft, path: str, text: str, revision: int, notes: str = "", status: int = 200):
    editable = can_edit(ctx.user, draft, path)
    passage = forms.passage_of(text)
    side = (f'<aside class="passage" aria-labelledby="passage-rubrik"><h2 id="passage-rubrik">Strategins text som filen kodar</h2>'
            f'<p>{e(passage)}</p></aside>') if passage else ""
    ro = "" if editable else " readonly"
    button = '<div><button class="knapp" type="submit" id="spara-text">Spara</button></div>' if editable else ""
    main = f"""<h1>{e(path)} i utkast {draft.id}</h1>
<p><a href="/redaktion/utkast/{draft.id}">Tillbaka till utkastet</a></p>
{notes}
<div class="regel-layout">{side}
<form class="yaml-form" method="post" action="/redaktion/utkast/{draft.id}/text?sokvag={urllib.parse.quote(path)}" data-max-bytes="{MAX_FORM_BYTES}">
{views.csrf_field(ctx.csrf)}<input type="hidden" name="revision" value="{revision}">
<label for="yaml" class="etikett">Filens text (YAML)</label>
<p class="hjalp" id="yaml-hjalp">Samma format som i regelpaketets mapp. Fel visas med radnummer, som
<code>foraldrastod check</code> skriver dem. {e(LIMIT_TEXT)}</p>
<textarea id="yaml" name="text" spellcheck="false" aria-describedby="yaml-hjalp"{ro}>{e(text)}</textarea>
{button}</form></div>"""
    return render(ctx, f"{path} – utkast {draft.id}", main, status=status)


@router.get("/utkast/{draft_id}/text")
@guarded
def text_page(request: Request, draft_id: int, sokvag: str):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        path = _path_param(d, sokvag)
        if featurefiles.is_feature(path):
            return redirect(_feature_url(d.id, path))
        return _text_page(ctx, d, path, d.files[path], d.revision)


@router.post("/utkast/{draft_id}/text")
@guarded
def text_save(request: Request, draft_id: int, sokvag: str, form: dict = Depends(form_body)):
    store = _store()
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, sokvag)
        path = _path_param(d, sokvag)
        if featurefiles.is_feature(path):
            return _feature_save(s, ctx, d, path, form)
        text = one(form, "text")
        if not text.endswith("\n"):
            text += "\n"
        errors = validate_files({**d.files, path: text})
        if errors:
            notes = views.message("Inte sparat: regelpaketet blir ogiltigt. Rätta felen och spara igen; din text finns kvar nedan.",
                                  "fel", errors)
            return _text_page(ctx, d, path, text, int(one(form, "revision", "0") or 0), notes, status=422)
        try:
            _save(s, ctx, d, path, text, one(form, "revision"))
        except store.Invalid as exc:  # a personnummer, say: the text stays in the editor
            notes = views.message("Inte sparat. Rätta texten och spara igen; din text finns kvar nedan.", "fel",
                                  [exc.message, *exc.details])
            return _text_page(ctx, d, path, text, int(one(form, "revision", "0") or 0), notes, status=422)
        except store.Conflict:
            s.refresh(d)
            theirs = d.files.get(path, "")
            notes = views.message(
                f"Någon annan har sparat utkastet sedan du öppnade filen (nu revision {d.revision}). Din text är "
                "inte sparad men finns kvar nedan. Jämför med den sparade versionen och spara igen om din ska gälla.",
                "fel") + views.diff_html(f"{path}: sparad version → din text", theirs, text)
            return _text_page(ctx, d, path, text, d.revision, notes, status=409)
    return redirect(f"/redaktion/utkast/{draft_id}?sparat={urllib.parse.quote(path)}")


# ---- behaviour tests (Gherkin features of the draft)
def _feature_url(draft_id: int, path: str) -> str:
    return f"/redaktion/utkast/{draft_id}/beteendetest?namn={urllib.parse.quote(featurefiles.name_of(path))}"


def _feature_path(draft, namn: str, must_exist: bool = True) -> str:
    try:
        path = featurefiles.path_of(namn)
    except ValueError as exc:
        raise Problem(404 if must_exist else 422, str(exc)) from None
    if must_exist and path not in draft.files:
        raise Problem(404, f"Beteendetestet {featurefiles.name_of(path)} finns inte i utkastet.")
    return path


def _features_section(ctx: Ctx, d, base: dict[str, str], files: dict[str, str], editable: bool,
                      new_name: str = "", new_error: str = "") -> str:
    feats = featurefiles.of(files)
    removed = [p for p in featurefiles.of(base) if p not in files]
    rows = []
    for path, text in feats.items():
        m = re.search(r"^\s*Egenskap:\s*(.+)$", text, re.M)
        title = m.group(1).strip() if m else ""
        state = "ny" if path not in base else ("ändrad" if base[path] != text else "")
        scenarios = len(re.findall(r"^\s*Scenario(?:mall)?:", text, re.M))
        rows.append([f'<a href="{e(_feature_url(d.id, path))}">{e(featurefiles.name_of(path))}</a>', e(title),
                     str(scenarios), e(state)])
    rows += [[f'<span class="fil">{e(featurefiles.name_of(p))}</span>', "", "", "borttagen"] for p in removed]
    parts = ['<section aria-labelledby="beteende-rubrik"><h2 id="beteende-rubrik">Beteendetester</h2>',
             '<p>Strategin skriven som exempel (Gherkin, svenska). Kontrollera och godkännandet kör utkastets '
             'beteendetester mot utkastets regler. Öppna ett test för att '
             f'{"ändra det" if editable else "läsa det"}.</p>',
             views.table(["Beteendetest", "Egenskap", "Scenarier", "Ändrat i utkastet"], rows, "Utkastets beteendetester")
             if rows else '<p class="tom">Utkastet har inga beteendetester.</p>']
    if editable:
        cls, aria, err = "", ' aria-describedby="nytt-test-hjalp"', ""
        if new_error:
            cls, aria = " falt-fel", ' aria-invalid="true" aria-describedby="nytt-test-hjalp fel-namn-0"'
            err = f'<p class="fel" id="fel-namn-0">{e(new_error)}</p>'
        parts.append(f"""<form class="enkel-form" method="post" action="/redaktion/utkast/{d.id}/beteendetest/ny">
{views.csrf_field(ctx.csrf)}<input type="hidden" name="revision" value="{d.revision}">
<div class="falt{cls}"><label for="nytt-test">Namn på ett nytt beteendetest</label>
<p class="hjalp" id="nytt-test-hjalp">Små bokstäver, siffror och bindestreck, till exempel familjecentral-nora.
Testet börjar som ett exempel som du sedan skriver om.</p>{err}
<input type="text" id="nytt-test" name="namn" value="{e(new_name)}" required{aria}></div>
<div><button class="knapp knapp-sekundar" type="submit" id="nytt-beteendetest">Lägg till beteendetest</button></div></form>""")
    parts.append("</section>")
    return "\n".join(parts)


def _steps_aside() -> str:
    groups: dict[str, list[featurefiles.Step]] = {}
    for step in featurefiles.step_catalogue():
        groups.setdefault(step.group, []).append(step)
    parts = ['<aside class="passage steg-lista" aria-labelledby="steg-rubrik"><h2 id="steg-rubrik">Steg du kan använda</h2>',
             '<p>Skriv stegen precis så här och byt bara värdena inom citattecken och talen. Ett steg kan också '
             'börja med <strong>Och</strong> eller <strong>Men</strong>. Behov och insatser kan skrivas med namn '
             'eller kod. Ett steg som inte finns i listan blir ett underkänt scenario i Kontrollera.</p>']
    for group, steps in groups.items():
        parts.append(f"<h3>{e(group)}</h3><ul>")
        parts += [f'<li><code>{e(st.text)}</code>' + (f" – {e(st.meaning)}" if st.meaning else "") + "</li>"
                  for st in steps]
        parts.append("</ul>")
    parts.append("</aside>")
    return "".join(parts)


def _feature_page(ctx: Ctx, draft, path: str, text: str, revision: int, notes: str = "",
                  errors: list[str] | None = None, status: int = 200):
    editable = can_edit(ctx.user, draft, path)
    name = featurefiles.name_of(path)
    url = _feature_url(draft.id, path)
    described = "gherkin-hjalp"
    err_html, cls, invalid = "", "", ""
    if errors:
        err_html = "".join(f'<p class="fel" id="fel-gherkin-{i}">{e(m)}</p>' for i, m in enumerate(errors))
        described += " " + " ".join(f"fel-gherkin-{i}" for i in range(len(errors)))
        cls, invalid = " falt-fel", ' aria-invalid="true"'
    ro = "" if editable else " readonly"
    buttons = ('<div><button class="knapp" type="submit" id="spara-beteendetest">Spara</button></div>'
               if editable else "")
    remove = (f"""<form method="post" action="/redaktion/utkast/{draft.id}/beteendetest/ta-bort?namn={urllib.parse.quote(name)}">
{views.csrf_field(ctx.csrf)}<input type="hidden" name="revision" value="{revision}">
<button class="knapp knapp-fara" type="submit" id="ta-bort-beteendetest">Ta bort beteendetestet {e(name)}</button></form>"""
              if editable else "")
    main = f"""<h1>Beteendetest {e(name)} i utkast {draft.id}</h1>
<p><a href="/redaktion/utkast/{draft.id}">Tillbaka till utkastet</a> ·
<a href="/redaktion/utkast/{draft.id}/kontrollera">Kontrollera utkastet</a></p>
{notes}
<div class="regel-layout">{_steps_aside()}
<div><form class="yaml-form" method="post" action="{e(url)}" data-max-bytes="{MAX_FORM_BYTES}">
{views.csrf_field(ctx.csrf)}<input type="hidden" name="revision" value="{revision}">
<div class="falt{cls}"><label for="gherkin" class="etikett">Beteendetestets text (Gherkin på svenska)</label>
<p class="hjalp" id="gherkin-hjalp">Första raden är <code># language: sv</code>, sedan <code>Egenskap:</code> och ett
eller flera <code>Scenario:</code> med taggen för strategins avsnitt (till exempel <code>@strategi-avsnitt-4</code>).
Fel i texten visas med radnummer; det du skrivit finns kvar. {e(LIMIT_TEXT)}</p>{err_html}
<textarea id="gherkin" name="text" spellcheck="false" aria-describedby="{described}"{invalid}{ro}>{e(text)}</textarea></div>
{buttons}</form>
{remove}</div></div>"""
    return render(ctx, f"Beteendetest {name} – utkast {draft.id}", main, status=status)


def _feature_save(s, ctx: Ctx, d, path: str, form: dict):
    store = _store()
    text = one(form, "text")
    if not text.endswith("\n"):
        text += "\n"
    try:
        expected = int(one(form, "revision"))
    except ValueError:
        raise Problem(422, "Formuläret saknar utkastets revision. Ladda om sidan.") from None
    problems = featurefiles.syntax_problems(text) or featurefiles.tag_problems(text, d.files)
    if problems:
        notes = views.message("Inte sparat: texten är inte giltig Gherkin. Rätta raderna som anges vid fältet och spara "
                              "igen; din text finns kvar nedan.", "fel")
        return _feature_page(ctx, d, path, text, expected, notes, [str(p) for p in problems], status=422)
    try:
        store.save_file(s, d.id, path, text, ctx.user, expected)
    except store.Conflict:
        s.refresh(d)
        theirs = d.files.get(path, "")
        notes = views.message(
            f"Någon annan har sparat utkastet sedan du öppnade beteendetestet (nu revision {d.revision}). Din text är "
            "inte sparad men finns kvar nedan. Jämför med den sparade versionen och spara igen om din ska gälla.",
            "fel") + views.diff_html(f"{path}: sparad version → din text", theirs, text)
        return _feature_page(ctx, d, path, text, d.revision, notes, status=409)
    except store.Invalid as exc:  # a personnummer, say: shown at the field, the text kept
        notes = views.message("Inte sparat. Rätta och spara igen; din text finns kvar nedan.", "fel")
        return _feature_page(ctx, d, path, text, expected, notes, [exc.message, *exc.details], status=422)
    return redirect(f"/redaktion/utkast/{d.id}?sparat={urllib.parse.quote(path)}")


@router.get("/utkast/{draft_id}/beteendetest")
@guarded
def feature_page(request: Request, draft_id: int, namn: str):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        path = _feature_path(d, namn)
        return _feature_page(ctx, d, path, d.files[path], d.revision)


@router.post("/utkast/{draft_id}/beteendetest")
@guarded
def feature_save(request: Request, draft_id: int, namn: str, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, ANY_FEATURE)
        path = _feature_path(d, namn)
        return _feature_save(s, ctx, d, path, form)


@router.post("/utkast/{draft_id}/beteendetest/ny")
@guarded
def feature_new(request: Request, draft_id: int, form: dict = Depends(form_body)):
    store = _store()
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, ANY_FEATURE)
        name = one(form, "namn").strip()
        try:
            path = featurefiles.path_of(name)
        except ValueError as exc:
            return _draft_page(s, ctx, d, new_name=name, new_error=str(exc), status=422)
        if path in d.files:
            return _draft_page(s, ctx, d, new_name=name, status=409,
                               new_error=f"Det finns redan ett beteendetest som heter {featurefiles.name_of(path)}.")
        title = name.replace("-", " ").replace("_", " ").strip().capitalize()
        try:
            store.save_file(s, d.id, path, featurefiles.NEW_FEATURE.format(title=title), ctx.user,
                            int(one(form, "revision") or d.revision))
        except store.Conflict:
            s.refresh(d)
            return _draft_page(s, ctx, d, new_name=name, status=409,
                               new_error="Någon annan har sparat utkastet under tiden. Lägg till testet igen.")
        draft_id = d.id
    return redirect(_feature_url(draft_id, path))


@router.post("/utkast/{draft_id}/beteendetest/ta-bort")
@guarded
def feature_remove(request: Request, draft_id: int, namn: str, form: dict = Depends(form_body)):
    store = _store()
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, ANY_FEATURE)
        path = _feature_path(d, namn)
        try:
            expected = int(one(form, "revision"))
        except ValueError:
            raise Problem(422, "Formuläret saknar utkastets revision. Ladda om sidan.") from None
        try:
            store.save_file(s, d.id, path, None, ctx.user, expected)
        except store.Conflict:
            s.refresh(d)
            notes = views.message(f"Någon annan har sparat utkastet sedan du öppnade beteendetestet (nu revision "
                                  f"{d.revision}). Inget är borttaget. Läs den sparade texten nedan och ta bort igen "
                                  "om testet ändå ska bort.", "fel")
            return _feature_page(ctx, d, path, d.files.get(path, ""), d.revision, notes, status=409)
    return redirect(f"/redaktion/utkast/{draft_id}?sparat={urllib.parse.quote(path + ' (borttagen)')}")


# ---- rules in forms
@router.get("/utkast/{draft_id}/fil")
@guarded
def rule_file_page(request: Request, draft_id: int, sokvag: str):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        path = _path_param(d, sokvag)
        if path in forms.ITEM_FILES:
            return _item_list(ctx, d, path)
        if not forms.is_rule_file(path):
            return redirect(f"/redaktion/utkast/{d.id}/text?sokvag={urllib.parse.quote(path)}")
        text = d.files[path]
        try:
            items = forms.rules_of(text)
        except yaml.YAMLError as exc:
            raise Problem(422, f"Filen går inte att läsa som YAML: {exc}. Öppna den som text och rätta.") from None
        editable = can_edit(ctx.user, d, path)
        passage = forms.passage_of(text) or "Filen anger ingen passage ur strategin."
        rows = []
        for it in items:
            r = it.data if isinstance(it.data, dict) else {}
            age = (r.get("when") or {}).get("age_months") if isinstance(r.get("when"), dict) else None
            age_text = (f"{_age_text(age.get('min'))} – {_age_text(age.get('max'))}" if isinstance(age, dict) else "alla åldrar")
            link = (f'<a href="/redaktion/utkast/{d.id}/regel?sokvag={urllib.parse.quote(path)}&amp;nr={it.index}" '
                    f'id="andra-{e(str(r.get("id", it.index)))}">{"Ändra" if editable else "Visa"} {e(str(r.get("id", "")))}</a>')
            rows.append([link, e(str(r.get("level", ""))), e(age_text), e(", ".join(map(str, r.get("recommend") or [])))])
        add = (f'<p><a class="knapp" href="/redaktion/utkast/{d.id}/regel?sokvag={urllib.parse.quote(path)}&amp;nr=ny">'
               'Lägg till en regel</a></p>') if editable else ""
        main = f"""<h1>Regler i {e(path)}</h1>
<p><a href="/redaktion/utkast/{d.id}">Tillbaka till utkast {d.id}</a> ·
<a href="/redaktion/utkast/{d.id}/text?sokvag={urllib.parse.quote(path)}">Hela filen som text</a></p>
<div class="regel-layout"><aside class="passage" aria-labelledby="passage-rubrik"><h2 id="passage-rubrik">Strategins text som reglerna kodar</h2>
<p>{e(passage)}</p></aside><div>{views.table(["Regel", "Nivå", "Ålder", "Rekommenderar"], rows, "Reglerna i filen")}{add}</div></div>"""
        return render(ctx, f"Regler i {path}", main)


def _age_text(months) -> str:
    if not isinstance(months, int):
        return "?"
    y, m = divmod(months, 12)
    return f"{y} år" + (f" {m} mån" if m else "")


def _rule_page(ctx: Ctx, d, path: str, index: int | None, values: dict, revision: int,
               errors: forms.FieldErrors | None = None, notes: str = "", status: int = 200):
    text = d.files[path]
    passage = forms.passage_of(text) or "Filen anger ingen passage ur strategin."
    editable = can_edit(ctx.user, d, path)
    summary = ""
    if errors and errors.by_field:
        links = "".join(f'<li><a href="#{_anchor(name)}">{e(forms.FIELD_LABELS.get(name, name))}: {e(msg)}</a></li>'
                        for name, msgs in errors.by_field.items() for msg in msgs)
        summary = (f'<div class="meddelande meddelande-fel" role="alert" id="felsammanfattning"><p>Inte sparat. '
                   f'Rätta felen vid fälten:</p><ul>{links}</ul></div>')
    if errors and errors.other:
        summary += views.message("Fel på andra ställen i regelpaketet:", "fel", errors.other)
    nr = "ny" if index is None else str(index)
    buttons = ('<div class="knappar"><button class="knapp" type="submit" id="spara-regel">Spara regeln</button></div>'
               if editable else "")
    remove = ""
    if editable and index is not None:
        remove = (f'<form method="post" action="/redaktion/utkast/{d.id}/regel/ta-bort?sokvag={urllib.parse.quote(path)}&amp;nr={index}">'
                  f'{views.csrf_field(ctx.csrf)}<input type="hidden" name="revision" value="{revision}">'
                  '<button class="knapp knapp-fara" type="submit">Ta bort regeln</button></form>')
    title = "Ny regel" if index is None else f"Regel {values.get('id', '')}"
    main = f"""<h1>{e(title)} <span class="liten">i {e(path)}</span></h1>
<p><a href="/redaktion/utkast/{d.id}/fil?sokvag={urllib.parse.quote(path)}">Tillbaka till reglerna i filen</a></p>
{notes}{summary}
<div class="regel-layout">
<aside class="passage" aria-labelledby="passage-rubrik"><h2 id="passage-rubrik">Strategins text som regeln kodar</h2>
<p>{e(passage)}</p></aside>
<form class="regelform" method="post" action="/redaktion/utkast/{d.id}/regel?sokvag={urllib.parse.quote(path)}&amp;nr={nr}" novalidate>
{views.csrf_field(ctx.csrf)}<input type="hidden" name="revision" value="{revision}">
{views.rule_form(values, catalog(d.files), errors)}
{buttons}
</form></div>{remove}"""
    return render(ctx, title, main, status=status)


def _anchor(name: str) -> str:
    return {"alder": "alder_fran_ar", "source": "source_document", "notice": "notice_severity",
            "expecting": "expecting"}.get(name, name if name in ("id", "level", "rationale", "valid_from", "valid_to",
                                                                 "status", "assumptions") else f"{name}-fält")


def _rule_index(items: list[forms.Item], nr: str) -> int | None:
    if nr == "ny":
        return None
    try:
        index = int(nr)
    except ValueError:
        raise Problem(404, "Regeln finns inte.") from None
    if not 0 <= index < len(items):
        raise Problem(404, "Regeln finns inte i filen (den kan ha tagits bort av någon annan).")
    return index


@router.get("/utkast/{draft_id}/regel")
@guarded
def rule_page(request: Request, draft_id: int, sokvag: str, nr: str = "ny"):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        path = _path_param(d, sokvag)
        items = forms.rules_of(d.files[path])
        index = _rule_index(items, nr)
        if index is None:
            values = forms.form_from_rule({"level": "universell", "status": "källa"})
        else:
            values = forms.form_from_rule(items[index].data)
            names = {n: c for c, n in catalog(d.files)["kommuner"]}
            values["kommuner"] = [names.get(k, k) for k in values["kommuner"]]
        return _rule_page(ctx, d, path, index, values, d.revision)


@router.post("/utkast/{draft_id}/regel")
@guarded
def rule_save(request: Request, draft_id: int, sokvag: str, nr: str = "ny", form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, sokvag)
        path = _path_param(d, sokvag)
        text = d.files[path]
        items = forms.rules_of(text)
        index = _rule_index(items, nr)
        values = {k: (v if k in ("needs_any", "needs_all", "kommuner", "recommend") else v[0])
                  for k, v in form.items() if k not in ("csrf", "revision")}
        values = {**forms.form_from_rule({}), **values}
        revision = int(one(form, "revision", "0") or 0)
        kommun_names = {c: n for c, n in catalog(d.files)["kommuner"]}
        personal = personal_errors(form)
        if personal:
            return _rule_page(ctx, d, path, index, values, revision, personal, status=422)
        try:
            rule = forms.rule_from_form(form, kommun_names, original=items[index].data if index is not None else None)
        except forms.FormError as fe:
            errs = forms.FieldErrors()
            errs.add(fe.field, fe.message)
            return _rule_page(ctx, d, path, index, values, revision, errs, status=422)
        item_text = _dumped(text, items, index, rule)
        new_text = forms.replace_item(text, items[index] if index is not None else None, item_text)
        start = items[index].start if index is not None else _appended_at(new_text, len(items))
        return _store_item(s, ctx, d, path, form, new_text, start, item_text,
                           functools.partial(_rule_page, ctx, d, path, index, values))


def _dumped(text: str, items: list, index: int | None, data: dict) -> str:
    """The item as YAML; an edited item keeps the comments and layout of its old text."""
    if index is None:
        return forms.dump_item(data)
    old_lines = text.splitlines(keepends=True)[items[index].start:items[index].end]
    return forms.dump_item(data, old=items[index].data, old_text="".join(old_lines))


def _store_item(s, ctx: Ctx, d, path: str, form: dict, new_text: str, start: int, item_text: str,
                page: Callable[..., Response]) -> Response:
    """Save the file with a form's item written in. Errors of the pack check are shown at the
    form's fields; on a conflict the form is shown again with the user's values kept; else back
    to the file. `page(revision, errors=None, notes="", status=200)` renders the form."""
    errors = validate_files({**d.files, path: new_text})
    if errors:
        return page(int(one(form, "revision", "0") or 0), forms.map_errors(errors, path, start, item_text),
                    status=422)
    try:
        _save(s, ctx, d, path, new_text, one(form, "revision"))
    except _store().Invalid as exc:  # the store's own refusal: at the form, nothing lost
        errs = forms.FieldErrors()
        for m in [exc.message, *exc.details]:
            errs.add(None, m)
        return page(int(one(form, "revision", "0") or 0), errs, status=422)
    except _store().Conflict:
        s.refresh(d)
        notes = views.message(f"Någon annan har sparat utkastet sedan du öppnade formuläret (nu revision {d.revision}). "
                              "Din ändring är inte sparad men finns kvar i formuläret. Spara igen för att föra "
                              "in den i den senaste versionen av utkastet.", "fel")
        return page(d.revision, notes=notes, status=409)
    return redirect(f"/redaktion/utkast/{d.id}/fil?sokvag={urllib.parse.quote(path)}")


def _appended_at(text: str, index: int) -> int:
    items = forms.rules_of(text)
    return items[index].start if index < len(items) else 0


@router.post("/utkast/{draft_id}/regel/ta-bort")
@guarded
def rule_remove(request: Request, draft_id: int, sokvag: str, nr: str, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, sokvag)
        path = _path_param(d, sokvag)
        items = forms.rules_of(d.files[path])
        index = _rule_index(items, nr)
        if index is None:
            raise Problem(404, "Regeln finns inte.")
        new_text = forms.remove_item(d.files[path], items[index])
        errors = validate_files({**d.files, path: new_text})
        if errors:
            raise Problem(422, "Regeln togs inte bort: regelpaketet blir då ogiltigt.", errors)
        _save(s, ctx, d, path, new_text, one(form, "revision"))
    return redirect(f"/redaktion/utkast/{draft_id}/fil?sokvag={urllib.parse.quote(path)}")


# ---- insatser and behov in forms
def _item_list(ctx: Ctx, d, path: str):
    text = d.files[path]
    try:
        items = forms.items_of(text, path)
    except yaml.YAMLError as exc:
        raise Problem(422, f"Filen går inte att läsa som YAML: {exc}. Öppna den som text och rätta.") from None
    _, _, noun = forms.ITEM_FILES[path]
    editable = can_edit(ctx.user, d, path)
    q = urllib.parse.quote(path)
    rows = []
    for it in items:
        data = it.data if isinstance(it.data, dict) else {}
        key = str(data.get("id") or data.get("code") or it.index)
        rows.append([f'<a href="/redaktion/utkast/{d.id}/post?sokvag={q}&amp;nr={it.index}" id="andra-{e(key)}">'
                     f'{"Ändra" if editable else "Visa"} {e(key)}</a>',
                     e(str(data.get("name") or data.get("label") or "")),
                     e(str(data.get("level") or data.get("group") or ""))])
    add = (f'<p><a class="knapp" href="/redaktion/utkast/{d.id}/post?sokvag={q}&amp;nr=ny">Lägg till {noun}</a></p>'
           if editable else "")
    passage = forms.passage_of(text) or "Filen anger ingen passage ur strategin."
    main = f"""<h1>{e(path)} i utkast {d.id}</h1>
<p><a href="/redaktion/utkast/{d.id}">Tillbaka till utkast {d.id}</a> ·
<a href="/redaktion/utkast/{d.id}/text?sokvag={q}">Hela filen som text</a></p>
<div class="regel-layout"><aside class="passage" aria-labelledby="passage-rubrik"><h2 id="passage-rubrik">Strategins text som filen kodar</h2>
<p>{e(passage)}</p></aside><div>{views.table(["Post", "Namn", "Nivå eller grupp"], rows, "Posterna i filen")}{add}</div></div>"""
    return render(ctx, f"{path} – utkast {d.id}", main)


def _item_page(ctx: Ctx, d, path: str, index: int | None, values: dict, revision: int,
               errors: forms.FieldErrors | None = None, notes: str = "", status: int = 200):
    _, specs, noun = forms.ITEM_FILES[path]
    editable = can_edit(ctx.user, d, path)
    q = urllib.parse.quote(path)
    summary = ""
    if errors and errors.by_field:
        summary = views.message("Inte sparat. Rätta felen vid fälten:", "fel",
                                [f"{forms.FIELD_LABELS.get(k, k)}: {m}" for k, ms in errors.by_field.items() for m in ms])
    if errors and errors.other:
        summary += views.message("Fel på andra ställen i regelpaketet:", "fel", errors.other)
    nr = "ny" if index is None else str(index)
    title = f"Ny {noun}" if index is None else f"{noun.capitalize()} {values.get('id') or values.get('code') or ''}"
    button = ('<div class="knappar"><button class="knapp" type="submit" id="spara-post">Spara</button></div>'
              if editable else "")
    passage = forms.passage_of(d.files[path]) or "Filen anger ingen passage ur strategin."
    main = f"""<h1>{e(title)} <span class="liten">i {e(path)}</span></h1>
<p><a href="/redaktion/utkast/{d.id}/fil?sokvag={q}">Tillbaka till listan</a></p>
{notes}{summary}
<div class="regel-layout">
<aside class="passage" aria-labelledby="passage-rubrik"><h2 id="passage-rubrik">Strategins text som filen kodar</h2>
<p>{e(passage)}</p></aside>
<form class="regelform" method="post" action="/redaktion/utkast/{d.id}/post?sokvag={q}&amp;nr={nr}" novalidate>
{views.csrf_field(ctx.csrf)}<input type="hidden" name="revision" value="{revision}">
{views.item_form(specs, values, catalog(d.files), errors)}
{button}</form></div>"""
    return render(ctx, title, main, status=status)


def _item_path(d, sokvag: str) -> str:
    path = _path_param(d, sokvag)
    if path not in forms.ITEM_FILES:
        raise Problem(404, "Den filen har inget formulär; öppna den som text.")
    return path


@router.get("/utkast/{draft_id}/post")
@guarded
def item_page(request: Request, draft_id: int, sokvag: str, nr: str = "ny"):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        path = _item_path(d, sokvag)
        items = forms.items_of(d.files[path], path)
        index = _rule_index(items, nr)
        _, specs, _ = forms.ITEM_FILES[path]
        values = forms.form_from_item(specs, items[index].data if index is not None else {})
        return _item_page(ctx, d, path, index, values, d.revision)


@router.post("/utkast/{draft_id}/post")
@guarded
def item_save(request: Request, draft_id: int, sokvag: str, nr: str = "ny", form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = editable_draft(s, ctx, draft_id, sokvag)
        path = _item_path(d, sokvag)
        key, specs, _ = forms.ITEM_FILES[path]
        text = d.files[path]
        items = forms.items_of(text, path)
        index = _rule_index(items, nr)
        values = {**forms.form_from_item(specs, {}),
                  **{k: v[0] for k, v in form.items() if k not in ("csrf", "revision")}}
        values["expecting"] = one(form, "expecting", "")  # an unticked box is not sent
        revision = int(one(form, "revision", "0") or 0)
        original = items[index].data if index is not None else None
        personal = personal_errors(form)
        if personal:
            return _item_page(ctx, d, path, index, values, revision, personal, status=422)
        try:
            item = forms.item_from_form(specs, form, original)
        except forms.FormError as fe:
            errs = forms.FieldErrors()
            errs.add(fe.field, fe.message)
            return _item_page(ctx, d, path, index, values, revision, errs, status=422)
        item_text = _dumped(text, items, index, item)
        new_text = forms.replace_item(text, items[index] if index is not None else None, item_text, key)
        new_items = forms.items_of(new_text, path)
        start = new_items[index if index is not None else len(new_items) - 1].start
        return _store_item(s, ctx, d, path, form, new_text, start, item_text,
                           functools.partial(_item_page, ctx, d, path, index, values))


# --------------------------------------------------------------------------- Kontrollera
def _check_key(s, d) -> tuple[str, dict, dict]:
    current = _store().current_version(s)
    files = dict(d.files)
    # the current version's number too: versions differing only in their features share a version string
    key = checks.job_key("kontroll", f"{current.number}:{current.version}", *[f"{k}\0{files[k]}" for k in sorted(files)])
    return key, files, dict(current.files)


def _start_pack_job(kind: str, key: str, files: dict, current: dict, run) -> checks.JobState:
    """A background job `run(draft_dir, current_dir, progress)` on the draft's and the current
    version's files, written to temporary pack directories that are removed afterwards."""
    dirs: list[Path] = []

    def work(progress):
        draft_dir, cur_dir = temp_pack(files), temp_pack(current)
        dirs.extend([draft_dir, cur_dir])
        return run(draft_dir, cur_dir, progress)

    def cleanup():
        for directory in dirs:
            shutil.rmtree(directory, ignore_errors=True)

    return checks.start_job(kind, key, work, cleanup)


def _start_check(key: str, files: dict, current: dict) -> checks.JobState:
    return _start_pack_job("kontroll", key, files, current, checks.run_checks)


@router.post("/utkast/{draft_id}/kontrollera")
@guarded
def check_start(request: Request, draft_id: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = viewable_draft(s, ctx, draft_id)
        key, files, current = _check_key(s, d)
    _start_check(key, files, current)
    return redirect(f"/redaktion/utkast/{draft_id}/kontrollera")


def _status_box(url: str, state: checks.JobState, what: str) -> str:
    return (f'<div class="kort" data-status-url="{e(url)}" aria-live="polite">'
            f'<p><label for="framsteg">{e(what)} pågår</label></p>'
            f'<progress id="framsteg" class="framsteg" max="100" value="{int(state.progress * 100)}">'
            f'{int(state.progress * 100)} %</progress>'
            f'<p class="status-text">{e(state.step or "Startar")}</p>'
            f'<noscript><p><a href="">Uppdatera sidan</a> för att se hur det går.</p></noscript></div>')


def _published_number(s, d) -> int | None:
    from .models import PackVersion

    pv = s.get(PackVersion, d.published_version_id) if d.published_version_id else None
    return pv.number if pv else None


_PLACE = re.compile(r"^\s*(features/[^\s:]+\.feature(?::\d+)?):\s*")
_QUOTED_CODE = re.compile(r"(insatsen|insatser|behovet|behov)\s+'([a-z0-9_\-]+)'")


def _names(cat: dict | None) -> dict[str, str]:
    cat = cat or {}
    names = {code: label for code, label, _ in cat.get("needs", []) if label}
    names.update({iid: name for iid, name, _ in cat.get("insatser", []) if name})
    return names


def _scenario_message(message: str | None, cat: dict | None) -> tuple[str, str]:
    """(the message in words staff read, the file:line it came from for editors): codes in quotes
    become the pack's Swedish names, and the leading path moves to the second part."""
    text = message or ""
    place = ""
    m = _PLACE.match(text)
    if m:
        place, text = m.group(1), text[m.end():]
    names = _names(cat)
    text = _QUOTED_CODE.sub(lambda mm: f"{mm.group(1)} {names.get(mm.group(2), mm.group(2))}", text)
    return text, place


def _readable_codes(text: str, cat: dict | None) -> str:
    """'behov: alkohol_narkotika_ungdom; familjecentral' with the pack's names for the codes."""
    names = _names(cat)
    return re.sub(r"[a-z0-9][a-z0-9_\-]*[a-z0-9]", lambda m: names.get(m.group(0), m.group(0)), text)


def check_html(report: checks.CheckReport, heading: int = 2, draft=None, catalog_: dict | None = None) -> str:
    h = f"h{heading}"
    if catalog_ is None and draft is not None:
        catalog_ = catalog(dict(draft.files))

    def where(file: str, place: str = "") -> str:  # a behaviour test of the draft opens in its editor
        cell = f'<span class="liten fil">{e(place or file)}</span>'
        if draft is not None and featurefiles.is_feature(file) and file in draft.files:
            return f'<a href="{e(_feature_url(draft.id, file))}">{cell}</a>'
        return cell

    def said(message: str | None, file: str) -> str:
        text, place = _scenario_message(message, catalog_)
        return f'{e(text)}<br>{where(file, place)}' if text else where(file, place)

    parts = []
    kind = "ok" if report.ok else "fel"
    parts.append(views.message(("Kontrollen godkänd. " if report.ok else "Kontrollen hittade problem. ") + report.summary(), kind))
    if report.errors:
        parts.append(f"<{h}>Fel i regelpaketet</{h}><ul>" + "".join(f"<li><code>{e(x)}</code></li>" for x in report.errors) + "</ul>")
    if report.changes:
        rows = [[e(c.scenario), e(c.text), said(c.message, c.file)] for c in report.changes]
        parts.append(f'<{h} id="andrade-scenarier">Scenarier som ändrat resultat</{h}>'
                     + views.table(["Scenario", "Förändring", "Varför (och var i beteendetesterna)"], rows))
    if report.failed:
        rows = [[e(sc.scenario), said(sc.message, sc.file)] for sc in report.failed]
        parts.append(f'<{h} id="underkanda">Underkända scenarier</{h}>'
                     + views.table(["Scenario", "Varför (och var i beteendetesterna)"], rows))
    if report.lint:
        parts.append(f"<{h}>Anmärkningar (lint)</{h}><ul>" + "".join(f"<li>{e(x)}</li>" for x in report.lint) + "</ul>")
    if report.scenarios:
        parts.append(f'<p class="liten">{views.count(len(report.scenarios), "scenario", "scenarier")} körda på {report.seconds:.1f} s. '
                     f'Utkastets version: {e(report.version or "–")}.</p>')
    return "\n".join(parts)


@router.get("/utkast/{draft_id}/kontrollera")
@guarded
def check_page(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, _, _ = _check_key(s, d)
        state = checks.job_state("kontroll", key)
        head = (f"<h1>Kontrollera utkast {d.id}</h1><p><a href=\"/redaktion/utkast/{d.id}\">Tillbaka till utkastet</a></p>"
                "<p class=\"ingress\">Validering, lint och utkastets alla beteendetester (Gherkin) körs mot utkastet, "
                "och den publicerade versionens beteendetester mot den publicerade versionen, så att du ser vilka "
                "scenarier som ändrar resultat.</p>")
        if state.state == "missing" or (state.state == "failed"):
            extra = views.message(f"Kontrollen misslyckades: {state.error}", "fel") if state.state == "failed" else ""
            body = (extra + f'<form method="post" action="/redaktion/utkast/{d.id}/kontrollera">{views.csrf_field(ctx.csrf)}'
                    '<button class="knapp" type="submit" id="kontrollera">Kontrollera nu</button></form>')
        elif state.state == "running":
            body = _status_box(f"/redaktion/utkast/{d.id}/kontrollera/status", state, "Kontrollen")
        else:
            report = checks.job_result("kontroll", key)
            body = check_html(report, draft=d) if report else views.message("Resultatet saknas; kör kontrollen igen.", "fel")
        return render(ctx, f"Kontrollera utkast {d.id}", head + body)


@router.get("/utkast/{draft_id}/kontrollera/status")
@guarded
def check_status(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, _, _ = _check_key(s, d)
    st = checks.job_state("kontroll", key)
    return JSONResponse({"state": st.state, "progress": st.progress, "step": st.step, "error": st.error},
                        headers={"Cache-Control": "no-store"})


# --------------------------------------------------------------------------- Effekt
def _impact_key(s, d) -> tuple[str, dict, dict]:
    current = _store().current_version(s)
    files = dict(d.files)
    key = checks.job_key("effekt", dt.date.today().isoformat(), *[f"{k}\0{current.files[k]}" for k in sorted(current.files)],
                         "\0\0", *[f"{k}\0{files[k]}" for k in sorted(files)])
    return key, files, dict(current.files)


def _start_impact(key: str, files: dict, current: dict) -> checks.JobState:
    def run(draft_dir, cur_dir, progress):
        started = time.monotonic()
        summary = checks.impact_summary(checks.run_impact(cur_dir, draft_dir, dt.date.today(), progress))
        from engine import load_pack

        summary["texts"] = checks.text_changes(load_pack(cur_dir), load_pack(draft_dir))
        summary["seconds"] = time.monotonic() - started
        return summary

    return _start_pack_job("effekt", key, files, current, run)


@router.post("/utkast/{draft_id}/effekt")
@guarded
def impact_start(request: Request, draft_id: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = viewable_draft(s, ctx, draft_id)
        key, files, current = _impact_key(s, d)
    if checks.impact_available():
        errors = validate_files(files)
        if not errors:
            _start_impact(key, files, current)
    return redirect(f"/redaktion/utkast/{draft_id}/effekt")


CSV_LABELS = {
    "kommun": "Kommun", "kommunkod": "Kommunkod", "aldersband": "Åldersband", "niva": "Nivå",
    "profiler": "Profiler", "profiler_i_aldersbandet": "Profiler i åldersbandet", "tillagd": "Tillagd",
    "borttagen": "Borttagen", "niva_andrad": "Nivå ändrad", "tillganglighet": "Tillgång ändrad",
    "meddelande": "Meddelande", "insatser": "Insatser", "barn": "Barn", "barn_utan_behov": "Barn utan behov",
    "exempel": "Exempel", "alder_fran_manader": "Ålder från (mån)", "alder_till_manader": "Ålder till (mån)",
    "behov": "Behov", "andring": "Ändring", "insats": "Insats", "fore": "Före", "efter": "Efter",
}


def _csv_table(text: str, table_id: str, label: str, limit: int, cat: dict | None = None) -> tuple[str, int]:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text or "")))
    if len(rows) < 2:
        return "", 0
    header, body = rows[0], rows[1:]

    def cell(name: str, value: str) -> str:
        if name == "exempel" and value:  # "a | b | c": a short list, the rest in the CSV
            examples = value.split(" | ")
            more = f'<li class="liten">och {len(examples) - 3} till i CSV-filen</li>' if len(examples) > 3 else ""
            return "<ul>" + "".join(f"<li>{e(_readable_codes(x, cat))}</li>" for x in examples[:3]) + more + "</ul>"
        if name in ("behov", "insatser", "insats"):
            return e(_readable_codes(value.replace(";", "; "), cat))
        return e(value)

    table = views.table([CSV_LABELS.get(h, h) for h in header],
                        [[cell(h, c) for h, c in zip(header, r)] for r in body[:limit]])
    table = table.replace("<table", f'<table id="{table_id}" aria-label="{e(label)}"', 1)
    return (f'<div class="tabell-rulla" role="region" aria-label="{e(label)}" tabindex="0">{table}</div>', len(body))


KIND_COLUMNS = (("tillagd", "tillagd"), ("borttagen", "borttagen"), ("niva_andrad", "ny nivå"),
                ("tillganglighet", "ändrad tillgång"), ("meddelande", "ändrat meddelande"))


def _cells_table(text: str, limit: int, cat: dict | None = None) -> tuple[str, int]:
    """The kommun × åldersband × nivå summary, readable: counts per kind in one column, three examples."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(text or "")))
    out = []
    for r in rows[:limit]:
        kinds = ", ".join(f"{label} {r[k]}" for k, label in KIND_COLUMNS if r.get(k) not in (None, "", "0"))
        examples = [x for x in (r.get("exempel") or "").split(" | ") if x]
        more = f'<li class="liten">och {len(examples) - 3} till i CSV-filen</li>' if len(examples) > 3 else ""
        children = f"<br><span class=\"liten\">barn: {e(r['barn'])}</span>" if r.get("barn") else ""
        out.append([e(r.get("kommun", "")), e(r.get("aldersband", "")), e(r.get("niva", "")),
                    f"{e(r.get('profiler', ''))} av {e(r.get('profiler_i_aldersbandet', ''))}{children}",
                    e(kinds), e(_readable_codes((r.get("insatser") or "").replace(";", ", "), cat)),
                    "<ul>" + "".join(f"<li>{e(_readable_codes(x, cat))}</li>" for x in examples[:3]) + more + "</ul>"])
    label = "Sammanfattning per kommun, åldersband och nivå"
    table = views.table(["Kommun", "Åldersband", "Nivå", "Profiler", "Ändringar", "Insatser", "Exempel"], out)
    table = table.replace("<table", f'<table id="effekt-celler" aria-label="{label}"', 1)
    return f'<div class="tabell-rulla" role="region" aria-label="{label}" tabindex="0">{table}</div>', len(rows)


def _texts_html(texts: list[dict]) -> str:
    """The texts staff read that the draft changes (a rule's motivation, an insats's name …)."""
    if not texts:
        return ""
    items = "".join(f"<li>{e(t['what'])}: <del>{e(t['before'])}</del> → <ins>{e(t['after'])}</ins></li>"
                    for t in texts[:50])
    more = f'<p class="liten">och {len(texts) - 50} till.</p>' if len(texts) > 50 else ""
    return (f'<h2 id="texter">Texter som personalen läser och som ändras ({views.count(len(texts), "text", "texter")})</h2>'
            f'<ul class="texter">{items}</ul>{more}')


def impact_html(result: dict, draft_id: int, limit: int = 150, cat: dict | None = None) -> str:
    changed, total = result.get("changed_profiles"), result.get("total_profiles")
    texts = result.get("texts") or []
    if not changed:
        if texts:
            return views.message(f"Ingen profil får en annan rekommendation{f' (av {total} undersökta)' if total else ''}, "
                                 f"men {views.count(len(texts), 'text', 'texter')} som personalen läser ändras.") \
                + _texts_html(texts)
        return views.message(f"Inga profiler får ett annat svar med utkastet"
                             f"{f' (av {total} undersökta)' if total else ''}, och inga texter ändras.", "ok")
    parts = [views.message(f"{changed} av {views.count(total or 0, 'profil', 'profiler')} får ett annat svar om "
                           f"utkastet publiceras (beräknat på {result.get('seconds', 0):.1f} s).")]
    if result.get("kinds"):
        parts.append("<ul>" + "".join(f"<li>{e(k)}: {views.count(n, 'profil', 'profiler')}</li>"
                                      for k, n in result["kinds"].items()) + "</ul>")
    if result.get("children") is not None:
        parts.append(f"<p>Viktat med regelpaketets befolkningsuppgifter: upp till {result['children']:.0f} barn "
                     f"(varav {result.get('children_without_need') or 0:.0f} utan särskilt behov).</p>")
    links = [f'<a class="knapp knapp-sekundar" href="/redaktion/utkast/{draft_id}/effekt.csv?per=profiler" download>'
             'Ladda ner ändrade profiler (CSV)</a>']
    if result.get("cells_csv"):
        links.append(f'<a class="knapp knapp-sekundar" href="/redaktion/utkast/{draft_id}/effekt.csv?per=celler" download>'
                     'Ladda ner sammanfattningen (CSV)</a>')
    parts.append('<div class="knappar">' + "".join(links) + "</div>")
    if result.get("cells_csv"):
        table, n = _cells_table(result["cells_csv"], limit, cat)
        parts.append(f'<h2 id="sammanfattning">Per kommun, åldersband och nivå ({views.count(n, "cell", "celler")})</h2>{table}')
        if n > limit:
            parts.append(f'<p class="liten">Visar de första {limit}; alla finns i CSV-filen.</p>')
    table, n = _csv_table(result["profiles_csv"], "effekt-tabell", "Ändrade profiler", limit, cat)
    parts.append(f'<h2 id="profiler">Ändrade profiler ({views.count(n, "rad", "rader")})</h2>{table}')
    if n > limit:
        parts.append(f'<p class="liten">Visar de första {limit}; alla finns i CSV-filen.</p>')
    parts.append(_texts_html(texts))
    return "\n".join(parts)


@router.get("/utkast/{draft_id}/effekt")
@guarded
def impact_page(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, files, _ = _impact_key(s, d)
        head = (f"<h1>Effekt av utkast {d.id}</h1><p><a href=\"/redaktion/utkast/{d.id}\">Tillbaka till utkastet</a></p>"
                "<p class=\"ingress\">Vilka familjer får ett annat svar om utkastet publiceras? Beräknat exakt över alla "
                "kommuner, varje ålder 0–216 månader och blivande föräldrar, utan behov, med varje behov och varje par "
                "av behov: insatser som läggs till eller tas bort, ändrad nivå och ändrad tillgång.</p>")
        if not checks.impact_available():
            return render(ctx, f"Effekt av utkast {d.id}", head + views.message(checks.IMPACT_MISSING, "fel"))
        errors = validate_files(files)
        if errors:
            return render(ctx, f"Effekt av utkast {d.id}",
                          head + views.message("Utkastet är inte ett giltigt regelpaket; rätta felen först.", "fel", errors))
        state = checks.job_state("effekt", key)
        if state.state in ("missing", "failed"):
            extra = views.message(f"Beräkningen misslyckades: {state.error}", "fel") if state.state == "failed" else ""
            body = (extra + f'<form method="post" action="/redaktion/utkast/{d.id}/effekt">{views.csrf_field(ctx.csrf)}'
                    '<button class="knapp" type="submit" id="effekt">Beräkna effekten</button></form>')
        elif state.state == "running":
            body = _status_box(f"/redaktion/utkast/{d.id}/effekt/status", state, "Effektberäkningen")
        else:
            result = checks.job_result("effekt", key)
            body = impact_html(result, d.id, cat=catalog(files)) if result else views.message("Resultatet saknas; beräkna igen.", "fel")
        return render(ctx, f"Effekt av utkast {d.id}", head + body)


@router.get("/utkast/{draft_id}/effekt/status")
@guarded
def impact_status(request: Request, draft_id: int):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, _, _ = _impact_key(s, d)
    st = checks.job_state("effekt", key)
    return JSONResponse({"state": st.state, "progress": st.progress, "step": st.step, "error": st.error},
                        headers={"Cache-Control": "no-store"})


@router.get("/utkast/{draft_id}/effekt.csv")
@guarded
def impact_csv_download(request: Request, draft_id: int, per: str = "profiler"):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        key, _, _ = _impact_key(s, d)
    result = checks.job_result("effekt", key) if checks.job_state("effekt", key).state == "done" else None
    if not result:
        raise Problem(404, "Effekten är inte beräknad för utkastets nuvarande innehåll. Beräkna den först.")
    text = result.get("cells_csv") if per == "celler" else result.get("profiles_csv")
    if not text:
        raise Problem(404, "Den tabellen finns inte i beräkningen.")
    name = "sammanfattning" if per == "celler" else "profiler"
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="effekt-utkast-{draft_id}-{name}.csv"',
                             "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


# --------------------------------------------------------------------------- Granskning
@router.post("/utkast/{draft_id}/skicka-in")
@guarded
def submit(request: Request, draft_id: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("redaktor", "granskare", "samordnare"), form)
        d = viewable_draft(s, ctx, draft_id)
        reason = one(form, "skal").strip()
        error = "Skriv vad som ändras och varför." if not reason else personal_text(reason, "Skälet")
        if error:
            return _draft_page(s, ctx, d, status=422, submit_text=one(form, "skal"), submit_error=error)
        _store().submit(s, d.id, ctx.user, reason)
    return redirect(f"/redaktion/utkast/{draft_id}/granska")


@router.get("/utkast/{draft_id}/granska")
@guarded
def review_page(request: Request, draft_id: int, klart: str = ""):
    with database() as s:
        ctx = login(request, s)
        d = viewable_draft(s, ctx, draft_id)
        return _review(s, ctx, d, klart)


def _review(s, ctx: Ctx, d, klart: str = "", comment: str = "", comment_error: str = "", status: int = 200):
    base = _base_files(s, d)
    files = dict(d.files)
    current = _store().current_version(s)
    note = _store().submit_note(s, d)
    parts = [f"<h1>Granskning av utkast {d.id}</h1>",
             f'<p><a href="/redaktion/utkast/{d.id}">Till utkastet</a></p>',
             f'<p class="ingress">{e(d.reason)} – skrivet av {e(d.author)}. Status: '
             f'<strong id="utkast-status">{e(views.STATUS_TEXT.get(d.status, d.status))}</strong>.</p>']
    if note and note.strip() != (d.reason or "").strip():
        parts.append(f'<p>Skrivet vid inskickningen: <span id="inskickat-skal">{e(note)}</span></p>')
    if klart:
        parts.append(views.message(klart, "ok"))
    if d.base_version_id != current.id and d.status != "publicerad":
        parts.append(views.message(f"Den publicerade versionen har ändrats sedan utkastet skapades (nu version "
                                   f"{current.number}). Ändringarna nedan jämförs med utkastets utgångsläge; "
                                   "publiceras utkastet ersätter det hela den publicerade versionen."))
    # the check's result before anyone presses approve: started here when missing
    parts.append('<h2>Kontroll</h2>')
    check_failed = False
    if d.status == "publicerad":
        number = _published_number(s, d)
        parts.append(views.message("Kontrollen kördes vid godkännandet och gick igenom"
                                   + (f"; utkastet är publicerat som version {number}." if number else "."), "ok"))
    else:
        key, files, current_files = _check_key(s, d)
        state = checks.job_state("kontroll", key)
        if state.state == "missing" and d.status == "inskickad":
            state = _start_check(key, files, current_files)
        if state.state == "done" and checks.job_result("kontroll", key):
            report = checks.job_result("kontroll", key)
            check_failed = not report.ok
            parts.append(check_html(report, heading=3, draft=d, catalog_=catalog(files)))
        elif state.state in ("running", "queued") or (state.state == "done"):
            parts.append(_status_box(f"/redaktion/utkast/{d.id}/kontrollera/status", state, "Kontrollen"))
        else:
            extra = f" ({state.error})" if state.state == "failed" and state.error else ""
            parts.append(f'<p>Kontrollen är inte körd för utkastets nuvarande innehåll{e(extra)}. '
                         f'<a href="/redaktion/utkast/{d.id}/kontrollera">Kontrollera</a>.</p>')
    parts.append(f'<h2>Effekt</h2><p><a href="/redaktion/utkast/{d.id}/effekt">Vilka familjer får ett annat svar</a></p>')
    changed = views.changed_files(base, files)
    parts.append(f'<h2>Ändringar ({views.count(len(changed), "fil", "filer")})</h2>')
    parts.extend(views.diff_html(p, base.get(p), files.get(p)) for p in changed)
    if not changed:
        parts.append('<p class="tom">Utkastet ändrar ingenting.</p>')
    if d.status == "inskickad":
        if ctx.user.role == "granskare" and ctx.user.name != d.author:
            c_cls, c_aria, c_err = field_error("kommentar", comment_error)
            approve_form = (f"""<p>Godkännande kör valideringen och alla beteendetester igen (det tar en stund) och publicerar
sedan utkastet: inom några sekunder svarar beslutsstödet med den nya versionen.</p>
<form method="post" action="/redaktion/utkast/{d.id}/godkann">{views.csrf_field(ctx.csrf)}
<button class="knapp" type="submit" id="godkann">Godkänn och publicera</button></form>""" if not check_failed else
                            "<p>Utkastet kan inte godkännas: kontrollen ovan gick inte igenom. Skicka tillbaka "
                            "utkastet med en kommentar om vad som behöver rättas.</p>")
            parts.append(f"""<section class="kort" aria-labelledby="beslut-rubrik"><h2 id="beslut-rubrik">Beslut</h2>
{approve_form}
<form class="enkel-form" method="post" action="/redaktion/utkast/{d.id}/skicka-tillbaka">{views.csrf_field(ctx.csrf)}
<div class="falt{c_cls}"><label for="kommentar">Kommentar till den som skrev utkastet</label>{c_err}
<textarea id="kommentar" name="kommentar" required{c_aria}>{e(comment)}</textarea></div>
<div><button class="knapp knapp-sekundar" type="submit" id="skicka-tillbaka">Skicka tillbaka</button></div></form></section>""")
        elif ctx.user.name == d.author:
            parts.append(views.message("Du skrev utkastet och kan därför inte godkänna det: en annan person med "
                                       "rollen granskare måste göra det (fyra ögon)."))
        else:
            parts.append(views.message("Bara en granskare kan godkänna eller skicka tillbaka utkastet."))
    return render(ctx, f"Granskning av utkast {d.id}", "\n".join(parts), status=status)


@router.post("/utkast/{draft_id}/godkann")
@guarded
def approve(request: Request, draft_id: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, form=form)
        d = viewable_draft(s, ctx, draft_id)
        if ctx.user.name == d.author:
            raise Problem(403, "Du kan inte godkänna ett utkast som du själv har skrivit. En annan granskare måste göra det.")
        if ctx.user.role != "granskare":
            raise Problem(403, "Bara en granskare kan godkänna och publicera ett utkast.")
        version = _store().approve(s, d.id, ctx.user)
        text = f"Godkänt och publicerat som version {version.number} ({version.version})."
    return redirect(f"/redaktion/utkast/{draft_id}/granska?klart={urllib.parse.quote(text)}")


@router.post("/utkast/{draft_id}/skicka-tillbaka")
@guarded
def send_back(request: Request, draft_id: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("granskare",), form)
        d = viewable_draft(s, ctx, draft_id)
        comment = one(form, "kommentar").strip()
        error = ("Skriv en kommentar som säger vad som behöver ändras." if not comment
                 else personal_text(comment, "Kommentaren"))
        if error:
            return _review(s, ctx, d, comment=one(form, "kommentar"), comment_error=error, status=422)
        _store().send_back(s, d.id, ctx.user, comment)
    return redirect(f"/redaktion/utkast/{draft_id}/granska?klart={urllib.parse.quote('Utkastet är skickat tillbaka.')}")


# --------------------------------------------------------------------------- Versioner
@router.get("/versioner")
@guarded
def versions_page(request: Request, klart: str = ""):
    with database() as s:
        ctx = login(request, s)
        return _versions(s, ctx, klart)


def _republished(s) -> dict[int, tuple[str | None, Any]]:
    """Per version number, the latest time it was published again: (reason, when)."""
    from sqlalchemy import select

    from .models import AuditEvent

    out: dict[int, tuple[str | None, Any]] = {}
    for ev in s.scalars(select(AuditEvent).where(AuditEvent.action == "version.publicerad").order_by(AuditEvent.id)):
        m = re.match(r"version (\d+)", ev.target or "")
        if m:
            out[int(m.group(1))] = (ev.reason, ev.at)
    return out


def _versions(s, ctx: Ctx, klart: str = "", number: int | None = None, text: str = "", error: str = "",
              status: int = 200):
    store = _store()
    current = store.current_version(s)
    again = _republished(s)
    may_publish = ctx.user.role in ("granskare", "admin")
    rows = []
    for v in store.versions(s):
        is_current = v.id == current.id
        action = "<strong>publicerad nu</strong>" if is_current else ""
        if may_publish and not is_current:
            mine = number == v.number
            cls, aria, err = field_error(f"skal-{v.number}", error if mine else "")
            action = (f'<form class="rad" method="post" action="/redaktion/versioner/{v.number}/publicera">'
                      f'{views.csrf_field(ctx.csrf)}<div class="{cls.strip()}"><label for="skal-{v.number}">Skäl</label>{err}'
                      f'<input type="text" id="skal-{v.number}" name="skal" value="{e(text if mine else "")}" required{aria}></div>'
                      f'<button class="knapp knapp-sekundar" type="submit" id="publicera-{v.number}">Publicera igen</button></form>')
        reason = e(v.reason)
        if v.number in again:
            why, at = again[v.number]
            reason += (f'<br><span class="liten">Publicerad igen {e(views.when(at))}'
                       + (f": {e(why)}" if why else "") + "</span>")
        rows.append([str(v.number), f'<span class="fil">{e(v.version)}</span>', e(v.author), e(v.approver or "–"),
                     reason, e(views.when(v.published_at or v.created_at)), action])
    main = ("<h1>Versioner</h1><p class=\"ingress\">Varje publicerad version av regelpaketet, nyast först. "
            "Att publicera en tidigare version igen (återställning) är en åtgärd och syns i loggen.</p>"
            + (views.message(klart, "ok") if klart else "")
            + views.table(["Nr", "Version", "Skriven av", "Godkänd av", "Skäl", "Tid", "Åtgärd"], rows))
    return render(ctx, "Versioner", main, "/redaktion/versioner", status=status)


@router.post("/versioner/{number}/publicera")
@guarded
def publish_again(request: Request, number: int, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("granskare", "admin"), form)
        reason = one(form, "skal").strip()
        error = ("Skriv varför den tidigare versionen ska publiceras igen." if not reason
                 else personal_text(reason, "Skälet"))
        if error:
            return _versions(s, ctx, number=number, text=one(form, "skal"), error=error, status=422)
        version = _store().publish(s, str(number), ctx.user, reason)
        text = f"Version {version.number} är publicerad igen."
    return redirect(f"/redaktion/versioner?klart={urllib.parse.quote(text)}")


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

    from .models import User

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


# --------------------------------------------------------------------------- Kartläggning (samordnare)
def _availability_now(files: dict[str, str], code: str) -> dict[str, dict]:
    """What the pack in `files` says about each insats in kommun `code` (for the form's defaults)."""
    from engine import load_pack

    directory = temp_pack(files)
    try:
        pack = load_pack(directory)
    except Exception:  # noqa: BLE001 - defaults only
        return {}
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    out = {}
    for (kommun, insats), entry in pack.availability.items():
        if kommun == code:
            status = entry.status.value if hasattr(entry.status, "value") else str(entry.status)
            out[insats] = {
                "status": status, "contact": entry.contact or "",
                "basis": getattr(entry, "basis", None), "verified": getattr(entry, "verified", None),
                "planned_from": getattr(entry, "planned_from", None),
                "target_groups": list(getattr(entry, "target_groups", None) or []),
            }
    return out


def _samordnare(s, request: Request, kommun: str | None, form: dict | None = None) -> tuple[Ctx, str]:
    ctx = login(request, s, ("samordnare",), form)
    own = ctx.user.kommun
    if kommun is not None and kommun != own:
        raise Problem(403, f"Du är samordnare för {ctx.who.kommun_name or own} och kan bara rapportera för den kommunen.")
    return ctx, own


@router.get("/kartlaggning")
@guarded
def mapping_redirect(request: Request):
    with database() as s:
        ctx, own = _samordnare(s, request, None)
    return redirect(f"/redaktion/kartlaggning/{own}")


def _mapping_page(ctx: Ctx, code: str, files: dict[str, str], values: dict[str, dict], errors: dict[str, str],
                  status: int = 200, notes: str = ""):
    name = _kommun_name(files, code)
    today = dt.date.today()
    rows = []
    for ins_id, ins_name, level in catalog(files)["insatser"]:
        v = values.get(ins_id, {})
        err = errors.get(ins_id, "")
        cls = " falt-fel" if err else ""
        opts = "".join(f'<option value="{s}"{" selected" if v.get("status", "okänd") == s else ""}>{e(t)}</option>'
                       for s, t in STATUS_CHOICES)
        verified = v.get("verified")
        old = ""
        if isinstance(verified, dt.date):
            age_days = (today - verified).days
            old = (f' Senast verifierad {verified.isoformat()}'
                   + (" – äldre än 24 månader, räknas som inte verifierad." if age_days > 730 else "."))
        basis_text = e(_current_text(v)) if v else ""
        confirm = ""
        if v and not v.get("in_draft") and v.get("status", "okänd") != "okänd":
            confirm = (f'<div class="kryss"><input type="checkbox" id="bekrafta-{e(ins_id)}" name="bekrafta-{e(ins_id)}" '
                       f'value="ja"{" checked" if v.get("confirm") else ""}><label for="bekrafta-{e(ins_id)}">'
                       f'Uppgiften stämmer: spara den som kommunens uppgift ({today.isoformat()})</label></div>')
        groups = "".join(
            f'<div class="kryss"><input type="checkbox" id="m-{e(ins_id)}-{g}" name="malgrupp-{e(ins_id)}" value="{e(label)}"'
            f'{" checked" if label in v.get("target_groups", []) else ""}><label for="m-{e(ins_id)}-{g}">{e(label)}</label></div>'
            for g, label in TARGET_GROUPS)
        err_html = f'<p class="fel" id="fel-{e(ins_id)}">{e(err)}</p>' if err else ""
        aria = f' aria-describedby="fel-{e(ins_id)}" aria-invalid="true"' if err else ""
        planned = v.get("planned_from")
        rows.append(f"""<fieldset class="insats-rad{cls}" id="insats-{e(ins_id)}"><legend><strong>{e(ins_name)}</strong> ({e(level)})</legend>
<p class="liten">{basis_text}{e(old)}</p>{err_html}
<div class="rad"><div><label for="status-{e(ins_id)}">Finns i kommunen?</label>
<select id="status-{e(ins_id)}" name="status-{e(ins_id)}"{aria}>{opts}</select></div>
<div><label for="fran-{e(ins_id)}">Planeras från (vid planeras)</label>
<input type="date" id="fran-{e(ins_id)}" name="fran-{e(ins_id)}" value="{e(planned.isoformat() if isinstance(planned, dt.date) else str(planned or ''))}"></div>
<div><label for="kontakt-{e(ins_id)}">Kontaktväg till enheten</label>
<input type="text" id="kontakt-{e(ins_id)}" name="kontakt-{e(ins_id)}" value="{e(v.get('contact', ''))}" size="40"></div></div>
{confirm}<details><summary>Målgrupper som nås</summary><div class="kolumner">{groups}</div></details></fieldset>""")
    main = f"""<h1>Kartläggning: {e(name)}</h1>
<p class="ingress">Ange för varje insats i katalogen om den finns i {e(name)}. Det du <strong>ändrar</strong>, eller
bekräftar med rutan <em>Uppgiften stämmer</em>, sparas som <strong>kommunens uppgift</strong> med dagens datum
({today.isoformat()}) och blir ett utkast som en granskare godkänner. En insats du lämnar som den är behåller sin
uppgift, sin grund och sitt datum. Strategin följer upp vartannat år: uppgifter äldre än 24 månader räknas som inte
verifierade.</p>
<p class="hjalp">Kontaktväg: enhetens telefonnummer, webbadress eller e-tjänst – aldrig en enskild persons
namn, e-post eller personnummer. "Vet ej" ändrar inte det som står i dag.</p>
{notes}
<form method="post" action="/redaktion/kartlaggning/{e(code)}" class="kartlaggningsform">{views.csrf_field(ctx.csrf)}
{"".join(rows)}
<div class="knappar"><button class="knapp" type="submit" id="spara-kartlaggning">Spara som utkast</button></div></form>"""
    return render(ctx, f"Kartläggning {name}", main, "/redaktion/kartlaggning", status=status)


BASIS_TEXT = {"källa": "en källa säger det", "antagande": "bygger på ett antagande",
              "kommunens uppgift": "kommunens uppgift"}
STATUS_TEXT = {"finns": "finns", "saknas": "saknas", "planeras": "planeras", "okänd": "okänt om den finns"}


def _current_text(v: dict) -> str:
    """'Nuvarande uppgift: finns, bygger på ett antagande.' in words, never an enum's repr."""
    basis = v.get("basis")
    basis = getattr(basis, "value", basis)
    status = STATUS_TEXT.get(str(v.get("status", "okänd")), str(v.get("status", "okänd")))
    if v.get("in_draft"):
        return f" I ditt utkast: {status}, kommunens uppgift."
    return f" Nuvarande uppgift: {status}" + (f", {BASIS_TEXT.get(str(basis), str(basis))}" if basis else "") + "."


def _mapping_values(s, ctx: Ctx, code: str, files: dict[str, str]) -> tuple[dict[str, dict], str]:
    """What the form shows for each insats: the pack's entry, or the samordnare's open draft's."""
    store = _store()
    values = _availability_now(files, code)
    notes = ""
    for draft in store.drafts(s, ctx.user, statuses=EDITABLE):
        if draft.kind == "tillganglighet" and draft.kommun == code and draft.author == ctx.user.name:
            for entry in store.reported_entries(draft, code):
                values[str(entry.get("insats"))] = {
                    "status": str(entry.get("status", "okänd")), "contact": entry.get("contact") or "",
                    "basis": "kommunens uppgift", "in_draft": True, "verified": entry.get("verified"),
                    "planned_from": entry.get("planned_from"), "target_groups": entry.get("target_groups") or []}
            notes = views.message(f"Du har ett öppet utkast ({draft.id}); formuläret visar det du rapporterat där. "
                                  "Sparar du igen uppdateras samma utkast.")
            break
    return values, notes


def _as_shown(v: dict) -> tuple[str, str, str, list[str]]:
    """A row's values as the form shows them, to tell a change from a row left as it was."""
    planned = v.get("planned_from")
    planned = planned.isoformat() if isinstance(planned, dt.date) else str(planned or "")
    return (str(v.get("status", "okänd")), str(v.get("contact") or "").strip(), planned,
            sorted(v.get("target_groups") or []))


@router.get("/kartlaggning/{kommun}")
@guarded
def mapping_page(request: Request, kommun: str):
    with database() as s:
        ctx, code = _samordnare(s, request, kommun)
        files = dict(_store().current_version(s).files)
        values, notes = _mapping_values(s, ctx, code, files)
        return _mapping_page(ctx, code, files, values, {}, notes=notes)


@router.post("/kartlaggning/{kommun}")
@guarded
def mapping_save(request: Request, kommun: str, form: dict = Depends(form_body)):
    store = _store()
    with database() as s:
        ctx, code = _samordnare(s, request, kommun, form)
        files = dict(_store().current_version(s).files)
        shown, _ = _mapping_values(s, ctx, code, files)
        entries, values, errors, keep = [], {}, {}, []
        for ins_id, _, _ in catalog(files)["insatser"]:
            status = one(form, f"status-{ins_id}", "okänd")
            contact = one(form, f"kontakt-{ins_id}").strip()
            planned = one(form, f"fran-{ins_id}").strip()
            groups = [g for g in form.get(f"malgrupp-{ins_id}", []) if g in {label for _, label in TARGET_GROUPS}]
            confirmed = one(form, f"bekrafta-{ins_id}") == "ja"
            before = shown.get(ins_id, {})
            values[ins_id] = {**before, "status": status, "contact": contact, "planned_from": planned,
                              "target_groups": groups, "confirm": confirmed}
            if not confirmed and (status, contact, planned, sorted(groups)) == _as_shown(before or {}):
                if before.get("in_draft"):
                    keep.append(ins_id)  # reported earlier in this draft: stays as reported
                continue  # left as it was: keeps its basis and its date, nothing becomes the kommun's word
            if status == "okänd" and not contact and not groups:
                continue  # "vet ej" leaves what the pack says today
            if planned:
                try:
                    dt.date.fromisoformat(planned)
                except ValueError:
                    errors[ins_id] = "Skriv datumet som ÅÅÅÅ-MM-DD."
                    continue
            if len(contact) > 200:
                errors[ins_id] = "Kontaktvägen får vara högst 200 tecken."
                continue
            entry: dict[str, Any] = {"insats": ins_id, "status": status}
            if planned:
                entry["planned_from"] = planned
            if contact:
                entry["contact"] = contact
            if groups:
                entry["target_groups"] = groups
            try:  # the store's own rules for an entry, shown at the insats they concern
                store.ReportEntry.model_validate(entry)
            except ValidationError as exc:
                errors[ins_id] = "; ".join(err["msg"].removeprefix("Value error, ") for err in exc.errors())
                continue
            if status == "planeras" and not planned:
                errors[ins_id] = "Ange från vilket datum insatsen planeras."
                continue
            if status != "planeras" and planned:
                errors[ins_id] = "Ett startdatum hör bara till status planeras: töm datumet eller välj planeras."
                continue
            entries.append(entry)
        if errors:
            notes = views.message(f"Inte sparat: {views.count(len(errors), 'uppgift', 'uppgifter')} behöver rättas. "
                                  "Allt du skrev finns kvar.", "fel")
            return _mapping_page(ctx, code, files, values, errors, status=422, notes=notes)
        if not entries and not any(v.get("in_draft") for v in shown.values()):
            return _mapping_page(ctx, code, files, values, {}, status=422, notes=views.message(
                "Inget att spara: du har inte ändrat eller bekräftat någon uppgift. Ändra det som inte stämmer, "
                "eller kryssa i Uppgiften stämmer för det som stämmer.", "fel"))
        draft = _store().report_availability(s, ctx.user, code, entries, keep=keep)
        draft_id = draft.id
        saved = (f"kartläggningen för {_kommun_name(files, code)} som utkast: "
                 f"{views.count(len(entries) + len(keep), 'insats', 'insatser')} som kommunens uppgift")
    return redirect(f"/redaktion/utkast/{draft_id}?sparat={urllib.parse.quote(saved)}")


# --------------------------------------------------------------------------- static
@router.get("/static/{name}")
def static(name: str) -> Response:
    from service.core.staticfiles import static_file

    return static_file(STATIC, name)
