"""Executable model of `witness verify` (go-witness policyverify + Policy.Verify), REFERENCE.md §4.

`verify()` is a pure function over in-memory objects: a policy envelope, loaded collection
envelopes (`SourceCollection`), and subject digest values. It does no file I/O so generators and
benchmarks can call it many times per second. Behaviour follows go-witness v0.10.0 (what the
released CLI runs) by default; `mode="head"` switches every difference marked in the reference.

Go iterates maps in random order; this model iterates steps in policy document order and
collections in load order, so results are deterministic.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from witness_evals.witness import dsse
from witness_evals.witness.collection import COLLECTION_TYPE, Collection, load_collection_envelope
from witness_evals.witness.constraints import CertConstraint
from witness_evals.witness.crypto import Verifier
from witness_evals.witness.digests import digest_sets_equal
from witness_evals.witness.errors import InputError, WitnessError
from witness_evals.witness.intoto import Statement
from witness_evals.witness.policy import (
    Functionary,
    Policy,
    Step,
    TrustBundle,
    format_go_time,
    parse_policy,
    public_key_verifiers,
    trust_bundles,
)
from witness_evals.witness.rego.outcome import rego_failed_message

Mode = Literal["v0.10.0", "head"]
MODES: tuple[str, ...] = ("v0.10.0", "head")
DEFAULT_SEARCH_DEPTH = 3
"""go-witness default; the CLI never changes it."""


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class SourceCollection:
    """One attestation file loaded into the memory source (go-witness source.CollectionEnvelope)."""

    reference: str
    envelope: dsse.Envelope
    statement: Statement
    collection: Collection | None
    name: str
    digest_values: frozenset[str]
    types: frozenset[str]

    @classmethod
    def from_parts(
        cls, reference: str, envelope: dsse.Envelope, statement: Statement, collection: Collection | None
    ) -> SourceCollection:
        values = frozenset(v for ds in statement.subjects.values() for v in ds.values())
        types = frozenset(collection.types()) if collection is not None else frozenset()
        name = collection.name if collection is not None else ""
        return cls(reference, envelope, statement, collection, name, values, types)

    @classmethod
    def load(cls, data: bytes, reference: str) -> SourceCollection:
        """Parse an attestation file (DSSE envelope of a collection statement); InputError if malformed."""
        envelope, statement, collection = load_collection_envelope(data, source=reference)
        return cls.from_parts(reference, envelope, statement, collection)

    # derived views, computed once (verify may consult them at every search depth)
    @functools.cached_property
    def backref_values(self) -> tuple[str, ...]:
        if self.collection is None:
            return ()
        return tuple(v for ds in self.collection.backrefs().values() for v in ds.values())

    @functools.cached_property
    def materials(self) -> dict[str, dict[str, str]]:
        return self.collection.materials() if self.collection is not None else {}

    @functools.cached_property
    def artifacts(self) -> dict[str, dict[str, str]]:
        return self.collection.artifacts() if self.collection is not None else {}


class MemorySource:
    """go-witness source.MemorySource: collections indexed by collection name."""

    def __init__(self, items: Iterable[SourceCollection] = ()) -> None:
        self._by_ref: dict[str, SourceCollection] = {}
        self._by_name: dict[str, list[SourceCollection]] = {}
        for item in items:
            self.add(item)

    def add(self, item: SourceCollection) -> None:
        if item.reference in self._by_ref:
            raise InputError(
                f"references may only appear once in a memory source: {item.reference}", source=item.reference
            )
        self._by_ref[item.reference] = item
        self._by_name.setdefault(item.name, []).append(item)

    def __len__(self) -> int:
        return len(self._by_ref)

    def search(self, name: str, digests: set[str], types: Sequence[str]) -> list[SourceCollection]:
        """Collections named `name` with a subject digest value in `digests` and every type in `types`."""
        return [
            c
            for c in self._by_name.get(name, ())
            if not c.digest_values.isdisjoint(digests) and all(t in c.types for t in types)
        ]


@dataclass(frozen=True)
class PolicySignerConstraints:
    """`--policy-commonname/-dns-names/-emails/-organizations/-uris` (CLI defaults `*`) + fulcio globs."""

    common_name: str = "*"
    dns_names: tuple[str, ...] = ("*",)
    emails: tuple[str, ...] = ("*",)
    organizations: tuple[str, ...] = ("*",)
    uris: tuple[str, ...] = ("*",)
    extensions: Mapping[str, str] = field(default_factory=dict)


class RegoEvaluator(Protocol):
    """What verify needs from the Rego layer (a `RegoSandbox` or an in-process evaluator)."""

    def evaluate(self, modules: Any, input: Any, mode: str = "verify") -> Any: ...


class TrustedRego:
    """In-process Rego evaluation for trusted, already-vetted modules (our generators, benchmarks).

    Untrusted policies (user files, model answers) must go through a `RegoSandbox` instead.
    """

    def evaluate(self, modules: Any, input: Any, mode: str = "verify") -> Any:
        from witness_evals.witness.rego import evaluate_deny

        return evaluate_deny(modules, input, mode)


TRUSTED_REGO = TrustedRego()


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PassedCollection:
    reference: str
    name: str
    keyids: tuple[str, ...]
    """Key ids of the signers that satisfied a functionary of the step."""


@dataclass(frozen=True)
class RejectedCollection:
    reference: str | None
    name: str
    reason: str
    errors: tuple[str, ...] = ()
    """Errors carried by the collection (e.g. why its envelope did not verify); witness does not print them."""

    def line(self) -> str:
        """The line witness logs for this rejection."""
        if self.name:
            return f"collection rejected: {self.name}, Reason: {self.reason}"
        return f"verification failure: Reason: {self.reason}"


@dataclass
class StepResult:
    step: str
    passed: list[PassedCollection] = field(default_factory=list)
    rejected: list[RejectedCollection] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.passed)


@dataclass
class VerifyResult:
    passed: bool
    steps: dict[str, StepResult]
    reasons: list[str]
    """Why it failed: the rejection lines witness logs, each once (plus indented `caused by:` details
    witness keeps but does not print), or the error that ended verification."""
    error: str | None = None
    """Final error witness returns (`failed to verify policy: ...`); None on PASS."""
    log: list[str] = field(default_factory=list)
    """Lines like witness logs them (`Verification succeeded`, `Evidence:`, `Step: build`, ...)."""
    mode: str = "v0.10.0"
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "result": "PASS" if self.passed else "FAIL",
            "mode": self.mode,
            "error": self.error,
            "reasons": list(self.reasons),
            "steps": {
                name: {
                    "passed": [
                        {"reference": p.reference, "name": p.name, "keyids": list(p.keyids)} for p in s.passed
                    ],
                    "rejected": [
                        {
                            "reference": r.reference,
                            "name": r.name,
                            "reason": r.reason,
                            "errors": list(r.errors),
                        }
                        for r in s.rejected
                    ],
                }
                for name, s in self.steps.items()
            },
            "log": list(self.log),
            "warnings": list(self.warnings),
        }


# ----------------------------------------------------------------------------- helpers


class _Abort(WitnessError):
    """A hard error ending verification (policyverify.Attest returning an error)."""


@dataclass(frozen=True)
class _PreparedPolicy:
    policy: Policy
    verifiers: tuple[Verifier, ...]
    bundles: dict[str, TrustBundle]
    roots: tuple[Any, ...]
    intermediates: tuple[Any, ...]
    tsa: tuple[Any, ...]
    warnings: tuple[str, ...]


@functools.lru_cache(maxsize=128)
def _prepare_policy(payload: bytes) -> _PreparedPolicy:
    """Unmarshal the policy and build its verifiers/trust bundles; cached by payload bytes."""
    try:
        policy, warnings = parse_policy(payload, source="policy")
    except InputError as exc:
        raise _Abort(f"failed to unmarshal policy from envelope: {exc.message}") from None
    try:
        verifiers = tuple(public_key_verifiers(policy).values())
    except WitnessError as exc:
        msg = exc.message if isinstance(exc, InputError) else str(exc)
        raise _Abort(f"failed to get public keys from policy: {msg}") from None
    try:
        trust = trust_bundles(policy.roots, source="roots")
    except InputError as exc:
        raise _Abort(f"failed to load policy trust bundles: {exc.message}") from None
    try:
        tsas = trust_bundles(policy.timestamp_authorities, source="timestampauthorities")
    except InputError as exc:
        raise _Abort(f"failed to load policy timestamp authorities: {exc.message}") from None
    return _PreparedPolicy(
        policy=policy,
        verifiers=verifiers,
        bundles=trust,
        roots=tuple(b.root for b in trust.values()),
        intermediates=tuple(i for b in trust.values() for i in b.intermediates),
        tsa=tuple(c for b in tsas.values() for c in (b.root, *b.intermediates)),
        warnings=tuple(f"{w.location}: {w.message}" if w.location else w.message for w in warnings),
    )


# ----------------------------------------------------------------------------- the algorithm


@dataclass
class _Candidate:
    """source.CollectionVerificationResult."""

    src: SourceCollection | None
    verifiers: list[Any]
    errors: list[str]
    valid: list[Any] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.src.name if self.src else ""

    @property
    def reference(self) -> str | None:
        return self.src.reference if self.src else None


@dataclass
class _Step:
    step: str
    passed: list[_Candidate] = field(default_factory=list)
    rejected: list[tuple[_Candidate | None, str]] = field(default_factory=list)


def _verify_policy_signature(
    envelope: dsse.Envelope,
    verifiers: Sequence[Verifier],
    roots: Sequence[Any],
    intermediates: Sequence[Any],
    tsas: Sequence[Any],
    constraints: PolicySignerConstraints,
    now: datetime,
) -> None:
    try:
        passed = dsse.verify_envelope(
            envelope,
            list(verifiers),
            roots=tuple(roots),
            intermediates=tuple(intermediates),
            timestamp_authorities=tuple(tsas),
            now=now,
        )
    except dsse.DSSEError as exc:
        raise _Abort(f"failed to verify policy signature: could not verify policy: {exc}") from None
    bundles = {f"root{i}": TrustBundle(r, []) for i, r in enumerate(roots)}
    cc = CertConstraint(
        common_name=constraints.common_name,
        dns_names=list(constraints.dns_names),
        emails=list(constraints.emails),
        organizations=list(constraints.organizations),
        uris=list(constraints.uris),
        roots=list(bundles),
        extensions=dict(constraints.extensions),
    )
    for pv in passed:
        if pv.certificate is None:
            return  # a key verifier always satisfies its own `key` functionary
        f = Functionary(type="root", cert_constraint=cc, publickeyid="")
        if f.validate(pv, trust_bundles=bundles) is None:
            return
    raise _Abort("failed to verify policy signature: no policy verifiers passed verification")


def _rego_deny_error(
    rego: RegoEvaluator | None,
    att_type: str,
    predicate: Any,
    policies: Sequence[Any],
    rego_input: Callable[[str, Any], Any],
) -> str | None:
    """go-witness EvaluateRegoPolicy: None if allowed, else the error text."""
    if not policies:
        return None
    if rego is None:
        raise _NeedRego
    # (name, source) pairs in policy order: a later module with the same name replaces the earlier
    # one, as OPA's rego.ParsedModule map does (the Rego layer models the consequences)
    modules = [(rp.name, rp.module.decode("utf-8", errors="replace")) for rp in policies]
    outcome = rego.evaluate(modules, rego_input(att_type, predicate), mode="verify")
    if outcome.status != "ok":  # parse/eval error, invalid deny data, or a sandbox timeout/crash
        return str(outcome.error or outcome.status)
    if outcome.deny:
        return rego_failed_message(att_type, list(outcome.deny))
    return None


class _NeedRego(Exception):
    """Raised when Rego must run but no evaluator was given (verify opens a sandbox then)."""


def _default_rego_input(att_type: str, predicate: Any) -> Any:
    from witness_evals.witness import attestors

    spec = attestors.by_type(att_type)
    return spec.rego_input(predicate) if spec is not None else predicate


def verify(
    policy_envelope: dsse.Envelope,
    collections: Sequence[SourceCollection] | MemorySource,
    subject_digests: Iterable[str],
    *,
    policy_verifiers: Sequence[Verifier] = (),
    policy_roots: Sequence[Any] = (),
    policy_intermediates: Sequence[Any] = (),
    policy_timestamp_authorities: Sequence[Any] = (),
    policy_constraints: PolicySignerConstraints | None = None,
    allow_unsigned_policy: bool = False,
    mode: str = "v0.10.0",
    rego: RegoEvaluator | None = None,
    now: datetime | None = None,
    search_depth: int = DEFAULT_SEARCH_DEPTH,
    rego_input: Callable[[str, Any], Any] = _default_rego_input,
) -> VerifyResult:
    """Model `witness verify`: return PASS/FAIL with per-step results and witness's reasons.

    `collections` are the loaded `-a` files; `subject_digests` the digest values from `-f`,
    `--directory-path` and `-s`. `policy_verifiers` are `-k` keys; roots/intermediates/timestamp
    authorities are the `--policy-ca-*` / `--policy-timestamp-servers` certificates. Rego runs through
    `rego` (a shared `RegoSandbox`); if None and a policy has Rego, a sandbox is opened for this call.
    """
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r} (expected one of {', '.join(MODES)})")
    try:
        return _verify(
            policy_envelope,
            collections,
            list(subject_digests),
            policy_verifiers,
            policy_roots,
            policy_intermediates,
            policy_timestamp_authorities,
            policy_constraints or PolicySignerConstraints(),
            allow_unsigned_policy,
            mode,
            rego,
            now or datetime.now(UTC),
            search_depth,
            rego_input,
        )
    except _NeedRego:
        from witness_evals.witness.rego import RegoSandbox

        with RegoSandbox() as sandbox:
            return verify(
                policy_envelope,
                collections,
                subject_digests,
                policy_verifiers=policy_verifiers,
                policy_roots=policy_roots,
                policy_intermediates=policy_intermediates,
                policy_timestamp_authorities=policy_timestamp_authorities,
                policy_constraints=policy_constraints,
                allow_unsigned_policy=allow_unsigned_policy,
                mode=mode,
                rego=sandbox,
                now=now,
                search_depth=search_depth,
                rego_input=rego_input,
            )


def _fail(error: str, mode: str, warnings: Sequence[str] = ()) -> VerifyResult:
    full = f"failed to verify policy: attestors failed with error messages\nattestor policyverify failed: {error}"
    return VerifyResult(
        passed=False,
        steps={},
        reasons=[error],
        error=full,
        log=[f"error: {full}"],
        mode=mode,
        warnings=list(warnings),
    )


def _verify(
    envelope: dsse.Envelope,
    collections: Sequence[SourceCollection] | MemorySource,
    digests: list[str],
    policy_verifiers: Sequence[Verifier],
    policy_roots: Sequence[Any],
    policy_intermediates: Sequence[Any],
    policy_tsas: Sequence[Any],
    constraints: PolicySignerConstraints,
    allow_unsigned: bool,
    mode: str,
    rego: RegoEvaluator | None,
    now: datetime,
    search_depth: int,
    rego_input: Callable[[str, Any], Any],
) -> VerifyResult:
    head = mode == "head"
    source = collections if isinstance(collections, MemorySource) else MemorySource(collections)
    try:
        if not allow_unsigned:
            _verify_policy_signature(
                envelope, policy_verifiers, policy_roots, policy_intermediates, policy_tsas, constraints, now
            )
        prep = _prepare_policy(bytes(envelope.payload))
    except _Abort as exc:
        return _fail(str(exc), mode)
    policy = prep.policy
    warnings = list(prep.warnings)

    if not digests:
        return _fail(
            "failed to verify policy: invalid option (subject digests): at least one subject digest is required",
            mode,
            warnings,
        )
    if search_depth < 1:
        return _fail(
            "failed to verify policy: invalid option (search depth): search depth must be at least 1",
            mode,
            warnings,
        )
    if policy.expires is None or now > _aware(policy.expires):
        return _fail(
            f"failed to verify policy: policy expired on {format_go_time(policy.expires)}", mode, warnings
        )

    envelope_cache: dict[str, tuple[list[Any], list[str]]] = {}

    def verify_collection(src: SourceCollection) -> _Candidate:
        hit = envelope_cache.get(src.reference)
        if hit is None:
            try:
                passed = dsse.verify_envelope(
                    src.envelope,
                    list(prep.verifiers),
                    roots=prep.roots,
                    intermediates=prep.intermediates,
                    timestamp_authorities=prep.tsa,
                    now=now,
                )
                errs = [] if passed else ["no verifiers passed"]
            except dsse.DSSEError as exc:
                passed, errs = [], [f"failed to verify envelope: {exc}"]
            hit = envelope_cache[src.reference] = (list(passed), errs)
        return _Candidate(src, list(hit[0]), list(hit[1]))

    subject_set: set[str] = set(digests)
    memo: dict[tuple[str, str], str | None] = {}
    results: dict[str, _Step] = {}
    seen: dict[str, set[tuple[bytes, tuple[str, ...]]]] = {}

    for _depth in range(search_depth):
        for step_name, step in policy.steps.items():
            types = [a.type for a in step.attestations]
            found = [verify_collection(s) for s in source.search(step_name, subject_set, types)]
            if not found:
                found = [_Candidate(None, [], [f"no collections found for step {step_name}"])]
            fres = _check_functionaries(step, found, prep, head)
            sres = _validate_attestations(step, fres.passed, rego, rego_input, head, memo)
            sres.rejected.extend(fres.rejected)
            if step_name not in results:
                results[step_name] = sres
                seen[step_name] = {_identity(c) for c in sres.passed}
            else:
                acc = results[step_name]
                if head:
                    for c in sres.passed:
                        ident = _identity(c)
                        if ident not in seen[step_name]:
                            seen[step_name].add(ident)
                            acc.passed.append(c)
                else:
                    acc.passed.extend(sres.passed)
                acc.rejected.extend(sres.rejected)
            for c in sres.passed:
                assert c.src is not None
                subject_set.update(c.src.backref_values)

    try:
        _verify_artifacts(policy, results, head)
    except _Abort as exc:
        return _fail(f"failed to verify policy: failed to verify artifacts: {exc}", mode, warnings)

    passed = all(r.passed for r in results.values())
    if head and not policy.steps:
        passed = False
    steps = {name: _public_step(r) for name, r in results.items()}
    reasons: list[str] = []
    log: list[str] = []
    if passed:
        log += ["Verification succeeded", "Evidence:"]
        num = 0
        for name, s in steps.items():
            log.append(f"Step: {name}")
            for p in s.passed:
                log.append(f"{num}: {p.reference}")
                num += 1
        return VerifyResult(True, steps, [], None, log, mode, warnings)
    log += ["Verification failed", "Evidence:"]
    for name, s in steps.items():
        log.append(f"Step: {name}")
        if s.passed:
            log.append(f"Passed with evidence: {s.passed[0].reference}")
            continue
        groups: dict[tuple[str, ...], None] = {}  # witness repeats rejections once per search depth
        for r in s.rejected:
            log.append(r.line())
            groups[(r.line(), *(f"  caused by: {e}" for e in r.errors))] = None
        reasons.extend(line for group in groups for line in group)
    if head and not policy.steps:
        reasons.append("policy has no steps")
    error = "failed to verify policy: policy verification failed"
    log.append(f"error: {error}")
    return VerifyResult(False, steps, reasons, error, log, mode, warnings)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _identity(c: _Candidate) -> tuple[bytes, tuple[str, ...]]:
    payload = bytes(c.src.envelope.payload) if c.src else b""
    return payload, tuple(sorted(v.keyid for v in c.verifiers))


def _check_functionaries(
    step: Step, candidates: list[_Candidate], prep: _PreparedPolicy, head: bool
) -> _Step:
    """go-witness checkFunctionaries. v0.10.0 records a wrong predicate type as a rejection but still
    lets the collection pass if a functionary signed it (it lands in both lists)."""
    out = _Step(step.name)
    for c in candidates:
        ptype = c.src.statement.predicate_type if c.src else ""
        if ptype != COLLECTION_TYPE:
            out.rejected.append((c, f"predicate type {ptype} is not a collection predicate type"))
            if head and c.src is not None:
                continue  # HEAD: a wrong predicate type must not also reach the functionary check
        if not c.verifiers:
            out.rejected.append((c, "no verifiers present to validate against collection verifiers"))
            continue
        for pv in c.verifiers:
            for f in step.functionaries:
                if f.validate(pv, trust_bundles=prep.bundles) is None:
                    c.valid.append(pv)
        if c.valid:
            out.passed.append(c)
        else:
            out.rejected.append((c, f"no verifiers matched with allowed functionaries for step {step.name}"))
    return out


def _validate_attestations(
    step: Step,
    candidates: list[_Candidate],
    rego: RegoEvaluator | None,
    rego_input: Callable[[str, Any], Any],
    head: bool,
    memo: dict[tuple[str, str], str | None],
) -> _Step:
    """go-witness validateAttestations. The outcome for one collection does not depend on the search
    depth, so it is computed once per verify call (`memo`: (step, reference) -> rejection or None)."""
    out = _Step(step.name)
    for c in candidates:
        if c.name != step.name and (head or c.name != ""):
            continue
        key = (step.name, c.reference or "")
        if key not in memo:
            memo[key] = _attestation_errors(step, c, rego, rego_input, head)
        reason = memo[key]
        if reason is None:
            out.passed.append(c)
        else:
            out.rejected.append((c, reason))
    return out


def _attestation_errors(
    step: Step,
    c: _Candidate,
    rego: RegoEvaluator | None,
    rego_input: Callable[[str, Any], Any],
    head: bool,
) -> str | None:
    reasons = [f"collection verification failed: {e}" for e in c.errors]
    if head and not step.attestations:
        reasons.append(
            f"step {step.name} declares no required attestations; an empty attestations list is not a valid gate"
        )
    found: dict[str, list[Any]] = {}
    if c.src is not None and c.src.collection is not None:
        for att in c.src.collection.attestations:
            found.setdefault(att.type, []).append(att.attestation)
    for expected in step.attestations:
        preds = found.get(expected.type)
        if not preds:
            reasons.append(f"missing attestation in collection for step {step.name}: {expected.type}")
            continue
        for pred in preds if head else preds[-1:]:
            err = _rego_deny_error(rego, expected.type, pred, expected.rego_policies, rego_input)
            if err is not None:
                reasons.append(err)
    if reasons:
        return "collection validation failed:\n - " + ",\n - ".join(reasons)
    return None


def _compare_artifacts(
    mats: Mapping[str, Mapping[str, str]], arts: Mapping[str, Mapping[str, str]], head: bool
) -> str | None:
    overlap = False
    for path, mat in mats.items():
        art = arts.get(path)
        if art is None:
            continue
        overlap = True
        if not digest_sets_equal(mat, art, head=head):
            return f"mismatched digests for {path}"
    if head and not overlap:
        return "no artifacts in common between the step's materials and the referenced step's artifacts"
    return None


def _verify_artifacts(policy: Policy, results: dict[str, _Step], head: bool) -> None:
    for step in policy.steps.values():
        res = results.get(step.name)
        if res is None:  # step map key != step name: results are keyed by the map key
            raise _Abort(f"failed to find step {step.name} in step results map")
        if not res.passed:
            res.rejected.append(
                (None, f"failed to verify artifacts for step {step.name}: no passed collections present")
            )
            continue
        errors: list[str] = []
        accepted = False
        for c in res.passed:
            err = _collection_artifacts_error(step, c, results, head)
            if err is None:
                accepted = True
            else:
                errors.append(err)
        if not accepted:
            res.rejected.append(
                (None, "\n".join([f"failed to verify artifacts for step {step.name}: ", *errors]))
            )
            res.passed = []


def _collection_artifacts_error(
    step: Step, c: _Candidate, results: dict[str, _Step], head: bool
) -> str | None:
    assert c.src is not None
    mats = c.src.materials
    reasons: list[str] = []
    for name in step.artifacts_from:
        accepted = 0
        upstream = results.get(name)
        for t in upstream.passed if upstream else []:
            assert t.src is not None
            err = _compare_artifacts(mats, t.src.artifacts, head)
            if err is not None:
                reasons.append(err)
                if head:
                    continue
                break
            accepted += 1
        if not accepted:
            return "failed to verify artifacts: " + ", ".join(reasons)
    return None


def _public_step(r: _Step) -> StepResult:
    passed = [
        PassedCollection(c.reference or "", c.name, tuple(dict.fromkeys(v.keyid for v in c.valid)))
        for c in r.passed
    ]
    rejected = [
        RejectedCollection(
            c.reference if c else None,
            c.name if c else "",
            reason,
            tuple(c.errors) if c else (),
        )
        for c, reason in r.rejected
    ]
    return StepResult(r.step, passed, rejected)
