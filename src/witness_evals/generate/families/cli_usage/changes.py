"""One change to an existing `witness run` line (add tracing, a product glob, secret-scan failure, an
exported predicate, a collapsed directory, a CI attestor, another signer...), as a user asks for it and
as flags, for the "here is my current line, change X" requests and for two-turn follow-ups.

Each change returns the complete new `Spec`, the sentence(s) that ask for it and the reasons an answer
gives; `-a` is handled the way witness does it (a list replaces the default `environment,git`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from witness_evals.generate.families.cli_usage import names, run_plan, signers
from witness_evals.generate.families.cli_usage.spec import Spec
from witness_evals.generate.families.cli_usage.text import code_list, say
from witness_evals.generate.families.cli_usage.workloads import Project
from witness_evals.generate.phrasing import pick
from witness_evals.witness.versions import WitnessVersion


@dataclass
class Change:
    key: str
    spec: Spec
    asks: list[str]
    why: list[str]
    must: list[str] = field(default_factory=list)
    context: str = ""
    """A sentence the request needs so the change makes sense (where the job runs)."""


def with_attestors(spec: Spec, add: list[str]) -> tuple[Spec, list[str], bool]:
    """`spec` with `add` in its `-a` list; (new spec, new list, whether the defaults had to be spelled out)."""
    current = spec.get("attestations")
    if current is None:
        new = ["environment", "git", *add]
        return spec.with_flag("attestations", new, 3), new, True
    new = [*current, *[a for a in add if a not in current]]
    return spec.replace("attestations", "attestations", new), new, False


def _defaults_why(spelled: bool, add: list[str]) -> list[str]:
    if not spelled:
        return []
    return [
        f"Adding {code_list(add)} needs `-a`, and `-a` replaces the default `environment,git` instead of adding to "
        "it, so both are listed again."
    ]


def trace(rng: random.Random, spec: Spec, pr: Project, version: WitnessVersion) -> Change | None:
    if spec.get("trace"):
        return None
    ask = pick(
        rng,
        (
            "Turn on process tracing.",
            "I'd like the processes `{c}` starts to be recorded too.",
            "Can it also trace the child processes?",
            "Add tracing of what the command executes.",
            "We were asked to capture the process tree of the build in the attestation.",
            "Record which programs the step actually ran (tracing).",
        ),
    ).format(c=pr.work.command[0])
    why = [
        "`-r`/`--trace` makes witness trace the processes the command starts and record them in the command-run "
        "attestation; it is Linux-only and experimental, and with it the products are only the files the traced "
        "processes opened."
    ]
    return Change("trace", spec.with_flag("trace", True, 3), [ask], why)


def exclude(rng: random.Random, spec: Spec, pr: Project, version: WitnessVersion) -> Change | None:
    if spec.get("attestor-product-exclude-glob") or spec.get("attestor-product-include-glob"):
        return None
    g = pick(rng, ("*.log", "*.tmp", "coverage/*", "*.map", "tmp/*", "node_modules/*"))
    flag = "attestor-product-exclude-glob"
    new = spec.with_flag(flag, g, 3)
    exported = [x for x in run_plan.ALWAYS_EXPORTED if spec.get(f"attestor-{x}-export")]
    export_note = [run_plan.exported_subjects_note(exported, "the matching files")] if exported else []
    if rng.random() < 0.6:
        ask = say(
            rng,
            (
                "Files matching `{g}` should not be subjects of the attestation.",
                "Keep `{g}` out of the statement's subjects.",
                "Nobody should be able to look the attestation up by a `{g}` file.",
                "Exclude `{g}` from the subjects.",
            ),
            g=g,
        )
        why = [
            f"`--{flag} '{g}'` drops matching files from the collection's subjects (verify cannot find the "
            "collection through them); the product attestation itself still lists every new or changed file."
        ]
        return Change("exclude", new, [ask], why, export_note)
    ask = say(
        rng,
        (
            "Exclude `{g}` from the products.",
            "`{g}` files shouldn't be recorded as products.",
            "Skip `{g}` when recording products.",
        ),
        g=g,
    )
    must = [
        f"`--{flag} '{g}'` is the closest flag there is, but it only keeps matching files out of the collection's "
        "subjects: the product attestation still lists every file the command creates or changes. To leave files "
        "out entirely, the command must not write them inside the working directory.",
        *export_note,
    ]
    return Change("exclude", new, [ask], [], must)


def secretscan_fail(rng: random.Random, spec: Spec, pr: Project, version: WitnessVersion) -> Change | None:
    if spec.get("attestor-secretscan-fail-on-detection"):
        return None
    new, _, spelled = with_attestors(spec, ["secretscan"])
    had = "secretscan" in (spec.get("attestations") or [])
    new = new.with_flag("attestor-secretscan-fail-on-detection", True)
    ask = pick(
        rng,
        (
            "The step should fail when the secret scan finds something.",
            "If a secret leaks into the outputs, the run has to fail instead of just recording it.",
            "Make witness fail the run on any secret it detects.",
            "Scan the outputs for secrets and break the build when one is found.",
            "A detected secret should be fatal, not only noted in the attestation.",
        ),
    )
    why = [
        "`--attestor-secretscan-fail-on-detection` turns a finding of the `secretscan` attestor into a failed run "
        "(by default findings are only recorded)."
    ]
    if not had:
        why.append("The flag only acts when the `secretscan` attestor runs, so it is added to `-a`.")
    return Change("secretscan-fail", new, [ask], [*why, *_defaults_why(spelled, ["secretscan"])])


def export(rng: random.Random, spec: Spec, pr: Project, version: WitnessVersion) -> Change | None:
    x = pick(rng, ("link", "slsa"))
    if spec.get(f"attestor-{x}-export"):
        return None
    new, _, spelled = with_attestors(spec, [x])
    had = x in (spec.get("attestations") or [])
    new = new.with_flag(f"attestor-{x}-export", True)
    what = {"link": "in-toto link", "slsa": "SLSA provenance"}[x]
    ask = say(
        rng,
        (
            "Export the {w} predicate as a separate file.",
            "I also need the {w} written out on its own, next to the collection.",
            "Add {w} and export it as its own statement.",
            "Downstream tooling wants a standalone {w} statement ({x}).",
        ),
        w=what,
        x=x,
    )
    out = spec.get("outfile")
    why = [
        f"`--attestor-{x}-export` signs the {x} predicate as its own statement, written to `{out}-{x}.json`, and "
        "leaves it out of the collection."
    ]
    if not had:
        why.append(f"Export only works for an attestor that runs, so `{x}` is added to `-a`.")
    return Change(f"export-{x}", new, [ask], [*why, *_defaults_why(spelled, [x])])


def dirhash(rng: random.Random, spec: Spec, pr: Project, version: WitnessVersion) -> Change | None:
    if spec.get("dirhash-glob"):
        return None
    g = pick(rng, run_plan.DIRHASH_DIRS[pr.work.language])
    ask = say(
        rng,
        (
            "Record `{g}` as one directory hash instead of file by file.",
            "The materials list every file under `{g}`; collapse that directory into a single digest.",
            "Hash `{g}` as a whole.",
        ),
        g=g,
    )
    return Change("dirhash", spec.with_flag("dirhash-glob", [g]), [ask], [run_plan.dirhash_why(g)])


CI_CONTEXT = {
    "github": ("This runs in a GitHub Actions job.", "The command runs inside GitHub Actions."),
    "gitlab": ("It runs in a GitLab CI job.", "This is a GitLab CI pipeline job."),
    "jenkins": ("It runs in a Jenkins pipeline.", "This is a Jenkins build."),
}


def ci_attestor(rng: random.Random, spec: Spec, pr: Project, version: WitnessVersion) -> Change | None:
    ci = pick(rng, tuple(CI_CONTEXT))
    if ci in (spec.get("attestations") or []):
        return None
    extra = [ci]
    if rng.random() < 0.5 and "slsa" not in (spec.get("attestations") or []):
        extra.append("slsa")
    new, _, spelled = with_attestors(spec, extra)
    asks = [
        say(
            rng,
            (
                "Also record the {c} attestor.",
                "Add the {c} run metadata to the attestation.",
                "It should capture {t} as well.",
            ),
            c=ci,
            t=pick(rng, run_plan.ATTESTOR_TEXT[ci]),
        )
    ]
    why = [f"The `{ci}` attestor only works {run_plan.WHERE[ci]}; anywhere else the whole run fails."]
    must: list[str] = []
    if "slsa" in extra:
        new = new.with_flag("attestor-slsa-export", True)  # always (run_plan.ALWAYS_EXPORTED)
        asked = rng.random() < 0.6
        asks.append(
            pick(
                rng,
                ("And export SLSA provenance as its own file.", "Plus SLSA provenance, exported separately."),
            )
            if asked
            else pick(rng, ("And add SLSA provenance.", "SLSA provenance too, please."))
        )
        if asked:
            why.append(
                f"`--attestor-slsa-export` writes the SLSA provenance as its own signed statement to "
                f"`{spec.get('outfile')}-slsa.json`, outside the collection."
            )
        else:
            must.append(run_plan.export_reason(["slsa"], str(spec.get("outfile"))))
    if ci == "github":
        must.append(
            "The github attestor requests the job's OIDC token, so the workflow needs `id-token: write`."
        )
    return Change(
        f"ci-{ci}", new, asks, [*_defaults_why(spelled, extra), *why], must, context=pick(rng, CI_CONTEXT[ci])
    )


def kms_signer(rng: random.Random, spec: Spec, pr: Project, version: WitnessVersion) -> Change | None:
    if spec.get("signer-file-key-path") is None or spec.get("signer-file-cert-path") is not None:
        return None
    s = signers.kms(rng, version, org=pr.org)
    flags = [
        ("signer-kms-ref", s.key) if n == "signer-file-key-path" else (n, v)
        for n, v in spec.flags
        if n != "signer-file-key-passphrase-path"
    ]
    new = Spec(spec.sub, flags, list(spec.args), spec.dashdash)
    ask = say(
        rng,
        (
            "Sign with the KMS key `{r}` instead of the key file.",
            "We moved the signing key into KMS: `{r}`. Swap it in.",
            "Same thing, but signed with `{r}` rather than `{k}`.",
        ),
        r=s.key,
        k=spec.get("signer-file-key-path"),
    )
    why = [
        "The key file flag goes away: witness takes exactly one signer, and a KMS key is selected with "
        "`--signer-kms-ref`."
    ]
    return Change("kms", new, [ask], why, notes_of(s))


def notes_of(s: signers.Signer) -> list[str]:
    return list(s.notes[:1])


def tsa(rng: random.Random, spec: Spec, pr: Project, version: WitnessVersion) -> Change | None:
    if spec.get("timestamp-servers"):
        return None
    url = names.fill(rng, names.TSAS, org=pr.org)
    ask = say(
        rng,
        (
            "Timestamp the signature with {u}.",
            "Add an RFC 3161 timestamp from {u}.",
            "Our TSA is {u}; use it.",
        ),
        u=url,
    )
    why = [f"`-t {url}` (`--timestamp-servers`) adds an RFC 3161 timestamp to the signature."]
    return Change("tsa", spec.with_flag("timestamp-servers", [url]), [ask], why)


CHANGES: tuple[tuple[Callable[[random.Random, Spec, Project, WitnessVersion], Change | None], int], ...] = (
    (trace, 4),
    (exclude, 4),
    (secretscan_fail, 4),
    (export, 4),
    (dirhash, 3),
    (ci_attestor, 3),
    (kms_signer, 3),
    (tsa, 1),
)


def draw_change(rng: random.Random, spec: Spec, pr: Project, version: WitnessVersion) -> Change:
    fns = [f for f, _ in CHANGES]
    weights = [w for _, w in CHANGES]
    for _ in range(20):
        c = rng.choices(fns, weights)[0](rng, spec, pr, version)
        if c is not None:
            return c
    c = trace(rng, spec, pr, version) or tsa(rng, spec, pr, version)
    assert c is not None
    return c
