"""Throughput of `parse_command` (witness command-line analysis); prints its figures.

Run: .venv/bin/python benchmarks/cli_parse.py [--seconds 3]

Three mixes are timed separately: realistic valid commands (tutorials, test.sh), realistic invalid
ones (the REFERENCE.md §8 traps), and hostile inputs near the 64 KiB cap.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from witness_evals.witness.cli import MAX_INPUT_CHARS, parse_command

ROOT = Path(__file__).resolve().parents[1]
TEST_YAML = (ROOT / "tests" / "fixtures" / "witness-test" / "test.yaml").read_text()

VALID = [
    "witness run --step build -o test-att.json -a slsa --attestor-slsa-export -k testkey.pem -- go build -o=testapp .",
    "witness sign -f policy.json --signer-file-key-path testkey.pem --outfile policy-signed.json",
    "witness verify -f testapp -a test-att.json -p policy-signed.json -k testpub.pem",
    "witness run -s build -a environment -k buildkey.pem -o build-attestation.json -- "
    "bash -c \"echo 'hello' > hello.txt\"",
    "witness run -s test -o test.json --signer-fulcio-url https://fulcio.sigstore.dev "
    "--signer-fulcio-oidc-client-id sigstore --signer-fulcio-oidc-issuer https://oauth2.sigstore.dev/auth "
    '--timestamp-servers https://freetsa.org/tsr -- echo "hello" > test.txt',
    "witness verify -p spdx-sbom-policy-signed.json -a spdx-att.json -k testpub.pem "
    "-s 54c5b3dd459d5ef778bb2fa1e23a5fb0e1b62ae66970bcb436e8f81a1a1a8e41",
    "witness policy check --json policy.json",
    "witness attestors schema slsa",
]
VALID_WITH_CONFIG = [
    "witness -c test.yaml run -o build.attestation.json -- go build -o=testapp .",
    "witness -c test.yaml verify",
]
INVALID = [
    "witness run -s build --key key.pem -a commandrun,k8s -- make",
    "witness sign -f p.json -k key.pem",
    "witness verify -p p.json -k pub.pem -a att.json --directory-path node_modules/example",
    "witness run -step build -k key.pem -f out.json -- make",
    "witness verify -p p.json --policy-ca-root ca.pem -a slsa -s build",
    "witness run -s build -k key.pem --signer-fulcio-url https://f --hashes sha512 -t tsa.pem --trace false",
    "witness attest -s build",
    "witness policy sign -f p.json",
]


def hostile(rng: random.Random) -> list[str]:
    """Inputs near the size cap: many unknown flags, long clusters, unbalanced quotes, junk bytes."""
    junk = "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(MAX_INPUT_CHARS - 20))
    return [
        "witness run " + "--zzzzzzzzzzzzzzzzzzzzzzzz " * 2400,
        "witness run -" + "q" * (MAX_INPUT_CHARS - 20),
        "witness run -a " + ",".join(["nosuchattestor"] * 4300),
        "witness run " + "'" * (MAX_INPUT_CHARS - 20),
        "witness " + junk,
        "witness run " + "x" * (MAX_INPUT_CHARS + 1),
    ]


def measure(fn: Callable[[], object], seconds: float) -> tuple[int, float]:
    n = 0
    start = time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per mix")
    args = parser.parse_args()
    rng = random.Random(0)
    mixes: dict[str, list[tuple[str, str | None]]] = {
        "valid": [(c, None) for c in VALID] + [(c, TEST_YAML) for c in VALID_WITH_CONFIG],
        "invalid": [(c, None) for c in INVALID],
        "hostile (~64 KiB)": [(c, None) for c in hostile(rng)],
    }
    for commands in mixes.values():  # sanity: the mixes are what they claim
        for text, cfg in commands:
            parse_command(text, config=cfg)
    assert all(parse_command(t, config=c).valid for t, c in mixes["valid"])
    assert not any(parse_command(t).valid for t, _ in mixes["invalid"])

    print(f"machine: {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()}".strip())
    print(f"python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}")
    mixed: list[tuple[str, str | None]] = mixes["valid"] + mixes["invalid"]
    for name, commands in (*mixes.items(), ("valid+invalid mix", mixed)):
        i = 0

        def one(commands: list[tuple[str, str | None]] = commands) -> None:
            nonlocal i
            text, cfg = commands[i % len(commands)]
            parse_command(text, config=cfg)
            i += 1

        n, elapsed = measure(one, args.seconds)
        print(f"{name:>20}: {n / elapsed:>10,.0f} commands/s  ({elapsed / n * 1e6:,.1f} us/command, n={n})")


if __name__ == "__main__":
    main()
