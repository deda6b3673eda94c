"""The generator writes answers for one witness release and records it in every check (`--witness-version`)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from witness_evals.bench.scorers.command import expected
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate import build, families
from witness_evals.generate.families import cli_usage as C
from witness_evals.generate.families import config as G
from witness_evals.generate.families import facts as F
from witness_evals.witness import versions
from witness_evals.witness.versions import NAMES


@pytest.mark.parametrize("version", NAMES)
def test_every_family_records_and_passes_its_release(version: str) -> None:
    for i, name in enumerate(families.NAMES):
        made = build.make_one(11, i, name, version)
        assert made.example is not None, made.rejected
        assert made.example.check["witness_version"] == version


def _fact(version: str, fid: str) -> F.Fact:
    return next(f for fs in F.catalogue(version).values() for f in fs if f.fid == fid)


def test_network_trace_fact_follows_the_release(ctx: ScoreContext) -> None:
    new, old = _fact("0.12", "attestor/network-trace"), _fact("0.11", "attestor/network-trace")
    assert new.answer.startswith("Yes, since witness v0.12") and "`-a network-trace`" in new.answer
    assert old.answer.startswith("Not in witness v0.11") and "since witness v0.12" in old.answer
    assert F.score(new.answer, {**new.check, "witness_version": "0.12"}, ctx).ok
    assert not F.score(new.answer, {**old.check, "witness_version": "0.11"}, ctx).ok
    assert not F.score(old.answer, {**new.check, "witness_version": "0.12"}, ctx).ok


def test_passphrase_facts_say_which_release() -> None:
    ids = {f.fid for fs in F.catalogue("0.10").values() for f in fs}
    assert "flag/which/run/signer-file-key-passphrase" in ids
    assert "flag/nonexistent/signer-file-key-passphrase" not in ids
    assert "only in witness v0.10.x" in _fact("0.10", "flag/which/run/signer-file-key-passphrase").answer
    gone = _fact("0.12", "flag/nonexistent/signer-file-key-passphrase").answer
    assert "exists only in witness v0.10.x" in gone and "since witness v0.11" in gone
    assert (
        "The flag exists since witness v0.11."
        in _fact("0.12", "flag/which/run/signer-kms-hashivault-addr").answer
    )
    assert "flag/which/run/signer-kms-hashivault-addr" not in ids
    config = _fact("0.10", "flag/default/global/config").answer
    assert "`.witness.yaml`" in config and "since witness v0.11" in config


def test_config_dotwitness_per_release(ctx: ScoreContext) -> None:
    for version in NAMES:
        v = versions.get(version)
        seen = False
        for seed in range(200):
            ex = G.make(random.Random(seed), v)
            if ex.meta["kind"] != "dotwitness":
                continue
            seen = True
            check = {**ex.check, "witness_version": version}
            assert G.score(ex.answer, check, ctx).ok
            if v.dotwitness_error:
                assert "Since witness v0.11" in ex.answer and "dotwitness/" in ex.template
            else:
                assert ex.answer.startswith("Yes, in witness v0.10.x") and "dotwitness10/" in ex.template
                assert "deprecated" not in ex.question
            # a command that relies on the default file is not the fix, in any release
            bare = (
                "```bash\nwitness "
                + ex.check["sub"]
                + (" -- make" if ex.check["sub"] == "run" else "")
                + "\n```"
            )
            assert not G.score(bare, check, ctx).ok
            break
        assert seen, version


def test_commands_passphrase_note_and_scoring_per_release(ctx: ScoreContext) -> None:
    notes = {}
    for version in NAMES:
        for seed in range(400):
            ex = C.make_kind(random.Random(seed), "run", versions.get(version))
            if "signer-file-key-passphrase-path" in ex.answer:
                notes[version] = ex.answer
                assert C.score(ex.answer, {**ex.check, "witness_version": version}, ctx).ok
                break
    assert "witness v0.10.x also has `--signer-file-key-passphrase`" in notes["0.10"]
    assert "since witness v0.11 (only v0.10.x had it)" in notes["0.12"]
    # an answer with the v0.10-only flag: right for witness v0.10, wrong for v0.12
    flagged = "witness run -s build -k key.pem -o build.json --signer-file-key-passphrase s3cret -- make"
    check = {"kind": "command", **expected(flagged, "0.10")}
    answer = f"```bash\n{flagged}\n```"
    assert C.score(answer, {**check, "witness_version": "0.10"}, ctx).ok
    assert not C.score(answer, {**check, "witness_version": "0.12"}, ctx).ok
    with pytest.raises(ValueError, match="not clean"):
        expected(flagged, "0.12")
    # witness-bench scores every answer under its --witness-version, whatever the check recorded
    with ScoreContext(witness_version="0.12") as bench:
        assert not C.score(answer, {**check, "witness_version": "0.10"}, bench).ok


def test_generate_cli_witness_version(tmp_path: Path) -> None:
    env = dict(os.environ, RUST_LIB_BACKTRACE="0")
    args = ["generate", "--out", "data", "--n", "24", "--families", "facts,config", "--workers", "1"]
    proc = subprocess.run(
        [sys.executable, "-m", "witness_evals", *args, "--no-progress", "--witness-version", "v0.10.2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "0 rejected" in proc.stdout
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
    assert manifest["spec"]["witness_version"] == "0.10"
    rows = [
        json.loads(line)
        for split in ("train", "valid", "test")
        if (tmp_path / "data" / f"{split}.meta.jsonl").exists()
        for line in (tmp_path / "data" / f"{split}.meta.jsonl").read_text().splitlines()
    ]
    assert rows and all(r["check"]["witness_version"] == "0.10" for r in rows)
