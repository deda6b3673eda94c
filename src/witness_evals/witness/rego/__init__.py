"""Rego evaluation modelled on go-witness (policy/rego.go), on regorus, with a process sandbox.

`evaluate_deny` runs trusted modules in-process; `RegoSandbox` runs untrusted ones in killable
worker processes with time and memory limits.
"""

from .engine import (
    CompiledPolicy,
    Modules,
    RegoEngine,
    RegorusEngine,
    compile_modules,
    evaluate_deny,
    module_pairs,
    modules_key,
)
from .outcome import (
    MODES,
    TOO_DEEP,
    RegoCheck,
    RegoEngineLimitError,
    RegoError,
    RegoOutcome,
    go_type_name,
    invalid_data_message,
    policy_denied_message,
    rego_failed_message,
)
from .sandbox import RegoJob, RegoSandbox

__all__ = [
    "MODES",
    "TOO_DEEP",
    "CompiledPolicy",
    "Modules",
    "RegoCheck",
    "RegoEngine",
    "RegoEngineLimitError",
    "RegoError",
    "RegoJob",
    "RegoOutcome",
    "RegoSandbox",
    "RegorusEngine",
    "compile_modules",
    "evaluate_deny",
    "go_type_name",
    "invalid_data_message",
    "module_pairs",
    "modules_key",
    "policy_denied_message",
    "rego_failed_message",
]
