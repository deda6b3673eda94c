"""`make demo`: a walk-through of the executable Witness model, end to end, on real files.

It writes keys, a simulated two-step pipeline (build -> package) of signed attestation
collections, a signed policy with a Rego rule, then runs `witness-evals verify` on them (PASS)
and on tampered copies (FAIL, with witness's reasons), checks a few witness command lines, and
finally converts and loads the embedded default model (SmolLM2-135M-Instruct).
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from witness_evals.witness import crypto, simulate
from witness_evals.witness.attestors import get as get_attestor

COMMAND_RUN = get_attestor("command-run").type
EXITCODE_REGO = """package commandrun.exitcode

deny[msg] {
\tinput.exitcode != 0
\tmsg := "exitcode not 0"
}
"""

Say = Callable[[str], None]


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    tmp.replace(path)
    return path


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "witness_evals", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def _show(say: Say, args: list[str], cwd: Path, expect: int) -> bool:
    proc = _cli(args, cwd)
    say(f"$ witness-evals {shlex.join(args)}")
    for line in (proc.stdout + proc.stderr).strip().splitlines()[:12]:
        say(f"    {line}")
    ok = proc.returncode == expect
    say(f"    -> exit {proc.returncode} ({'as expected' if ok else f'EXPECTED {expect}'})")
    return ok


def _keypair(out: Path, name: str, seed: int) -> crypto.Signer:
    key = crypto.generate_private_key("ed25519", seed=seed)
    _write(out / f"{name}.pem", crypto.private_pem(key))
    _write(out / f"{name}.pub.pem", crypto.public_pem(key.public_key()))
    return crypto.Signer(key)


def build_world(out: Path, seed: int) -> dict[str, Any]:
    """Write the demo's files under `out`; return what the walk-through needs."""
    rng = random.Random(seed)
    build_key = _keypair(out, "build-key", seed * 10 + 1)
    package_key = _keypair(out, "package-key", seed * 10 + 2)
    policy_key = _keypair(out, "policy-key", seed * 10 + 3)
    rogue_key = _keypair(out, "rogue-key", seed * 10 + 4)
    pipe = simulate.pipeline(rng, {"build": build_key, "package": package_key})
    for step, result in pipe.steps.items():
        _write(out / f"{step}.attestation.json", result.envelope.dumps())
    artifact = _write(out / "artifact" / Path(pipe.artifact_path).name, pipe.artifact)
    rego = {"build": {COMMAND_RUN: [simulate.rego_module("exitcode.rego", EXITCODE_REGO)]}}
    funcs = {"build": [build_key.verifier()], "package": [package_key.verifier()]}
    policy = simulate.policy_for(pipe, funcs, rego=rego)
    _write(out / "policy.json", json.dumps(policy, indent=2) + "\n")
    _write(out / "policy-signed.json", simulate.sign_policy(policy, policy_key).dumps() + "\n")
    # Tampered evidence: the build step re-signed by a key the policy does not trust.
    rogue = simulate.run_step("build", pipe.scenarios["build"], rogue_key)
    _write(out / "build.rogue.json", rogue.envelope.dumps())
    expired = dict(policy, expires="2021-01-01T00:00:00Z")
    _write(out / "policy-expired-signed.json", simulate.sign_policy(expired, policy_key).dumps() + "\n")
    return {"pipe": pipe, "artifact": artifact, "rogue": rogue_key}


def walkthrough(out: Path, *, seed: int = 7, model: bool = True, say: Say = print) -> bool:
    """Run the demo; return True if every step behaved as expected."""
    out.mkdir(parents=True, exist_ok=True)
    say(f"== witness-evals demo (seed {seed}) in {out}")
    world = build_world(out, seed)
    pipe = world["pipe"]
    art = str(world["artifact"].relative_to(out))
    say(f"   pipeline: steps {', '.join(pipe.steps)}; artifact {art} (sha256 {pipe.artifact_digest[:16]}...)")
    base = ["-p", "policy-signed.json", "-k", "policy-key.pub.pem", "-f", art]
    atts = ["-a", "build.attestation.json", "-a", "package.attestation.json"]
    ok = True
    say("\n== 1. static checks")
    ok &= _show(say, ["check", "policy", "policy.json"], out, 0)
    ok &= _show(
        say,
        ["check", "command", "witness run -s build -k build-key.pem -o build.attestation.json -- make"],
        out,
        0,
    )
    ok &= _show(
        say,
        ["check", "command", "witness run --step build --key build-key.pem -a commandrun -- make"],
        out,
        1,
    )
    say("\n== 2. verify the real pipeline: PASS")
    ok &= _show(say, ["verify", *base, *atts], out, 0)
    say("\n== 3. tampered evidence: FAIL with witness's reasons")
    ok &= _show(say, ["verify", *base, "-a", "build.rogue.json", "-a", "package.attestation.json"], out, 1)
    ok &= _show(
        say,
        ["verify", "-p", "policy-expired-signed.json", "-k", "policy-key.pub.pem", "-f", art, *atts],
        out,
        1,
    )
    ok &= _show(
        say, ["verify", "-p", "policy-signed.json", "-k", "rogue-key.pub.pem", "-f", art, *atts], out, 1
    )
    ok &= _show(say, ["verify", "-p", "policy.json", "-k", "policy-key.pub.pem", "-f", art, *atts], out, 1)
    say("\n== 4. bad input: one line, exit 2")
    _write(out / "broken.json", '{"expires": "2035-01-01T00:00:00Z", "steps": {')
    ok &= _show(say, ["check", "policy", "broken.json"], out, 2)
    say("\n== 5. a verified training set (every reference answer passed its hidden check)")
    gen = [
        "generate",
        "--out",
        "dataset",
        "--n",
        "140",
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--no-progress",
    ]
    ok &= _show(say, gen, out, 0)
    if model:
        say("\n== 6. the embedded default model")
        ok &= _model_step(say, out)
    say(f"\n== demo {'succeeded' if ok else 'FAILED'}")
    return ok


DEMO_BENCH_TASKS = 12
"""Tasks of the fixed `quick` subset the demo scores the model on (a full CPU run: `bench --suite quick`)."""


def _model_step(say: Say, out: Path) -> bool:
    try:
        from witness_evals.inference import GenerationSettings, Request, load_backend
    except ImportError as exc:  # pragma: no cover - the package is always installed
        say(f"    skipped: {exc}")
        return True
    try:
        backend = load_backend("default")
    except Exception as exc:  # the training extra (torch/transformers) is not installed
        say(f"    skipped: {' '.join(str(exc).split())[:160]}")
        return True
    question = "Which flag of `witness verify` names the policy signer's public key?"
    (done,) = backend.generate(
        [Request("flag", [{"role": "user", "content": question}])], GenerationSettings(max_new_tokens=40)
    )
    answer = done.text.strip()
    info = backend.describe()
    backend.close()
    say(
        f"    model: {info.get('model') or info.get('path') or 'default'} ({info.get('engine', info.get('kind', ''))})"
    )
    say(f"    untuned answer: {answer!r}")
    say(f"    checked against the witness CLI grammar: {_grade_flag_answer(answer)}")
    say(f"    witness-bench, {DEMO_BENCH_TASKS} tasks of the quick suite (bare prompts, 256-token answers):")
    from witness_evals.bench.report import render_report
    from witness_evals.bench.run import BenchOptions, run_bench

    run_dir = out / "bench-run"
    summary = run_bench(
        "default",
        run_dir,
        BenchOptions(
            suite="quick",
            limit=DEMO_BENCH_TASKS,
            tiers=("bare",),
            max_new_tokens=256,
            budget="fixed",
            label="untuned",
        ),
        resume=(run_dir / "run.json").exists(),
    )
    bare = summary["tiers"]["bare"]
    for kind, row in sorted(bare["by_kind"].items()):
        say(f"      {kind:<9} {row['passed']:.0f}/{row['n_tasks']} passed")
    say(f"      outcomes: {', '.join(f'{k} {v}' for k, v in bare['outcomes']['overall'].items() if v)}")
    render_report([run_dir], out / "bench-report.html")
    say("    report: bench-report.html; full suite: `witness-evals bench --model default` (README)")
    return True


def _grade_flag_answer(answer: str) -> str:
    """Is the policy signer's key flag of `witness verify` (-k/--publickey) what the answer names?"""
    from witness_evals.witness.cli import lookup_flag

    wanted = lookup_flag("verify", "publickey")
    named = [lookup_flag("verify", n) for n in re.findall(r"(?<![\w-])--?([A-Za-z][\w-]*)", answer)]
    if wanted in named:
        return "correct (-k/--publickey)"
    real = sorted({f"--{f.name}" for f in named if f is not None})
    return f"wrong: the flag is -k/--publickey (answer names {', '.join(real) or 'no real flag'})"
