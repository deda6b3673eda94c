"""`witness-evals serve`: real HTTP on loopback, through httpx and the `openai` client."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from assist_helpers import BAD, GOOD, free_port

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

QUESTION = "Write a command-run Rego policy and the witness run command for `make`."


class Server:
    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "witness_evals", "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # bounded wait for the port
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.proc.stderr.read()}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("serve did not come up in 120 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)


@pytest.fixture()
def scripted_server(scripted: Path) -> Iterator[Server]:
    server = Server("--model", f"answers:{scripted}", "--name", "witness-test")
    yield server
    server.stop()


def test_chat_completion_carries_answer_and_checks(scripted_server: Server) -> None:
    body = {"model": "witness-test", "messages": [{"role": "user", "content": QUESTION}]}
    started = time.perf_counter()
    r = httpx.post(f"{scripted_server.base}/v1/chat/completions", json=body, timeout=60)
    latency = time.perf_counter() - started
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["object"] == "chat.completion" and data["choices"][0]["finish_reason"] == "stop"
    text = data["choices"][0]["message"]["content"]
    assert text.startswith("Here is the policy:") and "✗ policy: loads, key ids match" in text
    ext = data["witness"]
    assert ext["passed"] is False and ext["answer"].startswith("Here is the policy:")
    assert {c["kind"] for c in ext["checks"]} == {"policy", "rego", "command"}
    assert latency < 30
    fixed = httpx.post(
        f"{scripted_server.base}/v1/chat/completions",
        json={**body, "witness_fix": 1, "witness_checks": False},
        timeout=60,
    ).json()
    assert [r["round"] for r in fixed["witness"]["rounds"]] == [0, 1]
    assert "Checks (" not in fixed["choices"][0]["message"]["content"]


def test_openai_client_plain_and_streaming(scripted_server: Server) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{scripted_server.base}/v1", api_key="unused", timeout=60, max_retries=0)
    assert [m.id for m in client.models.list()] == ["witness-test"]
    reply = client.chat.completions.create(
        model="witness-test", messages=[{"role": "user", "content": QUESTION}]
    )
    assert "✓ command 1: `witness run" in (reply.choices[0].message.content or "")
    assert reply.model_extra and reply.model_extra["witness"]["passed"] is False
    stream = client.chat.completions.create(
        model="witness-test",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        extra_body={"witness_fix": 1},
    )
    chunks = list(stream)
    parts = [c.choices[0].delta.content or "" for c in chunks]
    last = chunks[-1]
    text = "".join(parts)
    # round 0 as generated, the failed checks and a rule, round 1, then the kept answer's checks
    assert text.startswith(BAD)
    rule = text.index("--- fix round 1 ---")
    assert "✗ round 0: policy: loads, key ids match" in text[len(BAD) : rule]
    assert text[rule:].split("\n\n", 1)[1].startswith(GOOD)
    assert parts[-1].startswith("\n\nChecks (") and "fix: no answer passed" in parts[-1]
    assert "all checks pass" not in parts[-1]  # round 1 drops the policy
    assert last.choices[0].finish_reason == "stop" and all(
        c.model_extra.get("witness") is None for c in chunks[:-1]
    )
    assert [r["round"] for r in last.model_extra["witness"]["rounds"]] == [0, 1]
    quiet = client.chat.completions.create(
        model="witness-test",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        extra_body={"witness_checks": False},
    )
    chunks = list(quiet)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == BAD
    assert chunks[-1].model_extra["witness"]["passed"] is False


@pytest.mark.parametrize(
    ("payload", "status", "fragment"),
    [
        (b"{not json", 400, "JSON"),
        (b'{"model": "m"}', 400, "messages"),
        (b'{"messages": []}', 400, "messages"),
        (b'{"messages": [{"role": "user", "content": "hi"}], "n": 2}', 400, "n"),
        (b'{"messages": [{"role": "wizard", "content": "hi"}]}', 400, "role"),
        (b'{"messages": [{"role": "system", "content": "hi"}]}', 400, "user message"),
        (b'{"messages": [{"role": "user", "content": "hi"}], "witness_fix": 99}', 400, "witness_fix"),
        (b'{"messages": [{"role": "user", "content": "hi"}], "stream": "maybe"}', 400, "stream"),
        (b'{"messages": [{"role": "user", "content": 5}]}', 400, "content"),
        (b"[1, 2]", 400, "valid dictionary"),
    ],
)
def test_malformed_requests_get_openai_shaped_400(
    scripted_server: Server, payload: bytes, status: int, fragment: str
) -> None:
    r = httpx.post(
        f"{scripted_server.base}/v1/chat/completions",
        content=payload,
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and fragment.lower() in error["message"].lower()


def test_a_model_failure_is_a_500_or_an_error_event(tmp_path: Path) -> None:
    openai = pytest.importorskip("openai")
    from assist_helpers import write_answers

    server = Server("--model", f"answers:{write_answers(tmp_path / 'a.jsonl', {'other': 'x'})}")
    try:
        body = {"messages": [{"role": "user", "content": QUESTION}]}
        r = httpx.post(f"{server.base}/v1/chat/completions", json=body, timeout=30)
        assert r.status_code == 500 and "no answer in" in r.json()["error"]["message"]
        client = openai.OpenAI(base_url=f"{server.base}/v1", api_key="unused", timeout=30, max_retries=0)
        with pytest.raises(openai.APIError, match="the model failed: no answer in"):
            list(client.chat.completions.create(model="m", messages=body["messages"], stream=True))
    finally:
        server.stop()


def test_unknown_path_is_a_json_404(scripted_server: Server) -> None:
    r = httpx.get(f"{scripted_server.base}/v1/nothing", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found_error"


def test_a_port_in_use_is_one_line_exit_2(scripted_server: Server, scripted: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "witness_evals",
            "serve",
            "--model",
            f"answers:{scripted}",
            "--port",
            str(scripted_server.port),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        f"error: --port: cannot listen on 127.0.0.1:{scripted_server.port}: address already in use"
    ]


def test_serve_a_trained_run(assist_run: Path) -> None:
    openai = pytest.importorskip("openai")
    server = Server("--model", str(assist_run))
    try:
        client = openai.OpenAI(base_url=f"{server.base}/v1", api_key="unused", timeout=120, max_retries=0)
        messages = [{"role": "user", "content": "What does witness run do?"}]
        reply = client.chat.completions.create(model="witness-assistant", messages=messages, max_tokens=8)
        assert (
            reply.choices[0].message.content
            and reply.model_extra["witness"]["rounds"][0]["completion_tokens"] >= 1
        )
        print(json.dumps({"serve_seconds": reply.model_extra["witness"]["seconds"]}))
        stream = client.chat.completions.create(
            model="witness-assistant", messages=messages, max_tokens=16, stream=True
        )
        chunks = list(stream)
        at = next(i for i, c in enumerate(chunks) if (c.model_extra or {}).get("witness"))
        tokens = [c.choices[0].delta.content for c in chunks[:at] if c.choices[0].delta.content]
        ext = chunks[at].model_extra["witness"]
        # token by token: about one chunk per generated token, all before the checks chunk
        assert len(tokens) > 1 and len(tokens) >= ext["rounds"][0]["completion_tokens"] // 2
        assert "".join(tokens) == ext["answer"]
        assert (chunks[at].choices[0].delta.content or "").startswith("\n\nChecks (")
        assert chunks[at].choices[0].finish_reason == "stop" and at == len(chunks) - 1
    finally:
        server.stop()
