"""Witness config files (`-c`, REFERENCE.md §2.9, trap 19): keys, values, merging."""

from __future__ import annotations

from witness_evals.witness.cli import parse_command, parse_config_yaml


def test_unknown_keys_are_reported_with_the_right_name() -> None:
    cfg = parse_config_yaml("run:\n  key: testkey.pem\n  step: build\nkey: x\npolicy:\n  check: p.json\n")
    by_msg = " | ".join(i.message for i in cfg.issues)
    assert "`run.key` is ignored" in by_msg and "-k/--signer-file-key-path" in by_msg
    assert "top-level key `key`" in by_msg
    assert "nested subcommands" in by_msg
    assert all(i.severity == "warning" for i in cfg.issues)
    assert cfg.values == {"run": {"step": "build"}}


def test_trap_19_stale_config_keys_lose_the_signer() -> None:
    stale = "run:\n  key: testkey.pem\n  step: build\n"
    bad = parse_command("witness -c w.yaml run -- make", config=stale)
    assert not bad.valid
    assert {"config-unknown-key", "missing-signer"} <= {i.code for i in bad.issues}
    good = parse_command(
        "witness -c w.yaml run -- make", config="run:\n  signer-file-key-path: testkey.pem\n  step: build\n"
    )
    assert good.valid and good.signer_key == "testkey.pem"


def test_config_without_dash_c_is_not_loaded() -> None:
    a = parse_command("witness run -- make", config="run:\n  signer-file-key-path: k.pem\n  step: build\n")
    assert not a.valid
    assert any(i.code == "config-not-loaded" for i in a.issues)
    assert a.step is None


def test_config_value_types() -> None:
    cfg = parse_config_yaml(
        "run:\n"
        "  trace: yes\n"  # a string for yaml.v3 (YAML 1.2), so ParseBool fails and witness ignores it
        "  env-filter-sensitive-vars: true\n"
        "  attestations: environment git\n"
        "  attestor-secretscan-max-decode-layers: many\n"
        "  step: [a, b]\n"
        "  hashes:\n    - sha256\n    - sha1\n"
        "  Signer-Kms-HashType: sha256\n"
    )
    run = cfg.values["run"]
    assert "trace" not in run and run["env-filter-sensitive-vars"] is True
    assert run["attestations"] == ["environment", "git"]
    assert run["hashes"] == ["sha256", "sha1"]
    assert run["signer-kms-hashType"] == "sha256"  # viper keys are case-insensitive
    assert "step" not in run and "attestor-secretscan-max-decode-layers" not in run
    codes = [i.code for i in cfg.issues]
    assert codes.count("config-bad-value") == 3


def test_bad_yaml_and_non_mapping() -> None:
    assert parse_config_yaml("run: [\n").issues[0].code == "config-yaml-error"
    assert parse_config_yaml("- a\n- b\n").issues[0].code == "config-not-mapping"
    assert parse_config_yaml("").issues == []
    assert parse_config_yaml("x" * 70_000).issues[0].code == "config-too-long"
    a = parse_command("witness -c c.yaml version", config="run: [\n")
    assert not a.valid


def test_hidden_deprecated_flag_in_config_fills_the_new_one() -> None:
    a = parse_command(
        "witness -c c.yaml verify -p p.json -k pub.pem -f app",
        config="verify:\n  enable-archivist: true\n",
    )
    assert a.valid and a.flags["enable-archivista"] is True
