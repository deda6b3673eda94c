"""Checks a training config can pass with nothing but itself and the installed packages.

They run before the model is resolved (a GGUF converted, weights read), so a run that cannot work
stops at once with one line: quantization the backend cannot do here, a `chat_template` that is
neither a built-in nor a readable, parseable Jinja file.
"""

from __future__ import annotations

from witness_evals.train.chat_templates import resolve_chat_template
from witness_evals.train.config import TrainConfig
from witness_evals.train.quantize import check_backend


def preflight(config: TrainConfig) -> None:
    """Raise `InputError` for what the config alone shows cannot work here."""
    check_backend(config)
    if config.chat_template is not None:
        resolve_chat_template(config.chat_template)
