"""What every /redaktion route shares: refusals as Swedish pages (`Problem`, `guarded`), the
workspace database (`database()`, migrated and seeded on first use), form bodies, sessions and
the login check (`Ctx`, `login`, the CSRF token and the Origin check), `render` of a page in the
redaktion layout, and the rules on drafts (who may see and change what) with their pack helpers.
The routers of this package import from here; nothing here imports a router."""
from __future__ import annotations

import functools
import hmac
import os
import shutil
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.exc import DBAPIError

from engine.models import looks_like_personnummer
from service.core import forwarded

from .. import checks, featurefiles, forms, views


SESSION_COOKIE = "redaktion_session"
LOGIN_COOKIE = "redaktion_inloggning"  # double-submit CSRF token of the login form
SESSION_HOURS = 8
EDITABLE = ("utkast", "aterskickad")
MAX_FORM_BYTES = 2 * 1024 * 1024  # the body limit of /redaktion/ (service/limits.py PATH_LIMITS)
LIMIT_TEXT = ("Högst 2 MiB per fil (ungefär två miljoner tecken). Är texten större sparas den inte; "
              "redaktionen säger till innan den skickas, och texten finns kvar.")


STATIC = Path(__file__).resolve().parents[1] / "static"
AVAILABILITY_FILE = "tillganglighet-kommuner.yaml"


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
    from .. import store

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
    return render(request, "redaktion/problem.html", status=status, title=title, text=text, details=details)


# --------------------------------------------------------------------------- database
_ready: set[str] = set()
_ready_lock = threading.Lock()


@contextmanager
def database() -> Iterator[Any]:
    """A session on the workspace database; migrates and seeds it on first use per process."""
    from .. import db

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

    from .. import db

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
    from .. import auth

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


def render(request_or_ctx: Request | Ctx | None, template_name: str, status: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """The page `template_name` (a template extending redaktion/layout.html) with `context`, the
    layout's values of the logged-in user (a Ctx, or the request a route's login() put one on;
    none: logged out) and the workspace's security headers. `path` marks the page in the menu."""
    ctx = request_or_ctx if isinstance(request_or_ctx, Ctx) else getattr(
        getattr(request_or_ctx, "state", None), "redaktion", None)
    base = views.page_context(ctx.who if ctx else None, ctx.csrf if ctx else "", ctx.serving if ctx else "–",
                              context.pop("path", ""))
    return views.respond(template_name, {**base, **context}, status, headers)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --------------------------------------------------------------------------- helpers on drafts
def _draft(s, draft_id: int):
    from ..models import Draft

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
    from ..models import PackVersion

    base = s.get(PackVersion, draft.base_version_id)
    return dict(base.files) if base else {}


PERSONAL = "ser ut att innehålla ett personnummer. Skriv aldrig uppgifter om en enskild familj eller person här."


def personal_errors(form: dict[str, list[str]]) -> forms.FieldErrors | None:
    """A personnummer in any field of a form, as an error at that field (nothing is saved)."""
    errs = forms.FieldErrors()
    for name, values in form.items():
        if name not in ("csrf", "revision") and any(looks_like_personnummer(v) for v in values):
            errs.add(name, f"Fältet {PERSONAL}")
    return errs or None


def personal_text(text: str, label: str) -> str:
    """The error for a personnummer in a simple form's text, or ''."""
    return f"{label} {PERSONAL}" if looks_like_personnummer(text) else ""


def refuse_personal(text: str, label: str) -> None:
    if looks_like_personnummer(text):
        raise Problem(422, f"{label} ser ut att innehålla ett personnummer. Skriv aldrig personuppgifter här.")


def revision_of(form: dict[str, list[str]]) -> int:
    """The draft revision a form was opened at (its optimistic lock); 422 without one."""
    try:
        return int(one(form, "revision"))
    except ValueError:
        raise Problem(422, "Formuläret saknar utkastets revision. Ladda om sidan.") from None


def _save(s, ctx: Ctx, draft, path: str, text: str, form: dict[str, list[str]]) -> int:
    return _store().save_file(s, draft.id, path, text, ctx.user, revision_of(form))


def _path_param(draft, sokvag: str) -> str:
    if sokvag not in draft.files:
        raise Problem(404, f"Filen {sokvag} finns inte i utkastet.")
    return sokvag


# ---- behaviour tests (Gherkin features of the draft)
def _feature_url(draft_id: int, path: str) -> str:
    return f"/redaktion/utkast/{draft_id}/beteendetest?namn={urllib.parse.quote(featurefiles.name_of(path))}"
