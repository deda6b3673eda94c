"""The `chat_template` training key: built-in conversation formats, or a Jinja file.

A base model often has no chat template (Gemma 3 270M's GGUF has none); its fine-tune must then be
given one. `chat_template` is either a built-in name or a path to a Jinja file (the format
transformers reads: `messages`, `add_generation_prompt`, `bos_token`, ...). Built-ins render
text-only conversations exactly as the model families' own templates do:

- `chatml`: `<|im_start|>{role}\\n{content}<|im_end|>\\n`, prompt `<|im_start|>assistant\\n` (Qwen,
  SmolLM2; no default system prompt);
- `gemma`: `<bos><start_of_turn>user\\n{system}\\n\\n{user}<end_of_turn>\\n<start_of_turn>model\\n...`
  (Gemma 2/3: no system role, the system text opens the first user turn; roles must alternate);
- `llama3`: `<|begin_of_text|><|start_header_id|>{role}<|end_header_id|>\\n\\n{content}<|eot_id|>`
  (Llama 3 instruct, without 3.1's tool and date preamble).

A template must fit the tokenizer: a built-in's markers must be single tokens of its vocabulary, and
every template must end an assistant turn with an end-of-turn token (so the model learns to stop).
The template used is written next to every saved adapter as `chat_template.jinja`, so export and
inference can render prompts exactly as training did (`adapter_chat_template`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError

TEMPLATE_FILE = "chat_template.jinja"
MAX_TEMPLATE_BYTES = 256 * 1024

_CHATML = (
    "{%- for message in messages -%}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)
_GEMMA = (
    "{{ bos_token if bos_token else '' }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}"
    "{%- set first_user_prefix = '' -%}"
    "{%- set loop_messages = messages -%}"
    "{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{%- endif -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}"
    "{{ '<end_of_turn>\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}"
)
_LLAMA3 = (
    "{%- for message in messages -%}"
    "{%- set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    " + (message['content'] | trim) + '<|eot_id|>' -%}"
    "{%- if loop.index0 == 0 -%}{{ (bos_token if bos_token else '') + content }}"
    "{%- else -%}{{ content }}{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif -%}"
)

BUILTIN: dict[str, str] = {"chatml": _CHATML, "gemma": _GEMMA, "llama3": _LLAMA3}
"""Built-in templates by name."""

MARKERS: dict[str, tuple[str, ...]] = {
    "chatml": ("<|im_start|>", "<|im_end|>"),
    "gemma": ("<start_of_turn>", "<end_of_turn>"),
    "llama3": ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
}
"""Special tokens each built-in writes; each must be one token of the tokenizer."""

_PROBE = [  # no system turn: some families' templates refuse one
    {"role": "user", "content": "Which command verifies a policy?"},
    {"role": "assistant", "content": "witness verify"},
]


def _compile(text: str, source: str) -> None:
    """Parse the template as transformers will (sandboxed Jinja); a syntax error names its line."""
    from jinja2 import TemplateSyntaxError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    try:
        env.parse(text)
    except TemplateSyntaxError as exc:
        raise InputError(
            f"invalid Jinja template: {exc.message}", source=source, location=f"line {exc.lineno}"
        ) from None


def resolve_chat_template(value: str, *, source: str = "config") -> str:
    """The template text `value` names: a built-in (`chatml`, `gemma`, `llama3`) or a Jinja file."""
    if value in BUILTIN:
        return BUILTIN[value]
    path = Path(value).expanduser()
    if not path.is_file():
        known = ", ".join(BUILTIN)
        raise InputError(
            f"{value!r} is neither a built-in template ({known}) nor an existing file",
            source=source,
            location="chat_template",
        )
    size = path.stat().st_size
    if size > MAX_TEMPLATE_BYTES:
        raise InputError(f"template file is too large ({size} bytes)", source=str(path))
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", source=str(path), location=f"byte {exc.start}") from None
    if not text.strip():
        raise InputError("empty template file", source=str(path))
    _compile(text, str(path))
    return text


def template_label(value: str | None) -> str:
    """How a run names its template in logs and summaries: the built-in name or the file name."""
    if value is None:
        return "model"
    return value if value in BUILTIN else Path(value).name


def check_fits(tokenizer: Any, template: str, name: str | None = None) -> None:
    """Refuse a template the tokenizer cannot serve: missing markers or no end-of-turn token."""
    from witness_evals.train.data import end_of_turn_ids

    where = {"source": "config", "location": "chat_template"}
    for marker in MARKERS.get(name or "", ()):
        ids = tokenizer(marker, add_special_tokens=False)["input_ids"]
        if len(ids) != 1:
            known = tokenizer.convert_tokens_to_ids(marker)
            hint = (
                f"its vocabulary has {marker} (id {known}), so the tokenizer was converted wrongly: transformers "
                "5.17 does this to Gemma 3's GGUF tokenizer, 5.25 does not; convert the model with a newer "
                "transformers"
                if isinstance(known, int) and known != tokenizer.unk_token_id
                else "use a Jinja file written for this model"
            )
            raise InputError(
                f"template {name} needs {marker} as one token; this tokenizer splits it into {len(ids)} ({hint})",
                **where,
            )
    try:
        prompt = tokenizer.apply_chat_template(
            _PROBE[:1], tokenize=False, add_generation_prompt=True, chat_template=template
        )
        full = tokenizer.apply_chat_template(
            _PROBE, tokenize=False, add_generation_prompt=False, chat_template=template
        )
    except Exception as exc:  # jinja raises many types; the template is user input
        raise InputError(f"template does not render a user/assistant chat: {exc}", **where) from None
    if not full.startswith(prompt):
        raise InputError(
            "template does not render incrementally (the prompt is not a prefix of the conversation)", **where
        )
    answer = tokenizer(full[len(prompt) :], add_special_tokens=False)["input_ids"]
    if not set(answer) & end_of_turn_ids(tokenizer):
        raise InputError(
            "template ends an assistant turn with no end-of-turn token of this tokenizer "
            "(the model would never learn to stop)",
            **where,
        )


def apply_to_tokenizer(tokenizer: Any, value: str | None, *, source: str = "config") -> str | None:
    """Set the configured template on `tokenizer` (checked); return its text, or None when unset."""
    if value is None:
        return None
    text = resolve_chat_template(value, source=source)
    check_fits(tokenizer, text, value if value in BUILTIN else None)
    tokenizer.chat_template = text
    return text


def save_template(directory: Path, template: str | None) -> None:
    """Write `chat_template.jinja` into an adapter directory (nothing when the model's own is used)."""
    if template is not None:
        (directory / TEMPLATE_FILE).write_text(template, encoding="utf-8")


def adapter_chat_template(adapter_dir: Path) -> str | None:
    """The template a run trained with, if it set one (`chat_template.jinja` beside the adapter)."""
    file = adapter_dir / TEMPLATE_FILE
    if not file.is_file():
        return None
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", source=str(file), location=f"byte {exc.start}") from None
    return text if text.strip() else None
