"""DSSE envelope throughput per key type: verifications/s (and signatures/s, seeded key generation).

Run: `.venv/bin/python benchmarks/dsse.py [--seconds 1.0]`. Each figure is the best of 3 timed runs of
`verify_envelope` (signature cache emptied before each call) on a ~2 KiB in-toto statement payload (a typical small collection); the last rows
verify the real 90 KiB `spdx-att.json` and an x509 (certificate chain + RFC 3161 timestamp) envelope.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from witness_evals.witness import crypto, dsse
from witness_evals.witness import x509 as wx
from witness_evals.witness.timestamp import Timestamper

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = (
    b'{"_type":"https://in-toto.io/Statement/v0.1","subject":[],"predicate":{"x":"' + b"a" * 2000
) + b'"}}'


def cold(fn: Callable[[], object]) -> Callable[[], object]:
    """`fn` with the process-wide signature cache emptied first: each call really verifies."""

    def call() -> object:
        crypto.SIGNATURE_CACHE.clear()
        return fn()

    return call


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second, best of 3 runs of about `seconds` each."""
    best = 0.0
    for _ in range(3):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            fn()
            n += 1
        best = max(best, n / elapsed)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=1.0)
    args = ap.parse_args()
    rows: list[tuple[str, str, str, str]] = []
    for kind in crypto.KEY_TYPES:
        n_seeds = {"rsa-2048": 6, "rsa-3072": 2, "rsa-4096": 2}.get(kind, 20)
        t0 = time.perf_counter()
        for seed in range(1000, 1000 + n_seeds):  # fresh seeds: not in the key cache
            crypto.generate_private_key(kind, seed=seed)
        gen = (time.perf_counter() - t0) / n_seeds
        key = crypto.generate_private_key(kind, seed=1)
        signer = crypto.Signer(key)
        env = dsse.sign_envelope(PAYLOAD, "application/vnd.in-toto+json", [signer])
        verifier = crypto.Verifier(key.public_key())
        v = rate(cold(lambda env=env, verifier=verifier: dsse.verify_envelope(env, [verifier])), args.seconds)
        s = rate(lambda signer=signer: dsse.sign_envelope(PAYLOAD, "t", [signer]), args.seconds / 2)
        rows.append((kind, f"{v:,.0f}", f"{s:,.0f}", f"{gen:.3f}"))

    real = dsse.parse_envelope((ROOT / "tests/fixtures/witness-test/spdx-att.json").read_bytes())
    testpub = crypto.Verifier.from_pem((ROOT / "tests/fixtures/witness-test/testpub.pem").read_bytes())
    v = rate(cold(lambda: dsse.verify_envelope(real, [testpub])), args.seconds)
    rows.append(("ed25519, real spdx-att.json (90 KiB)", f"{v:,.0f}", "-", "-"))

    t0 = datetime(2024, 6, 15, tzinfo=UTC)
    rk = crypto.generate_private_key("ecdsa-p384", seed=2)
    root = wx.make_ca("root", rk, not_before=t0 - timedelta(days=1), not_after=t0 + timedelta(days=999))
    lk = crypto.generate_private_key("ecdsa-p256", seed=3)
    leaf = wx.make_leaf(
        lk.public_key(), root, rk, not_before=t0, not_after=t0 + timedelta(minutes=10), emails=["a@b"]
    )
    tk = crypto.generate_private_key("ecdsa-p256", seed=4)
    tsa = wx.make_leaf(
        tk.public_key(),
        root,
        rk,
        not_before=t0,
        not_after=t0 + timedelta(days=99),
        common_name="tsa",
        timestamping=True,
    )
    env = dsse.sign_envelope(
        PAYLOAD, "t", [crypto.Signer(lk, leaf)], timestamper=Timestamper(tk, tsa, t0 + timedelta(minutes=1))
    )
    later = t0 + timedelta(days=30)
    v = rate(
        cold(lambda: dsse.verify_envelope(env, [], roots=[root], timestamp_authorities=[root], now=later)),
        args.seconds,
    )
    rows.append(("ecdsa-p256 cert + chain + RFC 3161 timestamp", f"{v:,.0f}", "-", "-"))

    print(
        f"DSSE benchmark, {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )
    header = ("key type", "verify/s", "sign/s", "seeded keygen s (mean)")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )


if __name__ == "__main__":
    main()
