"""The mlx-lm backend on the embedded model (mlx[cpu] on Linux, Metal on Apple silicon)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from witness_evals.common.errors import InputError
from witness_evals.inference import GenerationSettings, Request, load_backend

try:
    import mlx.core  # noqa: F401
    import mlx_lm  # noqa: F401

    MLX_WHY = ""
except ImportError as exc:  # pragma: no cover - depends on the environment
    MLX_WHY = f"mlx-lm not importable: {exc}"

needs_mlx = pytest.mark.skipif(bool(MLX_WHY), reason=MLX_WHY or "mlx present")
QUESTIONS = ["Say hi.", "What is a witness attestation?", "Name a witness attestor."]


def requests(budget: int | None = None) -> list[Request]:
    """Three chats; `Say hi.` may take 48 tokens (it ends well before), the others `budget`."""
    return [
        Request(f"q{i}", [{"role": "user", "content": q}], max_new_tokens=48 if i == 0 else budget)
        for i, q in enumerate(QUESTIONS)
    ]


@pytest.fixture(scope="module")
def mlx_backend(default_model_dir: Path) -> Any:
    if MLX_WHY:
        pytest.skip(MLX_WHY)
    backend = load_backend(f"mlx:{default_model_dir}")
    yield backend
    backend.close()


def test_missing_mlx_lm_is_an_input_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "mlx_lm", None)  # `import mlx_lm` now raises ImportError
    with pytest.raises(InputError, match="mlx-lm is not installed") as err:
        load_backend(f"mlx:{tmp_path}")
    assert f"mlx:{tmp_path}" in str(err.value)


@pytest.mark.slow  # mlx[cpu] runs the reference BLAS: ~25 s each on a 2-core box
@pytest.mark.mlx
@needs_mlx
def test_mlx_answers_in_order_and_stops_at_end_of_turn(mlx_backend: Any, plain_backend: Any) -> None:
    seen: list[str] = []
    done = mlx_backend.generate(
        requests(4), GenerationSettings(max_new_tokens=4), on_done=lambda c: seen.append(c.id)
    )
    assert [c.id for c in done] == seen == ["q0", "q1", "q2"]
    assert all(c.text and c.error is None for c in done)
    assert [c.completion_tokens for c in done[1:]] == [4, 4]
    assert done[0].completion_tokens is not None and done[0].completion_tokens < 48  # "Say hi." ends early
    assert "<|im_end|>" not in done[0].text
    # same weights, same greedy start as transformers
    local = plain_backend.generate(requests()[:1], GenerationSettings(max_new_tokens=6))[0].text
    assert done[0].text.startswith(local.split()[0])
    info = mlx_backend.describe()
    assert info["kind"] == "mlx" and info["model"] == "SmolLM2-135M-Instruct"
    assert info["stop_tokens"] == ["<|im_end|>"]


@pytest.mark.slow  # mlx[cpu] runs the reference BLAS: ~25 s each on a 2-core box
@pytest.mark.mlx
@needs_mlx
def test_mlx_sampling_is_seeded_per_request(mlx_backend: Any) -> None:
    chats = requests(5)[1:]
    settings = GenerationSettings(max_new_tokens=5, temperature=1.0, seed=3)
    first = [c.text for c in mlx_backend.generate(chats, settings)]
    again = [c.text for c in mlx_backend.generate(chats[::-1], settings)][::-1]
    assert first == again
    other = [c.text for c in mlx_backend.generate(chats, GenerationSettings(5, 1.0, seed=4))]
    assert other != first
