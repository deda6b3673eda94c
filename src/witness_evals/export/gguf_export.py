"""Write a merged Llama-architecture model as GGUF with the `gguf` package (llama.cpp's format).

Names and metadata keys follow llama.cpp's `llama` architecture, as its converter writes them:
`token_embd`, `blk.N.attn_norm`, `blk.N.attn_q|k|v|output`, `blk.N.ffn_norm`, `blk.N.ffn_gate|up|down`,
`output_norm`, `output` (omitted when the embeddings are tied), `rope_freqs` (Llama 3 rope scaling).
Hugging Face stores q/k projection rows in the "rotate half" order; llama.cpp's rope rotates adjacent
pairs, so those rows are reordered per head (the converter's `permute`). 1-D tensors stay F32;
matrices are F16, or Q8_0 with `quant="q8_0"` (blocks of 32 along the row; a matrix whose rows are
not a multiple of 32 stays F16).

The tokenizer goes in as llama.cpp's `gpt2` (byte-level BPE) model: the token list with types, the
merges, special token ids, whether a BOS is added, the pre-tokenizer (read off tokenizer.json:
GPT-2 regex -> `gpt-2`, digits split + GPT-2 regex -> `smollm`, Llama 3 regex -> `llama-bpe`) and
the chat template. Anything else is refused with a one-line error before a file is written.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from witness_evals.common.errors import InputError

QUANTS = ("f16", "q8_0")
SUPPORTED_ARCHITECTURES = ("LlamaForCausalLM",)
LLAMA3_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
Q8_BLOCK = 32

# token types of llama.cpp's vocabulary (gguf.TokenType)
NORMAL, CONTROL, USER_DEFINED, UNUSED = 1, 3, 4, 5

_LAYER = re.compile(r"^model\.layers\.(\d+)\.(.+)$")
_LAYER_NAMES = {
    "input_layernorm.weight": "ATTN_NORM",
    "self_attn.q_proj.weight": "ATTN_Q",
    "self_attn.k_proj.weight": "ATTN_K",
    "self_attn.v_proj.weight": "ATTN_V",
    "self_attn.o_proj.weight": "ATTN_OUT",
    "post_attention_layernorm.weight": "FFN_NORM",
    "mlp.gate_proj.weight": "FFN_GATE",
    "mlp.up_proj.weight": "FFN_UP",
    "mlp.down_proj.weight": "FFN_DOWN",
}
_TOP_NAMES = {
    "model.embed_tokens.weight": "TOKEN_EMBD",
    "model.norm.weight": "OUTPUT_NORM",
    "lm_head.weight": "OUTPUT",
}


def check_architecture(config: Mapping[str, Any], source: str = "config.json") -> None:
    """`InputError` unless the model is a plain Llama (no biases, no MoE, default/llama3 rope)."""
    archs = config.get("architectures") or []
    if config.get("model_type") != "llama" or not any(a in SUPPORTED_ARCHITECTURES for a in archs):
        got = ", ".join(map(str, archs)) or str(config.get("model_type"))
        raise InputError(
            f"unsupported architecture for GGUF: {got} (supported: {', '.join(SUPPORTED_ARCHITECTURES)})",
            source=source,
        )
    if config.get("attention_bias") or config.get("mlp_bias"):
        raise InputError("unsupported for GGUF: Llama with attention/MLP biases", source=source)
    rope_type = rope_parameters(config).get("rope_type", "default")
    if rope_type not in ("default", "llama3"):
        raise InputError(f"unsupported rope scaling for GGUF: {rope_type}", source=source)


def rope_parameters(config: Mapping[str, Any]) -> dict[str, Any]:
    """rope settings from `rope_parameters` (transformers 5) or the legacy keys."""
    params = config.get("rope_parameters")
    out: dict[str, Any] = dict(params) if isinstance(params, dict) else {}
    legacy = config.get("rope_scaling")
    if isinstance(legacy, dict):
        for key, value in legacy.items():
            out.setdefault("rope_type" if key == "type" else key, value)
    if "rope_theta" in config:
        out.setdefault("rope_theta", config["rope_theta"])
    return out


def head_dim(config: Mapping[str, Any]) -> int:
    return int(config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"])


def llama3_rope_factors(config: Mapping[str, Any]) -> np.ndarray:
    """Per-frequency divisors of Llama 3 rope scaling (what llama.cpp reads from `rope_freqs`)."""
    rope = rope_parameters(config)
    base = float(rope.get("rope_theta", 10000.0))
    dim = head_dim(config)
    factor = float(rope.get("factor", 8.0))
    low = float(rope.get("low_freq_factor", 1.0))
    high = float(rope.get("high_freq_factor", 4.0))
    old_ctx = float(rope.get("original_max_position_embeddings", 8192))
    low_wavelen, high_wavelen = old_ctx / low, old_ctx / high
    factors = []
    for i in range(0, dim, 2):
        wavelen = 2 * math.pi * base ** (i / dim)
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (old_ctx / wavelen - low) / (high - low)
            factors.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.asarray(factors, dtype=np.float32)


def unpermute_rope_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    """Reorder a q/k projection's rows from HF "rotate half" to llama.cpp's adjacent-pair rope."""
    rows = weight.shape[0]
    return (
        weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)
    )


def gguf_tensors(state: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[tuple[str, np.ndarray]]:
    """(GGUF name, float32 array) of every tensor llama.cpp needs, in file order."""
    import gguf

    names = gguf.TENSOR_NAMES
    kinds = gguf.MODEL_TENSOR
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads") or heads)
    tied = bool(config.get("tie_word_embeddings", False))
    unknown = []
    for hf_name, tensor in state.items():
        array = tensor.detach().to("cpu").float().numpy() if hasattr(tensor, "detach") else np.asarray(tensor)
        if hf_name in _TOP_NAMES:
            if hf_name == "lm_head.weight" and tied:
                continue
            yield names[getattr(kinds, _TOP_NAMES[hf_name])] + ".weight", array
            continue
        match = _LAYER.match(hf_name)
        if match is None or match.group(2) not in _LAYER_NAMES:
            if not hf_name.endswith("rotary_emb.inv_freq"):
                unknown.append(hf_name)
            continue
        block, part = int(match.group(1)), match.group(2)
        if part == "self_attn.q_proj.weight":
            array = unpermute_rope_rows(array, heads)
        elif part == "self_attn.k_proj.weight":
            array = unpermute_rope_rows(array, kv_heads)
        yield names[getattr(kinds, _LAYER_NAMES[part])].format(bid=block) + ".weight", array
    if unknown:
        raise InputError(f"unsupported tensors for GGUF: {', '.join(unknown[:3])}", source="model")
    if rope_parameters(config).get("rope_type") == "llama3":
        yield names[kinds.ROPE_FREQS] + ".weight", llama3_rope_factors(config)


# ---------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class TokenizerMeta:
    """What llama.cpp needs to tokenize like the Hugging Face tokenizer."""

    tokens: list[str]
    types: list[int]
    merges: list[str]
    pre: str
    bos: int | None
    eos: int | None
    unk: int | None
    pad: int | None
    add_bos: bool
    chat_template: str


def pre_tokenizer_name(tokenizer_json: Mapping[str, Any], source: str = "tokenizer.json") -> str:
    """llama.cpp's name for the tokenizer's pre-tokenizer; `InputError` for one it does not know."""
    pre = tokenizer_json.get("pre_tokenizer") or {}
    parts = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else [pre]
    kinds = [p.get("type") for p in parts]
    if tokenizer_json.get("normalizer") not in (None, {}):
        raise InputError("unsupported tokenizer for GGUF: has a normalizer", source=source)
    if kinds == ["ByteLevel"] and parts[0].get("use_regex", True) and not parts[0].get("add_prefix_space"):
        return "gpt-2"
    if (
        kinds == ["Digits", "ByteLevel"]
        and parts[0].get("individual_digits")
        and parts[1].get("use_regex", True)
        and not parts[1].get("add_prefix_space")
    ):
        return "smollm"
    if kinds == ["Split", "ByteLevel"] and not parts[1].get("use_regex", True):
        pattern = parts[0].get("pattern") or {}
        if pattern.get("Regex") == LLAMA3_SPLIT:
            return "llama-bpe"
    raise InputError(f"unsupported tokenizer for GGUF: pre-tokenizer {kinds}", source=source)


def tokenizer_metadata(model_dir: Path, vocab_size: int, chat_template: str | None = None) -> TokenizerMeta:
    """Token list, types, merges, special ids and chat template of the HF tokenizer in `model_dir`
    (`chat_template`, when given, replaces the tokenizer's: a run trained with its own)."""
    from transformers import AutoTokenizer

    from witness_evals.train.model_source import chat_template_of

    file = model_dir / "tokenizer.json"
    if not file.is_file():
        raise InputError(
            "unsupported tokenizer for GGUF: no tokenizer.json (fast BPE tokenizer)", source=str(model_dir)
        )
    data = json.loads(file.read_text(encoding="utf-8"))
    model = data.get("model") or {}
    if model.get("type") != "BPE" or model.get("byte_fallback"):
        raise InputError("unsupported tokenizer for GGUF: not a byte-level BPE", source=str(file))
    pre = pre_tokenizer_name(data, str(file))
    vocab: dict[str, int] = dict(model.get("vocab") or {})
    added = {t["id"]: t for t in data.get("added_tokens") or []}
    by_id: dict[int, str] = {i: t for t, i in vocab.items()}
    for i, tok in added.items():
        by_id[i] = tok["content"]
    size = max(vocab_size, max(by_id) + 1)
    tokens, types = [], []
    for i in range(size):
        if i not in by_id:
            tokens.append(f"[PAD{i}]")
            types.append(UNUSED)
        elif i in added:
            tokens.append(by_id[i])
            types.append(CONTROL if added[i].get("special") else USER_DEFINED)
        else:
            tokens.append(by_id[i])
            types.append(NORMAL)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges") or []]
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    template = chat_template if chat_template is not None else chat_template_of(model_dir)
    if not template:
        raise InputError("tokenizer has no chat template", source=str(model_dir))
    probe = tok("a", add_special_tokens=True)["input_ids"]
    add_bos = tok.bos_token_id is not None and bool(probe) and probe[0] == tok.bos_token_id
    return TokenizerMeta(
        tokens,
        types,
        merges,
        pre,
        tok.bos_token_id,
        tok.eos_token_id,
        tok.unk_token_id,
        tok.pad_token_id,
        add_bos,
        template,
    )


# ---------------------------------------------------------------- writing


def _encode(name: str, array: np.ndarray, quant: str) -> tuple[np.ndarray, Any]:
    import gguf

    if array.ndim < 2:
        return array.astype(np.float32), None
    if quant == "q8_0" and array.shape[-1] % Q8_BLOCK == 0:
        q = gguf.GGMLQuantizationType.Q8_0
        return gguf.quants.quantize(np.ascontiguousarray(array, dtype=np.float32), q), q
    return array.astype(np.float16), None


def write_gguf(
    out_file: Path,
    *,
    config: Mapping[str, Any],
    state: Mapping[str, Any],
    tokenizer_dir: Path,
    quant: str = "f16",
    name: str = "model",
    description: str = "",
    chat_template: str | None = None,
) -> dict[str, Any]:
    """Write `out_file` (GGUF v3, arch `llama`); return facts about it (tensor count, types).

    `chat_template` (a run's own) is written as `tokenizer.chat_template` instead of the tokenizer's."""
    import gguf

    if quant not in QUANTS:
        raise InputError(f"--quant must be one of {', '.join(QUANTS)}, got {quant!r}")
    check_architecture(config)
    meta = tokenizer_metadata(tokenizer_dir, int(config["vocab_size"]), chat_template)
    writer = gguf.GGUFWriter(str(out_file), arch="llama")
    writer.add_type("model")
    writer.add_name(name)
    if description:
        writer.add_description(description)
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_context_length(int(config.get("max_position_embeddings") or 2048))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_head_count(int(config["num_attention_heads"]))
    writer.add_head_count_kv(int(config.get("num_key_value_heads") or config["num_attention_heads"]))
    writer.add_rope_freq_base(float(rope_parameters(config).get("rope_theta", 10000.0)))
    writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-6)))
    writer.add_vocab_size(len(meta.tokens))
    writer.add_rope_dimension_count(head_dim(config))
    if config.get("head_dim"):
        writer.add_key_length(int(config["head_dim"]))
        writer.add_value_length(int(config["head_dim"]))
    file_type = gguf.LlamaFileType.MOSTLY_Q8_0 if quant == "q8_0" else gguf.LlamaFileType.MOSTLY_F16
    writer.add_file_type(int(file_type))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(meta.pre)
    writer.add_token_list(meta.tokens)
    writer.add_token_types(meta.types)
    writer.add_token_merges(meta.merges)
    for value, add in (
        (meta.bos, writer.add_bos_token_id),
        (meta.eos, writer.add_eos_token_id),
        (meta.unk, writer.add_unk_token_id),
        (meta.pad, writer.add_pad_token_id),
    ):
        if value is not None:
            add(int(value))
    writer.add_add_bos_token(meta.add_bos)
    writer.add_add_eos_token(False)
    writer.add_chat_template(meta.chat_template)
    counts: dict[str, int] = {}
    for tensor_name, array in gguf_tensors(state, config):
        data, raw = _encode(tensor_name, array, quant)
        kind = raw.name if raw is not None else {np.float16: "F16", np.float32: "F32"}[data.dtype.type]
        counts[kind] = counts.get(kind, 0) + 1
        writer.add_tensor(tensor_name, data, raw_dtype=raw)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {
        "tensors": sum(counts.values()),
        "tensor_types": counts,
        "pre_tokenizer": meta.pre,
        "quant": quant,
    }
