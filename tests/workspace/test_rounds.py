"""Follow-up rounds (issue 20 item 4) on SQLite and a real PostgreSQL: a granskare opens the
round, each samordnare answers for their own kommun only, confirms the offer through the existing
availability report, submits, and another granskare approves (four eyes); statuses carry their
times; the export for the report gives approved answers with question, målområde and source."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml
from sqlalchemy import select, text

from engine import DEFAULT_PACK, load_pack
from engine.questions import FILE
from service.workspace import db, rounds, store
from service.workspace.models import AuditEvent, RoundAnswer

PW = "ett-långt-lösenord-2026"
TODAY = dt.date(2026, 3, 2)
CLOSES = dt.date(2026, 5, 31)
GOOD = {"samverkansgrupp": "ja", "samverkansgrupp_parter": "förskola, skola, socialtjänst och BVC",
        "strategisk_funktion": "delvis", "familjecentraler": "1", "malgrupper_som_nas": "föräldrar med barn 0–6 år",
        "na_foraldrar_som_inte_nas": "nej", "validerade_indikatorer": "nej",
        "kommunens_arbete": "Samverkansgruppen träffas varje månad; ABC erbjuds två gånger per år."}


@pytest.fixture
def people(session):
    made = {}
    for name, role, kommun in [("anna", "redaktor", None), ("greta", "granskare", None), ("gunnar", "granskare", None),
                               ("nora", "samordnare", "Nora"), ("orebro", "samordnare", "1880")]:
        made[name] = store.add_user(session, name, role, PW, kommun=kommun)
    session.commit()
    return made


@pytest.fixture
def rnd(session, people):
    r = rounds.open_round(session, people["greta"], 2026, CLOSES, today=TODAY)
    session.commit()
    return r


def status_of(session, code: str) -> dict:
    return next(k for k in rounds.kommun_statuses(session, 2026) if k["kommunkod"] == code)


def test_only_a_granskare_opens_a_round_with_the_packs_questions(session, people):
    for who in ("anna", "nora", "orebro"):
        with pytest.raises(store.Refused, match="granskare"):
            rounds.open_round(session, people[who], 2026, CLOSES, today=TODAY)
    with pytest.raises(store.Invalid, match="har redan varit"):
        rounds.open_round(session, people["greta"], 2026, dt.date(2026, 3, 1), today=TODAY)
    with pytest.raises(store.Invalid, match="årtal"):
        rounds.open_round(session, people["greta"], "26", CLOSES, today=TODAY)
    r = rounds.open_round(session, people["greta"], 2026, CLOSES, today=TODAY)
    assert r.name == "Uppföljning 2026" and r.closes_on == CLOSES and r.opened_by == "greta"
    pack = load_pack(DEFAULT_PACK)
    assert [q["id"] for q in r.questions] == list(pack.questions)
    q = next(q for q in r.questions if q["id"] == "samverkansgrupp")
    assert q["malomrade"] == 3 and "lednings- eller samverkansgrupper" in q["source"]["quote"]
    statuses = rounds.kommun_statuses(session, 2026)
    assert len(statuses) == len(pack.kommuner) == 12
    assert {k["status_title"] for k in statuses} == {"ej påbörjad"}
    with pytest.raises(store.Conflict, match="redan en uppföljningsomgång för 2026"):
        rounds.open_round(session, people["gunnar"], "2026", CLOSES, today=TODAY)
    assert session.scalar(select(AuditEvent.summary).where(AuditEvent.action == "omgang.oppnad")).startswith(
        "Uppföljning 2026, sista dag 2026-05-31")


def test_a_samordnare_answers_for_their_own_kommun_only(session, people, rnd):
    with pytest.raises(store.Refused, match="samordnare för Örebro och kan inte svara för Nora"):
        rounds.answer(session, people["orebro"], 2026, "Nora", {"samverkansgrupp": "ja"}, today=TODAY)
    for who in ("anna", "greta"):
        with pytest.raises(store.Refused, match="samordnare"):
            rounds.answer(session, people[who], 2026, "Nora", {"samverkansgrupp": "ja"}, today=TODAY)
    assert status_of(session, "1884")["status"] == "ej_paborjad"
    rounds.answer(session, people["nora"], 2026, "Nora", {"samverkansgrupp": "ja", "familjecentraler": "2"}, today=TODAY)
    st = status_of(session, "1884")
    assert st["status_title"] == "påbörjad" and st["started_at"] is not None and st["answered"] == 2
    assert status_of(session, "1880")["status"] == "ej_paborjad"
    assert rounds.answers_of(session, rnd, "1884") == {"samverkansgrupp": "ja", "familjecentraler": "2"}
    # an empty answer removes it
    rounds.answer(session, people["nora"], 2026, "1884", {"familjecentraler": ""}, today=TODAY)
    assert rounds.answers_of(session, rnd, "1884") == {"samverkansgrupp": "ja"}


@pytest.mark.parametrize("answers, message", [
    ({"samverkansgrupp": "kanske"}, "svara ja eller nej"),
    ({"strategisk_funktion": "typ"}, "ja, delvis eller nej"),
    ({"familjecentraler": "-1"}, "heltal från 0"),
    ({"familjecentraler": "två"}, "heltal"),
    ({"kommunens_arbete": "x" * 1001}, "högst 1000 tecken"),
    ({"samverkansgrupp_parter": "Familjen 19811218-9876 deltog"}, "personnummer"),
    ({"kommunens_arbete": "Ring kalle@nora.se"}, "e-postadresser"),
    ({"kommunens_arbete": "bell\x07"}, "otillåtna tecken"),
    ({"namn": "Kalle"}, "okänd fråga"),
])
def test_bad_answers_are_refused_and_nothing_is_saved(session, people, rnd, answers, message):
    with pytest.raises(store.Invalid) as exc:
        rounds.answer(session, people["nora"], 2026, "Nora", {"samverkansgrupp": "ja", **answers}, today=TODAY)
    assert message in str(exc.value)
    assert session.scalars(select(RoundAnswer)).all() == []
    assert status_of(session, "1884")["status"] == "ej_paborjad"


def test_the_round_closes_on_its_closing_date(session, people, rnd):
    with pytest.raises(store.Conflict, match="stängde 2026-05-31"):
        rounds.answer(session, people["nora"], 2026, "Nora", {"samverkansgrupp": "ja"}, today=dt.date(2026, 6, 1))
    rounds.close_round(session, people["gunnar"], 2026)
    with pytest.raises(store.Conflict, match="stängd"):
        rounds.answer(session, people["nora"], 2026, "Nora", {"samverkansgrupp": "ja"}, today=TODAY)


def test_submit_needs_every_answer_then_four_eyes_approve_with_the_offer(session, people, rnd, db_url):
    nora, greta, gunnar = people["nora"], people["greta"], people["gunnar"]
    rounds.answer(session, nora, 2026, "Nora", {"samverkansgrupp": "ja"}, today=TODAY)
    with pytest.raises(store.Invalid, match=r"alla frågor innan du skickar in \(7 kvar\)"):
        rounds.submit(session, nora, 2026, "Nora", today=TODAY)
    rounds.answer(session, nora, 2026, "Nora", GOOD, today=TODAY)
    # the offer: the existing availability report, an okänd cell answered
    assert "icdp" in rounds.okand_insatser(session, "1884")
    draft = rounds.confirm_offer(session, nora, 2026, "Nora", [{"insats": "icdp", "status": "finns"}], today=TODAY)
    assert draft.kind == "tillganglighet" and draft.kommun == "1884"
    assert status_of(session, "1884")["draft_id"] == draft.id
    with pytest.raises(store.Conflict, match="inte inskickade"):
        rounds.approve(session, greta, 2026, "Nora", features=False)
    row = rounds.submit(session, nora, 2026, "Nora", today=TODAY)
    assert row.status == "inskickad" and row.submitted_by == "nora"
    assert store.get_draft(session, draft.id).status == "inskickad"
    with pytest.raises(store.Conflict, match="redan inskickad"):
        rounds.answer(session, nora, 2026, "Nora", {"samverkansgrupp": "nej"}, today=TODAY)
    with pytest.raises(store.Refused, match="granskare"):
        rounds.approve(session, nora, 2026, "Nora", features=False)
    session.commit()
    row = rounds.approve(session, greta, 2026, "Nora", features=False)
    session.commit()
    st = status_of(session, "1884")
    assert st["status_title"] == "godkänd" and st["approved_by"] == "greta" and st["approved_at"] >= st["submitted_at"]
    assert st["draft_status"] == "publicerad"
    assert rounds.okand_insatser(session, "1884").count("icdp") == 0  # the served version now knows
    with pytest.raises(store.Conflict):
        rounds.approve(session, gunnar, 2026, "Nora", features=False)


def test_the_kartlaggning_form_report_links_to_the_round(session, people, rnd):
    nora = people["nora"]
    rounds.answer(session, nora, 2026, "Nora", GOOD, today=TODAY)
    d = store.report_availability(session, nora, "Nora", [{"insats": "biff", "status": "saknas"}], today=TODAY)
    rounds.submit(session, nora, 2026, "Nora", today=TODAY)
    assert status_of(session, "1884")["draft_id"] == d.id and store.get_draft(session, d.id).status == "inskickad"


def test_whoever_answered_cannot_approve(session, people, rnd):
    nora = people["nora"]
    rounds.answer(session, nora, 2026, "Nora", GOOD, today=TODAY)
    rounds.submit(session, nora, 2026, "Nora", today=TODAY)
    nora.role = "granskare"  # the samordnare's account later made a granskare
    session.flush()
    with pytest.raises(store.Refused, match="fyra ögon"):
        rounds.approve(session, nora, 2026, "Nora", features=False)
    rounds.send_back(session, people["greta"], 2026, "Nora", "Ange fler parter i gruppen.")
    st = status_of(session, "1884")
    assert st["status"] == "paborjad" and st["submitted_at"] is None


def test_round_answers_exports_approved_answers_and_the_previous_round(session, people, db_url):
    greta, gunnar, nora, orebro = (people[n] for n in ("greta", "gunnar", "nora", "orebro"))
    assert rounds.round_answers(session, 2024) is None
    rounds.open_round(session, greta, 2024, dt.date(2024, 5, 31), today=dt.date(2024, 3, 1))
    rounds.answer(session, nora, 2024, "Nora", {**GOOD, "samverkansgrupp": "nej", "familjecentraler": "0"},
                  today=dt.date(2024, 3, 2))
    rounds.submit(session, nora, 2024, "Nora", today=dt.date(2024, 3, 2))
    rounds.approve(session, gunnar, 2024, "Nora", features=False)
    rounds.open_round(session, greta, 2026, CLOSES, today=TODAY)
    rounds.answer(session, nora, 2026, "Nora", GOOD, today=TODAY)
    rounds.submit(session, nora, 2026, "Nora", today=TODAY)
    rounds.approve(session, gunnar, 2026, "Nora", features=False)
    rounds.answer(session, orebro, 2026, "Örebro", GOOD, today=TODAY)  # påbörjad: not exported
    session.commit()

    out = rounds.round_answers(session, 2027)  # rounds are every other year: 2027 reads 2026
    assert out["omgang"]["name"] == "Uppföljning 2026" and out["omgang"]["closes_on"] == "2026-05-31"
    by_code = {k["kommunkod"]: k for k in out["kommuner"]}
    assert by_code["1880"]["status"] == "paborjad" and by_code["1880"]["answers"] == []
    nora_answers = {a["question_id"]: a for a in by_code["1884"]["answers"]}
    assert by_code["1884"]["approved"] and by_code["1884"]["approved_at"]
    assert nora_answers["familjecentraler"]["value"] == 1 and nora_answers["samverkansgrupp"]["value"] == "ja"
    a = nora_answers["samverkansgrupp"]
    assert a["malomrade"] == 3 and a["text"].startswith("Finns det en lednings- eller samverkansgrupp")
    assert a["source"]["document"] == "strategi-2024" and "i alla länets kommuner" in a["source"]["quote"]
    prev = {k["kommunkod"]: k for k in out["previous"]["kommuner"]}
    assert out["previous"]["omgang"]["period"] == "2024"
    assert {x["question_id"]: x["value"] for x in prev["1884"]["answers"]}["samverkansgrupp"] == "nej"
    one = rounds.round_answers(session, "2026", kommunkod="1884")
    assert [k["kommunkod"] for k in one["kommuner"]] == ["1884"] == [k["kommunkod"] for k in one["previous"]["kommuner"]]


def test_a_revised_question_leaves_an_opened_round_as_it_was(session, people, rnd):
    anna, gunnar = people["anna"], people["gunnar"]
    d = store.create_draft(session, anna, "Ny fråga om familjecentraler")
    text_ = d.files[FILE].replace("Hur många familjecentraler finns i kommunen?",
                                  "Hur många familjecentraler med alla fyra verksamheterna finns i kommunen?")
    store.save_file(session, d.id, FILE, text_, anna, d.revision)
    store.submit(session, d.id, anna, "Frågan preciseras")
    store.approve(session, d.id, gunnar, features=False)
    assert "alla fyra" in store.current_version(session).files[FILE]
    q = next(q for q in rounds.get_round(session, 2026).questions if q["id"] == "familjecentraler")
    assert q["text"] == "Hur många familjecentraler finns i kommunen?"


def test_nothing_about_a_family_reaches_any_table(session, people, rnd, db_url):
    nora = people["nora"]
    for bad in ("Familjen Markör 19811218-9876", "kalle.markor@example.se", "MARKOR-" + "x" * 1000):
        with pytest.raises(store.Invalid):
            rounds.answer(session, nora, 2026, "Nora", {"kommunens_arbete": bad}, today=TODAY)
    rounds.answer(session, nora, 2026, "Nora", {"kommunens_arbete": "Samverkan med förskolan"}, today=TODAY)
    session.commit()
    with db.make_engine(db_url).connect() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type='table'" if db_url.startswith("sqlite")
            else "SELECT tablename FROM pg_tables WHERE schemaname='public'"))]
        dump = " ".join(str(row) for t in tables for row in conn.execute(text(f'SELECT * FROM "{t}"')))
    assert "19811218" not in dump and "Markör" not in dump and "kalle.markor" not in dump and "MARKOR-" not in dump
    assert "Samverkan med förskolan" in dump  # the answer itself is stored ...
    audit = " ".join(session.scalars(select(AuditEvent.summary)))
    assert "Samverkan med förskolan" not in audit  # ... but never in the audit trail
