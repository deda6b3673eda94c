"""Audit 7: hidden checks of `policies` and `diagnose` that accepted wrong answers or rejected right ones.

policies: the `witness verify` commands of an answer are checked (known flags, `-p` the signed policy the
answer's `witness sign` writes, `-k` the policy key's public half); every x509 request says that only the
named identity may sign (the check refuses another certificate of the same CA).
diagnose: `json_keyid` requires the corrected id, `json_steps_consistent` the step name the runs use,
`run_step_not` refuses any run of the faulted step under the wrong name, `verify_pub` normalises paths.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
from collections.abc import Callable
from typing import Any

import pytest

from witness_evals.bench.answers import code_blocks, commands
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.build import derived_rng
from witness_evals.generate.example import Example
from witness_evals.generate.families import diagnose as d
from witness_evals.generate.families import policies as P
from witness_evals.witness.cli import parse_command

# ----------------------------------------------------------------------------- policies


@functools.cache
def pexample(seed: int) -> Example:
    return P.make(derived_rng(0, "test-audit7-checks", seed))


def _pub(ex: Example) -> str:
    """The public half the prompt names for the policy key."""
    return str(ex.check["policy_pub_file"])


def _verify_line(ex: Example) -> str:
    return next(c for c in commands(ex.answer) if c.startswith("witness verify"))


def _sign(ex: Example) -> Any:
    return parse_command(next(c for c in commands(ex.answer) if c.startswith("witness sign")))


def _with_verify(ex: Example, edit: Callable[[str, Any, Any, str], str]) -> str:
    """The answer with its verify command rewritten by `edit(line, verify, sign, public key file)`."""
    line = _verify_line(ex)
    pub = _pub(ex)
    new = edit(line, parse_command(line), _sign(ex), pub)
    assert new != line
    return ex.answer.replace(line, new)


def test_policy_pub_is_the_prompts_public_key() -> None:
    for seed in range(40):
        ex = pexample(seed)
        pub = _pub(ex)
        assert f"`{ex.check['policy_key_file']}`" in "\n".join(
            [*(m["content"] for m in ex.history), ex.question]
        )
        assert f"`{pub}`" in "\n".join([*(m["content"] for m in ex.history), ex.question])
        assert f"-k {pub} " in _verify_line(ex)


def test_policies_references_pass_with_verify_checked(ctx: ScoreContext) -> None:
    for seed in range(300):
        ex = pexample(seed)
        res = P.score(ex.answer, ex.check, ctx)
        assert res.ok, (seed, ex.template, res.reason)


@pytest.mark.parametrize("seed", range(8))
def test_policies_verify_with_unsigned_policy_fails(seed: int, ctx: ScoreContext) -> None:
    """`-p` the policy before signing: the bare policy has no signature, witness refuses it."""
    ex = pexample(seed)
    answer = _with_verify(ex, lambda line, v, s, pub: line.replace(f"-p {v.policy} ", f"-p {s.infile} "))
    res = P.score(answer, ex.check, ctx)
    assert not res.ok and "signed policy" in res.reason, res.reason


@pytest.mark.parametrize("seed", range(8))
def test_policies_verify_with_private_key_fails(seed: int, ctx: ScoreContext) -> None:
    """`-k` is the policy signer's PUBLIC key (options/verify.go `publickey`)."""
    ex = pexample(seed)
    key = ex.check["policy_key_file"]
    answer = _with_verify(ex, lambda line, v, s, pub: line.replace(f"-k {pub} ", f"-k {key} "))
    res = P.score(answer, ex.check, ctx)
    assert not res.ok and "public key" in res.reason, res.reason


def test_policies_verify_with_the_brief_examples_fails(ctx: ScoreContext) -> None:
    """The audit's two wrong commands: the unsigned policy with the private key, and invented flags."""
    ex = pexample(0)
    policy, key = _sign(ex).infile, ex.check["policy_key_file"]
    for wrong in (
        f"witness verify -p {policy} -k {key}",
        f"witness verify --policy-file {policy} --key {_pub(ex)} --artifact x -a a.json",
    ):
        answer = ex.answer.replace(_verify_line(ex), wrong)
        assert not P.score(answer, ex.check, ctx).ok, wrong


def test_checks_of_older_datasets_still_find_the_public_key() -> None:
    """A check written before round 14 names only the private key: its public half comes from the old table."""
    assert P._policy_pub("secrets/policy-signing.pem") == "policy-signing.pub"
    assert P._policy_pub("keys/policy.pem") == "keys/policy.pub"
    assert P._policy_pub("not/a/legacy.pem") is None


@pytest.mark.parametrize("seed", range(8))
def test_policies_verify_with_nonexistent_flags_fails(seed: int, ctx: ScoreContext) -> None:
    ex = pexample(seed)

    def edit(line: str, v: Any, s: Any, pub: str) -> str:
        line = line.replace(f"-p {v.policy} ", f"--policy-file {v.policy} ").replace(
            f"-k {pub} ", f"--key {pub} "
        )
        return re.sub(r" -f (\S+)", r" --artifact \1", line)

    res = P.score(_with_verify(ex, edit), ex.check, ctx)
    assert not res.ok and "invalid verify command" in res.reason, res.reason


@pytest.mark.parametrize("seed", range(8))
def test_policies_verify_equivalent_forms_pass(seed: int, ctx: ScoreContext) -> None:
    """Long flags, `--flag=value` and `./` paths name the same files."""
    ex = pexample(seed)

    def edit(line: str, v: Any, s: Any, pub: str) -> str:
        return line.replace(f"-p {v.policy} ", f"--policy=./{v.policy} ").replace(
            f"-k {pub} ", f"--publickey ./{pub} "
        )

    res = P.score(_with_verify(ex, edit), ex.check, ctx)
    assert res.ok, res.reason
    no_verify = ex.answer.replace(_verify_line(ex), "")  # verify is not required, only checked when given
    assert P.score(no_verify, ex.check, ctx).ok


_RESTRICTED = ("no other certificate", "must be refused", "Only the certificate with")


def test_x509_requests_say_only_the_named_identity_may_sign(ctx: ScoreContext) -> None:
    """The x509 check refuses a certificate with another identity from the same CA (the rogue world), so
    every request says so; a policy trusting any certificate of the CA fails."""
    seen = 0
    for seed in range(400):
        ex = pexample(seed)
        if ex.check["sub"] != "x509":
            continue
        seen += 1
        assert any(r in ex.question for r in _RESTRICTED), (seed, ex.question)
        doc = next(json.loads(b) for lang, b in code_blocks(ex.answer) if lang == "json" and '"steps"' in b)
        loose = json.loads(json.dumps(doc))
        for st in loose["steps"].values():
            for f in st["functionaries"]:
                cc = f.get("certConstraint")
                if cc:
                    for k in ("commonname", "emails", "uris", "dnsnames", "organizations"):
                        if k in cc:
                            cc[k] = "*" if k == "commonname" else ["*"]
        if loose != doc:
            text = ex.answer.replace(
                next(b for lang, b in code_blocks(ex.answer) if lang == "json" and '"steps"' in b),
                json.dumps(loose, indent=2),
            )
            assert not P.score(text, ex.check, ctx).ok, seed
    assert seen >= 20


def test_x509_phrasings_all_state_the_restriction() -> None:
    """Every single-identity sentence of `_cert_lines` (all draws) restricts signing to that identity."""
    ex = next(pexample(s) for s in range(400) if pexample(s).check["sub"] == "x509")
    funcs = P._funcs(ex.check)
    names = P._names(random.Random(1), ex.check)
    ident = next(iter(funcs.values()))[0]
    texts = set()
    for seed in range(200):
        text = P._cert_lines(random.Random(seed), ident.pki, names, {n: ident for n in funcs})
        texts.add(text.rsplit("\n", 1)[1])
    assert len(texts) >= 3
    assert all(any(r in t for r in _RESTRICTED) for t in texts), texts


# ----------------------------------------------------------------------------- diagnose


def fault(cause: str, seed: int) -> tuple[d.Fault, dict[str, Any]]:
    f = d.FAULTS[cause](random.Random(f"{cause}:{seed}"))
    return f, {
        "kind": "diagnosis",
        "cause": cause,
        "require": f.require,
        "forbid": f.forbid,
        "checks": f.checks,
    }


def _edit_policy(answer: str, edit: Callable[[dict[str, Any]], None]) -> str:
    """The answer with its corrected policy (the JSON block with `steps`) changed by `edit`."""
    body = next(b for lang, b in code_blocks(answer) if lang == "json" and '"steps"' in b)
    doc = json.loads(body)
    edit(doc)
    return answer.replace(body, json.dumps(doc, indent=2))


def _good_id(f: d.Fault) -> str:
    """The corrected key id of a `keyid_mismatch` answer (its required prefix, in the corrected policy)."""
    body = next(b for lang, b in code_blocks(f.answer) if lang == "json" and '"steps"' in b)
    return next(
        k["keyid"] for k in json.loads(body)["publickeys"].values() if k["keyid"].startswith(f.require[0][0])
    )


def _run_step(f: d.Fault) -> str:
    """The `-s` the user's CI runs (`step_key_mismatch` context)."""
    m = re.search(r"witness run -s (\S+?)[` ]", f.context)
    assert m is not None
    return m.group(1)


def _other_id(seed: int) -> str:
    return hashlib.sha256(f"not-the-key-{seed}".encode()).hexdigest()


def test_diagnose_references_pass(ctx: ScoreContext) -> None:
    for seed in range(400):
        ex = d.make(random.Random(seed))
        res = d.score(ex.answer, ex.check, ctx)
        assert res.ok, (seed, ex.check["cause"], res.reason)
    for cause in ("keyid_mismatch", "step_key_mismatch", "collection_step_name", "wrong_policy_key"):
        for seed in range(60):
            f, check = fault(cause, seed)
            assert d.score(f.answer, check, ctx).ok, (cause, seed)


@pytest.mark.parametrize("seed", range(10))
def test_keyid_replaced_by_another_wrong_id_fails(seed: int, ctx: ScoreContext) -> None:
    f, check = fault("keyid_mismatch", seed)
    good, other = _good_id(f), _other_id(seed)

    def everywhere(doc: dict[str, Any]) -> None:
        doc["publickeys"] = {(other if k == good else k): v for k, v in doc["publickeys"].items()}
        for v in doc["publickeys"].values():
            if v["keyid"] == good:
                v["keyid"] = other
        for st in doc["steps"].values():
            for fn in st["functionaries"]:
                if fn.get("publickeyid") == good:
                    fn["publickeyid"] = other

    def functionary_only(doc: dict[str, Any]) -> None:
        for st in doc["steps"].values():
            for fn in st["functionaries"]:
                if fn.get("publickeyid") == good:
                    fn["publickeyid"] = other

    for edit in (everywhere, functionary_only):
        res = d.score(_edit_policy(f.answer, edit), check, ctx)
        assert not res.ok, (seed, edit.__name__)


@pytest.mark.parametrize("seed", range(6))
def test_keyid_map_key_is_not_read(seed: int, ctx: ScoreContext) -> None:
    """go-witness iterates `publickeys` values (policy.go PublicKeyVerifiers): a right keyid under another
    map key verifies, so the check accepts it."""
    f, check = fault("keyid_mismatch", seed)
    good = _good_id(f)

    def rekey(doc: dict[str, Any]) -> None:
        doc["publickeys"] = {
            (f"key-{i}" if k == good else k): v for i, (k, v) in enumerate(doc["publickeys"].items())
        }

    assert d.score(_edit_policy(f.answer, rekey), check, ctx).ok


def _renamer(step: str, other: str) -> Callable[[dict[str, Any]], None]:
    """A policy edit renaming `step` to `other` in its key, its `name` and every `artifactsFrom`."""

    def rename(doc: dict[str, Any]) -> None:
        doc["steps"] = {
            (other if k == step else k): ({**v, "name": other} if k == step else v)
            for k, v in doc["steps"].items()
        }
        for st in doc["steps"].values():
            if "artifactsFrom" in st:
                st["artifactsFrom"] = [other if a == step else a for a in st["artifactsFrom"]]

    return rename


@pytest.mark.parametrize("seed", range(10))
def test_step_renamed_away_from_the_run_name_fails(seed: int, ctx: ScoreContext) -> None:
    """Key and name both `<step>-step` agree with each other but not with `witness run -s <step>`."""
    f, check = fault("step_key_mismatch", seed)
    step = _run_step(f)
    other = f"{step}-step"

    rename = _renamer(step, other)

    res = d.score(_edit_policy(f.answer, rename), check, ctx)
    assert not res.ok, seed

    def no_name(doc: dict[str, Any]) -> None:  # a missing name is "": no collection name equals it
        del doc["steps"][step]["name"]

    assert not d.score(_edit_policy(f.answer, no_name), check, ctx).ok


def test_step_renamed_with_a_rerecorded_run_passes(ctx: ScoreContext) -> None:
    """Renaming the step everywhere is right when the answer re-records the run under that name."""
    f, check = fault("step_key_mismatch", 0)
    step = _run_step(f)
    other = f"{step}-step"

    rename = _renamer(step, other)

    answer = (
        _edit_policy(f.answer, rename)
        + f"\n\n```bash\nwitness run -s {other} -k ci.pem -o out.json -- make\n```\n"
    )
    assert d.score(answer, check, ctx).ok


@pytest.mark.parametrize("seed", range(10))
def test_wrong_step_name_repeated_fails(seed: int, ctx: ScoreContext) -> None:
    """The fix re-records the step under the policy's name; an answer that also keeps (or re-proposes) the
    run with the wrong `-s` still produces the unfindable collection."""
    f, check = fault("collection_step_name", seed)
    c = {"step": f.require[0][0], "bad": f.require[1][0]}  # the policy's step, the name it was recorded as
    fixed = next(x for x in commands(f.answer) if x.startswith("witness run"))
    unchanged = fixed.replace(f"-s {c['step']} ", f"-s {c['bad']} ")
    assert unchanged != fixed
    res = d.score(f.answer + f"\n\n```bash\n{unchanged}\n```\n", check, ctx)
    assert not res.ok, seed
    # the same run (same `-o`) under yet another wrong name
    renamed = fixed.replace(f"-s {c['step']} ", f"-s {c['step']}-ci ")
    assert not d.score(f.answer.replace(fixed, renamed), check, ctx).ok, seed


@pytest.mark.parametrize("seed", range(6))
def test_verify_pub_dot_slash_passes(seed: int, ctx: ScoreContext) -> None:
    f, check = fault("wrong_policy_key", seed)
    pub = check["checks"][0]["pub"]
    line = next(x for x in commands(f.answer) if x.startswith("witness verify"))
    answer = f.answer.replace(line, line.replace(f"-k {pub} ", f"-k ./{pub} "))
    assert answer != f.answer
    assert d.score(answer, check, ctx).ok
    wrong = f.answer.replace(line, line.replace(f"-k {pub} ", "-k ./other.pub "))
    assert not d.score(wrong, check, ctx).ok


def test_wrong_policy_key_keyid_wording() -> None:
    """A witness key id is the SHA-256 of the key re-encoded as PKIX PEM (cryptoutil GeneratePublicKeyID),
    not of whatever the file holds."""
    resigned = 0
    for seed in range(80):
        f, _ = fault("wrong_policy_key", seed)
        assert "sha256 of the public key's PEM file" not in f.answer
        if "re-encodes it (PKIX PEM" in f.answer:
            resigned += 1
    assert resigned > 5
