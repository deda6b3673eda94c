"""What a reviewer finds in a witness policy: the `traps` family's cases.

Three verdicts, each built from a valid world policy (`traps_world`):

* `broken` — one REFERENCE.md §8 trap injected (wrong type URI, raw Rego in `module`, wrong keyid,
  snake_case tag, ...); the fix is the world's valid policy. `policy_check` must flag the trap.
* `weak` — a policy that verifies but that a security reviewer should flag (any certificate of the
  CA, no `artifactsFrom` hand-over, every key trusted for every step, no Rego on the CI attestation or
  on a requirement the user states, an expiry years away); the tightened policy is the world's valid
  one, and an `Attack` is a run the weak policy accepts and the tightened one rejects (the family
  checks both with the core verifier).
* `ok` — the valid policy, sometimes with a harmless look-alike (`regoPolicies`, a named `publickeys`
  map key, `"type": "key"`, lower-case `artifactsfrom`, a PKCS#1 RSA key).

Every sentence comes in several wordings (`Case.heads`, `Case.reasons`) so answers share no frame.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from cryptography.hazmat.primitives import serialization

from witness_evals.generate.phrasing import pick
from witness_evals.generate.traps_world import (
    ATTACK_BRANCHES,
    ATTACK_COMMANDS,
    SBOM_TYPES,
    TYPE_OF,
    Attack,
    World,
    WorldSpec,
    draw_spec,
    far_expiry,
)
from witness_evals.witness import crypto, versions
from witness_evals.witness.policy import format_go_time, parse_rfc3339
from witness_evals.witness.versions import WitnessVersion

SBOM_TYPE_TRAP = "https://witness.dev/attestations/sbom/v0.1"
COLLECTION_TYPES = (
    "https://witness.dev/attestation-collection/v0.1",
    "https://witness.testifysec.com/attestation-collection/v0.1",
)
REMOVAL_TERMS = (
    "remove",
    "delete",
    "drop",
    "take it out",
    "take out",
    "get rid of",
    "not an attestation",
    "isn't an attestation",
    "is not an attestor",
    "isn't an attestor",
    "not an attestor type",
)
TYPE_VERSION_TRAPS: tuple[tuple[str, str, str, str], ...] = (
    (
        "k8smanifest-v0.1",
        "k8smanifest",
        "https://witness.dev/attestations/k8smanifest/v0.1",
        TYPE_OF["k8smanifest"],
    ),
    ("vex-versioned", "vex", "https://witness.dev/attestations/vex/v0.1", TYPE_OF["vex"]),
    ("commandrun", "", "https://witness.dev/attestations/commandrun/v0.1", TYPE_OF["command-run"]),
)
"""(variant, extra attestor it needs, wrong URI, right URI). No slsa/link: the core models that a
collection carrying a (non-exported) slsa or link predicate cannot be loaded back by `witness verify`."""
KEY_LABELS = ("ci-signing-key", "build-key", "release-signer", "github-actions", "jenkins-key")
LATE_VERIFY = "2030-06-01T00:00:00+00:00"
"""When the far-expiry attack verifies: after every tightened expiry (<= 2028), before the loose one."""
SHORT = {
    TYPE_OF["material"]: "material",
    TYPE_OF["command-run"]: "command-run",
    TYPE_OF["product"]: "product",
    TYPE_OF["git"]: "git",
    TYPE_OF["environment"]: "environment",
    TYPE_OF["github"]: "github",
}


@dataclass
class Case:
    """One reviewed policy: what the user pastes, the verdict, the reasons and the fix."""

    verdict: str
    """ok | broken | weak"""
    trap: str
    world: World
    shown: dict[str, Any]
    """The policy the user pastes."""
    heads: tuple[str, ...]
    """Alternative first sentences after the verdict opener (the finding)."""
    reasons: tuple[str, ...] = ()
    """Alternative explanations of the witness behaviour behind the finding (1-2 sentences)."""
    fixes: tuple[str, ...] = ()
    """Alternative sentences saying what the corrected policy changes."""
    fixed: dict[str, Any] | None = None
    """The complete corrected / tightened policy (None: nothing to change)."""
    flagged: str = ""
    """Substring of a `check_policy` finding on `shown` (broken cases)."""
    require: list[list[str]] = field(default_factory=list)
    forbid: list[str] = field(default_factory=list)
    must: list[str] = field(default_factory=list)
    show_rego: bool = False
    """The answer shows the (fixed) Rego module source too."""
    rego_check: bool = False
    """Rego blocks of an answer must compile and define a set-valued deny."""
    expires_fix: bool = False
    no_ignored: bool = False
    silent: bool = False
    """Broken, but `witness verify` still passes: the policy just does not enforce what it says."""
    attack: Attack | None = None
    attack_story: str = ""
    """What the attack is, in words (weak cases)."""
    expires_max: str = ""
    concern: tuple[str, ...] = ()
    """How an auditor or colleague would name the suspicious spot."""
    requirement: str = ""
    """A requirement the user states in the question (the weak case is measured against it)."""
    notes: list[str] = field(default_factory=list)

    @property
    def fails_verify(self) -> bool:
        return self.verdict == "broken" and not self.silent


@dataclass(frozen=True)
class Kind:
    """A case kind: which world it needs (`draw_spec` arguments) and how it turns that world into a case."""

    name: str
    verdict: str
    world: dict[str, Any]
    make: Callable[[random.Random, World, WitnessVersion], Case]
    applies: Callable[[WitnessVersion], bool] = lambda v: True
    weight: float = 1.0

    @property
    def world_class(self) -> str:
        """Kinds with the same world needs share one pool of worlds."""
        return json.dumps(self.world, sort_keys=True)

    def spec(self, index: int) -> WorldSpec:
        """World number `index` of this kind's pool (deterministic)."""
        return draw_spec(random.Random(f"traps:{self.world_class}:{index}"), **self.world)


# ----------------------------------------------------------------------------- helpers


def _copy(policy: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON policy (a JSON round trip: faster than `copy.deepcopy` for plain JSON)."""
    out: dict[str, Any] = json.loads(json.dumps(policy))
    return out


def _atts(policy: dict[str, Any], step: str) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], policy["steps"][step]["attestations"])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _rename_key(d: dict[str, Any], old: str, new: str) -> None:
    items = [(new if k == old else k, v) for k, v in d.items()]
    d.clear()
    d.update(items)


def _pk_entry(p: dict[str, Any], keyid: str | None = None) -> tuple[str, dict[str, Any]]:
    k = keyid if keyid is not None else next(iter(p["publickeys"]))
    return k, cast(dict[str, Any], p["publickeys"][k])


def _rekey(p: dict[str, Any], old: str, new: str, *, map_key: str | None = None) -> None:
    """Rename key id `old` to `new` (map key, keyid field, functionaries)."""
    keys = p["publickeys"]
    entry = keys.pop(old)
    entry["keyid"] = new
    keys[map_key or new] = entry
    for st in p["steps"].values():
        for f in st["functionaries"]:
            if f.get("publickeyid") == old:
                f["publickeyid"] = new


def key_source(w: World, step: str) -> str:
    """How the user derives a step's public key from the private key file named in the question."""
    return f"openssl pkey -in {w.key_files[step]} -pubout"


def key_phrase(w: World, step: str) -> str:
    return f"`{w.key_files[step]}`"


def types_phrase(types: list[str]) -> str:
    names = [SHORT.get(t, f"`{t}`") for t in types]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _set_module(p: dict[str, Any], w: World, module: str, *, raw: bool = False) -> None:
    assert w.rego is not None
    for a in _atts(p, w.rego.step):
        if a["type"] == w.rego.type:
            a["regopolicies"][0]["module"] = module if raw else _b64(module.encode())


def _drop_rego(p: dict[str, Any], w: World) -> None:
    assert w.rego is not None
    for a in _atts(p, w.rego.step):
        if a["type"] == w.rego.type:
            a["regopolicies"] = []


def spec_any(**kw: Any) -> dict[str, Any]:
    return kw


# ----------------------------------------------------------------------------- broken: types


def _collection(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
    step = pick(rng, w.steps)
    wrong = pick(rng, COLLECTION_TYPES)
    atts = _atts(p, step)
    atts.insert(rng.randrange(len(atts) + 1), {"type": wrong, "regopolicies": []})
    variant = "witness-dev" if "witness.dev" in wrong else "testifysec"
    domain = (
        " (and even that type lives on the testifysec domain, "
        "`https://witness.testifysec.com/attestation-collection/v0.1`)"
        if variant == "witness-dev"
        else ""
    )
    return Case(
        "broken",
        f"collection-type/{variant}",
        w,
        p,
        heads=(
            f"`{wrong}` is not an attestation type, so step `{step}` can never pass.",
            f"step `{step}` requires `{wrong}`, which no attestor records, so that step never passes.",
            f"the `{wrong}` entry in step `{step}` can never be satisfied.",
        ),
        reasons=(
            "Every entry in a step's `attestations` must be the type of an attestor recorded inside the "
            "collection, such as material, command-run or product; the attestation collection is the predicate "
            f"type of the whole statement{domain}, and no attestation inside a collection carries it.",
            "`attestations` lists what must be found inside the collection, while the collection type is the "
            f"statement's own predicate type{domain}, so witness looks for an attestation that cannot exist.",
        ),
        fixes=(
            "Remove that entry; the other required types stay as they are.",
            "Drop it from the list and keep the attestor types.",
        ),
        fixed=w.policy,
        flagged=wrong,
        require=[["collection"], list(REMOVAL_TERMS)],
        forbid=[json.dumps(wrong)],
        concern=(f"the `{wrong}` entry", "the attestation-collection type in the step"),
    )


def _type_version(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    name, attestor, wrong, right = next(t for t in TYPE_VERSION_TRAPS if t[1] == w.spec.extra)
    p = _copy(w.policy)
    step = w.steps[0]
    for a in _atts(p, step):
        if a["type"] == right:
            a["type"] = wrong
    label = attestor or "command-run"
    return Case(
        "broken",
        f"type-version/{name}",
        w,
        p,
        heads=(
            f"step `{step}` requires `{wrong}`, but the {label} attestor records its attestation as `{right}`.",
            f"`{wrong}` is not the type the {label} attestor writes (`{right}`), so step `{step}` never passes.",
        ),
        reasons=(
            "Witness compares attestation types by exact string equality, so the required type is never "
            f"found in the collection and step `{step}` fails.",
            "Types are matched as exact strings; no collection ever contains the version you wrote, so the "
            "step is never satisfied.",
        ),
        fixes=(
            f"Use the exact URI `{right}` (`witness attestors list` prints every type).",
            f"Require `{right}` instead; `witness attestors list` shows the exact strings.",
        ),
        fixed=w.policy,
        flagged=wrong,
        require=[[right]],
        forbid=[json.dumps(wrong)],
        must=[json.dumps(right)],
        concern=(f"the `{wrong}` type", f"the {label} type URI"),
    )


def _sbom(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    right = SBOM_TYPES[w.spec.sbom]
    p = _copy(w.policy)
    step = w.steps[0]
    for a in _atts(p, step):
        if a["type"] == right:
            a["type"] = SBOM_TYPE_TRAP
    kind = "SPDX" if w.spec.sbom == "spdx" else "CycloneDX"
    return Case(
        "broken",
        f"sbom-type/{w.spec.sbom}",
        w,
        p,
        heads=(
            f"a real collection never contains `{SBOM_TYPE_TRAP}`, so step `{step}` can never pass.",
            f"step `{step}` requires `{SBOM_TYPE_TRAP}`, a type the sbom attestor never records.",
        ),
        reasons=(
            "The sbom attestor records the SBOM under the document's own type: `https://spdx.dev/Document` "
            f"for SPDX, `https://cyclonedx.org/bom` for CycloneDX. Your build writes a {kind} SBOM.",
            f"The attestation's type is the SBOM format's URI, not a witness.dev one; for the {kind} file your "
            f"build writes that is `{right}`.",
        ),
        fixes=(f"Require `{right}` instead.", f"Replace the type with `{right}`."),
        fixed=w.policy,
        flagged=SBOM_TYPE_TRAP,
        require=[[right]],
        forbid=[json.dumps(SBOM_TYPE_TRAP)],
        must=[json.dumps(right)],
        concern=("the SBOM attestation type", f"`{SBOM_TYPE_TRAP}`"),
    )


def _empty_attestations(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
    step = pick(rng, w.steps)
    p["steps"][step]["attestations"] = []
    text = versions.EMPTY_ATTESTATIONS_ERROR.format(step=step)
    older = " and ".join(x.releases for x in versions.PROFILES.values() if not x.empty_attestations_fails)
    return Case(
        "broken",
        "empty-attestations",
        w,
        p,
        heads=(
            f"step `{step}` lists no attestations, and {v.label} rejects that.",
            f"the empty `attestations` list of step `{step}` fails verification in {v.label}.",
        ),
        reasons=(
            f"Since go-witness v0.12.0 an empty list is not a valid gate: verification fails with `{text}`. "
            f"Older releases ({older}) accepted it and checked nothing at all for that step.",
            f"{v.label} fails it with `{text}`; before that ({older}) such a step passed without checking "
            "any attestation, which was never what it looked like.",
        ),
        fixes=(
            "List the types the step records (material, command-run and product at least).",
            f"Require what `{step}` actually records: material, command-run, product.",
        ),
        fixed=w.policy,
        flagged="declares no required attestations",
        require=[["attestations"], ["material", "command-run", "product"]],
        concern=(f"the empty `attestations` list of `{step}`",),
    )


# ----------------------------------------------------------------------------- broken: Rego


def _rego_name(w: World) -> str:
    assert w.rego is not None
    return w.rego.name


def _rego_v1(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    assert w.rego is not None
    bad = w.rego.source(imports=False)
    p = _copy(w.policy)
    _set_module(p, w, bad)
    name = _rego_name(w)
    return Case(
        "broken",
        "rego-v1-without-import",
        w,
        p,
        heads=(
            f"the Rego module `{name}` uses Rego v1 keywords (`deny contains msg if`) without `import rego.v1`.",
            f"module `{name}` does not parse in `witness verify`: `contains` and `if` need `import rego.v1`.",
        ),
        reasons=(
            "`witness verify` parses policy modules with OPA's v0-compatible parser, which rejects "
            "`contains`/`if` unless the module imports them, so verification errors out.",
            "go-witness compiles modules with OPA's v0 parser; without the import those keywords are "
            "syntax errors and verification stops before any step is judged.",
        ),
        fixes=(
            "Add `import rego.v1` after the package line (the form both `witness verify` and "
            "`witness policy check` accept) and store the module base64-encoded again.",
            "With `import rego.v1` the module parses in both `witness verify` and `witness policy check`; "
            f"re-encode it with `base64 -w0 {w.rego.file}`.",
        ),
        fixed=w.policy,
        flagged="without `import rego.v1`",
        require=[["import rego.v1", "future.keywords"]],
        show_rego=True,
        rego_check=True,
        concern=(f"the Rego module `{name}`", "how the Rego is written"),
    )


def _deny_type(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    assert w.rego is not None
    r = w.rego
    kind = pick(rng, ("default-string", "concat"))
    conds = "\n".join(f"\t{c}" for c in r.conditions)
    pre = "".join(line + "\n\n" for line in r.preamble)
    if kind == "default-string":
        body = f'default deny := ""\n\ndeny := msg if {{\n{conds}\n\tmsg := {r.message}\n}}\n'
    else:
        body = (
            f"violations contains msg if {{\n{conds}\n\tmsg := {r.message}\n}}\n\n"
            'deny := concat(", ", violations)\n'
        )
    bad = f"package {r.package}\n\nimport rego.v1\n\n{pre}{body}"
    p = _copy(w.policy)
    _set_module(p, w, bad)
    return Case(
        "broken",
        f"deny-not-a-set/{kind}",
        w,
        p,
        heads=(
            f"`deny` in module `{r.name}` is a single string, but witness requires `deny` to be a set of strings.",
            f"module `{r.name}` makes `deny` a string; witness rejects anything but a set (or array) of strings.",
        ),
        reasons=(
            f"go-witness evaluates `data.{r.package}.deny` and rejects any value that is not an array/set of "
            f"strings (`invalid data from rego at data.{r.package}.deny, expected []interface{{}} but got string`), so "
            "this step errors on every input.",
            f"The result of `data.{r.package}.deny` must be a collection of messages; a string makes witness "
            "fail with `invalid data from rego` whatever the attestation says.",
        ),
        fixes=(
            "Use a partial set rule that adds one message per violation:",
            "Write `deny` as a partial set rule, `deny contains msg if`:",
        ),
        fixed=w.policy,
        flagged="is not a set of strings",
        require=[["deny contains", "deny[msg]", "set"]],
        show_rego=True,
        rego_check=True,
        concern=(f"the `deny` rule in `{r.name}`",),
    )


def _no_deny(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    assert w.rego is not None
    r = w.rego
    rule = pick(rng, ("violation", "violations", "deny_msg", "denied"))
    bad = r.source(rule=f"{rule} contains msg if")
    p = _copy(w.policy)
    _set_module(p, w, bad)
    return Case(
        "broken",
        f"no-deny-rule/{rule}",
        w,
        p,
        heads=(
            f"package `{r.package}` defines no `deny` rule, so the Rego check `{r.name}` silently passes everything.",
            f"`{r.name}` never denies anything: witness only reads `deny`, and the rule is called `{rule}`.",
        ),
        reasons=(
            f"witness only queries `data.{r.package}.deny`; a rule named `{rule}` is never read. An undefined "
            "`deny` makes the query return no result, which go-witness treats as a pass.",
            f"The query is `data.{r.package}.deny`. With no rule of that name it is undefined, and an "
            "undefined result counts as no denial, so the check enforces nothing.",
        ),
        fixes=("Name the rule `deny`:", "Rename the rule to `deny`:"),
        fixed=w.policy,
        flagged="defines no deny rule",
        require=[["deny contains", "deny[msg]", "rename", "`deny`"]],
        show_rego=True,
        rego_check=True,
        silent=True,
        concern=(f"the rule names in `{r.name}`",),
    )


def _module_raw(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    assert w.rego is not None
    p = _copy(w.policy)
    _set_module(p, w, w.rego.text, raw=True)
    return Case(
        "broken",
        "module-not-base64",
        w,
        p,
        heads=(
            "`regopolicies[].module` holds raw Rego text, but it is a Go `[]byte` field.",
            f"the `module` of `{w.rego.name}` is plain Rego source; witness expects base64 there.",
        ),
        reasons=(
            "encoding/json expects standard base64 (with padding) in a `[]byte` field, so the whole policy "
            "fails to unmarshal before anything is verified.",
            "Go decodes `module` as base64; raw source is not valid base64, so the policy cannot even be "
            "loaded and every verification fails.",
        ),
        fixes=(
            f"Store the base64 of the module (`base64 -w0 {w.rego.file}`):",
            f"Encode the file with `base64 -w0 {w.rego.file}` and put that string in `module`:",
        ),
        fixed=w.policy,
        flagged="base64",
        require=[["base64"]],
        show_rego=True,
        concern=("the `module` field", "how the Rego is embedded"),
    )


# ----------------------------------------------------------------------------- broken: keys


def _key_der(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
    step = pick(rng, w.steps)
    keyid, entry = _pk_entry(p, w.keyids[step])
    pem = base64.b64decode(entry["key"])
    der = crypto.public_der(crypto.Verifier.from_pem(pem).public_key)
    entry["key"] = _b64(der)
    return Case(
        "broken",
        "key-base64-der",
        w,
        p,
        heads=(
            f"the `key` of `{keyid}` is base64 of the DER-encoded key, not of the PEM text.",
            f"the public key of {key_phrase(w, step)} is embedded as base64 of DER bytes; witness wants "
            "base64 of the PEM file.",
        ),
        reasons=(
            "witness decodes the base64 and then expects a PEM block, so loading the policy keys fails with "
            "`invalid pem block` and verification aborts.",
            "After base64-decoding `key`, go-witness parses a PEM block; DER bytes are not one, so it stops "
            "with `invalid pem block` before any step is checked.",
        ),
        fixes=(
            f"Store the base64 of the whole `-----BEGIN PUBLIC KEY-----` text (`{key_source(w, step)} | "
            "base64 -w0`); that value starts with `LS0tLS1CRUdJTi`:",
            f"Embed `{key_source(w, step)} | base64 -w0` instead (base64 of PEM always starts with "
            "`LS0tLS1CRUdJTi`):",
        ),
        fixed=w.policy,
        flagged="invalid pem",
        require=[["pem"]],
        forbid=[entry["key"]],
        must=["LS0tLS1CRUdJTi"],
        concern=("the embedded public key", "the `key` value"),
    )


def _keyid(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
    step = pick(rng, w.steps)
    right, entry = _pk_entry(p, w.keyids[step])
    pem = base64.b64decode(entry["key"])
    pub = crypto.Verifier.from_pem(pem).public_key
    options = ["der", "b64", "no-newline"]
    if crypto.key_kind(pub).startswith("rsa"):
        options += ["pkcs1", "pkcs1"]
    how = pick(rng, options)
    if how == "der":
        wrong = hashlib.sha256(crypto.public_der(pub)).hexdigest()
        why = "the SHA-256 of the DER bytes"
    elif how == "b64":
        wrong = hashlib.sha256(entry["key"].encode()).hexdigest()
        why = "the SHA-256 of the base64 string"
    elif how == "pkcs1":
        pkcs1 = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        entry["key"] = _b64(pkcs1)
        wrong = hashlib.sha256(pkcs1).hexdigest()
        why = "`sha256sum` of a PKCS#1 `RSA PUBLIC KEY` file (`openssl rsa -RSAPublicKey_out`)"
    else:
        stripped = pem.rstrip(b"\n")
        entry["key"] = _b64(stripped)
        wrong = hashlib.sha256(stripped).hexdigest()
        why = "`sha256sum` of a PEM file that lost its trailing newline"
    _rekey(p, right, wrong)
    return Case(
        "broken",
        f"keyid-wrong/{how}",
        w,
        p,
        heads=(
            f"the key ID `{wrong}` is not the witness key ID of the key embedded with it.",
            f"`{wrong}` does not match the key it labels, so witness refuses the whole policy.",
        ),
        reasons=(
            "witness recomputes the key ID as the SHA-256 of Go's canonical PKIX `PUBLIC KEY` PEM (64-column "
            f"lines, trailing newline), not {why}, and aborts with `public key in policy has expected key id "
            f"{wrong} but got {right}`.",
            f"The key ID must be the SHA-256 of the canonical PKIX PEM of the key; {why} gives another value, "
            f"and verification stops with `public key in policy has expected key id {wrong} but got {right}`.",
        ),
        fixes=(
            f"The correct key ID is `{right}` (`{key_source(w, step)} | sha256sum`); use it for the map key, "
            "`keyid` and every functionary `publickeyid`:",
            f"Use `{right}`, which `{key_source(w, step)} | sha256sum` prints, in all three places (map key, "
            "`keyid`, `publickeyid`):",
        ),
        fixed=w.policy,
        flagged="expected key id",
        require=[[right]],
        forbid=[wrong],
        must=[right],
        notes=[
            "`witness policy check` does not recompute key IDs, so it would not have caught this; "
            "`witness-evals check policy` does."
        ],
        concern=("the key ID", f"the `keyid` of {key_phrase(w, step)}"),
    )


def _mapkey_ref(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
    step = pick(rng, w.steps)
    keyid, _entry = _pk_entry(p, w.keyids[step])
    label = pick(rng, KEY_LABELS)
    _rekey(p, keyid, label, map_key=label)
    p["publickeys"][label]["keyid"] = keyid
    return Case(
        "broken",
        "functionary-key-missing/map-key",
        w,
        p,
        heads=(
            f"the functionaries reference `{label}`, which is only the map key in `publickeys`.",
            f"`publickeyid` is `{label}`, but witness matches functionaries on the key's `keyid`, not on map keys.",
        ),
        reasons=(
            "witness ignores the `publickeys` map key; a functionary's `publickeyid` must equal the key's "
            "`keyid`, otherwise it matches no verifier and the step fails.",
            "The map key is just a label. Signers are matched by the `keyid` field, so a functionary naming "
            "the label never accepts anyone and the step fails.",
        ),
        fixes=(
            f"Reference the key ID `{keyid}`:",
            f"Point the functionaries at `{keyid}` (and key the map by it too, for clarity):",
        ),
        fixed=w.policy,
        flagged="is not the keyid of any key",
        require=[[keyid]],
        forbid=[f'"publickeyid": "{label}"'],
        concern=(f"the `{label}` name", "how the functionary refers to the key"),
    )


def _missing_key(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
    step = w.steps[1]
    missing = w.keyids[step]
    p["publickeys"].pop(missing)
    return Case(
        "broken",
        "functionary-key-missing/not-embedded",
        w,
        p,
        heads=(
            f"step `{step}` trusts key `{missing}`, but that key is not embedded in `publickeys`.",
            f"the key of {key_phrase(w, step)} is referenced by step `{step}` but missing from `publickeys`.",
        ),
        reasons=(
            "Only the public keys inside the policy (and certificates chaining to its `roots`) verify "
            f"collection signatures, so a functionary pointing at any other key ID never matches and `{step}` "
            "fails.",
            "witness builds its verifiers from `publickeys` alone; a `publickeyid` without an entry there "
            f"cannot match any signature, so `{step}` never passes.",
        ),
        fixes=(
            f"Add the public key of {key_phrase(w, step)} (`{key_source(w, step)} | base64 -w0`):",
            f"Embed {key_phrase(w, step)}'s public key under its key ID (`{key_source(w, step)} | sha256sum` "
            "gives the ID, `| base64 -w0` the value):",
        ),
        fixed=w.policy,
        flagged="is not the keyid of any key",
        require=[["publickeys"]],
        must=[missing],
        concern=(f"the functionary of `{step}`", "the `publickeys` section"),
    )


# ----------------------------------------------------------------------------- broken: structure


def _step_name(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
    step = pick(rng, w.steps)
    how = pick(rng, ("case", "other", "missing"))
    entry = p["steps"][step]
    if how == "case":
        got = step.title() if step.title() != step else step.upper()
    else:
        got = pick(rng, [s for s in ("build", "package", "test", "release", "compile") if s not in w.steps])
    if how == "missing":
        del entry["name"]
        heads: tuple[str, ...] = (
            f"step `{step}` has no `name`.",
            f"the `{step}` entry is missing its `name`, so no collection can ever match it.",
        )
    else:
        entry["name"] = got
        heads = (
            f"the step map key `{step}` and its `name` `{got}` differ.",
            f"step `{step}` is named `{got}` inside; witness needs the key and `name` to be identical.",
        )
    return Case(
        "broken",
        f"step-name/{how}",
        w,
        p,
        heads=heads,
        reasons=(
            "witness searches collections by the map key but validates them against `name`, so both must be "
            f"identical (and equal to `witness run --step {step}`); otherwise every collection is skipped and "
            "the step fails.",
            f"The search uses the key and the check compares the collection name with `name`; unless both match "
            f"`{step}` (the `--step` of your run), every collection is skipped.",
        ),
        fixes=(f'Set `"name": "{step}"`:', f'Make `name` match the key: `"name": "{step}"`.'),
        fixed=w.policy,
        flagged="the map key and 'name' must be identical",
        require=[
            ["name"],
            ["identical", "match", "same", "equal", "differ", "mismatch", "missing", "no name"],
        ],
        concern=(f"the `{step}` step entry", "the step names"),
    )


def _snake(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
    options = ["public_keys", "public_key_id"] if not w.x509 else ["cert_constraint"]
    if len(w.steps) > 1:
        options.append("artifacts_from")
    if w.rego is not None:
        options.append("rego_policies")
    bad = pick(rng, options)
    step = w.steps[-1]
    if bad == "artifacts_from":
        right = "artifactsFrom"
        _rename_key(p["steps"][step], right, bad)
        frm = p["steps"][step][bad][0]
        effect = f"step `{step}` no longer checks that its materials came from `{frm}`"
    elif bad == "rego_policies":
        assert w.rego is not None
        right = "regopolicies"
        step = w.rego.step
        for a in _atts(p, step):
            if a["type"] == w.rego.type:
                _rename_key(a, right, bad)
        effect = f"the Rego module `{w.rego.name}` is never evaluated"
    elif bad == "public_key_id":
        right = "publickeyid"
        step = pick(rng, w.steps)
        for f in p["steps"][step]["functionaries"]:
            _rename_key(f, right, bad)
        effect = f"the functionary of step `{step}` has no key and can never match, so the step fails"
    elif bad == "cert_constraint":
        right = "certConstraint"
        step = pick(rng, w.steps)
        for f in p["steps"][step]["functionaries"]:
            _rename_key(f, right, bad)
        effect = f"the functionary of step `{step}` has no constraint and accepts no certificate"
    else:
        right = "publickeys"
        _rename_key(p, right, bad)
        effect = "no key is embedded, so no functionary `publickeyid` can match and every step fails"
    silent = bad in ("artifacts_from", "rego_policies")
    return Case(
        "broken",
        f"snake-case-tag/{bad}",
        w,
        p,
        heads=(
            f"`{bad}` is not a witness policy field: witness silently ignores it, so {effect}.",
            f"witness drops the unknown key `{bad}` without a warning, so {effect}.",
        ),
        reasons=(
            "Go's encoding/json matches field names case-insensitively but does not translate snake_case, "
            "and unknown keys are dropped without an error.",
            "Field names bind case-insensitively (`regoPolicies` would work), but an underscore makes it a "
            "different name, and unknown names are ignored.",
        ),
        fixes=(f"The field is `{right}`:", f"Spell it `{right}`:"),
        fixed=w.policy,
        flagged="unknown key",
        require=[
            [right.lower()],
            ["ignore", "dropped", "drops", "silently", "unknown", "no effect", "not a"],
        ],
        forbid=[f'"{bad}"'],
        no_ignored=True,
        silent=silent,
        concern=(f"`{bad}`", "the field names"),
    )


def _cert_constraint(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
    step = w.steps[0]
    cc = p["steps"][step]["functionaries"][0]["certConstraint"]
    email = w.emails[step]
    domain = email.split("@", 1)[1]
    how = pick(rng, ("partial-glob", "empty-roots", "omitted-sans"))
    if how == "partial-glob":
        cc["emails"] = [f"*@{domain}"]
        heads: tuple[str, ...] = (
            f'`"emails": ["*@{domain}"]` never matches a certificate.',
            f"the email constraint `*@{domain}` of step `{step}` is compared literally, so it matches nobody.",
        )
        reasons: tuple[str, ...] = (
            'In a certConstraint only `["*"]` as the sole element is a wildcard; other `emails`, `uris`, '
            "`dnsnames` and `organizations` values are compared literally (globs only work in `extensions`).",
            "There are no partial globs in `emails`: a value is either the lone `*` or an exact address, so "
            f"`*@{domain}` is looked for as a literal string.",
        )
        fixes: tuple[str, ...] = (f"List the exact signer identity `{email}`:", f"Pin the address `{email}`:")
        require = [[email, '["*"]']]
        flagged = 'only ["*"] as the sole element'
    elif how == "empty-roots":
        cc["roots"] = []
        heads = (
            f"the certConstraint of step `{step}` has an empty `roots` list, so no certificate signer is accepted.",
            f"step `{step}` names no trusted root, which makes go-witness refuse every certificate.",
        )
        reasons = (
            "go-witness refuses x509 signers when the functionary names no trusted root (`no trusted roots "
            "provided in functionary`).",
            "A `root` functionary must say which policy root the certificate chains to; with `[]` the check "
            "fails with `no trusted roots provided in functionary`.",
        )
        fixes = (
            f"Reference the root ID `{w.root_id}` from the policy's `roots`:",
            f"Put the root ID `{w.root_id}` back into `roots`:",
        )
        require = [["roots"]]
        flagged = "certConstraint has no roots"
    else:
        del cc["emails"]
        del cc["uris"]
        heads = (
            f"the certConstraint of step `{step}` omits `emails`, so it rejects your certificate.",
            f"step `{step}` leaves `emails` out, and an omitted list means the certificate may carry no email.",
        )
        reasons = (
            "Omitted or empty constraint lists are not wildcards: they mean the certificate must have no such "
            f"values, and your signing certificate carries the email SAN `{email}`. The missing `uris` is "
            'harmless here (the certificate has no URI SAN), though `["*"]` states the intent.',
            f'Only `["*"]` allows anything; no list at all means none allowed, and the certificate has `{email}`. '
            "(Leaving out `uris` happens to work because it has no URI SAN.)",
        )
        fixes = (f"Set the email `{email}`:", f'Add `"emails": ["{email}"]`:')
        require = [["emails"]]
        flagged = "omits both emails and uris"
    return Case(
        "broken",
        f"cert-constraint/{how}",
        w,
        p,
        heads=heads,
        reasons=reasons,
        fixes=fixes,
        fixed=w.policy,
        flagged=flagged,
        require=require,
        concern=(f"the certConstraint of `{step}`",),
    )


def _expires(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
    how = pick(rng, ("date-only", "past", "missing"))
    old = p["expires"]
    new = w.policy["expires"]
    if how == "date-only":
        bad = old[:10]
        p["expires"] = bad
        heads: tuple[str, ...] = (
            f"`expires` is `{bad}`, a date without a time.",
            f"`{bad}` is not an RFC3339 timestamp, so witness cannot read `expires`.",
        )
        reasons: tuple[str, ...] = (
            "witness parses `expires` as RFC3339 (`metav1.Time`), so a bare date fails to unmarshal and the "
            "policy is rejected.",
            "`expires` is decoded as an RFC3339 time; without the time and zone the policy JSON does not "
            "unmarshal and verification fails.",
        )
        fixes: tuple[str, ...] = (
            f"Use a full timestamp with a zone, e.g. `{new}`:",
            f"Write it as `{new}`:",
        )
        flagged = "expires"
        require = [["rfc3339", "rfc 3339", "timestamp", "time"]]
    elif how == "past":
        bad = pick(
            rng,
            (
                "2022-12-17T23:57:40-05:00",
                "2023-12-17T23:57:40-05:00",
                "2024-06-30T00:00:00Z",
                "2025-12-31T23:59:59Z",
            ),
        )
        p["expires"] = bad
        stamp = format_go_time(parse_rfc3339(bad))
        heads = (
            f"the policy already expired (`expires` is `{bad}`).",
            f"`expires` is `{bad}`, which is in the past, so witness refuses the policy outright.",
        )
        reasons = (
            f"witness checks `expires` before it evaluates any step and stops with `policy expired on {stamp}`.",
            "Expiry is the first thing `witness verify` checks; an expired policy fails with "
            f"`policy expired on {stamp}` whatever the attestations say.",
        )
        fixes = (
            f"Set a future RFC3339 time such as `{new}` (and re-sign the policy):",
            f"Move it to `{new}` and sign the policy again:",
        )
        flagged = "expired on"
        require = [["expire"]]
    else:
        items = [(k, val) for k, val in p.items() if k != "expires"]
        p.clear()
        p.update(items)
        heads = (
            "the policy has no `expires`.",
            "`expires` is missing, which witness reads as the year 1.",
        )
        reasons = (
            "A missing `expires` is Go's zero time, so every verification stops with "
            "`policy expired on 0001-01-01 00:00:00 +0000 UTC`.",
            "Without it the expiry is the zero time and verification always ends with "
            "`policy expired on 0001-01-01 00:00:00 +0000 UTC`.",
        )
        fixes = (f"Add an RFC3339 expiry such as `{new}`:", f'Add `"expires": "{new}"`:')
        flagged = "policy has no expiry"
        require = [["expires"]]
    return Case(
        "broken",
        f"expires/{how}",
        w,
        p,
        heads=heads,
        reasons=reasons,
        fixes=fixes,
        fixed=w.policy,
        flagged=flagged,
        require=require,
        expires_fix=True,
        concern=("the `expires` value", "the expiry"),
    )


# ----------------------------------------------------------------------------- weak


def _weak_x509(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
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
            f"Pin each step to its signer ({emails}) and name the root ID instead of `*`:",
            f"Constrain `emails` to the CI identities ({emails}); only a lone `*` is a wildcard, other "
            "values are exact:",
        ),
        fixed=w.policy,
        require=[[email]],
        attack=Attack("cert", step, attacker),
        attack_story=f"a `{step}` collection signed with a certificate the same CA issued to `{attacker}`",
        concern=("the certConstraint wildcards", "all the `*` values in the functionary"),
    )


def _weak_handover(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
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


def _weak_cross_keys(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
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


def _weak_expiry(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    p = _copy(w.policy)
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


def _weak_workflow(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    assert w.rego is not None
    p = _copy(w.policy)
    _drop_rego(p, w)
    branch = pick(rng, ATTACK_BRANCHES)
    step = w.rego.step
    return Case(
        "weak",
        "weak/ci-attestation-unchecked",
        w,
        p,
        heads=(
            f"step `{step}` requires the github attestation but checks nothing in it.",
            "the GitHub Actions attestation is required with no Rego, so any workflow run on any branch "
            "qualifies.",
        ),
        reasons=(
            "Requiring the type only proves the run happened in some GitHub Actions job; a run of another "
            f"workflow or branch (say `{branch}`) signed with the same key verifies too, which the core "
            "verifier confirms for this policy.",
            f"Anything that can use the CI key, e.g. a job on `{branch}`, produces a github attestation; "
            "without Rego on `ciconfigpath` witness cannot tell it from your release workflow.",
        ),
        fixes=(
            "Add a Rego module on the github attestation that pins the workflow file and ref:",
            "Pin `ciconfigpath` with Rego on the github attestation:",
        ),
        fixed=w.policy,
        require=[["ciconfigpath", "workflow"]],
        show_rego=True,
        rego_check=True,
        attack=Attack("branch", step, branch),
        attack_story=f"a run of the workflow on `{branch}`",
        concern=("the github attestation", "that the github attestation has no Rego"),
    )


def _weak_command(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    assert w.rego is not None
    p = _copy(w.policy)
    _drop_rego(p, w)
    step = w.rego.step
    cmd = w.commands[step]
    other = " ".join(pick(rng, ATTACK_COMMANDS))
    return Case(
        "weak",
        "weak/command-unpinned",
        w,
        p,
        heads=(
            f"nothing checks which command `{step}` ran, so it does not enforce that only `{cmd}` builds it.",
            f"the policy requires a command-run attestation but never looks inside it, so `{other}` would pass.",
        ),
        reasons=(
            f"witness only checks that a command-run attestation exists; a run of `{other}` signed with the "
            "same key verifies too (the core verifier accepts it with this policy).",
            "The attestation type alone says nothing about the command. To enforce your rule, witness has to "
            "evaluate Rego against `cmd`.",
        ),
        fixes=(
            "Pin the exact argv with Rego on the command-run attestation:",
            "Add a Rego module that compares `input.cmd` with the expected command:",
        ),
        fixed=w.policy,
        require=[["input.cmd", "cmd"]],
        show_rego=True,
        rego_check=True,
        attack=Attack("command", step, other),
        attack_story=f"a `{step}` run recorded from `{other}`",
        concern=("the command-run requirement", "that the build command is not checked"),
        requirement=f"only `{cmd}` may produce the `{step}` step",
    )


def _weak_branch(rng: random.Random, w: World, v: WitnessVersion) -> Case:
    assert w.rego is not None
    p = _copy(w.policy)
    _drop_rego(p, w)
    step = w.rego.step
    branch = w.scenarios[step].branch
    other = pick(rng, ATTACK_BRANCHES)
    return Case(
        "weak",
        "weak/branch-unpinned",
        w,
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
        fixed=w.policy,
        require=[["branch"]],
        show_rego=True,
        rego_check=True,
        attack=Attack("branch", step, other),
        attack_story=f"a `{step}` run on `{other}`",
        concern=("the git attestation", "that the branch is not checked"),
        requirement=f"only builds of `{branch}` may be released",
    )


# ----------------------------------------------------------------------------- ok


def _ok(rng: random.Random, w: World, v: WitnessVersion, variant: str) -> Case:
    p = _copy(w.policy)
    note = ""
    concern: tuple[str, ...] = ()
    if variant == "camel-case-tag" and w.rego is not None:
        for a in _atts(p, w.rego.step):
            if a["type"] == w.rego.type:
                _rename_key(a, "regopolicies", "regoPolicies")
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
                _rename_key(st, "artifactsFrom", "artifactsfrom")
        note = (
            "`artifactsfrom` in lower case binds to `artifactsFrom` (field names match case-insensitively), so "
            "the hand-over between steps is checked."
        )
        concern = ("the lower-case `artifactsfrom`",)
    elif variant == "named-map-key":
        step = pick(rng, w.steps)
        label = pick(rng, KEY_LABELS)
        keyid, _e = _pk_entry(p, w.keyids[step])
        keys = p["publickeys"]
        _rename_key(keys, keyid, label)
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
        keyid, entry = _pk_entry(p, w.keyids[step])
        pub = crypto.Verifier.from_pem(base64.b64decode(entry["key"])).public_key
        entry["key"] = _b64(pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1))
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


def _ok_kind(variant: str, world: dict[str, Any]) -> Kind:
    return Kind(f"ok/{variant}", "ok", world, lambda r, w, v: _ok(r, w, v, variant))


def _ok_world(**kw: Any) -> dict[str, Any]:
    return kw


KINDS: tuple[Kind, ...] = (
    Kind("collection-type", "broken", spec_any(), _collection),
    *(
        Kind(f"type-version/{t[0]}", "broken", spec_any(extra=t[1], rego=""), _type_version, weight=1 / 3)
        for t in TYPE_VERSION_TRAPS
    ),
    Kind("sbom-type", "broken", spec_any(extra="sbom"), _sbom),
    Kind(
        "empty-attestations",
        "broken",
        spec_any(),
        _empty_attestations,
        applies=lambda v: v.empty_attestations_fails,
    ),
    Kind("rego-v1-without-import", "broken", spec_any(rego="tool"), _rego_v1),
    Kind("deny-not-a-set", "broken", spec_any(rego="command"), _deny_type),
    Kind("no-deny-rule", "broken", spec_any(rego="branch"), _no_deny),
    Kind("module-not-base64", "broken", spec_any(rego="tool"), _module_raw),
    Kind("key-base64-der", "broken", spec_any(signing="keys"), _key_der),
    Kind("keyid-wrong", "broken", spec_any(signing="keys"), _keyid),
    Kind("functionary-key-missing/map-key", "broken", spec_any(signing="keys"), _mapkey_ref),
    Kind(
        "functionary-key-missing/not-embedded",
        "broken",
        spec_any(signing="keys", min_steps=2),
        _missing_key,
    ),
    Kind("step-name", "broken", spec_any(), _step_name),
    Kind("snake-case-tag", "broken", spec_any(), _snake),
    Kind("cert-constraint", "broken", spec_any(signing="x509"), _cert_constraint),
    Kind("expires", "broken", spec_any(), _expires),
    Kind("weak/x509-any-identity", "weak", spec_any(signing="x509"), _weak_x509),
    Kind("weak/no-artifacts-from", "weak", spec_any(min_steps=2), _weak_handover),
    Kind("weak/every-key-every-step", "weak", spec_any(signing="keys", min_steps=2), _weak_cross_keys),
    Kind("weak/far-expiry", "weak", spec_any(signing="keys"), _weak_expiry),
    Kind("weak/ci-attestation-unchecked", "weak", spec_any(rego="workflow"), _weak_workflow),
    Kind("weak/command-unpinned", "weak", spec_any(rego="command"), _weak_command),
    Kind("weak/branch-unpinned", "weak", spec_any(rego="branch"), _weak_branch),
    _ok_kind("plain", _ok_world()),
    _ok_kind("camel-case-tag", _ok_world(rego="tool")),
    _ok_kind("lowercase-tag", _ok_world(min_steps=2)),
    _ok_kind("named-map-key", _ok_world(signing="keys")),
    _ok_kind("functionary-type", _ok_world()),
    _ok_kind("pkcs1-key", _ok_world(signing="keys", key="rsa-2048", max_steps=2)),
    _ok_kind("rego", _ok_world(rego="command")),
    _ok_kind("x509", _ok_world(signing="x509")),
)
SHARES = {"broken": 0.55, "weak": 0.25, "ok": 0.20}
OK_VARIANTS = tuple(k.name.removeprefix("ok/") for k in KINDS if k.verdict == "ok")


def pick_kind(rng: random.Random, verdict: str, version: WitnessVersion) -> Kind:
    """A kind of `verdict` that applies to `version`, drawn by weight."""
    kinds = [k for k in KINDS if k.verdict == verdict and k.applies(version)]
    r = rng.random() * sum(k.weight for k in kinds)
    for k in kinds:
        r -= k.weight
        if r < 0:
            return k
    return kinds[-1]


def summary(w: World, policy: dict[str, Any]) -> str:
    """What a valid policy enforces, in one or two sentences of prose."""
    parts = []
    for s in w.steps:
        st = policy["steps"][s]
        types = types_phrase([a["type"] for a in st["attestations"]])
        who = (
            f"a certificate for `{w.emails[s]}` from {w.ca_name}"
            if w.x509
            else f"the key of {key_phrase(w, s)}"
        )
        part = f"`{s}` must carry {types} and be signed by {who}"
        frm = st.get("artifactsFrom") or st.get("artifactsfrom")
        if frm:
            part += f", consuming exactly what `{frm[0]}` produced"
        parts.append(part)
    text = "; ".join(parts) + "."
    if w.rego is not None:
        text += f" The Rego module `{w.rego.name}` checks the {SHORT.get(w.rego.type, w.rego.type)} attestation of `{w.rego.step}`."
    return text[0].upper() + text[1:]
