"""Verifications per second of a two-step (build -> package) pipeline: baseline vs optimised, one run.

Usage: .venv/bin/python benchmarks/verify.py [--seconds 2] [--variants 400] [--rounds 4]

Every verification does the real work of `witness verify`: policy signature, both collection
signatures (ed25519, each tried against every policy key as go-witness does), backref search to
depth 3, functionaries, artifactsFrom and, with Rego, one module per step evaluated by regorus
(in-process for trusted modules, or through the sandboxed worker pool used for untrusted policies).

Each workload runs twice in the same process:
* baseline: `perf_settings(caches=False, batch_rego=False)`: no signature cache, no prepared-policy
  cache, no cross-call collection memos, one Rego round trip per evaluation;
* optimised: the defaults, caches cleared just before the workload starts (so they begin cold).

Workloads: the SAME evidence and policy re-verified; FRESH evidence every call (distinct re-signed
collections, loaded beforehand, or loaded inside the timed loop); many POLICY variants against the
same evidence; and Rego. Each path gets `--seconds` per workload, in `--rounds` alternating slices
(so load changes on a shared machine hit both alike); pool workloads stop early when their
`--variants` distinct inputs are used up (baseline and optimised get separately loaded copies).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import itertools
import json
import os
import platform
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from witness_evals.common.jsonio import dumps_go
from witness_evals.witness import crypto, simulate
from witness_evals.witness.dsse import Envelope, sign_envelope
from witness_evals.witness.intoto import PAYLOAD_TYPE
from witness_evals.witness.rego import RegoSandbox
from witness_evals.witness.verify import (
    TRUSTED_REGO,
    SourceCollection,
    clear_caches,
    perf_settings,
    verify,
)

CMD = "https://witness.dev/attestations/command-run/v0.1"
REGO = 'package commandrun.exitcode\n\ndeny[msg] {\n\tinput.exitcode != 0\n\tmsg := "exitcode not 0"\n}\n'

Workload = Callable[[], Iterator[Callable[[], None]]]
"""Makes an iterator of calls; each call is one verification (pool workloads end when exhausted)."""


def _variant(env: Envelope, signer: crypto.Signer, i: int) -> Envelope:
    """The same collection with another start time, signed again: new bytes, new signature."""
    stmt = json.loads(env.payload)
    stmt["predicate"]["attestations"][0]["starttime"] = (
        f"2025-08-03T20:{i // 1_000_000 % 60:02d}:20.{i % 1_000_000:06d}Z"
    )
    return sign_envelope(dumps_go(stmt).encode(), PAYLOAD_TYPE, [signer])


def _measure(calls: Iterator[Callable[[], None]], seconds: float) -> tuple[int, float, bool]:
    """Run calls for about `seconds`: (calls made, seconds taken, whether the iterator ran out)."""
    n = 0
    start = time.perf_counter()
    for call in calls:
        call()
        n += 1
        if n % 16 == 0 and time.perf_counter() - start >= seconds:
            return n, time.perf_counter() - start, False
    return n, time.perf_counter() - start, True


def _compare(workload: Workload, seconds: float, rounds: int) -> tuple[float, float]:
    """Rates (baseline, optimised). The two paths alternate in `rounds` slices so that load changes on
    a shared machine hit both alike; the optimised path starts from cleared caches."""
    with perf_settings(caches=False, batch_rego=False):
        base_calls = workload()
    clear_caches()
    fast_calls = workload()
    totals = {"base": [0, 0.0], "fast": [0, 0.0]}
    done = {"base": False, "fast": False}
    for _ in range(rounds):
        for key, calls, plain in (("base", base_calls, True), ("fast", fast_calls, False)):
            if done[key]:
                continue
            with contextlib.ExitStack() as stack:
                if plain:
                    stack.enter_context(perf_settings(caches=False, batch_rego=False))
                n, took, done[key] = _measure(calls, seconds / rounds)
            totals[key][0] += n
            totals[key][1] += took
    return totals["base"][0] / totals["base"][1], totals["fast"][0] / totals["fast"][1]


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="time per repeated workload and path")
    ap.add_argument("--variants", type=int, default=400, help="distinct inputs per pool workload and path")
    ap.add_argument("--rounds", type=int, default=4, help="alternating baseline/optimised slices")
    args = ap.parse_args()

    keys = [crypto.Signer(crypto.generate_private_key("ed25519", seed=s)) for s in (1, 2, 3)]
    step_keys = {"build": keys[0], "package": keys[1]}
    pipe = simulate.pipeline(random.Random(42), step_keys)
    funcs = {"build": [keys[0].verifier()], "package": [keys[1].verifier()]}
    module = simulate.rego_module("exitcode", REGO)
    rego_spec = {"build": {CMD: [module]}, "package": {CMD: [module]}}
    plain = simulate.sign_policy(simulate.policy_for(pipe, funcs), keys[2])
    with_rego = simulate.sign_policy(simulate.policy_for(pipe, funcs, rego=rego_spec), keys[2])
    pv = [keys[2].verifier()]
    subjects = [pipe.artifact_digest]

    def load_pipe() -> list[SourceCollection]:
        return [
            SourceCollection.load(r.envelope.dumps().encode(), f"{n}.json") for n, r in pipe.steps.items()
        ]

    variant_bytes = [
        [_variant(r.envelope, step_keys[n], i).dumps().encode() for n, r in pipe.steps.items()]
        for i in range(args.variants)
    ]
    policy_variants = [
        simulate.sign_policy(
            simulate.policy_for(
                pipe, funcs, expires=f"2035-12-17T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
            ),
            keys[2],
        )
        for i in range(args.variants)
    ]

    def check(policy: Envelope, cols: list[SourceCollection], **kw: Any) -> None:
        res = verify(policy, cols, subjects, policy_verifiers=pv, **kw)
        assert res.passed, res.reasons

    def repeated(policy: Envelope, **kw: Any) -> Workload:
        def make() -> Iterator[Callable[[], None]]:
            cols = load_pipe()
            return itertools.repeat(lambda: check(policy, cols, **kw))

        return make

    def fresh(policy: Envelope, *, load_in_loop: bool, **kw: Any) -> Workload:
        def make() -> Iterator[Callable[[], None]]:
            if load_in_loop:
                return iter([functools.partial(check_bytes, policy, raw, **kw) for raw in variant_bytes])
            pool = [
                [SourceCollection.load(b, f"{i}.json") for i, b in enumerate(raw)] for raw in variant_bytes
            ]
            return iter([functools.partial(check, policy, cols, **kw) for cols in pool])

        return make

    def check_bytes(policy: Envelope, raw: list[bytes], **kw: Any) -> None:
        check(policy, [SourceCollection.load(b, f"{i}.json") for i, b in enumerate(raw)], **kw)

    def policies() -> Iterator[Callable[[], None]]:
        cols = load_pipe()
        pols = [Envelope(p.payload, p.payload_type, p.signatures) for p in policy_variants]  # fresh objects
        return iter([functools.partial(check, pol, cols) for pol in pols])

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"# verify benchmark {datetime.now(UTC):%Y-%m-%d} on {platform.machine()} {platform.processor() or ''}".rstrip()
        + f", {os.cpu_count()} cpus, load average {load:.1f}"
    )
    print(
        f"# python {platform.python_version()}, {args.seconds:.1f}s per repeated workload, "
        f"{args.variants} inputs per pool workload"
    )
    rows: list[tuple[str, Workload]] = [
        ("same evidence, no Rego, v0.10.0", repeated(plain)),
        ("same evidence, no Rego, head", repeated(plain, mode="head")),
        ("fresh evidence, no Rego", fresh(plain, load_in_loop=False)),
        ("fresh evidence + load, no Rego", fresh(plain, load_in_loop=True)),
        ("policy variants, same evidence", policies),
        ("same evidence, Rego in-process", repeated(with_rego, rego=TRUSTED_REGO)),
    ]
    header = f"| {'workload':36s} | {'baseline /s':>12s} | {'optimised /s':>12s} | {'speed-up':>8s} |"
    with RegoSandbox() as sandbox:
        sandbox.evaluate([("warm", REGO)], {"exitcode": 0})  # worker start-up is not a verification
        rows.append(("same evidence, Rego sandbox", repeated(with_rego, rego=sandbox)))
        rows.append(("fresh evidence, Rego sandbox", fresh(with_rego, load_in_loop=False, rego=sandbox)))
        print(header)
        print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
        for name, workload in rows:
            base, fast = _compare(workload, args.seconds, args.rounds)
            print(f"| {name:36s} | {base:12.0f} | {fast:12.0f} | {fast / base:7.1f}x |", flush=True)


if __name__ == "__main__":
    main()
