"""Functionary certificate constraints (go-witness policy/constraints.go, step.go `Validate`).

Rules (REFERENCE.md §4.6, trap 12): for common name, DNS names, emails, organizations and URIs a
constraint of exactly `["*"]` (`"*"` for the common name) allows anything; anything else is
exact set equality, and an empty constraint means the certificate must have none. Roots: `["*"]`
= chains to any policy root, else to one of the named ids. Extensions: each non-empty value is a
gobwas/glob pattern matched against the Fulcio extension value (implemented here as a Thompson
NFA, so hostile patterns run in linear time).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from witness_evals.witness import x509
from witness_evals.witness.gocompat import go_quote_ascii

ALLOW_ALL = "*"
MAX_GLOB_LEN = 4096

# Fulcio certificate.Extensions: (Go field name, JSON tag) in struct order (fulcio v1.8.x).
FULCIO_EXTENSION_FIELDS: tuple[tuple[str, str], ...] = (
    ("Issuer", "issuer"),
    ("GithubWorkflowTrigger", "githubWorkflowTrigger"),
    ("GithubWorkflowSHA", "githubWorkflowSHA"),
    ("GithubWorkflowName", "githubWorkflowName"),
    ("GithubWorkflowRepository", "githubWorkflowRepository"),
    ("GithubWorkflowRef", "githubWorkflowRef"),
    ("BuildSignerURI", "buildSignerURI"),
    ("BuildSignerDigest", "buildSignerDigest"),
    ("RunnerEnvironment", "runnerEnvironment"),
    ("SourceRepositoryURI", "sourceRepositoryURI"),
    ("SourceRepositoryDigest", "sourceRepositoryDigest"),
    ("SourceRepositoryRef", "sourceRepositoryRef"),
    ("SourceRepositoryIdentifier", "sourceRepositoryIdentifier"),
    ("SourceRepositoryOwnerURI", "sourceRepositoryOwnerURI"),
    ("SourceRepositoryOwnerIdentifier", "sourceRepositoryOwnerIdentifier"),
    ("BuildConfigURI", "buildConfigURI"),
    ("BuildConfigDigest", "buildConfigDigest"),
    ("BuildTrigger", "buildTrigger"),
    ("RunInvocationURI", "runInvocationURI"),
    ("SourceRepositoryVisibilityAtSigning", "sourceRepositoryVisibilityAtSigning"),
)


@dataclass
class TrustBundle:
    """A parsed policy root with its intermediates (go-witness `TrustBundle`)."""

    root: Any
    intermediates: list[Any]


class Identity(Protocol):
    """What a constraint looks at (`x509.CertIdentity` provides it)."""

    @property
    def common_name(self) -> str: ...
    @property
    def dns_names(self) -> Sequence[str]: ...
    @property
    def emails(self) -> Sequence[str]: ...
    @property
    def organizations(self) -> Sequence[str]: ...
    @property
    def uris(self) -> Sequence[str]: ...
    @property
    def extensions(self) -> Mapping[str, str]: ...


# --------------------------------------------------------------------------------------------
# Go's %+q
# --------------------------------------------------------------------------------------------


def go_quote_list(items: Iterable[str]) -> str:
    """Go's `%+q` on a `[]string` / `[]error`: `["a" "b"]`."""
    return "[" + " ".join(go_quote_ascii(s) for s in items) + "]"


# --------------------------------------------------------------------------------------------
# gobwas/glob subset: * ? [abc] [!abc] [a-z] [!a-z] {a,b} and \-escapes, no separators
# --------------------------------------------------------------------------------------------


class GlobError(ValueError):
    """A pattern gobwas/glob would refuse (go-witness `MustCompile` would panic on it)."""


_Pred = tuple[
    str, Any
]  # ("any", None) | ("lit", ch) | ("set", (negated, chars)) | ("range", (negated, lo, hi))


def _parse_glob(pattern: str) -> list[Any]:
    """AST: a sequence of ("star",) | ("pred", pred) | ("alt", [sequence, ...])."""
    pos = 0
    n = len(pattern)

    def parse_seq(in_alt: bool) -> list[Any]:
        nonlocal pos
        seq: list[Any] = []
        while pos < n:
            ch = pattern[pos]
            if in_alt and ch in ",}":
                return seq
            pos += 1
            if ch == "*":
                while pos < n and pattern[pos] == "*":
                    pos += 1
                seq.append(("star",))
            elif ch == "?":
                seq.append(("pred", ("any", None)))
            elif ch == "\\":
                if pos >= n:
                    raise GlobError("unexpected end of pattern after escape")
                seq.append(("pred", ("lit", pattern[pos])))
                pos += 1
            elif ch == "[":
                seq.append(("pred", parse_class()))
            elif ch == "{":
                branches = [parse_seq(True)]
                while True:
                    if pos >= n:
                        raise GlobError("unclosed '{' in pattern")
                    if pattern[pos] == ",":
                        pos += 1
                        branches.append(parse_seq(True))
                        continue
                    pos += 1  # "}"
                    break
                seq.append(("alt", branches))
            else:
                seq.append(("pred", ("lit", ch)))
        return seq

    def parse_class() -> _Pred:
        nonlocal pos
        negated = False
        if pos < n and pattern[pos] == "!":
            negated = True
            pos += 1
        chars: list[str] = []
        while pos < n and pattern[pos] != "]":
            ch = pattern[pos]
            if ch == "\\" and pos + 1 < n:
                pos += 1
                ch = pattern[pos]
            chars.append(ch)
            pos += 1
        if pos >= n:
            raise GlobError("unclosed '[' in pattern")
        pos += 1
        if not chars:
            raise GlobError("empty character class in pattern")
        if len(chars) == 3 and chars[1] == "-":
            if chars[0] > chars[2]:
                raise GlobError(f"invalid range {chars[0]}-{chars[2]} in pattern")
            return ("range", (negated, chars[0], chars[2]))
        return ("set", (negated, frozenset(chars)))

    seq = parse_seq(False)
    return seq


def _pred_ok(pred: _Pred, ch: str) -> bool:
    kind, data = pred
    if kind == "any":
        return True
    if kind == "lit":
        return bool(ch == data)
    if kind == "set":
        negated, chars = data
        return (ch in chars) != negated
    negated, lo, hi = data
    return (lo <= ch <= hi) != negated


@dataclass
class Glob:
    """A compiled glob; `match` runs an NFA simulation (linear in pattern x text)."""

    pattern: str
    # state i: ("pred", pred, next) | ("split", [nexts]) | ("match",)
    _states: list[list[Any]] = field(default_factory=list, repr=False)
    _start: int = 0

    @classmethod
    def compile(cls, pattern: str) -> Glob:
        if len(pattern) > MAX_GLOB_LEN:
            raise GlobError(f"pattern longer than {MAX_GLOB_LEN} characters")
        g = cls(pattern)
        g._states.append(["match"])
        g._start = g._build(_parse_glob(pattern), 0)
        return g

    def _build(self, seq: list[Any], nxt: int) -> int:
        for node in reversed(seq):
            if node[0] == "pred":
                self._states.append(["pred", node[1], nxt])
                nxt = len(self._states) - 1
            elif node[0] == "star":
                split = len(self._states)
                self._states.append(["split", []])
                self._states.append(["pred", ("any", None), split])
                self._states[split][1] = [split + 1, nxt]
                nxt = split
            else:  # alt
                starts = [self._build(branch, nxt) for branch in node[1]]
                self._states.append(["split", starts])
                nxt = len(self._states) - 1
        return nxt

    def _closure(self, states: Iterable[int]) -> set[int]:
        seen: set[int] = set()
        stack = list(states)
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            if self._states[s][0] == "split":
                stack.extend(self._states[s][1])
        return seen

    def match(self, text: str) -> bool:
        current = self._closure([self._start])
        for ch in text:
            nxt = [st[2] for s in current if (st := self._states[s])[0] == "pred" and _pred_ok(st[1], ch)]
            if not nxt:
                return False
            current = self._closure(nxt)
        return 0 in current


def glob_match(pattern: str, value: str) -> bool:
    """gobwas `glob.MustCompile(pattern).Match(value)` without separators; GlobError if invalid."""
    return Glob.compile(pattern).match(value)


# --------------------------------------------------------------------------------------------
# CertConstraint
# --------------------------------------------------------------------------------------------


def check_attribute(attribute: str, constraints: Sequence[str], values: Sequence[str]) -> str | None:
    """go-witness `checkCertConstraint`: `None` if the values satisfy the constraint."""
    cons = list(constraints)
    vals = list(values)
    if len(cons) == 1 and cons[0] == ALLOW_ALL:
        return None
    if len(cons) == 1 and cons[0] == "":
        cons = []
    if len(vals) == 1 and vals[0] == "":
        vals = []
    if not cons and vals:
        return f"not expecting any {attribute}(s), but cert has {len(vals)} {attribute}(s)"
    unmet = set(cons)
    for v in vals:
        if v not in unmet:
            return f"cert has an unexpected {attribute} {v} given constraints {go_quote_list(cons)}"
        unmet.discard(v)
    if unmet:
        return f"cert with {attribute}(s) {go_quote_list(vals)}Did not pass all constraints {go_quote_list(cons)}"
    return None


@dataclass
class CertConstraint:
    """x509 identity a functionary must have; `extensions` keyed by Fulcio Go field name (`Issuer`, ...)."""

    common_name: str = ""
    dns_names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    uris: list[str] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    extensions: dict[str, str] = field(default_factory=dict)

    def check(self, identity: Identity, chained_root_ids: set[str] | frozenset[str]) -> list[str]:
        """Errors (go texts) of `CertConstraint.Check`; empty list = the certificate passes.

        `chained_root_ids`: ids of the policy roots the certificate chains to.
        """
        errs: list[str] = []
        for attribute, cons, vals in (
            ("common name", [self.common_name], [identity.common_name]),
            ("dns name", self.dns_names, identity.dns_names),
            ("email", self.emails, identity.emails),
            ("organization", self.organizations, identity.organizations),
            ("uri", self.uris, identity.uris),
        ):
            err = check_attribute(attribute, cons, vals)
            if err is not None:
                errs.append(err)
        if len(self.roots) == 1 and self.roots[0] == ALLOW_ALL:
            roots_ok = bool(chained_root_ids)
        else:
            roots_ok = any(r in chained_root_ids for r in self.roots)
        if not roots_ok:
            errs.append(
                f"cert doesn't belong to any root specified by constraint {go_quote_list(self.roots)}"
            )
        ext_error = getattr(identity, "extension_error", None)
        if ext_error:
            errs.append(f"error parsing fulcio cert extensions: {ext_error}")
            return errs
        cert_ext = identity.extensions or {}
        for go_name, _tag in FULCIO_EXTENSION_FIELDS:
            pattern = self.extensions.get(go_name, "")
            if not pattern:
                continue
            try:
                ok = glob_match(pattern, cert_ext.get(go_name, "") or "")
            except GlobError as exc:  # go-witness would panic (glob.MustCompile)
                errs.append(f"invalid glob {go_quote_ascii(pattern)} for cert field {go_name}: {exc}")
                break
            if not ok:
                errs.append(f"cert field {go_name} doesn't match constraint {go_quote_ascii(pattern)}")
                break
        return errs

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "commonname": self.common_name,
            "dnsnames": list(self.dns_names),
            "emails": list(self.emails),
            "organizations": list(self.organizations),
            "uris": list(self.uris),
            "roots": list(self.roots),
        }
        ext = {tag: self.extensions[go] for go, tag in FULCIO_EXTENSION_FIELDS if self.extensions.get(go)}
        if ext:
            out["extensions"] = ext
        return out


def constraint_failure(errs: Sequence[str]) -> str:
    """go-witness `ErrConstraintCheckFailed` text."""
    return f"cert failed constraints check: {go_quote_list(errs)}"


# --------------------------------------------------------------------------------------------
# Functionary.Validate
# --------------------------------------------------------------------------------------------


def chained_roots(
    certificate: Any,
    bundles: Mapping[str, TrustBundle],
    *,
    intermediates: Sequence[Any] = (),
    at: datetime | None = None,
) -> set[str]:
    """Ids of the bundles whose root the certificate chains to (`X509Verifier.BelongsToRoot`).

    As in go-witness, the chain may use the given intermediates and every policy intermediate.
    """
    pool = list(intermediates)
    for b in bundles.values():
        pool.extend(b.intermediates)
    return x509.chained_root_ids(certificate, pool, {rid: b.root for rid, b in bundles.items()}, at)


class Functionary(Protocol):
    """What `validate_functionary` reads of a policy functionary (`policy.Functionary` provides it)."""

    publickeyid: str
    cert_constraint: CertConstraint | None


def validate_functionary(
    functionary: Functionary,
    passed_verifier: Any,
    *,
    trust_bundles: Mapping[str, TrustBundle] | None = None,
    intermediates: Sequence[Any] = (),
    at: datetime | None = None,
    chained_root_ids: set[str] | None = None,
) -> str | None:
    """go-witness `Functionary.Validate`: `None` if the verifier is accepted, else the go text.

    `passed_verifier`: a `dsse.PassedVerifier` or a `crypto.Verifier` (`.keyid`, `.certificate`
    None for a public-key verifier). Give `chained_root_ids`, or `trust_bundles` (+ `intermediates`,
    `at`; defaults: the verifier's own intermediates and trusted time) to compute it.
    """
    keyid = passed_verifier.keyid
    if functionary.publickeyid and functionary.publickeyid == keyid:
        return None
    inner = getattr(passed_verifier, "verifier", None)
    cert = getattr(passed_verifier, "certificate", None)
    if cert is None and inner is not None:
        cert = getattr(inner, "certificate", None)
    if cert is None:
        return f"verifier with ID {keyid} is not a public key verifier or a x509 verifier"
    cc = functionary.cert_constraint
    if cc is None or not cc.roots:
        return f"verifier with ID {keyid} is an x509 verifier, but no trusted roots provided in functionary"
    if isinstance(cert, (bytes, str)):
        cert = x509.load_certificate(cert if isinstance(cert, bytes) else cert.encode(), source="signature")
    if chained_root_ids is None:
        own = getattr(passed_verifier, "intermediates", None) or getattr(inner, "intermediates", ()) or ()
        when = at or getattr(passed_verifier, "trusted_time", None) or getattr(inner, "trusted_time", None)
        chained_root_ids = chained_roots(
            cert, trust_bundles or {}, intermediates=[*own, *intermediates], at=when
        )
    errs = cc.check(x509.cert_identity(cert), chained_root_ids)
    if errs:
        return f"verifier with ID {keyid} doesn't meet certificate constraint: {constraint_failure(errs)}"
    return None
