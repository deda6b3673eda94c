"""pflag/cobra parsing forms, Go value parsers and shell tokenisation of the command analyser."""

from __future__ import annotations

import pytest

from witness_evals.witness.cli import parse_command
from witness_evals.witness.cli.shell import split_commands
from witness_evals.witness.cli.values import parse_go_bool, parse_go_duration, parse_go_int, split_csv

RUN = "witness run -s build -k key.pem"


@pytest.mark.parametrize(
    "text",
    [
        "witness run --step=build --signer-file-key-path=key.pem --outfile=o.json -- make",
        "witness run --step build --signer-file-key-path key.pem --outfile o.json -- make",
        "witness run -s build -k key.pem -o o.json -- make",
        "witness run -sbuild -kkey.pem -oo.json -- make",
        "witness run -s=build -k=key.pem -o=o.json -- make",
        "witness -l debug run -s build -k key.pem -o o.json -- make",
        "witness run -- make -s build -k key.pem -o o.json",
    ],
)
def test_equivalent_flag_spellings(text: str) -> None:
    a = parse_command(text)
    if text.endswith("o.json"):  # everything after `--` is the command, not flags
        assert not a.valid and a.command == ["make", "-s", "build", "-k", "key.pem", "-o", "o.json"]
        return
    assert a.valid, [i.to_dict() for i in a.issues]
    assert (a.step, a.signer_key, a.outfile, a.command) == ("build", "key.pem", "o.json", ["make"])


def test_bool_forms_and_combined_shorts() -> None:
    assert parse_command(f"{RUN} -r -- make").flags["trace"] is True
    assert parse_command(f"{RUN} --trace=false -- make").flags["trace"] is False
    assert parse_command(f"{RUN} -r=0 -- make").flags["trace"] is False
    combined = parse_command("witness run -rs build -k key.pem -- make")
    assert combined.flags["trace"] is True and combined.step == "build"
    bad = parse_command(f"{RUN} --trace=yes -- make")
    assert not bad.valid and "strconv.ParseBool" in bad.issues[0].message
    separated = parse_command(f"{RUN} --trace false")
    assert not separated.valid and separated.command == ["false"]
    assert any(i.code == "bool-value-separated" for i in separated.issues)


def test_strings_flags_repeat_and_split_on_commas() -> None:
    a = parse_command(f"{RUN} -a slsa,link -a sbom --hashes sha256 --hashes sha1 -- make")
    assert a.flags["attestations"] == ["slsa", "link", "sbom"]
    assert a.hashes == ["sha256", "sha1"]
    quoted = parse_command(f"{RUN} --dirhash-glob '\"a,b\",c' -- make")
    assert quoted.flags["dirhash-glob"] == ["a,b", "c"]
    arr = parse_command(f"{RUN} --archivista-headers 'A: 1,2' --archivista-headers B:3 -- make")
    assert arr.flags["archivista-headers"] == ["A: 1,2", "B:3"]


def test_repeated_single_value_flag_keeps_last() -> None:
    a = parse_command(f"{RUN} -s other -- make")
    assert a.step == "other"
    assert any(i.code == "repeated-flag" and i.severity == "warning" for i in a.issues)
    scan = parse_command(
        f"{RUN} -a secretscan --attestor-secretscan-allowlist-regex a --attestor-secretscan-allowlist-regex b -- make"
    )
    assert "only one allowlist entry" in " ".join(i.message for i in scan.issues)


@pytest.mark.parametrize(
    ("flag", "value", "ok"),
    [
        ("--attestor-secretscan-max-file-size-mb", "20", True),
        ("--attestor-secretscan-max-file-size-mb", "0x10", True),
        ("--attestor-secretscan-max-file-size-mb", "1_000", True),
        ("--attestor-secretscan-max-file-size-mb", "ten", False),
        ("--attestor-secretscan-max-file-size-mb", "1.5", False),
        ("--signer-vault-ttl", "1h30m", True),
        ("--signer-vault-ttl", "300ms", True),
        ("--signer-vault-ttl", "10", False),
        ("--signer-vault-ttl", "1d", False),
    ],
)
def test_value_types(flag: str, value: str, ok: bool) -> None:
    attestor = "-a secretscan " if "secretscan" in flag else ""
    signer = "--signer-vault-url https://v --signer-vault-role r" if "vault" in flag else "-k key.pem"
    a = parse_command(f"witness run -s build {signer} {attestor}{flag} {value} -- make")
    assert a.valid == ok, [i.to_dict() for i in a.issues]
    if not ok:
        assert any(i.code == "bad-value" for i in a.issues)


def test_go_value_parsers() -> None:
    assert parse_go_bool("T") is True and parse_go_bool("0") is False and parse_go_bool("yes") is None
    assert (
        parse_go_int("010") == 8
        and parse_go_int("-0b101") == -5
        and parse_go_int("9223372036854775808") is None
    )
    assert parse_go_int("_1") is None and parse_go_int("1__0") is None and parse_go_int("") is None
    assert parse_go_duration("0") == 0 and parse_go_duration("1.5h") == 5_400_000_000_000
    assert parse_go_duration("-2m3s") == -123_000_000_000 and parse_go_duration("2µs") == 2000
    assert (
        parse_go_duration(".s") is None and parse_go_duration("1") is None and parse_go_duration("") is None
    )
    assert split_csv("a,b") == ["a", "b"] and split_csv("") == [] and split_csv('"a""b"') == ['a"b']
    assert split_csv('a"b') is None and split_csv('"a') is None and split_csv("a,") == ["a", ""]


def test_missing_value_and_value_that_looks_like_a_flag() -> None:
    a = parse_command("witness run -k key.pem -- make -s")
    assert a.command == ["make", "-s"]
    missing = parse_command("witness run -k key.pem -s")
    assert any(i.code == "missing-value" and "flag needs an argument" in i.message for i in missing.issues)
    eaten = parse_command("witness run -s -k key.pem -- make")
    assert eaten.step == "-k"
    assert any(i.code == "value-looks-like-flag" for i in eaten.issues)


def test_single_dash_long_flag() -> None:
    a = parse_command("witness run -step build -k key.pem -- make")
    issue = next(i for i in a.issues if i.code == "single-dash-long-flag")
    assert "`-s` (`--step`) with the value `tep`" in issue.message
    assert not a.valid


def test_unknown_flag_suggestions() -> None:
    a = parse_command(f"{RUN} --attestation slsa --signer-kms-hashtype sha256 --outfil o.json -- make")
    text = " ".join(i.message for i in a.issues)
    assert "-a/--attestations" in text
    assert "`--signer-kms-hashType`" in text
    assert "`--outfile`" in text


def test_command_without_dashdash_and_one_word_command() -> None:
    a = parse_command(f"{RUN} make all")
    assert a.valid and a.command == ["make", "all"]
    assert any(i.code == "command-without-dashdash" for i in a.issues)
    one = parse_command(f"{RUN} -- 'go build ./...'")
    assert any(i.code == "command-is-one-word" for i in one.issues)


def test_prompt_continuations_and_shell_operators() -> None:
    text = "$ witness run -s build \\\n   -k key.pem \\\n   -o out.json -- make # build it\n$ witness sign"
    a = parse_command(text)
    assert a.valid and a.command == ["make"] and a.outfile == "out.json"
    assert any(i.code == "several-commands" for i in a.notes)
    piped = parse_command(f"{RUN} -- make 2>&1 | tee log && echo done")
    assert piped.command == ["make"]
    assert piped.shell_redirects == ["2>& 1"]
    assert any(i.code == "shell-continuation" for i in piped.notes)
    env = parse_command(f"WITNESS_KEY_PASSPHRASE=x {RUN} -- make")
    assert env.valid and env.env == ["WITNESS_KEY_PASSPHRASE=x"]
    assert parse_command("./bin/witness version").valid
    assert split_commands("a 'b\nc'\nd") == (["a 'b\nc'", "d"], True)
    assert split_commands("a # c\n# only\nb#c") == (["a", "b#c"], True)


def test_help_skips_required_checks() -> None:
    a = parse_command("witness run --help")
    assert a.valid and a.help_requested
    assert not any(i.code.startswith("missing") for i in a.issues)
    assert parse_command("witness -h").valid
    assert parse_command("witness help run").valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("witness", False),
        ("witness attestors", False),
        ("witness attestors list", True),
        ("witness attestors schema git", True),
        ("witness attestors schema https://slsa.dev/provenance/v1.0", True),
        ("witness attestors schema gti", False),
        ("witness attestors schema git slsa", False),
        ("witness policy check policy.json", True),
        ("witness policy check --json -v policy.json", True),
        ("witness policy check", False),
        ("witness completion bash", True),
        ("witness completion tcsh", False),
        ("witness version", True),
        ("witness -l trace version", True),
        ("kubectl apply -f x.yaml", False),
        ("", False),
    ],
)
def test_other_commands(text: str, valid: bool) -> None:
    assert parse_command(text).valid == valid
