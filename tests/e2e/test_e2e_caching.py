"""The speed-ups of `verify` (signature cache, prepared-policy cache, collection memos, batched Rego)
never change a result: every e2e tampering gives the same full `VerifyResult.to_json()` with all of
them off, with cold caches, and with warm caches (same objects, and freshly loaded copies)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from e2e_world import E2E
from test_e2e_pipeline import CASES, Case, _x509_case

from witness_evals.witness import simulate
from witness_evals.witness.crypto import SIGNATURE_CACHE
from witness_evals.witness.dsse import Envelope
from witness_evals.witness.rego import RegoSandbox
from witness_evals.witness.verify import (
    TRUSTED_REGO,
    SourceCollection,
    clear_caches,
    perf_settings,
    verify,
)
from witness_evals.witness.versions import NAMES

NOW = datetime(2026, 1, 15, tzinfo=UTC)
CMD = "https://witness.dev/attestations/command-run/v0.1"
ALLOW = 'package commandrun.exit\n\ndeny[msg] {\n\tinput.exitcode != 0\n\tmsg := "exitcode not 0"\n}\n'


def _inputs(e2e: E2E, case: Case) -> tuple[Envelope, dict[str, Envelope]]:
    pol = case.policy(e2e) if case.policy else e2e.policy()
    signer = case.policy_signer(e2e) if case.policy_signer else e2e.policy_key
    envs = case.envelopes(e2e) if case.envelopes else e2e.envelopes()
    return simulate.sign_policy(pol, signer), envs


def _load(envs: dict[str, Envelope]) -> list[SourceCollection]:
    """Fresh objects from the bytes, like reading the files again."""
    return [SourceCollection.load(env.dumps().encode(), f"{name}.json") for name, env in envs.items()]


def _run(e2e: E2E, policy: Envelope, cols: list[SourceCollection], **kw: Any) -> dict[str, Any]:
    res = verify(policy, cols, [e2e.pipe.artifact_digest], policy_verifiers=[e2e.policy_key.verifier()], **kw)
    return res.to_json()


def _assert_same_everywhere(
    e2e: E2E, policy: Envelope, envs: dict[str, Envelope], **kw: Any
) -> dict[str, Any]:
    with perf_settings(caches=False, batch_rego=False):
        clear_caches()
        reference = _run(e2e, policy, _load(envs), **kw)
    clear_caches()
    cols = _load(envs)
    assert _run(e2e, policy, cols, **kw) == reference  # cold
    assert _run(e2e, policy, cols, **kw) == reference  # warm, same objects
    assert _run(e2e, Envelope(policy.payload, policy.payload_type, policy.signatures), _load(envs), **kw) == (
        reference
    )  # warm caches, fresh objects
    return reference


@pytest.mark.parametrize("version", NAMES)
@pytest.mark.parametrize("case", [Case("passes", ""), *CASES], ids=["passes", *[c.name for c in CASES]])
def test_tampering_results_identical_cold_and_warm(e2e: E2E, case: Case, version: str) -> None:
    policy, envs = _inputs(e2e, case)
    ref = _assert_same_everywhere(e2e, policy, envs, version=version, rego=TRUSTED_REGO, now=NOW)
    assert (ref["result"] == "PASS") == (case.name == "passes")
    if case.reason:
        assert any(case.reason in r for r in ref["reasons"]), ref["reasons"]


@pytest.mark.parametrize("with_tsa", [True, False])
@pytest.mark.parametrize("emails", [["builder@acme.example"], ["someone-else@acme.example"]])
def test_x509_results_identical_cold_and_warm(e2e: E2E, emails: list[str], with_tsa: bool) -> None:
    pol, envs = _x509_case(e2e, emails, with_tsa=with_tsa)
    ref = _assert_same_everywhere(e2e, simulate.sign_policy(pol, e2e.policy_key), envs, now=NOW)
    assert (ref["result"] == "PASS") == (with_tsa and emails == ["builder@acme.example"])


def test_sandboxed_rego_batched_matches_one_by_one(e2e: E2E) -> None:
    """Through the sandbox: one batch per call gives what one round trip per evaluation gives."""
    rego_case = next(c for c in CASES if c.name == "rego deny")
    allow = simulate.rego_module("exit 0", ALLOW)
    passing = Case(
        "rego allows",
        "",
        policy=lambda e: e.policy(rego={"build": {CMD: [allow]}, "package": {CMD: [allow]}}),
    )
    with RegoSandbox() as sandbox:
        for case in (rego_case, passing):
            policy, envs = _inputs(e2e, case)
            for version in NAMES:
                ref = _assert_same_everywhere(e2e, policy, envs, version=version, rego=sandbox, now=NOW)
                assert (ref["result"] == "PASS") == (case is passing)


def test_warm_run_hits_the_signature_cache(e2e: E2E) -> None:
    policy, envs = _inputs(e2e, Case("passes", ""))
    cols = _load(envs)
    clear_caches()
    _run(e2e, policy, cols, now=NOW)
    misses = SIGNATURE_CACHE.misses
    assert misses > 0
    _run(e2e, policy, _load(envs), now=NOW)
    assert SIGNATURE_CACHE.misses == misses  # every check of the second call was a cache hit
    with perf_settings(caches=False):
        _run(e2e, policy, cols, now=NOW)
    assert SIGNATURE_CACHE.misses == misses and SIGNATURE_CACHE.enabled


def test_cases_sharing_warm_caches_stay_independent(e2e: E2E) -> None:
    """Like the generator: many policy and evidence variants back to back on shared caches (the
    untampered evidence loaded ONCE and verified against every policy variant, in both modes), each
    result as if computed alone."""
    allow = simulate.rego_module("exit 0", ALLOW)
    allows = Case("rego allows", "", policy=lambda e: e.policy(rego={"build": {CMD: [allow]}}))
    cases = [Case("passes", ""), *CASES, allows]  # two Rego policies for the same predicate
    inputs = [_inputs(e2e, c) for c in cases]
    shared = _load(e2e.envelopes())
    cols = [
        shared if c.envelopes is None else _load(envs) for c, (_, envs) in zip(cases, inputs, strict=True)
    ]
    runs = [(p, c, m) for (p, _), c in zip(inputs, cols, strict=True) for m in NAMES]
    with perf_settings(caches=False, batch_rego=False):
        refs = [_run(e2e, p, c, version=m, rego=TRUSTED_REGO, now=NOW) for p, c, m in runs]
    clear_caches()
    for _round in range(2):
        for (policy, c, m), ref in zip(runs, refs, strict=True):
            assert _run(e2e, policy, c, version=m, rego=TRUSTED_REGO, now=NOW) == ref
