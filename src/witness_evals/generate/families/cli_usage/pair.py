"""Intent "sign my policy, then verify an artifact with it": both commands, in that order.

The user has a raw policy, the key (or KMS key, or x.509 certificate) that signs it, the attestation files
and the artifact; the answer is one bash block with the `witness sign` line and the `witness verify` line
that uses its output (`-p` is the signed file, and the policy signature is checked with the public half,
the same KMS key or the root CA). The check expects both commands (`check["commands"]`).
"""

from __future__ import annotations

import random
import shlex
from collections.abc import Callable
from typing import Any

from witness_evals.bench.scorers.command import meaning
from witness_evals.generate.families.cli_usage import names, signers, workloads
from witness_evals.generate.families.cli_usage.built import Built
from witness_evals.generate.families.cli_usage.sign_verify import POLICY_TYPE
from witness_evals.generate.families.cli_usage.spec import Spec, analyse_reference, check_line, render
from witness_evals.generate.families.cli_usage.text import (
    bullets,
    code_list,
    fence,
    join_and,
    say,
    sentences,
)
from witness_evals.generate.phrasing import pick
from witness_evals.generate.teach import Lesson
from witness_evals.witness.attestors.scenario import hex_id
from witness_evals.witness.versions import WitnessVersion


def _forms() -> tuple[Callable[[random.Random, dict[str, str], list[str]], str], ...]:
    def both(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "I need two commands: one that signs `{policy}` and one that verifies {subject} against the "
                "signed result.",
                "How do I sign `{policy}` and then check {subject} with it?",
                "What are the witness commands to sign the policy `{policy}` and afterwards verify {subject}?",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)}"

    def flow(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "I've finished writing `{policy}` for {project}. Next I want to sign it and run the verification of "
                "{subject}.",
                "The {project} policy (`{policy}`) is done; it still has to be signed, and then {subject} should be "
                "checked against it.",
            ),
            **v,
        )
        tail = pick(rng, ("Which two commands do I run?", "Show me both steps.", "What do I type, in order?"))
        return f"{head} {sentences(rng, asks)} {tail}"

    def release(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "Our release script should sign the policy `{policy}` and then gate {subject} on it.",
                "For the release of {project} we sign `{policy}` in one step and verify {subject} in the next.",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)} {pick(rng, ('What are the two lines?', 'Commands please.'))}"

    def first_time(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "First time using witness policies. I have `{policy}` (not signed yet) and want to know whether "
                "{subject} passes it.",
                "`witness verify` wants a signed policy and I only have `{policy}`. In the end I need to verify "
                "{subject}.",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)} {pick(rng, ('What is the whole sequence?', 'How do I get there?'))}"

    def terse(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        items = bullets(asks)
        head = say(
            rng,
            ("sign `{policy}`, then verify {subject}:", "sign + verify for {subject}, policy `{policy}`:"),
            **v,
        )
        return f"{head}\n{items}"

    def roles(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "I'm both the policy owner and the person running the gate today: sign `{policy}`, then verify "
                "{subject}.",
                "End to end please: the policy `{policy}` has to be signed, and then {subject} verified with it.",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)}"

    return (both, flow, release, first_time, terse, roles)


FORMS = _forms()


def make_pair(rng: random.Random, version: WitnessVersion) -> Built:
    pr = workloads.draw(rng, kinds=("build", "package", "release", "image", "sbom"))
    policy = names.fill(rng, names.POLICIES, project=pr.name, org=pr.org)
    signed = names.fill(rng, names.SIGNED, project=pr.name, org=pr.org)
    mode = rng.choices(("file", "kms", "x509"), (60, 25, 15))[0]
    asks: list[str] = []
    reasons: list[str] = []
    verifier: list[tuple[str, Any]] = []
    if mode == "kms":
        signer = signers.kms(rng, version, org=pr.org)
        asks.append(
            say(
                rng,
                (
                    "The policy is signed with our KMS key `{r}`, and the verifier should use the same key.",
                    "Both signing and checking the policy go through the KMS key `{r}`.",
                ),
                r=signer.key,
            )
        )
        verifier.append(("verifier-kms-ref", signer.key))
        reasons.append(
            "`--signer-kms-ref` signs with the KMS key; on the verify side the same reference goes to "
            "`--verifier-kms-ref`."
        )
    else:
        key = names.fill(rng, names.POLICY_KEYS, org=pr.org)
        signer = signers.file_key(rng, key, what="the policy")
        if mode == "file":
            pub = names.fill(rng, names.POLICY_PUBS, org=pr.org)
            asks.append(
                say(
                    rng,
                    (
                        "The policy signing key is `{k}` and its public half is `{p}`.",
                        "Sign with the private key `{k}`; `{p}` is the matching public key.",
                        "Keys: `{k}` (private) and `{p}` (public).",
                    ),
                    k=key,
                    p=pub,
                )
            )
            verifier.append(("publickey", pub))
            reasons.append(
                f"`-k` means two different things: in `sign` it is the private key (`{key}`), in `verify` the "
                f"policy signer's public key (`{pub}`)."
            )
        else:
            cert = names.fill(rng, names.CERTS, step="policy", project=pr.name, org=pr.org)
            root = names.fill(rng, names.ROOTS, org=pr.org)
            signer.flags.append(("signer-file-cert-path", cert))
            asks.append(
                say(
                    rng,
                    (
                        "The policy key `{k}` has the certificate `{c}`, issued under our root CA `{r}`.",
                        "We sign policies with `{k}` plus its x.509 certificate `{c}`; the trust anchor is `{r}`.",
                    ),
                    k=key,
                    c=cert,
                    r=root,
                )
            )
            verifier.append(("policy-ca-roots", [root]))
            reasons.append(
                "`--signer-file-cert-path` puts the certificate into the policy signature, and `verify` trusts it "
                "through `--policy-ca-roots` (no public key needed)."
            )
    steps = [
        pr.step,
        *rng.sample([s for s in ("test", "lint", "scan", "package", "sbom") if s != pr.step], 2),
    ]
    n = pick(rng, (1, 2, 2, 3))
    pattern = pick(
        rng, ("{s}.att.json", "attestations/{s}.json", "{s}.attestation.json", "evidence/{s}.json")
    )
    files = [pattern.format(s=s) for s in steps[:n]]
    asks.append(
        say(
            rng,
            (
                "The attestations are {f}.",
                "Evidence: {f}.",
                "I have {f} from the pipeline.",
            ),
            f=join_and([f"`{f}`" for f in files]),
        )
    )
    asks.append(
        say(
            rng,
            (
                "Write the signed policy to `{s}`.",
                "The signed copy should be `{s}`.",
                "Save the envelope as `{s}`.",
            ),
            s=signed,
        )
    )
    product = pr.work.products[0] if pr.work.products else f"{pr.name}-{pr.version}.tar.gz"
    subject_flags: list[tuple[str, Any]]
    if rng.random() < 0.75:
        subject = f"`{product}`"
        subject_flags = [("artifactfile", product)]
    else:
        digest = hex_id(rng, 64)
        subject = f"the artifact with sha256 `{digest}`"
        subject_flags = [("subjects", [digest])]
        asks.append(
            pick(rng, ("I only have its digest, not the file.", "The file itself isn't on this machine."))
        )
        reasons.append("Without the file, `-s` takes the bare hex digest.")
    sign = Spec("sign", [("infile", policy), ("outfile", signed), *signer.flags])
    verify = Spec("verify", [("policy", signed), *verifier, ("attestations", files), *subject_flags])
    sign_text = render(sign, rng, version)
    verify_text = render(verify, rng, version)
    entries = []
    for text in (sign_text, verify_text):
        m = meaning(analyse_reference(text, version))
        entries.append({"subcommand": m["subcommand"], "expect": m})
    v = {"policy": policy, "subject": subject, "project": pr.name}
    i = rng.randrange(len(FORMS))
    question = FORMS[i](rng, v, asks)
    lead = say(
        rng,
        (
            "Sign first, then point `verify -p` at the signed file `{s}`, never at `{p}` itself.",
            "`witness sign` turns `{p}` into a signed DSSE envelope (`{s}`); `witness verify` takes that envelope "
            "with `-p`.",
            "Two commands, in this order: `witness sign` writes `{s}`, and `witness verify` checks {subj} with it.",
        ),
        s=signed,
        p=policy,
        subj=subject,
    )
    reasons.append(
        say(
            rng,
            (
                "`sign` needs `-f` and `-o` together; its envelope has payloadType `{t}`.",
                "In `sign`, `-f` is the input policy and `-o` the output; they must be given together.",
            ),
            t=POLICY_TYPE,
        )
    )
    if len(files) > 1:
        reasons.append(f"Pass every step's attestation with `-a`: {code_list(files)}.")
    why = [lead, *reasons[:2]]
    notes = [*signer.notes, *reasons[2:]][:3]
    body = f"{sign_text}\n\n{verify_text}"
    lesson = Lesson(
        why=why,
        artifact=fence("bash", body),
        check=[
            check_line(sign_text, version),
            check_line(verify_text, version),
            f"jq -r .payloadType {shlex.quote(signed)}",
        ],
        check_intro=pick(
            rng,
            (
                "Lint both lines (nothing runs), and after signing confirm the envelope's payload type:",
                "Check the two commands offline; `jq` on the signed file should print the policy type:",
            ),
        ),
        notes=notes,
    )
    extra = {"commands": entries}
    return Built("pair", f"commands/pair/{i}", question, verify_text, lesson, extra, group=mode)
