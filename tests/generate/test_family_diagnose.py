"""Family `diagnose`: determinism, reference answers pass, realistic wrong answers and garbage fail."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections import Counter
from typing import Any

import pytest

from witness_evals.bench.answers import code_blocks
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.families import diagnose as d
from witness_evals.generate.families import get
from witness_evals.generate.validate import placeholder_problems

POLICY_LEVEL = {"policy_expired", "policy_unsigned", "wrong_policy_key", "keyid_mismatch"}
"""Failures before any step is evaluated: after go-witness's INFO lines witness prints only the final error."""
BAD_SIGNATURE = {"policy_unsigned", "wrong_policy_key"}
"""Failures of the policy signature check itself: go-witness never logs `policy signature verified`."""


def fault_check(cause: str, seed: int) -> tuple[d.Fault, dict[str, Any]]:
    f = d.FAULTS[cause](random.Random(f"{cause}:{seed}"))
    check = {
        "kind": "diagnosis",
        "cause": cause,
        "require": f.require,
        "forbid": f.forbid,
        "checks": f.checks,
    }
    return f, check


def test_registered() -> None:
    assert get("diagnose") is d.FAMILY


@pytest.mark.parametrize("seed", [0, 1, 7, 123])
def test_deterministic(seed: int) -> None:
    a = d.make(random.Random(seed))
    b = d.make(random.Random(seed))
    assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert json.loads(json.dumps(a.check)) == a.check
    assert a.group == f"diagnose/{a.check['cause']}/{a.group.rsplit('/', 1)[1]}"


def test_reference_answers_pass(ctx: ScoreContext) -> None:
    seen: dict[str, set[str]] = {}
    for seed in range(170):
        ex = d.make(random.Random(seed))
        assert json.loads(json.dumps(ex.check)) == ex.check
        assert len(json.dumps(ex.check)) < 3000
        s = d.score(ex.answer, ex.check, ctx)
        assert s.ok, (seed, ex.check["cause"], s.reason)
        step_results = "Verification failed" in ex.question
        if (
            ex.check["cause"] != "step_key_mismatch"
        ):  # a renamed step aborts in verifyArtifacts (no step results)
            assert step_results is (ex.check["cause"] not in POLICY_LEVEL), (seed, ex.check["cause"])
        assert "caused by" not in ex.question
        seen.setdefault(ex.check["cause"], set()).add(ex.template)
    assert set(seen) == set(d.CAUSES)


def test_answers_are_complete_and_cite_only_the_prompt() -> None:
    """No placeholders, no partial JSON (every JSON block parses, a policy is a whole one), no truncated
    digests; every key id or digest in an answer appears in its question."""
    for seed in range(200):
        ex = d.make(random.Random(seed))
        assert placeholder_problems(ex.answer) == [], (seed, ex.check["cause"])
        assert "…" not in ex.answer and "<unchanged" not in ex.answer
        for lang, body in code_blocks(ex.answer):
            if lang == "json":
                doc = json.loads(body)
                assert "expires" in doc and "steps" in doc, (seed, ex.check["cause"])
        for digest in re.findall(r"\b[0-9a-f]{40,64}\b", ex.answer):
            assert digest in ex.question, (seed, ex.check["cause"], digest)
        for quoted in ("no collections found", "caused by", "Verification failed"):  # never printed here
            assert quoted not in ex.answer or quoted in ex.question, (seed, quoted)


def test_output_is_what_witness_logs() -> None:
    """Terminal (`INFO    ...`, `ERROR   ...`) or CI log (`level=error msg=...`) lines, never witness-evals'
    own text, starting with the INFO lines go-witness logs while it runs the policyverify attestor."""
    styles: Counter[str] = Counter()
    for seed in range(120):
        ex = d.make(random.Random(seed))
        out = ex.question.split("$ witness verify", 1)[1].split("```", 1)[0].splitlines()[1:]
        first = out[0]
        styles["tty" if first.startswith("INFO    ") else "ci"] += 1
        if first.startswith("level="):
            assert first == 'level=info msg="Starting verify attestors stage..."', out
            assert all(line.startswith(("level=error msg=", "level=info msg=")) for line in out if line), out
        else:
            assert out[:2] == [
                "INFO    Starting verify attestors stage...",
                "INFO    Starting policyverify attestor...",
            ]
            assert any(line.startswith("ERROR   ") for line in out), out
        text = "\n".join(out)
        assert ("policy signature verified" in text) is (ex.check["cause"] not in BAD_SIGNATURE), (seed, text)
        assert ("Finished policyverify attestor" in text) is (
            "failed to verify policy: policy verification failed" in text
        )
        if ex.check["cause"] != "step_key_mismatch":
            failed_steps = "failed to verify policy: policy verification failed" in text
            assert failed_steps is (ex.check["cause"] not in POLICY_LEVEL), (seed, text)
    assert styles["tty"] > 20 and styles["ci"] > 20


def test_answers_and_requests_vary() -> None:
    exs = [d.make(random.Random(seed)) for seed in range(150)]
    openings = Counter(ex.answer[:40] for ex in exs)
    assert len(openings) > 90, openings.most_common(3)
    firsts = Counter(re.split(r"(?<=[.?!:])\s|\n", ex.question, maxsplit=1)[0] for ex in exs)
    assert len(firsts) > 60
    shapes = Counter(
        len(re.findall(r" -a \S+", ex.question.split("$ witness verify", 1)[1].splitlines()[0])) for ex in exs
    )
    assert {1, 2, 3} <= set(shapes)  # one- to three-step pipelines


@pytest.mark.parametrize("cause", d.CAUSES)
def test_every_cause_many_worlds(cause: str, ctx: ScoreContext) -> None:
    for seed in range(6):
        f, check = fault_check(cause, seed)
        assert d.score(f.answer, check, ctx).ok, (cause, seed)


def test_paraphrases_share_group() -> None:
    groups: dict[str, set[str]] = {}
    for seed in range(60):
        ex = d.make(random.Random(seed))
        groups.setdefault(ex.group, set()).add(ex.question)
    assert len(groups) > 50


VAGUE = "Verification failed because something in your policy or attestations is misconfigured. Check your keys and re-run."


@pytest.mark.parametrize("cause", d.CAUSES)
def test_vague_answer_fails(cause: str, ctx: ScoreContext) -> None:
    _, check = fault_check(cause, 2)
    assert not d.score(VAGUE, check, ctx).ok


def test_keyid_wrong_fix_fails(ctx: ScoreContext) -> None:
    _f, check = fault_check("keyid_mismatch", 3)
    bad = check["forbid"][0]
    ans = f'The key id is wrong. Set keyid to `{bad}` and re-sign.\n```json\n{{"keyid": "{bad}"}}\n```'
    s = d.score(ans, check, ctx)
    assert not s.ok and "missing key term" in s.reason
    # right id mentioned, but the proposed JSON still carries the old one
    good = check["require"][0][0]
    ans2 = f'keyid must be {good}...\n```json\n{{"publickeyid": "{bad}"}}\n```'
    assert not d.score(ans2, check, ctx).ok


def test_expired_fixes(ctx: ScoreContext) -> None:
    _f, check = fault_check("policy_expired", 1)
    past = 'The policy expired. Set\n```json\n{"expires": "2025-01-01T00:00:00Z"}\n```\nand re-sign it.'
    assert "not in the future" in d.score(past, check, ctx).reason
    date_only = 'The policy expired. Set\n```json\n{"expires": "2030-01-01"}\n```\nand re-sign it.'
    assert "RFC3339" in d.score(date_only, check, ctx).reason
    no_sign = 'The policy expired; set "expires" to 2030-01-01T00:00:00Z.'
    assert not d.score(no_sign, check, ctx).ok


def test_unsigned_policy_answers(ctx: ScoreContext) -> None:
    _f, check = fault_check("policy_unsigned", 1)
    trap = "The policy is not signed; pass it with `witness verify --allow-unsigned-policy -p policy.json`. No need to sign."
    assert not d.score(trap, check, ctx).ok
    bad_sign = "Sign it first:\n```bash\nwitness sign -f policy.json -k policy-key.pem\n```"
    assert not d.score(bad_sign, check, ctx).ok  # sign without -o fails in witness


def test_wrong_policy_key_answer_keeps_wrong_key(ctx: ScoreContext) -> None:
    _f, check = fault_check("wrong_policy_key", 2)
    pub = check["checks"][0]["pub"]
    ans = (
        f"-k must be the policy signer's public key ({pub}); but use this:\n```bash\n"
        "witness verify -p policy-signed.json -k other.pem -a a.json -f x\n```"
    )
    assert "policy signer" in d.score(ans, check, ctx).reason


def test_attestors_replaced_and_backref_need_git(ctx: ScoreContext) -> None:
    for cause in ("attestors_replaced", "no_backref"):
        _f, check = fault_check(cause, 4)
        step = check["checks"][0]["step"]
        ans = (
            f"Step {step}: the -a flag replaced the defaults, so git/environment are missing (commithash backref).\n"
            f"```bash\nwitness run -s {step} -k k.pem -a sarif -o out.json -- make\n```"
        )
        s = d.score(ans, check, ctx)
        assert not s.ok and "does not record" in s.reason, (cause, s)


def test_export_fix_still_exporting_fails(ctx: ScoreContext) -> None:
    _f, check = fault_check("attestation_exported", 1)
    step = check["checks"][0]["step"]
    ans = (
        f"Step {step}: the sbom export moved it out of the collection.\n```bash\n"
        f"witness run -s {step} -k k.pem -a environment,git,sbom --attestor-sbom-export -o o.json -- make\n```"
    )
    assert not d.score(ans, check, ctx).ok


def test_wrong_type_fix_with_trap_uri_fails(ctx: ScoreContext) -> None:
    for seed in range(8):
        _f, check = fault_check("wrong_type_uri", seed)
        wrong_uri = check["forbid"][0]
        ans = f'Re-sign the policy after fixing the type:\n```json\n{{"type": "{wrong_uri}"}}\n```'
        assert not d.score(ans, check, ctx).ok


def test_step_key_mismatch_inconsistent_fix_fails(ctx: ScoreContext) -> None:
    _f, check = fault_check("step_key_mismatch", 1)
    key, name = check["require"][0][0], check["require"][1][0]
    ans = f'The map key {key} vs name {name}.\n```json\n{{"steps": {{"{key}": {{"name": "{name}x"}}}}}}\n```'
    assert not d.score(ans, check, ctx).ok


def test_other_wrong_diagnoses(ctx: ScoreContext) -> None:
    cases = {
        "not_functionary": "The policy expired; update expires and re-sign the policy.",
        "rego_deny": "The Rego module has a syntax error; add `import rego.v1`.",
        "wrong_artifact": "The package step is missing the git attestation; add -a git.",
        "artifacts_mismatch": "Your policy signature is invalid; pass the right -k.",
        "collection_step_name": "The key id in publickeys is wrong.",
    }
    for cause, ans in cases.items():
        _, check = fault_check(cause, 5)
        assert not d.score(ans, check, ctx).ok, cause


def test_wrong_artifact_verify_command_checked(ctx: ScoreContext) -> None:
    _f, check = fault_check("wrong_artifact", 2)
    c = check["checks"][0]
    art, bad = c["paths"][0], c["bad"]
    ans = f"Verify the product {art}:\n```bash\nwitness verify -p p.json -k pub.pem -a b.json -f {bad}\n```"
    assert "produced artifact" in d.score(ans, check, ctx).reason


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "lorem ipsum dolor sit amet " * 20,
        "x" * 300_000,
        "```json\n" + "[" * 5000 + "]" * 5000 + "\n```",
        "```json\n" + '{"a":' * 3000 + "1" + "}" * 3000 + "\n```",
        '```bash\n\x00\x01 witness run -s --- "unterminated\n```',
        "```\n}{][ rubbish ```",
    ],
)
def test_garbage_fails(garbage: str, ctx: ScoreContext) -> None:
    ex = d.make(random.Random(11))
    s = d.score(garbage, ex.check, ctx)
    assert not s.ok and s.reason


def test_garbage_check_does_not_raise(ctx: ScoreContext) -> None:
    ex = d.make(random.Random(3))
    assert isinstance(d.score(ex.answer, {"require": "nonsense", "checks": [1, None]}, ctx).ok, bool)
    assert not d.score(None, ex.check, ctx).ok  # type: ignore[arg-type]


def _fences_ok(text: str) -> bool:
    """Every ``` sits at the start of a line, and a closing fence carries nothing after it."""
    opened = False
    for line in text.splitlines():
        if "```" in line and not line.startswith("```"):
            return False
        if line.startswith("```"):
            if opened and line.strip() != "```":
                return False
            opened = not opened
    return not opened


def test_markdown_fences_well_formed() -> None:
    # a closer (" Thanks!") used to land on the closing fence line of a context ending in a code block,
    # and the rego fix put a ```bash block inside a sentence
    for seed in range(400):
        ex = d.make(random.Random(seed))
        assert _fences_ok(ex.question), (seed, ex.template)
        assert _fences_ok(ex.answer), (seed, ex.template)


_NEEDS_PRODUCT = {"oci": "docker save", "sarif": "semgrep", "vex": "make scan"}
"""Attestors that fail the whole `witness run` unless the step writes their file (image tar, SARIF, VEX)."""


@pytest.mark.parametrize("cause", ["attestors_replaced", "no_backref", "wrong_type_uri", "not_functionary"])
def test_no_attestor_that_fails_the_run(cause: str) -> None:
    for seed in range(30):
        f, _ = fault_check(cause, seed)
        for line in (f.context + "\n" + f.answer).splitlines():
            if line.startswith("witness run") and " -a " in line:
                names = line.split(" -a ", 1)[1].split()[0].split(",")
                for name in set(names) & set(_NEEDS_PRODUCT):
                    assert _NEEDS_PRODUCT[name] in line or (name == "sarif" and "make scan" in line), (
                        cause,
                        seed,
                        line,
                    )


def test_attestors_replaced_no_policy_relaxing_without_git() -> None:
    # dropping `git` from the step does not help: git's commithash is what links the steps
    for seed in range(40):
        f, check = fault_check("attestors_replaced", seed)
        multi = len(re.findall(r"^witness run ", f.context, re.M)) > 1
        if "git" in check["require"][1]:
            assert "drop the environment type" not in f.answer
            assert ("not enough" in f.answer) is multi, seed
        else:
            assert "drop the environment type" in f.answer, seed


def test_artifacts_mismatch_modifier_fits_artifact() -> None:
    for seed in range(40):
        f, check = fault_check("artifacts_mismatch", seed)
        path = check["require"][0][0]
        binary_tool = any(t in f.context for t in ("\nstrip ", "\nupx ", "\nobjcopy "))
        if path.endswith((".js", ".jar", ".whl")):
            assert not binary_tool, (seed, path)
        assert "uploaded" in f.context  # the gate verifies the unmodified build output


def test_resign_term_not_satisfied_by_file_name(ctx: ScoreContext) -> None:
    _f, check = fault_check("policy_expired", 2)
    assert not d.score("The policy expired; edit `expires` in policy-signed.json.", check, ctx).ok
    assert d.score("The policy expired: set a future `expires`, then re-sign it.", check, ctx).ok
    assert d.score("Policy has expired. Update expires and sign the policy again.", check, ctx).ok
    _f, check = fault_check("wrong_type_uri", 1)
    uri = check["require"][0][0]
    assert not d.score(f"Use {uri} in policy-signed.json.", check, ctx).ok
    assert d.score(f"Use {uri}, then `witness sign` the policy again.", check, ctx).ok


def test_expired_answer_does_not_overclaim_order() -> None:
    for seed in range(6):
        f, _ = fault_check("policy_expired", seed)
        assert "before anything else" not in f.answer  # signature and key ids are checked first


def test_prose_mention_of_a_subcommand_is_not_a_command(ctx: ScoreContext) -> None:
    # without code blocks inline spans are parsed as commands; a bare `witness verify` is a mention
    _f, check = fault_check("wrong_policy_key", 1)
    pub = check["checks"][0]["pub"]
    ans = f"`-k` in `witness verify` must be the policy signer's public key, `{pub}`, not a functionary key."
    assert d.score(ans, check, ctx).ok
    _f, check = fault_check("policy_unsigned", 1)
    assert not d.score(
        "The policy is unsigned; sign it with `witness sign`.", check, ctx
    ).ok  # no real command


def test_wrong_artifact_final_package_accepted(ctx: ScoreContext) -> None:
    # verifying the second step's tarball passes in witness too (build found via the git back-reference)
    _f, check = fault_check("wrong_artifact", 2)
    c = check["checks"][0]
    tar = c["paths"][1]
    ans = f"Verify a produced artifact, e.g. the package {tar}:\n```bash\nwitness verify -p p.json -k pub.pem -a b.json -a c.json -f {tar}\n```"
    assert d.score(ans, check, ctx).ok
    ans = f"Verify {tar} by digest:\n```bash\nwitness verify -p p.json -k pub.pem -a b.json -s {c['digests'][0]}\n```"
    assert d.score(ans, check, ctx).ok


def test_unsigned_policy_is_never_new() -> None:
    """The context says the unsigned file always went to `-p`: "worked until today" would contradict it."""
    for seed in range(300):
        ex = d.make(random.Random(seed))
        if ex.check["cause"] == "policy_unsigned":
            assert not any(r in ex.question for r in d._RECENT), seed


def test_which_part_question_is_answered_first() -> None:
    """ "Is it the policy, the attestations or the command?" gets a direct answer before anything else."""
    assert set(d._PART) == set(d.CAUSES)
    seen = 0
    for seed in range(400):
        ex = d.make(random.Random(seed))
        if d._WHICH_PART in ex.question:
            seen += 1
            assert ex.answer.startswith(d._PART[ex.check["cause"]]), seed
    assert seen > 5


@pytest.mark.parametrize("seed", range(30))
def test_not_functionary_claims_only_what_the_prompt_shows(seed: int) -> None:
    """The prompt shows one step's functionaries and the key ids of the key files; the answer must not claim
    what the rest of the policy holds, and the key it tells the user to use has its id in the prompt."""
    f, _ = fault_check("not_functionary", seed)
    assert "is the functionary of" not in f.answer
    assert "`publickeys` at all" not in f.answer
    own = re.search(r"re-record `[^`]+` with `([^`]+)`|run with `([^`]+)`", f.answer)
    assert own
    kid = re.search(r"key id `([0-9a-f]{64})`", f.answer[own.start() :])
    assert kid and kid.group(1) in f.context
    assert f"`{own.group(1) or own.group(2)}` / " in f.context


# ----------------------------------------------------------------------------- stated deadlines, new causes


def _deadline_fault(seed_from: int = 0) -> tuple[d.Fault, dict[str, Any]]:
    for seed in range(seed_from, seed_from + 40):
        f, check = fault_check("policy_expired", seed)
        if f.variant.endswith("+deadline"):
            return f, check
    raise AssertionError("no policy_expired task with a stated deadline")


def test_expired_fix_uses_the_stated_deadline(ctx: ScoreContext) -> None:
    """The user says until when the renewed policy must be valid: the fix sets exactly that (converted to
    RFC 3339), and another future date fails. Before, the fix picked a random date the user never asked for."""
    f, check = _deadline_fault()
    window = next(c["window"] for c in check["checks"] if c["type"] == "json_expires")
    assert re.search(r"until|through|expire", f.context)
    assert window[0][:10] in f.answer or window[1][:10] in f.answer
    assert d.score(f.answer, check, ctx).ok
    other = 'The policy expired. Set\n```json\n{"expires": "2039-01-01T00:00:00Z"}\n```\nand re-sign it.'
    assert "not the deadline the user gave" in d.score(other, check, ctx).reason
    lo = f'The policy expired. Set\n```json\n{{"expires": "{window[0]}"}}\n```\nand re-sign it.'
    assert d.score(lo, check, ctx).ok
    share = sum(fault_check("policy_expired", s)[0].variant.endswith("+deadline") for s in range(30))
    assert 10 <= share <= 26, share


def test_artifacts_from_skip_needs_the_intermediate_step(ctx: ScoreContext) -> None:
    for seed in range(4):
        f, check = fault_check("artifacts_from_skip", seed)
        c = next(c for c in check["checks"] if c["type"] == "json_artifacts_from")
        mid, step = c["want"][0], c["step"]
        assert "mismatched digests for" in f.output and f"Step: {mid}" in f.output
        assert "Passed with evidence" in f.output  # the inserted step itself passes
        # the answer's policy, with the consumer still naming the first step too, fails
        doc = json.loads(next(b for lang, b in code_blocks(f.answer) if lang == "json"))
        assert doc["steps"][step]["artifactsFrom"] == [mid]
        src = doc["steps"][mid]["artifactsFrom"][0]
        doc["steps"][step]["artifactsFrom"] = [src, mid]
        bad = f.answer.replace(
            next(b for lang, b in code_blocks(f.answer) if lang == "json"), json.dumps(doc, indent=2)
        )
        assert "still takes its artifacts" in d.score(bad, check, ctx).reason


def test_cert_root_mismatch_fix_must_name_a_roots_key(ctx: ScoreContext) -> None:
    seen = set()
    for seed in range(6):
        f, check = fault_check("cert_root_mismatch", seed)
        seen.add(f.variant)
        assert "no verifiers matched with allowed functionaries" in f.output
        body = next(b for lang, b in code_blocks(f.answer) if lang == "json")
        doc = json.loads(body)
        (root_id,) = doc["roots"]
        for st in doc["steps"].values():
            for fn in st["functionaries"]:
                assert fn["certConstraint"]["roots"] == [root_id]
                fn["certConstraint"]["roots"] = [root_id + "-x"]
        bad = f.answer.replace(body, json.dumps(doc, indent=2))
        assert "names no key of `roots`" in d.score(bad, check, ctx).reason
    assert seen == {"renamed_root", "ca_name"}


def test_cert_san_omitted_fix_lists_the_san(ctx: ScoreContext) -> None:
    """go-witness: an omitted SAN field is an empty constraint, i.e. the certificate must have none."""
    seen = set()
    for seed in range(6):
        f, check = fault_check("cert_san_omitted", seed)
        field = f.variant
        seen.add(field)
        prompt_doc = json.loads(next(b for lang, b in code_blocks(f.context) if lang == "json"))
        for st in prompt_doc["steps"].values():
            assert all(field not in fn["certConstraint"] for fn in st["functionaries"])
        body = next(b for lang, b in code_blocks(f.answer) if lang == "json")
        assert d.score(f.answer, check, ctx).ok
        bad = f.answer.replace(body, json.dumps(prompt_doc, indent=2))
        assert "does not allow the certificate's" in d.score(bad, check, ctx).reason
    assert seen == {"emails", "uris"}


def test_an_omitted_san_answer_pins_only_a_san_the_question_gave() -> None:
    """The fix lists the certificate's SAN: the question must say it (one context said only "Signing uses
    certificates from our CA:", and the answer pinned an address the user never gave; found by an audit)."""
    for seed in range(60):
        fault = d.FAULTS["cert_san_omitted"](random.Random(f"cert_san_omitted:{seed}"))
        assert fault.checks[0]["value"] in fault.context, seed


def test_fixes_follow_what_the_question_says() -> None:
    """An omitted SAN field the user left out "since any is fine" is fixed with `["*"]` (pinning the CI
    certificate's SAN would refuse other signers the user accepts), otherwise the SAN is listed; a key that
    already verified (another step's) is not re-added to `publickeys`, only made a functionary."""
    wildcard = listed = 0
    for seed in range(40):
        f, _ = fault_check("cert_san_omitted", seed)
        field = f.variant
        constraints = [
            fn["certConstraint"][field]
            for block in re.findall(r"```json\n(.*?)\n```", f.answer, re.S)
            for st in json.loads(block)["steps"].values()
            for fn in st["functionaries"]
        ]
        if "since any is fine" in f.context:
            assert constraints and all(c == ["*"] for c in constraints), seed
            wildcard += 1
        else:
            assert constraints and all(c != ["*"] for c in constraints), seed
            listed += 1
    assert wildcard and listed, (wildcard, listed)
    other_step = 0
    for seed in range(40):
        f, _ = fault_check("not_functionary", seed)
        if "already in `publickeys`" in f.answer:
            assert "add its public key to `publickeys`" not in f.answer
            other_step += 1
    assert other_step, other_step
