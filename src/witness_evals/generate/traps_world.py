"""Worlds of the `traps` family: a simulated pipeline, who signs it, and the policy that verifies it.

A `WorldSpec` (small, JSON-able, stored in each example's check) fixes everything: the step kinds and
names, the key kind (ed25519, ECDSA P-256/P-384, RSA-2048) or an x509 PKI (a CA and one leaf
certificate per step), an extra attestor on the first step (sbom, vex, k8smanifest, lockfiles,
github), the CI system and the Rego module the valid policy carries. `build_world` runs `witness run`
for every step with the core simulator and writes the valid policy with `simulate.policy_for`; it is
cached, so the scorer rebuilds a world for free in the process that made it.

`Attack` describes a run a weak policy still accepts (another certificate of the same CA, artifacts
swapped between steps, another command or branch, a step signed with another step's key, a
verification years later); `verify_policy` runs the core verifier on the genuine or the attacked
pipeline, so every claim a review makes about a policy is shown by the core.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import random
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from witness_evals.bench.scorers.context import NOW
from witness_evals.common.jsonio import dumps_go
from witness_evals.witness import crypto, simulate, versions, x509
from witness_evals.witness.attestors.artifacts import vex_document
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.dsse import Envelope
from witness_evals.witness.verify import TRUSTED_REGO, SourceCollection, VerifyOptions, VerifyResult, verify
from witness_evals.witness.versions import WitnessVersion

TYPE_OF = {
    "environment": "https://witness.dev/attestations/environment/v0.1",
    "git": "https://witness.dev/attestations/git/v0.1",
    "material": "https://witness.dev/attestations/material/v0.1",
    "command-run": "https://witness.dev/attestations/command-run/v0.1",
    "product": "https://witness.dev/attestations/product/v0.1",
    "github": "https://witness.dev/attestations/github/v0.1",
    "gitlab": "https://witness.dev/attestations/gitlab/v0.1",
    "k8smanifest": "https://witness.dev/attestations/k8smanifest/v0.2",
    "lockfiles": "https://witness.dev/attestations/lockfiles/v0.1",
    "vex": "https://openvex.dev/ns",
}
SBOM_TYPES = {"spdx": "https://spdx.dev/Document", "cyclonedx": "https://cyclonedx.org/bom"}
REQUIRED = ("material", "command-run", "product")
VEX_FILE = "vex.json"

KEY_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("ed25519", 43),
    ("ecdsa-p256", 31),
    ("ecdsa-p384", 19),
    ("rsa-2048", 7),
)
"""Key kinds of step signers (RSA is rarer: seeded RSA keys are slow to make and to sign with)."""
_RSA_SEEDS = {"rsa-2048": (20_497, 20_495)}
"""Seeded RSA keys come from a prime search (~0.3 s each here): two keys, made once per process."""

SHAPES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("build",), 44),
    (("build", "package"), 26),
    (("build", "test"), 10),
    (("build", "scan"), 6),
)
"""Pipeline shapes and weights: an example shows its complete policy twice (pasted and corrected), and
a three-step policy with its keys alone takes ~2k tokens, so worlds stay at one or two steps; big keys
and PKIs get fewer (`draw_spec`)."""
STEP_NAMES: dict[str, tuple[str, ...]] = {
    "build": ("build", "compile", "build-app", "make"),
    "test": ("test", "unit-tests", "run-tests"),
    "package": ("package", "archive", "bundle", "release"),
    "scan": ("scan", "sast", "semgrep"),
}
ATT_PATTERNS = ("{step}.json", "{step}.att.json", "attestations/{step}.json", "{step}-attestation.json")
KEY_FILES = (
    "ci-key.pem",
    "signing-key.pem",
    "build-key.pem",
    "witness-key.pem",
    "release-key.pem",
    "ci/keys/build.pem",
    "keys/witness.key",
)
STEP_KEY_FILES = ("{step}.pem", "{step}-key.pem", "keys/{step}.pem", "{step}_signing.key")
CERT_FILES = ("signer.crt", "ci.crt", "{step}.crt", "certs/{step}-cert.pem")
ORGS = ("acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark")
CI_FOR_EXTRA = {"github": "github", "gitlab": "gitlab"}
RELEASE_BRANCHES = ("main", "master", "release")
ATTACK_BRANCHES = ("feature/speedup", "dev", "fix-tests", "renovate/deps", "tmp-debug")
ATTACK_COMMANDS = (("make", "debug"), ("./build.sh",), ("sh", "-c", "make all"), ("make", "quick"))

PLAIN_NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)


# ----------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class WorldSpec:
    """Everything that fixes one world (JSON-able: it is stored in the example's check)."""

    seed: int
    kinds: tuple[str, ...]
    names: tuple[str, ...]
    key: str = "ed25519"
    """Key kind of the step signers (of the leaf certificates in an x509 world)."""
    signing: str = "keys"
    """`keys`: one public key per step (one key for a one-step pipeline); `x509`: a certificate per step."""
    ca_key: str = "ecdsa-p256"
    extra: str = ""
    """Attestor recorded by the first step besides the defaults: sbom, vex, k8smanifest, lockfiles, github."""
    sbom: str = "none"
    ci: str = "none"
    rego: str = ""
    """Rego module of the valid policy: "" | tool | command | branch | workflow."""
    base: tuple[str, ...] = ("environment", "git")
    expires: str = "2027-06-30T00:00:00Z"

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorldSpec:
        vals: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**vals)

    @functools.cached_property
    def key_str(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)


def _weighted(rng: random.Random, table: Sequence[tuple[Any, int]]) -> Any:
    total = sum(w for _, w in table)
    r = rng.randrange(total)
    for value, w in table:
        r -= w
        if r < 0:
            return value
    return table[-1][0]


def policy_expiry(rng: random.Random) -> str:
    """A future `expires` within ~2.5 years of the scorer's clock (longer ones are a review finding)."""
    day = datetime(2026, 8, 15, tzinfo=UTC) + timedelta(days=rng.randrange(0, 860))
    hour = rng.choice((0, 0, 9, 12, 17, 23))
    stamp = day.strftime("%Y-%m-%d") + f"T{hour:02d}:00:00"
    return stamp + rng.choice(("Z", "Z", "Z", "-05:00", "+02:00", "-07:00", "+01:00"))


def far_expiry(rng: random.Random) -> str:
    return f"{rng.randint(2036, 2049)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00Z"


def draw_spec(
    rng: random.Random,
    *,
    steps: int | None = None,
    min_steps: int = 1,
    max_steps: int = 2,
    signing: str | None = None,
    extra: str | None = None,
    rego: str | None = None,
    key: str | None = None,
) -> WorldSpec:
    """A random world spec; keyword arguments pin what a trap needs (e.g. `steps=2`, `rego="tool"`)."""
    if signing is None:
        signing = "x509" if rng.random() < 0.2 else "keys"
    if key is None:
        key = _weighted(rng, KEY_WEIGHTS)
    # keep an example (its policy pasted and corrected) within ~4k tokens: an RSA key (~600 base64
    # characters) only in one-step worlds (each step needs its own key)
    limit = 1 if key.startswith("rsa") else max_steps
    if limit < min_steps:
        key, limit = "ecdsa-p256", max_steps
    shapes = [
        (s, w) for s, w in SHAPES if (steps is None or len(s) == steps) and min_steps <= len(s) <= limit
    ]
    kinds = _weighted(rng, shapes)
    names: list[str] = []
    for k in kinds:
        names.append(rng.choice([n for n in STEP_NAMES[k] if n not in names]))
    if extra is None:
        extra = _weighted(
            rng, (("", 50), ("sbom", 12), ("vex", 6), ("k8smanifest", 6), ("lockfiles", 8), ("github", 6))
        )
    if rego is None:
        table = (("", 70), ("tool", 10), ("command", 8), ("branch", 8), ("workflow", 4))
        rego = _weighted(rng, [(r, w) for r, w in table if r != "workflow" or extra in ("", "github")])
    if rego == "workflow":
        extra = "github"
    ci = CI_FOR_EXTRA.get(extra) or rng.choice(("none", "github", "gitlab", "jenkins"))
    base = rng.choice((("environment", "git"), ("environment", "git"), ("git",)))
    return WorldSpec(
        seed=rng.randrange(2**31),
        kinds=tuple(kinds),
        names=tuple(names),
        key=key,
        signing=signing,
        ca_key=rng.choice(("ecdsa-p256", "ed25519")),
        extra=extra,
        sbom=rng.choice(("spdx", "cyclonedx")) if extra == "sbom" else "none",
        ci=ci,
        rego=rego,
        base=base,
        expires=policy_expiry(rng),
    )


# ----------------------------------------------------------------------------- Rego


@dataclass(frozen=True)
class RegoModule:
    """The one Rego module a world's policy carries: where it sits and how it reads."""

    step: str
    type: str
    name: str
    package: str
    conditions: tuple[str, ...]
    message: str
    preamble: tuple[str, ...] = ()

    def source(self, *, rule: str = "deny contains msg if", imports: bool = True) -> str:
        """The module as witness `verify` and `policy check` both accept it (`import rego.v1`)."""
        head = f"package {self.package}\n\n" + ("import rego.v1\n\n" if imports else "")
        pre = "".join(line + "\n\n" for line in self.preamble)
        body = "\n".join(f"\t{c}" for c in (*self.conditions, f"msg := {self.message}"))
        return f"{head}{pre}{rule} {{\n{body}\n}}\n"

    @property
    def text(self) -> str:
        return self.source()

    @property
    def file(self) -> str:
        return self.name if self.name.endswith(".rego") else f"{self.name}.rego"


def _rego_for(rng: random.Random, spec: WorldSpec, sc: Scenario, step: str) -> RegoModule | None:
    if spec.rego == "tool":
        return RegoModule(
            step,
            TYPE_OF["command-run"],
            rng.choice(("expected-tool", "build-tool", "cmd.rego", "command")),
            rng.choice(("commandrun.tool", "commandrun.cmd", "build.command")),
            (f'input.cmd[0] != "{sc.command[0]}"',),
            'sprintf("unexpected build tool %v", [input.cmd[0]])',
        )
    if spec.rego == "command":
        return RegoModule(
            step,
            TYPE_OF["command-run"],
            rng.choice(("pinned-command", "build-command", "exact-cmd.rego")),
            rng.choice(("commandrun.pinned", "build.exactcmd", "commandrun.expected")),
            ("input.cmd != expected",),
            'sprintf("unexpected command %v", [input.cmd])',
            (f"expected := {json.dumps(list(sc.command))}",),
        )
    if spec.rego == "branch":
        return RegoModule(
            step,
            TYPE_OF["git"],
            rng.choice(("release-branch", "branch.rego", "main-only")),
            rng.choice(("git.branch", "git.release", "source.branch")),
            (f'input.branch != "{sc.branch}"',),
            'sprintf("built from branch %v", [input.branch])',
        )
    if spec.rego == "workflow":
        # the workflow file and ref come from the verified OIDC token (`workflow_ref` claim), never from
        # `ciconfigpath`: go-witness fills that from GITHUB_ACTION_PATH, empty in a plain `run:` step
        path = f"{sc.repo_slug}/.github/workflows/build.yml@refs/heads/{sc.branch}"
        return RegoModule(
            step,
            TYPE_OF["github"],
            rng.choice(("release-workflow", "workflow.rego", "gha-workflow")),
            rng.choice(("github.workflow", "ci.github", "github.release")),
            (f'input.jwt.claims.workflow_ref != "{path}"',),
            'sprintf("unexpected workflow %v", [input.jwt.claims.workflow_ref])',
        )
    return None


# ----------------------------------------------------------------------------- worlds


@dataclass
class World:
    """A simulated pipeline, its signers and the valid policy for it."""

    spec: WorldSpec
    steps: list[str]
    scenarios: dict[str, Scenario]
    attestors: dict[str, tuple[str, ...]]
    """`-a` values of each step (the extra attestor only on the first step)."""
    signers: dict[str, crypto.Signer]
    key_files: dict[str, str]
    cert_files: dict[str, str]
    att_files: dict[str, str]
    """The `-o` file of each step (what `witness verify -a` loads and prints as evidence)."""
    policy: dict[str, Any]
    pipeline: simulate.Pipeline
    rego: RegoModule | None = None
    emails: dict[str, str] = field(default_factory=dict)
    ca_name: str = ""
    root_id: str = ""
    ca: Any = None
    ca_key: Any = None
    org: str = ""

    @property
    def x509(self) -> bool:
        return self.spec.signing == "x509"

    @property
    def commands(self) -> dict[str, str]:
        return {s: shlex.join(self.scenarios[s].command) for s in self.steps}

    @property
    def keyids(self) -> dict[str, str]:
        return {s: self.signers[s].keyid for s in self.steps}

    @property
    def artifact(self) -> str:
        return self.pipeline.artifact_path

    @property
    def shared_key(self) -> bool:
        return len({self.signers[s].keyid for s in self.steps}) == 1

    def step_types(self, step: str) -> list[str]:
        return [a["type"] for a in self.policy["steps"][step]["attestations"]]


def _key(kind: str, seed: int) -> crypto.PrivateKey:
    pool = _RSA_SEEDS.get(kind)
    if pool:
        seed = pool[seed % len(pool)]
    return crypto.generate_private_key(kind, seed=seed)


def _package(prev: Scenario, inputs: Sequence[str], step: str) -> Scenario:
    """`tar czf <project>-<version>.tar.gz <inputs>` run on `prev`'s end state."""
    files = {p: prev.files_after[p] for p in inputs}
    name = f"{prev.project}-{prev.version}.tar.gz"
    after = dict(prev.files_after)
    after[name] = simulate.tar_gz(files)
    start = prev.end_time + timedelta(seconds=30)
    return prev.with_(
        token=hashlib.sha256(f"{prev.token}:{step}".encode()).hexdigest()[:16],
        step=step,
        step_kind="package",
        sbom_kind="none",
        command=("tar", "czf", name, *sorted(inputs)),
        stdout="",
        files_before=dict(prev.files_after),
        files_after=after,
        start_time=start,
        end_time=start + timedelta(seconds=2, microseconds=345_678),
    )


def scenarios_for(
    spec: WorldSpec, first: Scenario, *, tamper_before: str | None = None
) -> dict[str, Scenario]:
    """The scenario of every step, each on the previous end state; `tamper_before`: the products handed
    to that step were modified after the previous step recorded them."""
    out: dict[str, Scenario] = {}
    prev = first
    build = first
    for i, (kind, name) in enumerate(zip(spec.kinds, spec.names, strict=True)):
        if i == 0:
            sc = first
        else:
            if name == tamper_before:
                prev = simulate.tamper_products(prev)
            if kind == "package":
                sc = _package(prev, build.product_paths(), name)
            else:
                sc = simulate.next_step_scenario(prev, name, kind)
        out[name] = sc
        prev = sc
    return out


def _first_scenario(rng: random.Random, spec: WorldSpec) -> Scenario:
    sbom = spec.sbom if spec.extra == "sbom" else "none"
    sc = Scenario.random(rng, step=spec.names[0], step_kind="build", sbom_kind=sbom, ci=spec.ci)
    if spec.extra == "vex":
        # go-witness's vex attestor fails the run (`no VEX file found`) unless a product is an OpenVEX
        # document, so this build writes one
        with_vex = {**sc.files_after, VEX_FILE: dumps_go(vex_document(sc)).encode()}
        sc = sc.with_(command=("make", "release"), files_after=with_vex)
    if spec.rego in ("branch", "workflow"):
        sc = _on_branch(sc, rng.choice(RELEASE_BRANCHES))
    return sc


def _on_branch(sc: Scenario, branch: str) -> Scenario:
    """`sc` checked out on `branch` (the CI variables that name the branch follow)."""
    old = sc.branch
    ref_old, ref_new = f"refs/heads/{old}", f"refs/heads/{branch}"
    env = {k: ref_new if v == ref_old else branch if v == old else v for k, v in sc.env.items()}
    return sc.with_(branch=branch, env=env)


def _attestors(spec: WorldSpec) -> dict[str, tuple[str, ...]]:
    first = spec.base + ((spec.extra,) if spec.extra else ())
    return {n: (first if i == 0 else spec.base) for i, n in enumerate(spec.names)}


def _run(
    spec: WorldSpec,
    scenarios: Mapping[str, Scenario],
    signers: Mapping[str, crypto.Signer],
    *,
    commands: Mapping[str, Sequence[str]] | None = None,
) -> simulate.Pipeline:
    attestors = _attestors(spec)
    runs: dict[str, simulate.RunResult] = {}
    for name in spec.names:
        sc = scenarios[name]
        if commands and name in commands:
            sc = sc.with_(command=tuple(commands[name]))
        runs[name] = simulate.run_step(name, sc, signers[name], attestors=attestors[name])
    first = scenarios[spec.names[0]]
    products = first.product_paths()
    main = [p for p in products if p != VEX_FILE and not p.startswith("sbom.")]
    path = (main or products)[0]  # what `verify -f` checks: the build output, not its SBOM or VEX file
    return simulate.Pipeline(first, runs, dict(scenarios), path, first.files_after[path])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def cert_constraint(email: str, root: str) -> dict[str, Any]:
    return {
        "commonname": "*",
        "dnsnames": ["*"],
        "emails": [email],
        "organizations": ["*"],
        "uris": ["*"],
        "roots": [root],
    }


@functools.lru_cache(maxsize=512)
def _world_cached(key: str) -> World:
    return _build(WorldSpec.from_json(json.loads(key)))


def build_world(spec: WorldSpec) -> World:
    """The world of `spec` (cached: treat it as read-only)."""
    return _world_cached(spec.key_str)


def _build(spec: WorldSpec) -> World:
    rng = random.Random(spec.seed)
    first = _first_scenario(rng, spec)
    scenarios = scenarios_for(spec, first)
    steps = list(spec.names)
    org = first.org
    key_seed = rng.randrange(2**31)
    signers: dict[str, crypto.Signer] = {}
    key_files: dict[str, str] = {}
    cert_files: dict[str, str] = {}
    emails: dict[str, str] = {}
    ca = ca_key = None
    ca_name = root_id = ""
    functionaries: dict[str, list[Any]] = {}
    roots: dict[str, Any] | None = None
    att_pattern = rng.choice(ATT_PATTERNS)
    if len(steps) == 1:
        key_files[steps[0]] = rng.choice(KEY_FILES)
    else:
        pattern = rng.choice(STEP_KEY_FILES)
        for s in steps:
            key_files[s] = pattern.format(step=s)
    if spec.signing == "x509":
        ca_key = _key(spec.ca_key, key_seed + 7)
        ca_name = (
            f"{org.title()} {rng.choice(('Internal Code Signing CA', 'CI Root CA', 'Build Signing CA'))}"
        )
        ca = x509.make_ca(
            ca_name, ca_key, not_before=PLAIN_NOT_BEFORE, not_after=datetime(2036, 6, 1, tzinfo=UTC)
        )
        root_id = hashlib.sha256(x509.cert_der(ca)).hexdigest()
        roots = {root_id: {"certificate": _b64(x509.cert_pem(ca))}}
        # one certificate per step: several steps need a per-step file name
        cert_pattern = rng.choice([c for c in CERT_FILES if len(steps) == 1 or "{step}" in c])
        domain = f"{org}.{rng.choice(('io', 'dev', 'com'))}"
        local = rng.choice((("ci", "release"), ("build-bot", "release-bot"), ("pipeline", "publisher")))
        for i, s in enumerate(steps):
            key = _key(spec.key, key_seed + i)
            email = f"{local[0]}@{domain}" if i == 0 else f"{local[1] if i == 1 else s}@{domain}"
            leaf = x509.make_leaf(
                key.public_key(),
                ca,
                ca_key,
                not_before=PLAIN_NOT_BEFORE + timedelta(days=300),
                not_after=PLAIN_NOT_BEFORE + timedelta(days=900),
                emails=[email],
            )
            signers[s] = crypto.Signer(key, certificate=leaf)
            emails[s] = email
            cert_files[s] = cert_pattern.format(step=s)
            functionaries[s] = [{"type": "root", "certConstraint": cert_constraint(email, root_id)}]
    else:
        for i, s in enumerate(steps):
            signers[s] = crypto.Signer(_key(spec.key, key_seed + i))
            functionaries[s] = [crypto.public_pem(signers[s].public_key)]
    pipe = _run(spec, scenarios, signers)
    rego = _rego_for(rng, spec, scenarios[steps[0]], steps[0])
    types: dict[str, list[str]] = {}
    wanted = {TYPE_OF[a] for a in (*REQUIRED, *spec.base)}
    if spec.extra == "sbom":
        wanted.add(SBOM_TYPES[spec.sbom])
    elif spec.extra == "github":
        # requiring the CI attestation without checking it is a review finding (weak/ci-attestation-
        # unchecked), so a valid policy requires it only together with the Rego that pins the workflow
        if spec.rego == "workflow":
            wanted.add(TYPE_OF["github"])
    elif spec.extra:
        wanted.add(TYPE_OF[spec.extra])
    for s in steps:
        keep = set(wanted)
        for a in spec.base:  # not every policy requires the default attestors
            if rng.random() < 0.45 and not (a == "git" and rego is not None and rego.type == TYPE_OF["git"]):
                keep.discard(TYPE_OF[a])
        types[s] = [a.type for a in pipe.steps[s].collection.attestations if a.type in keep]
    rego_arg = None
    if rego is not None:
        rego_arg = {rego.step: {rego.type: [simulate.rego_module(rego.name, rego.text)]}}
    policy = simulate.policy_for(
        pipe, functionaries, expires=spec.expires, rego=rego_arg, attestation_types=types, roots=roots
    )
    if rng.random() < 0.5:  # many policies leave out empty `regopolicies` (nil is fine for witness)
        for st in policy["steps"].values():
            for att in st["attestations"]:
                if not att["regopolicies"]:
                    del att["regopolicies"]
    return World(
        spec=spec,
        steps=steps,
        scenarios=scenarios,
        attestors=_attestors(spec),
        signers=signers,
        key_files=key_files,
        cert_files=cert_files,
        att_files={s: att_pattern.format(step=s) for s in steps},
        policy=policy,
        pipeline=pipe,
        rego=rego,
        emails=emails,
        ca_name=ca_name,
        root_id=root_id,
        ca=ca,
        ca_key=ca_key,
        org=org,
    )


# ----------------------------------------------------------------------------- attacks


@dataclass(frozen=True)
class Attack:
    """A run of the pipeline that a weak policy accepts and the tightened one must reject."""

    kind: str
    """cert | tamper | command | branch | key | late."""
    step: str = ""
    value: str = ""
    """cert: the attacker's email; command: the command (shell words); branch: the branch;
    key: the step whose key signs `step`; late: when verification runs (RFC 3339)."""

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "step": self.step, "value": self.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Attack:
        return cls(str(data["kind"]), str(data.get("step", "")), str(data.get("value", "")))


@dataclass(frozen=True, eq=False)
class Evidence:
    """What `witness verify` gets: the attestation files, the subject digest and the clock."""

    envelopes: dict[str, Envelope]
    digest: str
    now: datetime = NOW
    loaded: dict[tuple[str, str], list[SourceCollection]] = field(default_factory=dict, repr=False)
    """Parsed `-a` files per (release, file names): parsing is most of a verification's cost."""

    def collections(self, release: WitnessVersion, refs: Mapping[str, str]) -> list[SourceCollection]:
        key = (release.name, json.dumps(dict(refs), sort_keys=True))
        cols = self.loaded.get(key)
        if cols is None:
            cols = [
                SourceCollection.load(e.dumps().encode(), refs.get(step, f"{step}.json"), version=release)
                for step, e in self.envelopes.items()
            ]
            self.loaded[key] = cols
        return cols


@functools.lru_cache(maxsize=1024)
def _genuine_cached(key: str) -> Evidence:
    w = _world_cached(key)
    return Evidence(w.pipeline.envelopes, w.pipeline.artifact_digest)


def genuine(w: World) -> Evidence:
    return _genuine_cached(w.spec.key_str)


@functools.lru_cache(maxsize=256)
def _attacked_cached(key: str, attack_key: str) -> Evidence:
    w = _world_cached(key)
    return _attacked(w, Attack.from_json(json.loads(attack_key)))


def attacked(w: World, attack: Attack) -> Evidence:
    return _attacked_cached(w.spec.key_str, json.dumps(attack.to_json(), sort_keys=True))


def attacker_cert(w: World, email: str) -> crypto.Signer:
    """A certificate of the world's CA for another identity (e.g. a developer's)."""
    key = _key("ecdsa-p256", 2**32 + w.spec.seed)  # outside the seed range of the pipeline's own keys
    leaf = x509.make_leaf(
        key.public_key(),
        w.ca,
        w.ca_key,
        not_before=PLAIN_NOT_BEFORE + timedelta(days=300),
        not_after=PLAIN_NOT_BEFORE + timedelta(days=900),
        emails=[email],
    )
    return crypto.Signer(key, certificate=leaf)


def _attacked(w: World, a: Attack) -> Evidence:
    spec = w.spec
    if a.kind == "late":
        return Evidence(w.pipeline.envelopes, w.pipeline.artifact_digest, datetime.fromisoformat(a.value))
    signers = dict(w.signers)
    scenarios = dict(w.scenarios)
    commands: dict[str, list[str]] = {}
    if a.kind == "cert":
        signers[a.step] = attacker_cert(w, a.value)
    elif a.kind == "key":
        signers[a.step] = w.signers[a.value]
    elif a.kind == "tamper":
        scenarios = scenarios_for(spec, w.scenarios[w.steps[0]], tamper_before=a.step)
    elif a.kind == "command":
        commands[a.step] = shlex.split(a.value)
    elif a.kind == "branch":
        first = _on_branch(w.scenarios[w.steps[0]], a.value)
        scenarios = scenarios_for(spec, first)
    else:
        raise ValueError(f"unknown attack {a.kind!r}")
    pipe = _run(spec, scenarios, signers, commands=commands)
    return Evidence(pipe.envelopes, pipe.artifact_digest)


# ----------------------------------------------------------------------------- verification


@functools.lru_cache(maxsize=1)
def policy_signer() -> crypto.Signer:
    """The key the family signs policies with before it runs the verifier (never shown to users)."""
    return crypto.Signer(crypto.generate_private_key("ed25519", seed=424_242))


def verify_policy(
    policy: Mapping[str, Any] | bytes,
    evidence: Evidence,
    version: WitnessVersion | str | None = None,
    *,
    refs: Mapping[str, str] | None = None,
    rego: Any = None,
) -> VerifyResult:
    """`witness sign` the policy, then `witness verify -a <file of each step> -f <artifact>` at `evidence.now`.

    `refs`: the attestation file name of each step (what witness prints as evidence; default
    `<step>.json`). `rego`: the evaluator for the policy's modules (default: in-process, for the
    family's own modules; pass the score context's sandbox for a model's policy)."""
    release = versions.get(version)
    signer = policy_signer()
    env = simulate.sign_policy(policy if isinstance(policy, bytes) else dict(policy), signer)
    cols = evidence.collections(release, refs or {})
    return verify(
        env,
        cols,
        [evidence.digest],
        VerifyOptions(
            version=release,
            policy_verifiers=[signer.verifier()],
            now=evidence.now,
            rego=rego if rego is not None else TRUSTED_REGO,
        ),
    )
