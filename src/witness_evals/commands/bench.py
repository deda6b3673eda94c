"""`witness-evals bench ...` and `witness-evals report`: witness-bench from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from witness_evals.bench.budget import BUDGETS, DEFAULT_MAX_TOKENS
from witness_evals.common.errors import InputError

bench_app = typer.Typer(
    help="witness-bench: score a model on Witness tasks by executing checks on its answers.",
    invoke_without_command=True,
)


def _progress_bar(enabled: bool) -> Any:
    """A progress callback drawing one tqdm bar per phase (answer, score) on stderr."""
    if not enabled:
        return None
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def update(phase: str, done: int, total: int) -> None:
        bar = bars.get(phase)
        if bar is None:
            bar = bars[phase] = tqdm(total=total, desc=phase, unit=" answers", file=sys.stderr, leave=True)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def _fixer(options: Any) -> Any:
    """The assistant's fix loop for `--fix N` (checks at the bench's fixed time, as it scores)."""
    if not options.fix:
        return None
    from witness_evals.assist import bench_fixer
    from witness_evals.bench.scorers.context import NOW

    return bench_fixer(witness_version=options.witness_version, now=NOW)


@bench_app.callback()
def bench(
    ctx: typer.Context,
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        help="hf:PATH[,adapter=DIR] | default | openai:URL#MODEL | ollama:NAME | mlx:PATH | answers:FILE",
    ),
    suite: str = typer.Option(
        "default", "--suite", help="default | hand | generated | quick | a .yaml task file"
    ),
    limit: int | None = typer.Option(None, "--limit", help="A fixed stratified subset of N tasks."),
    samples: int = typer.Option(
        1, "--samples", help="Answers per task and tier (pass@k); needs --temperature > 0."
    ),
    temperature: float = typer.Option(0.0, "--temperature", help="0 = greedy."),
    max_new_tokens: int = typer.Option(
        DEFAULT_MAX_TOKENS,
        "--max-new-tokens",
        help="The most tokens an answer may have (every answer's, with --budget fixed).",
    ),
    budget: str = typer.Option(
        BUDGETS[0],
        "--budget",
        help="reference: 1,536 tokens, more (up to --max-new-tokens) for a task whose reference answer is long "
        "(a policy with its keys); fixed: --max-new-tokens for every task (as every run before this option).",
    ),
    tiers: str = typer.Option(
        "bare,context", "--tiers", help="bare (the request) and/or context (+ schema)."
    ),
    witness_version: str = typer.Option(
        "0.12",
        "--witness-version",
        help="Score every answer as this witness release would treat it: 0.12 (latest), 0.11, 0.10.",
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Run directory (default runs/bench-<time>)."),
    resume: bool = typer.Option(False, "--resume", help="Continue a killed run in --out."),
    label: str | None = typer.Option(None, "--label", help="Name of this run in reports."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
    fix: int = typer.Option(
        0, "--fix", help="Fix rounds: failed self-checks go back to the model, up to N times (0-5)."
    ),
    first_answers: Path | None = typer.Option(
        None,
        "--first-answers",
        help="A run of the same model and settings: its answers are this run's first answers, "
        "requests it did not answer are asked (e.g. --fix N after a plain run asks only the fix rounds).",
    ),
    workers: int = typer.Option(1, "--workers", help="Scoring processes."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="hf: prompts per batch."),
    concurrency: int = typer.Option(8, "--concurrency", help="HTTP backends: requests in flight."),
    timeout: float = typer.Option(120.0, "--timeout", help="HTTP backends: seconds per request."),
    plain: bool = typer.Option(
        False, "--plain-generate", help="hf: the plain model.generate loop (for speed comparisons)."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
) -> None:
    """Answer every task with a model, score the answers by executing checks, write a summary."""
    if ctx.invoked_subcommand is not None:
        return
    if model is None:
        raise InputError(
            "missing --model (e.g. --model default, --model hf:PATH, --model answers:FILE)", source="bench"
        )
    from datetime import UTC, datetime

    from witness_evals.bench.run import BenchOptions, run_bench
    from witness_evals.bench.summary import format_table

    options = BenchOptions(
        suite=suite,
        limit=limit,
        samples=samples,
        temperature=temperature,
        max_new_tokens=max_new_tokens,
        budget=budget,
        tiers=tuple(t.strip() for t in tiers.split(",") if t.strip()),
        witness_version=witness_version,
        seed=seed,
        label=label,
        score_workers=workers,
        fix=fix,
    )
    out = out or Path("runs") / f"bench-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
    backend_options = {
        "batch_size": batch_size,
        "concurrency": concurrency,
        "timeout": timeout,
        "fast": not plain,
    }
    summary = run_bench(
        model,
        out,
        options,
        resume=resume,
        backend_options=backend_options,
        progress=_progress_bar(progress),
        fixer=_fixer(options),
        first_answers=first_answers,
    )
    typer.echo(format_table(summary))
    if fix:
        from witness_evals.bench.fix_rounds import format_fix

        typer.echo(format_fix(summary))
    typer.echo(f"run: {out}  (witness-evals report {out} --out report.html)")


@bench_app.command("tasks")
def tasks(
    suite: str = typer.Option("default", "--suite", help="default | hand | generated | quick | a .yaml file"),
    validate: bool = typer.Option(
        False, "--validate", help="Check every reference passes and every planted error fails."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON task per line."),
) -> None:
    """List a suite's tasks (or validate them: exit 1 if any reference fails or planted error passes)."""
    from collections import Counter

    from witness_evals.bench import suites
    from witness_evals.bench.scorers import ScoreContext

    items = suites.load_suite(suite)
    if as_json:
        for t in items:
            typer.echo(json.dumps(t.to_json(), ensure_ascii=False))
    else:
        counts = Counter((t.kind, t.source) for t in items)
        typer.echo(
            f"suite {suite} v{suites.SUITE_VERSION}: {len(items)} tasks, fingerprint {suites.fingerprint(items)[:16]}"
        )
        for (kind, source), n in sorted(counts.items()):
            typer.echo(f"  {kind:<9} {source:<9} {n}")
    if validate:
        with ScoreContext() as ctx:
            problems = suites.validate(items, ctx)
        for p in problems:
            typer.echo(f"{p['task']}: {p['answer']} answer {p['outcome']}: {p['reason']}", err=True)
        typer.echo(f"validated {len(items)} tasks: {len(problems)} problem(s)")
        if problems:
            raise typer.Exit(1)


@bench_app.command("show")
def show(
    task_id: str = typer.Argument(..., help="A task id (see `bench tasks --json`)."),
    suite: str = typer.Option("default", "--suite"),
    materialize: Path | None = typer.Option(
        None, "--materialize", help="Write the task's keys, pipelines and answers here."
    ),
) -> None:
    """Print one task (prompt, check, reference); optionally write its files to reproduce it by hand."""
    from witness_evals.bench import suites
    from witness_evals.bench.materialize import materialize as write_task

    match = [t for t in suites.load_suite(suite) if t.id == task_id]
    if not match:
        raise InputError(f"no task {task_id!r} in suite {suite!r}")
    task = match[0]
    for m in task.messages:
        typer.echo(f"## {m['role']}\n{m['content']}\n")
    typer.echo(f"## check\n{json.dumps(task.check, indent=1)[:4000]}\n\n## reference\n{task.reference}")
    if materialize is not None:
        paths = write_task(task, materialize)
        typer.echo(f"wrote {len(paths)} files under {materialize}")


@bench_app.command("oracle")
def oracle(
    out: Path = typer.Option(..., "--out", "-o", help="Answers JSONL to write (for --model answers:FILE)."),
    suite: str = typer.Option("default", "--suite"),
    planted: bool = typer.Option(False, "--planted", help="Write the planted-error answers instead."),
    tiers: str = typer.Option("bare,context", "--tiers"),
) -> None:
    """Write the reference (or planted-error) answers of a suite: a check of the bench itself."""
    from witness_evals.bench import suites
    from witness_evals.bench.run import request_id
    from witness_evals.common.jsonio import write_atomic

    rows = [
        json.dumps({"id": request_id(t.id, tier, 0), "answer": t.planted if planted else t.reference}) + "\n"
        for t in suites.load_suite(suite)
        for tier in (x.strip() for x in tiers.split(",") if x.strip())
    ]
    write_atomic(out, "".join(rows))
    typer.echo(f"wrote {len(rows)} answers to {out}")


@bench_app.command("decontaminate")
def decontaminate(
    dataset: list[Path] = typer.Argument(..., help="Training data: a dataset directory or chat JSONL files."),
    suite: str = typer.Option("default", "--suite"),
    threshold: float = typer.Option(0.8, "--threshold", help="Jaccard similarity of a near-duplicate."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Exact and near-duplicate (MinHash) overlap between the suite's prompts and a training set."""
    from witness_evals.bench import suites
    from witness_evals.bench.decontaminate import decontaminate as overlap
    from witness_evals.bench.decontaminate import format_decontamination

    prompts = {t.id: t.prompt_text() for t in suites.load_suite(suite)}
    result = overlap(prompts, dataset, threshold=threshold)
    typer.echo(json.dumps(result, indent=1) if as_json else format_decontamination(result))


@bench_app.command("compare")
def compare(
    run_a: Path = typer.Argument(..., help="The baseline run directory (A)."),
    run_b: Path = typer.Argument(..., help="The run compared with it (B)."),
    tier: str = typer.Option("bare", "--tier", help="The tier to compare."),
    list_tasks: bool = typer.Option(False, "--tasks", help="Also list the gained and lost task ids."),
    by_kind: bool = typer.Option(
        False, "--by-kind", help="Also a row per source and task kind (hand/policy, generated/rego, ...)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Tasks B gained and lost against A (overall, hand-written, generated) and the exact McNemar p."""
    from witness_evals.bench.paired import compare as paired
    from witness_evals.bench.paired import format_comparison
    from witness_evals.bench.report import load_run

    a, b = load_run(run_a), load_run(run_b)
    result = paired(a.samples, b.samples, tier, by_kind=by_kind)
    if not result.groups["all"].tasks:
        raise InputError(f"no task answered by both runs in tier {tier!r}", source=str(run_b))
    suites = [(r.info.get("suite_version"), r.info.get("fingerprint")) for r in (a, b)]
    if as_json:
        typer.echo(json.dumps({**result.to_json(), "same_suite": suites[0] == suites[1]}, indent=1))
        return
    labels = [str(r.info.get("label") or r.path.name) for r in (a, b)]
    typer.echo(format_comparison(result, *labels, list_tasks=list_tasks))
    if suites[0] != suites[1]:
        typer.echo(
            f"note: the runs were scored with different suites (version {suites[0][0]} vs {suites[1][0]}, or other "
            "tasks): rescore one with `witness-evals bench --model answers:FILE` to compare like with like"
        )


@bench_app.command("arms")
def arms(
    arm_a: list[Path] = typer.Option(..., "--a", help="A run of the baseline arm (repeat for each run)."),
    arm_b: list[Path] = typer.Option(..., "--b", help="A run of the arm compared with it (repeat)."),
    tier: str = typer.Option("bare", "--tier", help="The tier to compare."),
    by_kind: bool = typer.Option(
        False, "--by-kind", help="Also a row per source and task kind (hand/policy, generated/rego, ...)."
    ),
    draws: int = typer.Option(10_000, "--draws", min=100, help="Bootstrap draws."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Two arms of several runs (e.g. trainings with different seeds): mean passed tasks, B - A with a
    bootstrap interval over tasks and runs, and how many tasks two runs of one arm disagree on."""
    from witness_evals.bench.arms import compare_arms, format_arms
    from witness_evals.bench.report import load_run

    runs_a, runs_b = [load_run(r) for r in arm_a], [load_run(r) for r in arm_b]
    result = compare_arms(
        [r.samples for r in runs_a],
        [r.samples for r in runs_b],
        tier,
        by_kind=by_kind,
        draws=draws,
        seed=seed,
    )
    if "all" not in result.groups:
        raise InputError(f"no task answered by every run in tier {tier!r}", source=str(arm_b[0]))
    suites = {(r.info.get("suite_version"), r.info.get("fingerprint")) for r in (*runs_a, *runs_b)}
    if as_json:
        typer.echo(json.dumps({**result.to_json(), "same_suite": len(suites) == 1}, indent=1))
        return
    labels = [[str(r.info.get("label") or r.path.name) for r in runs] for runs in (runs_a, runs_b)]
    typer.echo(format_arms(result, *labels))
    if len(suites) > 1:
        typer.echo(
            "note: the runs were scored with different suites: rescore them with `witness-evals bench --model "
            "answers:FILE` to compare like with like"
        )


def report(
    runs: list[Path] = typer.Argument(..., help="Run directories of `witness-evals bench`."),
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="HTML file to write."),
    max_failures: int = typer.Option(
        2000, "--max-failures", min=0, help="Failures listed per run (spread over tiers and kinds)."
    ),
) -> None:
    """One HTML report of one or more runs side by side."""
    from witness_evals.bench.report import render_report

    render_report(runs, out, max_failures=max_failures)
    typer.echo(f"wrote {out}")


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add `bench` and `report` to the CLI."""
    del check_app
    app.add_typer(bench_app, name="bench")
    app.command("report")(report)
