"""Policy worlds: one pipeline run on the shared world pieces, who signs each step, and its valid policy.

A `PolicySpec` (small, JSON-able, stored in a check) fixes everything: the step kinds and names
(`POLICY_SHAPES`), the key kind of the step signers (`Key`, RSA from `KEY_POOLS`) or an x509 `Pki`
with one `CertIdentity` per step, an extra attestor (sbom, vex, lockfiles, github on the first step;
k8smanifest on a `deploy` step that renders manifests, `EXTRA_STEP_KIND`), the CI system and the Rego
module the valid policy carries. `policy_world` runs the pipeline (`worlds.run`) and writes the valid
policy (`worlds.policy_for`); it is cached, so a scorer rebuilds a world for free in the process that
made it.

An `Attack` is a run a weak policy still accepts (another certificate of the same CA, a tampered
hand-over, another command or branch, a step signed with another step's key, a verification years
later): a `worlds.Variant` of the genuine runs, so only the steps that differ are run again.
`verify_policy` runs the core verifier on the genuine or the attacked runs (`worlds.verify`).
"""

from __future__ import annotations

import functools
import json
import random
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from witness_evals.bench.scorers.context import NOW
from witness_evals.generate.worlds import (
    KEY_POOLS,
    CertIdentity,
    Functionary,
    Key,
    Pipeline,
    Pki,
    StepSpec,
    Variant,
    World,
    draw_kind,
    policy_for,
    run,
    scenarios,
    verify,
    weighted,
    without_empty_rego,
)
from witness_evals.witness import crypto, simulate, versions
from witness_evals.witness import verify as wverify
from witness_evals.witness.attestors.scenario import Scenario
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

POLICY_KEY_KINDS: tuple[tuple[str, float], ...] = (
    ("ed25519", 43),
    ("ecdsa-p256", 31),
    ("ecdsa-p384", 19),
    ("rsa-2048", 7),
)
"""Key kinds of a policy world's step signers (`draw_kind` weights; RSA only in one-step worlds)."""
POLICY_SHAPES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("build",), 44),
    (("build", "package"), 26),
    (("build", "test"), 10),
    (("build", "scan"), 6),
)
"""Shapes of policy worlds: an answer shows the complete policy twice (pasted and corrected), and a
three-step policy with its keys alone takes ~2k tokens, so these worlds stay at one or two steps."""
POLICY_STEP_NAMES: dict[str, tuple[str, ...]] = {
    "build": ("build", "compile", "build-app", "make"),
    "test": ("test", "unit-tests", "run-tests"),
    "package": ("package", "archive", "bundle", "release"),
    "scan": ("scan", "sast", "semgrep"),
    "deploy": ("deploy", "render-manifests", "manifests"),
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
CA_NAMES = ("Internal Code Signing CA", "CI Root CA", "Build Signing CA")
CI_FOR_EXTRA = {"github": "github", "gitlab": "gitlab"}
EXTRA_STEP_KIND = {"k8smanifest": "deploy"}
"""Extra attestors that read a product only a later step of that kind writes: k8smanifest reads the
manifests `kustomize build` renders (on a `go build` it records nothing), so its world is build→deploy
and the deploy step records it (with `--attestor-k8smanifest-record-cluster-information=false`:
recording the cluster is on by default and fails without a kubeconfig)."""
RELEASE_BRANCHES = ("main", "master", "release")
ATTACK_BRANCHES = ("feature/speedup", "dev", "fix-tests", "renovate/deps", "tmp-debug")
ATTACK_COMMANDS = (("make", "debug"), ("./build.sh",), ("sh", "-c", "make all"), ("make", "quick"))
POLICY_KEY = Key("ed25519", 424_242)
"""The key policies are signed with before the verifier runs (never shown to users)."""


@dataclass(frozen=True)
class PolicySpec:
    """Everything that fixes one policy world (JSON-able: it is stored in the example's check)."""

    seed: int
    kinds: tuple[str, ...]
    names: tuple[str, ...]
    key: str = "ed25519"
    """Key kind of the step signers (of the leaf certificates in an x509 world)."""
    signing: str = "keys"
    """`keys`: one public key per step; `x509`: a certificate per step under one root CA."""
    ca_key: str = "ecdsa-p256"
    extra: str = ""
    """Attestor recorded besides the base ones: sbom, vex, lockfiles, github (first step), k8smanifest
    (the deploy step, `EXTRA_STEP_KIND`)."""
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
    def from_json(cls, data: Mapping[str, Any]) -> PolicySpec:
        vals: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**vals)

    @functools.cached_property
    def key_str(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    @property
    def extra_step(self) -> int:
        """Index of the step that records the extra attestor (the first, or the first of its kind)."""
        kind = EXTRA_STEP_KIND.get(self.extra)
        return self.kinds.index(kind) if kind in self.kinds else 0

    def pipeline(self, branch: str = "") -> Pipeline:
        """The pipeline: the extra attestor on one step only (`extra_step`); each step consumes the one before."""
        with_extra = self.base + ((self.extra,) if self.extra else ())
        at = self.extra_step
        steps = tuple(
            StepSpec(n, k, with_extra if i == at else self.base, (), (self.names[i - 1],) if i else ())
            for i, (k, n) in enumerate(zip(self.kinds, self.names, strict=True))
        )
        return Pipeline(self.seed, steps, "", self.ci, self.sbom, branch)


def policy_expiry(rng: random.Random) -> str:
    """A future `expires`, from March 2027 to May 2029: after the date the data was built (December
    2026), so a policy copied from an answer is not already expired, and within ~3 years of the
    scorer's clock (longer ones are a review finding)."""
    day = datetime(2027, 3, 1, tzinfo=UTC) + timedelta(days=rng.randrange(0, 800))
    hour = rng.choice((0, 0, 9, 12, 17, 23))
    stamp = day.strftime("%Y-%m-%d") + f"T{hour:02d}:00:00"
    return stamp + rng.choice(("Z", "Z", "Z", "-05:00", "+02:00", "-07:00", "+01:00"))


def far_expiry(rng: random.Random) -> str:
    return f"{rng.randint(2036, 2049)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00Z"


def draw_policy_spec(
    rng: random.Random,
    *,
    steps: int | None = None,
    min_steps: int = 1,
    max_steps: int = 2,
    signing: str | None = None,
    extra: str | None = None,
    rego: str | None = None,
    key: str | None = None,
) -> PolicySpec:
    """A random policy world; keyword arguments pin what a task needs (e.g. `steps=2`, `rego="tool"`)."""
    if signing is None:
        signing = "x509" if rng.random() < 0.2 else "keys"
    if key is None:
        key = draw_kind(rng, POLICY_KEY_KINDS)
    # keep an example (its policy pasted and corrected) within ~4k tokens: an RSA key (~600 base64
    # characters) only in one-step worlds (each step needs its own key)
    limit = 1 if key.startswith("rsa") else max_steps
    if limit < min_steps:
        key, limit = "ecdsa-p256", max_steps
    if extra is None:
        extra = weighted(
            rng, (("", 50), ("sbom", 12), ("vex", 6), ("k8smanifest", 6), ("lockfiles", 8), ("github", 6))
        )
        if extra in EXTRA_STEP_KIND and (limit < 2 or steps == 1):
            extra = ""  # its world needs a second step (build, then the step that writes what it reads)
    if extra in EXTRA_STEP_KIND:
        min_steps = max(min_steps, 2)
        if limit < 2:
            key, limit = "ecdsa-p256", max(max_steps, 2)
    shapes = [
        (s, w)
        for s, w in POLICY_SHAPES
        if (steps is None or len(s) == steps) and min_steps <= len(s) <= limit
    ]
    kinds = weighted(rng, shapes)
    if extra in EXTRA_STEP_KIND:
        kinds = (kinds[0], EXTRA_STEP_KIND[extra])
    names: list[str] = []
    for k in kinds:
        names.append(rng.choice([n for n in POLICY_STEP_NAMES[k] if n not in names]))
    if rego is None:
        table = (("", 70), ("tool", 10), ("command", 8), ("branch", 8), ("workflow", 4))
        rego = weighted(rng, [(r, w) for r, w in table if r != "workflow" or extra in ("", "github")])
    if rego == "workflow":
        extra = "github"
    ci = CI_FOR_EXTRA.get(extra) or rng.choice(("none", "github", "gitlab", "jenkins"))
    base = rng.choice((("environment", "git"), ("environment", "git"), ("git",)))
    return PolicySpec(
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


@dataclass(frozen=True)
class RegoModule:
    """The one Rego module a policy world's policy carries: where it sits and how it reads."""

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


def workflow_ref(sc: Scenario) -> str:
    """The `workflow_ref` claim of the release workflow that runs `sc` (what a `workflow` module pins)."""
    return f"{sc.repo_slug}/.github/workflows/build.yml@refs/heads/{sc.branch}"


def _rego_for(rng: random.Random, kind: str, sc: Scenario, step: str) -> RegoModule | None:
    if kind == "tool":
        return RegoModule(
            step, TYPE_OF["command-run"], rng.choice(("expected-tool", "build-tool", "cmd.rego", "command")),
            rng.choice(("commandrun.tool", "commandrun.cmd", "build.command")),
            (f'input.cmd[0] != "{sc.command[0]}"',), 'sprintf("unexpected build tool %v", [input.cmd[0]])',
        )  # fmt: skip
    if kind == "command":
        return RegoModule(
            step, TYPE_OF["command-run"], rng.choice(("pinned-command", "build-command", "exact-cmd.rego")),
            rng.choice(("commandrun.pinned", "build.exactcmd", "commandrun.expected")),
            ("input.cmd != expected",), 'sprintf("unexpected command %v", [input.cmd])',
            (f"expected := {json.dumps(list(sc.command))}",),
        )  # fmt: skip
    if kind == "branch":
        return RegoModule(
            step, TYPE_OF["git"], rng.choice(("release-branch", "branch.rego", "main-only")),
            rng.choice(("git.branch", "git.release", "source.branch")),
            (f'input.branch != "{sc.branch}"',), 'sprintf("built from branch %v", [input.branch])',
        )  # fmt: skip
    if kind == "workflow":
        # the workflow file and ref come from the verified OIDC token (`workflow_ref` claim), never from
        # `ciconfigpath`: go-witness fills that from GITHUB_ACTION_PATH, empty in a plain `run:` step
        path = workflow_ref(sc)
        return RegoModule(
            step, TYPE_OF["github"], rng.choice(("release-workflow", "workflow.rego", "gha-workflow")),
            rng.choice(("github.workflow", "ci.github", "github.release")),
            (f'input.jwt.claims.workflow_ref != "{path}"',),
            'sprintf("unexpected workflow %v", [input.jwt.claims.workflow_ref])',
        )  # fmt: skip
    return None


@dataclass
class PolicyWorld:
    """A policy world: the genuine runs (`runs`), who signs each step, and the valid policy."""

    spec: PolicySpec
    runs: World
    functionaries: dict[str, Functionary]
    """Who signs each step: a `Key`, or a `CertIdentity` under `pki`."""
    key_files: dict[str, str]
    cert_files: dict[str, str]
    att_files: dict[str, str]
    """The `-o` file of each step (what `witness verify -a` loads and prints as evidence)."""
    policy: dict[str, Any]
    rego: RegoModule | None = None
    pki: Pki | None = None

    @property
    def steps(self) -> list[str]:
        return list(self.spec.names)

    @property
    def scenarios(self) -> dict[str, Scenario]:
        return self.runs.scenarios

    @property
    def attestors(self) -> dict[str, tuple[str, ...]]:
        """`-a` values of each step (the extra attestor only on `spec.extra_step`)."""
        return {s.name: s.attestors for s in self.runs.pipe.steps}

    @property
    def signers(self) -> dict[str, crypto.Signer]:
        return {s: f.signer for s, f in self.functionaries.items()}

    @property
    def emails(self) -> dict[str, str]:
        return {s: f.email for s, f in self.functionaries.items() if isinstance(f, CertIdentity)}

    @property
    def x509(self) -> bool:
        return self.spec.signing == "x509"

    @property
    def org(self) -> str:
        return self.scenarios[self.steps[0]].org

    @property
    def ca_name(self) -> str:
        return self.pki.root_name if self.pki else ""

    @property
    def root_id(self) -> str:
        return self.pki.root_id if self.pki else ""

    @property
    def commands(self) -> dict[str, str]:
        return {s: shlex.join(self.scenarios[s].command) for s in self.steps}

    @property
    def keyids(self) -> dict[str, str]:
        return {s: self.signers[s].keyid for s in self.steps}

    @property
    def artifact(self) -> str:
        return self.runs.artifact_path

    @property
    def shared_key(self) -> bool:
        return len({self.signers[s].keyid for s in self.steps}) == 1

    def step_types(self, step: str) -> list[str]:
        return [a["type"] for a in self.policy["steps"][step]["attestations"]]


def _pooled(kind: str, seed: int) -> Key:
    """A key of `kind`; slow kinds map `seed` onto their `KEY_POOLS` seeds."""
    pool = KEY_POOLS.get(kind)
    return Key(kind, pool[seed % len(pool)]) if pool else Key(kind, seed)


@functools.lru_cache(maxsize=512)
def _policy_world_cached(key: str) -> PolicyWorld:
    return _build_policy_world(PolicySpec.from_json(json.loads(key)))


def policy_world(spec: PolicySpec) -> PolicyWorld:
    """The world of `spec` (cached: treat it as read-only)."""
    return _policy_world_cached(spec.key_str)


def _build_policy_world(spec: PolicySpec) -> PolicyWorld:
    rng = random.Random(f"policy-world:{spec.seed}")
    branch = rng.choice(RELEASE_BRANCHES) if spec.rego in ("branch", "workflow") else ""
    pipe = spec.pipeline(branch)
    first = scenarios(pipe)[0]
    steps = list(spec.names)
    key_seed = rng.randrange(2**31)
    att_pattern = rng.choice(ATT_PATTERNS)
    if len(steps) == 1:
        key_files = {steps[0]: rng.choice(KEY_FILES)}
    else:
        pattern = rng.choice(STEP_KEY_FILES)
        key_files = {s: pattern.format(step=s) for s in steps}
    funcs: dict[str, Functionary] = {}
    cert_files: dict[str, str] = {}
    pki = None
    if spec.signing == "x509":
        pki = Pki(
            first.org, Key(spec.ca_key, key_seed + 7), None, f"{first.org.title()} {rng.choice(CA_NAMES)}"
        )
        # one certificate per step: several steps need a per-step file name
        cert_pattern = rng.choice([c for c in CERT_FILES if len(steps) == 1 or "{step}" in c])
        domain = f"{first.org}.{rng.choice(('io', 'dev', 'com'))}"
        local = rng.choice((("ci", "release"), ("build-bot", "release-bot"), ("pipeline", "publisher")))
        for i, s in enumerate(steps):
            email = f"{local[0]}@{domain}" if i == 0 else f"{local[1] if i == 1 else s}@{domain}"
            funcs[s] = CertIdentity(pki, _pooled(spec.key, key_seed + i), email=email)
            cert_files[s] = cert_pattern.format(step=s)
    else:
        funcs = {s: _pooled(spec.key, key_seed + i) for i, s in enumerate(steps)}
    runs = run(pipe, funcs)
    rego = _rego_for(rng, spec.rego, first, steps[0])
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
    types: dict[str, list[str]] = {}
    for s in steps:
        keep = set(wanted)
        for a in spec.base:  # not every policy requires the default attestors
            if rng.random() < 0.45 and not (a == "git" and rego is not None and rego.type == TYPE_OF["git"]):
                keep.discard(TYPE_OF[a])
        types[s] = [t for t in runs.types(s) if t in keep]
    rego_arg = None
    if rego is not None:
        rego_arg = {rego.step: {rego.type: [simulate.rego_module(rego.name, rego.text)]}}
    policy = policy_for(
        runs, {s: [f] for s, f in funcs.items()}, expires=spec.expires, rego=rego_arg, types=types
    )
    if rng.random() < 0.5:  # many policies leave out empty `regopolicies` (nil is fine for witness)
        policy = without_empty_rego(policy)
    return PolicyWorld(spec, runs, funcs, key_files, cert_files, {s: att_pattern.format(step=s) for s in steps},
                       policy, rego, pki)  # fmt: skip


@dataclass(frozen=True)
class Attack:
    """A run of the pipeline that a weak policy accepts and the tightened one must reject."""

    kind: str
    """cert | stale-ca | tamper | command | branch | key | late | local."""
    step: str = ""
    value: str = ""
    """cert: the attacker's email; stale-ca: the email of a certificate from the retired CA (`stale_pki`);
    command: the command (shell words); branch: the branch;
    key: the step whose key signs `step`; late: when verification runs (RFC 3339); local: the attestor
    the run went without (a run outside CI, e.g. `github`)."""

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "step": self.step, "value": self.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Attack:
        return cls(str(data["kind"]), str(data.get("step", "")), str(data.get("value", "")))


@dataclass(frozen=True)
class Evidence:
    """What `witness verify` gets: the runs' attestation files, the subject digest and the clock."""

    runs: World
    now: datetime = NOW

    @property
    def envelopes(self) -> dict[str, Any]:
        return self.runs.envelopes

    @property
    def digest(self) -> str:
        return self.runs.subject

    def collections(
        self, release: WitnessVersion, refs: Mapping[str, str]
    ) -> tuple[wverify.SourceCollection, ...]:
        """The `-a` files (named `refs[step]`, default `<step>.json`) loaded by `release` (memoised)."""
        return self.runs.collections({s: refs.get(s, f"{s}.json") for s in self.runs.results}, release)


def genuine(w: PolicyWorld) -> Evidence:
    return Evidence(w.runs)


def attacker_identity(w: PolicyWorld, email: str, pki: Pki | None = None) -> CertIdentity:
    """A certificate for `email` from `pki` (default: the world's CA), e.g. a developer's identity."""
    assert w.pki is not None
    # a key outside the seed range of the pipeline's own keys
    return CertIdentity(pki or w.pki, Key("ecdsa-p256", 2**32 + w.spec.seed), email=email)


def stale_pki(w: PolicyWorld) -> Pki:
    """The CA the world's organisation signed with before (a proof-of-concept CA whose key is still around)."""
    assert w.pki is not None
    return Pki(w.pki.org, Key("ecdsa-p256", 2**32 + w.spec.seed + 1), None, f"{w.pki.org.title()} PoC CA")


@functools.lru_cache(maxsize=256)
def _attacked_cached(key: str, attack_key: str) -> Evidence:
    w = _policy_world_cached(key)
    a = Attack.from_json(json.loads(attack_key))
    pipe, funcs = w.runs.pipe, w.functionaries
    if a.kind == "late":
        return Evidence(w.runs, datetime.fromisoformat(a.value))
    if a.kind == "cert":
        variant = Variant(signers=((a.step, attacker_identity(w, a.value)),))
    elif a.kind == "stale-ca":
        variant = Variant(signers=((a.step, attacker_identity(w, a.value, stale_pki(w))),))
    elif a.kind == "key":
        variant = Variant(signers=((a.step, funcs[a.value]),))
    elif a.kind == "tamper":
        variant = Variant(tamper=a.step)
    elif a.kind == "command":
        variant = Variant(sets=((a.step, (("command", tuple(shlex.split(a.value))),)),))
    elif a.kind == "branch":
        variant = Variant(branch=a.value)
    elif a.kind == "local":
        variant = Variant(attestors=((a.step, tuple(x for x in w.attestors[a.step] if x != a.value)),))
    else:
        raise ValueError(f"unknown attack {a.kind!r}")
    return Evidence(run(pipe, funcs, variant))


def attacked(w: PolicyWorld, attack: Attack) -> Evidence:
    return _attacked_cached(w.spec.key_str, json.dumps(attack.to_json(), sort_keys=True))


def verify_policy(
    policy: Mapping[str, Any] | bytes,
    evidence: Evidence,
    version: WitnessVersion | str | None = None,
    *,
    refs: Mapping[str, str] | None = None,
    rego: Any = None,
) -> wverify.VerifyResult:
    """`witness sign` the policy (`POLICY_KEY`), then `witness verify -a <file of each step> -f <artifact>`
    at `evidence.now`.

    `refs`: the attestation file name of each step (what witness prints as evidence; default
    `<step>.json`). `rego`: the evaluator for the policy's modules (default: in-process, for the
    generator's own modules; pass the score context's sandbox for a model's policy)."""
    release = versions.get(version)
    return verify(
        policy if isinstance(policy, bytes) else dict(policy), evidence.collections(release, refs or {}),
        evidence.digest, policy_key=POLICY_KEY, version=release, now=evidence.now,
        rego=rego if rego is not None else wverify.TRUSTED_REGO,
    )  # fmt: skip
