"""Broken policies of the `traps` family: one REFERENCE.md §8 trap injected into a valid world policy.

Wrong type URIs (collection type, versioned attestor types, the SBOM type), an empty `attestations` list
(fails since witness v0.12.0), Rego that does not parse, returns a string or has no `deny`, raw Rego in
`module`, DER keys, wrong key IDs (DER, base64, no newline, PKCS#1), functionaries naming map keys or
missing keys, step key/name mismatches, snake_case tags, wrong certConstraints, bad `expires`. The
fix is always the world's valid policy, and `policy_check` must flag the trap (`make` asserts it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from typing import Any

from cryptography.hazmat.primitives import serialization

from witness_evals.generate.phrasing import pick
from witness_evals.generate.traps_case import (
    COLLECTION_TYPES,
    KEY_LABELS,
    REMOVAL_TERMS,
    SBOM_TYPE_TRAP,
    TYPE_VERSION_TRAPS,
    Case,
    atts_of,
    b64,
    copy_policy,
    key_phrase,
    key_source,
    omits_empty_rego,
    pk_entry,
    rekey,
    rename_key,
    set_module,
    types_phrase,
)
from witness_evals.generate.worlds.policy import (
    SBOM_TYPES,
    PolicyWorld,
)
from witness_evals.witness import crypto, versions, x509
from witness_evals.witness.policy import format_go_time, parse_rfc3339
from witness_evals.witness.versions import WitnessVersion

# ----------------------------------------------------------------------------- broken: types


def collection_type(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
    step = pick(rng, w.steps)
    wrong = pick(rng, COLLECTION_TYPES)
    atts = atts_of(p, step)
    entry: dict[str, Any] = {"type": wrong} if omits_empty_rego(p) else {"type": wrong, "regopolicies": []}
    atts.insert(rng.randrange(len(atts) + 1), entry)
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


def type_version(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    name, attestor, wrong, right = next(t for t in TYPE_VERSION_TRAPS if t[1] == w.spec.extra)
    p = copy_policy(w.policy)
    step = w.steps[w.spec.extra_step]  # the step that records the attestor (k8smanifest: the deploy step)
    for a in atts_of(p, step):
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
            f"Types are matched as exact strings; no collection ever contains the type you wrote (`{wrong}`), "
            "so the step is never satisfied.",
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


def sbom_type(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    """A step requiring the sbom attestor's registered type. go-witness v0.12.0 attestation/sbom/sbom.go: `Type()`
    returns `predicateType`, set to the SPDX or CycloneDX type of the product found (getCandidate, 155-163), and
    getCandidate fails with `no SBOM file found` (225; `no products to attest`, 151-152) otherwise, which fails
    the run (run.go 141, 187): no CLI-made collection ever carries `.../sbom/v0.1`."""
    right = SBOM_TYPES[w.spec.sbom]
    p = copy_policy(w.policy)
    step = w.steps[0]
    for a in atts_of(p, step):
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
            f"step `{step}` requires `{SBOM_TYPE_TRAP}`, the type the sbom attestor is registered under, which "
            "no collection carries: with an SBOM among the products the attestation takes the document's type, "
            "and without one the sbom attestor fails the whole run (`no SBOM file found`).",
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


def empty_attestations(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
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
            f"Every collection of `{step}` is rejected with `{text}`; before that ({older}) such a step "
            "passed without checking any attestation, which was never what it looked like.",
        ),
        fixes=(
            "List the types the step records (material, command-run and product at least).",
            f"Require what `{step}` records: {types_phrase(w.step_types(step))}.",
        ),
        fixed=w.policy,
        flagged="declares no required attestations",
        require=[["attestations"], ["material", "command-run", "product"]],
        concern=(f"the empty `attestations` list of `{step}`",),
    )


# ----------------------------------------------------------------------------- broken: Rego


def rego_name(w: PolicyWorld) -> str:
    assert w.rego is not None
    return w.rego.name


def rego_v1_without_import(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    assert w.rego is not None
    bad = w.rego.source(imports=False)
    p = copy_policy(w.policy)
    set_module(p, w, bad)
    name = rego_name(w)
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
            f"`contains`/`if` unless the module imports them; the `rego_parse_error` becomes the rejection "
            f"reason of every `{w.rego.step}` collection, so that step has no passed collection and "
            "verification fails.",
            f"go-witness parses the module when it validates each collection of step `{w.rego.step}` (OPA's "
            "v0 parser); without the import those keywords are syntax errors, so every collection of the "
            "step is rejected and verification fails.",
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


def deny_not_a_set(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
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
    p = copy_policy(w.policy)
    set_module(p, w, bad)
    return Case(
        "broken",
        f"deny-not-a-set/{kind}",
        w,
        p,
        heads=(
            f"`deny` in module `{r.name}` is a single string, but witness requires `deny` to be a set (or array) "
            "of strings.",
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
        # the cause (`deny` is one string, which go-witness refuses) and the fix (a set, or array, of
        # messages); a bare "set" matched any text ("settings"), and the answer that blames a missing
        # `import future.keywords` passed with it
        require=[
            [
                "a string",
                "single string",
                "one string",
                "not a set",
                "isn't a set",
                "be a set",
                "invalid data",
                "[]interface{}",
            ],
            ["deny contains", "deny[msg]", "partial set", "set rule", "set of", "be a set", "array"],
        ],
        show_rego=True,
        rego_check=True,
        concern=(f"the `deny` rule in `{r.name}`",),
    )


def no_deny_rule(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    assert w.rego is not None
    r = w.rego
    rule = pick(rng, ("violation", "violations", "deny_msg", "denied"))
    bad = r.source(rule=f"{rule} contains msg if")
    p = copy_policy(w.policy)
    set_module(p, w, bad)
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


def module_not_base64(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    assert w.rego is not None
    p = copy_policy(w.policy)
    set_module(p, w, w.rego.text, raw=True)
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


def key_base64_der(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
    step = pick(rng, w.steps)
    keyid, entry = pk_entry(p, w.keyids[step])
    pem = base64.b64decode(entry["key"])
    der = crypto.public_der(crypto.Verifier.from_pem(pem).public_key)
    entry["key"] = b64(der)
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


def root_cert_der(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
    root = p["roots"][w.root_id]
    der = x509.cert_der(x509.load_certificate(base64.b64decode(root["certificate"])))
    root["certificate"] = b64(der)
    return Case(
        "broken",
        "root-cert-der",
        w,
        p,
        heads=(
            f"the root `{w.root_id}` holds base64 of the DER certificate, not of the PEM file.",
            f"the `certificate` of the {w.ca_name} root is base64 of DER bytes; witness wants base64 of the PEM text.",
        ),
        reasons=(
            "go-witness base64-decodes `certificate` and parses a PEM block (`cryptoutil.TryParseCertificate`); "
            "DER bytes are not one, so loading the policy's trust bundles fails (`failed to load policy trust "
            "bundles: invalid pem block`) and `witness verify` aborts before it checks any collection.",
            "The root is read with `pem.Decode` first; raw DER has no `-----BEGIN CERTIFICATE-----` block, so "
            "in every witness release verification stops at loading the roots (`failed to load policy trust "
            "bundles: invalid pem block`), before any step is judged.",
        ),
        fixes=(
            "Embed the base64 (`base64 -w0`) of the CA certificate in PEM form (it starts with `LS0tLS1CRUdJTi`); "
            "a DER file converts with `openssl x509 -inform der -outform pem`:",
            "Store the base64 of the whole `-----BEGIN CERTIFICATE-----` text, which starts with `LS0tLS1CRUdJTi`:",
        ),
        fixed=w.policy,
        flagged="invalid pem",
        require=[["pem"]],
        forbid=[root["certificate"]],
        must=["LS0tLS1CRUdJTi"],
        concern=("the root certificate", "the `roots` entry"),
    )


def keyid_wrong(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
    step = pick(rng, w.steps)
    right, entry = pk_entry(p, w.keyids[step])
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
        entry["key"] = b64(pkcs1)
        wrong = hashlib.sha256(pkcs1).hexdigest()
        why = "`sha256sum` of a PKCS#1 `RSA PUBLIC KEY` file (`openssl rsa -RSAPublicKey_out`)"
    else:
        stripped = pem.rstrip(b"\n")
        entry["key"] = b64(stripped)
        wrong = hashlib.sha256(stripped).hexdigest()
        why = "`sha256sum` of a PEM file that lost its trailing newline"
    rekey(p, right, wrong)
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


def functionary_map_key(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
    step = pick(rng, w.steps)
    keyid, _entry = pk_entry(p, w.keyids[step])
    label = pick(rng, KEY_LABELS)
    rekey(p, keyid, label, map_key=label)
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


def functionary_key_not_embedded(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
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
        pasted_keys=(step,),
    )


# ----------------------------------------------------------------------------- broken: structure


def step_name(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
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


def snake_case_tag(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
    options = ["public_keys", "public_key_id"] if not w.x509 else ["cert_constraint"]
    if len(w.steps) > 1:
        options.append("artifacts_from")
    if w.rego is not None:
        options.append("rego_policies")
    bad = pick(rng, options)
    step = w.steps[-1]
    if bad == "artifacts_from":
        right = "artifactsFrom"
        rename_key(p["steps"][step], right, bad)
        frm = p["steps"][step][bad][0]
        effect = f"step `{step}` no longer checks that its materials came from `{frm}`"
    elif bad == "rego_policies":
        assert w.rego is not None
        right = "regopolicies"
        step = w.rego.step
        for a in atts_of(p, step):
            if a["type"] == w.rego.type:
                rename_key(a, right, bad)
        effect = f"the Rego module `{w.rego.name}` is never evaluated"
    elif bad == "public_key_id":
        right = "publickeyid"
        step = pick(rng, w.steps)
        for f in p["steps"][step]["functionaries"]:
            rename_key(f, right, bad)
        effect = f"the functionary of step `{step}` has no key and can never match, so the step fails"
    elif bad == "cert_constraint":
        right = "certConstraint"
        step = pick(rng, w.steps)
        for f in p["steps"][step]["functionaries"]:
            rename_key(f, right, bad)
        effect = (
            f"the functionary of step `{step}` has no certificate constraint (no trusted roots) and accepts "
            "no certificate"
        )
    else:
        right = "publickeys"
        rename_key(p, right, bad)
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


def cert_constraint_trap(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
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
        # the fix pins the identity, the cause is the partial glob compared literally (go-witness
        # policy/constraints.go checkCertConstraint: a lone "*" allows all, anything else must equal a SAN).
        # `["*"]` is no key term: the pasted policy has it, and an answer calling it no wildcard is wrong.
        require = [[email], [f"*@{domain}"], ["literal", "glob", "exact match", "exact string", "verbatim"]]
        # a fix that widens `emails` to ["*"] verifies but drops the identity pin the user wrote
        must = [f'"emails": ["{email}"]']
        forbid = ['"emails": ["*"]']
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
        must, forbid = [], []
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
            f"values, and your signing certificate carries the email SAN `{email}`. The missing `uris` would "
            'reject it too if it carried a URI SAN; `["*"]` covers either case.',
            f'Only `["*"]` allows anything; no list at all means none allowed, and the certificate has `{email}`. '
            '(An omitted `uris` likewise refuses any certificate with a URI SAN, so it gets `["*"]` as well.)',
        )
        fixes = (f"Set the email `{email}`:", f'Add `"emails": ["{email}"]`:')
        require = [["emails"]]
        must, forbid = [], []
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
        must=must,
        forbid=forbid,
        concern=(f"the certConstraint of `{step}`",),
    )


def expires_trap(rng: random.Random, w: PolicyWorld, v: WitnessVersion) -> Case:
    p = copy_policy(w.policy)
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
            "Expiry is checked before any step or attestation is looked at; an expired policy fails with "
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
