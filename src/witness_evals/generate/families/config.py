"""Family `config`: witness config files (`-c/--config`, REFERENCE §2.9, trap 19).

Sub-kinds:
* `write`: write a config so that `witness run`/`sign`/`verify` uses given settings, and the command
  that uses it (`witness -c <file> <subcommand>`); scored by parsing the answer's YAML with
  `cli_spec.parse_config_yaml` and its command with `parse_command(..., config=...)`.
* `dotwitness`: why `default use of .witness.yaml is deprecated ...` (witness v0.11 and later); for
  witness v0.10.x, whether `.witness.yaml` is read by default (it is); the fix passes `-c` explicitly.
* `badkey`: is `run.key` (a stale/nonexistent key) valid? No: the key is `<subcommand>.<long flag>`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.bench.scorers.terms import has_term
from witness_evals.generate import phrasing
from witness_evals.generate.example import Example
from witness_evals.generate.families import Family
from witness_evals.generate.families.facts import NEG_ALTS, SAMPLES
from witness_evals.witness import cli_spec, versions
from witness_evals.witness import cli_spec_data as data
from witness_evals.witness.cli_spec import ConfigFile, Grammar
from witness_evals.witness.versions import WitnessVersion

NAME = "config"
MAX_BLOCKS = 20
MAX_COMMANDS = 20
MAX_YAML_CHARS = 20_000
MAX_YAML_SPECIALS = 200
DEPRECATED_MSG = versions.DOTWITNESS_ERROR

FILES = (
    "witness.yaml",
    "ci/witness.yaml",
    "witness-ci.yaml",
    ".ci/witness.yml",
    "config/witness.yaml",
    "wit.yaml",
)
STEPS = ("build", "test", "package", "lint", "compile", "release", "scan")
KEYS = ("key.pem", "keys/ci.pem", "build-key.pem", "/secrets/witness.pem", "signing-key.pem")
PUBS = ("pub.pem", "keys/policy-pub.pem", "testpub.pem", "policy.pub.pem")
OUTS = ("build.json", "attestation.json", "out/build.att.json", "{step}.attestation.json")
POLICIES = ("policy-signed.json", "policies/release-signed.json", "signed-policy.json")
ARTS = ("app", "dist/app.tar.gz", "bin/server", "testapp", "target/app.jar")
TOOLS = ("make", "go build ./...", "npm ci", "cargo build --release", "mvn package", "./build.sh")
OPT_IN = ("slsa", "sbom", "link", "secretscan", "lockfiles", "sarif", "oci", "maven", "system-packages")
TSA = ("https://freetsa.org/tsr", "https://timestamp.digicert.com")

LIST_FLAGS = frozenset({"attestations", "hashes", "timestamp-servers"})


# --------------------------------------------------------------------------- settings


def _settings(rng: random.Random, sub: str) -> dict[str, Any]:
    """Flag long name -> value for one subcommand (values as parse_config_yaml returns them)."""
    out: dict[str, Any] = {}
    if sub == "run":
        step = phrasing.pick(rng, STEPS)
        out["step"] = step
        out["signer-file-key-path"] = phrasing.pick(rng, KEYS)
        out["outfile"] = phrasing.pick(rng, OUTS).format(step=step)
        if rng.random() < 0.8:
            extra = rng.sample(OPT_IN, rng.randint(0, 2))
            base = ["environment", "git"] if rng.random() < 0.7 else ["git"]
            out["attestations"] = base + extra
        if rng.random() < 0.25:
            out["trace"] = True
        if rng.random() < 0.2:
            out["hashes"] = ["sha256", "sha1"]
        if rng.random() < 0.2:
            out["timestamp-servers"] = [phrasing.pick(rng, TSA)]
    elif sub == "sign":
        out["signer-file-key-path"] = phrasing.pick(rng, KEYS)
        out["infile"] = phrasing.pick(
            rng, ("policy.json", "policies/release.json", "policy/build-policy.json")
        )
        out["outfile"] = phrasing.pick(rng, POLICIES)
        if rng.random() < 0.2:
            out["timestamp-servers"] = [phrasing.pick(rng, TSA)]
    else:
        out["policy"] = phrasing.pick(rng, POLICIES)
        out["publickey"] = phrasing.pick(rng, PUBS)
        n = rng.randint(1, 2)
        out["attestations"] = [f"{s}.attestation.json" for s in rng.sample(STEPS, n)]
        out["artifactfile"] = phrasing.pick(rng, ARTS)
    return out


def _describe(sub: str, s: dict[str, Any]) -> str:
    parts: list[str] = []
    for name, v in s.items():
        if name == "step":
            parts.append(f"names the step `{v}`")
        elif name == "signer-file-key-path":
            parts.append(f"signs with the key `{v}`")
        elif name == "outfile":
            parts.append(f"writes to `{v}`")
        elif name == "infile":
            parts.append(f"signs the file `{v}`")
        elif name == "attestations" and sub == "run":
            names = [f"`{a}`" for a in v]
            joined = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            parts.append(f"records the {joined} attestor" + ("s" if len(names) > 1 else ""))
        elif name == "attestations":
            parts.append("checks the attestation files " + ", ".join(f"`{a}`" for a in v))
        elif name == "trace":
            parts.append("enables tracing")
        elif name == "hashes":
            parts.append("computes " + " and ".join(f"`{h}`" for h in v) + " digests")
        elif name == "timestamp-servers":
            parts.append(f"timestamps the signature with `{v[0]}`")
        elif name == "policy":
            parts.append(f"uses the signed policy `{v}`")
        elif name == "publickey":
            parts.append(f"checks the policy signature with `{v}`")
        elif name == "artifactfile":
            parts.append(f"verifies the artifact `{v}`")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def _yaml(settings: dict[str, dict[str, Any]]) -> str:
    lines: list[str] = []
    for sub, s in settings.items():
        lines.append(f"{sub}:")
        for name, v in s.items():
            if isinstance(v, list):
                lines.append(f"  {name}:")
                lines += [f"    - {x}" for x in v]
            elif isinstance(v, bool):
                lines.append(f"  {name}: {'true' if v else 'false'}")
            else:
                lines.append(f"  {name}: {v}")
    return "\n".join(lines) + "\n"


def _command(file: str, sub: str, tool: str | None) -> str:
    return f"witness -c {file} {sub}" + (f" -- {tool}" if sub == "run" and tool else "")


def _norm(name: str, v: Any) -> Any:
    if isinstance(v, list):
        return sorted(str(x) for x in v) if name in LIST_FLAGS else [str(x) for x in v]
    return v


# --------------------------------------------------------------------------- templates

WRITE_Q = (
    "Write a witness config file `{file}` so that `witness {sub}` {desc}. How do I run it?",
    "I don't want long command lines in CI. Give me a `{file}` for `witness {sub}` that {desc}, and the command "
    "that uses it.",
    "How do I put my `witness {sub}` settings in a config file? It {desc}. Call the file `{file}`.",
    "Create `{file}` for witness: `witness {sub}` {desc}. Show the YAML and the invocation.",
    "Turn this into a witness config file `{file}` plus a short command:\n\n```bash\n{cmd}\n```",
    "What YAML do I need in `{file}` so that `witness {sub}` {desc}? Include the command line.",
    "Can witness read its `{sub}` flags from a file? I want `{file}` where `witness {sub}` {desc}.",
)
DOT_Q = (
    "`{cmd}` fails with `{msg}`. Why, and how do I fix it?",
    "I have a `.witness.yaml` in my repo:\n\n```yaml\n{yaml}```\n\nand `{cmd}` now fails with `{msg}`. What changed?",
    "After upgrading witness, `{cmd}` prints `{msg}`. The docs say `.witness.yaml` is loaded by default. What do I do?",
    "Why does `{cmd}` complain that default use of .witness.yaml is deprecated?",
    "How do I make witness use my `.witness.yaml` again? `{cmd}` errors with `{msg}`.",
    "Our pipeline runs `{cmd}` next to a `.witness.yaml` and gets `{msg}`. Fix?",
)
DOT10_Q = (
    "Does `{cmd}` pick up my `.witness.yaml` automatically?",
    "I have a `.witness.yaml` in my repo:\n\n```yaml\n{yaml}```\n\nWill `{cmd}` use it without any flag?",
    "Do I need `-c` for witness to read `.witness.yaml`, or is it loaded by default? I run `{cmd}`.",
    "Our pipeline runs `{cmd}` next to a `.witness.yaml`. Is the file applied, and should I change anything?",
    "Is `.witness.yaml` the default witness config file? My command is `{cmd}`.",
    "Which config file does `{cmd}` read when I don't pass `-c`?",
)
BAD_Q = (
    "Is `{sub}.{bad}` a valid witness config key?",
    "Can I set `{bad}` under `{sub}:` in my witness config file?",
    "My witness config has\n\n```yaml\n{sub}:\n  {bad}: {value}\n```\n\nbut witness seems to ignore it. Why?",
    "The witness docs mention a `{bad}` config option. Does `{sub}.{bad}` work?",
    "What's the right config key instead of `{sub}.{bad}` for witness?",
    "Will witness pick up `{bad}: {value}` in the `{sub}` section of my config file?",
)


# --------------------------------------------------------------------------- sub-kinds


def _make_write(rng: random.Random, version: WitnessVersion) -> tuple[str, str, str, dict[str, Any], str]:
    gr = cli_spec.grammar(version)
    subs = phrasing.pick(rng, (("run",), ("run",), ("verify",), ("sign",), ("run", "verify")))
    settings = {sub: _settings(rng, sub) for sub in subs}
    file = phrasing.pick(rng, FILES)
    tool = phrasing.pick(rng, TOOLS)
    text = _yaml(settings)
    cfg = cli_spec.parse_config_yaml(text, version=version)
    assert not cfg.issues, cfg.issues
    cmds = [_command(file, sub, tool) for sub in subs]
    for sub, c in zip(subs, cmds, strict=True):
        a = gr.parse(c, config=cfg)
        assert a.valid and a.config_applied, (c, a.issues)
        for name, v in settings[sub].items():
            assert _norm(name, a.flags.get(name)) == _norm(name, v), (name, a.flags.get(name), v)
    t = rng.randrange(len(WRITE_Q))
    sub0 = subs[0]
    desc = _describe(sub0, settings[sub0])
    if len(subs) > 1:
        desc += f", and `witness {subs[1]}` " + _describe(subs[1], settings[subs[1]])
    long_cmd = _long_command(sub0, settings[sub0], tool, gr)
    question = WRITE_Q[t].format(file=file, sub=sub0, desc=desc, cmd=long_cmd)
    if t == 4 and len(subs) > 1:
        question = WRITE_Q[0].format(file=file, sub=sub0, desc=desc)
        t = 0
    answer = (
        f"Config keys are `<subcommand>.<long flag name>`, nested under a `{sub0}:` section"
        + (" (one section per subcommand)" if len(subs) > 1 else "")
        + f". `{file}`:\n\n```yaml\n{text}```\n\n{_READS[version.dotwitness_error]}\n\n```bash\n"
        + "\n".join(cmds)
        + "\n```"
    )
    check = {
        "kind": "write",
        "file": file,
        "settings": settings,
        "commands": list(subs),
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    group = f"config/write/{'+'.join(subs)}/{digest}"
    return group, question, answer, check, f"config/write/{t}"


_READS = {
    True: "Since witness v0.11 witness only reads a config file passed with `-c/--config` (a `.witness.yaml` "
    "without `-c` is even an error):",
    False: "Pass it with `-c/--config` (witness v0.10.x reads only `.witness.yaml` by default; since witness "
    "v0.11 nothing is read without `-c`):",
}


def _long_command(sub: str, s: dict[str, Any], tool: str, gr: Grammar) -> str:
    parts = ["witness", sub]
    for name, v in s.items():
        f = gr.lookup_flag(sub, name)
        assert f is not None
        opt = f"-{f.short}" if f.short else f"--{name}"
        if isinstance(v, bool):
            parts.append(opt)
        elif isinstance(v, list):
            parts += [opt, ",".join(v)]
        else:
            parts += [opt, str(v)]
    text = " ".join(parts) + (f" -- {tool}" if sub == "run" else "")
    assert gr.parse(text).valid, text
    return text


def _make_dot(rng: random.Random, version: WitnessVersion) -> tuple[str, str, str, dict[str, Any], str]:
    sub = phrasing.pick(rng, ("run", "run", "verify", "sign"))
    settings = {sub: _settings(rng, sub)}
    text = _yaml(settings)
    tool = phrasing.pick(rng, TOOLS)
    user_cmd = f"witness {sub}" + (f" -- {tool}" if sub == "run" else "")
    fixed = f"witness -c .witness.yaml {sub}" + (f" -- {tool}" if sub == "run" else "")
    cfg = cli_spec.parse_config_yaml(text, version=version)
    assert cli_spec.parse_command(fixed, config=cfg, version=version).valid
    check = {"kind": "dotwitness", "sub": sub, "config": text}
    keys = "Keys stay `<subcommand>.<long flag name>` (e.g. `run.signer-file-key-path`)."
    if not version.dotwitness_error:  # the error does not exist yet: the file is read by default
        t = rng.randrange(len(DOT10_Q))
        question = DOT10_Q[t].format(cmd=user_cmd, yaml=text)
        answer = (
            f"Yes, in {version.label}.x: `-c/--config` defaults to `.witness.yaml`, so `{user_cmd}` reads it when "
            "it is in the working directory. Since witness v0.11 that default is gone and the same file without "
            f"`-c` aborts every command (`{DEPRECATED_MSG}`), so pass it explicitly to work with every release:"
            f"\n\n```bash\n{fixed}\n```\n\n{keys}"
        )
        return f"config/dotwitness10/{sub}", question, answer, check, f"config/dotwitness10/{t}"
    t = rng.randrange(len(DOT_Q))
    question = DOT_Q[t].format(msg=DEPRECATED_MSG, cmd=user_cmd, yaml=text)
    answer = (
        "Since witness v0.11 witness no longer loads `.witness.yaml` implicitly (v0.10.x did): when that file "
        "exists in the working directory and no `-c/--config` is given, every command aborts with this error "
        "(the docs still describe the old default). Pass the file explicitly:\n\n"
        f"```bash\n{fixed}\n```\n\n{keys}"
    )
    return f"config/dotwitness/{sub}", question, answer, check, f"config/dotwitness/{t}"


# config values that differ from the facts family's command-line samples: `run.attestations` takes attestor
# names (not attestation files, which would fail with `attestor not found`), and `-a` replaces the default
CONFIG_SAMPLES: dict[tuple[str, str], str | list[str]] = {
    ("run", "attestations"): ["environment", "git", "slsa"],
}
# other keys that are an equally correct replacement for a stale key (REFERENCE §2.6: `--artifacthash`
# took a digest, which is what `verify.subjects` takes)
ALT_GOOD: dict[tuple[str, str], tuple[str, ...]] = {("verify", "artifacthash"): ("subjects",)}
# the BAD_Q templates that show the user's value (the corrected YAML must then keep it)
VALUE_TEMPLATES = frozenset({2, 5})


@functools.cache
def bad_pairs(version: str = versions.DEFAULT) -> tuple[tuple[str, str, str, str | list[str]], ...]:
    """(subcommand, nonexistent key, correct long flag, sample value) from the core's nonexistent-flag
    table, for the keys that are no flag of the release `version`."""
    import re

    gr = cli_spec.grammar(version)
    hint_flag = re.compile(r"`(?:-\w/)?--([\w-]+)")
    out: list[tuple[str, str, str, str | list[str]]] = []
    for bad, hint in data.NONEXISTENT_FLAGS.items():
        if gr.has_flag(bad):  # `signer-file-key-passphrase` is a real key in witness v0.10.x
            continue
        for sub in ("run", "sign", "verify"):
            good = next(
                (n for n in hint_flag.findall(hint) if n != bad and gr.lookup_flag(sub, n) is not None),
                None,
            )
            if good is None or good not in SAMPLES or good in ("config", "log-level"):
                continue
            flag = gr.lookup_flag(sub, good)
            if flag is None or flag.type == "bool":
                continue
            value = CONFIG_SAMPLES.get((sub, good), SAMPLES[good])
            if isinstance(value, str) and value.startswith("$"):
                continue  # viper does not expand environment variables: `$OIDC_TOKEN` would be taken literally
            out.append((sub, bad, good, value))
    return tuple(out)


BAD_PAIRS = bad_pairs()


def _want_value(value: str | list[str], got: Any) -> Any:
    """The check's value in the shape parse_config_yaml gives for the flag (list for strings flags)."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(got, list) else value


def _make_bad(rng: random.Random, version: WitnessVersion) -> tuple[str, str, str, dict[str, Any], str]:
    sub, bad, good, value = phrasing.pick(rng, bad_pairs(version.name))
    if isinstance(value, list):
        fixed = f"{sub}:\n  {good}:\n" + "".join(f"    - {v}\n" for v in value)
        shown = "[" + ", ".join(value) + "]"
    else:
        fixed = f"{sub}:\n  {good}: {value}\n"
        shown = value
    cfg = cli_spec.parse_config_yaml(fixed, version=version)
    assert not cfg.issues and cfg.values[sub][good] == (
        value
        if isinstance(value, list)
        else [value]
        if cli_spec.lookup_flag(sub, good, version).type in ("strings", "stringArray")  # type: ignore[union-attr]
        else value
    )
    t = rng.randrange(len(BAD_Q))
    question = BAD_Q[t].format(sub=sub, bad=bad, value=shown)
    answer = (
        f"No. Witness config keys are `<subcommand>.<long flag name>`, and `--{bad}` is not a flag of "
        f"`witness {sub}`, so `{sub}.{bad}` is silently ignored. Use `{sub}.{good}`:\n\n```yaml\n{fixed}```\n\n"
        f"and pass the file explicitly, e.g. `witness -c witness.yaml {sub}`."
    )
    check = {
        "kind": "badkey",
        "sub": sub,
        "bad": bad,
        "good": good,
        "value": value,
        "value_shown": t in VALUE_TEMPLATES,
    }
    return f"config/badkey/{sub}/{bad}", question, answer, check, f"config/badkey/{t}"


KINDS = (("write", _make_write, 3.0), ("dotwitness", _make_dot, 1.0), ("badkey", _make_bad, 1.5))


def make(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Example:
    kind, fn, _ = rng.choices(KINDS, weights=[w for _, _, w in KINDS])[0]
    group, question, answer, check, template = fn(rng, version)
    return Example(
        family=NAME,
        group=group,
        template=template,
        question=phrasing.dress(rng, question),
        answer=answer,
        check=check,
        system=phrasing.system_prompt(rng),
        meta={"kind": kind},
    )


# --------------------------------------------------------------------------- scoring


def _configs(text: str, version: WitnessVersion | None = None) -> list[ConfigFile]:
    """Parsed YAML blocks of the answer that look like witness configs (a mapping at top level)."""
    out: list[ConfigFile] = []
    for lang, body in answers.code_blocks(text)[:MAX_BLOCKS]:
        if lang not in ("yaml", "yml", "") or len(body) > MAX_YAML_CHARS:
            continue
        if sum(body.count(c) for c in "[{&*") > MAX_YAML_SPECIALS:
            continue  # deeply nested flow collections / alias bombs: PyYAML is slow on them
        cfg = cli_spec.parse_config_yaml(body, version=version)
        if cfg.values or any(i.code == "config-unknown-key" for i in cfg.issues):
            out.append(cfg)
    return out


def _same_file(given: str | None, want: str) -> bool:
    if not given:
        return False
    g, w = given.lstrip("./"), want.lstrip("./")
    return g == w or g.rsplit("/", 1)[-1] == w.rsplit("/", 1)[-1]


def _witness_commands(text: str) -> list[str]:
    return [c for c in answers.commands(text)[:MAX_COMMANDS] if len(c) < 4000]


def _score_write(text: str, check: dict[str, Any], version: WitnessVersion) -> Score:
    settings: dict[str, dict[str, Any]] = check["settings"]
    configs = [c for c in _configs(text, version) if all(s in c.values for s in settings)]
    if not configs:
        return Score.failed("no YAML config with " + ", ".join(f"`{s}:`" for s in settings) + " sections")
    cfg = configs[0]
    bad = [i for i in cfg.issues if i.severity in ("error", "warning")]
    if bad:
        return Score.failed(f"config problem: {bad[0].message[:160]}")
    for sub, want in settings.items():
        got = cfg.values.get(sub, {})
        for name, v in want.items():
            if _norm(name, got.get(name)) != _norm(name, v):
                return Score.failed(f"config `{sub}.{name}` is {got.get(name)!r}, expected {v!r}")
    cmds = _witness_commands(text)
    for sub in check["commands"]:
        ok, why = False, f"no `witness -c {check['file']} {sub}` command"
        for c in cmds:
            a = cli_spec.parse_command(c, config=cfg, version=version)
            if a.subcommand != sub:
                continue
            if not a.flags.get("config") or not _same_file(a.config_file, check["file"]):
                why = f"`witness {sub}` command does not pass the config with -c/--config {check['file']}"
                continue
            if not a.valid:
                why = f"`witness {sub}` command is invalid: {a.errors[0].message[:160]}"
                continue
            diff = [n for n, v in settings[sub].items() if _norm(n, a.flags.get(n)) != _norm(n, v)]
            if diff:
                why = f"command overrides `{diff[0]}`"
                continue
            ok = True
            break
        if not ok:
            return Score.failed(why)
    return Score.passed()


def _score_dot(text: str, check: dict[str, Any], version: WitnessVersion) -> Score:
    sub = check["sub"]
    cfg = cli_spec.parse_config_yaml(check.get("config", ""), version=version)
    for c in _witness_commands(text):
        a = cli_spec.parse_command(c, config=cfg, version=version)
        if a.subcommand == sub and a.flags.get("config") and a.valid:  # an explicit -c/--config
            return Score.passed()
    return Score.failed(f"no valid `witness {sub}` command passing the config with -c/--config")


def _score_bad(text: str, check: dict[str, Any], version: WitnessVersion) -> Score:
    """Says no, and names the right key: in a corrected YAML `sub:` section (with the user's value where the
    question showed one) or, without such YAML, as `sub.good` in the text."""
    sub, bad, good, value = check["sub"], check["bad"], check["good"], check["value"]
    goods = (good, *ALT_GOOD.get((sub, bad), ()))
    head = text.lstrip(" \t\n*_#>`").lower()
    if head.startswith("yes"):
        return Score.failed("answers yes")
    if not any(has_term(text, t) for t in [*NEG_ALTS, "ignored", "not valid", "no"]):
        return Score.failed("does not say the key is invalid")
    if not any(has_term(text, g) for g in goods):
        return Score.failed(f"missing `{sub}.{good}`")
    why = ""
    for cfg in _configs(text, version):
        got = cfg.values.get(sub, {})
        for g in goods:
            if g not in got:
                continue
            if (
                check.get("value_shown")
                and g == good
                and _norm(g, got[g]) != _norm(g, _want_value(value, got[g]))
            ):
                why = f"corrected config sets `{sub}.{g}` to {got[g]!r}, not the question's {value!r}"
                continue
            bad_keys = [i for i in cfg.issues if i.code == "config-unknown-key"]
            if bad_keys:
                return Score.failed(f"corrected config still has {bad_keys[0].message[:120]}")
            return Score.passed()
    if why:
        return Score.failed(why)
    if any(has_term(text, f"{sub}.{g}") for g in goods):
        return Score.passed()
    return Score.failed(f"neither a corrected YAML nor the key `{sub}.{good}`")


SCORERS = {"write": _score_write, "dotwitness": _score_dot, "badkey": _score_bad}


@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    fn = SCORERS.get(check.get("kind", ""))
    if fn is None:
        return Score.failed("unknown check kind")
    return fn(answer, check, ctx.version(check))


FAMILY = Family(
    name=NAME,
    description="Witness config files: `<subcommand>.<long flag>` YAML passed with -c, .witness.yaml, bad keys.",
    make=make,
    score=score,
)
