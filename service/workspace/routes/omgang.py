"""The follow-up round's pages in /redaktion (issue 20 item 4) and the list of assumption-based
rules (issue 18 item 24): `/redaktion/uppfoljning…` and `/redaktion/antaganden`.

A granskare opens a round and approves each kommun's answers; a samordnare answers for their own
kommun, each question beside the passage it follows up, confirms the kommun's offer with the
kartläggning form, and submits. Pages are Jinja2 templates extending redaktion/layout.html
(templates/redaktion/uppfoljning*.html, antaganden.html); every form
carries the session's CSRF token and is checked for its origin (`login` on a POST); the store
(service/workspace/rounds.py) checks roles again.
"""
from __future__ import annotations

import datetime as dt
import urllib.parse

from fastapi import APIRouter, Depends, Request

from engine.models import looks_like_personnummer

from .. import assumed, rounds
from .common import Problem, database, form_body, guarded, login, one, redirect, render

router = APIRouter(prefix="/redaktion")

ANSWER_CHOICES = {"ja_nej": (("ja", "Ja"), ("nej", "Nej")),
                  "ja_nej_delvis": (("ja", "Ja"), ("delvis", "Delvis"), ("nej", "Nej"))}
MALOMRADE = {1: "Målområde 1 – Ett kunskapsbaserat arbetssätt", 2: "Målområde 2 – Ett tillgängligt stöd",
             3: "Målområde 3 – En stödjande organisation"}


def _page(ctx, title: str, template: str, path: str = "/redaktion/uppfoljning", status: int = 200, **context):
    return render(ctx, template, status=status, title=title, path=path, **context)


def _done(url: str, text: str):
    return redirect(f"{url}?klart={urllib.parse.quote(text)}")


# --------------------------------------------------------------------------- the rounds
@router.get("/uppfoljning")
@guarded
def rounds_page(request: Request, klart: str = ""):
    with database() as s:
        ctx = login(request, s, ("granskare", "redaktor", "samordnare"))
        all_rounds = rounds.rounds(s)
        if ctx.user.role == "samordnare" and all_rounds:
            return redirect(f"/redaktion/uppfoljning/{all_rounds[0].period}/{ctx.user.kommun}")
        return _rounds_page(s, ctx, klart=klart)


def _rounds_page(s, ctx, klart: str = "", error: str = "", values: dict | None = None, status: int = 200):
    year = dt.date.today().year
    return _page(ctx, "Uppföljning", "redaktion/uppfoljning.html", status=status, klart=klart, error=error,
                 rounds=[{"name": r.name, "period": r.period, "closes_on": r.closes_on.isoformat(),
                          "open": rounds.is_open(r), "opened_by": r.opened_by, "opened_at": r.opened_at,
                          "statuses": rounds.kommun_statuses(s, r.period)} for r in rounds.rounds(s)],
                 may_open=ctx.user.role == "granskare", questions=len(rounds.store._current_pack(s).questions),
                 values=values or {"period": str(year), "closes_on": dt.date(year, 5, 31).isoformat(), "name": ""})


@router.post("/uppfoljning")
@guarded
def open_round(request: Request, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("granskare",), form)
        values = {k: one(form, k).strip() for k in ("period", "closes_on", "name")}
        try:
            closes_on = dt.date.fromisoformat(values["closes_on"])
        except ValueError:
            return _rounds_page(s, ctx, error="Skriv sista dag som ÅÅÅÅ-MM-DD.", values=values, status=422)
        try:
            rnd = rounds.open_round(s, ctx.user, values["period"], closes_on, values["name"] or None)
        except rounds.store.Invalid as exc:
            return _rounds_page(s, ctx, error=str(exc), values=values, status=422)
        period, name = rnd.period, rnd.name
    return _done(f"/redaktion/uppfoljning/{period}", f"{name} är öppnad.")


@router.get("/uppfoljning/{period}")
@guarded
def round_page(request: Request, period: str, klart: str = ""):
    with database() as s:
        ctx = login(request, s, ("granskare", "redaktor", "samordnare"))
        rnd = rounds.get_round(s, period)
        if ctx.user.role == "samordnare":
            return redirect(f"/redaktion/uppfoljning/{rnd.period}/{ctx.user.kommun}")
        statuses = rounds.kommun_statuses(s, rnd.period)
        counts = {k: sum(1 for x in statuses if x["status"] == k) for k in rounds.STATUS_TITLES}
        return _page(ctx, rnd.name, "redaktion/uppfoljning_omgang.html", klart=klart, round=rnd, open=rounds.is_open(rnd),
                     statuses=statuses, counts=counts, titles=rounds.STATUS_TITLES,
                     may_close=ctx.user.role == "granskare" and rnd.closed_at is None)


@router.post("/uppfoljning/{period}/stang")
@guarded
def close_round(request: Request, period: str, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("granskare",), form)
        rnd = rounds.close_round(s, ctx.user, period)
        period, name = rnd.period, rnd.name
    return _done(f"/redaktion/uppfoljning/{period}", f"{name} är stängd.")


# --------------------------------------------------------------------------- one kommun
def _kommun_page(s, ctx, rnd, code: str, klart: str = "", error: str = "", details: list[str] | None = None,
                 values: dict | None = None, status: int = 200):
    row = next(k for k in rounds.kommun_statuses(s, rnd.period) if k["kommunkod"] == code)
    saved = rounds.answers_of(s, rnd, code)
    own = ctx.user.role == "samordnare" and ctx.user.kommun == code
    editable = own and rounds.is_open(rnd) and row["status"] in ("ej_paborjad", "paborjad")
    pack = rounds.store._current_pack(s)
    okand = [(i, pack.insatser[i].name) for i in rounds.okand_insatser(s, code)]
    prev = rounds.previous_round(s, rnd)
    previous = rounds.answers_of(s, prev, code) if prev is not None else {}
    questions = [{**q, "value": (values or saved).get(q["id"], ""), "previous": previous.get(q["id"]),
                  "choices": ANSWER_CHOICES.get(q["answer"], ()), "malomrade_title": MALOMRADE.get(q["malomrade"], "")}
                 for q in rnd.questions]
    may_review = ctx.user.role == "granskare" and row["status"] == "inskickad"
    return _page(ctx, f"{rnd.name}: {row['kommun']}", "redaktion/uppfoljning_kommun.html", status=status, klart=klart, error=error,
                 details=details or [], round=rnd, row=row, questions=questions, editable=editable, own=own,
                 okand=okand, total_insatser=len(pack.insatser), previous_round=prev, may_review=may_review,
                 self_review=may_review and ctx.user.name == row["submitted_by"])


def _kommun_code(s, ctx, kommun: str) -> str:
    code = rounds.store._kommun_code(s, kommun)
    if ctx.user.role == "samordnare" and code != ctx.user.kommun:
        raise Problem(403, f"Du är samordnare för {ctx.who.kommun_name or ctx.user.kommun} och kan bara svara för "
                           "den kommunen.")
    return code


@router.get("/uppfoljning/{period}/{kommun}")
@guarded
def kommun_page(request: Request, period: str, kommun: str, klart: str = ""):
    with database() as s:
        ctx = login(request, s, ("granskare", "redaktor", "samordnare"))
        rnd = rounds.get_round(s, period)
        return _kommun_page(s, ctx, rnd, _kommun_code(s, ctx, kommun), klart=klart)


@router.post("/uppfoljning/{period}/{kommun}")
@guarded
def save_answers(request: Request, period: str, kommun: str, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("samordnare",), form)
        rnd = rounds.get_round(s, period)
        code = _kommun_code(s, ctx, kommun)
        values = {q["id"]: one(form, f"svar-{q['id']}").strip() for q in rnd.questions}
        try:
            rounds.answer(s, ctx.user, rnd.period, code, values)
        except rounds.store.Invalid as exc:
            # what was typed stays, except a personnummer: it is never sent back either
            kept = {k: "" if looks_like_personnummer(v) else v for k, v in values.items()}
            return _kommun_page(s, ctx, rnd, code, error=exc.message, details=exc.details, values=kept, status=422)
        submit = one(form, "atgard") == "skicka-in"
        if submit:
            try:
                rounds.submit(s, ctx.user, rnd.period, code)
            except rounds.store.Invalid as exc:
                s.commit()  # the answers stay saved; only the submission waits
                return _kommun_page(s, ctx, rnd, code, error=exc.message, details=exc.details, status=422)
        url, name = f"/redaktion/uppfoljning/{rnd.period}/{code}", rnd.name
    return _done(url, f"Svaren är inskickade till granskaren ({name})." if submit else "Svaren är sparade.")


@router.post("/uppfoljning/{period}/{kommun}/godkann")
@guarded
def approve(request: Request, period: str, kommun: str, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("granskare",), form)
        rnd = rounds.get_round(s, period)
        code = _kommun_code(s, ctx, kommun)
        rounds.approve(s, ctx.user, rnd.period, code)
        url, name = f"/redaktion/uppfoljning/{rnd.period}", rounds.kommun_name(s, code)
    return _done(url, f"{name}s svar är godkända.")


@router.post("/uppfoljning/{period}/{kommun}/skicka-tillbaka")
@guarded
def send_back(request: Request, period: str, kommun: str, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("granskare",), form)
        rnd = rounds.get_round(s, period)
        code = _kommun_code(s, ctx, kommun)
        try:
            rounds.send_back(s, ctx.user, rnd.period, code, one(form, "kommentar"))
        except rounds.store.Invalid as exc:
            return _kommun_page(s, ctx, rnd, code, error=exc.message, status=422)
        url, name = f"/redaktion/uppfoljning/{rnd.period}", rounds.kommun_name(s, code)
    return _done(url, f"{name}s svar är skickade tillbaka till samordnaren.")


# --------------------------------------------------------------------------- Antaganden
@router.get("/antaganden")
@guarded
def assumptions_page(request: Request):
    with database() as s:
        ctx = login(request, s, ("redaktor", "granskare"))
        data = assumed.assumed_rules(s)
        return _page(ctx, "Antaganden", "redaktion/antaganden.html", path="/redaktion/antaganden", **data)


@router.post("/antaganden/oppna")
@guarded
def open_assumption(request: Request, form: dict = Depends(form_body)):
    with database() as s:
        ctx = login(request, s, ("redaktor", "granskare"), form)
        rule_id = one(form, "regel").strip()
        found = next((r for r in assumed.assumed_rules(s)["rules"] if r["rule_id"] == rule_id), None)
        if found is None:
            raise Problem(404, f"Regeln {rule_id[:80]} bygger inte på ett antagande i den publicerade versionen.")
        draft = rounds.store.create_draft(s, ctx.user, f"Antagandet i regeln {rule_id}: bekräfta eller ta bort")
        url = assumed.rule_form_path(draft.id, found["file"], found["index"])
    return redirect(url)
