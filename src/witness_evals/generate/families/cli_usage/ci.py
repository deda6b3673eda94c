"""Intent "record step S in CI system C": the user pastes their CI file, the answer is the whole file again
with the command wrapped by `witness run` and the key or OIDC token handled the way that CI does it.

Where the user leaves a value to the answer (the attestation file name, the path a secret is written
to), the check accepts any value for that flag (`any_value`); everything the user states is checked
exactly. The answer names only what the user gave plus the paths it creates itself.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from witness_evals.generate.families.cli_usage import ci_files, names, run_plan, signers, workloads
from witness_evals.generate.families.cli_usage.built import Built
from witness_evals.generate.families.cli_usage.run import (
    arrange,
    dashdash_why,
    inspect_line,
    out_sentence,
    step_sentence,
    step_why,
)
from witness_evals.generate.families.cli_usage.spec import Spec, check_line, render
from witness_evals.generate.families.cli_usage.text import (
    bullets,
    code_list,
    fence,
    say,
    sentences,
)
from witness_evals.generate.phrasing import pick
from witness_evals.generate.teach import Lesson
from witness_evals.witness.versions import WitnessVersion

CHECKS_OUT = frozenset({"github", "gitlab", "jenkins"})
"""CI files whose job starts from a git checkout of the repository."""
SYSTEMS = ("github", "gitlab", "jenkins", "tekton", "make", "shell", "codebuild")
TOKEN_GRANTS: dict[str, dict[str, str]] = {
    "github": {
        "lang": "ya?ml",
        "pattern": r"id-token:\s*['\"]?write",
        "why": "the workflow does not grant `id-token: write`, so GitHub sets no `ACTIONS_ID_TOKEN_REQUEST_URL` and "
        "witness cannot get the job's OIDC token (the Fulcio signer and the github attestor both need it)",
    },
    "gitlab": {
        "lang": "ya?ml",
        "pattern": r"(?m)^\s*id_tokens:",
        "why": "the job declares no `id_tokens`, so there is no OIDC token for the Fulcio signer",
    },
}
"""What the answer's CI file must contain when witness needs the job's OIDC token (`file_must` in the check,
matched inside the answer's YAML code blocks when it shows the file). go-witness v0.12.0
signer/fulcio/fulcio.go:273-277 (inside GitHub Actions the token comes from `ACTIONS_ID_TOKEN_REQUEST_URL` /
`_TOKEN`, `... is not set` otherwise) and attestation/github/github.go:109, 142 (`fetchToken` from the same
variables); GitHub sets them only for a job with the `id-token: write` permission. GitLab (>= 17) hands a
job an OIDC token only through `id_tokens`."""
SYSTEM_WEIGHTS = (26, 22, 16, 10, 10, 8, 8)
CI_ATTESTOR = {"github": "github", "gitlab": "gitlab", "jenkins": "jenkins", "codebuild": "aws-codebuild"}

INSTALLED = {
    "github": (
        "witness is already installed on our runners.",
        "The runner image already has the witness binary on the PATH.",
        "An earlier setup step (not shown) puts witness on the PATH.",
    ),
    "gitlab": ("The job image already contains the witness binary.", "witness is baked into our CI image."),
    "jenkins": ("The agents have witness installed.", "witness is on the PATH of every agent."),
    "tekton": ("Our step images bundle the witness CLI.", "The step image already ships witness."),
    "make": ("witness is installed on the dev machines and in CI.", "Everyone has witness on their PATH."),
    "shell": ("witness is installed wherever this script runs.", "The build host has witness installed."),
    "codebuild": ("witness is already in our custom CodeBuild image.", "Our build image includes witness."),
}


class Setup:
    """How the signer reaches the job: flags, request sentences, reasons, file changes."""

    def __init__(self) -> None:
        self.signer: signers.Signer | None = None
        self.any_value: list[str] = []
        self.key_file = ""
        self.id_token = False
        self.token_lines: tuple[str, ...] = ()
        self.variable = ""
        self.mount = ""


def _setup(rng: random.Random, version: WitnessVersion, job: ci_files.Job) -> Setup:
    st = Setup()
    pr, system = job.pr, job.system
    if system == "github":
        if rng.random() < 0.35:
            st.signer = signers.fulcio_github(rng, org=pr.org)
            st.id_token = True
            st.signer.asks.append(
                pick(
                    rng,
                    (
                        "The job can get an OIDC token from GitHub.",
                        "We're fine granting the job an OIDC token.",
                    ),
                )
            )
        else:
            st.key_file = "$RUNNER_TEMP/witness-key.pem"
            st.signer = signers.Signer("file", [("signer-file-key-path", st.key_file)], [])
            st.signer.asks.append(
                say(
                    rng,
                    (
                        "The private key (PEM) is stored in the repository secret `{s}`.",
                        "Our signing key is in the Actions secret `{s}`.",
                        "The key lives in GitHub secrets as `{s}`.",
                    ),
                    s=job.secret,
                )
            )
            st.signer.why.append(
                f"The `{job.secret}` secret is written to `$RUNNER_TEMP` (emptied at the start and end of every "
                "job and outside the checkout, so it is no material or product) and `-k` reads it from there; "
                "the secret is only in the environment of the step that writes the file."
            )
            st.any_value.append("signer-file-key-path")
    elif system == "gitlab":
        if rng.random() < 0.35:
            job.has_id_token = rng.random() < 0.5
            path = "/tmp/sigstore-token"
            described = (
                "the job already has an ID token `SIGSTORE_ID_TOKEN` with audience `sigstore`"
                if job.has_id_token
                else "we can add a GitLab ID token for it"
            )
            st.signer = signers.fulcio_token_file(rng, org=pr.org, token_path=path, described=described)
            st.signer.why.append(
                "`id_tokens` makes GitLab put an OIDC token with audience `sigstore` in `$SIGSTORE_ID_TOKEN`; it is "
                "written to a file outside the project directory first."
            )
            st.id_token = True
            st.token_lines = ("printf '%s' \"$SIGSTORE_ID_TOKEN\" > /tmp/sigstore-token",)
            st.any_value.append("signer-fulcio-token-path")
        else:
            st.signer = signers.Signer("file", [("signer-file-key-path", f"${job.secret}")], [])
            st.signer.asks.append(
                say(
                    rng,
                    (
                        "The signing key is a CI/CD variable of type File called `{s}`.",
                        "We stored the key as a File-type variable, `{s}`.",
                        "`{s}` is a File variable holding the private key.",
                    ),
                    s=job.secret,
                )
            )
            st.signer.why.append(
                f"A File-type variable expands to the path of a temporary file with its content, so "
                f'`-k "${job.secret}"` is exactly the key file witness needs.'
            )
            st.signer.loose = {"signer-file-key-path": [f"${{{job.secret}}}"]}
    elif system == "jenkins":
        stated = rng.random() < 0.5
        st.variable = pick(rng, ("WITNESS_KEY", "SIGNING_KEY", "KEY_FILE")) if stated else "WITNESS_KEY"
        st.signer = signers.Signer("file", [("signer-file-key-path", f"${st.variable}")], [])
        ask = f"The key is a Secret file credential with the id `{job.secret}`"
        ask += f", which we bind to `{st.variable}`." if stated else "."
        st.signer.asks.append(ask)
        st.signer.why.append(
            f"`withCredentials` with a `file` binding copies the credential to a temporary file and puts its path "
            f"in `{st.variable}`; the single-quoted (or triple-single-quoted) `sh` string lets the shell, not "
            "Groovy, expand it, so the path is not interpolated into the script text."
        )
        if stated:
            st.signer.loose = {"signer-file-key-path": [f"${{{st.variable}}}"]}
        else:
            st.any_value.append("signer-file-key-path")
    elif system == "tekton":
        st.mount = "/etc/witness"
        st.signer = signers.Signer("file", [("signer-file-key-path", f"{st.mount}/{job.secret_item}")], [])
        st.signer.asks.append(
            say(
                rng,
                (
                    "The private key is in the Kubernetes Secret `{s}` under the key `{i}`.",
                    "Our signing key sits in the Secret `{s}` (data key `{i}`).",
                ),
                s=job.secret,
                i=job.secret_item,
            )
        )
        st.signer.why.append(
            f"The Secret is mounted read-only at `{st.mount}`, so its `{job.secret_item}` entry is a file "
            "that `-k` can read; the key never goes through a parameter or an environment variable."
        )
        st.any_value.append("signer-file-key-path")
    elif system == "codebuild":
        st.signer = signers.kms(rng, version, org=pr.org)
        if not st.signer.key.startswith("awskms://"):
            ref = "awskms:///alias/witness-build"
            st.signer = signers.Signer(
                "kms",
                [("signer-kms-ref", ref)],
                [f"Sign with the KMS key alias `alias/witness-build` (reference `{ref}`)."],
                ["A KMS key is selected with `--signer-kms-ref`; `-k` is only for key files."],
                key=ref,
            )
        st.signer.why.append("The build's service role must be allowed to sign with that KMS key.")
    else:  # make, shell: a key file on disk
        if system == "shell" and rng.random() < 0.4:
            var = pick(rng, ("WITNESS_KEY_FILE", "SIGNING_KEY_PATH", "ATTESTATION_KEY"))
            st.signer = signers.Signer("file", [("signer-file-key-path", f"${var}")], [])
            st.signer.asks.append(
                say(
                    rng,
                    (
                        "The path of the private key is in the environment variable `{v}`.",
                        "`{v}` holds the path to our signing key.",
                    ),
                    v=var,
                )
            )
            st.signer.why.append(f'`-k "${var}"` reads the key path from the environment at run time.')
            st.signer.loose = {"signer-file-key-path": [f"${{{var}}}"]}
        else:
            key = names.fill(rng, names.KEYS, step=pr.step, project=pr.name, org=pr.org)
            st.signer = signers.file_key(rng, key)
    return st


def _handles_secret(st: Setup) -> bool:
    """Whether the answer's file gains lines that hand the signer its key or token: a step writing the key
    secret to a file (GitHub), a `withCredentials` binding (Jenkins), a Secret volume (Tekton), the ID token
    (GitHub `permissions`, GitLab `id_tokens` and the token file). A KMS key (CodeBuild), a GitLab File-type
    variable and a key path on disk (make, shell) change nothing but the wrapped line."""
    return bool(st.key_file or st.variable or st.mount or st.token_lines or st.id_token)


def _jenkins_quoting(line: str, variable: str) -> str:
    """How the wrapped line is quoted in the Jenkinsfile, the way `ci_files._sh` quotes it: a Groovy `'...'`
    string cannot hold a `'` (it ends the string early), and a multi-line command goes in a triple-single-quoted
    block; Groovy interpolates neither, so the shell still expands the key variable."""
    if not ci_files._sh(line).startswith("sh '''"):
        return f"Keep the `sh` string in single quotes, so the shell, not Groovy, expands `${variable}`."
    if "'" in line:
        return (
            f"Put it in a `sh '''` block (triple single quotes): the line's own `'` quotes would end a "
            f"single-quoted `sh` string early, and triple single quotes still leave `${variable}` to the shell, "
            "not Groovy."
        )
    return (
        f"Put it in a `sh '''` block (triple single quotes), since it spans several lines; like single quotes, "
        f"they leave `${variable}` to the shell, not Groovy."
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _additions(job: ci_files.Job, st: Setup, upload: tuple[str, ...], install: tuple[str, ...]) -> list[str]:
    """What the answer's file adds besides the wrapped line and the key handling (said in the lead)."""
    out: list[str] = []
    if install:
        out.append(
            {
                "github": "an `Install witness` step",
                "gitlab": "a `before_script` that installs witness",
                "codebuild": "an `install` phase that installs witness",
            }.get(job.system, "a step that installs witness")
        )
    if job.system == "github" and st.id_token:
        out.append("a `permissions` block with `id-token: write` (for the job's OIDC token)")
    if job.system == "gitlab" and st.id_token and not job.has_id_token:
        out.append("an `id_tokens` entry for the Sigstore token")
    if upload:
        out.append(
            {
                "github": "an `upload-artifact` step that keeps the attestation",
                "gitlab": "the attestation in the job's `artifacts`",
                "jenkins": "an `archiveArtifacts` line for the attestation",
                "codebuild": "the attestation in the `artifacts` files",
            }.get(job.system, "the attestation as an artifact")
        )
    return out


def _notes(rng: random.Random, system: str, out: str, upload: tuple[str, ...], asked: bool) -> list[str]:
    notes: list[str] = []
    if upload and not asked:
        files = code_list(upload)
        notes.append(
            pick(
                rng,
                (
                    f"I also kept {files} as build artifacts so a later verify job can fetch them.",
                    f"The new artifact entry for {files} lets the verification job download the attestations.",
                ),
            )
        )
    if system == "make":
        notes.append(
            "Recipe lines need a tab; the continuation lines end with `\\`, so make passes one command to the shell."
        )
    if system == "shell":
        notes.append("With `set -e` the script still stops when witness (or the wrapped command) fails.")
    if system == "tekton":
        notes.append(
            "`workingDir` is the source workspace, so that is where witness records materials and products."
        )
    return notes


# --------------------------------------------------------------------------- request forms


def _c_how(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "How do I add witness to this {unit} so that `{cmd}` is recorded?",
            "What do I change in this {unit} to attest the `{cmd}` line with witness?",
        ),
        **v,
    )
    return f"{v['paste']}\n\n{head} {sentences(rng, asks)}"


def _c_situation(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "We're adding build provenance to {project}. This is the {where}:",
            "Our {what} for {project} runs in {system}:",
            "{project} builds in {system}; here's the {unit}.",
        ),
        **v,
    )
    tail = pick(
        rng,
        (
            "Can you show me the updated file?",
            "What does it look like with witness?",
            "Please show the whole thing.",
        ),
    )
    return f"{head}\n\n{v['paste']}\n\n{sentences(rng, asks)} {tail}"


def _c_rewrite(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "Rewrite this {unit} so the `{cmd}` line runs under witness.",
            "Please update the {unit} below: `{cmd}` has to go through `witness run`.",
        ),
        **v,
    )
    return f"{head} {sentences(rng, asks)}\n\n{v['paste']}"


def _c_need(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "I need the {what} in our {where} to produce a signed witness attestation.",
            "Security wants a witness attestation out of this {where}.",
        ),
        **v,
    )
    return f"{head}\n\n{v['paste']}\n\n{sentences(rng, asks)}"


def _c_port(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(
        rng,
        (
            "On my laptop I run `{local}` and it works. How does that translate into this {where}?",
            "I got witness working locally with `{local}`. Now it has to move into {system}:",
        ),
        **v,
    )
    return f"{head}\n\n{v['paste']}\n\n{sentences(rng, asks)}"


def _c_terse(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
    head = say(rng, ("add witness here:", "witness-ify this {unit}:"), **v)
    items = bullets(asks)
    return f"{head}\n\n{v['paste']}\n\n{items}"


FORMS: tuple[Callable[[random.Random, dict[str, str], list[str]], str], ...] = (
    _c_how,
    _c_situation,
    _c_rewrite,
    _c_need,
    _c_port,
    _c_terse,
)


def _render_file(
    job: ci_files.Job,
    wrapped: str | None,
    st: Setup,
    upload: tuple[str, ...],
    install: tuple[str, ...] = (),
) -> str:
    system = job.system
    if system == "github":
        return ci_files.github(
            job,
            wrapped,
            key_file=st.key_file if wrapped else "",
            id_token=st.id_token and bool(wrapped),
            upload=upload,
            install=install,
        )
    if system == "gitlab":
        id_token = job.has_id_token or (st.id_token and wrapped is not None)
        return ci_files.gitlab(
            job, wrapped, token_lines=st.token_lines, id_token=id_token, upload=upload, install=install
        )
    if system == "jenkins":
        return ci_files.jenkins(job, wrapped, variable=st.variable, upload=upload)
    if system == "tekton":
        return ci_files.tekton(job, wrapped, mount=st.mount)
    if system == "make":
        return ci_files.makefile(job, wrapped)
    if system == "shell":
        return ci_files.shell(job, wrapped)
    return ci_files.codebuild(job, wrapped, upload=upload, install=install)


def _install(job: ci_files.Job, version: WitnessVersion) -> tuple[str, ...]:
    """Lines that install witness in the job (empty where the file cannot do it: Jenkins agents, Tekton step
    images, Makefiles, scripts and images without curl are set up outside the file, and the request says so)."""
    if job.system == "github":
        return ci_files.install_lines(
            version.release, "$RUNNER_TEMP/bin", tmp="$RUNNER_TEMP", path_file="$GITHUB_PATH"
        )
    if job.system == "codebuild" or (job.system == "gitlab" and job.image in ci_files.CURL_IMAGES):
        return ci_files.install_lines(version.release, "/usr/local/bin")
    return ()


NAME_ASKS = {
    "github": ("Use the job name as the step name.", "The step name should be the job's name."),
    "gitlab": ("Use the job name as the step name.", "The step name should be the job's name."),
    "make": ("Use the make target's name as the step name.", "The step name should be the target's name."),
}
"""Ways to say "step name = the name shown in the pasted file", for files that show one name."""


def _visible_name(job: ci_files.Job) -> str:
    """The job name a reader sees in the pasted file ("" where there is no single one)."""
    if job.system in ("github", "gitlab"):
        return job.name
    if job.system == "make":
        return ci_files.make_target(job)
    return ""


def make_ci(rng: random.Random, version: WitnessVersion) -> Built:
    system = rng.choices(SYSTEMS, SYSTEM_WEIGHTS)[0]
    for _ in range(20):
        pr = workloads.draw(rng)
        if system != "make" or pr.work.command[0] != "make":
            break
    job = ci_files.draw_job(rng, system, pr)
    st = _setup(rng, version, job)
    signer = st.signer
    assert signer is not None
    step = pr.step
    named_out = rng.random() < 0.7
    out = names.outfile(rng, step=step, project=pr.name, org=pr.org) if named_out else f"{step}.att.json"
    plan = run_plan.plan(
        rng,
        pr,
        out=out,
        ci_attestor=CI_ATTESTOR.get(system),
        options=(0, 0, 1, 1, 2),
        # these jobs start from a clone (actions/checkout, GitLab's clone, a declarative Jenkinsfile's
        # implicit `checkout scm`), so a request saying "there is no git checkout" would contradict the file
        modes=(32, 40, 13, 0) if system in CHECKS_OUT else (32, 40, 13, 15),
        timestamped=signer.timestamped,
    )
    if system == "github" and plan.selected and "github" in plan.selected:
        st.id_token = True
    spec = Spec("run", [("step", step), *signer.flags, ("outfile", out), *plan.flags], list(pr.work.command))
    width = 0 if system == "jenkins" else 88
    text = render(spec, rng, version, width=width)
    uploads = system in ("github", "gitlab", "jenkins", "codebuild")
    asked_upload = uploads and rng.random() < 0.35
    exported = [x for x in run_plan.EXPORTERS if (f"attestor-{x}-export", True) in plan.flags]
    # the exported statements are files of their own (`<outfile>-<name>.json`): keep them next to the collection
    upload = (
        (out, *(f"{out}-{x}.json" for x in exported))
        if uploads and (asked_upload or rng.random() < 0.3)
        else ()
    )
    install = _install(job, version)
    # a file that cannot install witness itself only makes sense where the request says witness is there
    preinstalled = not install or rng.random() < 0.6
    if preinstalled:
        install = ()
        if system == "gitlab":
            # "witness is baked into our CI image" needs an image that can have it, not a stock one
            job.image = f"registry.{pr.org}.internal/ci/{pr.work.language}-witness:latest"
    before = _render_file(job, None, st, ())
    after = _render_file(job, text, st, upload, install)
    lang = ci_files.LANGS[system]
    # --- the request
    asks = [" ".join(signer.asks), *plan.asks]  # signer sentences stay in order
    visible = _visible_name(job)
    asks.append(
        pick(rng, NAME_ASKS[system]) if step == visible and rng.random() < 0.5 else step_sentence(rng, step)
    )
    asks.append(
        out_sentence(rng, out)
        if named_out
        else pick(rng, ("Name the attestation file however you like.", "Any output file name is fine."))
    )
    if job.before:
        asks.append(
            say(
                rng,
                (
                    "Only `{c}` should be wrapped, not `{b}`.",
                    "Leave `{b}` alone; it's `{c}` we want attested.",
                ),
                c=job.command,
                b=job.before[0],
            )
        )
    if asked_upload:
        asks.append(
            pick(
                rng,
                (
                    "A later job verifies it, so keep the attestation as an artifact.",
                    "We need the attestation file afterwards for the verify job.",
                ),
            )
        )
    if preinstalled:
        asks.append(pick(rng, INSTALLED[system]))
    local_key = names.fill(rng, names.KEYS, step=step, project=pr.name, org=pr.org)
    local = Spec(
        "run", [("step", step), ("signer-file-key-path", local_key), ("outfile", out)], list(pr.work.command)
    )
    v = {
        "unit": pick(rng, ci_files.UNITS[system]),
        "system": ci_files.SYSTEM_NAMES[system],
        "where": pick(rng, ci_files.WHERE[system]),
        "cmd": job.command,
        "what": pr.work.what,
        "project": pr.name,
        "paste": fence(lang, before),
        "local": render(local, rng, version, width=0),
    }
    i = rng.randrange(len(FORMS))
    question = FORMS[i](rng, v, asks)
    # --- the answer
    in_ci = system not in ("make", "shell")
    added = _additions(job, st, upload, install)
    also = f", plus {_and(added)}" if added else ""
    if _handles_secret(st):  # the file gains lines that hand over the key or token
        forms = (
            "Replace the `{c}` line with the witness command and let {s} hand the signer its {k}{a}."
            if in_ci
            else "Only the `{c}` line changes: it now runs under `witness run` as step `{st}`.",
            "The {u} stays the same except for the wrapped `{c}` line and the {k} handling{a}.",
            "`{c}` now runs under `witness run` as step `{st}`; the rest of the {u} is unchanged apart from the "
            "{k} handling{a}.",
        )
    else:  # a KMS key, a File-type variable or a key path on disk: nothing but the line (and the additions)
        first = "Replace the `{c}` line with the witness command{a}" + (
            "; witness signs through KMS with the build's service-role credentials, so no key file is involved."
            if signer.kind == "kms"
            else "."
        )
        forms = (
            first
            if in_ci
            else "Only the `{c}` line changes: it now runs under `witness run` as step `{st}`.",
            "The {u} stays the same except for the wrapped `{c}` line{a}.",
            "`{c}` now runs under `witness run` as step `{st}`; the rest of the {u} is unchanged{r}.",
        )
    lead = say(
        rng,
        forms,
        c=job.command,
        s=ci_files.SYSTEM_NAMES[system],
        k="token" if signer.kind.startswith("fulcio") else "key",
        u=v["unit"],
        st=step,
        a=also,
        r=f" apart from {_and(added)}" if added else "",
    )
    must = [*signer.must, *plan.must]
    if install:
        where = {
            "github": "an `Install witness` step downloads",
            "gitlab": "`before_script` downloads",
            "codebuild": "the `install` phase downloads",
        }[system]
        must.insert(
            0,
            f"Nothing in the file installed witness, so {where} the {version.release} release for linux/amd64, "
            "checks it against the release's published SHA-256 list and puts `witness` on the PATH; drop it if "
            "your image already ships witness (and use `linux_arm64` on ARM machines).",
        )
    reasons = [
        *signer.why[-1:],
        *plan.why[:1],
        dashdash_why(rng, pr.work.command),
        *signer.why[:-1],
        *plan.why[1:],
    ]
    why, notes = arrange(
        rng,
        lead,
        reasons,
        [*_notes(rng, system, out, upload, asked_upload), *signer.notes, *plan.notes],
        must,
    )
    check = [check_line(text, version)]
    intro = "Lint the witness line (nothing is executed):"
    if rng.random() < 0.6:
        check.append(inspect_line(out))
        intro = say(
            rng,
            (
                "Lint the witness line first; once the job ran, decode `{o}` to see which attestations it holds:",
                "Check the command offline, then inspect `{o}` from a finished run:",
            ),
            o=out,
        )
    lesson = Lesson(why=why, artifact=fence(lang, after), check=check, check_intro=intro, notes=notes)
    extra: dict[str, Any] = {}
    any_value = [*st.any_value, *signer.any_value, *([] if named_out else ["outfile"])]
    if any_value:
        extra["any_value"] = any_value
    if signer.loose:
        extra["loose"] = dict(signer.loose)
    if st.id_token and system in TOKEN_GRANTS:
        extra["file_must"] = [dict(TOKEN_GRANTS[system])]
    return Built("ci", f"commands/ci/{system}/{i}", question, text, lesson, extra, group=system)


# --------------------------------------------------------------------------- only the witness line

LINE_SYSTEMS = ("github", "gitlab", "jenkins", "codebuild")
LINE_WEIGHTS = (34, 28, 24, 14)
SLOT = {
    "github": ("the `run:` of the `{name}` step", "that step's `run:`", "the `{name}` step's `run:` block"),
    "gitlab": ("the `script:` of the `{name}` job", "the job's `script:`", "the `script:` list of `{name}`"),
    "jenkins": ("the `sh` step", "the `sh` inside the `{stage}` stage", "the `sh '...'` call"),
    "codebuild": (
        "the `build` phase",
        "the `build` phase's `commands`",
        "the build command of the buildspec",
    ),
}
"""Where the witness line goes, as a user names it."""


def _line_forms() -> tuple[Callable[[random.Random, dict[str, str], list[str]], str], ...]:
    def what_line(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "What's the witness command line for {slot}? I only need that one line, not the whole file.",
                "Which witness command goes into {slot}? Just the command please; I'll edit the file myself.",
                "Can you give me only the `witness run` line for {slot}?",
            ),
            **v,
        )
        return f"{v['paste']}\n\n{head} {sentences(rng, asks)}"

    def replace(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "In the {unit} below, `{cmd}` should run under witness. What do I put in {slot} instead?",
                "I want to swap `{cmd}` in {slot} for a witness-wrapped version. What's the exact line?",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)}\n\n{v['paste']}"

    def situation(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "Here's the {where} for {project}.",
                "This is how {project}'s {what} runs in {system}:",
                "Our {unit} for {project} looks like this.",
            ),
            **v,
        )
        tail = say(
            rng,
            (
                "No need to repeat the file, I just need the command for {slot}.",
                "Only the command line for {slot}, please.",
                "What single command should {slot} run?",
            ),
            **v,
        )
        return f"{head}\n\n{v['paste']}\n\n{sentences(rng, asks)} {tail}"

    def terse(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            ("witness line for {slot} (command only):", "just the witness command for `{cmd}`:"),
            **v,
        )
        items = bullets(asks)
        return f"{v['paste']}\n\n{head}\n{items}"

    def edit_myself(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "The rest of this {unit} already handles the key, so the only change is the `{cmd}` line.",
                "Everything around `{cmd}` is set up already; I only have to change that one line.",
            ),
            **v,
        )
        tail = pick(
            rng, ("What should it become?", "What's the replacement line?", "How should the line read?")
        )
        return f"{head} {sentences(rng, asks)} {tail}\n\n{v['paste']}"

    def port(rng: random.Random, v: dict[str, str], asks: list[str]) -> str:
        head = say(
            rng,
            (
                "Locally I run `{local}`. What's the equivalent line for {slot} in this {where}?",
                "`{local}` works on my laptop. How should the command in {slot} look in {system}?",
            ),
            **v,
        )
        return f"{head} {sentences(rng, asks)}\n\n{v['paste']}"

    return (what_line, replace, situation, terse, edit_myself, port)


LINE_FORMS = _line_forms()


def _pasted_with_key(job: ci_files.Job, st: Setup) -> str:
    """The user's file as it is before witness: the key or token is already handed to the job, and the
    command is still unwrapped (the signer needs nothing else from the file)."""
    system = job.system
    if system == "github":
        return ci_files.github(
            job,
            job.command,
            key_file=st.key_file,
            id_token=st.signer is not None and st.signer.kind == "fulcio-github",
        )
    if system == "gitlab":
        return ci_files.gitlab(
            job, job.command, token_lines=st.token_lines, id_token=job.has_id_token or bool(st.token_lines)
        )
    if system == "jenkins":
        return ci_files.jenkins(job, job.command, variable=st.variable)
    return ci_files.codebuild(job, job.command)


def make_ci_line(rng: random.Random, version: WitnessVersion) -> Built:
    """The user pastes a CI file whose job already hands over the key (or token) and asks for only the
    witness line of one step: the answer is that command in one bash block, with where it goes."""
    system = rng.choices(LINE_SYSTEMS, LINE_WEIGHTS)[0]
    pr = workloads.draw(rng)
    job = ci_files.draw_job(rng, system, pr)
    st = _setup(rng, version, job)
    signer = st.signer
    assert signer is not None
    if system == "gitlab" and st.token_lines:
        job.has_id_token = True  # the pasted job already requests the token and writes it to the file
    if system == "jenkins" and st.variable and not signer.loose:
        signer.loose = {"signer-file-key-path": [f"${{{st.variable}}}"]}
    if system == "github" and st.key_file:
        # the pasted file shows where the key is written, so the path is no longer left to the answer
        st.any_value = [x for x in st.any_value if x != "signer-file-key-path"]
    if system == "gitlab":
        job.image = f"registry.{pr.org}.internal/ci/{pr.work.language}-witness:latest"
    step = pr.step
    out = names.outfile(rng, step=step, project=pr.name, org=pr.org)
    plan = run_plan.plan(
        rng,
        pr,
        out=out,
        ci_attestor=CI_ATTESTOR.get(system),
        options=(0, 0, 1, 1, 2),
        modes=(32, 40, 13, 0) if system in CHECKS_OUT else (32, 40, 13, 15),
        timestamped=signer.timestamped,
    )
    spec = Spec("run", [("step", step), *signer.flags, ("outfile", out), *plan.flags], list(pr.work.command))
    text = render(spec, rng, version, width=88)
    pasted = _pasted_with_key(job, st)
    asks: list[str] = []
    if system == "github" and st.key_file:
        asks.append(
            say(
                rng,
                (
                    "The key is already written to `{k}` by the step before.",
                    "As you can see, an earlier step puts the private key at `{k}`.",
                    "",
                ),
                k=st.key_file,
            )
        )
    elif system == "jenkins":
        asks.append(
            say(
                rng,
                (
                    "The `withCredentials` block already puts the key file's path in `{v}`.",
                    "`{v}` holds the path of the key file inside that block.",
                ),
                v=st.variable,
            )
        )
    elif system == "gitlab" and st.token_lines:
        asks.append(
            say(
                rng,
                (
                    "Signing is keyless through Fulcio at {u}; the script already writes the job's ID token to "
                    "`/tmp/sigstore-token`.",
                    "We sign keyless with Fulcio ({u}), using the `SIGSTORE_ID_TOKEN` the job writes to "
                    "`/tmp/sigstore-token`.",
                ),
                u=signer.key,
            )
        )
    else:
        asks.append(" ".join(signer.asks))
    asks += [*plan.asks, step_sentence(rng, step), out_sentence(rng, out), pick(rng, INSTALLED[system])]
    stage = job.name[:1].upper() + job.name[1:]
    local_key = names.fill(rng, names.KEYS, step=step, project=pr.name, org=pr.org)
    local = Spec(
        "run", [("step", step), ("signer-file-key-path", local_key), ("outfile", out)], list(pr.work.command)
    )
    v = {
        "slot": pick(rng, SLOT[system]).format(name=job.name, stage=stage),
        "unit": pick(rng, ci_files.UNITS[system]),
        "system": ci_files.SYSTEM_NAMES[system],
        "where": pick(rng, ci_files.WHERE[system]),
        "cmd": job.command,
        "what": pr.work.what,
        "project": pr.name,
        "paste": fence(ci_files.LANGS[system], pasted),
        "local": render(local, rng, version, width=0),
    }
    i = rng.randrange(len(LINE_FORMS))
    question = LINE_FORMS[i](rng, v, [a for a in asks if a])
    place = {
        "github": f"the `run: |` of the `{job.name}` step",
        "gitlab": f"the `script:` of `{job.name}` (as a `- |` item)",
        "jenkins": "the `sh` step inside `withCredentials`",
        "codebuild": "the `build` phase's `commands` (as a `- |` item)",
    }[system]
    lead = say(
        rng,
        (
            "Replace `{c}` in {p} with the line below.",
            "The line below goes into {p}; it runs `{c}` as step `{s}`.",
            "Only {p} changes: `{c}` now runs under `witness run` as step `{s}`.",
        ),
        c=job.command,
        p=place,
        s=step,
    )
    if system == "jenkins":  # the quoting the line needs inside the Groovy `sh` step
        lead += " " + _jenkins_quoting(text, st.variable)
    must = [*signer.must, *plan.must]
    if "github" in (plan.selected or []) and signer.kind != "fulcio-github":
        must.append(
            "The github attestor fetches the job's OIDC token, so the workflow also needs `id-token: write` "
            "under `permissions` (your file doesn't grant it yet)."
        )
    reasons = [
        *plan.why[:1],
        *signer.why[-1:],
        dashdash_why(rng, pr.work.command),
        step_why(rng, step),
        *plan.why[1:],
    ]
    notes = [n for n in plan.notes if "id-token" not in n] + list(signer.notes)
    why, notes = arrange(rng, lead, reasons, notes, must)
    lesson = Lesson(
        why=why,
        artifact=fence("bash", text),
        check=[check_line(text, version)],
        check_intro=pick(
            rng, ("Lint it before committing (nothing is executed):", "Check the line offline:")
        ),
        notes=notes,
    )
    extra: dict[str, Any] = {}
    if st.any_value or signer.any_value:
        extra["any_value"] = [*st.any_value, *signer.any_value]
    if signer.loose:
        extra["loose"] = dict(signer.loose)
    return Built("ci-line", f"commands/ci-line/{system}/{i}", question, text, lesson, extra, group=system)
