"""LoRA fine-tuning with mlx-lm (Apple silicon; also runs on Linux with the `mlx[cpu]` wheel).

The shared `TrainConfig` is mapped onto mlx-lm's Python API, never onto its command line:
`mlx_lm.utils.load` loads the HF model dir, `mlx_lm.tuner.utils.linear_to_lora_layers` puts LoRA on
`lora_targets` of the last `lora_layers` layers (scale = alpha / rank, as in PEFT), and
`mlx_lm.tuner.trainer.train` runs the loop with our own batches and loss, so both backends share the
data pipeline of `train/data.py`: every assistant turn (end-of-turn token included) is trained on,
everything else is masked, and examples longer than `max_seq_length` are dropped and counted.

Step semantics: one step = one batch of `batch_size` examples; with `grad_accum > 1` the optimizer
updates every `grad_accum` steps (mlx-lm's accumulation). `iters: null` = `epochs` epochs of
ceil(n_train / batch_size) steps.

Outputs under `config.out`:
- `metrics.jsonl`, `summary.json` and `loss.png` in the torch backend's formats (see `MetricsLog`);
- `adapters/adapters.safetensors` + `adapters/adapter_config.json` (mlx-lm's layout, so
  `mlx_lm.generate --adapter-path out/adapters` works), step checkpoints
  `adapters/NNNNNNN_adapters.safetensors` (the most recent `keep_checkpoints` are kept) and
  `adapters/best/` (lowest validation loss).

Quantization (QLoRA): with `quantization: nf4|int4|int8` an unquantized base is first converted by
mlx-lm's own converter to its affine group quantization (4 or 8 bits, groups of 64; cached, see
`mlx_quantize.py`) and the LoRA layers go on its quantized linears. A base already quantized by mlx
(e.g. an `mlx-community/...-4bit` directory) is trained as it is. `chat_template` replaces the
tokenizer's template and is saved as `adapters/chat_template.jinja`.

Options that only mean something to the torch backend (`attention`, `loss_chunk_tokens`, `compile`)
are ignored here.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

from witness_evals.common.errors import InputError
from witness_evals.train.config import NO_DATASET, TrainConfig
from witness_evals.train.data import Dataset, TokenizedExample, load_dataset
from witness_evals.train.files import write_text_atomic
from witness_evals.train.mlx_env import mlx_available

Log = Callable[[str], None]
PAD_MULTIPLE = 8  # pad batch lengths to a multiple of this: few distinct shapes to compile, little waste


def _stderr(message: str) -> None:
    print(f"[mlx] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- pure mapping of the config


def planned_steps(config: TrainConfig, n_train: int) -> int:
    """Steps to run: `iters`, or `epochs` epochs of ceil(n_train / batch_size) steps."""
    if config.iters is not None:
        return config.iters
    return max(1, math.ceil(n_train / config.batch_size)) * config.epochs


def lora_scale(config: TrainConfig) -> float:
    """mlx-lm multiplies the LoRA branch by `scale`; PEFT by alpha / rank: same thing."""
    return config.lora_alpha / config.lora_rank


def lora_keys(layer: Any, targets: Sequence[str]) -> list[str]:
    """Paths inside one decoder layer (e.g. `self_attn.q_proj`) of the Linear modules named in `targets`."""
    import mlx.nn as nn

    found: dict[str, list[str]] = {t: [] for t in targets}
    for path, module in layer.named_modules():
        leaf = path.rsplit(".", 1)[-1]
        if leaf in found and isinstance(module, (nn.Linear, nn.QuantizedLinear)):
            found[leaf].append(path)
    missing = [t for t, paths in found.items() if not paths]
    if missing:
        raise InputError(
            f"no linear module named {', '.join(missing)} in the model's decoder layers",
            source="config",
            location="lora_targets",
        )
    return sorted(p for paths in found.values() for p in paths)


def lora_parameters(config: TrainConfig, keys: Sequence[str]) -> dict[str, Any]:
    """The `lora_parameters` mapping mlx-lm expects (also stored in adapter_config.json)."""
    return {
        "rank": config.lora_rank,
        "scale": lora_scale(config),
        "dropout": config.lora_dropout,
        "keys": list(keys),
    }


def learning_rate_schedule(config: TrainConfig, updates: int) -> Any:
    """A float (constant, no warmup) or an mlx schedule over optimizer updates."""
    import mlx.optimizers as optim

    lr = config.learning_rate
    warmup = min(config.warmup_steps, max(updates - 1, 0))
    rest = max(updates - warmup, 1)
    if config.lr_schedule == "constant":
        main: Any = lr if warmup == 0 else (lambda _step: lr)
    elif config.lr_schedule == "cosine":
        main = optim.cosine_decay(lr, rest, 0.0)
    else:  # linear
        main = optim.linear_schedule(lr, 0.0, rest)
    if warmup == 0:
        return main
    ramp = optim.linear_schedule(0.0, lr, warmup)
    return optim.join_schedules([ramp, main], [warmup])


def make_optimizer(config: TrainConfig, updates: int) -> Any:
    """AdamW (torch's defaults: betas 0.9/0.999, eps 1e-8), gradients clipped to `max_grad_norm`."""
    import mlx.optimizers as optim

    max_norm = config.max_grad_norm

    class ClippedAdamW(optim.AdamW):
        def apply_gradients(self, gradients: dict[str, Any], parameters: dict[str, Any]) -> Any:
            if max_norm > 0:
                gradients, _ = optim.clip_grad_norm(gradients, max_norm)
            return super().apply_gradients(gradients, parameters)

    return ClippedAdamW(
        learning_rate=learning_rate_schedule(config, updates),
        betas=[0.9, 0.999],
        eps=1e-8,
        weight_decay=config.weight_decay,
    )


# ---------------------------------------------------------------- batches and loss


@dataclass
class Examples:
    """Tokenised examples in the shape mlx-lm's trainer asks of a dataset (`len`, truthiness)."""

    items: list[TokenizedExample]

    def __len__(self) -> int:
        return len(self.items)


def _pad(examples: Sequence[TokenizedExample], max_seq_length: int) -> tuple[Any, Any]:
    """(tokens [B, L] int32, target mask [B, L-1] float32) with L padded to a multiple of 8 (+1)."""
    import mlx.core as mx
    import numpy as np

    longest = max(len(e) for e in examples)
    length = min(1 + PAD_MULTIPLE * math.ceil(longest / PAD_MULTIPLE), max_seq_length + 1)
    length = max(length, longest)
    tokens = np.zeros((len(examples), length), dtype=np.int32)
    mask = np.zeros((len(examples), length - 1), dtype=np.float32)
    for row, example in enumerate(examples):
        n = len(example)
        tokens[row, :n] = example.input_ids
        mask[row, : n - 1] = example.labels[1:]
    return mx.array(tokens), mx.array(mask)


def iterate_batches(
    dataset: Examples,
    batch_size: int,
    max_seq_length: int,
    loop: bool = False,
    seed: int = 0,
    comm_group: Any = None,
    token_counts: list[int] | None = None,
) -> Iterator[tuple[Any, Any]]:
    """Batches for mlx-lm's `train`/`evaluate` (same keyword interface as its own iterator).

    Training (`loop=True`): every epoch is a fresh permutation (numpy PCG64 seeded with seed+epoch),
    cut into batches of `batch_size` (the last one of an epoch may be smaller). Evaluation: file
    order, no shuffling. `token_counts`, if given, gets the number of real tokens of each batch.
    """
    import numpy as np

    if comm_group is not None and comm_group.size() > 1:
        raise RuntimeError("distributed mlx training is not supported by this backend")
    n = len(dataset)
    epoch = 0
    while True:
        order = np.random.default_rng(seed + epoch).permutation(n) if loop else np.arange(n)
        for start in range(0, n, batch_size):
            chunk = [dataset.items[int(i)] for i in order[start : start + batch_size]]
            if token_counts is not None:
                token_counts.append(sum(len(e) for e in chunk))
            yield _pad(chunk, max_seq_length)
        if not loop:
            return
        epoch += 1


def masked_loss(model: Any, tokens: Any, mask: Any) -> tuple[Any, Any]:
    """Mean cross-entropy over trained (assistant) target tokens; also returns their count."""
    import mlx.core as mx
    import mlx.nn as nn

    logits = model(tokens[:, :-1])
    ce = nn.losses.cross_entropy(logits, tokens[:, 1:]) * mask
    ntoks = mask.sum()
    return ce.astype(mx.float32).sum() / ntoks, ntoks.astype(mx.int32)


# ---------------------------------------------------------------- metrics, best, early stopping


class EarlyStop(Exception):
    """Raised from the validation callback to end training."""


class MetricsLog:
    """An mlx-lm `TrainingCallback` writing `metrics.jsonl` like the torch trainer, evaluating, keeping the best.

    mlx-lm reports every step (`steps_per_report=1`); each step gives one line
    `{"event": "train", "step", "loss", "grad_norm": null, "lr", "tokens_per_s"}` (tokens = all
    non-padding tokens of the step's batch over its wall time). After every `eval_every`-th step and
    the last one this class evaluates itself, `{"event": "eval", "step", "val_loss"}` (mlx-lm's own
    evaluation runs *before* a step, one step off the torch schedule), saves the best adapter and
    raises `EarlyStop` after `early_stopping_patience` evaluations without improvement.
    """

    def __init__(
        self,
        path: Path,
        *,
        config: TrainConfig,
        total_steps: int,
        token_counts: list[int],
        evaluate: Callable[[], float] | None,
        save_best: Callable[[], None],
        prune: Callable[[], None],
    ) -> None:
        self.path = path
        self.handle = path.open("w", encoding="utf-8")
        self.config = config
        self.total_steps = total_steps
        self.token_counts = token_counts
        self.evaluate = evaluate
        self.save_best = save_best
        self.prune = prune
        self.best_loss: float | None = None
        self.best_step: int | None = None
        self.since_best = 0
        self.last_step = 0
        self.last_eval_step: int | None = None
        self.tokens_seen = 0
        self.window_start = time.perf_counter()

    def write(self, record: dict[str, Any]) -> None:
        self.handle.write(json.dumps(record, sort_keys=True) + "\n")
        self.handle.flush()

    def on_train_loss_report(self, info: dict[str, Any]) -> None:
        step = int(info["iteration"])
        now = time.perf_counter()
        tokens = sum(self.token_counts[self.last_step : step])
        self.last_step = step
        self.tokens_seen += tokens
        self.write(
            {
                "event": "train",
                "step": step,
                "loss": float(info["train_loss"]),
                "grad_norm": None,
                "lr": float(info["learning_rate"]),
                "tokens_per_s": tokens / max(now - self.window_start, 1e-9),
            }
        )
        self.prune()
        if self.evaluate is not None and (step % self.config.eval_every == 0 or step == self.total_steps):
            self.record_eval(step, self.evaluate())
        self.window_start = time.perf_counter()

    def on_val_loss_report(self, info: dict[str, Any]) -> None:
        """Unused: validation is not handed to mlx-lm's loop (see the class docstring)."""

    def record_eval(self, step: int, loss: float) -> None:
        """Log one evaluation, keep the best adapter, stop after `early_stopping_patience` misses."""
        self.write({"event": "eval", "step": step, "val_loss": loss})
        self.last_eval_step = step
        if self.best_loss is None or loss < self.best_loss:
            self.best_loss, self.best_step, self.since_best = loss, step, 0
            self.save_best()
            return
        self.since_best += 1
        patience = self.config.early_stopping_patience
        if patience and self.since_best >= patience:
            raise EarlyStop(f"no validation improvement in {self.since_best} evaluations")

    def close(self) -> None:
        self.handle.close()


# ---------------------------------------------------------------- the run


def _select_device(config: TrainConfig) -> None:
    import mlx.core as mx

    if config.device == "cpu":
        mx.set_default_device(mx.cpu)
    elif config.device in ("mps", "cuda"):
        if not mx.is_available(mx.gpu):
            raise InputError(
                f"mlx has no GPU backend here (device={config.device})", source="config", location="device"
            )
        mx.set_default_device(mx.gpu)


def _dtype(config: TrainConfig) -> Any:
    import mlx.core as mx

    precision = config.precision
    if precision == "auto":
        precision = "bf16" if mx.default_device() == mx.gpu else "fp32"
    return {"bf16": mx.bfloat16, "fp16": mx.float16, "fp32": mx.float32}[precision]


def _mlx_model_config(model_dir: Path) -> dict[str, Any]:
    """Overrides for mlx-lm: its llama reads only the legacy top-level `rope_theta`."""
    from witness_evals.train.model_source import legacy_rope_theta

    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return legacy_rope_theta(config) if isinstance(config, dict) else {}


def _load_split(path: Path, tokenizer: Any, config: TrainConfig, log: Log) -> Dataset:
    dataset = load_dataset(path, tokenizer, config.max_seq_length)
    summary = dataset.summary()
    if dataset.dropped_too_long:
        log(
            f"{path}: dropped {dataset.dropped_too_long} examples over max_seq_length={config.max_seq_length}"
        )
    log(f"{path}: {summary['examples']} examples, {summary['target_tokens']} target tokens")
    return dataset


def train_mlx(config: TrainConfig, *, model_dir: Path | None = None, log: Log = _stderr) -> dict[str, Any]:
    """Fine-tune LoRA adapters with mlx-lm as `config` says; return the run summary (also `summary.json`).

    See the module docstring for the outputs.
    """
    ok, why = mlx_available()
    if not ok:
        raise InputError(why, source="config", location="backend")
    import mlx.core as mx
    import numpy as np
    from mlx.utils import tree_flatten
    from mlx_lm.tuner.trainer import TrainingArgs, evaluate, train
    from mlx_lm.tuner.utils import linear_to_lora_layers
    from mlx_lm.utils import load, save_config

    from witness_evals.train.model_source import resolve_model

    if config.data is None:
        raise InputError(NO_DATASET, source="config", location="data")
    data_dir = Path(config.data)
    train_file, valid_file = data_dir / "train.jsonl", data_dir / "valid.jsonl"
    if not train_file.is_file():
        raise InputError("no such file", source=str(train_file))
    model_path = (
        model_dir
        if model_dir is not None
        else resolve_model(config.model, log=log, require_template=config.chat_template is None)
    )
    if not any(model_path.glob("model*.safetensors")):
        raise InputError("mlx-lm needs safetensors weights (model*.safetensors)", source=str(model_path))
    from witness_evals.train.quantize import check_model_dir, mlx_bits, mlx_quantization

    check_model_dir(model_path, config)

    # validate the data with the tokenizer alone (the same HF tokenizer mlx-lm wraps) before any weights load
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load tokenizer: {exc}", source=str(model_path)) from None
    from witness_evals.train.chat_templates import apply_to_tokenizer, save_template, template_label
    from witness_evals.train.model_source import NO_TEMPLATE

    template = apply_to_tokenizer(tokenizer, config.chat_template)
    if not getattr(tokenizer, "chat_template", None):
        raise InputError(f"model {NO_TEMPLATE}", source=str(model_path))
    train_set = _load_split(train_file, tokenizer, config, log)
    valid_set = _load_split(valid_file, tokenizer, config, log) if valid_file.is_file() else None
    if valid_set is None:
        log(f"{valid_file}: missing, training without validation")

    bits = mlx_bits(config.quantization)
    if bits is not None and mlx_quantization(model_path) is None:
        from witness_evals.train.mlx_quantize import quantized_dir

        model_path = quantized_dir(model_path, bits, log=log)
    quantized = mlx_quantization(model_path)
    quantization = (
        "none"
        if quantized is None
        else f"mlx affine {quantized['bits']}-bit, groups of {quantized['group_size']}"
    )

    _select_device(config)
    mx.random.seed(config.seed)
    np.random.seed(config.seed)
    log(
        f"loading {model_path} ({mlx_available()[1]}, device {mx.default_device()}, base weights: {quantization})"
    )
    model = load(str(model_path), model_config=_mlx_model_config(model_path))[0]

    n_layers = len(model.layers)
    if config.lora_layers > n_layers:
        raise InputError(
            f"model has only {n_layers} layers, got {config.lora_layers}",
            source="config",
            location="lora_layers",
        )
    num_layers = n_layers if config.lora_layers == -1 else config.lora_layers
    model.set_dtype(_dtype(config))
    model.freeze()
    keys = lora_keys(model.layers[-1], config.lora_targets)
    params = lora_parameters(config, keys)
    linear_to_lora_layers(model, num_layers, params)  # LoRA init draws from mx.random (seeded)
    trainable = sum(
        v.size for _, v in cast(list[tuple[str, Any]], tree_flatten(model.trainable_parameters()))
    )
    log(
        f"LoRA rank {config.lora_rank} on {len(keys)} projections x {num_layers} layers: {trainable} trainable parameters"
    )

    steps = planned_steps(config, len(train_set.examples))
    updates = max(1, steps // config.grad_accum)
    out = Path(config.out)
    adapter_dir = out / "adapters"
    best_dir = adapter_dir / "best"
    best_dir.mkdir(parents=True, exist_ok=True)
    adapter_config = {
        "fine_tune_type": "lora",
        "num_layers": num_layers,
        "lora_parameters": params,
        "model": str(model_path),
        "seed": config.seed,
        "iters": steps,
        "witness_evals_config": config.to_dict(),
    }
    save_config(dict(adapter_config), adapter_dir / "adapter_config.json")
    save_config(dict(adapter_config), best_dir / "adapter_config.json")
    save_template(adapter_dir, template)
    save_template(best_dir, template)

    def save_adapter(path: Path) -> None:
        mx.save_safetensors(str(path), dict(tree_flatten(model.trainable_parameters())))

    def prune() -> None:
        checkpoints = sorted(adapter_dir.glob("[0-9]*_adapters.safetensors"))
        for old in checkpoints[: -config.keep_checkpoints]:
            old.unlink(missing_ok=True)

    token_counts: list[int] = []
    train_batches = partial(iterate_batches, seed=config.seed, token_counts=token_counts)
    valid_examples = Examples(valid_set.examples) if valid_set else None

    def run_eval() -> float:
        assert valid_examples is not None
        loss = evaluate(
            model,
            valid_examples,
            config.batch_size,
            config.val_batches,
            config.max_seq_length,
            masked_loss,
            iterate_batches,
        )
        model.train()
        return float(loss)

    metrics = MetricsLog(
        out / "metrics.jsonl",
        config=config,
        total_steps=steps,
        token_counts=token_counts,
        evaluate=run_eval if valid_examples is not None else None,
        save_best=lambda: save_adapter(best_dir / "adapters.safetensors"),
        prune=prune,
    )
    args = TrainingArgs(
        batch_size=config.batch_size,
        iters=steps,
        steps_per_report=1,  # one metrics line per step, as the torch trainer writes
        steps_per_eval=steps + 1,  # unused: no val_dataset is handed to mlx-lm
        steps_per_save=config.save_every,
        max_seq_length=config.max_seq_length,
        adapter_file=str(adapter_dir / "adapters.safetensors"),
        grad_checkpoint=config.gradient_checkpointing,
        grad_accumulation_steps=config.grad_accum,
    )
    stopped_early = False
    started = time.perf_counter()
    if (
        valid_examples is not None
    ):  # the untuned model's validation loss starts the curve (not a best candidate)
        metrics.write({"event": "eval", "step": 0, "val_loss": run_eval()})
    sink = sys.stderr if config.progress else io.StringIO()
    try:
        with contextlib.redirect_stdout(sink):  # mlx-lm's progress UI prints to stdout
            try:
                train(
                    model=model,
                    optimizer=make_optimizer(config, updates),
                    train_dataset=Examples(train_set.examples),
                    val_dataset=None,
                    args=args,
                    loss=masked_loss,
                    iterate_batches=train_batches,
                    training_callback=cast(Any, metrics),  # duck-typed TrainingCallback
                )
            except EarlyStop as stop:
                log(f"early stop after step {metrics.last_step}: {stop}")
                stopped_early = True
            save_adapter(adapter_dir / "adapters.safetensors")
    finally:
        metrics.close()
    prune()
    if metrics.best_step is None:  # no validation set: the final adapter stands in
        save_adapter(best_dir / "adapters.safetensors")
    done = metrics.last_step
    data_summary = {"train": train_set.summary(), **({"valid": valid_set.summary()} if valid_set else {})}
    summary = {
        "backend": "mlx",
        "finished": True,
        "steps": done,
        "planned_steps": steps,
        "steps_per_epoch": max(1, math.ceil(len(train_set.examples) / config.batch_size)),
        "epochs": round(done / max(1, math.ceil(len(train_set.examples) / config.batch_size)), 4),
        "stopped_early": stopped_early,
        "best_step": metrics.best_step,
        "best_val_loss": metrics.best_loss,
        "trainable_parameters": int(trainable),
        "tokens_seen": metrics.tokens_seen,
        "seconds_this_run": round(time.perf_counter() - started, 3),
        "steps_this_run": done,
        "data": data_summary,
        "device": str(mx.default_device()),
        "dtype": str(_dtype(config)).removeprefix("mlx.core."),
        "quantization": quantization,
        "chat_template": template_label(config.chat_template),
        "model_dir": str(model_path),
        "processes": 1,
        "out": str(out),
        "adapter_dir": str(adapter_dir),
    }
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=1, sort_keys=True) + "\n")
    from witness_evals.train.plot import plot_losses

    plot_losses(metrics.path, out / "loss.png", title="LoRA fine-tuning (mlx)")
    log(f"adapters written to {adapter_dir}")
    return summary
