"""Spellings of one personnummer (and samordningsnummer) that the service must refuse, and
look-alikes it must accept. Shared by every test that checks the personnummer scan (/v1, CDS,
logs); the digits of the real number are PNR_DIGITS, so a test can check they are never echoed.
"""
from __future__ import annotations

PNR_DIGITS = "8112189876"

# At least 40 spellings of 811218-9876 / 19811218-9876 / samordningsnummer 811278-9876.
PERSONNUMMER_SPELLINGS: list[str] = [
    "811218-9876",
    "8112189876",
    "19811218-9876",
    "198112189876",
    "811218+9876",
    "811278-9876",                 # samordningsnummer (day + 60)
    "19811278-9876",
    "811218\u20139876",            # en dash
    "811218\u20149876",            # em dash
    "811218\u20109876",            # hyphen
    "811218\u20119876",            # non-breaking hyphen
    "811218\u22129876",            # minus sign
    "811218\ufe639876",            # small hyphen-minus (NFKC → -)
    "811218\uff0d9876",            # full-width hyphen-minus
    "811218.9876",
    "811218/9876",
    "811218_9876",
    "811218 9876",
    "811218\u00a09876",            # no-break space
    "811218\u202f9876",            # narrow no-break space
    "811218\u20099876",            # thin space
    "811218\u200b9876",            # zero-width space
    "811218\u200d-9876",           # zero-width joiner before the dash
    "8112\u00ad189876",            # soft hyphen inside
    "\ufeff8112189876",            # byte order mark first
    "81 12 18-9876",
    "81-12-18-9876",
    "81.12.18.9876",
    "81/12/18 9876",
    "1981-12-18-9876",
    "1981-12-18 9876",
    "19 81 12 18 98 76",
    "811218 - 9876",
    "811218--9876",
    "811218 .-/_ 9876",
    "811218\t9876",
    "811218\n9876",
    "\uff18\uff11\uff11\uff12\uff11\uff18-\uff19\uff18\uff17\uff16",  # full-width digits
    "\u0668\u0661\u0661\u0662\u0661\u0668-\u0669\u0668\u0667\u0666",  # Arabic-Indic digits
    "pnr: 811218-9876",
    "barnet 811218–9876 i fritext",
    "8112189876x",
    "x19811218.9876",
    "811218\u2060-9876",           # word joiner
    "8 1 1 2 1 8 9 8 7 6",
]

# JSON numbers shaped like a personnummer.
PERSONNUMMER_NUMBERS: list[int | float] = [8112189876, 198112189876, 8112189876.0, 8112789876]

# Look-alikes that are not personnummer and must pass (or fail for other, named reasons).
NOT_PERSONNUMMER: list[str] = [
    "2026-11-24",
    "1884",
    "1880",
    "Örebro",
    "019-602 10 00",               # a telephone number in Örebro
    "123456",
    "12345",
    "2026-11-24 12:00",
    "3 barn, 12 och 14 år",
    "811318-9876",                 # month 13
    "811200-9876",                 # day 00
    "811232-9876",                 # day 32
    "1 000 000",
    "20261124",
    "v. 48, 2026",
    "81121898-7612-4123-8123-123456789012",  # a UUID whose digit groups happen to look like one
    "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
]
