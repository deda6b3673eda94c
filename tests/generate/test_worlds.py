"""The shared world module: keys of every kind, x509 identities, pipelines, runs, witness output."""

from __future__ import annotations

import base64
import hashlib
import random
import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from witness_evals.bench import answers
from witness_evals.bench.scorers.context import NOW, ScoreContext
from witness_evals.generate import worlds as W
from witness_evals.witness import crypto, simulate, versions
from witness_evals.witness.cli import parse_command
from witness_evals.witness.dsse import Envelope
from witness_evals.witness.verify_output import witness_output


def files(pipe: W.Pipeline) -> dict[str, str]:
    return {s.name: f"{s.name}.att.json" for s in pipe.steps}


def check(world: W.World, policy: dict, key: W.Key, ctx: ScoreContext, version: str = "0.12") -> bool:
    v = versions.get(version)
    res = W.verify(policy, world.collections(files(world.pipe), v), world.subject, policy_key=key, version=v,
                   now=NOW, rego=ctx.rego)  # fmt: skip
    return res.passed


# ----------------------------------------------------------------------------- keys


def test_key_kinds_and_ids() -> None:
    rng = random.Random(1)
    kinds = Counter(W.draw_key(rng).kind for _ in range(2000))
    assert set(kinds) == {k for k, _ in W.KEY_KINDS}
    for kind in ("ed25519", "ecdsa-p256", "ecdsa-p384"):
        key = W.draw_key(rng, kind)
        assert key.keyid == hashlib.sha256(key.pem).hexdigest()  # keyid = sha256sum of the PEM file
        assert base64.b64decode(key.b64) == key.pem
        assert key.pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
        assert W.Key.from_json(key.to_json()) == key


def test_rsa_pool_keys_are_the_seeded_keys() -> None:
    """Pooled RSA seeds give the very keys `crypto.generate_private_key` makes from them (cached)."""
    seed = W.KEY_POOLS["rsa-2048"][0]
    key = W.Key("rsa-2048", seed)
    fresh = crypto.generate_private_key("rsa-2048", seed=seed)
    assert crypto.keyid(fresh) == key.keyid
    assert W.draw_key(random.Random(3), "rsa-3072").seed in W.KEY_POOLS["rsa-3072"]


# ----------------------------------------------------------------------------- pipelines


def test_pipeline_shapes_and_edges() -> None:
    lengths: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    attestors: Counter[str] = Counter()
    for seed in range(300):
        pipe = W.draw_pipeline(random.Random(seed))
        lengths[len(pipe.steps)] += 1
        assert W.Pipeline.from_json(pipe.to_json()) == pipe
        assert len(set(pipe.names)) == len(pipe.names)
        for i, s in enumerate(pipe.steps):
            kinds[s.kind] += 1
            attestors.update(s.recorded)
            assert s.artifacts_from == ((pipe.steps[i - 1].name,) if i else ())
            if len(pipe.steps) > 1:
                assert "git" in s.recorded  # the back-reference that finds the other steps
            assert set(s.export) <= set(s.attestors)
    assert set(lengths) == {1, 2, 3, 4, 5}
    assert set(kinds) == set(W.STEP_KINDS)
    assert {"sbom", "sarif", "docker", "oci", "k8smanifest", "slsa", "secretscan", "lockfiles"} <= set(
        attestors
    )


def test_run_is_deterministic() -> None:
    pipe = W.draw_pipeline(random.Random(5), shape=("lint", "test", "build", "package", "sign"))
    funcs = {s.name: W.draw_key(random.Random(s.name)) for s in pipe.steps}
    a = W.run(pipe, funcs)
    W._chain.cache_clear()
    W._run_step.cache_clear()
    W._recorded.cache_clear()
    b = W.run(pipe, funcs)
    assert [r.dumps() for r in a.results.values()] == [r.dumps() for r in b.results.values()]
    assert (a.subject, a.artifact_path) == (b.subject, b.artifact_path)
    assert a.artifact_path == a.scenarios["build"].product_paths()[0] or a.artifact_path.endswith(".jar")


def test_generated_pipelines_verify_and_catch_tampering(ctx: ScoreContext) -> None:
    for seed in range(40):
        rng = random.Random(seed)
        pipe = W.draw_pipeline(rng)
        funcs = {s.name: W.draw_key(rng) for s in pipe.steps}
        pkey = W.draw_key(rng)
        world = W.run(pipe, funcs)
        policy = W.policy_for(world, {n: [k] for n, k in funcs.items()}, expires="2031-01-01T00:00:00Z")
        for version in versions.NAMES:
            assert check(world, policy, pkey, ctx, version), (seed, version, [s.kind for s in pipe.steps])
        for s in pipe.steps[1:]:
            bad = W.run(pipe, funcs, W.Variant(tamper=s.name))
            assert not check(bad, policy, pkey, ctx), (seed, s.name)
        rogue = W.run(pipe, funcs, W.Variant(signers=((pipe.steps[0].name, W.draw_key(rng)),)))
        assert not check(rogue, policy, pkey, ctx)


def test_node_pipelines_build_to_many_entry_points(ctx: ScoreContext) -> None:
    """`dist/index.js` was the artifact of every node pipeline (1,078 of 6,766 `verify -f` in a 20,000-example
    set): a model recalled it instead of copying the user's file. Each node pipeline now draws its entry point
    from its seed, and `verify -f` on it passes the generated policy and fails a tampered hand-over."""
    seen: Counter[str] = Counter()
    for seed in range(1500):
        rng = random.Random(seed)
        pipe = W.draw_pipeline(rng)
        if pipe.language != "node" or pipe.steps[0].kind != "build":
            continue
        funcs = {s.name: W.draw_key(rng) for s in pipe.steps}
        world = W.run(pipe, funcs)
        assert world.artifact_path == W.node_entry(pipe.seed)
        seen[world.artifact_path] += 1
        if len(seen) <= 4 and seen[world.artifact_path] == 1:
            policy = W.policy_for(world, {n: [k] for n, k in funcs.items()}, expires="2031-01-01T00:00:00Z")
            assert check(world, policy, W.draw_key(rng), ctx)
    assert set(seen) == set(W.NODE_ENTRIES) and seen["dist/index.js"] < sum(seen.values()) / 2


def test_every_run_command_parses() -> None:
    for seed in range(60):
        rng = random.Random(seed)
        pipe = W.draw_pipeline(rng)
        world = W.run(pipe, {s.name: W.draw_key(rng) for s in pipe.steps})
        for s in pipe.steps:
            cmd = W.run_command(
                rng, s, world.scenarios[s.name], W.signer_flags("k.pem", "c.pem", "i.pem"), "o.json"
            )
            analysis = parse_command(cmd)
            assert analysis.valid, (cmd, analysis.errors)
            assert analysis.step == s.name


@pytest.mark.parametrize("system", ["github", "gitlab", "tekton", "shell"])
def test_ci_config_keeps_witness_lines(system: str) -> None:
    cmds = [("build", "witness run -s build -k k.pem -o b.json -- go build ./..."),
            ("package", "witness run -s package -k k.pem -o p.json -- tar czf a.tgz bin/a")]  # fmt: skip
    lang, text = W.ci_config(system, "api", cmds)
    found = answers.commands(f"```{lang}\n{text}\n```")
    assert found == [c for _, c in cmds]


# ----------------------------------------------------------------------------- x509


@pytest.mark.parametrize("intermediate", [False, True])
def test_x509_functionaries(ctx: ScoreContext, intermediate: bool) -> None:
    rng = random.Random(11 if intermediate else 12)
    pipe = W.draw_pipeline(rng, shape=("build", "package"))
    pki = W.draw_pki(rng, intermediate=intermediate)
    ident = W.draw_identity(rng, pki)
    funcs = {s.name: ident for s in pipe.steps}
    pkey = W.draw_key(rng)
    world = W.run(pipe, funcs)
    policy = W.policy_for(world, {n: [f] for n, f in funcs.items()}, expires="2030-01-01T00:00:00Z")
    assert policy["roots"][pki.root_id]["certificate"] == base64.b64encode(pki.root_pem).decode()
    assert ("intermediates" in policy["roots"][pki.root_id]) is intermediate
    for version in versions.NAMES:
        assert check(world, policy, pkey, ctx, version), version
    s0 = pipe.steps[0].name
    other = W.draw_identity(rng, pki, exclude=[ident.who])
    assert not check(W.run(pipe, funcs, W.Variant(signers=((s0, other),))), policy, pkey, ctx)
    foreign = W.CertIdentity(W.draw_pki(rng, org="hooli" if pki.org != "hooli" else "acme"), ident.key,
                             ident.email, ident.uri, ident.cn, ident.org)  # fmt: skip
    assert not check(W.run(pipe, funcs, W.Variant(signers=((s0, foreign),))), policy, pkey, ctx)
    assert W.CertIdentity.from_json(ident.to_json()) == ident


def test_a_build_agent_identified_by_its_dns_name(ctx: ScoreContext) -> None:
    """A machine certificate (DNS SAN only) is pinned by `dnsnames`; another agent of the same CA is refused."""
    rng = random.Random(5)
    pipe = W.draw_pipeline(rng, shape=("build",))
    pki = W.draw_pki(rng)
    key = W.draw_key(rng)  # the same key: only the DNS name differs
    agents = [W.CertIdentity(pki, key, dns=f"{h}.ci.{pki.org}.net") for h in ("runner-01", "laptop")]
    s0 = pipe.steps[0].name
    funcs = {s0: agents[0]}
    world = W.run(pipe, funcs)
    policy = W.policy_for(world, {s0: [agents[0]]}, expires="2030-01-01T00:00:00Z")
    constraint = policy["steps"][s0]["functionaries"][0]["certConstraint"]
    assert constraint["dnsnames"] == ["runner-01.ci." + pki.org + ".net"] and constraint["emails"] == ["*"]
    assert agents[0].who == agents[0].dns and W.CertIdentity.from_json(agents[0].to_json()) == agents[0]
    for version in versions.NAMES:
        assert check(world, policy, W.draw_key(random.Random(1)), ctx, version), version
    other = W.run(pipe, funcs, W.Variant(signers=((s0, agents[1]),)))
    assert not check(other, policy, W.draw_key(random.Random(1)), ctx)
    assert any(W.draw_identity(random.Random(seed), pki).dns for seed in range(40))


# ----------------------------------------------------------------------------- witness output


def _world(seed: int = 3) -> tuple[W.World, dict, W.Key]:
    rng = random.Random(seed)
    pipe = W.draw_pipeline(rng, shape=("build", "package"))
    funcs = {s.name: W.draw_key(rng) for s in pipe.steps}
    world = W.run(pipe, funcs)
    return (
        world,
        W.policy_for(world, {n: [k] for n, k in funcs.items()}, expires="2030-01-01T00:00:00Z"),
        W.draw_key(rng),
    )


def test_output_of_a_policy_level_failure_has_no_step_results() -> None:
    world, policy, key = _world()
    expired = {**policy, "expires": "2024-01-01T00:00:00Z"}
    res = W.verify(expired, world.collections(files(world.pipe)), world.subject, policy_key=key,
                   version=versions.get(), now=NOW)  # fmt: skip
    out = witness_output(res, tty=True)
    assert "Verification failed" not in out and "Evidence" not in out and "Step:" not in out
    assert "caused by" not in out
    # go-witness's INFO lines of the policyverify run (no `Finished`: the attestor failed), then the error
    assert out.startswith(
        "INFO    Starting verify attestors stage...\nINFO    Starting policyverify attestor...\n"
        "INFO    policy signature verified\nINFO    Completed verify attestors stage...\n"
        "ERROR   failed to verify policy: attestors failed with error messages\n"
    )
    assert out.endswith("policy expired on 2024-01-01 00:00:00 +0000 UTC")
    ci = witness_output(res, tty=False).splitlines()
    assert len(ci) == 5 and all(line.startswith("level=info msg=") for line in ci[:4])
    assert ci[4].startswith(
        'level=error msg="failed to verify policy: attestors failed with error messages\\n'
    )


def test_output_of_a_step_failure() -> None:
    world, policy, key = _world()
    s1 = world.pipe.steps[1].name
    bad = simulate.run_step(s1, world.scenarios[s1], W.draw_key(random.Random(99)).signer,
                            attestors=world.pipe.steps[1].recorded, export=world.pipe.steps[1].export)  # fmt: skip
    cols = [*world.collections(files(world.pipe))[:1]]
    from witness_evals.witness.verify import SourceCollection

    cols.append(SourceCollection.load(bad.dumps().encode(), f"{s1}.att.json"))
    res = W.verify(policy, cols, world.subject, policy_key=key, version=versions.get(), now=NOW)
    tty = witness_output(res, tty=True).splitlines()
    assert tty[2:5] == [
        "INFO    policy signature verified",
        tty[3],
        "INFO    Completed verify attestors stage...",
    ]
    assert re.fullmatch(r"INFO    Finished policyverify attestor\.\.\. \(0\.\d+s\)", tty[3]), tty[3]
    tty = tty[5:]
    assert tty[:3] == [
        "ERROR   Verification failed",
        "ERROR   Evidence:",
        f"ERROR   Step: {world.pipe.steps[0].name}",
    ]
    assert f"INFO    Passed with evidence: {world.pipe.steps[0].name}.att.json" in tty
    assert any(line.startswith(f"ERROR   collection rejected: {s1}, Reason: no verifiers") for line in tty)
    assert tty[-1] == "ERROR   failed to verify policy: policy verification failed"
    ci = witness_output(res, tty=False).splitlines()[5:]
    assert ci[0] == 'level=error msg="Verification failed"'
    assert ci[1] == 'level=error msg="Evidence:"'
    assert any(line.startswith(f'level=error msg="collection rejected: {s1}, Reason: ') and line.endswith(' "')
               for line in ci)  # fmt: skip


def test_output_of_an_unsigned_policy() -> None:
    world, _policy, key = _world()
    res = W.verify(Envelope(b"", "", ()), world.collections(files(world.pipe)), world.subject, policy_key=key,
                   version=versions.get(), now=NOW)  # fmt: skip
    out = witness_output(res)
    assert "no signatures in dsse envelope" in out and "Verification failed" not in out


# ----------------------------------------------------------------------------- deadlines people state


@pytest.mark.parametrize(
    ("kind", "ymd", "text", "expires"),
    [
        ("date-through", (2027, 5, 31), "2027-05-31", "2027-05-31T23:59:59Z"),
        ("date-on", (2027, 5, 31), "2027-05-31", "2027-05-31T00:00:00Z"),
        ("month-end", (2027, 6, 1), "the end of June 2027", "2027-06-30T23:59:59Z"),
        ("month-end", (2028, 2, 1), "the end of February 2028", "2028-02-29T23:59:59Z"),  # leap year
        ("month-end", (2026, 12, 1), "the end of December 2026", "2026-12-31T23:59:59Z"),
        ("quarter-end", (2026, 3, 1), "the end of Q3 2026", "2026-09-30T23:59:59Z"),
        ("quarter-end", (2027, 4, 1), "the end of Q4 2027", "2027-12-31T23:59:59Z"),
        ("year-end", (2026, 1, 1), "the end of 2026", "2026-12-31T23:59:59Z"),
        ("year-start", (2028, 1, 1), "the start of 2028", "2028-01-01T00:00:00Z"),
        ("month-start", (2027, 3, 1), "the start of March 2027", "2027-03-01T00:00:00Z"),
    ],
)
def test_deadline_conversion(kind: str, ymd: tuple[int, int, int], text: str, expires: str) -> None:
    dl = W.deadline(kind, *ymd)
    assert (dl.text, dl.expires, dl.kind) == (text, expires, kind)
    assert f"`{expires}`" in dl.how and "UTC" in dl.how
    lo, hi = dl.window
    assert lo <= expires <= hi  # same format, so string order is time order
    assert W.Deadline.from_json(dl.to_json()) == dl


def test_drawn_deadlines_are_future_and_varied() -> None:
    rng = random.Random(4)
    dls = [W.draw_deadline(rng) for _ in range(300)]
    assert {d.kind for d in dls} == set(W.DEADLINE_KINDS)
    floor = W.DEADLINE_FLOOR.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert all(d.window[0] > floor and d.expires > NOW.strftime("%Y-%m-%dT%H:%M:%SZ") for d in dls)
    assert datetime(2026, 7, 10, tzinfo=UTC) < W.DEADLINE_FLOOR  # after witness v0.12.0's release


def test_addable_attestors_are_not_recorded_yet() -> None:
    rng = random.Random(5)
    seen: Counter[str] = Counter()
    for _ in range(40):
        pipe = W.draw_pipeline(rng, max_steps=3)
        for s in pipe.steps:
            for a in W.addable_attestors(pipe, s.name):
                assert a not in s.recorded and a not in W.EXPORTABLE
                seen[a] += 1
    assert {"secretscan", "github"} <= set(seen)


def test_policy_file_names_are_wide_and_consistent() -> None:
    """Policy and policy-key names are drawn wide (no default a model recalls instead of copying), each signed
    name is a JSON file beside its policy's stem, and a private key name never pairs with two public names."""
    rng = random.Random(0)
    files = [W.policy_files(rng) for _ in range(3000)]
    keys = [W.policy_key_files(rng) for _ in range(3000)]
    assert len({p for p, _ in files}) == 56 and len(set(files)) > 200
    assert len(set(keys)) == 224
    for policy, signed in files:
        stem = policy.rsplit("/", 1)[-1].removesuffix(".json")
        assert policy.endswith(".json") and signed.endswith(".json") and stem in signed and signed != policy
        assert "policy" in stem  # never a step's attestation file (`release.json`)
    pubs: dict[str, set[str]] = {}
    for key, pub in keys:
        pubs.setdefault(key, set()).add(pub)
        assert key != pub
    assert all(len(v) == 1 for v in pubs.values())
    assert not {k for k, _ in keys} & {p for _, p in keys}


def test_signed_policy_file_is_a_signed_form_of_the_given_policy() -> None:
    rng = random.Random(1)
    for policy in ("policy.json", "policy/release.json", "witness-policy.json", "policies/main.json"):
        stem = policy.rsplit("/", 1)[-1].removesuffix(".json")
        forms = {W.signed_policy_file(rng, policy) for _ in range(200)}
        assert len(forms) == 5 and policy not in forms
        assert all(f.endswith(".json") and stem in f for f in forms)
        assert any(f.startswith(policy.rpartition("/")[0]) for f in forms)
