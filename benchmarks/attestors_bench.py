"""Throughput of the attestor registry and builders; prints its figures.

Run: .venv/bin/python benchmarks/attestors_bench.py
"""

from __future__ import annotations

import platform
import random
import time

from witness_evals.witness import attestors as A
from witness_evals.witness.attestors import schema


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s"


def main() -> None:
    keys = [k for s in A.ATTESTORS.values() for k in (s.name, *s.types)]
    n = 1_000_000
    t = time.perf_counter()
    for i in range(n):
        A.get(keys[i % len(keys)])
    lookups = time.perf_counter() - t

    t = time.perf_counter()
    scenarios = [A.Scenario.random(random.Random(i)) for i in range(200)]
    scen = time.perf_counter() - t

    t = time.perf_counter()
    preds = [
        (s, spec, spec.build(random.Random(i), s))
        for i, s in enumerate(scenarios)
        for spec in A.ATTESTORS.values()
    ]
    builds = time.perf_counter() - t

    t = time.perf_counter()
    for s, spec, p in preds:
        spec.check_wire(p) if spec.name not in ("link", "slsa") else spec.normalize(p)
        spec.subjects(p, products=s.products())
    views = time.perf_counter() - t

    t = time.perf_counter()
    for _s, spec, p in preds:
        schema.errors(spec.name, p)
    schemas = time.perf_counter() - t

    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"get(name|type): {rate(n, lookups)}")
    print(f"Scenario.random: {rate(len(scenarios), scen)}")
    print(f"build (26 attestors x 200 scenarios): {rate(len(preds), builds)}")
    print(f"check_wire + subjects: {rate(len(preds), views)}")
    print(f"schema validation: {rate(len(preds), schemas)}")


if __name__ == "__main__":
    main()
