"""Intents "here is my current witness line, change X" and the two-turn follow-up ("now also ...").

`make_edit`: the user pastes (or quotes) the `witness run` line they use and asks for one change in their
own words; `make_followup`: turn 1 asks for a `witness run` line and gets it, turn 2 asks for a change to
that command. Both answers give the complete new command (never a diff), why the change needs the flags
it does, and how to check it. The changes are in `changes.py`.
"""

from __future__ import annotations

import random
import re
import shlex
from collections.abc import Callable

from witness_evals.generate import phrasing, teach
from witness_evals.generate.families.cli_usage import changes, names, run_plan, signers, workloads
from witness_evals.generate.families.cli_usage.built import Built
from witness_evals.generate.families.cli_usage.run import (
    dashdash_why,
    inspect_line,
    out_sentence,
    step_sentence,
)
from witness_evals.generate.families.cli_usage.spec import Spec, check_line, chunks, wrap
from witness_evals.generate.families.cli_usage.text import bullets, fence, lower_first, say, sentences
from witness_evals.generate.phrasing import pick
from witness_evals.generate.teach import Lesson
from witness_evals.witness.versions import WitnessVersion


def _base(
    rng: random.Random, version: WitnessVersion
) -> tuple[workloads.Project, Spec, signers.Signer, run_plan.RunPlan]:
    """The user's current command: step, signer, output file and maybe some attestors/options."""
    pr = workloads.draw(rng)
    key = names.fill(rng, names.KEYS, step=pr.step, project=pr.name, org=pr.org)
    out = names.outfile(rng, step=pr.step, project=pr.name, org=pr.org)
    signer = signers.file_key(rng, key)
    if rng.random() < 0.12:
        signer = signers.kms(rng, version, org=pr.org)
    plan = run_plan.plan(rng, pr, out=out, options=(0, 0, 0, 1), modes=(50, 35, 0, 15))
    plan.flags = [f for f in plan.flags if f[0] not in ("trace", "dirhash-glob")]
    spec = Spec(
        "run", [("step", pr.step), *signer.flags, ("outfile", out), *plan.flags], list(pr.work.command)
    )
    return pr, spec, signer, plan


def _styled(spec: Spec, style: int, version: WitnessVersion, *, width: int = 100) -> str:
    """`spec` rendered flag by flag in the spelling that `style` picks (short or long flags, `=`, comma lists
    or repeated flags): a flag with the same value reads the same in every command of that style, so the
    updated line keeps the user's spelling and differs from the current one only where the change does."""
    parts = [
        part
        for flag in spec.flags
        for part in chunks(Spec(spec.sub, [flag], [], spec.dashdash), random.Random(style), version)
    ]
    parts += chunks(Spec(spec.sub, [], list(spec.args), spec.dashdash), random.Random(style), version)
    return wrap(f"witness {spec.sub}", parts, width)


def _lesson(rng: random.Random, version: WitnessVersion, c: changes.Change, old: Spec, text: str) -> Lesson:
    if c.key == "kms":
        lead = pick(
            rng,
            (
                "The whole command with the KMS key in place of the key file; step, output and attestors stay.",
                "Only the signer changes: `--signer-kms-ref` replaces the key-file flag.",
            ),
        )
    else:
        lead = pick(
            rng,
            (
                "This is the whole command with the change; everything else stays as it was.",
                "In the complete updated line the step, signer and output file are unchanged.",
                "Only what the change needs differs from your current line.",
                "Same step and output as before, with the change applied.",
            ),
        )
    reasons = [*c.why]
    if not reasons:
        reasons = [dashdash_why(rng, tuple(old.args))]
    why = [lead, *reasons[:2]]
    notes = [*c.must, *reasons[2:]]
    out = old.get("outfile")
    lesson = Lesson(
        why=why,
        artifact=fence("bash", text),
        check=[check_line(text, version), inspect_line(out)],
        check_intro=pick(
            rng,
            (
                "Lint the new line, and after a run list the attestation types in the envelope:",
                f"Check it offline first; once it ran, decode `{out}` to see what it recorded:",
            ),
        ),
        notes=notes[:4],
    )
    return lesson


# --------------------------------------------------------------------------- "change X in my line"


def _e_paste(rng: random.Random, v: dict[str, str]) -> str:
    head = pick(
        rng,
        (
            "Here's the witness line we use right now:",
            "This is our current witness command:",
            "Current command:",
            "We run this today:",
        ),
    )
    tail = pick(
        rng,
        ("Can you update it?", "What does the full command look like now?", "Please give me the new line."),
    )
    return f"{head}\n\n```bash\n{v['cur']}\n```\n\n{v['ctx']}{v['asks']} {tail}"


def _e_inline(rng: random.Random, v: dict[str, str]) -> str:
    head = say(
        rng,
        (
            "I currently run `{inline}`.",
            "Our pipeline calls `{inline}`.",
            "My witness invocation is `{inline}`.",
        ),
        **v,
    )
    tail = pick(rng, ("How do I change it?", "What's the new command?", "Which flags do I add?"))
    return f"{head} {v['ctx']}{v['asks']} {tail}"


def _e_change_first(rng: random.Random, v: dict[str, str]) -> str:
    head = pick(rng, ("Small change request.", "Quick tweak needed.", "Need to adjust a witness command."))
    return f"{head} {v['ctx']}{v['asks']} This is the command:\n\n```bash\n{v['cur']}\n```"


def _e_modify(rng: random.Random, v: dict[str, str]) -> str:
    return (
        f"Can you modify this so that it does one more thing?\n\n```bash\n{v['cur']}\n```\n\n"
        f"{v['ctx']}{v['asks']}"
    )


def _e_review(rng: random.Random, v: dict[str, str]) -> str:
    head = pick(
        rng,
        (
            "Security review came back with a request for our `{step}` step.",
            "The audit asked us to change how the `{step}` step is recorded.",
        ),
    ).format(step=v["step"])
    return f"{head} {v['ctx']}{v['asks']} Right now it is `{v['inline']}`. What should it become?"


def _e_terse(rng: random.Random, v: dict[str, str]) -> str:
    items = bullets(v["ask_list"])
    return f"current: `{v['inline']}`\nchange:\n{items}"


EDIT_FORMS: tuple[Callable[[random.Random, dict[str, str]], str], ...] = (
    _e_paste,
    _e_inline,
    _e_change_first,
    _e_modify,
    _e_review,
    _e_terse,
)


def make_edit(rng: random.Random, version: WitnessVersion) -> Built:
    pr, old, _, _ = _base(rng, version)
    c = changes.draw_change(rng, old, pr, version)
    style = rng.randrange(2**31)
    text = _styled(c.spec, style, version)
    ask_list = [*([c.context] if c.context else []), *c.asks]
    v = {
        "cur": _styled(old, style, version),
        "inline": _styled(old, style, version, width=0),
        "ctx": (c.context + " ") if c.context else "",
        "asks": " ".join(c.asks),
        "ask_list": ask_list,
        "step": pr.step,
    }
    i = rng.randrange(len(EDIT_FORMS))
    question = EDIT_FORMS[i](rng, v)  # type: ignore[arg-type]
    lesson = _lesson(rng, version, c, old, text)
    return Built("edit", f"commands/edit/{c.key}/{i}", question, text, lesson, group=c.key)


# --------------------------------------------------------------------------- two turns


def _first_turn(
    rng: random.Random,
    version: WitnessVersion,
    pr: workloads.Project,
    old: Spec,
    signer: signers.Signer,
    plan: run_plan.RunPlan,
    style: int | None = None,
) -> tuple[str, str]:
    """Turn 1: a plain request for the `witness run` line, and its answer (the command, why, how to check);
    `style`: the flag spelling (`_styled`) turn 2's command keeps (drawn here if None)."""
    style = rng.randrange(2**31) if style is None else style
    cmd = shlex.join(pr.work.command)
    out = old.get("outfile")
    asks = [" ".join(signer.asks), out_sentence(rng, out), *plan.asks]
    head = say(
        rng,
        (
            "How do I record `{c}` with witness as the `{s}` step?",
            "What's the witness command for our {w} (`{c}`)?",
            "I need `{c}` wrapped in `witness run`.",
            "Give me a witness line that attests `{c}`.",
        ),
        c=cmd,
        s=pr.step,
        w=pr.work.what,
    )
    # only "as the `<step>` step" names the step; a bare substring test would also find it inside the command
    # (`sbom` in `spdx-json=sbom.spdx.json`) and drop the sentence that tells the step name
    named = re.search(rf"`{re.escape(pr.step)}` step\b", head) is not None
    question = f"{head} {sentences(rng, [*([] if named else [step_sentence(rng, pr.step)]), *asks])}"
    text = _styled(old, style, version)
    lead = say(
        rng,
        (
            "This records `{c}` as step `{s}` and writes the signed attestation to `{o}`.",
            "`witness run` executes `{c0}`, records it as `{s}` and signs the collection into `{o}`.",
        ),
        c=cmd,
        c0=pr.work.command[0],
        s=pr.step,
        o=out,
    )
    why = [lead, *plan.why[:1], *signer.why[:1]]
    lesson = Lesson(
        why=why,
        artifact=fence("bash", text),
        check=[check_line(text, version)],
        check_intro=pick(rng, ("Lint it (nothing is executed):", "Check the flags offline:")),
        notes=[*signer.must, *plan.must, dashdash_why(rng, pr.work.command)][
            : max(3, len(signer.must + plan.must))
        ],
    )
    return phrasing.dress(rng, question), teach.render(rng, lesson)


def _t_now(rng: random.Random, v: dict[str, str]) -> str:
    return f"{v['ctx']}{pick(rng, ('Now ', 'OK, now ', 'Great. Now '))}{lower_first(v['asks'])}"


def _t_thanks(rng: random.Random, v: dict[str, str]) -> str:
    tail = pick(
        rng, ("Can you give me the full command again?", "What's the whole line now?", "Updated command?")
    )
    return f"{pick(rng, ('Thanks, that works.', 'That ran fine.', 'Perfect, thanks.'))} {v['ctx']}{v['asks']} {tail}"


def _t_more(rng: random.Random, v: dict[str, str]) -> str:
    head = pick(rng, ("One more requirement:", "Follow-up:", "Requirements changed a bit."))
    return f"{head} {v['ctx']}{v['asks']} {pick(rng, ('Show the complete command.', 'Full line please.'))}"


def _t_same(rng: random.Random, v: dict[str, str]) -> str:
    return f"{pick(rng, ('Same as above, but:', 'Take that command and change it:', 'Building on that:'))} {v['ctx']}{v['asks']}"


def _t_also(rng: random.Random, v: dict[str, str]) -> str:
    return f"{v['ctx']}{pick(rng, ('Also: ', 'And: ', 'Oh, and '))}{lower_first(v['asks'])} {pick(rng, ('What changes?', 'How does the command look then?'))}"


def _t_terse(rng: random.Random, v: dict[str, str]) -> str:
    items = bullets(v["ask_list"])
    return f"{pick(rng, ('next version of that command:', 'update it:'))}\n{items}"


TURN2_FORMS: tuple[Callable[[random.Random, dict[str, str]], str], ...] = (
    _t_now,
    _t_thanks,
    _t_more,
    _t_same,
    _t_also,
    _t_terse,
)


def make_followup(rng: random.Random, version: WitnessVersion) -> Built:
    pr, old, signer, plan = _base(rng, version)
    c = changes.draw_change(rng, old, pr, version)
    style = rng.randrange(2**31)
    first_q, first_a = _first_turn(rng, version, pr, old, signer, plan, style)
    text = _styled(c.spec, style, version)
    v = {
        "ctx": (c.context + " ") if c.context else "",
        "asks": " ".join(c.asks),
        "ask_list": [*([c.context] if c.context else []), *c.asks],
    }
    i = rng.randrange(len(TURN2_FORMS))
    if TURN2_FORMS[i] in (_t_now, _t_also) and c.asks[0].startswith("Same"):
        i = TURN2_FORMS.index(_t_thanks)
    question = TURN2_FORMS[i](rng, v)  # type: ignore[arg-type]
    lesson = _lesson(rng, version, c, old, text)
    history = [{"role": "user", "content": first_q}, {"role": "assistant", "content": first_a}]
    return Built(
        "followup",
        f"commands/followup/{c.key}/{i}",
        question,
        text,
        lesson,
        group=c.key,
        history=history,
        dress=False,
    )
