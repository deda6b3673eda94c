"""Builder `failures`: a broken setup, the real output it produces, and a request for the fix.

Three kinds of breakage, each graded by executing the fixed artifact:

* a policy that makes `witness verify` fail on a genuine pipeline — the prompt shows the policy, the
  verify command and what witness prints for the core's result (`witness.verify_output.witness_output`,
  terminal or CI-log form drawn from the task's rng); the fixed policy must PASS the genuine runs and
  still FAIL tampered ones (policy check);
* a `witness` command line that does not do what the user describes — the prompt shows the output of
  `witness-evals check command` for it; the fixed command is graded by meaning (command check);
* a Rego module with one mistake — the prompt shows what evaluating it on a violating (or compliant)
  attestation gives, in the format of `witness-evals check rego --input`; the fixed module must pass
  the compliant inputs and deny the violating ones, and repeating the broken module fails (rego check).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import shlex
from datetime import UTC, datetime, timedelta
from typing import Any

from witness_evals.bench.builders import Builder, cli_intents, rego_fields
from witness_evals.bench.builders._common import (
    assemble,
    cap,
    compact_json,
    fenced,
    join_words,
    names,
    opening,
    pick,
)
from witness_evals.bench.material import Material
from witness_evals.bench.scorers import command as command_scorer
from witness_evals.bench.scorers.context import NOW
from witness_evals.bench.task import Task, task_from_mapping
from witness_evals.bench.worlds import world_for
from witness_evals.witness import attestors as A
from witness_evals.witness import crypto, simulate, versions
from witness_evals.witness import verify as wverify
from witness_evals.witness.cli import parse_command
from witness_evals.witness.verify_output import witness_output

NAME = "failures"
COUNT = 82

PATTERN = "PPPPPPPCCCCRRR"
"""Task i has kind PATTERN[i % 14] (P policy, C command, R rego): about 41 / 23 / 18 of 82."""


# ------------------------------------------------------------------------------ policy failures

POLICY_CAUSES = (
    "keyid-of-der",
    "der-key",
    "step-name",
    "expired",
    "empty-attestations",
    "wrong-key-embedded",
    "type-version",
    "sbom-type",
    "artifacts-from-typo",
    "missing-publickey",
)
FIRST = ("compile", "assemble", "make-dist", "build-amd64")
SECOND = ("bundle", "package-tar", "archive")
KEY_KINDS = ("ed25519", "ecdsa-p256", "ecdsa-p384")


def _policy_doc(
    step_names: list[str],
    types: dict[str, list[str]],
    signer_of: dict[str, str],
    material: Material,
    expires: str,
) -> dict[str, Any]:
    steps: dict[str, Any] = {}
    publickeys: dict[str, Any] = {}
    for i, s in enumerate(step_names):
        kid = material.keyid(signer_of[s])
        publickeys[kid] = {"keyid": kid, "key": base64.b64encode(material.public_pem(signer_of[s])).decode()}
        body: dict[str, Any] = {
            "name": s,
            "attestations": [{"type": t, "regopolicies": []} for t in types[s]],
            "functionaries": [{"type": "publickey", "publickeyid": kid}],
        }
        if i > 0:
            body["artifactsFrom"] = [step_names[i - 1]]
        steps[s] = body
    return {"expires": expires, "steps": steps, "publickeys": publickeys}


def _verify_result(policy: dict[str, Any], world: Any, material: Material) -> wverify.VerifyResult:
    """The core's `witness verify` of `policy` (signed with the task's policy key) on `world`."""
    env = simulate.sign_policy(policy, material.signer("policy"))
    res = wverify.verify(
        env,
        world.collections,
        world.subjects,
        wverify.VerifyOptions(
            version=versions.get("0.12"),  # the bench's failure texts are the latest release's
            policy_verifiers=[material.signer("policy").verifier()],
            rego=wverify.TRUSTED_REGO,
            now=NOW,
        ),
    )
    return res


def _b64_pem(material: Material, name: str) -> str:
    return base64.b64encode(material.public_pem(name)).decode()


def _b64_der(material: Material, name: str) -> str:
    return base64.b64encode(crypto.public_der(material.keys[name].public_key())).decode()


def policy_failure(rng: random.Random, nm: dict[str, str], k: int) -> dict[str, Any]:
    cause = POLICY_CAUSES[k % len(POLICY_CAUSES)]
    two = cause in ("artifacts-from-typo", "sbom-type") or rng.random() < 0.45
    first = pick(rng, FIRST)
    step_names = [first] + ([pick(rng, SECOND) if cause != "sbom-type" else "sbom"] if two else [])
    specs: list[dict[str, Any]] = []
    for i, s in enumerate(step_names):
        spec: dict[str, Any] = {"name": s, "signer": s}
        if i == 1:
            spec["kind"] = "sbom" if s == "sbom" else "package"
            if s == "sbom":
                spec["sbom"] = pick(rng, ("spdx", "cyclonedx"))
                spec["attestors"] = ["environment", "git", "sbom"]
        specs.append(spec)
    keys = {s: f"{pick(rng, KEY_KINDS)}:{rng.randrange(1, 10**6)}" for s in step_names}
    keys["policy"] = f"ed25519:{rng.randrange(1, 10**6)}"
    keys["rogue"] = f"ed25519:{rng.randrange(1, 10**6)}"
    pipeline = {
        "seed": rng.randrange(1, 10**6),
        "scenario": {"language": pick(rng, ("go", "node", "python", "rust", "java"))},
        "steps": specs,
    }
    world = world_for(pipeline, keys, None, {})
    material = Material.from_decl(keys)
    signer_of = {s: s for s in step_names}
    types = {s: [a.type for a in world.runs[s].collection.attestations] for s in step_names}
    want_until = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(days=rng.randrange(150, 700))
    expires = want_until.strftime("%Y-%m-%dT00:00:00Z")
    good = _policy_doc(step_names, types, signer_of, material, expires)
    broken = json.loads(json.dumps(good))
    victim = pick(rng, step_names) if cause not in ("artifacts-from-typo", "sbom-type") else step_names[-1]
    vkid = material.keyid(victim)
    extra: list[str] = []
    explain = ""
    wrong_fix: dict[str, Any] | None = None
    if cause == "keyid-of-der":
        der_id = hashlib.sha256(crypto.public_der(material.keys[victim].public_key())).hexdigest()
        entry = broken["publickeys"].pop(vkid)
        entry["keyid"] = der_id
        broken["publickeys"][der_id] = entry
        broken["steps"][victim]["functionaries"][0]["publickeyid"] = der_id
        explain = (
            f"The keyid of `{victim}`'s key was computed over the DER bytes. witness recomputes the id as the sha256 of the "
            "PEM public key and aborts when `publickeys[].keyid` differs — use the id it reports after `but got` everywhere "
            "(map key, `keyid`, functionary `publickeyid`)."
        )
        wrong_fix = json.loads(json.dumps(broken))
        e = wrong_fix["publickeys"].pop(der_id)
        wrong_fix["publickeys"][vkid] = e
    elif cause == "der-key":
        broken["publickeys"][vkid]["key"] = _b64_der(material, victim)
        f = pick(rng, ("keys/{s}.pub", "trust/{s}.pem")).format(s=victim)
        extra.append(
            "How I filled in the key:\n\n```console\n"
            f"$ openssl pkey -pubin -in {f} -outform DER | base64 -w0\n{_b64_der(material, victim)}\n"
            f"$ base64 -w0 {f}\n{_b64_pem(material, victim)}\n```"
        )
        explain = "`publickeys[].key` must be the base64 of the PEM text (it starts with `LS0tLS1CRUdJTi`), not of the DER bytes: witness PEM-decodes it and fails with `invalid pem block`."
    elif cause == "step-name":
        broken["steps"][victim]["name"] = cap(victim) if "-" not in victim else victim.replace("-", "_")
        explain = f"The step's map key and its `name` must be identical (and equal to the `-s` of `witness run`); `{broken['steps'][victim]['name']}` never matches the collection name `{victim}`."
        new = broken["steps"][victim]["name"]
        wrong_fix = json.loads(json.dumps(broken))
        wrong_fix["steps"] = {(new if k == victim else k): v for k, v in wrong_fix["steps"].items()}
        for st in wrong_fix["steps"].values():
            if "artifactsFrom" in st:
                st["artifactsFrom"] = [new if x == victim else x for x in st["artifactsFrom"]]
    elif cause == "expired":
        broken["expires"] = (NOW - timedelta(days=rng.randrange(3, 200))).strftime("%Y-%m-%dT%H:%M:%SZ")
        extra.append(f"It is supposed to stay valid until {want_until.strftime('%Y-%m-%d')}.")
        explain = "The policy's `expires` is in the past; witness checks it before anything else. Set it to the intended date and sign again."
        wrong_fix = json.loads(json.dumps(broken))
        wrong_fix["expires"] = (NOW + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif cause == "empty-attestations":
        broken["steps"][victim]["attestations"] = []
        atts = [a.name for a in (A.by_type(t) for t in types[victim]) if a]
        extra.append(f"`{victim}` runs with the default attestors, so its collection has {join_words(atts)}.")
        explain = f"witness v0.12 refuses a step whose `attestations` list is empty (it is not a valid gate); list the types `{victim}` records."
    elif cause == "wrong-key-embedded":
        pkid = material.keyid("policy")
        broken["publickeys"].pop(vkid)
        broken["publickeys"][pkid] = {"keyid": pkid, "key": _b64_pem(material, "policy")}
        broken["steps"][victim]["functionaries"][0]["publickeyid"] = pkid
        f = f"keys/{victim}.pub"
        extra.append(
            f"`{victim}` signs with the key in `{f}`:\n\n```console\n$ sha256sum {f}\n{vkid}  {f}\n$ base64 -w0 {f}\n{_b64_pem(material, victim)}\n```"
        )
        explain = f"The `{victim}` functionary is the policy-signing key, but the step's collections are signed by `{f}`. Embed that key and reference its keyid."
    elif cause == "type-version":
        t = pick(rng, [x for x in types[victim] if x.endswith("/v0.1")])
        broken["steps"][victim]["attestations"] = [
            {
                "type": (x["type"].replace("/v0.1", pick(rng, ("/v0.2", "/v1"))))
                if x["type"] == t
                else x["type"],
                "regopolicies": [],
            }
            for x in broken["steps"][victim]["attestations"]
        ]
        explain = f"A required type is misspelled: witness compares types as exact strings and the attestor writes `{t}`."
    elif cause == "sbom-type":
        sb = next(x for x in types[victim] if x in ("https://spdx.dev/Document", "https://cyclonedx.org/bom"))
        for x in broken["steps"][victim]["attestations"]:
            if x["type"] == sb:
                x["type"] = A.get("sbom").type
        explain = f"In a collection the sbom attestation carries the type of the document it found (`{sb}`), not the registered `{A.get('sbom').type}`."
        wrong_fix = json.loads(json.dumps(broken))
        wrong_fix["steps"][victim]["attestations"] = [
            x for x in wrong_fix["steps"][victim]["attestations"] if x["type"] != A.get("sbom").type
        ] + [
            {
                "type": "https://spdx.dev/Document"
                if sb != "https://spdx.dev/Document"
                else "https://cyclonedx.org/bom",
                "regopolicies": [],
            }
        ]
    elif cause == "artifacts-from-typo":
        typo = pick(
            rng,
            (
                "build",
                step_names[0] + "s",
                step_names[0].replace("-", "_") if "-" in step_names[0] else "Build",
            ),
        )
        broken["steps"][victim]["artifactsFrom"] = [typo]
        extra.append(f"`{victim}` must work on exactly what `{step_names[0]}` produced.")
        explain = f"`artifactsFrom` names a step that is not in the policy (`{typo}`); it must be `{step_names[0]}`."
        wrong_fix = json.loads(json.dumps(broken))
        wrong_fix["steps"][victim].pop("artifactsFrom")
    elif cause == "missing-publickey":
        broken["publickeys"].pop(vkid)
        f = f"keys/{victim}.pub"
        extra.append(
            f"```console\n$ sha256sum {f}\n{vkid}  {f}\n$ base64 -w0 {f}\n{_b64_pem(material, victim)}\n```"
        )
        explain = f"Only keys embedded in `publickeys` can verify signatures; the `{victim}` functionary's key is missing there."
    result = _verify_result(broken, world, material)
    assert not result.passed, cause
    policy_file = pick(rng, ("gate/policy.json", "supply-chain/policy.json", "policy.json"))
    signed = policy_file.replace(".json", ".signed.json")
    att_files = [f"{s}.attestation.json" for s in step_names]
    artifact = world.artifact_path
    verify_cmd = f"witness verify -p {signed} -k keys/policy.pub -f {artifact} " + " ".join(
        f"-a {a}" for a in att_files
    )
    facts = [
        pick(
            rng,
            (
                f"`witness verify` keeps failing for `{artifact}` and I can't see why.",
                f"Our gate rejects a perfectly normal build of `{artifact}`.",
                f"Verification of `{artifact}` fails even though the pipeline ran normally.",
            ),
        ),
    ]
    if two:
        facts.append(f"Steps: {join_words([f'`{s}`' for s in step_names])}, each signed by its own key.")
    request = pick(
        rng,
        (
            "What's wrong with the policy? Please send the corrected JSON.",
            "Can you find the problem and give me the fixed policy?",
            "Fix the policy for me (full JSON).",
            "Where's the mistake? I need a policy that verifies.",
        ),
    )
    tty = rng.random() < 0.5  # pasted from a terminal, or from a CI job's log
    output = witness_output(result, tty=tty)
    label = "Output:" if tty else pick(rng, ("From the CI job log:", "The job log says:"))
    snippet = (
        f"Policy (`{policy_file}`, signed into `{signed}`):\n\n{fenced(json.dumps(broken, indent=2), 'json')}\n\n"
        f"Command:\n\n{fenced(verify_cmd, 'bash')}\n\n{label}\n\n{fenced(output, 'text')}"
    )
    prompt = assemble(
        rng, opening_text=opening(rng, nm), facts=facts + extra, request=request, snippet=snippet
    )
    tampered = [
        {"label": f"{victim} signed by a key that is not in the policy", "signers": {victim: "rogue"}}
    ]
    if two:
        tampered.append({"label": f"outputs changed before {step_names[1]} ran", "tamper": step_names[1]})
        # "each signed by its own key": a fix must not let one step's key sign the other step
        a, b = step_names
        tampered.append({"label": f"{a} signed with {b}'s key", "signers": {a: b}})
        tampered.append({"label": f"{b} signed with {a}'s key", "signers": {b: a}})
    if cause == "wrong-key-embedded":
        tampered.append(
            {"label": f"{victim} signed by the policy-signing key", "signers": {victim: "policy"}}
        )
    # the fix must keep what the broken policy required (a misspelled type replaced by the real one,
    # a step with no types at all excepted): deleting the failing requirement is no fix
    require = {s: list(types[s]) for s in step_names if not (cause == "empty-attestations" and s == victim)}
    check: dict[str, Any] = {
        "type": "policy",
        "policy_key": "policy",
        "pipeline": pipeline,
        "tampered": tampered,
        "steps": list(step_names),
        "require": require,
    }
    if two:
        check["artifacts_from"] = {step_names[1]: [step_names[0]]}
    if cause == "expired":
        check["expires_after"] = (want_until - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        check["expires_before"] = (want_until + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    reference = f"{explain}\n\n{fenced(json.dumps(good, indent=2), 'json')}\n\nSign it again (`witness sign -f {policy_file} -o {signed} -k <policy key>`) and rerun verify."
    if wrong_fix is not None and rng.random() < 0.6:
        planted = f"Only a small change is needed:\n\n{fenced(json.dumps(wrong_fix, indent=2), 'json')}"
        pmode = "wrong-fix"
    else:
        planted = f"The policy looks right; the envelope is probably stale. Re-sign this exact policy:\n\n{fenced(json.dumps(broken, indent=2), 'json')}"
        pmode = "unchanged"
    return {
        "kind": "diagnose",
        "keys": keys,
        "prompt": prompt,
        "check": check,
        "reference": reference,
        "planted": planted,
        "tags": ["generated", "fix:policy", f"cause:{cause}", f"planted:{pmode}", f"steps:{len(step_names)}"],
        "title": f"policy fix: {cause}",
    }


# ------------------------------------------------------------------------------ command failures


def _check_command_text(analysis: Any) -> str:
    """What `witness-evals check command` prints for a command."""
    return str(analysis.report())


def _command_cause(bad: Any, good_text: str) -> str:
    """The real cause of a broken command: witness's (or the analyzer's) first blocking issue, else how
    its meaning differs from the intended command's (e.g. the attestors a run records)."""
    blocking = [
        i
        for i in bad.issues
        if i.severity == "error"
        or (i.severity == "warning" and i.code not in command_scorer.ALLOWED_WARNINGS)
    ]
    if blocking:
        first = next((i for i in blocking if i.severity == "error"), blocking[0])
        lead = "witness rejects it:" if first.severity == "error" else "The problem:"
        return f"{lead} {first.message.rstrip('.')}."
    got = command_scorer.meaning(bad)
    want = command_scorer.meaning(parse_command(good_text))
    if got.get("attestors") != want.get("attestors"):
        return (
            f"As written the collection records {join_words([f'`{x}`' for x in got.get('attestors') or []])}; "
            f"what you describe needs {join_words([f'`{x}`' for x in want.get('attestors') or []])}."
        )
    diff = command_scorer._diff(want, got, {})
    return f"As written it means something else ({diff})." if diff else ""


def command_failure(rng: random.Random, nm: dict[str, str], k: int) -> dict[str, Any]:
    fn = rng.choices(
        (cli_intents.intent_run, cli_intents.intent_verify, cli_intents.intent_sign), (55, 30, 15)
    )[0]
    it = fn(rng, nm)
    good, bad = it.commands[0], it.planted[0]
    bad_text = bad.render()
    analysis = parse_command(bad_text)
    report = _check_command_text(analysis)
    symptom = (
        pick(rng, ("witness refuses it:", "It errors out:", "Our linter says:"))
        if not analysis.valid
        else pick(
            rng,
            (
                "It runs, but the result isn't what I described. The analyzer says:",
                "It's accepted, yet the output doesn't match what we need:",
            ),
        )
    )
    snippet = f"{fenced(bad_text, 'bash')}\n\n{symptom}\n\n{fenced('$ witness-evals check command ' + shlex.quote(bad_text) + chr(10) + report, 'text')}"
    facts = [
        pick(rng, ("What I'm after:", "The goal:", "Intent:")) + " " + " ".join(it.facts + it.constraints)
    ]
    request = pick(
        rng,
        (
            "What's the corrected command?",
            "How should the command read?",
            "Please fix the command.",
            "What did I get wrong, and what's the right invocation?",
        ),
    )
    prompt = assemble(
        rng,
        opening_text=opening(rng, nm),
        facts=facts,
        request=request,
        snippet=snippet,
        snippet_intro=pick(rng, ("My command:", "This is what I have:", "Current invocation:")),
    )
    entry: dict[str, Any] = {"command": good.render()}
    if it.any_value:
        entry["any_value"] = list(it.any_value)
    reference = (
        f"{pick(rng, ('The fix:', 'Corrected:', 'Use this instead:'))}\n\n{fenced(good.render(), 'bash')}\n\n"
        + " ".join([_command_cause(analysis, good.render()), *it.notes[:2]]).strip()
    )
    planted = (
        f"{pick(rng, ('That command is fine as written:', 'Keep it as is:'))}\n\n{fenced(bad_text, 'bash')}"
    )
    return {
        "kind": "diagnose",
        "prompt": prompt,
        "check": {"type": "command", "expect": [entry]},
        "reference": reference.strip(),
        "planted": planted,
        "tags": [
            "generated",
            "fix:command",
            f"intent:{fn.__name__[7:]}",
            f"mistake:{it.mistake}",
            "valid" if analysis.valid else "invalid",
        ],
        "title": f"command fix: {it.mistake}",
    }


# ------------------------------------------------------------------------------ rego failures

REGO_MISTAKES = (
    "wrong-field",
    "inverted",
    "predicate-prefix",
    "v1-without-import",
    "deny-string",
    "deny-boolean",
    "rule-name",
)


def _check_rego_output(module: str, file: str, sample: str, inp: Any) -> str:
    out = wverify.QUIET_TRUSTED_REGO.evaluate({file: module}, inp)
    line = f"$ witness-evals check rego {file} --input {sample}"
    if out.status != "ok":
        return f"{line}\n{file}: error: {out.error}"
    return f"{line}\n{json.dumps(out.deny, ensure_ascii=False)}"


def _denies(module: str, inp: Any) -> bool:
    out = wverify.QUIET_TRUSTED_REGO.evaluate({"m.rego": module}, inp)
    return out.status == "ok" and bool(out.deny)


def _wrong_field_why(r: rego_fields.Req, broken: str) -> str:
    """What the planted wrong field path does: which text it reads instead of the right one, and the
    effect measured by evaluating the broken module on the task's compliant and violating inputs."""
    fixed = rego_fields.render(r, "v1")
    pairs: list[tuple[str, str]] | None = None
    for alt in r.wrong:
        src = fixed
        for old, new in alt:
            src = src.replace(old, new)
        if src == broken:
            pairs = alt
            break
    if pairs is None:  # not a known alternative: say only what is certain
        return "It reads the wrong field of the predicate."
    read = join_words([f"`{new.rstrip('[')}`" for _, new in pairs])
    right = join_words([f"`{old.rstrip('[')}`" for old, _ in pairs])
    false_pos = sum(_denies(broken, x) for x in r.passes)
    caught = sum(_denies(broken, x) for x in r.denies)
    if not false_pos and not caught:
        effect = "so nothing is ever denied"
        if all("object.get(" in new for _, new in pairs):
            effect = "and `object.get` returns its default for a key the predicate does not have, " + effect
    elif false_pos and caught == len(r.denies):
        effect = "so compliant attestations are denied as well"
    elif false_pos:
        effect = "so it denies compliant attestations and misses violating ones"
    else:
        effect = "so violating attestations get through"
    return f"It reads {read} where it should read {right}, {effect}."


def rego_failure(rng: random.Random, nm: dict[str, str], k: int) -> dict[str, Any]:
    reqs = rego_fields.REQUIREMENTS
    factory = reqs[(k * 7 + 3) % len(reqs)]
    r = factory(rng, rng.randrange(1, 50_000))
    options = [
        m
        for m in REGO_MISTAKES
        if (m != "wrong-field" or r.wrong) and (m != "inverted" or r.invert is not None)
    ]
    mistake = options[k % len(options)]
    broken = rego_fields.planted_module(r, mistake, rng)
    file = r.pkg.replace(".", "-") + ".rego"
    if mistake == "inverted" and rng.random() < 0.5:
        sample, inp, what = (
            "good.json",
            r.passes[0],
            pick(rng, ("a compliant attestation", "a build that follows the rule")),
        )
    else:
        sample, inp, what = (
            "bad.json",
            r.denies[0],
            pick(rng, ("an attestation that violates the rule", "a build that breaks the rule")),
        )
    output = _check_rego_output(broken, file, sample, inp)
    rule = pick(rng, r.rules)
    facts = [
        f"{cap(rule)} — that's the rule `{file}` should enforce on the `{r.attestor}` attestation.",
        f"`{sample}` is {what}.",
    ]
    snippet = f"{fenced(broken, 'rego')}\n\n{fenced(output, 'text')}"
    if rng.random() < 0.4:
        snippet += (
            f"\n\n`{sample}` (trimmed):\n\n{fenced(compact_json(rego_fields._excerpt(inp, r.view)), 'json')}"
        )
    request = pick(
        rng,
        (
            "What's wrong with the module?",
            "Why doesn't it work, and what's the fix?",
            "Please correct it.",
            "Can you fix the module?",
        ),
    )
    prompt = assemble(
        rng,
        opening_text=opening(rng, nm),
        facts=facts,
        request=request,
        snippet=snippet,
        snippet_intro=pick(
            rng, ("The module and what it does:", "Here is the module and the checker output:")
        ),
    )
    fixed = rego_fields.render(r, "v1")
    why = {
        "wrong-field": _wrong_field_why(r, broken) if mistake == "wrong-field" else "",
        "inverted": "The condition is inverted: it fires on compliant attestations and not on violating ones.",
        "predicate-prefix": "Rego's `input` is the predicate itself; there is no `predicate` wrapper.",
        "v1-without-import": "`contains`/`if` are v1 keywords; witness verify parses with OPA's v0 parser and needs `import rego.v1` for them.",
        "deny-string": "`deny = msg` makes deny a single string; witness needs a set of strings.",
        "deny-boolean": "`deny if` makes deny a boolean; witness needs a set of strings.",
        "rule-name": "witness only queries `deny`; a rule with another name is never looked at, so nothing is ever denied.",
    }[mistake]
    reference = f"{why} {r.note}\n\n{fenced(fixed, 'rego')}"
    planted = f"{pick(rng, ('The module is correct; the sample must be wrong.', 'Nothing to change in the Rego:'))}\n\n{fenced(broken, 'rego')}"
    return {
        "kind": "diagnose",
        "attestor": r.attestor,
        "prompt": prompt,
        "check": {"type": "rego", "pass": r.passes, "deny": r.denies, "broken": broken},
        "reference": reference,
        "planted": planted,
        "tags": ["generated", "fix:rego", f"req:{factory.__name__[2:]}", f"mistake:{mistake}"],
        "title": f"rego fix: {mistake} ({r.attestor})",
    }


def build(rng: random.Random, task_id: str) -> Task:
    nm = names(rng)
    idx = int(task_id.rsplit("/", 1)[1])
    letter = PATTERN[idx % len(PATTERN)]
    k = (idx // len(PATTERN)) * PATTERN.count(letter) + PATTERN[: idx % len(PATTERN)].count(letter)
    maker = {"P": policy_failure, "C": command_failure, "R": rego_failure}[letter]
    raw = maker(rng, nm, k)
    raw["id"] = task_id
    return task_from_mapping(raw, source="generated")


BUILDER = Builder(NAME, "diagnose", COUNT, build)
