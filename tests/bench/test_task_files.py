"""A policy task whose prompt pastes PEM files scores a policy written by a script that derives the key ids
from those files (`task._with_pasted_files`, `answers.scripted_json`): what a user who runs it gets."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from witness_evals.bench import suites
from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.scorers.policy import find_policy


def test_a_script_deriving_the_ids_of_the_pasted_keys_is_scored_like_the_policy_it_writes() -> None:
    task = next(t for t in suites.hand_tasks() if t.id == "hand/policy/one-step-ed25519")
    assert set(task.check["files"]) == {"build.pub"}  # named in prose: "this key (build.pub):"
    pem = task.check["files"]["build.pub"].encode()
    keyid, b64 = hashlib.sha256(pem).hexdigest(), base64.b64encode(pem).decode()
    policy = json.dumps(find_policy(task.reference), indent=2)
    assert keyid in policy and b64 in policy
    body = policy.replace(keyid, "${ID}").replace(b64, "${KEY}")
    script = (
        "```bash\nID=$(sha256sum build.pub | cut -d' ' -f1)\nKEY=$(base64 -w0 build.pub)\n"
        f"cat > policy.json <<EOF\n{body}\nEOF\n```"
    )
    with ScoreContext() as ctx:
        assert score(task.check, script, ctx).passed
        other = score(task.check, script.replace("sha256sum build.pub", "sha256sum ci.pub"), ctx)
        assert not other.passed and "no JSON policy" in other.reason  # a file the user never pasted


def test_only_files_the_prompt_pastes_and_names_are_given() -> None:
    def policy_checks(check: dict[str, Any]) -> list[dict[str, Any]]:
        if check.get("type") == "all":
            return [c for sub in check["checks"] for c in policy_checks(sub)]
        return [check] if check.get("type") == "policy" else []

    with_files = 0
    for task in suites.hand_tasks():
        for check in policy_checks(task.check):
            with_files += "files" in check
            if "files" in check:  # (a PEM with no file name before it is no file)
                assert all("-----BEGIN" in t and n in task.prompt_text() for n, t in check["files"].items())
    assert with_files >= 10
