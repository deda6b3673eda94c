"""Keys, key ids, signers and verifiers as go-witness `cryptoutil` implements them.

* keyid = hex SHA-256 of Go's canonical PKIX `PUBLIC KEY` PEM (REFERENCE §3.4), for every key type;
  a PKCS#1 `RSA PUBLIC KEY` file loads, but its keyid comes from the re-encoded PKIX PEM.
* Signatures are over the bytes given (DSSE passes the PAE): ed25519 pure, ECDSA SHA-256 ASN.1 DER
  (also for P-384), RSA-PSS SHA-256 with the maximal ("auto") salt; verification of RSA accepts PSS
  with any salt length and falls back to PKCS#1 v1.5 (REFERENCE §6).
* Everything is reproducible: seeded key generation (RSA by a seeded prime search), RFC 6979 ECDSA and,
  for RSA, PSS with an empty salt (a PSS signature with no randomness, which witness's salt-length
  auto-detection verifies like its own), so the same seed gives byte-identical envelopes.
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509 as cx509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from witness_evals.common.errors import InputError, WitnessError

# the PEM/DER helpers stay reachable as `crypto.<name>` (explicit re-exports)
from witness_evals.witness.pem import PemBlock as PemBlock
from witness_evals.witness.pem import PublicKey as PublicKey
from witness_evals.witness.pem import encode_pem as encode_pem
from witness_evals.witness.pem import first_pem_block as first_pem_block
from witness_evals.witness.pem import pem_blocks as pem_blocks
from witness_evals.witness.pem import public_der as public_der
from witness_evals.witness.x509 import chain_error, load_certificate

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

KEY_TYPES: tuple[str, ...] = ("ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096")
"""Key kinds `generate_private_key` makes (the kinds go-witness can sign with from a file)."""

_CURVES: dict[str, ec.EllipticCurve] = {"ecdsa-p256": ec.SECP256R1(), "ecdsa-p384": ec.SECP384R1()}
_CURVE_ORDERS = {
    "ecdsa-p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "ecdsa-p384": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16
    ),
}
_RSA_E = 65537


class CryptoError(WitnessError):
    """A key or signature operation that cannot be done (unsupported key type, bad parameters)."""


# --------------------------------------------------------------------------- deterministic generation


class _Drbg:
    """Deterministic byte stream (SHA-512 in counter mode) for seeded key generation."""

    def __init__(self, *parts: bytes) -> None:
        self._key = hashlib.sha512(b"\x00".join((b"witness-evals keygen v1", *parts))).digest()
        self._counter = 0

    def read(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            out += hashlib.sha512(self._key + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
        return bytes(out[:n])

    def randbits(self, bits: int) -> int:
        nbytes = (bits + 7) // 8
        return int.from_bytes(self.read(nbytes), "big") >> (nbytes * 8 - bits)


@functools.lru_cache(maxsize=4)
def _odd_primes(limit: int) -> tuple[int, ...]:
    """Odd primes below `limit` (sieve of Eratosthenes)."""
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for i in range(2, math.isqrt(limit - 1) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(range(i * i, limit, i)))
    return tuple(i for i in range(3, limit, 2) if sieve[i])


def _is_probable_prime(n: int, rng: _Drbg, rounds: int) -> bool:
    """Miller-Rabin with base 2 first, then `rounds` seeded random bases."""
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    bases = [2] + [2 + rng.randbits(n.bit_length() - 1) % (n - 3) for _ in range(rounds)]
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _seeded_prime(bits: int, rng: _Drbg) -> int:
    """A random `bits`-bit prime p (top two bits set) with gcd(e, p-1) = 1, drawn from `rng`.

    Incremental search from a random odd start; a window of candidates is sieved by all odd primes
    below 2^16 (2^20 for big primes) so that only ~1 in 11-14 candidates reaches Miller-Rabin."""
    rounds = 5 if bits >= 1024 else 10
    primes = _odd_primes(1 << 16 if bits <= 1024 else 1 << 20)
    window = 4096  # odd candidates per sieve window: base, base + 2, ...
    while True:
        base = rng.randbits(bits) | (3 << (bits - 2)) | 1
        composite = bytearray(window)
        for p in primes:
            k = ((p - base % p) * ((p + 1) >> 1)) % p  # first k with p | base + 2k
            if k < window:
                if p < window:
                    composite[k::p] = b"\x01" * len(range(k, window, p))
                else:
                    composite[k] = 1
        for k in range(window):
            if composite[k]:
                continue
            cand = base + 2 * k
            if cand.bit_length() > bits:
                break
            if (cand - 1) % _RSA_E != 0 and _is_probable_prime(cand, rng, rounds):
                return cand


def _rsa_from_primes(p: int, q: int) -> rsa.RSAPrivateKey:
    n = p * q
    lam = math.lcm(p - 1, q - 1)
    d = pow(_RSA_E, -1, lam)
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(_RSA_E, n),
    )
    return numbers.private_key(unsafe_skip_rsa_key_validation=True)  # made here from checked primes


@functools.lru_cache(maxsize=4096)
def _seeded_key(kind: str, seed: int) -> PrivateKey:
    rng = _Drbg(kind.encode(), str(seed).encode())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.from_private_bytes(rng.read(32))
    if kind in _CURVES:
        order = _CURVE_ORDERS[kind]
        scalar = 1 + int.from_bytes(rng.read(64), "big") % (order - 1)
        return ec.derive_private_key(scalar, _CURVES[kind])
    from witness_evals.witness.rsa_primes import KNOWN_PRIMES

    p, q = KNOWN_PRIMES.get((kind, seed)) or _search_rsa_primes(kind, rng)
    return _rsa_from_primes(p, q)


def _search_rsa_primes(kind: str, rng: _Drbg) -> tuple[int, int]:
    """The seeded prime search behind an RSA key of `kind` (seconds in pure Python for big keys;
    `rsa_primes.KNOWN_PRIMES` holds its result for the seeds the package uses)."""
    bits = int(kind.split("-")[1])
    p = _seeded_prime(bits // 2, rng)
    while True:
        q = _seeded_prime(bits // 2, rng)
        if abs(p - q).bit_length() > bits // 2 - 100:
            break
    return max(p, q), min(p, q)


def generate_private_key(kind: str, *, seed: int | None = None) -> PrivateKey:
    """A new private key of `kind` (one of `KEY_TYPES`); with `seed`, the same key every time (cached)."""
    if kind not in KEY_TYPES:
        raise InputError(f"unsupported key type: {kind} (choose one of {', '.join(KEY_TYPES)})")
    if seed is not None:
        return _seeded_key(kind, int(seed))
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind in _CURVES:
        return ec.generate_private_key(_CURVES[kind])
    return rsa.generate_private_key(public_exponent=_RSA_E, key_size=int(kind.split("-")[1]))


def key_kind(key: PrivateKey | PublicKey) -> str:
    """The `KEY_TYPES` name of a key (e.g. `rsa-2048`), or the curve/size it has."""
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "ed25519"
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return {"secp256r1": "ecdsa-p256", "secp384r1": "ecdsa-p384"}.get(
            key.curve.name, f"ecdsa-{key.curve.name}"
        )
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return f"rsa-{key.key_size}"
    raise CryptoError(f"unsupported key type: {type(key).__name__}")


# --------------------------------------------------------------------------- encoding and key ids


def private_pem(key: PrivateKey, passphrase: bytes | str | None = None) -> bytes:
    """PKCS#8 PEM (`PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` with a passphrase: PBES2, AES-256-CBC)."""
    if passphrase:
        pw = passphrase.encode() if isinstance(passphrase, str) else passphrase
        enc: serialization.KeySerializationEncryption = serialization.BestAvailableEncryption(pw)
    else:
        enc = serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def public_pem(pub: PublicKey) -> bytes:
    """Canonical PKIX PEM exactly as Go's `PublicPemBytes` writes it."""
    return encode_pem("PUBLIC KEY", public_der(pub))


@functools.lru_cache(maxsize=4096)
def _keyid_of_der(der: bytes) -> str:
    return hashlib.sha256(encode_pem("PUBLIC KEY", der)).hexdigest()


def keyid(pub: PublicKey | PrivateKey) -> str:
    """go-witness `GeneratePublicKeyID`: hex SHA-256 of the canonical PKIX PEM of the public key."""
    if isinstance(pub, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        pub = pub.public_key()
    return _keyid_of_der(public_der(pub))


def _check_supported_public(key: object, source: str | None) -> PublicKey:
    if isinstance(key, (ed25519.Ed25519PublicKey, ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        return key
    raise InputError(f"unsupported key type: {type(key).__name__}", source=source)


def _check_supported_private(key: object, source: str | None) -> PrivateKey:
    if isinstance(key, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        return key
    raise InputError(f"unsupported signer key type: {type(key).__name__}", source=source)


@dataclass(frozen=True)
class ParsedPem:
    """What the first PEM block of a key file holds (go-witness `TryParsePEMBlock` order)."""

    kind: str  # "private", "public", "certificate"
    key: PublicKey | PrivateKey
    certificate: cx509.Certificate | None = None
    label: str = ""

    @property
    def public_key(self) -> PublicKey:
        """The public key (of the private key or certificate where that is what the block holds)."""
        key = self.key
        if isinstance(key, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            return key.public_key()
        return key


@functools.lru_cache(maxsize=4096)
def _parse_pem_cached(data: bytes) -> ParsedPem | str:
    block = first_pem_block(data)
    if block is None:
        return "invalid pem block"
    der = block.der
    for loader in (
        lambda d: serialization.load_der_private_key(d, password=None),
        serialization.load_der_public_key,
    ):
        try:
            key = loader(der)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        if isinstance(key, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            return ParsedPem("private", key, None, block.type)
        return ParsedPem("public", key, None, block.type)  # type: ignore[arg-type]
    try:
        pkcs1 = serialization.load_pem_public_key(encode_pem("RSA PUBLIC KEY", der))
        return ParsedPem("public", pkcs1, None, block.type)  # type: ignore[arg-type]
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass
    try:
        cert = cx509.load_der_x509_certificate(der)
        return ParsedPem("certificate", cert.public_key(), cert, block.type)  # type: ignore[arg-type]
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass
    return f"unsupported pem type: {block.type}"


def parse_pem(data: bytes, *, source: str | None = None) -> ParsedPem:
    """Parse the first PEM block as private key, public key (PKIX/PKCS#1) or certificate; label ignored."""
    got = _parse_pem_cached(bytes(data))
    if isinstance(got, str):
        raise InputError(got, source=source)
    return got


# --------------------------------------------------------------------------- signing


# Deterministic RSA: PSS (SHA-256, MGF1-SHA-256) with salt length 0 carries no randomness. witness
# signs with the maximal salt and verifies with `PSSSaltLengthAuto`, which accepts any salt length,
# so these signatures verify in witness exactly as its own do; OpenSSL makes them ~8x faster than a
# maximal-salt signature computed in Python with a derived salt.
_PSS_DETERMINISTIC = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=0)


def _as_cert(c: cx509.Certificate | bytes, what: str) -> cx509.Certificate:
    if isinstance(c, cx509.Certificate):
        return c
    return load_certificate(c, source=what)


class Signer:
    """A file signer (go-witness `cryptoutil.Signer`), optionally an x509 signer with a certificate."""

    def __init__(
        self,
        key: PrivateKey,
        certificate: cx509.Certificate | bytes | None = None,
        intermediates: Iterable[cx509.Certificate | bytes] = (),
        *,
        deterministic: bool = True,
        check_certificate: bool = True,
    ) -> None:
        self.key: PrivateKey = _check_supported_private(key, None)
        self.public_key: PublicKey = key.public_key()
        self.keyid: str = keyid(self.public_key)
        self._cache_id = self.keyid  # the key's identity in SIGNATURE_CACHE (kept if keyid is edited)
        self.certificate: cx509.Certificate | None = (
            _as_cert(certificate, "certificate") if certificate is not None else None
        )
        self.intermediates: tuple[cx509.Certificate, ...] = tuple(
            _as_cert(c, "intermediate") for c in intermediates
        )
        if self.intermediates and self.certificate is None:
            raise InputError("intermediates given without a signer certificate")
        if check_certificate and self.certificate is not None and not self.certificate_matches_key:
            raise InputError("the certificate's public key does not match the private key")
        self.deterministic = deterministic

    @classmethod
    def from_pem(
        cls,
        pem: bytes,
        passphrase: bytes | str | None = None,
        *,
        source: str = "<key>",
        certificate: cx509.Certificate | bytes | None = None,
        intermediates: Iterable[cx509.Certificate | bytes] = (),
        check_certificate: bool = True,
    ) -> Signer:
        """Load a private key like go-witness's file signer (first PEM block; PKCS#8, PKCS#1, SEC1,
        encrypted PKCS#8 or legacy `Proc-Type` PEM with `passphrase`)."""
        key = load_private_key(pem, passphrase, source=source)
        return cls(key, certificate, intermediates, check_certificate=check_certificate)

    @property
    def kind(self) -> str:
        return key_kind(self.key)

    @property
    def certificate_matches_key(self) -> bool:
        """Whether the signer certificate carries this signer's public key (True without a certificate)."""
        if self.certificate is None:
            return True
        return self.certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) == public_der(self.public_key)

    @property
    def certificate_pem(self) -> bytes | None:
        """The leaf certificate as Go PEM, or None for a plain key signer."""
        if self.certificate is None:
            return None
        return encode_pem("CERTIFICATE", self.certificate.public_bytes(serialization.Encoding.DER))

    @property
    def intermediate_pems(self) -> tuple[bytes, ...]:
        return tuple(
            encode_pem("CERTIFICATE", c.public_bytes(serialization.Encoding.DER)) for c in self.intermediates
        )

    def sign(self, data: bytes) -> bytes:
        """Sign `data` (the DSSE PAE) with the go-witness algorithm for this key type."""
        key = self.key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=self.deterministic))
        if self.deterministic:
            return key.sign(data, _PSS_DETERMINISTIC, hashes.SHA256())
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
        return key.sign(data, pss, hashes.SHA256())

    def verifier(self) -> Verifier:
        """The public key's verifier, made once per signer (shared, like `Verifier.from_pem`'s)."""
        made: Verifier | None = self.__dict__.get("_verifier")
        if made is None:
            made = self._verifier = Verifier(self.public_key)
        return made

    def sign_noted(self, data: bytes, data_digest: bytes) -> bytes:
        """`sign(data)`, recording the signature as valid in `SIGNATURE_CACHE` (`data_digest`: SHA-256
        of `data`) when this is a plain `Signer` (a subclass may sign differently)."""
        sig = self.sign(data)
        if type(self) is Signer:
            SIGNATURE_CACHE.remember_valid(self._cache_id, data_digest, sig)
        return sig


def load_private_key(
    pem: bytes, passphrase: bytes | str | None = None, *, source: str = "<key>"
) -> PrivateKey:
    """Private key from the first PEM block (label ignored except for legacy encrypted PEM)."""
    pw = passphrase.encode() if isinstance(passphrase, str) else passphrase
    block = first_pem_block(pem)
    if block is None:
        raise InputError("invalid pem block", source=source)
    try:
        if "Proc-Type" in block.headers:
            if not pw:
                raise InputError("private key is encrypted; a passphrase is required", source=source)
            text = pem[pem.index(b"-----BEGIN") :]
            key = serialization.load_pem_private_key(text, password=pw)
        else:
            try:
                key = serialization.load_der_private_key(block.der, password=pw or None)
            except TypeError as exc:
                if "encrypted" in str(exc).lower() and not pw:
                    raise InputError(
                        "private key is encrypted; a passphrase is required", source=source
                    ) from None
                if pw:  # an unencrypted key given a passphrase loads anyway, like Go's signer
                    key = serialization.load_der_private_key(block.der, password=None)
                else:
                    raise
    except InputError:
        raise
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        msg = str(exc).lower()
        # an encrypted key that does not load with the passphrase: wrong passphrase (with a wrong one the
        # CBC padding still checks out about once in 256 tries, and then the garbage fails to parse)
        encrypted = block.type == "ENCRYPTED PRIVATE KEY" or "Proc-Type" in block.headers
        if pw and (encrypted or "password" in msg or "decrypt" in msg):
            raise InputError("failed to decrypt private key: wrong passphrase", source=source) from None
        parsed = _parse_pem_cached(bytes(pem))
        if isinstance(parsed, ParsedPem) and parsed.kind != "private":
            raise InputError(
                f"not a private key (found a {parsed.kind} in a {parsed.label} block)", source=source
            ) from None
        raise InputError(f"unsupported pem type: {block.type}", source=source) from None
    return _check_supported_private(key, source)


# --------------------------------------------------------------------------- verification


@dataclass
class Verifier:
    """A public-key verifier (go-witness `RSAVerifier`/`ECDSAVerifier`/`ED25519Verifier`).

    With `certificate` it is an `X509Verifier`: `verify` first checks the certificate chains to `roots`
    (+ `intermediates`) at `trusted_time` (None = now) with ExtKeyUsageAny, then the signature.
    The keyid is always that of the public key (not a certificate fingerprint).
    """

    public_key: PublicKey
    certificate: cx509.Certificate | None = None
    intermediates: tuple[cx509.Certificate, ...] = ()
    roots: tuple[cx509.Certificate, ...] = ()
    trusted_time: datetime | None = None
    keyid: str = field(init=False)

    def __post_init__(self) -> None:
        self.public_key = _check_supported_public(self.public_key, None)
        self.keyid = keyid(self.public_key)
        self._cache_id = self.keyid  # identity of the key for SIGNATURE_CACHE (kept if keyid is edited)

    def __hash__(self) -> int:
        return hash((self.keyid, self.certificate))

    @classmethod
    def from_pem(cls, pem: bytes, *, source: str = "<key>") -> Verifier:
        """Verifier from a PKIX / PKCS#1 public key or a certificate (cached on the PEM bytes).

        A certificate gives an x509 verifier without roots, which (as in go-witness) never verifies
        until roots are supplied (`with_chain`)."""
        got = _verifier_cached(bytes(pem))
        if isinstance(got, str):
            raise InputError(got, source=source)
        return got

    def with_chain(
        self,
        intermediates: Sequence[cx509.Certificate] = (),
        roots: Sequence[cx509.Certificate] = (),
        trusted_time: datetime | None = None,
    ) -> Verifier:
        return Verifier(self.public_key, self.certificate, tuple(intermediates), tuple(roots), trusted_time)

    @property
    def is_x509(self) -> bool:
        return self.certificate is not None

    @property
    def kind(self) -> str:
        return key_kind(self.public_key)

    def public_pem(self) -> bytes:
        return public_pem(self.public_key)

    def chain_error(self) -> str | None:
        """Why the certificate does not chain (go x509 texts), None if it does or there is no cert."""
        if self.certificate is None:
            return None
        return chain_error(self.certificate, self.intermediates, self.roots, self.trusted_time)

    def signature_error(self, data: bytes, sig: bytes, *, data_digest: bytes | None = None) -> str | None:
        """None if `sig` is a valid signature of `data` by the key; otherwise the go-witness error text.

        Results are memoised (see `SIGNATURE_CACHE`); `data_digest` is SHA-256 of `data` when the
        caller already has it."""
        return SIGNATURE_CACHE.signature_error(self._cache_id, self.public_key, data, sig, data_digest)

    def verify_error(self, data: bytes, sig: bytes, *, data_digest: bytes | None = None) -> str | None:
        """None if verification passes (chain first for x509 verifiers), else the reason."""
        return self.chain_error() or self.signature_error(data, sig, data_digest=data_digest)

    def verify(self, data: bytes, sig: bytes) -> bool:
        """True iff `sig` verifies over `data` (never raises)."""
        try:
            return self.verify_error(data, sig) is None
        except Exception:
            return False


class SignatureCache:
    """Bounded LRU of signature check results keyed by (key id, SHA-256 of the signed bytes, signature).

    A signature check is a pure function of (public key, data, signature); the key id is the SHA-256
    of the key's canonical PKIX encoding, so the key identifies the check exactly. The generator and
    the benchmark re-verify the same envelopes many times: every repeat is a dict lookup instead of
    a public-key operation. `enabled = False` bypasses it (baseline measurements).
    """

    def __init__(self, maxsize: int = 65536) -> None:
        self.maxsize = maxsize
        self.enabled = True
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[tuple[str, bytes, bytes], str | None] = OrderedDict()
        self._lock = threading.Lock()

    def signature_error(
        self, kid: str, pub: PublicKey, data: bytes, sig: bytes, data_digest: bytes | None = None
    ) -> str | None:
        if not self.enabled:
            return _signature_error(pub, data, sig)
        key = (kid, data_digest or hashlib.sha256(data).digest(), bytes(sig))
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
        result = _signature_error(pub, data, sig)
        with self._lock:
            self.misses += 1
            self._data[key] = result
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return result

    def remember_valid(self, kid: str, data_digest: bytes, sig: bytes) -> None:
        """Record that `sig` verifies over the data with SHA-256 `data_digest` under key `kid`: for a
        signature just made with the matching private key (every go-witness algorithm verifies its
        own signatures), so the first check of a freshly signed envelope is a lookup too."""
        if not self.enabled:
            return
        key = (kid, data_digest, bytes(sig))
        with self._lock:
            if key not in self._data:
                self._data[key] = None
                while len(self._data) > self.maxsize:
                    self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


SIGNATURE_CACHE = SignatureCache()
"""Process-wide signature result cache used by every `Verifier`."""


def _signature_error(pub: PublicKey, data: bytes, sig: bytes) -> str | None:
    try:
        if isinstance(pub, ed25519.Ed25519PublicKey):
            try:
                pub.verify(sig, data)
            except InvalidSignature:
                return "verification failed"  # cryptoutil ErrVerifyFailed, as for ECDSA
            return None
        if isinstance(pub, ec.EllipticCurvePublicKey):
            try:
                pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
            except InvalidSignature:
                return "verification failed"
            return None
        try:
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
            pub.verify(sig, data, pss, hashes.SHA256())
            return None
        except InvalidSignature:
            pass
        try:
            pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
            return None
        except InvalidSignature:
            return "crypto/rsa: verification error"
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return f"verification failed: {exc}"


@functools.lru_cache(maxsize=4096)
def _verifier_cached(pem: bytes) -> Verifier | str:
    parsed = _parse_pem_cached(pem)
    if isinstance(parsed, str):
        return parsed
    if parsed.kind == "private":
        return f"unsupported key type: {type(parsed.key).__name__} (a private key, expected a public key)"
    pub = parsed.key
    if not isinstance(pub, (ed25519.Ed25519PublicKey, ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        return f"unsupported key type: {type(pub).__name__}"
    return Verifier(pub, parsed.certificate)


def verifier_for_certificate(cert: cx509.Certificate) -> Verifier:
    """An x509 verifier for `cert` (no roots yet)."""
    return Verifier(cert.public_key(), cert)  # type: ignore[arg-type]
