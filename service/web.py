"""The staff web pages: `/` (the form), `/kartlaggning` (gaps per kommun), `/strategi` (living
documentation), and their static files. Plain HTML rendered here from the pack; the form posts
to the JSON API from /static/app.js. No personal data fields; nothing is stored.
"""
from __future__ import annotations

import datetime as dt
import html
import threading
from functools import lru_cache
from pathlib import Path
from string import Template

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from engine import Engine, Pack, load_pack
from engine.coverage import AGE_BANDS, compute_coverage
from engine.lint import lint_pack
from engine.models import Level

from . import coverage as coverage_render
from . import strategi

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


def _kommun_options(pack: Pack) -> str:
    kommuner = sorted(pack.kommuner.values(), key=lambda k: k.name)
    return "\n".join(f'      <option value="{e(k.code)}">{e(k.name)}</option>' for k in kommuner)


def _needs_groups(pack: Pack) -> str:
    groups: dict[str, list] = {}
    for need in pack.needs.values():
        groups.setdefault(need.group, []).append(need)
    out = []
    for gi, (group, needs) in enumerate(groups.items()):
        boxes = "".join(
            f'<div class="kryss"><input type="checkbox" id="behov-{e(n.code)}" name="needs" value="{e(n.code)}">'
            f'<label for="behov-{e(n.code)}">{e(n.label)}</label></div>'
            for n in needs)
        out.append(f'    <fieldset class="behovsgrupp" id="behovsgrupp-{gi}"><legend>{e(group)}</legend>{boxes}</fieldset>')
    return "\n".join(out)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    pack = current_pack(request)
    main = _template("index.html").substitute(
        kommun_options=_kommun_options(pack), needs_groups=_needs_groups(pack))
    return page("Rekommendation", main + '\n<script src="/static/app.js" defer></script>', pack, "/")


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


@router.get("/strategi", response_class=HTMLResponse)
def strategi_page(request: Request) -> HTMLResponse:
    pack = current_pack(request)
    features, results = strategi.living_documentation()
    total = sum(len(f.scenarios) for f in features)
    counts = {k: 0 for k in STATUS_CLASS}
    for f in features:
        for s in f.scenarios:
            counts[s.status] += 1
    if results.generated:
        rs = results.ruleset or {}
        run = (f"Senaste körning {e(str(results.generated))} mot regelpaket "
               f"{e(str(rs.get('name', '?')))} {e(str(rs.get('version', '?')))}.")
    else:
        run = "Beteendetesterna har inte körts här ännu (ingen resultatfil)."
    if results.error:
        run += f" Obs: {e(results.error)}."
    summary = (f"{total} scenarier – godkända: {counts['passed']}, underkända: {counts['failed']}, "
               f"inte körda: {counts[None]}.")
    parts = [f"""
<h1>Strategin i tester</h1>
<p class="ingress">Varje beteendebeskrivning nedan (Gherkin, på svenska) kodar en del av
<cite>Regional strategi för föräldraskapsstöd 2024–2030</cite> och körs mot regelpaketet. {run}</p>
<p class="sammanfattning">{summary}</p>"""]
    if not features:
        parts.append("<p>Inga beteendebeskrivningar hittades.</p>")
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
        for sc in feat.scenarios:
            status = strategi.STATUS_TEXT[sc.status]
            own = [s for s in sc.sections if s not in feat.sections]
            own_sources = [s for s in sc.sources if s not in feat.sources]
            parts.append('<article class="scenario">')
            parts.append(f'<h3>{e(sc.name)} <span class="resultat resultat-{STATUS_CLASS[sc.status]}">'
                         f'{e(status)}</span></h3>')
            if own or own_sources:
                parts.append(f'<p class="meta">{_sections_html(own, own_sources)}</p>')
            parts.append(f'<ul class="steg">{_steps_html(sc.steps)}</ul>')
            for table in sc.examples:
                head = "".join(f'<th scope="col">{e(c)}</th>' for c in table[0])
                body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in table[1:])
                parts.append(f'<table class="exempel"><caption>Exempel</caption><thead><tr>{head}</tr></thead>'
                             f"<tbody>{body}</tbody></table>")
            parts.append("</article>")
        parts.append("</section>")
    return page("Strategin i tester", "\n".join(parts), pack, "/strategi")


# --------------------------------------------------------------------------- static
@router.get("/static/{name}")
def static(name: str) -> Response:
    path = STATIC_DIR / name
    media = STATIC_TYPES.get(path.suffix)
    if media is None or "/" in name or name.startswith(".") or not path.is_file():
        return Response("Finns inte", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(path.read_bytes(), media_type=media,
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
