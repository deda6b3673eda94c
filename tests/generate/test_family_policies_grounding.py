"""Family `policies`: the prompt's story holds (an update's old policy is what the request describes),
answers name only files the user gave or the answer introduces, and no template residue (defects found in a
review of generated examples)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from grounding import answer_paths, file_pattern

from witness_evals.bench.answers import code_blocks
from witness_evals.generate import worlds as W
from witness_evals.generate.build import derived_rng
from witness_evals.generate.example import Example
from witness_evals.generate.families import policies as P

SEEDS = 700
_FILE = file_pattern("json|pem|pub|key|crt|rego|jar|tar|gz|tgz|zip|whl|js|bin|tmp|sh|yaml|yml")


@functools.cache
def examples() -> tuple[Example, ...]:
    return tuple(P.make(derived_rng(0, "test-policies-grounding", seed)) for seed in range(SEEDS))


def kind(ex: Example) -> str:
    return ex.template.rsplit("/", 1)[0]


def test_answers_name_only_given_or_introduced_files() -> None:
    """Every file in an answer is in the prompt, written by the answer's own commands (`-o`), or introduced
    by name for the JSON or the Rego module it writes (a `file`: label above it, or "Save it as `file`"). Failed before: the JSON block was
    never named and `policies/release.json` only turned up inside the sign command."""
    for seed, ex in enumerate(examples()):
        named = set(re.findall(r"(?:-o|--outfile)\s+(\S+)", ex.answer))
        named |= set(re.findall(r"`([^`\n]+)`:\n+```(?:json|rego)", ex.answer))
        named |= set(re.findall(r"(?:Save it as|Save this as|Write it to) `([^`\n]+)`", ex.answer))
        for path in answer_paths(ex.answer, _FILE) - named:
            assert path in "\n".join([*(m["content"] for m in ex.history), ex.question]), (
                seed,
                ex.template,
                path,
            )


def _old_policy(ex: Example) -> dict[str, Any]:
    body = next(b for lang, b in code_blocks(ex.question) if lang == "json")
    doc: dict[str, Any] = json.loads(body)
    return doc


def test_replace_key_old_policy_matches_the_request() -> None:
    """The old policy trusts the retired key on every step that uses the new key now, and the "new" key is
    not in it. Failed before: a key shared by `build` and `archive` was restored only on `archive`, so the
    old policy already showed the new key on `build` (and the request said both used one key)."""
    shared = 0
    for seed, ex in enumerate(examples()):
        if kind(ex) != "policies/update-replace-key":
            continue
        step, retired_json = ex.check["retired"]
        retired = W.functionary_from_json(retired_json)
        new = W.functionary_from_json(ex.check["funcs"][step][0])
        assert isinstance(retired, W.Key) and isinstance(new, W.Key)
        old = _old_policy(ex)
        assert new.keyid not in json.dumps(old), seed
        users = [n for n, fs in ex.check["funcs"].items() if ex.check["funcs"][step][0] in fs]
        for n in users:
            ids = [f["publickeyid"] for f in old["steps"][n]["functionaries"]]
            assert ids == [retired.keyid], (seed, n, ids)
        m = re.search(r"signing key \(([^)]*) use it\)", ex.question)
        if m:
            said = re.findall(r"`([^`]+)`", m.group(1))
            assert said == users, (seed, said, users)
            assert len({old["steps"][n]["functionaries"][0]["publickeyid"] for n in said}) == 1
            shared += 1
            prose = re.sub(r"```.*?```", "", ex.answer, flags=re.S)
            assert all(f"`{n}`" in prose for n in users), (seed, users)  # the answer moves every user
    assert shared >= 2


def test_no_directional_or_plural_residue() -> None:
    """No "lists below" after the JSON, no "All 2", no plural runs for a single step, no "the module below"
    when the module may come before the request."""
    for seed, ex in enumerate(examples()):
        assert "below" not in ex.answer, (seed, ex.template)
        assert "All 2 " not in ex.answer, seed
        assert "the module below" not in ex.question, seed
        if kind(ex) == "policies/one-step":
            for text in ("`attestations` lists", "each run records", "Commands, in order:", "those runs",
                         "the runs produce", "a run records"):  # fmt: skip
                assert text not in ex.answer and text not in ex.question, (seed, text)


def test_x509_answer_does_not_overclaim() -> None:
    """`certConstraint` pins attributes, not a certificate: another certificate from the same CA with the
    same identity passes (go-witness policy/constraints.go)."""
    for seed, ex in enumerate(examples()):
        assert "another certificate from the same CA is refused" not in ex.answer, seed


def test_key_file_names_are_not_doubled() -> None:
    for seed, ex in enumerate(examples()):
        assert "signer-signer" not in ex.question + ex.answer, seed
