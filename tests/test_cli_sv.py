"""The command line speaks Swedish (issue 12, item 5): help of every subcommand, argparse's
errors, errors naming the options, `behov`, `--json` on a terminal, a closed pipe."""
from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli import build_parser
from service.cli.sv import SvArgumentParser, swedish_error

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ("usage:", "positional arguments", "options:", "optional arguments", "show this help",
           "invalid int value", "the following arguments", "unrecognized arguments", "error:")


def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, **kw)


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sorted(action.choices)


def help_text(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 0
    return capsys.readouterr().out


def test_main_help_is_swedish(capsys):
    text = help_text(["--help"], capsys)
    assert text.startswith("användning: foraldrastod")
    assert "kommandon:" in text and "flaggor:" in text
    assert "visa den här hjälptexten och avsluta" in text
    for word in ENGLISH:
        assert word not in text, word
    for name in subcommands():
        assert name in text


@pytest.mark.parametrize("name", ["serve", "recommend", "behov", "check", "coverage", "test",
                                  "db", "user", "pack", "audit", "uppfoljning"])
def test_every_subcommand_help_is_swedish(name, capsys):
    assert name in subcommands()
    text = help_text([name, "--help"], capsys)
    assert text.startswith(f"användning: foraldrastod {name}")
    assert "visa den här hjälptexten och avsluta" in text
    for word in ENGLISH:
        assert word not in text, (name, word)
    # every option has a help text of its own
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices[name]
    for action in sub._actions:
        assert action.help, (name, action.dest)


def test_every_registered_subcommand_help_is_swedish(capsys):
    """Also those others add later (db, user, pack, audit…): the parser class carries the language."""
    for name in subcommands():
        text = help_text([name, "--help"], capsys)
        assert text.startswith("användning:") and "usage:" not in text, name


def test_subparsers_made_by_others_are_swedish(capsys):
    parser = SvArgumentParser(prog="foraldrastod")
    sub = parser.add_subparsers(dest="command", metavar="KOMMANDO")
    extra = sub.add_parser("pack", help="regelpaket i databasen")
    extra.add_argument("--user", required=True, help="användarnamn")
    assert isinstance(extra, SvArgumentParser)
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["pack"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "foraldrastod pack: fel: följande argument krävs: --user" in err
    assert err.startswith("användning: foraldrastod pack")


@pytest.mark.parametrize("argv, expected", [
    (["recommend", "--kommun", "Nora", "--age-months", "åtta"],
     "foraldrastod recommend: fel: argumentet --age-months: ogiltigt heltal: 'åtta'"),
    (["recommend", "--kommun", "Nora"],
     "foraldrastod recommend: fel: ett av argumenten --age-months --expecting krävs"),
    (["recommend", "--age-months", "8"],
     "foraldrastod recommend: fel: följande argument krävs: --kommun"),
    (["recommend", "--kommun", "Nora", "--age-months", "8", "--expecting"],
     "foraldrastod recommend: fel: argumentet --expecting går inte att kombinera med --age-months"),
    (["recomend"], "foraldrastod: fel: argumentet KOMMANDO: ogiltigt val: 'recomend' (välj bland 'serve', "
                   "'recommend', 'behov', 'check', 'coverage', 'test', 'db', 'user', 'pack', 'audit', "
                   "'uppfoljning') – menade du "
                   "'recommend'?"),
    (["check", "a", "b"], "foraldrastod: fel: okända argument: b"),
    (["coverage", "--format", "pdf"], "foraldrastod coverage: fel: argumentet --format: ogiltigt val: 'pdf'"),
])
def test_argparse_errors_are_swedish(argv, expected, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert err.startswith("användning: ")
    assert "Skriv '" in err and "--help' för hjälp." in err


def test_unknown_message_passes_through():
    assert swedish_error("något helt annat") == "något helt annat"


def test_errors_name_the_options_not_api_fields():
    r = cli("recommend", "--kommun", "Nora", "--age-months", "300")
    assert r.returncode == 2
    assert r.stderr.strip() == "Fel i --age-months: får vara högst 216"
    r = cli("recommend", "--kommun", "Nora", "--age-months", "8", "--need", "overvikt")
    assert r.returncode == 2
    assert r.stderr.strip() == ("Fel i --need: okänd behovskod 'overvikt' – menade du 'overvikt_fetma'? "
                                "(se foraldrastod behov)")
    r = cli("recommend", "--kommun", "Göteborg", "--age-months", "8")
    assert r.returncode == 2 and r.stderr.startswith("Fel i --kommun: okänd kommun")
    r = cli("recommend", "--kommun", "Nora", "--age-months", "8", "--date", "2024-13-01")
    assert r.returncode == 2 and r.stderr.startswith("Fel i --date: ")
    assert "needs" not in r.stderr and "age_months" not in r.stderr


def test_behov_lists_every_need_code_with_its_label():
    from engine import load_pack

    pack = load_pack()
    r = cli("behov")
    assert r.returncode == 0, r.stderr
    for need in pack.needs.values():
        assert any(line.split() and line.split()[0] == need.code and line.rstrip().endswith(need.label)
                   for line in r.stdout.splitlines()), need.code
    r = cli("behov", "--json")
    assert {n["code"]: n["label"] for n in json.loads(r.stdout)} == {c: n.label for c, n in pack.needs.items()}


def _run_in_pty(*args: str) -> str:
    """Run the command with stdout on a pseudo-terminal, as a person at a terminal would."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", *args], cwd=ROOT, stdout=follower,
                            stderr=subprocess.PIPE)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_json_is_indented_on_a_terminal_and_exact_otherwise():
    args = ("recommend", "--kommun", "Nora", "--age-months", "8", "--need", "overvikt_fetma", "--json")
    piped = cli(*args)
    assert piped.returncode == 0
    assert len(piped.stdout.strip().splitlines()) == 1  # the exact HTTP body, one line
    on_terminal = _run_in_pty(*args)
    assert on_terminal.startswith("{\n  \"level\": \"selektiv\"")
    assert json.loads(on_terminal) == json.loads(piped.stdout)


@pytest.mark.parametrize("args", [("behov",), ("recommend", "--kommun", "Nora", "--age-months", "8"),
                                  ("recommend", "--kommun", "Nora", "--age-months", "8", "--json")])
def test_closed_pipe_ends_quietly(args):
    """The reader is gone before anything is written (as with `… | head -1` on long output)."""
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert err == "", err


def test_head_of_the_output_is_clean():
    r = subprocess.run(f"'{sys.executable}' -m service.cli behov | head -1", shell=True, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stderr == "" and len(r.stdout.splitlines()) == 1
