"""Settings of a generate or validate run as the user gives them: the family mix and the worker count.

Bad values are `InputError`s naming the option (`--mix`, `--families`, `--workers`).
"""

from __future__ import annotations

import math
import os

from witness_evals.common.errors import InputError
from witness_evals.generate.families import DEFAULT_MIX


def parse_mix(text: str | None, only: str | None) -> dict[str, float]:
    """`--mix facts=2,rego=1` (weights) and/or `--families facts,rego` (default weights of those).

    Every `--mix` item is `name=weight` with a known family, each family once, the weight a finite
    number above 0; `--families` names known families, each once."""
    known = ", ".join(DEFAULT_MIX)
    mix = dict(DEFAULT_MIX)
    if text is not None:
        mix = {}
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            name, sep, value = (x.strip() for x in part.partition("="))
            if not sep:
                raise InputError(
                    f"{part!r} has no weight: expected name=weight, e.g. {part}=1", source="--mix"
                )
            if name not in DEFAULT_MIX:
                raise InputError(f"unknown family {name!r} (known: {known})", source="--mix")
            if name in mix:
                raise InputError(f"family {name!r} given twice", source="--mix")
            try:
                weight = float(value)
            except ValueError:
                raise InputError(f"weight of {name!r} is not a number: {value!r}", source="--mix") from None
            if not math.isfinite(weight) or weight <= 0:
                raise InputError(
                    f"weight of {name!r} must be a finite number above 0, got {value!r}", source="--mix"
                )
            mix[name] = weight
        if not mix:
            raise InputError("no family given: expected name=weight[,name=weight...]", source="--mix")
    if only is not None:
        names = [n.strip() for n in only.split(",") if n.strip()]
        if not names:
            raise InputError(f"no family given (known: {known})", source="--families")
        unknown = [n for n in names if n not in DEFAULT_MIX]
        if unknown:
            raise InputError(f"unknown family {unknown[0]!r} (known: {known})", source="--families")
        twice = [n for i, n in enumerate(names) if n in names[:i]]
        if twice:
            raise InputError(f"family {twice[0]!r} given twice", source="--families")
        mix = {n: mix.get(n, DEFAULT_MIX[n]) or DEFAULT_MIX[n] for n in names}
    return mix


MAX_WORKERS_PER_CORE = 4
"""`--workers` above this many processes per available CPU core is refused (each worker also runs
its own Rego sandbox processes: 1000 workers started 361 processes and never finished)."""


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def check_workers(workers: int) -> int:
    """The number of processes for `--workers` (0: one per core, at most 16); InputError when unusable."""
    cores = available_cores()
    if workers < 0:
        raise InputError(f"must be 0 (one per core) or more, got {workers}", source="--workers")
    cap = MAX_WORKERS_PER_CORE * cores
    if workers > cap:
        raise InputError(
            f"at most {cap} ({MAX_WORKERS_PER_CORE} per CPU core, {cores} cores), got {workers}",
            source="--workers",
        )
    return workers if workers > 0 else min(16, cores)
