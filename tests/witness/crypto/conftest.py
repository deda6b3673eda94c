"""Shared fixtures for keys, x509, timestamps, DSSE, statements and collections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from witness_evals.witness import crypto
from witness_evals.witness import x509 as wx
from witness_evals.witness.timestamp import Timestamper

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "witness-test"
T0 = datetime(2024, 6, 15, 20, 27, 55, tzinfo=UTC)


@dataclass
class Pki:
    """A Fulcio-like PKI: root -> intermediate -> 10-minute leaf, and a TSA root -> TSA leaf."""

    root_key: Any
    root: Any
    inter_key: Any
    inter: Any
    leaf_key: Any
    leaf: Any
    tsa_root_key: Any
    tsa_root: Any
    tsa_key: Any
    tsa_cert: Any
    other_root: Any

    def stamper(self, at: datetime) -> Timestamper:
        return Timestamper(self.tsa_key, self.tsa_cert, at)


@pytest.fixture(scope="session")
def pki() -> Pki:
    rk = crypto.generate_private_key("ecdsa-p384", seed=101)
    root = wx.make_ca(
        "sigstore", rk, not_before=T0 - timedelta(days=900), not_after=T0 + timedelta(days=3650)
    )
    ik = crypto.generate_private_key("ecdsa-p384", seed=102)
    inter = wx.make_ca(
        "sigstore-intermediate",
        ik,
        not_before=T0 - timedelta(days=800),
        not_after=T0 + timedelta(days=3000),
        issuer=root,
        issuer_key=rk,
        path_length=0,
    )
    lk = crypto.generate_private_key("ecdsa-p256", seed=103)
    leaf = wx.make_leaf(
        lk.public_key(),
        inter,
        ik,
        not_before=T0,
        not_after=T0 + timedelta(minutes=10),
        emails=["builder@example.com"],
        extensions={"Issuer": "https://accounts.google.com", "BuildTrigger": "push"},
    )
    trk = crypto.generate_private_key("rsa-2048", seed=104)
    tsa_root = wx.make_ca(
        "tsa root", trk, not_before=T0 - timedelta(days=900), not_after=T0 + timedelta(days=9000)
    )
    tk = crypto.generate_private_key("ecdsa-p256", seed=105)
    tsa_cert = wx.make_leaf(
        tk.public_key(),
        tsa_root,
        trk,
        not_before=T0 - timedelta(days=30),
        not_after=T0 + timedelta(days=5000),
        common_name="tsa",
        timestamping=True,
    )
    ok = crypto.generate_private_key("ed25519", seed=106)
    other = wx.make_ca(
        "other root", ok, not_before=T0 - timedelta(days=900), not_after=T0 + timedelta(days=3650)
    )
    return Pki(rk, root, ik, inter, lk, leaf, trk, tsa_root, tk, tsa_cert, other)
