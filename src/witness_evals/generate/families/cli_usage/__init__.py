"""Family `commands`: from what a user wants done, the exact `witness` command (or the CI file around it).

Intents (`KINDS`): `run` (record a command as a step), `ci` (record a step inside the user's GitHub
Actions / GitLab CI / Jenkins / Tekton / Makefile / shell / CodeBuild file, answered with the whole
modified file), `ci-line` (the same, but the user asks for only the witness line of the `run:` /
`script:` / `sh` / `build` step, answered with that one command), `sign` (a policy), `verify` (an artifact
against a signed policy), `other` (attestors list/schema, policy check, completion, version), `fix` (a
command with a realistic mistake), `pair` (sign a policy, then verify an artifact with it: both commands),
`edit` ("here is my current line, change X") and `followup` (two turns: a `witness run` request and its
answer, then a change to that command; answered with the complete new command).
Answers teach (`generate.teach`): why, the complete command or file, how to check it.

Every reference command is parsed with the CLI grammar of the target release and must be clean; its
parsed *meaning* (flags by long name with defaults dropped, list values as sets, the effective attestor
set of `run`, the command after `--`) is the check. `score` parses the witness commands of an answer
the same way, also inside CI YAML, `sh '...'` steps and `VAR=x witness ...` lines, so aliases, flag
order and quoting do not matter; nothing in an answer is ever executed.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable
from typing import Any

from witness_evals.bench.answers import code_blocks
from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.command import meaning, score_command
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate import phrasing, teach
from witness_evals.generate.example import Example
from witness_evals.generate.families import Family
from witness_evals.generate.families.cli_usage.built import Built
from witness_evals.generate.families.cli_usage.ci import make_ci, make_ci_line
from witness_evals.generate.families.cli_usage.edit import make_edit, make_followup
from witness_evals.generate.families.cli_usage.fix import make_fix
from witness_evals.generate.families.cli_usage.other import make_other
from witness_evals.generate.families.cli_usage.pair import make_pair
from witness_evals.generate.families.cli_usage.run import make_run
from witness_evals.generate.families.cli_usage.sign_verify import make_sign, make_verify
from witness_evals.generate.families.cli_usage.spec import Spec, analyse_reference, render
from witness_evals.witness import simulate, versions
from witness_evals.witness.cli.data import DEFAULT_ATTESTORS
from witness_evals.witness.versions import WitnessVersion

NAME = "commands"
KINDS = ("run", "ci", "ci-line", "sign", "verify", "other", "fix", "pair", "edit", "followup")
KIND_WEIGHTS = (13, 15, 10, 8, 12, 10, 20, 6, 6, 7)
MAKERS: dict[str, Callable[[random.Random, WitnessVersion], Built]] = {
    "run": make_run,
    "ci": make_ci,
    "sign": make_sign,
    "verify": make_verify,
    "other": make_other,
    "fix": make_fix,
    "pair": make_pair,
    "edit": make_edit,
    "followup": make_followup,
    "ci-line": make_ci_line,
}

__all__ = ["FAMILY", "KINDS", "NAME", "Spec", "make", "make_kind", "render", "score"]


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def _check_run_semantics(m: dict[str, Any], a_attestors: list[str] | None, has_command: bool) -> None:
    """Cross-check the analyser's attestor set with the simulator (`simulate.select_attestors`)."""
    specs, _ = simulate.select_attestors(
        a_attestors if a_attestors is not None else DEFAULT_ATTESTORS, command=has_command
    )
    if sorted(s.name for s in specs) != m["attestors"]:
        raise AssertionError(f"attestor sets disagree: {m['attestors']} vs {[s.name for s in specs]}")


def make(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Example:
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    return make_kind(rng, kind, version)


def make_kind(rng: random.Random, kind: str, version: WitnessVersion = versions.LATEST) -> Example:
    """An example of one intent (`KINDS`) for the release `version`."""
    b = MAKERS[kind](rng, version)
    a = analyse_reference(b.command, version)
    m = meaning(a)
    if m["subcommand"] == "run":
        selected = a.flags.get("attestations")
        _check_run_semantics(m, list(selected) if selected is not None else None, bool(a.command))
    check: dict[str, Any] = {"kind": "command", "subcommand": m["subcommand"], "expect": m, **b.extra_check}
    answer = teach.render(
        rng, b.lesson
    )  # the generator rejects it unless `score` passes (also inside CI files)
    system = phrasing.system_prompt(rng)
    question = phrasing.dress(rng, b.question) if b.dress else b.question
    group = f"commands/{b.kind}/{_digest({'check': check, 'extra': b.group})}"
    return Example(
        family=NAME,
        group=group,
        template=b.template,
        question=question,
        answer=answer,
        check=check,
        system=system,
        meta={"kind": b.kind},
        history=[dict(m) for m in b.history],
    )


def file_must(answer: str, check: dict[str, Any]) -> Score | None:
    """A failed score if the CI file the answer shows lacks a line the check's `file_must` requires (the file
    around the command must hand witness what it needs, e.g. `id-token: write`); None if all are there. Only
    code blocks whose info string matches the entry's `lang` (the CI file's language) count; an answer without such a block, i.e. one
    that gives only the command, is judged by the command alone."""
    musts = check.get("file_must")
    if not isinstance(musts, list):
        return None
    blocks = code_blocks(answer)
    for must in musts:
        if not isinstance(must, dict):
            continue
        lang = str(must.get("lang", ""))
        code = [body for info, body in blocks if not lang or re.fullmatch(lang, info)]
        if code and not any(re.search(str(must.get("pattern", "")), body) for body in code):
            return Score.failed(str(must.get("why") or "the CI file lacks a required line"))
    return None


@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    """Judge an answer: its last clean `witness <subcommand>` command must mean what the check expects
    (in the grammar of the release the check was made for), and its CI file must hold what `file_must` lists."""
    res = score_command(answer, check, ctx.version(check))
    if not res.ok:
        return res
    return file_must(answer, check) or res


FAMILY = Family(
    name=NAME,
    description="From a described intent, the exact witness command or CI file (run, ci, sign, verify, other, fix)",
    make=make,
    score=score,
)
