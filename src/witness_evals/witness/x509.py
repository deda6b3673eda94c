"""X.509 certificates as go-witness uses them: chain checks, signer identity, test PKI.

Chain verification follows Go's `crypto/x509` `Verify` with `KeyUsages: [ExtKeyUsageAny]` (what
`cryptoutil.X509Verifier` passes): every certificate of the chain must be valid at the given time,
issuers must be CAs allowed to sign certificates (basic constraints, keyUsage certSign, path length),
SHA-1 signatures are refused, no extended-key-usage check is done. Name constraints are not modelled.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from asn1crypto import core as asn1core
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from witness_evals.common.errors import InputError
from witness_evals.witness.pem import encode_pem, first_pem_block, pem_blocks, public_der

FULCIO_OID_PREFIX = "1.3.6.1.4.1.57264.1."

FULCIO_EXTENSIONS: dict[str, str] = {
    "1": "Issuer",  # deprecated, raw bytes
    "2": "GithubWorkflowTrigger",
    "3": "GithubWorkflowSHA",
    "4": "GithubWorkflowName",
    "5": "GithubWorkflowRepository",
    "6": "GithubWorkflowRef",
    "8": "Issuer",  # IssuerV2, DER string
    "9": "BuildSignerURI",
    "10": "BuildSignerDigest",
    "11": "RunnerEnvironment",
    "12": "SourceRepositoryURI",
    "13": "SourceRepositoryDigest",
    "14": "SourceRepositoryRef",
    "15": "SourceRepositoryIdentifier",
    "16": "SourceRepositoryOwnerURI",
    "17": "SourceRepositoryOwnerIdentifier",
    "18": "BuildConfigURI",
    "19": "BuildConfigDigest",
    "20": "BuildTrigger",
    "21": "RunInvocationURI",
    "22": "SourceRepositoryVisibilityAtSigning",
}
"""Fulcio OID arc suffix -> field name of fulcio's `certificate.Extensions` (policy JSON key)."""

FULCIO_FIELDS: tuple[str, ...] = (
    "Issuer",
    "GithubWorkflowTrigger",
    "GithubWorkflowSHA",
    "GithubWorkflowName",
    "GithubWorkflowRepository",
    "GithubWorkflowRef",
    "BuildSignerURI",
    "BuildSignerDigest",
    "RunnerEnvironment",
    "SourceRepositoryURI",
    "SourceRepositoryDigest",
    "SourceRepositoryRef",
    "SourceRepositoryIdentifier",
    "SourceRepositoryOwnerURI",
    "SourceRepositoryOwnerIdentifier",
    "BuildConfigURI",
    "BuildConfigDigest",
    "BuildTrigger",
    "RunInvocationURI",
    "SourceRepositoryVisibilityAtSigning",
)
"""Field order of fulcio's `certificate.Extensions` struct (the order Go checks them in)."""

_RAW_FULCIO = {"1", "2", "3", "4", "5", "6"}
_FIELD_TO_OID = {
    name: FULCIO_OID_PREFIX + arc for arc, name in FULCIO_EXTENSIONS.items() if arc not in _RAW_FULCIO
}
_FIELD_TO_OID.update(
    {
        name: FULCIO_OID_PREFIX + arc
        for arc, name in FULCIO_EXTENSIONS.items()
        if arc in {"2", "3", "4", "5", "6"}
    }
)

# Critical extensions Go's x509 parser handles; any other critical extension fails verification.
_HANDLED_CRITICAL = {
    ExtensionOID.KEY_USAGE,
    ExtensionOID.BASIC_CONSTRAINTS,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.NAME_CONSTRAINTS,
    ExtensionOID.CRL_DISTRIBUTION_POINTS,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    ExtensionOID.CERTIFICATE_POLICIES,
}


# --------------------------------------------------------------------------- loading


@functools.lru_cache(maxsize=4096)
def _load_cached(data: bytes) -> x509.Certificate | str:
    # go-witness cryptoutil.TryParseCertificate: pem.Decode, then the block's DER; raw DER has no PEM
    # block, so it is ErrInvalidPemBlock in every release (v0.9.1 .. v0.12.0)
    block = first_pem_block(data)
    if block is None:
        return "invalid pem block"
    try:
        return x509.load_der_x509_certificate(block.der)
    except ValueError as exc:
        return f"x509: malformed certificate ({exc})"


def load_certificate(pem: bytes, *, source: str = "<certificate>") -> x509.Certificate:
    """A certificate from PEM (first block, label ignored; DER is refused as go-witness does); cached."""
    got = _load_cached(bytes(pem))
    if isinstance(got, str):
        raise InputError(got, source=source)
    return got


def load_certificates(data: bytes, *, source: str = "<certificates>") -> list[x509.Certificate]:
    """Every certificate in a PEM bundle (blocks that are not certificates are an error)."""
    out = []
    for i, block in enumerate(pem_blocks(data)):
        try:
            out.append(x509.load_der_x509_certificate(block.der))
        except ValueError:
            raise InputError(f"PEM block {i} ({block.type}) is not a certificate", source=source) from None
    if not out:
        raise InputError("invalid pem block", source=source)
    return out


def cert_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def cert_pem(cert: x509.Certificate) -> bytes:
    """The certificate as Go's `pem.EncodeToMemory` writes it."""
    return encode_pem("CERTIFICATE", cert_der(cert))


# --------------------------------------------------------------------------- chain verification


def as_utc(at: datetime | None) -> datetime:
    """`at` as an aware UTC time (naive means UTC; None means now)."""
    if at is None:
        return datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _go_time(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _validity_error(cert: x509.Certificate, at: datetime) -> str | None:
    if at < cert.not_valid_before_utc:
        return (
            "x509: certificate has expired or is not yet valid: current time "
            f"{_go_time(at)} is before {_go_time(cert.not_valid_before_utc)}"
        )
    if at > cert.not_valid_after_utc:
        return (
            "x509: certificate has expired or is not yet valid: current time "
            f"{_go_time(at)} is after {_go_time(cert.not_valid_after_utc)}"
        )
    return None


def _critical_error(cert: x509.Certificate) -> str | None:
    for ext in cert.extensions:
        if ext.critical and ext.oid not in _HANDLED_CRITICAL:
            return "x509: unhandled critical extension"
    return None


def _basic_constraints(cert: x509.Certificate) -> x509.BasicConstraints | None:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return None


def _may_sign_certs(parent: x509.Certificate) -> bool:
    """Go `CheckSignatureFrom`: v3 parents need basicConstraints CA=true; keyUsage, if any, certSign."""
    bc = _basic_constraints(parent)
    if parent.version == x509.Version.v3 and bc is None:
        return False
    if bc is not None and not bc.ca:
        return False
    try:
        ku = parent.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return bool(ku.key_cert_sign)


@functools.lru_cache(maxsize=8192)
def _signed_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """Whether `parent` issued `child` (names match, parent may sign, signature valid, not SHA-1)."""
    if child.issuer.public_bytes() != parent.subject.public_bytes():
        return False
    if not _may_sign_certs(parent):
        return False
    algo = child.signature_hash_algorithm
    if isinstance(algo, (hashes.SHA1, hashes.MD5)):
        return False
    try:
        child.verify_directly_issued_by(parent)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _path_len_ok(cert: x509.Certificate, intermediates_below: int) -> bool:
    bc = _basic_constraints(cert)
    return bc is None or bc.path_length is None or intermediates_below <= bc.path_length


def build_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    at: datetime | None = None,
) -> list[x509.Certificate] | str:
    """The first valid chain leaf -> ... -> root at time `at` (None = now), or Go's error text."""
    when = as_utc(at)
    err = _validity_error(leaf, when) or _critical_error(leaf)
    if err:
        return err
    if not roots:
        return "x509: certificate signed by unknown authority"
    if leaf in roots:
        return [leaf]
    root_set = list(dict.fromkeys(roots))
    inter_set = [c for c in dict.fromkeys(intermediates) if c not in root_set]
    last_problem = ""

    def extend(chain: list[x509.Certificate], depth: int) -> list[x509.Certificate] | None:
        nonlocal last_problem
        current = chain[-1]
        if depth > 10:
            return None
        for cand, is_root in [(r, True) for r in root_set] + [(i, False) for i in inter_set]:
            if cand in chain or not _signed_by(current, cand):
                continue
            problem = _validity_error(cand, when) or _critical_error(cand)
            if problem is None and not is_root:
                bc = _basic_constraints(cand)
                if bc is None or not bc.ca:
                    problem = "x509: certificate is not authorized to sign other certificates"
            if problem is None and not _path_len_ok(cand, len(chain) - 1):
                problem = "x509: too many intermediates for path length constraint"
            if problem:
                last_problem = problem
                continue
            if is_root:
                return [*chain, cand]
            found = extend([*chain, cand], depth + 1)
            if found:
                return found
        return None

    chain = extend([leaf], 0)
    if chain is not None:
        return chain
    if last_problem:
        return (
            "x509: certificate signed by unknown authority (possibly because of "
            f'"{last_problem}" while trying to verify candidate authority certificate)'
        )
    return "x509: certificate signed by unknown authority"


def chain_error(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    at: datetime | None = None,
) -> str | None:
    """None when `leaf` chains to one of `roots` at `at`, otherwise the reason (Go's texts)."""
    got = build_chain(leaf, intermediates, roots, at)
    return got if isinstance(got, str) else None


def verify_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    at: datetime | None = None,
) -> bool:
    """Go `cert.Verify` with ExtKeyUsageAny at time `at` (None = now)."""
    return chain_error(leaf, intermediates, roots, at) is None


def chained_root_ids(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots_by_id: Mapping[str, x509.Certificate],
    at: datetime | None = None,
) -> set[str]:
    """Ids of the roots the leaf chains to (go-witness `X509Verifier.BelongsToRoot` for each root)."""
    return {rid for rid, root in roots_by_id.items() if verify_chain(leaf, intermediates, [root], at)}


# --------------------------------------------------------------------------- identity


@dataclass(frozen=True)
class CertIdentity:
    """What a policy certConstraint is checked against (Go `cert.Subject`, SANs, fulcio extensions)."""

    common_name: str = ""
    dns_names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    uris: tuple[str, ...] = ()
    extensions: dict[str, str] = field(default_factory=dict)
    extension_error: str | None = None


def _der_string(value: bytes) -> str:
    """fulcio `ParseDERString`: one ASN.1 string value, no trailing data."""
    parsed = asn1core.load(value, strict=True)
    native = parsed.native
    if not isinstance(native, str):
        raise ValueError(f"asn1: structure error: tags don't match (string vs {type(parsed).__name__})")
    return native


def fulcio_extensions(cert: x509.Certificate) -> tuple[dict[str, str], str | None]:
    """Fulcio extension values by field name (as go-witness parses them), and a parse error if any."""
    out: dict[str, str] = {}
    for ext in cert.extensions:
        oid = ext.oid.dotted_string
        if not oid.startswith(FULCIO_OID_PREFIX):
            continue
        arc = oid[len(FULCIO_OID_PREFIX) :]
        name = FULCIO_EXTENSIONS.get(arc)
        if name is None:
            continue
        raw = ext.value.value if isinstance(ext.value, x509.UnrecognizedExtension) else b""
        if arc in _RAW_FULCIO:
            out[name] = raw.decode("utf-8", errors="replace")
        else:
            try:
                out[name] = _der_string(raw)
            except (ValueError, TypeError) as exc:
                return {}, str(exc)
    return out, None


def _first_attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    attrs = name.get_attributes_for_oid(oid)
    return str(attrs[0].value) if attrs else ""


def cert_identity(cert: x509.Certificate) -> CertIdentity:
    """The identity fields a `CertConstraint` compares."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        emails = tuple(san.get_values_for_type(x509.RFC822Name))
        uris = tuple(san.get_values_for_type(x509.UniformResourceIdentifier))
    except x509.ExtensionNotFound:
        dns = emails = uris = ()
    orgs = tuple(str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))
    exts, err = fulcio_extensions(cert)
    return CertIdentity(
        common_name=_first_attr(cert.subject, NameOID.COMMON_NAME),
        dns_names=dns,
        emails=emails,
        organizations=orgs,
        uris=uris,
        extensions=exts,
        extension_error=err,
    )


# --------------------------------------------------------------------------- test PKI

IssuerKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _sig_hash(key: IssuerKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _serial(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha256(b"\x00".join(parts)).digest()[:16], "big") >> 1 | 1


def _name(common_name: str, organizations: Iterable[str] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
    if common_name:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _sign(builder: x509.CertificateBuilder, key: IssuerKey) -> x509.Certificate:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    return builder.sign(key, _sig_hash(key))


def _ski(pub: object) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(pub)  # type: ignore[arg-type]


def make_ca(
    name: str,
    key: IssuerKey,
    *,
    not_before: datetime,
    not_after: datetime,
    issuer: x509.Certificate | None = None,
    issuer_key: IssuerKey | None = None,
    path_length: int | None = None,
    organizations: Iterable[str] = (),
) -> x509.Certificate:
    """A CA certificate: self-signed root, or an intermediate when `issuer`/`issuer_key` are given.

    Deterministic: serial from the name and key, RFC 6979 ECDSA / PKCS#1 v1.5 RSA / ed25519 signatures.
    """
    pub = key.public_key()
    signer_key = issuer_key if issuer_key is not None else key
    issuer_name = issuer.subject if issuer is not None else _name(name, organizations)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name, organizations))
        .issuer_name(issuer_name)
        .public_key(pub)
        .serial_number(_serial(b"ca", name.encode(), public_der(pub)))
        .not_valid_before(as_utc(not_before))
        .not_valid_after(as_utc(not_after))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_ski(pub), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    return _sign(builder, signer_key)


def make_leaf(
    public_key: object,
    issuer: x509.Certificate,
    issuer_key: IssuerKey,
    *,
    not_before: datetime,
    not_after: datetime,
    common_name: str = "",
    emails: Iterable[str] = (),
    uris: Iterable[str] = (),
    dns_names: Iterable[str] = (),
    organizations: Iterable[str] = (),
    extensions: Mapping[str, str] | None = None,
    ext_key_usage: Sequence[x509.ObjectIdentifier] = (x509.oid.ExtendedKeyUsageOID.CODE_SIGNING,),
    timestamping: bool = False,
) -> x509.Certificate:
    """An end-entity certificate like Fulcio's (SAN email/URI/DNS, fulcio extensions by field name).

    `extensions` keys are fulcio field names (`Issuer`, `BuildTrigger`, ...); `Issuer` is written as
    the V2 (DER UTF8String) extension and, like Fulcio, also as the deprecated raw one.
    `timestamping=True` makes a TSA certificate (critical EKU timeStamping).
    """
    pub_der = public_der(public_key)  # type: ignore[arg-type]
    emails, uris, dns_names, organizations = list(emails), list(uris), list(dns_names), list(organizations)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organizations))
        .issuer_name(issuer.subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(_serial(b"leaf", common_name.encode(), pub_der, repr(sorted(emails + uris)).encode()))
        .not_valid_before(as_utc(not_before))
        .not_valid_after(as_utc(not_after))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_ski(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if timestamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    elif ext_key_usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(ext_key_usage)), critical=False)
    general: list[x509.GeneralName] = [x509.DNSName(d) for d in dns_names]
    general += [x509.RFC822Name(e) for e in emails]
    general += [x509.UniformResourceIdentifier(u) for u in uris]
    if general:
        builder = builder.add_extension(x509.SubjectAlternativeName(general), critical=not common_name)
    for fname, value in (extensions or {}).items():
        if fname not in FULCIO_FIELDS:
            raise InputError(f"unknown fulcio extension field: {fname}")
        oid = _FIELD_TO_OID[fname]
        arc = oid[len(FULCIO_OID_PREFIX) :]
        if fname == "Issuer":
            raw_oid = x509.ObjectIdentifier(FULCIO_OID_PREFIX + "1")
            builder = builder.add_extension(
                x509.UnrecognizedExtension(raw_oid, value.encode()), critical=False
            )
        raw = value.encode() if arc in _RAW_FULCIO else asn1core.UTF8String(value).dump()
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), raw), critical=False
        )
    return _sign(builder, issuer_key)


def default_validity(start: datetime, *, minutes: int = 10) -> tuple[datetime, datetime]:
    """(not_before, not_after) of a Fulcio-like short-lived certificate starting at `start`."""
    start = as_utc(start)
    return start, start + timedelta(minutes=minutes)
