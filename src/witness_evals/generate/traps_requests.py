"""How people ask for a policy review: the `traps` family's requests.

A request is an *intent* (will it work, review before signing, CI says it is invalid, an auditor
flagged something, it verifies but is it safe, a follow-up on an earlier attempt, does the Rego work)
asked in one of several phrasings, around what the user pastes: the policy, how CI records the steps
(inline commands, a GitHub Actions or GitLab CI job, a Jenkinsfile, a Makefile, a shell script),
sometimes the decoded Rego module and sometimes what `witness verify` printed: the core verifier's
result for the chosen release through witness's log formatter (`witness.verify_output.witness_output`, terminal or CI
log). File names the answer reuses (policy file, policy signing key,
attestation files, the artifact) are fixed here in `Files` and stated in the question.
"""

from __future__ import annotations

import json
import random
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from witness_evals.generate.phrasing import pick
from witness_evals.generate.traps_case import Case, key_source
from witness_evals.generate.worlds import Key, branch_checkout, policy_files, policy_key_files
from witness_evals.generate.worlds.layout import layout_for
from witness_evals.generate.worlds.policy import PolicyWorld
from witness_evals.witness.verify import VerifyResult
from witness_evals.witness.verify_output import witness_output

CI_STYLES = ("inline", "inline", "inline", "makefile", "script")
"""How the steps are shown when the world's CI system has no snippet style of its own."""


@dataclass(frozen=True)
class Files:
    """The file names a question states and its answer reuses."""

    policy: str
    signed: str
    policy_key: str
    policy_pub: str
    atts: dict[str, str]
    artifact: str
    signing_known: bool
    """The question says how the policy is signed and verified (key files and artifact)."""

    def verify_cmd(self, steps: list[str]) -> str:
        atts = " ".join(f"-a {self.atts[s]}" for s in steps)
        return f"witness verify -p {self.signed} -k {self.policy_pub} {atts} -f {self.artifact}"

    def sign_cmd(self) -> str:
        return f"witness sign -f {self.policy} -o {self.signed} -k {self.policy_key}"


def draw_files(rng: random.Random, w: PolicyWorld) -> Files:
    policy, signed = policy_files(rng)
    key, pub = policy_key_files(rng)
    return Files(
        policy=policy,
        signed=signed,
        policy_key=key,
        policy_pub=pub,
        atts=dict(w.att_files),
        artifact=w.artifact,
        signing_known=rng.random() < 0.7,
    )


# ----------------------------------------------------------------------------- the pipeline


def run_line(rng: random.Random, w: PolicyWorld, files: Files, step: str, style: int) -> str:
    """`witness run` of one step as the user's CI writes it (flag spelling varies)."""
    long = style % 2 == 1
    parts = ["witness", "run"]
    parts += ["--step", step] if long else ["-s", step]
    key = w.key_files[step]
    parts += ["--signer-file-key-path", key] if long else ["-k", key]
    if w.x509:
        parts += ["--signer-file-cert-path", w.cert_files[step]]
    parts += ["--outfile", files.atts[step]] if long else ["-o", files.atts[step]]
    attestors = w.attestors[step]
    if attestors != ("environment", "git"):
        parts += ["--attestations" if long else "-a", ",".join(attestors)]
    parts += next(s for s in w.runs.pipe.steps if s.name == step).flags  # e.g. k8smanifest off the cluster
    return shlex.join(parts) + " -- " + shlex.join(w.scenarios[step].command)


def _block(style: str, w: PolicyWorld, lines: list[str]) -> str | None:
    if style == "github":
        body = "\n".join(
            f"      - name: {s.replace('-', ' ').title()}\n        run: {ln}"
            for s, ln in zip(w.steps, lines, strict=True)
        )
        return f"```yaml\n    steps:\n{body}\n```"
    checkout = branch_checkout(w.runs.pipe, w.scenarios[w.steps[0]]) if style == w.spec.ci else ""
    if style == "gitlab":
        pre = f"    - {checkout}\n" if checkout else ""  # each job starts from a fresh detached checkout
        body = "\n\n".join(
            f"{s}:\n  stage: {w.spec.kinds[i] if w.spec.kinds[i] != 'scan' else 'test'}\n  script:\n{pre}    - {ln}"
            for i, (s, ln) in enumerate(zip(w.steps, lines, strict=True))
        )
        return f"```yaml\n{body}\n```"
    if style == "jenkins":
        if any("'" in ln for ln in lines):
            return None
        stages = [(s, f"sh '{ln}'") for s, ln in zip(w.steps, lines, strict=True)]
        body = "\n".join(
            f"    stage('{s}') {{\n      steps {{\n        {step}\n      }}\n    }}"
            for s, step in ([("checkout", checkout)] if checkout else []) + stages
        )
        return f"```groovy\npipeline {{\n  agent any\n  stages {{\n{body}\n  }}\n}}\n```"
    if style == "makefile":
        if any("$" in ln for ln in lines):
            return None
        body = "\n\n".join(f"{s}:\n\t{ln}" for s, ln in zip(w.steps, lines, strict=True))
        return f"```makefile\n{body}\n```"
    if style == "script":
        return "```bash\n#!/usr/bin/env bash\nset -euo pipefail\n" + "\n".join(lines) + "\n```"
    return None


def _ci_name(style: str) -> str:
    return {
        "github": "GitHub Actions workflow",
        "gitlab": "`.gitlab-ci.yml`",
        "jenkins": "Jenkinsfile",
        "makefile": "Makefile",
        "script": "release script",
    }[style]


def shown_ci(w: PolicyWorld, style: str) -> str:
    """The CI system the question shows (its snippet, or a `-a github`/`-a gitlab` in the run lines); ""
    when it does not say."""
    if style in ("github", "gitlab", "jenkins"):
        return style
    return w.spec.ci if any(w.spec.ci in a for a in w.attestors.values()) else ""


def pipeline_text(
    rng: random.Random, w: PolicyWorld, files: Files, *, key_ids: bool = False
) -> tuple[str, str]:
    """How the steps are recorded: inline commands or a CI snippet, plus what the user knows about them;
    with `key_ids`, which key id is whose (when the pasted policy does not show it, an answer that gives each
    step its own key must be told). Returns the text and the CI system it shows (`shown_ci`)."""
    flag_style = rng.randrange(2)
    lines = [run_line(rng, w, files, s, flag_style) for s in w.steps]
    own = (w.spec.ci,) * 3 if w.spec.ci in ("github", "gitlab", "jenkins") else ()
    style = pick(rng, CI_STYLES + own)
    block = _block(style, w, lines) if style != "inline" else None
    if block is None:
        quoted = [f"`{ln}`" for ln in lines]
        if len(quoted) == 1:
            text = pick(
                rng,
                (
                    f"CI runs {quoted[0]}.",
                    f"The only step is recorded with {quoted[0]}.",
                    f"Our pipeline calls {quoted[0]}.",
                    f"We record the build with {quoted[0]}.",
                ),
            )
        else:
            joined = ", then ".join(quoted)
            text = pick(
                rng,
                (
                    f"CI runs {joined}.",
                    f"The steps are recorded with {joined}.",
                    f"Our pipeline does {joined}.",
                    f"In order, the jobs run {joined}.",
                ),
            )
    else:
        lead = pick(
            rng,
            (
                f"The relevant part of our {_ci_name(style)}:",
                f"From our {_ci_name(style)}:",
                f"Our {_ci_name(style)} records the steps like this:",
            ),
        )
        text = f"{lead}\n\n{block}"
    extras: list[str] = []
    if w.spec.extra == "sbom":
        kind = "SPDX" if w.spec.sbom == "spdx" else "CycloneDX"
        extras.append(
            pick(
                rng, (f"The build writes a {kind} JSON SBOM.", f"`make release` also produces a {kind} SBOM.")
            )
        )
    elif w.spec.extra == "vex":
        extras.append("The build also writes an OpenVEX document `vex.json`.")
    if w.x509:
        if len(w.steps) == 1:
            s0 = w.steps[0]
            extras.append(f"`{w.cert_files[s0]}` is issued to `{w.emails[s0]}` by {w.ca_name}.")
        else:
            certs = [f"`{w.cert_files[s]}` for `{w.emails[s]}`" for s in w.steps]
            listed = ", ".join(certs[:-1]) + " and " + certs[-1]
            extras.append(
                pick(
                    rng,
                    (
                        f"Each job has its own certificate from {w.ca_name}: {listed}.",
                        f"{w.ca_name} issued {listed}.",
                    ),
                )
            )
    if key_ids and not w.x509:
        owned = {w.key_files[s]: w.keyids[s] for s in w.steps}
        listed = ", ".join(f"`{f}` → `{k}`" for f, k in owned.items())
        extras.append(pick(rng, (f"Key ids of the signing keys: {listed}.", f"The keys' ids: {listed}.")))
    if files.signing_known:
        extras.append(
            pick(
                rng,
                (
                    f"We sign the policy with `{files.policy_key}` into `{files.signed}` and verify "
                    f"`{files.artifact}` with `{files.policy_pub}`.",
                    f"The policy gets signed with `{files.policy_key}` (output `{files.signed}`); verification "
                    f"checks `{files.artifact}` against `{files.policy_pub}`.",
                    f"`{files.policy_key}` signs the policy into `{files.signed}`, `{files.policy_pub}` is what "
                    f"verify uses, and the artifact is `{files.artifact}`.",
                ),
            )
        )
    return _join_text(text, " ".join(extras)), shown_ci(w, style if block is not None else "inline")


def _join_text(a: str, b: str) -> str:
    if not b:
        return a
    if a.rstrip().endswith("```"):
        return a.rstrip() + "\n\n" + b
    return a + " " + b


# ----------------------------------------------------------------------------- intents and phrasings

ASKS: dict[str, tuple[str, ...]] = {
    "work": (
        "Will `witness verify` pass with this policy?",
        "Is this policy going to work with witness, or did I miss something?",
        "Tell me whether witness will accept this policy as it is.",
        "I need to know if this policy actually verifies before I roll it out.",
        "Before I wire this into CI: does the policy below do what it says?",
        "Quick sanity check: would this verify our build?",
        "Here's my policy. Will it work?",
    ),
    "review": (
        "Please review this policy before we sign it.",
        "Can you look over our witness policy before it gets signed?",
        "Review the policy below; we sign it with `witness sign` once it's approved.",
        "I'd like a second pair of eyes on this policy before signing.",
        "We're about to sign this. Anything you'd change?",
        "Give this policy a security review, please.",
        "PR review: this file lands in our release repo. Comments?",
    ),
    "ci": (
        "CI says the policy is invalid. What's wrong with it?",
        "Our verify job fails with this policy and I can't see why.",
        "`witness verify` fails in the pipeline. Is the policy the problem?",
        "The release job started failing after I edited the policy. What did I break?",
        "Why does verification fail with this policy?",
        "Help me find what witness doesn't like in this policy.",
    ),
    "audit": (
        "Our auditor flagged {concern}. Is that a problem?",
        "An auditor pointed at {concern} in this policy. Should we change it?",
        "Compliance flagged {concern}. Real issue or false alarm?",
        "The security review came back with one comment about {concern}. Do they have a point?",
        "Is {concern} something we need to fix?",
        "Our auditor flagged this policy. Is it a problem?",
    ),
    "passes": (
        "Verification passes, but does this policy really enforce what we think?",
        "It verifies fine. Is it actually safe?",
        "`witness verify` is green with this policy. Anything it doesn't catch?",
        "The policy works, but I'm not sure it's strict enough.",
        "This passes in CI. Is there a hole in it?",
        "Everything verifies, yet something feels off. Can you check?",
    ),
    "followup": (
        "I changed the policy after your last comments. Is it right now?",
        "Second attempt at the policy. Does this one work?",
        "Revised version below. Good to go?",
        "OK, new version. Will this one pass `witness verify`?",
        "Follow-up: I reworked the policy. Is anything still off?",
        "Take another look? I rewrote parts of the policy since yesterday.",
    ),
    "rego": (
        "Does the Rego in this policy work with witness?",
        "Review the policy and the module it embeds.",
        "Will `witness verify` evaluate this Rego the way I expect?",
        "Here's the policy and the decoded module. Anything wrong?",
        "Check my Rego and the policy that carries it, please.",
        "I'm not sure the Rego check is right. Can you look?",
    ),
}
ASK_POLARITY: dict[str, tuple[str, ...]] = {
    "work": ("fine", "", "fine", "fine", "fine", "fine", "fine"),
    "review": ("", "", "", "", "fault", "", ""),
    "ci": ("", "", "fault", "", "", ""),
    "audit": ("fault", "fault", "", "fault", "fault", "fault"),
    "passes": ("fine", "fine", "fault", "", "fault", ""),
    "followup": ("fine", "fine", "fine", "fine", "fault", ""),
    "rego": ("", "", "", "fault", "", ""),
}
"""What a bare "yes" to each ask (parallel to `ASKS`) would mean: `fine` (the policy works: "Will it
work?"), `fault` (there is a problem: "Is the policy the problem?", "Anything you'd change?") or ""
(not a yes/no question, or one about the Rego alone). An answer opens with "Yes"/"No" only where that
word says what the verdict says (`families.traps.answer_for`)."""
POLICY_LEADS = (
    "`{file}`:",
    "Here's `{file}`:",
    "Policy (`{file}`):",
    "The current `{file}`:",
    "Contents of `{file}`:",
    "`{file}` as it stands:",
    "This is `{file}`:",
    "Our `{file}` looks like this:",
    "I pasted `{file}` below.",
    "The policy lives in `{file}`:",
    "`{file}` (unsigned version):",
    "Here is the whole `{file}`:",
)
"""Every lead names the policy file: the answer's check commands reuse that name."""
OUTPUT_LEADS_FAIL = (
    "The verify step prints:",
    "Output:",
    "This is what CI shows:",
    "witness says:",
    "Log from the failing job:",
)
OUTPUT_LEADS_PASS = ("Verify output:", "It passes:", "Here's the (green) verify run:")
REGO_LEADS = (
    "The module decodes to:",
    "Decoded Rego:",
    "`module` is base64 of this:",
    "The Rego it carries:",
)
SITUATIONS = (
    "We build `{project}` ({language}) and just added witness.",
    "This is for the `{repo}` repository.",
    "Our `{project}` release pipeline has {n}.",
    "Setting up witness for `{repo}`.",
    "The `{project}` team asked me to check their policy.",
    "I'm adding build provenance to `{project}` {version}.",
    "`{project}` is a {language} service; releases are verified with witness.",
    "We verify every `{project}` release before it ships.",
)
STEP_COUNTS = ("one step", "two steps", "three steps")
REQUIREMENT_LEADS = (
    "Our rule: {req}.",
    "The point of the policy is that {req}.",
    "Requirement from security: {req}.",
)


def carries_rego(policy: dict[str, Any]) -> bool:
    """Whether the pasted policy embeds a Rego module anywhere (under any spelling of `regopolicies`)."""
    for st in (policy.get("steps") or {}).values():
        for a in st.get("attestations") or []:
            if any(k.lower().replace("_", "") == "regopolicies" and v for k, v in a.items()):
                return True
    return False


def intents_for(case: Case) -> list[str]:
    """The intents that fit `case`; asking about the Rego needs a module in the pasted policy (the weak
    cases that drop the world's module have none)."""
    out = ["work", "review", "followup"]
    if case.fails_verify:
        out += ["ci", "ci"]
    else:
        out += ["passes"]
    if case.concern or case.verdict != "ok":
        out += ["audit"]
    if case.world.rego is not None and carries_rego(case.shown):
        out += ["rego"]
    return out


@dataclass(frozen=True)
class Request:
    text: str
    intent: str
    index: int
    with_output: bool
    polarity: str = ""
    """`ASK_POLARITY` of the ask."""
    ci: str = ""
    """The CI system the question shows (github, gitlab, jenkins; "" when it does not say)."""


def _owners_shown(case: Case) -> bool:
    """Whether the pasted policy shows whose key is whose: one key in all, or each step listing exactly the
    key its job signs with."""
    w = case.world
    if w.x509 or len({w.keyids[s] for s in w.steps}) < 2:
        return True
    steps = case.shown.get("steps", {})
    return all(
        [f.get("publickeyid") for f in steps.get(s, {}).get("functionaries", [])] == [w.keyids[s]]
        for s in w.steps
    )


def compose(
    rng: random.Random,
    case: Case,
    files: Files,
    *,
    module: str | None,
    output: Callable[[], VerifyResult] | None,
) -> Request:
    """The user's message for `case` (before `phrasing.dress`); `output()` is the core's verification
    of the pasted policy (called only when the message quotes what `witness verify` printed)."""
    w = case.world
    intent = pick(rng, intents_for(case))
    idx = rng.randrange(len(ASKS[intent]))
    ask = ASKS[intent][idx]
    if "{concern}" in ask:
        if case.concern:
            ask = ask.format(concern=pick(rng, case.concern))
        else:
            idx = len(ASKS[intent]) - 1
            ask = ASKS[intent][idx]
    policy_lead = pick(rng, POLICY_LEADS).format(file=files.policy)
    policy = f"{policy_lead}\n\n```json\n{render(layout_for(w.runs.pipe.seed).apply(case.shown))}\n```"
    ctx, ci = pipeline_text(rng, w, files, key_ids=not _owners_shown(case))
    for step in case.pasted_keys:
        key = w.functionaries[step]
        assert isinstance(key, Key)
        lead = pick(rng, (
            f"The public key of `{w.key_files[step]}` (`{key_source(w, step)}`):",
            f"`{step}` signs with `{w.key_files[step]}`; its public half:",
        ))  # fmt: skip
        ctx = _join_text(ctx, f"{lead}\n\n```\n{key.pem.decode().strip()}\n```")
    if case.requirement:
        ctx = _join_text(ctx, pick(rng, REQUIREMENT_LEADS).format(req=case.requirement))
    if rng.random() < 0.45:
        sc = w.scenarios[w.steps[0]]
        situation = pick(rng, SITUATIONS).format(
            project=sc.project,
            repo=sc.repo_slug,
            language={"go": "Go", "node": "Node.js", "python": "Python", "rust": "Rust", "java": "Java"}[
                sc.language
            ],
            version=sc.version,
            n=STEP_COUNTS[len(w.steps) - 1],
        )
        ask = f"{situation} {ask}" if rng.random() < 0.5 else ask
        ctx = ctx if ask.startswith(situation) else _join_text(situation, ctx)
    parts: list[str]
    shape = rng.randrange(4)
    if shape == 0:
        parts = [ask, policy, ctx]
    elif shape == 1:
        parts = [policy, ctx, ask]
    elif shape == 2:
        parts = [ctx, policy, ask]
    else:
        parts = [_join_text(ctx, ask), policy]
    if module is not None and (intent == "rego" or rng.random() < 0.3):
        rego = f"{pick(rng, REGO_LEADS)}\n\n```rego\n{module.rstrip()}\n```"
        parts.insert(parts.index(policy) + 1, rego)
    wants = rng.random() < (0.75 if intent in ("ci", "passes") else 0.15)
    tty = rng.random() < (0.35 if intent == "ci" else 0.65)  # a CI log or a terminal
    shown_output = output is not None and wants
    if shown_output and output is not None:
        leads = OUTPUT_LEADS_FAIL if case.fails_verify else OUTPUT_LEADS_PASS
        printed = witness_output(output(), tty=tty)
        block = f"{pick(rng, leads)}\n\n```text\n$ {files.verify_cmd(w.steps)}\n{printed}\n```"
        if parts[-1] == ask:
            parts.insert(len(parts) - 1, block)
        else:
            parts.append(block)
    text = own_line_fences("\n\n".join(p for p in parts if p))
    return Request(text, intent, idx, shown_output, ASK_POLARITY[intent][idx], ci)


_INLINE_FENCE = re.compile(r"(?<=[^\s`])[ \t]*(?=```)")


def own_line_fences(text: str) -> str:
    """`text` with every code fence that follows other text on its line moved to a line of its own
    (after a blank line): Markdown only opens a fence at the start of a line."""
    return _INLINE_FENCE.sub("\n\n", text)


def render(obj: Any, indent: int = 0, width: int = 96) -> str:
    """Pretty JSON that keeps small objects/arrays on one line (still valid JSON)."""
    return _render(obj, indent, width)[1]


def _render(obj: Any, indent: int, width: int) -> tuple[str, str]:
    """(one-line JSON, pretty JSON) of `obj`, built bottom-up: every value is encoded once."""
    if not isinstance(obj, dict | list) or not obj:
        flat = json.dumps(obj, ensure_ascii=False)
        return flat, flat
    pad = " " * (indent + 2)
    if isinstance(obj, dict):
        keys = [json.dumps(k, ensure_ascii=False) for k in obj]
        kids = [_render(v, indent + 2, width) for v in obj.values()]
        flat = "{" + ", ".join(f"{k}: {f}" for k, (f, _) in zip(keys, kids, strict=True)) + "}"
        if indent + len(flat) <= width:
            return flat, flat
        items = [f"{pad}{k}: {p}" for k, (_, p) in zip(keys, kids, strict=True)]
        return flat, "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    kids = [_render(v, indent + 2, width) for v in obj]
    flat = "[" + ", ".join(f for f, _ in kids) + "]"
    if indent + len(flat) <= width:
        return flat, flat
    return flat, "[\n" + ",\n".join(pad + p for _, p in kids) + "\n" + " " * indent + "]"
