"""Hostile answers: what a broken or adversarial model might send, to prove scoring stays safe.

`hostile_answers(rng, n, canary)` yields n answers mixing huge, deeply nested, garbled, binary-ish and
adversarial texts (shell commands that would create `canary` if anything ever executed them, Rego
that loops, recurses, nests or calls I/O built-ins, policy JSON bombs). Used by the fuzz test and by
`benchmarks/bench_fuzz.py` (10,000 answers: 0 crashes, 0 hangs).
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Iterator

Maker = Callable[[random.Random, str], str]


def _fence(lang: str, body: str) -> str:
    return f"```{lang}\n{body}\n```"


def _huge(rng: random.Random, canary: str) -> str:
    unit = rng.choice(['```json\n{"steps": {}}\n```\n', "witness run -s x -- make\n", "A" * 997 + "\n"])
    return unit * rng.randint(300, 3000)


def _nested_json(rng: random.Random, canary: str) -> str:
    d = rng.randint(50, 20000)
    return _fence("json", "[" * d + "]" * d)


def _nested_policy(rng: random.Random, canary: str) -> str:
    d = rng.randint(50, 5000)
    return _fence(
        "json", '{"expires": "2030-01-01T00:00:00Z", "steps": ' + '{"a": ' * d + "1" + "}" * d + "}"
    )


def _nested_rego(rng: random.Random, canary: str) -> str:
    d = rng.randint(17, 60)
    return _fence("rego", f'package p\n\nx := {"[" * d}1{"]" * d}\n\ndeny[msg] {{\n  msg := "x"\n}}')


def _looping_rego(rng: random.Random, canary: str) -> str:
    body = rng.choice(
        [
            'deny[msg] {\n  some i, j, k\n  numbers.range(1, 100000)[i]\n  numbers.range(1, 100000)[j]\n  numbers.range(1, 100000)[k]\n  msg := "slow"\n}',
            'f(x) = y {\n  y := f(x)\n}\n\ndeny[msg] {\n  f(1)\n  msg := "rec"\n}',
            'deny[msg] {\n  x := http.send({"method": "get", "url": "http://127.0.0.1:9/"})\n  msg := "io"\n}',
            'deny[msg] {\n  opa.runtime().env.HOME\n  msg := "leak"\n}',
            'deny[msg] {\n  s := concat("", ["a" | numbers.range(1, 50000000)[_]])\n  msg := s\n}',
            'deny := "a string"',
            'deny[msg] {\n  msg := {"not": "a string"}\n}',
        ]
    )
    return "Here is the module:\n\n" + _fence("rego", "package hostile\n\n" + body)


def _policy_bomb(rng: random.Random, canary: str) -> str:
    n = rng.randint(100, 20000)
    steps = {
        f"s{i}": {"name": f"s{i}", "attestations": [{"type": "x"}], "functionaries": []} for i in range(n)
    }
    return _fence("json", json.dumps({"expires": "2030-01-01T00:00:00Z", "steps": steps}))


def _policy_garbage_keys(rng: random.Random, canary: str) -> str:
    junk = base64.b64encode(rng.randbytes(rng.randint(10, 200000))).decode()
    policy = {
        "expires": "2030-01-01T00:00:00Z",
        "steps": {
            "build": {
                "name": "build",
                "attestations": [
                    {
                        "type": "https://witness.dev/attestations/material/v0.1",
                        "regopolicies": [{"name": "x", "module": junk}],
                    }
                ],
                "functionaries": [{"type": "root", "certConstraint": {"roots": ["r"]}}],
            }
        },
        "publickeys": {"k": {"keyid": "k", "key": junk}},
        "roots": {"r": {"certificate": junk}},
    }
    return _fence("json", json.dumps(policy))


def _shell(rng: random.Random, canary: str) -> str:
    evil = rng.choice(
        [
            f"touch {canary}",
            f"$(touch {canary})",
            f"`touch {canary}`",
            f"; touch {canary}",
            f"&& touch {canary} #",
            f"| sh -c 'touch {canary}'",
        ]
    )
    cmds = [
        f"witness run -s build -k key.pem -o out.json -- {evil}",
        f"witness verify -p p.json -k k.pub -f {evil}",
        f"{evil}",
        f"witness sign -f policy.json -o $(touch {canary}) -k key.pem",
    ]
    return _fence("bash", "\n".join(rng.sample(cmds, k=rng.randint(1, len(cmds)))))


def _garbled(rng: random.Random, canary: str) -> str:
    raw = rng.randbytes(rng.randint(1, 50000))
    text = raw.decode("latin-1")
    if rng.random() < 0.5:
        text = "\x00" * 10 + text + "\ud800\udfff" + "```json\n{" + text[:100]
    return text


def _many_commands(rng: random.Random, canary: str) -> str:
    lines = [
        f"witness run -s s{i} -a {'x,' * rng.randint(1, 50)}y -- true" for i in range(rng.randint(100, 10000))
    ]
    return _fence("bash", "\n".join(lines))


def _long_line(rng: random.Random, canary: str) -> str:
    return "`witness verify " + "-a x.json " * rng.randint(1000, 30000) + "`"


def _fences(rng: random.Random, canary: str) -> str:
    return "".join(
        f"```{rng.choice(['rego', 'json', '', 'bash', 'x' * 100])}\n" for _ in range(rng.randint(10, 5000))
    )


def _numbers(rng: random.Random, canary: str) -> str:
    return _fence(
        "json", '{"expires": 1e99999, "steps": {"a": NaN}, "x": ' + "9" * rng.randint(10, 100000) + "}"
    )


MAKERS: tuple[Maker, ...] = (
    _huge,
    _nested_json,
    _nested_policy,
    _nested_rego,
    _looping_rego,
    _policy_bomb,
    _policy_garbage_keys,
    _shell,
    _garbled,
    _many_commands,
    _long_line,
    _fences,
    _numbers,
)


def hostile_answers(rng: random.Random, n: int, canary: str) -> Iterator[tuple[str, str]]:
    """(maker name, answer) pairs, n of them, cycling through every maker."""
    for i in range(n):
        maker = MAKERS[i % len(MAKERS)] if i < len(MAKERS) else rng.choice(MAKERS)
        yield maker.__name__.lstrip("_"), maker(rng, canary)
