"""Audit 9 of the `commands` and `traps` families: each test fails on the generator before its fix.

- fix/rename/sign/output said "Without `-o` the signed envelope would be printed to stdout" for `witness sign`:
  witness options/sign.go:28-31 (RequiredSignFlags = infile, outfile) and :41 (`MarkFlagsRequiredTogether`) make
  cobra refuse `-f` without `-o` (only the flag's help, :37, says "Defaults to stdout");
- traps sbom-type said `.../sbom/v0.1` is "a type the sbom attestor keeps only when no SBOM file is among the
  products": go-witness v0.12.0 attestation/sbom/sbom.go getCandidate fails with `no products to attest` (152) or
  `no SBOM file found` (225) and otherwise sets the SPDX/CycloneDX type (159-161), and a failing attestor fails
  the run (run.go 141, 187), so no collection ever carries that type;
- traps expires/past said "Expiry is the first thing `witness verify` checks": attestation/policyverify/
  policyverify.go verifies the policy signature (149), unmarshals it (156), checks the key ids (160) and loads
  the trust bundles (170, 182) before `pol.Verify` (202) compares `expires` (policy/policy.go:228);
- commands/ci: a GitHub Actions file without `id-token: write` (or a GitLab job without `id_tokens`) passed the
  check although witness then has no OIDC token: signer/fulcio/fulcio.go:273-277 (`ACTIONS_ID_TOKEN_REQUEST_URL
  is not set`), attestation/github/github.go:109 and 142 (`fetchToken` from the same variables);
- keyless answers add a TSA the request never names, and the check wanted exactly that invented URL: any RFC
  3161 server is right (witness cmd/run.go `timestamp.NewTimestamper(TimestampWithUrl(url))` for each value);
- `--env-add-sensitive-key` requests said `NPM_TOKEN`, `SONAR_TOKEN`, `ARTIFACTORY_API_KEY`, `*_PASSWORD`,
  `*_SECRET` are not on witness's sensitive list: go-witness v0.12.0 environment/sensitive_env_vars.go:24-30
  (`*TOKEN*`, `*SECRET*`, `*API_KEY*`, `*PASSWORD*` ...) and obfuscate.go:29-52 (gobwas glob match) cover them.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate import traps_cases as C
from witness_evals.generate.example import Example
from witness_evals.generate.families import cli_usage as F
from witness_evals.generate.families.cli_usage import fix, names, run_plan
from witness_evals.generate.families.cli_usage.sign_verify import required_together_message
from witness_evals.generate.worlds import policy as W
from witness_evals.witness import versions
from witness_evals.witness.attestors.environment import SENSITIVE_GLOBS, is_sensitive

RELEASE = versions.get(versions.DEFAULT)


def _examples(kind: str, want: int, pred: Any, limit: int = 400) -> list[Example]:
    out = []
    for seed in range(limit):
        ex = F.make_kind(random.Random(f"audit9:{kind}:{seed}"), kind, RELEASE)
        if pred(ex):
            out.append(ex)
            if len(out) == want:
                break
    assert out, f"no {kind} example with that property"
    return out


# ----------------------------------------------------------------------------- sign -o


def test_sign_rename_output_note_does_not_promise_stdout() -> None:
    """`witness run` without `-o` does write to stdout (witness cmd/root.go loadOutfile); `sign` never does."""
    seen = {"rename/sign/output": 0, "rename/run/output": 0}
    for seed in range(400):
        m = fix._rename(random.Random(seed), RELEASE)
        if m.mid not in seen:
            continue
        seen[m.mid] += 1
        text = " ".join(m.why)
        if m.mid == "rename/run/output":
            assert "stdout" in text, text
            continue
        assert "would be printed to stdout" not in text, text
        assert required_together_message(RELEASE) in text, text
    assert min(seen.values()) >= 2, seen


# ----------------------------------------------------------------------------- traps texts


def _cases(name: str, n: int = 12) -> list[Any]:
    k = next(k for k in C.KINDS if k.name == name)
    out = []
    for i in range(n):
        w = W.policy_world(k.spec(i))
        out.append(k.make(random.Random(f"{name}:{i}"), w, RELEASE))
    return out


def test_sbom_type_never_says_the_registered_type_is_kept() -> None:
    for case in _cases("sbom-type", 4):
        text = " ".join([*case.heads, *case.reasons])
        assert "keeps only when" not in text, text
        assert any("no SBOM file found" in h for h in case.heads), case.heads


def test_expired_policy_reason_does_not_put_expiry_first() -> None:
    past = [c for c in _cases("expires", 30) if c.flagged == "expired on"]
    assert past
    for case in past:
        for reason in case.reasons:
            assert "first thing" not in reason, reason


# ----------------------------------------------------------------------------- CI OIDC token


def _strip_grant(answer: str, system: str) -> str:
    if system == "github":
        return re.sub(r"permissions:\n(  .*\n)+", "", answer)
    return re.sub(r"  id_tokens:\n(    .*\n)+", "", answer)


@pytest.mark.parametrize("system", ["github", "gitlab"])
def test_ci_file_must_grant_the_oidc_token(ctx: ScoreContext, system: str) -> None:
    def needs_token(ex: Example) -> bool:
        return ex.template.startswith(f"commands/ci/{system}/") and "file_must" in ex.check

    for ex in _examples("ci", 3, needs_token, limit=600):
        assert F.score(ex.answer, ex.check, ctx).ok
        bad = _strip_grant(ex.answer, system)
        assert bad != ex.answer
        res = F.score(bad, ex.check, ctx)
        assert not res.ok, bad
        assert "id-token" in res.reason or "id_tokens" in res.reason
        assert not F.score(bad.replace("```yaml", "```yml"), ex.check, ctx).ok


# ----------------------------------------------------------------------------- keyless TSA


@pytest.mark.parametrize("kind", ["run", "sign", "ci", "ci-line"])
def test_keyless_tsa_the_request_never_names_may_be_any(ctx: ScoreContext, kind: str) -> None:
    def invented_tsa(ex: Example) -> bool:
        urls = ex.check["expect"]["flags"].get("timestamp-servers") or []
        return (
            bool(urls) and "signer-fulcio-url" in ex.check["expect"]["flags"] and urls[0] not in ex.question
        )

    for ex in _examples(kind, 2, invented_tsa, limit=800):
        (url,) = ex.check["expect"]["flags"]["timestamp-servers"]
        other = (
            "https://tsa.example.net/tsr"
            if url != "https://tsa.example.net/tsr"
            else "https://freetsa.org/tsr"
        )
        assert F.score(ex.answer.replace(url, other), ex.check, ctx).ok, ex.check
        dropped = re.sub(r"\s*(--timestamp-servers|-t)[ =]" + re.escape(url), "", ex.answer)
        assert not F.score(dropped, ex.check, ctx).ok


# ----------------------------------------------------------------------------- sensitive keys


def _expand(key: str) -> str:
    return key.replace("*", "ACME")


@pytest.mark.parametrize("key", names.SENSITIVE)
def test_extra_sensitive_keys_are_not_already_on_the_default_list(key: str) -> None:
    assert not is_sensitive(_expand(key)), key
    # a glob the user adds must not be a special case of a default glob either
    assert all(not re.fullmatch(g.replace("*", ".*"), key) for g in SENSITIVE_GLOBS), key


def test_env_add_requests_never_claim_a_covered_key() -> None:
    for seed in range(300):
        rng = random.Random(seed)
        p = run_plan.RunPlan()
        run_plan._options(rng, _Project(), p, extras=[], count=11)
        for name, value in p.flags:
            if name == "env-add-sensitive-key":
                assert not is_sensitive(_expand(value[0])), value


class _Work:
    language = "go"
    products = ("bin/app",)


class _Project:
    org = "acme"
    name = "app"
    work = _Work()


def test_fixes_that_select_slsa_or_link_export_them() -> None:
    """A fixed `witness run` that selects slsa or link exports it: kept in the collection, either makes it
    unreadable for `witness verify` (go-witness v0.12.0 attestation/slsa/slsa.go:271-280, link/link.go:142-151);
    the user's broken command is left as they wrote it (no export flag they never had)."""
    import random as _random

    from witness_evals.generate.families.cli_usage import fix
    from witness_evals.witness import versions as _versions

    seen = 0
    for maker in (fix._dropped_defaults, fix._misspelled, fix._rename):
        for seed in range(300):
            m = maker(_random.Random(seed), _versions.LATEST)
            picked = m.fixed.get("attestations") or []
            for x in ("slsa", "link"):
                if x in picked:
                    seen += 1
                    assert m.fixed.get(f"attestor-{x}-export") is True, m.fixed.flags
                    assert m.broken.get(f"attestor-{x}-export") is None, m.broken.flags
                    assert any(f"--attestor-{x}-export" in w for w in m.why), m.why
    assert seen > 20
