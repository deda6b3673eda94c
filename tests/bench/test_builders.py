"""The generated suite: registration, ids, counts, determinism, wording, and that every task's
reference passes while its planted error fails (a sample here; the whole suite under `slow`)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest

from witness_evals.bench.builders import all_builders
from witness_evals.bench.scorers import ScoreContext
from witness_evals.bench.suites import generated_tasks, validate
from witness_evals.bench.task import Task, seeded
from witness_evals.generate import phrasing

EXPECTED = {
    "rego_fields": ("rego", 172),
    "cli_intents": ("command", 152),
    "facts": ("qa", 121),
    "pipelines": ("policy", 102),
    "failures": ("diagnose", 82),
}


def _digest(task: Task) -> str:
    return hashlib.sha256(json.dumps(task.to_json(), sort_keys=True).encode()).hexdigest()


def _sample(count: int, n: int) -> list[int]:
    """n indices spread over range(count), always including the first and the last."""
    return sorted({round(i * (count - 1) / (n - 1)) for i in range(n)})


def test_builders_are_registered_with_their_kind_and_count() -> None:
    builders = {b.name: b for b in all_builders()}
    assert set(builders) == set(EXPECTED)
    for name, (kind, count) in EXPECTED.items():
        assert (builders[name].kind, builders[name].count) == (kind, count)
    assert sum(b.count for b in builders.values()) >= 600


def test_generated_ids_are_unique_and_follow_the_builder_pattern() -> None:
    tasks = generated_tasks()
    ids = [t.id for t in tasks]
    assert len(ids) == len(set(ids)) == sum(b.count for b in all_builders())
    by_id = {t.id: t for t in tasks}
    for b in all_builders():
        for i in range(b.count):
            t = by_id[f"gen/{b.name}/{i:04d}"]
            assert t.kind == b.kind
            assert t.source == "generated"
            assert t.reference.strip() and t.planted.strip() and t.reference != t.planted


def test_building_again_in_another_order_gives_identical_tasks() -> None:
    first = {t.id: _digest(t) for t in generated_tasks()}
    for b in all_builders():
        for i in reversed(_sample(b.count, 12)):
            tid = f"gen/{b.name}/{i:04d}"
            assert _digest(b.build(seeded(tid), tid)) == first[tid], tid


def test_tasks_do_not_depend_on_the_process_or_hash_seed() -> None:
    picks = [(b.name, i) for b in all_builders() for i in _sample(b.count, 6)]
    script = (
        "import hashlib, json, sys\n"
        "from witness_evals.bench.builders import all_builders\n"
        "from witness_evals.bench.task import seeded\n"
        "builders = {b.name: b for b in all_builders()}\n"
        "for name, i in json.loads(sys.argv[1]):\n"
        "    tid = f'gen/{name}/{i:04d}'\n"
        "    t = builders[name].build(seeded(tid), tid)\n"
        "    print(tid, hashlib.sha256(json.dumps(t.to_json(), sort_keys=True).encode()).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script, json.dumps(picks[::-1])],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    ).stdout
    theirs = dict(line.split() for line in out.splitlines())
    ours = {t.id: _digest(t) for t in generated_tasks()}
    assert len(theirs) == len(picks)
    for tid, digest in theirs.items():
        assert digest == ours[tid], tid


def test_rego_tasks_cover_many_attestors() -> None:
    attestors = {t.attestor for t in generated_tasks() if t.id.startswith("gen/rego_fields/")}
    assert len(attestors) >= 14
    wanted = "git github gitlab jenkins environment command-run product material sbom oci docker k8smanifest"
    assert set(f"{wanted} lockfiles secretscan maven aws-codebuild system-packages".split()) <= attestors


def test_rego_tasks_only_target_predicates_witness_verify_evaluates() -> None:
    """No Rego on slsa: exported it leaves the collection, kept it makes the collection unreadable
    (go-witness v0.12.0 attestation/slsa/slsa.go marshals protobuf structs with encoding/json)."""
    rego = [t for t in generated_tasks() if t.kind == "rego"]
    assert rego and not [t.id for t in rego if t.attestor == "slsa"]
    with ScoreContext() as ctx:
        replaced = ("gen/rego_fields/0064", "gen/rego_fields/0065")  # the two requirements that replaced slsa
        for tid in replaced:
            task = next(t for t in rego if t.id == tid)
            assert task.attestor in {"sarif", "vex"}
            assert validate([task], ctx) == []


def test_prompts_do_not_reuse_the_training_generators_wording() -> None:
    fixed = [p.strip() for p in phrasing.FIXED_PHRASES if len(p.strip()) > 8]
    fixed += ["Write a Rego policy that denies", "Show the exact syntax", "Keep it short"]
    names = re.compile(r"(?<![\w./-])(key\.pem|testkey\.pem|keys/build-key\.pem|policy-key\.pem)(?![\w-])")
    tool_output = re.compile(r"```text\n.*?\n```", re.S)  # real checker/verifier output is quoted as is
    for t in generated_tasks():
        text = tool_output.sub("", t.prompt_text())
        for phrase in fixed:
            assert phrase not in text, (t.id, phrase)
        assert not names.search(text), (t.id, names.search(text))


def test_prompts_are_distinct() -> None:
    prompts = [t.prompt_text() for t in generated_tasks()]
    assert len(set(prompts)) == len(prompts)


def test_a_sample_of_every_builder_validates() -> None:
    by_id = {t.id: t for t in generated_tasks()}
    sample = [by_id[f"gen/{b.name}/{i:04d}"] for b in all_builders() for i in _sample(b.count, 10)]
    with ScoreContext() as ctx:
        assert validate(sample, ctx) == []


@pytest.mark.slow
def test_the_whole_generated_suite_validates() -> None:
    with ScoreContext() as ctx:
        assert validate(list(generated_tasks()), ctx) == []
