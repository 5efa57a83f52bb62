"""The report's pages: `/uppfoljning` (the län), `/uppfoljning/{kommunkod}` (one kommun, the
återkoppling the strategy asks for), their print view (`?utskrift=1`, and print CSS on every
page), the map's indicator chosen by a GET form (`karta=`), and `/uppfoljning.csv`: the
contract's CSV of the same protected cells (the JSON is GET /v1/uppfoljning). What the pages
show is chosen in view.py; the HTML is in templates/.
"""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service.core import deciding
from service.core.errors import ApiError
from service.core.staticfiles import static_file
from service.pages import web

from . import karta, report, view
from .routes import database_of

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE = "/uppfoljning"

router = APIRouter(include_in_schema=False)


def _url(request: Request) -> str | None:
    try:
        return database_of(request.app)
    except ApiError:
        return None  # no database: the page shows the pack's indicators and says so


def _period(raw: str | None) -> str | None:
    import datetime as dt

    if not raw:
        return str(dt.date.today().year)
    return raw if re.fullmatch(r"\d{4}", raw) and 2000 <= int(raw) <= 2100 else None


def _not_found(pack, message: str, status: int = 404, title: str = "Sidan finns inte") -> HTMLResponse:
    return web.page("uppfoljning_fel.html", title, pack, PAGE, status=status, message=message)


async def _render(request: Request, code: str | None, period: str | None, karta_choice: str | None,
                  utskrift: str | None) -> HTMLResponse:
    pack = deciding.state_of(request).engine.pack
    p = _period(period)
    if p is None:
        return _not_found(pack, "Perioden ska vara ett årtal, till exempel 2026.", status=422,
                          title="Perioden går inte att läsa")
    choice = karta.choice_of(karta_choice)
    printing = utskrift == "1"
    ctx = await asyncio.to_thread(view.context, pack, p, code, _url(request), choice, printing)
    title = f"Uppföljning {p} – {ctx['kommun_name']}" if code else f"Uppföljning {p} – länet"
    return web.page("uppfoljning.html", title, pack, PAGE, **ctx)


@router.get(PAGE, response_class=HTMLResponse)
async def lan_page(request: Request, period: str | None = None, karta: str | None = None,
                   utskrift: str | None = None) -> HTMLResponse:
    return await _render(request, None, period, karta, utskrift)


@router.get(PAGE + ".csv")
async def report_csv(request: Request, period: str | None = None, kommun: str | None = None) -> Response:
    pack = deciding.state_of(request).engine.pack
    p = _period(period)
    code = None
    if kommun:
        code = pack.resolve_kommun(kommun)
    if p is None or (kommun and code is None):
        return Response("Fel: okänd period eller kommun (ange period som årtal och kommun som namn eller kommunkod)\n",
                        status_code=422, media_type="text/plain; charset=utf-8")
    url = _url(request)
    body = view.report_or_none(pack, p, code, url) if url else None
    if body is None:
        return Response("Uppföljningens databas svarar inte just nu; försök igen senare.\n", status_code=503,
                        media_type="text/plain; charset=utf-8")
    name = f"uppfoljning-{p}" + (f"-{code}" if code else "") + ".csv"
    return Response(report.to_csv(body), media_type="text/csv; charset=utf-8",
                    headers={**web.SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})


@router.get(PAGE + "/static/{name}")
def static(name: str) -> Response:
    return static_file(STATIC_DIR, name)


@router.get(PAGE + "/{kommunkod}", response_class=HTMLResponse)
async def kommun_page(request: Request, kommunkod: str, period: str | None = None, karta: str | None = None,
                      utskrift: str | None = None) -> HTMLResponse:
    pack = deciding.state_of(request).engine.pack
    if kommunkod not in pack.kommuner:
        return _not_found(pack, "Det finns ingen kommun med den kommunkoden i regelpaketet. "
                                "Välj en kommun på kartan eller i tabellen över länets kommuner.")
    return await _render(request, kommunkod, period, karta, utskrift)
