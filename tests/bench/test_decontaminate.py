"""Suite/training-set overlap: exact duplicates, near duplicates (MinHash LSH), and no false alarms."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from witness_evals.bench.decontaminate import (
    Shingler,
    decontaminate,
    format_decontamination,
    lsh_params,
    normalize,
)
from witness_evals.common.errors import InputError

REGO = (
    "Write a Rego module for the git attestor of in-toto witness that denies the attestation unless the "
    "branch is main and the commit is signed by a key listed in the policy; the module must use the "
    "package name witness.verify and return deny messages that explain which condition failed"
)
POLICY = (
    "Write a witness policy with two steps, build and test, where the build step requires the command-run "
    "and material attestors, the test step requires the product attestor, and both steps are signed by "
    "the same functionary key whose id is given below; the policy expires at the end of the year"
)
QA = (
    "What hash algorithms does witness use by default when it records materials and products, and how "
    "can the user change them from the command line when running a step inside a continuous integration job; "
    "give the exact flag, an example invocation, and say what happens to attestations that were recorded "
    "earlier with a different algorithm when a policy is verified later"
)
OTHER = (
    "Explain how the sigstore fulcio certificate authority issues short lived certificates bound to an "
    "OIDC identity, and how a verifier checks the signed certificate timestamp from the transparency log"
)


def chat(*user: str, assistant: str = "ok") -> dict[str, object]:
    messages: list[dict[str, str]] = [{"role": "system", "content": "You are a Witness expert."}]
    for u in user:
        messages += [{"role": "user", "content": u}, {"role": "assistant", "content": assistant}]
    return {"messages": messages}


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


SUITE = {"rego/git-main": REGO, "policy/two-steps": POLICY, "qa/hash-default": QA}


def test_exact_near_and_different(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(
        data / "train.jsonl",
        [
            chat(OTHER),
            chat("  " + REGO.upper().replace(" ", "   ") + "!!  "),  # line 2: exact after normalisation
            chat(POLICY.replace("build and test", "build and deploy")),  # line 3: one word changed
            chat("What is witness?"),
        ],
    )
    write_jsonl(data / "valid.jsonl", [chat("Unrelated: " + OTHER)])
    write_jsonl(data / "test.jsonl", [chat(QA.replace("inside", "within"), "and a second user turn")])
    (data / "extra.jsonl").write_text("not read: train/valid/test take precedence\n")

    r = decontaminate(SUITE, [data])
    assert r["suite_prompts"] == 3
    assert r["train_prompts"] == 6
    assert r["exact"] == [{"task": "rego/git-main", "train_file": str(data / "train.jsonl"), "line": 2}]
    near = {row["task"]: row for row in r["near"]}
    assert set(near) == {"policy/two-steps"}  # the QA prompt gained a second user turn: Jaccard drops
    assert near["policy/two-steps"]["train_file"] == str(data / "train.jsonl")
    assert near["policy/two-steps"]["line"] == 3
    assert 0.8 <= near["policy/two-steps"]["jaccard"] < 1.0
    assert r["exact_rate"] == round(1 / 3, 4)
    assert r["near_rate"] == round(1 / 3, 4)
    assert r["contaminated"] == ["policy/two-steps", "rego/git-main"]
    assert r["per_task"]["rego/git-main"] == {"exact": 1, "near": 0}

    text = format_decontamination(r)
    assert "1 of 3 suite prompts (33.3%)" in text
    assert "rego/git-main" in text and f"{data / 'train.jsonl'}:3" in text


def test_one_word_changed_in_a_long_prompt_is_near(tmp_path: Path) -> None:
    qa_changed = QA.replace("inside", "within")
    f = write_jsonl(tmp_path / "t.jsonl", [chat(qa_changed), chat(OTHER)])
    r = decontaminate(SUITE, [f])
    assert [(row["task"], row["line"]) for row in r["near"]] == [("qa/hash-default", 1)]
    assert r["exact"] == []


def test_different_prompts_are_not_flagged(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "t.jsonl", [chat(OTHER), chat(OTHER.replace("fulcio", "rekor")), chat("")])
    r = decontaminate(SUITE, [f])
    assert r["exact"] == [] and r["near"] == []
    assert r["exact_rate"] == r["near_rate"] == 0.0
    assert "no overlap found" in format_decontamination(r)


def test_deterministic(tmp_path: Path) -> None:
    rows = [chat(POLICY.replace("year", w)) for w in ("month", "week", "day", "decade")] + [chat(REGO)] * 3
    f = write_jsonl(tmp_path / "t.jsonl", rows)
    a = decontaminate(SUITE, [f])
    assert json.dumps(a, sort_keys=True) == json.dumps(decontaminate(SUITE, [f]), sort_keys=True)
    assert [row["line"] for row in a["exact"]] == [5, 6, 7]
    capped = decontaminate(SUITE, [f], max_matches=2)
    assert len(capped["exact"]) == 2 and capped["per_task"]["rego/git-main"]["exact"] == 3


def test_normalize() -> None:
    assert normalize("  Hello,\tWORLD!  witness_run --step=build ") == "hello world witness run step build"
    assert normalize("Ünïcode — «quoted» café…") == "ünïcode quoted café"


def test_shingle_hashes_do_not_depend_on_what_came_before() -> None:
    first = Shingler(2)
    a = first("a b a c a b")  # words new to the cache, one of them repeated
    assert len(a) == 4  # {a b, b a, a c, c a}: "a b" occurs twice
    assert np.array_equal(first("a b a c a b"), a)
    other = Shingler(2)
    other("zeta eta theta a")
    assert np.array_equal(other("a b a c a b"), a)
    assert len(Shingler(5)("only three words")) == 1  # shorter than a shingle: one shingle
    assert len(Shingler(5)("")) == 0


def test_bad_input(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps(chat(QA)) + "\n{not json\n")
    with pytest.raises(InputError, match=r"bad\.jsonl:line 2: invalid JSON"):
        decontaminate(SUITE, [f])
    f.write_text('{"prompt": "x"}\n')
    with pytest.raises(InputError, match=r'line 1: expected an object with a "messages" list'):
        decontaminate(SUITE, [f])
    with pytest.raises(InputError, match="no such file or directory"):
        decontaminate(SUITE, [tmp_path / "missing"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"no train\.jsonl"):
        decontaminate(SUITE, [empty])


def test_lsh_params_favour_recall() -> None:
    bands, rows = lsh_params(0.8, 128)
    assert bands * rows <= 128
    assert 1 - (1 - 0.8**rows) ** bands >= 0.99
    # one more row per band would drop below 99% recall at the threshold
    assert 1 - (1 - 0.8 ** (rows + 1)) ** (128 // (rows + 1)) < 0.99
