"""The registry of the `traps` family's case kinds, their shares, and the summary of a valid policy.

Three verdicts, each built from the valid policy of a policy world (`worlds.policy`): `broken` (`traps_broken`),
`weak` and `ok` (`traps_weak`). Every sentence of a case comes in several wordings (`Case.heads`,
`Case.reasons`, `Case.fixes`) so answers share no frame.
"""

from __future__ import annotations

import random
from typing import Any

from witness_evals.generate.traps_broken import (
    cert_constraint_trap,
    collection_type,
    deny_not_a_set,
    empty_attestations,
    expires_trap,
    functionary_key_not_embedded,
    functionary_map_key,
    key_base64_der,
    keyid_wrong,
    module_not_base64,
    no_deny_rule,
    rego_v1_without_import,
    root_cert_der,
    sbom_type,
    snake_case_tag,
    step_name,
    type_version,
)
from witness_evals.generate.traps_case import (
    SHORT,
    TYPE_VERSION_TRAPS,
    Kind,
    key_phrase,
    spec_any,
    types_phrase,
)
from witness_evals.generate.traps_weak import (
    branch_deny_list,
    branch_unpinned,
    ci_attestation_not_required,
    ci_attestation_unchecked,
    command_unpinned,
    every_key_every_step,
    exit_code_only,
    far_expiry_policy,
    no_artifacts_from,
    ok_case,
    stale_root_wildcard,
    x509_any_identity,
)
from witness_evals.generate.worlds import weighted
from witness_evals.generate.worlds.policy import (
    PolicyWorld,
)
from witness_evals.witness.versions import WitnessVersion


def _ok_kind(variant: str, world: dict[str, Any]) -> Kind:
    return Kind(f"ok/{variant}", "ok", world, lambda r, w, v: ok_case(r, w, v, variant))


def _ok_world(**kw: Any) -> dict[str, Any]:
    return kw


KINDS: tuple[Kind, ...] = (
    Kind("collection-type", "broken", spec_any(), collection_type),
    *(
        Kind(f"type-version/{t[0]}", "broken", spec_any(extra=t[1], rego=""), type_version, weight=1 / 3)
        for t in TYPE_VERSION_TRAPS
    ),
    Kind("sbom-type", "broken", spec_any(extra="sbom"), sbom_type),
    Kind(
        "empty-attestations",
        "broken",
        spec_any(),
        empty_attestations,
        applies=lambda v: v.empty_attestations_fails,
    ),
    Kind("rego-v1-without-import", "broken", spec_any(rego="tool"), rego_v1_without_import),
    Kind("deny-not-a-set", "broken", spec_any(rego="command"), deny_not_a_set),
    Kind("no-deny-rule", "broken", spec_any(rego="branch"), no_deny_rule),
    Kind("module-not-base64", "broken", spec_any(rego="tool"), module_not_base64),
    Kind("key-base64-der", "broken", spec_any(signing="keys"), key_base64_der),
    Kind("keyid-wrong", "broken", spec_any(signing="keys"), keyid_wrong),
    Kind("functionary-key-missing/map-key", "broken", spec_any(signing="keys"), functionary_map_key),
    Kind(
        "functionary-key-missing/not-embedded",
        "broken",
        spec_any(signing="keys", min_steps=2),
        functionary_key_not_embedded,
    ),
    Kind("step-name", "broken", spec_any(), step_name),
    Kind("snake-case-tag", "broken", spec_any(), snake_case_tag),
    Kind("cert-constraint", "broken", spec_any(signing="x509"), cert_constraint_trap),
    Kind("root-cert-der", "broken", spec_any(signing="x509"), root_cert_der),
    Kind("expires", "broken", spec_any(), expires_trap),
    Kind("weak/x509-any-identity", "weak", spec_any(signing="x509"), x509_any_identity),
    Kind("weak/stale-root-wildcard", "weak", spec_any(signing="x509"), stale_root_wildcard),
    Kind("weak/no-artifacts-from", "weak", spec_any(min_steps=2), no_artifacts_from),
    Kind("weak/every-key-every-step", "weak", spec_any(signing="keys", min_steps=2), every_key_every_step),
    Kind("weak/far-expiry", "weak", spec_any(signing="keys"), far_expiry_policy),
    Kind("weak/ci-attestation-unchecked", "weak", spec_any(rego="workflow"), ci_attestation_unchecked),
    Kind("weak/command-unpinned", "weak", spec_any(rego="command"), command_unpinned),
    Kind("weak/branch-unpinned", "weak", spec_any(rego="branch"), branch_unpinned),
    Kind("weak/branch-deny-list", "weak", spec_any(rego="branch"), branch_deny_list),
    Kind("weak/exit-code-only", "weak", spec_any(rego="command"), exit_code_only),
    Kind("weak/ci-attestation-not-required", "weak", spec_any(rego="workflow"), ci_attestation_not_required),
    _ok_kind("plain", _ok_world()),
    _ok_kind("camel-case-tag", _ok_world(rego="tool")),
    _ok_kind("lowercase-tag", _ok_world(min_steps=2)),
    _ok_kind("named-map-key", _ok_world(signing="keys")),
    _ok_kind("functionary-type", _ok_world()),
    _ok_kind("pkcs1-key", _ok_world(signing="keys", key="rsa-2048", max_steps=2)),
    _ok_kind("rego", _ok_world(rego="command")),
    _ok_kind("x509", _ok_world(signing="x509")),
)
SHARES = {"broken": 0.45, "weak": 0.37, "ok": 0.18}
"""Verdict shares. A policy that verifies but is weak is what a reviewer is asked about most (every hand-written
review task of witness-bench); with a quarter of the reviews weak, Gemma 3 270M answered such tasks with a
broken-policy explanation (witness-bench 2026-12-07)."""
OK_VARIANTS = tuple(k.name.removeprefix("ok/") for k in KINDS if k.verdict == "ok")


def pick_kind(rng: random.Random, verdict: str, version: WitnessVersion) -> Kind:
    """A kind of `verdict` that applies to `version`, drawn by weight."""
    return weighted(rng, [(k, k.weight) for k in KINDS if k.verdict == verdict and k.applies(version)])


def summary(w: PolicyWorld, policy: dict[str, Any]) -> str:
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
            part += f", its files matching those of `{frm[0]}` wherever both list the same path"
        parts.append(part)
    text = "; ".join(parts) + "."
    if w.rego is not None:
        text += f" The Rego module `{w.rego.name}` checks the {SHORT.get(w.rego.type, w.rego.type)} attestation of `{w.rego.step}`."
    return text[0].upper() + text[1:]
