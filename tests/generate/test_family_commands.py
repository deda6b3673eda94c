"""Family `commands` (module `cli_usage`): determinism, reference answers pass (also inside CI files),
complete artifacts without placeholders, varied requests, and wrong or garbage answers fail."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import shlex
import subprocess
import sys
from typing import Any

import pytest

from witness_evals.bench import answers
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate import phrasing
from witness_evals.generate.example import Example
from witness_evals.generate.families import MODULE_OF, get
from witness_evals.generate.families import cli_usage as fam
from witness_evals.generate.families.cli_usage import ci, ci_files
from witness_evals.witness import versions
from witness_evals.witness.cli import ATTESTOR_BY_NAME

ALWAYS = ("product", "material", "command-run")
PLACEHOLDER = re.compile(r"<[a-z][a-z _/-]*>|…|(?<![./])\.\.\.(?!/)|<unchanged|TODO|FIXME", re.I)


def _examples(kind: str, n: int, start: int = 0, version: str = "0.12") -> list[Example]:
    v = versions.get(version)
    return [fam.make_kind(random.Random(f"{kind}:{s}"), kind, v) for s in range(start, start + n)]


def _first(kind: str, pred: Any, limit: int = 800) -> Example:
    for s in range(limit):
        ex = fam.make_kind(random.Random(f"{kind}:{s}"), kind)
        if pred(ex):
            return ex
    raise AssertionError(f"no {kind} example matching the predicate")


def _render_expect(expect: dict[str, Any], *, flags: dict[str, Any] | None = None, **over: Any) -> str:
    """A command with the expected meaning, written differently (long flags, repeated -a, ./ paths)."""
    sub = expect["subcommand"]
    fl = dict(expect["flags"]) if flags is None else flags
    words = ["witness", *sub.split()]
    for name, value in reversed(list(fl.items())):  # other order than the reference
        if value is True:
            words.append(f"--{name}")
        elif isinstance(value, list):
            for v in value:
                words += [f"--{name}", v]
        else:
            v = str(value)
            words.append(
                f"--{name}=./{v}"
                if name.endswith(("key-path", "outfile", "infile")) and not v.startswith(("/", "$"))
                else f"--{name}={v}"
            )
    if sub == "run":
        attestors = over.get("attestors", expect["attestors"])
        exported = [n[len("attestor-") : -len("-export")] for n in fl if n.endswith("-export")]
        chosen = [a for a in attestors if a not in ALWAYS]
        if chosen != ["environment", "git"] or over.get("explicit") or over.get("extra_a"):
            for a in chosen:
                words += ["-a", ATTESTOR_BY_NAME[a].type if over.get("uris") else a]
            for a in over.get("extra_a", []):
                words += ["-a", a]
        elif exported:
            words += ["-a", "environment,git"]
        words += ["--", *over.get("command", expect["command"])]
    else:
        words += over.get("args", expect["args"])
    return "Here you go:\n\n```bash\n$ " + " ".join(shlex.quote(w) for w in words) + "\n```\n"


# --------------------------------------------------------------------------- contract


def test_family_registered_under_its_own_module() -> None:
    assert MODULE_OF["commands"] == "cli_usage"
    assert get("commands") is fam.FAMILY
    assert fam.FAMILY.name == "commands"


@pytest.mark.parametrize("seed", [0, 1, 7, 42, 1234])
def test_deterministic(seed: int) -> None:
    a = fam.make(random.Random(seed))
    b = fam.make(random.Random(seed))
    assert dataclasses.asdict(a) == dataclasses.asdict(b)


def test_deterministic_across_processes() -> None:
    code = (
        "import random, json, dataclasses\n"
        "from witness_evals.generate.families import cli_usage as c\n"
        "print(json.dumps([dataclasses.asdict(c.make(random.Random(s))) for s in range(40)], sort_keys=True))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    here = json.dumps([dataclasses.asdict(fam.make(random.Random(s))) for s in range(40)], sort_keys=True)
    assert out.stdout.strip() == here


@pytest.mark.parametrize("version", versions.NAMES)
def test_reference_answers_pass(version: str, ctx: ScoreContext) -> None:
    seen_kinds: set[str] = set()
    v = versions.get(version)
    for s in range(250):
        ex = fam.make(random.Random(s), v)
        seen_kinds.add(ex.meta["kind"])
        result = fam.score(ex.answer, {**ex.check, "witness_version": version}, ctx)
        assert result.ok, (s, result.reason, ex.answer)
        assert json.loads(json.dumps(ex.check)) == ex.check
        assert len(json.dumps(ex.check)) < 3000
        assert ex.family == "commands" and ex.group.startswith("commands/")
    assert seen_kinds == set(fam.KINDS)


@pytest.mark.parametrize("kind", fam.KINDS)
def test_each_kind_passes_and_varies(kind: str, ctx: ScoreContext) -> None:
    exs = _examples(kind, 120)
    for ex in exs:
        result = fam.score(ex.answer, ex.check, ctx)
        assert result.ok, (result.reason, ex.question, ex.answer)
    templates = {ex.template for ex in exs}
    if kind == "other":
        by_sub: dict[str, set[str]] = {}
        for ex in _examples(kind, 300, 120):
            by_sub.setdefault(ex.template.rsplit("/", 1)[0], set()).add(ex.template)
        assert len(by_sub) == 5 and all(len(t) >= 6 for t in by_sub.values()), by_sub
    else:
        assert len(templates) >= 6, templates
        # a follow-up is the whole conversation: its opening request and the short second turn
        convs = [(ex.history[0]["content"] if ex.history else "", ex.question) for ex in exs]
        assert len(set(convs)) == len(exs)
        # request forms in different shapes: many distinct first sentences, not one frame per intent
        firsts = {re.split(r"(?<=[.?!:])\s|\n", (c[0] or c[1]).strip(), maxsplit=1)[0] for c in convs}
        assert len(firsts) >= 40, len(firsts)


def test_answers_have_no_placeholders_or_fragments() -> None:
    for kind in fam.KINDS:
        for ex in _examples(kind, 150):
            assert not PLACEHOLDER.search(ex.answer.replace("./...", "")), (
                kind,
                PLACEHOLDER.search(ex.answer),
                ex.answer,
            )
            blocks = answers.code_blocks(ex.answer)
            assert blocks and all(body.strip() for _, body in blocks)
            assert ex.answer.count("```") % 2 == 0
            assert len(ex.answer) >= 120, ex.answer


def test_requests_state_slots_in_sentences() -> None:
    """A `key: value` list is at most one request form among many."""
    for kind in ("run", "ci", "sign", "verify"):
        exs = _examples(kind, 200)
        listy = sum(bool(re.search(r"^- [a-z ]+: `", ex.question, re.M)) for ex in exs)
        assert listy <= 0.2 * len(exs), (kind, listy)


def test_answers_teach_why_and_check() -> None:
    for kind in ("run", "ci", "sign", "verify", "fix"):
        for ex in _examples(kind, 60):
            assert "witness-evals check command" in ex.answer, ex.answer
            prose = re.sub(r"```.*?```", "", ex.answer, flags=re.S)
            assert len(prose.split()) >= 15, ex.answer


def test_answer_openings_vary() -> None:
    exs = [fam.make(random.Random(s)) for s in range(400)]
    openings = {ex.answer[:40] for ex in exs}
    assert len(openings) >= 120, len(openings)


# --------------------------------------------------------------------------- CI files


def _ci(system: str, pred: Any = None, limit: int = 3000) -> Example:
    return _first(
        "ci", lambda e: e.template.startswith(f"commands/ci/{system}/") and (pred is None or pred(e)), limit
    )


@pytest.mark.parametrize("system", ci.SYSTEMS)
def test_ci_answer_is_the_whole_file_with_the_command_wrapped(system: str, ctx: ScoreContext) -> None:
    n = 0
    for ex in _examples("ci", 400):
        if not ex.template.startswith(f"commands/ci/{system}/"):
            continue
        n += 1
        lang = ci_files.LANGS[system]
        pasted = next(body for lg, body in answers.code_blocks(ex.question) if lg == lang)
        shown = next(body for lg, body in answers.code_blocks(ex.answer) if lg == lang)
        command = shlex.join(ex.check["expect"]["command"])
        kept = [
            line
            for line in pasted.splitlines()
            if line.strip() and command not in line and line.strip() not in ("sh '''", "'''")
        ]
        missing = [line for line in kept if line not in shown.splitlines()]
        assert not missing, (missing, pasted, shown)
        assert "witness run" in shown
        assert fam.score(ex.answer, ex.check, ctx).ok
        # the unmodified file is not an answer
        assert not fam.score(f"```{lang}\n{pasted}\n```\n", ex.check, ctx).ok
    assert n >= 15, n


def test_ci_key_handling_per_system() -> None:
    gha = _ci("github", lambda e: "signer-file-key-path" in e.check["expect"]["flags"])
    assert "${{ secrets." in gha.answer and "$RUNNER_TEMP" in gha.answer
    assert gha.check["any_value"] and "signer-file-key-path" in gha.check["any_value"]
    keyless = _ci("github", lambda e: "signer-fulcio-url" in e.check["expect"]["flags"])
    assert "id-token: write" in keyless.answer and "-k" not in keyless.check["expect"]["flags"]
    gl = _ci("gitlab", lambda e: "signer-fulcio-token-path" in e.check["expect"]["flags"])
    assert "aud: sigstore" in gl.answer and "SIGSTORE_ID_TOKEN" in gl.answer
    jk = _ci("jenkins")
    assert "withCredentials([file(credentialsId:" in jk.answer and "sh '" in jk.answer
    tk = _ci("tekton")
    assert "secretName:" in tk.answer and "volumeMounts:" in tk.answer
    mk = _ci("make")
    assert "\twitness run" in mk.answer
    cb = _ci("codebuild")
    assert "awskms://" in cb.answer


def test_ci_user_stated_values_are_exact(ctx: ScoreContext) -> None:
    ex = _ci(
        "gitlab",
        lambda e: (
            "signer-file-key-path" in e.check["expect"]["flags"]
            and "outfile" not in e.check.get("any_value", [])
        ),
    )
    exp = ex.check["expect"]
    assert fam.score(_render_expect(exp), ex.check, ctx).ok
    _fails(_render_expect(exp, flags={**exp["flags"], "outfile": "other.json"}), ex, ctx, "--outfile")
    free = _ci("github", lambda e: "outfile" in e.check.get("any_value", []))
    exp = free.check["expect"]
    assert fam.score(
        _render_expect(exp, flags={**exp["flags"], "outfile": "whatever.json"}), free.check, ctx
    ).ok
    no_out = {k: v for k, v in exp["flags"].items() if k != "outfile"}
    _fails(_render_expect(exp, flags=no_out), free, ctx, "--outfile")


def test_ci_dropped_defaults_fail(ctx: ScoreContext) -> None:
    ex = _ci("github", lambda e: {"environment", "git"} < set(e.check["expect"]["attestors"]) - set(ALWAYS))
    exp = ex.check["expect"]
    extra = [a for a in exp["attestors"] if a not in (*ALWAYS, "environment", "git")]
    _fails(_render_expect(exp, attestors=extra, explicit=True), ex, ctx, "attestors")


# --------------------------------------------------------------------------- equivalent forms pass


@pytest.mark.parametrize("kind", fam.KINDS)
def test_equivalent_spellings_pass(kind: str, ctx: ScoreContext) -> None:
    for ex in _examples(kind, 30):
        entries = ex.check.get("commands") or [ex.check]  # a sign + verify pair expects both commands
        alt = "\n".join(_render_expect(e["expect"]) for e in entries)
        result = fam.score(alt, ex.check, ctx)
        assert result.ok, (result.reason, alt, ex.answer)


def test_type_uris_and_explicit_defaults_pass(ctx: ScoreContext) -> None:
    ex = _first("run", lambda e: set(e.check["expect"]["attestors"]) - {*ALWAYS, "environment", "git"})
    alt = _render_expect(ex.check["expect"], uris=True, explicit=True)
    assert fam.score(alt, ex.check, ctx).ok
    plain = _first("run", lambda e: e.check["expect"]["attestors"] == sorted({*ALWAYS, "environment", "git"}))
    alt = _render_expect(plain.check["expect"], explicit=True)
    assert fam.score(alt, plain.check, ctx).ok


def test_fix_answer_quoting_broken_then_fixed_passes(ctx: ScoreContext) -> None:
    n = 0
    for ex in _examples("fix", 60):
        blocks = answers.code_blocks(ex.question)
        if not blocks:
            continue
        lang, broken = blocks[0]
        answer = f"Your command:\n\n```{lang}\n{broken}\n```\n\nFixed:\n\n" + ex.answer
        result = fam.score(answer, ex.check, ctx)
        assert result.ok, (result.reason, answer)
        n += 1
    assert n > 30


# --------------------------------------------------------------------------- wrong answers fail


def _fails(answer: str, ex: Example, ctx: ScoreContext, *needles: str) -> None:
    result = fam.score(answer, ex.check, ctx)
    assert not result.ok, answer
    assert any(n in result.reason for n in needles), (result.reason, needles)


def test_run_wrong_answers(ctx: ScoreContext) -> None:
    def defaults_plus_extra(e: Example) -> bool:
        chosen = set(e.check["expect"]["attestors"]) - set(ALWAYS)
        return {"environment", "git"} < chosen and "signer-file-key-path" in e.check["expect"]["flags"]

    ex = _first("run", defaults_plus_extra)
    exp = ex.check["expect"]
    extra = [a for a in exp["attestors"] if a not in (*ALWAYS, "environment", "git")]
    # `-a extra` alone drops environment and git
    _fails(_render_expect(exp, attestors=extra, explicit=True), ex, ctx, "attestors")
    # `--key` does not exist
    flags = {("key" if k == "signer-file-key-path" else k): v for k, v in exp["flags"].items()}
    _fails(_render_expect(exp, flags=flags), ex, ctx, "nonexistent-flag")
    # commandrun is no attestor
    _fails(_render_expect(exp, extra_a=["commandrun"]), ex, ctx, "unknown-attestor")
    # wrong step name
    _fails(_render_expect(exp, flags={**exp["flags"], "step": "wrong-step"}), ex, ctx, "--step")
    # sha512
    _fails(_render_expect(exp, flags={**exp["flags"], "hashes": ["sha512"]}), ex, ctx, "bad-hash")
    # command without `--`
    _fails(ex.answer.replace(" -- ", " "), ex, ctx, "rejected", "command")
    # a different command
    _fails(_render_expect(exp, command=["make", "all"]), ex, ctx, "command")
    # verify instead of run
    _fails("```bash\nwitness verify -p p.json -k pub.pem -a a.json -f x\n```", ex, ctx, "no `witness run`")


def test_run_export_and_options_wrong(ctx: ScoreContext) -> None:
    ex = _first("run", lambda e: any(k.endswith("-export") for k in e.check["expect"]["flags"]))
    exp = ex.check["expect"]
    flags = {k: v for k, v in exp["flags"].items() if not k.endswith("-export")}
    _fails(_render_expect(exp, flags=flags), ex, ctx, "missing --attestor-")
    ex2 = _first("run", lambda e: "trace" not in e.check["expect"]["flags"])
    _fails(
        _render_expect(ex2.check["expect"], flags={**ex2.check["expect"]["flags"], "trace": True}),
        ex2,
        ctx,
        "unexpected --trace",
    )


def test_keyless_run_wrong_answers(ctx: ScoreContext) -> None:
    ex = _first("run", lambda e: "signer-fulcio-url" in e.check["expect"]["flags"], limit=3000)
    exp = ex.check["expect"]
    both = {**exp["flags"], "signer-file-key-path": "key.pem"}
    _fails(_render_expect(exp, flags=both), ex, ctx, "multiple-signers", "signer")
    url = exp["flags"]["signer-fulcio-url"]
    renamed = {("fulcio-url" if k == "signer-fulcio-url" else k): v for k, v in exp["flags"].items()}
    _fails(_render_expect(exp, flags=renamed), ex, ctx, "nonexistent-flag")
    assert url.startswith("https://")


def test_sign_wrong_answers(ctx: ScoreContext) -> None:
    ex = _first("sign", lambda e: "timestamp-servers" in e.check["expect"]["flags"])
    exp = ex.check["expect"]
    no_out = {k: v for k, v in exp["flags"].items() if k != "outfile"}
    _fails(_render_expect(exp, flags=no_out), ex, ctx, "required-together")
    url = exp["flags"]["timestamp-servers"][0]
    t_flag = {k: v for k, v in exp["flags"].items() if k != "timestamp-servers"}
    _fails(
        _render_expect(exp, flags=t_flag).replace("--infile", f"-t {url} --infile"),
        ex,
        ctx,
        "short-flag-meaning",
    )
    _fails(
        "```bash\n" + _render_expect(exp).split("$ ", 1)[1].replace("witness sign", "witness policy sign"),
        ex,
        ctx,
        "no `witness sign`",
    )
    _fails(_render_expect(exp, flags={**exp["flags"], "outfile": "other.json"}), ex, ctx, "--outfile")


def test_verify_wrong_answers(ctx: ScoreContext) -> None:
    ex = _first(
        "verify",
        lambda e: (
            "publickey" in e.check["expect"]["flags"]
            and "artifactfile" in e.check["expect"]["flags"]
            and "attestations" in e.check["expect"]["flags"]
            and "directory-path" not in e.check["expect"]["flags"]
        ),
    )
    exp = ex.check["expect"]
    _fails(
        _render_expect(exp, flags={**exp["flags"], "publickey": "key.pem"}),
        ex,
        ctx,
        "short-flag-meaning",
        "publickey",
    )
    no_f = {k: v for k, v in exp["flags"].items() if k != "artifactfile"}
    _fails(_render_expect(exp, flags={**no_f, "subjects": ["build"]}), ex, ctx, "short-flag-meaning")
    no_a = {k: v for k, v in exp["flags"].items() if k != "attestations"}
    _fails(_render_expect(exp, flags=no_a), ex, ctx, "missing-attestations")
    _fails(
        _render_expect(exp, flags={**exp["flags"], "policy": "policy.yaml"}),
        ex,
        ctx,
        "yaml-policy",
        "--policy",
    )
    multi = _first("verify", lambda e: len(e.check["expect"]["flags"].get("attestations", [])) > 1)
    exp = multi.check["expect"]
    one = {**exp["flags"], "attestations": exp["flags"]["attestations"][:1]}
    _fails(_render_expect(exp, flags=one), multi, ctx, "--attestations")


def test_other_wrong_answers(ctx: ScoreContext) -> None:
    ex = _first("other", lambda e: e.check["subcommand"] == "attestors schema")
    name = ex.check["expect"]["args"][0]
    _fails(f"```bash\nwitness attestors show {name}\n```", ex, ctx, "no `witness attestors schema`")
    _fails(f"`witness attestors schema {name}x`", ex, ctx, "rejected", "args")
    ex = _first("other", lambda e: e.check["subcommand"] == "policy check")
    _fails(
        f"```bash\nwitness policy validate {ex.check['expect']['args'][0]}\n```",
        ex,
        ctx,
        "no `witness policy check`",
    )
    ex = _first("other", lambda e: e.check["subcommand"] == "completion")
    shell = "fish" if ex.check["expect"]["args"] != ["fish"] else "zsh"
    _fails(f"```bash\nwitness completion {shell}\n```", ex, ctx, "args")
    ex = _first("other", lambda e: e.check["subcommand"] == "attestors list")
    _fails("```bash\nwitness attestors\n```", ex, ctx, "no `witness attestors list`")


# --------------------------------------------------------------------------- fix my command


def test_fix_covers_every_mistake() -> None:
    mistakes = {ex.check["mistake"].split("/")[0] for ex in _examples("fix", 600)}
    assert mistakes >= {
        "rename",
        "attestor",
        "commandrun",
        "sign-no-outfile",
        "sign-positional",
        "sign-t",
        "verify-s-step",
        "verify-private-key",
        "verify-no-attestations",
        "verify-signer-kms",
        "hashes",
        "no-dashdash",
        "bool",
        "run-no-step",
        "run-no-signer",
        "two-signers",
        "defaults",
        "passphrase",
        "policy-sign",
        "attest",
        "policy",
    }


def test_fix_passphrase_only_for_releases_without_the_flag() -> None:
    old = {ex.check["mistake"] for ex in _examples("fix", 400, version="0.10")}
    assert "passphrase" not in old
    new = _first("fix", lambda e: e.check["mistake"] == "passphrase", limit=3000)
    assert "unknown flag: --signer-file-key-passphrase" in new.answer
    assert "--signer-file-key-passphrase-path" in new.answer


def test_fix_broken_command_alone_fails(ctx: ScoreContext) -> None:
    n = 0
    for ex in _examples("fix", 160):
        blocks = answers.code_blocks(ex.question)
        if not blocks:
            continue
        lang, broken = blocks[0]
        result = fam.score(f"Looks right to me:\n\n```{lang}\n{broken}\n```\n", ex.check, ctx)
        assert not result.ok, (ex.check["mistake"], broken)
        n += 1
    assert n > 80


def test_fix_in_ci_answers_with_the_same_kind_of_file(ctx: ScoreContext) -> None:
    seen = set()
    for ex in _examples("fix", 300):
        q = answers.code_blocks(ex.question)
        if not q or q[0][0] not in ("yaml", "groovy", "makefile"):
            continue
        lang = q[0][0]
        assert any(lg == lang for lg, _ in answers.code_blocks(ex.answer)), ex.answer
        seen.add(lang)
    assert seen == {"yaml", "groovy", "makefile"}


def test_fix_quoted_errors_come_from_the_core() -> None:
    ex = _first("fix", lambda e: e.check["mistake"] == "sign-no-outfile")
    assert (
        "if any flags in the group [infile outfile] are set they must all be set; missing [outfile]"
        in ex.answer
    )
    ex = _first("fix", lambda e: e.check["mistake"].startswith("attestor/"))
    assert "failed to create attestor: attestor not found: " in ex.answer


def test_fix_loose_and_any_value(ctx: ScoreContext) -> None:
    ex = _first("fix", lambda e: e.check["mistake"].startswith("hashes/"))
    exp = ex.check["expect"]
    assert fam.score(_render_expect(exp, flags={**exp["flags"], "hashes": ["sha256"]}), ex.check, ctx).ok
    assert fam.score(
        _render_expect(exp, flags={**exp["flags"], "hashes": ["sha256", "sha1"]}), ex.check, ctx
    ).ok
    _fails(_render_expect(exp, flags={**exp["flags"], "hashes": ["sha1"]}), ex, ctx, "no-sha256", "hashes")
    ex = _first("fix", lambda e: e.check["mistake"] == "sign-no-outfile")
    exp = ex.check["expect"]
    assert fam.score(
        _render_expect(exp, flags={**exp["flags"], "outfile": "whatever.json"}), ex.check, ctx
    ).ok


def test_fix_misspelled_product_attestors_get_a_fitting_step() -> None:
    """`-a sbom` fails without an SBOM product, k8smanifest needs manifests, docker buildx metadata."""
    seen: set[str] = set()
    for ex in _examples("fix", 2500):
        mistake = ex.check["mistake"]
        command = ex.check["expect"].get("command", [""])
        if mistake in ("attestor/spdx", "attestor/cyclonedx"):
            assert command[0] in ("syft", "trivy"), (mistake, command)
        elif mistake == "attestor/k8s":
            assert command[0] in ("kustomize", "helm"), command
        elif mistake == "attestor/buildx":
            assert "--metadata-file" in command, command
        else:
            continue
        seen.add(mistake)
    assert seen == {"attestor/spdx", "attestor/cyclonedx", "attestor/k8s", "attestor/buildx"}


def test_policy_check_before_signing_is_never_a_signed_file() -> None:
    exs = [ex for ex in _examples("other", 600) if "before signing" in ex.question]
    assert exs
    assert all(
        "signed" not in ex.check["expect"]["args"][0] and "dsse" not in ex.check["expect"]["args"][0]
        for ex in exs
    )


def test_outfiles_never_overwrite_project_files() -> None:
    for kind in ("run", "ci", "fix"):
        for ex in _examples(kind, 300):
            out = ex.check["expect"]["flags"].get("outfile", "")
            assert out.rsplit("/", 1)[-1] not in ("package.json", "tsconfig.json"), out


def test_redundant_always_run_attestors_in_answer_pass(ctx: ScoreContext) -> None:
    """`-a ...,product,material` only logs `Attestor product already declared, skipping`, and
    `-a ...,command-run` `'command-run' is a builtin attestor ...` (witness cmd/run.go skips both)."""
    ex = _first(
        "run",
        lambda e: (
            "link" in e.check["expect"]["attestors"] and "environment" in e.check["expect"]["attestors"]
        ),
    )
    exp = ex.check["expect"]
    assert fam.score(_render_expect(exp, explicit=True, extra_a=["product", "material"]), ex.check, ctx).ok
    assert fam.score(_render_expect(exp, explicit=True, extra_a=["command-run"]), ex.check, ctx).ok
    cmd_run_uri = ATTESTOR_BY_NAME["command-run"].type
    _fails(_render_expect(exp, explicit=True, extra_a=[cmd_run_uri]), ex, ctx, "attestor-builtin-type")
    link_uri = ATTESTOR_BY_NAME["link"].type
    _fails(_render_expect(exp, explicit=True, extra_a=[link_uri]), ex, ctx, "attestor-type-duplicate")


# --------------------------------------------------------------------------- garbage


GARBAGE = [
    "",
    "   \n\t",
    "I don't know.",
    "lorem ipsum " * 30000,
    "[" * 100000 + "]" * 100000,
    '{"a":' * 5000 + "1" + "}" * 5000,
    "```bash\n%%% $$$ witness run -- '\"\n```",
    "```bash\nwitness\n```",
    "```bash\nwitness run " + "-a x " * 20000 + "\n```",
    "```\nwitness run -s '\n",
    "witness " * 50000,
    "```bash\n" + "witness version\n" * 5000 + "```",
    "\x00\x01\x02 witness \udcff run",
    "```yaml\njobs:\n  b:\n    steps:\n      - run: |\n" + "          witness run \\\n" * 3000 + "```",
]


@pytest.mark.parametrize("answer", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_fails_without_exception(answer: str, ctx: ScoreContext) -> None:
    for kind in fam.KINDS:
        ex = _examples(kind, 1)[0]
        result = fam.score(answer, ex.check, ctx)
        assert not result.ok
        assert result.reason and "\n" not in result.reason


def test_malformed_check_fails(ctx: ScoreContext) -> None:
    ex = _examples("run", 1)[0]
    for check in (
        {},
        {"expect": "x"},
        {"subcommand": 3, "expect": {}},
        {"subcommand": "run", "expect": {"flags": 1}},
    ):
        assert not fam.score(ex.answer, check, ctx).ok
    assert not fam.score(None, ex.check, ctx).ok  # type: ignore[arg-type]


def test_every_renamed_flag_gets_a_second_sentence() -> None:
    from witness_evals.generate.families.cli_usage import fix

    for sub, _wrong, right in fix.RENAMES:
        assert fix.RIGHT_FLAG_NOTES.get((sub, right)) or fix.RIGHT_FLAG_NOTES.get(("", right)), (sub, right)


# --------------------------------------------------------------------------- review C: defect classes


def _many(kinds: tuple[str, ...] = ("run", "ci"), n: int = 300) -> list[tuple[str, Example]]:
    return [(v, ex) for v in versions.NAMES for k in kinds for ex in _examples(k, n, version=v)]


def test_product_globs_only_filter_subjects() -> None:
    """The include/exclude globs choose statement SUBJECTS; the product attestation still lists every file
    (go-witness attestation/product/product.go `Subjects()`), so no answer says they keep files out of the
    products, and every answer that uses one says what it does filter."""
    seen = 0
    for _, ex in _many():
        assert "keeps matching files out of the products" not in ex.answer
        assert "limits the products to" not in ex.answer
        if "--attestor-product-exclude-glob" in ex.answer or "--attestor-product-include-glob" in ex.answer:
            seen += 1
            if re.search(r"(?:as|count as|show up as) products|Limit the products", ex.question):
                # the user asked for the impossible: the answer says so
                assert "No witness flag keeps files out of the product attestation" in ex.answer, ex.answer
    assert seen >= 20


def test_k8smanifest_runs_do_not_record_a_cluster_nobody_configured() -> None:
    """k8smanifest records the kubeconfig's cluster by default and fails the run without one: commands pass
    `--attestor-k8smanifest-record-cluster-information=false` unless the request says a cluster is set up, and
    say that the manifests must be written by the wrapped command."""
    seen = 0
    for _, ex in _many(n=400):
        if "k8smanifest" not in ex.check["expect"].get("attestors", []):
            continue
        seen += 1
        configured = "kubeconfig" in ex.question or "target cluster" in ex.question
        off = ex.check["expect"]["flags"].get("attestor-k8smanifest-record-cluster-information") is False
        assert off != configured, ex.question
        assert "only reads the step's products" in ex.answer or "only read the step's products" in ex.answer
    assert seen >= 10


def test_product_reading_attestors_explain_products() -> None:
    for _, ex in _many(n=300):
        chosen = set(ex.check["expect"].get("attestors", [])) & {"sbom", "sarif", "vex", "oci", "docker"}
        if chosen:
            assert "the step's products" in ex.answer, ex.answer


def test_intermediates_always_come_with_the_certificate() -> None:
    """`--signer-file-intermediate-paths` is ignored without `--signer-file-cert-path`."""
    seen = 0
    for _, ex in _many(("run", "ci", "sign"), 250):
        flags = ex.check["expect"]["flags"]
        if "signer-file-intermediate-paths" in flags:
            seen += 1
            assert "signer-file-cert-path" in flags, ex.answer
    assert seen >= 5


def test_ci_installs_witness_unless_the_request_says_it_is_there() -> None:
    installed = {s.rstrip(".").lower() for sentences in ci.INSTALLED.values() for s in sentences}
    opener = "already have the witness binary installed"
    counts = {"install": 0, "said": 0}
    undo = {typo: word for word, typos in phrasing._TYPOS.items() for typo in typos}
    for v, ex in _many(("ci",), 400):
        question = re.sub(r"[a-z]+", lambda m: undo.get(m.group(0), m.group(0)), ex.question.lower())
        said = any(s in question for s in installed) or opener in question
        if said:
            counts["said"] += 1
            continue
        counts["install"] += 1
        assert f"releases/download/{versions.get(v).release}/" in ex.answer, ex.question
        assert "sha256sum -c" in ex.answer
    assert counts["install"] >= 50 and counts["said"] >= 50, counts


def test_ci_uploads_the_exported_statements_too() -> None:
    seen = 0
    for _, ex in _many(("ci",), 400):
        out = ex.check["expect"]["flags"].get("outfile")
        exports = [n for n in ex.check["expect"]["flags"] if n.endswith("-export")]
        if not out or not exports or ("upload-artifact" not in ex.answer and "artifacts:" not in ex.answer):
            continue
        file = next(body for lg, body in answers.code_blocks(ex.answer) if lg in ("yaml", "groovy"))
        kept = re.split(r"upload-artifact|^\s*artifacts:|archiveArtifacts", file, flags=re.M)[-1]
        if out not in kept:
            continue  # the collection itself is not kept as an artifact in this file
        for name in exports:
            x = name[len("attestor-") : -len("-export")]
            assert f"{out}-{x}.json" in kept, file
            seen += 1
    assert seen >= 3


def test_job_name_step_only_where_the_file_shows_one_name() -> None:
    for _, ex in _many(("ci",), 400):
        if "job name" in ex.question or "job's name" in ex.question:
            assert ex.template.startswith(("commands/ci/github/", "commands/ci/gitlab/")), ex.question
            step = ex.check["expect"]["flags"]["step"]
            pasted = answers.code_blocks(ex.question)[0][1]
            assert re.search(rf"^ {{0,2}}{re.escape(step)}:$", pasted, re.M), (step, pasted)
        if "target's name" in ex.question:
            step = ex.check["expect"]["flags"]["step"]
            assert f"\n{step}:\n" in answers.code_blocks(ex.question)[0][1]


def test_policy_check_answers_list_what_is_checked() -> None:
    for v in versions.NAMES:
        for ex in _examples("other", 200, version=v):
            if not ex.template.startswith("commands/other/policy-check/"):
                continue
            for part in ("expires", "OPA v1", "certConstraint.roots", "30 days", "--json"):
                assert part in ex.answer, (part, ex.answer)
            assert ("publickeys" in ex.answer) == versions.get(v).policy_check_validates_keys


def _fences_well_formed(text: str) -> bool:
    open_ = False
    for line in text.splitlines():
        if "```" in line:
            if not re.fullmatch(r"```[a-z]*" if not open_ else r"```", line):
                return False
            open_ = not open_
    return not open_


@pytest.mark.parametrize("kind", fam.KINDS)
def test_no_text_is_glued_to_a_code_fence(kind: str) -> None:
    for v in versions.NAMES:
        for ex in _examples(kind, 200, version=v):
            assert _fences_well_formed(ex.question), ex.question
            assert _fences_well_formed(ex.answer), ex.answer


# --------------------------------------------------------------------------- review D


def test_keyless_commands_always_timestamp_the_signature() -> None:
    """A Fulcio certificate lives ~10 minutes; without `--timestamp-servers` (and the TSA in the policy)
    the signature stops verifying almost at once (REFERENCE §4.5, §8 trap 25)."""
    seen = 0
    for kind in ("run", "ci", "sign", "fix"):
        for ex in _examples(kind, 300):
            blocks = re.findall(r"```[a-z]*\n(.*?)```", ex.answer, re.S)
            keyless = False
            for block in blocks:
                for line in re.sub(r"\\\n\s*", " ", block).splitlines():
                    if re.search(r"witness (run|sign)\b", line) and "--signer-fulcio-url" in line:
                        seen += 1
                        keyless = True
                        assert "--timestamp-servers" in line or re.search(r"\s-t\s", line), (
                            ex.template,
                            line,
                        )
            if keyless and kind != "fix":
                assert "10 minutes" in ex.answer, ex.template
    assert seen


def test_ci_lead_names_every_addition_to_the_file() -> None:
    checked = 0
    for ex in _examples("ci", 400):
        prose = re.sub(r"```.*?```", "", ex.answer, flags=re.S)
        if "id-token: write" in ex.answer and "permissions:" in ex.answer:
            checked += 1
            assert "`permissions`" in prose, ex.template
        if "actions/upload-artifact" in ex.answer and "upload-artifact" not in ex.question:
            assert "`upload-artifact`" in prose, ex.template
        assert "The extra artifact entry" not in ex.answer
    assert checked


def test_ci_requests_do_not_deny_the_checkout_their_file_shows() -> None:
    for ex in _examples("ci", 400):
        if ex.template.startswith(("commands/ci/github", "commands/ci/gitlab", "commands/ci/jenkins")):
            q = ex.question.lower()
            assert "no git checkout" not in q and "without a .git directory" not in q, ex.template
            assert "git isn't available" not in q, ex.template


def test_preinstalled_witness_is_not_claimed_for_a_stock_image() -> None:
    for ex in _examples("ci", 400):
        if ex.template.startswith("commands/ci/gitlab") and "baked into our CI image" in ex.question:
            image = re.search(r"image: (\S+)", ex.question)
            assert image and ".internal/" in image.group(1), ex.template


@pytest.mark.parametrize("kind", ["run", "ci", "edit", "followup"])
def test_slsa_and_link_are_always_exported(kind: str) -> None:
    """A collection that carries a slsa or link predicate with content cannot be loaded by `witness verify`
    (go-witness decodes their protobuf structs with encoding/json; docs/reference-corrections.md), so every
    `witness run` that selects them also exports them. Before, the run plan exported them in 45 % of the
    answers (an audit against the Go source found three such answers in 20)."""
    from witness_evals.witness.cli import parse_command

    seen = 0
    for ex in _examples(kind, 150):
        for _lang, body in answers.code_blocks(ex.answer):
            for line in body.replace("\\\n", " ").splitlines():
                if not line.strip().startswith("witness run"):
                    continue
                run = parse_command(line.strip())
                for x in ("slsa", "link"):
                    if x in (run.flags.get("attestations") or []):
                        seen += 1
                        assert run.flags.get(f"attestor-{x}-export") is True, (kind, line)
    assert seen > 3, seen
