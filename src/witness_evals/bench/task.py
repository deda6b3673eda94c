"""A benchmark task: the conversation a model sees, the hidden check its answer must pass, and two
answers that pin the check down (a reference that passes, a planted error that fails).

Tasks are written as YAML (hand-written suite) or built by code (generated suite); both end as a
`Task` whose check is plain JSON. A YAML task:

    - id: rego/git-signed-tags          # unique; "/"-separated slug
      kind: rego                        # rego | policy | command | diagnose | review | qa
      attestor: git                     # optional: the attestor it is about (stats, context tier)
      keys: {build: "ed25519:11"}       # optional seeded keys, `pki:` optional certificates (bench.material)
      texts: {gitrule: "package ..."}   # optional named texts for {{text.NAME.b64}} (e.g. an embedded module)
      prompt: |                         # or `turns: [{role: user, content: ...}, {role: assistant, ...}, ...]`
        ...{{key.build.pem}}...
      check: {type: rego, pass: [...], deny: [...]}      # see bench.scorers
      reference: |                      # must pass
      planted: |                        # must fail (one deliberate error)

Rego inputs may be literal JSON or built from the attestor model:
`{"$example": "git", "$seed": 3, "$scenario": {ci: github, branch: main}, "$patch": {...}}` is the
predicate `witness run` would record in that scenario, as Rego sees it, with a JSON merge patch applied.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.material import Material
from witness_evals.bench.scorers.command import expected
from witness_evals.common.errors import InputError
from witness_evals.witness import attestors

KINDS: tuple[str, ...] = ("rego", "policy", "command", "diagnose", "review", "qa")
SOURCES: tuple[str, ...] = ("hand", "generated")
_ID = re.compile(r"^[a-z0-9][a-z0-9._/-]{2,120}$")
_TASK_KEYS = frozenset(
    {
        "id",
        "kind",
        "attestor",
        "keys",
        "pki",
        "prompt",
        "turns",
        "system",
        "check",
        "reference",
        "planted",
        "tags",
        "title",
        "version",
        "texts",
    }
)


@dataclass(frozen=True)
class Task:
    """One task, fully rendered: what the model sees, and the hidden check of its answer."""

    id: str
    kind: str
    source: str
    messages: tuple[dict[str, str], ...]
    check: dict[str, Any]
    reference: str
    planted: str
    attestor: str | None = None
    tags: tuple[str, ...] = ()
    title: str = ""
    witness_version: str | None = None
    """The witness release the task's wording assumes, if it names one (default: the latest)."""
    meta: dict[str, Any] = field(default_factory=dict)

    def prompt_text(self) -> str:
        """All user turns, joined (decontamination, display)."""
        return "\n\n".join(m["content"] for m in self.messages if m["role"] == "user")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "attestor": self.attestor,
            "tags": list(self.tags),
            "title": self.title,
            "messages": [dict(m) for m in self.messages],
            "check": self.check,
            "reference": self.reference,
            "planted": self.planted,
        }


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (a null value removes the key)."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def example_input(spec: Mapping[str, Any]) -> Any:
    """The Rego input of an attestor's predicate in a seeded scenario (`$example` form)."""
    from witness_evals.bench.worlds import apply_set, base_scenario

    name = spec["$example"]
    att = attestors.get(str(name))
    scen = dict(spec.get("$scenario") or {})
    sc = base_scenario({"seed": int(spec.get("$seed", 0)), "scenario": scen}, str(scen.get("step", "build")))
    if spec.get("$set"):
        sc = apply_set(sc, spec["$set"])
    pred = att.build(sc.sub_rng(f"attestor:{att.name}"), sc)
    data = att.rego_input(pred)
    return merge_patch(data, spec["$patch"]) if spec.get("$patch") else data


def _resolve_input(value: Any) -> Any:
    if isinstance(value, Mapping) and "$example" in value:
        return example_input(value)
    return value


def _resolve_check(check: Any, material: Material, keys: Any, pki: Any) -> dict[str, Any]:
    if not isinstance(check, Mapping) or "type" not in check:
        raise InputError("check must be a mapping with a `type`")
    out = dict(check)
    kind = out["type"]
    if kind == "rego":
        out["pass_inputs"] = [_resolve_input(v) for v in out.pop("pass", out.get("pass_inputs", []))]
        out["deny_inputs"] = [_resolve_input(v) for v in out.pop("deny", out.get("deny_inputs", []))]
        if not out["deny_inputs"]:
            raise InputError("a rego check needs at least one `deny` input")
        if isinstance(out.get("broken"), str):
            out["broken"] = material.render(out["broken"])
    elif kind == "command":
        entries = out.pop("expect")
        entries = entries if isinstance(entries, list) else [entries]
        shared = {k: out.pop(k) for k in ("loose", "any_value") if k in out}
        commands = []
        for e in entries:
            entry = {**shared, **(dict(e) if isinstance(e, Mapping) else {"command": e})}
            try:
                ref = expected(material.render(str(entry.pop("command"))))
            except ValueError as exc:
                raise InputError(str(exc)) from None
            commands.append({**ref, **entry})
        out["commands"] = commands
    elif kind == "policy":
        out["keys"] = dict(keys or {})
        out["pki"] = dict(pki or {})
        if "pipeline" not in out:
            raise InputError("a policy check needs a `pipeline`")
    elif kind == "all":
        out["checks"] = [_resolve_check(c, material, keys, pki) for c in out.get("checks", [])]
    elif kind != "qa":
        raise InputError(f"unknown check type {kind!r}")
    return out


def _with_pasted_files(check: dict[str, Any], prompt: str) -> dict[str, Any]:
    """A policy check that names no `files` gets the PEM files the prompt pastes (`answers.pasted_files`):
    an answer may write the policy with a script that derives key ids from them (`answers.scripted_json`)."""
    if check.get("type") == "all":
        check["checks"] = [_with_pasted_files(c, prompt) for c in check.get("checks", [])]
    elif check.get("type") == "policy" and "files" not in check:
        files = answers.pasted_files(prompt)
        if files:
            check["files"] = {name: data.decode("utf-8") for name, data in files.items()}
    return check


def task_from_mapping(raw: Mapping[str, Any], *, source: str = "hand") -> Task:
    """Validate and render one YAML task; InputError (naming the field) if it is malformed."""
    unknown = set(raw) - _TASK_KEYS
    if unknown:
        raise InputError(f"unknown task field(s): {', '.join(sorted(unknown))}")
    tid = str(raw.get("id", ""))
    if not _ID.match(tid):
        raise InputError(f"bad task id {tid!r} (lowercase slug, 3-121 characters)")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}")
    attestor = raw.get("attestor")
    if attestor is not None:
        attestor = attestors.get(str(attestor)).name
    material = Material.from_decl(raw.get("keys"), raw.get("pki"))
    texts = raw.get("texts") or {}
    if not isinstance(texts, Mapping):
        raise InputError("`texts` is a mapping of name -> text")
    material.texts = {str(k): str(v) for k, v in texts.items()}
    if "turns" in raw:
        turns = [
            {"role": str(t["role"]), "content": material.render(str(t["content"]))} for t in raw["turns"]
        ]
    elif "prompt" in raw:
        turns = [{"role": "user", "content": material.render(str(raw["prompt"]))}]
    else:
        raise InputError("a task needs `prompt` or `turns`")
    if not turns or turns[-1]["role"] != "user" or any(t["role"] not in ("user", "assistant") for t in turns):
        raise InputError("turns alternate user/assistant and end with a user turn")
    if raw.get("system"):
        turns.insert(0, {"role": "system", "content": str(raw["system"])})
    for key in ("reference", "planted"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise InputError(f"a task needs a non-empty `{key}` answer")
    check = _resolve_check(raw.get("check"), material, raw.get("keys"), raw.get("pki"))
    check = _with_pasted_files(check, "\n\n".join(t["content"] for t in turns if t["role"] == "user"))
    return Task(
        id=tid,
        kind=str(kind),
        source=source,
        messages=tuple(turns),
        check=check,
        reference=material.render(raw["reference"]),
        planted=material.render(raw["planted"]),
        attestor=attestor,
        tags=tuple(str(t) for t in raw.get("tags", ())),
        title=str(raw.get("title", "")),
        witness_version=str(raw["version"]) if raw.get("version") else None,
    )


def seeded(task_id: str, salt: str = "") -> random.Random:
    """A deterministic RNG for a task (builders use it so a task depends only on its id)."""
    return random.Random(f"{task_id}:{salt}")
