"""foraldrastod command line (CONTRACT.md): serve, recommend, check, coverage, test."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pydantic import ValidationError

LEVEL_TITLES = {
    "universell": "Universell nivå – för alla föräldrar",
    "selektiv": "Selektiv nivå – för föräldrar i riskgrupper",
    "indikerad": "Indikerad nivå – vid tydliga problem",
}
AVAILABILITY_TEXT = {"finns": "finns i kommunen", "saknas": "saknas i kommunen", "okänd": "okänt om den finns i kommunen"}
SEVERITY_TEXT = {"critical": "VIKTIGT", "warning": "Observera", "info": "Info"}


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.rules:
        os.environ["FORALDRASTOD_RULES"] = str(Path(args.rules).resolve())
    from engine import PackInvalid, load_pack

    try:  # fail fast, in Swedish, before uvicorn starts workers
        load_pack(os.environ.get("FORALDRASTOD_RULES") or None)
    except PackInvalid as exc:
        _err("Regelpaketet är ogiltigt:")
        for e in exc.errors:
            _err(str(e))
        return 1
    if args.workers > 1 and not os.environ.get("FORALDRASTOD_RULES_LAST_GOOD"):
        import tempfile

        # uvicorn restarts every worker on SIGHUP; if the pack on disk is broken by then, the
        # workers fall back to the last pack that loaded (service/state.py)
        os.environ["FORALDRASTOD_RULES_LAST_GOOD"] = tempfile.mkdtemp(prefix="foraldrastod-pack-")
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,  # service.app logs method, path, status and latency; never bodies
        server_header=False,
        http="service.server:NoDelayH11Protocol",
    )
    return 0


def _print_decision(body: dict) -> None:
    for notice in body["notices"]:
        print(f"{SEVERITY_TEXT[notice['severity']]}: {notice['text']}")
    if body["notices"]:
        print()
    print(f"Högsta nivå: {body['level']}")
    for level, title in LEVEL_TITLES.items():
        recs = [r for r in body["recommendations"] if r["level"] == level]
        if not recs:
            continue
        print()
        print(title)
        for r in recs:
            print(f"  • {r['name']} ({AVAILABILITY_TEXT[r['availability']]})")
            print(f"    {r['rationale']}")
            src = r["source"]
            print(f"    Källa: {src.get('title') or src['document']}, {src['section']} [regel {r['rule_id']}]")
            if r.get("contact"):
                print(f"    Kontakt: {r['contact']}")
    print()
    print(f"Regelpaket: {body['ruleset']['name']} {body['ruleset']['version']}")


def cmd_recommend(args: argparse.Namespace) -> int:
    from engine import Engine, FamilyInvalid, PackInvalid, decision_body
    from engine.messages import swedish
    from engine.models import Family

    data: dict = {"kommun": args.kommun, "expecting": args.expecting, "needs": args.need or []}
    if args.age_months is not None:
        data["age_months"] = args.age_months
    if args.date:
        data["date"] = args.date
    try:
        family = Family.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            field = ".".join(str(p) for p in e["loc"]) or "indata"
            _err(f"Fel i {field}: {swedish(e)}")
        return 2
    try:
        engine = Engine.load(args.rules, cache_size=0)
    except PackInvalid as exc:
        _err("Regelpaketet är ogiltigt:")
        for e in exc.errors:
            _err(str(e))
        return 1
    try:
        decision = engine.decide(family)
    except FamilyInvalid as exc:
        _err(f"Fel i {exc.field}: {exc.sv}")
        return 2
    finally:
        engine.close()
    body = decision_body(decision)
    if args.json:
        print(json.dumps(body, ensure_ascii=False))
    else:
        _print_decision(body)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from engine import CompileError, PackInvalid, compile_pack, load_pack

    try:
        pack = load_pack(args.dir)
        compiled = compile_pack(pack, "check")
    except PackInvalid as exc:
        for e in exc.errors:
            print(str(e))
        print(f"{len(exc.errors)} fel i regelpaketet.", file=sys.stderr)
        return 1
    except CompileError as exc:
        for p in exc.problems:
            print(f"regler: {p}")
        return 1
    print(
        f"Regelpaketet {pack.name} ({pack.version}) är giltigt: {len(pack.rules)} regler, "
        f"{len(pack.insatser)} insatser, {len(pack.needs)} behov, {len(pack.kommuner)} kommuner, "
        f"{len(compiled.shards)} regeluppsättningar i motorn."
    )
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from service import coverage

    return coverage.main(args)


def cmd_test(args: argparse.Namespace) -> int:
    from service import features_runner

    return features_runner.main(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="foraldrastod", description="Beslutsstöd för föräldraskapsstöd")
    sub = p.add_subparsers(dest="command", required=True, metavar="KOMMANDO")

    s = sub.add_parser("serve", help="starta webbtjänsten")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1)
    s.add_argument("--rules", metavar="DIR", help="regelpaket (standard: rules/orebro-lan)")
    s.set_defaults(func=cmd_serve)

    r = sub.add_parser("recommend", help="rekommendera insatser för en familj")
    r.add_argument("--kommun", required=True, help="kommunens namn eller kommunkod")
    g = r.add_mutually_exclusive_group(required=True)
    g.add_argument("--age-months", type=int, dest="age_months", help="barnets ålder i månader (0–216)")
    g.add_argument("--expecting", action="store_true", help="blivande föräldrar")
    r.add_argument("--need", action="append", metavar="KOD", help="behovskod (kan upprepas)")
    r.add_argument("--date", help="datum reglerna tillämpas för (ÅÅÅÅ-MM-DD)")
    r.add_argument("--json", action="store_true", help="skriv exakt HTTP-svarets JSON")
    r.add_argument("--rules", metavar="DIR", help="regelpaket (standard: rules/orebro-lan)")
    r.set_defaults(func=cmd_recommend)

    c = sub.add_parser("check", help="validera ett regelpaket")
    c.add_argument("dir", nargs="?", default=None, metavar="DIR")
    c.set_defaults(func=cmd_check)

    v = sub.add_parser("coverage", help="kartläggning: kommun × ålder × nivå")
    v.add_argument("--format", choices=["text", "html", "png"], default="text")
    v.add_argument("--out", metavar="FILE")
    v.add_argument("--rules", metavar="DIR")
    v.set_defaults(func=cmd_coverage)

    t = sub.add_parser("test", help="kör beteendetesterna (Gherkin) mot regelpaketet")
    t.add_argument("--rules", metavar="DIR")
    t.add_argument("extra", nargs="*", help="extra argument till pytest")
    t.set_defaults(func=cmd_test)
    __import__("service.cli_workspace").cli_workspace.register(sub)  # db, user, pack, audit (issue 13)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
