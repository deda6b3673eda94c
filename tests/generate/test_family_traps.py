"""Family `traps`: determinism, reference answers pass, realistic wrong answers and garbage fail."""

from __future__ import annotations

import base64
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
from typing import Any

import pytest

from witness_evals.bench import answers
from witness_evals.bench.scorers.context import NOW, ScoreContext
from witness_evals.generate.example import Example
from witness_evals.generate.families import get
from witness_evals.generate.families import traps as T
from witness_evals.witness import crypto, simulate
from witness_evals.witness.cli_spec import parse_command
from witness_evals.witness.verify import SourceCollection, verify

JSON_BLOCK = re.compile(r"```json\n(.*?)\n```", re.S)
SEEDS = range(220)


@functools.cache
def example(seed: int) -> Example:
    return T.make(random.Random(seed))


def find(pred: Callable[[Example], bool], limit: int = 600) -> Example:
    for seed in range(limit):
        ex = example(seed)
        if pred(ex):
            return ex
    raise AssertionError("no seed with that property")


def trap(prefix: str) -> Example:
    return find(lambda ex: ex.check["trap"].startswith(prefix))


def full_trap(prefix: str) -> Example:
    """An example of that trap whose answer carries the whole corrected policy."""
    return find(lambda ex: ex.check["trap"].startswith(prefix) and "Corrected policy" in ex.answer)


def policy_of(ex: Example) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(JSON_BLOCK.findall(ex.answer)[-1])
    return doc


def with_policy(ex: Example, edit: Callable[[dict[str, Any]], None]) -> str:
    """The reference answer with its corrected policy changed by `edit`."""
    blocks = JSON_BLOCK.findall(ex.answer)
    doc = json.loads(blocks[-1])
    edit(doc)
    return ex.answer.replace(blocks[-1], json.dumps(doc, indent=2))


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


def test_reference_answers_pass_and_cover_every_trap(ctx: ScoreContext) -> None:
    seen: set[str] = set()
    ok = 0
    for seed in SEEDS:
        ex = example(seed)
        res = T.score(ex.answer, ex.check, ctx)
        assert res.ok, (seed, ex.check["trap"], res.reason)
        assert json.loads(json.dumps(ex.check)) == ex.check
        assert len(json.dumps(ex.check)) < 3000
        assert ex.family == "traps" and ex.group.startswith(f"traps/{ex.check['trap']}/")
        seen.add(
            ex.check["trap"].split("/")[0]
            if not ex.check["trap"].startswith("functionary")
            else ex.check["trap"]
        )
        ok += ex.check["verdict"] == "ok"
    names = {s.name for s in T.TRAPS} | {"ok"}
    assert names <= seen, names - seen
    assert 0.15 < ok / len(SEEDS) < 0.35
    oks = {example(s).check["trap"] for s in range(400) if example(s).check["verdict"] == "ok"}
    assert oks == {f"ok/{v}" for v in T.OK_VARIANTS}


def test_reference_answers_start_with_verdict() -> None:
    for seed in range(60):
        ex = example(seed)
        first = ex.answer.split("\n", 1)[0]
        if ex.check["verdict"] == "ok":
            assert first.startswith("This looks correct: ")
        else:
            assert first.startswith(("This will fail: ", "This won't work as intended: "))
        assert T.verdict_of(ex.answer) == ex.check["verdict"]


def test_questions_are_well_formed() -> None:
    styles: set[str] = set()
    for seed in range(120):
        ex = example(seed)
        styles.add(ex.template.split("/")[1])
        q = ex.question
        for m in re.finditer("```", q):  # fences always start a line
            assert m.start() == 0 or q[m.start() - 1] == "\n", q[max(0, m.start() - 40) : m.start() + 10]
        assert not q.rstrip().endswith("```")
        blocks = JSON_BLOCK.findall(q)
        assert blocks and json.loads(blocks[0])
        cmds = [c for c in answers.commands(q) if c.startswith("witness run ")]
        assert len(cmds) == ex.meta["steps"], q
        for cmd in cmds:
            analysis = parse_command(cmd)
            assert analysis.valid, (cmd, analysis.errors)
        assert len(ex.answer) < 9000
    assert styles == set(T.TEMPLATES)
    assert all(len(v) >= 6 for v in T.TEMPLATES.values())


def test_speed(ctx: ScoreContext) -> None:
    seeds = range(1000, 1040)
    t0 = time.perf_counter()
    for s in seeds:
        ex = T.make(random.Random(s))
        T.score(ex.answer, ex.check, ctx)
    per = (time.perf_counter() - t0) / len(seeds) * 1000
    assert per < 60, f"{per:.1f} ms per example"


# ----------------------------------------------------------------------------- ground truth


WORLDS: list[Callable[[int], T.World]] = [
    lambda s: T.build_world(s),
    lambda s: T.build_world(s, n_steps=2, two_keys=True),
    lambda s: T.build_world(s, rego=True),
    lambda s: T.build_world(s, n_steps=1, use_x509=True),
    lambda s: T.build_world(s, extra="sbom", sbom_kind="cyclonedx"),
    lambda s: T.build_world(s, extra="k8smanifest"),
    lambda s: T.build_world(s, extra="vex"),
    lambda s: T.build_world(s, extra="sbom", sbom_kind="spdx", n_steps=2),
]


def _verify(w: T.World, policy: dict[str, Any], ctx: ScoreContext) -> bool:
    policy_key = crypto.Signer(crypto.generate_private_key("ed25519", seed=99))
    env = simulate.sign_policy(policy, policy_key)
    assert w.pipeline is not None
    cols = [
        SourceCollection.load(r.envelope.dumps().encode(), f"{name}.json")
        for name, r in w.pipeline.steps.items()
    ]
    try:
        res = verify(
            env,
            cols,
            [w.pipeline.artifact_digest],
            policy_verifiers=[policy_key.verifier()],
            rego=ctx.rego,
            now=NOW,
        )
    except Exception:  # the policy does not even load
        return False
    return res.passed


@pytest.mark.parametrize("i", range(len(WORLDS)))
def test_valid_policies_verify_the_pipeline(i: int, ctx: ScoreContext) -> None:
    w = WORLDS[i](500 + i)
    assert _verify(w, w.policy, ctx)


def test_broken_policies_do_not_verify(ctx: ScoreContext) -> None:
    silent = ("snake-case-tag/artifacts_from", "snake-case-tag/rego_policies", "no-deny-rule")
    checked = 0
    for spec in T.TRAPS:
        for seed in range(3):
            rng = random.Random(seed)
            w = spec.world(rng, 700 + seed)
            inj = spec.inject(rng, w)
            if inj.trap.startswith(silent):
                assert inj.verdict_head.startswith("This won't work")
                continue
            assert _verify(w, inj.policy, ctx) is False, inj.trap
            checked += 1
    assert checked > 30


# ----------------------------------------------------------------------------- wrong answers


def test_wrong_verdicts_fail(ctx: ScoreContext) -> None:
    ok = find(lambda ex: ex.check["verdict"] == "ok")
    assert_fails(ok, "This will fail: the keyid is wrong, recompute it.", ctx, "wrong verdict")
    assert_fails(
        ok, "Looks good, but the `expires` field is invalid and must be fixed.", ctx, "wrong verdict"
    )
    broken = trap("keyid-wrong")
    assert_fails(broken, "This looks correct: nothing to change.", ctx, "wrong verdict")
    assert_fails(broken, "```json\n{}\n```", ctx, "no clear verdict")
    assert_fails(broken, "This will fail: you forgot to sign it with witness sign.", ctx, "missing key term")


def test_ok_answer_with_a_broken_policy_fails(ctx: ScoreContext) -> None:
    ex = find(lambda ex: ex.check["trap"] == "ok/plain")
    w = T.build_world(ex.check["world"])
    bad = json.loads(json.dumps(w.policy))
    bad["expires"] = "2030-01-01"
    answer = ex.answer + "\n\nCleaned up:\n\n```json\n" + json.dumps(bad) + "\n```\n"
    assert_fails(ex, answer, ctx, "still invalid")
    renamed = json.loads(json.dumps(w.policy))
    renamed["steps"] = {f"x-{k}": {**v, "name": f"x-{k}"} for k, v in renamed["steps"].items()}
    assert_fails(ex, ex.answer + "\n```json\n" + json.dumps(renamed) + "\n```\n", ctx)


def test_type_traps(ctx: ScoreContext) -> None:
    for prefix in ("type-version", "sbom-type", "collection-type"):
        ex = full_trap(prefix)
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
    ex = full_trap("module-not-base64")

    def raw(doc: dict[str, Any]) -> None:
        for st in doc["steps"].values():
            for a in st["attestations"]:
                for rp in a.get("regopolicies", []):
                    rp["module"] = base64.b64decode(rp["module"]).decode()

    assert_fails(ex, with_policy(ex, raw), ctx, "still invalid")


def test_key_traps(ctx: ScoreContext) -> None:
    ex = full_trap("keyid-wrong")
    wrong, right = ex.check["forbid"][0], ex.check["must"][0]
    assert_fails(ex, ex.answer.replace(right, wrong), ctx)
    ex = full_trap("key-base64-der")
    der = ex.check["forbid"][0]

    def to_der(doc: dict[str, Any]) -> None:
        next(iter(doc["publickeys"].values()))["key"] = der

    assert_fails(ex, with_policy(ex, to_der), ctx, "still invalid")
    ex = full_trap("functionary-key-missing/not-embedded")
    missing = ex.check["must"][0]
    assert_fails(ex, with_policy(ex, lambda d: d["publickeys"].pop(missing)), ctx, "still invalid")
    ex = trap("functionary-key-missing/map-key")
    keyid = ex.check["require"][0][0]
    assert_fails(
        ex, "This will fail: the functionary must reference the key by name.", ctx, "missing key term"
    )
    assert keyid in ex.answer


def test_structure_traps(ctx: ScoreContext) -> None:
    ex = full_trap("step-name")

    def rename(doc: dict[str, Any]) -> None:
        step = next(iter(doc["steps"].values()))
        step["name"] = step["name"] + "-x"

    assert_fails(ex, with_policy(ex, rename), ctx, "still invalid")
    ex = full_trap("snake-case-tag")
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
    ex = full_trap("cert-constraint/partial-glob")
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
    answer = "This will fail: the policy expired; set expires to 2031-01-01T00:00:00Z and re-sign."
    assert T.score(answer, ex.check, ctx).ok


# ----------------------------------------------------------------------------- robustness


def test_verdict_detection_variants() -> None:
    broken = [
        "No, this won't work: the keyid is computed wrong.",
        "The JSON is valid, but witness will reject it because the step name differs.",
        "**Verdict:** broken - `artifacts_from` is ignored.",
        "There is a problem with the `expires` field.",
        "Unfortunately witness silently ignores `rego_policies`.",
        "This policy is not valid for witness verify.",
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
    ]
    for text in broken:
        assert T.verdict_of(text) == "broken", text
    for text in ok:
        assert T.verdict_of(text) == "ok", text
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
        'This looks correct: build\n```json\n{"expires": "2030-01-01T00:00:00Z", "steps": {"build": {"name": "build", "attestations": [{"type": "x", "regopolicies": [{"name": "m", "module": "cGFja2FnZSBhCg=="}]}]}}}\n```',
    ],
)
def test_garbage_answers_fail(garbage: str, ctx: ScoreContext) -> None:
    for ex in (example(0), trap("rego-v1-without-import"), trap("expires")):
        res = T.score(garbage, ex.check, ctx)
        assert not res.ok
        assert res.reason and "\n" not in res.reason


# ----------------------------------------------------------------------------- audit regressions


def test_product_attestors_only_run_where_witness_can_succeed() -> None:
    """`-a sbom`/`-a vex` fail the whole run without an SBOM/VEX product (go-witness sbom.go, vex.go)."""
    for seed in range(6):
        for w in (
            T.build_world(seed, n_steps=2, extra="sbom", sbom_kind="spdx"),
            T.build_world(seed, extra="vex"),
        ):
            first = w.pipeline.scenarios[w.steps[0]] if w.pipeline else None
            assert first is not None
            doc = T.VEX_FILE if w.extra == "vex" else "sbom.spdx.json"
            assert doc in first.product_paths(), (w.extra, first.product_paths())
            lines = [T._run_line(w, s) for s in w.steps]
            assert w.extra in lines[0]
            for line in lines[1:]:  # the tar step has no SBOM/VEX product of its own
                assert w.extra not in line.split(" -- ")[0], line
                assert parse_command(line.strip("`")).valid
    vex = find(lambda ex: ex.check["trap"].startswith("type-version/vex"))
    assert "-- make release`" in vex.question and T.VEX_FILE in vex.question


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
    }
    for variant, (false_claim, fine) in cases.items():
        ex = find(functools.partial(_is_trap, f"ok/{variant}"))
        steps = ", ".join(f"`{s}`" for s in ex.check["steps"])
        head = f"This looks correct: steps {steps} are enforced as written."
        assert_fails(ex, f"{head}\n\n{false_claim}", ctx, "claims a fault")
        assert T.score(f"{head}\n\n{fine}", ex.check, ctx).ok, variant
        assert T.lookalike_claim(ex.answer, variant) is None


def test_omitted_sans_answer_blames_the_email_constraint() -> None:
    ex = trap("cert-constraint/omitted-sans")
    first = ex.answer.split("\n", 1)[0]
    assert "omits `emails`" in first and "uris" not in first
