"""SMOKE dataset for the first real fine-tuning run (not the project's data generator).

Builds OpenAI-chat `train.jsonl` / `valid.jsonl` of short questions about the witness CLI and its
attestors, correct by construction: every answer is read from the project's verified model of
Witness (`witness_evals.witness.cli` flags and `witness_evals.witness.attestors`).

A *fact* is one (kind, subject) pair, e.g. ("short", "verify", "-k") or ("attestor-type", "git").
Each fact gets several phrasings of its question (seeded choice of templates) and one exact answer.
The split is by fact: a fact and all its phrasings land in exactly one split, and the script
asserts that no question text occurs in both. Same seed -> byte-identical files.

    python benchmarks/real_run/make_data.py --out .carry/data --seed 0
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from witness_evals.witness import cli as cli_spec
from witness_evals.witness.attestors import ALWAYS_RUN, ATTESTORS, DEFAULT_ATTESTORS

COMMANDS = ("run", "sign", "verify", "policy check")
SYSTEM = "You are an expert on in-toto/witness. Answer briefly and exactly."
PHRASINGS_PER_FACT = 3
VALID_FRACTION = 0.15

SELECTION_ANSWER = {
    "always": "Always: `witness run` records it in every run, whatever `-a` says.",
    "always-with-command": "Always when `witness run` is given a command to execute; not otherwise.",
    "default": "Yes: it is in the default of `-a/--attestations` (environment, git); giving `-a` replaces that default.",
    "opt-in": "No: it is opt-in; enable it with `-a {name}` on `witness run`.",
    "verify-only": "No: it is produced only by `witness verify`, never by `witness run`.",
}


@dataclass(frozen=True)
class Fact:
    """One fact: id (split unit), question phrasings, one exact answer."""

    fid: str
    questions: tuple[str, ...]
    answer: str


def _flag_ref(flag: cli_spec.Flag) -> str:
    return f"`--{flag.name}` (`-{flag.short}`)" if flag.short else f"`--{flag.name}`"


def _default_text(flag: cli_spec.Flag) -> str:
    if flag.default is None:
        return "none (unset)"
    if flag.default == "":
        return 'the empty string ""'
    return f"`{flag.default}`"


def _desc(flag: cli_spec.Flag) -> str:
    return flag.description.rstrip(".")


def flag_facts(command: str) -> list[tuple[str, list[str], str]]:
    """(fact id, question templates already filled, answer) for the visible flags of one command."""
    cmd = cli_spec.COMMANDS[command]
    flags = [f for f in cmd.visible_flags if f.name != "help" and not f.deprecated]
    descs = Counter(f.description.strip().lower() for f in flags)
    w = f"`witness {command}`"
    out: list[tuple[str, list[str], str]] = []
    for f in flags:
        ref = _flag_ref(f)
        meaning = f"{ref}: {_desc(f)}. Type {f.type}, default {_default_text(f)}."
        out.append(
            (
                f"flag|{command}|{f.name}",
                [
                    f"What does `--{f.name}` do in {w}?",
                    f"Explain the `--{f.name}` flag of {w}.",
                    f"In {w}, what is `--{f.name}` for?",
                    f"What is the purpose of {w} `--{f.name}`?",
                ],
                meaning,
            )
        )
        if f.short:
            out.append(
                (
                    f"short|{command}|{f.short}",
                    [
                        f"What does `-{f.short}` mean in {w}?",
                        f"In {w}, which long flag is `-{f.short}` short for?",
                        f"What is `-{f.short}` in {w}?",
                        f"{w} `-{f.short}`: what does it stand for?",
                    ],
                    f"`-{f.short}` is the shorthand for `--{f.name}`: {_desc(f)}.",
                )
            )
        if descs[f.description.strip().lower()] == 1:
            d = _desc(f)
            out.append(
                (
                    f"which|{command}|{f.name}",
                    [
                        f'Which flag of {w} is described as "{d}"?',
                        f"Which {w} flag do I use for this: {d}?",
                        f"Name the {w} flag for: {d}.",
                        f"In {w}, what flag does this: {d}?",
                    ],
                    f"{ref}.",
                )
            )
        out.append(
            (
                f"default|{command}|{f.name}",
                [
                    f"What is the default value of `--{f.name}` in {w}?",
                    f"If I omit `--{f.name}` on {w}, what value is used?",
                    f"Default of {w} `--{f.name}`?",
                    f"What does `--{f.name}` default to in {w}?",
                ],
                f"{_default_text(f)[0].upper()}{_default_text(f)[1:]} (type {f.type}).",
            )
        )
    return out


def attestor_facts() -> list[tuple[str, list[str], str]]:
    """Facts about every attestor: name <-> predicate type, run type, default/always selection."""
    out: list[tuple[str, list[str], str]] = []
    for name, spec in ATTESTORS.items():
        uri = spec.type
        out.append(
            (
                f"type|{name}",
                [
                    f"What is the predicate type URI of the `{name}` attestor?",
                    f"Which type URI does the witness `{name}` attestor use?",
                    f"Give the attestation type of `{name}` in witness.",
                    f"What `type` does a `{name}` attestation carry in a witness collection?",
                ],
                f"`{uri}`",
            )
        )
        out.append(
            (
                f"name|{name}",
                [
                    f"Which witness attestor has the type `{uri}`?",
                    f"What attestor produces `{uri}`?",
                    f"Name the attestor for predicate type `{uri}`.",
                    f"`{uri}` belongs to which witness attestor?",
                ],
                f"`{name}`",
            )
        )
        out.append(
            (
                f"runtype|{name}",
                [
                    f"What is the run type of the `{name}` attestor?",
                    f"In which phase does the `{name}` attestor run?",
                    f"When does witness run the `{name}` attestor (its RunType)?",
                    f"Which attestation phase is `{name}` in?",
                ],
                f"{spec.run_type}",
            )
        )
        selection = SELECTION_ANSWER[spec.selection].format(name=name)
        out.append(
            (
                f"selection|{name}",
                [
                    f"Does `witness run` record the `{name}` attestor by default?",
                    f"Is `{name}` enabled by default in `witness run`?",
                    f"Do I need `-a {name}` to get a `{name}` attestation from `witness run`?",
                    f"Is the `{name}` attestor on without any `-a` flag?",
                ],
                selection,
            )
        )
    # consistency with the CLI's own constants (the model says: product/material always, env+git default)
    assert {n for n, s in ATTESTORS.items() if s.selection == "always"} == set(ALWAYS_RUN)
    assert {n for n, s in ATTESTORS.items() if s.selection == "default"} == set(DEFAULT_ATTESTORS)
    return out


def build_facts(seed: int) -> list[Fact]:
    """All facts, each with `PHRASINGS_PER_FACT` seeded phrasings, in a stable order."""
    raw = [item for c in COMMANDS for item in flag_facts(c)] + attestor_facts()
    ids = [fid for fid, _, _ in raw]
    assert len(ids) == len(set(ids)), "duplicate fact ids"
    facts = []
    for fid, templates, answer in raw:
        rng = random.Random(f"{seed}|{fid}")
        facts.append(Fact(fid, tuple(rng.sample(templates, PHRASINGS_PER_FACT)), answer))
    seen: dict[str, str] = {}
    for fact in facts:
        for q in fact.questions:
            assert seen.setdefault(q, fact.fid) == fact.fid, f"question shared by two facts: {q}"
    return facts


def split(facts: list[Fact], seed: int) -> tuple[list[Fact], list[Fact]]:
    """Split by fact: a seeded shuffle of fact ids, the first VALID_FRACTION go to valid."""
    order = sorted(facts, key=lambda f: f.fid)
    random.Random(seed).shuffle(order)
    n_valid = max(1, round(len(order) * VALID_FRACTION))
    return order[n_valid:], order[:n_valid]


def rows(facts: list[Fact], seed: int) -> list[dict[str, object]]:
    """One chat record per (fact, phrasing), shuffled with the seed."""
    out: list[dict[str, object]] = [
        {
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": q},
                {"role": "assistant", "content": f.answer},
            ],
            "fact": f.fid,
        }
        for f in facts
        for q in f.questions
    ]
    random.Random(seed + 1).shuffle(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(".carry/data"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    facts = build_facts(args.seed)
    train, valid = split(facts, args.seed)
    train_q = {q for f in train for q in f.questions}
    valid_q = {q for f in valid for q in f.questions}
    assert not train_q & valid_q, "question in both splits"
    assert not {f.fid for f in train} & {f.fid for f in valid}, "fact in both splits"
    args.out.mkdir(parents=True, exist_ok=True)
    for name, part in (("train", train), ("valid", valid)):
        lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows(part, args.seed)]
        (args.out / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    kinds = Counter(f.fid.split("|")[0] for f in facts)
    print(
        json.dumps(
            {
                "facts": len(facts),
                "train_facts": len(train),
                "valid_facts": len(valid),
                "train_examples": len(train_q),
                "valid_examples": len(valid_q),
                "facts_by_kind": dict(sorted(kinds.items())),
                "out": str(args.out),
            }
        )
    )


if __name__ == "__main__":
    main()
