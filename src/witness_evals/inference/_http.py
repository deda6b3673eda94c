"""Backends that ask a server: any OpenAI-compatible `/chat/completions`, and Ollama's `/api/chat`.

Requests run concurrently (a thread pool of `concurrency` workers sharing one `httpx.Client`).
Connection errors, HTTP 429 and 5xx are retried `retries` times with exponential backoff (a
`Retry-After` header is honoured, up to 30 s); a read timeout is not retried (a server too slow once
is usually too slow again). A request that still fails becomes a `Completion` with `error` set:
`generate` never raises for one bad request. Reachability is checked when the backend is built
(`GET {base}/models`, `GET /api/tags`), so a wrong URL fails at once with an `InputError`.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from witness_evals.common.errors import InputError
from witness_evals.inference._types import (
    Completion,
    GenerationSettings,
    OnDone,
    Request,
    check_unique_ids,
    one_line,
    request_seed,
)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0
DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"


def _httpx(spec: str) -> Any:
    try:
        import httpx
    except ImportError:
        raise InputError("httpx is not installed: pip install httpx", source=f"--model {spec}") from None
    return httpx


class _Retryable(Exception):
    """A failure worth another try (connection error, 429, 5xx); `wait` is the server's Retry-After."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


class _Failed(Exception):
    """A failure not worth another try (4xx, bad reply, read timeout)."""


class _HTTPBackend:
    """Shared machinery: client, thread pool, retries with backoff, in-order results."""

    kind = "http"
    backoff_base = 0.5  # seconds before the first retry; doubled each time (plus up to 25 % jitter)
    backoff_max = 8.0

    def __init__(self, spec: str, *, concurrency: int, timeout: float, retries: int) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.spec = spec
        self.concurrency = concurrency
        self.timeout = timeout
        self.retries = max(0, retries)
        self._httpx = _httpx(spec)
        self.client = self._httpx.Client(
            timeout=self._httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=self._httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            headers=self._headers(),
        )
        self._closed = False
        self._lock = threading.Lock()

    # -- to be provided by each server kind
    def _headers(self) -> dict[str, str]:
        return {}

    def _post(self, request: Request, settings: GenerationSettings) -> tuple[str, int | None, int | None]:
        raise NotImplementedError

    # -- shared
    def _error(self, message: str) -> InputError:
        return InputError(one_line(message), source=f"--model {self.spec}")

    def _get_json(self, url: str, key_hint: str, missing_hint: str) -> Any:
        """GET at load time; `InputError` when the server cannot be reached, refuses us, or is not one."""
        try:
            response = self.client.get(url, timeout=min(self.timeout, 10.0))
        except self._httpx.HTTPError as exc:
            raise self._error(f"cannot reach {url}: {type(exc).__name__}: {exc}") from None
        if response.status_code in (401, 403):
            raise self._error(f"{url}: HTTP {response.status_code} (unauthorized; set {key_hint})")
        if response.status_code == 404:
            raise self._error(f"{url}: HTTP 404 ({missing_hint})")
        if response.status_code >= 400:
            raise self._error(f"{url}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            return None

    def _send(self, url: str, payload: dict[str, Any]) -> Any:
        """POST once; classify what went wrong; the decoded JSON reply on success."""
        httpx = self._httpx
        try:
            response = self.client.post(url, json=payload)
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                raise _Retryable(f"{type(exc).__name__} on {url}") from None
            raise _Failed(f"timed out after {self.timeout:g} s ({type(exc).__name__})") from None
        except httpx.TransportError as exc:  # connection refused/reset, protocol errors
            raise _Retryable(f"{type(exc).__name__}: {exc}") from None
        if response.status_code in RETRY_STATUS:
            raise _Retryable(f"HTTP {response.status_code}: {response.text[:200]}", _retry_after(response))
        if response.status_code >= 400:
            raise _Failed(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise _Failed(f"reply is not JSON: {response.text[:200]}") from None

    def _one(self, request: Request, settings: GenerationSettings) -> Completion:
        start = time.perf_counter()
        error = "not sent"
        for attempt in range(self.retries + 1):
            try:
                text, prompt_tokens, completion_tokens = self._post(request, settings)
            except _Retryable as exc:
                error = str(exc)
                if attempt == self.retries or self._closed:
                    error = f"{error} (after {attempt + 1} attempts)"
                    break
                delay = min(self.backoff_max, self.backoff_base * 2**attempt)
                delay *= 1 + random.random() / 4
                if exc.wait is not None:
                    delay = max(delay, exc.wait)
                time.sleep(delay)
            except _Failed as exc:
                error = str(exc)
                break
            except Exception as exc:  # a malformed reply must not sink the other requests
                error = f"{type(exc).__name__}: {exc}"
                break
            else:
                return Completion(
                    request.id, text, prompt_tokens, completion_tokens, time.perf_counter() - start
                )
        return Completion(request.id, "", None, None, time.perf_counter() - start, error=one_line(error))

    def generate(
        self, requests: Sequence[Request], settings: GenerationSettings, on_done: OnDone | None = None
    ) -> list[Completion]:
        check_unique_ids(requests)
        results: dict[int, Completion] = {}
        if not requests:
            return []
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(requests))) as pool:
            futures: dict[Future[Completion], int] = {
                pool.submit(self._one, request, settings): index for index, request in enumerate(requests)
            }
            pending = set(futures)
            while pending:  # on_done runs here, in the caller's thread, one at a time
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    completion = future.result()
                    results[futures[future]] = completion
                    if on_done is not None:
                        on_done(completion)
        return [results[index] for index in range(len(requests))]

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self.client.close()

    def _describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "concurrency": self.concurrency,
            "timeout_s": self.timeout,
            "retries": self.retries,
            "versions": {"httpx": getattr(self._httpx, "__version__", "unknown")},
        }


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value))) if value is not None else None
    except ValueError:
        return None


class OpenAIBackend(_HTTPBackend):
    """POST {base_url}/chat/completions of an OpenAI-compatible server (vLLM, llama.cpp, Ollama /v1, ...)."""

    kind = "openai"

    def __init__(
        self, spec: str, base_url: str, model: str, *, concurrency: int, timeout: float, retries: int
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        super().__init__(spec, concurrency=concurrency, timeout=timeout, retries=retries)
        try:
            listing = self._get_json(
                f"{self.base_url}/models",
                "OPENAI_API_KEY or WITNESS_EVALS_API_KEY",
                "is BASE_URL right? OpenAI-compatible servers usually want http://HOST:PORT/v1",
            )
        except InputError:
            self.close()
            raise
        served = _served_models(listing)
        if served and model not in served:
            self.close()
            raise self._error(
                f"model {model!r} is not served here (served: {', '.join(sorted(served)[:10])})"
            )

    def _headers(self) -> dict[str, str]:
        key = os.environ.get("WITNESS_EVALS_API_KEY") or os.environ.get("OPENAI_API_KEY")
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _post(self, request: Request, settings: GenerationSettings) -> tuple[str, int | None, int | None]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "max_tokens": request.budget(settings),
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "seed": request_seed(settings.seed, request.id),
            "stream": False,
        }
        reply = self._send(f"{self.base_url}/chat/completions", payload)
        try:
            message = reply["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            raise _Failed(f"no choices[0].message in the reply: {str(reply)[:200]}") from None
        usage = reply.get("usage") or {}
        return str(message.get("content") or ""), usage.get("prompt_tokens"), usage.get("completion_tokens")

    def describe(self) -> dict[str, Any]:
        return {**self._describe(), "base_url": self.base_url, "model": self.model}


def _served_models(listing: Any) -> set[str]:
    """Model ids of an OpenAI `/models` reply (empty when the reply has another shape)."""
    if not isinstance(listing, dict) or not isinstance(listing.get("data"), list):
        return set()
    return {str(m["id"]) for m in listing["data"] if isinstance(m, dict) and "id" in m}


class OllamaBackend(_HTTPBackend):
    """Ollama's native POST /api/chat (stream false); host from `@URL`, $OLLAMA_HOST or 127.0.0.1:11434."""

    kind = "ollama"

    def __init__(
        self, spec: str, model: str, host: str | None, *, concurrency: int, timeout: float, retries: int
    ) -> None:
        self.model = model
        self.host = (host or _env_ollama_host()).rstrip("/")
        super().__init__(spec, concurrency=concurrency, timeout=timeout, retries=retries)
        try:
            tags = self._get_json(f"{self.host}/api/tags", "the proxy's credentials", "not an Ollama server?")
        except InputError:
            self.close()
            raise
        listed = tags.get("models") if isinstance(tags, dict) else None
        names = {
            str(m[key])
            for m in (listed if isinstance(listed, list) else [])
            if isinstance(m, dict)
            for key in ("name", "model")
            if m.get(key)
        }
        if isinstance(listed, list) and model not in names and f"{model}:latest" not in names:
            self.close()
            raise self._error(f"model {model!r} is not pulled on {self.host} (ollama pull {model})")

    def _post(self, request: Request, settings: GenerationSettings) -> tuple[str, int | None, int | None]:
        payload = {
            "model": self.model,
            "messages": request.messages,
            "stream": False,
            "options": {
                "temperature": settings.temperature,
                "top_p": settings.top_p,
                "seed": request_seed(settings.seed, request.id),
                "num_predict": request.budget(settings),
            },
        }
        reply = self._send(f"{self.host}/api/chat", payload)
        if not isinstance(reply, dict) or not isinstance(reply.get("message"), dict):
            raise _Failed(f"no message in the reply: {str(reply)[:200]}")
        if reply.get("error"):
            raise _Failed(str(reply["error"]))
        return (
            str(reply["message"].get("content") or ""),
            reply.get("prompt_eval_count"),
            reply.get("eval_count"),
        )

    def describe(self) -> dict[str, Any]:
        return {**self._describe(), "host": self.host, "model": self.model}


def _env_ollama_host() -> str:
    """$OLLAMA_HOST (which may omit the scheme or the port), else http://127.0.0.1:11434."""
    value = os.environ.get("OLLAMA_HOST", "").strip()
    if not value:
        return DEFAULT_OLLAMA_HOST
    if "://" not in value:
        value = f"http://{value}"
    scheme, _, rest = value.partition("://")
    if ":" not in rest.split("/")[0]:
        rest = rest.split("/")[0] + ":11434"
    return f"{scheme}://{rest}"
