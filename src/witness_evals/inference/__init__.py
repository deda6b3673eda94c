"""One way to ask a model: local transformers or mlx-lm, an OpenAI-compatible or Ollama server, or a
file of pre-made answers — the benchmark, the demo, `ask` and `serve` all go through here.

    backend = load_backend("hf:default")            # the embedded SmolLM2-135M-Instruct
    done = backend.generate([Request("q1", [{"role": "user", "content": "..."}])], GenerationSettings())

Model specs (`--model`): `default`, `hf:PATH[,adapter=DIR][,gguf=FILE][,dtype=..][,engine=..]`,
`openai:BASE_URL#MODEL`, `ollama:NAME[@http://HOST:PORT]`, `mlx:PATH[,adapter=DIR]`, `answers:FILE`.
Importing this package is light: torch, transformers, mlx and httpx load only with their backend.
"""

from __future__ import annotations

from pathlib import Path

from witness_evals.common.errors import InputError
from witness_evals.inference._spec import ModelSpec, parse_spec
from witness_evals.inference._types import Backend, Completion, GenerationSettings, Request, request_seed

__all__ = [
    "Backend",
    "Completion",
    "GenerationSettings",
    "InputError",
    "ModelSpec",
    "Request",
    "load_backend",
    "parse_spec",
    "request_seed",
]


def load_backend(
    spec: str,
    *,
    device: str | None = None,
    batch_size: int | None = None,
    concurrency: int = 8,
    timeout: float = 120.0,
    retries: int = 3,
    fast: bool = True,
) -> Backend:
    """Build the backend a spec names; `InputError` (one line naming the spec) when it cannot.

    `device`/`batch_size`/`fast` are for `hf:` (`fast=False`: the plain `model.generate` loop);
    `concurrency`/`timeout`/`retries` for the servers (`openai:`, `ollama:`).
    """
    model = parse_spec(spec)
    if model.kind == "answers":
        from witness_evals.inference._answers import AnswersBackend

        return AnswersBackend(spec, Path(model.target).expanduser())
    if model.kind == "openai":
        from witness_evals.inference._http import OpenAIBackend

        return OpenAIBackend(
            spec,
            model.options["base_url"],
            model.target,
            concurrency=concurrency,
            timeout=timeout,
            retries=retries,
        )
    if model.kind == "ollama":
        from witness_evals.inference._http import OllamaBackend

        return OllamaBackend(
            spec,
            model.target,
            model.options.get("host"),
            concurrency=concurrency,
            timeout=timeout,
            retries=retries,
        )
    if model.kind == "mlx":
        from witness_evals.inference._mlx import MLXBackend, mlx_modules

        mlx_modules(spec)  # InputError before any file work when mlx-lm is missing
        return MLXBackend(spec, model)
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        raise InputError(
            "hf: needs torch and transformers: pip install 'witness-evals[train]'", source=f"--model {spec}"
        ) from None
    from witness_evals.inference._hf import HFBackend

    return HFBackend(spec, model, device=device, batch_size=batch_size, fast=fast)
