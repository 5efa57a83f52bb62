"""`foraldrastod uppfoljning [--period P] [--kommun K] [--format text|csv|json]`: the protected
report from the database (DATABASE_URL, else var/foraldrastod.db). `json` is exactly the body of
GET /v1/uppfoljning; `csv` has the contract's header; `text` is for a person and shows the same
figures, nothing more."""
from __future__ import annotations

import argparse
import datetime as dt
import sys

import orjson


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _pack(rules: str | None):
    """--rules DIR, else the version the database serves, else the embedded pack."""
    import os

    from engine import load_pack

    rules = rules or os.environ.get("FORALDRASTOD_RULES")
    if rules:
        return load_pack(rules)
    from service.workspace import db

    if db.configured():
        try:
            from service.workspace.source import DatabaseSource

            source = DatabaseSource(seed=False)
            return load_pack(source.materialize(source.current()))
        except Exception:  # noqa: BLE001 - no published version: the embedded pack names the kommuner
            pass
    return load_pack(None)


def cmd_uppfoljning(args: argparse.Namespace) -> int:
    from engine import PackInvalid
    from service.core.errors import looks_like_personnummer
    from service.workspace import db

    from . import report

    period = args.period or str(dt.date.today().year)
    if len(period) != 4 or not period.isdigit():
        _err("Fel i --period: ange perioden som ett årtal, t.ex. 2026")
        return 2
    try:
        pack = _pack(args.rules)
    except PackInvalid as exc:
        _err("Regelpaketet är ogiltigt:")
        for e in exc.errors:
            _err(str(e))
        return 1
    code = None
    if args.kommun is not None:
        if looks_like_personnummer(args.kommun):
            _err("Fel i --kommun: ser ut som ett personnummer; ange kommunens namn eller kommunkod")
            return 2
        code = pack.resolve_kommun(args.kommun)
        if code is None:
            _err("Fel i --kommun: okänd kommun (ange namn eller 4-siffrig kommunkod)")
            return 2
    if not db.configured():
        _err("Uppföljningen har ingen databas: ange DATABASE_URL (eller kör tjänsten med databasen i var/).")
        return 1
    try:
        body = report.build_report(pack, period, code)
    except Exception as exc:  # noqa: BLE001
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _err(f"Databasen {db.describe_url()} kan inte läsas: {reason}")
        _err("Kör 'foraldrastod db upgrade' om uppföljningens tabeller saknas.")
        return 1
    if args.format == "json":
        sys.stdout.write(orjson.dumps(body).decode() + "\n")
    elif args.format == "csv":
        sys.stdout.write(report.to_csv(body))
    else:
        sys.stdout.write(report.to_text(body, pack))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    u = sub.add_parser("uppfoljning", help="uppföljningens rapport (skyddade siffror)",
                       description="Uppföljningens rapport för en period: registrerade bedömningar per cell "
                                   "(celler under k skyddas) och indikatorerna med målområde och källa.")
    u.add_argument("--period", metavar="ÅR", help="kalenderåret (standard: i år)")
    u.add_argument("--kommun", metavar="KOMMUN", help="en kommun (namn eller kommunkod); standard: hela länet")
    u.add_argument("--format", choices=["text", "csv", "json"], default="text",
                   help="text, csv (period,kommun,kommunkod,aldersband,behov,niva,insats_id,utfall,antal) eller "
                        "json (samma som GET /v1/uppfoljning)")
    u.add_argument("--rules", metavar="DIR", help="regelpaket (standard: det databasen tjänar)")
    u.set_defaults(func=cmd_uppfoljning)
