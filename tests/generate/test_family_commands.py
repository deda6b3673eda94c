"""Family `commands`: determinism, reference answers pass, wrong and garbage answers fail."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shlex
import subprocess
import sys
from typing import Any

import pytest

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.example import Example
from witness_evals.generate.families import commands as fam
from witness_evals.generate.families import get
from witness_evals.witness.cli_spec import ATTESTOR_BY_NAME

ALWAYS = ("product", "material", "command-run")


def _examples(kind: str, n: int, start: int = 0) -> list[Example]:
    return [fam.make_kind(random.Random(f"{kind}:{s}"), kind) for s in range(start, start + n)]


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
                f"--{name}=./{v}" if name.endswith(("key-path", "outfile", "infile")) else f"--{name}={v}"
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


def test_family_registered() -> None:
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
        "from witness_evals.generate.families import commands as c\n"
        "print(json.dumps([dataclasses.asdict(c.make(random.Random(s))) for s in range(40)], sort_keys=True))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    here = json.dumps([dataclasses.asdict(fam.make(random.Random(s))) for s in range(40)], sort_keys=True)
    assert out.stdout.strip() == here


def test_reference_answers_pass(ctx: ScoreContext) -> None:
    seen_kinds: set[str] = set()
    for s in range(400):
        ex = fam.make(random.Random(s))
        seen_kinds.add(ex.meta["kind"])
        result = fam.score(ex.answer, ex.check, ctx)
        assert result.ok, (s, result.reason, ex.answer)
        assert json.loads(json.dumps(ex.check)) == ex.check
        assert len(json.dumps(ex.check)) < 3000
        assert ex.family == "commands" and ex.group.startswith("commands/")
        assert "```bash\nwitness " in ex.answer
    assert seen_kinds == set(fam.KINDS)


@pytest.mark.parametrize("kind", fam.KINDS)
def test_each_kind_passes_and_varies(kind: str, ctx: ScoreContext) -> None:
    exs = _examples(kind, 80)
    for ex in exs:
        result = fam.score(ex.answer, ex.check, ctx)
        assert result.ok, (result.reason, ex.question, ex.answer)
    templates = {ex.template for ex in exs}
    if kind == "other":
        by_sub: dict[str, set[str]] = {}
        for ex in _examples(kind, 300, 80):
            by_sub.setdefault(ex.template.rsplit("/", 1)[0], set()).add(ex.template)
        assert len(by_sub) == 5 and all(len(t) >= 6 for t in by_sub.values()), by_sub
    else:
        assert len(templates) >= 6, templates
        assert len({ex.question for ex in exs}) == len(exs)


def test_fix_covers_every_mistake(ctx: ScoreContext) -> None:
    mistakes = {ex.check["mistake"].split("/")[0] for ex in _examples("fix", 400)}
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
        "hashes",
        "no-dashdash",
        "bool",
        "run-no-step",
        "run-no-signer",
        "defaults",
        "policy-sign",
        "attest",
        "ca",
        "policy",
    }


def test_paraphrases_share_group() -> None:
    groups: dict[str, set[str]] = {}
    for ex in _examples("other", 200):
        groups.setdefault(ex.group, set()).add(ex.template)
    assert any(len(t) > 1 for t in groups.values())
    a = _examples("run", 50)
    assert len({ex.group for ex in a}) == 50


# --------------------------------------------------------------------------- equivalent forms pass


@pytest.mark.parametrize("kind", ["run", "sign", "verify", "other", "fix"])
def test_equivalent_spellings_pass(kind: str, ctx: ScoreContext) -> None:
    for ex in _examples(kind, 30):
        alt = _render_expect(ex.check["expect"])
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
    for ex in _examples("fix", 40):
        broken = ex.question.split("```")[1].split("\n", 1)[1] if "```" in ex.question else None
        if broken is None:
            continue
        answer = f"Your command:\n\n```bash\n{broken}```\n\nFixed:\n\n" + ex.answer
        result = fam.score(answer, ex.check, ctx)
        assert result.ok, (result.reason, answer)


# --------------------------------------------------------------------------- wrong answers fail


def _fails(answer: str, ex: Example, ctx: ScoreContext, *needles: str) -> None:
    result = fam.score(answer, ex.check, ctx)
    assert not result.ok, answer
    assert any(n in result.reason for n in needles), (result.reason, needles)


def test_run_wrong_answers(ctx: ScoreContext) -> None:
    def defaults_plus_extra(e: Example) -> bool:
        chosen = set(e.check["expect"]["attestors"]) - set(ALWAYS)
        return {"environment", "git"} < chosen

    ex = _first("run", defaults_plus_extra)
    exp = ex.check["expect"]
    extra = [a for a in exp["attestors"] if a not in (*ALWAYS, "environment", "git")]
    # trap 20: `-a extra` alone drops environment and git
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
    text = ex.answer.replace(" -- ", " ")
    _fails(text, ex, ctx, "rejected", "command")
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
    _fails(ex.answer.replace("witness sign", "witness policy sign"), ex, ctx, "no `witness sign`")
    _fails(_render_expect(exp, flags={**exp["flags"], "outfile": "other.json"}), ex, ctx, "--outfile")


def test_verify_wrong_answers(ctx: ScoreContext) -> None:
    ex = _first(
        "verify",
        lambda e: (
            "publickey" in e.check["expect"]["flags"]
            and "artifactfile" in e.check["expect"]["flags"]
            and "attestations" in e.check["expect"]["flags"]
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


def test_fix_broken_command_alone_fails(ctx: ScoreContext) -> None:
    n = 0
    for ex in _examples("fix", 120):
        if "```" not in ex.question:
            continue
        broken = ex.question.split("```")[1].split("\n", 1)[1]
        result = fam.score(f"Looks right to me:\n\n```bash\n{broken}```\n", ex.check, ctx)
        assert not result.ok, (ex.check["mistake"], broken)
        n += 1
    assert n > 50


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


# --------------------------------------------------------------------------- audit pins


def test_fix_misspelled_product_attestors_get_a_fitting_step() -> None:
    """`-a sbom` fails (`no SBOM file found`) without an SBOM product, k8smanifest needs manifests."""
    seen: set[str] = set()
    for ex in _examples("fix", 1500):
        mistake = ex.check["mistake"]
        command = ex.check["expect"].get("command", [""])
        if mistake in ("attestor/spdx", "attestor/cyclonedx"):
            fmt = mistake.split("/")[1]
            assert command[0] == "syft" and command[-1].startswith(f"{fmt}-json="), (mistake, command)
        elif mistake == "attestor/k8s":
            assert command[0] == "kustomize", command
        elif mistake == "attestor/openvex":
            assert "no VEX file found" in ex.answer
        else:
            continue
        seen.add(mistake)
    assert seen == {"attestor/spdx", "attestor/cyclonedx", "attestor/k8s", "attestor/openvex"}


def test_policy_check_before_signing_is_never_a_signed_file() -> None:
    exs = [ex for ex in _examples("other", 600) if "before signing" in ex.question]
    assert exs
    assert all("signed" not in ex.check["expect"]["args"][0] for ex in exs)


def test_fix_ca_roots_why_mentions_singular_warning_only_for_singular_flag() -> None:
    ex = _first("fix", lambda e: e.check["mistake"] == "ca/ca-roots", limit=3000)
    assert "deprecation warning" not in ex.answer
    ex = _first("fix", lambda e: e.check["mistake"] == "ca/policy-ca-root", limit=3000)
    assert "deprecation warning" in ex.answer


def test_redundant_always_run_attestors_in_answer_pass(ctx: ScoreContext) -> None:
    """`-a ...,product,material` only logs `Attestor product already declared, skipping`."""
    ex = _first("run", lambda e: "link" in e.check["expect"]["attestors"])
    exp = ex.check["expect"]
    assert fam.score(_render_expect(exp, explicit=True, extra_a=["product", "material"]), ex.check, ctx).ok
    # still wrong: command-run in -a, a type URI naming an already selected attestor, a missing default
    _fails(_render_expect(exp, explicit=True, extra_a=["command-run"]), ex, ctx, "attestor-builtin")
    link_uri = ATTESTOR_BY_NAME["link"].type
    _fails(_render_expect(exp, explicit=True, extra_a=[link_uri]), ex, ctx, "attestor-duplicate")
    chosen = [a for a in exp["attestors"] if a not in (*ALWAYS, "git")]
    _fails(_render_expect(exp, attestors=chosen, extra_a=["product"]), ex, ctx, "attestors")
