"""Family `config`: witness config files (`-c/--config`, REFERENCE §2.9, trap 19).

Intents:
* `write`: the user's settings for `witness run`/`sign`/`verify` (stated in sentences, or as the long
  command / CI step they want to shorten) -> the whole YAML file, the command that uses it, how to check
  both; scored by parsing the answer's YAML with `parse_config_yaml` and its commands with
  `parse_command(..., config=...)`.
* `override`: an existing config reused for another step: the command-line flags that override it.
* `dotwitness`: `default use of .witness.yaml is deprecated ...` (witness v0.11 and later); for witness
  v0.10.x, whether `.witness.yaml` is read by default (it is); the fix passes `-c` explicitly.
* `badkey`: a pasted config with a stale/nonexistent key (`run.key`): the key is `<subcommand>` section +
  long flag name, so it is silently ignored; the whole corrected file.

Answers teach (`generate.teach`): why, the complete YAML and command, `witness-evals check command
--config ...`. Release-dependent statements (the `.witness.yaml` default) name the releases they hold for.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
import shlex
from collections.abc import Callable
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.bench.scorers.terms import has_term
from witness_evals.generate import phrasing, teach
from witness_evals.generate.example import Example
from witness_evals.generate.families import Family
from witness_evals.generate.families.cli_usage import names, workloads
from witness_evals.generate.families.facts import NEG_ALTS, SAMPLES
from witness_evals.generate.teach import Lesson
from witness_evals.witness import cli as cli_spec
from witness_evals.witness import versions
from witness_evals.witness.cli import ConfigFile, data
from witness_evals.witness.cli.values import clean_path
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
    "build/witness-config.yaml",
    ".github/witness.yaml",
    "deploy/witness.yml",
    "witness.{project}.yaml",
)
LIST_FLAGS = frozenset(
    {"attestations", "hashes", "timestamp-servers", "env-add-sensitive-key", "policy-ca-roots"}
)

pick = phrasing.pick


# --------------------------------------------------------------------------- settings


def _settings(rng: random.Random, sub: str, pr: workloads.Project) -> dict[str, Any]:
    """Flag long name -> value for one subcommand (values as parse_config_yaml returns them)."""
    out: dict[str, Any] = {}
    org, project, step = pr.org, pr.name, pr.step
    if sub == "run":
        out["step"] = step
        signer = rng.choices(("file", "kms", "fulcio"), (80, 12, 8))[0]
        if signer == "file":
            out["signer-file-key-path"] = names.fill(rng, names.KEYS, step=step, project=project, org=org)
        elif signer == "kms":
            out["signer-kms-ref"] = f"awskms:///alias/{pick(rng, ('witness-build', f'{org}-ci'))}"
        else:
            out["signer-fulcio-url"] = "https://fulcio.sigstore.dev"
            out["signer-fulcio-oidc-issuer"] = "https://oauth2.sigstore.dev/auth"
            out["signer-fulcio-oidc-client-id"] = "sigstore"
            # a Fulcio certificate lives ~10 minutes: without a timestamp the signature stops verifying
            out["timestamp-servers"] = [names.fill(rng, names.TSAS, org=org)]
        out["outfile"] = names.outfile(rng, step=step, project=project, org=org)
        if rng.random() < 0.7:
            usable = list(pr.work.usable())
            extra = rng.sample(usable, min(len(usable), rng.randint(0, 2)))
            base = ["environment", "git"] if rng.random() < 0.75 else ["environment"]
            out["attestations"] = base + extra
            if "k8smanifest" in extra:
                # recording the cluster is on by default and fails the run without a kubeconfig context
                out["attestor-k8smanifest-record-cluster-information"] = False
        if rng.random() < 0.2:
            out["trace"] = True
        if rng.random() < 0.15:
            out["hashes"] = ["sha256", "sha1"]
        if rng.random() < 0.2 and "timestamp-servers" not in out:
            out["timestamp-servers"] = [names.fill(rng, names.TSAS, org=org)]
        if rng.random() < 0.12:
            out["env-filter-sensitive-vars"] = True
        if rng.random() < 0.12:
            out["enable-archivista"] = True
            out["archivista-server"] = names.fill(rng, names.ARCHIVISTAS, org=org)
    elif sub == "sign":
        out["signer-file-key-path"] = names.fill(rng, names.POLICY_KEYS, org=org)
        out["infile"] = names.fill(rng, names.POLICIES, project=project, org=org)
        out["outfile"] = names.fill(rng, names.SIGNED, project=project, org=org)
        if rng.random() < 0.25:
            out["timestamp-servers"] = [names.fill(rng, names.TSAS, org=org)]
    else:
        out["policy"] = names.fill(rng, names.SIGNED, project=project, org=org)
        if rng.random() < 0.8:
            out["publickey"] = names.fill(rng, names.POLICY_PUBS, org=org)
        else:
            out["policy-ca-roots"] = [names.fill(rng, names.ROOTS, org=org)]
        steps = rng.sample(("build", "test", "package", "sbom", "scan", "lint"), rng.randint(1, 3))
        pattern = pick(rng, ("{s}.attestation.json", "attestations/{s}.json", "{s}.att.json"))
        out["attestations"] = [pattern.format(s=s) for s in steps]
        product = pr.work.products[0] if pr.work.products else f"{project}-{pr.version}.tar.gz"
        out["artifactfile"] = product
    return out


_DESCRIBE: dict[str, tuple[str, ...]] = {
    "step": ("names the step `{v}`", "records the step `{v}`", "uses `{v}` as the step name"),
    "signer-file-key-path": ("signs with the key `{v}`", "uses the private key `{v}`"),
    "signer-kms-ref": ("signs with the KMS key `{v}`",),
    "signer-fulcio-url": ("signs keyless through Fulcio at {v}",),
    "signer-fulcio-oidc-issuer": ("logs in with the OIDC issuer {v}",),
    "signer-fulcio-oidc-client-id": ("uses the OIDC client id `{v}`",),
    "outfile": ("writes to `{v}`", "saves the result as `{v}`"),
    "infile": ("signs the file `{v}`", "takes `{v}` as input"),
    "trace": ("enables tracing", "traces the processes"),
    "env-filter-sensitive-vars": ("drops sensitive environment variables entirely",),
    "enable-archivista": ("uploads to Archivista",),
    "archivista-server": ("talks to the Archivista at {v}",),
    "policy": ("uses the signed policy `{v}`", "checks against `{v}`"),
    "publickey": ("checks the policy signature with `{v}`", "trusts the policy key `{v}`"),
    "artifactfile": ("verifies the artifact `{v}`", "checks `{v}`"),
    "attestor-k8smanifest-record-cluster-information": (
        "does not record cluster information (the runner has no kubeconfig)",
        "skips the k8smanifest cluster lookup, since there is no kubeconfig",
    ),
}


def _describe(rng: random.Random, sub: str, s: dict[str, Any]) -> str:
    parts: list[str] = []
    for name, v in s.items():
        if name in _DESCRIBE:
            parts.append(pick(rng, _DESCRIBE[name]).format(v=v))
        elif name == "attestations" and sub == "run":
            parts.append(f"records the {_codes(v)} attestor" + ("s" if len(v) > 1 else ""))
        elif name == "attestations":
            parts.append("reads the attestation files " + _codes(v))
        elif name == "hashes":
            parts.append("computes " + " and ".join(f"`{h}`" for h in v) + " digests")
        elif name == "timestamp-servers":
            parts.append(f"timestamps the signature with {v[0]}")
        elif name == "policy-ca-roots":
            parts.append(f"trusts policies signed by a certificate from the root `{v[0]}`")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def _codes(items: list[str]) -> str:
    names_ = [f"`{a}`" for a in items]
    return ", ".join(names_[:-1]) + " and " + names_[-1] if len(names_) > 1 else names_[0]


# --------------------------------------------------------------------------- YAML


_PLAIN = re.compile(r"^[A-Za-z0-9_./$][A-Za-z0-9_./:@+=,$-]*$")


def _scalar(v: Any, quote: bool) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    s = str(v)
    if quote or not _PLAIN.match(s) or s.lower() in ("yes", "no", "on", "off", "null", "true", "false", "~"):
        return json.dumps(s)
    return s


@functools.lru_cache(maxsize=1)
def _no_style() -> dict[str, Any]:
    return {"indent": 2, "flow": False, "quote": False, "comment": ""}


def _style(rng: random.Random) -> dict[str, Any]:
    return {
        "indent": pick(rng, (2, 2, 4)),
        "flow": rng.random() < 0.3,
        "quote": rng.random() < 0.2,
        "comment": pick(rng, ("", "", "", "# witness settings, passed with -c", "# CI defaults for witness")),
    }


def to_yaml(settings: dict[str, dict[str, Any]], style: dict[str, Any] | None = None) -> str:
    st = style or _no_style()
    ind = " " * st["indent"]
    lines = [st["comment"]] if st["comment"] else []
    for sub, s in settings.items():
        lines.append(f"{sub}:")
        for name, v in s.items():
            if isinstance(v, list):
                if st["flow"]:
                    lines.append(f"{ind}{name}: [" + ", ".join(_scalar(x, st["quote"]) for x in v) + "]")
                else:
                    lines.append(f"{ind}{name}:")
                    lines += [f"{ind}{ind}- {_scalar(x, st['quote'])}" for x in v]
            else:
                lines.append(f"{ind}{name}: {_scalar(v, st['quote'])}")
    return "\n".join(lines) + "\n"


def _norm(name: str, v: Any) -> Any:
    if isinstance(v, list):
        return sorted(str(x) for x in v) if name in LIST_FLAGS else [str(x) for x in v]
    return v


def _parsed(text: str, settings: dict[str, dict[str, Any]], version: WitnessVersion) -> ConfigFile:
    cfg = cli_spec.parse_config_yaml(text, version=version)
    assert not cfg.issues, (text, cfg.issues)
    for sub, s in settings.items():
        for name, v in s.items():
            assert _norm(name, cfg.values[sub].get(name)) == _norm(name, v), (
                name,
                cfg.values[sub].get(name),
                v,
            )
    return cfg


def _command(rng: random.Random, file: str, sub: str, argv: tuple[str, ...] | None, extra: str = "") -> str:
    form = pick(
        rng, ("witness -c {f} {s}", "witness -c {f} {s}", "witness --config {f} {s}", "witness {s} -c {f}")
    )
    text = form.format(f=shlex.quote(file), s=sub) + (f" {extra}" if extra else "")
    return text + (f" -- {shlex.join(argv)}" if sub == "run" and argv else "")


def _check_line(cmd: str, file: str, version: WitnessVersion) -> str:
    opt = "" if version.name == versions.DEFAULT else f" --witness-version {version.name}"
    return f"witness-evals check command{opt} --config {shlex.quote(file)} {shlex.quote(cmd)}"


def _reads(rng: random.Random, version: WitnessVersion) -> str:
    if version.dotwitness_error:
        return pick(
            rng,
            (
                "Since witness v0.11 a config file is read only when `-c/--config` names it (and a `.witness.yaml` "
                "in the working directory without `-c` is an error).",
                "witness v0.11 and later never load a config implicitly, so every invocation passes `-c`.",
            ),
        )
    return pick(
        rng,
        (
            f"In {version.label}.x `-c` defaults to `.witness.yaml`; any other name must be passed with `-c` (and "
            "since witness v0.11 nothing is read without `-c`, so passing it keeps working after an upgrade).",
            f"{version.label}.x reads only `.witness.yaml` by default, so pass this file with `-c`; that is also "
            "what witness v0.11 and later require.",
        ),
    )


_KEYS_WHY = (
    "Each subcommand has its own section, and the keys are the long flag names without the leading dashes (`{sub}.{flag}` is "
    "`--{flag}` of `witness {sub}`).",
    "The config mirrors the flags: a `{sub}:` section whose keys are the long names of `witness {sub}`'s flags, "
    "e.g. `{flag}`.",
    "witness reads the `{flag}` key of the `{sub}` section as `witness {sub} --{flag}`.",
)
_LIST_WHY = (
    "List flags such as `{flag}` become YAML lists.",
    "Repeated or comma-separated flags (here `{flag}`) turn into YAML lists.",
)
_A_WHY = (
    "`run.attestations` works like `-a`: it replaces the default `environment,git` list, so list them if you want them.",
    "As on the command line, `attestations` replaces the defaults rather than adding to them.",
)


# --------------------------------------------------------------------------- write


def _ask_long_command(rng: random.Random, v: dict[str, str]) -> str:
    return phrasing.pick(
        rng,
        (
            "Our CI runs this and the line keeps growing:\n\n```bash\n{cmd}\n```\n\nCan that go into `{file}` with a "
            "short command instead?",
            "Turn this into a witness config file `{file}` plus a short command:\n\n```bash\n{cmd}\n```",
            "I'd rather keep these flags in a file called `{file}`:\n\n```bash\n{cmd}\n```\n\nWhat does the file look "
            "like and how do I call witness then?",
        ),
    ).format(**v)


WRITE_FORMS: tuple[Callable[[random.Random, dict[str, str]], str], ...] = (
    lambda rng, v: pick(
        rng,
        (
            "How do I put my `witness {sub}` settings in a config file? It {desc}. Call the file `{file}`.",
            "Can witness read its `{sub}` flags from a file? I want `{file}` where `witness {sub}` {desc}.",
        ),
    ).format(**v),
    lambda rng, v: pick(
        rng,
        (
            "Write a witness config file `{file}` so that `witness {sub}` {desc}.",
            "Create `{file}` for witness: `witness {sub}` {desc}. Show the YAML and the invocation.",
        ),
    ).format(**v),
    lambda rng, v: pick(
        rng,
        (
            "I need one config file for all our repos. `witness {sub}` {desc}; the file is `{file}`.",
            "We want the witness settings versioned in `{file}`: `witness {sub}` {desc}.",
        ),
    ).format(**v),
    _ask_long_command,
    lambda rng, v: pick(
        rng,
        (
            "What YAML do I need in `{file}` so that `witness {sub}` {desc}? Include the command line.",
            "Which keys go into `{file}` if `witness {sub}` {desc}?",
        ),
    ).format(**v),
    lambda rng, v: pick(
        rng,
        (
            "config file for witness ({file}):\n- `witness {sub}` {desc}",
            "witness config `{file}`, {sub} section: it {desc}.",
        ),
    ).format(**v),
)


def _long_command(sub: str, s: dict[str, Any], argv: tuple[str, ...], version: WitnessVersion) -> str:
    gr = cli_spec.grammar(version)
    parts = ["witness", sub]
    for name, v in s.items():
        f = gr.lookup_flag(sub, name)
        assert f is not None
        opt = f"-{f.short}" if f.short else f"--{name}"
        if v is False:
            parts.append(f"--{name}=false")  # a bool flag takes its value only with `=`
        elif isinstance(v, bool):
            parts.append(opt)
        elif isinstance(v, list):
            parts += [opt, ",".join(v)]
        else:
            parts += [opt, str(v)]
    text = shlex.join(parts) + (f" -- {shlex.join(argv)}" if sub == "run" else "")
    assert gr.parse(text).valid, text
    return text


def _make_write(rng: random.Random, version: WitnessVersion) -> tuple[str, str, str, dict[str, Any], str]:
    pr = workloads.draw(rng)
    subs = pick(rng, (("run",), ("run",), ("verify",), ("sign",), ("run", "verify"), ("sign", "verify")))
    settings = {sub: _settings(rng, sub, pr) for sub in subs}
    if "sign" in settings and "verify" in settings:
        # one config that signs a policy and verifies with it: verify reads the file sign writes
        settings["verify"]["policy"] = settings["sign"]["outfile"]
    file = names.fill(rng, FILES, project=pr.name)
    argv = pr.work.command
    text = to_yaml(settings, _style(rng))
    cfg = _parsed(text, settings, version)
    cmds = [_command(rng, file, sub, argv) for sub in subs]
    for c in cmds:
        a = cli_spec.parse_command(c, config=cfg, version=version)
        assert a.valid and a.config_applied, (c, a.issues)
    t = rng.randrange(len(WRITE_FORMS))
    sub0 = subs[0]
    desc = _describe(rng, sub0, settings[sub0])
    if len(subs) > 1:
        desc += f", and `witness {subs[1]}` " + _describe(rng, subs[1], settings[subs[1]])
    if WRITE_FORMS[t] is _ask_long_command and len(subs) > 1:
        t = 0
    v = {"file": file, "sub": sub0, "desc": desc, "cmd": _long_command(sub0, settings[sub0], argv, version)}
    question = WRITE_FORMS[t](rng, v)
    if sub0 == "run" and WRITE_FORMS[t] is not _ask_long_command:
        question = _after_block(
            question,
            pick(rng, ("The step runs `{c}`.", "It wraps `{c}`.", "(The command is `{c}`.)")).format(
                c=shlex.join(argv)
            ),
        )
    flag0 = next(iter(settings[sub0]))
    why = [pick(rng, _KEYS_WHY).format(sub=sub0, flag=flag0)]
    lists = [n for s in settings.values() for n, x in s.items() if isinstance(x, list)]
    if lists:
        why.append(pick(rng, _LIST_WHY).format(flag=lists[0]))
    notes = [_reads(rng, version)]
    if "attestations" in settings.get("run", {}):
        notes.append(pick(rng, _A_WHY))
    if "run" in settings:
        notes.append("The wrapped command itself cannot go into the file; it stays after `--`.")
    artifact = (
        f"`{file}`:\n\n```yaml\n{text}```\n\n"
        + pick(rng, ("Then:", "Use it with:", "And the command:"))
        + ("\n\n```bash\n" + "\n".join(cmds) + "\n```")
    )
    lesson = Lesson(
        why=why,
        artifact=artifact,
        check=[_check_line(c, file, version) for c in cmds],
        check_intro=pick(
            rng,
            (
                f"With the YAML saved as `{file}`, the analyser merges it like witness does and reports problems:",
                "Check the file and the command together (nothing is executed):",
            ),
        ),
        notes=notes,
    )
    check = {
        "kind": "write",
        "file": file,
        "settings": settings,
        "commands": list(subs),
        "argv": list(argv) if "run" in subs else None,
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    return (
        f"config/write/{'+'.join(subs)}/{digest}",
        question,
        teach.render(rng, lesson),
        check,
        f"config/write/{t}",
    )


# --------------------------------------------------------------------------- override


OVERRIDE_FORMS: tuple[str, ...] = (
    "We share this `{file}` across jobs:\n\n```yaml\n{yaml}```\n\nFor the {what} I need step `{step}` writing `{out}` "
    "and running `{cmd}`. Do I need a second config file?",
    "```yaml\n{yaml}```\n\nThat's `{file}`. How do I reuse it for a `{step}` step that runs `{cmd}` and writes `{out}`?",
    "Our `{file}` is set up for `{old}`. Now `{cmd}` must be recorded as `{step}` into `{out}`, with everything "
    "else the same:\n\n```yaml\n{yaml}```",
    "Can command-line flags override what's in `{file}`? I want the `{step}` step (`{cmd}`, output `{out}`) "
    "but otherwise the config below.\n\n```yaml\n{yaml}```",
    "I need one more witness step with the config below (`{file}`): step name `{step}`, attestation file `{out}`, "
    "command `{cmd}`.\n\n```yaml\n{yaml}```",
    "Quick one: `{file}` holds\n\n```yaml\n{yaml}```\n\nand I want to attest `{cmd}` as `{step}` to `{out}`. Command?",
)


def _make_override(rng: random.Random, version: WitnessVersion) -> tuple[str, str, str, dict[str, Any], str]:
    first = workloads.draw(rng, kinds=("build",))
    second = workloads.draw(rng, kinds=("test", "package", "scan", "sbom", "lint"))
    second = workloads.Project(first.org, first.name, first.version, second.work, second.step)
    settings = {"run": _settings(rng, "run", first)}
    settings["run"].pop("attestations", None)  # the defaults suit every step
    settings["run"].pop("attestor-k8smanifest-record-cluster-information", None)  # only with k8smanifest
    file = names.fill(rng, FILES, project=first.name)
    text = to_yaml(settings, _style(rng))
    cfg = _parsed(text, settings, version)
    step = second.step if second.step != first.step else f"{second.step}-2"
    out = names.outfile(rng, step=step, project=first.name, org=first.org)
    if out == settings["run"]["outfile"]:
        out = f"{step}.att.json"
    extra = f"-s {shlex.quote(step)} -o {shlex.quote(out)}"
    cmd = _command(rng, file, "run", second.work.command, extra)
    a = cli_spec.parse_command(cmd, config=cfg, version=version)
    assert a.valid and a.flags["step"] == step and a.flags["outfile"] == out, (cmd, a.issues)
    t = rng.randrange(len(OVERRIDE_FORMS))
    question = OVERRIDE_FORMS[t].format(
        file=file,
        yaml=text,
        what=second.work.what,
        step=step,
        out=out,
        cmd=shlex.join(second.work.command),
        old=settings["run"]["step"],
    )
    why = [
        pick(
            rng,
            (
                "No second file is needed: flags given on the command line override the config's values, and "
                "everything else still comes from the file.",
                "Command-line flags win over config values, so override only what differs.",
            ),
        ),
        f"Here that is the step name and the output file (`-s {step} -o {out}`); "
        + ("the signer and the other settings stay" if len(settings["run"]) > 3 else "the signer stays")
        + f" as in `{file}`.",
    ]
    lesson = Lesson(
        why=why,
        artifact=f"```bash\n{cmd}\n```",
        check=[_check_line(cmd, file, version)],
        check_intro="The analyser shows the merged flags (and which came from the config):",
        notes=[_reads(rng, version)],
    )
    expect = {"step": step, "outfile": out}
    for name, v in settings["run"].items():
        expect.setdefault(name, v)
    check = {
        "kind": "override",
        "file": file,
        "config": text,
        "expect": expect,
        "argv": list(second.work.command),
    }
    digest = hashlib.sha256(json.dumps(check, sort_keys=True).encode()).hexdigest()[:16]
    return f"config/override/{digest}", question, teach.render(rng, lesson), check, f"config/override/{t}"


# --------------------------------------------------------------------------- .witness.yaml


DOT_FORMS = (
    "`{cmd}` fails with `{msg}`. Why, and how do I fix it?",
    "I have a `.witness.yaml` in my repo:\n\n```yaml\n{yaml}```\n\nand `{cmd}` now fails with `{msg}`. What changed?",
    "After upgrading to {label}, `{cmd}` prints `{msg}`. The docs say `.witness.yaml` is loaded by default. What do I do?",
    "Why does `{cmd}` complain that default use of .witness.yaml is deprecated?",
    "How do I make witness use my `.witness.yaml` again? `{cmd}` errors with `{msg}`.",
    "Our pipeline runs `{cmd}` next to this `.witness.yaml` and gets `{msg}`:\n\n```yaml\n{yaml}```\n\nFix?",
)
DOT10_FORMS = (
    "Does `{cmd}` pick up my `.witness.yaml` automatically? We're on {label}.",
    "I have a `.witness.yaml` in my repo:\n\n```yaml\n{yaml}```\n\nWill `{cmd}` use it without any flag on {label}?",
    "Do I need `-c` for witness to read `.witness.yaml`, or is it loaded by default? I run `{cmd}` with {label}.",
    "Our pipeline runs `{cmd}` ({label}) next to a `.witness.yaml`. Is the file applied, and should I change anything?",
    "Is `.witness.yaml` the default witness config file? My command is `{cmd}` on {label}.",
    "Which config file does `{cmd}` read on {label} when I don't pass `-c`?",
)


def _make_dot(rng: random.Random, version: WitnessVersion) -> tuple[str, str, str, dict[str, Any], str]:
    pr = workloads.draw(rng)
    sub = pick(rng, ("run", "run", "verify", "sign"))
    settings = {sub: _settings(rng, sub, pr)}
    text = to_yaml(settings, _style(rng))
    cfg = _parsed(text, settings, version)
    argv = pr.work.command
    tail = f" -- {shlex.join(argv)}" if sub == "run" else ""
    user_cmd = f"witness {sub}{tail}"
    fixed = f"witness -c .witness.yaml {sub}{tail}"
    assert cli_spec.parse_command(fixed, config=cfg, version=version).valid
    check = {"kind": "dotwitness", "sub": sub, "config": text, "argv": list(argv) if sub == "run" else None}
    keys = pick(
        rng,
        (
            f"The keys stay as they are (`{sub}.{next(iter(settings[sub]))}` and so on).",
            "Nothing in the file itself has to change.",
        ),
    )
    label = f"{version.label}.x" if version.name == "0.10" else version.release
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    if not version.dotwitness_error:  # the error does not exist yet: the file is read by default
        t = rng.randrange(len(DOT10_FORMS))
        question = DOT10_FORMS[t].format(cmd=user_cmd, yaml=text, label=label)
        lesson = Lesson(
            why=[
                f"Yes, in {version.label}.x: `-c/--config` defaults to `.witness.yaml`, so `{user_cmd}` reads it "
                "when it is in the working directory.",
                f"Since witness v0.11 that default is gone and the same file without `-c` aborts every command "
                f"(`{DEPRECATED_MSG}`), so pass it explicitly to keep working after an upgrade.",
            ],
            artifact=f"```bash\n{fixed}\n```",
            check=[_check_line(fixed, ".witness.yaml", version)],
            check_intro="The analyser applies the file the same way:",
            notes=[keys],
        )
        return (
            f"config/dotwitness10/{sub}/{digest}",
            question,
            teach.render(rng, lesson),
            check,
            f"config/dotwitness10/{t}",
        )
    t = rng.randrange(len(DOT_FORMS))
    question = DOT_FORMS[t].format(
        msg=DEPRECATED_MSG, cmd=user_cmd, yaml=text, label=f"witness {version.release}"
    )
    lesson = Lesson(
        why=[
            pick(
                rng,
                (
                    "Since witness v0.11 witness no longer loads `.witness.yaml` implicitly (v0.10.x did): when that "
                    "file exists in the working directory and no `-c/--config` is given, every command aborts with "
                    "this error, even though the docs still describe the old default.",
                    "witness v0.10.x read `.witness.yaml` on its own; v0.11 dropped that default and turned the "
                    "leftover file into a hard error unless you name it with `-c`.",
                ),
            ),
            pick(
                rng,
                (
                    "Passing the file explicitly with `-c` fixes it.",
                    "Naming it with `-c` is all it takes.",
                    "With `-c` witness reads the file just as v0.10.x did on its own.",
                ),
            ),
        ],
        artifact=f"```bash\n{fixed}\n```",
        check=[_check_line(fixed, ".witness.yaml", version)],
        check_intro=pick(rng, ("Check it with the file's content:", "To confirm the file is applied:")),
        notes=[
            keys,
            "Renaming the file (e.g. to `witness.yaml`) also works, but then it has to be passed with `-c` too.",
        ],
    )
    return (
        f"config/dotwitness/{sub}/{digest}",
        question,
        teach.render(rng, lesson),
        check,
        f"config/dotwitness/{t}",
    )


# --------------------------------------------------------------------------- stale keys


# config values that differ from the facts family's command-line samples: `run.attestations` takes attestor
# names (not attestation files, which would fail with `attestor not found`), and `-a` replaces the default
CONFIG_SAMPLES: dict[tuple[str, str], str | list[str]] = {
    ("run", "attestations"): ["environment", "git", "slsa"],
}
# other keys that are an equally correct replacement for a stale key (REFERENCE §2.6: `--artifacthash`
# took a digest, which is what `verify.subjects` takes)
ALT_GOOD: dict[tuple[str, str], tuple[str, ...]] = {("verify", "artifacthash"): ("subjects",)}


@functools.cache
def bad_pairs(version: str = versions.DEFAULT) -> tuple[tuple[str, str, str, str | list[str]], ...]:
    """(subcommand, nonexistent key, correct long flag, sample value) from the core's nonexistent-flag
    table, for the keys that are no flag of the release `version`."""
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

BAD_FORMS = (
    "My witness config has\n\n```yaml\n{yaml}```\n\nbut witness seems to ignore `{bad}`. Why?",
    "Is `{sub}.{bad}` a valid witness config key? This is the file:\n\n```yaml\n{yaml}```",
    "{source}, so I wrote\n\n```yaml\n{yaml}```\n\nDoes that work?",
    "```yaml\n{yaml}```\n\nWitness runs, but the `{bad}` setting has no effect. What's the right key?",
    "Can you review our witness config before we roll it out?\n\n```yaml\n{yaml}```",
    "We pass this file with `-c`:\n\n```yaml\n{yaml}```\n\nWill witness pick up `{bad}` from the `{sub}` section?",
)
YES_NO_FORMS = frozenset({1, 2, 5})
"""BAD_FORMS that ask a yes/no question (only their answers open with "No:")."""
STALE_DOC_KEYS = frozenset(
    {"key", "certificate", "intermediates", "spiffe-socket", "rekor-server", "artifacthash"}
)
"""Keys the stale docs/concepts/config.md really lists (REFERENCE §2.9); other bad keys come from elsewhere."""
_SOURCES = (
    "A blog post used the `{bad}` option in its witness config",
    "I guessed the key from the flag I thought witness had (`--{bad}`)",
    "A colleague's config uses the `{bad}` key",
)


def _after_block(question: str, sentence: str) -> str:
    """`sentence` appended to `question`: on its own paragraph after a code block or a list (never glued onto a
    closing fence, which would leave the block open in Markdown), else after a space."""
    last = question.rstrip().splitlines()[-1] if question.strip() else ""
    if last.startswith(("```", "- ", "* ")) or question.rstrip().endswith("```"):
        return question.rstrip() + "\n\n" + sentence
    return question.rstrip() + " " + sentence


def _provider(flag: str) -> str:
    """`file`, `fulcio`, `kms`, `spiffe` or `vault` for a `signer-<provider>-...` flag."""
    return flag.split("-")[1]


def _make_bad(rng: random.Random, version: WitnessVersion) -> tuple[str, str, str, dict[str, Any], str]:
    sub, bad, good, value = pick(rng, bad_pairs(version.name))
    pr = workloads.draw(rng)
    base = _settings(rng, sub, pr)
    if good.startswith("signer-"):  # witness takes one signer provider: drop the other providers' keys
        for k in [k for k in base if k.startswith("signer-") and _provider(k) != _provider(good)]:
            base.pop(k)
    base.pop(good, None)
    if good == "signer-file-intermediate-paths":
        # the file signer drops the intermediates unless a certificate (and its key) is configured too
        base.setdefault(
            "signer-file-key-path", names.fill(rng, names.KEYS, step=pr.step, project=pr.name, org=pr.org)
        )
        base.setdefault(
            "signer-file-cert-path", names.fill(rng, names.CERTS, step=pr.step, project=pr.name, org=pr.org)
        )
    if good == "subjects":
        base.pop("artifactfile", None)
    if good in ("publickey",):
        base.pop("policy-ca-roots", None)
    keys = list(base)
    at = rng.randrange(len(keys) + 1)
    with_bad = {k: base[k] for k in keys[:at]} | {bad: value} | {k: base[k] for k in keys[at:]}
    fixed_settings = {k: base[k] for k in keys[:at]} | {good: value} | {k: base[k] for k in keys[at:]}
    style = _style(rng)
    user_yaml = to_yaml({sub: with_bad}, style)
    fixed = to_yaml({sub: fixed_settings}, style)
    gr = cli_spec.grammar(version)
    flag = gr.lookup_flag(sub, good)
    assert flag is not None
    want = value if isinstance(value, list) or flag.type not in ("strings", "stringArray") else [value]
    cfg = _parsed(fixed, {sub: {**fixed_settings, good: want}}, version)
    user_cfg = cli_spec.parse_config_yaml(user_yaml, version=version)
    unknown = [i for i in user_cfg.issues if i.code == "config-unknown-key"]
    assert unknown, (user_yaml, user_cfg.issues)
    t = rng.randrange(len(BAD_FORMS))
    if bad in STALE_DOC_KEYS:
        source = "The witness docs (docs/concepts/config.md) list `{bad}` as a config option"
    else:
        source = pick(rng, _SOURCES)
    question = BAD_FORMS[t].format(sub=sub, bad=bad, yaml=user_yaml, source=source.format(bad=bad))
    file = names.fill(rng, FILES, project=pr.name)
    cmd = _command(rng, file, sub, pr.work.command)
    cli_ok = cli_spec.parse_command(cmd, config=cfg, version=version)
    shows_command = cli_ok.valid and rng.random() < 0.7
    if shows_command:  # the user says how they call witness; the answer keeps that
        question = _after_block(
            question,
            pick(
                rng,
                ("We call it as `{c}`.", "It's saved as `{f}` and used like `{c}`.", "Invocation: `{c}`."),
            ).format(c=cmd, f=file),
        )
    hint = re.sub(r" <[^>`]+>", "", data.NONEXISTENT_FLAGS[bad])  # `--artifactfile <file>`: no placeholders
    # the hint opens with "`--x` does not exist (...)", which the first sentence already says: keep the rest
    rest = hint.split("; ", 1)[1] if "; " in hint else ""
    opening = (
        f"No: `{bad}` is not a flag of `witness {sub}`, and config keys are exactly the long flag names, so "
        f"`{sub}.{bad}` is silently ignored."
        if t in YES_NO_FORMS
        else pick(
            rng,
            (
                f"`{sub}.{bad}` does nothing: witness maps each key of the `{sub}` section to the `witness {sub}` "
                f"flag of the same name, and `--{bad}` does not exist.",
                f"`{bad}` is not a flag of `witness {sub}`, and config keys are exactly the long flag names, so "
                f"`{sub}.{bad}` is silently ignored.",
            ),
        )
    )
    why = [
        opening,
        f"The setting you want is `{sub}.{good}`" + (f" ({rest[:1].lower() + rest[1:]})." if rest else "."),
    ]
    if good == "signer-file-intermediate-paths":
        why.append("It only takes effect next to `signer-file-cert-path`, which your file already sets.")
    if t == 2 and bad in STALE_DOC_KEYS:
        why.append(
            "docs/concepts/config.md is stale: its keys (`key`, `certificate`, `intermediates`, `spiffe-socket`, "
            "`rekor-server`, `artifacthash`) are no flags of the current CLI."
        )
    notes = [_reads(rng, version)]
    if not shows_command:  # the user did not say how they call witness: the corrected YAML only
        artifact = f"```yaml\n{fixed}```"
        check_lines: list[str] = []
    else:
        artifact = f"```yaml\n{fixed}```\n\n" + pick(rng, ("Used as:", "Then:")) + f"\n\n```bash\n{cmd}\n```"
        check_lines = [_check_line(cmd, file, version)]
    lesson = Lesson(
        why=why,
        artifact=artifact,
        check=check_lines,
        check_intro=f"Saved as `{file}`, the analyser no longer reports an unknown key:"
        if check_lines
        else "",
        notes=notes,
    )
    check = {
        "kind": "badkey",
        "sub": sub,
        "bad": bad,
        "good": good,
        "value": value,
        "value_shown": True,
        "settings": {sub: base},
    }
    digest = hashlib.sha256(user_yaml.encode()).hexdigest()[:12]
    return (
        f"config/badkey/{sub}/{bad}/{digest}",
        question,
        teach.render(rng, lesson),
        check,
        f"config/badkey/{t}",
    )


KINDS = (
    ("write", _make_write, 3.0),
    ("override", _make_override, 1.2),
    ("dotwitness", _make_dot, 1.0),
    ("badkey", _make_bad, 1.5),
)


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
    """`-c given` names the file `want` (`./x` and `x` alike). Nothing looser: witness stats the path as
    given and stops with `config file <f> does not exist` (witness cmd/config.go:32-35), so `-c witness.yaml`
    misses `ci/witness.yaml`, and `.witness.yaml` is another file than `witness.yaml`."""
    return bool(given) and clean_path(given) == clean_path(want)


_RENAME = re.compile(r"\b(?:git\s+)?mv\s+(?:-\S+\s+)*(?:\./)?\.witness\.yaml\s+([^\s;&|`'\"]+)")
"""A command that renames `.witness.yaml` (the answer's other fix); group 1 is the new name."""


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
    argv = check.get("argv")
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
            if sub == "run" and isinstance(argv, list) and list(a.command) != argv:
                why = f"`witness run` wraps {a.command!r}, expected {argv!r}"
                continue
            ok = True
            break
        if not ok:
            return Score.failed(why)
    return Score.passed()


def _score_override(text: str, check: dict[str, Any], version: WitnessVersion) -> Score:
    """A `witness run` command that passes the given config with `-c` and, merged with it, has the expected
    flags and wraps the expected command."""
    cfg = cli_spec.parse_config_yaml(check.get("config", ""), version=version)
    expect: dict[str, Any] = check["expect"]
    why = "no `witness run` command passing the config with -c/--config"
    for c in _witness_commands(text):
        a = cli_spec.parse_command(c, config=cfg, version=version)
        if a.subcommand != "run" or not a.flags.get("config"):
            continue
        if not _same_file(a.config_file, check["file"]):
            why = f"`witness run` passes another config file than {check['file']}"
            continue
        if not a.valid:
            why = f"`witness run` command is invalid: {a.errors[0].message[:160]}"
            continue
        diff = [n for n, v in expect.items() if _norm(n, a.flags.get(n)) != _norm(n, v)]
        if diff:
            why = f"`--{diff[0]}` is {a.flags.get(diff[0])!r}, expected {expect[diff[0]]!r}"
            continue
        if list(a.command) != check.get("argv"):
            why = f"`witness run` wraps {a.command!r}, expected {check.get('argv')!r}"
            continue
        return Score.passed()
    return Score.failed(why)


def _score_dot(text: str, check: dict[str, Any], version: WitnessVersion) -> Score:
    """A valid `witness <sub>` command that passes `.witness.yaml` with -c/--config (or the name the answer
    renames it to with `mv`): any other file does not exist, and witness stops on it (cmd/config.go:32-35)."""
    sub = check["sub"]
    cfg = cli_spec.parse_config_yaml(check.get("config", ""), version=version)
    argv = check.get("argv")
    files = [".witness.yaml", *(m.group(1) for m in _RENAME.finditer(text))]
    why = f"no valid `witness {sub}` command passing the config with -c/--config"
    for c in _witness_commands(text):
        a = cli_spec.parse_command(c, config=cfg, version=version)
        if a.subcommand == sub and a.flags.get("config") and a.valid:  # an explicit -c/--config
            if not any(_same_file(a.config_file, f) for f in files):
                why = f"`-c {a.config_file}` names no file the config is in (.witness.yaml)"
                continue
            if isinstance(argv, list) and list(a.command) != argv:
                return Score.failed(f"`witness run` wraps {a.command!r}, expected {argv!r}")
            return Score.passed()
    return Score.failed(why)


def _want_value(value: str | list[str], got: Any) -> Any:
    """The check's value in the shape parse_config_yaml gives for the flag (list for strings flags)."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(got, list) else value


def _score_bad(text: str, check: dict[str, Any], version: WitnessVersion) -> Score:
    """Says no, and names the right key: in a corrected YAML `sub:` section (with the user's value where the
    question showed one, and the rest of the user's settings where the check lists them) or, without such
    YAML, as `sub.good` in the text."""
    sub, bad, good, value = check["sub"], check["bad"], check["good"], check["value"]
    goods = (good, *ALT_GOOD.get((sub, bad), ()))
    head = text.lstrip(" \t\n*_#>`").lower()
    if head.startswith("yes"):
        return Score.failed("answers yes")
    if not any(has_term(text, t) for t in [*NEG_ALTS, "ignored", "not valid", "no", "does nothing"]):
        return Score.failed("does not say the key is invalid")
    if not any(has_term(text, g) for g in goods):
        return Score.failed(f"missing `{sub}.{good}`")
    kept: dict[str, Any] = (check.get("settings") or {}).get(sub, {})
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
            lost = [n for n, v in kept.items() if _norm(n, got.get(n)) != _norm(n, v)]
            if lost:
                why = f"corrected config changes or drops `{sub}.{lost[0]}`"
                continue
            return Score.passed()
    if why:
        return Score.failed(why)
    if any(has_term(text, f"{sub}.{g}") for g in goods):
        return Score.passed()
    return Score.failed(f"neither a corrected YAML nor the key `{sub}.{good}`")


SCORERS = {"write": _score_write, "override": _score_override, "dotwitness": _score_dot, "badkey": _score_bad}


@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    fn = SCORERS.get(check.get("kind", ""))
    if fn is None:
        return Score.failed("unknown check kind")
    return fn(answer, check, ctx.version(check))


FAMILY = Family(
    name=NAME,
    description="Witness config files: subcommand sections of long flag names passed with -c, overrides, "
    ".witness.yaml, stale keys.",
    make=make,
    score=score,
)
