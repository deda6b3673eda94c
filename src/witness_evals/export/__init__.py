"""Export a trained adapter where engineers run models: merged HF model, PEFT adapter, GGUF, Ollama, mlx-lm.

    export_run(Path("runs/smollm2"), "gguf", quant="q8_0")   # -> runs/smollm2/export/gguf-q8_0/

Formats (`witness-evals export RUN_DIR --format ...`):
- `adapter`: the PEFT adapter with `base_model_name_or_path` set to the base's portable name;
- `merged`: base + adapter folded into one float32 safetensors model, tokenizer and chat template;
- `gguf`: the merged model as one GGUF file (llama.cpp), `--quant f16|q8_0`;
- `ollama`: the GGUF plus a Modelfile (TEMPLATE, SYSTEM, stop tokens, num_ctx >= 4096);
- `mlx`: the adapter converted for mlx-lm (`mlx_lm.generate --adapter-path DIR`).
A run trained with its own `chat_template` (`chat_template.jinja` beside the adapter) exports that
template, not the base's: in the merged tokenizer, the GGUF's `tokenizer.chat_template`, the Ollama
TEMPLATE, and as `chat_template.jinja` next to the `adapter` and `mlx` adapters.
Every export carries README.md (model card with Hub front matter: base model by name, weight sha256,
dataset hash, training config, witness-bench pass@1 when a bench run is found) and `export.json`.

Everything is written into a temporary sibling of the output directory and renamed into place at the
end: a failed export (bad run, base model missing, unsupported architecture or tokenizer) leaves no
output directory behind. All checks that can fail run before the model is loaded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError
from witness_evals.train.chat_templates import adapter_chat_template, save_template

FORMATS = ("merged", "adapter", "gguf", "ollama", "mlx")
QUANTS = ("f16", "q8_0")
Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(f"[export] {message}", file=sys.stderr, flush=True)


def default_out(run_dir: Path, fmt: str, quant: str) -> Path:
    """`RUN/export/<format>` (`gguf-q8_0`, `ollama-f16`: the quantisation is part of the name)."""
    return run_dir / "export" / (f"{fmt}-{quant}" if fmt in ("gguf", "ollama") else fmt)


def slug(name: str) -> str:
    """`HuggingFaceTB/SmolLM2-135M-Instruct` -> `SmolLM2-135M-Instruct`, safe as a file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name.rsplit("/", 1)[-1]).strip("-.") or "model"


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A temporary directory next to `out`, renamed to `out` on success and removed on failure."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("output directory exists and is not empty: choose another --out", source=str(out))
    created: list[Path] = []
    parent = out.parent
    while not parent.exists():
        created.append(parent)
        parent = parent.parent
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
        if out.exists():
            out.rmdir()  # empty (checked above)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in created:  # parents made for this export only
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _base_config(base_dir: Path) -> dict[str, Any]:
    data = json.loads((base_dir / "config.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise InputError("config.json is not an object", source=str(base_dir))
    return data


def _usage(fmt: str, out: Path, name: str, base: str, gguf_file: str | None) -> str:
    if fmt == "adapter":
        return (
            "```python\nfrom peft import PeftModel\nfrom transformers import AutoModelForCausalLM\n"
            f'model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained("{base}"), "{out.name}")\n```\n'
            f'or: `witness-evals ask --model hf:{base.rsplit("/", 1)[-1]},adapter={out.name} "..."` '
            "with the base model's folder."
        )
    if fmt == "merged":
        return (
            f'```bash\nwitness-evals ask --model hf:{out.name} "How do I sign policy.json with witness?"\n```'
        )
    if fmt == "mlx":
        return (
            f'```bash\nmlx_lm.generate --model {base} --adapter-path {out.name} --prompt "..."\n```\n'
            "The adapter was trained on the base weights named above; for bit-exact behaviour use the "
            "`merged` export as `--model` (no adapter)."
        )
    if fmt == "gguf":
        return (
            f"```bash\npython -m llama_cpp.server --model {gguf_file} --host 127.0.0.1 --port 8080\n"
            f'witness-evals ask --model "openai:http://127.0.0.1:8080/v1#{name}" "..."\n```'
        )
    return f'```bash\nollama create {name} -f Modelfile\nollama run {name} "..."\n```'


def export_run(
    run_dir: Path,
    fmt: str,
    out: Path | None = None,
    *,
    quant: str = "f16",
    bench: Path | None = None,
    base_spec: str | None = None,
    log: Log = _stderr,
) -> dict[str, Any]:
    """Export the run's adapter as `fmt` into `out` (default `RUN/export/<fmt>`); return export.json.

    `base_spec` replaces the run's config.yaml `model:` (a run trained on another machine, whose base
    path does not exist here); a base whose architecture differs from the adapter's fails to merge.
    """
    from witness_evals.export import card
    from witness_evals.export.run import (
        bench_summary,
        dataset_provenance,
        load_run,
        portable_config,
        resolve_base,
    )

    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if quant not in QUANTS:
        raise InputError(f"--quant must be one of {', '.join(QUANTS)}, got {quant!r}")
    run = load_run(run_dir)
    if base_spec is not None:
        run = dataclasses.replace(run, base_spec=base_spec, base_source="--base")
    out = out if out is not None else default_out(run_dir, fmt, quant)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("output directory exists and is not empty: choose another --out", source=str(out))
    base = resolve_base(run)
    config = _base_config(base.local_dir)
    name = slug(base.name) + "-witness"
    family = None
    if fmt in ("gguf", "ollama"):  # everything that can refuse the export, before any weights load
        from witness_evals.export.gguf_export import check_architecture, pre_tokenizer_name

        check_architecture(config, source=f"{base.name} config.json")
        tok_file = base.local_dir / "tokenizer.json"
        if not tok_file.is_file():
            raise InputError("unsupported tokenizer for GGUF: no tokenizer.json", source=base.name)
        pre_tokenizer_name(json.loads(tok_file.read_text(encoding="utf-8")), f"{base.name} tokenizer.json")
    run_template = adapter_chat_template(run.adapter)  # the run's own prompt format, if it set one
    tokenizer = None
    if fmt in ("ollama", "merged", "gguf"):
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(base.local_dir))
    if fmt == "ollama":
        from witness_evals.export.ollama import template_family

        family = template_family(tokenizer, run_template)
    info = card.provenance(
        fmt=fmt,
        base=base,
        dataset=dataset_provenance(run),
        config=portable_config(run, base),
        bench=bench_summary(run, bench),
        extra={"quant": quant} if fmt in ("gguf", "ollama") else None,
    )
    gguf_file: str | None = None
    with staged(out) as tmp:
        if fmt == "adapter":
            for file in ("adapter_model.safetensors",):
                shutil.copy2(run.adapter / file, tmp / file)
            peft = json.loads((run.adapter / "adapter_config.json").read_text(encoding="utf-8"))
            peft["base_model_name_or_path"] = base.name
            (tmp / "adapter_config.json").write_text(
                json.dumps(peft, indent=2, sort_keys=True) + "\n", "utf-8"
            )
            save_template(tmp, run_template)
        elif fmt == "mlx":
            from witness_evals.export.mlx_adapter import convert_adapter

            info["mlx"] = convert_adapter(run.adapter, tmp, int(config["num_hidden_layers"]))
            save_template(tmp, run_template)
        else:
            from witness_evals.export.merge import merged_model

            log(f"merging {run.adapter} into {base.name}")
            model = merged_model(base.local_dir, run.adapter)
            if fmt == "merged":
                from witness_evals.train.model_source import add_legacy_rope_theta

                model.config.name_or_path = base.name
                model.save_pretrained(str(tmp), safe_serialization=True)
                add_legacy_rope_theta(tmp / "config.json")
                assert tokenizer is not None
                if run_template is not None:
                    tokenizer.chat_template = run_template
                tokenizer.save_pretrained(str(tmp))
            else:
                from witness_evals.export.gguf_export import write_gguf

                gguf_file = f"{name}-{quant}.gguf"
                log(f"writing {gguf_file}")
                info["gguf"] = write_gguf(
                    tmp / gguf_file,
                    config=config,
                    state=model.state_dict(),
                    tokenizer_dir=base.local_dir,
                    quant=quant,
                    name=name,
                    description=f"witness-evals fine-tune of {base.name}",
                    chat_template=run_template,
                )
                info["gguf"]["file"] = gguf_file
                if fmt == "ollama":
                    from witness_evals.export import ollama

                    assert family is not None
                    (tmp / "Modelfile").write_text(
                        ollama.modelfile(
                            gguf_file,
                            family,
                            int(config.get("max_position_embeddings") or 4096),
                            note=f"witness-evals export of a fine-tune of {base.name}",
                        ),
                        encoding="utf-8",
                    )
                    info["ollama"] = {"name": name, "template": family.family.name, "system": family.system}
        usage = _usage(fmt, out, name, base.name, gguf_file)
        text = card.model_card(
            info, title=name, library="peft" if fmt in ("adapter", "mlx") else "transformers", usage=usage
        )
        if fmt == "ollama":
            from witness_evals.export.ollama import readme

            text = readme(name, base.name) + "\n" + text.split("---\n", 2)[-1]
        (tmp / "README.md").write_text(text, encoding="utf-8")
        info["files"] = [*sorted(p.name for p in tmp.iterdir()), "export.json"]
        (tmp / "export.json").write_text(card.dump(info), encoding="utf-8")
    info["out"] = str(out)
    log(f"wrote {out}")
    return info
