"""Parquet + dataset card, `witness-evals validate`, `witness-evals stats` and the split-leakage report."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from witness_evals.generate.dataset import DatasetSpec, build_dataset
from witness_evals.generate.leakage import (
    NearDuplicates,
    leakage_report,
    mask_values,
    scan_leakage,
    split_leakage,
)
from witness_evals.generate.splits import SPLITS
from witness_evals.generate.stats import file_stats, pem_key_types
from witness_evals.generate.validate import placeholder_problems, validate_files
from witness_evals.witness import crypto

MIX = {"commands": 1.0, "config": 1.0, "rego": 1.0, "traps": 1.0}


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "witness_evals", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=dict(os.environ, RUST_LIB_BACKTRACE="0"),
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("ds")
    stats = build_dataset(DatasetSpec(n=160, seed=3, mix=MIX, valid=0.15, test=0.15), out)
    return out, stats


def _chat(*answers: str, question: str = "How do I do this with witness?") -> str:
    messages = [{"role": "user", "content": question}]
    messages += [{"role": "assistant", "content": a} for a in answers]
    return json.dumps({"messages": messages}) + "\n"


# ------------------------------------------------------------------------------ parquet + card


def test_parquet_files_and_card_load_with_datasets(
    dataset: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    datasets = pytest.importorskip("datasets")
    out, stats = dataset
    card = (out / "README.md").read_text()
    header = yaml.safe_load(card.split("---\n")[1])
    assert header["license"] == "apache-2.0"
    assert header["language"] == ["en"]
    assert header["configs"][0]["data_files"][0] == {"split": "train", "path": "data/train-*.parquet"}
    assert "10K<n<100K" not in header["size_categories"] and header["size_categories"] == ["n<1K"]
    assert "| `traps` |" in card and "Held-out phrasing" in card
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert {name: len(ds[name]) for name in ds} == {
        "train": stats["examples"]["train"],
        "validation": stats["examples"]["valid"],
        "test": stats["examples"]["test"],
    }
    columns = {"messages", "id", "family", "template", "group", "check"}
    assert columns <= set(ds["train"].column_names) <= columns | {"witness_version"}
    first = json.loads((out / "test.jsonl").read_text().splitlines()[0])
    meta = json.loads((out / "test.meta.jsonl").read_text().splitlines()[0])
    row = ds["test"][0]
    assert row["messages"] == first["messages"]
    assert (row["id"], row["family"], row["template"]) == (meta["id"], meta["family"], meta["template"])
    assert json.loads(row["check"]) == meta["check"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"README.md", "data/validation-00000-of-00001.parquet"} <= set(manifest["files"])


# ------------------------------------------------------------------------------ leakage


def test_mask_values_hides_keys_digests_names_paths_and_numbers() -> None:
    pem = crypto.public_pem(crypto.generate_private_key("ed25519", seed=1).public_key()).decode()
    a = f'Sign `dist/app.tar` with key {"a" * 64} and "build-7" (see /etc/witness/x.yaml):\n{pem} 2026'
    b = f'Sign `out/other.bin` with key {"b" * 64} and "deploy-9" (see ./keys/y.pem):\n{pem} 1999'
    assert mask_values(a) == mask_values(b)
    assert "witness" not in mask_values(a).replace("Sign", "")  # the path /etc/witness/... is masked
    assert mask_values("What's the flag? It's -s.") == "What's the flag? It's -s."


_PLAIN_MASKS = (  # the masks in their plain form: assertion first, one alternation per string character
    (r"-----BEGIN [A-Z0-9 ]+-----.*?-----END [A-Z0-9 ]+-----", " pemblock "),
    (r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'`<>)\]]+", " urlvalue "),
    (r'"(?:[^"\\\n]|\\.)*"', " strvalue "),
    (r"(?<![\w'])'[^'\n]*'(?![\w'])", " strvalue "),
    (r"(?<!`)`[^`\n]+`(?!`)", " strvalue "),
    (r"(?<![\w/])(?:~|\.{1,2})?/?(?:[\w.@+-]+/)+[\w.@+-]*", " pathvalue "),
    (r"[A-Za-z0-9+/]{20,}={0,2}", " b64value "),
    (r"\b[0-9a-fA-F]{8,}\b", " hexvalue "),
    (r"\d+", " numvalue "),
)
_PIECES = ["a", "Z", "9", "_", " ", "\n", "'", '"', "`", "``", "\\", "/", "./", "~/", "://", "http", "=", "é",
           "deadbeef", "A" * 19, "-----BEGIN K-----", "-----END K-----", "it's"]  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), max_size=25))
def test_mask_values_is_the_plain_masks(parts: list[str]) -> None:
    text = expected = "".join(parts)
    for pattern, repl in _PLAIN_MASKS:
        expected = re.sub(pattern, repl, expected, flags=re.S if pattern.startswith("-----") else 0)
    assert mask_values(text) == expected


def test_near_duplicates_are_found_after_masking_and_different_prompts_are_not() -> None:
    base = " ".join(f"word{i}" for i in range(60))
    near = NearDuplicates()
    near.index(
        [("t1", f"{base} key 0123456789abcdef path dist/a.tar"), ("t2", "a completely different question")]
    )
    near.stream(
        [("x1", f"{base} key fedcba9876543210 path build/b.bin"), ("x2", "nothing in common here at all")]
    )
    assert set(near.best) == {"t1"}
    assert near.best["t1"][1] == "x1" and near.best["t1"][0] == 1.0


def _write_split(out: Path, split: str, rows: list[tuple[str, str, str]], family: str = "commands") -> None:
    """rows: (template, group, prompt) of `family` written as a tiny split."""
    with (out / f"{split}.jsonl").open("w") as fc, (out / f"{split}.meta.jsonl").open("w") as fm:
        for i, (template, group, prompt) in enumerate(rows):
            fc.write(_chat("answer", question=prompt))
            meta = {
                "id": f"{split}-{i}",
                "family": family,
                "template": template,
                "group": group,
                "check": {},
            }
            fm.write(json.dumps(meta) + "\n")


def test_split_leakage_counts_what_is_shared(tmp_path: Path) -> None:
    long = " ".join(f"w{i}" for i in range(40))
    train = [("t/a", "g1", f"{long} 1"), ("t/b", "g2", "q two"), ("t/b", "g2", "q three"), ("t/b", "g3", "q")]
    _write_split(tmp_path, "train", train)
    _write_split(tmp_path, "valid", [("t/c", "g4", "q four")])
    _write_split(tmp_path, "test", [("t/b", "g2", f"{long} 2"), ("t/d", "g1", "Q Two!")])
    got = split_leakage(tmp_path, SPLITS)
    assert got["pairs"]["train/test"] == {
        "shared_templates": 1,
        "shared_groups": 2,
        "shared_questions": 1,
        "shared_facts": 0,
    }
    assert got["pairs"]["train/valid"] == {
        "shared_templates": 0,
        "shared_groups": 0,
        "shared_questions": 0,
        "shared_facts": 0,
    }
    near = got["near_duplicates_test_train"]
    assert (near["test_prompts"], near["near_duplicates"], near["rate"]) == (2, 2, 1.0)
    assert near["examples"][0] == {"test": "test-0", "train": "train-0", "jaccard": 1.0}
    for split, rows in (("train", train), ("test", [("t/b", "g2", "q five"), ("t/d", "g1", "q six")])):
        _write_split(tmp_path, split, rows, family="facts")  # facts: a group is a fact, asked in any split
    facts = split_leakage(tmp_path, SPLITS)["pairs"]["train/test"]
    assert (facts["shared_groups"], facts["shared_facts"]) == (0, 2)


def test_split_leakage_in_parts_is_the_same_report(tmp_path: Path) -> None:
    """Scans of consecutive parts of train, merged in order, give the one-pass report (first matches)."""
    words = [" ".join(f"{w}x{chr(97 + i)}y" for i in range(26)) for w in ("pq", "rs", "tu", "vw")]
    test = [(f"t/{i}", f"g{i}", f"{w} test") for i, w in enumerate(words)]
    train = [
        (f"t/{i % 5}", f"h{i}", f"{words[i % 4]} copy {i}" if i % 3 else f"other prompt {i}")
        for i in range(40)
    ]
    _write_split(tmp_path, "train", train)
    _write_split(tmp_path, "valid", [("t/9", "g1", "q four")])
    _write_split(tmp_path, "test", test)
    whole = split_leakage(tmp_path, SPLITS)
    assert whole["near_duplicates_test_train"]["near_duplicates"] == 4
    for parts in (2, 3, 7):
        scans = [scan_leakage(tmp_path, SPLITS, part=k, parts=parts) for k in range(parts)]
        assert sum(sc.streamed for sc in scans) == 40
        assert json.dumps(leakage_report(scans)) == json.dumps(whole)


# ------------------------------------------------------------------------------ validate


def test_validate_our_files_passes_and_reports_a_wrong_answer(
    dataset: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, _ = dataset
    proc = _cli("validate", str(out / "valid.jsonl"), str(out / "test.jsonl"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all checks passed" in proc.stdout and "hidden checks from the .meta.jsonl" in proc.stdout
    lines = (out / "test.jsonl").read_text().splitlines()
    broken = json.loads(lines[1])
    broken["messages"][-1]["content"] = "I don't know."
    lines[1] = json.dumps(broken)
    (tmp_path / "test.jsonl").write_text("\n".join(lines) + "\n")
    shutil.copy(out / "test.meta.jsonl", tmp_path / "test.meta.jsonl")
    family = json.loads((out / "test.meta.jsonl").read_text().splitlines()[1])["family"]
    proc = _cli("validate", str(tmp_path / "test.jsonl"), "--json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["failed"] == 1 and report["families"][family]["failed"] == 1
    (name, check), *_ = [(n, c) for n, c in report["checks"].items() if c["failed"]]
    assert name.startswith(f"{family}/")
    assert check["failures"][0]["file"] == str(tmp_path / "test.jsonl") and check["failures"][0]["line"] == 2


GOOD_REGO = (
    'package x\n\nimport rego.v1\n\ndeny contains msg if {\n\tinput.exitcode != 0\n\tmsg := "failed"\n}\n'
)
BAD_POLICY = {
    "expires": "2030-01-01T00:00:00Z",
    "steps": {"build": {"name": "other", "attestations": [], "functionaries": []}},
}


def test_validate_third_party_file_runs_the_generic_checks(
    dataset: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, _ = dataset
    ours = [json.loads(x)["messages"][-1]["content"] for x in (out / "train.jsonl").read_text().splitlines()]
    with_policy = next(a for a in ours if '"publickeys"' in a and "```json" in a)  # a corrected traps policy
    f = tmp_path / "theirs.jsonl"
    f.write_text(
        _chat(with_policy)  # 1: a valid policy
        + _chat(
            f"```rego\n{GOOD_REGO}```\n\n```bash\nwitness verify -p p.json -k pub.pem -a a.json -f app\n```"
        )
        + _chat(f"```json\n{json.dumps(BAD_POLICY)}\n```")  # 3: check_policy errors
        + _chat("```rego\npackage x\n\nallow := true\n```")  # 4: compiles, no deny
        + _chat("```rego\npackage x\ndeny[msg] {\n```")  # 5: does not compile
        + _chat("```bash\nwitness run --stepp build -k key.pem -o out.json -- make\n```")  # 6: bad flag
        + "\n"  # blank lines are skipped
        + _chat('```json\n{"key": "<base64 of the PEM>", "steps": {...}}\n```\nTODO: sign it')  # 8
    )
    report = validate_files([f])
    checks = report.to_json()["checks"]
    assert not report.ok and report.conversations == 7
    assert checks["policy"]["failed"] == 1 and checks["policy"]["examined"] == 2
    assert (
        checks["policy"]["failures"][0]["line"] == 3 and "name" in checks["policy"]["failures"][0]["reason"]
    )
    assert [x["line"] for x in checks["rego"]["failures"]] == [4, 5]
    assert "defines no deny" in checks["rego"]["failures"][0]["reason"]
    from witness_evals.generate.validate import command_lines  # the chosen answer may carry sign/verify lines

    assert checks["command"]["examined"] == 2 + len(command_lines(with_policy))
    assert checks["command"]["failures"][0]["line"] == 6
    assert checks["json"]["failures"][0]["line"] == 8
    problems = checks["placeholders"]["failures"][0]["reason"]
    assert checks["placeholders"]["failures"][0]["line"] == 8
    assert all(x in problems for x in ("<base64 of the PEM>", "TODO", "`...` inside a JSON block"))
    assert validate_files([f], workers=2).to_json() == report.to_json()  # same report in parallel
    proc = _cli("validate", str(f))
    assert proc.returncode == 1
    assert f"[rego] {f}:5: module 1 does not compile" in proc.stdout
    assert "generic checks" in proc.stdout


def test_placeholders_are_specific() -> None:
    assert placeholder_problems("Use `--step <name>` and `-k <key.pem>`; see https://x/..., ok.") == []
    # describing a format in prose or inline code is fine; the same inside an artifact is not
    assert placeholder_problems('Embed it as `{"module": "<base64 of the file>"}`.') == []
    assert placeholder_problems("```yaml\nkey: <unchanged key from above>\n```") == [
        "placeholder '<unchanged key from above>'"
    ]


@pytest.mark.parametrize(
    ("chat", "meta", "message"),
    [
        ("not json\n", None, "theirs.jsonl:1: invalid JSON"),
        ('{"messages": "hi"}\n', None, 'theirs.jsonl:1: expected an object with a non-empty "messages" list'),
        (
            '{"messages": [{"role": "user"}]}\n',
            None,
            "messages[0] must be an object with string role and content",
        ),
        (_chat("a") + _chat("b"), '{"id": "x", "family": "facts", "check": {}}\n', "has only 1 lines"),
        (
            _chat("a"),
            '{"id": "x", "family": "nope", "check": {}}\n',
            "theirs.meta.jsonl:1: unknown family 'nope'",
        ),
    ],
)
def test_validate_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, chat: str, meta: str | None, message: str
) -> None:
    (tmp_path / "theirs.jsonl").write_text(chat)
    if meta is not None:
        (tmp_path / "theirs.meta.jsonl").write_text(meta)
    proc = _cli("validate", str(tmp_path / "theirs.jsonl"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    missing = _cli("stats", str(tmp_path / "missing.jsonl"))
    assert missing.returncode == 2 and "missing.jsonl: no such file" in missing.stderr


# ------------------------------------------------------------------------------ stats


def test_pem_key_types_reads_plain_and_base64_pems() -> None:
    pems = [
        crypto.public_pem(crypto.generate_private_key(kind, seed=7).public_key()).decode()
        for kind in ("ed25519", "ecdsa-p256", "rsa-2048")
    ]
    private = crypto.private_pem(crypto.generate_private_key("ecdsa-p384", seed=7)).decode()
    text = f'{pems[0]}\n{{"key": "{base64.b64encode(pems[1].encode()).decode()}"}}\n{pems[2]}\n{private}'
    text += "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
    assert sorted(pem_key_types(text)) == sorted(
        ["ed25519", "ecdsa-p256", "rsa-2048", "private:ecdsa-p384", "unparsable"]
    )


def test_stats_of_a_dataset_and_the_plot(dataset: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, stats = dataset
    files = [out / f"{s}.jsonl" for s in SPLITS]
    got = file_stats(files).to_json()
    assert got["conversations"] == sum(stats["examples"].values())
    assert got["splits"] == stats["examples"]
    assert list(got["splits"]) == ["train", "valid", "test"]
    assert got["families"] == {f: {s: n for s, n in v.items() if n} for f, v in stats["families"].items()}
    assert got["templates"]["distinct"] == sum(stats["templates"].values())
    assert got["tokens"]["answer"]["n"] == got["conversations"]
    assert got["attestors"]["command-run"]["type_uri"] > 0 and got["attestors_mentioned"] >= 5
    assert sum(got["pem_key_types"].values()) > 0  # the traps policies carry base64 PEM keys
    assert got["answers_with_placeholders"] == 0
    assert sum(got["answer_tokens_histogram"].values()) == got["conversations"]
    png = tmp_path / "stats.png"
    proc = _cli("stats", *map(str, files), "--plot", str(png))
    assert proc.returncode == 0, proc.stderr
    assert "attestors mentioned" in proc.stdout and "distinct prompt openings" in proc.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    third = tmp_path / "theirs.jsonl"
    third.write_text(_chat('```json\n{"a": ...}\n```') + _chat("fine"))
    proc = _cli("stats", str(third), "--json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert (got["conversations"], got["answers_with_placeholders"], got["families"]) == (2, 1, {})
