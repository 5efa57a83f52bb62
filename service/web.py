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
from engine.coverage import compute_coverage
from engine.lint import lint_pack

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
    return page("Rekommendation", main + '\n<script src="/static/prefill.js" defer></script>'
                '\n<script src="/static/app.js" defer></script>', pack, "/")


# --------------------------------------------------------------------------- kartläggning
_png_cache: dict[tuple[str, str], bytes] = {}
_png_lock = threading.Lock()


@router.get("/kartlaggning", response_class=HTMLResponse)
def kartlaggning(request: Request) -> HTMLResponse:
    pack = current_pack(request)
    matrix = compute_coverage(pack)
    findings = lint_pack(pack)
    counts = matrix.counts()
    summary = ", ".join(f"{coverage_render.STATUS_TEXT[a]}: {n}" for a, n in counts.items())
    main = f"""
<h1>Kartläggning: var finns stödet, och var saknas det?</h1>
<p class="ingress">För varje kommun, åldersband och preventionsnivå: finns det en insats i
regelpaketet som kommunen erbjuder? Bygger på regelpaketets tillgångsuppgifter
({e(matrix.day.isoformat())}). Antal celler – {e(summary)}.</p>
<details class="metod"><summary>Så räknas en cell</summary>
<p>Universell nivå: regler utan behovsvillkor. Selektiv och indikerad nivå: alla regler på nivån,
oavsett vilket behov de kräver. En regel räknas för ett åldersband om dess ålder överlappar bandet
(att en regel slutar på bandets första månad, t.ex. 0–6 år mot 6–13 år, räknas inte). <strong>finns</strong>:
minst en av insatserna finns i kommunen; <strong>saknas</strong>: ingen insats, eller alla saknas;
<strong>okänd</strong>: annars.</p></details>
<div class="kartlaggning">
  <section class="karta" aria-labelledby="karta-rubrik">
    <h2 id="karta-rubrik">Värmekarta</h2>
    {coverage_render.legend_html()}
    <img class="heatmap" src="/kartlaggning.png" width="1760" height="{_png_height(len(matrix.kommuner))}"
         alt="Värmekarta över tillgång per kommun, åldersband och nivå. Samma uppgifter finns i tabellen nedan.">
    <h2 id="tabell-rubrik">Tabell</h2>
    <div class="tabell-rulla" role="region" aria-labelledby="tabell-rubrik" tabindex="0">
      {coverage_render.table_html(matrix)}
    </div>
  </section>
  <section class="anmarkningar" aria-labelledby="anm-rubrik">
    <h2 id="anm-rubrik">Anmärkningar på regelpaketet ({len(findings)})</h2>
    {coverage_render.findings_html(findings)}
  </section>
</div>
"""
    return page("Kartläggning", main, pack, "/kartlaggning")


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
