"""Weak and valid policies of the `traps` family.

Weak: a policy that verifies but that a security reviewer should flag — any certificate of the CA, a
retired CA still trusted through `roots: ["*"]`, no `artifactsFrom` hand-over, every key trusted on every
step, an expiry years away, the CI attestation required without Rego or not required at all, no Rego for a
requirement the user states, or Rego that checks the wrong thing (a branch deny-list instead of the release
branch, only the exit code instead of the command). The tightened policy is the world's valid one; the
case's `Attack` is a run the weak policy accepts and the tightened one rejects.
Valid: the world's policy, sometimes with a harmless look-alike (`regoPolicies`, lower-case
`artifactsfrom`, a named `publickeys` map key, `"type": "key"`, a PKCS#1 RSA key).
"""

from __future__ import annotations

import base64
import random
import shlex
from typing import Any

from cryptography.hazmat.primitives import serialization

from witness_evals.generate.phrasing import pick
from witness_evals.generate.traps_case import (
    KEY_LABELS,
    LATE_VERIFY,
    Case,
    atts_of,
    b64,
    copy_policy,
    drop_rego,
    key_phrase,
    key_source,
    pk_entry,
    rename_key,
    set_module,
)
from witness_evals.generate.worlds.policy import (
    ATTACK_BRANCHES,
    ATTACK_COMMANDS,
    Attack,
    PolicyWorld,
    far_expiry,
    stale_pki,
    workflow_ref,
)
from witness_evals.witness import crypto
from witness_evals.witness.versions import WitnessVersion

# ----------------------------------------------------------------------------- weak


def x509_any_identity(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
    any_root = rng.random() < 0.35
    for st in p["steps"].values():
        for f in st["functionaries"]:
            f["certConstraint"] = {
                "commonname": "*",
                "dnsnames": ["*"],
                "emails": ["*"],
                "organizations": ["*"],
                "uris": ["*"],
                "roots": ["*"] if any_root else [w.root_id],
            }
    step = w.steps[0]
    email = w.emails[step]
    domain = email.split("@", 1)[1]
    other = pick(rng, ("j.smith", "dev", "intern", "alice", "contractor"))
    attacker = f"{other}@{domain}"
    emails = ", ".join(f"`{w.emails[s]}` for `{s}`" for s in w.steps)
    return Case(
        "weak",
        "weak/x509-any-identity",
        w,
        p,
        heads=(
            f"every identity field is `*`, so any certificate issued by {w.ca_name} can sign `{step}`.",
            f"the certConstraint accepts whatever certificate chains to {w.ca_name}, not just your CI identity.",
        ),
        reasons=(
            "A chain to the root is not an identity check: a certificate for "
            f"`{attacker}` from the same CA verifies as `{step}` too (the core verifier accepts it with this "
            "policy and rejects it once `emails` is pinned).",
            f'With `["*"]` everywhere, witness only checks that the signer chains to the root, so a '
            f"certificate the CA issued to `{attacker}` passes as `{step}` as well.",
        ),
        fixes=(
            f"Pin each step to its signer ({emails}) and name the root ID instead of `*`:"
            if any_root
            else f"Pin each step to its signer ({emails}); the root is already named:",
            f"Constrain `emails` to the CI identities ({emails}); only a lone `*` is a wildcard, other "
            "values are exact:",
        ),
        fixed=w.policy,
        require=[[email]],
        attack=Attack("cert", step, attacker),
        attack_story=f"a `{step}` collection signed with a certificate the same CA issued to `{attacker}`",
        concern=("the certConstraint wildcards", "all the `*` values in the functionary"),
    )


def stale_root_wildcard(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    """A retired CA left in `roots` while the constraints say `roots: ["*"]`: it can still mint the identity."""
    old = stale_pki(w)
    old_id = pick(rng, (f"{old.org}-poc", "legacy-ca", "old-root", "poc-root"))
    p = copy_policy(w.policy)
    p["roots"] = {**p["roots"], old_id: old.roots_entry()}
    for st in p["steps"].values():
        for f in st["functionaries"]:
            f["certConstraint"]["roots"] = ["*"]
    step = w.steps[0]
    email = w.emails[step]
    return Case(
        "weak",
        "weak/stale-root-wildcard",
        w,
        p,
        heads=(
            f'`roots` still holds `{old_id}` ({old.root_name}), and `"roots": ["*"]` trusts every root in the '
            "policy, so that CA can still mint a certificate that passes.",
            f'the identity is pinned but the trust anchor is not: `["*"]` means any root in `roots`, including the '
            f"retired `{old_id}`.",
        ),
        reasons=(
            f'With `"roots": ["*"]` witness accepts a certificate that chains to any CA in the policy. Anyone with '
            f"{old.root_name}'s key can issue a certificate for `{email}` that verifies as `{step}` (the core verifier "
            f"accepts it with this policy and rejects it once `{old_id}` is gone).",
            f"The email pin does not help against a CA you no longer control: a certificate for `{email}` from "
            f"{old.root_name} chains to a root this policy trusts, so it passes as `{step}`.",
        ),
        fixes=(
            f"Remove `{old_id}` from `roots` and name `{w.root_id}` in every `certConstraint`:",
            f'Drop the retired root and replace `["*"]` with `["{w.root_id}"]`:',
        ),
        fixed=w.policy,
        require=[[w.root_id]],
        attack=Attack("stale-ca", step, email),
        attack_story=f"a `{step}` collection signed with a certificate for `{email}` issued by {old.root_name}",
        concern=("the policy's `roots`", f'`"roots": ["*"]` next to `{old_id}`'),
        requirement=f"{old.root_name} (`{old_id}`) was our proof-of-concept CA and is retired; only "
        f"{w.ca_name} may issue signing certificates now",
    )


def no_artifacts_from(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
    for st in p["steps"].values():
        st.pop("artifactsFrom", None)
    edge = rng.randrange(1, len(w.steps))
    consumer, producer = w.steps[edge], w.steps[edge - 1]
    return Case(
        "weak",
        "weak/no-artifacts-from",
        w,
        p,
        heads=(
            f"nothing ties `{consumer}` to what `{producer}` produced, so swapped files between the steps pass.",
            f"the steps are checked independently: no `artifactsFrom`, so the hand-over from `{producer}` to "
            f"`{consumer}` is unchecked.",
        ),
        reasons=(
            f"If the files change between the jobs, `{consumer}` simply records the swapped files as its "
            "materials and still verifies; with `artifactsFrom` witness compares those materials with "
            f"`{producer}`'s end state and fails with `mismatched digests`.",
            f"Without `artifactsFrom`, witness never compares `{consumer}`'s materials with `{producer}`'s "
            "products, so a file modified in between goes unnoticed; the core verifier accepts exactly that "
            "with this policy.",
        ),
        fixes=(
            "Add `artifactsFrom` to every later step, naming the step before it:",
            "Link each step to the previous one with `artifactsFrom`:",
        ),
        fixed=w.policy,
        require=[["artifactsfrom"]],
        attack=Attack("tamper", consumer),
        attack_story=f"a run where `{producer}`'s output was swapped before `{consumer}` consumed it",
        concern=("how the steps are linked", "the missing link between the steps"),
    )


def every_key_every_step(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
    ids = [w.keyids[s] for s in w.steps]
    for st in p["steps"].values():
        st["functionaries"] = [{"type": "publickey", "publickeyid": k} for k in ids]
    first, last = w.steps[0], w.steps[-1]
    return Case(
        "weak",
        "weak/every-key-every-step",
        w,
        p,
        heads=(
            f"every step trusts every key, so the key of `{last}` can sign a `{first}` attestation.",
            f"each step accepts {'both' if len(ids) == 2 else 'all three'} keys; separate keys only help if "
            "each step trusts its own.",
        ),
        reasons=(
            f"Whoever holds {key_phrase(w, last)} (the `{last}` job) can produce a `{first}` collection that "
            "verifies; the core verifier accepts it with this policy and rejects it when each step lists only "
            "its own key.",
            f"A compromise of the `{last}` runner is enough to forge the `{first}` step, since "
            f"{key_phrase(w, last)} is a functionary of both; each step should trust its own key only.",
        ),
        fixes=(
            "Give each step only the key of the job that runs it:",
            "List exactly one functionary per step, the key that step is signed with:",
        ),
        fixed=w.policy,
        require=[[first], ["own key", "its own", "only the key", "one key", "separate", "each step"]],
        attack=Attack("key", first, last),
        attack_story=f"a `{first}` collection signed with the `{last}` key",
        concern=("the functionaries", "that every step lists every key"),
    )


def far_expiry_policy(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
    far = far_expiry(rng)
    p["expires"] = far
    year = far[:4]
    return Case(
        "weak",
        "weak/far-expiry",
        w,
        p,
        heads=(
            f"`expires` is `{far}`, so this policy and its keys stay trusted until {year}.",
            f"an expiry in {year} means nothing forces you to re-sign or re-review the policy for years.",
        ),
        reasons=(
            "Until it expires, evidence signed with these keys keeps verifying, even after a key is rotated "
            "out or leaks; the core verifier still accepts this pipeline in 2030 with this policy.",
            "`expires` is the only built-in end of trust: a leaked or retired key remains valid for every "
            f"verification until {year}.",
        ),
        fixes=(
            f"Use a near expiry such as `{w.policy['expires']}` and re-sign the policy on a schedule:",
            f"Shorten it to `{w.policy['expires']}` (re-signing the policy is cheap):",
        ),
        fixed=w.policy,
        require=[["expire"]],
        expires_fix=True,
        expires_max=LATE_VERIFY,
        attack=Attack("late", "", LATE_VERIFY),
        attack_story="the same evidence, verified again in 2030,",
        concern=(f"the {year} expiry", "the `expires` date"),
    )


def _weak_rego(w: PolicyWorld, kind: str, weak: dict[str, Any], **case: Any) -> Case:
    """A weak case whose fix is the world's policy with its Rego module (shown, and checked as Rego)."""
    return Case("weak", kind, w, weak, fixed=w.policy, show_rego=True, rego_check=True, **case)


def _with_module(w: PolicyWorld, module: str) -> dict[str, Any]:
    """The world's policy carrying `module` in place of its Rego."""
    p = copy_policy(w.policy)
    set_module(p, w, module)
    return p


def ci_attestation_unchecked(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    assert w.rego is not None
    p = copy_policy(w.policy)
    drop_rego(p, w)
    branch = pick(rng, ATTACK_BRANCHES)
    step = w.rego.step
    return _weak_rego(
        w,
        "weak/ci-attestation-unchecked",
        p,
        heads=(
            f"step `{step}` requires the github attestation but checks nothing in it.",
            "the GitHub Actions attestation is required with no Rego, so any workflow run on any branch "
            "qualifies.",
        ),
        reasons=(
            "Requiring the type only proves the run happened in some GitHub Actions job; a run of another "
            f"workflow or branch (say `{branch}`) signed {_same_signer(w)} verifies too, which the core "
            "verifier confirms for this policy.",
            f"Anything that can use the CI key, e.g. a job on `{branch}`, produces a github attestation; "
            "without Rego on the OIDC token it embeds (`jwt.claims.workflow_ref`, the workflow file and "
            "ref) witness cannot tell it from your release workflow.",
        ),
        fixes=(
            "Add a Rego module on the github attestation that pins the workflow file and ref through the "
            "token's `workflow_ref` claim (`ciconfigpath` is empty in a plain `run:` step):",
            "Pin `input.jwt.claims.workflow_ref` with Rego on the github attestation:",
        ),
        require=[["workflow_ref", "jwt.claims"]],
        attack=Attack("branch", step, branch),
        attack_story=f"a run of the workflow on `{branch}`",
        concern=("the github attestation", "that the github attestation has no Rego"),
        requirement=f"only our release workflow, `{_workflow_ref(w)}`, may produce `{step}`",
    )


def command_unpinned(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    assert w.rego is not None
    p = copy_policy(w.policy)
    drop_rego(p, w)
    step = w.rego.step
    cmd = w.commands[step]
    other = " ".join(pick(rng, ATTACK_COMMANDS))
    near = _near_miss(w, step)
    return _weak_rego(
        w,
        "weak/command-unpinned",
        p,
        heads=(
            f"nothing checks which command `{step}` ran, so it does not enforce that only `{cmd}` builds it.",
            f"the policy requires a command-run attestation but never looks inside it, so `{other}` would pass.",
        ),
        reasons=(
            "witness only checks that a command-run attestation exists, not what it ran: a run of "
            f"`{other}` or of `{near}` signed {_same_signer(w)} verifies too (the core verifier accepts both "
            "with this policy).",
            "The attestation type alone says nothing about the command. To enforce your rule, witness has to "
            f"evaluate Rego against the whole `cmd`: a check of the tool alone still lets `{near}` through.",
        ),
        fixes=(
            "Pin the exact argv with Rego on the command-run attestation:",
            "Add a Rego module that compares `input.cmd` with the expected command:",
        ),
        require=[["input.cmd", "cmd"]],
        # the same tool with other arguments: a module that checks only `input.cmd[0]` (or a prefix, or
        # that the expected words occur) accepts it, the exact argv pin rejects it
        attack=Attack("command", step, near),
        attack_story=f"a `{step}` run recorded from `{near}`",
        concern=("the command-run requirement", "that the build command is not checked"),
        requirement=f"only `{cmd}` may produce the `{step}` step",
    )


def branch_unpinned(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    assert w.rego is not None
    p = copy_policy(w.policy)
    drop_rego(p, w)
    step = w.rego.step
    branch = w.scenarios[step].branch
    other = pick(rng, ATTACK_BRANCHES)
    return _weak_rego(
        w,
        "weak/branch-unpinned",
        p,
        heads=(
            f"the git attestation is required, but nothing checks that `{step}` ran on `{branch}`.",
            f"a build of `{other}` passes this policy just like one of `{branch}`.",
        ),
        reasons=(
            f"witness records the branch in the git attestation (`branch`) but only Rego can compare it; as "
            f"written, a `{step}` run on `{other}` with the same key verifies (the core verifier accepts it).",
            "Requiring the git attestation proves a commit was recorded, not which branch it came from.",
        ),
        fixes=(
            f"Add Rego on the git attestation that denies any branch but `{branch}`:",
            f"Enforce the branch with a Rego module on the git attestation (`input.branch` must be `{branch}`):",
        ),
        require=[["branch"]],
        attack=Attack("branch", step, other),
        attack_story=f"a `{step}` run on `{other}`",
        concern=("the git attestation", "that the branch is not checked"),
        requirement=f"only builds of `{branch}` may be released",
    )


def branch_deny_list(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    assert w.rego is not None
    r = w.rego
    step = r.step
    branch = w.scenarios[step].branch
    denied = rng.sample([b for b in ATTACK_BRANCHES if b != branch], 2)
    other = pick(rng, [b for b in ATTACK_BRANCHES if b not in denied and b != branch])
    listed = ", ".join(f'"{b}"' for b in denied)
    weak = (
        f"package {r.package}\n\nimport rego.v1\n\nblocked := {{{listed}}}\n\n"
        "deny contains msg if {\n\tinput.branch in blocked\n"
        '\tmsg := sprintf("builds from %v are not allowed", [input.branch])\n}\n'
    )
    return _weak_rego(
        w,
        "weak/branch-deny-list",
        _with_module(w, weak),
        heads=(
            f"module `{r.name}` denies {listed} by name, so every other branch, e.g. `{other}`, passes.",
            f"the Rego is a deny-list: it blocks {listed} but lets any branch it does not name through.",
        ),
        reasons=(
            f"A deny-list fails open: a `{step}` run on `{other}` signed {_same_signer(w)} verifies (the core "
            f"verifier accepts it with this policy), because only an allow-list of `{branch}` closes the gap.",
            f"New branches appear all the time; a module that names the bad ones misses `{other}`, and witness "
            "passes a step whose `deny` set comes out empty.",
        ),
        fixes=(
            f"Deny every branch except `{branch}` instead:",
            f"Turn it into an allow-list: deny when `input.branch` is not `{branch}`:",
        ),
        require=[[branch], ["!=", "allow", "except", "not"]],
        attack=Attack("branch", step, other),
        attack_story=f"a `{step}` run on `{other}`",
        concern=(f"the Rego module `{r.name}`", "the branch rule"),
        requirement=f"only builds of `{branch}` may be released",
    )


def exit_code_only(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    assert w.rego is not None
    r = w.rego
    step = r.step
    cmd = w.commands[step]
    other = " ".join(pick(rng, ATTACK_COMMANDS))
    near = _near_miss(w, step)
    weak = (
        f"package {r.package}\n\nimport rego.v1\n\n"
        "deny contains msg if {\n\tinput.exitcode != 0\n"
        '\tmsg := sprintf("command exited with %v", [input.exitcode])\n}\n'
    )
    return _weak_rego(
        w,
        "weak/exit-code-only",
        _with_module(w, weak),
        heads=(
            f"module `{r.name}` only checks `exitcode`, so any command that exits 0, say `{other}`, passes as `{step}`.",
            f"the Rego looks at the exit code and never at `cmd`, so it does not enforce that `{step}` ran `{cmd}`.",
        ),
        reasons=(
            "witness run records the exit code of whatever it wrapped; a successful "
            f"`{other}` or `{near}` signed {_same_signer(w)} verifies too (the core verifier accepts both with "
            "this policy).",
            f"A zero exit code says the command succeeded, not which command it was: nothing in the module "
            f"compares `input.cmd` with `{cmd}`, and a check of the tool alone would still pass `{near}`.",
        ),
        fixes=(
            "Pin the exact argv (`input.cmd`) in the module:",
            f"Compare `input.cmd` with the expected command `{cmd}`:",
        ),
        require=[["input.cmd", "cmd"]],
        attack=Attack("command", step, near),
        attack_story=f"a `{step}` run recorded from `{near}`",
        concern=(f"the Rego module `{r.name}`", "the exit-code check"),
        requirement=f"only `{cmd}` may produce the `{step}` step",
    )


def ci_attestation_not_required(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    assert w.rego is not None
    step = w.rego.step
    p = copy_policy(w.policy)
    p["steps"][step]["attestations"] = [a for a in atts_of(p, step) if a["type"] != w.rego.type]
    branch = pick(rng, ATTACK_BRANCHES)
    return _weak_rego(
        w,
        "weak/ci-attestation-not-required",
        p,
        heads=(
            f"`{step}` does not require the github attestation, so a run outside GitHub Actions passes as well.",
            f"nothing in `{step}` needs an attestation only CI can produce: the same key on a laptop satisfies it.",
        ),
        reasons=(
            f"A `{step}` run recorded without `-a github` (say on a developer machine that has the key) carries "
            "every attestation this policy asks for, and the core verifier accepts it. Requiring the github "
            f"attestation alone is not enough either: a run of another workflow or branch (say `{branch}`) "
            "has one too, so a Rego module has to pin the token's `workflow_ref`.",
            "Every type this step requires can be produced anywhere; the github attestation, whose OIDC token "
            "the attestor fetches and verifies inside a GitHub Actions job, is what ties a `witness run` to your "
            "CI (someone holding the key could still forge a collection by hand). Once it is required, "
            f"witness searches `{step}`'s collections by the required types and finds none without it, so the "
            f"step fails with `failed to verify artifacts for step {step}: no passed collections present`.",
        ),
        fixes=(
            f"Require the github attestation on `{step}` and pin its workflow with Rego:",
            f"Add the github attestation to `{step}`'s required types, with a Rego module on "
            "`input.jwt.claims.workflow_ref`:",
        ),
        require=[["github"], ["workflow_ref", "jwt.claims"]],
        # the step must require the github attestation (a run outside CI has none: the `local` attack)...
        must=[f'"type": "{w.rego.type}"'],
        # ...and pin the workflow with Rego: a run of the workflow on another branch has a github
        # attestation too, so requiring the type alone does not meet the user's rule
        attack=Attack("branch", step, branch),
        attack_story=f"a `{step}` run of the workflow on `{branch}`",
        concern=(f"the attestations `{step}` requires", "that no CI attestation is required"),
        requirement=f"`{step}` must run in our release workflow on GitHub Actions (`{_workflow_ref(w)}`)",
    )


_NEAR_MISS: dict[str, tuple[int, tuple[str, ...]]] = {
    "cargo": (-1, ("--all-features",)),
    "go": (2, ("-tags=debug",)),
    "make": (-1, ("DEBUG=1",)),
    "mvn": (-1, ("-Pdebug",)),
    "npm": (-1, ("--", "--mode=development")),
    "python": (-1, ("--no-isolation",)),
}
"""Tool -> (where, extra arguments) of a near-miss run: the pinned command with arguments that change the
build (-1: appended). A Rego that checks only the tool, a prefix or that the pinned words occur passes it."""


def _near_miss(w: PolicyWorld, step: str) -> str:
    """The pinned command of `step` with arguments added: same tool, different argv."""
    cmd = tuple(w.scenarios[step].command)
    at, extra = _NEAR_MISS.get(cmd[0], (-1, ("--debug",)))
    if at < 0 or at > len(cmd):
        at = len(cmd)
    return shlex.join((*cmd[:at], *extra, *cmd[at:]))


def _same_signer(w: PolicyWorld) -> str:
    """Who else signs an attack run that verifies: the same key, or a certificate the same constraint accepts."""
    return "with the same key" if w.pki is None else "by a certificate the same constraint accepts"


def _workflow_ref(w: PolicyWorld) -> str:
    """The workflow file and ref the world's Rego pins: a fix may only pin what the user named."""
    assert w.rego is not None
    return workflow_ref(w.scenarios[w.rego.step])


# ----------------------------------------------------------------------------- ok


def ok_case(rng: random.Random, w: PolicyWorld, v: WitnessVersion, variant: str) -> Case:
    p = copy_policy(w.policy)
    note = ""
    concern: tuple[str, ...] = ()
    if variant == "camel-case-tag" and w.rego is not None:
        for a in atts_of(p, w.rego.step):
            if a["type"] == w.rego.type:
                rename_key(a, "regopolicies", "regoPolicies")
        note = pick(
            rng,
            (
                "`regoPolicies` is fine: encoding/json matches field names case-insensitively, so it binds to "
                "`regopolicies`.",
                "The camel-case `regoPolicies` binds to `regopolicies` (Go's JSON field matching is "
                "case-insensitive), so the module is evaluated.",
            ),
        )
        concern = ("the spelling `regoPolicies`",)
    elif variant == "lowercase-tag":
        for st in p["steps"].values():
            if "artifactsFrom" in st:
                rename_key(st, "artifactsFrom", "artifactsfrom")
        note = (
            "`artifactsfrom` in lower case binds to `artifactsFrom` (field names match case-insensitively), so "
            "the hand-over between steps is checked."
        )
        concern = ("the lower-case `artifactsfrom`",)
    elif variant == "named-map-key":
        step = pick(rng, w.steps)
        label = pick(rng, KEY_LABELS)
        keyid, _e = pk_entry(p, w.keyids[step])
        keys = p["publickeys"]
        rename_key(keys, keyid, label)
        note = (
            f"The `publickeys` map key `{label}` is only a label; witness uses the `keyid` field, which matches "
            "the embedded key, and the functionaries reference that key ID."
        )
        concern = (f"the `{label}` entry in `publickeys`",)
    elif variant == "functionary-type":
        for st in p["steps"].values():
            for f in st["functionaries"]:
                f["type"] = "key"
        note = 'The functionary `type` value ("key") is documentation only; witness never reads it.'
        concern = ('`"type": "key"` in the functionaries',)
    elif variant == "pkcs1-key":
        step = pick(rng, w.steps)
        keyid, entry = pk_entry(p, w.keyids[step])
        pub = crypto.Verifier.from_pem(base64.b64decode(entry["key"])).public_key
        entry["key"] = b64(pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1))
        note = (
            "The key is a PKCS#1 `RSA PUBLIC KEY` block, which go-witness loads as well; its key ID is still "
            f"computed from the PKIX form (`{key_source(w, step)} | sha256sum`), which is what `keyid` holds."
        )
        concern = ("the `RSA PUBLIC KEY` format of the embedded key",)
    elif variant == "rego" and w.rego is not None:
        note = (
            f"The Rego module `{w.rego.name}` uses `import rego.v1` with `deny contains msg if`, the form both "
            "`witness verify` and `witness policy check` accept."
        )
    return Case(
        "ok",
        f"ok/{variant}",
        w,
        p,
        heads=(),
        notes=[note] if note else [],
        concern=concern,
    )
