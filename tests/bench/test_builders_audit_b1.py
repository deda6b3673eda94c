"""Audit b1 of the `facts` and `cli_intents` builders (witness v0.12.0 / go-witness v0.12.0): checks
that accepted wrong answers or rejected right ones, and references whose `witness run` would fail."""

from __future__ import annotations

import pytest

from witness_evals.bench.builders import cli_intents
from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.suites import generated_tasks, validate
from witness_evals.bench.task import Task


def _task(tid: str) -> Task:
    return next(t for t in generated_tasks() if t.id == tid)


@pytest.fixture(scope="module")
def ctx() -> ScoreContext:
    return ScoreContext()


WRONG = [
    # 1: a boolean default of `true` stated as `false` / off
    ("gen/facts/0048", "`--verifier-kms-aws-remote-verify` defaults to `false` on `witness verify`."),
    ("gen/facts/0048", "On `witness verify` it defaults to false."),
    ("gen/facts/0048", "It's off by default; set it to true to verify remotely."),
    ("gen/facts/0048", "It's not enabled by default; pass `--verifier-kms-aws-remote-verify=true`."),
    ("gen/facts/0017", "The default is `false`; turn it on to record cluster information."),
    # 2: the wrong run type for the attestor asked about
    ("gen/facts/0097", "The `material` attestor runs in the prematerial phase."),
    ("gen/facts/0097", "Prematerial."),
    ("gen/facts/0034", "`jwt` is a material attestor, not a prematerial one."),
    ("gen/facts/0034", "Material — not prematerial."),
    ("gen/facts/0092", "`environment` runs in the `product` phase, unlike prematerial attestors."),
    ("gen/facts/0092", "It's a postproduct attestor (it does not run prematerial)."),
    # 3: an attestor that cannot export
    ("gen/facts/0029", "Yes — add `--attestor-oci-export`. Exporters: link, sbom and slsa."),
    ("gen/facts/0029", "You can add `--attestor-oci-export`; link, sbom and slsa also export."),
    ("gen/facts/0085", "Yes, git can be exported like link, sbom and slsa."),
    # 4: opt-in attestor
    ("gen/facts/0084", "Yes, `k8smanifest` is part of the default attestor set."),
    ("gen/facts/0084", "No."),
    # 5: flag of another subcommand
    ("gen/facts/0112", "No, `--infile` is a run flag."),
    ("gen/facts/0112", "Yes, `witness verify` takes `--infile` as well."),
    # 6: numeric default
    ("gen/facts/0014", "20MB."),
    ("gen/facts/0014", "100MB"),
    # 7: nonexistent flag
    ("gen/facts/0008", "Yes, `--certificate` works on `witness sign`."),
    ("gen/facts/0008", "Real flag: `--certificate` is a valid flag on sign, not deprecated."),
    ("gen/facts/0008", "It's real — `--certificate` works on `witness sign` (not deprecated)."),
]

RIGHT = [
    ("gen/facts/0048", "It is on by default (`true`)."),
    (
        "gen/facts/0048",
        "Defaults to `true`: KMS verifies remotely. If false, the public key is pulled and verification is local.",
    ),
    ("gen/facts/0017", "`true` — it's enabled by default."),
    ("gen/facts/0097", "It has run type `material`: after the prematerial attestors, before the command."),
    ("gen/facts/0097", "It runs in the material phase, before the wrapped command."),
    ("gen/facts/0034", "`jwt` is a prematerial attestor."),
    (
        "gen/facts/0034",
        "It's a prematerial attestor: it runs before the material attestor, which runs in the material phase.",
    ),
    (
        "gen/facts/0092",
        "`environment` is a prematerial attestor (before `material`, `execute`, `product` and `postproduct`).",
    ),
    (
        "gen/facts/0029",
        "No. Only `link`, `sbom` and `slsa` can be exported; there is no `--attestor-oci-export`.",
    ),
    ("gen/facts/0085", "No — only link, sbom and slsa export (`--attestor-<name>-export`)."),
    ("gen/facts/0084", "No. k8smanifest is opt-in; it is not one of the defaults (environment, git)."),
    ("gen/facts/0084", "No — k8smanifest is not selected by default."),
    ("gen/facts/0033", "No, `--policy-dns-names` is a verify-only flag."),
    ("gen/facts/0089", "No — `--trace` is a run-only flag."),
    ("gen/facts/0112", "No, `--infile` is a sign flag."),
    ("gen/facts/0014", "10MB."),
    ("gen/facts/0014", "10 MB, the default of the secret scanner's file size limit."),
    ("gen/facts/0008", "No, `witness sign` has no `--certificate` flag."),
]


@pytest.mark.parametrize(("tid", "answer"), WRONG)
def test_wrong_answers_fail(ctx: ScoreContext, tid: str, answer: str) -> None:
    out = score(_task(tid).check, answer, ctx)
    assert not out.passed, (tid, answer, out.reason)


@pytest.mark.parametrize(("tid", "answer"), RIGHT)
def test_right_answers_pass(ctx: ScoreContext, tid: str, answer: str) -> None:
    out = score(_task(tid).check, answer, ctx)
    assert out.passed, (tid, answer, out.reason)


def test_replacement_flag_is_required_only_when_asked() -> None:
    for t in generated_tasks():
        if "fact:nonexistent-flag" not in t.tags:
            continue
        asks = "what do I use" in t.prompt_text()
        assert (len(t.check["require"]) == 2) == asks, t.id


def _run_expects(t: Task) -> list[dict]:
    if t.check.get("type") != "command":
        return []
    return [
        c["expect"] for c in t.check.get("commands", []) if c.get("expect", {}).get("subcommand") == "run"
    ]


def _writes_sarif(argv: list[str]) -> bool:
    return any(a.endswith(".sarif") for a in argv) and any("sarif" in a for a in argv[:-1])


def test_run_references_give_the_image_and_sarif_attestors_their_input() -> None:
    """sarif needs a SARIF product (`no sarif file found`), oci an image tarball (`no tar file
    found`), docker a buildx metadata file (`no products to attest`); oci and sarif open the product
    by its workdir-relative name, so never with `-d`."""
    seen = set()
    for t in generated_tasks():
        for e in _run_expects(t):
            argv, attestors = e.get("command", []), set(e.get("attestors", []))
            if "sarif" in attestors:
                seen.add("sarif")
                assert _writes_sarif(argv), (t.id, argv)
            if "oci" in attestors:
                seen.add("oci")
                assert argv[:2] == ["docker", "save"] and "-o" in argv, (t.id, argv)
            if "docker" in attestors:
                seen.add("docker")
                assert "--metadata-file" in argv, (t.id, argv)
            if attestors & {"oci", "sarif"}:
                assert "workingdir" not in e.get("flags", {}), t.id
    assert seen == {"sarif", "oci", "docker"}


def test_sarif_lint_commands_and_fitting() -> None:
    for plain, sarif in cli_intents.SARIF_VARIANTS.items():
        assert plain[0] == sarif[0] and _writes_sarif(sarif)
    assert cli_intents._fit_extras(["ruff", "check", "."], ["sarif"])[0][-3:] == [
        "--output-file",
        "ruff.sarif",
        ".",
    ]
    buildx = ["docker", "buildx", "build", "--metadata-file", "meta.json", "-t", "x:1", "."]
    assert cli_intents._fit_extras(buildx, ["oci", "docker"]) == (buildx, ["docker", "docker"])
    save = ["docker", "save", "-o", "image.tar", "x:1"]
    assert cli_intents._fit_extras(save, ["docker", "slsa"]) == (save, ["oci", "slsa"])


def test_cli_intents_0096_and_0049(ctx: ScoreContext) -> None:
    lint = _task("gen/cli_intents/0096")
    assert "sarif" in _run_expects(lint)[0]["attestors"]
    assert "ruff check --output-format sarif --output-file ruff.sarif ." in lint.prompt_text()
    old = "witness run -s lint -k ci/signing/lint-ed25519.pem --signer-file-key-passphrase-path secrets/lint.pass -o _evidence/mosaic/lint.json -a environment,git,sarif --enable-archivista --archivista-server https://archivista.mobile.example.net -- ruff check ."
    assert not score(lint.check, old, ctx).passed
    image = _task("gen/cli_intents/0049")
    expect = _run_expects(image)[0]
    assert "oci" not in expect["attestors"] and "docker" in expect["attestors"]
    old = "witness run -s container --signer-kms-ref awskms:///arn:aws:kms:eu-west-1:774506848450:key/3d62ba60-1ea2-4bb0-ad2d-8b3cba53a600 -o container.signed-att.json -a oci,docker --attestor-product-include-glob '*.whl' -- docker buildx build --metadata-file meta.json -t ghcr.io/infra/tern:1.4.2 ."
    assert not score(image.check, old, ctx).passed


def test_include_glob_is_described_as_filtering_subjects() -> None:
    """`--attestor-product-include-glob` filters the product attestation's subjects, not the products
    it records (product.go `Subjects()`)."""
    n = 0
    for t in generated_tasks():
        if any("attestor-product-include-glob" in e.get("flags", {}) for e in _run_expects(t)):
            n += 1
            assert "should be recorded as products" not in t.prompt_text(), t.id
            assert "product subjects" in t.prompt_text(), t.id
    assert n


def test_references_pass_and_planted_fail(ctx: ScoreContext) -> None:
    tasks = [t for t in generated_tasks() if t.id.startswith(("gen/facts/", "gen/cli_intents/"))]
    assert validate(tasks, ctx) == []
