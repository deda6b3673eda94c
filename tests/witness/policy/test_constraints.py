"""Certificate constraints and Functionary.Validate (constraints.py), against real x509 certificates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from witness_evals.witness import crypto, x509
from witness_evals.witness.constraints import (
    CertConstraint,
    GlobError,
    check_attribute,
    glob_match,
    go_quote_ascii,
    go_quote_list,
    validate_functionary,
)
from witness_evals.witness.policy import Functionary, Root, parse_policy, trust_bundles

NOW = datetime(2030, 6, 1, tzinfo=UTC)


ALL = CertConstraint(
    common_name="*", dns_names=["*"], emails=["*"], organizations=["*"], uris=["*"], roots=["*"]
)

# ------------------------------------------------------------------ attribute rules


def test_sole_star_is_wildcard() -> None:
    assert check_attribute("email", ["*"], ["a@b", "c@d"]) is None
    assert check_attribute("email", ["*"], []) is None


def test_star_with_others_is_literal() -> None:
    err = check_attribute("email", ["*", "a@b"], ["a@b"])
    assert err == 'cert with email(s) ["a@b"]Did not pass all constraints ["*" "a@b"]'


def test_partial_glob_is_not_supported() -> None:
    assert check_attribute("email", ["*@example.com"], ["me@example.com"]) == (
        'cert has an unexpected email me@example.com given constraints ["*@example.com"]'
    )


def test_exact_set_equality() -> None:
    assert check_attribute("uri", ["u1", "u2"], ["u2", "u1"]) is None
    assert (
        check_attribute("uri", ["u1", "u2"], ["u1"])
        == 'cert with uri(s) ["u1"]Did not pass all constraints ["u1" "u2"]'
    )
    assert (
        check_attribute("uri", ["u1"], ["u1", "u3"])
        == 'cert has an unexpected uri u3 given constraints ["u1"]'
    )


def test_empty_means_none() -> None:
    assert check_attribute("email", [], []) is None
    assert check_attribute("email", [], ["a@b"]) == "not expecting any email(s), but cert has 1 email(s)"
    assert check_attribute("common name", [""], [""]) is None
    assert (
        check_attribute("common name", [""], ["x"])
        == "not expecting any common name(s), but cert has 1 common name(s)"
    )


def test_roots_rule() -> None:
    ident = x509.CertIdentity(common_name="x")
    cc = CertConstraint(common_name="*", roots=["*"])
    assert cc.check(ident, {"r1"}) == []
    assert cc.check(ident, set()) == ['cert doesn\'t belong to any root specified by constraint ["*"]']
    cc = CertConstraint(common_name="*", roots=["r2"])
    assert cc.check(ident, {"r1"}) == ['cert doesn\'t belong to any root specified by constraint ["r2"]']
    assert cc.check(ident, {"r1", "r2"}) == []
    assert CertConstraint(common_name="*", roots=[]).check(ident, {"r1"}) == [
        "cert doesn't belong to any root specified by constraint []"
    ]


def test_all_errors_collected_in_go_order() -> None:
    ident = x509.CertIdentity(common_name="cn", emails=("a@b",), uris=("https://x",))
    errs = CertConstraint(roots=["r"]).check(ident, set())
    assert errs == [
        "not expecting any common name(s), but cert has 1 common name(s)",
        "not expecting any email(s), but cert has 1 email(s)",
        "not expecting any uri(s), but cert has 1 uri(s)",
        'cert doesn\'t belong to any root specified by constraint ["r"]',
    ]


def test_extension_globs() -> None:
    ident = x509.CertIdentity(
        extensions={"Issuer": "https://token.actions.githubusercontent.com", "BuildTrigger": "push"}
    )
    ok = CertConstraint(
        common_name="*",
        roots=["*"],
        extensions={"Issuer": "https://token.actions.githubusercontent.com", "BuildTrigger": "{push,tag}"},
    )
    assert ok.check(ident, {"r"}) == []
    bad = CertConstraint(
        common_name="*", roots=["*"], extensions={"Issuer": "https://*.gitlab.com", "BuildTrigger": "tag"}
    )
    # Go stops at the first mismatching field (struct order: Issuer before BuildTrigger)
    assert bad.check(ident, {"r"}) == ['cert field Issuer doesn\'t match constraint "https://*.gitlab.com"']
    missing = CertConstraint(common_name="*", roots=["*"], extensions={"RunnerEnvironment": "github-hosted"})
    assert missing.check(ident, {"r"}) == [
        'cert field RunnerEnvironment doesn\'t match constraint "github-hosted"'
    ]
    star = CertConstraint(common_name="*", roots=["*"], extensions={"RunnerEnvironment": "*"})
    assert star.check(ident, {"r"}) == []


def test_invalid_glob_is_reported_not_raised() -> None:
    cc = CertConstraint(common_name="*", roots=["*"], extensions={"Issuer": "[abc"})
    (err,) = cc.check(x509.CertIdentity(extensions={"Issuer": "a"}), {"r"})
    assert err.startswith('invalid glob "[abc" for cert field Issuer')


# ------------------------------------------------------------------ glob engine


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("*", "", True),
        ("*", "anything/with/slashes", True),
        ("a*c", "abbbc", True),
        ("a*c", "abbbd", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("[abc]x", "bx", True),
        ("[!abc]x", "bx", False),
        ("[!abc]x", "dx", True),
        ("[a-c]", "b", True),
        ("[a-c]", "d", False),
        ("[!a-c]", "d", True),
        ("{foo,bar}-*", "bar-1", True),
        ("{foo,bar}-*", "baz-1", False),
        ("{a,{b,c}d}", "cd", True),
        ("{a,}x", "x", True),
        ("\\*", "*", True),
        ("\\*", "a", False),
        ("refs/heads/{main,release-*}", "refs/heads/release-1.2", True),
        (
            "https://github.com/org/*",
            "https://github.com/org/repo/.github/workflows/x.yml@refs/heads/main",
            True,
        ),
    ],
)
def test_glob(pattern: str, text: str, expected: bool) -> None:
    assert glob_match(pattern, text) is expected


@pytest.mark.parametrize("pattern", ["[abc", "{a,b", "x\\", "[]", "[z-a]", "a" * 5000])
def test_glob_errors(pattern: str) -> None:
    with pytest.raises(GlobError):
        glob_match(pattern, "a")


def test_glob_is_linear_on_hostile_pattern() -> None:
    import time

    start = time.perf_counter()
    assert not glob_match("*a" * 200 + "b", "a" * 3000)
    assert time.perf_counter() - start < 5.0


@settings(max_examples=200, deadline=None)
@given(st.text("ab*?", max_size=8), st.text("ab", max_size=10))
def test_glob_agrees_with_fnmatch_on_common_subset(pattern: str, text: str) -> None:
    import fnmatch

    assert glob_match(pattern, text) == fnmatch.fnmatchcase(text, pattern)


def test_go_quote() -> None:
    assert go_quote_ascii('a"b\\c\n') == '"a\\"b\\\\c\\n"'
    assert go_quote_ascii("é😀\x01") == '"\\u00e9\\U0001f600\\x01"'
    assert go_quote_list([]) == "[]"
    assert go_quote_list(["a", "b"]) == '["a" "b"]'


# ------------------------------------------------------------------ Functionary.Validate, real PKI


@pytest.fixture(scope="module")
def pki() -> dict[str, object]:
    nb, na = NOW - timedelta(days=365), NOW + timedelta(days=3650)
    root_key = crypto.generate_private_key("ecdsa-p256", seed=1)
    root = x509.make_ca("Test Root", root_key, not_before=nb, not_after=na)
    inter_key = crypto.generate_private_key("ecdsa-p256", seed=2)
    inter = x509.make_ca(
        "Test Intermediate", inter_key, not_before=nb, not_after=na, issuer=root, issuer_key=root_key
    )
    other_key = crypto.generate_private_key("ed25519", seed=3)
    other = x509.make_ca("Other Root", other_key, not_before=nb, not_after=na)
    leaf_key = crypto.generate_private_key("ecdsa-p256", seed=4)
    leaf = x509.make_leaf(
        leaf_key.public_key(),
        inter,
        inter_key,
        not_before=NOW - timedelta(minutes=1),
        not_after=NOW + timedelta(minutes=9),
        emails=["builder@example.com"],
        extensions={"Issuer": "https://token.actions.githubusercontent.com", "BuildTrigger": "push"},
    )
    roots = {
        "fulcio": Root(certificate=x509.cert_pem(root), intermediates=[x509.cert_pem(inter)]),
        "other": Root(certificate=x509.cert_pem(other)),
    }
    return {
        "bundles": trust_bundles(roots),
        "leaf": leaf,
        "verifier": crypto.Verifier(leaf_key.public_key(), leaf),
    }


def _functionary(**cc: object) -> Functionary:
    policy, _ = parse_policy({"steps": {"s": {"functionaries": [{"type": "root", "certConstraint": cc}]}}})
    return policy.steps["s"].functionaries[0]


def test_x509_functionary_accepted(pki: dict[str, object]) -> None:
    f = _functionary(
        commonname="*",
        emails=["builder@example.com"],
        roots=["fulcio"],
        extensions={"issuer": "https://token.actions.*"},
    )
    assert validate_functionary(f, pki["verifier"], trust_bundles=pki["bundles"], at=NOW) is None  # type: ignore[arg-type]


def test_x509_functionary_wrong_root(pki: dict[str, object]) -> None:
    verifier = pki["verifier"]
    f = _functionary(commonname="*", emails=["*"], roots=["other"])
    err = validate_functionary(f, verifier, trust_bundles=pki["bundles"], at=NOW)  # type: ignore[arg-type]
    assert err == (
        f"verifier with ID {verifier.keyid} doesn't meet certificate constraint: cert failed constraints check: "  # type: ignore[attr-defined]
        '["cert doesn\'t belong to any root specified by constraint [\\"other\\"]"]'
    )


def test_x509_functionary_expired_cert_does_not_chain(pki: dict[str, object]) -> None:
    f = _functionary(commonname="*", emails=["*"], roots=["*"])
    later = NOW + timedelta(hours=1)
    err = validate_functionary(f, pki["verifier"], trust_bundles=pki["bundles"], at=later)  # type: ignore[arg-type]
    assert err is not None and "doesn't belong to any root" in err


def test_omitted_emails_reject_fulcio_cert(pki: dict[str, object]) -> None:
    f = _functionary(commonname="*", roots=["fulcio"])  # trap 12
    err = validate_functionary(f, pki["verifier"], trust_bundles=pki["bundles"], at=NOW)  # type: ignore[arg-type]
    assert err is not None and "not expecting any email(s), but cert has 1 email(s)" in err


def test_no_roots_in_functionary(pki: dict[str, object]) -> None:
    verifier = pki["verifier"]
    f = _functionary(commonname="*", emails=["*"])
    assert validate_functionary(f, verifier, trust_bundles=pki["bundles"], at=NOW) == (  # type: ignore[arg-type]
        f"verifier with ID {verifier.keyid} is an x509 verifier, but no trusted roots provided in functionary"  # type: ignore[attr-defined]
    )
    assert validate_functionary(Functionary(type="root"), verifier) is not None


def test_publickeyid_matches_any_verifier(pki: dict[str, object]) -> None:
    verifier = pki["verifier"]
    f = Functionary(type="publickey", publickeyid=verifier.keyid)  # type: ignore[attr-defined]
    assert validate_functionary(f, verifier) is None


def test_key_verifier_not_matching() -> None:
    key = crypto.generate_private_key("ed25519", seed=9)
    verifier = crypto.Verifier(key.public_key())
    f = Functionary(type="publickey", publickeyid="other")
    assert (
        f.validate(verifier)
        == f"verifier with ID {verifier.keyid} is not a public key verifier or a x509 verifier"
    )


def test_chained_root_ids_given_directly(pki: dict[str, object]) -> None:
    f = _functionary(commonname="*", emails=["*"], roots=["fulcio"])
    assert validate_functionary(f, pki["verifier"], chained_root_ids={"fulcio"}) is None
    assert validate_functionary(f, pki["verifier"], chained_root_ids=set()) is not None
