"""Family `policies`: write (or update) a witness policy for a pipeline the user describes.

The pipeline comes from the shared world module (`generate.worlds`): 1-5 steps of many shapes (lint,
test, build, package, SBOM, scan, image build/export, sign, deploy), per-step attestor sets, keys of
every kind witness signs with (Ed25519, ECDSA P-256/P-384, RSA 2048/3072) or x509 functionaries under a
root (and intermediate) CA. The user states it the way people do: their CI configuration with the
`witness run` lines (GitHub Actions, GitLab CI, Jenkinsfile, Tekton, Makefile, shell), a prose
description, or their current policy to change. The reference answer (`teach.render`) gives the why,
the whole policy (`worlds.policy_for`, i.e. `simulate.policy_for`), the `witness sign` command and the
`witness verify` command with the prompt's file names.

Sub-kinds: `one-step`, `multi-step` (artifactsFrom), `rego` (a rule of `generate.policy_rego` in
`regopolicies`: half the requests bring the module and its base64, half state the rule and the answer
writes both, template `rego-new`), `multi-functionary` (either of two signers), `x509` (certificate
functionaries; a quarter of them during a CA rotation, where the same identities from a second CA must pass
too), `update` (add a step, add a key, replace a key, change the expiry of a given policy) and `followup`
(a second turn that adds a step, an attestor or a Rego rule to the first answer's policy). For keys pasted
as PEM without their ids the answer computes `keyid` and `key` from the pasted file and shows the
`sha256sum` / `base64 -w0` lines that confirm them; it never quotes an id it could not derive.

The check holds only seeds and small parameters; `score` regenerates the worlds from it (cached),
checks the answer's policy statically (`policy_check`, expiry, steps, required types, Rego placement,
the sign command), signs it with the policy key and runs `verify` on the genuine worlds (must PASS)
and on negative worlds (foreign key or certificate, missing attestor, swapped step signers, tampered
hand-over on every artifactsFrom edge, a run violating the Rego rule, a retired key): each must FAIL.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import random
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.bench.scorers.policy import find_policy, has_rego
from witness_evals.generate import phrasing, policy_rego, teach
from witness_evals.generate import worlds as W
from witness_evals.generate.example import Example
from witness_evals.generate.families import Family
from witness_evals.generate.phrasing import pick
from witness_evals.generate.rego_reqs_source import detached_note
from witness_evals.generate.worlds.layout import Layout, layout_for
from witness_evals.witness import simulate, versions
from witness_evals.witness import verify as wverify
from witness_evals.witness.attestors import get as get_attestor
from witness_evals.witness.cli import parse_command
from witness_evals.witness.cli.data import ATTESTOR_ENVIRONMENT
from witness_evals.witness.cli.values import clean_path
from witness_evals.witness.policy import parse_rfc3339
from witness_evals.witness.policy_check import check_policy
from witness_evals.witness.versions import WitnessVersion

NAME = "policies"
SUBKINDS = ("one-step", "multi-step", "rego", "multi-functionary", "x509", "update", "followup")
UPDATE_CHANGES = ("add-step", "add-key", "replace-key", "expiry")
FOLLOWUP_CHANGES = ("add-step", "add-attestor", "add-rego")
"""Second turns of a two-turn request: the user changes the policy the first answer gave."""
MAX_POLICY_CHARS = 150_000
DEADLINE_SHARE = 0.3
"""Share of requests (other than expiry updates) that state the expiry as people do ("end of June 2027")."""
DEADLINE_SHARE_UPDATE = 0.6
"""Share of expiry updates whose new expiry is stated that way."""
NEW_MODULE_SHARE = 0.5
"""Share of `rego` requests that bring no module: the user states the rule and the answer writes the module,
its base64 and the policy that embeds it."""

SBOM_TYPES = ("https://spdx.dev/Document", "https://cyclonedx.org/bom")

# ----------------------------------------------------------------------------- the check and its worlds


def _funcs(check: dict[str, Any]) -> dict[str, list[W.Functionary]]:
    return {step: [W.functionary_from_json(f) for f in fs] for step, fs in check["funcs"].items()}


def _pipe(check: dict[str, Any]) -> W.Pipeline:
    return W.Pipeline.from_json(check["pipe"])


def _first(funcs: dict[str, list[W.Functionary]]) -> dict[str, W.Functionary]:
    return {step: fs[0] for step, fs in funcs.items()}


@dataclass(frozen=True)
class _Worlds:
    positives: tuple[W.World, ...]
    negatives: tuple[tuple[str, W.World], ...]
    types: dict[str, tuple[str, ...]]
    loaded: dict[tuple[int, str], tuple[wverify.SourceCollection, ...]] = field(
        default_factory=dict, compare=False
    )

    def collections(self, world: W.World, version: WitnessVersion) -> tuple[wverify.SourceCollection, ...]:
        """`world`'s `-a` files loaded like `witness verify` loads them (once per release)."""
        key = (id(world), version.name)
        if key not in self.loaded:
            self.loaded[key] = world.collections(
                {s.name: f"{s.name}.json" for s in world.pipe.steps}, version
            )
        return self.loaded[key]


_WORLD_KEYS = ("pipe", "funcs", "rogue", "foreign", "rego", "retired")


def _check_key(check: dict[str, Any]) -> str:
    return json.dumps(check, sort_keys=True, separators=(",", ":"))


def _group(sub: str, check: dict[str, Any]) -> str:
    """The split group of an example: its sub-kind and what its check asks for (not the key file name)."""
    semantic = {k: v for k, v in check.items() if k not in ("policy_key_file", "policy_pub_file")}
    return f"{NAME}/{sub}/" + hashlib.sha256(_check_key(semantic).encode()).hexdigest()[:16]


def _world_key(check: dict[str, Any]) -> str:
    """The part of a check that determines its worlds (JSON text, the cache key)."""
    return _check_key({k: check.get(k) for k in _WORLD_KEYS})


@functools.lru_cache(maxsize=256)
def _worlds_cached(key: str) -> _Worlds:
    check = json.loads(key)
    pipe = _pipe(check)
    funcs = _funcs(check)
    first = _first(funcs)
    positives = [W.run(pipe, first)]
    for step, fs in funcs.items():
        for f in fs[1:]:
            positives.append(W.run(pipe, first, W.Variant(signers=((step, f),))))
    s0 = pipe.steps[0].name
    negatives: list[tuple[str, W.World]] = [
        (f"{s0} signed by a functionary that is not in the policy",
         W.run(pipe, first, W.Variant(signers=((s0, W.functionary_from_json(check["rogue"])),)))),
    ]  # fmt: skip
    if check.get("foreign"):
        negatives.append(
            (f"{s0} signed by a certificate with the same identity from another CA",
             W.run(pipe, first, W.Variant(signers=((s0, W.functionary_from_json(check["foreign"])),)))),
        )  # fmt: skip
    if check.get("retired"):
        step, fj = check["retired"]
        negatives.append(
            (f"{step} signed with the retired key",
             W.run(pipe, first, W.Variant(signers=((step, W.functionary_from_json(fj)),)))),
        )  # fmt: skip
    if len(pipe.steps) > 1:
        last = pipe.steps[-1].name
        if not set(funcs[s0]) & set(funcs[last]):
            negatives.append(
                (
                    f"{last} signed by the {s0} functionary",
                    W.run(pipe, first, W.Variant(signers=((last, first[s0]),))),
                )
            )
        # every artifactsFrom edge is checked statically; one tampered hand-over confirms it semantically
        edge = pipe.steps[1 + int(hashlib.sha256(key.encode()).hexdigest(), 16) % (len(pipe.steps) - 1)]
        negatives.append(
            (f"{edge.name} consumed files that differ from what {edge.artifacts_from[0]} left behind",
             W.run(pipe, first, W.Variant(tamper=edge.name))),
        )  # fmt: skip
    if check.get("rego"):
        negatives.append(
            (
                f"{check['rego']['step']} run violating the Rego rule",
                W.run(pipe, first, policy_rego.violation(check["rego"])),
            )
        )
    types = {s.name: positives[0].types(s.name) for s in pipe.steps}
    return _Worlds(tuple(positives), tuple(negatives), types)


def _worlds(check: dict[str, Any]) -> _Worlds:
    return _worlds_cached(_world_key(check))


def _reference_policy(check: dict[str, Any], *, steps: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The policy for the check's genuine world (only `steps` of it, for an update's old policy)."""
    pipe = _pipe(check)
    if steps is not None:
        pipe = W.Pipeline(
            pipe.seed, tuple(s for s in pipe.steps if s.name in steps), pipe.language, pipe.ci, pipe.sbom
        )
    funcs = _funcs(check)
    world = W.run(pipe, _first({s.name: funcs[s.name] for s in pipe.steps}))
    rego = None
    r = check.get("rego")
    if r and r["step"] in pipe.names:
        rego = {r["step"]: {r["type"]: [simulate.rego_module(r["name"], r["module"])]}}
    return W.policy_for(
        world, {s.name: funcs[s.name] for s in pipe.steps}, expires=check["expires"], rego=rego
    )


# ----------------------------------------------------------------------------- drawing a task


_ALT_SIGNERS = ("release-engineer", "backup-runner", "alice", "ops-oncall", "hsm", "build-farm-2")


def _expiry(rng: random.Random, lo: int = 2027, hi: int = 2034) -> str:
    y, m, d = rng.randint(lo, hi), rng.randint(1, 12), rng.randint(1, 28)
    h = rng.choice((0, 0, 12, 23))
    mi = 59 if h == 23 else 0
    zone = rng.choice(("Z", "Z", "Z", "-05:00", "+02:00"))
    return f"{y:04d}-{m:02d}-{d:02d}T{h:02d}:{mi:02d}:{mi:02d}{zone}"


def _draw_pipe(rng: random.Random, sub: str, change: str | None) -> W.Pipeline:
    if sub == "one-step":
        return W.draw_pipeline(rng, max_steps=1)
    if change == "add-step":  # the steps before the new one must still produce something to verify
        while True:
            pipe = W.draw_pipeline(rng, min_steps=2)
            if any(s.kind in ("build", "image") for s in pipe.steps[:-1]):
                return pipe
    if sub == "multi-step":
        return W.draw_pipeline(rng, min_steps=2)
    if sub in ("rego", "multi-functionary"):
        return W.draw_pipeline(rng, max_steps=3)
    return W.draw_pipeline(rng, max_steps=4)


ROTATION_SHARE = 0.25
"""x509 policy tasks during a CA rotation: a second root that every certConstraint names."""


def _next_ca(rng: random.Random, pki: W.Pki) -> W.Pki:
    """The CA an organisation moves its signing certificates to (its own root id)."""
    year = rng.choice(("2026", "2027", "G2"))
    return W.Pki(pki.org, W.draw_key(rng, rng.choice(("ecdsa-p256", "ecdsa-p384"))), None,
                 f"{pki.org.title()} Root CA {year}", f"{pki.org}-root-{year.lower()}")  # fmt: skip


def _under(f: W.Functionary, pki: W.Pki) -> W.CertIdentity:
    """The same certificate identity, issued by `pki`."""
    assert isinstance(f, W.CertIdentity)
    return replace(f, pki=pki)


def _rotation(funcs: dict[str, list[W.Functionary]]) -> W.Pki | None:
    """The new CA of a rotation task (every identity's second functionary), if it is one."""
    fs = next(iter(funcs.values()))
    second = fs[1] if len(fs) > 1 else None
    return second.pki if isinstance(second, W.CertIdentity) else None


def _draw_functionaries(
    rng: random.Random, sub: str, pipe: W.Pipeline
) -> tuple[dict[str, list[W.Functionary]], W.Pki | None]:
    names = pipe.names
    if sub == "x509":
        pki = W.draw_pki(rng)
        repo = W.scenarios(pipe)[0].repo_slug
        out: dict[str, list[W.Functionary]] = {}
        if rng.random() < 0.5 or len(names) == 1:
            ident = W.draw_identity(rng, pki, repo=repo)
            out = {n: [ident] for n in names}
        else:
            used: list[str] = []
            for n in names:
                ident = W.draw_identity(rng, pki, repo=repo, exclude=used)
                used.append(ident.who)
                out[n] = [ident]
        if rng.random() < ROTATION_SHARE:  # a CA rotation: the same identities from a new CA pass as well
            new_ca = _next_ca(rng, pki)
            out = {n: [*fs, _under(fs[0], new_ca)] for n, fs in out.items()}
        return out, pki
    style = rng.random()
    if style < 0.35 or len(names) == 1:  # one CI key signs every step
        key = W.draw_key(rng)
        funcs: dict[str, list[W.Functionary]] = {n: [key] for n in names}
    else:  # a key per step (or a build key and a release key)
        keys = [W.draw_key(rng) for _ in names]
        if style < 0.55 and len(names) > 2:
            keys = [keys[0]] * (len(names) - 1) + [keys[-1]]
        funcs = {n: [k] for n, k in zip(names, keys, strict=True)}
    return funcs, None


def _followup_pipe(rng: random.Random, change: str) -> tuple[W.Pipeline, dict[str, Any]]:
    """The pipeline after the second turn, and what the second turn changes."""
    if change == "add-step":
        return _draw_pipe(rng, "update", "add-step"), {"kind": "add-step"}
    if change == "add-rego":  # the rule itself is drawn with the check (`_make_check`)
        return _draw_pipe(rng, "rego", None), {"kind": "add-rego"}
    while True:
        pipe = W.draw_pipeline(rng, max_steps=3)
        options = [(s.name, a) for s in pipe.steps for a in W.addable_attestors(pipe, s.name)]
        if options:
            break
    step, att = rng.choice(options)
    spec = pipe.step(step)
    before = spec.attestors
    after = (*(before or simulate.DEFAULT_ATTESTORS), att)
    added: dict[str, Any] = {"kind": "add-attestor", "step": step, "attestor": att, "before": list(before)}
    return pipe.with_step(step, attestors=after), added


PLATFORM_ATTESTORS = frozenset(a for a, (level, _) in ATTESTOR_ENVIRONMENT.items() if level == "warning")
"""Attestors that fail outside their platform (a CI job's variables or token, a cloud instance's
metadata; the executable model's `check command` warns about each): go-witness aborts the run, so a step
someone also signs from a laptop cannot record them."""


def _off_platform(attestors: tuple[str, ...]) -> tuple[str, ...]:
    """`-a` values without the platform-bound ones (never empty when there were any: `git` or
    `environment` stays)."""
    return tuple(a for a in attestors if a not in PLATFORM_ATTESTORS)


def _make_check(rng: random.Random, sub: str) -> dict[str, Any]:
    change = rng.choice(UPDATE_CHANGES) if sub == "update" else None
    followup: dict[str, Any] | None = None
    if sub == "followup":
        pipe, followup = _followup_pipe(rng, rng.choice(FOLLOWUP_CHANGES))
    else:
        pipe = _draw_pipe(rng, sub, change)
    funcs, pki = _draw_functionaries(rng, sub, pipe)
    if followup and followup["kind"] == "add-step":  # the new step has its own key
        last = pipe.steps[-1].name
        new = W.draw_key(rng)
        while any(new in fs for fs in funcs.values()):
            new = W.draw_key(rng)
        funcs[last] = [new]
    s0 = pipe.steps[0].name
    if sub == "multi-functionary":  # a person runs `s0` by hand when CI is down: nothing bound to the CI
        pipe = pipe.with_step(s0, attestors=_off_platform(pipe.steps[0].attestors))
    if sub == "multi-functionary" or change == "add-key":
        extra = W.draw_key(rng)
        while extra in funcs[s0]:
            extra = W.draw_key(rng)
        funcs[s0] = [*funcs[s0], extra]
    check: dict[str, Any] = {"kind": "policy", "sub": sub, "pipe": pipe.to_json(),
                             "funcs": {n: [W.functionary_json(f) for f in fs] for n, fs in funcs.items()}}  # fmt: skip
    if change == "replace-key":
        step = rng.choice(pipe.names)
        old_key = funcs[step][0]
        new = W.draw_key(rng)
        while any(new in fs for fs in funcs.values()):
            new = W.draw_key(rng)
        check["retired"] = [step, W.functionary_json(old_key)]
        for n, fs in funcs.items():  # a shared key is replaced wherever it is used
            check["funcs"][n] = [W.functionary_json(new if f == old_key else f) for f in fs]
    check["policy_key"] = W.draw_key(rng).to_json()
    used = {json.dumps(f, sort_keys=True) for fs in check["funcs"].values() for f in fs}
    if pki is not None:
        ident0 = funcs[s0][0]
        assert isinstance(ident0, W.CertIdentity)
        rogue: W.Functionary = W.draw_identity(
            rng, pki, exclude=[f.who for fs in funcs.values() for f in fs if isinstance(f, W.CertIdentity)]
        )
        other = W.draw_pki(rng, org=rng.choice([o for o in W.ORGS if o != pki.org]))
        check["foreign"] = W.functionary_json(_under(ident0, other))
    else:  # the rogue signer is never shown, so its kind does not matter: the cheapest one
        rogue = W.draw_key(rng, "ed25519")
        while json.dumps(W.functionary_json(rogue), sort_keys=True) in used:
            rogue = W.draw_key(rng, "ed25519")
    check["rogue"] = W.functionary_json(rogue)
    if change == "expiry":
        old = datetime(2027, rng.randint(1, 10), rng.randint(1, 28), tzinfo=UTC)
        new_exp = old.replace(year=old.year + rng.randint(1, 6))
        check["change"] = {"kind": "expiry", "old": old.strftime("%Y-%m-%dT%H:%M:%SZ")}
        check["expires"] = new_exp.strftime("%Y-%m-%dT%H:%M:%SZ")
        check["verify_at"] = (old + timedelta(days=rng.randint(20, 200))).strftime("%Y-%m-%dT%H:%M:%SZ")
        if rng.random() < DEADLINE_SHARE_UPDATE:  # the new expiry as the user says it
            dl = W.draw_deadline(rng, after=old)
            check["expires"], check["deadline"] = dl.expires, dl.to_json()
            check["verify_at"] = (old + timedelta(days=rng.randint(20, 80))).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        check["expires"] = _expiry(rng)
        if change:
            check["change"] = {"kind": change}
        if followup:
            check["change"] = followup
        if sub != "update" and rng.random() < DEADLINE_SHARE:  # an update keeps the pasted policy's expiry
            dl = W.draw_deadline(rng)
            check["expires"], check["deadline"] = dl.expires, dl.to_json()
    if sub == "rego" or (followup and followup["kind"] == "add-rego"):
        check["rego"] = policy_rego.draw(rng, pipe)
        check["rego"]["given"] = sub == "rego" and rng.random() >= NEW_MODULE_SHARE
        if check["rego"]["kind"] == "branch":
            check["pipe"] = _on_its_branch(pipe).to_json()
    return check


def _on_its_branch(pipe: W.Pipeline) -> W.Pipeline:
    """`pipe` whose job checks out the branch it builds where the CI starts on a detached HEAD (GitLab,
    Jenkins): there git records `branch` as `HEAD` (go-witness v0.12.0 attestation/git/git.go:134, 202), which
    a branch rule denies, so a pipeline that meets one checks its branch out (`W.branch_checkout`)."""
    sc = W.scenarios(pipe)[0]
    return replace(pipe, branch=sc.branch) if sc.detached else pipe


# ----------------------------------------------------------------------------- names the user gives


@dataclass
class _Names:
    keys: dict[str, tuple[str, str]]
    """functionary JSON text -> (private key file, public key file)."""
    certs: dict[str, tuple[str, str]]
    """functionary JSON text -> (certificate file, intermediate file or "")."""
    labels: dict[str, str]
    policy_key: tuple[str, str]
    outs: dict[str, str]
    policy_file: str
    signed_file: str
    ca_files: tuple[str, str]
    """(root CA file, intermediate CA file)."""

    def key_of(self, f: W.Functionary) -> tuple[str, str]:
        return self.keys[_fid(f)]

    def signer(self, f: W.Functionary, *, long: bool = False) -> list[str]:
        key = self.keys[_fid(f)][0]
        if isinstance(f, W.CertIdentity):
            cert, inter = self.certs[_fid(f)]
            return W.signer_flags(key, cert, inter, long=long)
        return W.signer_flags(key, long=long)


def _fid(f: W.Functionary) -> str:
    return json.dumps(W.functionary_json(f), sort_keys=True)


_LEGACY_POLICY_KEYS = (
    ("policy-key.pem", "policy-key.pub"),
    ("keys/policy.pem", "keys/policy.pub"),
    ("policy-signer.pem", "policy-signer.pub.pem"),
    ("release/policy.key", "release/policy.pub"),
    ("secrets/policy-signing.pem", "policy-signing.pub"),
)
"""The policy key pairs of datasets made before round 14, whose checks name only the private key (`_policy_pub`);
newer checks also name the public key (`policy_pub_file`, drawn by `worlds.policy_key_files`)."""
_CA_FILES = (
    ("ca/root.pem", "ca/intermediate.pem"),
    ("pki/root-ca.crt", "pki/ci-ca.crt"),
    ("root.crt", "intermediate.crt"),
)


def _names(rng: random.Random, check: dict[str, Any]) -> _Names:
    files = W.draw_files(rng)
    keys: dict[str, tuple[str, str]] = {}
    certs: dict[str, tuple[str, str]] = {}
    labels: dict[str, str] = {}
    pipe = _pipe(check)
    alts = rng.sample(_ALT_SIGNERS, 2)
    shared = len({_fid(fs[0]) for fs in _funcs(check).values()}) == 1 and len(pipe.steps) > 1
    change = check.get("change", {}).get("kind")
    ca = rng.choice(_CA_FILES)
    everyone = [(step, j, f) for step, fs in _funcs(check).items() for j, f in enumerate(fs)]
    if check.get("retired"):
        everyone.append((check["retired"][0], -1, W.functionary_from_json(check["retired"][1])))
    for step, j, f in everyone:
        fid = _fid(f)
        if fid in keys:
            continue
        if j == -1:
            label = f"{step}-old"
        elif change in ("add-key", "replace-key") and (j == 1 or check.get("retired", [None])[0] == step):
            label = f"{step}-2027" if change == "replace-key" else f"{step}-new"
        elif j > 0:
            label = alts[(j - 1) % 2]
        elif shared:
            label = rng.choice(("ci", "ci-signer", "release", "witness"))
        else:
            label = step
        keys[fid] = files.key(label)
        labels[fid] = label
        if isinstance(f, W.CertIdentity):
            certs[fid] = (files.key(label)[0].rsplit(".", 1)[0] + ".crt", ca[1] if f.pki.inter_key else "")
    return _Names(
        keys, certs, labels, W.policy_key_files(rng), {s.name: files.out(s.name) for s in pipe.steps},
        *W.policy_files(rng), ca,
    )  # fmt: skip


# ----------------------------------------------------------------------------- how the user asks

_INTROS: dict[str, tuple[str, ...]] = {
    "one-step": (
        "Write a witness policy for our {project} build.",
        "I need a witness policy (JSON) that verifies the `{s0}` step of {project}.",
        "Can you give me the policy.json that makes `witness verify` accept our {project} attestation?",
        "What should the witness policy look like for this single-step job in {repo}?",
        "We attest one step of {project} with witness and now need a policy that verifies it.",
        "Create the witness policy for {repo}; there is just one step, `{s0}`.",
        "How do I go from this one attestation to a signed policy for {project}?",
        "Policy please: one witness step (`{s0}`) in {repo}, and I want verify to be strict about it.",
    ),
    "multi-step": (
        "Write a witness policy for our {n}-step pipeline ({chain}) of {project}.",
        "I need one witness policy covering {chain} in {repo}.",
        "Our {project} release has {n} witness steps ({chain}). What policy verifies the whole chain?",
        "How do I write a witness policy that links {chain} for {project}, so nothing can be swapped in between?",
        "We record every stage of {project} with witness: {chain}. Draft the policy.",
        "Could you put together the witness policy for {repo}? The steps are {chain}.",
        "I'm trying to get `witness verify` to check all {n} steps of {project} ({chain}), not just the last one.",
    ),
    "rego": (
        "Write a witness policy for {project} that also enforces a Rego rule: {what}.",
        "I have a Rego check I want witness to run during verification of {repo}. Give me the policy.",
        "How do I embed this Rego module in a witness policy for our {project} pipeline?",
        "Our security team has a new rule ({what}). Build the witness policy for {repo} with our Rego module.",
        "Give me a witness policy for {project} in which a Rego module gates one step: {what}.",
        "We want `witness verify` to reject runs that break this rule: {what}. Policy for {repo}, please.",
    ),
    "rego-new": (
        "Write a witness policy for {project} that refuses {refuse}. We have no Rego module for that yet, so write it too.",
        "I'd like the policy itself to reject {refuse} ({repo}). Can you write the Rego and the policy that embeds it?",
        "Our security team wants `witness verify` to fail on {refuse}. Give me the module and the whole policy for {repo}.",
        "How do I make the witness policy for {project} reject {refuse}? There is no Rego for it yet.",
        "Policy for {repo}, with one rule enforced inside it: {what}. Please write the Rego module as well and embed it.",
        "New requirement for {project}: {what}. Can the witness policy check that itself? Write whatever Rego it needs.",
        "Today a build of {repo} verifies even if it breaks this: {what}. Write the policy (and the Rego) that stops that.",
    ),
    "multi-functionary": (
        "Write a witness policy for {project} where `{s0}` may be signed by either of two keys.",
        "Two different keys can sign our `{s0}` attestations in {repo}. What policy accepts both?",
        "How do I allow two functionaries for the `{s0}` step in a witness policy for {project}?",
        "`{s0}` in {repo} is signed by CI, or by {alt} when CI is down. I need a policy that takes either.",
        "Our `{s0}` step is run either by CI or by {alt}. Draft the witness policy for {project}.",
        "I need a witness policy for {project} that trusts either of two signers for `{s0}`.",
    ),
    "x509": (
        "Our {project} runs sign with certificates from our internal CA instead of raw keys. Write the witness policy.",
        "How do I write a witness policy for {repo} when the attestations are signed with x509 certificates?",
        "We moved {project} to certificate-based signing ({who}). What does the witness policy look like now?",
        "I need a witness policy for {repo} that trusts our CA but only the identity {who}.",
        "Write the policy for {project}: functionaries are certificates issued by our {org} CA, not public keys.",
        "Can you give me a witness policy for {repo} with root/certConstraint functionaries instead of publickeys?",
    ),
    "update": (
        "Here is our current witness policy for {project}. {change_text}",
        "Please update this witness policy ({repo}). {change_text}",
        "I need to change our witness policy for {project}. {change_text}",
        "{change_text} This is the policy we use today for {repo}:",
        "How do I modify this witness policy for {project}? {change_text}",
        "Update the policy below for {repo}. {change_text}",
        "Small change to our {project} policy. {change_text}",
    ),
}


def _label(check: dict[str, Any]) -> str:
    """The request's kind in template ids and intros: its sub-kind, `rego-new` where it brings no module."""
    r = check.get("rego")
    return "rego-new" if r and not r["given"] else str(check["sub"])


def _chain(pipe: W.Pipeline) -> str:
    return " → ".join(f"`{s.name}`" for s in pipe.steps)


def _what_runs(sc: Any) -> str:
    return " ".join(sc.command)


def _fmt_key(f: W.Functionary) -> str:
    return f.label if isinstance(f, W.Key) else f.key.label


_CI_LEADS = {
    "github": ("Here's the workflow (`.github/workflows/release.yml`):", "Relevant part of our GitHub Actions workflow:",
               "This is our release workflow:"),
    "gitlab": ("Our `.gitlab-ci.yml` job:", "GitLab CI config:", "This is the release job in `.gitlab-ci.yml`:"),
    "jenkins": ("Jenkinsfile:", "Our Jenkins pipeline:", "The Jenkinsfile stages:"),
    "tekton": ("The Tekton task:", "Our Tekton Task definition:"),
    "make": ("Our Makefile targets:", "The release is driven by make:", "Makefile:"),
    "shell": ("The release script:", "`ci/release.sh`:", "Our CI runs this script:"),
}  # fmt: skip


def _pipeline_block(rng: random.Random, check: dict[str, Any], names: _Names, cmds: dict[str, str],
                    steps: list[W.StepSpec], world: W.World) -> str:  # fmt: skip
    """The user's pipeline, plus the SBOM a step writes where its command does not show the format: the
    answer's type (`https://spdx.dev/Document` / `https://cyclonedx.org/bom`) must follow from the prompt."""
    text = _pipeline_text(rng, check, names, cmds, steps, world)
    return text + "".join(f"\n\n{n}" for n in _sbom_notes(steps, world))


def _sbom_notes(steps: list[W.StepSpec], world: W.World) -> list[str]:
    """A sentence per step that records `sbom` and whose command (e.g. `make release`) does not name the
    SBOM format it writes."""
    out = []
    for s in steps:
        sc = world.scenarios[s.name]
        path = sc.sbom_path()
        if "sbom" not in s.attestors or path is None:
            continue
        cmd = _what_runs(sc)
        if re.search(r"spdx|cyclonedx", cmd, re.I):
            continue
        fmt = "SPDX JSON" if sc.sbom_kind == "spdx" else "CycloneDX JSON"
        out.append(f"`{cmd}` in `{s.name}` also writes the {fmt} SBOM `{path}`.")
    return out


def _pipeline_text(rng: random.Random, check: dict[str, Any], names: _Names, cmds: dict[str, str],
                   steps: list[W.StepSpec], world: W.World) -> str:  # fmt: skip
    """The user's pipeline: CI config, bare commands or prose (each names every `-a`, key and output)."""
    mode = rng.random()
    pipe = _pipe(check)
    if mode < 0.45:
        # the CI the runs happen in (its attestor, if recorded, only works there), or a CI-neutral wrapper
        ci = world.scenarios[pipe.steps[0].name].ci
        native = ci in ("github", "gitlab", "jenkins")
        system = rng.choice((ci, ci, "make", "shell") if native else ("tekton", "make", "shell"))
        sc0 = world.scenarios[pipe.steps[0].name]
        lang, text = W.ci_config(
            system,
            sc0.project,
            [(s.name, cmds[s.name]) for s in steps],
            id_token=any("github" in s.attestors for s in steps),
            checkout=W.branch_checkout(pipe, sc0) if system == ci else "",
        )
        return pick(rng, _CI_LEADS[system]) + f"\n```{lang}\n{text}\n```"
    if mode < 0.75:
        lead = pick(rng, ("Our CI runs:", "The steps run these commands:", "These are the witness invocations:",
                          "Each step is wrapped like this:", "Commands, in order:") if len(steps) > 1 else
                    ("Our CI runs:", "The step runs this command:", "This is the witness invocation:",
                     "The step is wrapped like this:", "The command:"))  # fmt: skip
        return lead + "\n```bash\n" + "\n".join(cmds[s.name] for s in steps) + "\n```"
    lines = []
    for i, s in enumerate(steps):
        sc = world.scenarios[s.name]
        f = _funcs(check)[s.name][0]
        a = f"`-a {','.join(s.attestors)}`" if s.attestors else "no `-a` flag"
        extra = "".join(f" and `{x}`" for x in s.flags)
        key = names.key_of(f)[0]
        cert = ""
        if isinstance(f, W.CertIdentity):
            cert_file, inter = names.certs[_fid(f)]
            cert = f" (certificate `{cert_file}`" + (f", intermediate `{inter}`" if inter else "") + ")"
        first = (
            pick(rng, ("First,", "To start,", "Step one:"))
            if i == 0
            else pick(rng, ("Then", "Next,", "After that,", "Finally," if i == len(steps) - 1 else "Then"))
        )
        lines.append(
            f"{first} `{s.name}` runs `{_what_runs(sc)}` under `witness run` with {a}{extra}, signed with `{key}`{cert}, "
            f"writing `{names.outs[s.name]}`."
        )
    return " ".join(lines)


KEY_STYLES = (0.2, 0.2, 0.06, 0.2, 0.08, 0.08, 0.08, 0.08)
"""Weights of `_key_lines` styles. PEM files alone (2) are a minority: people paste a key with its id, and a
small model that saw a third of them wrote ids it had to compute for keys whose ids the question gave
(witness-bench, 2026-12-06); style 3 pastes PEM files with their ids, which an answer copies. Styles 4-7
(one `sha256sum` for all files, a table, comment lines, prose) are how people paste several keys at once;
with only 0 and 1, Gemma 3 270M put one key into every multi-key policy (witness-bench 2026-12-07)."""


def _key_style(rng: random.Random) -> int:
    return rng.choices(range(len(KEY_STYLES)), weights=KEY_STYLES)[0]


def _key_lines(rng: random.Random, items: list[tuple[str, W.Key, str]], style: int) -> str:
    """What the user shows about functionary keys: (label, key, public file). style 0: `sha256sum`/`base64`
    output; 1: a list; 2: the PEM files themselves (the answer derives id and base64); 3: the PEM files and
    their ids and base64 (console output or in each file's caption); 4: one `sha256sum` of all files, then each
    `base64 -w0`; 5: a table; 6: a comment line per key above its base64; 7: a sentence per key."""
    if style == 3:
        if rng.random() < 0.5:
            return _key_lines(rng, items, 2) + "\n\n" + _key_lines(rng, items, 0)
        return "\n".join(
            _pem_block(pub, f"{key.label}; key id `{key.keyid}`, base64 `{key.b64}`", key)
            for _label, key, pub in items
        )
    if style == 0:
        out = ["```console"]
        for _label, key, pub in items:
            out += [f"$ sha256sum {pub}", f"{key.keyid}  {pub}", f"$ base64 -w0 {pub}", key.b64]
        return "\n".join([*out, "```"])
    if style == 1:
        return "\n".join(
            f"- {label} (`{pub}`, {key.label}): key id `{key.keyid}`, base64 `{key.b64}`"
            for label, key, pub in items
        )
    if style == 4:  # one sha256sum over all files, then the base64 of each
        pubs = " ".join(pub for _label, _key, pub in items)
        out = ["```console", f"$ sha256sum {pubs}", *(f"{key.keyid}  {pub}" for _label, key, pub in items)]
        for _label, key, pub in items:
            out += [f"$ base64 -w0 {pub}", key.b64]
        return "\n".join([*out, "```"])
    if style == 5:
        rows = [f"| {label} | `{pub}` | `{key.keyid}` | `{key.b64}` |" for label, key, pub in items]
        return "\n".join(["| signer | file | sha256sum | base64 -w0 |", "| --- | --- | --- | --- |", *rows])
    if style == 6:  # a comment line per key, its base64 below
        return "```text\n" + "\n".join(
            f"# {pub} ({label}, {key.label}) sha256sum={key.keyid}\n{key.b64}" for label, key, pub in items
        ) + "\n```"  # fmt: skip
    if style == 7:
        return " ".join(
            f"The {label} key is `{pub}` ({key.label}): `sha256sum` of that file gives `{key.keyid}`, and "
            f"`base64 -w0` gives `{key.b64}`."
            for label, key, pub in items
        )
    return "\n".join(_pem_block(pub, key.label, key) for _label, key, pub in items)


def _pem_block(pub: str, caption: str, key: W.Key) -> str:
    """A public key file as the user pastes it: its name, a caption in parentheses, the PEM fenced."""
    return f"`{pub}` ({caption}):\n```\n{key.pem.decode().strip()}\n```"


def _ident_text(ident: W.CertIdentity) -> str:
    if ident.email:
        attrs = [f"email `{ident.email}`"]
    else:
        attrs = [f"URI SAN `{ident.uri}`" if ident.uri else f"DNS SAN `{ident.dns}`"]
    if ident.cn:
        attrs.append(f"CN `{ident.cn}`")
    if ident.org:
        attrs.append(f"organization `{ident.org}`")
    return " and ".join(attrs)


def _cert_lines(rng: random.Random, pki: W.Pki, names: _Names, by_step: dict[str, W.CertIdentity]) -> str:
    root, inter = names.ca_files
    parts = ["```console", f"$ base64 -w0 {root}", base64.b64encode(pki.root_pem).decode()]
    if pki.inter_key is not None:
        parts += [f"$ base64 -w0 {inter}", base64.b64encode(pki.inter_pem or b"").decode()]
    parts.append("```")
    if rng.random() < 0.5:  # the CA files themselves above their base64 (how a CA is usually handed over)
        pems = [(root, pki.root_pem), *([(inter, pki.inter_pem or b"")] if pki.inter_key is not None else [])]
        shown = [f"`{f}`:\n```text\n{pem.decode().strip()}\n```" for f, pem in pems]
        parts = [
            "\n".join(shown),
            pick(rng, ("Their base64:", "As `base64 -w0`:", "Base64 of the files:")),
            *parts,
        ]
    chain = pick(rng, (f"`{root}` is our root CA", f"Our root CA is `{root}`")) + (
        f" and `{inter}` the intermediate that issues the CI certificates" if pki.inter_key
        else ", which issues the CI certificates directly"
    )  # fmt: skip
    idents = list(dict.fromkeys(by_step.values()))
    if len(idents) == 1:
        # the check refuses a certificate with another identity from the same CA (the rogue world), so
        # every phrasing says that only this identity may sign
        ident_text = pick(rng, ("The signing certificate has {w}; no other certificate from our CA may sign.",
                                "Every step signs with a certificate that has {w}, and any other certificate our "
                                "CA issues must be refused.",
                                "Only the certificate with {w} may sign."))  # fmt: skip
        ident_text = ident_text.format(w=_ident_text(idents[0]))
    else:
        ident_text = (
            "Each step has its own certificate, and no other certificate from our CA may sign it: "
            + "; ".join(f"`{step}` → {_ident_text(ident)}" for step, ident in by_step.items())
            + "."
        )
    return f"{chain}.\n" + "\n".join(parts) + f"\n{ident_text}"


_ROTATION_FILES = ("ca/root-2.pem", "pki/new-root.crt", "new-root-ca.pem")


def _new_root_file(names: _Names) -> str:
    """Where the user keeps the new root of a CA rotation (named like the old root's file)."""
    return _ROTATION_FILES[_CA_FILES.index(names.ca_files)]


def _rotation_lines(rng: random.Random, old: W.Pki, new: W.Pki, names: _Names) -> str:
    """The user's note on the CA rotation and the new root."""
    root = _new_root_file(names)
    ask = pick(rng, (
        f"We're migrating to a new CA, {new.root_name} (`{root}`). Until every runner has a certificate "
        f"from it, certificates with the same identity from either CA must pass.",
        f"Heads-up: the signing certificates move from {old.root_name} to {new.root_name} over the next weeks, "
        f"so both CAs have to be trusted for now (new root: `{root}`).",
        f"{old.root_name} is being replaced by {new.root_name}; during the rotation some runners sign with the "
        f"old CA and some with the new one (`{root}`), and both must verify.",
    ))  # fmt: skip
    return f"{ask}\n```console\n$ base64 -w0 {root}\n{base64.b64encode(new.root_pem).decode()}\n```"


_REQUIRE = (
    "Require every attestation type those runs record.",
    "The policy should require all attestations the runs produce.",
    "Each step must require exactly the attestations its run records.",
    "Make each step require everything its `witness run` records.",
    "Be strict: every attestation a run records should be required.",
)
_REQUIRE_ONE = (
    "Require every attestation type that run records.",
    "The policy should require all attestations the run produces.",
    "The step must require exactly the attestations its run records.",
    "Make the step require everything its `witness run` records.",
    "Be strict: every attestation the run records should be required.",
)


def _require(rng: random.Random, n: int) -> str:
    """The user's ask to require what the run(s) record, for `n` runs."""
    return pick(rng, _REQUIRE_ONE if n == 1 else _REQUIRE)


_EXPIRES = (
    "It should expire at {e}.",
    "Let it expire at {e}.",
    "Expiry: {e} please, in RFC 3339 as written.",
    "Make it valid until {e}.",
    "Set `expires` to {e}.",
)
_DEADLINE_ASKS: dict[str, tuple[str, ...]] = {
    "date-through": ("It should be valid through {t}.", "Keep it valid through {t} (inclusive).",
                     "It has to work through {t}, that day included."),
    "date-on": ("Have it expire {t}.", "It should expire on {t}.", "Expiry date: {t}.", "Let it run out on {t}."),
    "end": ("Make it valid until {t}.", "It should last through {t}.", "Expiry: {t}.",
            "Valid until {t}, then we re-sign a new one.", "Have it expire at {t}."),
    "start": ("Make it valid until {t}.", "It can stay valid until {t}; we re-sign before then.",
              "Expiry: {t}.", "Have it expire at {t}."),
}  # fmt: skip


def _deadline_ask(rng: random.Random, dl: dict[str, Any]) -> str:
    """How the user asks for the expiry `dl` (a `W.Deadline` as JSON)."""
    kind = dl["kind"]
    key = kind if kind.startswith("date") else ("start" if kind.endswith("start") else "end")
    return pick(rng, _DEADLINE_ASKS[key]).format(t=dl["text"])


def _said(check: dict[str, Any]) -> tuple[str, ...]:
    """Slot values the question says in words (a deadline), which the phrasing layer must not touch."""
    return (check["deadline"]["text"],) if check.get("deadline") else ()


def _expiry_ask(rng: random.Random, check: dict[str, Any]) -> str:
    if check.get("deadline"):
        return _deadline_ask(rng, check["deadline"])
    return pick(rng, _EXPIRES).format(e=check["expires"])


def _conversion(rng: random.Random, dl: dict[str, Any]) -> str:
    """The answer's sentence on how the stated deadline became `expires`."""
    how = dl["how"]
    return pick(rng, (
        f"`expires` must be an RFC 3339 timestamp (witness parses it with Go's `time.RFC3339`); {how}.",
        f"Witness reads `expires` as RFC 3339, so the deadline needs a time and a zone: {how}.",
        f"You gave the expiry as {dl['text']}; RFC 3339 wants a full timestamp, and {how}.",
    ))  # fmt: skip


_CHAIN = (
    "Each later step has to consume exactly what the step before it produced.",
    "Nothing may be swapped between steps: each step takes its artifacts from the previous one.",
    "Every step should take its materials from the step right before it.",
)
_OWN_KEYS = (
    "Each step may only be signed by its own key.",
    "A step signed with another step's key must not pass.",
)
_OTHERS_OWN_KEYS = (
    "Every other step may only be signed by its own key.",
    "Apart from that, a step signed with another step's key must not pass.",
)
"""`_OWN_KEYS` after the sentence that gives the first step a second signer (multi-functionary)."""


def _signing_ask(rng: random.Random, names: _Names) -> str:
    k, p = names.policy_key
    return pick(rng, (
        f"We sign policies with `{k}` (public half `{p}`).",
        f"The policy gets signed with `{k}`; verifiers have `{p}`.",
        f"Policy signing key: `{k}`, public key `{p}`.",
        f"It will be signed with `{k}` and verified with `{p}`.",
    ))  # fmt: skip


def _verify_ask(rng: random.Random, world: W.World) -> str:
    if world.artifact_path:
        return pick(rng, (
            f"The release gate verifies `{world.artifact_path}`.",
            f"What we verify in the end is `{world.artifact_path}`.",
            f"Deploy runs `witness verify` on `{world.artifact_path}`.",
        ))  # fmt: skip
    return pick(rng, (
        f"We verify the image by its digest, `{world.subject}`.",
        f"The deploy gate passes the image digest `{world.subject}` to verify.",
    ))  # fmt: skip


def _closing(rng: random.Random, names: _Names, *, update: bool) -> str:
    if update:
        return pick(rng, ("Give me the full updated policy and the signing command.",
                          "What's the complete new policy, and how do I sign and check it?",
                          "Please show the whole policy after the change, plus sign and verify commands."))  # fmt: skip
    return pick(rng, ("Also show how to sign it.", "How do I sign and verify it?", "And the commands to sign and verify, please.",
                      "Include the sign step.", ""))  # fmt: skip


def _question(rng: random.Random, check: dict[str, Any], names: _Names, world: W.World) -> tuple[str, int]:
    sub = check["sub"]
    pipe = _pipe(check)
    funcs = _funcs(check)
    sc0 = world.scenarios[pipe.steps[0].name]
    cmds = {s.name: W.run_command(rng, s, world.scenarios[s.name], names.signer(funcs[s.name][0], long=rng.random() < 0.2), names.outs[s.name])
            for s in pipe.steps}  # fmt: skip
    s0 = pipe.steps[0].name
    idents = [f for fs in funcs.values() for f in fs if isinstance(f, W.CertIdentity)]
    fields = {
        "project": sc0.project, "repo": sc0.repo_slug, "s0": s0, "n": len(pipe.steps), "chain": _chain(pipe),
        "what": (check.get("rego") or {}).get("what", ""), "refuse": (check.get("rego") or {}).get("refuse", ""),
        "alt": names.labels[_fid(funcs[s0][1])] if len(funcs[s0]) > 1 else "",
        "who": idents[0].who if idents else "", "org": idents[0].pki.org.title() if idents else "", "change_text": "",
    }  # fmt: skip
    key_style = _key_style(rng)
    parts: list[str] = []
    if sub == "update":
        return _update_question(rng, check, names, world, cmds, fields, key_style)
    intros = _INTROS[_label(check)]
    i = rng.randrange(len(intros))
    intro = intros[i].format(**fields)
    block = _pipeline_block(rng, check, names, cmds, list(pipe.steps), world)
    if idents:
        by_step = {n: fs[0] for n, fs in funcs.items() if isinstance(fs[0], W.CertIdentity)}
        keys_text = _cert_lines(rng, idents[0].pki, names, by_step)
        new = _rotation(funcs)
        if new is not None:
            keys_text += "\n\n" + _rotation_lines(rng, idents[0].pki, new, names)
    else:
        items: list[tuple[str, W.Key, str]] = []
        for s in pipe.steps:
            for f in funcs[s.name]:
                assert isinstance(f, W.Key)
                if all(f != k for _, k, _ in items):
                    items.append((names.labels[_fid(f)], f, names.key_of(f)[1]))
        lead = pick(
            rng, ("Functionary public keys:", "The public keys:", "Keys (public halves):", "Signer keys:")
        )
        keys_text = lead + "\n" + _key_lines(rng, items, key_style)
    reqs = [_require(rng, len(pipe.steps))]
    if len(pipe.steps) > 1:
        reqs.append(pick(rng, _CHAIN))
    if sub == "multi-functionary":
        alt = funcs[s0][1]
        reqs.append(
            f"`{s0}` may be signed by either key: when CI is down, {fields['alt']} runs the same command with `-k {names.key_of(alt)[0]}`."
        )
    if len(pipe.steps) > 1 and len({_fid(fs[0]) for fs in funcs.values()}) == len(pipe.steps) and not idents:
        reqs.append(pick(rng, _OTHERS_OWN_KEYS if sub == "multi-functionary" else _OWN_KEYS))
    reqs.append(_expiry_ask(rng, check))
    rego_text = ""
    if check.get("rego") and check["rego"]["given"]:
        r = check["rego"]
        b64 = base64.b64encode(r["module"].encode()).decode("ascii")
        rego_text = (
            f"Rego module `{r['name']}` ({r['what']}):\n```rego\n{r['module']}```\n"
            f"`base64 -w0 {r['name']}` prints:\n```text\n{b64}\n```"
        )
    order = rng.randrange(3)
    tail = [_verify_ask(rng, world), _signing_ask(rng, names), _closing(rng, names, update=False)]
    if order == 0:  # the ask first, then the material
        parts = [intro, block, keys_text, " ".join(reqs), rego_text, " ".join(t for t in tail if t)]
    elif order == 1:  # the situation first, the ask at the end
        parts = [
            block,
            keys_text,
            rego_text,
            " ".join(reqs),
            " ".join(t for t in tail[:2]),
            intro + " " + tail[2],
        ]
    else:  # the ask, requirements, then the material
        parts = [intro + " " + " ".join(reqs), block, keys_text, rego_text, " ".join(t for t in tail if t)]
    return "\n\n".join(p.strip() for p in parts if p.strip()), i


def _update_question(rng: random.Random, check: dict[str, Any], names: _Names, world: W.World, cmds: dict[str, str],
                     fields: dict[str, Any], key_style: int) -> tuple[str, int]:  # fmt: skip
    pipe = _pipe(check)
    funcs = _funcs(check)
    change = check["change"]["kind"]
    tail: list[str] = []
    if change == "add-step":
        old_policy = _reference_policy(check, steps=pipe.names[:-1])
    else:
        old = dict(check)
        if change == "add-key":
            old["funcs"] = {**check["funcs"], pipe.steps[0].name: check["funcs"][pipe.steps[0].name][:1]}
        elif change == "replace-key":  # the retired key, on every step that uses its replacement now
            step, fj = check["retired"]
            new_fj = check["funcs"][step][0]
            old["funcs"] = {n: [fj if f == new_fj else f for f in fs] for n, fs in check["funcs"].items()}
        elif change == "expiry":
            old["expires"] = check["change"]["old"]
        old.pop("rego", None)
        old_policy = _reference_policy(old)
    if change == "add-step":
        new, prev = pipe.steps[-1], pipe.steps[-2]
        f = funcs[new.name][0]
        fields["change_text"] = pick(rng, (
            f"We added a `{new.name}` step after `{prev.name}`; add it, taking its artifacts from `{prev.name}`.",
            f"Add a new `{new.name}` step that consumes what `{prev.name}` produces.",
            f"There's a new step, `{new.name}`, right after `{prev.name}`, and verify should cover it too.",
        ))  # fmt: skip
        shared = any(f in fs for n, fs in funcs.items() if n != new.name)
        tail.append(pick(rng, ("The new step runs:", "Its witness line:", "Here's how it is recorded:"))
                    + f"\n```bash\n{cmds[new.name]}\n```")  # fmt: skip
        if isinstance(f, W.Key) and not shared:
            tail.append("Its key:\n" + _key_lines(rng, [(new.name, f, names.key_of(f)[1])], key_style))
        elif shared:
            tail.append(
                f"It is signed with the same key as `{next(n for n, fs in funcs.items() if f in fs and n != new.name)}`."
            )
        tail.append(_require(rng, 1) + " Keep everything else as it is.")
    elif change in ("add-key", "replace-key"):
        step = pipe.steps[0].name if change == "add-key" else check["retired"][0]
        f = funcs[step][-1]
        assert isinstance(f, W.Key)
        if change == "add-key":
            fields["change_text"] = pick(rng, (
                f"We're rotating the `{step}` signing key: during the migration both the old and the new key must be accepted.",
                f"Also trust a second key for `{step}` (rotation; keep the old one for now).",
                f"`{step}` gets a new signing key, but old attestations must still verify for a while.",
            ))  # fmt: skip
            tail.append(f"The new runner uses `-k {names.key_of(f)[0]}`; everything else stays the same.")
        else:
            users = [n for n, fs in funcs.items() if f in fs]
            what = (
                f"`{step}` key"
                if len(users) == 1
                else "signing key (" + ", ".join(f"`{n}`" for n in users) + " use it)"
            )
            fields["change_text"] = pick(rng, (
                f"The {what} was rotated and the old one must no longer be accepted.",
                f"Replace the {what}; the old key is retired (possibly leaked), so drop it completely.",
                f"We retired the old {what}. Swap in the new one.",
            ))  # fmt: skip
            tail.append(
                pick(rng, ("The runs now use", "Runs now sign with")) + f" `-k {names.key_of(f)[0]}`."
            )
        tail.insert(0, pick(rng, ("The new key:", "New public key:", "Here's the new key:")) + "\n"
                    + _key_lines(rng, [("new key", f, names.key_of(f)[1])], key_style))  # fmt: skip
    elif check.get("deadline"):
        t = check["deadline"]["text"]
        fields["change_text"] = pick(rng, (
            f"It expires on {check['change']['old']}; extend it. " + _deadline_ask(rng, check["deadline"]),
            f"Change only its expiry. {_deadline_ask(rng, check['deadline'])}",
            f"Verification will start failing on {check['change']['old']}. We want it valid up to {t}.",
        ))  # fmt: skip
    else:
        fields["change_text"] = pick(rng, (
            f"It expires on {check['change']['old']}; extend it to {check['expires']}.",
            f"Change its expiry to {check['expires']} (nothing else changes).",
            f"Verification will start failing on {check['change']['old']}. Push the expiry out to {check['expires']}.",
        ))  # fmt: skip
    i = rng.randrange(len(_INTROS["update"]))
    parts = [_INTROS["update"][i].format(**fields), _policy_json(check, old_policy)]
    old_steps = list(pipe.steps[:-1]) if change == "add-step" else list(pipe.steps)
    if change not in ("add-step", "expiry") or rng.random() < 0.3:
        parts.append(_pipeline_block(rng, check, names, cmds, old_steps, world))
    else:  # the runs are not shown: say which attestation files verify gets
        outs = ", ".join(f"`{names.outs[s.name]}`" for s in old_steps)
        parts.append(pick(rng, (f"The existing steps write {outs}.", f"Attestation files so far: {outs}.",
                                f"Today verify gets {outs} as `-a`.")))  # fmt: skip
    parts += tail
    parts.append(
        _verify_ask(rng, world) + " " + _signing_ask(rng, names) + " " + _closing(rng, names, update=True)
    )
    return "\n\n".join(p for p in parts if p), i


# ----------------------------------------------------------------------------- the answer


def _types_line(rng: random.Random, spec: W.StepSpec, types: tuple[str, ...], version: WitnessVersion) -> str:
    recorded = ", ".join(f"`{get_attestor(t).name}`" if t not in SBOM_TYPES else f"`{t}`" for t in types)
    if spec.attestors:
        flag = f"`-a {','.join(spec.attestors)}`"
        forms = [
            f"`{spec.name}` runs with {flag}, so its collection holds {recorded}.",
            f"`{spec.name}` ({flag}) records {recorded}.",
        ]
        if set(spec.attestors) != set(simulate.DEFAULT_ATTESTORS):
            forms.append(
                f"With {flag}, `{spec.name}` records {recorded} — `-a` replaces the default environment,git."
            )
        return pick(rng, forms)
    return pick(rng, (
        f"`{spec.name}` has no `-a`, so witness records the defaults (environment, git) plus material, product and command-run: {recorded}.",
        f"`{spec.name}` has no `-a`: the defaults (environment, git) plus the always-run material, product and command-run: {recorded}.",
    ))  # fmt: skip


_WHY_TYPES = (
    "Each step lists exactly the attestation types its `witness run` records: witness looks a step's collection up by "
    "name and required types, so a type the run never recorded makes the step fail.",
    "A step passes only if its collection contains every type the step requires, so each step's `attestations` list "
    "mirrors what its run records — nothing more.",
    "The `attestations` of a step are the predicate types its run records: material, product and command-run always "
    "(with a command after `--`), plus what `-a` selects (environment and git when `-a` is not given).",
    "I required what the runs actually produce; asking for a type a run does not record would make that step unfindable.",
)
_WHY_TYPES_ONE = (
    "The step lists exactly the attestation types its `witness run` records: witness looks the collection up by "
    "name and required types, so a type the run never recorded makes the step fail.",
    "A step passes only if its collection contains every type the step requires, so the step's `attestations` list "
    "mirrors what the run records — nothing more.",
    "The `attestations` of a step are the predicate types its run records: material, product and command-run always "
    "(with a command after `--`), plus what `-a` selects (environment and git when `-a` is not given).",
    "I required what the run actually produces; asking for a type it does not record would make the step unfindable.",
)
_WHY_KEYS = (
    "Functionaries point at `publickeys` entries whose `key` is the public PEM base64-encoded (`base64 -w0`) and "
    "whose `keyid` is the SHA-256 of that key as witness re-encodes it (PKIX PEM, LF line endings, final newline) — "
    "the `sha256sum` of a `.pub` file in that form, as `openssl pkey -pubout` writes it.",
    "Witness parses each `key`, re-encodes it as a PKIX PEM (LF line endings, final newline) and aborts verification "
    "if the SHA-256 of that differs from `keyid`; for a public key file already in that form (what "
    "`openssl pkey -pubout` writes) the id is its `sha256sum`, and `key` is its `base64 -w0`.",
    "Every `publickeys` entry carries a PEM public key in base64 (`key`, which only has to parse) and the SHA-256 of "
    "that key in its canonical PKIX PEM form (`keyid`, which witness recomputes and checks); the functionaries refer "
    "to those ids.",
)
_WHY_DERIVED = (
    "A `keyid` is the SHA-256 of the public key as witness re-encodes it (PKIX PEM, LF line endings, final newline) "
    "and `key` is the PEM base64-encoded; the PEMs you pasted are already in that form, so both come from the pasted "
    "text with its final newline: `sha256sum` and `base64 -w0` of the file.",
    "Witness parses every `key`, re-encodes it as a PKIX PEM and stops if the SHA-256 of that differs from `keyid`; "
    "the PEMs you pasted are already in that canonical form, so the ids are their `sha256sum` and each `key` is the "
    "file's `base64 -w0`.",
    "You pasted the PEMs but not their ids; they are canonical PKIX PEMs (the form witness re-encodes a key to "
    "before hashing it), so `keyid` is `sha256sum` of the file and `key` its `base64 -w0`, both computed here from "
    "the text you pasted.",
)
_WHY_DERIVED_NEW = (
    "The PEM you pasted is already in the form witness hashes (PKIX, LF line endings, final newline), so the new "
    "key's `keyid` is its `sha256sum` and its `key` the file's `base64 -w0`, both computed here from the pasted "
    "text; the existing `publickeys` entries stay as they were.",
    "Witness parses every embedded key, re-encodes it as a PKIX PEM and checks that the SHA-256 of that is the "
    "`keyid`; the PEM you pasted is in exactly that form, so the new entry's id is its SHA-256 (its `key` is that "
    "file in base64), and the keys already in the policy keep their entries.",
)
_WHY_CHAIN = (
    "`artifactsFrom` makes witness compare each step's materials with what the step it names left behind, so a file "
    "changed between steps fails verification with `mismatched digests`.",
    "The hand-over between steps is enforced by `artifactsFrom`: a step's materials must match the artifacts of the "
    "step before it.",
    "Each step after the first names its predecessor in `artifactsFrom`; that is what stops anyone from swapping files "
    "between steps.",
)
_WHY_FOUND = (
    "Only the verified artifact is looked up by digest; witness reaches the other steps through the git commit "
    "back-reference, which is why every step records `git`.",
    "`witness verify` finds the step that produced the artifact by its digest and the other steps through the shared "
    "git commit (each records `git`).",
)
_WHY_MULTI = (
    "A step may list several functionaries; a collection signed by any one of them is accepted.",
    "Listing both keys as functionaries of `{step}` lets either signer's attestation pass — one match is enough.",
)
_WHY_X509 = (
    "A `root` functionary accepts a certificate signer whose certificate chains to a CA in `roots` and whose "
    'attributes match the `certConstraint` exactly (only `["*"]` is a wildcard).',
    "With certificate signing the policy embeds no signer key: it trusts the CA under `roots` and pins the identity "
    "in `certConstraint`, so a certificate from the same CA with a different identity is refused.",
    'A certificate functionary is `"type": "root"` with a `certConstraint`: the certificate must chain to a '
    "root listed in `roots` and carry exactly the constrained identity.",
)
_WHY_REGO = (
    "The Rego module goes base64-encoded (`base64 -w0 {name}`) into `regopolicies` of the `{type}` attestation of "
    "`{step}`; a non-empty `deny` set fails that step.",
    "Witness runs a step's Rego modules against the attestation type they are attached to, so `{name}` sits under "
    "`{type}` in `{step}`, base64-encoded.",
)


_BRANCH_HEAD = (
    "The git attestor records `branch` as the short name of the ref HEAD points to (go-git "
    "`head.Name().Short()`), so a detached checkout records `HEAD` and the rule denies it."
)
_DETACHED_OTHER = {
    "github": "In GitHub Actions a push run is checked out on its branch, but `pull_request` and tag runs check "
    "out a detached commit, so they record `HEAD` and fail this step.",
    "": "GitLab CI and Jenkins check out a detached HEAD by default (GitHub Actions does for `pull_request` and "
    'tag runs): put the checkout on its branch before `witness run`, e.g. `git checkout -B "$CI_COMMIT_REF_NAME" '
    '"$CI_COMMIT_SHA"` in GitLab CI, or Jenkins\' "Check out to matching local branch" behaviour.',
}


def _detached_note(ci: str) -> str:
    """What a branch rule does on a detached checkout, for the pipeline's CI (go-witness
    attestation/git/git.go:134, 202: `branch` is `head.Name().Short()`, `HEAD` when detached)."""
    if ci in ("gitlab", "jenkins"):
        return detached_note(ci)
    return f"{_BRANCH_HEAD} {_DETACHED_OTHER.get(ci, _DETACHED_OTHER[''])}"


def _summary(rng: random.Random, check: dict[str, Any], pipe: W.Pipeline) -> str:
    """An opening sentence about this pipeline (what the policy covers)."""
    n = len(pipe.steps)
    names = ", ".join(f"`{s}`" for s in pipe.names)
    if n == 1:
        s0 = pipe.steps[0].name
        return pick(rng, (
            f"One `witness run` means one policy step, `{s0}`, named exactly like its `-s`.",
            f"The policy has a single step, `{s0}` — the same name the run uses with `-s`.",
            f"Your job records one step, so the policy needs just `{s0}` plus its signer.",
            f"`{s0}` is the only step: the policy lists it with the types it records and who may sign it.",
        ))  # fmt: skip
    return pick(rng, (
        f"The policy has {n} steps ({names}), each named exactly like its `witness run -s`.",
        f"{'Both' if n == 2 else f'All {n}'} runs ({names}) become policy steps, chained with `artifactsFrom` in the order they run.",
        f"{names[:1].upper() + names[1:] if names[:1].isalpha() else names}: one policy step per `witness run`, named exactly like its `-s`.",
        f"Each of {names} gets its own step in the policy, linked to the one before it.",
        f"{n} steps, {n} entries: {names}, each with its own functionary list and required types.",
    ))  # fmt: skip


def _derived_keys(check: dict[str, Any], names: _Names, known: str) -> dict[str, tuple[str, W.Key]]:
    """The policy's keys whose id appears nowhere in what the user wrote (`known`): keyid -> (file, key)."""
    out: dict[str, tuple[str, W.Key]] = {}
    for fs in _funcs(check).values():
        for f in fs:
            if isinstance(f, W.Key) and f.keyid not in known:
                out.setdefault(f.keyid, (names.key_of(f)[1], f))
    return out


def _derive_from_pasted(check: dict[str, Any], names: _Names, known: str) -> dict[str, tuple[str, W.Key]]:
    """`_derived_keys` of the final answer; their pasted files go into the check, for the scorer."""
    derive = _derived_keys(check, names, known)
    if derive:
        check["files"] = {pub: key.pem.decode("ascii") for pub, key in derive.values()}
    return derive


def _derived_note(rng: random.Random, derive: dict[str, tuple[str, W.Key]]) -> str:
    """Where the ids of keys pasted as PEM alone come from, and what `sha256sum` must print for each.

    Witness never hashes the user's file: it parses `key` and hashes the key re-encoded as a PKIX PEM
    (go-witness cryptoutil `GeneratePublicKeyID` / `PublicPemBytes`, compared in `PublicKeyVerifiers`).
    The pasted PEM is in that form; a copy with CRLF endings hashes differently yet keeps the id."""
    ids = ", ".join(f"`sha256sum {pub}` prints `{keyid}`" for keyid, (pub, _key) in sorted(
        derive.items(), key=lambda kv: kv[1][0]))  # fmt: skip
    pub = min(p for p, _key in derive.values())
    canon = f"`openssl pkey -pubin -in {pub} | sha256sum`"
    more = " (likewise for the other files)" if len(derive) > 1 else ""
    return pick(
        rng,
        (
            f"Check the ids against your files before signing: {ids}. Witness never hashes the file itself: it "
            "parses `key`, re-encodes the public key as a PKIX PEM (64-character lines, LF endings, final newline) "
            "and compares the SHA-256 of that with `keyid`, and your paste is already in that form. A file that "
            "differs only in line endings or the final newline prints another `sha256sum` but keeps the id above. "
            "If it holds a "
            "different key, `key` may be its `base64 -w0` (witness only needs to parse it), but the id is the hash "
            f"of the re-encoded form, {canon}{more}, and that id goes into the functionaries too.",
            f"The ids were computed from the pasted PEM, which is already in the form witness hashes (it re-encodes "
            f"the key in `key` as a PKIX PEM with LF line endings and a final newline): {ids}. If yours prints "
            "something else only because of CRLF line endings or a missing final newline, the ids still hold; if "
            f"the file holds another key, its id is {canon}{more}, not the file's own `sha256sum` (its `key` can "
            "still be the file's `base64 -w0`).",
        ),
    )


KEYS_FIRST = Layout(top=("expires", "publickeys", "roots", "timestampauthorities", "steps"))
"""The order of a fresh policy: the keys (or roots) above the steps whose functionaries name them. Witness
reads JSON objects, so order never changes the meaning; a small model copies the pasted keys while they are
still close, and has written them when a functionary needs their ids (Gemma 3 270M gave every multi-key
policy one `publickeys` entry when they came after the steps, witness-bench 2026-12-07)."""


def _policy_json(check: dict[str, Any], policy: dict[str, Any]) -> str:
    """A policy as a JSON block; an update's pasted policy and its new version share the user's key order
    (`layout_for` the pipeline's seed) and style; a fresh one has its keys first and no empty `regopolicies`."""
    if check["sub"] == "update":
        return "```json\n" + W.compact_json(layout_for(_pipe(check).seed).apply(policy)) + "\n```"
    return "```json\n" + W.compact_json(KEYS_FIRST.apply(W.without_empty_rego(policy))) + "\n```"


def _signed_by(f: dict[str, Any], files: dict[str, str]) -> str:
    """Who signs under functionary `f` of a policy, in a few words: its key file, or its certificate identity."""
    if f.get("type") == "publickey":
        kid = f["publickeyid"]
        # a key the user never named by file is in the pasted policy: no 64-hex id in a plan (SmolLM2 tuned on
        # plans with ids wrote made-up ids there and ran out of tokens, witness-bench 2026-12-07)
        return f"`{files[kid]}`" if kid in files else "unchanged"
    c = f.get("certConstraint", {})
    who = [*c.get("emails", []), *c.get("uris", []), *c.get("dnsnames", [])]
    ident = who[0] if who else c.get("commonname") or "*"
    return f"a certificate for `{ident}` under " + " or ".join(f"`{r}`" for r in c.get("roots", []))


def _plan(rng: random.Random, policy: dict[str, Any], names: _Names, funcs: dict[str, list[W.Functionary]],
          asked: str) -> str:  # fmt: skip
    """One sentence before the policy that counts what it has: each step with its signer(s) and the step it takes
    materials from, and the number of keys (or roots), so the JSON that follows has them all. A key is named by
    its public key file where the user named that file (`asked`); others are the ones the pasted policy has."""
    files = {f.keyid: names.key_of(f)[1] for fs in funcs.values() for f in fs if isinstance(f, W.Key)}
    files = {k: pub for k, pub in files.items() if pub in asked}
    steps = []
    for name, st in policy["steps"].items():
        who = " or ".join(_signed_by(f, files) for f in st["functionaries"])
        frm = st.get("artifactsFrom") or []
        steps.append(f"`{name}` (signer {who}" + (f", materials from `{frm[0]}`)" if frm else ")"))
    n = _count(len(steps), "step")
    keys, roots = len(policy.get("publickeys", {})), len(policy.get("roots", {}))
    held = " and ".join(
        x for x in (keys and _count(keys, "key") + " in `publickeys`", roots and _count(roots, "root") + " in `roots`") if x
    )  # fmt: skip
    listed = "; ".join(steps) if len(steps) > 2 else " and ".join(steps)
    return pick(rng, (
        f"The policy has {n}: {listed}" + (f", with {held}." if held else "."),
        f"{n[0].upper()}{n[1:]}, {listed}" + (f", and {held}:" if held else ":"),
        f"Steps: {listed}." + (f" Signers: {held}." if held else ""),
    ))  # fmt: skip


def _count(n: int, noun: str) -> str:
    """`two steps`, `one key`: a small count in words."""
    words = ("no", "one", "two", "three", "four", "five", "six")
    return f"{words[n] if n < len(words) else n} {noun}{'' if n == 1 else 's'}"


def _answer(rng: random.Random, check: dict[str, Any], names: _Names, worlds: _Worlds, policy: dict[str, Any],
            version: WitnessVersion, derive: dict[str, tuple[str, W.Key]], asked: str) -> str:  # fmt: skip
    """The answer; `derive` (keyid -> public key file, key): keys whose id the user never gave, which the
    answer's script computes from the pasted files instead of quoting an id it cannot know; `asked`: what the
    user wrote (the plan names only the key files it mentions)."""
    w = worlds.positives[0]
    pipe = _pipe(check)
    funcs = _funcs(check)
    change = check.get("change", {}).get("kind")
    x509 = any(isinstance(f, W.CertIdentity) for fs in funcs.values() for f in fs)
    why: list[str] = []
    notes: list[str] = []
    if change == "add-step":
        new = pipe.steps[-1]
        why.append(pick(rng, (
            f"The new `{new.name}` step gets its own entry with the types its run records and `artifactsFrom: [\"{pipe.steps[-2].name}\"]`; the existing steps stay as they were.",
            f"Adding `{new.name}` means one more step (same name as its `-s`), its functionary, and an `artifactsFrom` edge to `{pipe.steps[-2].name}`.",
        )))  # fmt: skip
    elif change == "add-key":
        s0 = pipe.steps[0].name
        why.append(pick(rng, (
            f"The new key goes into `publickeys` and becomes a second functionary of `{s0}`; either key then passes.",
            f"For the rotation window `{s0}` lists both keys as functionaries — one matching signer is enough.",
        )))  # fmt: skip
    elif change == "replace-key":
        step = check["retired"][0]
        new_key = funcs[step][0]
        users = [n for n, fs in funcs.items() if new_key in fs]
        if len(users) == 1:
            whose, where = f"`{step}`'s functionaries", f"in `{step}`"
        else:
            listed = ", ".join(f"`{n}`" for n in users[:-1]) + f" and `{users[-1]}`"
            whose, where = f"the functionaries of {listed}", f"in {listed} (every step that used it)"
        why.append(pick(rng, (
            f"The retired key is removed from `publickeys` and from {whose} and the new one takes its place, so attestations signed with the old key no longer pass.",
            f"Dropping the old key entirely (both the `publickeys` entry and the functionary) is what stops it from being accepted; the new key replaces it {where}.",
        )))  # fmt: skip
    elif change == "add-attestor":
        c = check["change"]
        typ = get_attestor(c["attestor"]).type
        why.append(pick(rng, (
            f"`{c['step']}` now records `{c['attestor']}`, so that step also requires `{typ}`; everything else stays as in the previous policy.",
            f"Requiring `{c['attestor']}` is one more entry in `{c['step']}`'s `attestations`, `{typ}`; the rest of the policy is unchanged.",
        )))  # fmt: skip
        if not c["before"]:
            notes.append(
                f"`-a` replaces the default attestors, so the new `{c['step']}` line lists `environment` and `git` "
                f"explicitly next to `{c['attestor']}`; without them the run would stop recording those and the step would fail."
            )
    elif change == "add-rego":
        r = check["rego"]
        why.append(pick(rng, (
            f"The rule becomes a Rego module on `{r['step']}`'s `{r['type']}` attestation; every other part of the policy stays as it was.",
            f"Only `{r['step']}` changes: its `{r['type']}` entry gets the module in `regopolicies`, the rest of the policy is the previous one.",
        )))  # fmt: skip
    elif change == "expiry" and check.get("deadline"):
        why.append(pick(rng, (
            f"Only `expires` changes, to `{check['expires']}`; every other field stays byte-for-byte the same.",
            f"Witness refuses a policy once `expires` has passed, so only that field moves, to `{check['expires']}`.",
        )))  # fmt: skip
        why.append(_conversion(rng, check["deadline"]))
    elif change == "expiry":
        why.append(pick(rng, (
            f"Only `expires` changes (RFC 3339: `{check['expires']}`); every other field stays byte-for-byte the same.",
            f"Witness refuses a policy once `expires` has passed, so only that field moves to `{check['expires']}`.",
        )))  # fmt: skip
    else:
        why.append(_summary(rng, check, pipe))
        why.append(pick(rng, _WHY_TYPES if len(pipe.steps) > 1 else _WHY_TYPES_ONE))
    if check.get("deadline") and change != "expiry":
        notes.insert(0, _conversion(rng, check["deadline"]))
    if x509:
        why.append(pick(rng, _WHY_X509))
    elif change not in ("expiry", "add-attestor", "add-rego"):
        given = set(policy.get("publickeys", {})) - set(derive)
        why.append(pick(rng, (_WHY_DERIVED_NEW if given else _WHY_DERIVED) if derive else _WHY_KEYS))
    if len(pipe.steps) > 1 and change in (None, "add-step"):
        (why if len(why) < 3 else notes).append(pick(rng, _WHY_CHAIN))
    if check["sub"] == "multi-functionary":
        (why if len(why) < 3 else notes).insert(0, pick(rng, _WHY_MULTI).format(step=pipe.steps[0].name))
    if check.get("rego"):
        r = check["rego"]
        sentence = pick(rng, _WHY_REGO).format(name=r["name"], type=r["type"], step=r["step"])
        if len(why) < 3:
            why.append(sentence)
        else:
            notes.append(sentence)
        if not r["given"]:  # the answer wrote the module: what it reads
            (why if len(why) < 3 else notes).append(r["field"])
        if r["kind"] == "branch":
            # go-witness attestation/git/git.go:134, 202 records `branch` as go-git's `head.Name().Short()`:
            # `HEAD` on a detached checkout (GitLab CI, Jenkins, GitHub pull_request runs), which the rule denies
            notes.append(_detached_note(pipe.ci))
    described = (
        pipe.steps[-1:] if change == "add-step"
        else (pipe.step(check["change"]["step"]),) if change == "add-attestor"
        else (pipe.steps if change is None else ())
    )  # fmt: skip
    for spec in described:
        notes.append(_types_line(rng, spec, worlds.types[spec.name], version))
    if len(pipe.steps) > 1 and change is None:
        notes.append(pick(rng, _WHY_FOUND))
        if version.artifacts_need_overlap:
            notes.append(
                "Since witness v0.12 each `artifactsFrom` pair must also share at least one file, which these steps do."
            )
    exported = sorted({x for s in described for x in s.export})
    if len(exported) == 1:
        notes.append(
            f"`--attestor-{exported[0]}-export` writes {exported[0]} to a separate `<outfile>-{exported[0]}.json` "
            "instead of the collection, so the step must not require it."
        )
    elif exported:  # each exporter writes its own file, named after its attestor
        flags = " and ".join(f"`--attestor-{x}-export`" for x in exported)
        files = ", ".join(f"`<outfile>-{x}.json`" for x in exported)
        notes.append(
            f"{flags} write each attestation to its own file ({files}) instead of the collection, so the step "
            "must not require them."
        )
    if any(t in SBOM_TYPES for s in described for t in worlds.types[s.name]):
        notes.append(
            "An SBOM attestation's type is the document's own (`https://spdx.dev/Document` or `https://cyclonedx.org/bom`), not `.../sbom/v0.1`."
        )
    if x509:
        first = next(f for fs in funcs.values() for f in fs if isinstance(f, W.CertIdentity))
        pki = first.pki
        new_ca = _rotation(funcs)
        if new_ca is not None:
            root = _new_root_file(names)
            why.insert(0, pick(rng, (
                f"During the rotation both roots are in `roots` and every `certConstraint.roots` names both "
                f'(`["{pki.root_id}", "{new_ca.root_id}"]`), so the same identity passes with a certificate from '
                "either CA; a certificate from any other CA is still refused.",
                f"`certConstraint.roots` takes several root ids: `{new_ca.root_id}` (`base64 -w0 {root}`) goes into "
                f"`roots` next to `{pki.root_id}` and into each constraint, with the identity pins unchanged.",
            )))  # fmt: skip
            notes.append(
                f"When the migration is over, remove `{pki.root_id}` from `roots` and from every "
                "`certConstraint.roots`, re-sign, and the old CA's certificates stop verifying."
            )
        notes.append(
            f"`roots.{pki.root_id}.certificate` is `base64 -w0 {names.ca_files[0]}`"
            + (f" and its `intermediates` holds `base64 -w0 {names.ca_files[1]}`" if pki.inter_key else "")
            + f"; the id `{pki.root_id}` is just a name that `certConstraint.roots` refers to."
        )
    pk, pub = names.policy_key
    sign = pick(rng, (
        f"witness sign -f {names.policy_file} -o {names.signed_file} -k {pk}",
        f"witness sign --infile {names.policy_file} --outfile {names.signed_file} --signer-file-key-path {pk}",
    ))  # fmt: skip
    target = f"-f {w.artifact_path}" if w.artifact_path else f"-s {w.subject}"
    verify = f"witness verify -p {names.signed_file} -k {pub} {target}" + "".join(
        f" -a {names.outs[s.name]}" for s in pipe.steps
    )
    check_cmds = [sign, verify]
    if not version.policy_check_note and rng.random() < 0.4:
        check_cmds.insert(0, f"witness policy check {names.policy_file}")
    pf = names.policy_file
    saves = (
        f"Save it as `{pf}`, sign it with the policy key and run verify:",
        f"Save this as `{pf}`, then sign and verify:",
        f"Write it to `{pf}`; sign it (`witness verify` only accepts a signed policy) and verify with all attestations:",
    )
    # the file is named above the JSON, or else by the sentence before the commands
    labelled = rng.random() < 0.5
    intro = pick(rng, (
        "Sign it (`witness verify` only accepts a signed policy), then verify with all attestations:",
        saves[0],
        "Then sign and verify:",
        f"Sign with `{pk}` and check the pipeline against it:",
    ) if labelled else saves)  # fmt: skip
    if derive:  # the ids come from the pasted files: show the lines that confirm them
        check_cmds[:0] = [
            f"sha256sum {pub_file}" for pub_file, _key in sorted(derive.values(), key=lambda v: v[0])
        ]
        notes.insert(0, _derived_note(rng, derive))
        intro = (
            "Check the key ids against your files, then sign the policy and verify:"
            if labelled
            else f"Save it as `{pf}`, check the key ids against your files, then sign and verify:"
        )
    body = _policy_json(check, policy)
    lesson = teach.Lesson(
        why=why,
        artifact=_written_module(rng, check)
        + _plan(rng, policy, names, funcs, asked)
        + "\n\n"
        + (f"`{pf}`:\n" + body if labelled else body),
        check=check_cmds,
        check_intro=intro,
        notes=notes,
    )
    return teach.render(rng, lesson)


_MODULE_B64 = (
    "`base64 -w0 {name}` gives the `module` value of its `regopolicies` entry:",
    "Its base64 (`base64 -w0 {name}`) is what goes into `module`:",
    "The policy embeds it base64-encoded (`base64 -w0 {name}`):",
)


def _written_module(rng: random.Random, check: dict[str, Any]) -> str:
    """The module the answer writes where the user brought none, and its base64 ("" otherwise)."""
    r = check.get("rego")
    if not r or r["given"]:
        return ""
    b64 = simulate.rego_module(r["name"], r["module"])["module"]
    lead = pick(rng, _MODULE_B64).format(name=r["name"])
    return f"`{r['name']}`:\n```rego\n{r['module']}```\n\n{lead}\n```text\n{b64}\n```\n\n"


def make(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Example:
    """A policy task; its reference policy verifies the genuine pipelines under every release profile
    (`score` runs the release the check records, `version`); `version` also decides whether the answer
    mentions `witness policy check` (v0.11 and later)."""
    sub = rng.choice(SUBKINDS)
    check = _make_check(rng, sub)
    worlds = _worlds(check)
    names = _names(rng, check)
    if sub == "followup":
        return _followup(rng, check, names, worlds, version)
    question, i = _question(rng, check, names, worlds.positives[0])
    check["policy_key_file"], check["policy_pub_file"] = names.policy_key
    policy = _reference_policy(check)
    derive = _derive_from_pasted(check, names, question)
    answer = _answer(rng, check, names, worlds, policy, version, derive, question)
    group = _group(sub, check)
    change = check.get("change", {}).get("kind")
    return Example(
        family=NAME,
        group=group,
        template=f"{NAME}/{_label(check)}{'-' + change if change else ''}/{i}",
        question=phrasing.dress(rng, question, _said(check)),
        answer=answer,
        check=check,
        system=phrasing.system_prompt(rng),
        meta={"sub": sub, "change": change, "steps": list(_pipe(check).names)},
    )


def _base_check(check: dict[str, Any]) -> dict[str, Any]:
    """The first turn's task of a follow-up: the pipeline before the second turn's change."""
    pipe = _pipe(check)
    c = check["change"]
    base = {k: v for k, v in check.items() if k != "change"}
    if c["kind"] == "add-step":
        pipe = W.Pipeline(pipe.seed, pipe.steps[:-1], pipe.language, pipe.ci, pipe.sbom, pipe.branch)
        base["funcs"] = {n: fs for n, fs in check["funcs"].items() if n in pipe.names}
    elif c["kind"] == "add-rego":
        base.pop("rego")
    else:
        pipe = pipe.with_step(c["step"], attestors=tuple(c["before"]))
    base["pipe"] = pipe.to_json()
    base["sub"] = "one-step" if len(pipe.steps) == 1 else "multi-step"
    return base


_TURN2: dict[str, tuple[str, ...]] = {
    "add-step": (
        "Now add a `{new}` step with its own key that takes `{prev}`'s products.",
        "We also attest `{new}` now, right after `{prev}`. It has its own signing key and consumes what `{prev}` produced. Add it.",
        "Next change: a `{new}` step after `{prev}`, signed with a separate key, with `{prev}`'s products as its materials.",
        "Extend it: `{new}` runs after `{prev}` on `{prev}`'s output and signs with a key of its own.",
    ),
    "add-attestor": (
        "Also require the `{att}` attestor on `{step}`.",
        "We turned on `{att}` for `{step}`. Update the policy so it is required.",
        "Now `{step}` records `{att}` as well; make the policy require it.",
        "One more requirement: `{step}` must carry a `{att}` attestation.",
    ),
    "add-rego": (
        "Now make the policy itself refuse {refuse}.",
        "One more rule: {what}. Can the policy enforce that? Add whatever Rego it needs.",
        "Security review asked for this on top: verify must fail for {refuse}. Update the policy.",
        "Extend it with a Rego check: {what}.",
        "Also, {what}. I'd like witness to enforce that at verify time, not just by convention.",
    ),
}
_TURN2_CLOSE = (
    "Give me the complete policy again.",
    "Show the whole new policy.",
    "Please post the full updated policy, not just the change.",
    "Whole policy please, plus the sign and verify commands.",
)


def _followup(rng: random.Random, check: dict[str, Any], names: _Names, worlds: _Worlds,
              version: WitnessVersion) -> Example:  # fmt: skip
    """Two turns: a policy request and its answer, then a change to that policy (answer: the whole new one)."""
    base = _base_check(check)
    bpipe = _pipe(base)
    bfuncs = _funcs(base)
    bworld = W.run(bpipe, _first(bfuncs))
    bworlds = _Worlds((bworld,), (), {s.name: bworld.types(s.name) for s in bpipe.steps})
    q1, _ = _question(rng, base, names, bworld)
    a1 = _answer(
        rng, base, names, bworlds, _reference_policy(base), version, _derived_keys(base, names, q1), q1
    )
    pipe = _pipe(check)
    funcs = _funcs(check)
    world = worlds.positives[0]
    c = check["change"]
    kind = c["kind"]
    i = rng.randrange(len(_TURN2[kind]))
    parts: list[str] = []
    key_style = _key_style(rng)
    if kind == "add-step":
        new, prev = pipe.steps[-1], pipe.steps[-2]
        f = funcs[new.name][0]
        assert isinstance(f, W.Key)
        parts.append(_TURN2[kind][i].format(new=new.name, prev=prev.name))
        cmd = W.run_command(rng, new, world.scenarios[new.name], names.signer(f), names.outs[new.name])
        parts.append(pick(rng, ("It runs:", "Its witness line:", "The step:")) + f"\n```bash\n{cmd}\n```")
        parts.append(pick(rng, ("Its key:", "The new key:", "Public key of the new signer:")) + "\n"
                     + _key_lines(rng, [(new.name, f, names.key_of(f)[1])], key_style))  # fmt: skip
        parts += _sbom_notes([new], world)
        parts.append(_require(rng, 1))
    elif kind == "add-rego":
        r = check["rego"]
        parts.append(_TURN2[kind][i].format(refuse=r["refuse"], what=r["what"]))
    else:
        spec = pipe.step(c["step"])
        f = funcs[spec.name][0]
        parts.append(_TURN2[kind][i].format(att=c["attestor"], step=spec.name))
        cmd = W.run_command(rng, spec, world.scenarios[spec.name], names.signer(f), names.outs[spec.name])
        parts.append(
            pick(rng, ("The run is now:", "New line:", "It runs like this now:")) + f"\n```bash\n{cmd}\n```"
        )
        key_style = 0
    parts.append(pick(rng, _TURN2_CLOSE))
    question = "\n\n".join(parts)
    check["policy_key_file"], check["policy_pub_file"] = names.policy_key
    policy = _reference_policy(check)
    derive = _derive_from_pasted(check, names, q1 + "\n" + question)
    answer = _answer(rng, check, names, worlds, policy, version, derive, q1 + "\n" + question)
    group = _group("followup", check)
    return Example(
        family=NAME,
        group=group,
        template=f"{NAME}/followup-{kind}/{i}",
        question=phrasing.dress(rng, question, _said(check)),
        answer=answer,
        check=check,
        system=phrasing.system_prompt(rng),
        meta={"sub": "followup", "change": kind, "steps": list(pipe.names)},
        history=[
            {"role": "user", "content": phrasing.dress(rng, q1, _said(base))},
            {"role": "assistant", "content": a1},
        ],
    )


# ----------------------------------------------------------------------------- scoring


def _signs(answer: str, key_file: str, version: WitnessVersion) -> tuple[list[str], str]:
    """The files the answer's valid `witness sign` commands with the policy key write (normalised), and why
    the others do not count (when none does)."""
    cmds = [c for c in answers.commands(answer) if c.split()[:2] == ["witness", "sign"]][:20]
    if not cmds:
        return [], "no `witness sign` command"
    why = ""
    outs: list[str] = []
    for c in cmds:
        a = parse_command(c, version=version)
        if a.errors:
            why = f"invalid sign command: {a.errors[0].message}"
            continue
        if not a.infile or not a.outfile:
            why = "sign command lacks -f/-o"
            continue
        if clean_path(a.signer_key) != clean_path(key_file):
            why = f"sign command does not use the policy key {key_file}"
            continue
        outs.append(clean_path(a.outfile))
    return outs, why


def _sign_problem(answer: str, key_file: str, version: WitnessVersion) -> str | None:
    outs, why = _signs(answer, key_file, version)
    return None if outs else why


def _policy_pub(key_file: str) -> str | None:
    """The public half a pre-round-14 prompt names for the policy signing key `key_file` (`_signing_ask`)."""
    norm = clean_path(key_file)
    return next((pub for key, pub in _LEGACY_POLICY_KEYS if key == norm), None)


def _verify_problem(answer: str, key_file: str, version: WitnessVersion, pub_file: str = "") -> str | None:
    """What is wrong with a `witness verify` command of the answer (None: none given, or all right).

    Every proposed verify must parse without errors (options/verify.go: `-p/--policy`, `-k/--publickey`,
    `-f/--artifactfile`, `-s/--subjects`, `-a/--attestations`...), pass to `-p` a file the answer's
    `witness sign` with the policy key writes (cmd/verify.go verifies the policy's DSSE signature; the
    unsigned policy has none) and to `-k` the policy key's public half the prompt names (not a private key,
    not a functionary key)."""
    signed, _ = _signs(answer, key_file, version)
    pub = pub_file or _policy_pub(key_file)
    for c in [c for c in answers.commands(answer) if c.split()[:2] == ["witness", "verify"]][:20]:
        if len(c.split()) <= 2:  # a mention such as `witness verify` in prose, not a proposed command
            continue
        a = parse_command(c, version=version)
        if a.help_requested:
            continue
        if a.errors:
            return f"invalid verify command: {a.errors[0].message}"[:300]
        if signed and clean_path(a.policy) not in signed:
            return f"verify -p {a.policy} is not the signed policy the sign command writes ({signed[0]})"
        if pub and clean_path(a.publickey) != clean_path(pub):
            return f"verify -k {a.publickey} is not the policy signer's public key {pub}"
    return None


def _static_problem(check: dict[str, Any], policy: Any, worlds: _Worlds) -> str | None:
    want = list(_pipe(check).names)
    got = list(policy.steps)
    if sorted(got) != sorted(want):
        return f"policy steps {got} != expected {want}"
    for name in want:
        step = policy.steps[name]
        types = {a.type for a in step.attestations}
        need = set(worlds.types[name])
        if types != need:
            missing = sorted(need - types)
            extra = sorted(types - need)
            return f"step {name}: attestations missing {missing} / not recorded {extra}"
    for spec in _pipe(check).steps:
        missing = [f for f in spec.artifacts_from if f not in policy.steps[spec.name].artifacts_from]
        if missing:
            return f"step {spec.name} does not take its artifacts from {missing[0]} (artifactsFrom)"
    if check.get("rego"):
        r = check["rego"]
        step = policy.steps[r["step"]]
        entries = [p for a in step.attestations if a.type == r["type"] for p in a.rego_policies]
        if not entries:
            return f"no regopolicies on {r['type']} in step {r['step']}"
        # a module without `name` is fine for witness (go-witness policy/rego.go passes it to
        # ast.ParseModule as the file name, "" included); two modules of one attestation with the same
        # name are not: OPA's rego.ParsedModule keys modules by file name, so the later one replaces the
        # earlier and its package's `deny` is undefined (the verify worlds below model that outcome)
    return None


def _verify(env: Any, worlds: _Worlds, world: W.World, key: Any, ctx: ScoreContext, rego: bool, now: datetime,
            version: WitnessVersion) -> wverify.VerifyResult:  # fmt: skip
    return wverify.verify(
        env, worlds.collections(world, version), [world.subject],
        wverify.VerifyOptions(version=version, policy_verifiers=[key], rego=ctx.rego if rego else None, now=now),
    )  # fmt: skip


@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    doc = find_policy(answer, check.get("files"))
    if doc is None:
        return Score.failed("no JSON policy (object with `steps`) in the answer")
    data = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    if len(data) > MAX_POLICY_CHARS:
        return Score.failed("policy too large")
    # no `module` anywhere: no Rego module to compile or evaluate (skips a second decode of the policy)
    rego = b"module" in data.lower() and has_rego(data)
    version = ctx.version(check)
    report = check_policy(data, now=ctx.now, rego=ctx.rego if rego else None, version=version)
    if report.errors:
        return Score.failed("policy check: " + report.errors[0].line("error"))
    policy = report.policy
    if policy is None or policy.expires is None:
        return Score.failed("policy has no expiry")
    dl = check.get("deadline")
    if dl:  # a stated day: any time of the day the user named is a correct reading of it
        lo, hi = (parse_rfc3339(t) for t in dl["window"])
        if not lo <= policy.expires <= hi:
            return Score.failed(f"expires is not {dl['text']} (e.g. {check['expires']})")
    elif policy.expires != parse_rfc3339(check["expires"]):
        return Score.failed(f"expires is not {check['expires']}")
    worlds = _worlds(check)
    problem = _static_problem(check, policy, worlds)
    if problem:
        return Score.failed(problem)
    problem = _sign_problem(answer, check.get("policy_key_file", ""), version) or _verify_problem(
        answer, check.get("policy_key_file", ""), version, check.get("policy_pub_file", "")
    )
    if problem:
        return Score.failed(problem)
    pkey = W.Key.from_json(check["policy_key"])
    env = simulate.sign_policy(data, pkey.signer)
    key = pkey.verifier
    times = [ctx.now] + ([parse_rfc3339(check["verify_at"])] if check.get("verify_at") else [])
    for i, world in enumerate(worlds.positives):
        for now in times:
            res = _verify(env, worlds, world, key, ctx, rego, now, version)
            if not res.passed:
                why = (res.reasons or [res.error or "?"])[0].splitlines()[0]
                return Score.failed(
                    f"verify FAILS on the genuine pipeline #{i} ({version.label}): {why[:200]}"
                )
    for label, world in worlds.negatives:
        res = _verify(env, worlds, world, key, ctx, rego, ctx.now, version)
        if res.passed:
            return Score.failed(f"verify PASSES a bad world ({version.label}): {label}")
    return Score.passed()


FAMILY = Family(
    name=NAME,
    description="Write or update a witness policy (JSON) for a described pipeline, and sign it.",
    make=make,
    score=score,
)
