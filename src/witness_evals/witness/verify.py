"""Executable model of `witness verify` (go-witness policyverify + Policy.Verify), REFERENCE.md §4.

`verify()` is a pure function over in-memory objects: a policy envelope, loaded collection
envelopes (`SourceCollection`), and subject digest values. It does no file I/O so generators and
benchmarks can call it many times per second. Behaviour follows a witness release profile
(`versions.WitnessVersion`, default `0.12`, the latest release): `VerifyOptions(version="0.11")`
switches every difference between releases at once. All trust and policy options travel in one
`VerifyOptions` object (go-witness's `verifyOptions`).

Go iterates maps in random order; this model iterates steps in policy document order and
collections in load order, so results are deterministic.

Speed (the generator and witness-bench call this thousands of times per second): signature checks
are memoised process-wide (`crypto.SIGNATURE_CACHE`), the decoded policy is cached by payload bytes,
collection comparisons are memoised on the `SourceCollection` objects, and all Rego evaluations a
call can need go to the evaluator in one `evaluate_many` batch. None of this changes any result;
`perf_settings(caches=False, batch_rego=False)` turns it off (baselines), `clear_caches()` empties it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from witness_evals.common.errors import InputError, WitnessError
from witness_evals.common.quiet import quiet_stderr
from witness_evals.witness import dsse, versions
from witness_evals.witness.collection import COLLECTION_TYPE, Collection, load_collection_envelope
from witness_evals.witness.constraints import CertConstraint, TrustBundle
from witness_evals.witness.crypto import SIGNATURE_CACHE, Verifier
from witness_evals.witness.digests import digest_sets_equal
from witness_evals.witness.intoto import Statement
from witness_evals.witness.policy import (
    Functionary,
    Policy,
    Step,
    format_go_time,
    parse_policy,
    public_key_verifiers,
    trust_bundles,
)
from witness_evals.witness.rego.outcome import (
    DETERMINISTIC_ERRORS,
    TOO_DEEP,
    RegoEngineLimitError,
    rego_failed_message,
)
from witness_evals.witness.versions import WitnessVersion
from witness_evals.witness.x509 import as_utc

DEFAULT_SEARCH_DEPTH = 3
"""go-witness default; the CLI never changes it."""


# ----------------------------------------------------------------------------- speed switches


@dataclass
class PerfSettings:
    """What `verify` may do to go faster; results are identical either way."""

    caches: bool = True
    """Cross-call caches: signature results, prepared policies, per-collection artifact comparisons."""
    batch_rego: bool = True
    """Send every Rego evaluation a call may need to the evaluator in one `evaluate_many` batch."""


PERF = PerfSettings()
_ARTIFACT_MEMO_SIZE = 256


@contextlib.contextmanager
def perf_settings(*, caches: bool | None = None, batch_rego: bool | None = None) -> Iterator[PerfSettings]:
    """Temporarily change `PERF` (and the signature cache with it), e.g. to measure a baseline."""
    saved = (PERF.caches, PERF.batch_rego, SIGNATURE_CACHE.enabled)
    if caches is not None:
        PERF.caches = SIGNATURE_CACHE.enabled = caches
    if batch_rego is not None:
        PERF.batch_rego = batch_rego
    try:
        yield PERF
    finally:
        PERF.caches, PERF.batch_rego, SIGNATURE_CACHE.enabled = saved


def clear_caches() -> None:
    """Forget cached signature results and prepared policies (per-collection memos live and die with
    their `SourceCollection`)."""
    SIGNATURE_CACHE.clear()
    _prepare_policy.cache_clear()
    _REGO_OUTCOMES.clear()


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
    def load(
        cls, data: bytes, reference: str, *, version: str | WitnessVersion | None = None
    ) -> SourceCollection:
        """Parse an attestation file (DSSE envelope of a collection statement); InputError if malformed.

        `version`: the release loading it (an attestation type that release lacks does not load)."""
        envelope, statement, collection = load_collection_envelope(
            data, source=reference, version=versions.get(version)
        )
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
        # go Collection.Artifacts (materials overlaid with products), reusing the decoded materials
        return {**self.materials, **self.collection.products()} if self.collection is not None else {}

    def materials_mismatch(self, upstream: SourceCollection, version: WitnessVersion) -> str | None:
        """Why this collection's materials disagree with `upstream`'s artifacts (None: they agree).

        A pure function of the two (immutable) collections, memoised on this one for later calls."""
        if not PERF.caches:
            return _compare_artifacts(self.materials, upstream.artifacts, version)
        memo: dict[tuple[int, bool, bool], tuple[SourceCollection, str | None]] = self.__dict__.setdefault(
            "_artifact_memo", {}
        )
        key = (id(upstream), version.strongest_digest, version.artifacts_need_overlap)
        hit = memo.get(key)
        if hit is not None and hit[0] is upstream:
            return hit[1]
        result = _compare_artifacts(self.materials, upstream.artifacts, version)
        if len(memo) >= _ARTIFACT_MEMO_SIZE:
            memo.clear()
        memo[key] = (upstream, result)  # holding `upstream` keeps its id from being reused
        return result


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

    Untrusted policies (user files, model answers) must go through a `RegoSandbox` instead. `quiet`
    silences fd 2 around the engine (it prints parser warnings there), for callers that also compile
    broken modules on purpose (the traps family).
    """

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self._engine: Any = None

    def _silenced(self) -> contextlib.AbstractContextManager[None]:
        return quiet_stderr() if self.quiet else contextlib.nullcontext()

    def evaluate(self, modules: Any, input: Any, mode: str = "verify") -> Any:
        from witness_evals.witness.rego import evaluate_deny

        with self._silenced():
            return evaluate_deny(modules, input, mode)

    def evaluate_many(self, jobs: Iterable[tuple[Any, ...]]) -> list[Any]:
        """`evaluate` for (modules, input[, mode]) jobs, outcomes in job order."""
        from witness_evals.witness.rego import evaluate_deny

        with self._silenced():
            return [evaluate_deny(*job) for job in jobs]

    def check_many(self, jobs: Iterable[tuple[Any, str]]) -> list[Any]:
        """Compile (modules, mode) jobs in process, as `RegoSandbox.check_many` does in its workers."""
        from witness_evals.witness.rego.engine import RegorusEngine

        if self._engine is None:
            self._engine = RegorusEngine()
        with self._silenced():
            return [self._engine.check(modules, mode) for modules, mode in jobs]


TRUSTED_REGO = TrustedRego()
QUIET_TRUSTED_REGO = TrustedRego(quiet=True)
"""`TRUSTED_REGO` with fd 2 silenced: for trusted callers that evaluate broken modules on purpose (traps,
fix questions with a real log, the bench's planted Rego failures)."""


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
    witness_version: str = versions.DEFAULT
    """The release profile it was verified under."""
    warnings: list[str] = field(default_factory=list)
    policy_signature_verified: bool = True
    """The policyverify attestor got past the policy signature check (go-witness then logs
    `policy signature verified`)."""
    attestor_seconds: float | None = field(default=None, compare=False)
    """The `(Ns)` of go-witness's `Finished policyverify attestor...` line, logged only when the attestor
    returned no error (a pass or a step failure); None when it failed. Derived from the inputs, never the
    clock (`_attestor_seconds`)."""

    def text(self) -> str:
        """What `witness-evals verify` prints on stdout (no trailing newline)."""
        if self.passed:
            return "\n".join(self.log)
        return "\n".join(["Verification failed", *self.reasons, self.error or "failed to verify policy"])

    def to_json(self) -> dict[str, Any]:
        return {
            "result": "PASS" if self.passed else "FAIL",
            "witness_version": self.witness_version,
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
    has_rego: bool = False
    fingerprint: bytes = b""
    """SHA-256 of the policy's content (`_fingerprint`)."""


def _prepared_policy(payload: bytes) -> _PreparedPolicy:
    return _prepare_policy(payload) if PERF.caches else _prepare_policy.__wrapped__(payload)


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
        has_rego=any(a.rego_policies for st in policy.steps.values() for a in st.attestations),
        fingerprint=_fingerprint(payload),
    )


def _fingerprint(payload: bytes) -> bytes:
    """SHA-256 of the policy's JSON with sorted keys and without `expires`: the same for the same policy
    however it was serialized (re-read from a prompt and signed again) and whatever future expiry it
    has (callers memoise results on that, as witness only compares `expires` with the clock)."""
    try:
        doc = json.loads(payload)
        if isinstance(doc, dict):
            doc.pop("expires", None)
        canonical = json.dumps(doc, sort_keys=True).encode()
    except ValueError:
        canonical = payload
    return hashlib.sha256(canonical).digest()


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


def _verify_policy_signature(envelope: dsse.Envelope, opts: VerifyOptions, now: datetime) -> None:
    """go-witness internal/policy VerifyPolicySignature, as the profile's release implements it."""
    version = opts.version
    try:
        passed = dsse.verify_envelope(
            envelope,
            list(opts.policy_verifiers),
            roots=opts.policy_roots,
            intermediates=opts.policy_intermediates,
            timestamp_authorities=opts.policy_timestamp_authorities,
            now=now,
            tsa_requires_eku=version.tsa_requires_eku,
        )
    except dsse.DSSEError as exc:
        raise _Abort(f"failed to verify policy signature: could not verify policy: {exc}") from None
    if not version.failed_policy_verifiers_ignored and any(
        v.certificate is None for v in opts.policy_verifiers
    ):
        # before go-witness v0.12.0 every CHECKED verifier was tried against a functionary, failed
        # ones included, and a key verifier always satisfies its own `key` functionary
        return
    constraints = opts.policy_constraints
    if constraints is None and not version.x509_policy_signer_needs_constraints:
        constraints = PolicySignerConstraints()  # the library's old default: `*` everywhere
    bundles = {f"root{i}": TrustBundle(r, []) for i, r in enumerate(opts.policy_roots)}
    f = None
    if constraints is not None:
        cc = CertConstraint(
            common_name=constraints.common_name,
            dns_names=list(constraints.dns_names),
            emails=list(constraints.emails),
            organizations=list(constraints.organizations),
            uris=list(constraints.uris),
            roots=list(bundles),
            extensions=dict(constraints.extensions),
        )
        f = Functionary(type="root", cert_constraint=cc, publickeyid="")
    for pv in passed:
        if pv.certificate is None:
            return  # a key verifier always satisfies its own `key` functionary
        # go-witness v0.12.0 refuses an x509 signer until constraints are configured (f is None)
        if f is not None and f.validate(pv, trust_bundles=bundles) is None:
            return
    raise _Abort("failed to verify policy signature: no policy verifiers passed verification")


def _rego_modules(policies: Sequence[Any]) -> tuple[tuple[str, str], ...]:
    # (name, source) pairs in policy order: a later module with the same name replaces the earlier
    # one, as OPA's rego.ParsedModule map does (the Rego layer models the consequences)
    return tuple((rp.name, rp.module.decode("utf-8", errors="replace")) for rp in policies)


class _RegoOutcomeCache:
    """Cross-call memo of Rego outcomes for the same evidence re-verified.

    Keyed by the evaluator, the input function, the module texts, the attestation type and the
    predicate OBJECT (identity, so nothing is re-encoded: the predicate of a loaded `SourceCollection`
    never changes); entries hold the objects they were computed from and only count while those are
    the very same ones. Only outcomes the engine decides by itself are kept (a verdict, or a parse /
    invalid-data / evaluation / unsupported-builtin error); timeouts, crashes, memory and size-limit
    outcomes are evaluated again every time.
    """

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[tuple[Any, ...], tuple[Any, Any, Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, rego: Any, fn: Any, modules: tuple[tuple[str, str], ...], att_type: str, pred: Any) -> Any:
        if not PERF.caches:
            return None
        key = (id(rego), id(fn), modules, att_type, id(pred))
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            self._data.move_to_end(key)
        ref, hit_fn, hit_pred, outcome = hit
        return outcome if ref() is rego and hit_fn is fn and hit_pred is pred else None

    def put(
        self, rego: Any, fn: Any, modules: tuple[tuple[str, str], ...], att_type: str, pred: Any, outcome: Any
    ) -> None:
        if not PERF.caches:
            return
        status = getattr(outcome, "status", None)
        if status != "ok" and not (status == "error" and outcome.kind in DETERMINISTIC_ERRORS):
            return
        try:
            ref = weakref.ref(rego)
        except TypeError:  # an evaluator without weakref support is not cached
            return
        with self._lock:
            self._data[(id(rego), id(fn), modules, att_type, id(pred))] = (ref, fn, pred, outcome)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_REGO_OUTCOMES = _RegoOutcomeCache()


def _rego_deny_error(
    rego: RegoEvaluator | None,
    att_type: str,
    predicate: Any,
    policies: Sequence[Any],
    rego_input: Callable[[str, Any], Any],
    outcome: Any = None,
) -> str | None:
    """go-witness EvaluateRegoPolicy: None if allowed, else the error text. `outcome`: the result of
    this very evaluation when it was already done in a batch."""
    if not policies:
        return None
    if outcome is None:
        if rego is None:
            raise _NeedRego
        modules = _rego_modules(policies)
        outcome = _REGO_OUTCOMES.get(rego, rego_input, modules, att_type, predicate)
        if outcome is None:
            outcome = rego.evaluate(list(modules), rego_input(att_type, predicate), mode="verify")
            _REGO_OUTCOMES.put(rego, rego_input, modules, att_type, predicate, outcome)
    if outcome.kind == TOO_DEEP:  # not a verdict: the engine cannot parse what OPA would
        raise RegoEngineLimitError(f"the Rego policy of attestation {att_type}: {outcome.error}")
    if outcome.status != "ok":  # parse/eval error, invalid deny data, or a sandbox timeout/crash
        return str(outcome.error or outcome.status)
    if outcome.deny:
        return rego_failed_message(att_type, list(outcome.deny))
    return None


class _NeedRego(Exception):
    """Raised when Rego must run but no evaluator was given (verify opens a sandbox then)."""


def _prefetch_rego(
    policy: Policy,
    source: MemorySource,
    digests: set[str],
    search_depth: int,
    verify_collection: Callable[[SourceCollection], _Candidate],
    prep: _PreparedPolicy,
    version: WitnessVersion,
    valid_memo: dict[tuple[int, str], list[Any]],
    rego: RegoEvaluator,
    rego_input: Callable[[str, Any], Any],
    rego_done: dict[tuple[int, int], Any],
) -> None:
    """Evaluate every Rego check this call can reach in ONE `evaluate_many` round trip.

    Replays the search with an over-approximated subject set: a collection's backrefs join it as soon
    as a functionary accepts the collection, whatever its attestations say, so the batch covers every
    (step, collection) the real search validates (plus, on failing evidence, a few it never reaches).
    Outcomes land in `rego_done` keyed by (attestation policy, predicate); Rego evaluation is a pure
    function of modules and input, so the real search uses them as if it had evaluated them itself.
    Anything missing, or everything if this replay hits an error, is evaluated on demand as before.
    """
    many = getattr(rego, "evaluate_many", None)
    if many is None:
        return
    reach = set(digests)
    visited: set[tuple[int, str]] = set()
    keys: list[tuple[int, int]] = []
    jobs: list[tuple[list[tuple[str, str]], Any, str]] = []
    cache_keys: list[tuple[tuple[tuple[str, str], ...], str, Any]] = []
    try:
        for _depth in range(search_depth):
            size = len(reach)
            for step_name, step in policy.steps.items():
                types = [a.type for a in step.attestations]
                for src in source.search(step_name, reach, types):
                    if (id(step), src.reference) in visited:
                        continue
                    visited.add((id(step), src.reference))
                    c = verify_collection(src)
                    if not c.verifiers or not _valid_verifiers(step, c, prep, valid_memo):
                        continue
                    if not _name_matches(c.name, step.name, version):
                        continue
                    found = _predicates_by_type(c)
                    for expected in step.attestations:
                        if not expected.rego_policies:
                            continue
                        preds = found.get(expected.type) or []
                        for pred in preds if version.rego_on_every_attestation else preds[-1:]:
                            key = (id(expected), id(pred))
                            if key in rego_done:
                                continue
                            modules = _rego_modules(expected.rego_policies)
                            hit = _REGO_OUTCOMES.get(rego, rego_input, modules, expected.type, pred)
                            rego_done[key] = hit
                            if hit is None:
                                keys.append(key)
                                cache_keys.append((modules, expected.type, pred))
                                jobs.append((list(modules), rego_input(expected.type, pred), "verify"))
                    reach.update(src.backref_values)
            if len(reach) == size:
                break  # fixpoint: later depths find nothing new
        outcomes = many(jobs) if jobs else []
    except Exception:  # replay only: the real search meets (and reports) any error it can reach
        rego_done.clear()
        return
    if len(outcomes) != len(jobs):
        rego_done.clear()
        return
    rego_done.update(zip(keys, outcomes, strict=True))
    for (modules, att_type, pred), outcome in zip(cache_keys, outcomes, strict=True):
        _REGO_OUTCOMES.put(rego, rego_input, modules, att_type, pred, outcome)


def _default_rego_input(att_type: str, predicate: Any) -> Any:
    from witness_evals.witness import attestors

    spec = attestors.by_type(att_type)
    return spec.rego_input(predicate) if spec is not None else predicate


@dataclass(frozen=True)
class VerifyOptions:
    """Everything `witness verify` is told besides the policy, the attestations and the subjects
    (go-witness `verifyOptions`): the release profile, policy trust, Rego evaluator, clock, depth.

    Sequences are stored as tuples; `version` may be given by name (`"0.11"`)."""

    version: WitnessVersion = field(default_factory=versions.get)
    """The witness release whose behaviour is modelled (default: the latest, `0.12`)."""
    policy_verifiers: Sequence[Verifier] = ()
    """`-k` keys (and KMS verifiers) for the policy signature."""
    policy_roots: Sequence[Any] = ()
    """`--policy-ca-roots` certificates."""
    policy_intermediates: Sequence[Any] = ()
    """`--policy-ca-intermediates` certificates."""
    policy_timestamp_authorities: Sequence[Any] = ()
    """`--policy-timestamp-servers` certificates."""
    policy_constraints: PolicySignerConstraints | None = None
    """`--policy-commonname/-dns-names/...` for an x509 policy signer. None: not configured (the CLI
    always configures them; the library since go-witness v0.12.0 then refuses x509 policy signers)."""
    allow_unsigned_policy: bool = False
    rego: RegoEvaluator | None = None
    """Rego evaluator (a shared `RegoSandbox`); None: a sandbox is opened when a policy has Rego."""
    now: datetime | None = None
    search_depth: int = DEFAULT_SEARCH_DEPTH
    rego_input: Callable[[str, Any], Any] = _default_rego_input

    def __post_init__(self) -> None:
        object.__setattr__(self, "version", versions.get(self.version))
        for name in (
            "policy_verifiers",
            "policy_roots",
            "policy_intermediates",
            "policy_timestamp_authorities",
        ):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def but(self, **changes: Any) -> VerifyOptions:
        """A copy with `changes` (field names of this class)."""
        return replace(self, **changes) if changes else self


def verify(
    policy_envelope: dsse.Envelope,
    collections: Sequence[SourceCollection] | MemorySource,
    subject_digests: Iterable[str],
    options: VerifyOptions | None = None,
    /,
    **changes: Any,
) -> VerifyResult:
    """Model `witness verify`: return PASS/FAIL with per-step results and witness's reasons.

    `collections` are the loaded `-a` files; `subject_digests` the digest values from `-f`,
    `--directory-path` and `-s`; `options` everything else (`VerifyOptions`; keyword `changes` are
    applied on top, e.g. `verify(env, cols, digests, policy_verifiers=[key], version="0.11")`).
    """
    opts = (options or VerifyOptions()).but(**changes)
    try:
        return _verify(policy_envelope, collections, list(subject_digests), opts)
    except _NeedRego:
        from witness_evals.witness.rego import RegoSandbox

        with RegoSandbox() as sandbox:
            return verify(policy_envelope, collections, subject_digests, opts.but(rego=sandbox))


def _fail(
    error: str, version: WitnessVersion, warnings: Sequence[str] = (), *, signature_verified: bool = True
) -> VerifyResult:
    """policyverify.Attest returned `error`: witness.Verify returns only the joined attestor error."""
    full = f"failed to verify policy: attestors failed with error messages\nattestor policyverify failed: {error}"
    return VerifyResult(
        passed=False,
        steps={},
        reasons=[error],
        error=full,
        log=[f"error: {full}"],
        witness_version=version.name,
        warnings=list(warnings),
        policy_signature_verified=signature_verified,
    )


def _attestor_seconds(prep: _PreparedPolicy, digests: Iterable[str]) -> float:
    """What go-witness's `Finished policyverify attestor... (%vs)` reports (`time.Since(start).Seconds()`,
    whole nanoseconds): a realistic duration hashed from the policy's content and the subjects, so the
    same run always prints the same bytes. Rego (OPA compiling the modules) makes a run slower."""
    h = hashlib.sha256(prep.fingerprint + "\0".join(sorted(set(digests))).encode()).digest()
    lo, hi = (8_000_000, 60_000_000) if prep.has_rego else (600_000, 9_000_000)
    return (lo + int.from_bytes(h[:8], "big") % (hi - lo)) / 1e9


def _verify(
    envelope: dsse.Envelope,
    collections: Sequence[SourceCollection] | MemorySource,
    digests: list[str],
    opts: VerifyOptions,
) -> VerifyResult:
    version = opts.version
    rego, rego_input, search_depth = opts.rego, opts.rego_input, opts.search_depth
    now = opts.now or datetime.now(UTC)
    source = collections if isinstance(collections, MemorySource) else MemorySource(collections)
    try:
        if not opts.allow_unsigned_policy:
            _verify_policy_signature(envelope, opts, now)
    except _Abort as exc:
        return _fail(str(exc), version, signature_verified=False)
    try:
        prep = _prepared_policy(bytes(envelope.payload))
    except _Abort as exc:
        return _fail(str(exc), version)
    policy = prep.policy
    warnings = list(prep.warnings)

    if not digests:
        return _fail(
            "failed to verify policy: invalid option (subject digests): at least one subject digest is required",
            version,
            warnings,
        )
    if search_depth < 1:
        return _fail(
            "failed to verify policy: invalid option (search depth): search depth must be at least 1",
            version,
            warnings,
        )
    if policy.expires is None or now > as_utc(policy.expires):
        return _fail(
            f"failed to verify policy: policy expired on {format_go_time(policy.expires)}", version, warnings
        )

    envelope_cache: dict[str, tuple[list[Any], list[str]]] = {}
    # go-witness v0.9.1 drops the intermediates of the policy's roots (policyverify.go:179)
    collection_intermediates = prep.intermediates if version.policy_root_intermediates else ()

    def verify_collection(src: SourceCollection) -> _Candidate:
        hit = envelope_cache.get(src.reference)
        if hit is None:
            try:
                passed = dsse.verify_envelope(
                    src.envelope,
                    list(prep.verifiers),
                    roots=prep.roots,
                    intermediates=collection_intermediates,
                    timestamp_authorities=prep.tsa,
                    now=now,
                    tsa_requires_eku=version.tsa_requires_eku,
                )
                errs = [] if passed else ["no verifiers passed"]
            except dsse.DSSEError as exc:
                passed, errs = [], [f"failed to verify envelope: {exc}"]
            hit = envelope_cache[src.reference] = (list(passed), errs)
        return _Candidate(src, list(hit[0]), list(hit[1]))

    subject_set: set[str] = set(digests)
    memo: dict[tuple[int, str], str | None] = {}
    valid_memo: dict[tuple[int, str], list[Any]] = {}
    rego_done: dict[tuple[int, int], Any] = {}
    results: dict[str, _Step] = {}
    seen: dict[str, set[Any]] = {}
    seen_rejected: dict[str, set[Any]] = {}

    if rego is not None and prep.has_rego and PERF.batch_rego:
        _prefetch_rego(
            policy, source, subject_set, search_depth, verify_collection, prep, version, valid_memo, rego,
            rego_input, rego_done,
        )  # fmt: skip

    for _depth in range(search_depth):
        for step_name, step in policy.steps.items():
            types = [a.type for a in step.attestations]
            found = [verify_collection(s) for s in source.search(step_name, subject_set, types)]
            if not found:
                found = [_Candidate(None, [], [f"no collections found for step {step_name}"])]
            fres = _check_functionaries(step, found, prep, valid_memo)
            sres = _validate_attestations(step, fres.passed, rego, rego_input, version, memo, rego_done)
            sres.rejected.extend(fres.rejected)
            if version.dedupe_results:  # go-witness v0.12.0 appendUniqueCollections / appendUniqueRejected
                acc = results.setdefault(step_name, _Step(sres.step))
                passed_ids = seen.setdefault(step_name, set())
                for c in sres.passed:
                    ident = _identity(c)
                    if ident not in passed_ids:
                        passed_ids.add(ident)
                        acc.passed.append(c)
                rejected_ids = seen_rejected.setdefault(step_name, set())
                for rc, reason in sres.rejected:
                    rkey = (_identity(rc) if rc is not None else None, reason)
                    if rkey not in rejected_ids:
                        rejected_ids.add(rkey)
                        acc.rejected.append((rc, reason))
            elif step_name not in results:
                results[step_name] = sres
            else:
                acc = results[step_name]
                acc.passed.extend(sres.passed)
                acc.rejected.extend(sres.rejected)
            for c in sres.passed:
                assert c.src is not None
                subject_set.update(c.src.backref_values)

    try:
        _verify_artifacts(policy, results, version)
    except _Abort as exc:
        return _fail(f"failed to verify policy: failed to verify artifacts: {exc}", version, warnings)

    no_steps = version.zero_step_fails and not policy.steps
    passed = all(r.passed for r in results.values()) and not no_steps
    steps = {name: _public_step(r) for name, r in results.items()}
    seconds = _attestor_seconds(prep, digests)
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
        return VerifyResult(True, steps, [], None, log, version.name, warnings, attestor_seconds=seconds)
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
    if no_steps:
        reasons.append("policy has no steps")
    error = "failed to verify policy: policy verification failed"
    log.append(f"error: {error}")
    return VerifyResult(False, steps, reasons, error, log, version.name, warnings, attestor_seconds=seconds)


def _identity(c: _Candidate) -> tuple[bytes, tuple[str, ...]]:
    """go-witness v0.12.0 collectionIdentity: the statement and the accepted signers' key ids."""
    payload = bytes(c.src.envelope.payload) if c.src else b""
    return payload, tuple(sorted({v.keyid for v in c.valid}))


def _name_matches(collection: str, step: str, version: WitnessVersion) -> bool:
    """validateAttestations' name filter: before go-witness v0.12.0 an unnamed collection matched any step."""
    return collection == step or (collection == "" and not version.exact_collection_name)


def _valid_verifiers(
    step: Step, c: _Candidate, prep: _PreparedPolicy, valid_memo: dict[tuple[int, str], list[Any]]
) -> list[Any]:
    """The candidate's verifiers accepted by the step's functionaries, once per (step, collection)
    per call (a candidate's verifiers are the same at every search depth)."""
    key = (id(step), c.reference or "")
    valid = valid_memo.get(key)
    if valid is None:
        valid = valid_memo[key] = [
            pv
            for pv in c.verifiers
            for f in step.functionaries
            if f.validate(pv, trust_bundles=prep.bundles) is None
        ]
    return valid


def _check_functionaries(
    step: Step,
    candidates: list[_Candidate],
    prep: _PreparedPolicy,
    valid_memo: dict[tuple[int, str], list[Any]],
) -> _Step:
    """go-witness checkFunctionaries. Every release records a wrong predicate type as a rejection but
    still lets the collection pass if a functionary signed it (it lands in both lists)."""
    out = _Step(step.name)
    for c in candidates:
        ptype = c.src.statement.predicate_type if c.src else ""
        if ptype != COLLECTION_TYPE:
            out.rejected.append((c, f"predicate type {ptype} is not a collection predicate type"))
        if not c.verifiers:
            out.rejected.append((c, "no verifiers present to validate against collection verifiers"))
            continue
        c.valid.extend(_valid_verifiers(step, c, prep, valid_memo))
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
    version: WitnessVersion,
    memo: dict[tuple[int, str], str | None],
    rego_done: dict[tuple[int, int], Any],
) -> _Step:
    """go-witness validateAttestations. The outcome for one collection does not depend on the search
    depth, so it is computed once per verify call (`memo`: (step, reference) -> rejection or None)."""
    out = _Step(step.name)
    for c in candidates:
        if not _name_matches(c.name, step.name, version):
            continue
        key = (id(step), c.reference or "")
        if key not in memo:
            memo[key] = _attestation_errors(step, c, rego, rego_input, version, rego_done)
        reason = memo[key]
        if reason is None:
            out.passed.append(c)
        else:
            out.rejected.append((c, reason))
    return out


def _predicates_by_type(c: _Candidate) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    if c.src is not None and c.src.collection is not None:
        for att in c.src.collection.attestations:
            found.setdefault(att.type, []).append(att.attestation)
    return found


def _attestation_errors(
    step: Step,
    c: _Candidate,
    rego: RegoEvaluator | None,
    rego_input: Callable[[str, Any], Any],
    version: WitnessVersion,
    rego_done: dict[tuple[int, int], Any],
) -> str | None:
    reasons = [f"collection verification failed: {e}" for e in c.errors]
    if version.empty_attestations_fails and not step.attestations:
        reasons.append(versions.EMPTY_ATTESTATIONS_ERROR.format(step=step.name))
    found = _predicates_by_type(c)
    for expected in step.attestations:
        preds = found.get(expected.type)
        if not preds:
            reasons.append(f"missing attestation in collection for step {step.name}: {expected.type}")
            continue
        for pred in preds if version.rego_on_every_attestation else preds[-1:]:
            err = _rego_deny_error(
                rego,
                expected.type,
                pred,
                expected.rego_policies,
                rego_input,
                rego_done.get((id(expected), id(pred))),
            )
            if err is not None:
                reasons.append(err)
    if reasons:
        return "collection validation failed:\n - " + ",\n - ".join(reasons)
    return None


def _compare_artifacts(
    mats: Mapping[str, Mapping[str, str]], arts: Mapping[str, Mapping[str, str]], version: WitnessVersion
) -> str | None:
    overlap = False
    for path, mat in mats.items():
        art = arts.get(path)
        if art is None:
            continue
        overlap = True
        if not digest_sets_equal(mat, art, strongest=version.strongest_digest):
            return f"mismatched digests for {path}"
    if version.artifacts_need_overlap and not overlap:
        return versions.NO_ARTIFACT_OVERLAP_ERROR
    return None


def _verify_artifacts(policy: Policy, results: dict[str, _Step], version: WitnessVersion) -> None:
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
            err = _collection_artifacts_error(step, c, results, version)
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
    step: Step, c: _Candidate, results: dict[str, _Step], version: WitnessVersion
) -> str | None:
    """go-witness verifyCollectionArtifacts. v0.12.0: every upstream candidate is tried until one
    matches, reasons are kept per edge and de-duplicated; before: the search stops at the first
    mismatching candidate and reasons pile up across edges."""
    assert c.src is not None
    reasons: list[str] = []
    for name in step.artifacts_from:
        if version.artifacts_need_overlap:
            reasons = []
        accepted = 0
        upstream = results.get(name)
        for t in upstream.passed if upstream else []:
            assert t.src is not None
            err = c.src.materials_mismatch(t.src, version)
            if err is not None:
                if not version.artifacts_need_overlap:
                    reasons.append(err)
                    break
                if err not in reasons:
                    reasons.append(err)
                continue
            accepted += 1
            if version.artifacts_need_overlap:
                break
        if not accepted:
            # ErrVerifyArtifactsFailed: fmt.Sprintf("failed to verify artifacts: %v", reasons), a Go []string
            return "failed to verify artifacts: [" + " ".join(reasons) + "]"
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
