"""DSSE envelopes as go-witness writes, reads, signs and verifies them (dsse/*.go, REFERENCE §4.5, §5.1-5.2).

Reading follows Go's encoding/json into `dsse.Envelope`: keys match case-insensitively, unknown keys
are ignored, `null` leaves a field empty, `[]byte` fields are standard padded base64 (CR/LF ignored).
Any malformation is an `InputError` naming the source and the JSON path, e.g.
`spdx-att.json:signatures[0].sig: illegal base64 data at input byte 4`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509

from witness_evals.common.errors import InputError, WitnessError
from witness_evals.common.jsonio import MAX_JSON_BYTES, dumps_go, loads
from witness_evals.witness.crypto import SIGNATURE_CACHE, Signer, Verifier, verifier_for_certificate
from witness_evals.witness.gocompat import go_b64decode
from witness_evals.witness.gocompat import go_json_kind as _go_type

TIMESTAMP_RFC3161 = "tsp"

Timestamper = Callable[[bytes], bytes]
"""Anything that turns signature bytes into a DER RFC 3161 token (see `timestamp.Timestamper`)."""


class DSSEError(WitnessError):
    """Envelope verification failure with go-witness's message; `checked` lists (keyid, error) pairs."""

    def __init__(self, message: str, checked: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.checked = list(checked)


@dataclass(frozen=True)
class Signature:
    """One DSSE signature (go `dsse.Signature`); certificate/intermediates are PEM bytes."""

    keyid: str
    sig: bytes
    certificate: bytes | None = None
    intermediates: tuple[bytes, ...] = ()
    timestamps: tuple[tuple[str, bytes], ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"keyid": self.keyid, "sig": _b64(self.sig)}
        if self.certificate:
            out["certificate"] = _b64(self.certificate)
        if self.intermediates:
            out["intermediates"] = [_b64(i) for i in self.intermediates]
        if self.timestamps:
            out["timestamps"] = [{"type": t, "data": _b64(d)} for t, d in self.timestamps]
        return out


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope (go `dsse.Envelope`)."""

    payload: bytes
    payload_type: str
    signatures: tuple[Signature, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Go field order: payload, payloadType, signatures; base64 standard with padding."""
        return {
            "payload": _b64(self.payload),
            "payloadType": self.payload_type,
            "signatures": [s.to_json() for s in self.signatures],
        }

    def dumps(self) -> str:
        """Compact JSON as Go's json.Marshal writes it (no trailing newline)."""
        return dumps_go(self.to_json())

    def pae_and_digest(self) -> tuple[bytes, bytes]:
        """The PAE this envelope's signatures cover, and its SHA-256 (computed once per envelope: it
        keys the signature cache; only the digest is kept, not a second copy of the payload)."""
        body = pae(self.payload_type, self.payload)
        digest = self.__dict__.get("_pae_sha256")
        if digest is None:
            digest = hashlib.sha256(body).digest()
            if type(self.payload) is bytes and type(self.payload_type) is str:  # immutable: safe to keep
                self.__dict__["_pae_sha256"] = digest
        return body, digest

    @classmethod
    def from_json(cls, obj: Any, *, source: str = "<envelope>") -> Envelope:
        return _envelope_from_obj(obj, source)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(body)> <body>` (byte lengths)."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


# --------------------------------------------------------------------------- Go-faithful decoding


def _fields(obj: dict[str, Any], names: Iterable[str]) -> dict[str, tuple[str, Any]]:
    """Go struct-field matching: exact or case-insensitive key; the last occurrence wins."""
    folded = {n.casefold(): n for n in names}
    out: dict[str, tuple[str, Any]] = {}
    for key, value in obj.items():
        name = folded.get(key.casefold())
        if name is not None:
            out[name] = (key, value)
    return out


class _Decoder:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str, path: str) -> InputError:
        return InputError(message, source=self.source, location=path or None)

    def string(self, value: Any, path: str, go_field: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.fail(
                f"cannot unmarshal {_go_type(value)} into Go struct field {go_field} of type string", path
            )
        return value

    def bytes_(self, value: Any, path: str, go_field: str) -> bytes:
        if value is None:
            return b""
        if not isinstance(value, str):
            raise self.fail(
                f"cannot unmarshal {_go_type(value)} into Go struct field {go_field} of type []uint8", path
            )
        try:
            return go_b64decode(value)
        except ValueError as exc:
            raise self.fail(str(exc), path) from None

    def array(self, value: Any, path: str, go_field: str, go_type: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(
                f"cannot unmarshal {_go_type(value)} into Go struct field {go_field} of type {go_type}", path
            )
        return value

    def obj(self, value: Any, path: str, go_field: str, go_type: str) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(
                f"cannot unmarshal {_go_type(value)} into Go struct field {go_field} of type {go_type}", path
            )
        return value


def _signature_from_obj(d: _Decoder, value: Any, path: str) -> Signature:
    o = d.obj(value, path, "Envelope.signatures", "dsse.Signature")
    if o is None:
        return Signature("", b"")
    f = _fields(o, ("keyid", "sig", "certificate", "intermediates", "timestamps"))
    keyid = (
        d.string(f["keyid"][1], f"{path}.{f['keyid'][0]}", "Envelope.signatures.keyid")
        if "keyid" in f
        else ""
    )
    sig = d.bytes_(f["sig"][1], f"{path}.{f['sig'][0]}", "Envelope.signatures.sig") if "sig" in f else b""
    cert = None
    if "certificate" in f:
        cert = (
            d.bytes_(f["certificate"][1], f"{path}.{f['certificate'][0]}", "Envelope.signatures.certificate")
            or None
        )
    inters: list[bytes] = []
    if "intermediates" in f:
        key, raw = f["intermediates"]
        for i, item in enumerate(
            d.array(raw, f"{path}.{key}", "Envelope.signatures.intermediates", "[][]uint8")
        ):
            inters.append(d.bytes_(item, f"{path}.{key}[{i}]", "Envelope.signatures.intermediates"))
    stamps: list[tuple[str, bytes]] = []
    if "timestamps" in f:
        key, raw = f["timestamps"]
        items = d.array(raw, f"{path}.{key}", "Envelope.signatures.timestamps", "[]dsse.SignatureTimestamp")
        for i, item in enumerate(items):
            ipath = f"{path}.{key}[{i}]"
            to = d.obj(item, ipath, "Envelope.signatures.timestamps", "dsse.SignatureTimestamp")
            if to is None:
                stamps.append(("", b""))
                continue
            tf = _fields(to, ("type", "data"))
            ttype = (
                d.string(tf["type"][1], f"{ipath}.{tf['type'][0]}", "Envelope.signatures.timestamps.type")
                if "type" in tf
                else ""
            )
            tdata = (
                d.bytes_(tf["data"][1], f"{ipath}.{tf['data'][0]}", "Envelope.signatures.timestamps.data")
                if "data" in tf
                else b""
            )
            stamps.append((ttype, tdata))
    return Signature(keyid, sig, cert, tuple(inters), tuple(stamps))


def _envelope_from_obj(obj: Any, source: str) -> Envelope:
    d = _Decoder(source)
    if not isinstance(obj, dict):
        if obj is None:
            return Envelope(b"", "", ())
        raise d.fail(f"cannot unmarshal {_go_type(obj)} into Go value of type dsse.Envelope", "")
    f = _fields(obj, ("payload", "payloadType", "signatures"))
    payload = d.bytes_(f["payload"][1], f["payload"][0], "Envelope.payload") if "payload" in f else b""
    ptype = (
        d.string(f["payloadType"][1], f["payloadType"][0], "Envelope.payloadType")
        if "payloadType" in f
        else ""
    )
    sigs: list[Signature] = []
    if "signatures" in f:
        key, raw = f["signatures"]
        for i, item in enumerate(d.array(raw, key, "Envelope.signatures", "[]dsse.Signature")):
            sigs.append(_signature_from_obj(d, item, f"{key}[{i}]"))
    return Envelope(payload, ptype, tuple(sigs))


def parse_envelope(data: bytes, *, source: str = "<envelope>") -> Envelope:
    """Decode envelope JSON bytes like Go's json.Unmarshal into `dsse.Envelope` (InputError on failure)."""
    if len(data) > MAX_JSON_BYTES:
        raise InputError(f"envelope is too large ({len(data)} bytes, limit {MAX_JSON_BYTES})", source=source)
    return _envelope_from_obj(loads(data, source=source), source)


# --------------------------------------------------------------------------- signing


def sign_envelope(
    payload: bytes,
    payload_type: str,
    signers: Sequence[Signer] | Signer,
    *,
    timestamper: Timestamper | Sequence[Timestamper] | None = None,
) -> Envelope:
    """go-witness `dsse.Sign`: each signer signs the PAE; x509 signers attach PEM cert + intermediates;
    every timestamper stamps the signature bytes (type `tsp`)."""
    if isinstance(signers, Signer):
        signers = [signers]
    if not signers:
        raise DSSEError("must have at least one signer, have none")
    stampers: list[Timestamper] = []
    if timestamper is not None:
        stampers = [timestamper] if callable(timestamper) else list(timestamper)
    body = pae(payload_type, payload)
    digest = hashlib.sha256(body).digest()
    sigs = []
    for signer in signers:
        sig = signer.sign_noted(body, digest)  # verifying it later is a cache lookup
        stamps = tuple((TIMESTAMP_RFC3161, ts(sig)) for ts in stampers)
        sigs.append(Signature(signer.keyid, sig, signer.certificate_pem, signer.intermediate_pems, stamps))
    return Envelope(payload, payload_type, tuple(sigs))


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class PassedVerifier:
    """A verifier that accepted a signature. For certificate signatures `verifier` is an x509 verifier
    (its `certificate`, `intermediates`, `roots` and `trusted_time` are what constraints check)."""

    verifier: Verifier
    keyid: str
    certificate: x509.Certificate | None = None
    timestamps: tuple[datetime, ...] = field(default=())


def _try_cert(data: bytes) -> x509.Certificate | None:
    from witness_evals.witness.crypto import _parse_pem_cached

    got = _parse_pem_cached(bytes(data))
    if isinstance(got, str) or got.certificate is None:
        return None
    return got.certificate


def verify_envelope(
    env: Envelope,
    verifiers: Iterable[Verifier],
    *,
    roots: Sequence[x509.Certificate] = (),
    intermediates: Sequence[x509.Certificate] = (),
    timestamp_authorities: Sequence[x509.Certificate | Sequence[x509.Certificate]] = (),
    threshold: int = 1,
    now: datetime | None = None,
    tsa_requires_eku: bool = False,
) -> list[PassedVerifier]:
    """go-witness `Envelope.Verify`: the verifiers that accepted a signature; DSSEError otherwise.

    Every verifier is tried on every signature (the signature keyid is not used). A signature with a
    certificate also yields an x509 verifier if the certificate chains to `roots` (with the signature's
    and the given intermediates) at `now` when no TSAs are given, or at the time of one of its
    timestamps that verifies against `timestamp_authorities`. Like Go, a signature whose certificate
    does not parse is skipped entirely, and the threshold error counts all checked verifiers.
    Each timestamp authority is a certificate or a bundle (root + intermediates, one trust pool), like
    one policy `timestampauthorities` entry. `tsa_requires_eku`: go-witness v0.12.0's stricter
    RFC 3161 checks of each timestamp (`timestamp.verify_timestamp(require_eku=True)`).
    """
    from witness_evals.witness.timestamp import TimestampError, verify_timestamp

    if threshold <= 0:
        raise DSSEError(f"invalid threshold ({threshold}). thresholds must be greater than 0")
    if not env.signatures:
        raise DSSEError("no signatures in dsse envelope")
    verifiers = [v for v in verifiers if v is not None]
    if SIGNATURE_CACHE.enabled:
        body, digest = env.pae_and_digest()
    else:
        body, digest = pae(env.payload_type, env.payload), None
    passed: list[PassedVerifier] = []
    checked: list[tuple[str, str]] = []
    n_checked = 0
    for sig in env.signatures:
        if sig.certificate:
            cert = _try_cert(sig.certificate)
            if cert is None:
                continue
            sig_inters = [c for c in (_try_cert(i) for i in sig.intermediates) if c is not None]
            sig_inters += list(intermediates)
            base = verifier_for_certificate(cert)
            if not timestamp_authorities:
                xv = base.with_chain(sig_inters, roots, now)
                n_checked += 1
                err = xv.verify_error(body, sig.sig, data_digest=digest)
                if err is None:
                    passed.append(PassedVerifier(xv, xv.keyid, cert))
                else:
                    checked.append(("", err))  # go records a nil verifier here
            else:
                ok: list[tuple[Verifier, datetime]] = []
                failed = 0
                for tsa in timestamp_authorities:
                    pool = [tsa] if isinstance(tsa, x509.Certificate) else list(tsa)
                    for _ttype, tdata in sig.timestamps:  # go-witness does not look at the type
                        try:
                            when = verify_timestamp(
                                tdata, sig.sig, pool, now=now, require_eku=tsa_requires_eku
                            )
                        except TimestampError:
                            continue
                        xv = base.with_chain(sig_inters, roots, when)
                        if xv.verify_error(body, sig.sig, data_digest=digest) is None:
                            ok.append((xv, when))
                        else:
                            failed += 1
                if ok:
                    n_checked += 1
                    xv = ok[-1][0]  # go keeps the last passing verifier
                    passed.append(PassedVerifier(xv, xv.keyid, cert, tuple(w for _, w in ok)))
                else:
                    n_checked += failed
                    checked.extend(("", "no valid timestamps found") for _ in range(failed))
                    if not failed:
                        checked.append((base.keyid, "no valid timestamps found"))
        for v in verifiers:
            n_checked += 1
            err = v.verify_error(body, sig.sig, data_digest=digest)
            if err is None:
                passed.append(PassedVerifier(v, v.keyid, v.certificate))
            else:
                checked.append((v.keyid, err))
    if not passed:
        lines = "".join(f"  {kid}: {err}\n" for kid, err in checked)
        raise DSSEError(f"no valid signatures for the provided verifiers found for keyids:\n{lines}", checked)
    if len(passed) < threshold:
        raise DSSEError(
            f"envelope did not meet verifier threshold. expected {threshold} valid verifiers but got {n_checked}",
            checked,
        )
    return passed
