"""Family `traps`: determinism, reference answers pass, the core backs every claim, wrong answers fail."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import hashlib
import json
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from witness_evals.bench import answers
from witness_evals.bench.scorers.context import NOW, ScoreContext
from witness_evals.generate import traps_cases as C
from witness_evals.generate import traps_requests as R
from witness_evals.generate import worlds
from witness_evals.generate.example import Example
from witness_evals.generate.families import get
from witness_evals.generate.families import traps as T
from witness_evals.generate.validate import placeholder_problems
from witness_evals.generate.worlds import policy as W
from witness_evals.witness import versions
from witness_evals.witness.cli import parse_command
from witness_evals.witness.verify_output import witness_output

JSON_BLOCK = re.compile(r"```json\n(.*?)\n```", re.S)
SEEDS = range(240)


@functools.cache
def example(seed: int, version: str = versions.DEFAULT) -> Example:
    return T.make(random.Random(seed), versions.get(version))


def find(pred: Callable[[Example], bool], limit: int = 1500) -> Example:
    for seed in range(limit):
        ex = example(seed)
        if pred(ex):
            return ex
    raise AssertionError("no seed with that property")


def trap(prefix: str) -> Example:
    return find(lambda ex: ex.check["trap"].startswith(prefix))


def policy_of(ex: Example) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(JSON_BLOCK.findall(ex.answer)[-1])
    return doc


def shown_of(ex: Example) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(JSON_BLOCK.findall(ex.question)[0])
    return doc


def with_policy(ex: Example, edit: Callable[[dict[str, Any]], None]) -> str:
    """The reference answer with its corrected policy changed by `edit`."""
    blocks = JSON_BLOCK.findall(ex.answer)
    doc = json.loads(blocks[-1])
    edit(doc)
    return ex.answer.replace(blocks[-1], json.dumps(doc, indent=2))


def run_commands(question: str) -> list[str]:
    """`witness run` lines of a question: in its CI snippet, else in inline code."""
    found = [c for c in answers.commands(question) if c.startswith("witness run ")]
    if found:
        return found
    return [span for span in re.findall(r"`([^`\n]+)`", question) if span.startswith("witness run ")]


def world_of(ex: Example) -> W.PolicyWorld:
    return W.policy_world(W.PolicySpec.from_json(ex.check["world"]))


def assert_fails(ex: Example, answer: str, ctx: ScoreContext, reason: str = "") -> None:
    res = T.score(answer, ex.check, ctx)
    assert not res.ok, f"{ex.check['trap']}: wrong answer accepted"
    assert reason in res.reason, res.reason


# ----------------------------------------------------------------------------- contract


def test_registry_and_determinism() -> None:
    assert get("traps") is T.FAMILY
    for seed in (0, 1, 7, 42, 1234):
        a, b = T.make(random.Random(seed)), T.make(random.Random(seed))
        assert dataclasses.asdict(a) == dataclasses.asdict(b)


def test_determinism_across_processes() -> None:
    code = (
        "import random, json, dataclasses, hashlib;"
        "from witness_evals.generate.families import traps as T;"
        "print(hashlib.sha256(json.dumps([dataclasses.asdict(T.make(random.Random(s))) for s in range(8)],"
        " sort_keys=True).encode()).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123"},
    )
    local = hashlib.sha256(
        json.dumps([dataclasses.asdict(T.make(random.Random(s))) for s in range(8)], sort_keys=True).encode()
    ).hexdigest()
    assert out.stdout.strip() == local


def test_reference_answers_pass_and_cover_every_kind(ctx: ScoreContext) -> None:
    seen: set[str] = set()
    verdicts: dict[str, int] = {"ok": 0, "broken": 0, "weak": 0}
    for seed in SEEDS:
        ex = example(seed)
        res = T.score(ex.answer, ex.check, ctx)
        assert res.ok, (seed, ex.check["trap"], res.reason)
        assert json.loads(json.dumps(ex.check)) == ex.check
        assert len(json.dumps(ex.check)) < 3000
        assert ex.family == "traps" and ex.group.startswith(f"traps/{ex.check['trap']}/")
        verdicts[ex.check["verdict"]] += 1
        seen.add(ex.check["trap"])
    n = len(SEEDS)
    assert 0.35 < verdicts["broken"] / n < 0.55 and 0.27 < verdicts["weak"] / n < 0.47, verdicts
    assert 0.1 < verdicts["ok"] / n < 0.3, verdicts
    names = {k.name for k in C.KINDS if k.applies(versions.LATEST)}
    covered = {k for k in names if any(t == k or t.startswith(k + "/") for t in seen)}
    assert len(covered) >= len(names) - 4, names - covered


@pytest.mark.parametrize("version", ["0.11", "0.10"])
def test_reference_answers_pass_for_older_releases(version: str, ctx: ScoreContext) -> None:
    for seed in range(60):
        ex = example(seed, version)
        assert ex.check["trap"] != "empty-attestations"  # a v0.12-only failure
        res = T.score(ex.answer, {**ex.check, "witness_version": version}, ctx)
        assert res.ok, (seed, ex.check["trap"], res.reason)
        checks = [c for c in answers.commands(ex.answer, "witness-evals")]
        assert all(f"--witness-version {version}" in c for c in checks)


def test_answers_teach_with_a_complete_policy_and_no_placeholders() -> None:
    for seed in range(120):
        ex = example(seed)
        assert not placeholder_problems(ex.answer), (seed, placeholder_problems(ex.answer))
        assert "…" not in ex.answer and "..." not in ex.answer
        assert T.verdict_of(ex.answer) == ex.check["verdict"], (seed, ex.answer[:200])
        blocks = JSON_BLOCK.findall(ex.answer)
        for body in blocks:  # every JSON block is a whole policy, never a fragment
            doc = json.loads(body)
            assert isinstance(doc, dict) and "steps" in doc and "expires" in doc
        if ex.check["verdict"] != "ok":
            assert blocks, ex.check["trap"]
            assert sorted(policy_of(ex)["steps"]) == sorted(ex.check["steps"])
        assert "```bash\nwitness-evals check policy " in ex.answer
        assert 150 < len(ex.answer) < 12000


def test_answers_do_not_share_a_frame() -> None:
    exs = [example(s) for s in range(200)]
    firsts = {ex.answer[:40] for ex in exs}
    assert len(firsts) > 120
    assert sum(ex.answer.startswith("This will fail") for ex in exs) < 25
    for verdict in ("broken", "weak", "ok"):
        heads = {ex.answer.split(":")[0].split(".")[0] for ex in exs if ex.check["verdict"] == verdict}
        assert len(heads) >= 5, (verdict, heads)


def test_answer_files_come_from_the_question() -> None:
    for seed in range(120):
        ex = example(seed)
        for cmd in answers.commands(ex.answer) + answers.commands(ex.answer, "witness-evals"):
            for token in cmd.split():
                if re.search(r"\.(json|pem|pub|key|whl|jar|tar\.gz|js)$", token) or "/" in token:
                    assert token in ex.question, (seed, token, cmd)
        for cmd in re.findall(r"`(openssl pkey -in \S+)", ex.answer):
            assert cmd.split()[-1] in ex.question


def test_questions_are_well_formed_and_varied() -> None:
    intents: set[str] = set()
    firsts: set[str] = set()
    styles: set[str] = set()
    for seed in range(200):
        ex = example(seed)
        intents.add(ex.template.split("/")[1])
        q = ex.question
        for m in re.finditer("```", q):  # fences always start a line
            assert m.start() == 0 or q[m.start() - 1] == "\n", q[max(0, m.start() - 40) : m.start() + 10]
        blocks = JSON_BLOCK.findall(q)
        assert blocks and json.loads(blocks[0])
        cmds = run_commands(q)
        assert len(cmds) == ex.meta["steps"], q
        for cmd in cmds:
            analysis = parse_command(cmd)
            assert analysis.valid, (cmd, analysis.errors)
        firsts.add(re.split(r"(?<=[.!?:])\s|\n", q.strip(), maxsplit=1)[0])
        styles.update(lang for lang, _ in answers.code_blocks(q))
    assert intents == set(R.ASKS)
    assert all(len(v) >= 6 for v in R.ASKS.values())
    assert len(firsts) > 80
    assert {"json", "yaml", "text"} <= styles


def test_quoted_witness_output_is_the_cores() -> None:
    found = 0
    for seed in range(400):
        ex = example(seed)
        if not ex.meta["output"]:
            continue
        found += 1
        text = re.search(r"```text\n\$ (witness verify [^\n]+)\n(.*?)\n```", ex.question, re.S)
        assert text, ex.question[-400:]
        assert parse_command(text.group(1)).valid
        w = world_of(ex)
        res = W.verify_policy(shown_of(ex), W.genuine(w), versions.LATEST, refs=w.att_files)
        assert text.group(2) in (witness_output(res, tty=True), witness_output(res, tty=False))
        assert res.passed == ("Verification succeeded" in text.group(2))
    assert found >= 15


def test_speed(ctx: ScoreContext) -> None:
    seeds = range(5000, 5060)
    t0 = time.perf_counter()
    for s in seeds:
        ex = T.make(random.Random(s))
        T.score(ex.answer, ex.check, ctx)
    per = (time.perf_counter() - t0) / len(seeds) * 1000
    assert per < 150, f"{per:.1f} ms per example"


# ----------------------------------------------------------------------------- ground truth


@pytest.mark.parametrize("version", versions.NAMES)
def test_valid_world_policies_verify_their_pipelines(version: str) -> None:
    rng = random.Random(version)
    for _ in range(12):
        w = W.policy_world(W.draw_policy_spec(rng))
        res = W.verify_policy(w.policy, W.genuine(w), version)
        assert res.passed, (w.spec, res.reasons[:2])


def test_worlds_are_wide() -> None:
    specs = [W.draw_policy_spec(random.Random(s)) for s in range(300)]
    assert {s.key for s in specs} >= {"ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-2048"}
    assert {s.signing for s in specs} == {"keys", "x509"}
    assert {len(s.kinds) for s in specs} == {1, 2}
    assert {k for s in specs for k in s.kinds} >= {"build", "package", "test", "scan"}
    assert {s.extra for s in specs} >= {"", "sbom", "vex", "k8smanifest", "lockfiles", "github"}


@pytest.mark.parametrize("version", versions.NAMES)
def test_every_case_kind_is_true_for_the_core(version: str) -> None:
    """Broken policies fail `witness verify` (silent ones pass but enforce less), weak ones accept the
    attack that the tightened policy rejects, ok ones verify."""
    release = versions.get(version)
    for kind in C.KINDS:
        if not kind.applies(release):
            continue
        for i in range(2):
            rng = random.Random(f"{kind.name}:{i}")
            w = W.policy_world(kind.spec(i))
            case = kind.make(rng, w, release)
            shown = W.verify_policy(case.shown, W.genuine(w), release)
            if case.verdict == "broken" and not case.silent:
                assert not shown.passed, (kind.name, version)
            else:
                assert shown.passed, (kind.name, version, shown.reasons[:2])
            if case.fixed is not None:
                assert W.verify_policy(case.fixed, W.genuine(w), release).passed, kind.name
            if case.attack is not None:
                assert case.fixed is not None
                assert W.verify_policy(case.shown, W.attacked(w, case.attack), release).passed, kind.name
                assert not W.verify_policy(case.fixed, W.attacked(w, case.attack), release).passed, kind.name


def test_valid_policies_have_none_of_the_weaknesses() -> None:
    """A reviewer is consistent: what `ok` answers and every fix accept is never what a `weak` case flags."""
    github = W.TYPE_OF["github"]
    for seed in range(80):
        w = W.policy_world(W.draw_policy_spec(random.Random(seed)))
        steps = w.policy["steps"]
        assert w.policy["expires"] < "2030"
        for i, name in enumerate(w.steps):
            st = steps[name]
            assert len(st["functionaries"]) == 1
            cc = st["functionaries"][0].get("certConstraint")
            if cc is not None:
                assert cc["emails"] == [w.emails[name]] and cc["roots"] == [w.root_id]
            if i > 0:
                assert st["artifactsFrom"] == [w.steps[i - 1]]
            for att in st["attestations"]:
                if att["type"] == github:
                    assert att["regopolicies"], w.spec
        assert len({w.signers[s].keyid for s in w.steps}) == len(w.steps)


def test_x509_certificates_stop_verifying_after_expiry_without_a_tsa() -> None:
    """The TSA note of x509 answers: without timestampauthorities the chain is checked at verify time."""
    w = W.policy_world(W.draw_policy_spec(random.Random(3), signing="x509"))
    leaf = w.signers[w.steps[0]].certificate
    assert leaf is not None
    ev = W.genuine(w)
    assert W.verify_policy(w.policy, ev).passed
    late = W.Evidence(ev.runs, leaf.not_valid_after_utc + timedelta(days=1))
    assert not W.verify_policy(w.policy, late).passed


# ----------------------------------------------------------------------------- wrong answers


def test_wrong_verdicts_fail(ctx: ScoreContext) -> None:
    ok = find(lambda ex: ex.check["verdict"] == "ok")
    assert_fails(ok, "This will fail: the keyid is wrong, recompute it.", ctx, "wrong verdict")
    assert_fails(
        ok, "Looks good, but the `expires` field is invalid and must be fixed.", ctx, "wrong verdict"
    )
    assert_fails(ok, "It verifies, but it is too permissive.", ctx, "wrong verdict")
    broken = trap("keyid-wrong")
    assert_fails(broken, "This looks correct: nothing to change.", ctx, "wrong verdict")
    assert_fails(broken, "```json\n{}\n```", ctx, "no clear verdict")
    assert_fails(broken, "This will fail: you forgot to sign it with witness sign.", ctx, "missing key term")
    weak = find(lambda ex: ex.check["verdict"] == "weak")
    assert_fails(weak, "This looks correct: it verifies the pipeline.", ctx, "wrong verdict")
    assert_fails(weak, "This will fail: witness rejects it.", ctx, "wrong verdict")


def test_ok_answer_with_a_broken_policy_fails(ctx: ScoreContext) -> None:
    ex = find(lambda ex: ex.check["trap"] == "ok/plain")
    bad = shown_of(ex)
    bad["expires"] = "2030-01-01"
    answer = ex.answer + "\n\nCleaned up:\n\n```json\n" + json.dumps(bad) + "\n```\n"
    assert_fails(ex, answer, ctx, "still invalid")
    renamed = shown_of(ex)
    renamed["steps"] = {f"x-{k}": {**v, "name": f"x-{k}"} for k, v in renamed["steps"].items()}
    assert_fails(ex, ex.answer + "\n```json\n" + json.dumps(renamed) + "\n```\n", ctx)


def test_a_fix_must_still_verify_the_pipeline(ctx: ScoreContext) -> None:
    ex = find(lambda ex: ex.check["trap"].startswith("collection-type") and len(ex.check["steps"]) > 1)

    def drop_material(doc: dict[str, Any]) -> None:  # valid, but the step no longer finds its input
        last = doc["steps"][ex.check["steps"][-1]]
        last["functionaries"] = doc["steps"][ex.check["steps"][0]]["functionaries"]

    assert_fails(ex, with_policy(ex, drop_material), ctx, "does not verify the pipeline")


def test_weak_answers_must_tighten(ctx: ScoreContext) -> None:
    for prefix in (
        "weak/x509-any-identity",
        "weak/no-artifacts-from",
        "weak/every-key-every-step",
        "weak/far-expiry",
        "weak/command-unpinned",
        "weak/stale-root-wildcard",
    ):
        ex = trap(prefix)
        assert T.score(ex.answer, ex.check, ctx).ok
        shown = shown_of(ex)
        repeat = ex.answer.replace(JSON_BLOCK.findall(ex.answer)[-1], json.dumps(shown, indent=2))
        res = T.score(repeat, ex.check, ctx)
        assert not res.ok, prefix
        assert "attack" in res.reason or "expires after" in res.reason, res.reason
        no_policy = re.sub(r"```json\n.*?\n```", "", ex.answer, flags=re.S)
        assert_fails(ex, no_policy, ctx, "no complete tightened policy")


def test_naming_both_roots_keeps_the_retired_ca_trusted(ctx: ScoreContext) -> None:
    """The stale-CA review: the fix is to drop the retired root (or not name it); listing it explicitly
    instead of `*` changes nothing, and the core verifier still accepts its certificate."""
    ex = trap("weak/stale-root-wildcard")
    stale = [r for r in shown_of(ex)["roots"] if r not in policy_of(ex)["roots"]]
    assert len(stale) == 1

    def name_both(doc: dict[str, Any]) -> None:
        doc["roots"] = shown_of(ex)["roots"]
        for st in doc["steps"].values():
            for f in st["functionaries"]:
                f["certConstraint"]["roots"] = sorted(doc["roots"])

    assert_fails(ex, with_policy(ex, name_both), ctx, "attack")

    def keep_unnamed(doc: dict[str, Any]) -> None:  # still in `roots`, but no constraint names it
        doc["roots"] = shown_of(ex)["roots"]

    assert T.score(with_policy(ex, keep_unnamed), ex.check, ctx).ok


def test_type_traps(ctx: ScoreContext) -> None:
    for prefix in ("type-version", "sbom-type", "collection-type"):
        ex = trap(prefix)
        wrong = json.loads(ex.check["forbid"][0])

        def put_back(doc: dict[str, Any], wrong: str = wrong) -> None:
            step = next(iter(doc["steps"].values()))
            step["attestations"].append({"type": wrong, "regopolicies": []})

        assert_fails(ex, with_policy(ex, put_back), ctx)
    sbom = trap("sbom-type/cyclonedx")
    assert_fails(sbom, sbom.answer.replace("https://cyclonedx.org/bom", "https://spdx.dev/Document"), ctx)
    k8s = trap("type-version/k8smanifest")
    right = "https://witness.dev/attestations/k8smanifest/v0.2"
    assert_fails(k8s, k8s.answer.replace(right, "https://witness.dev/attestations/k8smanifest/v0.1"), ctx)


def test_rego_traps(ctx: ScoreContext) -> None:
    ex = trap("rego-v1-without-import")
    assert_fails(ex, ex.answer.replace("import rego.v1\n\n", ""), ctx)
    assert_fails(
        ex,
        "This will fail: add import rego.v1.\n\n```rego\npackage a\n\ndeny contains msg if {\n\tmsg := 1\n}\n```",
        ctx,
        "does not compile",
    )
    ex = trap("deny-not-a-set")
    string_deny = 'This will fail: deny must be a set.\n\n```rego\npackage a.b\n\nimport rego.v1\n\ndefault deny := ""\n```'
    assert_fails(ex, string_deny, ctx, "not a set of strings")
    ex = trap("no-deny-rule")
    no_deny = "This won't work as intended: rename to `deny`.\n\n```rego\npackage a\n\nimport rego.v1\n\nviolation contains 1 if { true }\n```"
    assert_fails(ex, no_deny, ctx, "defines no deny")
    ex = trap("module-not-base64")

    def raw(doc: dict[str, Any]) -> None:
        for st in doc["steps"].values():
            for a in st["attestations"]:
                for rp in a.get("regopolicies", []):
                    rp["module"] = base64.b64decode(rp["module"]).decode()

    assert_fails(ex, with_policy(ex, raw), ctx, "still invalid")


def test_key_traps(ctx: ScoreContext) -> None:
    ex = trap("keyid-wrong")
    wrong, right = ex.check["forbid"][0], ex.check["must"][0]
    assert_fails(ex, ex.answer.replace(right, wrong), ctx)
    assert "sha256sum" in ex.answer and "openssl pkey -in" in ex.answer
    ex = trap("key-base64-der")
    der = ex.check["forbid"][0]

    def to_der(doc: dict[str, Any]) -> None:
        for k in doc["publickeys"].values():
            if k["key"] != der and der:
                k["key"] = der
                break

    assert_fails(ex, with_policy(ex, to_der), ctx, "still invalid")
    ex = trap("functionary-key-missing/not-embedded")
    missing = ex.check["must"][0]
    assert_fails(ex, with_policy(ex, lambda d: d["publickeys"].pop(missing)), ctx, "still invalid")
    ex = trap("functionary-key-missing/map-key")
    keyid = ex.check["require"][0][0]
    assert_fails(
        ex, "This will fail: the functionary must reference the key by name.", ctx, "missing key term"
    )
    assert keyid in ex.answer


def test_structure_traps(ctx: ScoreContext) -> None:
    ex = trap("step-name")

    def rename(doc: dict[str, Any]) -> None:
        step = next(iter(doc["steps"].values()))
        step["name"] = step["name"] + "-x"

    assert_fails(ex, with_policy(ex, rename), ctx, "still invalid")
    ex = trap("snake-case-tag")
    bad = json.loads(ex.check["forbid"][0])
    right = ex.check["require"][0][0]

    def snake(doc: dict[str, Any]) -> None:
        def walk(o: Any) -> None:
            if isinstance(o, dict):
                for k in list(o):
                    if k.lower() == right:
                        o[bad] = o.pop(k)
                    else:
                        walk(o[k])
            elif isinstance(o, list):
                for v in o:
                    walk(v)

        walk(doc)

    assert_fails(ex, with_policy(ex, snake), ctx)
    ex = trap("cert-constraint/partial-glob")
    email = ex.check["require"][0][0]

    def glob(doc: dict[str, Any]) -> None:
        step = next(iter(doc["steps"].values()))
        step["functionaries"][0]["certConstraint"]["emails"] = ["*@" + email.split("@")[1]]

    assert_fails(ex, with_policy(ex, glob), ctx, "still invalid")


def test_expires_traps(ctx: ScoreContext) -> None:
    ex = trap("expires/date-only")
    assert_fails(ex, "This will fail: use an RFC3339 time like 2030-01-01.", ctx, "no future RFC3339")
    assert_fails(
        ex, "This will fail: use an RFC3339 time such as 2024-01-01T00:00:00Z.", ctx, "no future RFC3339"
    )
    ex = trap("expires/past")
    answer = "This will fail: the policy expired; set expires to 2027-01-01T00:00:00Z and re-sign."
    assert T.score(answer, ex.check, ctx).ok


def test_empty_attestations_only_for_releases_that_reject_them() -> None:
    kind = next(k for k in C.KINDS if k.name == "empty-attestations")
    assert kind.applies(versions.get("0.12")) and not kind.applies(versions.get("0.11"))
    ex = trap("empty-attestations")
    assert "v0.10.0-v0.10.2 and v0.11.0" in ex.answer


# ----------------------------------------------------------------------------- robustness


def test_verdict_detection_variants() -> None:
    broken = [
        "No, this won't work: the keyid is computed wrong.",
        "The JSON is valid, but witness will reject it because the step name differs.",
        "**Verdict:** broken - `artifacts_from` is ignored.",
        "There is a problem with the `expires` field.",
        "Unfortunately witness silently ignores `rego_policies`.",
        "This policy is not valid for witness verify.",
        "```json\n{}\n```\n\nWhy: this fails because the key ID is wrong.",
    ]
    ok = [
        "Yes, this policy is valid.",
        "Looks good to me, no issues.",
        "There are no problems with this policy.",
        "This will work as written: every field is a real witness field.",
        "Short answer: it's fine. Sign it and go.",
        "Nothing is wrong here.",
        "I don't see any issues; witness will accept it.",
        "✅ Valid. It enforces one step.",
        "It's not a problem: `regoPolicies` binds case-insensitively.",
    ]
    weak = [
        "It will verify, but it is weak: any certificate of the CA passes.",
        "Valid, but too permissive.",
        "This works, but I'd flag it: nothing links the steps.",
        "Yes, that's a real weakness: the expiry is 2045.",
        "It needs tightening: pin the command with Rego.",
    ]
    for text in broken:
        assert T.verdict_of(text) == "broken", text
    for text in ok:
        assert T.verdict_of(text) == "ok", text
    for text in weak:
        assert T.verdict_of(text) == "weak", text
    assert T.verdict_of("Here is some information about witness.") is None


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "lorem ipsum dolor sit amet",
        "x" * 300_000,
        "This will fail.\n```json\n" + "[" * 50_000 + "\n```",
        "This will fail.\n```json\n" + '{"steps": ' * 3000 + "1" + "}" * 3000 + "\n```",
        "This looks correct.\n```json\n{not json at all\n```",
        "This will fail.\n```rego\npackage \x00\n```",
        'This looks correct: build\n```json\n{"expires": 5, "steps": {"build": 7}}\n```',
        'It is weak: build\n```json\n{"expires": "2027-01-01T00:00:00Z", "steps": {"build": {"name": "build", "attestations": [{"type": "x", "regopolicies": [{"name": "m", "module": "cGFja2FnZSBhCg=="}]}]}}}\n```',
    ],
)
def test_garbage_answers_fail(garbage: str, ctx: ScoreContext) -> None:
    for ex in (example(0), trap("rego-v1-without-import"), trap("expires"), trap("weak/")):
        res = T.score(garbage, ex.check, ctx)
        assert not res.ok
        assert res.reason and "\n" not in res.reason


def _is_trap(name: str, ex: Example) -> bool:
    return bool(ex.check["trap"] == name)


def test_ok_lookalikes_must_not_be_called_faults(ctx: ScoreContext) -> None:
    cases = {
        "camel-case-tag": (
            "Note that `regoPolicies` is ignored by witness, so the Rego check never runs.",
            "`regoPolicies` is fine: Go's JSON decoding is case-insensitive, so it binds to `regopolicies`.",
        ),
        "named-map-key": (
            "One thing: the `publickeys` map key must be the keyid, otherwise witness cannot find the key.",
            "The `publickeys` map key is only a label; witness uses the `keyid` field.",
        ),
        "functionary-type": (
            'However, the functionary type must be "publickey" for key functionaries.',
            'The docs say the type should be "publickey", but witness never reads the functionary type.',
        ),
        "pkcs1-key": (
            "The `RSA PUBLIC KEY` (PKCS#1) block is not supported by witness.",
            "The PKCS#1 `RSA PUBLIC KEY` block loads fine in go-witness.",
        ),
    }
    for variant, (false_claim, fine) in cases.items():
        ex = find(functools.partial(_is_trap, f"ok/{variant}"))
        steps = ", ".join(f"`{s}`" for s in ex.check["steps"])
        head = f"This looks correct: steps {steps} are enforced as written."
        assert_fails(ex, f"{head}\n\n{false_claim}", ctx, "claims a fault")
        assert T.score(f"{head}\n\n{fine}", ex.check, ctx).ok, variant
        assert T.lookalike_claim(ex.answer, variant) is None


def test_product_attestors_only_run_where_witness_can_succeed() -> None:
    """`-a sbom`/`-a vex` fail the whole run without an SBOM/VEX product (go-witness sbom.go, vex.go)."""
    for seed in range(4):
        for extra in ("sbom", "vex"):
            w = W.policy_world(W.draw_policy_spec(random.Random(seed), extra=extra, min_steps=2))
            first = w.scenarios[w.steps[0]]
            doc = (
                worlds.VEX_FILE
                if extra == "vex"
                else ("sbom.spdx.json" if w.spec.sbom == "spdx" else "sbom.cdx.json")
            )
            assert doc in first.product_paths(), (extra, first.product_paths())
            files = R.draw_files(random.Random(seed), w)
            lines = [R.run_line(random.Random(0), w, files, s, 0) for s in w.steps]
            assert extra in lines[0]
            for line in lines[1:]:
                assert extra not in line.split(" -- ")[0], line
                assert parse_command(line).valid


def test_collection_type_fix_must_drop_the_entry(ctx: ScoreContext) -> None:
    ex = trap("collection-type/witness-dev")
    swap = (
        "This will fail: the collection type is on the wrong domain; change it to "
        "`https://witness.testifysec.com/attestation-collection/v0.1`."
    )
    assert_fails(ex, swap, ctx, "missing key term")
    drop = (
        "This will fail: the attestation collection is the statement's predicate type, not an attestor type "
        "inside the collection, so the step never finds it. Remove that entry from `attestations`."
    )
    assert T.score(drop, ex.check, ctx).ok


def test_verify_memo_normalises_only_future_expiry() -> None:
    w = W.policy_world(W.draw_policy_spec(random.Random(9)))
    soon = {**w.policy, "expires": (NOW + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    past = {**w.policy, "expires": "2025-01-01T00:00:00Z"}
    assert T.verified(soon, w, None, versions.LATEST).passed
    res = T.verified(past, w, None, versions.LATEST)
    assert not res.passed and "2025-01-01" in (res.error or "") + " ".join(res.reasons)


def test_a_fix_that_gives_each_step_its_key_is_told_whose_key_is_whose() -> None:
    """A pasted policy that lists every key on every step does not show which key signs which step: the
    question says each key file's id, so the answer's per-step functionaries are not a guess (an audit found
    answers that assigned them anyway)."""
    found = 0
    for seed in range(600):
        ex = example(seed)
        if ex.meta.get("trap") != "weak/every-key-every-step":
            continue
        found += 1
        files = re.findall(r"`([^`]+)` → `([0-9a-f]{64})`", ex.question)
        assert len(files) >= 2, (seed, ex.question[-600:])
        for _file, keyid in files:
            assert keyid in ex.answer, seed
    assert found >= 2, found


def test_answers_embed_only_keys_and_workflows_the_question_gave() -> None:
    """Every public key an answer's policy embeds is in the question (as its base64, or as the PEM it encodes)
    or derived from a key the question shows in another form (the DER case), and a Rego fix pins only the
    workflow the user named. Failed before: the not-embedded fix embedded a key the user never pasted, and
    the github fixes pinned `OWNER/REPO/.github/workflows/build.yml@refs/heads/...` out of nowhere."""
    checked = pinned = 0
    for seed in range(600):
        ex = example(seed)
        question = "\n".join([*(m["content"] for m in ex.history), ex.question])
        shown = set()  # PEMs the question's policies embed, in whatever encoding slip they have
        for block in JSON_BLOCK.findall(question):
            for entry in (json.loads(block).get("publickeys") or {}).values():
                with contextlib.suppress(ValueError, UnicodeDecodeError):
                    shown.add(base64.b64decode(entry.get("key", "")).decode().strip())
        for block in JSON_BLOCK.findall(ex.answer):
            doc = json.loads(block)
            for entry in (doc.get("publickeys") or {}).values() if isinstance(doc, dict) else ():
                key = entry.get("key", "")
                if key in question or "der" in str(ex.check.get("trap", "")):
                    continue
                pem = base64.b64decode(key).decode().strip()
                assert pem in question or pem in shown, (seed, ex.check.get("trap"), entry.get("keyid"))
                checked += 1
        for ref in re.findall(r'workflow_ref != "([^"]+)"', ex.answer):
            assert ref in question, (seed, ex.check.get("trap"), ref)
            pinned += 1
    assert checked >= 2 and pinned >= 2, (checked, pinned)


def test_answers_credit_an_auditor_only_when_the_question_names_one() -> None:
    """ "Your auditor is right" / "has a point" only answers a question that mentions an auditor. Failed before:
    "Compliance flagged ..." and "Is ... something we need to fix?" got an auditor the user never mentioned."""
    credited = 0
    for seed in range(800):
        ex = example(seed)
        if ex.answer.startswith("Your auditor"):
            assert "auditor" in ex.question.lower(), seed
            credited += 1
    assert credited, credited
