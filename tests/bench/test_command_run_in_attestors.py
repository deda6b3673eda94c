"""`command-run` in `run -a` is skipped by witness with a warning (witness cmd/run.go: `'command-run' is a
builtin attestor and cannot be called with --attestations flag`, then `continue`), so an answer naming it
next to the right list records the same run and passes; `-a command-run` alone still drops the default
environment,git list, and a reference may not carry the redundancy."""

from __future__ import annotations

from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.scorers.command import blocking_issues
from witness_evals.bench.suites import load_suite
from witness_evals.witness.cli import parse_command

_BASE = 'witness run -s package -k "$WITNESS_KEY" -a {a} -o package.att.json -- mvn -B -DskipTests package'


def _check() -> dict:
    return next(t for t in load_suite("hand") if t.id == "hand/command/jenkins-maven-package").check


def test_command_run_next_to_the_right_attestors_passes() -> None:
    with ScoreContext() as ctx:
        for a in ("environment,git,jenkins,maven", "environment,git,jenkins,maven,command-run"):
            assert score(_check(), f"```bash\n{_BASE.format(a=a)}\n```\n", ctx).passed, a


def test_command_run_instead_of_the_defaults_fails() -> None:
    with ScoreContext() as ctx:
        for a in ("jenkins,maven,command-run", "command-run"):
            assert not score(_check(), f"```bash\n{_BASE.format(a=a)}\n```\n", ctx).passed, a


def test_the_warning_still_blocks_a_reference() -> None:
    analysis = parse_command(_BASE.format(a="environment,git,jenkins,maven,command-run"))
    assert any(i.startswith("attestor-builtin") for i in blocking_issues(analysis))
    assert blocking_issues(analysis, answer=True) == []


def test_command_run_by_type_uri_is_not_tolerated() -> None:
    uri = "https://witness.dev/attestations/command-run/v0.1"
    analysis = parse_command(_BASE.format(a=f"environment,git,jenkins,maven,{uri}"))
    assert blocking_issues(analysis, answer=True)
