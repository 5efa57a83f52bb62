"""The staff web pages: `/` (the form), `/kartlaggning` (gaps per kommun), `/strategi` (living
documentation), /docs and /redoc (offline), and their static files. Plain HTML rendered here from
the pack. The form on / posts to / (form-encoded, never in the URL) and gets the answer rendered by
service/answer.py through the same decision path as the JSON API; app.js sends the same form and
shows the same HTML without reloading. No personal data fields; nothing is stored.
"""
from __future__ import annotations

import datetime as dt
import html
import threading
from functools import lru_cache
from collections.abc import Mapping
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from engine import Engine, Pack, load_pack
from engine.coverage import AGE_BANDS, compute_coverage
from engine.lint import lint_pack
from engine.models import Level

from . import coverage as coverage_render
from . import strategi
from . import answer, api  # noqa: I001  (kept apart: fewer merge conflicts)
from .errors import ApiError

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".svg": "image/svg+xml"}
# Our pages have no inline scripts or styles: everything comes from /static.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
NAV = (("/", "Rekommendation"), ("/kartlaggning", "Kartläggning"), ("/strategi", "Strategin i tester"))

router = APIRouter(include_in_schema=False)
e = html.escape


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
    from .state import rules_dir  # the same env variable the API reads

    with _fallback_lock:
        return _fallback_pack(str(rules_dir()))


# --------------------------------------------------------------------------- rendering
@lru_cache(maxsize=8)
def _template(name: str) -> Template:
    return Template((TEMPLATES_DIR / name).read_text(encoding="utf-8"))


def page(title: str, main: str, pack: Pack, path: str) -> HTMLResponse:
    current = ' aria-current="page"'
    nav = "".join(
        f'<li><a href="{href}"{current if href == path else ""}>{e(label)}</a></li>' for href, label in NAV)
    body = _template("layout.html").substitute(
        title=e(title), nav=nav, main=main, head="", ruleset=e(f"{pack.name} {pack.version}"))
    return HTMLResponse(body, headers=SECURITY_HEADERS)


def _kommun_options(pack: Pack, selected: str = "") -> str:
    kommuner = sorted(pack.kommuner.values(), key=lambda k: k.name)
    return "\n".join(
        f'      <option value="{e(k.code)}"{" selected" if k.code == selected else ""}>{e(k.name)}</option>'
        for k in kommuner)


def _needs_groups(pack: Pack, checked: frozenset[str] | set[str] = frozenset()) -> str:
    groups: dict[str, list] = {}
    for need in pack.needs.values():
        groups.setdefault(need.group, []).append(need)
    out = []
    for gi, (group, needs) in enumerate(groups.items()):
        boxes = "".join(
            f'<div class="kryss"><input type="checkbox" id="behov-{e(n.code)}" name="needs" value="{e(n.code)}"'
            f'{" checked" if n.code in checked else ""}>'
            f'<label for="behov-{e(n.code)}">{e(n.label)}</label></div>'
            for n in needs)
        out.append(f'    <fieldset class="behovsgrupp" id="behovsgrupp-{gi}"><legend>{e(group)}</legend>{boxes}</fieldset>')
    return "\n".join(out)


EMPTY_ANSWER = '<p class="tom">Fyll i formuläret för att se rekommendationer.</p>'
# which error box on the form shows an error for an API field
ERROR_BOX = {"kommun": "kommun", "age_months": "alder", "expecting": "alder", "needs": "behov"}


def _index_page(request: Request, pack: Pack, form: Mapping[str, Any] | None = None,
                errors: Mapping[str, str] | None = None, answer: str = "", status: int = 200) -> HTMLResponse:
    form = form or {}
    errors = errors or {}
    values: dict[str, str] = {
        "kommun_options": _kommun_options(pack, form.get("kommun", "")),
        "needs_groups": _needs_groups(pack, set(form.get("needs", ()))),
        "alder_ar": e(form.get("alder_ar", "")),
        "alder_man": e(form.get("alder_man", "0") or "0"),
        "vantar_checked": " checked" if form.get("vantar") else "",
        "answer": answer or EMPTY_ANSWER,
        "kommun_invalid": ' aria-invalid="true"' if "kommun" in errors else "",
        "alder_invalid": ' aria-invalid="true"' if "alder" in errors else "",
    }
    for box in ("formular", "kommun", "alder", "behov"):
        values[f"{box}_error"] = e(errors.get(box, ""))
        values[f"{box}_error_hidden"] = "" if box in errors else " hidden"
    values["form_error"], values["form_error_hidden"] = values.pop("formular_error"), values.pop("formular_error_hidden")
    main = _template("index.html").substitute(values)
    # prefill.js first: it fills the form from a journal system's link (URL fragment), then app.js
    scripts = ('\n<script src="/static/prefill.js" defer></script>'
               '\n<script src="/static/app.js" defer></script>')
    response = page("Rekommendation", main + scripts, pack, "/")
    response.status_code = status
    return response


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
            family = api.family_from(data)
            body = orjson.loads(await api.decide_async(api.state_of(request), family))
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
    html_answer = answer.render_answer(body, pack, kommun_name)
    if fragment:
        return HTMLResponse(html_answer, headers=SECURITY_HEADERS)
    return _index_page(request, pack, form, answer=html_answer)


# --------------------------------------------------------------------------- kartläggning
_png_cache: dict[tuple[str, str], bytes] = {}
_png_lock = threading.Lock()


@router.get("/kartlaggning", response_class=HTMLResponse)
def kartlaggning(request: Request, vy: str = "kommun", kommun: str = "", alder: str = "",
                 niva: str = "") -> HTMLResponse:
    pack = current_pack(request)
    matrix = compute_coverage(pack)
    findings = lint_pack(pack)
    filters = coverage_render.Filters(
        view="behov" if vy == "behov" else "kommun",
        kommun=pack.resolve_kommun(kommun) if kommun else None,
        band=alder if alder in {b.key for b in AGE_BANDS} else None,
        level=Level(niva) if niva in {lv.value for lv in Level} else None,
    )
    total = matrix.counts()
    summary = ", ".join(f"{coverage_render.STATUS_TEXT[s]}: {n}" for s, n in total.items())

    def options(pairs, chosen) -> str:
        return "".join(f'<option value="{e(v)}"{" selected" if v == chosen else ""}>{e(label)}</option>'
                       for v, label in pairs)

    kommun_opts = options([("", "Alla kommuner"), *((c, n) for c, n in matrix.kommuner)], filters.kommun or "")
    band_opts = options([("", "Alla åldrar"), *((b.key, b.label) for b in AGE_BANDS)], filters.band or "")
    level_opts = options([("", "Alla nivåer"), *((lv.value, lv.value.capitalize()) for lv in Level)],
                         filters.level.value if filters.level else "")
    view_opts = options([("kommun", "Per kommun"), ("behov", "Per behov")], filters.view)
    view_title = "Per behov" if filters.view == "behov" else "Per kommun"
    main = f"""
<link rel="stylesheet" href="/static/kartlaggning.css">
<h1>Kartläggning: var finns stödet, och var finns gapen?</h1>
<p class="ingress">För varje kommun, åldersband och behov: rekommenderar reglerna en insats, och finns
den i kommunen? Bygger på regelpaketets tillgångsuppgifter ({e(matrix.day.isoformat())}).
Alla celler – {e(summary)}. Öppna en cell för att se insatserna, grunden för uppgiften och när den
kontrollerades.</p>
<details class="metod"><summary>Så räknas en cell</summary>
<p>En cell är en kommun, ett åldersband och ett behov (eller inget särskilt behov, det universella
stödet). <strong>täckt</strong>: minst en av insatserna som reglerna rekommenderar där finns i
kommunen. <strong>gap</strong>: reglerna rekommenderar ingenting där, eller alla insatserna saknas i
kommunen. <strong>okänd</strong>: annars – någon insats rekommenderas men det är inte känt om kommunen
har den. Ett streck betyder att behovet inte kan finnas i åldern (till exempel barnets behov innan
barnet är fött). Åldrar i hela år: "3–5 år" är från 3-årsdagen till 6-årsdagen.</p></details>
<form class="kart-filter" method="get" action="/kartlaggning" aria-label="Filter för kartläggningen">
  <div><label for="f-vy">Visa</label><select id="f-vy" name="vy">{view_opts}</select></div>
  <div><label for="f-kommun">Kommun</label><select id="f-kommun" name="kommun">{kommun_opts}</select></div>
  <div><label for="f-alder">Åldersband</label><select id="f-alder" name="alder">{band_opts}</select></div>
  <div><label for="f-niva">Nivå</label><select id="f-niva" name="niva">{level_opts}</select></div>
  <div><button type="submit">Visa urvalet</button></div>
</form>
{coverage_render.legend_html()}
<p><a href="/kartlaggning.csv">Ladda ner hela kartläggningen som CSV</a> (en rad per kommun, åldersband och behov).</p>
<section aria-labelledby="antal-h"><h2 id="antal-h">Täckt, gap och okänd per kommun</h2>
{coverage_render.counts_html(matrix, filters)}</section>
<section class="vy" aria-labelledby="vy-h"><h2 id="vy-h">{e(view_title)}</h2>
{coverage_render.tables_html(matrix, filters)}</section>
<section aria-labelledby="karta-rubrik"><h2 id="karta-rubrik">Värmekarta</h2>
<img class="heatmap" src="/kartlaggning.png" width="1760" height="{_png_height(len(matrix.kommuner))}"
     alt="Värmekarta: sämsta cellen per kommun, åldersband och nivå. Samma uppgifter finns i tabellerna ovan.">
</section>
<section class="anmarkningar" aria-labelledby="anm-rubrik">
  <h2 id="anm-rubrik">Anmärkningar på regelpaketet ({len(findings)})</h2>
  {coverage_render.findings_html(findings)}
</section>
"""
    return page("Kartläggning", main, pack, "/kartlaggning")


@router.get("/kartlaggning.csv")
def kartlaggning_csv(request: Request) -> Response:
    pack = current_pack(request)
    return Response(coverage_render.csv_text(compute_coverage(pack)), media_type="text/csv; charset=utf-8",
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
            data = coverage_render.png_bytes(compute_coverage(pack))
            _png_cache.clear()
            _png_cache[key] = data
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-cache"})


# --------------------------------------------------------------------------- strategi
STATUS_CLASS = {"passed": "godkand", "failed": "underkand", None: "ej-kord"}


def _steps_html(steps) -> str:
    return "".join(f'<li><span class="nyckelord">{e(s.keyword)}</span> {e(s.text)}</li>' for s in steps)


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def _sections_html(sections: list[str], sources: list[str]) -> str:
    badges = [f'<span class="avsnitt">Strategin, {e(s)}</span>' for s in sections]
    badges += [f'<span class="kalla">{e(s)}</span>' for s in sources]
    return " ".join(badges) if badges else '<span class="avsnitt saknas">ingen källa angiven</span>'


def _expected_runs(sc) -> int:
    """How many scenarios `foraldrastod test` runs for this one: one per example row of an outline."""
    rows = sum(max(len(table) - 1, 0) for table in sc.examples)
    return rows or 1


def _run_counts(features) -> dict:
    """Scenario counts the way `foraldrastod test` counts them (outline rows one by one)."""
    counts = {"total": 0, "passed": 0, "failed": 0, None: 0}
    for f in features:
        for sc in f.scenarios:
            expected = _expected_runs(sc)
            counts["total"] += expected
            if sc.status is None:
                counts[None] += expected
            elif sc.status == "passed":
                counts["passed"] += expected
            else:  # some rows failed: count the rows that ran and did not pass
                failed = max(1, min(expected, sc.failed_runs or 1))
                counts["failed"] += failed
                counts["passed"] += max(expected - failed, 0)
    return counts


def swedish_timestamp(value: str) -> str:
    """'2026-11-24T01:50:00+00:00' -> '24 november 2026 kl. 01.50 (UTC)'."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    zone = " (UTC)" if moment.utcoffset() == dt.timedelta(0) else ""
    return f"{answer.swedish_date(moment)} kl. {moment:%H.%M}{zone}"


@router.get("/strategi", response_class=HTMLResponse)
def strategi_page(request: Request) -> HTMLResponse:
    pack = current_pack(request)
    features, results = strategi.living_documentation()
    counts = _run_counts(features)
    if results.generated:
        rs = results.ruleset or {}
        run = (f"Senaste körning {e(swedish_timestamp(str(results.generated)))} mot regelpaket "
               f"{e(str(rs.get('name', '?')))} {e(str(rs.get('version', '?')))}.")
    else:
        run = "Beteendetesterna har inte körts här ännu (ingen resultatfil)."
    if results.error:
        run += f" Obs: {e(results.error)}."
    summary = (f"{counts['total']} scenarier – godkända: {counts['passed']}, underkända: {counts['failed']}, "
               f"inte körda: {counts[None]}. Ett scenario med en exempeltabell räknas en gång per rad, "
               f"som när <code>foraldrastod test</code> kör dem.")
    parts = [f"""
<h1>Strategin i tester</h1>
<p class="ingress">Varje beteendebeskrivning nedan (Gherkin, på svenska) kodar en del av
<cite>Regional strategi för föräldraskapsstöd 2024–2030</cite> och körs mot regelpaketet. {run}</p>
<p class="sammanfattning">{summary}</p>"""]
    if not features:
        parts.append("<p>Inga beteendebeskrivningar hittades.</p>")
    else:
        items = "".join(
            f'<li><a href="#egenskap-{fi}">{e(feat.name)}</a> '
            f'<span class="antal">({sum(_expected_runs(sc) for sc in feat.scenarios)} scenarier)</span></li>'
            for fi, feat in enumerate(features))
        parts.append(f'<nav class="innehall" aria-labelledby="innehall-rubrik"><h2 id="innehall-rubrik">Innehåll</h2>'
                     f'<ol>{items}</ol></nav>')
    for fi, feat in enumerate(features):
        parts.append(f'<section class="egenskap" aria-labelledby="egenskap-{fi}">')
        parts.append(f'<h2 id="egenskap-{fi}">{e(feat.name)}</h2>')
        # a feature without tags of its own is shown with the parts its scenarios name
        sections = feat.sections or _unique(s for sc in feat.scenarios for s in sc.sections)
        sources = feat.sources or _unique(s for sc in feat.scenarios for s in sc.sources)
        parts.append(f'<p class="meta">{_sections_html(sections, sources)} '
                     f'<span class="fil">{e(feat.file)}</span></p>')
        if feat.error:
            parts.append(f'<p class="fel-text">Filen kunde inte tolkas: {e(feat.error)}</p>')
        if feat.description:
            parts.append(f"<p>{e(feat.description)}</p>")
        if feat.background:
            parts.append(f'<div class="bakgrund"><h3>Bakgrund</h3><ul class="steg">{_steps_html(feat.background)}</ul></div>')
        for si, sc in enumerate(feat.scenarios):
            status = strategi.STATUS_TEXT[sc.status]
            own = [s for s in sc.sections if s not in feat.sections]
            own_sources = [s for s in sc.sources if s not in feat.sources]
            parts.append('<article class="scenario">')
            parts.append(f'<h3>{e(sc.name)} <span class="resultat resultat-{STATUS_CLASS[sc.status]}">'
                         f'{e(status)}</span></h3>')
            if own or own_sources:
                parts.append(f'<p class="meta">{_sections_html(own, own_sources)}</p>')
            parts.append(f'<ul class="steg">{_steps_html(sc.steps)}</ul>')
            for ti, table in enumerate(sc.examples):
                head = "".join(f'<th scope="col">{e(c)}</th>' for c in table[0])
                body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in table[1:])
                label = f"exempel-{fi}-{si}-{ti}"
                parts.append(f'<div class="tabell-rulla" role="region" aria-labelledby="{label}" tabindex="0">'
                             f'<table class="exempel"><caption id="{label}">Exempel ({len(table) - 1} rader)</caption>'
                             f'<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')
            parts.append("</article>")
        parts.append('<p class="till-innehall"><a href="#innehall-rubrik">Till innehållet</a></p>')
        parts.append("</section>")
    return page("Strategin i tester", "\n".join(parts), pack, "/strategi")


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


def _docs_page(title: str, head: str, body: str, csp: str | None = None) -> HTMLResponse:
    return HTMLResponse(f"""<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} – Beslutsstöd för föräldraskapsstöd</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
{head}
</head>
<body>
{body}
</body>
</html>""", headers={**SECURITY_HEADERS, **({"Content-Security-Policy": csp} if csp else {})})


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    return _docs_page(
        "API-dokumentation",
        '<link rel="stylesheet" href="/static/docs/swagger-ui.css">\n'
        '<link rel="stylesheet" href="/static/docs.css">',
        '<header class="docs-header"><p><a href="/">Beslutsstöd för föräldraskapsstöd</a> · '
        '<a href="/redoc">Samma dokumentation som ReDoc</a></p></header>\n'
        '<main id="swagger-ui" aria-label="API-dokumentation"></main>\n'
        '<script src="/static/docs/swagger-ui-bundle.js"></script>\n'
        '<script src="/static/docs-a11y.js"></script>\n'
        '<script src="/static/docs-swagger.js"></script>')


@router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    return _docs_page(
        "API-dokumentation (ReDoc)",
        '<link rel="stylesheet" href="/static/docs.css">',
        '<main id="redoc" aria-label="API-dokumentation"></main>\n'
        '<script src="/static/docs/redoc.standalone.js"></script>\n'
        '<script src="/static/docs-a11y.js"></script>\n'
        '<script src="/static/docs-redoc.js"></script>',
        # ReDoc writes its styles into <style> elements (styled-components): only here inline
        # styles are allowed; scripts stay 'self' only
        csp=SECURITY_HEADERS["Content-Security-Policy"] + "; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:")


@router.get("/static/docs/{name}")
def docs_asset(name: str) -> Response:
    path = DOCS_ASSETS / name
    if name not in DOCS_FILES or not path.is_file():
        return Response("Finns inte", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(_docs_bytes(path), media_type=STATIC_TYPES[path.suffix],
                    headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


# --------------------------------------------------------------------------- static
def static_file(directory: Path, name: str) -> Response:
    """A CSS, JS or image file straight from `directory` (no sub-paths, no hidden files)."""
    path = directory / name
    media = STATIC_TYPES.get(path.suffix)
    if media is None or "/" in name or name.startswith(".") or not path.is_file():
        return Response("Finns inte", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(path.read_bytes(), media_type=media,
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


@router.get("/static/{name}")
def static(name: str) -> Response:
    return static_file(STATIC_DIR, name)
