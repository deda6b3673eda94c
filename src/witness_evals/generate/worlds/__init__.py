"""Seeded, table-driven worlds for the generator: keys, x509 identities, pipelines, runs, CI configuration.

One module builds what policy, diagnose (and later traps/demo) tasks are about, from small JSON-able
specs, so that a check can regenerate its world from seeds:

* `Key(kind, seed)`: ed25519, ECDSA P-256/P-384, RSA 2048/3072 (`draw_key`); slow RSA keys come from
  small seed pools and every signer is cached per (kind, seed).
* `CertIdentity`: an x509 functionary (leaf certificate under a root CA, optionally through an
  intermediate) with its `certConstraint` and the policy `roots` entry.
* `Pipeline`: 1-5 steps of many shapes (`SHAPES`: lint, test, build, package, SBOM, scan, image build,
  image export, sign, deploy) with per-step `-a` attestor sets and `artifactsFrom` edges (`draw_pipeline`).
* `run(pipe, signers, variant)`: every step through the `witness run` simulator (`simulate.run_step`);
  unchanged steps of a variant (another signer, a dropped attestor, tampered hand-over...) are reused.
* `policy_for`, `verify`: the core's policy builder and verifier on that world.

Everything is a pure function of its arguments: same spec, same bytes.

`worlds.policy` builds on these pieces: one pipeline with its signers and the valid policy for it, from
a small `PolicySpec`, and the attacks a weak policy lets through (what policy reviews are about).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import random
import shlex
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from witness_evals.common.jsonio import dumps_go
from witness_evals.witness import crypto, simulate
from witness_evals.witness import verify as wverify
from witness_evals.witness import x509 as wx509
from witness_evals.witness.attestors import oci as oci_attestor
from witness_evals.witness.attestors.artifacts import vex_document
from witness_evals.witness.attestors.scenario import Scenario, checked_out
from witness_evals.witness.digests import sha256_hex
from witness_evals.witness.dsse import Envelope
from witness_evals.witness.versions import WitnessVersion

T = TypeVar("T")

# ----------------------------------------------------------------------------- keys

KEY_KINDS: tuple[tuple[str, float], ...] = (
    ("ed25519", 0.42),
    ("ecdsa-p256", 0.31),
    ("ecdsa-p384", 0.20),
    ("rsa-2048", 0.05),
    ("rsa-3072", 0.02),
)
"""Key kinds drawn by `draw_key`, with their weights."""
KEY_POOLS: dict[str, tuple[int, ...]] = {
    "rsa-2048": (392000176, 49000029, 245000113, 77000041),
    "rsa-3072": (210000098,),
}
"""Seeds of the kinds whose seeded generation is slow (RSA prime search, 0.1-1.5 s a key): keys of these
kinds come from these seeds only (picked for a short prime search), so the per-process cache hits."""
KIND_NAMES: dict[str, str] = {
    "ed25519": "Ed25519",
    "ecdsa-p256": "ECDSA P-256",
    "ecdsa-p384": "ECDSA P-384",
    "rsa-2048": "RSA 2048",
    "rsa-3072": "RSA 3072",
}


@functools.lru_cache(maxsize=2048)
def _private(kind: str, seed: int) -> crypto.PrivateKey:
    return crypto.generate_private_key(kind, seed=seed)


@functools.lru_cache(maxsize=2048)
def _key_signer(kind: str, seed: int) -> crypto.Signer:
    return crypto.Signer(_private(kind, seed))


@dataclass(frozen=True)
class Key:
    """A functionary or policy key: `kind` (one of `KEY_KINDS`) and the seed that makes it."""

    kind: str
    seed: int

    @property
    def signer(self) -> crypto.Signer:
        return _key_signer(self.kind, self.seed)

    @property
    def verifier(self) -> crypto.Verifier:
        return self.signer.verifier()

    @property
    def pem(self) -> bytes:
        """The canonical PKIX public PEM (what `openssl pkey -pubout` writes)."""
        return self.verifier.public_pem()

    @property
    def keyid(self) -> str:
        """go-witness keyid = `sha256sum` of the public PEM file."""
        return self.verifier.keyid

    @property
    def b64(self) -> str:
        """`base64 -w0` of the public PEM file (a policy's `publickeys[].key`)."""
        return base64.b64encode(self.pem).decode("ascii")

    @property
    def label(self) -> str:
        return KIND_NAMES[self.kind]

    def to_json(self) -> list[Any]:
        return [self.kind, self.seed]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> Key:
        return cls(str(data[0]), int(data[1]))


def weighted(rng: random.Random, table: Sequence[tuple[T, float]]) -> T:
    """A value of `table` ((value, weight) pairs) drawn by weight."""
    r = rng.random() * sum(w for _, w in table)
    for value, w in table:
        r -= w
        if r < 0:
            return value
    return table[-1][0]


def draw_kind(rng: random.Random, weights: Sequence[tuple[str, float]] = KEY_KINDS) -> str:
    return weighted(rng, weights)


def draw_key(
    rng: random.Random, kind: str | None = None, *, weights: Sequence[tuple[str, float]] = KEY_KINDS
) -> Key:
    """A key of `kind` (drawn with `weights` if None); RSA seeds come from `KEY_POOLS`."""
    kind = kind or draw_kind(rng, weights)
    pool = KEY_POOLS.get(kind)
    if pool:
        return Key(kind, rng.choice(pool))
    return Key(kind, rng.randrange(2**31))


# ----------------------------------------------------------------------------- x509 identities

NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2031, 1, 1, tzinfo=UTC)
"""Validity of every generated leaf certificate (covers the scoring clock and the policies' verify times)."""
CA_NOT_AFTER = datetime(2036, 6, 1, tzinfo=UTC)
"""CA certificates outlive every generated policy (`witness policy check` rejects a root expiring first)."""


@dataclass(frozen=True)
class Pki:
    """A root CA (and optionally an intermediate CA) of an organisation."""

    org: str
    root_key: Key
    inter_key: Key | None = None
    name: str = ""
    """The root CA's common name ("" = `<Org> Root CA`)."""
    id: str = ""
    """The policy `roots` id ("" = `<org>-root`): a second CA of the same organisation needs its own."""

    @property
    def root_name(self) -> str:
        return self.name or f"{self.org.title()} Root CA"

    @property
    def inter_name(self) -> str:
        return f"{self.org.title()} CI Signing CA"

    @property
    def root(self) -> Any:
        return _root_cert(self)

    @property
    def inter(self) -> Any | None:
        return _inter_cert(self) if self.inter_key else None

    @property
    def root_id(self) -> str:
        """The policy `roots` id (opaque; referenced from `certConstraint.roots`)."""
        return self.id or f"{self.org}-root"

    @property
    def root_pem(self) -> bytes:
        return wx509.cert_pem(self.root)

    @property
    def inter_pem(self) -> bytes | None:
        return wx509.cert_pem(self.inter) if self.inter is not None else None

    def roots_entry(self) -> dict[str, Any]:
        """The policy's `roots` map entry: base64 of the root PEM (+ intermediates)."""
        entry: dict[str, Any] = {"certificate": base64.b64encode(self.root_pem).decode("ascii")}
        if self.inter_pem is not None:
            entry["intermediates"] = [base64.b64encode(self.inter_pem).decode("ascii")]
        return entry

    def to_json(self) -> dict[str, Any]:
        d = {
            "org": self.org,
            "root": self.root_key.to_json(),
            "inter": self.inter_key and self.inter_key.to_json(),
        }
        return {**d, **({"name": self.name} if self.name else {}), **({"id": self.id} if self.id else {})}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Pki:
        return cls(
            str(d["org"]), Key.from_json(d["root"]), Key.from_json(d["inter"]) if d.get("inter") else None,
            str(d.get("name", "")), str(d.get("id", "")),
        )  # fmt: skip


@functools.lru_cache(maxsize=256)
def _root_cert(pki: Pki) -> Any:
    return wx509.make_ca(
        pki.root_name, _private(pki.root_key.kind, pki.root_key.seed), not_before=NOT_BEFORE,
        not_after=CA_NOT_AFTER, organizations=[pki.org.title()],
    )  # fmt: skip


@functools.lru_cache(maxsize=256)
def _inter_cert(pki: Pki) -> Any:
    assert pki.inter_key is not None
    return wx509.make_ca(
        pki.inter_name, _private(pki.inter_key.kind, pki.inter_key.seed), not_before=NOT_BEFORE,
        not_after=CA_NOT_AFTER, issuer=_root_cert(pki), issuer_key=_private(pki.root_key.kind, pki.root_key.seed),
        path_length=0, organizations=[pki.org.title()],
    )  # fmt: skip


@dataclass(frozen=True)
class CertIdentity:
    """An x509 functionary: a leaf certificate for `key` issued by `pki` (through its intermediate)."""

    pki: Pki
    key: Key
    email: str = ""
    uri: str = ""
    cn: str = ""
    org: str = ""
    dns: str = ""  # a machine identity: the DNS SAN of a build agent's certificate

    @property
    def cert(self) -> Any:
        return _leaf_cert(self)

    @property
    def cert_pem(self) -> bytes:
        return wx509.cert_pem(self.cert)

    @property
    def signer(self) -> crypto.Signer:
        return _cert_signer(self)

    @property
    def keyid(self) -> str:
        return self.key.keyid

    @property
    def who(self) -> str:
        """How the identity is named in prose (its email, URI, DNS name or common name)."""
        return self.email or self.uri or self.dns or self.cn

    def constraint(self) -> dict[str, Any]:
        """The `certConstraint` that accepts exactly this identity under this root."""
        return {
            "commonname": self.cn or "*",
            "dnsnames": [self.dns] if self.dns else ["*"],
            "emails": [self.email] if self.email else ["*"],
            "organizations": [self.org] if self.org else ["*"],
            "uris": [self.uri] if self.uri else ["*"],
            "roots": [self.pki.root_id],
        }

    def functionary(self) -> dict[str, Any]:
        return {"type": "root", "certConstraint": self.constraint()}

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"pki": self.pki.to_json(), "key": self.key.to_json()}
        named = (
            ("email", self.email),
            ("uri", self.uri),
            ("cn", self.cn),
            ("org", self.org),
            ("dns", self.dns),
        )
        d.update({k: v for k, v in named if v})
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> CertIdentity:
        return cls(
            Pki.from_json(d["pki"]), Key.from_json(d["key"]), str(d.get("email", "")), str(d.get("uri", "")),
            str(d.get("cn", "")), str(d.get("org", "")), str(d.get("dns", "")),
        )  # fmt: skip


@functools.lru_cache(maxsize=1024)
def _leaf_cert(ident: CertIdentity) -> Any:
    pki = ident.pki
    issuer_key = pki.inter_key or pki.root_key
    issuer = _inter_cert(pki) if pki.inter_key else _root_cert(pki)
    return wx509.make_leaf(
        _private(ident.key.kind, ident.key.seed).public_key(), issuer, _private(issuer_key.kind, issuer_key.seed),
        not_before=NOT_BEFORE, not_after=NOT_AFTER, common_name=ident.cn,
        emails=[ident.email] if ident.email else [], uris=[ident.uri] if ident.uri else [],
        dns_names=[ident.dns] if ident.dns else [], organizations=[ident.org] if ident.org else [],
    )  # fmt: skip


@functools.lru_cache(maxsize=1024)
def _cert_signer(ident: CertIdentity) -> crypto.Signer:
    chain = [_inter_cert(ident.pki)] if ident.pki.inter_key else []
    return crypto.Signer(_private(ident.key.kind, ident.key.seed), ident.cert, chain)


Functionary = Key | CertIdentity

ORGS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell", "cyberdyne", "soylent")
_IDENTITY_USERS = ("ci", "release", "build-bot", "pipeline", "releases", "ci-signer", "packaging")


def draw_pki(rng: random.Random, *, org: str | None = None, intermediate: bool | None = None) -> Pki:
    org = org or rng.choice(ORGS)
    inter = rng.random() < 0.5 if intermediate is None else intermediate
    return Pki(org, draw_key(rng, rng.choice(("ecdsa-p256", "ecdsa-p384", "ed25519"))),
               draw_key(rng, rng.choice(("ecdsa-p256", "ed25519"))) if inter else None)  # fmt: skip


def draw_identity(
    rng: random.Random, pki: Pki, *, repo: str = "", exclude: Sequence[str] = ()
) -> CertIdentity:
    """An x509 functionary under `pki`: identified by an email, a build agent's DNS name, a SPIFFE URI or (with
    `repo`) a GitHub workflow URI (and sometimes a CN/organization)."""
    key = draw_key(rng, rng.choice(("ecdsa-p256", "ecdsa-p256", "ed25519", "ecdsa-p384")))
    for _ in range(20):
        user = rng.choice(_IDENTITY_USERS)
        roll = rng.random()
        dns = ""
        if roll < 0.47:
            email, uri = f"{user}@{pki.org}.{rng.choice(('dev', 'io', 'com'))}", ""
        elif roll < 0.6:  # a machine certificate: the agent's host name as DNS SAN, no email or URI
            host = rng.choice(("build-agent", "runner-01", "ci-worker-3", "builder", "release-agent"))
            email, uri, dns = "", "", f"{host}.ci.{pki.org}.{rng.choice(('net', 'internal', 'dev'))}"
        elif roll < 0.82 or not repo:
            path = f"/{repo}" if repo and rng.random() < 0.5 else f"/{user}"
            email, uri = "", f"spiffe://{pki.org}.{rng.choice(('dev', 'internal'))}{path}"
        else:  # the URI SAN of a workflow identity (what Fulcio puts in a GitHub Actions certificate)
            workflow = rng.choice(("release.yml", "build.yml", "ci.yml", "publish.yaml"))
            ref = rng.choice(("refs/heads/main", "refs/tags/v1.4.0", "refs/heads/release"))
            email, uri = "", f"https://github.com/{repo}/.github/workflows/{workflow}@{ref}"
        if (email or uri or dns) not in exclude:
            break
    cn = f"{user}.{pki.org}.dev" if rng.random() < 0.25 else ""
    org = pki.org.title() if rng.random() < 0.25 else ""
    return CertIdentity(pki, key, email, uri, cn, org, dns)


def functionary_json(f: Functionary) -> dict[str, Any]:
    return {"key": f.to_json()} if isinstance(f, Key) else {"cert": f.to_json()}


def functionary_from_json(d: Mapping[str, Any]) -> Functionary:
    return Key.from_json(d["key"]) if "key" in d else CertIdentity.from_json(d["cert"])


# ----------------------------------------------------------------------------- pipelines

STEP_KINDS: tuple[str, ...] = (
    "lint", "test", "build", "package", "sbom", "scan", "image", "image-tar", "sign", "deploy",
)  # fmt: skip
STEP_NAMES: dict[str, tuple[str, ...]] = {
    "lint": ("lint", "static-checks", "lint"),
    "test": ("test", "unit-tests", "test"),
    "build": ("build", "compile", "build", "build-binary"),
    "package": ("package", "archive", "package", "tarball"),
    "sbom": ("sbom", "generate-sbom", "sbom"),
    "scan": ("scan", "sast", "scan", "semgrep"),
    "image": ("image", "docker-build", "image", "container-image"),
    "image-tar": ("save-image", "export-image"),
    "sign": ("sign", "sign-artifact", "sign"),
    "deploy": ("deploy", "render-manifests", "deploy"),
}
SHAPES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("build",), 12),
    (("image",), 2),
    (("scan",), 1),
    (("sbom",), 1),
    (("build", "package"), 9),
    (("test", "build"), 4),
    (("lint", "build"), 3),
    (("build", "sign"), 3),
    (("build", "sbom"), 3),
    (("build", "image"), 2),
    (("build", "scan"), 2),
    (("build", "image-tar"), 1),
    (("image", "deploy"), 2),
    (("lint", "build", "package"), 3),
    (("test", "build", "package"), 4),
    (("build", "package", "sign"), 3),
    (("build", "image", "deploy"), 3),
    (("build", "package", "sbom"), 2),
    (("build", "scan", "image-tar"), 1),
    (("lint", "test", "build", "package"), 3),
    (("test", "build", "image", "deploy"), 2),
    (("test", "build", "package", "sign"), 2),
    (("build", "sbom", "scan", "sign"), 1),
    (("lint", "test", "build", "package", "sign"), 2),
    (("test", "build", "sbom", "image", "deploy"), 1),
    (("lint", "build", "scan", "image", "deploy"), 1),
)
"""Pipeline shapes (step kinds in order) and their weights: 1 to 5 steps."""

_CI_ATTESTORS = {
    "github": "github",
    "gitlab": "gitlab",
    "jenkins": "jenkins",
    "aws-codebuild": "aws-codebuild",
}
_OPTIONAL: dict[str, tuple[str, ...]] = {
    "lint": ("secretscan", "lockfiles"),
    "test": ("lockfiles", "secretscan", "omnitrail"),
    "build": ("lockfiles", "secretscan", "system-packages", "omnitrail", "maven", "slsa", "link"),
    "package": ("secretscan", "omnitrail", "slsa", "link"),
    "sbom": ("lockfiles",),
    "scan": ("secretscan",),
    "image": ("slsa",),
    "image-tar": (),
    "sign": ("secretscan",),
    "deploy": (),
}
"""Opt-in attestors that succeed on a step of that kind (given the scenario's conditions below)."""
_REQUIRED: dict[str, tuple[str, ...]] = {
    "sbom": ("sbom",),
    "scan": ("sarif",),
    "image": ("docker",),
    "image-tar": ("oci",),
    "deploy": ("k8smanifest",),
}
"""The attestor a step of that kind exists for (it reads the step's product: SBOM, SARIF, buildx
metadata, `docker save` tarball, rendered manifests)."""
EXPORTABLE = ("slsa", "link")
"""Recorded with `--attestor-<name>-export`: their protobuf Structs cannot be read back from a collection."""
K8S_NO_CLUSTER = "--attestor-k8smanifest-record-cluster-information=false"
VEX_FILE = "vex.json"


@dataclass(frozen=True)
class StepSpec:
    """One `witness run` of a pipeline."""

    name: str
    kind: str
    attestors: tuple[str, ...] = ()
    """The `-a` values; () = flag not given (default environment, git)."""
    export: tuple[str, ...] = ()
    artifacts_from: tuple[str, ...] = ()

    @property
    def recorded(self) -> tuple[str, ...]:
        """The attestor names the run asks for (defaults when `-a` is not given)."""
        return self.attestors or simulate.DEFAULT_ATTESTORS

    @property
    def flags(self) -> tuple[str, ...]:
        """Attestor option flags this run needs."""
        out = tuple(f"--attestor-{x}-export" for x in self.export)
        if "k8smanifest" in self.recorded:
            out += (K8S_NO_CLUSTER,)
        return out

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "kind": self.kind, "a": list(self.attestors)}
        if self.export:
            d["x"] = list(self.export)
        if self.artifacts_from:
            d["from"] = list(self.artifacts_from)
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> StepSpec:
        return cls(str(d["name"]), str(d["kind"]), tuple(d.get("a", ())), tuple(d.get("x", ())),
                   tuple(d.get("from", ())))  # fmt: skip


@dataclass(frozen=True)
class Pipeline:
    """A project checkout (drawn from `seed`) and the steps run on it, in order."""

    seed: int
    steps: tuple[StepSpec, ...]
    language: str = ""
    ci: str = ""
    sbom: str = "none"
    """SBOM format of `sbom` steps (and of a first build step that writes one)."""
    branch: str = ""
    """The branch checked out ("" = the one the checkout draws)."""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps)

    def step(self, name: str) -> StepSpec:
        return next(s for s in self.steps if s.name == name)

    def to_json(self) -> dict[str, Any]:
        d = {"seed": self.seed, "lang": self.language, "ci": self.ci, "sbom": self.sbom,
             "steps": [s.to_json() for s in self.steps]}  # fmt: skip
        return {**d, "branch": self.branch} if self.branch else d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Pipeline:
        return cls(int(d["seed"]), tuple(StepSpec.from_json(s) for s in d["steps"]), str(d.get("lang", "")),
                   str(d.get("ci", "")), str(d.get("sbom", "none")), str(d.get("branch", "")))  # fmt: skip

    def with_step(self, name: str, **changes: Any) -> Pipeline:
        steps = tuple(_replace(s, **changes) if s.name == name else s for s in self.steps)
        return _replace(self, steps=steps)


def _replace(obj: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **changes)


def draw_shape(rng: random.Random, *, min_steps: int = 1, max_steps: int = 5) -> tuple[str, ...]:
    return weighted(rng, [(s, w) for s, w in SHAPES if min_steps <= len(s) <= max_steps])


def _step_names(rng: random.Random, kinds: Sequence[str]) -> list[str]:
    names: list[str] = []
    for kind in kinds:
        options = [n for n in STEP_NAMES[kind] if n not in names] or [f"{kind}-{len(names)}"]
        names.append(rng.choice(options))
    return names


def draw_pipeline(
    rng: random.Random,
    *,
    shape: Sequence[str] | None = None,
    min_steps: int = 1,
    max_steps: int = 5,
    defaults_share: float = 0.25,
) -> Pipeline:
    """A pipeline of a drawn (or given) shape, with per-step attestor sets the runs can record.

    Every step of a multi-step pipeline records `git` (the commit back-reference is how `witness verify`
    finds steps whose products are not the verified artifact) and takes its artifacts from the step
    before it.
    """
    kinds = tuple(shape) if shape else draw_shape(rng, min_steps=min_steps, max_steps=max_steps)
    seed = rng.randrange(2**31)
    language = rng.choice(("go", "go", "node", "python", "rust", "java"))
    ci = rng.choice(("github", "github", "gitlab", "jenkins", "aws-codebuild", "none"))
    sbom = rng.choice(("spdx", "cyclonedx"))
    first_sbom = kinds[0] == "build" and "sbom" not in kinds and rng.random() < 0.12
    probe = _first_scenario(
        seed, kinds[0], language, ci, sbom if first_sbom or kinds[0] == "sbom" else "none"
    )
    names = _step_names(rng, kinds)
    steps: list[StepSpec] = []
    for i, (kind, name) in enumerate(zip(kinds, names, strict=True)):
        attestors = _draw_attestors(rng, kind, probe, multi=len(kinds) > 1, sbom=first_sbom and i == 0,
                                    defaults_share=defaults_share)  # fmt: skip
        export = tuple(a for a in attestors if a in EXPORTABLE)
        steps.append(StepSpec(name, kind, attestors, export, (names[i - 1],) if i else ()))
    pipe = Pipeline(seed, tuple(steps), language, ci, sbom if (first_sbom or "sbom" in kinds) else "none")
    if "scan" in kinds:  # a scan that also writes an OpenVEX document (`make scan`) may record `vex`
        chain = scenarios(pipe)
        steps = [
            _replace(s, attestors=(*s.attestors, "vex"))
            if s.kind == "scan" and "vex.json" in sc.product_paths() and s.attestors and rng.random() < 0.6
            else s
            for s, sc in zip(pipe.steps, chain, strict=True)
        ]
        pipe = Pipeline(pipe.seed, tuple(steps), pipe.language, pipe.ci, pipe.sbom)
    return pipe


def _draw_attestors(
    rng: random.Random, kind: str, sc: Scenario, *, multi: bool, sbom: bool, defaults_share: float
) -> tuple[str, ...]:
    required = list(_REQUIRED.get(kind, ())) + (["sbom"] if sbom else [])
    optional = [a for a in _OPTIONAL[kind] if _usable(a, sc)]
    if sc.ci in _CI_ATTESTORS:
        optional += [_CI_ATTESTORS[sc.ci]] * 2
    if not required and rng.random() < defaults_share:
        return ()
    r = rng.random()
    base = ["environment", "git"] if r < 0.7 else ["git"] if multi or r < 0.85 else ["environment"]
    extra = rng.sample(optional, min(len(optional), rng.choice((0, 1, 1, 2)))) if optional else []
    out = list(dict.fromkeys(base + required + extra))
    rng.shuffle(out)
    if multi and "git" not in out:
        out.append("git")
    return tuple(out)


def _usable(attestor: str, sc: Scenario) -> bool:
    """Whether an opt-in attestor succeeds on this checkout (OS, language, build files)."""
    if attestor == "system-packages":
        return sc.os == "linux"
    if attestor == "omnitrail":
        return sc.os != "windows"
    if attestor == "maven":
        return sc.language == "java" and "pom.xml" in sc.files_before
    return True


# ----------------------------------------------------------------------------- scenarios


NODE_ENTRIES = ("dist/index.js",) * 3 + (
    "dist/main.js", "dist/server.js", "dist/app.js", "build/index.js", "build/server.js", "lib/index.js",
    "lib/main.js", "out/main.js",
)  # fmt: skip
"""Where a node pipeline's build puts its entry point (`tsc` from `src/STEM.ts` into the tsconfig's outDir)."""


def node_entry(seed: int) -> str:
    """The entry point of a node pipeline drawn from `seed`: its own draw, so the checkout's other facts
    are those the seed gave before node builds varied it."""
    return random.Random(f"node-entry:{seed}").choice(NODE_ENTRIES)


@functools.lru_cache(maxsize=1024)
def _first_scenario(seed: int, kind: str, language: str, ci: str, sbom: str, vex: bool = False) -> Scenario:
    """The first step's scenario; `vex`: a build that also writes an OpenVEX document (go-witness's
    `vex` attestor fails the run unless a product is one)."""
    core_kind = kind if kind in ("build", "test", "sbom", "scan", "image") else "build"
    overrides: dict[str, Any] = {
        "step_kind": core_kind,
        "sbom_kind": sbom if core_kind in ("build", "sbom") else "none",
    }
    if language:
        overrides["language"] = language
    if ci:
        overrides["ci"] = ci
    sc = Scenario.random(random.Random(seed), node_entry=node_entry(seed), **overrides)
    if kind == "lint":
        sc = _lint(sc.with_(files_after=dict(sc.files_before)), sc.start_time)
    if vex and core_kind == "build":
        with_vex = {**sc.files_after, VEX_FILE: dumps_go(vex_document(sc)).encode()}
        sc = sc.with_(command=("make", "release"), files_after=with_vex)
    return sc


_LINT = {
    "go": (("golangci-lint", "run", "./..."), ""),
    "node": (("npx", "eslint", "."), ""),
    "python": (("ruff", "check", "."), "All checks passed!\n"),
    "rust": (("cargo", "clippy", "--all-targets", "--", "-D", "warnings"), ""),
    "java": (
        ("mvn", "-B", "checkstyle:check"),
        "[INFO] You have 0 Checkstyle violations.\n[INFO] BUILD SUCCESS\n",
    ),
}


def _lint(base: Scenario, start: datetime) -> Scenario:
    cmd, out = _LINT[base.language]
    return base.with_(step_kind="lint", command=cmd, stdout=out, files_after=dict(base.files_before),
                      start_time=start, end_time=start + timedelta(seconds=13, microseconds=271_828))  # fmt: skip


def _later(prev: Scenario, name: str, kind: str, sbom: str, producer: Scenario | None) -> Scenario:
    """The scenario of step `name` of `kind` run on `prev`'s end state (`producer`: the latest build,
    package or image export)."""
    if kind == "package":
        return simulate.package_scenario(prev, step=name)
    if kind in ("build", "test", "sbom", "scan", "image", "deploy"):
        return simulate.next_step_scenario(prev, name, kind, sbom=sbom)
    token = sha256_hex(f"{prev.token}:{name}")[:16]
    start = prev.end_time + timedelta(seconds=37)
    base = prev.with_(
        token=token, step=name, step_kind=kind, sbom_kind="none", stdout="",
        files_before=dict(prev.files_after), files_after=dict(prev.files_after), start_time=start,
        end_time=start + timedelta(seconds=5, microseconds=432_109),
    )  # fmt: skip
    if kind == "lint":
        return _lint(base, start)
    if kind == "sign":
        return _sign(base, _deliverable(producer or prev))
    # image-tar: `docker save` of the image the previous steps built
    name = f"{prev.project}-image.tar"
    pred = oci_attestor.build(base.sub_rng("attestor:oci"), base)
    repo, _, tag = base.image.rpartition(":")
    files = {
        "manifest.json": base64.b64decode(pred["manifestraw"]),
        "repositories": json.dumps({repo: {tag: pred["imageid"]["sha256"]}}).encode(),
    }
    after = {**base.files_after, name: _plain_tar(files)}
    return base.with_(command=("docker", "save", "-o", name, base.image), files_after=after)


def _tampered(sc: Scenario) -> Scenario:
    """`sc`'s end state with one file changed after the step recorded it (its first product, else a
    source file): what the next step then consumes."""
    if sc.product_paths():
        return simulate.tamper_products(sc)
    path = next(
        p
        for p in sorted(sc.files_after)
        if not p.startswith(".git") and p.endswith((".go", ".py", ".ts", ".js", ".rs", ".java", ".md"))
    )
    return sc.with_(
        files_after={**sc.files_after, path: sc.files_after[path] + b"\n// patched between steps\n"}
    )


def _plain_tar(files: Mapping[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = 0
            tar.addfile(info, io.BytesIO(files[name]))
    return raw.getvalue()


def _deliverable(sc: Scenario) -> str:
    """The main product of a step (not an SBOM or a report)."""
    products = sc.product_paths()
    for p in products:
        if not p.endswith((".json", ".xml", ".sarif", ".out", ".map", ".yaml")):
            return p
    return products[0]


def _sign(base: Scenario, target: str) -> Scenario:
    rng = base.sub_rng("sign")
    digest = hashlib.sha256(base.files_before[target]).digest()
    if rng.random() < 0.5:
        out = f"{target}.sigstore.json"
        bundle = {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": base64.b64encode(digest).decode()},
                "signature": base64.b64encode(rng.randbytes(71)).decode(),
            },
        }
        cmd: tuple[str, ...] = ("cosign", "sign-blob", "--yes", "--bundle", out, target)
        data = (json.dumps(bundle, indent=2) + "\n").encode()
    else:
        out = f"{target}.asc"
        body = base64.b64encode(rng.randbytes(119)).decode()
        cmd = ("gpg", "--batch", "--armor", "--detach-sign", "--output", out, target)
        data = ("-----BEGIN PGP SIGNATURE-----\n\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
                + "\n-----END PGP SIGNATURE-----\n").encode()  # fmt: skip
    return base.with_(command=cmd, files_after={**base.files_after, out: data})


def scenarios(pipe: Pipeline, tamper: str | None = None) -> tuple[Scenario, ...]:
    """The scenario of every step; `tamper`: the files handed to that step were modified first.

    Scenarios depend on the steps' names and kinds, not on their attestors (except whether a first build
    writes an SBOM or a VEX document), so pipelines that differ only in `-a` share them."""
    first = pipe.steps[0]
    sbom0 = (
        pipe.sbom if first.kind == "sbom" or (first.kind == "build" and "sbom" in first.recorded) else "none"
    )
    vex0 = first.kind == "build" and "vex" in first.recorded
    steps = tuple((s.name, s.kind) for s in pipe.steps)
    return _chain(pipe.seed, steps, pipe.language, pipe.ci, pipe.sbom, sbom0, tamper, vex0, pipe.branch)


@functools.lru_cache(maxsize=256)
def _chain(
    seed: int,
    steps: tuple[tuple[str, str], ...],
    language: str,
    ci: str,
    sbom: str,
    sbom0: str,
    tamper: str | None,
    vex0: bool = False,
    branch: str = "",
) -> tuple[Scenario, ...]:
    (name0, kind0), *rest = steps
    sc0 = _first_scenario(seed, kind0, language, ci, sbom0, vex0).with_(step=name0)
    if branch:
        sc0 = checked_out(sc0, branch)
    out = [sc0]
    producer = sc0 if kind0 == "build" else None
    for name, kind in rest:
        prev = _tampered(out[-1]) if tamper == name else out[-1]
        sc = _later(prev, name, kind, sbom, producer)
        out.append(sc)
        if kind in ("build", "package", "image-tar"):
            producer = sc
    return tuple(out)


# ----------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class Variant:
    """One run of a pipeline that differs from the genuine one (all fields optional)."""

    signers: tuple[tuple[str, Functionary], ...] = ()
    """Step -> functionary that signs it instead."""
    attestors: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Step -> `-a` values it runs with instead."""
    tamper: str | None = None
    """The products handed to this step were modified after the previous step recorded them."""
    sets: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    """Step -> scenario field changes (`branch`, `os`, `command` (a tuple), `env_vars` (pairs set on top of its
    environment)...)."""
    export: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Step -> attestors it exports instead."""
    step_names: tuple[tuple[str, str], ...] = ()
    """Step -> the `-s` name its run used instead."""
    branch: str = ""
    """Every step ran on a checkout of this branch instead."""


@dataclass(frozen=True)
class World:
    """What a set of `witness run`s wrote: per step the run result and its scenario."""

    pipe: Pipeline
    results: dict[str, simulate.RunResult]
    scenarios: dict[str, Scenario]
    artifact_path: str
    """What `witness verify -f` gets ("" when the pipeline is verified by `subject`)."""
    artifact: bytes
    subject: str
    """The sha256 digest `witness verify` looks up (of the artifact, or an image digest for `-s`)."""

    @property
    def envelopes(self) -> dict[str, Any]:
        return {n: r.envelope for n, r in self.results.items()}

    def collections(
        self, files: Mapping[str, str], version: WitnessVersion | None = None
    ) -> tuple[wverify.SourceCollection, ...]:
        """The `-a` files loaded like `witness verify` loads them (file name = reference)."""
        return tuple(_loaded(r, files[n], version) for n, r in self.results.items())

    def types(self, step: str) -> tuple[str, ...]:
        return tuple(a.type for a in self.results[step].collection.attestations)


_LOADED: dict[int, tuple[simulate.RunResult, dict[tuple[str, str], wverify.SourceCollection]]] = {}


def _loaded(
    result: simulate.RunResult, reference: str, version: WitnessVersion | None
) -> wverify.SourceCollection:
    """`result`'s file loaded as a `-a` collection, memoised per run result (runs are reused across worlds)."""
    hit = _LOADED.get(id(result))
    if hit is None or hit[0] is not result:
        if len(_LOADED) > 4096:
            _LOADED.clear()
        hit = _LOADED[id(result)] = (result, {})
    key = (reference, version.name if version else "")
    if key not in hit[1]:
        hit[1][key] = wverify.SourceCollection.load(result.dumps().encode(), reference, version=version)
    return hit[1][key]


def artifact_of(pipe: Pipeline, chain: Sequence[Scenario]) -> tuple[str, bytes, str]:
    """(path for `-f`, or "" when verified by `-s`, file bytes, subject digest) of what is verified:
    the build's main product, else an image's digest, else the first step's first product."""
    for spec, sc in zip(pipe.steps, chain, strict=True):
        if spec.kind == "build":
            path = _deliverable(sc)
            return path, sc.files_after[path], sha256_hex(sc.files_after[path])
    for spec, sc in zip(pipe.steps, chain, strict=True):
        if spec.kind == "image":
            return "", b"", sc.image_digest
    sc = next(sc for sc in chain if sc.product_paths())
    path = sc.product_paths()[0]
    return path, sc.files_after[path], sha256_hex(sc.files_after[path])


@functools.lru_cache(maxsize=1024)
def _run_step(
    pipe: Pipeline, index: int, tamper: str | None, signer: Functionary, attestors: tuple[str, ...],
    export: tuple[str, ...], sets: tuple[tuple[str, Any], ...], name: str,
) -> simulate.RunResult:  # fmt: skip
    """Step `index` of `pipe` run (`simulate.run_step`) and signed by `signer`."""
    return simulate.sign_recording(
        _recorded(pipe, index, tamper, attestors, export, sets, name), signer.signer
    )


@functools.lru_cache(maxsize=1024)
def _recorded(
    pipe: Pipeline, index: int, tamper: str | None, attestors: tuple[str, ...], export: tuple[str, ...],
    sets: tuple[tuple[str, Any], ...], name: str,
) -> simulate.Recording:  # fmt: skip
    """What step `index`'s run records before signing: shared by the worlds where only its signer
    differs (another functionary, a rogue or retired key)."""
    sc = scenarios(pipe, tamper)[index]
    spec = pipe.steps[index]
    kwargs: dict[str, Any] = {}
    changes = dict(sets)
    if "command" in changes:
        kwargs["command"] = tuple(changes.pop("command"))
    if "env_vars" in changes:  # variables set (or changed) on top of the step's environment
        changes["env"] = {**sc.env, **dict(changes.pop("env_vars"))}
    if changes:
        sc = sc.with_(**changes)
    return simulate.record_step(name or spec.name, sc, attestors=attestors or simulate.DEFAULT_ATTESTORS,
                                export=export, **kwargs)  # fmt: skip


def run(pipe: Pipeline, signers: Mapping[str, Functionary], variant: Variant = Variant()) -> World:
    """Every step of `pipe` run and signed (each step by `signers[step]`), with `variant` applied.

    Steps a variant does not touch (those before a tampered hand-over, other signers...) are reused
    from a cache, so negative worlds cost only the runs that differ."""
    if variant.branch:
        pipe = _replace(pipe, branch=variant.branch)
    chain = scenarios(pipe, variant.tamper)
    sig = {**signers, **dict(variant.signers)}
    atts = dict(variant.attestors)
    sets = dict(variant.sets)
    exp = dict(variant.export)
    names = dict(variant.step_names)
    tampered_from = pipe.names.index(variant.tamper) if variant.tamper else len(pipe.steps)
    results: dict[str, simulate.RunResult] = {}
    for i, spec in enumerate(pipe.steps):
        results[spec.name] = _run_step(
            pipe, i, variant.tamper if i >= tampered_from else None, sig[spec.name],
            atts.get(spec.name, spec.attestors), exp.get(spec.name, spec.export), sets.get(spec.name, ()),
            names.get(spec.name, ""),
        )  # fmt: skip
    path, data, subject = artifact_of(pipe, chain)
    return World(
        pipe, results, {s.name: sc for s, sc in zip(pipe.steps, chain, strict=True)}, path, data, subject
    )


# ----------------------------------------------------------------------------- policies and verification


def policy_for(
    world: World,
    functionaries: Mapping[str, Sequence[Functionary]],
    *,
    expires: str,
    rego: Mapping[str, Mapping[str, Sequence[dict[str, str]]]] | None = None,
    types: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The policy (JSON object) that requires what each genuine run records, signed by `functionaries`."""
    pipe = world.pipe
    funcs: dict[str, list[Any]] = {}
    roots: dict[str, Any] = {}
    for step, fs in functionaries.items():
        funcs[step] = []
        for f in fs:
            if isinstance(f, Key):
                funcs[step].append(f.verifier)
                continue
            roots[f.pki.root_id] = f.pki.roots_entry()
            fj = f.functionary()
            # the same identity under another CA (a CA rotation): one functionary that names both roots
            twin = next((g for g in funcs[step] if isinstance(g, dict) and _same_identity(g, fj)), None)
            if twin is None:
                funcs[step].append(fj)
            elif f.pki.root_id not in twin["certConstraint"]["roots"]:
                twin["certConstraint"]["roots"].append(f.pki.root_id)
    sp = simulate.Pipeline(world.scenarios[pipe.steps[0].name], world.results, world.scenarios,
                           world.artifact_path, world.artifact)  # fmt: skip
    frm = {s.name: list(s.artifacts_from) for s in pipe.steps}
    return simulate.policy_for(sp, funcs, expires=expires, rego=rego, artifacts_from=frm,
                               attestation_types=types, roots=roots or None)  # fmt: skip


def _same_identity(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Two `root` functionaries whose constraints differ at most in `roots`."""

    def rest(f: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in f["certConstraint"].items() if k != "roots"}

    return a.get("type") == b.get("type") == "root" and rest(a) == rest(b)


def compact_json(value: Any, indent: str = "") -> str:
    """JSON with small objects/arrays kept on one line (how people lay out a policy by hand; same value)."""
    flat = json.dumps(value)
    if not isinstance(value, (dict, list)) or len(flat) + len(indent) <= 118:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {compact_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + compact_json(v, inner) for v in value) + "\n" + indent + "]"


def without_empty_rego(policy: Mapping[str, Any]) -> dict[str, Any]:
    """`policy` without its empty `regopolicies` lists (same key order otherwise): witness reads a missing list
    as nil (go-witness policy.Attestation), and many policies leave them out."""
    steps = {
        name: {**st, "attestations": [
            {k: v for k, v in a.items() if k != "regopolicies" or v} for a in st["attestations"]]}
        for name, st in policy["steps"].items()
    }  # fmt: skip
    return {**policy, "steps": steps}


def policy_bytes(policy: Mapping[str, Any]) -> bytes:
    """The policy file as written in answers (2-space JSON, trailing newline): what gets signed."""
    return (json.dumps(policy, indent=2) + "\n").encode("utf-8")


def verify(
    policy: Mapping[str, Any] | bytes | Envelope,
    collections: Sequence[wverify.SourceCollection],
    subject: str,
    *,
    policy_key: Key,
    version: WitnessVersion,
    now: datetime,
    rego: Any = None,
    verifier: crypto.Verifier | None = None,
) -> wverify.VerifyResult:
    """`witness verify` of `collections` against `policy` (signed here with `policy_key` unless it is
    already an envelope); `verifier` = the `-k` key (default the policy key's public half)."""
    if isinstance(policy, Envelope):
        env = policy
    else:
        data = policy if isinstance(policy, bytes) else policy_bytes(policy)
        env = simulate.sign_policy(data, policy_key.signer)
    return wverify.verify(
        env, collections, [subject],
        wverify.VerifyOptions(version=version, policy_verifiers=[verifier or policy_key.verifier], now=now,
                              rego=rego),
    )  # fmt: skip


# ----------------------------------------------------------------------------- commands and output


def signer_flags(
    key_file: str, cert_file: str = "", inter_file: str = "", *, long: bool = False
) -> list[str]:
    """The signer flags of `witness run`/`witness sign` for a key (and its certificate chain)."""
    out = ["--signer-file-key-path" if long else "-k", key_file]
    if cert_file:
        out += ["--signer-file-cert-path", cert_file]
    if inter_file:
        out += ["--signer-file-intermediate-paths", inter_file]
    return out


def run_command(
    rng: random.Random, spec: StepSpec, sc: Scenario, signer: Sequence[str], out: str, *,
    step: str = "", attestors: Sequence[str] | None = None, extra: Sequence[str] = (),
) -> str:  # fmt: skip
    """`witness run` of `spec` as a user would type it (flag spellings drawn from `rng`)."""
    parts = ["witness", "run", rng.choice(("-s", "-s", "--step")), step or spec.name, *signer]
    atts = spec.attestors if attestors is None else tuple(attestors)
    if atts:
        style = rng.randrange(3)
        if style == 0:
            parts += ["-a", ",".join(atts)]
        elif style == 1:
            for a in atts:
                parts += ["-a", a]
        else:
            parts += ["--attestations", ",".join(atts)]
    parts += [*spec.flags, *extra]
    parts += [rng.choice(("-o", "-o", "--outfile")), out, "--", *sc.command]
    return shlex.join(parts)


# ----------------------------------------------------------------------------- CI configuration

CI_SYSTEMS: tuple[str, ...] = ("github", "gitlab", "jenkins", "tekton", "make", "shell")

BRANCH_CHECKOUT: dict[str, str] = {
    "gitlab": 'git checkout -B "$CI_COMMIT_REF_NAME" "$CI_COMMIT_SHA"',
    "jenkins": "checkout([$class: 'GitSCM', branches: scm.branches, userRemoteConfigs: scm.userRemoteConfigs, "
    "extensions: [[$class: 'LocalBranch', localBranch: '**']]])",
}
"""The job line (a `script` line; a Jenkinsfile step) that puts a CI's detached checkout on its branch, so
the git attestor records the branch name instead of `HEAD` (`Scenario.head_name`)."""


def branch_checkout(pipe: Pipeline, sc: Scenario) -> str:
    """`BRANCH_CHECKOUT` of the pipeline's CI when its job checks out `pipe.branch` (a CI that starts
    detached, `scenario.DETACHED_CI`), else ""."""
    return BRANCH_CHECKOUT.get(sc.ci, "") if pipe.branch else ""


def ci_config(
    system: str,
    project: str,
    commands: Sequence[tuple[str, str]],
    *,
    key_env: str = "",
    id_token: bool = False,
    checkout: str = "",
) -> tuple[str, str]:
    """(code fence language, text) of a CI configuration that runs `commands` ((step, command line)).

    The witness lines are kept verbatim (one logical line each), so a reader can copy them. `id_token`: a
    command records the github attestor, which fetches the job's OIDC token from `ACTIONS_ID_TOKEN_REQUEST_URL`
    (go-witness v0.12.0 attestation/github/github.go:109, 142-145); GitHub sets it only for a job granted
    `id-token: write`, so the workflow grants it (without it the attestor, and so the run, fails). `checkout`:
    the gitlab or jenkins job first puts its checkout on the branch (`branch_checkout`)."""
    if system == "github":
        grant = ["permissions:", "  contents: read", "  id-token: write", ""] if id_token else []
        body = [
            *grant,
            "jobs:",
            "  release:",
            "    runs-on: ubuntu-latest",
            "    steps:",
            "      - uses: actions/checkout@v4",
        ]
        for step, cmd in commands:
            body += [f"      - name: {step}", f"        run: {cmd}"]
        return "yaml", "\n".join(body)
    if system == "gitlab":
        body = ["stages: [release]", "", "release:", "  stage: release", "  script:"]
        body += [f"    - {cmd}" for cmd in ([checkout] if checkout else []) + [c for _, c in commands]]
        return "yaml", "\n".join(body)
    if system == "jenkins":
        body = ["pipeline {", "  agent any", "  stages {"]
        if checkout:
            body += ["    stage('checkout') {", "      steps {", f"        {checkout}", "      }", "    }"]
        for step, cmd in commands:
            body += [
                f"    stage('{step}') {{",
                "      steps {",
                f'        sh "{_jenkins(cmd)}"',
                "      }",
                "    }",
            ]
        body += ["  }", "}"]
        return "groovy", "\n".join(body)
    if system == "tekton":
        body = [
            "apiVersion: tekton.dev/v1",
            "kind: Task",
            "metadata:",
            f"  name: {project}-release",
            "spec:",
            "  steps:",
        ]
        for step, cmd in commands:
            body += [f"    - name: {step}", "      image: ubuntu:24.04", "      script: |",
                     f"        {cmd}"]  # fmt: skip
        return "yaml", "\n".join(body)
    if system == "make":
        body = []
        prev = ""
        for step, cmd in commands:
            body += [f"attest-{step}:{' attest-' + prev if prev else ''}", f"\t{cmd.replace('$', '$$')}", ""]
            prev = step
        return "make", "\n".join(body).rstrip()
    return "bash", "\n".join(["set -euo pipefail", *(cmd for _, cmd in commands)])


def _jenkins(cmd: str) -> str:
    return cmd.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")


# ----------------------------------------------------------------------------- misc


@dataclass(frozen=True)
class Files:
    """File names a user gives their keys, certificates and attestations (drawn per example)."""

    key_scheme: tuple[str, str]
    out_scheme: str

    def key(self, label: str) -> tuple[str, str]:
        return key_file_names(self.key_scheme, label)

    def out(self, step: str) -> str:
        return self.out_scheme.format(s=step)


KEY_SCHEMES: tuple[tuple[str, str], ...] = (
    ("{n}-key.pem", "{n}-key.pub"),
    ("keys/{n}.pem", "keys/{n}.pub"),
    ("{n}.key", "{n}.pub"),
    ("keys/{n}-signer.pem", "keys/{n}-signer.pub.pem"),
    ("{n}-priv.pem", "{n}-pub.pem"),
    (".witness/{n}.key.pem", ".witness/{n}.pub.pem"),
)
OUT_SCHEMES: tuple[str, ...] = (
    "{s}.att.json", "{s}-attestation.json", "attestations/{s}.json", "{s}.json", "out/{s}.intoto.json",
    "{s}.attestation.json",
)  # fmt: skip


def key_file_names(scheme: tuple[str, str], label: str) -> tuple[str, str]:
    """(private, public) key file of `label` under `scheme`; a label that already ends in the scheme's
    suffix (`ci-signer` under `keys/{n}-signer.pem`) is not doubled (`keys/ci-signer.pem`)."""
    for suffix in ("-signer", "-key"):
        if f"{{n}}{suffix}" in scheme[0] and label.endswith(suffix) and label != suffix.lstrip("-"):
            label = label[: -len(suffix)]
    return scheme[0].format(n=label), scheme[1].format(n=label)


def draw_files(rng: random.Random) -> Files:
    return Files(rng.choice(KEY_SCHEMES), rng.choice(OUT_SCHEMES))


_POLICY_DIRS = ("", "policy/", "policies/", "witness/", "supply-chain/", ".witness/", "deploy/", "security/")
_POLICY_STEMS = (
    "policy",
    "witness-policy",
    "release-policy",
    "build-policy",
    "pipeline-policy",
    "gate-policy",
    "supply-chain-policy",
)
"""Every stem says `policy`, so no policy file is named like a step's attestation (`release.json`) or key."""
_SIGNED_FORMS = (
    "{d}{s}-signed.json",
    "{d}{s}.signed.json",
    "{d}signed-{s}.json",
    "{d}{s}.dsse.json",
    "signed/{s}.json",
)
_POLICY_KEY_DIRS = (
    "",
    "keys/",
    "secrets/",
    "release/",
    "security/",
    ".witness/",
    "ci/keys/",
    "infra/witness/",
)
_POLICY_KEY_STEMS = ("policy", "policy-signer", "policy-signing", "witness-policy", "release-policy", "policy_signer",
                     "gate-policy")  # fmt: skip
_POLICY_KEY_FORMS = (
    (".pem", ".pub"),
    (".key", ".pub.pem"),
    ("-private.pem", "-public.pem"),
    ("_priv.pem", "_pub.pem"),
)


def policy_files(rng: random.Random) -> tuple[str, str]:
    """(policy file, the signed file `witness sign -o` writes), as people name them: 56 policy files in five
    signed forms, so that no name becomes a default a model recalls instead of copying the user's (a tuned
    model answered `policy-signed.pub` for the `keys/policy-signer.pub` it was given)."""
    policy = f"{rng.choice(_POLICY_DIRS)}{rng.choice(_POLICY_STEMS)}.json"
    return policy, signed_policy_file(rng, policy)


def signed_policy_file(rng: random.Random, policy_file: str) -> str:
    """The file `witness sign -f policy_file -o ...` writes, in one of the signed forms of `policy_files`."""
    d, _, name = policy_file.rpartition("/")
    stem = name.removesuffix(".json")
    return rng.choice(_SIGNED_FORMS).format(d=f"{d}/" if d else "", s=stem)


def policy_key_files(rng: random.Random) -> tuple[str, str]:
    """(policy signing key, its public half): 224 pairs; a private name never pairs with two public names."""
    d, stem = rng.choice(_POLICY_KEY_DIRS), rng.choice(_POLICY_KEY_STEMS)
    key, pub = rng.choice(_POLICY_KEY_FORMS)
    return f"{d}{stem}{key}", f"{d}{stem}{pub}"


# ----------------------------------------------------------------------------- deadlines people state

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Deadline:
    """A policy expiry as a person states it ("end of June 2027") and the RFC 3339 `expires` it means.

    Convention (said in every answer that converts one): a day, month, quarter or year the policy is
    valid *through* ends at its last second in UTC (`...T23:59:59Z`); "until the start of X" / "expire on
    DAY" is the first second of that day in UTC (`...T00:00:00Z`). witness parses `expires` as RFC 3339
    (Go `time.RFC3339`), so a bare date or a space-separated time is not accepted."""

    text: str
    """The deadline as the user writes it ("the end of Q3 2026", "2027-05-31")."""
    expires: str
    """The RFC 3339 value the answer uses."""
    how: str
    """The conversion as the answer states it."""
    window: tuple[str, str]
    """The RFC 3339 range (inclusive) a reader of `text` could reasonably pick: the named day."""
    kind: str = "date-through"
    """One of `DEADLINE_KINDS` (how the user words it depends on it)."""

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "expires": self.expires, "how": self.how, "window": list(self.window),
                "kind": self.kind}  # fmt: skip

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Deadline:
        return cls(str(d["text"]), str(d["expires"]), str(d["how"]), (d["window"][0], d["window"][1]),
                   str(d.get("kind", "date-through")))  # fmt: skip


def _eod(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT23:59:59Z")


def _sod(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT00:00:00Z")


def _last_day(year: int, month: int) -> datetime:
    nxt = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return nxt - timedelta(days=1)


DEADLINE_KINDS = (
    "date-through",
    "date-on",
    "month-end",
    "quarter-end",
    "year-end",
    "year-start",
    "month-start",
)


def deadline(kind: str, year: int, month: int = 1, day: int = 1, *, short: bool = False) -> Deadline:
    """The `kind` deadline (one of `DEADLINE_KINDS`) for a year/month/day (`month` is the quarter 1-4 for
    `quarter-end`); `short` abbreviates a month name ("end of Jan 2027")."""
    return _replace(_deadline(kind, year, month, day, short), kind=kind)


def _deadline(kind: str, year: int, month: int, day: int, short: bool) -> Deadline:
    months = _MONTHS_SHORT if short else _MONTHS
    if kind in ("date-through", "date-on"):
        d = datetime(year, month, day, tzinfo=UTC)
        iso = d.strftime("%Y-%m-%d")
        if kind == "date-through":
            return Deadline(iso, _eod(d), f"valid through {iso} means up to the last second of that day: "
                            f"`{_eod(d)}` (UTC)", (_sod(d), _eod(d)))  # fmt: skip
        return Deadline(iso, _sod(d), f"a policy that expires on {iso} stops being valid as that day begins: "
                        f"`{_sod(d)}` (UTC)", (_sod(d), _eod(d)))  # fmt: skip
    if kind == "month-end":
        d = _last_day(year, month)
        text = f"the end of {months[month - 1]} {year}"
        return Deadline(text, _eod(d), f"the end of {_MONTHS[month - 1]} {year} is the last second of "
                        f"{d:%Y-%m-%d}: `{_eod(d)}` (UTC)", (_sod(d), _eod(d + timedelta(days=1))))  # fmt: skip
    if kind == "quarter-end":
        q = month
        d = _last_day(year, 3 * q)
        text = f"the end of Q{q} {year}"
        return Deadline(text, _eod(d), f"Q{q} {year} ends with {d:%B %-d}, so the last second of {d:%Y-%m-%d}: "
                        f"`{_eod(d)}` (UTC)", (_sod(d), _eod(d + timedelta(days=1))))  # fmt: skip
    if kind == "year-end":
        d = datetime(year, 12, 31, tzinfo=UTC)
        return Deadline(f"the end of {year}", _eod(d), f"the end of {year} is the last second of {year}-12-31: "
                        f"`{_eod(d)}` (UTC)", (_sod(d), _eod(d + timedelta(days=1))))  # fmt: skip
    if kind == "year-start":
        d = datetime(year, 1, 1, tzinfo=UTC)
        prev = d - timedelta(days=1)
        return Deadline(f"the start of {year}", _sod(d), f"until the start of {year} means up to midnight UTC on "
                        f"{year}-01-01: `{_sod(d)}`", (_sod(prev), _eod(d)))  # fmt: skip
    if kind == "month-start":
        d = datetime(year, month, 1, tzinfo=UTC)
        prev = d - timedelta(days=1)
        return Deadline(f"the start of {months[month - 1]} {year}", _sod(d), f"until the start of "
                        f"{_MONTHS[month - 1]} {year} means up to midnight UTC on {d:%Y-%m-%d}: `{_sod(d)}`",
                        (_sod(prev), _eod(d)))  # fmt: skip
    raise ValueError(f"unknown deadline kind {kind!r}")


DEADLINE_FLOOR = datetime(2027, 1, 1, tzinfo=UTC)
"""Drawn deadlines lie at least ~3 months after this: later than the scoring clock, witness v0.12.0's
release (2026-07-10) and the date the data was built (December 2026), so a deadline in an answer is
not already past for its reader."""


def draw_deadline(rng: random.Random, *, after: datetime = DEADLINE_FLOOR, years: int = 6) -> Deadline:
    """A deadline stated the way people do, strictly after `after` (at least ~3 months after it) and
    within `years` years of it."""
    while True:
        kind = rng.choice(DEADLINE_KINDS)
        year = rng.randint(after.year, after.year + years)
        month = rng.randint(1, 4 if kind == "quarter-end" else 12)
        dl = deadline(kind, year, month, rng.randint(1, 28), short=rng.random() < 0.25)
        if datetime.fromisoformat(dl.window[0].replace("Z", "+00:00")) > after + timedelta(days=90):
            return dl


def addable_attestors(pipe: Pipeline, step: str) -> tuple[str, ...]:
    """Opt-in attestors that `step` of `pipe` does not record yet and whose run would succeed there (its
    kind's optional ones usable on the checkout, and the CI platform's attestor when it runs in that CI);
    not the exported ones (`slsa`, `link`), which a policy must not require from the collection."""
    spec = pipe.step(step)
    sc = scenarios(pipe)[pipe.names.index(step)]
    out = [a for a in _OPTIONAL[spec.kind] if _usable(a, sc) and a not in EXPORTABLE]
    if sc.ci in _CI_ATTESTORS:
        out.append(_CI_ATTESTORS[sc.ci])
    return tuple(a for a in dict.fromkeys(out) if a not in spec.recorded)
