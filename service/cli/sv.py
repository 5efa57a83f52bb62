"""A Swedish argparse: usage, help and errors in Swedish for `foraldrastod` and its subcommands.

Use `SvArgumentParser` in place of `argparse.ArgumentParser`. Subcommands made with
`parser.add_subparsers(...).add_parser(...)` are of the same class, so a module that registers
its own subcommands (e.g. service/cli/workspace.py's `register(subparsers)`) gets Swedish help
and errors without doing anything. Help strings are written in Swedish where they are declared.
"""
from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

# argparse's English texts (Python 3.11–3.13) and their Swedish wording
_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), s) for p, s in (
    (r"^the following arguments are required: (.*)$", r"följande argument krävs: \1"),
    (r"^one of the arguments (.*) is required$", r"ett av argumenten \1 krävs"),
    (r"^argument (.*): not allowed with argument (.*)$", r"argumentet \1 går inte att kombinera med \2"),
    (r"^argument (.*): invalid int value: (.*)$", r"argumentet \1: ogiltigt heltal: \2"),
    (r"^argument (.*): invalid float value: (.*)$", r"argumentet \1: ogiltigt tal: \2"),
    (r"^argument (.*): invalid choice: (.*) \(choose from (.*)\)$", r"argumentet \1: ogiltigt val: \2 (välj bland \3)"),
    (r"^argument (.*): invalid (.*) value: (.*)$", r"argumentet \1: ogiltigt värde: \3"),
    (r"^argument (.*): expected one argument$", r"argumentet \1: ett värde krävs"),
    (r"^argument (.*): expected at least one argument$", r"argumentet \1: minst ett värde krävs"),
    (r"^argument (.*): expected (.*) arguments?$", r"argumentet \1: fel antal värden"),
    (r"^argument (.*): ignored explicit argument (.*)$", r"argumentet \1: tar inget värde (\2)"),
    (r"^unrecognized arguments: (.*)$", r"okända argument: \1"),
    (r"^ambiguous option: (.*) could match (.*)$", r"flaggan \1 är tvetydig: den kan vara \2"),
    (r"^argument (.*): (.*)$", r"argumentet \1: \2"),
))
_SUGGEST = re.compile(r"^argumentet (.*): ogiltigt val: '([^']*)' \(välj bland (.*)\)$")


def swedish_error(message: str) -> str:
    """argparse's English error message in Swedish (unknown messages are returned unchanged)."""
    for pattern, replacement in _ERRORS:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


class SvHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """'användning:' instead of 'usage:'; descriptions keep their line breaks."""

    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, prefix="användning: " if prefix is None else prefix)


class SvArgumentParser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", SvHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "argument"
        self._optionals.title = "flaggor"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="visa den här hjälptexten och avsluta")

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("title", "kommandon")
        kwargs.setdefault("parser_class", SvArgumentParser)
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        text = swedish_error(message)
        hint = ""
        match = _SUGGEST.match(text)
        if match:
            import difflib

            choices = [c.strip(" '") for c in match.group(3).split(",")]
            close = difflib.get_close_matches(match.group(2), choices, n=1, cutoff=0.5)
            if close:
                hint = f" – menade du '{close[0]}'?"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: fel: {text}{hint}\nSkriv '{self.prog} --help' för hjälp.\n")
