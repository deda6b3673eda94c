"""Intents "sign this policy" and "verify this artifact": the whole `witness sign` / `witness verify` line.

Sign: key file, x.509 key with its chain, KMS or keyless Fulcio, optionally timestamped. Verify: the
policy signer's public key, an x.509 root (with intermediates and an allowed e-mail) or a KMS key;
one to three attestation files or Archivista; the subject as a file, a directory plus a file, or a
bare sha256 digest (REFERENCE §2.3, §2.4, §2.7).
"""

from __future__ import annotations

import random
import shlex
from collections.abc import Callable
from typing import Any

from witness_evals.generate.families.cli_usage import names, signers, workloads
from witness_evals.generate.families.cli_usage.built import Built
from witness_evals.generate.families.cli_usage.spec import Spec, check_line, render
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
from witness_evals.witness.cli import parse_command
from witness_evals.witness.versions import WitnessVersion

POLICY_TYPE = "https://witness.testifysec.com/policy/v0.1"


def required_together_message(version: WitnessVersion) -> str:
    """The error witness prints for `sign -f` without `-o`, as the core reports it."""
    a = parse_command("witness sign -f policy.json -k key.pem", version=version)
    msg = next(i.message for i in a.issues if i.code == "required-together")
    assert msg.startswith("if any flags in the group [infile outfile]"), msg
    return msg


# --------------------------------------------------------------------------- sign


def _sign_forms() -> tuple[Callable[[random.Random, dict[str, str], list[str]], str], ...]:
    def question(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "How do I sign my witness policy `{policy}`?",
                "What's the witness command that signs `{policy}`?",
                "Which command turns `{policy}` into a signed policy?",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)}"

    def order(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "Sign the policy file `{policy}` with witness.",
                "Give me the `witness sign` line for `{policy}`.",
                "Wrap `{policy}` in a signed envelope for me.",
                "Produce the signed version of `{policy}` that our verify job can use.",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)}"

    def need(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "`witness verify` needs a signed policy and all I have is `{policy}`.",
                "I wrote a policy, `{policy}`, and now it has to be signed before anyone can verify against it.",
                "`witness verify -p {policy}` is rejected because the file is plain JSON, not an envelope.",
                "The deploy gate only accepts a signed policy, and `{policy}` is still the raw JSON.",
                "How do I turn `{policy}` into the DSSE envelope that `witness verify -p` expects?",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)} {pick(rng, ('What do I run?', 'How do I sign it?'))}"

    def pipeline(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "Our release job first checks `{policy}` with `witness policy check`, then signs it.",
                "In CI we lint `{policy}` and publish the signed version for the deploy gate.",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)} {pick(rng, ('What is the signing command?', 'How should the sign step look?'))}"

    def situation(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "The security team owns the policy for {project}; it's in `{policy}`.",
                "We keep the {project} policy in `{policy}` and rotate the signing setup this week.",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)} {pick(rng, ('Command please.', 'How do I sign it now?'))}"

    def terse(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        items = bullets(asks)
        return say(rng, ("witness sign for `{policy}`:", "signing `{policy}`:"), **v) + "\n" + items

    return (question, order, need, pipeline, situation, terse)


SIGN_FORMS = _sign_forms()


def make_sign(rng: random.Random, version: WitnessVersion) -> Built:
    pr = workloads.draw(rng)
    policy = names.fill(rng, names.POLICIES, project=pr.name, org=pr.org)
    out = names.fill(rng, names.SIGNED, project=pr.name, org=pr.org)
    kind = rng.choices(("file", "x509", "kms", "fulcio"), (58, 20, 15, 7))[0]
    if kind == "kms":
        signer = signers.kms(rng, version, org=pr.org)
    elif kind == "fulcio":
        signer = signers.fulcio_interactive(rng, org=pr.org, policy=True)
    else:
        signer = signers.file_key(rng, names.fill(rng, names.POLICY_KEYS, org=pr.org), what="the policy")
        if kind == "x509":
            signers.certificate(rng, signer, step="policy", project=pr.name, org=pr.org)
    flags: list[tuple[str, Any]] = [("infile", policy), ("outfile", out), *signer.flags]
    asks = [
        " ".join(signer.asks),
        say(
            rng,
            (
                "The signed policy should be written to `{o}`.",
                "Output goes to `{o}`.",
                "Save the signed envelope as `{o}`.",
                "The deploy gate reads `{o}`, so that's where it should go.",
            ),
            o=out,
        ),
    ]
    reasons = [
        pick(
            rng,
            (
                f"`witness sign` wraps the policy's raw bytes in a DSSE envelope with payloadType `{POLICY_TYPE}`, "
                "which is what `witness verify -p` expects.",
                "`witness verify` refuses an unsigned policy, so the policy is signed into a DSSE envelope first.",
            ),
        ),
        say(
            rng,
            (
                "`-f` (`--infile`) and `-o` (`--outfile`) must be given together; with only one of them witness "
                "stops with `{m}`.",
                "Always pass both `-f` and `-o`: they are a required-together pair (`{m}`).",
            ),
            m=required_together_message(version),
        ),
        *signer.why[:1],
    ]
    notes = [*signer.must, *signer.notes]
    if signer.timestamped:
        notes.insert(
            0, "In `sign` the timestamp flag has no short form: `-t` is `--datatype` (the payload type)."
        )
    elif rng.random() < 0.35:
        url = names.fill(rng, names.TSAS, org=pr.org)
        flags.append(("timestamp-servers", [url]))
        asks.append(say(rng, ("Timestamp it with {u}.", "Use the timestamp authority {u}."), u=url))
        notes.insert(
            0, "In `sign` the timestamp flag has no short form: `-t` is `--datatype` (the payload type)."
        )
    spec = Spec("sign", flags)
    text = render(spec, rng, version)
    v = {"policy": policy, "project": pr.name}
    i = rng.randrange(len(SIGN_FORMS))
    question = SIGN_FORMS[i](rng, v, asks)
    lead = say(
        rng,
        (
            "This signs `{p}` into `{o}`.",
            "This signs `{p}` and writes the envelope to `{o}`.",
            "One `witness sign` call does it.",
        ),
        p=policy,
        o=out,
    )
    if rng.random() < 0.5:
        reasons = reasons[1:] + reasons[:1]
    why = [lead, *reasons[:2]]
    notes = [*notes, *reasons[2:]][:3]
    check = [
        check_line(text, version),
        f"jq -r .payloadType {shlex.quote(out)}",
        f"witness policy check {shlex.quote(out)}",
    ]
    intro = say(
        rng,
        (
            "Lint the command, then confirm the envelope: `jq` should print `{t}`, and `witness policy check` "
            "validates the signed file (it reads the payload; it does not check the signature).",
            "After signing, the payload type must be `{t}`; `witness policy check` also accepts the signed "
            "envelope and checks the policy inside.",
        ),
        t=POLICY_TYPE,
    )
    if version.policy_check_note:
        notes.append(version.policy_check_note[0].upper() + version.policy_check_note[1:] + ".")
    lesson = Lesson(why=why, artifact=fence("bash", text), check=check, check_intro=intro, notes=notes[:4])
    extra = {"any_value": list(signer.any_value)} if signer.any_value else {}
    return Built("sign", f"commands/sign/{i}", question, text, lesson, extra)


# --------------------------------------------------------------------------- verify


def _verify_forms() -> tuple[Callable[[random.Random, dict[str, str], list[str]], str], ...]:
    def question(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            ("How do I verify {subject} with witness?", "What's the `witness verify` command for {subject}?"),
            **v,
        )
        return f"{head} {sentences(rng, asks)}"

    def gate(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "Our deploy job must refuse {subject} unless it satisfies the policy.",
                "Before we ship {subject}, a release gate should check it with witness.",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)} {pick(rng, ('What should the gate run?', 'Exact command?'))}"

    def need(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "I need to check that {subject} passes our witness policy.",
                "I have to prove {subject} came out of our pipeline.",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)}"

    def audit(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "For the audit I want to re-run the verification of {subject} myself.",
                "I'd like to reproduce the CI verification of {subject} on my machine.",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)} {pick(rng, ('Which command?', 'What do I type?'))}"

    def order(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            ("Write the witness verification command for {subject}.", "Verify {subject} against our policy."),
            **v,
        )
        return f"{head} {sentences(rng, asks)}"

    def terse(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        items = bullets(asks)
        return say(rng, ("witness verify for {subject}:", "verification of {subject}:"), **v) + "\n" + items

    return (question, gate, need, audit, order, terse)


VERIFY_FORMS = _verify_forms()


def make_verify(rng: random.Random, version: WitnessVersion) -> Built:
    pr = workloads.draw(rng, kinds=("build", "package", "release", "image", "sbom"))
    policy = names.fill(rng, names.SIGNED, project=pr.name, org=pr.org)
    asks: list[str] = [
        say(
            rng,
            ("The signed policy is `{p}`.", "Policy: `{p}` (already signed).", "We verify against `{p}`."),
            p=policy,
        )
    ]
    reasons: list[str] = []
    notes: list[str] = []
    flags: list[tuple[str, Any]] = [("policy", policy)]
    vmode = rng.choices(("key", "x509", "kms"), (68, 20, 12))[0]
    if vmode == "key":
        pub = names.fill(rng, names.POLICY_PUBS, org=pr.org)
        flags.append(("publickey", pub))
        asks.append(
            say(
                rng,
                (
                    "It was signed with the key whose public half is `{k}`.",
                    "The policy signer's public key is `{k}`.",
                    "`{k}` is the public key of whoever signed the policy.",
                ),
                k=pub,
            )
        )
        reasons.append(
            pick(
                rng,
                (
                    "In `verify`, `-k` is the public key of the policy signer (in `run` and `sign` it is a private "
                    "key); the functionaries' keys live inside the policy.",
                    "`-k` here means `--publickey`: the key that checks the policy's signature, not a build key.",
                ),
            )
        )
    elif vmode == "x509":
        root = names.fill(rng, names.ROOTS, org=pr.org)
        flags.append(("policy-ca-roots", [root]))
        text = f"The policy is signed with an x.509 certificate that chains to our root `{root}`."
        # witness v0.10.x replaces the roots with each `--policy-ca-intermediates` (a CLI bug): not there
        if rng.random() < 0.5 and not version.policy_ca_intermediates_replace_roots:
            inter = names.fill(rng, names.INTERMEDIATES, org=pr.org)
            flags.append(("policy-ca-intermediates", [inter]))
            text += f" The intermediate is `{inter}`."
        if rng.random() < 0.4:
            email = f"{pick(rng, ('security', 'release', 'platform'))}@{pr.org}.com"
            flags.append(("policy-emails", [email]))
            text += f" Only a certificate issued to {email} may sign policies."
            reasons.append(
                f"`--policy-emails {email}` restricts which signing certificate is accepted (default `*`)."
            )
        asks.append(text)
        reasons.insert(
            0,
            "`--policy-ca-roots` (plural; `--policy-ca` is its deprecated alias) trusts a policy signed with a certificate from that CA.",
        )
    else:
        ref = f"gcpkms://projects/{pr.org}-supply/locations/global/keyRings/witness/cryptoKeys/policy-signer"
        flags.append(("verifier-kms-ref", ref))
        asks.append(f"The policy was signed with the KMS key `{ref}`.")
        reasons.append(
            "A KMS-signed policy is checked with `--verifier-kms-ref` (the verify-side twin of `--signer-kms-ref`)."
        )
    steps = [
        pr.step,
        *rng.sample([s for s in ("build", "test", "package", "scan", "sbom", "lint") if s != pr.step], 2),
    ]
    if rng.random() < 0.86:
        n = pick(rng, (1, 1, 2, 2, 3))
        pattern = pick(
            rng, ("{s}.attestation.json", "attestations/{s}.json", "{s}.att.json", "evidence/{s}.dsse.json")
        )
        files = [pattern.format(s=s) for s in steps[:n]]
        flags.append(("attestations", files))
        asks.append(
            say(
                rng,
                (
                    "The attestations are {f}.",
                    "Evidence files: {f}.",
                    "I have the attestation envelopes {f} from the pipeline.",
                ),
                f=join_and([f"`{f}`" for f in files]),
            )
        )
        if len(files) > 1:
            reasons.append(
                f"`-a` takes attestation files in `verify` (attestor names in `run`); pass all of them, one per step: {code_list(files)}."
            )
    else:
        flags.append(("enable-archivista", True))
        server = names.fill(rng, names.ARCHIVISTAS, org=pr.org)
        if rng.random() < 0.6:
            flags.append(("archivista-server", server))
            asks.append(
                f"There are no local attestation files; everything was uploaded to our Archivista at {server}."
            )
        else:
            asks.append("The attestations are in Archivista (the default public instance), not on disk.")
        reasons.append(
            "`--enable-archivista` makes verify look up the collections by subject digest in Archivista instead of reading `-a` files."
        )
    product = pr.work.products[0] if pr.work.products else f"{pr.name}-{pr.version}.tar.gz"
    smode = rng.choices(("file", "digest", "dir"), (58, 27, 15))[0]
    if smode == "file":
        flags.append(("artifactfile", product))
        subject = f"`{product}`"
        notes.append(
            f"`-f` hashes `{product}` with sha256 and looks for collections with that subject; `sha256sum {shlex.quote(product)}` shows the same digest."
        )
    elif smode == "digest":
        digest = hex_id(rng, 64)
        flags.append(("subjects", [digest]))
        subject = f"the artifact with sha256 `{digest}`"
        asks.append(
            pick(
                rng,
                (
                    "I don't have the file here, only its digest.",
                    "The deploy host only has the digest, not the file.",
                ),
            )
        )
        reasons.append(
            "Without the file, `-s` (`--subjects`) takes the bare hex digest (no `sha256:` prefix)."
        )
    else:
        d = pick(rng, ("dist", "build/out", "release", "out"))
        product = f"{d}/{product.rsplit('/', 1)[-1]}"
        flags.append(("directory-path", d))
        flags.append(("artifactfile", product))
        subject = f"the directory `{d}` together with `{product}`"
        reasons.append("`--directory-path` alone does not satisfy the `-f`/`-s` requirement, so `-f` stays.")
    spec = Spec("verify", flags)
    text = render(spec, rng, version)
    v = {"subject": subject}
    i = rng.randrange(len(VERIFY_FORMS))
    question = VERIFY_FORMS[i](rng, v, asks)
    lead = pick(
        rng,
        (
            "`witness verify` checks the policy's signature, then every step of the policy against the attestations.",
            "Verification needs the signed policy, a way to check its signature, the evidence and the subject.",
            "It exits 0 (and logs `Verification succeeded`) only if the policy passes.",
        ),
    )
    why = [lead, *reasons[:2]]
    notes = [*notes, *reasons[2:]][:3]
    lesson = Lesson(
        why=why,
        artifact=fence("bash", text),
        check=[check_line(text, version)],
        check_intro=pick(
            rng,
            (
                "Lint it before wiring it into the gate (nothing is executed):",
                "You can check the flags offline:",
            ),
        ),
        notes=notes,
    )
    return Built("verify", f"commands/verify/{i}", question, text, lesson)
