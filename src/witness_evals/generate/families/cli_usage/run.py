"""Intent "record this command as step S" without a CI file: the whole `witness run` line, why, how to check.

The request states the command, the step, the signer, where the attestation goes and any extra
requirement in sentences (a question, an order, a need, a situation, a follow-up to an earlier answer,
a terse list); the answer explains the flags that matter, shows the complete command and how to
confirm it (the CLI grammar check, then the attestor types inside the written envelope).
"""

from __future__ import annotations

import random
import shlex
from collections.abc import Callable
from typing import Any

from witness_evals.generate.families.cli_usage import names, run_plan, signers, workloads
from witness_evals.generate.families.cli_usage.built import Built
from witness_evals.generate.families.cli_usage.spec import Spec, check_line, render
from witness_evals.generate.families.cli_usage.text import bullets, cap, fence, say, sentences
from witness_evals.generate.phrasing import pick
from witness_evals.generate.teach import Lesson
from witness_evals.witness.versions import WitnessVersion


def draw_signer(
    rng: random.Random, version: WitnessVersion, pr: workloads.Project, key: str
) -> signers.Signer:
    """A signer for a run outside CI: mostly key files, sometimes encrypted / x.509 / KMS / keyless / SPIFFE."""
    kind = rng.choices(("file", "pass", "cert", "kms", "fulcio", "spiffe"), (58, 10, 10, 10, 8, 4))[0]
    if kind == "kms":
        return signers.kms(rng, version, org=pr.org)
    if kind == "fulcio":
        return signers.fulcio_interactive(rng, org=pr.org)
    if kind == "spiffe":
        return signers.spiffe(rng)
    s = signers.file_key(rng, key)
    if kind == "pass":
        pf = names.fill(rng, names.PASSFILES, step=pr.step)
        signers.passphrase(rng, s, version, pf)
    elif kind == "cert":
        signers.certificate(rng, s, step=pr.step, project=pr.name, org=pr.org)
    return s


def dashdash_why(rng: random.Random, cmd: tuple[str, ...]) -> str:
    opts = [t for t in cmd[1:] if t.startswith("-")]
    if opts and rng.random() < 0.6:
        return say(
            rng,
            (
                "`--` ends witness's own flags: without it witness would take `{o}` as one of its options "
                "instead of passing it to `{c}`.",
                "Putting `{c}` after `--` matters because it has options of its own (`{o}`) that witness would "
                "otherwise try to parse.",
            ),
            o=opts[0],
            c=cmd[0],
        )
    return pick(
        rng,
        (
            "Everything after `--` is the command witness runs and records; the flags before it belong to witness.",
            "`--` separates witness's flags from the wrapped command and its arguments.",
            "The command to record goes after `--`; witness hashes the files in the working directory before it "
            "runs (the materials), executes it, then hashes again to find the files it created or changed (the "
            "products).",
        ),
    )


def step_why(rng: random.Random, step: str) -> str:
    return say(
        rng,
        (
            "`-s {s}` names the step; it has to match the step name in the policy that verifies it.",
            "The step name (`-s {s}`) is what `witness verify` looks up in the policy, so keep it identical there.",
            "`--step {s}` becomes the collection's name, which the policy's step must match.",
        ),
        s=step,
    )


def out_why(rng: random.Random, out: str) -> str:
    return say(
        rng,
        (
            "`-o {o}` receives the signed DSSE envelope (without `-o` it goes to stdout).",
            "The signed envelope lands in `{o}` (`-o`/`--outfile`).",
        ),
        o=out,
    )


def inspect_line(out: str) -> str:
    return f"jq -r .payload {shlex.quote(out)} | base64 -d | jq -r '.predicate.attestations[].type'"


def check_intro(rng: random.Random, out: str) -> str:
    return say(
        rng,
        (
            "Check the line against the CLI grammar first, and after a run list the attestor types that ended up "
            "in `{o}`:",
            "The first command validates the flags without running anything; the second decodes `{o}` after the "
            "step ran and prints which attestations it holds:",
            "To confirm: lint the command, then (after it ran) look inside the envelope:",
        ),
        o=out,
    )


def arrange(
    rng: random.Random,
    lead: str,
    reasons: list[str],
    extra_notes: list[str],
    must: list[str] | None = None,
) -> tuple[list[str], list[str]]:
    """At most three why sentences (the lead first); the rest become notes (at most three, plus the `must`
    sentences, which always stay: they correct the request or explain a flag nobody asked for)."""
    why = [lead, *reasons[:2]]
    keep = list(must or ())
    notes = [*keep, *extra_notes, *reasons[2:]]  # version- and place-dependent notes first
    return why, notes[: max(3, len(keep) + 1)]


# --------------------------------------------------------------------------- request forms


def _f_question(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "What's the witness command that records `{cmd}` as the `{step}` step?",
            "How do I run `{cmd}` under witness as step `{step}`?",
            "Which `witness run` line attests `{cmd}` for the step `{step}`?",
        ),
        **v,
    )
    return head + " " + sentences(rng, asks)


def _f_order(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "Wrap `{cmd}` in `witness run` for me.",
            "Write the witness invocation around `{cmd}`.",
            "Turn `{cmd}` into a witness-attested step.",
        ),
        **v,
    )
    return head + " " + sentences(rng, [v["step_s"], *asks])


def _f_need(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "I need a signed witness attestation for our {what} (`{cmd}`).",
            "I have to produce an attestation every time our {what} runs; the command is `{cmd}`.",
        ),
        **v,
    )
    tail = pick(rng, ("What do I run?", "What does the command look like?", "How do I write that?"))
    return f"{head} {sentences(rng, [v['step_s'], *asks])} {tail}"


def _f_situation(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "{project_cap} is a {lang} project and its {what} is `{cmd}`.",
            "In the {project} repo the {what} is just `{cmd}`.",
            "We're adding provenance to {project}. The {what} runs `{cmd}`.",
        ),
        **v,
    )
    tail = pick(
        rng,
        (
            "How should the witness invocation look?",
            "Can you give me the full witness command?",
            "What's the right way to call witness here?",
        ),
    )
    return f"{head} {sentences(rng, [v['step_s'], *asks])} {tail}"


def _f_followup(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "Earlier you suggested\n\n```bash\n{prev}\n```\n\nbut I left out some details.",
            "I'm currently running `{prev_inline}`, which works, but requirements changed.",
            "Starting from `{prev_inline}`, I need a few changes.",
        ),
        **v,
    )
    tail = pick(rng, ("Can you update the command?", "What's the new command?", "How does it look now?"))
    return f"{head} {sentences(rng, asks)} {tail}"


def _f_terse(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    items = bullets([v["step_s"], *asks])
    head = say(rng, ("witness run for `{cmd}`:", "Need the witness command for `{cmd}`:"), **v)
    return head + "\n" + items


def _f_flags(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "Which flags does `witness run` need so that `{cmd}` is recorded as step `{step}`?",
            "I can't work out the flags: `{cmd}` should become the `{step}` step.",
        ),
        **v,
    )
    return head + " " + sentences(rng, asks)


def _f_goal(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "Goal: every time `{cmd}` runs we get a signed attestation for step `{step}`.",
            "We want `{cmd}` attested as `{step}` from now on.",
        ),
        **v,
    )
    return f"{head} {sentences(rng, asks)} {pick(rng, ('Exact command?', 'What should I type?', 'Full line please.'))}"


FORMS: tuple[Callable[[random.Random, dict[str, str], list[str]], str], ...] = (
    _f_question,
    _f_order,
    _f_need,
    _f_situation,
    _f_followup,
    _f_terse,
    _f_flags,
    _f_goal,
)


def step_sentence(rng: random.Random, step: str) -> str:
    return say(
        rng,
        (
            "The step is called `{s}`.",
            "Call the step `{s}`.",
            "Our policy expects the step name `{s}`.",
            "In the policy it's the `{s}` step.",
            "Use `{s}` as the step name.",
        ),
        s=step,
    )


def out_sentence(rng: random.Random, out: str) -> str:
    return say(
        rng,
        (
            "Write the attestation to `{o}`.",
            "The output file should be `{o}`.",
            "Save the signed result as `{o}`.",
            "It has to end up in `{o}`.",
            "Put the envelope in `{o}`.",
        ),
        o=out,
    )


HOST_ASKS = {
    "aws": ("Our runners are EC2 instances.", "The build host is an EC2 instance."),
    "gcp-iit": (
        "The build runs in a GKE pod that uses Workload Identity.",
        "Our runners are GKE pods bound to a Google service account through Workload Identity.",
    ),
}


def make_run(rng: random.Random, version: WitnessVersion) -> Built:
    pr = workloads.draw(rng)
    step = pr.step
    key = names.fill(rng, names.KEYS, step=step, project=pr.name, org=pr.org)
    out = names.outfile(rng, step=step, project=pr.name, org=pr.org)
    signer = draw_signer(rng, version, pr, key)
    host = pick(rng, ("aws", "gcp-iit")) if rng.random() < 0.2 else None
    plan = run_plan.plan(rng, pr, out=out, host=host, timestamped=signer.timestamped)
    cmd = pr.work.command
    spec = Spec("run", [("step", step), *signer.flags, ("outfile", out), *plan.flags], list(cmd))
    text = render(spec, rng, version)
    base = Spec("run", [("step", step), *signer.flags, ("outfile", out)], list(cmd))
    asks = [" ".join(signer.asks), out_sentence(rng, out), *plan.asks]  # signer sentences stay in order
    if host and plan.selected and host in plan.selected:
        asks.append(pick(rng, HOST_ASKS[host]))
    lang = {"any": "", "node": "Node.js", "go": "Go", "java": "Java", "python": "Python", "rust": "Rust"}
    v = {
        "cmd": shlex.join(cmd),
        "step": step,
        "what": pr.work.what,
        "project": pr.name,
        "project_cap": cap(pr.name),
        "lang": lang[pr.work.language] or pick(rng, ("containerized", "polyglot", "monorepo")),
        "step_s": step_sentence(rng, step),
        "prev": render(base, rng, version),
        "prev_inline": render(base, rng, version, width=0),
    }
    i = rng.randrange(len(FORMS))
    if i == 4 and not plan.asks:  # a follow-up needs something that changed
        i = 0
    if i == 4:  # the earlier command already had the signer and the output file
        asks = list(plan.asks)
    question = FORMS[i](rng, v, asks)
    lead = say(
        rng,
        (
            "This records `{c}` as step `{s}` and writes the signed attestation to `{o}`.",
            "Here `{c0}` runs under witness as the `{s}` step, signed, with the envelope in `{o}`.",
            "`witness run` executes `{c0}`, records it as `{s}` and signs the collection.",
        ),
        c=v["cmd"],
        c0=cmd[0],
        s=step,
        o=out,
    )
    with_line = rng.random() < 0.7  # the attestor line above the command gives plan.why[0]: not again below
    reasons = [
        *([] if with_line else plan.why[:1]),
        *signer.why[:1],
        dashdash_why(rng, cmd),
        step_why(rng, step),
    ]
    if plan.mode == "default" and rng.random() < 0.5:
        reasons = reasons[1:] + reasons[:1]
    reasons += plan.why[1:]
    why, notes = arrange(rng, lead, reasons, [*signer.notes, *plan.notes], [*signer.must, *plan.must])
    artifact = fence("bash", text)
    if with_line:
        artifact = run_plan.attestor_line(rng, plan) + "\n\n" + artifact
    lesson = Lesson(
        why=why,
        artifact=artifact,
        check=[check_line(text, version), inspect_line(out)],
        check_intro=check_intro(rng, out),
        notes=notes,
    )
    extra: dict[str, Any] = {"loose": dict(signer.loose)} if signer.loose else {}
    if signer.any_value:
        extra["any_value"] = list(signer.any_value)
    return Built("run", f"commands/run/{i}", question, text, lesson, extra)
