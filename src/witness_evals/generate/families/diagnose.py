"""Family `diagnose`: a user pastes a failing `witness verify` and asks what is wrong and how to fix it.

Every example is a REAL failure of the core model: a seeded world (keys, a two-step pipeline made
with `simulate.run_step`, a policy from `simulate.policy_for`, signed with `simulate.sign_policy`)
gets one fault, `verify.verify` runs, and the output is rendered like `witness-evals verify` prints
it. `make` asserts that the unfaulted world passes and the faulted one fails with the expected
reason text, so nothing shown is invented.

The check is semantic: `require` holds groups of alternative key terms (the real keyid, the missing
type URI, the step names...) that any correct diagnosis must contain, `forbid` terms that must not
appear in the proposed fix (code blocks), and `checks` small structural tests of any witness command
or policy JSON the answer proposes (e.g. a `witness run` for the step must record `git`).
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.context import NOW, ScoreContext
from witness_evals.generate import phrasing
from witness_evals.generate.example import Example
from witness_evals.generate.families import Family
from witness_evals.witness import crypto, simulate, versions
from witness_evals.witness.dsse import Envelope
from witness_evals.witness.verify import TRUSTED_REGO, SourceCollection, VerifyOptions, VerifyResult, verify
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
)

GIT = "https://witness.dev/attestations/git/v0.1"
ENV = "https://witness.dev/attestations/environment/v0.1"
CMD = "https://witness.dev/attestations/command-run/v0.1"
SPDX = "https://spdx.dev/Document"
CDX = "https://cyclonedx.org/bom"

_STEP_PAIRS = (
    ("build", "package"),
    ("build", "package"),
    ("build", "release"),
    ("compile", "archive"),
    ("build-binary", "package-tarball"),
    ("build", "bundle"),
    ("ci-build", "ci-package"),
)
_KEY_STYLES = (
    ("{n}-key.pem", "{n}-pub.pem"),
    ("keys/{n}.pem", "keys/{n}.pub"),
    ("{n}_ed25519.pem", "{n}_ed25519.pub.pem"),
    ("{n}key.pem", "{n}pub.pem"),
)
_ATT_STYLES = ("{s}.attestation.json", "{s}-att.json", "attestations/{s}.json", "{s}.json")
# Opt-in attestors that succeed on any build/package step. Not `oci` / `vex` / `sarif`: they need a
# matching product (a plain tar image, a VEX or SARIF JSON) and otherwise fail the whole `witness run`
# (`no tar file found`, `no VEX file found`, `no sarif file found`; go-witness attestation/oci, vex, sarif).
# Not `k8smanifest` either: with products it records cluster info from a kubeconfig by default.
_EXTRA_ATTESTORS = ("secretscan", "lockfiles", "system-packages")
_PB_SAFE = ("secretscan", "lockfiles", "system-packages")
# "re-sign the policy": not a bare `sign*`, which `policy-signed.json` alone would satisfy
_RESIGN = ("re-sign*", "resign*", "witness sign", "sign it", "sign the", "sign again", "sign your", "sign a new",
           "sign this", "signing it", "signing the")  # fmt: skip

_HEX8 = re.compile(r"^[0-9a-f]{8,}$")
_MAX_CODE_CHARS = 60_000


# ----------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class World:
    seed: int
    steps: tuple[str, str]
    keys: dict[str, crypto.Signer]
    """'s0', 's1' (functionaries), 'policy', 'other'."""
    key_files: dict[str, tuple[str, str]]
    """role -> (private key file, public key file)."""
    att_files: dict[str, str]
    pipe: simulate.Pipeline
    attestors: tuple[tuple[str, ...], tuple[str, ...]]
    version: WitnessVersion = field(default_factory=versions.get)
    """The witness release whose `verify` output the question shows."""

    def keyid(self, role: str) -> str:
        return self.keys[role].verifier().keyid

    def run_cmd(self, i: int, attestors: tuple[str, ...] | None = None, *, extra: str = "", key: str = "",
                step: str = "") -> str:  # fmt: skip
        name = self.steps[i]
        atts = self.attestors[i] if attestors is None else attestors
        a = "" if atts == simulate.DEFAULT_ATTESTORS else f" -a {','.join(atts)}"
        sc = self.pipe.scenarios[name]
        cmd = " ".join(sc.command)
        keyfile = key or self.key_files[f"s{i}"][0]
        return f"witness run -s {step or name} -k {keyfile}{a}{extra} -o {self.att_files[name]} -- {cmd}"

    def verify_cmd(self, *, policy: str = "policy-signed.json", pub: str = "", artifact: str = "") -> str:
        files = " ".join(f"-a {self.att_files[s]}" for s in self.steps)
        return (
            f"witness verify -p {policy} -k {pub or self.key_files['policy'][1]} {files} "
            f"-f {artifact or self.pipe.artifact_path}"
        )

    def sign_cmd(self, infile: str = "policy.json", outfile: str = "policy-signed.json") -> str:
        return f"witness sign -f {infile} -o {outfile} -k {self.key_files['policy'][0]}"


@functools.lru_cache(maxsize=256)
def _keys(seed: int) -> tuple[crypto.Signer, ...]:
    rng = random.Random(f"diagnose-keys:{seed}")
    return tuple(
        crypto.Signer(crypto.generate_private_key("ed25519", seed=rng.randrange(2**31))) for _ in range(4)
    )


def _pipeline(
    seed: int, steps: tuple[str, str], attestors: tuple[tuple[str, ...], tuple[str, ...]], sbom: str,
    signers: tuple[crypto.Signer, crypto.Signer], export: tuple[str, ...] = (),
) -> simulate.Pipeline:  # fmt: skip
    """A build -> package pipeline with per-step attestors (simulate.pipeline uses one list for all)."""
    rng = random.Random(f"diagnose-world:{seed}")
    sc0 = simulate.Scenario.random(rng, step=steps[0], step_kind="build", sbom_kind=sbom)
    sc1 = simulate.package_scenario(sc0, step=steps[1])
    r0 = simulate.run_step(steps[0], sc0, signers[0], attestors=attestors[0], export=export)
    r1 = simulate.run_step(steps[1], sc1, signers[1], attestors=attestors[1])
    products = sc0.product_paths()
    sbom_path = sc0.sbom_path()
    path = next((p for p in products if p != sbom_path), products[0])
    return simulate.Pipeline(sc0, {steps[0]: r0, steps[1]: r1}, {steps[0]: sc0, steps[1]: sc1}, path,
                             sc0.files_after[path])  # fmt: skip


def _world(
    rng: random.Random,
    attestors: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
    sbom: str = "none",
    *,
    version: WitnessVersion,
) -> World:
    seed = rng.randrange(2**31)
    wr = random.Random(f"diagnose-names:{seed}")
    steps = phrasing.pick(wr, _STEP_PAIRS)
    keys = _keys(seed)
    style = phrasing.pick(wr, _KEY_STYLES)
    att_style = phrasing.pick(wr, _ATT_STYLES)
    roles = {
        "s0": steps[0],
        "s1": steps[1],
        "policy": "policy",
        "other": phrasing.pick(wr, ("ci", "deploy", "dev")),
    }
    key_files = {r: (style[0].format(n=n), style[1].format(n=n)) for r, n in roles.items()}
    atts = attestors or (simulate.DEFAULT_ATTESTORS, simulate.DEFAULT_ATTESTORS)
    pipe = _pipeline(seed, steps, atts, sbom, (keys[0], keys[1]))
    return World(
        seed=seed,
        steps=steps,
        keys={"s0": keys[0], "s1": keys[1], "policy": keys[2], "other": keys[3]},
        key_files=key_files,
        att_files={s: att_style.format(s=s) for s in steps},
        pipe=pipe,
        attestors=atts,
        version=version,
    )


def _policy(w: World, **kw: Any) -> dict[str, Any]:
    funcs = kw.pop(
        "functionaries", {w.steps[0]: [w.keys["s0"].verifier()], w.steps[1]: [w.keys["s1"].verifier()]}
    )
    return simulate.policy_for(w.pipe, funcs, expires=kw.pop("expires", "2031-06-30T00:00:00Z"), **kw)


def _run_verify(
    w: World,
    policy: dict[str, Any] | Envelope,
    envelopes: dict[str, Envelope] | None = None,
    *,
    subjects: list[str] | None = None,
    verifier: crypto.Verifier | None = None,
) -> VerifyResult:
    env = policy if isinstance(policy, Envelope) else simulate.sign_policy(policy, w.keys["policy"])
    envs = envelopes or w.pipe.envelopes
    cols = [
        SourceCollection.load(e.dumps().encode(), w.att_files[n], version=w.version) for n, e in envs.items()
    ]
    return verify(
        env,
        cols,
        subjects or [w.pipe.artifact_digest],
        VerifyOptions(
            version=w.version,
            policy_verifiers=[verifier or w.keys["policy"].verifier()],
            now=NOW,
            rego=TRUSTED_REGO,
        ),
    )


def _render(result: VerifyResult, command: str) -> str:
    """What `witness-evals verify` prints (`VerifyResult.text`), under the command line."""
    out = result.text().splitlines()
    if len(out) > 24:
        out = [*out[:22], "...", out[-1]]
    return f"$ {command}\n" + "\n".join(out)


def _expect_fail(result: VerifyResult, *needles: str) -> None:
    text = "\n".join([*result.reasons, result.error or ""])
    if result.passed or not all(n in text for n in needles):
        raise AssertionError(f"diagnose: fault did not fail as expected ({needles}): {text[:400]}")


def _expect_pass(result: VerifyResult) -> None:
    if not result.passed:
        raise AssertionError("diagnose: the fixed world does not verify: " + " | ".join(result.reasons)[:400])


def _short(keyid: str) -> str:
    return keyid[:12]


def _json_block(obj: Any) -> str:
    return "```json\n" + json.dumps(obj, indent=2) + "\n```"


def _bash(*lines: str) -> str:
    return "```bash\n" + "\n".join(lines) + "\n```"


def _step_snippet(policy: dict[str, Any], step: str, *, keep_rego: bool = False) -> dict[str, Any]:
    s = copy.deepcopy(policy["steps"][step])
    if not keep_rego:
        for a in s.get("attestations", []):
            a["regopolicies"] = []
    return s


# ----------------------------------------------------------------------------- faults
# each returns (context lines for the question, output, answer, check-part)


@dataclass
class Fault:
    context: str
    output: str
    answer: str
    require: list[list[str]]
    forbid: list[str]
    checks: list[dict[str, Any]]
    variant: str


def _f_not_functionary(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version)
    i = rng.randrange(2)
    step = w.steps[i]
    own = f"s{i}"
    variant = phrasing.pick(rng, ("unknown_key", "other_step_key"))
    wrong = "other" if variant == "unknown_key" else f"s{1 - i}"
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    bad = simulate.run_step(step, w.pipe.scenarios[step], w.keys[wrong], attestors=w.attestors[i])
    envs = dict(w.pipe.envelopes)
    envs[step] = bad.envelope
    res = _run_verify(w, pol, envs)
    _expect_fail(res, f"collection rejected: {step}, Reason: no verifiers")
    wrong_file, _wrong_pub = w.key_files[wrong]
    own_file, _own_pub = w.key_files[own]
    kid_wrong, kid_own = w.keyid(wrong), w.keyid(own)
    context = (
        f"The `{step}` step was signed with `{wrong_file}` (public key id `{kid_wrong}`):\n"
        + _bash(w.run_cmd(i, key=wrong_file))
        + f"\nThe policy's `{step}` step has:\n"
        + _json_block({"functionaries": pol["steps"][step]["functionaries"]})
    )
    why = (
        "is not in the policy's `publickeys` at all"
        if variant == "unknown_key"
        else f"is only a functionary of `{w.steps[1 - i]}`, not of `{step}`"
    )
    fix_pol = copy.deepcopy(pol)
    v = w.keys[wrong].verifier()
    fix_pol["publickeys"][v.keyid] = {"keyid": v.keyid, "key": base64.b64encode(v.public_pem()).decode()}
    fix_pol["steps"][step]["functionaries"].append({"type": "publickey", "publickeyid": v.keyid})
    _expect_pass(_run_verify(w, fix_pol, envs))
    answer = (
        f"The `{step}` attestation is signed by key `{_short(kid_wrong)}…` (`{wrong_file}`), which {why}. "
        f"Step `{step}` only accepts its functionary `publickeyid` `{kid_own}`, so no verifier matched "
        "and the step has no passed collection.\n\n"
        f"Fix: re-record the step with the functionary's key `{own_file}`:\n\n"
        + _bash(w.run_cmd(i))
        + f"\n\nOr, if `{wrong_file}` is meant to sign `{step}`, add its public key to `publickeys` and "
        f'`{step}.functionaries` (`{{"type": "publickey", "publickeyid": "{kid_wrong}"}}`), then '
        "re-sign the policy:\n\n" + _bash(w.sign_cmd())
    )
    return Fault(
        context,
        _render(res, w.verify_cmd()),
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


def _f_keyid_mismatch(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version)
    i = rng.randrange(2)
    step = w.steps[i]
    v = w.keys[f"s{i}"].verifier()
    variant = phrasing.pick(rng, ("der", "base64", "crlf"))
    if variant == "der":
        wrong = _der_keyid(v)
        how = "sha256 of the DER encoding"
    elif variant == "base64":
        wrong = hashlib.sha256(base64.b64encode(v.public_pem())).hexdigest()
        how = "sha256 of the base64 string"
    else:
        wrong = hashlib.sha256(v.public_pem().replace(b"\n", b"\r\n")).hexdigest()
        how = "sha256sum of a CRLF copy of the PEM file"
    pol = _policy(w)
    good = v.keyid
    bad = copy.deepcopy(pol)
    entry = bad["publickeys"].pop(good)
    entry["keyid"] = wrong
    bad["publickeys"][wrong] = entry
    bad["steps"][step]["functionaries"] = [{"type": "publickey", "publickeyid": wrong}]
    res = _run_verify(w, bad)
    _expect_fail(res, f"expected key id {wrong} but got {good}")
    _expect_pass(_run_verify(w, pol))
    snippet = {"publickeys": {wrong: {"keyid": wrong, "key": entry["key"][:24] + "..."}}}
    context = f"I computed the key id of `{w.key_files[f's{i}'][1]}` myself ({how}):\n" + _json_block(snippet)
    answer = (
        "The policy's `publickeys` entry declares keyid "
        f"`{_short(wrong)}…`, but witness recomputes the key id from the embedded `key` (hex SHA-256 of the "
        f"canonical PKIX `PUBLIC KEY` PEM) and gets `{good}`. A mismatch aborts the whole verification.\n\n"
        f"Fix: use `{good}` as the `keyid`, as the map key and in the `{step}` functionary's `publickeyid`:\n\n"
        + _json_block(
            {
                "publickeys": {good: {"keyid": good, "key": "<unchanged base64 PEM>"}},
                "steps": {step: {"functionaries": [{"type": "publickey", "publickeyid": good}]}},
            }
        )
        + f"\n\n(`sha256sum {w.key_files[f's{i}'][1]}` gives this id when the file is the canonical PEM.) "
        "Then re-sign the policy:\n\n" + _bash(w.sign_cmd())
    )
    return Fault(
        context,
        _render(res, w.verify_cmd()),
        answer,
        [[good[:8]], ["keyid", "key id", "key-id"]],
        [wrong[:16]],
        [{"type": "json_keyid", "bad": wrong}],
        variant,
    )


def _f_policy_expired(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version)
    variant = phrasing.pick(rng, ("docs_example", "past", "missing"))
    pol = _policy(w)
    bad = copy.deepcopy(pol)
    if variant == "docs_example":
        old = phrasing.pick(rng, ("2022-12-17T23:57:40-05:00", "2023-12-17T23:57:40-05:00"))
        bad["expires"] = old
    elif variant == "past":
        old = f"{rng.randint(2024, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00Z"
        bad["expires"] = old
    else:
        old = ""
        del bad["expires"]
    res = _run_verify(w, bad)
    _expect_fail(res, "policy expired on")
    _expect_pass(_run_verify(w, pol))
    new = pol["expires"]
    shown = f'"expires": "{old}"' if old else "no `expires` field"
    context = f"Our policy.json has {shown}."
    cause = (
        f"The policy's `expires` (`{old}`) is in the past"
        if old
        else "The policy has no `expires`, which witness reads as the zero time (year 1)"
    )
    answer = (
        f"{cause}; witness checks expiry before it evaluates any step, "
        "so it fails with `policy expired on ...`.\n\n"
        f'Fix: set a future RFC3339 `expires` in policy.json:\n\n```json\n"expires": "{new}"\n```\n\n'
        "then re-sign it (the signature covers the exact bytes) and verify again:\n\n"
        + _bash(w.sign_cmd(), w.verify_cmd())
    )
    return Fault(
        context,
        _render(res, w.verify_cmd()),
        answer,
        [["expire*"], list(_RESIGN)],
        [old] if old else [],
        [{"type": "json_expires"}, {"type": "sign_cmd", "optional": True}],
        variant,
    )


def _f_policy_unsigned(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version)
    pol = _policy(w)
    raw = phrasing.pick(rng, ("policy.json", "policy/policy.json", "witness-policy.json"))
    res = _run_verify(w, Envelope(b"", "", ()))
    _expect_fail(res, "no signatures in dsse envelope")
    _expect_pass(_run_verify(w, pol))
    out = raw.replace(".json", "-signed.json")
    context = f"We generated `{raw}` in a previous job and pass it straight to `-p`."
    answer = (
        f"`{raw}` is a bare policy: `witness verify -p` only accepts a DSSE envelope, so an unsigned "
        "policy decodes to an envelope with no signatures (`no signatures in dsse envelope`).\n\n"
        f"Fix: sign it with the policy key and pass the signed file; `-k` is that key's public half:\n\n"
        + _bash(w.sign_cmd(raw, out), w.verify_cmd(policy=out))
    )
    return Fault(
        context,
        _render(res, w.verify_cmd(policy=raw)),
        answer,
        [["witness sign", "sign*"]],
        ["--allow-unsigned-policy", "--insecure"],
        [{"type": "sign_cmd", "optional": False}, {"type": "verify_policy_not", "policy": raw}],
        "unsigned",
    )


def _f_wrong_policy_key(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version)
    pol = _policy(w)
    role = phrasing.pick(rng, ("s0", "s1", "other"))
    wrong_pub = w.key_files[role][1]
    res = _run_verify(w, pol, verifier=w.keys[role].verifier())
    _expect_fail(res, "failed to verify policy signature")
    _expect_pass(_run_verify(w, pol))
    pub = w.key_files["policy"][1]
    pubs = ", ".join(f"`{w.key_files[r][1]}`" for r in dict.fromkeys(("s0", "s1", role, "policy")))
    context = (
        "The policy was signed in the release job:\n"
        + _bash(w.sign_cmd())
        + f"\nPublic keys we have: {pubs}."
    )
    answer = (
        f"`-k` in `witness verify` is the public key of whoever signed the *policy*. The policy was signed "
        f"with `{w.key_files['policy'][0]}`, but you passed `{wrong_pub}` (key `{_short(w.keyid(role))}…`), so "
        "the policy signature does not verify. Functionary keys belong inside the policy, not on `-k`.\n\n"
        f"Fix: pass the policy signer's public key `{pub}`:\n\n" + _bash(w.verify_cmd(pub=pub))
    )
    return Fault(
        context,
        _render(res, w.verify_cmd(pub=wrong_pub)),
        answer,
        [[pub, w.keyid("policy")[:8]], ["-k", "--publickey", "public key"]],
        [],
        [{"type": "verify_pub", "pub": pub}],
        role,
    )


def _f_attestors_replaced(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    extra = phrasing.pick(rng, _EXTRA_ATTESTORS)
    full = ("environment", "git", extra)
    w = _world(rng, (full, full), version=version)
    i = rng.randrange(2)
    step = w.steps[i]
    variant = phrasing.pick(rng, ("only_extra", "no_git", "no_env"))
    given = {"only_extra": (extra,), "no_git": ("environment", extra), "no_env": ("git", extra)}[variant]
    missing = [a for a in ("environment", "git") if a not in given]
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    bad = simulate.run_step(step, w.pipe.scenarios[step], w.keys[f"s{i}"], attestors=given)
    envs = dict(w.pipe.envelopes)
    envs[step] = bad.envelope
    res = _run_verify(w, pol, envs)
    _expect_fail(res, f"no collections found for step {step}")
    uris = {"environment": ENV, "git": GIT}
    if "git" in missing:  # without git there is no commithash back-reference between the two steps
        lost = (
            f"`{w.steps[1]}` (found only through `{step}`'s commit) can no longer be found"
            if i == 0
            else f"`{step}` itself (its product is not the verified artifact) can no longer be found"
        )
        alt = (
            "Dropping `git` from the policy instead is not enough: `git` is also what links the two steps "
            f"(its `commithash` back-reference), so without it {lost}."
        )
    else:
        alt = "(or drop the environment type from the step's `attestations` and re-sign the policy)."
    context = (
        "CI records the steps like this:\n"
        + _bash(*(w.run_cmd(j, given if j == i else None) for j in range(2)))
        + f"\nand the policy's `{step}` step requires the {', '.join(f'`{uris[m]}`' for m in missing)} attestation."
    )
    answer = (
        f"`-a {','.join(given)}` *replaces* witness's default attestors (`environment,git`); only `product`, "
        f"`material` (and `command-run` with a command) are always added. So the `{step}` collection has no "
        f"{' / '.join(f'`{m}` ({uris[m]})' for m in missing)} attestation, and because the step requires it "
        f"the collection is never found (`no collections found for step {step}`).\n\n"
        f"Fix: list the defaults explicitly when you add `{extra}`:\n\n"
        + _bash(w.run_cmd(i, full))
        + f"\n\n{alt}"
    )
    return Fault(
        context,
        _render(res, w.verify_cmd()),
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
    kind = phrasing.pick(rng, ("spdx", "cyclonedx"))
    atts = ("environment", "git", "sbom")
    w = _world(rng, (atts, simulate.DEFAULT_ATTESTORS), sbom=kind, version=version)
    step = w.steps[0]
    uri = SPDX if kind == "spdx" else CDX
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    types = [a["type"] for a in pol["steps"][step]["attestations"]]
    if uri not in types:
        raise AssertionError("diagnose: sbom type missing from the collection")
    bad = simulate.run_step(step, w.pipe.scenarios[step], w.keys["s0"], attestors=atts, export=("sbom",))
    envs = dict(w.pipe.envelopes)
    envs[step] = bad.envelope
    res = _run_verify(w, pol, envs)
    _expect_fail(res, f"no collections found for step {step}")
    out = w.att_files[step]
    context = (
        "Build job:\n"
        + _bash(w.run_cmd(0, extra=" --attestor-sbom-export"))
        + f"\nThe policy's `{step}` step lists `{uri}` among its attestations."
    )
    answer = (
        f"`--attestor-sbom-export` removes the SBOM attestation from the `{step}` collection and writes it "
        f"as a separate statement (`{out}-sbom.json`). The collection no longer contains `{uri}`, which the "
        f"policy requires, so witness finds no `{step}` collection.\n\n"
        "Fix: keep the SBOM inside the collection (drop the export flag) and re-run the step:\n\n"
        + _bash(w.run_cmd(0))
        + f"\n\nAlternatively remove `{uri}` from the step's `attestations` and re-sign the policy."
    )
    return Fault(
        context,
        _render(res, w.verify_cmd()),
        answer,
        [[step], ["export*"], [uri, "sbom"]],
        ["--attestor-sbom-export"],
        [{"type": "run_no_export", "step": step, "attestor": "sbom"}],
        kind,
    )


_WRONG_TYPES: tuple[tuple[str, str, str, str], ...] = (
    # variant, attestor, wrong uri, sbom kind
    ("sbom", "sbom", "https://witness.dev/attestations/sbom/v0.1", "spdx"),
    ("sbom", "sbom", "https://witness.dev/attestations/sbom/v0.1", "cyclonedx"),
    ("k8smanifest", "k8smanifest", "https://witness.dev/attestations/k8smanifest/v0.1", "none"),
    ("lockfiles", "lockfiles", "https://witness.dev/attestations/lockfile/v0.1", "none"),
    ("commandrun", "", "https://witness.dev/attestations/commandrun/v0.1", "none"),
    ("secretscan", "secretscan", "https://witness.dev/attestations/secret-scan/v0.1", "none"),
)


def _f_wrong_type_uri(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    variant, attestor, wrong, sbom = phrasing.pick(rng, _WRONG_TYPES)
    atts = ("environment", "git", attestor) if attestor else simulate.DEFAULT_ATTESTORS
    w = _world(rng, (atts, simulate.DEFAULT_ATTESTORS), sbom=sbom, version=version)
    step = w.steps[0]
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    if attestor == "sbom":
        right = SPDX if sbom == "spdx" else CDX
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
    context = (
        f"Recorded with{fmt.get(sbom, '')}:\n"
        + _bash(w.run_cmd(0))
        + f"\nPolicy step `{step}`:\n"
        + _json_block(_step_snippet(bad, step))
    )
    answer = (
        f"The `{step}` step requires `{wrong}`, but no witness attestation has that type: the collection "
        f"records it as `{right}`. Types are compared by exact string, so the collection never matches "
        f"the step and witness reports `no collections found for step {step}`.\n\n"
        f"Fix the entry in `steps.{step}.attestations`:\n\n"
        + _json_block({"type": right, "regopolicies": []})
        + "\n\nthen re-sign the policy:\n\n"
        + _bash(w.sign_cmd())
    )
    return Fault(
        context,
        _render(res, w.verify_cmd()),
        answer,
        [[right], list(_RESIGN)],
        [wrong],
        [],
        variant,
    )


def _f_step_key_mismatch(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version)
    i = rng.randrange(2)
    step = w.steps[i]
    other = phrasing.pick(rng, (step.capitalize(), f"{step}-step", f"{step}_v2", step.upper()))
    if other == step:
        other = f"{step}-step"
    variant = phrasing.pick(rng, ("name_differs", "key_differs"))
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    bad = copy.deepcopy(pol)
    if variant == "name_differs":
        bad["steps"][step]["name"] = other
        key, name = step, other
    else:
        entry = bad["steps"].pop(step)
        steps = {other if k == step else k: v for k, v in [(other, entry), *bad["steps"].items()]}
        if i == 0:
            steps[w.steps[1]]["artifactsFrom"] = [other]
        bad["steps"] = {k: steps[k] for k in ([other, w.steps[1]] if i == 0 else [w.steps[0], other])}
        key, name = other, step
    res = _run_verify(w, bad)
    _expect_fail(res)
    snippet = {"steps": {key: {"name": name, "...": "..."}}}
    context = (
        "Our policy (trimmed):\n"
        + _json_block(snippet)
        + f"\nThe step is recorded with `witness run -s {step}`."
    )
    answer = (
        f"The step's map key `{key}` and its `name` `{name}` differ. Witness searches collections by the map "
        f"key but compares the collection name with `name`; both must equal the `--step` used in "
        f"`witness run` (`{step}`).\n\n"
        f"Fix: make key and name both `{step}`:\n\n"
        + _json_block({"steps": {step: {"name": step}}})
        + "\n\nthen re-sign the policy:\n\n"
        + _bash(w.sign_cmd())
    )
    return Fault(
        context,
        _render(res, w.verify_cmd()),
        answer,
        [[key], [name], ["name"]],
        [],
        [{"type": "json_steps_consistent"}],
        variant,
    )


def _rego(pkg: str, cond: str, msg: str) -> str:
    return f'package {pkg}\n\nimport rego.v1\n\ndeny contains msg if {{\n\t{cond}\n\tmsg := "{msg}"\n}}\n'


def _f_rego_deny(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version)
    step = w.steps[0]
    sc = w.pipe.scenarios[step]
    variant = phrasing.pick(rng, ("branch", "command"))
    if variant == "branch":
        actual = sc.branch
        required = phrasing.pick(rng, [b for b in ("main", "master", "release", "production") if b != actual])
        msg = phrasing.pick(rng, (f"builds must come from {required}", f"branch is not {required}",
                                  "unexpected branch"))  # fmt: skip
        src = _rego("git.branch", f'input.branch != "{required}"', msg)
        att, fix_run = GIT, f"git checkout {required}"
        where = f"the git attestation recorded branch `{actual}`"
    else:
        actual = sc.command[0]
        required = phrasing.pick(rng, [t for t in ("make", "bazel", "goreleaser", "gradle") if t != actual])
        msg = phrasing.pick(rng, (f"build must use {required}", "unexpected build tool",
                                  f"expected {required} as the build command"))  # fmt: skip
        src = _rego("commandrun.tool", f'input.cmd[0] != "{required}"', msg)
        att, fix_run = CMD, ""
        where = f"the command-run attestation recorded `cmd[0]` = `{actual}`"
    names = (
        ("branch-check.rego", "release-branch.rego")
        if variant == "branch"
        else ("build-tool.rego", "cmd.rego")
    )
    name = phrasing.pick(rng, (*names, "guard.rego", "ci-rules.rego"))
    mod = simulate.rego_module(name, src)
    bad = _policy(w, rego={step: {att: [mod]}})
    res = _run_verify(w, bad)
    _expect_fail(res, "policy was denied due to:", msg)
    _expect_pass(_run_verify(w, _policy(w)))
    context = (
        f"CI ran on branch `{sc.branch}`:\n"
        + _bash(w.run_cmd(0))
        + f"\nThe `{step}` step has this Rego module (`{name}`) on `{att}`:\n```rego\n{src}```"
    )
    fix = (
        f"build from `{required}`:\n\n" + _bash(fix_run, w.run_cmd(0))
        if fix_run
        else f"run the build with `{required}` (`witness run -s {step} ... -- {required} ...`)."
    )
    answer = (
        f"The Rego module `{name}` on step `{step}` denied the collection (`{msg}`): {where}, "
        f"but the rule requires `{required}`.\n\n"
        f"Fix: produce the artifact the way the policy expects, i.e. {fix}\n\n"
        f"Or, if `{actual}` is legitimate, change the rule, re-encode the module (base64) in the policy and "
        "re-sign it:\n\n" + _bash(w.sign_cmd())
    )
    return Fault(
        context,
        _render(res, w.verify_cmd()),
        answer,
        [[step, name], [required], [actual]],
        [],
        [],
        variant,
    )


def _f_wrong_artifact(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    w = _world(rng, version=version)
    mats = sorted(p for p in w.pipe.scenarios[w.steps[0]].files_before if not p.startswith(".git"))
    wrong = phrasing.pick(rng, mats)
    digest = hashlib.sha256(w.pipe.scenarios[w.steps[0]].files_before[wrong]).hexdigest()
    pol = _policy(w)
    res = _run_verify(w, pol, subjects=[digest])
    _expect_fail(res, f"no collections found for step {w.steps[0]}")
    _expect_pass(_run_verify(w, pol))
    art = w.pipe.artifact_path
    # the final package (product of the second step) verifies too: the build is found via its git commit
    sc1 = w.pipe.scenarios[w.steps[1]]
    tar = sc1.product_paths()[0]
    tar_digest = hashlib.sha256(sc1.files_after[tar]).hexdigest()
    _expect_pass(_run_verify(w, pol, subjects=[tar_digest]))
    context = "Build step:\n" + _bash(w.run_cmd(0))
    answer = (
        f"`-f {wrong}` hashes a file that no step produced (it is only an input/material of `{w.steps[0]}`), "
        "so no collection has a subject with that digest and every step reports `no collections found`. "
        f"Witness looks attestations up by the sha256 of the artifact you verify.\n\n"
        f"Fix: verify the `{w.steps[0]}` product `{art}` (or pass its sha256, `{w.pipe.artifact_digest[:12]}…`, "
        f"in full with `-s`):\n\n"
        + _bash(w.verify_cmd())
        + f"\n\nVerifying the `{w.steps[1]}` product `{tar}` works as well."
    )
    return Fault(
        context,
        _render(res, w.verify_cmd(artifact=wrong)),
        answer,
        [[art, art.rsplit("/", 1)[-1], w.pipe.artifact_digest[:8], tar, tar_digest[:8]]],
        [],
        [
            {
                "type": "verify_subject",
                "paths": [art, tar],
                "digest": w.pipe.artifact_digest,
                "digests": [tar_digest],
                "bad": wrong,
            }
        ],
        "material",
    )


def _f_no_backref(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Fault:
    variant = phrasing.pick(rng, ("environment", "extra"))
    given = ("environment",) if variant == "environment" else ("environment", phrasing.pick(rng, _PB_SAFE))
    w = _world(rng, (simulate.DEFAULT_ATTESTORS, given), version=version)
    step = w.steps[1]
    pol = _policy(w)
    res = _run_verify(w, pol)
    _expect_fail(res, f"no collections found for step {step}")
    good = simulate.run_step(
        step, w.pipe.scenarios[step], w.keys["s1"], attestors=("environment", "git", *given[1:])
    )
    envs = dict(w.pipe.envelopes)
    envs[step] = good.envelope
    _expect_pass(_run_verify(w, pol, envs))
    context = "CI:\n" + _bash(w.run_cmd(0), w.run_cmd(1))
    answer = (
        f"`{step}` is never found: its product (the archive) is not the file you verify, and it has no "
        f"`git` attestation because `-a {','.join(given)}` replaced the defaults. Witness discovers later steps "
        f"only through the artifact digest or the back-references (git `commithash`) of steps that already "
        f"passed, so nothing links `{step}` to `{w.steps[0]}`.\n\n"
        f"Fix: record `git` in `{step}` too (same checkout, same commit):\n\n"
        + _bash(w.run_cmd(1, ("environment", "git", *given[1:])))
    )
    return Fault(
        context,
        _render(res, w.verify_cmd()),
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
    w = _world(rng, version=version)
    s0, s1 = w.steps
    path = w.pipe.artifact_path
    label, tmpl = phrasing.pick(rng, _MODIFIERS[_artifact_kind(w.pipe.scenarios[s0].files_after[path])])
    sc = w.pipe.scenarios[s1]
    fb = dict(sc.files_before)
    fb[path] = fb[path] + f"\n#{label}".encode()
    tarred = simulate.tar_gz({p: fb[p] for p in w.pipe.scenarios[s0].product_paths()})
    fa = {**sc.files_after, path: fb[path]}
    tar_name = next(p for p in sc.product_paths())
    fa[tar_name] = tarred
    sc2 = sc.with_(files_before=fb, files_after=fa)
    bad = simulate.run_step(s1, sc2, w.keys["s1"], attestors=w.attestors[1])
    envs = dict(w.pipe.envelopes)
    envs[s1] = bad.envelope
    pol = _policy(w)
    res = _run_verify(w, pol, envs)
    _expect_fail(res, f"mismatched digests for {path}")
    _expect_pass(_run_verify(w, pol))
    mod = tmpl.format(p=path)
    context = (
        "CI:\n"
        + _bash(w.run_cmd(0), mod, w.run_cmd(1))
        + f"\nThe release gate verifies the `{path}` that the `{s0}` job uploaded."
    )
    answer = (
        f'Step `{s1}` has `artifactsFrom: ["{s0}"]`, so its materials must match what `{s0}` produced. '
        f"`{mod}` changes `{path}` between the two steps, so the digest `{s1}` recorded as material differs "
        f"from `{s0}`'s product (`mismatched digests for {path}`).\n\n"
        f"Fix: don't modify the artifact outside an attested step; do it inside `{s0}`:\n\n"
        + _bash(
            w.run_cmd(0).split(" -- ")[0] + f' -- sh -c "{" ".join(w.pipe.scenarios[s0].command)} && {mod}"'
        )
        + f"\n\nor attest `{mod}` as a witness step of its own (a new policy step with `artifactsFrom: "
        f'["{s0}"]`), point `{s1}`\'s `artifactsFrom` at that step, re-sign the policy and verify the '
        "modified file."
    )
    return Fault(
        context,
        _render(res, w.verify_cmd()),
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
    i = rng.randrange(2)
    step = w.steps[i]
    wrong = phrasing.pick(rng, (f"{step}-job", step.replace("-", "_") + "_step", f"{step}s", "ci"))
    if wrong == step:
        wrong = f"{step}-job"
    pol = _policy(w)
    _expect_pass(_run_verify(w, pol))
    bad = simulate.run_step(wrong, w.pipe.scenarios[step], w.keys[f"s{i}"], attestors=w.attestors[i])
    envs = dict(w.pipe.envelopes)
    envs[step] = bad.envelope
    res = _run_verify(w, pol, envs)
    _expect_fail(res, f"no collections found for step {step}")
    context = "CI:\n" + _bash(*(w.run_cmd(j, step=wrong if j == i else "") for j in range(2)))
    answer = (
        f"The attestation in `{w.att_files[step]}` was recorded with `-s {wrong}`, so its collection is "
        f"named `{wrong}`. Witness looks up collections by the policy step name `{step}`, so that one is "
        "never found.\n\n"
        f"Fix: re-record it with the policy's step name:\n\n"
        + _bash(w.run_cmd(i))
        + f"\n\n(or rename the policy step, key and `name`, to `{wrong}`"
        + (f", also in `{w.steps[1]}`'s `artifactsFrom`," if i == 0 else "")
        + " and re-sign the policy)."
    )
    return Fault(
        context,
        _render(res, w.verify_cmd()),
        answer,
        [[step], [wrong]],
        [],
        [{"type": "run_step_not", "bad": wrong}],
        "renamed",
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
}


# ----------------------------------------------------------------------------- questions

_TEMPLATES: tuple[str, ...] = (
    "`witness verify` fails and I don't see why.\n\n{context}\n\nOutput:\n```\n{output}\n```\n\nWhat is wrong and how do I fix it?",
    "Our release gate broke. {context}\n\n```\n{output}\n```\n\nWhat's the cause, and what exactly should I change?",
    "Can you diagnose this witness verification failure?\n\n```\n{output}\n```\n\nContext: {context}",
    "{context}\n\nRunning verify gives:\n```\n{output}\n```\nWhy does it fail? Give me the concrete fix.",
    "Debugging a supply-chain check in CI.\n```\n{output}\n```\n{context}\n\nWhat does this error mean and how do I get verification to pass?",
    "Verification fails with the output below.\n\n```text\n{output}\n```\n\n{context}\n\nPlease explain the root cause and the fix.",
    "Help: witness says verification failed.\n\n{context}\n\n```console\n{output}\n```\n\nWhat did I do wrong?",
    "I'm getting this from `witness verify`:\n\n```\n{output}\n```\n\n{context}\n\nHow do I fix it?",
)


def make(rng: random.Random, version: WitnessVersion = versions.V0_12) -> Example:
    cause = phrasing.pick(rng, CAUSES)
    seed = rng.randrange(2**31)
    # the task is a function of (cause, seed) and of the release whose output it shows
    fault = FAULTS[cause](random.Random(f"{cause}:{seed}"), version)
    t = rng.randrange(len(_TEMPLATES))
    q = _TEMPLATES[t].format(context=fault.context.strip(), output=fault.output)
    if q.endswith("```"):  # a closer such as " Thanks!" must not land on the closing fence line
        q += "\n"
    question = phrasing.dress(rng, q)
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
        answer=fault.answer,
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
    from witness_evals.witness.cli_spec import parse_command

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
        if runs and all(a.step == c["bad"] for a in runs):
            return "proposed `witness run` still uses the wrong step name"
    elif kind == "verify_pub":
        if verifies and not any(a.publickey == c["pub"] for a in verifies):
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
    elif kind == "json_keyid":
        for doc in _json_objects(answer):
            for node in _walk(doc):
                if isinstance(node, dict) and c["bad"] in (node.get("keyid"), node.get("publickeyid")):
                    return "proposed policy still uses the wrong keyid"
    elif kind == "json_steps_consistent":
        for doc in _json_objects(answer):
            steps = doc.get("steps") if isinstance(doc, dict) else None
            if isinstance(steps, dict):
                for key, st in steps.items():
                    if isinstance(st, dict) and "name" in st and st["name"] != key:
                        return f"proposed step key {key!r} still differs from name {st['name']!r}"
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
