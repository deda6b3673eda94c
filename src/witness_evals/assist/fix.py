"""Fix rounds: feed the failed checks back to the model and ask again, up to N times.

Round 0 is the plain answer. While an answer fails a check and rounds are left, the conversation is
extended with that answer and a user turn listing the failed checks (`feedback`), and the model
answers again. Request ids are the original id for round 0 and `ID#fixK` for round K (so an
`answers:` file can script the rounds). The answer kept is the first that passes every check, else
the one with the fewest failed checks (earliest on ties). A corrected answer that drops every
artifact the first answer had does not pass (it would pass vacuously).

`answer_many_with_fixes` batches each round over many conversations (what `bench --fix N` needs);
`answer_with_fixes` is the one-conversation form used by `ask` and `serve`; `bench_fixer` hands the
loop to `run_bench` (the bench cannot import this package: it is built on the bench).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from witness_evals.assist.checks import ArtifactCheck, Checker, CheckReport
from witness_evals.bench.fix_rounds import MAX_FIX_ROUNDS, Fixer, round_id
from witness_evals.inference import Backend, Completion, GenerationSettings, Request

FEEDBACK_HEAD = "I checked your answer with an executable model of witness ({version}). These checks failed:"
FEEDBACK_TAIL = (
    "Send the complete corrected answer again (every policy, Rego module and command in full), "
    "fixing these problems."
)


@dataclass(frozen=True)
class Round:
    """One answer of a fix loop and its checks."""

    index: int
    text: str
    report: CheckReport
    completion_tokens: int | None = None
    seconds: float = 0.0
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.report.passed

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.index,
            "passed": self.passed,
            "failed": len(self.report.failed),
            "completion_tokens": self.completion_tokens,
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


class FixResult(NamedTuple):
    """The kept answer, every round, and the kept answer's checks."""

    text: str
    rounds: tuple[Round, ...]
    checks: CheckReport

    @property
    def kept(self) -> Round:
        return next(r for r in self.rounds if r.text == self.text and r.report is self.checks)

    def kept_after(self, k: int) -> Round:
        """The round that would have been kept had the loop stopped after `k` fix rounds."""
        return _keep(list(self.rounds[: k + 1]))

    def failed_lines(self, index: int) -> list[str]:
        """The failed checks of round `index`, one line each."""
        return [c.line() for c in self.rounds[index].report.failed]

    @property
    def passed_round(self) -> int | None:
        """Index of the round whose answer passed every check (None: none did)."""
        kept = self.kept
        return kept.index if kept.passed else None

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.checks.passed and self.kept.error is None,
            "passed_round": self.passed_round,
            "kept_round": self.kept.index,
            "rounds": [r.to_json() for r in self.rounds],
            **{k: v for k, v in self.checks.to_json().items() if k != "passed"},
        }


def feedback(report: CheckReport, lost: Sequence[str] = ()) -> str:
    """The user turn that asks for a corrected answer."""
    lines = [FEEDBACK_HEAD.format(version=report.witness_version or "witness")]
    lines += [c.line() for c in report.failed]
    lines += [f"✗ the answer no longer contains the {kind} of your first answer" for kind in lost]
    lines.append(FEEDBACK_TAIL)
    return "\n".join(lines)


def _lost(first: CheckReport, now: CheckReport) -> list[str]:
    names = {"policy": "policy", "rego": "Rego module", "command": "witness command"}
    return [names[k] for k, n in first.artifacts.items() if n and not now.artifacts.get(k) and k in names]


def _keep(rounds: list[Round]) -> Round:
    ok = [r for r in rounds if r.passed]
    if ok:
        return ok[0]
    usable = [r for r in rounds if r.error is None] or rounds
    return min(usable, key=lambda r: (len(r.report.failed), r.index))


def answer_many_with_fixes(
    backend: Backend,
    requests: Sequence[Request],
    n: int,
    settings: GenerationSettings,
    checker: Checker,
    *,
    questions: Sequence[str] | None = None,
    on_round: Callable[[int, int], None] | None = None,
    on_text: Callable[[int, str], None] | None = None,
    on_checked: Callable[[Round], None] | None = None,
) -> list[FixResult]:
    """Answer every request with up to `n` fix rounds; results in request order.

    `questions[i]` is what the checker reads attestor hints from (default: the last user turn).
    `on_round(k, pending)` is called before round k with the number of conversations still open.
    With one request, `on_text(k, piece)` gets round k's text as it is generated (`generate_streaming`)
    and `on_checked(round)` each round once it is checked.
    """
    if not 0 <= n <= MAX_FIX_ROUNDS:
        raise ValueError(f"fix rounds must be between 0 and {MAX_FIX_ROUNDS}, got {n}")
    convs = [list(r.messages) for r in requests]
    asked = list(questions) if questions is not None else [_last_user(r.messages) for r in requests]
    history: list[list[Round]] = [[] for _ in requests]
    pending = list(range(len(requests)))
    for k in range(n + 1):
        if not pending:
            break
        if on_round is not None:
            on_round(k, len(pending))
        batch = [Request(round_id(requests[i].id, k), convs[i], requests[i].max_new_tokens) for i in pending]
        done: list[Completion]
        if on_text is not None and len(batch) == 1:
            done = [generate_streaming(backend, batch[0], settings, partial(on_text, k))]
        else:
            done = backend.generate(batch, settings)
        still: list[int] = []
        for i, c in zip(pending, done, strict=True):
            if c.error is not None:
                history[i].append(
                    Round(
                        k,
                        "",
                        CheckReport(witness_version=checker.version.release),
                        c.completion_tokens,
                        c.seconds,
                        c.error,
                    )
                )
                continue
            report = checker.check(c.text, asked[i])
            lost = _lost(history[i][0].report, report) if history[i] else []
            if lost:
                failed = tuple(ArtifactCheck("answer", "answer", f"keeps the {kind}", False) for kind in lost)
                report = CheckReport(report.checks + failed, report.artifacts, report.witness_version)
            history[i].append(Round(k, c.text, report, c.completion_tokens, c.seconds))
            if on_checked is not None:
                on_checked(history[i][-1])
            if report.passed:
                continue
            if k < n:
                convs[i] = [
                    *convs[i],
                    {"role": "assistant", "content": c.text},
                    {"role": "user", "content": feedback(report)},
                ]
                still.append(i)
        pending = still
    results = []
    for rounds in history:
        kept = _keep(rounds)
        results.append(FixResult(kept.text, tuple(rounds), kept.report))
    return results


def bench_fixer(*, witness_version: str | None = None, now: datetime | None = None) -> Fixer:
    """The fix loop as `run_bench(fixer=...)` wants it: one `Checker` per call, closed after it."""

    def fixer(
        backend: Backend, requests: Sequence[Request], settings: GenerationSettings, n: int
    ) -> list[FixResult]:
        with Checker(witness_version=witness_version, now=now) as checker:
            return answer_many_with_fixes(backend, requests, n, settings, checker)

    return fixer


def answer_with_fixes(
    backend: Backend,
    messages: list[dict[str, str]],
    n: int,
    settings: GenerationSettings | None = None,
    checker: Checker | None = None,
    *,
    request_id: str = "ask",
    question: str | None = None,
    max_new_tokens: int | None = None,
    on_text: Callable[[int, str], None] | None = None,
    on_checked: Callable[[Round], None] | None = None,
) -> FixResult:
    """One conversation with up to `n` fix rounds: `(text, rounds, checks) = answer_with_fixes(...)`;
    `on_text(k, piece)` streams round k's text, `on_checked(round)` follows each round's checks."""
    own = checker is None
    checker = checker or Checker()
    try:
        return answer_many_with_fixes(
            backend,
            [Request(request_id, messages, max_new_tokens)],
            n,
            settings or GenerationSettings(),
            checker,
            questions=[question] if question is not None else None,
            on_text=on_text,
            on_checked=on_checked,
        )[0]
    finally:
        if own:
            checker.close()


def generate_streaming(
    backend: Backend, request: Request, settings: GenerationSettings, on_text: Callable[[str], None]
) -> Completion:
    """Answer one request, its text passed to `on_text` as it is generated (`hf:` streams token by
    token; a backend that cannot stream passes the whole text once it is done)."""
    stream = getattr(backend, "stream", None)
    if callable(stream):
        completion: Completion = stream(request, settings, on_text)
        return completion
    completion = backend.generate([request], settings)[0]
    if completion.text:
        on_text(completion.text)
    return completion


def _last_user(messages: Sequence[dict[str, str]]) -> str:
    return next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
