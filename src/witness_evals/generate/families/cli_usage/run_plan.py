"""What a `witness run` must record, stated as a user would say it, and the flags that do it.

`plan(rng, project, ...)` draws the attestor selection (defaults, defaults plus extras, only
some, no git), exporters and options (hashes, working dir, tracing, TSA, env filtering, product globs,
Archivista...) for one workload, with one sentence per requirement in varied wording, and the reasons
an answer gives for the flags (REFERENCE §1.2, §2.2). Only attestors that can succeed for the workload
(`Workload.usable`) and the place it runs are chosen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from witness_evals.generate.facts_attestors import K8S_NO_CLUSTER, PRODUCT_READERS
from witness_evals.generate.families.cli_usage import names
from witness_evals.generate.families.cli_usage.text import code_list, join_and, say
from witness_evals.generate.families.cli_usage.workloads import Project
from witness_evals.generate.phrasing import pick

ATTESTOR_TEXT = {
    "slsa": ("SLSA provenance", "SLSA build provenance", "a SLSA provenance predicate"),
    "link": ("an in-toto link", "in-toto link metadata"),
    "sbom": ("the SBOM the step produces", "the generated SBOM"),
    "docker": ("the docker buildx metadata", "the image build metadata from buildx"),
    "oci": ("the saved OCI image tarball", "the image tarball's manifest and layers"),
    "k8smanifest": ("the rendered Kubernetes manifests", "the manifests it renders"),
    "sarif": ("the SARIF findings", "the SARIF report"),
    "vex": ("the VEX document", "the OpenVEX statements it writes"),
    "secretscan": ("a secret scan of the products", "a scan of the outputs for leaked secrets"),
    "maven": ("the Maven project and dependency info", "the POM's coordinates and dependencies"),
    "lockfiles": ("the dependency lockfiles", "our lockfiles"),
    "github": ("the GitHub Actions run metadata", "the GitHub workflow run info"),
    "gitlab": ("the GitLab CI job metadata", "the GitLab pipeline and job info"),
    "jenkins": ("the Jenkins build metadata", "the Jenkins job info"),
    "aws-codebuild": ("the CodeBuild build info", "the AWS CodeBuild build details"),
    "system-packages": ("the installed system packages", "the OS package list of the runner"),
    "omnitrail": ("an OmniTrail trail of the files", "an OmniTrail file trail"),
    "aws": ("the EC2 instance identity document", "the AWS instance identity"),
    "gcp-iit": ("the GCP instance identity token", "the GCE instance identity"),
}
WHERE = {
    "github": "inside GitHub Actions",
    "gitlab": "inside GitLab CI",
    "jenkins": "inside a Jenkins build (it needs `JENKINS_URL`)",
    "aws-codebuild": "inside AWS CodeBuild",
    "aws": "on an EC2 instance",
    "gcp-iit": "where the GCP metadata server hands out an identity token without a `google` claim, as under GKE Workload Identity (on a plain GCE VM witness crashes)",
}
EXPORTERS = ("slsa", "link", "sbom")
ALWAYS_EXPORTED = ("slsa", "link")
"""Exported whenever they run: go-witness decodes their protobuf structs with encoding/json, so `witness verify`
cannot load a collection that carries one with content (docs/reference-corrections.md)."""


def export_reason(xs: list[str], out: str) -> str:
    """Why `xs` (slsa and/or link) are exported although nobody asked: a must-keep sentence, since the flag
    changes where the predicate ends up (go-witness run.go writes an exported attestor to `<outfile>-<name>.json`
    and leaves it out of the collection)."""
    flags = join_and([f"`--attestor-{x}-export`" for x in xs])
    files = join_and([f"`{out}-{x}.json`" for x in xs])
    one = len(xs) == 1
    owner = "predicate's" if one else "predicates'"
    return (
        f"{flags} {'is' if one else 'are'} added although you didn't ask: {'it writes the' if one else 'they write the'} "
        f"{join_and(xs)} predicate{'' if one else 's'} as {'its' if one else 'their'} own signed "
        f"statement{'' if one else 's'} to {files}, left out of the collection. Kept in the collection, "
        f"{'it' if one else 'they'} would make it unreadable for `witness verify` (go-witness reads the "
        f"{join_and(xs)} {owner} protobuf structs back with encoding/json, which fails "
        "on any content)."
    )


def attestor_phrase(rng: random.Random, name: str) -> str:
    text = pick(rng, ATTESTOR_TEXT[name])
    return f"{text} (`{name}`)" if rng.random() < 0.55 else text


@dataclass
class RunPlan:
    """Flags of a `witness run` besides step, signer and outfile, with the words around them."""

    flags: list[tuple[str, Any]] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    selected: list[str] | None = None
    """The `-a` list (None: the default `environment,git`)."""
    mode: str = "default"
    must: list[str] = field(default_factory=list)
    """Sentences the answer has to keep (they correct the request or explain a flag the user didn't ask for)."""


def attestor_line(rng: random.Random, plan: RunPlan) -> str:
    """One line, right above the command, that settles which attestors the run records and why: a small model
    wrote `-a sbom` and only below it that `-a` replaces the defaults (witness-bench 2026-12-07)."""
    always = "`material`, `product` and `command-run` are recorded anyway"
    if plan.selected is None:
        return pick(rng, (
            f"Attestors: no `-a`; the defaults `environment` and `git` are what you want, and {always}.",
            f"No `-a` flag: witness records `environment` and `git` by default, and {always}.",
        ))  # fmt: skip
    listed = code_list(plan.selected)
    if plan.mode == "extra":
        return pick(rng, (
            f"Attestors: {listed}. `-a` replaces the defaults, so `environment` and `git` are named again; {always}.",
            f"`-a` gets {listed}: the list replaces the default `environment,git`, so both stay in it.",
        ))  # fmt: skip
    dropped = "`environment` and `git`" if plan.mode == "only" else "`git`"
    return f"Attestors: {listed} only. `-a` replaces the defaults, which leaves out {dropped}; {always}."


def _attestors(
    rng: random.Random, pr: Project, plan: RunPlan, *, ci_attestor: str | None, host: str | None, mode: str
) -> list[str]:
    pool = list(pr.work.attestors) * 3 + [a for a in pr.work.usable() if a not in pr.work.attestors]
    extras: list[str] = []
    if mode != "default":
        k = min(len(set(pool)), pick(rng, (1, 1, 1, 2, 2, 3)))
        if (
            pr.work.attestors and rng.random() < 0.75
        ):  # what this step is about (sbom for syft, docker for buildx)
            extras.append(pick(rng, pr.work.attestors))
        while len(extras) < k:
            a = pick(rng, pool)
            if a not in extras:
                extras.append(a)
        if ci_attestor and rng.random() < 0.55:
            extras.append(ci_attestor)
        if host and rng.random() < 0.5:
            extras.append(host)
    described = join_and([attestor_phrase(rng, x) for x in extras])
    if mode == "default":
        plan.selected = None
        if rng.random() < 0.35:
            plan.asks.append(
                pick(
                    rng,
                    (
                        "The default attestors are fine.",
                        "No extra attestors needed, just what witness records by default.",
                        "I don't need anything beyond the standard attestations.",
                    ),
                )
            )
        plan.why.append(
            pick(
                rng,
                (
                    "Without `-a` witness records its defaults, `environment` and `git`, plus `product` and "
                    "`material` (always) and `command-run` (because a command follows `--`).",
                    "No `-a` is needed: the default set is environment and git, and product, material and "
                    "command-run are added on their own.",
                ),
            )
        )
    elif mode == "extra":
        plan.selected = ["environment", "git", *extras]
        plan.asks.append(
            pick(
                rng,
                (
                    f"On top of the default environment and git attestors it should also record {described}.",
                    f"Keep the usual environment and git attestations and add {described}.",
                    f"Our policy checks git and environment, and now we also want {described}.",
                    f"Besides the defaults, capture {described}.",
                ),
            )
        )
        plan.why.append(
            pick(
                rng,
                (
                    "`-a` replaces the default `environment,git` list instead of adding to it, so both are "
                    f"named again next to {code_list(extras)}.",
                    f"Naming {code_list(extras)} with `-a` would drop environment and git, because `-a` "
                    "replaces the defaults; that is why the list repeats them.",
                    "Any `-a` replaces the defaults, so `environment` and `git` must be listed explicitly along "
                    f"with {code_list(extras)}.",
                ),
            )
        )
    elif mode == "only":
        plan.selected = list(extras)
        plan.asks.append(
            pick(
                rng,
                (
                    f"We don't want the environment or git attestors here, only {described}.",
                    f"Record {described} but skip environment and git entirely.",
                    f"Just {described}; leave out the environment and git attestations.",
                ),
            )
        )
        plan.why.append(
            pick(
                rng,
                (
                    f"`-a {','.join(extras)}` replaces the default environment and git attestors; product and "
                    "material are recorded anyway, and command-run because a command follows `--`.",
                    "Giving `-a` drops the defaults, which is what you want here; witness still records "
                    "product, material and command-run.",
                ),
            )
        )
    else:  # nogit
        plan.selected = ["environment", *extras]
        more = f", and add {described}" if extras else ""
        plan.asks.append(
            pick(
                rng,
                (
                    f"The job runs from an exported source tarball without a .git directory, so skip the git "
                    f"attestor but keep environment{more}.",
                    f"There's no git checkout in the build container: record environment but not git{more}.",
                    f"git isn't available where this runs, so no git attestation please; environment should "
                    f"stay{more}.",
                ),
            )
        )
        plan.why.append(
            "The git attestor fails outside a git work tree, and `-a` replaces the default list, so naming "
            + ("`environment`" if not extras else f"`environment` with {code_list(extras)}")
            + " leaves git out."
        )
    for x in extras:
        if x in WHERE:
            plan.notes.append(f"The `{x}` attestor only works {WHERE[x]}; anywhere else the whole run fails.")
    readers = [x for x in extras if x in PRODUCT_READERS and pr.work.products]
    if readers:
        files = code_list(pr.work.products[:1])
        plan.must.append(
            f"{code_list(readers)} only read{'s' if len(readers) == 1 else ''} the step's products, i.e. files the "
            f"wrapped command writes or changes (here {files}); a file that is already in the checkout and "
            "untouched would not count."
        )
    if "github" in extras:
        plan.notes.append(
            "The github attestor requests the job's OIDC token, so the workflow needs `id-token: write`."
        )
    return extras


def plan(
    rng: random.Random,
    pr: Project,
    *,
    out: str,
    ci_attestor: str | None = None,
    host: str | None = None,
    options: tuple[int, ...] = (0, 1, 1, 1, 2, 2, 3),
    modes: tuple[int, int, int, int] = (32, 40, 13, 15),
    timestamped: bool = False,
) -> RunPlan:
    """Attestors and options for `witness run` of `pr` writing `out`; `ci_attestor`/`host` may be added.

    `timestamped`: the signer already passes `--timestamp-servers` (keyless), so no TSA option is drawn.
    """
    p = RunPlan()
    mode = rng.choices(("default", "extra", "only", "nogit"), modes)[0]
    p.mode = mode
    extras = _attestors(rng, pr, p, ci_attestor=ci_attestor, host=host, mode=mode)
    if p.selected is not None:
        p.flags.append(("attestations", p.selected))
    unasked: list[str] = []
    for x in extras:
        asked = x in EXPORTERS and rng.random() < 0.45
        if not (asked or x in ALWAYS_EXPORTED):
            continue
        p.flags.append((f"attestor-{x}-export", True))
        if not asked:
            unasked.append(x)
        else:
            p.asks.append(
                say(
                    rng,
                    (
                        "The {x} predicate should be exported as its own file.",
                        "I'd like the {x} attestation written to a separate file, not only inside the collection.",
                        "Export {x} separately please.",
                    ),
                    x=x,
                )
            )
            p.why.append(
                f"`--attestor-{x}-export` writes the {x} predicate as its own signed statement to `{out}-{x}.json` "
                "and leaves it out of the collection."
            )
    if unasked:
        p.must.append(export_reason(unasked, out))  # a flag the user did not ask for: the reason always stays
    if "k8smanifest" in extras:
        _k8s_cluster(rng, p)
    _options(rng, pr, p, extras=extras, count=pick(rng, options), timestamped=timestamped)
    return p


def _k8s_cluster(rng: random.Random, p: RunPlan) -> None:
    """k8smanifest records the kubeconfig's cluster by default (`--attestor-k8smanifest-record-cluster-information`
    is `true`). go-witness v0.12.0 attestation/k8smanifest/k8s.go:502-526 `runRecordClusterInfo` loads the
    kubeconfig (`--attestor-k8smanifest-kubeconfig`, default ~/.kube/config), takes `--attestor-k8smanifest-context`
    or else the current context, and looks that NAME up in `config.Clusters` (keyed by cluster name): it fails with
    `kubernetes context not set` or `unable to find context ...` unless a cluster entry has the context's name,
    even with a working kubeconfig. Off unless the user says the runner has a cluster."""
    if rng.random() < 0.3:
        p.asks.append(
            pick(
                rng,
                (
                    "The runner has a kubeconfig for our staging cluster, so the cluster can be recorded too.",
                    "kubectl on that machine is configured for the target cluster (current context set).",
                ),
            )
        )
        p.why.append(
            "`--attestor-k8smanifest-record-cluster-information` defaults to `true`, so k8smanifest also records "
            "the cluster's server from the kubeconfig (`~/.kube/config` unless "
            "`--attestor-k8smanifest-kubeconfig` says otherwise)."
        )
        p.must.append(
            pick(
                rng,
                (
                    "Witness looks the current context's name up among the kubeconfig's clusters, so this only "
                    "works when the context and its cluster have the same name; otherwise the run fails with an "
                    f"`unable to find context` error and you need `{K8S_NO_CLUSTER}`.",
                    "One catch: witness finds the cluster by the current context's name, so the kubeconfig needs "
                    "a cluster entry named exactly like that context. If the names differ, the step fails "
                    f"(`unable to find context` in the error); add `{K8S_NO_CLUSTER}` then.",
                ),
            )
        )
        return
    p.flags.append((K8S_NO_CLUSTER, None))  # a bool flag: its value must be attached with `=`
    p.must.append(
        f"`{K8S_NO_CLUSTER}` keeps k8smanifest from reading a kubeconfig: recording the cluster is on by default "
        "and fails the whole run unless the kubeconfig (`~/.kube/config` by default) has a current context whose "
        "name is also the name of one of its clusters (witness looks the context name up among the clusters)."
    )


def _options(
    rng: random.Random, pr: Project, p: RunPlan, *, extras: list[str], count: int, timestamped: bool = False
) -> None:
    opts = [
        "hashes",
        "workingdir",
        "trace",
        "tsa",
        "env-filter",
        "env-add",
        "exclude",
        "include",
        "archivista",
        "dirhash",
    ]
    if p.selected is not None and "environment" not in p.selected:
        opts = [o for o in opts if not o.startswith("env-")]
    if timestamped:
        opts.remove("tsa")
    if "lockfiles" in extras or "maven" in extras:
        opts.remove("workingdir")  # lockfiles and the default pom.xml are read from the current directory
    if "secretscan" in extras:
        opts.append("secretscan-fail")
    chosen = sorted(rng.sample(opts, min(count, len(opts))), key=opts.index)
    if "exclude" in chosen and "include" in chosen:
        chosen.remove("include")
    org, project = pr.org, pr.name
    for o in chosen:
        if o == "hashes":
            p.flags.append(("hashes", ["sha256", "sha1"]))
            p.asks.append(
                pick(
                    rng,
                    (
                        "Record sha1 digests as well as sha256.",
                        "We need both sha256 and sha1 digests for an old consumer.",
                        "Compute sha1 in addition to sha256.",
                    ),
                )
            )
            p.why.append("`--hashes sha256,sha1` adds sha1 digests; the default is sha256 only.")
        elif o == "workingdir":
            d = names.fill(rng, names.WORKDIRS, project=project)
            p.flags.append(("workingdir", d))
            p.asks.append(
                say(
                    rng,
                    (
                        "The command has to run from `{d}`.",
                        "It's a monorepo, so the step runs inside `{d}`.",
                        "Run it in the `{d}` directory.",
                    ),
                    d=d,
                )
            )
            p.why.append(f"`-d {d}` (`--workingdir`) runs the command in that directory.")
        elif o == "trace":
            p.flags.append(("trace", True))
            p.asks.append(
                pick(
                    rng,
                    (
                        "Enable process tracing.",
                        "I want the processes the command starts traced too.",
                        "Turn on tracing so child processes are recorded.",
                    ),
                )
            )
            p.why.append(
                "`-r` (`--trace`) records the processes the command starts; it is Linux-only and experimental, "
                "and it narrows the products to the new or changed files those processes opened."
            )
        elif o == "tsa":
            url = names.fill(rng, names.TSAS, org=org)
            p.flags.append(("timestamp-servers", [url]))
            p.asks.append(
                say(
                    rng,
                    (
                        "Timestamp the signature with {u}.",
                        "Get an RFC 3161 timestamp from {u}.",
                        "Our TSA is {u}; the signature should carry its timestamp.",
                    ),
                    u=url,
                )
            )
            p.why.append(f"`-t {url}` (`--timestamp-servers`) adds an RFC 3161 timestamp to the signature.")
        elif o == "env-filter":
            p.flags.append(("env-filter-sensitive-vars", True))
            p.asks.append(
                pick(
                    rng,
                    (
                        "Sensitive environment variables must be dropped entirely, not just masked.",
                        "Secrets in the environment shouldn't appear at all in the attestation, not even masked.",
                    ),
                )
            )
            p.why.append(
                "`--env-filter-sensitive-vars` removes sensitive variables instead of recording them as `******`."
            )
        elif o == "env-add":
            k = pick(rng, names.SENSITIVE)
            p.flags.append(("env-add-sensitive-key", [k]))
            p.asks.append(
                say(
                    rng,
                    (
                        "Treat `{k}` as sensitive too.",
                        "`{k}` isn't on witness's sensitive list but it should be masked.",
                    ),
                    k=k,
                )
            )
            shown = f"'{k}'" if "*" in k else k
            p.why.append(f"`--env-add-sensitive-key {shown}` adds it (globs allowed) to the sensitive list.")
        elif o in ("exclude", "include"):
            _glob(rng, p, o)
        elif o == "archivista":
            p.flags.append(("enable-archivista", True))
            if rng.random() < 0.6:
                server = names.fill(rng, names.ARCHIVISTAS, org=org)
                p.flags.append(("archivista-server", server))
                p.asks.append(
                    say(
                        rng,
                        (
                            "Also upload it to our Archivista at {s}.",
                            "We run Archivista at {s}; the attestation should be stored there too.",
                        ),
                        s=server,
                    )
                )
                p.why.append(
                    "`--enable-archivista` uploads the signed envelope, and `--archivista-server` points it at "
                    "your instance instead of the default public one."
                )
            else:
                p.asks.append("Also push it to Archivista (the default public server is fine).")
                p.why.append(
                    "`--enable-archivista` uploads the envelope to the default server, "
                    "`https://archivista.testifysec.io`."
                )
        elif o == "dirhash":
            dirhash(rng, pr, p)
        elif o == "secretscan-fail":
            p.flags.append(("attestor-secretscan-fail-on-detection", True))
            p.asks.append(
                pick(
                    rng,
                    (
                        "If the secret scan finds anything, the step should fail.",
                        "Make the run fail when a secret is detected.",
                    ),
                )
            )
            p.why.append("`--attestor-secretscan-fail-on-detection` turns findings into a failed run.")


def exported_subjects_note(exported: list[str], left: str) -> str:
    """Why a product glob does not touch an exported slsa/link statement: go-witness builds its subjects from
    the unfiltered products (attestation/slsa/slsa.go Subjects, attestation/link/link.go Subjects)."""
    one = len(exported) == 1
    return (
        f"The glob only filters the collection's subjects: the exported {join_and(exported)} "
        f"statement{'' if one else 's'} still list{'s' if one else ''} every product as a subject, "
        f"{left} included (go-witness builds {'its' if one else 'their'} subjects from the unfiltered "
        f"products), so {'that statement' if one else 'those statements'} can still be found by them."
    )


def _glob(rng: random.Random, p: RunPlan, o: str) -> None:
    """`--attestor-product-exclude-glob` / `--attestor-product-include-glob`: they filter the statement's
    SUBJECTS only (go-witness v0.12.0 attestation/product/product.go applies the globs in `Subjects()`). A user
    who asks to keep files out of the products is told that no flag filters them by pattern; the flags that
    do change the product list are `-r/--trace` (product.go:195-211 and file/file.go:212-215 `shouldRecord`: only
    files the traced process opened) and `--dirhash-glob` (file/file.go:51-80: one `<dir>/` entry).

    The globs filter only the product attestor's subjects, i.e. the collection's. An exported slsa or link
    statement takes its subjects from the unfiltered products (slsa/slsa.go:228-235 copies `ctx.Products()`,
    `Subjects()` at 283-289 lists every one; link/link.go:135-136 and 154-161 likewise), so whenever the plan
    exports slsa or link the answer says that statement still names the filtered files."""
    if o == "exclude":
        g = pick(rng, ("*.log", "*.tmp", "*.map", "coverage/*"))
        flag = "attestor-product-exclude-glob"
        subject_asks = (
            "`{g}` files shouldn't become subjects of the attestation.",
            "Nobody should find the attestation through a `{g}` file, so keep those out of the subjects.",
        )
        product_asks = ("Don't record `{g}` files as products.", "`{g}` files shouldn't show up as products.")
        effect = (
            "keeps matching files out of the collection's subjects (verify can't find the collection by them)"
        )
        left = "the matching files"
    else:
        g = pick(rng, ("dist/*", "bin/*", "*.tar.gz", "target/*"))
        flag = "attestor-product-include-glob"
        subject_asks = (
            "Only files matching `{g}` should be subjects of the attestation.",
            "Limit the statement's subjects to `{g}`; that's what we verify.",
        )
        product_asks = ("Only files matching `{g}` should count as products.", "Limit the products to `{g}`.")
        effect = "makes only matching files subjects of the collection (the default is `*`)"
        left = "the files that don't match"
    p.flags.append((flag, g))
    exported = [x for x in ALWAYS_EXPORTED if (f"attestor-{x}-export", True) in p.flags]
    if exported:  # a correction to what the user expects: always kept
        p.must.append(exported_subjects_note(exported, left))
    if rng.random() < 0.7:
        p.asks.append(say(rng, subject_asks, g=g))
        p.why.append(f"`--{flag} '{g}'` {effect}; the glob does not filter the product attestation itself.")
        return
    p.asks.append(say(rng, product_asks, g=g))
    p.must.append(
        f"No witness flag keeps files out of the product attestation by pattern: `--{flag} '{g}'` {effect}, "
        "which is the closest there is, but it does not touch the product attestation. Two other flags do "
        "change what that lists: `-r/--trace` keeps only the new or changed files the traced process opened, "
        "and `--dirhash-glob` collapses a matching directory into a single entry (its path plus `/`). To leave "
        "files out entirely, the command must not write them inside the working directory."
    )


DIRHASH_DIRS = {
    "node": ("node_modules",),
    "go": ("vendor",),
    "python": (".venv", "vendor"),
    "java": ("lib", "vendor"),
    "rust": ("vendor",),
    "any": ("vendor", "third_party"),
}


def dirhash_why(g: str) -> str:
    """go-witness attestation/file/file.go: a directory whose path relative to the working directory matches a
    `--dirhash-glob` pattern is recorded as one entry `<dir>/` with a `dirHash` digest and not walked further."""
    return (
        f"`--dirhash-glob {g}` makes the material and product attestors record the `{g}` directory (the glob is "
        f"matched against each directory's path relative to the working directory) as one entry `{g}/` with a "
        "single `dirHash` digest instead of one entry per file."
    )


def dirhash(rng: random.Random, pr: Project, p: RunPlan) -> str:
    g = pick(rng, DIRHASH_DIRS[pr.work.language])
    p.flags.append(("dirhash-glob", [g]))
    p.asks.append(
        say(
            rng,
            (
                "`{g}` has thousands of files; record it as a single directory digest instead of file by file.",
                "Collapse `{g}` into one hash in the materials and products.",
                "I don't want every file under `{g}` listed separately, one digest for the whole directory is "
                "enough.",
                "Hash the `{g}` directory as a whole rather than per file.",
            ),
            g=g,
        )
    )
    p.must.append(dirhash_why(g))  # a flag few people know: the answer always says what it does
    return g
