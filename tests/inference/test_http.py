"""The server backends against real HTTP servers on 127.0.0.1 (standard library `http.server`).

The model server answers OpenAI `/v1/models` + `/v1/chat/completions` and Ollama `/api/tags` +
`/api/chat` by running the embedded model through the `hf:` backend; other servers fail on
purpose (503s, 401s, slowness) to exercise retries, timeouts and load-time checks.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from witness_evals.common.errors import InputError
from witness_evals.inference import Completion, GenerationSettings, Request, load_backend

Reply = tuple[int, dict[str, Any], dict[str, str]]  # status, JSON body, extra headers


class Server:
    """A ThreadingHTTPServer on a free loopback port; `route(method, path, body, headers)` replies."""

    def __init__(self, route: Callable[[str, str, dict[str, Any], dict[str, str]], Reply]) -> None:
        self.route = route
        self.in_flight = 0
        self.max_in_flight = 0
        self.count_lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                with server.count_lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    status, payload, extra = server.route(method, self.path, body, dict(self.headers))
                finally:
                    with server.count_lock:
                        server.in_flight -= 1
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in extra.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(route: Callable[[str, str, dict[str, Any], dict[str, str]], Reply]) -> Server:
        servers.append(Server(route))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def chat(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def openai_reply(
    text: str, prompt_tokens: int | None = 3, completion_tokens: int | None = 2
) -> dict[str, Any]:
    return {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
    }


MODELS: Reply = (200, {"object": "list", "data": [{"id": "smollm2", "object": "model"}]}, {})
NOT_FOUND: Reply = (404, {"error": "not found"}, {})


# ---------------------------------------------------------------- the real model behind both APIs


@pytest.fixture()
def model_server(serve: Callable[..., Server], plain_backend: Any) -> Server:
    """OpenAI and Ollama endpoints whose answers come from the embedded model (greedy, <= 8 tokens)."""
    lock = threading.Lock()  # one generation at a time: the model is not thread-safe
    payloads: list[dict[str, Any]] = []

    def answer(messages: list[dict[str, str]], budget: int) -> Completion:
        with lock:
            done = plain_backend.generate(
                [Request("srv", messages, max_new_tokens=min(budget, 8))],
                GenerationSettings(max_new_tokens=8),
            )
        return done[0]

    def route(method: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        if method == "GET" and path == "/v1/models":
            return MODELS
        if method == "GET" and path == "/api/tags":
            return 200, {"models": [{"name": "smollm2:latest", "model": "smollm2:latest"}]}, {}
        if method == "POST" and path == "/v1/chat/completions":
            payloads.append(body)
            if body.get("model") != "smollm2":
                return 404, {"error": {"message": "model not found"}}, {}
            done = answer(body["messages"], int(body["max_tokens"]))
            return 200, openai_reply(done.text, done.prompt_tokens, done.completion_tokens), {}
        if method == "POST" and path == "/api/chat":
            payloads.append(body)
            done = answer(body["messages"], int(body["options"]["num_predict"]))
            return (
                200,
                {
                    "model": body["model"],
                    "message": {"role": "assistant", "content": done.text},
                    "done": True,
                    "prompt_eval_count": done.prompt_tokens,
                    "eval_count": done.completion_tokens,
                },
                {},
            )
        return NOT_FOUND

    server = serve(route)
    server.payloads = payloads  # type: ignore[attr-defined]
    return server


QUESTIONS = ["Say hi.", "What is a witness attestation?", "Name a witness attestor.", "What is DSSE?"]


def test_openai_backend_answers_in_order_with_the_real_model(
    model_server: Server, plain_backend: Any
) -> None:
    backend = load_backend(f"openai:{model_server.url}/v1#smollm2", concurrency=4)
    requests = [Request(f"q{i}", chat(q)) for i, q in enumerate(QUESTIONS)]
    settings = GenerationSettings(max_new_tokens=8, seed=5)
    seen: list[str] = []
    done = backend.generate(requests, settings, on_done=lambda c: seen.append(c.id))
    backend.close()
    local = plain_backend.generate(requests, settings)
    assert [c.id for c in done] == ["q0", "q1", "q2", "q3"] and sorted(seen) == ["q0", "q1", "q2", "q3"]
    assert [c.text for c in done] == [c.text for c in local]
    assert all(c.error is None and c.text for c in done)
    assert [c.completion_tokens for c in done] == [c.completion_tokens for c in local]
    assert model_server.max_in_flight >= 2  # requests overlapped
    sent = model_server.payloads[0]  # type: ignore[attr-defined]
    assert sent["max_tokens"] == 8 and sent["temperature"] == 0.0 and isinstance(sent["seed"], int)
    info = backend.describe()
    assert info["kind"] == "openai" and info["model"] == "smollm2" and info["base_url"].endswith("/v1")


def test_ollama_backend_answers_with_the_real_model(model_server: Server, plain_backend: Any) -> None:
    backend = load_backend(f"ollama:smollm2@{model_server.url}", concurrency=2)
    requests = [Request(f"q{i}", chat(q)) for i, q in enumerate(QUESTIONS[:3])]
    settings = GenerationSettings(max_new_tokens=6)
    done = backend.generate(requests, settings)
    backend.close()
    assert [c.text for c in done] == [c.text for c in plain_backend.generate(requests, settings)]
    options = model_server.payloads[-1]["options"]  # type: ignore[attr-defined]
    assert options["num_predict"] == 6 and options["temperature"] == 0.0 and "seed" in options
    assert model_server.payloads[-1]["stream"] is False  # type: ignore[attr-defined]


def test_ollama_host_from_the_environment(model_server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{model_server.port}")
    backend = load_backend("ollama:smollm2")
    assert backend.describe()["host"] == model_server.url
    backend.close()


def test_a_model_the_server_does_not_have_fails_at_load(model_server: Server) -> None:
    with pytest.raises(InputError, match="'other' is not served here"):
        load_backend(f"openai:{model_server.url}/v1#other")
    with pytest.raises(InputError, match=r"not pulled .* \(ollama pull other\)"):
        load_backend(f"ollama:other@{model_server.url}")


# ---------------------------------------------------------------- servers that misbehave


def canned(
    chat_reply: Callable[[dict[str, Any], dict[str, str]], Reply],
) -> Callable[[str, str, dict[str, Any], dict[str, str]], Reply]:
    """An OpenAI route: `/v1/models` lists smollm2, chat completions come from `chat_reply`."""

    def route(method: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        if path == "/v1/models":
            return MODELS
        if path == "/v1/chat/completions":
            return chat_reply(body, headers)
        return NOT_FOUND

    return route


def test_concurrent_requests_overlap_in_time(serve: Callable[..., Server]) -> None:
    def slow_ok(body: dict[str, Any], headers: dict[str, str]) -> Reply:
        time.sleep(0.4)
        return 200, openai_reply("ok " + body["messages"][-1]["content"]), {}

    server = serve(canned(slow_ok))
    backend = load_backend(f"openai:{server.url}/v1#smollm2", concurrency=8)
    started = time.perf_counter()
    done = backend.generate([Request(str(i), chat(f"n{i}")) for i in range(8)], GenerationSettings())
    elapsed = time.perf_counter() - started
    backend.close()
    assert [c.text for c in done] == [f"ok n{i}" for i in range(8)]
    assert elapsed < 2.0  # 8 x 0.4 s one after the other would be 3.2 s
    assert server.max_in_flight >= 4


def test_503s_are_retried_with_backoff(serve: Callable[..., Server]) -> None:
    attempts: Counter[str] = Counter()
    times: list[float] = []

    def flaky(body: dict[str, Any], headers: dict[str, str]) -> Reply:
        key = body["messages"][-1]["content"]
        attempts[key] += 1
        times.append(time.perf_counter())
        if attempts[key] <= 2:
            return 503, {"error": "overloaded"}, {}
        return 200, openai_reply(f"answer to {key}"), {}

    server = serve(canned(flaky))
    backend = load_backend(f"openai:{server.url}/v1#smollm2", concurrency=1, retries=3)
    backend.backoff_base = 0.05  # type: ignore[attr-defined]
    done = backend.generate([Request("a", chat("a")), Request("b", chat("b"))], GenerationSettings())
    backend.close()
    assert [c.text for c in done] == ["answer to a", "answer to b"]
    assert all(c.error is None for c in done)
    assert attempts == {"a": 3, "b": 3}
    assert times[1] - times[0] >= 0.05 and times[2] - times[1] >= 0.1  # exponential backoff


def test_retries_give_up_with_an_error_not_an_exception(serve: Callable[..., Server]) -> None:
    def down(body: dict[str, Any], headers: dict[str, str]) -> Reply:
        return 503, {"error": "down"}, {"Retry-After": "0"}

    server = serve(canned(down))
    backend = load_backend(f"openai:{server.url}/v1#smollm2", retries=1)
    backend.backoff_base = 0.01  # type: ignore[attr-defined]
    done = backend.generate([Request("a", chat("a"))], GenerationSettings())
    backend.close()
    assert done[0].text == "" and done[0].error is not None
    assert "HTTP 503" in done[0].error and "after 2 attempts" in done[0].error
    assert "\n" not in done[0].error


def test_a_client_error_is_not_retried(serve: Callable[..., Server]) -> None:
    calls: list[int] = []

    def bad_request(body: dict[str, Any], headers: dict[str, str]) -> Reply:
        calls.append(1)
        return 400, {"error": {"message": "max_tokens too large"}}, {}

    server = serve(canned(bad_request))
    backend = load_backend(f"openai:{server.url}/v1#smollm2", retries=3)
    done = backend.generate([Request("a", chat("a"))], GenerationSettings())
    backend.close()
    assert done[0].error is not None and "HTTP 400" in done[0].error and "max_tokens" in done[0].error
    assert len(calls) == 1


def test_a_timeout_becomes_that_requests_error(serve: Callable[..., Server]) -> None:
    def sometimes_slow(body: dict[str, Any], headers: dict[str, str]) -> Reply:
        text = body["messages"][-1]["content"]
        if text == "slow":
            time.sleep(2.5)
        return 200, openai_reply(f"done {text}"), {}

    server = serve(canned(sometimes_slow))
    backend = load_backend(f"openai:{server.url}/v1#smollm2", timeout=0.5, retries=2)
    requests = [Request("1", chat("fast")), Request("2", chat("slow")), Request("3", chat("quick"))]
    started = time.perf_counter()
    done = backend.generate(requests, GenerationSettings())
    backend.close()
    assert time.perf_counter() - started < 2.0  # not retried: one timeout, not three
    assert [c.text for c in done] == ["done fast", "", "done quick"]
    assert done[1].error is not None and "timed out after 0.5 s" in done[1].error


def test_api_key_from_the_environment(serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch) -> None:
    def route(method: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        if headers.get("Authorization") != "Bearer sekrit":
            return 401, {"error": "unauthorized"}, {}
        return canned(lambda b, h: (200, openai_reply("fine"), {}))(method, path, body, headers)

    server = serve(route)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("WITNESS_EVALS_API_KEY", raising=False)
    with pytest.raises(InputError, match="unauthorized; set OPENAI_API_KEY"):
        load_backend(f"openai:{server.url}/v1#smollm2")
    monkeypatch.setenv("OPENAI_API_KEY", "sekrit")
    backend = load_backend(f"openai:{server.url}/v1#smollm2")
    assert backend.generate([Request("a", chat("a"))], GenerationSettings())[0].text == "fine"
    assert "sekrit" not in json.dumps(backend.describe())
    backend.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("scheme", ["openai", "ollama"])
def test_an_unreachable_endpoint_fails_at_load(scheme: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    spec = f"openai:{url}/v1#m" if scheme == "openai" else f"ollama:m@{url}"
    with pytest.raises(InputError) as err:
        load_backend(spec, timeout=2)
    assert str(err.value).startswith(f"--model {spec}: cannot reach {url}")
    assert "\n" not in str(err.value)


def test_a_base_url_without_the_api_prefix_fails_at_load(serve: Callable[..., Server]) -> None:
    server = serve(canned(lambda b, h: (200, openai_reply("x"), {})))
    with pytest.raises(InputError, match=r"HTTP 404 \(is BASE_URL right\?"):
        load_backend(f"openai:{server.url}#smollm2")  # routes live under /v1
    with pytest.raises(InputError, match=r"HTTP 404 \(not an Ollama server\?\)"):
        load_backend(f"ollama:smollm2@{server.url}")
