"""Wire format between `RegoSandbox` and its workers.

A message is a header (JSON object) and a body (raw bytes, here the input JSON text), each
prefixed by its length as a 4-byte big-endian integer. Requests:
``{"op": "eval"|"check", "id": n, "key": k, "mode": m, "modules": [[name, source], ...] | null}``
(modules are omitted when the worker already holds the compiled set under `key`). Replies carry
``{"id": n, "status": ..., ...}`` and an empty body.
"""

from __future__ import annotations

import json
import struct
from typing import Any

_LEN = struct.Struct(">I")
MAX_FRAME = (1 << 32) - 1


def encode(header: dict[str, Any], body: bytes = b"") -> bytes:
    """One message: len(header) header len(body) body."""
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")
    return _LEN.pack(len(head)) + head + _LEN.pack(len(body)) + body


def decode_all(buf: bytearray) -> list[tuple[dict[str, Any], bytes]]:
    """Pop every complete message from the front of `buf` (linear time)."""
    out: list[tuple[dict[str, Any], bytes]] = []
    pos, n = 0, len(buf)
    view = memoryview(buf)
    try:
        while n - pos >= 4:
            (hlen,) = _LEN.unpack_from(buf, pos)
            if n - pos < 8 + hlen:
                break
            (blen,) = _LEN.unpack_from(buf, pos + 4 + hlen)
            end = pos + 8 + hlen + blen
            if n < end:
                break
            header = json.loads(bytes(view[pos + 4 : pos + 4 + hlen]).decode("utf-8", "surrogatepass"))
            out.append((header, bytes(view[pos + 8 + hlen : end])))
            pos = end
    finally:
        view.release()
    if pos:
        del buf[:pos]
    return out


def decode_from(buf: bytearray) -> tuple[dict[str, Any], bytes] | None:
    """Pop one complete message from the front of `buf`, or None when incomplete."""
    if len(buf) < 4:
        return None
    (hlen,) = _LEN.unpack_from(buf, 0)
    if len(buf) < 8 + hlen:
        return None
    (blen,) = _LEN.unpack_from(buf, 4 + hlen)
    end = 8 + hlen + blen
    if len(buf) < end:
        return None
    header = json.loads(bytes(buf[4 : 4 + hlen]).decode("utf-8", "surrogatepass"))
    body = bytes(buf[8 + hlen : end])
    del buf[:end]
    return header, body
