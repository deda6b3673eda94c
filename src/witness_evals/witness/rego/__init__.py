"""Rego evaluation modelled on go-witness (policy/rego.go), on regorus, with a process sandbox.

`evaluate_deny` runs trusted modules in-process; `RegoSandbox` runs untrusted ones in killable
worker processes with time and memory limits.
"""

from .engine import CompiledPolicy, RegoEngine, RegorusEngine, compile_modules, evaluate_deny, modules_key
from .outcome import (
    MODES,
    RegoCheck,
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
    "CompiledPolicy",
    "RegoCheck",
    "RegoEngine",
    "RegoError",
    "RegoJob",
    "RegoOutcome",
    "RegoSandbox",
    "RegorusEngine",
    "compile_modules",
    "evaluate_deny",
    "go_type_name",
    "invalid_data_message",
    "modules_key",
    "policy_denied_message",
    "rego_failed_message",
]
