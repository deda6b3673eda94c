"""`generate --paraphrase`: rewrites through a real OpenAI-compatible server on loopback, verified.

The fast tests run `RewriteServer`, a stdlib `http.server` speaking the OpenAI chat API that rewrites by
fixed rules chosen by the requested model: `rewriter` (prepends a sentence, swaps the first two
sentences, sometimes wraps the reply in a preamble and quotes), `dropper` (drops a code span or a code
block), `down` (HTTP 503), `flaky` (503 once per prompt, then a rewrite) and `slow` (answers after the
client's timeout). The slow test serves the embedded SmolLM2-135M GGUF with `python -m llama_cpp.server`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from witness_evals.common.errors import InputError
from witness_evals.generate import paraphrase
from witness_evals.generate.dataset import DatasetSpec, build_dataset
from witness_evals.generate.paraphrase import (
    DELIMITER,
    ReplyCache,
    clean_reply,
    connect,
    judge,
    protected_spans,
)
from witness_evals.generate.splits import SPLITS
from witness_evals.generate.validate import validate_files
from witness_evals.inference import request_seed

MIX = {"facts": 1.0, "commands": 1.0, "config": 1.0}  # no Rego: no sandbox left behind by a killed run
MODELS = ("rewriter", "dropper", "down", "flaky", "slow")
LEAD = "A teammate asked me to pass this on."


def original_of(request_text: str) -> str:
    """The prompt between the request's delimiter lines."""
    start = request_text.index(f"\n{DELIMITER}\n") + len(DELIMITER) + 2
    end = request_text.rindex(f"\n{DELIMITER}")
    return request_text[start:end]


def rewrite(prompt: str) -> str:
    """`rewriter`'s rule: a new first sentence, the first two sentences of the first line swapped."""
    head, sep, tail = prompt.partition("\n")
    if head.lstrip().startswith(("```", "~~~")):
        return f"{LEAD}\n{prompt}"
    sentences = re.split(r"(?<=[.?!])\s+", head)
    if len(sentences) >= 2:
        sentences[0], sentences[1] = sentences[1], sentences[0]
    return f"{LEAD} {' '.join(sentences)}{sep}{tail}"


def drop(prompt: str) -> str:
    """`dropper`'s rule: drop (every copy of) the first `code span`, else the first fenced block, else
    just reword."""
    span = re.search(r"`[^`\n]+`", re.sub(r"```.*?```", lambda m: "\0" * len(m.group(0)), prompt, flags=re.S))
    if span:
        return f"{LEAD} {prompt.replace(span.group(0), '')}"
    block = re.search(r"^```.*?^```[ \t]*$", prompt, flags=re.M | re.S)
    if block:
        return f"{LEAD} {prompt[: block.start()]}{prompt[block.end() :]}"
    return f"{LEAD} {prompt}"


def _digest(text: str) -> int:
    return hashlib.sha256(text.encode()).digest()[0]


class RewriteServer:
    """An OpenAI-compatible chat server on 127.0.0.1 with fixed rewrite rules (one per model name)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []  # every POST body, in arrival order
        self.answered: list[str] = []  # original prompts whose reply was sent in full
        self.seen_flaky: set[str] = set()
        self.kill_pid: int | None = None
        self.kill_at: int | None = None  # on this POST (1-based): kill the client, then answer
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    self._reply(
                        200, {"object": "list", "data": [{"id": m, "object": "model"} for m in MODELS]}
                    )
                else:
                    self._reply(404, {"error": "not found"})

            def do_POST(self) -> None:
                if self.path != "/v1/chat/completions":
                    self._reply(404, {"error": "not found"})
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = original_of(body["messages"][-1]["content"])
                with server.lock:
                    server.requests.append(body)
                    count = len(server.requests)
                if server.kill_at is not None and count == server.kill_at and server.kill_pid:
                    time.sleep(1.0)  # the client has stored every earlier reply by now
                    os.kill(server.kill_pid, signal.SIGKILL)
                    return  # no reply: it was killed while waiting for this one
                model = body["model"]
                if model == "down":
                    self._reply(503, {"error": "overloaded"})
                    return
                if model == "flaky":
                    with server.lock:
                        first = prompt not in server.seen_flaky
                        server.seen_flaky.add(prompt)
                    if first:
                        self._reply(503, {"error": "try again"})
                        return
                if model == "slow":
                    time.sleep(2.0)
                text = drop(prompt) if model == "dropper" else rewrite(prompt)
                if model == "rewriter" and _digest(prompt) % 2:
                    text = f'Here is the rewritten message:\n\n"{text}"'
                try:
                    self._reply(
                        200,
                        {
                            "id": "chatcmpl-1",
                            "object": "chat.completion",
                            "model": model,
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": text},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                        },
                    )
                except OSError:
                    return  # the client is gone
                with server.lock:
                    server.answered.append(prompt)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def spec(self, model: str) -> str:
        return f"openai:http://127.0.0.1:{self.httpd.server_address[1]}/v1#{model}"

    def prompts(self) -> list[str]:
        with self.lock:
            return [original_of(b["messages"][-1]["content"]) for b in self.requests]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server() -> Iterator[RewriteServer]:
    s = RewriteServer()
    yield s
    s.close()


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def _rows(out: Path) -> list[tuple[str, dict[str, Any], list[dict[str, str]]]]:
    """(split, meta row, messages) of every example of a dataset."""
    rows = []
    for split in SPLITS:
        metas = (out / f"{split}.meta.jsonl").read_text("utf-8").splitlines()
        chats = (out / f"{split}.jsonl").read_text("utf-8").splitlines()
        rows += [(split, json.loads(m), json.loads(c)["messages"]) for m, c in zip(metas, chats, strict=True)]
    return rows


def _spec(server: RewriteServer, model: str, **kw: Any) -> DatasetSpec:
    settings: dict[str, Any] = {"n": 40, "seed": 3, "mix": MIX, "valid": 0.1, "test": 0.1}
    return DatasetSpec(paraphrase=server.spec(model), **{**settings, **kw})


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same settings without paraphrasing: what every fallback must equal."""
    out = tmp_path_factory.mktemp("plain")
    build_dataset(DatasetSpec(n=40, seed=3, mix=MIX, valid=0.1, test=0.1), out)
    return out


# -- the pieces --------------------------------------------------------------------------------------


def test_protected_spans_are_found_generically() -> None:
    prompt = (
        "Sign `build.att.json` with -k keys/ci.pem and --timestamp-servers https://freetsa.org/tsr, then "
        "push to ghcr.io/acme/app:1.4 by 2031-02-03T00:00:00Z. The step is called build, the branch 'main', "
        'e.g. "release candidate"; set WITNESS_KEY. CI/CD and and/or stay words.\n\n```yaml\njob: x\n```\n'
    )
    spans = protected_spans(prompt, ["build", "nothing-here", "x"])
    assert "```yaml\njob: x\n```" in spans
    for value in (
        "`build.att.json`",
        "-k",
        "keys/ci.pem",
        "--timestamp-servers",
        "https://freetsa.org/tsr",
        "ghcr.io/acme/app:1.4",
        "2031-02-03T00:00:00Z",
        "main",
        "release candidate",
        "WITNESS_KEY",
        "build",  # a check value named in the prose
    ):
        assert value in spans, value
    for word in ("CI/CD", "and/or", "e.g", "nothing-here", "x", "Sign", "step"):
        assert word not in spans, word


def test_replies_lose_their_wrapping() -> None:
    original = "Which flag names the step? I use `witness run`."
    body = "I use `witness run`: which flag names the step?"
    for reply in (
        f'Here is the rewritten message:\n\n"{body}"',
        f"Sure! Here's a paraphrased version:\n{body}\n\nLet me know if you need anything else.",
        f"Rewritten message: {body}",
        f"<think>they want a rewrite</think>\n{DELIMITER}\n{body}\n{DELIMITER}",
        f"“{body}”",
        f"```text\n{body}\n```",
    ):
        assert clean_reply(reply, original) == body, reply
    assert clean_reply('"quoted" start and end "kept"', '"quoted" start and end "kept"') == (
        '"quoted" start and end "kept"'
    )


def test_judge_names_the_reason() -> None:
    original = "Use `build.json` with -k key.pem.\n\n```yaml\na: 1\n```"
    spans = protected_spans(original)
    ok = "With -k key.pem, please use `build.json`.\n\n```yaml\na: 1\n```"
    assert judge(original, ok, spans) is None
    assert judge(original, "", spans) == "empty"
    assert judge(original, original + "  ", spans) == "unchanged"
    assert judge(original, original.lower(), spans) == "unchanged"
    assert judge(original, f"The original message was: {ok}", spans) == "commentary"
    assert judge(original, f"Rewritten, it reads: {ok}", spans) == "commentary"
    assert judge(original, ok.replace("key.pem", "key.pub"), spans) == "missing_span"
    assert judge(original, ok + "\n```sh\nrm -rf /\n```", spans) == "code_blocks"
    assert judge(original, ok.replace("```yaml\na: 1\n```", ""), spans) == "code_blocks"
    assert judge(original, ok.replace("please", "please " + "really " * 60), spans) == "length"


def test_the_reply_cache_survives_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "cache.jsonl"
    cache = ReplyCache(path)
    cache.put("a", "prompt a", "reply a\u2028with odd lines\n")
    cache.put("b", "prompt b", "reply b")
    cache.close()
    with path.open("ab") as fh:
        fh.write(b'{"id": "c", "prompt": "')  # a kill in the middle of a write
    cache = ReplyCache(path)
    assert cache.get("a", "prompt a") == "reply a\u2028with odd lines\n"
    assert cache.get("a", "another prompt") is None and cache.get("c", "prompt c") is None
    cache.put("c", "prompt c", "reply c")
    cache.close()
    cache = ReplyCache(path)
    assert [cache.get(k, f"prompt {k}") for k in "abc"] == [
        "reply a\u2028with odd lines\n",
        "reply b",
        "reply c",
    ]
    cache.close()
    assert path.read_bytes().count(b"\n") == 3


# -- against the loopback server ---------------------------------------------------------------------


def test_kept_rewrites_change_the_prompt_and_validate(
    server: RewriteServer, plain: Path, tmp_path: Path
) -> None:
    out = tmp_path / "d"
    stats = build_dataset(_spec(server, "rewriter"), out)
    para = stats["paraphrase"]
    assert para["chosen"] == len(server.requests) > 10  # about half of the 40 examples, each asked once
    assert para["kept"] >= 0.8 * para["chosen"]
    assert set(para["rejected"]) <= {"missing_span"}  # only a sentence split inside a code span
    plain_rows = {m["id"]: msgs for _, m, msgs in _rows(plain)}
    rows = _rows(out)
    assert [m["id"] for _, m, _ in rows] == [m["id"] for _, m, _ in _rows(plain)]  # same examples, same order
    changed = 0
    for _, meta, msgs in rows:
        before = plain_rows[meta["id"]]
        assert msgs[:-2] == before[:-2] and msgs[-1] == before[-1]  # only the last user turn may change
        if meta.get("paraphrased"):
            changed += 1
            assert msgs[-2]["content"] == rewrite(before[-2]["content"])
            assert msgs[-2]["content"].startswith(LEAD)
        else:
            assert msgs[-2] == before[-2]
    assert changed == para["kept"]
    assert sum(s["kept"] for s in para["by_split"].values()) == para["kept"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["paraphrase"] == para and manifest["spec"]["paraphrase"]["model"] == server.spec(
        "rewriter"
    )
    assert json.loads((out / "stats.json").read_text())["paraphrase"] == para
    report = validate_files([out / f"{s}.jsonl" for s in SPLITS])
    assert report.ok and report.conversations == 40
    # settings reach the server: the temperature, and a seed per example derived from --seed and its id
    ids = {m["id"] for _, m, _ in rows if m.get("paraphrased")}
    seeds = {b["seed"] for b in server.requests}
    assert {b["temperature"] for b in server.requests} == {0.7}
    assert {request_seed(3, i) for i in ids} <= seeds and len(seeds) == len(server.requests)
    assert not (out / ".parts").exists()


def test_rewrites_that_drop_a_value_or_a_block_fall_back(
    server: RewriteServer, plain: Path, tmp_path: Path
) -> None:
    out = tmp_path / "d"
    stats = build_dataset(_spec(server, "dropper", n=40), out)
    para = stats["paraphrase"]
    asked = server.prompts()
    with_code = sum("`" in p for p in asked)
    assert with_code > 5
    assert para["chosen"] == len(asked)
    assert sum(para["rejected"].values()) == with_code
    assert set(para["rejected"]) <= {"missing_span", "code_blocks"}
    for _, meta, msgs in _rows(out):
        if "`" in msgs[-2]["content"]:
            assert not meta.get("paraphrased")
    plain_rows = {m["id"]: msgs for _, m, msgs in _rows(plain)}
    for _, meta, msgs in _rows(out):
        if not meta.get("paraphrased"):  # every example that fell back is the plain one
            assert msgs == plain_rows[meta["id"]]


def test_server_failures_keep_the_original_and_are_counted(
    server: RewriteServer, plain: Path, tmp_path: Path
) -> None:
    backend = connect(server.spec("down"), retries=1)
    backend.backoff_base = 0.01  # type: ignore[attr-defined]  # keep the test quick
    try:
        stats = build_dataset(_spec(server, "down"), tmp_path / "down", paraphraser=backend)
    finally:
        backend.close()
    para = stats["paraphrase"]
    assert para["kept"] == 0 and para["rejected"] == {"server_error": para["chosen"]} and para["chosen"] > 10
    assert len(server.requests) == 2 * para["chosen"]  # one retry each
    assert stats["_paraphrase"]["errors"] and "503" in stats["_paraphrase"]["errors"][0]
    for split in SPLITS:
        assert (tmp_path / "down" / f"{split}.jsonl").read_bytes() == (plain / f"{split}.jsonl").read_bytes()

    server.requests.clear()
    backend = connect(server.spec("slow"), timeout=0.5)
    try:
        stats = build_dataset(_spec(server, "slow", n=12, test=0.0), tmp_path / "slow", paraphraser=backend)
    finally:
        backend.close()
    para = stats["paraphrase"]
    assert para["chosen"] > 0 and para["rejected"] == {"server_error": para["chosen"]}
    assert "timed out" in stats["_paraphrase"]["errors"][0]

    backend = connect(server.spec("flaky"), retries=2)
    backend.backoff_base = 0.01  # type: ignore[attr-defined]
    try:
        stats = build_dataset(_spec(server, "flaky"), tmp_path / "flaky", paraphraser=backend)
    finally:
        backend.close()
    assert stats["paraphrase"]["kept"] >= 0.8 * stats["paraphrase"]["chosen"]  # retried, then rewritten


def test_a_dead_server_is_not_asked_forever(
    server: RewriteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paraphrase, "BATCH", 8)
    monkeypatch.setattr(paraphrase, "MAX_FAILURES_IN_A_ROW", 5)
    backend = connect(server.spec("down"), retries=0)
    try:
        stats = build_dataset(
            _spec(server, "down", paraphrase_share=1.0), tmp_path / "d", paraphraser=backend
        )
    finally:
        backend.close()
    para = stats["paraphrase"]
    assert para["chosen"] == 40
    assert 5 <= para["rejected"]["server_error"] == len(server.requests) < 16  # the first batches only
    assert para["rejected"]["server_down"] == 40 - len(server.requests)


def test_same_bytes_whatever_the_workers(server: RewriteServer, tmp_path: Path) -> None:
    one = build_dataset(_spec(server, "rewriter", n=60), tmp_path / "one", workers=1)
    build_dataset(_spec(server, "rewriter", n=60), tmp_path / "two", workers=2)
    assert one["paraphrase"]["kept"] > 10
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def _cli(out: Path, spec: str, *extra: str) -> subprocess.Popen[str]:
    args = ["generate", "--out", str(out), "--n", "40", "--seed", "3", "--families", "facts,commands,config"]
    args += ["--valid", "0.1", "--test", "0.1", "--workers", "1", "--no-progress"]
    args += ["--paraphrase", spec, "--paraphrase-concurrency", "1", *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "witness_evals", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_run_resumes_without_asking_twice(server: RewriteServer, tmp_path: Path) -> None:
    out = tmp_path / "d"
    server.kill_at = 6
    proc = _cli(out, server.spec("rewriter"))
    server.kill_pid = proc.pid
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    answered_first = set(server.answered)
    assert len(answered_first) == 5 and not (out / "manifest.json").exists()
    first_requests = len(server.requests)

    server.kill_at = None
    proc = _cli(out, server.spec("rewriter"))
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    asked_again = server.prompts()[first_requests:]
    assert asked_again and not answered_first & set(asked_again)
    assert "5 replies reused from the cache" in " ".join(stdout.split())

    fresh = tmp_path / "fresh"  # an uninterrupted run: the same bytes
    proc = _cli(fresh, server.spec("rewriter"))
    proc.communicate(timeout=300)
    assert proc.returncode == 0
    assert _files(out) == _files(fresh)
    assert len(server.prompts()) - first_requests - len(asked_again) == len(answered_first) + len(asked_again)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("openai:http://127.0.0.1:9/v1", "expected openai:BASE_URL#MODEL"),
        ("hf:default", "expected openai:BASE_URL#MODEL"),
        ("nonsense", "no scheme"),
    ],
)
def test_bad_specs_are_one_line(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        DatasetSpec(paraphrase=spec).check()
    assert err.value.source == "--paraphrase"


def test_bad_spec_or_unreachable_server_exit_2_before_generating(
    server: RewriteServer, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    for spec, message in (
        (f"openai:http://127.0.0.1:{port}/v1#m", "cannot reach"),
        (server.spec("missing-model"), "is not served here"),
        ("openai:nonsense#m", "not an http(s) URL"),
    ):
        proc = _cli(tmp_path / "d", spec)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 2, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and "--paraphrase" in lines[0] and message in lines[0], stderr
        assert "Traceback" not in stderr and not (tmp_path / "d").exists()
    for option, value in (("--paraphrase-share", "0"), ("--paraphrase-temperature", "-1")):
        proc = _cli(tmp_path / "d", server.spec("rewriter"), option, value)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 2 and option in stderr and len(stderr.strip().splitlines()) == 1


# -- a real model ------------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.llamacpp
def test_smollm2_through_llama_cpp_server(tmp_path: Path) -> None:
    """SmolLM2-135M-Instruct (the embedded GGUF) served by llama.cpp paraphrases 10 examples."""
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] not installed")
    from witness_evals.train.model_source import default_model_gguf

    try:
        gguf = default_model_gguf()
    except InputError as exc:
        pytest.skip(f"embedded GGUF unavailable: {exc}")
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1"),
            *("--port", str(port), "--n_ctx", "8192", "--n_threads", "2", "--model_alias", "smollm2"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise AssertionError("llama_cpp.server did not come up")
        spec = DatasetSpec(
            n=10,
            seed=5,
            mix={"facts": 1.0, "commands": 1.0, "config": 1.0},
            valid=0.0,
            test=0.0,
            paraphrase=f"openai:http://127.0.0.1:{port}/v1#smollm2",
            paraphrase_share=1.0,
        )
        backend = connect(spec.paraphrase or "", concurrency=1, timeout=600)
        try:
            stats = build_dataset(spec, tmp_path / "d", paraphraser=backend)
        finally:
            backend.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    para = stats["paraphrase"]
    print("SmolLM2-135M paraphrases:", json.dumps(para))
    assert para["chosen"] == 10
    assert sum(para["rejected"].values()) + para["kept"] == 10
    assert para["rejected"].get("server_error", 0) == 0  # every request answered
    report = validate_files([tmp_path / "d" / "train.jsonl"])
    assert report.ok and report.conversations == 10
    for _, meta, msgs in _rows(tmp_path / "d"):
        if meta.get("paraphrased"):  # what was kept holds every value of the original
            assert msgs[-2]["content"].strip()
