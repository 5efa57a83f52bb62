"""The workspace store against SQLite and a real PostgreSQL server: roles on every function,
optimistic locking, four eyes, rollback, availability reports, throttling, an audit trail the
database itself keeps append-only, and DatabaseSource."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from engine import DEFAULT_PACK, load_pack
from service.workspace import auth, db, packfiles, store
from service.workspace.source import DatabaseSource

ROOT = Path(__file__).resolve().parents[2]
PW = "ett-långt-lösenord-2026"
FC = "regler/02-familjecentral.yaml"


@pytest.fixture
def people(session):
    made = {}
    for name, role, kommun in [("anna", "redaktor", None), ("bertil", "redaktor", None), ("greta", "granskare", None),
                               ("gunnar", "granskare", None), ("adam", "admin", None),
                               ("nora", "samordnare", "Nora"), ("orebro", "samordnare", "1880")]:
        made[name] = store.add_user(session, name, role, PW, kommun=kommun)
    session.commit()
    return made


def edit(files: dict[str, str], old: str, new: str) -> str:
    assert old in files[FC]
    return files[FC].replace(old, new)


def test_seed_is_the_embedded_pack_and_idempotent(session):
    v1 = store.current_version(session)
    assert v1.number == 1 and v1.version == load_pack(DEFAULT_PACK).version
    features = {f"features/{f.name}": f.read_text(encoding="utf-8") for f in (ROOT / "features").glob("*.feature")}
    assert len(features) >= 9 and "features/familjecentral.feature" in features
    assert v1.files == {**packfiles.read_dir(DEFAULT_PACK), **features}
    assert store.ensure_seeded(session).id == v1.id
    assert [v.number for v in store.versions(session)] == [1]


def test_every_function_refuses_the_wrong_role(session, people):
    p = people
    d = store.create_draft(session, p["anna"], "ändring")
    for who in ("nora", "adam"):
        with pytest.raises(store.Refused):
            store.create_draft(session, p[who], "x")
        with pytest.raises(store.Refused):
            store.save_file(session, d.id, FC, "x: 1\n", p[who], d.revision)
        with pytest.raises(store.Refused):
            store.import_draft(session, DEFAULT_PACK, p[who], "x")
        with pytest.raises(store.Refused):
            store.submit(session, d.id, p[who], "x")
    for who in ("anna", "nora", "adam"):
        with pytest.raises(store.Refused, match="granskare"):
            store.approve(session, d.id, p[who])
        with pytest.raises(store.Refused, match="granskare"):
            store.send_back(session, d.id, p[who], "nej")
        with pytest.raises(store.Refused, match="granskare"):
            store.publish(session, "1", p[who], "x")
    for who in ("anna", "greta", "nora"):
        with pytest.raises(store.Refused, match="administratör"):
            store.add_user(session, "ny", "redaktor", PW, actor=p[who])
        with pytest.raises(store.Refused):
            store.set_active(session, "anna", False, p[who])
    with pytest.raises(store.Refused, match="Nora och kan inte rapportera för Örebro"):
        store.report_availability(session, p["nora"], "Örebro", [{"insats": "abc", "status": "finns"}])
    with pytest.raises(store.Refused):
        store.report_availability(session, p["adam"], "Nora", [{"insats": "abc", "status": "finns"}])
    with pytest.raises(store.Refused):
        store.create_draft(session, p["nora"], "", kind="tillganglighet", kommun="1880")
    # an inactive account may do nothing
    store.set_active(session, "bertil", False, p["adam"])
    with pytest.raises(store.Refused, match="aktivt"):
        store.create_draft(session, p["bertil"], "x")
    assert store.add_user(session, "ny", "redaktor", PW, actor=p["adam"]).role == "redaktor"


def test_second_save_gets_a_conflict_and_the_first_is_kept(session, people):
    d = store.create_draft(session, people["anna"], "")
    rev = d.revision
    first = edit(d.files, "minst en per kommun.\"", "minst en i varje kommun.\"")
    second = edit(d.files, "barn 0–6 år", "barn noll till sex år")
    new_rev = store.save_file(session, d.id, FC, first, people["anna"], rev)
    assert new_rev == rev + 1
    with pytest.raises(store.Conflict, match="Någon annan har sparat"):
        store.save_file(session, d.id, FC, second, people["bertil"], rev)
    session.commit()
    assert store.get_draft(session, d.id).files[FC] == first
    # the second editor reopens and saves on the new revision
    assert store.save_file(session, d.id, FC, second, people["bertil"], new_rev) == new_rev + 1


def test_save_refuses_bad_paths_and_personnummer(session, people):
    d = store.create_draft(session, people["anna"], "")
    for bad in ("../x.yaml", "/etc/passwd", "regler/.dold.yaml", "regler/x.py", "a\\b.yaml"):
        with pytest.raises(store.Invalid):
            store.save_file(session, d.id, bad, "x: 1\n", people["anna"], d.revision)
    with pytest.raises(store.Invalid, match="personnummer"):
        store.save_file(session, d.id, FC, d.files[FC] + "# 19811218-9876\n", people["anna"], d.revision)
    with pytest.raises(store.Invalid, match="personnummer"):
        store.submit(session, d.id, people["anna"], "gäller 811218-9876")


def test_four_eyes_submit_send_back_approve(session, people):
    p = people
    d = store.create_draft(session, p["anna"], "")
    store.save_file(session, d.id, FC, edit(d.files, "barn 0–6 år", "barn 0-6 år"), p["anna"], d.revision)
    with pytest.raises(store.Conflict, match="inte inskickat"):
        store.approve(session, d.id, p["greta"])
    store.submit(session, d.id, p["anna"], "Bindestreck")
    with pytest.raises(store.Conflict):  # not editable while in review
        store.save_file(session, d.id, FC, "x: 1\n", p["anna"], d.revision)
    store.send_back(session, d.id, p["greta"], "Skriv varför")
    assert d.status == "aterskickad" and d.review_comment == "Skriv varför"
    # a granskare who edits the draft becomes one of its authors and may not approve it
    store.save_file(session, d.id, FC, edit(d.files, "barn 0-6 år", "barn 0–6 år (noll till sex)"), p["greta"], d.revision)
    store.submit(session, d.id, p["anna"], "Tydligare åldrar")
    with pytest.raises(store.Refused, match="själv"):
        store.approve(session, d.id, p["greta"])
    pv = store.approve(session, d.id, p["gunnar"], features=False)
    assert (pv.number, pv.author, pv.approver, pv.reason) == (2, "anna", "gunnar", "Tydligare åldrar")
    assert store.current_version(session).id == pv.id
    assert d.status == "publicerad"
    assert pv.version == packfiles.version_of(pv.files)


def test_approval_rebases_on_a_newer_version_or_refuses_when_both_changed_a_file(session, people):
    p = people
    d1 = store.create_draft(session, p["anna"], "")
    d2 = store.create_draft(session, p["bertil"], "")
    d3 = store.create_draft(session, p["bertil"], "")
    store.save_file(session, d1.id, FC, edit(d1.files, "barn 0–6 år", "barn 0-6 år"), p["anna"], d1.revision)
    store.save_file(session, d2.id, FC, edit(d2.files, "minst en familjecentral per kommun.", "en familjecentral per kommun."),
                    p["bertil"], d2.revision)
    other = "regler/04-selektiv.yaml"
    store.save_file(session, d3.id, other, d3.files[other] + "# kommentar\n", p["bertil"], d3.revision)
    for d, who in ((d1, "anna"), (d2, "bertil"), (d3, "bertil")):
        store.submit(session, d.id, p[who], "ändring")
    v2 = store.approve(session, d1.id, p["greta"], features=False)
    with pytest.raises(store.Conflict, match="samma"):
        store.approve(session, d2.id, p["greta"], features=False)
    v3 = store.approve(session, d3.id, p["greta"], features=False)
    assert v3.files[FC] == v2.files[FC]  # d1's change kept
    assert v3.files[other].endswith("# kommentar\n")


def test_a_database_made_anew_with_other_features_never_gets_the_old_cached_folder(tmp_path):
    """The version string covers the rule files only, and the folder cache is shared by every
    database of the user: version 1 of a new database whose features differ (a `git pull` added
    one, then var/ was removed) must get its own folder, not the old one without the new feature."""
    cache = tmp_path / "cache"
    dirs = []
    for name, extra in (("a", {}), ("b", {"features/ny.feature": "# language: sv\nEgenskap: Ny\n"})):
        url = f"sqlite:///{tmp_path / name}.db"
        db.upgrade(url)
        with db.session_scope(url) as s:
            files = {**packfiles.read_dir(DEFAULT_PACK), **extra}
            pack_dir = packfiles.write_dir(files, tmp_path / f"pack-{name}")
            store.ensure_seeded(s, pack_dir)
        source = DatabaseSource(url, cache_dir=cache)
        token = source.current()
        dirs.append((token, source.materialize(token)))
    (token_a, dir_a), (token_b, dir_b) = dirs
    assert token_a == token_b  # same rule files: the same version string
    assert dir_a != dir_b
    assert not (dir_a / "features" / "ny.feature").exists() and (dir_b / "features" / "ny.feature").is_file()
    db.dispose_all()


def test_publish_rolls_back_and_serving_follows(session, people, db_url, tmp_path):
    p = people
    source = DatabaseSource(db_url, cache_dir=tmp_path / "cache")
    token1 = source.current()
    dir1 = source.materialize(token1)
    assert load_pack(dir1).version == store.current_version(session).version
    assert source.materialize(token1) == dir1  # cached
    d = store.create_draft(session, p["anna"], "")
    store.save_file(session, d.id, FC, edit(d.files, "barn 0–6 år", "barn 0-6 år"), p["anna"], d.revision)
    store.submit(session, d.id, p["anna"], "x")
    v2 = store.approve(session, d.id, p["greta"], features=False)
    assert source.current() == token1  # not committed yet: other connections still see version 1
    session.commit()
    token2 = source.current()
    assert token2 == f"2:{v2.version}"
    assert load_pack(source.materialize(token2)).version == v2.version
    store.publish(session, "1", p["greta"], "Tillbaka till första")
    session.commit()
    assert source.current() == token1
    assert "version 1" in source.describe()
    events = store.audit(session, limit=1)
    assert events[0].action == "version.publicerad" and events[0].reason == "Tillbaka till första"


def test_availability_report_for_own_kommun(session, people):
    nora = people["nora"]
    today = dt.date(2026, 11, 24)
    entries = [
        {"insats": "abc", "status": "finns", "contact": "familjecentralen@nora.se", "target_groups": ["föräldrar 3–12 år"]},
        {"insats": "bvc", "status": "planeras", "planned_from": "2027-01-01"},
        {"insats": "biff", "status": "saknas"},
        {"insats": "icdp", "status": "okänd"},
    ]
    d = store.report_availability(session, nora, "Nora", entries, today=today)
    assert d.kind == "tillganglighet" and d.kommun == "1884" and d.author == "nora"
    data = yaml.safe_load(d.files[store.AVAILABILITY_FILE])
    got = {e["insats"]: e for e in data["entries"]}
    assert set(got) == {"abc", "bvc", "biff", "icdp"}
    assert all(e["kommun"] == "1884" and e["verified"] == today for e in got.values())
    assert got["bvc"]["planned_from"] == dt.date(2027, 1, 1)
    assert got["abc"]["contact"] == "familjecentralen@nora.se"
    # a second report replaces the kommun's entries in the same open draft
    d2 = store.report_availability(session, nora, "1884", [{"insats": "abc", "status": "saknas"}], today=today)
    assert d2.id == d.id
    assert [e["insats"] for e in store.reported_entries(d2, "1884")] == ["abc"]
    # the samordnare never edits files, only through the report; submits like any draft
    with pytest.raises(store.Refused):
        store.save_file(session, d.id, store.AVAILABILITY_FILE, "entries: []\n", nora, d2.revision)
    store.submit(session, d.id, nora, "Kartläggning hösten 2026")
    assert [x.id for x in store.drafts(session, nora)] == [d.id]
    assert store.drafts(session, people["orebro"]) == []


@pytest.mark.parametrize("entry, message", [
    ({"insats": "finnsinte", "status": "finns"}, "okänd insats"),
    ({"insats": "abc", "status": "planeras"}, "från vilket datum"),
    ({"insats": "abc", "status": "kanske"}, "status"),
    ({"insats": "abc", "status": "finns", "contact": "anna.andersson@nora.se"}, "funktionsadress"),
    ({"insats": "abc", "status": "finns", "contact": "ring 0701234567"}, "personnummer"),
    ({"insats": "abc", "status": "finns", "namn": "Kalle"}, "namn"),
])
def test_availability_report_refuses_bad_entries(session, people, entry, message):
    with pytest.raises(store.Invalid) as exc:
        store.report_availability(session, people["nora"], "Nora", [entry])
    assert message in str(exc.value)


def test_login_is_throttled_and_audited(session, people):
    assert store.authenticate(session, "anna", PW, "10.0.0.1").name == "anna"
    for _ in range(store.THROTTLE_PER_NAME):
        assert store.authenticate(session, "anna", "fel-lösenord", "10.0.0.1") is None
    with pytest.raises(store.Throttled):
        store.authenticate(session, "anna", PW, "10.0.0.1")  # even the right password, for a while
    assert store.authenticate(session, "greta", PW, "10.0.0.2").name == "greta"
    actions = [e.action for e in store.audit(session)]
    assert actions.count("inloggning.misslyckad") == store.THROTTLE_PER_NAME
    assert "inloggning.sparrad" in actions
    # a personnummer typed as a user name is never stored
    assert store.authenticate(session, "19811218-9876", "x", "10.0.0.3") is None
    session.commit()
    assert "9876" not in " ".join(e.actor + e.target for e in store.audit(session))


def test_sessions_and_csrf(session, people):
    token, csrf = auth.create_session(session, people["anna"])
    user, ws = auth.session_user(session, token)
    assert user.name == "anna" and auth.csrf_ok(ws, csrf) and not auth.csrf_ok(ws, "fel") and not auth.csrf_ok(ws, None)
    assert token not in str(session.execute(text("SELECT token_hash FROM ws_session")).all())
    auth.end_session(session, token)
    assert auth.session_user(session, token) is None
    t2, _ = auth.create_session(session, people["bertil"])
    store.set_active(session, "bertil", False, people["adam"])
    assert auth.session_user(session, t2) is None
    assert people["anna"].password_hash.startswith("$argon2id$")


def test_audit_is_append_only_in_the_database(session, people, db_url):
    session.commit()
    assert store.audit(session)
    for statement in ("UPDATE ws_audit SET actor = 'x'", "DELETE FROM ws_audit"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.session_scope(db_url) as s:
                s.execute(text(statement))
    assert all(e.actor != "x" for e in store.audit(session))


def test_export_roundtrip_and_import_refusals(session, people, tmp_path):
    out = store.export(session, "1", tmp_path / "ut")
    assert packfiles.read_dir(out) == store.current_version(session).files
    assert load_pack(out).version == store.current_version(session).version
    (tmp_path / "tom").mkdir()
    with pytest.raises(store.Invalid, match="inga regelpaketsfiler"):
        store.import_draft(session, tmp_path / "tom", people["anna"], "x")
    with pytest.raises(store.NotFound):
        store.get_version(session, "99")
    with pytest.raises(store.NotFound):
        store.get_draft(session, "abc")


def test_serve_chooses_the_database_only_without_rules(db_url, monkeypatch, tmp_path):
    from service.workspace import source as source_mod

    monkeypatch.delenv(source_mod.SOURCE_ENV, raising=False)
    assert source_mod.serve_source(str(DEFAULT_PACK)) is None
    assert source_mod.from_env() is None  # create_app() in tests never picks the database by itself
    chosen = source_mod.serve_source(None)
    assert isinstance(chosen, DatabaseSource)
    assert source_mod.from_env() is not None  # what the workers see
    assert chosen.current().startswith("1:")  # migrated and seeded on first start
    monkeypatch.setenv("FORALDRASTOD_RULES", str(DEFAULT_PACK))
    assert source_mod.serve_source(None) is None
    assert source_mod.from_env() is None


def test_serve_refuses_an_unreachable_database_in_swedish(monkeypatch, capsys, tmp_path):
    from service.workspace import source as source_mod

    monkeypatch.delenv("FORALDRASTOD_RULES", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://x@/db?host={tmp_path}&port=1&connect_timeout=2")
    with pytest.raises(SystemExit) as exc:
        source_mod.serve_source(None)
    assert exc.value.code == 1
    assert "kan inte användas" in capsys.readouterr().err


def test_reports_from_two_kommuner_are_both_published(session, people):
    p = people
    dn = store.report_availability(session, p["nora"], "Nora", [{"insats": "abc", "status": "finns"}])
    do = store.report_availability(session, p["orebro"], "Örebro", [{"insats": "biff", "status": "saknas"}])
    store.submit(session, dn.id, p["nora"], "Nora hösten 2026")
    store.submit(session, do.id, p["orebro"], "Örebro hösten 2026")
    store.approve(session, dn.id, p["greta"], features=False)
    v3 = store.approve(session, do.id, p["greta"], features=False)
    assert [e["insats"] for e in store.reported_entries(v3.files, "1884")] == ["abc"]
    assert [e["insats"] for e in store.reported_entries(v3.files, "1880")] == ["biff"]


def test_migrations_match_the_models(session, db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import service.uppfoljning.models  # noqa: F401  (its tables live on the same Base)
    from service.workspace.models import Base

    with db.make_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert db.schema_revision(db_url) == "0005"


def test_two_approvals_at_once_never_fail_with_a_database_error(session, people, db_url):
    import threading

    p = people
    ids = []
    for who, old, new in (("anna", "barn 0–6 år", "barn 0-6 år"),
                          ("bertil", "minst en familjecentral per kommun.", "en familjecentral per kommun.")):
        d = store.create_draft(session, p[who], "")
        store.save_file(session, d.id, FC, edit(d.files, old, new), p[who], d.revision)
        store.submit(session, d.id, p[who], "samtidigt")
        ids.append(d.id)
    # a third draft touching another file, so that both may be published
    d3 = store.create_draft(session, p["anna"], "")
    other = "regler/04-selektiv.yaml"
    store.save_file(session, d3.id, other, d3.files[other] + "# x\n", p["anna"], d3.revision)
    store.submit(session, d3.id, p["anna"], "annan fil")
    session.commit()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def approve(draft_id: int, reviewer: str) -> None:
        try:
            with db.session_scope(db_url) as s:
                user = store.get_user(s, reviewer)
                barrier.wait()
                store.approve(s, draft_id, user, features=False)
            outcomes.append("ok")
        except store.Conflict as exc:
            outcomes.append(f"conflict: {exc.message}")
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            outcomes.append(f"error: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=approve, args=(ids[0], "greta")),
               threading.Thread(target=approve, args=(d3.id, "gunnar"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert "ok" in outcomes
    with db.session_scope(db_url) as s:
        numbers = [v.number for v in store.versions(s)]
        assert numbers == sorted(set(numbers), reverse=True)
        assert store.current_version(s).number == max(numbers)
