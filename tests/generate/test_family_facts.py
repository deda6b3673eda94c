"""Family `facts`: determinism, reference answers pass, wrong and garbage answers fail."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from typing import Any

import pytest

from witness_evals.bench.scorers import terms
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.facts_attestors import field_facts
from witness_evals.generate.facts_misconceptions import misconception_facts
from witness_evals.generate.families import facts as F
from witness_evals.generate.families import get
from witness_evals.witness import cli as cli_spec


def _fact(fid: str) -> F.Fact:
    return F.fact_by_id(fid)


def test_registered() -> None:
    assert get("facts") is F.FAMILY


@pytest.mark.parametrize("seed", [0, 1, 7, 123, 99991])
def test_deterministic(seed: int) -> None:
    a = F.make(random.Random(seed))
    b = F.make(random.Random(seed))
    assert dataclasses.asdict(a) == dataclasses.asdict(b)


def test_reference_answers_pass(ctx: ScoreContext) -> None:
    kinds: set[str] = set()
    templates: set[str] = set()
    for seed in range(2000):
        ex = F.make(random.Random(seed))
        assert ex.family == "facts"
        assert json.loads(json.dumps(ex.check)) == ex.check
        res = F.score(ex.answer, ex.check, ctx)
        assert res.ok, (seed, ex.group, res.reason, ex.answer)
        kinds.add(ex.meta["kind"])
        templates.add(ex.template)
    assert kinds == set(F.kind_weights()[0])
    assert len(templates) >= 5 * len(kinds)


def test_every_static_fact_passes(ctx: ScoreContext) -> None:
    for kind, facts in F.catalogue().items():
        for fact in facts:
            assert len(set(fact.questions)) >= 6
            res = F.score(fact.answer, fact.check, ctx)
            assert res.ok, (kind, fact.fid, res.reason)


WRONG = [
    ("flag/which/verify/publickey", "Use `--policy` to give the key.", "missing"),
    ("flag/short/verify/k", "`-k` is `--signer-file-key-path`, the private key.", "missing --publickey"),
    ("flag/long2short/run/step", "Use `-S`... actually `--step` is written `-t`.", "missing -s"),
    ("flag/long2short/run/step", "It's `-s/--step`.", None),
    ("flag/long2short/sign/timestamp-servers", "Yes, `-t`.", "answers"),
    ("flag/default/run/attestations", "It defaults to `[environment]`.", "missing git"),
    ("flag/default/run/hashes", "`--hashes` defaults to `[sha256,gitoid:sha256]`.", None),
    ("flag/default/run/hashes", "`--hashes` defaults to `sha512`.", "missing sha256"),
    ("flag/across/k/run/verify", "Yes, `-k` is `--signer-file-key-path` in both.", "answers"),
    ("flag/across/k/run/verify", "`-k` is `--signer-file-key-path` in both.", "missing --publickey"),
    ("flag/nonexistent/key", "Yes: `witness run --key key.pem` passes the signing key.", "answers"),
    ("flag/nonexistent/key", "`--key` does not exist; use `--publickey`.", "missing --signer-file-key-path"),
    ("attestor/type/slsa", "`https://slsa.dev/provenance/v1`", "missing"),
    (
        "attestor/type/slsa",
        "`https://slsa.dev/provenance/v1.0` (or `https://slsa.dev/provenance/v1`).",
        "wrong",
    ),
    ("attestor/type/k8smanifest", "`https://witness.dev/attestations/k8smanifest/v0.1`", "missing"),
    ("attestor/type/sbom", "`https://witness.dev/attestations/sbom/v0.1`", "missing"),
    ("attestor/name/command-run", "`commandrun`", "missing command-run"),
    ("attestor/name/git", "`github`", "missing git"),
    ("attestor/runtype/git", "`material`", "missing prematerial"),
    ("attestor/runtype/product", "It runs as `postproduct`.", "missing product"),
    ("attestor/selection/vex", "Yes, `vex` is enabled by default.", "answers"),
    ("attestor/selection/git", "No, git is opt-in; add `-a git`.", "answers"),
    ("attestor/selection/git", "It is opt-in, so pass `-a git` in addition to the default.", "wrong"),
    ("attestor/export/git", "Yes: pass `--attestor-git-export`.", "answers"),
    ("attestor/export/slsa", "No, slsa can't be exported.", "missing --attestor-slsa-export"),
    ("attestor/exporters", "`slsa` and `sbom`.", "missing link"),
    ("attestor/cliname/k8s", "Use `-a k8s-manifest`.", "missing k8smanifest"),
    ("attestor/network-trace", "Pass `-a network-trace`.", "missing"),
    ("wire/collection-type", "`https://witness.dev/attestation-collection/v0.1`", "missing"),
    ("wire/statement-type", "`https://in-toto.io/Statement/v1`", "missing"),
    ("wire/envelope-payload-type", "`https://witness.testifysec.com/policy/v0.1`", "missing"),
    (
        "digest/allowed",
        "`sha256`, `sha1`, `sha512`, `gitoid:sha256`, `gitoid:sha1`, `dirHash`",
        "wrong sha512",
    ),
    ("digest/allowed", "`SHA256`, `sha1`, `gitoid:sha256`, `gitoid:sha1`, `dirHash`", "missing sha256"),
    ("digest/unsupported/sha512", "Yes, `--hashes sha512` works fine alongside sha256.", "answers"),
    ("keyid/how", "It is the SHA-256 of the DER-encoded public key bytes.", "missing pem"),
]


@pytest.mark.parametrize(("fid", "answer", "reason"), WRONG)
def test_wrong_answers(ctx: ScoreContext, fid: str, answer: str, reason: str | None) -> None:
    res = F.score(answer, _fact(fid).check, ctx)
    if reason is None:
        assert res.ok, res.reason
    else:
        assert not res.ok
        assert reason.lower() in res.reason.lower(), res.reason


def _group_example() -> tuple[str, dict[str, object]]:
    for seed in range(2000):
        ex = F.make(random.Random(seed))
        if ex.group.startswith("facts/required/sign-outfile/"):
            return ex.answer, ex.check
    raise AssertionError("no sign-outfile example")


def test_required_group_needs_valid_command(ctx: ScoreContext) -> None:
    answer, check = _group_example()
    assert F.score(answer, check, ctx).ok
    res = F.score("Add `-o`:\n\n```bash\nwitness sign -f policy.json -k key.pem\n```", check, ctx)
    assert not res.ok and "valid" in res.reason
    res = F.score("```bash\nwitness sign -f p.json -o --outfile s.json -k key.pem --bogus\n```", check, ctx)
    assert not res.ok


def test_negated_mentions_are_not_claims(ctx: ScoreContext) -> None:
    check = _fact("attestor/type/slsa").check
    ok = "It is `https://slsa.dev/provenance/v1.0`, not `https://slsa.dev/provenance/v1`."
    assert F.score(ok, check, ctx).ok
    assert terms.has_term("use --step here", "--step")
    assert not terms.has_term("use --step-x here", "--step")
    assert not terms.has_term("github", "git")
    assert terms.has_term("`-s/--step`", "-s")
    assert not terms.has_term("--step", "-s")


def test_selection_questions_share_one_polarity(ctx: ScoreContext) -> None:
    """Every selection question asks "recorded without -a?", so one Yes/No answer fits all of them."""
    for name in ("gcp-iit", "git", "material"):
        fact = _fact(f"attestor/selection/{name}")
        assert not any("Do I need" in q or q.startswith("How do I") for q in fact.questions), fact.questions
    check = _fact("attestor/selection/gcp-iit").check
    assert F.score("No, `gcp-iit` is opt-in: add `-a gcp-iit`.", check, ctx).ok
    assert not F.score("Yes, it is on by default.", check, ctx).ok
    check = _fact("attestor/selection/material").check
    assert F.score("Yes, `material` is always recorded.", check, ctx).ok


def test_jwt_selection_does_not_recommend_a_jwt(ctx: ScoreContext) -> None:
    """REFERENCE §1.2: `-a jwt` always fails from the CLI (no way to pass a token)."""
    fact = _fact("attestor/selection/jwt")
    assert "always fails" in fact.answer and "enable it with `-a jwt`" not in fact.answer
    assert F.score(fact.answer, fact.check, ctx).ok
    assert not F.score("No: `jwt` is opt-in; enable it with `-a jwt` on `witness run`.", fact.check, ctx).ok


def test_cliname_misspellings_never_answer_yes(ctx: ScoreContext) -> None:
    for wrong in ("env", "materials", "vsa", "commandrun"):
        fact = _fact(f"attestor/cliname/{wrong}")
        assert fact.answer.startswith(f"There is no `{wrong}` attestor"), fact.answer
        assert "Yes" not in fact.answer
        assert not F.score(f"Yes, `{wrong}` is fine.", fact.check, ctx).ok


def test_policyverify_is_not_in_a_collection() -> None:
    assert "inside the attestation collection" not in _fact("attestor/export/policyverify").answer


def test_nonexistent_artifacthash_accepts_subjects(ctx: ScoreContext) -> None:
    check = _fact("flag/nonexistent/artifacthash").check
    assert F.score("`--artifacthash` does not exist; pass the digest with `-s/--subjects`.", check, ctx).ok
    assert F.score("`--artifacthash` does not exist; use `-f/--artifactfile`.", check, ctx).ok


def test_examples_have_their_runtime_companions() -> None:
    """A fulcio signer without --signer-fulcio-url fails (`fulcio URL must include a host`); CA intermediates
    without roots cannot verify an x.509-signed policy."""
    for flag in ("signer-fulcio-token", "signer-fulcio-token-path"):
        for cmd in ("run", "sign"):
            ex = F.example_command(cmd, flag)
            assert ex is not None and "--signer-fulcio-url https://" in ex, ex
    ex = F.example_command("verify", "policy-ca-intermediates")
    assert ex is not None and "--policy-ca-roots" in ex


def test_required_group_quotes_witness_errors() -> None:
    """The quoted error is witness's own text, not the analyser's explanation."""
    seen: set[str] = set()
    for seed in range(3000):
        ex = F.make(random.Random(seed))
        if ex.group.startswith("facts/required/"):
            case = ex.group.split("/")[2]
            assert f"Witness fails with `{F.GROUP_ERRORS[case]}`." in ex.answer, ex.answer
            seen.add(case)
    assert seen == set(F.GROUP_ERRORS)
    assert F.GROUP_ERRORS["run-step"] == "step name is required"
    assert F.GROUP_ERRORS["run-two-signers"] == "only one signer is supported"


GARBAGE = [
    "",
    "   \n",
    "lorem ipsum dolor sit amet " * 50,
    "x" * 300_000,
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
    "```bash\n\x00\x01 witness run --- -- ' \" `\n```",
    "```\n" + "witness " * 10000 + "\n```",
]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_fails(ctx: ScoreContext, garbage: str) -> None:
    for seed in range(0, 400, 7):
        ex = F.make(random.Random(seed))
        res = F.score(garbage, ex.check, ctx)
        assert not res.ok


def test_bad_checks_do_not_raise(ctx: ScoreContext) -> None:
    assert not F.score("answer", {}, ctx).ok
    assert not F.score("answer", {"kind": "nope"}, ctx).ok
    assert not F.score(None, {"kind": "terms"}, ctx).ok  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- teaching answers


@pytest.fixture(scope="module")
def made() -> list:
    return [F.make(random.Random(s)) for s in range(3000)]


def test_answers_explain_and_show_commands(made: list, ctx: ScoreContext) -> None:
    """Answers carry a reason and often a command that shows the fact; none is a bare fragment."""
    from witness_evals.bench.answers import code_blocks
    from witness_evals.witness import cli

    gr = cli.grammar()
    with_cmd = 0
    for ex in made:
        assert len(ex.answer) >= 80, ex.answer
        for lang, body in code_blocks(ex.answer):
            for line in body.splitlines():
                if lang == "bash" and line.startswith("witness "):
                    assert gr.parse(line).valid, line
                    with_cmd += 1
    assert with_cmd > len(made) * 0.3  # flag facts show `--help` in a sentence, never as a block
    kinds = {ex.meta["kind"] for ex in made}
    assert {
        "attestor-capture",
        "attestor-needs",
        "predicate-field",
        "attestor-subjects",
        "misconception",
    } <= kinds
    assert {"flag-what"} <= kinds


def test_composed_answers_still_pass(ctx: ScoreContext) -> None:
    from witness_evals.witness import cli

    for version in ("0.10", "0.11", "0.12"):
        gr = cli.grammar(version)
        for facts in F.catalogue(version).values():
            for fact in facts:
                for seed in range(3):
                    text = F.compose(random.Random(seed), fact, gr)
                    assert F.score(text, {**fact.check, "witness_version": version}, ctx).ok, fact.fid


def test_every_attestor_is_taught(made: list) -> None:
    from witness_evals.witness.attestors import ATTESTORS

    text = "\n".join(ex.question + ex.answer for ex in made)
    for name in ATTESTORS:
        assert text.count(f"`{name}`") >= 15, name


def test_capture_questions_are_natural() -> None:
    fact = _fact("attestor/capture/lockfiles/0")
    assert any(q.startswith("Which attestor do I need to capture") for q in fact.questions)
    assert "-a environment,git,lockfiles" in " ".join(fact.commands)
    assert "`lockfiles`" in fact.answer and "replaces" in fact.answer


MISCONCEPTIONS = [
    ("misc/a-replaces-defaults", "Yes, `-a lockfiles` is added to the defaults.", False),
    ("misc/a-replaces-defaults", "`-a` replaces the default `environment,git`; list them too.", True),
    (
        "misc/always-run",
        "environment and git are always recorded, plus product, material and command-run.",
        False,
    ),
    ("misc/export-file/slsa", "It is written to build-slsa.json.", False),
    ("misc/export-file/slsa", "Look for `build.json-slsa.json` next to the outfile.", True),
    ("misc/sbom-type", "Keep `https://witness.dev/attestations/sbom/v0.1`.", False),
    ("misc/rego-two-parsers", "Use `deny contains msg if` without imports; verify uses OPA v1.", False),
    ("misc/exitcode-rule", "Yes, witness records the failed exit code and continues.", False),
    ("misc/search-depth", "It follows back-references four levels deep.", False),
    ("misc/subject-by-digest", "No, rename it before `witness run` so the names match.", False),
    ("misc/policy-timestamp-servers", "`--policy-timestamp-servers takes a URL` of the TSA.", False),
]


@pytest.mark.parametrize(("fid", "answer", "ok"), MISCONCEPTIONS)
def test_misconception_checks(ctx: ScoreContext, fid: str, answer: str, ok: bool) -> None:
    assert F.score(answer, _fact(fid).check, ctx).ok is ok


@pytest.mark.parametrize("version", ["0.10", "0.11", "0.12"])
def test_version_dependent_facts_name_their_releases(version: str, ctx: ScoreContext) -> None:
    ids = (
        "misc/zero-steps",
        "misc/empty-attestations",
        "misc/artifactsfrom-overlap",
        "misc/dot-witness-yaml",
    )
    facts = {f.fid: f for fs in F.catalogue(version).values() for f in fs}
    for fid in ids:
        answer = facts[fid].answer
        assert f"witness v{version}" in answer, (fid, answer)
        assert re.search(r"v0\.1[012]", answer.replace(f"witness v{version}", "")), (fid, answer)
        assert F.score(answer, {**facts[fid].check, "witness_version": version}, ctx).ok
    zero = facts["misc/zero-steps"]
    wrong = (
        "No, it fails in every release." if version != "0.12" else "Yes, an empty policy passes vacuously."
    )
    assert not F.score(wrong, {**zero.check, "witness_version": version}, ctx).ok


def test_field_facts_match_the_rego_catalogue(ctx: ScoreContext) -> None:
    fact = _fact("attestor/field/git/input.branch")
    assert fact.answer.startswith("`input.branch`")
    assert F.score("Read `input.branch`.", fact.check, ctx).ok
    assert not F.score("Read `input.predicate.ref`.", fact.check, ctx).ok
    fields = [f for f in F.catalogue()["predicate-field"]]
    assert len({f.fid.split("/")[2] for f in fields}) >= 22


def test_subject_facts_come_from_the_core(ctx: ScoreContext) -> None:
    git = _fact("attestor/subjects/git")
    assert "`commithash:...`" in git.answer and "back-reference" in git.answer
    vex = _fact("attestor/subjects/vex")
    assert F.score(vex.answer, vex.check, ctx).ok
    assert not F.score("Yes: vex adds `file:` subjects.", vex.check, ctx).ok


def test_required_group_tasks_are_distinct_groups(made: list) -> None:
    groups = {ex.group for ex in made if ex.group.startswith("facts/required/")}
    assert len(groups) >= 20


# --------------------------------------------------------------------------- review C: defect classes


def _all_facts() -> list[F.Fact]:
    from witness_evals.witness import versions

    return [f for v in versions.NAMES for facts in F.catalogue(v).values() for f in facts]


def _texts(fact: F.Fact) -> list[str]:
    return [fact.answer, *fact.why, *fact.commands]


def test_no_fact_suggests_a_standalone_jwt(ctx: ScoreContext) -> None:
    """REFERENCE §1.2: `-a jwt` always fails from the CLI; JWT claims live inside github/gitlab/gcp-iit."""
    for fact in _all_facts():
        for text in _texts(fact):
            for line in re.findall(r"^witness run .*$", text, re.M):
                assert not re.search(r"-a\s+\S*\bjwt\b|--attestations[= ]\S*\bjwt\b", line), (fact.fid, line)
    name = _fact("attestor/name/jwt")
    assert "always fails" in name.answer and "`github`" in name.answer and "gcp-iit" in name.answer
    assert not F.score("It comes from the `jwt` attestor (run type `prematerial`).", name.check, ctx).ok
    assert F.score(name.answer, name.check, ctx).ok


def test_sbom_type_is_the_sbom_format(ctx: ScoreContext) -> None:
    """Trap 3: inside a collection sbom's type is the SPDX/CycloneDX URI, never the registered one alone."""
    for fact in _all_facts():
        if "witness.dev/attestations/sbom/v0.1" in fact.answer:
            assert "https://spdx.dev/Document" in fact.answer, (fact.fid, fact.answer)
    spdx = _fact("attestor/cliname/spdx")
    assert "https://spdx.dev/Document" in spdx.answer and "sbom.spdx.json" in spdx.answer
    assert "environment,git,sbom" in spdx.answer


def test_product_readers_run_commands_that_write_what_they_read() -> None:
    from witness_evals.generate.facts_attestors import PRODUCT_READERS

    for fact in _all_facts():
        for text in _texts(fact):
            for line in re.findall(r"^witness run .*$", text, re.M):
                for name, (_, cmd, _file) in PRODUCT_READERS.items():
                    if re.search(rf"-a \S*\b{name}\b", line):
                        assert line.endswith(("-- " + cmd, "cyclonedx-json=sbom.cdx.json")), (fact.fid, line)
                        # the kubeconfig/context/server-side-dry-run options are for a configured cluster
                        if name == "k8smanifest" and not re.search(r"kubeconfig|-context|server-side", line):
                            assert "--attestor-k8smanifest-record-cluster-information=false" in line, line
    for name in ("vex", "k8smanifest", "sarif", "sbom"):
        answer = _fact(f"attestor/capture/{name}/0").answer
        assert "wrapped command must write" in answer, answer
    assert "record-cluster-information=false" in _fact("attestor/capture/k8smanifest/1").answer


def test_product_globs_are_about_subjects() -> None:
    for fact in _all_facts():
        assert "keeps matching files out of the products" not in fact.answer
    for fid in ("flag/what/run/attestor-product-exclude-glob", "misc/product-glob-subjects"):
        answer = _fact(fid).answer
        assert "subjects" in answer and "still" in answer, answer


def test_intermediates_examples_carry_the_certificate() -> None:
    for fact in _all_facts():
        for text in _texts(fact):
            for line in re.findall(r"^witness \w+ .*$", text, re.M):
                if "--signer-file-intermediate-paths" in line:
                    assert "--signer-file-cert-path" in line, (fact.fid, line)
    assert "--signer-file-cert-path" in _fact("flag/nonexistent/intermediates").answer


def test_attestor_options_select_their_attestor() -> None:
    """An `--attestor-<x>-*` flag does nothing unless `-a` names x."""
    from witness_evals.witness import cli as cli_spec

    gr = cli_spec.grammar()
    for f in gr.commands["run"].visible_flags:
        ex = F.example_command("run", f.name, gr=gr)
        if ex and f.attestor and f.attestor not in ("product",):
            assert f"-a environment,git,{f.attestor}" in ex, ex


_NEED_VERDICT = re.compile(r"\b(Usually not|Yes|Only when|Only with|Only to|Not strictly)\b")


def test_do_i_need_questions_get_an_answer_about_need(ctx: ScoreContext) -> None:
    """ "Do I need --x?" only where the answer to that question says whether it is needed."""
    for fact in _all_facts():
        if fact.kind != "flag-what":
            continue
        for t, q in enumerate(fact.questions):
            if q.startswith("Do I need"):
                answer = fact.answer_to(t)
                assert re.match(r"(Usually not|Yes|Only|Not strictly|Set it)\b", answer), (fact.fid, answer)
    org = _fact("flag/what/verify/policy-organizations")
    t = next(i for i, q in enumerate(org.questions) if q.startswith("Do I need"))
    for part in ("Usually not", "`[*]`", "--policy-ca-roots", "-k/--publickey"):
        assert part in org.answer_to(t), org.answer_to(t)


def test_need_verdict_only_where_the_question_asks_it() -> None:
    """facts-0-0006568 / 0000668: "`--policy-commonname`: purpose?" was answered "Usually not: ...", and "Explain
    `--publickey`" with "Yes, when ...": a yes/no about need answers a question nobody asked."""
    for fact in _all_facts():
        if fact.kind != "flag-what":
            continue
        for t, q in enumerate(fact.questions):
            if not q.startswith("Do I need"):
                answer = fact.answer_to(t)
                assert not _NEED_VERDICT.search(answer), (fact.fid, q, answer)
    pub = _fact("flag/what/verify/publickey")
    explain = pub.answer_to(pub.questions.index("Explain `witness verify` `--publickey` to me."))
    assert "--policy-ca-roots" in explain and "--policy-ca`" in explain, (
        explain
    )  # the whole group, deprecated too
    common = _fact("flag/what/verify/policy-commonname")
    purpose = common.answer_to(common.questions.index("`--policy-commonname` (`witness verify`): purpose?"))
    assert "`*` accepts any value" in purpose and "--policy-ca-roots" in purpose, purpose


def test_no_text_is_glued_to_a_code_fence() -> None:
    for seed in range(1500):
        ex = F.make(random.Random(seed))
        for text in (ex.question, ex.answer):
            open_ = False
            for line in text.splitlines():
                if "```" in line:
                    assert re.fullmatch(r"```[a-z]*" if not open_ else r"```", line), text
                    open_ = not open_
            assert not open_, text


# --------------------------------------------------------------------------- review D


@pytest.mark.parametrize("bad", ["SHA256", "sha-256", "SHA-256"])
def test_sha256_spellings_are_not_answered_no(bad: str, ctx: ScoreContext) -> None:
    """SHA-256 is the default digest; only the spelling is rejected (REFERENCE §2.2, §8 trap 9)."""
    from witness_evals.witness import versions

    fact = _fact(f"digest/spelling/{bad}")
    assert not re.match(r"(?i)\W*no\b", fact.answer)
    assert "default" in fact.answer and "`sha256`" in fact.answer
    assert "sha1" not in fact.answer.split("```")[1]  # the example only shows what was asked about
    check = fact.check
    old = (
        f"No: `{bad}` is not a supported hash name (`unsupported hash function: {bad}`). Only `sha256`, "
        "`sha1`, `gitoid:sha256`, `gitoid:sha1`, `dirHash` exist (case-sensitive)."
    )
    assert not terms.score_terms(old, check, versions.LATEST).ok
    for seed in range(10):
        assert terms.score_terms(F.compose(random.Random(seed), fact, _grammar()), check, versions.LATEST).ok


def _grammar() -> Any:
    from witness_evals.witness import cli

    return cli.grammar()


def test_claim_fields_are_not_sent_to_the_schema_command() -> None:
    """`witness attestors schema github` types `jwt.claims` as `{"type": "object"}`: it shows no claim name."""
    claims = [f for f in _all_facts() if f.kind == "predicate-field" and ".jwt.claims." in f.fid]
    assert claims
    for fact in claims:
        for seed in range(6):
            text = F.compose(random.Random(seed), fact, _grammar())
            assert not re.search(r"^witness attestors schema", text, re.M), fact.fid
        assert "jq -r .payload" in fact.answer
        sentences = [s for s in re.split(r"(?<=\.)\s+", fact.answer) if len(s) > 20]
        assert len(sentences) == len(set(sentences)), fact.fid


def test_no_answer_appends_a_lookup_block(made: list) -> None:
    """`--help` / `attestors list|schema` blocks are filler a model copies instead of the fact: never a block of
    their own; bash blocks appear mainly where the question is about using a command."""
    from witness_evals.bench.answers import code_blocks

    with_block = 0
    for ex in made:
        blocks = [body for lang, body in code_blocks(ex.answer) if lang == "bash"]
        for body in blocks:
            lines = [ln for ln in body.splitlines() if ln.strip()]
            assert not all(F.LOOKUP_COMMAND.match(ln) for ln in lines), ex.answer
        with_block += bool(blocks)
        assert not re.search(r"(?m)^(Try|To see it on your installation|You can check it with):", ex.answer)
    assert with_block < len(made) // 2  # was 72 % of facts answers


def test_every_question_gets_an_answer_that_leads_with_the_fact(ctx: ScoreContext) -> None:
    from witness_evals.witness import cli

    for version in ("0.10", "0.11", "0.12"):
        gr = cli.grammar(version)
        for facts in F.catalogue(version).values():
            for fact in facts:
                for t in range(len(fact.questions)):
                    text = F.compose(random.Random(t), fact, gr, t)
                    assert text.startswith(fact.answer_to(t)), (fact.fid, t)
                    assert F.score(text, {**fact.check, "witness_version": version}, ctx).ok, (fact.fid, t)


@pytest.mark.parametrize(
    ("fid", "question", "start"),
    [
        ("misc/search-depth", "Does `witness verify` have a `--search-depth` option?", "No"),
        ("misc/search-depth", "How many rounds of backref search does `witness verify` do?", "Three"),
        (
            "misc/certconstraint-omitted",
            "Are omitted certConstraint fields wildcards in witness policies?",
            "No",
        ),
        ("misc/command-run-builtin", "Do I need `-a command-run` to record the command of a step?", "No"),
        (
            "misc/policy-timestamp-servers",
            "Can I give `--policy-timestamp-servers` the TSA URL I used when signing?",
            "No",
        ),
        (
            "misc/policy-check-availability",
            "Which witness releases have `witness policy check`?",
            "witness v0.10.2",
        ),
        ("misc/a-replaces-defaults", "Does `witness run -a slsa` still record environment and git?", "No"),
        (
            "wire/statement-type",
            "Is the `_type` of witness statements `https://in-toto.io/Statement/v1`?",
            "No",
        ),
        (
            "attestor/type/k8smanifest",
            "Is the type of a k8smanifest attestation `https://witness.dev/attestations/k8smanifest/v0.1`?",
            "No",
        ),
    ],
)
def test_yes_no_questions_are_answered_yes_or_no_first(fid: str, question: str, start: str) -> None:
    fact = _fact(fid)
    assert fact.answer_to(fact.questions.index(question)).startswith(start)


@pytest.mark.parametrize(
    "fid",
    [
        "misc/search-depth",
        "misc/certconstraint-omitted",
        "misc/exitcode-rule",
        "misc/material-bare-map",
        "misc/subject-by-digest",
        "misc/policy-timestamp-servers",
        "misc/command-run-builtin",
        "misc/policy-check-availability",
        "misc/sbom-type",
        "wire/collection-type",
        "wire/statement-type",
        "keyid/how",
        "attestor/type/k8smanifest",
    ],
)
def test_facts_people_get_wrong_have_many_questions(fid: str) -> None:
    assert len(set(_fact(fid).questions)) >= 9


def test_scenario_questions_paste_what_witness_prints() -> None:
    from witness_evals.witness.versions import (
        DOTWITNESS_ERROR,
        EMPTY_ATTESTATIONS_ERROR,
        NO_ARTIFACT_OVERLAP_ERROR,
    )

    questions = "\n".join(q for facts in F.catalogue().values() for f in facts for q in f.questions)
    for printed in (
        "unknown flag: --search-depth",
        "no verifiers matched with allowed functionaries",
        "is not a collection predicate type",
        "public key in policy has expected key id",
        "failed to verify policy: policy verification failed",
        "no verifiers present to validate against collection verifiers",
        DOTWITNESS_ERROR,
        EMPTY_ATTESTATIONS_ERROR.format(step="release"),
        NO_ARTIFACT_OVERLAP_ERROR,
    ):
        assert f"`{printed}" in questions or printed in questions, printed
    # a certificate constraint's own reasons go to the warnings of a collection, which witness logs only
    # (at debug level) for collections that passed: a user of a failing step never sees them
    for unseen in ("not expecting any", "cert failed constraints check"):
        assert unseen not in questions, unseen


def test_facts_keep_more_paraphrases_hot_ones_the_most() -> None:
    """Misconceptions 12x the cap, the other facts people get wrong 4x, the rest 2x."""
    assert F.max_per_group("facts/misc/search-depth", 3) == 36
    assert F.max_per_group("facts/wire/statement-type", 3) == 12
    assert F.max_per_group("facts/keyid/how", 2) == 8
    assert F.max_per_group("facts/attestor/type/k8smanifest", 3) == 12
    assert F.max_per_group("facts/flag/what/run/step", 3) == 6
    assert F.max_per_group("facts/attestor/capture/git/0", 3) == 6


# --------------------------------------------------------------------------- audit of generated facts


def test_global_flag_questions_and_why_fit_a_persistent_flag() -> None:
    """facts-0-0019163: "the any witness command flag `--config`", answered "Shorthands are defined per
    subcommand", with `--config` (not `-c`) in the example: `-c/--config` is a persistent root flag (witness
    options/root.go), the same on every subcommand."""
    for fid in ("flag/long2short/global/config", "flag/short/global/c", "flag/what/global/config"):
        fact = _fact(fid)
        for q in fact.questions:
            assert "any witness command" not in q, q
        assert not any("per subcommand" in w or "Flags belong to a subcommand" in w for w in fact.why), (
            fact.why
        )
        assert any("Global" in w or "global" in w for w in fact.why), fact.why
    for fid in ("flag/long2short/global/config", "flag/short/global/c"):
        fact = _fact(fid)
        assert "global flag" in fact.answer, fact.answer
        assert "witness -c " in fact.answer and "--config" not in fact.answer.split("```")[1], fact.answer
    # a subcommand's shorthand fact shows the shorthand too, and keeps the per-subcommand reason
    run_s = _fact("flag/long2short/run/step")
    assert " -s " in run_s.answer.split("```")[1] and "--step" not in run_s.answer.split("```")[1], (
        run_s.answer
    )
    assert any("per subcommand" in w for w in run_s.why), run_s.why


def test_run_on_descriptions_keep_acronyms() -> None:
    """facts-0-0002861: "what flag does this: hTTP/REST mode for Fulcio?"."""
    fact = _fact("flag/which/run/signer-fulcio-use-http")
    assert all("hTTP" not in q for q in fact.questions), fact.questions
    assert "In `witness run`, what flag does this: HTTP/REST mode for Fulcio?" in fact.questions
    # an ordinary first word is still lowered
    pub = _fact("flag/which/verify/publickey")
    assert "Name the `witness verify` flag for: path to the policy signer's public key." in pub.questions
    for facts in F.catalogue().values():
        for f in facts:
            if f.kind == "flag-which":
                assert not any(re.search(r": [a-z][A-Z]", q) for q in f.questions), f.questions


def test_field_questions_name_the_field() -> None:
    """facts-0-0008779: "how do I read the string "true" or "false"?" names no field."""
    fact = _fact("attestor/field/github/input.jwt.claims.ref_protected")
    for q in fact.questions:
        assert "ref_protected" in q, q
        assert not re.search(r"(read|keep|for|holds|need|is) the string ", q), q
    for facts in F.catalogue().values():
        for f in facts:
            if f.kind == "predicate-field":
                for q in f.questions:
                    assert not re.search(
                        r"\b(read|keep|for|holds|need|is) (the string |iterates |`[^`]+` or )", q
                    ), q


@pytest.mark.parametrize("name", ["sarif", "sbom", "vex", "oci"])
def test_product_note_names_both_errors_and_offers_the_command_as_an_example(name: str) -> None:
    """facts-0-0006754: with no products at all go-witness fails with `no products to attest` (attestation/sarif/
    sarif.go getCandidate), not `no sarif file found`; and the wrapped command is ours, not the user's."""
    from witness_evals.generate.facts_attestors import product_note

    note = product_note(name)
    assert "no products to attest" in note and "file found" in note, note
    assert "for example `" in note and ", here `" not in note, note
    capture = _fact(f"attestor/capture/{name}/0")
    assert "no products to attest" in capture.answer, capture.answer


def test_gcp_iit_capture_answer_carries_the_panic_caveat() -> None:
    """facts-0-0007712 offered `-a gcp-iit` for "the GCP VM identity of our runner" with no caveat, while the needs
    answer says a plain GCE VM's token makes it panic (go-witness attestation/gcp-iit/gcp-iit.go Attest)."""
    needs = _fact("attestor/needs/gcp-iit")
    assert "panic" in needs.answer
    for i in (0, 1):
        capture = _fact(f"attestor/capture/gcp-iit/{i}")
        assert "panic" in capture.answer and "GKE Workload Identity" in capture.answer, capture.answer


def test_export_misconception_never_advises_keeping_link_or_slsa_in_the_collection() -> None:
    """An unexported link or slsa predicate (protobuf Structs over plain encoding/json) makes the collection
    unreadable for `witness verify` (docs/reference-corrections.md): "drop the export flag" is only a fix for
    sbom."""
    facts = {f.fid: f for f in misconception_facts(cli_spec.grammar())}
    for name in ("link", "slsa"):
        answer = facts[f"misc/export-not-in-collection/{name}"].answer
        assert "drop the export flag" not in answer.lower() and "keep the export" in answer
    assert "drop the export flag" in facts["misc/export-not-in-collection/sbom"].answer


def test_rego_path_facts_on_slsa_and_link_say_when_witness_runs_the_rule() -> None:
    facts = field_facts(cli_spec.grammar())
    slsa = [f for f in facts if f.fid.startswith("attestor/field/slsa/")]
    link = [f for f in facts if f.fid.startswith("attestor/field/link/")]
    assert slsa and link
    assert all("never runs Rego" in f.answer for f in slsa)
    assert all("`environment`" in f.answer for f in link)
