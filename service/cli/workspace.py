"""Command line for the rule pack workspace (CONTRACT v2 "Rule pack workspace"):
`db upgrade`, `user add`, `pack import|approve|versions|publish|export|test`, `audit`.

The operator has shell access, so the CLI trusts the NAME given with --user, but every store
function enforces that NAME's role. Exit 0 on success, 1 when refused or a check fails (Swedish
message on stderr), 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

PASSWORD_ENV = "FORALDRASTOD_PASSWORD"


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _when(iso: str | None) -> str:
    """An ISO time as local 'ÅÅÅÅ-MM-DD TT:MM' for the text output (JSON keeps ISO with zone)."""
    import datetime as dt

    return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M") if iso else "–"


def _run(work) -> int:
    """Run `work(session)` in one transaction on a migrated, seeded database."""
    from sqlalchemy.exc import OperationalError

    from service.workspace import db, store

    try:
        db.upgrade()
        with db.session_scope() as s:
            store.ensure_seeded(s)
            return work(s) or 0
    except store.Refused as exc:
        _err(exc.message)
        for line in exc.details:
            _err(f"  {line}")
        return 1
    except OperationalError as exc:
        _err(f"Databasen {db.describe_url()} går inte att nå: {str(exc.orig).strip().splitlines()[0]}")
        return 1


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError

    from service.workspace import db

    try:
        db.upgrade()
    except OperationalError as exc:
        _err(f"Databasen {db.describe_url()} går inte att nå: {str(exc.orig).strip().splitlines()[0]}")
        return 1
    print(f"Databasen {db.describe_url()} har schemaversion {db.schema_revision()}.")
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    from service.workspace.backup import cmd_db_backup as backup  # issue 21: online SQLite copy

    return backup(args)


def _password() -> str | None:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        _err(f"Ange lösenordet i miljövariabeln {PASSWORD_ENV} (ingen terminal att fråga i).")
        return None
    first = getpass.getpass("Lösenord: ")
    if getpass.getpass("Lösenord igen: ") != first:
        _err("Lösenorden är inte lika.")
        return None
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    from service.workspace import store

    password = _password()
    if password is None:
        return 1

    def work(s):
        user = store.add_user(s, args.name, args.role, password, kommun=args.kommun, actor="kommandoraden")
        where = f" för kommun {user.kommun}" if user.kommun else ""
        print(f"Användaren {user.name} är skapad med rollen {store.ROLE_TITLES[user.role]}{where}.")

    return _run(work)


def cmd_pack_import(args: argparse.Namespace) -> int:
    from service.workspace import packfiles, store

    def work(s):
        user = store.active_user(s, args.user)
        draft = store.import_draft(s, Path(args.dir), user, args.reason)
        version, problems = packfiles.try_version(draft.files)
        base = s.get(store.PackVersion, draft.base_version_id)
        print(f"Utkastet är importerat från {args.dir} och inskickat för granskning (jämfört med version {base.number}):")
        print(f"  {store.diff_summary(base.files, draft.files)}")
        if problems:
            print(f"Observera: regelpaketet är ogiltigt ({len(problems)} fel); det kan inte godkännas så här:")
            for p in problems[:20]:
                print(f"  {p}")
        else:
            print(f"Regelpaketets version: {version}")
        print(draft.id)

    return _run(work)


def cmd_pack_approve(args: argparse.Namespace) -> int:
    from service.workspace import store

    def work(s):
        user = store.active_user(s, args.user)
        pv = store.approve(s, args.draft, user)
        print(f"Utkast {args.draft} är godkänt och publicerat som version {pv.number} ({pv.version}).")

    return _run(work)


def cmd_pack_versions(args: argparse.Namespace) -> int:
    from service.workspace import store

    def work(s):
        current = store.current_version(s)
        rows = [store.version_info(v, current.id) for v in store.versions(s)]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            mark = "* " if r["current"] else "  "
            approver = f", godkänd av {r['approver']}" if r["approver"] else ""
            print(f"{mark}{r['number']:>3}  {r['version']}  {_when(r['published_at'] or r['created_at'])}  "
                  f"av {r['author']}{approver}: {r['reason']}")
        print(f"* = versionen som används nu (version {current.number}).")

    return _run(work)


def cmd_pack_publish(args: argparse.Namespace) -> int:
    from service.workspace import store

    def work(s):
        user = store.active_user(s, args.user)
        pv = store.publish(s, args.version, user, args.reason)
        print(f"Version {pv.number} ({pv.version}) används nu.")

    return _run(work)


def cmd_pack_export(args: argparse.Namespace) -> int:
    from service.workspace import store

    def work(s):
        pv = store.get_version(s, args.version)
        out = store.export(s, args.version, Path(args.dir))
        print(f"Version {pv.number} ({pv.version}) är exporterad till {out}: {len(pv.files)} filer.")

    return _run(work)


def cmd_pack_test(args: argparse.Namespace) -> int:
    """`pack test VERSION` or `pack test --utkast N`: the version's or draft's own features
    against its own pack, summarised as `foraldrastod test` does."""
    from service.cli import features as features_runner
    from service.workspace import packfiles, store

    def work(s):
        if args.utkast is not None:
            draft = store.get_draft(s, args.utkast)
            files, what = dict(draft.files), f"utkast {draft.id} (revision {draft.revision})"
        else:
            pv = store.get_version(s, args.version or store.current_version(s).number)
            files, what = dict(pv.files), f"version {pv.number} ({pv.version})"
        print(f"Beteendetesterna i {what} mot dess regelpaket:")
        with packfiles.TempPack(files) as d:
            return features_runner.main(argparse.Namespace(rules=str(d), extra=[]))

    return _run(work)


def cmd_audit(args: argparse.Namespace) -> int:
    from service.workspace import store

    def work(s):
        events = store.audit(s, limit=args.limit)
        if args.json:
            print(json.dumps([store.audit_info(e) for e in events], ensure_ascii=False, indent=2))
            return
        for e in events:
            info = store.audit_info(e)
            why = f" – anledning: {e.reason}" if e.reason else ""
            print(f"{_when(info['at'])}  {e.actor}  {e.action}  {e.target}: {e.summary}{why}")
        if not events:
            print("Granskningsloggen är tom.")

    return _run(work)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the workspace commands to foraldrastod's subparsers."""
    d = sub.add_parser("db", help="databasen för redaktionen")
    dsub = d.add_subparsers(dest="db_command", required=True, metavar="KOMMANDO", help="vad som ska göras med databasen")
    up = dsub.add_parser("upgrade", help="skapa eller uppgradera databasens schema")
    up.set_defaults(func=cmd_db_upgrade)
    bk = dsub.add_parser("backup", help="skriv en kopia av SQLite-databasen medan servrarna kör (PostgreSQL: pg_dump)")
    bk.add_argument("file", metavar="FIL", help="en ny fil för kopian")
    bk.set_defaults(func=cmd_db_backup)

    u = sub.add_parser("user", help="konton i redaktionen")
    usub = u.add_subparsers(dest="user_command", required=True, metavar="KOMMANDO", help="vad som ska göras med kontona")
    add = usub.add_parser("add", help=f"skapa ett konto (lösenordet från {PASSWORD_ENV}, annars frågas det efter)")
    add.add_argument("name", metavar="NAMN")
    add.add_argument("--role", required=True, choices=["redaktor", "granskare", "samordnare", "admin"],
                     help="roll: redaktor, granskare, samordnare eller admin")
    add.add_argument("--kommun", metavar="KOD", help="kommunkod eller namn (bara för samordnare)")
    add.set_defaults(func=cmd_user_add)

    p = sub.add_parser("pack", help="regelpaketets versioner i databasen")
    psub = p.add_subparsers(dest="pack_command", required=True, metavar="KOMMANDO", help="vad som ska göras med regelpaketets versioner och utkast")
    imp = psub.add_parser("import", help="gör ett utkast av en mapp med regelpaketsfiler (utkastets id på sista raden)")
    imp.add_argument("dir", metavar="DIR")
    imp.add_argument("--user", required=True, metavar="NAMN", help="vem som lämnar utkastet")
    imp.add_argument("--reason", required=True, metavar="TEXT", help="varför (syns i granskningsloggen)")
    imp.set_defaults(func=cmd_pack_import)

    ap = psub.add_parser("approve", help="kontrollera ett utkast och publicera det (granskare, inte författaren)")
    ap.add_argument("draft", metavar="UTKAST")
    ap.add_argument("--user", required=True, metavar="NAMN", help="granskaren som godkänner")
    ap.set_defaults(func=cmd_pack_approve)

    vs = psub.add_parser("versions", help="publicerade versioner, nyast först")
    vs.add_argument("--json", action="store_true", help="skriv JSON")
    vs.set_defaults(func=cmd_pack_versions)

    pb = psub.add_parser("publish", help="använd en tidigare version igen")
    pb.add_argument("version", metavar="VERSION", help="versionsnummer eller versionssträng")
    pb.add_argument("--user", required=True, metavar="NAMN", help="granskaren som publicerar")
    pb.add_argument("--reason", required=True, metavar="TEXT", help="varför (syns i granskningsloggen)")
    pb.set_defaults(func=cmd_pack_publish)

    ex = psub.add_parser("export", help="skriv en versions filer till en mapp")
    ex.add_argument("version", metavar="VERSION", help="versionsnummer eller versionssträng")
    ex.add_argument("dir", metavar="DIR", help="en ny eller tom mapp")
    ex.set_defaults(func=cmd_pack_export)

    te = psub.add_parser("test", help="kör en versions eller ett utkasts egna beteendetester mot dess regler")
    te.add_argument("version", metavar="VERSION", nargs="?", help="versionsnummer eller versionssträng (standard: den som används)")
    te.add_argument("--utkast", metavar="N", help="ett utkast i stället för en version")
    te.set_defaults(func=cmd_pack_test)

    a = sub.add_parser("audit", help="granskningsloggen: varje ändring, nyast först")
    a.add_argument("--json", action="store_true", help="skriv JSON")
    a.add_argument("--limit", type=int, metavar="N", help="bara de N senaste")
    a.set_defaults(func=cmd_audit)
