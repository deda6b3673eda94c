"""What `witness verify` prints when one Rego module judges one attestation: a real run of the core.

The rego family's fix and logic questions state a symptom in words ("it rejects compliant attestations");
people paste what `witness verify` printed. `verify_log` builds the smallest genuine setup around one of a
requirement's inputs — one step's collection holding that predicate (and a product, so `-f` finds it),
signed by a functionary key, and a signed policy that puts the module on the predicate's type — runs the
core's `verify` with the module and with the requirement's correct module, and returns the command line
and the log (`witness_output`). It returns None where one verify does not show the module's mistake: the
input is not the value verify hands to Rego, the collection would not load, or the two modules do not
disagree on it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from witness_evals.bench.scorers.context import NOW
from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import dumps_go
from witness_evals.generate import worlds as W
from witness_evals.generate.rego_model import Req
from witness_evals.witness import attestors, simulate
from witness_evals.witness.collection import Collection, CollectionAttestation, collection_statement
from witness_evals.witness.digests import sha256_hex
from witness_evals.witness.dsse import sign_envelope
from witness_evals.witness.intoto import PAYLOAD_TYPE
from witness_evals.witness.verify import QUIET_TRUSTED_REGO, SourceCollection, VerifyResult
from witness_evals.witness.verify_output import witness_output
from witness_evals.witness.versions import WitnessVersion

PRODUCT = attestors.get("product").type
_KEYS = (("ed25519", 0.5), ("ecdsa-p256", 0.3), ("ecdsa-p384", 0.2))
_DIRS = ("dist/", "bin/", "build/", "out/", "target/release/", "release/", "")
_STEMS = ("app", "server", "api", "worker", "cli", "gateway", "billing", "scheduler", "agent", "web")
_SUFFIXES = ("", ".tar.gz", ".zip", ".jar", "-linux-amd64", ".whl", ".tgz")


@dataclass(frozen=True)
class VerifyLog:
    """The `witness verify` line a user ran and what it printed (`$ command` first)."""

    command: str
    text: str
    passed: bool
    """Whether verification succeeded (a module that lets a violating attestation through)."""
    compliant: bool
    """Whether the verified attestation meets the requirement (one of its pass inputs)."""
    index: int
    """Its index in `req.pass_inputs()` (compliant) or `req.deny_inputs()`."""


def _artifact(rng: random.Random) -> str:
    return f"{rng.choice(_DIRS)}{rng.choice(_STEMS)}{rng.choice(_SUFFIXES)}"


def _collection(step: str, att_type: str, pred: Any, artifact: str) -> tuple[Collection, str, str] | None:
    """The step's collection with `pred`, the file `-f` names and its digest (None: no product to verify)."""
    start = NOW - timedelta(hours=3)
    t0, t1 = simulate.rfc3339_nano(start), simulate.rfc3339_nano(start + timedelta(seconds=41))
    atts = [CollectionAttestation(att_type, pred, t0, t1)]
    if att_type == PRODUCT:
        for path, product in pred.items():
            digest = product.get("digest", {}).get("sha256") if isinstance(product, dict) else None
            if isinstance(digest, str) and digest:
                return Collection(step, atts), path, digest
        return None
    digest = sha256_hex(f"{step}:{artifact}:{att_type}")
    product = {artifact: {"mime_type": "application/octet-stream", "digest": {"sha256": digest}}}
    atts.append(CollectionAttestation(PRODUCT, product, t1, t1))
    return Collection(step, atts), artifact, digest


def _policy(step: str, att_type: str, module_file: str, module: str, key: W.Key) -> dict[str, Any]:
    kid = key.keyid
    return {
        "expires": "2031-01-01T00:00:00Z",
        "steps": {
            step: {
                "name": step,
                "attestations": [
                    {"type": att_type, "regopolicies": [simulate.rego_module(module_file, module)]}
                ],
                "functionaries": [{"type": "publickey", "publickeyid": kid}],
            }
        },
        "publickeys": {kid: {"keyid": kid, "key": key.b64}},
    }


def verify_log(
    req: Req,
    module: str,
    correct: str,
    *,
    step: str,
    att_file: str,
    policy_file: str,
    rng: random.Random,
    version: WitnessVersion,
    tty: bool = True,
    tries: int = 3,
) -> VerifyLog | None:
    """`witness verify` of the first of the requirement's inputs (its first `tries` compliant ones, then its
    first `tries` violating ones) on which `module` and `correct` print different things; None if none."""
    candidates = [(True, i, p) for i, p in enumerate(req.pass_inputs()[:tries])]
    candidates += [(False, i, p) for i, p in enumerate(req.deny_inputs()[:tries])]
    att_type = req.type_uri()
    spec = attestors.by_type(att_type)
    if spec is None:
        return None
    functionary, policy_key = W.draw_key(rng, weights=_KEYS), W.draw_key(rng, weights=_KEYS)
    artifact = _artifact(rng)
    signed, pub = W.signed_policy_file(rng, policy_file), W.policy_key_files(rng)[1]
    for compliant, index, pred in candidates:
        if spec.rego_input(pred) != pred:
            continue
        made = _collection(step, att_type, pred, artifact)
        if made is None:
            continue
        collection, shown, digest = made
        payload = dumps_go(collection_statement(collection).to_json()).encode()
        envelope = sign_envelope(payload, PAYLOAD_TYPE, [functionary.signer])
        try:
            loaded = SourceCollection.load(envelope.dumps().encode(), att_file, version=version)
        except InputError:
            continue

        def run(mod: str, loaded: SourceCollection = loaded, digest: str = digest) -> VerifyResult:
            policy = _policy(step, att_type, req.file_name(), mod, functionary)
            return W.verify(
                policy,
                [loaded],
                digest,
                policy_key=policy_key,
                version=version,
                now=NOW,
                rego=QUIET_TRUSTED_REGO,
            )

        got, want = run(module), run(correct)
        if got.passed == want.passed and got.reasons == want.reasons and got.error == want.error:
            continue
        command = f"witness verify -p {signed} -k {pub} -a {att_file} -f {shown}"
        text = f"$ {command}\n" + witness_output(got, tty=tty)
        return VerifyLog(command, text, got.passed, compliant, index)
    return None


__all__ = ["VerifyLog", "verify_log"]
