"""Properties: every simulated pipeline verifies in both modes; any changed payload byte breaks it."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from verify_world import World

from witness_evals.common.errors import InputError
from witness_evals.witness import simulate
from witness_evals.witness.dsse import Envelope
from witness_evals.witness.verify import SourceCollection, verify
from witness_evals.witness.versions import NAMES

SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), language=st.sampled_from(["go", "node", "python", "rust", "java"]))
def test_simulated_pipelines_verify(world: World, seed: int, language: str) -> None:
    pipe = simulate.pipeline(
        random.Random(seed), {"build": world.build_key, "package": world.package_key}, language=language
    )
    funcs = {"build": [world.build_key.verifier()], "package": [world.package_key.verifier()]}
    env = simulate.sign_policy(simulate.policy_for(pipe, funcs), world.policy_key)
    cols = [SourceCollection.load(r.envelope.dumps().encode(), f"{n}.json") for n, r in pipe.steps.items()]
    for version in NAMES:
        res = verify(
            env, cols, [pipe.artifact_digest], policy_verifiers=[world.policy_key.verifier()], version=version
        )
        assert res.passed, (version, res.reasons)


@SETTINGS
@given(data=st.data())
def test_changed_payload_byte_never_passes(world: World, data: st.DataObject) -> None:
    env = world.pipe.steps["build"].envelope
    i = data.draw(st.integers(0, len(env.payload) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != env.payload[i]))
    payload = env.payload[:i] + bytes([new]) + env.payload[i + 1 :]
    tampered = Envelope(payload, env.payload_type, env.signatures)
    try:
        src = SourceCollection.load(tampered.dumps().encode(), "build.json")
    except InputError:
        return  # no longer a loadable collection: witness fails to load it too
    res = world.verify(collections=[src, world.collections()[1]])
    assert not res.passed
