"""The round's approved answers on /uppfoljning/{kommunkod} and /uppfoljning (issue 20 items 4
and 5), through the app on a real database: an answer shows with its question and the passage it
follows up; a kommun not yet approved shows its status and no answers."""
from __future__ import annotations

import datetime as dt
import html
import re

from service.workspace import db, rounds, store

from .support import client

PW = "ett-långt-lösenord-2026"
YEAR = dt.date.today().year
ANSWERS = {"samverkansgrupp": "ja", "samverkansgrupp_parter": "förskola, skola och socialtjänst",
           "strategisk_funktion": "delvis", "familjecentraler": "2", "malgrupper_som_nas": "föräldrar med barn 0–6 år",
           "na_foraldrar_som_inte_nas": "nej", "validerade_indikatorer": "nej",
           "kommunens_arbete": "Samverkansgruppen träffas varje månad."}


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_approved_answers_are_in_the_kommuns_report(migrated):
    with db.session_scope(migrated) as s:
        store.ensure_seeded(s)
        greta = store.add_user(s, "greta", "granskare", PW)
        nora = store.add_user(s, "nora", "samordnare", PW, kommun="Nora")
        orebro = store.add_user(s, "orebro", "samordnare", PW, kommun="Örebro")
        rounds.open_round(s, greta, YEAR, dt.date(YEAR, 12, 31), today=dt.date(YEAR, 1, 1))
        rounds.answer(s, nora, YEAR, "Nora", ANSWERS, today=dt.date(YEAR, 1, 2))
        rounds.submit(s, nora, YEAR, "Nora", today=dt.date(YEAR, 1, 2))
        rounds.approve(s, greta, YEAR, "Nora", features=False)
        rounds.answer(s, orebro, YEAR, "Örebro", {**ANSWERS, "samverkansgrupp": "nej"}, today=dt.date(YEAR, 1, 2))
    c = client()
    page = text_of(c.get(f"/uppfoljning/1884?period={YEAR}").text)
    section = page[page.index("Uppföljningsomgången"):]
    assert f"Uppföljning {YEAR}" in section and "Nora (godkänd)" in section
    assert re.search(r"Finns det en lednings- eller samverkansgrupp.*i alla länets kommuner.*\bja\b", section)
    assert "Hur många familjecentraler finns i kommunen?" in section and "Samverkansgruppen träffas varje månad." in section
    lan = text_of(c.get(f"/uppfoljning?period={YEAR}").text)
    lan = lan[lan.index("Uppföljningsomgången"):]
    assert "Nora (godkänd)" in lan and "Örebro (påbörjad)" in lan
    orebro_part = lan[lan.index("Örebro (påbörjad)"):]
    assert "Finns det en lednings-" not in orebro_part.split("(godkänd)")[0]  # not approved: no answers shown
