"""`hf:` — a transformers causal LM (optionally with a PEFT LoRA adapter, merged at load time).

Engines (`hf:PATH,engine=...`; `load_backend(fast=...)` picks `auto` or `plain`):

- `plain`: the baseline — left-padded batches in input order, one `model.generate` each.
- `batched`: prompts sorted by (budget, prompt length), big left-padded batches, each row stopped at
  its own budget or stop token.
- `cb`: transformers continuous batching (paged attention, CUDA graphs): requests join and leave the
  running batch one by one. If it is missing or fails, the unfinished requests go to `batched`
  (one line on stderr says so).
- `static`: `batched` with a static KV cache (its length rounded up to a multiple of 1024) and the
  decoding step compiled by `torch.compile` (CUDA graphs on CUDA; transformers' `CompileConfig`);
  each batch but the last is full, so few shapes are compiled. For small models, whose decoding
  step is launch-bound, this is the lever the issue names.
- `auto` (default): `static` on CUDA, else `batched`. On an H100 (2026-12-05, witness-bench's
  default suite, the 135M model) `static` answered 768 requests in 241 s where `cb` had answered 166
  in 330 s.

`batched`, `static` and `stream` stop a row that is caught in a loop (`stop_loops=0` turns this
off): when its last tokens repeat one cycle of at most LOOP_MAX_PERIOD tokens LOOP_REPEATS times,
spanning at least LOOP_MIN_SPAN tokens, the row ends there (checked every LOOP_CHECK_EVERY steps). A
batch runs as long as its longest row, and small models often loop until their budget, so this is
most of the speed on them. It only removes repetitions: the 886 looping answers of two witness-bench
runs (H100, 2026-12-05), cut after four repetitions of their cycle, scored exactly as the full
answers did (`benchmarks/real_run/loop_cut_check.py`).

`batched` and `static` also run in stages (`stages=0` turns this off): a batch stops at
STAGE_ENDS[0] new tokens, and its rows that have not finished go on, with the rows of other batches
that have not, in new batches up to the next end, their answer so far in the prompt. A batch
computes every row at every step (the `static` engine over a cache sized for its longest possible
answer), so without stages one long answer holds the whole batch: on an H200 (2026-12-05) every
batch of 512 untuned answers ran its full 1,536 steps although the answers averaged 209 tokens.
Answers are the same tokens as in one pass (greedy, up to floating-point differences between batch
shapes; seeded sampling draws by answer position).

Every engine but `plain` and `cb` decodes with packed grouped-query attention (`packed_gqa=0` turns
this off; `_attention.py`): transformers' `sdpa` attention copies each key/value head for every query
head of its group on each compiled, masked decoding step (3 copies of the whole static cache per
layer for SmolLM2), where the group's query heads can instead attend as rows of their key/value head.
Same arithmetic per head; the answers are the same tokens (tested on the CPU, both engines).

A batch that runs out of GPU memory is answered in halves (down to one row), and the batches after
it are no larger; one line on stderr says so.

`kv_memory=F` caps the continuous-batching KV cache at that share of the GPU memory free after
loading (transformers' default: 0.9, or 0.8 with sampling), to leave room for another job on the GPU.

Decoding stops at the tokenizer's eos, the generation config's eos and the chat template's
end-of-turn token (SmolLM2: `<|im_end|>`). The checkpoint's own sampling defaults are ignored: only
`GenerationSettings` count. bf16 on CUDA, fp32 elsewhere (`dtype=` overrides). An adapter trained
with a `chat_template` (its `chat_template.jinja`) renders prompts with that template, not the base's;
`chat_template=chatml|gemma|llama3|FILE.jinja` gives one to a base without any (Gemma 3 270M's GGUF)
and overrides both.

Determinism: greedy decoding is deterministic for a given engine, batch size and device. Sampling
(`temperature > 0`) in `plain` and `batched` uses a counter-based Gumbel-max sampler keyed by
`request_seed(settings.seed, request.id)` and the token position, so a request's draw does not depend
on the other requests or on batching (only floating-point differences between batch shapes can
change a token). `engine=cb` with sampling seeds transformers' global generator with
`settings.seed`: repeatable only when the scheduler forms the same batches.
"""

from __future__ import annotations

import gc
import inspect
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from witness_evals.common.errors import InputError
from witness_evals.inference._attention import use_packed_gqa
from witness_evals.inference._resolve import adapter_dir, model_dir, run_base_model, spec_error
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
from witness_evals.train.chat_templates import adapter_chat_template, resolve_chat_template, template_label

_MASK32 = 0xFFFFFFFF
CPU_CACHE_BYTES = 2 << 30  # continuous batching off CUDA: KV cache budget
CB_STALL_SECONDS = 600  # continuous batching with no finished request for this long is given up
STATIC_CACHE_STEP = 1024  # `static` engine: cache lengths are rounded up to a multiple of this
LOOP_MAX_PERIOD = 128  # loop stop: longest cycle (tokens) looked for
LOOP_REPEATS = 4  # ... repeated this many times
LOOP_MIN_SPAN = 64  # ... over at least this many tokens
LOOP_CHECK_EVERY = 16  # ... checked every this many decoding steps
STAGE_ENDS = (256, 1024)  # `stages=1`: rows still going after this many new tokens are batched anew
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}


def _stderr(message: str) -> None:
    print(f"[inference] {message}", file=sys.stderr, flush=True)


@dataclass
class _Item:
    """One request on its way through an engine."""

    index: int
    ids: list[int]
    budget: int
    seed: int


@dataclass(frozen=True)
class _Pass:
    """How the batches of one stage are generated: `offset` tokens of each answer are already in its
    prompt, at most `limit` more (None: to the budget); `sort`: per-row budgets; `static`: the static
    cache; `streamer`: gets the new tokens (one item only)."""

    settings: GenerationSettings
    offset: int
    limit: int | None
    sort: bool
    static: bool
    streamer: Any


# ---------------------------------------------------------------- seeded sampling


def _mix32(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer hash on int64 tensors holding values < 2**32 (no product exceeds 2**63)."""
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _MASK32
    x = x ^ (x >> 15)
    x = (x * 0x31848BAB) & _MASK32
    return x ^ (x >> 16)


def gumbel_noise(seeds: torch.Tensor, step: int, vocab: int) -> torch.Tensor:
    """Gumbel(0, 1) noise [rows, vocab], a pure function of (row seed, step, token id)."""
    token = torch.arange(vocab, device=seeds.device, dtype=torch.int64)
    row = _mix32((seeds * 0x9E3779B1 + step * 0x85EBCA77 + 0x165667B1) & _MASK32)
    bits = _mix32(row[:, None] ^ ((token[None, :] * 0x2C1B3C6D) & _MASK32))
    bits = _mix32(bits ^ (row[:, None] >> 5))
    uniform = ((bits >> 8).to(torch.float32) + 0.5) / float(1 << 24)  # in (0, 1), never 0 or 1
    return -torch.log(-torch.log(uniform))


def seeded_choice(
    scores: torch.Tensor, seeds: torch.Tensor, step: int, temperature: float, top_p: float
) -> torch.Tensor:
    """Sample one token per row from softmax(scores / temperature) restricted to the top-p nucleus."""
    logits = scores.float() / temperature
    if top_p < 1.0:
        ordered, order = torch.sort(logits, descending=True, dim=-1)
        probs = ordered.softmax(dim=-1)
        outside = probs.cumsum(dim=-1) - probs >= top_p  # smallest set reaching top_p; never empty
        logits = logits.scatter(1, order, ordered.masked_fill(outside, float("-inf")))
    return (logits + gumbel_noise(seeds, step, logits.shape[-1])).argmax(dim=-1)


def _sampler_processor(
    seeds: torch.Tensor, settings: GenerationSettings, prompt_len: int, offset: int = 0
) -> Any:
    """A logits processor that samples (seeded per row) and leaves only its choice for greedy search;
    `offset` tokens of each row's answer are already part of its prompt (a later stage)."""
    from transformers import LogitsProcessor

    class SeededSampler(LogitsProcessor):
        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
            step = input_ids.shape[1] - prompt_len + offset
            choice = seeded_choice(scores, seeds, step, settings.temperature, settings.top_p)
            out = torch.full_like(scores, float("-inf"))
            return out.scatter_(1, choice[:, None], 0.0)  # type: ignore[return-value]

    return SeededSampler()


def _row_budget_criterion(budgets: torch.Tensor, prompt_len: int) -> Any:
    """Stop each row of a batch when it has generated its own budget of tokens."""
    from transformers import StoppingCriteria

    class RowBudget(StoppingCriteria):
        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> Any:
            return budgets <= input_ids.shape[1] - prompt_len

    return RowBudget()


def looping_rows(tokens: torch.Tensor) -> torch.Tensor:
    """Per row of `tokens` [rows, n]: whether its last tokens repeat one cycle of p <= LOOP_MAX_PERIOD
    tokens at least LOOP_REPEATS times over at least LOOP_MIN_SPAN tokens (a bool tensor [rows])."""
    rows, n = tokens.shape
    looping = torch.zeros(rows, dtype=torch.bool, device=tokens.device)
    for period in range(1, LOOP_MAX_PERIOD + 1):
        span = max(LOOP_REPEATS * period, -(-LOOP_MIN_SPAN // period) * period)
        if span > n:
            break
        tail = tokens[:, n - span :]
        looping |= (tail[:, period:] == tail[:, :-period]).all(dim=1)
    return looping


def _loop_criterion(prompt_len: int, stopped: dict[int, int], offset: int = 0) -> Any:
    """Stop each row caught in a loop (`looping_rows`); `stopped[row]` gets its answer's length at
    that point. The last `offset` tokens of the prompt are the answer so far (a later stage)."""
    from transformers import StoppingCriteria

    class LoopStop(StoppingCriteria):
        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> Any:
            generated = input_ids.shape[1] - prompt_len + offset
            done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
            if generated < LOOP_MIN_SPAN or generated % LOOP_CHECK_EVERY:
                return done
            looping = looping_rows(input_ids[:, prompt_len - offset :])
            for row in looping.nonzero().flatten().tolist():
                stopped.setdefault(row, generated)
            return looping

    return LoopStop()


# ---------------------------------------------------------------- the backend


class HFBackend:
    """A local transformers model; see the module docstring for engines and determinism."""

    def __init__(
        self,
        spec: str,
        model_spec: ModelSpec,
        *,
        device: str | None = None,
        batch_size: int | None = None,
        fast: bool = True,
        log: Callable[[str], None] = _stderr,
    ) -> None:
        self.spec = spec
        self.log = log
        adapter = model_spec.options.get("adapter")
        self.adapter = adapter_dir(spec, adapter, kind="hf") if adapter else None
        self.template_option = model_spec.options.get("chat_template")
        self.run_template = self._chat_template()
        self.model_path = model_dir(spec, model_spec, require_template=self.run_template is None)
        self.options = dict(model_spec.options)
        self.engine = model_spec.options.get("engine", "auto" if fast else "plain")
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        dtype_name = model_spec.options.get("dtype", "auto")
        if dtype_name == "auto":
            dtype_name = "bf16" if self.device.type == "cuda" else "fp32"
        self.dtype = DTYPES[dtype_name]
        self.batch_size = batch_size
        self.stop_loops = model_spec.options.get("stop_loops", "1") == "1"
        self.stages = model_spec.options.get("stages", "1") == "1"
        # not for `cb` (transformers' paged attention) nor `plain` (the unmodified loop, for comparisons)
        packed = model_spec.options.get("packed_gqa", "1") == "1"
        self.packed_gqa = packed and self.engine not in ("cb", "plain")
        self._fits: int | None = None  # rows of the largest batch that ran after one ran out of memory
        self.last_engine: str | None = None
        self.tokenizer = self._load_tokenizer()
        self.model = self._load_model()
        self.stop_ids = stop_token_ids(
            self.tokenizer, getattr(self.model.generation_config, "eos_token_id", None)
        )
        self.pad_id = int(self.tokenizer.pad_token_id)
        from transformers import GenerationConfig

        # our settings only: the checkpoint's sampling defaults (temperature, top_k, penalties) stay out
        self.model.generation_config = GenerationConfig(
            bos_token_id=self.tokenizer.bos_token_id, eos_token_id=self.stop_ids, pad_token_id=self.pad_id
        )
        self.context = int(getattr(self.model.config, "max_position_embeddings", 0) or 0) or None

    # -- loading
    def _chat_template(self) -> str | None:
        """The prompt format given by `chat_template=` (a built-in name or a .jinja file), else the
        one the adapter was trained with, else None (the model's own)."""
        if self.template_option is not None:
            try:
                return resolve_chat_template(self.template_option, source=self.spec)
            except InputError as exc:
                raise spec_error(self.spec, exc.one_line()) from None
        return adapter_chat_template(self.adapter) if self.adapter is not None else None

    def _load_tokenizer(self) -> Any:
        from transformers import AutoTokenizer

        try:
            tok = AutoTokenizer.from_pretrained(str(self.model_path))
        except (OSError, ValueError) as exc:
            raise spec_error(self.spec, f"cannot load tokenizer: {exc}") from None
        if self.run_template is not None:  # the prompt format the adapter was trained with
            tok.chat_template = self.run_template
        if not getattr(tok, "chat_template", None):
            raise spec_error(self.spec, f"{self.model_path}: tokenizer has no chat template")
        tok.padding_side = "left"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        if tok.pad_token is None:
            raise spec_error(self.spec, f"{self.model_path}: tokenizer has neither pad nor eos token")
        return tok

    def _load_model(self) -> Any:
        from transformers import AutoModelForCausalLM

        model: Any
        try:
            model = AutoModelForCausalLM.from_pretrained(str(self.model_path), dtype=self.dtype)
        except (OSError, ValueError, RuntimeError) as exc:
            raise spec_error(self.spec, f"cannot load model: {exc}") from None
        if self.adapter is not None:
            try:
                from peft import PeftModel
            except ImportError:
                raise spec_error(self.spec, "adapter= needs peft: pip install peft") from None
            try:
                model = PeftModel.from_pretrained(model, str(self.adapter)).merge_and_unload()
            except (OSError, ValueError, RuntimeError, KeyError) as exc:
                raise spec_error(self.spec, f"cannot load adapter {self.adapter}: {exc}") from None
        if self.packed_gqa:
            self.packed_gqa = use_packed_gqa(model)
        return model.to(self.device).eval()

    def describe(self) -> dict[str, Any]:
        from importlib.metadata import PackageNotFoundError, version

        versions: dict[str, str] = {}
        for package in ("torch", "transformers", "peft"):
            try:
                versions[package] = version(package)
            except PackageNotFoundError:
                continue
        out: dict[str, Any] = {
            "kind": "hf",
            "model": model_dir_name(self.model_path),
            "model_path": str(self.model_path),
            "adapter": str(self.adapter) if self.adapter else None,
            "device": torch.cuda.get_device_name(self.device)
            if self.device.type == "cuda"
            else str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."),
            "engine": self.engine,
            "last_engine": self.last_engine,
            "batch_size": self.batch_size,
            "stop_loops": self.stop_loops and self.engine in ("auto", "batched", "static"),
            "stages": list(STAGE_ENDS)
            if self.stages and self.engine in ("auto", "batched", "static")
            else [],
            "packed_gqa": self.packed_gqa,
            "stop_tokens": [self.tokenizer.convert_ids_to_tokens(i) for i in self.stop_ids],
            "versions": versions,
        }
        if self.template_option is not None:
            out["chat_template"] = template_label(self.template_option)
        elif self.adapter is not None:
            out["chat_template"] = "adapter" if self.run_template is not None else "model"
        if self.adapter is not None:
            out["adapter_base"] = run_base_model(self.adapter)
        return out

    def close(self) -> None:
        if getattr(self, "model", None) is None:
            return
        self.model = None
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    # -- generation
    def generate(
        self, requests: Sequence[Request], settings: GenerationSettings, on_done: OnDone | None = None
    ) -> list[Completion]:
        if self.model is None:
            raise RuntimeError("backend is closed")
        check_unique_ids(requests)
        results: dict[int, Completion] = {}

        def finish(index: int, tokens: list[int], prompt_tokens: int, seconds: float) -> None:
            results[index] = self._completion(requests[index], tokens, prompt_tokens, seconds)
            if on_done is not None:
                on_done(results[index])

        items: list[_Item] = []
        for index, request in enumerate(requests):
            start = time.perf_counter()
            try:
                item = self._item(index, request, settings)
            except Exception as exc:  # one bad chat (template error, too long) is that request's error
                results[index] = Completion(
                    request.id, "", None, None, time.perf_counter() - start, error=one_line(exc)
                )
                if on_done is not None:
                    on_done(results[index])
                continue
            items.append(item)
        engine = self.engine
        if engine == "auto":
            engine = "static" if self.device.type == "cuda" else "batched"
        if engine == "cb" and items:
            before = len(items)
            items = self._run_cb(items, settings, finish)
            engine = "cb" if not items else "batched" if len(items) == before else "cb+batched"
        if items:
            self._run_batched(items, settings, finish, sort=engine != "plain", static=engine == "static")
        self.last_engine = engine if requests else self.last_engine
        return [results[i] for i in range(len(requests))]

    def encode(self, messages: list[dict[str, str]]) -> list[int]:
        """Token ids of the chat, rendered with the model's template and an open assistant turn."""
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _item(self, index: int, request: Request, settings: GenerationSettings) -> _Item:
        ids = self.encode(request.messages)
        budget = request.budget(settings)
        if self.context is not None:
            if len(ids) >= self.context:
                raise ValueError(f"prompt of {len(ids)} tokens does not fit the context of {self.context}")
            budget = min(budget, self.context - len(ids))
        return _Item(index, ids, budget, request_seed(settings.seed, request.id))

    def _completion(
        self, request: Request, tokens: list[int], prompt_tokens: int, seconds: float
    ) -> Completion:
        stops = set(self.stop_ids)
        cut = next((i for i, t in enumerate(tokens) if t in stops), None)
        kept = tokens if cut is None else tokens[:cut]
        text = str(self.tokenizer.decode(kept, skip_special_tokens=True)).strip()
        used = len(tokens) if cut is None else cut + 1
        return Completion(request.id, text, prompt_tokens, used, seconds)

    def _default_batch(self, sort: bool) -> int:
        if self.batch_size is not None:
            return max(1, self.batch_size)
        if self.device.type == "cuda":
            return 256 if sort else 64
        return 8

    def _run_batched(
        self,
        items: list[_Item],
        settings: GenerationSettings,
        finish: Callable[[int, list[int], int, float], None],
        *,
        sort: bool,
        static: bool = False,
        streamer: Any = None,
    ) -> None:
        """`plain` (input order, no per-row budget), `batched` (sorted, per-row budgets) or `static`
        (`batched` on a compiled static-cache decoding step); `streamer` (one item only) gets the new
        tokens as they come.

        Sorted engines run in stages (`stages=1`): every batch stops at STAGE_ENDS[0] new tokens, and
        the rows that have not finished there go on together, their answer so far appended to their
        prompt, up to the next end. A batch runs as long as its longest row and computes every row;
        staged, the few long answers no longer hold hundreds of finished rows (and, for `static`, a
        cache sized for the longest answer) through every step. Greedy answers are the same tokens
        (up to floating-point differences between batch shapes); sampling draws by answer position,
        so a request's draws do not change either."""
        ends: tuple[int | None, ...] = (*STAGE_ENDS, None) if sort and self.stages else (None,)
        stops = set(self.stop_ids)
        answer: dict[int, list[int]] = {it.index: [] for it in items}
        prompt_tokens = {it.index: len(it.ids) for it in items}
        seconds = dict.fromkeys(answer, 0.0)
        offset = 0
        size = min(self._default_batch(sort), self._fits or len(items))
        for end in ends:
            limit = None if end is None else end - offset
            stage = _Pass(settings, offset, limit, sort, static, streamer)
            going: list[_Item] = []
            ordered = sorted(items, key=lambda it: (it.budget, len(it.ids))) if sort else items
            start = 0
            while start < len(ordered):
                chunk = ordered[start : start + size]
                start += len(chunk)
                began = time.perf_counter()
                rows, stopped = self._generate_fitting(chunk, stage)
                size = min(size, self._fits or size)  # after a batch ran out of memory, smaller ones
                share = (time.perf_counter() - began) / len(chunk)
                for number, (it, row) in enumerate(zip(chunk, rows, strict=True)):
                    seconds[it.index] += share
                    cut = min(it.budget, stopped.get(number, it.budget)) - offset
                    new = row[:cut]
                    answer[it.index] += new
                    ended = (
                        limit is None
                        or number in stopped
                        or offset + len(new) >= it.budget
                        or len(new) < limit
                        or not stops.isdisjoint(new)
                    )
                    if ended:
                        finish(it.index, answer.pop(it.index), prompt_tokens[it.index], seconds[it.index])
                    else:
                        going.append(_Item(it.index, it.ids + new, it.budget, it.seed))
            if not going:
                return
            assert end is not None  # the last stage has no end: every row finishes in it
            items, offset = going, end

    def _generate_fitting(self, chunk: list[_Item], stage: _Pass) -> tuple[list[list[int]], dict[int, int]]:
        """`_generate_chunk`, halving a batch that runs out of GPU memory (down to one row) instead of
        failing the run; batches after it are no larger than the half that ran (`_fits`)."""
        try:
            return self._generate_chunk(chunk, stage)
        except torch.OutOfMemoryError:
            if len(chunk) == 1:
                raise
        # out of the except block: the failed attempt's tensors (held by its traceback) can be freed
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        half = len(chunk) // 2
        self.log(
            f"out of GPU memory on a batch of {len(chunk)}: batches of {half} from here "
            "(a lower batch_size avoids the retry)"
        )
        self._fits = half
        first, stopped = self._generate_fitting(chunk[:half], stage)
        rest, more = self._generate_fitting(chunk[half:], stage)
        return first + rest, {**stopped, **{row + half: n for row, n in more.items()}}

    def _generate_chunk(self, chunk: list[_Item], stage: _Pass) -> tuple[list[list[int]], dict[int, int]]:
        """One `model.generate` over `chunk` (left-padded), at most `stage.limit` new tokens; each row's
        new tokens and the rows stopped in a loop (row -> answer length there). Budgets count from the
        answer's start (`stage.offset` of its tokens are in the prompt in a later stage)."""
        settings, offset, limit, sort = stage.settings, stage.offset, stage.limit, stage.sort
        from transformers import LogitsProcessorList, StoppingCriteriaList

        width = max(len(it.ids) for it in chunk)
        ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, it in enumerate(chunk):
            ids[row, width - len(it.ids) :] = torch.tensor(it.ids)
            mask[row, width - len(it.ids) :] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        budgets = [it.budget - offset for it in chunk]
        new_tokens = max(budgets) if limit is None else min(limit, max(budgets))
        processors = LogitsProcessorList()
        if not settings.greedy:
            seeds = torch.tensor([it.seed for it in chunk], dtype=torch.int64, device=self.device)
            processors.append(_sampler_processor(seeds, settings, width, offset))
        criteria = StoppingCriteriaList()
        if sort and min(budgets) < new_tokens:
            criteria.append(_row_budget_criterion(torch.tensor(budgets, device=self.device), width))
        stopped: dict[int, int] = {}
        if (sort or stage.streamer is not None) and self.stop_loops:
            criteria.append(_loop_criterion(width, stopped, offset))
        extra = self._static_cache(width + new_tokens) if stage.static else {}
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=new_tokens,
                do_sample=False,
                eos_token_id=self.stop_ids,
                pad_token_id=self.pad_id,
                logits_processor=processors,
                stopping_criteria=criteria,
                streamer=stage.streamer,
                **extra,
            )
        return out[:, width:].tolist(), stopped

    def _static_cache(self, length: int) -> dict[str, Any]:
        """`generate` arguments for the `static` engine: a static cache of `length` rounded up to a
        multiple of STATIC_CACHE_STEP (one compiled graph per batch shape and cache length) and a
        compile configuration (also off CUDA, where transformers would not compile by default)."""
        from transformers import CompileConfig, StaticCache

        size = -(-length // STATIC_CACHE_STEP) * STATIC_CACHE_STEP
        if self.context is not None:
            size = min(size, max(self.context, length))
        import torch._dynamo

        # one graph per (batch rows, cache length): the stages and last batches add shapes, and past
        # dynamo's default limit of 8 a step would silently fall back to eager
        torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 64)
        compile_config = CompileConfig()
        if self.device.type != "cuda":  # transformers' own switch to compile off CUDA
            compile_config._compile_all_devices = True  # type: ignore[assignment]
        # transformers >= 5.2x names the argument `cache`; earlier 5.x `past_key_values`
        key = "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"
        return {
            key: StaticCache(config=self.model.config, max_cache_len=size),
            "compile_config": compile_config,
        }

    def stream(
        self, request: Request, settings: GenerationSettings, on_text: Callable[[str], None]
    ) -> Completion:
        """Answer one request, passing its text to `on_text` piece by piece as tokens are generated.

        The pieces are the incremental decode of the tokens so far (stop tokens cut, leading and
        trailing whitespace held back, an incomplete UTF-8 character waits for its next token), so
        they join to the returned completion's text. Decoding is the `plain` engine on a batch of
        one, in the calling thread; an exception from `on_text` stops the generation and is raised.
        """
        if self.model is None:
            raise RuntimeError("backend is closed")
        start = time.perf_counter()
        try:
            item = self._item(0, request, settings)
        except Exception as exc:  # as in generate: a bad chat is this request's error
            return Completion(request.id, "", None, None, time.perf_counter() - start, error=one_line(exc))
        done: dict[str, Completion] = {}

        def finish(_index: int, ids: list[int], prompt_tokens: int, seconds: float) -> None:
            done["completion"] = self._completion(request, ids, prompt_tokens, seconds)

        pieces = _Pieces(self.tokenizer, set(self.stop_ids), on_text)
        self._run_batched([item], settings, finish, sort=False, streamer=pieces)
        completion = done["completion"]
        if completion.text.startswith(pieces.sent) and len(completion.text) > len(pieces.sent):
            on_text(completion.text[len(pieces.sent) :])
        return completion

    def _cpu_cache_blocks(self, items: list[_Item]) -> int:
        """Cache blocks (256 tokens each) for continuous batching off CUDA: what the requests need,
        at most CPU_CACHE_BYTES, at least two of the longest request."""
        config = self.model.config
        heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        per_token = 2 * config.num_hidden_layers * heads * head_dim * torch.finfo(self.dtype).bits // 8
        wanted = sum(len(it.ids) + it.budget for it in items) // 256 + len(items)
        longest = max(len(it.ids) + it.budget for it in items) // 256 + 1
        return max(2 * longest, min(wanted, CPU_CACHE_BYTES // (256 * per_token)))

    def _run_cb(
        self,
        items: list[_Item],
        settings: GenerationSettings,
        finish: Callable[[int, list[int], int, float], None],
    ) -> list[_Item]:
        """Continuous batching; returns the items it did not finish (all of them if it is unavailable)."""
        pending = {f"r{it.index}": it for it in items}
        try:
            from transformers import ContinuousBatchingConfig, GenerationConfig

            sampling: dict[str, Any] = {"do_sample": False}
            if not settings.greedy:
                sampling = {"do_sample": True, "temperature": settings.temperature, "top_p": settings.top_p}
            config = GenerationConfig(
                max_new_tokens=max(it.budget for it in items),
                eos_token_id=self.stop_ids,
                pad_token_id=self.pad_id,
                **sampling,
            )
            sizes: dict[str, Any] = {}
            if "kv_memory" in self.options:
                sizes["max_memory_percent"] = float(self.options["kv_memory"])
            if self.device.type != "cuda":  # its defaults size the cache from free memory: huge on a CPU
                sizes |= {"num_blocks": self._cpu_cache_blocks(items), "max_batch_tokens": 1024}
            kwargs: dict[str, Any] = {
                "continuous_batching_config": ContinuousBatchingConfig(seed=settings.seed, **sizes)
            }
            try:
                from transformers.generation.continuous_batching.utils import WorkloadHints

                kwargs["workload_hints"] = WorkloadHints(
                    max_prompt_length=max(len(it.ids) for it in items),
                    max_generated_length=config.max_new_tokens,
                    num_requests=len(items),
                )
            except ImportError:
                pass
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            last = time.perf_counter()
            with self.model.continuous_batching_context_manager(
                generation_config=config, block=True, timeout=30, **kwargs
            ) as manager:
                for key, it in pending.items():
                    manager.add_request(
                        input_ids=it.ids, request_id=key, max_new_tokens=it.budget, eos_token_id=self.stop_ids
                    )
                failed: list[str] = []
                while len(pending) > len(failed):
                    result = manager.get_result(timeout=1)
                    if result is None:
                        if not manager.is_running():
                            raise RuntimeError("the continuous batching loop stopped")
                        if time.perf_counter() - last > CB_STALL_SECONDS:
                            raise RuntimeError(f"no request finished in {CB_STALL_SECONDS} s")
                        continue
                    if not result.is_finished() or result.request_id not in pending:
                        continue
                    if result.error is not None:
                        if result.request_id not in failed:
                            failed.append(result.request_id)
                        continue
                    it = pending.pop(result.request_id)
                    now = time.perf_counter()
                    try:
                        finish(it.index, list(result.generated_tokens), len(it.ids), now - last)
                    except Exception as exc:  # the caller's on_done failed: not a reason to fall back
                        raise _CallerError() from exc
                    last = now
            if failed:
                self.log(f"{len(failed)} request(s) failed in continuous batching; retrying them in batches")
        except _CallerError as exc:
            raise exc.__cause__ from None  # type: ignore[misc]
        except Exception as exc:
            self.log(
                f"continuous batching unavailable ({type(exc).__name__}: {one_line(exc, 160)}); "
                f"{len(pending)} request(s) go to length-sorted batches"
            )
        return list(pending.values())  # not finished, or failed inside continuous batching


class _Pieces:
    """A `generate` streamer: decodes the tokens so far after each step and passes on the new text
    (the prompt, pushed first, is skipped; nothing after a stop token counts)."""

    def __init__(self, tokenizer: Any, stops: set[int], on_text: Callable[[str], None]) -> None:
        self.tokenizer, self.stops, self.on_text = tokenizer, stops, on_text
        self.prompt_seen = self.ended = False
        self.ids: list[int] = []
        self.sent = ""

    def put(self, value: torch.Tensor) -> None:
        if not self.prompt_seen:
            self.prompt_seen = True
            return
        for token in (int(t) for t in value.reshape(-1).tolist()):
            self.ended = self.ended or token in self.stops
            if not self.ended:
                self.ids.append(token)
        text = str(self.tokenizer.decode(self.ids, skip_special_tokens=True)).strip()
        if text.endswith("\ufffd") or not text.startswith(self.sent) or len(text) == len(self.sent):
            return
        piece, self.sent = text[len(self.sent) :], text
        self.on_text(piece)

    def end(self) -> None:
        return None


class _CallerError(Exception):
    """Wraps an exception raised by the caller's `on_done` inside the continuous batching loop."""
