"""Write a task's files to a directory, to reproduce it with the real CLI (or ours) by hand.

`witness-evals bench show TASK --materialize DIR` writes the prompt, the reference and planted answers,
every key (`keys/NAME.pem`, `keys/NAME.pub`), every certificate, and for a policy task each hidden
pipeline variant (`genuine-1/`, `tampered-1/`, ...) with its attestation files and the artifact, plus
the reference policy (`policy.json`) and its signed envelope (`policy-signed.json`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from witness_evals.bench.material import Material
from witness_evals.bench.scorers.policy import find_policy
from witness_evals.bench.task import Task
from witness_evals.bench.worlds import world_for
from witness_evals.common.jsonio import write_atomic
from witness_evals.witness import crypto, simulate


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "variant"


def _policy_checks(check: dict[str, Any]) -> list[dict[str, Any]]:
    if check.get("type") == "policy":
        return [check]
    if check.get("type") == "all":
        return [c for sub in check.get("checks", []) for c in _policy_checks(sub)]
    return []


def materialize(task: Task, out: Path) -> list[Path]:
    """Write the task's files under `out`; returns the paths written."""
    written: list[Path] = []

    def put(rel: str, data: bytes | str) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data.encode("utf-8") if isinstance(data, str) else data)
        written.append(path)

    convo = "\n\n".join(f"## {m['role']}\n\n{m['content']}" for m in task.messages)
    put("prompt.md", convo + "\n")
    put("reference.md", task.reference)
    put("planted.md", task.planted)
    put("check.json", json.dumps(task.check, indent=1) + "\n")
    for pc in _policy_checks(task.check):
        material = Material.from_decl(pc.get("keys"), pc.get("pki"))
        for name, key in material.keys.items():
            put(f"keys/{name}.pem", crypto.private_pem(key))
            put(f"keys/{name}.pub", material.public_pem(name))
        for name in material.certs:
            put(f"certs/{name}.pem", material.cert_pem(name))
        variants = [("genuine", v) for v in pc.get("genuine") or [{}]]
        variants += [("tampered", v) for v in pc.get("tampered") or []]
        counts: dict[str, int] = {}
        for kind, variant in variants:
            counts[kind] = counts.get(kind, 0) + 1
            folder = f"{kind}-{counts[kind]}-{_slug(variant.get('label', kind))}"
            world = world_for(pc["pipeline"], pc.get("keys") or {}, pc.get("pki"), variant)
            for name, run in world.runs.items():
                for fname, text in run.files(f"{name}.attestation.json").items():
                    put(f"{folder}/{fname}", text)
            art = world.scenarios[pc["pipeline"].get("artifact") or pc["pipeline"]["steps"][0]["name"]]
            put(f"{folder}/artifact/{world.artifact_path}", art.files_after[world.artifact_path])
            put(f"{folder}/subjects.txt", "\n".join(world.subjects) + "\n")
        policy = find_policy(task.reference)
        if policy is not None:
            data = (json.dumps(policy, indent=2) + "\n").encode()
            put("policy.json", data)
            signer = material.signer(pc.get("policy_key", "policy"))
            put("policy-signed.json", simulate.sign_policy(data, signer).dumps())
    return written
