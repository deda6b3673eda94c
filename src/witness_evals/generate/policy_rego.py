"""Rego rules a policy embeds: one step's requirement that the genuine run meets, the module that
enforces it, the change to the run that breaks it, and how people ask for it.

A rule is a JSON-able dict (it lives in a policy task's check): `kind` (one of `KINDS`), `step`, `type`
(the attestation the module is attached to), `name` (its file), `module`, `what` (the requirement as a
sentence), `refuse` (what the policy must refuse, for a request that brings no module), `field` (what the
module reads, for the answer) and `violate` (`kind`, `value`: the scenario change of `violation`). Modules
are short and canonical, one package and message per kind, so that the answers that write one can be
learnt; their field names are the attestors' (REFERENCE §1.4): command-run `cmd` is the argv array, git
`branch` is the short name HEAD points to, `tags` the (annotated) tags on the commit and `authoremail` the
commit author's, environment `os` is Go's `runtime.GOOS` and `variables` the recorded environment.
"""

from __future__ import annotations

import json
import random
import shlex
from typing import Any

from witness_evals.generate import worlds as W
from witness_evals.witness.attestors import get as get_attestor

COMMAND_RUN = get_attestor("command-run").type
GIT = get_attestor("git").type
ENVIRONMENT = get_attestor("environment").type

KINDS = ("command", "exact", "branch", "tag", "author", "os", "env")
_BAD_BRANCHES = ("feature/unreviewed", "hotfix/local", "dev/tmp", "wip/experiment")
_OUTSIDE_EMAILS = ("dev@gmail.com", "contractor@outsourced-dev.io", "j.doe@hotmail.com")
_LANGUAGE_VARS = {
    "go": ("GOFLAGS", "-mod=readonly", "-mod=mod"),
    "node": ("NODE_ENV", "production", "development"),
}
"""Language -> (variable, the value the scenario's build sets, a value that breaks the rule)."""


def _module(package: str, condition: str, message: str, args: str) -> str:
    return (
        f"package {package}\n\nimport rego.v1\n\ndeny contains msg if {{\n"
        f"\t{condition}\n\tmsg := sprintf({json.dumps(message)}, [{args}])\n}}\n"
    )


def _kinds(spec: W.StepSpec, sc: Any) -> list[str]:
    kinds = ["command", "exact"]
    if "git" in spec.recorded:
        kinds.append("branch")
        if sc.tags:  # annotated `v<version>` tags: the git attestor lists them under `tags`
            kinds.append("tag")
        if sc.author_email.split("@")[1].startswith(sc.org + "."):
            kinds.append("author")
    if "environment" in spec.recorded:
        if sc.os == "linux":
            kinds.append("os")
        if sc.language in _LANGUAGE_VARS:
            kinds.append("env")
    return kinds


def draw(rng: random.Random, pipe: W.Pipeline) -> dict[str, Any]:
    """A rule on one step of `pipe` that its genuine run satisfies (a `branch` rule only once the caller has
    put a detached checkout on its branch, as `families.policies._on_its_branch` does)."""
    chain = W.scenarios(pipe)
    i = rng.randrange(len(pipe.steps))
    spec, sc = pipe.steps[i], chain[i]
    kind = rng.choice(_kinds(spec, sc))
    return {"kind": kind, **_rule(rng, kind, spec.name, sc)}


def _rule(rng: random.Random, kind: str, step: str, sc: Any) -> dict[str, Any]:
    if kind == "command":
        tool = sc.command[0]
        return {"step": step, "type": COMMAND_RUN,
                "name": rng.choice(("expected-tool.rego", "tool.rego", f"{step}-tool.rego")),
                "module": _module("commandrun.tool", f'input.cmd[0] != "{tool}"', "unexpected tool %v", "input.cmd[0]"),
                "what": f"`{step}` must run `{tool}`", "refuse": f"a `{step}` attestation whose program is not `{tool}`",
                "field": "`input.cmd` is the argv array the command-run attestor records, so `input.cmd[0]` is the program.",
                "violate": {"kind": "command", "value": "sh ./ci/run.sh"}}  # fmt: skip
    if kind == "exact":
        argv = list(sc.command)
        line = shlex.join(argv)
        return {"step": step, "type": COMMAND_RUN,
                "name": rng.choice(("exact-command.rego", "build-command.rego", f"{step}-command.rego")),
                "module": _module("commandrun.exact", f"input.cmd != {json.dumps(argv)}", "unexpected command %v", "input.cmd"),
                "what": f"`{step}` must run exactly `{line}`",
                "refuse": f"a `{step}` attestation of any command other than exactly `{line}`",
                "field": "`input.cmd` is the argv array the command-run attestor records, so the rule compares it with "
                         "an array; compared with the string it would deny every run.",
                "violate": {"kind": "command", "value": f"{line} --verbose"}}  # fmt: skip
    if kind == "branch":
        bad = rng.choice([b for b in _BAD_BRANCHES if b != sc.branch])
        return {"step": step, "type": GIT, "name": rng.choice(("branch.rego", "release-branch.rego", "git-branch.rego")),
                "module": _module("git.branch", f'input.branch != "{sc.branch}"', "built from branch %v", "input.branch"),
                "what": f"`{step}` must run on branch `{sc.branch}`",
                "refuse": f"anything `{step}` did not build from `{sc.branch}`",
                "field": f"`input.branch` is the short branch name the git attestor records (`{sc.branch}`, without "
                         "a `refs/heads/` prefix).",
                "violate": {"kind": "branch", "value": bad}}  # fmt: skip
    if kind == "tag":
        module = (
            "package git.tag\n\nimport rego.v1\n\ndeny contains msg if {\n\tnot release_tag\n"
            '\tmsg := "the commit has no v* release tag"\n}\n\nrelease_tag if {\n\tsome tag in input.tags\n'
            '\tstartswith(tag.name, "v")\n}\n'
        )
        return {"step": step, "type": GIT, "name": rng.choice(("release-tag.rego", "tag.rego", "git-tag.rego")),
                "module": module, "what": f"the commit `{step}` runs on must carry a `v*` release tag",
                "refuse": f"a `{step}` build of a commit without a `v*` release tag",
                "field": "`input.tags` lists the annotated tags that point at the commit (each with its `name`; a "
                         "lightweight tag is not recorded), so the rule looks for one whose name starts with `v`; a "
                         "commit without such a tag has no `tags` field and is denied too.",
                "violate": {"kind": "tags", "value": [sc.version]}}  # fmt: skip
    if kind == "author":
        domain = "@" + sc.author_email.split("@")[1]
        return {"step": step, "type": GIT, "name": rng.choice(("author-domain.rego", "authors.rego", "git-author.rego")),
                "module": _module("git.author", f'not endswith(input.authoremail, "{domain}")',
                                  "commit author %v is not from our domain", "input.authoremail"),
                "what": f"the commit `{step}` runs on must be authored by a `{domain}` address",
                "refuse": f"a `{step}` build of a commit whose author email does not end in `{domain}`",
                "field": "`input.authoremail` is the commit author's email in the git attestation.",
                "violate": {"kind": "author_email", "value": rng.choice(_OUTSIDE_EMAILS)}}  # fmt: skip
    if kind == "os":
        return {"step": step, "type": ENVIRONMENT, "name": rng.choice(("linux-only.rego", "os.rego", "runner-os.rego")),
                "module": _module("environment.os", 'input.os != "linux"', "ran on %v, not linux", "input.os"),
                "what": f"`{step}` must run on a Linux runner",
                "refuse": f"a `{step}` attestation recorded anywhere but on Linux",
                "field": "`input.os` is what the environment attestor records from Go's `runtime.GOOS` "
                         "(`linux`, `darwin`, `windows`).",
                "violate": {"kind": "os", "value": rng.choice(("darwin", "windows"))}}  # fmt: skip
    var, value, bad = _LANGUAGE_VARS[sc.language]
    return {"step": step, "type": ENVIRONMENT,
            "name": rng.choice((f"{var.lower()}.rego", "build-env.rego", f"{step}-env.rego")),
            "module": _module("environment.vars", f'object.get(input.variables, "{var}", "") != "{value}"',
                              f"{var} is %q, want {value}", f'object.get(input.variables, "{var}", "")'),
            "what": f"`{step}` must run with `{var}={value}`",
            "refuse": f"a `{step}` run whose environment does not set `{var}={value}`",
            "field": f"`input.variables` is the map of variables the environment attestor records; `object.get` with "
                     f"a default makes the rule deny a run where `{var}` is unset, where `input.variables.{var}` "
                     "would be undefined and deny nothing.",
            "violate": {"kind": "env", "value": [var, bad]}}  # fmt: skip


def violation(rule: dict[str, Any]) -> W.Variant:
    """The run of the rule's step that breaks it."""
    v = rule["violate"]
    kind, value = v["kind"], v["value"]
    if kind == "command":
        value = tuple(value.split())
    elif kind == "env":
        kind, value = "env_vars", ((value[0], value[1]),)
    elif kind == "tags":
        value = tuple(value)
    return W.Variant(sets=((rule["step"], ((kind, value),)),))
