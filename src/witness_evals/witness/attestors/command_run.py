"""command-run: the command given after `--`, its output and exit code (go-witness attestation/commandrun)."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec
from witness_evals.witness.attestors.environment import obfuscate
from witness_evals.witness.attestors.gotypes import BOOL, DIGEST, INT, STR, STRS, F, ListT, MapT, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.attestors.workdir import file_digest

TYPE = "https://witness.dev/attestations/command-run/v0.1"

PROCESS_INFO = S(
    "commandrun.ProcessInfo",
    F("program", STR, True),
    F("processid", INT),
    F("parentpid", INT),
    F("programdigest", DIGEST, True),
    F("comm", STR, True),
    F("cmdline", STR, True),
    F("exedigest", DIGEST, True),
    F("openedfiles", MapT(DIGEST), True),
    F("environ", STR, True),
    F("specbypassisvuln", BOOL, True),
)
SHAPE = S(
    "commandrun.CommandRun",
    F("cmd", STRS),
    F("stdout", STR, True),
    F("stderr", STR, True),
    F("exitcode", INT),
    F("processes", ListT(PROCESS_INFO), True),
)

_PROGRAMS = {
    "go": "/usr/local/go/bin/go",
    "npm": "/usr/bin/npm",
    "python": "/usr/bin/python3.12",
    "cargo": "/root/.cargo/bin/cargo",
    "mvn": "/usr/share/maven/bin/mvn",
    "tar": "/usr/bin/tar",
    "syft": "/usr/local/bin/syft",
    "docker": "/usr/bin/docker",
    "kustomize": "/usr/local/bin/kustomize",
    "semgrep": "/usr/local/bin/semgrep",
    "make": "/usr/bin/make",
    "pytest": "/usr/local/bin/pytest",
}


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    """CLI output: exit code always 0 (a failing command makes `witness run` write nothing)."""
    pred: dict[str, Any] = {"cmd": list(s.command)}
    if s.stdout:
        pred["stdout"] = s.stdout
    pred["exitcode"] = 0
    if rng.random() < 0.15:  # --trace
        pid = rng.randint(1000, 60000)
        program = _PROGRAMS.get(s.command[0], f"/usr/bin/{s.command[0]}")
        exe = file_digest(f"{program}:{s.token}".encode(), s.hashes)
        opened = {p: file_digest(b, s.hashes) for p, b in sorted(s.files_before.items())[: rng.randint(1, 4)]}
        pred["processes"] = [
            {
                "program": program,
                "processid": pid,
                "parentpid": rng.randint(100, pid - 1),
                "programdigest": exe,
                "comm": s.command[0][:15],
                "cmdline": " ".join(s.command),
                "exedigest": exe,
                "openedfiles": opened,
                # /proc/<pid>/environ goes through the environment capturer (tracing_linux.go): masked
                "environ": " ".join(f"{k}={v}" for k, v in sorted(obfuscate(s.env).items())[:5]),
            }
        ]
    return pred


SPEC = AttestorSpec(
    name="command-run",
    type=TYPE,
    run_type="execute",
    selection="always-with-command",
    builder=build,
    shape=SHAPE,
)
