"""Diagnose answers checked against go-witness v0.12.0 (findings of an audit of generated examples)."""

from __future__ import annotations

import random
import re

from witness_evals.generate.families import diagnose as d


def _fault(cause: str, seed: int) -> d.Fault:
    return d.FAULTS[cause](random.Random(f"{cause}:{seed}"))


def test_unknown_signer_is_explained_by_publickeys_not_functionaries() -> None:
    """A signer in no `publickeys` entry is never verified (source/verified.go), so the collection has no
    verifiers and is rejected with `no verifiers present ...` before any functionary is compared
    (policy.go checkFunctionaries). Only a key that verified but is not a functionary gets `no verifiers
    matched with allowed functionaries`. Before, the unknown-key answer said the signature was checked
    against the step's functionaries and did not match."""
    seen = {"unknown_key": 0, "other_step_key": 0}
    for seed in range(40):
        f = _fault("not_functionary", seed)
        seen[f.variant] += 1
        if f.variant == "unknown_key":
            assert "no verifiers present to validate against collection verifiers" in f.output, seed
            assert "no verifiers matched" not in f.output, seed
            assert "no verifier matched" not in f.answer, seed
            assert "signature against the step's functionaries" not in f.answer, seed
            assert "no verifiers present" in f.answer and "`publickeys`" in f.answer, seed
        else:
            assert "no verifiers matched with allowed functionaries" in f.output, seed
            assert "no verifiers matched with allowed functionaries" in f.answer, seed
    assert all(seen.values()), seen


def test_wrong_keyid_is_never_framed_as_recent() -> None:
    """A `keyid` that is not the SHA-256 of the key's PEM fails `PublicKeyVerifiers` (ErrKeyIDMismatch) in
    every release: that policy never verified, so no question says it "worked until today" / broke."""
    for seed in range(20):
        assert not _fault("keyid_mismatch", seed).recent, seed
    seen = 0
    for seed in range(600):
        ex = d.make(random.Random(seed))
        if ex.check["cause"] == "keyid_mismatch":
            seen += 1
            assert not any(r in ex.question for r in d._RECENT), seed
            assert not re.search(r"worked|used to|until today|this morning|broke", ex.question), seed
    assert seen > 5


def test_rename_alternative_names_artifacts_from_only_with_evidence() -> None:
    """The question shows no policy; `failed to verify artifacts for step X: no passed collections present`
    is printed for any step without a passed collection (policy.go verifyArtifacts), whatever its
    artifactsFrom. Only `failed to verify artifacts: []` shows that a step's artifactsFrom names a step
    without a passed collection. Before, the answer named the steps from the hidden policy anyway."""
    named = generic = 0
    for seed in range(60):
        f = _fault("collection_step_name", seed)
        note = next(line for line in f.answer.splitlines() if "rename the policy step" in line)
        for step in re.findall(r"`artifactsFrom` of (`[^`]+`(?: and `[^`]+`)*)", note):
            named += 1
            for s in re.findall(r"`([^`]+)`", step):
                assert (
                    f"failed to verify artifacts for step {s}: no passed collections present" not in f.output
                )
                assert re.search(
                    rf"failed to verify artifacts for step {re.escape(s)}: (\\n|\n)", f.output
                ), seed
        generic += "any `artifactsFrom` entry that names it" in note
    assert named and generic, (named, generic)


def test_deadline_conversion_states_the_timestamp_once() -> None:
    """ "... becomes `2028-06-30T23:59:59Z`: Q2 2028 ends with June 30, so the last second of 2028-06-30:
    `2028-06-30T23:59:59Z` (UTC)." said the value twice in one sentence."""
    seen = 0
    for seed in range(120):
        f = _fault("policy_expired", seed)
        if not f.variant.endswith("+deadline"):
            continue
        for sentence in re.split(r"(?<=\.)\s+|\n", f.answer):
            if "RFC 3339" in sentence or "UTC" in sentence:
                values = re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", sentence)
                assert len(values) == len(set(values)), (seed, sentence)
        seen += 1
    assert seen > 10
