"""Verifications per second of a two-step (build -> package) pipeline, without and with Rego.

Usage: .venv/bin/python benchmarks/verify.py [--seconds 3]

Prints one line per configuration. Every verification does the real work: policy signature,
both collection signatures (ed25519), backref search to depth 3, functionaries, artifactsFrom,
and, with Rego, one module per step evaluated by regorus (in-process for trusted modules, or
through the sandboxed worker pool used for untrusted policies).
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from datetime import UTC, datetime
from typing import Any

from witness_evals.witness import crypto, simulate
from witness_evals.witness.rego import RegoSandbox
from witness_evals.witness.verify import TRUSTED_REGO, SourceCollection, verify

CMD = "https://witness.dev/attestations/command-run/v0.1"
REGO = 'package commandrun.exitcode\n\ndeny[msg] {\n\tinput.exitcode != 0\n\tmsg := "exitcode not 0"\n}\n'


def _rate(fn: Any, seconds: float) -> tuple[float, int]:
    fn()  # warm caches (policy parse, compiled Rego)
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start), n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="time per configuration")
    args = ap.parse_args()

    keys = [crypto.Signer(crypto.generate_private_key("ed25519", seed=s)) for s in (1, 2, 3)]
    pipe = simulate.pipeline(random.Random(42), {"build": keys[0], "package": keys[1]})
    funcs = {"build": [keys[0].verifier()], "package": [keys[1].verifier()]}
    module = simulate.rego_module("exitcode", REGO)
    plain = simulate.sign_policy(simulate.policy_for(pipe, funcs), keys[2])
    with_rego = simulate.sign_policy(
        simulate.policy_for(pipe, funcs, rego={"build": {CMD: [module]}, "package": {CMD: [module]}}), keys[2]
    )
    cols = [SourceCollection.load(r.envelope.dumps().encode(), f"{n}.json") for n, r in pipe.steps.items()]
    pv = [keys[2].verifier()]
    subjects = [pipe.artifact_digest]

    def run(policy: Any, **kw: Any) -> None:
        res = verify(policy, cols, subjects, policy_verifiers=pv, **kw)
        assert res.passed, res.reasons

    print(
        f"# verify benchmark {datetime.now(UTC):%Y-%m-%d} on {platform.machine()} {platform.processor() or ''}".rstrip()
    )
    print(f"# python {platform.python_version()}, {args.seconds:.1f}s per configuration")
    configs: list[tuple[str, Any]] = [
        ("no rego, v0.10.0", lambda: run(plain)),
        ("no rego, head", lambda: run(plain, mode="head")),
        ("rego in-process (trusted)", lambda: run(with_rego, rego=TRUSTED_REGO)),
    ]
    with RegoSandbox() as sandbox:
        configs.append(("rego sandboxed (untrusted)", lambda: run(with_rego, rego=sandbox)))
        for name, fn in configs:
            rate, n = _rate(fn, args.seconds)
            print(f"{name:32s} {rate:10.1f} verifications/s  ({n} runs, {1e3 / rate:.3f} ms each)")


if __name__ == "__main__":
    main()
