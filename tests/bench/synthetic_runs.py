"""Synthetic witness-bench run directories (run.json + samples.jsonl) for the report and comparison tests."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from witness_evals.bench.summary import write_summary

KIND_COUNTS = {"rego": 70, "policy": 60, "command": 60, "diagnose": 45, "review": 35, "qa": 30}
ATTESTORS = [
    "git",
    "environment",
    "command-run",
    "material",
    "product",
    "github",
    "gitlab",
    "sbom",
    "slsa",
    "oci",
]
FAILURES = {
    "rego": [
        ("invalid", "module does not compile: rego_parse_error: unexpected eof token"),
        ("partial", "module does not deny a non-compliant attestation (deny input 2)"),
        ("wrong_artifact", "expected a Rego module, found a Witness policy document"),
        ("no_artifact", "no fenced code block in the answer"),
    ],
    "policy": [
        ("invalid", 'policy does not load: json: unknown field "step"'),
        ("partial", "witness verify rejects the compliant attestation collection"),
        ("no_artifact", "no JSON policy document in the answer"),
    ],
    "command": [
        ("invalid", "unknown flag: --attestor"),
        ("partial", "the run records no product attestor"),
        ("wrong_artifact", "expected a witness command line, found a shell script"),
    ],
    "diagnose": [("partial", "names the wrong cause (expected: expired certificate)")],
    "review": [("partial", "misses the unpinned functionary key")],
    "qa": [("partial", "answer does not state the default value (sha256)")],
}
SKILL = {"rego": 0.35, "policy": 0.45, "command": 0.6, "diagnose": 0.5, "review": 0.4, "qa": 0.7}


def synthetic_samples(
    *, quality: float, seed: int, samples: int = 1, answer_hook: Any = None
) -> list[dict[str, Any]]:
    """~300 realistic tasks × tiers bare/context with outcomes drawn from a per-kind skill."""
    rng = random.Random(seed)
    task_rng = random.Random(1234)  # the suite is the same for every run
    out: list[dict[str, Any]] = []
    for kind, count in KIND_COUNTS.items():
        for i in range(count):
            source = "hand" if task_rng.random() < 0.2 else "generated"
            attestor = task_rng.choice([*ATTESTORS, None]) if kind in ("rego", "policy", "command") else None
            task = f"{kind}/{attestor or 'general'}-{i:03d}"
            prompt = [
                {
                    "role": "user",
                    "content": f"Write a {kind} answer for the {attestor or 'witness'} attestor, case {i}. "
                    "Only the artifact, in one fenced block.",
                }
            ]
            for tier in ("bare", "context"):
                p = min(
                    0.97,
                    SKILL[kind] * quality
                    + (0.12 if tier == "context" else 0.0)
                    + (0.1 if source == "hand" else 0),
                )
                for sample in range(samples):
                    passed = rng.random() < p
                    if passed:
                        outcome, reason = "pass", ""
                    else:
                        outcome, reason = rng.choice(FAILURES[kind])
                    answer = f"```{kind}\npackage witness.verify\n# answer {i}.{sample}\n```"
                    if answer_hook is not None:
                        answer = answer_hook(task, answer)
                    out.append(
                        {
                            "task": task,
                            "kind": kind,
                            "source": source,
                            "attestor": attestor,
                            "tier": tier,
                            "sample": sample,
                            "prompt": prompt,
                            "answer": answer,
                            "passed": passed,
                            "outcome": outcome,
                            "reason": reason,
                            "checks": [
                                {
                                    "name": "compiles (witness verify)",
                                    "ok": outcome in ("partial", "pass"),
                                    "reason": "",
                                },
                                {"name": "denies input 2", "ok": passed, "reason": "" if passed else reason},
                            ],
                            "artifacts": {"rego": int(kind == "rego"), "policy": 0, "command": 0},
                            "completion_tokens": rng.randint(40, 900),
                            "seconds": round(rng.uniform(0.1, 2.0), 3),
                            "error": "backend timeout after 120 s" if rng.random() < 0.005 else None,
                        }
                    )
    return out


def make_run(
    root: Path,
    name: str,
    *,
    quality: float,
    seed: int,
    label: str | None = None,
    model: str = "hf:default",
    samples: int = 1,
    answer_hook: Any = None,
    summary: bool = False,
) -> Path:
    """A run directory (run.json + samples.jsonl, optionally summary.json) of synthetic data."""
    run = root / name
    run.mkdir(parents=True)
    info: dict[str, Any] = {
        "suite": "default",
        "suite_version": "1",
        "model": model,
        "backend": {"name": "hf", "dtype": "bfloat16", "device": "cuda:0"},
        "settings": {
            "samples": samples,
            "temperature": 0.0 if samples == 1 else 0.8,
            "max_new_tokens": 1024,
            "tiers": ["bare", "context"],
            "limit": None,
            "witness_version": "0.12",
        },
        "started": "2025-06-01T10:00:00Z",
        "finished": "2025-06-01T10:42:00Z",
        "hardware": "synthetic (no hardware)",
    }
    if label is not None:
        info["label"] = label
    (run / "run.json").write_text(json.dumps(info), encoding="utf-8")
    rows = synthetic_samples(quality=quality, seed=seed, samples=samples, answer_hook=answer_hook)
    (run / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if summary:
        write_summary(run)
    return run
