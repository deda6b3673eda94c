"""The rego scorer applies go-witness's result contract (policy/rego.go `EvaluateRegoPolicy`): every
element of `deny` must be a string, else `witness verify` fails with `ErrRegoInvalidData`."""

from __future__ import annotations

import pytest

from witness_evals.bench import suites
from witness_evals.bench.scorers import ScoreContext, score

INVALID = "invalid data from rego at data.oci.registry.deny, expected string but got []interface {}"

HEAD_OBJECT = """```rego
package oci.registry

deny[{"msg": msg}] {
    tag := input.imagetags[_]
    not startswith(tag, "registry.gitlab.com/globex/")
    msg := sprintf("image tag %v is not in registry.gitlab.com/globex/", [tag])
}
```"""

BODY_OBJECT = """```rego
package oci.registry

import rego.v1

deny contains {"msg": msg, "tag": tag} if {
    some tag in input.imagetags
    not startswith(tag, "registry.gitlab.com/globex/")
    msg := sprintf("image tag %v is not in registry.gitlab.com/globex/", [tag])
}
```"""

MIXED = """```rego
package oci.registry

deny[msg] {
    tag := input.imagetags[_]
    not startswith(tag, "registry.gitlab.com/globex/")
    msg := sprintf("image tag %v is not in registry.gitlab.com/globex/", [tag])
}

deny[[tag]] {
    tag := input.imagetags[_]
    not startswith(tag, "registry.gitlab.com/globex/")
}
```"""


@pytest.mark.parametrize("answer", [HEAD_OBJECT, BODY_OBJECT, MIXED], ids=["head", "contains", "mixed"])
def test_deny_of_objects_fails_as_witness_verify_reports(answer: str) -> None:
    """A `deny` set holding objects or arrays is no denial: witness verify rejects the collection
    with ErrRegoInvalidData on every violating input (and passes the compliant ones, where the set is
    empty), so the half-fixed Gatekeeper-style module of `fix-oci-violation-rule` fails."""
    task = next(t for t in suites.hand_tasks() if t.id == "hand/rego/fix-oci-violation-rule")
    with ScoreContext() as ctx:
        out = score(task.check, answer, ctx)
    assert not out.passed
    assert out.outcome == "partial"  # the compliant input passes, as it does in witness
    denials = [c for c in out.checks if " denies input " in c.name]
    assert denials and all(not c.ok for c in denials)
    for check in denials:
        assert check.reason == f"module fails in witness verify (invalid_data): {INVALID}"
