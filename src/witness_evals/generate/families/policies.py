"""Family `policies`: write (or update) a witness policy for a described pipeline.

The user states the `witness run` commands of their steps, the functionary keys (keyid = `sha256sum
key.pub`, base64 of the PEM = `base64 -w0 key.pub`, REFERENCE.md §3.4), the expiry and the policy
signing key. The reference answer is a policy built by `simulate.policy_for` from the very pipeline
those commands produce, plus the `witness sign` command.

Sub-kinds: `one-step`, `multi-step` (artifactsFrom, one key per step), `rego` (a given module placed in
`regopolicies`), `multi-functionary` (either of two keys may sign a step) and `update` (add a step, add
a key, change the expiry of a given policy).

The check holds only seeds and small parameters; `score` regenerates the pipeline worlds from it
(cached), statically checks the answer's policy (`policy_check`, expiry, step names, required types,
the sign command), signs it with the policy key and runs `verify` on the genuine worlds (must PASS) and
on negative worlds (foreign key, missing attestor, swapped step keys, tampered artifacts between
steps, a run violating the Rego rule): each must FAIL.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import posixpath
import random
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.bench.scorers.policy import find_policy, has_rego
from witness_evals.generate import phrasing
from witness_evals.generate.example import Example
from witness_evals.generate.families import Family
from witness_evals.witness import crypto, simulate, versions
from witness_evals.witness import verify as wverify
from witness_evals.witness.attestors import get as get_attestor
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.cli_spec import parse_command
from witness_evals.witness.digests import sha256_hex
from witness_evals.witness.policy import parse_rfc3339
from witness_evals.witness.policy_check import check_policy
from witness_evals.witness.versions import WitnessVersion

NAME = "policies"
SUBKINDS = ("one-step", "multi-step", "rego", "multi-functionary", "update")
UPDATE_CHANGES = ("add-step", "add-key", "expiry")
DEFAULTS = ("environment", "git")
MAX_POLICY_CHARS = 150_000

COMMAND_RUN = get_attestor("command-run").type
GIT = get_attestor("git").type
ENVIRONMENT = get_attestor("environment").type

# ----------------------------------------------------------------------------- keys and worlds


@functools.lru_cache(maxsize=4096)
def _signer(seed: int) -> crypto.Signer:
    return crypto.Signer(crypto.generate_private_key("ed25519", seed=seed))


def _pub_pem(seed: int) -> bytes:
    return _signer(seed).verifier().public_pem()


@functools.lru_cache(maxsize=512)
def _base_scenario(world: int, step: str) -> Scenario:
    return Scenario.random(random.Random(world), step_kind="build", sbom_kind="none", step=step)


@dataclass(frozen=True)
class _World:
    """Loaded `-a` files of one set of runs plus the `-f` artifact digest."""

    results: dict[str, simulate.RunResult]
    scenarios: dict[str, Scenario]
    artifact_path: str
    artifact: bytes
    collections: tuple[wverify.SourceCollection, ...]

    @property
    def digest(self) -> str:
        return sha256_hex(self.artifact)


def _attestors_of(spec: dict[str, Any]) -> tuple[str, ...]:
    return tuple(spec["a"]) if spec["a"] else DEFAULTS


def _run_world(
    check: dict[str, Any],
    keys: dict[str, int],
    *,
    tamper_at: int | None = None,
    drop: str | None = None,
    violate: dict[str, str] | None = None,
) -> _World:
    specs = check["steps"]
    scen: list[Scenario] = []
    for i, spec in enumerate(specs):
        if i == 0:
            scen.append(_base_scenario(check["world"], spec["name"]))
        else:
            prev = simulate.tamper_products(scen[i - 1]) if tamper_at == i else scen[i - 1]
            scen.append(
                simulate.next_step_scenario(prev, spec["name"], spec["kind"], sbom=spec.get("sbom", "none"))
            )
    results: dict[str, simulate.RunResult] = {}
    for i, (spec, sc) in enumerate(zip(specs, scen, strict=True)):
        attestors = _attestors_of(spec)
        kwargs: dict[str, Any] = {}
        if i == 0 and drop is not None:
            attestors = tuple(a for a in attestors if a != drop)
        if i == 0 and violate is not None:
            if violate["kind"] == "command":
                kwargs["command"] = tuple(violate["value"].split())
            elif violate["kind"] == "branch":
                sc = sc.with_(branch=violate["value"])
            else:
                sc = sc.with_(os=violate["value"])
        results[spec["name"]] = simulate.run_step(
            spec["name"],
            sc,
            _signer(keys[spec["name"]]),
            attestors=attestors,
            export=spec.get("x", ()),
            **kwargs,
        )
    first = scen[0]
    path = first.product_paths()[0]
    # loaded from the file bytes like `witness verify -a <file>` does (an unloadable collection raises)
    cols = tuple(
        wverify.SourceCollection.load(r.dumps().encode(), f"{name}.json") for name, r in results.items()
    )
    return _World(
        results,
        {s["name"]: sc for s, sc in zip(specs, scen, strict=True)},
        path,
        first.files_after[path],
        cols,
    )


@dataclass(frozen=True)
class _Worlds:
    positives: tuple[_World, ...]
    negatives: tuple[tuple[str, _World], ...]
    types: dict[str, tuple[str, ...]]


_WORLD_KEYS = ("world", "steps", "rogue", "drop", "rego")


def _check_key(check: dict[str, Any]) -> str:
    return json.dumps(check, sort_keys=True, separators=(",", ":"))


def _world_key(check: dict[str, Any]) -> str:
    """The part of a check that determines its worlds (JSON text, the cache key)."""
    return _check_key({k: check.get(k) for k in _WORLD_KEYS})


@functools.lru_cache(maxsize=512)
def _first_world_cached(key: str) -> _World:
    check = json.loads(key)
    return _run_world(check, {s["name"]: s["keys"][0] for s in check["steps"]})


@functools.lru_cache(maxsize=256)
def _worlds_cached(key: str) -> _Worlds:
    return _build_worlds(json.loads(key))


def _build_worlds(check: dict[str, Any]) -> _Worlds:
    specs = check["steps"]
    first_keys = {s["name"]: s["keys"][0] for s in specs}
    positives = [_first_world_cached(_world_key(check))]
    for spec in specs:
        for seed in spec["keys"][1:]:
            positives.append(_run_world(check, {**first_keys, spec["name"]: seed}))
    negatives: list[tuple[str, _World]] = []
    s0 = specs[0]["name"]
    negatives.append(
        (
            "build signed by a key that is not in the policy",
            _run_world(check, {**first_keys, s0: check["rogue"]}),
        )
    )
    dropped = check.get("drop")
    if dropped:
        negatives.append(
            (f"{s0} run without the {dropped} attestor", _run_world(check, first_keys, drop=dropped))
        )
    if len(specs) > 1:
        last = specs[-1]["name"]
        if specs[0]["keys"][0] not in specs[-1]["keys"]:
            negatives.append(
                (
                    f"{last} signed by the {s0} key",
                    _run_world(check, {**first_keys, last: specs[0]["keys"][0]}),
                )
            )
        # one tampered hand-over per artifactsFrom edge: every edge must be in the policy
        for i in range(1, len(specs)):
            negatives.append(
                (
                    f"{specs[i]['name']} consumed artifacts that differ from {specs[i - 1]['name']}'s products",
                    _run_world(check, first_keys, tamper_at=i),
                )
            )
    rego = check.get("rego")
    if rego:
        negatives.append(
            (f"{s0} run violating the Rego rule", _run_world(check, first_keys, violate=rego["violate"]))
        )
    types = {
        name: tuple(a.type for a in r.collection.attestations) for name, r in positives[0].results.items()
    }
    return _Worlds(tuple(positives), tuple(negatives), types)


def _worlds(check: dict[str, Any]) -> _Worlds:
    return _worlds_cached(_world_key(check))


def _reference_policy(check: dict[str, Any]) -> dict[str, Any]:
    w = _first_world_cached(_world_key(check))
    pipe = simulate.Pipeline(
        w.scenarios[check["steps"][0]["name"]], w.results, w.scenarios, w.artifact_path, w.artifact
    )
    funcs = {s["name"]: [_signer(k).verifier() for k in s["keys"]] for s in check["steps"]}
    rego = None
    if check.get("rego"):
        r = check["rego"]
        rego = {r["step"]: {r["type"]: [simulate.rego_module(r["name"], r["module"])]}}
    frm = {s["name"]: list(s["from"]) for s in check["steps"]}
    return simulate.policy_for(pipe, funcs, expires=check["expires"], rego=rego, artifacts_from=frm)


# ----------------------------------------------------------------------------- making examples


_OPT_IN = ("slsa", "link", "secretscan", "lockfiles")
_EXPORTED = ("slsa", "link")
"""Recorded with `--attestor-<name>-export`: their protobuf Structs cannot be read back from a collection."""
_CI_ATTESTOR = {
    "github": "github",
    "gitlab": "gitlab",
    "jenkins": "jenkins",
    "aws-codebuild": "aws-codebuild",
}
_THIRD = (("sbom", "sbom"), ("test", "test"))
_KEY_SCHEMES = (
    ("{n}-key.pem", "{n}-key.pub"),
    ("keys/{n}.pem", "keys/{n}.pub"),
    ("{n}.key", "{n}.pub"),
    ("keys/{n}-signer.pem", "keys/{n}-signer.pub.pem"),
)
_POLICY_KEYS = (
    ("policy-key.pem", "policy-key.pub"),
    ("keys/policy.pem", "keys/policy.pub"),
    ("policy-signer.pem", "policy-signer.pub.pem"),
    ("release/policy.key", "release/policy.pub"),
)
_OUT_SCHEMES = ("{n}.att.json", "{n}-attestation.json", "attestations/{n}.json", "{n}.json")
_ALT_SIGNERS = ("release-engineer", "backup-runner", "alice", "ops-oncall", "hsm", "build-farm-2")
_BAD_BRANCHES = ("feature/unreviewed", "hotfix/local", "dev/tmp", "wip/experiment")


def _choose_attestors(rng: random.Random, sc: Scenario, *, need_git: bool, steps: int) -> list[str]:
    """The `-a` values of a run ([] = flag not given: environment, git)."""
    if rng.random() < 0.25:
        return []
    opts = list(_OPT_IN)
    if sc.os == "linux":
        opts.append("system-packages")
    if sc.os != "windows":
        opts.append("omnitrail")
    if sc.language == "java" and "pom.xml" in sc.files_before:
        opts.append("maven")
    if sc.ci in _CI_ATTESTOR:
        opts += [_CI_ATTESTOR[sc.ci]] * 2
    base = (
        ["environment", "git"] if rng.random() < 0.7 else (["git"] if need_git or rng.random() < 0.5 else [])
    )
    extra = rng.sample(opts, rng.randint(1, 2) if steps == 1 else 1)
    out = base + [e for e in dict.fromkeys(extra) if e not in base]
    rng.shuffle(out)
    if need_git and "git" not in out:
        out.append("git")
    return out


def _expiry(rng: random.Random, lo: int = 2027, hi: int = 2034) -> str:
    y, m, d = rng.randint(lo, hi), rng.randint(1, 12), rng.randint(1, 28)
    h = rng.choice((0, 0, 12, 23))
    mi = 59 if h == 23 else 0
    zone = rng.choice(("Z", "Z", "Z", "-05:00", "+02:00"))
    return f"{y:04d}-{m:02d}-{d:02d}T{h:02d}:{mi:02d}:{mi:02d}{zone}"


def _rego_rule(rng: random.Random, sc: Scenario, spec: dict[str, Any]) -> dict[str, Any]:
    kinds = ["command"]
    if "git" in _attestors_of(spec):
        kinds.append("branch")
    if "environment" in _attestors_of(spec) and sc.os == "linux":
        kinds.append("os")
    kind = rng.choice(kinds)
    if kind == "command":
        tool = sc.command[0]
        module = (
            "package commandrun.tool\n\nimport rego.v1\n\ndeny contains msg if {\n"
            f'\tinput.cmd[0] != "{tool}"\n'
            '\tmsg := sprintf("unexpected build tool %v", [input.cmd[0]])\n}\n'
        )
        return {
            "type": COMMAND_RUN,
            "name": rng.choice(("build-tool.rego", "expected-command.rego", "tool.rego")),
            "module": module,
            "what": f"the command must start with `{tool}`",
            "violate": {"kind": "command", "value": "sh ./ci/build.sh"},
        }
    if kind == "branch":
        bad = rng.choice([b for b in _BAD_BRANCHES if b != sc.branch])
        module = (
            "package git.branch\n\nimport rego.v1\n\ndeny contains msg if {\n"
            f'\tinput.branch != "{sc.branch}"\n'
            '\tmsg := sprintf("built from branch %v", [input.branch])\n}\n'
        )
        return {
            "type": GIT,
            "name": rng.choice(("branch.rego", "release-branch.rego", "git-branch.rego")),
            "module": module,
            "what": f"the build must come from branch `{sc.branch}`",
            "violate": {"kind": "branch", "value": bad},
        }
    module = (
        "package environment.os\n\nimport rego.v1\n\ndeny contains msg if {\n"
        '\tinput.os != "linux"\n'
        '\tmsg := sprintf("built on %v, not linux", [input.os])\n}\n'
    )
    return {
        "type": ENVIRONMENT,
        "name": rng.choice(("linux-only.rego", "os.rego", "runner-os.rego")),
        "module": module,
        "what": "the build must run on a Linux runner",
        "violate": {"kind": "os", "value": rng.choice(("darwin", "windows"))},
    }


def _make_check(rng: random.Random, sub: str) -> dict[str, Any]:
    world = rng.randrange(2**31)
    change = rng.choice(UPDATE_CHANGES) if sub == "update" else None
    if sub == "one-step" or sub == "rego":
        n = 1 if sub == "one-step" or rng.random() < 0.6 else 2
    elif sub == "multi-step" or change == "add-step":
        n = rng.choice((2, 2, 2, 3))
    else:
        n = rng.choice((1, 1, 2))
    sc = _base_scenario(world, "build")
    a = _choose_attestors(rng, sc, need_git=n > 1, steps=n)
    steps: list[dict[str, Any]] = [
        {"name": "build", "kind": "build", "a": a, "keys": [rng.randrange(2**31)], "from": []}
    ]
    if n > 1:
        steps.append(
            {"name": "package", "kind": "package", "a": a, "keys": [rng.randrange(2**31)], "from": ["build"]}
        )
    if n > 2:
        name, kind = rng.choice(_THIRD)
        spec: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "a": list(a),
            "keys": [rng.randrange(2**31)],
            "from": ["package"],
        }
        if kind == "sbom":
            spec["sbom"] = rng.choice(("spdx", "cyclonedx"))
            spec["a"] = [*(a or list(DEFAULTS)), "sbom"]
        steps.append(spec)
    for spec in steps:
        exported = [e for e in spec["a"] if e in _EXPORTED]
        if exported:
            spec["x"] = exported
    check: dict[str, Any] = {"kind": "policy", "sub": sub, "world": world, "steps": steps}
    if sub == "multi-functionary" or change == "add-key":
        steps[0]["keys"].append(rng.randrange(2**31))
    check["policy_key"] = rng.randrange(2**31)
    check["rogue"] = rng.randrange(2**31)
    attestors = [a for a in _attestors_of(steps[0]) if a not in _EXPORTED]
    check["drop"] = rng.choice(attestors) if attestors else None
    if change == "expiry":
        old = datetime(2027, rng.randint(1, 10), rng.randint(1, 28), tzinfo=UTC)
        new = old.replace(year=old.year + rng.randint(1, 6))
        check["change"] = {"kind": "expiry", "old": old.strftime("%Y-%m-%dT%H:%M:%SZ")}
        check["expires"] = new.strftime("%Y-%m-%dT%H:%M:%SZ")
        check["verify_at"] = (old + timedelta(days=rng.randint(20, 200))).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        check["expires"] = _expiry(rng)
        if change:
            check["change"] = {"kind": change}
    if sub == "rego":
        check["rego"] = {"step": "build", **_rego_rule(rng, sc, steps[0])}
    return check


@dataclass
class _Names:
    keys: dict[int, tuple[str, str]]
    labels: dict[int, str]
    policy_key: tuple[str, str]
    outs: dict[str, str]
    policy_file: str
    signed_file: str


def _names(rng: random.Random, check: dict[str, Any]) -> _Names:
    scheme = rng.choice(_KEY_SCHEMES)
    keys: dict[int, tuple[str, str]] = {}
    labels: dict[int, str] = {}
    alts = rng.sample(_ALT_SIGNERS, 2)
    for spec in check["steps"]:
        for j, seed in enumerate(spec["keys"]):
            label = spec["name"] if j == 0 else alts[j - 1]
            if check.get("change", {}).get("kind") == "add-key" and j == 1:
                label = f"{spec['name']}-2026"
            keys[seed] = (scheme[0].format(n=label), scheme[1].format(n=label))
            labels[seed] = label
    out = rng.choice(_OUT_SCHEMES)
    return _Names(
        keys,
        labels,
        rng.choice(_POLICY_KEYS),
        {s["name"]: out.format(n=s["name"]) for s in check["steps"]},
        rng.choice(("policy.json", "witness-policy.json", "policy/policy.json")),
        rng.choice(("policy-signed.json", "policy.signed.json")),
    )


def _run_command(rng: random.Random, spec: dict[str, Any], sc: Scenario, key_file: str, out: str) -> str:
    parts = ["witness", "run"]
    step_flag, key_flag = rng.choice((("-s", "-k"), ("-s", "-k"), ("--step", "--signer-file-key-path")))
    parts += [step_flag, spec["name"], key_flag, key_file]
    if spec["a"]:
        style = rng.randrange(3)
        if style == 0:
            parts += ["-a", ",".join(spec["a"])]
        elif style == 1:
            for a in spec["a"]:
                parts += ["-a", a]
        else:
            parts += ["--attestations", ",".join(spec["a"])]
    parts += [f"--attestor-{x}-export" for x in spec.get("x", ())]
    parts += ["-o", out, "--", *sc.command]
    return shlex.join(parts)


def _key_block(rng: random.Random, items: list[tuple[str, int]], names: _Names, style: int) -> str:
    """What `sha256sum` / `base64 -w0` print for each public key file."""
    lines: list[str] = []
    if style == 0:
        lines.append("```console")
        for _label, seed in items:
            pub = names.keys[seed][1]
            pem = _pub_pem(seed)
            lines += [
                f"$ sha256sum {pub}",
                f"{hashlib.sha256(pem).hexdigest()}  {pub}",
                f"$ base64 -w0 {pub}",
                base64.b64encode(pem).decode("ascii"),
            ]
        lines.append("```")
    else:
        for label, seed in items:
            pub = names.keys[seed][1]
            pem = _pub_pem(seed)
            lines.append(
                f"- {label} (`{pub}`): keyid `{hashlib.sha256(pem).hexdigest()}`, "
                f"base64 `{base64.b64encode(pem).decode('ascii')}`"
            )
    return "\n".join(lines)


_INTROS: dict[str, tuple[str, ...]] = {
    "one-step": (
        "Write a witness policy for our {project} build.",
        "I need a witness policy (JSON) that verifies the `{s0}` step of {project}.",
        "Can you give me the policy.json that makes `witness verify` accept our {project} attestation?",
        "Please draft a witness policy for a single-step pipeline (`{s0}`) in {repo}.",
        "How should the witness policy look for this one-step job of {project}?",
        "We attest our {project} build with witness and now need the policy to verify it.",
        "Create the witness policy for {repo}: there is only one step, `{s0}`.",
    ),
    "multi-step": (
        "Write a witness policy for our {n}-step pipeline ({chain}) of {project}.",
        "I need one witness policy covering the steps {chain} of {repo}.",
        "Our {project} release has {n} witness steps ({chain}). What policy verifies the whole chain?",
        "Please give me a witness policy for {repo} where each step has its own signing key: {chain}.",
        "How do I write a witness policy that links {chain} for {project}?",
        "We record every stage of {project} with witness ({chain}). Draft the policy.",
    ),
    "rego": (
        "Write a witness policy for {project} that also enforces a Rego rule on the `{s0}` step.",
        "I have a Rego check I want witness to run during verification of {repo}. Give me the policy.",
        "How do I embed this Rego module in a witness policy for our {project} pipeline?",
        "Please draft a witness policy for {project} with an embedded Rego policy: {what}.",
        "Our security team has a new rule: {what}. Build the witness policy for {repo} with this Rego module.",
        "Give me a witness policy for {project} whose `{s0}` step is additionally gated by Rego.",
    ),
    "multi-functionary": (
        "Write a witness policy for {project} where the `{s0}` step may be signed by either of two keys.",
        "Two different keys can sign our `{s0}` attestations for {repo}. What policy accepts both?",
        "How do I allow two functionaries for the `{s0}` step in a witness policy for {project}?",
        "Please give me a witness policy for {repo}: `{s0}` is signed by CI or, when CI is down, by {alt}.",
        "Our `{s0}` step is run either by CI or by {alt}. Draft the witness policy for {project}.",
        "I need a witness policy for {project} that trusts either of two signers for `{s0}`.",
    ),
    "update": (
        "Here is our current witness policy for {project}. {change_text}",
        "Please update this witness policy ({repo}). {change_text}",
        "I need to change our witness policy for {project}. {change_text}",
        "{change_text} This is the policy we use today for {repo}:",
        "How do I modify this witness policy for {project}? {change_text}",
        "Update the policy below for {repo}. {change_text}",
    ),
}

_REQUIRE = (
    "Require every attestation type those runs record",
    "The policy should require all attestations that the runs produce",
    "Each step must require exactly the attestations its run records",
    "Make each step require every attestation type its `witness run` records",
)


def _signing_ask(names: _Names) -> str:
    return f"The policy will be signed with `{names.policy_key[0]}` (public key `{names.policy_key[1]}`)."


def _question(rng: random.Random, check: dict[str, Any], names: _Names, worlds: _Worlds) -> tuple[str, int]:
    sub = check["sub"]
    specs = check["steps"]
    w = worlds.positives[0]
    sc0 = w.scenarios[specs[0]["name"]]
    change = check.get("change", {}).get("kind")
    key_style = rng.randrange(2)
    shown_steps = specs[:-1] if change == "add-step" else specs
    cmds = [
        _run_command(rng, s, w.scenarios[s["name"]], names.keys[s["keys"][0]][0], names.outs[s["name"]])
        for s in specs
    ]
    alt = names.labels[specs[0]["keys"][1]] if len(specs[0]["keys"]) > 1 else ""
    fields = {
        "project": sc0.project,
        "repo": sc0.repo_slug,
        "s0": specs[0]["name"],
        "n": len(specs),
        "chain": " → ".join(s["name"] for s in specs),
        "what": (check.get("rego") or {}).get("what", ""),
        "alt": alt,
        "change_text": "",
    }
    parts: list[str] = []
    if sub == "update":
        old = dict(check)
        old_steps = [dict(s) for s in shown_steps]
        if change == "add-key":
            old_steps[0]["keys"] = old_steps[0]["keys"][:1]
        old["steps"] = old_steps
        old.pop("rego", None)
        if change == "expiry":
            old["expires"] = check["change"]["old"]
        old_policy = _reference_policy(old)
        if change == "add-step":
            s = specs[-1]
            fields["change_text"] = rng.choice(
                (
                    f"We added a `{s['name']}` step after `{specs[-2]['name']}`, signed with its own key; add it and "
                    f"make it take its materials from `{specs[-2]['name']}`.",
                    f"Add a new `{s['name']}` step (its own key, artifacts from `{specs[-2]['name']}`).",
                )
            )
            tail = [
                f"The new step runs:\n```bash\n{cmds[-1]}\n```",
                "Its key:",
                _key_block(rng, [(s["name"], s["keys"][0])], names, key_style),
                f"{rng.choice(_REQUIRE)} and keep everything else unchanged.",
            ]
        elif change == "add-key":
            seed = specs[0]["keys"][1]
            fields["change_text"] = rng.choice(
                (
                    f"We are rotating the `{specs[0]['name']}` signing key: during the migration both the old and the "
                    "new key must be accepted.",
                    f"Also trust a second key for the `{specs[0]['name']}` step (key rotation, keep the old key).",
                )
            )
            tail = [
                "The new key:",
                _key_block(rng, [("new key", seed)], names, key_style),
                f"The new runner uses `-k {names.keys[seed][0]}`; everything else stays the same.",
            ]
        else:
            fields["change_text"] = rng.choice(
                (
                    f"It expires on {check['change']['old']}; extend it to {check['expires']}.",
                    f"Change its expiry to {check['expires']} (nothing else changes).",
                )
            )
            tail = []
        i = rng.randrange(len(_INTROS[sub]))
        parts.append(_INTROS[sub][i].format(**fields))
        parts.append("```json\n" + _dumps(old_policy) + "\n```")
        if change != "add-step":
            parts.append("The runs are:\n```bash\n" + "\n".join(cmds) + "\n```")
        parts += tail
        parts.append(_signing_ask(names) + " Give me the full updated policy and the signing command.")
        return "\n\n".join(parts), i
    i = rng.randrange(len(_INTROS[sub]))
    parts.append(_INTROS[sub][i].format(**fields))
    parts.append("Our CI runs:\n```bash\n" + "\n".join(cmds) + "\n```")
    items: list[tuple[str, int]] = []
    for s in specs:
        for j, seed in enumerate(s["keys"]):
            items.append(
                (f"{s['name']} key" if j == 0 else f"{fields['alt']} key (also for {s['name']})", seed)
            )
    parts.append("Functionary public keys:\n" + _key_block(rng, items, names, key_style))
    req = [rng.choice(_REQUIRE)]
    if len(specs) > 1:
        req.append("each later step must take its artifacts from the step before it")
        req.append("each step may only be signed by its own key")
    if sub == "multi-functionary":
        alt_key = names.keys[specs[0]["keys"][1]][0]
        req.append(
            f"`{specs[0]['name']}` may be signed by either of its two keys (when CI is down, {fields['alt']} "
            f"runs the same command with `-k {alt_key}`)"
        )
    req.append(f"the policy expires at {check['expires']}")
    parts.append("; ".join(req) + ".")
    if check.get("rego"):
        r = check["rego"]
        b64 = base64.b64encode(r["module"].encode()).decode("ascii")
        parts.append(
            f"Rego module `{r['name']}` ({r['what']}; it applies to the `{r['step']}` step):\n"
            f"```rego\n{r['module']}```\n"
            f"`base64 -w0 {r['name']}` prints:\n```text\n{b64}\n```"
        )
    parts.append(_signing_ask(names) + " Also show how to sign it.")
    return "\n\n".join(parts), i


def _explain(check: dict[str, Any], names: _Names, worlds: _Worlds) -> list[str]:
    specs = check["steps"]
    change = check.get("change", {}).get("kind")
    lines: list[str] = []
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    # add-step: the question shows only the new step's run, so only that run is described
    described = specs[-1:] if change == "add-step" else specs
    for s in described:
        groups.setdefault((tuple(s["a"]), worlds.types[s["name"]]), []).append(s["name"])
    for (a, types), members in groups.items():
        recorded = ", ".join(t if "sbom" in get_attestor(t).name else get_attestor(t).name for t in types)
        flag = f"`-a {','.join(a)}`" if a else "no `-a` (default: environment, git)"
        who = ", ".join(f"`{m}`" for m in members)
        lines.append(
            f"- {who}: {flag}, plus material/product (always) and command-run (a command after `--`) ⇒ {recorded}."
        )
    notes = [
        "- The step key, its `name` and `witness run -s` must be identical.",
        "- `publickeys` holds each key: `keyid` = `sha256sum` of the PEM file, `key` = base64 of the PEM.",
    ]
    if len(specs) > 1:
        notes.append(
            "- `artifactsFrom` makes a step's materials match the previous step's products (since witness "
            "v0.12 they must share at least one file); later steps are found through the shared git commit."
        )
    if any(len(s["keys"]) > 1 for s in specs):
        notes.append("- Several functionaries on one step: a collection signed by any one of them passes.")
    if check.get("rego"):
        r = check["rego"]
        notes.append(
            f"- The Rego module goes base64-encoded into `regopolicies` of the `{r['type']}` attestation, "
            f"with `name` `{r['name']}`."
        )
    exported = sorted({x for s in specs for x in s.get("x", ())})
    if exported:
        files = ", ".join(f"`<out>-{x}.json`" for x in exported)
        notes.append(
            f"- `--attestor-{exported[0]}-export` moves {' and '.join(exported)} out of the collection into "
            f"{files}, so the steps must not require {'them' if len(exported) > 1 else 'it'}."
        )
    if any("sbom" in s["a"] for s in specs):
        notes.append(
            "- An SBOM attestation's type is the document type (SPDX/CycloneDX), not `.../sbom/v0.1`."
        )
    head = {
        "add-step": f"Add the `{specs[-1]['name']}` step and its key; the rest is unchanged.",
        "add-key": f"Add the new key to `publickeys` and as a second functionary of `{specs[0]['name']}`.",
        "expiry": f"Only `expires` changes (RFC 3339: `{check['expires']}`).",
    }.get(change or "", "Each step requires exactly what its run records:")
    return [head, *lines, *notes]


def _dumps(value: Any, indent: str = "") -> str:
    """JSON with small objects/arrays kept on one line (shorter than indent=2, same value)."""
    flat = json.dumps(value)
    if not isinstance(value, (dict, list)) or len(flat) + len(indent) <= 118:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {_dumps(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + _dumps(v, inner) for v in value) + "\n" + indent + "]"


def _answer(check: dict[str, Any], names: _Names, worlds: _Worlds, policy: dict[str, Any]) -> str:
    w = worlds.positives[0]
    specs = check["steps"]
    sign = f"witness sign -f {names.policy_file} -o {names.signed_file} -k {names.policy_key[0]}"
    verify = f"witness verify -p {names.signed_file} -k {names.policy_key[1]} -f {w.artifact_path}" + "".join(
        f" -a {names.outs[s['name']]}" for s in specs
    )
    parts = [
        "\n".join(_explain(check, names, worlds)),
        f"`{names.policy_file}`:\n```json\n" + _dumps(policy) + "\n```",
        f"Sign it (`witness verify` only accepts a signed policy) and verify:\n```bash\n{sign}\n{verify}\n```",
    ]
    return "\n\n".join(parts)


def make(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Example:
    """A policy task; its reference policy verifies the genuine pipelines under every release profile
    (the check's `score` runs the release the check records, `version`)."""
    del version  # the reference policy is written to pass under every release (REFERENCE §4.11)
    sub = rng.choice(SUBKINDS)
    check = _make_check(rng, sub)
    worlds = _worlds(check)
    names = _names(rng, check)
    question, i = _question(rng, check, names, worlds)
    check["policy_key_file"] = names.policy_key[0]
    policy = _reference_policy(check)
    answer = _answer(check, names, worlds, policy)
    semantic = {k: v for k, v in check.items() if k != "policy_key_file"}
    group = f"{NAME}/{sub}/" + hashlib.sha256(_check_key(semantic).encode()).hexdigest()[:16]
    change = check.get("change", {}).get("kind")
    return Example(
        family=NAME,
        group=group,
        template=f"{NAME}/{sub}{'-' + change if change else ''}/{i}",
        question=phrasing.dress(rng, question),
        answer=answer,
        check=check,
        system=phrasing.system_prompt(rng),
        meta={"sub": sub, "change": change, "steps": [s["name"] for s in check["steps"]]},
    )


# ----------------------------------------------------------------------------- scoring


def _sign_problem(answer: str, key_file: str, version: WitnessVersion) -> str | None:
    cmds = [c for c in answers.commands(answer) if c.split()[:2] == ["witness", "sign"]][:20]
    if not cmds:
        return "no `witness sign` command"
    why = ""
    for c in cmds:
        a = parse_command(c, version=version)
        if a.errors:
            why = f"invalid sign command: {a.errors[0].message}"
            continue
        if not a.infile or not a.outfile:
            why = "sign command lacks -f/-o"
            continue
        if posixpath.normpath(a.signer_key or "") != posixpath.normpath(key_file or "."):
            why = f"sign command does not use the policy key {key_file}"
            continue
        return None
    return why


def _static_problem(check: dict[str, Any], policy: Any, worlds: _Worlds) -> str | None:
    want = [s["name"] for s in check["steps"]]
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
    if check.get("rego"):
        r = check["rego"]
        step = policy.steps[r["step"]]
        entries = [p for a in step.attestations if a.type == r["type"] for p in a.rego_policies]
        if not entries:
            return f"no regopolicies on {r['type']} in step {r['step']}"
        if not all(p.name.strip() for p in entries):
            return "a regopolicies entry has no name"
    return None


def _verify(
    env: Any,
    world: _World,
    key: crypto.Verifier,
    ctx: ScoreContext,
    rego: bool,
    now: datetime,
    version: WitnessVersion,
) -> wverify.VerifyResult:
    return wverify.verify(
        env,
        world.collections,
        [world.digest],
        wverify.VerifyOptions(
            version=version, policy_verifiers=[key], rego=ctx.rego if rego else None, now=now
        ),
    )


@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    doc = find_policy(answer)
    if doc is None:
        return Score.failed("no JSON policy (object with `steps`) in the answer")
    data = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    if len(data) > MAX_POLICY_CHARS:
        return Score.failed("policy too large")
    rego = has_rego(data)
    version = ctx.version(check)
    report = check_policy(data, now=ctx.now, rego=ctx.rego if rego else None, version=version)
    if report.errors:
        return Score.failed("policy check: " + report.errors[0].line("error"))
    policy = report.policy
    if policy is None or policy.expires is None:
        return Score.failed("policy has no expiry")
    if policy.expires != parse_rfc3339(check["expires"]):
        return Score.failed(f"expires is not {check['expires']}")
    worlds = _worlds(check)
    problem = _static_problem(check, policy, worlds)
    if problem:
        return Score.failed(problem)
    problem = _sign_problem(answer, check.get("policy_key_file", ""), version)
    if problem:
        return Score.failed(problem)
    signer = _signer(check["policy_key"])
    env = simulate.sign_policy(data, signer)
    key = signer.verifier()
    times = [ctx.now] + ([parse_rfc3339(check["verify_at"])] if check.get("verify_at") else [])
    for i, world in enumerate(worlds.positives):
        for now in times:
            res = _verify(env, world, key, ctx, rego, now, version)
            if not res.passed:
                why = (res.reasons or [res.error or "?"])[0].splitlines()[0]
                return Score.failed(
                    f"verify FAILS on the genuine pipeline #{i} ({version.label}): {why[:200]}"
                )
    for label, world in worlds.negatives:
        res = _verify(env, world, key, ctx, rego, ctx.now, version)
        if res.passed:
            return Score.failed(f"verify PASSES a bad world ({version.label}): {label}")
    return Score.passed()


FAMILY = Family(
    name=NAME,
    description="Write or update a witness policy (JSON) for a described pipeline, and sign it.",
    make=make,
    score=score,
)
