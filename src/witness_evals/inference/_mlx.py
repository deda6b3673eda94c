"""`mlx:` — mlx-lm (Apple silicon; the `mlx[cpu]` wheel on Linux), optionally with a LoRA adapter.

Requests are answered one after the other with `mlx_lm.stream_generate`, stopping at the same stop
tokens as the `hf:` backend. Sampling seeds mlx's generator with `request_seed(seed, request.id)`
before each request, so a request's text does not depend on the others. An adapter trained with a
`chat_template` (`adapters/chat_template.jinja`) renders prompts with it, not the base's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from witness_evals.inference._resolve import adapter_dir, model_dir, spec_error
from witness_evals.inference._spec import ModelSpec
from witness_evals.inference._tokens import model_dir_name, stop_token_ids
from witness_evals.inference._types import (
    Completion,
    GenerationSettings,
    OnDone,
    Request,
    check_unique_ids,
    one_line,
    request_seed,
)
from witness_evals.train.chat_templates import adapter_chat_template


def mlx_modules(spec: str) -> tuple[Any, Any]:
    """(mlx.core, mlx_lm), or `InputError` when mlx-lm is not installed."""
    try:
        import mlx.core as mx
        import mlx_lm
    except ImportError:
        raise spec_error(spec, "mlx-lm is not installed: pip install 'witness-evals[mlx]'") from None
    return mx, mlx_lm


class MLXBackend:
    """A local mlx-lm model."""

    def __init__(self, spec: str, model_spec: ModelSpec) -> None:
        self.spec = spec
        self.mx, self.mlx_lm = mlx_modules(spec)
        adapter = model_spec.options.get("adapter")
        self.adapter = adapter_dir(spec, adapter, kind="mlx") if adapter else None
        run_template = adapter_chat_template(self.adapter) if self.adapter is not None else None
        self.model_path = model_dir(spec, model_spec, require_template=run_template is None)
        from witness_evals.train.model_source import legacy_rope_theta

        try:
            config = json.loads((self.model_path / "config.json").read_text(encoding="utf-8"))
            self.model, self.tokenizer = self.mlx_lm.load(
                str(self.model_path),
                model_config=legacy_rope_theta(config) if isinstance(config, dict) else {},
                adapter_path=str(self.adapter) if self.adapter else None,
            )
        except (OSError, ValueError, KeyError) as exc:
            raise spec_error(self.spec, f"cannot load with mlx-lm: {one_line(exc)}") from None
        hf_tokenizer = getattr(self.tokenizer, "_tokenizer", self.tokenizer)
        if run_template is not None:  # the prompt format the adapter was trained with
            hf_tokenizer.chat_template = run_template
        if not getattr(hf_tokenizer, "chat_template", None):
            raise spec_error(self.spec, f"{self.model_path}: tokenizer has no chat template")
        self.hf_tokenizer = hf_tokenizer
        self.stop_ids = stop_token_ids(hf_tokenizer, sorted(getattr(self.tokenizer, "eos_token_ids", [])))
        self.tokenizer.eos_token_ids = set(self.stop_ids)

    def describe(self) -> dict[str, Any]:
        from importlib.metadata import PackageNotFoundError, version

        versions: dict[str, str] = {}
        for package in ("mlx", "mlx-lm"):
            try:
                versions[package] = version(package)
            except PackageNotFoundError:
                continue
        return {
            "kind": "mlx",
            "model": model_dir_name(self.model_path),
            "model_path": str(self.model_path),
            "adapter": str(self.adapter) if self.adapter else None,
            "device": str(self.mx.default_device()),
            "dtype": "as stored",
            "stop_tokens": [self.hf_tokenizer.convert_ids_to_tokens(i) for i in self.stop_ids],
            "versions": versions,
        }

    def generate(
        self, requests: Sequence[Request], settings: GenerationSettings, on_done: OnDone | None = None
    ) -> list[Completion]:
        from mlx_lm.sample_utils import make_sampler

        check_unique_ids(requests)
        sampler = make_sampler(
            temp=settings.temperature,
            top_p=settings.top_p if settings.top_p < 1 and not settings.greedy else 0.0,
        )
        out: list[Completion] = []
        for request in requests:
            start = time.perf_counter()
            try:
                done = self._one(request, settings, sampler, start)
            except Exception as exc:  # one bad chat is that request's error
                done = Completion(
                    request.id, "", None, None, time.perf_counter() - start, error=one_line(exc)
                )
            out.append(done)
            if on_done is not None:
                on_done(done)
        return out

    def _one(self, request: Request, settings: GenerationSettings, sampler: Any, start: float) -> Completion:
        text = self.hf_tokenizer.apply_chat_template(
            request.messages, tokenize=False, add_generation_prompt=True
        )
        prompt = list(self.hf_tokenizer(text, add_special_tokens=False)["input_ids"])
        if not settings.greedy:
            self.mx.random.seed(request_seed(settings.seed, request.id))
        tokens: list[int] = []
        stops = set(self.stop_ids)
        for response in self.mlx_lm.stream_generate(
            self.model, self.tokenizer, prompt, max_tokens=request.budget(settings), sampler=sampler
        ):
            tokens.append(int(response.token))
            if tokens[-1] in stops:
                break
        kept = [t for t in tokens if t not in stops]
        answer = str(self.hf_tokenizer.decode(kept, skip_special_tokens=True)).strip()
        return Completion(request.id, answer, len(prompt), len(tokens), time.perf_counter() - start)

    def close(self) -> None:
        self.model = None
