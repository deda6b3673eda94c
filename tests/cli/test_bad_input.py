"""Every file-taking command, given bad input, answers with one located `error:` line and exit 2.

Exit 1 instead of 2 is right where the command's own contract reports the input as a finding:
`verify` FAIL (witness reports a policy it cannot unmarshal, a statement that is not a collection
or a mismatch as a failed verification), `check policy` findings (a policy of the wrong JSON shape
is the thing being checked) and `check rego` (a module that does not compile or whose evaluation
fails). Those cases assert the exit code, the located report and that nothing crashed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_helpers import TIME_LIMIT_S, Result, World, assert_input_error, run_subprocess

Runner = Callable[..., Result]

# One argv template per file-taking option; `{}` is where the bad file goes.
SLOTS: dict[str, Callable[[World, str], list[str]]] = {
    "keys id": lambda w, f: ["keys", "id", f],
    "keys generate --passphrase-path": lambda w, f: [
        "keys", "generate", "-o", str(w.dir / "gen.pem"), "--passphrase-path", f,
    ],
    "sign -k": lambda w, f: ["sign", "-f", w["policy.json"], "-o", str(w.dir / "s.json"), "-k", f],
    "sign -f": lambda w, f: ["sign", "-f", f, "-o", str(w.dir / "s.json"), "-k", w["key.pem"]],
    "sign --signer-file-cert-path": lambda w, f: [
        "sign", "-f", w["policy.json"], "-o", str(w.dir / "s.json"), "-k", w["key.pem"],
        "--signer-file-cert-path", f,
    ],
    "sign --signer-file-intermediate-paths": lambda w, f: [
        "sign", "-f", w["policy.json"], "-o", str(w.dir / "s.json"), "-k", w["key.pem"],
        "--signer-file-intermediate-paths", f,
    ],
    "sign --signer-file-key-passphrase-path": lambda w, f: [
        "sign", "-f", w["policy.json"], "-o", str(w.dir / "s.json"), "-k", w["key.pem"],
        "--signer-file-key-passphrase-path", f,
    ],
    "verify -p": lambda w, f: ["verify", "-p", f, "-k", w["pub.pem"], "-a", w["build.json"], "-f", w["artifact"]],
    "verify -k": lambda w, f: [
        "verify", "-p", w["policy-signed.json"], "-k", f, "-a", w["build.json"], "-f", w["artifact"],
    ],
    "verify -a": lambda w, f: [
        "verify", "-p", w["policy-signed.json"], "-k", w["pub.pem"], "-a", f, "-a", w["package.json"],
        "-f", w["artifact"],
    ],
    "verify -f": lambda w, f: [
        "verify", "-p", w["policy-signed.json"], "-k", w["pub.pem"], "-a", w["build.json"], "-f", f,
    ],
    "verify --directory-path": lambda w, f: [
        "verify", "-p", w["policy-signed.json"], "-k", w["pub.pem"], "-a", w["build.json"],
        "-s", w.artifact_digest, "--directory-path", f,
    ],
    "verify --policy-ca-roots": lambda w, f: [
        "verify", "-p", w["policy-signed.json"], "--policy-ca-roots", f, "-a", w["build.json"],
        "-f", w["artifact"],
    ],
    "verify --policy-ca-intermediates": lambda w, f: [
        "verify", "-p", w["policy-signed.json"], "--policy-ca-intermediates", f, "-a", w["build.json"],
        "-f", w["artifact"],
    ],
    "verify --policy-timestamp-servers": lambda w, f: [
        "verify", "-p", w["policy-signed.json"], "-k", w["pub.pem"], "--policy-timestamp-servers", f,
        "-a", w["build.json"], "-f", w["artifact"],
    ],
    "check policy": lambda w, f: ["check", "policy", f],
    "check rego": lambda w, f: ["check", "rego", f],
    "check rego --input": lambda w, f: ["check", "rego", w["ok.rego"], "--input", f],
    "check command --config": lambda w, f: ["check", "command", "witness run -c x.yaml -s build -- make", "--config", f],
}  # fmt: skip

JSON_SLOTS = ("verify -p", "verify -a", "check policy", "check rego --input")
KEY_SLOTS = ("keys id", "sign -k", "verify -k")
CERT_SLOTS = (
    "sign --signer-file-cert-path",
    "sign --signer-file-intermediate-paths",
    "verify --policy-ca-roots",
    "verify --policy-ca-intermediates",
    "verify --policy-timestamp-servers",
)
CERT_ERROR = r"certificate|invalid pem block|failed to load"
# Slots whose file may legitimately hold any bytes (a payload to sign, an artifact to hash).
ANY_BYTES = ("sign -f", "verify -f")

# (slot, bad file, expected message regex, location regex or None)
CASES: list[tuple[str, str, str, str | None]] = []
for slot in SLOTS:
    if slot == "verify --directory-path":
        CASES += [(slot, "missing", "not a directory", None), (slot, "artifact", "not a directory", None)]
        continue
    CASES.append((slot, "missing", "no such file", None))
    CASES.append((slot, "a-directory", "is a directory", None))
    if slot != "verify -f":  # an artifact is hashed as a stream, whatever its size
        CASES.append((slot, "huge", "too large", None))
for slot in JSON_SLOTS:
    CASES += [
        (slot, "empty", "empty file, expected JSON", None),
        (slot, "not-json", "invalid JSON", "1:1"),
        (slot, "truncated.json", "invalid JSON: Unterminated string", r"1:\d+"),
        (slot, "binary", r"not JSON \(binary data\)", None),
        (slot, "deep.json", "nested deeper than 512 levels", None),
        (slot, "bad-utf8.json", "invalid UTF-8 at byte 7", None),
    ]
for slot in ("verify -p", "verify -a"):
    for kind in ("array", "number", "string"):
        CASES.append(
            (slot, f"{kind}.json", f"cannot unmarshal {kind} into Go value of type dsse.Envelope", None)
        )
for slot in KEY_SLOTS:
    for bad in ("empty", "not-json", "binary", "bad-utf8.json", "truncated.pem", "array.json"):
        CASES.append((slot, bad, "invalid pem block", None))
    CASES.append((slot, "not-a-key.pem", "unsupported pem type: PUBLIC KEY", None))
CASES.append(("verify -k", "rsa-private.pem", "private key, expected a public key", None))
CASES.append(("sign -k", "pub.pem", "not a private key", None))
for slot in CERT_SLOTS:
    for bad in ("empty", "not-json", "binary", "not-a-key.pem", "rsa-private.pem", "truncated.pem"):
        CASES.append((slot, bad, CERT_ERROR, None))
CASES += [
    ("check rego", "binary", r"not text \(binary data\)", None),
    ("check rego", "bad-utf8.json", "not UTF-8 text", "byte 7"),
    ("check command --config", "binary", "not UTF-8 text", "byte 128"),
    ("check command --config", "bad-utf8.json", "not UTF-8 text", "byte 7"),
    ("keys generate --passphrase-path", "empty", "passphrase file is empty", None),
    ("keys generate --passphrase-path", "two-lines", "single line", None),
    ("keys generate --passphrase-path", "binary", "single line", None),
    ("keys generate --passphrase-path", "long-passphrase", "at most 1023", None),
    ("sign --signer-file-key-passphrase-path", "two-lines", "single line", None),
    ("check policy", "pub.pem", r"invalid JSON.*this is a PEM file, not a witness policy", "1:1"),
    # valid JSON, wrong field types: located by JSON path
    ("verify -p", "policy-env-signatures-string.json", "cannot unmarshal string", "signatures"),
    ("verify -p", "policy-env-payload-not-base64.json", "illegal base64 data", "payload"),
    ("verify -a", "env-signatures-string.json", "cannot unmarshal string", "signatures"),
    ("verify -a", "env-payload-not-base64.json", "illegal base64 data", "payload"),
    ("verify -a", "env-payloadtype-number.json", "cannot unmarshal number", "payloadType"),
    # a valid envelope whose payload is not an in-toto statement (go: unmarshal of a missing predicate)
    ("verify -a", "env-not-statement.json", "unexpected end of JSON input", r"payload\.predicate"),
    ("verify -a", "env-payload-binary.json", "not JSON", "payload"),
    ("verify -a", "env-predicate-string.json", "cannot unmarshal string", r"payload\.predicate"),
    ("verify -a", "env-subject-object.json", "cannot unmarshal object", r"payload\.subject"),
    (
        "verify -a",
        "env-attestation-array.json",
        "cannot unmarshal array",
        r"payload\.predicate\.attestations\[0\]\.attestation",
    ),
    (
        "verify -a",
        "env-unknown-type.json",
        "attestation not found: https://example.com/unknown/v1",
        r"payload\.predicate\.attestations\[0\]\.type",
    ),
]


@pytest.mark.parametrize(("slot", "bad", "message", "location"), CASES, ids=[f"{c[0]}|{c[1]}" for c in CASES])
def test_bad_file_is_one_located_error_line(
    slot: str, bad: str, message: str, location: str | None, world: World, cli: Runner
) -> None:
    path = world[bad]
    res = cli(*SLOTS[slot](world, path))
    assert_input_error(res, path, message, location)
    assert not res.out.strip() or slot.startswith("keys generate"), res.out


def test_every_file_taking_option_is_covered() -> None:
    """Each option of the battery meets missing, directory and (capped ones) huge files."""
    covered = {(slot, bad) for slot, bad, _, _ in CASES}
    for slot in SLOTS:
        assert (slot, "missing") in covered
        if slot != "verify --directory-path":
            assert (slot, "a-directory") in covered
            assert slot in ANY_BYTES or (slot, "huge") in covered


# ----------------------------------------------------------------------- exit 1: reported, not bad input


def _verify(w: World, policy: str, *attestations: str, artifact: str = "artifact") -> list[str]:
    args = ["verify", "-p", w[policy], "-k", w["pub.pem"], "-f", w[artifact]]
    for a in attestations:
        args += ["-a", w[a]]
    return args


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        # witness reports a policy payload it cannot unmarshal as a failed verification
        (
            lambda w: _verify(w, "policy-steps-array-signed.json", "build.json"),
            "failed to unmarshal policy from envelope: json: cannot unmarshal array into Go struct field Policy.steps",
        ),
        # a statement whose predicate is not a collection decodes to an empty, nameless collection
        (
            lambda w: _verify(w, "policy-signed.json", "env-not-collection.json", "package.json"),
            "no collections found for step build",
        ),
        # a null DigestSet in the material map is Go's nil set: it matches nothing (regression: crashed)
        (
            lambda w: _verify(w, "policy-signed.json", "env-null-material.json", "package.json"),
            "mismatched digests for .git/HEAD",
        ),
        # an artifact of arbitrary bytes is hashed; no attestation names its digest
        (
            lambda w: _verify(w, "policy-signed.json", "build.json", "package.json", artifact="binary"),
            "Verification failed",
        ),
    ],
    ids=["policy-steps-array", "predicate-not-collection", "null-material-digest", "artifact-binary"],
)  # fmt: skip
def test_verify_reports_fail_not_crash(
    args: Callable[[World], list[str]], expect: str, world: World, cli: Runner
) -> None:
    res = cli(*args(world))
    assert "Traceback" not in res.text
    assert res.code == 1, res.text
    assert res.out.startswith("Verification failed") and expect in res.out, res.out
    assert res.seconds < TIME_LIMIT_S


@pytest.mark.parametrize(
    ("bad", "location", "message"),
    [
        ("array.json", r"\$", "cannot unmarshal array into Go value of type policy.Policy"),
        ("number.json", r"\$", "cannot unmarshal number into Go value of type policy.Policy"),
        ("string.json", r"\$", "cannot unmarshal string into Go value of type policy.Policy"),
        ("policy-steps-array.json", "steps", "cannot unmarshal array into Go struct field Policy.steps"),
        ("policy-env-signatures-string.json", "signatures", r"unknown key \"signatures\""),
    ],
)
def test_check_policy_reports_wrong_shapes_as_located_findings(
    bad: str, location: str, message: str, world: World, cli: Runner
) -> None:
    """The policy is the thing being checked: a wrong JSON shape is a finding (exit 1), located."""
    path = world[bad]
    res = cli("check", "policy", path)
    assert "Traceback" not in res.text
    assert res.code == 1, res.text
    assert any(
        re.match(rf"{re.escape(path)}:{location}: ", line) is not None
        and re.search(message, line) is not None
        for line in res.out.splitlines()
    ), res.out
    assert res.out.splitlines()[-1].startswith(f"{path}: policy validation failed"), res.out


# ----------------------------------------------------------------------- other inputs


def test_same_attestation_path_twice(world: World, cli: Runner) -> None:
    a = world["build.json"]
    base = ["verify", "-p", world["policy-signed.json"], "-k", world["pub.pem"], "-f", world["artifact"]]
    want = f"failed to load attestation file: references may only appear once in a memory source: {a}"
    for extra in (["-a", a, "-a", a], ["-a", f"{a},{a}"]):
        line = assert_input_error(cli(*base, *extra), a, "references may only appear once")
        assert line == f"error: {a}: {want}"


@pytest.mark.parametrize(
    ("args", "path", "message"),
    [
        (lambda w: ["keys", "generate", "-o", w["a-directory"]], "a-directory", "is a directory"),
        (lambda w: ["keys", "generate", "-o", str(w.dir / "k.pem"), "--pub", w["a-directory"]], "a-directory", "is a directory"),
        (lambda w: ["sign", "-f", w["policy.json"], "-o", w["a-directory"], "-k", w["key.pem"]], "a-directory", "is a directory"),
        (lambda w: ["keys", "generate", "-o", str(w.dir / "k.pem"), "-t", "dsa-1024"], None, "unsupported key type: dsa-1024"),
        (lambda w: ["attestors", "schema", "no-such-attestor"], None, "attestor not found: no-such-attestor"),
        (lambda w: ["attestors", "example", "https://example.com/x/v1"], None, "attestor not found: https://example.com/x/v1"),
        (lambda w: ["verify", "-p", w["policy-signed.json"], "-k", w["pub.pem"], "-a", w["build.json"], "-s", "abc", "--witness-version", "v9"], "--witness-version", "unknown witness version 'v9'"),
        (lambda w: ["check", "policy", w["policy.json"], "--witness-version", "0.9"], "--witness-version", "unknown witness version '0.9'"),
        (lambda w: ["check", "command", "witness version", "--witness-version", "1.0"], "--witness-version", "unknown witness version '1.0'"),
        (lambda w: ["generate", "--out", str(w.dir / "ds"), "--witness-version", "0.9"], "--witness-version", "unknown witness version '0.9'"),
        (lambda w: ["check", "policy", w["policy.json"], "--mode", "v9"], "--mode", "unknown --mode 'v9'"),
        (lambda w: ["check", "rego", w["ok.rego"], "--mode", "v9"], "--mode", "unknown --mode 'v9'"),
    ],
    ids=["keys-out-dir", "keys-pub-dir", "sign-out-dir", "keys-bad-type", "schema-unknown", "example-unknown",
         "verify-version", "check-policy-version", "check-command-version", "generate-version",
         "check-policy-mode", "check-rego-mode"],
)  # fmt: skip
def test_other_bad_arguments(
    args: Callable[[World], list[str]], path: str | None, message: str, world: World, cli: Runner
) -> None:
    where = None if path is None else (path if path.startswith("--") else world[path])
    assert_input_error(cli(*args(world)), where, message)


def test_encrypted_private_key_in_keys_id(world: World, cli: Runner) -> None:
    enc = world.dir / "encrypted.pem"
    res = cli("keys", "generate", "-o", enc, "--passphrase-path", world["passphrase"], "--seed", "1")
    assert res.code == 0, res.text
    assert_input_error(cli("keys", "id", enc), str(enc), "ENCRYPTED PRIVATE KEY.*give its public key")
    # sign without the passphrase / with a wrong one: one line each
    sign = ["sign", "-f", world["policy.json"], "-o", world.dir / "s.json", "-k", enc]
    assert_input_error(cli(*sign), str(enc), "a passphrase is required")
    wrong = ["--signer-file-key-passphrase-path", world["long-passphrase"]]
    assert_input_error(cli(*sign, *wrong), str(enc), "wrong passphrase")


# ----------------------------------------------------------------------- the real process, per command


@pytest.mark.parametrize(
    ("args", "path", "message"),
    [
        (lambda w: ["keys", "id", w["binary"]], "binary", "invalid pem block"),
        (lambda w: ["keys", "generate", "-o", str(w.dir / "p.pem"), "--passphrase-path", w["long-passphrase"]], "long-passphrase", "at most 1023"),
        (lambda w: SLOTS["sign -k"](w, w["huge"]), "huge", "too large"),
        (lambda w: SLOTS["verify -a"](w, w["truncated.json"]), "truncated.json", "invalid JSON"),
        (lambda w: SLOTS["verify -p"](w, w["deep.json"]), "deep.json", "nested deeper"),
        (lambda w: ["check", "policy", w["bad-utf8.json"]], "bad-utf8.json", "invalid UTF-8"),
        (lambda w: ["check", "rego", w["missing"]], "missing", "no such file"),
        (lambda w: SLOTS["check command --config"](w, w["a-directory"]), "a-directory", "is a directory"),
        (lambda w: ["attestors", "example", "nope"], None, "attestor not found: nope"),
    ],
    ids=["keys-id", "keys-generate", "sign", "verify-a", "verify-p", "check-policy", "check-rego",
         "check-command", "attestors"],
)  # fmt: skip
def test_subprocess_main_error_path(
    args: Callable[[World], list[str]], path: str | None, message: str, world: World
) -> None:
    res = run_subprocess(*args(world), cwd=world.dir)
    assert_input_error(res, None if path is None else world[path], message)


@pytest.mark.parametrize(
    ("stdin", "message", "location"),
    [(bytes(range(256)), "not UTF-8 text", "byte 128"), (b"a" * 2_000_000, "more than 262144 bytes", None)],
    ids=["binary", "too-big"],
)
def test_check_command_stdin(stdin: bytes, message: str, location: str | None, tmp_path: Path) -> None:
    res = run_subprocess("check", "command", "-", stdin=stdin, cwd=tmp_path)
    assert_input_error(res, "<stdin>", message, location)


def test_check_rego_input_size_is_checked_before_reading(world: World, cli: Runner) -> None:
    """The sandbox takes inputs up to 16 MiB: a 20 MiB file is refused by its size, unread (it used
    to be read and parsed first: 340 MB RSS for a 53 MB input)."""
    big = world.dir / "input-20mib.json"
    with open(big, "wb") as fh:  # sparse: NUL bytes, which a read would report as binary data
        fh.truncate(20 * 1024 * 1024)
    res = cli("check", "rego", world["ok.rego"], "--input", big)
    assert_input_error(res, str(big), r"file is too large \(20971520 bytes, limit 16777216\)")


# ----------------------------------------------------------------------- usage errors: one line too


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["verify", "--nope"], "error: verify: no such option: --nope"),
        (["generate", "--n", "abc"], "error: generate: invalid value for '--n'"),
        (["check", "rego"], "error: check rego: missing argument 'file'"),
        (["check", "policy", "a.json", "b.json"], "error: check policy: got unexpected extra argument"),
        (["verify", "--witness-version"], "error: verify: option '--witness-version' requires an argument"),
        (["keys", "generate", "-t"], "error: keys generate: option '-t' requires an argument"),
        (["nope"], "error: no such command 'nope'"),
        (["check", "nope"], "error: check: no such command 'nope'"),
        (["--nope"], "error: no such option: --nope"),
    ],
    ids=["unknown-option", "bad-int", "missing-argument", "extra-argument", "missing-value",
         "missing-value-nested", "unknown-command", "unknown-subcommand", "unknown-root-option"],
)  # fmt: skip
def test_usage_errors_are_one_line(args: list[str], line: str, cli: Runner) -> None:
    res = cli(*args)
    assert_input_error(res, None, "")
    assert res.err.startswith(line), res.err
    assert "Usage:" not in res.text and "╭" not in res.text and not res.out


def test_usage_error_in_the_real_process(tmp_path: Path) -> None:
    res = run_subprocess("verify", "--nope", cwd=tmp_path)
    assert_input_error(res, None, "")
    assert res.err.startswith("error: verify: no such option: --nope")


def test_version_help_and_no_arguments(tmp_path: Path) -> None:
    from importlib.metadata import version

    res = run_subprocess("--version", cwd=tmp_path)
    assert (res.code, res.out, res.err) == (0, f"witness-evals {version('witness-evals')}\n", "")
    res = run_subprocess("verify", "--help", cwd=tmp_path)
    assert res.code == 0 and "--publickey" in res.out and res.err == ""
    res = run_subprocess(cwd=tmp_path)  # no command: the help, as a usage error
    assert res.code == 2 and "Usage:" in res.out and "Commands" in res.out and res.err == ""


@pytest.mark.parametrize("rank", ["0", "1"])
def test_torchrun_ranks_print_once_and_record_the_error(rank: str, tmp_path: Path) -> None:
    """Under torchrun (WORLD_SIZE > 1) only rank 0 prints the line; every rank exits 2 without a
    traceback and writes the line to TORCHELASTIC_ERROR_FILE, which torchrun's summary shows."""
    import json
    import os
    import subprocess
    import sys

    error_file = tmp_path / "error.json"
    env = {**os.environ, "WORLD_SIZE": "2", "RANK": rank, "LOCAL_RANK": rank}
    env["TORCHELASTIC_ERROR_FILE"] = str(error_file)
    proc = subprocess.run(
        [sys.executable, "-m", "witness_evals", "train", "--set", "nope=1"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    line = "error: --set:nope: unknown key"
    if rank == "0":
        assert proc.stderr.startswith(line) and proc.stderr.count("\n") == 1
    else:
        assert proc.stderr == ""
    assert json.loads(error_file.read_text())["message"].startswith(line)
