"""The checked assistant: answers from a model, every artifact checked by the model of witness.

    with Checker(witness_version="0.12") as checker:
        result = answer_with_fixes(load_backend(model_spec(None)), messages, 2, checker=checker)
        print(result.text, result.checks.render(), result.passed_round)

`witness-evals ask` prints an answer and its ✓/✗ checks; `witness-evals serve` puts the same behind an
OpenAI-compatible endpoint; `bench --fix N` uses `answer_many_with_fixes`.
"""

from __future__ import annotations

from pathlib import Path

from witness_evals.assist.checks import ArtifactCheck, Checker, CheckReport, Pipeline, guess_attestor
from witness_evals.assist.fix import (
    MAX_FIX_ROUNDS,
    FixResult,
    Round,
    answer_many_with_fixes,
    answer_with_fixes,
    bench_fixer,
    feedback,
)
from witness_evals.common.errors import InputError

__all__ = [
    "MAX_FIX_ROUNDS",
    "ArtifactCheck",
    "CheckReport",
    "Checker",
    "FixResult",
    "Pipeline",
    "Round",
    "answer_many_with_fixes",
    "answer_with_fixes",
    "bench_fixer",
    "checks_block",
    "feedback",
    "guess_attestor",
    "model_spec",
    "render",
]


def model_spec(value: str | None) -> str:
    """`--model` of ask/serve as an inference spec: the embedded default (None), a training run
    directory (its adapter on its base), a model directory, a `.gguf`, or any spec as is."""
    from witness_evals.inference import parse_spec

    if value is None or value.strip() in ("", "default"):
        return "hf:default"
    path = Path(value).expanduser()
    scheme = value.split(":", 1)[0]
    if path.exists() or (":" not in value and scheme not in ("hf", "openai", "ollama", "mlx", "answers")):
        if path.is_dir():
            from witness_evals.export.run import load_run

            if (path / "config.json").is_file():
                return f"hf:{path}"
            run = load_run(path)  # InputError: no adapter
            return f"hf:{run.base_spec or 'default'},adapter={run.run_dir}"
        if path.is_file() and path.suffix == ".gguf":
            return f"hf:{path.parent},gguf={path.name}"
        raise InputError(
            "not a model spec, training run, model directory or .gguf file", source=f"--model {value}"
        )
    parse_spec(value)  # a malformed spec fails here, with its own message
    return value


def render(result: FixResult, *, fix: int) -> str:
    """The answer, then its checks, then (with fix rounds) which round passed."""
    return (result.text.strip() or "(empty answer)") + "\n\n" + checks_block(result, fix=fix)


def checks_block(result: FixResult, *, fix: int) -> str:
    """What `render` prints under the answer: the kept answer's checks and which round passed."""
    parts = [result.checks.render()]
    if fix:
        passed = result.passed_round
        tried = len(result.rounds) - 1
        if passed is None:
            parts.append(
                f"fix: no answer passed every check after {tried} fix round(s); kept round {result.kept.index}"
            )
        elif passed == 0:
            parts.append("fix: the first answer passed (no fix round needed)")
        else:
            parts.append(f"fix: round {passed} passed (after {passed} fix round(s))")
    return "\n".join(parts)
