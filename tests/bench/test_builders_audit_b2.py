"""Audit of the pipelines / failures / rego_fields builders: each check enforces what its prompt states
(wrong answers fail, right ones pass) and every hidden input is one witness v0.12.0 can produce."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.scorers.policy import find_policy
from witness_evals.bench.suites import generated_tasks, validate
from witness_evals.bench.task import Task
from witness_evals.witness.policy import parse_rfc3339

Mutation = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def ctx() -> Iterator[ScoreContext]:
    with ScoreContext() as c:
        yield c


def _task(tid: str) -> Task:
    return next(t for t in generated_tasks() if t.id == tid)


def _policy_answer(doc: dict[str, Any]) -> str:
    return "Here is the policy:\n\n```json\n" + json.dumps(doc, indent=2) + "\n```\n"


def _score_mutated(ctx: ScoreContext, tid: str, mutate: Mutation) -> Any:
    t = _task(tid)
    doc = find_policy(t.reference)
    assert doc is not None
    doc = copy.deepcopy(doc)
    mutate(doc)
    return score(t.check, _policy_answer(doc), ctx)


def _no_artifacts_from(doc: dict[str, Any]) -> None:
    for st in doc["steps"].values():
        st.pop("artifactsFrom", None)


def _only(*names: str) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        for st in doc["steps"].values():
            st["attestations"] = [
                a for a in st["attestations"] if any(f"/attestations/{n}/" in a["type"] for n in names)
            ]

    return mutate


def _drop_type(step: str | None, fragment: str) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        for name, st in doc["steps"].items():
            if step is None or name == step:
                st["attestations"] = [a for a in st["attestations"] if fragment not in a["type"]]

    return mutate


def _no_rego(doc: dict[str, Any]) -> None:
    for st in doc["steps"].values():
        for a in st["attestations"]:
            a["regopolicies"] = []


def _expires(value: str) -> Mutation:
    return lambda doc: doc.__setitem__("expires", value)


def _every_key_everywhere(doc: dict[str, Any]) -> None:
    kids = list(dict.fromkeys(f["publickeyid"] for st in doc["steps"].values() for f in st["functionaries"]))
    for st in doc["steps"].values():
        st["functionaries"] = [{"type": "publickey", "publickeyid": k} for k in kids]


# ------------------------------------------------------------------------------ finding 1: pipelines

WRONG_PIPELINE_POLICIES = [
    ("gen/pipelines/0028", "no artifactsFrom", _no_artifacts_from),
    ("gen/pipelines/0007", "no artifactsFrom", _no_artifacts_from),
    ("gen/pipelines/0074", "no artifactsFrom", _no_artifacts_from),
    ("gen/pipelines/0050", "no artifactsFrom", _no_artifacts_from),
    ("gen/pipelines/0073", "no artifactsFrom", _no_artifacts_from),
    ("gen/pipelines/0015", "only product", _only("product")),
    ("gen/pipelines/0073", "only material and product", _only("material", "product")),
    ("gen/pipelines/0015", "system-packages dropped", _drop_type(None, "system-packages")),
    ("gen/pipelines/0050", "gate.rego not attached", _no_rego),
    ("gen/pipelines/0050", "expires 2099", _expires("2099-01-01T00:00:00Z")),
    ("gen/pipelines/0015", "expires 2099", _expires("2099-01-01T00:00:00Z")),
    ("gen/pipelines/0015", "every key accepted for every step", _every_key_everywhere),
    ("gen/pipelines/0050", "every key accepted for every step", _every_key_everywhere),
]


@pytest.mark.parametrize(
    ("tid", "label", "mutate"),
    WRONG_PIPELINE_POLICIES,
    ids=[f"{t[0]}: {t[1]}" for t in WRONG_PIPELINE_POLICIES],
)
def test_pipelines_check_rejects_a_policy_missing_a_stated_requirement(
    ctx: ScoreContext, tid: str, label: str, mutate: Mutation
) -> None:
    out = _score_mutated(ctx, tid, mutate)
    assert not out.passed, f"{tid}: {label} passes: {out.reason}"


def _shift_expiry(delta: timedelta, fmt: str = "%Y-%m-%dT%H:%M:%SZ") -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        doc["expires"] = (parse_rfc3339(doc["expires"]) + delta).strftime(fmt)

    return mutate


def _reversed_attestations(doc: dict[str, Any]) -> None:
    for st in doc["steps"].values():
        st["attestations"] = st["attestations"][::-1]


RIGHT_VARIANTS: list[tuple[str, Mutation]] = [
    ("as the reference", lambda doc: None),
    ("end of the stated day", _shift_expiry(timedelta(hours=23, minutes=59, seconds=59))),
    ("midnight after the stated day", _shift_expiry(timedelta(days=1))),
    ("+00:00 offset", _shift_expiry(timedelta(0), "%Y-%m-%dT%H:%M:%S+00:00")),
    ("attestations in another order", _reversed_attestations),
]


@pytest.mark.parametrize("tid", ["gen/pipelines/0015", "gen/pipelines/0050", "gen/pipelines/0073"])
def test_pipelines_check_still_accepts_right_policies(ctx: ScoreContext, tid: str) -> None:
    for label, mutate in RIGHT_VARIANTS:
        out = _score_mutated(ctx, tid, mutate)
        assert out.passed, f"{tid}: {label} fails: {out.reason}"


def test_every_pipelines_check_enforces_artifacts_from_types_keys_rego_and_expiry(ctx: ScoreContext) -> None:
    for t in generated_tasks():
        if not t.id.startswith("gen/pipelines/"):
            continue
        doc = find_policy(t.reference)
        assert doc is not None
        wrong: list[tuple[str, Mutation]] = [("expires 2099", _expires("2099-01-01T00:00:00Z"))]
        for name in doc["steps"]:
            wrong.append((f"first type of {name} dropped", _drop_first(name)))
            wrong.append((f"last type of {name} dropped", _drop_last(name)))
        if len(doc["steps"]) > 1:
            wrong.append(("no artifactsFrom", _no_artifacts_from))
            if "shared-key" not in t.tags:
                wrong.append(("every key for every step", _every_key_everywhere))
        if any(x.startswith("rego:") for x in t.tags):
            wrong.append(("no rego", _no_rego))
        for label, mutate in wrong:
            d = copy.deepcopy(doc)
            mutate(d)
            out = score(t.check, _policy_answer(d), ctx)
            assert not out.passed, f"{t.id}: {label} passes"


def _drop_first(step: str) -> Mutation:
    return lambda doc: doc["steps"][step].__setitem__("attestations", doc["steps"][step]["attestations"][1:])


def _drop_last(step: str) -> Mutation:
    return lambda doc: doc["steps"][step].__setitem__("attestations", doc["steps"][step]["attestations"][:-1])


# ------------------------------------------------------------------------------ finding 2: policy fixes


@pytest.mark.parametrize(
    ("tid", "mutate"),
    [
        ("gen/failures/0030", _drop_type("package-tar", "/attestations/product/")),
        ("gen/failures/0072", _drop_type("sbom", "cyclonedx.org/bom")),
    ],
    ids=["0030 product dropped", "0072 sbom dropped"],
)
def test_a_fix_that_deletes_the_failing_requirement_fails(
    ctx: ScoreContext, tid: str, mutate: Mutation
) -> None:
    assert _score_mutated(ctx, tid, mutate).passed is False


def test_every_policy_fix_must_keep_what_the_policy_required(ctx: ScoreContext) -> None:
    for t in generated_tasks():
        if not (t.id.startswith("gen/failures/") and "fix:policy" in t.tags):
            continue
        doc = find_policy(t.reference)
        assert doc is not None
        empty_step = next(
            (n for n in doc["steps"] if f"`{n}` runs with the default attestors" in t.prompt_text()),
            None,
        )
        for name, st in doc["steps"].items():
            if name == empty_step:
                continue
            for j in range(len(st["attestations"])):
                d = copy.deepcopy(doc)
                del d["steps"][name]["attestations"][j]
                assert not score(t.check, _policy_answer(d), ctx).passed, f"{t.id}: {name}[{j}] dropped"
        if len(doc["steps"]) == 2:
            for label, mutate in (("no artifactsFrom", _no_artifacts_from), ("keys", _every_key_everywhere)):
                d = copy.deepcopy(doc)
                mutate(d)
                assert not score(t.check, _policy_answer(d), ctx).passed, f"{t.id}: {label}"


def test_a_wrong_key_fix_that_keeps_the_policy_key_as_functionary_fails(ctx: ScoreContext) -> None:
    tasks = [t for t in generated_tasks() if "cause:wrong-key-embedded" in t.tags]
    assert tasks
    for t in tasks:
        broken = find_policy(t.prompt_text())
        fixed = find_policy(t.reference)
        assert broken is not None and fixed is not None
        both = copy.deepcopy(fixed)
        for kid, entry in broken["publickeys"].items():
            both["publickeys"].setdefault(kid, entry)
        for name, st in both["steps"].items():
            st["functionaries"] += [
                f for f in broken["steps"][name]["functionaries"] if f not in st["functionaries"]
            ]
        assert not score(t.check, _policy_answer(both), ctx).passed, t.id


def test_an_expired_policy_fix_must_expire_when_asked(ctx: ScoreContext) -> None:
    tasks = [t for t in generated_tasks() if "cause:expired" in t.tags]
    assert tasks
    for t in tasks:
        assert not _score_mutated(ctx, t.id, _expires("2099-01-01T00:00:00Z")).passed, t.id


# ------------------------------------------------------------------------------ finding 3: git signature


def _rego_answer(src: str) -> str:
    return "```rego\n" + src + "```\n"


def test_git_signature_inputs_omit_the_field_as_witness_does(ctx: ScoreContext) -> None:
    # go-witness attestation/git/git.go: Signature string `json:"signature,omitempty"`
    for t in generated_tasks():
        assert '"signature": ""' not in json.dumps(t.check), t.id
    t = _task("gen/failures/0011")
    module = (
        "package git.signed\n\nimport rego.v1\n\n"
        'deny contains msg if {\n\tnot input.signature\n\tmsg := "commit is not signed"\n}\n'
    )
    assert score(t.check, _rego_answer(module), ctx).passed
    assert "empty/omitted" not in t.reference and "omitted for unsigned commits" in t.reference


def test_wrong_field_explanation_matches_the_planted_bug() -> None:
    ref = _task("gen/failures/0011").reference
    assert "undefined value" not in ref
    assert "`object.get` returns its default" in ref and "nothing is ever denied" in ref


# ------------------------------------------------------------------------------ finding 4: maven group


def test_maven_group_rejects_a_look_alike_prefix(ctx: ScoreContext) -> None:
    t = _task("gen/rego_fields/0056")
    assert "`com.hooli` group (or a sub-group of it)" in t.prompt_text()
    bare = (
        "package maven.group\n\nimport rego.v1\n\n"
        'deny contains msg if {\n\tnot startswith(input.groupid, "com.hooli")\n\tmsg := "bad group"\n}\n'
    )
    right = (
        "package maven.group\n\nimport rego.v1\n\n"
        'ours if input.groupid == "com.hooli"\n\nours if startswith(input.groupid, "com.hooli.")\n\n'
        'deny contains msg if {\n\tnot ours\n\tmsg := "bad group"\n}\n'
    )
    assert not score(t.check, _rego_answer(bare), ctx).passed
    assert score(t.check, _rego_answer(right), ctx).passed
    assert 'startswith(input.groupid, "com.hooli.")' in t.reference


def test_maven_group_wording_never_asks_for_a_bare_prefix() -> None:
    for t in generated_tasks():
        if "req:mvn_group" in t.tags:
            assert "doesn't start with" not in t.prompt_text(), t.id


# ------------------------------------------------------------------------------ finding 5: directory path


def test_directory_path_trailing_slash_is_the_same_subject(ctx: ScoreContext) -> None:
    t = _task("gen/failures/0008")
    base = (
        "witness verify -p dist/policy.envelope.json -k certs/release-gate.pub "
        "-a att/container.json,att/codegen.json "
        "-s a36fe92e6b660df84a7ea1e37ad14d19a164276008efc84ec6e4dc8001226240 --directory-path "
    )
    for same in ("dist/", "dist", "./dist", "./dist/"):
        out = score(t.check, f"```bash\n{base}{same}\n```\n", ctx)
        assert out.passed, (same, out.reason)
    for other in ("site/", "dist/sub", "/dist"):
        assert not score(t.check, f"```bash\n{base}{other}\n```\n", ctx).passed, other


def test_command_fix_reference_names_the_real_cause() -> None:
    ref = _task("gen/failures/0008").reference
    assert "[artifactfile subjects]" in ref and "`--directory-path` alone" in ref


# ------------------------------------------------------------------------------ finding 6: VEX statement


def test_vex_statements_never_carry_empty_products() -> None:
    # go-vex v0.2.8 pkg/vex/statement.go: Products []Product `json:"products,omitempty"`
    for t in generated_tasks():
        assert '"products": []' not in json.dumps(t.check), t.id
    deny = _task("gen/failures/0053").check["deny_inputs"]
    assert any("products" not in st for d in deny for st in d["vexDocument"]["statements"])


# ------------------------------------------------------------------------------ references still pass

AUDITED = {
    "gen/pipelines/0007",
    "gen/pipelines/0015",
    "gen/pipelines/0028",
    "gen/pipelines/0050",
    "gen/pipelines/0073",
    "gen/pipelines/0074",
    "gen/failures/0008",
    "gen/failures/0011",
    "gen/failures/0030",
    "gen/failures/0053",
    "gen/failures/0069",
    "gen/failures/0072",
    "gen/rego_fields/0056",
    "gen/rego_fields/0124",
}


def test_audited_tasks_validate(ctx: ScoreContext) -> None:
    tasks = [
        t
        for t in generated_tasks()
        if t.id in AUDITED
        or any(x in t.tags for x in ("req:git_signed", "req:mvn_group", "req:vex_affected"))
        or "cause:wrong-key-embedded" in t.tags
        or "cause:expired" in t.tags
    ]
    assert len(tasks) > len(AUDITED)
    assert validate(tasks, ctx) == []
