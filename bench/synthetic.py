"""Generated rule packs at national scale (290 kommuner, thousands of rules), for tests and
benchmarks. Deterministic for a given seed; written as ordinary pack files.

Shape: a common core of `n_global` rules for every kommun (like a regional pack) and the rest
local rules naming one or two kommuner each, with random ages, needs (any-of and all-of),
expecting parents, validity windows and availability.
"""
from __future__ import annotations

import random
from pathlib import Path

import yaml

LEVELS = ["universell", "selektiv", "indikerad"]


def synthetic_pack_data(n_kommuner: int = 290, n_rules: int = 2000, n_needs: int = 30,
                        n_insatser: int = 150, seed: int = 0, n_global: int = 80) -> dict[str, object]:
    rng = random.Random(seed)
    src = {"document": "syntetisk", "section": "1"}
    kommuner = [{"code": f"{1000 + i}", "name": f"Kommun {i:03d}", "lansdel": f"del {i % 21}"}
                for i in range(n_kommuner)]
    needs = [{"code": f"behov_{i:02d}", "label": f"Behov {i}", "group": f"Grupp {i % 4}"} for i in range(n_needs)]
    insatser = []
    for i in range(n_insatser):
        lo = rng.randrange(0, 200)
        insatser.append({
            "id": f"insats-{i:03d}", "name": f"Insats {i}", "level": LEVELS[i % 3],
            "age_months": {"min": lo, "max": rng.randrange(lo, 217)}, "source": src,
        })
    rules = []
    for i in range(n_rules):
        level = LEVELS[rng.randrange(3)]
        when: dict[str, object] = {}
        r = rng.random()
        if r < 0.15:
            when["expecting"] = True
        if r > 0.1:
            lo = rng.randrange(0, 217)
            when["age_months"] = {"min": lo, "max": min(216, lo + rng.randrange(0, 120))}
        if level != "universell":
            when["needs_any"] = rng.sample([n["code"] for n in needs], rng.randrange(1, 4))
            if rng.random() < 0.2:
                when["needs_all"] = rng.sample([n["code"] for n in needs], rng.randrange(1, 3))
        if i >= n_global:  # a national core of n_global rules; the rest are local variations
            when["kommuner"] = [k["code"] for k in rng.sample(kommuner, rng.randrange(1, 3))]
        rule = {
            "id": f"regel-{i:05d}", "level": level, "when": when,
            "recommend": [f"insats-{rng.randrange(n_insatser):03d}" for _ in range(rng.randrange(1, 3))],
            "rationale": "Syntetisk regel.", "source": src,
        }
        if rng.random() < 0.3:
            rule["valid_from"] = "2024-01-01"
            rule["valid_to"] = "2030-12-31"
        rules.append(rule)
    availability = []
    for k in kommuner:
        for ins in rng.sample(insatser, 10):
            availability.append({"kommun": k["code"], "insats": ins["id"],
                                 "status": rng.choice(["finns", "saknas"]), "source": src})
    return {
        "pack.yaml": {"name": "syntetisk", "edition": str(seed), "title": "Syntetiskt paket",
                      "region": "Sverige", "sources": [{"id": "syntetisk", "title": "Genererad",
                                                        "publisher": "foraldrastod", "year": 2026}]},
        "kommuner.yaml": {"kommuner": kommuner},
        "behov.yaml": {"needs": needs},
        "insatser.yaml": {"insatser": insatser},
        "tillganglighet.yaml": {"availability": availability},
        "regler/regler.yaml": {"rules": rules},
    }


def write_synthetic_pack(directory: str | Path, **kwargs) -> Path:
    directory = Path(directory)
    for rel, data in synthetic_pack_data(**kwargs).items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return directory
