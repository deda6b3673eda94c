"""Helpers of the verify/simulate tests: keys, a build -> package pipeline, policy helpers."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from witness_evals.common.jsonio import dumps_go
from witness_evals.witness import crypto, simulate
from witness_evals.witness.dsse import Envelope, sign_envelope
from witness_evals.witness.intoto import PAYLOAD_TYPE
from witness_evals.witness.verify import SourceCollection, VerifyResult, verify


@dataclass
class World:
    build_key: crypto.Signer
    package_key: crypto.Signer
    policy_key: crypto.Signer
    other_key: crypto.Signer
    pipe: simulate.Pipeline

    def policy(self, **kw: Any) -> dict[str, Any]:
        funcs = kw.pop(
            "functionaries", {"build": [self.build_key.verifier()], "package": [self.package_key.verifier()]}
        )
        return simulate.policy_for(self.pipe, funcs, **kw)

    def collections(self) -> list[SourceCollection]:
        return [
            SourceCollection.load(r.envelope.dumps().encode(), f"{name}.attestation.json")
            for name, r in self.pipe.steps.items()
        ]

    def verify(
        self,
        policy: dict[str, Any] | Envelope | None = None,
        collections: list[SourceCollection] | None = None,
        subjects: list[str] | None = None,
        **kw: Any,
    ) -> VerifyResult:
        env = (
            policy
            if isinstance(policy, Envelope)
            else simulate.sign_policy(policy or self.policy(), self.policy_key)
        )
        kw.setdefault("policy_verifiers", [self.policy_key.verifier()])
        return verify(
            env,
            self.collections() if collections is None else collections,
            [self.pipe.artifact_digest] if subjects is None else subjects,
            **kw,
        )


def resign(env: Envelope, signer: crypto.Signer, edit: Any) -> Envelope:
    """Decode the statement, let `edit(statement_json)` change it, and sign it again."""
    stmt = json.loads(env.payload)
    edit(stmt)
    return sign_envelope(dumps_go(stmt).encode(), PAYLOAD_TYPE, [signer])


def as_source(env: Envelope, reference: str) -> SourceCollection:
    return SourceCollection.load(env.dumps().encode(), reference)


def make_world() -> World:
    keys = [crypto.Signer(crypto.generate_private_key("ed25519", seed=s)) for s in (11, 12, 13, 14)]
    pipe = simulate.pipeline(random.Random(7), {"build": keys[0], "package": keys[1]})
    return World(keys[0], keys[1], keys[2], keys[3], pipe)
