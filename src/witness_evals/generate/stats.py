"""Statistics of chat JSONL files (ours or anyone's): what is in a dataset, and how varied it is.

Per file (its split is the file name without `.jsonl`): counts per split, family and template (from the
line-aligned `.meta.jsonl` where there is one), token lengths (whitespace tokens, or a tokenizer), distinct
prompt openings, how many conversations mention each of witness's attestors (by CLI name and by
type URI), the key types of the PEM blocks (plain, or base64-encoded as in policies' `publickeys`),
answer lengths and the share of answers with placeholders. Streams: memory grows with the number of
distinct templates and openings, not with the files.
"""

from __future__ import annotations

import base64
import binascii
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError

LENGTH_BUCKETS = (50, 100, 200, 400, 800, 1600, 3200)
OPENING_WORDS = 3
TOP = 15
_PEM = re.compile(rb"-----BEGIN [A-Z0-9 ]+-----.+?-----END [A-Z0-9 ]+-----", re.S)
_B64_PEM = re.compile(r"LS0tLS1CRUdJT[A-Za-z0-9+/]+={0,2}")  # base64 of "-----BEGIN"
_WORD = re.compile(r"[a-z0-9']+")

Counter_ = Callable[[list[str]], list[int]]


def whitespace_tokens(texts: list[str]) -> list[int]:
    return [len(t.split()) for t in texts]


def load_tokenizer(spec: str | None) -> tuple[str, Counter_]:
    """(name, counter) for `--tokenizer`: None -> whitespace words; `default` -> the embedded model's
    tokenizer (SmolLM2-135M-Instruct: the converted copy in the cache, else read from its GGUF);
    a path -> a `tokenizer.json` file or a Hugging Face directory."""
    if spec is None:
        return "whitespace", whitespace_tokens
    path: Path | None = None
    name = spec
    if spec == "default":
        from witness_evals.train.model_source import (
            DEFAULT_MODEL_NAME,
            converted_dir,
            default_model_gguf,
            sha256_file,
        )

        gguf = default_model_gguf()
        cached = converted_dir(gguf, sha256_file(gguf)) / "tokenizer.json"
        name = DEFAULT_MODEL_NAME
        if cached.is_file():
            path = cached
        else:  # not converted yet: read the tokenizer from the GGUF (no weights are loaded)
            from transformers import AutoTokenizer

            hf = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            return name, lambda texts: [len(ids) for ids in hf(texts, add_special_tokens=False)["input_ids"]]
    else:
        p = Path(spec)
        path = p / "tokenizer.json" if p.is_dir() else p
        if not path.is_file():
            raise InputError(
                "no tokenizer.json here (expected `default`, a tokenizer.json or a directory)", source=spec
            )
    from tokenizers import Tokenizer

    try:
        tok = Tokenizer.from_file(str(path))
    except Exception as exc:  # the tokenizers library raises its own exception types
        raise InputError(f"cannot load the tokenizer: {exc}", source=str(path)) from None
    return name, lambda texts: [len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)]


def _attestor_patterns() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    from witness_evals.witness.cli import ATTESTOR_NAMES

    names = sorted((a.name for a in ATTESTOR_NAMES), key=len, reverse=True)
    by_type = {a.type: a.name for a in ATTESTOR_NAMES}
    name_re = re.compile(r"(?<![\w/.-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])")
    type_re = re.compile("|".join(map(re.escape, sorted(by_type, key=len, reverse=True))))
    return name_re, type_re, by_type


def pem_key_types(text: str) -> list[str]:
    """Key types (`ed25519`, `ecdsa-p256`, `rsa-2048`...) of the PEM blocks in `text`, including
    base64-encoded ones; `certificate:<type>` for certificates, `private:<type>` for private keys,
    `unparsable` for blocks witness cannot read."""
    from witness_evals.witness import crypto

    blocks = [m.group(0) for m in _PEM.finditer(text.encode("utf-8", "replace"))]
    for m in _B64_PEM.finditer(text):
        try:
            decoded = base64.b64decode(m.group(0), validate=True)
        except (binascii.Error, ValueError):
            continue
        blocks += [b.group(0) for b in _PEM.finditer(decoded)]
    out = []
    for block in blocks:
        try:
            parsed = crypto.parse_pem(block)
            kind = crypto.key_kind(parsed.public_key)
        except Exception:  # InputError, CryptoError: anything witness could not load
            out.append("unparsable")
            continue
        out.append(kind if parsed.kind == "public" else f"{parsed.kind}:{kind}")
    return out


def _summary(values: Sequence[int]) -> dict[str, float]:
    if not len(values):
        return {}
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, int(q * len(v)))]  # noqa: E731
    return {
        "n": len(v),
        "mean": round(sum(v) / len(v), 1),
        "p10": pick(0.1),
        "p50": pick(0.5),
        "p90": pick(0.9),
        "p99": pick(0.99),
        "max": v[-1],
    }


def _split_order(split: str) -> tuple[int, str]:
    known = ("train", "valid", "validation", "test")
    return (known.index(split) if split in known else len(known), split)


def _bucket(n: int) -> str:
    low = 0
    for edge in LENGTH_BUCKETS:
        if n < edge:
            return f"{low}-{edge - 1}"
        low = edge
    return f"{low}+"


@dataclass
class FileStats:
    """Accumulates the statistics of one or more chat files."""

    tokenizer: str = "whitespace"
    splits: Counter[str] = field(default_factory=Counter)
    families: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    templates: Counter[str] = field(default_factory=Counter)
    openings: Counter[str] = field(default_factory=Counter)
    attestor_names: Counter[str] = field(default_factory=Counter)
    attestor_types: Counter[str] = field(default_factory=Counter)
    key_types: Counter[str] = field(default_factory=Counter)
    answer_buckets: Counter[str] = field(default_factory=Counter)
    lengths: dict[str, array[int]] = field(default_factory=lambda: defaultdict(lambda: array("I")))
    family_lengths: dict[str, array[int]] = field(default_factory=lambda: defaultdict(lambda: array("I")))
    placeholders: int = 0
    answers: int = 0
    conversations: int = 0

    def _histogram(self) -> dict[str, int]:
        """Answer-length buckets in order, empty ones included up to the longest answer."""
        names = [_bucket(0)] + [_bucket(edge) for edge in LENGTH_BUCKETS]
        last = max((names.index(b) for b in self.answer_buckets), default=-1)
        return {b: self.answer_buckets[b] for b in names[: last + 1]}

    def to_json(self) -> dict[str, Any]:
        from witness_evals.witness.cli import ATTESTOR_NAMES

        n = self.conversations
        return {
            "conversations": n,
            "splits": {s: self.splits[s] for s in sorted(self.splits, key=_split_order)},
            "families": {
                f: {s: c[s] for s in sorted(c, key=_split_order)} for f, c in sorted(self.families.items())
            },
            "templates": {"distinct": len(self.templates), "top": dict(self.templates.most_common(TOP))},
            "tokenizer": self.tokenizer,
            "tokens": {k: _summary(v) for k, v in sorted(self.lengths.items())},
            "tokens_per_family": {f: _summary(v) for f, v in sorted(self.family_lengths.items())},
            "openings": {
                "words": OPENING_WORDS,
                "distinct": len(self.openings),
                "top": dict(self.openings.most_common(TOP)),
            },
            "attestors": {
                a.name: {"name": self.attestor_names[a.name], "type_uri": self.attestor_types[a.name]}
                for a in ATTESTOR_NAMES
            },
            "attestors_mentioned": sum(
                1 for a in ATTESTOR_NAMES if self.attestor_names[a.name] or self.attestor_types[a.name]
            ),
            "pem_key_types": dict(sorted(self.key_types.items())),
            "answer_tokens_histogram": self._histogram(),
            "answers": self.answers,
            "answers_with_placeholders": self.placeholders,
            "placeholder_rate": round(self.placeholders / self.answers, 4) if self.answers else 0.0,
        }


def file_stats(paths: Sequence[Path], *, tokenizer: str | None = None, batch: int = 256) -> FileStats:
    """Statistics of chat JSONL files (bad input: InputError naming file and line)."""
    from witness_evals.generate.validate import iter_items, placeholder_problems

    for p in paths:
        if not p.is_file():
            raise InputError("no such file", source=str(p))
    name, count = load_tokenizer(tokenizer)
    st = FileStats(tokenizer=name)
    name_re, type_re, by_type = _attestor_patterns()
    pending: list[tuple[str, list[dict[str, Any]], dict[str, Any] | None]] = []

    def flush() -> None:
        prompts = ["\n".join(m["content"] for m in msgs if m["role"] == "user") for _, msgs, _ in pending]
        answers = [
            "\n".join(m["content"] for m in msgs if m["role"] == "assistant") for _, msgs, _ in pending
        ]
        systems = ["\n".join(m["content"] for m in msgs if m["role"] == "system") for _, msgs, _ in pending]
        p_len, a_len, s_len = count(prompts), count(answers), count(systems)
        for i, (split, msgs, meta) in enumerate(pending):
            family = meta.get("family", "?") if meta else "(no meta)"
            total = p_len[i] + a_len[i] + s_len[i]
            st.lengths["prompt"].append(p_len[i])
            st.lengths["answer"].append(a_len[i])
            st.lengths["conversation"].append(total)
            st.family_lengths[family].append(total)
            st.answer_buckets[_bucket(a_len[i])] += 1
            if meta:
                st.families[family][split] += 1
                st.templates[str(meta.get("template", "?"))] += 1
            words = _WORD.findall(prompts[i].lower())[:OPENING_WORDS]
            st.openings[" ".join(words)] += 1
            text = "\n".join(m["content"] for m in msgs)
            for a in set(name_re.findall(text)):
                st.attestor_names[a] += 1
            for a in {by_type[t] for t in type_re.findall(text)}:
                st.attestor_types[a] += 1
            st.key_types.update(pem_key_types(text))
            for m in msgs:
                if m["role"] == "assistant":
                    st.answers += 1
                    st.placeholders += bool(placeholder_problems(m["content"]))
        pending.clear()

    for p in paths:
        split = p.name.removesuffix(".jsonl")
        for _, messages, meta in iter_items(p):
            st.conversations += 1
            st.splits[split] += 1
            pending.append((split, messages, meta))
            if len(pending) >= batch:
                flush()
    flush()
    return st


def format_stats(stats: dict[str, Any]) -> str:
    """A plain-text account of `FileStats.to_json()`."""
    out = [
        f"{stats['conversations']:,} conversations: "
        + ", ".join(f"{s} {n:,}" for s, n in stats["splits"].items())
    ]
    if stats["families"]:
        splits = list(stats["splits"])
        out.append("")
        out.append(f"{'family':<12}" + "".join(f"{s:>10}" for s in splits))
        for fam, per in stats["families"].items():
            out.append(f"{fam:<12}" + "".join(f"{per.get(s, 0):>10,}" for s in splits))
        out.append(f"templates: {stats['templates']['distinct']} distinct")
    out.append("")
    out.append(f"tokens ({stats['tokenizer']}):")
    out.append(f"  {'':<14}{'n':>9} {'mean':>8} {'p10':>5} {'p50':>5} {'p90':>5} {'p99':>5} {'max':>6}")
    for k, v in stats["tokens"].items():
        if v:
            out.append(
                f"  {k:<14}{v['n']:>9,} {v['mean']:>8} {v['p10']:>5} {v['p50']:>5} {v['p90']:>5} {v['p99']:>5} {v['max']:>6}"
            )
    hist = stats["answer_tokens_histogram"]
    out.append("answer tokens: " + ", ".join(f"{b}: {n:,}" for b, n in hist.items()))
    o = stats["openings"]
    out.append(f"\ndistinct prompt openings (first {o['words']} words): {o['distinct']:,}; most common:")
    out += [f"  {n:>7,}  {text or '(empty)'}" for text, n in list(o["top"].items())[:8]]
    out.append(
        f"\nattestors mentioned: {stats['attestors_mentioned']} of {len(stats['attestors'])} (conversations: by name / by type URI)"
    )
    rows = [f"{a} {c['name']}/{c['type_uri']}" for a, c in stats["attestors"].items()]
    out += ["  " + ", ".join(rows[i : i + 6]) for i in range(0, len(rows), 6)]
    keys = stats["pem_key_types"]
    out.append("\nPEM key types: " + (", ".join(f"{k} {n:,}" for k, n in keys.items()) or "none"))
    out.append(
        f"answers with placeholders: {stats['answers_with_placeholders']:,} of {stats['answers']:,} "
        f"({100 * stats['placeholder_rate']:.2f}%)"
    )
    return "\n".join(out)


def plot_file_stats(stats: dict[str, Any]) -> bytes:
    """PNG: examples per family and split, answer-length histogram, token lengths per family,
    attestor mentions, PEM key types, most common prompt openings."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(18, 10))
    (fam_ax, hist_ax, len_ax), (att_ax, key_ax, open_ax) = axes
    fams = list(stats["families"])
    if fams:
        bottom = [0] * len(fams)
        for split in stats["splits"]:
            vals = [stats["families"][f].get(split, 0) for f in fams]
            fam_ax.bar(fams, vals, bottom=bottom, label=split)
            bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        fam_ax.legend()
        fam_ax.tick_params(axis="x", rotation=30)
    else:
        splits = list(stats["splits"])
        fam_ax.bar(splits, [stats["splits"][s] for s in splits])
    fam_ax.set_title(f"conversations per family and split ({stats['conversations']:,})")
    hist = stats["answer_tokens_histogram"]
    hist_ax.bar(list(hist), list(hist.values()), color="tab:green")
    hist_ax.set_title(f"answer length ({stats['tokenizer']} tokens)")
    hist_ax.tick_params(axis="x", rotation=30)
    per_family = stats["tokens_per_family"]
    names = list(per_family)
    p10 = [per_family[f]["p10"] for f in names]
    p50 = [per_family[f]["p50"] for f in names]
    p90 = [per_family[f]["p90"] for f in names]
    len_ax.bar(names, p90, color="tab:orange", alpha=0.35, label="p90")
    len_ax.bar(names, p50, color="tab:orange", label="p50")
    len_ax.plot(names, p10, "k_", markersize=20, label="p10")
    len_ax.set_title("tokens per conversation by family")
    len_ax.legend()
    len_ax.tick_params(axis="x", rotation=30)
    att = stats["attestors"]
    an = list(att)
    y = range(len(an))
    att_ax.barh([i - 0.2 for i in y], [att[a]["name"] for a in an], height=0.4, label="by name")
    att_ax.barh([i + 0.2 for i in y], [att[a]["type_uri"] for a in an], height=0.4, label="by type URI")
    att_ax.set_yticks(list(y), an, fontsize=8)
    att_ax.invert_yaxis()
    att_ax.set_title(f"conversations mentioning each attestor ({stats['attestors_mentioned']}/{len(an)})")
    att_ax.legend(loc="lower right")
    keys = stats["pem_key_types"]
    bars = key_ax.barh(list(keys) or ["none"], list(keys.values()) or [0], color="tab:purple")
    key_ax.bar_label(bars, labels=[f"{v:,}" for v in keys.values()] or ["0"], padding=3)
    key_ax.invert_yaxis()
    key_ax.set_title("key types of PEM blocks")
    top = list(stats["openings"]["top"].items())[:TOP]
    open_ax.barh([t[:40] or "(empty)" for t, _ in top], [n for _, n in top], color="tab:gray")
    open_ax.invert_yaxis()
    open_ax.tick_params(axis="y", labelsize=8)
    open_ax.set_title(f"most common prompt openings ({stats['openings']['distinct']:,} distinct)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
