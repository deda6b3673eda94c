"""An Ollama model directory: the GGUF, a Modelfile whose TEMPLATE renders like the model's chat template.

Ollama templates are Go templates, so the model's Jinja chat template cannot be copied. Each
supported family has a hand-written Go template (below); the family of a model is found by
rendering probe conversations with the model's Jinja template (transformers) and with each family's
Go template (`gotemplate.render_ollama`, Go's rules, Ollama's message handling) and keeping the
family whose output is identical on every probe. A template no family reproduces is refused with
one line before any file is written.

Families: ChatML (`<|im_start|>`: SmolLM2, Qwen), Llama 3 (`<|start_header_id|>`, 3.0 format),
Llama 3.1/3.2 (the same with the system preamble "Cutting Knowledge Date ... Today Date ...": Ollama
cannot run the template's date logic, so the date is pinned to the template's own default,
26 Jul 2024, in both renderings) and Gemma (`<start_of_turn>`, Gemma 2/3: the system text opens
the first user turn; a template that refuses system messages gets no SYSTEM line).

The comparison drops the BOS token the Jinja template writes first when the tokenizer adds BOS by
itself (llama.cpp and Ollama add it from the GGUF's `add_bos_token`). Equivalence holds for messages
without leading or trailing white space: Gemma and Llama 3 templates `trim` contents, and Go
templates cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from witness_evals.common.errors import InputError

DEFAULT_SYSTEM = "You are an expert on in-toto/witness, the supply-chain attestation framework."
"""One of the system prompts of the training data (generate/phrasing.py)."""
MIN_NUM_CTX = 4096  # Ollama's default context (2048/4096 by version) cuts long policies
LLAMA31_DATE = "26 Jul 2024"  # the Llama 3.1/3.2 template's own date when none is given


@dataclass(frozen=True)
class Family:
    """A chat format Ollama can reproduce: its Go template, stop strings, Jinja variables to pin."""

    name: str
    label: str
    template: str
    stops: tuple[str, ...]
    jinja_vars: dict[str, str] = field(default_factory=dict)
    note: str = ""


CHATML = Family(
    "chatml",
    "ChatML",
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n",
    ("<|im_end|>", "<|im_start|>"),
)
CHATML_TEMPLATE = CHATML.template
LLAMA3 = Family(
    "llama3",
    "Llama 3",
    "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>\n"
    "{{- end }}<|start_header_id|>assistant<|end_header_id|>\n\n",
    ("<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"),
)
LLAMA31 = Family(
    "llama3.1",
    "Llama 3.1/3.2",
    "<|start_header_id|>system<|end_header_id|>\n\n"
    f"Cutting Knowledge Date: December 2023\nToday Date: {LLAMA31_DATE}\n\n"
    '{{ range $i, $m := .Messages }}{{ if and (eq $i 0) (eq $m.Role "system") }}{{ $m.Content }}{{ end }}'
    "{{ end }}<|eot_id|>\n"
    '{{- range $i, $m := .Messages }}{{ if not (and (eq $i 0) (eq $m.Role "system")) }}'
    "<|start_header_id|>{{ $m.Role }}<|end_header_id|>\n\n{{ $m.Content }}<|eot_id|>\n"
    "{{- end }}{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n",
    LLAMA3.stops,
    {"date_string": LLAMA31_DATE},
    f"the template's date is pinned to {LLAMA31_DATE} (Ollama cannot run its date logic)",
)
GEMMA = Family(
    "gemma",
    "Gemma",
    '{{- $system := "" }}{{ $hasSystem := false }}{{ $first := true }}\n'
    "{{- range $i, $m := .Messages }}\n"
    '{{- if and (eq $i 0) (eq $m.Role "system") }}{{ $system = $m.Content }}{{ $hasSystem = true }}\n'
    '{{- else }}<start_of_turn>{{ if eq $m.Role "assistant" }}model{{ else }}{{ $m.Role }}{{ end }}\n'
    "{{ if and $first $hasSystem }}{{ $system }}\n\n{{ end }}{{ $first = false }}{{ $m.Content }}<end_of_turn>\n"
    "{{ end }}\n"
    "{{- end }}<start_of_turn>model\n",
    ("<end_of_turn>", "<start_of_turn>"),
)
FAMILIES: tuple[Family, ...] = (CHATML, LLAMA3, LLAMA31, GEMMA)

PROBES: tuple[list[dict[str, str]], ...] = (
    [{"role": "system", "content": "S1"}, {"role": "user", "content": "U1"}],
    [
        {"role": "system", "content": "S1 system"},
        {"role": "user", "content": "U1"},
        {"role": "assistant", "content": 'A1 {{ .Role }} "quoted"'},
        {"role": "user", "content": "U2 with\nnew line and ünïcode"},
    ],
    [
        {"role": "system", "content": DEFAULT_SYSTEM},
        {"role": "user", "content": "Write a policy."},
        {"role": "assistant", "content": '```json\n{"steps": {}}\n```'},
        {"role": "user", "content": "And the command?"},
        {"role": "assistant", "content": "witness run -s build -- make"},
        {"role": "user", "content": "Thanks."},
    ],
)
"""Conversations both renderings must agree on: every probe opens with a system turn (Ollama adds the
Modelfile's SYSTEM to any chat that has none), roles alternate, contents carry no outer white space."""


@dataclass(frozen=True)
class Detected:
    """The family of a chat template, and whether the template takes a system message."""

    family: Family
    system: bool = True


def _without_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    return [m for m in messages if m["role"] != "system"]


def _jinja(tokenizer: Any, messages: list[dict[str, str]], family: Family, template: str | None) -> str:
    """The Jinja rendering with an open assistant turn, BOS dropped when the tokenizer adds it."""
    text = str(
        tokenizer.apply_chat_template(
            messages,
            tokenize=False,
            add_generation_prompt=True,
            chat_template=template,
            **family.jinja_vars,
        )
    )
    bos = tokenizer.bos_token
    if bos and text.startswith(bos) and adds_bos(tokenizer):
        text = text[len(bos) :]
    return text


def adds_bos(tokenizer: Any) -> bool:
    """Whether encoding plain text starts with BOS (what the GGUF's `add_bos_token` records)."""
    probe = tokenizer("a", add_special_tokens=True)["input_ids"]
    return tokenizer.bos_token_id is not None and bool(probe) and probe[0] == tokenizer.bos_token_id


def _matches(tokenizer: Any, family: Family, template: str | None) -> Detected | None:
    from witness_evals.export.gotemplate import render_ollama

    try:
        rendered = [_jinja(tokenizer, p, family, template) for p in PROBES]
        probes: tuple[list[dict[str, str]], ...] = PROBES
        system = True
    except Exception:  # a template that refuses system turns (Gemma 2): compare without them
        try:
            probes = tuple(_without_system(p) for p in PROBES)
            rendered = [_jinja(tokenizer, p, family, template) for p in probes]
            system = False
        except Exception:
            return None
    for messages, want in zip(probes, rendered, strict=True):
        if render_ollama(family.template, messages) != want:
            return None
    return Detected(family, system)


def template_family(tokenizer: Any, chat_template: str | None = None) -> Detected:
    """The family whose Go template renders every probe exactly like the chat template (default:
    the tokenizer's own); `InputError` naming the template when none does."""
    source = chat_template if chat_template is not None else getattr(tokenizer, "chat_template", None)
    if not source:
        raise InputError(
            "tokenizer has no chat template: nothing to translate for Ollama", source="tokenizer"
        )
    for family in FAMILIES:
        found = _matches(tokenizer, family, chat_template)
        if found is not None:
            return found
    names = ", ".join(f.label for f in FAMILIES)
    raise InputError(
        f"chat template not recognised for an Ollama TEMPLATE (supported: {names}): {describe(str(source))}; "
        "export --format gguf and write the Modelfile by hand",
        source="chat template" if chat_template is not None else "tokenizer",
    )


_MARKER = re.compile(r"<\|[\w.-]+\|>|<[a-z]+(?:_[a-z]+)+>|\[/?[A-Z_]{2,}\]")


def describe(template: str) -> str:
    """A chat template named by the turn markers it writes (`[INST], [/INST]`), else its start."""
    markers = list(dict.fromkeys(_MARKER.findall(template)))[:4]
    if markers:
        return "the template writing " + ", ".join(markers)
    head = " ".join(template.split())
    return repr(head if len(head) <= 60 else head[:57] + "...")


def render_like_ollama(messages: list[dict[str, str]], family: str = "chatml") -> str:
    """What Ollama makes of `messages` with the named family's TEMPLATE."""
    from witness_evals.export.gotemplate import render_ollama

    by_name = {f.name: f for f in FAMILIES}
    if family not in by_name:
        raise ValueError(family)
    return render_ollama(by_name[family].template, messages)


def num_ctx(context_length: int) -> int:
    """`PARAMETER num_ctx`: the model's context up to 8192, never below 4096."""
    return max(MIN_NUM_CTX, min(int(context_length), 8192))


def modelfile(
    gguf_name: str,
    family: Detected | str,
    context_length: int,
    *,
    system: str = DEFAULT_SYSTEM,
    note: str = "",
) -> str:
    """The Modelfile text (`family` a detected family, or a family name)."""
    if isinstance(family, str):
        by_name = {f.name: f for f in FAMILIES}
        if family not in by_name:
            raise ValueError(family)
        family = Detected(by_name[family])
    fam = family.family
    lines = [f"# {note}"] if note else []
    lines.append(f"# TEMPLATE: {fam.label} chat format" + (f"; {fam.note}" if fam.note else ""))
    lines += [f"FROM ./{gguf_name}", f'TEMPLATE """{fam.template}"""']
    if family.system:
        lines.append(f'SYSTEM """{system}"""')
    lines += [
        *(f'PARAMETER stop "{s}"' for s in fam.stops),
        f"PARAMETER num_ctx {num_ctx(context_length)}",
        "PARAMETER temperature 0",
        "",
    ]
    return "\n".join(lines)


def readme(name: str, base: str) -> str:
    return (
        f"# {name}\n\n"
        f"A witness-evals fine-tune of {base}, for Ollama.\n\n"
        "```bash\n"
        f"ollama create {name} -f Modelfile\n"
        f'ollama run {name} "Write a witness run command that records the git and environment attestors for `make build`."\n'
        f'witness-evals ask --model ollama:{name} "How do I verify bin/app against policy-signed.json?"\n'
        "```\n"
    )
