"""Sandbox worker: ``python -m witness_evals.witness.rego.worker MEMORY MAX_MODULE CACHE [FLUSH_S]``.

Reads requests (see protocol.py) on stdin and answers each on stdout, in order. Runs untrusted Rego:
the address space is capped (RLIMIT_AS), core dumps are off, and the parent kills the process on
timeout; a crash here only costs the parent a respawn.
"""

from __future__ import annotations

import os
import sys
from collections import OrderedDict
from typing import Any


def _limit(memory_bytes: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def serve(memory_bytes: int, max_module_bytes: int, cache_size: int, flush_interval: float = 0.25) -> int:
    """Main loop; returns the exit status.

    Requests are read in large chunks and answered in batches: replies are written when the
    input buffer holds no further complete request, or when `flush_interval` seconds of work
    have passed since the last write (so a slow job never hides earlier replies for long).
    """
    os.environ["RUST_LIB_BACKTRACE"] = "0"
    import time

    from .engine import CompiledPolicy, compile_modules
    from .outcome import RegoError
    from .protocol import decode_all, encode

    _limit(memory_bytes)
    cache: OrderedDict[str, CompiledPolicy | RegoError] = OrderedDict()
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    _write_all(stdout, encode({"id": -1, "status": "ready"}))
    inbuf = bytearray()
    while True:
        data = os.read(stdin, 1 << 20)
        if not data:
            return 0
        inbuf += data
        out: list[bytes] = []
        last_flush = time.monotonic()
        for req, body in decode_all(inbuf):
            reply, fatal = _handle(req, body, cache, cache_size, max_module_bytes, compile_modules, RegoError)
            out.append(encode(reply))
            if fatal:
                _write_all(stdout, b"".join(out))
                return 3
            now = time.monotonic()
            if now - last_flush > flush_interval:
                _write_all(stdout, b"".join(out))
                out.clear()
                last_flush = now
        if out:
            _write_all(stdout, b"".join(out))
        _trim_stderr()


def _handle(
    req: dict[str, Any],
    body: bytes,
    cache: OrderedDict[str, Any],
    cache_size: int,
    max_module_bytes: int,
    compile_modules: Any,
    rego_error: type[Exception],
) -> tuple[dict[str, Any], bool]:
    """Answer one request; the flag says the worker must exit (out of memory)."""
    reply: dict[str, Any] = {"id": req.get("id")}
    try:
        key = req["key"]
        modules = req.get("modules")
        if modules is not None:
            try:
                entry = compile_modules(
                    [(str(n), str(s)) for n, s in modules],
                    req.get("mode", "verify"),
                    max_module_bytes=max_module_bytes,
                )
            except rego_error as exc:
                entry = exc
            cache[key] = entry
            cache.move_to_end(key)
            while len(cache) > cache_size:
                cache.popitem(last=False)
        elif key in cache:
            cache.move_to_end(key)
            entry = cache[key]
        else:
            reply["status"] = "miss"
            return reply, False
        if isinstance(entry, rego_error):
            reply.update(status="error", error=entry.message, kind=entry.kind)  # type: ignore[attr-defined]
        elif req.get("op") == "check":
            reply.update(status="ok", packages=entry.has_deny)
        else:
            reply.update(status="ok", deny=entry.evaluate(body.decode("utf-8", "surrogatepass")))
    except MemoryError:
        cache.clear()
        reply.update(status="memory", error="out of memory", kind="memory")
        return reply, True
    except RecursionError:
        reply.update(status="crash", error="recursion limit", kind="crash")
    except Exception as exc:
        if isinstance(exc, rego_error):
            reply.update(status="error", error=exc.message, kind=exc.kind)  # type: ignore[attr-defined]
        else:
            reply.update(status="error", error=f"internal error: {type(exc).__name__}: {exc}", kind="eval")
    return reply, False


def _trim_stderr() -> None:
    """Keep the stderr file (regorus warnings) small; the parent reads its tail after a crash."""
    try:
        if os.fstat(2).st_size > 65536:
            os.ftruncate(2, 0)
            os.lseek(2, 0, os.SEEK_SET)
    except OSError:
        pass


def main(argv: list[str]) -> int:
    memory_bytes, max_module_bytes, cache_size = (int(x) for x in argv[:3])
    flush_interval = float(argv[3]) if len(argv) > 3 else 0.25
    return serve(memory_bytes, max_module_bytes, cache_size, flush_interval)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
