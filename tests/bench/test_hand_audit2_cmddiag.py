"""Regression tests of the second hand-task audit (command / diagnose / qa tasks, tag cmddiag).

Each test fails on the YAML before the audit: a wrong answer that used to pass now fails, or a right
answer that used to fail now passes. Go citations are at go-witness v0.12.0 / witness HEAD (v0.12.0 CLI).
"""

from __future__ import annotations

import functools

import pytest

from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.suites import load_suite


@functools.cache
def _tasks() -> dict[str, object]:
    return {t.id: t for t in load_suite("hand")}


def _outcome(task_id: str, answer: str) -> str:
    t = _tasks()[task_id]
    with ScoreContext() as ctx:
        return score(t.check, answer, ctx).outcome


GHA_CMD = (
    "```bash\nwitness run -s build -k /tmp/witness.pem -a environment,git,github -o build.att.json "
    "-- go build -trimpath -o bin/api ./cmd/api\n```\n"
)


def test_gha_github_attestor_needs_id_token_write() -> None:
    # The prompt's workflow only grants `contents: read`; without `id-token: write` GitHub sets no
    # ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN and the github attestor fails the run (attestation/github/github.go:142).
    tid = "hand/command/gha-github-attestor-keep-defaults"
    assert _outcome(tid, GHA_CMD) != "pass"
    assert _outcome(tid, GHA_CMD + "Add `id-token: write` to the job's `permissions:`.") == "pass"


def test_workingdir_trailing_slash_is_the_same_run() -> None:
    # cmd.Dir / filepath.Walk / filepath.Rel / filepath.Join ignore a trailing slash (attestation/file/file.go).
    tid = "hand/command/workingdir-monorepo"
    ans = (
        "```bash\nwitness run -s billing-build -k ci/keys/build.pem --workingdir ./services/billing/ "
        "-o attestations/billing-build.json -- make release\n```"
    )
    assert _outcome(tid, ans) == "pass"
    wrong = ans.replace("./services/billing/", "services")
    assert _outcome(tid, wrong) != "pass"


@pytest.mark.parametrize(
    ("task_id", "wrong"),
    [
        (
            "hand/qa/verify-k-meaning",
            "No. It's the public key of the build signer; the policy is checked against its own publickeys.",
        ),
        (
            "hand/qa/dot-witness-yaml-by-version",
            "Yes, on the latest release it's still loaded automatically; -c is only needed for other "
            "names. Older versions gave an error.",
        ),
        (
            "hand/qa/empty-attestations-list-v012",
            "No, that's a regression: an empty list should be accepted. Add a required attestation type "
            "like material as a workaround.",
        ),
        (
            "hand/qa/policy-check-since-0102",
            "It's named `witness verify --check-policy policy.json` in 0.10.1; upgrade to 0.10.2 if you "
            "want the new name.",
        ),
        (
            "hand/qa/policy-timestamp-servers-are-certs",
            "It takes a URL of the TSA, the same one you signed with, plus a certificate file path for the "
            "CA via --policy-ca-roots.",
        ),
    ],
)
def test_qa_refuses_plausible_wrong_answer(task_id: str, wrong: str) -> None:
    assert _outcome(task_id, wrong) != "pass"


@pytest.mark.parametrize(
    "right",
    [
        "No: on `witness verify`, `-k`/`--publickey` is the key used to check the signed policy's envelope, "
        "and the functionary keys are inside the policy.",
        "No. `-k` on verify is the public key that verifies the policy signature. Attestation signers are "
        "in the policy's publickeys.",
    ],
)
def test_verify_k_meaning_accepts_right_answers(right: str) -> None:
    assert _outcome("hand/qa/verify-k-meaning", right) == "pass"


def test_policy_check_prompt_quotes_witness_log_format() -> None:
    # witness sets SilenceErrors on the root command and logs the error itself (cmd/root.go New/Execute at
    # v0.10.1), so cobra's `Error: ...` prefix is never printed.
    prompt = _tasks()["hand/qa/policy-check-since-0102"].prompt_text()
    assert 'Error: unknown command "policy"' not in prompt
    assert 'ERROR   unknown command "policy" for "witness"' in prompt
