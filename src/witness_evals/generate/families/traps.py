"""Family `traps`: static review of a witness policy ("will this work?" / "review this").

A valid policy is built with the core for a simulated pipeline (`simulate.pipeline`,
`simulate.policy_for`); most examples then get one trap of REFERENCE.md §8 injected (wrong type
URI, raw Rego in `module`, wrong keyid, snake_case tag, ...), and `make` asserts that
`policy_check.check_policy` flags it. About a quarter stay valid (sometimes with a harmless
look-alike such as `regoPolicies` or a named `publickeys` map key) so that a model does not learn
to always find a fault. The reference answer starts with a verdict sentence, grounds it in
witness behaviour and, for broken policies, gives the corrected policy (or the corrected fragment
with its JSON path when the policy is large).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import random
import re
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.context import NOW, ScoreContext
from witness_evals.generate import phrasing
from witness_evals.generate.example import Example
from witness_evals.generate.families import Family
from witness_evals.witness import crypto, simulate, versions, x509
from witness_evals.witness.attestors.artifacts import vex_document
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.jsonio import dumps_go
from witness_evals.witness.policy_check import PolicyReport, check_policy
from witness_evals.witness.rego.engine import RegorusEngine, evaluate_deny
from witness_evals.witness.versions import WitnessVersion

NAME = "traps"
FULL_POLICY_CHARS = 2400
"""Corrected policies up to this size are shown in full, larger ones as fragments."""
OK_SHARE = 0.25
SBOM_TYPE_TRAP = "https://witness.dev/attestations/sbom/v0.1"
SBOM_TYPES = {"spdx": "https://spdx.dev/Document", "cyclonedx": "https://cyclonedx.org/bom"}
COLLECTION_TYPES = (
    "https://witness.dev/attestation-collection/v0.1",
    "https://witness.testifysec.com/attestation-collection/v0.1",
)
REQUIRED = ("material", "command-run", "product")
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
TYPE_OF = {
    "environment": "https://witness.dev/attestations/environment/v0.1",
    "git": "https://witness.dev/attestations/git/v0.1",
    "material": "https://witness.dev/attestations/material/v0.1",
    "command-run": "https://witness.dev/attestations/command-run/v0.1",
    "product": "https://witness.dev/attestations/product/v0.1",
    "slsa": "https://slsa.dev/provenance/v1.0",
    "link": "https://in-toto.io/attestation/link/v0.3",
    "k8smanifest": "https://witness.dev/attestations/k8smanifest/v0.2",
    "vex": "https://openvex.dev/ns",
}
# trap 2: (variant, attestor whose run is needed, wrong URI, right URI). No slsa/link variants: the
# core models that a collection carrying a (non-exported) slsa or link predicate cannot be loaded
# back by `witness verify` (structpb.Value.Kind), so no such policy would be a valid fix.
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
VEX_FILE = "vex.json"
_FIRST_STEPS = ("build", "compile", "build-app", "make")
_SECOND_STEPS = ("package", "archive", "bundle", "release")
_KEY_FILES = ("key.pem", "ci-key.pem", "signing-key.pem", "build-key.pem", "witness-key.pem")
_KEY_LABELS = ("ci-signing-key", "build-key", "release-signer", "github-actions", "jenkins-key")


# ----------------------------------------------------------------------------- JSON rendering


def render(obj: Any, indent: int = 0, width: int = 96) -> str:
    """Pretty JSON that keeps small objects/arrays on one line (still valid JSON)."""
    flat = json.dumps(obj, ensure_ascii=False)
    if not isinstance(obj, dict | list) or not obj or indent + len(flat) <= width:
        return flat
    pad = " " * (indent + 2)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k)}: {render(v, indent + 2, width)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + render(v, indent + 2, width) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ----------------------------------------------------------------------------- the world


@dataclass
class World:
    """A simulated pipeline and the valid policy for it."""

    seed: int
    steps: list[str]
    commands: dict[str, str]
    attestors: tuple[str, ...]
    extra: str
    sbom_kind: str
    key_files: dict[str, str]
    keyids: dict[str, str]
    pems: dict[str, bytes]
    policy: dict[str, Any]
    rego: tuple[str, str, str, str] | None = None
    """(step, attestation type, module name, source) of the one Rego module, if any."""
    x509: dict[str, str] = field(default_factory=dict)
    """email, ca, root id (x509 worlds)."""
    pipeline: simulate.Pipeline | None = None


def _rego_source(rng: random.Random, tool: str) -> tuple[str, str, str]:
    """(module name, package, portable Rego source) checking the command-run attestation."""
    pkg = rng.choice(("commandrun.tool", "commandrun.cmd", "build.command"))
    name = rng.choice(("expected-command", "build-tool", "cmd.rego", "command"))
    src = (
        f"package {pkg}\n\nimport rego.v1\n\ndeny contains msg if {{\n"
        f'\tinput.cmd[0] != "{tool}"\n'
        f'\tmsg := sprintf("unexpected build command %v", [input.cmd[0]])\n}}\n'
    )
    return name, pkg, src


def _expires(rng: random.Random) -> str:
    year = rng.randint(2027, 2035)
    stamp = (
        f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.choice((0, 9, 12, 17, 23)):02d}:00:00"
    )
    return stamp + rng.choice(("Z", "Z", "Z", "-05:00", "+02:00", "-07:00"))


def build_world(
    seed: int,
    *,
    n_steps: int | None = None,
    extra: str = "",
    sbom_kind: str = "none",
    rego: bool = False,
    two_keys: bool | None = None,
    use_x509: bool = False,
) -> World:
    """Simulate `witness run` for 1-2 steps and write the (valid) policy for them with the core."""
    rng = random.Random(seed)
    n = n_steps if n_steps is not None else rng.choice((1, 2, 2))
    first = rng.choice(_FIRST_STEPS)
    steps = [first] if n == 1 else [first, rng.choice(_SECOND_STEPS)]
    base = rng.choice((("environment", "git"), ("environment", "git"), ("git",)))
    if extra == "sbom":
        attestors: tuple[str, ...] = (*base, "sbom")
    elif extra:
        attestors = (*base, extra)
    else:
        attestors = base
    if two_keys is None:
        two_keys = n == 2 and rng.random() < 0.4
    key_seeds = [rng.randrange(2**31) for _ in steps]
    signers: dict[str, crypto.Signer] = {}
    x509_info: dict[str, str] = {}
    org = rng.choice(("acme", "globex", "initech", "umbrella", "hooli"))
    functionary_dicts: dict[str, list[Any]] = {}
    roots: dict[str, Any] | None = None
    if use_x509:
        ca_key = crypto.generate_private_key("ed25519", seed=rng.randrange(2**31))
        ca_name = f"{org.title()} Internal Code Signing CA"
        start = datetime(2025, 1, 1, tzinfo=UTC)
        root = x509.make_ca(ca_name, ca_key, not_before=start, not_after=datetime(2036, 6, 1, tzinfo=UTC))
        email = f"{rng.choice(('ci', 'release', 'build-bot', 'pipeline'))}@{org}.io"
        key = crypto.generate_private_key("ed25519", seed=key_seeds[0])
        leaf = x509.make_leaf(
            key.public_key(),
            root,
            ca_key,
            not_before=start + timedelta(days=300),
            not_after=start + timedelta(days=900),
            emails=[email],
        )
        signer = crypto.Signer(key, certificate=leaf)
        signers = dict.fromkeys(steps, signer)
        rid = hashlib.sha256(x509.cert_der(root)).hexdigest()
        roots = {rid: {"certificate": _b64(x509.cert_pem(root))}}
        cc = {
            "commonname": "*",
            "dnsnames": ["*"],
            "emails": [email],
            "organizations": ["*"],
            "uris": ["*"],
            "roots": [rid],
        }
        functionary_dicts = {s: [{"type": "root", "certConstraint": copy.deepcopy(cc)}] for s in steps}
        x509_info = {"email": email, "ca": ca_name, "root": rid}
    else:
        for i, s in enumerate(steps):
            ks = key_seeds[i] if two_keys else key_seeds[0]
            signers[s] = crypto.Signer(crypto.generate_private_key("ed25519", seed=ks))
    overrides: dict[str, Any] = {"sbom_kind": sbom_kind} if extra == "sbom" else {}
    scenario: Scenario | None = None
    if extra == "vex":
        # go-witness's vex attestor fails the whole run (`no VEX file found`) unless a product is an
        # OpenVEX document, so this build writes one (same rng draws as `simulate.pipeline`'s own).
        sc = Scenario.random(rng, step=steps[0], step_kind="build", sbom_kind="none")
        with_vex = {**sc.files_after, VEX_FILE: dumps_go(vex_document(sc)).encode()}
        scenario = sc.with_(command=("make", "release"), files_after=with_vex)
    # the extra attestor runs on the first step only: later steps (`tar czf ...`) write no SBOM/VEX file,
    # and go-witness fails such a run (`no SBOM file found`)
    per_step = {s: (attestors if i == 0 else base) for i, s in enumerate(steps)}
    pipe = simulate.pipeline(rng, signers, scenario=scenario, steps=steps, attestors=per_step, **overrides)
    types: dict[str, list[str]] = {}
    wanted = {TYPE_OF[a] for a in (*REQUIRED, *attestors) if a in TYPE_OF}
    if extra == "sbom":
        wanted.add(SBOM_TYPES[sbom_kind])
    optional = [TYPE_OF[a] for a in ("environment", "git") if a in attestors]
    for i, s in enumerate(steps):
        keep = set(wanted)
        for t in optional:  # not every policy requires the default attestors
            if rng.random() < 0.35:
                keep.discard(t)
        if i > 0 and extra and extra != "sbom":
            keep.discard(TYPE_OF[extra])
        if i > 0 and extra == "sbom":
            keep.discard(SBOM_TYPES[sbom_kind])
        types[s] = [a.type for a in pipe.steps[s].collection.attestations if a.type in keep]
    if not use_x509:
        functionary_dicts = {s: [crypto.public_pem(signers[s].public_key)] for s in steps}
    rego_info: tuple[str, str, str, str] | None = None
    rego_arg: dict[str, dict[str, list[dict[str, str]]]] | None = None
    if rego:
        tool = pipe.scenarios[steps[0]].command[0]
        mname, _pkg, src = _rego_source(rng, tool)
        rego_info = (steps[0], TYPE_OF["command-run"], mname, src)
        rego_arg = {steps[0]: {TYPE_OF["command-run"]: [simulate.rego_module(mname, src)]}}
    policy = simulate.policy_for(
        pipe,
        functionary_dicts,
        expires=_expires(rng),
        rego=rego_arg,
        attestation_types=types,
        roots=roots,
    )
    key_files: dict[str, str] = {}
    files = list(_KEY_FILES)
    rng.shuffle(files)
    for i, s in enumerate(steps):
        key_files[s] = files[i] if (two_keys or use_x509) else files[0]
    commands = {s: shlex.join(pipe.scenarios[s].command) for s in steps}
    return World(
        seed=seed,
        steps=steps,
        commands=commands,
        attestors=attestors,
        extra=extra,
        sbom_kind=sbom_kind,
        key_files=key_files,
        keyids={s: signers[s].keyid for s in steps},
        pems={s: crypto.public_pem(signers[s].public_key) for s in steps},
        policy=policy,
        rego=rego_info,
        x509=x509_info,
        pipeline=pipe,
    )


# ----------------------------------------------------------------------------- static checks


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence fd 2 (regorus prints parser warnings there) while our own Rego is compiled in-process."""
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        yield
        return
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _TrustedRego:
    """In-process stand-in for RegoSandbox, for the generator's OWN modules only (make)."""

    def __init__(self) -> None:
        self.engine = RegorusEngine()

    def check_many(self, jobs: Any) -> list[Any]:
        with _quiet_stderr():
            return [self.engine.check(modules, mode) for modules, mode in jobs]

    def evaluate_many(self, jobs: Any) -> list[Any]:
        with _quiet_stderr():
            return [evaluate_deny(j[0], j[1], j[2] if len(j) > 2 else "verify") for j in jobs]


class _LazySandbox:
    """Forwards to `ctx.rego` (the sandbox starts only if a policy really has Rego modules)."""

    def __init__(self, ctx: ScoreContext) -> None:
        self.ctx = ctx

    def check_many(self, jobs: Any) -> list[Any]:
        return self.ctx.rego.check_many(jobs)

    def evaluate_many(self, jobs: Any) -> list[Any]:
        return self.ctx.rego.evaluate_many(jobs)


_TRUSTED: _TrustedRego | None = None


def static_report(policy: Any, rego: Any = None) -> PolicyReport:
    """`check_policy` in verify mode at the fixed NOW; own policies use in-process Rego."""
    global _TRUSTED
    if rego is None:
        if _TRUSTED is None:
            _TRUSTED = _TrustedRego()
        rego = _TRUSTED
    data = policy if isinstance(policy, str) else json.dumps(policy)
    return check_policy(data, now=NOW, mode="verify", rego=cast(Any, rego))


def _findings(report: PolicyReport) -> list[str]:
    return [f"{f.category}|{f.message}|{f.suggestion}" for f in report.errors] + [
        f"warning:{f.category}|{f.message}|{f.suggestion}" for f in report.warnings
    ]


# ----------------------------------------------------------------------------- traps


@dataclass
class Injection:
    trap: str
    policy: dict[str, Any]
    head: str
    detail: str
    flagged: str
    """Substring that must appear in one finding of check_policy(broken policy)."""
    fix_paths: list[str]
    require: list[list[str]] = field(default_factory=list)
    forbid: list[str] = field(default_factory=list)
    must: list[str] = field(default_factory=list)
    fix_rego: bool = False
    expires_fix: bool = False
    no_ignored: bool = False
    verdict_head: str = "This will fail"


@dataclass(frozen=True)
class TrapSpec:
    name: str
    world: Callable[[random.Random, int], World]
    inject: Callable[[random.Random, World], Injection]


def _step_atts(policy: dict[str, Any], step: str) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], policy["steps"][step]["attestations"])


def _short(keyid: str) -> str:
    return keyid[:12] + "…"


# -- world builders per trap


def _w_plain(rng: random.Random, seed: int) -> World:
    return build_world(seed)


def _w_two_steps(rng: random.Random, seed: int) -> World:
    return build_world(seed, n_steps=2)


def _w_two_keys(rng: random.Random, seed: int) -> World:
    return build_world(seed, n_steps=2, two_keys=True)


def _w_rego(rng: random.Random, seed: int) -> World:
    return build_world(seed, rego=True)


def _w_x509(rng: random.Random, seed: int) -> World:
    return build_world(seed, n_steps=1, use_x509=True)


def _w_sbom(rng: random.Random, seed: int) -> World:
    return build_world(seed, extra="sbom", sbom_kind=rng.choice(("spdx", "cyclonedx")))


# -- trap 1


def _t_collection(rng: random.Random, w: World) -> Injection:
    p = copy.deepcopy(w.policy)
    step = rng.choice(w.steps)
    wrong = rng.choice(COLLECTION_TYPES)
    atts = _step_atts(p, step)
    atts.insert(rng.randrange(len(atts) + 1), {"type": wrong, "regopolicies": []})
    variant = "witness-dev" if "witness.dev" in wrong else "testifysec"
    domain = (
        " (and the real collection type is on the testifysec domain: "
        "`https://witness.testifysec.com/attestation-collection/v0.1`)"
        if variant == "witness-dev"
        else ""
    )
    return Injection(
        trap=f"collection-type/{variant}",
        policy=p,
        head=f"`{wrong}` is not an attestation type, so step `{step}` can never pass.",
        detail=(
            "Every entry in a step's `attestations` must be the type of an attestor recorded *inside* the collection "
            "(material, command-run, product, ...). The attestation collection is the statement's predicate type"
            f"{domain}; no attestation inside a collection carries it, so this required type is always missing. "
            "Remove that entry."
        ),
        flagged=wrong,
        fix_paths=[f"steps.{step}.attestations"],
        # the fix is to drop the entry: swapping in the other collection URI is just as wrong
        require=[["collection"], list(REMOVAL_TERMS)],
        forbid=[json.dumps(wrong)],
    )


# -- trap 2


def _w_type_version(rng: random.Random, seed: int) -> World:
    variant = TYPE_VERSION_TRAPS[seed % len(TYPE_VERSION_TRAPS)]
    return build_world(seed, extra=variant[1])


def _t_type_version(rng: random.Random, w: World) -> Injection:
    variant = next(v for v in TYPE_VERSION_TRAPS if v[1] == w.extra)
    name, attestor, wrong, right = variant
    p = copy.deepcopy(w.policy)
    step = w.steps[0]
    atts = _step_atts(p, step)
    for a in atts:
        if a["type"] == right:
            a["type"] = wrong
    label = attestor or "command-run"
    return Injection(
        trap=f"type-version/{name}",
        policy=p,
        head=f"step `{step}` requires `{wrong}`, but the {label} attestor records its attestation as `{right}`.",
        detail=(
            "Witness compares attestation types by exact string equality, so the required type is never found in the "
            f"collection and step `{step}` fails. Use the exact type URI (`witness attestors list` prints them)."
        ),
        flagged=wrong,
        fix_paths=[f"steps.{step}.attestations"],
        require=[[right]],
        forbid=[json.dumps(wrong)],
        must=[json.dumps(right)],
    )


# -- trap 3


def _t_sbom(rng: random.Random, w: World) -> Injection:
    right = SBOM_TYPES[w.sbom_kind]
    p = copy.deepcopy(w.policy)
    step = w.steps[0]
    for a in _step_atts(p, step):
        if a["type"] == right:
            a["type"] = SBOM_TYPE_TRAP
    kind = "SPDX" if w.sbom_kind == "spdx" else "CycloneDX"
    return Injection(
        trap=f"sbom-type/{w.sbom_kind}",
        policy=p,
        head=f"a real collection never contains `{SBOM_TYPE_TRAP}`, so step `{step}` can never pass.",
        detail=(
            "The sbom attestor records the SBOM under the SBOM document's own type: `https://spdx.dev/Document` for "
            f"SPDX, `https://cyclonedx.org/bom` for CycloneDX. Your build produces a {kind} SBOM, so require `{right}`."
        ),
        flagged=SBOM_TYPE_TRAP,
        fix_paths=[f"steps.{step}.attestations"],
        require=[[right]],
        forbid=[json.dumps(SBOM_TYPE_TRAP)],
        must=[json.dumps(right)],
    )


# -- traps 5, 6, 7 (Rego)


def _rego_parts(w: World) -> tuple[str, str, str, str, str]:
    assert w.rego is not None
    step, rtype, name, src = w.rego
    pkg = src.split("\n", 1)[0].removeprefix("package ").strip()
    return step, rtype, name, src, pkg


def _set_module(p: dict[str, Any], w: World, module: str, *, raw: bool = False) -> None:
    step, rtype, _name, _src, _pkg = _rego_parts(w)
    for a in _step_atts(p, step):
        if a["type"] == rtype:
            a["regopolicies"][0]["module"] = module if raw else _b64(module.encode())


def _rego_path(w: World) -> str:
    step, rtype, _n, _s, _p = _rego_parts(w)
    idx = [a["type"] for a in _step_atts(w.policy, step)].index(rtype)
    return f"steps.{step}.attestations[{idx}].regopolicies"


def _t_rego_v1(rng: random.Random, w: World) -> Injection:
    _step, _rtype, name, src, _pkg = _rego_parts(w)
    bad = src.replace("import rego.v1\n\n", "")
    p = copy.deepcopy(w.policy)
    _set_module(p, w, bad)
    return Injection(
        trap="rego-v1-without-import",
        policy=p,
        head=f"the Rego module `{name}` uses Rego v1 keywords (`deny contains msg if`) without `import rego.v1`.",
        detail=(
            "`witness verify` parses policy modules with OPA's v0-compatible parser, which rejects `contains`/`if` "
            "unless the module imports them, so verification errors out. Add `import rego.v1` after the package line "
            "(accepted by both `witness verify` and `witness policy check`) and store the module base64-encoded again:"
        ),
        flagged="without `import rego.v1`",
        fix_paths=[_rego_path(w)],
        require=[["import rego.v1", "future.keywords"]],
        fix_rego=True,
    )


def _t_deny_type(rng: random.Random, w: World) -> Injection:
    _step, _rtype, name, src, pkg = _rego_parts(w)
    tool = re.search(r'!= "([^"]*)"', src)
    tool_name = tool.group(1) if tool else "make"
    kind = rng.choice(("default-string", "concat"))
    msg = 'sprintf("unexpected build command %v", [input.cmd[0]])'
    if kind == "default-string":
        body = (
            f'default deny := ""\n\ndeny := msg if {{\n\tinput.cmd[0] != "{tool_name}"\n\tmsg := {msg}\n}}\n'
        )
    else:
        body = (
            f'violations contains msg if {{\n\tinput.cmd[0] != "{tool_name}"\n\tmsg := {msg}\n}}\n\n'
            'deny := concat(", ", violations)\n'
        )
    bad = f"package {pkg}\n\nimport rego.v1\n\n{body}"
    p = copy.deepcopy(w.policy)
    _set_module(p, w, bad)
    what = "a single string"
    return Injection(
        trap=f"deny-not-a-set/{kind}",
        policy=p,
        head=f"`deny` in module `{name}` is {what}, but witness requires `deny` to be a set of strings.",
        detail=(
            f"go-witness evaluates `data.{pkg}.deny` and rejects any value that is not an array/set of strings "
            f"(`invalid data from rego at data.{pkg}.deny, expected []interface{{}} ...`), so verification of "
            "this step errors on every input. Use a partial set rule that adds one message per violation:"
        ),
        flagged="is not a set of strings",
        fix_paths=[_rego_path(w)],
        require=[["deny contains", "deny[msg]", "set"]],
        fix_rego=True,
    )


def _t_no_deny(rng: random.Random, w: World) -> Injection:
    _step, _rtype, name, src, pkg = _rego_parts(w)
    rule = rng.choice(("violation", "violations", "deny_msg"))
    bad = src.replace("deny contains msg", f"{rule} contains msg")
    p = copy.deepcopy(w.policy)
    _set_module(p, w, bad)
    return Injection(
        trap=f"no-deny-rule/{rule}",
        policy=p,
        head=f"package `{pkg}` defines no `deny` rule, so the Rego check `{name}` silently passes everything.",
        detail=(
            f"witness only queries `data.{pkg}.deny`; a rule named `{rule}` is never read. An undefined `deny` makes "
            "the query return no result, which go-witness treats as a pass, so the rule enforces nothing. "
            "Name the rule `deny`:"
        ),
        flagged="defines no deny rule",
        fix_paths=[_rego_path(w)],
        require=[["deny contains", "deny[msg]", "rename", "`deny`"]],
        fix_rego=True,
        verdict_head="This won't work as intended",
    )


def _t_module_raw(rng: random.Random, w: World) -> Injection:
    _step, _rtype, name, src, _pkg = _rego_parts(w)
    p = copy.deepcopy(w.policy)
    _set_module(p, w, src, raw=True)
    return Injection(
        trap="module-not-base64",
        policy=p,
        head="`regopolicies[].module` holds raw Rego text, but it is a Go `[]byte` field.",
        detail=(
            "encoding/json expects standard base64 (with padding) there, so the whole policy fails to unmarshal "
            f"before anything is verified. Store the base64 of the module (`base64 -w0 < {name.removesuffix('.rego')}.rego`):"
        ),
        flagged="base64",
        fix_paths=[_rego_path(w)],
        require=[["base64"]],
    )


# -- trap 7b, 8, 13 (keys)


def _pk_entry(p: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    k = next(iter(p["publickeys"]))
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


def _t_key_der(rng: random.Random, w: World) -> Injection:
    p = copy.deepcopy(w.policy)
    _k, entry = _pk_entry(p)
    pem = base64.b64decode(entry["key"])
    der = crypto.public_der(crypto.Verifier.from_pem(pem).public_key)
    entry["key"] = _b64(der)
    return Injection(
        trap="key-base64-der",
        policy=p,
        head=f"`publickeys.{_short(entry['keyid'])}.key` is base64 of the DER key (`{entry['key'][:8]}...`), not of the PEM text.",
        detail=(
            "witness decodes the base64 and then expects a PEM block, so loading the policy keys fails with "
            "`invalid pem block` and verification aborts. Store `base64 -w0 < pub.pem` of the whole "
            "`-----BEGIN PUBLIC KEY-----` file (the value then starts with `LS0tLS1CRUdJTi`):"
        ),
        flagged="invalid pem",
        fix_paths=["publickeys"],
        require=[["pem"]],
        forbid=[entry["key"]],
        must=["LS0tLS1CRUdJTi"],
    )


def _t_keyid(rng: random.Random, w: World) -> Injection:
    p = copy.deepcopy(w.policy)
    right, entry = _pk_entry(p)
    pem = base64.b64decode(entry["key"])
    how = rng.choice(("der", "b64", "no-newline"))
    if how == "der":
        wrong = hashlib.sha256(crypto.public_der(crypto.Verifier.from_pem(pem).public_key)).hexdigest()
        why = "the SHA-256 of the DER bytes"
    elif how == "b64":
        wrong = hashlib.sha256(entry["key"].encode()).hexdigest()
        why = "the SHA-256 of the base64 string"
    else:
        stripped = pem.rstrip(b"\n")
        entry["key"] = _b64(stripped)
        wrong = hashlib.sha256(stripped).hexdigest()
        why = "`sha256sum` of a PEM file that lost its trailing newline"
    _rekey(p, right, wrong)
    fix = (
        f"witness recomputes the key ID as the SHA-256 of Go's canonical PKIX `PUBLIC KEY` PEM encoding (64-column "
        f"lines, trailing newline), not {why}, and aborts with `public key in policy has expected key id "
        f"{_short(wrong)} but got {_short(right)}`. The correct key ID is `{right}`; use it for the map key, "
        "`keyid` and every functionary `publickeyid`:"
    )
    return Injection(
        trap=f"keyid-wrong/{how}",
        policy=p,
        head=f"the key ID `{_short(wrong)}` is not the witness key ID of the embedded key.",
        detail=fix,
        flagged="expected key id",
        fix_paths=["publickeys", *[f"steps.{s}.functionaries" for s in w.steps]],
        require=[[right]],
        forbid=[wrong],
        must=[right],
    )


def _t_mapkey_ref(rng: random.Random, w: World) -> Injection:
    p = copy.deepcopy(w.policy)
    keyid, _entry = _pk_entry(p)
    label = rng.choice(_KEY_LABELS)
    _rekey(p, keyid, label, map_key=label)
    p["publickeys"][label]["keyid"] = keyid
    return Injection(
        trap="functionary-key-missing/map-key",
        policy=p,
        head=f"the functionaries reference `{label}`, which is only the map key in `publickeys`.",
        detail=(
            "witness ignores the `publickeys` map key; a functionary's `publickeyid` must equal the key's `keyid` "
            f"(`{keyid}`), otherwise it matches no verifier and the step fails. Reference the key ID:"
        ),
        flagged="is not the keyid of any key",
        fix_paths=["publickeys", *[f"steps.{s}.functionaries" for s in w.steps]],
        require=[[keyid]],
        forbid=[f'"publickeyid": "{label}"'],
    )


def _t_missing_key(rng: random.Random, w: World) -> Injection:
    p = copy.deepcopy(w.policy)
    step = w.steps[1]
    missing = w.keyids[step]
    p["publickeys"].pop(missing)
    return Injection(
        trap="functionary-key-missing/not-embedded",
        policy=p,
        head=f"step `{step}` trusts key `{_short(missing)}`, but that key is not embedded in `publickeys`.",
        detail=(
            "Only the public keys inside the policy (and certificates chaining to its `roots`) verify collection "
            f"signatures, so a functionary pointing at any other key ID never matches and step `{step}` fails. "
            f"Add the public key of `{w.key_files[step]}`:"
        ),
        flagged="is not the keyid of any key",
        fix_paths=[f"publickeys.{missing}"],
        require=[["publickeys"]],
        must=[missing],
    )


# -- trap 10


def _t_step_name(rng: random.Random, w: World) -> Injection:
    p = copy.deepcopy(w.policy)
    step = rng.choice(w.steps)
    how = rng.choice(("case", "other", "missing"))
    entry = p["steps"][step]
    if how == "case":
        got = step.title() if step.title() != step else step.upper()
    else:
        others = [s for s in (*_FIRST_STEPS, *_SECOND_STEPS) if s not in w.steps]
        got = rng.choice(others)
    if how == "missing":
        del entry["name"]
        head = f"step `{step}` has no `name`."
    else:
        entry["name"] = got
        head = f"the step map key `{step}` and its `name` `{got}` differ."
    return Injection(
        trap=f"step-name/{how}",
        policy=p,
        head=head,
        detail=(
            "witness searches collections by the map key but validates them against `name`, so both must be "
            f"identical (and equal to `witness run --step {step}`); otherwise every collection is skipped and the "
            f'step fails. Set `"name": "{step}"`:'
        ),
        flagged="the map key and 'name' must be identical",
        fix_paths=[f"steps.{step}.name"],
        require=[
            ["name"],
            ["identical", "match", "same", "equal", "differ", "mismatch", "missing", "no name"],
        ],
    )


# -- trap 11


def _rename_key(d: dict[str, Any], old: str, new: str) -> None:
    items = [(new if k == old else k, v) for k, v in d.items()]
    d.clear()
    d.update(items)


def _t_snake(rng: random.Random, w: World) -> Injection:
    p = copy.deepcopy(w.policy)
    options = ["public_key_id", "public_keys"]
    if len(w.steps) > 1:
        options.append("artifacts_from")
    if w.rego is not None:
        options.append("rego_policies")
    bad = rng.choice(options)
    step = w.steps[-1]
    if bad == "artifacts_from":
        right = "artifactsFrom"
        _rename_key(p["steps"][step], right, bad)
        frm = p["steps"][step][bad][0]
        effect = f"step `{step}` no longer checks that its materials came from `{frm}`"
        paths = [f"steps.{step}.artifactsFrom"]
    elif bad == "rego_policies":
        right = "regopolicies"
        rstep, rtype, name, _s, _p = _rego_parts(w)
        for a in _step_atts(p, rstep):
            if a["type"] == rtype:
                _rename_key(a, right, bad)
        effect = f"the Rego module `{name}` is never evaluated"
        paths = [_rego_path(w)]
        step = rstep
    elif bad == "public_key_id":
        right = "publickeyid"
        step = rng.choice(w.steps)
        for f in p["steps"][step]["functionaries"]:
            _rename_key(f, right, bad)
        effect = f"the functionary of step `{step}` has no key and can never match, so the step fails"
        paths = [f"steps.{step}.functionaries"]
    else:
        right = "publickeys"
        _rename_key(p, right, bad)
        effect = "no key is embedded, so no functionary `publickeyid` can match and every step fails"
        paths = ["publickeys"]
    silent = bad in ("artifacts_from", "rego_policies")
    return Injection(
        trap=f"snake-case-tag/{bad}",
        policy=p,
        head=f"`{bad}` is not a witness policy field: witness silently ignores it, so {effect}.",
        detail=(
            "Go's encoding/json matches field names case-insensitively but does not translate snake_case, and "
            f"unknown keys are dropped without an error. The field is `{right}`:"
        ),
        flagged="unknown key",
        fix_paths=paths,
        require=[
            [right.lower()],
            ["ignore", "dropped", "drops", "silently", "unknown", "no effect", "not a"],
        ],
        forbid=[f'"{bad}"'],
        no_ignored=True,
        verdict_head="This won't work as intended" if silent else "This will fail",
    )


# -- trap 12


def _t_cert_constraint(rng: random.Random, w: World) -> Injection:
    p = copy.deepcopy(w.policy)
    step = w.steps[0]
    cc = p["steps"][step]["functionaries"][0]["certConstraint"]
    email = w.x509["email"]
    domain = email.split("@", 1)[1]
    how = rng.choice(("partial-glob", "empty-roots", "omitted-sans"))
    path = f"steps.{step}.functionaries[0].certConstraint"
    if how == "partial-glob":
        cc["emails"] = [f"*@{domain}"]
        head = f'`"emails": ["*@{domain}"]` never matches a certificate.'
        detail = (
            'In a certConstraint only `["*"]` as the sole element is a wildcard; other `emails`, `uris`, `dnsnames` '
            "and `organizations` values are compared literally (globs only work in `extensions`). List the exact "
            'signer identity (or `["*"]`):'
        )
        require = [[email, '["*"]']]
        flagged = 'only ["*"] as the sole element'
    elif how == "empty-roots":
        cc["roots"] = []
        head = f"the certConstraint of step `{step}` has an empty `roots` list, so no certificate signer is accepted."
        detail = (
            "go-witness refuses x509 signers when the functionary names no trusted root (`no trusted roots provided "
            "in functionary`). Reference the root id from the policy's `roots`:"
        )
        require = [["roots"]]
        flagged = "certConstraint has no roots"
    else:
        del cc["emails"]
        del cc["uris"]
        head = f"the certConstraint of step `{step}` omits `emails`, so it rejects your certificate."
        detail = (
            "Omitted or empty constraint lists are not wildcards: they mean the certificate must have *no* such "
            f"values, and your signing certificate carries the email SAN `{email}`, so the functionary never "
            "matches. (The omitted `uris` is harmless here because the certificate has no URI SAN, but "
            '`["*"]` states the intent.) Set the email (or `["*"]`):'
        )
        require = [["emails"]]
        flagged = "omits both emails and uris"
    return Injection(
        trap=f"cert-constraint/{how}",
        policy=p,
        head=head,
        detail=detail,
        flagged=flagged,
        fix_paths=[path],
        require=require,
    )


# -- trap 15


def _t_expires(rng: random.Random, w: World) -> Injection:
    p = copy.deepcopy(w.policy)
    how = rng.choice(("date-only", "past", "missing"))
    old = p["expires"]
    if how == "date-only":
        bad = old[:10]
        p["expires"] = bad
        head = f"`expires` is `{bad}`, a date without a time."
        detail = (
            "witness parses `expires` as RFC3339 (`metav1.Time`), so a bare date fails to unmarshal and the policy "
            "is rejected. Use a full timestamp with a zone:"
        )
        flagged = "expires"
        require = [["rfc3339", "rfc 3339", "timestamp", "time"]]
    elif how == "past":
        bad = rng.choice(
            (
                "2022-12-17T23:57:40-05:00",
                "2023-12-17T23:57:40-05:00",
                "2024-06-30T00:00:00Z",
                "2025-12-31T23:59:59Z",
            )
        )
        p["expires"] = bad
        head = f"the policy already expired (`expires` is `{bad}`)."
        detail = (
            "witness checks `expires` before it evaluates any step and stops with `policy expired on ...`. Set a "
            "future RFC3339 time (and re-sign the policy):"
        )
        flagged = "expired on"
        require = [["expire"]]
    else:
        items = [(k, v) for k, v in p.items() if k != "expires"]
        p.clear()
        p.update(items)
        head = "the policy has no `expires`."
        detail = (
            "A missing `expires` is Go's zero time, so every verification stops with "
            "`policy expired on 0001-01-01 00:00:00 +0000 UTC`. Add an RFC3339 expiry:"
        )
        flagged = "policy has no expiry"
        require = [["expires"]]
    return Injection(
        trap=f"expires/{how}",
        policy=p,
        head=head,
        detail=detail,
        flagged=flagged,
        fix_paths=["expires"],
        require=require,
        expires_fix=True,
    )


TRAPS: tuple[TrapSpec, ...] = (
    TrapSpec("collection-type", _w_plain, _t_collection),
    TrapSpec("type-version", _w_type_version, _t_type_version),
    TrapSpec("sbom-type", _w_sbom, _t_sbom),
    TrapSpec("rego-v1-without-import", _w_rego, _t_rego_v1),
    TrapSpec("deny-not-a-set", _w_rego, _t_deny_type),
    TrapSpec("no-deny-rule", _w_rego, _t_no_deny),
    TrapSpec("module-not-base64", _w_rego, _t_module_raw),
    TrapSpec("key-base64-der", _w_plain, _t_key_der),
    TrapSpec("keyid-wrong", _w_plain, _t_keyid),
    TrapSpec("functionary-key-missing/map-key", _w_plain, _t_mapkey_ref),
    TrapSpec("functionary-key-missing/not-embedded", _w_two_keys, _t_missing_key),
    TrapSpec("step-name", _w_plain, _t_step_name),
    TrapSpec("snake-case-tag", lambda r, s: build_world(s, rego=r.random() < 0.4), _t_snake),
    TrapSpec("cert-constraint", _w_x509, _t_cert_constraint),
    TrapSpec("expires", _w_plain, _t_expires),
)
OK_VARIANTS = ("plain", "camel-case-tag", "named-map-key", "functionary-type", "rego")


# ----------------------------------------------------------------------------- question


def _step_attestors(w: World, step: str) -> tuple[str, ...]:
    """`-a` of one step: only the first step records the extra attestor (sbom, vex, k8smanifest).

    A later step only tars the build output, so it has no SBOM/VEX product; `-a sbom` or `-a vex`
    there would fail the whole run (`no SBOM file found` / `no VEX file found`), and the policy
    does not require the extra type for later steps anyway.
    """
    if step == w.steps[0] or not w.extra:
        return w.attestors
    return tuple(a for a in w.attestors if a != w.extra)


def _run_line(w: World, step: str) -> str:
    attestors = _step_attestors(w, step)
    default = attestors == ("environment", "git")
    a = "" if default else f" -a {','.join(attestors)}"
    if w.x509:
        signer = f"-k {w.key_files[step]} --signer-file-cert-path signer.crt"
    else:
        signer = f"-k {w.key_files[step]}"
    return f"`witness run -s {step} {signer} -o {step}.json{a} -- {w.commands[step]}`"


def _context(rng: random.Random, w: World) -> str:
    runs = [_run_line(w, s) for s in w.steps]
    lead = rng.choice(("Our CI runs", "The pipeline runs", "We record the steps with", "CI does"))
    text = f"{lead} {runs[0]}" + (f", then {runs[1]}." if len(runs) > 1 else ".")
    if w.extra == "sbom":
        text += f" The build writes a {'SPDX' if w.sbom_kind == 'spdx' else 'CycloneDX'} JSON SBOM."
    elif w.extra == "vex":
        text += f" The build also writes an OpenVEX document `{VEX_FILE}`."
    if w.x509:
        text += f" `signer.crt` is issued to `{w.x509['email']}` by {w.x509['ca']}."
    return text


ASK = (
    "Will this witness policy work?\n\n{policy}\n\n{ctx}",
    "{ctx} Here is the policy I wrote for `witness verify`:\n\n{policy}\n\nWill it work?",
    "Is this policy going to pass with real witness, or is something off?\n\n{policy}\n\n{ctx}",
    "{ctx}\n\n{policy}\n\nDoes witness accept this policy as written?",
    "Sanity check before we roll this out:\n\n{policy}\n\n{ctx} Will `witness verify` work with this policy?",
    "I'm about to sign this policy with `witness sign`:\n\n{policy}\n\n{ctx} Will it actually work at verification time?",
    "Here is our policy:\n\n{policy}\n\nWill witness enforce what it says? {ctx}",
)
REVIEW = (
    "Please review this witness policy.\n\n{policy}\n\n{ctx}",
    "Can you review this policy for us? {ctx}\n\n{policy}\n\nWhat do you think?",
    "Code review request: our witness policy is below. {ctx}\n\n{policy}\n\nAnything wrong with it?",
    "{ctx} Review this policy JSON:\n\n{policy}\n\nIs it correct?",
    "Review please, this is the policy.json we plan to sign:\n\n{policy}\n\n{ctx}",
    "Could you look over this witness policy and point out problems, if any?\n\n{policy}\n\n{ctx}",
)
AUDIT = (
    "Is there anything in this policy that real witness would reject or silently ignore?\n\n{policy}\n\n{ctx}",
    "{ctx}\n\n{policy}\n\nDoes this policy contain any witness gotchas?",
    "{ctx}\n\n{policy}\n\nI want to be sure nothing here is silently ignored or rejected by witness. Is it OK?",
    "A colleague wrote this witness policy:\n\n{policy}\n\n{ctx} Is it valid for `witness verify`?",
    "Audit this witness policy for mistakes that would make verification fail or do nothing.\n\n{policy}\n\n{ctx}",
    "We keep hitting subtle witness policy bugs. {ctx}\n\n{policy}\n\nIs this one fine?",
)
REGO = (
    "Will this witness policy work? The module on command-run decodes to:\n\n{rego}\n\nPolicy:\n\n{policy}\n\n{ctx}",
    "{ctx} Our policy embeds this Rego (base64 in `module`):\n\n{rego}\n\n{policy}\n\nWill `witness verify` accept it?",
    "Please review the policy and its Rego rule.\n\n{policy}\n\nDecoded module:\n\n{rego}\n\n{ctx}",
    "Does this Rego check work in a witness policy?\n\n{rego}\n\nIt is embedded like this:\n\n{policy}\n\n{ctx}",
    "{ctx}\n\nPolicy:\n\n{policy}\n\nThe base64 module is:\n\n{rego}\n\nIs this correct for witness?",
    "Review request: policy plus the Rego it carries.\n\n{rego}\n\n{policy}\n\n{ctx}",
)
TEMPLATES: dict[str, tuple[str, ...]] = {"ask": ASK, "review": REVIEW, "audit": AUDIT, "rego": REGO}


def _module_text(policy: dict[str, Any], w: World) -> str | None:
    """The decoded Rego of the world's module as it stands in `policy` (None if not base64 text)."""
    if w.rego is None:
        return None
    step, rtype, _n, _s, _p = _rego_parts(w)
    for a in policy.get("steps", {}).get(step, {}).get("attestations", []):
        if a.get("type") == rtype:
            for rp in a.get("regopolicies", a.get("rego_policies", a.get("regoPolicies", []))):
                try:
                    return base64.b64decode(rp["module"], validate=True).decode("utf-8")
                except ValueError:
                    return None
    return None


# ----------------------------------------------------------------------------- answer


def _get_path(obj: Any, path: str) -> Any:
    cur = obj
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        cur = cur[int(part[1:-1])] if part.startswith("[") else cur[part]
    return cur


def _fragment(policy: dict[str, Any], path: str) -> str:
    value = _get_path(policy, path)
    last = re.findall(r"[^.\[\]]+|\[\d+\]", path)[-1]
    shown = value if last.startswith("[") else {last: value}
    return render(shown)


def _summary(w: World, policy: dict[str, Any]) -> list[str]:
    short = {
        TYPE_OF["material"]: "material",
        TYPE_OF["command-run"]: "command-run",
        TYPE_OF["product"]: "product",
        TYPE_OF["git"]: "git",
        TYPE_OF["environment"]: "environment",
    }
    lines = []
    for s in w.steps:
        st = policy["steps"][s]
        types = ", ".join(short.get(a["type"], f"`{a['type']}`") for a in st["attestations"])
        keyid = st["functionaries"][0].get("publickeyid", "")
        line = f"- `{s}`: signed by key `{_short(keyid)}` ({w.key_files[s]}); requires {types}"
        if w.rego is not None and w.rego[0] == s:
            line += f"; Rego `{w.rego[2]}` denies a command other than `{w.commands[s].split()[0]}`"
        frm = st.get("artifactsFrom")
        if frm:
            line += f"; its materials must match the artifacts of `{frm[0]}`"
        lines.append(line + ".")
    return lines


def _ok_answer(rng: random.Random, w: World, policy: dict[str, Any], variant: str, label: str) -> str:
    head = rng.choice(
        (
            "This looks correct: it is a valid witness policy and `witness verify` will enforce it once it is signed.",
            "This looks correct: nothing in it is rejected or ignored by witness.",
            "This looks correct: the structure, key IDs, type URIs and `expires` are all valid for witness.",
        )
    )
    parts = [head, "", "What it enforces:", *_summary(w, policy), f"- Valid until `{policy['expires']}`."]
    notes = {
        "camel-case-tag": "`regoPolicies` is fine: encoding/json matches field names case-insensitively, so it binds "
        "to `regopolicies`.",
        "named-map-key": f"The `publickeys` map key `{label}` is only a label; witness uses the `keyid` field, which "
        "matches the embedded key, and the functionaries reference that key ID.",
        "functionary-type": "The functionary `type` value is documentation only; witness never reads it.",
        "rego": "The Rego module uses `import rego.v1` with `deny contains msg if`, the form accepted by both "
        "`witness verify` and `witness policy check`.",
    }
    if variant in notes:
        parts += ["", notes[variant]]
    parts += [
        "",
        "Sign it before use (`witness verify` only accepts the signed envelope):",
        "",
        "```bash",
        "witness sign -f policy.json -o policy-signed.json -k policy-key.pem",
        "```",
    ]
    return "\n".join(parts)


def _broken_answer(inj: Injection, w: World) -> tuple[str, bool]:
    valid = w.policy
    show_rego = inj.fix_rego and w.rego is not None
    detail = inj.detail if show_rego or not inj.detail.endswith(":") else inj.detail[:-1] + "."
    parts = [f"{inj.verdict_head}: {inj.head}", "", detail, ""]
    if show_rego and w.rego is not None:
        parts += ["```rego", w.rego[3].rstrip("\n"), "```", ""]
    full = render(valid)
    shown_full = len(full) <= FULL_POLICY_CHARS
    if shown_full:
        label = "Corrected policy (module re-encoded as base64):" if show_rego else "Corrected policy:"
        parts += [label, "", "```json", full, "```"]
    else:
        for path in inj.fix_paths:
            parts += [f"Corrected `{path}`:", "", "```json", _fragment(valid, path), "```", ""]
        parts.pop()
    return "\n".join(parts), shown_full


# ----------------------------------------------------------------------------- make


def _ok_policy(rng: random.Random, w: World, variant: str) -> tuple[dict[str, Any], str]:
    p = copy.deepcopy(w.policy)
    label = ""
    if variant == "camel-case-tag" and w.rego is not None:
        step, rtype, _n, _s, _p = _rego_parts(w)
        for a in _step_atts(p, step):
            if a["type"] == rtype:
                _rename_key(a, "regopolicies", "regoPolicies")
    elif variant == "named-map-key" and "publickeys" in p:
        label = rng.choice(_KEY_LABELS)
        keyid, _e = _pk_entry(p)
        keys = p["publickeys"]
        keys[label] = keys.pop(keyid)
    elif variant == "functionary-type":
        for st in p["steps"].values():
            for f in st["functionaries"]:
                f["type"] = "key"
    return p, label


def make(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Example:
    del version  # the traps (REFERENCE §8) fail the same way in every witness release
    world_seed = rng.randrange(2**31)
    ok = rng.random() < OK_SHARE
    if ok:
        variant = rng.choice(OK_VARIANTS)
        w = build_world(world_seed, rego=variant in ("rego", "camel-case-tag"))
        shown, label = _ok_policy(rng, w, variant)
        report = static_report(shown)
        if report.errors:
            raise AssertionError(f"ok policy has errors: {_findings(report)}")
        trap = f"ok/{variant}"
        answer = _ok_answer(rng, w, shown, variant, label)
        inj = None
    else:
        spec = rng.choice(TRAPS)
        w = spec.world(rng, world_seed)
        inj = spec.inject(rng, w)
        shown = inj.policy
        valid = static_report(w.policy)
        if valid.errors:
            raise AssertionError(f"valid policy has errors: {_findings(valid)}")
        found = _findings(static_report(shown))
        if not any(inj.flagged.lower() in f.lower() for f in found):
            raise AssertionError(f"trap {inj.trap} not flagged ({inj.flagged!r}): {found}")
        trap = inj.trap
        answer, _full = _broken_answer(inj, w)
    module = _module_text(shown, w)
    style = rng.choice(("ask", "review", "audit"))
    if w.rego is not None and module is not None and (inj is None or inj.fix_rego or rng.random() < 0.5):
        style = "rego"
    idx = rng.randrange(len(TEMPLATES[style]))
    question = TEMPLATES[style][idx].format(
        ctx=_context(rng, w),
        policy=f"```json\n{render(shown)}\n```",
        rego=f"```rego\n{(module or '').rstrip()}\n```",
    )
    check: dict[str, Any] = {
        "kind": "review",
        "verdict": "ok" if inj is None else "broken",
        "trap": trap,
        "world": world_seed,
        "steps": list(w.steps),
        "require": [[s] for s in w.steps] if inj is None else inj.require,
        "forbid": [] if inj is None else inj.forbid,
        "must": [] if inj is None else inj.must,
        "rego": bool(inj and inj.fix_rego),
        "expires_fix": bool(inj and inj.expires_fix),
        "no_ignored": bool(inj and inj.no_ignored),
    }
    return Example(
        family=NAME,
        group=f"traps/{trap}/{world_seed}",
        template=f"traps/{style}/{idx}",
        question=phrasing.dress(rng, question),
        answer=answer,
        check=check,
        system=phrasing.system_prompt(rng),
        meta={"trap": trap, "steps": len(w.steps)},
    )


# ----------------------------------------------------------------------------- score

_POSITIVE = re.compile(
    r"\blooks? (?:correct|good|fine|valid|right|ok(?:ay)?|sound)\b"
    r"|\b(?:is|are|it's|seems|appears)(?: perfectly| fully| entirely| completely)? (?:valid|correct|fine|ok(?:ay)?|sound)\b"
    r"|\b(?:will|should|would) (?:work|verify|pass|accept)\b|\bwill be accepted\b"
    r"|\bno (?:problems?|issues?|errors?|mistakes?|bugs?|traps?|gotchas?|changes? (?:are )?(?:needed|required))\b"
    r"|\bnothing (?:is )?(?:wrong|to fix|broken|ignored)\b"
    r"|\b(?:don't|do not|didn't|did not|can't|cannot) (?:see|find|spot) (?:any )?"
    r"(?:problems?|issues?|errors?|mistakes?|bugs?|gotchas?)\b"
    r"|\b(?:valid|correct) (?:as[- ]is|as written)\b"
    r"|^\W*(?:valid|correct|ok(?:ay)?|fine)\b"
)
_NEGATIVE = re.compile(
    r"\b(?:will|would|does|do|is|are)(?: not|n't)(?: \w+)? (?:work|verify|pass|match|accept|accepted|found|evaluated|enforced|read)"
    r"|\bwon'?t (?:\w+ )?(?:work|verify|pass|match|be|do|load|parse|unmarshal)"
    r"|\b(?:fail|fails|failing|failure)\b|\bbroken\b|\binvalid\b|\bincorrect\b|\bwrong\b"
    r"|\b(?:problems?|issues?|mistakes?|bugs?|errors?|flaws?|gotchas?)\b"
    r"|\bnot (?:valid|correct|right)\b|\breject|\bnever\b|\bcan(?:not|'t) (?:work|verify|pass|match|be)"
    r"|\bignored?\b|\bsilently\b|\bno effect\b|\bdoesn'?t (?:work|match|exist)|\bmissing\b|\bexpired\b"
    r"|\bnot (?:going to|gonna) work"
)
_CLAUSE = re.compile(r"(?<=[.!?])\s+|:\s|\n+|\s[—–-]\s")
_CLAIM = re.compile(
    r"\b(?:will|would) (?:fail|be rejected)\b|\bwon'?t (?:work|verify|pass)\b|\bwill not (?:work|verify|pass)\b"
    r"|\b(?:is|are) (?:wrong|invalid|broken|incorrect)\b|\bmust be (?:fixed|changed|corrected|renamed)\b"
    r"|\bsilently ignored\b|\bnever match"
)
_CONDITIONAL = re.compile(r"\b(?:if|unless|otherwise|when|without|once|only if|as long as|before)\b")
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def verdict_of(text: str) -> str | None:
    """'broken' / 'ok' from the first clauses of an answer (before any code block), or None."""
    head = text.split("```", 1)[0][:800].lower()
    head = re.sub(r"[*_#>|]+", " ", head)
    for clause in [c for c in _CLAUSE.split(head) if c and c.strip()][:5]:
        masked = _POSITIVE.sub(lambda m: " " * len(m.group(0)), clause)
        if _NEGATIVE.search(masked):
            return "broken"
        if _POSITIVE.search(clause):
            return "ok"
    return None


def claims_error(text: str) -> str | None:
    """A sentence (outside code blocks) that asserts a fault outright, not conditionally."""
    prose = re.sub(r"```.*?(?:```|\Z)", " ", text[:20_000], flags=re.S).lower()
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", prose):
        if _CLAIM.search(sentence) and not _CONDITIONAL.search(sentence):
            return sentence.strip()[:100]
    return None


_LOOKALIKE_DEFENSE = (
    r"\b(?:not|isn't|is not|never|aren't|are not) (?:ignored|dropped|reads?|checks?|checked|uses?|used|required|significant|validated)\b"
    r"|case[- ]?insensitiv|\bbinds?\b|\bis fine\b|\bharmless\b|\bonly a label\b|\bjust a label\b|\birrelevant\b"
    r"|\b(?:doesn't|does not|don't|do not) (?:matter|read|check|use|validate|have to|need to)\b|\bneed not\b|\bneedn't\b"
    r"|\bdocumentation\b|\bcosmetic\b|\bconvention\b|\boptional(?:ly)?\b|\bany (?:string|name|label|value)\b"
)
_MUST = r"\b(?:must|has to|have to|needs to|need to|should|is required to)(?: be| equal| match| use)\b"
_LOOKALIKE_FAULTS: dict[str, tuple[str, str]] = {
    # ok variant -> (what the sentence is about, what would make it a (false) fault claim)
    "camel-case-tag": (
        r"regopolicies",
        r"\bignored\b|\bdropped\b|\bnever (?:evaluated|read|runs?)\b|\bnot (?:evaluated|read|recogni[sz]ed)\b"
        r"|\b(?:doesn't|does not|won't|will not) (?:bind|run|work|be evaluated)\b|\brename\b|" + _MUST,
    ),
    "named-map-key": (
        r"map key|publickeys key|key of (?:the )?`?publickeys",
        _MUST + r"|\bwrong\b|\binvalid\b|\bmismatch",
    ),
    "functionary-type": (
        r"\btype\b",
        r"(?:" + _MUST + r").{0,40}(?:publickey|\broot\b)|\"key\" is (?:invalid|wrong|not valid)"
        r"|\binvalid (?:functionary )?type\b|\bunknown (?:functionary )?type\b",
    ),
}


def lookalike_claim(text: str, variant: str) -> str | None:
    """A sentence that calls the harmless look-alike of an `ok/<variant>` policy a fault, or None."""
    rule = _LOOKALIKE_FAULTS.get(variant)
    if rule is None:
        return None
    about, fault = rule
    prose = re.sub(r"```.*?(?:```|\Z)", " ", text[:20_000], flags=re.S).lower()
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", prose):
        if (
            re.search(about, sentence)
            and re.search(fault, sentence)
            and not re.search(_LOOKALIKE_DEFENSE, sentence)
        ):
            return sentence.strip()[:100]
    return None


def _full_policies(docs: list[Any]) -> list[dict[str, Any]]:
    return [d for d in docs if isinstance(d, dict) and isinstance(d.get("steps"), dict) and "expires" in d]


def _check_rego_blocks(text: str, ctx: ScoreContext) -> str | None:
    mods = answers.rego_modules(text)[:4]
    for i, src in enumerate(mods):
        name = f"answer{i}.rego"
        res = ctx.rego.check({name: src}, "verify")
        if not res.ok:
            return f"Rego block {i + 1} does not compile for witness verify: {res.error[:160]}"
        if not res.packages or not all(res.packages.values()):
            return f"Rego block {i + 1} defines no deny rule"
        out = ctx.rego.evaluate({name: src}, {}, "verify")
        if out.kind == "invalid_data":
            return f"Rego block {i + 1}: deny is not a set of strings"
    return None


@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    text = answer
    expected = check.get("verdict")
    got = verdict_of(text)
    if got is None:
        return Score.failed("no clear verdict at the start of the answer")
    if got != expected:
        return Score.failed(f"wrong verdict: answer says {got}, policy is {expected}")
    if expected == "ok":
        claim = claims_error(text) or lookalike_claim(text, str(check.get("trap", "")).removeprefix("ok/"))
        if claim:
            return Score.failed(f"claims a fault in a valid policy: {claim!r}")
    low = text.lower()
    for group in check.get("require", []):
        if not any(str(term).lower() in low for term in group):
            return Score.failed(f"missing key term: one of {group!r}")
    if check.get("expires_fix"):
        from witness_evals.witness.policy import parse_rfc3339

        future = False
        for m in _RFC3339.findall(text):
            try:
                future = future or parse_rfc3339(m) > NOW
            except Exception:  # malformed date parts
                continue
        if not future:
            return Score.failed("no future RFC3339 `expires` timestamp in the answer")
    try:
        docs = answers.json_documents(text)
    except RecursionError:
        return Score.failed("unparseable JSON (too deeply nested)")
    policies = _full_policies(docs)
    if policies:
        fixed = policies[-1]
        dumped = json.dumps(fixed)
        try:
            report = static_report(dumped, _LazySandbox(ctx))
        except Exception as exc:  # InputError and anything unexpected in untrusted JSON
            return Score.failed(f"policy JSON in the answer cannot be checked: {str(exc)[:120]}")
        if report.errors:
            e = report.errors[0]
            return Score.failed(f"policy in the answer is still invalid: {' '.join(e.message.split())[:160]}")
        if check.get("no_ignored") and any(f.category == "Ignored Key" for f in report.warnings):
            return Score.failed("policy in the answer still has a key witness ignores")
        if sorted(fixed["steps"]) != sorted(check.get("steps", [])):
            return Score.failed(
                f"policy in the answer has steps {sorted(fixed['steps'])}, expected {check.get('steps')}"
            )
        for bad in check.get("forbid", []):
            if bad in dumped:
                return Score.failed(f"policy in the answer still contains {bad[:80]!r}")
        for need in check.get("must", []):
            if need not in dumped:
                return Score.failed(f"policy in the answer lacks {need[:80]!r}")
    if check.get("rego"):
        why = _check_rego_blocks(text, ctx)
        if why:
            return Score.failed(why)
    return Score.passed()


FAMILY = Family(
    name=NAME,
    description="Review a witness policy: spot the REFERENCE §8 trap (or confirm it is valid) and fix it.",
    make=make,
    score=score,
)
