"""Regression tests of the second hand-task audit (Rego tasks, tag rego).

Each test fails on the YAML before the audit: a wrong answer that used to pass now fails, a right
answer that used to fail now passes, or an input witness v0.12.0 cannot produce is gone. Go
citations are at go-witness v0.12.0.
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.suites import load_suite
from witness_evals.witness.attestors.aws import region_public_key


@functools.cache
def _tasks() -> dict[str, Any]:
    return {t.id: t for t in load_suite("hand")}


def _outcome(task_id: str, answer: str) -> str:
    t = _tasks()[task_id]
    with ScoreContext() as ctx:
        return score(t.check, answer, ctx).outcome


def _inputs(task_id: str) -> list[dict[str, Any]]:
    check = _tasks()[task_id].check
    return [*check["pass_inputs"], *check["deny_inputs"]]


# The only key aws-iid can record: the RSA key of the region certificate embedded in go-witness
# (attestation/aws-iid/aws-certs.go; identical for us-east-1, eu-west-1, eu-west-2, eu-central-1), pinned
# against that file in tests/witness/attestors/test_model_realism.py.
AWS_IID_KEY = region_public_key("us-east-1")

AWS_PINNED_KEY = """```rego
package aws.residency

import rego.v1

aws_iid_key := "KEY"

deny contains msg if {
    input.accountId != "582014046242"
    msg := sprintf("built in account %s", [input.accountId])
}

deny contains msg if {
    not input.region in {"eu-west-1", "eu-central-1"}
    msg := sprintf("built in region %s", [input.region])
}

deny contains "identity document was not verified with the AWS key" if {
    input.publickey != aws_iid_key
}
```
""".replace("KEY", AWS_IID_KEY.replace("\n", "\\n"))


def test_aws_iid_inputs_carry_the_rsa_key_witness_records() -> None:
    # aws-iid.go `Verify`: getAWSCAPublicKey returns *rsa.PublicKey (non-RSA certs are refused) and
    # PublicKey is its PKIX PEM; rsa.VerifyPKCS1v15 with the 1024-bit key needs a 128-byte rawsig.
    # The inputs used to carry an EC P-256 key and 256-byte signatures.
    tid = "hand/rego/aws-iid-region-account"
    for inp in _inputs(tid):
        assert inp["publickey"] == AWS_IID_KEY
        assert len(base64.b64decode(inp["rawsig"])) == 128


def test_aws_iid_module_pinning_the_aws_key_passes() -> None:
    # A stricter but right module (also pins the key witness verified the document with) was refused.
    assert _outcome("hand/rego/aws-iid-region-account", AWS_PINNED_KEY) == "pass"


WORKFLOW_NAME_ONLY = """```rego
package github.workflowref

deny[msg] {
    input.jwt.claims.repository != "wayne-ent/catalog"
    msg := "wrong repository"
}

deny[msg] {
    input.jwt.claims.workflow != "release"
    msg := sprintf("built by workflow %s, only release may release", [input.jwt.claims.workflow])
}

deny[msg] {
    input.jwt.claims.ref_type != "tag"
    msg := "not started from a tag"
}
```
"""


def test_github_workflow_ref_rejects_a_check_on_the_workflow_name() -> None:
    # The `workflow` claim (github.go: pipelinename = GITHUB_WORKFLOW) is the workflow's `name:`, which
    # any other file can reuse; only workflow_ref pins .github/workflows/release.yml. Used to pass.
    assert _outcome("hand/rego/github-workflow-ref", WORKFLOW_NAME_ONLY) != "pass"


def test_k8smanifest_inputs_record_cluster_info() -> None:
    # k8s.go registers `record-cluster-information` with default true and witness applies every
    # option's default (options/options.go addFlags), so a CLI attestation has "recordclusterinfo": true
    # and clusterinfo.server from the kubeconfig (runRecordClusterInfo; a missing kubeconfig fails the run).
    for tid in ("hand/rego/k8s-no-latest-or-untagged-images", "hand/rego/followup-k8s-kinds-plus-namespace"):
        for inp in _inputs(tid):
            assert inp.get("recordclusterinfo") is True
            assert inp["clusterinfo"]["server"].startswith("https://")


def test_go_git_status_has_no_collapsed_directory_keys() -> None:
    # Only `git status --porcelain` (gittool go-git+git-bin, git_bin.go GitGetStatus) collapses an
    # untracked directory to "dir/"; go-git's worktree.Status() (git.go GoGitGetStatus) lists files.
    for t in _tasks().values():
        if t.kind != "rego":
            continue
        for inp in [*t.check.get("pass_inputs", []), *t.check.get("deny_inputs", [])]:
            if isinstance(inp, dict) and inp.get("gittool") == "go-git":
                assert not [p for p in inp.get("status") or {} if p.endswith("/")], t.id


def test_secretscan_reference_names_the_real_clean_shape() -> None:
    # secretscan never initialises Findings (config.go New; scanner.go appends), so a clean run is
    # recorded as "findings": null (types.go: no omitempty); the reference called that a corner case.
    ref = _tasks()["hand/rego/fix-secretscan-boolean-deny"].reference
    assert 'witness records as\n    `"findings": null`' in ref or "which witness records as" in ref
    assert "also copes with" not in ref
