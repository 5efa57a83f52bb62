"""foraldrastod command line (CONTRACT.md): serve, recommend, behov, check, coverage, test."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from service.cli.sv import SvArgumentParser

LEVEL_TITLES = {
    "universell": "Universell nivå – för alla föräldrar",
    "selektiv": "Selektiv nivå – för föräldrar i riskgrupper",
    "indikerad": "Indikerad nivå – vid tydliga problem",
}
AVAILABILITY_TEXT = {"finns": "finns i kommunen", "saknas": "saknas i kommunen", "okänd": "okänt om den finns i kommunen"}
ASSUMED_TEXT = {"finns": "antas finnas i kommunen – inte bekräftat", "saknas": "antas saknas i kommunen – inte bekräftat"}
TOLD_TEXT = {"finns": "finns enligt kommunens uppgift", "saknas": "saknas enligt kommunens uppgift"}
RULE_BASIS_ASSUMED = "Regionens egen bedömning – står inte uttryckligen i strategin"
SEVERITY_TEXT = {"critical": "VIKTIGT", "warning": "Observera", "info": "Info"}


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


# the option a user typed, for a field of the request (errors name the options, not API fields)
OPTION_OF = {"kommun": "--kommun", "age_months": "--age-months", "expecting": "--expecting",
             "needs": "--need", "date": "--date"}


def _option(loc) -> str:
    parts = [str(p) for p in loc]
    if not parts:
        return "indata"
    option = OPTION_OF.get(parts[0], parts[0])
    if parts[0] == "needs" and len(parts) > 1 and parts[1].isdigit():
        return f"{option} (värde {int(parts[1]) + 1})"
    return option


def cmd_serve(args: argparse.Namespace) -> int:
    from service.core.runner import serve  # uvicorn options, limits, run directory
    from service.workspace.source import serve_source  # the database, unless --rules DIR is given

    return serve(args, database_source=serve_source)


def availability_words(rec: dict) -> str:
    """'finns (antagande: presentationen 2022 listar insatsen för norra länsdelen)'."""
    words = rec["availability"]
    basis = rec.get("availability_basis")
    if basis:
        detail = basis
        if rec.get("availability_reason"):
            detail += f": {rec['availability_reason']}"
        if rec.get("availability_verified"):
            detail += f"; kontrollerad {rec['availability_verified']}"
        words += f" ({detail})"
    elif rec["availability"] == "okänd":
        words += " (ingen uppgift om kommunen)"
    if rec.get("availability_planned_from") and rec["availability"] == "saknas":
        words += f", planeras från {rec['availability_planned_from']}"
    return words


def _print_decision(body: dict, pack=None) -> None:
    """The answer for a person at a terminal: needs and kommuner by name, what rests on the
    region's own judgement apart, the programmes used in the län last (never as recommendations)."""
    needs = pack.needs if pack is not None else {}
    kommuner = pack.kommuner if pack is not None else {}

    def need_name(code: str) -> str:
        return needs[code].label if code in needs else code

    for notice in body["notices"]:
        about = f" (gäller behovet: {need_name(notice['need'])})" if notice.get("need") else ""
        print(f"{SEVERITY_TEXT[notice['severity']]}: {notice['text']}{about}")
    if body["notices"]:
        print()
    print(f"Högsta nivå: {body['level']}")

    def show(r: dict) -> None:
        headline = AVAILABILITY_TEXT[r["availability"]]
        if r.get("availability_basis") == "antagande" and r["availability"] in ASSUMED_TEXT:
            headline = ASSUMED_TEXT[r["availability"]]  # an inference never reads as a fact
        elif r.get("availability_basis") == "kommunens uppgift" and r["availability"] in TOLD_TEXT:
            headline = TOLD_TEXT[r["availability"]]
        print(f"  • {r['name']} ({headline})")
        print(f"    Tillgång: {availability_words(r)}")
        if r.get("triggered_by"):
            print(f"    Utifrån behov: {', '.join(need_name(c) for c in r['triggered_by'])}")
        if r.get("rule_basis") == "antagande":
            reason = f" {r['rule_basis_reason']}" if r.get("rule_basis_reason") else ""
            print(f"    {RULE_BASIS_ASSUMED}.{reason}")
        print(f"    {r['rationale']}")
        src = r["source"]
        rules = ", ".join(r.get("rule_ids") or [r["rule_id"]])
        print(f"    Källa: {src.get('title') or src['document']}, {src['section']} [regel {rules}]")
        if r.get("contact"):
            print(f"    Kontakt: {r['contact']}")

    for level, title in LEVEL_TITLES.items():
        recs = [r for r in body["recommendations"] if r["level"] == level]
        if not recs:
            continue
        print()
        print(title)
        stated = [r for r in recs if r.get("rule_basis") != "antagande"]
        assumed = [r for r in recs if r.get("rule_basis") == "antagande"]
        for r in stated:
            show(r)
        if assumed:
            print(f"  {RULE_BASIS_ASSUMED}:")
            for r in assumed:
                show(r)
    programs = body.get("programs_in_lan") or []
    if programs:
        print()
        print("Program som används i länet (inte rekommendationer till familjen)")
        for p in programs:
            text = p.get("description") or p.get("format")
            print(f"  • {p['name']}" + (f" – {text}" if text else ""))
            where = [kommuner[c].name if c in kommuner else c for c in p.get("kommuner") or []]
            print(f"    {'Ges i: ' + ', '.join(where) if where else 'Var programmet ges är inte känt'}")
            src = p.get("source") or {}
            if src:
                section = f", {src['section']}" if src.get("section") else ""
                print(f"    Källa: {src.get('title') or src.get('document')}{section}")
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
            msg = swedish(e)
            loc = e["loc"] or ((msg.split(":", 1)[0],) if msg.split(":", 1)[0] in OPTION_OF else ())
            if not e["loc"] and loc:
                msg = msg.split(":", 1)[1].strip()
            _err(f"Fel i {_option(loc)}: {msg}")
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
        pack = engine.pack
    except FamilyInvalid as exc:
        _err(f"Fel i {_option([exc.field])}: {exc.sv.replace('(se GET /v1/needs)', '(se foraldrastod behov)')}")
        return 2
    finally:
        engine.close()
    body = decision_body(decision)
    if args.json:
        # exactly the HTTP body; indented for a person at a terminal, one line for a program
        indent = 2 if sys.stdout.isatty() else None
        print(json.dumps(body, ensure_ascii=False, indent=indent))
    else:
        _print_decision(body, pack)
    return 0


def cmd_behov(args: argparse.Namespace) -> int:
    """The need codes to give with --need, with their labels, grouped as on the staff page."""
    from engine import PackInvalid, load_pack

    try:
        pack = load_pack(args.rules)
    except PackInvalid as exc:
        _err("Regelpaketet är ogiltigt:")
        for e in exc.errors:
            _err(str(e))
        return 1
    if args.json:
        body = [{"code": n.code, "label": n.label, "group": n.group} for n in pack.needs.values()]
        print(json.dumps(body, ensure_ascii=False, indent=2 if sys.stdout.isatty() else None))
        return 0
    groups: dict[str, list] = {}
    for need in pack.needs.values():
        groups.setdefault(need.group, []).append(need)
    width = max((len(n.code) for n in pack.needs.values()), default=0)
    for i, (group, needs) in enumerate(groups.items()):
        if i:
            print()
        print(f"{group}:")
        for n in needs:
            print(f"  {n.code:<{width}}  {n.label}")
    print()
    print(f"Ange en kod med --need, t.ex. foraldrastod recommend --kommun Nora --age-months 8 "
          f"--need {next(iter(pack.needs), 'KOD')}")
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
        f"{len(compiled.shards)} {'regeluppsättning' if len(compiled.shards) == 1 else 'regeluppsättningar'} i motorn."
    )
    if getattr(args, "sources", None):
        return _check_sources(pack.directory, args.sources)
    return 0


def _check_sources(pack_dir, sources_dir: str) -> int:
    from engine.sources import check_quotes

    result = check_quotes(pack_dir, sources_dir)
    for problem in result.problems:
        print(str(problem))
    if result.problems:
        print(f"{len(result.problems)} citat stämmer inte med källtexterna i {sources_dir}.", file=sys.stderr)
        return 1
    if not result.documents:
        print(f"Ingen källtext i {sources_dir} hör till regelpaketets källdokument (pack.yaml, file:); "
              "inga citat kontrollerades.")
        return 0
    print(f"{result.checked} citat ur {', '.join(result.documents)} står ordagrant i källtexterna i {sources_dir}.")
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from service.pages import coverage

    return coverage.main(args)


def cmd_test(args: argparse.Namespace) -> int:
    from service.cli import features as features_runner

    return features_runner.main(args)


def build_parser() -> argparse.ArgumentParser:
    p = SvArgumentParser(prog="foraldrastod", description="Beslutsstöd för föräldraskapsstöd i Örebro läns kommuner, "
                         "byggt på Regional strategi för föräldraskapsstöd 2024–2030.")
    sub = p.add_subparsers(dest="command", required=True, metavar="KOMMANDO")

    s = sub.add_parser("serve", help="starta webbtjänsten")
    s.add_argument("--host", default="127.0.0.1", help="adress att lyssna på (standard: 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (standard: 8000)")
    s.add_argument("--workers", type=int, default=1, help="antal arbetsprocesser (standard: 1)")
    s.add_argument("--rules", metavar="DIR", help="regelpaket (standard: rules/orebro-lan)")
    s.add_argument("--timeout-keep-alive", type=int, metavar="S", help="stäng vilande anslutningar efter S sekunder (standard 5)")
    s.add_argument("--limit-concurrency", type=int, metavar="N", help="högst N anslutningar per arbetsprocess, därutöver 503 (standard 4096)")
    s.add_argument("--header-timeout", type=float, metavar="S", help="hela begärans huvud måste komma inom S sekunder (standard 10)")
    s.set_defaults(func=cmd_serve)

    r = sub.add_parser("recommend", help="rekommendera insatser för en familj")
    r.add_argument("--kommun", required=True, help="kommunens namn eller kommunkod")
    g = r.add_mutually_exclusive_group(required=True)
    g.add_argument("--age-months", type=int, dest="age_months", metavar="MÅNADER", help="barnets ålder i månader (0–216)")
    g.add_argument("--expecting", action="store_true", help="blivande föräldrar")
    r.add_argument("--need", action="append", metavar="KOD", help="behovskod (kan upprepas)")
    r.add_argument("--date", metavar="ÅÅÅÅ-MM-DD", help="datum reglerna tillämpas för (ÅÅÅÅ-MM-DD)")
    r.add_argument("--json", action="store_true",
                   help="skriv exakt HTTP-svarets JSON (med indrag när utdata går till en terminal)")
    r.add_argument("--rules", metavar="DIR", help="regelpaket (standard: rules/orebro-lan)")
    r.set_defaults(func=cmd_recommend)

    b = sub.add_parser("behov", help="lista behovskoderna (för --need) med förklaring",
                       description="Listar regelpaketets behovskoder med en kort förklaring, per grupp.")
    b.add_argument("--json", action="store_true", help="skriv listan som JSON")
    b.add_argument("--rules", metavar="DIR", help="regelpaket (standard: rules/orebro-lan)")
    b.set_defaults(func=cmd_behov)

    c = sub.add_parser("check", help="validera ett regelpaket")
    c.add_argument("dir", nargs="?", default=None, metavar="DIR",
                   help="regelpaketets mapp (standard: rules/orebro-lan)")
    c.add_argument("--sources", metavar="KATALOG",
                   help="kontrollera också att varje citat (quote) står ordagrant i källdokumentens "
                        "textfiler i KATALOG, t.ex. ../shared/seeds")
    c.set_defaults(func=cmd_check)

    v = sub.add_parser("coverage", help="kartläggning: kommun × åldersband × behov")
    v.add_argument("--format", choices=["text", "html", "png", "csv"], default="text",
                   help="text, html, png eller csv (kommun,kommunkod,aldersband,behov,niva,status,insatser)")
    v.add_argument("--out", metavar="FILE", help="skriv till filen i stället för till skärmen")
    v.add_argument("--rules", metavar="DIR", help="regelpaket (standard: rules/orebro-lan)")
    v.set_defaults(func=cmd_coverage)

    t = sub.add_parser("test", help="kör beteendetesterna (Gherkin) mot regelpaketet")
    t.add_argument("--rules", metavar="DIR", help="regelpaket (standard: rules/orebro-lan)")
    t.add_argument("extra", nargs="*", help="extra argument till pytest")
    t.set_defaults(func=cmd_test)
    __import__("service.cli.workspace").cli.workspace.register(sub)  # db, user, pack, audit (issue 13)
    __import__("service.uppfoljning.cli").uppfoljning.cli.register(sub)  # uppfoljning (issue 20)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # the reader went away (`foraldrastod recommend … | head -1`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
