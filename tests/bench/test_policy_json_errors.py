"""A policy answer whose JSON is malformed or cut off is `invalid` (its policy does not parse), not the
wrong artifact: that is kept for answers that hold no policy at all but other artifacts."""

from __future__ import annotations

import json

from witness_evals.bench import suites
from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.scorers.policy import find_policy


def test_malformed_and_cut_policies_are_invalid_and_commands_stay_the_wrong_artifact() -> None:
    task = next(t for t in suites.hand_tasks() if t.id == "hand/policy/one-step-ed25519")
    policy = json.dumps(find_policy(task.reference), indent=2)
    missing_brace = policy[: policy.rindex("}")]  # the last closing brace left out
    cut = policy[: len(policy) // 2]  # the answer stopped at its token budget inside the block
    command = "```bash\nwitness verify -p policy-signed.json -k pub.pem -a build.json -f app\n```"
    with ScoreContext() as ctx:
        assert score(task.check, f"Here it is:\n\n```json\n{policy}\n```", ctx).passed
        for broken, where in ((missing_brace, "Expecting"), (cut, "line")):
            out = score(task.check, f"Here it is:\n\n```json\n{broken}\n```\n\n{command}", ctx)
            assert out.outcome == "invalid" and "not valid JSON" in out.reason and where in out.reason
        unclosed = score(task.check, f"```json\n{cut}", ctx)  # no closing fence either
        assert unclosed.outcome == "invalid"
        wrong = score(task.check, command, ctx)
        assert wrong.outcome == "wrong_artifact" and "no JSON policy" in wrong.reason
