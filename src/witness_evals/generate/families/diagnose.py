"""Family `diagnose`: a user pastes a failing `witness verify` and asks what is wrong and how to fix it.

Every example is a REAL failure of the core model: a seeded world from the shared world module
(`generate.worlds`: a 1-3 step pipeline of various shapes, keys of every kind witness signs with, a
policy from `simulate.policy_for`, signed with `simulate.sign_policy`) gets one fault, `verify.verify`
runs, and the prompt quotes what `witness verify` prints for it under the chosen release: its log
lines through witness's logrus formatter (`witness.verify_output.witness_output`: no `Verification failed` block when
the policy itself is rejected, no `caused by:` details witness keeps to itself). `make` asserts that the
unfaulted world passes and the faulted one fails with the expected reason, and that every proposed fix
(a corrected policy, a re-recorded run) verifies, so nothing shown is invented.

Answers (`teach.render`) give the cause, the complete fix (a whole corrected policy, a whole command, or
an exact edit such as a `jq` command with the values from the prompt) and how to confirm it. They cite
only key ids, digests and file names that appear in the prompt.

The check is semantic: `require` holds groups of alternative key terms (the real keyid, the missing
type URI, the step names...) that any correct diagnosis must contain, `forbid` terms that must not
appear in the proposed fix (code blocks), and `checks` small structural tests of any witness command
or policy JSON the answer proposes (e.g. a `witness run` for the step must record `git`).
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import functools
import hashlib
import json
import random
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.context import NOW, ScoreContext
from witness_evals.generate import phrasing, teach
from witness_evals.generate import worlds as W
from witness_evals.generate.example import Example
from witness_evals.generate.families import Family
from witness_evals.generate.phrasing import pick
from witness_evals.generate.worlds.layout import CANONICAL, Layout, draw_layout
from witness_evals.witness import crypto, simulate, versions
from witness_evals.witness.attestors.scenario import checked_out
from witness_evals.witness.cli.values import clean_path
from witness_evals.witness.dsse import Envelope
from witness_evals.witness.verify import TRUSTED_REGO, SourceCollection, VerifyOptions, VerifyResult, verify
from witness_evals.witness.verify_output import witness_output
from witness_evals.witness.versions import WitnessVersion

NAME = "diagnose"

CAUSES: tuple[str, ...] = (
    "not_functionary",
    "keyid_mismatch",
    "policy_expired",
    "policy_unsigned",
    "wrong_policy_key",
    "attestors_replaced",
    "attestation_exported",
    "wrong_type_uri",
    "step_key_mismatch",
    "rego_deny",
    "wrong_artifact",
    "no_backref",
    "artifacts_mismatch",
    "collection_step_name",
    "artifacts_from_skip",
    "cert_root_mismatch",
    "cert_san_omitted",
)

GIT = "https://witness.dev/attestations/git/v0.1"
ENV = "https://witness.dev/attestations/environment/v0.1"
CMD = "https://witness.dev/attestations/command-run/v0.1"
SPDX = "https://spdx.dev/Document"
CDX = "https://cyclonedx.org/bom"
RESIGN_INTROS = ("Re-sign it and verify:", "Then re-sign and verify:")
"""How an answer that fixed a policy introduces its `witness sign` and `witness verify` lines."""

# Shapes of the diagnosed pipelines (kinds of steps in order); each fault picks among those it fits.
_ANY = (
    ("build",), ("build", "package"), ("build", "package"), ("build", "sign"), ("test", "build"),
    ("lint", "build"), ("build", "sbom"), ("build", "scan"), ("build", "image-tar"), ("test", "build", "package"),
    ("lint", "build", "package"), ("build", "package", "sign"),
)  # fmt: skip
_TWO_PLUS = tuple(s for s in _ANY if len(s) > 1)
_SMALL = (
    ("build",),
    ("build", "package"),
    ("build", "sign"),
    ("test", "build"),
    ("lint", "build"),
    ("build", "scan"),
)
"""Shapes whose whole policy is shown in the prompt (faults in the policy text)."""
_CONSUMER = (("build", "package"), ("build", "sign"), ("build", "image-tar"))
"""A second step whose own product is not the verified artifact (found only through the git back-reference)."""
# Opt-in attestors that succeed on any build step (not `oci` / `vex` / `sarif`, which need a matching
# product, nor `k8smanifest`).
_EXTRA_ATTESTORS = ("secretscan", "lockfiles", "system-packages")
# "re-sign the policy": not a bare `sign*`, which `policy-signed.json` alone would satisfy
_RESIGN = ("re-sign*", "resign*", "witness sign", "sign it", "sign the", "sign again", "sign your", "sign a new",
           "sign this", "signing it", "signing the")  # fmt: skip

_HEX8 = re.compile(r"^[0-9a-f]{8,}$")
_MAX_CODE_CHARS = 60_000
_KEY_WEIGHTS = (
    ("ed25519", 0.42),
    ("ecdsa-p256", 0.33),
    ("ecdsa-p384", 0.22),
    ("rsa-2048", 0.01),
)
"""Key kinds of the diagnosed worlds: a world has 3-5 keys that each sign several runs, so RSA (slow to sign
with deterministic PSS) is rarer here than in `worlds.KEY_KINDS` (the policies family teaches RSA keys)."""


# ----------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class World:
    """A genuine pipeline, its keys and the file names the user gave them."""

    seed: int
    pipe: W.Pipeline
    run: W.World
    keys: dict[str, W.Key]
    """'s0', 's1', ... (functionaries), 'policy', 'other'."""
    key_files: dict[str, tuple[str, str]]
    """role -> (private key file, public key file)."""
    att_files: dict[str, str]
    policy_files: tuple[str, str]
    """(policy file, signed policy file)."""
    expires: str
    tty: bool
    """Whether the user's output comes from a terminal (`ERROR   msg`) or a CI log (`level=error msg=...`)."""
    version: WitnessVersion = field(default_factory=versions.get)
    """The witness release whose `verify` output the question shows."""

    @property
    def steps(self) -> tuple[str, ...]:
        return self.pipe.names

    @property
    def artifact_path(self) -> str:
        return self.run.artifact_path

    @property
    def artifact_digest(self) -> str:
        return self.run.subject

    @property
    def envelopes(self) -> dict[str, Envelope]:
        return self.run.envelopes

    def scenario(self, i: int) -> Any:
        return self.run.scenarios[self.steps[i]]

    def spec(self, i: int) -> W.StepSpec:
        return self.pipe.steps[i]

    def keyid(self, role: str) -> str:
        return self.keys[role].keyid

    def signer(self, role: str) -> crypto.Signer:
        return self.keys[role].signer

    def run_cmd(self, i: int, attestors: Sequence[str] | None = None, *, extra: str = "", key: str = "",
                step: str = "", command: Sequence[str] = ()) -> str:  # fmt: skip
        spec = self.spec(i)
        atts = spec.attestors if attestors is None else tuple(attestors)
        if tuple(atts) == simulate.DEFAULT_ATTESTORS and attestors is None:
            atts = ()
        parts = ["witness", "run", "-s", step or spec.name, "-k", key or self.key_files[f"s{i}"][0]]
        if atts:
            parts += ["-a", ",".join(atts)]
        parts += [f for f in spec.flags if f.startswith("--attestor-k8s")]
        parts += [f"--attestor-{x}-export" for x in spec.export if x in atts]
        if extra:
            parts += shlex.split(extra)
        parts += ["-o", self.att_files[spec.name], "--", *(command or self.scenario(i).command)]
        return shlex.join(parts)

    def verify_cmd(self, *, policy: str = "", pub: str = "", artifact: str = "") -> str:
        files = " ".join(f"-a {self.att_files[s]}" for s in self.steps)
        return (
            f"witness verify -p {policy or self.policy_files[1]} -k {pub or self.key_files['policy'][1]} {files} "
            f"-f {artifact or self.artifact_path}"
        )

    def sign_cmd(self, infile: str = "", outfile: str = "") -> str:
        return f"witness sign -f {infile or self.policy_files[0]} -o {outfile or self.policy_files[1]} -k {self.key_files['policy'][0]}"


def _world(
    rng: random.Random,
    shapes: Sequence[tuple[str, ...]] = _ANY,
    *,
    version: WitnessVersion,
    attestors: Sequence[Sequence[str] | None] | None = None,
    by_kind: dict[str, tuple[str, ...]] | None = None,
    sbom_first: bool = False,
    shared_key: bool | None = None,
) -> World:
    """A genuine world: `attestors[i]` fixes the `-a` values of step i (None: drawn), `by_kind` those of
    every step of a kind."""
    seed = rng.randrange(2**31)
    wr = random.Random(f"diagnose-world:{seed}")
    shape = pick(wr, shapes)
    pipe = W.draw_pipeline(wr, shape=shape, defaults_share=0.4)
    steps = list(pipe.steps)
    fixed = list(attestors or ()) + [None] * len(steps)
    for i in range(len(steps)):
        given = fixed[i] if fixed[i] is not None else (by_kind or {}).get(steps[i].kind)
        if given is not None:
            atts = tuple(given)
            steps[i] = W.StepSpec(steps[i].name, steps[i].kind, atts, tuple(x for x in steps[i].export if x in atts),
                                  steps[i].artifacts_from)  # fmt: skip
    sbom = pipe.sbom
    if sbom_first:
        sbom = pick(wr, ("spdx", "cyclonedx"))
    pipe = W.Pipeline(
        pipe.seed, tuple(steps), pipe.language, pipe.ci, sbom if sbom_first or pipe.sbom != "none" else "none"
    )
    shared = (wr.random() < 0.3) if shared_key is None else shared_key
    ci_key = W.draw_key(wr, weights=_KEY_WEIGHTS)
    keys = {f"s{i}": ci_key if shared else W.draw_key(wr, weights=_KEY_WEIGHTS) for i in range(len(steps))}
    keys["policy"] = W.draw_key(wr, weights=_KEY_WEIGHTS)
    keys["other"] = W.draw_key(wr, weights=_KEY_WEIGHTS)
    scheme = pick(wr, W.KEY_SCHEMES)
    ci_label = pick(wr, ("ci", "ci-signer", "release"))
    labels = {f"s{i}": ci_label if shared else s.name for i, s in enumerate(steps)}
    labels["policy"] = pick(wr, ("policy", "policy-signer", "witness-policy"))
    labels["other"] = pick(wr, ("deploy", "dev", "laptop", "staging"))
    key_files = {r: W.key_file_names(scheme, n) for r, n in labels.items()}
    if len({key_files[r] for r in labels}) != len(set(labels.values())):
        raise AssertionError(f"diagnose: two key labels share a file name: {labels}")
    out = pick(wr, W.OUT_SCHEMES)
    funcs = {s.name: keys[f"s{i}"] for i, s in enumerate(steps)}
    return World(
        seed=seed, pipe=pipe, run=W.run(pipe, funcs), keys=keys, key_files=key_files,
        att_files={s.name: out.format(s=s.name) for s in steps}, policy_files=W.policy_files(wr),
        expires=f"{wr.randint(2027, 2033)}-{wr.randint(1, 12):02d}-{wr.randint(1, 28):02d}T00:00:00Z",
        tty=wr.random() < 0.6, version=version,
    )  # fmt: skip


def _policy(w: World, **kw: Any) -> dict[str, Any]:
    funcs = kw.pop("functionaries", {s: [w.keys[f"s{i}"]] for i, s in enumerate(w.steps)})
    return W.policy_for(w.run, funcs, expires=kw.pop("expires", w.expires), **kw)


def _signed_policy(policy: dict[str, Any], key: W.Key) -> Envelope:
    """`witness sign` of the policy file (deterministic: the same policy is signed once)."""
    return _signed(json.dumps(policy, separators=(",", ":")), key)


@functools.lru_cache(maxsize=256)
def _signed(compact: str, key: W.Key) -> Envelope:
    return simulate.sign_policy(W.policy_bytes(json.loads(compact)), key.signer)


_LOADED: dict[int, tuple[Envelope, dict[tuple[str, str], SourceCollection]]] = {}


def _load(env: Envelope, reference: str, version: WitnessVersion) -> SourceCollection:
    """`env` loaded as a `-a` file, memoised per envelope object (genuine runs are shared across calls)."""
    hit = _LOADED.get(id(env))
    if hit is None or hit[0] is not env:
        if len(_LOADED) > 4096:
            _LOADED.clear()
        hit = _LOADED[id(env)] = (env, {})
    key = (reference, version.name)
    if key not in hit[1]:
        hit[1][key] = SourceCollection.load(env.dumps().encode(), reference, version=version)
    return hit[1][key]


def _run_verify(
    w: World,
    policy: dict[str, Any] | Envelope,
    envelopes: dict[str, Envelope] | None = None,
    *,
    subjects: list[str] | None = None,
    verifier: crypto.Verifier | None = None,
) -> VerifyResult:
    env = policy if isinstance(policy, Envelope) else _signed_policy(policy, w.keys["policy"])
    envs = envelopes or w.envelopes
    cols = [_load(e, w.att_files[n], w.version) for n, e in envs.items()]
    return verify(
        env,
        cols,
        subjects or [w.artifact_digest],
        VerifyOptions(
            version=w.version,
            policy_verifiers=[verifier or w.keys["policy"].verifier],
            now=NOW,
            rego=TRUSTED_REGO,
        ),
    )


def _render(w: World, result: VerifyResult, command: str) -> str:
    """The command and what `witness verify` prints for `result` (its log on stderr)."""
    return f"$ {command}\n" + witness_output(result, tty=w.tty)


def _expect_fail(result: VerifyResult, *needles: str) -> None:
    text = "\n".join([*result.reasons, result.error or ""])
    if result.passed or not all(n in text for n in needles):
        raise AssertionError(f"diagnose: fault did not fail as expected ({needles}): {text[:400]}")


def _expect_pass(result: VerifyResult) -> None:
    if not result.passed:
        raise AssertionError("diagnose: the fixed world does not verify: " + " | ".join(result.reasons)[:400])


def _json_block(obj: dict[str, Any], lay: Layout = CANONICAL) -> str:
    """A policy (or part of one) as the user pastes it or the answer corrects it, keys in `lay`'s order."""
    return "```json\n" + W.compact_json(lay.apply(obj)) + "\n```"


def _bash(*lines: str) -> str:
    return "```bash\n" + "\n".join(line for line in lines if line) + "\n```"


def _run(
    w: World, i: int, role: str, attestors: Sequence[str] | None = None, **kw: Any
) -> simulate.RunResult:
    spec = w.spec(i)
    atts = spec.recorded if attestors is None else tuple(attestors)
    kw.setdefault("export", tuple(x for x in spec.export if x in atts))
    return simulate.run_step(kw.pop("step", spec.name), kw.pop("scenario", w.scenario(i)), w.signer(role),
                             attestors=atts, **kw)  # fmt: skip


# ----------------------------------------------------------------------------- faults


@dataclass
class Fault:
    context: str
    output: str
    answer: str
    require: list[list[str]]
    forbid: list[str]
    checks: list[dict[str, Any]]
    variant: str
    recent: bool = True
    """Whether the failure can have started just now (a question may say "until today", "since this
    morning"); False for a policy that expired years ago or never had an expiry."""
    said: tuple[str, ...] = ()
    """Slot values the context says in words (a deadline), which the phrasing layer must not touch."""


_NOT_FOUND = "predicate type  is not a collection predicate type"
"""The rejection witness prints for the empty placeholder of a step it found no collection for."""


def _unreached(w: World, res: VerifyResult, faulted: str) -> list[str]:
    """Steps that show the no-collection placeholder only because the faulted step did not pass: no step
    passed the collection checks, so no git back-reference was added, and their own subjects do not match
    the verified digest."""
    if res.passed or not res.steps:
        return []
    placeholder = {n for n, st in res.steps.items() if any(r.reason == _NOT_FOUND for r in st.rejected)}
    rejected = {n for n, st in res.steps.items() if any(r.reference for r in st.rejected)}
    if set(res.steps) - placeholder - rejected:  # a step passed its collection checks: back-refs were added
        return []
    out = []
    for name in res.steps:
        if name == faulted or name not in placeholder or name not in w.run.results:
            continue
        subjects = {v for ds in w.run.results[name].statement.subjects.values() for v in ds.values()}
        if w.artifact_digest not in subjects:
            out.append(name)
    return out


def _found_late(res: VerifyResult) -> list[str]:
    """Steps found only in a later search round whose output shows it: the first round's empty placeholder
    sits beside a real rejected collection. A step that passed is printed as `Passed with evidence` alone
    (witness cmd/verify.go prints rejections only for steps with no passed collection)."""
    return [
        n for n, st in res.steps.items()
        if not st.passed
        and any(r.reason == _NOT_FOUND for r in st.rejected)
        and any(r.reference for r in st.rejected)
    ]  # fmt: skip


def _knock_on(res: VerifyResult) -> list[str]:
    """Steps that were found and accepted but fail `artifactsFrom` because the step they take their
    artifacts from has no passed collection (`failed to verify artifacts: []`)."""
    return [
        n for n, st in res.steps.items()
        if any(r.reason.endswith("failed to verify artifacts: []") for r in st.rejected)
    ]  # fmt: skip


def _lesson(rng: random.Random, why: list[str], fix: str, *, lead: str = "", check: Sequence[str] = (),
            notes: Sequence[str] = (), check_intro: str = "", res: VerifyResult | None = None,
            w: World | None = None, faulted: str = "") -> str:  # fmt: skip
    """The answer: cause, then the complete fix, then how to confirm it (layout varied by `teach`); when the
    output `res` shows placeholder rejections, a note says what they are (and, given the world `w` and the
    `faulted` step, why the other steps have none)."""
    artifact = (lead + "\n\n" + fix).strip() if lead else fix
    notes = list(notes)
    if res is not None and any("is not a collection predicate type" in r for r in res.reasons):
        notes.append(pick(rng, _PLACEHOLDER))
        missing = _unreached(w, res, faulted) if w is not None and faulted else []
        if missing:
            names = ", ".join(f"`{m}`" for m in missing)
            one = len(missing) == 1
            notes.append(pick(rng, (
                f"{names} {'has' if one else 'have'} no collection only because `{faulted}` did not pass: witness "
                "reaches the other steps through the git `commithash` back-reference of a step that passed, and here "
                f"none did. Once `{faulted}` passes, {'it is' if one else 'they are'} found again.",
                f"Why {names} {'is' if one else 'are'} not found either: only the step that produced the verified file "
                "matches its digest; the others are found through the git commit back-reference of a step that passed, "
                f"and with `{faulted}` failing none did.",
            )))  # fmt: skip
    late = _found_late(res) if res is not None else []
    if late:
        names = " and ".join(f"`{m}`" for m in late)
        one = len(late) == 1
        notes.append(
            f"{names} {'shows' if one else 'show'} those placeholder lines as well as {'its' if one else 'their'} real "
            "result because witness searches in rounds: in the first only the verified file's digest is known, and "
            f"{'it was' if one else 'they were'} found in the next round through the git back-reference of a step that "
            "passed in the first."
        )
    after = [n for n in (_knock_on(res) if res is not None and faulted else []) if n != faulted]
    if after:
        names = " and ".join(f"`{m}`" for m in after)
        one = len(after) == 1
        notes.append(
            f"{names} {'fails' if one else 'fail'} only as a consequence: `failed to verify artifacts: []` means the "
            f"step named in {'its' if one else 'their'} `artifactsFrom` has no passed collection to compare with. "
            f"{'It passes' if one else 'They pass'} once `{faulted}` does."
        )
    return teach.render(rng, teach.Lesson(why=why, artifact=artifact, check=tuple(check), notes=tuple(notes),
                                          check_intro=check_intro))  # fmt: skip


def _signing(rng: random.Random, w: World) -> str:
    """A sentence of the question that says how the policy is signed (so an answer may re-sign it with the
    user's own file names)."""
    return pick(rng, (
        f"We sign the policy with `{w.sign_cmd()}`.",
        f"The policy is signed in CI with `{w.sign_cmd()}`.",
        f"`{w.policy_files[1]}` is made with `{w.sign_cmd()}`.",
        f"Policy signing step: `{w.sign_cmd()}`.",
    ))  # fmt: skip


_CONFIRM = ("Then run verify again:", "Confirm with:", "Check it:", "Verify again:", "Re-run the gate:")
_PLACEHOLDER = (
    "For a step without any collection witness prints the rejections of an empty placeholder: `predicate type  is "
    "not a collection predicate type` and `no verifiers present to validate against collection verifiers`.",
    "Those `predicate type  is not a collection predicate type` / `no verifiers present ...` lines are what witness "
    "prints for a step it found no collection for: they are about the missing collection, not about your keys.",
)
"""Why the output shows placeholder rejections (go-witness policy.go: a step with no collection gets an empty
placeholder result, which checkFunctionaries rejects)."""


def _f_not_functionary(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version, shared_key=False)
    i = rng.randrange(len(w.steps))
    step = w.steps[i]
    own = f"s{i}"
    variant = pick(rng, ("unknown_key", "other_step_key")) if len(w.steps) > 1 else "unknown_key"
    wrong = "other" if variant == "unknown_key" else f"s{(i + 1) % len(w.steps)}"
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    bad = _run(w, i, wrong)
    envs = dict(w.envelopes)
    envs[step] = bad.envelope
    res = _run_verify(w, pol, envs)
    _expect_fail(res, f"collection rejected: {step}, Reason: no verifiers")
    wrong_file, wrong_pub = w.key_files[wrong]
    own_file, _own_pub = w.key_files[own]
    kid_wrong, kid_own = w.keyid(wrong), w.keyid(own)
    context = pick(rng, (
        f"The `{step}` step was signed with `{wrong_file}` (public key id `{kid_wrong}`):",
        f"`{step}` runs like this (the key `{wrong_file}` has id `{kid_wrong}`):",
        f"In the `{step}` job we sign with `{wrong_file}`, whose key id is `{kid_wrong}`:",
    )) + "\n" + _bash(w.run_cmd(i, key=wrong_file)) + f"\nThe policy's `{step}` step has:\n" + _json_block(
        {"functionaries": pol["steps"][step]["functionaries"]}
    )  # fmt: skip
    roles = dict.fromkeys((*(f"s{j}" for j in range(len(w.steps))), wrong))
    # the key ids are part of the prompt: the answer names the key file that holds the functionary's id
    pairs = ", ".join(f"`{w.key_files[r][0]}` / `{w.key_files[r][1]}` (key id `{w.keyid(r)}`)" for r in roles)
    context += (
        "\n"
        + pick(rng, (f"Key pairs (private / public) we have: {pairs}.", f"Our signing keys: {pairs}."))
        + " "
        + _signing(rng, w)
    )
    # the prompt shows only this step's functionaries, so say no more about the rest of the policy
    where = f"is not a functionary of `{step}`"
    fix_pol = copy.deepcopy(pol)
    v = w.keys[wrong].verifier
    fix_pol["publickeys"][v.keyid] = {"keyid": v.keyid, "key": base64.b64encode(v.public_pem()).decode()}
    fix_pol["steps"][step]["functionaries"].append({"type": "publickey", "publickeyid": v.keyid})
    _expect_pass(_run_verify(w, fix_pol, envs))
    why = [
        pick(rng, (
            f"The `{step}` attestation is signed by `{kid_wrong}` (`{wrong_file}`), which {where}.",
            f"`{wrong_file}` (key id `{kid_wrong}`) {where}, and that is the key the `{step}` run signed with.",
        )),
        # go-witness source/verified.go: the envelope is verified only with the policy's `publickeys`; a
        # signer in none of them leaves the collection without verifiers, and checkFunctionaries rejects it
        # with `no verifiers present ...` before comparing any functionary (policy.go checkFunctionaries).
        pick(rng, (
            f"`no verifiers present to validate against collection verifiers` means no key in the policy's `publickeys` verified the signature: `{kid_wrong}` is not one of them, so the collection has no verifiers at all and is rejected before the step's functionaries (`{kid_own}`) are even compared.",
            f"Witness verifies a collection's signature only with the keys in the policy's `publickeys`; `{kid_wrong}` is not among them (that is what `no verifiers present ...` says), so the signature is never verified, the collection has no verifiers and `{step}` has no passed collection.",
        ))
        if variant == "unknown_key" else
        pick(rng, (
            f"The signature verified against `{kid_wrong}` (so that key is in the policy's `publickeys`), but step `{step}` only accepts the functionary `{kid_own}`, so no verifier matched (`no verifiers matched with allowed functionaries for step {step}`) and the step has no passed collection.",
            f"Witness verified the signature with `{kid_wrong}`, then compared that verifier with the step's functionaries (`{kid_own}` only): no match, so the collection is rejected with `no verifiers matched with allowed functionaries`.",
        )),
    ]  # fmt: skip
    entry = f'`{{"type": "publickey", "publickeyid": "{kid_wrong}"}}`'
    notes = [
        f"If `{wrong_file}` really should sign `{step}`, add its public key to `publickeys` (`keyid` = "
        f"`sha256sum {wrong_pub}` = `{kid_wrong}`, `key` = `base64 -w0 {wrong_pub}`) and {entry} to "
        f"`{step}.functionaries`, then re-sign the policy (`{w.sign_cmd()}`)."
        if variant == "unknown_key"
        else f"If `{wrong_file}` really should sign `{step}`, its key is already in `publickeys` (the signature "
        f"verified against it): add {entry} to `{step}.functionaries` and re-sign the policy (`{w.sign_cmd()}`)."
    ]
    answer = _lesson(
        rng, why, _bash(w.run_cmd(i)),
        lead=pick(rng, (f"Fix: re-record `{step}` with `{own_file}`, whose key id `{kid_own}` is the step's functionary:",
                        f"Sign the `{step}` run with `{own_file}` (key id `{kid_own}`), the key the policy expects:")),
        check=[w.verify_cmd()], check_intro=pick(rng, _CONFIRM), notes=notes, res=res, w=w, faulted=step)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [
            [step],
            ["functionar*", "publickeyid", "publickeys", "not allowed", "not trusted", "allowed signer"],
            [kid_wrong[:8], kid_own[:8], wrong_file, own_file],
        ],
        [],
        [{"type": "run_key_not", "step": step, "key": wrong_file}],
        variant,
    )


def _der_keyid(v: crypto.Verifier) -> str:
    from cryptography.hazmat.primitives import serialization

    pub = serialization.load_pem_public_key(v.public_pem())
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def _swap_keyid(pol: dict[str, Any], good: str, wrong: str) -> dict[str, Any]:
    """`pol` with the key `good` listed (and referenced) under the id `wrong`, keeping key order."""
    bad = copy.deepcopy(pol)
    bad["publickeys"] = {
        (wrong if k == good else k): ({**v, "keyid": wrong} if k == good else v)
        for k, v in pol["publickeys"].items()
    }
    for st in bad["steps"].values():
        for f in st["functionaries"]:
            if f.get("publickeyid") == good:
                f["publickeyid"] = wrong
    return bad


def _f_keyid_mismatch(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    lay = draw_layout(rng)  # the pasted policy and its correction share a key order
    w = _world(rng, _SMALL, version=version)
    i = rng.randrange(len(w.steps))
    v = w.keys[f"s{i}"].verifier
    pub_file = w.key_files[f"s{i}"][1]
    variant = pick(rng, ("der", "base64", "crlf"))
    if variant == "der":
        wrong = _der_keyid(v)
        how = pick(
            rng,
            (
                f"`openssl pkey -pubin -in {pub_file} -outform DER | sha256sum`",
                "the SHA-256 of the DER encoding",
            ),
        )
    elif variant == "base64":
        wrong = hashlib.sha256(base64.b64encode(v.public_pem())).hexdigest()
        how = pick(rng, (f"`base64 -w0 {pub_file} | sha256sum`", "the SHA-256 of the base64 string"))
    else:
        wrong = hashlib.sha256(v.public_pem().replace(b"\n", b"\r\n")).hexdigest()
        how = "`sha256sum` of a copy of the file checked out on Windows (CRLF line endings)"
    pol = _policy(w)
    good = v.keyid
    bad = _swap_keyid(pol, good, wrong)
    res = _run_verify(w, bad)
    _expect_fail(res, f"expected key id {wrong} but got {good}")
    _expect_pass(_run_verify(w, pol))
    policy_file = w.policy_files[0]
    context = pick(rng, (
        f"I computed the key id of `{pub_file}` myself ({how}). `{policy_file}`:",
        f"For the key id of `{pub_file}` I used {how}. Here's `{policy_file}`:",
        f"`{policy_file}` (key id of `{pub_file}` computed with {how}):",
    )) + "\n" + _json_block(bad, lay) + "\n" + _signing(rng, w)  # fmt: skip
    why = [
        pick(rng, (
            f"Witness recomputes every key id from the embedded `key` — the SHA-256 of the key written as PKIX PEM, which for this `BEGIN PUBLIC KEY` file is `sha256sum {pub_file}` — and gets `{good}`, not the `{wrong}` the policy declares.",
            f"The `keyid` must be the hex SHA-256 of the public key as PKIX PEM (this file already is one: `sha256sum {pub_file}`): that is `{good}`, while the policy says `{wrong}`.",
            f"`{wrong}` is not the id witness derives for `{pub_file}`: it hashes the key's PKIX PEM text (for this file, what `sha256sum {pub_file}` prints), which gives `{good}`.",
            f"The error's second id, `{good}`, is the real one: witness computes it as the SHA-256 of the key's PKIX PEM, here the same as `sha256sum {pub_file}`.",
        )),
        pick(rng, (
            "A mismatch aborts the whole verification before any step is evaluated.",
            "That check fails before witness looks at any attestation, which is why no step results are printed.",
        )),
    ]  # fmt: skip
    ids = sorted(k["keyid"] for k in pol["publickeys"].values())
    users = [
        n for n, st in pol["steps"].items() if any(f.get("publickeyid") == good for f in st["functionaries"])
    ]
    answer = _lesson(
        rng, why, _json_block(pol, lay),
        lead=pick(rng, (f"Use `{good}` as the map key, as `keyid` and in the functionary's `publickeyid`; the corrected `{policy_file}`:",
                        f"Corrected `{policy_file}` (only the id changes, in all three places):")),
        check=[w.sign_cmd(), w.verify_cmd()],
        check_intro=pick(rng, ("Re-sign it (the signature covers the exact bytes) and verify:", "Then re-sign and verify:")), res=res)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [[good[:8]], ["keyid", "key id", "key-id"]],
        [wrong[:16]],
        [{"type": "json_keyid", "bad": wrong, "good": good, "ids": ids, "steps": users}],
        variant,
        # every release rejects a keyid that is not the SHA-256 of the key's PEM (policy.go PublicKeyVerifiers:
        # ErrKeyIDMismatch), so this policy never verified: it cannot have "worked until today"
        recent=False,
    )


def _jq(path: str, value: str, file: str) -> str:
    return f"jq '{path} = {json.dumps(value)}' {file} > {file}.tmp && mv {file}.tmp {file}"


def _f_policy_expired(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    lay = draw_layout(rng)  # the pasted policy and its correction share a key order
    w = _world(rng, _SMALL, version=version)
    variant = pick(rng, ("docs_example", "past", "missing"))
    # the user often says until when the policy should be valid: the fix uses that, converted to RFC 3339
    dl = W.draw_deadline(rng) if rng.random() < 0.6 else None
    pol = _policy(w, expires=dl.expires) if dl else _policy(w)
    bad = copy.deepcopy(pol)
    if variant == "docs_example":
        old = pick(rng, ("2022-12-17T23:57:40-05:00", "2023-12-17T23:57:40-05:00"))
        bad["expires"] = old
    elif variant == "past":  # a policy that ran out recently: earlier today, or some days ago
        days = pick(rng, (0, 0, 1, 3, 9, 30))
        hour = rng.randrange(NOW.hour) if days == 0 else rng.randrange(24)
        when = (NOW - timedelta(days=days)).replace(hour=hour, minute=0, second=0)
        old = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        bad["expires"] = old
    else:
        old = ""
        del bad["expires"]
    res = _run_verify(w, bad)
    _expect_fail(res, "policy expired on")
    _expect_pass(_run_verify(w, pol))
    new = pol["expires"]
    file = w.policy_files[0]
    whole = rng.random() < 0.5
    if whole:
        context = (
            pick(
                rng,
                (f"`{file}`:", f"This is `{file}`:", f"Our `{file}` (signed into `{w.policy_files[1]}`):"),
            )
            + "\n"
            + _json_block(bad, lay)
        )
    else:
        shown = f'`"expires": "{old}"`' if old else "no `expires` field"
        context = pick(rng, (f"Our `{file}` has {shown}.", f"`{file}` has {shown}.",
                             f"The policy ({file}) has {shown}, everything else is unchanged since last month."))  # fmt: skip
    context += "\n" + _signing(rng, w)
    if dl is not None:
        context += " " + pick(rng, (
            f"The new one should be valid through {dl.text}.", f"We want it to last until {dl.text}.",
            f"It has to stay valid until {dl.text}.", f"Renew it so that it runs until {dl.text}.",
        )) if dl.kind != "date-on" else " " + pick(rng, (
            f"It should expire {dl.text} now.", f"Make the new expiry {dl.text}.",
        ))  # fmt: skip
    cause = (
        pick(rng, (f"The policy's `expires` (`{old}`) is in the past.", f"`{old}` has passed, so the policy has expired."))
        if old else
        pick(rng, ("The policy has no `expires`, which witness reads as the zero time (year 1): it is always expired.",
                   "Without an `expires` field the policy expires at Go's zero time, 0001-01-01."))
    )  # fmt: skip
    why = [cause, pick(rng, (
        "Witness checks the expiry before it looks for any step, so no step results are printed, only the error.",
        "That check comes before step evaluation, which is why the output has no step results after its INFO lines, just the error.",
    ))]  # fmt: skip
    if dl is not None:
        how = dl.how[:1].upper() + dl.how[1:]  # `dl.how` ends with the timestamp itself: say it only there
        why.append(pick(rng, (
            f"`expires` must be RFC 3339 (a date alone does not parse). {how}.",
            f"Witness parses `expires` as RFC 3339 only, so {dl.text} has to be written as a full timestamp. {how}.",
        )))  # fmt: skip
    if whole:
        fix = _json_block(pol, lay)
        lead = pick(
            rng, (f"Set a future RFC 3339 `expires` (here `{new}`); the whole file:", f"Corrected `{file}`:")
        ) if dl is None else pick(rng, (f"Set `expires` to `{new}`; the whole file:", f"Corrected `{file}` (only `expires` changes):"))  # fmt: skip
    elif dl is not None:
        fix = _bash(_jq(".expires", new, file))
        lead = pick(rng, (
            f"Fix: set `expires` in `{file}` to `{new}`, changing nothing else:",
            f"Give it the expiry `{new}` (this edits only that field):",
        ))  # fmt: skip
    else:
        fix = _bash(_jq(".expires", new, file))
        lead = pick(rng, (
            f"Fix: set `expires` in `{file}` to a future RFC 3339 time, e.g. `{new}`, changing nothing else:",
            f"Give it a future RFC 3339 expiry such as `{new}` (this edits only that field):",
        ))  # fmt: skip
    answer = _lesson(
        rng, why, fix, lead=lead, check=[w.sign_cmd(), w.verify_cmd()],
        check_intro=pick(rng, ("Then re-sign it (the signature covers the exact bytes) and verify again:",
                               "Re-sign and verify:", "Sign it again and re-run verify:")), res=res)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [["expire*"], list(_RESIGN)],
        [old] if old else [],
        [
            {"type": "json_expires", **({"window": list(dl.window)} if dl else {})},
            {"type": "sign_cmd", "optional": True},
        ],
        variant + ("+deadline" if dl else ""),
        recent=variant == "past" and old.startswith(NOW.strftime("%Y-%m-%d")),
        said=(dl.text,) if dl else (),
    )


def _f_policy_unsigned(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version)
    pol = _policy(w)
    raw, signed = w.policy_files
    res = _run_verify(w, Envelope(b"", "", ()))
    _expect_fail(res, "no signatures in dsse envelope")
    _expect_pass(_run_verify(w, pol))
    context = pick(rng, (
        f"We generate `{raw}` in a previous job and pass it straight to `-p`.",
        f"The policy is written to `{raw}` by our policy repo's CI; verify reads it from there.",
        f"`{raw}` comes out of our policy generator and goes directly into verify.",
    )) + " " + pick(rng, (
        f"The policy key pair is `{w.key_files['policy'][0]}` / `{w.key_files['policy'][1]}`.",
        f"Our policy key is `{w.key_files['policy'][0]}`; verify gets its public half.",
        f"`-k` is the public half of our policy key `{w.key_files['policy'][0]}`.",
    ))  # fmt: skip
    why = [
        pick(rng, (
            f"`{raw}` is a bare policy, but `witness verify -p` only accepts a signed DSSE envelope.",
            f"`-p` must point at a signed policy (a DSSE envelope); `{raw}` is the plain JSON.",
            f"You are verifying against the unsigned `{raw}`: `witness verify` wants the output of `witness sign`.",
            "The policy passed to `-p` was never signed.",
        )),
        pick(rng, (
            "A plain policy file decodes as an envelope with no signatures, hence `no signatures in dsse envelope`.",
            "Read as an envelope, the plain JSON has no signatures, and the signature check fails before any step is looked at.",
        )),
    ]  # fmt: skip
    answer = _lesson(
        rng, why, _bash(w.sign_cmd(raw, signed), w.verify_cmd(policy=signed)),
        lead=pick(rng, ("Fix: sign it with the policy key and verify the signed file (`-k` is that key's public half):",
                        f"Sign `{raw}` into `{signed}` and pass that to `-p`:")),
        notes=["There is no flag that makes the CLI skip the policy signature check."] if rng.random() < 0.4 else (), res=res)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd(policy=raw)),
        answer,
        [["witness sign", "sign*"]],
        ["--allow-unsigned-policy", "--insecure"],
        [{"type": "sign_cmd", "optional": False}, {"type": "verify_policy_not", "policy": raw}],
        "unsigned",
        recent=False,  # the context says the unsigned file always goes to `-p`: it cannot have "worked until today"
    )


def _f_wrong_policy_key(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version, shared_key=False)
    pol = _policy(w)
    role = pick(rng, ("s0", "other", f"s{len(w.steps) - 1}"))
    wrong_pub = w.key_files[role][1]
    res = _run_verify(w, pol, verifier=w.keys[role].verifier)
    _expect_fail(res, "failed to verify policy signature")
    _expect_pass(_run_verify(w, pol))
    pub = w.key_files["policy"][1]
    roles = list(dict.fromkeys((*(f"s{i}" for i in range(len(w.steps))), role, "policy")))
    pubs = ", ".join(f"`{w.key_files[r][1]}`" for r in roles)
    why = [
        pick(rng, (
            "`-k` on `witness verify` is the public key of whoever signed the *policy*, not of the steps.",
            "For `witness verify`, `-k` names the policy signer's public key; functionary keys live inside the policy.",
        )),
    ]  # fmt: skip
    if rng.random() < 0.35:  # re-signed: the envelope's keyid names the key, `sha256sum` finds its file
        signed = w.policy_files[1]
        by_file = sorted(roles, key=lambda r: w.key_files[r][1])
        files = " ".join(w.key_files[r][1] for r in by_file)
        sums = "\n".join(f"{w.keyid(r)}  {w.key_files[r][1]}" for r in by_file)
        context = pick(rng, (
            f"The policy was re-signed this morning. What I found:\n```console\n$ jq -r '.signatures[].keyid' "
            f"{signed}\n{w.keyid('policy')}\n$ sha256sum {files}\n{sums}\n```",
            f"Someone re-signed `{signed}` after editing it. Digging:\n```console\n$ sha256sum "
            f"{files}\n{sums}\n$ jq -r '.signatures[].keyid' {signed}\n{w.keyid('policy')}\n```",
        ))  # fmt: skip
        why.append(
            f"The error names the key you passed (`{wrong_pub}`, key id `{w.keyid(role)}`), while the envelope's "
            f"signature `keyid` is `{w.keyid('policy')}`. A witness key id is the SHA-256 of the public key as "
            "witness re-encodes it (PKIX PEM, LF line endings, final newline), which for a `.pub` file already in "
            f"that form (as `openssl pkey -pubout` writes it) is its `sha256sum`; yours shows that is `{pub}`. So "
            "the policy is now signed with that key."
        )
    else:
        context = pick(rng, (
            "The policy was signed in the release job:\n" + _bash(w.sign_cmd()) + f"\nPublic keys we have: {pubs}.",
            f"Public keys in the repo: {pubs}. Policy signing happens like this:\n" + _bash(w.sign_cmd()),
        ))  # fmt: skip
        why.append(
            f"The policy was signed with `{w.key_files['policy'][0]}`, but you passed `{wrong_pub}` (key id "
            f"`{w.keyid(role)}` in the error), so the policy signature does not verify."
        )
    answer = _lesson(
        rng, why, _bash(w.verify_cmd(pub=pub)),
        lead=pick(rng, (f"Fix: pass the policy signer's public key `{pub}`:", f"Use `{pub}` with `-k`:")), res=res)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd(pub=wrong_pub)),
        answer,
        [[pub, w.keyid("policy")[:8]], ["-k", "--publickey", "public key"]],
        [],
        [{"type": "verify_pub", "pub": pub}],
        role,
    )


def _without_types(pol: dict[str, Any], step: str, types: Sequence[str]) -> dict[str, Any]:
    """`pol` with `step` no longer requiring `types`."""
    out = copy.deepcopy(pol)
    out["steps"][step]["attestations"] = [
        a for a in out["steps"][step]["attestations"] if a["type"] not in types
    ]
    return out


def _f_attestors_replaced(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    extra = pick(rng, ("secretscan", "lockfiles"))
    full = ("environment", "git", extra)
    w = _world(rng, version=version, by_kind={"build": full, "test": full, "lint": full})
    cands = [j for j in range(len(w.steps)) if w.spec(j).attestors == full]
    i = pick(rng, cands)
    step = w.steps[i]
    variant = pick(rng, ("only_extra", "no_git", "no_env"))
    given = {"only_extra": (extra,), "no_git": ("environment", extra), "no_env": ("git", extra)}[variant]
    missing = [a for a in ("environment", "git") if a not in given]
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    bad = _run(w, i, f"s{i}", given)
    envs = dict(w.envelopes)
    envs[step] = bad.envelope
    res = _run_verify(w, pol, envs)
    _expect_fail(res, f"no collections found for step {step}")
    uris = {"environment": ENV, "git": GIT}
    notes: list[str] = []
    # the policy-side alternative, judged by the core: the step no longer requiring what the run lacks
    relaxed = _without_types(pol, step, [uris[m] for m in missing])
    relaxed_passes = _run_verify(w, relaxed, envs).passed
    if "git" in missing and len(w.steps) > 1 and not relaxed_passes:
        notes.append(
            "Dropping `git` from the policy instead is not enough: `git` is also what links the steps (its "
            "`commithash` back-reference), so without it the steps whose products are not the verified file can no "
            "longer be found."
        )
    elif "git" not in missing and relaxed_passes:
        notes.append(
            f"Relaxing the policy also works here: drop the environment type (`{ENV}`) from the step's `attestations` and re-sign the policy."
        )
    cmds = [w.run_cmd(j, given if j == i else None) for j in range(len(w.steps))]
    context = (
        pick(rng, ("CI records the steps like this:", "Our witness runs:", "The pipeline:"))
        + "\n" + _bash(*cmds)
        + f"\nand the policy's `{step}` step requires the {', '.join(f'`{uris[m]}`' for m in missing)} attestation."
    )  # fmt: skip
    why = [
        pick(rng, (
            f"`-a {','.join(given)}` *replaces* witness's default attestors (`environment,git`); only `product`, `material` (and `command-run` with a command) are always added.",
            f"Giving `-a` turns the defaults off: with `-a {','.join(given)}` the run records no {' / '.join(f'`{m}`' for m in missing)}.",
        )),
        f"So the `{step}` collection has no {' / '.join(f'`{m}` ({uris[m]})' for m in missing)} attestation, and since the step requires it, that collection is never found.",
    ]  # fmt: skip
    answer = _lesson(
        rng, why, _bash(w.run_cmd(i, full)),
        lead=pick(rng, (f"Fix: list the defaults explicitly when you add `{extra}`:", f"Record `{step}` with the defaults plus `{extra}`:")),
        notes=notes, check=[w.verify_cmd()], check_intro=pick(rng, _CONFIRM), res=res, w=w, faulted=step)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [
            [step],
            [x for m in missing for x in (m, uris[m])],
            ["-a", "--attestations", "replace*", "default*"],
        ],
        [],
        [{"type": "run_attestors", "step": step, "need": missing}],
        variant,
    )


def _f_attestation_exported(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    atts = ("environment", "git", "sbom")
    # the build writes the SBOM (`make release`), so it is the first step
    w = _world(rng, (("build",), ("build", "package"), ("build", "sign"), ("build", "scan")), version=version,
               attestors=[atts], sbom_first=True)  # fmt: skip
    step = w.steps[0]
    kind = w.pipe.sbom
    uri = SPDX if kind == "spdx" else CDX
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    types = [a["type"] for a in pol["steps"][step]["attestations"]]
    if uri not in types:
        raise AssertionError("diagnose: sbom type missing from the collection")
    bad = _run(w, 0, "s0", atts, export=("sbom",))
    envs = dict(w.envelopes)
    envs[step] = bad.envelope
    res = _run_verify(w, pol, envs)
    _expect_fail(res, f"no collections found for step {step}")
    out = w.att_files[step]
    context = (
        pick(rng, ("Build job:", f"The `{step}` step (it also writes the SBOM):", "How we record the build:"))
        + "\n" + _bash(w.run_cmd(0, extra="--attestor-sbom-export"))
        + f"\nThe policy's `{step}` step lists `{uri}` among its attestations."
    )  # fmt: skip
    why = [
        pick(rng, (
            f"`--attestor-sbom-export` takes the SBOM attestation out of the `{step}` collection and writes it as a separate statement (`{out}-sbom.json`).",
            f"With `--attestor-sbom-export` the SBOM is not part of `{out}` any more: witness writes it to `{out}-sbom.json` on its own.",
            f"The `{step}` run exports its SBOM (`--attestor-sbom-export`), so `{out}` holds no SBOM attestation; it went to `{out}-sbom.json`.",
        )),
        f"With the export the `{step}` collection lacks `{uri}`, which the policy requires, so witness finds no `{step}` collection.",
    ]  # fmt: skip
    answer = _lesson(
        rng, why, _bash(w.run_cmd(0)),
        lead=pick(rng, ("Fix: keep the SBOM inside the collection (drop the export flag) and re-run the step:",
                        "Record it without `--attestor-sbom-export`:")),
        notes=[f"Alternatively, remove `{uri}` from the step's `attestations` and re-sign the policy."]
        if _run_verify(w, _without_types(pol, step, [uri]), envs).passed else [],
        check=[w.verify_cmd()], check_intro=pick(rng, _CONFIRM), res=res, w=w, faulted=step)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [[step], ["export*"], [uri, "sbom"]],
        ["--attestor-sbom-export"],
        [{"type": "run_no_export", "step": step, "attestor": "sbom"}],
        kind,
    )


_WRONG_TYPES: tuple[tuple[str, str, str], ...] = (
    # variant, attestor, wrong uri
    ("sbom", "sbom", "https://witness.dev/attestations/sbom/v0.1"),
    ("lockfiles", "lockfiles", "https://witness.dev/attestations/lockfile/v0.1"),
    ("commandrun", "", "https://witness.dev/attestations/commandrun/v0.1"),
    ("secretscan", "secretscan", "https://witness.dev/attestations/secret-scan/v0.1"),
    ("environment", "environment", "https://witness.dev/attestations/env/v0.1"),
    ("git", "git", "https://witness.dev/attestations/git/v1"),
)


def _f_wrong_type_uri(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    lay = draw_layout(rng)  # the pasted policy and its correction share a key order
    variant, attestor, wrong = pick(rng, _WRONG_TYPES)
    atts = (
        ("environment", "git", attestor)
        if attestor not in ("", "environment", "git")
        else ("environment", "git")
    )
    shapes = (("build",), ("build", "package"), ("build", "sign")) if attestor == "sbom" else _SMALL
    w = _world(rng, shapes, version=version, attestors=[atts], sbom_first=attestor == "sbom")
    step = w.steps[0]
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    if attestor == "sbom":
        right = SPDX if w.pipe.sbom == "spdx" else CDX
    elif attestor:
        from witness_evals.witness import attestors as registry

        right = registry.get(attestor).type
    else:
        right = CMD
    bad = copy.deepcopy(pol)
    entries = bad["steps"][step]["attestations"]
    idx = next(k for k, a in enumerate(entries) if a["type"] == right)
    entries[idx]["type"] = wrong
    res = _run_verify(w, bad)
    _expect_fail(res, f"no collections found for step {step}")
    fmt = {
        "spdx": " (the build writes an SPDX JSON SBOM)",
        "cyclonedx": " (the build writes a CycloneDX JSON SBOM)",
    }
    file = w.policy_files[0]
    context = (
        f"Recorded with{fmt.get(w.pipe.sbom, '') if attestor == 'sbom' else ''}:\n" + _bash(w.run_cmd(0))
        + "\n" + pick(rng, (f"`{file}`:", f"Our policy (`{file}`):", "The policy we signed:")) + "\n" + _json_block(bad, lay)
        + "\n" + _signing(rng, w)
    )  # fmt: skip
    why = [
        pick(rng, (
            f"The `{step}` step requires `{wrong}`, but no witness attestation has that type: the run records it as `{right}`.",
            f"`{wrong}` is not a type any attestor writes; the collection holds `{right}`.",
        )),
        pick(rng, (
            f"Types are compared as exact strings, so the collection never matches the step and witness finds no `{step}` collection at all.",
            f"Witness only finds a collection that has every required type (exact string match), so `{step}` is never found.",
        )),
    ]  # fmt: skip
    answer = _lesson(
        rng, why, _json_block(pol, lay),
        lead=pick(rng, (f"Corrected `{file}` (`{right}` instead of `{wrong}`):", f"Fix the type in `steps.{step}.attestations`; the whole file:")),
        check=[w.sign_cmd(), w.verify_cmd()], check_intro=pick(rng, ("Then re-sign the policy and verify:", "Re-sign and re-run verify:")), res=res)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [[right], list(_RESIGN)],
        [wrong],
        [],
        variant,
    )


def _f_step_key_mismatch(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    lay = draw_layout(rng)  # the pasted policy and its correction share a key order
    w = _world(rng, _SMALL, version=version)
    i = rng.randrange(len(w.steps))
    step = w.steps[i]
    other = pick(rng, (step.capitalize(), f"{step}-step", f"{step}_v2", step.upper()))
    if other == step:
        other = f"{step}-step"
    variant = pick(rng, ("name_differs", "key_differs"))
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    bad = copy.deepcopy(pol)
    if variant == "name_differs":
        bad["steps"][step]["name"] = other
        key, name = step, other
    else:
        bad["steps"] = {(other if k == step else k): v for k, v in bad["steps"].items()}
        for st in bad["steps"].values():
            if "artifactsFrom" in st:
                st["artifactsFrom"] = [other if a == step else a for a in st["artifactsFrom"]]
        key, name = other, step
    res = _run_verify(w, bad)
    _expect_fail(res)
    file = w.policy_files[0]
    context = (
        pick(rng, (f"Our `{file}`:", "The policy:", f"`{file}` as we have it:")) + "\n" + _json_block(bad, lay)
        + "\n" + pick(rng, (f"The step is recorded with `witness run -s {step}`.", f"CI runs `witness run -s {step} ...` for it."))
        + " " + _signing(rng, w)
    )  # fmt: skip
    why = [
        f"The step's map key `{key}` and its `name` `{name}` differ.",
        pick(rng, (
            f"Witness searches collections by the map key but compares the collection's name with `name`; both must equal the `-s` of `witness run` (`{step}`).",
            f"Lookup uses the key and validation uses `name`, so with two different values no collection can satisfy both; make both `{step}`, the name the run uses.",
        )),
    ]  # fmt: skip
    answer = _lesson(
        rng, why, _json_block(pol, lay),
        lead=pick(rng, (f"Corrected `{file}` (key and `name` both `{step}`):", "Fixed policy:")),
        check=[w.sign_cmd(), w.verify_cmd()], check_intro=pick(rng, ("Then re-sign the policy and verify:", "Re-sign and verify:")), res=res)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [[key], [name], ["name"]],
        [],
        [{"type": "json_steps_consistent", "step": step, "steps": list(w.steps)}],
        variant,
    )


def _rego(pkg: str, cond: str, msg: str) -> str:
    return f'package {pkg}\n\nimport rego.v1\n\ndeny contains msg if {{\n\t{cond}\n\tmsg := "{msg}"\n}}\n'


_TOOLS = {
    "make": ("make", "build"),
    "bazel": ("bazel", "build", "//..."),
    "goreleaser": ("goreleaser", "build", "--clean"),
    "gradle": ("gradle", "build"),
    "just": ("just", "build"),
}
"""A tool a Rego rule may require, and the command line that runs it."""


def _f_rego_deny(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version)
    build = next(j for j in range(len(w.steps)) if w.spec(j).kind == "build")
    # a build-tool rule gates the build step; a branch rule any step that records git on its branch (on a
    # detached checkout, GitLab's or Jenkins', git records `HEAD`: go-witness v0.12.0 attestation/git/git.go:202)
    with_git = [j for j in range(len(w.steps)) if "git" in w.spec(j).recorded and not w.scenario(j).detached]
    variant = pick(rng, ("branch", "command")) if with_git else "command"
    i = pick(rng, with_git) if variant == "branch" else build
    step = w.steps[i]
    sc = w.scenario(i)
    if variant == "branch":
        actual = sc.branch
        required = pick(rng, [b for b in ("main", "master", "release", "production") if b != actual])
        msg = pick(
            rng, (f"builds must come from {required}", f"branch is not {required}", "unexpected branch")
        )
        src = _rego("git.branch", f'input.branch != "{required}"', msg)
        att, where = GIT, f"the git attestation recorded branch `{actual}`"
    else:
        actual = sc.command[0]
        required = pick(rng, [t for t in _TOOLS if t != actual])
        msg = pick(
            rng, (f"{step} must use {required}", "unexpected tool", f"expected {required} as the command")
        )
        src = _rego("commandrun.tool", f'input.cmd[0] != "{required}"', msg)
        att, where = CMD, f"the command-run attestation recorded `cmd[0]` = `{actual}`"
    names = ("branch-check.rego", "release-branch.rego") if variant == "branch" else ("tool.rego", "cmd.rego")
    name = pick(rng, (*names, "guard.rego", "ci-rules.rego"))
    mod = simulate.rego_module(name, src)
    bad = _policy(w, rego={step: {att: [mod]}})
    res = _run_verify(w, bad)
    _expect_fail(res, "policy was denied due to:", msg)
    _expect_pass(_run_verify(w, _policy(w)))
    context = (
        f"CI ran on branch `{sc.branch}`:\n" + _bash(*(w.run_cmd(j) for j in range(len(w.steps))))
        + f"\nThe `{step}` step has this Rego module, `{name}`, in the `regopolicies` of `{att}`:\n```rego\n{src}```\n"
        + _signing(rng, w)
    )  # fmt: skip
    why = [
        pick(rng, (
            f"The Rego module `{name}` on step `{step}` denied the collection (`{msg}`): {where}, but the rule requires `{required}`.",
            f"`{name}` fired: {where}, and the rule only allows `{required}` — hence `policy was denied due to: {msg}`.",
        )),
    ]  # fmt: skip
    policy_file = w.policy_files[0]
    notes: list[str] = []
    if variant == "branch":
        # the release re-run from the required branch (same commit, e.g. after the merge) must pass
        reruns = {n: _run(w, j, f"s{j}", scenario=checked_out(w.scenario(j), required)).envelope
                  for j, n in enumerate(w.steps)}  # fmt: skip
        _expect_pass(_run_verify(w, bad, reruns))
        fix = _bash(f"git checkout {required}", *(w.run_cmd(j) for j in range(len(w.steps))))
        lead = pick(rng, (
            f"Fix: merge the change into `{required}` and run the release from there (all steps, so they share the commit):",
            f"Run the pipeline on `{required}`, the only branch the rule accepts:",
        ))  # fmt: skip
        notes.append(
            f"If builds from `{actual}` are legitimate, change the rule in `{name}` instead, put its new `base64 -w0 {name}` "
            "into the `module` of that `regopolicies` entry and re-sign the policy."
        )
    else:
        # switching build systems would not produce the verified file: allow the tool actually used
        fixed_src = _rego("commandrun.tool", f'not input.cmd[0] in {{"{required}", "{actual}"}}',
                          f"expected {required} or {actual} as the command")  # fmt: skip
        good = _policy(w, rego={step: {att: [simulate.rego_module(name, fixed_src)]}})
        _expect_pass(_run_verify(w, good))
        fix = (
            f"```rego\n{fixed_src}```\n\n"
            + pick(rng, (f"Put it into `{policy_file}` base64-encoded, replacing the old module:",
                         f"Store its base64 in the `module` of the `{name}` entry in `{policy_file}`:"))
            + "\n\n" + _bash(_jq_module(step, att, name, policy_file))
        )  # fmt: skip
        lead = pick(rng, (
            f"`{actual}` is your real build tool, so fix the rule rather than the build: allow `{actual}` in `{name}`:",
            f"Fix: the rule is what is wrong here; let `{name}` accept `{actual}` as well:",
        ))  # fmt: skip
        notes.append(
            f"Running `{step}` with `{required}` instead only helps if that build writes exactly the file you verify "
            f"(`{w.artifact_path}`) as one of its products; otherwise no collection matches the `-f` digest."
        )
    answer = _lesson(
        rng, why, fix, lead=lead, notes=notes,
        check=[w.sign_cmd(), w.verify_cmd()] if variant == "command" else [w.verify_cmd()],
        check_intro=pick(rng, ("Re-sign the policy (the signature covers the exact bytes) and verify:", "Then re-sign and verify:"))
        if variant == "command" else pick(rng, _CONFIRM),
        res=res, w=w, faulted=step,
    )  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [[step, name], [required], [actual]],
        [],
        [],
        variant,
    )


def _jq_module(step: str, att: str, name: str, file: str) -> str:
    """The jq edit that puts `base64 -w0 name` into the `module` of the Rego entry on attestation `att` of
    `step` in `file` (selected by step and type, which the verify output names; the entry's own `name` is
    not in the prompt, and that attestation carries this one module)."""
    path = f"(.steps[{json.dumps(step)}].attestations[] | select(.type == {json.dumps(att)}) | .regopolicies[].module)"
    return f"jq --arg m \"$(base64 -w0 {name})\" '{path} = $m' {file} > {file}.tmp && mv {file}.tmp {file}"


def _f_wrong_artifact(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, _CONSUMER, version=version)
    s0, s1 = w.steps[0], w.steps[1]
    subjects = {
        v for r in w.run.results.values() for ds in r.statement.subjects.values() for v in ds.values()
    }
    before = w.scenario(0).files_before
    mats = sorted(
        p
        for p in before
        if not p.startswith(".git") and hashlib.sha256(before[p]).hexdigest() not in subjects
    )
    wrong = pick(rng, mats)
    digest = hashlib.sha256(w.scenario(0).files_before[wrong]).hexdigest()
    pol = _policy(w)
    res = _run_verify(w, pol, subjects=[digest])
    _expect_fail(res, f"no collections found for step {s0}")
    _expect_pass(_run_verify(w, pol))
    art = w.artifact_path
    sc1 = w.scenario(1)
    alt = sc1.product_paths()[-1]
    alt_digest = hashlib.sha256(sc1.files_after[alt]).hexdigest()
    _expect_pass(_run_verify(w, pol, subjects=[alt_digest]))
    context = (
        pick(rng, ("Our steps:", "CI:", "How the artifacts are recorded:"))
        + "\n"
        + _bash(w.run_cmd(0), w.run_cmd(1))
    )
    if art not in context:  # the answer may only name files the user mentioned
        built = " ".join(w.scenario(0).command)
        context += "\n" + pick(rng, (f"`{built}` writes `{art}`.", f"(The `{s0}` step builds `{art}`.)",
                                      f"The build output is `{art}`."))  # fmt: skip
    why = [
        pick(rng, (
            f"`-f {wrong}` hashes a file that no step produced (it is only an input/material of `{s0}`), so no collection has a subject with that digest.",
            f"`{wrong}` is a source file — a material of `{s0}`, not a product — and witness looks attestations up by the sha256 of the file you pass to `-f`.",
        )),
        "Without a match for the subject witness finds no collection for any step.",
    ]  # fmt: skip
    answer = _lesson(
        rng, why, _bash(w.verify_cmd()),
        lead=pick(rng, (f"Fix: verify the `{s0}` product `{art}`:", f"Point `-f` at `{art}`, what `{s0}` built:")),
        notes=[*([f"Verifying the `{s1}` product `{alt}` works as well: that step is found by its digest and `{s0}` through the shared git commit."] if alt in context else []),
               f"You can also pass a product's sha256 with `-s` (`sha256sum {art}`)."], res=res)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd(artifact=wrong)),
        answer,
        [[art, art.rsplit("/", 1)[-1], alt]],
        [],
        [
            {
                "type": "verify_subject",
                "paths": [art, alt],
                "digest": w.artifact_digest,
                "digests": [alt_digest],
                "bad": wrong,
            }
        ],
        "material",
    )


def _f_no_backref(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    variant = pick(rng, ("environment", "extra"))
    given = (
        ("environment",)
        if variant == "environment"
        else ("environment", pick(rng, ("secretscan", "lockfiles")))
    )
    w = _world(rng, _CONSUMER, version=version, attestors=[("environment", "git"), given])
    step = w.steps[1]
    pol = _policy(w)
    res = _run_verify(w, pol)
    _expect_fail(res, f"no collections found for step {step}")
    fixed = ("environment", "git", *given[1:])
    good = _run(w, 1, "s1", fixed)
    _expect_pass(_run_verify(w, pol, {**w.envelopes, step: good.envelope}))
    context = (
        pick(rng, ("CI:", "The two witness runs:", "Our pipeline:"))
        + "\n"
        + _bash(w.run_cmd(0), w.run_cmd(1))
    )
    why = [
        pick(rng, (
            f"`{step}` is never found: its product is not the file you verify, and it records no `git` because `-a {','.join(given)}` replaced the defaults.",
            f"Nothing leads witness to the `{step}` collection: `-f` matches `{w.steps[0]}`'s product, and `{step}` has no `git` attestation (`-a {','.join(given)}` dropped it).",
        )),
        f"Witness discovers further steps only through the verified digest or the back-references (git `commithash`) of steps that already passed, so nothing links `{step}` to `{w.steps[0]}`.",
    ]  # fmt: skip
    answer = _lesson(
        rng, why, _bash(w.run_cmd(1, fixed)),
        lead=pick(rng, (f"Fix: record `git` in `{step}` too (same checkout, same commit):", f"Add `git` to `{step}`'s attestors:")),
        check=[w.verify_cmd()], check_intro=pick(rng, _CONFIRM), res=res, w=w, faulted=step)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [[step], ["git", GIT, "commithash", "backref*", "back-ref*", "back ref*"]],
        [],
        [{"type": "run_attestors", "step": step, "need": ["git"]}],
        variant,
    )


# (label, command) by artifact kind: binary tools only touch native (ELF) executables, a zip-based
# artifact (jar, wheel) is changed by adding a file, a script by editing it
_MODIFIERS: dict[str, tuple[tuple[str, str], ...]] = {
    "elf": (
        ("strip", "strip {p}"),
        ("upx", "upx --best {p}"),
        ("objcopy", "objcopy --remove-section .comment {p}"),
    ),
    "zip": (("stamp", "zip -q {p} BUILD_INFO"),),
    "text": (("touch-up", "sed -i 's/DEV/PROD/' {p}"), ("minify", "npx terser {p} -c -m -o {p}")),
}


def _artifact_kind(data: bytes) -> str:
    return "elf" if data[:4] == b"\x7fELF" else "zip" if data[:4] == b"PK\x03\x04" else "text"


def _f_artifacts_mismatch(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(
        rng,
        (("build", "package"), ("lint", "build", "package"), ("test", "build", "package")),
        version=version,
    )
    b = next(j for j in range(len(w.steps)) if w.spec(j).kind == "build")
    s0, s1 = w.steps[b], w.steps[b + 1]
    path = w.artifact_path
    label, tmpl = pick(rng, _MODIFIERS[_artifact_kind(w.scenario(b).files_after[path])])
    sc = w.scenario(b + 1)
    fb = dict(sc.files_before)
    fb[path] = fb[path] + f"\n#{label}".encode()
    tarred = simulate.tar_gz({p: fb[p] for p in w.scenario(b).product_paths()})
    fa = {**sc.files_after, path: fb[path]}
    tar_name = sc.product_paths()[0]
    fa[tar_name] = tarred
    sc2 = sc.with_(files_before=fb, files_after=fa)
    bad = _run(w, b + 1, f"s{b + 1}", scenario=sc2)
    envs = dict(w.envelopes)
    envs[s1] = bad.envelope
    pol = _policy(w)
    res = _run_verify(w, pol, envs)
    _expect_fail(res, f"mismatched digests for {path}")
    _expect_pass(_run_verify(w, pol))
    mod = tmpl.format(p=path)
    context = (
        pick(rng, ("CI:", "The release job:", "Our pipeline, in order:"))
        + "\n" + _bash(*(w.run_cmd(j) for j in range(b + 1)), mod, *(w.run_cmd(j) for j in range(b + 1, len(w.steps))))
        + f"\nThe release gate verifies the `{path}` that the `{s0}` job uploaded."
    )  # fmt: skip
    why = [
        f'Step `{s1}` has `artifactsFrom: ["{s0}"]`, so its materials must match what `{s0}` produced.',
        pick(rng, (
            f"`{mod}` changes `{path}` between the two steps, so the digest `{s1}` recorded as a material differs from `{s0}`'s product (`mismatched digests for {path}`).",
            f"`{mod}` rewrites `{path}` after `{s0}` recorded it, and witness sees the different digest in `{s1}`'s materials.",
        )),
    ]  # fmt: skip
    inner = " ".join(w.scenario(b).command) + " && " + mod
    fixed_cmd = w.run_cmd(b).split(" -- ")[0] + " -- sh -c " + shlex.quote(inner)
    answer = _lesson(
        rng, why, _bash(fixed_cmd),
        lead=pick(rng, (f"Fix: don't modify the artifact outside an attested step; do it inside `{s0}`:",
                        f"Move `{mod}` into the attested `{s0}` step:")),
        notes=[f"Another option is to attest `{mod}` as a witness step of its own (a new policy step with `artifactsFrom: [\"{s0}\"]`), point `{s1}`'s `artifactsFrom` at that step and re-sign the policy."], res=res)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [
            [path, path.rsplit("/", 1)[-1]],
            [s0, s1],
            ["artifactsFrom", "modif*", "chang*", "mismatch*", "differ*", "alter*", "rewr*"],
        ],
        [],
        [],
        label,
    )


def _f_collection_step_name(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version)
    i = rng.randrange(len(w.steps))
    step = w.steps[i]
    wrong = pick(rng, (f"{step}-job", step.replace("-", "_") + "_step", f"{step}s", "ci"))
    if wrong == step or wrong in w.steps:
        wrong = f"{step}-job"
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    bad = _run(w, i, f"s{i}", step=wrong)
    envs = dict(w.envelopes)
    envs[step] = bad.envelope
    res = _run_verify(w, pol, envs)
    _expect_fail(res, f"no collections found for step {step}")
    context = (
        pick(rng, ("CI:", "The witness runs:", "Our jobs:"))
        + "\n"
        + _bash(*(w.run_cmd(j, step=wrong if j == i else "") for j in range(len(w.steps))))
    )
    why = [
        f"The attestation in `{w.att_files[step]}` was recorded with `-s {wrong}`, so its collection is named `{wrong}`.",
        pick(rng, (
            f"Witness looks collections up by the policy's step name, `{step}`, so that one is never found.",
            f"The policy step is `{step}`; a collection named `{wrong}` does not count for it.",
        )),
    ]  # fmt: skip
    # the alternative: the policy renamed to the recorded name (and every artifactsFrom that names it)
    refs = [n for n, st in pol["steps"].items() if step in st.get("artifactsFrom", [])]
    renamed = copy.deepcopy(pol)
    renamed["steps"] = {(wrong if k == step else k): ({**v, "name": wrong} if k == step else v)
                        for k, v in renamed["steps"].items()}  # fmt: skip
    for st in renamed["steps"].values():
        if "artifactsFrom" in st:
            st["artifactsFrom"] = [wrong if a == step else a for a in st["artifactsFrom"]]
    _expect_pass(_run_verify(w, renamed, envs))
    # the prompt does not show the policy: name the steps whose `artifactsFrom` names it only where the output
    # shows it (`failed to verify artifacts: []`, an upstream step without a passed collection); the
    # `no passed collections present` line says nothing about artifactsFrom (policy.go verifyArtifacts)
    shown = all(
        any("failed to verify artifacts: []" in r.reason for r in res.steps[n].rejected) for n in refs
    )
    where = (
        f", also in the `artifactsFrom` of {' and '.join(f'`{r}`' for r in refs)},"
        if refs and shown else
        ", along with any `artifactsFrom` entry that names it," if refs else ""
    )  # fmt: skip
    answer = _lesson(
        rng, why, _bash(w.run_cmd(i)),
        lead=pick(rng, ("Fix: re-record it with the policy's step name:", f"Use `-s {step}`:")),
        notes=[f"Another option is to rename the policy step (key and `name`) to `{wrong}`{where} and re-sign the policy."],
        check=[w.verify_cmd()], check_intro=pick(rng, _CONFIRM), res=res, w=w, faulted=step)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [[step], [wrong]],
        [],
        [{"type": "run_step_not", "bad": wrong, "step": step, "out": w.att_files[step]}],
        "renamed",
    )


_MID_NAMES = {"strip": "strip", "upx": "compress", "objcopy": "strip-comments", "stamp": "stamp",
              "touch-up": "configure", "minify": "minify"}  # fmt: skip


def _f_artifacts_from_skip(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    """A step inserted between build and package changes the build's product; package still names the
    build in `artifactsFrom` (alone or beside the new step), so its materials do not match."""
    lay = draw_layout(rng)  # the pasted policy and its correction share a key order
    w = _world(rng, (("build", "package"), ("lint", "build", "package"), ("test", "build", "package")),
               version=version)  # fmt: skip
    b = next(j for j in range(len(w.steps)) if w.spec(j).kind == "build")
    s0, s1 = w.steps[b], w.steps[b + 1]
    path = w.artifact_path
    label, tmpl = pick(rng, _MODIFIERS[_artifact_kind(w.scenario(b).files_after[path])])
    mid = _MID_NAMES[label]
    mod = tmpl.format(p=path)
    sc_b, sc_p = w.scenario(b), w.scenario(b + 1)
    changed = sc_b.files_after[path] + f"\n#{label}".encode()
    mid_sc = sc_p.with_(files_before=dict(sc_b.files_after), files_after={**sc_b.files_after, path: changed},
                        command=tuple(shlex.split(mod)))  # fmt: skip
    mid_run = _run(w, b + 1, f"s{b + 1}", scenario=mid_sc, step=mid)
    fb = {**sc_p.files_before, path: changed}
    tar_name = sc_p.product_paths()[0]
    sc2 = sc_p.with_(files_before=fb, files_after={**sc_p.files_after, path: changed,
                                                   tar_name: simulate.tar_gz({p: fb[p] for p in sc_b.product_paths()})})  # fmt: skip
    pk_run = _run(w, b + 1, f"s{b + 1}", scenario=sc2)
    att = dict(w.att_files)
    att[mid] = w.att_files[s0].replace(s0, mid) if s0 in w.att_files[s0] else f"{mid}.att.json"
    w2 = dataclasses.replace(w, att_files=att)
    base = _policy(w)
    steps: dict[str, Any] = {}
    for name, st in base["steps"].items():
        if name == s1:
            steps[mid] = {"name": mid, "attestations": [{"type": a.type, "regopolicies": []} for a in mid_run.collection.attestations],
                          "functionaries": copy.deepcopy(st["functionaries"]), "artifactsFrom": [s0]}  # fmt: skip
        steps[name] = copy.deepcopy(st)
    variant = pick(rng, ("first", "both"))
    bad = {**base, "steps": copy.deepcopy(steps)}
    bad["steps"][s1]["artifactsFrom"] = [s0] if variant == "first" else [s0, mid]
    envs: dict[str, Envelope] = {}
    for name in w.steps:
        envs[name] = pk_run.envelope if name == s1 else w.envelopes[name]
        if name == s0:
            envs[mid] = mid_run.envelope
    res = _run_verify(w2, bad, envs)
    _expect_fail(res, f"failed to verify artifacts for step {s1}", f"mismatched digests for {path}")
    fixed = {**base, "steps": copy.deepcopy(steps)}
    fixed["steps"][s1]["artifactsFrom"] = [mid]
    _expect_pass(_run_verify(w2, fixed, envs))
    order = [*w.steps[: b + 1], mid, *w.steps[b + 1 :]]
    verify_cmd = (
        f"witness verify -p {w.policy_files[1]} -k {w.key_files['policy'][1]} "
        + " ".join(f"-a {att[n]}" for n in order) + f" -f {path}"
    )  # fmt: skip
    mid_cmd = w.run_cmd(b + 1, step=mid, command=tuple(shlex.split(mod))).replace(
        f"-o {shlex.quote(w.att_files[s1])}", f"-o {shlex.quote(att[mid])}"
    )
    context = pick(rng, (
        f"We added a `{mid}` step between `{s0}` and `{s1}`:",
        f"New in the pipeline: `{mid}` runs right after `{s0}`:",
        f"Since we attest `{mid}` as its own step (after `{s0}`, before `{s1}`), verification fails:",
    )) + "\n" + _bash(mid_cmd) + "\n" + pick(rng, (f"`{w.policy_files[0]}`:", "The policy:", "Policy we sign:")) + "\n" + _json_block(bad, lay)  # fmt: skip
    context += "\n" + _signing(rng, w)
    why = [
        pick(rng, (
            f"`{mid}` changes `{path}` after `{s0}` recorded it, so `{s0}`'s product and the `{path}` that `{s1}` consumes differ.",
            f"`{s1}` consumes the `{path}` that `{mid}` rewrote (`{mod}`), not the one `{s0}` produced.",
        )),
        pick(rng, (
            f"`{s1}` still lists `{s0}` in `artifactsFrom`, so witness compares its materials with `{s0}`'s products and finds `mismatched digests for {path}`."
            + (f" Listing `{mid}` as well does not help: every step named there must match." if variant == "both" else ""),
            f"`artifactsFrom` must name the step whose products `{s1}` actually took, `{mid}`; "
            + (f"with `[\"{s0}\", \"{mid}\"]` the comparison with `{s0}` still fails." if variant == "both" else f"`{s0}` is one step too far back."),
        )),
        "Nothing was tampered with: the digests differ because of the attested change in between.",
    ]  # fmt: skip
    answer = _lesson(
        rng, why, _json_block(fixed, lay),
        lead=pick(rng, (f'Point `{s1}` at the step before it — `"artifactsFrom": ["{mid}"]` — and keep `{mid}` taking from `{s0}`:',
                        f'Fix: `{s1}` takes its artifacts from `{mid}` only; the corrected `{w.policy_files[0]}`:')),
        check=[w.sign_cmd(), verify_cmd],
        check_intro=pick(rng, RESIGN_INTROS), res=res)  # fmt: skip
    return Fault(
        context,
        _render(w2, res, verify_cmd),
        answer,
        [[mid], ["artifactsFrom"], [s0], [s1]],
        [],
        [{"type": "json_artifacts_from", "step": s1, "want": [mid]}],
        variant,
    )


def _cert_world(
    rng: random.Random, version: WitnessVersion, *, need: str = ""
) -> tuple[World, W.CertIdentity, dict[str, Any], list[str]]:
    """A world whose steps are all signed by one x509 identity (`need`: "email" or "uri" for one with that
    SAN), its valid policy, and the signer flags of its runs."""
    w = _world(rng, _SMALL, version=version, shared_key=True)
    pki = W.draw_pki(rng)
    ident = W.draw_identity(rng, pki)
    while need and not getattr(ident, need):
        ident = W.draw_identity(rng, pki)
    run = W.run(w.pipe, {s: ident for s in w.steps})
    w = dataclasses.replace(w, run=run)
    pol = W.policy_for(run, {s: [ident] for s in w.steps}, expires=w.expires)
    _expect_pass(_run_verify(w, pol))
    key = w.key_files["s0"][0]
    cert = key.rsplit(".", 1)[0] + ".crt"
    extra = ["--signer-file-cert-path", cert]
    if pki.inter_key is not None:
        extra += [
            "--signer-file-intermediate-paths",
            pick(rng, ("ca/intermediate.pem", "pki/ci-ca.crt", "intermediate.crt")),
        ]
    return w, ident, pol, extra


def _refused(res: VerifyResult) -> str:
    """The step whose collection was found and refused for its signer (the others were never reached)."""
    return next(
        n for n, st in res.steps.items() if any("no verifiers matched" in r.reason for r in st.rejected)
    )


def _f_cert_root_mismatch(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    """`certConstraint.roots` names an id that is not a key of the policy's `roots` map."""
    lay = draw_layout(rng)  # the pasted policy and its correction share a key order
    w, ident, pol, extra = _cert_world(rng, version)
    pki = ident.pki
    variant = pick(rng, ("renamed_root", "ca_name"))
    bad = copy.deepcopy(pol)
    if variant == "renamed_root":  # the map entry was renamed; the constraints still say the old id
        new_id = pick(rng, (f"{pki.org}-root-2026", f"{pki.org}-ca", f"{pki.org}-root-v2", "root-ca"))
        bad["roots"] = {new_id: bad["roots"][pki.root_id]}
        listed, key_id = pki.root_id, new_id
    else:  # the constraint names the CA by its common name
        listed, key_id = pki.root_name, pki.root_id
        for st in bad["steps"].values():
            for f in st["functionaries"]:
                f["certConstraint"]["roots"] = [listed]
    res = _run_verify(w, bad)
    _expect_fail(res, "no verifiers matched with allowed functionaries")
    fixed = copy.deepcopy(bad)
    for st in fixed["steps"].values():
        for f in st["functionaries"]:
            f["certConstraint"]["roots"] = [key_id]
    _expect_pass(_run_verify(w, fixed))
    s0 = _refused(res)
    context = pick(rng, (
        "Our runs sign with certificates from our CA:",
        f"The steps are signed with an x509 certificate ({ident.who}):",
        "Certificate-based signing, the run looks like this:",
    )) + "\n" + _bash(w.run_cmd(0, extra=shlex.join(extra))) + "\n" + pick(rng, (
        f"`{w.policy_files[0]}`:", "The policy:",
        "I " + ("renamed the `roots` entry so we can tell which CA it is" if variant == "renamed_root"
                else "put our CA's name into the constraint") + "; the policy now:",
    )) + "\n" + _json_block(bad, lay) + "\n" + _signing(rng, w)  # fmt: skip
    why = [
        pick(rng, (
            f"`certConstraint.roots` lists `{listed}`, but the policy's `roots` map has only `{key_id}`: the ids must be the same string.",
            f"The constraint refers to the root `{listed}`, which is not a key of `roots` (that key is `{key_id}`), so no trusted root belongs to it.",
        )),
        pick(rng, (
            "Witness checks that the certificate chains to one of the roots the constraint names; with no such root every certificate is refused, so the step has no passed collection (`no verifiers matched with allowed functionaries`).",
            f"A `roots` id is just a name that `certConstraint.roots` refers to; it is not matched against the CA's subject, so `{s0}`'s certificate fails the constraint and no functionary matches.",
        )),
    ]  # fmt: skip
    answer = _lesson(
        rng, why, _json_block(fixed, lay),
        lead=pick(rng, (f'Make `certConstraint.roots` `["{key_id}"]`, the key of the `roots` entry:',
                        f"Corrected `{w.policy_files[0]}` (the constraint now names `{key_id}`):")),
        check=[w.sign_cmd(), w.verify_cmd()],
        check_intro=pick(rng, RESIGN_INTROS), res=res, w=w, faulted=s0)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [[key_id], ["roots"], ["certConstraint", "constraint"]],
        [],
        [{"type": "json_cert_roots"}],
        variant,
    )


def _f_cert_san_omitted(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    """A `certConstraint` without `emails` (or `uris`): an omitted field means the certificate may have no such
    SAN at all, so the signer's certificate, which has one, is refused."""
    lay = draw_layout(rng)  # the pasted policy and its correction share a key order
    need = pick(rng, ("email", "uri"))
    w, ident, pol, extra = _cert_world(rng, version, need=need)
    field_name = "emails" if need == "email" else "uris"
    value = getattr(ident, need)
    bad = copy.deepcopy(pol)
    for st in bad["steps"].values():
        for f in st["functionaries"]:
            del f["certConstraint"][field_name]
    res = _run_verify(w, bad)
    _expect_fail(res, "no verifiers matched with allowed functionaries")
    # "any is fine": the user wants every value, so the fix is the wildcard; else the SAN is listed in its place
    any_fine = rng.random() < 1 / 3
    fixed = copy.deepcopy(pol)
    if any_fine:
        for st in fixed["steps"].values():
            for f in st["functionaries"]:
                f["certConstraint"][field_name] = ["*"]
    _expect_pass(_run_verify(w, fixed))
    s0 = _refused(res)
    other = "uris" if field_name == "emails" else "emails"
    context = pick(rng, (
        f"The runs sign with a certificate issued to {value}:",
        f"Signing uses certificates from our CA; the CI one carries `{value}`:",
        f"Our CI certificate has the SAN `{value}`; the run:",
    )) + "\n" + _bash(w.run_cmd(0, extra=shlex.join(extra))) + "\n" + (
        f"`{w.policy_files[0]}` (the constraint leaves out {field_name}, since any is fine):" if any_fine
        else pick(rng, (f"I only constrained what we care about. `{w.policy_files[0]}`:", "The policy:"))
    ) + "\n" + _json_block(bad, lay) + "\n" + _signing(rng, w)  # fmt: skip
    why = [
        pick(rng, (
            f"The `certConstraint` has no `{field_name}` field. Witness reads an omitted field as an empty list, which means the certificate must have NO {need} SAN — and yours has `{value}`.",
            f"An omitted `{field_name}` is not a wildcard: the constraint then expects no {need} SANs at all, so the certificate with `{value}` fails it (the constraint check's reason, `not expecting any {need}(s), but cert has 1 {need}(s)`, is not printed; the output only shows that no functionary matched).",
        )),
        pick(rng, (
            f"Only `[\"*\"]` accepts any value; to pin the identity, list it: `\"{field_name}\": [\"{value}\"]`.",
            f"So `{s0}`'s signer matches no functionary (`no verifiers matched with allowed functionaries`). List the {need} (or `[\"*\"]` to allow any).",
        )),
    ]  # fmt: skip
    answer = _lesson(
        rng, why, _json_block(fixed, lay),
        lead=pick(rng, (f'Add `"{field_name}": ["*"]` to every `certConstraint`, since any {need} is fine:',
                        f"Corrected `{w.policy_files[0]}` (each constraint accepts any {need}):")) if any_fine
        else pick(rng, (f'Add `"{field_name}": ["{value}"]` to every `certConstraint`:',
                        f"Corrected `{w.policy_files[0]}` (each constraint lists the {need}):")),
        notes=[f"The same holds for every SAN field (`dnsnames`, `emails`, `uris`) and `organizations`: a missing one means none allowed; here `{other}` and `dnsnames` are `[\"*\"]`."],
        check=[w.sign_cmd(), w.verify_cmd()],
        check_intro=pick(rng, RESIGN_INTROS), res=res, w=w, faulted=s0)  # fmt: skip
    return Fault(
        context,
        _render(w, res, w.verify_cmd()),
        answer,
        [
            [field_name],
            [value, '["*"]'],
            ["omit*", "missing", "no " + field_name, "without", "empty", "leaves out", "left out", "none"],
        ],
        [],
        # any_fine: the user accepts every value, so pinning the CI certificate's is no fix
        [{"type": "json_cert_field", "field": field_name, "value": value, "wildcard": any_fine}],
        field_name,
    )


FAULTS: dict[str, Callable[[random.Random, WitnessVersion], Fault]] = {
    "not_functionary": _f_not_functionary,
    "keyid_mismatch": _f_keyid_mismatch,
    "policy_expired": _f_policy_expired,
    "policy_unsigned": _f_policy_unsigned,
    "wrong_policy_key": _f_wrong_policy_key,
    "attestors_replaced": _f_attestors_replaced,
    "attestation_exported": _f_attestation_exported,
    "wrong_type_uri": _f_wrong_type_uri,
    "step_key_mismatch": _f_step_key_mismatch,
    "rego_deny": _f_rego_deny,
    "wrong_artifact": _f_wrong_artifact,
    "no_backref": _f_no_backref,
    "artifacts_mismatch": _f_artifacts_mismatch,
    "collection_step_name": _f_collection_step_name,
    "artifacts_from_skip": _f_artifacts_from_skip,
    "cert_root_mismatch": _f_cert_root_mismatch,
    "cert_san_omitted": _f_cert_san_omitted,
}


# ----------------------------------------------------------------------------- questions

_WHICH_PART = "Is it the policy, the attestations or the command?"
"""A question that the answer must answer first (template residue otherwise: the answer ignores it)."""

_PART: dict[str, str] = {
    "not_functionary": "The attestation: it was signed with a key that is not among the step's functionaries.",
    "keyid_mismatch": "The policy: a `publickeys` entry's `keyid` is not the SHA-256 of its key.",
    "policy_expired": "The policy: witness treats it as expired.",
    "policy_unsigned": "The command: `-p` is given the unsigned policy file.",
    "wrong_policy_key": "The command: `-k` is not the public half of the key that signed the policy.",
    "attestors_replaced": "The attestation: its run's `-a` list dropped a type the policy requires.",
    "attestation_exported": "The attestation: the SBOM the policy requires was exported out of the collection.",
    "wrong_type_uri": "The policy: it requires an attestation type that no attestor writes.",
    "step_key_mismatch": "The policy: a step's map key and its `name` differ.",
    "rego_deny": "The policy's Rego rule: it denied the collection.",
    "wrong_artifact": "The command: `-f` names a file that no step produced.",
    "no_backref": "The attestations: one step records no `git`, so witness cannot reach it.",
    "artifacts_mismatch": "None of the three: the file was changed between two attested steps, outside witness.",
    "collection_step_name": "The attestation: it was recorded under a step name the policy does not have.",
    "artifacts_from_skip": "The policy: `artifactsFrom` skips the step whose products this step consumed.",
    "cert_root_mismatch": "The policy: `certConstraint.roots` names an id that `roots` does not have.",
    "cert_san_omitted": "The policy: its `certConstraint` omits a SAN field the certificate has, which means none allowed.",
}
"""The direct answer to `_WHICH_PART`, per cause."""

_TEMPLATES: tuple[str, ...] = (
    "`witness verify` fails and I don't see why.\n\n{context}\n\nOutput:\n```\n{output}\n```\n\nWhat is wrong and how do I fix it?",
    "Our release gate broke. {context}\n\n```\n{output}\n```\n\nWhat's the cause, and what exactly should I change?",
    "Can you diagnose this witness verification failure?\n\n```\n{output}\n```\n\nContext: {context}",
    "{context}\n\nRunning verify gives:\n```\n{output}\n```\nWhy does it fail? Give me the concrete fix.",
    "This is from a supply-chain check in CI:\n```\n{output}\n```\n{context}\n\nWhat does this error mean and how do I get verification to pass?",
    "Verification fails with the output below.\n\n```text\n{output}\n```\n\n{context}\n\nPlease explain the root cause and the fix.",
    "Help: our witness gate is red.\n\n{context}\n\n```console\n{output}\n```\n\nWhat did I do wrong?",
    "I'm getting this from `witness verify`:\n\n```\n{output}\n```\n\n{context}\n\nHow do I fix it?",
    "{context}\n\nThat worked until today. Now:\n```\n{output}\n```\nWhat changed, and what do I need to do?",
    "Quick sanity check before I rip our setup apart.\n\n```\n{output}\n```\n\n{context}\n\n" + _WHICH_PART,
    "`witness verify` on `{artifact}` fails.\n\n```\n{output}\n```\n\n{context}\n\nWhat's wrong?",
    "Why won't witness accept `{artifact}`?\n\n{context}\n\n```\n{output}\n```",
    "Our gate refuses `{artifact}` since this morning. {context}\n\n```text\n{output}\n```\n\nHow do I get it green again?",
    "I can't get `{artifact}` through verification.\n\n```\n{output}\n```\n\n{context}\n\nWhat should I change, exactly?",
)

_RECENT = ("until today", "since this morning", "gate broke")
"""Template wording that says the failure is new, or that verification used to pass ("broke"): only for
faults that can have started just now (not a policy that never verified, e.g. a wrong `keyid`)."""


def make(rng: random.Random, version: WitnessVersion = versions.V0_12) -> Example:
    cause = pick(rng, CAUSES)
    seed = rng.randrange(2**31)
    # the task is a function of (cause, seed) and of the release whose output it shows
    fault = FAULTS[cause](random.Random(f"{cause}:{seed}"), version)
    choices = [k for k, tmpl in enumerate(_TEMPLATES) if fault.recent or not any(r in tmpl for r in _RECENT)]
    t = pick(rng, choices)
    m = re.search(r" -f (\S+)", fault.output.splitlines()[0])
    artifact = m.group(1) if m else "the release"
    q = _TEMPLATES[t].format(context=fault.context.strip(), output=fault.output, artifact=artifact)
    if q.endswith("```"):  # a closer such as " Thanks!" must not land on the closing fence line
        q += "\n"
    question = phrasing.dress(rng, q, fault.said)
    answer = fault.answer
    if _WHICH_PART in _TEMPLATES[t]:
        answer = f"{_PART[cause]}\n\n{answer}"
    check: dict[str, Any] = {
        "kind": "diagnosis",
        "cause": cause,
        "variant": fault.variant,
        "require": fault.require,
        "forbid": fault.forbid,
        "checks": fault.checks,
        "now": NOW.isoformat(),
    }
    group = f"diagnose/{cause}/{seed}"
    return Example(
        family=NAME,
        group=group,
        template=f"diagnose/{cause}/{t}",
        question=question,
        answer=answer,
        check=check,
        system=phrasing.system_prompt(rng),
        meta={"cause": cause, "variant": fault.variant},
    )


# ----------------------------------------------------------------------------- scoring


def _term_re(term: str) -> re.Pattern[str]:
    t = term.lower()
    prefix = t.endswith("*")
    if prefix:
        t = t[:-1]
    body = re.escape(t)
    left = r"(?<![a-z0-9])" if t[:1].isalnum() else ""
    right = "" if prefix or _HEX8.match(t) or not t[-1:].isalnum() else r"(?![a-z0-9])"
    return re.compile(left + body + right)


@functools.lru_cache(maxsize=4096)
def _compiled(term: str) -> re.Pattern[str]:
    return _term_re(term)


def _fix_code(text: str) -> str:
    """Code block bodies without diff-removed lines (`-...` but not `--flag`)."""
    out: list[str] = []
    for _lang, body in answers.code_blocks(text):
        out += [ln for ln in body.splitlines() if not re.match(r"^\s*-(?!-)", ln)]
    return "\n".join(out)[:_MAX_CODE_CHARS]


def _run_cmds(text: str) -> list[Any]:
    from witness_evals.witness.cli import parse_command

    out = []
    for c in answers.commands(text)[:40]:
        if len(c.split()) <= 2:  # a mention such as `witness verify` in prose, not a proposed command
            continue
        a = parse_command(c[:4000])
        out.append(a)
    return out


def _walk(obj: Any, depth: int = 0) -> Any:
    if depth > 40:
        return
    yield obj
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _walk(v, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v, depth + 1)


def _json_objects(text: str) -> list[Any]:
    docs: list[Any] = []
    for lang, body in answers.code_blocks(text):
        if lang not in ("", "json", "jsonc"):
            continue
        try:
            docs.append(json.loads(body))
        except (ValueError, RecursionError):
            try:  # a fragment such as `"expires": "..."`
                docs.append(json.loads("{" + body.strip().rstrip(",") + "}"))
            except (ValueError, RecursionError):
                continue
    return docs


def _check(c: dict[str, Any], answer: str, cmds: list[Any], now: datetime) -> str | None:
    kind = c.get("type")
    runs = [a for a in cmds if a.subcommand == "run"]
    verifies = [a for a in cmds if a.subcommand == "verify"]
    if kind == "run_attestors":
        mine = [a for a in runs if a.step == c["step"]]
        if mine and not any(all(n in a.attestors for n in c["need"]) for a in mine):
            return f"proposed `witness run -s {c['step']}` still does not record {', '.join(c['need'])}"
    elif kind == "run_no_export":
        mine = [a for a in runs if a.step == c["step"]]
        if mine and not any(
            c["attestor"] in a.attestors and not any(e.get("name") == c["attestor"] for e in a.exported)
            for a in mine
        ):
            return f"proposed `witness run` still exports (or omits) {c['attestor']}"
    elif kind == "run_key_not":
        mine = [a for a in runs if a.step == c["step"]]
        if mine and all(a.signer_key == c["key"] for a in mine):
            return "proposed `witness run` still signs with the non-functionary key"
    elif kind == "run_step_not":
        return _run_step_problem(c, answer, runs)
    elif kind == "verify_pub":
        pub = clean_path(c["pub"])
        if verifies and not any(clean_path(a.publickey) == pub for a in verifies):
            return "proposed `witness verify` does not pass the policy signer's public key to -k"
    elif kind == "verify_policy_not":
        if verifies and all(a.policy == c["policy"] for a in verifies):
            return "proposed `witness verify` still passes the unsigned policy"
    elif kind == "verify_subject":
        paths = c["paths"]
        ok = [
            a
            for a in verifies
            if (
                a.artifactfile
                and any(
                    a.artifactfile.lstrip("./") == p or p.endswith("/" + a.artifactfile.lstrip("./"))
                    for p in paths
                )
            )
            or c["digest"] in a.subjects
            or any(dg in a.subjects for dg in c.get("digests", []))
        ]
        if verifies and not ok:
            return "proposed `witness verify` does not verify the produced artifact"
    elif kind == "sign_cmd":
        signs = [a for a in cmds if a.subcommand == "sign" and a.valid and a.infile and a.outfile]
        if not signs and not c.get("optional"):
            return "no valid `witness sign -f ... -o ... -k ...` command"
    elif kind == "json_expires":
        for doc in _json_objects(answer):
            for node in _walk(doc):
                if isinstance(node, dict) and isinstance(node.get("expires"), str):
                    try:
                        when = datetime.fromisoformat(node["expires"].replace("Z", "+00:00"))
                    except ValueError:
                        return f"expires {node['expires']!r} is not RFC3339"
                    if when.tzinfo is None or "T" not in node["expires"]:
                        return f"expires {node['expires']!r} is not RFC3339"
                    if when <= now:
                        return f"proposed expires {node['expires']} is not in the future"
                    window = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in c.get("window", ())]
                    if window and not window[0] <= when <= window[1]:
                        return f"proposed expires {node['expires']} is not the deadline the user gave"
    elif kind == "json_artifacts_from":
        for doc in _json_objects(answer):
            steps = doc.get("steps") if isinstance(doc, dict) else None
            st = steps.get(c["step"]) if isinstance(steps, dict) else None
            if isinstance(st, dict) and sorted(st.get("artifactsFrom") or []) != sorted(c["want"]):
                return f"proposed `{c['step']}` still takes its artifacts from {st.get('artifactsFrom')}"
    elif kind in ("json_cert_roots", "json_cert_field"):
        for doc in _json_objects(answer):
            roots = doc.get("roots") if isinstance(doc, dict) else None
            for node in _walk(doc):
                cc = node.get("certConstraint") if isinstance(node, dict) else None
                if not isinstance(cc, dict):
                    continue
                if kind == "json_cert_roots" and isinstance(roots, dict):
                    listed = cc.get("roots") or []
                    if listed != ["*"] and not any(r in roots for r in listed if isinstance(r, str)):
                        return "proposed certConstraint.roots names no key of `roots`"
                if kind == "json_cert_field":
                    # policy/constraints.go checkCertConstraint: unless the list is exactly ["*"], the
                    # constraint's values must be the certificate's set, no more (an extra value fails
                    # "Did not pass all constraints") and no less
                    vals = cc.get(c["field"])
                    given: list[Any] = vals if isinstance(vals, list) else []
                    wildcard = given == ["*"]
                    exact = all(isinstance(v, str) for v in given) and set(given) == {c["value"]}
                    if not wildcard and not exact:
                        return f"proposed certConstraint still does not allow the certificate's {c['field']}"
                    if c.get("wildcard") and not wildcard:
                        return f"proposed certConstraint pins the certificate's {c['field']}; the user accepts any"
    elif kind == "json_keyid":
        return _keyid_problem(c, answer)
    elif kind == "json_steps_consistent":
        return _steps_consistent_problem(c, answer, runs)
    return None


def _step_docs(answer: str) -> list[dict[str, Any]]:
    """The `steps` maps of the policy JSON the answer proposes."""
    docs = [doc.get("steps") if isinstance(doc, dict) else None for doc in _json_objects(answer)]
    return [d for d in docs if isinstance(d, dict)]


def _run_step_problem(c: dict[str, Any], answer: str, runs: list[Any]) -> str | None:
    """Every proposed run of the faulted step (the one recorded as `bad`: same `-s`, or the same `-o` file)
    must use the policy's step name: witness looks collections up by the policy's step name and compares
    the collection's name exactly (policy/policy.go Verify `Search(ctx, stepName, ...)`, policy/step.go
    `collection.Collection.Name != s.Name`). A proposed policy renamed to `bad` is the other fix."""
    if any(c["bad"] in steps for steps in _step_docs(answer)):
        return None
    out = clean_path(c["out"]) if c.get("out") else None
    for a in runs:
        if a.step == c["bad"]:
            return f"proposed `witness run` still uses `-s {a.step}`, not the policy's step name"
        mine = out is not None and clean_path(a.outfile) == out
        if mine and c.get("step") and a.step != c["step"]:
            return f"proposed `witness run -o {a.outfile}` uses `-s {a.step}`, not the policy's step `{c['step']}`"
    return None


def _keyid_problem(c: dict[str, Any], answer: str) -> str | None:
    """The corrected policy: no trace of the wrong id; the key's entry in `publickeys` has `keyid` equal to
    the id witness computes (policy/policy.go PublicKeyVerifiers: ErrKeyIDMismatch; the map key is not
    read) and the functionaries that referenced the key name that id (policy/step.go Functionary.Validate
    compares `publickeyid` with the signer's key id); no id outside the policy's keys."""
    good, ids = c.get("good"), set(c.get("ids", ()))
    for doc in _json_objects(answer):
        for node in _walk(doc):
            if not isinstance(node, dict):
                continue
            if c["bad"] in (node.get("keyid"), node.get("publickeyid")):
                return "proposed policy still uses the wrong keyid"
            # a functionary, or a `publickeys` entry (not a DSSE signature's `keyid`)
            for field_ in ("publickeyid", "keyid") if "key" in node else ("publickeyid",):
                v = node.get(field_)
                if ids and isinstance(v, str) and v not in ids:
                    return f"proposed {field_} {v[:16]}... is not the key id witness computes for any of the keys"
        if good is None or not isinstance(doc, dict):
            continue
        keys = doc.get("publickeys")
        if isinstance(keys, dict) and not any(
            isinstance(k, dict) and k.get("keyid") == good for k in keys.values()
        ):
            return f"proposed `publickeys` has no entry with keyid {good[:16]}..."
        steps = doc.get("steps")
        if not isinstance(steps, dict):
            continue
        for name in c.get("steps", ()):
            st = steps.get(name)
            funcs = st.get("functionaries") if isinstance(st, dict) else None
            if isinstance(funcs, list) and not any(
                isinstance(f, dict) and f.get("publickeyid") == good for f in funcs
            ):
                return f"proposed `{name}` functionary does not reference keyid {good[:16]}..."
    return None


def _steps_consistent_problem(c: dict[str, Any], answer: str, runs: list[Any]) -> str | None:
    """Each step's map key equals its `name` (search uses the key, validation compares the collection name
    with `name`: policy/policy.go Verify, policy/step.go), and both are the `-s` the runs record (`step`,
    or the name of a re-recorded run the answer proposes), never another name."""
    step = c.get("step")
    allowed = {*c.get("steps", ()), *(a.step for a in runs if a.step)}
    want = {step, *(a.step for a in runs if a.step)}
    for steps in _step_docs(answer):
        for key, st in steps.items():
            if not isinstance(st, dict) or (step is None and "name" not in st):
                continue
            if st.get("name") != key:  # a missing name is "", which no collection name equals
                return f"proposed step key {key!r} still differs from name {st.get('name')!r}"
            if step is not None and key not in allowed:
                return f"proposed step {key!r} is not the name the run records (`-s {step}`)"
        if step is not None and not want & set(steps):
            return f"proposed policy has no step `{step}` (the name the run records)"
    return None


@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    text = answer
    low = text.lower()
    for group in check.get("require", []):
        if not any(_compiled(t).search(low) for t in group):
            return Score.failed(f"missing key term: one of {group[:4]}")
    code = _fix_code(text).lower()
    for term in check.get("forbid", []):
        if term and term.lower() in code:
            return Score.failed(f"proposed fix still contains {term!r}")
    cmds = _run_cmds(text)
    for a in cmds:
        if not a.valid:
            first = a.errors[0].message if a.errors else "invalid"
            return Score.failed(f"invalid witness command: {first}"[:200])
    now = datetime.fromisoformat(check.get("now", NOW.isoformat()))
    for c in check.get("checks", []):
        why = _check(c, text, cmds, now)
        if why:
            return Score.failed(why)
    return Score.passed()


FAMILY = Family(
    name=NAME,
    description="Diagnose a real failing `witness verify` output: name the cause and give the concrete fix.",
    make=make,
    score=score,
)
