"""`witness-evals serve`: the checked assistant behind an OpenAI-compatible HTTP API (FastAPI + uvicorn).

Endpoints: `POST /v1/chat/completions`, `GET /v1/models`, `GET /health`. A chat completion's
message is the answer followed by its ✓/✗ checks (`"witness_checks": false` in the request body
leaves them out of the text); the structured results are in the extension field `witness` of the
response (and of the last chunk when streaming): `passed`, `passed_round`, `rounds`, `checks`,
`answer` (the answer alone). `"witness_fix": N` in the body (the openai client: `extra_body=`) asks
for up to N fix rounds; the server's `--fix` is the default.

`"stream": true` sends server-sent events (`chat.completion.chunk`s, then `data: [DONE]`): the
answer's text token by token as the model generates it (`hf:` models; other backends send an answer
in one piece when it is done); with fix rounds, after an answer that fails a check, a separator
(`--- fix round K ---`, with the failed checks) and the next round's text; then one last chunk with
the checks as text (unless `witness_checks` is false), `finish_reason` "stop" and the `witness`
field. A model failure mid-stream is an OpenAI-shaped `{"error": ...}` event.

Errors are OpenAI-shaped JSON (`{"error": {"message", "type", "param", "code"}}`): 400 for a
malformed body (bad JSON, missing messages, wrong types, n > 1), 404 for unknown paths, 500 when the
model fails. Requests are answered one at a time, on one long-lived thread (one model, one Rego
sandbox; torch runs slower on a fresh thread per request); a streaming client that goes away stops
its generation.
"""

from __future__ import annotations

import json
import queue
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from witness_evals.common.errors import InputError

OnText = Callable[[int, str], None]
OnChecked = Callable[[Any], None]


class _Cancelled(Exception):
    """The streaming client went away: stop generating."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; `InputError` (one line) when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        why = "address already in use" if exc.errno in (98, 48, 10048) else (exc.strerror or str(exc))
        raise InputError(f"cannot listen on {host}:{port}: {why}", source="--port") from None
    sock.setblocking(False)
    return sock


def _error(status: int, message: str, kind: str = "invalid_request_error", param: str | None = None) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse(
        status_code=status,
        content={"error": {"message": message, "type": kind, "param": param, "code": None}},
    )


def create_app(backend: Any, checker: Any, *, model_name: str = "witness-assistant", fix: int = 0) -> Any:
    """The FastAPI app answering with `backend` and checking with `checker`."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, StreamingResponse
    from pydantic import BaseModel, ConfigDict, Field
    from starlette.exceptions import HTTPException

    from witness_evals.assist import MAX_FIX_ROUNDS, answer_with_fixes, render
    from witness_evals.inference import GenerationSettings

    class TextPart(BaseModel):
        model_config = ConfigDict(extra="allow")
        type: str
        text: str | None = None

    class Message(BaseModel):
        model_config = ConfigDict(extra="allow")
        role: Literal["system", "developer", "user", "assistant", "tool"]
        content: str | list[TextPart] | None = None

        def text(self) -> str:
            if isinstance(self.content, list):
                return "".join(p.text or "" for p in self.content if p.type == "text")
            return self.content or ""

    class ChatRequest(BaseModel):
        model_config = ConfigDict(extra="allow")
        model: str | None = None
        messages: list[Message] = Field(min_length=1)
        temperature: float | None = Field(default=None, ge=0, le=2)
        top_p: float | None = Field(default=None, gt=0, le=1)
        max_tokens: int | None = Field(default=None, ge=1, le=32768)
        max_completion_tokens: int | None = Field(default=None, ge=1, le=32768)
        stream: bool = False
        seed: int | None = None
        n: int = Field(default=1, ge=1, le=1)
        witness_fix: int | None = Field(default=None, ge=0, le=MAX_FIX_ROUNDS)
        witness_checks: bool = True

    app = FastAPI(title="witness-evals assistant", version="1")
    model_thread = ThreadPoolExecutor(1, thread_name_prefix="model")  # one model: one request at a time
    created = int(time.time())

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> Any:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = str(first.get("msg", "invalid request"))
        return _error(400, f"{where}: {message}" if where else message, param=where or None)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> Any:
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return _error(exc.status_code, str(exc.detail), kind)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": model_name, "object": "model", "created": created, "owned_by": "witness-evals"}],
        }

    def chat(body: ChatRequest) -> Any:
        messages = [
            {"role": "system" if m.role == "developer" else m.role, "content": m.text()}
            for m in body.messages
        ]
        if not any(m["role"] == "user" for m in messages):
            return _error(400, "messages: at least one user message is needed", param="messages")
        settings = GenerationSettings(
            max_new_tokens=body.max_completion_tokens or body.max_tokens or 1024,
            temperature=body.temperature or 0.0,
            top_p=body.top_p or 1.0,
            seed=body.seed or 0,
        )
        rounds = fix if body.witness_fix is None else body.witness_fix
        started = time.perf_counter()
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        now = int(time.time())
        if body.stream:

            def run(on_text: OnText, on_checked: OnChecked) -> Any:
                return answer_with_fixes(
                    backend,
                    messages,
                    rounds,
                    settings,
                    checker,
                    request_id="chat",
                    on_text=on_text,
                    on_checked=on_checked,
                )

            events = _stream(
                _Chunks(cid, now, model_name),
                run,
                model_thread,
                fix=rounds,
                checks=body.witness_checks,
                started=started,
            )
            return StreamingResponse(events, media_type="text/event-stream")
        result = model_thread.submit(
            answer_with_fixes, backend, messages, rounds, settings, checker, request_id="chat"
        ).result()
        if result.kept.error is not None:
            return _error(500, f"the model failed: {result.kept.error}", "server_error")
        text = render(result, fix=rounds) if body.witness_checks else result.text
        extension = {
            **result.to_json(),
            "answer": result.text,
            "seconds": round(time.perf_counter() - started, 3),
        }
        completion_tokens = sum(r.completion_tokens or 0 for r in result.rounds)
        return JSONResponse(
            {
                "id": cid,
                "object": "chat.completion",
                "created": now,
                "model": model_name,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": 0,
                    "completion_tokens": completion_tokens,
                    "total_tokens": completion_tokens,
                },
                "witness": extension,
            }
        )

    chat.__annotations__["body"] = ChatRequest  # a local class: FastAPI cannot resolve its name
    app.post("/v1/chat/completions")(chat)
    return app


class _Chunks:
    """Server-sent events of one streamed chat completion."""

    def __init__(self, cid: str, created: int, model: str) -> None:
        self.cid, self.created, self.model = cid, created, model

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": self.cid,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    @staticmethod
    def error(message: str) -> str:
        body = {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def separator(round_: Any, *, checks: bool) -> str:
    """Streamed between a failed round and the next: the failed checks (with `checks`), a rule."""
    lines = [f"✗ round {round_.index}: {c.line().removeprefix('✗ ')}" for c in round_.report.failed]
    body = "\n".join(lines) + "\n\n" if checks and lines else ""
    return f"\n\n{body}--- fix round {round_.index + 1} ---\n\n"


def _stream(
    chunks: _Chunks,
    run: Callable[[OnText, OnChecked], Any],
    model_thread: ThreadPoolExecutor,
    *,
    fix: int,
    checks: bool,
    started: float,
) -> Iterator[str]:
    """Run the fix loop on the model's thread and turn its text pieces and checked rounds into events."""
    from witness_evals.assist import checks_block

    events: queue.Queue[tuple[str, Any]] = queue.Queue()
    cancelled = threading.Event()

    def on_text(_k: int, piece: str) -> None:
        if cancelled.is_set():
            raise _Cancelled
        events.put(("text", piece))

    def on_checked(round_: Any) -> None:
        if not round_.passed and round_.error is None and round_.index < fix:
            events.put(("text", separator(round_, checks=checks)))

    def work() -> None:
        try:
            events.put(("done", run(on_text, on_checked)))
        except _Cancelled:
            events.put(("cancelled", None))
        except Exception as exc:  # reported to the client as an error event
            events.put(("error", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"))

    model_thread.submit(work)
    try:
        yield chunks.chunk({"role": "assistant", "content": ""})
        while True:
            kind, value = events.get()
            if kind == "text":
                yield chunks.chunk({"content": value})
                continue
            if kind == "done" and value.kept.error is None:
                extension = {
                    **value.to_json(),
                    "answer": value.text,
                    "seconds": round(time.perf_counter() - started, 3),
                }
                tail = "\n\n" + checks_block(value, fix=fix) if checks else ""
                yield chunks.chunk({"content": tail} if tail else {}, "stop", witness=extension)
            elif kind == "done":
                yield chunks.error(f"the model failed: {value.kept.error}")
            elif kind == "error":
                yield chunks.error(str(value))
            break
        yield "data: [DONE]\n\n"
    finally:
        cancelled.set()


def serve(
    model: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    fix: int = 0,
    witness_version: str | None = None,
    model_name: str = "witness-assistant",
    log_level: str = "warning",
) -> None:
    """Bind first (a taken port fails before the model loads), load the model, serve until stopped."""
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        raise InputError("serve needs fastapi and uvicorn: pip install 'witness-evals[serve]'") from None
    from witness_evals.assist import Checker, model_spec
    from witness_evals.inference import load_backend

    spec = model_spec(model)
    sock = bind(host, port)
    try:
        checker = Checker(witness_version=witness_version)
        backend = load_backend(spec)
        try:
            app = create_app(backend, checker, model_name=model_name, fix=fix)
            where = f"[{host}]" if ":" in host else host
            print(
                f"[serve] {spec} as {model_name!r} on http://{where}:{port}/v1 (OpenAI-compatible)",
                file=sys.stderr,
                flush=True,
            )
            config = uvicorn.Config(app, log_level=log_level, access_log=False)
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            backend.close()
            checker.close()
    finally:
        sock.close()
