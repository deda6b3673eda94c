"""The `traps` family's review cases: what a reviewer finds in a policy, and the shared edit helpers.

A `Case` is one reviewed policy: the policy the user pastes, the verdict (`broken`, `weak`, `ok`), the
finding in several wordings, the complete corrected or tightened policy, the hidden-check terms and,
for a weak policy, the `Attack` it lets through. A `Kind` says which world a case needs and how it is
made (`traps_broken`, `traps_weak`; registry in `traps_cases`).
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from witness_evals.generate.worlds.policy import (
    TYPE_OF,
    Attack,
    PolicySpec,
    PolicyWorld,
    draw_policy_spec,
)
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
"""When the far-expiry attack verifies: after every tightened expiry (<= May 2029), before the loose one."""
SHORT = {
    TYPE_OF["material"]: "material",
    TYPE_OF["command-run"]: "command-run",
    TYPE_OF["product"]: "product",
    TYPE_OF["git"]: "git",
    TYPE_OF["environment"]: "environment",
    TYPE_OF["github"]: "github",
    TYPE_OF["gitlab"]: "gitlab",
    TYPE_OF["k8smanifest"]: "k8smanifest",
    TYPE_OF["lockfiles"]: "lockfiles",
}
"""Short names of witness.dev types in prose; any other type (SBOM, OpenVEX) is written as its URI."""


@dataclass
class Case:
    """One reviewed policy: what the user pastes, the verdict, the reasons and the fix."""

    verdict: str
    """ok | broken | weak"""
    trap: str
    world: PolicyWorld
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
    pasted_keys: tuple[str, ...] = ()
    """Steps whose public key the user pastes as PEM: the fix embeds a key the shown policy lacks, and an
    answer may only embed a key value it was given."""

    @property
    def fails_verify(self) -> bool:
        return self.verdict == "broken" and not self.silent


@dataclass(frozen=True)
class Kind:
    """A case kind: which world it needs (`draw_policy_spec` arguments) and how it turns that world into a case."""

    name: str
    verdict: str
    world: dict[str, Any]
    make: Callable[[random.Random, PolicyWorld, WitnessVersion], Case]
    applies: Callable[[WitnessVersion], bool] = lambda v: True
    weight: float = 1.0

    @property
    def world_class(self) -> str:
        """Kinds with the same world needs share one pool of worlds."""
        return json.dumps(self.world, sort_keys=True)

    def spec(self, index: int) -> PolicySpec:
        """World number `index` of this kind's pool (deterministic)."""
        return draw_policy_spec(random.Random(f"traps:{self.world_class}:{index}"), **self.world)


# ----------------------------------------------------------------------------- helpers


def copy_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON policy (a JSON round trip: faster than `copy.deepcopy` for plain JSON)."""
    out: dict[str, Any] = json.loads(json.dumps(policy))
    return out


def atts_of(policy: dict[str, Any], step: str) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], policy["steps"][step]["attestations"])


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def rename_key(d: dict[str, Any], old: str, new: str) -> None:
    items = [(new if k == old else k, v) for k, v in d.items()]
    d.clear()
    d.update(items)


def pk_entry(p: dict[str, Any], keyid: str | None = None) -> tuple[str, dict[str, Any]]:
    k = keyid if keyid is not None else next(iter(p["publickeys"]))
    return k, cast(dict[str, Any], p["publickeys"][k])


def rekey(p: dict[str, Any], old: str, new: str, *, map_key: str | None = None) -> None:
    """Rename key id `old` to `new` (map key, keyid field, functionaries)."""
    keys = p["publickeys"]
    entry = keys.pop(old)
    entry["keyid"] = new
    keys[map_key or new] = entry
    for st in p["steps"].values():
        for f in st["functionaries"]:
            if f.get("publickeyid") == old:
                f["publickeyid"] = new


def key_source(w: PolicyWorld, step: str) -> str:
    """How the user derives a step's public key from the private key file named in the question."""
    return f"openssl pkey -in {w.key_files[step]} -pubout"


def key_phrase(w: PolicyWorld, step: str) -> str:
    return f"`{w.key_files[step]}`"


def types_phrase(types: list[str]) -> str:
    names = [SHORT.get(t, f"`{t}`") for t in types]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def omits_empty_rego(policy: dict[str, Any]) -> bool:
    """Whether the policy leaves out empty `regopolicies` lists (its style, kept by edits)."""
    return any("regopolicies" not in a for st in policy["steps"].values() for a in st["attestations"])


def set_module(p: dict[str, Any], w: PolicyWorld, module: str, *, raw: bool = False) -> None:
    assert w.rego is not None
    for a in atts_of(p, w.rego.step):
        if a["type"] == w.rego.type:
            a["regopolicies"][0]["module"] = module if raw else b64(module.encode())


def drop_rego(p: dict[str, Any], w: PolicyWorld) -> None:
    assert w.rego is not None
    for a in atts_of(p, w.rego.step):
        if a["type"] == w.rego.type:
            if omits_empty_rego(p):
                del a["regopolicies"]
            else:
                a["regopolicies"] = []


def spec_any(**kw: Any) -> dict[str, Any]:
    return kw
