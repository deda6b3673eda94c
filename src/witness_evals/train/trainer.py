"""The PyTorch + PEFT LoRA trainer (CUDA and CPU, one or several processes).

`train_torch(config, model_dir)` validates everything first (config, both datasets, chat template),
then trains with packed rows (`packing.py`), varlen attention and the chunked LM-head loss. Data order
is a pure function of (seed, step), so a resumed run sees exactly the batches a straight run would.

Outputs under `config.out`: `checkpoints/step-NNNNNNN/` (+ `latest`), `best/` (lowest validation
loss), `adapter/` (final), `metrics.jsonl`, `loss.png`, `summary.json`, `config.yaml`.

Data parallelism: start with `torchrun --nproc_per_node N -m witness_evals train ...`; every process
takes `batch_size` examples of each step's global batch and gradients are summed across processes
(all-reduce) with the loss normalised by the global number of target tokens, so N processes compute
the same update as one process with N times the batch, up to numerics.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
import yaml

from witness_evals.common.errors import InputError
from witness_evals.train import checkpoint as ckpt
from witness_evals.train import data as data_mod
from witness_evals.train.chat_templates import template_label
from witness_evals.train.config import NO_DATASET, TrainConfig
from witness_evals.train.packing import PackedBatch, pack, split_by_tokens

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


@dataclass
class Dist:
    """Process group facts (world 1 when not launched by torchrun)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed(device_name: str) -> Dist:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    import torch.distributed as dist

    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and device_name in ("auto", "cuda")
    if use_cuda:
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return Dist(rank, world, local)


def _all_reduce(t: torch.Tensor, d: Dist) -> torch.Tensor:
    if d.world > 1:
        import torch.distributed as dist

        dist.all_reduce(t)
    return t


def sync_gradients(params: list[torch.nn.Parameter], d: Dist) -> None:
    """Sum gradients over processes (one flat all-reduce)."""
    if d.world <= 1:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    _all_reduce(flat, d)
    offset = 0
    for p in params:
        n = p.numel()
        p.grad = flat[offset : offset + n].view_as(p).clone()
        offset += n


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    order = list(range(n))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)
    return order


def steps_per_epoch(n: int, global_batch: int, world: int) -> int:
    """Whole-epoch step count; with several processes a last batch smaller than the world is dropped."""
    return max(1, math.ceil(n / global_batch) if world == 1 else n // global_batch)


def step_examples(n: int, cfg: TrainConfig, step: int, d: Dist) -> list[list[int]]:
    """Example indices of this process's micro-batches at `step` (0-based)."""
    per_rank = cfg.batch_size * cfg.grad_accum
    global_batch = per_rank * d.world
    spe = steps_per_epoch(n, global_batch, d.world)
    epoch, k = divmod(step, spe)
    order = epoch_order(n, cfg.seed, epoch)
    chunk = order[k * global_batch : (k + 1) * global_batch]
    mine = chunk[d.rank * per_rank : (d.rank + 1) * per_rank] if d.world > 1 else chunk
    return [mine[i : i + cfg.batch_size] for i in range(0, len(mine), cfg.batch_size)]


def lr_lambda(cfg: TrainConfig, total: int) -> Callable[[int], float]:
    def f(step: int) -> float:
        if cfg.warmup_steps and step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        if cfg.lr_schedule == "constant":
            return 1.0
        span = max(1, total - cfg.warmup_steps)
        progress = min(1.0, (step - cfg.warmup_steps) / span)
        if cfg.lr_schedule == "linear":
            return 1.0 - progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return f


def load_tokenizer(model_dir: Path, chat_template: str | None = None) -> Any:
    """The model's tokenizer, with the configured `chat_template` (checked) in place of its own."""
    from transformers import AutoTokenizer

    from witness_evals.train.chat_templates import apply_to_tokenizer
    from witness_evals.train.model_source import NO_TEMPLATE

    try:
        tok = AutoTokenizer.from_pretrained(str(model_dir))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load tokenizer: {exc}", source=str(model_dir)) from None
    apply_to_tokenizer(tok, chat_template)
    if not getattr(tok, "chat_template", None):
        raise InputError(f"model {NO_TEMPLATE}", source=str(model_dir), location="tokenizer_config.json")
    return tok


def meta_model(model_dir: Path) -> Any:
    """A weightless (meta-device) copy of the model: its module tree and shapes, nothing loaded."""
    from transformers import AutoConfig, AutoModelForCausalLM

    try:
        config = AutoConfig.from_pretrained(str(model_dir))
        with torch.device("meta"):
            return AutoModelForCausalLM.from_config(config)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load model config: {exc}", source=str(model_dir)) from None


def check_lora_targets(model_dir: Path, targets: list[str], meta: Any = None) -> Any:
    """Every LoRA target must name a module of the model (checked on the meta copy, returned)."""
    meta = meta if meta is not None else meta_model(model_dir)
    names = [name for name, _ in meta.named_modules()]
    unknown = [t for t in targets if not any(n == t or n.endswith("." + t) for n in names)]
    if unknown:
        raise InputError(
            f"no module named {', '.join(map(repr, unknown))} in this model",
            source="config",
            location="lora_targets",
        )
    return meta


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


class Trainer:
    """State of one run; `run()` does the work."""

    def __init__(self, cfg: TrainConfig, model_dir: Path, *, resume: bool = True, log: Log = _stderr) -> None:
        from witness_evals.train import model as M

        self.cfg, self.log = cfg, log
        if cfg.backend != "torch":
            raise InputError("train_torch needs backend: torch", source="config", location="backend")
        if cfg.data is None:
            raise InputError(NO_DATASET, source="config", location="data")
        self.data_dir, self.out = Path(cfg.data), Path(cfg.out)
        self.dist = init_distributed(cfg.device)
        try:
            self.device = M.resolve_device(cfg.device)
            if self.dist.world > 1 and self.device.type == "cuda":
                self.device = torch.device("cuda", self.dist.local_rank)
            self.dtype = M.resolve_dtype(cfg.precision, self.device)
        except (RuntimeError, ValueError) as exc:
            raise InputError(str(exc), source="config", location="device/precision") from None
        # validate every input before loading weights
        from witness_evals.train import quantize

        quantize.check_backend(cfg)
        self.quantizer = quantize.torch_quantizer(cfg.quantization)
        quantize.check_model_dir(model_dir, cfg)
        self.tokenizer = load_tokenizer(model_dir, cfg.chat_template)
        self.template: str | None = self.tokenizer.chat_template if cfg.chat_template else None
        self.phase_seconds: dict[str, float] = {}
        with self._timed("tokenize"):
            self.train_set = data_mod.load_dataset(
                self.data_dir / "train.jsonl", self.tokenizer, cfg.max_seq_length
            )
            self.valid_set = data_mod.load_dataset(
                self.data_dir / "valid.jsonl", self.tokenizer, cfg.max_seq_length
            )
        per_step = cfg.batch_size * cfg.grad_accum * self.dist.world
        if self.dist.world > 1 and len(self.train_set.examples) < per_step:
            raise InputError(f"fewer examples than one global batch ({per_step})", source=str(self.data_dir))
        self.spe = steps_per_epoch(len(self.train_set.examples), per_step, self.dist.world)
        self.total_steps = cfg.iters if cfg.iters is not None else self.spe * cfg.epochs
        meta = check_lora_targets(model_dir, cfg.lora_targets)
        if self.quantizer is not None and self.device.type == "cpu":
            quantize.check_cpu_shapes(meta, cfg.quantization)
        self._resume_state = self._checkpoint_to_resume(resume, meta)
        del meta
        seed_everything(cfg.seed)
        with self._timed("load_model"):
            self.model = self._load_model(model_dir)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.params = params
        from witness_evals.train.step import make_optimizer

        self.optimizer = make_optimizer(self.model, cfg.learning_rate, cfg.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda(cfg, self.total_steps))
        self.step = 0
        self.best_val: float | None = None
        self.best_step: int | None = None
        self.bad_evals = 0
        self.tokens_seen = 0

    def _load_model(self, model_dir: Path) -> Any:
        from transformers import AutoModelForCausalLM

        from witness_evals.train import model as M

        try:
            if self.quantizer is not None:
                from witness_evals.train.quantize import load_quantized

                model = load_quantized(model_dir, self.quantizer, self.dtype, self.device)
            else:
                model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=self.dtype)
                model = cast(Any, model).to(self.device)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot load model: {exc}", source=str(model_dir)) from None
        model = M.apply_lora(model, self.cfg)
        M.use_packed_attention(model)
        from witness_evals.train import attention

        attention.set_kernel(self.cfg.attention)
        M.freeze_prefix(model)
        if (
            self.cfg.gradient_checkpointing
            or self.cfg.checkpoint_over_tokens
            or self.cfg.checkpoint_keep_tokens
        ):
            M.enable_checkpointing(model)
        if M.use_compiled_varlen(self.cfg, self.device, self.dtype):
            M.compile_layers(model, self.cfg.max_seq_length)
        model.train()
        self.trainable = M.count_trainable(model)
        return model

    # ---- batches -------------------------------------------------------------------------------
    def _micro_batches(self, step: int) -> list[PackedBatch]:
        ex = self.train_set.examples
        return [
            pack(group).to(self.device)
            for idx in step_examples(len(ex), self.cfg, step, self.dist)
            for group in split_by_tokens([ex[i] for i in idx], self.cfg.micro_batch_tokens)
        ]

    def evaluate(self) -> float:
        """Mean token loss over the validation set (or its first `val_batches` batches)."""
        from witness_evals.train.model import compute_context, packed_loss

        ex = self.valid_set.examples
        bs = self.cfg.batch_size
        batches = [list(range(i, min(i + bs, len(ex)))) for i in range(0, len(ex), bs)]
        if self.cfg.val_batches > 0:
            batches = batches[: self.cfg.val_batches]
        mine = batches[self.dist.rank :: self.dist.world]
        totals = torch.zeros(2, dtype=torch.float64, device=self.device)
        self.model.eval()
        with torch.no_grad():
            for idx in mine:
                mb = pack([ex[i] for i in idx]).to(self.device)
                with compute_context(self.model, self.dtype, self.device):
                    totals[0] += packed_loss(self.model, mb, self.cfg.loss_chunk_tokens).double()
                totals[1] += mb.n_targets
        self.model.train()
        _all_reduce(totals, self.dist)
        return float(totals[0] / totals[1].clamp(min=1))

    # ---- persistence ---------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": ckpt.rng_state(),
            "best_val": self.best_val,
            "best_step": self.best_step,
            "bad_evals": self.bad_evals,
            "tokens_seen": self.tokens_seen,
            "config": self.cfg.to_dict(),
            "world": self.dist.world,
        }

    def save(self) -> None:
        if self.dist.main:
            ckpt.save_checkpoint(
                self.out / "checkpoints",
                f"step-{self.step:07d}",
                self.model,
                self.state(),
                self.cfg.keep_checkpoints,
                chat_template=self.template,
            )

    def _checkpoint_to_resume(self, resume: bool, meta: Any) -> tuple[Path, dict[str, Any]] | None:
        """The latest checkpoint and its state, checked against this run and the base's shapes
        (`meta`: the weightless model) before any weights load."""
        found = ckpt.latest_checkpoint(self.out / "checkpoints")
        if found is None:
            return None
        if not resume:
            raise InputError(
                "already holds checkpoints; resume or choose another --out", source=str(self.out)
            )
        state = ckpt.load_state(found)
        for key in (
            "data",
            "model",
            "seed",
            "batch_size",
            "grad_accum",
            "max_seq_length",
            "lora_rank",
            "lora_layers",
            "lora_targets",
            "quantization",
        ):
            if state["config"].get(key, "none" if key == "quantization" else None) != getattr(self.cfg, key):
                raise InputError(
                    f"checkpoint {found} was made with {key}={state['config'].get(key)!r}; use another --out",
                    source=str(found),
                    location=key,
                )
        if state.get("world", 1) != self.dist.world:
            raise InputError(f"checkpoint made with {state.get('world')} processes", source=str(found))
        from witness_evals.train.chat_templates import adapter_chat_template

        if adapter_chat_template(found) != self.template:
            raise InputError(
                "checkpoint was trained with another chat template; use another --out",
                source=str(found),
                location="chat_template",
            )
        ckpt.check_adapter_shapes(found, meta, self.cfg)
        return found, state

    def resume(self) -> bool:
        """Load the checkpoint found (and checked) at construction; False when there is none."""
        if self._resume_state is None:
            return False
        found, state = self._resume_state
        ckpt.load_adapter_weights(self.model, found)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        ckpt.set_rng_state(state["rng"])
        self.step = state["step"]
        self.best_val, self.best_step = state["best_val"], state["best_step"]
        self.bad_evals, self.tokens_seen = state["bad_evals"], state["tokens_seen"]
        return True

    def _metric(self, record: dict[str, Any]) -> None:
        if self.dist.main:
            with (self.out / "metrics.jsonl").open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, sort_keys=True) + "\n")

    def _trim_metrics(self) -> None:
        """After a resume, drop metrics logged after the checkpoint's step."""
        path = self.out / "metrics.jsonl"
        if self.dist.main and path.is_file():
            lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
            kept = [ln for ln in lines if json.loads(ln).get("step", 0) <= self.step]
            ckpt.write_text_atomic(path, "".join(ln + "\n" for ln in kept))

    # ---- the loop ------------------------------------------------------------------------------
    def _probe_memory(self) -> None:
        """Forward+backward on the longest possible micro-batch first, so out-of-memory shows up now."""
        from witness_evals.train.step import accumulate

        ex = sorted(self.train_set.examples, key=len, reverse=True)[: self.cfg.batch_size]
        groups = split_by_tokens(ex, self.cfg.micro_batch_tokens)
        mb = pack(max(groups, key=lambda g: sum(len(e) for e in g))).to(self.device)
        keep = self.cfg.checkpoint_keep_tokens
        if keep:  # one kept layer more than it gets: more kept activations than any micro-batch has
            keep = (keep // mb.n_tokens + 1) * mb.n_tokens
        accumulate(
            self.model,
            [mb],
            dtype=self.dtype,
            device=self.device,
            total_targets=mb.n_targets,
            chunk=self.cfg.loss_chunk_tokens,
            checkpoint_over=self.cfg.checkpoint_over_tokens,
            checkpoint_keep=keep,
        )
        self.optimizer.zero_grad(set_to_none=True)

    def run(self, *, stop_after: int | None = None) -> dict[str, Any]:
        """Train to `total_steps` (or `stop_after` steps in this call, to simulate a kill)."""
        from witness_evals.train.step import accumulate, optimizer_step

        cfg = self.cfg
        if self.dist.main:
            self.out.mkdir(parents=True, exist_ok=True)
        resumed = self.resume()
        if resumed:
            self.log(f"resuming from step {self.step}")
            self._trim_metrics()
        elif self.dist.main:
            (self.out / "metrics.jsonl").unlink(missing_ok=True)
        if self.dist.main:
            ckpt.write_text_atomic(self.out / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))
        self._announce()
        if self.device.type == "cuda" and self.step == 0:
            try:
                self._probe_memory()
            except torch.cuda.OutOfMemoryError:
                raise InputError(
                    "out of memory on the longest batch: lower batch_size, max_seq_length or micro_batch_tokens, "
                    "or set gradient_checkpointing",
                    source="config",
                ) from None
        if self.step == 0:  # the untuned model's validation loss starts the curve
            with self._timed("eval"):
                self._metric({"event": "eval", "step": 0, "val_loss": self.evaluate()})
        bar = self._progress()
        stopped_early = False
        started, run_steps, window_tokens, window_start = time.perf_counter(), 0, 0, time.perf_counter()
        pending: list[tuple[int, torch.Tensor, int, torch.Tensor | None, float]] = []
        while self.step < self.total_steps:
            if stop_after is not None and run_steps >= stop_after:
                break
            mbs = self._micro_batches(self.step)
            n_targets = sum(mb.n_targets for mb in mbs)
            n_tokens = sum(mb.n_tokens for mb in mbs)
            if self.dist.world > 1:  # one round trip only when there is someone to talk to
                tokens = torch.tensor([float(n_targets), float(n_tokens)], device=self.device)
                _all_reduce(tokens, self.dist)
                n_targets, n_tokens = int(tokens[0]), int(tokens[1])
            lr = float(self.scheduler.get_last_lr()[0])  # the rate this step's update uses
            try:
                loss_sum = accumulate(
                    self.model,
                    mbs,
                    dtype=self.dtype,
                    device=self.device,
                    total_targets=n_targets,
                    chunk=cfg.loss_chunk_tokens,
                    checkpoint_over=cfg.checkpoint_over_tokens,
                    checkpoint_keep=cfg.checkpoint_keep_tokens,
                )
                sync_gradients(self.params, self.dist)
                norm = optimizer_step(self.model, self.optimizer, self.scheduler, cfg.max_grad_norm)
            except torch.cuda.OutOfMemoryError:
                raise InputError(
                    f"out of memory at step {self.step + 1}; the last checkpoint is intact", source="config"
                ) from None
            self.step += 1
            run_steps += 1
            self.tokens_seen += n_tokens
            window_tokens += n_tokens
            pending.append(
                (self.step, _all_reduce(loss_sum.detach().clone(), self.dist), n_targets, norm, lr)
            )
            last = self.step == self.total_steps
            if self.step % cfg.log_every == 0 or last:
                now = time.perf_counter()
                tps = window_tokens / max(now - window_start, 1e-9)
                loss = 0.0
                for st, ls, nt, gn, step_lr in pending:
                    loss = float(ls) / max(nt, 1)
                    self._metric(
                        {
                            "event": "train",
                            "step": st,
                            "loss": loss,
                            "grad_norm": None if gn is None else float(gn),
                            "lr": step_lr,
                            "tokens_per_s": tps,
                        }
                    )
                pending.clear()
                window_tokens, window_start = 0, now
                if bar is not None:
                    bar.set_postfix(loss=f"{loss:.4f}", tok_s=f"{tps:,.0f}")
                elif self.dist.main:  # no progress bar (logs, CI): one line per log_every steps
                    self.log(
                        f"step {self.step}/{self.total_steps}: loss {loss:.4f}, lr {lr:.2e}, {tps:,.0f} tokens/s"
                    )
            if bar is not None:
                bar.update(1)
            if self.step % cfg.eval_every == 0 or last:
                with self._timed("eval"):
                    stopped_early = self._eval_and_keep_best()
            if self.step % cfg.save_every == 0 or last or stopped_early:
                with self._timed("checkpoint"):
                    self.save()
            if stopped_early:
                break
        if bar is not None:
            bar.close()
        finished = self.step >= self.total_steps or stopped_early
        return self._finish(finished, stopped_early, time.perf_counter() - started, run_steps)

    @contextlib.contextmanager
    def _timed(self, phase: str) -> Iterator[None]:
        """Add the wall time of the block to `phase_seconds[phase]` (summary.json: where a run's time went)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phase_seconds[phase] = self.phase_seconds.get(phase, 0.0) + time.perf_counter() - start

    def _eval_and_keep_best(self) -> bool:
        val = self.evaluate()
        self._metric({"event": "eval", "step": self.step, "val_loss": val})
        if not self.cfg.progress and self.dist.main:
            self.log(f"step {self.step}/{self.total_steps}: validation loss {val:.4f}")
        if self.best_val is None or val < self.best_val:
            self.best_val, self.best_step, self.bad_evals = val, self.step, 0
            if self.dist.main:
                tmp = self.out / f".tmp-best-{os.getpid()}"
                ckpt.save_adapter(self.model, tmp, chat_template=self.template)
                ckpt.write_text_atomic(
                    tmp / "best.json", json.dumps({"step": self.step, "val_loss": val}) + "\n"
                )
                ckpt.replace_dir(tmp, self.out / "best")
            return False
        self.bad_evals += 1
        return bool(self.cfg.early_stopping_patience and self.bad_evals >= self.cfg.early_stopping_patience)

    def _announce(self) -> None:
        if not self.dist.main:
            return
        t, v = self.train_set.summary(), self.valid_set.summary()
        self.log(
            f"train: {t['examples']} examples ({t['dropped_too_long']} dropped > {self.cfg.max_seq_length} tokens), "
            f"valid: {v['examples']} ({v['dropped_too_long']} dropped); {self.total_steps} steps "
            f"({self.spe} per epoch), {self.trainable:,} trainable parameters, {self.device} {self.dtype}, "
            f"base weights: {self._quantization()}, {self.dist.world} process(es); data tokenised in "
            f"{self.phase_seconds['tokenize']:.1f} s, model loaded in {self.phase_seconds['load_model']:.1f} s"
        )

    def _quantization(self) -> str:
        from witness_evals.train.quantize import describe

        return describe(self.cfg, self.dtype)

    def _progress(self) -> Any:
        if not (self.cfg.progress and self.dist.main):
            return None
        from tqdm import tqdm

        return tqdm(
            total=self.total_steps,
            initial=self.step,
            desc="train",
            unit="step",
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def _finish(self, finished: bool, stopped_early: bool, seconds: float, run_steps: int) -> dict[str, Any]:
        summary = {
            "finished": finished,
            "steps": self.step,
            "planned_steps": self.total_steps,
            "steps_per_epoch": self.spe,
            "epochs": round(self.step / self.spe, 4),
            "stopped_early": stopped_early,
            "best_step": self.best_step,
            "best_val_loss": self.best_val,
            "trainable_parameters": self.trainable,
            "tokens_seen": self.tokens_seen,
            "seconds_this_run": round(seconds, 3),
            "phase_seconds": {k: round(v, 3) for k, v in sorted(self.phase_seconds.items())},
            "steps_this_run": run_steps,
            "data": {"train": self.train_set.summary(), "valid": self.valid_set.summary()},
            "device": str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."),
            "quantization": self._quantization(),
            "chat_template": template_label(self.cfg.chat_template),
            "processes": self.dist.world,
            "out": str(self.out),
        }
        if self.device.type == "cuda":  # this process's peak (weights resident), for the memory goals
            summary["peak_allocated_gib"] = round(torch.cuda.max_memory_allocated(self.device) / 2**30, 3)
            summary["peak_reserved_gib"] = round(torch.cuda.max_memory_reserved(self.device) / 2**30, 3)
        if finished and self.dist.main:
            tmp = self.out / f".tmp-adapter-{os.getpid()}"
            ckpt.save_adapter(self.model, tmp, chat_template=self.template)
            ckpt.replace_dir(tmp, self.out / "adapter")
            from witness_evals.train.plot import plot_losses

            plot_losses(self.out / "metrics.jsonl", self.out / "loss.png")
            ckpt.write_text_atomic(
                self.out / "summary.json", json.dumps(summary, indent=1, sort_keys=True) + "\n"
            )
        return summary


def train_torch(
    config: TrainConfig,
    model_dir: Path,
    *,
    resume: bool = True,
    stop_after: int | None = None,
    log: Log = _stderr,
) -> dict[str, Any]:
    """Run the torch backend; returns the run summary (also written to `out/summary.json`)."""
    if torch.cuda.is_available():
        os.environ.setdefault("PYTORCH_ALLOC_CONF", "expandable_segments:True")
    return Trainer(config, model_dir, resume=resume, log=log).run(stop_after=stop_after)
