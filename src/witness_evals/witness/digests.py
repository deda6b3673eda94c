"""DigestSet (go-witness cryptoutil/digestset.go) and the dirHash algorithm.

A DigestSet is a JSON object mapping a hash name to a value. Only five names exist; anything
else makes a collection fail to load with `unsupported hash function: <name>`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError

ALLOWED_HASHES: tuple[str, ...] = ("sha256", "sha1", "gitoid:sha256", "gitoid:sha1", "dirHash")
"""Hash names accepted in a DigestSet (exact, case-sensitive)."""

CLI_HASH_NAMES: tuple[str, ...] = ALLOWED_HASHES
"""Names accepted by `witness run --hashes`."""

_HEX_LEN = {"sha256": 64, "sha1": 40, "dirHash": 64}


def sha256_hex(data: bytes | str) -> str:
    """Lowercase hex SHA-256 of bytes (str is UTF-8 encoded)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def sha1_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def gitoid(data: bytes, algo: str = "sha256") -> str:
    """gitoid URI of a blob, e.g. `gitoid:blob:sha256:<hex>` (git's `blob <len>\\0` header)."""
    h = hashlib.new(algo)
    h.update(b"blob %d\x00" % len(data))
    h.update(data)
    return f"gitoid:blob:{algo}:{h.hexdigest()}"


def digest_set(data: bytes, hashes: Iterable[str] = ("sha256",)) -> dict[str, str]:
    """DigestSet of `data` as the CLI builds it (plain digests; gitoid names become plain hashes)."""
    out: dict[str, str] = {}
    for name in hashes:
        if name not in ALLOWED_HASHES:
            raise InputError(f"unsupported hash function: {name}")
        if name in ("sha256", "gitoid:sha256", "dirHash"):
            out["sha256"] = sha256_hex(data)
        else:
            out["sha1"] = sha1_hex(data)
    return out


def dir_hash(files: Mapping[str, bytes]) -> str:
    """go-witness dirHash of in-memory files (relative path -> content)."""
    return dir_hash_of_digests({p: sha256_hex(data) for p, data in files.items()})


def dir_hash_of_digests(digests: Mapping[str, str]) -> str:
    """go-witness dirHash: sha256 over `"<sha256 hex>  <relpath>\\n"` lines sorted by path."""
    return sha256_hex("".join(f"{digests[p]}  {p}\n" for p in sorted(digests)))


def validate_digest_set(value: Any, *, location: str = "") -> dict[str, str]:
    """Check a decoded DigestSet like go-witness's UnmarshalJSON; return it as a plain dict."""
    if not isinstance(value, dict):
        raise InputError("digest set must be a JSON object", location=location or None)
    for name, digest in value.items():
        if name not in ALLOWED_HASHES:
            raise InputError(f"unsupported hash function: {name}", location=location or None)
        if not isinstance(digest, str):
            raise InputError(f"digest {name} must be a string", location=location or None)
    return dict(value)


def looks_valid(name: str, value: str) -> bool:
    """Whether a digest value is well formed for its algorithm (used by generators and checks)."""
    if name in _HEX_LEN:
        return len(value) == _HEX_LEN[name] and all(c in "0123456789abcdef" for c in value)
    if name.startswith("gitoid:"):
        algo = name.split(":", 1)[1]
        prefix = f"gitoid:blob:{algo}:"
        return value.startswith(prefix) and looks_valid(algo, value[len(prefix) :])
    return False


def digest_sets_equal(a: Mapping[str, str], b: Mapping[str, str], *, strongest: bool = False) -> bool:
    """DigestSet.Equal. Up to go-witness v0.10.0: >=1 shared algorithm and all shared ones equal.

    `strongest` (go-witness v0.12.0, witness v0.12): additionally an algorithm of the strongest digest
    size present on either side must be shared (equality never downgrades to a weaker hash).
    """
    shared = set(a) & set(b)
    if not shared or any(a[k] != b[k] for k in shared):
        return False
    if strongest:
        size = {"sha1": 20, "gitoid:sha1": 20, "sha256": 32, "gitoid:sha256": 32, "dirHash": 32}
        top = max(size.get(k, 0) for k in set(a) | set(b))
        return any(size.get(k, 0) == top for k in shared)
    return True


def file_sha256(path: str) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks; InputError naming the file if it cannot be read."""
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError("is a directory", source=path)
        h = hashlib.sha256()
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except FileNotFoundError:
        raise InputError("no such file", source=path) from None
    except PermissionError:
        raise InputError("permission denied", source=path) from None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=path) from None


def directory_digest(path: str) -> str:
    """go-witness `CalculateDigestSetFromDir` (dirHash over every regular file, `/`-separated paths)."""
    root = Path(path)
    if not root.is_dir():
        raise InputError("not a directory", source=path)
    digests: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in filenames:
            full = Path(dirpath) / name
            if not full.is_file() or full.is_symlink():
                continue
            digests[full.relative_to(root).as_posix()] = file_sha256(str(full))
    return dir_hash_of_digests(digests)
