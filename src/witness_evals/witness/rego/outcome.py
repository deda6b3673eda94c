"""Result types of Rego evaluation and the go-witness error texts they reproduce."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from witness_evals.common.errors import InputError, WitnessError

Mode = Literal["verify", "policy-check"]
MODES: tuple[str, ...] = ("verify", "policy-check")

Status = Literal["ok", "error", "timeout", "crash", "memory"]

# Error kinds carried by RegoError / RegoOutcome.kind:
#   parse        the module does not parse (OPA parser for the mode)
#   invalid_data deny is not a set/array of strings (go-witness ErrRegoInvalidData)
#   eval         evaluation error (conflicts, builtin errors, unsafe vars ...)
#   unsupported  an OPA builtin that regorus does not implement was called, or a refused one
#                (http.send, net.lookup_ip_addr, opa.runtime: see syntax.REFUSED_BUILTINS)
#   limit        module/input over the configured size limits
#   too_deep     nested deeper than the engine can parse (syntax.MAX_NESTING / MAX_PARSE_COST):
#                not a verdict on the module (OPA would parse it) but a limit of this checker;
#                callers report it as `RegoEngineLimitError` (one line, exit 2), never as a FAIL
#   timeout / crash / memory  sandbox outcomes

TOO_DEEP = "too_deep"
DETERMINISTIC_ERRORS = frozenset({"parse", "invalid_data", "eval", "unsupported"})
"""Error kinds the engine decides by itself: the same modules and input always get them again (unlike
timeouts, crashes, memory and size limits)."""


class RegoError(WitnessError):
    """A Rego module set could not be evaluated; `message` is the go-witness style text."""

    def __init__(self, message: str, *, kind: str = "eval") -> None:
        self.message = message
        self.kind = kind
        super().__init__(message)


class RegoEngineLimitError(InputError):
    """A Rego module this checker cannot judge (kind `too_deep`): an error of the checker, not of
    the policy. An `InputError`, so every command prints it as one line and exits 2."""


@dataclass(frozen=True)
class RegoOutcome:
    """Outcome of one evaluation: `deny` holds the messages when status is "ok"."""

    status: Status
    deny: list[str] = field(default_factory=list)
    error: str = ""
    kind: str = ""

    @property
    def passed(self) -> bool:
        """True when evaluation succeeded and nothing was denied."""
        return self.status == "ok" and not self.deny

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "deny": list(self.deny), "error": self.error, "kind": self.kind}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> RegoOutcome:
        return cls(
            status=obj["status"],
            deny=[str(x) for x in obj.get("deny", [])],
            error=str(obj.get("error", "")),
            kind=str(obj.get("kind", "")),
        )


@dataclass(frozen=True)
class RegoCheck:
    """Compile-only result: `packages` maps each package path (``data.x.y``) to whether it defines `deny`."""

    status: Status
    packages: dict[str, bool] = field(default_factory=dict)
    error: str = ""
    kind: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "packages": dict(self.packages),
            "error": self.error,
            "kind": self.kind,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> RegoCheck:
        return cls(
            status=obj["status"],
            packages={str(k): bool(v) for k, v in obj.get("packages", {}).items()},
            error=str(obj.get("error", "")),
            kind=str(obj.get("kind", "")),
        )


def go_type_name(value: Any) -> str:
    """The name Go's `%T` prints for a value produced by OPA's result conversion (`ast.JSON`)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "json.Number"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[]interface {}"
    return type(value).__name__


def invalid_data_message(path: str, expected: str, actual: Any) -> str:
    """go-witness `ErrRegoInvalidData`: ``invalid data from rego at %v, expected %v but got %T``."""
    return f"invalid data from rego at {path}, expected {expected} but got {go_type_name(actual)}"


def policy_denied_message(reasons: list[str]) -> str:
    """go-witness `ErrPolicyDenied` (HEAD and v0.10.0): reasons joined by ", "."""
    return "policy was denied due to: " + ", ".join(reasons)


def rego_failed_message(attestor_type: str, reasons: list[str]) -> str:
    """The full error go-witness returns when Rego denies an attestation."""
    return (
        f"rego policy evaluation failed for attestor type {attestor_type}: {policy_denied_message(reasons)}"
    )
