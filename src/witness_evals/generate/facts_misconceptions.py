"""Facts people get wrong about witness (REFERENCE §1.2, §3-§5, §8), stated for one release.

Each fact answers a question users actually ask (is `-a` additive? where did the exported file go?
why does `policy check` reject my module?) with the reason, and says which releases a
version-dependent statement holds for (profiles in `witness.versions`; 0.12 is the default).
"""

from __future__ import annotations

from typing import Any

from witness_evals.generate.facts_attestors import K8S_NO_CLUSTER, PRODUCT_READERS, Fact
from witness_evals.witness import cli as cli_spec
from witness_evals.witness import versions
from witness_evals.witness.attestors import ATTESTORS
from witness_evals.witness.attestors.sbom import CYCLONEDX_TYPE, SPDX_TYPE
from witness_evals.witness.versions import (
    DOTWITNESS_ERROR,
    EMPTY_ATTESTATIONS_ERROR,
    NO_ARTIFACT_OVERLAP_ERROR,
    WitnessVersion,
)


def _terms(require: list[list[str]], forbid: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "terms", "require": require, "forbid": forbid or []}
    out.update(extra)
    return out


def _valid(gr: cli_spec.Grammar, *cmds: str) -> tuple[str, ...]:
    for c in cmds:
        assert gr.parse(c).valid, c
    return cmds


def _selection(gr: cli_spec.Grammar) -> list[Fact]:
    run = "witness run -s build -k key.pem -a environment,git,lockfiles -o build.json -- make"
    return [
        Fact(
            "misc/always-run",
            "misconception",
            (
                "Whatever I pass with `-a`, which attestors end up in every `witness run` collection?",
                "Are any attestors recorded no matter what `-a` says?",
                "If I run `witness run -a slsa ...`, what gets recorded besides slsa?",
                "Which attestors can't be switched off in `witness run`?",
                "What is always in a witness attestation collection?",
                "Do I have to list product and material in `-a` for them to be recorded?",
                "I ran `witness run -s test -k key.pem -a lockfiles -o test.json -- go test ./...`. Which attestors "
                "end up in `test.json`?",
                "Is it true that environment and git are always recorded by `witness run`?",
                "Reviewing a colleague's pipeline: the step passes only `-a sbom`. Will its collection still have "
                "the product and material attestations?",
                "Mandatory attestors in a witness collection?",
                "Auditor question: can a `witness run` collection ever lack the product and material attestations, "
                "whatever `-a` lists?",
                "So if I run `witness run -s package -k key.pem -a git -o package.json -- npm pack`, is command-run "
                "recorded even though I didn't list it?",
            ),
            "`product` and `material` are always recorded, and `command-run` is added whenever a command follows "
            "`--`. `environment` and `git` are only the default of `-a`, so an explicit `-a` list replaces them.",
            _terms(
                [["product"], ["material"], ["command-run"]],
                ["environment and git are always", "git and environment are always"],
            ),
            why=(
                "`witness attestors list` marks `product`, `material` and `command-run` with `(always run)` and "
                "`environment` and `git` with `(default)`.",
            ),
            commands=_valid(gr, "witness attestors list"),
        ),
        Fact(
            "misc/a-replaces-defaults",
            "misconception",
            (
                "Is `-a` additive, or does it replace the default attestors of `witness run`?",
                "I passed `-a sbom` and now my collection has no git attestation. Why?",
                "Does `witness run -a slsa` still record environment and git?",
                "How do I add one attestor without losing the defaults?",
                "Why did the environment attestation vanish when I added `-a lockfiles`?",
                "When I use `-a`, do the default attestors still run?",
                "`-a`: merged with the defaults or overriding them?",
                "I ran `witness run -s build -k key.pem -a slsa -o build.json -- go build ./...` and the collection "
                "has no environment attestation. What happened?",
                "A teammate's CI step uses `-a sbom,lockfiles`. Does it still capture git information, or should git "
                "be listed too?",
                "Is it true that `-a` adds to `environment,git` rather than replacing them?",
                "What is the default of `-a` on `witness run`, and what happens to that default when I set the flag?",
                "So if I want lockfiles on top of the defaults, what exactly do I pass to `-a`?",
            ),
            "`-a/--attestations` replaces its default (`environment,git`) instead of adding to it. List the "
            "defaults next to what you add, e.g. `-a environment,git,lockfiles`; `product` and `material` are "
            "recorded either way.",
            _terms(
                [["replace", "replaces", "replaced", "not additive", "instead of"], ["environment"], ["git"]]
            ),
            why=(
                "The flag's help text says it: `Attestations to record ('product' and 'material' are always "
                "recorded)`, default `[environment,git]`.",
            ),
            commands=_valid(gr, run, "witness run --help"),
        ),
        Fact(
            "misc/command-run-builtin",
            "misconception",
            (
                "Witness warns `'command-run' is a builtin attestor and cannot be called with --attestations flag`. "
                "Is my command still attested?",
                "Do I need `-a command-run` to record the command of a step?",
                "What happens if I put command-run into the `-a` list?",
                "How do I enable the command-run attestor?",
                "My `-a` list has command-run and witness prints a warning about it. Should I remove it?",
                "Which flag turns on command-run in `witness run`?",
                "Our pipeline runs `witness run -s build -k key.pem -a environment,git,command-run -o build.json -- "
                "make` and logs a warning about command-run. Is the make command recorded?",
                "command-run: do I select it, or is it automatic?",
                "Reviewing a colleague's CI config: the `-a` list includes `command-run`. Is that entry needed?",
                "Why does witness say `'command-run' is a builtin attestor and cannot be called with --attestations "
                "flag`?",
                "Is it true that leaving command-run out of `-a` means the wrapped command isn't attested?",
                "So with `witness run -s test -k key.pem -a environment,git -o test.json -- npm test`, is the `npm "
                "test` invocation recorded?",
            ),
            "`command-run` is added automatically whenever a command follows `--` (`witness run ... -- make`); "
            "you never select it. A `command-run` entry in `-a` is ignored with that warning, so drop it from "
            "the list.",
            _terms([["automatically", "builtin", "built-in"]], ["-a command-run enables"]),
            commands=_valid(
                gr, "witness run -s test -k key.pem -a environment,git -o test.json -- go test ./..."
            ),
        ),
    ]


_EXPORT_FIX = {
    "sbom": "Either drop the export flag or remove the type from the step's `attestations`.",
    **{
        x: f"Remove the type from the step's `attestations`; keep the export: an unexported {x} predicate with "
        "content makes the whole collection unreadable for `witness verify` (go-witness reads its protobuf "
        "structs back with encoding/json, which fails), so the step could not pass either way."
        for x in ("link", "slsa")
    },
}
"""How to fix a step that requires an exported type (docs/reference-corrections.md: link and slsa cannot be
read back from inside a collection)."""


def _exports(gr: cli_spec.Grammar) -> list[Fact]:
    out: list[Fact] = []
    for name in ("link", "slsa", "sbom"):
        spec = ATTESTORS[name]
        types = f"`{SPDX_TYPE}` or `{CYCLONEDX_TYPE}`" if name == "sbom" else f"`{spec.type}`"
        tail = PRODUCT_READERS[name][1] if name in PRODUCT_READERS else "make"  # sbom reads an SBOM product
        cmd = f"witness run -s build -k key.pem -a environment,git,{name} --attestor-{name}-export -o build.json -- {tail}"
        _valid(gr, cmd)
        out += [
            Fact(
                f"misc/export-file/{name}",
                "misconception",
                (
                    f"With `-o build.json --attestor-{name}-export`, where does the exported {name} attestation go?",
                    f"I exported {name} with `--attestor-{name}-export -o build.json`. What's the file name?",
                    f"Where does witness write an exported {name} statement when the outfile is `build.json`?",
                    f"Our upload step looks for the {name} file after `--attestor-{name}-export` and finds nothing. "
                    "What name does witness use (outfile `build.json`)?",
                    f"Which file holds the {name} predicate after `witness run ... --attestor-{name}-export -o "
                    "build.json`?",
                    f"`--attestor-{name}-export` with `-o build.json`: output file name?",
                    f"`witness run -s build -k key.pem -a environment,git,{name} --attestor-{name}-export -o "
                    f"build.json -- {tail}` finished. Which file has the {name} statement?",
                    f"Is the exported {name} file called `build-{name}.json` when the outfile is `build.json`?",
                    f"Our release job uploads `build.json` plus the exported {name} attestation. Which path should it "
                    "pick up for the second one?",
                    f"Does an exported {name} attestation stay inside `build.json` too, or is it only in a separate "
                    "file?",
                    f"Naming rule for the file `--attestor-{name}-export` writes, with `-o build.json`?",
                    f"So if the outfile is `build.json` and I export {name}, do I end up with one file or two, and "
                    "what are they called?",
                ),
                f"`build.json-{name}.json`: an exported attestation is written next to the outfile as "
                f"`<outfile>-{name}.json` (the full outfile name plus `-{name}.json`), as its own signed statement, "
                "and it is no longer inside the collection in `build.json`.",
                _terms([[f"build.json-{name}.json"]], [f"written to build-{name}.json"]),
                commands=(cmd,),
            ),
            Fact(
                f"misc/export-not-in-collection/{name}",
                "misconception",
                (
                    f"Our `witness run` uses `--attestor-{name}-export`, and the policy step that requires {name} fails. "
                    "Why?",
                    f"My step lists the {name} type and verify rejects it; the step's `witness run` exports {name}. "
                    "What's wrong?",
                    f"Does an exported {name} attestation still count for the step's `attestations` in the policy?",
                    f"Verify can't find the {name} attestation in our collection, but `--attestor-{name}-export` "
                    "wrote it. How do I fix the policy?",
                    f"Is the {name} predicate in the collection when I use `--attestor-{name}-export`?",
                    f"Why would `--attestor-{name}-export` break verification of a step that requires {name}?",
                    f"Our `package` step's `attestations` lists the {name} type, and its `witness run` uses "
                    f"`--attestor-{name}-export`. Why does verify reject the step?",
                    f"Is it true that `--attestor-{name}-export` only adds an extra file and leaves the collection "
                    "unchanged?",
                    f"Reviewing a policy: the `build` step requires the {name} type, and the pipeline runs `witness "
                    f"run` with `--attestor-{name}-export`. Will that step ever pass?",
                    f"Where does the {name} predicate end up when it is exported, and can the policy still find it in "
                    "the collection?",
                    f"So if we keep exporting {name}, what do I change in the policy step that lists its type?",
                    f"Exported {name}, the step requires its type, verify fails. Fix?",
                ),
                f"Exporting takes {name} out of the collection: it is signed as its own statement in "
                f"`<outfile>-{name}.json`, so the collection has no {types} entry and a step that lists that type "
                f"cannot pass. {_EXPORT_FIX[name]}",
                _terms([["export", "exported", "exporting"], ["collection"]]),
                commands=(cmd,),
            ),
            Fact(
                f"misc/export-needs-selection/{name}",
                "misconception",
                (
                    f"`--attestor-{name}-export` does nothing for me: no extra file, no error. What am I missing?",
                    f"Is `--attestor-{name}-export` enough to get a separate {name} attestation?",
                    f"Why is there no `-{name}.json` file after I passed `--attestor-{name}-export`?",
                    f"How do I export {name} as a separate statement with witness run?",
                    f"Does `--attestor-{name}-export` enable the {name} attestor?",
                    f"What else do I need besides `--attestor-{name}-export`?",
                    f"I ran `witness run -s build -k key.pem --attestor-{name}-export -o build.json -- {tail}` and "
                    "only `build.json` came out. Why?",
                    f"Is it true that passing `--attestor-{name}-export` implies `-a {name}`?",
                    f"A colleague's CI step has `--attestor-{name}-export` but `-a environment,git`. Will a separate "
                    f"{name} attestation be written?",
                    f"Which flags does `witness run` need to write the {name} attestation as its own file?",
                    f"So if I add `{name}` to `-a` for the export, do I also have to keep `environment,git` in the "
                    "list?",
                    f"`--attestor-{name}-export` silently ignored, no error. Expected?",
                ),
                f"`--attestor-{name}-export` only configures the {name} attestor; it has no effect unless `{name}` is "
                "selected with `-a` (and `-a` replaces the defaults, so list those too):\n\n"
                f"```bash\n{cmd}\n```",
                _terms([["-a", "--attestations"]], valid_command="run"),
            ),
        ]
    return out


def _types(gr: cli_spec.Grammar) -> list[Fact]:
    sbom = ATTESTORS["sbom"]
    return [
        Fact(
            "misc/sbom-type",
            "misconception",
            (
                f"My policy requires `{sbom.type}` and verify can't find the SBOM step's collection. What type "
                "should the step list?",
                "Which attestation type do I put in the policy for an SPDX SBOM recorded with `-a sbom`?",
                "`witness attestors list` says sbom is `.../sbom/v0.1`. Is that the type inside the collection?",
                "What's the type of the sbom attestation in a collection when syft wrote CycloneDX JSON?",
                "Policy step for our SBOM: which type string matches what `-a sbom` records?",
                "Why doesn't `https://witness.dev/attestations/sbom/v0.1` match our SBOM attestation?",
                "Our step runs `witness run -s sbom -k key.pem -a environment,git,sbom -o sbom.json -- syft dir:. -o "
                "spdx-json=sbom.spdx.json`. Which type goes into the policy step?",
                "Policy type for a CycloneDX SBOM attestation?",
                "Reviewing a colleague's policy: the SBOM step requires "
                "`https://witness.dev/attestations/sbom/v0.1`. Is that right?",
                "Does the type of the sbom attestation depend on whether syft wrote SPDX or CycloneDX?",
                "We switched syft from `spdx-json` to `cyclonedx-json` output. Does the type in the policy's SBOM "
                "step have to change?",
                "Can the policy match the sbom attestation by a prefix of its type, or must it list the full SPDX or "
                "CycloneDX type?",
            ),
            f"List the SBOM format's type: `{SPDX_TYPE}` for SPDX JSON or `{CYCLONEDX_TYPE}` for CycloneDX JSON. "
            f"The sbom attestor is registered as `{sbom.type}`, but once it runs the attestation carries the type "
            "of the SBOM it found, and policy types are compared as exact strings.",
            _terms([[SPDX_TYPE], [CYCLONEDX_TYPE]], case=True),
            why=(
                "A collection that lacks a required type is not even found, which is why verify reports no "
                "collections for the step.",
            ),
            commands=_valid(gr, "witness attestors schema sbom"),
        ),
        Fact(
            "misc/type-exact",
            "misconception",
            (
                "Does witness match attestation types in a policy loosely, e.g. ignoring the version suffix?",
                "Can I write `https://slsa.dev/provenance/v1` in the policy for the slsa attestor?",
                "Is `https://witness.dev/attestations/k8smanifest/v0.1` close enough for the k8smanifest attestor?",
                "Are policy attestation types compared exactly?",
                "Which type strings have unusual versions among the witness attestors?",
                "Why does my step requiring `https://witness.dev/attestations/vex/v0.1` never match?",
                "Does a policy step's attestation type have to match the recorded type character for character?",
                "I'm writing a policy by hand and assume every type follows the `witness.dev/attestations/.../v0.1` "
                "pattern. Which attestors break that assumption?",
                "Is it true that witness treats `v1` and `v1.0` as the same type in a policy?",
                "An auditor asks: can a near-miss type string in a policy step still match an attestation?",
                "Exact type string for vex in a policy step?",
                "Are the link and policyverify types also under `https://witness.dev/attestations/`?",
            ),
            "Types are compared as exact strings, and a few don't follow the `witness.dev/attestations/<name>/v0.1` "
            f"pattern: k8smanifest is `{ATTESTORS['k8smanifest'].type}`, slsa is `{ATTESTORS['slsa'].type}` (with "
            f"`.0`), vex is `{ATTESTORS['vex'].type}` (no version), link is `{ATTESTORS['link'].type}` and "
            f"policyverify is `{ATTESTORS['policyverify'].type}`.",
            _terms(
                [[ATTESTORS["k8smanifest"].type], [ATTESTORS["slsa"].type], [ATTESTORS["vex"].type]],
                ["https://slsa.dev/provenance/v1 works", "v0.1 is close enough"],
                case=True,
            ),
            commands=_valid(gr, "witness attestors list"),
        ),
    ]


def _products(gr: cli_spec.Grammar) -> list[Fact]:
    """Product globs filter subjects only; k8smanifest records the cluster by default (the jwt selection fact is in
    `families.facts`)."""
    glob_cmd = (
        "witness run -s build -k key.pem -o build.json --attestor-product-exclude-glob 'coverage/*' -- make"
    )
    k8s = PRODUCT_READERS["k8smanifest"][1]
    k8s_cmd = f"witness run -s manifests -k key.pem -a environment,git,k8smanifest {K8S_NO_CLUSTER} -o manifests.json -- {k8s}"
    return [
        Fact(
            "misc/product-glob-subjects",
            "misconception",
            (
                "Does `--attestor-product-exclude-glob` keep files out of the product attestation?",
                "I passed `--attestor-product-exclude-glob '*.log'` but the log files are still in the product "
                "predicate. Bug?",
                "How do I stop witness from recording `coverage/*` as products?",
                "What exactly do `--attestor-product-include-glob` and `--attestor-product-exclude-glob` filter?",
                "Will `--attestor-product-include-glob 'dist/*'` limit the products witness records to `dist/`?",
                "Our policy's `artifactsFrom` still sees the excluded files. Shouldn't the exclude glob drop them?",
                "`witness run -s build -k key.pem -o build.json --attestor-product-exclude-glob 'dist/*.map' -- npm "
                "run build` still lists the source maps in the product attestation. Is the flag broken?",
                "What does the product exclude glob actually change in the signed statement?",
                "Is there a witness flag that drops files matching a pattern from the product attestation?",
                "Reviewing a teammate's step: they rely on `--attestor-product-include-glob 'bin/*'` so that "
                "`artifactsFrom` only compares the binaries. Does that work?",
                "So how do I actually keep scratch files in `tmp/` out of the products?",
                "Does `--attestor-product-include-glob` decide which subjects `witness verify` can find the "
                "attestation by?",
            ),
            "The include/exclude globs only decide which products become **subjects** of the statement (what "
            "`witness verify` can find the attestation by). The product attestation itself still lists every file "
            "the command created or changed, and `artifactsFrom` still compares them. So they don't keep files out "
            "of the products, and no flag filters products by pattern (`-r/--trace` narrows them to the files the "
            "traced processes opened; `--dirhash-glob` folds a matching directory into one entry): to keep them "
            "out, the command must not write them inside the working directory (or point `-d/--workingdir` at a "
            "directory without them).",
            _terms(
                [["subject", "subjects"], ["still"]],
                ["keeps matching files out of the products", "removes them from the products"],
                not_start=["yes"],
            ),
            why=("go-witness applies the globs in the product attestor's `Subjects()`, not when recording.",),
            commands=_valid(gr, glob_cmd),
        ),
        Fact(
            "misc/k8smanifest-cluster",
            "misconception",
            (
                "`witness run -a k8smanifest` fails on our CI runner, which has no cluster access. Why?",
                "Does the k8smanifest attestor need a Kubernetes cluster?",
                "Why does k8smanifest complain about `kubernetes context not set`?",
                "Can I record our rendered manifests with k8smanifest without a kubeconfig?",
                "Our manifests are committed to the repo. Will `-a k8smanifest` record them?",
                "What do I need to get k8smanifest working in a plain build container?",
                "`witness run -s manifests -k key.pem -a environment,git,k8smanifest -o manifests.json -- kustomize "
                "build deploy/overlays/prod -o manifests.yaml` fails with `kubernetes context not set` in CI. How do "
                "I fix it?",
                "What's the default of `--attestor-k8smanifest-record-cluster-information`?",
                "Our kubeconfig's current context is named differently from its cluster, and witness fails with "
                "`unable to find context ...`. Why does the name matter?",
                "Does k8smanifest record manifests that are already in the checkout and that the step doesn't "
                "modify?",
                "Which files does k8smanifest parse: all YAML in the repo, or only what the wrapped command writes?",
                "So if the step renders `rendered.yaml` with `helm template` and I turn off cluster recording, will "
                "k8smanifest work on a runner without any kubeconfig?",
            ),
            "k8smanifest only parses the `.yaml`/`.yml`/`.json` files the wrapped command writes or changes (its "
            "products); committed manifests the command doesn't touch are not recorded, so render them in the step. "
            "`--attestor-k8smanifest-record-cluster-information` defaults to `true`, and then the attestor reads the "
            "current context of the kubeconfig (`$HOME/.kube/config`) and looks that context's name up among its "
            "clusters: without a kubeconfig, without a current context, or where the context is not named like a "
            "cluster, the whole run fails (`kubernetes context not set`, `unable to find context ...`). Without "
            f"cluster access pass `{K8S_NO_CLUSTER}`:\n\n```bash\n{k8s_cmd}\n```",
            _terms(
                [[K8S_NO_CLUSTER], ["product", "products", "writes", "written"]],
                valid_command="run",
            ),
        ),
    ]


def _rego(gr: cli_spec.Grammar, v: WitnessVersion) -> list[Fact]:
    module = (
        "```rego\npackage commandrun.exitcode\n\nimport rego.v1\n\ndeny contains msg if {\n\tinput.exitcode != 0\n"
        '\tmsg := "exitcode not 0"\n}\n```'
    )
    every = (
        f"In {v.label} the module runs against every attestation of that type in the collection."
        if v.rego_on_every_attestation
        else f"In {v.label} only the last attestation of that type in a collection is evaluated; "
        f"{versions.since('rego_on_every_attestation')} every one is."
    )
    return [
        Fact(
            "misc/rego-two-parsers",
            "misconception",
            (
                "Why does `witness policy check` reject my `deny[msg] { ... }` module when `witness verify` runs it "
                "fine?",
                "Which Rego syntax should I use so both `witness verify` and `witness policy check` accept it?",
                "`deny contains msg if` fails to parse in `witness verify`. Isn't witness on OPA v1?",
                "Rego v0 or v1 for witness policies?",
                "Does witness use the same Rego parser for `verify` and `policy check`?",
                "How do I write a Rego module that passes both witness commands?",
                "`witness policy check policy.json` fails on our Rego module, but `witness verify` with the same "
                "policy runs it. Why the difference?",
                "Does `witness verify` need `import rego.v1` for `deny contains msg if`?",
                "Which OPA parser does `witness policy check` use?",
                "Reviewing a colleague's policy: the module uses `deny[msg] { ... }` without any import. Will both "
                "witness commands accept it?",
                "Is it true that any module written for the OPA v1 parser works unchanged in `witness verify`?",
                "Show me a minimal witness Rego deny rule that parses in both `witness verify` and `witness policy "
                "check`.",
            ),
            "The two commands parse differently: `witness verify` uses OPA's v0-compatible parser (classic "
            "`deny[msg] { ... }` works, `contains`/`if` need an import), `witness policy check` the v1 parser "
            "(which rejects `deny[msg] { ... }`). The form both accept is `import rego.v1` with "
            f"`deny contains msg if`:\n\n{module}",
            _terms([["import rego.v1"], ["v0", "classic"]]),
            why=(v.policy_check_note + "." if v.policy_check_note else "",),
        ),
        Fact(
            "misc/deny-is-a-set",
            "misconception",
            (
                "Can `deny` in a witness Rego policy be a plain string?",
                "verify says `invalid data from rego ... expected []interface{} but got string`. Why?",
                "What type must `deny` have in a witness Rego module?",
                "Is `deny := true` enough to fail a witness policy step?",
                "The docs say deny can be a string. Is that right for witness?",
                "What does witness expect `data.<package>.deny` to be?",
                'My module has `deny := "build failed"` and verify errors with `expected []interface{} but got '
                "string`. What should deny be?",
                "Should `deny` be a boolean rule in a witness Rego policy?",
                "Is `deny` a partial set rule or a complete rule in witness policies?",
                "Reviewing a policy where `deny` is an object with a `reason` field. Will witness accept that?",
                "How do I report several violations from one witness Rego module?",
                "Which Rego path does witness query for the deny result?",
            ),
            "`deny` must be a set (or array) of strings, one per violation: witness queries `data.<package>.deny` "
            "and rejects a string, boolean or object with `invalid data from rego at data.<package>.deny, "
            "expected []interface{} but got <type>`. Write partial set rules (`deny[msg] { ... }`, or "
            "`deny contains msg if { ... }` with `import rego.v1`).",
            _terms([["set", "array"]], ["deny can be a string"], not_start=["yes"]),
        ),
        Fact(
            "misc/rego-every-attestation",
            "misconception",
            (
                "If a collection has two attestations of the same type, which one does my Rego module see?",
                "Does witness run the Rego policy on every attestation of a type or just one?",
                "Our collection ends up with two sbom attestations. Are both checked by the policy's Rego?",
                "How does witness pick the attestation a Rego module is evaluated on?",
                "Is the Rego policy evaluated per attestation or per collection?",
                "With duplicate attestation types in one collection, which gets the Rego check?",
                "Can my Rego module look at two different attestation types of the same collection at once?",
                "What is `input` in a witness Rego policy: the collection or a single predicate?",
                "We attach a Rego module to the material attestation of the `build` step. Does it see the "
                "collection's other attestations?",
                "An auditor asks whether every attestation of a type in a collection gets the step's Rego check, or "
                "only one. Which is it?",
                "Is it true that a Rego `deny` can miss an attestation when the collection holds several of the same "
                "type?",
                "So if I write `input.exitcode` in a command-run module, am I reading the command-run predicate or "
                "the whole collection?",
            ),
            every + " Rego's `input` is always one attestation's predicate, never the whole collection.",
            _terms([["every", "last"]], ["whole collection is the input"]),
        ),
        Fact(
            "misc/exitcode-rule",
            "misconception",
            (
                "Does a Rego rule like `input.exitcode != 0` ever fire for attestations made with the witness CLI?",
                "Should our policy check command-run's exit code?",
                "If the build command fails, does witness still write an attestation with the non-zero exit code?",
                "Can a CLI-produced command-run attestation have a non-zero `exitcode`?",
                "Is an exit-code check in the policy useful with `witness run`?",
                "What does witness do when the wrapped command exits 1?",
                "`witness run -s test -k key.pem -o test.json -- npm test` failed because a test failed. Is there a "
                "`test.json` with the failure recorded?",
                "Reviewing a colleague's policy: a Rego module denies `input.exitcode != 0` on command-run. What "
                "does that rule protect against?",
                "Is it guaranteed that a command-run attestation produced by `witness run` has exit code 0?",
                "When would an attestation with a non-zero `exitcode` ever show up?",
                "So if `cargo build` fails under witness, does the step simply have no attestation?",
                "Does witness sign and save the collection even when the wrapped command fails?",
            ),
            "A CLI attestation never has a non-zero exit code: when the command fails, the command-run attestor "
            "returns an error, `witness run` fails and nothing is written. An `exitcode` rule is only a safety net "
            "for attestations made through the go-witness library with errors ignored.",
            _terms([["fails", "nothing is written", "no attestation", "never"]], not_start=["yes"]),
        ),
        Fact(
            "misc/material-bare-map",
            "misconception",
            (
                "The material schema has a `Materials` property. Is that what my Rego sees?",
                "Why does `input.Materials[path]` never match anything in my witness policy?",
                "How do I iterate over the materials of a step in Rego?",
                "Is the material predicate wrapped in an object in Rego?",
                "`witness attestors schema material` shows `Materials`; what's the Rego path for a file?",
                "What does the material attestation look like on the wire?",
                "Is `input.Materials` defined when my Rego module checks the material attestation?",
                "Where does the `Materials` property in `witness attestors schema material` come from if the "
                "predicate doesn't have it?",
                "Material predicate JSON: an object keyed by path, or a wrapper object?",
                "Reviewing a Rego rule that loops `some m in input.Materials`. Will it ever iterate anything?",
                "Which Rego expression reads the digests of `go.sum` from the material attestation?",
                "So to walk every material file and its digests in Rego, what do I write?",
            ),
            'The material predicate is a bare map `{"<path>": {"sha256": "..."}}`; the `Materials` wrapper '
            'exists only in the generated JSON schema. In Rego read `input["go.sum"]` or iterate with '
            "`some path, digests in input` (`input.Materials` is undefined).",
            _terms([["bare map", 'input["', "input[path]", "some path"]], ["input.Materials[path] works"]),
            commands=_valid(gr, "witness attestors schema material"),
        ),
    ]


def _verify(gr: cli_spec.Grammar) -> list[Fact]:
    return [
        Fact(
            "misc/subject-by-digest",
            "misconception",
            (
                "We rename the binary after the build. Will `witness verify -f` still find its attestation?",
                "Does witness match the artifact by file name or by digest?",
                "The product subject is `file:app` but we ship `app-linux-amd64`. Does verify still work?",
                "Do I have to keep the artifact's name the same between `witness run` and `witness verify`?",
                "How does `witness verify -f` locate the attestations for an artifact?",
                "Will copying the artifact to another path break witness verification?",
                "We run `witness verify -p policy.signed.json -k policy-pub.pem -f release/app-linux-amd64 -a "
                "build.json`, but the build step produced `dist/app`. Is the path mismatch a problem?",
                "Does the subject name `file:dist/app` play any role when verify looks up attestations?",
                "Is it true that verify fails if the artifact was renamed after `witness run`?",
                "An auditor asks: what binds the artifact we verify to its attestation, its name or its content?",
                "So if we `strip` the binary after `witness run`, does verify still match it?",
                "Digest or file name: what does `witness verify -f` match on?",
            ),
            "It matches by digest: `witness verify -f` hashes the file and looks for statements whose subject "
            "digest *values* equal it; subject names like `file:app` are never compared. Renaming or moving the "
            "file is fine as long as the bytes are unchanged.",
            _terms(
                [["digest"]],
                ["must keep the same name", "matches by name", "matches by file name", "matched by name"],
            ),
        ),
        Fact(
            "misc/search-depth",
            "misconception",
            (
                "How many rounds of backref search does `witness verify` do?",
                "Is there a flag to make `witness verify` follow more back-references?",
                "How deep does witness verify look for collections of other steps?",
                "Can I raise the search depth of `witness verify`?",
                "What's the default search depth when verifying a multi-step policy?",
                "Does `witness verify` have a `--search-depth` option?",
                "Our policy has five chained steps. Is there a limit on how far `witness verify` follows "
                "back-references?",
                "What does each search round of `witness verify` add to the digests it looks up?",
                "Which back-references does verify follow from one search round to the next?",
                "`witness verify` back-reference rounds: fixed or tunable?",
                "Reviewing a verify job: a colleague assumes witness keeps searching until every step is found. Is "
                "that right?",
                "So is three rounds the most `witness verify` searches from the command line?",
            ),
            "Three: the CLI passes no search depth, so the library default of 3 applies, and no flag changes it. "
            "Each round adds the back-reference digests (git `commithash`, CI `pipelineurl`) of steps that passed.",
            _terms([["3", "three"]], ["--search-depth sets"]),
            commands=_valid(gr, "witness verify --help"),
        ),
        Fact(
            "misc/policy-timestamp-servers",
            "misconception",
            (
                "What does `witness verify --policy-timestamp-servers` expect: a URL or a file?",
                "Can I give `--policy-timestamp-servers` the TSA URL I used when signing?",
                "The policy was timestamped with FreeTSA. What do I pass to verify for that?",
                "Is `--policy-timestamp-servers` on verify the same as `--timestamp-servers` on sign?",
                "Why can't verify load `--policy-timestamp-servers https://freetsa.org/tsr`?",
                "Which value goes into `--policy-timestamp-servers`?",
                "`witness verify -p policy.signed.json -k policy-pub.pem -f dist/app -a build.json "
                "--policy-timestamp-servers https://freetsa.org/tsr` doesn't work. What should that flag point to?",
                "We timestamp with `witness sign -f policy.json -k key.pem -o policy.signed.json --timestamp-servers "
                "https://freetsa.org/tsr`. What do we give verify for that timestamp?",
                "Is `--policy-timestamp-servers` a list of URLs?",
                "What does verify do with the files given to `--policy-timestamp-servers`?",
                "Reviewing a verify step that passes `--policy-timestamp-servers tsa-ca.pem`. Is a certificate file "
                "right there?",
                "Where do TSA URLs go in witness, and where do TSA CA certificates go?",
            ),
            "Paths to the TSA's CA certificate files, not URLs: verify uses them to check the timestamp in the "
            "policy signature. The URL form belongs to `--timestamp-servers` on `witness run`/`witness sign`, "
            "where witness contacts the TSA.",
            _terms(
                [["certificate", "CA"]],
                ["--policy-timestamp-servers takes a URL", "takes the TSA URL", "both take"],
                not_start=["yes"],
            ),
            commands=_valid(gr, "witness verify --help"),
        ),
        Fact(
            "misc/certconstraint-omitted",
            "misconception",
            (
                "In a functionary's `certConstraint`, does leaving out `emails` mean any email is allowed?",
                "Our certConstraint doesn't restrict emails, yet the step signed with an e-mail certificate gets "
                "`no verifiers matched with allowed functionaries`. Why?",
                "How do I allow any value for a certConstraint field?",
                "Are omitted certConstraint fields wildcards in witness policies?",
                "What does an empty `dnsnames` list in a certConstraint mean?",
                "Can I use a partial wildcard like `*@example.com` in certConstraint emails?",
                "Is it true that leaving `uris` out of a certConstraint lets any URI SAN through?",
                "How do I write a certConstraint that accepts any common name?",
                'Reviewing a policy where the certConstraint has `"emails": []`. Which certificates can that functionary '
                "sign with?",
                "What value in `emails` lets any email address through?",
                "An auditor asks: does an empty certConstraint field loosen or tighten the check?",
                "So if the Fulcio certificate's email is `release-bot@example.com`, what can I put in `emails`?",
            ),
            "An omitted or empty constraint field means the certificate must have *none* of that attribute; only "
            '`["*"]` (or `"*"` for `commonname`) allows anything, and wildcards work only as the sole element, '
            'so `*@example.com` is not a pattern. For a Fulcio certificate with an email SAN, set `"emails": '
            '["*"]` or the exact address.',
            _terms([['["*"]', '"*"', "`*`"]], ["omitted fields are wildcards"]),
        ),
        Fact(
            "misc/no-vsa-output",
            "misconception",
            (
                "Does `witness verify` write the verification summary attestation to a file?",
                "Where does witness put the policyverify (VSA) attestation after verifying?",
                "Can I get a signed VSA out of the witness CLI?",
                "Is the `https://slsa.dev/verification_summary/v1` attestation saved anywhere by `witness verify`?",
                "How do I publish the result of `witness verify` as an attestation?",
                "Does verify have an output file for the summary?",
                "How does our CI tell whether `witness verify` passed, if no VSA file is written?",
                "An auditor wants the signed verification summary of each release. Can `witness verify` provide it?",
                "What exit code does `witness verify` return when the summary says `PASSED`?",
                "Does `witness verify` sign the policyverify attestation it builds?",
                "So after `witness verify -p policy.signed.json -k policy-pub.pem -f dist/app -a build.json`, is "
                "there a VSA file on disk?",
                "policyverify attestation from the CLI: internal only?",
            ),
            "The CLI produces the policyverify attestation (`https://slsa.dev/verification_summary/v1`) only "
            "internally: `witness verify` neither signs nor writes it out; the result is the exit code (0 only "
            "when the summary says `PASSED`) and the log.",
            _terms([["not", "neither", "doesn't", "does not"]], not_start=["yes"]),
            commands=_valid(gr, "witness verify --help"),
        ),
    ]


def _versioned(gr: cli_spec.Grammar, v: WitnessVersion) -> list[Fact]:
    out: list[Fact] = []
    zero = (
        f"No, not in {v.label}: a policy without steps never passes (it would prove nothing). Witness v0.11 and "
        "older passed it vacuously."
        if v.zero_step_fails
        else f"In {v.label} it passes vacuously; {versions.since('zero_step_fails')} a policy with no steps fails, "
        "so give it at least one real step."
    )
    out.append(
        Fact(
            "misc/zero-steps",
            "misconception",
            (
                'Does a witness policy with `"steps": {}` pass verification?',
                "Will a placeholder policy without steps verify successfully?",
                "Can I ship a policy that has an expiry date but no steps yet?",
                "Is an empty steps map accepted by `witness verify`?",
                "What does witness verify do with a policy that defines zero steps?",
                "Our bootstrap policy has no steps. Does verification pass?",
                'We signed `policy.json` with `"steps": {}` as a placeholder. Will `witness verify -p '
                "policy.signed.json -k policy-pub.pem -f dist/app -a build.json` succeed?",
                "Is it true that a policy with no steps passes vacuously?",
                "An auditor asks: can a policy that checks no step at all still make verify pass?",
                "Does a witness policy need a minimum number of steps?",
                "So should our bootstrap policy include at least one real step?",
                "Zero-step witness policy: pass or fail?",
            ),
            zero,
            _terms(
                [
                    ["fails", "never passes"] if v.zero_step_fails else ["vacuous", "vacuously", "passes"],
                    ["v0.12", "0.12"],
                ],
                not_start=["yes"] if v.zero_step_fails else ["no"],
            ),
        )
    )
    err = EMPTY_ATTESTATIONS_ERROR.format(step="release")
    empty = (
        f"Not in {v.label}: a step whose `attestations` list is empty fails with `{err}`. Require at least one "
        "type the collection really has, e.g. the material or command-run type. Witness v0.11 and older let it "
        "pass."
        if v.empty_attestations_fails
        else f"In {v.label} it passes (the list only names types that must be present); "
        f"{versions.since('empty_attestations_fails')} an empty list fails with `{err}`."
    )
    out.append(
        Fact(
            "misc/empty-attestations",
            "misconception",
            (
                'Our `release` step has `"attestations": []` because only the signer matters. Does that pass?',
                'Is `"attestations": []` allowed for the `release` step of a witness policy?',
                "Can the `release` step of my policy require no attestation types at all?",
                "Will verify accept a `release` step with an empty attestations list?",
                'What happens at verify time with `"attestations": []` in the `release` step?',
                "Do I need to list any attestation type for our `release` step?",
                'Reviewing a policy where the `release` step has only a functionary and `"attestations": []`. Is that '
                "OK?",
                "Is it true that the `release` step passes as long as the signer matches, even with no attestation "
                "types listed?",
                "How many attestation types does the `release` step's `attestations` list need?",
                "`release` step with an empty `attestations` array: pass or fail?",
                "What error does an empty `attestations` list on the `release` step produce?",
                "An auditor asks whether witness accepts a `release` step that requires no attestation type at all. "
                "Does it?",
            ),
            empty,
            _terms(
                [[err] if v.empty_attestations_fails else ["passes"], ["v0.12", "0.12"]],
                not_start=["yes"] if v.empty_attestations_fails else ["no"],
            ),
        )
    )
    overlap = (
        f"In {v.label} an `artifactsFrom` edge needs at least one shared path: some material of the step must "
        f"be a file the referenced step ended with (same digest), else `{NO_ARTIFACT_OVERLAP_ERROR}`. Witness "
        "v0.11 and older passed when nothing overlapped. If nothing flows between the steps, drop `artifactsFrom`."
        if v.artifacts_need_overlap
        else f"In {v.label} it passes when no path overlaps (only shared paths are compared); "
        f"{versions.since('artifacts_need_overlap')} at least one shared path is required "
        f"(`{NO_ARTIFACT_OVERLAP_ERROR}`)."
    )
    out.append(
        Fact(
            "misc/artifactsfrom-overlap",
            "misconception",
            (
                "Does `artifactsFrom` pass if the two steps share no files at all?",
                'Our test step has `artifactsFrom: ["build"]` but never uses the build output. Is that a problem?',
                "What does witness check for an `artifactsFrom` edge?",
                "When is an `artifactsFrom` link between steps satisfied?",
                "Must a step's materials overlap with the referenced step's products for `artifactsFrom`?",
                "Can `artifactsFrom` fail even though no digest mismatches?",
                'Our `package` step declares `artifactsFrom: ["test"]`, but none of its materials is a file that '
                "`test` produced. Does verify care?",
                "Do two steps linked with `artifactsFrom` need at least one file path in common?",
                'Reviewing a policy where `deploy` lists `artifactsFrom: ["build"]` although no file `build` '
                "produced is among the materials of `deploy`. Will verify accept that edge?",
                "What error does verify give when an `artifactsFrom` edge has no shared path?",
                "`artifactsFrom` with zero overlapping files: pass or fail?",
                "So if the `test` step's materials include `bin/app` exactly as `build` produced it, is that enough "
                'for `artifactsFrom: ["build"]`?',
            ),
            overlap,
            _terms([["overlap", "shared path", "in common"], ["v0.12", "0.12"]]),
        )
    )
    if v.dotwitness_error:
        cfg = (
            f"Not since witness v0.11 (including {v.label}): a `.witness.yaml` in the current directory without "
            f"`-c` makes every command fail with `{DOTWITNESS_ERROR}`. Pass the file explicitly, e.g. "
            "`witness -c .witness.yaml run ...`. Only witness v0.10.x read it by default."
        )
        cfg_req = [["-c", "--config"], ["v0.11", "v0.10", "0.11", "0.10"]]
    else:
        cfg = (
            f"Yes, in {v.label}: `-c/--config` defaults to `.witness.yaml` and witness reads it when it exists. "
            f"Since witness v0.11 there is no default and a `.witness.yaml` without `-c` fails with "
            f"`{DOTWITNESS_ERROR}`."
        )
        cfg_req = [[".witness.yaml"], ["v0.11", "0.11"]]
    out.append(
        Fact(
            "misc/dot-witness-yaml",
            "misconception",
            (
                "Does witness still pick up `.witness.yaml` from the current directory automatically?",
                "The tutorial says witness reads `.witness.yaml` by default. Is that how it works?",
                "Do I need `-c` to use a `.witness.yaml` config file?",
                "Is `.witness.yaml` loaded without any flag?",
                "How does witness find its config file?",
                "Can I just drop a `.witness.yaml` next to my build and have witness use it?",
                "Do I have to run `witness -c .witness.yaml run -s build -k key.pem -o build.json -- make`, or is "
                "`witness run -s build -k key.pem -o build.json -- make` enough when the file is in the repo root?",
                "Is it true that witness reads `.witness.yaml` from the working directory without being told?",
                "Reviewing a pipeline that relies on a `.witness.yaml` in the checkout and never passes `-c`. Are "
                "its settings applied?",
                "What happens when a `.witness.yaml` sits in the current directory and I don't pass `-c`?",
                "Witness config file: implicit or explicit?",
                "So should our CI scripts always pass `-c .witness.yaml` explicitly?",
            ),
            cfg,
            _terms(cfg_req),
            commands=_valid(gr, "witness -c .witness.yaml run -s build -k key.pem -o build.json -- make"),
        )
    )
    pc = (
        f"Yes: `witness policy check <file>` exists since witness v0.10.2 and {v.label} has "
        'it; witness v0.10.0 and v0.10.1 answer `unknown command "policy" for "witness"`. It validates a '
        "policy (JSON, expiry, Rego modules with the v1 parser, roots and keys) without verifying anything."
    )
    out.append(
        Fact(
            "misc/policy-check-availability",
            "misconception",
            (
                "Which witness releases have `witness policy check`?",
                "Is there a command to lint a witness policy before signing it?",
                'I get `unknown command "policy" for "witness"`. Which version added policy check?',
                "Since when does witness ship `policy check`?",
                "Can witness validate a policy file without running verify?",
                "Is `witness policy check` available in the release I'm on?",
                "What does `witness policy check policy.json` validate?",
                "Does `witness policy check` verify any attestations?",
                'Our CI image answers `unknown command "policy" for "witness"`. Is its witness binary too old?',
                "Can I catch an expired policy before signing it, without running verify?",
                "Which parser does `witness policy check` use for the Rego modules in a policy?",
                "Is `policy check` a subcommand in every witness release?",
            ),
            pc,
            _terms([["v0.10.2", "0.10.2"]]),
            commands=_valid(gr, "witness policy check policy.json"),
        )
    )
    if v.passphrase_flag:
        pp = (
            f"In {v.label} `--signer-file-key-passphrase <passphrase>`, `--signer-file-key-passphrase-path <file>` "
            "(a file with the passphrase on one line) or a non-empty `WITNESS_KEY_PASSPHRASE` environment variable, "
            "tried in that order. Since witness v0.11 only the `-path` flag and the variable exist."
        )
        pp_req = [["--signer-file-key-passphrase-path"], ["v0.11", "0.11"]]
        cmd = "witness run -s build -k key.pem --signer-file-key-passphrase-path passphrase.txt -o build.json -- make"
    else:
        pp = (
            f"With `--signer-file-key-passphrase-path <file>` (the passphrase on one line) or the "
            f"`WITNESS_KEY_PASSPHRASE` environment variable. {v.label} has no `--signer-file-key-passphrase` flag; "
            "that one existed only in witness v0.10.x."
        )
        pp_req = [["--signer-file-key-passphrase-path"], ["v0.10.x", "v0.10", "0.10"]]
        cmd = "witness run -s build -k key.pem --signer-file-key-passphrase-path passphrase.txt -o build.json -- make"
    out.append(
        Fact(
            "misc/key-passphrase",
            "misconception",
            (
                "How do I give witness the passphrase of an encrypted signing key?",
                "My `key.pem` is encrypted. How does `witness run` get the passphrase?",
                "Is there a `--signer-file-key-passphrase` flag?",
                "What's the way to sign with a password-protected key in witness?",
                "Witness can't load my encrypted key. Which flag takes the passphrase?",
                "Passphrase for `-k` keys: flag or environment variable?",
                "`witness run -s build -k key.pem --signer-file-key-passphrase-path passphrase.txt -o build.json -- "
                "make`: what format does `passphrase.txt` need?",
                "Is `--signer-file-key-passphrase-path` the flag for an encrypted key's passphrase?",
                "Is it true that I can pass the key passphrase inline on the command line?",
                "Reviewing a CI job that signs with an encrypted `signing-key.pem`: how should the passphrase reach "
                "witness?",
                "`--signer-file-key-passphrase` or `--signer-file-key-passphrase-path`?",
                "Does the passphrase file go to `--signer-file-key-passphrase-path` or to `-k`?",
            ),
            pp,
            _terms(pp_req),
            commands=_valid(gr, cmd),
        )
    )
    return out


def _lookup(gr: cli_spec.Grammar) -> list[Fact]:
    return [
        Fact(
            "misc/a-accepts-types",
            "misconception",
            (
                "Can I pass a predicate type URI to `-a` instead of the attestor name?",
                "Does `witness run -a https://slsa.dev/provenance/v1.0` work?",
                "How does `-a` look attestors up?",
                "Is `-a` only for short names like `git`?",
                "What values does `witness run -a` accept?",
                "What happens if I list an attestor twice in `-a`?",
                "Will `witness run -s build -k key.pem -a "
                "environment,git,https://witness.dev/attestations/lockfiles/v0.1 -o build.json -- make` select the "
                "lockfiles attestor?",
                "Witness fails with `failed to create attestor: attestor not found: gti`. What does `-a` expect?",
                "What error does witness give when `-a` names an attestor that doesn't exist?",
                "Where can I see which names and type URIs `-a` accepts?",
                "Reviewing a CI script with `-a environment,git,git,sbom`. Does the repeated `git` break the run?",
                "So can our pipeline list attestors in `-a` by their type URIs instead of their names?",
            ),
            "`-a` accepts an attestor's name or its predicate type URI; an unknown value fails with "
            "`failed to create attestor: attestor not found: <value>`, and a duplicate is skipped with "
            "`Attestor <name> already declared, skipping`. `witness attestors list` shows both names and types.",
            _terms([["name"], ["type"]]),
            commands=_valid(gr, "witness attestors list"),
        ),
    ]


def misconception_facts(gr: cli_spec.Grammar) -> list[Fact]:
    """Every misconception fact for the grammar's release."""
    v = gr.version
    facts = (
        _selection(gr)
        + _exports(gr)
        + _types(gr)
        + _products(gr)
        + _rego(gr, v)
        + _verify(gr)
        + _versioned(gr, v)
        + _lookup(gr)
    )
    return sharpen(
        [
            f
            if all(f.why)
            else Fact(f.fid, f.kind, f.questions, f.answer, f.check, (), f.commands, f.answers)
            for f in facts
        ],
        v,
    )


# --------------------------------------------------------------------------- direct answers and more questions

Extra = tuple[str, str]
"""(question, answer): "" as the answer means the fact's general answer fits the question."""


def _sharper(v: WitnessVersion) -> dict[str, tuple[dict[int, str], tuple[Extra, ...]]]:
    """Per fact: answers to its existing questions that the general answer does not answer head-on (by index),
    and further questions, many pasting the error or symptom a user sees, each with the answer it needs."""
    no_depth = (
        "No: `witness verify` has no search-depth flag (`--search-depth` fails with `unknown flag: "
        "--search-depth`), and a config file can't set one either. The CLI passes no depth, so the go-witness "
        "default of three rounds applies; each round adds the back-reference digests (git `commithash`, CI "
        "`pipelineurl`) of the steps that passed."
    )
    round_adds = (
        "The back-reference digests of the steps that passed: their git `commithash` and CI `pipelineurl` values "
        "join the digests the next round searches for, for three rounds at most (the go-witness default; the CLI "
        "passes no search depth and has no flag for it)."
    )
    stops = (
        "No: it stops after three rounds (the go-witness default; the CLI passes no search depth and has no flag "
        "for it). Each round adds the back-reference digests (git `commithash`, CI `pipelineurl`) of the steps "
        "that passed, so a step that only a longer chain reaches is not found."
    )
    any_email = (
        'No: an omitted or empty constraint field means the certificate must have *none* of that attribute. Only `["*"]` '
        '(or `"*"` for `commonname`) allows any value, so a Fulcio certificate with an email SAN needs `"emails": '
        '["*"]` or the exact address.'
    )
    no_partial = (
        'No: a wildcard works only as the sole element (`["*"]`); otherwise the listed values must equal the '
        "certificate's set exactly, so `*@example.com` is compared as a literal address and never matches. List the "
        'exact addresses or use `["*"]`.'
    )
    never_exit = (
        "No: when the wrapped command exits non-zero, the command-run attestor returns an error, `witness run` "
        "fails and nothing is written, so a CLI attestation never carries a non-zero `exitcode`. An exit-code rule "
        "only guards attestations made through the go-witness library with errors ignored."
    )
    bare = (
        'The material predicate is a bare map `{"<path>": {"sha256": "..."}}`: `input.Materials` is undefined (the '
        'wrapper exists only in the generated JSON schema). Read `input["go.sum"]` or iterate with `some path, '
        "digests in input`."
    )
    by_digest = (
        "It matches by digest: `witness verify -f` hashes the file and looks for statements whose subject digest "
        "*values* equal it; subject names like `file:app` are never compared."
    )
    ts_file = (
        "Paths to the TSA's CA certificate files, not URLs: verify checks the timestamp in the policy signature "
        "against them. The URL form belongs to `--timestamp-servers` on `witness run`/`witness sign`, where witness "
        "contacts the TSA."
    )
    builtin = (
        "`command-run` is a builtin: witness adds it automatically whenever a command follows `--` "
        "(`witness run ... -- make`), and a `command-run` entry in `-a` is only ignored with a warning."
    )
    pc_since = (
        f"witness v0.10.2: `witness policy check <file>` exists in every release since then ({v.label} has it), while "
        'v0.10.0 and v0.10.1 answer `unknown command "policy" for "witness"`. It validates a policy (JSON, expiry, '
        "Rego modules with the v1 parser, roots and keys) without verifying anything."
    )
    sbom_no = (
        f"No: `-a sbom` is registered as `{ATTESTORS['sbom'].type}`, but the attestation in the collection carries "
        f"the type of the SBOM it found: `{SPDX_TYPE}` for SPDX JSON or `{CYCLONEDX_TYPE}` for CycloneDX JSON. "
        "Policy types are compared as exact strings, so the step must list one of those."
    )
    types_list = (
        f"k8smanifest is `{ATTESTORS['k8smanifest'].type}`, slsa is `{ATTESTORS['slsa'].type}` (with `.0`), "
        f"vex is `{ATTESTORS['vex'].type}` (no version), link is `{ATTESTORS['link'].type}` and policyverify is "
        f"`{ATTESTORS['policyverify'].type}`."
    )
    err = EMPTY_ATTESTATIONS_ERROR.format(step="release")
    out: dict[str, tuple[dict[int, str], tuple[Extra, ...]]] = {
        "misc/search-depth": (
            {1: no_depth, 3: no_depth, 5: no_depth, 7: round_adds, 8: round_adds, 10: stops},
            (
                (
                    "`witness verify --search-depth 5 ...` fails with `unknown flag: --search-depth`. How do I make "
                    "verify search deeper?",
                    no_depth,
                ),
                ("Is the number of back-reference rounds in `witness verify` configurable?", no_depth),
                ("What search depth does `witness verify` use when I set nothing?", ""),
                (
                    "Does the `MAX_DEPTH` constant in witness's `cmd/verify.go` decide how far verify searches?",
                    "No: that `MAX_DEPTH = 4` constant is unused. The CLI passes no search depth, so the go-witness "
                    "default of three rounds applies, and no flag changes it.",
                ),
                ("Can I put a search depth for verify into `.witness.yaml`?", no_depth),
                ("How many times does verify repeat its collection search for a multi-step policy?", ""),
            ),
        ),
        "misc/certconstraint-omitted": (
            {0: any_email, 3: any_email, 5: no_partial},
            (
                (
                    "Verify rejects the step we sign keyless through Fulcio with our Google accounts: `no verifiers "
                    "matched with allowed functionaries for step release`. The certConstraint only sets `commonname` "
                    "and `roots`. What's wrong?",
                    any_email.replace("No: an", "The certConstraint omits `emails`, and an", 1),
                ),
                (
                    'Our certConstraint has `"emails": ["*@example.com"]` and never matches the CI certificate. Why?',
                    no_partial.replace("No: a", "Partial globs don't exist: a", 1),
                ),
                (
                    'What is the difference between `"emails": []` and `"emails": ["*"]` in a certConstraint?',
                    "",
                ),
                (
                    "Do I have to list every SAN type of the certificate in a witness certConstraint?",
                    "Yes, for every attribute the certificate has: an omitted or empty field means the certificate must "
                    'have none of it. Use `["*"]` (or `"*"` for `commonname`) where any value is fine.',
                ),
                (
                    "Is `*` allowed as a pattern inside certConstraint values?",
                    no_partial.replace("No: a", "Only on its own: a", 1),
                ),
                (
                    "A functionary's certConstraint lists only `organizations`. Which email SANs may the cert have?",
                    "None: an omitted constraint field means the certificate must have *none* of that attribute. Set "
                    '`"emails": ["*"]` (or the exact addresses) to allow emails.',
                ),
            ),
        ),
        "misc/exitcode-rule": (
            {0: never_exit, 2: never_exit, 3: never_exit},
            (
                (
                    "`make` exits 2 inside `witness run` and no `build.json` appears. Shouldn't witness record the "
                    "failure?",
                    never_exit,
                ),
                ("Can I attest a failing test run with witness so the policy rejects it later?", never_exit),
                (
                    "What values of `input.exitcode` can a `witness run` command-run attestation hold?",
                    "Only 0: when the command fails, the command-run attestor returns an error, `witness run` fails "
                    "and nothing is written. A non-zero `exitcode` only comes from go-witness used as a library with "
                    "errors ignored.",
                ),
                (
                    "Is a `deny` on `input.exitcode != 0` dead code for CLI-made attestations?",
                    "For CLI attestations, effectively: they never have a non-zero exit code, because `witness run` fails and writes "
                    "nothing when the command fails. Keep it only as a safety net for library-made attestations.",
                ),
                ("Does `witness run` pass through the exit code of my command when it fails?", ""),
            ),
        ),
        "misc/material-bare-map": (
            {1: bare, 3: "No: " + bare[0].lower() + bare[1:]},
            (
                (
                    'My rule reads `input.Materials["go.sum"]` and it is undefined although `go.sum` is in the material '
                    "attestation. Why?",
                    bare,
                ),
                ("How do I require that `go.sum` is among a step's materials in Rego?", bare),
                (
                    "Is the witness material predicate a list of `{uri, digest}` entries like an in-toto link?",
                    "No: " + bare[0].lower() + bare[1:],
                ),
                ("What does `input` hold when a Rego module checks the material attestation?", bare),
                (
                    "How do I read the sha256 of one material file in a witness Rego rule?",
                    bare + ' The digest of one file is `input["go.sum"].sha256`.',
                ),
            ),
        ),
        "misc/subject-by-digest": (
            {
                0: "Yes. "
                + by_digest
                + " Renaming the file doesn't matter as long as its bytes are unchanged.",
                3: "The name doesn't have to match. " + by_digest,
                5: "It won't break it. " + by_digest,
            },
            (
                (
                    "Verify finds the attestation for `dist/app` but not for the same binary uploaded as "
                    "`app-1.4.2-linux`. Could the name be the reason?",
                    "Not the name: `witness verify -f` hashes the file and looks for statements whose subject "
                    "digest *values* equal it; subject names like `file:app` are never compared. If it is not found, "
                    "its bytes differ "
                    "from what `witness run` recorded.",
                ),
                (
                    "Does `witness verify` compare the `name` of statement subjects at all?",
                    "It doesn't. " + by_digest,
                ),
                ("What does `witness verify -f` actually look up in the attestations?", by_digest),
                (
                    "If I verify with `-s` instead of `-f`, what value do I pass?",
                    "The artifact's sha256 as bare lowercase hex: `-s` values are searched as digests, exactly like the "
                    "digest `-f` computes, because subjects are matched by digest value and never by name.",
                ),
            ),
        ),
        "misc/policy-timestamp-servers": (
            {1: "No. " + ts_file, 3: "No. " + ts_file, 4: "Because it expects a file, not a URL. " + ts_file},
            (
                (
                    "I gave `witness verify --policy-timestamp-servers` the FreeTSA URL from signing and it can't load "
                    "it. What belongs there?",
                    ts_file,
                ),
                (
                    "Does `--policy-timestamp-servers` on verify contact the timestamp authority?",
                    "No. " + ts_file,
                ),
                (
                    "Which file do I pass to verify so it trusts the timestamp in our policy signature?",
                    ts_file,
                ),
                (
                    "`--timestamp-servers` on sign takes a URL. Does `--policy-timestamp-servers` on verify too?",
                    "No. " + ts_file,
                ),
            ),
        ),
        "misc/command-run-builtin": (
            {0: "Yes. " + builtin, 1: "No. " + builtin, 3: builtin, 5: "None. " + builtin},
            (
                (
                    "Without anything after `--`, does `witness run` record command-run?",
                    "No: command-run is a builtin that witness adds automatically only when a command follows `--`; "
                    "there is nothing to record otherwise.",
                ),
                (
                    "Should `command-run` be in our `-a` list so the build command is attested?",
                    "No. " + builtin,
                ),
                (
                    "Witness printed a warning about `command-run` and `--attestations`. Did the run still record the "
                    "command?",
                    "Yes. " + builtin,
                ),
            ),
        ),
        "misc/policy-check-availability": (
            {0: pc_since, 2: pc_since, 3: pc_since},
            (
                (
                    "Our CI image ships witness v0.10.0. Can the pipeline run `witness policy check`?",
                    'No: v0.10.0 answers `unknown command "policy" for "witness"`. `witness policy check` exists since '
                    "witness v0.10.2, so upgrade the image.",
                ),
                (
                    "What's the oldest witness release that can run `witness policy check policy.json`?",
                    pc_since,
                ),
                (
                    "Was `policy check` part of witness from the start?",
                    'No: it arrived in witness v0.10.2; v0.10.0 and v0.10.1 answer `unknown command "policy" for '
                    '"witness"`.',
                ),
            ),
        ),
        "misc/sbom-type": (
            {2: sbom_no, 5: sbom_no.replace("No: `-a sbom`", "Because `-a sbom`", 1)},
            (
                (
                    f"Verify finds no collection for step `sbom` although the attestation is in the file I pass; the step "
                    f"requires `{ATTESTORS['sbom'].type}`. What's wrong?",
                    sbom_no.replace("No: `-a sbom`", "The type: `-a sbom`", 1),
                ),
                ("Does the sbom attestation keep the type `witness attestors list` shows?", sbom_no),
                ("Which type URIs can an `-a sbom` attestation have inside a collection?", ""),
            ),
        ),
        "misc/type-exact": (
            {
                0: "No: policy types are compared as exact strings. " + types_list,
                1: f"No: the slsa type is `{ATTESTORS['slsa'].type}`, with `.0`, and types are compared exactly. "
                + types_list,
                2: f"No: the k8smanifest type is `{ATTESTORS['k8smanifest'].type}`, and types are compared exactly. "
                + types_list,
                3: "Yes, as exact strings. " + types_list,
            },
            (
                (
                    "Our deploy step requires `https://witness.dev/attestations/k8smanifest/v0.1` and verify finds no "
                    "collection for it. Why?",
                    f"The version: k8smanifest records `{ATTESTORS['k8smanifest'].type}`, and policy types are compared "
                    "as exact strings. " + types_list,
                ),
                (
                    "Which witness attestation types are not `.../v0.1`?",
                    types_list[0].upper() + types_list[1:],
                ),
            ),
        ),
        "misc/empty-attestations": (
            {},
            (
                (
                    f"Verify fails with `{err}`. What does it want?",
                    f"`{err}` means the `release` step's `attestations` list is empty, which {v.label} refuses: every step must "
                    "require at least one attestation type the collection really has (e.g. the material or "
                    "command-run type). Witness v0.11 and older let an empty list pass."
                    if v.empty_attestations_fails
                    else "",
                ),
            )
            if v.empty_attestations_fails
            else (),
        ),
        "misc/artifactsfrom-overlap": (
            {},
            (
                (
                    f"Verify fails with `{NO_ARTIFACT_OVERLAP_ERROR}` for our test step. Nothing has a mismatched digest. "
                    "Why?",
                    "",
                ),
            )
            if v.artifacts_need_overlap
            else (),
        ),
    }
    replaces = (
        "No: `-a/--attestations` replaces its default (`environment,git`) instead of adding to it, so list them: "
        "`-a environment,git,slsa`. `product` and `material` are recorded either way."
    )
    out["misc/a-replaces-defaults"] = ({2: replaces, 5: replaces}, ())
    out["misc/always-run"] = (
        {
            5: "No: `product` and `material` are always recorded, and `command-run` is added whenever a command "
            "follows `--`. Only `environment` and `git` depend on `-a` (its default)."
        },
        (),
    )
    for name in ("link", "slsa", "sbom"):
        sel = (
            f"No: `--attestor-{name}-export` only configures the {name} attestor; it has no effect unless `{name}` is "
            "selected with `-a` (and `-a` replaces the defaults, so list those too):\n\n```bash\n"
            f"witness run -s build -k key.pem -a environment,git,{name} --attestor-{name}-export -o build.json -- "
            f"{PRODUCT_READERS[name][1] if name in PRODUCT_READERS else 'make'}\n```"
        )
        out[f"misc/export-needs-selection/{name}"] = ({1: sel, 4: sel}, ())
        gone = (
            f"No: exporting takes {name} out of the collection; it is signed as its own statement in "
            f"`<outfile>-{name}.json`, so a step that lists its type cannot pass on that collection."
        )
        out[f"misc/export-not-in-collection/{name}"] = ({2: gone, 4: gone}, ())
    globs = (
        "No: the include/exclude globs only decide which products become **subjects** of the statement (what "
        "`witness verify` can find it by); the product attestation still lists every file the command created "
        "or changed."
    )
    out["misc/product-glob-subjects"] = ({0: globs, 4: globs}, ())
    set_only = (
        "No: `deny` must be a set (or array) of strings, one per violation; witness rejects a string, boolean or "
        "object with `invalid data from rego at data.<package>.deny, expected []interface{} but got <type>`. Write "
        "`deny contains msg if { ... }` (with `import rego.v1`) or `deny[msg] { ... }`."
    )
    out["misc/deny-is-a-set"] = ({0: set_only, 3: set_only, 4: set_only}, ())
    out["misc/no-vsa-output"] = (
        {
            0: "No: `witness verify` produces the policyverify attestation (`https://slsa.dev/verification_summary/v1`) "
            "only internally and neither signs nor writes it; the result is the exit code and the log."
        },
        (),
    )
    out["misc/a-accepts-types"] = (
        {
            1: "Yes: `-a` accepts an attestor's name or its predicate type URI, so the slsa type selects the slsa "
            "attestor; an unknown value fails with `failed to create attestor: attestor not found: <value>`."
        },
        (),
    )
    if v.zero_step_fails:
        zero = (
            f"In {v.label} it fails: a policy without steps never passes (it would prove nothing), and verify ends "
            "with `failed to verify policy: policy verification failed`. Witness v0.11 and older passed it vacuously."
        )
        out["misc/zero-steps"] = (
            {4: zero},
            (
                (
                    'Our placeholder policy (`"steps": {}`) suddenly fails `witness verify` with `failed to verify '
                    "policy: policy verification failed` after upgrading. Why?",
                    zero.replace(f"In {v.label} it fails:", f"Since the upgrade to {v.label} it fails:", 1),
                ),
                ("Did the handling of step-less policies change between witness releases?", zero),
            ),
        )
    if v.dotwitness_error:
        out["misc/dot-witness-yaml"] = (
            {
                4: f"Only through `-c/--config` since witness v0.11 (including {v.label}): witness reads the file that flag names, and a "
                f"`.witness.yaml` in the current directory without `-c` makes every command fail with "
                f"`{DOTWITNESS_ERROR}`. Only witness v0.10.x read it by default."
            },
            (
                (
                    f"After upgrading, every witness command fails with `{DOTWITNESS_ERROR}`. What changed?",
                    f"Since witness v0.11 (including {v.label}) a `.witness.yaml` in the current directory is no "
                    "longer read implicitly: pass it with `-c`, e.g. `witness -c .witness.yaml run ...`, or remove "
                    "it. witness v0.10.x read it by default.",
                ),
            ),
        )
    if not v.passphrase_flag:
        out["misc/key-passphrase"] = (
            {
                2: f"No, not in {v.label}: `--signer-file-key-passphrase` existed only in witness v0.10.x. Use "
                "`--signer-file-key-passphrase-path <file>` (the passphrase on one line) or the "
                "`WITNESS_KEY_PASSPHRASE` environment variable."
            },
            (),
        )
    return out


def sharpen(facts: list[Fact], v: WitnessVersion) -> list[Fact]:
    """`facts` with the direct answers and further questions of `_sharper`."""
    more = _sharper(v)
    out = []
    for f in facts:
        if f.fid not in more:
            out.append(f)
            continue
        fixed, extra = more[f.fid]
        answers = [fixed.get(i, "") for i in range(len(f.questions))] + [a for _, a in extra]
        questions = (*f.questions, *(q for q, _ in extra))
        out.append(Fact(f.fid, f.kind, questions, f.answer, f.check, f.why, f.commands, tuple(answers)))
    return out
