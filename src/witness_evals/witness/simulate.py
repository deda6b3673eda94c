"""Simulate `witness run` (witness cmd/run.go + go-witness run.go), REFERENCE.md §1.2, §5.4-5.7.

`run_step` turns a `Scenario` into what `witness run -s <step> -k key -o out.json [-a ...] -- <cmd>`
writes: a signed DSSE envelope of an in-toto statement whose predicate is the attestation
collection, plus one envelope per exported attestor. `pipeline` chains several steps from one
scenario (build -> package) so that they link through the git commit backref and artifactsFrom.
Everything is a pure function of its inputs (deterministic signatures), so the same seed gives
byte-identical envelopes.
"""

from __future__ import annotations

import io
import json
import random
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import dumps_go
from witness_evals.witness import attestors as attestor_registry
from witness_evals.witness.attestors import step as attestor_step
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.cli.values import split_csv
from witness_evals.witness.collection import Collection, CollectionAttestation, collection_statement
from witness_evals.witness.crypto import Signer
from witness_evals.witness.digests import CLI_HASH_NAMES, sha256_hex
from witness_evals.witness.dsse import Envelope, Timestamper, sign_envelope
from witness_evals.witness.intoto import PAYLOAD_TYPE, STATEMENT_TYPE, Statement

DEFAULT_ATTESTORS: tuple[str, ...] = ("environment", "git")
"""`witness run -a` default (`options.DefaultAttestors`)."""
ALWAYS_RUN: tuple[str, ...] = ("product", "material")
"""`alwaysRunAttestors` of cmd/run.go."""
PHASES: tuple[str, ...] = ("prematerial", "material", "execute", "product", "postproduct")
# share of the step's wall time at which each phase starts and ends
_PHASE_SPAN = {
    "prematerial": (0.0, 0.02),
    "material": (0.02, 0.05),
    "execute": (0.05, 0.9),
    "product": (0.9, 0.95),
    "postproduct": (0.95, 1.0),
}
_USE_SCENARIO = object()


@dataclass(frozen=True)
class RunResult:
    """What one `witness run` writes: the collection envelope and the exported attestations."""

    step: str
    envelope: Envelope
    statement: Statement
    collection: Collection
    exported_envelopes: dict[str, Envelope] = field(default_factory=dict)
    """Attestor name -> envelope (written by witness to `<outfile>-<name>.json`)."""
    warnings: tuple[str, ...] = ()

    def dumps(self) -> str:
        """The `-o` file content: compact JSON, no trailing newline."""
        return self.envelope.dumps()

    def files(self, outfile: str) -> dict[str, str]:
        """File name -> content of everything witness writes for `-o outfile`."""
        out = {outfile: self.dumps()}
        for name, env in self.exported_envelopes.items():
            out[f"{outfile}-{name}.json"] = env.dumps()
        return out


def rfc3339_nano(dt: datetime) -> str:
    """Go `time.RFC3339Nano` of a UTC time (fraction with trailing zeros trimmed)."""
    dt = dt.astimezone(UTC)
    frac = f".{dt.microsecond:06d}".rstrip("0") if dt.microsecond else ""
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def select_attestors(
    attestors: Sequence[str] = DEFAULT_ATTESTORS, *, command: bool = True
) -> tuple[list[Any], list[str]]:
    """The attestor specs `witness run` would run, in witness's order, and the warnings it logs.

    `-a` values (names or type URIs) replace the default; product/material always run;
    command-run runs iff a command is given. Unknown names -> InputError like witness.
    """
    warnings: list[str] = []
    names: list[str] = list(ALWAYS_RUN)
    if command:
        names.append("command-run")
    specs = [attestor_registry.get(n) for n in names]
    for raw in attestors:
        values = split_csv(raw)  # pflag stringSlice: no trimming, "a,,b" keeps the empty name
        if values is None:
            raise InputError(f'invalid argument {json.dumps(raw)} for "-a, --attestations" flag')  # Go %q
        for value in values:
            if value == "command-run":
                warnings.append(
                    "'command-run' is a builtin attestor and cannot be called with --attestations flag"
                )
                continue
            try:
                spec = attestor_registry.get(value)
            except InputError as exc:
                raise InputError(f"failed to create attestor: {exc.message}") from None
            if any(s.name == spec.name for s in specs):
                warnings.append(f"Attestor {spec.name} already declared, skipping")
                continue
            specs.append(spec)
    if any(s.run_type == "verify" for s in specs):
        raise InputError("attestors of type verify cannot be run in conjunction with other attestor types")
    return specs, warnings


_CI_ATTESTORS = frozenset({"github", "gitlab", "jenkins"})
"""Attestors that fail outside their own CI (`not in a <name> ci job`); the scenario's `ci` names it."""


def environment_failure(attestor: str, scenario: Scenario) -> str | None:
    """Why `attestor` fails in this scenario's environment when run from the CLI, or None.

    The CLI never ignores attestor errors (REFERENCE §1.2): a CI attestor outside its CI fails
    (`not in a github ci job`, ...), `jwt` always fails because the CLI cannot pass a token, and
    `sbom` fails when the command produced no SPDX/CycloneDX JSON file. (oci, vex and sarif also
    need a matching product in go-witness; they are not modelled here.)
    """
    if attestor in _CI_ATTESTORS and scenario.ci != attestor:
        return f"not in a {attestor} ci job"
    if attestor == "jwt":
        return 'invalid token: ""'
    if attestor == "sbom":  # REFERENCE §1.4: only SPDX/CycloneDX JSON products are used
        if not scenario.product_paths():
            return "no products to attest"
        if scenario.sbom_path() is None:
            return "no SBOM file found"
    return None


def _check_hashes(hashes: Sequence[str]) -> tuple[str, ...]:
    for h in hashes:
        if h not in CLI_HASH_NAMES:
            raise InputError(f"failed to parse hash: unsupported hash function: {h}")
    out: list[str] = []
    for h in hashes:  # the CLI builds plain digests: gitoid/dirHash names become sha256/sha1
        plain = "sha1" if h in ("sha1", "gitoid:sha1") else "sha256"
        if plain not in out:
            out.append(plain)
    return tuple(out) or ("sha256",)


def run_step(
    step: str,
    scenario: Scenario,
    signer: Signer,
    *,
    attestors: Sequence[str] = DEFAULT_ATTESTORS,
    command: Sequence[str] | object | None = _USE_SCENARIO,
    hashes: Sequence[str] = ("sha256",),
    export: Sequence[str] = (),
    now: datetime | None = None,
    timestamper: Timestamper | None = None,
) -> RunResult:
    """Simulate `witness run -s step -k key [-a ...] [--attestor-X-export] [--hashes ...] -- command`.

    `command` defaults to the scenario's command; pass None (or `()`) for a run without a command:
    then no command-run attestation is recorded and nothing changes in the working directory, so
    there are no products. `now`, if given, is when the run ends (the scenario's times are shifted).
    """
    rec = record_step(
        step, scenario, attestors=attestors, command=command, hashes=hashes, export=export, now=now
    )
    return sign_recording(rec, signer, timestamper=timestamper)


@dataclass(frozen=True)
class Recording:
    """What a `witness run` records before it signs: the same for every signer of the same run, so
    callers that sign one run with several keys can build it once (`record_step`, `sign_recording`)."""

    step: str
    statement: Statement
    collection: Collection
    payload: bytes
    """The collection statement as signed (Go JSON)."""
    exported: tuple[tuple[str, bytes], ...]
    """(attestor name, statement payload) of each exported attestation, in run order."""
    warnings: tuple[str, ...] = ()


def record_step(
    step: str,
    scenario: Scenario,
    *,
    attestors: Sequence[str] = DEFAULT_ATTESTORS,
    command: Sequence[str] | object | None = _USE_SCENARIO,
    hashes: Sequence[str] = ("sha256",),
    export: Sequence[str] = (),
    now: datetime | None = None,
) -> Recording:
    """`run_step` up to signing (same arguments, same errors)."""
    if not step:
        raise InputError("step name is required")
    if now is not None:
        shift = now - scenario.end_time
        scenario = scenario.with_(start_time=scenario.start_time + shift, end_time=now)
    cmd: tuple[str, ...] = tuple(scenario.command) if command is _USE_SCENARIO else tuple(command or ())  # type: ignore[arg-type]
    plain_hashes = _check_hashes(hashes)
    changes: dict[str, Any] = {"step": step, "hashes": plain_hashes, "command": cmd}
    if not cmd:
        changes["files_after"] = dict(scenario.files_before)
        changes["stdout"] = ""
    sc = scenario.with_(**changes)
    specs, warnings = select_attestors(attestors, command=bool(cmd))
    failures = [f"attestor {s.name} failed: {why}" for s in specs if (why := environment_failure(s.name, sc))]
    if failures:
        raise InputError("attestors failed with error messages\n" + "\n".join(failures))
    exported = {attestor_registry.get(e).name for e in export}

    start, end = sc.start_time, sc.end_time
    total = (end - start).total_seconds()
    built: list[tuple[Any, Any, str, str]] = []
    for phase in PHASES:
        for spec in (s for s in specs if s.run_type == phase):
            pred = spec.build(sc.sub_rng(f"attestor:{spec.name}"), sc)
            lo, hi = _PHASE_SPAN[phase]
            jitter = int(sha256_hex(f"{sc.token}:{spec.name}")[:6], 16) / 0xFFFFFF
            began = start + timedelta(seconds=total * lo)
            ended = start + timedelta(seconds=total * (lo + (hi - lo) * (0.5 + 0.5 * jitter)))
            built.append((spec, pred, rfc3339_nano(began), rfc3339_nano(ended)))

    products: Mapping[str, Any] | None = next((p for s, p, _, _ in built if s.name == "product"), None)
    kept: list[CollectionAttestation] = []
    exported_payloads: list[tuple[str, bytes]] = []
    for spec, pred, t0, t1 in built:
        ptype = spec.predicate_type(pred)
        if spec.exporter and spec.name in exported:
            subjects = spec.subjects(pred, products=products)
            stmt = Statement(STATEMENT_TYPE, subjects, ptype, pred)
            exported_payloads.append((spec.name, dumps_go(stmt.to_json()).encode("utf-8")))
            continue
        kept.append(CollectionAttestation(ptype, pred, t0, t1))
    collection = Collection(step, kept)
    statement = collection_statement(collection)
    payload = dumps_go(statement.to_json()).encode("utf-8")
    return Recording(step, statement, collection, payload, tuple(exported_payloads), tuple(warnings))


def sign_recording(rec: Recording, signer: Signer, *, timestamper: Timestamper | None = None) -> RunResult:
    """The run's files signed by `signer`: the exported attestations first, then the collection."""
    exported_envelopes = {
        name: sign_envelope(payload, PAYLOAD_TYPE, [signer], timestamper=timestamper)
        for name, payload in rec.exported
    }
    envelope = sign_envelope(rec.payload, PAYLOAD_TYPE, [signer], timestamper=timestamper)
    return RunResult(rec.step, envelope, rec.statement, rec.collection, exported_envelopes, rec.warnings)


# ----------------------------------------------------------------------------- pipelines


def tar_gz(files: Mapping[str, bytes]) -> bytes:
    """A real, deterministic .tar.gz of `files` (fixed mtimes, owner, gzip header)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(f"./{name}")
            info.size = len(files[name])
            info.mtime = 0
            info.mode = 0o755 if "bin/" in name or "release/" in name else 0o644
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(files[name]))
    import gzip

    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


@dataclass(frozen=True)
class Pipeline:
    """Several `witness run` steps over one project checkout (same git commit)."""

    scenario: Scenario
    steps: dict[str, RunResult]
    scenarios: dict[str, Scenario]
    artifact_path: str
    """The file a verifier would pass as `-f` (the build step's main product)."""
    artifact: bytes

    @property
    def artifact_digest(self) -> str:
        return sha256_hex(self.artifact)

    @property
    def envelopes(self) -> dict[str, Envelope]:
        return {name: r.envelope for name, r in self.steps.items()}


def package_scenario(build: Scenario, *, step: str = "package", seconds_later: int = 30) -> Scenario:
    """The scenario of `tar czf <project>.tar.gz <build products>` run after `build` in the same checkout."""
    inputs = {p: build.files_after[p] for p in build.product_paths()}
    name = f"{build.project}-{build.version}.tar.gz"
    after = dict(build.files_after)
    after[name] = tar_gz(inputs)
    start = build.end_time + timedelta(seconds=seconds_later)
    return build.with_(
        token=sha256_hex(f"{build.token}:{step}")[:16],
        step=step,
        step_kind="package",
        command=("tar", "czf", name, *sorted(inputs)),
        stdout="",
        files_before=dict(build.files_after),
        files_after=after,
        start_time=start,
        end_time=start + timedelta(seconds=2, microseconds=345_678),
    )


def next_step_scenario(prev: Scenario, step: str, kind: str, *, sbom: str = "none") -> Scenario:
    """The scenario of a later step of `kind` run in the same checkout on `prev`'s end state.

    `package` tars the previous step's products (`package_scenario`); other kinds (`test`, `sbom`,
    `scan`, `image`, `deploy`, `build`) run that kind's usual command on the files `prev` left behind.
    """
    if kind == "package":
        return package_scenario(prev, step=step)
    token = sha256_hex(f"{prev.token}:{step}")[:16]
    start = prev.end_time + timedelta(seconds=41)
    base = prev.with_(
        token=token,
        step=step,
        step_kind=kind,
        sbom_kind=sbom if kind == "sbom" else "none",
        command=(),
        stdout="",
        files_before=dict(prev.files_after),
        files_after=dict(prev.files_after),
        start_time=start,
        end_time=start + timedelta(seconds=7, microseconds=654_321),
    )
    return attestor_step.run_step(random.Random(token), base)


def tamper_products(sc: Scenario) -> Scenario:
    """`sc` whose first product was modified after the step ran (before the next step consumed it)."""
    path = sc.product_paths()[0]
    after = dict(sc.files_after)
    after[path] = after[path] + b"\n# patched after the step ran\n"
    return sc.with_(files_after=after)


def pipeline(
    rng: random.Random,
    signers: Signer | Mapping[str, Signer],
    *,
    scenario: Scenario | None = None,
    steps: Sequence[str] = ("build", "package"),
    attestors: Sequence[str] | Mapping[str, Sequence[str]] = DEFAULT_ATTESTORS,
    hashes: Sequence[str] = ("sha256",),
    timestamper: Timestamper | None = None,
    **scenario_overrides: Any,
) -> Pipeline:
    """Run `build` then each later step on the previous step's output (materials = its end state).

    The first step builds the project; every later step packages the previous step's products
    (`tar czf`). All steps share the git commit, so the git `commithash` backref links them.
    `signers`: one signer for all steps, or step name -> signer; `attestors`: the `-a` values of every
    step, or step name -> its own `-a` values (e.g. `sbom` only where an SBOM is written).
    """
    if not steps:
        raise InputError("a pipeline needs at least one step")
    if scenario is None:
        overrides = {"step_kind": "build", "sbom_kind": "none", **scenario_overrides}
        scenario = Scenario.random(rng, step=steps[0], **overrides)
    else:
        scenario = scenario.with_(step=steps[0])
    results: dict[str, RunResult] = {}
    scenarios: dict[str, Scenario] = {}
    current = scenario
    for i, name in enumerate(steps):
        if i > 0:
            current = package_scenario(current, step=name)
        signer = signers if isinstance(signers, Signer) else signers[name]
        step_attestors = attestors[name] if isinstance(attestors, Mapping) else attestors
        results[name] = run_step(
            name, current, signer, attestors=step_attestors, hashes=hashes, timestamper=timestamper
        )
        scenarios[name] = current
    first = scenarios[steps[0]]
    products = first.product_paths()
    if not products:
        raise InputError(f"step {steps[0]} produced no products")
    path = products[0]
    return Pipeline(scenario, results, scenarios, path, first.files_after[path])


# ----------------------------------------------------------------------------- policies


def rego_module(name: str, source: str) -> dict[str, str]:
    """A policy `regopolicies` entry (module base64-encoded as Go's []byte)."""
    import base64

    return {"name": name, "module": base64.b64encode(source.encode("utf-8")).decode("ascii")}


def policy_for(
    pipe: Pipeline,
    functionaries: Mapping[str, Sequence[Any]],
    *,
    expires: str = "2035-12-17T23:57:40-05:00",
    rego: Mapping[str, Mapping[str, Sequence[dict[str, str]]]] | None = None,
    artifacts_from: Mapping[str, Sequence[str]] | None = None,
    attestation_types: Mapping[str, Sequence[str]] | None = None,
    roots: Mapping[str, Any] | None = None,
    timestamp_authorities: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A witness policy (JSON object) for a pipeline.

    `functionaries`: step -> list of `crypto.Verifier` / public-key PEM bytes (publickey functionaries,
    embedded in `publickeys`) or ready functionary dicts (e.g. a `root` functionary with a certConstraint).
    Steps require every attestation type their collection has unless `attestation_types` says otherwise;
    `artifacts_from` defaults to each step taking the previous one's artifacts.
    `rego`: step -> attestation type -> regopolicies entries (see `rego_module`).
    """
    import base64

    from witness_evals.witness.crypto import Verifier

    names = list(pipe.steps)
    publickeys: dict[str, Any] = {}
    steps: dict[str, Any] = {}
    for i, name in enumerate(names):
        funcs: list[dict[str, Any]] = []
        for f in functionaries.get(name, ()):
            if isinstance(f, dict):
                funcs.append(f)
                continue
            v = f if isinstance(f, Verifier) else Verifier.from_pem(f)
            pem = v.public_pem()
            publickeys[v.keyid] = {"keyid": v.keyid, "key": base64.b64encode(pem).decode("ascii")}
            funcs.append({"type": "publickey", "publickeyid": v.keyid})
        types = (
            list(attestation_types[name])
            if attestation_types and name in attestation_types
            else [a.type for a in pipe.steps[name].collection.attestations]
        )
        step_rego = (rego or {}).get(name, {})
        entry: dict[str, Any] = {
            "name": name,
            "attestations": [{"type": t, "regopolicies": list(step_rego.get(t, []))} for t in types],
            "functionaries": funcs,
        }
        frm = artifacts_from.get(name) if artifacts_from is not None else ([names[i - 1]] if i > 0 else None)
        if frm:
            entry["artifactsFrom"] = list(frm)
        steps[name] = entry
    policy: dict[str, Any] = {"expires": expires, "steps": steps}
    if roots:
        policy["roots"] = dict(roots)
    if timestamp_authorities:
        policy["timestampauthorities"] = dict(timestamp_authorities)
    if publickeys:
        policy["publickeys"] = publickeys
    return policy


def sign_policy(
    policy: Mapping[str, Any] | bytes, signer: Signer, *, timestamper: Timestamper | None = None
) -> Envelope:
    """`witness sign -f policy.json -o policy-signed.json -k key.pem`: payload = the policy file bytes."""
    import json

    from witness_evals.witness.policy import POLICY_PAYLOAD_TYPE

    data = policy if isinstance(policy, bytes) else (json.dumps(policy, indent=2) + "\n").encode("utf-8")
    return sign_envelope(data, POLICY_PAYLOAD_TYPE, [signer], timestamper=timestamper)
