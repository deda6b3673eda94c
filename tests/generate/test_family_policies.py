"""Family `policies`: determinism, reference answers pass, realistic wrong answers and garbage fail,
answers teach (complete policy, sign and verify commands with the prompt's names), requests vary."""

from __future__ import annotations

import base64
import copy
import dataclasses
import functools
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from witness_evals.bench.answers import code_blocks, commands
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.bench.scorers.policy import find_policy
from witness_evals.generate import worlds as W
from witness_evals.generate.build import derived_rng
from witness_evals.generate.example import Example
from witness_evals.generate.families import get
from witness_evals.generate.families import policies as P
from witness_evals.generate.validate import placeholder_problems
from witness_evals.witness.cli import parse_command

COMMAND_RUN = "https://witness.dev/attestations/command-run/v0.1"
JSON_BLOCK = re.compile(r"```json\n(.*?)\n```", re.S)
N = 150


@functools.cache
def example(seed: int) -> Example:
    return P.make(derived_rng(0, "test-policies", seed))


def find(pred: Callable[[Example], bool], limit: int = 600) -> Example:
    for seed in range(limit):
        ex = example(seed)
        if pred(ex):
            return ex
    raise AssertionError("no seed with that property")


def prompt(ex: Example) -> str:
    """What the user has shown by the last turn: earlier turns (a follow-up's first request and answer) and
    the question."""
    return "\n\n".join([*(m["content"] for m in ex.history), ex.question])


def kind(ex: Example) -> str:
    return ex.template.rsplit("/", 1)[0]


def steps(ex: Example) -> list[dict[str, Any]]:
    return ex.check["pipe"]["steps"]


def first_step(ex: Example) -> str:
    return str(steps(ex)[0]["name"])


def policy_of(ex: Example) -> dict[str, Any]:
    """The reference policy: its JSON block."""
    assert len(JSON_BLOCK.findall(ex.answer)) == 1
    doc = find_policy(ex.answer)
    assert doc is not None
    return doc


def with_policy(ex: Example, edit: Callable[[dict[str, Any]], object]) -> str:
    """The reference answer with its policy changed by `edit` (as a JSON block)."""
    doc = copy.deepcopy(policy_of(ex))
    edit(doc)
    block = "```json\n" + json.dumps(doc, indent=2) + "\n```"
    return JSON_BLOCK.sub(lambda _m: block, ex.answer)


def expect_fail(ctx: ScoreContext, ex: Example, answer: str, reason: str) -> None:
    res = P.score(answer, ex.check, ctx)
    assert not res.ok, f"wrong answer accepted for {ex.template}"
    assert reason in res.reason, res.reason


# ----------------------------------------------------------------------------- basics


def test_registered() -> None:
    assert get("policies") is P.FAMILY
    assert P.FAMILY.name == "policies"


@pytest.mark.parametrize("seed", [0, 1, 7, 35, 123])
def test_deterministic(seed: int) -> None:
    a = P.make(derived_rng(0, "det", seed))
    b = P.make(derived_rng(0, "det", seed))
    assert dataclasses.asdict(a) == dataclasses.asdict(b)


def test_reference_answers_pass(ctx: ScoreContext) -> None:
    kinds: Counter[str] = Counter()
    templates: dict[str, set[str]] = {}
    for seed in range(N):
        ex = example(seed)
        assert json.loads(json.dumps(ex.check)) == ex.check
        assert len(json.dumps(ex.check)) < 4000
        assert ex.family == "policies" and ex.group.startswith("policies/")
        res = P.score(ex.answer, ex.check, ctx)
        assert res.ok, f"seed {seed} {ex.template}: {res.reason}"
        kinds[kind(ex)] += 1
        templates.setdefault(ex.check["sub"], set()).add(ex.template)
    assert {"policies/one-step", "policies/multi-step", "policies/rego", "policies/multi-functionary",
            "policies/x509"} <= set(kinds)  # fmt: skip
    assert len([k for k in kinds if k.startswith("policies/update-")]) >= 3
    assert all(len(t) >= 4 for t in templates.values()), templates


def test_template_counts() -> None:
    for sub in P.SUBKINDS:
        if sub == "followup":  # its first turn uses the one-step / multi-step intros
            assert all(len(P._TURN2[k]) >= 4 for k in P.FOLLOWUP_CHANGES)
            continue
        assert len(P._INTROS[sub]) >= 6


def test_paraphrases_share_group() -> None:
    ex = example(3)
    semantic = {k: v for k, v in ex.check.items() if k not in ("policy_key_file", "policy_pub_file")}
    assert (
        ex.group
        == f"policies/{ex.check['sub']}/" + hashlib.sha256(P._check_key(semantic).encode()).hexdigest()[:16]
    )
    assert len({example(s).group for s in range(40)}) == 40


# ----------------------------------------------------------------------------- what the answers teach


def test_answers_are_complete_and_use_the_prompts_names() -> None:
    """Every answer: the whole policy (parses, no placeholders), `witness sign` with the policy key,
    `witness verify` with the attestation files and artifact named in the question."""
    for seed in range(N):
        ex = example(seed)
        assert placeholder_problems(ex.answer) == [], (seed, placeholder_problems(ex.answer))
        assert "…" not in ex.answer
        assert "<" not in "".join(b for _, b in code_blocks(ex.answer))
        doc = policy_of(ex)
        assert "expires" in doc and "steps" in doc
        cmds = commands(ex.answer)
        sign = [c for c in cmds if c.startswith("witness sign")]
        verify = [c for c in cmds if c.startswith("witness verify")]
        assert len(sign) == 1 and len(verify) == 1, cmds
        v = parse_command(verify[0])
        assert v.valid, v.errors
        assert v.policy == parse_command(sign[0]).outfile
        for f in re.findall(r" -a (\S+)", verify[0]):
            assert f in prompt(ex), (seed, f)
        assert (v.artifactfile or v.subjects[0]) in prompt(ex)
        assert parse_command(sign[0]).signer_key in prompt(ex)
        derived = {hashlib.sha256(pem.encode()).hexdigest() for pem in (ex.check.get("files") or {}).values()}
        for keyid in re.findall(r"\b[0-9a-f]{64}\b", ex.answer):  # ids given, or computed from a pasted PEM
            assert keyid in prompt(ex) or keyid in derived, (seed, keyid)


def test_ids_of_pasted_pems_are_computed_and_shown_how_to_confirm() -> None:
    """A key pasted as PEM without its id: the answer's policy carries the id computed from the pasted text
    and says what `sha256sum` of the file prints, and the policy verifies. Before, such answers were
    scripts (`ID=$(sha256sum f | cut ...)`, `cat > policy.json <<EOF`); SmolLM2 tuned on them wrote the
    script for keys whose ids the question gave, too (witness-bench 2026-12-06: 86 of 137 policy answers
    held no JSON policy; policy tasks 18.2 % -> 13.1 %)."""
    derived = 0
    for seed in range(N):
        ex = example(seed)
        files = ex.check.get("files") or {}
        for name, pem in files.items():
            assert pem in prompt(ex), (seed, name)
            keyid = hashlib.sha256(pem.encode()).hexdigest()
            assert f"`sha256sum {name}` prints `{keyid}`" in ex.answer, seed
            assert f"sha256sum {name}\n" in ex.answer, seed  # among the commands that check the answer
            assert keyid in policy_of(ex)["publickeys"], seed
        derived += bool(files)
        assert "<<EOF" not in ex.answer, seed
    assert N // 40 < derived < N // 6, derived


def test_pasted_pems_with_their_ids_are_copied() -> None:
    """PEM files pasted with their ids (console output or captions): the answer copies the ids, as for
    keys given without PEMs; these outnumber PEM files pasted alone."""
    with_ids = alone = 0
    for seed in range(N):
        ex = example(seed)
        pems = re.findall(r"-----BEGIN PUBLIC KEY-----\n.*?-----END PUBLIC KEY-----", prompt(ex), re.S)
        alone += bool(ex.check.get("files"))
        if pems and not ex.check.get("files"):
            with_ids += 1
            assert find_policy(ex.answer) is not None, seed
    assert with_ids > 2 * alone, (with_ids, alone)


def test_answer_openings_vary() -> None:
    openings = Counter(example(s).answer[:40] for s in range(N))
    assert len(openings) > N // 3, openings.most_common(5)
    assert openings.most_common(1)[0][1] < N // 8


def test_requests_come_in_many_shapes() -> None:
    """CI configuration, bare commands or prose; keys as `sha256sum` output, a list, or pasted PEMs."""
    shapes: Counter[str] = Counter()
    for seed in range(N):
        q = example(seed).question
        for name, marker in (("github", "runs-on:"), ("gitlab", "script:"), ("jenkins", "pipeline {"),
                             ("tekton", "kind: Task"), ("make", "```make"), ("prose", "under `witness run` with"),
                             ("pem", "-----BEGIN PUBLIC KEY-----"), ("sha256sum", "$ sha256sum"),
                             ("policy", "```json")):  # fmt: skip
            shapes[name] += marker in q
    assert all(shapes[k] >= 3 for k in shapes), shapes
    firsts = Counter(re.split(r"(?<=[.?!:])\s", example(s).question, maxsplit=1)[0] for s in range(N))
    assert len(firsts) > N // 2


def test_worlds_are_wide() -> None:
    kinds: Counter[str] = Counter()
    lengths: Counter[int] = Counter()
    for seed in range(N):
        ex = example(seed)
        lengths[len(steps(ex))] += 1
        for fs in ex.check["funcs"].values():
            for f in fs:
                kinds[f["key"][0] if "key" in f else "x509"] += 1
        kinds["policy:" + ex.check["policy_key"][0]] += 1
    assert {"ed25519", "ecdsa-p256", "ecdsa-p384", "x509"} <= set(kinds)
    assert any(k.startswith("rsa") or k.startswith("policy:rsa") for k in kinds)
    assert set(lengths) == {1, 2, 3, 4, 5}


def test_question_keys_match_core() -> None:
    """keyid = sha256 of the PEM file, key = base64 of the PEM (REFERENCE §3.4) as the question states."""
    ex = find(lambda e: e.check["sub"] == "one-step" and "$ sha256sum" in e.question)
    key = W.Key.from_json(ex.check["funcs"][first_step(ex)][0]["key"])
    assert key.keyid == hashlib.sha256(key.pem).hexdigest()
    assert key.keyid in ex.question
    assert base64.b64encode(key.pem).decode() in ex.question


def test_commands_in_questions_and_answers_are_valid() -> None:
    for seed in range(60):
        ex = example(seed)
        for text in (ex.question, ex.answer):
            for cmd in commands(text):
                if len(cmd.split()) > 2:  # `witness run` alone is a mention in prose, not a command
                    assert not parse_command(cmd).errors, cmd


def test_policy_check_only_for_releases_that_have_it() -> None:
    from witness_evals.witness import versions

    old = [P.make(derived_rng(0, "v10", s), versions.get("0.10")) for s in range(30)]
    assert not any("witness policy check" in ex.answer for ex in old)
    assert any("witness policy check" in example(s).answer for s in range(N))


# ----------------------------------------------------------------------------- wrong answers


def one_step(ex: Example) -> bool:
    return ex.check["sub"] == "one-step"


def test_missing_attestation_type(ctx: ScoreContext) -> None:
    ex = find(one_step)
    s0 = first_step(ex)

    def edit(doc: dict[str, Any]) -> None:
        atts = doc["steps"][s0]["attestations"]
        atts[:] = [a for a in atts if a["type"] != COMMAND_RUN]

    expect_fail(ctx, ex, with_policy(ex, edit), "attestations missing")


def test_trap_exported_attestor_still_required(ctx: ScoreContext) -> None:
    """Trap 22: with --attestor-slsa-export the slsa predicate is not in the collection."""
    ex = find(lambda e: "slsa" in steps(e)[0].get("x", []))
    assert "--attestor-slsa-export" in ex.question
    s0 = first_step(ex)

    def edit(doc: dict[str, Any]) -> None:
        doc["steps"][s0]["attestations"].append(
            {"type": "https://slsa.dev/provenance/v1.0", "regopolicies": []}
        )

    expect_fail(ctx, ex, with_policy(ex, edit), "not recorded")


def test_trap_wrong_type_uri(ctx: ScoreContext) -> None:
    """Trap 2: `commandrun` is not the command-run type."""
    ex = find(one_step)

    def edit(doc: dict[str, Any]) -> None:
        for a in doc["steps"][first_step(ex)]["attestations"]:
            if a["type"] == COMMAND_RUN:
                a["type"] = "https://witness.dev/attestations/commandrun/v0.1"

    assert not P.score(with_policy(ex, edit), ex.check, ctx).ok


def test_trap_sbom_type(ctx: ScoreContext) -> None:
    ex = find(lambda e: any(s["kind"] == "sbom" for s in steps(e)))
    name = next(s["name"] for s in steps(ex) if s["kind"] == "sbom")

    def edit(doc: dict[str, Any]) -> None:
        for a in doc["steps"][name]["attestations"]:
            if a["type"] in ("https://spdx.dev/Document", "https://cyclonedx.org/bom"):
                a["type"] = "https://witness.dev/attestations/sbom/v0.1"

    expect_fail(ctx, ex, with_policy(ex, edit), "sbom")


def test_default_attestors_assumed_with_a_flag(ctx: ScoreContext) -> None:
    """Trap 20: `-a` replaces environment,git; requiring them anyway cannot pass."""
    ex = find(lambda e: one_step(e) and steps(e)[0]["a"] and "environment" not in steps(e)[0]["a"])

    def edit(doc: dict[str, Any]) -> None:
        doc["steps"][first_step(ex)]["attestations"].append(
            {"type": "https://witness.dev/attestations/environment/v0.1", "regopolicies": []}
        )

    expect_fail(ctx, ex, with_policy(ex, edit), "not recorded")


def test_keyid_of_der(ctx: ScoreContext) -> None:
    """Trap 8: keyid computed over the DER instead of the PEM file."""
    ex = find(lambda e: one_step(e) and "key" in e.check["funcs"][first_step(e)][0])

    def edit(doc: dict[str, Any]) -> None:
        ((_kid, entry),) = doc["publickeys"].items()
        pem = base64.b64decode(entry["key"])
        der = base64.b64decode("".join(pem.decode().splitlines()[1:-1]))
        new = hashlib.sha256(der).hexdigest()
        doc["publickeys"] = {new: {"keyid": new, "key": entry["key"]}}
        doc["steps"][first_step(ex)]["functionaries"][0]["publickeyid"] = new

    expect_fail(ctx, ex, with_policy(ex, edit), "policy check")


def test_key_base64_of_der(ctx: ScoreContext) -> None:
    """Trap 7: `key` holding base64 of the DER (MCow...) instead of base64 of the PEM."""
    ex = find(lambda e: one_step(e) and "key" in e.check["funcs"][first_step(e)][0])

    def edit(doc: dict[str, Any]) -> None:
        for entry in doc["publickeys"].values():
            pem = base64.b64decode(entry["key"]).decode()
            entry["key"] = "".join(pem.splitlines()[1:-1])

    expect_fail(ctx, ex, with_policy(ex, edit), "policy check")


def test_step_key_differs_from_name(ctx: ScoreContext) -> None:
    ex = find(one_step)

    def edit(doc: dict[str, Any]) -> None:
        doc["steps"][first_step(ex)]["name"] = "Build-X"

    assert not P.score(with_policy(ex, edit), ex.check, ctx).ok


def test_wrong_or_bad_expiry(ctx: ScoreContext) -> None:
    ex = find(one_step)
    expect_fail(
        ctx, ex, with_policy(ex, lambda d: d.update(expires="2035-12-17T23:57:40Z")), "expires is not"
    )
    expect_fail(ctx, ex, with_policy(ex, lambda d: d.update(expires="2031-05-01")), "")
    expect_fail(ctx, ex, with_policy(ex, lambda d: d.pop("expires")), "")
    expect_fail(ctx, ex, with_policy(ex, lambda d: d.update(expires="2023-12-17T23:57:40-05:00")), "")


def test_sign_command_required(ctx: ScoreContext) -> None:
    ex = find(lambda e: one_step(e) and "witness sign -f" in e.answer)
    sign = next(line for line in ex.answer.splitlines() if line.startswith("witness sign"))
    expect_fail(ctx, ex, ex.answer.replace(sign, ""), "no `witness sign` command")
    no_out = re.sub(r" -o \S+", "", sign)
    expect_fail(ctx, ex, ex.answer.replace(sign, no_out), "invalid sign command")
    other_key = re.sub(r"-k \S+", "-k some-other.pem", sign)
    expect_fail(ctx, ex, ex.answer.replace(sign, other_key), "does not use the policy key")


def multi(ex: Example) -> bool:
    return ex.check["sub"] == "multi-step"


def test_multi_step_without_artifacts_from(ctx: ScoreContext) -> None:
    ex = find(multi)
    expect_fail(
        ctx,
        ex,
        with_policy(ex, lambda d: [s.pop("artifactsFrom", None) for s in d["steps"].values()]),
        "artifactsFrom",
    )


def test_middle_artifacts_from_dropped(ctx: ScoreContext) -> None:
    """Every hand-over is required, not only the last one."""
    ex = find(lambda e: multi(e) and len(steps(e)) >= 3)
    middle = steps(ex)[1]["name"]
    expect_fail(ctx, ex, with_policy(ex, lambda d: d["steps"][middle].pop("artifactsFrom")), f"step {middle}")


def test_update_answer_quoting_current_policy_first(ctx: ScoreContext) -> None:
    """An update answer that shows the current policy before the updated one is graded on the latter."""
    for k in ("policies/update-expiry", "policies/update-add-key", "policies/update-add-step"):
        ex = find(lambda e, k=k: kind(e) == k)
        old = JSON_BLOCK.findall(ex.question)[0]
        answer = f"Current policy:\n```json\n{old}\n```\n\nUpdated:\n\n{ex.answer}"
        res = P.score(answer, ex.check, ctx)
        assert res.ok, f"{k}: {res.reason}"
        stale = f"{ex.answer}\n\nFor comparison, the old one:\n```json\n{old}\n```\n"
        assert not P.score(stale, ex.check, ctx).ok


def test_trap_artifacts_from_snake_case(ctx: ScoreContext) -> None:
    """Trap 11: `artifacts_from` is silently ignored."""
    ex = find(multi)

    def edit(doc: dict[str, Any]) -> None:
        for s in doc["steps"].values():
            if "artifactsFrom" in s:
                s["artifacts_from"] = s.pop("artifactsFrom")

    assert not P.score(with_policy(ex, edit), ex.check, ctx).ok


def test_multi_step_keys_pooled(ctx: ScoreContext) -> None:
    ex = find(lambda e: multi(e) and len({json.dumps(f) for f in e.check["funcs"].values()}) == len(steps(e)))

    def edit(doc: dict[str, Any]) -> None:
        funcs = [f for s in doc["steps"].values() for f in s["functionaries"]]
        for s in doc["steps"].values():
            s["functionaries"] = list(funcs)

    expect_fail(ctx, ex, with_policy(ex, edit), "signed by the")


def test_multi_step_missing_step(ctx: ScoreContext) -> None:
    ex = find(multi)
    last = steps(ex)[-1]["name"]
    expect_fail(ctx, ex, with_policy(ex, lambda d: d["steps"].pop(last)), "policy steps")


def rego_example(violation: str = "command") -> Example:
    return find(lambda e: e.check["sub"] == "rego" and e.check["rego"]["kind"] == violation)


def _rego_entries(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for s in doc["steps"].values():
        for a in s["attestations"]:
            yield from a.get("regopolicies", [])


def test_rego_module_raw_text(ctx: ScoreContext) -> None:
    """Trap 7: raw Rego text in `module` makes the policy undecodable."""
    ex = rego_example()

    def edit(doc: dict[str, Any]) -> None:
        for r in _rego_entries(doc):
            r["module"] = ex.check["rego"]["module"]

    expect_fail(ctx, ex, with_policy(ex, edit), "policy check")


def test_rego_on_wrong_attestation(ctx: ScoreContext) -> None:
    ex = rego_example()
    step = ex.check["rego"]["step"]

    def edit(doc: dict[str, Any]) -> None:
        atts = doc["steps"][step]["attestations"]
        mods = [r for a in atts for r in a.get("regopolicies", [])]
        for a in atts:
            a["regopolicies"] = mods if a["type"].endswith("/product/v0.1") else []

    expect_fail(ctx, ex, with_policy(ex, edit), "no regopolicies")


def test_rego_that_never_denies(ctx: ScoreContext) -> None:
    """A module whose rule cannot fire (wrong input field) lets the violating run through."""
    ex = rego_example()
    module = ex.check["rego"]["module"].replace("input.cmd[0]", "input.command[0]")

    def edit(doc: dict[str, Any]) -> None:
        for r in _rego_entries(doc):
            r["module"] = base64.b64encode(module.encode()).decode()

    expect_fail(ctx, ex, with_policy(ex, edit), "violating the Rego rule")


def test_rego_branch_rule_dropped(ctx: ScoreContext) -> None:
    ex = rego_example("branch")

    def edit(doc: dict[str, Any]) -> None:
        for s in doc["steps"].values():
            for a in s["attestations"]:
                a["regopolicies"] = []

    expect_fail(ctx, ex, with_policy(ex, edit), "no regopolicies")


def test_rego_v1_syntax_without_import(ctx: ScoreContext) -> None:
    """Trap 5: `deny contains msg if` without `import rego.v1` does not parse in witness verify."""
    ex = rego_example()
    module = ex.check["rego"]["module"].replace("import rego.v1\n\n", "")

    def edit(doc: dict[str, Any]) -> None:
        for r in _rego_entries(doc):
            r["module"] = base64.b64encode(module.encode()).decode()

    assert not P.score(with_policy(ex, edit), ex.check, ctx).ok


def test_multi_functionary_single_key(ctx: ScoreContext) -> None:
    ex = find(lambda e: e.check["sub"] == "multi-functionary")
    s0 = first_step(ex)

    def edit(doc: dict[str, Any]) -> None:
        doc["steps"][s0]["functionaries"] = doc["steps"][s0]["functionaries"][:1]

    expect_fail(ctx, ex, with_policy(ex, edit), "genuine pipeline #1")


def test_multi_functionary_key_not_embedded(ctx: ScoreContext) -> None:
    """Trap 13: a functionary whose key is missing from `publickeys` never matches."""
    ex = find(lambda e: e.check["sub"] == "multi-functionary")
    second = W.Key.from_json(ex.check["funcs"][first_step(ex)][1]["key"])

    def edit(doc: dict[str, Any]) -> None:
        doc["publickeys"].pop(second.keyid)

    expect_fail(ctx, ex, with_policy(ex, edit), "is not the keyid of any key in 'publickeys'")


def test_update_unchanged_policies_fail(ctx: ScoreContext) -> None:
    for change, reason in (("add-key", "genuine pipeline #1"), ("add-step", "policy steps"),
                           ("expiry", "expires is not"), ("replace-key", "")):  # fmt: skip
        ex = find(lambda e, c=change: kind(e) == f"policies/update-{c}")
        old = JSON_BLOCK.findall(ex.question)[0]
        expect_fail(ctx, ex, JSON_BLOCK.sub(lambda _m, o=old: "```json\n" + o + "\n```", ex.answer), reason)


def test_replace_key_keeping_the_old_key_fails(ctx: ScoreContext) -> None:
    ex = find(lambda e: kind(e) == "policies/update-replace-key")
    step, old = ex.check["retired"]
    old_key = W.Key.from_json(old["key"])

    def edit(doc: dict[str, Any]) -> None:
        doc["publickeys"][old_key.keyid] = {"keyid": old_key.keyid, "key": old_key.b64}
        doc["steps"][step]["functionaries"].append({"type": "publickey", "publickeyid": old_key.keyid})

    expect_fail(ctx, ex, with_policy(ex, edit), "retired key")


def x509_example() -> Example:
    return find(lambda e: e.check["sub"] == "x509")


def test_x509_wildcard_constraint_fails(ctx: ScoreContext) -> None:
    """A certConstraint that accepts any certificate of the CA lets another identity sign."""
    ex = x509_example()

    def edit(doc: dict[str, Any]) -> None:
        for s in doc["steps"].values():
            for f in s["functionaries"]:
                cc = f["certConstraint"]
                cc.update(commonname="*", emails=["*"], uris=["*"], organizations=["*"], dnsnames=["*"])

    expect_fail(ctx, ex, with_policy(ex, edit), "not in the policy")


def test_x509_without_roots_fails(ctx: ScoreContext) -> None:
    ex = x509_example()
    assert not P.score(with_policy(ex, lambda d: d.pop("roots")), ex.check, ctx).ok


def test_a_ca_rotation_names_both_roots_and_each_must_pass(ctx: ScoreContext) -> None:
    """During a CA rotation the same identity signs with certificates from the old and the new CA: one
    functionary whose `roots` names both. Dropping the new root refuses its certificates; keeping only
    the new one refuses the runners that still have the old CA's."""
    ex = find(lambda e: e.check["sub"] == "x509" and P._rotation(P._funcs(e.check)) is not None, limit=1500)
    doc = policy_of(ex)
    ids = list(doc["roots"])
    assert len(ids) == 2
    assert any(w in ex.question for w in ("migrating", "move from", "rotation")), ex.question[-600:]
    for st in doc["steps"].values():
        (f,) = st["functionaries"]
        assert f["certConstraint"]["roots"] == ids
    assert P.score(ex.answer, ex.check, ctx).ok
    for keep in ids:

        def only(d: dict[str, Any], keep: str = keep) -> None:
            d["roots"] = {keep: d["roots"][keep]}
            for st in d["steps"].values():
                st["functionaries"][0]["certConstraint"]["roots"] = [keep]

        assert not P.score(with_policy(ex, only), ex.check, ctx).ok, keep


def test_x509_constraint_names_unknown_root(ctx: ScoreContext) -> None:
    ex = x509_example()

    def edit(doc: dict[str, Any]) -> None:
        for s in doc["steps"].values():
            for f in s["functionaries"]:
                f["certConstraint"]["roots"] = ["some-other-root"]

    assert not P.score(with_policy(ex, edit), ex.check, ctx).ok


def test_yaml_policy(ctx: ScoreContext) -> None:
    ex = find(lambda e: one_step(e) and not e.check.get("files"))
    answer = JSON_BLOCK.sub(lambda _m: "```yaml\nexpires: 2030-01-01T00:00:00Z\nsteps: {}\n```", ex.answer)
    expect_fail(ctx, ex, answer, "no JSON policy")


# ----------------------------------------------------------------------------- garbage


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "   ",
        "I am not sure, maybe use cosign?",
        "x" * 250_000,
        "```json\n" + "[" * 50_000 + "]" * 50_000 + "\n```",
        '```json\n{"steps": ' + "{" * 5000 + "}" * 5000 + "}\n```",
        "```json\n{not json at all\n```",
        '```json\n{"steps": 5}\n```',
        '```json\n{"steps": [], "expires": 7}\n```',
        '```json\n{"steps": {"build": null}, "publickeys": "x", "expires": "2030-01-01T00:00:00Z"}\n```',
        "```\n\x00\x01 garbage \ufffd\n```",
        '```json\n{"steps": {"a": {"name": "a", "attestations": [{"type": 1}]}}}\n```',
    ],
)
def test_garbage(ctx: ScoreContext, answer: str) -> None:
    ex = example(0)
    res = P.score(answer, ex.check, ctx)
    assert not res.ok
    assert res.reason and "\n" not in res.reason


def test_garbage_check_fields_do_not_crash(ctx: ScoreContext) -> None:
    ex = example(1)
    res = P.score(ex.answer.replace("witness sign", "witness  sign"), ex.check, ctx)
    assert isinstance(res.ok, bool)


# ----------------------------------------------------------------------------- question/answer wording


def test_add_step_question_shows_the_new_run() -> None:
    seen = 0
    for seed in range(400):
        ex = example(seed)
        if kind(ex) != "policies/update-add-step":
            continue
        seen += 1
        new = steps(ex)[-1]["name"]
        assert re.search(rf"witness run (-s|--step) {re.escape(new)} ", ex.question)
        assert f'"{new}"' not in JSON_BLOCK.findall(ex.question)[0]
    assert seen >= 3


def test_rego_question_shows_module_and_base64() -> None:
    seen = 0
    for seed in range(300):
        ex = example(seed)
        if ex.check["sub"] != "rego" or not ex.check["rego"]["given"]:
            continue
        seen += 1
        r = ex.check["rego"]
        assert r["module"] in ex.question
        assert base64.b64encode(r["module"].encode()).decode() in ex.question
    assert seen >= 8


def test_sbom_format_comes_from_the_prompt() -> None:
    """An answer requiring `https://spdx.dev/Document` / `https://cyclonedx.org/bom` must be able to tell the
    format from the prompt (review E, line 10: `-a sbom` on `make release` and a CycloneDX type from nowhere)."""
    seen = 0
    for seed in range(600):
        ex = example(seed)
        policy_text = "\n".join(body for lang, body in code_blocks(ex.answer) if lang == "json")
        for uri, word in (("https://cyclonedx.org/bom", "cyclonedx"), ("https://spdx.dev/Document", "spdx")):
            if f'"{uri}"' in policy_text:
                seen += 1
                assert word in prompt(ex).lower(), (seed, ex.template, uri)
    assert seen > 10


# ----------------------------------------------------------------------------- stated deadlines, follow-ups


def test_stated_deadlines_are_converted_and_scored_by_the_day(ctx: ScoreContext) -> None:
    """About 30 % of requests give the expiry as people say it ("the end of Q3 2026", "2027-05-31"); the
    answer states the RFC 3339 conversion, and any time of the named day scores, the day before does not."""
    with_dl = [ex for ex in (example(s) for s in range(120)) if ex.check.get("deadline")]
    assert 20 <= len(with_dl) <= 60, len(with_dl)
    assert len({ex.check["deadline"]["kind"] for ex in with_dl}) >= 5
    for ex in with_dl[:6]:
        dl = ex.check["deadline"]
        assert dl["text"] in prompt(ex) and ex.check["expires"] not in prompt(ex)
        assert "RFC 3339" in ex.answer and f"`{ex.check['expires']}`" in ex.answer
        assert policy_of(ex)["expires"] == ex.check["expires"]
        lo = dl["window"][0]
        assert P.score(ex.answer.replace(ex.check["expires"], lo), ex.check, ctx).ok
        day_before = (datetime.fromisoformat(lo.replace("Z", "+00:00")) - timedelta(seconds=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        res = P.score(ex.answer.replace(ex.check["expires"], day_before), ex.check, ctx)
        assert not res.ok and "expires is not" in res.reason


def test_followups_two_turns_and_the_first_policy_is_not_enough(ctx: ScoreContext) -> None:
    """Two-turn requests: the first answer's policy verifies the first pipeline; the second turn changes it
    (a new step with its own key, a newly required attestor or a Rego rule) and only the complete new policy passes."""
    kinds: Counter[str] = Counter()
    for seed in range(160):
        ex = example(seed)
        if ex.check["sub"] != "followup":
            continue
        kinds[ex.check["change"]["kind"]] += 1
        assert [m["role"] for m in ex.history] == ["user", "assistant"]
        first = ex.history[1]["content"]
        base = {
            **P._base_check(ex.check),
            "policy_key_file": ex.check["policy_key_file"],
            "policy_pub_file": ex.check["policy_pub_file"],
        }
        assert P.score(first, base, ctx).ok
        res = P.score(first, ex.check, ctx)
        assert not res.ok, ex.template
        assert P.score(ex.answer, ex.check, ctx).ok
        c = ex.check["change"]
        if c["kind"] == "add-step":
            new = P._pipe(ex.check).steps[-1].name
            assert f'"{new}"' not in first and f'"{new}"' in ex.answer
            own = ex.check["funcs"][new][0]
            assert all(own not in fs for n, fs in ex.check["funcs"].items() if n != new)
        elif c["kind"] == "add-rego":
            assert ex.check["rego"]["step"] in ex.answer and "```rego" in ex.answer
        else:
            assert f"`{c['attestor']}`" in ex.question and c["step"] in ex.question
    assert kinds["add-step"] >= 3 and kinds["add-attestor"] >= 3 and kinds["add-rego"] >= 3, kinds


def test_each_exporter_is_said_to_write_its_own_file() -> None:
    """With `--attestor-link-export` and `--attestor-slsa-export` on one step, each writes
    `<outfile>-<attestor>.json` (witness cmd/run.go names the file after the exporting attestor). Wrong
    before: "writes link and slsa to a separate `<outfile>-link.json`"."""
    both = find(lambda ex: "write each attestation to its own file" in ex.answer, limit=1500)
    assert "`<outfile>-link.json`" in both.answer and "`<outfile>-slsa.json`" in both.answer
    for seed in range(N):
        assert not re.search(r"writes \w+ and \w+ to a separate", example(seed).answer), seed


def test_no_answer_shows_a_doubled_brace() -> None:
    """A reason written as a format string but never formatted showed `{{"type": "root", ...}}`, not JSON
    (found by an audit of the x509 answers)."""
    for seed in range(N):
        assert "{{" not in example(seed).answer, seed
