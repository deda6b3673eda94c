"""`witness-evals keys generate|id` and `witness-evals sign`: outputs and exit codes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from witness_evals.witness import crypto, dsse
from witness_evals.witness import x509 as wx

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "witness-test"
POLICY_TYPE = "https://witness.testifysec.com/policy/v0.1"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "witness_evals", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
    )


def test_keys_generate_seeded_and_id(tmp_path: Path) -> None:
    r = run(
        "keys",
        "generate",
        "--type",
        "ecdsa-p256",
        "-o",
        "k.pem",
        "--pub",
        "p.pem",
        "--seed",
        "3",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    kid = r.stdout.strip()
    assert kid == crypto.keyid(crypto.generate_private_key("ecdsa-p256", seed=3))
    assert (
        hashlib.sha256((tmp_path / "p.pem").read_bytes()).hexdigest() == kid
    )  # canonical PEM: sha256sum works
    assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
    r2 = run("keys", "id", "p.pem", cwd=tmp_path)
    assert (r2.returncode, r2.stdout.strip(), r2.stderr) == (0, kid, "")
    r3 = run("keys", "id", "k.pem", cwd=tmp_path)
    assert r3.returncode == 0 and r3.stdout.strip() == kid and "private key" in r3.stderr


def test_keys_id_real_and_pkcs1(tmp_path: Path) -> None:
    r = run("keys", "id", str(FIXTURES / "testpub2.pem"), cwd=tmp_path)
    assert r.stdout.strip() == "5e8c57df8ae58fe9a29b29f9993e2fc3b25bd75eb2754f353880bad4b9ebfdb3"
    from cryptography.hazmat.primitives import serialization

    pub = crypto.Verifier.from_pem((FIXTURES / "testpub2.pem").read_bytes()).public_key
    (tmp_path / "pkcs1.pem").write_bytes(
        pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    )
    r = run("keys", "id", "pkcs1.pem", cwd=tmp_path)
    assert r.returncode == 0
    assert r.stdout.strip() == "5e8c57df8ae58fe9a29b29f9993e2fc3b25bd75eb2754f353880bad4b9ebfdb3"
    assert "PKCS#1" in r.stderr and "sha256sum" in r.stderr
    r = run("keys", "id", "--pem", "pkcs1.pem", cwd=tmp_path)
    assert r.stdout.encode() == (FIXTURES / "testpub2.pem").read_bytes()


def test_keys_errors_exit_2(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_text("hello")
    for args in (
        ("keys", "generate", "--type", "dsa", "-o", "k.pem"),
        ("keys", "id", "junk.pem"),
        ("keys", "id", "missing.pem"),
    ):
        r = run(*args, cwd=tmp_path)
        assert r.returncode == 2, args
        assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_sign_like_witness(tmp_path: Path) -> None:
    policy = (FIXTURES / "policy.json").read_bytes()
    (tmp_path / "policy.json").write_bytes(policy)
    key = crypto.generate_private_key("ed25519", seed=12)
    (tmp_path / "key.pem").write_bytes(crypto.private_pem(key))
    r = run("sign", "-f", "policy.json", "-o", "signed.json", "-k", "key.pem", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "signed.json").read_text()
    assert text.endswith("}\n") and "\n" not in text[:-1]
    env = dsse.parse_envelope(text.encode())
    assert env.payload == policy  # raw bytes, not re-serialized
    assert env.payload_type == POLICY_TYPE
    assert dsse.verify_envelope(env, [crypto.Verifier(key.public_key())])[0].keyid == crypto.keyid(key)
    r = run(
        "sign", "-f", "policy.json", "-o", "signed2.json", "-k", "key.pem", "-t", "text/plain", cwd=tmp_path
    )
    assert json.loads((tmp_path / "signed2.json").read_text())["payloadType"] == "text/plain"


def test_sign_with_certificate_passphrase_and_intermediates(tmp_path: Path, pki) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "in.txt").write_bytes(b"hello\n")
    (tmp_path / "key.pem").write_bytes(crypto.private_pem(pki.leaf_key, b"pw"))
    (tmp_path / "pass.txt").write_bytes(b"pw\n")
    (tmp_path / "leaf.pem").write_bytes(wx.cert_pem(pki.leaf))
    (tmp_path / "inter.pem").write_bytes(wx.cert_pem(pki.inter))
    r = run(
        "sign",
        "-f",
        "in.txt",
        "-o",
        "out.json",
        "-k",
        "key.pem",
        "--signer-file-key-passphrase-path",
        "pass.txt",
        "--signer-file-cert-path",
        "leaf.pem",
        "--signer-file-intermediate-paths",
        "inter.pem",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    env = dsse.parse_envelope((tmp_path / "out.json").read_bytes())
    sig = env.signatures[0]
    assert sig.certificate == wx.cert_pem(pki.leaf) and sig.intermediates == (wx.cert_pem(pki.inter),)


def test_sign_flag_errors(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text("{}")
    (tmp_path / "key.pem").write_bytes(crypto.private_pem(crypto.generate_private_key("ed25519", seed=1)))
    (tmp_path / "two.txt").write_text("a\nb\n")
    cases = [
        (("sign", "-f", "p.json", "-k", "key.pem"), "missing [outfile]"),
        (("sign", "-o", "x.json", "-k", "key.pem"), "missing [infile]"),
        (("sign", "-k", "key.pem"), "no such file"),
        (("sign", "-f", "p.json", "-o", "x.json"), "failed to load any signers"),
        (("sign", "-f", "nope.json", "-o", "x.json", "-k", "key.pem"), "nope.json"),
        (("sign", "-f", "p.json", "-o", "x.json", "-k", "p.json"), "invalid pem block"),
        (
            ("sign", "-f", "p.json", "-o", "x.json", "-k", "key.pem", "--signer-file-cert-path", "key.pem"),
            "not a x509 certificate",
        ),
        (
            (
                "sign",
                "-f",
                "p.json",
                "-o",
                "x.json",
                "-k",
                "key.pem",
                "--signer-file-key-passphrase-path",
                "two.txt",
            ),
            "single line",
        ),
    ]
    for args, message in cases:
        r = run(*args, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert not (tmp_path / "x.json").exists()
