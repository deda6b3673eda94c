"""witness-bench through inspect_ai, against a real OpenAI-compatible server on loopback.

The server answers each prompt with the task's reference (or planted-error) answer, so the adapter's
plumbing — samples, tiers, the provider call, the executed-check scorer — must give 100% and 0%.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai import eval as inspect_eval

from witness_evals.bench import suites
from witness_evals.bench.budget import answer_budget
from witness_evals.bench.inspect_task import samples, witness_bench
from witness_evals.bench.tiers import messages_for

LIMIT = 12


def _answers() -> dict[tuple[str, str], str]:
    """(model name, last user message) -> answer: model `reference` answers right, `planted` wrong."""
    tasks = suites.quick_subset(suites.load_suite("quick"), LIMIT)
    out = {}
    for t in tasks:
        for tier in ("bare", "context"):
            prompt = messages_for(t, tier)[-1]["content"]
            out["reference", prompt] = t.reference
            out["planted", prompt] = t.planted
    return out


class OracleServer:
    """`/v1/chat/completions` answering with a fixed answer per (model, last user message)."""

    def __init__(self, answers: dict[tuple[str, str], str]) -> None:
        self.answers = answers
        self.calls = 0
        self.budgets: dict[str, int | None] = {}  # last user message -> the max_tokens asked for
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.calls += 1
                server.budgets[body["messages"][-1]["content"]] = body.get("max_tokens")
                if not self.path.endswith("/chat/completions"):
                    self.send_error(404)
                    return
                text = server.answers.get((body["model"], body["messages"][-1]["content"]), "")
                reply = {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def oracle() -> Iterator[OracleServer]:
    """One server for the module: inspect caches a provider's client (and its base URL) per process."""
    server = OracleServer(_answers())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORACLE_API_KEY", "unused")
        mp.setenv("ORACLE_BASE_URL", server.url)
        yield server
    server.close()


def _accuracy(log: object) -> float:
    scores = log.results.scores  # type: ignore[attr-defined]
    return float(scores[0].metrics["accuracy"].value)


@pytest.mark.parametrize("planted, expected", [(False, 1.0), (True, 0.0)])
def test_oracle_and_planted_answers_through_inspect(
    oracle: OracleServer, tmp_path: Path, planted: bool, expected: float
) -> None:
    calls = oracle.calls
    for tier in ("bare", "context"):
        [log] = inspect_eval(
            witness_bench(suite="quick", tier=tier, limit=LIMIT),
            model="openai-api/oracle/" + ("planted" if planted else "reference"),
            log_dir=str(tmp_path / "logs"),
            display="none",
        )
        assert log.status == "success", log.error
        assert len(log.samples or []) == LIMIT
        assert _accuracy(log) == expected
        for s in log.samples or []:
            explanation = next(iter(s.scores.values())).explanation or ""
            wanted = ("no_artifact", "wrong_artifact", "invalid", "partial") if planted else ("pass",)
            assert explanation.startswith(wanted), explanation
    assert oracle.calls - calls == 2 * LIMIT


def test_each_request_asks_for_its_tasks_budget(oracle: OracleServer, tmp_path: Path) -> None:
    tasks = suites.quick_subset(suites.load_suite("quick"), LIMIT)
    for rule, cap in (("reference", 4096), ("reference", 2048), ("fixed", 700)):
        [log] = inspect_eval(
            witness_bench(suite="quick", limit=LIMIT, max_tokens=cap, budget=rule),
            model="openai-api/oracle/reference",
            log_dir=str(tmp_path / "logs"),
            display="none",
        )
        assert log.status == "success", log.error
        asked = [oracle.budgets[messages_for(t, "bare")[-1]["content"]] for t in tasks]
        assert asked == [answer_budget(t, cap, rule) for t in tasks]
        assert _accuracy(log) == 1.0
    assert len({answer_budget(t) for t in tasks}) > 1  # long references raise some budgets


def test_samples_carry_the_context_card_only_in_the_context_tier() -> None:
    bare = samples("quick", "bare", LIMIT)
    context = samples("quick", "context", LIMIT)
    assert [s.id.rsplit("|", 1)[0] for s in bare] == [s.id.rsplit("|", 1)[0] for s in context]
    assert any("Reference material:" in str(c.input[-1].content) for c in context)
    assert not any("Reference material:" in str(b.input[-1].content) for b in bare)


@pytest.mark.slow
def test_inspect_cli_finds_the_task_by_entry_point(oracle: OracleServer, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "inspect_ai",
            "eval",
            "witness_evals/witness_bench",
            "-T",
            "suite=quick",
            "-T",
            f"limit={LIMIT}",
            "--model",
            "openai-api/oracle/reference",
            "--log-dir",
            str(tmp_path),
            "--display",
            "plain",
        ],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "accuracy" in proc.stdout and "1.0" in proc.stdout, proc.stdout[-2000:]
