"""Evaluation of UNTRUSTED Rego in a pool of killable worker processes.

Each worker is a plain ``python -m witness_evals.witness.rego.worker`` subprocess speaking the
length-prefixed protocol of protocol.py over its stdin/stdout pipes; it caps its own address space
(RLIMIT_AS) and keeps compiled module sets in an LRU keyed by the hash of the set, so a policy is
parsed once and evaluated against many inputs. The parent drives all workers from one
single-threaded select loop with non-blocking pipes: jobs are sent in batches, every reply
restarts the wall-clock budget of the next job, a job over its budget gets its worker killed
(``timeout``), a worker that dies gets ``crash`` (or ``memory`` when it died allocating) for the
job it was running, and the jobs queued behind it are re-sent to a fresh worker. Results come
back in job order and do not depend on how jobs were spread over workers. With `memo_size`, a job
identical to an earlier one (operation, module set, mode, input bytes) whose outcome the engine decided
by itself (a verdict or a deterministic error; never a timeout, crash or memory outcome) is answered
from a memo of those replies, without a round trip.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from .engine import DEFAULT_MAX_MODULE_BYTES, Modules, module_pairs, modules_key
from .outcome import DETERMINISTIC_ERRORS, MODES, RegoCheck, RegoOutcome
from .protocol import decode_all, encode

DEFAULT_TIMEOUT = 2.0
DEFAULT_MEMORY = 1 << 30
DEFAULT_MAX_INPUT_BYTES = 16 << 20
_STARTUP_TIMEOUT = 30.0
_MEMORY_MARKERS = ("memory allocation of", "MemoryError", "Cannot allocate memory", "out of memory")


@dataclass(frozen=True)
class RegoJob:
    """One evaluation: modules (name -> Rego text), the input document, parser mode."""

    modules: Modules
    input: Any
    mode: str = "verify"
    op: str = "eval"


@dataclass
class _Task:
    index: int
    op: str
    key: str
    mode: str
    modules: list[list[str]]
    body: bytes
    suspect: bool = False  # failed inside a batch: re-run alone to pin the failure on it


class _Worker:
    """One worker process with its pipes, in-flight queue and module-cache mirror."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the worker)
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
            close_fds=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.fd_in = self.proc.stdin.fileno()
        self.fd_out = self.proc.stdout.fileno()
        os.set_blocking(self.fd_in, False)
        os.set_blocking(self.fd_out, False)
        self.rbuf = bytearray()
        self.wbuf = bytearray()
        self.inflight: deque[_Task] = deque()
        self.mirror: OrderedDict[str, None] = OrderedDict()
        self.ready = False
        self.deadline = time.monotonic() + _STARTUP_TIMEOUT
        self.killed_for_timeout = False

    def stderr_tail(self) -> str:
        try:
            self.stderr.seek(0)
            data = self.stderr.read()
        except (OSError, ValueError):
            return ""
        return data[-4096:].decode("utf-8", "replace")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, OSError):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=5)

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
        with contextlib.suppress(OSError):
            self.stderr.close()


class RegoSandbox:
    """Pool of sandboxed regorus workers. Use as a context manager; safe against hostile modules.

    `timeout` is the wall-clock budget per evaluation (compilation of a new module set included),
    `memory_limit` the address-space cap of each worker in bytes (0 = none), `memo_size` how many
    replies are kept for repeated jobs (0 = every job goes to a worker).
    """

    def __init__(
        self,
        workers: int = 1,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int = DEFAULT_MEMORY,
        max_module_bytes: int = DEFAULT_MAX_MODULE_BYTES,
        max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
        cache_size: int = 256,
        batch_size: int = 32,
        memo_size: int = 0,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.n_workers = workers
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.max_module_bytes = max_module_bytes
        self.max_input_bytes = max_input_bytes
        self.cache_size = cache_size
        self.batch_size = max(1, batch_size)
        self.memo_size = memo_size
        self._memo: OrderedDict[tuple[str, str, bytes], dict[str, Any]] = OrderedDict()
        """(op, module set key, SHA-256 of the input) -> the worker's reply."""
        self._workers: list[_Worker] = []
        self._selector: selectors.BaseSelector | None = None
        self.respawns = 0
        env = dict(os.environ)
        env["RUST_LIB_BACKTRACE"] = "0"
        env["RUST_BACKTRACE"] = "0"
        src_root = os.path.dirname(
            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        )
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src_root, env.get("PYTHONPATH", "")) if p)
        self._env = env
        self._argv = [
            sys.executable,
            "-m",
            "witness_evals.witness.rego.worker",
            str(memory_limit),
            str(max_module_bytes),
            str(cache_size),
            str(max(0.005, timeout / 4)),
        ]

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> RegoSandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def start(self) -> None:
        """Spawn the workers (done lazily by the first evaluation otherwise)."""
        if self._selector is None:
            self._selector = selectors.DefaultSelector()
        while len(self._workers) < self.n_workers:
            self._workers.append(self._spawn())

    def close(self) -> None:
        """Stop all workers."""
        for w in self._workers:
            self._unregister(w)
            w.close()
        self._workers = []
        if self._selector is not None:
            self._selector.close()
            self._selector = None

    def _spawn(self) -> _Worker:
        assert self._selector is not None
        w = _Worker(self._argv, self._env)
        self._selector.register(w.fd_out, selectors.EVENT_READ, w)
        return w

    def _unregister(self, w: _Worker) -> None:
        if self._selector is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(w.fd_out)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(w.fd_in)

    # -- public API ------------------------------------------------------------------------

    def evaluate(self, modules: Modules, input: Any, mode: str = "verify") -> RegoOutcome:
        """Deny reasons of one evaluation (see `evaluate_many`)."""
        return self.evaluate_many([RegoJob(modules, input, mode)])[0]

    def check(self, modules: Modules, mode: str = "verify") -> RegoCheck:
        """Compile only: parse errors and whether each package defines `deny`."""
        out = self._run([RegoJob(modules, None, mode, op="check")])[0]
        assert isinstance(out, RegoCheck)
        return out

    def check_many(self, jobs: Iterable[tuple[Modules, str]]) -> list[RegoCheck]:
        """`check` for many module sets at once."""
        results = self._run([RegoJob(m, None, mode, op="check") for m, mode in jobs])
        return [r for r in results if isinstance(r, RegoCheck)]

    def evaluate_many(self, jobs: Iterable[RegoJob | tuple[Any, ...]]) -> list[RegoOutcome]:
        """Evaluate jobs (RegoJob or (modules, input[, mode]) tuples); outcomes in job order."""
        normalized = [j if isinstance(j, RegoJob) else RegoJob(*j) for j in jobs]
        results = self._run(normalized)
        return [r for r in results if isinstance(r, RegoOutcome)]

    # -- scheduling ------------------------------------------------------------------------

    def _prepare(
        self, index: int, job: RegoJob, memo: dict[int, tuple[str, list[list[str]]] | str]
    ) -> _Task | RegoOutcome | RegoCheck:
        def fail(message: str, kind: str) -> RegoOutcome | RegoCheck:
            if job.op == "check":
                return RegoCheck("error", error=message, kind=kind)
            return RegoOutcome("error", error=message, kind=kind)

        if job.mode not in MODES:
            return fail(f"unknown rego mode {job.mode!r}", "limit")
        if job.op == "eval" and not job.modules:
            return RegoOutcome("ok")  # go-witness: no policies => nothing to deny
        cached = memo.get(id(job.modules))
        if cached is None:
            cached = self._module_list(job.modules, job.mode)
            memo[id(job.modules)] = cached
        if isinstance(cached, str):
            return fail(cached, "parse" if cached.startswith("module names") else "limit")
        key, modules = cached
        body = b""
        if job.op == "eval":
            try:
                body = json.dumps(job.input, ensure_ascii=False, allow_nan=False).encode(
                    "utf-8", "surrogatepass"
                )
            except (TypeError, ValueError) as exc:
                return fail(f"input is not a JSON document: {exc}", "limit")
            if len(body) > self.max_input_bytes:
                return fail(f"input is {len(body)} bytes, over the limit of {self.max_input_bytes}", "limit")
        return _Task(index, job.op, key, job.mode, modules, body)

    def _module_list(self, modules: Modules, mode: str) -> tuple[str, list[list[str]]] | str:
        """(cache key, [[name, source], ...]) or the error message for a bad module set."""
        out: list[list[str]] = []
        try:
            pairs = module_pairs(modules)
        except (TypeError, ValueError):
            return "module names and sources must be text"
        for name, source in pairs:
            if not isinstance(name, str) or not isinstance(source, str):
                return "module names and sources must be text"
            size = len(source.encode("utf-8", "surrogatepass"))
            if size > self.max_module_bytes:
                return f"module {name} is {size} bytes, over the limit of {self.max_module_bytes}"
            out.append([name, source])
        return modules_key(modules, mode), out

    def _run(self, jobs: list[RegoJob]) -> list[RegoOutcome | RegoCheck]:
        results: list[RegoOutcome | RegoCheck | None] = [None] * len(jobs)
        pending: deque[_Task] = deque()
        memo: dict[int, tuple[str, list[list[str]]] | str] = {}
        for i, job in enumerate(jobs):
            prepared = self._prepare(i, job, memo)
            if isinstance(prepared, _Task):
                prepared = self._recall(prepared) or prepared
            if isinstance(prepared, _Task):
                pending.append(prepared)
            else:
                results[i] = prepared
        if pending:
            self.start()
            self._loop(pending, results)
        out: list[RegoOutcome | RegoCheck] = []
        for r in results:
            assert r is not None
            out.append(r)
        return out

    def _loop(self, pending: deque[_Task], results: list[Any]) -> None:
        assert self._selector is not None
        remaining = len(pending)
        per_worker = max(1, min(self.batch_size, -(-remaining // self.n_workers)))
        while remaining:
            for w in self._workers:
                if w.ready and not w.inflight and pending:
                    self._dispatch(w, pending, per_worker)
            now = time.monotonic()
            deadlines = [w.deadline for w in self._workers if w.inflight or not w.ready]
            wait = max(0.0, min(deadlines) - now) if deadlines else None
            events = self._selector.select(wait)
            for key, mask in events:
                w = key.data
                if w not in self._workers:
                    continue
                if mask & selectors.EVENT_WRITE:
                    self._flush(w)
                if mask & selectors.EVENT_READ:
                    remaining -= self._read(w, results, pending)
            now = time.monotonic()
            for w in list(self._workers):
                if (w.inflight or not w.ready) and now >= w.deadline:
                    remaining -= self._fail_worker(w, results, pending, "timeout")

    def _dispatch(self, w: _Worker, pending: deque[_Task], count: int) -> None:
        for n in range(min(count, len(pending))):
            if pending[0].suspect and n:
                break  # a suspect runs alone
            task = pending.popleft()
            header: dict[str, Any] = {"op": task.op, "id": task.index, "key": task.key, "mode": task.mode}
            if task.key in w.mirror:
                w.mirror.move_to_end(task.key)
                header["modules"] = None
            else:
                header["modules"] = task.modules
                w.mirror[task.key] = None
                while len(w.mirror) > self.cache_size:
                    w.mirror.popitem(last=False)
            w.wbuf += encode(header, task.body)
            w.inflight.append(task)
            if task.suspect:
                break
        w.deadline = time.monotonic() + self.timeout
        self._flush(w)

    def _flush(self, w: _Worker) -> None:
        assert self._selector is not None
        if w.wbuf:
            try:
                n = os.write(w.fd_in, w.wbuf)
                del w.wbuf[:n]
            except BlockingIOError:
                pass
            except (BrokenPipeError, OSError):
                w.wbuf.clear()  # the worker is gone; its EOF on stdout reports it
        want_write = bool(w.wbuf)
        try:
            registered = self._selector.get_key(w.fd_in) is not None
        except KeyError:
            registered = False
        if want_write and not registered:
            self._selector.register(w.fd_in, selectors.EVENT_WRITE, w)
        elif not want_write and registered:
            self._selector.unregister(w.fd_in)

    def _read(self, w: _Worker, results: list[Any], pending: deque[_Task]) -> int:
        """Consume replies; returns how many jobs got their final result."""
        done = 0
        try:
            data = os.read(w.fd_out, 1 << 20)
        except BlockingIOError:
            return 0
        except OSError:
            data = b""
        if not data:
            return done + self._fail_worker(w, results, pending, "eof")
        w.rbuf += data
        for header, _ in decode_all(w.rbuf):
            if header.get("status") == "ready" and header.get("id") == -1:
                w.ready = True
                continue
            if not w.inflight or w.inflight[0].index != header.get("id"):
                # Protocol violation: treat the worker as broken.
                return done + self._fail_worker(w, results, pending, "eof")
            task = w.inflight.popleft()
            w.deadline = time.monotonic() + self.timeout
            if header.get("status") == "miss":
                w.mirror.clear()
                pending.appendleft(task)
                continue
            results[task.index] = _result(task, header)
            self._remember(task, header)
            done += 1
        return done

    def _recall(self, task: _Task) -> RegoOutcome | RegoCheck | None:
        """The result of an identical job answered before (see `_remember`), or None."""
        if not self.memo_size:
            return None
        key = _memo_key(task)
        header = self._memo.get(key)
        if header is None:
            return None
        self._memo.move_to_end(key)
        return _result(task, header)

    def _remember(self, task: _Task, header: dict[str, Any]) -> None:
        """Keep a reply the engine decided by itself, for identical jobs later."""
        status = header.get("status")
        if self.memo_size and (
            status == "ok" or (status == "error" and header.get("kind") in DETERMINISTIC_ERRORS)
        ):
            self._memo[_memo_key(task)] = header
            while len(self._memo) > self.memo_size:
                self._memo.popitem(last=False)

    def _fail_worker(self, w: _Worker, results: list[Any], pending: deque[_Task], why: str) -> int:
        """Kill/reap a worker, give its running job the failure outcome, requeue the rest."""
        if why == "timeout":
            w.kill()
        else:
            try:
                w.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                w.kill()
        code = w.proc.returncode
        tail = w.stderr_tail()
        self._unregister(w)
        w.close()
        done = 0
        if w.inflight and not w.inflight[0].suspect and len(w.inflight) > 1:
            # Replies are batched, so the first unanswered job is not necessarily the culprit:
            # re-run the batch, the first job alone.
            w.inflight[0].suspect = True
            pending.extendleft(reversed(w.inflight))
            w.inflight.clear()
        elif w.inflight:
            task = w.inflight.popleft()
            if why == "timeout":
                status, message = "timeout", f"evaluation exceeded {self.timeout:g}s and was killed"
            elif any(m in tail for m in _MEMORY_MARKERS) or code == 3:
                status, message = "memory", f"worker ran out of memory (limit {self.memory_limit} bytes)"
            else:
                status, message = "crash", f"worker died ({_describe_exit(code)})"
            if task.op == "check":
                results[task.index] = RegoCheck(status, error=message, kind=status)  # type: ignore[arg-type]
            else:
                results[task.index] = RegoOutcome(status, error=message, kind=status)  # type: ignore[arg-type]
            done = 1
            pending.extendleft(reversed(w.inflight))
            w.inflight.clear()
        elif not w.ready:
            raise RuntimeError(f"rego worker failed to start ({_describe_exit(code)}): {tail.strip()[-500:]}")
        idx = self._workers.index(w)
        self.respawns += 1
        self._workers[idx] = self._spawn()
        return done


def _memo_key(task: _Task) -> tuple[str, str, bytes]:
    return task.op, task.key, hashlib.sha256(task.body).digest()


def _result(task: _Task, header: dict[str, Any]) -> RegoOutcome | RegoCheck:
    """A new result object from a worker's reply to `task`."""
    return RegoCheck.from_json(header) if task.op == "check" else RegoOutcome.from_json(header)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"
