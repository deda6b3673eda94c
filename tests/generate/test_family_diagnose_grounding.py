"""Family `diagnose`: answers cite only what the prompt shows, proposed fixes really verify, the story in
the prompt holds together, and no template residue (defects found in a review of generated examples)."""

from __future__ import annotations

import base64
import functools
import json
import random
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from grounding import answer_paths, file_pattern

from witness_evals.bench.answers import code_blocks
from witness_evals.bench.scorers.context import NOW
from witness_evals.generate import worlds as W
from witness_evals.generate.example import Example
from witness_evals.generate.families import diagnose as d

SEEDS = 400

_FILE = file_pattern(
    "json|pem|pub|key|crt|rego|jar|tar|gz|tgz|zip|whl|js|bin|sum|mod|lock|txt|sarif|tmp|sh|yaml|yml"
)


@functools.cache
def examples() -> tuple[Example, ...]:
    return tuple(d.make(random.Random(seed)) for seed in range(SEEDS))


def introduced(answer: str, question: str) -> set[str]:
    """Files an answer may name without the prompt: what its own commands write (`-o`, `> x.tmp`), files
    named in a label above a block, and witness's export file `<outfile>-<attestor>.json` of a prompt file."""
    out = set(re.findall(r"(?:-o|--outfile|>)\s+(\S+)", answer))
    out |= set(re.findall(r"`([^`\n]+)`:\n+```", answer))
    out |= {
        m.group(0)
        for m in re.finditer(r"([\w./-]+)-(?:sbom|slsa|link)\.json", answer)
        if m.group(1) in question
    }
    return out


def test_answers_cite_only_files_from_the_prompt() -> None:
    """A path in an answer (the artifact to verify, the policy file, the policy key...) is one the user gave,
    or one the answer's own commands create. Failed before: `wrong_artifact` told the user to verify the
    build's hidden output path, and re-sign commands used a policy file and key the prompt never named."""
    for seed, ex in enumerate(examples()):
        allowed = introduced(ex.answer, ex.question)
        for path in answer_paths(ex.answer, _FILE) - allowed:
            assert path in ex.question, (seed, ex.template, path)


def test_wrong_artifact_verifies_a_file_the_prompt_names() -> None:
    for seed in range(60):
        f = d.FAULTS["wrong_artifact"](random.Random(f"wrong_artifact:{seed}"))
        targets = re.findall(r"witness verify .* -f (\S+)", f.answer)
        assert targets, seed
        for target in targets:
            assert target in f.context, (seed, target)


def test_no_alternative_glued_to_a_note_lead() -> None:
    """Alternatives are full sentences ("Another option is ..."), never "Or ..." (which a note lead such as
    "Also: " or "Note: " turned into "Also: Or rename ...")."""
    for seed, ex in enumerate(examples()):
        assert not re.search(r"(?:Note|Also|One more thing): Or\b", ex.answer), (seed, ex.template)
        for par in re.split(r"\n\s*\n", ex.answer):
            for line in par.splitlines():
                assert not re.match(r"(?:- )?Or\b", line.strip()), (seed, ex.template, line)


def _denied_policy(
    cause: str, seed: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[d.Fault, Any, dict[str, Any]]:
    """The fault and the (world, policy) that the core denied with a Rego rule."""
    seen: list[tuple[Any, dict[str, Any]]] = []
    real = d._run_verify

    def spy(w: Any, policy: Any, *a: Any, **kw: Any) -> Any:
        res = real(w, policy, *a, **kw)
        if isinstance(policy, dict) and any("policy was denied due to" in r for r in res.reasons):
            seen.append((w, policy))
        return res

    monkeypatch.setattr(d, "_run_verify", spy)
    f = d.FAULTS[cause](random.Random(f"{cause}:{seed}"))
    monkeypatch.setattr(d, "_run_verify", real)
    assert seen, (cause, seed)
    return f, seen[0][0], seen[0][1]


def _apply_jq(cmd: str, rego: str, policy: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Run the answer's `jq` edit on `policy` next to the module file (or its Python equivalent)."""
    name = re.search(r"base64 -w0 (\S+?)\)", cmd)
    file = re.search(r"' (\S+) >", cmd)
    assert name and file, cmd
    (tmp / name.group(1)).write_text(rego)
    path = tmp / file.group(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(policy, indent=2) + "\n")
    if shutil.which("jq"):
        subprocess.run(["bash", "-c", cmd], cwd=tmp, check=True, capture_output=True, timeout=30)
        out: dict[str, Any] = json.loads(path.read_text())
        return out
    for st in policy["steps"].values():  # pragma: no cover - only without jq
        for att in st["attestations"]:
            for mod in att.get("regopolicies", []):
                if mod["name"] == name.group(1):
                    mod["module"] = base64.b64encode(rego.encode()).decode()
    return policy


def test_rego_command_fix_keeps_the_build_and_verifies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The `command` rule fix is on the policy side: the answer's module, put into the policy with the
    answer's `jq` command, verifies the user's genuine runs. Failed before: the answer swapped the build tool
    (`mvn` -> `bazel build //...`) while still verifying `target/ledger-1.8.8.jar`, which bazel never writes."""
    checked = 0
    for seed in range(40):
        f, w, denied = _denied_policy("rego_deny", seed, monkeypatch)
        if f.variant != "command":
            continue
        runs = [line for line in f.context.splitlines() if line.startswith("witness run ")]
        for _lang, body in code_blocks(f.answer):
            for line in body.splitlines():
                if line.startswith("witness run "):
                    assert line in runs, (seed, line)  # no other build command
        rego = next(b for lang, b in code_blocks(f.answer) if lang == "rego")
        jq = next(
            line for _l, b in code_blocks(f.answer) for line in b.splitlines() if line.startswith("jq ")
        )
        work = tmp_path / str(seed)
        work.mkdir()
        fixed = _apply_jq(jq, rego if rego.endswith("\n") else rego + "\n", denied, work)
        assert fixed != denied
        res = d._run_verify(w, fixed)
        assert res.passed, (seed, res.reasons)
        checked += 1
    assert checked >= 8


def test_rego_branch_fix_reruns_every_step() -> None:
    for seed in range(40):
        f = d.FAULTS["rego_deny"](random.Random(f"rego_deny:{seed}"))
        if f.variant != "branch":
            continue
        runs = [line for line in f.context.splitlines() if line.startswith("witness run ")]
        block = next(b for _l, b in code_blocks(f.answer) if b.startswith("git checkout "))
        assert [line for line in block.splitlines() if line.startswith("witness run ")] == runs, seed


def _step_logs(output: str) -> dict[str, str]:
    """The lines witness logs under each `Step: <name>`."""
    parts = re.split(r"^.*Step: ([\w.-]+)\"?$", output, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_steps_left_unfound_are_explained() -> None:
    """When the faulted step fails, steps reached only through its git back-reference show the placeholder;
    the answer says why (review: "it never says why `semgrep` has no collection"), and why a step found in a
    later search round shows the placeholder lines next to its real result."""
    unfound = late = 0
    for seed in range(60):
        f = d.FAULTS["rego_deny"](random.Random(f"rego_deny:{seed}"))
        for step, log in _step_logs(f.output).items():
            if "predicate type  is not" not in log:
                continue
            if f"collection rejected: {step}," in log or "Passed with evidence" in log:
                assert re.search(rf"`{re.escape(step)}` shows those placeholder lines", f.answer), (
                    seed,
                    step,
                )
                late += 1
            else:
                assert re.search(rf"`{re.escape(step)}`[^\n]*(back-reference|commithash)", f.answer), (
                    seed,
                    step,
                )
                unfound += 1
    assert unfound >= 5 and late >= 1


def test_recent_wording_only_for_failures_that_can_be_recent() -> None:
    """ "since this morning" / "until today" never frame a policy that expired years ago or never had an
    expiry (review: "refuses `dist/index.js` since this morning" with `expires` 2022-12-17)."""
    for seed, ex in enumerate(examples()):
        if ex.check["cause"] != "policy_expired" or not any(r in ex.question for r in d._RECENT):
            continue
        m = re.search(r'"expires": "([^"]+)"', ex.question)
        assert m, (seed, ex.question)
        when = datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
        assert when.date() == NOW.date() and when < NOW, (seed, m.group(1))


def test_expired_past_variant_is_recent_enough() -> None:
    for seed in range(40):
        f = d.FAULTS["policy_expired"](random.Random(f"policy_expired:{seed}"))
        if f.variant == "past":
            m = re.search(r"(\d{4}-\d\d-\d\dT[\d:]+Z)", f.context)
            assert m
            assert (NOW - datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))).days <= 31


def test_collection_rename_alternative_names_the_real_references() -> None:
    for seed in range(40):
        f = d.FAULTS["collection_step_name"](random.Random(f"collection_step_name:{seed}"))
        note = next(line for line in f.answer.splitlines() if "rename the policy step" in line)
        if "artifactsFrom" in note:
            assert re.search(r"`artifactsFrom` of `[^`]+`|any `artifactsFrom` entry that names it", note), (
                note
            )


def test_key_file_names_are_not_doubled() -> None:
    assert W.key_file_names(("keys/{n}-signer.pem", "keys/{n}-signer.pub.pem"), "policy-signer") == (
        "keys/policy-signer.pem",
        "keys/policy-signer.pub.pem",
    )
    assert W.key_file_names(("{n}-key.pem", "{n}-key.pub"), "build") == ("build-key.pem", "build-key.pub")
    for seed, ex in enumerate(examples()):
        assert "signer-signer" not in ex.question and "key-key" not in ex.question, seed


def test_artifacts_output_shows_go_slice() -> None:
    """The core prints `failed to verify artifacts: [reasons]` (Go's %v of a []string), also when empty."""
    for seed in range(30):
        f = d.FAULTS["artifacts_mismatch"](random.Random(f"artifacts_mismatch:{seed}"))
        assert re.search(r"failed to verify artifacts: \[mismatched digests for \S+\]", f.output), seed
    bare = 0
    for seed in range(30):
        f = d.FAULTS["collection_step_name"](random.Random(f"collection_step_name:{seed}"))
        assert not re.search(r"failed to verify artifacts:\s*$", f.output, re.M), seed
        bare += "failed to verify artifacts: []" in f.output
    assert bare


def test_placeholder_lines_are_only_explained_for_steps_that_show_them() -> None:
    """A note about a step's placeholder lines needs those lines in the pasted output: witness prints
    rejections only for a step with no passed collection (review finding: a passed step was explained)."""
    seen = 0
    for ex in examples():
        for m in re.finditer(r"((?:`[\w.-]+`(?: and )?)+) shows? those placeholder lines", ex.answer):
            for name in re.findall(r"`([\w.-]+)`", m.group(1)):
                block = re.split(rf"Step: {re.escape(name)}\b", ex.question, maxsplit=1)[1].split(
                    "Step: ", 1
                )[0]
                assert "Passed with evidence" not in block, (ex.template, name)
                assert "is not a collection predicate type" in block, (ex.template, name)
                seen += 1
    assert seen, "no example explains placeholder lines: the test checks nothing"


def test_the_rego_fix_selects_by_what_the_prompt_shows() -> None:
    """The jq edit finds the module by step and attestation type (both in the verify output), not by the
    Rego entry's `name`, which the prompt does not show (review finding E6)."""
    fixes = [ex for ex in examples() if "regopolicies[].module" in ex.answer]
    assert fixes
    assert not any("select(.name ==" in ex.answer for ex in fixes)
