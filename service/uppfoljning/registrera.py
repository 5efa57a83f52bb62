"""The staff page's *Registrera i uppföljningen* (issue 20 item 1): the form under the answer on
`/` (templates/answer.html) posts here, form-encoded, and this page router counts the assessment
through the same code as `POST /v1/uppfoljning` (routes.register_assessment). The form's hidden
random `registrering` token makes a double click or a reload count once. Only counters are
stored; nothing of the family is kept or logged. CDS Hooks never comes here.
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.core.errors import ApiError
from service.pages import web

from . import routes

router = APIRouter(include_in_schema=False)
FIELDS = {"registrering", "kommun", "age_months", "vantar", "needs", "erbjudna"}


def _form(raw: bytes) -> tuple[dict, str | None]:
    data: dict = {"needs": [], "erbjudna": []}
    key = None
    for name, value in parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True):
        if name in ("needs", "erbjudna"):
            data[name].append(value)
        elif name == "registrering":
            key = value
        elif name == "kommun":
            data["kommun"] = value
        elif name == "age_months" and value.isdigit():
            data["age_months"] = int(value)
        elif name == "vantar" and value:
            data["expecting"] = True
    return data, key


@router.post("/uppfoljning/registrera", response_class=HTMLResponse)
async def register_page(request: Request) -> HTMLResponse:
    pack = web.current_pack(request)
    data, key = _form(await request.body())
    status, ok, message = 200, True, ""
    if key is not None and not routes.valid_token(key):
        key = None
    try:
        period = await routes.register_assessment(request, data, key)
        message = f"Registrerat i uppföljningen för {period}. Inget om familjen sparas."
    except ApiError as exc:
        ok, status = False, exc.status
        if exc.status == 503:
            message = ("Det gick inte att registrera: uppföljningens databas svarar inte just nu. "
                       "Försök igen senare. Svaret till familjen påverkas inte.")
        else:
            message = "Det gick inte att registrera: " + "; ".join(i.sv for i in exc.items)
    return web.page("registrerat.html", "Registrera i uppföljningen", pack, "/", status=status,
                    request=request, ok=ok, message=message)
