"""Follow-up rounds (uppföljningsomgång, issue 20 item 4): a granskare opens "Uppföljning 2026"
with a closing date; each kommun's samordnare answers the pack's questions about the kommun's
organisation (uppfoljning.yaml, as they were when the round opened), confirms what the kommun
offers with the existing availability report (store.report_availability, a draft of kind
tillganglighet, so `okänd` cells get answered) and submits; another granskare approves (four
eyes, and the kommun's report is approved with it). `round_answers` is the report's export.

Like the store (service/workspace/store/): a Session first, roles enforced here, the audit trail written, the caller
commits. Answers are about the organisation, never a family: a personnummer is refused, a
text answer is short, and the audit never holds an answer's text.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.models import Availability, looks_like_personnummer

from . import store
from .models import Draft, Round, RoundAnswer, RoundKommun, User, identity, utcnow
from .store import Conflict, Invalid, NotFound, Refused, _audit, require_role

STATUS_TITLES = {"ej_paborjad": "ej påbörjad", "paborjad": "påbörjad", "inskickad": "inskickad", "godkand": "godkänd"}
ANTAL_MAX = 100_000
_PERIOD = re.compile(r"^20\d\d$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
_PHONE = re.compile(r"(?:\+46|\b0)[\d\s-]{7,}\d")


# --------------------------------------------------------------------------- rounds
def _period(period: str | int) -> str:
    text = str(period).strip()
    if not _PERIOD.match(text):
        raise Invalid(f"Perioden ska vara ett årtal, till exempel 2026 (inte {text[:20]!r}).")
    return text


def question_snapshot(pack) -> list[dict[str, Any]]:
    """The pack's questions as a round keeps them (plain JSON)."""
    return [{"id": q.id, "text": q.text, "malomrade": q.malomrade, "answer": q.answer.value,
             "max_length": q.max_length, "help": q.help,
             "source": {"document": q.source.document, "section": q.source.section, "quote": q.source.quote,
                        "title": pack.source_title(q.source.document)}}
            for q in pack.questions.values()]


def open_round(s: Session, user: User, period: str | int, closes_on: dt.date, name: str | None = None,
               today: dt.date | None = None) -> Round:
    """Granskare: open the round for `period` (one per period) with its closing date."""
    require_role(user, "granskare")
    period = _period(period)
    today = today or dt.date.today()
    if not isinstance(closes_on, dt.date):
        raise Invalid("Ange sista dag som ett datum (ÅÅÅÅ-MM-DD).")
    if closes_on < today:
        raise Invalid(f"Sista dag {closes_on.isoformat()} har redan varit.")
    name = store._text("ett namn", name or f"Uppföljning {period}", max_len=80)
    if s.scalar(select(Round.id).where(Round.period == period)) is not None:
        raise Conflict(f"Det finns redan en uppföljningsomgång för {period}.")
    pack = store._current_pack(s)
    if not pack.questions:
        raise Invalid("Regelpaketet har inga uppföljningsfrågor (uppfoljning.yaml): lägg till dem i ett utkast först.")
    rnd = Round(name=name, period=period, closes_on=closes_on, opened_by=user.name, opened_at=utcnow(),
                pack_version=pack.version, questions=question_snapshot(pack))
    try:
        with s.begin_nested():
            s.add(rnd)
            s.flush()
    except IntegrityError:
        raise Conflict(f"Det finns redan en uppföljningsomgång för {period}.") from None
    for code in pack.kommuner:
        s.add(RoundKommun(round_id=rnd.id, kommunkod=code, status="ej_paborjad"))
    s.flush()
    _audit(s, user.name, "omgang.oppnad", f"omgång {period}",
           f"{name}, sista dag {closes_on.isoformat()}, {len(rnd.questions)} frågor, {len(pack.kommuner)} kommuner")
    return rnd


def rounds(s: Session) -> list[Round]:
    """Every round, newest period first."""
    return list(s.scalars(select(Round).order_by(Round.period.desc())))


def get_round(s: Session, period: str | int) -> Round:
    try:
        period = _period(period)
    except Invalid:
        raise NotFound(f"Uppföljningsomgången {str(period)[:20]} finns inte.") from None
    rnd = s.scalar(select(Round).where(Round.period == period))
    if rnd is None:
        raise NotFound(f"Det finns ingen uppföljningsomgång för {period}.")
    return rnd


def previous_round(s: Session, rnd: Round) -> Round | None:
    """The round before `rnd` (the newest earlier period), for comparison."""
    return s.scalar(select(Round).where(Round.period < rnd.period).order_by(Round.period.desc()).limit(1))


def close_round(s: Session, user: User, period: str | int) -> Round:
    require_role(user, "granskare")
    rnd = get_round(s, period)
    if rnd.closed_at is not None:
        raise Conflict(f"{rnd.name} är redan stängd.")
    rnd.closed_at, rnd.closed_by = utcnow(), user.name
    _audit(s, user.name, "omgang.stangd", f"omgång {rnd.period}", f"{rnd.name} stängd")
    return rnd


def is_open(rnd: Round, today: dt.date | None = None) -> bool:
    return rnd.closed_at is None and (today or dt.date.today()) <= rnd.closes_on


def _require_open(rnd: Round, today: dt.date | None) -> None:
    if rnd.closed_at is not None:
        raise Conflict(f"{rnd.name} är stängd.")
    if (today or dt.date.today()) > rnd.closes_on:
        raise Conflict(f"{rnd.name} stängde {rnd.closes_on.isoformat()}: sista dag har varit.")


# --------------------------------------------------------------------------- one kommun
def _row(s: Session, rnd: Round, kommun: str, lock: bool = False) -> RoundKommun:
    code = store._kommun_code(s, kommun) if kommun else ""
    query = select(RoundKommun).where(RoundKommun.round_id == rnd.id, RoundKommun.kommunkod == code)
    row = s.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(f"Kommun {kommun} ingår inte i {rnd.name}.")
    return row


def _may_answer(s: Session, user: User, code: str) -> None:
    """Only the kommun's own samordnare answers for it."""
    if user is None or not user.active:
        raise Refused("Du är inte inloggad med ett aktivt konto.")
    if user.role != "samordnare":
        raise Refused("Bara kommunens samordnare svarar i uppföljningsomgången.")
    if user.kommun != code:
        raise Refused(f"Du är samordnare för {kommun_name(s, user.kommun)} och kan inte svara för {kommun_name(s, code)}.")


def kommun_name(s: Session, code: str | None) -> str:
    pack = store._current_pack(s)
    return pack.kommuner[code].name if code in pack.kommuner else str(code)


def validate_answer(question: dict[str, Any], raw: Any) -> str:
    """The answer as stored (text), or Invalid with a Swedish message naming the question."""
    label = f"Frågan \"{question['text']}\""
    if raw is None:
        return ""
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        raise Invalid(f"{label}: svaret ska vara text.")
    text = str(raw).strip()
    if not text:
        return ""
    if looks_like_personnummer(text):
        raise Invalid(f"{label}: svaret ser ut att innehålla ett personnummer. Svara om kommunens organisation, "
                      "aldrig om en familj eller en person.")
    kind = question["answer"]
    if kind in ("ja_nej", "ja_nej_delvis"):
        choices = ("ja", "nej") if kind == "ja_nej" else ("ja", "delvis", "nej")
        if text.lower() not in choices:
            raise Invalid(f"{label}: svara {' eller '.join(choices) if len(choices) == 2 else 'ja, delvis eller nej'}.")
        return text.lower()
    if kind == "antal":
        if not re.fullmatch(r"\d{1,6}", text) or int(text) > ANTAL_MAX:
            raise Invalid(f"{label}: svara med ett heltal från 0 till {ANTAL_MAX}.")
        return str(int(text))
    limit = int(question.get("max_length") or 500)
    if len(text) > limit:
        raise Invalid(f"{label}: svaret får vara högst {limit} tecken (nu {len(text)}).")
    if _CONTROL.search(text):
        raise Invalid(f"{label}: svaret innehåller otillåtna tecken.")
    if _MAIL.search(text) or _PHONE.search(text):
        raise Invalid(f"{label}: skriv inga e-postadresser eller telefonnummer här; svaret handlar om "
                      "organisationen, inte om personer.")
    return text


def answer(s: Session, user: User, period: str | int, kommun: str, answers: dict[str, Any],
           today: dt.date | None = None) -> RoundKommun:
    """The samordnare saves answers for their own kommun (an empty answer removes it). Nothing is
    saved when any answer is invalid."""
    rnd = get_round(s, period)
    row = _row(s, rnd, kommun, lock=True)
    _may_answer(s, user, row.kommunkod)
    _require_open(rnd, today)
    if row.status in ("inskickad", "godkand"):
        raise Conflict(f"{kommun_name(s, row.kommunkod)}s svar är redan {STATUS_TITLES[row.status]}.")
    questions = {q["id"]: q for q in rnd.questions}
    unknown = sorted(k for k in answers if k not in questions)
    if unknown:
        raise Invalid("Svaren sparades inte.", [f"okänd fråga: {k[:80]}" for k in unknown[:10]])
    values: dict[str, str] = {}
    problems: list[str] = []
    for qid, raw in answers.items():
        try:
            values[qid] = validate_answer(questions[qid], raw)
        except Invalid as exc:
            problems.append(exc.message)
    if problems:
        raise Invalid("Svaren sparades inte.", problems)
    now = utcnow()
    existing = {a.question_id: a for a in s.scalars(select(RoundAnswer).where(
        RoundAnswer.round_id == rnd.id, RoundAnswer.kommunkod == row.kommunkod))}
    changed = []
    try:
        with s.begin_nested():
            for qid, value in values.items():
                old = existing.get(qid)
                if not value:
                    if old is not None:
                        s.delete(old)
                        changed.append(qid)
                elif old is None:
                    s.add(RoundAnswer(round_id=rnd.id, kommunkod=row.kommunkod, question_id=qid, value=value,
                                      answered_by=user.name, answered_at=now))
                    changed.append(qid)
                elif old.value != value:
                    old.value, old.answered_by, old.answered_at = value, user.name, now
                    changed.append(qid)
            s.flush()
    except IntegrityError:
        raise Conflict("Svaren sparades samtidigt på annat håll. Ladda om sidan och försök igen.") from None
    if row.status == "ej_paborjad":
        row.status, row.started_at = "paborjad", now
    _link_draft(s, rnd, row)
    # the audit names the questions, never what was answered
    _audit(s, user.name, "omgang.besvarad", f"omgång {rnd.period} {row.kommunkod}",
           f"{len(changed)} svar {'ändrat' if len(changed) == 1 else 'ändrade'}: {', '.join(changed[:10]) or 'inga'}")
    return row


def confirm_offer(s: Session, user: User, period: str | int, kommun: str, entries: list[dict],
                  expected_revision: int | None = None, keep: tuple[str, ...] | list[str] = (),
                  today: dt.date | None = None) -> Draft:
    """The samordnare confirms or updates what the kommun offers, within the round: the existing
    availability report (store.report_availability), linked to the kommun's row."""
    rnd = get_round(s, period)
    row = _row(s, rnd, kommun, lock=True)
    _may_answer(s, user, row.kommunkod)
    _require_open(rnd, today)
    if row.status in ("inskickad", "godkand"):
        raise Conflict(f"{kommun_name(s, row.kommunkod)}s svar är redan {STATUS_TITLES[row.status]}.")
    draft = store.report_availability(s, user, row.kommunkod, entries, expected_revision=expected_revision,
                                      today=today, keep=keep)
    row.draft_id = draft.id
    if row.status == "ej_paborjad":
        row.status, row.started_at = "paborjad", utcnow()
    return draft


def find_draft(s: Session, rnd: Round, row: RoundKommun) -> Draft | None:
    """The kommun's availability report for this round: the linked draft, else the newest
    tillganglighet draft for the kommun worked on since the round opened (reported through the
    kartläggning form)."""
    if row.draft_id is not None:
        return s.get(Draft, row.draft_id)
    return s.scalar(select(Draft).where(Draft.kind == "tillganglighet", Draft.kommun == row.kommunkod,
                                        Draft.updated_at >= rnd.opened_at).order_by(Draft.id.desc()).limit(1))


def _link_draft(s: Session, rnd: Round, row: RoundKommun) -> Draft | None:
    draft = find_draft(s, rnd, row)
    if draft is not None:
        row.draft_id = draft.id
    return draft


def unanswered(s: Session, rnd: Round, code: str) -> list[dict[str, Any]]:
    done = set(s.scalars(select(RoundAnswer.question_id).where(RoundAnswer.round_id == rnd.id,
                                                               RoundAnswer.kommunkod == code)))
    return [q for q in rnd.questions if q["id"] not in done]


def submit(s: Session, user: User, period: str | int, kommun: str, today: dt.date | None = None) -> RoundKommun:
    """The samordnare submits every answer (all questions answered) and the kommun's report."""
    rnd = get_round(s, period)
    row = _row(s, rnd, kommun, lock=True)
    _may_answer(s, user, row.kommunkod)
    _require_open(rnd, today)
    if row.status in ("inskickad", "godkand"):
        raise Conflict(f"{kommun_name(s, row.kommunkod)}s svar är redan {STATUS_TITLES[row.status]}.")
    missing = unanswered(s, rnd, row.kommunkod)
    if missing:
        raise Invalid(f"Svara på alla frågor innan du skickar in ({len(missing)} kvar).",
                      [q["text"] for q in missing])
    draft = _link_draft(s, rnd, row)
    if draft is not None and draft.status in store.OPEN:
        store.submit(s, draft.id, user, f"{rnd.name}: {kommun_name(s, row.kommunkod)}s bekräftelse av utbudet")
    now = utcnow()
    row.status, row.submitted_at, row.submitted_by = "inskickad", now, user.name
    row.started_at = row.started_at or now
    _audit(s, user.name, "omgang.inskickad", f"omgång {rnd.period} {row.kommunkod}",
           f"{rnd.name}: {kommun_name(s, row.kommunkod)}s svar inskickade"
           + (f" med utkast {draft.id}" if draft is not None else " utan ändrat utbud"))
    return row


def send_back(s: Session, user: User, period: str | int, kommun: str, comment: str) -> RoundKommun:
    """Granskare: the kommun's answers back to the samordnare (påbörjad again), with a comment."""
    require_role(user, "granskare")
    rnd = get_round(s, period)
    row = _row(s, rnd, kommun, lock=True)
    if row.status != "inskickad":
        raise Conflict(f"{kommun_name(s, row.kommunkod)}s svar är {STATUS_TITLES[row.status]}, inte inskickade.")
    note = store._text("en kommentar", comment)
    draft = _link_draft(s, rnd, row)
    if draft is not None and draft.status == "inskickad":
        store.send_back(s, draft.id, user, note)
    row.status, row.submitted_at, row.submitted_by = "paborjad", None, None
    _audit(s, user.name, "omgang.aterskickad", f"omgång {rnd.period} {row.kommunkod}",
           f"{kommun_name(s, row.kommunkod)}s svar tillbaka till samordnaren", note)
    return row


def approve(s: Session, user: User, period: str | int, kommun: str, features: bool = True) -> RoundKommun:
    """Granskare who did not answer: approve the kommun's answers, and its report (store.approve
    publishes it as a new version) when it is submitted."""
    require_role(user, "granskare")
    rnd = get_round(s, period)
    row = _row(s, rnd, kommun, lock=True)
    if row.status != "inskickad":
        raise Conflict(f"{kommun_name(s, row.kommunkod)}s svar är {STATUS_TITLES[row.status]}, inte inskickade.")
    names = {row.submitted_by, *s.scalars(select(RoundAnswer.answered_by).where(
        RoundAnswer.round_id == rnd.id, RoundAnswer.kommunkod == row.kommunkod))} - {None}
    people = {identity(u) for u in s.scalars(select(User).where(User.name.in_(names)))}
    if user.name in names or identity(user) in people:
        raise Refused("Du kan inte godkänna svar som du själv har lämnat. En annan granskare måste godkänna (fyra ögon).")
    draft = _link_draft(s, rnd, row)
    if draft is not None:
        if draft.status == "inskickad":
            store.approve(s, draft.id, user, features=features)
        elif draft.status != "publicerad":
            raise Conflict(f"Kommunens rapport om utbudet (utkast {draft.id}) är {draft.status}, inte inskickad.")
    now = utcnow()
    row.status, row.approved_at, row.approved_by = "godkand", now, user.name
    _audit(s, user.name, "omgang.godkand", f"omgång {rnd.period} {row.kommunkod}",
           f"{rnd.name}: {kommun_name(s, row.kommunkod)}s svar godkända"
           + (f", utkast {draft.id} publicerat" if draft is not None else ""))
    return row


# --------------------------------------------------------------------------- reading
def answers_of(s: Session, rnd: Round, code: str) -> dict[str, str]:
    return {a.question_id: a.value for a in s.scalars(select(RoundAnswer).where(
        RoundAnswer.round_id == rnd.id, RoundAnswer.kommunkod == code))}


def okand_insatser(s: Session, code: str, day: dt.date | None = None) -> list[str]:
    """The insatser whose availability in the kommun is still okänd in the served version."""
    pack = store._current_pack(s)
    return [i for i in pack.insatser if pack.availability_status(code, i, day) is Availability.okand]


def kommun_statuses(s: Session, period: str | int) -> list[dict[str, Any]]:
    """Per kommun of the round: status (and its Swedish title), when each step happened and by
    whom, how many questions are answered, and the kommun's availability report."""
    rnd = get_round(s, period)
    rows = list(s.scalars(select(RoundKommun).where(RoundKommun.round_id == rnd.id)))
    counts: dict[str, int] = {}
    for code in s.scalars(select(RoundAnswer.kommunkod).where(RoundAnswer.round_id == rnd.id)):
        counts[code] = counts.get(code, 0) + 1
    out = []
    for row in sorted(rows, key=lambda r: kommun_name(s, r.kommunkod)):
        draft = find_draft(s, rnd, row)
        out.append({
            "kommunkod": row.kommunkod, "kommun": kommun_name(s, row.kommunkod), "status": row.status,
            "status_title": STATUS_TITLES[row.status], "started_at": store._aware(row.started_at),
            "submitted_at": store._aware(row.submitted_at), "submitted_by": row.submitted_by,
            "approved_at": store._aware(row.approved_at), "approved_by": row.approved_by,
            "answered": counts.get(row.kommunkod, 0), "questions": len(rnd.questions),
            "draft_id": draft.id if draft else None, "draft_status": draft.status if draft else None,
        })
    return out


def _round_info(rnd: Round) -> dict[str, Any]:
    return {"name": rnd.name, "period": rnd.period, "closes_on": rnd.closes_on.isoformat(),
            "opened_at": store._aware(rnd.opened_at).isoformat(), "opened_by": rnd.opened_by,
            "closed_at": store._aware(rnd.closed_at).isoformat() if rnd.closed_at else None,
            "pack_version": rnd.pack_version}


def _export(s: Session, rnd: Round, kommunkod: str | None) -> dict[str, Any]:
    questions = rnd.questions
    rows = list(s.scalars(select(RoundKommun).where(RoundKommun.round_id == rnd.id)
                          .order_by(RoundKommun.kommunkod)))
    if kommunkod is not None:
        rows = [r for r in rows if r.kommunkod == kommunkod]
    kommuner = []
    for row in rows:
        values = answers_of(s, rnd, row.kommunkod) if row.status == "godkand" else {}
        answers = []
        for q in questions:
            if q["id"] not in values:
                continue
            value: Any = values[q["id"]]
            if q["answer"] == "antal":
                value = int(value)
            answers.append({"question_id": q["id"], "text": q["text"], "malomrade": q["malomrade"],
                            "answer_kind": q["answer"], "value": value, "source": q["source"]})
        kommuner.append({"kommunkod": row.kommunkod, "kommun": kommun_name(s, row.kommunkod),
                         "status": row.status, "approved": row.status == "godkand",
                         "approved_at": store._aware(row.approved_at).isoformat() if row.approved_at else None,
                         "answers": answers})
    return {"omgang": _round_info(rnd), "questions": questions, "kommuner": kommuner}


def round_answers(s: Session, period: str | int, kommunkod: str | None = None) -> dict[str, Any] | None:
    """For the report: the round of `period` (else the newest earlier one: rounds are every other
    year), every kommun with its status and, for an approved kommun only, its answers with the
    question's text, målområde and source; and the same for the previous round (`previous`).
    None when no round has been opened up to `period`."""
    period = _period(period)
    rnd = s.scalar(select(Round).where(Round.period <= period).order_by(Round.period.desc()).limit(1))
    if rnd is None:
        return None
    out = _export(s, rnd, kommunkod)
    prev = previous_round(s, rnd)
    out["previous"] = _export(s, prev, kommunkod) if prev is not None else None
    return out
