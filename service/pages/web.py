"""The staff web pages: `/` (the form), `/kartlaggning` (gaps per kommun), `/strategi` (living
documentation), /docs and /redoc (offline), and their static files: the routes and what each page
shows; the HTML is in templates/ (Jinja2, autoescaped; base.html and the macros in
service/templates/). The form on / posts to / (form-encoded, never in the URL) and gets the answer
rendered by answer.py through the same decision path as the JSON API (service.core.deciding);
app.js sends the same form and shows the same HTML without reloading. No personal data fields;
nothing is stored.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from engine import Engine, Pack, load_pack
from engine.coverage import AGE_BANDS, CellStatus, compute_coverage
from engine.lint import lint_pack
from engine.models import Level

from service.core import deciding
from service.core.errors import ApiError
from service.core.staticfiles import STATIC_TYPES, static_file
from service.core.templating import html_response
from service.pages import answer, strategi, strategi_runs
from service.pages.version import served_version
from service.pages import coverage as coverage_render

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
# Our pages have no inline scripts or styles: everything comes from /static.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
NAV = (("/", "Rekommendation"), ("/kartlaggning", "Kartläggning"), ("/uppfoljning", "Uppföljning"), ("/strategi", "Strategin i tester"))

router = APIRouter(include_in_schema=False)


# --------------------------------------------------------------------------- the pack
_fallback_lock = threading.Lock()


@lru_cache(maxsize=4)
def _fallback_pack(directory: str) -> Pack:
    return load_pack(directory or None)


def current_pack(request: Request) -> Pack:
    """The pack the app is serving (after any reload); the default pack when the app keeps none."""
    state = getattr(request.app.state, "_state", {})
    for value in state.values():
        if isinstance(value, Pack):
            return value
        if isinstance(value, Engine):
            return value.pack
        engine = getattr(value, "engine", None)
        if isinstance(engine, Engine):
            return engine.pack
    from service.core.state import rules_dir  # the same env variable the API reads

    with _fallback_lock:
        return _fallback_pack(str(rules_dir()))


# --------------------------------------------------------------------------- rendering
def page(template: str, title: str, pack: Pack, path: str, status: int = 200,
         request: Request | None = None, **context: Any) -> HTMLResponse:
    """A staff page: `template` extends base.html (the menu, the footer with the served version)."""
    served = served_version(request, pack)["text"] if request is not None else ""
    return html_response(template, status=status, headers=SECURITY_HEADERS, title=title, nav=NAV, path=path,
                         ruleset=f"{pack.name} {pack.version}", served=served, **context)


def _need_groups(pack: Pack) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for need in pack.needs.values():
        groups.setdefault(need.group, []).append(need)
    return list(groups.items())


# which error box on the form shows an error for an API field
ERROR_BOX = {"kommun": "kommun", "age_months": "alder", "expecting": "alder", "needs": "behov"}


def _index_page(request: Request, pack: Pack, form: Mapping[str, Any] | None = None,
                errors: Mapping[str, str] | None = None, answer: str = "", status: int = 200) -> HTMLResponse:
    form = form or {}
    errors = errors or {}
    kommuner = [(k.code, k.name) for k in sorted(pack.kommuner.values(), key=lambda k: k.name)]
    values = {"kommun": form.get("kommun", ""), "needs": set(form.get("needs", ())),
              "alder_ar": form.get("alder_ar", ""), "alder_man": form.get("alder_man", "0") or "0",
              "vantar": bool(form.get("vantar"))}
    shown = {box: errors.get(box, "") for box in ("formular", "kommun", "alder", "behov")}
    return page("index.html", "Rekommendation", pack, "/", status=status, request=request, form=values, errors=shown,
                kommuner=kommuner, need_groups=_need_groups(pack), answer=answer)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    return _index_page(request, current_pack(request))


def _form_fields(raw: bytes) -> dict[str, Any]:
    form: dict[str, Any] = {"needs": []}
    for key, value in parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True):
        if key == "needs":
            form["needs"].append(value)
        elif key in ("kommun", "alder_ar", "alder_man", "vantar"):
            form[key] = value.strip()
        else:  # the form has no other field; say so rather than drop it silently
            form.setdefault("okanda", []).append(key)
    return form


def _whole(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def family_from_form(form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The API body for the form, and Swedish errors per error box (the same checks as app.js)."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {"kommun": form.get("kommun", ""), "needs": list(form.get("needs", []))}
    if not data["kommun"]:
        errors["kommun"] = "Välj en kommun."
    if form.get("okanda"):
        errors["formular"] = "Formuläret innehöll okända fält: " + ", ".join(sorted(set(form["okanda"])))[:200]
    if form.get("vantar"):
        data["expecting"] = True
    else:
        years, months = form.get("alder_ar", ""), form.get("alder_man", "") or "0"
        y, m = _whole(years), _whole(months)
        if years == "":
            errors["alder"] = "Ange barnets ålder i år och månader, eller kryssa i att familjen väntar barn."
        elif y is None or m is None or y > 18 or m > 11:
            errors["alder"] = "Åldern ska vara 0–18 år och 0–11 månader, i hela tal."
        elif y * 12 + m > 216:
            errors["alder"] = "Stödet gäller barn upp till 18 år."
        else:
            data["age_months"] = y * 12 + m
    return data, errors


def _api_errors(exc: ApiError) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in exc.items:
        box = ERROR_BOX.get(item.field.split(".")[0].split("[")[0], "formular")
        text = item.sv.replace(" (se GET /v1/needs)", "")
        out[box] = (out[box] + " " if box in out else "") + text
    return out


@router.post("/", response_class=HTMLResponse)
async def index_post(request: Request) -> Response:
    """The form without JavaScript (the whole page back) and with it (`X-Svar: fragment`: only the
    answer, or the API's 422 body). The same decision path as POST /v1/recommendations; nothing
    from the form is stored or logged, and it never appears in a URL."""
    pack = current_pack(request)
    fragment = request.headers.get("x-svar") == "fragment"
    form = _form_fields(await request.body())
    data, errors = family_from_form(form)
    body: dict[str, Any] | None = None
    if not errors:
        try:
            family = deciding.family_from(data)
            body = orjson.loads(await deciding.decide_async(deciding.state_of(request), family))
        except ApiError as exc:
            if fragment:
                items = [{"field": i.field, "sv": i.sv, "en": i.en} for i in exc.items]
                return Response(orjson.dumps({"errors": items}), status_code=exc.status,
                                media_type="application/json", headers=SECURITY_HEADERS)
            errors = _api_errors(exc)
    if errors or body is None:
        if fragment:
            items = [{"field": box, "sv": text, "en": ""} for box, text in errors.items()]
            return Response(orjson.dumps({"errors": items}), status_code=422,
                            media_type="application/json", headers=SECURITY_HEADERS)
        first = next(iter(errors.values()), "Något gick fel.")
        errors.setdefault("formular", "Rätta uppgifterna nedan: " + first if len(errors) == 1 else
                          "Rätta uppgifterna nedan.")
        return _index_page(request, pack, form, errors, status=422)
    code = pack.resolve_kommun(data["kommun"])
    kommun_name = pack.kommuner[code].name if code in pack.kommuner else data["kommun"]
    html_answer = answer.render_answer(body, pack, kommun_name, served=served_version(request, pack), family=data)
    if fragment:
        return HTMLResponse(html_answer, headers=SECURITY_HEADERS)
    return _index_page(request, pack, form, answer=html_answer)


# --------------------------------------------------------------------------- kartläggning
_png_cache: dict[tuple[str, str], bytes] = {}
_png_lock = threading.Lock()


@router.get("/kartlaggning", response_class=HTMLResponse)
def kartlaggning(request: Request, vy: str = "kommun", kommun: str = "", alder: str = "",
                 niva: str = "", behov: str = "") -> HTMLResponse:
    """The whole län as an overview (counts, each linking to its detail); every cell with its
    insatser only for one kommun (per kommun) or one behov (per behov): small and fast."""
    pack = current_pack(request)
    matrix = _coverage(pack)
    view = "behov" if vy == "behov" else "kommun"
    need_codes = {c for c, _l in matrix.needs}
    filters = coverage_render.Filters(
        view=view,
        kommun=pack.resolve_kommun(kommun) if kommun else None,
        need=coverage_render.need_of_param(behov, need_codes) if view == "behov" else None,
        band=alder if alder in {b.key for b in AGE_BANDS} else None,
        level=Level(niva) if niva in {lv.value for lv in Level} else None,
    )
    detail = filters.kommun is not None if view == "kommun" else (filters.need is not None or filters.kommun is not None)
    total = matrix.counts()
    cells = list(matrix.cells.values())
    assumed = sum(c.basis == "antagande" for c in cells)
    nothing = sum(c.gap_reason == "inget_rekommenderas" for c in cells)
    summary = ", ".join(f"{coverage_render.STATUS_TEXT[s]}: {n}" for s, n in total.items())
    split = (f"Av de täckta cellerna är {assumed} täckta bara genom antagande; av gapen är {nothing} "
             f"sådana där reglerna inte rekommenderar något och {total[CellStatus.gap] - nothing} sådana där "
             "alla insatserna saknas.")
    filter_form = {
        "views": [("kommun", "Per kommun"), ("behov", "Per behov")], "view": filters.view,
        "kommuner": [("", "Alla kommuner"), *matrix.kommuner], "kommun": filters.kommun or "",
        "needs": [("", "Alla behov"), *((coverage_render.need_param(c), label) for c, label in matrix.needs)],
        "need": coverage_render.need_param(filters.need) if filters.need is not None else "",
        "bands": [("", "Alla åldrar"), *((b.key, b.label) for b in AGE_BANDS)], "band": filters.band or "",
        "levels": [("", "Alla nivåer"), *((lv.value, lv.value.capitalize()) for lv in Level)],
        "level": filters.level.value if filters.level else "",
    }
    served = served_version(request, pack)
    if matrix.verified_range:
        first, last = (answer.swedish_date(d) for d in matrix.verified_range)
        checked = f"Uppgifterna kontrollerades {first}" + (f" – {last}" if last != first else "") + "."
    else:
        checked = "Ingen av tillgångsuppgifterna har ett datum för när den kontrollerades."
    return page("kartlaggning.html", "Kartläggning", pack, "/kartlaggning", request=request,
                data_from=f"regelpaketet {served['text']}", checked=checked,
                summary=summary, split=split, filter=filter_form, legend=coverage_render.legend(with_grund=True),
                counts=coverage_render.counts(matrix, filters),
                view_title="Per behov" if filters.view == "behov" else "Per kommun",
                overview=None if detail else coverage_render.overview(matrix, filters),
                tables=coverage_render.tables(matrix, filters) if detail else [],
                png_height=_png_height(len(matrix.kommuner)), findings=coverage_render.findings(_findings(pack)))


# the matrix and the lint findings of a pack, worked out once per pack and day (the page is read
# far more often than the pack changes)
_coverage_cache: dict[tuple[str, str], Any] = {}
_coverage_lock = threading.Lock()


def _cached(kind: str, pack: Pack, build) -> Any:
    key = (kind, f"{id(pack)}:{pack.version}:{dt.date.today().isoformat()}")
    with _coverage_lock:
        found = _coverage_cache.get(key)
    if found is None:
        found = build(pack)
        with _coverage_lock:
            for old in [k for k in _coverage_cache if k[0] == kind]:
                del _coverage_cache[old]
            _coverage_cache[key] = found
    return found


def _coverage(pack: Pack):
    return _cached("coverage", pack, compute_coverage)


def _findings(pack: Pack):
    return _cached("findings", pack, lint_pack)


@router.get("/kartlaggning.csv")
def kartlaggning_csv(request: Request) -> Response:
    pack = current_pack(request)
    return Response(coverage_render.csv_text(_coverage(pack)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="kartlaggning.csv"', **SECURITY_HEADERS})


def _png_height(rows: int) -> int:
    return round((3.2 + 0.45 * max(rows, 1)) * 110)


@router.get("/kartlaggning.png")
def kartlaggning_png(request: Request) -> Response:
    pack = current_pack(request)
    key = (pack.version, dt.date.today().isoformat())
    with _png_lock:
        data = _png_cache.get(key)
        if data is None:
            data = coverage_render.png_bytes(_coverage(pack))
            _png_cache.clear()
            _png_cache[key] = data
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-cache"})


# --------------------------------------------------------------------------- strategi
@router.get("/strategi", response_class=HTMLResponse)
def strategi_page(request: Request) -> HTMLResponse:
    pack = current_pack(request)
    results, run = strategi_runs.served_results(pack, getattr(request.app.state, "feature_runner", None))
    features, results = strategi.living_documentation(results=results)
    return page("strategi.html", "Strategin i tester", pack, "/strategi", request=request,
                **strategi.page_view(features, results, run=run, served=served_version(request, pack)["text"],
                                     served_version=pack.version))


# --------------------------------------------------------------------------- API documentation
# Swagger UI and ReDoc from a PyPI package (fastapi-offline ships their standalone bundles), served
# by the service itself: no CDN, no third-party request, the pages' security headers.
try:
    import fastapi_offline as _docs_package

    DOCS_ASSETS = Path(_docs_package.__file__).resolve().parent / "static"
except ImportError:  # pragma: no cover - a pinned runtime dependency
    DOCS_ASSETS = STATIC_DIR / "docs-saknas"
DOCS_FILES = {"swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"}
# ReDoc's sidebar footer shows its maker's logo from a CDN, which the CSP (rightly) blocks. The
# bundle is served with that address replaced by an empty data: URL: the image fails at once, ReDoc's
# own onError drops it, and no request leaves the browser (the "API docs by Redocly" text stays).
DOCS_REWRITES = {"redoc.standalone.js": ((b'"https://cdn.redoc.ly/redoc/logo-mini.svg"', b'"data:,"'),)}


@lru_cache(maxsize=len(DOCS_FILES))
def _docs_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    for old, new in DOCS_REWRITES.get(path.name, ()):
        data = data.replace(old, new)
    return data


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    return html_response("docs.html", headers=SECURITY_HEADERS, title="API-dokumentation", swagger=True)


@router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    # ReDoc writes its styles into <style> elements (styled-components): only here inline
    # styles are allowed; scripts stay 'self' only
    csp = SECURITY_HEADERS["Content-Security-Policy"] + "; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"
    return html_response("docs.html", headers={**SECURITY_HEADERS, "Content-Security-Policy": csp},
                         title="API-dokumentation (ReDoc)", swagger=False)


@router.get("/static/docs/{name}")
def docs_asset(name: str) -> Response:
    path = DOCS_ASSETS / name
    if name not in DOCS_FILES or not path.is_file():
        return Response("Finns inte", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(_docs_bytes(path), media_type=STATIC_TYPES[path.suffix],
                    headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


# --------------------------------------------------------------------------- static
@router.get("/static/{name}")
def static(name: str) -> Response:
    return static_file(STATIC_DIR, name)
