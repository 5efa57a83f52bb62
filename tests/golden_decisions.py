"""Golden decision bodies: the exact JSON answers of a broad sample of families, to prove that a
change meant only for speed changes no answer (tests/test_decision_golden.py).

The sample, for each golden pack (frozen copies under tests/golden/packs, so that editing the
live pack or the benchmark's generator does not move them):

* `orebro-lan`: every kommun × ages from expecting to 216 months × no need, every single need and
  every pair of needs on a day inside the strategy's years; no need and single needs on a day
  when a law since replaced still applied and on one after the strategy (other notices).
* `orebro-lan+kommunuppgifter`: the same pack plus kommunernas egna uppgifter, one of them
  `planeras`, on days before and after its start.
* `syntetisk`: bench/synthetic.py's generator (12 kommuner, 200 rules, frozen): every kommun × ages
  × no need and single needs, and 1000 seeded random families with up to four needs.

The golden file stores each distinct body once (JSON, xz-compressed) and, per case, the index of its
body. Regenerate it ONLY from a commit whose answers are known to be right (e.g. main before a
speed change), never to make a failing comparison pass:

    .venv/bin/python -m tests.golden_decisions --write
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import lzma
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson

from engine.loader import Pack, load_pack
from engine.models import Family
from engine.runtime import Engine, decision_body

HERE = Path(__file__).resolve().parent / "golden"
PACKS = HERE / "packs"
GOLDEN_FILE = HERE / "decisions.json.xz"

AGES: tuple[int | None, ...] = (None, 0, 11, 36, 96, 155, 156, 216)  # None: expecting
TODAY = dt.date(2026, 3, 2)
OTHER_DAYS = (dt.date(2025, 6, 30), dt.date(2031, 1, 1))  # a law since replaced; after the strategy
PLANNED_DAYS = (dt.date(2026, 12, 31), dt.date(2027, 1, 1))
KOMMUN_REPORTS = """\
entries:
  - {kommun: "1884", insats: abc, status: finns, verified: 2026-11-24, contact: "Föräldraskapsstöd, Nora kommun"}
  - {kommun: Örebro, insats: abc-tonar, status: planeras, planned_from: 2027-01-01}
  - {kommun: Degerfors, insats: abc, status: saknas, verified: 2026-10-01}
  - {kommun: Laxå, insats: abc-tonar, status: okänd}
"""

Case = tuple[str, int | None, tuple[str, ...], str]  # kommun code, age (None: expecting), needs, day


def golden_packs(workdir: Path) -> dict[str, Path]:
    """Name -> pack directory; the kommunuppgifter variant is written into workdir."""
    reported = workdir / "orebro-lan+kommunuppgifter"
    if not reported.exists():
        shutil.copytree(PACKS / "orebro-lan", reported)
        (reported / "tillganglighet-kommuner.yaml").write_text(KOMMUN_REPORTS, encoding="utf-8")
    return {"orebro-lan": PACKS / "orebro-lan", "orebro-lan+kommunuppgifter": reported,
            "syntetisk": PACKS / "syntetisk"}


def _grid(pack: Pack, days, pairs: bool) -> Iterator[Case]:
    needs = sorted(pack.needs)
    sets = [(), *((n,) for n in needs)]
    if pairs:
        sets += list(itertools.combinations(needs, 2))
    for day in days:
        for kommun in sorted(pack.kommuner):
            for age in AGES:
                for chosen in sets:
                    yield kommun, age, chosen, day.isoformat()


def _random(pack: Pack, n: int, seed: int, day: dt.date) -> Iterator[Case]:
    rng = random.Random(seed)
    kommuner, needs = sorted(pack.kommuner), sorted(pack.needs)
    for _ in range(n):
        age = None if rng.random() < 0.1 else rng.randrange(0, 217)
        chosen = tuple(sorted(rng.sample(needs, rng.randrange(0, 5))))
        yield rng.choice(kommuner), age, chosen, day.isoformat()


def cases(name: str, pack: Pack) -> list[Case]:
    return list(dict.fromkeys(_cases(name, pack)))  # each case once


def _cases(name: str, pack: Pack) -> list[Case]:
    if name == "orebro-lan":
        return [*_grid(pack, (TODAY,), pairs=True), *_grid(pack, OTHER_DAYS, pairs=False)]
    if name == "orebro-lan+kommunuppgifter":
        return list(_grid(pack, PLANNED_DAYS, pairs=False))
    return [*_grid(pack, (TODAY,), pairs=False), *_random(pack, 1000, 7, TODAY)]


def family_of(case: Case) -> Family:
    kommun, age, needs, day = case
    return Family(kommun=kommun, age_months=age, expecting=age is None, needs=list(needs),
                  date=dt.date.fromisoformat(day))


def body_of(engine: Engine, case: Case) -> str:
    """The body for a case as text: orjson of decision_body (the contract's definition of the
    HTTP body; `recommend --json` prints it)."""
    return orjson.dumps(decision_body(engine.decide(family_of(case)))).decode()


def compute(workdir: Path) -> dict[str, dict]:
    """{pack name: {"cases": [[kommun, age, needs, day, body index] ...], "bodies": [text ...]}}."""
    out: dict[str, dict] = {}
    for name, directory in golden_packs(workdir).items():
        engine = Engine(load_pack(directory), evaluator="reference", cache_size=0)
        try:
            index: dict[str, int] = {}
            rows = []
            for case in cases(name, engine.pack):
                body = body_of(engine, case)
                rows.append([case[0], case[1], list(case[2]), case[3], index.setdefault(body, len(index))])
            out[name] = {"cases": rows, "bodies": list(index)}
        finally:
            engine.close()
    return out


def read_golden() -> dict[str, dict]:
    with lzma.open(GOLDEN_FILE, "rt", encoding="utf-8") as f:
        return json.load(f)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {GOLDEN_FILE.name} from this checkout's engine")
    args = parser.parse_args(argv)
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        data = compute(Path(tmp))
    for name, d in data.items():
        print(f"{name}: {len(d['cases'])} cases, {len(d['bodies'])} distinct bodies")
    if args.write:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        GOLDEN_FILE.write_bytes(lzma.compress(text.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME))
        print(f"wrote {GOLDEN_FILE} ({GOLDEN_FILE.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
