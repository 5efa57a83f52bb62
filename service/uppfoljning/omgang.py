"""The follow-up round's answers for the report pages (view.round_answers): the workspace's
`rounds.round_answers` (approved answers only) in the words and shape the templates read.

None when there is no database, no round up to the period, or the database cannot be read: the
page then says that no round is finished.
"""
from __future__ import annotations

from typing import Any

from engine.loader import Pack

DESCRIPTION = "kommunens_arbete"  # the question whose answer is the kommun's own description
CHOICE_WORDS = {"ja": "ja", "nej": "nej", "delvis": "delvis"}


def round_answers(pack: Pack, kommun: str | None, period: str) -> dict[str, Any] | None:
    from service.workspace import db, rounds

    if not db.configured():
        return None
    try:
        with db.session_scope() as s:
            data = rounds.round_answers(s, period, kommun)
    except Exception:  # noqa: BLE001 - the database (or its schema) is away: the page shows the rest
        return None
    return shaped(data) if data is not None else None


def shaped(data: dict[str, Any]) -> dict[str, Any]:
    """{"namn", "avslutad", "kommuner": [{"kommun", "status", "svar": [{"fraga", "kalla", "svar"}],
    "beskrivning"}]}: every kommun of the round, answers for the approved ones."""
    from service.workspace.rounds import STATUS_TITLES

    omgang = data["omgang"]
    kommuner = []
    for k in data["kommuner"]:
        svar, beskrivning = [], None
        for a in k["answers"]:
            if a["question_id"] == DESCRIPTION:
                beskrivning = a["value"]
                continue
            value = a["value"]
            source = a["source"]
            kalla = {"document": source.get("title") or source["document"], "section": source["section"],
                     "quote": source.get("quote") or ""}
            svar.append({"fraga": a["text"], "kalla": kalla,
                         "svar": CHOICE_WORDS.get(value, str(value)) if isinstance(value, str) else str(value)})
        kommuner.append({"kommun": k["kommun"], "kommunkod": k["kommunkod"],
                         "status": STATUS_TITLES.get(k["status"], k["status"]), "svar": svar,
                         "beskrivning": beskrivning})
    closed = omgang["closed_at"] or None
    return {"namn": omgang["name"], "avslutad": closed[:10] if closed else None, "kommuner": kommuner}
