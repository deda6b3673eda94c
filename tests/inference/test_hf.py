"""The transformers backend on CPU with the embedded SmolLM2-135M-Instruct: plain vs fast engines."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch

from witness_evals.inference import Completion, GenerationSettings, Request, load_backend
from witness_evals.inference._hf import gumbel_noise, seeded_choice

QUESTIONS = [
    "Which flag of `witness verify` names the policy signer's public key?",
    "Say hi.",
    "What does the material attestor record? Answer in one sentence.",
    "Write a witness run command for the step build.",
]


def requests(questions: list[str] = QUESTIONS, **kwargs: Any) -> list[Request]:
    return [Request(f"q{i}", [{"role": "user", "content": q}], **kwargs) for i, q in enumerate(questions)]


def test_plain_and_fast_give_identical_greedy_answers(plain_backend: Any, fast_backend: Any) -> None:
    settings = GenerationSettings(max_new_tokens=12)
    seen: list[Completion] = []
    plain = plain_backend.generate(requests(), settings)
    fast = fast_backend.generate(requests(), settings, on_done=seen.append)
    assert [c.id for c in fast] == ["q0", "q1", "q2", "q3"]
    assert sorted(c.id for c in seen) == ["q0", "q1", "q2", "q3"]  # once each
    assert [c.text for c in plain] == [c.text for c in fast]
    assert all(c.text and c.error is None for c in fast)
    assert all(0 < (c.completion_tokens or 0) <= 12 and (c.prompt_tokens or 0) > 10 for c in fast)
    assert plain_backend.last_engine == "plain" and fast_backend.last_engine == "batched"
    info = fast_backend.describe()
    assert info["kind"] == "hf" and info["model"] == "SmolLM2-135M-Instruct"
    assert info["device"] == "cpu" and info["dtype"] == "float32"
    assert info["stop_tokens"] == ["<|im_end|>"]


def test_stops_at_end_of_turn_and_honours_per_request_budgets(fast_backend: Any, plain_backend: Any) -> None:
    settings = GenerationSettings(max_new_tokens=48)
    mixed = [Request("short", [{"role": "user", "content": QUESTIONS[0]}], max_new_tokens=3)]
    mixed += requests(["Say hi."])
    fast = fast_backend.generate(mixed, settings)
    plain = plain_backend.generate(mixed, settings)
    assert fast[0].completion_tokens == 3
    assert [c.text for c in fast] == [c.text for c in plain]
    hi = fast[1]
    assert hi.completion_tokens is not None and hi.completion_tokens < 48  # stopped at <|im_end|>
    assert "<|im_end|>" not in hi.text and hi.text


def test_a_prompt_too_long_is_that_requests_error(fast_backend: Any) -> None:
    too_long = Request("long", [{"role": "user", "content": "witness " * 9000}])
    done = fast_backend.generate([too_long, *requests(["Say hi."])], GenerationSettings(max_new_tokens=4))
    assert done[0].error is not None and "does not fit the context of 8192" in done[0].error
    assert done[0].text == "" and done[1].error is None and done[1].text


def test_seeded_sampling_is_repeatable_and_independent_of_batching(
    fast_backend: Any, plain_backend: Any
) -> None:
    settings = GenerationSettings(max_new_tokens=8, temperature=1.0, top_p=0.95, seed=11)
    first = [c.text for c in fast_backend.generate(requests(), settings)]
    again = [c.text for c in fast_backend.generate(requests()[::-1], settings)][::-1]
    plain = [c.text for c in plain_backend.generate(requests(), settings)]
    assert first == again == plain
    other = [c.text for c in fast_backend.generate(requests(), GenerationSettings(8, 1.0, 0.95, seed=12))]
    assert other != first


def test_continuous_batching_engine_matches_plain(default_model_dir: Path, plain_backend: Any) -> None:
    backend: Any = load_backend(f"hf:{default_model_dir},engine=cb", device="cpu")
    try:
        settings = GenerationSettings(max_new_tokens=8)
        seen: list[str] = []
        done = backend.generate(requests(), settings, on_done=lambda c: seen.append(c.id))
        assert backend.last_engine == "cb"
        assert sorted(seen) == ["q0", "q1", "q2", "q3"]
        assert [c.text for c in done] == [c.text for c in plain_backend.generate(requests(), settings)]

        def broken(completion: Completion) -> None:
            raise OSError("disk full")

        with pytest.raises(OSError, match="disk full"):  # the caller's error is not a reason to fall back
            backend.generate(requests()[:1], settings, on_done=broken)
        assert backend.last_engine == "cb"
    finally:
        backend.close()


def test_static_cache_engine_matches_plain(
    default_model_dir: Path, plain_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compiled static-cache engine (torch.compile forced on the CPU) answers as `plain` does, here
    in two stages (the rows still going after 3 tokens go on in a second batch)."""
    from witness_evals.inference import _hf

    monkeypatch.setattr(_hf, "STAGE_ENDS", (3,))
    backend: Any = load_backend(f"hf:{default_model_dir},engine=static", device="cpu")
    try:
        settings = GenerationSettings(max_new_tokens=6)
        done = backend.generate(requests()[:2], settings)
        assert backend.last_engine == "static"
        assert [c.text for c in done] == [c.text for c in plain_backend.generate(requests()[:2], settings)]
        assert all(c.text and c.error is None for c in done)
    finally:
        backend.close()


def test_hf_default_and_a_training_run_as_adapter(
    default_cache_env: None, default_model_dir: Path, tmp_path: Path, plain_backend: Any
) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    run = tmp_path / "run"
    base = AutoModelForCausalLM.from_pretrained(str(default_model_dir))
    lora = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))  # B = 0: no change
    lora.save_pretrained(str(run / "best"))
    (run / "config.yaml").write_text("model: null\nlora_rank: 4\n", encoding="utf-8")
    backend = load_backend(f"hf:default,adapter={run}", fast=False, device="cpu")
    try:
        info = backend.describe()
        assert info["adapter"] == str(run / "best") and info["adapter_base"] == "default"
        settings = GenerationSettings(max_new_tokens=6)
        got = [c.text for c in backend.generate(requests(), settings)]
        assert got == [c.text for c in plain_backend.generate(requests(), settings)]
    finally:
        backend.close()


def test_an_adapter_folder_must_hold_an_adapter(tmp_path: Path) -> None:
    from witness_evals.common.errors import InputError
    from witness_evals.inference._resolve import adapter_dir

    (tmp_path / "run").mkdir()
    with pytest.raises(InputError, match="not an adapter folder"):
        adapter_dir("hf:x", str(tmp_path / "run"), kind="hf")
    (tmp_path / "run" / "adapter").mkdir()
    (tmp_path / "run" / "adapter" / "adapter_config.json").write_text("{}")
    assert adapter_dir("hf:x", str(tmp_path / "run"), kind="hf") == tmp_path / "run" / "adapter"


# ---------------------------------------------------------------- the seeded sampler itself


def test_gumbel_noise_is_a_pure_function_of_seed_step_and_token() -> None:
    seeds = torch.tensor([1, 2, 1], dtype=torch.int64)
    a = gumbel_noise(seeds, 5, 1000)
    assert torch.equal(a[0], a[2]) and not torch.equal(a[0], a[1])
    assert torch.equal(gumbel_noise(seeds[1:2], 5, 1000)[0], a[1])  # independent of the batch
    assert not torch.equal(gumbel_noise(seeds, 6, 1000), a)
    assert torch.isfinite(a).all()
    euler_gamma = 0.5772
    assert abs(float(gumbel_noise(torch.arange(200), 0, 1000).mean()) - euler_gamma) < 0.02


def test_seeded_choice_samples_the_softmax_and_respects_top_p() -> None:
    probs = torch.tensor([0.1, 0.2, 0.3, 0.4])
    scores = probs.log().expand(4000, 4).clone()
    seeds = torch.arange(4000, dtype=torch.int64)
    counts = torch.bincount(seeded_choice(scores, seeds, 0, 1.0, 1.0), minlength=4).float() / 4000
    assert torch.allclose(counts, probs, atol=0.03)
    # top_p 0.7: the smallest set reaching 0.7 is {0.4, 0.3}; renormalised 4/7, 3/7
    counts = torch.bincount(seeded_choice(scores, seeds, 0, 1.0, 0.7), minlength=4).float() / 4000
    assert counts[0] == 0 and counts[1] == 0
    assert math.isclose(float(counts[3]), 4 / 7, abs_tol=0.03)
    # a low temperature sharpens towards the most likely token
    assert float((seeded_choice(scores, seeds, 0, 0.05, 1.0) == 3).float().mean()) > 0.99


def test_looping_rows_finds_repeated_cycles_only() -> None:
    from witness_evals.inference._hf import LOOP_MIN_SPAN, looping_rows

    prose = list(range(200))  # no repetition at all
    cycle = [7, 8, 9]  # a 3-token cycle repeated past the minimum span
    loop = prose[:50] + cycle * (LOOP_MIN_SPAN // 3 + 1)
    short = [*prose[:150], 5, 5, 5, 5, 5, 5]  # a few repeated tokens (a table rule, "----"): not a loop
    long_cycle = prose[:20] + list(range(300, 400)) * 4  # a 100-token cycle four times
    rows = [prose, loop + prose[:80], loop, short, long_cycle]
    width = max(map(len, rows))
    batch = torch.tensor([[0] * (width - len(r)) + r for r in rows])
    assert looping_rows(batch).tolist() == [False, False, True, False, True]


def test_batched_engine_cuts_a_loop_and_keeps_the_rest(default_model_dir: Path, plain_backend: Any) -> None:
    """With loop stop on, an answer is the plain engine's answer up to where its loop was caught."""
    settings = GenerationSettings(max_new_tokens=160)
    ask = "List the numbers 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 and continue the pattern."
    reqs = [Request("loop", [{"role": "user", "content": ask}])]
    on: Any = load_backend(f"hf:{default_model_dir},engine=batched", device="cpu")
    off: Any = load_backend(f"hf:{default_model_dir},engine=batched,stop_loops=0", device="cpu")
    try:
        cut, full = on.generate(reqs, settings)[0], off.generate(reqs, settings)[0]
        assert on.describe()["stop_loops"] is True and off.describe()["stop_loops"] is False
        assert full.text.startswith(cut.text)
        assert cut.completion_tokens is not None and full.completion_tokens is not None
        assert cut.completion_tokens < full.completion_tokens == 160  # the greedy answer loops to its budget
        pieces: list[str] = []
        streamed = on.stream(reqs[0], settings, pieces.append)  # ask/serve stream with the same stop
        assert streamed.text == "".join(pieces) == cut.text
    finally:
        on.close()
        off.close()


def test_stages_give_the_answers_of_one_pass(
    default_model_dir: Path, fast_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows still going at a stage's end go on in a new batch, their answer so far in the prompt:
    greedy and seeded-sampling answers are the same tokens as in one pass."""
    from witness_evals.inference import _hf

    monkeypatch.setattr(_hf, "STAGE_ENDS", (4, 10))
    single: Any = load_backend(f"hf:{default_model_dir},engine=batched,stages=0", device="cpu")
    mixed = [*requests(), Request("short", [{"role": "user", "content": QUESTIONS[2]}], max_new_tokens=7)]
    try:
        assert fast_backend.describe()["stages"] == [4, 10] and single.describe()["stages"] == []
        for settings in (
            GenerationSettings(max_new_tokens=24),
            GenerationSettings(max_new_tokens=24, temperature=0.9, seed=3),
        ):
            seen: list[Completion] = []
            staged = fast_backend.generate(mixed, settings, on_done=seen.append)
            one = single.generate(mixed, settings)
            assert [(c.text, c.completion_tokens) for c in staged] == [
                (c.text, c.completion_tokens) for c in one
            ]
            assert sorted(c.id for c in seen) == sorted(r.id for r in mixed)  # each answer reported once
            assert staged[-1].completion_tokens == 7 and max(c.completion_tokens or 0 for c in staged) > 10
            assert all(c.prompt_tokens == o.prompt_tokens for c, o in zip(staged, one, strict=True))
    finally:
        single.close()


def test_a_batch_out_of_memory_is_halved_and_the_next_batches_stay_small(
    default_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A batch that runs out of GPU memory is answered in halves, later batches no larger, and the
    answers are those of a run with that batch size from the start. The memory limit is injected: a
    GPU of this test's size would allow two rows (a CPU raises no `OutOfMemoryError`)."""
    small: Any = load_backend(f"hf:{default_model_dir},engine=batched,stages=0", device="cpu", batch_size=2)
    big: Any = load_backend(f"hf:{default_model_dir},engine=batched,stages=0", device="cpu", batch_size=4)
    real = big._generate_chunk
    tried: list[int] = []

    def two_rows_fit(chunk: list[Any], *args: Any) -> Any:
        tried.append(len(chunk))
        if len(chunk) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.25 GiB.")
        return real(chunk, *args)

    big._generate_chunk = two_rows_fit
    reqs = requests([*QUESTIONS, "Name one attestor.", "What is a DSSE envelope?"])
    try:
        settings = GenerationSettings(max_new_tokens=10)
        got = big.generate(reqs, settings)
        assert tried == [4, 2, 2, 2]  # 4 failed, its halves ran, the last 2 rows as one batch of 2
        assert "out of GPU memory on a batch of 4: batches of 2" in capsys.readouterr().err
        assert [(c.text, c.completion_tokens) for c in got] == [
            (c.text, c.completion_tokens) for c in small.generate(reqs, settings)
        ]
        assert all(c.error is None for c in got)
    finally:
        small.close()
        big.close()


def test_chat_template_option_gives_the_prompt_format(default_model_dir: Path) -> None:
    """`chat_template=` renders prompts in a named format (what a base without a template needs)."""
    from witness_evals.common.errors import InputError

    backend: Any = load_backend(f"hf:{default_model_dir},chat_template=gemma", device="cpu")
    try:
        text = backend.tokenizer.decode(backend.encode([{"role": "user", "content": "hi"}]))
        # Gemma's turns after the tokenizer's bos (SmolLM2's is `<|im_start|>`), no ChatML turn
        assert "<start_of_turn>user\nhi<end_of_turn>" in text and "<|im_start|>user" not in text
        assert backend.describe()["chat_template"] == "gemma"
    finally:
        backend.close()
    with pytest.raises(InputError, match="neither a built-in template"):
        load_backend(f"hf:{default_model_dir},chat_template=no-such-format", device="cpu")
