"""Strict YAML config loading and `--set` overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from witness_evals.common.errors import InputError
from witness_evals.train.config import TrainConfig, apply_overrides, coerce, load_config

REPO = Path(__file__).resolve().parents[2]


def test_default_preset_is_the_recipe() -> None:
    cfg = load_config(REPO / "configs" / "default.yaml")
    assert cfg == TrainConfig()
    assert (cfg.lora_rank, cfg.lora_layers, cfg.batch_size, cfg.learning_rate, cfg.max_seq_length) == (
        8,
        16,
        4,
        1e-5,
        4096,
    )
    assert cfg.iters is None and cfg.eval_every == 100 and cfg.save_every == 100
    assert load_config(None) == TrainConfig()


def test_every_preset_loads() -> None:
    for preset in sorted((REPO / "configs").glob("*.yaml")):
        load_config(preset)


@pytest.mark.parametrize(
    ("text", "location", "fragment"),
    [
        ("lora_rnk: 8\n", "lora_rnk", "unknown key"),
        ("batch_size: four\n", "batch_size", "expected integer"),
        ("batch_size: 4.0\n", "batch_size", "expected integer"),
        ("batch_size: true\n", "batch_size", "expected integer"),
        ("learning_rate: '1e-5'\n", "learning_rate", "expected number"),
        ("lora_targets: q_proj\n", "lora_targets", "expected list of strings"),
        ("packing: yes\n", "packing", "unknown key"),
        ("backend: jax\n", "backend", "must be one of"),
        ("batch_size: 0\n", "batch_size", "must be > 0"),
        ("iters: -3\n", "iters", "> 0 or null"),
        ("epochs: 0\n", "epochs", "must be > 0"),
        ("compile: 1\n", "compile", "expected boolean"),
    ],
)
def test_bad_yaml_names_file_and_key(tmp_path: Path, text: str, location: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert info.value.source == str(path)
    assert info.value.location == location
    assert fragment in info.value.message


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("batch_size: 4\nlora_targets: [q_proj\n")
    with pytest.raises(InputError) as info:
        load_config(path)
    assert info.value.source == str(path) and "invalid YAML" in info.value.message
    assert info.value.location is not None


def test_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="expected a mapping"):
        load_config(path)
    with pytest.raises(InputError, match="no such file"):
        load_config(tmp_path / "absent.yaml")


def test_overrides_coerce_types() -> None:
    cfg = apply_overrides(
        TrainConfig(),
        [
            "iters=5",
            "learning_rate=2e-4",
            "compile=false",
            "lora_targets=q_proj, v_proj",
            "model=/m",
            "iters=7",
            "early-stopping-patience=3",
        ],
    )
    assert cfg.iters == 7 and cfg.learning_rate == 2e-4 and cfg.compile is False
    assert cfg.lora_targets == ["q_proj", "v_proj"] and cfg.model == "/m" and cfg.early_stopping_patience == 3
    assert apply_overrides(cfg, ["iters=null"]).iters is None


@pytest.mark.parametrize(
    ("item", "location"),
    [
        ("nope=1", "nope"),
        ("iters=abc", "iters"),
        ("learning_rate=nan", "learning_rate"),
        ("compile=maybe", "compile"),
        ("batch_size=-1", "batch_size"),
        ("lora_dropout=1.5", "lora_dropout"),
        ("micro_batch_tokens=-1", "micro_batch_tokens"),
        ("checkpoint_over_tokens=-8", "checkpoint_over_tokens"),
        ("checkpoint_keep_tokens=-1", "checkpoint_keep_tokens"),
    ],
)
def test_bad_overrides(item: str, location: str) -> None:
    with pytest.raises(InputError) as info:
        apply_overrides(TrainConfig(), [item])
    assert info.value.source == "--set" and info.value.location == location


def test_override_without_equals() -> None:
    with pytest.raises(InputError, match="key=value"):
        apply_overrides(TrainConfig(), ["iters"])


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=10**9), st.floats(min_value=1e-9, max_value=1e3, allow_nan=False))
def test_override_round_trip(n: int, lr: float) -> None:
    cfg = apply_overrides(TrainConfig(), [f"iters={n}", f"learning_rate={lr!r}"])
    assert cfg.iters == n and cfg.learning_rate == lr
    assert coerce("batch_size", str(n)) == n


def test_huge_or_binary_config_is_refused_before_parsing(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as fh:  # sparse: the size alone refuses it, nothing is read
        fh.truncate(100 * 1024 * 1024)
    with pytest.raises(InputError, match=r"file is too large \(104857600 bytes, limit 1048576\)"):
        load_config(huge)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"seed: 1\n# caf\xe9\n")
    with pytest.raises(InputError) as err:
        load_config(latin1)
    assert err.value.one_line() == f"{latin1}:byte 13: not UTF-8 text"
    with pytest.raises(InputError, match="is a directory"):
        load_config(tmp_path)
