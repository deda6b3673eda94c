"""Dataset assembly: determinism across workers, resume, split hygiene, bad settings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from witness_evals.common.errors import InputError
from witness_evals.generate import build
from witness_evals.generate.dataset import DatasetSpec, build_dataset, plan_templates, split_of
from witness_evals.generate.families import GROUPS_SPAN_SPLITS
from witness_evals.generate.score import read_meta, score_answers
from witness_evals.generate.splits import SPLITS, normalize_question

MIX = {"facts": 1.0, "commands": 1.0}


def _files(d: Path) -> dict[str, bytes]:
    """Every file of a dataset directory (Parquet files under data/ included) by relative path."""
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@given(
    st.text(alphabet=st.sampled_from(list("aZ09_ .,-'`/\t\n\x0b\x1c\x85\xa0\u2028\u3000İßé²中")), max_size=40)
)
def test_normalize_question_is_the_regex_normalisation(text: str) -> None:
    """The translation-table path for ASCII text gives what the two regular expressions give."""
    assert normalize_question(text) == re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()
    assert (
        normalize_question(text.encode("ascii", "ignore").decode())
        == re.sub(
            r"\s+", " ", re.sub(r"[^\w\s]", " ", text.encode("ascii", "ignore").decode().lower())
        ).strip()
    )


def test_same_seed_same_bytes_whatever_the_workers(tmp_path: Path) -> None:
    spec = DatasetSpec(n=150, seed=7, mix=MIX, valid=0.1, test=0.1)
    build_dataset(spec, tmp_path / "one", workers=1)
    # two worker processes, through the CLI (a separate process: multiprocessing's helpers die with it)
    args = [
        "generate",
        "--out",
        str(tmp_path / "two"),
        "--n",
        "150",
        "--seed",
        "7",
        "--mix",
        "facts=1,commands=1",
    ]
    args += ["--valid", "0.1", "--test", "0.1", "--workers", "2", "--no-progress"]
    proc = subprocess.run(
        [sys.executable, "-m", "witness_evals", *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert one == two
    assert {"README.md", "data/train-00000-of-00001.parquet", "data/test-00000-of-00001.parquet"} <= set(one)
    assert not (tmp_path / "one" / ".parts").exists()
    other = DatasetSpec(n=150, seed=8, mix=MIX, valid=0.1, test=0.1)
    build_dataset(other, tmp_path / "three", workers=1)
    assert _files(tmp_path / "three")["train.jsonl"] != one["train.jsonl"]


@pytest.mark.parametrize("split_by", ["template", "group"])
def test_splits_share_no_group_and_no_question(tmp_path: Path, split_by: str) -> None:
    spec = DatasetSpec(n=200, seed=1, mix=MIX, valid=0.15, test=0.15, split_by=split_by)
    stats = build_dataset(spec, tmp_path)
    assert sum(stats["examples"].values()) == 200
    assert stats["rejected"] == {}
    leakage = stats["leakage"]
    assert leakage["split_by"] == split_by
    assert leakage["shared_groups"] == leakage["shared_questions"] == 0
    for pair in leakage["pairs"].values():
        assert pair["shared_groups"] == pair["shared_questions"] == 0
    near = leakage["near_duplicates_test_train"]
    assert near["test_prompts"] == stats["examples"]["test"]
    assert near["train_prompts"] == stats["examples"]["train"]
    assert 0.0 <= near["rate"] <= 1.0
    groups: dict[str, str] = {}
    templates: dict[str, str] = {}
    questions: set[str] = set()
    for split in SPLITS:
        chats = (tmp_path / f"{split}.jsonl").read_text().splitlines()
        meta = read_meta(tmp_path / f"{split}.meta.jsonl")
        assert len(chats) == len(meta) == stats["examples"][split]
        for line, row in zip(chats, meta, strict=True):
            if row["family"] not in GROUPS_SPAN_SPLITS or split_by == "group":
                assert groups.setdefault(row["group"], split) == split
            if split_by == "template":  # test phrasings are never in train
                assert templates.setdefault(row["template"], split) == split
            msgs = json.loads(line)["messages"]
            assert msgs[-1]["role"] == "assistant"
            q = normalize_question(msgs[-2]["content"])
            assert q not in questions
            questions.add(q)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"train.jsonl", "test.meta.jsonl", "stats.json"}


@pytest.mark.parametrize("split_by", ["template", "group"])
def test_facts_are_taught_in_train_and_asked_in_new_words_in_test(tmp_path: Path, split_by: str) -> None:
    """With the template split a fact's phrasings go to their templates' splits (a fact held out whole is
    one the model is never taught); with the group split a fact stays in one split."""
    stats = build_dataset(
        DatasetSpec(n=400, seed=3, mix={"facts": 1.0}, valid=0.1, test=0.2, split_by=split_by), tmp_path
    )
    where: dict[str, set[str]] = {}
    for split in SPLITS:
        for row in read_meta(tmp_path / f"{split}.meta.jsonl"):
            where.setdefault(row["group"], set()).add(split)
    spanning = [g for g, splits in where.items() if len(splits) > 1]
    leakage = stats["leakage"]
    assert leakage["shared_groups"] == leakage["shared_questions"] == 0
    if split_by == "template":
        assert spanning and leakage["shared_facts"] > 0 and leakage["shared_templates"] == 0
        assert stats["group_split_dropped"] == 0
    else:
        assert not spanning and leakage["shared_facts"] == 0


def test_every_written_reference_answer_passes_its_stored_check(tmp_path: Path) -> None:
    build_dataset(DatasetSpec(n=80, seed=2, mix=MIX, valid=0.2, test=0.2), tmp_path)
    for split in SPLITS:
        meta = read_meta(tmp_path / f"{split}.meta.jsonl")
        chats = [json.loads(x)["messages"] for x in (tmp_path / f"{split}.jsonl").read_text().splitlines()]
        report = score_answers(meta, {m["id"]: c[-1]["content"] for m, c in zip(meta, chats, strict=True)})
        assert report.to_json()["overall"]["rate"] == (1.0 if meta else 0.0)
        wrong = score_answers(meta, {m["id"]: "I don't know." for m in meta})
        assert wrong.to_json()["overall"]["passed"] == 0


def test_resume_reuses_finished_chunks_and_remakes_damaged_ones(tmp_path: Path) -> None:
    spec = DatasetSpec(n=300, seed=4, mix=MIX)
    build_dataset(spec, tmp_path / "fresh")
    out = tmp_path / "resumed"
    key = build.run_key(spec.seed, build.normalize_mix(spec.mix))
    store = build.PartStore(out, key)
    try:
        made = build.make_chunk((spec.seed, 0, build.CHUNK, build.normalize_mix(spec.mix)))
    finally:
        build.close_context()  # no sandbox worker may outlive the test
    store.save(0, made)
    store.save(1, made)  # wrong content for chunk 1 ...
    store.path(1).write_text("{broken\n")  # ... then damaged: it must be made again
    build_dataset(spec, out)
    assert _files(tmp_path / "fresh") == _files(out)


def test_split_is_a_function_of_seed_and_group() -> None:
    assert split_of(0, "g", 0.1, 0.1) == split_of(0, "g", 0.1, 0.1)
    got = {split_of(0, f"g{i}", 0.1, 0.1) for i in range(200)}
    assert got == set(SPLITS)


def test_template_plan_keeps_the_shares_by_example_count_in_every_family() -> None:
    # family a: 40 templates of equal weight; family b: one template holding half of b's examples
    counts = {("a", f"a/{i}"): 10 for i in range(40)}
    counts |= {("b", "b/big"): 100} | {("b", f"b/{i}"): 5 for i in range(20)}
    plan = plan_templates(3, counts, 0.1, 0.1)
    assert plan == plan_templates(3, counts, 0.1, 0.1)
    assert plan != plan_templates(4, counts, 0.1, 0.1)
    assert set(plan) == {t for _, t in counts}
    for fam in ("a", "b"):
        total = sum(n for (f, _), n in counts.items() if f == fam)
        for split in ("valid", "test"):
            share = sum(n for (f, t), n in counts.items() if f == fam and plan[t] == split) / total
            assert 0.05 <= share <= 0.15, (fam, split, share)


def test_template_split_drops_paraphrases_that_would_straddle_splits(tmp_path: Path) -> None:
    spec = DatasetSpec(n=300, seed=6, mix={"commands": 1.0, "traps": 1.0}, valid=0.15, test=0.15)
    stats = build_dataset(spec, tmp_path)
    assert stats["group_split_dropped"] > 0  # groups span templates: the other split's ones are dropped
    assert stats["leakage"]["shared_templates"] == stats["leakage"]["shared_groups"] == 0
    assert stats["template_splits"]["test"] == len(stats["test_templates"]) > 0
    for split in ("valid", "test"):
        assert 0.04 <= stats["examples"][split] / 300 <= 0.3


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (DatasetSpec(n=0), "n must be at least 1"),
        (DatasetSpec(valid=0.6, test=0.5), "valid and test fractions"),
        (DatasetSpec(mix={"nope": 1.0}), "unknown family 'nope'"),
        (DatasetSpec(mix={"facts": 0.0}), "positive sum"),
    ],
)
def test_bad_settings_are_input_errors(spec: DatasetSpec, message: str) -> None:
    with pytest.raises(InputError, match=message):
        spec.check()


def test_read_meta_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "test.meta.jsonl"
    p.write_text('{"id": "a", "family": "facts", "check": {}}\nnot json\n')
    with pytest.raises(InputError) as err:
        read_meta(p)
    assert "line 2" in err.value.one_line() and str(p) in err.value.one_line()


def test_a_family_may_keep_more_paraphrases_of_some_groups(tmp_path: Path) -> None:
    """facts keeps up to 12x the cap for the misconceptions, 4x for the other facts people get wrong and 2x for
    the rest; every other family's groups keep the cap."""
    from collections import Counter

    from witness_evals.generate.families import facts

    spec = DatasetSpec(n=1500, seed=3, mix={"facts": 1.0, "rego": 0.3}, valid=0.0, test=0.0, max_per_group=2)
    build_dataset(spec, tmp_path)
    per_group = Counter(row["group"] for row in read_meta(tmp_path / "train.meta.jsonl"))
    hot = {g: n for g, n in per_group.items() if g.startswith(facts.HOT_GROUPS)}
    misc = {g: n for g, n in hot.items() if g.startswith(facts.MISCONCEPTION_GROUPS)}
    assert max(misc.values()) > 8
    assert all(n <= 24 for n in misc.values())
    assert max(n for g, n in hot.items() if g not in misc) > 2
    assert all(n <= 8 for g, n in hot.items() if g not in misc)
    assert all(n <= 4 for g, n in per_group.items() if g.startswith("facts/") and g not in hot)
    assert max(n for g, n in per_group.items() if g.startswith("facts/") and g not in hot) > 2
    assert all(n <= 2 for g, n in per_group.items() if not g.startswith("facts/"))
