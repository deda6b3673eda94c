"""An Ollama model directory: the GGUF, a Modelfile whose TEMPLATE renders like the model's chat template.

Ollama templates are Go templates, so the model's Jinja chat template is not copied: its *family* is
recognised by rendering it on probe conversations and comparing with what the Go template below
produces (`render_like_ollama`, a transcription of the Go template). Only ChatML (`<|im_start|>`,
SmolLM2, Qwen) is written today; any other template is refused before a file is written.
"""

from __future__ import annotations

from typing import Any

from witness_evals.witness.errors import InputError

DEFAULT_SYSTEM = "You are an expert on in-toto/witness, the supply-chain attestation framework."
"""One of the system prompts of the training data (generate/phrasing.py)."""
MIN_NUM_CTX = 4096  # Ollama's default context (2048/4096 by version) cuts long policies

CHATML_TEMPLATE = (
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n"
    "{{ .Content }}<|im_end|>\n"
    "{{ end }}<|im_start|>assistant\n"
)
CHATML_STOPS = ("<|im_end|>", "<|im_start|>")

PROBES: tuple[list[dict[str, str]], ...] = (
    [{"role": "system", "content": "S1"}, {"role": "user", "content": "U1"}],
    [
        {"role": "system", "content": "S1"},
        {"role": "user", "content": "U1"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "U2 with\nnew line"},
    ],
)


def render_like_ollama(messages: list[dict[str, str]], family: str = "chatml") -> str:
    """What Ollama makes of `messages` with the family's Go template (a transcription of it)."""
    if family != "chatml":
        raise ValueError(family)
    body = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return body + "<|im_start|>assistant\n"


def template_family(tokenizer: Any) -> str:
    """`chatml` when the tokenizer's chat template renders every probe exactly like the Go template."""
    try:
        for messages in PROBES:
            want = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            if want != render_like_ollama(messages, "chatml"):
                break
        else:
            return "chatml"
    except Exception as exc:  # a template that does not render is not one we can translate
        raise InputError(f"chat template does not render: {exc}", source="tokenizer") from None
    raise InputError(
        "chat template not recognised for an Ollama TEMPLATE (supported: ChatML); "
        "export --format gguf and write the Modelfile by hand",
        source="tokenizer",
    )


def num_ctx(context_length: int) -> int:
    """`PARAMETER num_ctx`: the model's context up to 8192, never below 4096."""
    return max(MIN_NUM_CTX, min(int(context_length), 8192))


def modelfile(
    gguf_name: str, family: str, context_length: int, *, system: str = DEFAULT_SYSTEM, note: str = ""
) -> str:
    """The Modelfile text."""
    if family != "chatml":
        raise ValueError(family)
    lines = [f"# {note}"] if note else []
    lines += [
        f"FROM ./{gguf_name}",
        f'TEMPLATE """{CHATML_TEMPLATE}"""',
        f'SYSTEM """{system}"""',
        *(f'PARAMETER stop "{s}"' for s in CHATML_STOPS),
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
