"""Throughput of Rego evaluation: in-process regorus vs the process sandbox (1 and 2 workers).

Usage: RUST_LIB_BACKTRACE=0 .venv/bin/python benchmarks/rego_sandbox.py [--jobs N] [--seed S]

The module is a realistic command-run deny policy (the one from witness' test/policy.json plus
exit-code and process checks); inputs are command-run predicates with varying commands, exit
codes and process lists. Prints a table of evaluations per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from typing import Any

os.environ.setdefault("RUST_LIB_BACKTRACE", "0")

from witness_evals.witness.rego import RegorusEngine, RegoSandbox

MODULES = {
    "expected command": """package commandrun.cmd

deny[msg] {
	input.cmd != ["go", "build", "-o=testapp", "."]
	msg := "unexpected cmd"
}
""",
    "exit code": """package commandrun.exitcode

deny[msg] {
	input.exitcode != 0
	msg := sprintf("exitcode %v is not 0", [input.exitcode])
}
""",
    "no curl": """package commandrun.processes

deny[msg] {
	p := input.processes[_]
	endswith(p.program, "/curl")
	msg := sprintf("process %v ran curl", [p.processid])
}
""",
}

COMMANDS = [
    ["go", "build", "-o=testapp", "."],
    ["go", "test", "./..."],
    ["make", "build"],
    ["tar", "czf", "./testapp.tar.tgz", "./testapp"],
]
PROGRAMS = ["/usr/bin/go", "/usr/bin/make", "/usr/bin/curl", "/bin/sh", "/usr/bin/tar"]


def make_input(rng: random.Random) -> dict[str, Any]:
    """A command-run predicate (go-witness JSON shape) with random content."""
    procs = []
    for pid in range(1, rng.randint(1, 4) + 1):
        procs.append(
            {
                "program": rng.choice(PROGRAMS),
                "processid": 1000 + pid,
                "parentpid": 1000 + pid - 1,
                "programdigest": {"sha256": f"{rng.getrandbits(256):064x}"},
                "comm": "x",
                "cmdline": "x",
                "exedigest": {"sha256": f"{rng.getrandbits(256):064x}"},
                "openedfiles": {},
                "environ": "",
                "specbypassisvuln": False,
            }
        )
    return {
        "cmd": list(rng.choice(COMMANDS)),
        "stdout": "ok\n" * rng.randint(0, 3),
        "stderr": "",
        "exitcode": rng.choice([0, 0, 0, 1, 2]),
        "processes": procs,
    }


def bench_inprocess(inputs: list[dict[str, Any]]) -> float:
    engine = RegorusEngine()
    engine.evaluate(MODULES, inputs[0])  # compile once
    start = time.perf_counter()
    for inp in inputs:
        engine.evaluate(MODULES, inp)
    return len(inputs) / (time.perf_counter() - start)


def bench_sandbox(inputs: list[dict[str, Any]], workers: int, *, batched: bool) -> float:
    with RegoSandbox(workers) as sb:
        sb.evaluate_many([(MODULES, inputs[0])] * workers * 4)  # warm: workers up, module compiled
        start = time.perf_counter()
        if batched:
            sb.evaluate_many([(MODULES, inp) for inp in inputs])
        else:
            for inp in inputs:
                sb.evaluate(MODULES, inp)
        return len(inputs) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    inputs = [make_input(rng) for _ in range(args.jobs)]
    rows = [
        ("in-process regorus (trusted)", bench_inprocess(inputs)),
        ("sandbox, 1 worker, evaluate_many", bench_sandbox(inputs, 1, batched=True)),
        ("sandbox, 2 workers, evaluate_many", bench_sandbox(inputs, 2, batched=True)),
        (
            "sandbox, 1 worker, evaluate (one call per job)",
            bench_sandbox(inputs[: args.jobs // 4], 1, batched=False),
        ),
    ]
    print(
        f"# {time.strftime('%Y-%m-%d')} {platform.machine()} {os.cpu_count()} CPUs, python {platform.python_version()}"
    )
    print(f"# {args.jobs} jobs, 3 modules / 3 packages, seed {args.seed}")
    print(f"| {'setup':<48} | {'evals/s':>10} |")
    print(f"|{'-' * 50}|{'-' * 12}|")
    for name, rate in rows:
        print(f"| {name:<48} | {rate:>10,.0f} |")


if __name__ == "__main__":
    main()
