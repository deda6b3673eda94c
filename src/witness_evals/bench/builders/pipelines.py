"""Builder `pipelines`: a witness policy for a described 1-3 step pipeline, checked on hidden runs.

The prompt gives each step's `witness run` (name, command, attestors), the functionary public keys
as PEM (ed25519, ECDSA P-256/P-384, and in about one task in seven an RSA-2048 key from a small
fixed pool, since seeded RSA generation is slow), the expiry and, sometimes, a Rego rule for one
step. The reference policy is derived from the genuine world (`bench.worlds.world_for`): every step
requires exactly the attestation types its collection really carries, names its functionary by
keyid, and later steps take `artifactsFrom` the previous one. Tampered variants (a rogue signer,
swapped step keys, artifacts modified between steps, a missing attestor, a step left out, verify
after the expiry, a run violating the Rego rule) must FAIL; every hand-over is tampered, every step is
signed with another step's key and the Rego rule is violated in some variant, whatever was sampled. What
no run can probe is checked on the policy (`require`, `artifacts_from`, `expires_before`: see
`bench.scorers.policy`). The planted policy has one mistake.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from witness_evals.bench.builders import Builder
from witness_evals.bench.builders._common import (
    assemble,
    cap,
    fenced,
    join_words,
    names,
    opening,
    pick,
)
from witness_evals.bench.material import Material
from witness_evals.bench.task import Task, task_from_mapping
from witness_evals.bench.worlds import world_for
from witness_evals.witness import attestors as A
from witness_evals.witness import crypto

NAME = "pipelines"
COUNT = 102

RSA_POOL = (9101, 9102, 9103)
"""Seeds of the RSA-2048 keys tasks draw from (seeded RSA keygen costs ~1 s; each is built once)."""
KEY_KINDS = ("ed25519", "ecdsa-p256", "ecdsa-p384")
FIRST_STEPS = ("compile", "assemble", "codegen", "build-linux", "dist")
LATER = {
    "package": ("bundle", "package-tar", "archive", "release"),
    "sbom": ("sbom", "bom", "inventory"),
    "test": ("unit-tests", "integration", "verify-tests"),
    "scan": ("sast", "lint-sarif"),
}
CI = {"github": "GitHub Actions", "gitlab": "GitLab CI", "jenkins": "Jenkins"}
EXTRAS = ("lockfiles", "system-packages")


def _kind_of(rng: random.Random, allow_rsa: bool) -> str:
    if allow_rsa:
        return f"rsa-2048:{pick(rng, RSA_POOL)}"
    return f"{pick(rng, KEY_KINDS)}:{rng.randrange(1, 10**6)}"


def _keyid(material: Material, name: str) -> str:
    return material.keyid(name)


def _pem_b64(material: Material, name: str) -> str:
    return base64.b64encode(material.public_pem(name)).decode()


def _der_b64(material: Material, name: str) -> str:
    return base64.b64encode(crypto.public_der(material.keys[name].public_key())).decode()


def _key_section(
    rng: random.Random, key_names: list[str], signer_of: dict[str, str], shared: bool
) -> list[str]:
    """How the user hands over the functionary keys: a shell transcript, a list, or PEMs plus digests."""
    style = rng.choice(("shell", "list", "pem"))
    path = pick(rng, ("keys/{k}.pub", "trust/{k}-functionary.pem", "pub/{k}.pem"))
    if shared:
        intro = "All steps are signed by one CI key."
    else:
        intro = pick(
            rng,
            (
                "Functionary keys, one per step:",
                "Each step has its own signing key:",
                "Public keys of the step signers:",
            ),
        )
    if style == "shell":
        lines = []
        for k in key_names:
            f = path.format(k=k)
            lines += [
                f"$ sha256sum {f}",
                f"{{{{key.{k}.keyid}}}}  {f}",
                f"$ base64 -w0 {f}",
                f"{{{{key.{k}.b64}}}}",
            ]
        return [intro + "\n\n```console\n" + "\n".join(lines) + "\n```"]
    if style == "list":
        return [
            intro
            + "\n\n"
            + "\n".join(
                f"- `{k}`: keyid (sha256 of the PEM file) `{{{{key.{k}.keyid}}}}`, PEM as base64 `{{{{key.{k}.b64}}}}`"
                for k in key_names
            )
        ]
    out = [intro]
    for k in key_names:
        out.append(
            f"`{path.format(k=k)}` (keyid `{{{{key.{k}.keyid}}}}`, base64 `{{{{key.{k}.b64}}}}`):\n\n```\n{{{{key.{k}.pem}}}}\n```"
        )
    return out


def _rego_branch(branch: str) -> str:
    return (
        "package release.branch\n\nimport rego.v1\n\n"
        "deny contains msg if {\n"
        f"\tnot input.branch == {json.dumps(branch)}\n"
        f'\tmsg := "only {branch} may be released"\n'
        "}\n"
    )


def _rego_user() -> str:
    return (
        "package runner.nonroot\n\nimport rego.v1\n\n"
        "deny contains msg if {\n"
        '\tinput.username == "root"\n'
        '\tmsg := "step ran as root"\n'
        "}\n"
    )


def _stated_variants(
    sampled: list[dict[str, Any]],
    step_names: list[str],
    signer_of: dict[str, str],
    shared: bool,
    rego_step: str | None,
    scenario: dict[str, Any],
) -> list[dict[str, Any]]:
    """Bad pipelines for the requirements every prompt states that `sampled` does not probe: each later
    step consumes exactly the previous step's products (a `tamper` of every hand-over), each step has its
    own key (each step signed with another step's key), and `gate.rego` is enforced. The required
    attestation types, `artifactsFrom` and the expiry are checked on the policy itself (`require`,
    `artifacts_from`, `expires_before`): a `witness run` always records material, command-run and product."""
    extra: list[dict[str, Any]] = []
    tampered_steps = {t["tamper"] for t in sampled if "tamper" in t}
    for s in step_names[1:]:
        if s not in tampered_steps:
            extra.append({"label": f"products modified before {s} consumed them", "tamper": s})
    if not shared and len(step_names) >= 2:
        probed = {(s, k) for t in sampled for s, k in (t.get("signers") or {}).items()}
        for i, s in enumerate(step_names):
            other = step_names[(i + 1) % len(step_names)]
            if (s, signer_of[other]) not in probed:
                extra.append({"label": f"{s} signed with {other}'s key", "signers": {s: signer_of[other]}})
    if rego_step is not None and not any("set" in t for t in sampled):
        if "branch" in scenario:
            extra.append(
                {"label": "built from another branch", "set": {rego_step: {"branch": "feature/unreviewed"}}}
            )
        else:
            extra.append({"label": "step ran as root", "set": {rego_step: {"username": "root"}}})
    return extra


def build(rng: random.Random, task_id: str) -> Task:
    nm = names(rng)
    n_steps = rng.choices((1, 2, 3), (28, 42, 30))[0]
    seed = rng.randrange(1, 10**6)
    ci = pick(rng, ("none", "none", "github", "gitlab", "jenkins"))
    first = pick(rng, FIRST_STEPS)
    kinds = ["build"]
    if n_steps >= 2:
        kinds.append(pick(rng, ("package", "package", "test", "scan")))
    if n_steps == 3:
        kinds.append("sbom")
    used = {first}
    step_names = [first]
    for k in kinds[1:]:
        choice = pick(rng, [s for s in LATER[k] if s not in used])
        used.add(choice)
        step_names.append(choice)
    sbom_kind = pick(rng, ("spdx", "cyclonedx"))
    # attestors of each run
    step_specs: list[dict[str, Any]] = []
    run_attestors: dict[str, list[str]] = {}
    for i, (name, kind) in enumerate(zip(step_names, kinds, strict=True)):
        atts = ["environment", "git"]
        if i == 0 and ci != "none":
            atts.append(ci)
        if rng.random() < 0.25:
            atts.append(pick(rng, EXTRAS))
        if kind == "sbom":
            atts.append("sbom")
        run_attestors[name] = atts
        spec: dict[str, Any] = {"name": name, "attestors": atts}
        if i > 0:
            spec["kind"] = kind
            if kind == "sbom":
                spec["sbom"] = sbom_kind
        step_specs.append(spec)
    # keys
    allow_rsa = rng.random() < 0.13
    rsa_step = rng.randrange(n_steps) if allow_rsa else -1
    shared = n_steps > 1 and rng.random() < 0.2
    keys: dict[str, str] = {"policy": f"{pick(rng, ('ed25519', 'ecdsa-p256'))}:{rng.randrange(1, 10**6)}"}
    keys["rogue"] = f"{pick(rng, KEY_KINDS)}:{rng.randrange(1, 10**6)}"
    signer_of: dict[str, str] = {}
    if shared:
        keys["ci"] = _kind_of(rng, allow_rsa)
        signer_of = {s: "ci" for s in step_names}
    else:
        for i, s in enumerate(step_names):
            keys[s] = _kind_of(rng, i == rsa_step)
            signer_of[s] = s
    for spec in step_specs:
        spec["signer"] = signer_of[spec["name"]]
    # scenario
    scenario: dict[str, Any] = {"language": pick(rng, ("go", "node", "python", "rust", "java"))}
    if ci != "none":
        scenario["ci"] = ci
    rego_kind = None
    if rng.random() < 0.22:
        rego_kind = pick(rng, ("branch", "user"))
        if rego_kind == "branch":
            scenario["branch"] = pick(rng, ("main", "release"))
        else:
            scenario["username"] = pick(rng, ("builder", "ci"))
    pipeline = {"seed": seed, "scenario": scenario, "steps": step_specs}
    world = world_for(pipeline, keys, None, {})
    material = Material.from_decl(keys)
    # expiry
    expires_dt = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(days=rng.randrange(200, 900))
    expires_dt = expires_dt.replace(hour=0, minute=0, second=0)
    expires = expires_dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    expires_after = (expires_dt - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # reference policy
    types = {s: [a.type for a in world.runs[s].collection.attestations] for s in step_names}
    rego_step = step_names[0]
    rego_src = None
    rego_type = None
    if rego_kind == "branch":
        rego_src, rego_type = _rego_branch(scenario["branch"]), A.get("git").type
    elif rego_kind == "user":
        rego_src, rego_type = _rego_user(), A.get("environment").type

    def make_policy(
        *,
        keyid_override: dict[str, str] | None = None,
        key_b64: dict[str, str] | None = None,
        drop_from: bool = False,
        type_swap: tuple[str, str, str] | None = None,
        rename: tuple[str, str] | None = None,
        expires_value: str = expires,
        functionary_of: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        steps: dict[str, Any] = {}
        publickeys: dict[str, Any] = {}
        for i, s in enumerate(step_names):
            signer = (functionary_of or signer_of)[s]
            kid = (keyid_override or {}).get(signer) or _keyid(material, signer)
            publickeys[kid] = {"keyid": kid, "key": (key_b64 or {}).get(signer, _pem_b64(material, signer))}
            atts = []
            for t in types[s]:
                if type_swap and type_swap[0] == s and type_swap[1] == t:
                    t = type_swap[2]
                entry: dict[str, Any] = {"type": t, "regopolicies": []}
                if rego_src and s == rego_step and t == rego_type:
                    entry["regopolicies"] = [
                        {"name": "gate.rego", "module": base64.b64encode(rego_src.encode()).decode()}
                    ]
                atts.append(entry)
            body: dict[str, Any] = {
                "name": s,
                "attestations": atts,
                "functionaries": [{"type": "publickey", "publickeyid": kid}],
            }
            if i > 0 and not drop_from:
                body["artifactsFrom"] = [step_names[i - 1]]
            key = s
            if rename and rename[0] == s:
                body["name"] = rename[1]
            steps[key] = body
        return {"expires": expires_value, "steps": steps, "publickeys": publickeys}

    reference_policy = make_policy()
    # tampered variants
    tampered: list[dict[str, Any]] = []
    victim = pick(rng, step_names)
    tampered.append(
        {"label": f"{victim} signed by a key that is not in the policy", "signers": {victim: "rogue"}}
    )
    options = ["expiry", "missing"]
    if n_steps >= 2:
        options += ["tamper", "omit"]
        if not shared:
            options.append("swap")
    if rego_kind:
        options.append("rego")
    chosen = rng.sample(options, min(len(options), rng.choice((1, 2, 2))))
    if n_steps >= 2 and "tamper" not in chosen and rng.random() < 0.6:
        chosen.append("tamper")
    for opt in chosen:
        if opt == "expiry":
            at = (expires_dt + timedelta(days=rng.randrange(5, 60))).strftime("%Y-%m-%dT%H:%M:%SZ")
            tampered.append({"label": "verified after the policy expired", "at": at})
        elif opt == "missing":
            s = pick(rng, step_names)
            atts = run_attestors[s]
            dropped = pick(rng, [a for a in atts if a != "git"])
            tampered.append(
                {
                    "label": f"{s} ran without the {dropped} attestor",
                    "attestors": {s: [a for a in atts if a != dropped]},
                }
            )
        elif opt == "tamper":
            s = pick(rng, step_names[1:])
            tampered.append({"label": f"products modified before {s} consumed them", "tamper": s})
        elif opt == "omit":
            s = pick(rng, step_names[1:])
            tampered.append({"label": f"{s} attestation not supplied", "omit": [s]})
        elif opt == "swap":
            a, b = step_names[0], step_names[1]
            tampered.append(
                {
                    "label": f"{a} and {b} signed with each other's keys",
                    "signers": {a: signer_of[b], b: signer_of[a]},
                }
            )
        elif opt == "rego":
            if rego_kind == "branch":
                tampered.append(
                    {
                        "label": "built from another branch",
                        "set": {rego_step: {"branch": "feature/unreviewed"}},
                    }
                )
            else:
                tampered.append({"label": "step ran as root", "set": {rego_step: {"username": "root"}}})
    tamper_kinds = {
        ("tamper" if "tamper" in t else "omit" if "omit" in t else "at" if "at" in t else "other")
        for t in tampered
    }
    # the check enforces every requirement the prompt states, not only the sampled ones above (drawn
    # without the rng, so prompts and planted answers stay as they were)
    hidden = list(tampered) + _stated_variants(
        tampered, step_names, signer_of, shared, rego_step if rego_kind else None, scenario
    )
    # planted
    mistakes: list[str] = ["wrong-keyid", "der-key", "type-uri", "step-name", "expires"]
    if "tamper" in tamper_kinds:
        mistakes += ["no-artifacts-from", "no-artifacts-from"]
    if not shared and n_steps >= 2:
        mistakes.append("swapped-functionaries")
    mistake = pick(rng, mistakes)
    s0 = pick(rng, step_names)
    if mistake == "wrong-keyid":
        der = crypto.public_der(material.keys[signer_of[s0]].public_key())
        planted_policy = make_policy(keyid_override={signer_of[s0]: hashlib.sha256(der).hexdigest()})
    elif mistake == "der-key":
        planted_policy = make_policy(key_b64={signer_of[s0]: _der_b64(material, signer_of[s0])})
    elif mistake == "type-uri":
        t = pick(rng, types[s0])
        wrong = {
            "https://spdx.dev/Document": A.get("sbom").type,
            "https://cyclonedx.org/bom": A.get("sbom").type,
        }.get(t, t.replace("/v0.1", "/v0.2") if t.endswith("/v0.1") else t + "/v1")
        planted_policy = make_policy(type_swap=(s0, t, wrong))
    elif mistake == "step-name":
        planted_policy = make_policy(rename=(s0, s0.replace("-", "_") if "-" in s0 else cap(s0)))
    elif mistake == "expires":
        planted_policy = make_policy(
            expires_value=(
                datetime(2026, 6, 1, tzinfo=UTC) - timedelta(days=rng.randrange(10, 300))
            ).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    elif mistake == "no-artifacts-from":
        planted_policy = make_policy(drop_from=True)
    else:
        a, b = step_names[0], step_names[1]
        planted_policy = make_policy(functionary_of={**signer_of, a: signer_of[b], b: signer_of[a]})
    # prompt
    facts: list[str] = []
    chain = " → ".join(f"`{s}`" for s in step_names)
    if n_steps == 1:
        facts.append(
            pick(
                rng,
                (
                    f"Single-step pipeline: `{first}`.",
                    f"Just one step, `{first}`, for now.",
                    f"The only recorded step is `{first}`.",
                ),
            )
        )
    else:
        facts.append(
            pick(
                rng,
                (
                    f"Pipeline: {chain}.",
                    f"Steps, in order: {chain}.",
                    f"Our pipeline has {n_steps} witnessed steps: {chain}.",
                ),
            )
        )
    if ci != "none":
        facts.append(f"Everything runs on {CI[ci]}.")
    explicit = rng.random() < 0.5
    for s in step_names:
        sc = world.scenarios[s]
        cmd = " ".join(sc.command)
        atts = run_attestors[s]
        run_line = (
            f"witness run -s {s} -k {signer_of[s]}.pem -o {s}.att.json"
            + (f" -a {','.join(atts)}" if atts != ["environment", "git"] else "")
            + f" -- {cmd}"
        )
        if explicit:
            recorded = [
                a.name
                if a.name != "sbom"
                else f"sbom ({'SPDX' if sbom_kind == 'spdx' else 'CycloneDX'} JSON)"
                for a in (A.by_type(t) or A.get("sbom") for t in types[s])
            ]
            facts.append(f"`{s}` runs `{cmd}`; require these attestations: {join_words(recorded)}.")
        else:
            facts.append(f"`{s}` is recorded with `{run_line}`.")
    if not explicit:
        facts.append(
            pick(
                rng,
                (
                    "Each step should require every attestation its run records.",
                    "Require everything each of those runs records — nothing less.",
                ),
            )
        )
    key_lines = _key_section(
        rng, ["ci"] if shared else step_names, {s: signer_of[s] for s in step_names}, shared
    )
    if n_steps >= 2:
        facts.append(
            pick(
                rng,
                (
                    "Each step has to consume exactly what the previous one produced.",
                    "Later steps must be tied to the outputs of the step before them.",
                    "If anything changes the files between two steps, verification must fail.",
                ),
            )
        )
    rego_lines: list[str] = []
    if rego_kind:
        what = (
            f"only lets `{rego_step}` pass when it was built from `{scenario['branch']}`"
            if rego_kind == "branch"
            else f"rejects `{rego_step}` when it ran as `root`"
        )
        facts.append(
            f"Security also gave us `gate.rego`, which {what}; attach it to the right attestation of that step."
        )
        assert rego_src is not None
        # named texts (`texts:` / `{{text.NAME...}}`) are rejected by task_from_mapping, so inline them
        rego_lines.append(
            f"`gate.rego`:\n\n```rego\n{rego_src}```\n\n"
            + pick(rng, ("`base64 -w0 gate.rego` prints:", "Its base64 (`base64 -w0`):", "Encoded:"))
            + f"\n\n```\n{base64.b64encode(rego_src.encode()).decode()}\n```"
        )
    when = pick(
        rng,
        (
            f"The policy expires {expires}.",
            f"Expiry: {expires_dt.strftime('%Y-%m-%d')} 00:00 UTC.",
            f"Make it valid until {expires_dt.strftime('%B ') + str(expires_dt.day) + expires_dt.strftime(', %Y')} (midnight UTC).",
        ),
    )
    facts.append(when)
    request = pick(
        rng,
        (
            "Write the policy JSON.",
            "What should the policy document look like?",
            "Please give me the complete policy.",
            "Can you put the witness policy together?",
            "I need the full policy file.",
        ),
    )
    prompt = (
        assemble(rng, opening_text=opening(rng, nm), facts=facts, request=request, constraints=[])
        + "\n\n"
        + "\n\n".join(key_lines + rego_lines)
    )
    note = pick(
        rng,
        (
            "Each functionary is referenced by keyid (sha256 of the PEM public key) and the PEM is embedded base64-encoded in `publickeys`.",
            "Keys are embedded as base64 of the PEM; the keyid is the hex sha256 of that PEM.",
        ),
    )
    reference = (
        f"{note}\n\n"
        f"{fenced(json.dumps(reference_policy, indent=2), 'json')}\n\n"
        "Sign it with `witness sign -f policy.json -o policy.signed.json -k <policy key>` before `witness verify` uses it."
    )
    planted = fenced(json.dumps(planted_policy, indent=2), "json")
    raw = {
        "id": task_id,
        "kind": "policy",
        "keys": keys,
        "prompt": prompt,
        "check": {
            "type": "policy",
            "policy_key": "policy",
            "expires_after": expires_after,
            "expires_before": (expires_dt + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "pipeline": pipeline,
            "tampered": hidden,
            "steps": list(step_names),
            "require": {s: list(types[s]) for s in step_names},
            "artifacts_from": {s: [step_names[i - 1]] for i, s in enumerate(step_names) if i > 0},
        },
        "reference": reference,
        "planted": planted,
        "tags": ["generated", f"steps:{n_steps}", f"mistake:{mistake}", f"ci:{ci}"]
        + (["rsa"] if allow_rsa else [])
        + (["shared-key"] if shared else [])
        + ([f"rego:{rego_kind}"] if rego_kind else [])
        + [f"tamper:{t}" for t in sorted(tamper_kinds)],
        "title": f"policy for {' -> '.join(step_names)}",
    }
    return task_from_mapping(raw, source="generated")


BUILDER = Builder(NAME, "policy", COUNT, build)
