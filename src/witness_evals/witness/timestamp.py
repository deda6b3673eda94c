"""RFC 3161 timestamps as go-witness makes and checks them (timestamp/tsp.go).

The token is a DER CMS SignedData holding a TSTInfo whose messageImprint is the SHA-256 of the
timestamped bytes (DSSE timestamps cover the *signature* bytes). Verification mirrors
`TSPVerifier.Verify`: compare the imprint with SHA-256 of the data, check the CMS signature
(digitorus/pkcs7 `VerifyWithChain`), chain the TSA certificate to the trusted TSA certificates at the
token's signingTime attribute (or now when absent), and return genTime.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from witness_evals.common.errors import WitnessError
from witness_evals.witness import versions
from witness_evals.witness.x509 import as_utc, build_chain, cert_der, chain_error

TSA_POLICY_OID = "1.3.6.1.4.1.57264.2"
"""TSA policy id written into generated tokens (informational; never checked by go-witness)."""

_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | hashes.SHA1]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha1": hashes.SHA1,
}


class TimestampError(WitnessError):
    """A timestamp token that does not verify (message in go-witness / pkcs7 wording)."""


def _signing(key: object) -> tuple[str, str]:
    """(signature algorithm name, digest algorithm name) for a TSA key."""
    if isinstance(key, rsa.RSAPrivateKey):
        return "sha256_rsa", "sha256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "sha256_ecdsa", "sha256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519", "sha512"
    raise TimestampError(f"unsupported TSA key type: {type(key).__name__}")


def _sign(key: object, data: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    raise TimestampError(f"unsupported TSA key type: {type(key).__name__}")


def make_timestamp_token(
    data: bytes,
    tsa_key: object,
    tsa_cert: x509.Certificate,
    at: datetime,
    *,
    chain: Sequence[x509.Certificate] = (),
    signing_time: bool = True,
) -> bytes:
    """A real DER RFC 3161 TimeStampToken over SHA-256(`data`) with genTime `at` (deterministic)."""
    at = as_utc(at).replace(microsecond=as_utc(at).microsecond // 1000 * 1000)
    imprint = hashlib.sha256(data).digest()
    serial = int.from_bytes(hashlib.sha256(imprint + at.isoformat().encode()).digest()[:15], "big")
    tst_info = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": TSA_POLICY_OID,
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": imprint},
            "serial_number": serial,
            "gen_time": at,
        }
    )
    content = tst_info.dump()
    a_cert = ax509.Certificate.load(cert_der(tsa_cert))
    sig_algo, digest_algo = _signing(tsa_key)
    attrs = [
        {"type": "content_type", "values": ["tst_info"]},
        {"type": "message_digest", "values": [hashlib.new(digest_algo, content).digest()]},
        {
            "type": "signing_certificate_v2",
            "values": [{"certs": [{"cert_hash": hashlib.sha256(cert_der(tsa_cert)).digest()}]}],
        },
    ]
    if signing_time:
        attrs.insert(
            1, {"type": "signing_time", "values": [cms.Time({"utc_time": at.replace(microsecond=0)})]}
        )
    signed_attrs = cms.CMSAttributes(attrs)
    signature = _sign(tsa_key, signed_attrs.dump())
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": a_cert.issuer,
                        "serial_number": a_cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest_algo}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": sig_algo}),
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest_algo})],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(content)},
            "certificates": [a_cert, *(ax509.Certificate.load(cert_der(c)) for c in chain)],
            "signer_infos": [signer_info],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


@dataclass(frozen=True)
class Timestamper:
    """A local TSA: calling it with bytes returns a token stamped at `at` (go `TSPTimestamper`)."""

    tsa_key: object
    tsa_cert: x509.Certificate
    at: datetime
    chain: tuple[x509.Certificate, ...] = ()

    def __call__(self, data: bytes) -> bytes:
        return make_timestamp_token(data, self.tsa_key, self.tsa_cert, self.at, chain=self.chain)


def _verify_signer_signature(
    cert: x509.Certificate, algo: str, digest_algo: str, signed: bytes, sig: bytes
) -> bool:
    pub = cert.public_key()
    hash_cls = _HASHES.get(digest_algo)
    try:
        if isinstance(pub, ed25519.Ed25519PublicKey):
            pub.verify(sig, signed)
            return True
        if hash_cls is None:
            return False
        if isinstance(pub, rsa.RSAPublicKey):
            if algo == "rsassa_pss":
                pss = padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=padding.PSS.AUTO)
                pub.verify(sig, signed, pss, hash_cls())
            else:
                pub.verify(sig, signed, padding.PKCS1v15(), hash_cls())
            return True
        if isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(sig, signed, ec.ECDSA(hash_cls()))
            return True
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return False


@dataclass(frozen=True)
class _TokenFacts:
    """What a token proves, independent of the data and the time (signatures already checked)."""

    imprint: bytes
    gen_time: datetime
    certificates: tuple[x509.Certificate, ...]
    signers: tuple[tuple[x509.Certificate, datetime | None], ...]  # (signer cert, signingTime)


def _facts(token: bytes) -> _TokenFacts:
    info = cms.ContentInfo.load(token, strict=True)
    if info["content_type"].native != "signed_data":
        raise TimestampError("timestamp token is not a CMS SignedData")
    sd = info["content"]
    encap = sd["encap_content_info"]
    if encap["content_type"].native != "tst_info":
        raise TimestampError("timestamp token does not contain a TSTInfo")
    raw = encap["content"].contents
    tst = tsp.TSTInfo.load(raw, strict=True)
    imprint = tst["message_imprint"]["hashed_message"].native
    gen = tst["gen_time"].native
    if not isinstance(gen, datetime) or not isinstance(imprint, bytes):
        raise TimestampError("timestamp token has no genTime or message imprint")
    certs: list[x509.Certificate] = []
    for choice in sd["certificates"] or []:
        if choice.name == "certificate":
            try:
                certs.append(x509.load_der_x509_certificate(choice.chosen.dump()))
            except ValueError:
                continue
    if not len(sd["signer_infos"]):
        raise TimestampError("pkcs7: Message has no signers")
    signers = []
    for si in sd["signer_infos"]:
        sid = si["sid"]
        if sid.name != "issuer_and_serial_number":
            raise TimestampError("pkcs7: No certificate for signer")
        issuer_der = sid.chosen["issuer"].dump()
        serial = sid.chosen["serial_number"].native
        ee = next(
            (c for c in certs if c.serial_number == serial and c.issuer.public_bytes() == issuer_der), None
        )
        if ee is None:
            raise TimestampError("pkcs7: No certificate for signer")
        digest_algo = si["digest_algorithm"]["algorithm"].native
        sig_algo = si["signature_algorithm"].signature_algo
        signing_time: datetime | None = None
        attrs = si["signed_attrs"]
        if len(attrs):
            by_type = {a["type"].native: a["values"] for a in attrs}
            if "message_digest" not in by_type:
                raise TimestampError("pkcs7: Missing message digest attribute")
            if digest_algo not in _HASHES:
                raise TimestampError(f"pkcs7: unsupported digest algorithm {digest_algo}")
            if by_type["message_digest"][0].native != hashlib.new(digest_algo, raw).digest():
                raise TimestampError("pkcs7: Message digest mismatch")
            if "signing_time" in by_type:
                signing_time = by_type["signing_time"][0].native
                if signing_time is not None and not (
                    ee.not_valid_before_utc <= signing_time <= ee.not_valid_after_utc
                ):
                    raise TimestampError(
                        f"pkcs7: signing time {signing_time:%Y-%m-%dT%H:%M:%SZ} is outside of certificate validity"
                    )
            encoded = attrs.dump()
            signed = b"\x31" + encoded[1:]  # the [0] IMPLICIT attributes are signed as a SET OF
        else:
            signed = raw
        if not _verify_signer_signature(ee, sig_algo, digest_algo, signed, si["signature"].native):
            raise TimestampError(
                "x509: ECDSA verification failure"
                if sig_algo == "ecdsa"
                else "crypto/rsa: verification error"
            )
        signers.append((ee, signing_time))
    return _TokenFacts(imprint, as_utc(gen), tuple(certs), tuple(signers))


@functools.lru_cache(maxsize=4096)
def _facts_cached(token: bytes) -> _TokenFacts | str:
    try:
        return _facts(token)
    except TimestampError as exc:
        return str(exc)
    except Exception as exc:  # asn1crypto raises many types on hostile input
        return f"failed to parse timestamp token: {exc}"


def _eku_problem(
    ee: x509.Certificate,
    certificates: Sequence[x509.Certificate],
    tsa_certs: Sequence[x509.Certificate],
    gen_time: datetime,
) -> str | None:
    """go-witness v0.12.0 TSPVerifier.Verify's RFC 3161 checks of the signing certificate (tsp.go:180-224)."""
    tsa_eku = x509.oid.ExtendedKeyUsageOID.TIME_STAMPING
    try:
        ext = ee.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return versions.TSA_EKU_ERROR
    except ValueError:  # a malformed extension: Go would not have parsed the certificate at all
        return versions.TSA_EKU_ERROR
    if list(ext.value) != [tsa_eku]:
        return versions.TSA_EKU_ERROR
    if not ext.critical:
        return versions.TSA_EKU_NOT_CRITICAL
    if not tsa_certs:
        return None  # no trust store: Go skips the chain check too
    chain = build_chain(ee, [c for c in certificates if c != ee], list(tsa_certs), gen_time)
    if isinstance(chain, str):
        return versions.TSA_CHAIN_ERROR.format(error=chain)
    for cert in chain:  # Go checkChainForKeyUsage: a certificate without EKU allows every usage
        try:
            usages = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
        except (x509.ExtensionNotFound, ValueError):
            continue
        if tsa_eku not in usages and x509.oid.ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in usages:
            return versions.TSA_CHAIN_ERROR.format(
                error="x509: certificate specifies an incompatible key usage"
            )
    return None


def verify_timestamp(
    token: bytes,
    data: bytes,
    tsa_certs: Sequence[x509.Certificate],
    *,
    now: datetime | None = None,
    require_eku: bool = False,
) -> datetime:
    """genTime of a token over `data` signed by a TSA chaining to `tsa_certs`; raises TimestampError.

    `require_eku`: go-witness v0.12.0's RFC 3161 checks (one signer whose certificate has
    timeStamping as its only, critical EKU; a chain valid for timestamping at genTime).
    The parse and CMS signature check are cached per token, so re-verifying is cheap."""
    facts = _facts_cached(bytes(token))
    if isinstance(facts, str):
        raise TimestampError(facts)
    if facts.imprint != hashlib.sha256(data).digest():
        raise TimestampError("signed payload does not match timestamped payload")
    for ee, signing_time in facts.signers:
        problem = chain_error(ee, facts.certificates, list(tsa_certs), signing_time or now)
        if problem:
            raise TimestampError(problem)
    if require_eku:
        if len(facts.signers) != 1:
            raise TimestampError(versions.TSA_NO_SINGLE_SIGNER)
        problem = _eku_problem(facts.signers[0][0], facts.certificates, tsa_certs, facts.gen_time)
        if problem:
            raise TimestampError(problem)
    return facts.gen_time
