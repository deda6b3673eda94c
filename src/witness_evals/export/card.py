"""The portable model card (README.md with Hub front matter) and `export.json` of every export."""

from __future__ import annotations

import json
from typing import Any

import yaml

from witness_evals.common.version import package_version
from witness_evals.export.run import DEFAULT_BASE_NAME, BaseModel

TAGS = ("witness", "in-toto", "supply-chain-security", "lora", "witness-evals")


def provenance(
    *,
    fmt: str,
    base: BaseModel,
    dataset: dict[str, Any],
    config: dict[str, Any],
    bench: dict[str, Any] | None,
    files: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything `export.json` records (no local paths)."""
    out: dict[str, Any] = {
        "format": fmt,
        "exported_by": f"witness-evals {package_version()}",
        "base_model": base.to_json(),
        "dataset": dataset,
        "training_config": config,
        "bench": bench,
    }
    if files:
        out["files"] = files
    if extra:
        out.update(extra)
    return out


def _bench_lines(bench: dict[str, Any] | None) -> list[str]:
    if not bench:
        return ["No witness-bench run was found next to the training run (`RUN/bench*/summary.json`)."]
    lines = [
        f"witness-bench suite `{bench.get('suite')}` v{bench.get('suite_version')}:",
        "",
        "| tier | pass@1 | 95% CI | tasks |",
        "| --- | --- | --- | --- |",
    ]
    for tier, row in (bench.get("tiers") or {}).items():
        p, lo, hi = row.get("pass@1"), row.get("ci_low"), row.get("ci_high")

        def pct(x):
            return "-" if x is None else f"{100 * x:.1f}%"

        lines.append(f"| {tier} | {pct(p)} | {pct(lo)}–{pct(hi)} | {row.get('n_tasks')} |")
    return lines


def _base_link(name: str) -> str:
    return f"[{name}](https://huggingface.co/{name})" if name.count("/") == 1 else f"`{name}`"


def model_card(info: dict[str, Any], *, title: str, library: str, usage: str) -> str:
    """README.md: Hub front matter (base_model by name), provenance, usage."""
    base = info["base_model"]
    front: dict[str, Any] = {"base_model": base["name"], "library_name": library, "tags": list(TAGS)}
    if base["name"] == DEFAULT_BASE_NAME:
        front["license"] = "apache-2.0"
    hashes = "\n".join(f"  - `{name}`: sha256 `{digest}`" for name, digest in base["sha256"].items())
    data = info.get("dataset") or {}
    data_hash = data.get("manifest_sha256") or data.get("files_sha256")
    lines = [
        "---",
        yaml.safe_dump(front, sort_keys=False).strip(),
        "---",
        "",
        f"# {title}",
        "",
        f"A LoRA fine-tune of {_base_link(base['name'])} on verified "
        "in-toto/witness training data, made with witness-evals "
        f"({info['exported_by']}; format `{info['format']}`).",
        "",
        "## Provenance",
        "",
        f"- Base model: `{base['name']}` ({base['source']})",
        hashes,
        f"- Dataset: `{data.get('name')}`"
        + (
            f", {'manifest.json' if data.get('manifest_sha256') else 'train/valid'} sha256 `{data_hash}`"
            if data_hash
            else ""
        ),
        "- Training config:",
        "",
        "```yaml",
        yaml.safe_dump(info.get("training_config") or {}, sort_keys=False).strip(),
        "```",
        "",
        "## witness-bench",
        "",
        *_bench_lines(info.get("bench")),
        "",
        "## Use",
        "",
        usage.strip(),
        "",
        "Machine-readable provenance: `export.json`.",
        "",
    ]
    return "\n".join(lines)


def dump(info: dict[str, Any]) -> str:
    return json.dumps(info, indent=2, sort_keys=True) + "\n"
