"""Keys and certificates a task declares, and the `{{...}}` placeholders that put them into its text.

A task names its key material instead of pasting it, so that prompts, reference answers and hidden
pipelines all use the same seeded keys:

    keys:  {build: "ed25519:101", policy: "ecdsa-p256:7", release: "rsa-2048:3"}
    pki:                                   # optional x509 material, in issuing order
      root:  {key: rootkey, cn: "Acme Root CA", org: [Acme]}          # no issuer: self-signed CA
      inter: {key: interkey, cn: "Acme CI CA", issuer: root, ca: true}  # intermediate CA
      ci:    {key: build, issuer: inter, emails: [ci@acme.dev], uris: [...], dns: [...], cn: "", org: []}

Placeholders: `{{key.NAME.pem}}` (public key PEM), `{{key.NAME.keyid}}` (go-witness keyid),
`{{key.NAME.b64}}` (base64 of the public PEM, as a policy embeds it), `{{key.NAME.private_pem}}`,
`{{cert.NAME.pem}}`, `{{cert.NAME.b64}}`, and for a task's named texts (`texts: {NAME: "..."}`, e.g. a
Rego module a policy embeds) `{{text.NAME.raw}}` and `{{text.NAME.b64}}` (base64 of its UTF-8 bytes).
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509 as cx509

from witness_evals.common.errors import InputError
from witness_evals.witness import crypto
from witness_evals.witness import x509 as wx509

NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2031, 1, 1, tzinfo=UTC)
_PLACEHOLDER = re.compile(r"\{\{\s*(key|cert|text)\.([A-Za-z0-9_-]+)\.(pem|keyid|b64|private_pem|raw)\s*\}\}")


def parse_key_decl(decl: str) -> tuple[str, int]:
    """`"ed25519:101"` -> ("ed25519", 101); InputError for anything else."""
    kind, sep, seed = str(decl).partition(":")
    if not sep or kind not in crypto.KEY_TYPES or not seed.isdigit():
        raise InputError(f"key must be KIND:SEED with KIND one of {', '.join(crypto.KEY_TYPES)}: {decl!r}")
    return kind, int(seed)


@dataclass
class Material:
    """The seeded keys and certificates of one task."""

    keys: dict[str, crypto.PrivateKey] = field(default_factory=dict)
    certs: dict[str, cx509.Certificate] = field(default_factory=dict)
    cert_key: dict[str, str] = field(default_factory=dict)
    issuer: dict[str, str] = field(default_factory=dict)
    is_ca: dict[str, bool] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_decl(cls, keys: Mapping[str, Any] | None, pki: Mapping[str, Any] | None = None) -> Material:
        m = cls()
        for name, decl in (keys or {}).items():
            kind, seed = parse_key_decl(decl)
            m.keys[str(name)] = crypto.generate_private_key(kind, seed=seed)
        for name, spec in (pki or {}).items():
            m._add_cert(str(name), spec)
        return m

    def _add_cert(self, name: str, spec: Any) -> None:
        if not isinstance(spec, Mapping) or spec.get("key") not in self.keys:
            raise InputError(f"pki.{name}: needs `key` naming one of the task's keys")
        key = self.keys[spec["key"]]
        not_after = spec.get("not_after")
        end = datetime.fromisoformat(str(not_after).replace("Z", "+00:00")) if not_after else NOT_AFTER
        issuer = spec.get("issuer")
        orgs = [str(o) for o in spec.get("org", ())]
        if issuer is None or spec.get("ca"):
            if issuer is not None and issuer not in self.certs:
                raise InputError(f"pki.{name}: issuer {issuer!r} must be declared before it")
            cert = wx509.make_ca(
                str(spec.get("cn", name)),
                key,
                not_before=NOT_BEFORE,
                not_after=end,
                issuer=self.certs[issuer] if issuer else None,
                issuer_key=self.keys[self.cert_key[issuer]] if issuer else None,
                organizations=orgs,
            )
            self.is_ca[name] = True
        else:
            if issuer not in self.certs:
                raise InputError(f"pki.{name}: issuer {issuer!r} must be declared before it")
            cert = wx509.make_leaf(
                key.public_key(),
                self.certs[issuer],
                self.keys[self.cert_key[issuer]],
                not_before=NOT_BEFORE,
                not_after=end,
                common_name=str(spec.get("cn", "")),
                emails=[str(e) for e in spec.get("emails", ())],
                uris=[str(u) for u in spec.get("uris", ())],
                dns_names=[str(d) for d in spec.get("dns", ())],
                organizations=orgs,
                extensions={str(k): str(v) for k, v in (spec.get("extensions") or {}).items()},
            )
            self.is_ca[name] = False
        self.certs[name] = cert
        self.cert_key[name] = str(spec["key"])
        if issuer:
            self.issuer[name] = str(issuer)

    # ---- signers -------------------------------------------------------------------------------
    def signer(self, name: str) -> crypto.Signer:
        """A key signer, or for a leaf certificate an x509 signer carrying its intermediates."""
        if name in self.certs and not self.is_ca[name]:
            chain: list[cx509.Certificate] = []
            parent = self.issuer.get(name)
            while parent is not None and parent in self.issuer:  # intermediates only, not the root
                chain.append(self.certs[parent])
                parent = self.issuer.get(parent)
            return crypto.Signer(self.keys[self.cert_key[name]], self.certs[name], chain)
        if name not in self.keys:
            raise InputError(f"unknown key or certificate {name!r}")
        return crypto.Signer(self.keys[name])

    def public_pem(self, name: str) -> bytes:
        if name not in self.keys:
            raise InputError(f"unknown key {name!r}")
        return crypto.public_pem(self.keys[name].public_key())

    def keyid(self, name: str) -> str:
        return crypto.keyid(self.keys[name].public_key())

    def cert_pem(self, name: str) -> bytes:
        if name not in self.certs:
            raise InputError(f"unknown certificate {name!r}")
        return wx509.cert_pem(self.certs[name])

    # ---- text ----------------------------------------------------------------------------------
    def render(self, text: str) -> str:
        """Replace every `{{key.NAME.x}}` / `{{cert.NAME.x}}` placeholder; unknown names are errors."""

        def sub(m: re.Match[str]) -> str:
            what, name, form = m.groups()
            if what == "text":
                if name not in self.texts or form not in ("raw", "b64"):
                    raise InputError(f"placeholder {m.group(0)}: no text {name!r} (forms: raw, b64)")
                raw = self.texts[name]
                return base64.b64encode(raw.encode("utf-8")).decode() if form == "b64" else raw
            if form == "raw":
                raise InputError(f"placeholder {m.group(0)}: `raw` is for texts")
            if what == "key":
                if name not in self.keys:
                    raise InputError(f"placeholder {m.group(0)}: no key {name!r}")
                if form == "keyid":
                    return self.keyid(name)
                if form == "private_pem":
                    return crypto.private_pem(self.keys[name]).decode().rstrip("\n")
                pem = self.public_pem(name)
            else:
                if name not in self.certs or form in ("keyid", "private_pem"):
                    raise InputError(f"placeholder {m.group(0)}: no such certificate value")
                pem = self.cert_pem(name)
            return base64.b64encode(pem).decode() if form == "b64" else pem.decode().rstrip("\n")

        return _PLACEHOLDER.sub(sub, text)


@functools.lru_cache(maxsize=2048)
def _material_cached(key: str) -> Material:
    spec = json.loads(key)
    return Material.from_decl(spec["keys"], dict(spec["pki"]))


def material_for(keys: Mapping[str, Any] | None, pki: Mapping[str, Any] | None = None) -> Material:
    """`Material.from_decl`, cached (scorers rebuild the same task's keys for every answer).

    The returned object is shared: do not modify it."""
    return _material_cached(
        json.dumps({"keys": keys or {}, "pki": [[k, v] for k, v in (pki or {}).items()]}, sort_keys=True)
    )
