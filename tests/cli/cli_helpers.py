"""A small signed world (keys, two-step pipeline, signed policy) plus a shelf of bad input files."""

from __future__ import annotations

import base64
import json
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from witness_evals.witness import crypto, dsse, simulate, x509
from witness_evals.witness.intoto import PAYLOAD_TYPE

TIME_LIMIT_S = 30.0
"""Every command must answer within this, hostile input included (the Rego budget is 2 s)."""

OK_REGO = 'package ok\nimport rego.v1\ndeny contains msg if { input.x == 1; msg := "x is 1" }\n'
HOSTILE_REGO = {
    # function calling itself: OPA rejects it at compile time; regorus overflows its stack at eval
    "recursion": "package recur\nimport rego.v1\nf(x) := y if { y := f(x) }\n"
    'deny contains msg if { f(1) == 2; msg := "never" }\n',
    # two rules defined by each other
    "mutual": 'package mutual\nimport rego.v1\na if b\nb if a\ndeny contains msg if { a; msg := "never" }\n',
    # 10^10 element comprehension: runs until the sandbox kills it
    "comprehension": "package bigcomp\nimport rego.v1\n"
    "deny contains msg if { xs := [[i, j] | some i in numbers.range(1, 100000); "
    'some j in numbers.range(1, 100000)]; count(xs) > 0; msg := "big" }\n',
    # 200k nested arrays: regorus would overflow its stack; refused before it parses them
    "nesting": "package deeparr\nx := " + "[" * 200_000 + "1" + "]" * 200_000 + "\n",
    # a harmless 30-deep literal (OPA parses it at once; regorus would need hours): refused quickly
    "deep30": "package deep30\nimport rego.v1\nnested := " + "[" * 30 + "1" + "]" * 30 + "\n"
    'deny contains msg if { count(nested) > 1; msg := "never" }\n',
    # not recursive, but each rule doubles the previous one's array: too slow / too big to evaluate
    "doubling": "package doubling\nimport rego.v1\na0 := [1, 1]\n"
    + "".join(f"a{i} := array.concat(a{i - 1}, a{i - 1})\n" for i in range(1, 48))
    + 'deny contains msg if { count(a47) == 0; msg := "never" }\n',
    # relies on a network answer: regorus' stub is undefined, so it used to PASS silently
    "httpsend": "package httpsend\nimport rego.v1\ndeny contains msg if {\n"
    '\tresp := http.send({"method": "get", "url": "https://example.com/allowed"})\n'
    '\tresp.body.allowed != true\n\tmsg := "the server does not allow this build"\n}\n',
    # reads witness' own environment: refused as well
    "runtime": "package runtime\nimport rego.v1\ndeny contains msg if {\n"
    '\topa.runtime().env.CI != "true"\n\tmsg := "not built in CI"\n}\n',
}


@dataclass
class Result:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class World:
    dir: Path
    files: dict[str, Path]
    artifact_digest: str

    def __getitem__(self, name: str) -> str:
        return str(self.files[name])


def _resign(env_path: Path, signer: crypto.Signer, edit: Callable[[dict[str, Any]], None]) -> str:
    env = json.loads(env_path.read_text())
    stmt = json.loads(base64.b64decode(env["payload"]))
    edit(stmt)
    return dsse.sign_envelope(json.dumps(stmt).encode(), PAYLOAD_TYPE, [signer]).dumps()


def build_world(d: Path) -> World:
    """Write every good and bad file the battery uses into `d` (deterministic: fixed seeds)."""
    f: dict[str, Path] = {}

    def put(name: str, data: bytes | str) -> None:
        p = d / name
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        f[name] = p

    build_k, package_k, policy_k = (
        crypto.Signer(crypto.generate_private_key("ed25519", seed=s)) for s in (11, 12, 13)
    )
    pipe = simulate.pipeline(random.Random(7), {"build": build_k, "package": package_k})
    funcs = {"build": [build_k.verifier()], "package": [package_k.verifier()]}
    policy = simulate.policy_for(pipe, funcs)
    put("policy.json", json.dumps(policy, indent=2))
    put("policy-signed.json", simulate.sign_policy(policy, policy_k).dumps())
    put("pub.pem", policy_k.verifier().public_pem())
    put("key.pem", crypto.private_pem(crypto.generate_private_key("ed25519", seed=13)))
    put("rsa-private.pem", crypto.private_pem(crypto.generate_private_key("rsa-2048", seed=5)))
    for name, env in pipe.envelopes.items():
        put(f"{name}.json", env.dumps())
    put("artifact", pipe.artifact)
    put("ok.rego", OK_REGO)
    put("input.json", '{"x": 1}')
    put("passphrase", "secret\n")

    # -- malformed files of every kind
    (d / "a-directory").mkdir()
    f["a-directory"] = d / "a-directory"
    f["missing"] = d / "does-not-exist.json"
    put("empty", b"")
    put("not-json", "hello, this is not JSON\n")
    put("truncated.json", json.dumps(policy)[:200])
    put("binary", bytes(range(256)) * 8)
    put("array.json", "[1, 2, 3]")
    put("number.json", "42")
    put("string.json", '"a string"')
    put("deep.json", "[" * 100_000 + "]" * 100_000)
    put("bad-utf8.json", b'{"a": "\xff\xfe"}')
    with open(d / "huge", "wb") as fh:  # sparse: 100 MiB of holes, above every size cap
        fh.truncate(100 * 1024 * 1024)
    f["huge"] = d / "huge"
    put("not-a-key.pem", "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n")
    put("truncated.pem", f["pub.pem"].read_bytes()[:60])
    put("long-passphrase", "a" * 2000 + "\n")
    put("two-lines", "one\ntwo\n")
    cert_key = crypto.generate_private_key("ecdsa-p256", seed=3)
    from datetime import UTC, datetime, timedelta

    start = datetime(2025, 1, 1, tzinfo=UTC)
    put(
        "ca.pem",
        x509.cert_pem(x509.make_ca("CA", cert_key, not_before=start, not_after=start + timedelta(days=3650))),
    )

    # -- valid JSON, wrong field types
    pol_env = json.loads(f["policy-signed.json"].read_text())
    build_env = json.loads(f["build.json"].read_text())
    put("policy-env-signatures-string.json", json.dumps({**pol_env, "signatures": "x"}))
    put("policy-env-payload-not-base64.json", json.dumps({**pol_env, "payload": "%%% not base64"}))
    put("policy-steps-array.json", json.dumps({**policy, "steps": []}))
    put("policy-steps-array-signed.json", simulate.sign_policy({**policy, "steps": []}, policy_k).dumps())
    put("env-signatures-string.json", json.dumps({**build_env, "signatures": "x"}))
    put("env-payload-not-base64.json", json.dumps({**build_env, "payload": "!!!not base64!!!"}))
    put("env-payloadtype-number.json", json.dumps({**build_env, "payloadType": 5}))
    put(
        "env-not-statement.json",
        dsse.sign_envelope(b'{"hello": "world"}', PAYLOAD_TYPE, [build_k]).dumps(),
    )
    put("env-payload-binary.json", dsse.sign_envelope(b"\x00\x01\x02", PAYLOAD_TYPE, [build_k]).dumps())

    def not_collection(s: dict[str, Any]) -> None:
        s["predicateType"] = "https://slsa.dev/provenance/v0.2"
        s["predicate"] = {"builder": {"id": "https://example.com/builder"}}

    def predicate_string(s: dict[str, Any]) -> None:
        s["predicate"] = "a string"

    def subject_object(s: dict[str, Any]) -> None:
        s["subject"] = {"name": "x"}

    def attestation_array(s: dict[str, Any]) -> None:
        s["predicate"]["attestations"][0]["attestation"] = [1, 2]

    def unknown_type(s: dict[str, Any]) -> None:
        s["predicate"]["attestations"][0]["type"] = "https://example.com/unknown/v1"

    def null_material(s: dict[str, Any]) -> None:
        att = next(a for a in s["predicate"]["attestations"] if a["type"].endswith("/material/v0.1"))
        att["attestation"][".git/HEAD"] = None

    for name, edit in [
        ("env-not-collection.json", not_collection),
        ("env-predicate-string.json", predicate_string),
        ("env-subject-object.json", subject_object),
        ("env-attestation-array.json", attestation_array),
        ("env-unknown-type.json", unknown_type),
        ("env-null-material.json", null_material),
    ]:
        put(name, _resign(f["build.json"], build_k, edit))

    # -- hostile Rego, alone and inside signed policies
    att_type = pipe.steps["build"].collection.attestations[0].type
    for name, src in HOSTILE_REGO.items():
        put(f"{name}.rego", src)
        pol = simulate.policy_for(pipe, funcs, rego={"build": {att_type: [simulate.rego_module(name, src)]}})
        put(f"policy-{name}.json", json.dumps(pol, indent=2))
        put(f"policy-{name}-signed.json", simulate.sign_policy(pol, policy_k).dumps())
    return World(d, f, pipe.artifact_digest)


def run_subprocess(*args: str | Path, stdin: bytes | None = None, cwd: Path | None = None) -> Result:
    """Run `python -m witness_evals <args>` as a separate process (the installed entry point path)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "witness_evals", *map(str, args)],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=TIME_LIMIT_S * 2,
        cwd=cwd,
        env=env,
        check=False,
    )
    seconds = time.monotonic() - start
    return Result(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
        seconds,
    )


def assert_input_error(res: Result, path: str | None, message: str, location: str | None = None) -> str:
    """Exit 2, exactly one stderr line `error: <path>[:<location>]: ...<message>...`, no traceback."""
    assert "Traceback" not in res.text, res.text
    assert res.code == 2, f"exit {res.code}\n--- stdout\n{res.out}\n--- stderr\n{res.err}"
    lines = res.err.splitlines()
    assert len(lines) == 1, res.err
    line = lines[0]
    assert line.startswith("error: "), line
    if path is not None:
        assert line.startswith(f"error: {path}:"), line
    if location is not None:
        assert re.match(rf"error: {re.escape(path or '')}:{location}: ", line), line
    assert re.search(message, line, re.IGNORECASE), line
    assert res.seconds < TIME_LIMIT_S, res.seconds
    return line


def live_children() -> list[int]:
    """Pids of this process' live (not zombie) children: leftover Rego workers would show up here."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == me and fields[0] != "Z":
            found.append(int(entry.name))
    return found
