"""Model specs: the text of `--model`, parsed into a `ModelSpec` (no file or network access here)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from witness_evals.common.errors import InputError

SCHEMES = ("hf", "openai", "ollama", "mlx", "answers")
# options each scheme accepts after its target (`hf:PATH,adapter=DIR,...`)
OPTIONS: dict[str, tuple[str, ...]] = {
    "hf": (
        "adapter",
        "gguf",
        "dtype",
        "engine",
        "kv_memory",
        "stop_loops",
        "stages",
        "packed_gqa",
        "chat_template",
    ),
    "mlx": ("adapter",),
}
ENGINES = ("auto", "cb", "static", "batched", "plain")
DTYPES = ("auto", "bf16", "fp16", "fp32")
USAGE = (
    "expected default, hf:PATH[,adapter=DIR][,gguf=FILE], openai:BASE_URL#MODEL, "
    "ollama:NAME[@http://HOST:PORT], mlx:PATH[,adapter=DIR] or answers:FILE"
)
_OPTION = re.compile(r"^([a-z_]+)=(.*)$")


@dataclass(frozen=True)
class ModelSpec:
    """`kind` (a scheme), `target` (path, URL, model name or file) and scheme options."""

    kind: str
    target: str
    options: dict[str, str] = field(default_factory=dict, hash=False)


def _error(spec: str, message: str) -> InputError:
    return InputError(message, source=f"--model {spec}")


def _split_options(spec: str, kind: str, rest: str) -> tuple[str, dict[str, str]]:
    """`PATH,key=value,...` -> (PATH, options); a comma not followed by `key=` belongs to the path."""
    pieces = rest.split(",")
    target = pieces[0]
    options: dict[str, str] = {}
    for piece in pieces[1:]:
        match = _OPTION.match(piece)
        if match is None:
            if options:
                raise _error(spec, f"expected key=value after {kind}:PATH, got {piece!r}")
            target += "," + piece
            continue
        key, value = match.groups()
        if key not in OPTIONS[kind]:
            raise _error(spec, f"unknown option {key!r} for {kind}: (known: {', '.join(OPTIONS[kind])})")
        if key in options:
            raise _error(spec, f"option {key!r} given twice")
        if not value:
            raise _error(spec, f"option {key!r} has no value")
        options[key] = value
    if options.get("engine", "auto") not in ENGINES:
        raise _error(spec, f"engine must be one of {', '.join(ENGINES)}")
    if options.get("dtype", "auto") not in DTYPES:
        raise _error(spec, f"dtype must be one of {', '.join(DTYPES)}")
    for switch in ("stop_loops", "stages", "packed_gqa"):
        if options.get(switch, "1") not in ("0", "1"):
            raise _error(spec, f"{switch} must be 0 or 1")
    if "kv_memory" in options:
        try:
            share = float(options["kv_memory"])
        except ValueError:
            share = -1.0
        if not 0.0 < share <= 1.0:
            raise _error(spec, "kv_memory must be a number in (0, 1]: the share of free GPU memory")
    return target, options


def _check_url(spec: str, url: str) -> str:
    if not re.match(r"^https?://[^/\s]+", url):
        raise _error(spec, f"not an http(s) URL: {url!r}")
    return url.rstrip("/")


def parse_spec(spec: str) -> ModelSpec:
    """Parse a model spec; `InputError` (one line, naming the spec) when it is malformed."""
    text = spec.strip()
    if text in ("default", "hf:default"):
        return ModelSpec("hf", "default", {})
    scheme, colon, rest = text.partition(":")
    if not colon or scheme not in SCHEMES:
        hint = f"unknown scheme {scheme!r}" if colon else "no scheme"
        raise _error(spec, f"{hint}; {USAGE}")
    if not rest:
        raise _error(spec, f"nothing after {scheme}:; {USAGE}")
    if scheme in OPTIONS:
        target, options = _split_options(spec, scheme, rest)
        if not target:
            raise _error(spec, f"no path after {scheme}:")
        return ModelSpec(scheme, target, options)
    if scheme == "openai":
        base, hash_, model = rest.rpartition("#")
        if not hash_ or not model.strip() or not base:
            raise _error(
                spec, "expected openai:BASE_URL#MODEL (e.g. openai:http://127.0.0.1:8000/v1#my-model)"
            )
        return ModelSpec("openai", model.strip(), {"base_url": _check_url(spec, base)})
    if scheme == "ollama":
        name, at, host = rest.rpartition("@")
        if at and re.match(r"^https?://", host):
            if not name:
                raise _error(spec, "no model name before @HOST")
            return ModelSpec("ollama", name, {"host": _check_url(spec, host)})
        return ModelSpec("ollama", rest, {})
    return ModelSpec("answers", rest, {})  # scheme == "answers"
